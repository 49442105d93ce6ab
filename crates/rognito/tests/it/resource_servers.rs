use aws_sdk_cognitoidentityprovider::types::ResourceServerScopeType;

use crate::harness::{Server, error_of, new_pool};

fn scope(name: &str, description: &str) -> ResourceServerScopeType {
    ResourceServerScopeType::builder()
        .scope_name(name)
        .scope_description(description)
        .build()
        .expect("scope")
}

#[tokio::test]
async fn create_describe_update_list_delete() {
    let server = Server::start(&["--durability", "memory"]);
    let client = server.client();
    let pool = new_pool(&client).await;

    let created = client
        .create_resource_server()
        .user_pool_id(&pool)
        .identifier("https://api.example.com/v1")
        .name("Solar API")
        .scopes(scope("write", "Write"))
        .scopes(scope("admin", "Admin"))
        .scopes(scope("read", "Read"))
        .send()
        .await
        .expect("create")
        .resource_server
        .expect("server");
    assert_eq!(created.user_pool_id(), Some(pool.as_str()));
    assert_eq!(created.identifier(), Some("https://api.example.com/v1"));
    assert_eq!(created.name(), Some("Solar API"));
    // Cognito returns scopes sorted by ScopeName.
    let names: Vec<_> = created.scopes().iter().map(|s| s.scope_name()).collect();
    assert_eq!(names, ["admin", "read", "write"]);

    let described = client
        .describe_resource_server()
        .user_pool_id(&pool)
        .identifier("https://api.example.com/v1")
        .send()
        .await
        .expect("describe")
        .resource_server
        .expect("server");
    assert_eq!(described, created);

    let updated = client
        .update_resource_server()
        .user_pool_id(&pool)
        .identifier("https://api.example.com/v1")
        .name("Renamed")
        .scopes(scope("only", "Only"))
        .send()
        .await
        .expect("update")
        .resource_server
        .expect("server");
    assert_eq!(updated.name(), Some("Renamed"));
    assert_eq!(updated.scopes().len(), 1);
    assert_eq!(updated.scopes()[0].scope_name(), "only");

    // An Update without Scopes resets them to none (Cognito's replace semantics).
    let cleared = client
        .update_resource_server()
        .user_pool_id(&pool)
        .identifier("https://api.example.com/v1")
        .name("Renamed")
        .send()
        .await
        .expect("update")
        .resource_server
        .expect("server");
    assert!(cleared.scopes().is_empty());

    let listed = client
        .list_resource_servers()
        .user_pool_id(&pool)
        .max_results(10)
        .send()
        .await
        .expect("list");
    assert_eq!(listed.resource_servers().len(), 1);
    assert_eq!(listed.next_token(), None);

    client
        .delete_resource_server()
        .user_pool_id(&pool)
        .identifier("https://api.example.com/v1")
        .send()
        .await
        .expect("delete");
    let (code, message) = error_of(
        client
            .describe_resource_server()
            .user_pool_id(&pool)
            .identifier("https://api.example.com/v1")
            .send()
            .await,
    );
    assert_eq!(code, "ResourceNotFoundException");
    assert_eq!(
        message,
        format!("https://api.example.com/v1 does not exist in user pool {pool}.")
    );
}

