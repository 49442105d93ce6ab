//! The one way in: every front end (the JSON protocol, the OAuth endpoints, the CLI, the admin
//! page to come) hands the gateway an authenticated caller and its input, and the gateway runs
//! resource ARN → IAM → rate limit → validate → call → audit, inside one `tracing` span that
//! carries the request id, the operation and the principal.

use std::net::IpAddr;
use std::sync::Arc;

use rognito_model::{
    ApiOperation, Authentication, CognitoApi, CognitoError, ErrorCode, GetClientTokenRequest,
    Invoke, Operation, OperationInput, RequestContext, Validate,
};
use rognito_ops::{Cognito, IssuedToken, MasterKey, OAuthError, OpsConfig, TokenEndpointRequest};
use rognito_store::{Store, StoreError};
use serde::de::DeserializeOwned;
use tracing::Instrument as _;

use crate::audit::{AuditLog, AuditRecord, UserIdentity, now_rfc3339};
use crate::{Authorizer, Identities, Principal, RateLimits};

mod messages;
pub use messages::{SINK_DEFAULT_LIMIT, SINK_MAX_LIMIT, SINK_OPERATION, SinkQuery};

/// A front end's refusal as the audit log records it: its error code and message.
pub trait Refusal {
    /// The error's code (`__type` for the JSON protocol), e.g. `NotAuthorizedException`.
    fn code(&self) -> &'static str;
    /// Its message, if any.
    fn message(&self) -> Option<&str>;
}

impl Refusal for CognitoError {
    fn code(&self) -> &'static str {
        self.code.name()
    }
    fn message(&self) -> Option<&str> {
        Some(&self.message)
    }
}

/// One request's input as a front end received it: the gateway asks for it decoded into the
/// operation's input shape once it knows the operation.
pub trait FrontEnd: Send + Sync {
    /// The front end's error, which carries Cognito's errors and its own (framing, decoding).
    type Error: From<CognitoError> + Refusal + Send;

    /// The input decoded into `T`.
    ///
    /// Errors: the front end's decoding error (SerializationException for JSON).
    fn decode<T: DeserializeOwned>(&self) -> Result<T, Self::Error>;
}

/// What the gateway records of a request besides its input.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub operation: Operation,
    /// The id the response carries (`x-amzn-RequestId`).
    pub request_id: &'a str,
    /// The caller's address (after trusted proxies).
    pub source: Option<IpAddr>,
}

/// Who made a change from the command line, as the audit log names them.
#[derive(Debug, Clone)]
pub struct Operator {
    /// The account the change is in.
    pub account_id: String,
    /// The operating-system user who ran the command.
    pub user_name: String,
}

/// The access gateway over the operations layer.
pub struct Gateway {
    ops: Arc<Cognito>,
    authorizer: Arc<Authorizer>,
    rate_limits: Arc<RateLimits>,
    identities: Identities,
    audit: Option<Arc<AuditLog>>,
    region: String,
}

/// What the audit record of a request needs, filled in as the request is served.
#[derive(Default)]
struct Trail {
    resource: Option<String>,
    /// The operation itself ran (decoding, authorization and validation passed).
    ran: bool,
    /// Refused because the audit log cannot be written (failing closed).
    audit_refused: bool,
}

/// What a token request or write gets while the audit log cannot be written and rognito is
/// configured to fail closed.
fn audit_unavailable() -> CognitoError {
    CognitoError::new(
        ErrorCode::InternalErrorException,
        "rognito cannot write its audit log and refuses to issue tokens or accept writes until \
         it can (--audit-failure closed).",
    )
}

/// Whether a request was refused before its caller proved who it is: such refusals are
/// aggregated in the audit log, not written one by one. A signed operation's caller proved it
/// when its signature verified; an unsigned operation's (GetClientToken) when its client secret
/// did, so its refusals before running or for an unknown client, a wrong secret or a used-up
/// failure budget are anonymous.
fn refused_anonymously(operation: Operation, trail: &Trail, error: Option<&str>) -> bool {
    let Some(error) = error else {
        return false;
    };
    operation.authentication() != Authentication::SigV4
        && (!trail.ran
            || matches!(
                error,
                "NotAuthorizedException" | "ResourceNotFoundException" | "TooManyRequestsException"
            ))
}

