//! Machine-to-machine access tokens: the `/oauth2/token` client_credentials grant and the
//! GetClientToken operation share one path — find the client, check its secret in constant time,
//! check its flows, settle the scopes against what the client may ask for and what still exists,
//! sign an RS256 JWT with the pool's access-token key.

use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::Arc;

use rognito_model::{
    ClientAuthenticationResultType, ClientId, CognitoError, GetClientTokenRequest,
    GetClientTokenResponse, UserPoolClientType, UserPoolId,
};
use serde::Serialize;

use crate::auth_failures::Refused;
use crate::clients::{BUILT_IN_SCOPES, access_token_seconds, client_not_found};
use crate::{Cognito, internal, required};

/// What token issuing needs to know about a client, cached by client id.
#[derive(Debug)]
pub(crate) struct ClientView {
    client_id: ClientId,
    user_pool_id: UserPoolId,
    /// Keyed digests of the client's active secrets (empty for a public client).
    secret_digests: Vec<Vec<u8>>,
    /// `client_credentials` is an allowed OAuth flow and OAuth is enabled for the client.
    client_credentials: bool,
    /// `ALLOW_CLIENT_TOKEN_AUTH` is among the explicit auth flows (GetClientToken).
    client_token_auth: bool,
    allowed_scopes: Vec<String>,
    access_token_seconds: i64,
}

/// RFC 6749 error codes of the token endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OAuthError {
    InvalidRequest(Option<String>),
    InvalidClient,
    /// `invalid_client` for an existing client whose secret was wrong (the wire cannot tell it
    /// from [`OAuthError::InvalidClient`]; the audit log names the client).
    InvalidClientSecret,
    UnauthorizedClient,
    InvalidScope,
    UnsupportedGrantType,
    /// Over the account's ClientAuthentication rate: HTTP 429.
    TooManyRequests,
    /// Too many failed authentications from this address or for this client (see
    /// `auth_failures`): HTTP 429 with `Retry-After`, refused before the secret is checked.
    TooManyFailures(Refused),
    ServerError,
    /// The audit log cannot be written and rognito fails closed: HTTP 503 with `Retry-After`.
    AuditUnavailable,
}

impl OAuthError {
    pub fn code(&self) -> &'static str {
        match self {
            OAuthError::InvalidRequest(_)
            | OAuthError::TooManyRequests
            | OAuthError::TooManyFailures(_) => "invalid_request",
            OAuthError::InvalidClient | OAuthError::InvalidClientSecret => "invalid_client",
            OAuthError::UnauthorizedClient => "unauthorized_client",
            OAuthError::InvalidScope => "invalid_scope",
            OAuthError::UnsupportedGrantType => "unsupported_grant_type",
            OAuthError::ServerError | OAuthError::AuditUnavailable => "server_error",
        }
    }

    /// Cognito sends only `error`; rognito adds a description only where Cognito has no
    /// equivalent situation (e.g. a pool without a domain, a failure budget used up).
    pub fn description(&self) -> Option<String> {
        match self {
            OAuthError::InvalidRequest(d) => d.clone(),
            OAuthError::TooManyFailures(refused) => Some(format!(
                "Too many failed client authentications from this address or for this client; \
                 retry in {} s.",
                refused.retry_after_secs()
            )),
            OAuthError::AuditUnavailable => {
                Some("rognito cannot write its audit log and issues no tokens until it can.".into())
            }
            _ => None,
        }
    }

    /// The code the audit log records: the OAuth error code, except that the two kinds of
    /// 429 are told apart.
    pub fn audit_code(&self) -> &'static str {
        match self {
            OAuthError::TooManyRequests => "rate_exceeded",
            OAuthError::TooManyFailures(_) => "too_many_failed_authentications",
            other => other.code(),
        }
    }

    /// Whether the caller had proved who it is when refused: only then is its request worth an
    /// audit line of its own (refusals before that are aggregated).
    pub fn after_authentication(&self) -> bool {
        matches!(
            self,
            OAuthError::UnauthorizedClient
                | OAuthError::InvalidScope
                | OAuthError::TooManyRequests
                | OAuthError::ServerError
        )
    }
}

