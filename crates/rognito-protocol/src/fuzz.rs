//! Property-based fuzzing (run by `cargo test`; `ROGNITO_FUZZ_CASES` sets the budget, CI raises
//! it): request decoding and validation, and the Authorization header parser and canonicaliser,
//! must never panic and must answer bad input only with client errors — never a 500.

use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};
use proptest::prelude::*;
use rognito_model::{
    CreateResourceServerRequest, CreateUserPoolClientRequest, CreateUserPoolRequest,
    GetClientTokenRequest, ListResourceServersRequest, UpdateProvisionedLimitRequest,
    UpdateUserPoolClientRequest, Validate,
};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::{RequestHead, WireError, decode, sigv4};

pub fn cases() -> u32 {
    std::env::var("ROGNITO_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

/// Member names of the shapes under test, so generated objects reach deep into them.
const KEYS: &[&str] = &[
    "UserPoolId",
    "Identifier",
    "Name",
    "Scopes",
    "ScopeName",
    "ScopeDescription",
    "MaxResults",
    "NextToken",
    "PoolName",
    "Policies",
    "PasswordPolicy",
    "MinimumLength",
    "Schema",
    "AttributeDataType",
    "StringAttributeConstraints",
    "UserPoolTags",
    "ClientName",
    "AllowedOAuthFlows",
    "AllowedOAuthScopes",
    "AllowedOAuthFlowsUserPoolClient",
    "TokenValidityUnits",
    "AccessToken",
    "ExplicitAuthFlows",
    "ClientId",
    "Secret",
    "ClientMetadata",
    "LimitDefinition",
    "Attributes",
    "LimitClass",
    "RequestedLimitValue",
    "RefreshTokenRotation",
    "Feature",
    "AnalyticsConfiguration",
];

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(KEYS).prop_map(String::from),
        1 => "\\PC{0,12}",
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        (-1e12f64..1e12).prop_map(|n| json!(n)),
        "\\PC{0,40}".prop_map(Value::String),
        prop::sample::select(
            &[
                "code",
                "client_credentials",
                "hours",
                "OFF",
                "us-east-1_abc",
                "a/b",
                ""
            ][..]
        )
        .prop_map(|s| Value::String(s.into())),
    ];
    leaf.prop_recursive(5, 96, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(key(), inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Decoding + validation gives a value or a client error, nothing else.
fn check<T: DeserializeOwned + Validate>(body: &[u8]) -> Result<(), TestCaseError> {
    let outcome: Result<T, WireError> = decode::parse(body).and_then(|v: T| {
        decode::validate(&v)?;
        Ok(v)
    });
    if let Err(e) = outcome {
        prop_assert_eq!(e.status, 400);
        prop_assert!(
            matches!(
                e.type_name,
                "SerializationException" | "InvalidParameterException"
            ),
            "{}",
            e.type_name
        );
        prop_assert!(e.message.as_deref().is_some_and(|m| !m.is_empty()));
    }
    Ok(())
}

fn check_all(body: &[u8]) -> Result<(), TestCaseError> {
    check::<CreateResourceServerRequest>(body)?;
    check::<ListResourceServersRequest>(body)?;
    check::<CreateUserPoolRequest>(body)?;
    check::<CreateUserPoolClientRequest>(body)?;
    check::<UpdateUserPoolClientRequest>(body)?;
    check::<GetClientTokenRequest>(body)?;
    check::<UpdateProvisionedLimitRequest>(body)
}

const VALID_AUTH: &str = "AWS4-HMAC-SHA256 Credential=AKIAROGNITOTESTKEY01/20261122/us-east-1/\
                          cognito-idp/aws4_request, SignedHeaders=content-type;host;x-amz-date;\
                          x-amz-target, Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn decoding_and_validation_answer_only_client_errors(value in json_value()) {
        let body = serde_json::to_vec(&value).unwrap_or_default();
        check_all(&body)?;
    }

    #[test]
    fn arbitrary_bytes_are_serialization_errors(raw in prop::collection::vec(any::<u8>(), 0..256)) {
        check_all(&raw)?;
    }

    #[test]
    fn authorization_parser_never_panics(
        noise in "\\PC{0,200}",
        cut in 0usize..300,
        splice in "\\PC{0,12}",
    ) {
        for header in [noise.clone(), {
            // a valid header with a piece replaced
            let at = cut.min(VALID_AUTH.len());
            let at = (0..=at).rev().find(|i| VALID_AUTH.is_char_boundary(*i)).unwrap_or(0);
            format!("{}{splice}{}", &VALID_AUTH[..at], &VALID_AUTH[at..])
        }] {
            if let Err(e) = sigv4::parse_authorization(&header) {
                prop_assert_eq!(e.type_name, "IncompleteSignatureException");
            }
        }
    }

    #[test]
    fn canonicalisation_never_panics(
        path in "(/[\\PC&&[^?#]]{0,12}){0,4}",
        query in "[a-zA-Z0-9=&%+._~-]{0,40}",
        values in prop::collection::vec("[ -~]{0,30}", 0..6),
        body in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let Ok(uri) = format!("{}?{query}", if path.is_empty() { "/" } else { &path }).parse::<Uri>() else {
            return Ok(());
        };
        let mut headers = HeaderMap::new();
        for (i, v) in values.iter().enumerate() {
            if let (Ok(name), Ok(value)) = (HeaderName::try_from(format!("x-h{i}")), HeaderValue::from_str(v)) {
                headers.append(name, value);
            }
        }
        let method = Method::POST;
        let head = RequestHead { method: &method, uri: &uri, headers: &headers, body: &body };
        if let Ok(auth) = sigv4::parse_authorization(VALID_AUTH) {
            let mut auth = auth;
            auth.signed_headers = vec!["x-h0", "x-h1", "x-h5", "host"];
            let canonical = sigv4::canonical_request(&head, &auth).expect("no declared hash");
            prop_assert!(canonical.starts_with(b"POST\n"));
        }
    }
}