/// The signing identity of a call, as the audit record names it.
/// Whether an error's message may be recorded: only messages made of what the log records
/// anyway (the resource, the caller) or of nothing the caller sent. Most other messages name
/// input (`User pool client <ClientId> does not exist.`, validation texts quoting values), and
/// a secret pasted into an id field must not reach the log through them: for those, the error
/// code is recorded without its message.
fn message_is_safe(code: &str) -> bool {
    matches!(
        code,
        "AccessDeniedException"
            | "LimitExceededException"
            | "TooManyRequestsException"
            | "InternalErrorException"
            | "UnrecognizedClientException"
    )
}

fn identity(ctx: &RequestContext) -> Option<UserIdentity<'_>> {
    Some(UserIdentity {
        kind: "IAMUser",
        arn: ctx.principal_arn.as_deref()?,
        account_id: &ctx.account_id,
        user_name: ctx.user_name.as_deref()?,
    })
}

impl Gateway {
    /// The operations over `store` and the gateway in front of them: `master` seals secrets
    /// at rest, `rate_limits` limits request rates (and follows the stored provisioned rates),
    /// `audit` is None when no audit log is kept. The caches, the authorizer and the limiter
    /// follow the store's change feed from here on.
    ///
    /// Errors: the store cannot be read or followed.
    pub async fn open(
        store: Arc<dyn Store>,
        config: OpsConfig,
        master: Arc<MasterKey>,
        rate_limits: RateLimits,
        audit: Option<Arc<AuditLog>>,
    ) -> Result<Self, StoreError> {
        let region = config.region.clone();
        let rate_limits = Arc::new(rate_limits);
        rate_limits.follow(&store).await?;
        let ops = Cognito::new(store.clone(), config, master.clone(), rate_limits.clone()).await?;
        let identities = Identities::new(store.clone(), master, ops.clock().clone());
        Ok(Gateway {
            ops: Arc::new(ops),
            authorizer: Authorizer::new(store, &region)?,
            rate_limits,
            identities,
            audit,
            region,
        })
    }

    /// The operations layer behind the gateway (for reads that need no guard: JWKS, discovery).
    pub fn ops(&self) -> &Arc<Cognito> {
        &self.ops
    }

    /// The identities (access keys for signature verification).
    pub fn identities(&self) -> &Identities {
        &self.identities
    }

    /// The audit log, if one is kept.
    pub fn audit(&self) -> Option<&Arc<AuditLog>> {
        self.audit.as_ref()
    }

    /// Counts a request refused before its body was read (its signature's header, date, scope
    /// or key), as the audit log aggregates refusals of callers who did not authenticate.
    pub fn refused_before_body(
        &self,
        operation: Operation,
        error: &impl Refusal,
        source: Option<IpAddr>,
    ) {
        if let Some(audit) = &self.audit
            && operation.audited()
        {
            audit.refused_anonymous(operation.name(), error.code(), source, None);
        }
    }

    /// Runs `request.operation` for `caller` (or records its failed authentication) on `input`:
    /// resource ARN → IAM → rate limit → validate → call → audit. Returns the output's JSON
    /// body.
    ///
    /// Errors: the caller's authentication error as given; the front end's decoding error;
    /// AccessDeniedException, TooManyRequestsException, InvalidParameterException and the
    /// operation's own errors; InternalErrorException when the audit log cannot be written
    /// and rognito fails closed.
    pub async fn call<F: FrontEnd>(
        &self,
        request: Request<'_>,
        caller: Result<Principal, F::Error>,
        input: F,
    ) -> Result<Vec<u8>, F::Error> {
        let principal = caller.as_ref().ok().map(|p| match &p.arn {
            Some(arn) => arn.as_str(),
            None => p.account_id.as_str(),
        });
        let span = tracing::info_span!(
            "call",
            request_id = request.request_id,
            operation = request.operation.name(),
            principal,
        );
        self.call_traced(request, caller, input)
            .instrument(span)
            .await
    }

