//! Client secret rotation: AddUserPoolClientSecret (at most two active secrets),
//! ListUserPoolClientSecrets (never reveals values), DeleteUserPoolClientSecret (never the last).

use rognito_model::{
    AddUserPoolClientSecretRequest, AddUserPoolClientSecretResponse, ClientSecretDescriptorType,
    CognitoError, DeleteUserPoolClientSecretRequest, DeleteUserPoolClientSecretResponse,
    ListUserPoolClientSecretsRequest, ListUserPoolClientSecretsResponse,
};
use rognito_store::StoreError;
use secrecy::{ExposeSecret, SecretString};

use crate::clients::{client_not_found, named_client};
use crate::clock::epoch_seconds;
use crate::{Cognito, RequestContext, internal, required};

/// Cognito keeps at most two active secrets per client, so one can be rotated at a time.
const MAX_SECRETS: u64 = 2;
const GENERATED_SECRET_ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
const GENERATED_SECRET_LEN: usize = 51;
/// Secret ids tried (one millisecond apart) before a collision is an internal error.
const MAX_ID_ATTEMPTS: u32 = 64;

impl Cognito {
    pub(crate) async fn add_user_pool_client_secret(
        &self,
        ctx: &RequestContext,
        input: AddUserPoolClientSecretRequest,
    ) -> Result<AddUserPoolClientSecretResponse, CognitoError> {
        let (pool_id, client_id) =
            named_client(input.user_pool_id.as_deref(), input.client_id.as_deref())?;
        self.owned_client(ctx, &pool_id, &client_id).await?;
        let secret = SecretString::from(input.client_secret.clone().unwrap_or_else(|| {
            crate::ids::random_string(GENERATED_SECRET_ALPHABET, GENERATED_SECRET_LEN)
        }));
        // Secret ids are `<client id>--<creation time in ms>` (Cognito's form). Two adds in one
        // millisecond, or two concurrent adds that read the same newest secret, would make the
        // same id: the store refuses the second (AlreadyExists) and it takes the next
        // millisecond. The quota is checked in the same transaction as each insert, so it holds.
        let mut now = self.clock.now_ms();
        let existing = self
            .store
            .client_secrets(&client_id)
            .await
            .map_err(internal)?;
        if let Some(last) = existing.last() {
            now = now.max(last.created_ms + 1);
        }
        let mut attempts = 0;
        let record = loop {
            let record = self.secret_record(&client_id, &secret, now);
            match self.store.add_client_secret(&record, MAX_SECRETS).await {
                Ok(()) => break record,
                Err(StoreError::AlreadyExists) if attempts < MAX_ID_ATTEMPTS => {
                    attempts += 1;
                    now += 1;
                }
                Err(StoreError::NotFound) => return Err(client_not_found(&client_id)),
                Err(StoreError::LimitExceeded) => {
                    return Err(CognitoError::limit_exceeded(format!(
                        "App client {client_id} already has {MAX_SECRETS} client secrets; \
                         delete one before adding another."
                    )));
                }
                Err(e) => return Err(internal(e)),
            }
        };
        // The API reference (ClientSecretDescriptorType): "For custom secrets that you provide,
        // this field is not included in the response."
        let generated = input.client_secret.is_none();
        Ok(AddUserPoolClientSecretResponse {
            client_secret_descriptor: Some(ClientSecretDescriptorType {
                client_secret_id: Some(record.secret_id),
                client_secret_value: generated.then(|| secret.expose_secret().to_owned()),
                client_secret_create_date: Some(epoch_seconds(record.created_ms)),
            }),
        })
    }

    pub(crate) async fn list_user_pool_client_secrets(
        &self,
        ctx: &RequestContext,
        input: ListUserPoolClientSecretsRequest,
    ) -> Result<ListUserPoolClientSecretsResponse, CognitoError> {
        let (pool_id, client_id) =
            named_client(input.user_pool_id.as_deref(), input.client_id.as_deref())?;
        self.owned_client(ctx, &pool_id, &client_id).await?;
        let secrets = self
            .store
            .client_secrets(&client_id)
            .await
            .map_err(internal)?;
        Ok(ListUserPoolClientSecretsResponse {
            client_secrets: Some(
                secrets
                    .into_iter()
                    .map(|s| ClientSecretDescriptorType {
                        client_secret_id: Some(s.secret_id),
                        // Never revealed by a listing.
                        client_secret_value: None,
                        client_secret_create_date: Some(epoch_seconds(s.created_ms)),
                    })
                    .collect(),
            ),
            next_token: None,
        })
    }

    pub(crate) async fn delete_user_pool_client_secret(
        &self,
        ctx: &RequestContext,
        input: DeleteUserPoolClientSecretRequest,
    ) -> Result<DeleteUserPoolClientSecretResponse, CognitoError> {
        let (pool_id, client_id) =
            named_client(input.user_pool_id.as_deref(), input.client_id.as_deref())?;
        let secret_id = required(input.client_secret_id.as_deref(), "ClientSecretId")?;
        self.owned_client(ctx, &pool_id, &client_id).await?;
        let deleted = match self.store.delete_client_secret(&client_id, secret_id).await {
            Ok(deleted) => deleted,
            Err(StoreError::Conflict) => {
                return Err(CognitoError::invalid_parameter(format!(
                    "Client secret {secret_id} is the last secret of app client {client_id} and \
                     cannot be deleted."
                )));
            }
            Err(e) => return Err(internal(e)),
        };
        if !deleted {
            return Err(CognitoError::not_found(format!(
                "Client secret {secret_id} does not exist."
            )));
        }
        Ok(DeleteUserPoolClientSecretResponse::default())
    }
}
