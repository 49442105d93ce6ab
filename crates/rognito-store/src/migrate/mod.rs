//! Moving a deployment from the embedded SQLite store to PostgreSQL (`rognito migrate`): every
//! record is copied as it is stored (sealed values stay sealed under the same master key), in
//! one PostgreSQL transaction, and read back and compared before that commits.
//!
//! Not copied: the change feed's outbox (the target starts with a fresh feed; nodes load their
//! caches from the tables) and the schema's bookkeeping (each engine has its own migrations).

mod source;
mod tables;
mod target;

use std::path::Path;

use crate::{PostgresOptions, PostgresStore, StoreError};

/// What [`copy_sqlite_to_postgres`] copied: each table with its row count, in copy order
/// (parents first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyReport {
    /// `(table, rows)` for every table copied, empty ones included.
    pub tables: Vec<(&'static str, u64)>,
}

impl CopyReport {
    /// Rows copied in all.
    pub fn total_rows(&self) -> u64 {
        self.tables.iter().map(|(_, rows)| rows).sum()
    }
}

/// Copies every record of the SQLite database in `data_dir` (`rognito.sqlite3`) into the empty
/// PostgreSQL database `target`, and checks it arrived intact.
///
/// In order: opens the source (bringing its schema up to date, as a server's start would) and
/// takes a snapshot of it, so concurrent writers (the admin commands) cannot tear the copy;
/// opens the target, which applies the PostgreSQL schema; in one transaction, locks the target's
/// tables, checks they hold no row, loads each table with binary COPY, then compares per table
/// the row count and every row's every column with the source (both in primary-key order)
/// and commits only if all match. The tables: accounts, user_pools, resource_servers,
/// user_pool_clients, client_secrets, user_pool_domains, signing_keys, iam_users, access_keys,
/// user_policies, provisioned_limits, server_settings (the master key's check value and the
/// pagination tokens' key), with their counters and versions as stored.
///
/// The caller makes sure no server writes to `data_dir` meanwhile (its lock) and that the
/// master key opens the source (the store does not know keys).
///
/// Errors, each leaving the target without any of the source's rows:
/// - `StoreError::Open`: `data_dir` holds no database, or either database cannot be opened
///   (the message names the server, never the password);
/// - `StoreError::TargetNotEmpty(table)`: the target already holds a record;
/// - `StoreError::CopyMismatch { table, key, problem }`: a row count, a row or a column read
///   back differently (the copy is rolled back);
/// - `StoreError::Backend`: either schema has a table or column this build does not copy, or
///   an engine failed;
/// - `StoreError::Commit`: the final COMMIT failed, and may or may not have been made.
pub async fn copy_sqlite_to_postgres(
    data_dir: &Path,
    target: &PostgresOptions,
) -> Result<CopyReport, StoreError> {
    let mut source = source::Source::open(data_dir).await?;
    let store = PostgresStore::open(target).await?;
    let copied = target::copy(&store, &mut source).await;
    crate::ServerStore::close(&store).await;
    Ok(CopyReport { tables: copied? })
}

#[cfg(test)]
mod tests;
