//! One configuration for every command. [`Config`] has a section per concern (`server`, `store`,
//! `quotas`, `rate_limits`, `tls`, `audit`) and declares every default, in its sections' `Default`
//! impls. Each setting comes from, in order of precedence: a command-line flag, its `ROGNITO_*`
//! environment variable, the TOML file named by `--config`, the default. Flags and variables
//! are mapped onto the sections by one table ([`flags`]).
//!
//! A bad value is reported under the name the user wrote it with (`--region`, `ROGNITO_REGION`
//! or `` `server.region` in rognito.toml ``), so the message says where to fix it.

mod file;
pub mod flags;
mod server;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::ValueEnum;
use ipnet::IpNet;
use rognito_ops::Quotas;
use rognito_store::{Durability, PostgresOptions, PostgresUrl, StoreConfig};
use serde::Deserialize;

pub use flags::{AccountFlags, ConfigArg, ServeArgs, ServerFlags, SourceOf, StoreFlags};
pub use server::ServerConfig;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DurabilityArg {
    /// fsync before acknowledging a write: survives power loss (default).
    Fsync,
    /// written to the OS before acknowledging: survives a crash of rognito, not of the machine.
    Os,
    /// nothing on disk: for throwaway runs; everything is gone when rognito stops.
    Memory,
}

impl From<DurabilityArg> for Durability {
    fn from(d: DurabilityArg) -> Self {
        match d {
            DurabilityArg::Fsync => Durability::Fsync,
            DurabilityArg::Os => Durability::Os,
            DurabilityArg::Memory => Durability::Memory,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthArg {
    /// Verify every request's SigV4 signature against the stored access keys (default).
    Sigv4,
    /// Accept any well-formed, fresh signature as the default account: throwaway local use only,
    /// refused unless listening on loopback.
    Dev,
}

/// What happens while the audit log cannot be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuditFailureArg {
    /// Keep serving; failed lines are retried, counted and logged (default).
    Open,
    /// Refuse to issue tokens or accept writes until a line can be written again.
    Closed,
}

/// The cost of users' argon2id password hashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PasswordHashingArg {
    /// OWASP's floor for argon2id: 19 MiB, 2 passes (default).
    Owasp,
    /// 64 KiB, 1 pass: for throwaway servers whose users are test fixtures.
    Fast,
}

impl From<PasswordHashingArg> for rognito_ops::PasswordHashing {
    fn from(arg: PasswordHashingArg) -> Self {
        match arg {
            PasswordHashingArg::Owasp => rognito_ops::PasswordHashing::Owasp,
            PasswordHashingArg::Fast => rognito_ops::PasswordHashing::Fast,
        }
    }
}

/// Whether request rates are limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RateLimitMode {
    /// No limits.
    Off,
    /// AWS's default rate per API category and account, and 5 RPS per resource operation and pool.
    Aws,
}

/// Everything rognito is configured with: the TOML file's shape (one table per section; unknown
/// keys are refused so typos do not go unnoticed) with the flags and variables laid over it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// `[server]`: how the API is served, and the AWS region and account it presents.
    pub server: ServerSection,
    /// `[store]`: where the data is kept.
    pub store: StoreSection,
    /// `[quotas]`: Cognito's per-account and per-pool quotas.
    pub quotas: QuotasSection,
    /// `[rate_limits]`: request-rate limits.
    pub rate_limits: RateLimitsSection,
    /// `[tls]`: HTTPS.
    pub tls: TlsSection,
    /// `[audit]`: the audit log.
    pub audit: AuditSection,
    /// Where each value that is not a default came from.
    #[serde(skip)]
    origins: Origins,
}

/// `[server]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSection {
    /// `HOST:PORT` (a host name or an IP address), `:PORT` or `PORT` (on 127.0.0.1); in the file
    /// also a bare number (`listen = 9300`).
    #[serde(deserialize_with = "file::listen")]
    pub listen: String,
    /// Base URL of the endpoints the server advertises; None: `http(s)://<bound address>`.
    pub public_url: Option<String>,
    /// Tokens' `iss` is `<issuer base>/<pool id>`; None: the public URL.
    pub issuer_base: Option<String>,
    /// Seconds a request may take, body included, before 408.
    pub request_timeout: u64,
    /// Seconds to receive a request's headers, and to keep an idle connection.
    pub idle_timeout: u64,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Open connections at most.
    pub max_connections: usize,
    /// Proxies (IP addresses or CIDR ranges) whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<String>,
    /// The AWS region rognito presents itself as (pool ids, ARNs, issuers). Here rather than in
    /// a section of its own: with the account it is what this server claims to be, and the admin
    /// commands act as that server.
    pub region: String,
    /// The 12-digit account that owns the pools (and the CLI's identities).
    pub account_id: String,
    /// How requests are authenticated.
    pub auth: AuthArg,
    /// The root identity's access key id (with `secret_access_key`); None: generated once.
    pub access_key_id: Option<String>,
    /// The root identity's secret access key (environment or file only, never a flag).
    pub secret_access_key: Option<secrecy::SecretString>,
    /// The cost of users' password hashes.
    pub password_hashing: PasswordHashingArg,
}

