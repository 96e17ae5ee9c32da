"""Retention period, tags (stream and resource APIs), DescribeLimits, and that every
operation taking StreamName also takes StreamARN."""

import pytest

from e2e_util import (
    create_stream,
    expect_error,
    not_found_message,
    shard_id,
    stream_arn,
    validation_message,
    wait_for_gone,
    wait_for_status,
)


def retention(client, name):
    return client.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["RetentionPeriodHours"]


# --- retention ------------------------------------------------------------------------


def test_retention_defaults_to_24_hours(kinesis, stream_name):
    create_stream(kinesis, stream_name)
    assert retention(kinesis, stream_name) == 24
    assert kinesis.describe_stream(StreamName=stream_name)["StreamDescription"]["RetentionPeriodHours"] == 24


def test_increase_retention_to_current_value_succeeds(kinesis, stream_name):
    # Terraform sends this after every create.
    create_stream(kinesis, stream_name)
    kinesis.increase_stream_retention_period(StreamName=stream_name, RetentionPeriodHours=24)
    assert retention(kinesis, stream_name) == 24


def test_increase_then_decrease_retention(kinesis, stream_name):
    create_stream(kinesis, stream_name)
    kinesis.increase_stream_retention_period(StreamName=stream_name, RetentionPeriodHours=48)
    assert retention(kinesis, stream_name) == 48
    kinesis.increase_stream_retention_period(StreamName=stream_name, RetentionPeriodHours=8760)
    assert retention(kinesis, stream_name) == 8760
    kinesis.decrease_stream_retention_period(StreamName=stream_name, RetentionPeriodHours=100)
    assert retention(kinesis, stream_name) == 100
    kinesis.decrease_stream_retention_period(StreamName=stream_name, RetentionPeriodHours=24)
    assert retention(kinesis, stream_name) == 24


def test_increase_retention_with_smaller_value_is_invalid_argument(kinesis, stream_name):
    create_stream(kinesis, stream_name)
    kinesis.increase_stream_retention_period(StreamName=stream_name, RetentionPeriodHours=72)
    # kinesalite and moto both record: "Requested retention period (48 hours) for stream
    # NAME can not be shorter than existing retention period (72 hours). Use
    # DecreaseRetentionPeriod API."
    expect_error(
        lambda: kinesis.increase_stream_retention_period(StreamName=stream_name, RetentionPeriodHours=48),
        "InvalidArgumentException",
        contains=["48 hours", "72 hours"],
    )
    assert retention(kinesis, stream_name) == 72


def test_decrease_retention_with_larger_value_is_invalid_argument(kinesis, stream_name):
    create_stream(kinesis, stream_name)
    expect_error(
        lambda: kinesis.decrease_stream_retention_period(StreamName=stream_name, RetentionPeriodHours=48),
        "InvalidArgumentException",
        contains=["48 hours", "24 hours"],
    )
    assert retention(kinesis, stream_name) == 24


def test_decrease_retention_below_24_is_invalid_argument(kinesis, stream_name):
    create_stream(kinesis, stream_name)
    kinesis.increase_stream_retention_period(StreamName=stream_name, RetentionPeriodHours=48)
    expect_error(
        lambda: kinesis.decrease_stream_retention_period(StreamName=stream_name, RetentionPeriodHours=23),
        "InvalidArgumentException",
        message="Minimum allowed retention period is 24 hours. Requested retention period (23 hours) is too short.",
    )
    assert retention(kinesis, stream_name) == 48


def test_increase_retention_above_8760_is_invalid_argument(kinesis, stream_name):
    create_stream(kinesis, stream_name)
    expect_error(
        lambda: kinesis.increase_stream_retention_period(StreamName=stream_name, RetentionPeriodHours=8761),
        "InvalidArgumentException",
        message="Maximum allowed retention period is 8760 hours. Requested retention period (8761 hours) is too long.",
    )
    assert retention(kinesis, stream_name) == 24


def test_retention_change_on_unknown_stream_is_resource_not_found(kinesis, stream_name):
    expect_error(
        lambda: kinesis.increase_stream_retention_period(StreamName=stream_name, RetentionPeriodHours=48),
        "ResourceNotFoundException",
        message=not_found_message(stream_name),
    )
    expect_error(
        lambda: kinesis.decrease_stream_retention_period(StreamName=stream_name, RetentionPeriodHours=24),
        "ResourceNotFoundException",
        message=not_found_message(stream_name),
    )


