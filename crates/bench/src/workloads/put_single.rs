//! put-single: PutRecord latency at fixed concurrency levels (default 1
//! and 16): each worker sends its next record when the last is acknowledged,
//! so latency is measured without queueing in the bench.

use std::sync::Arc;
use std::time::Instant;

use serde_json::json;

use super::{Context, Phase, ERROR_BACKOFF, THROTTLE_BACKOFF};
use crate::api::PutRecordAnswer;
use crate::budget::Budget;
use crate::client::Connection;
use crate::error::{BenchError, Result};
use crate::records::{random_bytes, random_partition_key, single_body};
use crate::report::PhaseResult;
use crate::signing::PreparedBody;
use crate::stats::{Counters, Latency};

/// One phase per concurrency level, on one fresh stream.
pub async fn run(ctx: &mut Context) -> Result<Vec<PhaseResult>> {
    let stream = ctx.streams.create("put-single", ctx.args.shards).await?;
    let record_bytes = ctx.args.record_bytes;
    let bodies: Arc<Vec<PreparedBody>> = Arc::new(
        (0..ctx.args.distinct_bodies)
            .map(|_| {
                let data = random_bytes(&mut ctx.rng, record_bytes);
                single_body(&stream, &data, &random_partition_key(&mut ctx.rng), None)
            })
            .collect(),
    );
    let mut results = Vec::new();
    for concurrency in ctx.args.single_concurrency.clone() {
        let budget = ctx.load_budget();
        let phase = Phase::start(ctx, "put-single", &format!("c={concurrency}"));
        let workers: Vec<_> = (0..concurrency)
            .map(|_| {
                let conn = Connection::new(ctx.client.clone());
                tokio::spawn(worker(conn, bodies.clone(), budget.clone(), phase.counters.clone(), record_bytes))
            })
            .collect();
        let mut latency = Latency::default();
        for w in workers {
            latency.merge(&w.await.map_err(|e| BenchError::Setup(format!("put-single worker: {e}")))?);
        }
        let mut result = phase.finish().await;
        result.latency = latency.summary();
        result.extra.insert("concurrency".into(), json!(concurrency));
        result.extra.insert("record_bytes".into(), json!(record_bytes));
        results.push(result);
        if ctx.interrupted.load(std::sync::atomic::Ordering::Relaxed) {
            break;
        }
    }
    ctx.streams.delete(&stream).await?;
    Ok(results)
}

async fn worker(
    mut conn: Connection,
    bodies: Arc<Vec<PreparedBody>>,
    budget: Arc<Budget>,
    counters: Arc<Counters>,
    record_bytes: usize,
) -> Latency {
    let mut latency = Latency::default();
    while let Some(ordinal) = budget.take() {
        let body = &bodies[ordinal as usize % bodies.len()];
        let started = Instant::now();
        let answer = conn.call("PutRecord", body).await;
        let elapsed = started.elapsed();
        Counters::add(&counters.requests, 1);
        match answer.and_then(|body| PutRecordAnswer::parse(&body).map(drop)) {
            Ok(()) => {
                latency.record(elapsed);
                Counters::add(&counters.records, 1);
                Counters::add(&counters.bytes, record_bytes as u64);
            }
            Err(e) if e.is_throttle() => {
                Counters::add(&counters.throttled, 1);
                tokio::time::sleep(THROTTLE_BACKOFF).await;
            }
            Err(e) => {
                Counters::add(&counters.errors, 1);
                counters.note_error(&e);
                tokio::time::sleep(ERROR_BACKOFF).await;
            }
        }
    }
    latency
}
