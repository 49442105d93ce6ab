//! `rognito migrate`: a SQLite deployment copied into PostgreSQL serves the same answers, the
//! same tokens and the same keys from a PostgreSQL-backed server; and what it refuses (a
//! non-empty target, a wrong master key, a data dir in use, a copy that does not read back the
//! same) leaves the target as it was.
//!
//! Each test makes its own database in the cluster `ROGNITO_TEST_POSTGRES` names (e.g. the one
//! `scripts/postgres start DIR` prints); without it the tests say they are skipped and pass.

use std::path::Path;
use std::process::{Command, Output};

use aws_sdk_cognitoidentityprovider::Client;
use serde_json::Value;

use crate::auth::{cli, exported};
use crate::harness::{Server, new_pool, new_resource_server};
use crate::limits::category;
use crate::m2m::{m2m_setup, token, verify};

/// Every table `migrate` copies.
const TABLES: &[&str] = &[
    "accounts",
    "user_pools",
    "resource_servers",
    "user_pool_clients",
    "client_secrets",
    "user_pool_domains",
    "signing_keys",
    "iam_users",
    "access_keys",
    "user_policies",
    "provisioned_limits",
    "server_settings",
];

/// A fresh database in the test cluster.
struct Target {
    url: String,
    client: tokio_postgres::Client,
}

impl Target {
    /// A new database, or None (after saying so) when no cluster is configured.
    async fn create(test: &str) -> Option<Target> {
        let Ok(base) = std::env::var("ROGNITO_TEST_POSTGRES") else {
            println!("{test}: skipped (ROGNITO_TEST_POSTGRES is not set)");
            return None;
        };
        // The source is an SQLite data dir: these run in the suite's SQLite pass.
        if crate::harness::on_postgres() {
            println!("{test}: skipped (its source server must be SQLite-backed)");
            return None;
        }
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .subsec_nanos();
        let name = format!("migrate_{test}_{}_{nanos}", std::process::id());
        connect(&base)
            .await
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create a database");
        let (path, query) = match base.split_once('?') {
            Some((path, query)) => (path, format!("?{query}")),
            None => (base.as_str(), String::new()),
        };
        let (server, _) = path.rsplit_once('/').expect("a database in the URL");
        let url = format!("{server}/{name}{query}");
        let client = connect(&url).await;
        Some(Target { url, client })
    }

    /// Each table's row count and a digest of its rows, to show nothing changed.
    async fn fingerprint(&self) -> Vec<(String, i64, Option<String>)> {
        let mut tables = Vec::new();
        for table in TABLES {
            let row = self
                .client
                .query_one(
                    &format!(
                        "SELECT count(*), md5(string_agg(t::text, ',' ORDER BY t::text)) \
                         FROM {table} AS t"
                    ),
                    &[],
                )
                .await
                .expect("fingerprint");
            tables.push((table.to_string(), row.get(0), row.get(1)));
        }
        tables
    }

    /// Whether rognito's schema exists in the database.
    async fn has_schema(&self) -> bool {
        let row = self
            .client
            .query_one(
                "SELECT count(*) FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_name = 'user_pools'",
                &[],
            )
            .await
            .expect("catalog");
        row.get::<_, i64>(0) == 1
    }
}

async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("connect to ROGNITO_TEST_POSTGRES");
    tokio::spawn(connection);
    client
}

/// Runs `rognito migrate --from DIR --to URL ARGS...` (without any master key variable).
fn migrate(from: &Path, to: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rognito"))
        .arg("migrate")
        .arg("--from")
        .arg(from)
        .args(["--to", to])
        .args(args)
        .env_remove("ROGNITO_MASTER_KEY")
        .env_remove("ROGNITO_MASTER_KEY_FILE")
        .output()
        .expect("run rognito migrate")
}

fn text(output: &[u8]) -> String {
    String::from_utf8_lossy(output).into_owned()
}

