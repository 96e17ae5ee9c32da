//! AWS-shaped CloudWatch Logs errors.

/// An error answered to the client: HTTP status, AWS error code, message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogsError {
    /// HTTP status: 400, or 500 for failures of ours.
    pub status: u16,
    /// The AWS error code, e.g. `ResourceNotFoundException`.
    pub code: &'static str,
    /// What went wrong, in AWS's words where they are known.
    pub message: String,
}

impl LogsError {
    /// A client error (400).
    pub(crate) fn new(code: &'static str, message: impl Into<String>) -> LogsError {
        LogsError { status: 400, code, message: message.into() }
    }

    /// Bad input: `InvalidParameterException`.
    pub(crate) fn invalid(message: impl Into<String>) -> LogsError {
        LogsError::new("InvalidParameterException", message)
    }

    pub(crate) fn group_not_found() -> LogsError {
        LogsError::new("ResourceNotFoundException", "The specified log group does not exist.")
    }

    pub(crate) fn stream_not_found() -> LogsError {
        LogsError::new("ResourceNotFoundException", "The specified log stream does not exist.")
    }

    pub(crate) fn limit_exceeded() -> LogsError {
        LogsError::new("LimitExceededException", "Resource limit exceeded.")
    }

    pub(crate) fn invalid_token() -> LogsError {
        LogsError::invalid("The specified nextToken is invalid.")
    }

    /// A failure of ours (the disk, a document that no longer decodes).
    pub(crate) fn internal(message: impl Into<String>) -> LogsError {
        LogsError { status: 500, code: "ServiceUnavailableException", message: message.into() }
    }
}

impl From<aws_model::RequestError> for LogsError {
    fn from(e: aws_model::RequestError) -> Self {
        match e {
            // CloudWatch Logs answers model constraint failures as
            // InvalidParameterException, in Coral's "N validation errors detected" words.
            aws_model::RequestError::Validation(v) => LogsError::invalid(v.message()),
            other => LogsError::new(other.code(), other.to_string()),
        }
    }
}

impl From<docstore::Error> for LogsError {
    fn from(e: docstore::Error) -> Self {
        LogsError::internal(e.to_string())
    }
}

impl From<rusqlite::Error> for LogsError {
    fn from(e: rusqlite::Error) -> Self {
        LogsError::internal(format!("CloudWatch Logs store failure: {e}"))
    }
}
