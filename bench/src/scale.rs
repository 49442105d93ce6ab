//! The scale scenario: `--scale N` pools × 25 resource servers loaded with `rognito seed`, on
//! each engine of the run; start-up, RSS and size on disk, and Describe on random pools (mostly
//! cache misses) against Describe on one warm pool of the same server, alternating round by round.

use std::cell::RefCell;
use std::fmt::Write as _;
use std::path::Path;
use std::rc::Rc;
use std::time::{Duration, Instant};

use crate::load::{self, LoadConfig, LoadResult};
use crate::postgres::Cluster;
use crate::processes::{self, ServerProcess};
use crate::report::{self, Report, RunRecord, median, median_run};
use crate::scenarios::{Endpoint, Scenario, Seed, Source};
use crate::{SuiteArgs, pg_suite};

/// An engine the scale data set is loaded into.
pub enum Engine<'a> {
    Sqlite,
    /// With the PostgreSQL-backed node's start-up and idle RSS on an empty database.
    Postgres {
        cluster: &'a mut Cluster,
        empty_startup: Duration,
        empty_rss_kb: Option<u64>,
    },
}

/// A server on the scale data set, and what was measured of it.
struct ScaleNode {
    name: &'static str,
    process: ServerProcess,
    endpoint: Endpoint,
    seed_secs: f64,
    empty_startup: Duration,
    empty_rss_kb: Option<u64>,
    idle_rss_kb: Option<u64>,
    disk_bytes: Option<u64>,
    warm: Vec<RunRecord>,
    random: Vec<RunRecord>,
    /// The PostgreSQL cluster's postmaster, whose CPU is measured with the server's.
    postgres_pid: Option<u32>,
}

/// The first pool `rognito seed` makes.
const FIRST_POOL: &str = "us-east-1_s00000000";

pub async fn run(
    args: &SuiteArgs,
    work_dir: &Path,
    report: &Report,
    engines: Vec<Engine<'_>>,
) -> anyhow::Result<()> {
    let mut nodes = Vec::new();
    for engine in engines {
        nodes.push(load_and_start(args, work_dir, report, engine)?);
    }
    let seed = Seed {
        pool: FIRST_POOL.to_owned(),
        create_pools: Vec::new(),
        m2m: None,
        users: None,
    };
    for round in 0..args.rounds {
        for node in &mut nodes {
            let warm = describe(args, node, &seed, Scenario::Describe, round).await?;
            node.warm.push(RunRecord::new(
                Scenario::Describe,
                &format!("{}@scale-warm", node.name),
                round,
                args.connections,
                args.duration,
                &warm,
            ));
            let random = describe(args, node, &seed, Scenario::DescribeScale, round).await?;
            if let Some(e) = &random.first_error {
                eprintln!("  describe-scale on {}: first error: {e}", node.name);
            }
            node.random.push(RunRecord::new(
                Scenario::DescribeScale,
                node.name,
                round,
                args.connections,
                args.duration,
                &random,
            ));
            for record in [&node.warm, &node.random]
                .into_iter()
                .filter_map(|r| r.last())
            {
                println!("{}", record.json());
            }
        }
    }
    print!("{}", render(args.scale, &nodes));
    Ok(())
}

/// Seeds the engine's data set with `rognito seed` and starts a server on it.
fn load_and_start(
    args: &SuiteArgs,
    work_dir: &Path,
    report: &Report,
    engine: Engine<'_>,
) -> anyhow::Result<ScaleNode> {
    let pools = args.scale.to_string();
    let seeded = Instant::now();
    let (name, data_dir, url, empty_startup, empty_rss_kb) = match engine {
        Engine::Sqlite => (
            "rognito",
            work_dir.join("rognito-scale"),
            None,
            report.limits.startup,
            report.limits.idle_rss_kb,
        ),
        Engine::Postgres {
            cluster,
            empty_startup,
            empty_rss_kb,
        } => (
            "rognito-pg",
            work_dir.join("rognito-scale-pg"),
            Some((cluster.fresh_database("rognito_scale")?, &*cluster)),
            empty_startup,
            empty_rss_kb,
        ),
    };
    eprintln!(
        "seeding {} pools x 25 resource servers into {name} ...",
        args.scale
    );
    let mut seed = std::process::Command::new(&args.rognito_bin);
    // Its summary line goes with the progress messages, not into the tables on stdout.
    seed.args(["seed", "--pools", &pools, "--data-dir"])
        .arg(&data_dir)
        .stdout(std::process::Stdio::from(std::io::stderr()));
    if let Some((url, _)) = &url {
        seed.args(["--store", url]);
    }
    anyhow::ensure!(seed.status()?.success(), "rognito seed failed");
    let seed_secs = seeded.elapsed().as_secs_f64();
    let process = match &url {
        Some((url, _)) => pg_suite::start_pg_node(
            &args.rognito_bin,
            url,
            &data_dir,
            None,
            args.store_connections,
        )?,
        None => processes::start_rognito(
            &args.rognito_bin,
            &data_dir,
            &["--durability", &args.durability],
        )?,
    };
    let disk_bytes = match &url {
        Some((_, cluster)) => cluster.database_size("rognito_scale"),
        None => Some(processes::dir_size(&data_dir)),
    };
    let postgres_pid = url
        .as_ref()
        .and_then(|(_, cluster)| cluster.postmaster_pid());
    Ok(ScaleNode {
        name,
        endpoint: Endpoint {
            name,
            addr: process.addr,
        },
        idle_rss_kb: process.rss_kb(),
        process,
        seed_secs,
        empty_startup,
        empty_rss_kb,
        disk_bytes,
        warm: Vec::new(),
        random: Vec::new(),
        postgres_pid,
    })
}

