//! Response bodies: an operation's output becomes the JSON body of its 200 response.

use serde::Serialize;

/// A response body that is already JSON text, assembled from pieces that were validated (or
/// serialised) when they were cached. Describe and List answer from such pieces; wrapping the
/// result in `serde_json::value::RawValue` would parse every response again to validate it,
/// which was 40% of ListResourceServers' instructions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonBody(String);

impl JsonBody {
    /// `json` must be valid JSON; build it only from validated or serialised parts (checked in
    /// debug builds, so every test catches a mistake).
    pub fn assembled(json: String) -> Self {
        debug_assert!(
            serde_json::from_str::<serde::de::IgnoredAny>(&json).is_ok(),
            "assembled JSON is invalid: {json}"
        );
        JsonBody(json)
    }
}

/// What a `CognitoApi` method returns: a typed output, serialised on the way out, or a body
/// already assembled as JSON (Describe and List answer from cached pieces).
#[derive(Debug, Clone, PartialEq)]
pub enum Output<T> {
    Typed(T),
    Json(JsonBody),
}

impl<T> From<T> for Output<T> {
    fn from(output: T) -> Self {
        Output::Typed(output)
    }
}

impl<T: Serialize> Output<T> {
    /// The response body: `T` serialised, or the assembled JSON as it is.
    pub fn into_body(self) -> Result<Vec<u8>, serde_json::Error> {
        match self {
            Output::Typed(output) => serde_json::to_vec(&output),
            Output::Json(body) => Ok(body.0.into_bytes()),
        }
    }
}
