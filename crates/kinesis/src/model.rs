//! The control-plane documents: a stream and its shards, as stored.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A stream's lifecycle state; transitions complete at `status_until_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    Creating,
    Active,
    Updating,
    Deleting,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mode {
    Provisioned,
    OnDemand,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Provisioned => "PROVISIONED",
            Mode::OnDemand => "ON_DEMAND",
        }
    }
}

/// One shard of a stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardDoc {
    pub index: u32,
    /// Decimal strings: JSON numbers cannot hold 128 bits.
    pub hash_start: String,
    pub hash_end: String,
    pub parent: Option<u32>,
    pub adjacent_parent: Option<u32>,
    pub created_ms: i64,
    /// Set once the shard is closed (by resharding): when, and its end position.
    pub closed: Option<ClosedShard>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClosedShard {
    pub at_ms: i64,
    pub end_position: u64,
}

impl ShardDoc {
    pub fn hash_range(&self) -> (u128, u128) {
        (self.hash_start.parse().expect("stored hash key"), self.hash_end.parse().expect("stored hash key"))
    }

    /// `shardId-000000000000`.
    pub fn shard_id(&self) -> String {
        shard_id(self.index)
    }
}

pub fn shard_id(index: u32) -> String {
    format!("shardId-{index:012}")
}

/// Parses `shardId-000000000003` (AWS also accepts the bare number's forms
/// with the prefix); `None` for anything else.
pub fn parse_shard_id(text: &str) -> Option<u32> {
    let digits = text.strip_prefix("shardId-")?;
    (!digits.is_empty() && digits.len() <= 12 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

/// A stream as stored in the control plane.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamDoc {
    pub name: String,
    /// Unique for the life of the server: names are reused, uids never.
    pub uid: u64,
    pub created_ms: i64,
    pub status: Status,
    pub status_until_ms: i64,
    pub mode: Mode,
    pub retention_hours: i32,
    pub shards: Vec<ShardDoc>,
    pub tags: BTreeMap<String, String>,
    pub shard_level_metrics: Vec<String>,
    pub max_record_size_kib: i32,
    /// When UpdateShardCount ran (AWS allows ten per rolling 24 hours).
    #[serde(default)]
    pub scalings_ms: Vec<i64>,
    /// The KMS key of server-side encryption, when it is on.
    #[serde(default)]
    pub encryption_key_id: Option<String>,
    /// Warm throughput asked for an on-demand stream, MiB/s.
    #[serde(default)]
    pub warm_throughput_mibps: Option<i32>,
    /// The resource policy document, as given.
    #[serde(default)]
    pub resource_policy: Option<String>,
    /// Enhanced fan-out consumers, including ones still being deleted.
    #[serde(default)]
    pub consumers: Vec<ConsumerDoc>,
}

/// An enhanced fan-out consumer of a stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsumerDoc {
    pub name: String,
    pub created_ms: i64,
    /// Deregistered: DELETING until `status_until_ms`, then gone.
    pub deleting: bool,
    /// When CREATING (or DELETING) ends.
    pub status_until_ms: i64,
}

/// A consumer's state as clients see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsumerState {
    Creating,
    Active,
    Deleting,
}

impl ConsumerDoc {
    /// The state at `now_ms`; `None` once deregistration completed.
    pub fn state_at(&self, now_ms: i64) -> Option<ConsumerState> {
        match (self.deleting, now_ms < self.status_until_ms) {
            (true, true) => Some(ConsumerState::Deleting),
            (true, false) => None,
            (false, true) => Some(ConsumerState::Creating),
            (false, false) => Some(ConsumerState::Active),
        }
    }
}

impl StreamDoc {
    /// The status a client sees at `now_ms`; `None` once a deletion completed.
    pub fn status_at(&self, now_ms: i64) -> Option<Status> {
        if now_ms < self.status_until_ms {
            return Some(self.status);
        }
        match self.status {
            Status::Deleting => None,
            _ => Some(Status::Active),
        }
    }

    pub fn open_shards(&self) -> impl Iterator<Item = &ShardDoc> {
        self.shards.iter().filter(|s| s.closed.is_none())
    }

    /// The open shards' hash ranges, sorted, for routing many records
    /// without parsing the stored ranges again for each.
    pub fn routing(&self) -> Routing {
        let mut ranges: Vec<(u128, u128, u32)> = self
            .open_shards()
            .map(|s| {
                let (start, end) = s.hash_range();
                (start, end, s.index)
            })
            .collect();
        ranges.sort_unstable();
        Routing { uid: self.uid, ranges }
    }

    /// The index the next new shard gets.
    pub fn next_shard_index(&self) -> u32 {
        self.shards.iter().map(|s| s.index + 1).max().unwrap_or(0)
    }

    /// Panics unless the open shards cover 0..2^128-1 exactly, without
    /// overlap: an invariant every change to the shard map keeps.
    pub fn assert_hash_coverage(&self) {
        let mut ranges: Vec<(u128, u128)> = self.open_shards().map(|s| s.hash_range()).collect();
        ranges.sort_unstable();
        assert_eq!(ranges.first().map(|r| r.0), Some(0), "stream {}: hash key 0 uncovered", self.name);
        assert_eq!(ranges.last().map(|r| r.1), Some(u128::MAX), "stream {}: top hash key uncovered", self.name);
        for pair in ranges.windows(2) {
            assert_eq!(
                pair[0].1.checked_add(1),
                Some(pair[1].0),
                "stream {}: gap or overlap in hash ranges",
                self.name
            );
        }
    }

    pub fn shard(&self, index: u32) -> Option<&ShardDoc> {
        self.shards.iter().find(|s| s.index == index)
    }

    /// A consumer that exists at `now_ms`, by name.
    pub fn consumer(&self, name: &str, now_ms: i64) -> Option<(&ConsumerDoc, ConsumerState)> {
        self.consumers.iter().find(|c| c.name == name).and_then(|c| c.state_at(now_ms).map(|s| (c, s)))
    }

    pub fn retention_ms(&self) -> i64 {
        i64::from(self.retention_hours) * 3_600_000
    }
}

/// A stream's open shards by hash range.
#[derive(Debug, Clone)]
pub struct Routing {
    pub uid: u64,
    ranges: Vec<(u128, u128, u32)>,
}

impl Routing {
    /// The index of the open shard holding `hash`.
    pub fn shard_for_hash(&self, hash: u128) -> Option<u32> {
        let i = self.ranges.partition_point(|r| r.1 < hash);
        self.ranges.get(i).filter(|r| r.0 <= hash).map(|r| r.2)
    }
}

/// The shard log's name for a shard of a stream.
pub fn log_shard_id(stream_uid: u64, shard_index: u32) -> shard_log::ShardId {
    shard_log::ShardId::new(format!("{stream_uid}-{shard_index}")).expect("digits and a dash are a valid id")
}