impl Default for ServerSection {
    fn default() -> Self {
        ServerSection {
            listen: "127.0.0.1:9229".into(),
            public_url: None,
            issuer_base: None,
            request_timeout: 30,
            idle_timeout: 60,
            max_body_bytes: 1 << 20,
            // The open-file limit less what the store and the audit log keep.
            max_connections: crate::listener::default_max_connections(),
            trusted_proxies: Vec::new(),
            region: "us-east-1".into(),
            account_id: "000000000000".into(),
            auth: AuthArg::Sigv4,
            access_key_id: None,
            secret_access_key: None,
            password_hashing: PasswordHashingArg::Owasp,
        }
    }
}

/// `[store]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreSection {
    /// A PostgreSQL URL; None: the embedded SQLite database in `data_dir`.
    pub url: Option<String>,
    /// PostgreSQL: connections each node keeps open at most.
    pub connections: usize,
    /// PostgreSQL: milliseconds between reads of the change feed without a notification.
    pub feed_poll_ms: u64,
    /// Directory for the database (created by the server if missing).
    pub data_dir: PathBuf,
    /// What an acknowledged write survives.
    pub durability: DurabilityArg,
    /// The 32-byte master key's file; None: `<data_dir>/master.key`. `ROGNITO_MASTER_KEY`
    /// (base64) takes precedence over any file.
    pub master_key_file: Option<PathBuf>,
}

impl Default for StoreSection {
    fn default() -> Self {
        StoreSection {
            url: None,
            connections: 16,
            feed_poll_ms: u64::try_from(rognito_store::DEFAULT_POLL_INTERVAL.as_millis())
                .unwrap_or(1000),
            data_dir: PathBuf::from("rognito-data"),
            durability: DurabilityArg::Fsync,
            master_key_file: None,
        }
    }
}

/// The store as every command opens it: `[store]` with its derived defaults filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreSettings {
    /// The database's directory.
    pub data_dir: PathBuf,
    /// What an acknowledged write survives.
    pub durability: Durability,
    /// The master key's file (`<data_dir>/master.key` unless configured).
    pub master_key_file: PathBuf,
    /// The PostgreSQL database, when the records are kept there rather than in `data_dir`.
    pub postgres: Option<PostgresOptions>,
}

impl StoreSettings {
    /// The engine to open, the one way every command opens the store.
    pub fn engine(&self) -> StoreConfig {
        match &self.postgres {
            Some(options) => StoreConfig::Postgres(options.clone()),
            None => StoreConfig::Sqlite {
                data_dir: self.data_dir.clone(),
                durability: self.durability,
            },
        }
    }

    /// Where the records are, for messages: the database's URL (without its password) or
    /// the data dir.
    pub fn location(&self) -> String {
        match &self.postgres {
            Some(options) => format!("the database {}", options.url),
            None => format!("the database in data dir {}", self.data_dir.display()),
        }
    }
}

/// `[quotas]`: each at least 1.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QuotasSection {
    pub user_pools_per_account: u64,
    pub resource_servers_per_user_pool: u64,
    pub scopes_per_resource_server: u64,
    pub clients_per_user_pool: u64,
    pub groups_per_user_pool: u64,
}

impl Default for QuotasSection {
    /// Cognito's (as `rognito_ops` declares them).
    fn default() -> Self {
        let quotas = Quotas::default();
        QuotasSection {
            user_pools_per_account: quotas.user_pools_per_account,
            resource_servers_per_user_pool: quotas.resource_servers_per_user_pool,
            scopes_per_resource_server: quotas.scopes_per_resource_server,
            clients_per_user_pool: quotas.clients_per_user_pool,
            groups_per_user_pool: quotas.groups_per_user_pool,
        }
    }
}

impl From<&QuotasSection> for Quotas {
    fn from(q: &QuotasSection) -> Self {
        Quotas {
            user_pools_per_account: q.user_pools_per_account,
            resource_servers_per_user_pool: q.resource_servers_per_user_pool,
            scopes_per_resource_server: q.scopes_per_resource_server,
            clients_per_user_pool: q.clients_per_user_pool,
            groups_per_user_pool: q.groups_per_user_pool,
        }
    }
}

/// `[rate_limits]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitsSection {
    /// `off` or `aws`; None (the default): off, unless a category's rate is set.
    pub mode: Option<RateLimitMode>,
    /// Requests per second by API category (`[rate_limits.categories]`), where they differ
    /// from AWS's.
    pub categories: BTreeMap<String, u32>,
}

