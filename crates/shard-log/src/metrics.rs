//! Counters of the log: appended bytes and records, fsyncs and their latency.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// Buckets of the fsync latency histogram: bucket i counts latencies in
/// [2^i, 2^(i+1)) microseconds.
const LATENCY_BUCKETS: usize = 32;

#[derive(Debug)]
pub(crate) struct Metrics {
    pub bytes_appended: AtomicU64,
    pub records_appended: AtomicU64,
    pub batches_appended: AtomicU64,
    pub append_errors: AtomicU64,
    pub fsyncs: AtomicU64,
    pub fsync_errors: AtomicU64,
    pub commit_groups: AtomicU64,
    fsync_us_total: AtomicU64,
    fsync_us_max: AtomicU64,
    fsync_us_buckets: [AtomicU64; LATENCY_BUCKETS],
    pub segments_deleted: AtomicU64,
    pub bytes_deleted: AtomicU64,
    pub torn_tails_truncated: AtomicU64,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            bytes_appended: AtomicU64::new(0),
            records_appended: AtomicU64::new(0),
            batches_appended: AtomicU64::new(0),
            append_errors: AtomicU64::new(0),
            fsyncs: AtomicU64::new(0),
            fsync_errors: AtomicU64::new(0),
            commit_groups: AtomicU64::new(0),
            fsync_us_total: AtomicU64::new(0),
            fsync_us_max: AtomicU64::new(0),
            fsync_us_buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            segments_deleted: AtomicU64::new(0),
            bytes_deleted: AtomicU64::new(0),
            torn_tails_truncated: AtomicU64::new(0),
        }
    }
}

impl Metrics {
    pub fn record_fsync(&self, took: Duration, ok: bool) {
        let us = took.as_micros().min(u128::from(u64::MAX)) as u64;
        self.fsyncs.fetch_add(1, Relaxed);
        if !ok {
            self.fsync_errors.fetch_add(1, Relaxed);
        }
        self.fsync_us_total.fetch_add(us, Relaxed);
        self.fsync_us_max.fetch_max(us, Relaxed);
        let bucket = (64 - us.max(1).leading_zeros() as usize - 1).min(LATENCY_BUCKETS - 1);
        self.fsync_us_buckets[bucket].fetch_add(1, Relaxed);
    }

    pub fn snapshot(&self) -> MetricsSnapshot {
        let buckets: Vec<u64> = self.fsync_us_buckets.iter().map(|b| b.load(Relaxed)).collect();
        let fsyncs = self.fsyncs.load(Relaxed);
        MetricsSnapshot {
            bytes_appended: self.bytes_appended.load(Relaxed),
            records_appended: self.records_appended.load(Relaxed),
            batches_appended: self.batches_appended.load(Relaxed),
            append_errors: self.append_errors.load(Relaxed),
            fsyncs,
            fsync_errors: self.fsync_errors.load(Relaxed),
            commit_groups: self.commit_groups.load(Relaxed),
            fsync_us_mean: self.fsync_us_total.load(Relaxed).checked_div(fsyncs).unwrap_or(0),
            fsync_us_max: self.fsync_us_max.load(Relaxed),
            fsync_us_p50: quantile_us(&buckets, 0.50),
            fsync_us_p99: quantile_us(&buckets, 0.99),
            segments_deleted: self.segments_deleted.load(Relaxed),
            bytes_deleted: self.bytes_deleted.load(Relaxed),
            torn_tails_truncated: self.torn_tails_truncated.load(Relaxed),
        }
    }
}

/// Upper edge of the bucket holding quantile `q` (an over-estimate by at most 2x).
fn quantile_us(buckets: &[u64], q: f64) -> u64 {
    let total: u64 = buckets.iter().sum();
    if total == 0 {
        return 0;
    }
    let rank = ((total as f64) * q).ceil().max(1.0) as u64;
    let mut seen = 0;
    for (i, count) in buckets.iter().enumerate() {
        seen += count;
        if seen >= rank {
            return 1u64 << (i + 1);
        }
    }
    1u64 << buckets.len()
}

/// A copy of the log's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MetricsSnapshot {
    pub bytes_appended: u64,
    pub records_appended: u64,
    pub batches_appended: u64,
    pub append_errors: u64,
    pub fsyncs: u64,
    pub fsync_errors: u64,
    /// Rounds of the group committer that synced something.
    pub commit_groups: u64,
    pub fsync_us_mean: u64,
    pub fsync_us_max: u64,
    /// Approximate (power-of-two bucket upper edge).
    pub fsync_us_p50: u64,
    /// Approximate (power-of-two bucket upper edge).
    pub fsync_us_p99: u64,
    pub segments_deleted: u64,
    pub bytes_deleted: u64,
    pub torn_tails_truncated: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fsync_quantiles_come_from_buckets() {
        let m = Metrics::default();
        for _ in 0..98 {
            m.record_fsync(Duration::from_micros(100), true);
        }
        m.record_fsync(Duration::from_micros(5000), true);
        m.record_fsync(Duration::from_micros(5000), false);
        let s = m.snapshot();
        assert_eq!(s.fsyncs, 100);
        assert_eq!(s.fsync_errors, 1);
        assert_eq!(s.fsync_us_p50, 128);
        assert_eq!(s.fsync_us_p99, 8192);
        assert_eq!(s.fsync_us_max, 5000);
    }
}
