//! The resource-server family: Create, Describe, List, Update, Delete.
//!
//! Rules copied from Cognito: scopes come back sorted by ScopeName; a duplicate ScopeName in one
//! request and a duplicate Identifier in a pool are InvalidParameterException; Update replaces
//! Name and Scopes wholesale (omitted Scopes means none) and never changes the Identifier.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;

use rognito_model::{
    CognitoError, CreateResourceServerRequest, CreateResourceServerResponse,
    DeleteResourceServerRequest, DescribeResourceServerRequest, EmptyOutput, JsonBody,
    ListResourceServersRequest, ResourceServerScopeType, ResourceServerType,
    UpdateResourceServerRequest, UpdateResourceServerResponse, UserPoolId,
};
use rognito_store::{ResourceServerRecord, StoreError};
use serde_json::value::RawValue;

use crate::pagination::Listing;
use crate::user_pools::pool_not_found;
use crate::{Cognito, RequestContext, internal, required};

/// A pool's resource servers as served from memory: each as the JSON Describe and List return,
/// serialised once when loaded.
#[derive(Debug, Default)]
pub(crate) struct PoolServers {
    pub json: BTreeMap<String, Box<RawValue>>,
    /// Every `identifier/scope` the servers define.
    pub scopes: HashSet<String>,
}

/// A server as Describe and List return it. The stored scopes are already the JSON array the
/// response carries, so only the strings are encoded.
fn server_json(record: &ResourceServerRecord) -> Result<Box<RawValue>, CognitoError> {
    let quote = |s: &str| serde_json::to_string(s).map_err(|_| CognitoError::internal());
    raw(format!(
        r#"{{"UserPoolId":{},"Identifier":{},"Name":{},"Scopes":{}}}"#,
        quote(&record.user_pool_id)?,
        quote(&record.identifier)?,
        quote(&record.name)?,
        record.scopes
    ))
}

fn raw(json: String) -> Result<Box<RawValue>, CognitoError> {
    RawValue::from_string(json).map_err(|_| CognitoError::internal())
}

/// ListResourceServers' page size when MaxResults is omitted (the model's maximum).
const DEFAULT_PAGE_SIZE: u32 = 50;

impl Cognito {
    pub(crate) async fn create_resource_server(
        &self,
        ctx: &RequestContext,
        input: CreateResourceServerRequest,
    ) -> Result<CreateResourceServerResponse, CognitoError> {
        let pool_id = required(input.user_pool_id.as_deref(), "UserPoolId")?;
        let identifier = required(input.identifier.as_deref(), "Identifier")?;
        let name = required(input.name.as_deref(), "Name")?;
        self.check_pool(ctx, pool_id).await?;
        let scopes = self.checked_scopes(input.scopes)?;
        let now = self.clock.now_ms();
        let record = ResourceServerRecord {
            user_pool_id: pool_id.into(),
            identifier: identifier.to_owned(),
            name: name.to_owned(),
            scopes: scopes_json(&scopes)?,
            created_ms: now,
            modified_ms: now,
        };
        let quota = self.config.quotas.resource_servers_per_user_pool;
        let created = self.store.create_resource_server(&record, quota).await;
        match created {
            Ok(()) => Ok(CreateResourceServerResponse {
                resource_server: Some(resource_server_type(&record)?),
            }),
            Err(StoreError::NotFound) => Err(pool_not_found(pool_id)),
            Err(StoreError::AlreadyExists) => Err(CognitoError::invalid_parameter(format!(
                "{identifier} already exists in user pool {pool_id}."
            ))),
            Err(StoreError::LimitExceeded) => Err(CognitoError::limit_exceeded(format!(
                "User pool {pool_id} has reached its quota of {quota} resource servers."
            ))),
            Err(e) => Err(internal(e)),
        }
    }

    /// DescribeResourceServerResponse, assembled from the server's JSON kept ready in memory.
    pub(crate) async fn describe_resource_server(
        &self,
        ctx: &RequestContext,
        input: DescribeResourceServerRequest,
    ) -> Result<JsonBody, CognitoError> {
        let pool_id = required(input.user_pool_id.as_deref(), "UserPoolId")?;
        let identifier = required(input.identifier.as_deref(), "Identifier")?;
        let key = (UserPoolId::from(pool_id), identifier.to_owned());
        if self.caches.pool_accounts.get(pool_id).is_none()
            && self.caches.server_json.get(&key).is_none()
        {
            return self.describe_uncached(ctx, key).await;
        }
        self.check_pool(ctx, pool_id).await?;
        let server = self
            .caches
            .server_json
            .get_or_load(&key, || async {
                // From the pool's cached servers when it has them, else one row.
                if let Some(servers) = self.caches.pool_servers.get(pool_id) {
                    return Ok(servers.json.get(identifier).map(|j| j.to_owned()));
                }
                match self
                    .store
                    .resource_server(pool_id, identifier)
                    .await
                    .map_err(internal)?
                {
                    Some(record) => Ok(Some(server_json(&record)?)),
                    None => Ok(None),
                }
            })
            .await?
            .ok_or_else(|| server_not_found(pool_id, identifier))?;
        Ok(describe_body(server.get()))
    }

