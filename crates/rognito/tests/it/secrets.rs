//! Nothing secret reaches the log or the audit log, even at debug level; the audit log records
//! every write and every token issued or refused.

use aws_sdk_cognitoidentityprovider::types::{ExplicitAuthFlowsType, OAuthFlowType};

use crate::harness::{SECRET_ACCESS_KEY, Server, new_pool, new_resource_server};

#[tokio::test]
async fn secrets_never_reach_the_logs_and_writes_are_audited() {
    let dir = tempfile::tempdir().expect("tempdir");
    let audit = dir.path().join("audit.jsonl");
    let audit_flag = audit.to_string_lossy().into_owned();
    let mut server = Server::start_with_env(
        dir.path(),
        &["--audit-log", &audit_flag],
        &[("ROGNITO_LOG", "debug")],
    );
    let client = server.client();
    let mut secrets = vec![SECRET_ACCESS_KEY.to_owned()];

    let pool = new_pool(&client).await;
    new_resource_server(&client, &pool, "api", &["read"]).await;
    client
        .create_user_pool_domain()
        .user_pool_id(&pool)
        .domain("secret-test")
        .send()
        .await
        .expect("domain");
    let custom_secret = "Custom+Secret+Value+1234567890abcdef";
    let m2m = client
        .create_user_pool_client()
        .user_pool_id(&pool)
        .client_name("m2m")
        .client_secret(custom_secret)
        .allowed_o_auth_flows(OAuthFlowType::ClientCredentials)
        .allowed_o_auth_scopes("api/read")
        .allowed_o_auth_flows_user_pool_client(true)
        .send()
        .await
        .expect("client")
        .user_pool_client
        .expect("client");
    secrets.push(custom_secret.to_owned());
    let api = client
        .create_user_pool_client()
        .user_pool_id(&pool)
        .client_name("api")
        .generate_secret(true)
        .explicit_auth_flows(ExplicitAuthFlowsType::from("ALLOW_CLIENT_TOKEN_AUTH"))
        .allowed_o_auth_scopes("api/read")
        .send()
        .await
        .expect("client")
        .user_pool_client
        .expect("client");
    secrets.push(api.client_secret().expect("secret").to_owned());
    let rotated = client
        .add_user_pool_client_secret()
        .user_pool_id(&pool)
        .client_id(m2m.client_id().expect("id"))
        .send()
        .await
        .expect("add")
        .client_secret_descriptor
        .expect("descriptor");
    secrets.push(rotated.client_secret_value().expect("value").to_owned());

    let http = reqwest::Client::new();
    let token_url = format!("{}/oauth2/token", server.url);
    for secret in [custom_secret, "wrong-secret-wrong-secret-wrong"] {
        let response = http
            .post(&token_url)
            .basic_auth(m2m.client_id().expect("id"), Some(secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .expect("token");
        if response.status() == 200 {
            let body: serde_json::Value = response.json().await.expect("json");
            secrets.push(body["access_token"].as_str().expect("token").to_owned());
        }
    }
    let result = client
        .get_client_token()
        .client_id(api.client_id().expect("id"))
        .secret(api.client_secret().expect("secret"))
        .send()
        .await
        .expect("GetClientToken")
        .client_authentication_result
        .expect("result");
    secrets.push(result.access_token().expect("token").to_owned());
    let _ = client
        .get_client_token()
        .client_id(api.client_id().expect("id"))
        .secret("not_the_secret_not_the_secret")
        .send()
        .await;
    // A signed caller pasting a secret into an id field: Cognito's answer names the id, the
    // audit line must not.
    let pasted = client
        .delete_user_pool_client()
        .user_pool_id(&pool)
        .client_id(api.client_secret().expect("secret"))
        .send()
        .await;
    assert!(pasted.is_err(), "no client has a secret for an id");
    let _ = client
        .delete_user_pool_client_secret()
        .user_pool_id(&pool)
        .client_id(api.client_id().expect("id"))
        .client_secret_id(api.client_secret().expect("secret"))
        .send()
        .await;
    let master = std::fs::read(dir.path().join("master.key")).expect("master key");
    use base64::Engine as _;
    secrets.push(base64::engine::general_purpose::STANDARD.encode(&master));

    // A graceful stop writes every line, the aggregated counts of refused requests included.
    assert!(server.terminate(), "graceful stop");
    let log = server.log_text();
    let audit_text = std::fs::read_to_string(&audit).expect("audit log");
    assert!(log.contains("DEBUG"), "the log ran at debug level");
    for secret in &secrets {
        assert!(!log.contains(secret.as_str()), "a secret is in the log");
        assert!(
            !audit_text.contains(secret.as_str()),
            "a secret is in the audit log"
        );
    }

    let records: Vec<serde_json::Value> = audit_text
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    let names: Vec<&str> = records
        .iter()
        .filter_map(|r| r["eventName"].as_str())
        .collect();
    for expected in [
        "CreateUserPool",
        "CreateResourceServer",
        "CreateUserPoolDomain",
        "CreateUserPoolClient",
        "AddUserPoolClientSecret",
        "Token_POST",
        "GetClientToken",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} not audited: {names:?}"
        );
    }
    let create = records
        .iter()
        .find(|r| r["eventName"] == "CreateResourceServer")
        .expect("record");
    assert_eq!(create["outcome"], "success");
    assert_eq!(create["userIdentity"]["userName"], "admin");
    assert_eq!(create["recipientAccountId"], "000000000000");
    assert_eq!(
        create["resource"],
        format!("arn:aws:cognito-idp:us-east-1:000000000000:userpool/{pool}").as_str()
    );
    assert!(
        create["requestID"]
            .as_str()
            .is_some_and(|id| id.len() == 36)
    );
    // Refused before the client authenticated: one aggregated line per kind and address.
    let refused: Vec<_> = records
        .iter()
        .filter(|r| r["eventName"] == "Token_POST" && r["outcome"] == "failure")
        .collect();
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0]["errorCode"], "invalid_client");
    assert_eq!(refused[0]["aggregated"]["count"], 1);
    assert_eq!(refused[0]["sourceIPAddress"], "127.0.0.1");
    let wrong_secret = records
        .iter()
        .find(|r| r["eventName"] == "GetClientToken" && r["outcome"] == "failure")
        .expect("refused GetClientToken counted");
    assert_eq!(wrong_secret["errorCode"], "NotAuthorizedException");
    assert_eq!(wrong_secret["aggregated"]["count"], 1);
    let granted = records
        .iter()
        .find(|r| r["eventName"] == "Token_POST" && r["outcome"] == "success")
        .expect("issued");
    assert_eq!(granted["scopes"], "api/read");
    assert!(
        !names.contains(&"DescribeUserPool"),
        "reads are not audited"
    );
}
