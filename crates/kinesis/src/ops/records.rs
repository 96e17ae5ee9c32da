//! The data plane: PutRecord(s), GetShardIterator, GetRecords.

use aws_model::kinesis::{
    ChildShard, EncryptionType, ErrorCode, GetRecordsInput, GetRecordsOutput, GetShardIteratorInput,
    GetShardIteratorOutput, HashKeyRange, PutRecordInput, PutRecordOutput, PutRecordsInput, PutRecordsOutput,
    PutRecordsResultEntry, Record, ShardIteratorType,
};
use aws_model::Blob;
use bytes::Bytes;
use shard_log::{AppendAck, ReadLimits, ShardId};

use super::ts;
use crate::config::ITERATOR_TTL_MS;
use crate::hashing::{parse_hash_key, partition_hash};
use crate::iterator::IteratorState;
use crate::limits::WriteScope;
use crate::metrics::{Sample, Unit};
use crate::model::{log_shard_id, parse_shard_id, shard_id, Mode, Routing, StreamDoc};
use crate::seqno::SequenceNumber;
use crate::{KResult, Kinesis, KinesisError};

/// Bytes of one PutRecords request, partition keys included (AWS's current
/// API reference: 10 MiB, raised from 5 MiB along with MaxRecordSizeInKiB).
const PUT_RECORDS_BYTES_MAX: usize = 10 * 1024 * 1024;
/// Records one GetRecords call returns at most (AWS: 10,000).
const GET_RECORDS_MAX: usize = 10_000;
/// Bytes one GetRecords call returns at most (AWS: 10 MiB).
const GET_RECORDS_BYTES_MAX: usize = 10 * 1024 * 1024;

fn encryption(encrypted: bool) -> EncryptionType {
    if encrypted {
        EncryptionType::Kms
    } else {
        EncryptionType::None
    }
}

/// A record of a PutRecords request still to be stored: its index in the
/// request, its explicit hash key, the record.
type PendingRecord = (usize, Option<String>, shard_log::Record);

/// Placements a put tries when resharding keeps closing its shard.
const RESHARD_RETRIES_MAX: usize = 3;

/// A PutRecords result entry for a record that could not be stored.
fn internal_failure_entry() -> PutRecordsResultEntry {
    PutRecordsResultEntry {
        sequence_number: None,
        shard_id: None,
        error_code: Some("InternalFailure".into()),
        error_message: Some("Internal service failure.".into()),
    }
}

/// Where one record goes.
struct Placement {
    stream_uid: u64,
    shard_index: u32,
    log_id: ShardId,
}

impl Kinesis {
    pub(crate) async fn put_record(&self, input: PutRecordInput) -> KResult<PutRecordOutput> {
        let name = self.stream_name(input.stream_name, input.stream_arn)?;
        let data = input.data.expect("validated: required").into_bytes();
        let key = input.partition_key.expect("validated: required");
        let now = self.now_ms();
        let started = std::time::Instant::now();
        let record = shard_log::Record { partition_key: Bytes::from(key), data, arrival_ms: now };
        let key = std::str::from_utf8(&record.partition_key).expect("keys are strings");
        let mut attempts = 0;
        let mut shard_metrics = Vec::new();
        let (place, ack, encrypted) = loop {
            let (place, encrypted, on_demand) = {
                let state = self.inner.state.read();
                let doc = self.writable(&state, &name, now)?;
                check_record_size(doc, record.data.len(), key.len(), "data")?;
                let place = place(&doc.routing(), key, input.explicit_hash_key.as_deref())?;
                shard_metrics.clone_from(&doc.shard_level_metrics);
                if attempts == 0 && !self.admit_write(doc, place.shard_index, record_bytes(&record), now) {
                    let at = Sample {
                        stream: &name,
                        shard: Some((place.shard_index, &doc.shard_level_metrics)),
                        now_ms: now,
                    };
                    self.inner.metrics.record(
                        &at,
                        &[
                            ("WriteProvisionedThroughputExceeded", Unit::Count, 1.0),
                            ("PutRecord.Success", Unit::Count, 0.0),
                        ],
                    );
                    return Err(self.throttled(doc, place.shard_index));
                }
                (place, doc.encryption_key_id.is_some(), doc.mode == Mode::OnDemand)
            };
            match self.append(&name, &place.log_id, std::slice::from_ref(&record)).await? {
                Some(ack) => {
                    if on_demand {
                        self.inner.meters.record(place.stream_uid, place.shard_index, record_bytes(&record));
                    }
                    break (place, ack, encrypted);
                }
                None => attempts += 1,
            }
            if attempts == RESHARD_RETRIES_MAX {
                return Err(KinesisError::internal("The stream kept resharding; retry the request."));
            }
        };
        let at = Sample { stream: &name, shard: Some((place.shard_index, &shard_metrics)), now_ms: now };
        let bytes = record_bytes(&record) as f64;
        self.inner.metrics.record(
            &at,
            &[
                ("IncomingBytes", Unit::Bytes, bytes),
                ("IncomingRecords", Unit::Count, 1.0),
                ("WriteProvisionedThroughputExceeded", Unit::Count, 0.0),
                ("PutRecord.Bytes", Unit::Bytes, bytes),
                ("PutRecord.Success", Unit::Count, 1.0),
                ("PutRecord.Latency", Unit::Milliseconds, elapsed_ms(started)),
            ],
        );
        Ok(PutRecordOutput {
            shard_id: shard_id(place.shard_index),
            sequence_number: SequenceNumber::new(place.shard_index, ack.first_position).encode(),
            encryption_type: Some(encryption(encrypted)),
        })
    }

