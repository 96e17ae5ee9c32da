//! The Kinesis service driven through its operation interface with an
//! injected clock: transitions, iterator expiry and retention are checked
//! in milliseconds. (The HTTP front and real clients are tested in the
//! kinesd crate and tests/e2e.)

mod common;

use common::*;
use kinesis::Kinesis;
use serde_json::{json, Value};

fn iterator(env: &Env, k: &Kinesis, stream: &str, shard: &str, kind: &str) -> String {
    let out = env.ok(k, "GetShardIterator", json!({"StreamName": stream, "ShardId": shard, "ShardIteratorType": kind}));
    out["ShardIterator"].as_str().unwrap().to_string()
}

#[test]
fn streams_go_from_creating_to_active_after_the_delay() {
    let env = Env::new();
    let k = env.open(500);
    env.ok(&k, "CreateStream", json!({"StreamName": "s", "ShardCount": 2}));
    let status = |env: &Env| {
        env.ok(&k, "DescribeStreamSummary", json!({"StreamName": "s"}))["StreamDescriptionSummary"]["StreamStatus"]
            .clone()
    };
    assert_eq!(status(&env), "CREATING");
    let err = env.err(&k, "PutRecord", json!({"StreamName": "s", "Data": b64(b"x"), "PartitionKey": "k"}));
    assert_eq!(err.code, "ResourceNotFoundException");
    env.clock.advance_ms(500);
    assert_eq!(status(&env), "ACTIVE");
    k.housekeeping().unwrap();
    env.ok(&k, "DeleteStream", json!({"StreamName": "s"}));
    assert_eq!(status(&env), "DELETING");
    env.clock.advance_ms(500);
    let err = env.err(&k, "DescribeStreamSummary", json!({"StreamName": "s"}));
    assert_eq!(
        (err.code, err.message.as_str()),
        ("ResourceNotFoundException", "Stream s under account 000000000000 not found.")
    );
    env.ok(&k, "CreateStream", json!({"StreamName": "s", "ShardCount": 1}));
}

