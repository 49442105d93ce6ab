//! Accepting connections: plain TCP or TLS (rustls), HTTP/1.1 with capped header sizes and counts
//! and a header-read timeout (which also bounds idle keep-alive connections), a cap on open
//! connections that sheds the oldest idle one first, and a shutdown that closes idle connections
//! at once and lets in-flight requests finish.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context as TaskContext, Poll};
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tokio_rustls::TlsAcceptor;

/// Limits on what a client may send before the request reaches a handler, and on how many
/// connections may be open at once.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Largest request head (request line + headers) in bytes.
    pub max_header_bytes: usize,
    pub max_headers: usize,
    /// Time to receive a request head, and how long an idle keep-alive connection is kept.
    pub header_timeout: Duration,
    /// How long shutdown waits for in-flight requests.
    pub drain_timeout: Duration,
    /// Open connections at most. At the cap, a new connection closes the oldest idle one (no
    /// request in progress), else the oldest that is only receiving request bodies; when every
    /// connection is busy serving, the new one is closed instead.
    pub max_connections: usize,
}

/// Connections asked to close may outnumber the cap by this many before new ones are refused.
const SHED_MARGIN: usize = 32;

/// File descriptors kept back from connections for the store (a writer and eight readers, each
/// with its database, WAL and shared-memory files), the audit log, the data-dir lock, the
/// listener, the runtime's epoll and event descriptors, stdio, and files read at start.
pub const RESERVED_DESCRIPTORS: u64 = 128;

/// The default connection cap: the process's soft open-file limit less
/// [`RESERVED_DESCRIPTORS`], so that a flood of idle sockets can never take the descriptors the
/// store and the audit log need (at least 16).
pub fn default_max_connections() -> usize {
    let soft = descriptor_limit().unwrap_or(1024);
    usize::try_from(soft.saturating_sub(RESERVED_DESCRIPTORS).max(16)).unwrap_or(usize::MAX)
}

/// The soft limit on open files (`RLIMIT_NOFILE`), if there is one.
pub fn descriptor_limit() -> Option<u64> {
    rustix::process::getrlimit(rustix::process::Resource::Nofile).current
}

pub fn tls_acceptor(cert: &Path, key: &Path) -> anyhow::Result<TlsAcceptor> {
    let certs = CertificateDer::pem_file_iter(cert)
        .with_context(|| format!("cannot read TLS certificate {}", cert.display()))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("invalid TLS certificate {}", cert.display()))?;
    let key = PrivateKeyDer::from_pem_file(key)
        .with_context(|| format!("cannot read TLS private key {}", key.display()))?;
    let config = tokio_rustls::rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .context("the TLS certificate and key do not fit together")?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// One open connection, as the cap sees it.
struct Connection {
    /// Requests being served on it now; 0 means idle (between requests, or none sent yet).
    in_flight: AtomicUsize,
    /// Of those, requests whose body has not fully arrived. A connection whose every request
    /// is still uploading does no work of ours: like an idle one, it may be closed to make
    /// room (after the idle ones) and is closed at once by a stop, so slow senders can hold
    /// neither the cap nor the stop.
    receiving: AtomicUsize,
    /// Set once it has been asked to close, so it is not chosen twice.
    closing: AtomicBool,
    close: Notify,
}

/// The open connections in the order they were accepted (ids grow), so the first idle one is
/// the oldest idle one.
#[derive(Default)]
struct Connections {
    open: Mutex<BTreeMap<u64, Arc<Connection>>>,
    next_id: AtomicU64,
    /// Wakes the shutdown drain when the last connection ends.
    all_closed: Notify,
    shed: AtomicU64,
    refused: AtomicU64,
    last_warning: Mutex<Option<Instant>>,
}

impl Connection {
    fn idle(&self) -> bool {
        self.in_flight.load(Ordering::Acquire) == 0
    }

