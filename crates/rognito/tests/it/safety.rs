//! Issue 9, "safe to self-host": each fault found by attacking rognito, as a test. (The SigV4
//! payload-hash bypass is in `auth.rs`.)

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

use aws_sdk_cognitoidentityprovider::types::ExplicitAuthFlowsType;
use base64::Engine as _;
use serde_json::Value;

use crate::auth::{cli, exported};
use crate::harness::{Server, error_of, new_pool};
use crate::m2m::{cc_client, m2m_setup, token};

/// A token request with Basic credentials as given (not escaped) and a claimed client address
/// (the server trusts 127.0.0.1 as a proxy in these tests).
async fn token_from(
    server: &Server,
    address: &str,
    id: &str,
    secret: &str,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}/oauth2/token", server.url))
        .header("x-forwarded-for", address)
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("token");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (
        status,
        headers,
        response.json().await.unwrap_or(Value::Null),
    )
}

/// A.5: guesses in flight are charged before they are checked, so 200 parallel guesses from
/// one address get at most its budget of answers; guesses from many addresses are held to the
/// client's budget; the client's owner (an address that authenticated it) is never refused.
#[tokio::test]
async fn secret_guessing_is_refused_past_its_budgets_even_in_parallel() {
    let server = Server::start(&["--durability", "memory", "--trusted-proxy", "127.0.0.1"]);
    let client = server.client();
    let m2m = m2m_setup(&client, "guessing").await;
    let owner = "203.0.113.1";
    assert_eq!(
        token_from(&server, owner, &m2m.client_id, &m2m.secret)
            .await
            .0,
        200
    );

    let guesses = (0..200).map(|i| {
        let (server, id) = (&server, &m2m.client_id);
        async move { token_from(server, "198.51.100.7", id, &format!("guess-{i:030}")).await }
    });
    let answers = futures_join_all(guesses).await;
    let checked = answers.iter().filter(|(s, _, _)| *s == 400).count();
    let refused: Vec<_> = answers.iter().filter(|(s, _, _)| *s == 429).collect();
    assert_eq!(checked + refused.len(), 200, "every guess is answered");
    // The address's budget is 100 failures, plus one a second while the test runs.
    assert!(
        checked <= 110,
        "{checked} of 200 parallel guesses were checked"
    );
    for (_, headers, body) in &refused {
        assert!(headers.contains_key("retry-after"), "{headers:?}");
        assert_eq!(body["error"], "invalid_request");
    }
    // The client's budget is spent too (the 200 guesses above charged it): an address that
    // guessed wrong for it is refused even with the right secret, while addresses that never
    // did (a new pod, the owner) are not refused for someone else's guessing.
    for i in 0..40 {
        let address = format!("192.0.2.{i}");
        let _ = token_from(&server, &address, &m2m.client_id, "wrong-wrong-wrong-wrong").await;
    }
    let (status, headers, _) = token_from(&server, "192.0.2.7", &m2m.client_id, &m2m.secret).await;
    assert_eq!(status, 429, "an address that guessed wrong is refused");
    assert!(headers.contains_key("retry-after"));
    let fresh = token_from(&server, "192.0.2.200", &m2m.client_id, &m2m.secret).await;
    assert_eq!(
        fresh.0, 200,
        "a new address with the right secret: {:?}",
        fresh.2
    );
    for _ in 0..5 {
        assert_eq!(
            token_from(&server, owner, &m2m.client_id, &m2m.secret)
                .await
                .0,
            200
        );
    }
    // GetClientToken shares the budgets (the SDK's requests come from 127.0.0.1 itself): its
    // first wrong guess is checked, the next refused.
    let guess = || {
        client
            .get_client_token()
            .client_id(&m2m.client_id)
            .secret("wrong_wrong_wrong_wrong_wrong")
            .send()
    };
    assert_eq!(error_of(guess().await).0, "NotAuthorizedException");
    assert_eq!(error_of(guess().await).0, "TooManyRequestsException");
}

