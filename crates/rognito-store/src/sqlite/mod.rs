//! The embedded SQLite store.
//!
//! Writes go to one writer thread that group-commits them (see `writer.rs`): a write is
//! acknowledged after the commit covering it, and with `Durability::Fsync` SQLite has fsynced the
//! WAL by then (`synchronous=FULL`). Reads use a small pool of read-only connections on blocking
//! threads; in WAL mode they never block the writer and see only committed data. SQLite is used
//! synchronously (rusqlite) because group commit needs a batch of statements executed back to back
//! on one thread; an async driver would add a thread hop per statement.

mod clients;
mod domains;
mod feed;
mod identities;
mod limits;
mod migrations;
mod pools;
mod resource_servers;
mod users;
mod writer;

use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use rusqlite::{Connection, OpenFlags, OptionalExtension};

use crate::{Change, SealedSample, ServerStore, StoreError};
use writer::Writer;

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

const DB_FILE: &str = "rognito.sqlite3";
const READERS: usize = 8;

pub struct SqliteStore {
    writer: Writer,
    /// Read-only connections; None for the in-memory database.
    readers: Option<Arc<Readers>>,
    /// The database file (None in memory), for the change feed's tail.
    path: Option<std::path::PathBuf>,
    /// This process's (this handle's) number in the outbox, so its tail skips its own changes.
    origin: i64,
    listeners: Arc<crate::changes::Listeners>,
    tail: Mutex<Option<feed::Tail>>,
    /// When the outbox was last pruned (ms since the epoch).
    last_prune_ms: std::sync::atomic::AtomicI64,
    /// The changes of the writes in the batch being built, for its one outbox row.
    pending: Arc<Mutex<Vec<Change>>>,
}

/// How often a write also prunes the outbox.
const PRUNE_EVERY_MS: i64 = 60_000;

/// A fixed set of read-only connections; a read waits for an idle one rather than opening more.
struct Readers {
    idle: Mutex<Vec<Connection>>,
    returned: Condvar,
    closed: std::sync::atomic::AtomicBool,
}

impl Readers {
    fn take(&self) -> Result<Connection, StoreError> {
        let mut idle = self.idle.lock().map_err(|_| StoreError::Closed)?;
        loop {
            if self.closed.load(std::sync::atomic::Ordering::Acquire) {
                return Err(StoreError::Closed);
            }
            if let Some(connection) = idle.pop() {
                return Ok(connection);
            }
            idle = self.returned.wait(idle).map_err(|_| StoreError::Closed)?;
        }
    }

    fn give_back(&self, connection: Connection) {
        if self.closed.load(std::sync::atomic::Ordering::Acquire) {
            return;
        }
        if let Ok(mut idle) = self.idle.lock() {
            idle.push(connection);
            self.returned.notify_one();
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Backend(Box::new(e))
    }
}

fn configure(connection: &Connection, durability: Durability) -> rusqlite::Result<()> {
    connection.busy_timeout(Duration::from_secs(10))?;
    connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    connection.pragma_update(None, "foreign_keys", "ON")?;
    if durability != Durability::Memory {
        let _: String = connection.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    }
    let synchronous = match durability {
        Durability::Fsync => "FULL",
        Durability::Os | Durability::Memory => "NORMAL",
    };
    connection.pragma_update(None, "synchronous", synchronous)?;
    Ok(())
}

impl SqliteStore {
    /// Opens (creating if needed) the database in `data_dir` and brings its schema up to date.
    pub async fn open(data_dir: &Path, durability: Durability) -> Result<Self, StoreError> {
        let open_error = |e: rusqlite::Error| StoreError::Open(e.to_string());
        let path = (durability != Durability::Memory).then(|| data_dir.join(DB_FILE));
        if let Some(path) = &path {
            create_private(path)
                .map_err(|e| StoreError::Open(format!("cannot create {}: {e}", path.display())))?;
        }
        let mut connection = match &path {
            Some(path) => Connection::open(path),
            None => Connection::open_in_memory(),
        }
        .map_err(open_error)?;
        configure(&connection, durability).map_err(open_error)?;
        migrations::apply(&mut connection)?;
        let readers = match &path {
            Some(path) => {
                let mut idle = Vec::with_capacity(READERS);
                for _ in 0..READERS {
                    let reader = Connection::open_with_flags(
                        path,
                        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                    )
                    .map_err(open_error)?;
                    reader
                        .busy_timeout(Duration::from_secs(10))
                        .map_err(open_error)?;
                    reader.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
                    idle.push(reader);
                }
                Some(Arc::new(Readers {
                    idle: Mutex::new(idle),
                    returned: Condvar::new(),
                    closed: std::sync::atomic::AtomicBool::new(false),
                }))
            }
            None => None,
        };
        let origin = crate::changes::origin_number();
        let listeners: Arc<crate::changes::Listeners> = Arc::default();
        let pending: Arc<Mutex<Vec<Change>>> = Arc::default();
        // One outbox row per group commit, holding the changes of every write in the batch;
        // published once it commits, on the writer thread, before any caller is answered (in
        // commit order, and even for a caller that went away).
        let hooks = writer::BatchHooks {
            before_commit: Box::new({
                let pending = pending.clone();
                move |c| match pending.lock() {
                    Ok(changes) => feed::record(c, origin, &changes),
                    Err(_) => Err(StoreError::Closed),
                }
            }),
            after_commit: Box::new({
                let (pending, listeners) = (pending.clone(), listeners.clone());
                move |committed| {
                    let changes = pending
                        .lock()
                        .map(|mut p| std::mem::take(&mut *p))
                        .unwrap_or_default();
                    if committed {
                        listeners.publish(&changes);
                    }
                }
            }),
        };
        Ok(SqliteStore {
            writer: Writer::start(connection, hooks),
            pending,
            readers,
            path,
            origin,
            listeners,
            tail: Mutex::new(None),
            last_prune_ms: std::sync::atomic::AtomicI64::new(0),
        })
    }