    pub(crate) async fn put_records(&self, input: PutRecordsInput) -> KResult<PutRecordsOutput> {
        let name = self.stream_name(input.stream_name, input.stream_arn)?;
        let entries = input.records.expect("validated: required");
        let total: usize = entries
            .iter()
            .map(|e| e.data.as_ref().map_or(0, |d| d.len()) + e.partition_key.as_ref().map_or(0, String::len))
            .sum();
        if total > PUT_RECORDS_BYTES_MAX {
            return Err(KinesisError::invalid_argument(format!(
                "Records size exceeds 10 MiB limit: the request carries {total} bytes of data and partition keys."
            )));
        }
        let now = self.now_ms();
        let started = std::time::Instant::now();
        let total_records = entries.len();
        let mut pending: Vec<PendingRecord> = Vec::with_capacity(entries.len());
        // Per shard: records written, their bytes, records throttled.
        let mut per_shard: std::collections::BTreeMap<u32, (usize, usize, usize)> = Default::default();
        let mut shard_metrics = Vec::new();
        let (encrypted, on_demand) = {
            let state = self.inner.state.read();
            let doc = self.writable(&state, &name, now)?;
            shard_metrics.clone_from(&doc.shard_level_metrics);
            for (i, entry) in entries.into_iter().enumerate() {
                let data = entry.data.expect("validated: required").into_bytes();
                let key = entry.partition_key.expect("validated: required");
                check_record_size(doc, data.len(), key.len(), &format!("records.{}.member.data", i + 1))?;
                let record = shard_log::Record { partition_key: Bytes::from(key), data, arrival_ms: now };
                pending.push((i, entry.explicit_hash_key, record));
            }
            (doc.encryption_key_id.is_some(), doc.mode == Mode::OnDemand)
        };
        let mut results: Vec<Option<PutRecordsResultEntry>> = vec![None; pending.len()];
        let mut failed = 0;
        for round in 0..RESHARD_RETRIES_MAX {
            if pending.is_empty() {
                break;
            }
            // One batch per shard, in request order within each shard.
            let mut groups: Vec<(Placement, Vec<PendingRecord>)> = Vec::new();
            {
                let state = self.inner.state.read();
                let doc = self.writable(&state, &name, now)?;
                let routing = doc.routing();
                for item in pending.drain(..) {
                    let key = std::str::from_utf8(&item.2.partition_key).expect("keys are strings");
                    let place = place(&routing, key, item.1.as_deref())?;
                    // Charged once: records placed again after a reshard were admitted already.
                    if round == 0 && !self.admit_write(doc, place.shard_index, record_bytes(&item.2), now) {
                        failed += 1;
                        per_shard.entry(place.shard_index).or_default().2 += 1;
                        let e = self.throttled(doc, place.shard_index);
                        results[item.0] = Some(PutRecordsResultEntry {
                            sequence_number: None,
                            shard_id: None,
                            error_code: Some(e.code.to_string()),
                            error_message: Some(e.message),
                        });
                        continue;
                    }
                    match groups.iter_mut().find(|g| g.0.shard_index == place.shard_index) {
                        Some(group) => group.1.push(item),
                        None => groups.push((place, vec![item])),
                    }
                }
            }
            // Write every shard's batch first, then wait: one group commit covers all.
            let tickets: Vec<_> = groups
                .iter()
                .map(|(p, items)| {
                    let records: Vec<shard_log::Record> = items.iter().map(|i| i.2.clone()).collect();
                    self.inner.log.append(&p.log_id, &records)
                })
                .collect();
            for ((place, items), ticket) in groups.into_iter().zip(tickets) {
                let outcome = match ticket {
                    // Closed by a reshard since placing: place these again.
                    Err(shard_log::Error::ShardClosed(_)) => {
                        pending.extend(items);
                        continue;
                    }
                    Err(shard_log::Error::ShardNotFound(_)) => return Err(self.not_found(&name)),
                    Ok(ticket) => ticket.await,
                    Err(e) => Err(e),
                };
                if outcome.is_ok() {
                    let bytes = items.iter().map(|i| record_bytes(&i.2)).sum();
                    if on_demand {
                        self.inner.meters.record(place.stream_uid, place.shard_index, bytes);
                    }
                    let shard = per_shard.entry(place.shard_index).or_default();
                    shard.0 += items.len();
                    shard.1 += bytes;
                }
                for (k, (i, _, _)) in items.into_iter().enumerate() {
                    results[i] = Some(match &outcome {
                        Ok(ack) => PutRecordsResultEntry {
                            sequence_number: Some(
                                SequenceNumber::new(place.shard_index, ack.first_position + k as u64).encode(),
                            ),
                            shard_id: Some(shard_id(place.shard_index)),
                            error_code: None,
                            error_message: None,
                        },
                        Err(e) => {
                            failed += 1;
                            tracing::error!(error = %e, "PutRecords batch failed");
                            internal_failure_entry()
                        }
                    });
                }
            }
        }
        for (i, _, _) in pending {
            failed += 1;
            results[i] = Some(internal_failure_entry());
        }
        self.put_records_metrics(&name, &shard_metrics, &per_shard, (total_records, failed as usize), now, started);
        Ok(PutRecordsOutput {
            failed_record_count: Some(failed),
            records: results.into_iter().map(|r| r.expect("every record placed")).collect(),
            encryption_type: Some(encryption(encrypted)),
        })
    }

