//! Where the master key comes from: `ROGNITO_MASTER_KEY` (base64), else the key file (created
//! with a random key, readable by the owner only, on first start), else — for memory durability,
//! where nothing outlives the process — a random key.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rognito_ops::MasterKey;
use rognito_store::Durability;

pub fn load(file: &Path, durability: Durability) -> anyhow::Result<MasterKey> {
    if let Ok(encoded) = std::env::var("ROGNITO_MASTER_KEY") {
        let bytes = STANDARD
            .decode(encoded.trim())
            .context("ROGNITO_MASTER_KEY is not base64")?;
        return from_bytes(&bytes).context("ROGNITO_MASTER_KEY must be 32 bytes, base64-encoded");
    }
    if durability == Durability::Memory {
        return MasterKey::random().map_err(|_| anyhow::anyhow!("cannot make a master key"));
    }
    match std::fs::read(file) {
        Ok(bytes) => from_bytes(&bytes).with_context(|| {
            format!(
                "master key file {} must hold exactly 32 bytes",
                file.display()
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => create(file),
        Err(e) => Err(e).with_context(|| format!("cannot read master key file {}", file.display())),
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
    out.write_all(&key)
        .and_then(|()| out.sync_all())
        .with_context(|| format!("cannot write master key file {}", file.display()))?;
    tracing::info!(file = %file.display(), "created a new master key; back it up with the data dir");
    from_bytes(&key)
}
