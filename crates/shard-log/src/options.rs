//! Tunables of the file log, each with a named default.

use std::sync::Arc;
use std::time::Duration;

use crate::{Clock, FaultInjector, SystemClock};

/// When an append is acknowledged relative to its fsync.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Acknowledge (and show to readers) only after the batch is fsynced.
    Always,
    /// Acknowledge after the write; fsync every given period.
    Interval(Duration),
    /// Acknowledge after the write; leave flushing to the OS.
    None,
}

/// Options of [`crate::FileLog::open`].
#[derive(Debug, Clone)]
pub struct LogOptions {
    pub durability: Durability,
    /// A segment rolls when the next frame would take it past this size.
    pub segment_bytes_max: u64,
    /// A segment rolls when its first record is older than this, so
    /// retention can delete data of slow shards.
    pub segment_age_ms_max: i64,
    /// One sparse index entry per this many segment bytes.
    pub index_interval_bytes: u64,
    /// Open segment files kept across all shards.
    pub fd_cache_max: usize,
    /// Sealed segment indexes kept in memory across all shards.
    pub index_cache_segments_max: usize,
    /// Threads that fsync files of one commit group in parallel.
    pub sync_threads_max: usize,
    /// Shards one commit group syncs before acknowledging anything.
    pub commit_group_shards_max: usize,
    pub clock: Arc<dyn Clock>,
    pub faults: Option<Arc<FaultInjector>>,
}

/// Default segment size: small enough that retention frees space in useful
/// steps for thousands of shards, large enough that rolls are rare.
pub const SEGMENT_BYTES_MAX_DEFAULT: u64 = 64 * 1024 * 1024;
pub const SEGMENT_AGE_MS_MAX_DEFAULT: i64 = 60 * 60 * 1000;
pub const INDEX_INTERVAL_BYTES_DEFAULT: u64 = 64 * 1024;
pub const FD_CACHE_MAX_DEFAULT: usize = 512;
pub const INDEX_CACHE_SEGMENTS_MAX_DEFAULT: usize = 256;
pub const SYNC_THREADS_MAX_DEFAULT: usize = 4;
pub const COMMIT_GROUP_SHARDS_MAX_DEFAULT: usize = 4096;

impl Default for LogOptions {
    fn default() -> Self {
        LogOptions {
            durability: Durability::Always,
            segment_bytes_max: SEGMENT_BYTES_MAX_DEFAULT,
            segment_age_ms_max: SEGMENT_AGE_MS_MAX_DEFAULT,
            index_interval_bytes: INDEX_INTERVAL_BYTES_DEFAULT,
            fd_cache_max: FD_CACHE_MAX_DEFAULT,
            index_cache_segments_max: INDEX_CACHE_SEGMENTS_MAX_DEFAULT,
            sync_threads_max: SYNC_THREADS_MAX_DEFAULT,
            commit_group_shards_max: COMMIT_GROUP_SHARDS_MAX_DEFAULT,
            clock: Arc::new(SystemClock),
            faults: None,
        }
    }
}
