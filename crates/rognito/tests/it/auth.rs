//! SigV4 refusals with hand-signed raw requests, identities from the CLI, IAM allow/deny, account
//! isolation, and `--auth dev`.

use std::process::Command;
use std::time::{Duration, SystemTime};

use crate::harness::{
    ACCESS_KEY_ID, SECRET_ACCESS_KEY, Server, error_of, new_pool, send, sigv4_headers,
};

const BODY: &str = r#"{"PoolName":"signed"}"#;

fn signed(server: &Server, secret: &str, region: &str, time: SystemTime) -> Vec<(String, String)> {
    sigv4_headers(
        &server.url,
        Some("CreateUserPool"),
        BODY.as_bytes(),
        ACCESS_KEY_ID,
        secret,
        region,
        time,
    )
}

fn replace(headers: &mut Vec<(String, String)>, name: &str, value: &str) {
    headers.retain(|(k, _)| k != name);
    headers.push((name.to_owned(), value.to_owned()));
}

fn authorization(headers: &[(String, String)]) -> String {
    headers
        .iter()
        .find(|(k, _)| k == "authorization")
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

async fn expect_refusal(
    server: &Server,
    headers: Vec<(String, String)>,
    body: &str,
    code: &str,
) -> String {
    let (status, response_headers, json) =
        send(&server.url, headers, body.as_bytes().to_vec()).await;
    assert_eq!(status, 400, "{json}");
    assert_eq!(response_headers["x-amzn-errortype"], code, "{json}");
    assert_eq!(json["__type"], code);
    json["message"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn every_signature_refusal_has_awss_code() {
    let server = Server::start(&["--durability", "memory"]);
    let now = SystemTime::now();
    let good = signed(&server, SECRET_ACCESS_KEY, "us-east-1", now);
    let (status, _, _) = send(&server.url, good.clone(), BODY.as_bytes().to_vec()).await;
    assert_eq!(status, 200, "a correctly signed request works");

    // no Authorization at all
    let mut unsigned = good.clone();
    unsigned.retain(|(k, _)| k != "authorization");
    let message = expect_refusal(
        &server,
        unsigned,
        BODY,
        "MissingAuthenticationTokenException",
    )
    .await;
    assert_eq!(message, "Request is missing Authentication Token");

    // malformed header
    let mut malformed = good.clone();
    replace(
        &mut malformed,
        "authorization",
        "AWS4-HMAC-SHA256 Credential=x",
    );
    expect_refusal(&server, malformed, BODY, "IncompleteSignatureException").await;

    // unknown access key
    let mut unknown = good.clone();
    let auth = authorization(&good).replace(ACCESS_KEY_ID, "AKIAUNKNOWNKEY000000");
    replace(&mut unknown, "authorization", &auth);
    let message = expect_refusal(&server, unknown, BODY, "UnrecognizedClientException").await;
    assert_eq!(
        message,
        "The security token included in the request is invalid."
    );

    // wrong secret, tampered body, tampered signed header
    let wrong = signed(&server, "not-the-secret-key", "us-east-1", now);
    let message = expect_refusal(&server, wrong, BODY, "InvalidSignatureException").await;
    assert!(message.starts_with("The request signature we calculated does not match"));
    expect_refusal(
        &server,
        good.clone(),
        r#"{"PoolName":"tampered"}"#,
        "InvalidSignatureException",
    )
    .await;
    let mut retargeted = good.clone();
    replace(
        &mut retargeted,
        "x-amz-target",
        "AWSCognitoIdentityProviderService.ListUserPools",
    );
    expect_refusal(&server, retargeted, BODY, "InvalidSignatureException").await;

    // wrong region, wrong service, stale
    let other_region = signed(&server, SECRET_ACCESS_KEY, "eu-west-1", now);
    let message = expect_refusal(&server, other_region, BODY, "InvalidSignatureException").await;
    assert!(message.contains("eu-west-1"), "{message}");
    let mut other_service = good.clone();
    let auth = authorization(&good).replace("/cognito-idp/", "/dynamodb/");
    replace(&mut other_service, "authorization", &auth);
    let message = expect_refusal(&server, other_service, BODY, "InvalidSignatureException").await;
    assert!(message.contains("cognito-idp"), "{message}");
    let stale = signed(
        &server,
        SECRET_ACCESS_KEY,
        "us-east-1",
        now - Duration::from_secs(16 * 60),
    );
    let message = expect_refusal(&server, stale, BODY, "InvalidSignatureException").await;
    assert!(message.starts_with("Signature expired:"), "{message}");

    // required headers left out of the signature
    for header in ["host", "x-amz-date", "x-amz-target"] {
        let mut partial = good.clone();
        let auth = authorization(&good);
        let list = auth
            .split("SignedHeaders=")
            .nth(1)
            .and_then(|r| r.split(',').next())
            .unwrap_or_default();
        let reduced: Vec<&str> = list.split(';').filter(|h| *h != header).collect();
        replace(
            &mut partial,
            "authorization",
            &auth.replace(list, &reduced.join(";")),
        );
        let message = expect_refusal(&server, partial, BODY, "InvalidSignatureException").await;
        assert!(message.contains(header), "{header}: {message}");
    }

    // GetClientToken needs no signature (IAM does not evaluate it)
    let (status, _, json) = raw_unsigned(
        &server,
        "GetClientToken",
        r#"{"ClientId":"abc","Secret":"x"}"#,
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(json["__type"], "InvalidParameterException");
}

async fn raw_unsigned(
    server: &Server,
    target: &str,
    body: &str,
) -> (u16, reqwest::header::HeaderMap, serde_json::Value) {
    let headers = vec![
        (
            "content-type".to_owned(),
            "application/x-amz-json-1.1".to_owned(),
        ),
        (
            "x-amz-target".to_owned(),
            format!("AWSCognitoIdentityProviderService.{target}"),
        ),
    ];
    send(&server.url, headers, body.as_bytes().to_vec()).await
}

pub(crate) fn cli(data_dir: &std::path::Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_rognito"))
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .args(crate::harness::store_flags(data_dir))
        .output()
        .expect("run rognito");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub(crate) fn exported(output: &str, name: &str) -> String {
    output
        .lines()
        .find_map(|l| l.trim().strip_prefix(&format!("export {name}=")))
        .expect("exported value")
        .to_owned()
}

#[tokio::test]
async fn identities_policies_and_account_isolation() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start_in(dir.path(), &[]);
    let admin = server.client();
    let pool = new_pool(&admin).await;
    let other_pool = new_pool(&admin).await;

    // a new identity can do nothing until a policy says so
    let created = cli(dir.path(), &["identity", "create", "--name", "deployer"]);
    let (key, secret) = (
        exported(&created, "AWS_ACCESS_KEY_ID"),
        exported(&created, "AWS_SECRET_ACCESS_KEY"),
    );
    let deployer = server.client_as(&key, &secret);
    let (code, message) = error_of(deployer.list_user_pools().max_results(10).send().await);
    assert_eq!(code, "AccessDeniedException");
    assert_eq!(
        message,
        "User: arn:aws:iam::000000000000:user/deployer is not authorized to perform: \
         cognito-idp:ListUserPools on resource: * because no identity-based policy allows the \
         cognito-idp:ListUserPools action"
    );

    // allow resource-server work everywhere, but deny updates on one pool
    let policy = dir.path().join("policy.json");
    std::fs::write(
        &policy,
        format!(
            r#"{{"Version":"2012-10-17","Statement":[
                {{"Effect":"Allow","Action":["cognito-idp:*ResourceServer*"],"Resource":"*"}},
                {{"Effect":"Deny","Action":"cognito-idp:UpdateResourceServer",
                  "Resource":"arn:aws:cognito-idp:us-east-1:000000000000:userpool/{pool}"}}]}}"#
        ),
    )
    .expect("write policy");
    let policy = policy.to_string_lossy().into_owned();
    cli(
        dir.path(),
        &[
            "policy",
            "attach",
            "--identity",
            "deployer",
            "--name",
            "rs",
            "--document",
            &policy,
        ],
    );
    // The CLI's change reaches the server through the change feed (see feed.rs).
    tokio::time::sleep(Duration::from_millis(500)).await;
    deployer
        .create_resource_server()
        .user_pool_id(&pool)
        .identifier("api")
        .name("api")
        .send()
        .await
        .expect("allowed to create");
    let (code, message) = error_of(
        deployer
            .update_resource_server()
            .user_pool_id(&pool)
            .identifier("api")
            .name("renamed")
            .send()
            .await,
    );
    assert_eq!(code, "AccessDeniedException");
    assert_eq!(
        message,
        format!(
            "User: arn:aws:iam::000000000000:user/deployer is not authorized to perform: \
             cognito-idp:UpdateResourceServer on resource: \
             arn:aws:cognito-idp:us-east-1:000000000000:userpool/{pool} with an explicit deny in \
             an identity-based policy"
        )
    );
    deployer
        .create_resource_server()
        .user_pool_id(&other_pool)
        .identifier("api")
        .name("api")
        .send()
        .await
        .expect("create elsewhere");
    deployer
        .update_resource_server()
        .user_pool_id(&other_pool)
        .identifier("api")
        .name("renamed")
        .send()
        .await
        .expect("the deny names one pool only");
    let (code, _) = error_of(deployer.delete_user_pool().user_pool_id(&pool).send().await);
    assert_eq!(code, "AccessDeniedException", "pools are not covered");

    // a policy with a condition rognito cannot evaluate is refused when attached
    let conditional = dir.path().join("conditional.json");
    std::fs::write(
        &conditional,
        r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}}"#,
    )
    .expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_rognito"))
        .args([
            "policy",
            "attach",
            "--identity",
            "deployer",
            "--name",
            "c",
            "--document",
        ])
        .arg(&conditional)
        .arg("--data-dir")
        .arg(dir.path())
        .args(crate::harness::store_flags(dir.path()))
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("Condition"));

    // another account sees none of this account's pools
    let created = cli(
        dir.path(),
        &[
            "identity",
            "create",
            "--name",
            "tenant",
            "--account-id",
            "111111111111",
        ],
    );
    let (key2, secret2) = (
        exported(&created, "AWS_ACCESS_KEY_ID"),
        exported(&created, "AWS_SECRET_ACCESS_KEY"),
    );
    let allow_all = dir.path().join("all.json");
    std::fs::write(&allow_all, rognito_access::ALLOW_ALL).expect("write");
    let allow_all = allow_all.to_string_lossy().into_owned();
    cli(
        dir.path(),
        &[
            "policy",
            "attach",
            "--identity",
            "tenant",
            "--name",
            "all",
            "--document",
            &allow_all,
            "--account-id",
            "111111111111",
        ],
    );
    let tenant = server.client_as(&key2, &secret2);
    let (code, message) = error_of(tenant.describe_user_pool().user_pool_id(&pool).send().await);
    assert_eq!(code, "ResourceNotFoundException");
    assert_eq!(message, format!("User pool {pool} does not exist."));
    let listed = tenant
        .list_user_pools()
        .max_results(60)
        .send()
        .await
        .expect("list");
    assert!(listed.user_pools().is_empty());
    let theirs = new_pool(&tenant).await;
    let (code, _) = error_of(
        admin
            .describe_user_pool()
            .user_pool_id(&theirs)
            .send()
            .await,
    );
    assert_eq!(code, "ResourceNotFoundException");

    // a deleted identity's key stops working
    cli(dir.path(), &["identity", "delete", "--name", "deployer"]);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (code, _) = error_of(
        deployer
            .describe_resource_server()
            .user_pool_id(&pool)
            .identifier("api")
            .send()
            .await,
    );
    assert_eq!(code, "UnrecognizedClientException");
    let listing = cli(dir.path(), &["identity", "list"]);
    assert!(listing.contains("user/admin") && listing.contains("user/tenant"));
    assert!(!listing.contains("user/deployer"));
}

