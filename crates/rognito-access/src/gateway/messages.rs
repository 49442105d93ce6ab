//! The local message sink's reader (`GET /_rognito/messages`): the messages rognito would have
//! emailed or texted (confirmation codes, temporary passwords, MFA codes), for tests.
//!
//! Not a Cognito operation, so it has no row in codegen/operations.py; it is guarded as the
//! API's `AdminGetUser` is (reading a user's messages is reading the user): signed by an
//! identity, authorized as `cognito-idp:AdminGetUser` on the pool's ARN, charged to that
//! operation's rate-limit category, then validated. Like AdminGetUser, it gets no audit line of
//! its own; its refusals before authentication are counted as AdminGetUser's would be. Nothing
//! here logs a message or its code.

use rognito_model::validate::{NumberRules, Validator};
use rognito_model::{CognitoError, Operation, RequestContext, Resource, ValidationErrors};
use serde::Serialize;
use tracing::Instrument as _;

use super::{Gateway, Refusal, Request};
use crate::Principal;

/// The operation the sink's reader is authenticated, authorized and rate-limited as.
pub const SINK_OPERATION: Operation = Operation::AdminGetUser;

/// Messages listed when the query gives no `Limit`.
pub const SINK_DEFAULT_LIMIT: u32 = 100;

/// The largest `Limit`.
pub const SINK_MAX_LIMIT: u32 = 1000;

static LIMIT_RULES: NumberRules = NumberRules {
    min: Some(1),
    max: Some(SINK_MAX_LIMIT as i64),
};

/// A query of the sink as the front end received it (query parameters, not yet validated).
#[derive(Debug, Clone, Copy, Default)]
pub struct SinkQuery<'a> {
    /// `UserPoolId`.
    pub user_pool_id: Option<&'a str>,
    /// `Username`: the user's username or any of its sign-in aliases.
    pub username: Option<&'a str>,
    /// `Limit`, as given (1 to 1000).
    pub limit: Option<&'a str>,
}

/// One message as the endpoint shows it.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SinkMessage<'a> {
    username: &'a str,
    /// Epoch seconds with milliseconds, as the API's dates.
    created_at: f64,
    kind: &'a str,
    delivery_medium: &'a str,
    attribute_name: &'a str,
    destination: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    subject: Option<&'a str>,
    body: &'a str,
    code: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SinkMessages<'a> {
    messages: Vec<SinkMessage<'a>>,
}

/// The query's limit, or every violation in AWS's validation text.
fn validate(query: &SinkQuery<'_>) -> Result<u32, CognitoError> {
    let mut v = Validator::default();
    v.string(
        "userPoolId",
        query.user_pool_id,
        true,
        &rognito_model::STRING_USER_POOL_ID_TYPE,
    );
    v.string(
        "username",
        query.username,
        false,
        &rognito_model::STRING_USERNAME_TYPE,
    );
    let mut not_a_number = None;
    let limit = match query.limit {
        None => None,
        Some(given) => match given.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                not_a_number = Some(format!(
                    "Value '{given}' at 'limit' failed to satisfy constraint: Member must be an \
                     integer"
                ));
                None
            }
        },
    };
    v.number("limit", limit, false, &LIMIT_RULES);
    let mut errors = v.finish().err().map(|e| e.0).unwrap_or_default();
    errors.extend(not_a_number);
    if !errors.is_empty() {
        return Err(CognitoError::invalid_parameter(
            ValidationErrors(errors).message(),
        ));
    }
    Ok(limit
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or(SINK_DEFAULT_LIMIT))
}

