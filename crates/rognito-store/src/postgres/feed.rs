//! PostgreSQL's side of the change feed: the outbox row a write adds, the notification its node
//! sends after the commit, and the tail that reads other nodes' rows.
//!
//! Rows are numbered by their transaction's id, and read only below the horizon (the oldest
//! transaction still running, `pg_snapshot_xmin`): every transaction below it has finished, so
//! the part of the outbox a tail has read never grows a row later (see the migration's comment).
//! After each write commits, its node notifies [`CHANNEL`], which wakes every tail at once (a
//! burst of writes shares notifications); a tail also reads
//! every poll interval, so a lost notification (a dropped listening connection, a restart)
//! delays a change by at most that interval and never loses it. A tail whose database was
//! unreachable publishes `Change::Everything` when it comes back (every cache starts afresh) and
//! resumes from the last row it applied.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use deadpool_postgres::{ClientWrapper, Pool};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use tokio_postgres::AsyncMessage;

use super::{CHANNEL, Sql as _, tls::Connect};
use crate::changes::{Change, Listeners, OUTBOX_RETENTION, row_origin};
use crate::{StoreError, now_ms};

/// Rows a tail reads at most per query.
const BATCH: i64 = 1000;

/// How soon a tail reads again when a batch was full.
const AGAIN: Duration = Duration::from_millis(5);

/// How long a read of the outbox may take before the database counts as unreachable.
const READ_TIMEOUT: Duration = Duration::from_secs(2);

/// How often a node prunes the outbox.
const PRUNE_EVERY: Duration = Duration::from_secs(60);

/// The horizon: the oldest transaction id still running (every id below it has finished).
pub(crate) async fn horizon(c: &ClientWrapper) -> Result<i64, StoreError> {
    let row = c
        .row(
            "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint",
            &[],
        )
        .await?
        .ok_or(StoreError::Conflict)?;
    Ok(row.try_get(0)?)
}

/// Writes a write's changes to the outbox as one row numbered by its transaction. The other
/// nodes are notified after the commit, by [`notify_others`]: a transaction that notifies takes
/// a database-wide lock through its commit's WAL flush, so notifying inside every write would
/// make writes take turns for the whole flush (measured: half the insert rate).
pub(crate) async fn record(
    c: &ClientWrapper,
    origin: i64,
    changes: &[Change],
) -> Result<(), StoreError> {
    if changes.is_empty() {
        return Ok(());
    }
    let origin = row_origin(origin, changes);
    let text = serde_json::to_string(changes).map_err(|e| StoreError::Backend(Box::new(e)))?;
    c.run(RECORD, &[&now_ms(), &origin, &text]).await?;
    Ok(())
}

/// The statement [`record`] runs.
const RECORD: &str = "INSERT INTO changes (seq, at_ms, origin, change) \
     VALUES (pg_current_xact_id()::text::bigint, $1, $2, $3)";

/// Prepares [`record`]'s statement on `c` (nothing to do after its first use on `c`): sent
/// together with COMMIT, the row must not wait for a prepare's answer, or COMMIT would reach
/// the server before it and the row would be written after the transaction, on its own.
pub(crate) async fn prepare_record(c: &ClientWrapper) -> Result<(), StoreError> {
    super::bounded(async { Ok(c.statement(RECORD).await.map(drop)?) }).await
}

