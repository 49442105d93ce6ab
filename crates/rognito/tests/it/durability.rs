use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::harness::{Server, new_pool};

#[tokio::test]
async fn data_survives_a_graceful_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = Server::start_in(dir.path(), &[]);
    let client = server.client();
    let pool = new_pool(&client).await;
    client
        .create_resource_server()
        .user_pool_id(&pool)
        .identifier("kept")
        .name("n")
        .send()
        .await
        .expect("create");
    assert!(server.terminate(), "graceful exit: {}", server.log_text());
    assert!(server.log_text().contains("rognito stopped"));

    let server = Server::start_in(dir.path(), &[]);
    let described = server
        .client()
        .describe_resource_server()
        .user_pool_id(&pool)
        .identifier("kept")
        .send()
        .await
        .expect("still there");
    assert_eq!(
        described.resource_server.and_then(|s| s.name),
        Some("n".into())
    );
}

/// Concurrent creates, SIGKILL while they are in flight, restart: every write that was
/// acknowledged with a 200 must be there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_kill_9() {
    let dir = tempfile::tempdir().expect("tempdir");
    let flags = ["--max-resource-servers-per-user-pool", "100000"];
    let mut server = Server::start_in(dir.path(), &flags);
    let client = server.client();
    let pool = new_pool(&client).await;
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let mut writers = Vec::new();
    for w in 0..16 {
        let client = client.clone();
        let pool = pool.clone();
        let acknowledged = acknowledged.clone();
        writers.push(tokio::spawn(async move {
            for i in 0.. {
                let identifier = format!("w{w:02}-{i:05}");
                let sent = client
                    .create_resource_server()
                    .user_pool_id(&pool)
                    .identifier(&identifier)
                    .name("n")
                    .send()
                    .await;
                match sent {
                    Ok(_) => acknowledged.lock().expect("acks").push(identifier),
                    Err(_) => break, // the server is gone
                }
            }
        }));
    }
    // Let writes flow, then kill without warning while requests are in flight.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.kill9();
    for writer in writers {
        let _ = tokio::time::timeout(Duration::from_secs(10), writer).await;
    }
    let acknowledged = acknowledged.lock().expect("acks").clone();
    // Enough to have been in flight at the kill: one pool's creates take turns on its row
    // (its quota counter), so PostgreSQL makes fewer of them per second than SQLite's group
    // commit, and the suite runs many tests at once on two cores.
    assert!(
        acknowledged.len() > 20,
        "too few writes: {}",
        acknowledged.len()
    );

    let server = Server::start_in(dir.path(), &flags);
    let client = server.client();
    let mut stored = std::collections::BTreeSet::new();
    let mut token = None;
    loop {
        let page = client
            .list_resource_servers()
            .user_pool_id(&pool)
            .max_results(50)
            .set_next_token(token)
            .send()
            .await
            .expect("list after restart");
        stored.extend(
            page.resource_servers()
                .iter()
                .filter_map(|s| s.identifier().map(String::from)),
        );
        token = page.next_token().map(String::from);
        if token.is_none() {
            break;
        }
    }
    let lost: Vec<_> = acknowledged
        .iter()
        .filter(|id| !stored.contains(*id))
        .collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    // Unacknowledged writes may or may not have landed, but nothing is half-written:
    // every stored server reads back whole.
    for identifier in stored.iter().take(20) {
        client
            .describe_resource_server()
            .user_pool_id(&pool)
            .identifier(identifier)
            .send()
            .await
            .expect("readable");
    }
}
