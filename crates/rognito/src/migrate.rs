//! `rognito migrate --from DATA_DIR --to postgres://...`: moving from one node on the embedded
//! SQLite store to several sharing PostgreSQL. Holds the data dir's lock (no server may write
//! meanwhile), checks the master key against the source (the nodes will need that same key to
//! open the copied secrets), then has the store copy and verify everything
//! ([`rognito_store::copy_sqlite_to_postgres`]) and says what to do next.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use rognito_store::{CopyReport, Durability, PostgresOptions, PostgresUrl, StoreConfig};

use crate::config::{ConfigArg, Origin, SourceOf};
use crate::master_key::{Caller, KeySource};

/// `rognito migrate`'s arguments.
#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// The data dir of the SQLite deployment to copy (its server must be stopped).
    #[arg(long)]
    pub from: PathBuf,
    /// The PostgreSQL database to copy into, which must hold no rognito records:
    /// postgres://USER@HOST:PORT/DATABASE (with ?sslmode=require and &sslrootcert=FILE for
    /// TLS). Give a password in PGPASSWORD rather than here, where process listings show it.
    #[arg(long)]
    pub to: String,
    /// File holding the 32-byte master key the data dir's secrets are sealed with [default:
    /// the config file's store.master_key_file, else <from>/master.key]. ROGNITO_MASTER_KEY
    /// (base64) takes precedence over any file.
    #[arg(long, env = "ROGNITO_MASTER_KEY_FILE")]
    pub master_key_file: Option<PathBuf>,
    #[command(flatten)]
    pub file: ConfigArg,
}

/// Runs `rognito migrate`: prints the rows copied per table and the next steps.
///
/// Errors: the configuration is invalid; `--to` is no PostgreSQL URL; `--from` holds no
/// database or a server holds it; the master key is missing or does not open the source; the
/// target is not empty; the copy failed or did not read back the same (then nothing was
/// committed).
pub async fn migrate(args: MigrateArgs, source_of: SourceOf<'_>) -> anyhow::Result<()> {
    let mut config = args.file.load()?;
    // The file may be either deployment's: its data dir and URL are replaced by the flags.
    config.store.url = None;
    config.store.data_dir = args.from.clone();
    config.given("store.data_dir", Origin::Flag("from"));
    if let Some(file) = args.master_key_file {
        config.store.master_key_file = Some(file);
        let origin = match source_of("master_key_file") {
            Some(clap::parser::ValueSource::EnvVariable) => Origin::Env("ROGNITO_MASTER_KEY_FILE"),
            _ => Origin::Flag("master-key-file"),
        };
        config.given("store.master_key_file", origin);
    }
    config.check()?;
    let url = PostgresUrl::parse(&args.to).map_err(|e| anyhow::anyhow!("--to: {e}"))?;
    let from = &args.from;
    if !from.join(rognito_store::DATABASE_FILE).is_file() {
        anyhow::bail!(
            "--from {} holds no rognito database ({}): name the data dir the SQLite server ran \
             with",
            from.display(),
            rognito_store::DATABASE_FILE
        );
    }
    let _lock = crate::data_dir::DataDir::lock_existing(from)?;
    let key_source = check_master_key(&config).await?;
    eprintln!("rognito: copying {} to {url} ...", from.display());
    let report = rognito_store::copy_sqlite_to_postgres(from, &PostgresOptions::new(url.clone()))
        .await
        .with_context(|| format!("cannot migrate {} to {url}", from.display()))?;
    print!("{}", summary(&report, &url, &key_source));
    Ok(())
}

/// Loads the master key as the other admin commands do and checks it opens the source's key
/// check (recording the check value if the database predates it, so the target gets it too).
async fn check_master_key(config: &crate::config::Config) -> anyhow::Result<KeySource> {
    let settings = config.store_settings();
    let source = rognito_store::open(&StoreConfig::Sqlite {
        data_dir: settings.data_dir.clone(),
        durability: Durability::Fsync,
    })
    .await
    .with_context(|| format!("cannot open {}", settings.location()))?;
    let checked = async {
        let state = rognito_ops::key_check::key_state(source.as_ref())
            .await
            .context("cannot read the database")?;
        let key = crate::master_key::load(
            &settings.master_key_file,
            Durability::Fsync,
            state,
            Caller::Cli,
        )?;
        crate::master_key::verify(source.as_ref(), &key, &settings.location(), Caller::Cli).await?;
        anyhow::Ok(key.source)
    }
    .await;
    source.close().await;
    checked.context("nothing was copied")
}

/// The rows per table, and what to do next.
fn summary(report: &CopyReport, url: &PostgresUrl, key: &KeySource) -> String {
    let mut text = format!(
        "copied and verified {} rows (every row and column read back as the source holds \
         it):\n\n",
        report.total_rows()
    );
    for (table, rows) in &report.tables {
        text.push_str(&format!("    {table:<20} {rows:>10}\n"));
    }
    text.push_str(&format!(
        "\nNext: start each node with --store {url} (or ROGNITO_STORE; a password goes in\n\
         ROGNITO_STORE or PGPASSWORD) and the same master key, from {key}\n\
         (copy it to every node, or set ROGNITO_MASTER_KEY). Client secrets, access keys,\n\
         signing keys and pagination tokens keep working. Keep the SQLite data dir as a\n\
         backup, but start no server on it again: its changes would not reach the nodes.\n"
    ));
    text
}
