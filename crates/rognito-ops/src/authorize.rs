//! IAM authorization of a signed request: the identity's policies (cached for a few seconds, as
//! the CLI may change them from another process) evaluated for `cognito-idp:<Operation>` on the
//! operation's resource, with AWS's AccessDeniedException texts.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rognito_model::{CognitoError, ErrorCode, Resource};

use crate::iam::{Decision, Policy, evaluate};
use crate::{Cognito, RequestContext, internal};

const POLICY_TTL: Duration = Duration::from_secs(2);

pub(crate) struct CachedPolicies {
    policies: Arc<Vec<Policy>>,
    loaded: Instant,
}

impl Cognito {
    /// The IAM resource of an operation: the pool's ARN when the input names a pool, the ARN
    /// an input gives, else `*` (CreateUserPool, ListUserPools, DescribeUserPoolDomain).
    pub fn resource_arn(&self, ctx: &RequestContext, resource: Resource<'_>) -> String {
        match resource {
            Resource::UserPool(id) => format!(
                "arn:aws:cognito-idp:{}:{}:userpool/{id}",
                self.config.region, ctx.account_id
            ),
            Resource::Arn(arn) => arn.to_owned(),
            Resource::Any => "*".to_owned(),
        }
    }

    /// Allows or refuses `operation` for the signing identity. Requests without an identity
    /// (unauthenticated operations, `--auth dev`) are not evaluated.
    pub async fn authorize(
        &self,
        ctx: &RequestContext,
        operation: &str,
        resource: &str,
    ) -> Result<(), CognitoError> {
        let (Some(user), Some(arn)) = (&ctx.user_name, &ctx.principal_arn) else {
            return Ok(());
        };
        let policies = self.policies_of(&ctx.account_id, user).await?;
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

    async fn policies_of(
        &self,
        account: &str,
        user: &str,
    ) -> Result<Arc<Vec<Policy>>, CognitoError> {
        let key = (account.to_owned(), user.to_owned());
        if let Some(hit) = self.policies.lock().ok().and_then(|p| {
            p.get(&key)
                .filter(|c| c.loaded.elapsed() < POLICY_TTL)
                .map(|c| c.policies.clone())
        }) {
            return Ok(hit);
        }
        let records = self
            .store
            .policies_of(account, user)
            .await
            .map_err(internal)?;
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
        let policies = Arc::new(policies);
        if let Ok(mut cache) = self.policies.lock() {
            if cache.len() > 10_000 {
                cache.clear();
            }
            cache.insert(
                key,
                CachedPolicies {
                    policies: policies.clone(),
                    loaded: Instant::now(),
                },
            );
        }
        Ok(policies)
    }
}
