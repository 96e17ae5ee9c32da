//! SubscribeToShard: records pushed to an enhanced fan-out consumer as they
//! are appended (the pump waits on the shard's end-position watch, never a
//! polling loop), at most 2 MiB/s per consumer and shard, for 5 minutes; a
//! second subscription for the same consumer and shard is refused for 5
//! seconds, then takes over.

use std::sync::atomic::{AtomicU64, Ordering};

use aws_model::kinesis::{ChildShard, SubscribeToShardEvent, SubscribeToShardInput};
use futures::stream::BoxStream;
use shard_log::{ReadLimits, ShardId};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use crate::model::{log_shard_id, parse_shard_id, ConsumerState};
use crate::ops::records::{child_shards, record_out};
use crate::seqno::SequenceNumber;
use crate::service::decode;
use crate::{KResult, Kinesis, KinesisError};

/// Events queued between the pump and the connection; the pump waits when
/// the client reads slower than records arrive.
const EVENTS_QUEUED_MAX: usize = 4;
/// Records one event carries at most.
const EVENT_RECORDS_MAX: usize = 10_000;
/// Bytes one event carries at most (one record more, when that record alone is bigger).
const EVENT_BYTES_MAX: usize = 2 * 1024 * 1024;

/// What a subscription sends: an event's JSON, or an error that ends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubscriptionEvent {
    /// A `SubscribeToShardEvent`, as JSON.
    Event(Vec<u8>),
    Error {
        code: &'static str,
        message: String,
    },
}

/// A live subscription in the registry.
pub(crate) struct Slot {
    started: Instant,
    generation: u64,
    cancel: watch::Sender<bool>,
}

static GENERATION: AtomicU64 = AtomicU64::new(0);

/// Everything the pump needs about its shard.
struct Target {
    stream: String,
    stream_uid: u64,
    consumer: String,
    created_secs: Option<i64>,
    shard_index: u32,
    log_id: ShardId,
    key: (String, u32),
    generation: u64,
}

impl Kinesis {
    /// Ends every live subscription (on shutdown, so draining connections
    /// does not wait for five-minute streams).
    pub fn end_subscriptions(&self) {
        for slot in self.inner.subscriptions.lock().values() {
            let _ = slot.cancel.send(true);
        }
    }

