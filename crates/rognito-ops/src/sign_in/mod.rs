//! Sign-in: InitiateAuth and AdminInitiateAuth with USER_PASSWORD_AUTH,
//! ADMIN_USER_PASSWORD_AUTH (ADMIN_NO_SRP_AUTH), USER_SRP_AUTH and REFRESH_TOKEN(_AUTH);
//! RespondToAuthChallenge and AdminRespondToAuthChallenge with PASSWORD_VERIFIER,
//! NEW_PASSWORD_REQUIRED, SOFTWARE_TOKEN_MFA, SMS_MFA, EMAIL_OTP, SELECT_MFA_TYPE and MFA_SETUP.
//!
//! The state between steps travels with the client, sealed under the master key: the
//! challenge `Session` (and, for SRP, `SECRET_BLOCK`, since Cognito answers PASSWORD_VERIFIER
//! without a Session: srp-tokens-mfa.md §0.3). Each names its pool, client, user and expiry.
//! Sources: srp-tokens-mfa.md §2 (flows, challenges, texts) and users-and-groups.md §8
//! (lockout).

pub(crate) mod client;
pub(crate) mod mfa;
pub(crate) mod tokens;

use std::collections::BTreeMap;
use std::net::IpAddr;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rognito_model::*;
use serde::{Deserialize, Serialize};

use crate::srp;
use crate::users::admin::apply_attributes;
use crate::users::passwords::{self, PolicyPrefix};
use crate::users::{
    PoolView, User, UserSecrets, Writer, check_attributes, check_required, status, user_not_found,
};
use crate::{Cognito, RequestContext, required};
use client::UserClient;

/// The challenge session's default and only lifetime: 3 minutes (the app client's
/// `AuthSessionValidity` default; srp-tokens-mfa.md §2.5). The client's own setting is used
/// when it has one.
const SESSION_MS: i64 = 3 * 60 * 1000;

/// How far a TIMESTAMP may be from the server's clock (Cognito's window is unpublished:
/// srp-tokens-mfa.md §1.6).
const TIMESTAMP_SKEW_SECONDS: i64 = 300;

/// What a sign-in answers: tokens, or the next challenge.
#[derive(Debug, Default)]
pub(crate) struct Step {
    challenge_name: Option<String>,
    session: Option<String>,
    challenge_parameters: BTreeMap<String, String>,
    authentication_result: Option<AuthenticationResultType>,
}

macro_rules! into_response {
    ($($t:ty),*) => {$(
        impl From<Step> for $t {
            fn from(s: Step) -> Self {
                Self {
                    challenge_name: s.challenge_name,
                    session: s.session,
                    challenge_parameters: Some(s.challenge_parameters),
                    authentication_result: s.authentication_result,
                    available_challenges: None,
                }
            }
        }
    )*};
}
into_response!(
    InitiateAuthResponse,
    AdminInitiateAuthResponse,
    RespondToAuthChallengeResponse,
    AdminRespondToAuthChallengeResponse
);

/// The sealed state of a challenge (`Session`) or of SRP (`SECRET_BLOCK`). Each is answered
/// once: its `nonce` is recorded in the user's document when it is (see
/// [`Cognito::consume_session`]).
#[derive(Serialize, Deserialize)]
pub(crate) struct Pending {
    /// Random: names this session for single use.
    #[serde(default)]
    pub nonce: String,
    /// Issued by AdminInitiateAuth (answered only by AdminRespondToAuthChallenge) or not.
    #[serde(default)]
    pub admin: bool,
    pub pool: String,
    pub client: String,
    pub username: String,
    /// The challenge this state answers.
    pub challenge: String,
    pub exp_ms: i64,
    /// SRP: the server's secret `b`.
    #[serde(default)]
    pub srp_b: Vec<u8>,
    /// SRP: the client's public `A` (hex), sent at InitiateAuth only.
    #[serde(default)]
    pub srp_a: String,
    /// MFA_SETUP: the TOTP secret was verified (VerifySoftwareToken with this session).
    #[serde(default)]
    pub mfa_set_up: bool,
    /// SRP for a user that does not exist, on a client that hides that: the challenge looks
    /// real and its answer always fails.
    #[serde(default)]
    pub decoy: bool,
}

