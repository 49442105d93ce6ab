//! Results: one JSON line per run, and the side-by-side table with medians, ratios and the
//! issue's targets judged against limits measured in the same run.

use std::fmt::Write as _;
use std::time::Duration;

use serde_json::json;

use crate::baselines::UserCosts;
use crate::load::LoadResult;
use crate::scenarios::Scenario;

#[derive(Debug, Clone)]
pub struct RunRecord {
    pub scenario: Scenario,
    pub target: String,
    pub round: usize,
    pub connections: usize,
    pub duration_s: f64,
    pub requests: u64,
    pub errors: u64,
    pub rps: f64,
    pub p50_us: u64,
    pub p90_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
    pub server_cpu: Option<f64>,
    pub client_cpu: Option<f64>,
    /// Each server's cores when the load went to several nodes.
    pub node_cpu: Vec<Option<f64>>,
    /// The PostgreSQL cluster's cores, when the server used one.
    pub postgres_cpu: Option<f64>,
}

impl RunRecord {
    pub fn new(
        scenario: Scenario,
        target: &str,
        round: usize,
        connections: usize,
        duration_s: f64,
        result: &LoadResult,
    ) -> Self {
        RunRecord {
            scenario,
            target: target.to_owned(),
            round,
            connections,
            duration_s,
            requests: result.requests,
            errors: result.errors,
            rps: result.rps(),
            p50_us: result.percentile_us(0.50),
            p90_us: result.percentile_us(0.90),
            p99_us: result.percentile_us(0.99),
            max_us: result.histogram.max(),
            server_cpu: result.server_cpu,
            client_cpu: result.client_cpu,
            node_cpu: if result.node_cpu.len() > 1 {
                result.node_cpu.clone()
            } else {
                Vec::new()
            },
            postgres_cpu: result.postgres_cpu,
        }
    }

    pub fn json(&self) -> String {
        let round2 = |c: Option<f64>| c.map(|c| (c * 100.0).round() / 100.0);
        let mut line = json!({
            "scenario": self.scenario.key(),
            "target": self.target,
            "round": self.round,
            "connections": self.connections,
            "duration_s": self.duration_s,
            "requests": self.requests,
            "errors": self.errors,
            "rps": (self.rps * 10.0).round() / 10.0,
            "p50_us": self.p50_us,
            "p90_us": self.p90_us,
            "p99_us": self.p99_us,
            "max_us": self.max_us,
            "server_cpu_cores": round2(self.server_cpu),
            "client_cpu_cores": round2(self.client_cpu),
        });
        if !self.node_cpu.is_empty() {
            line["node_cpu_cores"] = self.node_cpu.iter().map(|&c| round2(c)).collect();
        }
        if self.postgres_cpu.is_some() {
            line["postgres_cpu_cores"] = round2(self.postgres_cpu).into();
        }
        line.to_string()
    }
}

pub struct Limits {
    /// argon2id, SRP and modexp costs, when a user scenario runs.
    pub user_costs: Option<UserCosts>,
    /// The cores of this machine (the server and the load generator share them).
    pub cores: usize,
    pub openssl_rsa2048_signs: Option<f64>,
    pub aws_lc_rsa2048_signs: Option<f64>,
    pub sqlite_tx_per_s: Option<f64>,
    pub startup: Duration,
    pub idle_rss_kb: Option<u64>,
    pub busy_rss_kb: Option<u64>,
    /// Bytes of rognito's data dir after the run.
    pub data_dir_bytes: Option<u64>,
    /// (rate, p99 µs) of DescribeResourceServer paced at half its peak.
    pub half_peak_describe: Option<(f64, u64)>,
    /// pgbench's one-row-insert rate at 64 clients, one per round (with `--store postgres`).
    pub pgbench_tps: Vec<f64>,
}

/// The user scenarios' limits (operations per second), see [`Report::user_limits`].
pub struct UserLimits {
    /// CPU seconds of one RSA-2048 signature (openssl speed).
    pub rsa_sign_s: f64,
    pub password: f64,
    pub srp: f64,
    pub srp_with_client: f64,
    pub create_user: f64,
    pub refresh: f64,
}

