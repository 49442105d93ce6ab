//! The identity-provider family: CreateIdentityProvider, DescribeIdentityProvider,
//! ListIdentityProviders, UpdateIdentityProvider, DeleteIdentityProvider and
//! GetIdentityProviderByIdentifier. Configuration only: rognito never calls a provider (no
//! metadata download, no OIDC discovery, no federated sign-in).
//!
//! Storage: a pool's providers live in the pool's document under [`IDENTITY_PROVIDERS`], a JSON
//! object from provider name to the provider as Describe returns it (without `UserPoolId`),
//! changed only through `Cognito::modify_pool`, so both storage engines keep them, concurrent
//! writers never lose one, and deleting the pool deletes them. DescribeUserPool's typed output
//! drops the key. Dates are stored and returned as epoch seconds (`crate::clock`).
//!
//! Secrets: `client_secret` is kept and returned by Describe, as Cognito does (the model's
//! `ProviderDetails` documentation, "Describe response"); Sign in with Apple's `private_key` is
//! not kept at all, as Describe never returns it and rognito never signs in with Apple. Nothing
//! here logs a provider's details, and no error text quotes a detail's value.
//!
//! Sources of the rules, each named where it is applied: the API reference and the botocore
//! model's documentation of `ProviderDetails` (required keys per type, the keys Cognito adds by
//! itself in a Describe response), real responses quoted in public issues (error texts), moto
//! (the default attribute mapping), the Quotas page (300 providers per pool). Texts that could
//! not be found are rognito's and say so; docs/compatibility.md lists them.

use std::collections::{BTreeMap, BTreeSet};

use rognito_model::{
    CognitoError, CreateIdentityProviderRequest, CreateIdentityProviderResponse,
    DeleteIdentityProviderRequest, DescribeIdentityProviderRequest,
    DescribeIdentityProviderResponse, EmptyOutput, ErrorCode,
    GetIdentityProviderByIdentifierRequest, GetIdentityProviderByIdentifierResponse,
    IdentityProviderType, ListIdentityProvidersRequest, ListIdentityProvidersResponse,
    ProviderDescription, UpdateIdentityProviderRequest, UpdateIdentityProviderResponse,
    UserPoolClientType,
};
use serde_json::{Map, Value};

use crate::clock::epoch_seconds;
use crate::pagination::Listing;
use crate::user_pools::pool_not_found;
use crate::{Cognito, RequestContext, client_rules, internal, required};

/// Where a pool's document keeps its identity providers: a JSON object by provider name.
pub(crate) const IDENTITY_PROVIDERS: &str = "rognito:IdentityProviders";

/// At most this many identity providers in a pool ("Quotas in Amazon Cognito", resource
/// quotas: "Identity providers per user pool", 300, not adjustable).
pub(crate) const MAX_PROVIDERS_PER_POOL: usize = 300;

/// ListIdentityProviders' page size when MaxResults is omitted or 0 (the model's maximum, 60;
/// the model allows 0, which rognito reads as "the default").
const DEFAULT_PAGE_SIZE: usize = 60;

/// The name every pool's own user directory goes by in `SupportedIdentityProviders`; no
/// provider may take it.
pub(crate) const COGNITO: &str = "COGNITO";

/// The social provider types. A social provider's name must be its type, and no other
/// provider may take a social type's name (aws-cli#3179, terraform-provider-aws#4822:
/// "Provider NameOfGP cannot be of type Google.").
const SOCIAL: &[&str] = &["Google", "Facebook", "LoginWithAmazon", "SignInWithApple"];

/// Details that are secrets: returned by Describe where Cognito returns them, never logged.
/// `private_key` is not even kept.
const NOT_KEPT: &[&str] = &["private_key"];