const SESSION_CONTEXT: &str = "auth-session/v1";
const SECRET_BLOCK_CONTEXT: &str = "srp-secret-block/v1";

fn not_authorized(message: &str) -> CognitoError {
    CognitoError::new(ErrorCode::NotAuthorizedException, message)
}

fn incorrect() -> CognitoError {
    not_authorized("Incorrect username or password.")
}

fn missing(name: &str) -> CognitoError {
    CognitoError::invalid_parameter(format!("Missing required parameter {name}"))
}

/// `TooManyRequestsException` for an address whose failed-authentication budget is used up
/// (the text of GetClientToken's refusal).
fn too_many_failures(refused: crate::auth_failures::Refused) -> CognitoError {
    CognitoError::new(
        ErrorCode::TooManyRequestsException,
        format!(
            "Too many failed authentications from this address or for this client; retry in {} s.",
            refused.retry_after_secs()
        ),
    )
}

fn too_many_failures_error() -> CognitoError {
    CognitoError::new(
        ErrorCode::TooManyRequestsException,
        "Too many failed authentications from this address; retry in 1 s.",
    )
}

fn invalid_session() -> CognitoError {
    not_authorized("Invalid session for the user.")
}

impl std::fmt::Debug for Pending {
    /// Leaves out the SRP secret `b`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pending")
            .field("pool", &self.pool)
            .field("client", &self.client)
            .field("username", &self.username)
            .field("challenge", &self.challenge)
            .field("exp_ms", &self.exp_ms)
            .finish_non_exhaustive()
    }
}

/// A fresh nonce for a session.
fn nonce() -> String {
    crate::ids::random_string(b"0123456789abcdef", 32)
}

impl Cognito {
    pub(crate) fn seal_pending(&self, context: &str, pending: &Pending) -> Vec<u8> {
        self.master
            .seal(context, &serde_json::to_vec(pending).unwrap_or_default())
    }

    /// A challenge `Session` for the user's next step.
    pub(crate) fn new_session(
        &self,
        pool: &PoolView,
        client: &UserClient,
        user: &User,
        challenge: &str,
    ) -> String {
        let minutes = client.client.auth_session_validity.map_or(3, i64::from);
        let lifetime = if minutes > 0 {
            minutes * 60_000
        } else {
            SESSION_MS
        };
        let pending = Pending {
            nonce: nonce(),
            admin: client.via_admin,
            pool: pool.id.clone(),
            client: client.client_id.clone(),
            username: user.record.username.clone(),
            challenge: challenge.into(),
            exp_ms: self.clock.now_ms() + lifetime,
            srp_b: Vec::new(),
            srp_a: String::new(),
            mfa_set_up: false,
            decoy: false,
        };
        URL_SAFE_NO_PAD.encode(self.seal_pending(SESSION_CONTEXT, &pending))
    }

    /// Opens a `Session`. Errors: unreadable or another pool's or client's →
    /// `Invalid session for the user.`; expired → `Invalid session for the user, session is
    /// expired.` (srp-tokens-mfa.md §2.5).
    pub(crate) fn open_session(
        &self,
        session: &str,
        pool: &PoolView,
        client_id: &str,
        admin: bool,
    ) -> Result<Pending, CognitoError> {
        let sealed = URL_SAFE_NO_PAD
            .decode(session)
            .map_err(|_| invalid_session())?;
        let plain = self
            .master
            .open(SESSION_CONTEXT, &sealed)
            .map_err(|_| invalid_session())?;
        let pending: Pending = serde_json::from_slice(&plain).map_err(|_| invalid_session())?;
        if pending.pool != pool.id || pending.client != client_id || pending.admin != admin {
            return Err(invalid_session());
        }
        if pending.exp_ms <= self.clock.now_ms() {
            return Err(not_authorized(
                "Invalid session for the user, session is expired.",
            ));
        }
        Ok(pending)
    }

