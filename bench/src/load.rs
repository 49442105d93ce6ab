//! The load generator: N HTTP/1.1 keep-alive connections driven from one thread (a
//! current-thread runtime), closed-loop by default or paced at a fixed total rate. Latency is
//! measured per request in microseconds from the moment it is sent. In paced mode each
//! connection keeps its own schedule, so a slow response delays that connection's next sends.
//! Connections are spread round-robin over the addresses given (several nodes of one store).

use std::cell::{Cell, RefCell};
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// Makes the next request to send; shared by all connections of a run.
pub trait RequestSource {
    fn next_request(&mut self) -> Request<Full<Bytes>>;

    /// The next operation to time: one request, or several (see [`Exchange`]).
    fn next_exchange(&mut self) -> Exchange {
        Exchange {
            request: Some(self.next_request()),
            then: None,
        }
    }
}

/// Makes the next step of an operation from the previous request's successful response body
/// (an empty body before the first request). It runs on tokio's blocking pool, not on the
/// connections' thread, so a CPU-heavy step (an SRP client's modular exponentiations) does not
/// stall the other connections; its CPU still counts as the load generator's.
pub type Then = Box<dyn FnOnce(&[u8]) -> anyhow::Result<Exchange> + Send>;

/// One operation as the load generator times and counts it: a request, and for an operation of
/// several requests (an SRP sign-in: InitiateAuth, then RespondToAuthChallenge) what makes the
/// next one from this one's answer. Without a request, `then` makes the first one (from an
/// empty body). The connection sends the requests in turn; the operation counts once, its
/// latency runs from the first step to the last answer, and it is an error if any step fails.
pub struct Exchange {
    pub request: Option<Request<Full<Bytes>>>,
    pub then: Option<Then>,
}

/// Runs a step on the blocking pool.
async fn step(then: Then, body: Bytes) -> anyhow::Result<Exchange> {
    tokio::task::spawn_blocking(move || then(&body)).await?
}

pub struct LoadConfig {
    /// Connection i goes to `addrs[i % addrs.len()]`.
    pub addrs: Vec<SocketAddr>,
    pub connections: usize,
    pub duration: Duration,
    pub warmup: Duration,
    /// Total requests per second across connections; None for as fast as possible.
    pub rate: Option<f64>,
    /// The servers' process ids, to measure how much CPU each used in the measured window.
    pub server_pids: Vec<u32>,
    /// The PostgreSQL postmaster behind the servers, if any: its CPU and its children's.
    pub postgres_pid: Option<u32>,
    /// Ends the run early when set (the run then measures up to that moment).
    pub stop: Option<Rc<Cell<bool>>>,
}

impl LoadConfig {
    /// One server, closed loop, the usual 0.5 s warm-up.
    pub fn new(addr: SocketAddr, connections: usize, duration: Duration) -> Self {
        LoadConfig {
            addrs: vec![addr],
            connections,
            duration,
            warmup: Duration::from_millis(500),
            rate: None,
            server_pids: Vec::new(),
            postgres_pid: None,
            stop: None,
        }
    }
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
    /// the cycles went, e.g. whether the client's share explains a gap to a limit. With several
    /// servers, `server_cpu` is their sum and `node_cpu` each one's.
    pub server_cpu: Option<f64>,
    pub node_cpu: Vec<Option<f64>>,
    pub client_cpu: Option<f64>,
    /// The PostgreSQL cluster's CPU (postmaster and backends), when there is one.
    pub postgres_cpu: Option<f64>,
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
    let stop = config.stop.clone().unwrap_or_default();
    let per_connection_interval = config
        .rate
        .map(|r| Duration::from_secs_f64(config.connections as f64 / r.max(1e-3)));
    // Sample the processes' CPU time at the start and end of the measured window.
    let server_pids = config.server_pids.clone();
    let postgres_pid = config.postgres_pid;
    let sampler_stop = stop.clone();
    let cpu_sampler = tokio::task::spawn_local(async move {
        let sample = || CpuSample {
            servers: server_pids.iter().map(|&p| cpu_seconds(Some(p))).collect(),
            client: cpu_seconds(None),
            postgres: postgres_pid.and_then(tree_cpu_seconds),
            at: Instant::now(),
        };
        tokio::time::sleep_until(measure_from.into()).await;
        let before = sample();
        while Instant::now() < deadline && !sampler_stop.get() {
            let left = deadline.saturating_duration_since(Instant::now());
            tokio::time::sleep(left.min(Duration::from_millis(20))).await;
        }
        let after = sample();
        before.cores_until(&after)
    });
    let mut tasks = Vec::new();
    for i in 0..config.connections {
        let shared = shared.clone();
        let source = source.clone();
        let addr = config.addrs[i % config.addrs.len()];
        let stop = stop.clone();
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
                stop,
            )
            .await
        }));
    }
    for task in tasks {
        task.await??;
    }
    let ended = Instant::now().min(deadline);
    let cores = cpu_sampler.await?;
    let shared = shared.borrow();
    Ok(LoadResult {
        requests: shared.requests,
        errors: shared.errors,
        elapsed: ended.saturating_duration_since(measure_from),
        histogram: shared.histogram.clone(),
        first_error: shared.first_error.clone(),
        server_cpu: cores
            .servers
            .iter()
            .try_fold(0.0, |sum, c| c.map(|c| sum + c))
            .filter(|_| !cores.servers.is_empty()),
        node_cpu: cores.servers,
        client_cpu: cores.client,
        postgres_cpu: cores.postgres,
    })
}