/// A `POST /oauth2/token` request, parsed from the form and the Authorization header.
#[derive(Debug)]
pub struct TokenEndpointRequest<'a> {
    /// The Host header: when it names a pool domain, that domain must be the client's pool's.
    pub host: Option<&'a str>,
    pub grant_type: Option<&'a str>,
    pub client_id: &'a str,
    pub client_secret: &'a str,
    /// Space-separated scopes, if the `scope` parameter was sent.
    pub scope: Option<&'a str>,
    /// The caller's address, for the failed-authentication budgets (None: unknown).
    pub source: Option<IpAddr>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedToken {
    pub access_token: String,
    pub expires_in: i64,
    /// The scopes granted, space-separated (for the audit log).
    pub scope: String,
}

/// Claims of a Cognito client_credentials access token, in Cognito's order.
#[derive(Serialize)]
struct AccessTokenClaims<'a> {
    sub: &'a str,
    token_use: &'static str,
    scope: String,
    auth_time: i64,
    iss: String,
    exp: i64,
    iat: i64,
    version: u8,
    jti: String,
    client_id: &'a str,
}

impl Cognito {
    /// The client_credentials grant of `/oauth2/token`.
    pub async fn token_endpoint(
        &self,
        request: TokenEndpointRequest<'_>,
    ) -> Result<IssuedToken, OAuthError> {
        let oauth_internal = |_| OAuthError::ServerError;
        match request.grant_type {
            None | Some("") => return Err(OAuthError::InvalidRequest(None)),
            Some("client_credentials") => {}
            Some(_) => return Err(OAuthError::UnsupportedGrantType),
        }
        // Charged before anything is looked up or compared; refunded on success.
        let mut attempt = self
            .auth_failures
            .begin(request.source)
            .map_err(OAuthError::TooManyFailures)?;
        let Some(client) = self
            .client_view(request.client_id)
            .await
            .map_err(oauth_internal)?
        else {
            return Err(OAuthError::InvalidClient);
        };
        attempt
            .for_client(&client.client_id)
            .map_err(OAuthError::TooManyFailures)?;
        if !self.secret_matches(&client, request.client_secret) {
            return Err(OAuthError::InvalidClientSecret);
        }
        attempt.succeeded(&client.client_id);
        // The account's rate is spent only by callers that authenticated (and before any
        // lookup a Host header could ask for).
        if !self.allow_client_authentication(&client).await? {
            return Err(OAuthError::TooManyRequests);
        }
        // Only a caller that proved who it is learns about the pool's domain.
        let named = match request.host {
            Some(host) => self.pool_of_host(host).await.map_err(oauth_internal)?,
            None => None,
        };
        if let Some(owner) = named {
            if owner.as_deref() != Some(client.user_pool_id.as_str()) {
                return Err(OAuthError::InvalidClient);
            }
        } else if self
            .domain_of_pool(&client.user_pool_id)
            .await
            .map_err(oauth_internal)?
            .is_none()
        {
            return Err(OAuthError::InvalidRequest(Some(format!(
                "User pool {} has no domain, so it has no token endpoint: create one with \
                 CreateUserPoolDomain.",
                client.user_pool_id
            ))));
        }
        if !client.client_credentials {
            return Err(OAuthError::UnauthorizedClient);
        }
        let requested = match request.scope {
            Some(scope) => Some(parse_scope(scope).ok_or(OAuthError::InvalidScope)?),
            None => None,
        };
        let active = self
            .active_scopes(&client.user_pool_id)
            .await
            .map_err(oauth_internal)?;
        let scopes = grant_scopes(&client, requested.as_deref(), &active.scopes)
            .ok_or(OAuthError::InvalidScope)?;
        self.sign_access_token(&client, &scopes)
            .await
            .map_err(oauth_internal)
    }