pub struct Report {
    runs: Vec<RunRecord>,
    pub limits: Limits,
}

pub fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(|a, b| a.total_cmp(b));
    Some(values[values.len() / 2])
}

/// The run whose req/s is the median, so a row's numbers come from one real run.
pub fn median_run<'a>(runs: &[&'a RunRecord]) -> Option<&'a RunRecord> {
    let mut sorted = runs.to_vec();
    sorted.sort_by(|a, b| a.rps.total_cmp(&b.rps));
    sorted.get(sorted.len() / 2).copied()
}

/// "1.62/0.31": cores used by the server and by the load generator in the measured window.
pub fn cores(server: Option<f64>, client: Option<f64>) -> String {
    let show = |c: Option<f64>| c.map_or("-".to_owned(), |c| format!("{c:.2}"));
    format!("{}/{}", show(server), show(client))
}

/// A Markdown table's header row and separator.
pub fn table_head(out: &mut String, columns: &[&str]) {
    let _ = writeln!(out, "| {} |", columns.join(" | "));
    let _ = writeln!(out, "|{}", "---|".repeat(columns.len()));
}

pub fn ms(us: u64) -> String {
    format!("{:.2}", us as f64 / 1000.0)
}

impl Report {
    pub fn new(limits: Limits) -> Self {
        Report {
            runs: Vec::new(),
            limits,
        }
    }

    pub fn add(&mut self, run: RunRecord) {
        self.runs.push(run);
    }

    pub fn runs_of(&self, scenario: Scenario, target: &str) -> Vec<&RunRecord> {
        self.runs
            .iter()
            .filter(|r| r.scenario == scenario && r.target == target)
            .collect()
    }

    pub fn median_rps(&self, scenario: Scenario, target: &str) -> Option<f64> {
        median(
            self.runs_of(scenario, target)
                .iter()
                .map(|r| r.rps)
                .collect(),
        )
    }

    /// Operations per second the measured costs allow on this machine's cores, with nothing
    /// else counted (HTTP, JSON, the store, the load generator but where said).
    pub fn user_limits(&self) -> Option<UserLimits> {
        let c = self.limits.user_costs?;
        // openssl speed -multi 2: signatures per second on two cores.
        let rsa_sign_s = 2.0 / self.limits.openssl_rsa2048_signs?;
        let cores = self.limits.cores as f64;
        let per = |seconds: f64| cores / seconds;
        Some(UserLimits {
            rsa_sign_s,
            password: per(c.argon2_verify.as_secs_f64() + 2.0 * rsa_sign_s),
            srp: per(c.srp_server.as_secs_f64() + 2.0 * rsa_sign_s),
            srp_with_client: per(c.srp_server.as_secs_f64()
                + c.srp_client.as_secs_f64()
                + 2.0 * rsa_sign_s),
            create_user: per(c.argon2_hash.as_secs_f64() + c.modexp.as_secs_f64()),
            refresh: per(2.0 * rsa_sign_s),
        })
    }

