//! throttle: checks an endpoint that enforces AWS's write limits. One
//! shard is offered `--throttle-factor` (2) times `--throttle-limit-records-per-sec`
//! (1,000, AWS's per-shard write limit) as paced PutRecords, one call every
//! 100 ms; with 1 KiB records that is also twice the 1 MiB/s byte limit.
//! It reports what the shard delivered against its limit and how many
//! records were refused, then drains the stream with the exactly-once
//! check: throttling may refuse records, never lose acknowledged ones.
//!
//! The first second may deliver more than the limit (AWS and kinesd start
//! a shard's bucket full), so the verdict uses the rate after it.

use std::time::{Duration, Instant};

use serde_json::json;
use tokio::time::MissedTickBehavior;

use super::put_batch::account;
use super::{drain, Context, Filled, Phase};
use crate::api;
use crate::client::Connection;
use crate::error::{BenchError, Result};
use crate::ledger::{AckLedger, ShardIds};
use crate::records::{batch_body, BatchBody};
use crate::report::PhaseResult;
use crate::stats::{Counters, Latency};

/// One PutRecords call per tick.
const TICK: Duration = Duration::from_millis(100);
/// Ticks per second.
const TICKS_PER_SECOND: f64 = 10.0;
/// The burst allowance excluded from the steady rate.
const BURST_WINDOW: Duration = Duration::from_secs(1);
/// How far the steady delivered rate may be from the limit for the verdict.
const LIMIT_TOLERANCE: f64 = 0.10;

/// Runs the throttled write, then the drain of its stream.
pub async fn run(ctx: &mut Context) -> Result<Vec<PhaseResult>> {
    let stream = ctx.streams.create("throttle", 1).await?;
    let outcome = write(ctx, &stream).await;
    let (write_result, filled) = match outcome {
        Ok(done) => done,
        Err(e) => {
            ctx.streams.delete(&stream).await?;
            return Err(e);
        }
    };
    if let Some(old) = ctx.filled.replace(filled) {
        ctx.streams.delete(&old.stream).await?;
    }
    let mut results = vec![write_result];
    results.extend(drain::run(ctx).await?);
    Ok(results)
}

/// Why a throttle run did not show the limit, or `None` when it did.
pub fn verdict(results: &[PhaseResult]) -> Option<String> {
    let write = results.iter().find(|r| r.workload == "throttle")?;
    let within = write.extra.get("delivers_limit").and_then(|v| v.as_bool()).unwrap_or(false);
    if within && write.throttled_records > 0 {
        return None;
    }
    Some(format!(
        "the shard delivered {:.0} records/s after the first second (limit {}) and throttled {} records",
        write.extra.get("steady_records_per_second").and_then(|v| v.as_f64()).unwrap_or(0.0),
        write.extra.get("limit_records_per_second").cloned().unwrap_or_default(),
        write.throttled_records
    ))
}

async fn write(ctx: &mut Context, stream: &str) -> Result<(PhaseResult, Filled)> {
    let limit = ctx.args.throttle_limit_records_per_sec;
    let offered_per_second = limit * ctx.args.throttle_factor;
    let batch = (offered_per_second / TICKS_PER_SECOND).round().clamp(1.0, crate::args::PUT_RECORDS_RECORDS_MAX as f64)
        as usize;
    let shard_list = api::list_shards(ctx.streams.conn(), stream).await?;
    let shards = ShardIds::new(shard_list.into_iter().map(|s| s.shard_id).collect());
    let bodies: Vec<BatchBody> =
        (0..ctx.args.distinct_bodies).map(|_| batch_body(&mut ctx.rng, stream, batch, ctx.args.record_bytes)).collect();
    let budget = ctx.load_budget();
    let phase = Phase::start(ctx, "throttle", &format!("{}x limit", ctx.args.throttle_factor));
    let mut conn = Connection::new(ctx.client.clone());
    let mut ledger = AckLedger::new(shards);
    let mut latency = Latency::default();
    let mut transport_errors = 0u64;
    let mut ticker = tokio::time::interval(TICK);
    // Behind schedule (a slow answer), the next calls go at once: the offered rate is the point.
    ticker.set_missed_tick_behavior(MissedTickBehavior::Burst);
    let started = Instant::now();
    let mut acked_in_burst_window = None;
    while let Some(ordinal) = budget.take() {
        ticker.tick().await;
        if acked_in_burst_window.is_none() && started.elapsed() >= BURST_WINDOW {
            acked_in_burst_window = Some(Counters::get(&phase.counters.records));
        }
        let body = &bodies[ordinal as usize % bodies.len()];
        let call_started = Instant::now();
        let answer = conn.call("PutRecords", &body.body).await;
        Counters::add(&phase.counters.requests, 1);
        match answer {
            Ok(answer) => {
                latency.record(call_started.elapsed());
                if let Err(e) = account(&answer, body, &mut ledger, &phase.counters) {
                    Counters::add(&phase.counters.errors, 1);
                    phase.counters.note_error(&e);
                }
            }
            // A whole call refused counts each of its records as throttled.
            Err(e) if e.is_throttle() => Counters::add(&phase.counters.throttled, body.digests.len() as u64),
            Err(e) => {
                if matches!(e, BenchError::Transport(_)) {
                    transport_errors += 1;
                }
                Counters::add(&phase.counters.errors, 1);
                phase.counters.note_error(&e);
            }
        }
    }
    let elapsed = started.elapsed();
    let mut result = phase.finish().await;
    result.latency = latency.summary();
    let steady = match acked_in_burst_window {
        Some(before) if elapsed > BURST_WINDOW => {
            (result.records - before) as f64 / (elapsed - BURST_WINDOW).as_secs_f64()
        }
        _ => result.records_per_second,
    };
    let offered = result.requests * batch as u64;
    result.extra.insert("limit_records_per_second".into(), json!(limit));
    result.extra.insert("offered_records_per_second".into(), json!(offered as f64 / elapsed.as_secs_f64()));
    result.extra.insert("offered_records".into(), json!(offered));
    result.extra.insert("steady_records_per_second".into(), json!(steady));
    result.extra.insert("delivered_ratio".into(), json!(steady / limit));
    result.extra.insert("delivers_limit".into(), json!((steady / limit - 1.0).abs() <= LIMIT_TOLERANCE));
    result.extra.insert("batch".into(), json!(batch));
    result.extra.insert("record_bytes".into(), json!(ctx.args.record_bytes));
    let filled = Filled { stream: stream.to_string(), ledger, had_transport_errors: transport_errors > 0 };
    Ok((result, filled))
}
