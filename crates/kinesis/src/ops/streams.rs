//! Stream lifecycle: create, delete, describe, list, retention, limits.

use std::collections::BTreeMap;

use aws_model::kinesis::{
    CreateStreamInput, DecreaseStreamRetentionPeriodInput, DeleteStreamInput, DescribeLimitsInput,
    DescribeLimitsOutput, DescribeStreamInput, DescribeStreamOutput, DescribeStreamSummaryInput,
    DescribeStreamSummaryOutput, IncreaseStreamRetentionPeriodInput, ListStreamsInput, ListStreamsOutput,
    StreamDescription, StreamDescriptionSummary, StreamMode, StreamSummary, WarmThroughputObject,
};
use base64::Engine;
use shard_log::ShardSpec;

use super::{
    encryption_out, mode_out, monitoring_out, shard_out, status_out, ts, RETENTION_HOURS_MAX, RETENTION_HOURS_MIN,
    TAGS_PER_STREAM_MAX,
};
use crate::config::ON_DEMAND_INITIAL_SHARDS;
use crate::hashing::split_even;
use crate::model::{log_shard_id, Mode, ShardDoc, Status, StreamDoc};
use crate::ops::tags::check_tags;
use crate::{KResult, Kinesis, KinesisError};

/// Shards DescribeStream returns per call (AWS: at most 100).
const DESCRIBE_SHARDS_MAX: usize = 100;
/// Streams ListStreams returns per call (AWS: at most 100).
const LIST_STREAMS_MAX: usize = 100;
const RETENTION_HOURS_DEFAULT: i32 = 24;
const MAX_RECORD_SIZE_KIB_DEFAULT: i32 = 1024;
const MAX_RECORD_SIZE_KIB_MAX: i32 = 10240;

impl Kinesis {
    pub(crate) fn create_stream(&self, input: CreateStreamInput) -> KResult<()> {
        let name = input.stream_name.expect("validated: required");
        let mode = match input.stream_mode_details.and_then(|d| d.stream_mode) {
            Some(StreamMode::OnDemand) => Mode::OnDemand,
            Some(_) => Mode::Provisioned,
            None if input.shard_count.is_some() => Mode::Provisioned,
            None => Mode::OnDemand,
        };
        let shard_count = match (mode, input.shard_count) {
            (Mode::OnDemand, Some(_)) => {
                return Err(KinesisError::validation("ShardCount is not expected when StreamMode=ON_DEMAND"))
            }
            (Mode::OnDemand, None) => ON_DEMAND_INITIAL_SHARDS,
            (Mode::Provisioned, Some(n)) => n as u32,
            (Mode::Provisioned, None) => {
                return Err(KinesisError::validation("ShardCount is required when StreamMode=PROVISIONED"))
            }
        };
        let tags = input.tags.unwrap_or_default();
        check_tags(&tags, &name, self)?;
        if tags.len() > TAGS_PER_STREAM_MAX {
            return Err(KinesisError::invalid_argument(format!(
                "Failed to create stream {name} under account {} because a given stream cannot have more than {TAGS_PER_STREAM_MAX} tags.",
                self.inner.cfg.account_id
            )));
        }
        let max_record_size_kib = input.max_record_size_in_ki_b.unwrap_or(MAX_RECORD_SIZE_KIB_DEFAULT);
        if !(MAX_RECORD_SIZE_KIB_DEFAULT..=MAX_RECORD_SIZE_KIB_MAX).contains(&max_record_size_kib) {
            return Err(KinesisError::validation(format!(
                "MaxRecordSizeInKiB must be between {MAX_RECORD_SIZE_KIB_DEFAULT} and {MAX_RECORD_SIZE_KIB_MAX}."
            )));
        }
        let _admin = self.inner.admin.lock();
        let now = self.now_ms();
        let finished_deleting = {
            let state = self.inner.state.read();
            match state.streams.get(&name) {
                Some(doc) if doc.status_at(now).is_some() => {
                    return Err(KinesisError::in_use(format!(
                        "Stream {name} under account {} already exists.",
                        self.inner.cfg.account_id
                    )))
                }
                Some(_) => true,
                None => false,
            }
        };
        if finished_deleting {
            self.settle(&name)?;
        }
        self.check_capacity(mode, shard_count)?;
        let uid = self.inner.store.lock().next_uid()?;
        let delay = self.inner.cfg.transition_delay.as_millis() as i64;
        let shards = split_even(shard_count)
            .into_iter()
            .enumerate()
            .map(|(i, (start, end))| ShardDoc {
                index: i as u32,
                hash_start: start.to_string(),
                hash_end: end.to_string(),
                parent: None,
                adjacent_parent: None,
                created_ms: now,
                closed: None,
            })
            .collect();
        let doc = StreamDoc {
            name: name.clone(),
            uid,
            created_ms: now,
            status: if delay == 0 { Status::Active } else { Status::Creating },
            status_until_ms: now + delay,
            mode,
            retention_hours: RETENTION_HOURS_DEFAULT,
            shards,
            tags,
            shard_level_metrics: Vec::new(),
            max_record_size_kib,
            scalings_ms: Vec::new(),
            encryption_key_id: None,
            warm_throughput_mibps: None,
            resource_policy: None,
            consumers: Vec::new(),
        };
        doc.assert_hash_coverage();
        for shard in &doc.shards {
            let spec = ShardSpec { start_position: 0, retention_ms: doc.retention_ms() };
            if let Err(e) = self.inner.log.create_shard(&log_shard_id(uid, shard.index), spec) {
                for created in doc.shards.iter().take_while(|s| s.index < shard.index) {
                    let _ = self.inner.log.delete_shard(&log_shard_id(uid, created.index));
                }
                return Err(e.into());
            }
        }
        let mut state = self.inner.state.write();
        self.replace(&mut state, doc)
    }

