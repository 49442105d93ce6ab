//! The AWS JSON 1.1 protocol for the Cognito API, in the order AWS applies it:
//! frame (`X-Amz-Target` → [`Operation`]), authenticate ([`Authenticator`], before any typed
//! decoding), decode (→ `SerializationException`), validate against the model
//! (→ `InvalidParameterException` with AWS's messages), call the operation, render the output or
//! the error with AWS's status, `__type` and headers.

pub mod audit;
mod auth;
mod decode;
mod dispatch;
#[cfg(test)]
mod fuzz;
pub mod sigv4;
mod wire;

pub use auth::{
    AuthMode, Authenticator, CredentialSource, Principal, RequestHead, SecretAccessKey,
    SigV4Authenticator, needs_signature,
};
pub use dispatch::JsonProtocol;
pub use rognito_model::Operation;
pub use wire::{CONTENT_TYPE, JsonResponse, WireError};