/// `[tls]`: both or neither.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TlsSection {
    /// PEM certificate chain: serve HTTPS.
    pub cert: Option<PathBuf>,
    /// PEM private key of the certificate.
    pub key: Option<PathBuf>,
}

/// `[audit]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuditSection {
    /// A file path, `-` for stdout, or `off`; None: `<data_dir>/audit.log` (off with memory
    /// durability).
    pub log: Option<String>,
    /// What happens while the audit log cannot be written.
    pub failure: AuditFailureArg,
}

impl Default for AuditSection {
    fn default() -> Self {
        AuditSection {
            log: None,
            failure: AuditFailureArg::Open,
        }
    }
}

/// Where a setting's value came from, named the way the user wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// `--flag`.
    Flag(&'static str),
    /// `ROGNITO_VARIABLE`.
    Env(&'static str),
    /// `section.key` in the file at the path.
    File(String, PathBuf),
    Default,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Flag(flag) => write!(f, "--{flag}"),
            Origin::Env(var) => f.write_str(var),
            Origin::File(key, path) => write!(f, "`{key}` in {}", path.display()),
            Origin::Default => f.write_str("the default"),
        }
    }
}

/// The origin of every value given (by `section.key`); the rest are defaults.
#[derive(Debug, Clone, Default)]
struct Origins(BTreeMap<String, Origin>);

impl Config {
    /// Where the value of `key` (`section.key`) came from.
    pub fn origin(&self, key: &str) -> Origin {
        self.origins.0.get(key).cloned().unwrap_or(Origin::Default)
    }

    /// Records that `key` (`section.key`) was set from `origin`, for messages.
    pub(crate) fn given(&mut self, key: &str, origin: Origin) {
        self.origins.0.insert(key.to_owned(), origin);
    }

    /// Refuses values no command could run with, naming each as the user wrote it. Checks
    /// that involve several sections or the network (TLS pairs, `listen`'s host) belong to
    /// [`ServerConfig`], so the admin commands do not depend on them.
    pub fn check(&self) -> anyhow::Result<()> {
        let server = &self.server;
        if !is_region(&server.region) {
            bail!(
                "{} {:?} is not an AWS region name (like us-east-1 or eu-west-2)",
                self.origin("server.region"),
                server.region
            );
        }
        if let Err(e) = rognito_model::AccountId::parse(&server.account_id) {
            bail!("{} {e}", self.origin("server.account_id"));
        }
        for (key, url) in [
            ("server.public_url", &server.public_url),
            ("server.issuer_base", &server.issuer_base),
        ] {
            if let Some(url) = url
                && !(url.starts_with("http://") || url.starts_with("https://"))
            {
                bail!(
                    "{} {url:?} must start with http:// or https://",
                    self.origin(key)
                );
            }
        }
        for (key, seconds) in [
            ("server.request_timeout", server.request_timeout),
            ("server.idle_timeout", server.idle_timeout),
        ] {
            if seconds == 0 {
                bail!("{} must be at least 1 (seconds)", self.origin(key));
            }
        }
        if server.max_body_bytes < 1024 {
            bail!(
                "{} must be at least 1024 (bytes)",
                self.origin("server.max_body_bytes")
            );
        }
        if server.max_connections == 0 {
            bail!(
                "{} must be at least 1",
                self.origin("server.max_connections")
            );
        }
        self.trusted_proxies()?;
        self.postgres()?;
        let q = &self.quotas;
        for (key, quota) in [
            ("quotas.user_pools_per_account", q.user_pools_per_account),
            (
                "quotas.resource_servers_per_user_pool",
                q.resource_servers_per_user_pool,
            ),
            (
                "quotas.scopes_per_resource_server",
                q.scopes_per_resource_server,
            ),
            ("quotas.clients_per_user_pool", q.clients_per_user_pool),
        ] {
            if quota == 0 {
                bail!("{} must be at least 1", self.origin(key));
            }
        }
        rognito_access::RateLimits::new(true, &self.rate_limit_overrides())
            .map_err(|e| anyhow::anyhow!("{}: {e}", self.origin("rate_limits.categories")))?;
        Ok(())
    }

