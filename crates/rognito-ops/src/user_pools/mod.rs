//! CreateUserPool, DescribeUserPool, ListUserPools, DeleteUserPool.
//!
//! A pool is stored as the `UserPoolType` document DescribeUserPool returns: everything the
//! caller sent under its response name, with Cognito's defaults for what was omitted.

use rognito_model::{
    CognitoError, CreateUserPoolRequest, CreateUserPoolResponse, DeleteUserPoolRequest,
    DescribeUserPoolRequest, DescribeUserPoolResponse, EmptyOutput, ListUserPoolsRequest,
    ListUserPoolsResponse, UserPoolDescriptionType, UserPoolType,
};
use rognito_store::{StoreError, UserPoolRecord};
use serde_json::{Map, Value, json};

use crate::clock::epoch_seconds;
use crate::pagination::Listing;
use crate::{Cognito, RequestContext, internal, required};

mod messages;
mod schema;
mod settings;
mod tags;

/// Members of CreateUserPoolRequest that UserPoolType names differently or not at all.
const RENAMED: &[(&str, &str)] = &[("PoolName", "Name"), ("Schema", "SchemaAttributes")];

impl Cognito {
    pub(crate) async fn create_user_pool(
        &self,
        ctx: &RequestContext,
        input: CreateUserPoolRequest,
    ) -> Result<CreateUserPoolResponse, CognitoError> {
        let name = required(input.pool_name.as_deref(), "PoolName")?.to_owned();
        let doc = user_pool_document(&input)?;
        let now = self.clock.now_ms();
        // Ids are random; a collision is astronomically rare but is retried, never surfaced.
        for _ in 0..5 {
            let id = crate::ids::user_pool_id(&self.config.region);
            let keys = self.new_pool_keys(&id, now).await?;
            let record = UserPoolRecord {
                id: id.clone(),
                account_id: ctx.account_id.clone(),
                name: name.clone(),
                doc: doc.to_string(),
                created_ms: now,
                modified_ms: now,
                version: 0,
            };
            let quota = self.config.quotas.user_pools_per_account;
            match self.store.create_user_pool(&record, &keys, quota).await {
                Ok(()) => {
                    return Ok(CreateUserPoolResponse {
                        user_pool: Some(self.user_pool_type(&record)?),
                    });
                }
                Err(StoreError::AlreadyExists) => continue,
                Err(StoreError::LimitExceeded) => {
                    return Err(CognitoError::limit_exceeded(format!(
                        "The number of user pools in this account has reached the quota of {quota}."
                    )));
                }
                Err(e) => return Err(internal(e)),
            }
        }
        Err(CognitoError::internal())
    }

    pub(crate) async fn describe_user_pool(
        &self,
        ctx: &RequestContext,
        input: DescribeUserPoolRequest,
    ) -> Result<DescribeUserPoolResponse, CognitoError> {
        let id = required(input.user_pool_id.as_deref(), "UserPoolId")?;
        let record = self.owned_pool(ctx, id).await?;
        let mut pool = self.user_pool_type(&record)?;
        // A pool shows its domain: a prefix under `Domain`, a custom name under `CustomDomain`.
        if let Some(domain) = self.store.domain_of_pool(id).await.map_err(internal)? {
            if domain.doc.contains("CustomDomainConfig") {
                pool.custom_domain = Some(domain.domain);
            } else {
                pool.domain = Some(domain.domain);
            }
        }
        let users = self.store.user_count(id).await.map_err(internal)?;
        pool.estimated_number_of_users = Some(i32::try_from(users).unwrap_or(i32::MAX));
        Ok(DescribeUserPoolResponse {
            user_pool: Some(pool),
        })
    }