    async fn call_traced<F: FrontEnd>(
        &self,
        request: Request<'_>,
        caller: Result<Principal, F::Error>,
        input: F,
    ) -> Result<Vec<u8>, F::Error> {
        let operation = request.operation;
        let principal = match caller {
            Ok(principal) => principal,
            Err(e) => {
                self.refused_before_body(operation, &e, request.source);
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
        let mut trail = Trail::default();
        let call = Guarded {
            gateway: self,
            ctx: &ctx,
            operation,
            input: &input,
            trail: &mut trail,
        };
        let mut result = rognito_model::dispatch(self.ops.as_ref(), operation, call).await;
        let Some(audit) = self.audit.as_ref().filter(|_| operation.audited()) else {
            return result;
        };
        let error = result.as_ref().err();
        // Refusals before the caller authenticated, and refusals because the audit log is
        // down (which must not fill what little it can keep), are counted, not written.
        if refused_anonymously(operation, &trail, error.map(Refusal::code)) || trail.audit_refused {
            let code = error.map_or("Unknown", Refusal::code);
            // A wrong secret for an existing client names that client (only then is the id
            // known not to be something else pasted into the field).
            let client = (code == "NotAuthorizedException"
                && operation == Operation::GetClientToken)
                .then(|| input.decode::<GetClientTokenRequest>().ok())
                .flatten()
                .and_then(|input| input.client_id);
            audit.refused_anonymous(operation.name(), code, request.source, client.as_deref());
            return result;
        }
        let record = AuditRecord {
            event_time: now_rfc3339(),
            event_source: "cognito-idp.amazonaws.com",
            event_name: operation.name(),
            aws_region: &self.region,
            recipient_account_id: &ctx.account_id,
            user_identity: identity(&ctx),
            source_ip_address: request.source,
            resource: trail.resource.as_deref(),
            request_id: request.request_id,
            outcome: if error.is_some() {
                "failure"
            } else {
                "success"
            },
            error_code: error.map(Refusal::code),
            error_message: error
                .filter(|e| message_is_safe(e.code()))
                .and_then(Refusal::message),
            scopes: None,
        };
        // A token is released only once its line is written, when failing closed.
        let is_token = operation == Operation::GetClientToken && error.is_none();
        if is_token && audit.fail_closed() {
            if !audit.record_confirmed(&record).await {
                result = Err(audit_unavailable().into());
            }
        } else {
            audit.record(&record);
        }
        result
    }

    /// Whether tokens may be issued and writes accepted (false only while the audit log cannot
    /// be written and rognito fails closed).
    pub fn accepting(&self) -> bool {
        self.audit.as_ref().is_none_or(|a| a.accepting())
    }

    /// The token endpoint's client_credentials grant (`POST /oauth2/token`), audited as
    /// `Token_POST`: refusals before the client authenticated are counted, everything else is
    /// written, and failing closed a token is released only once its line is written.
    /// `client_id` is the id the request presented, if any.
    ///
    /// Errors: the grant's OAuth errors; `ServerError` when the audit log cannot be written
    /// and rognito fails closed (also before anything is checked).
    pub async fn token(
        &self,
        request_id: &str,
        request: Result<TokenEndpointRequest<'_>, OAuthError>,
    ) -> Result<IssuedToken, OAuthError> {
        let span = tracing::info_span!("call", request_id, operation = "Token_POST");
        self.token_traced(request_id, request)
            .instrument(span)
            .await
    }

    async fn token_traced(
        &self,
        request_id: &str,
        request: Result<TokenEndpointRequest<'_>, OAuthError>,
    ) -> Result<IssuedToken, OAuthError> {
        if !self.accepting() {
            return Err(OAuthError::AuditUnavailable);
        }
        let source = request.as_ref().ok().and_then(|r| r.source);
        let client_id = request.as_ref().ok().map(|r| r.client_id.to_owned());
        let outcome = match request {
            Ok(request) => self.ops.token_endpoint(request).await,
            Err(e) => Err(e),
        };
        let Some(audit) = &self.audit else {
            return outcome;
        };
        match &outcome {
            // Refused before the client proved who it is: counted, not written one by one.
            Err(e) if !e.after_authentication() => {
                // Only an existing client's id is recorded: an id of no client could be a
                // secret sent in the wrong field.
                let known = match e {
                    OAuthError::InvalidClientSecret => client_id.as_deref(),
                    _ => None,
                };
                audit.refused_anonymous("Token_POST", e.audit_code(), source, known);
            }
            _ => {
                let error = outcome.as_ref().err().map(OAuthError::audit_code);
                let record = AuditRecord {
                    event_time: now_rfc3339(),
                    event_source: "cognito-idp.amazonaws.com",
                    event_name: "Token_POST",
                    aws_region: &self.region,
                    recipient_account_id: "",
                    user_identity: None,
                    source_ip_address: source,
                    resource: client_id.as_deref(),
                    request_id,
                    outcome: if error.is_some() {
                        "failure"
                    } else {
                        "success"
                    },
                    error_code: error,
                    error_message: None,
                    scopes: outcome.as_ref().ok().map(|t| t.scope.as_str()),
                };
                // Failing closed, a token is released only once its line is written.
                if outcome.is_ok() && audit.fail_closed() {
                    if !audit.record_confirmed(&record).await {
                        return Err(OAuthError::AuditUnavailable);
                    }
                } else {
                    audit.record(&record);
                }
            }
        }
        outcome
    }

    /// Records a change an operator made from the command line (`rognito identity ...`,
    /// `rognito policy ...`) as IAM's CloudTrail events name them (`CreateUser`,
    /// `DeleteUser`, `PutUserPolicy`, `DeleteUserPolicy`), and waits until the line is written.
    /// `resource` is the identity's ARN.
    ///
    /// Returns false when the line cannot be written.
    pub async fn record_operator_change(
        &self,
        operator: &Operator,
        event_name: &'static str,
        resource: &str,
        error: Option<&str>,
    ) -> bool {
        let Some(audit) = &self.audit else {
            return true;
        };
        let request_id = uuid::Uuid::new_v4().to_string();
        let record = AuditRecord {
            event_time: now_rfc3339(),
            event_source: "iam.amazonaws.com",
            event_name,
            aws_region: &self.region,
            recipient_account_id: &operator.account_id,
            user_identity: Some(UserIdentity {
                kind: "LocalOperator",
                arn: "",
                account_id: &operator.account_id,
                user_name: &operator.user_name,
            }),
            source_ip_address: None,
            resource: Some(resource),
            request_id: &request_id,
            outcome: if error.is_some() {
                "failure"
            } else {
                "success"
            },
            error_code: error.map(|_| "OperatorError"),
            error_message: error,
            scopes: None,
        };
        audit.record_confirmed(&record).await
    }
}

/// One call of an operation through the gateway, for the generated `dispatch`.
struct Guarded<'a, F> {
    gateway: &'a Gateway,
    ctx: &'a RequestContext,
    operation: Operation,
    input: &'a F,
    trail: &'a mut Trail,
}

impl<F: FrontEnd> Invoke for Guarded<'_, F> {
    type Output = Result<Vec<u8>, F::Error>;

