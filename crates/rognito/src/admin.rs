//! `rognito identity ...` and `rognito policy ...`: manage who may call the API, on the same
//! data dir a server uses (a running server sees changes within a few seconds).

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Subcommand};
use rognito_access::{Gateway, RateLimits};
use rognito_ops::{OpsConfig, Quotas};
use rognito_store::{Durability, SeedStore, StoreConfig};

use crate::master_key::Caller;

#[derive(Debug, Args)]
pub struct StoreArgs {
    /// The server's data directory.
    #[arg(long, env = "ROGNITO_DATA_DIR", default_value = "rognito-data")]
    pub data_dir: PathBuf,
    /// The master key file [default: <data-dir>/master.key]; ROGNITO_MASTER_KEY overrides.
    #[arg(long, env = "ROGNITO_MASTER_KEY_FILE")]
    pub master_key_file: Option<PathBuf>,
    /// The account to work in.
    #[arg(long, env = "ROGNITO_ACCOUNT_ID", default_value = "000000000000")]
    pub account_id: String,
    /// The server's region (`seed`: the pools' region; `identity create`: the
    /// `AWS_DEFAULT_REGION` line printed with a new key).
    #[arg(long, env = "ROGNITO_REGION", default_value = "us-east-1")]
    pub region: String,
}

