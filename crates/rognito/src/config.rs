//! Server configuration. Each setting comes from, in order of precedence: a command-line flag, its
//! `ROGNITO_*` environment variable, the TOML file named by `--config`, the built-in default.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use rognito_ops::Quotas;
use rognito_store::Durability;
use serde::Deserialize;

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

/// `rognito serve` flags. Every one is optional here so the config file can fill it in.
#[derive(Debug, Args, Default)]
pub struct ServeArgs {
    /// TOML configuration file (flags and environment variables override it).
    #[arg(long, env = "ROGNITO_CONFIG")]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:9229]; port 0 picks a free port.
    #[arg(long, env = "ROGNITO_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Directory for the database, created if missing [default: ./rognito-data].
    #[arg(long, env = "ROGNITO_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// AWS region rognito presents itself as (pool ids, ARNs) [default: us-east-1].
    #[arg(long, env = "ROGNITO_REGION")]
    pub region: Option<String>,
    /// The 12-digit account that owns the pools [default: 000000000000].
    #[arg(long, env = "ROGNITO_ACCOUNT_ID")]
    pub account_id: Option<String>,
    /// What an acknowledged write survives [default: fsync].
    #[arg(long, env = "ROGNITO_DURABILITY", value_enum)]
    pub durability: Option<DurabilityArg>,
    /// How requests are authenticated [default: sigv4].
    #[arg(long, env = "ROGNITO_AUTH", value_enum)]
    pub auth: Option<AuthArg>,
    /// The root identity's access key id (with ROGNITO_SECRET_ACCESS_KEY); without both, a key
    /// is generated on first start and printed once.
    #[arg(long, env = "ROGNITO_ACCESS_KEY_ID")]
    pub access_key_id: Option<String>,
    /// The root identity's secret access key (environment or config file only, so it does not
    /// show in process listings).
    #[arg(skip)]
    pub secret_access_key: Option<String>,
    /// File holding the 32-byte master key that encrypts client secrets and signing keys at
    /// rest; created (mode 0600) if missing [default: <data-dir>/master.key]. The environment
    /// variable ROGNITO_MASTER_KEY (base64) takes precedence over any file.
    #[arg(long, env = "ROGNITO_MASTER_KEY_FILE")]
    pub master_key_file: Option<PathBuf>,
    /// Base URL this server is reached at, used in the endpoints it advertises (discovery
    /// document) [default: http://<listen address>].
    #[arg(long, env = "ROGNITO_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Tokens carry `iss` = <issuer base>/<pool id> [default: the public URL]. Set
    /// https://cognito-idp.<region>.amazonaws.com to get AWS's exact issuer.
    #[arg(long, env = "ROGNITO_ISSUER_BASE")]
    pub issuer_base: Option<String>,
    /// Request-rate limits: `off` (default) or `aws` (AWS's default rate per API category and
    /// account, and 5 RPS per resource operation and pool).
    #[arg(long, env = "ROGNITO_RATE_LIMITS")]
    pub rate_limits: Option<String>,
    /// A category's rate, e.g. `--rate-limit UserPoolResourceRead=50` (turns limits on); repeat
    /// for several.
    #[arg(long = "rate-limit", value_parser = parse_rate)]
    pub rate_limit: Vec<(String, u32)>,
    /// Audit log: a file path, `-` for stdout, or `off` [default: <data-dir>/audit.log; off with
    /// --durability memory].
    #[arg(long, env = "ROGNITO_AUDIT_LOG")]
    pub audit_log: Option<String>,
    /// PEM certificate chain: serve HTTPS (with --tls-key).
    #[arg(long, env = "ROGNITO_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, env = "ROGNITO_TLS_KEY")]
    pub tls_key: Option<PathBuf>,
    /// Seconds a request may take, body included, before 408 [default: 30].
    #[arg(long, env = "ROGNITO_REQUEST_TIMEOUT")]
    pub request_timeout: Option<u64>,
    /// Seconds to receive a request's headers, and to keep an idle connection [default: 60].
    #[arg(long, env = "ROGNITO_IDLE_TIMEOUT")]
    pub idle_timeout: Option<u64>,
    /// Largest accepted request body in bytes [default: 1048576].
    #[arg(long, env = "ROGNITO_MAX_BODY_BYTES")]
    pub max_body_bytes: Option<usize>,
    /// Quota: user pools per account [default: 1000].
    #[arg(long, env = "ROGNITO_MAX_USER_POOLS_PER_ACCOUNT")]
    pub max_user_pools_per_account: Option<u64>,
    /// Quota: resource servers per user pool [default: 25].
    #[arg(long, env = "ROGNITO_MAX_RESOURCE_SERVERS_PER_USER_POOL")]
    pub max_resource_servers_per_user_pool: Option<u64>,
    /// Quota: scopes per resource server [default: 100].
    #[arg(long, env = "ROGNITO_MAX_SCOPES_PER_RESOURCE_SERVER")]
    pub max_scopes_per_resource_server: Option<u64>,
    /// Quota: app clients per user pool [default: 1000].
    #[arg(long, env = "ROGNITO_MAX_CLIENTS_PER_USER_POOL")]
    pub max_clients_per_user_pool: Option<u64>,
}

