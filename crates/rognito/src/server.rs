//! Startup, the HTTP router and graceful shutdown.

use std::future::Future;
use std::sync::Arc;

use anyhow::Context;
use async_trait::async_trait;
use rognito_access::audit::AuditLog;
use rognito_access::{Gateway, Identities, RateLimits, RootKey};
use rognito_ops::OpsConfig;
use rognito_protocol::{
    AuthMode, CredentialSource, JsonProtocol, Principal, SigV4Authenticator, WireError,
};
use rognito_store::Durability;
use secrecy::{ExposeSecret, SecretString};
use tokio::net::TcpListener;

use crate::config::{AuthArg, ServerConfig};
use crate::data_dir::{Created, DataDir, Startup};
use crate::http::{AppState, router};

/// A request head (request line and headers) larger than this is refused.
const MAX_HEADER_BYTES: usize = 16 * 1024;
/// As are requests with more headers than this.
const MAX_HEADERS: usize = 64;

/// Runs the server until `shutdown` completes, then lets in-flight requests finish and closes
/// the store. Fails fast, with a message saying what to change, when the address is taken or
/// the data directory cannot be used.
pub async fn run(
    config: ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    // Bind and read the TLS files first: a taken port or a bad certificate fails before
    // anything is created on disk.
    let listener = TcpListener::bind(config.listen).await.with_context(|| {
        format!(
            "cannot listen on {} ({}); is another server using it? choose another address",
            config.listen, config.listen_origin
        )
    })?;
    let addr = listener.local_addr()?;
    let tls = match &config.tls {
        Some((cert, key)) => Some(crate::listener::tls_acceptor(cert, key)?),
        None => None,
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    // Whatever this start creates is removed again if it fails (before the lock is released).
    let mut startup = Startup::default();
    let memory = config.store.durability == Durability::Memory;
    if !memory {
        startup.data_dir = Some(DataDir::open(&config.store.data_dir, &mut startup.created)?);
    }
    let created = &mut startup.created;
    let audit = match &config.audit_log {
        Some(path) => {
            if path.as_os_str() != "-" && !path.exists() {
                created.file(path.clone());
            }
            Some(Arc::new(
                AuditLog::open(path, &config.region, config.audit_fail_closed)
                    .with_context(|| format!("cannot open the audit log {}", path.display()))?,
            ))
        }
        None => None,
    };
    if !memory && config.store.postgres.is_none() {
        let database = config.store.data_dir.join(rognito_store::DATABASE_FILE);
        if !database.exists() {
            for suffix in ["", "-wal", "-shm"] {
                let mut name = database.clone().into_os_string();
                name.push(suffix);
                created.file(name.into());
            }
        }
    }
    let store = rognito_store::open(&config.store.engine())
        .await
        .with_context(|| format!("cannot open {}", config.store.location()))?;
    let started = start(&config, store.clone(), created, addr, scheme, audit.clone()).await;
    let app = match started {
        Ok(app) => app,
        Err(e) => {
            store.close().await;
            return Err(e);
        }
    };
    created.commit();

    if memory {
        tracing::info!(
            "rognito listening on {scheme}://{addr} (memory durability: nothing is written to disk)"
        );
    } else if let Some(postgres) = &config.store.postgres {
        tracing::info!(
            store = %postgres.url,
            data_dir = %config.store.data_dir.display(),
            "rognito listening on {scheme}://{addr}"
        );
    } else {
        tracing::info!(
            durability = ?config.store.durability,
            data_dir = %config.store.data_dir.display(),
            "rognito listening on {scheme}://{addr}"
        );
    }
    crate::listener::serve(
        listener,
        app,
        tls,
        crate::listener::ConnectionLimits {
            max_header_bytes: MAX_HEADER_BYTES,
            max_headers: MAX_HEADERS,
            header_timeout: config.idle_timeout,
            drain_timeout: config.request_timeout,
            max_connections: config.max_connections,
        },
        shutdown,
    )
    .await;
    store.close().await;
    if let Some(audit) = audit {
        // Lines gather for a few milliseconds before they are written; write the last ones.
        tokio::task::spawn_blocking(move || audit.flush(std::time::Duration::from_secs(5)))
            .await
            .ok();
    }
    tracing::info!("rognito stopped");
    Ok(())
}

/// Everything between opening the store and serving: the master key and its check, the
/// control plane, the root identity, the router.
async fn start(
    config: &ServerConfig,
    store: Arc<dyn rognito_store::Store>,
    created: &mut Created,
    addr: std::net::SocketAddr,
    scheme: &str,
    audit: Option<Arc<AuditLog>>,
) -> anyhow::Result<axum::Router> {
    let state = rognito_ops::key_check::key_state(store.as_ref())
        .await
        .context("cannot read the database")?;
    let master = crate::master_key::load(
        &config.store.master_key_file,
        config.store.durability,
        state,
        crate::master_key::Caller::Server,
    )?;
    if let Some(path) = &master.created {
        created.file(path.clone());
    }
    crate::master_key::verify(
        store.as_ref(),
        &master,
        &config.store.location(),
        crate::master_key::Caller::Server,
    )
    .await?;
    let public_url = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("{scheme}://{addr}"));
    let issuer_base = config
        .issuer_base
        .clone()
        .unwrap_or_else(|| public_url.clone());
    let mode = match config.auth {
        AuthArg::Sigv4 => AuthMode::SigV4,
        AuthArg::Dev => {
            tracing::warn!(
                "--auth dev: any well-formed signature is accepted, with any key; use it only for \
                 throwaway local work"
            );
            AuthMode::Dev
        }
    };
    let master = Arc::new(master.key);
    // The signatures' key cache follows the change feed before the gateway's caches do: a
    // deleted key is forgotten before its identity's policies, so it is refused as unknown
    // (UnrecognizedClientException) rather than, for a moment, as denied.
    let authenticator = Arc::new(SigV4Authenticator::new(
        mode,
        config.region.clone(),
        config.account_id.as_str().into(),
        Arc::new(StoreCredentials(Identities::new(
            store.clone(),
            master.clone(),
            Arc::new(rognito_model::SystemClock),
        ))),
    ));
    store
        .subscribe(Arc::new(AccessKeyFeed(authenticator.clone())))
        .context("cannot follow the change feed")?;
    let gateway = Arc::new(
        Gateway::open(
            store.clone(),
            OpsConfig {
                region: config.region.clone(),
                quotas: config.quotas.clone(),
                issuer_base: issuer_base.trim_end_matches('/').to_owned(),
                public_url,
                password_hashing: config.password_hashing,
            },
            master,
            RateLimits::new(config.rate_limits_enabled, &config.rate_limit_overrides)
                .map_err(|e| anyhow::anyhow!(e))?,
            audit,
        )
        .await
        .context("cannot initialise the control plane")?,
    );
    // In dev mode no key is needed: one is made (and shown) when the server first runs with
    // --auth sigv4.
    if mode == AuthMode::SigV4 || config.root_key.is_some() {
        let root = gateway
            .identities()
            .ensure_root_identity(&config.account_id, config.root_key.clone())
            .await
            .context("cannot set up the root identity")?;
        announce_root_key(config, root);
    }
    let protocol = JsonProtocol::new(gateway.clone(), authenticator);
    Ok(router(
        Arc::new(AppState {
            protocol,
            gateway,
            max_body_bytes: config.max_body_bytes,
            trusted_proxies: config.trusted_proxies.clone(),
            store: store.clone(),
        }),
        config.request_timeout,
    ))
}

