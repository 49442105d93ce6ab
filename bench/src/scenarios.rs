//! What the benchmark sends: signed Cognito API calls, token requests, health checks, and the
//! seeding that makes them succeed on a fresh server.

use std::net::SocketAddr;

use anyhow::{Context, bail};
use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use serde_json::{Value, json};

use rognito_ops::srp;

use crate::load::{Exchange, RequestSource, Then};
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

/// An unsigned AWS JSON 1.1 request (InitiateAuth, RespondToAuthChallenge: the operations an
/// app calls without AWS credentials).
pub fn unsigned_request(host: &str, operation: &str, body: Bytes) -> Request<Full<Bytes>> {
    Request::post("/")
        .header("host", host)
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", format!("{TARGET_PREFIX}.{operation}"))
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
        self.send(operation, request).await
    }

    /// [`Client::call`] without a signature.
    pub async fn call_unsigned(&mut self, operation: &str, body: Value) -> anyhow::Result<Value> {
        let request = unsigned_request(
            &self.endpoint.host(),
            operation,
            Bytes::from(body.to_string()),
        );
        self.send(operation, request).await
    }

    async fn send(
        &mut self,
        operation: &str,
        request: Request<Full<Bytes>>,
    ) -> anyhow::Result<Value> {
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
    /// Confirmed users and a sign-in client, when a user scenario runs.
    pub users: Option<UsersSeed>,
}

/// The users' pool: [`SIGN_IN_USERS`] confirmed users with [`PASSWORD`], a public client that
/// allows USER_PASSWORD_AUTH, USER_SRP_AUTH and refresh, and one refresh token per user.
#[derive(Clone)]
pub struct UsersSeed {
    pub pool: String,
    pub client_id: String,
    pub usernames: Vec<String>,
    /// One per user (empty when not asked for: moto).
    pub refresh_tokens: Vec<String>,
}

/// Enough users that per-user state (lockout counters, a user's row) is not what is measured.
pub const SIGN_IN_USERS: usize = 64;
/// Every seeded and created user's password (meets the default policy).
pub const PASSWORD: &str = "Bench-Passw0rd!";

/// What a seed makes besides the resource servers and pools every run uses.
#[derive(Clone, Copy)]
pub struct SeedParts {
    /// The M2M clients (rognito only).
    pub m2m: bool,
    /// The users' pool and its users (when a user scenario runs).
    pub users: bool,
    /// A refresh token per user (rognito only: moto's refresh is not measured).
    pub refresh_tokens: bool,
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
    parts: SeedParts,
) -> anyhow::Result<Seed> {
    let with_m2m = parts.m2m;
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
    let users = if parts.users {
        Some(seed_users(endpoint, parts.refresh_tokens).await?)
    } else {
        None
    };
    Ok(Seed {
        pool,
        create_pools: pools,
        m2m,
        users,
    })
}

