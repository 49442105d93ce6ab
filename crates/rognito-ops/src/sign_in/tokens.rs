//! User tokens: the ID and access tokens a sign-in issues (Cognito's claims in Cognito's
//! order), the opaque refresh token sealed under the master key, the sign-in sessions they
//! belong to, and the checks of the operations an access token authorizes.
//!
//! Every sign-in is a session (a row in the store, `origin_jti` of its tokens). Refreshing
//! needs the session; RevokeToken deletes it; GlobalSignOut, AdminUserGlobalSignOut and
//! AdminDisableUser delete all of a user's. An access token is accepted by the operations it
//! authorizes only while its session exists, so revocation takes effect on the next request.
//! (Signatures still verify offline, as Cognito's do: srp-tokens-mfa.md §3.7.)

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rognito_model::{AuthenticationResultType, CognitoError, ErrorCode};
use rognito_store::{SessionRecord, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::client::UserClient;
use crate::users::{PoolView, User};
use crate::{Cognito, internal};

/// The scope of access tokens from the user-pool API (srp-tokens-mfa.md §3.2).
pub(crate) const ADMIN_SCOPE: &str = "aws.cognito.signin.user.admin";

/// The JWE-shaped header Cognito's refresh tokens start with (srp-tokens-mfa.md §3.5): clients
/// treat the token as opaque, but some check its shape.
const REFRESH_HEADER: &str = "eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIiwiYWxnIjoiUlNBLU9BRVAifQ";

/// The sealing context of refresh tokens.
const REFRESH_CONTEXT: &str = "refresh-token/v1";

/// What a refresh token carries, sealed.
#[derive(Debug, Serialize, Deserialize)]
struct RefreshClaims {
    pool: String,
    session: String,
    username: String,
    client: String,
    exp_ms: i64,
    /// Which rotation of the session this token is (0 before any rotation).
    #[serde(default)]
    generation: u32,
}

/// How a refresh proves the client's secret (for a client that has one).
#[derive(Debug, Clone, Copy)]
pub(crate) enum SecretProof<'a> {
    /// REFRESH_TOKEN_AUTH: the `SECRET_HASH` parameter, if sent.
    Hash(Option<&'a str>),
    /// GetTokensFromRefreshToken: the caller already checked `ClientSecret`.
    Checked,
}

/// What a session row keeps (`SessionRecord::doc`).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct SessionDoc {
    /// When the user signed in (seconds since the epoch): `auth_time` of every token of it.
    pub auth_time: i64,
    /// The scopes of its access tokens.
    pub scope: String,
    /// How often its refresh token was rotated: only the newest generation refreshes (and the
    /// one before it until `previous_until_ms`, the client's retry grace period).
    #[serde(default)]
    pub generation: u32,
    #[serde(default)]
    pub previous_until_ms: i64,
}

/// Java `String.hashCode` over UTF-16 units.
fn java_hash(s: &str) -> u32 {
    s.encode_utf16().fold(0u32, |h, unit| {
        h.wrapping_mul(31).wrapping_add(u32::from(unit))
    })
}

/// Serialises claims in the order a Java `HashMap` iterates them (srp-tokens-mfa.md §3.4):
/// by bucket `(h ^ h >> 16) & (capacity - 1)`, and in insertion order within a bucket. The
/// capacity is 32 (what every token since 2021 fits, with 12 to 16 claims), doubled while the
/// count passes three quarters of it, as Java resizes.
pub(crate) fn in_cognito_order(claims: Vec<(String, Value)>) -> Vec<u8> {
    let mut capacity = 32usize;
    while claims.len() * 4 > capacity * 3 {
        capacity *= 2;
    }
    let mask = (capacity - 1) as u32;
    let mut indexed: Vec<(u32, usize, (String, Value))> = claims
        .into_iter()
        .enumerate()
        .map(|(i, (k, v))| {
            let h = java_hash(&k);
            ((h ^ (h >> 16)) & mask, i, (k, v))
        })
        .collect();
    indexed.sort_by_key(|(bucket, i, _)| (*bucket, *i));
    let mut out = Vec::with_capacity(1024);
    out.push(b'{');
    for (n, (_, _, (k, v))) in indexed.into_iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        out.extend(serde_json::to_vec(&k).unwrap_or_default());
        out.push(b':');
        out.extend(serde_json::to_vec(&v).unwrap_or_default());
    }
    out.push(b'}');
    out
}

