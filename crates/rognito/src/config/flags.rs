//! Flags and `ROGNITO_*` variables, mapped onto [`Config`] by one table: each row names the
//! setting's section and key, its flag and its variable, and [`settings!`] makes from it the
//! clap arguments, the code that lays their values over the file's, and [`SETTINGS`]. Clap
//! reads both the flag and the variable (a flag wins) and says which one it took.

use std::path::PathBuf;

use clap::Args;
use clap::parser::ValueSource;

use super::{
    AuditFailureArg, AuthArg, Config, DurabilityArg, Origin, PasswordHashingArg, RateLimitMode,
};

/// Tells, for an argument (by its field name), whether clap took it from the command line or
/// the environment.
pub type SourceOf<'a> = &'a dyn Fn(&str) -> Option<ValueSource>;

/// One setting that has a flag and an environment variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    /// The file's section (`server`).
    pub section: &'static str,
    /// The key in that section (`listen`).
    pub key: &'static str,
    /// The flag, without its dashes (`listen`).
    pub flag: &'static str,
    /// The environment variable (`ROGNITO_LISTEN`).
    pub env: &'static str,
}

/// Assigns a flag's value to its setting: `optional` settings are `Option`s, whose default
/// (None) is derived from other settings.
macro_rules! set {
    ($place:expr, $value:expr) => {
        $place = $value
    };
    ($place:expr, $value:expr, optional) => {
        $place = Some($value)
    };
}

