//! User pool domains.

use async_trait::async_trait;

use super::{SqliteStore, is_unique_violation};
use crate::{DomainRecord, DomainStore, StoreError};

type DomainRow = (String, String, String, i64, i64);

fn domain_record((domain, user_pool_id, doc, created_ms, modified_ms): DomainRow) -> DomainRecord {
    DomainRecord {
        domain,
        user_pool_id,
        doc,
        created_ms,
        modified_ms,
    }
}

macro_rules! domain_columns {
    () => {
        "domain, user_pool_id, doc, created_ms, modified_ms"
    };
}

#[async_trait]
impl DomainStore for SqliteStore {
    async fn create_domain(&self, domain: &DomainRecord) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        let pool: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM user_pools WHERE id = $1")
            .bind(&domain.user_pool_id)
            .fetch_optional(&mut *tx)
            .await?;
        if pool.is_none() {
            return Err(StoreError::NotFound);
        }
        let taken: Option<(String,)> =
            sqlx::query_as("SELECT user_pool_id FROM user_pool_domains WHERE domain = $1")
                .bind(&domain.domain)
                .fetch_optional(&mut *tx)
                .await?;
        if taken.is_some() {
            return Err(StoreError::AlreadyExists);
        }
        let inserted = sqlx::query(concat!(
            "INSERT INTO user_pool_domains (",
            domain_columns!(),
            ") VALUES ($1, $2, $3, $4, $5)"
        ))
        .bind(&domain.domain)
        .bind(&domain.user_pool_id)
        .bind(&domain.doc)
        .bind(domain.created_ms)
        .bind(domain.modified_ms)
        .execute(&mut *tx)
        .await;
        match inserted {
            // The domain was checked free above, so a unique violation is the one-per-pool rule.
            Err(e) if is_unique_violation(&e) => return Err(StoreError::Conflict),
            other => other?,
        };
        tx.commit().await?;
        Ok(())
    }

    async fn domain(&self, domain: &str) -> Result<Option<DomainRecord>, StoreError> {
        let row: Option<DomainRow> = sqlx::query_as(concat!(
            "SELECT ",
            domain_columns!(),
            " FROM user_pool_domains WHERE domain = $1"
        ))
        .bind(domain)
        .fetch_optional(&self.readers)
        .await?;
        Ok(row.map(domain_record))
    }

    async fn domain_of_pool(&self, user_pool_id: &str) -> Result<Option<DomainRecord>, StoreError> {
        let row: Option<DomainRow> = sqlx::query_as(concat!(
            "SELECT ",
            domain_columns!(),
            " FROM user_pool_domains WHERE user_pool_id = $1"
        ))
        .bind(user_pool_id)
        .fetch_optional(&self.readers)
        .await?;
        Ok(row.map(domain_record))
    }

    async fn replace_domain(
        &self,
        domain: &DomainRecord,
    ) -> Result<Option<DomainRecord>, StoreError> {
        let row: Option<DomainRow> = sqlx::query_as(concat!(
            "UPDATE user_pool_domains SET doc = $3, modified_ms = $4 \
             WHERE domain = $1 AND user_pool_id = $2 RETURNING ",
            domain_columns!()
        ))
        .bind(&domain.domain)
        .bind(&domain.user_pool_id)
        .bind(&domain.doc)
        .bind(domain.modified_ms)
        .fetch_optional(&self.writer)
        .await?;
        Ok(row.map(domain_record))
    }

    async fn delete_domain(&self, user_pool_id: &str, domain: &str) -> Result<bool, StoreError> {
        let deleted =
            sqlx::query("DELETE FROM user_pool_domains WHERE domain = $1 AND user_pool_id = $2")
                .bind(domain)
                .bind(user_pool_id)
                .execute(&self.writer)
                .await?;
        Ok(deleted.rows_affected() > 0)
    }
}
