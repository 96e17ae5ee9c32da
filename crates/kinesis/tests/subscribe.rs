//! Enhanced fan-out through the service interface: consumers, pushed
//! records, takeover, lifetime, closed shards.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use kinesis::{Kinesis, KinesisConfig, SubscriptionEvent};
use serde_json::{json, Value};
use shard_log::{FileLog, LogOptions};

struct Env {
    _dir: tempfile::TempDir,
    k: Kinesis,
}

fn env(tweak: impl FnOnce(&mut KinesisConfig)) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let log = FileLog::open(dir.path(), LogOptions::default()).unwrap();
    let mut cfg = KinesisConfig { transition_delay: Duration::ZERO, ..KinesisConfig::default() };
    tweak(&mut cfg);
    let k = Kinesis::open(dir.path(), cfg, Arc::new(log)).unwrap();
    Env { _dir: dir, k }
}

async fn call(k: &Kinesis, op: &str, body: Value) -> Result<Value, kinesis::KinesisError> {
    let out = k.call(op, body.to_string().as_bytes()).await?;
    Ok(serde_json::from_slice(&out).unwrap())
}

fn b64(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}

async fn setup(k: &Kinesis, shards: u32) -> String {
    call(k, "CreateStream", json!({"StreamName": "s", "ShardCount": shards})).await.unwrap();
    let arn = "arn:aws:kinesis:us-east-1:000000000000:stream/s";
    let c = call(k, "RegisterStreamConsumer", json!({"StreamARN": arn, "ConsumerName": "c"})).await.unwrap();
    c["Consumer"]["ConsumerARN"].as_str().unwrap().to_string()
}

fn sub_body(consumer: &str, kind: &str) -> Vec<u8> {
    json!({"ConsumerARN": consumer, "ShardId": "shardId-000000000000", "StartingPosition": {"Type": kind}})
        .to_string()
        .into_bytes()
}