#[tokio::test]
async fn every_error_of_the_family() {
    let server = Server::start(&["--durability", "memory"]);
    let client = server.client();
    let pool = new_pool(&client).await;
    let other = new_pool(&client).await;
    let missing_pool = "us-east-1_AAAAAAAAA";

    // unknown pool, for every operation
    let expected = (
        "ResourceNotFoundException".to_owned(),
        format!("User pool {missing_pool} does not exist."),
    );
    let r = client
        .create_resource_server()
        .user_pool_id(missing_pool)
        .identifier("a")
        .name("a")
        .send()
        .await;
    assert_eq!(error_of(r), expected);
    let r = client
        .describe_resource_server()
        .user_pool_id(missing_pool)
        .identifier("a")
        .send()
        .await;
    assert_eq!(error_of(r), expected);
    let r = client
        .list_resource_servers()
        .user_pool_id(missing_pool)
        .max_results(5)
        .send()
        .await;
    assert_eq!(error_of(r), expected);
    let r = client
        .update_resource_server()
        .user_pool_id(missing_pool)
        .identifier("a")
        .name("a")
        .send()
        .await;
    assert_eq!(error_of(r), expected);
    let r = client
        .delete_resource_server()
        .user_pool_id(missing_pool)
        .identifier("a")
        .send()
        .await;
    assert_eq!(error_of(r), expected);

    // unknown identifier in an existing pool
    let missing = (
        "ResourceNotFoundException".to_owned(),
        format!("nope does not exist in user pool {pool}."),
    );
    let r = client
        .update_resource_server()
        .user_pool_id(&pool)
        .identifier("nope")
        .name("n")
        .send()
        .await;
    assert_eq!(error_of(r), missing);
    let r = client
        .delete_resource_server()
        .user_pool_id(&pool)
        .identifier("nope")
        .send()
        .await;
    assert_eq!(error_of(r), missing);

    // duplicate identifier in a pool; the same identifier in another pool is fine
    let create = |pool: &str, identifier: &str| {
        client
            .create_resource_server()
            .user_pool_id(pool)
            .identifier(identifier)
            .name("n")
            .send()
    };
    create(&pool, "dup").await.expect("first");
    let (code, message) = error_of(create(&pool, "dup").await);
    assert_eq!(code, "InvalidParameterException");
    assert_eq!(message, format!("dup already exists in user pool {pool}."));
    create(&other, "dup").await.expect("other pool");

    // duplicate scope names in one request
    let r = client
        .create_resource_server()
        .user_pool_id(&pool)
        .identifier("scopes")
        .name("n")
        .scopes(scope("read", "a"))
        .scopes(scope("read", "b"))
        .send()
        .await;
    let (code, message) = error_of(r);
    assert_eq!(code, "InvalidParameterException");
    assert!(message.contains("read"), "{message}");

    // validation, several violations counted, lower-camel nested paths
    let r = client
        .create_resource_server()
        .user_pool_id("bad pool")
        .identifier("bad id")
        .name("n")
        .scopes(scope("a/b", "d"))
        .send()
        .await;
    assert_eq!(
        error_of(r),
        (
            "InvalidParameterException".to_owned(),
            "3 validation errors detected: \
             Value 'bad pool' at 'userPoolId' failed to satisfy constraint: Member must satisfy \
             regular expression pattern: [\\w-]+_[0-9a-zA-Z]+; \
             Value 'bad id' at 'identifier' failed to satisfy constraint: Member must satisfy \
             regular expression pattern: [\\x21\\x23-\\x5B\\x5D-\\x7E]+; \
             Value 'a/b' at 'scopes.1.member.scopeName' failed to satisfy constraint: Member must \
             satisfy regular expression pattern: [\\x21\\x23-\\x2E\\x30-\\x5B\\x5D-\\x7E]+"
                .to_owned()
        )
    );
    let r = client
        .list_resource_servers()
        .user_pool_id(&pool)
        .max_results(51)
        .send()
        .await;
    assert_eq!(
        error_of(r).1,
        "1 validation error detected: Value '51' at 'maxResults' failed to satisfy constraint: \
         Member must have value less than or equal to 50"
    );
    let long = "x".repeat(257);
    let r = client
        .create_resource_server()
        .user_pool_id(&pool)
        .identifier("ok")
        .name(&long)
        .send()
        .await;
    assert_eq!(
        error_of(r).1,
        format!(
            "1 validation error detected: Value '{long}' at 'name' failed to satisfy constraint: \
             Member must have length less than or equal to 256"
        )
    );
}

#[tokio::test]
async fn quota_of_25_per_pool_holds_under_parallel_creates() {
    let server = Server::start(&["--durability", "memory"]);
    let client = server.client();
    let pool = new_pool(&client).await;
    let mut tasks = Vec::new();
    for i in 0..40 {
        let client = client.clone();
        let pool = pool.clone();
        tasks.push(tokio::spawn(async move {
            client
                .create_resource_server()
                .user_pool_id(pool)
                .identifier(format!("rs-{i:02}"))
                .name("n")
                .send()
                .await
        }));
    }
    let mut ok = 0;
    let mut limited = 0;
    for task in tasks {
        match task.await.expect("join") {
            Ok(_) => ok += 1,
            Err(e) => {
                let service = e.into_service_error();
                assert!(service.is_limit_exceeded_exception(), "{service:?}");
                limited += 1;
            }
        }
    }
    assert_eq!((ok, limited), (25, 15));
}

#[tokio::test]
async fn pagination_visits_every_server_once_in_a_stable_order() {
    let server = Server::start(&[
        "--durability",
        "memory",
        "--max-resource-servers-per-user-pool",
        "100",
    ]);
    let client = server.client();
    let pool = new_pool(&client).await;
    let other = new_pool(&client).await;
    let mut expected = Vec::new();
    for i in 0..60 {
        let identifier = format!("api-{:03}", (i * 37) % 60);
        client
            .create_resource_server()
            .user_pool_id(&pool)
            .identifier(&identifier)
            .name("n")
            .send()
            .await
            .expect("create");
        expected.push(identifier);
    }
    expected.sort();

    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = client
            .list_resource_servers()
            .user_pool_id(&pool)
            .max_results(7)
            .set_next_token(token.clone())
            .send()
            .await
            .expect("page");
        pages += 1;
        seen.extend(
            page.resource_servers()
                .iter()
                .filter_map(|s| s.identifier().map(String::from)),
        );
        match page.next_token() {
            Some(next) => {
                // A token is bound to its pool.
                if pages == 1 {
                    let (code, message) = error_of(
                        client
                            .list_resource_servers()
                            .user_pool_id(&other)
                            .max_results(7)
                            .next_token(next)
                            .send()
                            .await,
                    );
                    assert_eq!(code, "InvalidParameterException");
                    assert_eq!(message, "Invalid pagination token.");
                }
                token = Some(next.to_owned());
            }
            None => break,
        }
    }
    assert_eq!(pages, 9);
    assert_eq!(seen, expected);

    // the SDK paginator agrees
    let all: Vec<_> = client
        .list_resource_servers()
        .user_pool_id(&pool)
        .max_results(50)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("paginate");
    assert_eq!(all.len(), 60);
}
