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

use crate::{ServerStore, StoreError};

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
    pub(crate) writer: SqlitePool,
    pub(crate) readers: SqlitePool,
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

mod clients;
mod domains;
mod pools;
mod resource_servers;

pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// `u64` quotas as SQL integers (a quota beyond i64 is no quota).
pub(crate) fn quota(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[async_trait]
impl ServerStore for SqliteStore {
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
