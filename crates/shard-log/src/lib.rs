//! shard-log: the durable record log under every Kinesis shard.
//!
//! Each shard is a directory of append-only segment files. Every appended
//! batch becomes one CRC32C-protected frame; a sparse index per segment maps
//! positions and arrival times to file offsets. Appends are group committed:
//! one `fdatasync` per touched file covers every batch waiting on it, and
//! under [`Durability::Always`] a batch is acknowledged (and visible to
//! readers) only once it is on disk.
//!
//! [`ShardLog`] is the narrow interface the Kinesis service uses, so that a
//! second backend (a clustered one) can stand beside [`FileLog`].

mod clock;
mod commit;
mod error;
mod fault;
mod fdcache;
pub mod frame;
mod log;
mod metrics;
mod options;
pub mod segment;
mod shard;
mod ticket;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{Error, Result};
pub use fault::FaultInjector;
pub use log::FileLog;
pub use metrics::MetricsSnapshot;
pub use options::{Durability, LogOptions};
pub use ticket::AppendTicket;

use bytes::Bytes;

/// Named bounds on what one append may carry.
pub mod limits {
    /// Records in one appended batch.
    pub const BATCH_RECORDS_MAX: usize = 100_000;
    /// Bytes of one batch's frame payload.
    pub const BATCH_PAYLOAD_BYTES_MAX: usize = 64 * 1024 * 1024;
    /// Bytes of one partition key.
    pub const PARTITION_KEY_BYTES_MAX: usize = u16::MAX as usize;
    /// Bytes of one record's data.
    pub const RECORD_DATA_BYTES_MAX: usize = 32 * 1024 * 1024;
    /// Characters of a shard id.
    pub const SHARD_ID_CHARS_MAX: usize = 200;
}

/// A shard's name in the log: `[A-Za-z0-9_.-]{1,200}`, not starting with '.'.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ShardId(String);

impl ShardId {
    /// Validates a shard name; it becomes a directory name.
    pub fn new(name: impl Into<String>) -> Result<ShardId> {
        let name = name.into();
        let ok = !name.is_empty()
            && name.len() <= limits::SHARD_ID_CHARS_MAX
            && !name.starts_with('.')
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
        if ok {
            Ok(ShardId(name))
        } else {
            Err(Error::InvalidShardId(name))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ShardId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A record to append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub partition_key: Bytes,
    pub data: Bytes,
    /// Arrival time in epoch milliseconds; clamped so it never goes backwards
    /// within a shard.
    pub arrival_ms: i64,
}

/// A record read back, with the position the log assigned to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRecord {
    pub position: u64,
    pub arrival_ms: i64,
    pub partition_key: Bytes,
    pub data: Bytes,
}

/// How a shard starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardSpec {
    /// Position of the shard's first record (lets a child shard continue
    /// after its parents).
    pub start_position: u64,
    /// Records older than this are never returned and their segments deleted.
    pub retention_ms: i64,
}

/// What an acknowledged append was assigned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppendAck {
    pub first_position: u64,
    pub record_count: u32,
    /// Arrival time stored for the first record (after clamping).
    pub arrival_ms: i64,
}

impl AppendAck {
    /// Position after the last record of the batch.
    pub fn end_position(&self) -> u64 {
        self.first_position + u64::from(self.record_count)
    }
}

/// Bounds on one read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadLimits {
    pub records_max: usize,
    /// Partition key plus data bytes; the first record is returned even when
    /// it alone is larger.
    pub bytes_max: usize,
}

/// The result of a read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadBatch {
    pub records: Vec<StoredRecord>,
    /// Where the next read should start.
    pub next_position: u64,
}

/// A shard's readable range and state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardBounds {
    /// Oldest readable position (first record within retention), or `end`.
    pub trim_horizon: u64,
    /// Position the next appended record will get, i.e. one past the latest
    /// visible record.
    pub end: u64,
    pub closed: bool,
    pub retention_ms: i64,
}

/// What one retention pass removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetentionReport {
    pub segments_deleted: u64,
    pub bytes_deleted: u64,
}

/// The storage interface under Kinesis shards.
pub trait ShardLog: Send + Sync + 'static {
    /// Creates an empty shard; `ShardExists` if it is already there.
    fn create_shard(&self, id: &ShardId, spec: ShardSpec) -> Result<()>;
    /// Seals a shard: reads go on, appends fail with `ShardClosed`.
    fn close_shard(&self, id: &ShardId) -> Result<()>;
    /// Undoes `close_shard`: for a caller whose own record of the close
    /// was lost in a crash.
    fn reopen_shard(&self, id: &ShardId) -> Result<()>;
    /// Removes a shard and all its records.
    fn delete_shard(&self, id: &ShardId) -> Result<()>;
    /// Ids of every shard in the log.
    fn shard_ids(&self) -> Vec<ShardId>;
    /// Changes how long a shard keeps its records.
    fn set_retention(&self, id: &ShardId, retention_ms: i64) -> Result<()>;
    /// Writes a batch; the ticket resolves once the batch is durable under the
    /// configured durability. Positions are assigned in call order.
    fn append(&self, id: &ShardId, records: &[Record]) -> Result<AppendTicket>;
    /// Reads visible records at or after `from`, skipping expired ones.
    fn read(&self, id: &ShardId, from: u64, limits: ReadLimits) -> Result<ReadBatch>;
    /// Position of the first visible record with arrival time >= `at_ms`, or
    /// the end when there is none.
    fn position_at_time(&self, id: &ShardId, at_ms: i64) -> Result<u64>;
    /// Trim horizon, end and state of a shard.
    fn bounds(&self, id: &ShardId) -> Result<ShardBounds>;
    /// Whether a shard is closed; does not recover the shard (cheap at startup).
    fn is_closed(&self, id: &ShardId) -> Result<bool>;
    /// One past the latest visible position: cheaper than `bounds`, no I/O.
    fn end_position(&self, id: &ShardId) -> Result<u64>;
    /// A receiver of the shard's visible end, updated on every append that
    /// becomes visible: consumers wait on it instead of polling.
    fn watch_end(&self, id: &ShardId) -> Result<tokio::sync::watch::Receiver<u64>>;
    /// Deletes expired segments of every shard.
    fn enforce_retention(&self) -> Result<RetentionReport>;
    /// Counters since open.
    fn metrics(&self) -> MetricsSnapshot;
    /// Makes everything written so far durable, whatever the durability mode.
    fn flush(&self) -> Result<()>;
}