    /// Decode → authorize (IAM, on the resource the input names) → charge the rate → validate
    /// → run → encode. Authorization comes before validation: AWS's denial names the resource,
    /// which needs the parsed input, and a caller without permission learns nothing from
    /// validation messages.
    async fn invoke<O: ApiOperation, A: CognitoApi + ?Sized>(self, api: &A) -> Self::Output {
        let Guarded {
            gateway,
            ctx,
            operation,
            input,
            trail,
        } = self;
        let input: O::Input = input.decode()?;
        let resource = input.resource();
        let arn = gateway.authorizer.resource_arn(ctx, resource);
        trail.resource = Some(arn.clone());
        if operation.authentication() == Authentication::SigV4 {
            gateway
                .authorizer
                .authorize(ctx, operation.name(), &arn)
                .await?;
            // Charged only once IAM allowed the call: a denied identity cannot drain its
            // account's budget. (Operations without a signature are charged by the operation,
            // once the caller has authenticated.)
            if !gateway
                .rate_limits
                .allow(&ctx.account_id, operation, resource.user_pool_id())
            {
                return Err(rognito_ops::throttled().into());
            }
        }
        input
            .validate()
            .map_err(|v| CognitoError::invalid_parameter(v.message()))?;
        if operation.audited() && !gateway.accepting() {
            trail.audit_refused = true;
            return Err(audit_unavailable().into());
        }
        trail.ran = true;
        O::call(api, ctx, input).await?.into_body().map_err(|e| {
            tracing::error!(error = %e, "cannot serialise an output");
            CognitoError::internal().into()
        })
    }

    fn not_implemented(self, operation: Operation) -> Self::Output {
        Err(CognitoError::not_implemented(operation).into())
    }
}