/// `join_all` without the futures crate: polls the futures concurrently on this task.
async fn futures_join_all<F: std::future::Future>(
    futures: impl Iterator<Item = F>,
) -> Vec<F::Output> {
    let mut pending: Vec<Option<std::pin::Pin<Box<F>>>> =
        futures.map(|f| Some(Box::pin(f))).collect();
    let mut results: Vec<Option<F::Output>> = pending.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut done = true;
        for (slot, result) in pending.iter_mut().zip(results.iter_mut()) {
            if let Some(future) = slot {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(output) => {
                        *result = Some(output);
                        *slot = None;
                    }
                    std::task::Poll::Pending => done = false,
                }
            }
        }
        if done {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    results.into_iter().flatten().collect()
}

/// A.4: an anonymous flood of wrong secrets does not spend the account's token rate, and an
/// identity denied by IAM does not spend its account's API rate.
#[tokio::test]
async fn only_authenticated_requests_spend_an_accounts_rate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start_in(
        dir.path(),
        &[
            "--rate-limit",
            "ClientAuthentication=20",
            "--rate-limit",
            "UserPoolRead=5",
        ],
    );
    let client = server.client();
    let target = m2m_setup(&client, "flooded").await;
    let (other_id, other_secret) = cc_client(&client, &target.pool, "other", &["api/read"]).await;
    // 60 wrong secrets for the known client id, as fast as they go, then at once 20 tokens for
    // another client of the account: the bucket holds 20, none spent by the flood.
    let flood = (0..60).map(|_| token(&server, &target.client_id, "not-the-secret-at-all!!", None));
    for (status, _) in futures_join_all(flood).await {
        assert!(status == 400 || status == 429, "{status}");
    }
    let mut served = 0;
    for _ in 0..20 {
        if token(&server, &other_id, &other_secret, None).await.0 == 200 {
            served += 1;
        }
    }
    assert!(
        served >= 19,
        "only {served} of 20 tokens served after the flood"
    );

    // An identity with no policy: every call is denied, and none is charged.
    let created = cli(dir.path(), &["identity", "create", "--name", "nobody"]);
    let nobody = server.client_as(
        &exported(&created, "AWS_ACCESS_KEY_ID"),
        &exported(&created, "AWS_SECRET_ACCESS_KEY"),
    );
    for _ in 0..30 {
        let (code, _) = error_of(nobody.list_user_pools().max_results(10).send().await);
        assert_eq!(code, "AccessDeniedException");
    }
    for _ in 0..5 {
        client
            .list_user_pools()
            .max_results(10)
            .send()
            .await
            .expect("the admin's budget is untouched");
    }
}

fn write_key(path: &std::path::Path, byte: u8) {
    std::fs::write(path, [byte; 32]).expect("key file");
}

/// Starts `rognito serve` to completion or to its listening line; returns (started, stderr).
fn try_start(data_dir: &std::path::Path, env: &[(&str, &str)]) -> (bool, String) {
    let mut server = Command::new(env!("CARGO_BIN_EXE_rognito"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .args(crate::harness::store_flags(data_dir))
        .env("NO_COLOR", "1")
        .env_remove("ROGNITO_MASTER_KEY")
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stderr = server.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut text = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n) = stderr.read(&mut buf) {
            if n == 0 {
                break;
            }
            text.extend_from_slice(&buf[..n]);
            let _ = tx.send(String::from_utf8_lossy(&text).into_owned());
        }
    });
    let mut text = String::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while std::time::Instant::now() < deadline {
        if let Ok(Some(_)) = server.try_wait() {
            while let Ok(t) = rx.recv_timeout(Duration::from_millis(200)) {
                text = t;
            }
            return (false, text);
        }
        if let Ok(t) = rx.recv_timeout(Duration::from_millis(50)) {
            text = t;
            if text.contains("listening on") {
                let _ = server.kill();
                let _ = server.wait();
                return (true, text);
            }
        }
    }
    let _ = server.kill();
    let _ = server.wait();
    panic!("rognito neither started nor stopped: {text}");
}

