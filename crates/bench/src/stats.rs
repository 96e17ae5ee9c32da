//! Counting and latency math: live counters the progress line reads,
//! per-worker latency histograms merged at the end, and the derived rates.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

/// Largest latency a histogram records, in microseconds (a minute); longer
/// calls are clamped, and the call timeout is of the same order anyway.
const LATENCY_US_MAX: u64 = 60_000_000;
/// Significant decimal digits the histogram keeps (0.1% resolution).
const LATENCY_SIGNIFICANT_DIGITS: u8 = 3;
/// Bytes in a megabyte as reported (decimal, as network figures are).
pub const BYTES_PER_MB: f64 = 1_000_000.0;

/// Live totals of a phase, bumped by workers and read by the progress line.
#[derive(Debug, Default)]
pub struct Counters {
    pub requests: AtomicU64,
    pub records: AtomicU64,
    pub bytes: AtomicU64,
    /// Calls that failed outright (transport or non-throttle AWS error).
    pub errors: AtomicU64,
    /// Records refused for throughput (ProvisionedThroughputExceededException),
    /// per record in PutRecords or for a whole refused call.
    pub throttled: AtomicU64,
    /// Records refused for another reason (e.g. InternalFailure).
    pub failed: AtomicU64,
    /// The first error of the phase, to show what went wrong.
    pub first_error: Mutex<Option<String>>,
}

impl Counters {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    /// Keeps `error` if it is the phase's first.
    pub fn note_error(&self, error: &dyn std::fmt::Display) {
        let mut first = self.first_error.lock().unwrap_or_else(|e| e.into_inner());
        if first.is_none() {
            *first = Some(error.to_string());
        }
    }

    pub fn first_error(&self) -> Option<String> {
        self.first_error.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn snapshot(&self) -> CounterSnapshot {
        CounterSnapshot {
            requests: Counters::get(&self.requests),
            records: Counters::get(&self.records),
            bytes: Counters::get(&self.bytes),
            errors: Counters::get(&self.errors),
            throttled: Counters::get(&self.throttled),
            failed: Counters::get(&self.failed),
        }
    }
}

/// The counters at one instant.
#[derive(Debug, Default, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct CounterSnapshot {
    pub requests: u64,
    pub records: u64,
    pub bytes: u64,
    pub errors: u64,
    pub throttled: u64,
    pub failed: u64,
}

/// Events per second over `elapsed`; zero for an empty interval.
pub fn per_second(count: u64, elapsed: Duration) -> f64 {
    let seconds = elapsed.as_secs_f64();
    if seconds <= 0.0 {
        0.0
    } else {
        count as f64 / seconds
    }
}

/// Decimal megabytes per second over `elapsed`.
pub fn mb_per_second(bytes: u64, elapsed: Duration) -> f64 {
    per_second(bytes, elapsed) / BYTES_PER_MB
}

/// A latency histogram in microseconds.
pub struct Latency(Histogram<u64>);

impl Default for Latency {
    fn default() -> Self {
        Latency(
            Histogram::new_with_bounds(1, LATENCY_US_MAX, LATENCY_SIGNIFICANT_DIGITS)
                .expect("static histogram bounds are valid"),
        )
    }
}

impl Latency {
    /// Records one latency, clamped into the histogram's range.
    pub fn record(&mut self, latency: Duration) {
        let us = (latency.as_micros() as u64).clamp(1, LATENCY_US_MAX);
        self.0.record(us).expect("clamped into range");
    }

    /// Adds another worker's histogram.
    pub fn merge(&mut self, other: &Latency) {
        self.0.add(&other.0).expect("same bounds");
    }

    /// Percentiles in milliseconds; `None` when nothing was recorded.
    pub fn summary(&self) -> Option<LatencySummary> {
        if self.0.is_empty() {
            return None;
        }
        let ms = |us: u64| us as f64 / 1000.0;
        Some(LatencySummary {
            count: self.0.len(),
            mean_ms: self.0.mean() / 1000.0,
            p50_ms: ms(self.0.value_at_quantile(0.50)),
            p99_ms: ms(self.0.value_at_quantile(0.99)),
            p999_ms: ms(self.0.value_at_quantile(0.999)),
            max_ms: ms(self.0.max()),
        })
    }
}

/// Latency percentiles of a phase, in milliseconds.
#[derive(Debug, Clone, Serialize)]
pub struct LatencySummary {
    pub count: u64,
    pub mean_ms: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_divide_by_elapsed_seconds() {
        assert_eq!(per_second(1000, Duration::from_millis(500)), 2000.0);
        assert_eq!(per_second(5, Duration::ZERO), 0.0);
        assert_eq!(mb_per_second(3_000_000, Duration::from_secs(2)), 1.5);
    }

    #[test]
    fn percentiles_of_one_to_ten_thousand_microseconds() {
        let mut latency = Latency::default();
        for us in 1..=10_000u64 {
            latency.record(Duration::from_micros(us));
        }
        let s = latency.summary().unwrap();
        assert_eq!(s.count, 10_000);
        // Three significant digits: each value within 0.1% of the exact one.
        assert!((s.p50_ms - 5.0).abs() <= 0.005, "{s:?}");
        assert!((s.p99_ms - 9.9).abs() <= 0.01, "{s:?}");
        assert!((s.p999_ms - 9.99).abs() <= 0.01, "{s:?}");
        assert!((s.max_ms - 10.0).abs() <= 0.01, "{s:?}");
        assert!((s.mean_ms - 5.0005).abs() <= 0.01, "{s:?}");
    }

    #[test]
    fn merge_adds_counts_and_extremes_clamp() {
        let mut a = Latency::default();
        let mut b = Latency::default();
        a.record(Duration::ZERO);
        b.record(Duration::from_secs(3600));
        a.merge(&b);
        let s = a.summary().unwrap();
        assert_eq!(s.count, 2);
        assert_eq!(s.p50_ms, 0.001);
        assert!((s.max_ms - 60_000.0).abs() <= 60.0, "{s:?}");
        assert!(Latency::default().summary().is_none());
    }

    #[test]
    fn counters_snapshot_reads_every_field() {
        let c = Counters::default();
        Counters::add(&c.requests, 2);
        Counters::add(&c.throttled, 3);
        let s = c.snapshot();
        assert_eq!((s.requests, s.throttled, s.records), (2, 3, 0));
    }
}
