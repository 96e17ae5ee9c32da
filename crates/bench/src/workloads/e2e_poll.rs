//! e2e-poll: one record every `--e2e-interval-ms` into a one-shard stream
//! while a consumer polls GetRecords on that shard in a tight loop. Each
//! record carries its send time; the producer notes when it was
//! acknowledged and the consumer when it was seen, and the latency is
//! acknowledged -> seen (the figure a poll-based consumer gets), with
//! sent -> seen beside it.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use serde_json::json;

use super::e2e::{self, Sighting, TAIL_TIMEOUT};
use super::{Context, Phase, ERROR_BACKOFF, THROTTLE_BACKOFF};
use crate::api::{self, GetRecordsAnswer};
use crate::args::GET_RECORDS_LIMIT_MAX;
use crate::client::Connection;
use crate::error::{BenchError, Result};
use crate::records::{decode_into, read_stamp};
use crate::report::PhaseResult;
use crate::stats::Counters;

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
    let phase = Phase::start(ctx, "e2e-poll", &format!("every {} ms", ctx.args.e2e_interval_ms));

    let expected = Arc::new(AtomicU64::new(u64::MAX));
    let consumer = Consumer {
        conn: Connection::new(ctx.client.clone()),
        counters: phase.counters.clone(),
        expected: expected.clone(),
        interrupted: ctx.interrupted.clone(),
        deadline: budget.deadline() + TAIL_TIMEOUT,
        origin: ctx.clock_origin,
    };
    let consumer = tokio::spawn(consumer.run(iterator));
    let produced = e2e::produce(ctx, stream, &phase, &budget).await;
    expected.store(produced.acked.len() as u64, Ordering::Relaxed);
    let Polled { sightings, polls, empty_polls, throttled_polls } =
        consumer.await.map_err(|e| BenchError::Setup(format!("e2e-poll consumer: {e}")))?;

    let mut result = phase.finish().await;
    e2e::summarize(&mut result, &produced, &sightings, "acknowledged -> seen by the polling consumer");
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
