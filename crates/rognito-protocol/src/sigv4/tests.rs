use std::time::{Duration, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use http::{HeaderMap, HeaderValue, Method, Uri};

use super::*;

const NOW: i64 = 1_795_317_000;
const TARGET: &str = "AWSCognitoIdentityProviderService.DescribeResourceServer";
const BODY: &[u8] = br#"{"UserPoolId":"us-east-1_abc","Identifier":"api"}"#;

/// Headers of a request signed by AWS's own signer (the one the Rust SDK uses).
fn aws_signed(secret: &str, region: &str) -> HeaderMap {
    let identity = Credentials::new("AKIDEXAMPLE", secret, None, None, "t").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(SERVICE)
        .time(UNIX_EPOCH + Duration::from_secs(NOW as u64))
        .settings(SigningSettings::default())
        .build()
        .expect("params")
        .into();
    let headers = vec![
        ("content-type", "application/x-amz-json-1.1"),
        ("host", "127.0.0.1:9229"),
        ("x-amz-target", TARGET),
        ("x-amz-user-agent", "aws-sdk-rust/1.3  spaces   collapse"),
    ];
    let signable = SignableRequest::new(
        "POST",
        "http://127.0.0.1:9229/",
        headers.clone().into_iter(),
        SignableBody::Bytes(BODY),
    )
    .expect("signable");
    let (instructions, _) = sign(signable, &params).expect("sign").into_parts();
    let mut map = HeaderMap::new();
    for (k, v) in headers {
        map.insert(
            http::HeaderName::from_static(k),
            HeaderValue::from_str(v).expect("value"),
        );
    }
    for (k, v) in instructions.headers() {
        map.insert(
            http::HeaderName::from_bytes(k.as_bytes()).expect("name"),
            HeaderValue::from_str(v).expect("value"),
        );
    }
    map
}

fn verify(headers: &HeaderMap, body: &[u8], secret: &str, region: &str) -> Result<(), WireError> {
    let method = Method::POST;
    let uri: Uri = "/".parse().expect("uri");
    let head = RequestHead {
        method: &method,
        uri: &uri,
        headers,
        body,
    };
    let value = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(missing_token)?;
    let auth = parse_authorization(value)?;
    let amz_date = check_date(&head, &auth, NOW)?;
    check_scope(&auth, region)?;
    let key = signing_key(secret, auth.date, auth.region, auth.service);
    let to_sign = string_to_sign(&amz_date, &auth, &canonical_request(&head, &auth));
    if signature_matches(&key, &to_sign, auth.signature) {
        Ok(())
    } else {
        Err(signature_mismatch())
    }
}

#[test]
fn accepts_what_aws_signs_and_refuses_every_tampering() {
    let headers = aws_signed("secret/key+example", "us-east-1");
    assert_eq!(
        verify(&headers, BODY, "secret/key+example", "us-east-1"),
        Ok(())
    );
    // wrong secret, tampered body, tampered signed header
    assert_eq!(
        verify(&headers, BODY, "another-secret", "us-east-1").map_err(|e| e.type_name),
        Err("InvalidSignatureException")
    );
    assert_eq!(
        verify(&headers, b"{}", "secret/key+example", "us-east-1").map_err(|e| e.type_name),
        Err("InvalidSignatureException")
    );
    let mut tampered = headers.clone();
    tampered.insert(
        "x-amz-target",
        HeaderValue::from_static("AWSCognitoIdentityProviderService.DeleteUserPool"),
    );
    assert_eq!(
        verify(&tampered, BODY, "secret/key+example", "us-east-1").map_err(|e| e.type_name),
        Err("InvalidSignatureException")
    );
    // a header that is not signed may change
    let mut unsigned = headers.clone();
    unsigned.insert("user-agent", HeaderValue::from_static("anything"));
    assert_eq!(
        verify(&unsigned, BODY, "secret/key+example", "us-east-1"),
        Ok(())
    );
}

#[test]
fn scope_date_and_form_checks() {
    let headers = aws_signed("s", "eu-west-1");
    let err = verify(&headers, BODY, "s", "us-east-1").expect_err("region");
    assert_eq!(err.type_name, "InvalidSignatureException");
    assert_eq!(
        err.message.as_deref(),
        Some("Credential should be scoped to a valid region, not 'eu-west-1'. ")
    );
    let method = Method::POST;
    let uri: Uri = "/".parse().expect("uri");
    let head = RequestHead {
        method: &method,
        uri: &uri,
        headers: &headers,
        body: BODY,
    };
    let value = headers["authorization"].to_str().expect("ascii");
    let auth = parse_authorization(value).expect("parse");
    let stale = check_date(&head, &auth, NOW + 16 * 60).expect_err("stale");
    assert_eq!(
        stale.message.as_deref(),
        Some(
            "Signature expired: 20261122T031000Z is now earlier than 20261122T031100Z \
             (20261122T032600Z - 15 min.)"
        )
    );
    assert!(check_date(&head, &auth, NOW - 16 * 60).is_err());
    assert!(check_date(&head, &auth, NOW + 14 * 60).is_ok());

    let incomplete = parse_authorization(
        "AWS4-HMAC-SHA256 Credential=AKID/20261122/us-east-1/cognito-idp/aws4_request",
    )
    .expect_err("incomplete");
    assert_eq!(incomplete.type_name, "IncompleteSignatureException");
    assert!(
        incomplete
            .message
            .as_deref()
            .is_some_and(|m| m.starts_with("Authorization header requires 'Signature' parameter."))
    );
    assert_eq!(
        parse_authorization("Basic abc").map_err(|e| e.type_name),
        Err("IncompleteSignatureException")
    );
    let unsigned_target = AuthorizationHeader {
        signed_headers: vec!["host", "x-amz-date"],
        ..auth.clone()
    };
    assert_eq!(
        check_scope(&unsigned_target, "eu-west-1")
            .expect_err("x-amz-target unsigned")
            .message
            .as_deref(),
        Some("'x-amz-target' must be a 'SignedHeader' in the AWS Authorization.")
    );
}

#[test]
fn dates_round_trip() {
    assert_eq!(parse_amz_date("20261122T031000Z"), Some(NOW));
    assert_eq!(format_amz_date(NOW), "20261122T031000Z");
    assert_eq!(parse_amz_date("2026-11-22T03:10:00Z"), None);
    assert_eq!(parse_amz_date("20261322T031000Z"), None);
}

#[test]
fn hex_matches_the_formatter_for_every_byte() {
    let bytes: Vec<u8> = (0..=255).collect();
    let expected: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hex(&bytes), expected);
}
