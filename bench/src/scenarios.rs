//! What the benchmark sends: signed Cognito API calls, token requests, health checks, and the
//! seeding that makes them succeed on a fresh server.

use std::net::SocketAddr;

use anyhow::{Context, bail};
use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use serde_json::{Value, json};

use crate::load::RequestSource;
use crate::sigv4::Signer;

const TARGET_PREFIX: &str = "AWSCognitoIdentityProviderService";

/// A server under test, as the benchmark addresses it.
#[derive(Clone)]
pub struct Endpoint {
    pub name: &'static str,
    pub addr: SocketAddr,
}

impl Endpoint {
    pub fn host(&self) -> String {
        self.addr.to_string()
    }
}

/// The root identity rognito is started with for the benchmark (moto accepts any key).
pub const ACCESS_KEY_ID: &str = "AKIAROGNITOBENCH0001";
pub const SECRET_ACCESS_KEY: &str = "rognito-benchmark-secret-access-key";

pub fn signer() -> Signer {
    Signer::new(ACCESS_KEY_ID, SECRET_ACCESS_KEY, "us-east-1")
}

/// A signed AWS JSON 1.1 request, as an SDK sends it.
pub fn api_request(
    signer: &mut Signer,
    host: &str,
    operation: &str,
    body: Bytes,
) -> Request<Full<Bytes>> {
    let target = format!("{TARGET_PREFIX}.{operation}");
    let signature = signer.sign_now(host, &target, &body);
    Request::post("/")
        .header("host", host)
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", target)
        .header("x-amz-date", signature.amz_date)
        .header("authorization", signature.authorization)
        .header("content-length", body.len())
        .body(Full::new(body))
        .expect("the request's headers are valid")
}

/// One call for seeding: sends, checks for 200, returns the JSON body.
pub async fn call(endpoint: &Endpoint, operation: &str, body: Value) -> anyhow::Result<Value> {
    Client::connect(endpoint).await?.call(operation, body).await
}

/// One keep-alive connection for calls made one at a time (seeding, propagation probes).
pub struct Client {
    endpoint: Endpoint,
    signer: Signer,
    sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
}

impl Client {
    pub async fn connect(endpoint: &Endpoint) -> anyhow::Result<Self> {
        let stream = tokio::net::TcpStream::connect(endpoint.addr).await?;
        stream.set_nodelay(true)?;
        let (sender, connection) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
        tokio::task::spawn_local(async move {
            let _ = connection.await;
        });
        Ok(Client {
            endpoint: endpoint.clone(),
            signer: signer(),
            sender,
        })
    }

    /// Sends, checks for 200, returns the JSON body.
    pub async fn call(&mut self, operation: &str, body: Value) -> anyhow::Result<Value> {
        let request = api_request(
            &mut self.signer,
            &self.endpoint.host(),
            operation,
            Bytes::from(body.to_string()),
        );
        self.sender.ready().await?;
        let response = self.sender.send_request(request).await?;
        let status = response.status();
        let bytes = response.into_body().collect().await?.to_bytes();
        if !status.is_success() {
            bail!(
                "{} {operation} failed: {status} {}",
                self.endpoint.name,
                String::from_utf8_lossy(&bytes)
            );
        }
        serde_json::from_slice(&bytes).with_context(|| format!("{operation} answered non-JSON"))
    }
}

/// The data every scenario works on, made through the API.
pub struct Seed {
    pub pool: String,
    /// Pools the create scenario spreads its new resource servers over.
    pub create_pools: Vec<String>,
    /// For rognito only: a client_credentials client and a GetClientToken client.
    pub m2m: Option<M2mSeed>,
}

pub struct M2mSeed {
    pub client_id: String,
    pub secret: String,
    pub api_client_id: String,
    pub api_secret: String,
}

pub const SERVERS_PER_POOL: usize = 25;

pub fn scopes() -> Value {
    json!([
        {"ScopeName": "read", "ScopeDescription": "Read"},
        {"ScopeName": "write", "ScopeDescription": "Write"},
        {"ScopeName": "admin", "ScopeDescription": "Admin"},
    ])
}

