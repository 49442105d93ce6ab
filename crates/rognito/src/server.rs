//! Startup, the HTTP router and graceful shutdown.

use std::future::Future;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use rognito_ops::{Cognito, OpsConfig};
use rognito_protocol::{AcceptUnverified, JsonProtocol};
use rognito_store::{Durability, ServerStore, SqliteStore};
use tokio::net::TcpListener;

use crate::config::ServerConfig;
use crate::http::{AppState, router};

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
        .unwrap_or_else(|| format!("http://{addr}"));
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
        )
        .await
        .context("cannot initialise the control plane")?,
    );
    let protocol = JsonProtocol::new(
        ops.clone(),
        Arc::new(AcceptUnverified {
            account_id: config.account_id.clone(),
        }),
    );
    let app = router(Arc::new(AppState {
        protocol,
        ops,
        max_body_bytes: config.max_body_bytes,
    }));

    tracing::info!(
        durability = ?config.durability,
        data_dir = %config.data_dir.display(),
        "rognito listening on http://{addr}"
    );
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    store.close().await;
    served.context("server error")?;
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
