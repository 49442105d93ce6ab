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
    /// The server's process id, to measure how much CPU it used in the measured window.
    pub server_pid: Option<u32>,
}

#[derive(Debug, Clone)]
pub struct LoadResult {
    pub requests: u64,
    pub errors: u64,
    pub elapsed: Duration,
    pub histogram: Histogram<u64>,
    /// The first unexpected status and body seen, to say why errors happened.
    pub first_error: Option<String>,
    /// CPU used during the measured window, in cores (CPU seconds per second): the server's
    /// (when its pid is known) and this load generator's. On a 2-core machine they say where
    /// the cycles went, e.g. whether the client's share explains a gap to a limit.
    pub server_cpu: Option<f64>,
    pub client_cpu: Option<f64>,
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
    // Sample both processes' CPU time at the start and end of the measured window.
    let server_pid = config.server_pid;
    let cpu_sampler = tokio::task::spawn_local(async move {
        tokio::time::sleep_until(measure_from.into()).await;
        let before = (cpu_seconds(server_pid), cpu_seconds(None), Instant::now());
        tokio::time::sleep_until(deadline.into()).await;
        let after = (cpu_seconds(server_pid), cpu_seconds(None), Instant::now());
        let wall = after.2.duration_since(before.2).as_secs_f64().max(1e-9);
        let cores = |a: Option<f64>, b: Option<f64>| Some((b? - a?) / wall);
        (
            server_pid.and_then(|_| cores(before.0, after.0)),
            cores(before.1, after.1),
        )
    });
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
    let (server_cpu, client_cpu) = cpu_sampler.await?;
    let shared = shared.borrow();
    Ok(LoadResult {
        requests: shared.requests,
        errors: shared.errors,
        elapsed: config.duration,
        histogram: shared.histogram.clone(),
        first_error: shared.first_error.clone(),
        server_cpu,
        client_cpu,
    })
}

/// User + system CPU seconds used so far by a process (this one when `pid` is None), from
/// /proc (Linux; None elsewhere). Fields 14 and 15 of /proc/PID/stat, in clock ticks of 1/100 s.
fn cpu_seconds(pid: Option<u32>) -> Option<f64> {
    let path = pid.map_or_else(
        || "/proc/self/stat".to_owned(),
        |p| format!("/proc/{p}/stat"),
    );
    let stat = std::fs::read_to_string(path).ok()?;
    // The command name (field 2) may hold spaces; the fields after its closing paren are plain.
    let rest = &stat[stat.rfind(')')? + 2..];
    let mut fields = rest.split_whitespace().skip(11);
    let utime: f64 = fields.next()?.parse().ok()?;
    let stime: f64 = fields.next()?.parse().ok()?;
    Some((utime + stime) / 100.0)
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
