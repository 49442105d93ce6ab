//! Rate limits from a client's side: TooManyRequestsException on the API, 429 on the token
//! endpoint, provisioned limits. (Failed client authentications: `safety.rs`.)

use std::time::Duration;

use aws_sdk_cognitoidentityprovider::types::{LimitClass, LimitDefinitionType};

use crate::harness::{Server, error_of, new_pool, new_resource_server};
use crate::m2m::cc_client;

pub(crate) fn category(name: &str) -> LimitDefinitionType {
    LimitDefinitionType::builder()
        .limit_class(LimitClass::ApiCategory)
        .attributes("Category", name)
        .build()
        .expect("definition")
}

#[tokio::test]
async fn limits_are_observed_from_the_client_side() {
    let server = Server::start(&[
        "--durability",
        "memory",
        "--rate-limits",
        "aws",
        "--rate-limit",
        "ClientAuthentication=5",
    ]);
    let client = server.client();
    let pool = new_pool(&client).await;
    new_resource_server(&client, &pool, "api", &["read"]).await;

    // Describe on one pool: Cognito allows 5 RPS per operation and pool. Sent at once, so a
    // loaded machine cannot spread them over the seconds that refill the bucket.
    let mut throttled = 0;
    let sends: Vec<_> = (0..20)
        .map(|_| {
            let (client, pool) = (client.clone(), pool.clone());
            tokio::spawn(async move {
                client
                    .describe_resource_server()
                    .user_pool_id(&pool)
                    .identifier("api")
                    .send()
                    .await
            })
        })
        .collect();
    for send in sends {
        if let Err(e) = send.await.expect("join") {
            let service = e.into_service_error();
            assert!(service.is_too_many_requests_exception(), "{service:?}");
            assert_eq!(service.meta().message(), Some("Rate exceeded"));
            throttled += 1;
        }
    }
    assert!(throttled >= 10, "only {throttled} of 20 throttled");

    // provisioned limits: read, raise, never below the default
    let limit = client
        .get_provisioned_limit()
        .limit_definition(category("ClientAuthentication"))
        .send()
        .await
        .expect("get")
        .limit
        .expect("limit");
    assert_eq!(
        (limit.free_limit_value(), limit.provisioned_limit_value()),
        (5, 5)
    );
    let (code, _) = error_of(
        client
            .update_provisioned_limit()
            .limit_definition(category("ClientAuthentication"))
            .requested_limit_value(2)
            .send()
            .await,
    );
    assert_eq!(code, "InvalidParameterException");

    // the token endpoint answers 429 past ClientAuthentication's rate
    client
        .create_user_pool_domain()
        .user_pool_id(&pool)
        .domain("limits-test")
        .send()
        .await
        .expect("domain");
    let (id, secret) = cc_client(&client, &pool, "m2m", &["api/read"]).await;
    let http = reqwest::Client::new();
    let url = format!("{}/oauth2/token", server.url);
    let mut statuses = Vec::new();
    for _ in 0..20 {
        let response = http
            .post(&url)
            .basic_auth(&id, Some(&secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .expect("token");
        let status = response.status().as_u16();
        if status == 429 {
            let body: serde_json::Value = response.json().await.expect("json");
            assert_eq!(body["error"], "invalid_request");
        }
        statuses.push(status);
    }
    assert!(
        statuses.contains(&200) && statuses.contains(&429),
        "{statuses:?}"
    );

    // raising the provisioned limit lets more through
    client
        .update_provisioned_limit()
        .limit_definition(category("ClientAuthentication"))
        .requested_limit_value(1000)
        .send()
        .await
        .expect("raise");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    for _ in 0..20 {
        let status = http
            .post(&url)
            .basic_auth(&id, Some(&secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .expect("token")
            .status();
        assert_eq!(status, 200);
    }
}
