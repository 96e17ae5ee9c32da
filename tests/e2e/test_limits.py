"""Throughput limits with boto3: a shard takes 1,000 records/s; the rest of a
PutRecords is throttled per record; GetRecords serves 5 calls/s per shard."""
from e2e_util import create_stream, expect_error, make_client, shard_id


def test_put_records_beyond_a_shards_rate_fails_per_record(kinesis, stream_name):
    create_stream(kinesis, stream_name)
    records = [{"Data": b"x" * 100, "PartitionKey": f"k{i}"} for i in range(500)]
    results = []
    for _ in range(3):
        results += kinesis.put_records(StreamName=stream_name, Records=records)["Records"]
    throttled = [r for r in results if "ErrorCode" in r]
    assert throttled, "1,500 records at once exceed 1,000 records/s"
    assert {r["ErrorCode"] for r in throttled} == {"ProvisionedThroughputExceededException"}
    assert all(r["ErrorMessage"].startswith("Rate exceeded for shard shardId-000000000000") for r in throttled)
    accepted = [r for r in results if "SequenceNumber" in r]
    assert 1000 <= len(accepted) < 1500


def test_get_records_beyond_five_calls_per_second_is_throttled(kinesis, stream_name):
    create_stream(kinesis, stream_name)
    it = kinesis.get_shard_iterator(StreamName=stream_name, ShardId=shard_id(0), ShardIteratorType="LATEST")["ShardIterator"]

    def burst():
        for _ in range(10):
            kinesis.get_records(ShardIterator=it)

    expect_error(burst, "ProvisionedThroughputExceededException")


def test_control_plane_calls_beyond_their_rate_are_limit_exceeded(start_kinesd):
    # DescribeLimits: 1 call per second per account, with a few seconds of burst.
    client = make_client(start_kinesd().endpoint)

    def burst():
        for _ in range(20):
            client.describe_limits()

    expect_error(burst, "LimitExceededException", contains="DescribeLimits")
