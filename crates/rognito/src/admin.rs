//! `rognito identity ...` and `rognito policy ...`: manage who may call the API, on the same
//! data dir a server uses (a running server sees changes through the change feed, within
//! milliseconds). They read the same configuration as `serve` (`--config`, flags,
//! `ROGNITO_*`), the parts they use, and go through the same gateway: every change is recorded
//! in the audit log (IAM's event names: CreateUser, DeleteUser, PutUserPolicy,
//! DeleteUserPolicy), with the operating-system user who ran the command.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Subcommand};
use rognito_access::audit::AuditLog;
use rognito_access::{Gateway, Operator, RateLimits};
use rognito_ops::OpsConfig;
use rognito_store::SeedStore;

use crate::config::{AccountFlags, Config, ConfigArg, DurabilityArg, SourceOf, StoreFlags};
use crate::master_key::Caller;

/// `--config` and the store's settings: `identity list`'s (its `--account-id` only filters).
#[derive(Debug, Args)]
pub struct DataDirArgs {
    #[command(flatten)]
    pub file: ConfigArg,
    #[command(flatten)]
    pub store: StoreFlags,
}

impl DataDirArgs {
    /// The file with these flags and variables (and `account`'s) laid over it, checked.
    fn resolve(
        self,
        account: Option<AccountFlags>,
        source_of: SourceOf<'_>,
    ) -> anyhow::Result<Config> {
        let mut config = self.file.load()?;
        self.store.apply(&mut config, source_of);
        if let Some(account) = account {
            account.apply(&mut config, source_of);
        }
        checked(config)
    }
}

/// The settings of a command that works in one account of the data dir: the store's, the
/// region and the account, from the same configuration `serve` reads.
#[derive(Debug, Args)]
pub struct StoreArgs {
    #[command(flatten)]
    pub data_dir: DataDirArgs,
    #[command(flatten)]
    pub account: AccountFlags,
}

impl StoreArgs {
    fn resolve(self, source_of: SourceOf<'_>) -> anyhow::Result<Config> {
        self.data_dir.resolve(Some(self.account), source_of)
    }
}

/// Refuses what `serve` would refuse in the sections read (the file's other values are
/// checked alike, so a bad file fails the same way everywhere), and a store with nothing on
/// disk to work on.
fn checked(config: Config) -> anyhow::Result<Config> {
    config.check()?;
    if config.store.durability == DurabilityArg::Memory {
        anyhow::bail!(
            "{} memory keeps nothing on disk, so there is nothing here to work on: use fsync \
             or os, as the server does",
            config.origin("store.durability")
        );
    }
    Ok(config)
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
        /// Only this account's identities (a filter: not taken from the config or the
        /// environment) [default: every account's].
        #[arg(long)]
        account_id: Option<String>,
        #[command(flatten)]
        store: DataDirArgs,
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
    rognito_model::AccountId::parse(account_id)
        .map(drop)
        .map_err(|e| anyhow::anyhow!("--account-id {e}"))
}

/// Opens the data dir's store (as `config` names it) with the server's master key. Only `seed`,
/// which prepares a data dir for a server, may make a key (on a database that holds nothing
/// sealed); the other commands refuse to run without the server's key.
async fn open(
    config: &Config,
    caller: crate::master_key::Caller,
) -> anyhow::Result<(Arc<dyn SeedStore>, Gateway)> {
    let settings = config.store_settings();
    let data_dir = &settings.data_dir;
    // With PostgreSQL the records are in the database; the data dir only holds the key file
    // and the audit log, which may be configured elsewhere.
    if settings.postgres.is_none() && !data_dir.is_dir() {
        anyhow::bail!(
            "data dir {} ({}) does not exist (start the server once, or pass --data-dir)",
            data_dir.display(),
            config.origin("store.data_dir")
        );
    }
    let store = rognito_store::open_for_seeding(&settings.engine())
        .await
        .with_context(|| format!("cannot open {}", settings.location()))?;
    let state = rognito_ops::key_check::key_state(store.as_ref())
        .await
        .context("cannot read the database")?;
    let master = crate::master_key::load(
        &settings.master_key_file,
        settings.durability,
        state,
        caller,
    )?;
    crate::master_key::verify(store.as_ref(), &master, &settings.location(), caller).await?;
    // Only the commands that change who may call write to the audit log (not `seed`).
    let audit = match config.audit_log() {
        Some(path) if caller == Caller::Cli => Some(Arc::new(
            AuditLog::open(
                &path,
                &config.server.region,
                config.audit.failure == crate::config::AuditFailureArg::Closed,
            )
            .with_context(|| {
                format!(
                    "cannot open the audit log {} (the CLI records its changes there: name one \
                     with --audit-log, or an existing --data-dir)",
                    path.display()
                )
            })?,
        )),
        _ => None,
    };
    let gateway = Gateway::open(
        store.clone() as Arc<dyn rognito_store::Store>,
        OpsConfig {
            region: config.server.region.clone(),
            quotas: (&config.quotas).into(),
            issuer_base: String::new(),
            public_url: String::new(),
            password_hashing: config.server.password_hashing.into(),
        },
        Arc::new(master.key),
        RateLimits::disabled(),
        audit,
    )
    .await?;
    Ok((store, gateway))
}

/// The operator of a command in `account_id`: the operating-system user running it.
fn operator(account_id: &str) -> Operator {
    // Without a login name in the environment (services, containers), the numeric user id.
    let user_name = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .ok()
        .filter(|name| !name.is_empty())
        .or_else(|| {
            let status = std::fs::read_to_string("/proc/self/status").ok()?;
            let uid = status.lines().find_map(|l| l.strip_prefix("Uid:"))?;
            Some(format!("uid {}", uid.split_whitespace().next()?))
        })
        .unwrap_or_else(|| "unknown".to_owned());
    Operator {
        account_id: account_id.to_owned(),
        user_name,
    }
}

