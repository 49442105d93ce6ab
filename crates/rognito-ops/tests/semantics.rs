//! Cognito semantics in process: the operations layer on the in-memory store, called through the
//! generated `CognitoApi` trait, with no HTTP, signing or decoding in between. Fast checks of
//! rules and races; the real binary's suites (crates/rognito/tests, tests/python) stay the
//! proof of the wire behaviour.

// Test code: a failed expectation is a failed test.
#![allow(
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::unwrap_used
)]

use std::collections::BTreeMap;
use std::sync::Arc;

use rognito_model::*;
use rognito_ops::Cognito;

const ACCOUNT: &str = "000000000000";

/// A fresh control plane on an in-memory store, and the context of a caller in ACCOUNT.
async fn harness() -> (Arc<Cognito>, RequestContext) {
    harness_with(Arc::new(SystemClock)).await
}

/// `harness`, reading the time from `clock`.
async fn harness_with(clock: Arc<dyn Clock>) -> (Arc<Cognito>, RequestContext) {
    let ops = Cognito::in_memory().await.expect("ops").with_clock(clock);
    let ctx = RequestContext {
        account_id: ACCOUNT.into(),
        request_id: "test".into(),
        user_name: None,
        principal_arn: None,
        source_ip: None,
    };
    (Arc::new(ops), ctx)
}

fn typed<T>(output: Output<T>) -> T {
    match output {
        Output::Typed(t) => t,
        Output::Json(_) => panic!("expected a typed output"),
    }
}

async fn new_pool(ops: &Cognito, ctx: &RequestContext) -> String {
    let created = ops
        .create_user_pool(
            ctx,
            CreateUserPoolRequest {
                pool_name: Some("semantics".into()),
                ..Default::default()
            },
        )
        .await
        .expect("create");
    typed(created).user_pool.and_then(|p| p.id).expect("id")
}

fn arn(pool: &str) -> String {
    format!("arn:aws:cognito-idp:us-east-1:{ACCOUNT}:userpool/{pool}")
}

#[tokio::test]
async fn concurrent_read_modify_writes_of_one_pool_all_land() {
    let (ops, ctx) = harness().await;
    let pool = new_pool(&ops, &ctx).await;
    // 20 callers tag the pool at once while another keeps replacing its settings: every tag
    // must survive (each write is a compare-and-set on the pool's version, retried on conflict).
    let taggers = (0..20).map(|i| {
        let (ops, ctx, pool) = (ops.clone(), ctx.clone(), pool.clone());
        tokio::spawn(async move {
            ops.tag_resource(
                &ctx,
                TagResourceRequest {
                    resource_arn: Some(arn(&pool)),
                    tags: Some(BTreeMap::from([(format!("k{i}"), format!("v{i}"))])),
                },
            )
            .await
        })
    });
    let updater = {
        let (ops, ctx, pool) = (ops.clone(), ctx.clone(), pool.clone());
        tokio::spawn(async move {
            for n in 0..10 {
                ops.update_user_pool(
                    &ctx,
                    UpdateUserPoolRequest {
                        user_pool_id: Some(pool.clone()),
                        email_verification_subject: Some(format!("subject {n}")),
                        ..Default::default()
                    },
                )
                .await
                .expect("update");
            }
        })
    };
    for tagger in taggers {
        tagger.await.expect("join").expect("tag");
    }
    updater.await.expect("join");
    let tags = typed(
        ops.list_tags_for_resource(
            &ctx,
            ListTagsForResourceRequest {
                resource_arn: Some(arn(&pool)),
            },
        )
        .await
        .expect("list"),
    )
    .tags
    .expect("tags");
    assert_eq!(tags.len(), 20, "no tag lost: {tags:?}");
    let described = typed(
        ops.describe_user_pool(
            &ctx,
            DescribeUserPoolRequest {
                user_pool_id: Some(pool.clone()),
            },
        )
        .await
        .expect("describe"),
    )
    .user_pool
    .expect("pool");
    assert_eq!(
        described.email_verification_subject.as_deref(),
        Some("subject 9")
    );
}

