//! Bad input never yields HTTP 500 or a panic: random operations with
//! malformed JSON, wrong member types and out-of-range values, signed and
//! sent to a real server. Bounded by FRONT_FUZZ_CASES (default 1500).

mod common;

use std::collections::BTreeMap;

use common::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{json, Value};

const OPERATIONS: &[&str] = &[
    "CreateStream",
    "DeleteStream",
    "DescribeStream",
    "DescribeStreamSummary",
    "ListStreams",
    "ListShards",
    "PutRecord",
    "PutRecords",
    "GetShardIterator",
    "GetRecords",
    "IncreaseStreamRetentionPeriod",
    "DecreaseStreamRetentionPeriod",
    "AddTagsToStream",
    "RemoveTagsFromStream",
    "ListTagsForStream",
    "TagResource",
    "UntagResource",
    "ListTagsForResource",
    "DescribeLimits",
    "SplitShard",
    "MergeShards",
    "NoSuchOperation",
    "",
];

const MEMBERS: &[&str] = &[
    "StreamName",
    "ShardCount",
    "StreamARN",
    "Limit",
    "ExclusiveStartShardId",
    "Data",
    "PartitionKey",
    "ExplicitHashKey",
    "Records",
    "ShardId",
    "ShardIteratorType",
    "StartingSequenceNumber",
    "Timestamp",
    "ShardIterator",
    "RetentionPeriodHours",
    "Tags",
    "TagKeys",
    "ResourceARN",
    "NextToken",
    "MaxResults",
    "ShardFilter",
    "StreamModeDetails",
    "SequenceNumberForOrdering",
    "EnforceConsumerDeletion",
];

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        prop_oneof![Just(0i64), Just(-1), Just(1), Just(10_001), Just(i64::from(i32::MAX) + 1)].prop_map(|n| json!(n)),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| json!(f)),
        "[a-zA-Z0-9_.=+/-]{0,40}".prop_map(Value::String),
        ".{0,20}".prop_map(Value::String),
        Just(json!("s")),
        Just(json!("shardId-000000000000")),
        Just(json!("TRIM_HORIZON")),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(prop::sample::select(MEMBERS).prop_map(str::to_string), inner, 0..5)
                .prop_map(|m: BTreeMap<String, Value>| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        6 => prop::collection::btree_map(prop::sample::select(MEMBERS).prop_map(str::to_string), value(), 0..6)
            .prop_map(|m: BTreeMap<String, Value>| serde_json::to_vec(&m).unwrap()),
        1 => prop::collection::vec(any::<u8>(), 0..64),
        1 => "[{\\[\\]}\":,0-9a-z ]{0,40}".prop_map(String::into_bytes),
    ]
}

#[test]
fn malformed_requests_never_get_a_500() {
    let cases: u32 = std::env::var("FRONT_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(1500);
    let dir = tempfile::tempdir().unwrap();
    // Control-plane rate limits would answer most calls before their bodies are read.
    let server = Server::start(dir.path(), &["--control-limits", "off"]);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    assert_eq!(
        rt.block_on(call(&server.addr, "CreateStream", json!({"StreamName": "s", "ShardCount": 1}))).status,
        200
    );
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    let statuses = std::cell::RefCell::new(BTreeMap::<u16, u32>::new());
    let sent = std::cell::Cell::new(0u32);
    let result = runner.run(&(prop::sample::select(OPERATIONS), body()), |(op, body)| {
        let request = kinesis_request(&server.addr, op, body.clone(), &Signer::default());
        let response = rt.block_on(send(&server.addr, request, false));
        sent.set(sent.get() + 1);
        *statuses.borrow_mut().entry(response.status).or_default() += 1;
        prop_assert!(
            response.status < 500,
            "{op} {:?} -> {} {:?}",
            String::from_utf8_lossy(&body),
            response.status,
            response.body
        );
        if response.status >= 400 {
            let error: Value = serde_json::from_slice(&response.body).expect("errors are JSON");
            prop_assert!(error["__type"].is_string(), "{:?}", error);
        }
        Ok(())
    });
    eprintln!("front fuzz: {} requests sent, statuses {:?}", sent.get(), statuses.borrow());
    result.unwrap();
    // The server is still healthy afterwards.
    assert_eq!(rt.block_on(call(&server.addr, "ListStreams", json!({}))).status, 200);
}
