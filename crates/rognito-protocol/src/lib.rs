//! The AWS JSON 1.1 protocol for the Cognito API, in the order AWS applies it:
//! frame (`X-Amz-Target` → [`Operation`]), authenticate ([`Authenticator`], before any typed
//! decoding), decode (→ `SerializationException`), validate against the model
//! (→ `InvalidParameterException` with AWS's messages), call the operation, render the output or
//! the error with AWS's status, `__type` and headers.

mod auth;
mod decode;
mod dispatch;
#[cfg(test)]
mod fuzz;
pub mod sigv4;
mod wire;

pub use auth::{AuthMode, Authenticator, CredentialSource, RequestHead, SigV4Authenticator};
pub use dispatch::JsonProtocol;
pub use rognito_access::Principal;
pub use rognito_model::Operation;
pub use wire::{CONTENT_TYPE, JsonResponse, WireError};

/// A header's value as the signature covers it: a header sent several times is the values
/// joined with `,` (SigV4's canonical form), so the server acts on exactly what was signed and
/// two requests that differ only in how a value is split never share a signature. None when
/// absent or not visible ASCII.
pub fn header_value<'h>(
    headers: &'h http::HeaderMap,
    name: &http::HeaderName,
) -> Option<std::borrow::Cow<'h, str>> {
    let mut values = headers.get_all(name).iter();
    let first = values.next()?.to_str().ok()?;
    let mut rest = values.peekable();
    if rest.peek().is_none() {
        return Some(std::borrow::Cow::Borrowed(first));
    }
    let mut joined = first.to_owned();
    for value in rest {
        joined.push(',');
        joined.push_str(value.to_str().ok()?);
    }
    Some(std::borrow::Cow::Owned(joined))
}

/// `x-amz-target`, named once (a `&str` name is parsed again on every lookup).
pub static X_AMZ_TARGET: http::HeaderName = http::HeaderName::from_static("x-amz-target");
/// `x-amz-date`.
pub static X_AMZ_DATE: http::HeaderName = http::HeaderName::from_static("x-amz-date");
