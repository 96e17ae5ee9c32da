"""Enhanced fan-out with boto3: consumers and SubscribeToShard over HTTP/1.1
event streams."""
import threading
import time

from e2e_util import create_stream, expect_error, shard_id, stream_arn, wait_for_status


def register(kinesis, name, consumer="c"):
    return kinesis.register_stream_consumer(StreamARN=stream_arn(name), ConsumerName=consumer)["Consumer"]


def test_consumer_lifecycle(kinesis, stream_name):
    create_stream(kinesis, stream_name)
    c = register(kinesis, stream_name)
    assert c["ConsumerARN"].startswith(stream_arn(stream_name) + "/consumer/c:")
    assert c["ConsumerStatus"] in ("CREATING", "ACTIVE")
    desc = kinesis.describe_stream_consumer(ConsumerARN=c["ConsumerARN"])["ConsumerDescription"]
    assert (desc["ConsumerName"], desc["StreamARN"]) == ("c", stream_arn(stream_name))
    same = kinesis.describe_stream_consumer(StreamARN=stream_arn(stream_name), ConsumerName="c")["ConsumerDescription"]
    assert same["ConsumerARN"] == c["ConsumerARN"]
    expect_error(lambda: register(kinesis, stream_name), "ResourceInUseException")
    assert [x["ConsumerName"] for x in kinesis.list_stream_consumers(StreamARN=stream_arn(stream_name))["Consumers"]] == ["c"]
    expect_error(lambda: kinesis.delete_stream(StreamName=stream_name), "ResourceInUseException")
    kinesis.deregister_stream_consumer(ConsumerARN=c["ConsumerARN"])
    deadline = time.time() + 5
    while kinesis.list_stream_consumers(StreamARN=stream_arn(stream_name))["Consumers"] and time.time() < deadline:
        time.sleep(0.05)
    expect_error(lambda: kinesis.describe_stream_consumer(ConsumerARN=c["ConsumerARN"]), "ResourceNotFoundException")


def test_subscribe_to_shard_pushes_records(kinesis, stream_name):
    create_stream(kinesis, stream_name)
    c = register(kinesis, stream_name)
    kinesis.put_record(StreamName=stream_name, Data=b"before", PartitionKey="p")
    out = kinesis.subscribe_to_shard(
        ConsumerARN=c["ConsumerARN"], ShardId=shard_id(0), StartingPosition={"Type": "TRIM_HORIZON"}
    )

    def produce():
        time.sleep(0.2)
        kinesis.put_record(StreamName=stream_name, Data=b"pushed", PartitionKey="p")

    threading.Thread(target=produce).start()
    seen = []
    for event in out["EventStream"]:
        ev = event["SubscribeToShardEvent"]
        seen.extend(r["Data"] for r in ev["Records"])
        assert "ContinuationSequenceNumber" in ev and "MillisBehindLatest" in ev
        if b"pushed" in seen:
            break
    assert seen == [b"before", b"pushed"]


def test_second_subscription_within_five_seconds_is_resource_in_use(kinesis, stream_name):
    create_stream(kinesis, stream_name)
    c = register(kinesis, stream_name)
    kinesis.subscribe_to_shard(ConsumerARN=c["ConsumerARN"], ShardId=shard_id(0), StartingPosition={"Type": "LATEST"})
    expect_error(
        lambda: kinesis.subscribe_to_shard(
            ConsumerARN=c["ConsumerARN"], ShardId=shard_id(0), StartingPosition={"Type": "LATEST"}
        ),
        "ResourceInUseException",
    )


def test_subscribe_to_unknown_shard_is_resource_not_found(kinesis, stream_name):
    create_stream(kinesis, stream_name)
    c = register(kinesis, stream_name)
    expect_error(
        lambda: kinesis.subscribe_to_shard(
            ConsumerARN=c["ConsumerARN"], ShardId=shard_id(7), StartingPosition={"Type": "LATEST"}
        ),
        "ResourceNotFoundException",
    )