    /// Shard and on-demand stream quotas, as DescribeLimits reports them.
    fn check_capacity(&self, mode: Mode, shard_count: u32) -> KResult<()> {
        let (_, open, on_demand) = self.usage();
        let cfg = &self.inner.cfg;
        match mode {
            Mode::Provisioned if open + shard_count > cfg.shard_limit => Err(KinesisError::limit_exceeded(format!(
                "This request would exceed the shard limit for the account {} in {}. Current provisioned shard count for the account in {} is {open}. Limit of provisioned shards for the account in {} is {}. Number of additional shards that would have resulted from this request is {shard_count}.",
                cfg.account_id, cfg.region, cfg.region, cfg.region, cfg.shard_limit
            ))),
            Mode::OnDemand if on_demand + 1 > cfg.on_demand_stream_limit => {
                Err(KinesisError::limit_exceeded(format!(
                    "This request would exceed the on-demand stream limit for the account {} in {}. Limit of on-demand streams for the account in {} is {}.",
                    cfg.account_id, cfg.region, cfg.region, cfg.on_demand_stream_limit
                )))
            }
            _ => Ok(()),
        }
    }

    /// Counts right now: (open shards of every stream, open shards of
    /// provisioned streams, which the shard quota bounds, on-demand streams).
    fn usage(&self) -> (u32, u32, u32) {
        let now = self.now_ms();
        let state = self.inner.state.read();
        let live = || state.streams.values().filter(|d| d.status_at(now).is_some());
        let open = |d: &StreamDoc| d.open_shards().count() as u32;
        let all = live().map(open).sum();
        let provisioned = live().filter(|d| d.mode == Mode::Provisioned).map(open).sum();
        let on_demand = live().filter(|d| d.mode == Mode::OnDemand).count() as u32;
        (all, provisioned, on_demand)
    }

