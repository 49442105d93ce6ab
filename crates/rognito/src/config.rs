//! Server configuration. Each setting comes from, in order of precedence: a command-line flag, its
//! `ROGNITO_*` environment variable, the TOML file named by `--config`, the built-in default.
//! A bad value is reported under the name the user wrote it with (`--region`, `ROGNITO_REGION`
//! or `region` in the file), so the message says where to fix it.

use std::fmt;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::parser::ValueSource;
use clap::{Args, ValueEnum};
use ipnet::IpNet;
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

/// What happens while the audit log cannot be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuditFailureArg {
    /// Keep serving; failed lines are retried, counted and logged (default).
    Open,
    /// Refuse to issue tokens or accept writes until a line can be written again.
    Closed,
}

/// `rognito serve` flags. Every one is optional here so the config file can fill it in.
#[derive(Debug, Args, Default)]
pub struct ServeArgs {
    /// TOML configuration file (flags and environment variables override it).
    #[arg(long, env = "ROGNITO_CONFIG")]
    pub config: Option<PathBuf>,
    /// Address to listen on: HOST:PORT (a host name or an IP address), or just PORT (on
    /// 127.0.0.1) [default: 127.0.0.1:9229]; port 0 picks a free port. Use 0.0.0.0:PORT to
    /// listen on every interface.
    #[arg(long, env = "ROGNITO_LISTEN")]
    pub listen: Option<String>,
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
    /// is generated on first start and printed once. Setting them on an existing data dir
    /// replaces the root identity's key (the way back in when its credentials are lost).
    #[arg(long, env = "ROGNITO_ACCESS_KEY_ID")]
    pub access_key_id: Option<String>,
    /// The root identity's secret access key (environment or config file only, so it does not
    /// show in process listings).
    #[arg(skip)]
    pub secret_access_key: Option<String>,
    /// File holding the 32-byte master key that encrypts client secrets and signing keys at
    /// rest; created (mode 0600) when the database is new [default: <data-dir>/master.key]. The
    /// environment variable ROGNITO_MASTER_KEY (base64) takes precedence over any file.
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
    /// While the audit log cannot be written: `open` keeps serving (lines are retried, counted
    /// and logged), `closed` refuses to issue tokens or accept writes [default: open].
    #[arg(long, env = "ROGNITO_AUDIT_FAILURE", value_enum)]
    pub audit_failure: Option<AuditFailureArg>,
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
    /// Largest accepted request body in bytes [default: 1048576]. The token endpoint's form is
    /// held to at most 16384 bytes.
    #[arg(long, env = "ROGNITO_MAX_BODY_BYTES")]
    pub max_body_bytes: Option<usize>,
    /// Open connections at most; at the cap the oldest idle connection is closed for a new one
    /// [default: the open-file limit less 128 kept for the store and the audit log].
    #[arg(long, env = "ROGNITO_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,
    /// A proxy (IP address or CIDR range) whose `X-Forwarded-For` names the client's address;
    /// repeat for several, or give a comma-separated list in the environment [default: none].
    #[arg(
        long = "trusted-proxy",
        env = "ROGNITO_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<String>,
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
    listen: Option<ListenValue>,
    data_dir: Option<PathBuf>,
    region: Option<String>,
    account_id: Option<String>,
    durability: Option<DurabilityArg>,
    auth: Option<AuthArg>,
    access_key_id: Option<String>,
    secret_access_key: Option<String>,
    master_key_file: Option<PathBuf>,
    audit_log: Option<String>,
    audit_failure: Option<AuditFailureArg>,
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
    max_connections: Option<usize>,
    trusted_proxies: Option<Vec<String>>,
    #[serde(default)]
    quotas: FileQuotas,
}

/// `listen` in the file: `"HOST:PORT"` or a bare port number (`listen = 9300`).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum ListenValue {
    Text(String),
    Port(u16),
}

