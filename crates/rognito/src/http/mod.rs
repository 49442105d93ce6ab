//! The HTTP surface: the Cognito JSON API on `POST /`, the OAuth 2.0 token endpoint, JWKS and
//! discovery documents, health; plus the request-id middleware every response goes through.

mod cognito_api;
mod oauth;

use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use rognito_ops::Cognito;
use rognito_protocol::JsonProtocol;

pub struct AppState {
    pub protocol: JsonProtocol,
    pub ops: Arc<Cognito>,
    pub audit: Option<Arc<rognito_protocol::audit::AuditLog>>,
    pub region: String,
    pub max_body_bytes: usize,
}

/// The request id of the request being served (`x-amzn-RequestId`).
#[derive(Clone)]
pub(crate) struct RequestId(pub(crate) String);

pub fn router(state: Arc<AppState>, request_timeout: std::time::Duration) -> Router {
    Router::new()
        .route("/", post(cognito_api::handle))
        .route("/oauth2/token", post(oauth::token))
        .route("/{user_pool_id}/.well-known/jwks.json", get(oauth::jwks))
        .route(
            "/{user_pool_id}/.well-known/openid-configuration",
            get(oauth::openid_configuration),
        )
        .route("/health", get(health))
        .fallback(not_found)
        .with_state(state)
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            request_timeout,
        ))
        .layer(middleware::from_fn(request_id))
}

async fn request_id(mut request: Request, next: Next) -> Response {
    let id = uuid::Uuid::new_v4().to_string();
    request.extensions_mut().insert(RequestId(id.clone()));
    let mut response = next.run(request).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-amzn-requestid", value);
    }
    response
}

async fn health() -> Response {
    json(StatusCode::OK, r#"{"status":"ok"}"#.into())
}

async fn not_found() -> Response {
    json(
        StatusCode::NOT_FOUND,
        r#"{"message":"Not found: the Cognito API is served on POST /"}"#.into(),
    )
}

fn json(status: StatusCode, body: String) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}