    /// `[store] url` (with its pool and feed settings) when it names PostgreSQL.
    ///
    /// Errors: the URL is not a PostgreSQL URL or cannot be read; `durability` was also given
    /// (it describes the embedded database; PostgreSQL's `synchronous_commit` decides there);
    /// a setting out of range.
    fn postgres(&self) -> anyhow::Result<Option<PostgresOptions>> {
        let store = &self.store;
        let Some(url) = &store.url else {
            return Ok(None);
        };
        let origin = self.origin("store.url");
        let url = PostgresUrl::parse(url).map_err(|e| {
            anyhow::anyhow!(
                "{origin}: {e} (like postgres://rognito@127.0.0.1:5432/rognito; leave it out \
                 for the embedded SQLite database)"
            )
        })?;
        if self.origin("store.durability") != Origin::Default {
            bail!(
                "{} applies to the embedded SQLite database only; with {origin} set, \
                 PostgreSQL's own settings decide what a commit survives (keep \
                 synchronous_commit on)",
                self.origin("store.durability")
            );
        }
        if store.connections < 2 {
            bail!("{} must be at least 2", self.origin("store.connections"));
        }
        if store.feed_poll_ms == 0 {
            bail!(
                "{} must be at least 1 (milliseconds)",
                self.origin("store.feed_poll_ms")
            );
        }
        Ok(Some(PostgresOptions {
            url,
            max_connections: store.connections,
            poll_interval: std::time::Duration::from_millis(store.feed_poll_ms),
        }))
    }

    /// `[server] trusted_proxies`, parsed.
    fn trusted_proxies(&self) -> anyhow::Result<Vec<IpNet>> {
        let origin = self.origin("server.trusted_proxies");
        self.server
            .trusted_proxies
            .iter()
            .map(|p| parse_proxy(p).with_context(|| format!("{origin}")))
            .collect()
    }

    fn rate_limit_overrides(&self) -> Vec<(String, u32)> {
        let rates = &self.rate_limits.categories;
        rates.iter().map(|(c, r)| (c.clone(), *r)).collect()
    }

    /// `[store]` with its derived defaults filled in.
    /// Where audit records go (`-` is stdout): `audit.log`, else `<data_dir>/audit.log`; None
    /// when `off`, or by default with memory durability.
    pub fn audit_log(&self) -> Option<PathBuf> {
        match self.audit.log.as_deref() {
            Some("off") => None,
            Some(path) => Some(PathBuf::from(path)),
            None if self.store.durability == DurabilityArg::Memory => None,
            None => Some(self.store.data_dir.join("audit.log")),
        }
    }

    pub fn store_settings(&self) -> StoreSettings {
        let store = &self.store;
        StoreSettings {
            // Checked by `check`, which every command runs first.
            postgres: self.postgres().ok().flatten(),
            master_key_file: store
                .master_key_file
                .clone()
                .unwrap_or_else(|| store.data_dir.join("master.key")),
            data_dir: store.data_dir.clone(),
            durability: store.durability.into(),
        }
    }
}

/// AWS's region shape: lowercase words and digits joined by dashes, ending in a number.
fn is_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
}

/// `HOST:PORT` (IP address or host name; `[v6]:PORT`), `:PORT` or `PORT`. A bare port listens
/// on 127.0.0.1, like the default: listening on every interface is said explicitly
/// (`0.0.0.0:PORT`), so a shortcut never exposes the server.
pub fn parse_listen(text: &str) -> anyhow::Result<SocketAddr> {
    let text = text.trim();
    let expected = "expected HOST:PORT, :PORT or PORT, like 127.0.0.1:9229, localhost:9229, \
                    [::1]:9229, 0.0.0.0:9229 (every interface) or 9229";
    let port_only = text.strip_prefix(':').unwrap_or(text);
    if !port_only.is_empty() && port_only.bytes().all(|b| b.is_ascii_digit()) {
        let port: u16 = port_only
            .parse()
            .with_context(|| format!("{text:?}: the port must be 0-65535"))?;
        return Ok(SocketAddr::from(([127, 0, 0, 1], port)));
    }
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(addr);
    }
    let Some((host, port)) = text.rsplit_once(':') else {
        bail!("{text:?}: {expected}");
    };
    let port: u16 = port
        .parse()
        .map_err(|_| anyhow::anyhow!("{text:?}: the port must be 0-65535; {expected}"))?;
    if host.is_empty() {
        bail!("{text:?}: {expected}");
    }
    let resolved: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .with_context(|| format!("{text:?}: cannot resolve host {host:?}; {expected}"))?
        .collect();
    // Prefer IPv4 (localhost resolves to both; clients try 127.0.0.1 first).
    resolved
        .iter()
        .find(|a| a.is_ipv4())
        .or_else(|| resolved.first())
        .copied()
        .ok_or_else(|| anyhow::anyhow!("{text:?}: host {host:?} has no address; {expected}"))
}

/// An IP address or a CIDR range.
fn parse_proxy(text: &str) -> anyhow::Result<IpNet> {
    let text = text.trim();
    if let Ok(net) = text.parse::<IpNet>() {
        return Ok(net);
    }
    text.parse::<IpAddr>().map(IpNet::from).map_err(|_| {
        anyhow::anyhow!("{text:?} is not an IP address or CIDR range (like 10.0.0.0/8)")
    })
}
