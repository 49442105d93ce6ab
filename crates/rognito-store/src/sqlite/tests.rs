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
async fn old_outbox_rows_are_pruned() {
    use crate::ChangeStore;
    let dir = tempfile::tempdir().expect("tempdir");
    let store = store(&dir).await;
    // The first write of a process prunes: a row from long ago goes, a fresh one stays.
    store
        .write(|c| {
            c.execute(
                "INSERT INTO changes (at_ms, origin, change) VALUES (1, 'old', ?1)",
                [r#"{"kind":"UserPool","user_pool_id":"gone"}"#],
            )?;
            c.changed(crate::Change::UserPool {
                user_pool_id: "kept".into(),
            });
            Ok(())
        })
        .await
        .expect("write");
    let rows = store.changes_after(0, 10).await.expect("outbox");
    assert_eq!(
        rows.into_iter().map(|(_, c)| c).collect::<Vec<_>>(),
        [crate::Change::UserPool {
            user_pool_id: "kept".into()
        }]
    );
}
