//! The load generator: N HTTP/1.1 keep-alive connections driven from one thread (a
//! current-thread runtime), closed-loop by default or paced at a fixed total rate. Latency is
//! measured per request in microseconds from the moment it is sent. In paced mode each
//! connection keeps its own schedule, so a slow response delays that connection's next sends.

use std::cell::RefCell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// Makes the next request to send; shared by all connections of a run.
pub trait RequestSource {
    fn next_request(&mut self) -> Request<Full<Bytes>>;
}

pub struct LoadConfig {
    pub addr: SocketAddr,
    pub connections: usize,
    pub duration: Duration,
    pub warmup: Duration,
    /// Total requests per second across connections; None for as fast as possible.
    pub rate: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct LoadResult {
    pub requests: u64,
    pub errors: u64,
    pub elapsed: Duration,
    pub histogram: Histogram<u64>,
    /// The first unexpected status and body seen, to say why errors happened.
    pub first_error: Option<String>,
}

impl LoadResult {
    pub fn rps(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    pub fn percentile_us(&self, p: f64) -> u64 {
        self.histogram.value_at_quantile(p)
    }
}

struct Shared {
    histogram: Histogram<u64>,
    requests: u64,
    errors: u64,
    first_error: Option<String>,
}

/// Runs one load phase on the current thread (must be called inside a `LocalSet`).
pub async fn run(
    config: &LoadConfig,
    source: Rc<RefCell<dyn RequestSource>>,
) -> anyhow::Result<LoadResult> {
    let shared = Rc::new(RefCell::new(Shared {
        histogram: Histogram::new_with_bounds(1, 120_000_000, 3)?,
        requests: 0,
        errors: 0,
        first_error: None,
    }));
    let start = Instant::now();
    let measure_from = start + config.warmup;
    let deadline = measure_from + config.duration;
    let per_connection_interval = config
        .rate
        .map(|r| Duration::from_secs_f64(config.connections as f64 / r.max(1e-3)));
    let mut tasks = Vec::new();
    for i in 0..config.connections {
        let shared = shared.clone();
        let source = source.clone();
        let addr = config.addr;
        // Stagger paced connections so their schedules interleave evenly.
        let offset = per_connection_interval
            .map(|iv| iv.mul_f64(i as f64 / config.connections as f64))
            .unwrap_or_default();
        tasks.push(tokio::task::spawn_local(async move {
            connection(
                addr,
                source,
                shared,
                start + offset,
                measure_from,
                deadline,
                per_connection_interval,
            )
            .await
        }));
    }
    for task in tasks {
        task.await??;
    }
    let shared = shared.borrow();
    Ok(LoadResult {
        requests: shared.requests,
        errors: shared.errors,
        elapsed: config.duration,
        histogram: shared.histogram.clone(),
        first_error: shared.first_error.clone(),
    })
}

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

async fn connect(addr: SocketAddr) -> anyhow::Result<Sender> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::task::spawn_local(async move {
        let _ = connection.await;
    });
    Ok(sender)
}

async fn connection(
    addr: SocketAddr,
    source: Rc<RefCell<dyn RequestSource>>,
    shared: Rc<RefCell<Shared>>,
    first: Instant,
    measure_from: Instant,
    deadline: Instant,
    interval: Option<Duration>,
) -> anyhow::Result<()> {
    let mut sender = connect(addr).await?;
    let mut scheduled = first;
    loop {
        if interval.is_some() {
            tokio::time::sleep_until(scheduled.into()).await;
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok(());
        }
        // Latency runs from the actual send. (Measuring from the schedule would charge the
        // client's own timer jitter — tokio timers tick in milliseconds — to the server.)
        let started = now;
        // A server that closes connections after each response (moto's does) gets a new one
        // before the next request; its cost is part of that request's latency.
        if sender.ready().await.is_err() {
            sender = connect(addr).await?;
        }
        let request = source.borrow_mut().next_request();
        let outcome = async {
            sender.ready().await?;
            let response = sender.send_request(request).await?;
            let status = response.status();
            let body = response.into_body().collect().await?.to_bytes();
            anyhow::Ok((status, body))
        }
        .await;
        let done = Instant::now();
        let recording = done >= measure_from && done < deadline;
        match outcome {
            Ok((status, body)) => {
                let mut s = shared.borrow_mut();
                if recording {
                    s.requests += 1;
                    let us =
                        u64::try_from(done.duration_since(started).as_micros()).unwrap_or(u64::MAX);
                    s.histogram.saturating_record(us.max(1));
                    if !status.is_success() {
                        s.errors += 1;
                        if s.first_error.is_none() {
                            s.first_error = Some(format!(
                                "{status}: {}",
                                String::from_utf8_lossy(&body[..body.len().min(300)])
                            ));
                        }
                    }
                }
            }
            Err(e) => {
                if recording {
                    let mut s = shared.borrow_mut();
                    s.errors += 1;
                    s.first_error.get_or_insert_with(|| e.to_string());
                }
                sender = connect(addr).await?;
            }
        }
        if let Some(interval) = interval {
            scheduled += interval;
        }
    }
}
