//! User pools and their signing keys.

use crate::columns::{FromCells, POOL_COLUMNS};
use async_trait::async_trait;
use rognito_model::AccountId;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use super::{PostgresStore, Sql as _, id_at, is_missing_parent, is_unique_violation, quota};
use crate::{
    Change, Page, ResourceServerRecord, SeedStore, SigningKeyRecord, StoreError, UserPoolRecord,
    UserPoolStore,
};

fn pool_record(row: &Row) -> Result<UserPoolRecord, StoreError> {
    Ok(UserPoolRecord::from_cells(row)?)
}

fn key_record(row: &Row) -> Result<SigningKeyRecord, StoreError> {
    Ok(SigningKeyRecord::from_cells(row)?)
}

const INSERT_KEY: &str = "INSERT INTO signing_keys \
     (kid, user_pool_id, purpose, private_key, public_jwk, created_ms) \
     VALUES ($1, $2, $3, $4, $5, $6)";

async fn insert_key(c: &super::Tx, key: &SigningKeyRecord) -> Result<u64, StoreError> {
    c.run(
        INSERT_KEY,
        &[
            &key.kid,
            &key.user_pool_id.as_str(),
            &key.purpose,
            &key.private_key,
            &key.public_jwk,
            &key.created_ms,
        ],
    )
    .await
}

/// What deleting a pool removes with it, as the change that names it. Read with the pool's row
/// locked, so nothing can be added to the pool before the delete.
async fn cascade_of(c: &super::Tx, id: &str) -> Result<Change, StoreError> {
    let names = async |sql: &str| -> Result<Vec<String>, StoreError> {
        c.rows(sql, &[&id])
            .await?
            .iter()
            .map(|r| r.try_get::<_, String>(0).map_err(StoreError::from))
            .collect()
    };
    Ok(Change::UserPoolDeleted {
        user_pool_id: id.into(),
        resource_servers: names("SELECT identifier FROM resource_servers WHERE user_pool_id = $1")
            .await?,
        clients: names("SELECT client_id FROM user_pool_clients WHERE user_pool_id = $1")
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
        domain: names("SELECT domain FROM user_pool_domains WHERE user_pool_id = $1")
            .await?
            .into_iter()
            .next(),
    })
}

#[async_trait]
impl UserPoolStore for PostgresStore {
    async fn create_user_pool(
        &self,
        pool: &UserPoolRecord,
        keys: &[SigningKeyRecord],
        max_pools_per_account: u64,
    ) -> Result<(), StoreError> {
        let (pool, keys) = (pool.clone(), keys.to_vec());
        let max = quota(max_pools_per_account);
        self.write(move |c| {
            let (pool, keys) = (pool.clone(), keys.clone());
            async move {
                let account = pool.account_id.as_str();
                c.run(
                    "INSERT INTO accounts (account_id) VALUES ($1) ON CONFLICT DO NOTHING",
                    &[&account],
                )
                .await?;
                // The rows first, the account's counter last (see create_resource_server).
                let inserted = c
                    .run(
                        &format!(
                            "INSERT INTO user_pools ({POOL_COLUMNS}) \
                             VALUES ($1, $2, $3, $4, $5, $6, 0)"
                        ),
                        &[
                            &pool.id.as_str(),
                            &account,
                            &pool.name,
                            &pool.doc,
                            &pool.created_ms,
                            &pool.modified_ms,
                        ],
                    )
                    .await;
                match inserted {
                    Err(e) if is_unique_violation(&e) => return Err(StoreError::AlreadyExists),
                    other => other?,
                };
                for key in &keys {
                    insert_key(&c, key).await?;
                }
                let counted = c
                    .run(
                        "UPDATE accounts SET user_pool_count = user_pool_count + 1 \
                         WHERE account_id = $1 AND user_pool_count < $2",
                        &[&account, &max],
                    )
                    .await?;
                if counted == 0 {
                    return Err(StoreError::LimitExceeded);
                }
                c.changed(Change::UserPool {
                    user_pool_id: pool.id,
                });
                Ok(())
            }
        })
        .await
    }

