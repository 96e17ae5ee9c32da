//! SplitShard, MergeShards and UpdateShardCount through the operation
//! interface: lineage, closed parents, data continuity, limits.

mod common;

use std::time::Duration;

use common::*;
use kinesis::Kinesis;
use serde_json::{json, Value};
use shard_log::{FileLog, LogOptions};

const MAX: u128 = u128::MAX;

/// Helpers of these tests on top of the shared environment.
trait ReshardEnv {
    fn shards(&self, k: &Kinesis) -> Vec<Value>;
    fn put(&self, k: &Kinesis, data: &str, hash: u128) -> Value;
    fn read(&self, k: &Kinesis, shard: &str) -> (Vec<String>, Value);
}

impl ReshardEnv for Env {
    fn shards(&self, k: &Kinesis) -> Vec<Value> {
        self.ok(k, "ListShards", json!({"StreamName": "s"}))["Shards"].as_array().unwrap().clone()
    }

    fn put(&self, k: &Kinesis, data: &str, hash: u128) -> Value {
        self.ok(
            k,
            "PutRecord",
            json!({"StreamName": "s", "Data": b64(data), "PartitionKey": "k", "ExplicitHashKey": hash.to_string()}),
        )
    }

    fn read(&self, k: &Kinesis, shard: &str) -> (Vec<String>, Value) {
        let it = self.ok(
            k,
            "GetShardIterator",
            json!({"StreamName": "s", "ShardId": shard, "ShardIteratorType": "TRIM_HORIZON"}),
        );
        let out = self.ok(k, "GetRecords", json!({"ShardIterator": it["ShardIterator"]}));
        let datas = out["Records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| String::from_utf8(unb64(r["Data"].as_str().unwrap())).unwrap())
            .collect();
        (datas, out)
    }
}

fn range(shard: &Value) -> (u128, u128) {
    let r = &shard["HashKeyRange"];
    (r["StartingHashKey"].as_str().unwrap().parse().unwrap(), r["EndingHashKey"].as_str().unwrap().parse().unwrap())
}

fn open_ranges(shards: &[Value]) -> Vec<(u128, u128)> {
    let mut ranges: Vec<_> =
        shards.iter().filter(|s| s["SequenceNumberRange"].get("EndingSequenceNumber").is_none()).map(range).collect();
    ranges.sort();
    ranges
}

fn seq(v: &Value) -> u128 {
    v["SequenceNumber"].as_str().unwrap().parse().unwrap()
}

#[test]
fn split_closes_the_parent_and_routes_new_records_to_children() {
    let env = Env::new();
    let k = env.open(0);
    env.ok(&k, "CreateStream", json!({"StreamName": "s", "ShardCount": 1}));
    let before = env.put(&k, "before", 7);
    let mid = MAX / 2;
    env.ok(
        &k,
        "SplitShard",
        json!({"StreamName": "s", "ShardToSplit": "shardId-000000000000", "NewStartingHashKey": mid.to_string()}),
    );
    let shards = env.shards(&k);
    assert_eq!(shards.len(), 3);
    assert_eq!(shards[0]["SequenceNumberRange"]["EndingSequenceNumber"], before["SequenceNumber"]);
    assert_eq!((shards[1]["ParentShardId"].as_str(), range(&shards[1])), (Some("shardId-000000000000"), (0, mid - 1)));
    assert_eq!((shards[2]["ParentShardId"].as_str(), range(&shards[2])), (Some("shardId-000000000000"), (mid, MAX)));
    let low = env.put(&k, "low", 7);
    let high = env.put(&k, "high", MAX - 1);
    assert_eq!(low["ShardId"], "shardId-000000000001");
    assert_eq!(high["ShardId"], "shardId-000000000002");
    assert!(seq(&low) > seq(&before) && seq(&high) > seq(&before), "children's numbers follow the parent's");
    let (datas, out) = env.read(&k, "shardId-000000000000");
    assert_eq!(datas, vec!["before"], "data written before the split stays readable");
    assert!(out.get("NextShardIterator").is_none(), "{out}");
    let children: Vec<&str> =
        out["ChildShards"].as_array().unwrap().iter().map(|c| c["ShardId"].as_str().unwrap()).collect();
    assert_eq!(children, vec!["shardId-000000000001", "shardId-000000000002"]);
    let latest = env.ok(&k, "ListShards", json!({"StreamName": "s", "ShardFilter": {"Type": "AT_LATEST"}}));
    assert_eq!(latest["Shards"].as_array().unwrap().len(), 2);
    let err = env.err(
        &k,
        "SplitShard",
        json!({"StreamName": "s", "ShardToSplit": "shardId-000000000000", "NewStartingHashKey": "5"}),
    );
    assert_eq!(err.code, "ResourceInUseException");
    let err = env.err(
        &k,
        "SplitShard",
        json!({"StreamName": "s", "ShardToSplit": "shardId-000000000001", "NewStartingHashKey": "1"}),
    );
    assert_eq!(err.code, "InvalidArgumentException");
    let err = env.err(
        &k,
        "SplitShard",
        json!({"StreamName": "s", "ShardToSplit": "shardId-000000000009", "NewStartingHashKey": "5"}),
    );
    assert_eq!(err.code, "ResourceNotFoundException");
}

#[test]
fn merge_needs_adjacent_shards_and_records_both_parents() {
    let env = Env::new();
    let k = env.open(0);
    env.ok(&k, "CreateStream", json!({"StreamName": "s", "ShardCount": 3}));
    let err = env.err(&k, "MergeShards", json!({"StreamName": "s", "ShardToMerge": "shardId-000000000000", "AdjacentShardToMerge": "shardId-000000000002"}));
    assert_eq!(err.code, "InvalidArgumentException");
    env.ok(&k, "MergeShards", json!({"StreamName": "s", "ShardToMerge": "shardId-000000000001", "AdjacentShardToMerge": "shardId-000000000000"}));
    let shards = env.shards(&k);
    let child = &shards[3];
    assert_eq!(child["ParentShardId"], "shardId-000000000001");
    assert_eq!(child["AdjacentParentShardId"], "shardId-000000000000");
    assert_eq!(range(child).0, 0);
    assert_eq!(range(child).1 + 1, range(&shards[2]).0);
}

#[test]
fn update_shard_count_reaches_an_even_layout_with_at_most_two_parents_each() {
    let env = Env::new();
    let k = env.open(0);
    env.ok(&k, "CreateStream", json!({"StreamName": "s", "ShardCount": 3}));
    for target in [5u32, 4, 2, 3] {
        let out = env.ok(
            &k,
            "UpdateShardCount",
            json!({"StreamName": "s", "TargetShardCount": target, "ScalingType": "UNIFORM_SCALING"}),
        );
        assert_eq!(out["TargetShardCount"], target);
        let shards = env.shards(&k);
        let open = open_ranges(&shards);
        assert_eq!(open, kinesis::hashing::split_even(target), "uniform after scaling to {target}");
    }
    let summary = env.ok(&k, "DescribeStreamSummary", json!({"StreamName": "s"}));
    assert_eq!(summary["StreamDescriptionSummary"]["OpenShardCount"], 3);
    for shard in env.shards(&k) {
        let parents = ["ParentShardId", "AdjacentParentShardId"].iter().filter(|p| shard.get(**p).is_some()).count();
        assert!(parents <= 2);
    }
}

#[test]
fn update_shard_count_limits_are_enforced() {
    let env = Env::new();
    let k = env.open(0);
    env.ok(&k, "CreateStream", json!({"StreamName": "s", "ShardCount": 2}));
    let scale = |n: u32| {
        env.call(
            &k,
            "UpdateShardCount",
            json!({"StreamName": "s", "TargetShardCount": n, "ScalingType": "UNIFORM_SCALING"}),
        )
    };
    assert_eq!(scale(5).unwrap_err().code, "LimitExceededException", "more than double");
    for i in 0..10 {
        scale(if i % 2 == 0 { 3 } else { 2 }).unwrap();
    }
    assert_eq!(scale(3).unwrap_err().code, "LimitExceededException", "eleventh scaling in a day");
    env.clock.advance_ms(24 * 3_600_000);
    scale(3).unwrap();
    assert_eq!(scale(1).unwrap_err().code, "LimitExceededException", "below half");
    env.ok(&k, "CreateStream", json!({"StreamName": "od", "StreamModeDetails": {"StreamMode": "ON_DEMAND"}}));
    let err = env.err(
        &k,
        "UpdateShardCount",
        json!({"StreamName": "od", "TargetShardCount": 5, "ScalingType": "UNIFORM_SCALING"}),
    );
    assert_eq!(err.code, "ValidationException");
    let err = env.err(
        &k,
        "SplitShard",
        json!({"StreamName": "od", "ShardToSplit": "shardId-000000000000", "NewStartingHashKey": "100"}),
    );
    assert_eq!(err.code, "ValidationException");
}

#[test]
fn resharding_makes_the_stream_updating_and_blocks_a_second_change() {
    let env = Env::new();
    let k = env.open(500);
    env.ok(&k, "CreateStream", json!({"StreamName": "s", "ShardCount": 2}));
    env.clock.advance_ms(500);
    env.ok(&k, "UpdateShardCount", json!({"StreamName": "s", "TargetShardCount": 4, "ScalingType": "UNIFORM_SCALING"}));
    let status = env.ok(&k, "DescribeStreamSummary", json!({"StreamName": "s"}))["StreamDescriptionSummary"]
        ["StreamStatus"]
        .clone();
    assert_eq!(status, "UPDATING");
    let err = env.err(&k, "MergeShards", json!({"StreamName": "s", "ShardToMerge": "shardId-000000000004", "AdjacentShardToMerge": "shardId-000000000005"}));
    assert_eq!(err.code, "ResourceInUseException");
    env.put(&k, "while-updating", 3);
    env.clock.advance_ms(500);
    env.ok(&k, "MergeShards", json!({"StreamName": "s", "ShardToMerge": "shardId-000000000004", "AdjacentShardToMerge": "shardId-000000000005"}));
}

#[test]
fn the_shard_map_and_closed_shards_survive_a_restart() {
    let env = Env::new();
    {
        let k = env.open(0);
        env.ok(&k, "CreateStream", json!({"StreamName": "s", "ShardCount": 1}));
        env.put(&k, "a", 1);
        env.ok(
            &k,
            "SplitShard",
            json!({"StreamName": "s", "ShardToSplit": "shardId-000000000000", "NewStartingHashKey": "1000"}),
        );
    }
    let k = env.open(0);
    assert_eq!(env.shards(&k).len(), 3);
    assert_eq!(env.put(&k, "b", 1)["ShardId"], "shardId-000000000001");
    assert_eq!(env.read(&k, "shardId-000000000000").0, vec!["a"]);
}

#[test]
fn a_log_shard_closed_by_an_unrecorded_reshard_is_reopened_on_start() {
    // A crash after a reshard closed the parent's log shard but before the
    // new shard map was stored: the stored map still has it open.
    let env = Env::new();
    {
        let k = env.open(0);
        env.ok(&k, "CreateStream", json!({"StreamName": "s", "ShardCount": 1}));
        env.put(&k, "a", 1);
    }
    {
        use shard_log::ShardLog;
        let log = FileLog::open(env.dir.path(), LogOptions::default()).unwrap();
        let id = log.shard_ids().into_iter().next().unwrap();
        log.close_shard(&id).unwrap();
    }
    let k = env.open(0);
    assert_eq!(env.put(&k, "b", 1)["ShardId"], "shardId-000000000000");
    assert_eq!(env.read(&k, "shardId-000000000000").0, vec!["a", "b"]);
}

#[test]
fn on_demand_streams_split_hot_shards_and_merge_cold_ones_back() {
    let env = Env::new();
    let k = env.open_with(|cfg| {
        cfg.on_demand = kinesis::OnDemandScaling {
            split_after: Duration::from_secs(3),
            merge_after: Duration::from_secs(10),
            ..kinesis::OnDemandScaling::default()
        }
    });
    env.ok(&k, "CreateStream", json!({"StreamName": "s", "StreamModeDetails": {"StreamMode": "ON_DEMAND"}}));
    let open = |k: &Kinesis| {
        env.ok(k, "DescribeStreamSummary", json!({"StreamName": "s"}))["StreamDescriptionSummary"]["OpenShardCount"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(open(&k), 4);
    k.housekeeping().unwrap();
    // 600 KiB/s into shard 0 (above the 500 KiB/s split threshold) for five seconds.
    let chunk = "x".repeat(60 * 1024);
    for _ in 0..5 {
        let records: Vec<Value> =
            (0..10).map(|_| json!({"Data": b64(&chunk), "PartitionKey": "p", "ExplicitHashKey": "1"})).collect();
        let out = env.ok(&k, "PutRecords", json!({"StreamName": "s", "Records": records}));
        assert_eq!(out["FailedRecordCount"], 0);
        env.clock.advance_ms(1000);
        k.housekeeping().unwrap();
    }
    assert_eq!(open(&k), 5, "the hot shard was split");
    let shards = env.shards(&k);
    assert!(shards[0]["SequenceNumberRange"].get("EndingSequenceNumber").is_some());
    assert_eq!(
        env.ok(&k, "DescribeStreamSummary", json!({"StreamName": "s"}))["StreamDescriptionSummary"]["StreamStatus"],
        "ACTIVE"
    );
    // Quiet for longer than merge_after: cold neighbours merge back to four.
    for _ in 0..25 {
        env.clock.advance_ms(1000);
        k.housekeeping().unwrap();
    }
    assert_eq!(open(&k), 4, "cold shards merged, never below the initial four");
}