/// A.6: a missing or different master key on a database with sealed secrets stops the start
/// (naming the key's source) and writes no key; the CLI never makes a key; the right key works.
#[tokio::test]
async fn a_master_key_that_cannot_open_the_database_stops_the_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key_file = dir.path().join("master.key");
    let m2m = {
        let mut server = Server::start_in(dir.path(), &[]);
        let m2m = m2m_setup(&server.client(), "keyed").await;
        assert!(server.terminate());
        m2m
    };
    let original = std::fs::read(&key_file).expect("key");

    std::fs::remove_file(&key_file).expect("remove key");
    let (started, stderr) = try_start(dir.path(), &[]);
    assert!(!started, "started without its key: {stderr}");
    assert!(
        stderr.contains("master.key does not exist, but the database holds secrets sealed"),
        "{stderr}"
    );
    assert!(!key_file.exists(), "a failed start wrote a key file");

    write_key(&key_file, 7);
    let (started, stderr) = try_start(dir.path(), &[]);
    assert!(!started);
    assert!(
        stderr.contains("cannot open the secrets in the database"),
        "{stderr}"
    );
    assert!(
        stderr.contains("master key file"),
        "names the source: {stderr}"
    );
    assert_eq!(
        std::fs::read(&key_file).expect("key"),
        [7; 32],
        "left as it was"
    );

    let other = base64::engine::general_purpose::STANDARD.encode([9u8; 32]);
    let (started, stderr) = try_start(dir.path(), &[("ROGNITO_MASTER_KEY", &other)]);
    assert!(!started);
    assert!(
        stderr.contains("the master key from ROGNITO_MASTER_KEY cannot open"),
        "{stderr}"
    );

    // The CLI without the server's key: refused, and it makes neither a key nor an identity.
    std::fs::remove_file(&key_file).expect("remove key");
    let out = Command::new(env!("CARGO_BIN_EXE_rognito"))
        .args(["identity", "create", "--name", "lost", "--data-dir"])
        .arg(dir.path())
        .args(crate::harness::store_flags(dir.path()))
        .env_remove("ROGNITO_MASTER_KEY")
        .output()
        .expect("cli");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("The CLI uses the server's master key and never makes one"),
        "{stderr}"
    );
    assert!(!key_file.exists());

    std::fs::write(&key_file, &original).expect("restore key");
    let listed = cli(dir.path(), &["identity", "list"]);
    assert!(!listed.contains("lost"), "{listed}");
    let server = Server::start_in(dir.path(), &[]);
    assert_eq!(
        token(&server, &m2m.client_id, &m2m.secret, None).await.0,
        200
    );
}

/// A.7 and B.18, B.22: one server per data dir; a failed start leaves nothing behind; files
/// are private.
#[tokio::test]
async fn a_data_dir_serves_one_server_and_a_failed_start_leaves_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let first = Server::start_in(&data, &[]);
    let (started, stderr) = try_start(&data, &[]);
    assert!(!started, "a second server started on the same data dir");
    assert!(
        stderr.contains(&format!(
            "is in use by another rognito server (pid {})",
            first.pid()
        )),
        "{stderr}"
    );
    assert!(stderr.contains("docs/operations.md"), "{stderr}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode =
            |p: &std::path::Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(&data), 0o700);
        let database: &[&str] = if crate::harness::on_postgres() {
            &[]
        } else {
            &["rognito.sqlite3", "rognito.sqlite3-wal"]
        };
        for file in database.iter().chain(&["audit.log", "master.key"]) {
            assert_eq!(mode(&data.join(file)), 0o600, "{file}");
        }
    }
    drop(first);

    // The port is taken: nothing is created.
    let busy = Server::start(&["--durability", "memory"]);
    let fresh = dir.path().join("never");
    let out = Command::new(env!("CARGO_BIN_EXE_rognito"))
        .args([
            "serve",
            "--listen",
            busy.url.trim_start_matches("http://"),
            "--data-dir",
        ])
        .arg(&fresh)
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(
        !fresh.exists(),
        "a start that could not listen created its data dir"
    );
    // The audit log cannot be opened: the data dir it made (key, database) is removed again.
    let out = Command::new(env!("CARGO_BIN_EXE_rognito"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--audit-log",
            "/nonexistent/dir/audit.log",
            "--data-dir",
        ])
        .arg(&fresh)
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(
        !fresh.exists(),
        "a failed start left {:?}",
        std::fs::read_dir(&fresh).map(|d| d.count())
    );
}

/// A legitimate client gets `/health` answered (within 10 s) despite what else is connected.
async fn assert_health_answers(server: &Server) {
    let health = reqwest::Client::new()
        .get(format!("{}/health", server.url))
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .expect("a legitimate client gets through");
    assert_eq!(health.status(), 200);
}

