//! Operation handlers, grouped by what they touch, and the conversions from
//! stored documents to the model's output shapes they share.

pub(crate) mod consumers;
pub(crate) mod records;
mod reshard;
mod settings;
mod shards;
mod streams;
mod tags;

use aws_model::kinesis::{
    EncryptionType, EnhancedMetrics, HashKeyRange, MetricsName, SequenceNumberRange, Shard, StreamMode,
    StreamModeDetails, StreamStatus,
};
use aws_model::Timestamp;

use crate::model::{shard_id, Mode, ShardDoc, Status, StreamDoc};
use crate::seqno::SequenceNumber;
use crate::service::State;
use crate::{KResult, Kinesis, KinesisError};

/// Retention bounds of Increase/DecreaseStreamRetentionPeriod, in hours.
pub(crate) const RETENTION_HOURS_MIN: i32 = 24;
pub(crate) const RETENTION_HOURS_MAX: i32 = 8760;
/// Tags one stream may carry.
pub(crate) const TAGS_PER_STREAM_MAX: usize = 50;

pub(crate) fn shard_out(doc: &ShardDoc) -> Shard {
    Shard {
        shard_id: doc.shard_id(),
        parent_shard_id: doc.parent.map(shard_id),
        adjacent_parent_shard_id: doc.adjacent_parent.map(shard_id),
        hash_key_range: HashKeyRange {
            starting_hash_key: doc.hash_start.clone(),
            ending_hash_key: doc.hash_end.clone(),
        },
        sequence_number_range: SequenceNumberRange {
            starting_sequence_number: SequenceNumber::before(doc.index, 0).encode(),
            ending_sequence_number: doc.closed.map(|c| SequenceNumber::before(doc.index, c.end_position).encode()),
        },
    }
}

pub(crate) fn status_out(status: Status) -> StreamStatus {
    match status {
        Status::Creating => StreamStatus::Creating,
        Status::Active => StreamStatus::Active,
        Status::Updating => StreamStatus::Updating,
        Status::Deleting => StreamStatus::Deleting,
    }
}

pub(crate) fn mode_out(mode: Mode) -> StreamModeDetails {
    StreamModeDetails {
        stream_mode: Some(match mode {
            Mode::Provisioned => StreamMode::Provisioned,
            Mode::OnDemand => StreamMode::OnDemand,
        }),
    }
}

pub(crate) fn monitoring_out(doc: &StreamDoc) -> Vec<EnhancedMetrics> {
    let metrics = doc.shard_level_metrics.iter().map(|m| MetricsName::from(m.as_str())).collect();
    vec![EnhancedMetrics { shard_level_metrics: Some(metrics) }]
}

pub(crate) fn encryption_out(doc: &StreamDoc) -> Option<EncryptionType> {
    Some(if doc.encryption_key_id.is_some() { EncryptionType::Kms } else { EncryptionType::None })
}

pub(crate) fn ts(ms: i64) -> Timestamp {
    Timestamp::from_millis(ms)
}

impl Kinesis {
    /// A stream that exists (in any state but finished deleting) at `now`.
    pub(crate) fn visible<'s>(&self, state: &'s State, name: &str, now: i64) -> KResult<(&'s StreamDoc, Status)> {
        let doc = state.streams.get(name).ok_or_else(|| self.not_found(name))?;
        let status = doc.status_at(now).ok_or_else(|| self.not_found(name))?;
        Ok((doc, status))
    }

    /// A stream that takes data: ACTIVE or UPDATING.
    pub(crate) fn writable<'s>(&self, state: &'s State, name: &str, now: i64) -> KResult<&'s StreamDoc> {
        match self.visible(state, name, now)? {
            (doc, Status::Active | Status::Updating) => Ok(doc),
            _ => Err(self.not_found(name)),
        }
    }

    /// A stream whose settings may change: ACTIVE only.
    pub(crate) fn settable<'s>(&self, state: &'s State, name: &str, now: i64) -> KResult<&'s StreamDoc> {
        match self.visible(state, name, now)? {
            (doc, Status::Active) => Ok(doc),
            (_, status) => Err(KinesisError::in_use(format!(
                "Stream {name} under account {} not ACTIVE, instead in state {}",
                self.inner.cfg.account_id,
                status_out(status)
            ))),
        }
    }

    /// Stores a changed stream document and swaps it into the state.
    pub(crate) fn replace(&self, state: &mut State, doc: StreamDoc) -> KResult<()> {
        self.inner.store.lock().put(&doc)?;
        state.insert(doc);
        Ok(())
    }

    /// Status and deadline for a change that makes the stream UPDATING.
    pub(crate) fn updating_until(&self, now: i64) -> (Status, i64) {
        let delay = self.inner.cfg.transition_delay.as_millis() as i64;
        if delay == 0 {
            (Status::Active, now)
        } else {
            (Status::Updating, now + delay)
        }
    }
}