fn event(e: SubscriptionEvent) -> Value {
    match e {
        SubscriptionEvent::Event(json) => serde_json::from_slice(&json).unwrap(),
        other => panic!("expected an event, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_are_pushed_as_they_are_appended() {
    let e = env(|_| {});
    let consumer = setup(&e.k, 1).await;
    call(&e.k, "PutRecord", json!({"StreamName": "s", "Data": b64("first"), "PartitionKey": "p"})).await.unwrap();
    let mut events = e.k.subscribe_to_shard(&sub_body(&consumer, "TRIM_HORIZON")).await.unwrap();
    let first = event(events.next().await.unwrap());
    assert_eq!(first["Records"][0]["Data"], b64("first"));
    let put =
        call(&e.k, "PutRecord", json!({"StreamName": "s", "Data": b64("second"), "PartitionKey": "p"})).await.unwrap();
    let second =
        tokio::time::timeout(Duration::from_secs(2), events.next()).await.expect("pushed without polling").unwrap();
    let second = event(second);
    assert_eq!(second["Records"][0]["Data"], b64("second"));
    assert_eq!(second["ContinuationSequenceNumber"], put["SequenceNumber"]);
    assert_eq!(second["MillisBehindLatest"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_subscription_is_refused_then_takes_over() {
    let e = env(|c| c.subscription_takeover = Duration::from_millis(300));
    let consumer = setup(&e.k, 1).await;
    let mut first = e.k.subscribe_to_shard(&sub_body(&consumer, "LATEST")).await.unwrap();
    let refused =
        e.k.subscribe_to_shard(&sub_body(&consumer, "LATEST")).await.err().expect("refused within the window");
    assert_eq!(refused.code, "ResourceInUseException");
    tokio::time::sleep(Duration::from_millis(350)).await;
    let _second = e.k.subscribe_to_shard(&sub_body(&consumer, "LATEST")).await.unwrap();
    let ended = tokio::time::timeout(Duration::from_secs(2), first.next()).await.expect("first ends");
    assert!(ended.is_none(), "the first subscription ends after the takeover");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriptions_end_after_their_lifetime_and_send_heartbeats() {
    let e = env(|c| {
        c.subscription_lifetime = Duration::from_millis(400);
        c.subscription_heartbeat = Duration::from_millis(100);
    });
    let consumer = setup(&e.k, 1).await;
    let events: Vec<_> = tokio::time::timeout(
        Duration::from_secs(3),
        e.k.subscribe_to_shard(&sub_body(&consumer, "LATEST")).await.unwrap().collect::<Vec<_>>(),
    )
    .await
    .expect("ends by itself");
    assert!(events.len() >= 2, "heartbeats while idle: {}", events.len());
    for e in events {
        assert_eq!(event(e)["Records"], json!([]));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_shard_ends_with_its_child_shards() {
    let e = env(|_| {});
    let consumer = setup(&e.k, 1).await;
    call(&e.k, "PutRecord", json!({"StreamName": "s", "Data": b64("x"), "PartitionKey": "p"})).await.unwrap();
    call(
        &e.k,
        "SplitShard",
        json!({"StreamName": "s", "ShardToSplit": "shardId-000000000000", "NewStartingHashKey": "1000"}),
    )
    .await
    .unwrap();
    let events: Vec<_> = e.k.subscribe_to_shard(&sub_body(&consumer, "TRIM_HORIZON")).await.unwrap().collect().await;
    let last = event(events.into_iter().last().unwrap());
    assert_eq!(last["Records"][0]["Data"], b64("x"));
    let children: Vec<&str> =
        last["ChildShards"].as_array().unwrap().iter().map(|c| c["ShardId"].as_str().unwrap()).collect();
    assert_eq!(children, vec!["shardId-000000000001", "shardId-000000000002"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumers_are_limited_unique_and_deregistered() {
    let e = env(|_| {});
    let consumer = setup(&e.k, 1).await;
    let arn = "arn:aws:kinesis:us-east-1:000000000000:stream/s";
    let dup = call(&e.k, "RegisterStreamConsumer", json!({"StreamARN": arn, "ConsumerName": "c"})).await.unwrap_err();
    assert_eq!(dup.code, "ResourceInUseException");
    for i in 1..20 {
        call(&e.k, "RegisterStreamConsumer", json!({"StreamARN": arn, "ConsumerName": format!("c{i}")})).await.unwrap();
    }
    let over =
        call(&e.k, "RegisterStreamConsumer", json!({"StreamARN": arn, "ConsumerName": "c20"})).await.unwrap_err();
    assert_eq!(over.code, "LimitExceededException");
    let listed = call(&e.k, "ListStreamConsumers", json!({"StreamARN": arn, "MaxResults": 15})).await.unwrap();
    assert_eq!(listed["Consumers"].as_array().unwrap().len(), 15);
    let rest =
        call(&e.k, "ListStreamConsumers", json!({"StreamARN": arn, "NextToken": listed["NextToken"]})).await.unwrap();
    assert_eq!(rest["Consumers"].as_array().unwrap().len(), 5);
    let in_use = call(&e.k, "DeleteStream", json!({"StreamName": "s"})).await.unwrap_err();
    assert_eq!(in_use.code, "ResourceInUseException");
    call(&e.k, "DeregisterStreamConsumer", json!({"ConsumerARN": consumer})).await.unwrap();
    let gone = call(&e.k, "DescribeStreamConsumer", json!({"ConsumerARN": consumer})).await.unwrap_err();
    assert_eq!(gone.code, "ResourceNotFoundException");
    call(&e.k, "DeleteStream", json!({"StreamName": "s", "EnforceConsumerDeletion": true})).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_reads_no_faster_than_its_rate() {
    let e = env(|c| c.subscription_bytes_per_sec = 64 * 1024);
    let consumer = setup(&e.k, 1).await;
    let records: Vec<Value> =
        (0..10).map(|_| json!({"Data": b64(&"z".repeat(30 * 1024)), "PartitionKey": "p"})).collect();
    call(&e.k, "PutRecords", json!({"StreamName": "s", "Records": records})).await.unwrap();
    let started = std::time::Instant::now();
    let mut events = e.k.subscribe_to_shard(&sub_body(&consumer, "TRIM_HORIZON")).await.unwrap();
    let mut got = 0;
    while got < 10 {
        got += event(events.next().await.unwrap())["Records"].as_array().unwrap().len();
    }
    // 300 KiB at 64 KiB/s after a one-second burst of 64 KiB: about 3.7 s.
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(3000), "{took:?}");
}
