//! drain: reads every shard of a stream the bench filled from TRIM_HORIZON
//! with GetRecords (Limit 10,000) and checks that every acknowledged record
//! comes back exactly once, in sequence order per shard, with the same data.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use super::{put_batch, Context, Filled, Phase, ERROR_BACKOFF, THROTTLE_BACKOFF};
use crate::api::{self, GetRecordsAnswer};
use crate::args::GET_RECORDS_LIMIT_MAX;
use crate::budget::Budget;
use crate::client::Connection;
use crate::error::{BenchError, Result};
use crate::ledger::{CheckCounts, SequenceNumber, ShardVerifier};
use crate::records::{decode_into, digest};
use crate::report::{Check, PhaseResult};
use crate::stats::{Counters, Latency};

/// Empty answers in a row, at the tip and with acknowledged records still
/// unread, before a shard is declared short (allows for an endpoint whose
/// reads lag its acknowledgements a little).
const EMPTY_AT_TIP_POLLS_MAX: u32 = 50;
/// Pause between such empty polls.
const EMPTY_POLL_PAUSE: Duration = Duration::from_millis(20);

/// Drains the put-batch stream, or fills a fresh one first when run alone.
pub async fn run(ctx: &mut Context) -> Result<Vec<PhaseResult>> {
    let mut results = Vec::new();
    let filled = match ctx.filled.take() {
        Some(filled) => filled,
        None => {
            let stream = ctx.streams.create("drain", ctx.args.shards).await?;
            let (fill_result, filled) = put_batch::fill(ctx, &stream, "drain", "fill").await?;
            results.push(fill_result);
            filled
        }
    };
    let stream = filled.stream.clone();
    let outcome = drain(ctx, filled).await;
    ctx.streams.delete(&stream).await?;
    results.push(outcome?);
    Ok(results)
}

pub(super) async fn drain(ctx: &mut Context, filled: Filled) -> Result<PhaseResult> {
    let Filled { stream, ledger, had_transport_errors } = filled;
    let shards = ledger.shards.clone();
    // A correct drain needs at most one call per record plus the empty polls
    // at each shard's tip; `--max-requests` on top leaves room for empty pages.
    let requests_max = ctx
        .args
        .max_requests
        .saturating_add(ledger.total())
        .saturating_add(shards.len() as u64 * u64::from(EMPTY_AT_TIP_POLLS_MAX + 1));
    let budget = Budget::new(Duration::from_secs_f64(ctx.args.drain_seconds), requests_max, ctx.interrupted.clone());
    // One task per shard: each shard is a sequential chain of iterators anyway.
    let mut iterators = Vec::with_capacity(shards.len());
    for index in 0..shards.len() {
        iterators.push(api::trim_horizon_iterator(ctx.streams.conn(), &stream, shards.id(index)).await?);
    }
    let phase = Phase::start(ctx, "drain", "read");
    let tasks: Vec<_> = ledger
        .into_verifiers()
        .into_iter()
        .zip(iterators)
        .map(|(verifier, iterator)| {
            let reader = ShardReader {
                conn: Connection::new(ctx.client.clone()),
                budget: budget.clone(),
                counters: phase.counters.clone(),
                verifier,
                latency: Latency::default(),
            };
            tokio::spawn(reader.run(iterator))
        })
        .collect();
    let mut counts = CheckCounts::default();
    let mut latency = Latency::default();
    for task in tasks {
        let (shard_counts, shard_latency) = task.await.map_err(|e| BenchError::Setup(format!("drain reader: {e}")))?;
        counts.add(&shard_counts);
        latency.merge(&shard_latency);
    }
    let mut result = phase.finish().await;
    result.latency = latency.summary();
    result.check = Some(Check {
        passed: counts.passed(had_transport_errors),
        tolerated_unacknowledged: had_transport_errors,
        counts,
    });
    result.extra.insert("shards".into(), json!(shards.len()));
    result.extra.insert("get_records_limit".into(), json!(GET_RECORDS_LIMIT_MAX));
    Ok(result)
}

/// Reads one shard to its end, feeding the verifier.
struct ShardReader {
    conn: Connection,
    budget: Arc<Budget>,
    counters: Arc<Counters>,
    verifier: ShardVerifier,
    latency: Latency,
}

impl ShardReader {
    async fn run(mut self, mut iterator: String) -> (CheckCounts, Latency) {
        let mut data = Vec::new();
        let mut empty_at_tip = 0;
        while self.budget.take().is_some() {
            let started = Instant::now();
            let answer = self.conn.call("GetRecords", &api::get_records_body(&iterator, GET_RECORDS_LIMIT_MAX)).await;
            Counters::add(&self.counters.requests, 1);
            let body = match answer {
                Ok(body) => body,
                Err(e) if e.is_throttle() => {
                    Counters::add(&self.counters.throttled, 1);
                    tokio::time::sleep(THROTTLE_BACKOFF).await;
                    continue;
                }
                Err(e) => {
                    Counters::add(&self.counters.errors, 1);
                    self.counters.note_error(&e);
                    if matches!(e, BenchError::Aws { .. }) {
                        break; // an expired or invalid iterator does not heal by retrying
                    }
                    tokio::time::sleep(ERROR_BACKOFF).await;
                    continue;
                }
            };
            self.latency.record(started.elapsed());
            let answer = match GetRecordsAnswer::parse(&body) {
                Ok(answer) => answer,
                Err(e) => {
                    Counters::add(&self.counters.errors, 1);
                    self.counters.note_error(&e);
                    break;
                }
            };
            let (mut records, mut bytes) = (0u64, 0u64);
            for record in &answer.records {
                let Some(sequence) = SequenceNumber::parse(&record.sequence_number) else {
                    self.counters.note_error(&format!("bad sequence number {:?}", record.sequence_number));
                    Counters::add(&self.counters.failed, 1);
                    continue;
                };
                let record_digest = match decode_into(&record.data, &mut data) {
                    Ok(()) => digest(&data),
                    Err(e) => {
                        self.counters.note_error(&format!("record {sequence:?}: data is not base64: {e}"));
                        // Still counts as a read, which the verifier reports as corrupted.
                        !0
                    }
                };
                self.verifier.read(sequence, record_digest);
                records += 1;
                bytes += data.len() as u64;
            }
            Counters::add(&self.counters.records, records);
            Counters::add(&self.counters.bytes, bytes);
            let at_tip = answer.millis_behind_latest.unwrap_or(0) == 0;
            match answer.next_shard_iterator {
                None => break, // closed shard, read to its end
                Some(next) => iterator = next,
            }
            if records == 0 && at_tip {
                if self.verifier.remaining() == 0 {
                    break;
                }
                empty_at_tip += 1;
                if empty_at_tip >= EMPTY_AT_TIP_POLLS_MAX {
                    break;
                }
                tokio::time::sleep(EMPTY_POLL_PAUSE).await;
            } else {
                empty_at_tip = 0;
            }
        }
        (self.verifier.finish(), self.latency)
    }
}
