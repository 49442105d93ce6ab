//! IAM authorization of a signed request: the identity's policies (cached, following the change
//! feed, so a policy the CLI changes from another process applies within the feed's delay)
//! evaluated for `cognito-idp:<Operation>` on the operation's resource, with AWS's
//! AccessDeniedException texts.

use std::sync::Arc;

use rognito_model::{CognitoError, ErrorCode, Resource};

use crate::iam::{Decision, Policy, evaluate};
use crate::{Cognito, RequestContext, internal};

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

    /// The identity's parsed policies, cached until the change feed says they changed.
    async fn policies_of(
        &self,
        account: &str,
        user: &str,
    ) -> Result<Arc<Vec<Policy>>, CognitoError> {
        let key = (account.to_owned(), user.to_owned());
        let loaded = self
            .caches
            .policies
            .get_or_load(&key, || async {
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
                Ok::<_, CognitoError>(Some(policies))
            })
            .await?;
        Ok(loaded.unwrap_or_default())
    }
}
