//! The `Store` contract, checked against every engine: each documented outcome (not found,
//! already exists, limit exceeded, conflict), keyset pages, cascades, and quotas under
//! concurrency. A new engine passes this suite before anything else runs on it.
//!
//! Engines: `ROGNITO_TEST_STORE` names them, comma-separated (`sqlite`: SQLite with fsync
//! durability in a fresh directory; `sqlite-memory`: SQLite in memory; `postgres`: a fresh
//! schema in the database `ROGNITO_TEST_POSTGRES` names, e.g. the cluster `scripts/postgres`
//! starts). Default: `sqlite,sqlite-memory`, and `postgres` too when `ROGNITO_TEST_POSTGRES` is
//! set.

// Test code: a failed expectation is a failed test (clippy.toml allows this in #[test] functions;
// the helpers around them need it too).
#![allow(
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::unwrap_used
)]

use std::sync::Arc;

use rognito_store::{
    AccessKeyRecord, Change, ChangeListener, ClientRecord, ClientSecretRecord, DomainRecord,
    Durability, GroupRecord, IdentityRecord, MessageRecord, Page, PolicyRecord,
    ResourceServerRecord, SealedSample, SessionRecord, SigningKeyRecord, Store, StoreConfig,
    StoreError, UserPoolRecord, UserRecord,
};

/// A store under test, with the directory it lives in (removed when dropped).
struct Engine {
    name: String,
    store: Arc<dyn Store>,
    /// How to open a second handle on the same data, as another process or node would; None
    /// for engines nothing else can share (memory).
    shared: Option<StoreConfig>,
    _dir: tempfile::TempDir,
}

async fn engines() -> Vec<Engine> {
    let names = std::env::var("ROGNITO_TEST_STORE").unwrap_or_else(|_| {
        if std::env::var_os("ROGNITO_TEST_POSTGRES").is_some() {
            "sqlite,sqlite-memory,postgres".into()
        } else {
            "sqlite,sqlite-memory".into()
        }
    });
    let mut engines = Vec::new();
    for name in names.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = match name {
            "sqlite" => StoreConfig::Sqlite {
                data_dir: dir.path().to_owned(),
                durability: Durability::Fsync,
            },
            "sqlite-memory" => StoreConfig::Sqlite {
                data_dir: dir.path().to_owned(),
                durability: Durability::Memory,
            },
            "postgres" => postgres_schema().await,
            other => panic!("ROGNITO_TEST_STORE names an unknown engine: {other}"),
        };
        let store = rognito_store::open(&config).await.expect("open the store");
        engines.push(Engine {
            name: name.to_owned(),
            store,
            shared: (!config.is_memory()).then_some(config),
            _dir: dir,
        });
    }
    engines
}

/// A fresh schema in the test database, and the store configuration that uses it.
async fn postgres_schema() -> StoreConfig {
    StoreConfig::Postgres(rognito_store::PostgresOptions::new(
        rognito_store::PostgresUrl::parse(&postgres_schema_url().await).expect("URL"),
    ))
}

/// A fresh schema in the test database: the URL that uses it.
async fn postgres_schema_url() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let url = std::env::var("ROGNITO_TEST_POSTGRES")
        .expect("ROGNITO_TEST_POSTGRES: the URL of a PostgreSQL database to test against");
    let schema = format!(
        "conformance_{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .subsec_nanos()
    );
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .expect("connect to ROGNITO_TEST_POSTGRES");
    tokio::spawn(connection);
    client
        .batch_execute(&format!("CREATE SCHEMA {schema}"))
        .await
        .expect("create a schema");
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}options=-csearch_path%3D{schema}")
}

const ACCOUNT: &str = "111111111111";

