//! Startup, the HTTP router and graceful shutdown.

use std::future::Future;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use async_trait::async_trait;
use rognito_ops::{Cognito, OpsConfig};
use rognito_protocol::audit::AuditLog;
use rognito_protocol::{
    AuthMode, CredentialSource, JsonProtocol, Principal, SecretAccessKey, SigV4Authenticator,
    WireError,
};
use rognito_store::{Durability, ServerStore, SqliteStore};
use tokio::net::TcpListener;

use crate::config::{AuthArg, ServerConfig};
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
    if config.durability != Durability::Memory {
        prepare_data_dir(&config.data_dir)?;
    }
    let listener = TcpListener::bind(config.listen).await.with_context(|| {
        format!(
            "cannot listen on {}; is another server using it? choose another with --listen",
            config.listen
        )
    })?;
    let addr = listener.local_addr()?;
    let tls = match &config.tls {
        Some((cert, key)) => Some(crate::listener::tls_acceptor(cert, key)?),
        None => None,
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    let store = Arc::new(
        SqliteStore::open(&config.data_dir, config.durability)
            .await
            .with_context(|| {
                format!(
                    "cannot open the database in data dir {}",
                    config.data_dir.display()
                )
            })?,
    );
    let master = crate::master_key::load(&config.master_key_file, config.durability)?;
    let public_url = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("{scheme}://{addr}"));
    let issuer_base = config
        .issuer_base
        .clone()
        .unwrap_or_else(|| public_url.clone());
    let ops = Arc::new(
        Cognito::new(
            store.clone(),
            OpsConfig {
                region: config.region.clone(),
                quotas: config.quotas.clone(),
                issuer_base: issuer_base.trim_end_matches('/').to_owned(),
                public_url,
            },
            master,
            rognito_ops::rate_limits::RateLimits::new(
                config.rate_limits_enabled,
                &config.rate_limit_overrides,
            )
            .map_err(|e| anyhow::anyhow!(e))?,
        )
        .await
        .context("cannot initialise the control plane")?,
    );
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
    if let Some(key) = ops
        .ensure_root_identity(&config.account_id, config.root_key.clone())
        .await
        .context("cannot set up the root identity")?
    {
        // Shown once, on stdout (never in the log): the credentials of the new root identity.
        println!(
            "rognito generated credentials for identity {} of account {}; they are shown only \
             now:\n\n    export AWS_ACCESS_KEY_ID={}\n    export AWS_SECRET_ACCESS_KEY={}\n    \
             export AWS_DEFAULT_REGION={}\n",
            rognito_ops::ROOT_USER,
            config.account_id,
            key.access_key_id,
            key.secret_access_key,
            config.region
        );
    }
    let authenticator = SigV4Authenticator::new(
        mode,
        config.region.clone(),
        config.account_id.clone(),
        Arc::new(StoreCredentials(ops.clone())),
    );
    let audit = match &config.audit_log {
        Some(path) => Some(Arc::new(AuditLog::open(path).with_context(|| {
            format!("cannot open the audit log {}", path.display())
        })?)),
        None => None,
    };
    let protocol = JsonProtocol::new(ops.clone(), Arc::new(authenticator), audit.clone());
    let app = router(
        Arc::new(AppState {
            protocol,
            ops,
            audit: audit.clone(),
            region: config.region.clone(),
            max_body_bytes: config.max_body_bytes,
        }),
        config.request_timeout,
    );

    tracing::info!(
        durability = ?config.durability,
        data_dir = %config.data_dir.display(),
        "rognito listening on {scheme}://{addr}"
    );
    crate::listener::serve(
        listener,
        app,
        tls,
        crate::listener::ConnectionLimits {
            max_header_bytes: MAX_HEADER_BYTES,
            max_headers: MAX_HEADERS,
            header_timeout: config.idle_timeout,
            drain_timeout: config.request_timeout,
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

fn prepare_data_dir(dir: &Path) -> anyhow::Result<()> {
    let unusable = || format!("data dir {} is unusable", dir.display());
    std::fs::create_dir_all(dir).with_context(unusable)?;
    // Prove we can write there now rather than on the first request.
    let probe = dir.join(".rognito-write-check");
    std::fs::write(&probe, b"ok").with_context(unusable)?;
    std::fs::remove_file(&probe).with_context(unusable)?;
    Ok(())
}

/// Access keys come from the store, through the operations layer (which holds the master key).
struct StoreCredentials(Arc<Cognito>);

#[async_trait]
impl CredentialSource for StoreCredentials {
    async fn credentials(
        &self,
        access_key_id: &str,
    ) -> Result<Option<(Principal, SecretAccessKey)>, WireError> {
        let found = self.0.access_key_secret(access_key_id).await?;
        Ok(found.map(|(account_id, user_name, secret)| {
            (
                Principal {
                    arn: Some(rognito_ops::user_arn(&account_id, &user_name)),
                    account_id,
                    user_name: Some(user_name),
                },
                SecretAccessKey(secret),
            )
        }))
    }
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
