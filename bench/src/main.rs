//! rognito's benchmark. `rognito-bench suite` starts rognito (and moto_server when given), seeds
//! both through the API, measures the limits of this machine in the same run (HTTP floor,
//! `openssl speed` RSA-2048 signing, SQLite one-row-per-transaction), then drives every scenario
//! alternating rognito/moto round by round and prints req/s, latency percentiles, errors and
//! ratios, plus one JSON line per run. With `--store postgres` it also runs every scenario on a
//! PostgreSQL-backed rognito in the same rounds, pgbench's insert rate, two nodes on one
//! database, the change feed's propagation delay and its idle cost. See bench/README.md.

// A load generator, not a server: a broken run may stop with a panic and its message.
#![allow(clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod baselines;
mod load;
mod nodes;
mod pg_report;
mod pg_suite;
mod postgres;
mod processes;
mod report;
mod scale;
mod scenarios;
mod sigv4;
mod verify_cost;

use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::load::{LoadConfig, LoadResult};
use crate::pg_suite::PgSuite;
use crate::processes::ServerProcess;
use crate::report::{Limits, Report, RunRecord};
use crate::scenarios::{Endpoint, Scenario, Seed, SeedParts, Source};

#[derive(Parser)]
#[command(name = "rognito-bench", about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Everything: start servers, seed, measure limits and every scenario, print the table.
    Suite(Box<SuiteArgs>),
    /// The CPU cost of verifying one SigV4 signature on this machine.
    VerifyCost {
        #[arg(long, default_value_t = 200_000)]
        iterations: u32,
    },
}

#[derive(Parser, Clone)]
struct SuiteArgs {
    /// The rognito binary (build it with `cargo build --release`).
    #[arg(long, default_value = "target/release/rognito")]
    rognito_bin: PathBuf,
    /// moto_server to compare with; omit to measure rognito alone.
    #[arg(long)]
    moto_bin: Option<PathBuf>,
    /// Seconds measured per run (after a warm-up).
    #[arg(long, default_value_t = 5.0)]
    duration: f64,
    /// Runs per scenario and server, alternating rognito and moto; medians are reported.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Connections for every scenario but create.
    #[arg(long, default_value_t = 16)]
    connections: usize,
    /// Connections for CreateResourceServer (group commit needs concurrency to show).
    #[arg(long, default_value_t = 64)]
    create_connections: usize,
    /// Only these scenarios (comma-separated keys: floor, describe, list, create, update, token,
    /// get-client-token, mix, admin-create-user, sign-in-password, sign-in-srp, refresh).
    #[arg(long, value_delimiter = ',')]
    scenarios: Vec<String>,
    /// A few seconds per scenario, one round, no targets judged: for CI, so the bench never rots.
    #[arg(long)]
    smoke: bool,
    /// rognito's durability mode for the run.
    #[arg(long, default_value = "fsync")]
    durability: String,
    /// Also run the scale scenario: seed this many pools × 25 resource servers (`rognito seed`),
    /// then measure start-up, RSS, disk size and Describe across them against Describe of one
    /// warm pool, on each engine of the run. 0: skip.
    #[arg(long, default_value_t = 0)]
    scale: u64,
    /// `sqlite` (rognito's embedded store only), `postgres` (also a PostgreSQL-backed rognito on
    /// a throwaway cluster started with --postgres-script, every scenario on both engines in the
    /// same rounds, plus the PostgreSQL parts), or `postgres://...` (the same on that cluster:
    /// its user must be allowed to create databases; the ones made are dropped at the end).
    #[arg(long, default_value = "sqlite")]
    store: String,
    /// The script that starts and stops a throwaway PostgreSQL cluster.
    #[arg(long, default_value = "scripts/postgres")]
    postgres_script: PathBuf,
    /// With --store postgres: only these PostgreSQL parts besides the engine comparison
    /// (comma-separated: pgbench, two-node, propagation, idle-tail) [default: all].
    #[arg(long, value_delimiter = ',')]
    pg_parts: Vec<String>,
    /// PostgreSQL-backed nodes' --store-connections [default: rognito's].
    #[arg(long)]
    store_connections: Option<usize>,
    /// Propagation samples per condition (idle, under a write load).
    #[arg(long, default_value_t = 200)]
    propagation_samples: usize,
    /// Seconds an idle node is watched for the change feed tail's CPU.
    #[arg(long, default_value_t = 10.0)]
    idle_seconds: f64,
}

impl SuiteArgs {
    /// Whether the run includes a PostgreSQL-backed rognito.
    fn postgres(&self) -> bool {
        self.store != "sqlite"
    }

    /// The scenarios this run measures.
    fn selected(&self) -> Vec<Scenario> {
        Scenario::ALL
            .into_iter()
            .filter(|s| self.scenarios.is_empty() || self.scenarios.iter().any(|k| k == s.key()))
            .collect()
    }

