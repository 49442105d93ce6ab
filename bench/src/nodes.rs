//! What only several nodes on one database show: how long a change made on one node takes to
//! reach another node's caches (through the change feed), and what the feed's tail costs a node
//! that does nothing.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::load::{self, LoadConfig, LoadResult};
use crate::scenarios::{Client, Endpoint, Scenario, Seed, Source, scopes};

/// How often node B is asked whether it shows the change yet.
const POLL_EVERY: Duration = Duration::from_millis(1);
/// A sample that takes longer is given up (and counted as timed out).
const GIVE_UP_AFTER: Duration = Duration::from_secs(2);

/// Propagation delays, from node A's 200 to node B's first answer showing the change.
pub struct Propagation {
    /// Delays of the samples that arrived, in microseconds, sorted.
    pub delays_us: Vec<u64>,
    pub timed_out: usize,
    /// The write load on node A meanwhile, if any.
    pub load: Option<LoadResult>,
}

impl Propagation {
    pub fn percentile_ms(&self, p: f64) -> Option<f64> {
        let last = self.delays_us.len().checked_sub(1)?;
        let i = ((last as f64) * p).round() as usize;
        Some(self.delays_us[i.min(last)] as f64 / 1000.0)
    }
}

/// `samples` times: UpdateResourceServer on `a` (a new Name for `rs-00` of the seed pool), then
/// DescribeResourceServer on `b` every millisecond until it shows the new Name (at most 2 s).
/// With `write_load`, CreateResourceServer runs closed-loop on `a` with that many connections
/// meanwhile.
pub async fn propagation(
    a: &Endpoint,
    b: &Endpoint,
    seed: &Seed,
    samples: usize,
    write_load: Option<(usize, u32)>,
    tag: &str,
) -> anyhow::Result<Propagation> {
    let stop = Rc::new(Cell::new(false));
    let load = match write_load {
        Some((connections, pid)) => {
            let source = Rc::new(RefCell::new(Source::new(
                Scenario::Create,
                a,
                seed,
                &format!("prop-{tag}"),
            )));
            let mut config = LoadConfig::new(a.addr, connections, Duration::from_secs(600));
            config.server_pids = vec![pid];
            config.stop = Some(stop.clone());
            let task = tokio::task::spawn_local(async move { load::run(&config, source).await });
            // Sample once the load is past its warm-up.
            tokio::time::sleep(Duration::from_millis(600)).await;
            Some(task)
        }
        None => None,
    };
    let sampled = sample(a, b, seed, samples, tag).await;
    stop.set(true);
    let load = match load {
        Some(task) => Some(task.await??),
        None => None,
    };
    let (mut delays_us, timed_out) = sampled?;
    delays_us.sort_unstable();
    Ok(Propagation {
        delays_us,
        timed_out,
        load,
    })
}

async fn sample(
    a: &Endpoint,
    b: &Endpoint,
    seed: &Seed,
    samples: usize,
    tag: &str,
) -> anyhow::Result<(Vec<u64>, usize)> {
    let mut writer = Client::connect(a).await?;
    let mut reader = Client::connect(b).await?;
    let mut delays = Vec::with_capacity(samples);
    let mut timed_out = 0;
    for i in 0..samples {
        let name = format!("propagation {tag} {i}");
        writer
            .call(
                "UpdateResourceServer",
                json!({"UserPoolId": seed.pool, "Identifier": "rs-00", "Name": name, "Scopes": scopes()}),
            )
            .await?;
        let acknowledged = Instant::now();
        loop {
            let seen = reader
                .call(
                    "DescribeResourceServer",
                    json!({"UserPoolId": seed.pool, "Identifier": "rs-00"}),
                )
                .await?;
            let waited = acknowledged.elapsed();
            if seen["ResourceServer"]["Name"].as_str() == Some(name.as_str()) {
                delays.push(u64::try_from(waited.as_micros()).unwrap_or(u64::MAX));
                break;
            }
            if waited > GIVE_UP_AFTER {
                timed_out += 1;
                break;
            }
            tokio::time::sleep(POLL_EVERY).await;
        }
    }
    Ok((delays, timed_out))
}

/// Percent of one core each process used over `window` while nothing was sent to it.
pub async fn idle_cpu(pids: &[u32], window: Duration) -> Vec<Option<f64>> {
    let before: Vec<Option<f64>> = pids.iter().map(|&p| load::cpu_seconds(Some(p))).collect();
    let started = Instant::now();
    tokio::time::sleep(window).await;
    let wall = started.elapsed().as_secs_f64();
    pids.iter()
        .zip(before)
        .map(|(&p, b)| Some((load::cpu_seconds(Some(p))? - b?) / wall * 100.0))
        .collect()
}