impl ListenValue {
    fn text(self) -> String {
        match self {
            ListenValue::Text(text) => text,
            ListenValue::Port(port) => port.to_string(),
        }
    }
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
    /// Where `listen` came from, as the user wrote it (for messages).
    pub listen_origin: String,
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
    /// Refuse tokens and writes while the audit log cannot be written.
    pub audit_fail_closed: bool,
    /// (certificate chain, private key) PEM files when serving HTTPS.
    pub tls: Option<(PathBuf, PathBuf)>,
    pub request_timeout: std::time::Duration,
    pub idle_timeout: std::time::Duration,
    /// None: derived from the bound address once listening.
    pub public_url: Option<String>,
    /// None: the public URL.
    pub issuer_base: Option<String>,
    pub max_body_bytes: usize,
    pub max_connections: usize,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpNet>,
    pub quotas: Quotas,
}

/// Where a setting's value came from, named the way the user wrote it.
#[derive(Debug, Clone)]
pub enum Origin {
    Flag(String),
    Env(String),
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

/// Tells, for a `ServeArgs` field (by its name), whether clap took it from the command line
/// or the environment.
pub type SourceOf<'a> = &'a dyn Fn(&str) -> Option<ValueSource>;

/// Resolves settings with their origins.
struct Resolver<'a> {
    source_of: SourceOf<'a>,
    file: Option<&'a Path>,
}

impl Resolver<'_> {
    /// The value of setting `id` (the `ServeArgs` field; `--id-with-dashes`, `ROGNITO_ID`) from
    /// the arguments, else from the file under `key`.
    fn pick<T>(&self, id: &str, arg: Option<T>, key: &str, file: Option<T>) -> Option<(T, Origin)> {
        if let Some(value) = arg {
            return Some((value, self.arg_origin(id)));
        }
        let path = self.file?;
        file.map(|v| (v, Origin::File(key.to_owned(), path.to_owned())))
    }

    fn arg_origin(&self, id: &str) -> Origin {
        match (self.source_of)(id) {
            Some(ValueSource::EnvVariable) => Origin::Env(format!("ROGNITO_{}", id.to_uppercase())),
            _ => Origin::Flag(id.replace('_', "-")),
        }
    }
}

impl ServerConfig {
    /// Resolves `args` (every value treated as a flag) with the file they name.
    pub fn from_args(args: ServeArgs) -> anyhow::Result<Self> {
        Self::resolve(args, &|_| Some(ValueSource::CommandLine))
    }

