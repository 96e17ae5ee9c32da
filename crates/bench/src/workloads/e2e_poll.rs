//! e2e-poll: one record every `--e2e-interval-ms` into a one-shard stream
//! while a consumer polls GetRecords on that shard in a tight loop. Each
//! record carries its send time; the producer notes when it was
//! acknowledged and the consumer when it was seen, and the latency is
//! acknowledged -> seen (the figure a poll-based consumer gets), with
//! sent -> seen beside it.
//!
//! The record body is built per send (it holds the timestamp): at 100
//! records/s that costs nothing next to the consumer's polling.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::time::MissedTickBehavior;

use super::{Context, Phase, ERROR_BACKOFF, THROTTLE_BACKOFF};
use crate::api::{self, GetRecordsAnswer, PutRecordAnswer};
use crate::args::GET_RECORDS_LIMIT_MAX;
use crate::client::Connection;
use crate::error::{BenchError, Result};
use crate::records::{decode_into, read_stamp, single_body, stamped_data};
use crate::report::PhaseResult;
use crate::stats::{Counters, Latency};

/// How long the consumer may take, after the last send, to see the last
/// acknowledged record before the rest count as unseen.
const TAIL_TIMEOUT: Duration = Duration::from_secs(5);
/// The one partition key (the stream has one shard).
const PARTITION_KEY: &str = "e2e";

/// What the consumer saw: sequence number, embedded send time, seen time (ns).
type Sighting = (String, Option<u64>, u64);

pub async fn run(ctx: &mut Context) -> Result<Vec<PhaseResult>> {
    let stream = ctx.streams.create("e2e-poll", 1).await?;
    let outcome = measure(ctx, &stream).await;
    ctx.streams.delete(&stream).await?;
    Ok(vec![outcome?])
}

async fn measure(ctx: &mut Context, stream: &str) -> Result<PhaseResult> {
    let shards = api::list_shards(ctx.streams.conn(), stream).await?;
    let shard_id = &shards.first().ok_or_else(|| BenchError::Protocol("e2e-poll stream has no shard".into()))?.shard_id;
    let iterator = api::trim_horizon_iterator(ctx.streams.conn(), stream, shard_id).await?;
    let budget = ctx.load_budget();
    let origin = ctx.clock_origin;
    let now_ns = move || origin.elapsed().as_nanos() as u64;
    let phase = Phase::start(ctx, "e2e-poll", &format!("every {} ms", ctx.args.e2e_interval_ms));

    let expected = Arc::new(AtomicU64::new(u64::MAX));
    let consumer = Consumer {
        conn: Connection::new(ctx.client.clone()),
        counters: phase.counters.clone(),
        expected: expected.clone(),
        interrupted: ctx.interrupted.clone(),
        deadline: budget.deadline() + TAIL_TIMEOUT,
        origin,
    };
    let consumer = tokio::spawn(consumer.run(iterator));

    let mut conn = Connection::new(ctx.client.clone());
    let mut acked: HashMap<String, (u64, u64)> = HashMap::new();
    let mut put_latency = Latency::default();
    let mut ticker = tokio::time::interval(Duration::from_millis(ctx.args.e2e_interval_ms));
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    while budget.take().is_some() {
        ticker.tick().await;
        let sent_ns = now_ns();
        let data = stamped_data(&mut ctx.rng, sent_ns, ctx.args.record_bytes);
        let body = single_body(stream, &data, PARTITION_KEY, None);
        let answer = conn.call("PutRecord", &body).await;
        let ack_ns = now_ns();
        Counters::add(&phase.counters.requests, 1);
        match answer.and_then(|b| PutRecordAnswer::parse(&b).map(|a| a.sequence_number.into_owned())) {
            Ok(sequence) => {
                put_latency.record(Duration::from_nanos(ack_ns - sent_ns));
                acked.insert(sequence, (sent_ns, ack_ns));
                Counters::add(&phase.counters.records, 1);
                Counters::add(&phase.counters.bytes, data.len() as u64);
            }
            Err(e) if e.is_throttle() => Counters::add(&phase.counters.throttled, 1),
            Err(e) => {
                Counters::add(&phase.counters.errors, 1);
                phase.counters.note_error(&e);
            }
        }
    }
    expected.store(acked.len() as u64, Ordering::Relaxed);
    let Polled { sightings, polls, empty_polls, throttled_polls } =
        consumer.await.map_err(|e| BenchError::Setup(format!("e2e-poll consumer: {e}")))?;

    let mut ack_to_seen = Latency::default();
    let mut sent_to_seen = Latency::default();
    let (mut seen_before_ack, mut stamp_mismatch, mut matched) = (0u64, 0u64, 0u64);
    for (sequence, stamp, seen_ns) in &sightings {
        let Some(&(sent_ns, ack_ns)) = acked.get(sequence) else { continue };
        matched += 1;
        if *stamp != Some(sent_ns) {
            stamp_mismatch += 1;
        }
        // The consumer may see a record before the producer has read its
        // acknowledgement; that counts as zero latency and is reported.
        if *seen_ns < ack_ns {
            seen_before_ack += 1;
        }
        ack_to_seen.record(Duration::from_nanos(seen_ns.saturating_sub(ack_ns)));
        sent_to_seen.record(Duration::from_nanos(seen_ns.saturating_sub(sent_ns)));
    }
    let mut result = phase.finish().await;
    result.latency = ack_to_seen.summary();
    result.extra.insert("latency_is".into(), json!("acknowledged -> seen by the polling consumer"));
    result.extra.insert("sent_to_seen".into(), json!(sent_to_seen.summary()));
    result.extra.insert("put_latency".into(), json!(put_latency.summary()));
    result.extra.insert("acknowledged".into(), json!(acked.len()));
    result.extra.insert("seen".into(), json!(matched));
    result.extra.insert("unseen".into(), json!(acked.len() as u64 - matched));
    result.extra.insert("seen_before_ack".into(), json!(seen_before_ack));
    result.extra.insert("stamp_mismatch".into(), json!(stamp_mismatch));
    result.extra.insert("polls".into(), json!(polls));
    result.extra.insert("empty_polls".into(), json!(empty_polls));
    result.extra.insert("throttled_polls".into(), json!(throttled_polls));
    Ok(result)
}