# --- tags -----------------------------------------------------------------------------


def tag_dict(tags):
    return {t["Key"]: t.get("Value", "") for t in tags}


def test_add_list_remove_tags_for_stream(kinesis, stream_name):
    create_stream(kinesis, stream_name)
    empty = kinesis.list_tags_for_stream(StreamName=stream_name)
    assert empty["Tags"] == [] and empty["HasMoreTags"] is False
    kinesis.add_tags_to_stream(StreamName=stream_name, Tags={"a": "1", "b": "2", "c": ""})
    assert tag_dict(kinesis.list_tags_for_stream(StreamName=stream_name)["Tags"]) == {"a": "1", "b": "2", "c": ""}
    kinesis.add_tags_to_stream(StreamName=stream_name, Tags={"a": "changed", "d": "4"})
    assert tag_dict(kinesis.list_tags_for_stream(StreamName=stream_name)["Tags"]) == {
        "a": "changed",
        "b": "2",
        "c": "",
        "d": "4",
    }
    kinesis.remove_tags_from_stream(StreamName=stream_name, TagKeys=["b", "not-there"])
    assert tag_dict(kinesis.list_tags_for_stream(StreamName=stream_name)["Tags"]) == {"a": "changed", "c": "", "d": "4"}


def test_list_tags_for_stream_pages_with_limit_and_exclusive_start_key(kinesis, stream_name):
    create_stream(kinesis, stream_name)
    tags = {f"key-{i:02d}": f"value-{i}" for i in range(7)}
    kinesis.add_tags_to_stream(StreamName=stream_name, Tags=tags)
    seen = []
    start = None
    for _ in range(10):
        kw = {"StreamName": stream_name, "Limit": 3}
        if start is not None:
            kw["ExclusiveStartTagKey"] = start
        page = kinesis.list_tags_for_stream(**kw)
        assert len(page["Tags"]) <= 3
        seen.extend(page["Tags"])
        if not page["HasMoreTags"]:
            break
        assert len(page["Tags"]) == 3
        start = page["Tags"][-1]["Key"]
    keys = [t["Key"] for t in seen]
    assert len(keys) == len(set(keys)) == 7
    assert tag_dict(seen) == tags
    first = kinesis.list_tags_for_stream(StreamName=stream_name, Limit=3)
    assert first["HasMoreTags"] is True
    rest = kinesis.list_tags_for_stream(StreamName=stream_name, ExclusiveStartTagKey=first["Tags"][-1]["Key"])
    assert rest["HasMoreTags"] is False
    assert len(rest["Tags"]) == 4
    assert not {t["Key"] for t in rest["Tags"]} & {t["Key"] for t in first["Tags"]}


def test_list_tags_for_stream_limit_out_of_range_is_validation_error(kinesis, stream_name):
    create_stream(kinesis, stream_name)
    expect_error(
        lambda: kinesis.list_tags_for_stream(StreamName=stream_name, Limit=0),
        "ValidationException",
        message=validation_message(0, "limit", "Member must have value greater than or equal to 1"),
    )
    expect_error(
        lambda: kinesis.list_tags_for_stream(StreamName=stream_name, Limit=51),
        "ValidationException",
        message=validation_message(51, "limit", "Member must have value less than or equal to 50"),
    )


def test_tag_untag_list_tags_for_resource_by_arn(kinesis, stream_name):
    create_stream(kinesis, stream_name)
    arn = stream_arn(stream_name)
    kinesis.tag_resource(ResourceARN=arn, Tags={"x": "1", "y": "2"})
    assert tag_dict(kinesis.list_tags_for_resource(ResourceARN=arn)["Tags"]) == {"x": "1", "y": "2"}
    # the two tag APIs see the same tags
    assert tag_dict(kinesis.list_tags_for_stream(StreamName=stream_name)["Tags"]) == {"x": "1", "y": "2"}
    kinesis.untag_resource(ResourceARN=arn, TagKeys=["x"])
    assert tag_dict(kinesis.list_tags_for_resource(ResourceARN=arn)["Tags"]) == {"y": "2"}


