//! The app client as the user operations need it: its settings, and its secrets for
//! `SECRET_HASH`.

use rognito_model::{CognitoError, ErrorCode, UserPoolClientType};
use secrecy::{ExposeSecret, SecretString};

use crate::clients::client_not_found;
use crate::users::PoolView;
use crate::{Cognito, internal};

/// An app client, read for one user operation.
pub(crate) struct UserClient {
    pub client_id: String,
    pub user_pool_id: String,
    pub client: UserPoolClientType,
    secrets: Vec<SecretString>,
    /// Read for an Admin* operation (AdminInitiateAuth, AdminRespondToAuthChallenge): its
    /// challenge sessions are answered only through the Admin API, and the gateway charged the
    /// call already.
    pub via_admin: bool,
}

impl UserClient {
    pub fn has_secret(&self) -> bool {
        !self.secrets.is_empty()
    }

    /// Whether `ExplicitAuthFlows` has any of `flows` (given by their `ALLOW_` names and, for
    /// the password flows, also their legacy names). A client without the list has Cognito's
    /// defaults `ALLOW_REFRESH_TOKEN_AUTH`, `ALLOW_USER_SRP_AUTH`, `ALLOW_CUSTOM_AUTH`
    /// (srp-tokens-mfa.md §2.6). A list of legacy names only (`ADMIN_NO_SRP_AUTH`,
    /// `USER_PASSWORD_AUTH`, `CUSTOM_AUTH_FLOW_ONLY`) adds to flows that were always on before
    /// the `ALLOW_` names existed: SRP and refresh stay allowed, and custom auth unless
    /// `CUSTOM_AUTH_FLOW_ONLY` (moto's aws_verified `test_jti_in_tokens` and
    /// `test_initiate_auth_USER_PASSWORD_AUTH` sign in with SRP and refresh on such clients).
    pub fn allows(&self, flows: &[&str]) -> bool {
        let defaults = |f: &&str| {
            matches!(
                *f,
                "ALLOW_REFRESH_TOKEN_AUTH" | "ALLOW_USER_SRP_AUTH" | "ALLOW_CUSTOM_AUTH"
            )
        };
        match &self.client.explicit_auth_flows {
            Some(list) if !list.is_empty() => {
                let legacy_only = list.iter().all(|f| !f.starts_with("ALLOW_"));
                list.iter().any(|f| flows.contains(&f.as_str()))
                    || (legacy_only && flows.iter().any(defaults))
            }
            _ => flows.iter().any(defaults),
        }
    }

    /// Refresh-token rotation is on (`RefreshTokenRotation.Feature` ENABLED).
    pub fn rotates_refresh_tokens(&self) -> bool {
        self.client
            .refresh_token_rotation
            .as_ref()
            .and_then(|r| r.feature.as_deref())
            == Some("ENABLED")
    }

    /// `PreventUserExistenceErrors` is `ENABLED` (the API's default is LEGACY).
    pub fn hides_users(&self) -> bool {
        self.client.prevent_user_existence_errors.as_deref() == Some("ENABLED")
    }

    /// Whether `given` is one of the client's secrets (constant time, no early exit).
    pub fn secret_is(&self, given: &str) -> bool {
        self.secrets.iter().fold(false, |found, secret| {
            found
                | bool::from(subtle::ConstantTimeEq::ct_eq(
                    secret.expose_secret().as_bytes(),
                    given.as_bytes(),
                ))
        })
    }

