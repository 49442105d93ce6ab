use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::parser::ValueSource;
use clap::{Args, Command, FromArgMatches};

use super::flags::SETTINGS;
use super::*;

/// `rognito serve ARGS` as the binary parses them, but blind to this process's environment.
fn serve_args(argv: &[&str]) -> ServeArgs {
    let command = ServeArgs::augment_args(Command::new("serve")).mut_args(|a| a.env(None));
    let matches = command
        .try_get_matches_from(std::iter::once("serve").chain(argv.iter().copied()))
        .expect("arguments parse");
    ServeArgs::from_arg_matches(&matches).expect("arguments")
}

/// Resolves `argv`, every value named as if clap had taken it from `source`.
fn resolve(argv: &[&str], source: ValueSource) -> anyhow::Result<ServerConfig> {
    ServerConfig::resolve(serve_args(argv), &|_| Some(source))
}

fn flags(argv: &[&str]) -> anyhow::Result<ServerConfig> {
    resolve(argv, ValueSource::CommandLine)
}

fn write_file(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("rognito.toml");
    std::fs::write(&path, text).expect("write");
    path
}

#[test]
fn flags_override_file_which_overrides_defaults() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_file(
        dir.path(),
        "[server]\nregion = \"eu-west-1\"\naccount_id = \"123456789012\"\n\
         [quotas]\nresource_servers_per_user_pool = 300\n",
    );
    let config = flags(&[
        "--config",
        path.to_str().expect("utf-8"),
        "--account-id",
        "210987654321",
    ])
    .expect("config");
    assert_eq!(config.region, "eu-west-1");
    assert_eq!(config.account_id, "210987654321");
    assert_eq!(config.quotas.resource_servers_per_user_pool, 300);
    assert_eq!(config.quotas.user_pools_per_account, 1000);
    assert_eq!(config.listen.to_string(), "127.0.0.1:9229");
    assert!(config.max_connections >= 16);
}

/// A setting of each section: the file wins over the default, and a flag (or its variable:
/// clap picks between those two) over the file; each value is named where it came from.
#[test]
fn every_section_takes_flags_over_the_file_over_defaults() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_file(
        dir.path(),
        "[server]\nidle_timeout = 5\n\
         [store]\ndata_dir = \"/srv/file\"\ndurability = \"os\"\n\
         [quotas]\nscopes_per_resource_server = 7\n\
         [rate_limits]\nmode = \"aws\"\n[rate_limits.categories]\nUserPoolResourceRead = 60\n\
         [tls]\ncert = \"file.pem\"\nkey = \"file.key\"\n\
         [audit]\nlog = \"/srv/audit.log\"\nfailure = \"closed\"\n",
    );
    let file = path.to_str().expect("utf-8");

    let defaults = Config::load(None).expect("defaults");
    assert_eq!(defaults.store.data_dir, PathBuf::from("rognito-data"));
    assert_eq!(defaults.origin("store.data_dir"), Origin::Default);
    let defaults = ServerConfig::from_config(defaults).expect("defaults");
    assert_eq!(defaults.idle_timeout.as_secs(), 60);
    assert_eq!(defaults.store.durability, Durability::Fsync);
    assert_eq!(
        defaults.store.master_key_file,
        PathBuf::from("rognito-data/master.key")
    );
    assert_eq!(defaults.quotas.scopes_per_resource_server, 100);
    assert!(!defaults.rate_limits_enabled);
    assert_eq!(defaults.tls, None);
    assert_eq!(
        defaults.audit_log,
        Some(PathBuf::from("rognito-data/audit.log"))
    );
    assert!(!defaults.audit_fail_closed);

    let from_file = flags(&["--config", file]).expect("file");
    assert_eq!(from_file.idle_timeout.as_secs(), 5);
    assert_eq!(from_file.store.data_dir, PathBuf::from("/srv/file"));
    assert_eq!(
        from_file.store.master_key_file,
        PathBuf::from("/srv/file/master.key")
    );
    assert_eq!(from_file.store.durability, Durability::Os);
    assert_eq!(from_file.quotas.scopes_per_resource_server, 7);
    assert!(from_file.rate_limits_enabled);
    assert_eq!(
        from_file.rate_limit_overrides,
        [("UserPoolResourceRead".to_owned(), 60)]
    );
    assert_eq!(
        from_file.tls,
        Some((PathBuf::from("file.pem"), PathBuf::from("file.key")))
    );
    assert_eq!(from_file.audit_log, Some(PathBuf::from("/srv/audit.log")));
    assert!(from_file.audit_fail_closed);

    let argv = [
        "--config",
        file,
        "--idle-timeout",
        "9",
        "--data-dir",
        "/srv/flag",
        "--max-scopes-per-resource-server",
        "8",
        "--rate-limits",
        "off",
        "--rate-limit",
        "UserPoolResourceRead=70",
        "--tls-cert",
        "flag.pem",
        "--audit-failure",
        "open",
    ];
    let from_flags = flags(&argv).expect("flags");
    assert_eq!(from_flags.idle_timeout.as_secs(), 9);
    assert_eq!(from_flags.store.data_dir, PathBuf::from("/srv/flag"));
    assert_eq!(from_flags.store.durability, Durability::Os);
    assert_eq!(from_flags.quotas.scopes_per_resource_server, 8);
    assert!(!from_flags.rate_limits_enabled);
    assert_eq!(
        from_flags.rate_limit_overrides,
        [("UserPoolResourceRead".to_owned(), 70)]
    );
    assert_eq!(
        from_flags.tls,
        Some((PathBuf::from("flag.pem"), PathBuf::from("file.key")))
    );
    assert!(!from_flags.audit_fail_closed);

    let from_env = serve_args(&argv)
        .config(&|_| Some(ValueSource::EnvVariable))
        .expect("config");
    assert_eq!(
        from_env.origin("store.data_dir"),
        Origin::Env("ROGNITO_DATA_DIR")
    );
    assert_eq!(
        from_env.origin("store.durability"),
        Origin::File("store.durability".into(), path.clone())
    );
    assert_eq!(from_env.origin("tls.cert"), Origin::Env("ROGNITO_TLS_CERT"));
    let from_flags = serve_args(&argv)
        .config(&|_| Some(ValueSource::CommandLine))
        .expect("config");
    assert_eq!(
        from_flags.origin("quotas.scopes_per_resource_server"),
        Origin::Flag("max-scopes-per-resource-server")
    );
}

