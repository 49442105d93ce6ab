//! The target side: one PostgreSQL transaction that locks rognito's tables, checks they are
//! empty, loads every table with binary COPY, then reads everything back and compares it with
//! the source before it commits. A refusal or a mismatch rolls it back, so the target is left
//! as it was.

use std::cmp::Ordering;
use std::pin::pin;

use tokio_postgres::Transaction;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};

use super::source::Source;
use super::tables::{Catalog, Kind, TABLES, Table, Value, check_catalog, key_of};
use crate::{PostgresStore, StoreError};

/// Rows read back per round trip.
const BATCH: i32 = 1000;

/// Copies and verifies every table of [`TABLES`]; the rows copied per table, in that order.
pub(crate) async fn copy(
    store: &PostgresStore,
    source: &mut Source,
) -> Result<Vec<(&'static str, u64)>, StoreError> {
    let mut client = store.client().await?;
    check_catalog("PostgreSQL", &catalog(&client).await?, Kind::postgres_name)?;
    let tx = client.transaction().await?;
    // A node started on the target too early waits until this commits (or rolls back).
    let names: Vec<&str> = TABLES.iter().map(|t| t.name).collect();
    tx.batch_execute(&format!(
        "LOCK TABLE {} IN EXCLUSIVE MODE",
        names.join(", ")
    ))
    .await?;
    for table in TABLES {
        let sql = format!("SELECT 1 FROM {} LIMIT 1", table.name);
        if tx.query_opt(&sql, &[]).await?.is_some() {
            return Err(StoreError::TargetNotEmpty(table.name));
        }
    }
    let mut copied = Vec::with_capacity(TABLES.len());
    for table in TABLES {
        copied.push((table.name, copy_table(&tx, table, source).await?));
    }
    for (table, (_, rows)) in TABLES.iter().zip(&copied) {
        verify_table(&tx, table, *rows, source).await?;
    }
    // A failed COMMIT may still have been made: say so rather than "nothing was changed".
    tx.commit()
        .await
        .map_err(|e| StoreError::Commit(e.to_string()))?;
    Ok(copied)
}

async fn catalog(client: &tokio_postgres::Client) -> Result<Catalog, StoreError> {
    let mut catalog = Catalog::new();
    let rows = client
        .query(
            "SELECT table_name::text, column_name::text, data_type::text \
             FROM information_schema.columns WHERE table_schema = current_schema()",
            &[],
        )
        .await?;
    for row in rows {
        catalog
            .entry(row.try_get(0)?)
            .or_default()
            .insert(row.try_get(1)?, row.try_get(2)?);
    }
    Ok(catalog)
}

/// Streams the source's rows of `table` into a binary COPY; how many.
async fn copy_table(
    tx: &Transaction<'_>,
    table: &'static Table,
    source: &mut Source,
) -> Result<u64, StoreError> {
    let types: Vec<Type> = table
        .columns
        .iter()
        .map(|(_, k)| k.postgres_type())
        .collect();
    let sink = tx
        .copy_in(&format!(
            "COPY {} ({}) FROM STDIN BINARY",
            table.name,
            table.column_list()
        ))
        .await?;
    let mut writer = pin!(BinaryCopyInWriter::new(sink, &types));
    let mut sent = 0u64;
    while let Some(row) = source.next().await? {
        let values: Vec<&(dyn ToSql + Sync)> = row.iter().map(Value::as_sql).collect();
        writer.as_mut().write(&values).await?;
        sent += 1;
    }
    let written = writer.finish().await?;
    if written != sent {
        return Err(mismatch(
            table,
            "the whole table".into(),
            format!("{sent} rows were sent, PostgreSQL took {written}"),
        ));
    }
    Ok(sent)
}

/// Checks the target's row count, then every row and column against the source's, both read
/// in primary-key order (bytewise, as SQLite orders text).
async fn verify_table(
    tx: &Transaction<'_>,
    table: &'static Table,
    copied: u64,
    source: &mut Source,
) -> Result<(), StoreError> {
    let count: i64 = tx
        .query_one(&format!("SELECT count(*) FROM {}", table.name), &[])
        .await?
        .try_get(0)?;
    if u64::try_from(count).ok() != Some(copied) {
        return Err(mismatch(
            table,
            "the row count".into(),
            format!("the source has {copied} rows, the target {count}"),
        ));
    }
    let statement = tx.prepare(&table.select_ordered(" COLLATE \"C\"")).await?;
    let portal = tx.bind(&statement, &[]).await?;
    loop {
        let batch = tx.query_portal(&portal, BATCH).await?;
        for row in &batch {
            let target = decode(table, row)?;
            match source.next().await? {
                Some(expected) => compare(table, &expected, &target)?,
                None => {
                    return Err(mismatch(
                        table,
                        key_of(table, &target),
                        "the target has this row, the source does not".into(),
                    ));
                }
            }
        }
        if batch.len() < usize::try_from(BATCH).unwrap_or(usize::MAX) {
            break;
        }
    }
    match source.next().await? {
        Some(expected) => Err(mismatch(
            table,
            key_of(table, &expected),
            "the row is missing from the target".into(),
        )),
        None => Ok(()),
    }
}

fn decode(table: &Table, row: &tokio_postgres::Row) -> Result<Vec<Value>, StoreError> {
    table
        .columns
        .iter()
        .enumerate()
        .map(|(i, (_, kind))| {
            Ok(match kind {
                Kind::Text => Value::Text(row.try_get(i)?),
                Kind::Int => Value::Int(row.try_get(i)?),
                Kind::Bytes => Value::Bytes(row.try_get(i)?),
            })
        })
        .collect()
}

/// The same row on both sides: the same key, then the same value in every column. Messages
/// name keys and columns, never values (some are sealed secrets).
pub(super) fn compare(
    table: &'static Table,
    source: &[Value],
    target: &[Value],
) -> Result<(), StoreError> {
    let key_len = table.key_len;
    match (source.iter().take(key_len)).cmp(target.iter().take(key_len)) {
        Ordering::Less => {
            return Err(mismatch(
                table,
                key_of(table, source),
                "the row is missing from the target".into(),
            ));
        }
        Ordering::Greater => {
            return Err(mismatch(
                table,
                key_of(table, target),
                "the target has this row, the source does not".into(),
            ));
        }
        Ordering::Equal => {}
    }
    let differing = table
        .columns
        .iter()
        .zip(source.iter().zip(target))
        .find(|(_, (s, t))| s != t);
    match differing {
        Some(((column, _), _)) => Err(mismatch(
            table,
            key_of(table, source),
            format!("column {column} differs"),
        )),
        None if source.len() != target.len() => Err(mismatch(
            table,
            key_of(table, source),
            "the rows have different columns".into(),
        )),
        None => Ok(()),
    }
}

fn mismatch(table: &'static Table, key: String, problem: String) -> StoreError {
    StoreError::CopyMismatch {
        table: table.name,
        key,
        problem,
    }
}
