use std::net::IpAddr;
use std::sync::Arc;

use rognito_model::{
    ApiOperation, Authentication, CognitoApi, CognitoError, GetClientTokenRequest, Invoke,
    Operation, OperationInput, TARGET_PREFIX,
};
use rognito_ops::{Cognito, RequestContext};

use crate::audit::{AuditLog, AuditRecord, now_rfc3339};
use crate::{Authenticator, JsonResponse, Principal, RequestHead, WireError, decode};

/// Serves `POST /` requests of the Cognito API.
pub struct JsonProtocol {
    ops: Arc<Cognito>,
    authenticator: Arc<dyn Authenticator>,
    audit: Option<Arc<AuditLog>>,
    region: String,
}

/// What the audit record of a request needs, filled in as the request is served.
#[derive(Default)]
struct Trail {
    operation: Option<Operation>,
    principal: Option<Principal>,
    resource: Option<String>,
    /// The operation itself ran (decoding, authorization and validation passed).
    ran: bool,
    /// Refused because the audit log cannot be written (failing closed).
    audit_refused: bool,
}

/// Whether a request was refused before its caller proved who it is: such refusals are
/// aggregated in the audit log, not written one by one. A signed operation's caller proved it
/// when its signature verified; an unsigned operation's (GetClientToken) when its client secret
/// did, so its refusals before running or for an unknown client, a wrong secret or a used-up
/// failure budget are anonymous.
fn refused_anonymously(operation: Operation, trail: &Trail, error: Option<&WireError>) -> bool {
    let Some(error) = error else {
        return false;
    };
    if trail.principal.is_none() {
        return true;
    }
    operation.authentication() != Authentication::SigV4
        && (!trail.ran
            || matches!(
                error.type_name,
                "NotAuthorizedException" | "ResourceNotFoundException" | "TooManyRequestsException"
            ))
}

/// What a token request or write gets while the audit log cannot be written and rognito is
/// configured to fail closed.
fn audit_unavailable() -> WireError {
    WireError::new(
        "InternalErrorException",
        500,
        "rognito cannot write its audit log and refuses to issue tokens or accept writes until \
         it can (--audit-failure closed).",
    )
}

impl JsonProtocol {
    pub fn new(
        ops: Arc<Cognito>,
        authenticator: Arc<dyn Authenticator>,
        audit: Option<Arc<AuditLog>>,
    ) -> Self {
        let region = ops.config().region.clone();
        JsonProtocol {
            ops,
            authenticator,
            audit,
            region,
        }
    }

    /// The operation named by an `X-Amz-Target` header value.
    pub fn operation(target: Option<&str>) -> Result<Operation, WireError> {
        let Some(target) = target else {
            return Err(WireError::unknown_operation(
                "Missing X-Amz-Target header: expected AWSCognitoIdentityProviderService.<Operation>.",
            ));
        };
        target
            .strip_prefix(TARGET_PREFIX)
            .and_then(|rest| rest.strip_prefix('.'))
            .and_then(Operation::from_name)
            .ok_or_else(|| WireError::unknown_operation(format!("Unknown operation: {target}.")))
    }

    /// The checks that need no body (operation known, then the signature's header, date, scope
    /// and access key), so the HTTP layer can refuse before reading a body. On refusal, the
    /// response to send (already counted in the audit log).
    pub async fn check_head(
        &self,
        head: &RequestHead<'_>,
        source: Option<IpAddr>,
    ) -> Result<(), JsonResponse> {
        let target = crate::header_value(head.headers, &crate::X_AMZ_TARGET);
        let checked = match Self::operation(target.as_deref()) {
            Ok(operation) => self
                .authenticator
                .check_head(operation, head)
                .await
                .map_err(|e| (Some(operation), e)),
            Err(e) => Err((None, e)),
        };
        checked.map_err(|(operation, e)| {
            if let (Some(audit), Some(operation)) = (&self.audit, operation)
                && operation.audited()
            {
                audit.refused_anonymous(operation.name(), e.type_name, source, None);
            }
            JsonResponse::error(&e)
        })
    }