/// A file in the flat form rognito read before the sections says where each key went.
#[test]
fn flat_keys_are_refused_with_their_new_place() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_file(
        dir.path(),
        "listen = \"127.0.0.1:9300\"\ndata_dir = \"/srv\"\nrate_limits = \"aws\"\n\
         [rate_limit]\nClientAuthentication = 10\n[quotas]\nclients_per_user_pool = 5\n",
    );
    let err = Config::load(Some(&path)).expect_err("flat file");
    let shown = path.display();
    assert_eq!(
        format!("{err:#}"),
        format!(
            "`data_dir` in {shown}: moved to `data_dir` under `[store]`; \
             `listen` in {shown}: moved to `listen` under `[server]`; \
             `rate_limit` in {shown}: moved to `categories` under `[rate_limits]`; \
             `rate_limits` in {shown}: moved to `mode` under `[rate_limits]`"
        )
    );
}

#[test]
fn bad_values_and_unknown_keys_are_refused() {
    assert!(flags(&["--region", "moon"]).is_err());
    let dir = tempfile::tempdir().expect("tempdir");
    for text in [
        "regoin = \"us-east-1\"\n",
        "[server]\nregoin = \"us-east-1\"\n",
        "[sever]\nregion = \"us-east-1\"\n",
        "[rate_limits]\nmode = \"aws\"\nClientAuthentication = 10\n",
    ] {
        let path = write_file(dir.path(), text);
        let err = Config::load(Some(&path)).expect_err("typo refused");
        let err = format!("{err:#}");
        assert!(err.contains("unknown field"), "{text}: {err}");
        assert!(err.starts_with("invalid config file "), "{text}: {err}");
    }
    let path = write_file(dir.path(), "[store]\ndurability = \"disk\"\n");
    let err = format!("{:#}", Config::load(Some(&path)).expect_err("bad enum"));
    assert!(err.contains("unknown variant `disk`"), "{err}");
}

/// Issue 9, B.21: a bad value is reported under the name it was given with.
#[test]
fn errors_name_the_setting_as_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_file(dir.path(), "[server]\nregion = \"moon\"\n");
    let file = path.to_str().expect("utf-8");
    let err = flags(&["--config", file]).expect_err("bad region");
    assert_eq!(
        format!("{err:#}"),
        format!(
            "`server.region` in {} \"moon\" is not an AWS region name (like us-east-1 or eu-west-2)",
            path.display()
        )
    );
    let from_env =
        resolve(&["--region", "moon"], ValueSource::EnvVariable).expect_err("bad region");
    assert!(format!("{from_env:#}").starts_with("ROGNITO_REGION \"moon\""));
    let flag = flags(&["--region", "moon"]).expect_err("bad region");
    assert!(format!("{flag:#}").starts_with("--region \"moon\""));

    write_file(dir.path(), "[quotas]\nclients_per_user_pool = 0\n");
    let zero = flags(&["--config", file]).expect_err("zero quota");
    assert_eq!(
        format!("{zero:#}"),
        format!(
            "`quotas.clients_per_user_pool` in {} must be at least 1",
            path.display()
        )
    );
    let zero_flag = flags(&["--max-scopes-per-resource-server", "0"]).expect_err("zero quota");
    assert_eq!(
        format!("{zero_flag:#}"),
        "--max-scopes-per-resource-server must be at least 1"
    );

    write_file(dir.path(), "[rate_limits.categories]\nNoSuchCategory = 5\n");
    let rate = flags(&["--config", file]).expect_err("unknown category");
    assert!(
        format!("{rate:#}").starts_with(&format!(
            "`rate_limits.categories` in {}: unknown rate-limit category NoSuchCategory",
            path.display()
        )),
        "{rate:#}"
    );
    write_file(dir.path(), "[server]\nidle_timeout = 0\n");
    let idle = flags(&["--config", file]).expect_err("zero timeout");
    assert_eq!(
        format!("{idle:#}"),
        format!(
            "`server.idle_timeout` in {} must be at least 1 (seconds)",
            path.display()
        )
    );
}

