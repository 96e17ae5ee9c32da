//! many-shards: `--many-streams` streams of `--many-shards-per-stream`
//! shards (1,000 by default), each shard receiving PutRecord at a low rate
//! aimed at it with ExplicitHashKey. What it measures is the server's cost
//! of many open shards: RSS idle after creation and after the load, and
//! CPU during the load.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use super::{Context, Phase, ERROR_BACKOFF, THROTTLE_BACKOFF};
use crate::api::{self, PutRecordAnswer};
use crate::budget::Budget;
use crate::client::Connection;
use crate::error::{BenchError, Result};
use crate::procstat;
use crate::records::{random_bytes, single_body};
use crate::report::PhaseResult;
use crate::signing::PreparedBody;
use crate::stats::{Counters, Latency, BYTES_PER_MB};

/// A shard to write to: its body (aimed at it) and its id, to check that
/// the endpoint routed the record there.
struct Target {
    body: PreparedBody,
    shard_id: String,
}

pub async fn run(ctx: &mut Context) -> Result<Vec<PhaseResult>> {
    let server_pid = ctx.args.server_pid.map(|p| p.to_string());
    let rss_mb =
        |pid: &Option<String>| pid.as_deref().and_then(procstat::sample).map(|s| s.rss_bytes as f64 / BYTES_PER_MB);
    let rss_before_mb = rss_mb(&server_pid);
    let specs: Vec<(String, u32)> =
        (0..ctx.args.many_streams).map(|i| (format!("many-{i:03}"), ctx.args.many_shards_per_stream)).collect();
    let created_at = Instant::now();
    let streams = ctx.streams.create_many(&specs).await?;
    let create_seconds = created_at.elapsed().as_secs_f64();
    let outcome = load(ctx, &streams).await;
    for stream in &streams {
        ctx.streams.delete(stream).await?;
    }
    let mut result = outcome?;
    result.extra.insert("server_rss_mb_before_create".into(), json!(rss_before_mb));
    result.extra.insert("create_and_wait_active_seconds".into(), json!(create_seconds));
    Ok(vec![result])
}

async fn load(ctx: &mut Context, streams: &[String]) -> Result<PhaseResult> {
    let record_bytes = ctx.args.record_bytes;
    let mut targets = Vec::new();
    for stream in streams {
        for shard in api::list_shards(ctx.streams.conn(), stream).await? {
            let data = random_bytes(&mut ctx.rng, record_bytes);
            let body = single_body(stream, &data, "many-shards", Some(&shard.starting_hash_key));
            targets.push(Target { body, shard_id: shard.shard_id });
        }
    }
    let shard_count = targets.len();
    let server_pid = ctx.args.server_pid.map(|p| p.to_string());
    let rss_idle_mb = server_pid.as_deref().and_then(procstat::sample).map(|s| s.rss_bytes as f64 / BYTES_PER_MB);
    let round = Duration::from_secs_f64(1.0 / ctx.args.many_rate_per_shard);
    let budget = ctx.load_budget();
    let phase = Phase::start(ctx, "many-shards", &format!("{shard_count} shards"));
    // Shard j belongs to worker j % connections.
    let workers = ctx.args.connections.min(shard_count).max(1);
    let mut shares: Vec<Vec<Target>> = (0..workers).map(|_| Vec::new()).collect();
    for (j, target) in targets.into_iter().enumerate() {
        shares[j % workers].push(target);
    }
    let tasks: Vec<_> = shares
        .into_iter()
        .map(|share| {
            let worker = Worker {
                conn: Connection::new(ctx.client.clone()),
                targets: share,
                budget: budget.clone(),
                counters: phase.counters.clone(),
                record_bytes,
                round,
            };
            tokio::spawn(worker.run())
        })
        .collect();
    let (mut latency, mut late_rounds, mut misrouted) = (Latency::default(), 0u64, 0u64);
    for task in tasks {
        let done = task.await.map_err(|e| BenchError::Setup(format!("many-shards worker: {e}")))?;
        latency.merge(&done.latency);
        late_rounds += done.late_rounds;
        misrouted += done.misrouted;
    }
    let mut result = phase.finish().await;
    let target_rate = ctx.args.many_rate_per_shard * shard_count as f64;
    result.latency = latency.summary();
    result.extra.insert("streams".into(), json!(streams.len()));
    result.extra.insert("shards".into(), json!(shard_count));
    result.extra.insert("target_records_per_second".into(), json!(target_rate));
    result.extra.insert("late_rounds".into(), json!(late_rounds));
    result.extra.insert("misrouted".into(), json!(misrouted));
    result.extra.insert("server_rss_mb_idle_after_create".into(), json!(rss_idle_mb));
    result.extra.insert("server_rss_mb_after_load".into(), json!(result.server_cpu.map(|c| c.rss_mb)));
    Ok(result)
}

/// Writes one record to each of its shards per round.
struct Worker {
    conn: Connection,
    targets: Vec<Target>,
    budget: Arc<Budget>,
    counters: Arc<Counters>,
    record_bytes: usize,
    round: Duration,
}

/// A worker's figures.
struct Done {
    latency: Latency,
    /// Rounds that took longer than their period (the target rate was not met).
    late_rounds: u64,
    /// Records the endpoint put on another shard than the hash key aimed at.
    misrouted: u64,
}

impl Worker {
    async fn run(mut self) -> Done {
        let mut done = Done { latency: Latency::default(), late_rounds: 0, misrouted: 0 };
        let mut next_round = Instant::now();
        'rounds: loop {
            for target in &self.targets {
                if self.budget.take().is_none() {
                    break 'rounds;
                }
                let started = Instant::now();
                let answer = self.conn.call("PutRecord", &target.body).await;
                Counters::add(&self.counters.requests, 1);
                let outcome = answer.and_then(|b| PutRecordAnswer::parse(&b).map(|a| a.shard_id == target.shard_id));
                match outcome {
                    Ok(routed_right) => {
                        done.latency.record(started.elapsed());
                        done.misrouted += u64::from(!routed_right);
                        Counters::add(&self.counters.records, 1);
                        Counters::add(&self.counters.bytes, self.record_bytes as u64);
                    }
                    Err(e) if e.is_throttle() => {
                        Counters::add(&self.counters.throttled, 1);
                        tokio::time::sleep(THROTTLE_BACKOFF).await;
                    }
                    Err(e) => {
                        Counters::add(&self.counters.errors, 1);
                        self.counters.note_error(&e);
                        tokio::time::sleep(ERROR_BACKOFF).await;
                    }
                }
            }
            next_round += self.round;
            let now = Instant::now();
            if now > next_round {
                done.late_rounds += 1;
                next_round = now;
            } else {
                let wake = next_round.min(self.budget.deadline());
                tokio::time::sleep_until(wake.into()).await;
                if self.budget.is_over() {
                    break;
                }
            }
        }
        done
    }
}
