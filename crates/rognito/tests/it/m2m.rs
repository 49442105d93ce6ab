//! Machine-to-machine: clients, domains, `/oauth2/token`, GetClientToken, JWKS. Every token is
//! verified with an independent JWT library (jsonwebtoken) against the JWKS the server serves.

use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::types::{
    ExplicitAuthFlowsType, OAuthFlowType, ResourceServerScopeType,
};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;

use crate::harness::{Server, error_of, new_pool};

pub(crate) struct M2m {
    pub(crate) pool: String,
    pub(crate) client_id: String,
    pub(crate) secret: String,
}

pub(crate) fn scope(name: &str) -> ResourceServerScopeType {
    ResourceServerScopeType::builder()
        .scope_name(name)
        .scope_description(name)
        .build()
        .expect("scope")
}

/// A pool with a domain, a resource server `api` (read, write) and a client_credentials client.
pub(crate) async fn m2m_setup(client: &Client, domain: &str) -> M2m {
    let pool = new_pool(client).await;
    client
        .create_resource_server()
        .user_pool_id(&pool)
        .identifier("api")
        .name("API")
        .scopes(scope("read"))
        .scopes(scope("write"))
        .send()
        .await
        .expect("resource server");
    client
        .create_user_pool_domain()
        .user_pool_id(&pool)
        .domain(domain)
        .send()
        .await
        .expect("domain");
    let (client_id, secret) = cc_client(client, &pool, "service", &["api/read", "api/write"]).await;
    M2m {
        pool,
        client_id,
        secret,
    }
}

/// A client_credentials client with a secret, allowed `scopes`: (client id, secret).
pub(crate) async fn cc_client(
    client: &Client,
    pool: &str,
    name: &str,
    scopes: &[&str],
) -> (String, String) {
    let created = client
        .create_user_pool_client()
        .user_pool_id(pool)
        .client_name(name)
        .generate_secret(true)
        .allowed_o_auth_flows(OAuthFlowType::ClientCredentials)
        .set_allowed_o_auth_scopes(Some(scopes.iter().map(|s| s.to_string()).collect()))
        .allowed_o_auth_flows_user_pool_client(true)
        .send()
        .await
        .expect("client")
        .user_pool_client
        .expect("client");
    (
        created.client_id.expect("id"),
        created.client_secret.expect("secret"),
    )
}

/// POSTs to /oauth2/token with Basic auth; returns status and JSON body.
pub(crate) async fn token(
    server: &Server,
    id: &str,
    secret: &str,
    scope: Option<&str>,
) -> (u16, Value) {
    let mut form = vec![("grant_type", "client_credentials")];
    if let Some(scope) = scope {
        form.push(("scope", scope));
    }
    let response = reqwest::Client::new()
        .post(format!("{}/oauth2/token", server.url))
        .basic_auth(id, Some(secret))
        .form(&form)
        .send()
        .await
        .expect("token request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Verifies a token with jsonwebtoken against the pool's JWKS, found via discovery.
pub(crate) async fn verify(server: &Server, pool: &str, token: &str) -> Result<Value, String> {
    let discovery: Value = reqwest::get(format!(
        "{}/{pool}/.well-known/openid-configuration",
        server.url
    ))
    .await
    .expect("discovery")
    .json()
    .await
    .expect("json");
    let jwks: JwkSet = reqwest::get(discovery["jwks_uri"].as_str().expect("jwks_uri"))
        .await
        .expect("jwks")
        .json()
        .await
        .expect("json");
    let header = jsonwebtoken::decode_header(token).map_err(|e| e.to_string())?;
    let kid = header.kid.ok_or("no kid")?;
    let jwk = jwks.find(&kid).ok_or("kid not in this pool's JWKS")?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| e.to_string())?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[discovery["issuer"].as_str().expect("issuer")]);
    validation.validate_aud = false;
    jsonwebtoken::decode::<Value>(token, &key, &validation)
        .map(|data| data.claims)
        .map_err(|e| e.to_string())
}