    /// Resolves `args`, naming each value by where clap found it (`source_of`).
    pub fn resolve(args: ServeArgs, source_of: SourceOf<'_>) -> anyhow::Result<Self> {
        let file = match &args.config {
            Some(path) => read_file(path)?,
            None => FileConfig::default(),
        };
        let at = Resolver {
            source_of,
            file: args.config.as_deref(),
        };
        let data_dir = at
            .pick("data_dir", args.data_dir, "data_dir", file.data_dir)
            .map_or_else(|| PathBuf::from("rognito-data"), |(v, _)| v);
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
        if let Some((id, secret)) = &root_key
            && (id.len() < 16
                || id.len() > 128
                || !id.bytes().all(|b| b.is_ascii_alphanumeric())
                || secret.len() < 16)
        {
            bail!(
                "ROGNITO_ACCESS_KEY_ID must be 16-128 letters and digits and ROGNITO_SECRET_ACCESS_KEY at least 16 characters"
            );
        }
        let tls = match (
            at.pick("tls_cert", args.tls_cert, "tls_cert", file.tls_cert),
            at.pick("tls_key", args.tls_key, "tls_key", file.tls_key),
        ) {
            (Some((cert, _)), Some((key, _))) => Some((cert, key)),
            (None, None) => None,
            (Some((_, origin)), None) => bail!("{origin} needs a TLS private key too (--tls-key)"),
            (None, Some((_, origin))) => {
                bail!("{origin} needs a TLS certificate too (--tls-cert)")
            }
        };
        let seconds = |id: &str, arg: Option<u64>, file: Option<u64>, default: u64| match at
            .pick(id, arg, id, file)
        {
            Some((0, origin)) => bail!("{origin} must be at least 1 (seconds)"),
            Some((v, _)) => Ok(std::time::Duration::from_secs(v)),
            None => Ok(std::time::Duration::from_secs(default)),
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
        // Each rate checked where it was given, so a bad one is named as written.
        let rate_origin = |from_file: bool| match (&args.config, from_file) {
            (Some(path), true) => format!("`rate_limit` in {}", path.display()),
            _ => "--rate-limit".to_owned(),
        };
        for (rates, from_file) in [
            (
                &file.rate_limit.clone().into_iter().collect::<Vec<_>>(),
                true,
            ),
            (&args.rate_limit, false),
        ] {
            rognito_access::RateLimits::new(true, rates)
                .map_err(|e| anyhow::anyhow!("{}: {e}", rate_origin(from_file)))?;
        }
        let mut rate_limit_overrides: Vec<(String, u32)> = file.rate_limit.into_iter().collect();
        rate_limit_overrides.extend(args.rate_limit);
        let rate_limits_enabled = match at.pick(
            "rate_limits",
            args.rate_limits,
            "rate_limits",
            file.rate_limits,
        ) {
            None => !rate_limit_overrides.is_empty(),
            Some((v, _)) if v == "off" => false,
            Some((v, _)) if v == "aws" => true,
            Some((other, origin)) => bail!("{origin} {other:?}: use off or aws"),
        };
        rognito_access::RateLimits::new(rate_limits_enabled, &rate_limit_overrides)
            .map_err(|e| anyhow::anyhow!(e))?;

        let (listen, listen_origin) = match at.pick(
            "listen",
            args.listen,
            "listen",
            file.listen.map(ListenValue::text),
        ) {
            Some((text, origin)) => (
                parse_listen(&text).with_context(|| format!("{origin}"))?,
                origin.to_string(),
            ),
            None => (
                SocketAddr::from(([127, 0, 0, 1], 9229)),
                Origin::Default.to_string(),
            ),
        };
        let region = match at.pick("region", args.region, "region", file.region) {
            Some((region, origin)) => {
                if !is_region(&region) {
                    bail!(
                        "{origin} {region:?} is not an AWS region name (like us-east-1 or eu-west-2)"
                    );
                }
                region
            }
            None => "us-east-1".into(),
        };
        let account_id = match at.pick("account_id", args.account_id, "account_id", file.account_id)
        {
            Some((id, origin)) => {
                if id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()) {
                    bail!("{origin} {id:?} must be 12 digits (like 000000000000)");
                }
                id
            }
            None => "000000000000".into(),
        };
        let mut urls = [None, None];
        for (slot, (id, arg, value)) in urls.iter_mut().zip([
            ("public_url", args.public_url, file.public_url),
            ("issuer_base", args.issuer_base, file.issuer_base),
        ]) {
            if let Some((url, origin)) = at.pick(id, arg, id, value) {
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    bail!("{origin} {url:?} must start with http:// or https://");
                }
                *slot = Some(url);
            }
        }
        let [public_url, issuer_base] = urls;
        let auth = match at.pick("auth", args.auth, "auth", file.auth) {
            Some((AuthArg::Dev, origin)) if !listen.ip().is_loopback() => bail!(
                "{origin} dev accepts any signature and is refused on {listen}: listen on a loopback address (127.0.0.1) or use sigv4"
            ),
            Some((auth, _)) => auth,
            None => AuthArg::Sigv4,
        };
        let audit_fail_closed = match at.pick(
            "audit_failure",
            args.audit_failure,
            "audit_failure",
            file.audit_failure,
        ) {
            Some((AuditFailureArg::Closed, origin)) if audit_log.is_none() => bail!(
                "{origin} closed needs an audit log, and there is none (--audit-log off, or memory \
                 durability): name one with --audit-log PATH"
            ),
            Some((mode, _)) => mode == AuditFailureArg::Closed,
            None => false,
        };
        let max_body_bytes = match at.pick(
            "max_body_bytes",
            args.max_body_bytes,
            "max_body_bytes",
            file.max_body_bytes,
        ) {
            Some((n, origin)) if n < 1024 => bail!("{origin} must be at least 1024 (bytes)"),
            Some((n, _)) => n,
            None => 1 << 20,
        };
        let max_connections = match at.pick(
            "max_connections",
            args.max_connections,
            "max_connections",
            file.max_connections,
        ) {
            Some((0, origin)) => bail!("{origin} must be at least 1"),
            Some((n, _)) => n,
            None => crate::listener::default_max_connections(),
        };
        let proxies = if args.trusted_proxies.is_empty() {
            at.pick(
                "trusted_proxies",
                None,
                "trusted_proxies",
                file.trusted_proxies,
            )
        } else {
            let origin = match at.arg_origin("trusted_proxies") {
                Origin::Flag(_) => Origin::Flag("trusted-proxy".into()),
                other => other,
            };
            Some((args.trusted_proxies, origin))
        };
        let trusted_proxies = match proxies {
            Some((list, origin)) => list
                .iter()
                .map(|p| parse_proxy(p).with_context(|| format!("{origin}")))
                .collect::<anyhow::Result<Vec<_>>>()?,
            None => Vec::new(),
        };
        let defaults = Quotas::default();
        let quota =
            |id: &str, arg: Option<u64>, key: &str, value: Option<u64>, default: u64| match at
                .pick(id, arg, key, value)
            {
                Some((0, origin)) => bail!("{origin} must be at least 1"),
                Some((n, _)) => Ok(n),
                None => Ok(default),
            };
        let quotas = Quotas {
            user_pools_per_account: quota(
                "max_user_pools_per_account",
                args.max_user_pools_per_account,
                "quotas.user_pools_per_account",
                file.quotas.user_pools_per_account,
                defaults.user_pools_per_account,
            )?,
            resource_servers_per_user_pool: quota(
                "max_resource_servers_per_user_pool",
                args.max_resource_servers_per_user_pool,
                "quotas.resource_servers_per_user_pool",
                file.quotas.resource_servers_per_user_pool,
                defaults.resource_servers_per_user_pool,
            )?,
            scopes_per_resource_server: quota(
                "max_scopes_per_resource_server",
                args.max_scopes_per_resource_server,
                "quotas.scopes_per_resource_server",
                file.quotas.scopes_per_resource_server,
                defaults.scopes_per_resource_server,
            )?,
            clients_per_user_pool: quota(
                "max_clients_per_user_pool",
                args.max_clients_per_user_pool,
                "quotas.clients_per_user_pool",
                file.quotas.clients_per_user_pool,
                defaults.clients_per_user_pool,
            )?,
        };
        Ok(ServerConfig {
            rate_limits_enabled,
            rate_limit_overrides,
            audit_log,
            audit_fail_closed,
            tls,
            request_timeout: seconds(
                "request_timeout",
                args.request_timeout,
                file.request_timeout,
                30,
            )?,
            idle_timeout: seconds("idle_timeout", args.idle_timeout, file.idle_timeout, 60)?,
            auth,
            root_key,
            listen,
            listen_origin,
            master_key_file: args
                .master_key_file
                .or(file.master_key_file)
                .unwrap_or_else(|| data_dir.join("master.key")),
            data_dir,
            public_url,
            issuer_base,
            region,
            account_id,
            durability,
            max_body_bytes,
            max_connections,
            trusted_proxies,
            quotas,
        })
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
        assert!(config.max_connections >= 16);
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