    pub(crate) fn delete_stream(&self, input: DeleteStreamInput) -> KResult<()> {
        let name = self.stream_name(input.stream_name, input.stream_arn)?;
        let _admin = self.inner.admin.lock();
        let now = self.now_ms();
        let delay = self.inner.cfg.transition_delay.as_millis() as i64;
        {
            let mut state = self.inner.state.write();
            let (doc, status) = self.visible(&state, &name, now)?;
            if status == Status::Deleting {
                return Ok(());
            }
            let consumers = doc.consumers.iter().filter(|c| c.state_at(now).is_some()).count();
            if consumers > 0 && input.enforce_consumer_deletion != Some(true) {
                return Err(KinesisError::in_use(format!(
                    "Stream {name} under account {} has {consumers} registered consumers; deregister them or set EnforceConsumerDeletion.",
                    self.inner.cfg.account_id
                )));
            }
            let mut doc = doc.clone();
            doc.status = Status::Deleting;
            doc.status_until_ms = now + delay;
            self.replace(&mut state, doc)?;
        }
        if delay == 0 {
            self.settle(&name)?;
        }
        Ok(())
    }

    pub(crate) fn describe_stream(&self, input: DescribeStreamInput) -> KResult<DescribeStreamOutput> {
        let name = self.stream_name(input.stream_name, input.stream_arn)?;
        let now = self.now_ms();
        let state = self.inner.state.read();
        let (doc, status) = self.visible(&state, &name, now)?;
        let limit = input.limit.map_or(DESCRIBE_SHARDS_MAX, |l| (l as usize).min(DESCRIBE_SHARDS_MAX));
        let after = input.exclusive_start_shard_id;
        let mut listed = doc.shards.iter().filter(|s| after.as_ref().is_none_or(|a| s.shard_id() > *a));
        let shards = listed.by_ref().take(limit).map(shard_out).collect();
        let has_more_shards = listed.next().is_some();
        Ok(DescribeStreamOutput {
            stream_description: StreamDescription {
                stream_name: doc.name.clone(),
                stream_arn: self.stream_arn(&doc.name),
                stream_status: status_out(status),
                stream_mode_details: Some(mode_out(doc.mode)),
                shards,
                has_more_shards,
                retention_period_hours: doc.retention_hours,
                stream_creation_timestamp: ts(doc.created_ms),
                enhanced_monitoring: monitoring_out(doc),
                encryption_type: encryption_out(doc),
                key_id: doc.encryption_key_id.clone(),
            },
        })
    }

    pub(crate) fn describe_stream_summary(
        &self,
        input: DescribeStreamSummaryInput,
    ) -> KResult<DescribeStreamSummaryOutput> {
        let name = self.stream_name(input.stream_name, input.stream_arn)?;
        let now = self.now_ms();
        let state = self.inner.state.read();
        let (doc, status) = self.visible(&state, &name, now)?;
        Ok(DescribeStreamSummaryOutput {
            stream_description_summary: StreamDescriptionSummary {
                stream_name: doc.name.clone(),
                stream_arn: self.stream_arn(&doc.name),
                stream_id: None,
                stream_status: status_out(status),
                stream_mode_details: Some(mode_out(doc.mode)),
                retention_period_hours: doc.retention_hours,
                stream_creation_timestamp: ts(doc.created_ms),
                enhanced_monitoring: monitoring_out(doc),
                encryption_type: encryption_out(doc),
                key_id: doc.encryption_key_id.clone(),
                open_shard_count: doc.open_shards().count() as i32,
                consumer_count: Some(doc.consumers.iter().filter(|c| c.state_at(now).is_some()).count() as i32),
                warm_throughput: doc
                    .warm_throughput_mibps
                    .map(|w| WarmThroughputObject { target_mi_bps: Some(w), current_mi_bps: Some(w) }),
                max_record_size_in_ki_b: Some(doc.max_record_size_kib),
            },
        })
    }