/// The detail keys each type requires (the API reference's `ProviderDetails` list; the model's
/// Create/Describe examples). OIDC's `client_secret` is optional (the API reference lists it,
/// the developer guide allows public OIDC clients). SAML needs one of MetadataURL or
/// MetadataFile (checked apart).
fn required_details(provider_type: &str) -> &'static [&'static str] {
    match provider_type {
        "Google" | "Facebook" | "LoginWithAmazon" => {
            &["client_id", "client_secret", "authorize_scopes"]
        }
        "SignInWithApple" => &[
            "client_id",
            "team_id",
            "key_id",
            "private_key",
            "authorize_scopes",
        ],
        "OIDC" => &[
            "client_id",
            "attributes_request_method",
            "oidc_issuer",
            "authorize_scopes",
        ],
        _ => &[],
    }
}

/// The text for missing details: Cognito's for Google, Facebook and Login with Amazon (a real
/// response quoted in aws-amplify/amplify-js#8941: "client_id, client_secret and
/// authorize_scopes are all required idp details"); rognito's, in the same form, for Sign in
/// with Apple and OIDC (Cognito's were not found).
fn missing_details_message(keys: &[&str]) -> String {
    match keys.split_last() {
        Some((last, rest)) if !rest.is_empty() => {
            format!(
                "{} and {last} are all required idp details",
                rest.join(", ")
            )
        }
        Some((last, _)) => format!("{last} is a required idp detail"),
        None => String::new(),
    }
}