/// Declares groups of flags. A row: `field: Type => section.key [optional], "flag", "ENV";`.
macro_rules! settings {
    ($(
        $(#[$group_meta:meta])*
        pub struct $group:ident {
            $(
                $(#[$meta:meta])*
                $field:ident: $ty:ty => $section:ident.$key:ident $([$wrap:ident])?,
                    $flag:literal, $env:literal;
            )*
        }
    )*) => {
        $(
            $(#[$group_meta])*
            #[derive(Debug, Clone, Default, Args)]
            pub struct $group {
                $(
                    $(#[$meta])*
                    #[arg(long = $flag, env = $env)]
                    pub $field: Option<$ty>,
                )*
            }

            impl $group {
                /// Lays the values given over `config`, each named by where clap found it.
                pub fn apply(self, config: &mut Config, source_of: SourceOf<'_>) {
                    $(
                        if let Some(value) = self.$field {
                            set!(config.$section.$key, value $(, $wrap)?);
                            let origin = match source_of(stringify!($field)) {
                                Some(ValueSource::EnvVariable) => Origin::Env($env),
                                _ => Origin::Flag($flag),
                            };
                            let key = concat!(stringify!($section), ".", stringify!($key));
                            config.given(key, origin);
                        }
                    )*
                }
            }
        )*

        /// Every setting with a flag and a variable.
        pub const SETTINGS: &[Setting] = &[$($(
            Setting {
                section: stringify!($section),
                key: stringify!($key),
                flag: $flag,
                env: $env,
            },
        )*)*];
    };
}

settings! {
    /// Where the data is kept: every command's.
    pub struct StoreFlags {
        /// Where the records are kept: a PostgreSQL URL, postgres://USER@HOST:PORT/DATABASE
        /// (with ?sslmode=require and &sslrootcert=FILE for TLS), which several rognito nodes
        /// can share [default: the embedded SQLite database in --data-dir]. Give a password in
        /// ROGNITO_STORE, the config file or PGPASSWORD rather than this flag, which process
        /// listings show.
        #[arg(hide_env_values = true)]
        store: String => store.url [optional], "store", "ROGNITO_STORE";
        /// PostgreSQL only: connections each node keeps open at most [default: 16].
        store_connections: usize => store.connections,
            "store-connections", "ROGNITO_STORE_CONNECTIONS";
        /// PostgreSQL only: milliseconds between reads of the change feed when no notification
        /// arrived: how late another node's change can be if notifications are lost
        /// [default: 1000].
        feed_poll_ms: u64 => store.feed_poll_ms, "feed-poll-ms", "ROGNITO_FEED_POLL_MS";
        /// Directory for the database, created by the server if missing [default: ./rognito-data].
        data_dir: PathBuf => store.data_dir, "data-dir", "ROGNITO_DATA_DIR";
        /// What an acknowledged write survives [default: fsync].
        #[arg(value_enum)]
        durability: DurabilityArg => store.durability, "durability", "ROGNITO_DURABILITY";
        /// File holding the 32-byte master key that encrypts client secrets and signing keys at
        /// rest; created (mode 0600) by the server when the database is new [default:
        /// <data-dir>/master.key]. The environment variable ROGNITO_MASTER_KEY (base64) takes
        /// precedence over any file.
        master_key_file: PathBuf => store.master_key_file [optional],
            "master-key-file", "ROGNITO_MASTER_KEY_FILE";
        /// Audit log: a file path, `-` for stdout, or `off` [default: <data-dir>/audit.log; off
        /// with --durability memory]. The admin commands record their changes in it too.
        audit_log: String => audit.log [optional], "audit-log", "ROGNITO_AUDIT_LOG";
    }

    /// The AWS region and account: `serve`'s, and the admin commands' that act in an account.
    pub struct AccountFlags {
        /// AWS region rognito presents itself as (pool ids, ARNs; `identity create`: the
        /// AWS_DEFAULT_REGION line printed with a new key) [default: us-east-1].
        region: String => server.region, "region", "ROGNITO_REGION";
        /// The 12-digit account that owns the pools and identities [default: 000000000000].
        account_id: String => server.account_id, "account-id", "ROGNITO_ACCOUNT_ID";
    }

    /// The settings only `serve` uses.
    pub struct ServerFlags {
        /// Address to listen on: HOST:PORT (a host name or an IP address), or just PORT (on
        /// 127.0.0.1) [default: 127.0.0.1:9229]; port 0 picks a free port. Use 0.0.0.0:PORT to
        /// listen on every interface.
        listen: String => server.listen, "listen", "ROGNITO_LISTEN";
        /// How requests are authenticated [default: sigv4].
        #[arg(value_enum)]
        auth: AuthArg => server.auth, "auth", "ROGNITO_AUTH";
        /// The root identity's access key id (with ROGNITO_SECRET_ACCESS_KEY, which is read from
        /// the environment or the file only, so it does not show in process listings); without
        /// both, a key is generated on first start and printed once. Setting them on an
        /// existing data dir replaces the root identity's key (the way back in when its
        /// credentials are lost).
        access_key_id: String => server.access_key_id [optional],
            "access-key-id", "ROGNITO_ACCESS_KEY_ID";
        /// Base URL this server is reached at, used in the endpoints it advertises (discovery
        /// document) [default: http://<listen address>].
        public_url: String => server.public_url [optional], "public-url", "ROGNITO_PUBLIC_URL";
        /// Tokens carry `iss` = <issuer base>/<pool id> [default: the public URL]. Set
        /// https://cognito-idp.<region>.amazonaws.com to get AWS's exact issuer.
        issuer_base: String => server.issuer_base [optional],
            "issuer-base", "ROGNITO_ISSUER_BASE";
        /// Seconds a request may take, body included, before 408 [default: 30].
        request_timeout: u64 => server.request_timeout,
            "request-timeout", "ROGNITO_REQUEST_TIMEOUT";
        /// Seconds to receive a request's headers, and to keep an idle connection [default: 60].
        idle_timeout: u64 => server.idle_timeout, "idle-timeout", "ROGNITO_IDLE_TIMEOUT";
        /// Largest accepted request body in bytes [default: 1048576]. The token endpoint's form
        /// is held to at most 16384 bytes.
        max_body_bytes: usize => server.max_body_bytes, "max-body-bytes", "ROGNITO_MAX_BODY_BYTES";
        /// Open connections at most; at the cap the oldest idle connection is closed for a new
        /// one [default: the open-file limit less 128 kept for the store and the audit log].
        max_connections: usize => server.max_connections,
            "max-connections", "ROGNITO_MAX_CONNECTIONS";
        /// A proxy (IP address or CIDR range) whose `X-Forwarded-For` names the client's
        /// address; repeat for several, or give a comma-separated list in the environment
        /// [default: none].
        #[arg(value_delimiter = ',')]
        trusted_proxies: Vec<String> => server.trusted_proxies,
            "trusted-proxy", "ROGNITO_TRUSTED_PROXIES";
        /// Quota: user pools per account [default: 1000].
        max_user_pools_per_account: u64 => quotas.user_pools_per_account,
            "max-user-pools-per-account", "ROGNITO_MAX_USER_POOLS_PER_ACCOUNT";
        /// Quota: resource servers per user pool [default: 25].
        max_resource_servers_per_user_pool: u64 => quotas.resource_servers_per_user_pool,
            "max-resource-servers-per-user-pool", "ROGNITO_MAX_RESOURCE_SERVERS_PER_USER_POOL";
        /// Quota: scopes per resource server [default: 100].
        max_scopes_per_resource_server: u64 => quotas.scopes_per_resource_server,
            "max-scopes-per-resource-server", "ROGNITO_MAX_SCOPES_PER_RESOURCE_SERVER";
        /// Quota: app clients per user pool [default: 1000].
        max_clients_per_user_pool: u64 => quotas.clients_per_user_pool,
            "max-clients-per-user-pool", "ROGNITO_MAX_CLIENTS_PER_USER_POOL";
        /// Quota: groups per user pool [default: 10000].
        max_groups_per_user_pool: u64 => quotas.groups_per_user_pool,
            "max-groups-per-user-pool", "ROGNITO_MAX_GROUPS_PER_USER_POOL";
        /// Cost of users' argon2id password hashes: `owasp` (19 MiB, 2 passes, about 80 ms of
        /// one core) or `fast` (64 KiB, 1 pass: only for throwaway test servers) [default: owasp].
        #[arg(value_enum)]
        password_hashing: PasswordHashingArg => server.password_hashing,
            "password-hashing", "ROGNITO_PASSWORD_HASHING";
        /// Request-rate limits: `off` (default) or `aws` (AWS's default rate per API category
        /// and account, and 5 RPS per resource operation and pool).
        #[arg(value_enum)]
        rate_limits: RateLimitMode => rate_limits.mode [optional],
            "rate-limits", "ROGNITO_RATE_LIMITS";
        /// PEM certificate chain: serve HTTPS (with --tls-key).
        tls_cert: PathBuf => tls.cert [optional], "tls-cert", "ROGNITO_TLS_CERT";
        /// PEM private key of --tls-cert.
        tls_key: PathBuf => tls.key [optional], "tls-key", "ROGNITO_TLS_KEY";
        /// While the audit log cannot be written: `open` keeps serving (lines are retried,
        /// counted and logged), `closed` refuses to issue tokens or accept writes [default: open].
        #[arg(value_enum)]
        audit_failure: AuditFailureArg => audit.failure, "audit-failure", "ROGNITO_AUDIT_FAILURE";
    }
}

/// `--config`: every command's.
#[derive(Debug, Clone, Default, Args)]
pub struct ConfigArg {
    /// TOML configuration file (flags and environment variables override it).
    #[arg(long, env = "ROGNITO_CONFIG")]
    pub config: Option<PathBuf>,
}

impl ConfigArg {
    /// The file named (or the defaults), to lay flags over.
    pub fn load(&self) -> anyhow::Result<Config> {
        Config::load(self.config.as_deref())
    }
}

/// `rognito serve`'s flags. Every one is optional here so the config file can fill it in.
#[derive(Debug, Clone, Default, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub file: ConfigArg,
    #[command(flatten)]
    pub store: StoreFlags,
    #[command(flatten)]
    pub account: AccountFlags,
    #[command(flatten)]
    pub server: ServerFlags,
    /// A category's rate, e.g. `--rate-limit UserPoolResourceRead=50` (turns limits on); repeat
    /// for several. Added to the file's `[rate_limits.categories]`.
    #[arg(long = "rate-limit", value_parser = parse_rate)]
    pub rate_limit: Vec<(String, u32)>,
    /// The root identity's secret access key: from the environment or the file only, never a
    /// flag (it would show in process listings). Set here, it stands in for
    /// ROGNITO_SECRET_ACCESS_KEY (which wins over it), for callers that build `ServeArgs`.
    #[arg(skip)]
    pub secret_access_key: Option<String>,
}

impl ServeArgs {
    /// The file with every flag and variable laid over it (not yet checked).
    pub fn config(self, source_of: SourceOf<'_>) -> anyhow::Result<Config> {
        let mut config = self.file.load()?;
        self.store.apply(&mut config, source_of);
        self.account.apply(&mut config, source_of);
        self.server.apply(&mut config, source_of);
        // Checked here, so a bad rate is named as given; the file's are checked with the rest.
        rognito_access::RateLimits::new(true, &self.rate_limit)
            .map_err(|e| anyhow::anyhow!("--rate-limit: {e}"))?;
        config.rate_limits.categories.extend(self.rate_limit);
        let secret = std::env::var("ROGNITO_SECRET_ACCESS_KEY").ok();
        if let Some(secret) = secret.or(self.secret_access_key) {
            config.server.secret_access_key = Some(secret.into());
            config.given(
                "server.secret_access_key",
                Origin::Env("ROGNITO_SECRET_ACCESS_KEY"),
            );
        }
        Ok(config)
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