/// What the API shows of the deployment (the inner shapes, without request ids).
async fn observe(client: &Client, pools: &[String], client_id: &str, domain: &str) -> Vec<String> {
    let mut seen = Vec::new();
    let listed = client.list_user_pools().max_results(60).send().await;
    seen.push(format!("{:?}", listed.expect("list pools").user_pools));
    for pool in pools {
        let described = client.describe_user_pool().user_pool_id(pool).send().await;
        seen.push(format!("{:?}", described.expect("describe pool").user_pool));
        let servers = client
            .list_resource_servers()
            .user_pool_id(pool)
            .max_results(50)
            .send()
            .await;
        seen.push(format!("{:?}", servers.expect("servers").resource_servers));
        let clients = client
            .list_user_pool_clients()
            .user_pool_id(pool)
            .max_results(60)
            .send()
            .await;
        seen.push(format!("{:?}", clients.expect("clients").user_pool_clients));
    }
    let pool = pools.first().expect("a pool");
    let described = client
        .describe_user_pool_client()
        .user_pool_id(pool)
        .client_id(client_id)
        .send()
        .await;
    seen.push(format!("{:?}", described.expect("client").user_pool_client));
    let secrets = client
        .list_user_pool_client_secrets()
        .user_pool_id(pool)
        .client_id(client_id)
        .send()
        .await;
    seen.push(format!("{:?}", secrets.expect("secrets").client_secrets));
    let domain = client
        .describe_user_pool_domain()
        .domain(domain)
        .send()
        .await;
    seen.push(format!("{:?}", domain.expect("domain").domain_description));
    let limit = client
        .get_provisioned_limit()
        .limit_definition(category("UserPoolRead"))
        .send()
        .await;
    seen.push(format!("{:?}", limit.expect("limit").limit));
    seen
}

async fn jwks(server: &Server, pool: &str) -> Value {
    reqwest::get(format!("{}/{pool}/.well-known/jwks.json", server.url))
        .await
        .expect("jwks")
        .json()
        .await
        .expect("json")
}

#[tokio::test]
async fn migrate_moves_a_sqlite_deployment_to_postgres_intact() {
    let Some(target) = Target::create("intact").await else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start_in(dir.path(), &[]);
    let admin = server.client();
    let m2m = m2m_setup(&admin, "migrate-intact").await;
    admin
        .add_user_pool_client_secret()
        .user_pool_id(&m2m.pool)
        .client_id(&m2m.client_id)
        .send()
        .await
        .expect("a second secret");
    let second = new_pool(&admin).await;
    new_resource_server(&admin, &second, "reports", &["read", "write"]).await;
    // A replaced pool: its version moves on, and must move with it.
    admin
        .update_user_pool()
        .user_pool_id(&second)
        .user_pool_tags("team", "m2m")
        .send()
        .await
        .expect("update pool");
    let third = new_pool(&admin).await;
    admin
        .update_provisioned_limit()
        .limit_definition(category("UserPoolRead"))
        .requested_limit_value(40)
        .send()
        .await
        .expect("provisioned limit");
    let created = cli(dir.path(), &["identity", "create", "--name", "deployer"]);
    let policy = dir.path().join("all.json");
    std::fs::write(&policy, rognito_access::ALLOW_ALL).expect("policy file");
    let policy = policy.to_string_lossy().into_owned();
    let attach = [
        "policy",
        "attach",
        "--identity",
        "deployer",
        "--name",
        "all",
        "--document",
        &policy,
    ];
    cli(dir.path(), &attach);
    let deployer = (
        exported(&created, "AWS_ACCESS_KEY_ID"),
        exported(&created, "AWS_SECRET_ACCESS_KEY"),
    );

    let pools = vec![m2m.pool.clone(), second.clone(), third.clone()];
    let before = observe(&admin, &pools, &m2m.client_id, "migrate-intact").await;
    let first_page = admin.list_user_pools().max_results(1).send().await;
    let next_token = first_page.expect("page").next_token.expect("a next token");
    let second_page = admin
        .list_user_pools()
        .max_results(1)
        .next_token(&next_token)
        .send()
        .await
        .expect("second page")
        .user_pools;
    let keys_before = jwks(&server, &m2m.pool).await;
    let mut server = server;
    assert!(server.terminate(), "the SQLite server stops cleanly");

    let out = migrate(dir.path(), &target.url, &[]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "migrate: {}", text(&out.stderr));
    let rows = |table: &str| -> u64 {
        stdout
            .lines()
            .find_map(|l| {
                let mut words = l.split_whitespace();
                (words.next() == Some(table)).then(|| words.next())?
            })
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no row count for {table} in {stdout}"))
    };
    assert_eq!(rows("user_pools"), 3, "{stdout}");
    assert_eq!(rows("resource_servers"), 2, "{stdout}");
    assert_eq!(rows("client_secrets"), 2, "{stdout}");
    assert_eq!(rows("signing_keys"), 6, "{stdout}");
    assert_eq!(rows("user_policies"), 2, "{stdout}"); // root's and deployer's
    assert_eq!(rows("provisioned_limits"), 1, "{stdout}");
    assert_eq!(rows("server_settings"), 2, "{stdout}"); // key check, pagination key
    assert!(stdout.contains("start each node with --store"), "{stdout}");
    let fingerprint = target.fingerprint().await;

    // The PostgreSQL node: another data dir, the same key (here from the environment).
    let key = std::fs::read(dir.path().join("master.key")).expect("master key");
    let key = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, key);
    let node_dir = tempfile::tempdir().expect("tempdir");
    let node = Server::start_with_env(
        node_dir.path(),
        &["--store", &target.url],
        &[("ROGNITO_MASTER_KEY", &key)],
    );
    let admin = node.client();
    assert_eq!(
        observe(&admin, &pools, &m2m.client_id, "migrate-intact").await,
        before
    );
    let page = admin
        .list_user_pools()
        .max_results(1)
        .next_token(&next_token)
        .send()
        .await
        .expect("a NextToken issued before the move still works");
    assert_eq!(page.user_pools, second_page);
    assert_eq!(jwks(&node, &m2m.pool).await, keys_before);
    let (status, body) = token(&node, &m2m.client_id, &m2m.secret, None).await;
    assert_eq!(status, 200, "the old client secret gets a token: {body}");
    let access_token = body["access_token"].as_str().expect("access_token");
    verify(&node, &m2m.pool, access_token)
        .await
        .expect("the token verifies against the copied keys");
    node.client_as(&deployer.0, &deployer.1)
        .list_user_pools()
        .max_results(1)
        .send()
        .await
        .expect("the identity's key still signs, and its policy still allows");

    // Again into the same database: refused, and nothing changes.
    let out = migrate(dir.path(), &target.url, &[]);
    let stderr = text(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("the target database is not empty") && stderr.contains("nothing was"),
        "{stderr}"
    );
    assert_eq!(target.fingerprint().await, fingerprint);
}

