//! The service object: state, startup reconciliation, dispatch, housekeeping.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use aws_model::kinesis::Operation;
use aws_model::{JsonDe, Validate};
use parking_lot::{Mutex, RwLock};
use serde::Serialize;
use shard_log::{ShardLog, ShardSpec};

use crate::iterator::IteratorCodec;
use crate::model::{log_shard_id, Status, StreamDoc};
use crate::store::Store;
use crate::{KResult, KinesisConfig, KinesisError};

/// The Kinesis service. Cheap to clone.
#[derive(Clone)]
pub struct Kinesis {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub cfg: KinesisConfig,
    pub log: Arc<dyn ShardLog>,
    pub store: Mutex<Store>,
    pub state: RwLock<State>,
    pub iterators: IteratorCodec,
    /// Serializes stream creation and deletion, which touch the log
    /// outside the state lock.
    pub admin: Mutex<()>,
    /// Throughput token buckets.
    pub limiter: crate::limits::Limiter,
    /// Control-plane call rates.
    pub control: crate::limits::ControlLimiter,
    /// Write rates of on-demand shards.
    pub meters: crate::autoscale::Meters,
    /// CloudWatch metrics of the minutes not drained yet.
    pub metrics: crate::metrics::Recorder,
    /// Live SubscribeToShard calls, by (consumer ARN, shard index).
    pub subscriptions: Mutex<HashMap<(String, u32), crate::subscribe::Slot>>,
}

#[derive(Default)]
pub(crate) struct State {
    pub streams: BTreeMap<String, StreamDoc>,
    pub names_by_uid: HashMap<u64, String>,
}

impl State {
    pub fn insert(&mut self, doc: StreamDoc) {
        self.names_by_uid.insert(doc.uid, doc.name.clone());
        self.streams.insert(doc.name.clone(), doc);
    }

    pub fn remove(&mut self, name: &str) -> Option<StreamDoc> {
        let doc = self.streams.remove(name)?;
        self.names_by_uid.remove(&doc.uid);
        Some(doc)
    }
}

impl Kinesis {
    /// Opens the control plane in `data_dir` and reconciles it with the
    /// shard log: shards a crash left uncreated are created, shards of
    /// streams that no longer exist are deleted.
    pub fn open(data_dir: &Path, cfg: KinesisConfig, log: Arc<dyn ShardLog>) -> KResult<Kinesis> {
        let io = |e: std::io::Error| KinesisError::internal(format!("Cannot open data dir: {e}"));
        std::fs::create_dir_all(data_dir).map_err(io)?;
        let store = Store::open(&data_dir.join("control.db"))?;
        let iterators = IteratorCodec::load_or_create(&data_dir.join("iterator.key")).map_err(io)?;
        let mut state = State::default();
        let mut wanted = HashSet::new();
        let existing: HashSet<_> = log.shard_ids().into_iter().collect();
        for doc in store.load()? {
            for shard in &doc.shards {
                let id = log_shard_id(doc.uid, shard.index);
                // Cheap checks only: shards are recovered lazily, on first use.
                let log_closed = if existing.contains(&id) {
                    log.is_closed(&id)?
                } else {
                    log.create_shard(&id, ShardSpec { start_position: 0, retention_ms: doc.retention_ms() })?;
                    false
                };
                // A reshard closes log shards before it stores the new shard
                // map; a crash in between leaves them to be reopened.
                match (shard.closed.is_some(), log_closed) {
                    (false, true) => log.reopen_shard(&id)?,
                    (true, false) => log.close_shard(&id)?,
                    _ => {}
                }
                wanted.insert(id);
            }
            state.insert(doc);
        }
        for id in log.shard_ids() {
            if !wanted.contains(&id) {
                tracing::info!(shard = %id, "deleting shard of a deleted stream");
                log.delete_shard(&id)?;
            }
        }
        let cfg_limits = cfg.limits;
        let inner = Inner {
            cfg,
            log,
            store: Mutex::new(store),
            state: RwLock::new(state),
            iterators,
            admin: Mutex::new(()),
            subscriptions: Mutex::new(HashMap::new()),
            limiter: crate::limits::Limiter::new(cfg_limits),
            meters: crate::autoscale::Meters::default(),
            metrics: crate::metrics::Recorder::default(),
            control: crate::limits::ControlLimiter::new(cfg_limits.enabled && cfg_limits.control_enabled),
        };
        Ok(Kinesis { inner: Arc::new(inner) })
    }

    pub(crate) fn now_ms(&self) -> i64 {
        self.inner.cfg.clock.now_ms()
    }