/// Seconds of a client's token validity (`TokenValidityUnits`; defaults: access and ID 1 hour,
/// refresh 30 days; srp-tokens-mfa.md §3.6).
fn validity_seconds(
    value: Option<i64>,
    unit: Option<&str>,
    default_unit: &str,
    default: i64,
) -> i64 {
    let unit_seconds = |u: &str| match u {
        "seconds" => 1,
        "minutes" => 60,
        "hours" => 3600,
        _ => 86_400,
    };
    match value {
        Some(v) if v > 0 => v * unit_seconds(unit.unwrap_or(default_unit)),
        _ => default,
    }
}

pub(crate) fn access_seconds(client: &UserClient) -> i64 {
    let c = &client.client;
    let units = c.token_validity_units.as_ref();
    validity_seconds(
        c.access_token_validity.map(i64::from),
        units.and_then(|u| u.access_token.as_deref()),
        "hours",
        3600,
    )
}

fn id_seconds(client: &UserClient) -> i64 {
    let c = &client.client;
    let units = c.token_validity_units.as_ref();
    validity_seconds(
        c.id_token_validity.map(i64::from),
        units.and_then(|u| u.id_token.as_deref()),
        "hours",
        3600,
    )
}

fn refresh_seconds(client: &UserClient) -> i64 {
    let c = &client.client;
    let units = c.token_validity_units.as_ref();
    validity_seconds(
        c.refresh_token_validity.map(i64::from),
        units.and_then(|u| u.refresh_token.as_deref()),
        "days",
        30 * 86_400,
    )
}

fn not_authorized(message: &str) -> CognitoError {
    CognitoError::new(ErrorCode::NotAuthorizedException, message)
}

impl Cognito {
    /// Signs a user in: a new session and its three tokens.
    pub(crate) async fn issue_tokens(
        &self,
        pool: &PoolView,
        client: &UserClient,
        user: &User,
    ) -> Result<AuthenticationResultType, CognitoError> {
        let now_ms = self.clock.now_ms();
        let session = uuid::Uuid::new_v4().to_string();
        let auth_time = now_ms / 1000;
        let expires_ms = now_ms + refresh_seconds(client) * 1000;
        let doc = SessionDoc {
            auth_time,
            scope: ADMIN_SCOPE.into(),
            generation: 0,
            previous_until_ms: 0,
        };
        let record = SessionRecord {
            user_pool_id: pool.id.clone().into(),
            session_id: session.clone(),
            username: user.record.username.clone(),
            client_id: client.client_id.clone().into(),
            doc: serde_json::to_string(&doc).map_err(|_| CognitoError::internal())?,
            created_ms: now_ms,
            expires_ms,
        };
        match self.store.create_session(&record).await {
            Ok(()) => {}
            Err(StoreError::NotFound) => return Err(crate::users::user_not_found()),
            Err(e) => return Err(internal(e)),
        }
        let refresh = self.seal_refresh(&RefreshClaims {
            pool: pool.id.clone(),
            session: session.clone(),
            username: user.record.username.clone(),
            client: client.client_id.clone(),
            exp_ms: expires_ms,
            generation: 0,
        });
        let mut result = self
            .sign_user_tokens(pool, client, user, &session, &doc)
            .await?;
        result.refresh_token = Some(refresh);
        Ok(result)
    }

