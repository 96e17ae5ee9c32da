//! Errors of the shard log.

use std::sync::Arc;

use crate::ShardId;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Every way a log operation can fail. Cloneable so one failed fsync can be
/// reported to every append that waited on it.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    #[error("shard {0} does not exist")]
    ShardNotFound(ShardId),
    #[error("shard {0} already exists")]
    ShardExists(ShardId),
    #[error("shard {0} is closed to appends")]
    ShardClosed(ShardId),
    #[error("invalid shard id {0:?}: use 1-200 of [A-Za-z0-9_.-], not starting with '.'")]
    InvalidShardId(String),
    #[error("invalid batch: {0}")]
    InvalidBatch(String),
    #[error("corrupt data in shard {shard}, segment {segment}, at byte offset {offset}: {reason}")]
    Corrupt { shard: String, segment: String, offset: u64, reason: String },
    #[error("{context}: {source}")]
    Io { context: String, source: Arc<std::io::Error> },
    #[error("the log is shut down")]
    ShutDown,
    #[error("data dir {0} is in use by another process")]
    Locked(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// Wraps an I/O error with what was being done.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Error {
        Error::Io { context: context.into(), source: Arc::new(source) }
    }

    /// The OS error number of an I/O failure (ENOSPC, EIO...), if any.
    pub fn raw_os_error(&self) -> Option<i32> {
        match self {
            Error::Io { source, .. } => source.raw_os_error(),
            _ => None,
        }
    }
}
