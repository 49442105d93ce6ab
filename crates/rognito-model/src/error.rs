use std::fmt;

use crate::ErrorCode;

/// An error the Cognito API answers with: one of the model's exception shapes and the message
/// a caller reads. Rendered on the wire as `{"__type": code, "message": message}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CognitoError {
    pub code: ErrorCode,
    pub message: String,
}

impl CognitoError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        CognitoError {
            code,
            message: message.into(),
        }
    }

    pub fn invalid_parameter(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidParameterException, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ResourceNotFoundException, message)
    }

    pub fn limit_exceeded(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::LimitExceededException, message)
    }

    /// The answer of an operation rognito does not implement (the `CognitoApi` default).
    pub fn not_implemented(operation: crate::Operation) -> Self {
        Self::new(
            ErrorCode::UnknownOperationException,
            format!(
                "{} is a Cognito operation that rognito does not implement.",
                operation.name()
            ),
        )
    }

    /// An unexpected failure (storage, ...). The message is generic on purpose: details go to
    /// the log, never to the caller.
    pub fn internal() -> Self {
        Self::new(ErrorCode::InternalErrorException, "Internal server error.")
    }
}

impl fmt::Display for CognitoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.name(), self.message)
    }
}

impl std::error::Error for CognitoError {}
