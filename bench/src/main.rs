//! rognito's benchmark. `rognito-bench suite` starts rognito (and moto_server when given), seeds
//! both through the API, measures the limits of this machine in the same run (HTTP floor,
//! `openssl speed` RSA-2048 signing, SQLite one-row-per-transaction), then drives every scenario
//! alternating rognito/moto round by round and prints req/s, latency percentiles, errors and
//! ratios, plus one JSON line per run. See bench/README.md.

// A load generator, not a server: a broken run may stop with a panic and its message.
#![allow(clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod baselines;
mod load;
mod processes;
mod report;
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
use crate::processes::ServerProcess;
use crate::report::{Limits, Report, RunRecord};
use crate::scenarios::{Endpoint, Scenario, Seed, Source};

#[derive(Parser)]
#[command(name = "rognito-bench", about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Everything: start servers, seed, measure limits and every scenario, print the table.
    Suite(SuiteArgs),
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
    /// get-client-token, mix).
    #[arg(long, value_delimiter = ',')]
    scenarios: Vec<String>,
    /// A few seconds per scenario, one round, no targets judged: for CI, so the bench never rots.
    #[arg(long)]
    smoke: bool,
    /// rognito's durability mode for the run.
    #[arg(long, default_value = "fsync")]
    durability: String,
    /// Also run the scale scenario: seed this many pools × 25 resource servers (`rognito seed`),
    /// then measure start-up, RSS, disk size and Describe across them. 0: skip.
    #[arg(long, default_value_t = 0)]
    scale: u64,
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
            }
            local.block_on(&runtime, suite(args))
        }
        Command::VerifyCost { iterations } => verify_cost::run(iterations),
    }
}

struct Target {
    endpoint: Endpoint,
    seed: Seed,
    process: ServerProcess,
}

