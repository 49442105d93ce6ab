//! App clients and their secrets.

use super::Cached as _;
use crate::columns::{CLIENT_COLUMNS, FromCells};
use async_trait::async_trait;
use rognito_model::{ClientId, UserPoolId};
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{SqliteStore, exists, is_unique_violation, quota};
use crate::{Change, ClientRecord, ClientSecretRecord, ClientStore, Page, StoreError};

fn client_record(row: &Row<'_>) -> rusqlite::Result<ClientRecord> {
    ClientRecord::from_cells(row)
}

fn secret_record(row: &Row<'_>) -> rusqlite::Result<ClientSecretRecord> {
    ClientSecretRecord::from_cells(row)
}

fn insert_secret(c: &Connection, secret: &ClientSecretRecord) -> rusqlite::Result<usize> {
    c.run(
        "INSERT INTO client_secrets (secret_id, client_id, ciphertext, digest, created_ms) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            secret.secret_id,
            secret.client_id.as_str(),
            secret.ciphertext,
            secret.digest,
            secret.created_ms
        ],
    )
}

fn secret_count(c: &Connection, client_id: &str) -> rusqlite::Result<i64> {
    c.row(
        "SELECT COUNT(*) FROM client_secrets WHERE client_id = ?1",
        [client_id],
        |r| r.get(0),
    )
}