    /// Idle, or only receiving request bodies.
    fn waiting_on_client(&self) -> bool {
        self.in_flight.load(Ordering::Acquire) == self.receiving.load(Ordering::Acquire)
    }
}

impl Connections {
    /// Registers a new connection, making room under `cap` by closing the oldest idle one.
    /// `None`: every connection is busy, so the new one must be refused.
    fn admit(&self, cap: usize) -> Option<(u64, Arc<Connection>)> {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let live = open
            .values()
            .filter(|c| !c.closing.load(Ordering::Acquire))
            .count();
        // Connections asked to close still hold descriptors until their task ends: past a
        // margin, refuse rather than shed more, so a burst cannot outrun the closing.
        if live >= cap && open.len() >= cap.saturating_add(SHED_MARGIN) {
            drop(open);
            self.refused.fetch_add(1, Ordering::Relaxed);
            self.warn(cap);
            return None;
        }
        if live >= cap {
            let open_now = || open.values().filter(|c| !c.closing.load(Ordering::Acquire));
            let victim = open_now()
                .find(|c| c.idle())
                .or_else(|| open_now().find(|c| c.waiting_on_client()));
            let Some(victim) = victim else {
                drop(open);
                self.refused.fetch_add(1, Ordering::Relaxed);
                self.warn(cap);
                return None;
            };
            victim.closing.store(true, Ordering::Release);
            victim.close.notify_one();
            self.shed.fetch_add(1, Ordering::Relaxed);
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let connection = Arc::new(Connection {
            in_flight: AtomicUsize::new(0),
            receiving: AtomicUsize::new(0),
            closing: AtomicBool::new(false),
            close: Notify::new(),
        });
        open.insert(id, connection.clone());
        let shed_one = live >= cap;
        drop(open);
        if shed_one {
            self.warn(cap);
        }
        Some((id, connection))
    }

    fn remove(&self, id: u64) {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        open.remove(&id);
        if open.is_empty() {
            self.all_closed.notify_waiters();
        }
    }

    fn is_empty(&self) -> bool {
        self.open
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_empty()
    }

    /// At most one warning every 10 seconds, with the counts so far.
    fn warn(&self, cap: usize) {
        let Ok(mut last) = self.last_warning.lock() else {
            return;
        };
        if last.is_some_and(|t| t.elapsed() < Duration::from_secs(10)) {
            return;
        }
        *last = Some(Instant::now());
        tracing::warn!(
            max_connections = cap,
            idle_closed = self.shed.load(Ordering::Relaxed),
            refused = self.refused.load(Ordering::Relaxed),
            "connection cap reached: closing the oldest idle connections, refusing new ones \
             while every connection is busy (raise --max-connections, and the open-file limit, \
             if this is legitimate load)"
        );
    }
}

/// Removes its connection from the set when the connection's task ends, however it ends.
struct Registered {
    connections: Arc<Connections>,
    id: u64,
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.connections.remove(self.id);
    }
}

/// The router as one connection's service: tells handlers the peer's address
/// (`http::Caller`) and counts the requests in progress, so the cap knows which connections
/// are idle.
#[derive(Clone)]
struct PeerService {
    app: Router,
    peer: SocketAddr,
    connection: Arc<Connection>,
}

