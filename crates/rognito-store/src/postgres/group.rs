//! Group commit of CreateResourceServer: creates that arrive together on a node go to the
//! database as one transaction of a few statements, as SQLite's writer groups its writes.
//!
//! Why: every create in a pool updates the pool's counter row, so creates in one pool take
//! turns on its row lock, each holding it through its own commit's WAL flush; PostgreSQL then
//! spends its time queueing lock waiters and flushing one commit per create. A group locks the
//! pools it touches once, in id order (so two nodes' groups cannot deadlock), adds each pool's
//! creates to its counter at once, inserts every row with one statement and commits once. It
//! waits at most [`LOCK_TIMEOUT`] for a pool row held elsewhere, so one held pool cannot stall
//! a node's creates in every other pool.
//!
//! A group only ever takes the creates it can make as a whole. Whatever needs a decision of
//! its own (a pool that is missing or whose quota the group would pass, an identifier asked
//! for twice, any statement of the group refused, such as an identifier already taken) goes
//! back to its caller, which makes it alone with the one-statement create and gets Cognito's
//! exact answer from it.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use deadpool_postgres::{Object, Pool};
use tokio::sync::{Notify, mpsc, oneshot};
use tokio_postgres::types::ToSql;

use super::{Sql as _, bounded, feed, pool_failure, refused_by_server};
use crate::changes::Listeners;
use crate::columns::SERVER_COLUMNS;
use crate::{Change, ResourceServerRecord, StoreError};

/// Creates taken into one group at most.
const MOST: usize = 128;

/// What a queued create is told.
pub(crate) enum Outcome {
    /// Made (`Ok`), or its group's COMMIT failed (`Err`, outcome unknown: never retried).
    Done(Result<(), StoreError>),
    /// Not made: make it alone.
    Alone,
}

struct Queued {
    server: ResourceServerRecord,
    max: i64,
    reply: oneshot::Sender<Outcome>,
}

/// The queue of a node's creates, and the task that groups them.
pub(crate) struct Creates {
    queue: mpsc::UnboundedSender<Queued>,
}

/// What the grouping task writes with.
pub(crate) struct Writer {
    pub pool: Pool,
    pub origin: i64,
    pub listeners: Arc<Listeners>,
    pub notifier: Arc<Notify>,
}

impl Creates {
    /// Starts the grouping task; it ends when this is dropped.
    pub(crate) fn start(writer: Writer) -> Creates {
        let (queue, queued) = mpsc::unbounded_channel();
        tokio::spawn(group(writer, queued));
        Creates { queue }
    }

    /// Queues a create of `server` under a quota of `max` servers per pool.
    pub(crate) async fn create(&self, server: ResourceServerRecord, max: i64) -> Outcome {
        let (reply, told) = oneshot::channel();
        if self.queue.send(Queued { server, max, reply }).is_err() {
            return Outcome::Alone;
        }
        told.await.unwrap_or(Outcome::Alone)
    }
}

/// Takes what is queued and writes it, one group at a time: the creates that arrive while a
/// group commits form the next one. Measured alternatives, slower in the same bench: two groups
/// in flight (5,076 -> 2,670 creates/s: the second waits on the first's row locks), and a group
/// in one round trip with the quota checked in SQL (3,733 and 3,860: PostgreSQL spent more on
/// the bigger statement than the round trip saved).
async fn group(writer: Writer, mut queued: mpsc::UnboundedReceiver<Queued>) {
    while let Some(first) = queued.recv().await {
        let mut creates = vec![first];
        while creates.len() < MOST {
            match queued.try_recv() {
                Ok(next) => creates.push(next),
                Err(_) => break,
            }
        }
        if creates.len() == 1 {
            // Nothing to share a commit with: one statement alone is quicker.
            alone(creates);
            continue;
        }
        write_group(&writer, creates).await;
    }
}

fn alone(creates: Vec<Queued>) {
    for create in creates {
        let _ = create.reply.send(Outcome::Alone);
    }
}