    pub(crate) async fn list_user_pools(
        &self,
        ctx: &RequestContext,
        input: ListUserPoolsRequest,
    ) -> Result<ListUserPoolsResponse, CognitoError> {
        let limit = u32::try_from(input.max_results.unwrap_or(60)).unwrap_or(60);
        let after = match input.next_token.as_deref() {
            Some(token) => Some(
                self.pages
                    .decode(Listing::UserPools, &ctx.account_id, token)?,
            ),
            None => None,
        };
        let page = self
            .store
            .list_user_pools(&ctx.account_id, after.as_deref(), limit)
            .await
            .map_err(internal)?;
        let next_token = match (page.more, page.items.last()) {
            (true, Some(last)) => Some(self.pages.encode(
                Listing::UserPools,
                &ctx.account_id,
                &last.id,
            )),
            _ => None,
        };
        let user_pools = page
            .items
            .iter()
            .map(|record| {
                let pool = self.user_pool_type(record)?;
                // ListUserPools shows only these members (LambdaConfig always, `{}` when empty).
                Ok(UserPoolDescriptionType {
                    id: pool.id,
                    name: pool.name,
                    lambda_config: Some(pool.lambda_config.unwrap_or_default()),
                    last_modified_date: pool.last_modified_date,
                    creation_date: pool.creation_date,
                    ..Default::default()
                })
            })
            .collect::<Result<Vec<_>, CognitoError>>()?;
        Ok(ListUserPoolsResponse {
            user_pools: Some(user_pools),
            next_token,
        })
    }

    pub(crate) async fn delete_user_pool(
        &self,
        ctx: &RequestContext,
        input: DeleteUserPoolRequest,
    ) -> Result<EmptyOutput, CognitoError> {
        let id = required(input.user_pool_id.as_deref(), "UserPoolId")?;
        // The checks hold for the version read: a delete racing an UpdateUserPool that turns
        // deletion protection on is refused or retried, never let through.
        for _ in 0..8 {
            let record = self.owned_pool(ctx, id).await?;
            let pool = self.user_pool_type(&record)?;
            if self
                .store
                .domain_of_pool(id)
                .await
                .map_err(internal)?
                .is_some()
            {
                // Cognito's text (terraform-provider-aws#16479).
                return Err(CognitoError::invalid_parameter(
                    "User pool cannot be deleted. It has a domain configured that should be \
                     deleted first.",
                ));
            }
            if pool.deletion_protection.as_deref() == Some("ACTIVE") {
                // Cognito's text, as the AWS CLI prints it.
                return Err(CognitoError::invalid_parameter(
                    "The user pool cannot be deleted because deletion protection is activated. \
                     Deletion protection must be inactivated first.",
                ));
            }
            match self.store.delete_user_pool(id, record.version).await {
                Ok(true) => return Ok(EmptyOutput {}),
                Ok(false) => return Err(pool_not_found(id)),
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(internal(e)),
            }
        }
        tracing::error!(pool = %id, "pool kept changing under a delete");
        Err(CognitoError::internal())
    }

    /// Checks that the pool exists and is the caller's (cached); otherwise Cognito's "does not
    /// exist" (another account's pool is indistinguishable from a missing one).
    pub(crate) async fn check_pool(
        &self,
        ctx: &RequestContext,
        id: &str,
    ) -> Result<(), CognitoError> {
        let account = self
            .caches
            .pool_accounts
            .get_or_load(id, || async {
                self.store.user_pool_account(id).await.map_err(internal)
            })
            .await?;
        match account {
            Some(account) if *account == ctx.account_id => Ok(()),
            _ => Err(pool_not_found(id)),
        }
    }

