//! AWS Signature Version 4 verification: recompute the signature from the request as received
//! (its signed headers, its body's hash, its credential scope) and compare in constant time.
//! Checks run in AWS's order, cheapest and key-independent first: the header's form, the date's
//! freshness and the credential scope, and only then the access key lookup and the signature.

use std::fmt::Write as _;

use aws_lc_rs::{digest, hmac};

use crate::{RequestHead, WireError};

pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
pub const SERVICE: &str = "cognito-idp";
/// How far a request's date may be from the server's clock.
pub const MAX_SKEW_SECS: i64 = 15 * 60;

/// The parts of an `Authorization: AWS4-HMAC-SHA256 ...` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationHeader<'a> {
    pub access_key_id: &'a str,
    pub date: &'a str,
    pub region: &'a str,
    pub service: &'a str,
    pub terminator: &'a str,
    pub signed_headers: Vec<&'a str>,
    pub signature: &'a str,
}

pub fn missing_token() -> WireError {
    WireError::new(
        "MissingAuthenticationTokenException",
        400,
        "Request is missing Authentication Token",
    )
}

pub fn malformed() -> WireError {
    incomplete("Authorization header is malformed.".into())
}

fn incomplete(message: String) -> WireError {
    WireError::new("IncompleteSignatureException", 400, message)
}

pub fn invalid_signature(message: impl Into<String>) -> WireError {
    WireError::new("InvalidSignatureException", 400, message)
}

pub fn unrecognized_client() -> WireError {
    WireError::new(
        "UnrecognizedClientException",
        400,
        "The security token included in the request is invalid.",
    )
}

pub fn signature_mismatch() -> WireError {
    invalid_signature(
        "The request signature we calculated does not match the signature you provided. Check \
         your AWS Secret Access Key and signing method. Consult the service documentation for \
         details.",
    )
}

/// Parses the Authorization header (AWS's IncompleteSignatureException texts on failure).
pub fn parse_authorization(value: &str) -> Result<AuthorizationHeader<'_>, WireError> {
    let Some(rest) = value.strip_prefix(ALGORITHM) else {
        let algorithm = value.split_whitespace().next().unwrap_or_default();
        return Err(incomplete(format!(
            "Unsupported AWS 'algorithm': '{algorithm}'; use AWS4-HMAC-SHA256."
        )));
    };
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let part = part.trim();
        if let Some(v) = part.strip_prefix("Credential=") {
            credential = Some(v);
        } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
            signed = Some(v);
        } else if let Some(v) = part.strip_prefix("Signature=") {
            signature = Some(v);
        }
    }
    let mut missing = String::new();
    for (name, present) in [
        ("Credential", credential.is_some()),
        ("Signature", signature.is_some()),
        ("SignedHeaders", signed.is_some()),
    ] {
        if !present {
            let _ = write!(
                missing,
                "Authorization header requires '{name}' parameter. "
            );
        }
    }
    let (Some(credential), Some(signed), Some(signature)) = (credential, signed, signature) else {
        return Err(incomplete(format!(
            "{missing}Authorization={ALGORITHM}{rest}"
        )));
    };
    let scope: Vec<&str> = credential.split('/').collect();
    let [access_key_id, date, region, service, terminator] = scope[..] else {
        return Err(incomplete(format!(
            "Credential should be scoped to a valid region, not '{}'. Credential is \
             '<access key>/<date>/<region>/<service>/aws4_request'.",
            scope.get(2).copied().unwrap_or_default()
        )));
    };
    if access_key_id.is_empty()
        || date.len() != 8
        || !date.bytes().all(|b| b.is_ascii_digit())
        || signature.len() != 64
        || !signature.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return Err(incomplete(format!(
            "Authorization header is malformed: Authorization={ALGORITHM}{rest}"
        )));
    }
    Ok(AuthorizationHeader {
        access_key_id,
        date,
        region,
        service,
        terminator,
        signed_headers: signed.split(';').filter(|h| !h.is_empty()).collect(),
        signature,
    })
}