/// The users' pool, its client and [`SIGN_IN_USERS`] confirmed users, made 16 at a time (each
/// password is hashed twice with argon2id: the temporary one, then the permanent one).
async fn seed_users(endpoint: &Endpoint, refresh_tokens: bool) -> anyhow::Result<UsersSeed> {
    let created = call(
        endpoint,
        "CreateUserPool",
        json!({"PoolName": "bench-users"}),
    )
    .await?;
    let pool = created["UserPool"]["Id"]
        .as_str()
        .context("no pool id")?
        .to_owned();
    let client = call(
        endpoint,
        "CreateUserPoolClient",
        json!({
            "UserPoolId": pool, "ClientName": "sign-in", "GenerateSecret": false,
            "ExplicitAuthFlows": [
                "ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH",
            ],
        }),
    )
    .await?;
    let client_id = client["UserPoolClient"]["ClientId"]
        .as_str()
        .context("no client id")?
        .to_owned();
    let usernames: Vec<String> = (0..SIGN_IN_USERS)
        .map(|i| format!("bench-user-{i:02}"))
        .collect();
    let mut tokens = Vec::new();
    for batch in usernames.chunks(16) {
        let tasks: Vec<_> = batch
            .iter()
            .map(|username| {
                let (endpoint, pool, client_id, username) = (
                    endpoint.clone(),
                    pool.clone(),
                    client_id.clone(),
                    username.clone(),
                );
                tokio::task::spawn_local(async move {
                    // A connection per call: moto closes each after its response.
                    call(
                        &endpoint,
                        "AdminCreateUser",
                        json!({
                            "UserPoolId": pool, "Username": username,
                            "MessageAction": "SUPPRESS", "TemporaryPassword": PASSWORD,
                        }),
                    )
                    .await?;
                    call(
                        &endpoint,
                        "AdminSetUserPassword",
                        json!({
                            "UserPoolId": pool, "Username": username,
                            "Password": PASSWORD, "Permanent": true,
                        }),
                    )
                    .await?;
                    if !refresh_tokens {
                        return anyhow::Ok(None);
                    }
                    let signed_in = Client::connect(&endpoint)
                        .await?
                        .call_unsigned(
                            "InitiateAuth",
                            json!({
                                "AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client_id,
                                "AuthParameters": {"USERNAME": username, "PASSWORD": PASSWORD},
                            }),
                        )
                        .await?;
                    let token = signed_in["AuthenticationResult"]["RefreshToken"]
                        .as_str()
                        .with_context(|| format!("no refresh token for {username}: {signed_in}"))?
                        .to_owned();
                    Ok(Some(token))
                })
            })
            .collect();
        for task in tasks {
            tokens.extend(task.await??);
        }
    }
    Ok(UsersSeed {
        pool,
        client_id,
        usernames,
        refresh_tokens: tokens,
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
    /// AdminCreateUser with a temporary password (argon2id + an SRP verifier per user).
    CreateUser,
    /// InitiateAuth USER_PASSWORD_AUTH (argon2id verify, two RSA signatures).
    SignInPassword,
    /// InitiateAuth USER_SRP_AUTH then RespondToAuthChallenge PASSWORD_VERIFIER, one sign-in.
    SignInSrp,
    /// InitiateAuth REFRESH_TOKEN_AUTH (two RSA signatures).
    Refresh,
    /// DescribeResourceServer on random pools of the scale data set (`rognito seed`).
    DescribeScale,
}

impl Scenario {
    pub const ALL: [Scenario; 12] = [
        Scenario::Floor,
        Scenario::Describe,
        Scenario::List,
        Scenario::Create,
        Scenario::Update,
        Scenario::Token,
        Scenario::GetClientToken,
        Scenario::Mix,
        Scenario::CreateUser,
        Scenario::SignInPassword,
        Scenario::SignInSrp,
        Scenario::Refresh,
    ];

    /// The scenarios that need the users' seed.
    pub fn needs_users(self) -> bool {
        matches!(
            self,
            Scenario::CreateUser
                | Scenario::SignInPassword
                | Scenario::SignInSrp
                | Scenario::Refresh
        )
    }

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
            Scenario::CreateUser => "AdminCreateUser",
            Scenario::SignInPassword => "InitiateAuth USER_PASSWORD_AUTH",
            Scenario::SignInSrp => "USER_SRP_AUTH sign-in (2 requests; sign-ins/s)",
            Scenario::Refresh => "InitiateAuth REFRESH_TOKEN_AUTH",
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
            Scenario::CreateUser => "admin-create-user",
            Scenario::SignInPassword => "sign-in-password",
            Scenario::SignInSrp => "sign-in-srp",
            Scenario::Refresh => "refresh",
            Scenario::DescribeScale => "describe-scale",
        }
    }

    /// moto has no Update/Delete for resource servers, no token endpoint, no GetClientToken;
    /// its SRP answers a random `SRP_B` and checks no proof, so it is not measured; its refresh
    /// is left out with it (the comparison is for creating users and password sign-in).
    pub fn moto_supports(self) -> bool {
        matches!(
            self,
            Scenario::Describe
                | Scenario::List
                | Scenario::Create
                | Scenario::CreateUser
                | Scenario::SignInPassword
        )
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
    users: Option<UsersSeed>,
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
            users: seed.users.clone(),
        }
    }

    fn users(&self) -> &UsersSeed {
        self.users
            .as_ref()
            .expect("user scenarios run on a seed with users")
    }

    fn unsigned(&self, operation: &str, body: &Value) -> Request<Full<Bytes>> {
        unsigned_request(&self.host, operation, Bytes::from(body.to_string()))
    }

    /// One USER_SRP_AUTH sign-in: both steps run on the blocking pool (each holds a client
    /// modexp or three), see [`crate::load::Then`].
    fn srp_exchange(&mut self) -> Exchange {
        let n = self.counter as usize;
        self.counter += 1;
        let users = self.users();
        let username = users.usernames[n % users.usernames.len()].clone();
        let client_id = users.client_id.clone();
        let pool_name = users
            .pool
            .split_once('_')
            .map(|(_, name)| name.to_owned())
            .unwrap_or_default();
        let host = self.host.clone();
        let first: Then = Box::new(move |_: &[u8]| {
            let (a, srp_a) = srp::client::client_ephemeral();
            let body = json!({
                "AuthFlow": "USER_SRP_AUTH", "ClientId": client_id,
                "AuthParameters": {"USERNAME": username, "SRP_A": srp_a},
            });
            let request = unsigned_request(&host, "InitiateAuth", Bytes::from(body.to_string()));
            let then: Then = Box::new(move |answer: &[u8]| {
                let answer: Value = serde_json::from_slice(answer)?;
                let parameters = &answer["ChallengeParameters"];
                let field = |k: &str| {
                    parameters[k]
                        .as_str()
                        .with_context(|| format!("no {k} in the challenge: {answer}"))
                };
                let user_id = field("USER_ID_FOR_SRP")?;
                let secret_block = field("SECRET_BLOCK")?;
                let timestamp = srp::format_timestamp(time::OffsetDateTime::now_utc());
                let signature = srp::client::client_signature(
                    &pool_name,
                    user_id,
                    PASSWORD,
                    field("SALT")?,
                    field("SRP_B")?,
                    &a,
                    secret_block,
                    &timestamp,
                )
                .context("the challenge cannot be signed")?;
                let mut body = json!({
                    "ChallengeName": "PASSWORD_VERIFIER", "ClientId": client_id,
                    "ChallengeResponses": {
                        "USERNAME": user_id,
                        "PASSWORD_CLAIM_SECRET_BLOCK": secret_block,
                        "PASSWORD_CLAIM_SIGNATURE": signature,
                        "TIMESTAMP": timestamp,
                    },
                });
                if let Some(session) = answer["Session"].as_str() {
                    body["Session"] = session.into();
                }
                Ok(Exchange {
                    request: Some(unsigned_request(
                        &host,
                        "RespondToAuthChallenge",
                        Bytes::from(body.to_string()),
                    )),
                    then: None,
                })
            });
            Ok(Exchange {
                request: Some(request),
                then: Some(then),
            })
        });
        Exchange {
            request: None,
            then: Some(first),
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
            Scenario::CreateUser => {
                let body = json!({
                    "UserPoolId": self.users().pool,
                    "Username": format!("new-{}-{n}", self.run_tag),
                    "MessageAction": "SUPPRESS",
                    "TemporaryPassword": PASSWORD,
                });
                self.api("AdminCreateUser", body)
            }
            Scenario::SignInPassword => {
                let users = self.users();
                let body = json!({
                    "AuthFlow": "USER_PASSWORD_AUTH", "ClientId": users.client_id,
                    "AuthParameters": {
                        "USERNAME": users.usernames[n as usize % users.usernames.len()],
                        "PASSWORD": PASSWORD,
                    },
                });
                self.unsigned("InitiateAuth", &body)
            }
            Scenario::Refresh => {
                let users = self.users();
                let body = json!({
                    "AuthFlow": "REFRESH_TOKEN_AUTH", "ClientId": users.client_id,
                    "AuthParameters": {
                        "REFRESH_TOKEN":
                            users.refresh_tokens[n as usize % users.refresh_tokens.len().max(1)],
                    },
                });
                self.unsigned("InitiateAuth", &body)
            }
            Scenario::SignInSrp => {
                unreachable!("an SRP sign-in is two requests: next_exchange makes them")
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

    fn next_exchange(&mut self) -> Exchange {
        if self.scenario == Scenario::SignInSrp {
            return self.srp_exchange();
        }
        Exchange {
            request: Some(self.next_request()),
            then: None,
        }
    }
}