/// Notifies every node's tail once per poke of `poked`, outside any write and on a connection
/// of its own (not the pool's, which a write load keeps busy): pokes that arrive while a
/// notification is being sent are answered by one more, so a burst of writes costs a few
/// notifications, not one each. The connection runs with `synchronous_commit = off`: a
/// notification is a hint (the poll finds the change anyway), so it need not wait for a WAL
/// flush. Ends when `stopped` says so.
pub(crate) async fn notify_others(
    connect: Arc<Connect>,
    poked: Arc<Notify>,
    mut stopped: watch::Receiver<bool>,
) {
    let mut connection: Option<tokio_postgres::Client> = None;
    loop {
        tokio::select! {
            () = poked.notified() => {}
            _ = stopped.changed() => return,
        }
        if connection
            .as_ref()
            .is_none_or(tokio_postgres::Client::is_closed)
        {
            connection = match connect.config.connect(connect.tls.clone()).await {
                Ok((client, driver)) => {
                    tokio::spawn(driver);
                    match client.batch_execute("SET synchronous_commit = off").await {
                        Ok(()) => Some(client),
                        Err(_) => None,
                    }
                }
                Err(e) => {
                    // The other nodes' polls still find the change, within their interval.
                    tracing::debug!(error = %e, "cannot notify the other nodes");
                    None
                }
            };
        }
        if let Some(client) = &connection {
            let sent = tokio::time::timeout(
                super::STATEMENT_TIMEOUT,
                client.execute("SELECT pg_notify($1, '')", &[&CHANNEL]),
            )
            .await;
            if !matches!(sent, Ok(Ok(_))) {
                connection = None;
            }
        }
    }
}

/// Committed outbox rows after `after`, in transaction order (which is commit order for writes
/// that did not overlap). Unlike the tail, this does not stop at the horizon: it shows what is
/// committed now, and its numbers are not a position to resume a tail from.
pub(crate) async fn rows_after(
    c: &ClientWrapper,
    after: u64,
    limit: u32,
) -> Result<Vec<(u64, Change)>, StoreError> {
    let rows = c
        .rows(
            "SELECT seq, change FROM changes WHERE seq > $1 ORDER BY seq LIMIT $2",
            &[&i64::try_from(after).unwrap_or(i64::MAX), &i64::from(limit)],
        )
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let seq: i64 = row.try_get(0)?;
        let text: String = row.try_get(1)?;
        let seq = u64::try_from(seq).unwrap_or(0);
        out.extend(decode(seq, &text).into_iter().map(|c| (seq, c)));
    }
    Ok(out)
}

/// The changes of one outbox row; a row this version cannot read (written by a newer rognito)
/// is logged and skipped.
fn decode(seq: u64, text: &str) -> Vec<Change> {
    serde_json::from_str(text)
        .inspect_err(|e| tracing::error!(seq, error = %e, "unreadable change in the outbox"))
        .unwrap_or_default()
}

/// What one read of the outbox found.
struct Read {
    /// The position read up to.
    reached: i64,
    changes: Vec<Change>,
    /// A batch was full: read again soon.
    more: bool,
    /// Rows after the old position were pruned before this tail read them.
    missed: bool,
}