    /// The ID and access token of a session (a sign-in or a refresh of it).
    async fn sign_user_tokens(
        &self,
        pool: &PoolView,
        client: &UserClient,
        user: &User,
        session: &str,
        doc: &SessionDoc,
    ) -> Result<AuthenticationResultType, CognitoError> {
        let keys = self
            .pool_keys(&pool.id)
            .await?
            .ok_or_else(|| crate::user_pools::pool_not_found(&pool.id))?;
        let now = self.clock.now_ms() / 1000;
        let groups = self.token_groups(pool, &user.record.username).await?;
        let event_id = uuid::Uuid::new_v4().to_string();
        let iss = self.issuer(&pool.id);
        let access_exp = now + access_seconds(client);
        let mut access: Vec<(String, Value)> = vec![("sub".into(), user.doc.sub().into())];
        let mut id: Vec<(String, Value)> = vec![("sub".into(), user.doc.sub().into())];
        if !groups.names.is_empty() {
            access.push(("cognito:groups".into(), groups.names.clone().into()));
            id.push(("cognito:groups".into(), groups.names.clone().into()));
        }
        if let Some(role) = &groups.preferred_role {
            id.push(("cognito:preferred_role".into(), role.clone().into()));
        }
        if !groups.roles.is_empty() {
            id.push(("cognito:roles".into(), groups.roles.clone().into()));
        }
        access.extend([
            ("iss".into(), iss.clone().into()),
            ("client_id".into(), client.client_id.clone().into()),
            ("origin_jti".into(), session.into()),
            ("event_id".into(), event_id.clone().into()),
            ("token_use".into(), "access".into()),
            ("scope".into(), doc.scope.clone().into()),
            ("auth_time".into(), doc.auth_time.into()),
            ("exp".into(), access_exp.into()),
            ("iat".into(), now.into()),
            ("jti".into(), uuid::Uuid::new_v4().to_string().into()),
            ("username".into(), user.record.username.clone().into()),
        ]);
        id.extend([
            ("iss".into(), iss.into()),
            ("aud".into(), client.client_id.clone().into()),
            ("origin_jti".into(), session.into()),
            ("event_id".into(), event_id.into()),
            ("token_use".into(), "id".into()),
            ("auth_time".into(), doc.auth_time.into()),
            ("exp".into(), (now + id_seconds(client)).into()),
            ("iat".into(), now.into()),
            ("jti".into(), uuid::Uuid::new_v4().to_string().into()),
            (
                "cognito:username".into(),
                user.record.username.clone().into(),
            ),
        ]);
        let readable = client.client.read_attributes.as_deref();
        for a in &user.doc.attributes {
            if a.name == "sub" || readable.is_some_and(|r| !r.contains(&a.name)) {
                continue;
            }
            // The verified flags are JSON booleans; every other attribute a string.
            let value = if a.name.ends_with("_verified") {
                Value::Bool(a.value.eq_ignore_ascii_case("true"))
            } else {
                Value::String(a.value.clone())
            };
            id.push((a.name.clone(), value));
        }
        let sign = |key: &crate::keys::SigningKey, claims| {
            key.sign_jwt(&in_cognito_order(claims)).map_err(|e| {
                tracing::error!(error = %e, "cannot sign a user token");
                CognitoError::internal()
            })
        };
        Ok(AuthenticationResultType {
            access_token: Some(sign(&keys.access, access)?),
            expires_in: Some(i32::try_from(access_seconds(client)).unwrap_or(i32::MAX)),
            token_type: Some("Bearer".into()),
            refresh_token: None,
            id_token: Some(sign(&keys.id, id)?),
            new_device_metadata: None,
        })
    }

    fn seal_refresh(&self, claims: &RefreshClaims) -> String {
        let plain = serde_json::to_vec(claims).unwrap_or_default();
        let sealed = self.master.seal(REFRESH_CONTEXT, &plain);
        format!("{REFRESH_HEADER}.{}", URL_SAFE_NO_PAD.encode(sealed))
    }

    fn open_refresh(&self, token: &str) -> Option<RefreshClaims> {
        let body = token.strip_prefix(REFRESH_HEADER)?.strip_prefix('.')?;
        let sealed = URL_SAFE_NO_PAD.decode(body).ok()?;
        let plain = self.master.open(REFRESH_CONTEXT, &sealed).ok()?;
        serde_json::from_slice(&plain).ok()
    }

