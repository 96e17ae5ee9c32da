//! The CloudWatch metrics Kinesis publishes (namespace `AWS/Kinesis`), as
//! AWS documents them: stream-level metrics always (dimension `StreamName`),
//! shard-level ones (dimensions `StreamName`, `ShardId`) for the metrics
//! enhanced monitoring enabled.
//!
//! Every call records its values into one-minute cells (sample count, sum,
//! minimum, maximum: one sample per API call, as CloudWatch's "Samples"
//! statistic counts them); [`crate::Kinesis::drain_metrics`] hands over the
//! cells of finished minutes, for the server to store in CloudWatch. At most
//! [`CELLS_MAX`] cells wait; past that new ones are dropped and counted.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;

/// The namespace of Kinesis metrics.
pub const NAMESPACE: &str = "AWS/Kinesis";
/// Cells (metric x stream x shard x minute) that may wait to be drained.
pub const CELLS_MAX: usize = 100_000;
/// The resolution of Kinesis metrics: one minute.
pub const MINUTE_MS: i64 = 60_000;

/// The shard-level metrics enhanced monitoring can enable (`ShardLevelMetrics`).
pub const SHARD_LEVEL: &[&str] = &[
    "IncomingBytes",
    "IncomingRecords",
    "OutgoingBytes",
    "OutgoingRecords",
    "WriteProvisionedThroughputExceeded",
    "ReadProvisionedThroughputExceeded",
    "IteratorAgeMilliseconds",
];

/// The unit of a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unit {
    Bytes,
    Count,
    Milliseconds,
}

impl Unit {
    /// CloudWatch's name of the unit.
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Bytes => "Bytes",
            Unit::Count => "Count",
            Unit::Milliseconds => "Milliseconds",
        }
    }
}

/// One finished minute of one metric: a CloudWatch statistic set.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricSample {
    pub metric_name: &'static str,
    pub stream_name: String,
    /// `Some` for shard-level metrics.
    pub shard_id: Option<String>,
    pub unit: Unit,
    /// The minute's start, epoch milliseconds.
    pub minute_ms: i64,
    pub sample_count: f64,
    pub sum: f64,
    pub minimum: f64,
    pub maximum: f64,
}