async fn suite(args: SuiteArgs) -> anyhow::Result<()> {
    let selected: Vec<Scenario> = Scenario::ALL
        .into_iter()
        .filter(|s| args.scenarios.is_empty() || args.scenarios.iter().any(|k| k == s.key()))
        .collect();
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
    eprintln!("rognito up at {} in {startup:?}", process.addr);
    let endpoint = Endpoint {
        name: "rognito",
        addr: process.addr,
    };
    let seed = scenarios::seed(&endpoint, 16, true)
        .await
        .context("seeding rognito")?;
    let rognito = Target {
        endpoint,
        seed,
        process,
    };
    let moto = match &args.moto_bin {
        Some(bin) => {
            let process = processes::start_moto(bin)?;
            eprintln!("moto_server up at {}", process.addr);
            let endpoint = Endpoint {
                name: "moto",
                addr: process.addr,
            };
            let seed = scenarios::seed(&endpoint, 16, false)
                .await
                .context("seeding moto")?;
            Some(Target {
                endpoint,
                seed,
                process,
            })
        }
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

    let mut report = Report::new(Limits {
        openssl_rsa2048_signs: openssl,
        aws_lc_rsa2048_signs: aws_lc,
        sqlite_tx_per_s: sqlite,
        startup,
        idle_rss_kb,
        busy_rss_kb: None,
        data_dir_bytes: None,
        half_peak_describe: None,
    });
    // Round by round, each scenario in turn, rognito then moto: the machine's drift over the
    // minutes of a run then touches every scenario (and the HTTP floor) alike, so the ratios
    // compare runs made close together.
    for round in 0..args.rounds {
        for &scenario in selected {
            let connections = if scenario == Scenario::Create {
                args.create_connections
            } else {
                args.connections
            };
            for target in std::iter::once(&rognito).chain(moto.as_ref()) {
                if target.endpoint.name == "moto" && !scenario.moto_supports() {
                    continue;
                }
                let tag = format!("{}-{}{round}", scenario.key(), target.endpoint.name);
                let result =
                    drive(target, scenario, connections, args.duration, None, &tag).await?;
                let record = RunRecord::new(
                    scenario,
                    target.endpoint.name,
                    round,
                    connections,
                    args.duration,
                    &result,
                );
                println!("{}", record.json());
                if let Some(e) = &result.first_error {
                    eprintln!(
                        "  {} on {}: {} errors, first: {e}",
                        scenario.key(),
                        target.endpoint.name,
                        result.errors
                    );
                }
                report.add(record);
            }
        }
    }
    report.limits.busy_rss_kb = rognito.process.rss_kb();
    report.limits.data_dir_bytes = Some(processes::dir_size(&data_dir));
    // Latency at half of the measured peak, paced (open loop).
    if let Some(peak) = report.median_rps(Scenario::Describe, "rognito") {
        let rate = peak / 2.0;
        let result = drive(
            &rognito,
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
    if args.scale > 0 {
        scale(
            args,
            work_dir,
            report.limits.startup,
            report.limits.idle_rss_kb,
        )
        .await?;
    }
    Ok(())
}

/// The scale scenario: the same measurements on a data dir holding `args.scale` pools.
async fn scale(
    args: &SuiteArgs,
    work_dir: &std::path::Path,
    empty_startup: Duration,
    empty_rss_kb: Option<u64>,
) -> anyhow::Result<()> {
    let data_dir = work_dir.join("rognito-scale");
    eprintln!("seeding {} pools x 25 resource servers ...", args.scale);
    let seeded = std::time::Instant::now();
    let status = std::process::Command::new(&args.rognito_bin)
        .args(["seed", "--pools", &args.scale.to_string(), "--data-dir"])
        .arg(&data_dir)
        .status()?;
    anyhow::ensure!(status.success(), "rognito seed failed");
    let seed_secs = seeded.elapsed().as_secs_f64();
    let process = processes::start_rognito(
        &args.rognito_bin,
        &data_dir,
        &["--durability", &args.durability],
    )?;
    let startup = process.startup;
    let idle_rss = process.rss_kb();
    let disk = processes::dir_size(&data_dir);
    let endpoint = Endpoint {
        name: "rognito",
        addr: process.addr,
    };
    let seed = Seed {
        pool: String::new(),
        create_pools: Vec::new(),
        m2m: None,
    };
    let mut source = Source::new(Scenario::DescribeScale, &endpoint, &seed, "scale");
    source.seeded_pools = args.scale;
    let config = LoadConfig {
        addr: endpoint.addr,
        connections: args.connections,
        duration: Duration::from_secs_f64(args.duration),
        warmup: Duration::from_millis(500),
        rate: None,
        server_pid: Some(process.child.id()),
    };
    let result = load::run(&config, Rc::new(RefCell::new(source))).await?;
    let record = RunRecord::new(
        Scenario::DescribeScale,
        "rognito",
        0,
        args.connections,
        args.duration,
        &result,
    );
    println!("{}", record.json());
    let busy_rss = process.rss_kb();
    let mb =
        |kb: Option<u64>| kb.map_or("-".to_owned(), |kb| format!("{:.1} MB", kb as f64 / 1024.0));
    println!(
        "\nScale data set: {} pools x 25 resource servers (seeded in {seed_secs:.1} s)",
        args.scale
    );
    println!("| | empty data dir | scale data set |");
    println!("|---|---|---|");
    println!(
        "| start to first 200 | {:.1} ms | {:.1} ms |",
        empty_startup.as_secs_f64() * 1000.0,
        startup.as_secs_f64() * 1000.0
    );
    println!("| idle RSS | {} | {} |", mb(empty_rss_kb), mb(idle_rss));
    println!("| RSS after Describe load | | {} |", mb(busy_rss));
    println!("| on-disk size | | {:.1} MB |", disk as f64 / 1_048_576.0);
    println!(
        "| Describe across pools | | {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, {} errors |",
        result.rps(),
        result.percentile_us(0.5) as f64 / 1000.0,
        result.percentile_us(0.99) as f64 / 1000.0,
        result.errors
    );
    if let Some(e) = &result.first_error {
        eprintln!("  describe-scale: first error: {e}");
    }
    Ok(())
}

async fn drive(
    target: &Target,
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
    let config = LoadConfig {
        addr: target.endpoint.addr,
        connections,
        duration: Duration::from_secs_f64(duration),
        warmup: Duration::from_millis(500),
        rate,
        server_pid: Some(target.process.child.id()),
    };
    load::run(&config, source).await
}