/// Seconds since the epoch of an ISO-8601 basic timestamp (`20261122T031804Z`).
pub fn parse_amz_date(value: &str) -> Option<i64> {
    let b = value.as_bytes();
    if b.len() != 16 || b.get(8) != Some(&b'T') || b.get(15) != Some(&b'Z') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> { value.get(r)?.parse().ok() };
    let (year, month, day) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (hour, minute, second) = (num(9..11)?, num(11..13)?, num(13..15)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hour * 3600 + minute * 60 + second)
}

/// The request's date, checked against the server clock and the credential scope.
pub fn check_date(
    head: &RequestHead<'_>,
    auth: &AuthorizationHeader<'_>,
    now: i64,
) -> Result<String, WireError> {
    let Some(amz_date) = crate::header_value(head.headers, &crate::X_AMZ_DATE) else {
        return Err(incomplete(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
                .into(),
        ));
    };
    let amz_date = amz_date.as_ref();
    let Some(when) = parse_amz_date(amz_date) else {
        return Err(incomplete(format!(
            "Date must be in ISO-8601 'basic format'. Got '{amz_date}'. See \
             http://en.wikipedia.org/wiki/ISO_8601"
        )));
    };
    let stamp = |secs: i64| format_amz_date(secs);
    if when < now - MAX_SKEW_SECS {
        return Err(invalid_signature(format!(
            "Signature expired: {amz_date} is now earlier than {} ({} - 15 min.)",
            stamp(now - MAX_SKEW_SECS),
            stamp(now)
        )));
    }
    if when > now + MAX_SKEW_SECS {
        return Err(invalid_signature(format!(
            "Signature not yet current: {amz_date} is still later than {} ({} + 15 min.)",
            stamp(now + MAX_SKEW_SECS),
            stamp(now)
        )));
    }
    if !amz_date.starts_with(auth.date) {
        return Err(invalid_signature(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from \
             HTTP: '{}' != '{}', from '{amz_date}'.",
            auth.date,
            &amz_date[..8]
        )));
    }
    Ok(amz_date.to_owned())
}

/// The headers an API request must sign: `x-amz-target` names its operation.
pub const API_SIGNED_HEADERS: &[&str] = &["host", "x-amz-date", "x-amz-target"];

/// The headers a request to an endpoint that its (signed) path names must sign
/// (`GET /_rognito/messages`).
pub const PATH_SIGNED_HEADERS: &[&str] = &["host", "x-amz-date"];

/// The credential scope must name this server's region and service, and an API request must
/// sign [`API_SIGNED_HEADERS`].
pub fn check_scope(auth: &AuthorizationHeader<'_>, region: &str) -> Result<(), WireError> {
    check_scope_signing(auth, region, API_SIGNED_HEADERS)
}

/// [`check_scope`], with the headers that must be signed given.
pub fn check_scope_signing(
    auth: &AuthorizationHeader<'_>,
    region: &str,
    required_headers: &[&str],
) -> Result<(), WireError> {
    if auth.region != region {
        return Err(invalid_signature(format!(
            "Credential should be scoped to a valid region, not '{}'. ",
            auth.region
        )));
    }
    if auth.service != SERVICE {
        return Err(invalid_signature(format!(
            "Credential should be scoped to correct service: '{SERVICE}'. "
        )));
    }
    if auth.terminator != "aws4_request" {
        return Err(invalid_signature(format!(
            "Credential should be scoped with a valid terminator: 'aws4_request', not '{}'. ",
            auth.terminator
        )));
    }
    for required in required_headers {
        if !auth.signed_headers.contains(required) {
            return Err(invalid_signature(format!(
                "'{required}' must be a 'SignedHeader' in the AWS Authorization."
            )));
        }
    }
    Ok(())
}

