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

/// Writes `changes` to the outbox, in the transaction of the write that made them.
pub(crate) fn record(
    connection: &Connection,
    origin: i64,
    changes: &[Change],
) -> Result<(), StoreError> {
    if changes.is_empty() {
        return Ok(());
    }
    let mut insert = connection
        .prepare_cached("INSERT INTO changes (at_ms, origin, change) VALUES (?1, ?2, ?3)")?;
    let at = now_ms();
    for change in changes {
        let text = serde_json::to_string(change).map_err(|e| StoreError::Backend(Box::new(e)))?;
        insert.execute(params![at, origin, text])?;
    }
    Ok(())
}

/// Deletes the outbox rows before `through` (a sequence number reached at least
/// [`OUTBOX_RETENTION`] ago; 0: none) and returns the newest number now, the next mark. The row
/// `through` itself stays, so the largest number never goes and numbers are never reused.
pub(crate) fn prune(connection: &Connection, through: i64) -> Result<i64, StoreError> {
    if through > 0 {
        connection.execute("DELETE FROM changes WHERE seq < ?1", [through])?;
    }
    Ok(
        connection.query_row("SELECT COALESCE(MAX(seq), 0) FROM changes", [], |r| {
            r.get(0)
        })?,
    )
}

/// Where pruning has got to: the newest sequence number seen at each prune, with its time. A
/// number reached more than [`OUTBOX_RETENTION`] ago bounds the rows that may go.
#[derive(Default)]
pub(crate) struct PruneMarks(std::collections::VecDeque<(i64, i64)>);

impl PruneMarks {
    /// The newest number reached before `now_ms - retention`, forgotten once used (0: none).
    pub(crate) fn due(&mut self, now_ms: i64) -> i64 {
        let cutoff = now_ms - i64::try_from(OUTBOX_RETENTION.as_millis()).unwrap_or(i64::MAX);
        let mut through = 0;
        while let Some(&(at, seq)) = self.0.front() {
            if at > cutoff {
                break;
            }
            through = seq;
            self.0.pop_front();
        }
        through
    }

    pub(crate) fn mark(&mut self, now_ms: i64, seq: i64) {
        self.0.push_back((now_ms, seq));
    }
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
        .filter_map(|(seq, text)| {
            let change = serde_json::from_str(&text)
                .inspect_err(
                    |e| tracing::error!(seq, error = %e, "unreadable change in the outbox"),
                )
                .ok()?;
            Some((u64::try_from(seq).unwrap_or(0), change))
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
    let newest: i64 = tx.query_row("SELECT COALESCE(MAX(seq), 0) FROM changes", [], |r| {
        r.get(0)
    })?;
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
    let changes = rows
        .into_iter()
        .filter_map(|(seq, text)| {
            serde_json::from_str(&text)
                .inspect_err(
                    |e| tracing::error!(seq, error = %e, "unreadable change in the outbox"),
                )
                .ok()
        })
        .collect();
    Ok((u64::try_from(reached).unwrap_or(0), changes))
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
                while !stopping.load(Ordering::Acquire) {
                    std::thread::sleep(TAIL_INTERVAL);
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