/// Marks a request finished when dropped: with its response body, once hyper has sent it (or
/// given up), so a client still reading a response is never taken for idle.
struct InFlight(Arc<Connection>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A request body that counts its request as receiving until the body has fully arrived (or
/// is dropped unread).
struct ReceivingBody<B> {
    inner: B,
    connection: Option<Arc<Connection>>,
}

impl<B> ReceivingBody<B> {
    fn new(inner: B, connection: &Arc<Connection>) -> Self
    where
        B: http_body::Body,
    {
        let connection = (!inner.is_end_stream()).then(|| {
            connection.receiving.fetch_add(1, Ordering::AcqRel);
            connection.clone()
        });
        ReceivingBody { inner, connection }
    }

    fn arrived(&mut self) {
        if let Some(connection) = self.connection.take() {
            connection.receiving.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

impl<B> Drop for ReceivingBody<B> {
    fn drop(&mut self) {
        self.arrived();
    }
}

impl<B> http_body::Body for ReceivingBody<B>
where
    B: http_body::Body + Unpin,
{
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let polled = std::pin::Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(None | Some(Err(_))) => self.arrived(),
            Poll::Ready(Some(Ok(_))) if self.inner.is_end_stream() => self.arrived(),
            _ => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// A response body that keeps its request counted as in flight until it is dropped.
struct TrackedBody {
    inner: axum::body::Body,
    _in_flight: Option<InFlight>,
}

pin_project_lite::pin_project! {
    /// The router's response future, its response given a [`TrackedBody`] (a named future:
    /// no allocation per request).
    struct PeerFuture {
        #[pin]
        inner: axum::routing::future::RouteFuture<std::convert::Infallible>,
        in_flight: Option<InFlight>,
    }
}

impl std::future::Future for PeerFuture {
    type Output = Result<http::Response<TrackedBody>, std::convert::Infallible>;

    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.project();
        match this.inner.poll(cx) {
            Poll::Ready(Ok(response)) => {
                let in_flight = this.in_flight.take();
                Poll::Ready(Ok(response.map(|inner| TrackedBody {
                    inner,
                    _in_flight: in_flight,
                })))
            }
            Poll::Ready(Err(never)) => match never {},
            Poll::Pending => Poll::Pending,
        }
    }
}

impl http_body::Body for TrackedBody {
    type Data = bytes::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        std::pin::Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

impl<B> tower::Service<http::Request<B>> for PeerService
where
    B: http_body::Body<Data = bytes::Bytes> + Send + Unpin + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Response = http::Response<TrackedBody>;
    type Error = std::convert::Infallible;
    type Future = PeerFuture;

    fn poll_ready(&mut self, _: &mut TaskContext<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        request.extensions_mut().insert(crate::http::Caller {
            peer: Some(self.peer),
            request_id: String::new(),
        });
        self.connection.in_flight.fetch_add(1, Ordering::AcqRel);
        let in_flight = InFlight(self.connection.clone());
        let connection = &self.connection;
        let request =
            request.map(|body| axum::body::Body::new(ReceivingBody::new(body, connection)));
        // The router is always ready (axum's Router::poll_ready is Ready).
        PeerFuture {
            inner: tower::Service::call(&mut self.app, request),
            in_flight: Some(in_flight),
        }
    }
}

pub async fn serve(
    listener: TcpListener,
    app: Router,
    tls: Option<TlsAcceptor>,
    limits: ConnectionLimits,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(limits.max_header_bytes.max(8192))
        .max_headers(limits.max_headers)
        .keep_alive(true);
    let builder = Arc::new(builder);
    let connections = Arc::new(Connections::default());
    let (stopping, stop_signal) = watch::channel(false);
    let (mut accept_failures, mut last_accept_warning) = (0u64, None);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(c) => c,
                Err(e) => {
                    // Usually running out of file descriptors: back off instead of spinning,
                    // and say so at most every 10 seconds.
                    accept_failures += 1;
                    if last_accept_warning.is_none_or(|t: Instant| t.elapsed() >= Duration::from_secs(10)) {
                        tracing::warn!(error = %e, failures = accept_failures, "accept failed");
                        last_accept_warning = Some(Instant::now());
                        accept_failures = 0;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some((id, connection)) = connections.admit(limits.max_connections) else {
            drop(stream);
            continue;
        };
        let registered = Registered {
            connections: connections.clone(),
            id,
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(PeerService {
            app: app.clone(),
            peer,
            connection: connection.clone(),
        });
        let builder = builder.clone();
        let tls = tls.clone();
        let mut stop_signal = stop_signal.clone();
        let header_timeout = limits.header_timeout;
        tokio::spawn(async move {
            let _registered = registered;
            // Closing asked for by the cap (this connection is the oldest idle one) or by
            // shutdown: hyper then closes an idle connection at once and lets a request in
            // progress finish.
            let closing = async {
                tokio::select! {
                    () = connection.close.notified() => {}
                    _ = stop_signal.wait_for(|stop| *stop) => {}
                }
            };
            match tls {
                None => {
                    let conn = builder.serve_connection(TokioIo::new(stream), service);
                    drive(conn, closing, &connection).await;
                }
                Some(acceptor) => {
                    tokio::pin!(closing);
                    let handshake = tokio::time::timeout(header_timeout, acceptor.accept(stream));
                    let tls_stream = tokio::select! {
                        done = handshake => match done {
                            Ok(Ok(s)) => s,
                            _ => return,
                        },
                        () = &mut closing => return,
                    };
                    let conn = builder.serve_connection(TokioIo::new(tls_stream), service);
                    drive(conn, closing, &connection).await;
                }
            }
        });
    }
    drop(listener);
    let _ = stopping.send(true);
    let drained = async {
        while !connections.is_empty() {
            let notified = connections.all_closed.notified();
            if connections.is_empty() {
                break;
            }
            notified.await;
        }
    };
    tokio::select! {
        () = drained => {}
        () = tokio::time::sleep(limits.drain_timeout) => {
            tracing::warn!("in-flight requests did not finish in time; closing them");
        }
    }
}

/// Serves one connection until it ends. Once `closing` completes: a connection serving a
/// request finishes it (and closes after its response); any other is closed at once, even one
/// in the middle of sending a request head, which would otherwise hold the stop (or a place
/// under the cap) until the header timeout.
async fn drive<I, S>(
    conn: hyper::server::conn::http1::Connection<I, S>,
    closing: impl std::future::Future<Output = ()>,
    state: &Connection,
) where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    S: hyper::service::HttpService<hyper::body::Incoming>,
    S::ResBody: 'static,
    <S::ResBody as http_body::Body>::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    tokio::pin!(conn);
    tokio::pin!(closing);
    tokio::select! {
        _ = conn.as_mut() => return,
        () = &mut closing => {}
    }
    if state.waiting_on_client() {
        return;
    }
    conn.as_mut().graceful_shutdown();
    let _ = conn.await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_closes_the_oldest_idle_connection_and_refuses_when_all_are_busy() {
        let connections = Connections::default();
        let (first, a) = connections.admit(2).expect("room");
        let (_, b) = connections.admit(2).expect("room");
        // At the cap with both idle: the oldest (first) is asked to close.
        let (_, c) = connections.admit(2).expect("made room");
        assert!(a.closing.load(Ordering::Acquire));
        assert!(!b.closing.load(Ordering::Acquire));
        connections.remove(first);
        // Both open ones busy: a new connection is refused.
        b.in_flight.fetch_add(1, Ordering::AcqRel);
        c.in_flight.fetch_add(1, Ordering::AcqRel);
        assert!(connections.admit(2).is_none());
        assert_eq!(connections.refused.load(Ordering::Relaxed), 1);
        // One is only receiving a request body (a slow sender): it makes room.
        c.receiving.fetch_add(1, Ordering::AcqRel);
        assert!(connections.admit(2).is_some());
        assert!(c.closing.load(Ordering::Acquire));
        assert!(
            !b.closing.load(Ordering::Acquire),
            "the connection being served stays"
        );
    }

    #[test]
    fn the_default_cap_keeps_descriptors_back() {
        let cap = default_max_connections() as u64;
        assert!(cap >= 16);
        if let Some(limit) = descriptor_limit() {
            assert!(cap <= limit.saturating_sub(RESERVED_DESCRIPTORS).max(16));
        }
    }
}