/// `YYYYMMDDThhmmssZ` (ISO 8601 basic format, UTC), as X-Amz-Date carries it.
pub fn format_amz_date(secs: i64) -> String {
    let (year, month, day, hour, minute, second) = rognito_ops::clock::utc_fields(secs);
    format!("{year:04}{month:02}{day:02}T{hour:02}{minute:02}{second:02}Z")
}

/// Lowercase hex, as SigV4 writes hashes and signatures.
pub fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    push_hex(bytes, &mut out);
    out
}

/// Appends `bytes` in lowercase hex. Branch-free and table-free, because one of its inputs is
/// the expected signature, which must not show through timing or cache lines.
pub fn push_hex(bytes: &[u8], out: &mut String) {
    out.reserve(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(hex_digit(b >> 4)));
        out.push(char::from(hex_digit(b & 0x0f)));
    }
}

/// The lowercase hex digit of a nibble, without a branch or a table.
fn hex_digit(nibble: u8) -> u8 {
    let n = u16::from(nibble);
    // 0x00ff when the nibble is above 9, else 0: then add the distance from '9'+1 to 'a'.
    let above_nine = (9u16.wrapping_sub(n) >> 8) & 0xff;
    (n + u16::from(b'0') + (above_nine & 39)) as u8
}

/// URI-encodes a path or query component as SigV4 canonicalises it, byte for byte.
fn uri_encode(value: &[u8], keep_slash: bool, out: &mut Vec<u8>) {
    for &b in value {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b),
            b'/' if keep_slash => out.push(b'/'),
            _ => {
                let mut escaped = String::with_capacity(3);
                let _ = write!(escaped, "%{b:02X}");
                out.extend_from_slice(escaped.as_bytes());
            }
        }
    }
}

/// Percent-decodes to bytes, without replacing anything: two different inputs never decode to
/// the same bytes unless they mean the same bytes (a lossy UTF-8 step here would let distinct
/// paths share one canonical form, and so one signature).
fn percent_decode(value: &str) -> Vec<u8> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        if byte == b'%'
            && let Some(h) = value.get(i + 1..i + 3)
            && let Ok(v) = u8::from_str_radix(h, 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(byte);
        i += 1;
    }
    out
}

/// The hex SHA-256 of the body as received: the payload hash every request is signed over.
///
/// AWS's JSON services always hash the body themselves; `X-Amz-Content-Sha256` (which only S3
/// gives a meaning, including `UNSIGNED-PAYLOAD`) is never trusted. When a client sends it
/// anyway, it must be the body's hash, else the request is refused as a signature mismatch
/// (`InvalidSignatureException`, AWS's text) whether or not the header is signed.
pub fn payload_hash(head: &RequestHead<'_>) -> Result<[u8; 64], WireError> {
    let digest = digest::digest(&digest::SHA256, head.body);
    let mut computed = [0u8; 64];
    for (pair, byte) in computed.chunks_exact_mut(2).zip(digest.as_ref()) {
        pair.copy_from_slice(&[hex_digit(byte >> 4), hex_digit(byte & 0x0f)]);
    }
    for declared in head.headers.get_all(&CONTENT_SHA256) {
        if declared.as_bytes() != computed.as_slice() {
            return Err(signature_mismatch());
        }
    }
    Ok(computed)
}

/// `x-amz-content-sha256`, named once (no parse of the name per request).
static CONTENT_SHA256: http::HeaderName = http::HeaderName::from_static("x-amz-content-sha256");

