//! User pools and their signing keys.

use super::Cached as _;
use crate::columns::{FromCells, POOL_COLUMNS};
use async_trait::async_trait;
use rognito_model::AccountId;
use rusqlite::{OptionalExtension, Row, params};

use super::{SqliteStore, exists, id_at, is_unique_violation, quota};
use crate::{
    Change, Page, ResourceServerRecord, SeedStore, SigningKeyRecord, StoreError, UserPoolRecord,
    UserPoolStore,
};

fn pool_record(row: &Row<'_>) -> rusqlite::Result<UserPoolRecord> {
    UserPoolRecord::from_cells(row)
}

/// What deleting a pool removes with it (resource servers, clients, the domain), as the change
/// that names them.
fn cascade_of(c: &rusqlite::Connection, id: &str) -> Result<Change, StoreError> {
    fn names<T: From<String>>(
        c: &rusqlite::Connection,
        id: &str,
        sql: &str,
    ) -> Result<Vec<T>, StoreError> {
        Ok(c.prepare_cached(sql)?
            .query_map([id], |r| id_at(r, 0))?
            .collect::<rusqlite::Result<Vec<_>>>()?)
    }
    Ok(Change::UserPoolDeleted {
        user_pool_id: id.into(),
        resource_servers: names(
            c,
            id,
            "SELECT identifier FROM resource_servers WHERE user_pool_id = ?1",
        )?,
        clients: names(
            c,
            id,
            "SELECT client_id FROM user_pool_clients WHERE user_pool_id = ?1",
        )?,
        domain: names::<String>(
            c,
            id,
            "SELECT domain FROM user_pool_domains WHERE user_pool_id = ?1",
        )?
        .into_iter()
        .next(),
    })
}