/// CPU seconds used so far by the watched processes, at one moment.
struct CpuSample {
    servers: Vec<Option<f64>>,
    client: Option<f64>,
    postgres: Option<f64>,
    at: Instant,
}

/// Cores used between two samples (CPU seconds per wall second).
struct Cores {
    servers: Vec<Option<f64>>,
    client: Option<f64>,
    postgres: Option<f64>,
}

impl CpuSample {
    fn cores_until(&self, after: &CpuSample) -> Cores {
        let wall = after.at.duration_since(self.at).as_secs_f64().max(1e-9);
        let cores = |a: Option<f64>, b: Option<f64>| Some((b? - a?) / wall);
        Cores {
            servers: self
                .servers
                .iter()
                .zip(&after.servers)
                .map(|(&a, &b)| cores(a, b))
                .collect(),
            client: cores(self.client, after.client),
            postgres: cores(self.postgres, after.postgres),
        }
    }
}

/// User + system CPU seconds used so far by a process (this one when `pid` is None), from
/// /proc (Linux; None elsewhere). Fields 14 and 15 of /proc/PID/stat, in clock ticks of 1/100 s.
pub fn cpu_seconds(pid: Option<u32>) -> Option<f64> {
    let path = pid.map_or_else(
        || "/proc/self/stat".to_owned(),
        |p| format!("/proc/{p}/stat"),
    );
    let fields = stat_fields(&std::fs::read_to_string(path).ok()?)?;
    Some((fields.utime + fields.stime) / 100.0)
}

/// A process's CPU seconds with its children's: the live ones' (PostgreSQL's backends) and, in
/// its own counters, those it has reaped (backends of closed connections).
pub fn tree_cpu_seconds(pid: u32) -> Option<f64> {
    let own = stat_fields(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)?;
    let mut total = own.utime + own.stime + own.cutime + own.cstime;
    for entry in std::fs::read_dir("/proc").ok()?.filter_map(Result::ok) {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        if let Some(child) = stat_fields(&stat).filter(|f| f.ppid == pid) {
            total += child.utime + child.stime;
        }
    }
    Some(total / 100.0)
}

struct StatFields {
    ppid: u32,
    utime: f64,
    stime: f64,
    cutime: f64,
    cstime: f64,
}

/// Fields 4 and 14..17 of a /proc/PID/stat line.
fn stat_fields(stat: &str) -> Option<StatFields> {
    // The command name (field 2) may hold spaces; the fields after its closing paren are plain.
    let rest = stat.get(stat.rfind(')')? + 2..)?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let number = |i: usize| -> Option<f64> { fields.get(i)?.parse().ok() };
    Some(StatFields {
        ppid: fields.get(1)?.parse().ok()?,
        utime: number(11)?,
        stime: number(12)?,
        cutime: number(13)?,
        cstime: number(14)?,
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

#[allow(clippy::too_many_arguments)]
async fn connection(
    addr: SocketAddr,
    source: Rc<RefCell<dyn RequestSource>>,
    shared: Rc<RefCell<Shared>>,
    first: Instant,
    measure_from: Instant,
    deadline: Instant,
    interval: Option<Duration>,
    stop: Rc<Cell<bool>>,
) -> anyhow::Result<()> {
    let mut sender = connect(addr).await?;
    let mut scheduled = first;
    loop {
        if interval.is_some() {
            tokio::time::sleep_until(scheduled.into()).await;
        }
        let now = Instant::now();
        if now >= deadline || stop.get() {
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
        let exchange = source.borrow_mut().next_exchange();
        let outcome = async {
            let mut exchange = exchange;
            loop {
                let Some(request) = exchange.request else {
                    let then = exchange.then.context("an exchange with nothing to send")?;
                    exchange = step(then, Bytes::new()).await?;
                    continue;
                };
                // moto closes the connection after each response, also between steps.
                if sender.ready().await.is_err() {
                    sender = connect(addr).await?;
                }
                let response = sender.send_request(request).await?;
                let status = response.status();
                let body = response.into_body().collect().await?.to_bytes();
                match exchange.then {
                    Some(then) if status.is_success() => exchange = step(then, body).await?,
                    _ => return anyhow::Ok((status, body)),
                }
            }
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
