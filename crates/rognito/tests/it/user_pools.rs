use aws_sdk_cognitoidentityprovider::types::{
    DeletionProtectionType, PasswordPolicyType, SchemaAttributeType, UserPoolMfaType,
    UserPoolPolicyType,
};

use crate::harness::{Server, error_of, new_pool};

#[tokio::test]
async fn create_echoes_input_and_describe_fills_defaults() {
    let server = Server::start(&[
        "--durability",
        "memory",
        "--region",
        "eu-west-2",
        "--account-id",
        "123456789012",
    ]);
    let client = server.client();
    let created = client
        .create_user_pool()
        .pool_name("customised")
        .policies(
            UserPoolPolicyType::builder()
                .password_policy(
                    PasswordPolicyType::builder()
                        .minimum_length(12)
                        .require_symbols(false)
                        .build(),
                )
                .build(),
        )
        .mfa_configuration(UserPoolMfaType::Optional)
        .user_pool_tags("team", "auth")
        .email_verification_subject("Your code")
        .schema(
            SchemaAttributeType::builder()
                .name("tenant")
                .attribute_data_type("String".into())
                .build(),
        )
        .send()
        .await
        .expect("create")
        .user_pool
        .expect("pool");
    let id = created.id().expect("id");
    let (region, suffix) = id.split_once('_').expect("id shape");
    assert_eq!(region, "eu-west-2");
    assert!(suffix.len() == 9 && suffix.bytes().all(|b| b.is_ascii_alphanumeric()));
    assert_eq!(
        created.arn(),
        Some(format!("arn:aws:cognito-idp:eu-west-2:123456789012:userpool/{id}").as_str())
    );
    assert!(created.creation_date().is_some() && created.last_modified_date().is_some());

    let described = client
        .describe_user_pool()
        .user_pool_id(id)
        .send()
        .await
        .expect("describe")
        .user_pool
        .expect("pool");
    assert_eq!(described, created);
    let password = described
        .policies()
        .and_then(|p| p.password_policy())
        .expect("password policy");
    assert_eq!(password.minimum_length(), Some(12));
    assert!(!password.require_symbols());
    assert_eq!(
        described.mfa_configuration(),
        Some(&UserPoolMfaType::Optional)
    );
    assert_eq!(
        described
            .user_pool_tags()
            .and_then(|t| t.get("team"))
            .map(String::as_str),
        Some("auth")
    );
    assert_eq!(described.email_verification_subject(), Some("Your code"));
    let names: Vec<_> = described
        .schema_attributes()
        .iter()
        .filter_map(|a| a.name())
        .collect();
    assert_eq!(names.first(), Some(&"sub"));
    assert!(names.contains(&"custom:tenant"));

    // a name-only pool gets Cognito's defaults
    let plain = client
        .create_user_pool()
        .pool_name("plain")
        .send()
        .await
        .expect("create")
        .user_pool
        .expect("pool");
    let password = plain
        .policies()
        .and_then(|p| p.password_policy())
        .expect("password policy");
    assert_eq!(password.minimum_length(), Some(8));
    assert!(password.require_uppercase());
    assert_eq!(password.temporary_password_validity_days(), 7);
    assert_eq!(plain.mfa_configuration(), Some(&UserPoolMfaType::Off));
    assert_eq!(
        plain.deletion_protection(),
        Some(&DeletionProtectionType::Inactive)
    );
    assert_eq!(plain.estimated_number_of_users(), 0);
    assert_eq!(plain.schema_attributes().len(), 21);
}

#[tokio::test]
async fn list_paginates_and_delete_removes_everything() {
    let server = Server::start(&["--durability", "memory"]);
    let client = server.client();
    let mut ids = Vec::new();
    for _ in 0..7 {
        ids.push(new_pool(&client).await);
    }
    ids.sort();
    let mut seen = Vec::new();
    let mut token = None;
    loop {
        let page = client
            .list_user_pools()
            .max_results(3)
            .set_next_token(token)
            .send()
            .await
            .expect("list");
        for pool in page.user_pools() {
            assert!(pool.lambda_config().is_some());
            seen.push(pool.id().expect("id").to_owned());
        }
        token = page.next_token().map(String::from);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(seen, ids);

    // MaxResults is required; Cognito reads an absent one as 0.
    let (code, message) = error_of(client.list_user_pools().send().await);
    assert_eq!(code, "InvalidParameterException");
    assert_eq!(
        message,
        "1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: \
         Member must have value greater than or equal to 1"
    );

    let pool = &ids[0];
    client
        .create_resource_server()
        .user_pool_id(pool)
        .identifier("api")
        .name("n")
        .send()
        .await
        .expect("rs");
    client
        .delete_user_pool()
        .user_pool_id(pool)
        .send()
        .await
        .expect("delete");
    let (code, message) = error_of(client.describe_user_pool().user_pool_id(pool).send().await);
    assert_eq!(code, "ResourceNotFoundException");
    assert_eq!(message, format!("User pool {pool} does not exist."));
    let (code, _) = error_of(
        client
            .describe_resource_server()
            .user_pool_id(pool)
            .identifier("api")
            .send()
            .await,
    );
    assert_eq!(code, "ResourceNotFoundException");
    let (code, _) = error_of(client.delete_user_pool().user_pool_id(pool).send().await);
    assert_eq!(code, "ResourceNotFoundException");
}

#[tokio::test]
async fn deletion_protection_and_pool_quota() {
    let server = Server::start(&[
        "--durability",
        "memory",
        "--max-user-pools-per-account",
        "2",
    ]);
    let client = server.client();
    let protected = client
        .create_user_pool()
        .pool_name("protected")
        .deletion_protection(DeletionProtectionType::Active)
        .send()
        .await
        .expect("create")
        .user_pool
        .and_then(|p| p.id)
        .expect("id");
    let (code, message) = error_of(
        client
            .delete_user_pool()
            .user_pool_id(&protected)
            .send()
            .await,
    );
    assert_eq!(code, "InvalidParameterException");
    assert_eq!(
        message,
        "The user pool cannot be deleted because deletion protection is activated. Deletion \
         protection must be inactivated first."
    );
    new_pool(&client).await;
    let (code, _) = error_of(client.create_user_pool().pool_name("third").send().await);
    assert_eq!(code, "LimitExceededException");
}
