//! App clients: Create, Describe, Update, List, Delete, and the rules Cognito enforces on their
//! OAuth settings (scopes must exist, client_credentials alone and only with a secret, token
//! validity within Cognito's ranges).

use rognito_model::{
    ClientId, CognitoError, CreateUserPoolClientRequest, CreateUserPoolClientResponse,
    DeleteUserPoolClientRequest, DescribeUserPoolClientRequest, DescribeUserPoolClientResponse,
    EmptyOutput, ErrorCode, ListUserPoolClientsRequest, ListUserPoolClientsResponse,
    TokenValidityUnitsType, UpdateUserPoolClientRequest, UpdateUserPoolClientResponse,
    UserPoolClientDescription, UserPoolClientType, UserPoolId,
};
use rognito_store::{ClientRecord, ClientSecretRecord, StoreError};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use crate::client_rules;
use crate::clock::epoch_seconds;
use crate::pagination::Listing;
use crate::user_pools::pool_not_found;
use crate::{Cognito, RequestContext, internal, required};

/// Scopes every pool has without a resource server.
pub(crate) const BUILT_IN_SCOPES: &[&str] = &[
    "phone",
    "email",
    "openid",
    "profile",
    "aws.cognito.signin.user.admin",
];

const CLIENT_ID_ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
const CLIENT_ID_LEN: usize = 26;
const GENERATED_SECRET_LEN: usize = 51;

/// Members of the request shapes that UserPoolClientType does not have.
const REQUEST_ONLY: &[&str] = &["GenerateSecret", "ClientSecret"];

impl Cognito {
    pub(crate) async fn create_user_pool_client(
        &self,
        ctx: &RequestContext,
        input: CreateUserPoolClientRequest,
    ) -> Result<CreateUserPoolClientResponse, CognitoError> {
        let pool_id = required(input.user_pool_id.as_deref(), "UserPoolId")?.to_owned();
        self.check_pool(ctx, &pool_id).await?;
        let secret = match (&input.client_secret, input.generate_secret) {
            // The API reference: "You cannot specify both" (Cognito's text was not found).
            (Some(_), Some(true)) => {
                return Err(CognitoError::invalid_parameter(
                    "GenerateSecret and ClientSecret cannot both be specified.",
                ));
            }
            (Some(given), _) => Some(SecretString::from(given.as_str())),
            (None, Some(true)) => Some(SecretString::from(crate::ids::random_string(
                CLIENT_ID_ALPHABET,
                GENERATED_SECRET_LEN,
            ))),
            (None, _) => None,
        };
        let mut client = client_document(&input)?;
        self.check_client_rules(&pool_id, &mut client, secret.is_some(), true)
            .await?;
        let now = self.clock.now_ms();
        let quota = self.config.quotas.clients_per_user_pool;
        for _ in 0..5 {
            let client_id =
                ClientId::from(crate::ids::random_string(CLIENT_ID_ALPHABET, CLIENT_ID_LEN));
            client.client_id = Some(client_id.as_str().to_owned());
            let record = client_record(&client, now, now)?;
            let secret_record = secret
                .as_ref()
                .map(|s| self.secret_record(&client_id, s, now));
            match self
                .store
                .create_client(&record, secret_record.as_ref(), quota)
                .await
            {
                Ok(()) => {
                    return Ok(CreateUserPoolClientResponse {
                        user_pool_client: Some(with_secret_and_dates(
                            client,
                            secret.as_ref(),
                            &record,
                        )),
                    });
                }
                Err(StoreError::AlreadyExists) => continue,
                Err(StoreError::NotFound) => return Err(pool_not_found(&pool_id)),
                Err(StoreError::LimitExceeded) => {
                    return Err(CognitoError::limit_exceeded(format!(
                        "User pool {pool_id} has reached its quota of {quota} app clients."
                    )));
                }
                Err(e) => return Err(internal(e)),
            }
        }
        Err(CognitoError::internal())
    }