    /// What to seed on a server: the M2M clients on rognito, the users' pool when a user
    /// scenario runs (with refresh tokens on rognito).
    fn seed_parts(&self, rognito: bool) -> SeedParts {
        let users = self.selected().iter().any(|s| s.needs_users());
        SeedParts {
            m2m: rognito,
            users,
            refresh_tokens: rognito && users,
        }
    }

    /// Whether the PostgreSQL part `key` runs.
    fn pg_part(&self, key: &str) -> bool {
        self.postgres() && (self.pg_parts.is_empty() || self.pg_parts.iter().any(|k| k == key))
    }
}

#[allow(clippy::too_many_lines)]
fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // One client thread drives all connections.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let local = tokio::task::LocalSet::new();
    match cli.command {
        Command::Suite(mut args) => {
            if args.smoke {
                args.duration = args.duration.min(2.0);
                args.rounds = 1;
                args.propagation_samples = args.propagation_samples.min(20);
                args.idle_seconds = args.idle_seconds.min(3.0);
            }
            anyhow::ensure!(
                matches!(args.store.as_str(), "sqlite" | "postgres")
                    || args.store.starts_with("postgres://")
                    || args.store.starts_with("postgresql://"),
                "--store is sqlite, postgres or a postgres:// URL, not {}",
                args.store
            );
            local.block_on(&runtime, suite(*args))
        }
        Command::VerifyCost { iterations } => verify_cost::run(iterations),
    }
}

pub struct Target {
    pub endpoint: Endpoint,
    pub seed: Seed,
    pub process: ServerProcess,
    /// The PostgreSQL postmaster behind it, whose CPU is measured with the server's.
    pub postgres_pid: Option<u32>,
}

impl Target {
    /// Seeds a started server through its API (see [`SeedParts`]).
    pub async fn seeded(
        name: &'static str,
        process: ServerProcess,
        parts: SeedParts,
        postgres_pid: Option<u32>,
    ) -> anyhow::Result<Self> {
        eprintln!("{name} up at {} in {:?}", process.addr, process.startup);
        let endpoint = Endpoint {
            name,
            addr: process.addr,
        };
        let seed = scenarios::seed(&endpoint, 16, parts)
            .await
            .with_context(|| format!("seeding {name}"))?;
        Ok(Target {
            endpoint,
            seed,
            process,
            postgres_pid,
        })
    }
}

async fn suite(args: SuiteArgs) -> anyhow::Result<()> {
    for key in &args.scenarios {
        anyhow::ensure!(
            Scenario::ALL.iter().any(|s| s.key() == key),
            "unknown scenario {key}: the keys are {}",
            Scenario::ALL.map(Scenario::key).join(", ")
        );
    }
    let selected = args.selected();
    let work_dir = std::env::temp_dir().join(format!("rognito-bench-{}", std::process::id()));
    std::fs::create_dir_all(&work_dir)?;
    let result = run_suite(&args, &selected, &work_dir).await;
    let _ = std::fs::remove_dir_all(&work_dir);
    result
}