#[async_trait]
impl UserPoolStore for SqliteStore {
    async fn create_user_pool(
        &self,
        pool: &UserPoolRecord,
        keys: &[SigningKeyRecord],
        max_pools_per_account: u64,
    ) -> Result<(), StoreError> {
        let pool = pool.clone();
        let keys = keys.to_vec();
        self.write(move |c| {
            c.run(
                "INSERT INTO accounts (account_id) VALUES (?1) ON CONFLICT DO NOTHING",
                [pool.account_id.as_str()],
            )?;
            let counted = c.run(
                "UPDATE accounts SET user_pool_count = user_pool_count + 1 \
                 WHERE account_id = ?1 AND user_pool_count < ?2",
                params![pool.account_id.as_str(), quota(max_pools_per_account)],
            )?;
            if counted == 0 {
                return Err(StoreError::LimitExceeded);
            }
            let inserted = c.run(
                &format!(
                    "INSERT INTO user_pools ({POOL_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0)"
                ),
                params![
                    pool.id.as_str(),
                    pool.account_id.as_str(),
                    pool.name,
                    pool.doc,
                    pool.created_ms,
                    pool.modified_ms
                ],
            );
            match inserted {
                Err(e) if is_unique_violation(&e) => return Err(StoreError::AlreadyExists),
                other => other?,
            };
            for key in &keys {
                c.run(
                    "INSERT INTO signing_keys \
                     (kid, user_pool_id, purpose, private_key, public_jwk, created_ms) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![
                        key.kid,
                        pool.id.as_str(),
                        key.purpose,
                        key.private_key,
                        key.public_jwk,
                        key.created_ms
                    ],
                )?;
            }
            c.changed(Change::UserPool {
                user_pool_id: pool.id,
            });
            Ok(())
        })
        .await
    }

    async fn user_pool(&self, id: &str) -> Result<Option<UserPoolRecord>, StoreError> {
        let id = id.to_owned();
        self.read(move |c| {
            Ok(c.row(
                &format!("SELECT {POOL_COLUMNS} FROM user_pools WHERE id = ?1"),
                [&id],
                pool_record,
            )
            .optional()?)
        })
        .await
    }

    async fn user_pool_account(&self, id: &str) -> Result<Option<AccountId>, StoreError> {
        let id = id.to_owned();
        self.read(move |c| {
            Ok(c.row(
                "SELECT account_id FROM user_pools WHERE id = ?1",
                [&id],
                |r| id_at(r, 0),
            )
            .optional()?)
        })
        .await
    }

    async fn list_user_pools(
        &self,
        account_id: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Page<UserPoolRecord>, StoreError> {
        let account_id = account_id.to_owned();
        let after = after.unwrap_or("").to_owned();
        self.read(move |c| {
            let mut statement = c.prepare_cached(&format!(
                "SELECT {POOL_COLUMNS} FROM user_pools WHERE account_id = ?1 AND id > ?2 \
                 ORDER BY id LIMIT ?3"
            ))?;
            let rows = statement
                .query_map(
                    params![account_id, after, i64::from(limit) + 1],
                    pool_record,
                )?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(Page::from_rows(rows, limit))
        })
        .await
    }

    async fn replace_user_pool(
        &self,
        pool: &UserPoolRecord,
    ) -> Result<Option<UserPoolRecord>, StoreError> {
        let pool = pool.clone();
        self.write(move |c| {
            let replaced = c
                .row(
                    &format!(
                        "UPDATE user_pools SET name = ?3, doc = ?4, modified_ms = ?5, \
                         version = version + 1 WHERE id = ?1 AND version = ?2 \
                         RETURNING {POOL_COLUMNS}"
                    ),
                    params![
                        pool.id.as_str(),
                        pool.version,
                        pool.name,
                        pool.doc,
                        pool.modified_ms
                    ],
                    pool_record,
                )
                .optional()?;
            let Some(replaced) = replaced else {
                return if exists(
                    c,
                    "SELECT 1 FROM user_pools WHERE id = ?1",
                    [pool.id.as_str()],
                )? {
                    Err(StoreError::Conflict)
                } else {
                    Ok(None)
                };
            };
            c.changed(Change::UserPool {
                user_pool_id: pool.id,
            });
            Ok(Some(replaced))
        })
        .await
    }

    async fn delete_user_pool(&self, id: &str, version: i64) -> Result<bool, StoreError> {
        let id = id.to_owned();
        self.write(move |c| {
            // Name what the cascade removes, for the caches, before it is gone.
            let removed = cascade_of(c, &id)?;
            let account: Option<String> = c
                .row(
                    "DELETE FROM user_pools WHERE id = ?1 AND version = ?2 RETURNING account_id",
                    params![id, version],
                    |r| r.get(0),
                )
                .optional()?;
            let Some(account_id) = account else {
                return if exists(c, "SELECT 1 FROM user_pools WHERE id = ?1", [&id])? {
                    Err(StoreError::Conflict)
                } else {
                    Ok(false)
                };
            };
            c.changed(removed);
            c.run(
                "UPDATE accounts SET user_pool_count = user_pool_count - 1 WHERE account_id = ?1",
                [&account_id],
            )?;
            Ok(true)
        })
        .await
    }

    async fn signing_keys(&self, user_pool_id: &str) -> Result<Vec<SigningKeyRecord>, StoreError> {
        let user_pool_id = user_pool_id.to_owned();
        self.read(move |c| {
            let mut statement = c.prepare_cached(
                "SELECT kid, user_pool_id, purpose, private_key, public_jwk, created_ms \
                 FROM signing_keys WHERE user_pool_id = ?1 ORDER BY created_ms, kid",
            )?;
            let rows = statement
                .query_map([&user_pool_id], |row| SigningKeyRecord::from_cells(row))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
        .await
    }

    async fn add_signing_keys(&self, keys: &[SigningKeyRecord]) -> Result<(), StoreError> {
        let keys = keys.to_vec();
        self.write(move |c| {
            for key in &keys {
                if !exists(
                    c,
                    "SELECT 1 FROM user_pools WHERE id = ?1",
                    [key.user_pool_id.as_str()],
                )? {
                    return Err(StoreError::NotFound);
                }
                c.run(
                    "INSERT INTO signing_keys \
                     (kid, user_pool_id, purpose, private_key, public_jwk, created_ms) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![
                        key.kid,
                        key.user_pool_id.as_str(),
                        key.purpose,
                        key.private_key,
                        key.public_jwk,
                        key.created_ms
                    ],
                )?;
            }
            let mut pools: Vec<&str> = keys.iter().map(|k| k.user_pool_id.as_str()).collect();
            pools.sort_unstable();
            pools.dedup();
            for pool in pools {
                c.changed(Change::SigningKeys {
                    user_pool_id: pool.into(),
                });
            }
            Ok(())
        })
        .await
    }
}

#[async_trait]
impl SeedStore for SqliteStore {
    async fn bulk_load(
        &self,
        pools: Vec<UserPoolRecord>,
        servers: Vec<ResourceServerRecord>,
    ) -> Result<(), StoreError> {
        self.write(move |c| {
            let mut per_pool: std::collections::HashMap<&str, i64> =
                std::collections::HashMap::new();
            for server in &servers {
                *per_pool.entry(server.user_pool_id.as_str()).or_default() += 1;
            }
            let mut per_account: std::collections::HashMap<&str, i64> =
                std::collections::HashMap::new();
            for pool in &pools {
                *per_account.entry(pool.account_id.as_str()).or_default() += 1;
            }
            // Accounts first: pools reference them.
            for (account, n) in &per_account {
                c.run(
                    "INSERT INTO accounts (account_id, user_pool_count) VALUES (?1, ?2) \
                     ON CONFLICT (account_id) DO UPDATE SET user_pool_count = user_pool_count + ?2",
                    params![account, n],
                )?;
            }
            {
                let mut insert = c.prepare_cached(
                    "INSERT INTO user_pools (id, account_id, name, doc, created_ms, modified_ms, \
                     resource_server_count) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )?;
                for pool in &pools {
                    insert.execute(params![
                        pool.id.as_str(),
                        pool.account_id.as_str(),
                        pool.name,
                        pool.doc,
                        pool.created_ms,
                        pool.modified_ms,
                        per_pool.get(pool.id.as_str()).copied().unwrap_or(0)
                    ])?;
                }
            }
            {
                let mut insert = c.prepare_cached(
                    "INSERT INTO resource_servers (user_pool_id, identifier, name, scopes, \
                     created_ms, modified_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?;
                for s in &servers {
                    insert.execute(params![
                        s.user_pool_id.as_str(),
                        s.identifier,
                        s.name,
                        s.scopes,
                        s.created_ms,
                        s.modified_ms
                    ])?;
                }
            }
            Ok(())
        })
        .await
    }
}