    /// Marks a session (or SRP secret block) answered, so it cannot be answered again: its nonce
    /// goes into the user's document until the session would have expired.
    ///
    /// Errors: answered before → `NotAuthorizedException` `Invalid session for the user,
    /// session can only be used once.` (a text quoted by one third-party source:
    /// srp-tokens-mfa.md §2.5).
    pub(crate) async fn consume_session(
        &self,
        pool: &PoolView,
        pending: &Pending,
    ) -> Result<(), CognitoError> {
        let now = self.clock.now_ms();
        self.modify_user(pool, &pending.username, |u| {
            u.doc.answered_sessions.retain(|s| s.exp_ms > now);
            if u.doc
                .answered_sessions
                .iter()
                .any(|s| s.nonce == pending.nonce)
            {
                return Err(not_authorized(
                    "Invalid session for the user, session can only be used once.",
                ));
            }
            // Bounded: past the cap the oldest go (their sessions expire within minutes).
            if u.doc.answered_sessions.len() >= crate::users::ANSWERED_SESSIONS_KEPT {
                u.doc.answered_sessions.remove(0);
            }
            u.doc.answered_sessions.push(crate::users::AnsweredSession {
                nonce: pending.nonce.clone(),
                exp_ms: pending.exp_ms,
            });
            Ok(())
        })
        .await?;
        Ok(())
    }

    /// The next step once a user has proved its password: the checks of its status, then MFA,
    /// then tokens.
    async fn after_password(
        &self,
        pool: &PoolView,
        client: &UserClient,
        user: User,
    ) -> Result<Step, CognitoError> {
        match user.doc.status.as_str() {
            status::UNCONFIRMED => {
                return Err(CognitoError::new(
                    ErrorCode::UserNotConfirmedException,
                    "User is not confirmed.",
                ));
            }
            status::RESET_REQUIRED => {
                return Err(CognitoError::new(
                    ErrorCode::PasswordResetRequiredException,
                    "Password reset required for the user",
                ));
            }
            status::FORCE_CHANGE_PASSWORD => {
                if user
                    .doc
                    .temporary_password_expires_ms
                    .is_some_and(|e| e <= self.clock.now_ms())
                {
                    return Err(not_authorized(
                        "Temporary password has expired and must be reset by an administrator.",
                    ));
                }
                let attributes: serde_json::Map<String, serde_json::Value> = user
                    .doc
                    .attributes
                    .iter()
                    .filter(|a| a.name != "sub")
                    .map(|a| (a.name.clone(), a.value.clone().into()))
                    .collect();
                let required: Vec<String> = pool
                    .schema()
                    .iter()
                    .filter(|s| s.required == Some(true))
                    .filter_map(|s| s.name.clone())
                    .filter(|n| n != "sub" && user.doc.attribute(n).is_none())
                    .map(|n| format!("userAttributes.{n}"))
                    .collect();
                return Ok(Step {
                    challenge_name: Some("NEW_PASSWORD_REQUIRED".into()),
                    session: Some(self.new_session(pool, client, &user, "NEW_PASSWORD_REQUIRED")),
                    challenge_parameters: BTreeMap::from([
                        ("USER_ID_FOR_SRP".into(), user.record.username.clone()),
                        (
                            "requiredAttributes".into(),
                            serde_json::to_string(&required).unwrap_or_default(),
                        ),
                        (
                            "userAttributes".into(),
                            serde_json::Value::Object(attributes).to_string(),
                        ),
                    ]),
                    authentication_result: None,
                });
            }
            _ => {}
        }
        if let Some(step) = self.mfa_step(pool, client, &user).await? {
            return Ok(step);
        }
        self.tokens_step(pool, client, &user).await
    }

    async fn tokens_step(
        &self,
        pool: &PoolView,
        client: &UserClient,
        user: &User,
    ) -> Result<Step, CognitoError> {
        // A completed sign-in clears the failed-attempt count.
        if user.doc.failures.count > 0 {
            self.record_attempt(pool, user, true).await?;
        }
        Ok(Step {
            authentication_result: Some(self.issue_tokens(pool, client, user).await?),
            ..Default::default()
        })
    }

