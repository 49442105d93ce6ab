use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use rognito::config::{ServeArgs, ServerConfig};

/// A Cognito user-pool API server with OAuth 2.0 machine-to-machine tokens.
#[derive(Parser)]
#[command(name = "rognito", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve(Box<ServeArgs>),
    /// Manage identities (IAM-style users with access keys) in the data dir.
    #[command(subcommand)]
    Identity(rognito::admin::IdentityCommand),
    /// Attach and detach IAM identity policies.
    #[command(subcommand)]
    Policy(rognito::admin::PolicyCommand),
    /// Load many pools with resource servers quickly (the benchmark's scale scenario).
    Seed(rognito::admin::SeedArgs),
    /// Copy a SQLite data dir's records into an empty PostgreSQL database, and verify them.
    Migrate(rognito::migrate::MigrateArgs),
}

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    // The (innermost) subcommand's arguments say whether each came from a flag or a variable.
    let mut leaf = &matches;
    while let Some((_, sub)) = leaf.subcommand() {
        leaf = sub;
    }
    let source_of = |id: &str| leaf.value_source(id);
    match cli.command {
        Command::Serve(args) => serve(*args, &source_of),
        Command::Identity(command) => admin(rognito::admin::identity(command, &source_of)),
        Command::Policy(command) => admin(rognito::admin::policy(command, &source_of)),
        Command::Seed(args) => admin(rognito::admin::seed(args, &source_of)),
        Command::Migrate(args) => admin(rognito::migrate::migrate(args, &source_of)),
    }
}

/// The async runtime: one thread for the CLI's short jobs, every core for the server.
fn runtime(multi_thread: bool) -> Result<tokio::runtime::Runtime, ExitCode> {
    let mut builder = if multi_thread {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    builder.enable_all().build().map_err(|e| {
        eprintln!("rognito: cannot start the async runtime: {e}");
        ExitCode::FAILURE
    })
}

fn admin(work: impl std::future::Future<Output = anyhow::Result<()>>) -> ExitCode {
    let runtime = match runtime(false) {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    match runtime.block_on(work) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rognito: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn serve(args: ServeArgs, source_of: rognito::config::SourceOf<'_>) -> ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_env("ROGNITO_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"))
        // The PostgreSQL driver logs every statement's parameters at debug level: request
        // input (a secret pasted into an id field) would reach the log. Never below info.
        .add_directive(
            "tokio_postgres=info"
                .parse()
                .unwrap_or_else(|_| tracing::Level::INFO.into()),
        )
        // The module that logs them, named too: a directive for it (`ROGNITO_LOG=
        // tokio_postgres::query=debug`) would be more specific than the one above.
        .add_directive(
            "tokio_postgres::query=info"
                .parse()
                .unwrap_or_else(|_| tracing::Level::INFO.into()),
        );
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour_logs())
        .init();
    let config = match ServerConfig::resolve(args, source_of) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("rognito: {e:#}");
            return ExitCode::from(2);
        }
    };
    let runtime = match runtime(true) {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let served = runtime.block_on(async {
        let shutdown = rognito::server::shutdown_signal()
            .map_err(|e| anyhow::anyhow!("cannot install the SIGINT/SIGTERM handlers: {e}"))?;
        rognito::server::run(config, shutdown).await
    });
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rognito: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Colour only on a terminal, and never when `NO_COLOR` is set (https://no-color.org).
fn colour_logs() -> bool {
    use std::io::IsTerminal as _;
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}