/// Writes one group: the creates it can make as a whole are made, the others sent back.
async fn write_group(writer: &Writer, creates: Vec<Queued>) {
    let max = creates.first().map_or(0, |c| c.max);
    let mut seen = HashSet::new();
    let (mut members, mut others) = (Vec::new(), Vec::new());
    for create in creates {
        let key = (
            create.server.user_pool_id.clone(),
            create.server.identifier.clone(),
        );
        if create.max == max && seen.insert(key) {
            members.push(create);
        } else {
            others.push(create);
        }
    }
    alone(others);
    let Ok(client) = writer.pool.get().await.map_err(pool_failure) else {
        alone(members);
        return;
    };
    let mut wanted: BTreeMap<String, i64> = BTreeMap::new();
    for create in &members {
        *wanted
            .entry(create.server.user_pool_id.to_string())
            .or_default() += 1;
    }
    let admitted = match lock_pools(&client, &wanted, max).await {
        Ok(admitted) => admitted,
        Err(_) => {
            discard_if_busy(client).await;
            alone(members);
            return;
        }
    };
    let (made, refused): (Vec<Queued>, Vec<Queued>) = members
        .into_iter()
        .partition(|c| admitted.contains(c.server.user_pool_id.as_str()));
    if made.is_empty() {
        discard_if_busy(client).await;
        alone(refused);
        return;
    }
    let changes: Vec<Change> = made
        .iter()
        .map(|c| Change::ResourceServer {
            user_pool_id: c.server.user_pool_id.clone(),
            identifier: c.server.identifier.clone(),
        })
        .collect();
    let counts: Vec<(String, i64)> = wanted
        .into_iter()
        .filter(|(pool, _)| admitted.contains(pool.as_str()))
        .collect();
    let written = insert_and_commit(&client, writer.origin, &counts, &made, &changes).await;
    // The refused ones wait for the group's commit: their pools' rows were locked by it.
    alone(refused);
    match written {
        Written::Committed => {
            writer.notifier.notify_one();
            writer.listeners.publish(&changes);
            for create in made {
                let _ = create.reply.send(Outcome::Done(Ok(())));
            }
        }
        Written::RolledBack => {
            discard_if_busy(client).await;
            alone(made);
        }
        Written::Unknown(e) => {
            drop(Object::take(client));
            // It may have committed: this node's caches must not keep what it replaced (the
            // tail skips this node's own outbox rows). Dropping entries is harmless if not.
            writer.listeners.publish(&changes);
            for create in made {
                let _ = create
                    .reply
                    .send(Outcome::Done(Err(StoreError::Commit(e.clone()))));
            }
        }
    }
}

/// BEGIN, then the pools' rows locked in id order with their counts: the pools whose creates
/// all fit under `max`. The transaction is left open.
async fn lock_pools(
    client: &Object,
    wanted: &BTreeMap<String, i64>,
    max: i64,
) -> Result<HashSet<String>, StoreError> {
    let ids: Vec<&str> = wanted.keys().map(String::as_str).collect();
    let sql = "SELECT id, resource_server_count FROM user_pools WHERE id = ANY($1) \
               ORDER BY id FOR NO KEY UPDATE";
    let params: [&(dyn ToSql + Sync); 1] = [&ids];
    // `biased`: sent in the order written (see `insert_and_commit`).
    let (begun, settings, rows) = tokio::join!(
        biased;
        bounded(async { Ok(client.batch_execute("BEGIN").await?) }),
        // A pool row held elsewhere (a slow pool delete, a stuck transaction) must not hold
        // up this node's creates in every other pool: the group gives up waiting and its
        // creates are made alone.
        bounded(async { Ok(client.batch_execute(LOCK_TIMEOUT).await?) }),
        client.rows(sql, &params)
    );
    begun?;
    settings?;
    let mut admitted = HashSet::new();
    for row in rows? {
        let (id, count): (String, i64) = (row.try_get(0)?, row.try_get(1)?);
        if wanted.get(&id).is_some_and(|k| count + k <= max) {
            admitted.insert(id);
        }
    }
    Ok(admitted)
}

