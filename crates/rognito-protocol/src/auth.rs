use async_trait::async_trait;
use http::{HeaderMap, Method, Uri};

use crate::WireError;

/// The parts of a request a signature covers, as received.
pub struct RequestHead<'a> {
    pub method: &'a Method,
    pub uri: &'a Uri,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

/// Who a request acts as, once authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub account_id: String,
    /// `arn:aws:iam::<account>:user/<name>`, or None while requests are not verified.
    pub arn: Option<String>,
}

/// Decides who sent a request. Runs after the operation is known and before the body is decoded
/// into typed input, so an unauthenticated caller learns nothing from decoding or validation.
#[async_trait]
pub trait Authenticator: Send + Sync {
    async fn authenticate(
        &self,
        operation: rognito_model::Operation,
        head: &RequestHead<'_>,
    ) -> Result<Principal, WireError>;
}

/// Accepts every request, signed or not, as the configured account. This is the place SigV4
/// verification takes over.
pub struct AcceptUnverified {
    pub account_id: String,
}

#[async_trait]
impl Authenticator for AcceptUnverified {
    async fn authenticate(
        &self,
        _operation: rognito_model::Operation,
        _head: &RequestHead<'_>,
    ) -> Result<Principal, WireError> {
        Ok(Principal {
            account_id: self.account_id.clone(),
            arn: None,
        })
    }
}