/// Issue 9, B.17: host names and bare ports are listen addresses.
#[test]
fn listen_takes_host_names_and_bare_ports() {
    let local = SocketAddr::from(([127, 0, 0, 1], 9300));
    for text in [
        "9300",
        ":9300",
        "localhost:9300",
        "127.0.0.1:9300",
        " 9300 ",
    ] {
        assert_eq!(parse_listen(text).expect(text), local, "{text}");
    }
    assert_eq!(
        parse_listen("0.0.0.0:9300").expect("any"),
        SocketAddr::from(([0, 0, 0, 0], 9300))
    );
    assert_eq!(
        parse_listen("[::1]:9300").expect("v6").to_string(),
        "[::1]:9300"
    );
    for bad in ["", "localhost", "99999", "host:port", ":"] {
        let err = format!("{:#}", parse_listen(bad).expect_err(bad));
        assert!(
            err.contains("expected HOST:PORT") || err.contains("0-65535"),
            "{bad}: {err}"
        );
    }
    let flag = flags(&["--listen", "nowhere:x"]).expect_err("bad listen");
    assert!(
        format!("{flag:#}").starts_with("--listen: \"nowhere:x\""),
        "{flag:#}"
    );
}

#[test]
fn listen_may_be_a_bare_port_in_the_file_and_rates_are_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_file(dir.path(), "[server]\nlisten = 9300\n");
    let config = flags(&["--config", path.to_str().expect("utf-8")]).expect("config");
    assert_eq!(config.listen.to_string(), "127.0.0.1:9300");
    let err = flags(&["--rate-limit", "ClientAuthentication=0"]).expect_err("zero rate");
    assert!(format!("{err:#}").starts_with("--rate-limit: "), "{err:#}");
}

#[test]
fn fail_closed_needs_an_audit_log() {
    let err = flags(&["--durability", "memory", "--audit-failure", "closed"])
        .expect_err("nothing to fail closed on");
    assert!(format!("{err:#}").starts_with("--audit-failure closed needs an audit log"));
}

#[test]
fn the_secret_is_never_a_flag_and_never_shown() {
    let command = ServeArgs::augment_args(Command::new("serve"));
    assert!(
        command
            .get_arguments()
            .all(|a| a.get_long() != Some("secret-access-key"))
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_file(
        dir.path(),
        "[server]\naccess_key_id = \"AKIAEXAMPLEEXAMPLE\"\nsecret_access_key = \"do-not-show-this-secret\"\n",
    );
    let config = Config::load(Some(&path)).expect("config");
    assert!(!format!("{config:?}").contains("do-not-show-this-secret"));
}

#[test]
fn trusted_proxies_are_addresses_or_ranges() {
    assert_eq!(
        parse_proxy("10.0.0.0/8").expect("cidr").to_string(),
        "10.0.0.0/8"
    );
    assert_eq!(
        parse_proxy("192.0.2.7").expect("ip").to_string(),
        "192.0.2.7/32"
    );
    assert!(parse_proxy("proxy.example").is_err());
    let config = flags(&[
        "--trusted-proxy",
        "10.0.0.0/8",
        "--trusted-proxy",
        "192.0.2.7",
    ])
    .expect("proxies");
    assert_eq!(config.trusted_proxies.len(), 2);
    let err = resolve(
        &["--trusted-proxy", "10.0.0.0/8,proxy"],
        ValueSource::EnvVariable,
    )
    .expect_err("bad proxy");
    assert!(
        format!("{err:#}").starts_with("ROGNITO_TRUSTED_PROXIES: \"proxy\""),
        "{err:#}"
    );
}

/// The README's table is the contract: every flag and variable, with its file key.
#[test]
fn the_readme_lists_every_setting() {
    let readme = include_str!("../../../../README.md");
    for setting in SETTINGS {
        let flag = format!("`--{}", setting.flag);
        let env = format!("`{}`", setting.env);
        let key = format!("`{}.{}`", setting.section, setting.key);
        assert!(
            readme
                .lines()
                .any(|l| l.contains(&flag) && l.contains(&env) && l.contains(&key)),
            "README.md has no row with {flag}, {env} and {key}"
        );
    }
}
