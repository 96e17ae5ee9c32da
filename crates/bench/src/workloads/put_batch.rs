//! put-batch: PutRecords of `--batch` random records over `--connections`
//! connections, as fast as the endpoint acknowledges them. Every
//! acknowledgement is kept (sequence number + digest) so that the drain
//! can check the stream afterwards.

use std::sync::Arc;
use std::time::Instant;

use serde_json::json;

use super::{Context, Filled, Phase, ERROR_BACKOFF, THROTTLE_BACKOFF};
use crate::api::{self, PutRecordsAnswer};
use crate::budget::Budget;
use crate::client::Connection;
use crate::error::{is_throttle_code, BenchError, Result};
use crate::ledger::{AckLedger, SequenceNumber, ShardIds};
use crate::records::{batch_body, BatchBody};
use crate::report::PhaseResult;
use crate::stats::{Counters, Latency};

/// Runs put-batch on a fresh stream and keeps the stream for the drain.
pub async fn run(ctx: &mut Context) -> Result<Vec<PhaseResult>> {
    let stream = ctx.streams.create("put-batch", ctx.args.shards).await?;
    let (result, filled) = fill(ctx, &stream, "put-batch", "write").await?;
    // The previous holder of the drain's stream (if any) is done with it.
    if let Some(old) = ctx.filled.replace(filled) {
        ctx.streams.delete(&old.stream).await?;
    }
    Ok(vec![result])
}

/// Loads `stream` with PutRecords for one load budget; returns the phase's
/// result and the acknowledgements.
pub async fn fill(ctx: &mut Context, stream: &str, workload: &str, phase_name: &str) -> Result<(PhaseResult, Filled)> {
    let shard_list = api::list_shards(ctx.streams.conn(), stream).await?;
    let shards = ShardIds::new(shard_list.into_iter().map(|s| s.shard_id).collect());
    let bodies: Arc<Vec<BatchBody>> = Arc::new(
        (0..ctx.args.distinct_bodies)
            .map(|_| batch_body(&mut ctx.rng, stream, ctx.args.batch, ctx.args.record_bytes))
            .collect(),
    );
    let budget = ctx.load_budget();
    let phase = Phase::start(ctx, workload, phase_name);
    let workers: Vec<_> = (0..ctx.args.connections)
        .map(|_| {
            let worker = Worker {
                conn: Connection::new(ctx.client.clone()),
                bodies: bodies.clone(),
                budget: budget.clone(),
                counters: phase.counters.clone(),
                ledger: AckLedger::new(shards.clone()),
                latency: Latency::default(),
                transport_errors: 0,
            };
            tokio::spawn(worker.run())
        })
        .collect();
    let mut ledger = AckLedger::new(shards);
    let mut latency = Latency::default();
    let mut transport_errors = 0;
    let mut connections_opened = 0;
    for handle in workers {
        let done = handle.await.map_err(|e| BenchError::Setup(format!("put-batch worker: {e}")))?;
        ledger.merge(done.ledger);
        latency.merge(&done.latency);
        transport_errors += done.transport_errors;
        connections_opened += done.conn.opened;
    }
    let mut result = phase.finish().await;
    result.latency = latency.summary();
    result.extra.insert("connections".into(), json!(ctx.args.connections));
    result.extra.insert("connections_opened".into(), json!(connections_opened));
    result.extra.insert("shards".into(), json!(ledger.shards.len()));
    result.extra.insert("batch".into(), json!(ctx.args.batch));
    result.extra.insert("record_bytes".into(), json!(ctx.args.record_bytes));
    let filled = Filled { stream: stream.to_string(), ledger, had_transport_errors: transport_errors > 0 };
    Ok((result, filled))
}

/// One connection's load loop.
struct Worker {
    conn: Connection,
    bodies: Arc<Vec<BatchBody>>,
    budget: Arc<Budget>,
    counters: Arc<Counters>,
    ledger: AckLedger,
    latency: Latency,
    transport_errors: u64,
}

impl Worker {
    async fn run(mut self) -> Worker {
        while let Some(ordinal) = self.budget.take() {
            let bodies = self.bodies.clone();
            let batch = &bodies[ordinal as usize % bodies.len()];
            let started = Instant::now();
            let answer = self.conn.call("PutRecords", &batch.body).await;
            Counters::add(&self.counters.requests, 1);
            match answer {
                Ok(body) => {
                    self.latency.record(started.elapsed());
                    if let Err(e) = account(&body, batch, &mut self.ledger, &self.counters) {
                        Counters::add(&self.counters.errors, 1);
                        self.counters.note_error(&e);
                    }
                }
                Err(e) if e.is_throttle() => {
                    Counters::add(&self.counters.throttled, batch.digests.len() as u64);
                    tokio::time::sleep(THROTTLE_BACKOFF).await;
                }
                Err(e) => {
                    if matches!(e, BenchError::Transport(_)) {
                        self.transport_errors += 1;
                    }
                    Counters::add(&self.counters.errors, 1);
                    self.counters.note_error(&e);
                    tokio::time::sleep(ERROR_BACKOFF).await;
                }
            }
        }
        self
    }
}

/// Counts and records the per-record outcome of one PutRecords answer.
pub(super) fn account(body: &[u8], batch: &BatchBody, ledger: &mut AckLedger, counters: &Counters) -> Result<()> {
    let answer = PutRecordsAnswer::parse(body)?;
    if answer.records.len() != batch.digests.len() {
        return Err(BenchError::Protocol(format!(
            "PutRecords answered {} entries for {} records",
            answer.records.len(),
            batch.digests.len()
        )));
    }
    let record_bytes = batch.data_bytes / batch.digests.len() as u64;
    let (mut acked, mut throttled, mut failed) = (0u64, 0u64, 0u64);
    for (entry, digest) in answer.records.iter().zip(&batch.digests) {
        match (&entry.sequence_number, &entry.shard_id, &entry.error_code) {
            (Some(sequence), Some(shard_id), None) => {
                let acknowledged = SequenceNumber::parse(sequence).is_some_and(|s| ledger.ack(shard_id, s, *digest));
                if acknowledged {
                    acked += 1;
                } else {
                    failed += 1;
                    counters.note_error(&format!(
                        "PutRecords acknowledged a record with sequence {sequence:?} on unknown shard {shard_id:?}"
                    ));
                }
            }
            (_, _, Some(code)) if is_throttle_code(code) => throttled += 1,
            _ => failed += 1,
        }
    }
    if answer.failed_record_count != throttled + failed {
        counters.note_error(&format!(
            "FailedRecordCount {} but {} entries failed",
            answer.failed_record_count,
            throttled + failed
        ));
    }
    Counters::add(&counters.records, acked);
    Counters::add(&counters.bytes, acked * record_bytes);
    Counters::add(&counters.throttled, throttled);
    Counters::add(&counters.failed, failed);
    Ok(())
}