#[tokio::test]
async fn client_credentials_tokens_verify_with_an_independent_library() {
    let server = Server::start(&["--durability", "memory"]);
    let client = server.client();
    let m2m = m2m_setup(&client, "svc-one").await;

    let (status, body) = token(&server, &m2m.client_id, &m2m.secret, None).await;
    assert_eq!(status, 200, "{body}");
    let keys: Vec<&String> = body.as_object().expect("object").keys().collect();
    assert_eq!(keys, ["access_token", "expires_in", "token_type"]);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    let access = body["access_token"].as_str().expect("token");
    let claims = verify(&server, &m2m.pool, access).await.expect("verifies");
    assert_eq!(claims["sub"], m2m.client_id.as_str());
    assert_eq!(claims["client_id"], m2m.client_id.as_str());
    assert_eq!(claims["token_use"], "access");
    assert_eq!(claims["scope"], "api/read api/write");
    assert_eq!(claims["version"], 2);
    assert_eq!(
        claims["iss"],
        format!("{}/{}", server.url, m2m.pool).as_str()
    );
    assert_eq!(
        claims["exp"].as_i64().expect("exp") - claims["iat"].as_i64().expect("iat"),
        3600
    );
    let names: Vec<&String> = claims.as_object().expect("claims").keys().collect();
    let mut expected = [
        "auth_time",
        "client_id",
        "exp",
        "iat",
        "iss",
        "jti",
        "scope",
        "sub",
        "token_use",
        "version",
    ];
    expected.sort_unstable();
    assert_eq!(names, expected);

    // a requested subset; jti unique per token
    let (status, body) = token(&server, &m2m.client_id, &m2m.secret, Some("api/write")).await;
    assert_eq!(status, 200);
    let second = verify(
        &server,
        &m2m.pool,
        body["access_token"].as_str().expect("token"),
    )
    .await
    .expect("verifies");
    assert_eq!(second["scope"], "api/write");
    assert_ne!(second["jti"], claims["jti"]);

    // a token of one pool never verifies with another pool's keys
    let other = m2m_setup(&client, "svc-two").await;
    let err = verify(&server, &other.pool, access)
        .await
        .expect_err("foreign pool");
    assert!(err.contains("kid not in this pool"), "{err}");
}