/// What the consumer saw and how many calls it took.
struct Polled {
    sightings: Vec<Sighting>,
    polls: u64,
    empty_polls: u64,
    throttled_polls: u64,
}

/// The polling side: GetRecords back to back on the shard.
struct Consumer {
    conn: Connection,
    counters: Arc<Counters>,
    /// How many records the producer had acknowledged, once it is done.
    expected: Arc<AtomicU64>,
    interrupted: Arc<AtomicBool>,
    /// Hard bound of the polling loop.
    deadline: Instant,
    origin: Instant,
}

impl Consumer {
    async fn run(mut self, mut iterator: String) -> Polled {
        let mut sightings = Vec::new();
        let (mut polls, mut empty_polls, mut throttled_polls) = (0u64, 0u64, 0u64);
        let mut data = Vec::new();
        while Instant::now() < self.deadline
            && !self.interrupted.load(Ordering::Relaxed)
            && (sightings.len() as u64) < self.expected.load(Ordering::Relaxed)
        {
            polls += 1;
            let answer = self.conn.call("GetRecords", &api::get_records_body(&iterator, GET_RECORDS_LIMIT_MAX)).await;
            let seen_ns = self.origin.elapsed().as_nanos() as u64;
            let body = match answer {
                Ok(body) => body,
                Err(e) if e.is_throttle() => {
                    // AWS allows 5 GetRecords calls per second per shard.
                    throttled_polls += 1;
                    tokio::time::sleep(THROTTLE_BACKOFF).await;
                    continue;
                }
                Err(e) => {
                    Counters::add(&self.counters.errors, 1);
                    self.counters.note_error(&e);
                    if matches!(e, BenchError::Aws { .. }) {
                        break;
                    }
                    tokio::time::sleep(ERROR_BACKOFF).await;
                    continue;
                }
            };
            let Ok(answer) = GetRecordsAnswer::parse(&body) else {
                self.counters.note_error(&"e2e-poll: GetRecords answer does not parse");
                Counters::add(&self.counters.errors, 1);
                break;
            };
            if answer.records.is_empty() {
                empty_polls += 1;
            }
            for record in &answer.records {
                let stamp = decode_into(&record.data, &mut data).ok().and_then(|()| read_stamp(&data));
                sightings.push((record.sequence_number.clone().into_owned(), stamp, seen_ns));
            }
            match answer.next_shard_iterator {
                Some(next) => iterator = next,
                None => break,
            }
        }
        Polled { sightings, polls, empty_polls, throttled_polls }
    }
}