    pub(crate) async fn describe_user_pool_client(
        &self,
        ctx: &RequestContext,
        input: DescribeUserPoolClientRequest,
    ) -> Result<DescribeUserPoolClientResponse, CognitoError> {
        let (pool_id, client_id) =
            named_client(input.user_pool_id.as_deref(), input.client_id.as_deref())?;
        let record = self.owned_client(ctx, &pool_id, &client_id).await?;
        Ok(DescribeUserPoolClientResponse {
            user_pool_client: Some(self.client_type(&record).await?),
        })
    }

    pub(crate) async fn update_user_pool_client(
        &self,
        ctx: &RequestContext,
        input: UpdateUserPoolClientRequest,
    ) -> Result<UpdateUserPoolClientResponse, CognitoError> {
        let (pool_id, client_id) =
            named_client(input.user_pool_id.as_deref(), input.client_id.as_deref())?;
        let existing = self.owned_client(ctx, &pool_id, &client_id).await?;
        // Cognito's Update* replace: every omitted member goes back to its default. Only the
        // id, the secret and the creation date survive (and the name, which cannot be empty).
        let mut client = client_document(&input)?;
        if client.client_name.is_none() {
            client.client_name = Some(existing.client_name.clone());
        }
        let has_secret = !self
            .store
            .client_secrets(&client_id)
            .await
            .map_err(internal)?
            .is_empty();
        self.check_client_rules(&pool_id, &mut client, has_secret, false)
            .await?;
        let record = client_record(&client, existing.created_ms, self.clock.now_ms())?;
        let stored = self
            .store
            .replace_client(&record)
            .await
            .map_err(internal)?
            .ok_or_else(|| client_not_found(&client_id))?;
        Ok(UpdateUserPoolClientResponse {
            user_pool_client: Some(self.client_type(&stored).await?),
        })
    }

    pub(crate) async fn list_user_pool_clients(
        &self,
        ctx: &RequestContext,
        input: ListUserPoolClientsRequest,
    ) -> Result<ListUserPoolClientsResponse, CognitoError> {
        let pool_id = required(input.user_pool_id.as_deref(), "UserPoolId")?;
        self.check_pool(ctx, pool_id).await?;
        let limit = input
            .max_results
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(60);
        let after = match input.next_token.as_deref() {
            Some(token) => Some(self.pages.decode(Listing::Clients, pool_id, token)?),
            None => None,
        };
        let page = self
            .store
            .list_clients(pool_id, after.as_deref(), limit)
            .await
            .map_err(internal)?;
        let next_token = match (page.more, page.items.last()) {
            (true, Some(last)) => Some(self.pages.encode(
                Listing::Clients,
                pool_id,
                &last.client_id,
            )),
            _ => None,
        };
        let clients = page
            .items
            .into_iter()
            .map(|r| UserPoolClientDescription {
                client_id: Some(r.client_id.into_string()),
                user_pool_id: Some(r.user_pool_id.into_string()),
                client_name: Some(r.client_name),
            })
            .collect();
        Ok(ListUserPoolClientsResponse {
            user_pool_clients: Some(clients),
            next_token,
        })
    }

    pub(crate) async fn delete_user_pool_client(
        &self,
        ctx: &RequestContext,
        input: DeleteUserPoolClientRequest,
    ) -> Result<EmptyOutput, CognitoError> {
        let (pool_id, client_id) =
            named_client(input.user_pool_id.as_deref(), input.client_id.as_deref())?;
        let record = self.owned_client(ctx, &pool_id, &client_id).await?;
        let deleted = self
            .store
            .delete_client(&record.user_pool_id, &record.client_id)
            .await
            .map_err(internal)?;
        if !deleted {
            return Err(client_not_found(&client_id));
        }
        Ok(EmptyOutput {})
    }