fn pool(id: &str) -> UserPoolRecord {
    UserPoolRecord {
        id: id.into(),
        account_id: ACCOUNT.into(),
        name: format!("name of {id}"),
        doc: r#"{"k":1}"#.into(),
        created_ms: 1,
        modified_ms: 2,
        version: 0,
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

fn client(pool: &str, id: &str) -> ClientRecord {
    ClientRecord {
        client_id: id.into(),
        user_pool_id: pool.into(),
        client_name: format!("client {id}"),
        doc: "{}".into(),
        created_ms: 1,
        modified_ms: 1,
    }
}

fn secret(client: &str, id: &str, at: i64) -> ClientSecretRecord {
    ClientSecretRecord {
        secret_id: id.into(),
        client_id: client.into(),
        ciphertext: vec![1, 2, 3],
        digest: vec![4, 5, 6],
        created_ms: at,
    }
}

fn domain(pool: &str, name: &str) -> DomainRecord {
    DomainRecord {
        domain: name.into(),
        user_pool_id: pool.into(),
        doc: "{}".into(),
        created_ms: 1,
        modified_ms: 1,
    }
}

fn key(pool: &str, kid: &str) -> SigningKeyRecord {
    SigningKeyRecord {
        kid: kid.into(),
        user_pool_id: pool.into(),
        purpose: "access".into(),
        private_key: vec![9; 8],
        public_jwk: "{}".into(),
        created_ms: 1,
    }
}

fn access_key(user: &str, id: &str) -> AccessKeyRecord {
    AccessKeyRecord {
        access_key_id: id.into(),
        account_id: ACCOUNT.into(),
        user_name: user.into(),
        secret: vec![7; 4],
        created_ms: 1,
    }
}

fn policy(user: &str, name: &str, document: &str) -> PolicyRecord {
    PolicyRecord {
        account_id: ACCOUNT.into(),
        user_name: user.into(),
        policy_name: name.into(),
        document: document.into(),
    }
}

/// The outcome's name, for assertions that say which engine gave what.
fn outcome<T>(result: Result<T, StoreError>) -> &'static str {
    match result {
        Ok(_) => "Ok",
        Err(StoreError::NotFound) => "NotFound",
        Err(StoreError::AlreadyExists) => "AlreadyExists",
        Err(StoreError::LimitExceeded) => "LimitExceeded",
        Err(StoreError::Conflict) => "Conflict",
        Err(e) => panic!("unexpected failure: {e}"),
    }
}

#[tokio::test]
async fn user_pools() {
    for Engine { name, store, .. } in engines().await {
        let s = store.as_ref();
        assert_eq!(
            outcome(s.create_user_pool(&pool("p1"), &[key("p1", "k1")], 2).await),
            "Ok",
            "{name}"
        );
        assert_eq!(
            outcome(s.create_user_pool(&pool("p1"), &[], 2).await),
            "AlreadyExists",
            "{name}: id collision"
        );
        assert_eq!(
            outcome(s.create_user_pool(&pool("p2"), &[], 2).await),
            "Ok",
            "{name}"
        );
        assert_eq!(
            outcome(s.create_user_pool(&pool("p3"), &[], 2).await),
            "LimitExceeded",
            "{name}: 2 per account"
        );
        assert_eq!(
            s.user_pool("p1").await.expect("read"),
            Some(pool("p1")),
            "{name}"
        );
        assert_eq!(s.user_pool("nope").await.expect("read"), None, "{name}");
        assert_eq!(
            s.user_pool_account("p1").await.expect("read").as_deref(),
            Some(ACCOUNT),
            "{name}"
        );
        assert_eq!(
            s.user_pool_account("nope").await.expect("read"),
            None,
            "{name}"
        );
        let keys = s.signing_keys("p1").await.expect("keys");
        assert_eq!(
            keys.iter().map(|k| k.kid.as_str()).collect::<Vec<_>>(),
            ["k1"],
            "{name}"
        );
        assert_eq!(
            outcome(s.add_signing_keys(&[key("nope", "k9")]).await),
            "NotFound",
            "{name}"
        );
        assert_eq!(
            outcome(s.add_signing_keys(&[key("p2", "k2")]).await),
            "Ok",
            "{name}"
        );
        assert_eq!(s.signing_keys("p2").await.expect("keys").len(), 1, "{name}");
        // another account sees none of them
        let other = s
            .list_user_pools("222222222222", None, 10)
            .await
            .expect("list");
        assert!(other.items.is_empty() && !other.more, "{name}");
        let mut renamed = pool("p1");
        renamed.name = "renamed".into();
        renamed.doc = r#"{"k":2}"#.into();
        renamed.modified_ms = 9;
        let stored = s
            .replace_user_pool(&renamed)
            .await
            .expect("replace")
            .expect("exists");
        assert_eq!(
            (
                stored.name.as_str(),
                stored.doc.as_str(),
                stored.created_ms,
                stored.modified_ms,
                stored.version
            ),
            ("renamed", r#"{"k":2}"#, 1, 9, 1),
            "{name}: creation time kept, version bumped"
        );
        assert_eq!(
            s.user_pool("p1").await.expect("read"),
            Some(stored.clone()),
            "{name}"
        );
        assert_eq!(
            outcome(s.replace_user_pool(&renamed).await),
            "Conflict",
            "{name}: version 0 is gone"
        );
        let mut next = stored.clone();
        next.name = "again".into();
        assert_eq!(
            s.replace_user_pool(&next)
                .await
                .expect("replace")
                .map(|p| p.version),
            Some(2),
            "{name}"
        );
        assert_eq!(
            s.replace_user_pool(&pool("nope")).await.expect("missing"),
            None,
            "{name}"
        );
        assert_eq!(
            outcome(s.delete_user_pool("p1", 0).await),
            "Conflict",
            "{name}: a delete checks the version it was decided on"
        );
        assert!(s.user_pool("p1").await.expect("read").is_some(), "{name}");
        assert!(s.delete_user_pool("p2", 0).await.expect("delete"), "{name}");
        assert!(
            !s.delete_user_pool("p2", 0).await.expect("delete again"),
            "{name}"
        );
        assert_eq!(
            outcome(s.create_user_pool(&pool("p3"), &[], 2).await),
            "Ok",
            "{name}: a delete frees a slot"
        );
    }
}

#[tokio::test]
async fn pages_follow_the_key_order() {
    for Engine { name, store, .. } in engines().await {
        let s = store.as_ref();
        for id in ["p3", "p1", "p5", "p2", "p4"] {
            s.create_user_pool(&pool(id), &[], 100).await.expect("pool");
        }
        let first = s.list_user_pools(ACCOUNT, None, 2).await.expect("page 1");
        let ids = |page: &rognito_store::Page<UserPoolRecord>| {
            page.items
                .iter()
                .map(|p| p.id.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            (ids(&first), first.more),
            (vec!["p1".to_owned(), "p2".to_owned()], true),
            "{name}"
        );
        let second = s
            .list_user_pools(ACCOUNT, Some("p2"), 2)
            .await
            .expect("page 2");
        assert_eq!(
            (ids(&second), second.more),
            (vec!["p3".to_owned(), "p4".to_owned()], true),
            "{name}"
        );
        let last = s
            .list_user_pools(ACCOUNT, Some("p4"), 2)
            .await
            .expect("page 3");
        assert_eq!(
            (ids(&last), last.more),
            (vec!["p5".to_owned()], false),
            "{name}"
        );
        let exact = s
            .list_user_pools(ACCOUNT, Some("p3"), 2)
            .await
            .expect("exact page");
        assert!(!exact.more, "{name}: a full last page says nothing follows");

        for id in ["c", "a", "b"] {
            s.create_resource_server(&server("p1", id), 25)
                .await
                .expect("server");
            s.create_client(&client("p1", &format!("client-{id}")), None, 25)
                .await
                .expect("client");
        }
        let servers = s
            .list_resource_servers("p1", Some("a"), 10)
            .await
            .expect("servers");
        let identifiers: Vec<_> = servers
            .items
            .iter()
            .map(|r| r.identifier.as_str())
            .collect();
        assert_eq!(identifiers, ["b", "c"], "{name}");
        let clients = s.list_clients("p1", None, 2).await.expect("clients");
        let ids: Vec<_> = clients.items.iter().map(|c| c.client_id.as_str()).collect();
        assert_eq!(
            (ids, clients.more),
            (vec!["client-a", "client-b"], true),
            "{name}"
        );
        assert!(
            s.list_resource_servers("p2", None, 10)
                .await
                .expect("empty")
                .items
                .is_empty(),
            "{name}"
        );
    }
}

#[tokio::test]
async fn resource_servers() {
    for Engine { name, store, .. } in engines().await {
        let s = store.as_ref();
        assert_eq!(
            outcome(s.create_resource_server(&server("nope", "a"), 25).await),
            "NotFound",
            "{name}"
        );
        s.create_user_pool(&pool("p1"), &[], 10)
            .await
            .expect("pool");
        s.create_user_pool(&pool("p2"), &[], 10)
            .await
            .expect("pool");
        assert_eq!(
            outcome(s.create_resource_server(&server("p1", "a"), 1).await),
            "Ok",
            "{name}"
        );
        assert_eq!(
            outcome(s.create_resource_server(&server("p1", "a"), 1).await),
            "AlreadyExists",
            "{name}"
        );
        assert_eq!(
            outcome(s.create_resource_server(&server("p1", "b"), 1).await),
            "LimitExceeded",
            "{name}"
        );
        assert_eq!(
            outcome(s.create_resource_server(&server("p2", "a"), 1).await),
            "Ok",
            "{name}: per pool"
        );

        let mut changed = server("p1", "a");
        changed.name = "renamed".into();
        changed.scopes = r#"[{"ScopeName":"x"}]"#.into();
        changed.created_ms = 99;
        changed.modified_ms = 5;
        let stored = s
            .replace_resource_server(&changed)
            .await
            .expect("replace")
            .expect("exists");
        assert_eq!(
            (stored.name.as_str(), stored.created_ms, stored.modified_ms),
            ("renamed", 1, 5),
            "{name}: creation time kept"
        );
        assert_eq!(
            s.resource_server("p1", "a").await.expect("read"),
            Some(stored.clone()),
            "{name}"
        );
        assert_eq!(
            s.resource_server_in_pool("p1", "a").await.expect("read"),
            Some((ACCOUNT.into(), Some(stored))),
            "{name}: the server with its pool's account"
        );
        assert_eq!(
            s.resource_server_in_pool("p1", "zz").await.expect("read"),
            Some((ACCOUNT.into(), None)),
            "{name}: the pool's account, no server"
        );
        assert_eq!(
            s.resource_server_in_pool("nope", "a").await.expect("read"),
            None,
            "{name}: no pool"
        );
        assert_eq!(
            s.replace_resource_server(&server("p1", "zz"))
                .await
                .expect("replace"),
            None,
            "{name}"
        );
        assert!(
            s.delete_resource_server("p1", "a").await.expect("delete"),
            "{name}"
        );
        assert!(
            !s.delete_resource_server("p1", "a")
                .await
                .expect("delete again"),
            "{name}"
        );
        assert_eq!(
            outcome(s.create_resource_server(&server("p1", "b"), 1).await),
            "Ok",
            "{name}: a delete frees a slot"
        );
    }
}

#[tokio::test]
async fn quotas_hold_under_concurrency() {
    for Engine {
        name,
        store,
        shared,
        ..
    } in engines().await
    {
        store
            .create_user_pool(&pool("p1"), &[], 10)
            .await
            .expect("pool");
        // Where the data can be shared, half the writes go through a second handle: another
        // process, or another node.
        let second = match &shared {
            Some(config) => rognito_store::open(config).await.expect("second handle"),
            None => store.clone(),
        };
        let handles = [store.clone(), second.clone()];
        let tasks: Vec<_> = (0..40)
            .map(|i| {
                let store = handles[i % 2].clone();
                tokio::spawn(async move {
                    let (rs, c, p) = (
                        server("p1", &format!("rs{i:02}")),
                        client("p1", &format!("c{i:02}")),
                        pool(&format!("q{i:02}")),
                    );
                    let servers = outcome(store.create_resource_server(&rs, 25).await);
                    let clients = outcome(store.create_client(&c, None, 10).await);
                    let pools = outcome(store.create_user_pool(&p, &[], 30).await);
                    (servers, clients, pools)
                })
            })
            .collect();
        let mut counts = std::collections::BTreeMap::new();
        for task in tasks {
            let (servers, clients, pools) = task.await.expect("join");
            *counts.entry(("servers", servers)).or_insert(0) += 1;
            *counts.entry(("clients", clients)).or_insert(0) += 1;
            *counts.entry(("pools", pools)).or_insert(0) += 1;
        }
        let expected: std::collections::BTreeMap<_, _> = [
            (("servers", "Ok"), 25),
            (("servers", "LimitExceeded"), 15),
            (("clients", "Ok"), 10),
            (("clients", "LimitExceeded"), 30),
            (("pools", "Ok"), 29),
            (("pools", "LimitExceeded"), 11),
        ]
        .into();
        assert_eq!(counts, expected, "{name}");
        let listed = store
            .list_resource_servers("p1", None, 60)
            .await
            .expect("list");
        assert_eq!(listed.items.len(), 25, "{name}");

        // A client's secrets: at most two, however many are added at once.
        store
            .create_client(&client("p1", "cs"), Some(&secret("cs", "s0", 1)), 100)
            .await
            .expect("client with a secret");
        let tasks: Vec<_> = (0..10)
            .map(|i| {
                let store = handles[i % 2].clone();
                tokio::spawn(async move {
                    outcome(
                        store
                            .add_client_secret(&secret("cs", &format!("s{}", i + 1), 2), 2)
                            .await,
                    )
                })
            })
            .collect();
        let mut added = Vec::new();
        for task in tasks {
            added.push(task.await.expect("join"));
        }
        added.sort_unstable();
        assert_eq!(
            added,
            [vec!["LimitExceeded"; 9], vec!["Ok"]].concat(),
            "{name}: one more secret"
        );
        assert_eq!(
            store.client_secrets("cs").await.expect("secrets").len(),
            2,
            "{name}"
        );
        if shared.is_some() {
            second.close().await;
        }
    }
}

#[tokio::test]
async fn clients_and_secrets() {
    for Engine { name, store, .. } in engines().await {
        let s = store.as_ref();
        assert_eq!(
            outcome(s.create_client(&client("nope", "c1"), None, 10).await),
            "NotFound",
            "{name}"
        );
        s.create_user_pool(&pool("p1"), &[], 10)
            .await
            .expect("pool");
        s.create_user_pool(&pool("p2"), &[], 10)
            .await
            .expect("pool");
        let first = secret("c1", "s1", 1);
        assert_eq!(
            outcome(s.create_client(&client("p1", "c1"), Some(&first), 1).await),
            "Ok",
            "{name}"
        );
        assert_eq!(
            outcome(s.create_client(&client("p2", "c1"), None, 10).await),
            "AlreadyExists",
            "{name}: ids are unique across pools"
        );
        assert_eq!(
            outcome(s.create_client(&client("p1", "c2"), None, 1).await),
            "LimitExceeded",
            "{name}"
        );
        assert_eq!(
            s.client("c1").await.expect("read"),
            Some(client("p1", "c1")),
            "{name}"
        );
        assert_eq!(s.client("nope").await.expect("read"), None, "{name}");

        let mut renamed = client("p1", "c1");
        renamed.client_name = "renamed".into();
        renamed.modified_ms = 7;
        let stored = s
            .replace_client(&renamed)
            .await
            .expect("replace")
            .expect("exists");
        assert_eq!(
            (stored.client_name.as_str(), stored.modified_ms),
            ("renamed", 7),
            "{name}"
        );
        let mut elsewhere = renamed.clone();
        elsewhere.user_pool_id = "p2".into();
        assert_eq!(
            s.replace_client(&elsewhere).await.expect("replace"),
            None,
            "{name}: only in its own pool"
        );

        assert_eq!(
            outcome(s.add_client_secret(&secret("nope", "sx", 2), 2).await),
            "NotFound",
            "{name}"
        );
        assert_eq!(
            outcome(s.add_client_secret(&secret("c1", "s2", 2), 2).await),
            "Ok",
            "{name}"
        );
        assert_eq!(
            outcome(s.add_client_secret(&secret("c1", "s3", 3), 2).await),
            "LimitExceeded",
            "{name}"
        );
        let ids: Vec<_> = s
            .client_secrets("c1")
            .await
            .expect("secrets")
            .into_iter()
            .map(|r| r.secret_id)
            .collect();
        assert_eq!(ids, ["s1", "s2"], "{name}: oldest first");
        assert!(
            !s.delete_client_secret("c1", "nope").await.expect("missing"),
            "{name}"
        );
        assert!(
            s.delete_client_secret("c1", "s1").await.expect("delete"),
            "{name}"
        );
        assert_eq!(
            outcome(s.delete_client_secret("c1", "s2").await),
            "Conflict",
            "{name}: the last secret stays"
        );

        assert!(
            !s.delete_client(&"p2".into(), &"c1".into())
                .await
                .expect("other pool"),
            "{name}"
        );
        assert!(
            s.delete_client(&"p1".into(), &"c1".into())
                .await
                .expect("delete"),
            "{name}"
        );
        assert!(
            s.client_secrets("c1").await.expect("secrets").is_empty(),
            "{name}: secrets go with the client"
        );
        assert_eq!(
            outcome(s.create_client(&client("p1", "c2"), None, 1).await),
            "Ok",
            "{name}: a delete frees a slot"
        );
    }
}

#[tokio::test]
async fn domains() {
    for Engine { name, store, .. } in engines().await {
        let s = store.as_ref();
        assert_eq!(
            outcome(s.create_domain(&domain("nope", "d1")).await),
            "NotFound",
            "{name}"
        );
        s.create_user_pool(&pool("p1"), &[], 10)
            .await
            .expect("pool");
        s.create_user_pool(&pool("p2"), &[], 10)
            .await
            .expect("pool");
        assert_eq!(
            outcome(s.create_domain(&domain("p1", "d1")).await),
            "Ok",
            "{name}"
        );
        assert_eq!(
            outcome(s.create_domain(&domain("p2", "d1")).await),
            "AlreadyExists",
            "{name}: taken by another pool"
        );
        assert_eq!(
            outcome(s.create_domain(&domain("p1", "d2")).await),
            "Conflict",
            "{name}: one domain per pool"
        );
        assert_eq!(
            s.domain("d1").await.expect("read"),
            Some(domain("p1", "d1")),
            "{name}"
        );
        assert_eq!(
            s.domain_of_pool("p1").await.expect("read"),
            Some(domain("p1", "d1")),
            "{name}"
        );
        assert_eq!(s.domain_of_pool("p2").await.expect("read"), None, "{name}");
        let mut changed = domain("p1", "d1");
        changed.doc = r#"{"v":2}"#.into();
        assert_eq!(
            s.replace_domain(&changed)
                .await
                .expect("replace")
                .map(|d| d.doc),
            Some(changed.doc.clone()),
            "{name}"
        );
        assert_eq!(
            s.replace_domain(&domain("p2", "d1"))
                .await
                .expect("replace"),
            None,
            "{name}: not another pool's"
        );
        assert!(
            !s.delete_domain("p2", "d1").await.expect("other pool"),
            "{name}"
        );
        assert!(s.delete_domain("p1", "d1").await.expect("delete"), "{name}");
        assert_eq!(s.domain("d1").await.expect("read"), None, "{name}");
        assert_eq!(
            outcome(s.create_domain(&domain("p2", "d1")).await),
            "Ok",
            "{name}: free again"
        );
    }
}

#[tokio::test]
async fn deleting_a_pool_removes_what_is_in_it() {
    for Engine { name, store, .. } in engines().await {
        let s = store.as_ref();
        s.create_user_pool(&pool("p1"), &[key("p1", "k1")], 10)
            .await
            .expect("pool");
        s.create_user_pool(&pool("p2"), &[], 10)
            .await
            .expect("pool");
        s.create_resource_server(&server("p1", "a"), 25)
            .await
            .expect("server");
        s.create_client(&client("p1", "c1"), Some(&secret("c1", "s1", 1)), 25)
            .await
            .expect("client");
        s.create_domain(&domain("p1", "d1")).await.expect("domain");
        s.create_client(&client("p2", "c2"), None, 25)
            .await
            .expect("other pool's client");
        assert!(s.delete_user_pool("p1", 0).await.expect("delete"), "{name}");
        assert_eq!(
            s.resource_server("p1", "a").await.expect("read"),
            None,
            "{name}"
        );
        assert_eq!(s.client("c1").await.expect("read"), None, "{name}");
        assert!(
            s.client_secrets("c1").await.expect("read").is_empty(),
            "{name}"
        );
        assert_eq!(s.domain("d1").await.expect("read"), None, "{name}");
        assert!(
            s.signing_keys("p1").await.expect("read").is_empty(),
            "{name}"
        );
        assert!(
            s.client("c2").await.expect("read").is_some(),
            "{name}: other pools keep theirs"
        );
        // The ids are free again.
        s.create_user_pool(&pool("p1"), &[], 10)
            .await
            .expect("pool again");
        s.create_domain(&domain("p1", "d1"))
            .await
            .expect("domain again");
        s.create_client(&client("p1", "c1"), None, 25)
            .await
            .expect("client again");
    }
}

#[tokio::test]
async fn identities_keys_and_policies() {
    for Engine { name, store, .. } in engines().await {
        let s = store.as_ref();
        let alice = IdentityRecord {
            account_id: ACCOUNT.into(),
            user_name: "alice".into(),
            created_ms: 1,
        };
        assert_eq!(
            outcome(s.put_policy(&policy("alice", "p", "{}")).await),
            "NotFound",
            "{name}: no identity yet"
        );
        assert_eq!(
            outcome(s.create_identity(&alice, &access_key("alice", "AK1")).await),
            "Ok",
            "{name}"
        );
        assert_eq!(
            outcome(s.create_identity(&alice, &access_key("alice", "AK2")).await),
            "AlreadyExists",
            "{name}"
        );
        let mut bob = alice.clone();
        bob.user_name = "bob".into();
        assert_eq!(
            outcome(s.create_identity(&bob, &access_key("bob", "AK1")).await),
            "AlreadyExists",
            "{name}: key id taken"
        );
        s.create_identity(&bob, &access_key("bob", "AK3"))
            .await
            .expect("bob");
        let mut other = alice.clone();
        other.account_id = "222222222222".into();
        let mut other_key = access_key("alice", "AK4");
        other_key.account_id = other.account_id.clone();
        s.create_identity(&other, &other_key)
            .await
            .expect("same name, another account");

        let names = |list: Vec<IdentityRecord>| {
            list.into_iter()
                .map(|i| (i.account_id, i.user_name))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(s.identities(Some(ACCOUNT)).await.expect("list")).len(),
            2,
            "{name}"
        );
        assert_eq!(
            names(s.identities(None).await.expect("list")).len(),
            3,
            "{name}"
        );
        assert_eq!(
            s.access_key("AK1")
                .await
                .expect("read")
                .map(|k| k.user_name),
            Some("alice".into()),
            "{name}"
        );
        assert_eq!(s.access_key("nope").await.expect("read"), None, "{name}");
        assert_eq!(
            s.access_keys_of(ACCOUNT, "alice")
                .await
                .expect("keys")
                .len(),
            1,
            "{name}"
        );

        s.put_policy(&policy("alice", "read", r#"{"v":1}"#))
            .await
            .expect("attach");
        s.put_policy(&policy("alice", "read", r#"{"v":2}"#))
            .await
            .expect("replace");
        s.put_policy(&policy("alice", "write", "{}"))
            .await
            .expect("attach");
        let docs: Vec<_> = s
            .policies_of(ACCOUNT, "alice")
            .await
            .expect("policies")
            .into_iter()
            .map(|p| (p.policy_name, p.document))
            .collect();
        assert_eq!(
            docs,
            [
                ("read".to_owned(), r#"{"v":2}"#.to_owned()),
                ("write".to_owned(), "{}".to_owned())
            ],
            "{name}"
        );
        assert!(
            s.delete_policy(ACCOUNT, "alice", "write")
                .await
                .expect("detach"),
            "{name}"
        );
        assert!(
            !s.delete_policy(ACCOUNT, "alice", "write")
                .await
                .expect("detach again"),
            "{name}"
        );

        assert!(
            s.delete_identity(ACCOUNT, "alice").await.expect("delete"),
            "{name}"
        );
        assert!(
            !s.delete_identity(ACCOUNT, "alice")
                .await
                .expect("delete again"),
            "{name}"
        );
        assert_eq!(
            s.access_key("AK1").await.expect("read"),
            None,
            "{name}: keys go with the identity"
        );
        assert!(
            s.policies_of(ACCOUNT, "alice")
                .await
                .expect("policies")
                .is_empty(),
            "{name}: policies too"
        );
        assert!(
            s.access_key("AK4").await.expect("read").is_some(),
            "{name}: other accounts keep theirs"
        );
    }
}

#[tokio::test]
async fn server_settings_and_sealed_samples() {
    for Engine { name, store, .. } in engines().await {
        let s = store.as_ref();
        assert_eq!(s.setting("k").await.expect("read"), None, "{name}");
        assert_eq!(
            s.sealed_sample().await.expect("sample"),
            None,
            "{name}: nothing sealed yet"
        );
        let first = s
            .server_setting("k", &|| vec![1, 2, 3])
            .await
            .expect("init");
        let again = s.server_setting("k", &|| vec![9]).await.expect("kept");
        assert_eq!(
            (first.as_slice(), again.as_slice()),
            (&[1, 2, 3][..], &[1, 2, 3][..]),
            "{name}"
        );
        assert_eq!(
            s.setting("k").await.expect("read"),
            Some(vec![1, 2, 3]),
            "{name}"
        );
        s.create_user_pool(&pool("p1"), &[key("p1", "k1")], 10)
            .await
            .expect("pool");
        let sample = s.sealed_sample().await.expect("sample");
        assert!(
            matches!(&sample, Some(SealedSample::SigningKey { kid, sealed }) if kid == "k1" && sealed == &[9; 8]),
            "{name}: the one sealed value is found: {sample:?}"
        );
    }
}

/// Records every change it is told of.
#[derive(Default)]
struct Recorder(std::sync::Mutex<Vec<Change>>);

impl ChangeListener for Recorder {
    fn apply(&self, changes: &[Change]) {
        self.0.lock().expect("lock").extend_from_slice(changes);
    }
}

impl Recorder {
    fn take(&self) -> Vec<Change> {
        std::mem::take(&mut *self.0.lock().expect("lock"))
    }
}

#[tokio::test]
async fn every_write_publishes_what_it_changed_before_it_returns() {
    for Engine { name, store, .. } in engines().await {
        let s = store.as_ref();
        let seen = Arc::new(Recorder::default());
        s.subscribe(seen.clone()).expect("subscribe");
        let pool_change = |id: &str| Change::UserPool {
            user_pool_id: id.into(),
        };
        let server_change = Change::ResourceServer {
            user_pool_id: "p1".into(),
            identifier: "a".into(),
        };
        let client_change = Change::Client {
            user_pool_id: "p1".into(),
            client_id: "c1".into(),
        };
        let secret_change = Change::ClientSecret {
            client_id: "c1".into(),
        };
        let domain_change = Change::Domain {
            user_pool_id: "p1".into(),
            domain: "d1".into(),
        };
        let steps: Vec<(&str, Vec<Change>)> = vec![
            ("create pool", {
                s.create_user_pool(&pool("p1"), &[], 10)
                    .await
                    .expect("pool");
                vec![pool_change("p1")]
            }),
            ("replace pool", {
                s.replace_user_pool(&pool("p1")).await.expect("replace");
                vec![pool_change("p1")]
            }),
            ("create server", {
                s.create_resource_server(&server("p1", "a"), 25)
                    .await
                    .expect("server");
                vec![server_change.clone()]
            }),
            ("replace server", {
                s.replace_resource_server(&server("p1", "a"))
                    .await
                    .expect("replace");
                vec![server_change.clone()]
            }),
            ("create client", {
                s.create_client(&client("p1", "c1"), Some(&secret("c1", "s1", 1)), 25)
                    .await
                    .expect("client");
                vec![client_change.clone()]
            }),
            ("replace client", {
                s.replace_client(&client("p1", "c1"))
                    .await
                    .expect("replace");
                vec![client_change.clone()]
            }),
            ("add secret", {
                s.add_client_secret(&secret("c1", "s2", 2), 2)
                    .await
                    .expect("secret");
                vec![secret_change.clone()]
            }),
            ("delete secret", {
                s.delete_client_secret("c1", "s1")
                    .await
                    .expect("delete secret");
                vec![secret_change]
            }),
            ("create domain", {
                s.create_domain(&domain("p1", "d1")).await.expect("domain");
                vec![domain_change.clone()]
            }),
            ("replace domain", {
                s.replace_domain(&domain("p1", "d1"))
                    .await
                    .expect("replace");
                vec![domain_change.clone()]
            }),
            ("delete domain", {
                s.delete_domain("p1", "d1").await.expect("delete");
                vec![domain_change]
            }),
            ("add keys", {
                s.add_signing_keys(&[key("p1", "k1"), key("p1", "k2")])
                    .await
                    .expect("keys");
                vec![Change::SigningKeys {
                    user_pool_id: "p1".into(),
                }]
            }),
            ("delete server", {
                s.delete_resource_server("p1", "a").await.expect("delete");
                vec![server_change]
            }),
            ("delete client", {
                s.delete_client(&"p1".into(), &"c1".into())
                    .await
                    .expect("delete");
                vec![client_change]
            }),
            ("identity", {
                let alice = IdentityRecord {
                    account_id: ACCOUNT.into(),
                    user_name: "alice".into(),
                    created_ms: 1,
                };
                s.create_identity(&alice, &access_key("alice", "AK1"))
                    .await
                    .expect("identity");
                vec![Change::Identity {
                    account_id: ACCOUNT.into(),
                    user_name: "alice".into(),
                    access_keys: vec!["AK1".into()],
                }]
            }),
            ("policy", {
                s.put_policy(&policy("alice", "p", "{}"))
                    .await
                    .expect("policy");
                s.delete_policy(ACCOUNT, "alice", "p")
                    .await
                    .expect("detach");
                let change = Change::Policy {
                    account_id: ACCOUNT.into(),
                    user_name: "alice".into(),
                };
                vec![change.clone(), change]
            }),
            ("delete identity", {
                s.delete_identity(ACCOUNT, "alice").await.expect("delete");
                vec![Change::Identity {
                    account_id: ACCOUNT.into(),
                    user_name: "alice".into(),
                    access_keys: vec!["AK1".into()],
                }]
            }),
        ];
        // Each step's changes were delivered when its call returned: the recorder is read only
        // now, and must hold exactly every step's changes, in order.
        let expected: Vec<Change> = steps.iter().flat_map(|(_, c)| c.clone()).collect();
        assert_eq!(
            seen.take(),
            expected,
            "{name}: {:?}",
            steps.iter().map(|(s, _)| *s).collect::<Vec<_>>()
        );
        let outbox: Vec<Change> = s
            .changes_after(0, 1000)
            .await
            .expect("outbox")
            .into_iter()
            .map(|(_, c)| c)
            .collect();
        assert_eq!(
            outbox, expected,
            "{name}: the outbox holds the same, in commit order"
        );

        // Writes that change nothing, or fail, publish nothing and leave no outbox row.
        assert!(
            !s.delete_resource_server("p1", "zz").await.expect("no-op"),
            "{name}"
        );
        assert_eq!(
            s.replace_client(&client("p1", "zz")).await.expect("no-op"),
            None,
            "{name}"
        );
        assert_eq!(
            outcome(s.create_user_pool(&pool("p1"), &[], 10).await),
            "AlreadyExists",
            "{name}"
        );
        assert_eq!(
            outcome(s.create_resource_server(&server("nope", "a"), 25).await),
            "NotFound",
            "{name}"
        );
        assert!(seen.take().is_empty(), "{name}: nothing changed");
        assert_eq!(
            s.changes_after(0, 1000).await.expect("outbox").len(),
            expected.len(),
            "{name}"
        );
        let after = s.changes_after(3, 2).await.expect("page");
        let seqs: Vec<u64> = after.iter().map(|(seq, _)| *seq).collect();
        assert!(
            seqs.len() == 2 && seqs[0] > 3 && seqs[0] < seqs[1],
            "{name}: after a sequence number, in order: {seqs:?}"
        );
    }
}

#[tokio::test]
async fn a_pool_delete_names_what_its_cascade_removed() {
    for Engine { name, store, .. } in engines().await {
        let s = store.as_ref();
        s.create_user_pool(&pool("p1"), &[key("p1", "k1")], 10)
            .await
            .expect("pool");
        for identifier in ["b", "a"] {
            s.create_resource_server(&server("p1", identifier), 25)
                .await
                .expect("server");
        }
        s.create_client(&client("p1", "c1"), None, 25)
            .await
            .expect("client");
        s.create_domain(&domain("p1", "d1")).await.expect("domain");
        let seen = Arc::new(Recorder::default());
        s.subscribe(seen.clone()).expect("subscribe");
        s.delete_user_pool("p1", 0).await.expect("delete");
        let mut changes = seen.take();
        if let Some(Change::UserPoolDeleted {
            resource_servers, ..
        }) = changes.first_mut()
        {
            resource_servers.sort();
        }
        assert_eq!(
            changes,
            [Change::UserPoolDeleted {
                user_pool_id: "p1".into(),
                resource_servers: vec!["a".into(), "b".into()],
                clients: vec!["c1".into()],
                domain: Some("d1".into()),
            }],
            "{name}"
        );
    }
}

#[tokio::test]
async fn other_processes_changes_arrive_through_the_tail() {
    for Engine {
        name,
        store,
        shared,
        ..
    } in engines().await
    {
        let Some(config) = shared else {
            continue;
        };
        // A second handle on the same data: what the CLI or another node is.
        let other = rognito_store::open(&config).await.expect("second handle");
        let seen = Arc::new(Recorder::default());
        store.subscribe(seen.clone()).expect("subscribe");
        other
            .create_user_pool(&pool("p1"), &[], 10)
            .await
            .expect("written elsewhere");
        store
            .create_user_pool(&pool("p2"), &[], 10)
            .await
            .expect("written here");
        let mut got = Vec::new();
        // Bounded wait (the tail polls every few milliseconds).
        for _ in 0..500 {
            got.extend(seen.take());
            if got.len() >= 2 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        // Wait a few tail rounds more: this handle's own change must not come back twice.
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        got.extend(seen.take());
        got.sort_by_key(|c| format!("{c:?}"));
        assert_eq!(
            got,
            [
                Change::UserPool {
                    user_pool_id: "p1".into()
                },
                Change::UserPool {
                    user_pool_id: "p2".into()
                },
            ],
            "{name}"
        );
        other.close().await;
        store.close().await;
    }
}

#[tokio::test]
async fn a_committed_write_is_published_even_if_its_caller_went_away() {
    for Engine { name, store, .. } in engines().await {
        let seen = Arc::new(Recorder::default());
        store.subscribe(seen.clone()).expect("subscribe");
        // Poll the write once (it is queued), then drop it, as a request whose client hung up.
        let record = pool("p1");
        let write = store.create_user_pool(&record, &[], 10);
        let _ = tokio::time::timeout(std::time::Duration::ZERO, write).await;
        let mut got = Vec::new();
        for _ in 0..500 {
            got.extend(seen.take());
            if !got.is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        // Queued on its first poll, the write commits without its caller.
        assert!(
            store.user_pool("p1").await.expect("read").is_some(),
            "{name}: committed"
        );
        assert_eq!(
            got,
            [Change::UserPool {
                user_pool_id: "p1".into()
            }],
            "{name}: committed, so published"
        );
    }
}

#[tokio::test]
async fn provisioned_rates_are_stored_and_published() {
    for Engine { name, store, .. } in engines().await {
        let seen = Arc::new(Recorder::default());
        store.subscribe(seen.clone()).expect("subscribe");
        store
            .put_provisioned_limit(ACCOUNT, "UserPoolRead", 30)
            .await
            .expect("limit");
        store
            .put_provisioned_limit(ACCOUNT, "UserPoolRead", 40)
            .await
            .expect("raise");
        let change = |value| Change::ProvisionedLimit {
            account_id: ACCOUNT.into(),
            category: "UserPoolRead".into(),
            value,
        };
        // Published when committed, in order; a tail may deliver them again (it re-applies a
        // process's own rates so the newest committed one wins), never out of order.
        let mut got = seen.take();
        got.dedup();
        assert_eq!(got.get(..2), Some(&[change(30), change(40)][..]), "{name}");
        assert_eq!(got.last(), Some(&change(40)), "{name}: the newest last");
        assert_eq!(
            store.provisioned_limits().await.expect("limits"),
            [(ACCOUNT.into(), "UserPoolRead".to_owned(), 40)],
            "{name}: replaced"
        );
    }
}

/// Deletes racing a pool's delete, through two handles where the engine allows (two nodes):
/// each answers as documented, and none fails (an engine that can deadlock retries).
#[tokio::test]
async fn deletes_racing_a_pool_delete_never_fail() {
    for Engine {
        name,
        store,
        shared,
        ..
    } in engines().await
    {
        let second = match &shared {
            Some(config) => rognito_store::open(config).await.expect("second handle"),
            None => store.clone(),
        };
        for round in 0..3 {
            let p = format!("race{round}");
            store
                .create_user_pool(&pool(&p), &[key(&p, &format!("k{round}"))], 100)
                .await
                .expect("pool");
            for i in 0..8 {
                store
                    .create_client(&client(&p, &format!("{p}c{i}")), None, 100)
                    .await
                    .expect("client");
                store
                    .create_resource_server(&server(&p, &format!("s{i}")), 100)
                    .await
                    .expect("server");
            }
            let mut tasks = Vec::new();
            for i in 0..8 {
                let (one, other) = (store.clone(), second.clone());
                let (pool_id, client_id) = (p.clone(), format!("{p}c{i}"));
                tasks.push(tokio::spawn(async move {
                    let c = one
                        .delete_client(&pool_id.as_str().into(), &client_id.as_str().into())
                        .await;
                    let s = other
                        .delete_resource_server(&pool_id, &format!("s{i}"))
                        .await;
                    (outcome(c), outcome(s))
                }));
            }
            let deleted = outcome(second.delete_user_pool(&p, 0).await);
            assert_eq!(deleted, "Ok", "{name}");
            for task in tasks {
                let (c, s) = task.await.expect("join");
                assert_eq!(
                    (c, s),
                    ("Ok", "Ok"),
                    "{name}: true or false, never an error"
                );
            }
            assert!(store.user_pool(&p).await.expect("read").is_none(), "{name}");
            assert!(
                store
                    .client(&format!("{p}c0"))
                    .await
                    .expect("read")
                    .is_none(),
                "{name}"
            );
        }
        if shared.is_some() {
            second.close().await;
        }
    }
}

/// Many creates at once (on PostgreSQL they are committed in groups): each gets the answer it
/// would get alone, in some order of the creates: a quota filled exactly, an identifier asked for
/// three times made once, a missing pool refused; what was made is counted, listed, published
/// and in the outbox.
#[tokio::test]
async fn creates_at_once_answer_as_one_by_one() {
    for Engine { name, store, .. } in engines().await {
        let seen = Arc::new(Recorder::default());
        store.subscribe(seen.clone()).expect("subscribe");
        for id in ["full", "open"] {
            store
                .create_user_pool(&pool(id), &[], 10)
                .await
                .expect("pool");
        }
        let mut asks: Vec<(&str, String)> = Vec::new();
        asks.extend((0..30).map(|i| ("full", format!("f{i:02}"))));
        asks.extend((0..3).map(|_| ("open", "twice".to_owned())));
        asks.extend((0..7).map(|i| ("open", format!("o{i}"))));
        asks.extend((0..4).map(|i| ("missing", format!("m{i}"))));
        let tasks: Vec<_> = asks
            .iter()
            .map(|(pool_id, identifier)| {
                let (store, rs) = (store.clone(), server(pool_id, identifier));
                let pool_id = (*pool_id).to_owned();
                tokio::spawn(async move {
                    (
                        pool_id,
                        outcome(store.create_resource_server(&rs, 25).await),
                    )
                })
            })
            .collect();
        let mut counts = std::collections::BTreeMap::new();
        for task in tasks {
            *counts.entry(task.await.expect("join")).or_insert(0) += 1;
        }
        let expected: std::collections::BTreeMap<(String, &str), i32> = [
            (("full".to_owned(), "Ok"), 25),
            (("full".to_owned(), "LimitExceeded"), 5),
            (("open".to_owned(), "Ok"), 8),
            (("open".to_owned(), "AlreadyExists"), 2),
            (("missing".to_owned(), "NotFound"), 4),
        ]
        .into();
        assert_eq!(counts, expected, "{name}");
        for (id, made) in [("full", 25), ("open", 8)] {
            let listed = store
                .list_resource_servers(id, None, 60)
                .await
                .expect("list");
            assert_eq!(listed.items.len(), made, "{name}: {id}");
        }
        let published: Vec<Change> = seen
            .take()
            .into_iter()
            .filter(|c| matches!(c, Change::ResourceServer { .. }))
            .collect();
        assert_eq!(published.len(), 33, "{name}: one change per server made");
        let recorded = store
            .changes_after(0, 1000)
            .await
            .expect("outbox")
            .into_iter()
            .filter(|(_, c)| matches!(c, Change::ResourceServer { .. }))
            .count();
        assert_eq!(recorded, 33, "{name}: the outbox names every server made");
        // A round that fits as a whole, and one with an identifier already taken (on
        // PostgreSQL the group's insert is refused and each create is made alone).
        for (round, taken) in [("fits", None), ("retried", Some("o0"))] {
            store
                .create_user_pool(&pool(round), &[], 10)
                .await
                .expect("pool");
            let mut asks: Vec<(String, String)> = (0..20)
                .map(|i| (round.to_owned(), format!("r{i:02}")))
                .collect();
            asks.extend(taken.map(|t| ("open".to_owned(), t.to_owned())));
            let tasks: Vec<_> = asks
                .iter()
                .map(|(pool_id, identifier)| {
                    let (store, rs) = (store.clone(), server(pool_id, identifier));
                    tokio::spawn(
                        async move { outcome(store.create_resource_server(&rs, 25).await) },
                    )
                })
                .collect();
            let mut answers = Vec::new();
            for task in tasks {
                answers.push(task.await.expect("join"));
            }
            answers.sort_unstable();
            let mut expected = vec!["Ok"; 20];
            if taken.is_some() {
                expected.insert(0, "AlreadyExists");
            }
            assert_eq!(answers, expected, "{name}: {round}");
            let listed = store
                .list_resource_servers(round, None, 60)
                .await
                .expect("list");
            assert_eq!(listed.items.len(), 20, "{name}: {round}");
        }

        // The counters are exact: one delete in the full pool makes room for one create.
        assert!(
            store
                .delete_resource_server("full", "f00")
                .await
                .expect("delete")
        );
        assert_eq!(
            outcome(
                store
                    .create_resource_server(&server("full", "again"), 25)
                    .await
            ),
            "Ok",
            "{name}"
        );
        assert_eq!(
            outcome(
                store
                    .create_resource_server(&server("full", "more"), 25)
                    .await
            ),
            "LimitExceeded",
            "{name}"
        );
    }
}

/// PostgreSQL: a pool row another transaction holds (a slow pool delete, a stuck session) holds
/// up the creates in that pool only, not the creates in other pools that share their group.
#[tokio::test]
async fn a_held_pool_row_holds_up_only_its_own_creates() {
    if std::env::var_os("ROGNITO_TEST_POSTGRES").is_none() {
        return;
    }
    let url = postgres_schema_url().await;
    let config = StoreConfig::Postgres(rognito_store::PostgresOptions::new(
        rognito_store::PostgresUrl::parse(&url).expect("URL"),
    ));
    let store = rognito_store::open(&config).await.expect("open");
    for id in ["held", "free"] {
        store
            .create_user_pool(&pool(id), &[], 10)
            .await
            .expect("pool");
    }
    let (holder, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(connection);
    holder
        .batch_execute("BEGIN; SELECT 1 FROM user_pools WHERE id = 'held' FOR UPDATE")
        .await
        .expect("hold the pool's row");
    let create = |pool_id: &'static str, i: usize| {
        let store = store.clone();
        tokio::spawn(async move {
            outcome(
                store
                    .create_resource_server(&server(pool_id, &format!("s{i:02}")), 25)
                    .await,
            )
        })
    };
    let held: Vec<_> = (0..3).map(|i| create("held", i)).collect();
    let free: Vec<_> = (0..20).map(|i| create("free", i)).collect();
    // While the row is still held (the guard only stops a hang: a statement gives up after
    // 5 s, the group's lock wait after 0.1 s).
    let answers = tokio::time::timeout(std::time::Duration::from_secs(4), async {
        let mut answers = Vec::new();
        for task in free {
            answers.push(task.await.expect("join"));
        }
        answers
    })
    .await
    .expect("the creates in the free pool are made while the other pool's row is held");
    assert_eq!(answers, vec!["Ok"; 20]);
    assert!(
        held.iter().all(|t| !t.is_finished()),
        "the held pool's creates wait"
    );
    holder.batch_execute("ROLLBACK").await.expect("release");
    for task in held {
        assert_eq!(task.await.expect("join"), "Ok");
    }
    store.close().await;
}

fn user(pool: &str, username: &str) -> UserRecord {
    UserRecord {
        user_pool_id: pool.into(),
        username: username.into(),
        doc: format!(r#"{{"user":"{username}"}}"#),
        secrets: vec![3, 1, 4],
        created_ms: 10,
        modified_ms: 10,
        version: 0,
    }
}

fn keys(names: &[&str]) -> Vec<String> {
    names.iter().map(|&k| k.to_owned()).collect()
}

fn group(pool: &str, name: &str) -> GroupRecord {
    GroupRecord {
        user_pool_id: pool.into(),
        group_name: name.into(),
        doc: r#"{"Precedence":1}"#.into(),
        created_ms: 5,
        modified_ms: 5,
    }
}

fn session(pool: &str, id: &str, username: &str) -> SessionRecord {
    SessionRecord {
        user_pool_id: pool.into(),
        session_id: id.into(),
        username: username.into(),
        client_id: "c1".into(),
        doc: r#"{"scopes":[]}"#.into(),
        created_ms: 7,
        expires_ms: 70,
    }
}

fn message(pool: &str, id: &str, username: &str, at: i64) -> MessageRecord {
    MessageRecord {
        user_pool_id: pool.into(),
        message_id: id.into(),
        username: username.into(),
        doc: format!(r#"{{"code":"{id}"}}"#),
        created_ms: at,
    }
}

/// The usernames a page of users holds, in its order.
fn usernames(page: &Page<UserRecord>) -> Vec<&str> {
    page.items.iter().map(|u| u.username.as_str()).collect()
}

/// The names a page of groups holds, in its order.
fn group_names(page: &Page<GroupRecord>) -> Vec<&str> {
    page.items.iter().map(|g| g.group_name.as_str()).collect()
}

/// Who `key` finds in `pool`, by username.
async fn found_by(s: &dyn Store, pool: &str, key: &str) -> Option<String> {
    s.user_by_key(pool, key)
        .await
        .expect("user by key")
        .map(|u| u.username)
}

#[tokio::test]
async fn users_are_created_and_found_by_each_key() {
    for Engine { name, store, .. } in engines().await {
        let s = store.as_ref();
        s.create_user_pool(&pool("p1"), &[], 10)
            .await
            .expect("pool");
        s.create_user_pool(&pool("p2"), &[], 10)
            .await
            .expect("pool");
        assert_eq!(
            outcome(
                s.create_user(&user("nope", "alice"), &keys(&["alice"]))
                    .await
            ),
            "NotFound",
            "{name}: no pool"
        );
        let alice_keys = keys(&["alice", "sub-a", "a@example.com"]);
        assert_eq!(
            outcome(s.create_user(&user("p1", "alice"), &alice_keys).await),
            "Ok",
            "{name}"
        );
        for k in &alice_keys {
            assert_eq!(
                s.user_by_key("p1", k).await.expect("read"),
                Some(user("p1", "alice")),
                "{name}: found by {k}"
            );
        }
        assert_eq!(found_by(s, "p1", "nobody").await, None, "{name}");
        assert_eq!(
            found_by(s, "p2", "alice").await,
            None,
            "{name}: keys are per pool"
        );

        // The username taken (with keys of its own): nothing of the failed create is left.
        assert_eq!(
            outcome(
                s.create_user(&user("p1", "alice"), &keys(&["alice2", "sub-x"]))
                    .await
            ),
            "AlreadyExists",
            "{name}: username taken"
        );
        assert_eq!(found_by(s, "p1", "alice2").await, None, "{name}");
        assert_eq!(found_by(s, "p1", "sub-x").await, None, "{name}");
        // A key taken, after keys that were free: no user, no key.
        assert_eq!(
            outcome(
                s.create_user(
                    &user("p1", "bob"),
                    &keys(&["bob", "sub-b", "a@example.com"])
                )
                .await
            ),
            "AlreadyExists",
            "{name}: key taken"
        );
        assert_eq!(found_by(s, "p1", "bob").await, None, "{name}");
        assert_eq!(found_by(s, "p1", "sub-b").await, None, "{name}");
        assert_eq!(
            found_by(s, "p1", "a@example.com").await.as_deref(),
            Some("alice"),
            "{name}: the owner keeps its key"
        );
        let listed = s.list_users("p1", None, 10).await.expect("list");
        assert_eq!(
            usernames(&listed),
            ["alice"],
            "{name}: the failed creates left no user"
        );
        // The same key twice in one create.
        assert_eq!(
            outcome(
                s.create_user(&user("p1", "carol"), &keys(&["carol", "carol"]))
                    .await
            ),
            "AlreadyExists",
            "{name}: key named twice"
        );
        assert_eq!(found_by(s, "p1", "carol").await, None, "{name}");
        // Now bob can be made, and the same names in another pool are free.
        assert_eq!(
            outcome(
                s.create_user(&user("p1", "bob"), &keys(&["bob", "sub-b"]))
                    .await
            ),
            "Ok",
            "{name}"
        );
        assert_eq!(
            outcome(s.create_user(&user("p2", "alice"), &alice_keys).await),
            "Ok",
            "{name}: another pool"
        );
        assert_eq!(
            found_by(s, "p2", "sub-a").await.as_deref(),
            Some("alice"),
            "{name}"
        );
        // A user without keys is listed, though no key finds it.
        assert_eq!(
            outcome(s.create_user(&user("p1", "dave"), &[]).await),
            "Ok",
            "{name}"
        );
        let listed = s.list_users("p1", None, 10).await.expect("list");
        assert_eq!(usernames(&listed), ["alice", "bob", "dave"], "{name}");
    }
}

#[tokio::test]
async fn replacing_a_user_checks_its_version_and_keys() {
    for Engine { name, store, .. } in engines().await {
        let s = store.as_ref();
        s.create_user_pool(&pool("p1"), &[], 10)
            .await
            .expect("pool");
        s.create_user(&user("p1", "alice"), &keys(&["alice", "a@example.com"]))
            .await
            .expect("alice");
        s.create_user(&user("p1", "bob"), &keys(&["bob", "b@example.com"]))
            .await
            .expect("bob");

        // Keys left as they are.
        let mut next = user("p1", "alice");
        next.doc = r#"{"v":1}"#.into();
        next.secrets = vec![9, 9];
        next.modified_ms = 20;
        let stored = s
            .replace_user(&next, None)
            .await
            .expect("replace")
            .expect("alice exists");
        let expected = UserRecord {
            version: 1,
            ..next.clone()
        };
        assert_eq!(stored, expected, "{name}: the next version is returned");
        assert_eq!(stored.doc, next.doc, "{name}");
        assert_eq!(stored.secrets, next.secrets, "{name}");
        assert_eq!(
            s.user_by_key("p1", "a@example.com").await.expect("read"),
            Some(expected.clone()),
            "{name}: keys kept, new version stored"
        );

        // Read at version 0, replaced since.
        let mut stale = user("p1", "alice");
        stale.doc = r#"{"stale":true}"#.into();
        assert_eq!(
            outcome(s.replace_user(&stale, None).await),
            "Conflict",
            "{name}: stale version"
        );
        assert_eq!(
            outcome(s.replace_user(&stale, Some(&keys(&["alice", "new"]))).await),
            "Conflict",
            "{name}: stale version with keys"
        );
        assert_eq!(found_by(s, "p1", "new").await, None, "{name}");
        assert_eq!(
            s.user_by_key("p1", "alice").await.expect("read"),
            Some(expected.clone()),
            "{name}: a conflict writes nothing"
        );
        assert_eq!(
            s.replace_user(&user("p1", "nobody"), None)
                .await
                .expect("replace"),
            None,
            "{name}: no such user"
        );
        assert_eq!(
            s.replace_user(&user("nope", "alice"), None)
                .await
                .expect("replace"),
            None,
            "{name}: no such pool"
        );

        // A new key that is bob's: nothing written, the old keys still work.
        let mut taking = expected.clone();
        taking.doc = r#"{"taking":true}"#.into();
        assert_eq!(
            outcome(
                s.replace_user(&taking, Some(&keys(&["alice", "fresh", "b@example.com"])))
                    .await
            ),
            "AlreadyExists",
            "{name}: key of another user"
        );
        assert_eq!(
            s.user_by_key("p1", "a@example.com").await.expect("read"),
            Some(expected.clone()),
            "{name}: old keys, old version, old document"
        );
        assert_eq!(found_by(s, "p1", "fresh").await, None, "{name}");
        assert_eq!(
            found_by(s, "p1", "b@example.com").await.as_deref(),
            Some("bob"),
            "{name}"
        );

        // The whole set of keys replaced.
        let mut moved = expected.clone();
        moved.doc = r#"{"v":2}"#.into();
        let stored = s
            .replace_user(&moved, Some(&keys(&["alice", "a2@example.com"])))
            .await
            .expect("replace")
            .expect("alice exists");
        assert_eq!(stored.version, 2, "{name}");
        assert_eq!(
            found_by(s, "p1", "a@example.com").await,
            None,
            "{name}: a dropped key"
        );
        assert_eq!(
            found_by(s, "p1", "a2@example.com").await.as_deref(),
            Some("alice"),
            "{name}: a new key"
        );
        assert_eq!(
            s.user_by_key("p1", "alice")
                .await
                .expect("read")
                .map(|u| u.doc),
            Some(r#"{"v":2}"#.to_owned()),
            "{name}"
        );
        // The dropped key is free for another user.
        let bob = s
            .user_by_key("p1", "bob")
            .await
            .expect("read")
            .expect("bob");
        assert_eq!(
            s.replace_user(&bob, Some(&keys(&["bob", "a@example.com"])))
                .await
                .expect("replace")
                .map(|u| u.version),
            Some(1),
            "{name}"
        );
        assert_eq!(
            found_by(s, "p1", "a@example.com").await.as_deref(),
            Some("bob"),
            "{name}"
        );
        // Keys replaced by none.
        let mut bare = stored.clone();
        bare.modified_ms = 30;
        assert_eq!(
            s.replace_user(&bare, Some(&[]))
                .await
                .expect("replace")
                .map(|u| u.version),
            Some(3),
            "{name}"
        );
        assert_eq!(found_by(s, "p1", "alice").await, None, "{name}");
        assert_eq!(
            usernames(&s.list_users("p1", None, 10).await.expect("list")),
            ["alice", "bob"],
            "{name}"
        );
    }
}

#[tokio::test]
async fn deleting_a_user_removes_its_keys_memberships_and_sessions() {
    for Engine { name, store, .. } in engines().await {
        let s = store.as_ref();
        s.create_user_pool(&pool("p1"), &[], 10)
            .await
            .expect("pool");
        s.create_user(&user("p1", "alice"), &keys(&["alice", "sub-a"]))
            .await
            .expect("alice");
        s.create_user(&user("p1", "bob"), &keys(&["bob"]))
            .await
            .expect("bob");
        s.create_group(&group("p1", "g1"), 10).await.expect("group");
        s.add_to_group("p1", "g1", "alice").await.expect("member");
        s.add_to_group("p1", "g1", "bob").await.expect("member");
        s.create_session(&session("p1", "s1", "alice"))
            .await
            .expect("session");
        s.create_session(&session("p1", "s2", "bob"))
            .await
            .expect("session");

        assert!(
            s.delete_user("p1", "alice").await.expect("delete"),
            "{name}"
        );
        assert!(
            !s.delete_user("p1", "alice").await.expect("delete"),
            "{name}: gone already"
        );
        assert!(
            !s.delete_user("nope", "alice").await.expect("delete"),
            "{name}: no pool"
        );
        assert_eq!(found_by(s, "p1", "alice").await, None, "{name}");
        assert_eq!(found_by(s, "p1", "sub-a").await, None, "{name}");
        assert_eq!(s.session("p1", "s1").await.expect("read"), None, "{name}");
        assert_eq!(
            usernames(&s.users_in_group("p1", "g1", None, 10).await.expect("list")),
            ["bob"],
            "{name}"
        );
        // Others keep theirs.
        assert!(
            s.session("p1", "s2").await.expect("read").is_some(),
            "{name}"
        );
        assert_eq!(
            found_by(s, "p1", "bob").await.as_deref(),
            Some("bob"),
            "{name}"
        );

        // Made again, the user starts with nothing: its keys, memberships and sessions were
        // removed, not merely hidden.
        s.create_user(&user("p1", "alice"), &keys(&["alice", "sub-a"]))
            .await
            .expect("alice again");
        assert!(
            s.groups_of_user("p1", "alice", None, 10)
                .await
                .expect("list")
                .items
                .is_empty(),
            "{name}: no membership left"
        );
        assert_eq!(s.session("p1", "s1").await.expect("read"), None, "{name}");
        assert_eq!(
            s.delete_sessions_of("p1", "alice").await.expect("delete"),
            0,
            "{name}: no session left"
        );
        // And a session id of the deleted user's is free again.
        assert_eq!(
            outcome(s.create_session(&session("p1", "s1", "alice")).await),
            "Ok",
            "{name}"
        );
    }
}

#[tokio::test]
async fn user_and_group_pages_follow_the_key_order() {
    for Engine { name, store, .. } in engines().await {
        let s = store.as_ref();
        s.create_user_pool(&pool("p1"), &[], 10)
            .await
            .expect("pool");
        s.create_user_pool(&pool("p2"), &[], 10)
            .await
            .expect("pool");
        for u in ["u3", "u1", "u5", "u2", "u4"] {
            s.create_user(&user("p1", u), &keys(&[u]))
                .await
                .expect("user");
        }
        s.create_user(&user("p2", "u0"), &[]).await.expect("user");
        for g in ["g4", "g2", "g1", "g5", "g3"] {
            s.create_group(&group("p1", g), 10).await.expect("group");
        }
        s.create_group(&group("p2", "g0"), 10).await.expect("group");
        for g in ["g5", "g1", "g3", "g4"] {
            s.add_to_group("p1", g, "u2").await.expect("member");
        }
        for u in ["u5", "u1", "u4", "u2"] {
            s.add_to_group("p1", "g3", u).await.expect("member");
        }

        let first = s.list_users("p1", None, 2).await.expect("page");
        assert_eq!(
            (usernames(&first), first.more),
            (vec!["u1", "u2"], true),
            "{name}"
        );
        let second = s.list_users("p1", Some("u2"), 2).await.expect("page");
        assert_eq!(
            (usernames(&second), second.more),
            (vec!["u3", "u4"], true),
            "{name}"
        );
        let last = s.list_users("p1", Some("u4"), 2).await.expect("page");
        assert_eq!((usernames(&last), last.more), (vec!["u5"], false), "{name}");
        let exact = s.list_users("p1", Some("u3"), 2).await.expect("page");
        assert_eq!(
            (usernames(&exact), exact.more),
            (vec!["u4", "u5"], false),
            "{name}"
        );
        assert_eq!(
            s.list_users("p1", None, 10).await.expect("page").items[0],
            user("p1", "u1"),
            "{name}: whole records"
        );

        let first = s.list_groups("p1", None, 2).await.expect("page");
        assert_eq!(
            (group_names(&first), first.more),
            (vec!["g1", "g2"], true),
            "{name}"
        );
        let second = s.list_groups("p1", Some("g2"), 2).await.expect("page");
        assert_eq!(
            (group_names(&second), second.more),
            (vec!["g3", "g4"], true),
            "{name}"
        );
        let last = s.list_groups("p1", Some("g4"), 2).await.expect("page");
        assert_eq!(
            (group_names(&last), last.more),
            (vec!["g5"], false),
            "{name}"
        );
        assert_eq!(
            s.list_groups("p1", None, 10).await.expect("page").items[0],
            group("p1", "g1"),
            "{name}: whole records"
        );

        let first = s.groups_of_user("p1", "u2", None, 2).await.expect("page");
        assert_eq!(
            (group_names(&first), first.more),
            (vec!["g1", "g3"], true),
            "{name}"
        );
        let last = s
            .groups_of_user("p1", "u2", Some("g3"), 2)
            .await
            .expect("page");
        assert_eq!(
            (group_names(&last), last.more),
            (vec!["g4", "g5"], false),
            "{name}"
        );
        assert_eq!(
            s.groups_of_user("p1", "u2", None, 10)
                .await
                .expect("page")
                .items[0],
            group("p1", "g1"),
            "{name}: whole records"
        );
        assert!(
            s.groups_of_user("p1", "u3", None, 10)
                .await
                .expect("page")
                .items
                .is_empty(),
            "{name}"
        );

        let first = s.users_in_group("p1", "g3", None, 3).await.expect("page");
        assert_eq!(
            (usernames(&first), first.more),
            (vec!["u1", "u2", "u4"], true),
            "{name}"
        );
        let last = s
            .users_in_group("p1", "g3", Some("u4"), 3)
            .await
            .expect("page");
        assert_eq!((usernames(&last), last.more), (vec!["u5"], false), "{name}");
        assert_eq!(
            s.users_in_group("p1", "g3", None, 10)
                .await
                .expect("page")
                .items[0],
            user("p1", "u1"),
            "{name}: whole records"
        );
        assert!(
            s.users_in_group("p1", "g2", None, 10)
                .await
                .expect("page")
                .items
                .is_empty(),
            "{name}"
        );
        assert_eq!(
            usernames(&s.list_users("p2", None, 10).await.expect("page")),
            ["u0"],
            "{name}: other pools' users are not listed"
        );
    }
}

#[tokio::test]
async fn groups_and_members() {
    for Engine { name, store, .. } in engines().await {
        let s = store.as_ref();
        s.create_user_pool(&pool("p1"), &[], 10)
            .await
            .expect("pool");
        s.create_user(&user("p1", "alice"), &keys(&["alice"]))
            .await
            .expect("alice");
        assert_eq!(
            outcome(s.create_group(&group("nope", "g1"), 3).await),
            "NotFound",
            "{name}: no pool"
        );
        for g in ["g1", "g2", "g3"] {
            assert_eq!(
                outcome(s.create_group(&group("p1", g), 3).await),
                "Ok",
                "{name}"
            );
        }
        assert_eq!(
            outcome(s.create_group(&group("p1", "g4"), 3).await),
            "LimitExceeded",
            "{name}: 3 per pool"
        );
        assert_eq!(
            outcome(s.create_group(&group("p1", "g1"), 3).await),
            "AlreadyExists",
            "{name}: a taken name at the quota"
        );
        assert_eq!(
            outcome(s.create_group(&group("p1", "g1"), 10).await),
            "AlreadyExists",
            "{name}: a taken name"
        );
        assert_eq!(s.group("p1", "g4").await.expect("read"), None, "{name}");
        assert_eq!(
            s.group("p1", "g1").await.expect("read"),
            Some(group("p1", "g1")),
            "{name}"
        );
        assert_eq!(s.group("nope", "g1").await.expect("read"), None, "{name}");

        let mut changed = group("p1", "g1");
        changed.doc = r#"{"Precedence":2}"#.into();
        changed.modified_ms = 9;
        assert_eq!(
            s.replace_group(&changed).await.expect("replace"),
            Some(changed.clone()),
            "{name}"
        );
        assert_eq!(
            s.group("p1", "g1").await.expect("read"),
            Some(changed.clone()),
            "{name}"
        );
        assert_eq!(
            s.replace_group(&group("p1", "g9")).await.expect("replace"),
            None,
            "{name}: no such group"
        );
        assert_eq!(s.group("p1", "g9").await.expect("read"), None, "{name}");

        // Members.
        assert_eq!(
            outcome(s.add_to_group("p1", "g1", "nobody").await),
            "NotFound",
            "{name}: no such user"
        );
        assert_eq!(
            outcome(s.add_to_group("p1", "g9", "alice").await),
            "NotFound",
            "{name}: no such group"
        );
        assert_eq!(
            outcome(s.add_to_group("nope", "g1", "alice").await),
            "NotFound",
            "{name}: no such pool"
        );
        assert_eq!(
            outcome(s.add_to_group("p1", "g1", "alice").await),
            "Ok",
            "{name}"
        );
        assert_eq!(
            outcome(s.add_to_group("p1", "g1", "alice").await),
            "Ok",
            "{name}: a member already"
        );
        assert_eq!(
            usernames(&s.users_in_group("p1", "g1", None, 10).await.expect("list")),
            ["alice"],
            "{name}: one membership"
        );
        assert!(
            s.remove_from_group("p1", "g1", "alice")
                .await
                .expect("remove"),
            "{name}"
        );
        assert!(
            !s.remove_from_group("p1", "g1", "alice")
                .await
                .expect("remove"),
            "{name}: not a member"
        );
        assert!(
            !s.remove_from_group("p1", "g9", "alice")
                .await
                .expect("remove"),
            "{name}: no such group"
        );
        assert!(
            s.groups_of_user("p1", "alice", None, 10)
                .await
                .expect("list")
                .items
                .is_empty(),
            "{name}"
        );

        // Deleting a group removes its memberships and frees a slot.
        s.add_to_group("p1", "g2", "alice").await.expect("member");
        assert!(s.delete_group("p1", "g2").await.expect("delete"), "{name}");
        assert!(
            !s.delete_group("p1", "g2").await.expect("delete"),
            "{name}: gone already"
        );
        assert!(
            !s.delete_group("nope", "g2").await.expect("delete"),
            "{name}: no pool"
        );
        assert_eq!(s.group("p1", "g2").await.expect("read"), None, "{name}");
        assert!(
            s.groups_of_user("p1", "alice", None, 10)
                .await
                .expect("list")
                .items
                .is_empty(),
            "{name}: membership gone with the group"
        );
        assert_eq!(
            outcome(s.create_group(&group("p1", "g2"), 3).await),
            "Ok",
            "{name}: a slot free again"
        );
        assert!(
            s.users_in_group("p1", "g2", None, 10)
                .await
                .expect("list")
                .items
                .is_empty(),
            "{name}: made again, the group has no members"
        );
        assert_eq!(
            outcome(s.add_to_group("p1", "g2", "alice").await),
            "Ok",
            "{name}"
        );
    }
}

#[tokio::test]
async fn group_quota_and_user_versions_hold_under_concurrency() {
    for Engine {
        name,
        store,
        shared,
        ..
    } in engines().await
    {
        store
            .create_user_pool(&pool("p1"), &[], 10)
            .await
            .expect("pool");
        // Where the data can be shared, half the writes go through a second handle: another
        // process, or another node.
        let second = match &shared {
            Some(config) => rognito_store::open(config).await.expect("second handle"),
            None => store.clone(),
        };
        let handles = [store.clone(), second.clone()];
        let tasks: Vec<_> = (0..30)
            .map(|i| {
                let store = handles[i % 2].clone();
                tokio::spawn(async move {
                    outcome(
                        store
                            .create_group(&group("p1", &format!("g{i:02}")), 7)
                            .await,
                    )
                })
            })
            .collect();
        let mut answers = Vec::new();
        for task in tasks {
            answers.push(task.await.expect("join"));
        }
        answers.sort_unstable();
        assert_eq!(
            answers,
            [vec!["LimitExceeded"; 23], vec!["Ok"; 7]].concat(),
            "{name}: 7 groups per pool"
        );
        assert_eq!(
            store
                .list_groups("p1", None, 100)
                .await
                .expect("list")
                .items
                .len(),
            7,
            "{name}"
        );

        // Replacements of one version: exactly one wins, however many race.
        store
            .create_user(&user("p1", "alice"), &keys(&["alice"]))
            .await
            .expect("alice");
        let tasks: Vec<_> = (0..10)
            .map(|i| {
                let store = handles[i % 2].clone();
                tokio::spawn(async move {
                    let mut next = user("p1", "alice");
                    next.doc = format!(r#"{{"writer":{i}}}"#);
                    let key = format!("k{i}");
                    outcome(store.replace_user(&next, Some(&[key])).await)
                })
            })
            .collect();
        let mut answers = Vec::new();
        for task in tasks {
            answers.push(task.await.expect("join"));
        }
        answers.sort_unstable();
        assert_eq!(
            answers,
            [vec!["Conflict"; 9], vec!["Ok"]].concat(),
            "{name}: one replacement per version"
        );
        let alice = store.user_by_key("p1", "alice").await.expect("read");
        assert_eq!(
            alice, None,
            "{name}: the winner's keys replaced the first ones"
        );
        let mut found = Vec::new();
        for i in 0..10 {
            if let Some(u) = store
                .user_by_key("p1", &format!("k{i}"))
                .await
                .expect("read")
            {
                assert_eq!(u.version, 1, "{name}");
                assert_eq!(
                    u.doc,
                    format!(r#"{{"writer":{i}}}"#),
                    "{name}: the winner's"
                );
                found.push(i);
            }
        }
        assert_eq!(found.len(), 1, "{name}: only the winner's key");
        if shared.is_some() {
            second.close().await;
        }
    }
}

#[tokio::test]
async fn sessions() {
    for Engine { name, store, .. } in engines().await {
        let s = store.as_ref();
        s.create_user_pool(&pool("p1"), &[], 10)
            .await
            .expect("pool");
        s.create_user(&user("p1", "alice"), &keys(&["alice"]))
            .await
            .expect("alice");
        s.create_user(&user("p1", "bob"), &keys(&["bob"]))
            .await
            .expect("bob");
        assert_eq!(
            outcome(s.create_session(&session("p1", "s0", "nobody")).await),
            "NotFound",
            "{name}: no such user"
        );
        assert_eq!(
            outcome(s.create_session(&session("nope", "s0", "alice")).await),
            "NotFound",
            "{name}: no such pool"
        );
        assert_eq!(s.session("p1", "s0").await.expect("read"), None, "{name}");
        for (id, who) in [("s1", "alice"), ("s2", "alice"), ("s3", "bob")] {
            assert_eq!(
                outcome(s.create_session(&session("p1", id, who)).await),
                "Ok",
                "{name}"
            );
        }
        assert_eq!(
            outcome(s.create_session(&session("p1", "s1", "bob")).await),
            "AlreadyExists",
            "{name}: id collision"
        );
        assert_eq!(
            s.session("p1", "s1").await.expect("read"),
            Some(session("p1", "s1", "alice")),
            "{name}: the first one stays"
        );
        // Replacing is a compare-and-swap on the document read.
        let original = session("p1", "s1", "alice");
        let rotated = rognito_store::SessionRecord {
            doc: r#"{"generation":1}"#.into(),
            expires_ms: original.expires_ms + 1,
            ..original.clone()
        };
        assert!(
            s.replace_session(&rotated, &original.doc)
                .await
                .expect("replace"),
            "{name}: replaced"
        );
        assert!(
            !s.replace_session(&rotated, &original.doc)
                .await
                .expect("stale"),
            "{name}: a stale expected document replaces nothing"
        );
        assert_eq!(
            s.session("p1", "s1").await.expect("read"),
            Some(rotated.clone()),
            "{name}"
        );
        let missing = rognito_store::SessionRecord {
            session_id: "nope".into(),
            ..rotated.clone()
        };
        assert!(
            !s.replace_session(&missing, &rotated.doc)
                .await
                .expect("missing"),
            "{name}: no such session"
        );
        assert!(
            s.replace_session(&original, &rotated.doc)
                .await
                .expect("back"),
            "{name}"
        );
        assert_eq!(s.session("nope", "s1").await.expect("read"), None, "{name}");

        assert!(
            s.delete_session("p1", "s1").await.expect("delete"),
            "{name}"
        );
        assert!(
            !s.delete_session("p1", "s1").await.expect("delete"),
            "{name}: gone already"
        );
        assert!(
            !s.delete_session("nope", "s2").await.expect("delete"),
            "{name}: no pool"
        );
        assert_eq!(s.session("p1", "s1").await.expect("read"), None, "{name}");
        s.create_session(&session("p1", "s4", "alice"))
            .await
            .expect("session");
        assert_eq!(
            s.delete_sessions_of("p1", "alice").await.expect("delete"),
            2,
            "{name}: s2 and s4"
        );
        assert_eq!(
            s.delete_sessions_of("p1", "alice").await.expect("delete"),
            0,
            "{name}"
        );
        assert_eq!(
            s.delete_sessions_of("nope", "bob").await.expect("delete"),
            0,
            "{name}: no pool"
        );
        assert_eq!(s.session("p1", "s2").await.expect("read"), None, "{name}");
        assert_eq!(s.session("p1", "s4").await.expect("read"), None, "{name}");
        assert_eq!(
            s.session("p1", "s3").await.expect("read"),
            Some(session("p1", "s3", "bob")),
            "{name}: other users' sessions stay"
        );
    }
}

#[tokio::test]
async fn messages_newest_first_and_pruned() {
    for Engine { name, store, .. } in engines().await {
        let s = store.as_ref();
        s.create_user_pool(&pool("p1"), &[], 10)
            .await
            .expect("pool");
        s.create_user_pool(&pool("p2"), &[], 10)
            .await
            .expect("pool");
        assert_eq!(
            outcome(s.add_message(&message("nope", "m0", "alice", 1), 3).await),
            "NotFound",
            "{name}: no pool"
        );
        // Out of order, with two at the same time (the id breaks the tie).
        for (id, who, at) in [
            ("m02", "alice", 2),
            ("m01", "alice", 1),
            ("m03", "bob", 3),
            ("m05", "alice", 4),
            ("m04", "alice", 4),
            ("m06", "bob", 6),
        ] {
            assert_eq!(
                outcome(s.add_message(&message("p1", id, who, at), 3).await),
                "Ok",
                "{name}"
            );
        }
        s.add_message(&message("p2", "m07", "alice", 7), 3)
            .await
            .expect("other pool");
        let ids = |messages: Vec<MessageRecord>| {
            messages
                .into_iter()
                .map(|m| m.message_id)
                .collect::<Vec<_>>()
        };
        // alice had four: the oldest (m01) was pruned.
        assert_eq!(
            ids(s.messages("p1", Some("alice"), 10).await.expect("read")),
            ["m05", "m04", "m02"],
            "{name}: alice's three newest"
        );
        assert_eq!(
            ids(s.messages("p1", None, 10).await.expect("read")),
            ["m06", "m05", "m04", "m03", "m02"],
            "{name}: everyone's, newest first"
        );
        assert_eq!(
            ids(s.messages("p1", None, 2).await.expect("read")),
            ["m06", "m05"],
            "{name}: limit"
        );
        assert_eq!(
            s.messages("p1", Some("bob"), 1).await.expect("read"),
            vec![message("p1", "m06", "bob", 6)],
            "{name}: whole records"
        );
        assert!(
            s.messages("p1", Some("carol"), 10)
                .await
                .expect("read")
                .is_empty(),
            "{name}"
        );
        // A smaller `keep` prunes more; other users keep theirs.
        s.add_message(&message("p1", "m08", "alice", 8), 1)
            .await
            .expect("add");
        assert_eq!(
            ids(s.messages("p1", Some("alice"), 10).await.expect("read")),
            ["m08"],
            "{name}: keep 1"
        );
        assert_eq!(
            ids(s.messages("p1", Some("bob"), 10).await.expect("read")),
            ["m06", "m03"],
            "{name}: bob's untouched"
        );
        assert_eq!(
            ids(s.messages("p2", None, 10).await.expect("read")),
            ["m07"],
            "{name}: other pools' untouched"
        );
    }
}

#[tokio::test]
async fn deleting_a_pool_removes_its_users_groups_sessions_and_messages() {
    for Engine { name, store, .. } in engines().await {
        let s = store.as_ref();
        for p in ["p1", "p2"] {
            s.create_user_pool(&pool(p), &[], 10).await.expect("pool");
            s.create_user(&user(p, "alice"), &keys(&["alice", "sub-a"]))
                .await
                .expect("user");
            s.create_group(&group(p, "g1"), 10).await.expect("group");
            s.add_to_group(p, "g1", "alice").await.expect("member");
            s.create_session(&session(p, "s1", "alice"))
                .await
                .expect("session");
            s.add_message(&message(p, "m1", "alice", 1), 10)
                .await
                .expect("message");
        }
        assert!(s.delete_user_pool("p1", 0).await.expect("delete"), "{name}");
        let check_empty = async |what: &str| {
            assert_eq!(found_by(s, "p1", "alice").await, None, "{name}: {what}");
            assert_eq!(found_by(s, "p1", "sub-a").await, None, "{name}: {what}");
            assert!(
                s.list_users("p1", None, 10)
                    .await
                    .expect("list")
                    .items
                    .is_empty(),
                "{name}: {what}"
            );
            assert!(
                s.list_groups("p1", None, 10)
                    .await
                    .expect("list")
                    .items
                    .is_empty(),
                "{name}: {what}"
            );
            assert!(
                s.groups_of_user("p1", "alice", None, 10)
                    .await
                    .expect("list")
                    .items
                    .is_empty(),
                "{name}: {what}"
            );
            assert_eq!(
                s.session("p1", "s1").await.expect("read"),
                None,
                "{name}: {what}"
            );
            assert!(
                s.messages("p1", None, 10).await.expect("read").is_empty(),
                "{name}: {what}"
            );
        };
        check_empty("after the delete").await;
        // Made again, the pool holds none of the old rows.
        s.create_user_pool(&pool("p1"), &[], 10)
            .await
            .expect("pool again");
        check_empty("the pool made again").await;
        s.create_user(&user("p1", "alice"), &keys(&["alice", "sub-a"]))
            .await
            .expect("user again");
        s.create_group(&group("p1", "g1"), 10)
            .await
            .expect("group again");
        assert!(
            s.users_in_group("p1", "g1", None, 10)
                .await
                .expect("list")
                .items
                .is_empty(),
            "{name}: no membership survived"
        );
        // The other pool keeps everything.
        assert_eq!(
            found_by(s, "p2", "sub-a").await.as_deref(),
            Some("alice"),
            "{name}"
        );
        assert_eq!(
            usernames(&s.users_in_group("p2", "g1", None, 10).await.expect("list")),
            ["alice"],
            "{name}"
        );
        assert!(
            s.session("p2", "s1").await.expect("read").is_some(),
            "{name}"
        );
        assert_eq!(
            s.messages("p2", None, 10).await.expect("read").len(),
            1,
            "{name}"
        );
    }
}

#[tokio::test]
async fn user_writes_racing_a_pool_delete_never_fail() {
    for Engine {
        name,
        store,
        shared,
        ..
    } in engines().await
    {
        let second = match &shared {
            Some(config) => rognito_store::open(config).await.expect("second handle"),
            None => store.clone(),
        };
        for round in 0..3 {
            let p = format!("race{round}");
            store
                .create_user_pool(&pool(&p), &[], 100)
                .await
                .expect("pool");
            for i in 0..6 {
                let u = format!("u{i}");
                store
                    .create_user(&user(&p, &u), &keys(&[&u, &format!("sub{i}")]))
                    .await
                    .expect("user");
                store
                    .create_group(&group(&p, &format!("g{i}")), 100)
                    .await
                    .expect("group");
                store
                    .add_to_group(&p, &format!("g{i}"), &u)
                    .await
                    .expect("member");
                store
                    .create_session(&session(&p, &format!("s{i}"), &u))
                    .await
                    .expect("session");
            }
            let mut tasks = Vec::new();
            for i in 0..6 {
                let (one, other) = (store.clone(), second.clone());
                let p = p.clone();
                tasks.push(tokio::spawn(async move {
                    let (u, g) = (format!("u{i}"), format!("g{i}"));
                    let next = (i + 1) % 6;
                    let mut answers = vec![
                        outcome(one.add_to_group(&p, &format!("g{next}"), &u).await),
                        outcome(
                            other
                                .create_session(&session(&p, &format!("t{i}"), &u))
                                .await,
                        ),
                        outcome(
                            one.add_message(&message(&p, &format!("m{i}"), &u, 1), 5)
                                .await,
                        ),
                        outcome(
                            other
                                .replace_user(&user(&p, &u), Some(&keys(&[&u, "x"])))
                                .await,
                        ),
                        outcome(other.create_user(&user(&p, &format!("n{i}")), &[]).await),
                        outcome(one.delete_sessions_of(&p, &u).await),
                    ];
                    answers.push(outcome(other.delete_group(&p, &g).await));
                    answers.push(outcome(one.delete_user(&p, &u).await));
                    answers
                }));
            }
            let deleted = outcome(second.delete_user_pool(&p, 0).await);
            assert_eq!(deleted, "Ok", "{name}");
            for task in tasks {
                for answer in task.await.expect("join") {
                    // `outcome` fails the test on any other error; AlreadyExists is a replace
                    // whose key "x" another replacement took first.
                    assert!(
                        ["Ok", "NotFound", "AlreadyExists"].contains(&answer),
                        "{name}: {answer}"
                    );
                }
            }
            assert!(store.user_pool(&p).await.expect("read").is_none(), "{name}");
            assert!(
                store
                    .list_users(&p, None, 10)
                    .await
                    .expect("list")
                    .items
                    .is_empty(),
                "{name}"
            );
            assert!(
                store.messages(&p, None, 10).await.expect("read").is_empty(),
                "{name}"
            );
        }
        if shared.is_some() {
            second.close().await;
        }
    }
}