/// The canonical request of SigV4, from the request as received: method, path, query, the
/// signed headers' values, and the hash of the body actually received ([`payload_hash`]). Every
/// input is taken byte for byte (nothing lossy, nothing declared by the client trusted), so
/// two requests that differ in anything the server acts on never share a canonical request.
///
/// Errors: `InvalidSignatureException` (AWS's mismatch text) when a declared
/// `X-Amz-Content-Sha256` is not the body's hash.
pub fn canonical_request(
    head: &RequestHead<'_>,
    auth: &AuthorizationHeader<'_>,
) -> Result<Vec<u8>, WireError> {
    let payload = payload_hash(head)?;
    let mut out = Vec::with_capacity(512);
    out.extend_from_slice(head.method.as_str().as_bytes());
    out.push(b'\n');
    let path = head.uri.path();
    if path.is_empty() {
        out.push(b'/');
    } else {
        // Decode once, then encode each byte as SigV4 requires (slashes kept).
        uri_encode(&percent_decode(path), true, &mut out);
    }
    out.push(b'\n');
    if let Some(query) = head.uri.query() {
        let mut pairs: Vec<(Vec<u8>, Vec<u8>)> = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                let (mut ek, mut ev) = (Vec::new(), Vec::new());
                uri_encode(&percent_decode(k), false, &mut ek);
                uri_encode(&percent_decode(v), false, &mut ev);
                (ek, ev)
            })
            .collect();
        pairs.sort();
        for (i, (k, v)) in pairs.iter().enumerate() {
            if i > 0 {
                out.push(b'&');
            }
            out.extend_from_slice(k);
            out.push(b'=');
            out.extend_from_slice(v);
        }
    }
    out.push(b'\n');
    for name in &auth.signed_headers {
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        for (i, value) in head.headers.get_all(*name).iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            push_canonical_value(value.as_bytes(), &mut out);
        }
        out.push(b'\n');
    }
    out.push(b'\n');
    for (i, name) in auth.signed_headers.iter().enumerate() {
        if i > 0 {
            out.push(b';');
        }
        out.extend_from_slice(name.as_bytes());
    }
    out.push(b'\n');
    out.extend_from_slice(&payload);
    Ok(out)
}

/// A header value trimmed, with runs of spaces and tabs collapsed to one space, as SigV4's
/// canonical headers require; every other byte (including non-ASCII) is kept as it is.
fn push_canonical_value(value: &[u8], out: &mut Vec<u8>) {
    let blank = |b: &u8| *b == b' ' || *b == b'\t';
    let mut words = value.split(blank).filter(|w| !w.is_empty());
    if let Some(first) = words.next() {
        out.extend_from_slice(first);
        for word in words {
            out.push(b' ');
            out.extend_from_slice(word);
        }
    }
}

/// The string to sign: algorithm, request date, credential scope and the canonical request's hash.
pub fn string_to_sign(amz_date: &str, auth: &AuthorizationHeader<'_>, canonical: &[u8]) -> String {
    let mut out = String::with_capacity(160);
    for part in [
        ALGORITHM,
        "\n",
        amz_date,
        "\n",
        auth.date,
        "/",
        auth.region,
        "/",
        auth.service,
        "/",
        auth.terminator,
        "\n",
    ] {
        out.push_str(part);
    }
    push_hex(
        digest::digest(&digest::SHA256, canonical).as_ref(),
        &mut out,
    );
    out
}

/// The signing key of SigV4 for one secret, day, region and service.
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> hmac::Key {
    let step = |key: &[u8], data: &str| {
        hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), data.as_bytes())
    };
    let k_date = step(format!("AWS4{secret}").as_bytes(), date);
    let k_region = step(k_date.as_ref(), region);
    let k_service = step(k_region.as_ref(), service);
    let k_signing = step(k_service.as_ref(), "aws4_request");
    hmac::Key::new(hmac::HMAC_SHA256, k_signing.as_ref())
}

/// Whether `signature` (hex) is the signature of `to_sign`, compared in constant time.
pub fn signature_matches(key: &hmac::Key, to_sign: &str, signature: &str) -> bool {
    let expected = hex(hmac::sign(key, to_sign.as_bytes()).as_ref());
    // Compared byte for byte, as AWS does: the signature is lowercase hex.
    bool::from(subtle::ConstantTimeEq::ct_eq(
        expected.as_bytes(),
        signature.as_bytes(),
    ))
}

#[cfg(test)]
mod tests;
