//! Group commit. One thread owns the only writing connection. It takes every write queued while
//! the previous commit was being made durable, runs each in its own savepoint inside one
//! transaction, commits once (one fsync for the whole batch), and only then answers each caller.
//! A write is therefore acknowledged only after the fsync that covers it, and a write that fails
//! its own checks leaves nothing behind (its savepoint is rolled back) without affecting the
//! others in the batch.

use std::sync::mpsc;
use std::thread::JoinHandle;

use rusqlite::{Connection, Transaction, TransactionBehavior};
use tokio::sync::oneshot;

use crate::StoreError;

/// At most this many writes share one transaction.
const MAX_BATCH: usize = 512;

/// Delivers a staged write's result, given the batch's commit error (if any).
type Finish = Box<dyn FnOnce(Option<&str>) + Send>;

/// A write staged in the batch: `finish` delivers its result once the commit outcome is known.
struct Staged {
    finish: Finish,
}

type Job = Box<dyn FnOnce(&mut Transaction<'_>) -> Staged + Send>;

enum Message {
    Job(Job),
    /// Reads on the writer's connection (the only one in memory mode); no commit needed.
    Read(Box<dyn FnOnce(&Connection) + Send>),
    Stop,
}

pub struct Writer {
    queue: mpsc::Sender<Message>,
    thread: std::sync::Mutex<Option<JoinHandle<()>>>,
}

/// What runs once per batch, on the writer thread: `before_commit` after the batch's writes, in
/// the same transaction (the change feed writes the batch's outbox row there; an error rolls
/// the whole batch back); `after_commit` with whether it committed, before any caller is
/// answered (the change feed publishes the batch's changes there).
pub struct BatchHooks {
    pub before_commit: BeforeCommit,
    pub after_commit: Box<dyn FnMut(bool) + Send>,
}

/// See [`BatchHooks`].
pub type BeforeCommit = Box<dyn FnMut(&Connection) -> Result<(), StoreError> + Send>;

impl Writer {
    pub fn start(connection: Connection, hooks: BatchHooks) -> Self {
        let (queue, rx) = mpsc::channel::<Message>();
        let thread = std::thread::Builder::new()
            .name("rognito-sqlite-writer".into())
            .spawn(move || run(connection, &rx, hooks))
            .ok();
        Writer {
            queue,
            thread: std::sync::Mutex::new(thread),
        }
    }

    /// Runs `f` in a savepoint of the next batch; returns its result once the batch is durable
    /// (and the batch's `after_commit` hook has run).
    pub async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |transaction: &mut Transaction<'_>| {
            let result = match transaction.savepoint() {
                Ok(mut savepoint) => {
                    savepoint.set_drop_behavior(rusqlite::DropBehavior::Rollback);
                    let result = f(&savepoint);
                    if result.is_ok() {
                        savepoint.commit().map_err(StoreError::from).and(result)
                    } else {
                        result
                    }
                }
                Err(e) => Err(StoreError::from(e)),
            };
            Staged {
                finish: Box::new(move |commit_error| {
                    let outcome = match (commit_error, result) {
                        // A write that failed its own checks wrote nothing: its answer stands.
                        (_, Err(e)) => Err(e),
                        (None, Ok(v)) => Ok(v),
                        (Some(e), Ok(_)) => Err(StoreError::Commit(e.to_owned())),
                    };
                    let _ = tx.send(outcome);
                }),
            }
        });
        self.queue
            .send(Message::Job(job))
            .map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Runs a read on the writer's connection (for the in-memory database).
    pub async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let read = Box::new(move |connection: &Connection| {
            let _ = tx.send(f(connection));
        });
        self.queue
            .send(Message::Read(read))
            .map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Finishes the writes queued so far, then stops the thread; the connection closes with it
    /// (which checkpoints the WAL). Later calls fail with `StoreError::Closed`.
    pub fn close(&self) {
        let _ = self.queue.send(Message::Stop);
        if let Some(handle) = self.thread.lock().ok().and_then(|mut t| t.take()) {
            let _ = handle.join();
        }
    }
}

fn run(mut connection: Connection, rx: &mpsc::Receiver<Message>, mut hooks: BatchHooks) {
    let mut pending: Option<Message> = None;
    loop {
        let first = match pending.take() {
            Some(m) => m,
            None => match rx.recv() {
                Ok(m) => m,
                Err(_) => return,
            },
        };
        let mut jobs = match first {
            Message::Read(read) => {
                read(&connection);
                continue;
            }
            Message::Stop => return,
            Message::Job(job) => vec![job],
        };
        // Everything that queued up meanwhile joins this batch (until a read, kept for after).
        while jobs.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(Message::Job(job)) => jobs.push(job),
                Ok(other) => {
                    pending = Some(other);
                    break;
                }
                Err(_) => break,
            }
        }
        commit_batch(&mut connection, jobs, &mut hooks);
    }
}

fn commit_batch(connection: &mut Connection, jobs: Vec<Job>, hooks: &mut BatchHooks) {
    let mut transaction = match connection.transaction_with_behavior(TransactionBehavior::Immediate)
    {
        Ok(t) => t,
        Err(e) => {
            // Dropping the jobs unanswered makes each caller see `StoreError::Closed`.
            tracing::error!(error = %e, dropped = jobs.len(), "cannot begin a write transaction");
            return;
        }
    };
    let staged: Vec<Staged> = jobs.into_iter().map(|job| job(&mut transaction)).collect();
    // Dropping the transaction on a hook error rolls the batch back.
    let error = match (hooks.before_commit)(&transaction) {
        Ok(()) => transaction.commit().err().map(|e| e.to_string()),
        Err(e) => Some(e.to_string()),
    };
    (hooks.after_commit)(error.is_none());
    if let Some(e) = &error {
        tracing::error!(error = %e, batch = staged.len(), "group commit failed");
    }
    for s in staged {
        (s.finish)(error.as_deref());
    }
}