/// A.8: at the connection cap, the oldest idle connection makes room, and the cap is logged.
#[tokio::test]
async fn idle_connections_cannot_lock_clients_out() {
    let server = Server::start(&["--durability", "memory", "--max-connections", "8"]);
    let addr = server.url.trim_start_matches("http://").to_owned();
    let idle: Vec<TcpStream> = (0..40)
        .map(|_| TcpStream::connect(&addr).expect("connect"))
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    assert_health_answers(&server).await;
    drop(idle);
    assert!(
        server.log_text().contains("connection cap reached"),
        "{}",
        server.log_text()
    );
}

/// Sends raw bytes and reads the response's status line (5 s at most).
fn raw_exchange(addr: &str, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    stream.write_all(request).expect("write");
    let mut response = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = stream.read(&mut buf) {
        if n == 0 {
            break;
        }
        response.extend_from_slice(&buf[..n]);
        if response.windows(4).any(|w| w == b"\r\n\r\n") {
            break;
        }
    }
    String::from_utf8_lossy(&response)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// A.9: every route caps its body, the token form at 16 KiB; an over-declared length is
/// refused at once (not after the request timeout), and an API caller that cannot authenticate
/// is refused before its body is read.
#[tokio::test]
async fn bodies_are_capped_on_every_route_and_refused_early() {
    let server = Server::start(&["--durability", "memory", "--request-timeout", "60"]);
    let addr = server.url.trim_start_matches("http://").to_owned();
    let over = raw_exchange(
        &addr,
        b"POST /oauth2/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 10000000\r\n\r\n",
    );
    assert!(over.contains("413"), "{over}");
    let form = format!(
        "grant_type=client_credentials&client_id={}",
        "a".repeat(20_000)
    );
    let response = reqwest::Client::new()
        .post(format!("{}/oauth2/token", server.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 413);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error"], "invalid_request");
    // Chunked (no declared length) and over the cap.
    let chunk = "b".repeat(20_000);
    let chunked = format!(
        "POST /oauth2/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{chunk}\r\n0\r\n\r\n",
        chunk.len()
    );
    assert!(raw_exchange(&addr, chunked.as_bytes()).contains("413"));
    // The API: over --max-body-bytes at once; unauthenticated refused before any body.
    let over = raw_exchange(
        &addr,
        b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: AWSCognitoIdentityProviderService.CreateUserPool\r\nContent-Length: 2000000\r\n\r\n",
    );
    assert!(over.contains("413"), "{over}");
    let unsigned = raw_exchange(
        &addr,
        b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: AWSCognitoIdentityProviderService.CreateUserPool\r\nContent-Length: 900000\r\n\r\n",
    );
    assert!(
        unsigned.contains("400"),
        "refused without waiting for the body: {unsigned}"
    );
    // Other routes too.
    let over = raw_exchange(
        &addr,
        b"POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\n\r\n",
    );
    assert!(over.contains("413"), "{over}");
}

/// A.10: concurrent adds and deletes of one client's secrets never collide on an id, and the
/// quota of two holds.
#[tokio::test]
async fn concurrent_secret_rotation_never_fails_and_keeps_the_quota() {
    let server = Server::start(&["--durability", "memory"]);
    let client = server.client();
    let m2m = m2m_setup(&client, "rotation").await;
    let workers = (0..12).map(|_| {
        let (client, pool, id) = (client.clone(), m2m.pool.clone(), m2m.client_id.clone());
        async move {
            let mut codes = Vec::new();
            for _ in 0..10 {
                match client
                    .add_user_pool_client_secret()
                    .user_pool_id(&pool)
                    .client_id(&id)
                    .send()
                    .await
                {
                    Ok(added) => {
                        let secret_id = added
                            .client_secret_descriptor
                            .and_then(|d| d.client_secret_id)
                            .expect("id");
                        let _ = client
                            .delete_user_pool_client_secret()
                            .user_pool_id(&pool)
                            .client_id(&id)
                            .client_secret_id(&secret_id)
                            .send()
                            .await;
                        codes.push("ok".to_owned());
                    }
                    Err(e) => {
                        use aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata as _;
                        codes.push(e.code().unwrap_or("?").to_owned());
                    }
                }
            }
            codes
        }
    });
    let codes: Vec<String> = futures_join_all(workers)
        .await
        .into_iter()
        .flatten()
        .collect();
    assert!(
        codes
            .iter()
            .all(|c| c == "ok" || c == "LimitExceededException"),
        "{codes:?}"
    );
    assert!(codes.iter().any(|c| c == "ok"));
    let listed = client
        .list_user_pool_client_secrets()
        .user_pool_id(&m2m.pool)
        .client_id(&m2m.client_id)
        .send()
        .await
        .expect("list");
    assert!(listed.client_secrets().len() <= 2);
}

/// A.11: scopes are separated by SP only; Basic credentials are form-urlencoding-decoded.
#[tokio::test]
async fn token_requests_follow_rfc_6749_parsing() {
    let server = Server::start(&["--durability", "memory"]);
    let client = server.client();
    let m2m = m2m_setup(&client, "parsing").await;
    assert_eq!(
        token(
            &server,
            &m2m.client_id,
            &m2m.secret,
            Some("api/read api/write")
        )
        .await
        .0,
        200
    );
    for separator in ["\t", "\n", "\r\n", "\u{a0}", "\u{3000}"] {
        let scope = format!("api/read{separator}api/write");
        let (status, body) = token(&server, &m2m.client_id, &m2m.secret, Some(&scope)).await;
        assert_eq!(
            (status, &body["error"]),
            (400, &Value::from("invalid_scope")),
            "{separator:?}"
        );
    }
    // A custom secret with '+', sent form-urlencoded (as Go's oauth2 does) and raw.
    let plus_secret = "abc+def+ghi+jkl+mno+pqr+stu";
    client
        .add_user_pool_client_secret()
        .user_pool_id(&m2m.pool)
        .client_id(&m2m.client_id)
        .client_secret(plus_secret)
        .send()
        .await
        .expect("custom secret");
    let escaped = plus_secret.replace('+', "%2B");
    assert_eq!(
        token(&server, &m2m.client_id, &escaped, None).await.0,
        200,
        "escaped"
    );
    assert_eq!(
        token(&server, &m2m.client_id, plus_secret, None).await.0,
        200,
        "raw"
    );
}

/// A.2: caller input cannot grow the audit log: anonymous refusals are aggregated and every
/// field is bounded; authenticated calls keep a line each.
#[tokio::test]
async fn the_audit_log_cannot_be_grown_by_anonymous_or_large_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    let audit = dir.path().join("audit.log");
    let mut server = Server::start_in(dir.path(), &[]);
    let big_id = "c".repeat(15_000);
    let http = reqwest::Client::new();
    for _ in 0..80 {
        let response = http
            .post(format!("{}/oauth2/token", server.url))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", big_id.as_str()),
                ("client_secret", "x"),
            ])
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), 400);
    }
    let header = format!("AWS4-HMAC-SHA256 {}", "Credential=".repeat(1_400));
    for _ in 0..80 {
        let response = http
            .post(format!("{}/", server.url))
            .header(
                "x-amz-target",
                "AWSCognitoIdentityProviderService.CreateUserPool",
            )
            .header("authorization", &header)
            .body("{}")
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), 400);
    }
    // An authenticated write whose error message would echo 100 KB of input.
    let client = server.client();
    let (code, _) = error_of(
        client
            .create_user_pool()
            .pool_name("p".repeat(100_000))
            .send()
            .await,
    );
    assert_eq!(code, "InvalidParameterException");
    new_pool(&client).await;
    assert!(server.terminate());
    let text = std::fs::read_to_string(&audit).expect("audit log");
    assert!(text.len() < 6_000, "{} bytes of audit log", text.len());
    assert!(
        !text.contains("Credential=Credential="),
        "the Authorization header was echoed"
    );
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    let aggregated: u64 = lines
        .iter()
        .filter_map(|l| l["aggregated"]["count"].as_u64())
        .sum();
    assert_eq!(aggregated, 160);
    assert_eq!(
        lines
            .iter()
            .filter(|l| l["eventName"] == "CreateUserPool" && l.get("aggregated").is_none())
            .count(),
        2,
        "both authenticated calls have a line of their own"
    );
}