def test_list_tags_for_resource_unknown_stream_is_resource_not_found(kinesis, stream_name):
    expect_error(
        lambda: kinesis.list_tags_for_resource(ResourceARN=stream_arn(stream_name)),
        "ResourceNotFoundException",
    )


def test_add_tags_beyond_50_is_invalid_argument(kinesis, stream_name):
    # API reference: "You can assign up to 50 tags to a data stream." kinesalite records
    # InvalidArgumentException ("... because a given stream cannot have more than N tags
    # associated with it."); only the code is asserted.
    create_stream(kinesis, stream_name)
    expect_error(
        lambda: kinesis.add_tags_to_stream(StreamName=stream_name, Tags={f"t{i}": "v" for i in range(51)}),
        "InvalidArgumentException",
    )
    assert kinesis.list_tags_for_stream(StreamName=stream_name)["Tags"] == []
    kinesis.add_tags_to_stream(StreamName=stream_name, Tags={f"t{i}": "v" for i in range(50)})
    expect_error(
        lambda: kinesis.add_tags_to_stream(StreamName=stream_name, Tags={"one-more": "v"}),
        "InvalidArgumentException",
    )
    # overwriting an existing key does not add a tag
    kinesis.add_tags_to_stream(StreamName=stream_name, Tags={"t0": "new"})
    tags = tag_dict(kinesis.list_tags_for_stream(StreamName=stream_name, Limit=50)["Tags"])
    assert len(tags) == 50 and tags["t0"] == "new"


def test_tag_resource_beyond_50_is_rejected(kinesis, stream_name):
    # TagResource docs: "You can add up to 50 tags per resource"; its error list has both
    # InvalidArgumentException and LimitExceededException, so either is accepted.
    create_stream(kinesis, stream_name)
    expect_error(
        lambda: kinesis.tag_resource(ResourceARN=stream_arn(stream_name), Tags={f"t{i}": "v" for i in range(51)}),
        ("InvalidArgumentException", "LimitExceededException"),
    )


def test_create_stream_with_51_tags_is_rejected(kinesis, stream_name):
    # CreateStream docs: "A set of up to 50 key-value pairs"; code not documented.
    expect_error(
        lambda: kinesis.create_stream(StreamName=stream_name, ShardCount=1, Tags={f"t{i}": "v" for i in range(51)}),
        ("InvalidArgumentException", "ValidationException", "LimitExceededException"),
    )


def test_tags_on_unknown_stream_are_resource_not_found(kinesis, stream_name):
    expect_error(
        lambda: kinesis.add_tags_to_stream(StreamName=stream_name, Tags={"a": "b"}),
        "ResourceNotFoundException",
        message=not_found_message(stream_name),
    )
    expect_error(
        lambda: kinesis.list_tags_for_stream(StreamName=stream_name),
        "ResourceNotFoundException",
        message=not_found_message(stream_name),
    )


# --- DescribeLimits (own server: account-wide counts are exact) --------------------------


def test_describe_limits_reflects_real_counts(start_kinesd):
    client = start_kinesd().client()
    limits = client.describe_limits()
    assert limits["OpenShardCount"] == 0
    assert limits["OnDemandStreamCount"] == 0
    assert isinstance(limits["ShardLimit"], int) and limits["ShardLimit"] > 0
    assert isinstance(limits["OnDemandStreamCountLimit"], int) and limits["OnDemandStreamCountLimit"] > 0

    create_stream(client, "limits-a", shards=2)
    create_stream(client, "limits-b", shards=3)
    create_stream(client, "limits-od", on_demand=True)
    limits = client.describe_limits()
    assert limits["OpenShardCount"] == 2 + 3 + 4
    assert limits["OnDemandStreamCount"] == 1

    client.delete_stream(StreamName="limits-b")
    wait_for_gone(client, "limits-b")
    client.delete_stream(StreamName="limits-od")
    wait_for_gone(client, "limits-od")
    limits = client.describe_limits()
    assert limits["OpenShardCount"] == 2
    assert limits["OnDemandStreamCount"] == 0