    /// The client if it exists in `pool_id` and the pool is the caller's.
    pub(crate) async fn owned_client(
        &self,
        ctx: &RequestContext,
        pool_id: &UserPoolId,
        client_id: &ClientId,
    ) -> Result<ClientRecord, CognitoError> {
        self.check_pool(ctx, pool_id).await?;
        match self.store.client(client_id).await.map_err(internal)? {
            Some(record) if record.user_pool_id == *pool_id => Ok(record),
            _ => Err(client_not_found(client_id)),
        }
    }

    /// The stored client as DescribeUserPoolClient shows it, with its (first active) secret.
    async fn client_type(&self, record: &ClientRecord) -> Result<UserPoolClientType, CognitoError> {
        let client: UserPoolClientType = serde_json::from_str(&record.doc).map_err(|e| {
            tracing::error!(error = %e, client = %record.client_id, "stored client is unreadable");
            CognitoError::internal()
        })?;
        let secrets = self
            .store
            .client_secrets(&record.client_id)
            .await
            .map_err(internal)?;
        let secret = match secrets.first() {
            Some(s) => Some(self.reveal_secret(s)?),
            None => None,
        };
        Ok(with_secret_and_dates(client, secret.as_ref(), record))
    }

    pub(crate) fn secret_record(
        &self,
        client_id: &ClientId,
        secret: &SecretString,
        now: i64,
    ) -> ClientSecretRecord {
        let secret = secret.expose_secret();
        ClientSecretRecord {
            secret_id: format!("{client_id}--{now}"),
            client_id: client_id.clone(),
            ciphertext: self
                .master
                .seal(&secret_context(client_id), secret.as_bytes()),
            digest: self.master.digest(client_id, secret.as_bytes()),
            created_ms: now,
        }
    }

    pub(crate) fn reveal_secret(
        &self,
        record: &ClientSecretRecord,
    ) -> Result<SecretString, CognitoError> {
        let plain = self
            .master
            .open(&secret_context(&record.client_id), &record.ciphertext)
            .map_err(|e| {
                tracing::error!(secret = %record.secret_id, error = %e, "cannot decrypt a client secret: is the master key the one it was sealed with?");
                CognitoError::internal()
            })?;
        let plain = String::from_utf8(plain).map_err(|_| CognitoError::internal())?;
        Ok(SecretString::from(plain))
    }

    /// Cognito's rules for a client's OAuth and token settings; fills in defaults on the way.
    async fn check_client_rules(
        &self,
        pool_id: &str,
        client: &mut UserPoolClientType,
        has_secret: bool,
        creating: bool,
    ) -> Result<(), CognitoError> {
        apply_client_defaults(client);
        check_token_validity(client)?;
        self.check_client_identity_providers(client, pool_id)
            .await?;
        client_rules::check_redirects(client)?;
        if client.read_attributes.is_some() || client.write_attributes.is_some() {
            let schema = self.pool_schema(pool_id).await?;
            client_rules::check_attributes(client, &schema, creating)?;
        }
        let scopes = client.allowed_o_auth_scopes.clone().unwrap_or_default();
        if !scopes.is_empty() {
            let existing = self.active_scopes(pool_id).await?;
            if let Some(missing) = scopes.iter().find(|s| {
                !BUILT_IN_SCOPES.contains(&s.as_str()) && !existing.scopes.contains(s.as_str())
            }) {
                return Err(CognitoError::new(
                    ErrorCode::ScopeDoesNotExistException,
                    format!("Invalid scope requested: {missing}"),
                ));
            }
        }
        let flows = client.allowed_o_auth_flows.clone().unwrap_or_default();
        client_rules::check_client_credentials_scopes(&flows, &scopes)?;
        let oauth_enabled = client.allowed_o_auth_flows_user_pool_client == Some(true);
        let invalid_flow =
            |message: &str| CognitoError::new(ErrorCode::InvalidOAuthFlowException, message);
        if oauth_enabled && (flows.is_empty() || scopes.is_empty()) {
            return Err(CognitoError::invalid_parameter(
                "AllowedOAuthFlows and AllowedOAuthScopes are required if user pool client is \
                 allowed to use OAuth flows.",
            ));
        }
        if flows.iter().any(|f| f == "client_credentials") {
            if flows.iter().any(|f| f == "code" || f == "implicit") {
                return Err(invalid_flow(
                    "client_credentials flow can not be selected along with code flow or \
                     implicit flow",
                ));
            }
            if !has_secret {
                return Err(invalid_flow(
                    "client_credentials flow can not be selected if client does not have a \
                     client secret.",
                ));
            }
            if !oauth_enabled {
                return Err(invalid_flow(
                    "client_credentials flow can not be selected unless \
                     AllowedOAuthFlowsUserPoolClient is true.",
                ));
            }
        }
        if oauth_enabled
            && flows.iter().any(|f| f == "code" || f == "implicit")
            && client.callback_ur_ls.as_ref().is_none_or(Vec::is_empty)
        {
            return Err(invalid_flow(
                "CallbackUrls can not be empty when code flow or implicit flow is selected",
            ));
        }
        let explicit = client.explicit_auth_flows.clone().unwrap_or_default();
        if explicit.iter().any(|f| f == "ALLOW_CLIENT_TOKEN_AUTH")
            && explicit.iter().any(|f| f != "ALLOW_CLIENT_TOKEN_AUTH")
        {
            return Err(CognitoError::invalid_parameter(
                "ALLOW_CLIENT_TOKEN_AUTH can not be combined with user authentication flows.",
            ));
        }
        client_rules::check_explicit_flows(&explicit)?;
        Ok(())
    }

