use super::source::Source;
use super::tables::{TABLES, Value};
use super::target::compare;
use crate::{Durability, SqliteStore, StoreError};

async fn fresh_sqlite() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(dir.path(), Durability::Os)
        .await
        .expect("open");
    crate::ServerStore::close(&store).await;
    dir
}

#[tokio::test]
async fn the_sqlite_schema_is_what_migrate_copies() {
    let dir = fresh_sqlite().await;
    let mut source = Source::open(dir.path()).await.expect("the catalog matches");
    // Two passes over every (empty) table, then the reader is done.
    for _ in 0..2 {
        for table in TABLES {
            assert!(source.next().await.expect(table.name).is_none());
        }
    }
    assert!(source.next().await.is_err());
}

#[tokio::test]
async fn a_column_migrate_does_not_know_is_refused() {
    let dir = fresh_sqlite().await;
    let connection =
        rusqlite::Connection::open(dir.path().join(crate::DATABASE_FILE)).expect("open");
    connection
        .execute_batch("ALTER TABLE user_pools ADD COLUMN extra TEXT")
        .expect("alter");
    drop(connection);
    let Err(e) = Source::open(dir.path()).await else {
        panic!("an unknown column was accepted");
    };
    assert!(
        e.to_string().contains("unknown column user_pools.extra"),
        "{e}"
    );
}

#[tokio::test]
async fn a_data_dir_without_a_database_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Err(StoreError::Open(message)) = Source::open(dir.path()).await else {
        panic!("a missing database was accepted");
    };
    assert!(message.contains("holds no rognito database"), "{message}");
    assert!(!dir.path().join(crate::DATABASE_FILE).exists());
}

#[test]
fn rows_are_compared_by_key_then_by_every_column() {
    let table = TABLES
        .iter()
        .find(|t| t.name == "resource_servers")
        .expect("table");
    let row = |identifier: &str, name: &str| {
        vec![
            Value::Text("pool".into()),
            Value::Text(identifier.into()),
            Value::Text(name.into()),
            Value::Text("[]".into()),
            Value::Int(1),
            Value::Int(2),
        ]
    };
    assert!(compare(table, &row("a", "n"), &row("a", "n")).is_ok());
    let message = |r: Result<(), StoreError>| r.expect_err("a mismatch").to_string();
    let changed = message(compare(table, &row("a", "n"), &row("a", "m")));
    assert!(
        changed.contains(
            "table resource_servers, user_pool_id=pool, identifier=a: column name differs"
        ),
        "{changed}"
    );
    let missing = message(compare(table, &row("a", "n"), &row("b", "n")));
    assert!(
        missing.contains("identifier=a: the row is missing from the target"),
        "{missing}"
    );
    let extra = message(compare(table, &row("b", "n"), &row("a", "n")));
    assert!(
        extra.contains("identifier=a: the target has this row, the source does not"),
        "{extra}"
    );
}
