//! The tables of `--store postgres`: PostgreSQL against SQLite per scenario, Create against
//! pgbench, two nodes against one, propagation delays and the idle tail's CPU.

use std::fmt::Write as _;

use crate::nodes::Propagation;
use crate::report::{Report, RunRecord, median, median_run, ms, table_head};
use crate::scenarios::Scenario;

/// The PostgreSQL/SQLite ratio each scenario should reach, where there is a goal.
fn engine_goal(scenario: Scenario) -> Option<f64> {
    match scenario {
        // Both served from the node's cache.
        Scenario::Describe | Scenario::List => Some(0.9),
        // Bounded by RSA signing, which the engine does not touch.
        Scenario::Token | Scenario::GetClientToken => Some(0.95),
        _ => None,
    }
}

fn verdict(value: Option<f64>, goal: f64, higher: bool, smoke: bool) -> String {
    match value {
        None => "not measured".into(),
        Some(_) if smoke => String::new(),
        Some(v) if (higher && v >= goal) || (!higher && v < goal) => "met".into(),
        Some(_) => "NOT met".into(),
    }
}

fn cpu(c: Option<f64>) -> String {
    c.map_or("-".to_owned(), |c| format!("{c:.2}"))
}

/// `a / b`, when both are measured.
fn ratio(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => Some(a / b),
        _ => None,
    }
}

fn times(r: Option<f64>) -> String {
    r.map_or("-".into(), |r| format!("{r:.2}x"))
}

fn p50_p99(run: Option<&RunRecord>) -> String {
    run.map_or("-".into(), |r| format!("{}/{}", ms(r.p50_us), ms(r.p99_us)))
}

pub fn render(report: &Report, smoke: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\nPostgreSQL-backed rognito against SQLite-backed, same run (engines alternating round by round; medians{}):",
        if smoke {
            "; smoke run: goals not judged"
        } else {
            ""
        }
    );
    table_head(
        &mut out,
        &[
            "scenario",
            "conns",
            "SQLite req/s",
            "PostgreSQL req/s",
            "PG/SQLite",
            "goal",
            "SQLite p50/p99 ms",
            "PG p50/p99 ms",
            "PG CPU rognito/client/postgres",
            "PG errors",
        ],
    );
    for scenario in Scenario::ALL {
        let pg_runs = report.runs_of(scenario, "rognito-pg");
        let Some(pg) = median_run(&pg_runs) else {
            continue;
        };
        let sqlite_runs = report.runs_of(scenario, "rognito");
        let pg_rps = report.median_rps(scenario, "rognito-pg");
        let sqlite_rps = report.median_rps(scenario, "rognito");
        let ratio = ratio(pg_rps, sqlite_rps);
        let goal = engine_goal(scenario).map_or("-".into(), |g| {
            format!("≥ {g}x {}", verdict(ratio, g, true, smoke))
                .trim_end()
                .to_owned()
        });
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.0} | {} | {goal} | {} | {} | {}/{}/{} | {} |",
            scenario.name(),
            pg.connections,
            sqlite_rps.map_or("-".into(), |r| format!("{r:.0}")),
            pg_rps.unwrap_or(0.0),
            times(ratio),
            p50_p99(median_run(&sqlite_runs)),
            p50_p99(Some(pg)),
            cpu(pg.server_cpu),
            cpu(pg.client_cpu),
            cpu(pg.postgres_cpu),
            pg_runs.iter().map(|r| r.errors).sum::<u64>(),
        );
    }

    let pgbench = median(report.limits.pgbench_tps.clone());
    if let Some(tps) = pgbench {
        let create_runs = report.runs_of(Scenario::Create, "rognito-pg");
        let create = report.median_rps(Scenario::Create, "rognito-pg");
        let ratio = ratio(create, Some(tps));
        let _ = writeln!(
            out,
            "\nDurable Create against PostgreSQL's own one-row-per-transaction rate, same cluster:"
        );
        let _ = writeln!(
            out,
            "- pgbench -n -c 64 -j 2, one INSERT per transaction: {tps:.0} tx/s (median of {} runs, one per round)",
            report.limits.pgbench_tps.len()
        );
        if let (Some(c), Some(run)) = (create, median_run(&create_runs)) {
            let _ = writeln!(
                out,
                "- CreateResourceServer on the PostgreSQL-backed node, {} connections: {c:.0} req/s",
                run.connections
            );
        }
        let _ = writeln!(
            out,
            "- Create / pgbench: {} (goal ≥ 0.8x) {}",
            times(ratio),
            verdict(ratio, 0.8, true, smoke)
        );
    }

    let two_node: Vec<Scenario> = Scenario::ALL
        .into_iter()
        .filter(|&s| !report.runs_of(s, "rognito-pg-2node").is_empty())
        .collect();
    if !two_node.is_empty() {
        let _ = writeln!(
            out,
            "\nTwo PostgreSQL-backed nodes on one database (same master key; the connections split half to each) against one node:"
        );
        table_head(
            &mut out,
            &[
                "scenario",
                "conns (total)",
                "1 node req/s",
                "2 nodes req/s",
                "2/1",
                "1 node p50/p99 ms",
                "2 nodes p50/p99 ms",
                "CPU node A / node B / client / postgres",
                "errors",
            ],
        );
        for scenario in two_node {
            let runs = report.runs_of(scenario, "rognito-pg-2node");
            let Some(run) = median_run(&runs) else {
                continue;
            };
            let one = report.median_rps(scenario, "rognito-pg");
            let two = report.median_rps(scenario, "rognito-pg-2node");
            let _ = writeln!(
                out,
                "| {} | {} | {} | {:.0} | {} | {} | {} | {}/{}/{}/{} | {} |",
                scenario.name(),
                run.connections,
                one.map_or("-".into(), |r| format!("{r:.0}")),
                two.unwrap_or(0.0),
                times(ratio(two, one)),
                p50_p99(median_run(&report.runs_of(scenario, "rognito-pg"))),
                p50_p99(Some(run)),
                cpu(run.node_cpu.first().copied().flatten()),
                cpu(run.node_cpu.get(1).copied().flatten()),
                cpu(run.client_cpu),
                cpu(run.postgres_cpu),
                runs.iter().map(|r| r.errors).sum::<u64>(),
            );
        }
    }
    out
}

