//! SQLite's side of the change feed: the transaction wrapper writes record their changes on,
//! the outbox rows written with them, pruning, and the tail that reads other processes' rows.

use std::cell::RefCell;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, params};

use crate::changes::{Change, Listeners, OUTBOX_RETENTION, TAIL_INTERVAL};
use crate::{StoreError, now_ms};

/// The connection a write runs on, collecting the changes it makes. Derefs to the connection.
pub(crate) struct Tx<'c> {
    connection: &'c Connection,
    changes: RefCell<Vec<Change>>,
}

impl<'c> Tx<'c> {
    pub(crate) fn new(connection: &'c Connection) -> Self {
        Tx {
            connection,
            changes: RefCell::new(Vec::new()),
        }
    }

    /// Records that this write made `change` (published only if the write commits).
    pub(crate) fn changed(&self, change: Change) {
        self.changes.borrow_mut().push(change);
    }

    pub(crate) fn into_changes(self) -> Vec<Change> {
        self.changes.into_inner()
    }
}

impl Deref for Tx<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        self.connection
    }
}

/// Writes `changes` to the outbox as one row (a JSON array: a group commit's changes), in the
/// transaction that made them, under `origin` (or `EVERY_PROCESS` when they set a rate).
pub(crate) fn record(
    connection: &Connection,
    origin: i64,
    changes: &[Change],
) -> Result<(), StoreError> {
    if changes.is_empty() {
        return Ok(());
    }
    let origin = crate::changes::row_origin(origin, changes);
    let text = serde_json::to_string(changes).map_err(|e| StoreError::Backend(Box::new(e)))?;
    connection
        .prepare_cached("INSERT INTO changes (at_ms, origin, change) VALUES (?1, ?2, ?3)")?
        .execute(params![now_ms(), origin, text])?;
    Ok(())
}