    /// Checks a password against the user's argon2id hash, with Cognito's lockout
    /// (users-and-groups.md §8): while locked every attempt, right or wrong, gets
    /// `NotAuthorizedException` `Password attempts exceeded` and is not counted; the fifth and
    /// later failures lock for 2^(n-5) s, at most 900 s; 15 minutes without attempts start the
    /// count again; a success clears it.
    ///
    /// Each check is also charged to the caller's address in the failed-authentication budget
    /// the token endpoint uses (`auth_failures`), and refunded when the password is right: one
    /// address cannot make the server hash passwords faster than that budget allows, whatever
    /// users it names.
    pub(crate) async fn check_password(
        &self,
        pool: &PoolView,
        user: &User,
        password: &str,
        source: Option<IpAddr>,
    ) -> Result<(), CognitoError> {
        let now = self.clock.now_ms();
        if user.doc.failures.locked_until_ms > now {
            return Err(not_authorized("Password attempts exceeded"));
        }
        let attempt = self
            .auth_failures
            .begin(source)
            .map_err(too_many_failures)?;
        let secrets = self.secrets_of(user)?;
        let phc = secrets.password.clone().unwrap_or_default();
        let password = password.to_owned();
        let matched = self
            .heavy(move || passwords::PasswordHashing::verify(&password, &phc))
            .await
            .map_err(|_| CognitoError::internal())?;
        // Only failures are recorded here: the count is cleared when a sign-in completes
        // (tokens issued), so a right password cannot reset what wrong MFA codes counted.
        if !matched {
            self.record_attempt(pool, user, false).await?;
        }
        if matched {
            attempt.succeeded("");
            Ok(())
        } else {
            Err(incorrect())
        }
    }

    /// For a user that does not exist, when the client hides that (`PreventUserExistenceErrors`
    /// ENABLED): the same cost and answer as a wrong password, so neither the error nor the
    /// time tells the user is missing.
    async fn no_such_user(&self, source: Option<IpAddr>) -> CognitoError {
        let Ok(_attempt) = self.auth_failures.begin(source) else {
            return too_many_failures_error();
        };
        let hashing = self.config.password_hashing;
        let phc = self
            .decoy_password
            .get_or_init(|| hashing.hash("rognito decoy password").unwrap_or_default())
            .clone();
        let _ = self
            .heavy(move || passwords::PasswordHashing::verify("not the password", &phc))
            .await;
        incorrect()
    }

    /// Counts a sign-in attempt toward the lockout (see [`Cognito::check_password`]).
    pub(crate) async fn record_attempt(
        &self,
        pool: &PoolView,
        user: &User,
        succeeded: bool,
    ) -> Result<(), CognitoError> {
        let now = self.clock.now_ms();
        if succeeded && user.doc.failures.count == 0 {
            return Ok(());
        }
        self.modify_user(pool, &user.record.username, |u| {
            let f = &mut u.doc.failures;
            if succeeded {
                *f = Default::default();
                return Ok(());
            }
            if now - f.last_ms > 15 * 60 * 1000 {
                f.count = 0;
            }
            f.count += 1;
            f.last_ms = now;
            if f.count >= 5 {
                let seconds = 1i64 << (f.count - 5).min(10);
                f.locked_until_ms = now + seconds.min(900) * 1000;
            }
            Ok(())
        })
        .await?;
        Ok(())
    }

    /// The user an AuthParameters `USERNAME` names, or Cognito's answer for a missing one
    /// (`UserNotFoundException` with LEGACY existence errors, the generic password error with
    /// ENABLED).
    async fn sign_in_user(
        &self,
        pool: &PoolView,
        client: &UserClient,
        given: &str,
        source: Option<IpAddr>,
    ) -> Result<User, CognitoError> {
        match self.find_user(pool, given).await? {
            Some(user) => {
                if !user.doc.enabled {
                    return Err(not_authorized("User is disabled."));
                }
                Ok(user)
            }
            None if client.hides_users() => Err(self.no_such_user(source).await),
            None => Err(user_not_found()),
        }
    }

