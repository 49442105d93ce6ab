//! The database's address, and how connections to it are made: libpq's URL form, with TLS
//! through rustls. With TLS the server's certificate and host name are always verified, against
//! the system's roots or the `sslrootcert` file (as libpq's `verify-full`).

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use tokio_postgres_rustls::MakeRustlsConnect;

use crate::StoreError;

/// A PostgreSQL URL (`postgres://` or `postgresql://`). Its `Display` and `Debug` leave out the
/// password, so it can be logged and shown in errors.
#[derive(Clone, PartialEq, Eq)]
pub struct PostgresUrl(String);

impl PostgresUrl {
    /// Whether `text` is a PostgreSQL URL (not whether it is a valid one: see `Connect`).
    pub fn is_postgres(text: &str) -> bool {
        text.starts_with("postgres://") || text.starts_with("postgresql://")
    }

    /// Checks the URL's form.
    ///
    /// Errors: a message (without the password) saying what is wrong.
    pub fn parse(text: &str) -> Result<Self, String> {
        if !Self::is_postgres(text) {
            return Err("a PostgreSQL URL starts with postgres:// or postgresql://".into());
        }
        let url = PostgresUrl(text.to_owned());
        let (rest, _) = url.split_root_cert();
        tokio_postgres::Config::from_str(&rest).map_err(|e| format!("{url}: {e}"))?;
        Ok(url)
    }

    /// The URL without `sslrootcert` (which the driver does not know), and that file.
    fn split_root_cert(&self) -> (String, Option<String>) {
        let Some((base, query)) = self.0.split_once('?') else {
            return (self.0.clone(), None);
        };
        let mut root = None;
        let mut kept = Vec::new();
        for pair in query.split('&') {
            match pair.split_once('=') {
                Some(("sslrootcert", file)) => root = Some(file.to_owned()),
                // The driver knows disable, prefer and require; rognito verifies the certificate
                // and host name in every TLS mode.
                Some(("sslmode", "verify-full" | "verify-ca")) => kept.push("sslmode=require"),
                _ => kept.push(pair),
            }
        }
        let rest = if kept.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        (rest, root)
    }
}

impl std::fmt::Display for PostgresUrl {
    /// `postgres://user@host:port/database`, without password or parameters.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (rest, _) = self.split_root_cert();
        let Ok(config) = tokio_postgres::Config::from_str(&rest) else {
            return f.write_str("postgres://(unreadable URL)");
        };
        let host = config
            .get_hosts()
            .first()
            .map(|h| match h {
                tokio_postgres::config::Host::Tcp(name) => name.clone(),
                tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
            })
            .unwrap_or_else(|| "localhost".into());
        let port = config.get_ports().first().copied().unwrap_or(5432);
        write!(
            f,
            "postgres://{}@{host}:{port}/{}",
            config.get_user().unwrap_or(""),
            config.get_dbname().unwrap_or("")
        )
    }
}

impl std::fmt::Debug for PostgresUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PostgresUrl({self})")
    }
}

/// What every connection is made with: the driver's settings and the TLS connector.
pub(crate) struct Connect {
    pub config: tokio_postgres::Config,
    pub tls: MakeRustlsConnect,
}

/// How long making a connection may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

impl Connect {
    /// Errors: `StoreError::Open` when the URL cannot be read or `sslrootcert` cannot be loaded.
    pub fn new(url: &PostgresUrl) -> Result<Self, StoreError> {
        let (rest, root) = url.split_root_cert();
        let mut config = tokio_postgres::Config::from_str(&rest)
            .map_err(|e| StoreError::Open(format!("the URL cannot be read: {e}")))?;
        // As libpq: a password not in the URL may come from PGPASSWORD (so it need not show in
        // a process listing or a config file).
        if config.get_password().is_none()
            && let Ok(password) = std::env::var("PGPASSWORD")
        {
            config.password(password);
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("rognito");
        }
        // A peer that vanished (host down, cable pulled) is noticed within a minute, not hours.
        config.keepalives(true);
        config.keepalives_idle(Duration::from_secs(30));
        Ok(Connect {
            config,
            tls: MakeRustlsConnect::new(client_config(root.as_deref())?),
        })
    }
}

fn client_config(root: Option<&str>) -> Result<rustls::ClientConfig, StoreError> {
    let mut roots = rustls::RootCertStore::empty();
    match root {
        Some(file) => {
            use rustls::pki_types::pem::PemObject;
            let certs = rustls::pki_types::CertificateDer::pem_file_iter(file)
                .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                .map_err(|e| StoreError::Open(format!("sslrootcert {file}: {e}")))?;
            for cert in certs {
                roots
                    .add(cert)
                    .map_err(|e| StoreError::Open(format!("sslrootcert {file}: {e}")))?;
            }
        }
        None => {
            // The system's roots; certificates it cannot parse are skipped, as browsers do.
            let found = rustls_native_certs::load_native_certs();
            roots.add_parsable_certificates(found.certs);
        }
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| StoreError::Open(format!("TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}