pub async fn seed(
    endpoint: &Endpoint,
    create_pools: usize,
    with_m2m: bool,
) -> anyhow::Result<Seed> {
    let pool_id = |v: &Value| -> anyhow::Result<String> {
        v["UserPool"]["Id"]
            .as_str()
            .map(String::from)
            .context("no pool id")
    };
    let pool = pool_id(&call(endpoint, "CreateUserPool", json!({"PoolName": "bench"})).await?)?;
    for i in 0..SERVERS_PER_POOL {
        call(
            endpoint,
            "CreateResourceServer",
            json!({"UserPoolId": pool, "Identifier": format!("rs-{i:02}"), "Name": "bench", "Scopes": scopes()}),
        )
        .await?;
    }
    let mut pools = Vec::new();
    for i in 0..create_pools {
        pools.push(pool_id(
            &call(
                endpoint,
                "CreateUserPool",
                json!({"PoolName": format!("create-{i}")}),
            )
            .await?,
        )?);
    }
    let m2m = if with_m2m {
        call(
            endpoint,
            "CreateUserPoolDomain",
            json!({"UserPoolId": pool, "Domain": "bench-tokens"}),
        )
        .await?;
        let client = call(
            endpoint,
            "CreateUserPoolClient",
            json!({
                "UserPoolId": pool, "ClientName": "m2m", "GenerateSecret": true,
                "AllowedOAuthFlows": ["client_credentials"],
                "AllowedOAuthScopes": ["rs-00/read", "rs-00/write"],
                "AllowedOAuthFlowsUserPoolClient": true,
            }),
        )
        .await?;
        let api = call(
            endpoint,
            "CreateUserPoolClient",
            json!({
                "UserPoolId": pool, "ClientName": "api", "GenerateSecret": true,
                "ExplicitAuthFlows": ["ALLOW_CLIENT_TOKEN_AUTH"],
                "AllowedOAuthScopes": ["rs-00/read"],
            }),
        )
        .await?;
        let field = |v: &Value, k: &str| -> anyhow::Result<String> {
            v["UserPoolClient"][k]
                .as_str()
                .map(String::from)
                .context("client field")
        };
        Some(M2mSeed {
            client_id: field(&client, "ClientId")?,
            secret: field(&client, "ClientSecret")?,
            api_client_id: field(&api, "ClientId")?,
            api_secret: field(&api, "ClientSecret")?,
        })
    } else {
        None
    };
    Ok(Seed {
        pool,
        create_pools: pools,
        m2m,
    })
}

/// The scenarios, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    Floor,
    Describe,
    List,
    Create,
    Update,
    Token,
    GetClientToken,
    Mix,
    /// DescribeResourceServer on random pools of the scale data set (`rognito seed`).
    DescribeScale,
}

impl Scenario {
    pub const ALL: [Scenario; 8] = [
        Scenario::Floor,
        Scenario::Describe,
        Scenario::List,
        Scenario::Create,
        Scenario::Update,
        Scenario::Token,
        Scenario::GetClientToken,
        Scenario::Mix,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Scenario::Floor => "http-floor (GET /health)",
            Scenario::Describe => "DescribeResourceServer",
            Scenario::List => "ListResourceServers",
            Scenario::Create => "CreateResourceServer",
            Scenario::Update => "UpdateResourceServer",
            Scenario::Token => "POST /oauth2/token",
            Scenario::GetClientToken => "GetClientToken",
            Scenario::Mix => "mix",
            Scenario::DescribeScale => "DescribeResourceServer, scale data set",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Scenario::Floor => "floor",
            Scenario::Describe => "describe",
            Scenario::List => "list",
            Scenario::Create => "create",
            Scenario::Update => "update",
            Scenario::Token => "token",
            Scenario::GetClientToken => "get-client-token",
            Scenario::Mix => "mix",
            Scenario::DescribeScale => "describe-scale",
        }
    }

    /// moto has no Update/Delete for resource servers, no token endpoint, no GetClientToken.
    pub fn moto_supports(self) -> bool {
        matches!(self, Scenario::Describe | Scenario::List | Scenario::Create)
    }
}

