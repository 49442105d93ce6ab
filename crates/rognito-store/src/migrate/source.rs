//! The source side: one read transaction on the SQLite database, so everything is read from one
//! snapshot whatever else writes meanwhile (the admin commands do not take the data dir's
//! lock). It runs on a thread of its own and streams the tables in [`TABLES`] order, in
//! primary-key order, [`PASSES`] times: once to copy them, once to compare with what the target
//! reads back.

use std::path::Path;

use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

use super::tables::{Catalog, Kind, TABLES, Table, Value, check_catalog};
use crate::StoreError;

/// Copy, then verify.
const PASSES: usize = 2;

/// Rows in flight between the reader thread and the copy.
const CHANNEL: usize = 1024;

enum Item {
    Row(Vec<Value>),
    /// The current table has no more rows.
    End,
}

/// The SQLite database, read table after table. Dropping it stops the reader (its read
/// transaction ends with its connection).
pub(crate) struct Source {
    rows: mpsc::Receiver<Result<Item, StoreError>>,
}

impl Source {
    /// Opens the database in `data_dir` (its schema brought up to date), checks its tables and
    /// starts the snapshot; returns once that is done, so a missing or unreadable source fails
    /// before the target is touched.
    ///
    /// Errors: `StoreError::Open` without a database; `StoreError::Backend` when its tables
    /// are not the ones this build copies, or SQLite fails.
    pub(crate) async fn open(data_dir: &Path) -> Result<Source, StoreError> {
        let (sender, rows) = mpsc::channel(CHANNEL);
        let (ready, opened) = oneshot::channel();
        let data_dir = data_dir.to_owned();
        std::thread::Builder::new()
            .name("rognito-migrate-source".into())
            .spawn(move || {
                let connection = match snapshot(&data_dir) {
                    Ok(connection) => connection,
                    Err(e) => {
                        let _ = ready.send(Err(e));
                        return;
                    }
                };
                if ready.send(Ok(())).is_err() {
                    return;
                }
                for _ in 0..PASSES {
                    for table in TABLES {
                        if !stream(&connection, table, &sender) {
                            return;
                        }
                    }
                }
            })
            .map_err(|e| StoreError::Backend(Box::new(e)))?;
        opened.await.map_err(|_| StoreError::Closed)??;
        Ok(Source { rows })
    }

    /// The next row of the table being read, `None` at its end (the next call starts the next
    /// table).
    pub(crate) async fn next(&mut self) -> Result<Option<Vec<Value>>, StoreError> {
        match self.rows.recv().await {
            Some(Ok(Item::Row(row))) => Ok(Some(row)),
            Some(Ok(Item::End)) => Ok(None),
            Some(Err(e)) => Err(e),
            None => Err(StoreError::Backend("the SQLite reader stopped".into())),
        }
    }
}

/// The database, checked, inside a read transaction whose snapshot is taken.
fn snapshot(data_dir: &Path) -> Result<Connection, StoreError> {
    let connection = crate::sqlite::open_existing(data_dir)?;
    // A deferred transaction takes its snapshot at its first read: the catalog's.
    connection.execute_batch("BEGIN")?;
    check_catalog("SQLite", &catalog(&connection)?, Kind::sqlite_name)?;
    Ok(connection)
}

fn catalog(connection: &Connection) -> Result<Catalog, StoreError> {
    let mut catalog = Catalog::new();
    let mut statement = connection.prepare(
        "SELECT m.name, p.name, p.type FROM sqlite_master AS m, pragma_table_info(m.name) AS p \
         WHERE m.type = 'table'",
    )?;
    let mut rows = statement.query([])?;
    while let Some(row) = rows.next()? {
        catalog
            .entry(row.get(0)?)
            .or_default()
            .insert(row.get(1)?, row.get(2)?);
    }
    Ok(catalog)
}

/// Sends `table`'s rows then its end; false when the reader must stop (the receiver is gone,
/// or reading failed, which was sent).
fn stream(
    connection: &Connection,
    table: &Table,
    sender: &mpsc::Sender<Result<Item, StoreError>>,
) -> bool {
    match send_rows(connection, table, sender) {
        Ok(true) => sender.blocking_send(Ok(Item::End)).is_ok(),
        Ok(false) => false,
        Err(e) => {
            let e = StoreError::Backend(format!("reading {} from SQLite: {e}", table.name).into());
            let _ = sender.blocking_send(Err(e));
            false
        }
    }
}

/// Sends every row; `Ok(false)` when the receiver is gone.
fn send_rows(
    connection: &Connection,
    table: &Table,
    sender: &mpsc::Sender<Result<Item, StoreError>>,
) -> rusqlite::Result<bool> {
    let mut statement = connection.prepare(&table.select_ordered(""))?;
    let mut rows = statement.query([])?;
    while let Some(row) = rows.next()? {
        let mut values = Vec::with_capacity(table.columns.len());
        for (i, (_, kind)) in table.columns.iter().enumerate() {
            values.push(match kind {
                Kind::Text => Value::Text(row.get(i)?),
                Kind::Int => Value::Int(row.get(i)?),
                Kind::Bytes => Value::Bytes(row.get(i)?),
            });
        }
        if sender.blocking_send(Ok(Item::Row(values))).is_err() {
            return Ok(false);
        }
    }
    Ok(true)
}
