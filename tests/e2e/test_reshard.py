"""Resharding with boto3: SplitShard, MergeShards, UpdateShardCount."""
import pytest

from e2e_util import HASH_MAX, create_stream, expect_error, shard_id, wait_for_status


def wait_active(kinesis, name):
    wait_for_status(kinesis, name, "ACTIVE")


def read_all(kinesis, name, shard):
    it = kinesis.get_shard_iterator(StreamName=name, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    out = kinesis.get_records(ShardIterator=it)
    return out


def test_split_shard_closes_parent_and_children_take_new_records(kinesis, stream_name):
    create_stream(kinesis, stream_name, shards=1)
    before = kinesis.put_record(StreamName=stream_name, Data=b"before", PartitionKey="k", ExplicitHashKey="5")
    mid = HASH_MAX // 2
    kinesis.split_shard(StreamName=stream_name, ShardToSplit=shard_id(0), NewStartingHashKey=str(mid))
    wait_active(kinesis, stream_name)
    shards = kinesis.list_shards(StreamName=stream_name)["Shards"]
    assert [s["ShardId"] for s in shards] == [shard_id(0), shard_id(1), shard_id(2)]
    assert shards[0]["SequenceNumberRange"]["EndingSequenceNumber"] == before["SequenceNumber"]
    assert shards[1]["ParentShardId"] == shard_id(0) and shards[2]["ParentShardId"] == shard_id(0)
    assert shards[1]["HashKeyRange"] == {"StartingHashKey": "0", "EndingHashKey": str(mid - 1)}
    assert shards[2]["HashKeyRange"] == {"StartingHashKey": str(mid), "EndingHashKey": str(HASH_MAX)}
    after = kinesis.put_record(StreamName=stream_name, Data=b"after", PartitionKey="k", ExplicitHashKey="5")
    assert after["ShardId"] == shard_id(1)
    assert int(after["SequenceNumber"]) > int(before["SequenceNumber"])
    out = read_all(kinesis, stream_name, shard_id(0))
    assert [r["Data"] for r in out["Records"]] == [b"before"]
    assert "NextShardIterator" not in out or out["NextShardIterator"] is None
    assert [c["ShardId"] for c in out["ChildShards"]] == [shard_id(1), shard_id(2)]


def test_merge_shards_of_non_adjacent_shards_is_invalid_argument(kinesis, stream_name):
    create_stream(kinesis, stream_name, shards=3)
    expect_error(
        lambda: kinesis.merge_shards(StreamName=stream_name, ShardToMerge=shard_id(0), AdjacentShardToMerge=shard_id(2)),
        "InvalidArgumentException",
    )
    kinesis.merge_shards(StreamName=stream_name, ShardToMerge=shard_id(0), AdjacentShardToMerge=shard_id(1))
    wait_active(kinesis, stream_name)
    child = kinesis.list_shards(StreamName=stream_name)["Shards"][-1]
    assert child["ParentShardId"] == shard_id(0) and child["AdjacentParentShardId"] == shard_id(1)


@pytest.mark.parametrize("target", [4, 1])
def test_update_shard_count_scales_uniformly(kinesis, stream_name, target):
    create_stream(kinesis, stream_name, shards=2)
    out = kinesis.update_shard_count(StreamName=stream_name, TargetShardCount=target, ScalingType="UNIFORM_SCALING")
    assert (out["CurrentShardCount"], out["TargetShardCount"]) == (2, target)
    wait_active(kinesis, stream_name)
    open_shards = kinesis.list_shards(StreamName=stream_name, ShardFilter={"Type": "AT_LATEST"})["Shards"]
    assert len(open_shards) == target
    assert kinesis.describe_stream_summary(StreamName=stream_name)["StreamDescriptionSummary"]["OpenShardCount"] == target


def test_update_shard_count_beyond_double_is_limit_exceeded(kinesis, stream_name):
    create_stream(kinesis, stream_name, shards=1)
    expect_error(
        lambda: kinesis.update_shard_count(StreamName=stream_name, TargetShardCount=3, ScalingType="UNIFORM_SCALING"),
        "LimitExceededException",
    )


def test_resharding_an_on_demand_stream_is_validation_error(kinesis, stream_name):
    kinesis.create_stream(StreamName=stream_name, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    wait_active(kinesis, stream_name)
    expect_error(
        lambda: kinesis.split_shard(StreamName=stream_name, ShardToSplit=shard_id(0), NewStartingHashKey="100"),
        "ValidationException",
    )