    pub fn render(&self, smoke: bool) -> String {
        let mut out = String::new();
        out.push('\n');
        table_head(
            &mut out,
            &[
                "scenario",
                "conns",
                "rognito req/s",
                "p50 ms",
                "p90 ms",
                "p99 ms",
                "max ms",
                "errors",
                "CPU server/client",
                "moto req/s",
                "moto p99 ms",
                "moto errors",
                "rognito/moto",
            ],
        );
        for scenario in Scenario::ALL {
            let ours = self.runs_of(scenario, "rognito");
            let Some(row) = median_run(&ours) else {
                continue;
            };
            let rps = self.median_rps(scenario, "rognito").unwrap_or(0.0);
            let errors: u64 = ours.iter().map(|r| r.errors).sum();
            let theirs = self.runs_of(scenario, "moto");
            let (moto_rps, moto_p99, moto_errors, ratio) = match median_run(&theirs) {
                Some(m) => {
                    let mrps = self.median_rps(scenario, "moto").unwrap_or(0.0);
                    (
                        format!("{mrps:.0}"),
                        ms(m.p99_us),
                        theirs.iter().map(|r| r.errors).sum::<u64>().to_string(),
                        if mrps > 0.0 {
                            format!("{:.1}x", rps / mrps)
                        } else {
                            "-".into()
                        },
                    )
                }
                None => ("n/a".into(), "-".into(), "-".into(), "-".into()),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {rps:.0} | {} | {} | {} | {} | {errors} | {} | {moto_rps} | {moto_p99} | {moto_errors} | {ratio} |",
                scenario.name(),
                row.connections,
                ms(row.p50_us),
                ms(row.p90_us),
                ms(row.p99_us),
                ms(row.max_us),
                cores(row.server_cpu, row.client_cpu),
            );
        }
        let _ = writeln!(out, "\nLimits measured in this run:");
        let floor = self.median_rps(Scenario::Floor, "rognito");
        if let Some(f) = floor {
            let _ = writeln!(out, "- HTTP floor (GET /health): {f:.0} req/s");
        }
        if let Some(o) = self.limits.openssl_rsa2048_signs {
            let _ = writeln!(out, "- openssl speed -multi 2 rsa2048: {o:.0} signs/s");
        }
        if let Some(a) = self.limits.aws_lc_rsa2048_signs {
            let _ = writeln!(
                out,
                "- aws-lc-rs RSA-2048 on two threads (rognito's signer): {a:.0} signs/s"
            );
        }
        if let Some(s) = self.limits.sqlite_tx_per_s {
            let _ = writeln!(
                out,
                "- SQLite WAL+FULL, one row per transaction: {s:.0} tx/s"
            );
        }
        let user_limits = self.user_limits();
        if let (Some(c), Some(l)) = (&self.limits.user_costs, &user_limits) {
            let ms = |d: Duration| d.as_secs_f64() * 1000.0;
            let _ = writeln!(
                out,
                "- argon2id, the server's parameters (m=19456 KiB, t=2, p=1), median of {} on one thread: hash {:.1} ms, verify {:.1} ms",
                c.samples,
                ms(c.argon2_hash),
                ms(c.argon2_verify)
            );
            let _ = writeln!(
                out,
                "- one 3072-bit modexp, 256-bit exponent (srp::make_verifier): {:.2} ms; SRP per sign-in, server (4 such modexps): {:.2} ms; client (3 with 1024-bit exponents, 1 with 256): {:.2} ms",
                ms(c.modexp),
                ms(c.srp_server),
                ms(c.srp_client)
            );
            let _ = writeln!(
                out,
                "- RSA-2048 signature (from openssl speed, per core): {:.3} ms",
                l.rsa_sign_s * 1000.0
            );
            let _ = writeln!(
                out,
                "- user limits on {} cores: password sign-in {:.0}/s = cores / (argon2 verify + 2 RSA); SRP sign-in {:.0}/s = cores / (server SRP + 2 RSA), {:.0}/s with the client's SRP too; AdminCreateUser {:.0}/s = cores / (argon2 hash + modexp); refresh {:.0}/s = cores / 2 RSA",
                self.limits.cores, l.password, l.srp, l.srp_with_client, l.create_user, l.refresh
            );
        }
        let _ = writeln!(
            out,
            "- rognito start to first 200 (empty data dir): {:.1} ms",
            self.limits.startup.as_secs_f64() * 1000.0
        );
        if let Some(rss) = self.limits.idle_rss_kb {
            let _ = writeln!(out, "- rognito idle RSS: {:.1} MB", rss as f64 / 1024.0);
        }
        if let Some(rss) = self.limits.busy_rss_kb {
            let _ = writeln!(
                out,
                "- rognito RSS after the load: {:.1} MB",
                rss as f64 / 1024.0
            );
        }
        if let Some(bytes) = self.limits.data_dir_bytes {
            let _ = writeln!(
                out,
                "- rognito data dir after the run: {:.1} MB",
                bytes as f64 / 1_048_576.0
            );
        }

        let _ = writeln!(
            out,
            "\nTargets{}:",
            if smoke {
                " (smoke run: not judged)"
            } else {
                ""
            }
        );
        let mut target = |name: &str, value: Option<f64>, goal: f64, unit: &str, higher: bool| {
            let verdict = match value {
                None => "not measured".to_owned(),
                Some(v) => {
                    let met = if higher { v >= goal } else { v < goal };
                    let mark = if smoke {
                        ""
                    } else if met {
                        " — met"
                    } else {
                        " — NOT met"
                    };
                    format!(
                        "{v:.2}{unit} (goal {}{goal}{unit}){mark}",
                        if higher { "≥ " } else { "< " }
                    )
                }
            };
            let _ = writeln!(out, "- {name}: {verdict}");
        };
        let describe = self.median_rps(Scenario::Describe, "rognito");
        let list = self.median_rps(Scenario::List, "rognito");
        let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) if b > 0.0 => Some(a / b),
            _ => None,
        };
        target(
            "Describe / HTTP floor",
            ratio(describe, floor),
            0.5,
            "x",
            true,
        );
        target("List / HTTP floor", ratio(list, floor), 0.5, "x", true);
        target(
            "Describe vs fakecloud's published 44,000 req/s",
            ratio(describe, Some(44_000.0)),
            1.2,
            "x",
            true,
        );
        let create = self.median_rps(Scenario::Create, "rognito");
        target(
            "Create / moto create",
            ratio(create, self.median_rps(Scenario::Create, "moto")),
            25.0,
            "x",
            true,
        );
        target(
            "Create / SQLite one-row-per-tx",
            ratio(create, self.limits.sqlite_tx_per_s),
            2.0,
            "x",
            true,
        );
        target(
            "Token endpoint / openssl RSA-2048 signs",
            ratio(
                self.median_rps(Scenario::Token, "rognito"),
                self.limits.openssl_rsa2048_signs,
            ),
            0.9,
            "x",
            true,
        );
        target(
            "Token endpoint / aws-lc-rs RSA-2048 signs (library limit, informational)",
            ratio(
                self.median_rps(Scenario::Token, "rognito"),
                self.limits.aws_lc_rsa2048_signs,
            ),
            0.9,
            "x",
            true,
        );
        if let Some(l) = &user_limits {
            let of = |scenario| self.median_rps(scenario, "rognito");
            target(
                "Password sign-in / cores ÷ (argon2 verify + 2 RSA)",
                ratio(of(Scenario::SignInPassword), Some(l.password)),
                0.8,
                "x",
                true,
            );
            target(
                "SRP sign-in / cores ÷ (server SRP + 2 RSA)",
                ratio(of(Scenario::SignInSrp), Some(l.srp)),
                0.8,
                "x",
                true,
            );
            target(
                "SRP sign-in / cores ÷ (server SRP + client SRP + 2 RSA) (the client shares the cores)",
                ratio(of(Scenario::SignInSrp), Some(l.srp_with_client)),
                0.8,
                "x",
                true,
            );
            target(
                "AdminCreateUser / cores ÷ (argon2 hash + modexp) (informational)",
                ratio(of(Scenario::CreateUser), Some(l.create_user)),
                0.8,
                "x",
                true,
            );
            target(
                "Refresh / cores ÷ 2 RSA (informational)",
                ratio(of(Scenario::Refresh), Some(l.refresh)),
                0.8,
                "x",
                true,
            );
        }
        target(
            "Describe p99 at half of peak",
            self.limits
                .half_peak_describe
                .map(|(_, p99)| p99 as f64 / 1000.0),
            2.0,
            " ms",
            false,
        );
        target(
            "Start to first 200, empty data dir",
            Some(self.limits.startup.as_secs_f64() * 1000.0),
            50.0,
            " ms",
            false,
        );
        target(
            "Idle RSS",
            self.limits.idle_rss_kb.map(|kb| kb as f64 / 1024.0),
            20.0,
            " MB",
            false,
        );
        out
    }
}
