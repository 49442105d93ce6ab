//! Where the master key comes from: `ROGNITO_MASTER_KEY` (base64), else the key file, else — for
//! memory durability, where nothing outlives the process — a random key. A key file is created
//! only for a database that holds nothing sealed yet, and only by the server; the database's
//! check value (see `rognito_ops::key_check`) then refuses any other key, naming its source.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rognito_ops::MasterKey;
use rognito_ops::key_check::{KeyCheckError, KeyState};
use rognito_store::{Durability, Store};

/// Where the key in use came from.
#[derive(Debug, Clone)]
pub enum KeySource {
    Environment,
    File(PathBuf),
    /// Random, for `--durability memory`.
    Ephemeral,
}

impl fmt::Display for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeySource::Environment => f.write_str("ROGNITO_MASTER_KEY"),
            KeySource::File(path) => write!(f, "master key file {}", path.display()),
            KeySource::Ephemeral => f.write_str("the random key of this memory-only run"),
        }
    }
}

/// A master key and where it came from.
pub struct LoadedKey {
    pub key: MasterKey,
    pub source: KeySource,
    /// The key file this call created, which a failed start must remove.
    pub created: Option<PathBuf>,
}

/// Who is asking: only a server starting on a fresh database may make a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    Server,
    Cli,
}

/// Loads the master key for a database in `state`.
///
/// Errors, each naming the key source and what to do: `ROGNITO_MASTER_KEY` not base64 or not
/// 32 bytes; the key file unreadable or not 32 bytes; the key file missing while the database
/// holds sealed secrets (or, for the CLI, missing at all: the CLI never makes a key).
pub fn load(
    file: &Path,
    durability: Durability,
    state: KeyState,
    caller: Caller,
) -> anyhow::Result<LoadedKey> {
    if let Ok(encoded) = std::env::var("ROGNITO_MASTER_KEY") {
        let bytes = STANDARD
            .decode(encoded.trim())
            .context("ROGNITO_MASTER_KEY is not base64")?;
        let key =
            from_bytes(&bytes).context("ROGNITO_MASTER_KEY must be 32 bytes, base64-encoded")?;
        return Ok(LoadedKey {
            key,
            source: KeySource::Environment,
            created: None,
        });
    }
    if durability == Durability::Memory {
        return Ok(LoadedKey {
            key: MasterKey::random().map_err(|_| anyhow::anyhow!("cannot make a master key"))?,
            source: KeySource::Ephemeral,
            created: None,
        });
    }
    let source = KeySource::File(file.to_owned());
    match std::fs::read(file) {
        Ok(bytes) => Ok(LoadedKey {
            key: from_bytes(&bytes)
                .with_context(|| format!("{source} must hold exactly 32 bytes"))?,
            source,
            created: None,
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => match (caller, state) {
            (Caller::Server, KeyState::Fresh) => {
                let key = create(file)?;
                Ok(LoadedKey {
                    key,
                    source,
                    created: Some(file.to_owned()),
                })
            }
            (Caller::Server, KeyState::Sealed) => bail!(
                "{source} does not exist, but the database holds secrets sealed with a master \
                 key. Restore that key file from your backup (or set ROGNITO_MASTER_KEY to the \
                 key, base64): a new key could open none of them, so rognito will not make one"
            ),
            (Caller::Cli, _) => bail!(
                "{source} does not exist. The CLI uses the server's master key and never makes \
                 one: pass the server's key with --master-key-file or ROGNITO_MASTER_KEY (start \
                 the server once first on a new data dir)"
            ),
        },
        Err(e) => Err(e).with_context(|| format!("cannot read {source}")),
    }
}

/// Checks the key against the database (recording its check value on first use).
///
/// Errors: the key is not the one the database's secrets were sealed with (the message names
/// the key's source and says how to recover), or the database cannot be read.
pub async fn verify(
    store: &dyn Store,
    loaded: &LoadedKey,
    location: &str,
    caller: Caller,
) -> anyhow::Result<()> {
    match rognito_ops::key_check::verify_or_record(store, &loaded.key).await {
        Ok(()) => Ok(()),
        Err(KeyCheckError::WrongKey) => bail!(
            "the master key from {} cannot open the secrets in {location}: it is not the key \
             they were sealed with. Use the original key (restore the key file, or set \
             ROGNITO_MASTER_KEY to it; every node sharing a database needs the same key); {}",
            loaded.source,
            match caller {
                Caller::Server => "rognito will not start with another",
                Caller::Cli => "the CLI works only with the server's key",
            }
        ),
        Err(KeyCheckError::Store(e)) => {
            Err(e).context("cannot read the master key's check value from the database")
        }
    }
}

fn from_bytes(bytes: &[u8]) -> anyhow::Result<MasterKey> {
    let Ok(key) = <[u8; 32]>::try_from(bytes) else {
        bail!("expected 32 bytes, found {}", bytes.len());
    };
    MasterKey::new(&key).map_err(|_| anyhow::anyhow!("unusable master key"))
}

fn create(file: &Path) -> anyhow::Result<MasterKey> {
    let mut key = [0u8; 32];
    aws_lc_rs::rand::fill(&mut key).map_err(|_| anyhow::anyhow!("no randomness"))?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut out = options
        .open(file)
        .with_context(|| format!("cannot create master key file {}", file.display()))?;
    if let Err(e) = out.write_all(&key).and_then(|()| out.sync_all()) {
        let _ = std::fs::remove_file(file);
        return Err(e).with_context(|| format!("cannot write master key file {}", file.display()));
    }
    tracing::info!(file = %file.display(), "created a new master key; back it up with the data dir");
    from_bytes(&key)
}
