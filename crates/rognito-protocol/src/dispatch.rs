use std::net::IpAddr;
use std::sync::Arc;

use rognito_access::{FrontEnd, Gateway, Refusal, Request, SINK_OPERATION, SinkQuery};
use rognito_model::{Operation, TARGET_PREFIX};
use serde::de::DeserializeOwned;

use crate::{Authenticator, JsonResponse, RequestHead, WireError, decode};

/// Serves `POST /` requests of the Cognito API: frames (`X-Amz-Target` → operation),
/// authenticates (SigV4) and decodes; the [`Gateway`] guards, runs and audits the call.
pub struct JsonProtocol {
    gateway: Arc<Gateway>,
    authenticator: Arc<dyn Authenticator>,
}

impl Refusal for WireError {
    fn code(&self) -> &'static str {
        self.type_name
    }
    fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }
}

/// A JSON 1.1 request body, decoded with AWS's SerializationException texts.
struct JsonBody<'a>(&'a [u8]);

impl FrontEnd for JsonBody<'_> {
    type Error = WireError;

    fn decode<T: DeserializeOwned>(&self) -> Result<T, WireError> {
        decode::parse(self.0)
    }
}

impl JsonProtocol {
    pub fn new(gateway: Arc<Gateway>, authenticator: Arc<dyn Authenticator>) -> Self {
        JsonProtocol {
            gateway,
            authenticator,
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
            if let Some(operation) = operation {
                self.gateway.refused_before_body(operation, &e, source);
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
        let operation = match Self::operation(target.as_deref()) {
            Ok(operation) => operation,
            Err(e) => return JsonResponse::error(&e),
        };
        let caller = self.authenticator.authenticate(operation, &head).await;
        let request = Request {
            operation,
            request_id,
            source,
        };
        match self
            .gateway
            .call(request, caller, JsonBody(head.body))
            .await
        {
            Ok(body) => JsonResponse::ok(body),
            Err(e) => JsonResponse::error(&e),
        }
    }

    /// Serves `GET /_rognito/messages` (the local message sink): the request is authenticated
    /// as the API's requests are (SigV4 for `cognito-idp`, as [`SINK_OPERATION`]; the signed
    /// path, not an `X-Amz-Target` header, names what is asked), then the
    /// gateway authorizes, validates and reads ([`Gateway::sink_messages`]). `query` is the
    /// request's query parameters as the HTTP layer found them.
    pub async fn sink_messages(
        &self,
        head: RequestHead<'_>,
        query: SinkQuery<'_>,
        request_id: &str,
        source: Option<IpAddr>,
    ) -> JsonResponse {
        let caller = self
            .authenticator
            .authenticate_path(SINK_OPERATION, &head)
            .await;
        let request = Request {
            operation: SINK_OPERATION,
            request_id,
            source,
        };
        match self
            .gateway
            .sink_messages::<WireError>(request, caller, query)
            .await
        {
            Ok(body) => JsonResponse::ok(body),
            Err(e) => JsonResponse::error(&e),
        }
    }
}
