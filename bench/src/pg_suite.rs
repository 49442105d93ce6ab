//! `--store postgres`: a PostgreSQL-backed rognito next to the SQLite-backed one, on a fresh
//! database of a throwaway cluster (or of the cluster given), with pgbench's insert rate, the
//! two-node runs, the change feed's propagation delay and its idle cost.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::nodes::{self, Propagation};
use crate::postgres::{self, Cluster};
use crate::processes::{self, ServerProcess};
use crate::scenarios::{Endpoint, Scenario};
use crate::{SuiteArgs, Target, pg_report};

/// The scenarios also run on two nodes of one database.
pub const TWO_NODE: [Scenario; 4] = [
    Scenario::Describe,
    Scenario::List,
    Scenario::Create,
    Scenario::Token,
];

/// Clients of pgbench's insert run, as many as the Create scenario's connections by default.
const PGBENCH_CLIENTS: usize = 64;

pub struct PgSuite {
    /// The benchmark's database, which every PostgreSQL-backed node of the run shares.
    url: String,
    /// Node A: seeded, measured in every round.
    pub node: Target,
    /// Node A's RSS right after start-up, on the empty database.
    pub idle_rss_kb: Option<u64>,
    /// Where the nodes' data dirs (key file, audit log) go.
    dir: PathBuf,
    bin: PathBuf,
    store_connections: Option<usize>,
    /// pgbench's database and script.
    pgbench: Option<(String, PathBuf)>,
    /// Last, so that it is dropped (stopped) after the nodes.
    pub cluster: Cluster,
}

impl PgSuite {
    /// Starts (or connects to) the cluster, makes the run's databases, starts node A and seeds
    /// it as the SQLite-backed node is seeded.
    pub async fn start(args: &SuiteArgs, work_dir: &Path) -> anyhow::Result<Self> {
        let dir = work_dir.join("postgres");
        std::fs::create_dir_all(&dir)?;
        let mut cluster = if args.store == "postgres" {
            eprintln!("starting a throwaway PostgreSQL cluster ...");
            Cluster::start(&args.postgres_script, &dir.join("cluster"))?
        } else {
            Cluster::given(&args.store)
        };
        let url = cluster.fresh_database("rognito_bench")?;
        let pgbench = if args.pg_part("pgbench") {
            let url = cluster.fresh_database("rognito_pgbench")?;
            let script = postgres::pgbench_setup(&url, &dir)?;
            Some((url, script))
        } else {
            None
        };
        let process = start_pg_node(
            &args.rognito_bin,
            &url,
            &dir.join("node-a"),
            None,
            args.store_connections,
        )?;
        let idle_rss_kb = process.rss_kb();
        let postgres_pid = cluster.postmaster_pid();
        let node =
            Target::seeded("rognito-pg", process, args.seed_parts(true), postgres_pid).await?;
        Ok(PgSuite {
            cluster,
            url,
            node,
            idle_rss_kb,
            dir,
            bin: args.rognito_bin.clone(),
            store_connections: args.store_connections,
            pgbench,
        })
    }

    /// A PostgreSQL-backed node on the run's database, with its own data dir under `name` and
    /// node A's master key.
    pub fn start_node(&self, name: &str) -> anyhow::Result<ServerProcess> {
        start_pg_node(
            &self.bin,
            &self.url,
            &self.dir.join(format!("node-{name}")),
            Some(self.dir.join("node-a/master.key")),
            self.store_connections,
        )
    }

    /// One pgbench run of the round: rows per second.
    pub fn pgbench(&self, duration: f64) -> anyhow::Result<Option<f64>> {
        let Some((url, script)) = &self.pgbench else {
            return Ok(None);
        };
        let tps = postgres::pgbench_inserts(url, script, PGBENCH_CLIENTS, duration.ceil() as u64)?;
        println!(
            "{}",
            serde_json::json!({"scenario": "pgbench-insert", "target": "postgres", "clients": PGBENCH_CLIENTS, "tps": (tps * 10.0).round() / 10.0})
        );
        Ok(Some(tps))
    }

    /// Propagation between two nodes (idle, then under a write load on A) and the idle tail's
    /// CPU; prints their tables.
    pub async fn multi_node_parts(&mut self, args: &SuiteArgs) -> anyhow::Result<()> {
        let mut propagation: Vec<(&str, Propagation)> = Vec::new();
        if args.pg_part("propagation") {
            let b = self.start_node("b")?;
            let b_endpoint = Endpoint {
                name: "rognito-pg-b",
                addr: b.addr,
            };
            let a = &self.node;
            eprintln!(
                "propagation: {} samples idle, then under a create load ...",
                args.propagation_samples
            );
            let idle = nodes::propagation(
                &a.endpoint,
                &b_endpoint,
                &a.seed,
                args.propagation_samples,
                None,
                "idle",
            )
            .await?;
            propagation.push(("idle", idle));
            let loaded = nodes::propagation(
                &a.endpoint,
                &b_endpoint,
                &a.seed,
                args.propagation_samples,
                Some((args.connections, a.process.child.id())),
                "load",
            )
            .await?;
            propagation.push(("under a create load on node A", loaded));
        }
        let mut idle = Vec::new();
        if args.pg_part("idle-tail") {
            eprintln!(
                "idle tail: watching fresh nodes for {} s ...",
                args.idle_seconds
            );
            let pg_node = self.start_node("idle")?;
            let sqlite_node = processes::start_rognito(
                &args.rognito_bin,
                &self.dir.join("idle-sqlite"),
                &["--durability", &args.durability],
            )?;
            // Past start-up's own work.
            tokio::time::sleep(Duration::from_secs(1)).await;
            let cpu = nodes::idle_cpu(
                &[pg_node.child.id(), sqlite_node.child.id()],
                Duration::from_secs_f64(args.idle_seconds),
            )
            .await;
            idle.push(("PostgreSQL", cpu.first().copied().flatten()));
            idle.push(("SQLite", cpu.get(1).copied().flatten()));
        }
        print!(
            "{}",
            pg_report::render_nodes(
                &propagation,
                &idle,
                args.idle_seconds,
                args.connections,
                args.smoke
            )
        );
        Ok(())
    }
}

/// `rognito serve --store URL` with the benchmark's quota; `key` is another node's master key
/// file (nodes of one database share the key).
pub fn start_pg_node(
    bin: &Path,
    url: &str,
    data_dir: &Path,
    key: Option<PathBuf>,
    store_connections: Option<usize>,
) -> anyhow::Result<ServerProcess> {
    let mut extra: Vec<String> = vec![
        "--store".into(),
        url.into(),
        "--max-resource-servers-per-user-pool".into(),
        "1000000".into(),
    ];
    if let Some(key) = key {
        extra.push("--master-key-file".into());
        extra.push(key.display().to_string());
    }
    if let Some(n) = store_connections {
        extra.push("--store-connections".into());
        extra.push(n.to_string());
    }
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    processes::start_rognito(bin, data_dir, &extra)
}
