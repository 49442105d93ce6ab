//! The PostgreSQL store, for several rognito nodes sharing one database.
//!
//! Driver: `tokio-postgres` with `deadpool-postgres` for the pool (chosen over sqlx: rognito's
//! SQL is a fixed set of short statements, which tokio-postgres prepares once per connection
//! and pipelines; sqlx's compile-time checking would need a database at build time, and its
//! pool and runtime layers add nothing here). TLS to the database is rustls (`tls.rs`).
//!
//! Each write is one transaction at READ COMMITTED (CreateResourceServer: one statement, or a
//! share of a group's transaction, see `group.rs`), run on a spawned task so that once it has
//! started it finishes even if its caller goes away (as SQLite's queued writes do). It commits
//! with `synchronous_commit` as the server has it (on by default: the commit record is flushed
//! to the WAL before COMMIT returns); rognito answers only after COMMIT returned. Quotas are
//! conditional UPDATEs of counter rows, or row locks (`FOR UPDATE`) where a count must be read
//! first, so they hold across nodes. A serialization failure, a deadlock, or a connection lost
//! before COMMIT was sent is retried with bounded back-off ([`MAX_ATTEMPTS`]); a connection lost
//! during COMMIT is reported as `StoreError::Commit` (its outcome is unknown, so it is never
//! retried).

mod clients;
mod domains;
mod feed;
mod group;
mod identities;
mod limits;
mod migrations;
mod pools;
mod resource_servers;
mod tls;
mod users;

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use deadpool_postgres::{ClientWrapper, Manager, ManagerConfig, Object, Pool, RecyclingMethod};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Row, Statement};

use crate::changes::Listeners;
use crate::{Change, SealedSample, ServerStore, StoreError};

pub use tls::PostgresUrl;

/// How a PostgreSQL store is reached and paced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostgresOptions {
    /// `postgres://user[:password]@host[:port]/database[?sslmode=...&sslrootcert=FILE]`.
    pub url: PostgresUrl,
    /// Connections this process keeps open at most.
    pub max_connections: usize,
    /// How often the change feed's tail reads the outbox when no notification woke it: the
    /// bound on how late another node's change can arrive if notifications are lost.
    pub poll_interval: Duration,
}

impl PostgresOptions {
    /// Defaults: 16 connections, a 1 s poll.
    pub fn new(url: PostgresUrl) -> Self {
        PostgresOptions {
            url,
            max_connections: 16,
            poll_interval: DEFAULT_POLL_INTERVAL,
        }
    }
}

/// The tail's poll interval unless configured.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(1);

/// How many times a write is tried when PostgreSQL reports a serialization failure or a
/// deadlock, or the connection was lost before COMMIT.
pub const MAX_ATTEMPTS: u32 = 6;

/// How long a request waits for a connection, or for a new one to be made, before failing (the
/// database is unreachable or overloaded: fail fast rather than hold the request).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// A server whose last heartbeat is older than this no longer counts as a node of the cluster.
pub const NODE_TIMEOUT: Duration = Duration::from_secs(3);

/// The notification channel every write notifies and every tail listens on.
const CHANNEL: &str = "rognito_changes";

pub struct PostgresStore {
    pool: Pool,
    connect: Arc<tls::Connect>,
    origin: i64,
    listeners: Arc<Listeners>,
    /// Where the tail starts: every transaction below it had finished when the store opened.
    start: i64,
    poll_interval: Duration,
    tail: Mutex<Option<feed::Tail>>,
    /// Servers sharing the database, counted by the heartbeat (see [`NODE_TIMEOUT`]).
    nodes: Arc<std::sync::atomic::AtomicUsize>,
    /// Whether the heartbeat and the change feed's last reads got an answer.
    reachable: Arc<std::sync::atomic::AtomicBool>,
    /// Poked after every committed write with changes: wakes the task that notifies the other
    /// nodes (see `feed::notify_others`).
    notifier: Arc<tokio::sync::Notify>,
    /// Ends the notifying task (at close).
    stop_notifying: tokio::sync::watch::Sender<bool>,
    /// Creates of resource servers, committed in groups (`group.rs`).
    creates: group::Creates,
}