/// A.3: a failing audit log is counted and logged; failing closed refuses tokens and writes
/// (and /health says so), failing open keeps serving.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn audit_failures_are_visible_and_can_fail_closed() {
    let open = Server::start(&["--audit-log", "/dev/full"]);
    let client = open.client();
    let m2m = m2m_setup(&client, "fail-open").await;
    assert_eq!(token(&open, &m2m.client_id, &m2m.secret, None).await.0, 200);
    let mut health = Value::Null;
    for _ in 0..100 {
        health = reqwest::get(format!("{}/health", open.url))
            .await
            .expect("health")
            .json()
            .await
            .expect("json");
        if health.get("audit").is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(health["status"], "ok");
    assert!(
        health["audit"]["failedWrites"]
            .as_u64()
            .is_some_and(|n| n >= 1),
        "{health}"
    );
    assert!(open.log_text().contains("cannot write the audit log"));

    // Failing closed, on a data dir set up while the log worked.
    let dir = tempfile::tempdir().expect("tempdir");
    let m2m = {
        let mut setup = Server::start_in(dir.path(), &[]);
        let m2m = m2m_setup(&setup.client(), "fail-closed").await;
        assert!(setup.terminate());
        m2m
    };
    let closed = Server::start_in(
        dir.path(),
        &["--audit-log", "/dev/full", "--audit-failure", "closed"],
    );
    let client = closed.client();
    // The first token's line cannot be written: the token is withheld.
    let (status, body) = token(&closed, &m2m.client_id, &m2m.secret, None).await;
    assert_eq!(status, 503, "{body}");
    assert!(body.get("access_token").is_none());
    let (status, _) = token(&closed, &m2m.client_id, &m2m.secret, None).await;
    assert_eq!(status, 503, "refused while the log cannot be written");
    let (code, _) = error_of(client.create_user_pool().pool_name("refused").send().await);
    assert_eq!(code, "InternalErrorException");
    let pools = client
        .list_user_pools()
        .max_results(60)
        .send()
        .await
        .expect("reads work");
    assert!(
        pools
            .user_pools()
            .iter()
            .all(|p| p.name() != Some("refused"))
    );
    let health = reqwest::get(format!("{}/health", closed.url))
        .await
        .expect("health");
    assert_eq!(health.status(), 503);
}