/// Deletes the outbox rows older than [`OUTBOX_RETENTION`], always keeping the newest row (so
/// the largest number never goes and numbers are never reused). Rows are numbered in commit
/// order, so their times rise with their numbers: the boundary is found by a binary search on
/// the primary key (a few dozen seeks), and the table needs no index on time.
pub(crate) fn prune(connection: &Connection, now_ms: i64) -> Result<(), StoreError> {
    let cutoff = now_ms - i64::try_from(OUTBOX_RETENTION.as_millis()).unwrap_or(i64::MAX);
    let (Some(mut lo), Some(newest)): (Option<i64>, Option<i64>) =
        connection.query_row("SELECT MIN(seq), MAX(seq) FROM changes", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
    else {
        return Ok(());
    };
    let mut first_at = connection
        .prepare_cached("SELECT seq, at_ms FROM changes WHERE seq >= ?1 ORDER BY seq LIMIT 1")?;
    let mut at = |s: i64| -> Result<(i64, i64), StoreError> {
        Ok(first_at.query_row([s], |r| Ok((r.get(0)?, r.get(1)?)))?)
    };
    // The first row (by number) not older than the cutoff, or the newest row.
    let mut hi = newest;
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if at(mid)?.1 < cutoff {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    let (through, _) = at(lo)?;
    drop(first_at);
    connection.execute("DELETE FROM changes WHERE seq < ?1", [through])?;
    Ok(())
}

/// Outbox rows after `after`, oldest first. A row this version cannot read (written by a newer
/// rognito) is logged and skipped.
pub(crate) fn rows_after(
    connection: &Connection,
    after: u64,
    limit: u32,
) -> Result<Vec<(u64, Change)>, StoreError> {
    let mut select = connection
        .prepare_cached("SELECT seq, change FROM changes WHERE seq > ?1 ORDER BY seq LIMIT ?2")?;
    let rows = select
        .query_map(
            params![i64::try_from(after).unwrap_or(i64::MAX), limit],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows
        .into_iter()
        .flat_map(|(seq, text)| {
            let seq = u64::try_from(seq).unwrap_or(0);
            decode(seq, &text)
                .into_iter()
                .map(move |change| (seq, change))
        })
        .collect())
}

/// Other processes' changes after `after`, and the sequence number read up to. This process's
/// own rows are skipped by their origin without being decoded (under a write load they are
/// nearly all of them), and the position moves past them.
fn others_after(
    connection: &Connection,
    after: u64,
    origin: i64,
) -> Result<(u64, Vec<Change>), StoreError> {
    const BATCH: i64 = 1000;
    let after = i64::try_from(after).unwrap_or(i64::MAX);
    // One read transaction: the newest number and the rows up to it are one snapshot.
    let tx = connection.unchecked_transaction()?;
    let (oldest, newest): (i64, i64) = tx
        .prepare_cached("SELECT COALESCE(MIN(seq), 0), COALESCE(MAX(seq), 0) FROM changes")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    // This process's own rows are skipped (it applied them when it committed), by their origin
    // alone: their changes are never read. Rows that set a rate have no process's origin
    // ([`EVERY_PROCESS`]), so every tail reads them.
    let mut select = tx.prepare_cached(
        "SELECT seq, change FROM changes WHERE seq > ?1 AND seq <= ?2 AND origin <> ?3 \
         ORDER BY seq LIMIT ?4",
    )?;
    let rows = select
        .query_map(params![after, newest, origin, BATCH], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    drop(select);
    tx.finish()?;
    // A full batch may leave more of theirs: resume after its last row, not at `newest`.
    let reached = match rows.last() {
        Some((seq, _)) if rows.len() as i64 == BATCH => *seq,
        _ => newest.max(after),
    };
    let mut changes: Vec<Change> = Vec::with_capacity(rows.len() + 1);
    if after > 0 && oldest > after + 1 {
        // Rows this tail never read were pruned (it fell more than the retention behind):
        // what they changed is unknown, so everything cached is dropped.
        tracing::warn!(
            after,
            oldest,
            "the change feed's tail fell behind the outbox's retention"
        );
        changes.push(Change::Everything);
    }
    changes.extend(
        rows.into_iter()
            .flat_map(|(seq, text)| decode(u64::try_from(seq).unwrap_or(0), &text)),
    );
    Ok((u64::try_from(reached).unwrap_or(0), changes))
}

/// SQLite's `data_version`: it changes when another connection commits to the database.
/// None when it cannot be read (the tail then reads the outbox anyway).
fn data_version(connection: &Connection) -> Option<i64> {
    connection
        .prepare_cached("PRAGMA data_version")
        .and_then(|mut s| s.query_row([], |r| r.get(0)))
        .ok()
}

/// The changes of one outbox row (a group commit's, as a JSON array). A row this version cannot
/// read (written by a newer rognito) is logged and skipped.
fn decode(seq: u64, text: &str) -> Vec<Change> {
    serde_json::from_str(text)
        .inspect_err(|e| tracing::error!(seq, error = %e, "unreadable change in the outbox"))
        .unwrap_or_default()
}

/// The thread that reads other processes' changes and hands them to the listeners.
pub(crate) struct Tail {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Tail {
    /// Starts tailing the database at `path` from its newest change.
    pub(crate) fn start(
        path: &Path,
        origin: i64,
        listeners: Arc<Listeners>,
    ) -> Result<Tail, StoreError> {
        let connection = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        connection.busy_timeout(Duration::from_secs(10))?;
        let newest: i64 =
            connection.query_row("SELECT COALESCE(MAX(seq), 0) FROM changes", [], |r| {
                r.get(0)
            })?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let path: PathBuf = path.to_owned();
        let thread = std::thread::Builder::new()
            .name("rognito-sqlite-tail".into())
            .spawn(move || {
                let mut last = u64::try_from(newest).unwrap_or(0);
                let mut seen_version = None;
                while !stopping.load(Ordering::Acquire) {
                    std::thread::sleep(TAIL_INTERVAL);
                    // Nothing was committed since the last look (by any connection): nothing
                    // to read. One cached statement, so an idle server's tail costs ~nothing.
                    let version = data_version(&connection);
                    if version.is_some() && version == seen_version {
                        continue;
                    }
                    seen_version = version;
                    match others_after(&connection, last, origin) {
                        Ok((newest, theirs)) => {
                            last = newest;
                            listeners.publish(&theirs);
                        }
                        Err(e) => {
                            tracing::error!(error = %e, db = %path.display(), "cannot read the change feed");
                            std::thread::sleep(Duration::from_secs(1));
                        }
                    }
                }
            })
            .map_err(|e| StoreError::Open(format!("cannot start the change feed's tail: {e}")))?;
        Ok(Tail {
            stop,
            thread: Some(thread),
        })
    }

    pub(crate) fn stop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