/// Shows a generated root key once (stdout, never the log), and warns when configured
/// credentials replaced the root identity's key.
fn announce_root_key(config: &ServerConfig, root: RootKey) {
    match root {
        RootKey::Unchanged => {}
        RootKey::Generated(key) => {
            let lifetime = if config.store.durability == Durability::Memory {
                "they last as long as this process (memory durability)"
            } else {
                "they are shown only now"
            };
            let text = format!(
                "rognito generated credentials for identity {} of account {}; {lifetime}:\n\n    \
                 export AWS_ACCESS_KEY_ID={}\n    export AWS_SECRET_ACCESS_KEY={}\n    \
                 export AWS_DEFAULT_REGION={}\n",
                rognito_access::ROOT_USER,
                config.account_id,
                key.access_key_id,
                key.secret_access_key.expose_secret(),
                config.region
            );
            // Standard output is the audit stream with `--audit-log -`: the secret must not
            // enter it. It goes to a private file in the data dir instead (or, with nothing on
            // disk, to the terminal's standard error).
            if config.audit_log.as_deref() == Some(std::path::Path::new("-")) {
                let file = config.store.data_dir.join("root-credentials");
                let written = config.store.durability != Durability::Memory
                    && write_private(&file, &text).is_ok();
                if written {
                    tracing::warn!(
                        file = %file.display(),
                        "the audit log is standard output, so the generated root credentials \
                         were written to this file (mode 0600): read them, then delete it"
                    );
                } else {
                    eprintln!("{text}");
                }
            } else {
                println!("{text}");
            }
        }
        RootKey::Replaced { previous } => tracing::warn!(
            previous = %previous.join(","),
            "ROGNITO_ACCESS_KEY_ID and ROGNITO_SECRET_ACCESS_KEY replaced the root identity's \
             access key; the previous key no longer works"
        ),
    }
}

/// Writes `text` to a new file only its owner can read (0600 on Unix).
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

/// Deleted access keys (their identity was deleted, by this process or by the CLI) leave the
/// authenticator's cache as the change feed reports them.
struct AccessKeyFeed(Arc<SigV4Authenticator>);

impl rognito_store::ChangeListener for AccessKeyFeed {
    fn apply(&self, changes: &[rognito_store::Change]) {
        for change in changes {
            match change {
                rognito_store::Change::Identity { access_keys, .. } => {
                    self.0.forget_access_keys(access_keys);
                }
                rognito_store::Change::Everything => self.0.forget_all_access_keys(),
                _ => {}
            }
        }
    }
}

/// Access keys come from the store, through the identities (which hold the master key).
struct StoreCredentials(Identities);

#[async_trait]
impl CredentialSource for StoreCredentials {
    async fn credentials(
        &self,
        access_key_id: &str,
    ) -> Result<Option<(Principal, SecretString)>, WireError> {
        let found = self.0.access_key_secret(access_key_id).await?;
        Ok(found.map(|(account_id, user_name, secret)| {
            (
                Principal {
                    arn: Some(rognito_access::user_arn(&account_id, &user_name)),
                    account_id,
                    user_name: Some(user_name),
                },
                secret,
            )
        }))
    }
}

/// A future that completes on SIGINT (Ctrl-C) or SIGTERM. The handlers are installed by this
/// call (it must run inside the runtime), not when the future is first polled: a signal that
/// arrives as soon as the server says it is listening is then a graceful stop, never the
/// default action of killing the process.
///
/// Errors: the signal handlers cannot be installed.
pub fn shutdown_signal() -> std::io::Result<impl Future<Output = ()> + Send + 'static> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut terminate = signal(SignalKind::terminate())?;
        Ok(async move {
            tokio::select! {
                _ = interrupt.recv() => {},
                _ = terminate.recv() => {},
            }
            tracing::info!("shutting down: finishing in-flight requests");
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
            tracing::info!("shutting down: finishing in-flight requests");
        })
    }
}
