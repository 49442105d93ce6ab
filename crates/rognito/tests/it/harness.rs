use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::config::retry::RetryConfig;
use aws_sdk_cognitoidentityprovider::config::{BehaviorVersion, Credentials, Region};

/// The root identity every test server is started with.
pub const ACCESS_KEY_ID: &str = "AKIAROGNITOTESTKEY01";
pub const SECRET_ACCESS_KEY: &str = "rognito-test-secret-access-key-0001";

/// A running `rognito serve` process. Killed when dropped.
pub struct Server {
    child: Child,
    pub url: String,
    pub logs: Arc<Mutex<Vec<String>>>,
    /// The region the server runs in (clients must sign for it).
    pub region: String,
    _owned_dir: Option<tempfile::TempDir>,
}

impl Server {
    /// A server on a fresh data dir with the given extra flags.
    pub fn start(flags: &[&str]) -> Server {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().to_path_buf();
        let mut server = Server::start_in(&path, flags);
        server._owned_dir = Some(dir);
        server
    }

    /// A server on `data_dir` (which the caller keeps alive, e.g. across restarts).
    pub fn start_in(data_dir: &Path, flags: &[&str]) -> Server {
        Server::start_with_env(data_dir, flags, &[])
    }

    /// A server on `data_dir` with extra environment variables.
    pub fn start_with_env(data_dir: &Path, flags: &[&str], env: &[(&str, &str)]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_rognito"))
            .arg("serve")
            .args(["--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .args(on_store(flags, data_dir))
            .env("NO_COLOR", "1")
            .env("ROGNITO_LOG", "info")
            .env("ROGNITO_ACCESS_KEY_ID", ACCESS_KEY_ID)
            .env("ROGNITO_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn rognito");
        let stderr = child.stderr.take().expect("stderr");
        let logs = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        let sink = logs.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(url) = line
                    .split("listening on ")
                    .nth(1)
                    .and_then(|rest| rest.split_whitespace().next())
                {
                    let _ = tx.send(url.to_owned());
                }
                sink.lock().expect("logs").push(line);
            }
        });
        let url = match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(url) => url,
            Err(_) => {
                let _ = child.kill();
                panic!(
                    "rognito did not start: {:?}",
                    logs.lock().expect("logs").join("\n")
                );
            }
        };
        let region = flags
            .iter()
            .position(|f| *f == "--region")
            .and_then(|i| flags.get(i + 1))
            .map_or("us-east-1", |r| r)
            .to_owned();
        Server {
            child,
            url,
            logs,
            region,
            _owned_dir: None,
        }
    }

    /// An SDK client signing as the root identity.
    pub fn client(&self) -> Client {
        self.client_as(ACCESS_KEY_ID, SECRET_ACCESS_KEY)
    }

    /// An SDK client signing with the given credentials.
    pub fn client_as(&self, access_key_id: &str, secret: &str) -> Client {
        let config = aws_sdk_cognitoidentityprovider::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(self.region.clone()))
            .credentials_provider(Credentials::new(access_key_id, secret, None, None, "it"))
            .endpoint_url(&self.url)
            .retry_config(RetryConfig::disabled())
            .build();
        Client::from_conf(config)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL: no chance to flush anything.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then wait for a graceful exit; returns the exit status' success.
    pub fn terminate(&mut self) -> bool {
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status();
        for _ in 0..100 {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.kill9();
        false
    }

    pub fn log_text(&self) -> String {
        self.logs.lock().expect("logs").join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// A fresh pool's id.
pub async fn new_pool(client: &Client) -> String {
    client
        .create_user_pool()
        .pool_name("it")
        .send()
        .await
        .expect("create pool")
        .user_pool
        .and_then(|p| p.id)
        .expect("pool id")
}

/// Creates resource server `identifier` in `pool` with `scopes` (each described by its name).
pub async fn new_resource_server(client: &Client, pool: &str, identifier: &str, scopes: &[&str]) {
    let mut create = client
        .create_resource_server()
        .user_pool_id(pool)
        .identifier(identifier)
        .name(identifier);
    for scope in scopes {
        create = create.scopes(
            aws_sdk_cognitoidentityprovider::types::ResourceServerScopeType::builder()
                .scope_name(*scope)
                .scope_description(*scope)
                .build()
                .expect("scope"),
        );
    }
    create.send().await.expect("create resource server");
}

/// The error code and message of a failed SDK call.
pub fn error_of<T, E, R>(
    result: Result<T, aws_sdk_cognitoidentityprovider::error::SdkError<E, R>>,
) -> (String, String)
where
    E: aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata + std::fmt::Debug,
    R: std::fmt::Debug,
{
    match result {
        Ok(_) => panic!("expected an error"),
        Err(e) => {
            use aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata as _;
            (
                e.code().unwrap_or_default().to_owned(),
                e.message().unwrap_or_default().to_owned(),
            )
        }
    }
}

/// Headers that sign a JSON 1.1 request with AWS's own signer (aws-sigv4, as the Rust SDK does).
pub fn sigv4_headers(
    url: &str,
    target: Option<&str>,
    body: &[u8],
    access_key_id: &str,
    secret: &str,
    region: &str,
    time: std::time::SystemTime,
) -> Vec<(String, String)> {
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
    let host = url.trim_start_matches("http://").to_owned();
    let target = target.map(|t| format!("AWSCognitoIdentityProviderService.{t}"));
    let mut headers = vec![
        (
            "content-type".to_owned(),
            "application/x-amz-json-1.1".to_owned(),
        ),
        ("host".to_owned(), host),
    ];
    if let Some(t) = target {
        headers.push(("x-amz-target".to_owned(), t));
    }
    let identity =
        aws_credential_types::Credentials::new(access_key_id, secret, None, None, "it").into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("cognito-idp")
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .expect("signing params")
        .into();
    let signable = SignableRequest::new(
        "POST",
        format!("{url}/"),
        headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        SignableBody::Bytes(body),
    )
    .expect("signable");
    let (instructions, _) = sign(signable, &params).expect("sign").into_parts();
    headers.extend(
        instructions
            .headers()
            .map(|(k, v)| (k.to_owned(), v.to_owned())),
    );
    // Without x-amz-target the request still needs to be signed for the other headers.
    headers
}

/// A raw AWS JSON 1.1 call signed as the root identity; returns status, headers and JSON body.
pub async fn raw(
    url: &str,
    target: Option<&str>,
    body: impl Into<Vec<u8>>,
) -> (u16, reqwest::header::HeaderMap, serde_json::Value) {
    let body = body.into();
    let headers = sigv4_headers(
        url,
        target,
        &body,
        ACCESS_KEY_ID,
        SECRET_ACCESS_KEY,
        "us-east-1",
        std::time::SystemTime::now(),
    );
    send(url, headers, body).await
}

/// Sends a POST / with exactly these headers.
pub async fn send(
    url: &str,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
) -> (u16, reqwest::header::HeaderMap, serde_json::Value) {
    let mut request = reqwest::Client::new().post(format!("{url}/")).body(body);
    for (k, v) in headers {
        if k != "host" {
            request = request.header(k, v);
        }
    }
    let response = request.send().await.expect("send");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.expect("body");
    let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    (status, headers, json)
}

/// Whether the servers under test keep their records in PostgreSQL (`ROGNITO_TEST_STORE=postgres`,
/// with `ROGNITO_TEST_POSTGRES` naming the database) rather than SQLite. The same tests run
/// against both engines, as garage's integration tests pick theirs by an environment variable.
pub fn on_postgres() -> bool {
    std::env::var("ROGNITO_TEST_STORE").is_ok_and(|s| s == "postgres")
}

/// The flags that put a server or CLI command on `data_dir`'s records: none for SQLite; for
/// PostgreSQL, `--store` with a schema of its own named after the data dir (made on first use,
/// so a restart on the same data dir finds its records).
pub fn store_flags(data_dir: &Path) -> Vec<String> {
    if !on_postgres() {
        return Vec::new();
    }
    let base = std::env::var("ROGNITO_TEST_POSTGRES")
        .expect("ROGNITO_TEST_STORE=postgres needs ROGNITO_TEST_POSTGRES (a database URL)");
    let schema = schema_of(data_dir);
    let made = Command::new("psql")
        .args([
            base.as_str(),
            "-qc",
            &format!("CREATE SCHEMA IF NOT EXISTS {schema}"),
        ])
        .env("PGOPTIONS", "-c client_min_messages=warning")
        .output()
        .expect("run psql");
    assert!(made.status.success(), "psql: {made:?}");
    let separator = if base.contains('?') { '&' } else { '?' };
    vec![
        "--store".to_owned(),
        format!("{base}{separator}options=-csearch_path%3D{schema}"),
    ]
}

/// A schema name for a data dir: stable for the path, unique across paths.
fn schema_of(data_dir: &Path) -> String {
    use std::hash::{Hash, Hasher};
    let path = std::path::absolute(data_dir).unwrap_or_else(|_| data_dir.to_owned());
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    path.hash(&mut hasher);
    format!("it_{:016x}", hasher.finish())
}

/// `flags` for the engine under test: with PostgreSQL, without `--durability` (which names
/// SQLite's modes) and with [`store_flags`].
pub fn on_store(flags: &[&str], data_dir: &Path) -> Vec<String> {
    if !on_postgres() {
        return flags.iter().map(|f| (*f).to_owned()).collect();
    }
    let mut kept = Vec::new();
    let mut skip = false;
    for flag in flags {
        if skip {
            skip = false;
        } else if *flag == "--durability" {
            skip = true;
        } else if !flag.starts_with("--durability=") {
            kept.push((*flag).to_owned());
        }
    }
    kept.extend(store_flags(data_dir));
    kept
}
