use std::sync::Arc;

use super::*;
use crate::{
    ResourceServerRecord, ResourceServerStore, ServerStore, StoreError, UserPoolRecord,
    UserPoolStore,
};

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
    }
}

fn server(pool: &str, identifier: &str) -> ResourceServerRecord {
    ResourceServerRecord {
        user_pool_id: pool.into(),
        identifier: identifier.into(),
        name: "n".into(),
        scopes: "[]".into(),
        created_ms: 1,
        modified_ms: 1,
    }
}

#[tokio::test]
async fn resource_server_quota_holds_under_concurrency() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Arc::new(store(&dir).await);
    store
        .create_user_pool(&pool("p1"), &[], 10)
        .await
        .expect("pool");
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .create_resource_server(&server("p1", &format!("rs{i:02}")), 25)
                    .await
            })
        })
        .collect();
    let mut ok = 0;
    let mut limited = 0;
    for t in tasks {
        match t.await.expect("join") {
            Ok(()) => ok += 1,
            Err(StoreError::LimitExceeded) => limited += 1,
            Err(e) => panic!("unexpected {e}"),
        }
    }
    assert_eq!((ok, limited), (25, 15));
    let page = store
        .list_resource_servers("p1", None, 50)
        .await
        .expect("list");
    assert_eq!(page.items.len(), 25);
    // deleting frees a slot
    assert!(
        store
            .delete_resource_server("p1", "rs00")
            .await
            .expect("delete")
    );
    store
        .create_resource_server(&server("p1", "again"), 25)
        .await
        .expect("slot freed");
}

#[tokio::test]
async fn create_errors_are_told_apart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = store(&dir).await;
    assert!(matches!(
        store.create_resource_server(&server("nope", "a"), 25).await,
        Err(StoreError::NotFound)
    ));
    store
        .create_user_pool(&pool("p1"), &[], 10)
        .await
        .expect("pool");
    store
        .create_resource_server(&server("p1", "a"), 1)
        .await
        .expect("first");
    assert!(matches!(
        store.create_resource_server(&server("p1", "a"), 1).await,
        Err(StoreError::AlreadyExists)
    ));
    assert!(matches!(
        store.create_resource_server(&server("p1", "b"), 1).await,
        Err(StoreError::LimitExceeded)
    ));
    // same identifier in another pool is fine
    store
        .create_user_pool(&pool("p2"), &[], 10)
        .await
        .expect("pool");
    store
        .create_resource_server(&server("p2", "a"), 1)
        .await
        .expect("other pool");
}

#[tokio::test]
async fn pool_quota_and_cascading_delete() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = store(&dir).await;
    store
        .create_user_pool(&pool("p1"), &[], 2)
        .await
        .expect("p1");
    store
        .create_user_pool(&pool("p2"), &[], 2)
        .await
        .expect("p2");
    assert!(matches!(
        store.create_user_pool(&pool("p3"), &[], 2).await,
        Err(StoreError::LimitExceeded)
    ));
    store
        .create_resource_server(&server("p1", "a"), 25)
        .await
        .expect("rs");
    assert!(store.delete_user_pool("p1").await.expect("delete"));
    assert!(!store.delete_user_pool("p1").await.expect("delete twice"));
    assert_eq!(store.resource_server("p1", "a").await.expect("read"), None);
    store
        .create_user_pool(&pool("p3"), &[], 2)
        .await
        .expect("slot freed");
}

#[tokio::test]
async fn replace_keeps_creation_time_and_reports_missing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = store(&dir).await;
    store
        .create_user_pool(&pool("p1"), &[], 2)
        .await
        .expect("p1");
    store
        .create_resource_server(&server("p1", "a"), 25)
        .await
        .expect("rs");
    let mut changed = server("p1", "a");
    changed.name = "renamed".into();
    changed.created_ms = 99;
    changed.modified_ms = 5;
    let stored = store
        .replace_resource_server(&changed)
        .await
        .expect("replace")
        .expect("exists");
    assert_eq!(
        (stored.name.as_str(), stored.created_ms, stored.modified_ms),
        ("renamed", 1, 5)
    );
    assert_eq!(
        store
            .replace_resource_server(&server("p1", "zz"))
            .await
            .expect("replace"),
        None
    );
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
