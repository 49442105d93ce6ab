//! Resource servers.

use async_trait::async_trait;

use super::{SqliteStore, is_unique_violation, quota};
use crate::{Page, ResourceServerRecord, ResourceServerStore, StoreError};

type ServerRow = (String, String, String, String, i64, i64);

fn server_record(
    (user_pool_id, identifier, name, scopes, created_ms, modified_ms): ServerRow,
) -> ResourceServerRecord {
    ResourceServerRecord {
        user_pool_id,
        identifier,
        name,
        scopes,
        created_ms,
        modified_ms,
    }
}

macro_rules! server_columns {
    () => {
        "user_pool_id, identifier, name, scopes, created_ms, modified_ms"
    };
}

#[async_trait]
impl ResourceServerStore for SqliteStore {
    async fn create_resource_server(
        &self,
        server: &ResourceServerRecord,
        max_per_pool: u64,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        let counted = sqlx::query(
            "UPDATE user_pools SET resource_server_count = resource_server_count + 1 \
             WHERE id = $1 AND resource_server_count < $2",
        )
        .bind(&server.user_pool_id)
        .bind(quota(max_per_pool))
        .execute(&mut *tx)
        .await?;
        if counted.rows_affected() == 0 {
            // Tell the three reasons apart in the order Cognito reports them.
            let pool: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM user_pools WHERE id = $1")
                .bind(&server.user_pool_id)
                .fetch_optional(&mut *tx)
                .await?;
            if pool.is_none() {
                return Err(StoreError::NotFound);
            }
            let taken: Option<(i64,)> = sqlx::query_as(
                "SELECT 1 FROM resource_servers WHERE user_pool_id = $1 AND identifier = $2",
            )
            .bind(&server.user_pool_id)
            .bind(&server.identifier)
            .fetch_optional(&mut *tx)
            .await?;
            return Err(if taken.is_some() {
                StoreError::AlreadyExists
            } else {
                StoreError::LimitExceeded
            });
        }
        let inserted = sqlx::query(concat!(
            "INSERT INTO resource_servers (",
            server_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6)"
        ))
        .bind(&server.user_pool_id)
        .bind(&server.identifier)
        .bind(&server.name)
        .bind(&server.scopes)
        .bind(server.created_ms)
        .bind(server.modified_ms)
        .execute(&mut *tx)
        .await;
        match inserted {
            Err(e) if is_unique_violation(&e) => return Err(StoreError::AlreadyExists),
            other => other?,
        };
        tx.commit().await?;
        Ok(())
    }

    async fn resource_server(
        &self,
        user_pool_id: &str,
        identifier: &str,
    ) -> Result<Option<ResourceServerRecord>, StoreError> {
        let row: Option<ServerRow> = sqlx::query_as(concat!(
            "SELECT ",
            server_columns!(),
            " FROM resource_servers \
             WHERE user_pool_id = $1 AND identifier = $2"
        ))
        .bind(user_pool_id)
        .bind(identifier)
        .fetch_optional(&self.readers)
        .await?;
        Ok(row.map(server_record))
    }

    async fn list_resource_servers(
        &self,
        user_pool_id: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Page<ResourceServerRecord>, StoreError> {
        let rows: Vec<ServerRow> = sqlx::query_as(concat!(
            "SELECT ",
            server_columns!(),
            " FROM resource_servers \
             WHERE user_pool_id = $1 AND identifier > $2 ORDER BY identifier LIMIT $3"
        ))
        .bind(user_pool_id)
        .bind(after.unwrap_or(""))
        .bind(i64::from(limit) + 1)
        .fetch_all(&self.readers)
        .await?;
        Ok(Page::from_rows(
            rows.into_iter().map(server_record).collect(),
            limit,
        ))
    }

    async fn replace_resource_server(
        &self,
        server: &ResourceServerRecord,
    ) -> Result<Option<ResourceServerRecord>, StoreError> {
        // One statement, last writer wins: UpdateResourceServer has no version and its model
        // lists no ConcurrentModificationException. Zero rows means the server is gone, so an
        // update racing a delete cannot resurrect it.
        let row: Option<ServerRow> = sqlx::query_as(concat!(
            "UPDATE resource_servers SET name = $3, scopes = $4, modified_ms = $5 \
             WHERE user_pool_id = $1 AND identifier = $2 RETURNING ",
            server_columns!()
        ))
        .bind(&server.user_pool_id)
        .bind(&server.identifier)
        .bind(&server.name)
        .bind(&server.scopes)
        .bind(server.modified_ms)
        .fetch_optional(&self.writer)
        .await?;
        Ok(row.map(server_record))
    }

    async fn delete_resource_server(
        &self,
        user_pool_id: &str,
        identifier: &str,
    ) -> Result<bool, StoreError> {
        let mut tx = self.writer.begin().await?;
        let deleted =
            sqlx::query("DELETE FROM resource_servers WHERE user_pool_id = $1 AND identifier = $2")
                .bind(user_pool_id)
                .bind(identifier)
                .execute(&mut *tx)
                .await?;
        if deleted.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query(
            "UPDATE user_pools SET resource_server_count = resource_server_count - 1 WHERE id = $1",
        )
        .bind(user_pool_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}
