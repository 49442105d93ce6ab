//! `POST /`: the Cognito API over AWS JSON 1.1.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rognito_protocol::{JsonResponse, RequestHead, WireError};

use super::{AppState, read_body};

/// Bodies up to this many bytes are read before the signature's head is checked (holding one
/// costs no more than a request head); larger ones only after.
const EARLY_BODY_BYTES: u64 = 16 * 1024;

pub async fn handle(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let (request_id, source) = super::caller(&state, &parts);
    // A caller that cannot authenticate is refused before a large (or chunked) body is read, so
    // it cannot make the server hold one. A small body (the usual request, often in the same
    // packet as the head) is read first: the full check that follows gives the same answer,
    // and the head is then parsed once.
    let small = super::declared_length(&parts.headers).is_some_and(|n| n <= EARLY_BODY_BYTES);
    if !small {
        let head = RequestHead {
            method: &parts.method,
            uri: &parts.uri,
            headers: &parts.headers,
            body: &[],
        };
        if let Err(refused) = state.protocol.check_head(&head, source).await {
            return aws_json(refused);
        }
    }
    let Ok(bytes) = read_body(&parts.headers, body, state.max_body_bytes).await else {
        return too_large(state.max_body_bytes);
    };
    let head = RequestHead {
        method: &parts.method,
        uri: &parts.uri,
        headers: &parts.headers,
        body: &bytes,
    };
    aws_json(state.protocol.handle(head, &request_id, source).await)
}

/// 413 in the API's error shape.
pub(crate) fn too_large(limit: usize) -> Response {
    aws_json(JsonResponse::error(&WireError::new(
        "RequestEntityTooLargeException",
        413,
        format!("The request body is larger than the {limit}-byte limit."),
    )))
}

fn aws_json(response: JsonResponse) -> Response {
    render(response, rognito_protocol::CONTENT_TYPE)
}

/// A protocol response as HTTP, with `content_type` (and `x-amzn-ErrorType` for errors).
pub(crate) fn render(response: JsonResponse, content_type: &'static str) -> Response {
    let status = StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut out = (status, Body::from(response.body)).into_response();
    let headers = out.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Some(error_type) = response.error_type {
        headers.insert("x-amzn-errortype", HeaderValue::from_static(error_type));
    }
    out
}