/// The configuration file's shape; unknown keys are refused so typos do not go unnoticed.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<SocketAddr>,
    data_dir: Option<PathBuf>,
    region: Option<String>,
    account_id: Option<String>,
    durability: Option<DurabilityArg>,
    auth: Option<AuthArg>,
    access_key_id: Option<String>,
    secret_access_key: Option<String>,
    master_key_file: Option<PathBuf>,
    audit_log: Option<String>,
    rate_limits: Option<String>,
    #[serde(default)]
    rate_limit: std::collections::BTreeMap<String, u32>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    request_timeout: Option<u64>,
    idle_timeout: Option<u64>,
    public_url: Option<String>,
    issuer_base: Option<String>,
    max_body_bytes: Option<usize>,
    #[serde(default)]
    quotas: FileQuotas,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileQuotas {
    user_pools_per_account: Option<u64>,
    resource_servers_per_user_pool: Option<u64>,
    scopes_per_resource_server: Option<u64>,
    clients_per_user_pool: Option<u64>,
}

/// The resolved configuration the server runs with.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub region: String,
    pub account_id: String,
    pub durability: Durability,
    pub auth: AuthArg,
    /// The root identity's configured access key (id, secret), if any.
    pub root_key: Option<(String, String)>,
    pub master_key_file: PathBuf,
    /// Whether request rates are limited, and the categories' rates that differ from AWS's.
    pub rate_limits_enabled: bool,
    pub rate_limit_overrides: Vec<(String, u32)>,
    /// Where audit records go (`-` is stdout); None: no audit log.
    pub audit_log: Option<PathBuf>,
    /// (certificate chain, private key) PEM files when serving HTTPS.
    pub tls: Option<(PathBuf, PathBuf)>,
    pub request_timeout: std::time::Duration,
    pub idle_timeout: std::time::Duration,
    /// None: derived from the bound address once listening.
    pub public_url: Option<String>,
    /// None: the public URL.
    pub issuer_base: Option<String>,
    pub max_body_bytes: usize,
    pub quotas: Quotas,
}

