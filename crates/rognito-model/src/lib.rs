//! The Cognito user-pool API as data and as a trait, generated from botocore's
//! `cognito-idp/2016-04-18` model by `codegen/generate.py` (see `generated/`): request/response
//! shapes, every model constraint, the `Operation` enum with each operation's facts (implemented,
//! API category, audited, authentication), `ErrorCode`, and the `CognitoApi` trait with its
//! `dispatch`. Hand-written beside it: the runtime that turns constraints into AWS's validation
//! messages (`validate.rs`), objects-only deserialisation (`de.rs`), `CognitoError`, the id
//! newtypes (`ids.rs`), the `RequestContext` and `Output` an operation takes and returns.

mod body;
mod context;
mod de;
mod error;
mod generated;
mod ids;
pub mod validate;

pub use body::{JsonBody, Output};
pub use context::{Clock, ManualClock, RequestContext, Resource, SystemClock};
pub use error::CognitoError;
pub use generated::*;
pub use ids::{AccountId, ClientId, UserPoolId};
pub use validate::{Validate, ValidationErrors};

/// The output of operations the model gives no output shape (e.g. DeleteUserPool): `{}`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct EmptyOutput {}