    /// Checks `SECRET_HASH` = Base64(HMAC-SHA256(secret, username ‖ client_id)) against every
    /// secret of the client (constant time, no early exit). A client without a secret ignores it.
    ///
    /// Errors (srp-tokens-mfa.md §2.7): missing → `NotAuthorizedException` `Client <id> is
    /// configured with secret but SECRET_HASH was not received`; wrong → `Unable to verify
    /// secret hash for client <id>`.
    pub fn check_secret_hash(
        &self,
        username: &str,
        given: Option<&str>,
    ) -> Result<(), CognitoError> {
        if self.secrets.is_empty() {
            return Ok(());
        }
        let Some(given) = given.filter(|g| !g.is_empty()) else {
            return Err(CognitoError::new(
                ErrorCode::NotAuthorizedException,
                format!(
                    "Client {} is configured with secret but SECRET_HASH was not received",
                    self.client_id
                ),
            ));
        };
        let message = format!("{username}{}", self.client_id);
        let matched = self.secrets.iter().fold(false, |found, secret| {
            let key = aws_lc_rs::hmac::Key::new(
                aws_lc_rs::hmac::HMAC_SHA256,
                secret.expose_secret().as_bytes(),
            );
            let expected = aws_lc_rs::hmac::sign(&key, message.as_bytes());
            let expected = base64::Engine::encode(
                &base64::engine::general_purpose::STANDARD,
                expected.as_ref(),
            );
            found
                | bool::from(subtle::ConstantTimeEq::ct_eq(
                    expected.as_bytes(),
                    given.as_bytes(),
                ))
        });
        if matched {
            Ok(())
        } else {
            Err(CognitoError::new(
                ErrorCode::NotAuthorizedException,
                format!("Unable to verify secret hash for client {}", self.client_id),
            ))
        }
    }
}

impl Cognito {
    /// The client named by a user operation's `ClientId` with its pool; `ResourceNotFound`
    /// `User pool client <id> does not exist.` when there is none.
    pub(crate) async fn user_client(
        &self,
        client_id: &str,
    ) -> Result<(UserClient, PoolView), CognitoError> {
        let record = self
            .store
            .client(client_id)
            .await
            .map_err(internal)?
            .ok_or_else(|| client_not_found(client_id))?;
        let client: UserPoolClientType =
            serde_json::from_str(&record.doc).map_err(|_| CognitoError::internal())?;
        let secrets = self
            .store
            .client_secrets(client_id)
            .await
            .map_err(internal)?
            .iter()
            .map(|s| self.reveal_secret(s))
            .collect::<Result<Vec<_>, _>>()?;
        let pool = self.pool_view_by_id(&record.user_pool_id).await?;
        Ok((
            UserClient {
                client_id: record.client_id.to_string(),
                user_pool_id: record.user_pool_id.to_string(),
                client,
                secrets,
                via_admin: false,
            },
            pool,
        ))
    }

    /// The client and pool of a self-service operation by `ClientId` (SignUp, confirmation,
    /// forgotten passwords): the client must exist, `SECRET_HASH` must be right for `username`
    /// when the client has a secret, and then the call is charged to the pool's account in
    /// `category`.
    ///
    /// Errors: as [`Cognito::user_client`] and [`UserClient::check_secret_hash`];
    /// `TooManyRequestsException` over the category's rate.
    pub(crate) async fn self_service_client(
        &self,
        client_id: Option<&str>,
        username: &str,
        secret_hash: Option<&str>,
        category: rognito_model::ApiCategory,
    ) -> Result<(UserClient, PoolView), CognitoError> {
        let (client, pool) = self
            .user_client(crate::required(client_id, "ClientId")?)
            .await?;
        client.check_secret_hash(username, secret_hash)?;
        self.charge_user_operation(&pool, category)?;
        Ok((client, pool))
    }

    /// [`Cognito::user_client`] for an Admin* operation: the client must belong to the pool
    /// the request names (else `ResourceNotFound`, as for a missing client).
    pub(crate) async fn user_client_in(
        &self,
        pool: &PoolView,
        client_id: &str,
    ) -> Result<UserClient, CognitoError> {
        let (mut client, _) = self.user_client(client_id).await?;
        if client.user_pool_id != pool.id {
            return Err(client_not_found(client_id));
        }
        client.via_admin = true;
        Ok(client)
    }
}