/// A cell within a stream: shard (None: stream-level), metric, minute.
type CellKey = (Option<u32>, &'static str, i64);

#[derive(Debug, Clone, Copy)]
struct Cell {
    unit: Unit,
    count: f64,
    sum: f64,
    min: f64,
    max: f64,
}

/// The cells of the minutes not drained yet, by stream (so that recording
/// allocates nothing once a stream's cells exist).
#[derive(Default)]
pub(crate) struct Recorder {
    cells: Mutex<Cells>,
    dropped: AtomicU64,
}

#[derive(Default)]
struct Cells {
    by_stream: HashMap<String, HashMap<CellKey, Cell>>,
    count: usize,
}

/// Where one API call's values go.
pub(crate) struct Sample<'a> {
    pub stream: &'a str,
    /// The shard the values are about, and the stream's enabled shard-level metrics.
    pub shard: Option<(u32, &'a [String])>,
    pub now_ms: i64,
}

/// One value of one metric: name, unit, value.
pub(crate) type Value = (&'static str, Unit, f64);

impl Recorder {
    /// Records each value for the stream, and for the shard too when the metric is
    /// shard-level and enabled for the stream. One lock for all of them.
    pub fn record(&self, at: &Sample<'_>, values: &[Value]) {
        self.record_in(at, values, true);
    }

    /// Records each value for the shard only (when shard-level and enabled).
    pub fn record_shard(&self, at: &Sample<'_>, values: &[Value]) {
        self.record_in(at, values, false);
    }

    fn record_in(&self, at: &Sample<'_>, values: &[Value], stream_level: bool) {
        let minute = at.now_ms - at.now_ms.rem_euclid(MINUTE_MS);
        let enabled = |metric: &str| match at.shard {
            Some((shard, names))
                if SHARD_LEVEL.contains(&metric) && names.iter().any(|m| m == metric || m == "ALL") =>
            {
                Some(shard)
            }
            _ => None,
        };
        let mut guard = self.cells.lock();
        let cells = &mut *guard;
        if !cells.by_stream.contains_key(at.stream) {
            cells.by_stream.insert(at.stream.to_string(), HashMap::new());
        }
        let stream = cells.by_stream.get_mut(at.stream).expect("inserted above");
        for &(metric, unit, value) in values {
            if stream_level {
                self.add(stream, &mut cells.count, (None, metric, minute), unit, value);
            }
            if let Some(shard) = enabled(metric) {
                self.add(stream, &mut cells.count, (Some(shard), metric, minute), unit, value);
            }
        }
    }

    fn add(&self, cells: &mut HashMap<CellKey, Cell>, count: &mut usize, key: CellKey, unit: Unit, value: f64) {
        match cells.get_mut(&key) {
            Some(cell) => {
                cell.count += 1.0;
                cell.sum += value;
                cell.min = cell.min.min(value);
                cell.max = cell.max.max(value);
            }
            None if *count >= CELLS_MAX => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
            None => {
                cells.insert(key, Cell { unit, count: 1.0, sum: value, min: value, max: value });
                *count += 1;
            }
        }
    }

    /// Takes the cells of minutes that ended before `now_ms`.
    pub fn drain(&self, now_ms: i64) -> Vec<MetricSample> {
        let current = now_ms - now_ms.rem_euclid(MINUTE_MS);
        let mut guard = self.cells.lock();
        let cells = &mut *guard;
        let mut out = Vec::new();
        for (stream_name, stream) in cells.by_stream.iter_mut() {
            stream.retain(|&(shard, metric_name, minute_ms), cell| {
                if minute_ms >= current {
                    return true;
                }
                out.push(MetricSample {
                    metric_name,
                    stream_name: stream_name.clone(),
                    shard_id: shard.map(crate::model::shard_id),
                    unit: cell.unit,
                    minute_ms,
                    sample_count: cell.count,
                    sum: cell.sum,
                    minimum: cell.min,
                    maximum: cell.max,
                });
                false
            });
        }
        cells.by_stream.retain(|_, stream| !stream.is_empty());
        cells.count -= out.len();
        drop(guard);
        let dropped = self.dropped.swap(0, Ordering::Relaxed);
        if dropped > 0 {
            tracing::warn!(dropped, "kinesis metrics: too many cells waiting; values were dropped");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_aggregate_per_minute_and_shard_metrics_need_enhanced_monitoring() {
        let recorder = Recorder::default();
        let enabled = vec!["IncomingBytes".to_string()];
        let at = Sample { stream: "s", shard: Some((1, &enabled)), now_ms: 120_500 };
        recorder.record(&at, &[("IncomingBytes", Unit::Bytes, 10.0)]);
        recorder.record(&at, &[("IncomingBytes", Unit::Bytes, 30.0), ("IncomingRecords", Unit::Count, 2.0)]);
        // Not finished yet.
        assert!(recorder.drain(179_999).is_empty());
        let mut out = recorder.drain(180_000);
        out.sort_by_key(|s| (s.metric_name, s.shard_id.clone()));
        assert_eq!(out.len(), 3);
        let stream = &out[0];
        assert_eq!(
            (stream.metric_name, stream.shard_id.as_deref(), stream.minute_ms),
            ("IncomingBytes", None, 120_000)
        );
        assert_eq!((stream.sample_count, stream.sum, stream.minimum, stream.maximum), (2.0, 40.0, 10.0, 30.0));
        assert_eq!(out[1].shard_id.as_deref(), Some("shardId-000000000001"));
        assert_eq!((out[2].metric_name, out[2].shard_id.as_deref()), ("IncomingRecords", None));
        assert!(recorder.drain(10_000_000).is_empty());
    }
}
