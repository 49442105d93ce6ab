//! The Cognito user-pool API as data: request/response shapes, the `Operation` and `ErrorCode`
//! enums and every model constraint, generated from botocore's `cognito-idp/2016-04-18` model by
//! `codegen/generate.py` (see `generated.rs`), plus the hand-written runtime that turns those
//! constraints into AWS's validation messages (`validate.rs`).

mod body;
mod de;
mod error;
mod generated;
pub mod validate;

pub use body::{IntoBody, JsonBody};
pub use error::CognitoError;
pub use generated::*;
pub use validate::{Validate, ValidationErrors};

/// The output of operations the model gives no output shape (e.g. DeleteUserPool): `{}`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct EmptyOutput {}