async fn run_suite(
    args: &SuiteArgs,
    selected: &[Scenario],
    work_dir: &std::path::Path,
) -> anyhow::Result<()> {
    let data_dir = work_dir.join("rognito-data");
    let quota = "1000000";
    let process = processes::start_rognito(
        &args.rognito_bin,
        &data_dir,
        &[
            "--durability",
            &args.durability,
            "--max-resource-servers-per-user-pool",
            quota,
        ],
    )?;
    let idle_rss_kb = process.rss_kb();
    let startup = process.startup;
    let rognito = Target::seeded("rognito", process, args.seed_parts(true), None).await?;
    let mut pg = if args.postgres() {
        Some(PgSuite::start(args, work_dir).await?)
    } else {
        eprintln!("PostgreSQL parts skipped: pass --store postgres to run them");
        None
    };
    let moto = match &args.moto_bin {
        Some(bin) => Some(
            Target::seeded(
                "moto",
                processes::start_moto(bin)?,
                args.seed_parts(false),
                None,
            )
            .await?,
        ),
        None => None,
    };

    let limit_secs = if args.smoke { 1 } else { 3 };
    eprintln!("measuring openssl speed -multi 2 rsa2048 ...");
    let openssl = baselines::openssl_rsa2048_signs(limit_secs).ok();
    eprintln!("measuring aws-lc-rs RSA-2048 signing on two threads ...");
    let aws_lc = baselines::aws_lc_rsa2048_signs(Duration::from_secs(u64::from(limit_secs))).ok();
    eprintln!("measuring SQLite one row per transaction ...");
    let sqlite =
        baselines::sqlite_one_row_per_tx(work_dir, Duration::from_secs(u64::from(limit_secs))).ok();

    let user_costs = if selected.iter().any(|s| s.needs_users()) {
        let samples = if args.smoke { 3 } else { 15 };
        eprintln!("measuring argon2id, SRP and its modexps ({samples} samples each) ...");
        Some(baselines::user_costs(samples)?)
    } else {
        None
    };

    let mut report = Report::new(Limits {
        user_costs,
        cores: std::thread::available_parallelism().map_or(2, usize::from),
        openssl_rsa2048_signs: openssl,
        aws_lc_rsa2048_signs: aws_lc,
        sqlite_tx_per_s: sqlite,
        startup,
        idle_rss_kb,
        busy_rss_kb: None,
        data_dir_bytes: None,
        half_peak_describe: None,
        pgbench_tps: Vec::new(),
    });
    // Round by round, each scenario in turn, rognito then moto (and with PostgreSQL: SQLite,
    // PostgreSQL, two PostgreSQL nodes, moto): the machine's drift over the minutes of a run
    // then touches every scenario (and the HTTP floor) alike, so the ratios compare runs made
    // close together.
    for round in 0..args.rounds {
        for &scenario in selected {
            let connections = if scenario == Scenario::Create {
                args.create_connections
            } else {
                args.connections
            };
            let mut runs = vec![(&rognito, None)];
            if let Some(pg) = &pg {
                runs.push((&pg.node, None));
                if args.pg_part("two-node") && pg_suite::TWO_NODE.contains(&scenario) {
                    runs.push((&pg.node, Some("rognito-pg-2node")));
                }
            }
            runs.extend(moto.iter().map(|m| (m, None)));
            for (target, two_node) in runs {
                if target.endpoint.name == "moto" && !scenario.moto_supports() {
                    continue;
                }
                let name = two_node.unwrap_or(target.endpoint.name);
                // The second node runs only for its own runs, so that it tails nothing and
                // takes no CPU in the others.
                let second = match (two_node, &pg) {
                    (Some(_), Some(pg)) => Some(pg.start_node("b")?),
                    _ => None,
                };
                let tag = format!("{}-{name}{round}", scenario.key());
                let result = drive(
                    target,
                    second.as_ref(),
                    scenario,
                    connections,
                    args.duration,
                    None,
                    &tag,
                )
                .await?;
                drop(second);
                let record =
                    RunRecord::new(scenario, name, round, connections, args.duration, &result);
                println!("{}", record.json());
                if let Some(e) = &result.first_error {
                    eprintln!(
                        "  {} on {name}: {} errors, first: {e}",
                        scenario.key(),
                        result.errors
                    );
                }
                report.add(record);
            }
        }
        if let Some(pg) = &pg
            && let Some(tps) = pg.pgbench(args.duration)?
        {
            report.limits.pgbench_tps.push(tps);
        }
    }
    report.limits.busy_rss_kb = rognito.process.rss_kb();
    report.limits.data_dir_bytes = Some(processes::dir_size(&data_dir));
    // Latency at half of the measured peak, paced (open loop).
    if let Some(peak) = report.median_rps(Scenario::Describe, "rognito") {
        let rate = peak / 2.0;
        let result = drive(
            &rognito,
            None,
            Scenario::Describe,
            args.connections,
            args.duration,
            Some(rate),
            "half",
        )
        .await?;
        let record = RunRecord::new(
            Scenario::Describe,
            "rognito@half-peak",
            0,
            args.connections,
            args.duration,
            &result,
        );
        println!("{}", record.json());
        report.limits.half_peak_describe = Some((rate, result.percentile_us(0.99)));
    }
    print!("{}", report.render(args.smoke));
    let mut engines = vec![scale::Engine::Sqlite];
    if let Some(pg) = &mut pg {
        print!("{}", pg_report::render(&report, args.smoke));
        pg.multi_node_parts(args).await?;
        engines.push(scale::Engine::Postgres {
            empty_startup: pg.node.process.startup,
            empty_rss_kb: pg.idle_rss_kb,
            cluster: &mut pg.cluster,
        });
    } else if args.smoke {
        println!(
            "\n(smoke run: the PostgreSQL parts were skipped; pass --store postgres to run them)"
        );
    }
    if args.scale > 0 {
        scale::run(args, work_dir, &report, engines).await?;
    }
    Ok(())
}

/// One run of `scenario` on `target` (and on `second`, a node of the same database, with half
/// of the connections).
pub async fn drive(
    target: &Target,
    second: Option<&ServerProcess>,
    scenario: Scenario,
    connections: usize,
    duration: f64,
    rate: Option<f64>,
    tag: &str,
) -> anyhow::Result<LoadResult> {
    let source = Rc::new(RefCell::new(Source::new(
        scenario,
        &target.endpoint,
        &target.seed,
        tag,
    )));
    let mut config = LoadConfig::new(
        target.endpoint.addr,
        connections,
        Duration::from_secs_f64(duration),
    );
    config.rate = rate;
    config.server_pids = vec![target.process.child.id()];
    config.postgres_pid = target.postgres_pid;
    if let Some(second) = second {
        config.addrs.push(second.addr);
        config.server_pids.push(second.child.id());
    }
    load::run(&config, source).await
}
