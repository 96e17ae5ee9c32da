//! Throughput limits as AWS enforces them, with token buckets on the
//! injectable clock: per shard, writes of 1 MiB/s and 1,000 records/s and
//! reads of 2 MiB/s and 5 GetRecords calls/s (a 10 MiB GetRecords leaves
//! the shard in debt, so the calls of the next seconds are throttled);
//! on-demand streams are bounded by their stream's write capacity instead.

use std::collections::HashMap;

use parking_lot::Mutex;

/// Limits in force (`--limits aws|off` and the per-shard numbers).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    pub enabled: bool,
    /// Control-plane call rates (CreateStream 5/s, DescribeStream 10/s, ...).
    pub control_enabled: bool,
    pub shard_write_bytes_per_sec: f64,
    pub shard_write_records_per_sec: f64,
    pub shard_read_bytes_per_sec: f64,
    pub shard_read_calls_per_sec: f64,
    /// Write capacity an on-demand stream starts with (AWS: 4 MiB/s, 4,000 records/s).
    pub on_demand_write_bytes_per_sec: f64,
    pub on_demand_write_records_per_sec: f64,
}

impl Limits {
    /// AWS's documented limits.
    pub const AWS: Limits = Limits {
        enabled: true,
        control_enabled: true,
        shard_write_bytes_per_sec: 1024.0 * 1024.0,
        shard_write_records_per_sec: 1000.0,
        shard_read_bytes_per_sec: 2.0 * 1024.0 * 1024.0,
        shard_read_calls_per_sec: 5.0,
        on_demand_write_bytes_per_sec: 4.0 * 1024.0 * 1024.0,
        on_demand_write_records_per_sec: 4000.0,
    };

    pub const OFF: Limits = Limits { enabled: false, ..Limits::AWS };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::AWS
    }
}

/// A token bucket; by default it holds one second of its rate.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    rate_per_sec: f64,
    /// Seconds of rate the bucket holds at most.
    burst_secs: f64,
    last_ms: i64,
}

impl Bucket {
    fn new(rate_per_sec: f64, now_ms: i64) -> Bucket {
        Bucket { tokens: rate_per_sec, rate_per_sec, burst_secs: 1.0, last_ms: now_ms }
    }

    fn refill(&mut self, now_ms: i64) {
        let elapsed_sec = (now_ms - self.last_ms).max(0) as f64 / 1000.0;
        self.tokens = (self.tokens + elapsed_sec * self.rate_per_sec).min(self.rate_per_sec * self.burst_secs);
        self.last_ms = now_ms;
    }
}

/// The buckets of one shard (or, for on-demand writes, one stream).
#[derive(Debug)]
struct ShardBuckets {
    write_bytes: Bucket,
    write_records: Bucket,
    read_bytes: Bucket,
    read_calls: Bucket,
}

/// What a write is charged to: a provisioned shard, or an on-demand stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WriteScope {
    Shard { stream_uid: u64, shard_index: u32 },
    Stream { stream_uid: u64 },
}

/// Every bucket of the server, created on first use.
#[derive(Debug)]
pub struct Limiter {
    limits: Limits,
    buckets: Mutex<HashMap<WriteScope, ShardBuckets>>,
}

impl Limiter {
    pub fn new(limits: Limits) -> Limiter {
        Limiter { limits, buckets: Mutex::new(HashMap::new()) }
    }

    fn with<T>(&self, scope: WriteScope, now_ms: i64, f: impl FnOnce(&mut ShardBuckets) -> T) -> T {
        let l = &self.limits;
        let (bytes, records) = match scope {
            WriteScope::Shard { .. } => (l.shard_write_bytes_per_sec, l.shard_write_records_per_sec),
            WriteScope::Stream { .. } => (l.on_demand_write_bytes_per_sec, l.on_demand_write_records_per_sec),
        };
        let mut all = self.buckets.lock();
        let b = all.entry(scope).or_insert_with(|| ShardBuckets {
            write_bytes: Bucket::new(bytes, now_ms),
            write_records: Bucket::new(records, now_ms),
            read_bytes: Bucket::new(l.shard_read_bytes_per_sec, now_ms),
            read_calls: Bucket::new(l.shard_read_calls_per_sec, now_ms),
        });
        for bucket in [&mut b.write_bytes, &mut b.write_records, &mut b.read_bytes, &mut b.read_calls] {
            bucket.refill(now_ms);
        }
        f(b)
    }

