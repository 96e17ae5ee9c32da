//! Property test: random sequences of append / read / time lookups /
//! clock moves / retention changes / retention passes / reopen agree with a
//! plain in-memory model of the log.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use common::*;
use proptest::prelude::*;
use shard_log::{
    Clock, Durability, FileLog, LogOptions, ManualClock, ReadLimits, Record, ShardId, ShardLog, ShardSpec,
};

const SHARDS: usize = 3;

#[derive(Debug, Clone)]
enum Op {
    Append { shard: usize, records: Vec<(u8, u16)> },
    Read { shard: usize, from: u64, records_max: usize, bytes_max: usize },
    AtTime { shard: usize, back_ms: i64 },
    Advance { ms: i64 },
    SetRetention { shard: usize, hours: i64 },
    EnforceRetention,
    Reopen,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..SHARDS, prop::collection::vec((0u8..12, 0u16..400), 1..8))
            .prop_map(|(shard, records)| Op::Append { shard, records }),
        5 => (0..SHARDS, 0u64..80, 1usize..15, 1usize..3000)
            .prop_map(|(shard, from, records_max, bytes_max)| Op::Read { shard, from, records_max, bytes_max }),
        2 => (0..SHARDS, 0i64..6 * HOUR_MS).prop_map(|(shard, back_ms)| Op::AtTime { shard, back_ms }),
        3 => prop_oneof![0i64..2000, 0i64..3 * HOUR_MS].prop_map(|ms| Op::Advance { ms }),
        1 => (0..SHARDS, 1i64..4).prop_map(|(shard, hours)| Op::SetRetention { shard, hours }),
        1 => Just(Op::EnforceRetention),
        1 => Just(Op::Reopen),
    ]
}

#[derive(Debug, Clone)]
struct ModelRecord {
    position: u64,
    arrival_ms: i64,
    key: Bytes,
    data: Bytes,
}

#[derive(Default)]
struct ModelShard {
    records: Vec<ModelRecord>,
    retention_ms: i64,
}

impl ModelShard {
    fn end(&self) -> u64 {
        self.records.len() as u64
    }

    fn live(&self, now_ms: i64) -> impl Iterator<Item = &ModelRecord> {
        let cutoff = now_ms - self.retention_ms;
        self.records.iter().filter(move |r| r.arrival_ms >= cutoff)
    }
}

fn options(clock: &ManualClock, durability: Durability) -> LogOptions {
    LogOptions {
        durability,
        segment_bytes_max: 1500,
        index_interval_bytes: 200,
        fd_cache_max: 2,
        index_cache_segments_max: 2,
        clock: Arc::new(clock.clone()),
        ..LogOptions::default()
    }
}

fn run(ops: Vec<Op>, durability: Durability) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(T0_MS);
    let mut log = Some(FileLog::open(dir.path(), options(&clock, durability)).unwrap());
    let ids: Vec<ShardId> = (0..SHARDS).map(|i| sid(&format!("s{i}"))).collect();
    let mut model: BTreeMap<usize, ModelShard> = BTreeMap::new();
    for (i, id) in ids.iter().enumerate() {
        log.as_ref().unwrap().create_shard(id, ShardSpec { start_position: 0, retention_ms: 4 * HOUR_MS }).unwrap();
        model.insert(i, ModelShard { retention_ms: 4 * HOUR_MS, ..ModelShard::default() });
    }
    let mut counter = 0u64;
    for op in ops {
        let l = log.as_ref().unwrap();
        let now = clock.now_ms();
        match op {
            Op::Append { shard, records } => {
                let m = model.get_mut(&shard).unwrap();
                let floor = m.records.last().map_or(i64::MIN, |r| r.arrival_ms);
                let batch: Vec<Record> = records
                    .iter()
                    .map(|&(key_len, data_len)| {
                        counter += 1;
                        let key = format!("{counter:0>width$}", width = key_len as usize);
                        let data: Vec<u8> = (0..data_len).map(|i| (counter as u16).wrapping_add(i) as u8).collect();
                        Record { partition_key: Bytes::from(key), data: Bytes::from(data), arrival_ms: now }
                    })
                    .collect();
                let ack = l.append(&ids[shard], &batch).unwrap().wait().unwrap();
                prop_assert_eq!(ack.first_position, m.end());
                for r in batch {
                    m.records.push(ModelRecord {
                        position: m.end(),
                        arrival_ms: r.arrival_ms.max(floor),
                        key: r.partition_key,
                        data: r.data,
                    });
                }
            }
            Op::Read { shard, from, records_max, bytes_max } => {
                let m = &model[&shard];
                let got = l.read(&ids[shard], from, ReadLimits { records_max, bytes_max }).unwrap();
                let mut want = Vec::new();
                let mut bytes = 0;
                for r in m.live(now).filter(|r| r.position >= from) {
                    let size = r.key.len() + r.data.len();
                    if want.len() == records_max || (!want.is_empty() && bytes + size > bytes_max) {
                        break;
                    }
                    bytes += size;
                    want.push(r.clone());
                }
                let want_next = match want.last() {
                    Some(r) => r.position + 1,
                    None if from >= m.end() => from,
                    None => m.end(),
                };
                prop_assert_eq!(got.records.len(), want.len(), "read {} from {}", shard, from);
                for (g, w) in got.records.iter().zip(&want) {
                    prop_assert_eq!(g.position, w.position);
                    prop_assert_eq!(g.arrival_ms, w.arrival_ms);
                    prop_assert_eq!(&g.partition_key, &w.key);
                    prop_assert_eq!(&g.data, &w.data);
                }
                prop_assert_eq!(got.next_position, want_next);
                let bounds = l.bounds(&ids[shard]).unwrap();
                prop_assert_eq!(bounds.end, m.end());
                prop_assert_eq!(bounds.trim_horizon, m.live(now).next().map_or(m.end(), |r| r.position));
            }
            Op::AtTime { shard, back_ms } => {
                let m = &model[&shard];
                let at = now - back_ms;
                let want = m.live(now).find(|r| r.arrival_ms >= at).map_or(m.end(), |r| r.position);
                prop_assert_eq!(l.position_at_time(&ids[shard], at).unwrap(), want);
            }
            Op::Advance { ms } => clock.advance_ms(ms),
            Op::SetRetention { shard, hours } => {
                // Only ever shortened: once a pass deleted a segment, a longer
                // retention cannot bring it back, and the model does not
                // track segment boundaries.
                let m = model.get_mut(&shard).unwrap();
                m.retention_ms = m.retention_ms.min(hours * HOUR_MS);
                l.set_retention(&ids[shard], m.retention_ms).unwrap();
            }
            Op::EnforceRetention => {
                l.enforce_retention().unwrap();
            }
            Op::Reopen => {
                drop(log.take());
                log = Some(FileLog::open(dir.path(), options(&clock, durability)).unwrap());
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, max_shrink_iters: 2000, ..ProptestConfig::default() })]

    #[test]
    fn log_agrees_with_model_under_always(ops in prop::collection::vec(op(), 1..60)) {
        run(ops, Durability::Always)?;
    }

    #[test]
    fn log_agrees_with_model_under_interval(ops in prop::collection::vec(op(), 1..60)) {
        run(ops, Durability::Interval(Duration::from_millis(2)))?;
    }

    #[test]
    fn log_agrees_with_model_under_none(ops in prop::collection::vec(op(), 1..60)) {
        run(ops, Durability::None)?;
    }
}