    /// A group-committed write (see `writer.rs`). The changes `f` records on its `Tx` go to the
    /// outbox in the same transaction and, once it commits, to this process's listeners (on the
    /// writer thread, in commit order) before this returns.
    pub(crate) async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&feed::Tx<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        use std::sync::atomic::Ordering;
        let pending = self.pending.clone();
        let now = crate::now_ms();
        let last = self.last_prune_ms.load(Ordering::Relaxed);
        // At most once a minute a write also prunes the outbox.
        let prune = now - last > PRUNE_EVERY_MS
            && self
                .last_prune_ms
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok();
        self.writer
            .write(move |c| {
                let tx = feed::Tx::new(c);
                let value = f(&tx)?;
                if prune {
                    feed::prune(c, now)?;
                }
                // Into the batch's outbox row, written before its commit and published after.
                let changes = tx.into_changes();
                if !changes.is_empty()
                    && let Ok(mut pending) = pending.lock()
                {
                    pending.extend(changes);
                }
                Ok(value)
            })
            .await
    }

    /// A read of committed data.
    pub(crate) async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let Some(readers) = &self.readers else {
            return self.writer.read(f).await;
        };
        let readers = readers.clone();
        tokio::task::spawn_blocking(move || {
            let connection = readers.take()?;
            let result = f(&connection);
            readers.give_back(connection);
            result
        })
        .await
        .map_err(|_| StoreError::Closed)?
    }
}