/// B.19: a stop takes no time when nothing is in flight, idle and half-sent connections
/// included (the drain waits only for requests being served).
#[tokio::test]
async fn a_stop_does_not_wait_for_idle_connections() {
    let mut server = Server::start(&["--durability", "memory", "--request-timeout", "60"]);
    let addr = server.url.trim_start_matches("http://").to_owned();
    let _idle = TcpStream::connect(&addr).expect("connect");
    let mut half = TcpStream::connect(&addr).expect("connect");
    half.write_all(b"POST / HTTP/1.1\r\nHost: x\r\n")
        .expect("half a head");
    // Not a timing test: `terminate` gives up (false) after 5 s, and a drain that waited for
    // these connections would take the 60 s request timeout.
    assert!(
        server.terminate(),
        "graceful stop without waiting for idle connections"
    );
}

/// B.15, B.16, B.20: credentials messages fit the mode; configured credentials that replace
/// the root key say so; no colour codes in a log that is not a terminal.
#[tokio::test]
async fn start_messages_fit_the_mode() {
    // Runs `rognito serve` until it listens, then stops it: (stdout, stderr).
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_rognito"))
            .arg("serve")
            .args(args)
            .env_remove("NO_COLOR")
            .env_remove("ROGNITO_ACCESS_KEY_ID")
            .env_remove("ROGNITO_SECRET_ACCESS_KEY")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            use std::io::BufRead as _;
            let mut text = String::new();
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                if line.contains("listening on") {
                    let _ = tx.send(());
                }
                text.push_str(&line);
                text.push('\n');
            }
            text
        });
        let listening = rx.recv_timeout(Duration::from_secs(30)).is_ok();
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let out = child.wait_with_output().expect("output");
        let stderr = reader.join().expect("reader");
        assert!(listening, "did not start: {stderr}");
        (String::from_utf8_lossy(&out.stdout).into_owned(), stderr)
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().to_string_lossy().into_owned();
    let (stdout, stderr) = run(
        &[
            "--listen",
            "localhost:0",
            "--auth",
            "dev",
            "--data-dir",
            &data,
        ],
        &[],
    );
    assert!(
        !stdout.contains("generated credentials"),
        "dev mode: {stdout}"
    );
    assert!(
        stderr.contains("listening on http://127.0.0.1:"),
        "localhost resolves: {stderr}"
    );
    assert!(
        !stderr.contains('\u{1b}'),
        "colour codes in a piped log: {stderr:?}"
    );
    let (stdout, _) = run(&["--listen", "127.0.0.1:0", "--data-dir", &data], &[]);
    assert!(stdout.contains("they are shown only now"), "{stdout}");
    let (stdout, stderr) = run(&["--listen", "127.0.0.1:0", "--durability", "memory"], &[]);
    assert!(
        stdout.contains("they last as long as this process"),
        "{stdout}"
    );
    assert!(
        !stderr.contains("data_dir"),
        "memory mode names no data dir: {stderr}"
    );
    let (_, stderr) = run(
        &["--listen", "127.0.0.1:0", "--data-dir", &data],
        &[
            ("ROGNITO_ACCESS_KEY_ID", "AKIARECOVERYKEY00001"),
            (
                "ROGNITO_SECRET_ACCESS_KEY",
                "a-new-root-secret-for-recovery",
            ),
        ],
    );
    assert!(
        stderr.contains("WARN") && stderr.contains("replaced the root identity's access key"),
        "{stderr}"
    );
}

