//! The HTTP surface: the Cognito JSON API on `POST /`, the OAuth 2.0 token endpoint, JWKS and
//! discovery documents, health, the local message sink (`GET /_rognito/messages`); plus the request-id middleware every response goes through.

mod cognito_api;
mod messages;
mod oauth;

use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use rognito_access::Gateway;
use rognito_protocol::JsonProtocol;

pub struct AppState {
    pub protocol: JsonProtocol,
    /// The access gateway every front end goes through.
    pub gateway: Arc<Gateway>,
    /// Largest body of an API request, in bytes (`--max-body-bytes`).
    pub max_body_bytes: usize,
    /// Proxies whose `X-Forwarded-For` names the caller.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// The store, for `/health` to say whether the database answers.
    pub store: Arc<dyn rognito_store::Store>,
}

/// Largest token-endpoint form, in bytes: `grant_type`, `client_id` (128), `client_secret`
/// (64) and `scope` (a client allows at most 50 scopes of at most 256 characters each, about
/// 13 KiB before escaping) fit with room to spare.
pub const TOKEN_FORM_MAX_BYTES: usize = 16 * 1024;

impl AppState {
    /// The body limit of a route, in bytes.
    fn body_limit(&self, path: &str) -> usize {
        if path == "/oauth2/token" {
            TOKEN_FORM_MAX_BYTES.min(self.max_body_bytes)
        } else if path == messages::PATH {
            messages::MAX_BODY_BYTES.min(self.max_body_bytes)
        } else {
            self.max_body_bytes
        }
    }

    /// The caller's address: the peer's, or, when the peer is a trusted proxy, the nearest
    /// address in `X-Forwarded-For` that is not a trusted proxy (the right-most entries were
    /// added by the proxies closest to rognito; anything left of an untrusted hop could have
    /// been written by the caller).
    pub(crate) fn source_ip(
        &self,
        peer: Option<std::net::SocketAddr>,
        headers: &axum::http::HeaderMap,
    ) -> Option<std::net::IpAddr> {
        // IPv4 peers of a dual-stack listener arrive as ::ffff:a.b.c.d.
        let peer = peer?.ip().to_canonical();
        let trusted = |ip: &std::net::IpAddr| self.trusted_proxies.iter().any(|n| n.contains(ip));
        if !trusted(&peer) {
            return Some(peer);
        }
        let mut nearest = peer;
        for value in headers.get_all("x-forwarded-for").iter().rev() {
            let Ok(text) = value.to_str() else {
                return Some(nearest);
            };
            for hop in text.rsplit(',') {
                // A hop that is not an address (`unknown`, garbage) ends the walk: what lies
                // beyond it cannot be trusted.
                let Some(ip) = forwarded_address(hop.trim()) else {
                    return Some(nearest);
                };
                nearest = ip;
                if !trusted(&ip) {
                    return Some(ip);
                }
            }
        }
        Some(nearest)
    }
}

/// The request id given by the middleware, and the caller's address (after trusted proxies).
pub(crate) fn caller(
    state: &AppState,
    parts: &axum::http::request::Parts,
) -> (String, Option<std::net::IpAddr>) {
    let (request_id, peer) = parts
        .extensions
        .get::<Caller>()
        .map(|c| (c.request_id.clone(), c.peer))
        .unwrap_or_default();
    (request_id, state.source_ip(peer, &parts.headers))
}

/// An `X-Forwarded-For` hop as an address: `a.b.c.d`, `a.b.c.d:port`, an IPv6 address, or
/// `[v6]:port`, canonical (an IPv4-mapped IPv6 address as IPv4).
fn forwarded_address(hop: &str) -> Option<std::net::IpAddr> {
    let ip = hop
        .parse::<std::net::IpAddr>()
        .ok()
        .or_else(|| hop.parse::<std::net::SocketAddr>().ok().map(|a| a.ip()))
        .or_else(|| {
            hop.strip_prefix('[')
                .and_then(|h| h.strip_suffix(']'))
                .and_then(|h| h.parse().ok())
        })?;
    Some(ip.to_canonical())
}

/// Reads a body of at most `limit` bytes. Err: it is larger (whether it said so in
/// `Content-Length` or not), or the connection failed.
pub(crate) async fn read_body(
    headers: &axum::http::HeaderMap,
    body: axum::body::Body,
    limit: usize,
) -> Result<axum::body::Bytes, ()> {
    if declared_length(headers).is_some_and(|n| n > limit as u64) {
        return Err(());
    }
    axum::body::to_bytes(body, limit).await.map_err(|_| ())
}

/// The request's declared `Content-Length`, if any.
pub(crate) fn declared_length(headers: &axum::http::HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
}

/// Who is asking, as a request extension: the peer's address (set by the accept loop) and the
/// request id (`x-amzn-RequestId`, set by [`edge`]). One extension for both, as each costs an
/// allocation per request.
#[derive(Clone, Debug)]
pub(crate) struct Caller {
    pub(crate) peer: Option<std::net::SocketAddr>,
    pub(crate) request_id: String,
}

pub fn router(state: Arc<AppState>, request_timeout: std::time::Duration) -> Router {
    Router::new()
        .route("/", post(cognito_api::handle))
        .route("/oauth2/token", post(oauth::token))
        .route("/{user_pool_id}/.well-known/jwks.json", get(oauth::jwks))
        .route(
            "/{user_pool_id}/.well-known/openid-configuration",
            get(oauth::openid_configuration),
        )
        .route(messages::PATH, get(messages::list))
        .route("/health", get(health))
        .route("/health/audit", get(health_audit))
        .fallback(not_found)
        .with_state(state.clone())
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            request_timeout,
        ))
        .layer(middleware::from_fn_with_state(state, edge))
}