    async fn start(
        &self,
        source: Option<IpAddr>,
        pool: &PoolView,
        client: &UserClient,
        flow: &str,
        parameters: &BTreeMap<String, String>,
    ) -> Result<Step, CognitoError> {
        let param = |name: &str| {
            parameters
                .get(name)
                .map(String::as_str)
                .filter(|v| !v.is_empty())
        };
        let flow_supported = matches!(
            (client.via_admin, flow),
            (_, "USER_SRP_AUTH" | "REFRESH_TOKEN_AUTH" | "REFRESH_TOKEN")
                | (false, "USER_PASSWORD_AUTH")
                | (true, "ADMIN_USER_PASSWORD_AUTH" | "ADMIN_NO_SRP_AUTH")
        );
        if !flow_supported {
            return Err(CognitoError::invalid_parameter(
                "Initiate Auth method not supported.",
            ));
        }
        if !client.via_admin {
            // AdminInitiateAuth and AdminRespondToAuthChallenge are signed: the gateway
            // charged them.
            self.charge_user_operation(pool, ApiCategory::UserAuthentication)?;
        }
        match flow {
            "REFRESH_TOKEN_AUTH" | "REFRESH_TOKEN" => {
                if !client.allows(&["ALLOW_REFRESH_TOKEN_AUTH"]) {
                    return Err(CognitoError::invalid_parameter(
                        "Refresh Token flow not enabled for this client",
                    ));
                }
                if client.rotates_refresh_tokens() {
                    // "Refresh token rotation must be completed with GetTokensFromRefreshToken"
                    // (API reference, RefreshTokenRotationType); the text is rognito's.
                    return Err(CognitoError::invalid_parameter(
                        "Refresh token rotation is enabled for this client: refresh with \
                         GetTokensFromRefreshToken.",
                    ));
                }
                let token = param("REFRESH_TOKEN").ok_or_else(|| missing("REFRESH_TOKEN"))?;
                let result = self
                    .refresh_tokens(
                        pool,
                        client,
                        token,
                        tokens::SecretProof::Hash(param("SECRET_HASH")),
                        false,
                    )
                    .await?;
                Ok(Step {
                    authentication_result: Some(result),
                    ..Default::default()
                })
            }
            "USER_PASSWORD_AUTH" | "ADMIN_USER_PASSWORD_AUTH" | "ADMIN_NO_SRP_AUTH" => {
                if flow == "USER_PASSWORD_AUTH" {
                    if !client.allows(&["ALLOW_USER_PASSWORD_AUTH", "USER_PASSWORD_AUTH"]) {
                        return Err(CognitoError::invalid_parameter(
                            "USER_PASSWORD_AUTH flow not enabled for this client",
                        ));
                    }
                } else if !client.allows(&["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"]) {
                    return Err(CognitoError::invalid_parameter(
                        "Auth flow not enabled for this client",
                    ));
                }
                let given = param("USERNAME").ok_or_else(|| missing("USERNAME"))?;
                client.check_secret_hash(given, param("SECRET_HASH"))?;
                let password = param("PASSWORD").ok_or_else(|| missing("PASSWORD"))?;
                let user = self.sign_in_user(pool, client, given, source).await?;
                self.check_password(pool, &user, password, source).await?;
                let user = self.existing_user(pool, &user.record.username).await?;
                self.after_password(pool, client, user).await
            }
            _ => {
                if !client.allows(&["ALLOW_USER_SRP_AUTH"]) {
                    return Err(CognitoError::invalid_parameter(
                        "USER_SRP_AUTH is not enabled for the client.",
                    ));
                }
                let given = param("USERNAME").ok_or_else(|| missing("USERNAME"))?;
                client.check_secret_hash(given, param("SECRET_HASH"))?;
                let srp_a = param("SRP_A").ok_or_else(|| missing("SRP_A"))?;
                // A is below N (3072 bits): more than 1024 hex digits is never a valid A.
                if srp_a.len() > 1024 {
                    return Err(CognitoError::invalid_parameter("Invalid SRP_A"));
                }
                srp::check_a(srp_a)
                    .map_err(|_| CognitoError::invalid_parameter("Invalid SRP_A"))?;
                // A user the client hides the absence of gets a decoy challenge: a salt that is
                // the same on every ask (derived from the name under the master key) and a
                // server value made the same way as a real one; its answer always fails
                // (srp-tokens-mfa.md §2.7: "first step returns a fake SRP_B/salt").
                let (username, verifier, decoy) = match self.find_user(pool, given).await? {
                    Some(user) => {
                        if !user.doc.enabled {
                            return Err(not_authorized("User is disabled."));
                        }
                        if user.doc.failures.locked_until_ms > self.clock.now_ms() {
                            return Err(not_authorized("Password attempts exceeded"));
                        }
                        let secrets = self.secrets_of(&user)?;
                        let verifier = srp::Verifier {
                            salt: secrets.srp_salt,
                            verifier: secrets.srp_verifier,
                        };
                        (user.record.username, verifier, false)
                    }
                    None if client.hides_users() => {
                        let name = format!("{}/{}", pool.id, pool.fold(given));
                        let salt = self.master.digest("srp-decoy-salt", name.as_bytes());
                        let verifier = srp::Verifier {
                            salt: salt.get(..16).unwrap_or_default().to_vec(),
                            verifier: self.master.digest("srp-decoy-verifier", name.as_bytes()),
                        };
                        (given.to_owned(), verifier, true)
                    }
                    None => return Err(user_not_found()),
                };
                let ephemeral = self
                    .heavy({
                        let verifier = verifier.clone();
                        move || srp::server_ephemeral(&verifier)
                    })
                    .await
                    .map_err(|_| CognitoError::internal())?;
                let pending = Pending {
                    nonce: nonce(),
                    admin: client.via_admin,
                    pool: pool.id.clone(),
                    client: client.client_id.clone(),
                    username: username.clone(),
                    challenge: "PASSWORD_VERIFIER".into(),
                    exp_ms: self.clock.now_ms() + SESSION_MS,
                    srp_b: ephemeral.b.to_vec(),
                    srp_a: srp_a.to_owned(),
                    mfa_set_up: false,
                    decoy,
                };
                let block = STANDARD.encode(self.seal_pending(SECRET_BLOCK_CONTEXT, &pending));
                Ok(Step {
                    challenge_name: Some("PASSWORD_VERIFIER".into()),
                    session: None,
                    challenge_parameters: BTreeMap::from([
                        ("SALT".into(), srp::salt_hex(&verifier)),
                        ("SECRET_BLOCK".into(), block),
                        ("SRP_B".into(), ephemeral.srp_b),
                        ("USERNAME".into(), username.clone()),
                        ("USER_ID_FOR_SRP".into(), username),
                    ]),
                    authentication_result: None,
                })
            }
        }
    }