#[tokio::test]
async fn migrate_refuses_a_wrong_master_key_before_touching_the_target() {
    let Some(target) = Target::create("wrong_key").await else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = Server::start_in(dir.path(), &[]);
    new_pool(&server.client()).await;
    assert!(server.terminate());
    let wrong = dir.path().join("other.key");
    std::fs::write(&wrong, [7u8; 32]).expect("key file");
    let out = migrate(
        dir.path(),
        &target.url,
        &["--master-key-file", &wrong.to_string_lossy()],
    );
    let stderr = text(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("cannot open the secrets") && stderr.contains("nothing was copied"),
        "{stderr}"
    );
    assert!(!target.has_schema().await, "the target was touched");
}

#[tokio::test]
async fn migrate_refuses_a_data_dir_a_server_holds() {
    let Some(target) = Target::create("locked").await else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start_in(dir.path(), &[]);
    let out = migrate(dir.path(), &target.url, &[]);
    let stderr = text(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains(&format!(
            "is in use by another rognito server (pid {})",
            server.pid()
        )),
        "{stderr}"
    );
    assert!(!target.has_schema().await, "the target was touched");
}

#[tokio::test]
async fn migrate_rolls_back_a_copy_that_does_not_read_back_the_same() {
    let Some(target) = Target::create("mismatch").await else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = Server::start_in(dir.path(), &[]);
    let pool = new_pool(&server.client()).await;
    new_resource_server(&server.client(), &pool, "api", &["read"]).await;
    assert!(server.terminate());
    // The schema, then a trigger that alters what is loaded into one table.
    let options = rognito_store::PostgresOptions::new(
        rognito_store::PostgresUrl::parse(&target.url).expect("URL"),
    );
    let store = rognito_store::open(&rognito_store::StoreConfig::Postgres(options))
        .await
        .expect("the schema");
    store.close().await;
    target
        .client
        .batch_execute(
            "CREATE FUNCTION tamper() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN NEW.name := NEW.name || '!'; RETURN NEW; END $$; \
             CREATE TRIGGER tamper BEFORE INSERT ON resource_servers \
             FOR EACH ROW EXECUTE FUNCTION tamper();",
        )
        .await
        .expect("trigger");
    let out = migrate(dir.path(), &target.url, &[]);
    let stderr = text(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains(&format!(
            "verification failed: table resource_servers, user_pool_id={pool}, \
             identifier=api: column name differs"
        )),
        "{stderr}"
    );
    let empty = target.fingerprint().await.iter().all(|(_, n, _)| *n == 0);
    assert!(empty, "the failed copy left rows behind");

    // Rolled back cleanly: without the trigger the same command succeeds.
    target
        .client
        .batch_execute("DROP TRIGGER tamper ON resource_servers")
        .await
        .expect("drop trigger");
    let out = migrate(dir.path(), &target.url, &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}