    /// Starts a subscription; the stream yields its events until it ends.
    pub async fn subscribe_to_shard(&self, body: &[u8]) -> KResult<BoxStream<'static, SubscriptionEvent>> {
        let input: SubscribeToShardInput = decode(if body.is_empty() { b"{}" } else { body })?;
        let consumer_arn = input.consumer_arn.expect("validated: required");
        let shard_text = input.shard_id.expect("validated: required");
        let start = input.starting_position.expect("validated: required");
        let r = self.parse_consumer_arn(&consumer_arn)?;
        let now = self.now_ms();
        let (stream_uid, shard_index) = {
            let state = self.inner.state.read();
            let doc = self.writable(&state, &r.stream, now)?;
            let (_, status) = self.find_consumer(doc, &r, now)?;
            if status != ConsumerState::Active {
                return Err(KinesisError::in_use(format!(
                    "Consumer {} under stream {} is not ACTIVE.",
                    r.name, r.stream
                )));
            }
            let index = parse_shard_id(&shard_text).filter(|&i| doc.shard(i).is_some()).ok_or_else(|| {
                KinesisError::not_found(format!(
                    "Shard {shard_text} in stream {} under account {} does not exist",
                    r.stream, self.inner.cfg.account_id
                ))
            })?;
            (doc.uid, index)
        };
        let log_id = log_shard_id(stream_uid, shard_index);
        let kind = start.r#type.expect("validated: required");
        let position = self.start_position(
            &r.stream,
            shard_index,
            &log_id,
            &kind,
            start.sequence_number.as_deref(),
            start.timestamp,
            now,
        )?;
        if !self.inner.control.admit("SubscribeToShard", &consumer_arn, now) {
            return Err(KinesisError::limit_exceeded(format!(
                "Rate exceeded for SubscribeToShard calls of consumer {consumer_arn}."
            )));
        }
        let key = (consumer_arn.clone(), shard_index);
        let (cancel_tx, cancel_rx) = watch::channel(false);
        let generation = GENERATION.fetch_add(1, Ordering::Relaxed);
        {
            let mut subs = self.inner.subscriptions.lock();
            if let Some(existing) = subs.get(&key) {
                if existing.started.elapsed() < self.inner.cfg.subscription_takeover {
                    return Err(KinesisError::in_use(format!(
                        "Another active subscription exists for consumer {consumer_arn} and shard {shard_text}."
                    )));
                }
                let _ = existing.cancel.send(true);
            }
            subs.insert(key.clone(), Slot { started: Instant::now(), generation, cancel: cancel_tx });
        }
        let watch_end = self.inner.log.watch_end(&log_id)?;
        let (tx, rx) = mpsc::channel(EVENTS_QUEUED_MAX);
        let target = Target {
            stream: r.stream,
            stream_uid,
            consumer: r.name,
            created_secs: r.created_secs,
            shard_index,
            log_id,
            key,
            generation,
        };
        tokio::spawn(self.clone().pump(target, position, tx, watch_end, cancel_rx));
        Ok(Box::pin(futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|e| (e, rx)) })))
    }

    /// Sends events for one subscription until it ends, is taken over, the
    /// client goes away, or the shard is closed and fully read.
    async fn pump(
        self,
        target: Target,
        mut position: u64,
        tx: mpsc::Sender<SubscriptionEvent>,
        mut end: watch::Receiver<u64>,
        mut cancel: watch::Receiver<bool>,
    ) {
        let cfg = &self.inner.cfg;
        let deadline = Instant::now() + cfg.subscription_lifetime;
        let rate = cfg.subscription_bytes_per_sec.max(1) as f64;
        let mut tokens = rate;
        let mut refilled = Instant::now();
        loop {
            let facts = match self.shard_facts(&target) {
                Ok(facts) => facts,
                Err(e) => {
                    let _ = tx.send(SubscriptionEvent::Error { code: e.code, message: e.message }).await;
                    break;
                }
            };
            end.borrow_and_update();
            // Token bucket (one second of burst): an event carries at most
            // what the consumer may read now; when it may read nothing, wait.
            tokens = (tokens + refilled.elapsed().as_secs_f64() * rate).min(rate);
            refilled = Instant::now();
            if tokens < 1.0 {
                tokio::time::sleep(std::time::Duration::from_secs_f64((1.0 - tokens) / rate)).await;
                continue;
            }
            let bytes_max = (tokens as usize).min(EVENT_BYTES_MAX);
            let limits = ReadLimits { records_max: EVENT_RECORDS_MAX, bytes_max };
            let batch = match self.inner.log.read(&target.log_id, position, limits) {
                Ok(batch) => batch,
                Err(e) => {
                    let e = KinesisError::from(e);
                    let _ = tx.send(SubscriptionEvent::Error { code: e.code, message: e.message }).await;
                    break;
                }
            };
            let now = self.now_ms();
            let at_closed_end = facts.closed_end.is_some_and(|e| batch.next_position >= e);
            if !batch.records.is_empty() || at_closed_end {
                let bytes: usize = batch.records.iter().map(|r| r.data.len() + r.partition_key.len()).sum();
                let latest = self.inner.log.end_position(&target.log_id).unwrap_or(batch.next_position);
                let millis_behind_latest = match batch.records.last() {
                    Some(last) if batch.next_position < latest => (now - last.arrival_ms).max(0),
                    _ => 0,
                };
                position = batch.next_position;
                let event = SubscribeToShardEvent {
                    records: batch
                        .records
                        .into_iter()
                        .map(|r| record_out(target.shard_index, r, facts.encrypted))
                        .collect(),
                    continuation_sequence_number: SequenceNumber::before(target.shard_index, position).encode(),
                    millis_behind_latest,
                    child_shards: at_closed_end.then(|| facts.children.clone()),
                };
                let json = serde_json::to_vec(&event).expect("events serialize");
                if tx.send(SubscriptionEvent::Event(json)).await.is_err() || at_closed_end {
                    break;
                }
                // One record larger than the tokens left puts the bucket in debt.
                tokens -= bytes as f64;
                continue;
            }
            // Caught up: wait for an append, a heartbeat, the end, or a takeover.
            tokio::select! {
                changed = end.changed() => {
                    if changed.is_err() {
                        break;
                    }
                }
                _ = tokio::time::sleep(cfg.subscription_heartbeat) => {
                    let event = SubscribeToShardEvent {
                        records: Vec::new(),
                        continuation_sequence_number: SequenceNumber::before(target.shard_index, position).encode(),
                        millis_behind_latest: 0,
                        child_shards: None,
                    };
                    let json = serde_json::to_vec(&event).expect("events serialize");
                    if tx.send(SubscriptionEvent::Event(json)).await.is_err() {
                        break;
                    }
                }
                _ = tokio::time::sleep_until(deadline) => break,
                _ = cancel.changed() => break,
                _ = tx.closed() => break,
            }
            if Instant::now() >= deadline || *cancel.borrow() {
                break;
            }
        }
        let mut subs = self.inner.subscriptions.lock();
        if subs.get(&target.key).is_some_and(|s| s.generation == target.generation) {
            subs.remove(&target.key);
        }
    }

    /// The shard's state now, or why the subscription must end.
    fn shard_facts(&self, t: &Target) -> KResult<ShardFacts> {
        let now = self.now_ms();
        let state = self.inner.state.read();
        let doc = state
            .streams
            .get(&t.stream)
            .filter(|d| d.uid == t.stream_uid && d.status_at(now).is_some())
            .ok_or_else(|| self.not_found(&t.stream))?;
        let consumer = crate::ops::consumers::ConsumerRef {
            stream: t.stream.clone(),
            name: t.consumer.clone(),
            created_secs: t.created_secs,
        };
        self.find_consumer(doc, &consumer, now)?;
        let shard = doc.shard(t.shard_index).expect("subscribed shards exist");
        Ok(ShardFacts {
            closed_end: shard.closed.map(|c| c.end_position),
            children: child_shards(doc, t.shard_index),
            encrypted: doc.encryption_key_id.is_some(),
        })
    }
}

struct ShardFacts {
    closed_end: Option<u64>,
    children: Vec<ChildShard>,
    encrypted: bool,
}
