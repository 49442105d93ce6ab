//! Versioned schema migrations, embedded in the binary and applied in order at open. Each runs
//! in its own transaction together with the record of having run.

use rusqlite::Connection;

use crate::StoreError;

const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "control_plane",
        include_str!("../../migrations/sqlite/0001_control_plane.sql"),
    ),
    (
        2,
        "m2m",
        include_str!("../../migrations/sqlite/0002_m2m.sql"),
    ),
    (
        3,
        "identities",
        include_str!("../../migrations/sqlite/0003_identities.sql"),
    ),
    (
        4,
        "changes",
        include_str!("../../migrations/sqlite/0004_changes.sql"),
    ),
    (
        5,
        "users",
        include_str!("../../migrations/sqlite/0005_users.sql"),
    ),
];

pub fn apply(connection: &mut Connection) -> Result<(), StoreError> {
    connection.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version     BIGINT PRIMARY KEY,
             name        TEXT NOT NULL,
             applied_ms  BIGINT NOT NULL
         )",
    )?;
    let applied: i64 = connection.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
        [],
        |r| r.get(0),
    )?;
    if let Some((newest, _, _)) = MIGRATIONS.last()
        && applied > *newest
    {
        return Err(StoreError::Open(format!(
            "the database is at schema version {applied}, newer than this rognito knows \
             ({newest}); use a newer rognito"
        )));
    }
    for (version, name, sql) in MIGRATIONS.iter().filter(|(v, _, _)| *v > applied) {
        let tx = connection.transaction()?;
        tx.execute_batch(sql)?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_ms) VALUES (?1, ?2, ?3)",
            rusqlite::params![version, name, now],
        )?;
        tx.commit()?;
    }
    Ok(())
}