/// Sent with BEGIN: how long the group waits for a pool row another transaction holds.
const LOCK_TIMEOUT: &str = "SET LOCAL lock_timeout = '100ms'";

enum Written {
    Committed,
    /// PostgreSQL refused a statement and rolled the transaction back: nothing was made.
    RolledBack,
    /// The connection failed around COMMIT: the outcome is unknown.
    Unknown(String),
}

/// The counters, the rows and the outbox row, and COMMIT, sent together.
async fn insert_and_commit(
    client: &Object,
    origin: i64,
    counts: &[(String, i64)],
    made: &[Queued],
    changes: &[Change],
) -> Written {
    let (pools, added): (Vec<&str>, Vec<i64>) =
        counts.iter().map(|(p, k)| (p.as_str(), *k)).unzip();
    let column = |f: fn(&ResourceServerRecord) -> &str| -> Vec<&str> {
        made.iter().map(|c| f(&c.server)).collect()
    };
    let (owners, identifiers) = (
        column(|s| s.user_pool_id.as_str()),
        column(|s| s.identifier.as_str()),
    );
    let (names, scopes) = (column(|s| s.name.as_str()), column(|s| s.scopes.as_str()));
    let created: Vec<i64> = made.iter().map(|c| c.server.created_ms).collect();
    let modified: Vec<i64> = made.iter().map(|c| c.server.modified_ms).collect();
    let insert = format!(
        "INSERT INTO resource_servers ({SERVER_COLUMNS}) \
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], \
         $5::bigint[], $6::bigint[])"
    );
    let count_params: [&(dyn ToSql + Sync); 2] = [&pools, &added];
    let row_params: [&(dyn ToSql + Sync); 6] =
        [&owners, &identifiers, &names, &scopes, &created, &modified];
    let count = "UPDATE user_pools SET resource_server_count = resource_server_count + w.k \
                 FROM unnest($1::text[], $2::bigint[]) AS w(pool, k) WHERE id = w.pool";
    // Prepared first (once per connection): what is sent with COMMIT must not wait for a
    // prepare's answer, or COMMIT would overtake it (see `feed::prepare_record`).
    let prepared = async {
        bounded(async { Ok(client.statement(count).await.map(drop)?) }).await?;
        bounded(async { Ok(client.statement(&insert).await.map(drop)?) }).await?;
        feed::prepare_record(client).await
    };
    if prepared.await.is_err() {
        return Written::RolledBack;
    }
    // `biased`: polled, so sent, in the order written; every statement is prepared (above),
    // so each is sent at its first poll, and COMMIT goes last.
    let (counted, inserted, recorded, committed) = tokio::join!(
        biased;
        client.run(count, &count_params),
        client.run(&insert, &row_params),
        feed::record(client, origin, changes),
        bounded(async { Ok(client.batch_execute("COMMIT").await?) })
    );
    match (counted, inserted, recorded, committed) {
        (Ok(_), Ok(_), Ok(()), Ok(())) => Written::Committed,
        (_, _, _, Err(e)) => Written::Unknown(e.to_string()),
        (counted, inserted, recorded, Ok(())) => {
            let failures = [counted.err(), inserted.err(), recorded.err()];
            match failures
                .into_iter()
                .flatten()
                .find(|e| !refused_by_server(e))
            {
                // Not PostgreSQL's refusal (a timeout, a value that could not be sent): the
                // COMMIT may have committed what did go out.
                Some(e) => Written::Unknown(e.to_string()),
                // A refused statement makes PostgreSQL answer the COMMIT with a rollback.
                None => Written::RolledBack,
            }
        }
    }
}

/// Ends the connection's transaction, if it still has one, before it goes back to the pool; a
/// connection that cannot is not given back.
async fn discard_if_busy(client: Object) {
    if bounded(async { Ok(client.batch_execute("ROLLBACK").await?) })
        .await
        .is_err()
    {
        drop(Object::take(client));
    }
}
