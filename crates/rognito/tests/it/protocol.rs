use crate::harness::{Server, raw};

#[tokio::test]
async fn wire_format_of_successes_and_errors() {
    let server = Server::start(&["--durability", "memory"]);
    let (status, headers, body) = raw(
        &server.url,
        Some("CreateUserPool"),
        r#"{"PoolName":"wire"}"#,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/x-amz-json-1.1");
    assert!(headers.contains_key("x-amzn-requestid"));
    assert!(body["UserPool"]["Id"].is_string());

    let (status, headers, body) = raw(
        &server.url,
        Some("DescribeUserPool"),
        r#"{"UserPoolId":"us-east-1_AAAAAAAAA"}"#,
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(headers["x-amzn-errortype"], "ResourceNotFoundException");
    assert_eq!(headers["content-type"], "application/x-amz-json-1.1");
    assert!(headers.contains_key("x-amzn-requestid"));
    assert_eq!(
        body,
        serde_json::json!({
            "__type": "ResourceNotFoundException",
            "message": "User pool us-east-1_AAAAAAAAA does not exist."
        })
    );
}

#[tokio::test]
async fn unknown_and_unsupported_operations() {
    let server = Server::start(&["--durability", "memory"]);
    for target in [Some("NoSuchThing"), None] {
        let (status, headers, body) = raw(&server.url, target, "{}").await;
        assert_eq!(status, 400);
        assert_eq!(headers["x-amzn-errortype"], "UnknownOperationException");
        assert_eq!(body["__type"], "UnknownOperationException");
    }
    let (status, _, body) = raw(&server.url, Some("AdminListDevices"), "{}").await;
    assert_eq!(status, 400);
    assert_eq!(body["__type"], "UnknownOperationException");
    assert_eq!(
        body["message"],
        "AdminListDevices is a Cognito operation that rognito does not implement."
    );
}

#[tokio::test]
async fn malformed_bodies_are_serialization_errors_never_500s() {
    let server = Server::start(&["--durability", "memory", "--max-body-bytes", "4096"]);
    for (body, message) in [
        (
            r#"{"UserPoolId": 5, "Identifier": "a"}"#,
            Some(
                "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be \
                 converted to an String",
            ),
        ),
        (r#"{"UserPoolId": "p_1", "Scopes": "x"}"#, None),
        ("{not json", None),
        ("", None),
        ("[]", None),
    ] {
        let (status, headers, json) = raw(&server.url, Some("CreateResourceServer"), body).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(
            headers["x-amzn-errortype"], "SerializationException",
            "{body}"
        );
        if let Some(message) = message {
            assert_eq!(json["message"], message);
        }
    }
    let big = format!(r#"{{"PoolName":"{}"}}"#, "x".repeat(5000));
    let (status, headers, _) = raw(&server.url, Some("CreateUserPool"), big).await;
    assert_eq!(status, 413);
    assert_eq!(
        headers["x-amzn-errortype"],
        "RequestEntityTooLargeException"
    );
}

#[tokio::test]
async fn health_and_unknown_paths() {
    let server = Server::start(&["--durability", "memory"]);
    let health = reqwest::get(format!("{}/health", server.url))
        .await
        .expect("health");
    assert_eq!(health.status(), 200);
    assert!(health.headers().contains_key("x-amzn-requestid"));
    let missing = reqwest::get(format!("{}/nope", server.url))
        .await
        .expect("404");
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn refuses_a_taken_port_and_an_unusable_data_dir() {
    let server = Server::start(&["--durability", "memory"]);
    let addr = server.url.trim_start_matches("http://");
    let dir = tempfile::tempdir().expect("tempdir");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rognito"))
        .args(["serve", "--listen", addr, "--data-dir"])
        .arg(dir.path())
        .output()
        .expect("run");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("cannot listen on {addr}")),
        "{stderr}"
    );

    let file = dir.path().join("a-file");
    std::fs::write(&file, b"x").expect("file");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rognito"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&file)
        .output()
        .expect("run");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("exists but is not a directory"), "{stderr}");
}

#[tokio::test]
async fn oversized_or_too_many_headers_are_refused() {
    use std::io::{Read, Write};
    let server = Server::start(&["--durability", "memory"]);
    let addr = server.url.trim_start_matches("http://").to_owned();
    let exchange = |request: String| {
        let mut stream = std::net::TcpStream::connect(&addr).expect("connect");
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .expect("timeout");
        stream.write_all(request.as_bytes()).expect("write");
        let mut response = String::new();
        let _ = stream.read_to_string(&mut response);
        response
    };
    let many: String = (0..100).map(|i| format!("x-h{i}: v\r\n")).collect();
    let response = exchange(format!("GET /health HTTP/1.1\r\nhost: x\r\n{many}\r\n"));
    assert!(response.starts_with("HTTP/1.1 431"), "{response}");
    let huge = "a".repeat(20 * 1024);
    let response = exchange(format!(
        "GET /health HTTP/1.1\r\nhost: x\r\nx-big: {huge}\r\n\r\n"
    ));
    assert!(response.starts_with("HTTP/1.1 431"), "{response}");
    let response = exchange("GET /health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n".into());
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
}

#[tokio::test]
async fn serves_https_with_the_given_certificate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let made = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
        ])
        .args([
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let server = Server::start(&[
        "--durability",
        "memory",
        "--tls-cert",
        &cert.to_string_lossy(),
        "--tls-key",
        &key.to_string_lossy(),
    ]);
    assert!(server.url.starts_with("https://"), "{}", server.url);
    let out = std::process::Command::new("curl")
        .args(["-sS", "--max-time", "10", "--cacert"])
        .arg(&cert)
        .arg(format!("{}/health", server.url))
        .output()
        .expect("curl");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        r#"{"status":"ok"}"#,
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plain = std::process::Command::new("curl")
        .args(["-sS", "--max-time", "10"])
        .arg(format!(
            "{}/health",
            server.url.replace("https://", "http://")
        ))
        .output()
        .expect("curl");
    assert_ne!(String::from_utf8_lossy(&plain.stdout), r#"{"status":"ok"}"#);
}
