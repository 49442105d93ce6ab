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
async fn outbox_rows_go_an_hour_after_they_were_passed() {
    use crate::ChangeStore;
    let dir = tempfile::tempdir().expect("tempdir");
    let store = store(&dir).await;
    let pool_change = |id: &str| crate::Change::UserPool {
        user_pool_id: id.into(),
    };
    let write = |id: &'static str| {
        store.write(move |c| {
            c.changed(pool_change(id));
            Ok(())
        })
    };
    // The first write of a handle prunes nothing (no mark is an hour old).
    write("old").await.expect("write");
    write("kept").await.expect("write");
    // Pretend seq 2 was reached over an hour ago, and that a minute has passed.
    if let Ok(mut marks) = store.prune_marks.lock() {
        *marks = feed::PruneMarks::default();
        marks.mark(1, 2);
    }
    store
        .last_prune_ms
        .store(0, std::sync::atomic::Ordering::Relaxed);
    write("new").await.expect("write");
    let left: Vec<_> = store
        .changes_after(0, 10)
        .await
        .expect("outbox")
        .into_iter()
        .map(|(_, c)| c)
        .collect();
    assert_eq!(
        left,
        [pool_change("kept"), pool_change("new")],
        "rows before the old mark are gone; the mark's own row stays, so numbers never go back"
    );
}
