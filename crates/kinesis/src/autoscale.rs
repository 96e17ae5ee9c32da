//! On-demand streams scale themselves: a shard whose write rate stays above
//! a threshold is split, adjacent cold shards are merged back (never below
//! the initial count), and the stream's write capacity follows twice its
//! observed peak, between 4 MiB/s and 200 MiB/s. Every bound is in
//! [`OnDemandScaling`].

use std::collections::HashMap;
use std::time::Duration;

use parking_lot::Mutex;

use crate::model::{Mode, Status};
use crate::{KResult, Kinesis};

/// Tunables of on-demand scaling.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OnDemandScaling {
    /// A shard writing more than this, for `split_after`, is split.
    pub split_bytes_per_sec: f64,
    pub split_after: Duration,
    /// Two adjacent shards each writing less than this, for `merge_after`, are merged.
    pub merge_bytes_per_sec: f64,
    pub merge_after: Duration,
    /// Open shards an on-demand stream keeps at least.
    pub shards_min: u32,
    /// Write capacity bounds of an on-demand stream.
    pub capacity_initial_bytes_per_sec: f64,
    pub capacity_max_bytes_per_sec: f64,
    /// How often rates are measured and scaling decided.
    pub evaluate_every: Duration,
}

impl Default for OnDemandScaling {
    fn default() -> Self {
        OnDemandScaling {
            split_bytes_per_sec: 500.0 * 1024.0,
            split_after: Duration::from_secs(30),
            merge_bytes_per_sec: 50.0 * 1024.0,
            merge_after: Duration::from_secs(600),
            shards_min: crate::config::ON_DEMAND_INITIAL_SHARDS,
            capacity_initial_bytes_per_sec: 4.0 * 1024.0 * 1024.0,
            capacity_max_bytes_per_sec: 200.0 * 1024.0 * 1024.0,
            evaluate_every: Duration::from_secs(1),
        }
    }
}

/// An on-demand stream as the scaler sees it: name, uid, and its open
/// shards as (index, first hash key, last hash key), by hash key.
type StreamView = (String, u64, Vec<(u32, u128, u128)>);

/// Bytes written to a shard since the last evaluation, and how long it has
/// been hot or cold.
#[derive(Debug, Default, Clone, Copy)]
struct ShardMeter {
    bytes: u64,
    hot_since_ms: Option<i64>,
    cold_since_ms: Option<i64>,
}

/// Write meters of on-demand shards and the peak rate of each stream.
#[derive(Debug, Default)]
pub(crate) struct Meters {
    shards: Mutex<HashMap<(u64, u32), ShardMeter>>,
    peaks: Mutex<HashMap<u64, f64>>,
    last_evaluation_ms: Mutex<Option<i64>>,
}

impl Meters {
    /// Counts bytes appended to a shard of an on-demand stream.
    pub fn record(&self, stream_uid: u64, shard_index: u32, bytes: usize) {
        self.shards.lock().entry((stream_uid, shard_index)).or_default().bytes += bytes as u64;
    }
}

impl Kinesis {
    /// Measures on-demand streams and splits, merges and resizes them.
    pub(crate) fn autoscale(&self) -> KResult<()> {
        let cfg = self.inner.cfg.on_demand;
        let now = self.now_ms();
        let elapsed_ms = {
            let mut last = self.inner.meters.last_evaluation_ms.lock();
            let elapsed = last.map(|l| now - l);
            if elapsed.is_some_and(|e| e < cfg.evaluate_every.as_millis() as i64) {
                return Ok(());
            }
            *last = Some(now);
            match elapsed {
                Some(e) if e > 0 => e,
                _ => return Ok(()),
            }
        };
        let streams: Vec<StreamView> = {
            let state = self.inner.state.read();
            state
                .streams
                .values()
                .filter(|d| d.mode == Mode::OnDemand && d.status_at(now) == Some(Status::Active))
                .map(|d| {
                    let mut open: Vec<_> = d
                        .open_shards()
                        .map(|s| {
                            let (lo, hi) = s.hash_range();
                            (s.index, lo, hi)
                        })
                        .collect();
                    open.sort_by_key(|s| s.1);
                    (d.name.clone(), d.uid, open)
                })
                .collect()
        };
        for (name, uid, open) in streams {
            let mut split = None;
            let mut cold: Vec<bool> = Vec::with_capacity(open.len());
            let mut stream_rate = 0.0;
            {
                let mut meters = self.inner.meters.shards.lock();
                for &(index, lo, hi) in &open {
                    let m = meters.entry((uid, index)).or_default();
                    let rate = m.bytes as f64 * 1000.0 / elapsed_ms as f64;
                    m.bytes = 0;
                    stream_rate += rate;
                    m.hot_since_ms = if rate > cfg.split_bytes_per_sec { m.hot_since_ms.or(Some(now)) } else { None };
                    m.cold_since_ms = if rate < cfg.merge_bytes_per_sec { m.cold_since_ms.or(Some(now)) } else { None };
                    let long_hot = m.hot_since_ms.is_some_and(|t| now - t >= cfg.split_after.as_millis() as i64);
                    if long_hot && split.is_none() && hi - lo >= 2 {
                        split = Some((index, lo + (hi - lo) / 2 + 1));
                    }
                    cold.push(m.cold_since_ms.is_some_and(|t| now - t >= cfg.merge_after.as_millis() as i64));
                }
            }
            let peak = {
                let mut peaks = self.inner.meters.peaks.lock();
                let peak = peaks.entry(uid).or_insert(0.0);
                *peak = peak.max(stream_rate);
                *peak
            };
            let capacity = (2.0 * peak).clamp(cfg.capacity_initial_bytes_per_sec, cfg.capacity_max_bytes_per_sec);
            self.inner.limiter.set_stream_capacity(uid, capacity, now);
            let merge = (open.len() as u32 > cfg.shards_min)
                .then(|| (0..open.len().saturating_sub(1)).find(|&i| cold[i] && cold[i + 1]))
                .flatten()
                .map(|i| (open[i].0, open[i + 1].0));
            if let Some((index, at)) = split {
                tracing::info!(stream = %name, shard = index, "on-demand scaling: splitting a hot shard");
                self.auto_reshard(&name, |change| {
                    change.split(index, at);
                })?;
            } else if let Some((a, b)) = merge {
                tracing::info!(stream = %name, shards = ?(a, b), "on-demand scaling: merging cold shards");
                self.auto_reshard(&name, |change| {
                    change.merge(a, b);
                })?;
            }
        }
        Ok(())
    }
}