/// Builds requests for one scenario against one endpoint.
pub struct Source {
    scenario: Scenario,
    host: String,
    signer: Signer,
    pool: String,
    create_pools: Vec<String>,
    m2m: Option<(String, String, String, String)>,
    /// Numbers the requests (identifiers, pools); a run may start it elsewhere.
    pub counter: u64,
    run_tag: String,
    /// Pools of the scale data set (`<region>_s00000000` ...), for DescribeScale.
    pub seeded_pools: u64,
}

impl Source {
    pub fn new(scenario: Scenario, endpoint: &Endpoint, seed: &Seed, run_tag: &str) -> Self {
        Source {
            scenario,
            host: endpoint.host(),
            signer: signer(),
            pool: seed.pool.clone(),
            create_pools: seed.create_pools.clone(),
            m2m: seed.m2m.as_ref().map(|m| {
                (
                    m.client_id.clone(),
                    m.secret.clone(),
                    m.api_client_id.clone(),
                    m.api_secret.clone(),
                )
            }),
            counter: 0,
            run_tag: run_tag.to_owned(),
            seeded_pools: 0,
        }
    }

    fn api(&mut self, operation: &str, body: Value) -> Request<Full<Bytes>> {
        api_request(
            &mut self.signer,
            &self.host,
            operation,
            Bytes::from(body.to_string()),
        )
    }

    fn request_for(&mut self, scenario: Scenario) -> Request<Full<Bytes>> {
        let n = self.counter;
        self.counter += 1;
        let identifier = format!("rs-{:02}", n as usize % SERVERS_PER_POOL);
        match scenario {
            Scenario::Floor => Request::get("/health")
                .header("host", self.host.as_str())
                .body(Full::new(Bytes::new()))
                .expect("the request's headers are valid"),
            Scenario::Describe => {
                let body = json!({"UserPoolId": self.pool, "Identifier": identifier});
                self.api("DescribeResourceServer", body)
            }
            Scenario::List => {
                let body = json!({"UserPoolId": self.pool, "MaxResults": 25});
                self.api("ListResourceServers", body)
            }
            Scenario::Create => {
                let pool = self.create_pools[n as usize % self.create_pools.len().max(1)].clone();
                let body = json!({
                    "UserPoolId": pool,
                    "Identifier": format!("new-{}-{n}", self.run_tag),
                    "Name": "created by the benchmark",
                    "Scopes": scopes(),
                });
                self.api("CreateResourceServer", body)
            }
            Scenario::Update => {
                let body = json!({
                    "UserPoolId": self.pool, "Identifier": identifier,
                    "Name": format!("bench {}", n % 2), "Scopes": scopes(),
                });
                self.api("UpdateResourceServer", body)
            }
            Scenario::Token => {
                let (id, secret, _, _) = self.m2m.clone().unwrap_or_default();
                let basic =
                    base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
                let form = "grant_type=client_credentials&scope=rs-00%2Fread";
                Request::post("/oauth2/token")
                    .header("host", self.host.as_str())
                    .header("content-type", "application/x-www-form-urlencoded")
                    .header("authorization", format!("Basic {basic}"))
                    .body(Full::new(Bytes::from_static(form.as_bytes())))
                    .expect("the request's headers are valid")
            }
            Scenario::GetClientToken => {
                let (_, _, id, secret) = self.m2m.clone().unwrap_or_default();
                self.api("GetClientToken", json!({"ClientId": id, "Secret": secret}))
            }
            Scenario::DescribeScale => {
                // A multiplicative hash spreads consecutive requests over all pools.
                let pool = n.wrapping_mul(2_654_435_761) % self.seeded_pools.max(1);
                let body = json!({
                    "UserPoolId": format!("us-east-1_s{pool:08}"),
                    "Identifier": identifier,
                });
                self.api("DescribeResourceServer", body)
            }
            Scenario::Mix => {
                // 60% describe, 15% list, 10% token, 10% create, 5% update.
                let pick = match n % 20 {
                    0..=11 => Scenario::Describe,
                    12..=14 => Scenario::List,
                    15 | 16 => Scenario::Token,
                    17 | 18 => Scenario::Create,
                    _ => Scenario::Update,
                };
                self.request_for(pick)
            }
        }
    }
}

impl RequestSource for Source {
    fn next_request(&mut self) -> Request<Full<Bytes>> {
        self.request_for(self.scenario)
    }
}
