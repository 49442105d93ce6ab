//! The embedded SQLite store.
//!
//! One connection writes (so writers never contend for SQLite's lock and quota checks are
//! serialised) and a small pool reads; in WAL mode readers never block the writer. A write is
//! acknowledged after its transaction commits, and with `Durability::Fsync` SQLite has fsynced the
//! WAL by then (`synchronous=FULL`).

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::{Page, ResourceServerRecord, Store, StoreError, UserPoolRecord};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// What an acknowledged write survives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// The WAL is fsynced before a write is acknowledged: survives power loss.
    Fsync,
    /// Written to the OS before acknowledging, fsynced at checkpoints: survives a crash of the
    /// process, not of the machine.
    Os,
    /// Nothing touches the disk; everything is lost when the process exits.
    Memory,
}

pub struct SqliteStore {
    writer: SqlitePool,
    readers: SqlitePool,
}

const DB_FILE: &str = "rognito.sqlite3";

impl SqliteStore {
    /// Opens (creating if needed) the database in `data_dir` and brings its schema up to date.
    pub async fn open(data_dir: &Path, durability: Durability) -> Result<Self, StoreError> {
        let base = match durability {
            Durability::Memory => SqliteConnectOptions::from_str("sqlite::memory:")
                .map_err(|e| StoreError::Open(e.to_string()))?,
            Durability::Fsync | Durability::Os => SqliteConnectOptions::new()
                .filename(data_dir.join(DB_FILE))
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal),
        };
        let synchronous = match durability {
            Durability::Fsync => SqliteSynchronous::Full,
            Durability::Os | Durability::Memory => SqliteSynchronous::Normal,
        };
        let options = base
            .synchronous(synchronous)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        // The writer connection lives as long as the store: an in-memory database exists only
        // while its one connection is open.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options.clone())
            .await
            .map_err(|e| StoreError::Open(e.to_string()))?;
        MIGRATOR.run(&writer).await?;
        let readers = match durability {
            Durability::Memory => writer.clone(),
            Durability::Fsync | Durability::Os => SqlitePoolOptions::new()
                .max_connections(4)
                .connect_with(options.read_only(true))
                .await
                .map_err(|e| StoreError::Open(e.to_string()))?,
        };
        Ok(SqliteStore { writer, readers })
    }
}

type PoolRow = (String, String, String, String, i64, i64);
type ServerRow = (String, String, String, String, i64, i64);

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

// Column lists as macros: sqlx only takes `&'static str` SQL, so queries are built with concat!.
macro_rules! pool_columns {
    () => {
        "id, account_id, name, doc, created_ms, modified_ms"
    };
}
macro_rules! server_columns {
    () => {
        "user_pool_id, identifier, name, scopes, created_ms, modified_ms"
    };
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}

#[async_trait]
impl Store for SqliteStore {
    async fn create_user_pool(
        &self,
        pool: &UserPoolRecord,
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
        .bind(i64::try_from(max_pools_per_account).unwrap_or(i64::MAX))
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
        .bind(i64::try_from(max_per_pool).unwrap_or(i64::MAX))
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

    async fn server_setting(
        &self,
        name: &str,
        init: &(dyn Fn() -> Vec<u8> + Send + Sync),
    ) -> Result<Vec<u8>, StoreError> {
        sqlx::query(
            "INSERT INTO server_settings (name, value) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(name)
        .bind(init())
        .execute(&self.writer)
        .await?;
        let (value,): (Vec<u8>,) =
            sqlx::query_as("SELECT value FROM server_settings WHERE name = $1")
                .bind(name)
                .fetch_one(&self.writer)
                .await?;
        Ok(value)
    }

    async fn close(&self) {
        self.readers.close().await;
        self.writer.close().await;
    }
}

#[cfg(test)]
mod tests;