    /// GetClientToken: the same grant through the JSON API, for clients with
    /// `ALLOW_CLIENT_TOKEN_AUTH`.
    pub(crate) async fn get_client_token(
        &self,
        ctx: &crate::RequestContext,
        input: GetClientTokenRequest,
    ) -> Result<GetClientTokenResponse, CognitoError> {
        let client_id = required(input.client_id.as_deref(), "ClientId")?;
        let secret = required(input.secret.as_deref(), "Secret")?;
        let too_many = |refused: Refused| {
            CognitoError::new(
                rognito_model::ErrorCode::TooManyRequestsException,
                format!(
                    "Too many failed authentications from this address or for this client; \
                     retry in {} s.",
                    refused.retry_after_secs()
                ),
            )
        };
        // Charged before anything is looked up or compared; refunded on success.
        let mut attempt = self.auth_failures.begin(ctx.source_ip).map_err(too_many)?;
        let client = self
            .client_view(client_id)
            .await?
            .ok_or_else(|| client_not_found(client_id))?;
        attempt.for_client(&client.client_id).map_err(too_many)?;
        if !self.secret_matches(&client, secret) {
            return Err(CognitoError::new(
                rognito_model::ErrorCode::NotAuthorizedException,
                format!("Unable to verify secret for client {client_id}"),
            ));
        }
        attempt.succeeded(&client.client_id);
        // The account's rate is spent only by callers that authenticated.
        if !self
            .allow_client_authentication(&client)
            .await
            .map_err(|_| CognitoError::internal())?
        {
            return Err(crate::throttled());
        }
        if !client.client_token_auth {
            return Err(CognitoError::invalid_parameter(
                "ALLOW_CLIENT_TOKEN_AUTH flow not enabled for this client",
            ));
        }
        let active = self.active_scopes(&client.user_pool_id).await?;
        let requested = input.scopes.as_deref().filter(|s| !s.is_empty());
        let scopes = grant_scopes(&client, requested, &active.scopes).ok_or_else(|| {
            // Name the first requested scope that cannot be granted (not allowed, built-in, or
            // no longer defined), else the client's first allowed one.
            let refused = |s: &&String| {
                !client.allowed_scopes.contains(s)
                    || BUILT_IN_SCOPES.contains(&s.as_str())
                    || !active.scopes.contains(s.as_str())
            };
            let invalid = match requested {
                Some(r) => r.iter().find(refused),
                None => client.allowed_scopes.iter().find(refused),
            };
            match invalid {
                Some(scope) => {
                    CognitoError::invalid_parameter(format!("Invalid scope requested: {scope}"))
                }
                // Nothing requested and nothing allowed: say so rather than name no scope.
                None => CognitoError::invalid_parameter(format!(
                    "Invalid scope requested: app client {} has no AllowedOAuthScopes of a \
                     resource server to grant; add some with UpdateUserPoolClient, or name the \
                     scopes in Scopes.",
                    client.client_id
                )),
            }
        })?;
        let token = self.sign_access_token(&client, &scopes).await?;
        Ok(GetClientTokenResponse {
            client_authentication_result: Some(ClientAuthenticationResultType {
                access_token: Some(token.access_token),
                expires_in: Some(i32::try_from(token.expires_in).unwrap_or(i32::MAX)),
                token_type: Some("Bearer".into()),
            }),
        })
    }