#[async_trait]
impl ClientStore for SqliteStore {
    async fn create_client(
        &self,
        client: &ClientRecord,
        secret: Option<&ClientSecretRecord>,
        max_per_pool: u64,
    ) -> Result<(), StoreError> {
        let client = client.clone();
        let secret = secret.cloned();
        self.write(move |c| {
            let counted = c.run(
                "UPDATE user_pools SET client_count = client_count + 1 \
                 WHERE id = ?1 AND client_count < ?2",
                params![client.user_pool_id.as_str(), quota(max_per_pool)],
            )?;
            if counted == 0 {
                let pool = exists(c, "SELECT 1 FROM user_pools WHERE id = ?1", [client.user_pool_id.as_str()])?;
                return Err(if pool {
                    StoreError::LimitExceeded
                } else {
                    StoreError::NotFound
                });
            }
            let inserted = c.run(
                &format!(
                    "INSERT INTO user_pool_clients ({CLIENT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                ),
                params![
                    client.client_id.as_str(),
                    client.user_pool_id.as_str(),
                    client.client_name,
                    client.doc,
                    client.created_ms,
                    client.modified_ms
                ],
            );
            match inserted {
                Err(e) if is_unique_violation(&e) => return Err(StoreError::AlreadyExists),
                other => other?,
            };
            if let Some(secret) = &secret {
                insert_secret(c, secret)?;
            }
            c.changed(Change::Client {
                user_pool_id: client.user_pool_id,
                client_id: client.client_id,
            });
            Ok(())
        })
        .await
    }

    async fn client(&self, client_id: &str) -> Result<Option<ClientRecord>, StoreError> {
        let client_id = client_id.to_owned();
        self.read(move |c| {
            Ok(c.row(
                &format!("SELECT {CLIENT_COLUMNS} FROM user_pool_clients WHERE client_id = ?1"),
                [&client_id],
                client_record,
            )
            .optional()?)
        })
        .await
    }

    async fn list_clients(
        &self,
        user_pool_id: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Page<ClientRecord>, StoreError> {
        let pool = user_pool_id.to_owned();
        let after = after.unwrap_or("").to_owned();
        self.read(move |c| {
            let mut statement = c.prepare_cached(&format!(
                "SELECT {CLIENT_COLUMNS} FROM user_pool_clients \
                 WHERE user_pool_id = ?1 AND client_id > ?2 ORDER BY client_id LIMIT ?3"
            ))?;
            let rows = statement
                .query_map(params![pool, after, i64::from(limit) + 1], client_record)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(Page::from_rows(rows, limit))
        })
        .await
    }

    async fn replace_client(
        &self,
        client: &ClientRecord,
    ) -> Result<Option<ClientRecord>, StoreError> {
        let client = client.clone();
        self.write(move |c| {
            let replaced = c
                .row(
                    &format!(
                        "UPDATE user_pool_clients SET client_name = ?3, doc = ?4, modified_ms = ?5 \
                     WHERE client_id = ?1 AND user_pool_id = ?2 RETURNING {CLIENT_COLUMNS}"
                    ),
                    params![
                        client.client_id.as_str(),
                        client.user_pool_id.as_str(),
                        client.client_name,
                        client.doc,
                        client.modified_ms
                    ],
                    client_record,
                )
                .optional()?;
            if replaced.is_some() {
                c.changed(Change::Client {
                    user_pool_id: client.user_pool_id,
                    client_id: client.client_id,
                });
            }
            Ok(replaced)
        })
        .await
    }

    async fn delete_client(
        &self,
        user_pool_id: &UserPoolId,
        client_id: &ClientId,
    ) -> Result<bool, StoreError> {
        let (pool, client_id) = (user_pool_id.clone(), client_id.clone());
        self.write(move |c| {
            let deleted = c.run(
                "DELETE FROM user_pool_clients WHERE user_pool_id = ?1 AND client_id = ?2",
                params![pool.as_str(), client_id.as_str()],
            )?;
            if deleted == 0 {
                return Ok(false);
            }
            c.run(
                "UPDATE user_pools SET client_count = client_count - 1 WHERE id = ?1",
                [pool.as_str()],
            )?;
            c.changed(Change::Client {
                user_pool_id: pool,
                client_id,
            });
            Ok(true)
        })
        .await
    }

    async fn client_secrets(&self, client_id: &str) -> Result<Vec<ClientSecretRecord>, StoreError> {
        let client_id = client_id.to_owned();
        self.read(move |c| {
            let mut statement = c.prepare_cached(
                "SELECT secret_id, client_id, ciphertext, digest, created_ms FROM client_secrets \
                 WHERE client_id = ?1 ORDER BY created_ms, secret_id",
            )?;
            let rows = statement
                .query_map([&client_id], secret_record)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
        .await
    }

    async fn add_client_secret(
        &self,
        secret: &ClientSecretRecord,
        max: u64,
    ) -> Result<(), StoreError> {
        let secret = secret.clone();
        // The single writer serialises this count-then-insert.
        self.write(move |c| {
            if !exists(
                c,
                "SELECT 1 FROM user_pool_clients WHERE client_id = ?1",
                [secret.client_id.as_str()],
            )? {
                return Err(StoreError::NotFound);
            }
            if secret_count(c, &secret.client_id)? >= quota(max) {
                return Err(StoreError::LimitExceeded);
            }
            match insert_secret(c, &secret) {
                Err(e) if is_unique_violation(&e) => return Err(StoreError::AlreadyExists),
                other => other?,
            };
            c.changed(Change::ClientSecret {
                client_id: secret.client_id,
            });
            Ok(())
        })
        .await
    }

    async fn delete_client_secret(
        &self,
        client_id: &str,
        secret_id: &str,
    ) -> Result<bool, StoreError> {
        let (client_id, secret_id) = (client_id.to_owned(), secret_id.to_owned());
        self.write(move |c| {
            if !exists(
                c,
                "SELECT 1 FROM client_secrets WHERE client_id = ?1 AND secret_id = ?2",
                params![client_id, secret_id],
            )? {
                return Ok(false);
            }
            if secret_count(c, &client_id)? <= 1 {
                return Err(StoreError::Conflict);
            }
            c.run(
                "DELETE FROM client_secrets WHERE client_id = ?1 AND secret_id = ?2",
                params![client_id, secret_id],
            )?;
            c.changed(Change::ClientSecret {
                client_id: client_id.into(),
            });
            Ok(true)
        })
        .await
    }
}