async fn describe(
    args: &SuiteArgs,
    node: &ScaleNode,
    seed: &Seed,
    scenario: Scenario,
    round: usize,
) -> anyhow::Result<LoadResult> {
    let mut source = Source::new(scenario, &node.endpoint, seed, "scale");
    source.seeded_pools = args.scale;
    // Each round starts elsewhere in the pools, so that it does not find the pools an earlier
    // round loaded into the cache.
    source.counter = round as u64 * 7_919_993;
    let mut config = LoadConfig::new(
        node.endpoint.addr,
        args.connections,
        Duration::from_secs_f64(args.duration),
    );
    config.server_pids = vec![node.process.child.id()];
    config.postgres_pid = node.postgres_pid;
    load::run(&config, Rc::new(RefCell::new(source))).await
}

fn render(pools: u64, nodes: &[ScaleNode]) -> String {
    let mut out = String::new();
    let mb =
        |kb: Option<u64>| kb.map_or("-".to_owned(), |kb| format!("{:.1} MB", kb as f64 / 1024.0));
    let _ = writeln!(
        out,
        "\nScale data set: {pools} pools x 25 resource servers; Describe with the suite's connections, medians of the rounds"
    );
    let _ = write!(out, "| |");
    for node in nodes {
        let _ = write!(out, " {} |", engine_name(node.name));
    }
    let _ = writeln!(out, "\n|---|{}", "---|".repeat(nodes.len()));
    let mut row = |label: &str, cell: &dyn Fn(&ScaleNode) -> String| {
        let _ = write!(out, "| {label} |");
        for node in nodes {
            let _ = write!(out, " {} |", cell(node));
        }
        let _ = writeln!(out);
    };
    row("rognito seed", &|n| format!("{:.1} s", n.seed_secs));
    row("start to first 200, empty → scale", &|n| {
        format!(
            "{:.1} → {:.1} ms",
            n.empty_startup.as_secs_f64() * 1000.0,
            n.process.startup.as_secs_f64() * 1000.0
        )
    });
    row("idle RSS, empty → scale", &|n| {
        format!("{} → {}", mb(n.empty_rss_kb), mb(n.idle_rss_kb))
    });
    row("RSS after the load", &|n| mb(n.process.rss_kb()));
    row("on-disk size (PostgreSQL: pg_database_size)", &|n| {
        n.disk_bytes
            .map_or("-".into(), |b| format!("{:.1} MB", b as f64 / 1_048_576.0))
    });
    let summary = |runs: &[RunRecord]| {
        let refs: Vec<&RunRecord> = runs.iter().collect();
        let rps = median(runs.iter().map(|r| r.rps).collect());
        (rps, median_run(&refs).cloned())
    };
    let describe = |runs: &[RunRecord]| {
        let (rps, run) = summary(runs);
        run.map_or("-".into(), |r| {
            format!(
                "{:.0}, {}/{} ({} errors)",
                rps.unwrap_or(0.0),
                report::ms(r.p50_us),
                report::ms(r.p99_us),
                runs.iter().map(|r| r.errors).sum::<u64>()
            )
        })
    };
    row("Describe, one warm pool: req/s, p50/p99 ms", &|n| {
        describe(&n.warm)
    });
    row("Describe, random pools: req/s, p50/p99 ms", &|n| {
        describe(&n.random)
    });
    row(
        "random / warm req/s",
        &|n| match (summary(&n.random).0, summary(&n.warm).0) {
            (Some(r), Some(w)) if w > 0.0 => format!("{:.2}x", r / w),
            _ => "-".into(),
        },
    );
    row(
        "random p99 / warm p99",
        &|n| match (summary(&n.random).1, summary(&n.warm).1) {
            (Some(r), Some(w)) if w.p99_us > 0 => {
                format!("{:.2}x", r.p99_us as f64 / w.p99_us as f64)
            }
            _ => "-".into(),
        },
    );
    row("CPU server/client/postgres (random)", &|n| {
        summary(&n.random).1.map_or("-".into(), |r| {
            let postgres = r.postgres_cpu.map_or("-".into(), |c| format!("{c:.2}"));
            format!("{}/{postgres}", report::cores(r.server_cpu, r.client_cpu))
        })
    });
    out
}

fn engine_name(target: &str) -> &'static str {
    if target == "rognito-pg" {
        "PostgreSQL"
    } else {
        "SQLite"
    }
}
