//! The change feed across processes: what the CLI writes into the data dir reaches the running
//! server's caches through the outbox tail, without waiting for any timer.

use std::time::{Duration, Instant};

use crate::auth::{cli, exported};
use crate::harness::{Server, error_of};

/// How long a deleted access key may keep working on the server: far above what the feed
/// takes (its tail polls every 10 ms), so only a broken feed fails this.
const BOUND: Duration = Duration::from_secs(2);

#[tokio::test]
async fn an_access_key_deleted_with_the_cli_stops_working_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start_in(dir.path(), &[]);
    let allow_all = dir.path().join("all.json");
    std::fs::write(&allow_all, rognito_access::ALLOW_ALL).expect("write");
    let allow_all = allow_all.to_string_lossy().into_owned();
    let rounds: usize = std::env::var("ROGNITO_FEED_ROUNDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(3);
    let mut delays = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let name = format!("deployer{round}");
        let created = cli(dir.path(), &["identity", "create", "--name", &name]);
        let caller = server.client_as(
            &exported(&created, "AWS_ACCESS_KEY_ID"),
            &exported(&created, "AWS_SECRET_ACCESS_KEY"),
        );
        // Denied until the CLI attaches a policy: the attach must reach the server too.
        let (code, _) = error_of(caller.list_user_pools().max_results(1).send().await);
        assert_eq!(code, "AccessDeniedException");
        let args = [
            "policy",
            "attach",
            "--identity",
            &name,
            "--name",
            "all",
            "--document",
            &allow_all,
        ];
        cli(dir.path(), &args);
        let attached = Instant::now();
        while caller
            .list_user_pools()
            .max_results(1)
            .send()
            .await
            .is_err()
        {
            assert!(
                attached.elapsed() < BOUND,
                "the attached policy never applied"
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        // The key now works and is cached; delete it from another process.
        cli(dir.path(), &["identity", "delete", "--name", &name]);
        let deleted = Instant::now();
        loop {
            match caller.list_user_pools().max_results(1).send().await {
                Ok(_) => assert!(
                    deleted.elapsed() < BOUND,
                    "a deleted key still works after {BOUND:?}"
                ),
                Err(e) => {
                    let (code, _) = error_of::<(), _, _>(Err(e));
                    assert_eq!(code, "UnrecognizedClientException");
                    break;
                }
            }
        }
        delays.push(deleted.elapsed());
    }
    delays.sort();
    let at = |q: f64| delays[((delays.len() - 1) as f64 * q).round() as usize];
    println!(
        "deleted key refused after: p50 {:?}, p99 {:?}, max {:?} ({} rounds)",
        at(0.5),
        at(0.99),
        at(1.0),
        delays.len()
    );
}