    /// Takes one record of `bytes` from the write capacity; false when it
    /// would exceed it (the record is throttled, nothing is taken).
    pub fn admit_write(&self, scope: WriteScope, bytes: usize, now_ms: i64) -> bool {
        if !self.limits.enabled {
            return true;
        }
        self.with(scope, now_ms, |b| {
            // A record larger than a second of capacity (MaxRecordSizeInKiB
            // above 1 MiB) waits for a full bucket, then leaves it in debt.
            let needed = (bytes as f64).min(b.write_bytes.rate_per_sec);
            let fits = b.write_bytes.tokens >= needed && b.write_records.tokens >= 1.0;
            if fits {
                b.write_bytes.tokens -= bytes as f64;
                b.write_records.tokens -= 1.0;
            }
            fits
        })
    }

    /// Admits a GetRecords call on a shard: false while the shard's read
    /// calls or bytes are used up.
    pub fn admit_read(&self, stream_uid: u64, shard_index: u32, now_ms: i64) -> bool {
        if !self.limits.enabled {
            return true;
        }
        self.with(WriteScope::Shard { stream_uid, shard_index }, now_ms, |b| {
            // Reads go into debt: a 10 MiB GetRecords (2 MiB of burst, then
            // 8 MiB owed at 2 MiB/s) throttles the shard's next 4 seconds.
            let fits = b.read_calls.tokens >= 1.0 && b.read_bytes.tokens > 0.0;
            if fits {
                b.read_calls.tokens -= 1.0;
            }
            fits
        })
    }

    /// Charges the bytes a GetRecords returned (may leave the shard in debt).
    pub fn charge_read(&self, stream_uid: u64, shard_index: u32, bytes: usize, now_ms: i64) {
        if self.limits.enabled {
            self.with(WriteScope::Shard { stream_uid, shard_index }, now_ms, |b| b.read_bytes.tokens -= bytes as f64);
        }
    }

    /// Sets an on-demand stream's write capacity (records scale with bytes).
    pub fn set_stream_capacity(&self, stream_uid: u64, bytes_per_sec: f64, now_ms: i64) {
        let l = self.limits;
        let records_per_sec = l.on_demand_write_records_per_sec * bytes_per_sec / l.on_demand_write_bytes_per_sec;
        self.with(WriteScope::Stream { stream_uid }, now_ms, |b| {
            b.write_bytes.rate_per_sec = bytes_per_sec;
            b.write_records.rate_per_sec = records_per_sec;
        });
    }

    /// Forgets the buckets of a deleted stream.
    pub fn forget_stream(&self, stream_uid: u64) {
        self.buckets.lock().retain(|scope, _| match scope {
            WriteScope::Shard { stream_uid: u, .. } | WriteScope::Stream { stream_uid: u } => *u != stream_uid,
        });
    }
}

/// Seconds of burst a control-plane bucket holds.
const CONTROL_BURST_SECS: f64 = 5.0;

/// Control-plane call rates per account (AWS's documented quotas), and
/// per shard for GetShardIterator and per consumer for SubscribeToShard.
pub(crate) fn control_rate(operation: &str) -> Option<f64> {
    Some(match operation {
        "CreateStream"
        | "DeleteStream"
        | "ListStreams"
        | "MergeShards"
        | "SplitShard"
        | "AddTagsToStream"
        | "RemoveTagsFromStream"
        | "ListTagsForStream"
        | "IncreaseStreamRetentionPeriod"
        | "DecreaseStreamRetentionPeriod"
        | "RegisterStreamConsumer"
        | "DeregisterStreamConsumer"
        | "ListStreamConsumers"
        | "GetShardIterator" => 5.0,
        "DescribeStream" => 10.0,
        "DescribeStreamSummary" | "DescribeStreamConsumer" | "SubscribeToShard" => 20.0,
        "DescribeLimits" => 1.0,
        "ListShards" => 1000.0,
        _ => return None,
    })
}

