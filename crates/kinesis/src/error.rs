//! Kinesis errors as clients see them: code, HTTP status and message.

use aws_model::kinesis::ErrorCode;
use aws_model::RequestError;

/// An AWS-shaped Kinesis error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KinesisError {
    pub code: &'static str,
    pub status: u16,
    pub message: String,
}

pub type KResult<T> = Result<T, KinesisError>;

impl KinesisError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> KinesisError {
        KinesisError { code: code.code(), status: code.http_status(), message: message.into() }
    }

    pub fn invalid_argument(message: impl Into<String>) -> KinesisError {
        KinesisError::new(ErrorCode::InvalidArgumentException, message)
    }

    pub fn not_found(message: impl Into<String>) -> KinesisError {
        KinesisError::new(ErrorCode::ResourceNotFoundException, message)
    }

    pub fn in_use(message: impl Into<String>) -> KinesisError {
        KinesisError::new(ErrorCode::ResourceInUseException, message)
    }

    pub fn limit_exceeded(message: impl Into<String>) -> KinesisError {
        KinesisError::new(ErrorCode::LimitExceededException, message)
    }

    pub fn validation(message: impl Into<String>) -> KinesisError {
        KinesisError::new(ErrorCode::ValidationException, message)
    }

    pub fn internal(message: impl Into<String>) -> KinesisError {
        KinesisError::new(ErrorCode::InternalFailureException, message)
    }

    pub fn stream_not_found(name: &str, account_id: &str) -> KinesisError {
        KinesisError::not_found(format!("Stream {name} under account {account_id} not found."))
    }
}

impl From<RequestError> for KinesisError {
    fn from(e: RequestError) -> Self {
        KinesisError { code: e.code(), status: 400, message: e.to_string() }
    }
}

impl From<shard_log::Error> for KinesisError {
    fn from(e: shard_log::Error) -> Self {
        tracing::error!(error = %e, "shard log failure");
        KinesisError::internal(format!("Storage failure: {e}"))
    }
}