    /// The pool's `SchemaAttributes` (for the attributes a client may read and write).
    async fn pool_schema(&self, pool_id: &str) -> Result<Vec<Value>, CognitoError> {
        let record = self
            .store
            .user_pool(pool_id)
            .await
            .map_err(internal)?
            .ok_or_else(|| pool_not_found(pool_id))?;
        let doc: Value = serde_json::from_str(&record.doc).map_err(|_| CognitoError::internal())?;
        Ok(doc
            .get("SchemaAttributes")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default())
    }
}

/// The pool and app client a request names (both required), typed so they cannot be swapped.
pub(crate) fn named_client(
    pool_id: Option<&str>,
    client_id: Option<&str>,
) -> Result<(UserPoolId, ClientId), CognitoError> {
    Ok((
        required(pool_id, "UserPoolId")?.into(),
        required(client_id, "ClientId")?.into(),
    ))
}

pub(crate) fn secret_context(client_id: &str) -> String {
    format!("client-secret:{client_id}")
}

pub(crate) fn client_not_found(client_id: &str) -> CognitoError {
    CognitoError::not_found(format!("User pool client {client_id} does not exist."))
}

/// The UserPoolClientType members a Create or Update request carries (under the same names).
fn client_document<T: serde::Serialize>(input: &T) -> Result<UserPoolClientType, CognitoError> {
    let Value::Object(mut members) =
        serde_json::to_value(input).map_err(|_| CognitoError::internal())?
    else {
        return Err(CognitoError::internal());
    };
    for name in REQUEST_ONLY {
        members.remove(*name);
    }
    serde_json::from_value(Value::Object(members)).map_err(|e| {
        tracing::error!(error = %e, "client request does not map onto UserPoolClientType");
        CognitoError::internal()
    })
}

