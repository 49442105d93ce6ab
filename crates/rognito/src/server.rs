//! Startup, the HTTP router and graceful shutdown.

use std::future::Future;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use rognito_ops::{Cognito, OpsConfig};
use rognito_protocol::{AcceptUnverified, JsonProtocol, JsonResponse, RequestHead, WireError};
use rognito_store::{Durability, ServerStore, SqliteStore};
use tokio::net::TcpListener;

use crate::config::ServerConfig;

struct AppState {
    protocol: JsonProtocol,
    max_body_bytes: usize,
}

/// The request id of the request being served (`x-amzn-RequestId`).
#[derive(Clone)]
struct RequestId(String);

/// Runs the server until `shutdown` completes, then lets in-flight requests finish and closes
/// the store. Fails fast, with a message saying what to change, when the address is taken or
/// the data directory cannot be used.
pub async fn run(
    config: ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    if config.durability != Durability::Memory {
        prepare_data_dir(&config.data_dir)?;
    }
    let listener = TcpListener::bind(config.listen).await.with_context(|| {
        format!(
            "cannot listen on {}; is another server using it? choose another with --listen",
            config.listen
        )
    })?;
    let addr = listener.local_addr()?;
    let store = Arc::new(
        SqliteStore::open(&config.data_dir, config.durability)
            .await
            .with_context(|| {
                format!(
                    "cannot open the database in data dir {}",
                    config.data_dir.display()
                )
            })?,
    );
    let master = crate::master_key::load(&config.master_key_file, config.durability)?;
    let ops = Cognito::new(
        store.clone(),
        OpsConfig {
            region: config.region.clone(),
            quotas: config.quotas.clone(),
        },
        master,
    )
    .await
    .context("cannot initialise the control plane")?;
    let protocol = JsonProtocol::new(
        Arc::new(ops),
        Arc::new(AcceptUnverified {
            account_id: config.account_id.clone(),
        }),
    );
    let app = router(Arc::new(AppState {
        protocol,
        max_body_bytes: config.max_body_bytes,
    }));

    tracing::info!(
        durability = ?config.durability,
        data_dir = %config.data_dir.display(),
        "rognito listening on http://{addr}"
    );
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    store.close().await;
    served.context("server error")?;
    tracing::info!("rognito stopped");
    Ok(())
}

fn prepare_data_dir(dir: &Path) -> anyhow::Result<()> {
    let unusable = || format!("data dir {} is unusable", dir.display());
    std::fs::create_dir_all(dir).with_context(unusable)?;
    // Prove we can write there now rather than on the first request.
    let probe = dir.join(".rognito-write-check");
    std::fs::write(&probe, b"ok").with_context(unusable)?;
    std::fs::remove_file(&probe).with_context(unusable)?;
    Ok(())
}

fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", post(cognito_api))
        .route("/health", get(health))
        .fallback(not_found)
        .with_state(state)
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

/// `POST /`: the Cognito API over AWS JSON 1.1.
async fn cognito_api(State(state): State<Arc<AppState>>, request: Request) -> Response {
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

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
