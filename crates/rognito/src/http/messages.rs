//! `GET /_rognito/messages`: the local message sink (what rognito would have emailed or
//! texted), signed and authorized as the API's `AdminGetUser` (see
//! `rognito_access::SinkQuery` and `Gateway::sink_messages`). This module only frames: the
//! query parameters, the (empty) body under a small cap, the response as `application/json`.

use std::borrow::Cow;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::response::Response;
use rognito_access::SinkQuery;
use rognito_protocol::{JsonResponse, RequestHead, WireError};

use super::{AppState, read_body};

pub(crate) const PATH: &str = "/_rognito/messages";

/// Largest body accepted (a GET has none; a signed empty body is what clients send).
pub(crate) const MAX_BODY_BYTES: usize = 1024;

const CONTENT_TYPE: &str = "application/json";

pub async fn list(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let (request_id, source) = super::caller(&state, &parts);
    let Ok(bytes) = read_body(&parts.headers, body, MAX_BODY_BYTES).await else {
        return too_large();
    };
    let (mut user_pool_id, mut username, mut limit) = (None, None, None);
    for (name, value) in form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes()) {
        let slot: &mut Option<Cow<'_, str>> = match name.as_ref() {
            "UserPoolId" => &mut user_pool_id,
            "Username" => &mut username,
            "Limit" => &mut limit,
            _ => continue,
        };
        // The first of a repeated parameter counts (the signature covers them all).
        slot.get_or_insert(value);
    }
    let query = SinkQuery {
        user_pool_id: user_pool_id.as_deref(),
        username: username.as_deref(),
        limit: limit.as_deref(),
    };
    let head = RequestHead {
        method: &parts.method,
        uri: &parts.uri,
        headers: &parts.headers,
        body: &bytes,
    };
    let response = state
        .protocol
        .sink_messages(head, query, &request_id, source)
        .await;
    super::cognito_api::render(response, CONTENT_TYPE)
}

/// 413 in the API's error shape.
pub(crate) fn too_large() -> Response {
    super::cognito_api::render(
        JsonResponse::error(&WireError::new(
            "RequestEntityTooLargeException",
            413,
            format!("The request body is larger than the {MAX_BODY_BYTES}-byte limit."),
        )),
        CONTENT_TYPE,
    )
}