/// Propagation delays between two nodes, and the idle tail's CPU.
pub fn render_nodes(
    propagation: &[(&str, Propagation)],
    idle: &[(&str, Option<f64>)],
    idle_seconds: f64,
    connections: usize,
    smoke: bool,
) -> String {
    let mut out = String::new();
    if !propagation.is_empty() {
        let _ = writeln!(
            out,
            "\nPropagation: UpdateResourceServer on node A, then DescribeResourceServer on node B every 1 ms until it shows the change (from A's 200; at most 2 s per sample):"
        );
        table_head(
            &mut out,
            &[
                "condition",
                "samples",
                "p50 ms",
                "p99 ms",
                "max ms",
                "timed out",
                "write load on A (req/s, errors)",
            ],
        );
        for (condition, p) in propagation {
            let show = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.2}"));
            let load = p.load.as_ref().map_or("none".into(), |l| {
                format!(
                    "CreateResourceServer, {connections} conns: {:.0}, {}",
                    l.rps(),
                    l.errors
                )
            });
            let _ = writeln!(
                out,
                "| {condition} | {} | {} | {} | {} | {} | {load} |",
                p.delays_us.len() + p.timed_out,
                show(p.percentile_ms(0.5)),
                show(p.percentile_ms(0.99)),
                show(p.percentile_ms(1.0)),
                p.timed_out,
            );
        }
    }
    if !idle.is_empty() {
        let _ = writeln!(
            out,
            "\nThe change feed's tail on an idle node (fresh node, nothing sent to it, {idle_seconds:.0} s from /proc/PID/stat):"
        );
        for (engine, percent) in idle {
            let shown = percent.map_or("not measured".into(), |p| format!("{p:.2}% of a core"));
            let goal = if *engine == "PostgreSQL" {
                format!(" (goal < 1%) {}", verdict(*percent, 1.0, false, smoke))
            } else {
                String::new()
            };
            let _ = writeln!(out, "- {engine}-backed node: {shown}{goal}");
        }
    }
    out
}
