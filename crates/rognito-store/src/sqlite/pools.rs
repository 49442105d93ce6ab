//! User pools and their signing keys.

use async_trait::async_trait;

use super::{SqliteStore, is_unique_violation, quota};
use crate::{Page, SigningKeyRecord, StoreError, UserPoolRecord, UserPoolStore};

type PoolRow = (String, String, String, String, i64, i64);

fn pool_record((id, account_id, name, doc, created_ms, modified_ms): PoolRow) -> UserPoolRecord {
    UserPoolRecord {
        id,
        account_id,
        name,
        doc,
        created_ms,
        modified_ms,
    }
}

// sqlx only takes `&'static str` SQL, so column lists are macros joined with concat!.
macro_rules! pool_columns {
    () => {
        "id, account_id, name, doc, created_ms, modified_ms"
    };
}

type KeyRow = (String, String, String, Vec<u8>, String, i64);

#[async_trait]
impl UserPoolStore for SqliteStore {
    async fn create_user_pool(
        &self,
        pool: &UserPoolRecord,
        keys: &[SigningKeyRecord],
        max_pools_per_account: u64,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        sqlx::query("INSERT INTO accounts (account_id) VALUES ($1) ON CONFLICT DO NOTHING")
            .bind(&pool.account_id)
            .execute(&mut *tx)
            .await?;
        let counted = sqlx::query(
            "UPDATE accounts SET user_pool_count = user_pool_count + 1 \
             WHERE account_id = $1 AND user_pool_count < $2",
        )
        .bind(&pool.account_id)
        .bind(quota(max_pools_per_account))
        .execute(&mut *tx)
        .await?;
        if counted.rows_affected() == 0 {
            return Err(StoreError::LimitExceeded);
        }
        let inserted = sqlx::query(concat!(
            "INSERT INTO user_pools (",
            pool_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6)"
        ))
        .bind(&pool.id)
        .bind(&pool.account_id)
        .bind(&pool.name)
        .bind(&pool.doc)
        .bind(pool.created_ms)
        .bind(pool.modified_ms)
        .execute(&mut *tx)
        .await;
        match inserted {
            Err(e) if is_unique_violation(&e) => return Err(StoreError::AlreadyExists),
            other => other?,
        };
        for key in keys {
            sqlx::query(
                "INSERT INTO signing_keys \
                 (kid, user_pool_id, purpose, private_key, public_jwk, created_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&key.kid)
            .bind(&pool.id)
            .bind(&key.purpose)
            .bind(&key.private_key)
            .bind(&key.public_jwk)
            .bind(key.created_ms)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn user_pool(&self, id: &str) -> Result<Option<UserPoolRecord>, StoreError> {
        let row: Option<PoolRow> = sqlx::query_as(concat!(
            "SELECT ",
            pool_columns!(),
            " FROM user_pools WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.readers)
        .await?;
        Ok(row.map(pool_record))
    }

    async fn list_user_pools(
        &self,
        account_id: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Page<UserPoolRecord>, StoreError> {
        let rows: Vec<PoolRow> = sqlx::query_as(concat!(
            "SELECT ",
            pool_columns!(),
            " FROM user_pools WHERE account_id = $1 AND id > $2 \
             ORDER BY id LIMIT $3"
        ))
        .bind(account_id)
        .bind(after.unwrap_or(""))
        .bind(i64::from(limit) + 1)
        .fetch_all(&self.readers)
        .await?;
        Ok(Page::from_rows(
            rows.into_iter().map(pool_record).collect(),
            limit,
        ))
    }

    async fn delete_user_pool(&self, id: &str) -> Result<bool, StoreError> {
        let mut tx = self.writer.begin().await?;
        let account: Option<(String,)> =
            sqlx::query_as("DELETE FROM user_pools WHERE id = $1 RETURNING account_id")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((account_id,)) = account else {
            return Ok(false);
        };
        sqlx::query(
            "UPDATE accounts SET user_pool_count = user_pool_count - 1 WHERE account_id = $1",
        )
        .bind(account_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn signing_keys(&self, user_pool_id: &str) -> Result<Vec<SigningKeyRecord>, StoreError> {
        let rows: Vec<KeyRow> = sqlx::query_as(
            "SELECT kid, user_pool_id, purpose, private_key, public_jwk, created_ms \
             FROM signing_keys WHERE user_pool_id = $1 ORDER BY created_ms, kid",
        )
        .bind(user_pool_id)
        .fetch_all(&self.readers)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(kid, user_pool_id, purpose, private_key, public_jwk, created_ms)| {
                    SigningKeyRecord {
                        kid,
                        user_pool_id,
                        purpose,
                        private_key,
                        public_jwk,
                        created_ms,
                    }
                },
            )
            .collect())
    }
}
