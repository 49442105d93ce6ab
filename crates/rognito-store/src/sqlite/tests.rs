//! What is SQLite's own: the database file outlives the process, memory mode does not touch
//! it. Every engine's common contract is `tests/conformance.rs`.

use super::*;
use crate::{ServerStore, UserPoolRecord, UserPoolStore};

async fn store(dir: &tempfile::TempDir) -> SqliteStore {
    SqliteStore::open(dir.path(), Durability::Fsync)
        .await
        .expect("open store")
}

fn pool(id: &str) -> UserPoolRecord {
    UserPoolRecord {
        id: id.into(),
        account_id: "000000000000".into(),
        name: "p".into(),
        doc: "{}".into(),
        created_ms: 1,
        modified_ms: 1,
        version: 0,
    }
}

#[tokio::test]
async fn data_survives_reopen_and_memory_mode_works() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let store = store(&dir).await;
        store
            .create_user_pool(&pool("p1"), &[], 2)
            .await
            .expect("p1");
        store.close().await;
    }
    let store = store(&dir).await;
    assert!(store.user_pool("p1").await.expect("read").is_some());
    let key = store
        .server_setting("k", &|| vec![1, 2, 3])
        .await
        .expect("setting");
    let again = store
        .server_setting("k", &|| vec![9])
        .await
        .expect("setting");
    assert_eq!(key, again);

    let mem = SqliteStore::open(dir.path(), Durability::Memory)
        .await
        .expect("memory");
    assert!(mem.user_pool("p1").await.expect("read").is_none());
    mem.create_user_pool(&pool("m1"), &[], 2).await.expect("m1");
    assert!(mem.user_pool("m1").await.expect("read").is_some());
}

#[tokio::test]
async fn outbox_rows_older_than_the_retention_go_but_the_newest_stays() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = store(&dir).await;
    let now = crate::now_ms();
    let hour = i64::try_from(crate::OUTBOX_RETENTION.as_millis()).expect("ms");
    async fn seqs(store: &SqliteStore) -> Result<Vec<i64>, crate::StoreError> {
        store
            .read(|c| {
                let mut select = c.prepare("SELECT seq FROM changes ORDER BY seq")?;
                let rows = select
                    .query_map([], |r| r.get::<_, i64>(0))?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(rows)
            })
            .await
    }
    // Rows 1..=5 two hours old, 6..=9 fresh: a prune keeps 6..=9.
    store
        .write(move |c| {
            for (seq, at) in (1..=9).map(|s| (s, if s <= 5 { now - 2 * hour } else { now })) {
                c.execute(
                    "INSERT INTO changes (seq, at_ms, origin, change) VALUES (?1, ?2, 0, '{}')",
                    [seq, at],
                )?;
            }
            feed::prune(c, now)
        })
        .await
        .expect("prune");
    assert_eq!(seqs(&store).await.expect("read"), [6, 7, 8, 9]);
    // All old: the newest stays, so numbers never go back.
    store
        .write(move |c| feed::prune(c, now + 3 * hour))
        .await
        .expect("prune");
    assert_eq!(seqs(&store).await.expect("read"), [9]);
    store
        .write(|c| {
            c.changed(crate::Change::UserPool {
                user_pool_id: "p".into(),
            });
            Ok(())
        })
        .await
        .expect("write");
    assert_eq!(seqs(&store).await.expect("read"), [9, 10]);
}