    /// Appends and waits for durability; `None` when a reshard closed the
    /// shard since the record was placed (the caller places it again).
    async fn append(&self, stream: &str, id: &ShardId, records: &[shard_log::Record]) -> KResult<Option<AppendAck>> {
        let ticket = match self.inner.log.append(id, records) {
            Err(shard_log::Error::ShardNotFound(_)) => return Err(self.not_found(stream)),
            Err(shard_log::Error::ShardClosed(_)) => return Ok(None),
            other => other?,
        };
        Ok(Some(ticket.await?))
    }

    pub(crate) fn get_shard_iterator(&self, input: GetShardIteratorInput) -> KResult<GetShardIteratorOutput> {
        let name = self.stream_name(input.stream_name, input.stream_arn)?;
        let shard_text = input.shard_id.expect("validated: required");
        let now = self.now_ms();
        let (uid, index) = {
            let state = self.inner.state.read();
            let doc = self.writable(&state, &name, now)?;
            let index = parse_shard_id(&shard_text).filter(|&i| doc.shard(i).is_some()).ok_or_else(|| {
                KinesisError::not_found(format!(
                    "Shard {shard_text} in stream {name} under account {} does not exist",
                    self.inner.cfg.account_id
                ))
            })?;
            (doc.uid, index)
        };
        // AWS: five GetShardIterator calls per second per open shard.
        if !self.inner.control.admit("GetShardIterator", &log_shard_id(uid, index).to_string(), now) {
            return Err(KinesisError::new(
                ErrorCode::ProvisionedThroughputExceededException,
                format!(
                    "Rate exceeded for shard {} in stream {name} under account {}.",
                    shard_id(index),
                    self.inner.cfg.account_id
                ),
            ));
        }
        let log_id = log_shard_id(uid, index);
        let kind = input.shard_iterator_type.expect("validated: required");
        let position = self.start_position(
            &name,
            index,
            &log_id,
            &kind,
            input.starting_sequence_number.as_deref(),
            input.timestamp,
            now,
        )?;
        let iterator = self.inner.iterators.encode(&IteratorState {
            stream_uid: uid,
            shard_index: index,
            position,
            issued_ms: now,
        });
        Ok(GetShardIteratorOutput { shard_iterator: Some(iterator) })
    }