#[derive(Debug, Subcommand)]
pub enum IdentityCommand {
    /// Create an identity with an access key; prints the key once.
    Create {
        #[arg(long)]
        name: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List identities (all accounts unless --account-id is given) with their keys and policies.
    List {
        #[arg(long, env = "ROGNITO_DATA_DIR", default_value = "rognito-data")]
        data_dir: PathBuf,
        #[arg(long, env = "ROGNITO_MASTER_KEY_FILE")]
        master_key_file: Option<PathBuf>,
        #[arg(long)]
        account_id: Option<String>,
    },
    /// Delete an identity, its keys and policies.
    Delete {
        #[arg(long)]
        name: String,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Attach (or replace) a named IAM policy document (a file, or - for stdin) to an identity.
    Attach {
        #[arg(long)]
        identity: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        document: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Detach a named policy from an identity.
    Detach {
        #[arg(long)]
        identity: String,
        #[arg(long)]
        name: String,
        #[command(flatten)]
        store: StoreArgs,
    },
}

fn check_account(account_id: &str) -> anyhow::Result<()> {
    if account_id.len() != 12 || !account_id.bytes().all(|b| b.is_ascii_digit()) {
        anyhow::bail!("--account-id {account_id:?} must be 12 digits (like 000000000000)");
    }
    Ok(())
}

/// Opens the data dir's store with the server's master key. Only `seed`, which prepares a data
/// dir for a server, may make a key (on a database that holds nothing sealed); the other
/// commands refuse to run without the server's key.
async fn open(
    data_dir: &std::path::Path,
    master_key_file: Option<PathBuf>,
    caller: crate::master_key::Caller,
    region: &str,
) -> anyhow::Result<(Arc<dyn SeedStore>, Gateway)> {
    if !data_dir.is_dir() {
        anyhow::bail!(
            "data dir {} does not exist (start the server once, or pass --data-dir)",
            data_dir.display()
        );
    }
    let store = rognito_store::open_for_seeding(&StoreConfig::Sqlite {
        data_dir: data_dir.to_owned(),
        durability: Durability::Fsync,
    })
    .await
    .with_context(|| format!("cannot open the database in {}", data_dir.display()))?;
    let key_file = master_key_file.unwrap_or_else(|| data_dir.join("master.key"));
    let state = rognito_ops::key_check::key_state(store.as_ref())
        .await
        .context("cannot read the database")?;
    let master = crate::master_key::load(&key_file, Durability::Fsync, state, caller)?;
    crate::master_key::verify(store.as_ref(), &master, data_dir, caller).await?;
    let master = master.key;
    let gateway = Gateway::open(
        store.clone() as Arc<dyn rognito_store::Store>,
        OpsConfig {
            region: region.to_owned(),
            quotas: Quotas::default(),
            issuer_base: String::new(),
            public_url: String::new(),
        },
        Arc::new(master),
        RateLimits::disabled(),
        None,
    )
    .await?;
    Ok((store, gateway))
}

pub async fn identity(command: IdentityCommand) -> anyhow::Result<()> {
    match command {
        IdentityCommand::Create { name, store } => {
            check_account(&store.account_id)?;
            let (db, ops) = open(
                &store.data_dir,
                store.master_key_file,
                Caller::Cli,
                &store.region,
            )
            .await?;
            let key = ops
                .identities()
                .create_identity(&store.account_id, &name)
                .await;
            db.close().await;
            let key = key?;
            println!(
                "created identity {name} ({}); its secret is shown only now:\n\n    export \
                 AWS_ACCESS_KEY_ID={}\n    export AWS_SECRET_ACCESS_KEY={}\n    export \
                 AWS_DEFAULT_REGION={}\n\nIt may do nothing until a policy is attached: rognito \
                 policy attach --identity {name} ...",
                rognito_access::user_arn(&store.account_id, &name),
                key.access_key_id,
                secrecy::ExposeSecret::expose_secret(&key.secret_access_key),
                store.region
            );
        }
        IdentityCommand::List {
            data_dir,
            master_key_file,
            account_id,
        } => {
            if let Some(account) = &account_id {
                check_account(account)?;
            }
            let (db, ops) = open(&data_dir, master_key_file, Caller::Cli, "us-east-1").await?;
            let identities = ops.identities().identities(account_id.as_deref()).await;
            db.close().await;
            for (identity, keys, policies) in identities? {
                println!(
                    "{}\tkeys: {}\tpolicies: {}",
                    rognito_access::user_arn(&identity.account_id, &identity.user_name),
                    keys.join(","),
                    policies.join(",")
                );
            }
        }
        IdentityCommand::Delete { name, store } => {
            check_account(&store.account_id)?;
            let (db, ops) = open(
                &store.data_dir,
                store.master_key_file,
                Caller::Cli,
                &store.region,
            )
            .await?;
            let deleted = ops
                .identities()
                .delete_identity(&store.account_id, &name)
                .await;
            db.close().await;
            deleted?;
            println!("deleted identity {name}");
        }
    }
    Ok(())
}

pub async fn policy(command: PolicyCommand) -> anyhow::Result<()> {
    match command {
        PolicyCommand::Attach {
            identity,
            name,
            document,
            store,
        } => {
            check_account(&store.account_id)?;
            let text = if document.as_os_str() == "-" {
                std::io::read_to_string(std::io::stdin())?
            } else {
                std::fs::read_to_string(&document)
                    .with_context(|| format!("cannot read {}", document.display()))?
            };
            let (db, ops) = open(
                &store.data_dir,
                store.master_key_file,
                Caller::Cli,
                &store.region,
            )
            .await?;
            let attached = ops
                .identities()
                .attach_policy(&store.account_id, &identity, &name, &text)
                .await;
            db.close().await;
            for action in attached? {
                eprintln!(
                    "warning: {action} is no Cognito operation, so it matches nothing (a typo?)"
                );
            }
            println!("attached policy {name} to {identity}");
        }
        PolicyCommand::Detach {
            identity,
            name,
            store,
        } => {
            check_account(&store.account_id)?;
            let (db, ops) = open(
                &store.data_dir,
                store.master_key_file,
                Caller::Cli,
                &store.region,
            )
            .await?;
            let detached = ops
                .identities()
                .detach_policy(&store.account_id, &identity, &name)
                .await;
            db.close().await;
            if !detached? {
                anyhow::bail!("identity {identity} has no policy {name}");
            }
            println!("detached policy {name} from {identity}");
        }
    }
    Ok(())
}

/// `rognito seed`: loads many pools quickly, for the benchmark's scale scenario.
#[derive(Debug, Args)]
pub struct SeedArgs {
    /// Pools to add (ids `<region>_s00000000`, `<region>_s00000001`, ...).
    #[arg(long)]
    pub pools: u64,
    /// Resource servers per pool (`rs-00`, `rs-01`, ...).
    #[arg(long, default_value_t = 25)]
    pub resource_servers: u32,
    /// Number of the first pool (to add more to an earlier seed).
    #[arg(long, default_value_t = 0)]
    pub first: u64,
    #[command(flatten)]
    pub store: StoreArgs,
}

pub async fn seed(args: SeedArgs) -> anyhow::Result<()> {
    check_account(&args.store.account_id)?;
    // As the server makes it: readable by its owner only.
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(&args.store.data_dir)?;
    let (db, gateway) = open(
        &args.store.data_dir,
        args.store.master_key_file,
        crate::master_key::Caller::Server,
        &args.store.region,
    )
    .await?;
    let started = std::time::Instant::now();
    let batch = 2_000;
    let mut done = 0;
    while done < args.pools {
        let n = batch.min(args.pools - done);
        gateway
            .ops()
            .seed(
                db.as_ref(),
                &args.store.account_id,
                args.first + done,
                n,
                args.resource_servers,
            )
            .await?;
        done += n;
    }
    db.close().await;
    println!(
        "seeded {} pools with {} resource servers each in {:.1} s",
        args.pools,
        args.resource_servers,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