    /// New ID and access tokens of the same session (same `origin_jti` and `auth_time`):
    /// REFRESH_TOKEN_AUTH / REFRESH_TOKEN and GetTokensFromRefreshToken. With `rotate` (a client
    /// with refresh-token rotation, through GetTokensFromRefreshToken) a new refresh token too,
    /// and the one presented stops working after the client's `RetryGracePeriodSeconds`.
    ///
    /// Errors (srp-tokens-mfa.md §2.7): unreadable, expired, rotated out or another client's
    /// token → `NotAuthorizedException` `Invalid Refresh Token`; revoked → `Refresh Token has
    /// been revoked`; a disabled user → `User is disabled.`.
    pub(crate) async fn refresh_tokens(
        &self,
        pool: &PoolView,
        client: &UserClient,
        token: &str,
        proof: SecretProof<'_>,
        rotate: bool,
    ) -> Result<AuthenticationResultType, CognitoError> {
        let invalid = || not_authorized("Invalid Refresh Token");
        let now = self.clock.now_ms();
        let claims = self.open_refresh(token).ok_or_else(invalid)?;
        if claims.pool != pool.id || claims.client != client.client_id || claims.exp_ms <= now {
            return Err(invalid());
        }
        if let SecretProof::Hash(given) = proof {
            // Over the token's username, not an alias (srp-tokens-mfa.md §1.10).
            client.check_secret_hash(&claims.username, given)?;
        }
        let session = self
            .store
            .session(&pool.id, &claims.session)
            .await
            .map_err(internal)?
            .ok_or_else(|| not_authorized("Refresh Token has been revoked"))?;
        let user = self
            .find_user(pool, &claims.username)
            .await?
            .filter(|u| u.record.username == claims.username)
            .ok_or_else(|| not_authorized("Refresh Token has been revoked"))?;
        if !user.doc.enabled {
            return Err(not_authorized("User is disabled."));
        }
        // A session that began before the user was signed out everywhere (one that raced the
        // sign-out) is over too.
        if session.created_ms < user.doc.signed_out_ms {
            return Err(not_authorized("Refresh Token has been revoked"));
        }
        let mut doc: SessionDoc =
            serde_json::from_str(&session.doc).map_err(|_| CognitoError::internal())?;
        let current = claims.generation == doc.generation;
        let in_grace = claims.generation + 1 == doc.generation && now < doc.previous_until_ms;
        if !current && !in_grace {
            return Err(invalid());
        }
        let mut result = self
            .sign_user_tokens(pool, client, &user, &claims.session, &doc)
            .await?;
        if rotate {
            let grace_seconds = client
                .client
                .refresh_token_rotation
                .as_ref()
                .and_then(|r| r.retry_grace_period_seconds)
                .unwrap_or(0);
            if current {
                doc.generation += 1;
                doc.previous_until_ms = now + i64::from(grace_seconds) * 1000;
                let next = SessionRecord {
                    doc: serde_json::to_string(&doc).map_err(|_| CognitoError::internal())?,
                    ..session.clone()
                };
                // Compare-and-swap on the document read: of two refreshes racing with the same
                // token, one rotates and the other is refused.
                if !self
                    .store
                    .replace_session(&next, &session.doc)
                    .await
                    .map_err(internal)?
                {
                    return Err(invalid());
                }
            }
            result.refresh_token = Some(self.seal_refresh(&RefreshClaims {
                pool: pool.id.clone(),
                session: claims.session.clone(),
                username: claims.username.clone(),
                client: client.client_id.clone(),
                exp_ms: session.expires_ms,
                generation: doc.generation,
            }));
        }
        Ok(result)
    }