    /// Where an iterator or subscription of `kind` starts in a shard.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn start_position(
        &self,
        name: &str,
        index: u32,
        log_id: &ShardId,
        kind: &ShardIteratorType,
        sequence_number: Option<&str>,
        timestamp: Option<aws_model::Timestamp>,
        now: i64,
    ) -> KResult<u64> {
        Ok(match kind {
            ShardIteratorType::AtSequenceNumber | ShardIteratorType::AfterSequenceNumber => {
                let text = sequence_number.ok_or_else(|| {
                    KinesisError::invalid_argument(format!(
                        "Must specify a StartingSequenceNumber for ShardIteratorType {kind}."
                    ))
                })?;
                let seq = SequenceNumber::parse(text).ok_or_else(|| {
                    KinesisError::invalid_argument(format!(
                        "StartingSequenceNumber {text} used in GetShardIterator on shard {} in stream {name} under account {} is invalid.",
                        shard_id(index), self.inner.cfg.account_id
                    ))
                })?;
                if seq.shard_index != index {
                    return Err(KinesisError::invalid_argument(format!(
                        "Invalid StartingSequenceNumber. It encodes {}, while it was used in a call to a shard with {}",
                        shard_id(seq.shard_index),
                        shard_id(index)
                    )));
                }
                if *kind == ShardIteratorType::AfterSequenceNumber {
                    seq.after_position()
                } else {
                    seq.at_position()
                }
            }
            ShardIteratorType::TrimHorizon => self.inner.log.bounds(log_id)?.trim_horizon,
            ShardIteratorType::Latest => self.inner.log.end_position(log_id)?,
            ShardIteratorType::AtTimestamp => {
                let at = timestamp.ok_or_else(|| {
                    KinesisError::invalid_argument(
                        "Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. Current request has no timestamp parameter.",
                    )
                })?;
                if at.as_millis() > now {
                    return Err(KinesisError::invalid_argument(format!(
                        "The timestampInMillis parameter cannot be greater than the currentTimestampInMillis. timestampInMillis: {}, currentTimestampInMillis: {now}",
                        at.as_millis()
                    )));
                }
                self.inner.log.position_at_time(log_id, at.as_millis())?
            }
            ShardIteratorType::Unknown(_) => unreachable!("validated: enum"),
        })
    }

    pub(crate) fn get_records(&self, input: GetRecordsInput) -> KResult<GetRecordsOutput> {
        let text = input.shard_iterator.expect("validated: required");
        let it = self
            .inner
            .iterators
            .decode(&text)
            .ok_or_else(|| KinesisError::invalid_argument("Invalid ShardIterator."))?;
        let now = self.now_ms();
        if now - it.issued_ms > ITERATOR_TTL_MS {
            return Err(KinesisError::new(
                ErrorCode::ExpiredIteratorException,
                format!(
                    "Iterator expired. The iterator was created at time {} while right now it is {} which is further in the future than the tolerated delay of {ITERATOR_TTL_MS} milliseconds.",
                    ts(it.issued_ms),
                    ts(now)
                ),
            ));
        }
        let started = std::time::Instant::now();
        let (closed_end, children, encrypted, name, shard_metrics) = {
            let state = self.inner.state.read();
            let name = state.names_by_uid.get(&it.stream_uid).ok_or_else(|| {
                KinesisError::not_found(format!(
                    "Shard {} in stream under account {} does not exist",
                    shard_id(it.shard_index),
                    self.inner.cfg.account_id
                ))
            })?;
            let doc = self.writable(&state, name, now)?;
            let shard = doc.shard(it.shard_index).expect("iterators name existing shards");
            (
                shard.closed.map(|c| c.end_position),
                child_shards(doc, it.shard_index),
                doc.encryption_key_id.is_some(),
                name.clone(),
                doc.shard_level_metrics.clone(),
            )
        };
        let at = Sample { stream: &name, shard: Some((it.shard_index, &shard_metrics)), now_ms: now };
        if !self.inner.limiter.admit_read(it.stream_uid, it.shard_index, now) {
            self.inner.metrics.record(&at, &[("ReadProvisionedThroughputExceeded", Unit::Count, 1.0)]);
            return Err(KinesisError::new(
                ErrorCode::ProvisionedThroughputExceededException,
                format!(
                    "Rate exceeded for shard {} in stream {name} under account {}.",
                    shard_id(it.shard_index),
                    self.inner.cfg.account_id
                ),
            ));
        }
        let log_id = log_shard_id(it.stream_uid, it.shard_index);
        let limit = input.limit.map_or(GET_RECORDS_MAX, |l| l as usize);
        let batch = self.inner.log.read(
            &log_id,
            it.position,
            ReadLimits { records_max: limit, bytes_max: GET_RECORDS_BYTES_MAX },
        )?;
        let read_bytes: usize = batch.records.iter().map(|r| r.data.len() + r.partition_key.len()).sum();
        self.inner.limiter.charge_read(it.stream_uid, it.shard_index, read_bytes, now);
        let end = self.inner.log.end_position(&log_id)?;
        let millis_behind_latest = match batch.records.last() {
            Some(last) if batch.next_position < end => (now - last.arrival_ms).max(0),
            _ => 0,
        };
        let iterator_age = batch.records.last().map_or(0, |last| (now - last.arrival_ms).max(0)) as f64;
        let (count, bytes) = (batch.records.len() as f64, read_bytes as f64);
        self.inner.metrics.record(
            &at,
            &[
                ("ReadProvisionedThroughputExceeded", Unit::Count, 0.0),
                ("GetRecords.Records", Unit::Count, count),
                ("GetRecords.Bytes", Unit::Bytes, bytes),
                ("GetRecords.IteratorAgeMilliseconds", Unit::Milliseconds, iterator_age),
                ("GetRecords.Success", Unit::Count, 1.0),
                ("GetRecords.Latency", Unit::Milliseconds, elapsed_ms(started)),
            ],
        );
        self.inner.metrics.record_shard(
            &at,
            &[
                ("OutgoingRecords", Unit::Count, count),
                ("OutgoingBytes", Unit::Bytes, bytes),
                ("IteratorAgeMilliseconds", Unit::Milliseconds, iterator_age),
            ],
        );
        let at_closed_end = closed_end.is_some_and(|e| batch.next_position >= e);
        let records = batch.records.into_iter().map(|r| record_out(it.shard_index, r, encrypted)).collect();
        let next_shard_iterator = (!at_closed_end).then(|| {
            self.inner.iterators.encode(&IteratorState { position: batch.next_position, issued_ms: now, ..it })
        });
        Ok(GetRecordsOutput {
            records,
            next_shard_iterator,
            millis_behind_latest: Some(millis_behind_latest),
            child_shards: at_closed_end.then_some(children),
        })
    }
}

