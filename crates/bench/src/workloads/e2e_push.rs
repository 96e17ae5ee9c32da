//! e2e-push: the e2e-poll measurement over enhanced fan-out. The bench
//! registers a consumer on a one-shard stream, subscribes with
//! SubscribeToShard from LATEST, waits for the `initial-response` event,
//! then sends one stamped record every `--e2e-interval-ms` while the
//! subscriber decodes the event stream as it arrives (both CRCs checked).
//! The latency is acknowledged -> seen, as for e2e-poll.
//!
//! A subscription lasts 5 minutes at most; when one ends before the run
//! does, the subscriber renews it after the last `ContinuationSequenceNumber`.
//! The consumer is deregistered at the end, whatever happened.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::BodyExt;
use hyper::body::Incoming;
use serde_json::json;

use super::e2e::{self, Sighting, TAIL_TIMEOUT};
use super::{Context, Phase, ERROR_BACKOFF};
use crate::api::{self, SubscribeEvent};
use crate::client::{ClientConfig, Connection};
use crate::error::{BenchError, Result};
use crate::eventstream::{Decoder, Message};
use crate::records::{decode_into, read_stamp};
use crate::report::PhaseResult;
use crate::stats::Counters;

/// The consumer name the bench registers.
const CONSUMER_NAME: &str = "kinesd-bench-e2e-push";
/// How long the subscription may take to send its `initial-response`.
const INITIAL_RESPONSE_TIMEOUT: Duration = Duration::from_secs(10);
/// How often the subscriber, waiting for bytes, looks whether it is done;
/// a waiting read is abandoned and resumed, which loses nothing.
const DONE_CHECK_INTERVAL: Duration = Duration::from_millis(20);

pub async fn run(ctx: &mut Context) -> Result<Vec<PhaseResult>> {
    let stream = ctx.streams.create("e2e-push", 1).await?;
    let outcome = with_consumer(ctx, &stream).await;
    ctx.streams.delete(&stream).await?;
    Ok(vec![outcome?])
}

async fn with_consumer(ctx: &mut Context, stream: &str) -> Result<PhaseResult> {
    let stream_arn = api::stream_arn(ctx.streams.conn(), stream).await?;
    let consumer_arn = api::register_consumer(ctx.streams.conn(), &stream_arn, CONSUMER_NAME).await?;
    let outcome = measure(ctx, stream, &consumer_arn).await;
    let deregistered = api::deregister_consumer(ctx.streams.conn(), &consumer_arn).await;
    let mut result = outcome?;
    deregistered?;
    result.extra.insert("consumer_deregistered".into(), json!(true));
    Ok(result)
}

async fn measure(ctx: &mut Context, stream: &str, consumer_arn: &str) -> Result<PhaseResult> {
    let shards = api::list_shards(ctx.streams.conn(), stream).await?;
    let shard_id = shards.first().ok_or_else(|| BenchError::Protocol("e2e-push stream has no shard".into()))?;
    let mut subscriber = Subscriber {
        client: ctx.client.clone(),
        consumer_arn: consumer_arn.to_string(),
        shard_id: shard_id.shard_id.clone(),
        counters: Arc::default(),
        expected: Arc::new(AtomicU64::new(u64::MAX)),
        interrupted: ctx.interrupted.clone(),
        deadline: Instant::now(),
        origin: ctx.clock_origin,
        pushed: Pushed::default(),
        decoder: Decoder::default(),
        continuation: None,
    };
    // Records are sent only once the subscription is live: from LATEST, a
    // record appended before it would never be pushed.
    let body = subscriber.subscribe(Instant::now() + INITIAL_RESPONSE_TIMEOUT).await?;
    let budget = ctx.load_budget();
    let phase = Phase::start(ctx, "e2e-push", &format!("every {} ms", ctx.args.e2e_interval_ms));
    subscriber.counters = phase.counters.clone();
    subscriber.deadline = budget.deadline() + TAIL_TIMEOUT;
    let expected = subscriber.expected.clone();
    let subscriber = tokio::spawn(subscriber.run(body));
    let produced = e2e::produce(ctx, stream, &phase, &budget).await;
    expected.store(produced.acked.len() as u64, Ordering::Relaxed);
    let pushed = subscriber.await.map_err(|e| BenchError::Setup(format!("e2e-push subscriber: {e}")))?;

    let mut result = phase.finish().await;
    e2e::summarize(
        &mut result,
        &produced,
        &pushed.sightings,
        "acknowledged -> pushed to the SubscribeToShard consumer",
    );
    result.extra.insert("subscriptions".into(), json!(pushed.subscriptions));
    result.extra.insert("events".into(), json!(pushed.events));
    result.extra.insert("empty_events".into(), json!(pushed.empty_events));
    result.extra.insert("event_stream_bytes".into(), json!(pushed.bytes));
    Ok(result)
}

/// What the subscriber saw.
#[derive(Default)]
struct Pushed {
    sightings: Vec<Sighting>,
    /// SubscribeToShard calls that were answered with an event stream.
    subscriptions: u64,
    /// `SubscribeToShardEvent` messages.
    events: u64,
    /// Of which without records.
    empty_events: u64,
    /// Event-stream bytes received.
    bytes: u64,
}