/// Other nodes' changes after `after`. The position moves only up to the horizon (below it no
/// row can appear later); rows above it that are committed (visible) are delivered at once all
/// the same, so a long transaction elsewhere in the cluster, which holds the horizon back, does
/// not hold changes back. `ahead` remembers those rows, so each is delivered once: when the
/// horizon passes them they are skipped.
async fn read(
    pool: &Pool,
    after: i64,
    origin: i64,
    ahead: &mut std::collections::BTreeSet<i64>,
) -> Result<Read, StoreError> {
    let c = pool.get().await.map_err(super::pool_failure)?;
    let below = horizon(&c).await?;
    let stable = c
        .rows(
            "SELECT seq, change FROM changes WHERE seq > $1 AND seq < $2 AND origin <> $3 \
             ORDER BY seq LIMIT $4",
            &[&after, &below, &origin, &BATCH],
        )
        .await?;
    let beyond_from = (below - 1).max(ahead.last().copied().unwrap_or(0));
    let beyond = c
        .rows(
            "SELECT seq, change FROM changes WHERE seq > $1 AND origin <> $2 \
             ORDER BY seq LIMIT $3",
            &[&beyond_from, &origin, &BATCH],
        )
        .await?;
    // Read after the rows: a prune between the two cannot then pass unnoticed.
    let pruned: i64 = c
        .row("SELECT through FROM changes_pruned", &[])
        .await?
        .map(|r| r.try_get(0))
        .transpose()?
        .unwrap_or(0);
    let stable_full = stable.len() as i64 == BATCH;
    let mut reached = after.max(below - 1);
    let mut changes = Vec::with_capacity(stable.len() + beyond.len());
    for row in &stable {
        let seq: i64 = row.try_get(0)?;
        if stable_full {
            reached = seq;
        }
        if ahead.remove(&seq) {
            continue;
        }
        let text: String = row.try_get(1)?;
        changes.extend(decode(u64::try_from(seq).unwrap_or(0), &text));
    }
    for row in &beyond {
        let seq: i64 = row.try_get(0)?;
        if seq > reached && ahead.insert(seq) {
            let text: String = row.try_get(1)?;
            changes.extend(decode(u64::try_from(seq).unwrap_or(0), &text));
        }
    }
    ahead.retain(|seq| *seq > reached);
    // A rate carries its value, and rows are read in transaction order, which is not always
    // commit order: deliver the rate in force now, so the newest committed one wins.
    for change in &mut changes {
        if let Change::ProvisionedLimit {
            account_id,
            category,
            value,
        } = change
            && let Some(row) = c
                .row(
                    "SELECT rate FROM provisioned_limits WHERE account_id = $1 AND category = $2",
                    &[&account_id.as_str(), &category.as_str()],
                )
                .await?
        {
            *value = u32::try_from(row.try_get::<_, i64>(0)?).unwrap_or(u32::MAX);
        }
    }
    Ok(Read {
        reached,
        changes,
        more: stable_full || beyond.len() as i64 == BATCH,
        missed: after < pruned,
    })
}