#[tokio::test]
async fn dev_mode_accepts_any_well_formed_signature_on_loopback_only() {
    let server = Server::start(&["--durability", "memory", "--auth", "dev"]);
    assert!(server.log_text().contains("--auth dev"));
    let anyone = server.client_as("AKIAANYBODYATALL0000", "whatever-secret-at-all");
    new_pool(&anyone).await;
    // still refused: unsigned requests
    let headers = vec![
        (
            "content-type".to_owned(),
            "application/x-amz-json-1.1".to_owned(),
        ),
        (
            "x-amz-target".to_owned(),
            "AWSCognitoIdentityProviderService.ListUserPools".to_owned(),
        ),
    ];
    let (status, _, json) = send(&server.url, headers, br#"{"MaxResults":1}"#.to_vec()).await;
    assert_eq!(
        (status, json["__type"].as_str()),
        (400, Some("MissingAuthenticationTokenException"))
    );

    let out = Command::new(env!("CARGO_BIN_EXE_rognito"))
        .args([
            "serve",
            "--auth",
            "dev",
            "--listen",
            "0.0.0.0:0",
            "--durability",
            "memory",
        ])
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("loopback"));
}

#[tokio::test]
async fn first_start_generates_and_prints_credentials_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut first = Command::new(env!("CARGO_BIN_EXE_rognito"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .args(crate::harness::store_flags(dir.path()))
        .env_remove("ROGNITO_ACCESS_KEY_ID")
        .env_remove("ROGNITO_SECRET_ACCESS_KEY")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let mut stdout = first.stdout.take().expect("stdout");
    let mut printed = String::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !printed.contains("AWS_DEFAULT_REGION") && std::time::Instant::now() < deadline {
        let mut buf = [0u8; 512];
        let n = std::io::Read::read(&mut stdout, &mut buf).unwrap_or(0);
        if n == 0 {
            break;
        }
        printed.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    let _ = first.kill();
    let _ = first.wait();
    let key = exported(&printed, "AWS_ACCESS_KEY_ID");
    assert!(key.starts_with("AKIA") && key.len() == 20, "{key}");
    assert_eq!(exported(&printed, "AWS_SECRET_ACCESS_KEY").len(), 40);

    // the second start finds the identity and prints nothing
    let second = Command::new(env!("CARGO_BIN_EXE_rognito"))
        .args(["identity", "list", "--data-dir"])
        .arg(dir.path())
        .args(crate::harness::store_flags(dir.path()))
        .output()
        .expect("list");
    let listing = String::from_utf8_lossy(&second.stdout);
    assert!(listing.contains(&key), "{listing}");
    assert!(!listing.contains(&exported(&printed, "AWS_SECRET_ACCESS_KEY")));
}

/// Issue 9, A.1: the payload hash is the received body's. A signed, harmless request for pool A
/// replayed with another body (creating an admin client in pool B) and an unsigned
/// `X-Amz-Content-Sha256` naming the original body is refused and creates nothing; so is a
/// signature over `UNSIGNED-PAYLOAD` or over an arbitrary string; a correct signed hash works.
#[tokio::test]
async fn a_declared_payload_hash_never_replaces_the_bodys() {
    use aws_lc_rs::digest;
    let server = Server::start(&["--durability", "memory"]);
    let client = server.client();
    let (pool_a, pool_b) = (new_pool(&client).await, new_pool(&client).await);
    let harmless = format!(r#"{{"UserPoolId":"{pool_a}","ClientName":"harmless"}}"#);
    let evil = format!(
        r#"{{"UserPoolId":"{pool_b}","ClientName":"evil","GenerateSecret":true,
            "AllowedOAuthFlows":["client_credentials"],"AllowedOAuthFlowsUserPoolClient":true,
            "AllowedOAuthScopes":["aws.cognito.signin.user.admin"]}}"#
    );
    let sha = |body: &str| {
        digest::digest(&digest::SHA256, body.as_bytes())
            .as_ref()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    let sign = |body: &str| {
        sigv4_headers(
            &server.url,
            Some("CreateUserPoolClient"),
            body.as_bytes(),
            ACCESS_KEY_ID,
            SECRET_ACCESS_KEY,
            "us-east-1",
            SystemTime::now(),
        )
    };
    let mismatch = "The request signature we calculated does not match the signature you \
                    provided. Check your AWS Secret Access Key and signing method. Consult the \
                    service documentation for details.";

    // The unsigned header smuggles the harmless body's hash next to the evil body.
    let mut smuggled = sign(&harmless);
    smuggled.push(("x-amz-content-sha256".into(), sha(&harmless)));
    let message = expect_refusal(&server, smuggled, &evil, "InvalidSignatureException").await;
    assert_eq!(message, mismatch);
    let listed = client
        .list_user_pool_clients()
        .user_pool_id(&pool_b)
        .max_results(60)
        .send()
        .await
        .expect("list");
    assert!(listed.user_pool_clients().is_empty(), "nothing was created");

    // A hand-made signature whose canonical request names a declared hash instead of the
    // body's: UNSIGNED-PAYLOAD, any string, and (accepted) the body's real hash.
    for (declared, accepted) in [
        ("UNSIGNED-PAYLOAD".to_owned(), false),
        ("x".to_owned(), false),
        (sha(&harmless), true),
    ] {
        let headers = hand_signed(&server.url, "CreateUserPoolClient", &declared);
        let (status, _, json) = send(&server.url, headers, harmless.as_bytes().to_vec()).await;
        if accepted {
            assert_eq!(status, 200, "a correct signed hash is accepted: {json}");
        } else {
            assert_eq!(status, 400, "{declared}: {json}");
            assert_eq!(json["__type"], "InvalidSignatureException", "{declared}");
            assert_eq!(json["message"], mismatch);
        }
    }
}

/// Headers of a request signed by hand with `x-amz-content-sha256: <declared>` signed and used
/// as the canonical request's payload hash, the way an S3 client (or an attacker) would.
fn hand_signed(url: &str, target: &str, declared: &str) -> Vec<(String, String)> {
    use aws_lc_rs::{digest, hmac};
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let host = url.trim_start_matches("http://").to_owned();
    let stamp = {
        let secs = SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs() as i64;
        rognito_protocol::sigv4::format_amz_date(secs)
    };
    let day = &stamp[..8];
    let target = format!("AWSCognitoIdentityProviderService.{target}");
    let signed_headers = "host;x-amz-content-sha256;x-amz-date;x-amz-target";
    let canonical = format!(
        "POST\n/\n\nhost:{host}\nx-amz-content-sha256:{declared}\nx-amz-date:{stamp}\n\
         x-amz-target:{target}\n\n{signed_headers}\n{declared}"
    );
    let scope = format!("{day}/us-east-1/cognito-idp/aws4_request");
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{stamp}\n{scope}\n{}",
        hex(digest::digest(&digest::SHA256, canonical.as_bytes()).as_ref())
    );
    let mut key = format!("AWS4{SECRET_ACCESS_KEY}").into_bytes();
    for part in [day, "us-east-1", "cognito-idp", "aws4_request"] {
        key = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &key), part.as_bytes())
            .as_ref()
            .to_vec();
    }
    let signature =
        hex(hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &key), to_sign.as_bytes()).as_ref());
    vec![
        ("content-type".into(), "application/x-amz-json-1.1".into()),
        ("host".into(), host),
        ("x-amz-content-sha256".into(), declared.to_owned()),
        ("x-amz-date".into(), stamp.clone()),
        ("x-amz-target".into(), target),
        (
            "authorization".into(),
            format!(
                "AWS4-HMAC-SHA256 Credential={ACCESS_KEY_ID}/{scope}, \
                 SignedHeaders={signed_headers}, Signature={signature}"
            ),
        ),
    ]
}
