//! SNS errors as AWS words them: `InvalidParameter: Invalid parameter: <what>`,
//! `NotFound`, `AuthorizationError`...

use aws_wire::AwsError;

/// An AWS-shaped SNS error: HTTP status, error code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnsError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

/// The result of an SNS operation.
pub type SResult<T> = Result<T, SnsError>;

impl SnsError {
    /// An error with an explicit status and code.
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> SnsError {
        SnsError { status, code, message: message.into() }
    }

    /// `InvalidParameter` (400) with AWS's `Invalid parameter: ` prefix.
    pub fn invalid_parameter(what: impl std::fmt::Display) -> SnsError {
        SnsError::new(400, "InvalidParameter", format!("Invalid parameter: {what}"))
    }

    /// `ParameterValueInvalid` (400): a message attribute that does not fit its type.
    pub fn invalid_parameter_value(message: impl Into<String>) -> SnsError {
        SnsError::new(400, "ParameterValueInvalid", message)
    }

    /// `NotFound` (404).
    pub fn not_found(message: impl Into<String>) -> SnsError {
        SnsError::new(404, "NotFound", message)
    }

    /// The topic an operation names does not exist.
    pub fn topic_not_found() -> SnsError {
        SnsError::not_found("Topic does not exist")
    }

    /// The subscription an operation names does not exist.
    pub fn subscription_not_found() -> SnsError {
        SnsError::not_found("Subscription does not exist")
    }

    /// `ResourceNotFound` (404), as the tagging operations answer.
    pub fn resource_not_found() -> SnsError {
        SnsError::new(404, "ResourceNotFound", "Resource does not exist")
    }

    /// `AuthorizationError` (403).
    pub fn authorization(message: impl Into<String>) -> SnsError {
        SnsError::new(403, "AuthorizationError", message)
    }

    /// `Throttled` (429): the delivery queue has no room for the message.
    pub fn throttled() -> SnsError {
        SnsError::new(429, "Throttled", "Rate exceeded: the delivery queue is full, retry later")
    }

    /// `InternalError` (500): the store failed.
    pub fn internal(message: impl Into<String>) -> SnsError {
        SnsError::new(500, "InternalError", message)
    }
}

impl From<docstore::Error> for SnsError {
    fn from(e: docstore::Error) -> Self {
        tracing::error!(error = %e, "sns store failure");
        SnsError::internal("The service failed to access its store; retry later")
    }
}

/// Model validation (a missing required member, a tag too long...) is
/// `InvalidParameter` in SNS, not awsJson's `ValidationException`.
impl From<aws_model::RequestError> for SnsError {
    fn from(e: aws_model::RequestError) -> Self {
        SnsError::new(400, "InvalidParameter", e.to_string())
    }
}

impl From<SnsError> for AwsError {
    fn from(e: SnsError) -> Self {
        AwsError::new(e.status, e.code, e.message)
    }
}