/// Deletes outbox rows older than [`OUTBOX_RETENTION`] and notes how far it deleted. Row
/// numbers rise with time (closely enough for a retention of an hour), so the boundary is found
/// by a binary search on the primary key rather than an index on time every write would pay for.
async fn prune(pool: &Pool) -> Result<(), StoreError> {
    let cutoff = now_ms() - i64::try_from(OUTBOX_RETENTION.as_millis()).unwrap_or(i64::MAX);
    let mut c = pool.get().await.map_err(super::pool_failure)?;
    let Some(range) = c.row("SELECT MIN(seq), MAX(seq) FROM changes", &[]).await? else {
        return Ok(());
    };
    let (Some(mut lo), Some(mut hi)): (Option<i64>, Option<i64>) =
        (range.try_get(0)?, range.try_get(1)?)
    else {
        return Ok(());
    };
    let at = async |c: &ClientWrapper, s: i64| -> Result<(i64, i64), StoreError> {
        let row = c
            .row(
                "SELECT seq, at_ms FROM changes WHERE seq >= $1 ORDER BY seq LIMIT 1",
                &[&s],
            )
            .await?
            .ok_or(StoreError::Conflict)?;
        Ok((row.try_get(0)?, row.try_get(1)?))
    };
    if at(&c, hi).await?.1 < cutoff {
        hi += 1;
    }
    // The first row (by number) not older than the cutoff.
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if at(&c, mid).await?.1 < cutoff {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    let keep_from = match at(&c, lo).await {
        Ok((seq, _)) => seq,
        Err(_) => lo,
    };
    let tx = c.transaction().await?;
    tx.execute("DELETE FROM changes WHERE seq < $1", &[&keep_from])
        .await?;
    tx.execute(
        "UPDATE changes_pruned SET through = GREATEST(through, $1)",
        &[&(keep_from - 1)],
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What a tail needs.
pub(crate) struct TailSetup {
    pub pool: Pool,
    pub connect: Arc<Connect>,
    pub origin: i64,
    pub listeners: Arc<Listeners>,
    /// The position to start after.
    pub start: i64,
    pub poll_interval: Duration,
    /// Where the heartbeat keeps the count of live nodes.
    pub nodes: Arc<AtomicUsize>,
    /// Whether the database answered the last heartbeat and read.
    pub reachable: Arc<AtomicBool>,
}

/// The tasks that follow other nodes' changes: one listens for notifications, one reads.
pub(crate) struct Tail {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Tail {
    pub(crate) fn start(setup: TailSetup) -> Tail {
        let (stop, stopped) = watch::channel(false);
        let wake = Arc::new(Notify::new());
        let listening = tokio::spawn(listen(setup.connect.clone(), wake.clone(), stopped.clone()));
        let beating = tokio::spawn(heartbeat(
            setup.pool.clone(),
            setup.origin,
            setup.nodes.clone(),
            setup.reachable.clone(),
            setup.listeners.clone(),
            stopped.clone(),
        ));
        let reading = tokio::spawn(follow(setup, wake, stopped));
        Tail {
            stop,
            tasks: vec![listening, beating, reading],
        }
    }

    pub(crate) async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// Reads the outbox whenever woken (or every poll interval) and hands other nodes' changes to
/// the listeners; prunes the outbox once a minute.
async fn follow(setup: TailSetup, wake: Arc<Notify>, mut stopped: watch::Receiver<bool>) {
    let mut last = setup.start;
    let mut ahead = std::collections::BTreeSet::new();
    let mut unreachable = false;
    let mut wait = setup.poll_interval;
    let mut pruned_at = Instant::now();
    loop {
        tokio::select! {
            () = wake.notified() => {}
            () = tokio::time::sleep(wait) => {}
            _ = stopped.changed() => return,
        }
        let outcome = tokio::time::timeout(
            READ_TIMEOUT,
            read(&setup.pool, last, setup.origin, &mut ahead),
        )
        .await
        .unwrap_or_else(|_| Err(StoreError::Backend("no answer from PostgreSQL".into())));
        match outcome {
            Ok(read) => {
                if unreachable || read.missed {
                    // What changed meanwhile (or in pruned rows) cannot all be named: every
                    // cache starts afresh.
                    tracing::warn!(
                        after = last,
                        "the change feed resumes after a gap: caches are dropped"
                    );
                    setup.listeners.publish(&[Change::Everything]);
                    if unreachable {
                        tracing::info!("PostgreSQL answers again");
                    }
                    unreachable = false;
                }
                setup.reachable.store(true, Ordering::Relaxed);
                setup.listeners.publish(&read.changes);
                last = read.reached;
                wait = if read.more {
                    AGAIN
                } else {
                    setup.poll_interval
                };
            }
            Err(e) => {
                setup.reachable.store(false, Ordering::Relaxed);
                if !unreachable {
                    // Other nodes may be changing what this one has cached, and it cannot
                    // learn of it: it drops its caches now, so every request reads the
                    // database (and fails while it cannot) rather than serve what may have
                    // been revoked.
                    tracing::error!(
                        error = %e,
                        "cannot read the change feed from PostgreSQL: caches are dropped \
                         until it answers again"
                    );
                    setup.listeners.publish(&[Change::Everything]);
                }
                unreachable = true;
                wait = setup.poll_interval.min(Duration::from_secs(1));
            }
        }
        if pruned_at.elapsed() >= PRUNE_EVERY {
            pruned_at = Instant::now();
            // Bounded: a database that stops answering must not stop the loop that drops caches.
            match tokio::time::timeout(READ_TIMEOUT * 5, prune(&setup.pool)).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "cannot prune the change feed's outbox"),
                Err(_) => tracing::warn!("pruning the change feed's outbox took too long"),
            }
        }
    }
}

/// Every second: records that this node is alive, and counts the nodes alive (seen within
/// [`NODE_TIMEOUT`]); forgets nodes silent for a minute. While the database cannot be reached
/// the count stays as it was.
async fn heartbeat(
    pool: Pool,
    origin: i64,
    nodes: Arc<AtomicUsize>,
    reachable: Arc<AtomicBool>,
    listeners: Arc<Listeners>,
    mut stopped: watch::Receiver<bool>,
) {
    let timeout = i64::try_from(super::NODE_TIMEOUT.as_millis()).unwrap_or(i64::MAX);
    loop {
        let beat = async {
            let c = pool.get().await.map_err(super::pool_failure)?;
            let now = now_ms();
            c.run(
                "INSERT INTO nodes (origin, seen_ms) VALUES ($1, $2) \
                 ON CONFLICT (origin) DO UPDATE SET seen_ms = excluded.seen_ms",
                &[&origin, &now],
            )
            .await?;
            let alive: i64 = c
                .row(
                    "SELECT COUNT(*) FROM nodes WHERE seen_ms > $1",
                    &[&(now - timeout)],
                )
                .await?
                .map(|r| r.try_get(0))
                .transpose()?
                .unwrap_or(1);
            c.run("DELETE FROM nodes WHERE seen_ms < $1", &[&(now - 60_000)])
                .await?;
            Ok::<_, StoreError>(usize::try_from(alive).unwrap_or(1).max(1))
        };
        let failure = match tokio::time::timeout(HEARTBEAT, beat).await {
            Ok(Ok(alive)) => {
                nodes.store(alive, Ordering::Relaxed);
                reachable.store(true, Ordering::Relaxed);
                None
            }
            Ok(Err(e)) => Some(e.to_string()),
            Err(_) => Some("the database did not answer within a second".to_owned()),
        };
        if let Some(failure) = failure
            && reachable.swap(false, Ordering::Relaxed)
        {
            // As the feed's reader does on failing: whatever is cached may have been revoked
            // by a node that still reaches the database. Whichever notices first drops it.
            tracing::error!(%failure, "no heartbeat from PostgreSQL: caches are dropped");
            listeners.publish(&[Change::Everything]);
        }
        tokio::select! {
            () = tokio::time::sleep(HEARTBEAT) => {}
            _ = stopped.changed() => return,
        }
    }
}

/// How often a node says it is alive.
const HEARTBEAT: Duration = Duration::from_secs(1);

/// Keeps a connection that listens on [`CHANNEL`], waking the reader on every notification
/// and whenever it (re)connects (notifications sent while it was not listening are lost).
async fn listen(connect: Arc<Connect>, wake: Arc<Notify>, mut stopped: watch::Receiver<bool>) {
    let mut backoff = Duration::from_millis(100);
    loop {
        if *stopped.borrow() {
            return;
        }
        let reason = match connect.config.connect(connect.tls.clone()).await {
            Ok((client, mut connection)) => {
                let notifications = async {
                    loop {
                        match std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                            Some(Ok(AsyncMessage::Notification(_))) => wake.notify_one(),
                            Some(Ok(_)) => {}
                            Some(Err(e)) => return e.to_string(),
                            None => return "the connection closed".to_owned(),
                        }
                    }
                };
                let mut notifications = std::pin::pin!(notifications);
                let listen = format!("LISTEN {CHANNEL}");
                let listening = tokio::select! {
                    reason = &mut notifications => Err(reason),
                    r = client.batch_execute(&listen) => r.map_err(|e| e.to_string()),
                };
                match listening {
                    Ok(()) => {
                        backoff = Duration::from_millis(100);
                        wake.notify_one();
                        tokio::select! {
                            reason = &mut notifications => reason,
                            _ = stopped.changed() => return,
                        }
                    }
                    Err(reason) => reason,
                }
            }
            Err(e) => e.to_string(),
        };
        tracing::debug!(%reason, "the change feed's notifications stopped; reconnecting");
        tokio::select! {
            () = tokio::time::sleep(backoff) => {}
            _ = stopped.changed() => return,
        }
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}