    /// GetTokensFromRefreshToken: a refresh, with rotation when the client has it on; a client
    /// with a secret must send it as `ClientSecret`.
    pub(crate) async fn get_tokens_from_refresh_token(
        &self,
        _ctx: &crate::RequestContext,
        input: rognito_model::GetTokensFromRefreshTokenRequest,
    ) -> Result<rognito_model::GetTokensFromRefreshTokenResponse, CognitoError> {
        let token = crate::required(input.refresh_token.as_deref(), "RefreshToken")?;
        let client_id = crate::required(input.client_id.as_deref(), "ClientId")?;
        let (client, pool) = self.user_client(client_id).await?;
        if client.has_secret()
            && !client.secret_is(input.client_secret.as_deref().unwrap_or_default())
        {
            return Err(CognitoError::new(
                ErrorCode::NotAuthorizedException,
                format!("Unable to verify secret for client {client_id}"),
            ));
        }
        self.charge_user_operation(&pool, rognito_model::ApiCategory::UserAuthentication)?;
        if !client.allows(&["ALLOW_REFRESH_TOKEN_AUTH"]) {
            return Err(CognitoError::invalid_parameter(
                "Refresh Token flow not enabled for this client",
            ));
        }
        let result = self
            .refresh_tokens(
                &pool,
                &client,
                token,
                SecretProof::Checked,
                client.rotates_refresh_tokens(),
            )
            .await?;
        Ok(rognito_model::GetTokensFromRefreshTokenResponse {
            authentication_result: Some(result),
        })
    }

    /// RevokeToken: ends the refresh token's session (its access tokens stop working too).
    pub(crate) async fn revoke_token(
        &self,
        _ctx: &crate::RequestContext,
        input: rognito_model::RevokeTokenRequest,
    ) -> Result<rognito_model::RevokeTokenResponse, CognitoError> {
        let token = crate::required(input.token.as_deref(), "Token")?;
        let client_id = crate::required(input.client_id.as_deref(), "ClientId")?;
        let (client, pool) = self.user_client(client_id).await?;
        if client.has_secret() {
            let given = input.client_secret.as_deref().unwrap_or_default();
            if !client.secret_is(given) {
                return Err(CognitoError::new(
                    ErrorCode::NotAuthorizedException,
                    format!("Unable to verify secret for client {client_id}"),
                ));
            }
        }
        self.charge_user_operation(&pool, rognito_model::ApiCategory::UserToken)?;
        if client.client.enable_token_revocation == Some(false) {
            return Err(CognitoError::new(
                ErrorCode::UnsupportedOperationException,
                "Token revocation is not enabled for this client.",
            ));
        }
        let Some(claims) = self.open_refresh(token) else {
            return Err(CognitoError::new(
                ErrorCode::UnsupportedTokenTypeException,
                "Only refresh tokens can be revoked.",
            ));
        };
        if claims.client != client.client_id || claims.pool != pool.id {
            return Err(CognitoError::new(
                ErrorCode::UnauthorizedException,
                "The refresh token was not issued to this client.",
            ));
        }
        self.store
            .delete_session(&pool.id, &claims.session)
            .await
            .map_err(internal)?;
        Ok(rognito_model::RevokeTokenResponse {})
    }

    /// The pool and user an access token from the user-pool API names, checked: signed by the
    /// pool's access key, an access token, not expired, with `aws.cognito.signin.user.admin`,
    /// its session alive, its user enabled.
    ///
    /// Errors (srp-tokens-mfa.md §3.7): `NotAuthorizedException` `Invalid Access Token`,
    /// `Access Token has expired`, `Access Token has been revoked`, `Access Token does not have
    /// required scopes`, `User is disabled.`; `UserNotFoundException` when the user is gone.
    ///
    /// Once the token checks out, the call is charged to the pool's account in `category`.
    pub(crate) async fn access_token_user(
        &self,
        token: &str,
        category: rognito_model::ApiCategory,
    ) -> Result<(PoolView, User), CognitoError> {
        let (pool, user, _) = self.check_access_token(token).await?;
        self.charge_user_operation(&pool, category)?;
        Ok((pool, user))
    }