/// Cognito's defaults for what a Create/Update left out.
fn apply_client_defaults(client: &mut UserPoolClientType) {
    if client.refresh_token_validity.is_none_or(|v| v == 0) {
        client.refresh_token_validity = Some(30);
    }
    let units = client
        .token_validity_units
        .get_or_insert_with(TokenValidityUnitsType::default);
    units.access_token.get_or_insert_with(|| "hours".into());
    units.id_token.get_or_insert_with(|| "hours".into());
    units.refresh_token.get_or_insert_with(|| "days".into());
    client.explicit_auth_flows.get_or_insert_with(|| {
        [
            "ALLOW_CUSTOM_AUTH",
            "ALLOW_REFRESH_TOKEN_AUTH",
            "ALLOW_USER_SRP_AUTH",
        ]
        .map(String::from)
        .to_vec()
    });
    client
        .allowed_o_auth_flows_user_pool_client
        .get_or_insert(false);
    client.enable_token_revocation.get_or_insert(true);
    client
        .enable_propagate_additional_user_context_data
        .get_or_insert(false);
    client.auth_session_validity.get_or_insert(3);
}

fn unit_seconds(unit: Option<&str>) -> i64 {
    match unit {
        Some("seconds") => 1,
        Some("minutes") => 60,
        Some("days") => 86_400,
        _ => 3_600,
    }
}

/// Access and ID tokens live 5 minutes to 1 day, refresh tokens 1 hour to 10 years.
fn check_token_validity(client: &UserPoolClientType) -> Result<(), CognitoError> {
    let units = client.token_validity_units.clone().unwrap_or_default();
    let within = |value: Option<i32>, default: i64, unit: Option<&str>, min: i64, max: i64| {
        let seconds = value.map_or(default, i64::from) * unit_seconds(unit);
        (min..=max).contains(&seconds)
    };
    let ok = within(
        client.access_token_validity,
        1,
        units.access_token.as_deref(),
        300,
        86_400,
    ) && within(
        client.id_token_validity,
        1,
        units.id_token.as_deref(),
        300,
        86_400,
    ) && within(
        client.refresh_token_validity,
        30,
        units.refresh_token.as_deref(),
        3_600,
        315_360_000,
    );
    if ok {
        Ok(())
    } else {
        Err(CognitoError::invalid_parameter(
            "Invalid range for token validity.",
        ))
    }
}

/// How long a client's access tokens live, in seconds.
pub(crate) fn access_token_seconds(client: &UserPoolClientType) -> i64 {
    let unit = client
        .token_validity_units
        .as_ref()
        .and_then(|u| u.access_token.as_deref());
    client.access_token_validity.map_or(1, i64::from) * unit_seconds(unit)
}

fn client_record(
    client: &UserPoolClientType,
    created_ms: i64,
    modified_ms: i64,
) -> Result<ClientRecord, CognitoError> {
    let mut stored = client.clone();
    stored.client_secret = None;
    stored.creation_date = None;
    stored.last_modified_date = None;
    Ok(ClientRecord {
        client_id: client.client_id.clone().unwrap_or_default().into(),
        user_pool_id: client.user_pool_id.clone().unwrap_or_default().into(),
        client_name: client.client_name.clone().unwrap_or_default(),
        doc: serde_json::to_string(&stored).map_err(|_| CognitoError::internal())?,
        created_ms,
        modified_ms,
    })
}

/// The client as the wire shows it: the secret leaves its redacting holder only here.
fn with_secret_and_dates(
    mut client: UserPoolClientType,
    secret: Option<&SecretString>,
    record: &ClientRecord,
) -> UserPoolClientType {
    client.client_secret = secret.map(|s| s.expose_secret().to_owned());
    client.creation_date = Some(epoch_seconds(record.created_ms));
    client.last_modified_date = Some(epoch_seconds(record.modified_ms));
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn plaintext_client_secrets_redact_themselves() {
        let ops = Cognito::in_memory().await.expect("ops");
        let secret = SecretString::from("s3cr3t-client-secret");
        let record = ops.secret_record(&ClientId::from("client"), &secret, 1);
        let revealed = ops.reveal_secret(&record).expect("reveal");
        assert_eq!(revealed.expose_secret(), "s3cr3t-client-secret");
        for shown in [
            format!("{secret:?}"),
            format!("{revealed:?}"),
            format!("{record:?}"),
        ] {
            assert!(!shown.contains("s3cr3t"), "{shown}");
        }
    }
}