    /// Charges one ClientAuthentication request (GetClientToken or the token endpoint) to the
    /// client's pool's account, once the client has authenticated. Err only when the pool's
    /// account cannot be read.
    async fn allow_client_authentication(&self, client: &ClientView) -> Result<bool, OAuthError> {
        let account = self
            .caches
            .pool_accounts
            .get_or_load(&client.user_pool_id, || async {
                self.store
                    .user_pool_account(&client.user_pool_id)
                    .await
                    .map_err(internal)
            })
            .await
            .map_err(|_| OAuthError::ServerError)?;
        Ok(account.is_none_or(|account| {
            self.meter
                .charge(&account, rognito_model::ApiCategory::ClientAuthentication)
        }))
    }

    /// Constant-time check of a presented secret against every active secret of the client.
    fn secret_matches(&self, client: &ClientView, presented: &str) -> bool {
        // Every digest is compared (no early exit), so timing does not tell which one matched.
        client.secret_digests.iter().fold(false, |matched, digest| {
            self.master
                .digest_matches(&client.client_id, presented.as_bytes(), digest)
                | matched
        })
    }

    pub(crate) async fn client_view(
        &self,
        client_id: &str,
    ) -> Result<Option<Arc<ClientView>>, CognitoError> {
        self.caches
            .client_views
            .get_or_load(client_id, || async {
                let Some(record) = self.store.client(client_id).await.map_err(internal)? else {
                    return Ok(None);
                };
                let client: UserPoolClientType =
                    serde_json::from_str(&record.doc).map_err(|_| CognitoError::internal())?;
                let secrets = self
                    .store
                    .client_secrets(client_id)
                    .await
                    .map_err(internal)?;
                let has = |list: &Option<Vec<String>>, value: &str| {
                    list.as_ref().is_some_and(|l| l.iter().any(|v| v == value))
                };
                Ok(Some(ClientView {
                    client_id: record.client_id,
                    user_pool_id: record.user_pool_id,
                    secret_digests: secrets.into_iter().map(|s| s.digest).collect(),
                    client_credentials: client.allowed_o_auth_flows_user_pool_client == Some(true)
                        && has(&client.allowed_o_auth_flows, "client_credentials"),
                    client_token_auth: has(&client.explicit_auth_flows, "ALLOW_CLIENT_TOKEN_AUTH"),
                    allowed_scopes: client.allowed_o_auth_scopes.clone().unwrap_or_default(),
                    access_token_seconds: access_token_seconds(&client),
                }))
            })
            .await
    }

    async fn sign_access_token(
        &self,
        client: &ClientView,
        scopes: &[String],
    ) -> Result<IssuedToken, CognitoError> {
        let keys = self
            .pool_keys(&client.user_pool_id)
            .await?
            .ok_or_else(|| crate::user_pools::pool_not_found(&client.user_pool_id))?;
        let now = self.clock.now_ms() / 1000;
        let claims = AccessTokenClaims {
            sub: &client.client_id,
            token_use: "access",
            scope: scopes.join(" "),
            auth_time: now,
            iss: self.issuer(&client.user_pool_id),
            exp: now + client.access_token_seconds,
            iat: now,
            version: 2,
            jti: uuid::Uuid::new_v4().to_string(),
            client_id: &client.client_id,
        };
        let json = serde_json::to_vec(&claims).map_err(|_| CognitoError::internal())?;
        let scope = claims.scope;
        let access_token = keys.access.sign_jwt(&json).map_err(|e| {
            tracing::error!(error = %e, "cannot sign an access token");
            CognitoError::internal()
        })?;
        Ok(IssuedToken {
            access_token,
            expires_in: client.access_token_seconds,
            scope,
        })
    }

    /// `<issuer base>/<pool id>`, the `iss` of every token of the pool.
    pub fn issuer(&self, user_pool_id: &str) -> String {
        format!("{}/{user_pool_id}", self.config.issuer_base)
    }
}