    /// [`Cognito::access_token_user`], with the client the token was issued to (None if it was
    /// deleted since).
    pub(crate) async fn access_token_user_and_client(
        &self,
        token: &str,
        category: rognito_model::ApiCategory,
    ) -> Result<(PoolView, User, Option<UserClient>), CognitoError> {
        let (pool, user, client_id) = self.check_access_token(token).await?;
        self.charge_user_operation(&pool, category)?;
        let client = match self.user_client(&client_id).await {
            Ok((client, _)) => Some(client),
            Err(e) if e.code == ErrorCode::ResourceNotFoundException => None,
            Err(e) => return Err(e),
        };
        Ok((pool, user, client))
    }

    async fn check_access_token(
        &self,
        token: &str,
    ) -> Result<(PoolView, User, String), CognitoError> {
        let invalid = || not_authorized("Invalid Access Token");
        let payload = token.split('.').nth(1).ok_or_else(invalid)?;
        let unverified: Map<String, Value> = URL_SAFE_NO_PAD
            .decode(payload)
            .ok()
            .and_then(|p| serde_json::from_slice(&p).ok())
            .ok_or_else(invalid)?;
        let iss = unverified
            .get("iss")
            .and_then(Value::as_str)
            .ok_or_else(invalid)?;
        let pool_id = iss.rsplit('/').next().ok_or_else(invalid)?;
        if self.issuer(pool_id) != iss {
            return Err(invalid());
        }
        let keys = self.pool_keys(pool_id).await?.ok_or_else(invalid)?;
        let verified = keys.access.verified_payload(token).ok_or_else(invalid)?;
        let claims: Map<String, Value> =
            serde_json::from_slice(&verified).map_err(|_| invalid())?;
        let text = |name: &str| claims.get(name).and_then(Value::as_str);
        if text("token_use") != Some("access") {
            return Err(invalid());
        }
        let exp = claims
            .get("exp")
            .and_then(Value::as_i64)
            .ok_or_else(invalid)?;
        if exp <= self.clock.now_ms() / 1000 {
            return Err(not_authorized("Access Token has expired"));
        }
        let (Some(username), Some(session), Some(client_id)) =
            (text("username"), text("origin_jti"), text("client_id"))
        else {
            // A client-credentials token has no user.
            return Err(invalid());
        };
        if !text("scope").is_some_and(|s| s.split(' ').any(|x| x == ADMIN_SCOPE)) {
            return Err(not_authorized("Access Token does not have required scopes"));
        }
        let Some(live) = self
            .store
            .session(pool_id, session)
            .await
            .map_err(internal)?
        else {
            return Err(not_authorized("Access Token has been revoked"));
        };
        let pool = self.pool_view_by_id(pool_id).await?;
        let user = self
            .find_user(&pool, username)
            .await?
            .filter(|u| u.record.username == username)
            .ok_or_else(crate::users::user_not_found)?;
        if !user.doc.enabled {
            return Err(not_authorized("User is disabled."));
        }
        if live.created_ms < user.doc.signed_out_ms {
            return Err(not_authorized("Access Token has been revoked"));
        }
        Ok((pool, user, client_id.to_owned()))
    }

    /// GlobalSignOut: every session of the token's user ends.
    pub(crate) async fn global_sign_out(
        &self,
        _ctx: &crate::RequestContext,
        input: rognito_model::GlobalSignOutRequest,
    ) -> Result<rognito_model::GlobalSignOutResponse, CognitoError> {
        let (pool, user) = self
            .access_token_user(
                crate::required(input.access_token.as_deref(), "AccessToken")?,
                rognito_model::ApiCategory::UserUpdate,
            )
            .await?;
        self.sign_out_everywhere(&pool, &user.record.username)
            .await?;
        Ok(rognito_model::GlobalSignOutResponse {})
    }