/// Token buckets of control-plane calls, keyed by operation and scope.
#[derive(Debug)]
pub struct ControlLimiter {
    enabled: bool,
    buckets: Mutex<HashMap<(&'static str, String), Bucket>>,
}

impl ControlLimiter {
    pub fn new(enabled: bool) -> ControlLimiter {
        ControlLimiter { enabled, buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes one call of `operation` in `scope` (the account, a shard, a
    /// consumer); false when its rate is exceeded. Operations without a
    /// quota always pass.
    pub fn admit(&self, operation: &'static str, scope: &str, now_ms: i64) -> bool {
        let Some(rate) = control_rate(operation).filter(|_| self.enabled) else { return true };
        let mut buckets = self.buckets.lock();
        let bucket = buckets.entry((operation, scope.to_string())).or_insert_with(|| Bucket {
            tokens: rate * CONTROL_BURST_SECS,
            rate_per_sec: rate,
            burst_secs: CONTROL_BURST_SECS,
            last_ms: now_ms,
        });
        bucket.refill(now_ms);
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_calls_are_limited_per_operation_with_a_burst() {
        let l = ControlLimiter::new(true);
        let created = (0..40).filter(|_| l.admit("CreateStream", "account", 0)).count();
        assert_eq!(created, 25, "5 per second with five seconds of burst");
        assert!(l.admit("DescribeStream", "account", 0), "another operation has its own bucket");
        assert!(!l.admit("CreateStream", "account", 100));
        assert!(l.admit("CreateStream", "account", 200));
        assert!(l.admit("PutRecord", "account", 0), "data-plane calls are limited elsewhere");
        assert!(ControlLimiter::new(false).admit("DescribeLimits", "account", 0));
    }

    const MIB: usize = 1024 * 1024;

    #[test]
    fn writes_are_bounded_per_second_by_bytes_and_records() {
        let l = Limiter::new(Limits::AWS);
        let shard = WriteScope::Shard { stream_uid: 1, shard_index: 0 };
        assert!(l.admit_write(shard, MIB - 10, 0));
        assert!(!l.admit_write(shard, 100, 0), "the second's bytes are spent");
        assert!(l.admit_write(shard, 100, 1), "a millisecond later, about 1 KiB more");
        let other = WriteScope::Shard { stream_uid: 1, shard_index: 1 };
        let admitted = (0..1500).filter(|_| l.admit_write(other, 1, 5)).count();
        assert_eq!(admitted, 1000, "1,000 records per second");
        let big = WriteScope::Shard { stream_uid: 1, shard_index: 2 };
        assert!(l.admit_write(big, 3 * MIB, 0), "a record over a second of capacity goes when the bucket is full");
        assert!(!l.admit_write(big, 1, 1500), "and leaves the shard in debt for about two seconds");
        assert!(l.admit_write(big, 1, 2100));
    }

    #[test]
    fn a_ten_mib_read_throttles_the_following_seconds() {
        let l = Limiter::new(Limits::AWS);
        assert!(l.admit_read(1, 0, 0));
        l.charge_read(1, 0, 10 * MIB, 0);
        for ms in [200, 1000, 3000, 3900] {
            assert!(!l.admit_read(1, 0, ms), "throttled at {ms} ms");
        }
        assert!(l.admit_read(1, 0, 4100), "allowed once the debt is paid");
        let calls = (0..10).filter(|_| l.admit_read(1, 1, 10_000)).count();
        assert_eq!(calls, 5, "five calls per second");
    }

    #[test]
    fn off_admits_everything() {
        let l = Limiter::new(Limits::OFF);
        let shard = WriteScope::Shard { stream_uid: 1, shard_index: 0 };
        assert!((0..10_000).all(|_| l.admit_write(shard, MIB, 0)));
    }
}