    pub(crate) async fn initiate_auth(
        &self,
        ctx: &RequestContext,
        input: InitiateAuthRequest,
    ) -> Result<InitiateAuthResponse, CognitoError> {
        let (client, pool) = self
            .user_client(required(input.client_id.as_deref(), "ClientId")?)
            .await?;
        let flow = required(input.auth_flow.as_deref(), "AuthFlow")?;
        let parameters = input.auth_parameters.clone().unwrap_or_default();
        self.start(ctx.source_ip, &pool, &client, flow, &parameters)
            .await
            .map(Into::into)
    }

    pub(crate) async fn admin_initiate_auth(
        &self,
        ctx: &RequestContext,
        input: AdminInitiateAuthRequest,
    ) -> Result<AdminInitiateAuthResponse, CognitoError> {
        let pool = self
            .pool_view(ctx, required(input.user_pool_id.as_deref(), "UserPoolId")?)
            .await?;
        let client = self
            .user_client_in(&pool, required(input.client_id.as_deref(), "ClientId")?)
            .await?;
        let flow = required(input.auth_flow.as_deref(), "AuthFlow")?;
        let parameters = input.auth_parameters.clone().unwrap_or_default();
        self.start(ctx.source_ip, &pool, &client, flow, &parameters)
            .await
            .map(Into::into)
    }

    pub(crate) async fn respond_to_auth_challenge(
        &self,
        ctx: &RequestContext,
        input: RespondToAuthChallengeRequest,
    ) -> Result<RespondToAuthChallengeResponse, CognitoError> {
        let (client, pool) = self
            .user_client(required(input.client_id.as_deref(), "ClientId")?)
            .await?;
        let name = required(input.challenge_name.as_deref(), "ChallengeName")?;
        let responses = input.challenge_responses.clone().unwrap_or_default();
        self.respond(
            ctx.source_ip,
            &pool,
            &client,
            name,
            input.session.as_deref(),
            &responses,
        )
        .await
        .map(Into::into)
    }

