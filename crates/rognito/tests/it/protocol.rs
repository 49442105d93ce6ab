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
    let (status, _, body) = raw(&server.url, Some("AdminCreateUser"), "{}").await;
    assert_eq!(status, 400);
    assert_eq!(body["__type"], "UnknownOperationException");
    assert_eq!(
        body["message"],
        "AdminCreateUser is a Cognito operation that rognito does not implement."
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
    assert!(stderr.contains("is unusable"), "{stderr}");
}