    /// Runs one operation on an awsJson request body.
    pub async fn call(&self, operation: &str, body: &[u8]) -> KResult<Vec<u8>> {
        let op = Operation::from_name(operation).ok_or_else(|| KinesisError {
            code: "UnknownOperationException",
            status: 400,
            message: String::new(),
        })?;
        if !matches!(op, Operation::GetShardIterator | Operation::SubscribeToShard)
            && !self.inner.control.admit(op.name(), "account", self.now_ms())
        {
            return Err(KinesisError::limit_exceeded(format!(
                "Rate exceeded for {} calls of account {}.",
                op.name(),
                self.inner.cfg.account_id
            )));
        }
        // botocore always sends a body; an empty one means "no members".
        let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) { b"{}" } else { body };
        match op {
            Operation::CreateStream => unit(self.create_stream(decode(body)?)),
            Operation::DeleteStream => unit(self.delete_stream(decode(body)?)),
            Operation::DescribeStream => json(self.describe_stream(decode(body)?)),
            Operation::DescribeStreamSummary => json(self.describe_stream_summary(decode(body)?)),
            Operation::ListStreams => json(self.list_streams(decode(body)?)),
            Operation::ListShards => json(self.list_shards(decode(body)?)),
            Operation::IncreaseStreamRetentionPeriod => unit(self.increase_retention(decode(body)?)),
            Operation::DecreaseStreamRetentionPeriod => unit(self.decrease_retention(decode(body)?)),
            Operation::DescribeLimits => json(self.describe_limits(decode(body)?)),
            Operation::AddTagsToStream => unit(self.add_tags_to_stream(decode(body)?)),
            Operation::RemoveTagsFromStream => unit(self.remove_tags_from_stream(decode(body)?)),
            Operation::ListTagsForStream => json(self.list_tags_for_stream(decode(body)?)),
            Operation::TagResource => unit(self.tag_resource(decode(body)?)),
            Operation::UntagResource => unit(self.untag_resource(decode(body)?)),
            Operation::ListTagsForResource => json(self.list_tags_for_resource(decode(body)?)),
            Operation::PutRecord => json(self.put_record(decode(body)?).await),
            Operation::PutRecords => json(self.put_records(decode(body)?).await),
            Operation::GetShardIterator => json(self.get_shard_iterator(decode(body)?)),
            Operation::GetRecords => json(self.get_records(decode(body)?)),
            Operation::SplitShard => unit(self.split_shard(decode(body)?)),
            Operation::MergeShards => unit(self.merge_shards(decode(body)?)),
            Operation::UpdateShardCount => json(self.update_shard_count(decode(body)?)),
            Operation::EnableEnhancedMonitoring => json(self.enable_enhanced_monitoring(decode(body)?)),
            Operation::DisableEnhancedMonitoring => json(self.disable_enhanced_monitoring(decode(body)?)),
            Operation::StartStreamEncryption => unit(self.start_stream_encryption(decode(body)?)),
            Operation::StopStreamEncryption => unit(self.stop_stream_encryption(decode(body)?)),
            Operation::UpdateStreamMode => unit(self.update_stream_mode(decode(body)?)),
            Operation::UpdateMaxRecordSize => unit(self.update_max_record_size(decode(body)?)),
            Operation::UpdateStreamWarmThroughput => json(self.update_stream_warm_throughput(decode(body)?)),
            Operation::PutResourcePolicy => unit(self.put_resource_policy(decode(body)?)),
            Operation::GetResourcePolicy => json(self.get_resource_policy(decode(body)?)),
            Operation::DeleteResourcePolicy => unit(self.delete_resource_policy(decode(body)?)),
            Operation::RegisterStreamConsumer => json(self.register_stream_consumer(decode(body)?)),
            Operation::DescribeStreamConsumer => json(self.describe_stream_consumer(decode(body)?)),
            Operation::ListStreamConsumers => json(self.list_stream_consumers(decode(body)?)),
            Operation::DeregisterStreamConsumer => unit(self.deregister_stream_consumer(decode(body)?)),
            Operation::DescribeAccountSettings => json(self.describe_account_settings(decode(body)?)),
            Operation::UpdateAccountSettings => json(self.update_account_settings(decode(body)?)),
            other => Err(KinesisError {
                code: "UnknownOperationException",
                status: 400,
                message: format!("{} is not implemented by kinesd yet", other.name()),
            }),
        }
    }

    /// Completes due transitions (CREATING/UPDATING to ACTIVE, DELETING to
    /// gone) and deletes expired log segments; call periodically.
    pub fn housekeeping(&self) -> KResult<()> {
        let now = self.now_ms();
        let due: Vec<String> = {
            let state = self.inner.state.read();
            state
                .streams
                .values()
                .filter(|d| d.status != Status::Active && d.status_until_ms <= now)
                .map(|d| d.name.clone())
                .collect()
        };
        for name in due {
            self.settle(&name)?;
        }
        self.autoscale()
    }

    /// The CloudWatch metrics (namespace [`crate::metrics::NAMESPACE`]) of every minute
    /// that has ended, taken out: each one is handed over once.
    pub fn drain_metrics(&self) -> Vec<crate::metrics::MetricSample> {
        self.inner.metrics.drain(self.now_ms())
    }

    /// Deletes expired records' segments in every shard.
    pub fn enforce_retention(&self) -> KResult<()> {
        self.inner.log.enforce_retention()?;
        Ok(())
    }

    /// Persists a finished transition of one stream.
    pub(crate) fn settle(&self, name: &str) -> KResult<()> {
        let now = self.now_ms();
        let mut state = self.inner.state.write();
        let Some(doc) = state.streams.get(name) else { return Ok(()) };
        match doc.status_at(now) {
            None => {
                let doc = state.remove(name).expect("present");
                self.inner.store.lock().delete(name)?;
                self.inner.limiter.forget_stream(doc.uid);
                drop(state);
                for shard in &doc.shards {
                    match self.inner.log.delete_shard(&log_shard_id(doc.uid, shard.index)) {
                        Ok(()) | Err(shard_log::Error::ShardNotFound(_)) => {}
                        Err(e) => return Err(e.into()),
                    }
                }
            }
            Some(status) if status != doc.status => {
                let mut doc = doc.clone();
                doc.status = status;
                self.inner.store.lock().put(&doc)?;
                state.insert(doc);
            }
            Some(_) => {}
        }
        Ok(())
    }

    /// The stream a request names by StreamName or StreamARN (or both).
    pub(crate) fn stream_name(&self, name: Option<String>, arn: Option<String>) -> KResult<String> {
        let from_arn = match &arn {
            None => None,
            Some(arn) => Some(self.parse_stream_arn(arn)?),
        };
        match (name, from_arn) {
            (Some(name), Some(from_arn)) if name != from_arn => Err(KinesisError::invalid_argument(format!(
                "StreamName {name} and StreamARN {} do not name the same stream.",
                arn.unwrap_or_default()
            ))),
            (Some(name), _) => Ok(name),
            (None, Some(from_arn)) => Ok(from_arn),
            (None, None) => Err(KinesisError::invalid_argument("Either StreamName or StreamARN must be provided.")),
        }
    }

    /// The stream name in `arn:aws:kinesis:REGION:ACCOUNT:stream/NAME` of
    /// this server's region and account.
    pub(crate) fn parse_stream_arn(&self, arn: &str) -> KResult<String> {
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let name = match parts.as_slice() {
            ["arn", partition, "kinesis", _region, _account, resource] if partition.starts_with("aws") => {
                resource.strip_prefix("stream/").filter(|n| !n.contains('/'))
            }
            _ => None,
        };
        let Some(name) = name else {
            return Err(KinesisError::invalid_argument(format!("Invalid StreamARN {arn}.")));
        };
        if parts[3] != self.inner.cfg.region || parts[4] != self.inner.cfg.account_id {
            return Err(KinesisError::not_found(format!("Stream {name} under account {} not found.", parts[4])));
        }
        Ok(name.to_string())
    }

    pub(crate) fn stream_arn(&self, name: &str) -> String {
        format!("arn:aws:kinesis:{}:{}:stream/{name}", self.inner.cfg.region, self.inner.cfg.account_id)
    }

    pub(crate) fn not_found(&self, name: &str) -> KinesisError {
        KinesisError::stream_not_found(name, &self.inner.cfg.account_id)
    }
}

pub(crate) fn decode<T: JsonDe + Validate>(body: &[u8]) -> KResult<T> {
    Ok(aws_model::decode_input(body)?)
}

fn json<T: Serialize>(result: KResult<T>) -> KResult<Vec<u8>> {
    let out = result?;
    serde_json::to_vec(&out).map_err(|e| KinesisError::internal(format!("Cannot encode the response: {e}")))
}

fn unit(result: KResult<()>) -> KResult<Vec<u8>> {
    result.map(|()| b"{}".to_vec())
}