impl ServerConfig {
    pub fn from_args(args: ServeArgs) -> anyhow::Result<Self> {
        let file = match &args.config {
            Some(path) => read_file(path)?,
            None => FileConfig::default(),
        };
        let defaults = Quotas::default();
        let data_dir = args
            .data_dir
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("rognito-data"));
        let secret = std::env::var("ROGNITO_SECRET_ACCESS_KEY")
            .ok()
            .or(args.secret_access_key)
            .or(file.secret_access_key);
        let root_key = match (args.access_key_id.or(file.access_key_id), secret) {
            (Some(id), Some(secret)) => Some((id, secret)),
            (None, None) => None,
            _ => bail!(
                "set both ROGNITO_ACCESS_KEY_ID and ROGNITO_SECRET_ACCESS_KEY (or neither, to have a key generated)"
            ),
        };
        let tls = match (
            args.tls_cert.or(file.tls_cert),
            args.tls_key.or(file.tls_key),
        ) {
            (Some(cert), Some(key)) => Some((cert, key)),
            (None, None) => None,
            _ => bail!("--tls-cert and --tls-key go together"),
        };
        let seconds = |v: Option<u64>, default: u64| {
            std::time::Duration::from_secs(v.unwrap_or(default).max(1))
        };
        let durability: Durability = args
            .durability
            .or(file.durability)
            .unwrap_or(DurabilityArg::Fsync)
            .into();
        let audit_log = match args.audit_log.or(file.audit_log).as_deref() {
            Some("off") => None,
            Some(path) => Some(PathBuf::from(path)),
            None if durability == Durability::Memory => None,
            None => Some(data_dir.join("audit.log")),
        };
        let mut rate_limit_overrides: Vec<(String, u32)> = file.rate_limit.into_iter().collect();
        rate_limit_overrides.extend(args.rate_limit);
        let rate_limits_enabled = match args.rate_limits.or(file.rate_limits).as_deref() {
            None => !rate_limit_overrides.is_empty(),
            Some("off") => false,
            Some("aws") => true,
            Some(other) => bail!("--rate-limits {other:?}: use off or aws"),
        };
        rognito_ops::rate_limits::RateLimits::new(rate_limits_enabled, &rate_limit_overrides)
            .map_err(|e| anyhow::anyhow!(e))?;
        let config = ServerConfig {
            rate_limits_enabled,
            rate_limit_overrides,
            audit_log,
            tls,
            request_timeout: seconds(args.request_timeout.or(file.request_timeout), 30),
            idle_timeout: seconds(args.idle_timeout.or(file.idle_timeout), 60),
            auth: args.auth.or(file.auth).unwrap_or(AuthArg::Sigv4),
            root_key,
            listen: args
                .listen
                .or(file.listen)
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 9229))),
            master_key_file: args
                .master_key_file
                .or(file.master_key_file)
                .unwrap_or_else(|| data_dir.join("master.key")),
            data_dir,
            public_url: args.public_url.or(file.public_url),
            issuer_base: args.issuer_base.or(file.issuer_base),
            region: args
                .region
                .or(file.region)
                .unwrap_or_else(|| "us-east-1".into()),
            account_id: args
                .account_id
                .or(file.account_id)
                .unwrap_or_else(|| "000000000000".into()),
            durability: args
                .durability
                .or(file.durability)
                .unwrap_or(DurabilityArg::Fsync)
                .into(),
            max_body_bytes: args
                .max_body_bytes
                .or(file.max_body_bytes)
                .unwrap_or(1 << 20),
            quotas: Quotas {
                user_pools_per_account: args
                    .max_user_pools_per_account
                    .or(file.quotas.user_pools_per_account)
                    .unwrap_or(defaults.user_pools_per_account),
                resource_servers_per_user_pool: args
                    .max_resource_servers_per_user_pool
                    .or(file.quotas.resource_servers_per_user_pool)
                    .unwrap_or(defaults.resource_servers_per_user_pool),
                scopes_per_resource_server: args
                    .max_scopes_per_resource_server
                    .or(file.quotas.scopes_per_resource_server)
                    .unwrap_or(defaults.scopes_per_resource_server),
                clients_per_user_pool: args
                    .max_clients_per_user_pool
                    .or(file.quotas.clients_per_user_pool)
                    .unwrap_or(defaults.clients_per_user_pool),
            },
        };
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> anyhow::Result<()> {
        let region_ok = {
            let parts: Vec<&str> = self.region.split('-').collect();
            parts.len() >= 3
                && parts.iter().all(|p| {
                    !p.is_empty()
                        && p.bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
                })
                && parts
                    .last()
                    .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
        };
        if !region_ok {
            bail!(
                "--region {:?} is not an AWS region name (like us-east-1 or eu-west-2)",
                self.region
            );
        }
        if self.account_id.len() != 12 || !self.account_id.bytes().all(|b| b.is_ascii_digit()) {
            bail!(
                "--account-id {:?} must be 12 digits (like 000000000000)",
                self.account_id
            );
        }
        for (flag, url) in [
            ("--public-url", &self.public_url),
            ("--issuer-base", &self.issuer_base),
        ] {
            if let Some(url) = url
                && !(url.starts_with("http://") || url.starts_with("https://"))
            {
                bail!("{flag} {url:?} must start with http:// or https://");
            }
        }
        if self.auth == AuthArg::Dev && !self.listen.ip().is_loopback() {
            bail!(
                "--auth dev accepts any signature and is refused on {}: listen on a loopback address (127.0.0.1) or use --auth sigv4",
                self.listen
            );
        }
        if let Some((id, secret)) = &self.root_key
            && (id.len() < 16
                || id.len() > 128
                || !id.bytes().all(|b| b.is_ascii_alphanumeric())
                || secret.len() < 16)
        {
            bail!(
                "ROGNITO_ACCESS_KEY_ID must be 16-128 letters and digits and ROGNITO_SECRET_ACCESS_KEY at least 16 characters"
            );
        }
        if self.max_body_bytes < 1024 {
            bail!("--max-body-bytes must be at least 1024");
        }
        if self.quotas.user_pools_per_account == 0
            || self.quotas.resource_servers_per_user_pool == 0
            || self.quotas.scopes_per_resource_server == 0
            || self.quotas.clients_per_user_pool == 0
        {
            bail!("quotas must be at least 1");
        }
        Ok(())
    }
}