/// B.23: GetClientToken for a client without custom scopes says what is wrong.
#[tokio::test]
async fn get_client_token_without_scopes_says_why() {
    let server = Server::start(&["--durability", "memory"]);
    let client = server.client();
    let pool = new_pool(&client).await;
    let created = client
        .create_user_pool_client()
        .user_pool_id(&pool)
        .client_name("bare")
        .generate_secret(true)
        .explicit_auth_flows(ExplicitAuthFlowsType::from("ALLOW_CLIENT_TOKEN_AUTH"))
        .send()
        .await
        .expect("client")
        .user_pool_client
        .expect("client");
    let (code, message) = error_of(
        client
            .get_client_token()
            .client_id(created.client_id().expect("id"))
            .secret(created.client_secret().expect("secret"))
            .send()
            .await,
    );
    assert_eq!(code, "InvalidParameterException");
    assert!(message.contains("has no AllowedOAuthScopes"), "{message}");
}

/// A.8 (slow senders): connections that are only uploading request bodies neither hold the
/// cap against new clients nor hold up a stop.
#[tokio::test]
async fn slow_request_bodies_cannot_hold_the_cap_or_the_stop() {
    let mut server = Server::start(&[
        "--durability",
        "memory",
        "--max-connections",
        "8",
        "--request-timeout",
        "60",
    ]);
    let addr = server.url.trim_start_matches("http://").to_owned();
    let slow: Vec<TcpStream> = (0..12)
        .map(|_| {
            let mut stream = TcpStream::connect(&addr).expect("connect");
            stream
                .write_all(
                    b"POST /oauth2/token HTTP/1.1\r\nHost: x\r\nContent-Type: \
                      application/x-www-form-urlencoded\r\nContent-Length: 16000\r\n\r\ngrant_type=",
                )
                .expect("write");
            stream
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    assert_health_answers(&server).await;
    // Not a timing test: a stop that waited for these bodies would take the 60 s timeout.
    assert!(
        server.terminate(),
        "the stop does not wait for slow senders"
    );
    drop(slow);
}

/// A.1 (the same kind): a header the server acts on is read as the signature covers it, so a
/// signed `X-Amz-Target: A,B` replayed as two headers `A` and `B` does not run `A`.
#[tokio::test]
async fn split_headers_cannot_reuse_a_signature() {
    let server = Server::start(&["--durability", "memory"]);
    let joined = "ListUserPools,AWSCognitoIdentityProviderService.DeleteUserPool";
    let body = br#"{"MaxResults":10}"#;
    let signed = crate::harness::sigv4_headers(
        &server.url,
        Some(joined),
        body,
        crate::harness::ACCESS_KEY_ID,
        crate::harness::SECRET_ACCESS_KEY,
        "us-east-1",
        std::time::SystemTime::now(),
    );
    let mut split: Vec<(String, String)> = signed
        .into_iter()
        .filter(|(k, _)| k != "x-amz-target")
        .collect();
    split.push((
        "x-amz-target".into(),
        "AWSCognitoIdentityProviderService.ListUserPools".into(),
    ));
    split.push((
        "x-amz-target".into(),
        "AWSCognitoIdentityProviderService.DeleteUserPool".into(),
    ));
    let (status, _, json) = crate::harness::send(&server.url, split, body.to_vec()).await;
    assert_eq!(status, 400, "{json}");
    assert_eq!(json["__type"], "UnknownOperationException", "{json}");
}

/// A.2: a client id that names no client is never recorded (it could be a secret sent in the
/// wrong field); a wrong secret for an existing client names that client.
#[tokio::test]
async fn the_audit_log_records_only_ids_of_existing_clients() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = Server::start_in(dir.path(), &[]);
    let m2m = m2m_setup(&server.client(), "swapped").await;
    // id and secret swapped, as a hurried user might.
    assert_eq!(
        token(&server, &m2m.secret, &m2m.client_id, None).await.0,
        400
    );
    assert_eq!(
        token(&server, &m2m.client_id, "wrong-wrong-wrong-wrong", None)
            .await
            .0,
        400
    );
    assert!(server.terminate());
    let text = std::fs::read_to_string(dir.path().join("audit.log")).expect("audit log");
    assert!(
        !text.contains(&m2m.secret),
        "a secret reached the audit log"
    );
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l["resource"] == m2m.client_id.as_str() && l["errorCode"] == "invalid_client"),
        "the attacked client is named"
    );
}

