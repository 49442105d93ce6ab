//! IAM authorization of a signed request: the identity's policies (cached, following the change
//! feed, so a policy the CLI changes from another process applies within the feed's delay)
//! evaluated for `cognito-idp:<Operation>` on the operation's resource, with AWS's
//! AccessDeniedException texts.

use std::sync::Arc;

use rognito_model::{AccountId, CognitoError, ErrorCode, RequestContext, Resource};
use rognito_ops::cache::Cache;
use rognito_store::{Change, ChangeListener, Store, StoreError};

use crate::iam::{Decision, Policy, evaluate};

/// Identities' policies at most cached.
const CACHED_IDENTITIES: usize = 10_000;

/// Evaluates identity policies; the cache follows the store's change feed.
pub struct Authorizer {
    store: Arc<dyn Store>,
    region: String,
    /// Each identity's parsed policies, by (account, user name).
    policies: Cache<(AccountId, String), Vec<Policy>>,
}

impl Authorizer {
    /// An authorizer for requests to `region`, subscribed to `store`'s change feed.
    ///
    /// Errors: the store's feed cannot be followed.
    pub fn new(store: Arc<dyn Store>, region: &str) -> Result<Arc<Self>, StoreError> {
        let authorizer = Arc::new(Authorizer {
            store: store.clone(),
            region: region.to_owned(),
            policies: Cache::new(CACHED_IDENTITIES),
        });
        store.subscribe(authorizer.clone())?;
        Ok(authorizer)
    }

    /// The IAM resource of an operation: the pool's ARN when the input names a pool, the ARN
    /// an input gives, else `*` (CreateUserPool, ListUserPools, DescribeUserPoolDomain).
    pub fn resource_arn(&self, ctx: &RequestContext, resource: Resource<'_>) -> String {
        match resource {
            Resource::UserPool(id) => format!(
                "arn:aws:cognito-idp:{}:{}:userpool/{id}",
                self.region, ctx.account_id
            ),
            Resource::Arn(arn) => arn.to_owned(),
            Resource::Any => "*".to_owned(),
        }
    }

    /// Allows or refuses `operation` on `resource` (an ARN or `*`) for the signing identity.
    /// Requests without an identity (unauthenticated operations, `--auth dev`) are not
    /// evaluated.
    ///
    /// Errors: AccessDeniedException with AWS's text (naming the user, the action, the
    /// resource and whether a deny or the lack of an allow refused it); InternalErrorException
    /// when the policies cannot be read.
    pub async fn authorize(
        &self,
        ctx: &RequestContext,
        operation: &str,
        resource: &str,
    ) -> Result<(), CognitoError> {
        let (Some(user), Some(arn)) = (&ctx.user_name, &ctx.principal_arn) else {
            return Ok(());
        };
        // An identity deleted after this request authenticated (its key was still cached) is
        // refused as its key now would be, not as denied.
        let Some(policies) = self.policies_of(&ctx.account_id, user).await? else {
            return Err(CognitoError::new(
                ErrorCode::UnrecognizedClientException,
                "The security token included in the request is invalid.",
            ));
        };
        let action = format!("cognito-idp:{operation}");
        let reason = match evaluate(&policies, &action, resource) {
            Decision::Allow => return Ok(()),
            Decision::ExplicitDeny => {
                "with an explicit deny in an identity-based policy".to_owned()
            }
            Decision::ImplicitDeny => {
                format!("because no identity-based policy allows the {action} action")
            }
        };
        Err(CognitoError::new(
            ErrorCode::AccessDeniedException,
            format!(
                "User: {arn} is not authorized to perform: {action} on resource: {resource} {reason}"
            ),
        ))
    }

    /// The identity's parsed policies, cached until the change feed says they changed; None
    /// when the identity has no access key any more (it was deleted).
    async fn policies_of(
        &self,
        account: &AccountId,
        user: &str,
    ) -> Result<Option<Arc<Vec<Policy>>>, CognitoError> {
        let key = (account.clone(), user.to_owned());
        let loaded = self
            .policies
            .get_or_load(&key, || async {
                let unreadable = |e: rognito_store::StoreError| {
                    tracing::error!(error = %e, "cannot read identity policies");
                    CognitoError::internal()
                };
                // Read after the keys: a policy attached in between is kept, and an identity
                // deleted in between has neither.
                if self
                    .store
                    .access_keys_of(account, user)
                    .await
                    .map_err(unreadable)?
                    .is_empty()
                {
                    return Ok(None);
                }
                let records = self
                    .store
                    .policies_of(account, user)
                    .await
                    .map_err(unreadable)?;
                let policies: Vec<Policy> = records
                    .iter()
                    .filter_map(|r| match Policy::parse(&r.document) {
                        Ok(p) => Some(p),
                        Err(e) => {
                            // Attaching checks policies; one that no longer parses grants nothing.
                            tracing::error!(policy = %r.policy_name, error = %e, "stored policy is invalid");
                            None
                        }
                    })
                    .collect();
                Ok::<_, CognitoError>(Some(policies))
            })
            .await?;
        Ok(loaded)
    }
}

impl ChangeListener for Authorizer {
    fn apply(&self, changes: &[Change]) {
        for change in changes {
            match change {
                Change::Identity {
                    account_id,
                    user_name,
                    ..
                }
                | Change::Policy {
                    account_id,
                    user_name,
                } => self
                    .policies
                    .invalidate(&(account_id.clone(), user_name.clone())),
                Change::Everything => self.policies.invalidate_all(),
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use rognito_store::{AccessKeyRecord, IdentityRecord, PolicyRecord};

    use super::*;

    fn ctx(account: &str, user: &str) -> RequestContext {
        RequestContext {
            account_id: account.into(),
            request_id: "r".into(),
            user_name: Some(user.into()),
            principal_arn: Some(format!("arn:aws:iam::{account}:user/{user}")),
            source_ip: None,
        }
    }

    /// A request that authenticated with a key its identity then lost (deleted from another
    /// process while the request was in flight) is refused as an unknown key, never allowed on
    /// cached policies and never answered AccessDenied.
    #[tokio::test]
    async fn a_deleted_identity_is_refused_as_an_unknown_key() {
        let store = rognito_store::open_in_memory().await.expect("store");
        let account = "000000000000";
        store
            .create_identity(
                &IdentityRecord {
                    account_id: account.into(),
                    user_name: "ci".into(),
                    created_ms: 0,
                },
                &AccessKeyRecord {
                    access_key_id: "AKIAEXAMPLE".into(),
                    account_id: account.into(),
                    user_name: "ci".into(),
                    secret: vec![1],
                    created_ms: 0,
                },
            )
            .await
            .expect("identity");
        store
            .put_policy(&PolicyRecord {
                account_id: account.into(),
                user_name: "ci".into(),
                policy_name: "all".into(),
                document: crate::ALLOW_ALL.into(),
            })
            .await
            .expect("policy");
        let authorizer = Authorizer::new(store.clone(), "us-east-1").expect("authorizer");
        let caller = ctx(account, "ci");
        authorizer
            .authorize(&caller, "ListUserPools", "*")
            .await
            .expect("allowed while the identity exists");
        assert!(store.delete_identity(account, "ci").await.expect("delete"));
        let refused = authorizer
            .authorize(&caller, "ListUserPools", "*")
            .await
            .expect_err("refused once deleted");
        assert_eq!(refused.code, ErrorCode::UnrecognizedClientException);
        assert_eq!(
            refused.message,
            "The security token included in the request is invalid."
        );
    }
}
