//! What e2e-poll and e2e-push share: the producer (one stamped PutRecord
//! every `--e2e-interval-ms`) and the matching of what the consumer saw
//! against what was acknowledged.
//!
//! The record body is built per send (it holds the timestamp): at 100
//! records/s that costs nothing next to the consumer.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use serde_json::json;
use tokio::time::MissedTickBehavior;

use super::{Context, Phase};
use crate::api::PutRecordAnswer;
use crate::budget::Budget;
use crate::client::Connection;
use crate::records::{single_body, stamped_data};
use crate::report::PhaseResult;
use crate::stats::{Counters, Latency};

/// How long the consumer may take, after the last send, to see the last
/// acknowledged record before the rest count as unseen.
pub const TAIL_TIMEOUT: Duration = Duration::from_secs(5);
/// The one partition key (the streams have one shard).
const PARTITION_KEY: &str = "e2e";

/// What a consumer saw: sequence number, embedded send time, seen time (ns
/// since the run's clock origin).
pub type Sighting = (String, Option<u64>, u64);

/// What the producer sent and when each record was acknowledged.
pub struct Produced {
    /// Sequence number -> (sent ns, acknowledged ns).
    pub acked: HashMap<String, (u64, u64)>,
    pub put_latency: Latency,
}

/// Sends one stamped record per interval until the budget is spent.
pub async fn produce(ctx: &mut Context, stream: &str, phase: &Phase, budget: &Budget) -> Produced {
    let origin = ctx.clock_origin;
    let now_ns = move || origin.elapsed().as_nanos() as u64;
    let mut conn = Connection::new(ctx.client.clone());
    let mut produced = Produced { acked: HashMap::new(), put_latency: Latency::default() };
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
                produced.put_latency.record(Duration::from_nanos(ack_ns - sent_ns));
                produced.acked.insert(sequence, (sent_ns, ack_ns));
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
    produced
}

/// Matches sightings to acknowledgements and fills the result: latency
/// acknowledged -> seen, and in `extra` sent -> seen, the PutRecord
/// latency and the counts.
pub fn summarize(result: &mut PhaseResult, produced: &Produced, sightings: &[Sighting], latency_is: &str) {
    let mut ack_to_seen = Latency::default();
    let mut sent_to_seen = Latency::default();
    let (mut seen_before_ack, mut stamp_mismatch, mut matched, mut duplicated) = (0u64, 0u64, 0u64, 0u64);
    let mut seen: HashSet<&str> = HashSet::with_capacity(sightings.len());
    for (sequence, stamp, seen_ns) in sightings {
        let Some(&(sent_ns, ack_ns)) = produced.acked.get(sequence) else { continue };
        if !seen.insert(sequence) {
            duplicated += 1;
            continue;
        }
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
    let acknowledged = produced.acked.len() as u64;
    result.latency = ack_to_seen.summary();
    result.extra.insert("latency_is".into(), json!(latency_is));
    result.extra.insert("sent_to_seen".into(), json!(sent_to_seen.summary()));
    result.extra.insert("put_latency".into(), json!(produced.put_latency.summary()));
    result.extra.insert("acknowledged".into(), json!(acknowledged));
    result.extra.insert("seen".into(), json!(matched));
    result.extra.insert("unseen".into(), json!(acknowledged - matched));
    result.extra.insert("seen_twice".into(), json!(duplicated));
    result.extra.insert("seen_unacknowledged".into(), json!(sightings.len() as u64 - matched - duplicated));
    result.extra.insert("seen_before_ack".into(), json!(seen_before_ack));
    result.extra.insert("stamp_mismatch".into(), json!(stamp_mismatch));
}