/// Milliseconds since `started`, for the `*.Latency` metrics.
fn elapsed_ms(started: std::time::Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}

impl Kinesis {
    /// The metrics of one PutRecords call: stream totals, and per shard when enabled.
    fn put_records_metrics(
        &self,
        name: &str,
        shard_metrics: &[String],
        per_shard: &std::collections::BTreeMap<u32, (usize, usize, usize)>,
        (total, failed): (usize, usize),
        now: i64,
        started: std::time::Instant,
    ) {
        let metrics = &self.inner.metrics;
        let (mut written, mut bytes, mut throttled) = (0, 0, 0);
        for (&shard, &(shard_written, shard_bytes, shard_throttled)) in per_shard {
            let at = Sample { stream: name, shard: Some((shard, shard_metrics)), now_ms: now };
            metrics.record_shard(
                &at,
                &[
                    ("IncomingBytes", Unit::Bytes, shard_bytes as f64),
                    ("IncomingRecords", Unit::Count, shard_written as f64),
                    ("WriteProvisionedThroughputExceeded", Unit::Count, shard_throttled as f64),
                ],
            );
            (written, bytes, throttled) = (written + shard_written, bytes + shard_bytes, throttled + shard_throttled);
        }
        let at = Sample { stream: name, shard: None, now_ms: now };
        metrics.record(
            &at,
            &[
                ("IncomingBytes", Unit::Bytes, bytes as f64),
                ("IncomingRecords", Unit::Count, written as f64),
                ("WriteProvisionedThroughputExceeded", Unit::Count, throttled as f64),
                ("PutRecords.Bytes", Unit::Bytes, bytes as f64),
                ("PutRecords.TotalRecords", Unit::Count, total as f64),
                ("PutRecords.SuccessfulRecords", Unit::Count, written as f64),
                ("PutRecords.FailedRecords", Unit::Count, (failed - throttled) as f64),
                ("PutRecords.ThrottledRecords", Unit::Count, throttled as f64),
                ("PutRecords.Success", Unit::Count, if written > 0 { 1.0 } else { 0.0 }),
                ("PutRecords.Latency", Unit::Milliseconds, elapsed_ms(started)),
            ],
        );
    }
}