    /// Issue 9, B.21: a bad value is reported under the name it was given with.
    #[test]
    fn errors_name_the_setting_as_written() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("rognito.toml");
        std::fs::write(&path, "region = \"moon\"\n").expect("write");
        let err = ServerConfig::from_args(ServeArgs {
            config: Some(path.clone()),
            ..Default::default()
        })
        .expect_err("bad region");
        assert_eq!(
            format!("{err:#}"),
            format!(
                "`region` in {} \"moon\" is not an AWS region name (like us-east-1 or eu-west-2)",
                path.display()
            )
        );
        let from_env = ServerConfig::resolve(
            ServeArgs {
                region: Some("moon".into()),
                ..Default::default()
            },
            &|_| Some(ValueSource::EnvVariable),
        )
        .expect_err("bad region");
        assert!(format!("{from_env:#}").starts_with("ROGNITO_REGION \"moon\""));
        let flag = ServerConfig::from_args(ServeArgs {
            region: Some("moon".into()),
            ..Default::default()
        })
        .expect_err("bad region");
        assert!(format!("{flag:#}").starts_with("--region \"moon\""));

        std::fs::write(&path, "[quotas]\nclients_per_user_pool = 0\n").expect("write");
        let zero = ServerConfig::from_args(ServeArgs {
            config: Some(path.clone()),
            ..Default::default()
        })
        .expect_err("zero quota");
        assert_eq!(
            format!("{zero:#}"),
            format!(
                "`quotas.clients_per_user_pool` in {} must be at least 1",
                path.display()
            )
        );
        let zero_flag = ServerConfig::from_args(ServeArgs {
            max_scopes_per_resource_server: Some(0),
            ..Default::default()
        })
        .expect_err("zero quota");
        assert_eq!(
            format!("{zero_flag:#}"),
            "--max-scopes-per-resource-server must be at least 1"
        );
    }

    /// Issue 9, B.17: host names and bare ports are listen addresses.
    #[test]
    fn listen_takes_host_names_and_bare_ports() {
        let local = SocketAddr::from(([127, 0, 0, 1], 9300));
        for text in [
            "9300",
            ":9300",
            "localhost:9300",
            "127.0.0.1:9300",
            " 9300 ",
        ] {
            assert_eq!(parse_listen(text).expect(text), local, "{text}");
        }
        assert_eq!(
            parse_listen("0.0.0.0:9300").expect("any"),
            SocketAddr::from(([0, 0, 0, 0], 9300))
        );
        assert_eq!(
            parse_listen("[::1]:9300").expect("v6").to_string(),
            "[::1]:9300"
        );
        for bad in ["", "localhost", "99999", "host:port", ":"] {
            let err = format!("{:#}", parse_listen(bad).expect_err(bad));
            assert!(
                err.contains("expected HOST:PORT") || err.contains("0-65535"),
                "{bad}: {err}"
            );
        }
        let flag = ServerConfig::from_args(ServeArgs {
            listen: Some("nowhere:x".into()),
            ..Default::default()
        })
        .expect_err("bad listen");
        assert!(
            format!("{flag:#}").starts_with("--listen: \"nowhere:x\""),
            "{flag:#}"
        );
    }

    #[test]
    fn listen_may_be_a_bare_port_in_the_file_and_rates_are_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("rognito.toml");
        std::fs::write(&path, "listen = 9300\n").expect("write");
        let config = ServerConfig::from_args(ServeArgs {
            config: Some(path),
            ..Default::default()
        })
        .expect("config");
        assert_eq!(config.listen.to_string(), "127.0.0.1:9300");
        let err = ServerConfig::from_args(ServeArgs {
            rate_limit: vec![("ClientAuthentication".into(), 0)],
            ..Default::default()
        })
        .expect_err("zero rate");
        assert!(format!("{err:#}").starts_with("--rate-limit: "), "{err:#}");
    }

    #[test]
    fn fail_closed_needs_an_audit_log() {
        let err = ServerConfig::from_args(ServeArgs {
            durability: Some(DurabilityArg::Memory),
            audit_failure: Some(AuditFailureArg::Closed),
            ..Default::default()
        })
        .expect_err("nothing to fail closed on");
        assert!(format!("{err:#}").starts_with("--audit-failure closed needs an audit log"));
    }

    #[test]
    fn trusted_proxies_are_addresses_or_ranges() {
        assert_eq!(
            parse_proxy("10.0.0.0/8").expect("cidr").to_string(),
            "10.0.0.0/8"
        );
        assert_eq!(
            parse_proxy("192.0.2.7").expect("ip").to_string(),
            "192.0.2.7/32"
        );
        assert!(parse_proxy("proxy.example").is_err());
    }
}