    /// Rewrites the caller's pool document with `change` and stores it as the pool's next
    /// version. Writers of one pool in this process take turns (a lock per stripe of pools), so
    /// they never race each other; a concurrent replacement by another process makes it read
    /// the pool again and re-apply `change`, so no write is lost. `touch` sets
    /// LastModifiedDate.
    ///
    /// Errors: the pool is missing or another account's (`ResourceNotFoundException`); whatever
    /// `change` returns.
    pub(crate) async fn modify_pool<F>(
        &self,
        ctx: &RequestContext,
        id: &str,
        touch: bool,
        mut change: F,
    ) -> Result<UserPoolRecord, CognitoError>
    where
        F: FnMut(&mut Map<String, Value>) -> Result<(), CognitoError>,
    {
        let _turn = self.pool_writers.turn(id).await;
        for _ in 0..8 {
            let record = self.owned_pool(ctx, id).await?;
            let Value::Object(mut doc) = serde_json::from_str(&record.doc).map_err(|e| {
                tracing::error!(error = %e, pool = %id, "stored user pool document is unreadable");
                CognitoError::internal()
            })?
            else {
                return Err(CognitoError::internal());
            };
            change(&mut doc)?;
            let name = doc
                .get("Name")
                .and_then(Value::as_str)
                .unwrap_or(&record.name)
                .to_owned();
            let next = UserPoolRecord {
                name,
                doc: Value::Object(doc).to_string(),
                modified_ms: if touch {
                    self.clock.now_ms()
                } else {
                    record.modified_ms
                },
                ..record
            };
            match self.store.replace_user_pool(&next).await {
                Ok(Some(stored)) => return Ok(stored),
                Ok(None) => return Err(pool_not_found(id)),
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(internal(e)),
            }
        }
        tracing::error!(pool = %id, "pool kept changing under a read-modify-write");
        Err(CognitoError::internal())
    }

    /// The pool's stored record if it exists and belongs to the caller's account; otherwise
    /// Cognito's "does not exist".
    pub(crate) async fn owned_pool(
        &self,
        ctx: &RequestContext,
        id: &str,
    ) -> Result<UserPoolRecord, CognitoError> {
        match self.store.user_pool(id).await.map_err(internal)? {
            Some(record) if record.account_id == ctx.account_id => Ok(record),
            _ => Err(pool_not_found(id)),
        }
    }

    fn user_pool_type(&self, record: &UserPoolRecord) -> Result<UserPoolType, CognitoError> {
        let mut pool: UserPoolType = serde_json::from_str(&record.doc).map_err(|e| {
            tracing::error!(error = %e, pool = %record.id, "stored user pool document is unreadable");
            CognitoError::internal()
        })?;
        pool.id = Some(record.id.as_str().to_owned());
        pool.arn = Some(format!(
            "arn:aws:cognito-idp:{}:{}:userpool/{}",
            self.config.region, record.account_id, record.id
        ));
        pool.creation_date = Some(epoch_seconds(record.created_ms));
        pool.last_modified_date = Some(epoch_seconds(record.modified_ms));
        pool.estimated_number_of_users = Some(0);
        Ok(pool)
    }
}

impl Cognito {
    /// The benchmark's fast seeding path: `count` pools with the deterministic ids
    /// `<region>_s<8 digits>` (numbered from `first`), each with `servers_per_pool` resource
    /// servers `rs-00`, `rs-01`, ... of three scopes. Quotas are not applied, and signing keys
    /// are made when a pool first needs them.
    pub async fn seed(
        &self,
        store: &dyn rognito_store::SeedStore,
        account_id: &str,
        first: u64,
        count: u64,
        servers_per_pool: u32,
    ) -> Result<(), CognitoError> {
        let doc = user_pool_document(&CreateUserPoolRequest {
            pool_name: Some("seeded".into()),
            ..Default::default()
        })?
        .to_string();
        let scopes = r#"[{"ScopeName":"admin","ScopeDescription":"Admin"},{"ScopeName":"read","ScopeDescription":"Read"},{"ScopeName":"write","ScopeDescription":"Write"}]"#;
        let now = self.clock.now_ms();
        let mut pools = Vec::with_capacity(count as usize);
        let mut servers = Vec::with_capacity(count as usize * servers_per_pool as usize);
        for n in first..first + count {
            let id = format!("{}_s{n:08}", self.config.region);
            for i in 0..servers_per_pool {
                servers.push(rognito_store::ResourceServerRecord {
                    user_pool_id: id.as_str().into(),
                    identifier: format!("rs-{i:02}"),
                    name: "seeded".into(),
                    scopes: scopes.into(),
                    created_ms: now,
                    modified_ms: now,
                });
            }
            pools.push(UserPoolRecord {
                id: id.into(),
                account_id: account_id.into(),
                name: "seeded".into(),
                doc: doc.clone(),
                created_ms: now,
                modified_ms: now,
                version: 0,
            });
        }
        store.bulk_load(pools, servers).await.map_err(internal)
    }
}

