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

/// What an operation returns: serialised on the way out, or already JSON.
pub trait IntoBody {
    fn into_body(self) -> Result<Vec<u8>, serde_json::Error>;
}

impl<T: Serialize> IntoBody for T {
    fn into_body(self) -> Result<Vec<u8>, serde_json::Error> {
        serde_json::to_vec(&self)
    }
}

impl IntoBody for JsonBody {
    fn into_body(self) -> Result<Vec<u8>, serde_json::Error> {
        Ok(self.0.into_bytes())
    }
}