impl Gateway {
    /// The local message sink's messages of a pool (one user's, when `query.username` names
    /// one by any sign-in name), newest first, as the endpoint's JSON body
    /// (`{"Messages": [...]}`): authenticated by the front end as [`SINK_OPERATION`], then
    /// IAM (`cognito-idp:AdminGetUser` on the pool's ARN, `*` when no pool is named) → rate
    /// limit → validation → the read.
    ///
    /// Errors: the caller's authentication error as given; AccessDeniedException,
    /// TooManyRequestsException, InvalidParameterException (no `UserPoolId`, a `Limit` that is
    /// not 1 to 1000), ResourceNotFoundException (no such pool in the caller's account).
    pub async fn sink_messages<E>(
        &self,
        request: Request<'_>,
        caller: Result<Principal, E>,
        query: SinkQuery<'_>,
    ) -> Result<Vec<u8>, E>
    where
        E: From<CognitoError> + Refusal + Send,
    {
        let principal = caller.as_ref().ok().map(|p| match &p.arn {
            Some(arn) => arn.as_str(),
            None => p.account_id.as_str(),
        });
        let span = tracing::info_span!(
            "call",
            request_id = request.request_id,
            operation = "ListSinkMessages",
            principal,
        );
        async {
            let principal = match caller {
                Ok(principal) => principal,
                Err(e) => {
                    self.refused_before_body(SINK_OPERATION, &e, request.source);
                    return Err(e);
                }
            };
            let ctx = RequestContext {
                account_id: principal.account_id,
                request_id: request.request_id.to_owned(),
                user_name: principal.user_name,
                principal_arn: principal.arn,
                source_ip: request.source,
            };
            self.sink_messages_guarded(&ctx, query)
                .await
                .map_err(E::from)
        }
        .instrument(span)
        .await
    }

    async fn sink_messages_guarded(
        &self,
        ctx: &RequestContext,
        query: SinkQuery<'_>,
    ) -> Result<Vec<u8>, CognitoError> {
        let resource = match query.user_pool_id {
            Some(id) => Resource::UserPool(id),
            None => Resource::Any,
        };
        let arn = self.authorizer.resource_arn(ctx, resource);
        self.authorizer
            .authorize(ctx, SINK_OPERATION.name(), &arn)
            .await?;
        if !self
            .rate_limits
            .allow(&ctx.account_id, SINK_OPERATION, resource.user_pool_id())
        {
            return Err(rognito_ops::throttled());
        }
        let limit = validate(&query)?;
        let user_pool_id = query.user_pool_id.unwrap_or_default();
        let found = self
            .ops
            .sink_messages(ctx, user_pool_id, query.username, limit)
            .await?;
        let body = SinkMessages {
            messages: found
                .iter()
                .map(|(username, created_ms, m)| SinkMessage {
                    username,
                    created_at: rognito_ops::clock::epoch_seconds(*created_ms),
                    kind: &m.kind,
                    delivery_medium: &m.delivery_medium,
                    attribute_name: &m.attribute_name,
                    destination: &m.destination,
                    subject: m.subject.as_deref(),
                    body: &m.body,
                    code: &m.code,
                })
                .collect(),
        };
        serde_json::to_vec(&body).map_err(|_| CognitoError::internal())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query<'a>(pool: Option<&'a str>, limit: Option<&'a str>) -> SinkQuery<'a> {
        SinkQuery {
            user_pool_id: pool,
            username: None,
            limit,
        }
    }

    #[test]
    fn the_query_is_validated_with_aws_texts() {
        assert_eq!(
            validate(&query(Some("us-east-1_abc"), None)).ok(),
            Some(100)
        );
        assert_eq!(
            validate(&query(Some("us-east-1_abc"), Some("1000"))).ok(),
            Some(1000)
        );
        let missing = validate(&query(None, None)).unwrap_err();
        assert_eq!(
            missing.message,
            "1 validation error detected: Value null at 'userPoolId' failed to satisfy \
             constraint: Member must not be null"
        );
        for bad in ["0", "1001", "-3", "ten", ""] {
            let e = validate(&query(Some("us-east-1_abc"), Some(bad))).unwrap_err();
            assert_eq!(e.code, rognito_model::ErrorCode::InvalidParameterException);
            assert!(e.message.contains("'limit'"), "{bad}: {}", e.message);
        }
    }
}