#[tokio::test]
async fn an_operation_rognito_lacks_answers_through_the_trait_default() {
    let (ops, ctx) = harness().await;
    let err = ops
        .admin_list_devices(&ctx, AdminListDevicesRequest::default())
        .await
        .expect_err("not implemented");
    assert_eq!(err.code, ErrorCode::UnknownOperationException);
    assert_eq!(
        err.message,
        "AdminListDevices is a Cognito operation that rognito does not implement."
    );
    // Every operation the table lists is implemented, so none answers this way: spot-check
    // that the table and the trait agree on the operations' facts.
    assert!(Operation::UpdateUserPool.implemented());
    assert!(Operation::AdminCreateUser.implemented());
    assert!(!Operation::AdminListDevices.implemented());
    assert_eq!(
        Operation::TagResource.category(),
        Some(ApiCategory::UserPoolResourceUpdate)
    );
    assert_eq!(
        Operation::GetClientToken.authentication(),
        Authentication::ClientSecret
    );
}

#[tokio::test]
async fn a_write_is_visible_to_the_next_read_through_the_caches() {
    let (ops, ctx) = harness().await;
    let pool = new_pool(&ops, &ctx).await;
    let describe = |identifier: &str| {
        let (ops, ctx, pool) = (ops.clone(), ctx.clone(), pool.clone());
        let identifier = identifier.to_owned();
        async move {
            ops.describe_resource_server(
                &ctx,
                DescribeResourceServerRequest {
                    user_pool_id: Some(pool),
                    identifier: Some(identifier),
                },
            )
            .await
        }
    };
    ops.create_resource_server(
        &ctx,
        CreateResourceServerRequest {
            user_pool_id: Some(pool.clone()),
            identifier: Some("api".into()),
            name: Some("first".into()),
            scopes: None,
        },
    )
    .await
    .expect("create");
    let first = describe("api").await.expect("describe");
    assert!(matches!(&first, Output::Json(body) if format!("{body:?}").contains("first")));
    ops.update_resource_server(
        &ctx,
        UpdateResourceServerRequest {
            user_pool_id: Some(pool.clone()),
            identifier: Some("api".into()),
            name: Some("second".into()),
            scopes: None,
        },
    )
    .await
    .expect("update");
    let second = describe("api").await.expect("describe");
    assert!(
        matches!(&second, Output::Json(body) if format!("{body:?}").contains("second")),
        "the cached Describe follows the change feed: {second:?}"
    );
    ops.delete_user_pool(
        &ctx,
        DeleteUserPoolRequest {
            user_pool_id: Some(pool.clone()),
        },
    )
    .await
    .expect("delete");
    let gone = describe("api").await.expect_err("gone with its pool");
    assert_eq!(gone.code, ErrorCode::ResourceNotFoundException);
}

#[tokio::test]
async fn the_time_comes_from_the_clock() {
    let clock = Arc::new(ManualClock::at(1_700_000_000_000));
    let (ops, ctx) = harness_with(clock.clone()).await;
    let pool = new_pool(&ops, &ctx).await;
    clock.advance(5_500);
    ops.update_user_pool(
        &ctx,
        UpdateUserPoolRequest {
            user_pool_id: Some(pool.clone()),
            ..Default::default()
        },
    )
    .await
    .expect("update");
    let described = typed(
        ops.describe_user_pool(
            &ctx,
            DescribeUserPoolRequest {
                user_pool_id: Some(pool),
            },
        )
        .await
        .expect("describe"),
    )
    .user_pool
    .expect("pool");
    assert_eq!(described.creation_date, Some(1_700_000_000.0));
    assert_eq!(described.last_modified_date, Some(1_700_000_005.5));
}