/// The `scope` parameter's scopes: separated by spaces (U+0020) only, as RFC 6749 §3.3 defines
/// `scope = scope-token *( SP scope-token )` with `scope-token = 1*( %x21 / %x23-5B /
/// %x5D-7E )`; runs of spaces, and spaces at either end, are tolerated. None (`invalid_scope`)
/// for any other separator or character (tab, newline, U+00A0, U+3000, a quote, a backslash)
/// or no scope at all.
fn parse_scope(scope: &str) -> Option<Vec<String>> {
    let token_char = |b: u8| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b);
    let mut scopes = Vec::new();
    for token in scope.split(' ').filter(|t| !t.is_empty()) {
        if !token.bytes().all(token_char) {
            return None;
        }
        scopes.push(token.to_owned());
    }
    (!scopes.is_empty()).then_some(scopes)
}

/// The scopes a token carries, or None for `invalid_scope`.
///
/// Omitted `scope` means every custom scope the client is allowed that still exists. A requested
/// scope the client is not allowed is an error; an allowed one whose resource server or scope was
/// deleted since is dropped (Cognito marks it inactive; re-adding it revives it).
fn grant_scopes(
    client: &ClientView,
    requested: Option<&[String]>,
    active: &HashSet<String>,
) -> Option<Vec<String>> {
    let custom = |s: &&String| !BUILT_IN_SCOPES.contains(&s.as_str());
    let candidates: Vec<&String> = match requested {
        None => client.allowed_scopes.iter().filter(custom).collect(),
        Some(requested) => {
            if requested
                .iter()
                .any(|s| !client.allowed_scopes.contains(s) || !custom(&s))
            {
                return None;
            }
            requested.iter().collect()
        }
    };
    let mut granted: Vec<String> = Vec::new();
    for scope in candidates {
        if active.contains(scope.as_str()) && !granted.contains(scope) {
            granted.push(scope.clone());
        }
    }
    (!granted.is_empty()).then_some(granted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(allowed: &[&str]) -> ClientView {
        ClientView {
            client_id: "c".into(),
            user_pool_id: "p".into(),
            secret_digests: vec![],
            client_credentials: true,
            client_token_auth: false,
            allowed_scopes: allowed.iter().map(|s| s.to_string()).collect(),
            access_token_seconds: 3600,
        }
    }

    fn set(items: &[&str]) -> HashSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    /// Issue 9, A.11: RFC 6749 §3.3 separates scopes by SP only.
    #[test]
    fn scopes_are_separated_by_single_spaces_only() {
        for good in ["api/read api/write", "  api/read   api/write "] {
            assert_eq!(
                parse_scope(good),
                Some(vec!["api/read".to_string(), "api/write".to_string()])
            );
        }
        for bad in [
            "api/read\tapi/write",
            "api/read\napi/write",
            "api/read\u{a0}api/write",
            "api/read\u{3000}api/write",
            "",
            "   ",
            "api/\"read\"",
            "api\\read",
        ] {
            assert_eq!(parse_scope(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn scope_rules() {
        let client = view(&["api/read", "api/write", "openid", "gone/x"]);
        let active = set(&["api/read", "api/write", "other/y"]);
        let granted = grant_scopes(&client, None, &active);
        assert_eq!(granted, Some(vec!["api/read".into(), "api/write".into()]));
        let req = vec!["api/write".to_string()];
        assert_eq!(
            grant_scopes(&client, Some(&req), &active),
            Some(req.clone())
        );
        // not allowed to this client
        let req = vec!["other/y".to_string()];
        assert_eq!(grant_scopes(&client, Some(&req), &active), None);
        // built-in scopes are not for client_credentials
        let req = vec!["openid".to_string()];
        assert_eq!(grant_scopes(&client, Some(&req), &active), None);
        // allowed but deleted: dropped; nothing left: invalid_scope
        let req = vec!["gone/x".to_string(), "api/read".to_string()];
        assert_eq!(
            grant_scopes(&client, Some(&req), &active),
            Some(vec!["api/read".into()])
        );
        let req = vec!["gone/x".to_string()];
        assert_eq!(grant_scopes(&client, Some(&req), &active), None);
    }
}