    /// Serves one request; `source` is the caller's address (after trusted proxies).
    pub async fn handle(
        &self,
        head: RequestHead<'_>,
        request_id: &str,
        source: Option<IpAddr>,
    ) -> JsonResponse {
        let target = crate::header_value(head.headers, &crate::X_AMZ_TARGET);
        let mut trail = Trail::default();
        let mut result = self
            .serve(target.as_deref(), &head, request_id, source, &mut trail)
            .await;
        if let (Some(audit), Some(operation)) = (&self.audit, trail.operation)
            && operation.audited()
        {
            let error = result.as_ref().err();
            // Refusals before the caller authenticated, and refusals because the audit log is
            // down (which must not fill what little it can keep), are counted, not written.
            if refused_anonymously(operation, &trail, error) || trail.audit_refused {
                let code = error.map_or("Unknown", |e| e.type_name);
                // A wrong secret for an existing client names that client (only then is the
                // id known not to be something else pasted into the field).
                let client = (code == "NotAuthorizedException"
                    && operation == Operation::GetClientToken)
                    .then(|| serde_json::from_slice::<GetClientTokenRequest>(head.body).ok())
                    .flatten()
                    .and_then(|input| input.client_id);
                audit.refused_anonymous(operation.name(), code, source, client.as_deref());
            } else {
                let principal = trail.principal.as_ref();
                let record = AuditRecord {
                    event_time: now_rfc3339(),
                    event_source: "cognito-idp.amazonaws.com",
                    event_name: operation.name(),
                    aws_region: &self.region,
                    recipient_account_id: principal.map_or("", |p| p.account_id.as_str()),
                    user_identity: AuditRecord::identity(principal),
                    source_ip_address: source,
                    resource: trail.resource.as_deref(),
                    request_id,
                    outcome: if error.is_some() {
                        "failure"
                    } else {
                        "success"
                    },
                    error_code: error.map(|e| e.type_name),
                    error_message: error.and_then(|e| e.message.as_deref()),
                    scopes: None,
                };
                // A token is released only once its line is written, when failing closed.
                let is_token = operation == Operation::GetClientToken && error.is_none();
                if is_token && audit.fail_closed() {
                    if !audit.record_confirmed(&record).await {
                        result = Err(audit_unavailable());
                    }
                } else {
                    audit.record(&record);
                }
            }
        }
        match result {
            Ok(body) => JsonResponse::ok(body),
            Err(e) => JsonResponse::error(&e),
        }
    }

    async fn serve(
        &self,
        target: Option<&str>,
        head: &RequestHead<'_>,
        request_id: &str,
        source: Option<IpAddr>,
        trail: &mut Trail,
    ) -> Result<Vec<u8>, WireError> {
        let operation = Self::operation(target)?;
        trail.operation = Some(operation);
        let principal = self.authenticator.authenticate(operation, head).await?;
        trail.principal = Some(principal.clone());
        let ctx = RequestContext {
            account_id: principal.account_id,
            request_id: request_id.to_owned(),
            user_name: principal.user_name,
            principal_arn: principal.arn,
            source_ip: source,
        };
        let call = Call {
            protocol: self,
            ctx: &ctx,
            operation,
            body: head.body,
            trail,
        };
        rognito_model::dispatch(self.ops.as_ref(), operation, call).await
    }
}

/// One call of an operation through the JSON protocol, for the generated `dispatch`.
struct Call<'a> {
    protocol: &'a JsonProtocol,
    ctx: &'a RequestContext,
    operation: Operation,
    body: &'a [u8],
    trail: &'a mut Trail,
}

impl Invoke for Call<'_> {
    type Output = Result<Vec<u8>, WireError>;

    /// Decode → authorize (IAM, on the resource the input names) → validate → run → encode.
    /// Authorization comes before validation: AWS's denial names the resource, which needs the
    /// parsed input, and a caller without permission learns nothing from validation messages.
    async fn invoke<O: ApiOperation, A: CognitoApi + ?Sized>(self, api: &A) -> Self::Output {
        let Call {
            protocol,
            ctx,
            operation,
            body,
            trail,
        } = self;
        let input: O::Input = decode::parse(body)?;
        let resource = input.resource();
        let arn = protocol.ops.resource_arn(ctx, resource);
        trail.resource = Some(arn.clone());
        if operation.authentication() == Authentication::SigV4 {
            protocol.ops.authorize(ctx, operation.name(), &arn).await?;
            // Charged only once IAM allowed the call: a denied identity cannot drain its
            // account's budget. (Operations without a signature are charged by the operation,
            // once the caller has authenticated.)
            if !protocol.ops.rate_limits().allow(
                &ctx.account_id,
                operation,
                resource.user_pool_id(),
            ) {
                return Err(rognito_ops::rate_limits::throttled().into());
            }
        }
        decode::validate(&input)?;
        if operation.audited()
            && let Some(audit) = &protocol.audit
            && !audit.accepting()
        {
            trail.audit_refused = true;
            return Err(audit_unavailable());
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
