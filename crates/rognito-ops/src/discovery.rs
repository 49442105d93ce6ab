//! The OpenID discovery document of a pool, with Cognito's fields.

use serde::Serialize;

use crate::Cognito;

#[derive(Debug, Serialize)]
pub struct OpenIdConfiguration {
    pub authorization_endpoint: String,
    pub id_token_signing_alg_values_supported: [&'static str; 1],
    pub issuer: String,
    pub jwks_uri: String,
    pub response_types_supported: [&'static str; 2],
    pub scopes_supported: [&'static str; 4],
    pub subject_types_supported: [&'static str; 1],
    pub token_endpoint: String,
    pub token_endpoint_auth_methods_supported: [&'static str; 2],
    pub userinfo_endpoint: String,
}

impl Cognito {
    /// The discovery document of an existing pool (`None` for an unknown one). Endpoints point
    /// at this server (its public URL); `issuer` is the configured issuer base plus the pool id.
    pub async fn openid_configuration(
        &self,
        user_pool_id: &str,
    ) -> Result<Option<OpenIdConfiguration>, rognito_model::CognitoError> {
        if self.pool_keys(user_pool_id).await?.is_none() {
            return Ok(None);
        }
        let base = self.config.public_url.trim_end_matches('/');
        Ok(Some(OpenIdConfiguration {
            authorization_endpoint: format!("{base}/oauth2/authorize"),
            id_token_signing_alg_values_supported: ["RS256"],
            issuer: self.issuer(user_pool_id),
            jwks_uri: format!("{base}/{user_pool_id}/.well-known/jwks.json"),
            response_types_supported: ["code", "token"],
            scopes_supported: ["openid", "email", "phone", "profile"],
            subject_types_supported: ["public"],
            token_endpoint: format!("{base}/oauth2/token"),
            token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
            userinfo_endpoint: format!("{base}/oauth2/userInfo"),
        }))
    }
}