/// The pushed side: one SubscribeToShard at a time on a connection of its own.
struct Subscriber {
    client: Arc<ClientConfig>,
    consumer_arn: String,
    shard_id: String,
    counters: Arc<Counters>,
    /// How many records the producer had acknowledged, once it is done.
    expected: Arc<AtomicU64>,
    interrupted: Arc<AtomicBool>,
    /// Hard bound of the subscriber.
    deadline: Instant,
    origin: Instant,
    pushed: Pushed,
    decoder: Decoder,
    /// Where a renewed subscription starts (after this sequence number).
    continuation: Option<String>,
}

/// What one message means for the subscriber.
enum Step {
    Continue,
    InitialResponse,
}

impl Subscriber {
    fn done(&self) -> bool {
        self.interrupted.load(Ordering::Relaxed)
            || Instant::now() >= self.deadline
            || (self.pushed.sightings.len() as u64) >= self.expected.load(Ordering::Relaxed)
    }

    /// Subscribes (from LATEST, or after the continuation) and reads up to
    /// the `initial-response` event; the returned body carries the rest.
    async fn subscribe(&mut self, until: Instant) -> Result<Incoming> {
        let mut conn = Connection::new(self.client.clone());
        let request = api::subscribe_body(&self.consumer_arn, &self.shard_id, self.continuation.as_deref());
        let mut body = conn.call_streaming("SubscribeToShard", &request).await?;
        self.pushed.subscriptions += 1;
        self.decoder = Decoder::default();
        loop {
            let frame = tokio::time::timeout_at(until.into(), body.frame())
                .await
                .map_err(|_| BenchError::Protocol("SubscribeToShard: no initial-response event in time".into()))?;
            self.take_frame(frame)?;
            while let Some(message) = self.decoder.next_message()? {
                if let Step::InitialResponse = self.handle(&message)? {
                    return Ok(body);
                }
            }
        }
    }

    /// Feeds one body frame to the decoder; the end of the body is an error here.
    fn take_frame(
        &mut self,
        frame: Option<std::result::Result<hyper::body::Frame<bytes::Bytes>, hyper::Error>>,
    ) -> Result<()> {
        match frame {
            None => Err(BenchError::Transport("SubscribeToShard: the event stream ended".into())),
            Some(Err(e)) => Err(BenchError::Transport(format!("SubscribeToShard: reading the event stream: {e}"))),
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    self.pushed.bytes += data.len() as u64;
                    self.decoder.extend(&data);
                }
                Ok(())
            }
        }
    }

    /// Acts on one message: records, the initial response, or an exception.
    fn handle(&mut self, message: &Message) -> Result<Step> {
        match message.header(":message-type") {
            Some("event") => {}
            Some("exception") => {
                let code = message.header(":exception-type").unwrap_or("unnamed exception");
                return Err(BenchError::Aws {
                    status: 200,
                    code: code.to_string(),
                    message: String::from_utf8_lossy(&message.payload).into_owned(),
                });
            }
            Some("error") => {
                return Err(BenchError::Aws {
                    status: 200,
                    code: message.header(":error-code").unwrap_or("unnamed error").to_string(),
                    message: message.header(":error-message").unwrap_or_default().to_string(),
                });
            }
            other => return Err(BenchError::Protocol(format!("event stream: :message-type {other:?}"))),
        }
        match message.header(":event-type") {
            Some("initial-response") => return Ok(Step::InitialResponse),
            Some("SubscribeToShardEvent") => {}
            // Event types added later are not the bench's concern.
            _ => return Ok(Step::Continue),
        }
        let seen_ns = self.origin.elapsed().as_nanos() as u64;
        let event = SubscribeEvent::parse(&message.payload)?;
        self.pushed.events += 1;
        if event.records.is_empty() {
            self.pushed.empty_events += 1;
        }
        let mut data = Vec::new();
        for record in &event.records {
            let stamp = decode_into(&record.data, &mut data).ok().and_then(|()| read_stamp(&data));
            self.pushed.sightings.push((record.sequence_number.clone().into_owned(), stamp, seen_ns));
        }
        if let Some(continuation) = event.continuation_sequence_number {
            self.continuation = Some(continuation);
        }
        Ok(Step::Continue)
    }

    /// Reads events until every acknowledged record was seen or the
    /// deadline; renews the subscription when it ends early.
    async fn run(mut self, mut body: Incoming) -> Pushed {
        loop {
            // Messages that arrived with the initial response come first.
            let step = self.drain_decoder();
            if let Err(e) = step {
                self.fail(&e);
                break; // an exception ends a subscription, and bad bytes leave no way to resynchronise
            }
            if self.done() {
                break;
            }
            let frame = match tokio::time::timeout(DONE_CHECK_INTERVAL, body.frame()).await {
                Err(_) => continue,
                Ok(frame) => frame,
            };
            match self.take_frame(frame) {
                Ok(()) => {}
                // The 5-minute lifetime (or a dropped connection): subscribe again.
                Err(_) if self.done() => break,
                Err(_) => match self.subscribe(self.deadline).await {
                    Ok(renewed) => body = renewed,
                    Err(e) => {
                        self.fail(&e);
                        tokio::time::sleep(ERROR_BACKOFF).await;
                    }
                },
            }
        }
        self.pushed
    }

    /// Handles every whole message received so far.
    fn drain_decoder(&mut self) -> Result<()> {
        while let Some(message) = self.decoder.next_message()? {
            self.handle(&message)?;
        }
        Ok(())
    }

    fn fail(&self, e: &BenchError) {
        Counters::add(&self.counters.errors, 1);
        self.counters.note_error(e);
    }
}
