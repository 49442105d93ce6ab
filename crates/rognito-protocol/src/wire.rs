use bytes::Bytes;
use rognito_model::CognitoError;
use serde::Serialize;

pub const CONTENT_TYPE: &str = "application/x-amz-json-1.1";

/// An error as it goes on the wire: `{"__type": type_name, "message": ...}` with `status`.
/// Covers the model's exceptions and the protocol-level ones the model does not list
/// (UnknownOperationException, SerializationException, the authentication errors).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireError {
    pub type_name: &'static str,
    pub status: u16,
    pub message: Option<String>,
}

impl WireError {
    pub fn new(type_name: &'static str, status: u16, message: impl Into<String>) -> Self {
        WireError {
            type_name,
            status,
            message: Some(message.into()),
        }
    }

    pub fn unknown_operation(message: impl Into<String>) -> Self {
        Self::new("UnknownOperationException", 400, message)
    }

    pub fn serialization(message: impl Into<String>) -> Self {
        Self::new("SerializationException", 400, message)
    }
}

impl From<CognitoError> for WireError {
    fn from(e: CognitoError) -> Self {
        WireError {
            type_name: e.code.name(),
            status: e.code.http_status(),
            message: Some(e.message),
        }
    }
}

/// A response ready for the HTTP layer: always `application/x-amz-json-1.1`; `error_type` is
/// sent as `x-amzn-ErrorType` for errors.
#[derive(Debug, Clone)]
pub struct JsonResponse {
    pub status: u16,
    pub error_type: Option<&'static str>,
    pub body: Bytes,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    #[serde(rename = "__type")]
    type_name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a str>,
}

impl JsonResponse {
    pub fn ok(body: Vec<u8>) -> Self {
        JsonResponse {
            status: 200,
            error_type: None,
            body: Bytes::from(body),
        }
    }

    pub fn error(e: &WireError) -> Self {
        let body = serde_json::to_vec(&ErrorBody {
            type_name: e.type_name,
            message: e.message.as_deref(),
        })
        .unwrap_or_else(|_| br#"{"__type":"InternalErrorException"}"#.to_vec());
        JsonResponse {
            status: e.status,
            error_type: Some(e.type_name),
            body: Bytes::from(body),
        }
    }
}
