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
    aws_signed_with(secret, region, SignableBody::Bytes(BODY), false)
}

/// As `aws_signed`, with the body the signer is told about and, with `declare_hash`, the
/// signed `X-Amz-Content-Sha256` header S3 clients send.
fn aws_signed_with(
    secret: &str,
    region: &str,
    body: SignableBody<'_>,
    declare_hash: bool,
) -> HeaderMap {
    let mut settings = SigningSettings::default();
    if declare_hash {
        settings.payload_checksum_kind = aws_sigv4::http_request::PayloadChecksumKind::XAmzSha256;
    }
    let identity = Credentials::new("AKIDEXAMPLE", secret, None, None, "t").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(SERVICE)
        .time(UNIX_EPOCH + Duration::from_secs(NOW as u64))
        .settings(settings)
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
        body,
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
    let to_sign = string_to_sign(&amz_date, &auth, &canonical_request(&head, &auth)?);
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

/// The payload hash is always the received body's: a declared `X-Amz-Content-Sha256`, signed
/// or not, never stands in for it (the signature bypass of issue 9).
#[test]
fn the_payload_hash_is_computed_never_trusted() {
    let secret = "secret/key+example";
    let mismatch = Err("InvalidSignatureException");
    // A correct, signed hash header (as S3 clients send it) is accepted.
    let declared = aws_signed_with(secret, "us-east-1", SignableBody::Bytes(BODY), true);
    assert!(declared.contains_key("x-amz-content-sha256"));
    assert_eq!(verify(&declared, BODY, secret, "us-east-1"), Ok(()));
    // The same signed headers with another body: refused.
    assert_eq!(
        verify(
            &declared,
            b"{\"UserPoolId\":\"us-east-1_other\"}",
            secret,
            "us-east-1"
        )
        .map_err(|e| e.type_name),
        mismatch
    );
    // A signature over UNSIGNED-PAYLOAD (only S3 honours it): refused, with any body.
    let unsigned = aws_signed_with(secret, "us-east-1", SignableBody::UnsignedPayload, true);
    assert_eq!(
        unsigned["x-amz-content-sha256"].to_str().expect("ascii"),
        "UNSIGNED-PAYLOAD"
    );
    assert_eq!(
        verify(&unsigned, BODY, secret, "us-east-1").map_err(|e| e.type_name),
        mismatch
    );
    // A signature over an arbitrary declared string ("x"): refused.
    let arbitrary = aws_signed_with(
        secret,
        "us-east-1",
        SignableBody::Precomputed("x".into()),
        true,
    );
    assert_eq!(
        verify(&arbitrary, b"anything", secret, "us-east-1").map_err(|e| e.type_name),
        mismatch
    );
    // An unsigned header holding the original body's hash, sent with another body: refused,
    // and with AWS's text.
    let mut smuggled = aws_signed(secret, "us-east-1");
    smuggled.insert(
        "x-amz-content-sha256",
        HeaderValue::from_str(&hex(digest::digest(&digest::SHA256, BODY).as_ref())).expect("hex"),
    );
    let refused = verify(&smuggled, b"{\"evil\":1}", secret, "us-east-1").expect_err("smuggled");
    assert_eq!(refused, signature_mismatch());
    // ... while with the body it describes, the unsigned header is harmless.
    assert_eq!(verify(&smuggled, BODY, secret, "us-east-1"), Ok(()));
    // Upper-case hex is not the hash AWS computes: refused rather than normalised.
    let mut upper = aws_signed(secret, "us-east-1");
    upper.insert(
        "x-amz-content-sha256",
        HeaderValue::from_str(&hex(digest::digest(&digest::SHA256, BODY).as_ref()).to_uppercase())
            .expect("hex"),
    );
    assert_eq!(
        verify(&upper, BODY, secret, "us-east-1").map_err(|e| e.type_name),
        mismatch
    );
}

/// Canonicalisation is lossless: header values or paths that differ only in bytes that are not
/// UTF-8 never share a canonical request.
#[test]
fn canonical_requests_keep_every_byte() {
    let headers = aws_signed("s", "us-east-1");
    let value = headers["authorization"].to_str().expect("ascii").to_owned();
    let mut auth = parse_authorization(&value).expect("parse");
    auth.signed_headers.push("x-meta");
    let method = Method::POST;
    let canonical = |meta: &[u8], path: &str| {
        let mut h = headers.clone();
        h.insert("x-meta", HeaderValue::from_bytes(meta).expect("obs-text"));
        let uri: Uri = path.parse().expect("uri");
        let head = RequestHead {
            method: &method,
            uri: &uri,
            headers: &h,
            body: BODY,
        };
        canonical_request(&head, &auth).expect("canonical")
    };
    assert_ne!(canonical(b"a\xff", "/"), canonical(b"a\xfe", "/"));
    assert_ne!(canonical(b"a", "/%FF"), canonical(b"a", "/%FE"));
    assert_eq!(canonical(b" a   b ", "/"), canonical(b"a b", "/"));
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
