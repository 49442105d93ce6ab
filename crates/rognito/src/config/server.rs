//! The configuration `rognito serve` runs with: [`Config`] checked, with the settings that
//! depend on each other (TLS pairs, the root key, `auth` and `listen`, the audit log and the
//! durability) resolved.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::parser::ValueSource;
use ipnet::IpNet;
use rognito_ops::Quotas;

use super::{AuditFailureArg, AuthArg, Config, RateLimitMode, ServeArgs, SourceOf, StoreSettings};

/// The resolved configuration the server runs with.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    /// Where `listen` came from, as the user wrote it (for messages).
    pub listen_origin: String,
    /// The store, and the master key's file.
    pub store: StoreSettings,
    pub region: String,
    pub account_id: String,
    pub auth: AuthArg,
    /// The root identity's configured access key (id, secret), if any.
    pub root_key: Option<(String, secrecy::SecretString)>,
    /// Whether request rates are limited, and the categories' rates that differ from AWS's.
    pub rate_limits_enabled: bool,
    pub rate_limit_overrides: Vec<(String, u32)>,
    /// Where audit records go (`-` is stdout); None: no audit log.
    pub audit_log: Option<PathBuf>,
    /// Refuse tokens and writes while the audit log cannot be written.
    pub audit_fail_closed: bool,
    /// (certificate chain, private key) PEM files when serving HTTPS.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// How long a request may take, body included.
    pub request_timeout: Duration,
    /// How long to wait for a request's headers, and to keep an idle connection.
    pub idle_timeout: Duration,
    /// None: derived from the bound address once listening.
    pub public_url: Option<String>,
    /// None: the public URL.
    pub issuer_base: Option<String>,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    pub max_connections: usize,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpNet>,
    pub quotas: Quotas,
    /// The cost of users' password hashes.
    pub password_hashing: rognito_ops::PasswordHashing,
}

impl ServerConfig {
    /// Resolves `args` (every value treated as a flag) with the file they name.
    pub fn from_args(args: ServeArgs) -> anyhow::Result<Self> {
        Self::resolve(args, &|_| Some(ValueSource::CommandLine))
    }

    /// Resolves `args`, naming each value by where clap found it (`source_of`).
    pub fn resolve(args: ServeArgs, source_of: SourceOf<'_>) -> anyhow::Result<Self> {
        Self::from_config(args.config(source_of)?)
    }

    /// Checks `config` and resolves what `serve` needs from it.
    pub fn from_config(config: Config) -> anyhow::Result<Self> {
        config.check()?;
        let server = &config.server;
        let secret = server.secret_access_key.clone();
        let root_key = match (server.access_key_id.clone(), secret) {
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
                || secrecy::ExposeSecret::expose_secret(secret).len() < 16)
        {
            bail!(
                "ROGNITO_ACCESS_KEY_ID must be 16-128 letters and digits and ROGNITO_SECRET_ACCESS_KEY at least 16 characters"
            );
        }
        let tls = match (&config.tls.cert, &config.tls.key) {
            (Some(cert), Some(key)) => Some((cert.clone(), key.clone())),
            (None, None) => None,
            (Some(_), None) => bail!(
                "{} needs a TLS private key too (--tls-key, ROGNITO_TLS_KEY or `key` under `[tls]`)",
                config.origin("tls.cert")
            ),
            (None, Some(_)) => bail!(
                "{} needs a TLS certificate too (--tls-cert, ROGNITO_TLS_CERT or `cert` under `[tls]`)",
                config.origin("tls.key")
            ),
        };
        let store = config.store_settings();
        let audit_log = config.audit_log();
        let rate_limit_overrides = config.rate_limit_overrides();
        let rate_limits_enabled = match config.rate_limits.mode {
            None => !rate_limit_overrides.is_empty(),
            Some(mode) => mode == RateLimitMode::Aws,
        };
        let listen_origin = config.origin("server.listen");
        let listen =
            super::parse_listen(&server.listen).with_context(|| format!("{listen_origin}"))?;
        let auth_origin = config.origin("server.auth");
        if server.auth == AuthArg::Dev && !listen.ip().is_loopback() {
            bail!(
                "{auth_origin} dev accepts any signature and is refused on {listen}: listen on a loopback address (127.0.0.1) or use sigv4"
            );
        }
        if config.audit.failure == AuditFailureArg::Closed && audit_log.is_none() {
            bail!(
                "{} closed needs an audit log, and there is none (the audit log is off, or memory \
                 durability): name one with --audit-log PATH, ROGNITO_AUDIT_LOG or `log` under \
                 `[audit]`",
                config.origin("audit.failure")
            );
        }
        Ok(ServerConfig {
            listen,
            listen_origin: listen_origin.to_string(),
            store,
            region: server.region.clone(),
            account_id: server.account_id.clone(),
            auth: server.auth,
            root_key,
            rate_limits_enabled,
            rate_limit_overrides,
            audit_log,
            audit_fail_closed: config.audit.failure == AuditFailureArg::Closed,
            tls,
            request_timeout: Duration::from_secs(server.request_timeout),
            idle_timeout: Duration::from_secs(server.idle_timeout),
            public_url: server.public_url.clone(),
            issuer_base: server.issuer_base.clone(),
            max_body_bytes: server.max_body_bytes,
            max_connections: server.max_connections,
            trusted_proxies: config.trusted_proxies()?,
            quotas: (&config.quotas).into(),
            password_hashing: config.server.password_hashing.into(),
        })
    }
}
