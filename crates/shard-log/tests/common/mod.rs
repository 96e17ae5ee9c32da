//! Helpers shared by the shard-log integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use shard_log::{
    FaultInjector, FileLog, LogOptions, ManualClock, ReadLimits, Record, ShardId, ShardLog, ShardSpec, StoredRecord,
};

pub const HOUR_MS: i64 = 3_600_000;
pub const T0_MS: i64 = 1_700_000_000_000;

pub fn sid(name: &str) -> ShardId {
    ShardId::new(name).unwrap()
}

pub fn rec(key: &str, data: &[u8], arrival_ms: i64) -> Record {
    Record { partition_key: Bytes::copy_from_slice(key.as_bytes()), data: Bytes::copy_from_slice(data), arrival_ms }
}

/// A batch of `n` records whose data names their batch and index.
pub fn batch(tag: &str, n: usize, size: usize, arrival_ms: i64) -> Vec<Record> {
    (0..n)
        .map(|i| {
            let mut data = format!("{tag}-{i}-").into_bytes();
            data.resize(size.max(data.len()), b'x');
            rec(&format!("{tag}{i}"), &data, arrival_ms)
        })
        .collect()
}

pub struct Env {
    pub dir: tempfile::TempDir,
    pub clock: ManualClock,
    pub faults: Arc<FaultInjector>,
}

impl Env {
    pub fn new() -> Env {
        Env { dir: tempfile::tempdir().unwrap(), clock: ManualClock::new(T0_MS), faults: Arc::default() }
    }

    pub fn options(&self) -> LogOptions {
        LogOptions { clock: Arc::new(self.clock.clone()), faults: Some(self.faults.clone()), ..LogOptions::default() }
    }

    pub fn open(&self) -> FileLog {
        FileLog::open(self.dir.path(), self.options()).unwrap()
    }

    pub fn open_with(&self, f: impl FnOnce(&mut LogOptions)) -> FileLog {
        let mut opts = self.options();
        f(&mut opts);
        FileLog::open(self.dir.path(), opts).unwrap()
    }

    pub fn shard_dir(&self, id: &str) -> PathBuf {
        self.dir.path().join("shards").join(id)
    }
}

pub fn create(log: &FileLog, id: &str) -> ShardId {
    let id = sid(id);
    log.create_shard(&id, ShardSpec { start_position: 0, retention_ms: 24 * HOUR_MS }).unwrap();
    id
}

pub fn append(log: &FileLog, id: &ShardId, records: &[Record]) -> u64 {
    log.append(id, records).unwrap().wait().unwrap().first_position
}

/// Every readable record of a shard, read in small pieces.
pub fn read_all(log: &FileLog, id: &ShardId) -> Vec<StoredRecord> {
    let bounds = log.bounds(id).unwrap();
    let mut at = 0;
    let mut out = Vec::new();
    loop {
        let batch = log.read(id, at, ReadLimits { records_max: 7, bytes_max: 1 << 20 }).unwrap();
        if batch.records.is_empty() {
            assert_eq!(batch.next_position, bounds.end.max(at));
            return out;
        }
        at = batch.next_position;
        out.extend(batch.records);
    }
}

/// Segment files (`.log`) in a shard directory, sorted.
pub fn segment_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".log"))
        .collect();
    names.sort();
    names
}