    /// Describe when neither the pool's account nor the server is cached: both in one read
    /// (at scale, with pools read at random, this is most Describes), both kept.
    async fn describe_uncached(
        &self,
        ctx: &RequestContext,
        key: (UserPoolId, String),
    ) -> Result<JsonBody, CognitoError> {
        let caches = &self.caches;
        let generations = (
            caches.pool_accounts.generation(),
            caches.server_json.generation(),
        );
        let (pool_id, identifier) = (key.0.as_str(), key.1.as_str());
        let Some((account, server)) = self
            .store
            .resource_server_in_pool(pool_id, identifier)
            .await
            .map_err(internal)?
        else {
            return Err(pool_not_found(pool_id));
        };
        caches
            .pool_accounts
            .keep(generations.0, key.0.clone(), Arc::new(account.clone()));
        if account != ctx.account_id {
            return Err(pool_not_found(pool_id));
        }
        let Some(record) = server else {
            return Err(server_not_found(pool_id, identifier));
        };
        let json = server_json(&record)?;
        let body = describe_body(json.get());
        caches.server_json.keep(generations.1, key, Arc::new(json));
        Ok(body)
    }

    pub(crate) async fn list_resource_servers(
        &self,
        ctx: &RequestContext,
        input: ListResourceServersRequest,
    ) -> Result<JsonBody, CognitoError> {
        let pool_id = required(input.user_pool_id.as_deref(), "UserPoolId")?;
        self.check_pool(ctx, pool_id).await?;
        let limit = input
            .max_results
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(DEFAULT_PAGE_SIZE);
        let after = match input.next_token.as_deref() {
            Some(token) => Some(
                self.pages
                    .decode(Listing::ResourceServers, pool_id, token)?,
            ),
            None => None,
        };
        let servers = self.pool_servers(pool_id).await?;
        let start = match &after {
            Some(after) => std::ops::Bound::Excluded(after.as_str()),
            None => std::ops::Bound::Unbounded,
        };
        // ListResourceServersResponse, assembled from each server's JSON kept ready in memory.
        let mut page = servers
            .json
            .range::<str, _>((start, std::ops::Bound::Unbounded))
            .take(limit as usize + 1);
        let mut out = String::with_capacity(64 + 160 * limit as usize);
        out.push_str(r#"{"ResourceServers":["#);
        let mut last = None;
        for (i, (identifier, json)) in page.by_ref().take(limit as usize).enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(json.get());
            last = Some(identifier);
        }
        out.push(']');
        if page.next().is_some()
            && let Some(last) = last
        {
            let token = self.pages.encode(Listing::ResourceServers, pool_id, last);
            out.push_str(r#","NextToken":"#);
            out.push_str(&serde_json::to_string(&token).map_err(|_| CognitoError::internal())?);
        }
        out.push('}');
        Ok(JsonBody::assembled(out))
    }

    pub(crate) async fn update_resource_server(
        &self,
        ctx: &RequestContext,
        input: UpdateResourceServerRequest,
    ) -> Result<UpdateResourceServerResponse, CognitoError> {
        let pool_id = required(input.user_pool_id.as_deref(), "UserPoolId")?;
        let identifier = required(input.identifier.as_deref(), "Identifier")?;
        let name = required(input.name.as_deref(), "Name")?;
        self.check_pool(ctx, pool_id).await?;
        // Cognito's Update* replace: an omitted Scopes sets the scopes to the default (none).
        let scopes = self.checked_scopes(input.scopes)?;
        let record = ResourceServerRecord {
            user_pool_id: pool_id.into(),
            identifier: identifier.to_owned(),
            name: name.to_owned(),
            scopes: scopes_json(&scopes)?,
            created_ms: 0,
            modified_ms: self.clock.now_ms(),
        };
        let stored = self.store.replace_resource_server(&record).await;
        let stored = stored
            .map_err(internal)?
            .ok_or_else(|| server_not_found(pool_id, identifier))?;
        Ok(UpdateResourceServerResponse {
            resource_server: Some(resource_server_type(&stored)?),
        })
    }

    pub(crate) async fn delete_resource_server(
        &self,
        ctx: &RequestContext,
        input: DeleteResourceServerRequest,
    ) -> Result<EmptyOutput, CognitoError> {
        let pool_id = required(input.user_pool_id.as_deref(), "UserPoolId")?;
        let identifier = required(input.identifier.as_deref(), "Identifier")?;
        self.check_pool(ctx, pool_id).await?;
        let deleted = self.store.delete_resource_server(pool_id, identifier).await;
        if !deleted.map_err(internal)? {
            return Err(server_not_found(pool_id, identifier));
        }
        Ok(EmptyOutput {})
    }

    /// The pool's resource servers, from memory or loaded whole from the store.
    pub(crate) async fn pool_servers(
        &self,
        pool_id: &str,
    ) -> Result<Arc<PoolServers>, CognitoError> {
        let loaded = self
            .caches
            .pool_servers
            .get_or_load(pool_id, || async {
                let mut servers = PoolServers::default();
                let mut after: Option<String> = None;
                loop {
                    let page = self
                        .store
                        .list_resource_servers(pool_id, after.as_deref(), 500)
                        .await
                        .map_err(internal)?;
                    for record in &page.items {
                        let scopes: Vec<ResourceServerScopeType> =
                            serde_json::from_str(&record.scopes)
                                .map_err(|_| CognitoError::internal())?;
                        for scope in &scopes {
                            if let Some(name) = &scope.scope_name {
                                servers
                                    .scopes
                                    .insert(format!("{}/{name}", record.identifier));
                            }
                        }
                        servers
                            .json
                            .insert(record.identifier.clone(), server_json(record)?);
                    }
                    match (page.more, page.items.last()) {
                        (true, Some(last)) => after = Some(last.identifier.clone()),
                        _ => break,
                    }
                }
                Ok::<_, CognitoError>(Some(servers))
            })
            .await?;
        loaded.ok_or_else(CognitoError::internal)
    }

    /// Every `identifier/scope` that exists in the pool right now.
    pub(crate) async fn active_scopes(
        &self,
        pool_id: &str,
    ) -> Result<Arc<PoolServers>, CognitoError> {
        self.pool_servers(pool_id).await
    }

    /// Scopes as stored: sorted by ScopeName (as Cognito returns them), names unique, within
    /// the configured per-server quota.
    fn checked_scopes(
        &self,
        scopes: Option<Vec<ResourceServerScopeType>>,
    ) -> Result<Vec<ResourceServerScopeType>, CognitoError> {
        let mut scopes = scopes.unwrap_or_default();
        let quota = self.config.quotas.scopes_per_resource_server;
        if scopes.len() as u64 > quota {
            return Err(CognitoError::limit_exceeded(format!(
                "A resource server can have at most {quota} scopes; {} were given.",
                scopes.len()
            )));
        }
        let mut seen = BTreeSet::new();
        for scope in &scopes {
            let name = scope.scope_name.as_deref().unwrap_or_default();
            if !seen.insert(name) {
                return Err(CognitoError::invalid_parameter(format!(
                    "Scope name {name} is given more than once; scope names must be unique \
                     within a resource server."
                )));
            }
        }
        scopes.sort_by(|a, b| a.scope_name.cmp(&b.scope_name));
        Ok(scopes)
    }
}

fn server_not_found(pool_id: &str, identifier: &str) -> CognitoError {
    CognitoError::not_found(format!(
        "{identifier} does not exist in user pool {pool_id}."
    ))
}

fn scopes_json(scopes: &[ResourceServerScopeType]) -> Result<String, CognitoError> {
    serde_json::to_string(scopes).map_err(|_| CognitoError::internal())
}

fn resource_server_type(record: &ResourceServerRecord) -> Result<ResourceServerType, CognitoError> {
    let scopes: Vec<ResourceServerScopeType> =
        serde_json::from_str(&record.scopes).map_err(|e| {
            tracing::error!(error = %e, "stored scopes are unreadable");
            CognitoError::internal()
        })?;
    Ok(ResourceServerType {
        user_pool_id: Some(record.user_pool_id.as_str().to_owned()),
        identifier: Some(record.identifier.clone()),
        name: Some(record.name.clone()),
        scopes: Some(scopes),
        managed_by: None,
    })
}

/// `{"ResourceServer": <server>}` around a server's JSON.
fn describe_body(server: &str) -> JsonBody {
    let mut out = String::with_capacity(server.len() + 20);
    out.push_str(r#"{"ResourceServer":"#);
    out.push_str(server);
    out.push('}');
    JsonBody::assembled(out)
}