impl PostgresStore {
    /// Connects, brings the schema up to date (once, under an advisory lock, however many nodes
    /// start together) and notes where this node's change feed starts.
    ///
    /// Errors: `StoreError::Open` naming the server (never the password) and the reason.
    pub async fn open(options: &PostgresOptions) -> Result<Self, StoreError> {
        let connect = Arc::new(tls::Connect::new(&options.url)?);
        let manager = Manager::from_config(
            connect.config.clone(),
            connect.tls.clone(),
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(options.max_connections.max(2))
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .wait_timeout(Some(CONNECT_TIMEOUT))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .recycle_timeout(Some(CONNECT_TIMEOUT))
            .build()
            .map_err(|e| StoreError::Open(e.to_string()))?;
        let open_error = |e: StoreError| StoreError::Open(e.to_string());
        let mut client = pool
            .get()
            .await
            .map_err(|e| StoreError::Open(format!("cannot connect: {}", pool_error_text(&e))))?;
        migrations::apply(&mut client).await.map_err(open_error)?;
        let start = feed::horizon(&client).await.map_err(open_error)? - 1;
        drop(client);
        let notifier = Arc::new(tokio::sync::Notify::new());
        let (stop_notifying, stopped) = tokio::sync::watch::channel(false);
        tokio::spawn(feed::notify_others(
            connect.clone(),
            notifier.clone(),
            stopped,
        ));
        let (origin, listeners) = (crate::changes::origin_number(), Arc::<Listeners>::default());
        let creates = group::Creates::start(group::Writer {
            pool: pool.clone(),
            origin,
            listeners: listeners.clone(),
            notifier: notifier.clone(),
        });
        Ok(PostgresStore {
            notifier,
            stop_notifying,
            creates,
            pool,
            connect,
            origin,
            listeners,
            start,
            poll_interval: options.poll_interval,
            tail: Mutex::new(None),
            nodes: Arc::new(std::sync::atomic::AtomicUsize::new(1)),
            reachable: Arc::new(std::sync::atomic::AtomicBool::new(true)),
        })
    }

    /// A pooled connection, for reads.
    pub(crate) async fn client(&self) -> Result<Object, StoreError> {
        self.pool.get().await.map_err(pool_failure)
    }

    /// Runs `f` in a transaction and commits it, retrying as [`MAX_ATTEMPTS`] says. The changes
    /// `f` records on its `Tx` go to the outbox in the same transaction and, once it commits,
    /// to this process's listeners, before this returns. Runs on its own task: a write that
    /// started completes even if the caller stops waiting.
    pub(crate) async fn write<T, F, Fut>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: Fn(Arc<Tx>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<T, StoreError>> + Send + 'static,
    {
        let (pool, origin, listeners) = (self.pool.clone(), self.origin, self.listeners.clone());
        let notifier = self.notifier.clone();
        tokio::spawn(async move {
            let mut retries = Retries::new();
            loop {
                match write_once(&pool, origin, &listeners, &f).await {
                    Ok((value, changes)) => {
                        if !changes.is_empty() {
                            notifier.notify_one();
                        }
                        listeners.publish(&changes);
                        return Ok(value);
                    }
                    Err(e) if retries.left() && is_retryable(&e) => retries.wait(&e).await,
                    Err(e) => return Err(e),
                }
            }
        })
        .await
        .map_err(|_| StoreError::Closed)?
    }
}

/// A write that is one statement, run on its own (autocommit: the statement is its
/// transaction), so a create costs one round trip and holds its row locks only while the
/// statement runs and its commit is flushed. The statement records its own outbox row: its
/// text holds `{outbox}` where [`OUTBOX_CTE`] goes (a CTE reading from a CTE named `done`, the
/// rows that changed), numbered after the parameters given. `changes` are what the statement
/// made if it returned rows.
pub(crate) struct OneStatement {
    pub sql: String,
    pub params: Vec<Box<dyn ToSql + Send + Sync>>,
    pub changes: Vec<Change>,
}

/// The outbox row of a [`OneStatement`] write: one row if the CTE `done` has any, numbered by
/// the transaction's id like every outbox row (see `feed.rs`). `{at}` `{origin}` `{change}`
/// are replaced by the parameter numbers.
pub(crate) const OUTBOX_CTE: &str = "recorded AS (INSERT INTO changes (seq, at_ms, origin, change) \
     SELECT pg_current_xact_id()::text::bigint, ${at}, ${origin}, ${change} \
     WHERE EXISTS (SELECT 1 FROM done))";

impl OneStatement {
    /// `sql` with `{outbox}` replaced by the outbox CTE, numbered after `params`.
    pub(crate) fn new(
        sql: &str,
        params: Vec<Box<dyn ToSql + Send + Sync>>,
        changes: Vec<Change>,
    ) -> Self {
        let n = params.len();
        let outbox = OUTBOX_CTE
            .replace("{at}", &(n + 1).to_string())
            .replace("{origin}", &(n + 2).to_string())
            .replace("{change}", &(n + 3).to_string());
        OneStatement {
            sql: sql.replace("{outbox}", &outbox),
            params,
            changes,
        }
    }
}

impl PostgresStore {
    /// Runs a [`OneStatement`] write: its rows. If it returned any, its changes are in the
    /// outbox and, before this returns, published to this process's listeners. A
    /// serialization failure or a deadlock (the statement rolled back) is retried as for
    /// [`PostgresStore::write`]; so is a connection found closed before the statement was sent.
    /// A connection lost while it ran, a statement timeout or a FATAL error leave the outcome
    /// unknown: `StoreError::Commit`, never retried.
    pub(crate) async fn write_one(&self, write: OneStatement) -> Result<Vec<Row>, StoreError> {
        let (pool, origin, listeners) = (self.pool.clone(), self.origin, self.listeners.clone());
        let notifier = self.notifier.clone();
        tokio::spawn(async move {
            let text = serde_json::to_string(&write.changes)
                .map_err(|e| StoreError::Backend(Box::new(e)))?;
            let outbox: [Box<dyn ToSql + Send + Sync>; 3] = [
                Box::new(crate::now_ms()),
                Box::new(crate::changes::row_origin(origin, &write.changes)),
                Box::new(text),
            ];
            let params: Vec<&(dyn ToSql + Sync)> = write
                .params
                .iter()
                .chain(outbox.iter())
                .map(|p| p.as_ref() as &(dyn ToSql + Sync))
                .collect();
            let mut retries = Retries::new();
            loop {
                let client = pool.get().await.map_err(pool_failure)?;
                if client.is_closed() {
                    // Its peer went away while it idled (a database restart): nothing was sent.
                    drop(Object::take(client));
                    if retries.left() {
                        retries.wait(&StoreError::Closed).await;
                        continue;
                    }
                    return Err(StoreError::Closed);
                }
                match client.rows(&write.sql, &params).await {
                    Ok(rows) => {
                        if !rows.is_empty() && !write.changes.is_empty() {
                            notifier.notify_one();
                            listeners.publish(&write.changes);
                        }
                        return Ok(rows);
                    }
                    Err(e) if retries.left() && is_rolled_back(&e) => retries.wait(&e).await,
                    Err(e) => {
                        if refused_by_server(&e) && !client.is_closed() {
                            // PostgreSQL refused it with an ERROR: nothing was written.
                            return Err(e);
                        }
                        // A timeout, a lost connection, a FATAL error (the server going
                        // down, perhaps after the commit): it may have been made. This node's
                        // caches drop what it would have changed (harmless if not).
                        drop(Object::take(client));
                        listeners.publish(&write.changes);
                        return Err(StoreError::Commit(e.to_string()));
                    }
                }
            }
        })
        .await
        .map_err(|_| StoreError::Closed)?
    }
}

/// One try of a write: BEGIN, `f`, the outbox row and its notification, COMMIT. On any error
/// before COMMIT the transaction is rolled back (or, if that fails, its connection discarded),
/// so no connection goes back to the pool inside a transaction.
async fn write_once<T, F, Fut>(
    pool: &Pool,
    origin: i64,
    listeners: &Listeners,
    f: &F,
) -> Result<(T, Vec<Change>), StoreError>
where
    F: Fn(Arc<Tx>) -> Fut,
    Fut: Future<Output = Result<T, StoreError>>,
{
    let client = pool.get().await.map_err(pool_failure)?;
    if let Err(e) = bounded(async { Ok(client.batch_execute("BEGIN").await?) }).await {
        drop(Object::take(client));
        return Err(e);
    }
    let tx = Arc::new(Tx {
        client,
        changes: Mutex::default(),
    });
    let result = f(tx.clone()).await;
    let Ok(Tx { client, changes }) = Arc::try_unwrap(tx) else {
        // `f` kept its handle (it cannot: the future holding it has completed).
        return Err(StoreError::Backend("a write kept its transaction".into()));
    };
    let changes = changes.into_inner().unwrap_or_default();
    // Before the row and COMMIT are sent together (see `feed::prepare_record`).
    let result = match result {
        Ok(value) if !changes.is_empty() => feed::prepare_record(&client).await.map(|()| value),
        other => other,
    };
    let value = match result {
        Ok(value) => value,
        Err(e) => {
            // A connection that cannot roll back (or that a timed-out statement left busy) is
            // not given back to the pool.
            let rolled_back = bounded(async { Ok(client.batch_execute("ROLLBACK").await?) }).await;
            if rolled_back.is_err() || is_timeout(&e) {
                drop(Object::take(client));
            }
            return Err(e);
        }
    };
    // The outbox row and COMMIT go out together (one round trip, the row lock `f` may hold
    // released one round trip sooner). Should the row fail, PostgreSQL answers the COMMIT of
    // the failed transaction with a rollback: the row's error is what counts.
    // `biased`: the row is sent before COMMIT (it is prepared, above, so at its first poll).
    let (recorded, committed) = tokio::join!(
        biased;
        feed::record(&client, origin, &changes),
        bounded(async { Ok(client.batch_execute("COMMIT").await?) })
    );
    match (recorded, committed) {
        (Ok(()), Ok(())) => Ok((value, changes)),
        (Err(e), Ok(())) => {
            if is_timeout(&e) {
                drop(Object::take(client));
            }
            Err(e)
        }
        (_, Err(e)) => {
            // The outcome is unknown (the commit may have been made): never retried. This
            // node's caches drop what it would have changed (the tail skips this node's own
            // outbox rows; dropping entries is harmless if nothing changed).
            drop(Object::take(client));
            listeners.publish(&changes);
            Err(StoreError::Commit(e.to_string()))
        }
    }
}

/// A write's transaction: the connection it runs on (derefs to it) and the changes it records.
pub(crate) struct Tx {
    client: Object,
    changes: Mutex<Vec<Change>>,
}

impl Tx {
    /// Records that this write made `change` (published only if it commits).
    pub(crate) fn changed(&self, change: Change) {
        if let Ok(mut changes) = self.changes.lock() {
            changes.push(change);
        }
    }
}

impl std::ops::Deref for Tx {
    type Target = ClientWrapper;

    fn deref(&self) -> &ClientWrapper {
        &self.client
    }
}

/// Parameters of a statement.
pub(crate) type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

/// Statements through the connection's statement cache (prepared once per connection).
pub(crate) trait Sql: Sync {
    fn statement(
        &self,
        sql: &str,
    ) -> impl Future<Output = Result<Statement, tokio_postgres::Error>> + Send;

    /// Executes a statement; the number of rows it touched.
    fn run(
        &self,
        sql: &str,
        params: Params<'_>,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// The one row a statement returns, if any.
    fn row(
        &self,
        sql: &str,
        params: Params<'_>,
    ) -> impl Future<Output = Result<Option<Row>, StoreError>> + Send;

    /// Every row a statement returns.
    fn rows(
        &self,
        sql: &str,
        params: Params<'_>,
    ) -> impl Future<Output = Result<Vec<Row>, StoreError>> + Send;

    /// Whether a statement returns any row.
    fn exists(
        &self,
        sql: &str,
        params: Params<'_>,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send {
        async move { Ok(self.row(sql, params).await?.is_some()) }
    }
}

impl Sql for ClientWrapper {
    async fn statement(&self, sql: &str) -> Result<Statement, tokio_postgres::Error> {
        self.prepare_cached(sql).await
    }

    async fn run(&self, sql: &str, params: Params<'_>) -> Result<u64, StoreError> {
        bounded(async {
            let statement = self.statement(sql).await?;
            Ok(self.execute(&statement, params).await?)
        })
        .await
    }

    async fn row(&self, sql: &str, params: Params<'_>) -> Result<Option<Row>, StoreError> {
        bounded(async {
            let statement = self.statement(sql).await?;
            Ok(self.query_opt(&statement, params).await?)
        })
        .await
    }

    async fn rows(&self, sql: &str, params: Params<'_>) -> Result<Vec<Row>, StoreError> {
        bounded(async {
            let statement = self.statement(sql).await?;
            Ok(self.query(&statement, params).await?)
        })
        .await
    }
}

/// How long one statement may take before rognito gives up on it: the database is unreachable
/// (a connection whose peer vanished answers nothing until TCP gives up, minutes later), or
/// overloaded. rognito's statements touch a handful of rows each.
pub const STATEMENT_TIMEOUT: Duration = Duration::from_secs(5);

/// Runs a statement within [`STATEMENT_TIMEOUT`].
async fn bounded<T>(
    statement: impl Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    tokio::time::timeout(STATEMENT_TIMEOUT, statement)
        .await
        .unwrap_or_else(|_| {
            Err(StoreError::Backend(
                format!(
                    "PostgreSQL did not answer within {} s",
                    STATEMENT_TIMEOUT.as_secs()
                )
                .into(),
            ))
        })
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        StoreError::Backend(Box::new(e))
    }
}

/// The driver's error inside a `StoreError`, if it holds one.
fn driver_error(e: &StoreError) -> Option<&tokio_postgres::Error> {
    match e {
        StoreError::Backend(inner) => inner.downcast_ref::<tokio_postgres::Error>(),
        _ => None,
    }
}

/// Whether `e` is a statement that ran out of [`STATEMENT_TIMEOUT`].
fn is_timeout(e: &StoreError) -> bool {
    matches!(e, StoreError::Backend(inner) if inner.to_string().contains("did not answer within"))
}

/// Whether PostgreSQL refused `e` as a duplicate key.
pub(crate) fn is_unique_violation(e: &StoreError) -> bool {
    driver_error(e).and_then(tokio_postgres::Error::code) == Some(&SqlState::UNIQUE_VIOLATION)
}

/// Whether `e` refers to a row that is gone (a foreign key with no parent).
pub(crate) fn is_missing_parent(e: &StoreError) -> bool {
    driver_error(e).and_then(tokio_postgres::Error::code) == Some(&SqlState::FOREIGN_KEY_VIOLATION)
}

/// Whether a write that failed with `e` before COMMIT may be tried again: it was a
/// serialization failure or a deadlock (PostgreSQL rolled it back), or the connection was lost
/// (the server rolls back what a lost connection had begun).
fn is_retryable(e: &StoreError) -> bool {
    is_rolled_back(e) || driver_error(e).is_some_and(tokio_postgres::Error::is_closed)
}

/// Whether PostgreSQL refused a statement with an ERROR (it then rolls the statement, and its
/// transaction, back; a FATAL error ends the session, perhaps after a commit).
pub(crate) fn refused_by_server(e: &StoreError) -> bool {
    driver_error(e)
        .and_then(tokio_postgres::Error::as_db_error)
        .is_some_and(|db| db.severity() == "ERROR")
}

/// Whether PostgreSQL rolled a statement back as a serialization failure or a deadlock.
fn is_rolled_back(e: &StoreError) -> bool {
    matches!(
        driver_error(e).and_then(tokio_postgres::Error::code),
        Some(&SqlState::T_R_SERIALIZATION_FAILURE) | Some(&SqlState::T_R_DEADLOCK_DETECTED)
    )
}

/// The tries of one write: [`MAX_ATTEMPTS`] in all, with a doubling, jittered wait (2 ms up
/// to 250 ms) before each retry.
struct Retries {
    attempt: u32,
    backoff: Duration,
}

impl Retries {
    fn new() -> Self {
        Retries {
            attempt: 1,
            backoff: Duration::from_millis(2),
        }
    }

    /// Whether a try is left after this one.
    fn left(&self) -> bool {
        self.attempt < MAX_ATTEMPTS
    }

    /// Waits before the next try (this one failed with `e`).
    async fn wait(&mut self, e: &StoreError) {
        tracing::debug!(error = %e, attempt = self.attempt, "retrying a write");
        tokio::time::sleep(jitter(self.backoff)).await;
        self.backoff = (self.backoff * 2).min(Duration::from_millis(250));
        self.attempt += 1;
    }
}

/// `d` less a random part of up to half of it, so retries of writes that collided spread out.
fn jitter(d: Duration) -> Duration {
    use std::hash::{BuildHasher, Hasher};
    // RandomState's keys are random per instance: enough to spread retries (not for secrets).
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u8(0);
    let random = hasher.finish() % 1024;
    d.mul_f64(0.5 + random as f64 / 2048.0)
}

fn pool_error_text(e: &deadpool_postgres::PoolError) -> String {
    match e {
        deadpool_postgres::PoolError::Timeout(_) => {
            format!("no connection within {} s", CONNECT_TIMEOUT.as_secs())
        }
        deadpool_postgres::PoolError::Backend(e) => crate::error::with_causes(e),
        other => other.to_string(),
    }
}

fn pool_failure(e: deadpool_postgres::PoolError) -> StoreError {
    match e {
        deadpool_postgres::PoolError::Closed => StoreError::Closed,
        deadpool_postgres::PoolError::Backend(e) => StoreError::Backend(Box::new(e)),
        other => StoreError::Backend(pool_error_text(&other).into()),
    }
}

/// Locks a pool's row for an update of what is in it. Every write in a pool takes this lock
/// before any row of the pool's records (creates by updating the pool's counters, deletes here,
/// a pool delete with `FOR UPDATE`): one order, so writes in one pool queue rather than
/// deadlock. False when there is no such pool.
pub(crate) async fn lock_pool(c: &Tx, user_pool_id: &str) -> Result<bool, StoreError> {
    c.exists(
        "SELECT 1 FROM user_pools WHERE id = $1 FOR NO KEY UPDATE",
        &[&user_pool_id],
    )
    .await
}

/// `u64` quotas as SQL integers (a quota beyond i64 is no quota).
pub(crate) fn quota(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// An id column as its model type.
pub(crate) fn id_at<T: From<String>>(row: &Row, column: usize) -> Result<T, StoreError> {
    Ok(T::from(row.try_get::<_, String>(column)?))
}

#[async_trait]
impl ServerStore for PostgresStore {
    async fn server_setting(
        &self,
        name: &str,
        init: &(dyn Fn() -> Vec<u8> + Send + Sync),
    ) -> Result<Vec<u8>, StoreError> {
        let name = name.to_owned();
        let fresh = init();
        self.write(move |c| {
            let (name, fresh) = (name.clone(), fresh.clone());
            async move {
                // Under READ COMMITTED a concurrent insert of the same name makes this wait for
                // it and do nothing; the SELECT (a new snapshot) then reads the winner's value.
                c.run(
                    "INSERT INTO server_settings (name, value) VALUES ($1, $2) \
                     ON CONFLICT DO NOTHING",
                    &[&name, &fresh],
                )
                .await?;
                let row = c
                    .row(
                        "SELECT value FROM server_settings WHERE name = $1",
                        &[&name],
                    )
                    .await?
                    .ok_or(StoreError::Conflict)?;
                Ok(row.try_get::<_, Vec<u8>>(0)?)
            }
        })
        .await
    }

    async fn setting(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let c = self.client().await?;
        c.row(
            "SELECT value FROM server_settings WHERE name = $1",
            &[&name],
        )
        .await?
        .map(|r| r.try_get::<_, Vec<u8>>(0).map_err(StoreError::from))
        .transpose()
    }

    async fn sealed_sample(&self) -> Result<Option<SealedSample>, StoreError> {
        let c = self.client().await?;
        let first = async |sql: &str| -> Result<Option<(String, Vec<u8>)>, StoreError> {
            match c.row(sql, &[]).await? {
                Some(r) => Ok(Some((r.try_get(0)?, r.try_get(1)?))),
                None => Ok(None),
            }
        };
        if let Some((access_key_id, sealed)) =
            first("SELECT access_key_id, secret FROM access_keys LIMIT 1").await?
        {
            return Ok(Some(SealedSample::AccessKey {
                access_key_id,
                sealed,
            }));
        }
        if let Some((client_id, sealed)) =
            first("SELECT client_id, ciphertext FROM client_secrets LIMIT 1").await?
        {
            return Ok(Some(SealedSample::ClientSecret { client_id, sealed }));
        }
        Ok(first("SELECT kid, private_key FROM signing_keys LIMIT 1")
            .await?
            .map(|(kid, sealed)| SealedSample::SigningKey { kid, sealed }))
    }

    async fn close(&self) {
        let tail = self.tail.lock().ok().and_then(|mut t| t.take());
        if let Some(tail) = tail {
            tail.stop().await;
            // Leave the cluster now rather than when the heartbeat times out.
            if let Ok(c) = self.client().await {
                let _ = c
                    .run("DELETE FROM nodes WHERE origin = $1", &[&self.origin])
                    .await;
            }
        }
        let _ = self.stop_notifying.send(true);
        self.pool.close();
    }

    fn live_nodes(&self) -> Arc<std::sync::atomic::AtomicUsize> {
        self.nodes.clone()
    }

    fn reachable(&self) -> bool {
        self.reachable.load(std::sync::atomic::Ordering::Relaxed)
    }
}

#[async_trait]
impl crate::ChangeStore for PostgresStore {
    fn subscribe(&self, listener: Arc<dyn crate::ChangeListener>) -> Result<(), StoreError> {
        self.listeners.add(listener);
        let mut tail = self.tail.lock().map_err(|_| StoreError::Closed)?;
        if tail.is_none() {
            *tail = Some(feed::Tail::start(feed::TailSetup {
                pool: self.pool.clone(),
                connect: self.connect.clone(),
                origin: self.origin,
                listeners: self.listeners.clone(),
                start: self.start,
                poll_interval: self.poll_interval,
                nodes: self.nodes.clone(),
                reachable: self.reachable.clone(),
            }));
        }
        Ok(())
    }

    async fn changes_after(
        &self,
        after: u64,
        limit: u32,
    ) -> Result<Vec<(u64, Change)>, StoreError> {
        let c = self.client().await?;
        feed::rows_after(&c, after, limit).await
    }
}
