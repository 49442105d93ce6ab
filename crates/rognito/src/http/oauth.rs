//! OAuth 2.0 endpoints: `POST /oauth2/token` (client_credentials), and per pool
//! `/.well-known/jwks.json` and `/.well-known/openid-configuration`.

use std::sync::Arc;

use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rognito_ops::{OAuthError, TokenEndpointRequest};
use serde::Serialize;

use super::{AppState, read_body};

/// The token endpoint's form parameters, each at most once (RFC 6749 §3.2).
#[derive(Default)]
struct TokenForm {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    scope: Option<String>,
}

fn parse_form(body: &[u8]) -> Result<TokenForm, OAuthError> {
    let mut form = TokenForm::default();
    for (name, value) in form_urlencoded::parse(body) {
        let slot = match name.as_ref() {
            "grant_type" => &mut form.grant_type,
            "client_id" => &mut form.client_id,
            "client_secret" => &mut form.client_secret,
            "scope" => &mut form.scope,
            _ => continue,
        };
        if slot.replace(value.into_owned()).is_some() {
            return Err(OAuthError::InvalidRequest(None));
        }
    }
    Ok(form)
}

/// `Authorization: Basic base64(client_id:client_secret)`, if present and well-formed.
/// `Err` when the header is present but is not valid Basic credentials.
///
/// RFC 6749 §2.3.1 has the client form-urlencode its id and secret before Base64; Go's oauth2
/// package does (a `+` in a secret arrives as `%2B`), most other clients send them raw. Both
/// work: `%XX` escapes are decoded, and `+` stays a `+`, since Cognito's client ids and secrets
/// (`[\w+]+`) can hold a `+` but never a space or a `%`.
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, ()> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| ())?;
    let Some((scheme, encoded)) = value.split_once(' ') else {
        return Err(());
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(());
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| ())?;
    let decoded = String::from_utf8(decoded).map_err(|_| ())?;
    let (id, secret) = decoded.split_once(':').ok_or(())?;
    Ok(Some((unescape(id)?, unescape(secret)?)))
}

/// Decodes `%XX` escapes (and nothing else); `Err` for a malformed escape or non-UTF-8 result.
fn unescape(text: &str) -> Result<String, ()> {
    if !text.contains('%') {
        return Ok(text.to_owned());
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        if byte == b'%' {
            let hex = text.get(i + 1..i + 3).ok_or(())?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| ())?);
            i += 3;
        } else {
            out.push(byte);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| ())
}

#[derive(Serialize)]
struct TokenResponse<'a> {
    access_token: &'a str,
    expires_in: i64,
    token_type: &'static str,
}

#[derive(Serialize)]
struct ErrorResponse<'a> {
    error: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_description: Option<&'a str>,
}

pub async fn token(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let (request_id, source) = super::caller(&state, &parts);
    let limit = state.body_limit("/oauth2/token");
    let Ok(body) = read_body(&parts.headers, body, limit).await else {
        return too_large(limit);
    };
    let basic = basic_credentials(&parts.headers);
    let form = token_form(&parts.headers, &body, basic);
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok());
    let request = form
        .as_ref()
        .map_err(Clone::clone)
        .map(|form| TokenEndpointRequest {
            host,
            grant_type: form.grant_type.as_deref(),
            client_id: &form.client_id,
            client_secret: &form.client_secret,
            scope: form.scope.as_deref(),
            source,
        });
    match state.gateway.token(&request_id, request).await {
        Ok(token) => oauth_json(
            StatusCode::OK,
            &TokenResponse {
                access_token: &token.access_token,
                expires_in: token.expires_in,
                token_type: "Bearer",
            },
        ),
        Err(e) => oauth_error(&e),
    }
}

/// An OAuth error response. Cognito answers every token-endpoint error with 400,
/// invalid_client included, and sends no WWW-Authenticate (docs/compatibility.md has the
/// evidence); rognito's own refusals are 429 (rates, failure budgets: with `Retry-After`), 500
/// and 503 (the audit log cannot be written, failing closed: `Retry-After: 1`).
fn oauth_error(e: &OAuthError) -> Response {
    tracing::debug!(error = e.code(), "token request refused");
    let status = match e {
        OAuthError::TooManyRequests | OAuthError::TooManyFailures(_) => {
            StatusCode::TOO_MANY_REQUESTS
        }
        OAuthError::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
        OAuthError::AuditUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_REQUEST,
    };
    let description = e.description();
    let mut response = oauth_json(
        status,
        &ErrorResponse {
            error: e.code(),
            error_description: description.as_deref(),
        },
    );
    let retry_after = match e {
        OAuthError::TooManyFailures(refused) => Some(refused.retry_after_secs()),
        OAuthError::AuditUnavailable => Some(1),
        _ => None,
    };
    if let Some(secs) = retry_after
        && let Ok(value) = HeaderValue::from_str(&secs.to_string())
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// 413 in the token endpoint's error shape.
pub(crate) fn too_large(limit: usize) -> Response {
    let description = format!("The request body is larger than the {limit}-byte limit.");
    oauth_json(
        StatusCode::PAYLOAD_TOO_LARGE,
        &ErrorResponse {
            error: "invalid_request",
            error_description: Some(&description),
        },
    )
}

/// The client's credentials and the grant's parameters, from the form and the Authorization
/// header.
struct TokenCall {
    grant_type: Option<String>,
    client_id: String,
    client_secret: String,
    scope: Option<String>,
}

/// Reads a token request: a form body, the client's credentials from Basic authentication or
/// the form (in both places, they must agree).
///
/// Errors: `invalid_request` for a body that is not a form or repeats a parameter;
/// `invalid_client` for malformed Basic credentials, credentials that disagree, or none.
fn token_form(
    headers: &HeaderMap,
    body: &[u8],
    basic: Result<Option<(String, String)>, ()>,
) -> Result<TokenCall, OAuthError> {
    let form_encoded = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !form_encoded {
        return Err(OAuthError::InvalidRequest(None));
    }
    let form = parse_form(body)?;
    let basic = basic.map_err(|()| OAuthError::InvalidClient)?;
    let (client_id, client_secret) = match (basic, form.client_id, form.client_secret) {
        // Credentials in both places must agree.
        (Some((id, secret)), body_id, body_secret) => {
            if body_id.is_some_and(|b| b != id) || body_secret.is_some_and(|b| b != secret) {
                return Err(OAuthError::InvalidClient);
            }
            (id, secret)
        }
        (None, Some(id), Some(secret)) => (id, secret),
        (None, _, _) => return Err(OAuthError::InvalidClient),
    };
    Ok(TokenCall {
        grant_type: form.grant_type,
        client_id,
        client_secret,
        scope: form.scope,
    })
}

fn oauth_json<T: Serialize>(status: StatusCode, body: &T) -> Response {
    let body = serde_json::to_vec(body).unwrap_or_default();
    (
        status,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json;charset=UTF-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (header::PRAGMA, HeaderValue::from_static("no-cache")),
            (
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            ),
        ],
        body,
    )
        .into_response()
}