/// What every request goes through first (one layer, as each costs a boxed future per
/// request): a request id (`x-amzn-RequestId` on every response), and the refusal, before
/// anything is read, of a body whose declared `Content-Length` exceeds its route's limit (413 in
/// the route's own error shape; handlers enforce the limit while reading too).
async fn edge(
    axum::extract::State(state): axum::extract::State<Arc<AppState>>,
    mut request: Request,
    next: Next,
) -> Response {
    let id = uuid::Uuid::new_v4().to_string();
    let path = request.uri().path();
    let limit = state.body_limit(path);
    let mut response = if declared_length(request.headers()).is_none_or(|n| n <= limit as u64) {
        match request.extensions_mut().get_mut::<Caller>() {
            Some(caller) => caller.request_id.clone_from(&id),
            None => {
                request.extensions_mut().insert(Caller {
                    peer: None,
                    request_id: id.clone(),
                });
            }
        }
        next.run(request).await
    } else {
        match path {
            "/" => cognito_api::too_large(limit),
            "/oauth2/token" => oauth::too_large(limit),
            messages::PATH => messages::too_large(),
            _ => json(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    r#"{{"message":"The request body is larger than the {limit}-byte limit."}}"#
                ),
            ),
        }
    };
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-amzn-requestid", value);
    }
    response
}

/// `{"status":"ok"}` while the database answers and the audit log has never failed (a
/// constant answer, no query: this is what load balancers poll). While the database does not
/// answer (PostgreSQL; the store's heartbeat looks every second), 503 with
/// `{"status":"degraded","store":"unreachable"}`: the node then refuses writes and anything its
/// dropped caches held, so a load balancer should send requests elsewhere. Once the audit log
/// has failed, its counts are added, and the status is `degraded` with 503 while it cannot be
/// written and rognito fails closed (it then refuses tokens and writes).
async fn health(axum::extract::State(state): axum::extract::State<Arc<AppState>>) -> Response {
    if !state.store.reachable() {
        return json(
            StatusCode::SERVICE_UNAVAILABLE,
            r#"{"status":"degraded","store":"unreachable"}"#.into(),
        );
    }
    let Some(audit) = state.gateway.audit().map(|a| a.status()) else {
        return json(StatusCode::OK, r#"{"status":"ok"}"#.into());
    };
    if audit.failed_writes == 0 && audit.dropped == 0 {
        return json(StatusCode::OK, r#"{"status":"ok"}"#.into());
    }
    audit_health(audit)
}

/// The audit log's counts (`writable`, `failClosed`, `written`, `failedWrites`, `pending`,
/// `dropped`, `aggregated`), always; same status rule as `/health`.
async fn health_audit(
    axum::extract::State(state): axum::extract::State<Arc<AppState>>,
) -> Response {
    match state.gateway.audit().map(|a| a.status()) {
        Some(audit) => audit_health(audit),
        None => json(StatusCode::OK, r#"{"status":"ok","audit":null}"#.into()),
    }
}

fn audit_health(audit: rognito_access::audit::AuditStatus) -> Response {
    let refusing = audit.fail_closed && !audit.writable;
    let (code, status) = if refusing {
        (StatusCode::SERVICE_UNAVAILABLE, "degraded")
    } else {
        (StatusCode::OK, "ok")
    };
    json(
        code,
        serde_json::json!({ "status": status, "audit": audit }).to_string(),
    )
}

/// 404 naming what rognito serves, so a wrong path says where to go (and that the
/// authorization-code endpoints, which discovery lists as Cognito's does, are not served yet).
async fn not_found(request: Request) -> Response {
    let path = request.uri().path();
    let message = if path.starts_with("/oauth2/") || path == "/login" || path == "/logout" {
        format!(
            "Not found: rognito does not serve {path} yet; its OAuth 2.0 endpoint is POST \
             /oauth2/token (client_credentials)"
        )
    } else {
        "Not found: rognito serves the Cognito API on POST /, OAuth 2.0 tokens on POST \
         /oauth2/token, and each pool's keys and discovery document on \
         /<poolId>/.well-known/jwks.json and /<poolId>/.well-known/openid-configuration"
            .to_owned()
    };
    json(
        StatusCode::NOT_FOUND,
        serde_json::json!({ "message": message }).to_string(),
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

#[cfg(test)]
mod tests {
    use super::forwarded_address;

    #[test]
    fn forwarded_hops_are_addresses_with_or_without_ports() {
        for (hop, ip) in [
            ("192.0.2.1", "192.0.2.1"),
            ("192.0.2.1:4711", "192.0.2.1"),
            ("2001:db8::1", "2001:db8::1"),
            ("[2001:db8::1]:443", "2001:db8::1"),
            ("[2001:db8::1]", "2001:db8::1"),
            ("::ffff:10.0.0.5", "10.0.0.5"),
        ] {
            assert_eq!(
                forwarded_address(hop).map(|a| a.to_string()).as_deref(),
                Some(ip),
                "{hop}"
            );
        }
        assert_eq!(forwarded_address("unknown"), None);
        assert_eq!(forwarded_address(""), None);
    }
}