    pub(crate) async fn admin_user_global_sign_out(
        &self,
        ctx: &crate::RequestContext,
        input: rognito_model::AdminUserGlobalSignOutRequest,
    ) -> Result<rognito_model::AdminUserGlobalSignOutResponse, CognitoError> {
        let pool = self
            .pool_view(
                ctx,
                crate::required(input.user_pool_id.as_deref(), "UserPoolId")?,
            )
            .await?;
        let user = self
            .existing_user(
                &pool,
                crate::required(input.username.as_deref(), "Username")?,
            )
            .await?;
        self.sign_out_everywhere(&pool, &user.record.username)
            .await?;
        Ok(rognito_model::AdminUserGlobalSignOutResponse {})
    }

    async fn sign_out_everywhere(
        &self,
        pool: &PoolView,
        username: &str,
    ) -> Result<(), CognitoError> {
        // Recorded first, so a sign-in racing this one cannot outlive it (see the session
        // checks above).
        let now = self.clock.now_ms();
        self.modify_user(pool, username, |u| {
            u.doc.signed_out_ms = now;
            Ok(())
        })
        .await?;
        self.store
            .delete_sessions_of(&pool.id, username)
            .await
            .map_err(internal)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// srp-tokens-mfa.md §3.4: the order of a real 2024 access token.
    #[test]
    fn claims_come_in_cognitos_order() {
        let names = [
            "sub",
            "cognito:groups",
            "iss",
            "client_id",
            "origin_jti",
            "event_id",
            "token_use",
            "scope",
            "auth_time",
            "exp",
            "iat",
            "jti",
            "username",
        ];
        let claims = names
            .iter()
            .map(|n| (n.to_string(), Value::from(1)))
            .collect();
        let json = String::from_utf8(in_cognito_order(claims)).unwrap();
        let order: Vec<String> = serde_json::from_str::<serde_json::Value>(&json)
            .map(|_| ())
            .map(|_| {
                let mut found: Vec<(usize, String)> = names
                    .iter()
                    .map(|n| (json.find(&format!("\"{n}\"")).unwrap(), n.to_string()))
                    .collect();
                found.sort();
                found.into_iter().map(|(_, n)| n).collect()
            })
            .unwrap();
        assert_eq!(
            order,
            [
                "sub",
                "cognito:groups",
                "iss",
                "client_id",
                "origin_jti",
                "event_id",
                "token_use",
                "scope",
                "auth_time",
                "exp",
                "iat",
                "jti",
                "username"
            ]
        );
        assert_eq!(java_hash("sub"), 114_240);
        // Without groups (12 claims) the order is the same: the map has 32 buckets still.
        let twelve: Vec<(String, Value)> = names
            .iter()
            .filter(|n| **n != "cognito:groups")
            .map(|n| (n.to_string(), Value::from(1)))
            .collect();
        let json = String::from_utf8(in_cognito_order(twelve)).unwrap();
        assert!(
            json.starts_with("{\"sub\":") && json.ends_with("\"username\":1}"),
            "{json}"
        );
    }

    /// The 2025 ID token of srp-tokens-mfa.md §3.3.
    #[test]
    fn id_token_claims_come_in_cognitos_order() {
        let insertion = [
            "sub",
            "iss",
            "aud",
            "origin_jti",
            "event_id",
            "token_use",
            "auth_time",
            "exp",
            "iat",
            "jti",
            "cognito:username",
            "email_verified",
            "custom:id",
            "given_name",
            "email",
        ];
        let claims = insertion
            .iter()
            .map(|n| (n.to_string(), Value::from(1)))
            .collect();
        let json = String::from_utf8(in_cognito_order(claims)).unwrap();
        let mut found: Vec<(usize, &str)> = insertion
            .iter()
            .map(|n| (json.find(&format!("\"{n}\"")).unwrap(), *n))
            .collect();
        found.sort();
        let order: Vec<&str> = found.into_iter().map(|(_, n)| n).collect();
        assert_eq!(
            order,
            [
                "sub",
                "email_verified",
                "iss",
                "custom:id",
                "cognito:username",
                "given_name",
                "origin_jti",
                "aud",
                "event_id",
                "token_use",
                "auth_time",
                "exp",
                "iat",
                "jti",
                "email"
            ]
        );
    }
}