/// Creates the database file readable and writable by its owner only (0600) if it is missing.
/// SQLite gives the WAL and shared-memory files the database file's permissions, so they are
/// private too; an existing file keeps the permissions it has.
fn create_private(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// The database file's name in a data dir.
pub const DATABASE_FILE: &str = DB_FILE;

/// One connection to the existing database in `data_dir`, its schema brought up to date (as a
/// server's start would), for reading every table (`rognito migrate`).
///
/// Errors: `StoreError::Open` when `data_dir` holds no database or it cannot be opened.
pub(crate) fn open_existing(data_dir: &Path) -> Result<Connection, StoreError> {
    let path = data_dir.join(DB_FILE);
    if !path.is_file() {
        return Err(StoreError::Open(format!(
            "{} holds no rognito database ({DB_FILE})",
            data_dir.display()
        )));
    }
    let open_error = |e: rusqlite::Error| StoreError::Open(format!("{}: {e}", path.display()));
    // Read-write without create: migrations may need to run, and a missing file is an error.
    let mut connection = Connection::open_with_flags(
        &path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(open_error)?;
    connection
        .busy_timeout(Duration::from_secs(10))
        .map_err(open_error)?;
    migrations::apply(&mut connection)?;
    Ok(connection)
}

pub(crate) fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(
        e,
        rusqlite::Error::SqliteFailure(f, _)
            if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
                || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
    )
}

/// `u64` quotas as SQL integers (a quota beyond i64 is no quota).
pub(crate) fn quota(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Statements through the connection's statement cache: their SQL is parsed once per
/// connection rather than on every call (for a small write the parse costs more than running
/// it). Connections keep [`STATEMENT_CACHE`] statements.
pub(crate) trait Cached {
    /// `Connection::execute`, cached.
    fn run<P: rusqlite::Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize>;
    /// `Connection::query_row`, cached.
    fn row<T, P, F>(&self, sql: &str, params: P, f: F) -> rusqlite::Result<T>
    where
        P: rusqlite::Params,
        F: FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>;
}

impl Cached for Connection {
    fn run<P: rusqlite::Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize> {
        self.prepare_cached(sql)?.execute(params)
    }

    fn row<T, P, F>(&self, sql: &str, params: P, f: F) -> rusqlite::Result<T>
    where
        P: rusqlite::Params,
        F: FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    {
        self.prepare_cached(sql)?.query_row(params, f)
    }
}

/// Statements each connection keeps prepared (more than every statement rognito runs, so none
/// is ever parsed twice).
pub(crate) const STATEMENT_CACHE: usize = 256;

/// An id column as its model type (the model's ids cannot implement rusqlite's `FromSql`).
pub(crate) fn id_at<T: From<String>>(
    row: &rusqlite::Row<'_>,
    column: usize,
) -> rusqlite::Result<T> {
    row.get::<_, String>(column).map(T::from)
}

/// Whether a row matches (for existence checks).
pub(crate) fn exists(
    connection: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<bool, StoreError> {
    Ok(connection
        .row(sql, params, |_| Ok(()))
        .optional()?
        .is_some())
}

#[async_trait]
impl ServerStore for SqliteStore {
    async fn server_setting(
        &self,
        name: &str,
        init: &(dyn Fn() -> Vec<u8> + Send + Sync),
    ) -> Result<Vec<u8>, StoreError> {
        let name = name.to_owned();
        let fresh = init();
        self.write(move |c| {
            c.run(
                "INSERT INTO server_settings (name, value) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                rusqlite::params![name, fresh],
            )?;
            Ok(c.row(
                "SELECT value FROM server_settings WHERE name = ?1",
                [&name],
                |r| r.get(0),
            )?)
        })
        .await
    }

    async fn setting(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let name = name.to_owned();
        self.read(move |c| {
            Ok(c.row(
                "SELECT value FROM server_settings WHERE name = ?1",
                [&name],
                |r| r.get(0),
            )
            .optional()?)
        })
        .await
    }

    async fn sealed_sample(&self) -> Result<Option<SealedSample>, StoreError> {
        self.read(|c| {
            let first = |sql: &str| -> Result<Option<(String, Vec<u8>)>, StoreError> {
                Ok(c.row(sql, [], |r| Ok((r.get(0)?, r.get(1)?))).optional()?)
            };
            if let Some((access_key_id, sealed)) =
                first("SELECT access_key_id, secret FROM access_keys LIMIT 1")?
            {
                return Ok(Some(SealedSample::AccessKey {
                    access_key_id,
                    sealed,
                }));
            }
            if let Some((client_id, sealed)) =
                first("SELECT client_id, ciphertext FROM client_secrets LIMIT 1")?
            {
                return Ok(Some(SealedSample::ClientSecret { client_id, sealed }));
            }
            Ok(first("SELECT kid, private_key FROM signing_keys LIMIT 1")?
                .map(|(kid, sealed)| SealedSample::SigningKey { kid, sealed }))
        })
        .await
    }

    async fn close(&self) {
        if let Some(mut tail) = self.tail.lock().ok().and_then(|mut t| t.take()) {
            tail.stop();
        }
        if let Some(readers) = &self.readers {
            readers
                .closed
                .store(true, std::sync::atomic::Ordering::Release);
            if let Ok(mut idle) = readers.idle.lock() {
                // Reads still running drop their connection when they finish.
                idle.clear();
            }
            readers.returned.notify_all();
        }
        self.writer.close();
    }
}

#[async_trait]
impl crate::ChangeStore for SqliteStore {
    fn subscribe(&self, listener: Arc<dyn crate::ChangeListener>) -> Result<(), StoreError> {
        self.listeners.add(listener);
        // In memory no other process can write: nothing to tail.
        let Some(path) = &self.path else {
            return Ok(());
        };
        let mut tail = self.tail.lock().map_err(|_| StoreError::Closed)?;
        if tail.is_none() {
            *tail = Some(feed::Tail::start(
                path,
                self.origin,
                self.listeners.clone(),
            )?);
        }
        Ok(())
    }

    async fn changes_after(
        &self,
        after: u64,
        limit: u32,
    ) -> Result<Vec<(u64, crate::Change)>, StoreError> {
        self.read(move |c| feed::rows_after(c, after, limit)).await
    }
}

#[cfg(test)]
mod tests;