/// A.3: failing closed is in force from the start: a log that cannot be written is known to
/// be failing before the first write.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn failing_closed_holds_from_the_first_request() {
    let server = Server::start(&["--audit-log", "/dev/full", "--audit-failure", "closed"]);
    let health = reqwest::get(format!("{}/health", server.url))
        .await
        .expect("health");
    assert_eq!(health.status(), 503);
    let (code, _) = error_of(
        server
            .client()
            .create_user_pool()
            .pool_name("first")
            .send()
            .await,
    );
    assert_eq!(code, "InternalErrorException");
}

/// B.18: a failed start removes the parents of the data dir it made, too.
#[tokio::test]
async fn a_failed_start_removes_the_directories_it_made() {
    let dir = tempfile::tempdir().expect("tempdir");
    let nested = dir.path().join("a").join("b").join("data");
    let out = Command::new(env!("CARGO_BIN_EXE_rognito"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--audit-log",
            "/nonexistent/dir/audit.log",
            "--data-dir",
        ])
        .arg(&nested)
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(!dir.path().join("a").exists(), "left the parents it made");
    assert!(dir.path().exists(), "never what it did not make");
}

/// B.13: the CLI prints the region with a new key and warns about actions that name no
/// operation.
#[tokio::test]
async fn the_cli_prints_the_region_and_warns_about_unknown_actions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let _server = Server::start_in(dir.path(), &[]);
    let created = cli(dir.path(), &["identity", "create", "--name", "typo"]);
    assert!(
        created.contains("export AWS_DEFAULT_REGION=us-east-1"),
        "{created}"
    );
    let policy = dir.path().join("policy.json");
    std::fs::write(
        &policy,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
            "Action":["cognito-idp:DescribeUserPol","cognito-idp:List*"],"Resource":"*"}]}"#,
    )
    .expect("policy");
    let out = Command::new(env!("CARGO_BIN_EXE_rognito"))
        .args([
            "policy",
            "attach",
            "--identity",
            "typo",
            "--name",
            "p",
            "--document",
        ])
        .arg(&policy)
        .arg("--data-dir")
        .arg(dir.path())
        .args(crate::harness::store_flags(dir.path()))
        .output()
        .expect("cli");
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cognito-idp:DescribeUserPol is no Cognito operation"),
        "{stderr}"
    );
    assert!(!stderr.contains("List*"), "{stderr}");
}