    pub(crate) fn list_streams(&self, input: ListStreamsInput) -> KResult<ListStreamsOutput> {
        let after = match (&input.next_token, input.exclusive_start_stream_name) {
            (Some(token), _) => Some(decode_list_token(token)?),
            (None, name) => name,
        };
        let limit = input.limit.map_or(LIST_STREAMS_MAX, |l| (l as usize).min(LIST_STREAMS_MAX));
        let now = self.now_ms();
        let state = self.inner.state.read();
        let mut listed = state
            .streams
            .values()
            .filter(|d| after.as_ref().is_none_or(|a| d.name > *a))
            .filter_map(|d| d.status_at(now).map(|s| (d, s)));
        let page: Vec<_> = listed.by_ref().take(limit).collect();
        let has_more_streams = listed.next().is_some();
        let next_token = has_more_streams
            .then(|| page.last().map(|(d, _)| base64::engine::general_purpose::STANDARD.encode(&d.name)))
            .flatten();
        Ok(ListStreamsOutput {
            stream_names: page.iter().map(|(d, _)| d.name.clone()).collect(),
            has_more_streams,
            next_token,
            stream_summaries: Some(
                page.iter()
                    .map(|(d, status)| StreamSummary {
                        stream_name: d.name.clone(),
                        stream_arn: self.stream_arn(&d.name),
                        stream_status: status_out(*status),
                        stream_mode_details: Some(mode_out(d.mode)),
                        stream_creation_timestamp: Some(ts(d.created_ms)),
                    })
                    .collect(),
            ),
        })
    }

    pub(crate) fn increase_retention(&self, input: IncreaseStreamRetentionPeriodInput) -> KResult<()> {
        let name = self.stream_name(input.stream_name, input.stream_arn)?;
        let hours = input.retention_period_hours.expect("validated: required");
        self.change_retention(&name, hours, true)
    }

    pub(crate) fn decrease_retention(&self, input: DecreaseStreamRetentionPeriodInput) -> KResult<()> {
        let name = self.stream_name(input.stream_name, input.stream_arn)?;
        let hours = input.retention_period_hours.expect("validated: required");
        self.change_retention(&name, hours, false)
    }

    fn change_retention(&self, name: &str, hours: i32, increase: bool) -> KResult<()> {
        if hours < RETENTION_HOURS_MIN {
            return Err(KinesisError::invalid_argument(format!(
                "Minimum allowed retention period is {RETENTION_HOURS_MIN} hours. Requested retention period ({hours} hours) is too short."
            )));
        }
        if hours > RETENTION_HOURS_MAX {
            return Err(KinesisError::invalid_argument(format!(
                "Maximum allowed retention period is {RETENTION_HOURS_MAX} hours. Requested retention period ({hours} hours) is too long."
            )));
        }
        let now = self.now_ms();
        let mut state = self.inner.state.write();
        let doc = self.settable(&state, name, now)?;
        let current = doc.retention_hours;
        if increase && hours < current {
            return Err(KinesisError::invalid_argument(format!(
                "Requested retention period ({hours} hours) for stream {name} can not be shorter than existing retention period ({current} hours). Use DecreaseRetentionPeriod API."
            )));
        }
        if !increase && hours > current {
            return Err(KinesisError::invalid_argument(format!(
                "Requested retention period ({hours} hours) for stream {name} can not be longer than existing retention period ({current} hours). Use IncreaseRetentionPeriod API."
            )));
        }
        if hours == current {
            return Ok(());
        }
        let mut doc = doc.clone();
        doc.retention_hours = hours;
        (doc.status, doc.status_until_ms) = self.updating_until(now);
        for shard in &doc.shards {
            self.inner.log.set_retention(&log_shard_id(doc.uid, shard.index), doc.retention_ms())?;
        }
        self.replace(&mut state, doc)
    }

    pub(crate) fn describe_limits(&self, _input: DescribeLimitsInput) -> KResult<DescribeLimitsOutput> {
        let (open, _, on_demand) = self.usage();
        Ok(DescribeLimitsOutput {
            shard_limit: self.inner.cfg.shard_limit as i32,
            open_shard_count: open as i32,
            on_demand_stream_count: on_demand as i32,
            on_demand_stream_count_limit: self.inner.cfg.on_demand_stream_limit as i32,
        })
    }
}

fn decode_list_token(token: &str) -> KResult<String> {
    base64::engine::general_purpose::STANDARD
        .decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| KinesisError::invalid_argument(format!("Invalid NextToken {token}.")))
}

/// Sorted tag map for documents.
pub(crate) type Tags = BTreeMap<String, String>;
