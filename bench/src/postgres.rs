//! The PostgreSQL side of the benchmark: a throwaway cluster (`scripts/postgres`), or one given
//! by URL, with fresh databases made for the run, and pgbench's one-row-per-transaction insert
//! rate on it (the floor the durable Create is compared with).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

/// A cluster the benchmark uses: started here (and stopped on drop), or given.
pub struct Cluster {
    /// `postgres://user@host:port/database` of the cluster's default database.
    url: String,
    /// The throwaway cluster's directory and the script that stops it; None for a given URL.
    owned: Option<(PathBuf, PathBuf)>,
    /// Databases made for this run on a given cluster, dropped on drop.
    made: Vec<String>,
}

impl Cluster {
    /// Starts a throwaway cluster in `dir` with `script` (`scripts/postgres`).
    pub fn start(script: &Path, dir: &Path) -> anyhow::Result<Self> {
        let output = Command::new(script)
            .arg("start")
            .arg(dir)
            .output()
            .with_context(|| format!("cannot run {}", script.display()))?;
        if !output.status.success() {
            bail!(
                "{} start failed: {}",
                script.display(),
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        let url = String::from_utf8(output.stdout)?.trim().to_owned();
        Ok(Cluster {
            url,
            owned: Some((script.to_owned(), dir.to_owned())),
            made: Vec::new(),
        })
    }

    /// A cluster that is already running (the databases made on it are dropped at the end).
    pub fn given(url: &str) -> Self {
        Cluster {
            url: url.to_owned(),
            owned: None,
            made: Vec::new(),
        }
    }

    /// The URL of `database` on this cluster.
    pub fn url_of(&self, database: &str) -> String {
        with_database(&self.url, database)
    }

    /// Makes an empty database (dropping one of that name first) and returns its URL.
    pub fn fresh_database(&mut self, name: &str) -> anyhow::Result<String> {
        let admin = self.url_of("postgres");
        psql(
            &admin,
            &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        )?;
        psql(&admin, &format!("CREATE DATABASE {name}"))?;
        if self.owned.is_none() {
            self.made.push(name.to_owned());
        }
        Ok(self.url_of(name))
    }

    /// Bytes the database takes on disk.
    pub fn database_size(&self, name: &str) -> Option<u64> {
        let text = psql(
            &self.url_of("postgres"),
            &format!("SELECT pg_database_size('{name}')"),
        )
        .ok()?;
        text.trim().parse().ok()
    }

    /// The postmaster's process id (a throwaway cluster's only; a given one may be elsewhere).
    pub fn postmaster_pid(&self) -> Option<u32> {
        let (_, dir) = self.owned.as_ref()?;
        let text = std::fs::read_to_string(dir.join("data/postmaster.pid")).ok()?;
        text.lines().next()?.trim().parse().ok()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for name in &self.made {
            let _ = psql(
                &self.url_of("postgres"),
                &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            );
        }
        if let Some((script, dir)) = &self.owned {
            let _ = Command::new(script).arg("stop").arg(dir).status();
        }
    }
}

/// `url` with its database replaced (parameters after `?` kept).
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let server = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{server}/{database}?{q}"),
        None => format!("{server}/{database}"),
    }
}

/// Runs one statement with psql and returns its unaligned output.
fn psql(url: &str, sql: &str) -> anyhow::Result<String> {
    let output = Command::new("psql")
        .args([url, "-v", "ON_ERROR_STOP=1", "-qtAc", sql])
        .output()
        .context("cannot run psql (apt-get install postgresql-client)")?;
    if !output.status.success() {
        bail!(
            "psql: {sql}: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Prepares pgbench's table in `url`'s database and writes its one-statement script.
pub fn pgbench_setup(url: &str, dir: &Path) -> anyhow::Result<PathBuf> {
    psql(
        url,
        "CREATE TABLE IF NOT EXISTS t (id bigint PRIMARY KEY, v text NOT NULL)",
    )?;
    let script = dir.join("insert.sql");
    // One row per transaction (pgbench runs each script line as its own statement, in
    // autocommit), a row about the size of a resource server's scopes document.
    std::fs::write(
        &script,
        "\\set id random(1, 9000000000000000000)\n\
         INSERT INTO t (id, v) VALUES (:id, 'a row of about the size of a resource server''s scopes document');\n",
    )?;
    Ok(script)
}

/// `pgbench -n -c CLIENTS -j 2 -T SECONDS -f script`: transactions (rows) per second.
pub fn pgbench_inserts(
    url: &str,
    script: &Path,
    clients: usize,
    seconds: u64,
) -> anyhow::Result<f64> {
    let output = Command::new("pgbench")
        .args(["-n", "-c", &clients.to_string(), "-j", "2", "-T"])
        .arg(seconds.max(1).to_string())
        .arg("-f")
        .arg(script)
        .arg(url)
        .output()
        .context("cannot run pgbench (apt-get install postgresql-contrib)")?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "pgbench failed: {}{}",
            text.trim(),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    // "tps = 6123.456789 (without initial connection time)"
    let line = text
        .lines()
        .find(|l| l.starts_with("tps = "))
        .context("no tps line in pgbench's output")?;
    line.trim_start_matches("tps = ")
        .split_whitespace()
        .next()
        .context("empty tps line")?
        .parse()
        .context("tps is not a number")
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn database_replaced_parameters_kept() {
        assert_eq!(
            with_database("postgres://rognito@127.0.0.1:5432/rognito", "bench"),
            "postgres://rognito@127.0.0.1:5432/bench"
        );
        assert_eq!(
            with_database("postgres://u:p@h/db?sslmode=require", "x"),
            "postgres://u:p@h/x?sslmode=require"
        );
        assert_eq!(with_database("postgres://u@h:1", "x"), "postgres://u@h:1/x");
    }
}