# --- StreamARN instead of StreamName -----------------------------------------------------


def arn_calls(client, name, arn):
    """(operation, call with StreamARN only) for every operation taking either."""
    box = {}

    def put_record():
        box["seq"] = client.put_record(StreamARN=arn, Data=b"by-arn", PartitionKey="k")["SequenceNumber"]

    def get_iterator():
        box["it"] = client.get_shard_iterator(
            StreamARN=arn, ShardId=shard_id(0), ShardIteratorType="AT_SEQUENCE_NUMBER", StartingSequenceNumber=box["seq"]
        )["ShardIterator"]

    def get_records():
        recs = client.get_records(ShardIterator=box["it"], StreamARN=arn)["Records"]
        assert [r["Data"] for r in recs][:1] == [b"by-arn"]

    return [
        ("DescribeStream", lambda: client.describe_stream(StreamARN=arn)["StreamDescription"]["StreamName"] == name),
        ("DescribeStreamSummary", lambda: client.describe_stream_summary(StreamARN=arn)),
        ("ListShards", lambda: client.list_shards(StreamARN=arn)["Shards"][0]["ShardId"] == shard_id(0)),
        ("PutRecord", put_record),
        ("PutRecords", lambda: client.put_records(StreamARN=arn, Records=[{"Data": b"x", "PartitionKey": "k"}])),
        ("GetShardIterator", get_iterator),
        ("GetRecords", get_records),
        ("IncreaseStreamRetentionPeriod", lambda: client.increase_stream_retention_period(StreamARN=arn, RetentionPeriodHours=48)),
        ("DecreaseStreamRetentionPeriod", lambda: client.decrease_stream_retention_period(StreamARN=arn, RetentionPeriodHours=24)),
        ("AddTagsToStream", lambda: client.add_tags_to_stream(StreamARN=arn, Tags={"via": "arn"})),
        ("ListTagsForStream", lambda: client.list_tags_for_stream(StreamARN=arn)),
        ("RemoveTagsFromStream", lambda: client.remove_tags_from_stream(StreamARN=arn, TagKeys=["via"])),
        ("DeleteStream", lambda: client.delete_stream(StreamARN=arn)),
    ]


def test_every_stream_operation_accepts_stream_arn(kinesis, stream_name):
    create_stream(kinesis, stream_name)
    arn = stream_arn(stream_name)
    for op, call in arn_calls(kinesis, stream_name, arn):
        result = call()
        assert result is not False, f"{op} by StreamARN returned the wrong stream"
        if op == "IncreaseStreamRetentionPeriod":
            assert retention(kinesis, stream_name) == 48
        if op == "DecreaseStreamRetentionPeriod":
            assert retention(kinesis, stream_name) == 24
        if op == "AddTagsToStream":
            assert tag_dict(kinesis.list_tags_for_stream(StreamName=stream_name)["Tags"]) == {"via": "arn"}
    wait_for_gone(kinesis, stream_name)


def test_stream_name_and_matching_arn_together_are_accepted(kinesis, stream_name):
    create_stream(kinesis, stream_name)
    d = kinesis.describe_stream_summary(StreamName=stream_name, StreamARN=stream_arn(stream_name))
    assert d["StreamDescriptionSummary"]["StreamName"] == stream_name


def test_unknown_stream_arn_is_resource_not_found(kinesis, stream_name):
    expect_error(
        lambda: kinesis.describe_stream_summary(StreamARN=stream_arn(stream_name)),
        "ResourceNotFoundException",
        contains=stream_name,
    )


def test_neither_stream_name_nor_arn_is_rejected(kinesis):
    # Both members are optional in the model; AWS's answer for neither is not documented.
    expect_error(
        lambda: kinesis.describe_stream_summary(),
        ("InvalidArgumentException", "ValidationException", "ResourceNotFoundException"),
    )


def test_malformed_stream_arn_is_validation_error(kinesis):
    expect_error(
        lambda: kinesis.describe_stream_summary(StreamARN="not-an-arn"),
        "ValidationException",
        message=validation_message(
            "not-an-arn", "streamARN", "Member must satisfy regular expression pattern: arn:aws.*:kinesis:.*:\\d{12}:stream/\\S+"
        ),
    )
