//! The documents the service keeps in its [`docstore::DocStore`]: log
//! groups (key: the name), log streams (key: `{group}:{stream}`; neither
//! name can contain `:`, so a group's streams are exactly the keys with
//! prefix `{group}:`, in stream-name order) and purge notes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::DAY_MS;

/// Kind of [`GroupDoc`]s.
pub(crate) const GROUP: &str = "group";
/// Kind of [`StreamDoc`]s.
pub(crate) const STREAM: &str = "stream";
/// Kind of [`PurgeDoc`]s.
pub(crate) const PURGE: &str = "purge";

/// A log group.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct GroupDoc {
    /// Random; what its events are filed under.
    pub id: i64,
    pub name: String,
    pub creation_time_ms: i64,
    pub retention_days: Option<i32>,
    pub kms_key_id: Option<String>,
    /// `STANDARD`, `INFREQUENT_ACCESS` or `DELIVERY`.
    pub class: String,
    pub tags: BTreeMap<String, String>,
}

impl GroupDoc {
    /// Events with timestamps before this are past retention (0 when kept forever).
    pub fn retention_cutoff_ms(&self, now_ms: i64) -> i64 {
        match self.retention_days {
            Some(days) => now_ms.saturating_sub(i64::from(days) * DAY_MS).max(0),
            None => 0,
        }
    }
}

/// A log stream.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct StreamDoc {
    /// Random; what its events are filed under.
    pub id: i64,
    pub group_id: i64,
    pub name: String,
    pub creation_time_ms: i64,
}

/// Events to delete: a whole group's, or one stream's.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PurgeDoc {
    pub group_id: i64,
    pub stream_id: Option<i64>,
}

impl PurgeDoc {
    pub fn key(&self) -> String {
        match self.stream_id {
            Some(stream) => format!("{}:{stream}", self.group_id),
            None => self.group_id.to_string(),
        }
    }
}

/// The docstore key of a stream.
pub(crate) fn stream_key(group: &str, stream: &str) -> String {
    format!("{group}:{stream}")
}

/// A fresh positive id of 63 random bits (a collision is out of reach).
pub(crate) fn new_id() -> i64 {
    // A v4 UUID fixes 6 of its 128 bits; folding the halves leaves 64 random ones.
    let (high, low) = uuid::Uuid::new_v4().as_u64_pair();
    (((high ^ low.rotate_left(32)) >> 1) as i64).max(1)
}
