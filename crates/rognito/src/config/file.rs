//! The TOML file named by `--config`: one table per section of [`Config`].

use std::path::Path;

use anyhow::{Context, bail};
use serde::{Deserialize, Deserializer};

use super::{Config, Origin};

/// The file's sections.
const SECTIONS: [&str; 6] = ["server", "store", "quotas", "rate_limits", "tls", "audit"];

/// The keys of the flat file rognito read before the sections, and where each went:
/// (old key, section, key).
const MOVED: &[(&str, &str, &str)] = &[
    ("listen", "server", "listen"),
    ("public_url", "server", "public_url"),
    ("issuer_base", "server", "issuer_base"),
    ("request_timeout", "server", "request_timeout"),
    ("idle_timeout", "server", "idle_timeout"),
    ("max_body_bytes", "server", "max_body_bytes"),
    ("max_connections", "server", "max_connections"),
    ("trusted_proxies", "server", "trusted_proxies"),
    ("region", "server", "region"),
    ("account_id", "server", "account_id"),
    ("auth", "server", "auth"),
    ("access_key_id", "server", "access_key_id"),
    ("secret_access_key", "server", "secret_access_key"),
    ("data_dir", "store", "data_dir"),
    ("durability", "store", "durability"),
    ("master_key_file", "store", "master_key_file"),
    ("rate_limits", "rate_limits", "mode"),
    ("rate_limit", "rate_limits", "categories"),
    ("tls_cert", "tls", "cert"),
    ("tls_key", "tls", "key"),
    ("audit_log", "audit", "log"),
    ("audit_failure", "audit", "failure"),
];

impl Config {
    /// The file at `path` over the defaults; the defaults alone without a file.
    pub fn load(path: Option<&Path>) -> anyhow::Result<Config> {
        let Some(path) = path else {
            return Ok(Config::default());
        };
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config file {}", path.display()))?;
        let invalid = || format!("invalid config file {}", path.display());
        let table: toml::Table = toml::from_str(&text).with_context(invalid)?;
        refuse_moved_keys(&table, path)?;
        let mut config: Config = toml::from_str(&text).with_context(invalid)?;
        for (section, value) in &table {
            for key in value.as_table().into_iter().flat_map(|t| t.keys()) {
                let key = format!("{section}.{key}");
                config.given(&key, Origin::File(key.clone(), path.to_owned()));
            }
        }
        Ok(config)
    }
}

/// A key of the flat file is refused with the place it moved to, rather than as unknown.
fn refuse_moved_keys(table: &toml::Table, path: &Path) -> anyhow::Result<()> {
    let moved: Vec<String> = table
        .iter()
        .filter(|(key, value)| !(SECTIONS.contains(&key.as_str()) && value.is_table()))
        .filter_map(|(key, _)| MOVED.iter().find(|(old, _, _)| old == key))
        .map(|(old, section, key)| {
            format!(
                "`{old}` in {}: moved to `{key}` under `[{section}]`",
                path.display()
            )
        })
        .collect();
    if !moved.is_empty() {
        bail!("{}", moved.join("; "));
    }
    Ok(())
}

/// `listen`: `"HOST:PORT"` or a bare port number (`listen = 9300`).
pub(super) fn listen<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Listen {
        Text(String),
        Port(u16),
    }
    Ok(match Listen::deserialize(deserializer)? {
        Listen::Text(text) => text,
        Listen::Port(port) => port.to_string(),
    })
}