/// `Category=RPS`.
fn parse_rate(value: &str) -> Result<(String, u32), String> {
    let (category, rate) = value
        .split_once('=')
        .ok_or_else(|| format!("{value:?}: expected CATEGORY=RPS"))?;
    let rate = rate.parse().map_err(|_| {
        format!("{value:?}: the rate must be a whole number of requests per second")
    })?;
    Ok((category.to_owned(), rate))
}

fn read_file(path: &Path) -> anyhow::Result<FileConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read config file {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("invalid config file {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_file_which_overrides_defaults() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("rognito.toml");
        std::fs::write(
            &path,
            "region = \"eu-west-1\"\naccount_id = \"123456789012\"\n[quotas]\nresource_servers_per_user_pool = 300\n",
        )
        .expect("write");
        let config = ServerConfig::from_args(ServeArgs {
            config: Some(path),
            account_id: Some("210987654321".into()),
            ..Default::default()
        })
        .expect("config");
        assert_eq!(config.region, "eu-west-1");
        assert_eq!(config.account_id, "210987654321");
        assert_eq!(config.quotas.resource_servers_per_user_pool, 300);
        assert_eq!(config.quotas.user_pools_per_account, 1000);
        assert_eq!(config.listen.to_string(), "127.0.0.1:9229");
    }

    #[test]
    fn bad_values_and_unknown_keys_are_refused() {
        let bad_region = ServerConfig::from_args(ServeArgs {
            region: Some("moon".into()),
            ..Default::default()
        });
        assert!(bad_region.is_err());
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("rognito.toml");
        std::fs::write(&path, "regoin = \"us-east-1\"\n").expect("write");
        let err = ServerConfig::from_args(ServeArgs {
            config: Some(path),
            ..Default::default()
        })
        .expect_err("typo refused");
        assert!(format!("{err:#}").contains("unknown field"));
    }
}