/// [`open`] for a command that changes identities or policies. With `audit.failure =
/// "closed"`, no change is made while the audit log cannot be written, as the server accepts
/// no write then.
async fn open_for_change(config: &Config) -> anyhow::Result<(Arc<dyn SeedStore>, Gateway)> {
    let (db, gateway) = open(config, Caller::Cli).await?;
    if !gateway.accepting() {
        db.close().await;
        anyhow::bail!(
            "the audit log cannot be written and audit.failure is closed: no change was made"
        );
    }
    Ok((db, gateway))
}

/// Records a command's change (or its failure) in the audit log, then returns its outcome.
/// A change whose line cannot be written is reported as an error: it was made, but unrecorded.
async fn audited<T, E: std::fmt::Display>(
    gateway: &Gateway,
    account_id: &str,
    event_name: &'static str,
    user_name: &str,
    outcome: Result<T, E>,
) -> anyhow::Result<T> {
    let operator = &operator(account_id);
    let arn = rognito_access::user_arn(&operator.account_id, user_name);
    let error = outcome.as_ref().err().map(ToString::to_string);
    let written = gateway
        .record_operator_change(operator, event_name, &arn, error.as_deref())
        .await;
    let value = outcome.map_err(|e| anyhow::anyhow!("{e}"))?;
    if !written {
        anyhow::bail!(
            "{event_name} of {arn} was made, but its audit line could not be written; check the \
             audit log's file"
        );
    }
    Ok(value)
}

pub async fn identity(command: IdentityCommand, source_of: SourceOf<'_>) -> anyhow::Result<()> {
    match command {
        IdentityCommand::Create { name, store } => {
            let config = store.resolve(source_of)?;
            let account = &config.server;
            let (db, gateway) = open_for_change(&config).await?;
            let key = gateway
                .identities()
                .create_identity(&account.account_id, &name)
                .await;
            let key = audited(&gateway, &account.account_id, "CreateUser", &name, key).await;
            db.close().await;
            let key = key?;
            println!(
                "created identity {name} ({}); its secret is shown only now:\n\n    export \
                 AWS_ACCESS_KEY_ID={}\n    export AWS_SECRET_ACCESS_KEY={}\n    export \
                 AWS_DEFAULT_REGION={}\n\nIt may do nothing until a policy is attached: rognito \
                 policy attach --identity {name} ...",
                rognito_access::user_arn(&account.account_id, &name),
                key.access_key_id,
                secrecy::ExposeSecret::expose_secret(&key.secret_access_key),
                account.region
            );
        }
        IdentityCommand::List { account_id, store } => {
            let config = store.resolve(None, source_of)?;
            if let Some(account) = &account_id {
                check_account(account)?;
            }
            let (db, gateway) = open(&config, Caller::Cli).await?;
            let identities = gateway.identities().identities(account_id.as_deref()).await;
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
            let config = store.resolve(source_of)?;
            let account = &config.server;
            let (db, gateway) = open_for_change(&config).await?;
            let deleted = gateway
                .identities()
                .delete_identity(&account.account_id, &name)
                .await;
            let deleted =
                audited(&gateway, &account.account_id, "DeleteUser", &name, deleted).await;
            db.close().await;
            deleted?;
            println!("deleted identity {name}");
        }
    }
    Ok(())
}

pub async fn policy(command: PolicyCommand, source_of: SourceOf<'_>) -> anyhow::Result<()> {
    match command {
        PolicyCommand::Attach {
            identity,
            name,
            document,
            store,
        } => {
            let config = store.resolve(source_of)?;
            let account = &config.server;
            let text = if document.as_os_str() == "-" {
                std::io::read_to_string(std::io::stdin())?
            } else {
                std::fs::read_to_string(&document)
                    .with_context(|| format!("cannot read {}", document.display()))?
            };
            let (db, gateway) = open_for_change(&config).await?;
            let attached = gateway
                .identities()
                .attach_policy(&account.account_id, &identity, &name, &text)
                .await;
            let attached = audited(
                &gateway,
                &account.account_id,
                "PutUserPolicy",
                &identity,
                attached,
            )
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
            let config = store.resolve(source_of)?;
            let account = &config.server;
            let (db, gateway) = open_for_change(&config).await?;
            let detached = gateway
                .identities()
                .detach_policy(&account.account_id, &identity, &name)
                .await
                .map_err(|e| e.to_string())
                .and_then(|found| {
                    found
                        .then_some(())
                        .ok_or_else(|| format!("identity {identity} has no policy {name}"))
                });
            let detached = audited(
                &gateway,
                &account.account_id,
                "DeleteUserPolicy",
                &identity,
                detached,
            )
            .await;
            db.close().await;
            detached?;
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

pub async fn seed(args: SeedArgs, source_of: SourceOf<'_>) -> anyhow::Result<()> {
    let config = args.store.resolve(source_of)?;
    let account = &config.server;
    // As the server makes it: readable by its owner only.
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(&config.store.data_dir)?;
    let (db, gateway) = open(&config, crate::master_key::Caller::Server).await?;
    let started = std::time::Instant::now();
    let batch = 2_000;
    let mut done = 0;
    while done < args.pools {
        let n = batch.min(args.pools - done);
        gateway
            .ops()
            .seed(
                db.as_ref(),
                &account.account_id,
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
