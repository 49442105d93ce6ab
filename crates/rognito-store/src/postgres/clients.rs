//! App clients and their secrets.

use crate::columns::{CLIENT_COLUMNS, FromCells};
use async_trait::async_trait;
use rognito_model::{ClientId, UserPoolId};
use tokio_postgres::Row;

use super::{
    PostgresStore, Sql as _, Tx, is_missing_parent, is_unique_violation, lock_pool, quota,
};
use crate::{Change, ClientRecord, ClientSecretRecord, ClientStore, Page, StoreError};

fn client_record(row: &Row) -> Result<ClientRecord, StoreError> {
    Ok(ClientRecord::from_cells(row)?)
}

fn secret_record(row: &Row) -> Result<ClientSecretRecord, StoreError> {
    Ok(ClientSecretRecord::from_cells(row)?)
}

async fn insert_secret(c: &Tx, secret: &ClientSecretRecord) -> Result<u64, StoreError> {
    c.run(
        "INSERT INTO client_secrets (secret_id, client_id, ciphertext, digest, created_ms) \
         VALUES ($1, $2, $3, $4, $5)",
        &[
            &secret.secret_id,
            &secret.client_id.as_str(),
            &secret.ciphertext,
            &secret.digest,
            &secret.created_ms,
        ],
    )
    .await
}

/// Locks the client's row, so that counting its secrets and changing them is one step on every
/// node; false when there is no such client.
async fn lock_client(c: &Tx, client_id: &str) -> Result<bool, StoreError> {
    c.exists(
        "SELECT 1 FROM user_pool_clients WHERE client_id = $1 FOR UPDATE",
        &[&client_id],
    )
    .await
}

async fn secret_count(c: &Tx, client_id: &str) -> Result<i64, StoreError> {
    let row = c
        .row(
            "SELECT COUNT(*) FROM client_secrets WHERE client_id = $1",
            &[&client_id],
        )
        .await?
        .ok_or(StoreError::Conflict)?;
    Ok(row.try_get(0)?)
}

#[async_trait]
impl ClientStore for PostgresStore {
    async fn create_client(
        &self,
        client: &ClientRecord,
        secret: Option<&ClientSecretRecord>,
        max_per_pool: u64,
    ) -> Result<(), StoreError> {
        let (client, secret) = (client.clone(), secret.cloned());
        let max = quota(max_per_pool);
        self.write(move |c| {
            let (client, secret) = (client.clone(), secret.clone());
            async move {
                let pool = client.user_pool_id.as_str();
                // The rows first, the pool's counter last (see create_resource_server).
                let inserted = c
                    .run(
                        &format!(
                            "INSERT INTO user_pool_clients ({CLIENT_COLUMNS}) \
                             VALUES ($1, $2, $3, $4, $5, $6)"
                        ),
                        &[
                            &client.client_id.as_str(),
                            &pool,
                            &client.client_name,
                            &client.doc,
                            &client.created_ms,
                            &client.modified_ms,
                        ],
                    )
                    .await;
                match inserted {
                    Err(e) if is_missing_parent(&e) => return Err(StoreError::NotFound),
                    Err(e) if is_unique_violation(&e) => return Err(StoreError::AlreadyExists),
                    other => other?,
                };
                if let Some(secret) = &secret {
                    insert_secret(&c, secret).await?;
                }
                let counted = c
                    .run(
                        "UPDATE user_pools SET client_count = client_count + 1 \
                         WHERE id = $1 AND client_count < $2",
                        &[&pool, &max],
                    )
                    .await?;
                if counted == 0 {
                    return Err(StoreError::LimitExceeded);
                }
                c.changed(Change::Client {
                    user_pool_id: client.user_pool_id,
                    client_id: client.client_id,
                });
                Ok(())
            }
        })
        .await
    }

    async fn client(&self, client_id: &str) -> Result<Option<ClientRecord>, StoreError> {
        let c = self.client().await?;
        c.row(
            &format!("SELECT {CLIENT_COLUMNS} FROM user_pool_clients WHERE client_id = $1"),
            &[&client_id],
        )
        .await?
        .as_ref()
        .map(client_record)
        .transpose()
    }

