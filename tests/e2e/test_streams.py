"""Control plane: CreateStream, DeleteStream, DescribeStream, DescribeStreamSummary,
ListStreams, ListShards. AWS's API reference is the spec; where a message is not
documented only the code and a meaningful substring are asserted."""

import datetime
import time

import pytest

from e2e_util import (
    ACCOUNT,
    HASH_MAX,
    create_stream,
    expect_error,
    expected_ranges,
    not_found_message,
    shard_id,
    stream_arn,
    stream_status,
    validation_message,
    wait_for_gone,
    wait_for_status,
)

NAME_PATTERN = "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"


def ranges_of(shards):
    return [(int(s["HashKeyRange"]["StartingHashKey"]), int(s["HashKeyRange"]["EndingHashKey"])) for s in shards]


# --- CreateStream ---------------------------------------------------------------------


def test_create_stream_provisioned_has_requested_shards(kinesis, stream_name):
    summary = create_stream(kinesis, stream_name, shards=3)
    assert summary["StreamStatus"] == "ACTIVE"
    assert summary["OpenShardCount"] == 3
    assert summary["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}
    desc = kinesis.describe_stream(StreamName=stream_name)["StreamDescription"]
    assert [s["ShardId"] for s in desc["Shards"]] == [shard_id(i) for i in range(3)]


def test_create_stream_on_demand_has_four_shards(kinesis, stream_name):
    summary = create_stream(kinesis, stream_name, on_demand=True)
    assert summary["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"}
    assert summary["OpenShardCount"] == 4
    shards = kinesis.list_shards(StreamName=stream_name)["Shards"]
    assert [s["ShardId"] for s in shards] == [shard_id(i) for i in range(4)]
    assert ranges_of(shards) == expected_ranges(4)


def test_create_stream_tags_are_visible_in_list_tags(kinesis, stream_name):
    create_stream(kinesis, stream_name, shards=1, Tags={"env": "test", "team": "data", "empty": ""})
    tags = kinesis.list_tags_for_stream(StreamName=stream_name)
    assert {t["Key"]: t.get("Value", "") for t in tags["Tags"]} == {"env": "test", "team": "data", "empty": ""}
    assert tags["HasMoreTags"] is False


@pytest.mark.parametrize("count", [1, 2, 3, 7])
def test_create_stream_hash_ranges_split_evenly_and_contiguous(kinesis, make_name, count):
    name = make_name(f"split{count}")
    create_stream(kinesis, name, shards=count)
    shards = kinesis.describe_stream(StreamName=name)["StreamDescription"]["Shards"]
    got = ranges_of(shards)
    assert got == expected_ranges(count)
    assert got[0][0] == 0 and got[-1][1] == HASH_MAX
    for (_, end), (start, _) in zip(got, got[1:]):
        assert start == end + 1


def test_create_stream_three_shards_matches_aws_ranges(kinesis, stream_name):
    # The exact values AWS answers for a 3-shard stream (recorded by kinesalite against AWS).
    create_stream(kinesis, stream_name, shards=3)
    shards = kinesis.describe_stream(StreamName=stream_name)["StreamDescription"]["Shards"]
    assert [(s["HashKeyRange"]["StartingHashKey"], s["HashKeyRange"]["EndingHashKey"]) for s in shards] == [
        ("0", "113427455640312821154458202477256070484"),
        ("113427455640312821154458202477256070485", "226854911280625642308916404954512140969"),
        ("226854911280625642308916404954512140970", "340282366920938463463374607431768211455"),
    ]
    for s in shards:
        start = s["SequenceNumberRange"]["StartingSequenceNumber"]
        assert start.isdigit()
        assert "EndingSequenceNumber" not in s["SequenceNumberRange"]
        assert "ParentShardId" not in s


def test_create_stream_shard_ids_are_zero_padded(kinesis, stream_name):
    create_stream(kinesis, stream_name, shards=12)
    ids = [s["ShardId"] for s in kinesis.list_shards(StreamName=stream_name)["Shards"]]
    assert ids[0] == "shardId-000000000000"
    assert ids[11] == "shardId-000000000011"
    assert ids == [shard_id(i) for i in range(12)]


def test_create_stream_duplicate_name_is_resource_in_use(kinesis, stream_name):
    create_stream(kinesis, stream_name, shards=1)
    # AWS: "Stream NAME under account ACCOUNT already exists." (kinesalite's recording);
    # only the name and "already exists" are asserted.
    expect_error(
        lambda: kinesis.create_stream(StreamName=stream_name, ShardCount=1),
        "ResourceInUseException",
        contains=[stream_name, "already exists"],
    )


def test_create_stream_bad_characters_is_validation_error(kinesis):
    bad = "bad name!"
    expect_error(
        lambda: kinesis.create_stream(StreamName=bad, ShardCount=1),
        "ValidationException",
        message=validation_message(bad, "streamName", NAME_PATTERN),
    )


def test_create_stream_name_of_129_chars_is_validation_error(kinesis):
    name = "a" * 129
    expect_error(
        lambda: kinesis.create_stream(StreamName=name, ShardCount=1),
        "ValidationException",
        message=validation_message(name, "streamName", "Member must have length less than or equal to 128"),
    )


def test_create_stream_name_of_128_chars_is_accepted(kinesis, stream_name):
    name = (stream_name + "x" * 128)[:128]
    create_stream(kinesis, name, shards=1)
    assert kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamName"] == name


def test_create_stream_empty_name_is_validation_error(kinesis):
    # AWS reports both violated constraints of the member (pattern, then length, as
    # kinesalite recorded); the order of the two clauses is not asserted.
    resp = expect_error(
        lambda: kinesis.create_stream(StreamName="", ShardCount=1),
        "ValidationException",
        contains=[
            "2 validation errors detected: ",
            f"Value '' at 'streamName' failed to satisfy constraint: {NAME_PATTERN}",
            "Value '' at 'streamName' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ],
    )
    assert resp["Error"]["Message"].count("; ") == 1


def test_create_stream_zero_shards_is_validation_error(kinesis, stream_name):
    expect_error(
        lambda: kinesis.create_stream(StreamName=stream_name, ShardCount=0),
        "ValidationException",
        message=validation_message(0, "shardCount", "Member must have value greater than or equal to 1"),
    )


def test_create_stream_two_violations_are_both_reported(kinesis):
    name = "a" * 129
    resp = expect_error(
        lambda: kinesis.create_stream(StreamName=name, ShardCount=0),
        "ValidationException",
        contains=[
            "2 validation errors detected: ",
            "Value '0' at 'shardCount' failed to satisfy constraint: Member must have value greater than or equal to 1",
            f"Value '{name}' at 'streamName' failed to satisfy constraint: Member must have length less than or equal to 128",
        ],
    )
    assert resp["Error"]["Message"].count("; ") == 1


def test_create_stream_without_shard_count_or_mode_is_accepted(kinesis, stream_name):
    # `aws kinesis create-stream --stream-name X` (no shard count) succeeds against AWS
    # (etspaceman/kinesis-mock#336, reproduced against AWS). What it creates is not
    # documented; we only require an ACTIVE stream with at least one shard.
    kinesis.create_stream(StreamName=stream_name)
    wait_for_status(kinesis, stream_name, "ACTIVE")
    summary = kinesis.describe_stream_summary(StreamName=stream_name)["StreamDescriptionSummary"]
    assert summary["OpenShardCount"] >= 1


def test_create_stream_provisioned_without_shard_count_is_rejected(kinesis, stream_name):
    # UNVERIFIED against AWS: explicit PROVISIONED mode needs a shard count; the code AWS
    # uses for this is not documented, so either client-error code is accepted.
    expect_error(
        lambda: kinesis.create_stream(StreamName=stream_name, StreamModeDetails={"StreamMode": "PROVISIONED"}),
        ("InvalidArgumentException", "ValidationException"),
    )
    expect_error(lambda: kinesis.describe_stream_summary(StreamName=stream_name), "ResourceNotFoundException")


def test_create_stream_on_demand_with_shard_count_is_rejected(kinesis, stream_name):
    # "ShardCount is not expected when StreamMode=ON_DEMAND" (seen through CloudFormation,
    # aws/aws-cdk#18247); the exact code is not documented.
    expect_error(
        lambda: kinesis.create_stream(
            StreamName=stream_name, ShardCount=2, StreamModeDetails={"StreamMode": "ON_DEMAND"}
        ),
        ("InvalidArgumentException", "ValidationException"),
    )


def test_create_stream_is_active_immediately_with_zero_delay(kinesis, stream_name):
    kinesis.create_stream(StreamName=stream_name, ShardCount=1)
    assert stream_status(kinesis, stream_name) == "ACTIVE"


def test_create_stream_goes_creating_then_active_with_delay(start_kinesd, stream_name):
    server = start_kinesd(transition_delay_ms=300)
    client = server.client()
    t0 = time.monotonic()
    client.create_stream(StreamName=stream_name, ShardCount=2)
    first = stream_status(client, stream_name)
    assert first == "CREATING"
    summary = client.describe_stream_summary(StreamName=stream_name)["StreamDescriptionSummary"]
    assert summary["StreamName"] == stream_name
    wait_for_status(client, stream_name, "ACTIVE", timeout=5)
    assert time.monotonic() - t0 >= 0.25
    assert client.describe_stream_summary(StreamName=stream_name)["StreamDescriptionSummary"]["OpenShardCount"] == 2

    client.delete_stream(StreamName=stream_name)
    assert stream_status(client, stream_name) == "DELETING"
    wait_for_gone(client, stream_name, timeout=5)


# --- DeleteStream ---------------------------------------------------------------------


def test_delete_stream_by_name_removes_it(kinesis, stream_name):
    create_stream(kinesis, stream_name)
    kinesis.delete_stream(StreamName=stream_name)
    wait_for_gone(kinesis, stream_name)
    expect_error(
        lambda: kinesis.describe_stream(StreamName=stream_name),
        "ResourceNotFoundException",
        message=not_found_message(stream_name),
    )
    assert stream_name not in kinesis.list_streams(Limit=10000)["StreamNames"]


def test_delete_stream_by_arn_removes_it(kinesis, stream_name):
    create_stream(kinesis, stream_name)
    kinesis.delete_stream(StreamARN=stream_arn(stream_name))
    wait_for_gone(kinesis, stream_name)


def test_delete_stream_accepts_enforce_consumer_deletion(kinesis, stream_name):
    create_stream(kinesis, stream_name)
    kinesis.delete_stream(StreamName=stream_name, EnforceConsumerDeletion=True)
    wait_for_gone(kinesis, stream_name)


def test_delete_stream_unknown_is_resource_not_found(kinesis, stream_name):
    expect_error(
        lambda: kinesis.delete_stream(StreamName=stream_name),
        "ResourceNotFoundException",
        message=not_found_message(stream_name),
    )


def test_deleted_stream_name_is_reusable(kinesis, stream_name):
    create_stream(kinesis, stream_name, shards=1)
    kinesis.put_record(StreamName=stream_name, Data=b"old", PartitionKey="k")
    kinesis.delete_stream(StreamName=stream_name)
    wait_for_gone(kinesis, stream_name)
    summary = create_stream(kinesis, stream_name, shards=2)
    assert summary["OpenShardCount"] == 2
    it = kinesis.get_shard_iterator(
        StreamName=stream_name, ShardId=shard_id(0), ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    assert kinesis.get_records(ShardIterator=it)["Records"] == []
    it = kinesis.get_shard_iterator(
        StreamName=stream_name, ShardId=shard_id(1), ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    assert kinesis.get_records(ShardIterator=it)["Records"] == []


# --- DescribeStream -------------------------------------------------------------------


def test_describe_stream_reports_aws_fields(kinesis, stream_name):
    before = datetime.datetime.now(datetime.timezone.utc)
    create_stream(kinesis, stream_name, shards=2)
    d = kinesis.describe_stream(StreamName=stream_name)["StreamDescription"]
    assert d["StreamName"] == stream_name
    assert d["StreamARN"] == f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/{stream_name}"
    assert d["StreamStatus"] == "ACTIVE"
    assert d["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}
    assert d["HasMoreShards"] is False
    assert d["RetentionPeriodHours"] == 24
    assert d["EncryptionType"] == "NONE"
    assert d["EnhancedMonitoring"] == [{"ShardLevelMetrics": []}]
    created = d["StreamCreationTimestamp"]
    assert abs((created - before).total_seconds()) < 60
    assert len(d["Shards"]) == 2


def test_describe_stream_limit_and_exclusive_start_page_shards(kinesis, stream_name):
    create_stream(kinesis, stream_name, shards=5)
    d = kinesis.describe_stream(StreamName=stream_name, Limit=2)["StreamDescription"]
    assert [s["ShardId"] for s in d["Shards"]] == [shard_id(0), shard_id(1)]
    assert d["HasMoreShards"] is True
    d = kinesis.describe_stream(StreamName=stream_name, Limit=2, ExclusiveStartShardId=shard_id(1))[
        "StreamDescription"
    ]
    assert [s["ShardId"] for s in d["Shards"]] == [shard_id(2), shard_id(3)]
    assert d["HasMoreShards"] is True
    d = kinesis.describe_stream(StreamName=stream_name, Limit=2, ExclusiveStartShardId=shard_id(3))[
        "StreamDescription"
    ]
    assert [s["ShardId"] for s in d["Shards"]] == [shard_id(4)]
    assert d["HasMoreShards"] is False
    d = kinesis.describe_stream(StreamName=stream_name, Limit=5)["StreamDescription"]
    assert len(d["Shards"]) == 5 and d["HasMoreShards"] is False


def test_describe_stream_limit_zero_is_validation_error(kinesis, stream_name):
    create_stream(kinesis, stream_name)
    expect_error(
        lambda: kinesis.describe_stream(StreamName=stream_name, Limit=0),
        "ValidationException",
        message=validation_message(0, "limit", "Member must have value greater than or equal to 1"),
    )


def test_describe_stream_unknown_is_resource_not_found(kinesis, stream_name):
    expect_error(
        lambda: kinesis.describe_stream(StreamName=stream_name),
        "ResourceNotFoundException",
        message=not_found_message(stream_name),
    )


# --- DescribeStreamSummary ------------------------------------------------------------


def test_describe_stream_summary_reports_aws_fields(kinesis, stream_name):
    create_stream(kinesis, stream_name, shards=3)
    s = kinesis.describe_stream_summary(StreamName=stream_name)["StreamDescriptionSummary"]
    assert s["StreamName"] == stream_name
    assert s["StreamARN"] == f"arn:aws:kinesis:us-east-1:123456789012:stream/{stream_name}"
    assert s["StreamStatus"] == "ACTIVE"
    assert s["OpenShardCount"] == 3
    assert s["RetentionPeriodHours"] == 24
    assert s["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}
    assert s["EncryptionType"] == "NONE"
    assert s["EnhancedMonitoring"] == [{"ShardLevelMetrics": []}]
    assert s.get("ConsumerCount", 0) == 0
    assert isinstance(s["StreamCreationTimestamp"], datetime.datetime)


def test_describe_stream_summary_unknown_is_resource_not_found(kinesis, stream_name):
    expect_error(
        lambda: kinesis.describe_stream_summary(StreamName=stream_name),
        "ResourceNotFoundException",
        message=not_found_message(stream_name),
    )


# --- ListStreams (own server, so the listing is exact) ----------------------------------


def test_list_streams_pages_with_limit_next_token_and_exclusive_start(start_kinesd):
    client = start_kinesd().client()
    empty = client.list_streams()
    assert empty["StreamNames"] == [] and empty["HasMoreStreams"] is False
    names = ["ls-bravo", "ls-alpha", "ls-delta", "ls-charlie"]
    for n in names:
        client.create_stream(StreamName=n, ShardCount=1)
    for n in names:
        wait_for_status(client, n, "ACTIVE")
    ordered = sorted(names)

    full = client.list_streams()
    assert full["StreamNames"] == ordered
    assert full["HasMoreStreams"] is False
    assert [s["StreamName"] for s in full["StreamSummaries"]] == ordered
    for s in full["StreamSummaries"]:
        assert s["StreamARN"] == stream_arn(s["StreamName"])
        assert s["StreamStatus"] == "ACTIVE"
        assert s["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}
        assert isinstance(s["StreamCreationTimestamp"], datetime.datetime)

    page1 = client.list_streams(Limit=2)
    assert page1["StreamNames"] == ordered[:2]
    assert page1["HasMoreStreams"] is True
    assert page1.get("NextToken")
    page2 = client.list_streams(NextToken=page1["NextToken"], Limit=2)
    assert page2["StreamNames"] == ordered[2:]
    assert page2["HasMoreStreams"] is False
    assert "NextToken" not in page2

    after = client.list_streams(ExclusiveStartStreamName=ordered[1])
    assert after["StreamNames"] == ordered[2:]
    assert after["HasMoreStreams"] is False
    after = client.list_streams(ExclusiveStartStreamName=ordered[0], Limit=1)
    assert after["StreamNames"] == [ordered[1]]
    assert after["HasMoreStreams"] is True


def test_list_streams_limit_zero_is_validation_error(kinesis):
    expect_error(
        lambda: kinesis.list_streams(Limit=0),
        "ValidationException",
        message=validation_message(0, "limit", "Member must have value greater than or equal to 1"),
    )


# --- ListShards -----------------------------------------------------------------------


@pytest.fixture
def five_shards(kinesis, stream_name):
    create_stream(kinesis, stream_name, shards=5)
    return stream_name


def ids(resp):
    return [s["ShardId"] for s in resp["Shards"]]


def test_list_shards_returns_every_shard_with_ranges(kinesis, five_shards):
    resp = kinesis.list_shards(StreamName=five_shards)
    assert ids(resp) == [shard_id(i) for i in range(5)]
    assert ranges_of(resp["Shards"]) == expected_ranges(5)
    assert "NextToken" not in resp


def test_list_shards_max_results_and_next_token_page(kinesis, five_shards):
    p1 = kinesis.list_shards(StreamName=five_shards, MaxResults=2)
    assert ids(p1) == [shard_id(0), shard_id(1)]
    assert p1.get("NextToken")
    p2 = kinesis.list_shards(NextToken=p1["NextToken"], MaxResults=2)
    assert ids(p2) == [shard_id(2), shard_id(3)]
    assert p2.get("NextToken")
    p3 = kinesis.list_shards(NextToken=p2["NextToken"], MaxResults=2)
    assert ids(p3) == [shard_id(4)]
    assert "NextToken" not in p3


def test_list_shards_exclusive_start_shard_id(kinesis, five_shards):
    resp = kinesis.list_shards(StreamName=five_shards, ExclusiveStartShardId=shard_id(1))
    assert ids(resp) == [shard_id(2), shard_id(3), shard_id(4)]


def test_list_shards_accepts_stream_creation_timestamp(kinesis, five_shards):
    created = kinesis.describe_stream_summary(StreamName=five_shards)["StreamDescriptionSummary"][
        "StreamCreationTimestamp"
    ]
    resp = kinesis.list_shards(StreamName=five_shards, StreamCreationTimestamp=created)
    assert ids(resp) == [shard_id(i) for i in range(5)]


@pytest.mark.parametrize("filter_type", ["AT_LATEST", "AT_TRIM_HORIZON", "FROM_TRIM_HORIZON"])
def test_list_shards_filter_without_resharding_lists_every_shard(kinesis, five_shards, filter_type):
    resp = kinesis.list_shards(StreamName=five_shards, ShardFilter={"Type": filter_type})
    assert ids(resp) == [shard_id(i) for i in range(5)]


@pytest.mark.parametrize("filter_type", ["AT_TIMESTAMP", "FROM_TIMESTAMP"])
def test_list_shards_timestamp_filters_list_open_shards(kinesis, five_shards, filter_type):
    now = datetime.datetime.now(datetime.timezone.utc)
    resp = kinesis.list_shards(StreamName=five_shards, ShardFilter={"Type": filter_type, "Timestamp": now})
    assert ids(resp) == [shard_id(i) for i in range(5)]


def test_list_shards_after_shard_id_filter(kinesis, five_shards):
    resp = kinesis.list_shards(
        StreamName=five_shards, ShardFilter={"Type": "AFTER_SHARD_ID", "ShardId": shard_id(2)}
    )
    assert ids(resp) == [shard_id(3), shard_id(4)]


def test_list_shards_after_shard_id_filter_without_shard_id_is_rejected(kinesis, five_shards):
    # kinesis-mock: InvalidArgumentException "ShardId must be supplied in a ShardFilter with
    # a Type of AFTER_SHARD_ID"; the exact AWS wording is not documented.
    expect_error(
        lambda: kinesis.list_shards(StreamName=five_shards, ShardFilter={"Type": "AFTER_SHARD_ID"}),
        ("InvalidArgumentException", "ValidationException"),
    )


def test_list_shards_next_token_with_stream_name_is_invalid_argument(kinesis, five_shards):
    token = kinesis.list_shards(StreamName=five_shards, MaxResults=1)["NextToken"]
    # AWS: "NextToken and StreamName cannot be provided together." (kinesalite's recording)
    expect_error(
        lambda: kinesis.list_shards(StreamName=five_shards, NextToken=token),
        "InvalidArgumentException",
        contains="NextToken",
    )


def test_list_shards_max_results_out_of_range_is_validation_error(kinesis, five_shards):
    expect_error(
        lambda: kinesis.list_shards(StreamName=five_shards, MaxResults=0),
        "ValidationException",
        message=validation_message(0, "maxResults", "Member must have value greater than or equal to 1"),
    )
    expect_error(
        lambda: kinesis.list_shards(StreamName=five_shards, MaxResults=10001),
        "ValidationException",
        message=validation_message(10001, "maxResults", "Member must have value less than or equal to 10000"),
    )


def test_list_shards_unknown_stream_is_resource_not_found(kinesis, stream_name):
    expect_error(
        lambda: kinesis.list_shards(StreamName=stream_name),
        "ResourceNotFoundException",
        contains=stream_name,
    )