#[tokio::test]
async fn token_endpoint_errors_are_oauth_errors() {
    let server = Server::start(&["--durability", "memory"]);
    let client = server.client();
    let m2m = m2m_setup(&client, "svc-errors").await;

    // wrong secret with Basic: 400 without a challenge, as Cognito answers every
    // token-endpoint error (docs/compatibility.md)
    let response = reqwest::Client::new()
        .post(format!("{}/oauth2/token", server.url))
        .basic_auth(&m2m.client_id, Some("wrong-secret-wrong-secret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 400);
    assert!(!response.headers().contains_key("www-authenticate"));
    assert_eq!(
        response.json::<Value>().await.expect("json"),
        serde_json::json!({"error": "invalid_client"})
    );

    let post = |form: Vec<(&'static str, String)>| {
        let url = format!("{}/oauth2/token", server.url);
        async move {
            let response = reqwest::Client::new()
                .post(url)
                .form(&form)
                .send()
                .await
                .expect("send");
            (
                response.status().as_u16(),
                response.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    let id = m2m.client_id.clone();
    let secret = m2m.secret.clone();
    let creds = |extra: &[(&'static str, &str)]| {
        let mut form = vec![("client_id", id.clone()), ("client_secret", secret.clone())];
        form.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
        form
    };
    // credentials in the body work too
    assert_eq!(
        post(creds(&[("grant_type", "client_credentials")])).await.0,
        200
    );
    for (form, status, error) in [
        (creds(&[]), 400, "invalid_request"),
        (
            creds(&[("grant_type", "password")]),
            400,
            "unsupported_grant_type",
        ),
        (
            creds(&[("grant_type", "client_credentials"), ("scope", "api/admin")]),
            400,
            "invalid_scope",
        ),
        (
            creds(&[("grant_type", "client_credentials"), ("scope", "openid")]),
            400,
            "invalid_scope",
        ),
        (
            vec![
                ("grant_type", "client_credentials".to_string()),
                ("client_id", "nosuchclient".to_string()),
                ("client_secret", "x".repeat(30)),
            ],
            400,
            "invalid_client",
        ),
    ] {
        let (got_status, body) = post(form).await;
        assert_eq!((got_status, body["error"].as_str()), (status, Some(error)));
    }

    // a client without client_credentials
    let public = client
        .create_user_pool_client()
        .user_pool_id(&m2m.pool)
        .client_name("web")
        .generate_secret(true)
        .send()
        .await
        .expect("client")
        .user_pool_client
        .expect("client");
    let (status, body) = token(
        &server,
        public.client_id().expect("id"),
        public.client_secret().expect("secret"),
        None,
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unauthorized_client"))
    );
}

#[tokio::test]
async fn every_change_takes_effect_on_the_next_request() {
    let server = Server::start(&["--durability", "memory"]);
    let client = server.client();
    let m2m = m2m_setup(&client, "svc-revoke").await;
    let scopes_of = |body: &Value| -> String {
        let token = body["access_token"].as_str().unwrap_or_default();
        let payload = token.split('.').nth(1).unwrap_or_default();
        use base64::Engine as _;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap_or_default();
        serde_json::from_slice::<Value>(&bytes).unwrap_or(Value::Null)["scope"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(
        scopes_of(&token(&server, &m2m.client_id, &m2m.secret, None).await.1),
        "api/read api/write"
    );

    // a scope removed from the resource server is dropped; re-adding it revives it
    client
        .update_resource_server()
        .user_pool_id(&m2m.pool)
        .identifier("api")
        .name("API")
        .scopes(scope("read"))
        .send()
        .await
        .expect("update");
    assert_eq!(
        scopes_of(&token(&server, &m2m.client_id, &m2m.secret, None).await.1),
        "api/read"
    );
    let (status, body) = token(&server, &m2m.client_id, &m2m.secret, Some("api/write")).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_scope"))
    );
    client
        .update_resource_server()
        .user_pool_id(&m2m.pool)
        .identifier("api")
        .name("API")
        .scopes(scope("read"))
        .scopes(scope("write"))
        .send()
        .await
        .expect("update");
    assert_eq!(
        scopes_of(&token(&server, &m2m.client_id, &m2m.secret, None).await.1),
        "api/read api/write"
    );

    // a rotated secret: both work, then the deleted one stops working
    let added = client
        .add_user_pool_client_secret()
        .user_pool_id(&m2m.pool)
        .client_id(&m2m.client_id)
        .send()
        .await
        .expect("add secret")
        .client_secret_descriptor
        .expect("descriptor");
    let new_secret = added.client_secret_value().expect("value").to_owned();
    assert_eq!(
        token(&server, &m2m.client_id, &new_secret, None).await.0,
        200
    );
    assert_eq!(
        token(&server, &m2m.client_id, &m2m.secret, None).await.0,
        200
    );
    let listed = client
        .list_user_pool_client_secrets()
        .user_pool_id(&m2m.pool)
        .client_id(&m2m.client_id)
        .send()
        .await
        .expect("list");
    assert_eq!(listed.client_secrets().len(), 2);
    assert!(
        listed
            .client_secrets()
            .iter()
            .all(|s| s.client_secret_value().is_none())
    );
    let (code, _) = error_of(
        client
            .add_user_pool_client_secret()
            .user_pool_id(&m2m.pool)
            .client_id(&m2m.client_id)
            .send()
            .await,
    );
    assert_eq!(code, "LimitExceededException");
    let first_id = listed.client_secrets()[0]
        .client_secret_id()
        .expect("id")
        .to_owned();
    client
        .delete_user_pool_client_secret()
        .user_pool_id(&m2m.pool)
        .client_id(&m2m.client_id)
        .client_secret_id(&first_id)
        .send()
        .await
        .expect("delete secret");
    assert_eq!(
        token(&server, &m2m.client_id, &m2m.secret, None).await.0,
        400
    );
    assert_eq!(
        token(&server, &m2m.client_id, &new_secret, None).await.0,
        200
    );
    let (code, _) = error_of(
        client
            .delete_user_pool_client_secret()
            .user_pool_id(&m2m.pool)
            .client_id(&m2m.client_id)
            .client_secret_id(added.client_secret_id().expect("id"))
            .send()
            .await,
    );
    assert_eq!(code, "InvalidParameterException", "the last secret stays");

    // the flow removed: unauthorized_client; the client deleted: invalid_client
    client
        .update_user_pool_client()
        .user_pool_id(&m2m.pool)
        .client_id(&m2m.client_id)
        .send()
        .await
        .expect("update client");
    let (status, body) = token(&server, &m2m.client_id, &new_secret, None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unauthorized_client"))
    );
    client
        .delete_user_pool_client()
        .user_pool_id(&m2m.pool)
        .client_id(&m2m.client_id)
        .send()
        .await
        .expect("delete client");
    assert_eq!(
        token(&server, &m2m.client_id, &new_secret, None).await.0,
        400
    );

    // the resource server deleted: its scopes are gone from new clients' tokens
    let again = m2m_setup(&client, "svc-revoke-2").await;
    client
        .delete_resource_server()
        .user_pool_id(&again.pool)
        .identifier("api")
        .send()
        .await
        .expect("delete server");
    let (status, body) = token(&server, &again.client_id, &again.secret, None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_scope"))
    );
}

#[tokio::test]
async fn get_client_token_and_client_rules() {
    let server = Server::start(&["--durability", "memory"]);
    let client = server.client();
    let m2m = m2m_setup(&client, "svc-api").await;
    let api_client = client
        .create_user_pool_client()
        .user_pool_id(&m2m.pool)
        .client_name("api-token")
        .generate_secret(true)
        .explicit_auth_flows(ExplicitAuthFlowsType::from("ALLOW_CLIENT_TOKEN_AUTH"))
        .allowed_o_auth_scopes("api/read")
        .send()
        .await
        .expect("client")
        .user_pool_client
        .expect("client");
    let id = api_client.client_id().expect("id");
    let secret = api_client.client_secret().expect("secret");
    let result = client
        .get_client_token()
        .client_id(id)
        .secret(secret)
        .send()
        .await
        .expect("GetClientToken")
        .client_authentication_result
        .expect("result");
    assert_eq!(result.token_type(), Some("Bearer"));
    assert_eq!(result.expires_in(), 3600);
    let claims = verify(&server, &m2m.pool, result.access_token().expect("token"))
        .await
        .expect("verifies");
    assert_eq!(claims["scope"], "api/read");

    let (code, _) = error_of(
        client
            .get_client_token()
            .client_id(id)
            .secret("x".repeat(30))
            .send()
            .await,
    );
    assert_eq!(code, "NotAuthorizedException");
    let (code, message) = error_of(
        client
            .get_client_token()
            .client_id(id)
            .secret(secret)
            .scopes("api/write")
            .send()
            .await,
    );
    assert_eq!(
        (code.as_str(), message.as_str()),
        (
            "InvalidParameterException",
            "Invalid scope requested: api/write"
        )
    );
    let (code, _) = error_of(
        client
            .get_client_token()
            .client_id(&m2m.client_id)
            .secret(&m2m.secret)
            .send()
            .await,
    );
    assert_eq!(code, "InvalidParameterException", "flow not enabled");

    // client rules
    let (code, message) = error_of(
        client
            .create_user_pool_client()
            .user_pool_id(&m2m.pool)
            .client_name("bad")
            .allowed_o_auth_scopes("api/nope")
            .send()
            .await,
    );
    assert_eq!(
        (code.as_str(), message.as_str()),
        (
            "ScopeDoesNotExistException",
            "Invalid scope requested: api/nope"
        )
    );
    let (code, _) = error_of(
        client
            .create_user_pool_client()
            .user_pool_id(&m2m.pool)
            .client_name("bad")
            .allowed_o_auth_flows(OAuthFlowType::ClientCredentials)
            .allowed_o_auth_scopes("api/read")
            .allowed_o_auth_flows_user_pool_client(true)
            .send()
            .await,
    );
    assert_eq!(code, "InvalidOAuthFlowException", "no secret");
    let (code, message) = error_of(
        client
            .create_user_pool_client()
            .user_pool_id(&m2m.pool)
            .client_name("bad")
            .access_token_validity(25)
            .send()
            .await,
    );
    assert_eq!(
        (code.as_str(), message.as_str()),
        (
            "InvalidParameterException",
            "Invalid range for token validity."
        )
    );
}
