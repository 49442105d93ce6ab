//! App clients and their secrets.

use async_trait::async_trait;

use super::{SqliteStore, is_unique_violation, quota};
use crate::{ClientRecord, ClientSecretRecord, ClientStore, Page, StoreError};

type ClientRow = (String, String, String, String, i64, i64);
type SecretRow = (String, String, Vec<u8>, Vec<u8>, i64);

fn client_record(
    (client_id, user_pool_id, client_name, doc, created_ms, modified_ms): ClientRow,
) -> ClientRecord {
    ClientRecord {
        client_id,
        user_pool_id,
        client_name,
        doc,
        created_ms,
        modified_ms,
    }
}

fn secret_record(
    (secret_id, client_id, ciphertext, digest, created_ms): SecretRow,
) -> ClientSecretRecord {
    ClientSecretRecord {
        secret_id,
        client_id,
        ciphertext,
        digest,
        created_ms,
    }
}

macro_rules! client_columns {
    () => {
        "client_id, user_pool_id, client_name, doc, created_ms, modified_ms"
    };
}

async fn insert_secret(
    tx: &mut sqlx::SqliteConnection,
    secret: &ClientSecretRecord,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO client_secrets (secret_id, client_id, ciphertext, digest, created_ms) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&secret.secret_id)
    .bind(&secret.client_id)
    .bind(&secret.ciphertext)
    .bind(&secret.digest)
    .bind(secret.created_ms)
    .execute(tx)
    .await?;
    Ok(())
}

#[async_trait]
impl ClientStore for SqliteStore {
    async fn create_client(
        &self,
        client: &ClientRecord,
        secret: Option<&ClientSecretRecord>,
        max_per_pool: u64,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        let counted = sqlx::query(
            "UPDATE user_pools SET client_count = client_count + 1 \
             WHERE id = $1 AND client_count < $2",
        )
        .bind(&client.user_pool_id)
        .bind(quota(max_per_pool))
        .execute(&mut *tx)
        .await?;
        if counted.rows_affected() == 0 {
            let pool: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM user_pools WHERE id = $1")
                .bind(&client.user_pool_id)
                .fetch_optional(&mut *tx)
                .await?;
            return Err(if pool.is_none() {
                StoreError::NotFound
            } else {
                StoreError::LimitExceeded
            });
        }
        let inserted = sqlx::query(concat!(
            "INSERT INTO user_pool_clients (",
            client_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6)"
        ))
        .bind(&client.client_id)
        .bind(&client.user_pool_id)
        .bind(&client.client_name)
        .bind(&client.doc)
        .bind(client.created_ms)
        .bind(client.modified_ms)
        .execute(&mut *tx)
        .await;
        match inserted {
            Err(e) if is_unique_violation(&e) => return Err(StoreError::AlreadyExists),
            other => other?,
        };
        if let Some(secret) = secret {
            insert_secret(&mut tx, secret).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn client(&self, client_id: &str) -> Result<Option<ClientRecord>, StoreError> {
        let row: Option<ClientRow> = sqlx::query_as(concat!(
            "SELECT ",
            client_columns!(),
            " FROM user_pool_clients WHERE client_id = $1"
        ))
        .bind(client_id)
        .fetch_optional(&self.readers)
        .await?;
        Ok(row.map(client_record))
    }

    async fn list_clients(
        &self,
        user_pool_id: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Page<ClientRecord>, StoreError> {
        let rows: Vec<ClientRow> = sqlx::query_as(concat!(
            "SELECT ",
            client_columns!(),
            " FROM user_pool_clients WHERE user_pool_id = $1 AND client_id > $2 \
             ORDER BY client_id LIMIT $3"
        ))
        .bind(user_pool_id)
        .bind(after.unwrap_or(""))
        .bind(i64::from(limit) + 1)
        .fetch_all(&self.readers)
        .await?;
        Ok(Page::from_rows(
            rows.into_iter().map(client_record).collect(),
            limit,
        ))
    }

    async fn replace_client(
        &self,
        client: &ClientRecord,
    ) -> Result<Option<ClientRecord>, StoreError> {
        let row: Option<ClientRow> = sqlx::query_as(concat!(
            "UPDATE user_pool_clients SET client_name = $3, doc = $4, modified_ms = $5 \
             WHERE client_id = $1 AND user_pool_id = $2 RETURNING ",
            client_columns!()
        ))
        .bind(&client.client_id)
        .bind(&client.user_pool_id)
        .bind(&client.client_name)
        .bind(&client.doc)
        .bind(client.modified_ms)
        .fetch_optional(&self.writer)
        .await?;
        Ok(row.map(client_record))
    }

    async fn delete_client(&self, user_pool_id: &str, client_id: &str) -> Result<bool, StoreError> {
        let mut tx = self.writer.begin().await?;
        let deleted =
            sqlx::query("DELETE FROM user_pool_clients WHERE user_pool_id = $1 AND client_id = $2")
                .bind(user_pool_id)
                .bind(client_id)
                .execute(&mut *tx)
                .await?;
        if deleted.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query("UPDATE user_pools SET client_count = client_count - 1 WHERE id = $1")
            .bind(user_pool_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn client_secrets(&self, client_id: &str) -> Result<Vec<ClientSecretRecord>, StoreError> {
        let rows: Vec<SecretRow> = sqlx::query_as(
            "SELECT secret_id, client_id, ciphertext, digest, created_ms FROM client_secrets \
             WHERE client_id = $1 ORDER BY created_ms, secret_id",
        )
        .bind(client_id)
        .fetch_all(&self.readers)
        .await?;
        Ok(rows.into_iter().map(secret_record).collect())
    }

    async fn add_client_secret(
        &self,
        secret: &ClientSecretRecord,
        max: u64,
    ) -> Result<(), StoreError> {
        // The single writer connection serialises this count-then-insert.
        let mut tx = self.writer.begin().await?;
        let client: Option<(i64,)> =
            sqlx::query_as("SELECT 1 FROM user_pool_clients WHERE client_id = $1")
                .bind(&secret.client_id)
                .fetch_optional(&mut *tx)
                .await?;
        if client.is_none() {
            return Err(StoreError::NotFound);
        }
        let (count,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM client_secrets WHERE client_id = $1")
                .bind(&secret.client_id)
                .fetch_one(&mut *tx)
                .await?;
        if count >= quota(max) {
            return Err(StoreError::LimitExceeded);
        }
        insert_secret(&mut tx, secret).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn delete_client_secret(
        &self,
        client_id: &str,
        secret_id: &str,
    ) -> Result<bool, StoreError> {
        let mut tx = self.writer.begin().await?;
        let exists: Option<(i64,)> =
            sqlx::query_as("SELECT 1 FROM client_secrets WHERE client_id = $1 AND secret_id = $2")
                .bind(client_id)
                .bind(secret_id)
                .fetch_optional(&mut *tx)
                .await?;
        if exists.is_none() {
            return Ok(false);
        }
        let (count,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM client_secrets WHERE client_id = $1")
                .bind(client_id)
                .fetch_one(&mut *tx)
                .await?;
        if count <= 1 {
            return Err(StoreError::Conflict);
        }
        sqlx::query("DELETE FROM client_secrets WHERE client_id = $1 AND secret_id = $2")
            .bind(client_id)
            .bind(secret_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }
}
