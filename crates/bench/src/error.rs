//! The ways a bench run can fail, kept apart so that a workload can count
//! throttling and AWS errors instead of aborting on them.

/// A failed call or a failed run.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// The endpoint could not be reached or the connection broke mid-request.
    #[error("transport: {0}")]
    Transport(String),
    /// The endpoint answered with an AWS-shaped error (`__type`).
    #[error("{code} (HTTP {status}): {message}")]
    Aws { status: u16, code: String, message: String },
    /// The endpoint answered something that is not the documented shape.
    #[error("unexpected response: {0}")]
    Protocol(String),
    /// A bad option or an impossible setup (for example a shard limit too low).
    #[error("{0}")]
    Setup(String),
}

impl BenchError {
    /// True for the error code AWS uses when a shard's or account's rate is exceeded.
    pub fn is_throttle(&self) -> bool {
        matches!(self, BenchError::Aws { code, .. } if is_throttle_code(code))
    }
}

/// Error codes that mean "slow down" rather than "this request is wrong".
pub fn is_throttle_code(code: &str) -> bool {
    matches!(code, "ProvisionedThroughputExceededException" | "ThrottlingException")
}

/// The result type of the bench.
pub type Result<T> = std::result::Result<T, BenchError>;