    async fn user_pool(&self, id: &str) -> Result<Option<UserPoolRecord>, StoreError> {
        let c = self.client().await?;
        c.row(
            &format!("SELECT {POOL_COLUMNS} FROM user_pools WHERE id = $1"),
            &[&id],
        )
        .await?
        .as_ref()
        .map(pool_record)
        .transpose()
    }

    async fn user_pool_account(&self, id: &str) -> Result<Option<AccountId>, StoreError> {
        let c = self.client().await?;
        c.row("SELECT account_id FROM user_pools WHERE id = $1", &[&id])
            .await?
            .map(|r| id_at(&r, 0))
            .transpose()
    }

    async fn list_user_pools(
        &self,
        account_id: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Page<UserPoolRecord>, StoreError> {
        let c = self.client().await?;
        let rows = c
            .rows(
                &format!(
                    "SELECT {POOL_COLUMNS} FROM user_pools WHERE account_id = $1 AND id > $2 \
                     ORDER BY id LIMIT $3"
                ),
                &[&account_id, &after.unwrap_or(""), &(i64::from(limit) + 1)],
            )
            .await?;
        let rows = rows.iter().map(pool_record).collect::<Result<_, _>>()?;
        Ok(Page::from_rows(rows, limit))
    }

    async fn replace_user_pool(
        &self,
        pool: &UserPoolRecord,
    ) -> Result<Option<UserPoolRecord>, StoreError> {
        let pool = pool.clone();
        self.write(move |c| {
            let pool = pool.clone();
            async move {
                let replaced = c
                    .row(
                        &format!(
                            "UPDATE user_pools SET name = $3, doc = $4, modified_ms = $5, \
                             version = version + 1 WHERE id = $1 AND version = $2 \
                             RETURNING {POOL_COLUMNS}"
                        ),
                        &[
                            &pool.id.as_str(),
                            &pool.version,
                            &pool.name,
                            &pool.doc,
                            &pool.modified_ms,
                        ],
                    )
                    .await?;
                let Some(replaced) = replaced else {
                    return if c
                        .exists(
                            "SELECT 1 FROM user_pools WHERE id = $1",
                            &[&pool.id.as_str()],
                        )
                        .await?
                    {
                        Err(StoreError::Conflict)
                    } else {
                        Ok(None)
                    };
                };
                c.changed(Change::UserPool {
                    user_pool_id: pool.id,
                });
                Ok(Some(pool_record(&replaced)?))
            }
        })
        .await
    }

    async fn delete_user_pool(&self, id: &str, version: i64) -> Result<bool, StoreError> {
        let id = id.to_owned();
        self.write(move |c| {
            let id = id.clone();
            async move {
                // Lock the pool first: creates in it update (or reference) its row, so none can
                // slip in between naming the cascade and deleting.
                let Some(row) = c
                    .row(
                        "SELECT account_id, version FROM user_pools WHERE id = $1 FOR UPDATE",
                        &[&id],
                    )
                    .await?
                else {
                    return Ok(false);
                };
                let (account_id, current): (String, i64) = (row.try_get(0)?, row.try_get(1)?);
                if current != version {
                    return Err(StoreError::Conflict);
                }
                let removed = cascade_of(&c, &id).await?;
                c.run("DELETE FROM user_pools WHERE id = $1", &[&id])
                    .await?;
                c.run(
                    "UPDATE accounts SET user_pool_count = user_pool_count - 1 \
                     WHERE account_id = $1",
                    &[&account_id],
                )
                .await?;
                c.changed(removed);
                Ok(true)
            }
        })
        .await
    }

    async fn signing_keys(&self, user_pool_id: &str) -> Result<Vec<SigningKeyRecord>, StoreError> {
        let c = self.client().await?;
        c.rows(
            "SELECT kid, user_pool_id, purpose, private_key, public_jwk, created_ms \
             FROM signing_keys WHERE user_pool_id = $1 ORDER BY created_ms, kid",
            &[&user_pool_id],
        )
        .await?
        .iter()
        .map(key_record)
        .collect()
    }

    async fn add_signing_keys(&self, keys: &[SigningKeyRecord]) -> Result<(), StoreError> {
        let keys = keys.to_vec();
        self.write(move |c| {
            let keys = keys.clone();
            async move {
                for key in &keys {
                    match insert_key(&c, key).await {
                        Err(e) if is_missing_parent(&e) => return Err(StoreError::NotFound),
                        other => other?,
                    };
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
            }
        })
        .await
    }
}

#[async_trait]
impl SeedStore for PostgresStore {
    async fn bulk_load(
        &self,
        pools: Vec<UserPoolRecord>,
        servers: Vec<ResourceServerRecord>,
    ) -> Result<(), StoreError> {
        use tokio_postgres::types::Type;
        const TEXT: Type = Type::TEXT;
        const INT8: Type = Type::INT8;
        let mut per_pool: std::collections::HashMap<&str, i64> = std::collections::HashMap::new();
        for server in &servers {
            *per_pool.entry(server.user_pool_id.as_str()).or_default() += 1;
        }
        let mut per_account: std::collections::HashMap<&str, i64> =
            std::collections::HashMap::new();
        for pool in &pools {
            *per_account.entry(pool.account_id.as_str()).or_default() += 1;
        }
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        for (account, n) in &per_account {
            tx.execute(
                "INSERT INTO accounts (account_id, user_pool_count) VALUES ($1, $2) \
                 ON CONFLICT (account_id) DO UPDATE \
                 SET user_pool_count = accounts.user_pool_count + $2",
                &[account, n],
            )
            .await?;
        }
        // COPY: the one fast way to load millions of rows.
        // The ids as `&str` (what the driver takes), held for the rows to borrow.
        let ids: Vec<[&str; 2]> = pools
            .iter()
            .map(|p| [p.id.as_str(), p.account_id.as_str()])
            .collect();
        let counts: Vec<i64> = pools
            .iter()
            .map(|p| per_pool.get(p.id.as_str()).copied().unwrap_or(0))
            .collect();
        copy_in(
            &tx,
            "COPY user_pools (id, account_id, name, doc, created_ms, modified_ms, \
             resource_server_count) FROM STDIN BINARY",
            &[TEXT, TEXT, TEXT, TEXT, INT8, INT8, INT8],
            pools
                .iter()
                .zip(&ids)
                .zip(&counts)
                .map(|((pool, [id, account]), count)| {
                    [
                        id as &(dyn ToSql + Sync),
                        account,
                        &pool.name,
                        &pool.doc,
                        &pool.created_ms,
                        &pool.modified_ms,
                        count,
                    ]
                    .to_vec()
                }),
        )
        .await?;
        let server_pools: Vec<&str> = servers.iter().map(|s| s.user_pool_id.as_str()).collect();
        copy_in(
            &tx,
            "COPY resource_servers (user_pool_id, identifier, name, scopes, created_ms, \
             modified_ms) FROM STDIN BINARY",
            &[TEXT, TEXT, TEXT, TEXT, INT8, INT8],
            servers.iter().zip(&server_pools).map(|(s, pool)| {
                [
                    pool as &(dyn ToSql + Sync),
                    &s.identifier,
                    &s.name,
                    &s.scopes,
                    &s.created_ms,
                    &s.modified_ms,
                ]
                .to_vec()
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Loads `rows` (values in the order of `types`) with one binary COPY.
async fn copy_in<'a>(
    tx: &deadpool_postgres::Transaction<'_>,
    sql: &str,
    types: &[tokio_postgres::types::Type],
    rows: impl Iterator<Item = Vec<&'a (dyn ToSql + Sync)>>,
) -> Result<(), StoreError> {
    let sink = tx.copy_in(sql).await?;
    let mut writer = std::pin::pin!(tokio_postgres::binary_copy::BinaryCopyInWriter::new(
        sink, types
    ));
    for row in rows {
        writer.as_mut().write(&row).await?;
    }
    writer.finish().await?;
    Ok(())
}
