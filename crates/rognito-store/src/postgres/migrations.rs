//! PostgreSQL's versioned migrations, embedded in the binary. Several nodes may start at once:
//! each takes the same transaction-level advisory lock before reading the schema version, so
//! exactly one applies each migration and the others find it done.

use deadpool_postgres::Object;

use crate::StoreError;

const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "schema",
        include_str!("../../migrations/postgres/0001_schema.sql"),
    ),
    (
        2,
        "users",
        include_str!("../../migrations/postgres/0002_users.sql"),
    ),
];

/// The advisory lock's key (any number; the same in every rognito).
const LOCK: i64 = 0x726f_676e_6974_6f00; // "rognito\0"

/// Brings the schema to the newest version this build knows.
///
/// Errors: the database is newer than this build, or a migration failed (nothing of it stays).
pub async fn apply(client: &mut Object) -> Result<(), StoreError> {
    let tx = client.transaction().await?;
    // Quiet: "relation already exists, skipping" on every start but the first.
    tx.batch_execute("SET LOCAL client_min_messages = warning")
        .await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK])
        .await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version     BIGINT PRIMARY KEY,
             name        TEXT NOT NULL,
             applied_ms  BIGINT NOT NULL
         )",
    )
    .await?;
    let applied: i64 = tx
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            &[],
        )
        .await?
        .try_get(0)?;
    if let Some((newest, _, _)) = MIGRATIONS.last()
        && applied > *newest
    {
        return Err(StoreError::Open(format!(
            "the database is at schema version {applied}, newer than this rognito knows \
             ({newest}); use a newer rognito"
        )));
    }
    for (version, name, sql) in MIGRATIONS.iter().filter(|(v, _, _)| *v > applied) {
        tx.batch_execute(sql).await?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_ms) VALUES ($1, $2, $3)",
            &[version, name, &crate::now_ms()],
        )
        .await?;
        tracing::info!(version, name, "applied a PostgreSQL migration");
    }
    tx.commit().await?;
    Ok(())
}