#[derive(Serialize)]
struct Jwks {
    keys: Vec<rognito_ops::Jwk>,
}

pub async fn jwks(State(state): State<Arc<AppState>>, Path(pool_id): Path<String>) -> Response {
    match state.gateway.ops().jwks(&pool_id).await {
        Ok(Some(keys)) => public_json(&Jwks { keys }),
        Ok(None) => pool_not_found(&pool_id),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

pub async fn openid_configuration(
    State(state): State<Arc<AppState>>,
    Path(pool_id): Path<String>,
) -> Response {
    match state.gateway.ops().openid_configuration(&pool_id).await {
        Ok(Some(document)) => public_json(&document),
        Ok(None) => pool_not_found(&pool_id),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

fn public_json<T: Serialize>(body: &T) -> Response {
    let body = serde_json::to_vec(body).unwrap_or_default();
    (
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            ),
        ],
        body,
    )
        .into_response()
}

fn pool_not_found(pool_id: &str) -> Response {
    let body = serde_json::json!({ "message": format!("User pool {pool_id} does not exist.") });
    (
        StatusCode::NOT_FOUND,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body.to_string(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn cases() -> u32 {
        std::env::var("ROGNITO_FUZZ_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(256)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(cases()))]

        /// The token endpoint's form and Basic-credentials parsers take any bytes without
        /// panicking, and a refusal is always a client error.
        #[test]
        fn form_and_basic_parsers_never_panic(
            body in prop::collection::vec(any::<u8>(), 0..256),
            form in "((grant_type|client_id|client_secret|scope|x)=[a-zA-Z0-9%+/_.-]{0,20}&?){0,6}",
            header in prop::collection::vec(any::<u8>(), 0..80),
            encoded in "[A-Za-z0-9+/=]{0,60}",
        ) {
            for input in [body.as_slice(), form.as_bytes()] {
                if let Err(e) = parse_form(input) {
                    prop_assert_eq!(e, OAuthError::InvalidRequest(None));
                }
            }
            let mut headers = HeaderMap::new();
            for value in [
                HeaderValue::from_bytes(&header).ok(),
                HeaderValue::from_str(&format!("Basic {encoded}")).ok(),
            ]
            .into_iter()
            .flatten()
            {
                headers.insert(header::AUTHORIZATION, value);
                let _ = basic_credentials(&headers);
            }
        }
    }

    #[test]
    fn form_parameters_appear_at_most_once() {
        let form = parse_form(b"grant_type=client_credentials&scope=a%2Fb+c").expect("form");
        assert_eq!(form.grant_type.as_deref(), Some("client_credentials"));
        assert_eq!(form.scope.as_deref(), Some("a/b c"));
        assert!(parse_form(b"scope=a&scope=b").is_err());
    }

    #[test]
    fn basic_credentials_parse_and_reject_garbage() {
        let mut headers = HeaderMap::new();
        assert_eq!(basic_credentials(&headers), Ok(None));
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Basic {}", STANDARD.encode("id:se:cret")))
                .expect("header"),
        );
        assert_eq!(
            basic_credentials(&headers),
            Ok(Some(("id".into(), "se:cret".into())))
        );
        // RFC 6749 §2.3.1: form-urlencoded before Base64, as Go's oauth2 sends it.
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Basic {}", STANDARD.encode("id:a%2Bb%2Fc+d")))
                .expect("header"),
        );
        assert_eq!(
            basic_credentials(&headers),
            Ok(Some(("id".into(), "a+b/c+d".into())))
        );
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Basic {}", STANDARD.encode("id:bad%zz")))
                .expect("header"),
        );
        assert_eq!(basic_credentials(&headers), Err(()));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic !!"));
        assert_eq!(basic_credentials(&headers), Err(()));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer x"));
        assert_eq!(basic_credentials(&headers), Err(()));
    }
}