pub(crate) fn pool_not_found(id: &str) -> CognitoError {
    CognitoError::not_found(format!("User pool {id} does not exist."))
}

/// The stored `UserPoolType` for a create request: the request's members under their response
/// names, plus Cognito's defaults for what was omitted.
fn user_pool_document(input: &CreateUserPoolRequest) -> Result<Value, CognitoError> {
    let Value::Object(mut members) = serde_json::to_value(input).map_err(|e| {
        tracing::error!(error = %e, "cannot serialise CreateUserPool input");
        CognitoError::internal()
    })?
    else {
        return Err(CognitoError::internal());
    };
    for (from, to) in RENAMED {
        if let Some(v) = members.remove(*from) {
            members.insert((*to).to_owned(), v);
        }
    }
    let schema = schema::schema_attributes(members.remove("SchemaAttributes"))?;
    members.insert("SchemaAttributes".into(), schema);
    messages::mirror_verification_messages(&mut members)?;
    messages::check_validity_days(&members)?;
    apply_defaults(&mut members);
    // Keep only what UserPoolType has: round-trip through the model type.
    let typed: UserPoolType = serde_json::from_value(Value::Object(members)).map_err(|e| {
        tracing::error!(error = %e, "CreateUserPool input does not map onto UserPoolType");
        CognitoError::internal()
    })?;
    serde_json::to_value(typed).map_err(|_| CognitoError::internal())
}

fn default_into(members: &mut Map<String, Value>, key: &str, value: Value) {
    members.entry(key.to_owned()).or_insert(value);
}

/// Defaults DescribeUserPool shows for a pool created with only a name.
fn apply_defaults(members: &mut Map<String, Value>) {
    let policies = members.entry("Policies").or_insert_with(|| json!({}));
    if let Value::Object(policies) = policies {
        let password = policies.entry("PasswordPolicy").or_insert_with(|| {
            json!({
                "MinimumLength": 8,
                "RequireUppercase": true,
                "RequireLowercase": true,
                "RequireNumbers": true,
                "RequireSymbols": true,
            })
        });
        if let Value::Object(password) = password {
            password
                .entry("TemporaryPasswordValidityDays")
                .or_insert(json!(7));
        }
        policies
            .entry("SignInPolicy")
            .or_insert_with(|| json!({"AllowedFirstAuthFactors": ["PASSWORD"]}));
    }
    default_into(members, "DeletionProtection", json!("INACTIVE"));
    default_into(members, "LambdaConfig", json!({}));
    default_into(members, "MfaConfiguration", json!("OFF"));
    default_into(
        members,
        "EmailConfiguration",
        json!({"EmailSendingAccount": "COGNITO_DEFAULT"}),
    );
    let template = members
        .entry("VerificationMessageTemplate")
        .or_insert_with(|| json!({}));
    if let Value::Object(template) = template {
        template
            .entry("DefaultEmailOption")
            .or_insert(json!("CONFIRM_WITH_CODE"));
    }
    default_into(
        members,
        "UserAttributeUpdateSettings",
        json!({"AttributesRequireVerificationBeforeUpdate": []}),
    );
    let admin = members
        .entry("AdminCreateUserConfig")
        .or_insert_with(|| json!({}));
    if let Value::Object(admin) = admin {
        admin
            .entry("AllowAdminCreateUserOnly")
            .or_insert(json!(false));
        admin.entry("UnusedAccountValidityDays").or_insert(json!(7));
    }
    default_into(members, "UserPoolTags", json!({}));
    default_into(members, "UserPoolTier", json!("ESSENTIALS"));
}
