//! `POST /`: the Cognito API over AWS JSON 1.1.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rognito_protocol::{JsonResponse, RequestHead, WireError};

use super::{AppState, RequestId};

pub async fn handle(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let request_id = parts
        .extensions
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default();
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > state.max_body_bytes) {
        return too_large(state.max_body_bytes);
    }
    let Ok(bytes) = axum::body::to_bytes(body, state.max_body_bytes).await else {
        return too_large(state.max_body_bytes);
    };
    let head = RequestHead {
        method: &parts.method,
        uri: &parts.uri,
        headers: &parts.headers,
        body: &bytes,
    };
    aws_json(state.protocol.handle(head, &request_id).await)
}

fn too_large(limit: usize) -> Response {
    aws_json(JsonResponse::error(&WireError::new(
        "RequestEntityTooLargeException",
        413,
        format!("The request body is larger than the {limit}-byte limit."),
    )))
}

fn aws_json(response: JsonResponse) -> Response {
    let status = StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut out = (status, Body::from(response.body)).into_response();
    let headers = out.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(rognito_protocol::CONTENT_TYPE),
    );
    if let Some(error_type) = response.error_type {
        headers.insert("x-amzn-errortype", HeaderValue::from_static(error_type));
    }
    out
}