    pub(crate) async fn admin_respond_to_auth_challenge(
        &self,
        ctx: &RequestContext,
        input: AdminRespondToAuthChallengeRequest,
    ) -> Result<AdminRespondToAuthChallengeResponse, CognitoError> {
        let pool = self
            .pool_view(ctx, required(input.user_pool_id.as_deref(), "UserPoolId")?)
            .await?;
        let client = self
            .user_client_in(&pool, required(input.client_id.as_deref(), "ClientId")?)
            .await?;
        let name = required(input.challenge_name.as_deref(), "ChallengeName")?;
        let responses = input.challenge_responses.clone().unwrap_or_default();
        self.respond(
            ctx.source_ip,
            &pool,
            &client,
            name,
            input.session.as_deref(),
            &responses,
        )
        .await
        .map(Into::into)
    }

    async fn respond(
        &self,
        source: Option<IpAddr>,
        pool: &PoolView,
        client: &UserClient,
        name: &str,
        session: Option<&str>,
        responses: &BTreeMap<String, String>,
    ) -> Result<Step, CognitoError> {
        let response = |key: &str| {
            responses
                .get(key)
                .map(String::as_str)
                .filter(|v| !v.is_empty())
        };
        if !client.via_admin {
            // AdminInitiateAuth and AdminRespondToAuthChallenge are signed: the gateway
            // charged them.
            self.charge_user_operation(pool, ApiCategory::UserAuthentication)?;
        }
        if name == "PASSWORD_VERIFIER" {
            return self
                .password_verifier(source, pool, client, responses)
                .await;
        }
        let session = session
            .filter(|s| !s.is_empty())
            .ok_or_else(|| missing("Session"))?;
        let pending = self.open_session(session, pool, &client.client_id, client.via_admin)?;
        if pending.challenge != name {
            return Err(invalid_session());
        }
        let given = response("USERNAME").ok_or_else(|| missing("USERNAME"))?;
        client.check_secret_hash(given, response("SECRET_HASH"))?;
        let user = self.existing_user(pool, &pending.username).await?;
        // USERNAME must name the session's user (by any of its names).
        if self
            .find_user(pool, given)
            .await?
            .is_none_or(|named| named.record.username != user.record.username)
        {
            return Err(invalid_session());
        }
        if !user.doc.enabled {
            return Err(not_authorized("User is disabled."));
        }
        match name {
            "NEW_PASSWORD_REQUIRED" => {
                // Only a user still waiting for its first password answers this.
                if user.doc.status != status::FORCE_CHANGE_PASSWORD {
                    return Err(invalid_session());
                }
                let password = response("NEW_PASSWORD").ok_or_else(|| missing("NEW_PASSWORD"))?;
                // The attributes the user gives are checked as the client writing them would
                // be (schema, `WriteAttributes`, no `sub` or `*_verified`); immutable ones may
                // be set now, as at sign-up.
                let written: Vec<AttributeType> = responses
                    .iter()
                    .filter_map(|(k, v)| {
                        Some(AttributeType {
                            name: Some(k.strip_prefix("userAttributes.")?.to_owned()),
                            value: Some(v.clone()),
                        })
                    })
                    .collect();
                check_attributes(
                    pool,
                    &written,
                    Writer::Client(client.client.write_attributes.as_deref()),
                    true,
                )?;
                let mut updated = user.clone();
                apply_attributes(&mut updated.doc, &written);
                check_required(pool, &updated.doc)?;
                passwords::check_policy(password, pool.password_policy(), PolicyPrefix::Other)?;
                self.consume_session(pool, &pending).await?;
                let user = self
                    .set_password(pool, &user.record.username, password, |doc| {
                        let before = doc.clone();
                        apply_attributes(doc, &written);
                        // A new email or phone number is not verified.
                        for attribute in ["email", "phone_number"] {
                            if before.attribute(attribute) != doc.attribute(attribute)
                                && doc.attribute(attribute).is_some()
                            {
                                doc.set_attribute(&format!("{attribute}_verified"), "false");
                            }
                        }
                        doc.status = status::CONFIRMED.into();
                        doc.temporary_password_expires_ms = None;
                    })
                    .await?;
                if let Some(step) = self.mfa_step(pool, client, &user).await? {
                    return Ok(step);
                }
                self.tokens_step(pool, client, &user).await
            }
            "SOFTWARE_TOKEN_MFA" | "SMS_MFA" | "EMAIL_OTP" => {
                self.answer_mfa(pool, client, user, &pending, name, responses)
                    .await
            }
            "SELECT_MFA_TYPE" => {
                let answer = response("ANSWER").ok_or_else(|| missing("ANSWER"))?;
                self.consume_session(pool, &pending).await?;
                self.selected_mfa(pool, client, user, answer).await
            }
            "MFA_SETUP" => {
                if !pending.mfa_set_up {
                    return Err(invalid_session());
                }
                self.consume_session(pool, &pending).await?;
                self.tokens_step(pool, client, &user).await
            }
            _ => Err(CognitoError::invalid_parameter(format!(
                "{name} is not a challenge rognito answers."
            ))),
        }
    }