/// The details Cognito adds by itself to a social provider (the model's `ProviderDetails`
/// documentation, each type's "Describe response"). Facebook's URLs carry `api_version` when
/// it is given; without it rognito leaves the version segment out (rognito's choice: Cognito's
/// default version is not documented). OIDC gets `attributes_url_add_attributes` = "false"; the
/// endpoints it would discover from `oidc_issuer` are not fetched (no outbound calls), so only
/// those given are shown. SAML's derived details (certificate, SSO/SLO URLs from the metadata)
/// are not produced.
fn derived_details(
    provider_type: &str,
    details: &BTreeMap<String, String>,
) -> Vec<(String, String)> {
    let pairs: Vec<(&str, String)> = match provider_type {
        "Google" => vec![
            (
                "attributes_url",
                "https://people.googleapis.com/v1/people/me?personFields=".into(),
            ),
            ("attributes_url_add_attributes", "true".into()),
            (
                "authorize_url",
                "https://accounts.google.com/o/oauth2/v2/auth".into(),
            ),
            ("oidc_issuer", "https://accounts.google.com".into()),
            ("token_request_method", "POST".into()),
            (
                "token_url",
                "https://www.googleapis.com/oauth2/v4/token".into(),
            ),
        ],
        "LoginWithAmazon" => vec![
            (
                "attributes_url",
                "https://api.amazon.com/user/profile".into(),
            ),
            ("attributes_url_add_attributes", "false".into()),
            ("authorize_url", "https://www.amazon.com/ap/oa".into()),
            ("token_request_method", "POST".into()),
            ("token_url", "https://api.amazon.com/auth/o2/token".into()),
        ],
        "SignInWithApple" => vec![
            ("attributes_url_add_attributes", "false".into()),
            (
                "authorize_url",
                "https://appleid.apple.com/auth/authorize".into(),
            ),
            ("oidc_issuer", "https://appleid.apple.com".into()),
            ("token_request_method", "POST".into()),
            ("token_url", "https://appleid.apple.com/auth/token".into()),
        ],
        "Facebook" => {
            let version = details
                .get("api_version")
                .map(|v| format!("{v}/"))
                .unwrap_or_default();
            vec![
                (
                    "attributes_url",
                    format!("https://graph.facebook.com/{version}me?fields="),
                ),
                ("attributes_url_add_attributes", "true".into()),
                (
                    "authorize_url",
                    format!("https://www.facebook.com/{version}dialog/oauth"),
                ),
                ("token_request_method", "GET".into()),
                (
                    "token_url",
                    format!("https://graph.facebook.com/{version}oauth/access_token"),
                ),
            ]
        }
        "OIDC" => vec![("attributes_url_add_attributes", "false".into())],
        _ => Vec::new(),
    };
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// Checks a provider's name against its type.
///
/// Errors: `InvalidParameterException` `Provider <name> cannot be of type <type>.` (Cognito's
/// text, aws-cli#3179) when a social provider is not named after its type, or another type
/// takes a social type's name or `COGNITO` (rognito extends Cognito's rule to those, with the
/// same text).
fn check_name(name: &str, provider_type: &str) -> Result<(), CognitoError> {
    let social = SOCIAL.contains(&provider_type);
    let reserved = name == COGNITO || SOCIAL.contains(&name);
    if (social && name != provider_type) || (!social && reserved) {
        return Err(CognitoError::invalid_parameter(format!(
            "Provider {name} cannot be of type {provider_type}."
        )));
    }
    Ok(())
}

/// The details to keep for a provider of `provider_type`: the caller's, checked, with the
/// details Cognito adds, without the ones rognito does not keep. `updating` exempts the
/// details that cannot be read back (Apple's `private_key`): an update may leave them out.
///
/// Errors: `InvalidParameterException` for a missing required detail (texts above); an OIDC
/// `attributes_request_method` other than GET or POST; a SAML provider without exactly one of
/// MetadataURL and MetadataFile, or a RequestSigningAlgorithm other than rsa-sha256 (the API
/// reference: "Only accepts rsa-sha256"). Those three texts are rognito's.
fn checked_details(
    provider_type: &str,
    mut details: BTreeMap<String, String>,
    updating: bool,
) -> Result<BTreeMap<String, String>, CognitoError> {
    let required = required_details(provider_type);
    let present = |k: &str| details.get(k).is_some_and(|v| !v.trim().is_empty());
    if required
        .iter()
        .any(|k| !(present(k) || (updating && NOT_KEPT.contains(k))))
    {
        return Err(CognitoError::invalid_parameter(missing_details_message(
            required,
        )));
    }
    if provider_type == "OIDC"
        && !matches!(
            details.get("attributes_request_method").map(String::as_str),
            Some("GET" | "POST")
        )
    {
        return Err(CognitoError::invalid_parameter(
            "attributes_request_method must be GET or POST",
        ));
    }
    if provider_type == "SAML" {
        if present("MetadataURL") == present("MetadataFile") {
            return Err(CognitoError::invalid_parameter(
                "Exactly one of MetadataURL and MetadataFile is required for a SAML provider",
            ));
        }
        if details
            .get("RequestSigningAlgorithm")
            .is_some_and(|a| a != "rsa-sha256")
        {
            return Err(CognitoError::invalid_parameter(
                "RequestSigningAlgorithm must be rsa-sha256",
            ));
        }
    }
    for (key, value) in derived_details(provider_type, &details) {
        details.insert(key, value);
    }
    for key in NOT_KEPT {
        details.remove(*key);
    }
    Ok(details)
}

/// Checks a provider's IdpIdentifiers: no repeats in the list, none another provider of the
/// pool already uses.
///
/// Errors: `DuplicateProviderException` (the model lists it for a taken identifier) with
/// rognito's texts (Cognito's were not found).
fn check_identifiers(
    pool_id: &str,
    name: &str,
    identifiers: &[String],
    providers: &Map<String, Value>,
) -> Result<(), CognitoError> {
    let duplicate =
        |message: String| CognitoError::new(ErrorCode::DuplicateProviderException, message);
    let mut seen = BTreeSet::new();
    for identifier in identifiers {
        if !seen.insert(identifier.as_str()) {
            return Err(duplicate(format!(
                "Duplicate identifier {identifier} in IdpIdentifiers."
            )));
        }
    }
    for (other, provider) in providers {
        if other == name {
            continue;
        }
        let taken = provider
            .get("IdpIdentifiers")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .find(|id| seen.contains(id));
        if let Some(identifier) = taken {
            return Err(duplicate(format!(
                "Identifier {identifier} is already used by another provider in user pool \
                 {pool_id}."
            )));
        }
    }
    Ok(())
}

/// `ResourceNotFoundException` for a provider the pool does not have (rognito's text, in the
/// form of Cognito's for resource servers: Cognito's was not found).
fn provider_not_found(pool_id: &str, name: &str) -> CognitoError {
    CognitoError::not_found(format!(
        "Identity provider {name} does not exist in user pool {pool_id}."
    ))
}

/// The providers object of a pool document (empty when the pool has none).
fn providers_of(doc: &Map<String, Value>) -> Map<String, Value> {
    match doc.get(IDENTITY_PROVIDERS) {
        Some(Value::Object(providers)) => providers.clone(),
        _ => Map::new(),
    }
}

fn internal_json(e: serde_json::Error) -> CognitoError {
    tracing::error!(error = %e, "cannot convert an identity provider");
    CognitoError::internal()
}

/// A stored provider as IdentityProviderType, with its pool's id.
fn provider_type_of(pool_id: &str, stored: &Value) -> Result<IdentityProviderType, CognitoError> {
    let mut provider: IdentityProviderType =
        serde_json::from_value(stored.clone()).map_err(internal_json)?;
    provider.user_pool_id = Some(pool_id.to_owned());
    Ok(provider)
}

impl Cognito {
    /// The pool's document, read (not locked) for the caller.
    async fn pool_doc(
        &self,
        ctx: &RequestContext,
        pool_id: &str,
    ) -> Result<Map<String, Value>, CognitoError> {
        let record = self.owned_pool(ctx, pool_id).await?;
        match serde_json::from_str(&record.doc) {
            Ok(Value::Object(doc)) => Ok(doc),
            _ => {
                tracing::error!(pool = %pool_id, "stored user pool document is unreadable");
                Err(CognitoError::internal())
            }
        }
    }

    /// CreateIdentityProvider: adds a provider to the pool, with its details checked by its
    /// type's rules, the details Cognito adds by itself, and AttributeMapping `{"username":
    /// "sub"}` when none is given (moto's default, as Cognito maps `sub` to the username).
    ///
    /// Errors: `ResourceNotFoundException` for an unknown pool; `InvalidParameterException`
    /// (name, details); `DuplicateProviderException` `<name> already exists in user pool
    /// <pool>` (Cognito's text, aws-cloudformation/cloudformation-coverage-roadmap#1287) or a
    /// taken identifier; `LimitExceededException` at 300 providers (rognito's text).
    pub(crate) async fn create_identity_provider(
        &self,
        ctx: &RequestContext,
        input: CreateIdentityProviderRequest,
    ) -> Result<CreateIdentityProviderResponse, CognitoError> {
        let pool_id = required(input.user_pool_id.as_deref(), "UserPoolId")?.to_owned();
        let name = required(input.provider_name.as_deref(), "ProviderName")?.to_owned();
        let provider_type = required(input.provider_type.as_deref(), "ProviderType")?.to_owned();
        check_name(&name, &provider_type)?;
        let details = checked_details(
            &provider_type,
            input.provider_details.clone().unwrap_or_default(),
            false,
        )?;
        let identifiers = input.idp_identifiers.clone().unwrap_or_default();
        let mapping = input
            .attribute_mapping
            .clone()
            .unwrap_or_else(|| BTreeMap::from([("username".to_owned(), "sub".to_owned())]));
        let now = epoch_seconds(self.clock.now_ms());
        let mut stored = Map::new();
        stored.insert("ProviderName".into(), Value::from(name.clone()));
        stored.insert("ProviderType".into(), Value::from(provider_type.clone()));
        stored.insert(
            "ProviderDetails".into(),
            serde_json::to_value(&details).map_err(internal_json)?,
        );
        stored.insert(
            "AttributeMapping".into(),
            serde_json::to_value(&mapping).map_err(internal_json)?,
        );
        stored.insert(
            "IdpIdentifiers".into(),
            serde_json::to_value(&identifiers).map_err(internal_json)?,
        );
        if let Some(acr) = &input.acr_mapping {
            stored.insert(
                "AcrMapping".into(),
                serde_json::to_value(acr).map_err(internal_json)?,
            );
        }
        stored.insert("LastModifiedDate".into(), Value::from(now));
        stored.insert("CreationDate".into(), Value::from(now));
        let stored = Value::Object(stored);
        self.modify_pool(ctx, &pool_id, false, |doc| {
            let mut providers = providers_of(doc);
            if providers.contains_key(&name) {
                return Err(CognitoError::new(
                    ErrorCode::DuplicateProviderException,
                    format!("{name} already exists in user pool {pool_id}"),
                ));
            }
            check_identifiers(&pool_id, &name, &identifiers, &providers)?;
            if providers.len() >= MAX_PROVIDERS_PER_POOL {
                return Err(CognitoError::limit_exceeded(format!(
                    "The number of identity providers in user pool {pool_id} has reached the \
                     quota of {MAX_PROVIDERS_PER_POOL}."
                )));
            }
            providers.insert(name.clone(), stored.clone());
            doc.insert(IDENTITY_PROVIDERS.into(), Value::Object(providers));
            Ok(())
        })
        .await?;
        Ok(CreateIdentityProviderResponse {
            identity_provider: Some(provider_type_of(&pool_id, &stored)?),
        })
    }

    /// DescribeIdentityProvider: the provider with its details (`client_secret` included, as
    /// Cognito returns it).
    ///
    /// Errors: `ResourceNotFoundException` for an unknown pool or provider.
    pub(crate) async fn describe_identity_provider(
        &self,
        ctx: &RequestContext,
        input: DescribeIdentityProviderRequest,
    ) -> Result<DescribeIdentityProviderResponse, CognitoError> {
        let pool_id = required(input.user_pool_id.as_deref(), "UserPoolId")?;
        let name = required(input.provider_name.as_deref(), "ProviderName")?;
        let providers = providers_of(&self.pool_doc(ctx, pool_id).await?);
        let stored = providers
            .get(name)
            .ok_or_else(|| provider_not_found(pool_id, name))?;
        Ok(DescribeIdentityProviderResponse {
            identity_provider: Some(provider_type_of(pool_id, stored)?),
        })
    }

    /// ListIdentityProviders: the pool's providers by name (name, type, dates only), in pages
    /// of MaxResults (default 60; 0 means the default); NextToken is bound to the pool.
    ///
    /// Errors: `ResourceNotFoundException` for an unknown pool; `InvalidParameterException`
    /// `Invalid pagination token.` for a token this server did not issue for this pool.
    pub(crate) async fn list_identity_providers(
        &self,
        ctx: &RequestContext,
        input: ListIdentityProvidersRequest,
    ) -> Result<ListIdentityProvidersResponse, CognitoError> {
        let pool_id = required(input.user_pool_id.as_deref(), "UserPoolId")?;
        let limit = match usize::try_from(input.max_results.unwrap_or(0)) {
            Ok(0) | Err(_) => DEFAULT_PAGE_SIZE,
            Ok(n) => n,
        };
        let after = match input.next_token.as_deref() {
            Some(token) => Some(
                self.pages
                    .decode(Listing::IdentityProviders, pool_id, token)?,
            ),
            None => None,
        };
        let providers = providers_of(&self.pool_doc(ctx, pool_id).await?);
        let mut names: Vec<&String> = providers
            .keys()
            .filter(|n| after.as_deref().is_none_or(|a| n.as_str() > a))
            .collect();
        names.sort();
        let more = names.len() > limit;
        names.truncate(limit);
        let next_token = match (more, names.last()) {
            (true, Some(last)) => {
                Some(self.pages.encode(Listing::IdentityProviders, pool_id, last))
            }
            _ => None,
        };
        let listed = names
            .iter()
            .filter_map(|n| providers.get(n.as_str()))
            .map(|stored| {
                let provider = provider_type_of(pool_id, stored)?;
                Ok(ProviderDescription {
                    provider_name: provider.provider_name,
                    provider_type: provider.provider_type,
                    last_modified_date: provider.last_modified_date,
                    creation_date: provider.creation_date,
                })
            })
            .collect::<Result<Vec<_>, CognitoError>>()?;
        Ok(ListIdentityProvidersResponse {
            providers: Some(listed),
            next_token,
        })
    }

    /// UpdateIdentityProvider: what the request gives replaces the stored member wholesale
    /// (ProviderDetails, checked again by the type's rules, except that Apple's `private_key`
    /// may be left out; AttributeMapping; IdpIdentifiers; AcrMapping); what it leaves out is
    /// kept. The type and name never change. LastModifiedDate moves.
    ///
    /// Errors: `ResourceNotFoundException` for an unknown pool or provider;
    /// `InvalidParameterException` (details); `DuplicateProviderException` for a taken
    /// identifier.
    pub(crate) async fn update_identity_provider(
        &self,
        ctx: &RequestContext,
        input: UpdateIdentityProviderRequest,
    ) -> Result<UpdateIdentityProviderResponse, CognitoError> {
        let pool_id = required(input.user_pool_id.as_deref(), "UserPoolId")?.to_owned();
        let name = required(input.provider_name.as_deref(), "ProviderName")?.to_owned();
        let now = epoch_seconds(self.clock.now_ms());
        let mut updated = Value::Null;
        self.modify_pool(ctx, &pool_id, false, |doc| {
            let mut providers = providers_of(doc);
            let Some(Value::Object(mut provider)) = providers.get(&name).cloned() else {
                return Err(provider_not_found(&pool_id, &name));
            };
            let provider_type = provider
                .get("ProviderType")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            if let Some(details) = &input.provider_details {
                let details = checked_details(&provider_type, details.clone(), true)?;
                provider.insert(
                    "ProviderDetails".into(),
                    serde_json::to_value(details).map_err(internal_json)?,
                );
            }
            if let Some(mapping) = &input.attribute_mapping {
                provider.insert(
                    "AttributeMapping".into(),
                    serde_json::to_value(mapping).map_err(internal_json)?,
                );
            }
            if let Some(identifiers) = &input.idp_identifiers {
                check_identifiers(&pool_id, &name, identifiers, &providers)?;
                provider.insert(
                    "IdpIdentifiers".into(),
                    serde_json::to_value(identifiers).map_err(internal_json)?,
                );
            }
            if let Some(acr) = &input.acr_mapping {
                provider.insert(
                    "AcrMapping".into(),
                    serde_json::to_value(acr).map_err(internal_json)?,
                );
            }
            provider.insert("LastModifiedDate".into(), Value::from(now));
            updated = Value::Object(provider);
            providers.insert(name.clone(), updated.clone());
            doc.insert(IDENTITY_PROVIDERS.into(), Value::Object(providers));
            Ok(())
        })
        .await?;
        Ok(UpdateIdentityProviderResponse {
            identity_provider: Some(provider_type_of(&pool_id, &updated)?),
        })
    }

    /// DeleteIdentityProvider: removes the provider. App clients that name it in
    /// SupportedIdentityProviders keep the name (rognito's choice: Cognito's behaviour was not
    /// found; nothing is half-deleted, and a later client update must drop the name).
    ///
    /// Errors: `ResourceNotFoundException` for an unknown pool or provider.
    pub(crate) async fn delete_identity_provider(
        &self,
        ctx: &RequestContext,
        input: DeleteIdentityProviderRequest,
    ) -> Result<EmptyOutput, CognitoError> {
        let pool_id = required(input.user_pool_id.as_deref(), "UserPoolId")?.to_owned();
        let name = required(input.provider_name.as_deref(), "ProviderName")?.to_owned();
        self.modify_pool(ctx, &pool_id, false, |doc| {
            let mut providers = providers_of(doc);
            if providers.remove(&name).is_none() {
                return Err(provider_not_found(&pool_id, &name));
            }
            doc.insert(IDENTITY_PROVIDERS.into(), Value::Object(providers));
            Ok(())
        })
        .await?;
        Ok(EmptyOutput {})
    }

    /// GetIdentityProviderByIdentifier: the provider one of whose IdpIdentifiers is the one
    /// given (exact match; identifiers are unique in a pool).
    ///
    /// Errors: `ResourceNotFoundException` for an unknown pool, or `Identity provider with
    /// identifier <id> does not exist in user pool <pool>.` (rognito's text: Cognito's was not
    /// found).
    pub(crate) async fn get_identity_provider_by_identifier(
        &self,
        ctx: &RequestContext,
        input: GetIdentityProviderByIdentifierRequest,
    ) -> Result<GetIdentityProviderByIdentifierResponse, CognitoError> {
        let pool_id = required(input.user_pool_id.as_deref(), "UserPoolId")?;
        let identifier = required(input.idp_identifier.as_deref(), "IdpIdentifier")?;
        let providers = providers_of(&self.pool_doc(ctx, pool_id).await?);
        let found = providers.values().find(|p| {
            p.get("IdpIdentifiers")
                .and_then(Value::as_array)
                .is_some_and(|ids| ids.iter().any(|id| id.as_str() == Some(identifier)))
        });
        match found {
            Some(stored) => Ok(GetIdentityProviderByIdentifierResponse {
                identity_provider: Some(provider_type_of(pool_id, stored)?),
            }),
            None => Err(CognitoError::not_found(format!(
                "Identity provider with identifier {identifier} does not exist in user pool \
                 {pool_id}."
            ))),
        }
    }

    /// Checks an app client's SupportedIdentityProviders against the pool: `COGNITO` always,
    /// otherwise the pool's configured providers (read only when the client names one).
    ///
    /// Errors: `ResourceNotFoundException` for an unknown pool; `InvalidParameterException`
    /// from `client_rules::check_identity_providers`.
    pub(crate) async fn check_client_identity_providers(
        &self,
        client: &UserPoolClientType,
        pool_id: &str,
    ) -> Result<(), CognitoError> {
        let names_other = client
            .supported_identity_providers
            .iter()
            .flatten()
            .any(|p| p != COGNITO);
        let configured = if names_other {
            let record = self
                .store
                .user_pool(pool_id)
                .await
                .map_err(internal)?
                .ok_or_else(|| pool_not_found(pool_id))?;
            match serde_json::from_str(&record.doc) {
                Ok(Value::Object(doc)) => providers_of(&doc).keys().cloned().collect(),
                _ => return Err(CognitoError::internal()),
            }
        } else {
            BTreeSet::new()
        };
        client_rules::check_identity_providers(client, pool_id, &configured)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn social_names_must_be_their_type() {
        assert!(check_name("Google", "Google").is_ok());
        assert!(check_name("MyOidc", "OIDC").is_ok());
        let e = check_name("NameOfGP", "Google").unwrap_err();
        assert_eq!(e.message, "Provider NameOfGP cannot be of type Google.");
        assert!(check_name("COGNITO", "SAML").is_err());
        assert!(check_name("Facebook", "OIDC").is_err());
    }

    #[test]
    fn details_are_checked_and_completed() {
        let google = BTreeMap::from([
            ("client_id".to_owned(), "id".to_owned()),
            ("client_secret".to_owned(), "s".to_owned()),
            ("authorize_scopes".to_owned(), "email".to_owned()),
        ]);
        let kept = checked_details("Google", google.clone(), false).unwrap();
        assert_eq!(kept["oidc_issuer"], "https://accounts.google.com");
        assert_eq!(kept["client_secret"], "s");
        let mut missing = google;
        missing.remove("client_secret");
        assert_eq!(
            checked_details("Google", missing, false)
                .unwrap_err()
                .message,
            "client_id, client_secret and authorize_scopes are all required idp details"
        );
        let apple = BTreeMap::from([
            ("client_id".to_owned(), "id".to_owned()),
            ("team_id".to_owned(), "t".to_owned()),
            ("key_id".to_owned(), "k".to_owned()),
            ("private_key".to_owned(), "p".to_owned()),
            ("authorize_scopes".to_owned(), "email".to_owned()),
        ]);
        let kept = checked_details("SignInWithApple", apple.clone(), false).unwrap();
        assert!(!kept.contains_key("private_key"));
        let mut without_key = apple;
        without_key.remove("private_key");
        assert!(checked_details("SignInWithApple", without_key.clone(), false).is_err());
        assert!(checked_details("SignInWithApple", without_key, true).is_ok());
    }
}