#[test]
fn records_round_trip_in_order_with_increasing_sequence_numbers() {
    let env = Env::new();
    let k = env.open(0);
    env.ok(&k, "CreateStream", json!({"StreamName": "s", "ShardCount": 1}));
    let mut seqs = Vec::new();
    for i in 0..5u8 {
        let out = env.ok(
            &k,
            "PutRecord",
            json!({"StreamName": "s", "Data": b64(&[i, 0, 255]), "PartitionKey": format!("k{i}")}),
        );
        assert_eq!(out["ShardId"], "shardId-000000000000");
        seqs.push(out["SequenceNumber"].as_str().unwrap().parse::<u128>().unwrap());
    }
    assert!(seqs.windows(2).all(|w| w[0] < w[1]));
    let it = iterator(&env, &k, "s", "shardId-000000000000", "TRIM_HORIZON");
    let out = env.ok(&k, "GetRecords", json!({"ShardIterator": it, "Limit": 3}));
    let records = out["Records"].as_array().unwrap();
    assert_eq!(records.len(), 3);
    assert_eq!(records[1]["Data"], b64(&[1, 0, 255]));
    assert_eq!(records[1]["PartitionKey"], "k1");
    assert_eq!(records[0]["SequenceNumber"].as_str().unwrap().parse::<u128>().unwrap(), seqs[0]);
    assert_eq!(out["MillisBehindLatest"], 0);
    let next = out["NextShardIterator"].as_str().unwrap();
    let out = env.ok(&k, "GetRecords", json!({"ShardIterator": next}));
    assert_eq!(out["Records"].as_array().unwrap().len(), 2);
    let after = env.ok(
        &k,
        "GetShardIterator",
        json!({
        "StreamName": "s", "ShardId": "shardId-000000000000",
        "ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "StartingSequenceNumber": seqs[3].to_string()}),
    );
    let out = env.ok(&k, "GetRecords", json!({"ShardIterator": after["ShardIterator"]}));
    assert_eq!(out["Records"][0]["PartitionKey"], "k4");
}

#[test]
fn put_records_lands_each_record_on_the_shard_its_key_hashes_to() {
    let env = Env::new();
    let k = env.open(0);
    env.ok(&k, "CreateStream", json!({"StreamName": "s", "ShardCount": 4}));
    let entries: Vec<Value> = (0..100)
        .map(|i| json!({"Data": b64(format!("r{i}").as_bytes()), "PartitionKey": format!("user-{i}")}))
        .collect();
    let out = env.ok(&k, "PutRecords", json!({"StreamName": "s", "Records": entries}));
    assert_eq!(out["FailedRecordCount"], 0);
    let results = out["Records"].as_array().unwrap();
    for (i, r) in results.iter().enumerate() {
        let hash = kinesis::hashing::partition_hash(&format!("user-{i}"));
        let expected = (0..4u32).find(|&s| {
            let (lo, hi) = kinesis::hashing::split_even(4)[s as usize];
            lo <= hash && hash <= hi
        });
        assert_eq!(r["ShardId"], format!("shardId-{:012}", expected.unwrap()));
    }
    let mut total = 0;
    for s in 0..4 {
        let it = iterator(&env, &k, "s", &format!("shardId-{s:012}"), "TRIM_HORIZON");
        total += env.ok(&k, "GetRecords", json!({"ShardIterator": it}))["Records"].as_array().unwrap().len();
    }
    assert_eq!(total, 100);
}

#[test]
fn iterators_expire_after_five_minutes_and_cannot_be_forged() {
    let env = Env::new();
    let k = env.open(0);
    env.ok(&k, "CreateStream", json!({"StreamName": "s", "ShardCount": 1}));
    let it = iterator(&env, &k, "s", "shardId-000000000000", "LATEST");
    env.clock.advance_ms(300_000);
    env.ok(&k, "GetRecords", json!({"ShardIterator": it}));
    env.clock.advance_ms(1);
    let err = env.err(&k, "GetRecords", json!({"ShardIterator": it}));
    assert_eq!(err.code, "ExpiredIteratorException");
    assert!(err.message.contains("tolerated delay of 300000 milliseconds"), "{}", err.message);
    let mut forged = it.clone().into_bytes();
    forged[10] = if forged[10] == b'A' { b'B' } else { b'A' };
    let err = env.err(&k, "GetRecords", json!({"ShardIterator": String::from_utf8(forged).unwrap()}));
    assert_eq!((err.code, err.message.as_str()), ("InvalidArgumentException", "Invalid ShardIterator."));
}

#[test]
fn a_sequence_number_of_another_shard_is_rejected() {
    let env = Env::new();
    let k = env.open(0);
    env.ok(&k, "CreateStream", json!({"StreamName": "s", "ShardCount": 2}));
    let out = env.ok(
        &k,
        "PutRecord",
        json!({"StreamName": "s", "Data": b64(b"x"), "PartitionKey": "a", "ExplicitHashKey": "0"}),
    );
    assert_eq!(out["ShardId"], "shardId-000000000000");
    let err = env.err(
        &k,
        "GetShardIterator",
        json!({
        "StreamName": "s", "ShardId": "shardId-000000000001",
        "ShardIteratorType": "AT_SEQUENCE_NUMBER", "StartingSequenceNumber": out["SequenceNumber"]}),
    );
    assert_eq!(err.code, "InvalidArgumentException");
}

#[test]
fn expired_records_are_not_returned() {
    let env = Env::new();
    let k = env.open(0);
    env.ok(&k, "CreateStream", json!({"StreamName": "s", "ShardCount": 1}));
    env.ok(&k, "PutRecord", json!({"StreamName": "s", "Data": b64(b"old"), "PartitionKey": "k"}));
    env.clock.advance_ms(23 * HOUR_MS);
    env.ok(&k, "PutRecord", json!({"StreamName": "s", "Data": b64(b"new"), "PartitionKey": "k"}));
    env.clock.advance_ms(2 * HOUR_MS);
    let it = iterator(&env, &k, "s", "shardId-000000000000", "TRIM_HORIZON");
    let records = env.ok(&k, "GetRecords", json!({"ShardIterator": it}))["Records"].clone();
    assert_eq!(records.as_array().unwrap().len(), 1);
    assert_eq!(records[0]["Data"], b64(b"new"));
    k.enforce_retention().unwrap();
}

#[test]
fn streams_records_and_iterators_survive_a_restart() {
    let env = Env::new();
    let it = {
        let k = env.open(0);
        env.ok(&k, "CreateStream", json!({"StreamName": "s", "ShardCount": 1, "Tags": {"team": "data"}}));
        env.ok(&k, "PutRecord", json!({"StreamName": "s", "Data": b64(b"kept"), "PartitionKey": "k"}));
        iterator(&env, &k, "s", "shardId-000000000000", "TRIM_HORIZON")
    };
    let k = env.open(0);
    let records = env.ok(&k, "GetRecords", json!({"ShardIterator": it}))["Records"].clone();
    assert_eq!(records[0]["Data"], b64(b"kept"));
    let tags = env.ok(&k, "ListTagsForStream", json!({"StreamName": "s"}));
    assert_eq!(tags["Tags"], json!([{"Key": "team", "Value": "data"}]));
}

#[test]
fn validation_and_unknown_operations_answer_aws_errors() {
    let env = Env::new();
    let k = env.open(0);
    let err = env.err(&k, "CreateStream", json!({"StreamName": "a b", "ShardCount": 1}));
    assert_eq!(err.code, "ValidationException");
    assert_eq!(
        err.message,
        "1 validation error detected: Value 'a b' at 'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
    );
    let err = env.err(&k, "CreateStream", json!({"StreamName": 5}));
    assert_eq!(err.code, "SerializationException");
    let err = env.err(&k, "NoSuchThing", json!({}));
    assert_eq!(err.code, "UnknownOperationException");
    let err = env.err(&k, "DescribeStreamSummary", json!({}));
    assert_eq!(err.code, "InvalidArgumentException");
}

#[test]
fn a_shard_driven_at_twice_its_limit_takes_its_limit_and_throttles_the_rest() {
    let env = Env::new();
    let k = env.open(0);
    env.ok(&k, "CreateStream", json!({"StreamName": "s", "ShardCount": 1}));
    let batch: Vec<Value> =
        (0..500).map(|i| json!({"Data": b64(&[7u8; 1000]), "PartitionKey": format!("k{i}")})).collect();
    let mut accepted = Vec::new();
    let mut throttled = 0;
    // 2,000 records in one second: twice the shard's 1,000 records/s.
    for round in 0..4 {
        if round > 0 {
            env.clock.advance_ms(250);
        }
        let out = env.ok(&k, "PutRecords", json!({"StreamName": "s", "Records": batch}));
        for r in out["Records"].as_array().unwrap() {
            match r.get("ErrorCode") {
                Some(code) => {
                    assert_eq!(code, "ProvisionedThroughputExceededException");
                    assert!(r["ErrorMessage"]
                        .as_str()
                        .unwrap()
                        .starts_with("Rate exceeded for shard shardId-000000000000"));
                    throttled += 1;
                }
                None => accepted.push(r["SequenceNumber"].as_str().unwrap().to_string()),
            }
        }
    }
    // 1,000 in the first instant plus what 750 ms of refill allowed.
    assert_eq!(accepted.len(), 1000 + 750, "accepted {}", accepted.len());
    assert_eq!(throttled, 2000 - accepted.len());
    let err = env.err(&k, "PutRecord", json!({"StreamName": "s", "Data": b64(&[1; 1000]), "PartitionKey": "x"}));
    assert_eq!(err.code, "ProvisionedThroughputExceededException");
    // Nothing acknowledged is lost, nothing throttled was stored.
    env.clock.advance_ms(60_000);
    let mut it = iterator(&env, &k, "s", "shardId-000000000000", "TRIM_HORIZON");
    let mut stored = Vec::new();
    loop {
        let out = env.ok(&k, "GetRecords", json!({"ShardIterator": it}));
        let records = out["Records"].as_array().unwrap();
        if records.is_empty() {
            break;
        }
        stored.extend(records.iter().map(|r| r["SequenceNumber"].as_str().unwrap().to_string()));
        it = out["NextShardIterator"].as_str().unwrap().to_string();
        env.clock.advance_ms(1000);
    }
    assert_eq!(stored, accepted);
}

#[test]
fn get_records_is_limited_to_five_calls_per_second_per_shard() {
    let env = Env::new();
    let k = env.open(0);
    env.ok(&k, "CreateStream", json!({"StreamName": "s", "ShardCount": 1}));
    let it = iterator(&env, &k, "s", "shardId-000000000000", "LATEST");
    for _ in 0..5 {
        env.ok(&k, "GetRecords", json!({"ShardIterator": it}));
    }
    let err = env.err(&k, "GetRecords", json!({"ShardIterator": it}));
    assert_eq!(err.code, "ProvisionedThroughputExceededException");
    env.clock.advance_ms(200);
    env.ok(&k, "GetRecords", json!({"ShardIterator": it}));
}

#[test]
fn puts_gets_and_throttles_become_per_minute_cloudwatch_metrics() {
    let env = Env::new();
    let k = env.open(0);
    env.ok(&k, "CreateStream", json!({"StreamName": "m", "ShardCount": 1}));
    env.ok(
        &k,
        "EnableEnhancedMonitoring",
        json!({"StreamName": "m", "ShardLevelMetrics": ["IncomingRecords", "IteratorAgeMilliseconds"]}),
    );
    let minute = |ms: i64| ms - ms.rem_euclid(60_000);
    let start = minute(shard_log::Clock::now_ms(&env.clock)) + 60_000;
    env.clock.set_ms(start + 1_000);
    env.ok(&k, "PutRecord", json!({"StreamName": "m", "PartitionKey": "k", "Data": b64("abc")}));
    let records: Vec<Value> = (0..3).map(|i| json!({"PartitionKey": format!("k{i}"), "Data": b64("xy")})).collect();
    env.ok(&k, "PutRecords", json!({"StreamName": "m", "Records": records}));
    env.clock.advance_ms(2_000);
    let it = iterator(&env, &k, "m", "shardId-000000000000", "TRIM_HORIZON");
    env.ok(&k, "GetRecords", json!({"ShardIterator": it}));
    // Nothing until the minute has ended.
    assert!(k.drain_metrics().is_empty());
    env.clock.set_ms(start + 60_000);
    let samples = k.drain_metrics();
    let find = |name: &str, shard: Option<&str>| {
        samples
            .iter()
            .find(|s| s.metric_name == name && s.shard_id.as_deref() == shard && s.stream_name == "m")
            .unwrap_or_else(|| panic!("no {name} {shard:?} in {samples:?}"))
    };
    // One sample per call: PutRecord (1 record) and PutRecords (3).
    let incoming = find("IncomingRecords", None);
    assert_eq!((incoming.sample_count, incoming.sum, incoming.minute_ms), (2.0, 4.0, start));
    assert_eq!(find("IncomingBytes", None).sum, 4.0 + 3.0 * 4.0);
    assert_eq!(find("PutRecords.TotalRecords", None).sum, 3.0);
    assert_eq!(find("PutRecord.Success", None).sum, 1.0);
    assert_eq!(find("GetRecords.Records", None).sum, 4.0);
    assert_eq!(find("GetRecords.IteratorAgeMilliseconds", None).maximum, 2_000.0);
    assert_eq!(find("WriteProvisionedThroughputExceeded", None).sum, 0.0);
    // Shard level only for what enhanced monitoring enabled.
    assert_eq!(find("IncomingRecords", Some("shardId-000000000000")).sum, 4.0);
    assert_eq!(find("IteratorAgeMilliseconds", Some("shardId-000000000000")).maximum, 2_000.0);
    assert!(!samples.iter().any(|s| s.metric_name == "IncomingBytes" && s.shard_id.is_some()));
    assert!(k.drain_metrics().is_empty(), "each minute is handed over once");
}