    /// PASSWORD_VERIFIER (srp-tokens-mfa.md §1.8): the SECRET_BLOCK holds the server's state;
    /// the signature proves the password. A wrong proof counts toward the lockout.
    async fn password_verifier(
        &self,
        source: Option<IpAddr>,
        pool: &PoolView,
        client: &UserClient,
        responses: &BTreeMap<String, String>,
    ) -> Result<Step, CognitoError> {
        let response = |key: &str| {
            responses
                .get(key)
                .map(String::as_str)
                .filter(|v| !v.is_empty())
        };
        let given = response("USERNAME").ok_or_else(|| missing("USERNAME"))?;
        client.check_secret_hash(given, response("SECRET_HASH"))?;
        let block_b64 = response("PASSWORD_CLAIM_SECRET_BLOCK")
            .ok_or_else(|| missing("PASSWORD_CLAIM_SECRET_BLOCK"))?;
        let signature = response("PASSWORD_CLAIM_SIGNATURE")
            .ok_or_else(|| missing("PASSWORD_CLAIM_SIGNATURE"))?;
        let timestamp = response("TIMESTAMP").ok_or_else(|| missing("TIMESTAMP"))?;
        let block = STANDARD.decode(block_b64).map_err(|_| incorrect())?;
        let pending: Pending = self
            .master
            .open(SECRET_BLOCK_CONTEXT, &block)
            .ok()
            .and_then(|p| serde_json::from_slice(&p).ok())
            .ok_or_else(incorrect)?;
        if pending.pool != pool.id || pending.client != client.client_id {
            return Err(incorrect());
        }
        if pending.exp_ms <= self.clock.now_ms() {
            return Err(not_authorized(
                "Invalid session for the user, session is expired.",
            ));
        }
        let parsed = srp::parse_timestamp(timestamp)
            .map_err(|e| CognitoError::invalid_parameter(e.to_string()))?;
        let skew = (parsed.unix_timestamp() - self.clock.now_ms() / 1000).abs();
        if pending.decoy {
            return Err(self.no_such_user(source).await);
        }
        let user = self.existing_user(pool, &pending.username).await?;
        if !user.doc.enabled {
            return Err(not_authorized("User is disabled."));
        }
        if user.doc.failures.locked_until_ms > self.clock.now_ms() {
            return Err(not_authorized("Password attempts exceeded"));
        }
        let secrets: UserSecrets = self.secrets_of(&user)?;
        let verifier = srp::Verifier {
            salt: secrets.srp_salt,
            verifier: secrets.srp_verifier,
        };
        let (srp_a, pool_name, username, timestamp, signature) = (
            pending.srp_a.clone(),
            pool.srp_pool_name().to_owned(),
            user.record.username.clone(),
            timestamp.to_owned(),
            signature.to_owned(),
        );
        let attempt = self
            .auth_failures
            .begin(source)
            .map_err(too_many_failures)?;
        // One answer per SECRET_BLOCK, right or wrong: a proof seen once cannot be replayed.
        self.consume_session(pool, &pending).await?;
        let b = pending.srp_b.clone();
        let proved = self
            .heavy(move || {
                srp::check_signature(
                    &verifier, &b, &srp_a, &pool_name, &username, &block, &timestamp, &signature,
                )
            })
            .await
            .map_err(|_| CognitoError::internal())?;
        let proved = proved.is_ok() && skew <= TIMESTAMP_SKEW_SECONDS && !pending.decoy;
        if !proved {
            self.record_attempt(pool, &user, false).await?;
            return Err(incorrect());
        }
        attempt.succeeded("");
        let user = self.existing_user(pool, &pending.username).await?;
        self.after_password(pool, client, user).await
    }
}