    async fn list_clients(
        &self,
        user_pool_id: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Page<ClientRecord>, StoreError> {
        let c = self.client().await?;
        let rows = c
            .rows(
                &format!(
                    "SELECT {CLIENT_COLUMNS} FROM user_pool_clients \
                     WHERE user_pool_id = $1 AND client_id > $2 ORDER BY client_id LIMIT $3"
                ),
                &[&user_pool_id, &after.unwrap_or(""), &(i64::from(limit) + 1)],
            )
            .await?;
        let rows = rows.iter().map(client_record).collect::<Result<_, _>>()?;
        Ok(Page::from_rows(rows, limit))
    }

    async fn replace_client(
        &self,
        client: &ClientRecord,
    ) -> Result<Option<ClientRecord>, StoreError> {
        let client = client.clone();
        self.write(move |c| {
            let client = client.clone();
            async move {
                let replaced = c
                    .row(
                        &format!(
                            "UPDATE user_pool_clients SET client_name = $3, doc = $4, \
                             modified_ms = $5 WHERE client_id = $1 AND user_pool_id = $2 \
                             RETURNING {CLIENT_COLUMNS}"
                        ),
                        &[
                            &client.client_id.as_str(),
                            &client.user_pool_id.as_str(),
                            &client.client_name,
                            &client.doc,
                            &client.modified_ms,
                        ],
                    )
                    .await?;
                let Some(replaced) = replaced else {
                    return Ok(None);
                };
                c.changed(Change::Client {
                    user_pool_id: client.user_pool_id,
                    client_id: client.client_id,
                });
                Ok(Some(client_record(&replaced)?))
            }
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
            let (pool, client_id) = (pool.clone(), client_id.clone());
            async move {
                // The pool's row first, as every write in a pool takes it (a pool delete
                // included): one lock order, no deadlock with a concurrent pool delete.
                lock_pool(&c, pool.as_str()).await?;
                let deleted = c
                    .run(
                        "DELETE FROM user_pool_clients WHERE user_pool_id = $1 AND client_id = $2",
                        &[&pool.as_str(), &client_id.as_str()],
                    )
                    .await?;
                if deleted == 0 {
                    return Ok(false);
                }
                c.run(
                    "UPDATE user_pools SET client_count = client_count - 1 WHERE id = $1",
                    &[&pool.as_str()],
                )
                .await?;
                c.changed(Change::Client {
                    user_pool_id: pool,
                    client_id,
                });
                Ok(true)
            }
        })
        .await
    }

    async fn client_secrets(&self, client_id: &str) -> Result<Vec<ClientSecretRecord>, StoreError> {
        let c = self.client().await?;
        c.rows(
            "SELECT secret_id, client_id, ciphertext, digest, created_ms FROM client_secrets \
             WHERE client_id = $1 ORDER BY created_ms, secret_id",
            &[&client_id],
        )
        .await?
        .iter()
        .map(secret_record)
        .collect()
    }

    async fn add_client_secret(
        &self,
        secret: &ClientSecretRecord,
        max: u64,
    ) -> Result<(), StoreError> {
        let secret = secret.clone();
        let max = quota(max);
        self.write(move |c| {
            let secret = secret.clone();
            async move {
                if !lock_client(&c, secret.client_id.as_str()).await? {
                    return Err(StoreError::NotFound);
                }
                if secret_count(&c, secret.client_id.as_str()).await? >= max {
                    return Err(StoreError::LimitExceeded);
                }
                match insert_secret(&c, &secret).await {
                    Err(e) if is_unique_violation(&e) => return Err(StoreError::AlreadyExists),
                    other => other?,
                };
                c.changed(Change::ClientSecret {
                    client_id: secret.client_id,
                });
                Ok(())
            }
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
            let (client_id, secret_id) = (client_id.clone(), secret_id.clone());
            async move {
                if !lock_client(&c, &client_id).await? {
                    return Ok(false);
                }
                if !c
                    .exists(
                        "SELECT 1 FROM client_secrets WHERE client_id = $1 AND secret_id = $2",
                        &[&client_id, &secret_id],
                    )
                    .await?
                {
                    return Ok(false);
                }
                if secret_count(&c, &client_id).await? <= 1 {
                    return Err(StoreError::Conflict);
                }
                c.run(
                    "DELETE FROM client_secrets WHERE client_id = $1 AND secret_id = $2",
                    &[&client_id, &secret_id],
                )
                .await?;
                c.changed(Change::ClientSecret {
                    client_id: client_id.into(),
                });
                Ok(true)
            }
        })
        .await
    }
}