/// Bytes a record counts against write limits: data and partition key.
fn record_bytes(record: &shard_log::Record) -> usize {
    record.data.len() + record.partition_key.len()
}

impl Kinesis {
    /// Admits one record's write against its shard's (or on-demand
    /// stream's) capacity.
    fn admit_write(&self, doc: &StreamDoc, shard_index: u32, bytes: usize, now: i64) -> bool {
        let scope = match doc.mode {
            Mode::Provisioned => WriteScope::Shard { stream_uid: doc.uid, shard_index },
            Mode::OnDemand => WriteScope::Stream { stream_uid: doc.uid },
        };
        self.inner.limiter.admit_write(scope, bytes, now)
    }

    fn throttled(&self, doc: &StreamDoc, shard_index: u32) -> KinesisError {
        let account = &self.inner.cfg.account_id;
        let message = match doc.mode {
            Mode::Provisioned => {
                format!(
                    "Rate exceeded for shard {} in stream {} under account {account}.",
                    shard_id(shard_index),
                    doc.name
                )
            }
            Mode::OnDemand => format!("Rate exceeded for stream {} under account {account}.", doc.name),
        };
        KinesisError::new(ErrorCode::ProvisionedThroughputExceededException, message)
    }
}

/// The open shard a record goes to: by explicit hash key, else MD5 of the key.
fn place(routing: &Routing, key: &str, explicit_hash_key: Option<&str>) -> KResult<Placement> {
    let hash = match explicit_hash_key {
        Some(text) => parse_hash_key(text).ok_or_else(|| {
            KinesisError::invalid_argument(format!(
                "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value was {text}"
            ))
        })?,
        None => partition_hash(key),
    };
    let index =
        routing.shard_for_hash(hash).ok_or_else(|| KinesisError::internal("No open shard covers the hash key."))?;
    Ok(Placement { stream_uid: routing.uid, shard_index: index, log_id: log_shard_id(routing.uid, index) })
}

/// A record's data may not exceed the stream's maximum record size, nor may
/// data and partition key together.
fn check_record_size(doc: &StreamDoc, data_len: usize, key_len: usize, path: &str) -> KResult<()> {
    let max = doc.max_record_size_kib as usize * 1024;
    if data_len > max {
        return Err(KinesisError::validation(format!(
            "1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim={data_len} cap={data_len}]' at '{path}' failed to satisfy constraint: Member must have length less than or equal to {max}"
        )));
    }
    if data_len + key_len > max {
        return Err(KinesisError::invalid_argument(format!(
            "The record's data ({data_len} bytes) and partition key ({key_len} bytes) exceed the maximum record size of {max} bytes."
        )));
    }
    Ok(())
}

/// A stored record as GetRecords and SubscribeToShard return it.
pub(crate) fn record_out(shard_index: u32, r: shard_log::StoredRecord, encrypted: bool) -> Record {
    Record {
        sequence_number: SequenceNumber::new(shard_index, r.position).encode(),
        approximate_arrival_timestamp: Some(ts(r.arrival_ms)),
        data: Blob(r.data),
        partition_key: String::from_utf8_lossy(&r.partition_key).into_owned(),
        encryption_type: encrypted.then_some(EncryptionType::Kms),
    }
}

/// The shards that replaced `index` when it closed.
pub(crate) fn child_shards(doc: &StreamDoc, index: u32) -> Vec<ChildShard> {
    doc.shards
        .iter()
        .filter(|s| s.parent == Some(index) || s.adjacent_parent == Some(index))
        .map(|s| ChildShard {
            shard_id: s.shard_id(),
            parent_shards: s.parent.into_iter().chain(s.adjacent_parent).map(shard_id).collect(),
            hash_key_range: HashKeyRange {
                starting_hash_key: s.hash_start.clone(),
                ending_hash_key: s.hash_end.clone(),
            },
        })
        .collect()
}
