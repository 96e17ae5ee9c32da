"""Data plane: PutRecord, PutRecords, GetShardIterator, GetRecords."""

import datetime
import os
import time

import pytest

from e2e_util import (
    HASH_MAX,
    ONE_MIB,
    create_stream,
    expect_error,
    list_all_shards,
    md5_hash_key,
    read_from_iterator,
    read_shard,
    shard_for_hash,
    shard_id,
    validation_message,
)


def iterator(client, name, shard, kind, **kw):
    return client.get_shard_iterator(StreamName=name, ShardId=shard, ShardIteratorType=kind, **kw)["ShardIterator"]


# --- PutRecord ------------------------------------------------------------------------


def test_put_record_shard_is_md5_of_partition_key(kinesis, stream_name):
    create_stream(kinesis, stream_name, shards=4)
    shards = list_all_shards(kinesis, stream_name)
    seen = set()
    for i in range(48):
        key = f"partition-{i}-\u00e9"  # non-ASCII: the hash is over the UTF-8 bytes
        r = kinesis.put_record(StreamName=stream_name, Data=b"x", PartitionKey=key)
        assert r["ShardId"] == shard_for_hash(shards, md5_hash_key(key)), key
        seen.add(r["ShardId"])
    assert seen == {shard_id(i) for i in range(4)}


def test_put_record_explicit_hash_key_overrides_partition_key(kinesis, stream_name):
    create_stream(kinesis, stream_name, shards=4)
    shards = list_all_shards(kinesis, stream_name)
    for s in shards:
        for edge in (s["HashKeyRange"]["StartingHashKey"], s["HashKeyRange"]["EndingHashKey"]):
            r = kinesis.put_record(StreamName=stream_name, Data=b"x", PartitionKey="same-key", ExplicitHashKey=edge)
            assert r["ShardId"] == s["ShardId"]
    r = kinesis.put_record(StreamName=stream_name, Data=b"x", PartitionKey="k", ExplicitHashKey=str(HASH_MAX))
    assert r["ShardId"] == shard_id(3)
    r = kinesis.put_record(StreamName=stream_name, Data=b"x", PartitionKey="k", ExplicitHashKey="0")
    assert r["ShardId"] == shard_id(0)


def test_put_record_explicit_hash_key_of_2_pow_128_is_invalid_argument(kinesis, stream_name):
    create_stream(kinesis, stream_name)
    # matches the model's pattern (39 digits) but is out of range; kinesalite records
    # "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. ..."
    expect_error(
        lambda: kinesis.put_record(
            StreamName=stream_name, Data=b"x", PartitionKey="k", ExplicitHashKey=str(2**128)
        ),
        "InvalidArgumentException",
        contains="ExplicitHashKey",
    )


def test_put_record_explicit_hash_key_not_a_number_is_validation_error(kinesis, stream_name):
    create_stream(kinesis, stream_name)
    expect_error(
        lambda: kinesis.put_record(StreamName=stream_name, Data=b"x", PartitionKey="k", ExplicitHashKey="12ab"),
        "ValidationException",
        message=validation_message(
            "12ab", "explicitHashKey", "Member must satisfy regular expression pattern: 0|([1-9]\\d{0,38})"
        ),
    )


def test_put_record_sequence_numbers_are_decimal_and_increase_per_shard(kinesis, stream_name):
    create_stream(kinesis, stream_name, shards=2)
    last = {}
    for i in range(30):
        r = kinesis.put_record(StreamName=stream_name, Data=str(i).encode(), PartitionKey=f"k{i % 5}")
        seq = r["SequenceNumber"]
        assert seq.isdigit() and seq == str(int(seq)), seq
        if r["ShardId"] in last:
            assert int(seq) > last[r["ShardId"]]
        last[r["ShardId"]] = int(seq)


def test_put_record_sequence_number_for_ordering_is_accepted(kinesis, stream_name):
    create_stream(kinesis, stream_name, shards=1)
    first = kinesis.put_record(StreamName=stream_name, Data=b"a", PartitionKey="k")["SequenceNumber"]
    second = kinesis.put_record(
        StreamName=stream_name, Data=b"b", PartitionKey="k", SequenceNumberForOrdering=first
    )["SequenceNumber"]
    assert int(second) > int(first)
    third = kinesis.put_record(
        StreamName=stream_name, Data=b"c", PartitionKey="k", SequenceNumberForOrdering=second
    )["SequenceNumber"]
    assert int(third) > int(second)
    got = read_shard(kinesis, stream_name, shard_id(0))
    assert [r["Data"] for r in got] == [b"a", b"b", b"c"]


def test_put_record_response_has_encryption_type_none(kinesis, stream_name):
    create_stream(kinesis, stream_name)
    r = kinesis.put_record(StreamName=stream_name, Data=b"x", PartitionKey="k")
    assert r.get("EncryptionType", "NONE") == "NONE"
    assert r["ShardId"] == shard_id(0)


def test_put_record_of_exactly_one_mib_including_key_is_accepted_and_read_back(kinesis, stream_name):
    create_stream(kinesis, stream_name)
    key = "k" * 256
    data = os.urandom(ONE_MIB - len(key))
    r = kinesis.put_record(StreamName=stream_name, Data=data, PartitionKey=key)
    got = read_shard(kinesis, stream_name, shard_id(0))
    assert len(got) == 1
    assert got[0]["Data"] == data
    assert got[0]["PartitionKey"] == key
    assert got[0]["SequenceNumber"] == r["SequenceNumber"]


def test_put_record_over_one_mib_counting_key_is_rejected(kinesis, stream_name):
    # The record size limit applies to partition key + data (API reference). The data alone
    # is within the model's blob limit, so the code is the service's choice: AWS's is not
    # documented (InvalidArgumentException or ValidationException are both accepted).
    create_stream(kinesis, stream_name)
    expect_error(
        lambda: kinesis.put_record(StreamName=stream_name, Data=b"\0" * (ONE_MIB - 3), PartitionKey="abcd"),
        ("InvalidArgumentException", "ValidationException"),
    )
    expect_error(
        lambda: kinesis.put_record(StreamName=stream_name, Data=b"\0" * (ONE_MIB + 1), PartitionKey="k"),
        ("InvalidArgumentException", "ValidationException"),
    )
    assert read_shard(kinesis, stream_name, shard_id(0)) == []


def test_put_record_partition_key_of_256_chars_is_accepted(kinesis, stream_name):
    create_stream(kinesis, stream_name)
    kinesis.put_record(StreamName=stream_name, Data=b"x", PartitionKey="p" * 256)


def test_put_record_partition_key_of_257_chars_is_validation_error(kinesis, stream_name):
    create_stream(kinesis, stream_name)
    key = "p" * 257
    expect_error(
        lambda: kinesis.put_record(StreamName=stream_name, Data=b"x", PartitionKey=key),
        "ValidationException",
        message=validation_message(key, "partitionKey", "Member must have length less than or equal to 256"),
    )


def test_put_record_empty_partition_key_is_validation_error(kinesis, stream_name):
    create_stream(kinesis, stream_name)
    expect_error(
        lambda: kinesis.put_record(StreamName=stream_name, Data=b"x", PartitionKey=""),
        "ValidationException",
        message=validation_message("", "partitionKey", "Member must have length greater than or equal to 1"),
    )


def test_put_record_unknown_stream_is_resource_not_found(kinesis, stream_name):
    expect_error(
        lambda: kinesis.put_record(StreamName=stream_name, Data=b"x", PartitionKey="k"),
        "ResourceNotFoundException",
        contains=stream_name,
    )


# --- PutRecords -----------------------------------------------------------------------


def test_put_records_500_results_in_request_order(kinesis, stream_name):
    create_stream(kinesis, stream_name, shards=3)
    shards = list_all_shards(kinesis, stream_name)
    records = [{"Data": f"record-{i}".encode(), "PartitionKey": f"pk-{i}"} for i in range(500)]
    resp = kinesis.put_records(StreamName=stream_name, Records=records)
    assert resp["FailedRecordCount"] == 0
    assert len(resp["Records"]) == 500
    for rec, res in zip(records, resp["Records"]):
        assert "ErrorCode" not in res
        assert res["ShardId"] == shard_for_hash(shards, md5_hash_key(rec["PartitionKey"]))
        assert res["SequenceNumber"].isdigit()
    # each result's sequence number is the record at that position of the request
    by_seq = {}
    for s in shards:
        for r in read_shard(kinesis, stream_name, s["ShardId"]):
            by_seq[(s["ShardId"], r["SequenceNumber"])] = r["Data"]
    assert len(by_seq) == 500
    for rec, res in zip(records, resp["Records"]):
        assert by_seq[(res["ShardId"], res["SequenceNumber"])] == rec["Data"]


def test_put_records_explicit_hash_keys_route_each_record(kinesis, stream_name):
    create_stream(kinesis, stream_name, shards=2)
    records = [
        {"Data": b"a", "PartitionKey": "same", "ExplicitHashKey": "0"},
        {"Data": b"b", "PartitionKey": "same", "ExplicitHashKey": str(HASH_MAX)},
        {"Data": b"c", "PartitionKey": "same", "ExplicitHashKey": str(2**127)},
    ]
    resp = kinesis.put_records(StreamName=stream_name, Records=records)
    assert [r["ShardId"] for r in resp["Records"]] == [shard_id(0), shard_id(1), shard_id(1)]


def test_put_records_501_is_validation_error(kinesis, stream_name):
    create_stream(kinesis, stream_name)
    records = [{"Data": b"x", "PartitionKey": "k"} for _ in range(501)]
    expect_error(
        lambda: kinesis.put_records(StreamName=stream_name, Records=records),
        "ValidationException",
        contains=[
            "1 validation error detected: ",
            "at 'records' failed to satisfy constraint: Member must have length less than or equal to 500",
        ],
    )
    assert read_shard(kinesis, stream_name, shard_id(0)) == []


def test_put_records_empty_is_validation_error(kinesis, stream_name):
    create_stream(kinesis, stream_name)
    expect_error(
        lambda: kinesis.put_records(StreamName=stream_name, Records=[]),
        "ValidationException",
        contains="at 'records' failed to satisfy constraint: Member must have length greater than or equal to 1",
    )


def spread_over_shards(kinesis, name, datas):
    """One record per shard (each shard takes 1 MiB/s), by explicit hash keys."""
    shards = kinesis.list_shards(StreamName=name)["Shards"]
    return [
        {"Data": d, "PartitionKey": "k", "ExplicitHashKey": shards[i]["HashKeyRange"]["StartingHashKey"]}
        for i, d in enumerate(datas)
    ]


def test_put_records_under_five_mib_total_is_accepted(kinesis, stream_name):
    create_stream(kinesis, stream_name, shards=4)
    records = spread_over_shards(kinesis, stream_name, [os.urandom(ONE_MIB - 1) for _ in range(4)])
    resp = kinesis.put_records(StreamName=stream_name, Records=records)
    assert resp["FailedRecordCount"] == 0
    for i, record in enumerate(records):
        got = read_shard(kinesis, stream_name, shard_id(i))
        assert [r["Data"] for r in got] == [record["Data"]]


def test_put_records_between_five_and_ten_mib_total_is_accepted(kinesis, stream_name):
    # The current API reference allows 10 MiB per request (it was 5 MiB).
    create_stream(kinesis, stream_name, shards=8)
    records = spread_over_shards(kinesis, stream_name, [b"\x05" * (ONE_MIB - 1) for _ in range(8)])
    resp = kinesis.put_records(StreamName=stream_name, Records=records)
    assert resp["FailedRecordCount"] == 0
    assert sorted(r["ShardId"] for r in resp["Records"]) == [shard_id(i) for i in range(8)]


def test_put_records_over_ten_mib_total_is_invalid_argument(kinesis, stream_name):
    # The request limit is 5 MiB in older API docs and 10 MiB in the current model's docs
    # (botocore 1.43: "up to a limit of 10 MiB for the entire request, including partition
    # keys"); 11 records of (nearly) 1 MiB each exceed both, while each record is valid.
    create_stream(kinesis, stream_name)
    records = [{"Data": b"\x07" * (ONE_MIB - 1), "PartitionKey": "k"} for _ in range(11)]
    expect_error(
        lambda: kinesis.put_records(StreamName=stream_name, Records=records),
        "InvalidArgumentException",
    )
    assert read_shard(kinesis, stream_name, shard_id(0)) == []


def test_put_records_unknown_stream_is_resource_not_found(kinesis, stream_name):
    expect_error(
        lambda: kinesis.put_records(StreamName=stream_name, Records=[{"Data": b"x", "PartitionKey": "k"}]),
        "ResourceNotFoundException",
        contains=stream_name,
    )


# --- GetShardIterator -----------------------------------------------------------------


@pytest.fixture
def filled(kinesis, stream_name):
    """Two shards; shard 0 holds five records put in two bursts 300 ms apart, shard 1 one."""
    create_stream(kinesis, stream_name, shards=2)
    seqs = []
    for i in range(5):
        if i == 3:
            time.sleep(0.3)
        r = kinesis.put_record(StreamName=stream_name, Data=f"r{i}".encode(), PartitionKey="p", ExplicitHashKey="0")
        assert r["ShardId"] == shard_id(0)
        seqs.append(r["SequenceNumber"])
    other = kinesis.put_record(StreamName=stream_name, Data=b"other", PartitionKey="p", ExplicitHashKey=str(HASH_MAX))
    assert other["ShardId"] == shard_id(1)
    return stream_name, seqs, other["SequenceNumber"]


def datas(records):
    return [r["Data"] for r in records]


def test_get_shard_iterator_trim_horizon_reads_from_oldest(kinesis, filled):
    name, seqs, _ = filled
    got = read_shard(kinesis, name, shard_id(0), "TRIM_HORIZON")
    assert datas(got) == [b"r0", b"r1", b"r2", b"r3", b"r4"]
    assert [r["SequenceNumber"] for r in got] == seqs


def test_get_shard_iterator_at_sequence_number(kinesis, filled):
    name, seqs, _ = filled
    got = read_shard(kinesis, name, shard_id(0), "AT_SEQUENCE_NUMBER", StartingSequenceNumber=seqs[2])
    assert datas(got) == [b"r2", b"r3", b"r4"]


def test_get_shard_iterator_after_sequence_number(kinesis, filled):
    name, seqs, _ = filled
    got = read_shard(kinesis, name, shard_id(0), "AFTER_SEQUENCE_NUMBER", StartingSequenceNumber=seqs[2])
    assert datas(got) == [b"r3", b"r4"]
    got = read_shard(kinesis, name, shard_id(0), "AFTER_SEQUENCE_NUMBER", StartingSequenceNumber=seqs[4])
    assert got == []


def test_get_shard_iterator_latest_sees_only_new_records(kinesis, filled):
    name, _, _ = filled
    it = iterator(kinesis, name, shard_id(0), "LATEST")
    resp = kinesis.get_records(ShardIterator=it)
    assert resp["Records"] == []
    assert resp["MillisBehindLatest"] == 0
    kinesis.put_record(StreamName=name, Data=b"new", PartitionKey="p", ExplicitHashKey="0")
    got = read_from_iterator(kinesis, resp["NextShardIterator"])
    assert datas(got) == [b"new"]


def test_get_shard_iterator_at_timestamp(kinesis, stream_name):
    # botocore sends AT_TIMESTAMP in whole seconds (its default timestamp
    # precision), as AWS receives it too; so the bursts are over a second apart.
    create_stream(kinesis, stream_name, shards=1)
    for i in range(3):
        kinesis.put_record(StreamName=stream_name, Data=f"r{i}".encode(), PartitionKey="p")
    time.sleep(1.1)
    boundary = datetime.datetime.now(datetime.timezone.utc)
    for i in range(3, 5):
        kinesis.put_record(StreamName=stream_name, Data=f"r{i}".encode(), PartitionKey="p")
    got = read_shard(kinesis, stream_name, shard_id(0), "AT_TIMESTAMP", Timestamp=boundary)
    assert datas(got) == [b"r3", b"r4"]
    # older than the trim horizon: reads from the oldest record
    got = read_shard(
        kinesis, stream_name, shard_id(0), "AT_TIMESTAMP",
        Timestamp=datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc),
    )
    assert datas(got) == [b"r0", b"r1", b"r2", b"r3", b"r4"]
    # after the newest record: nothing yet
    time.sleep(1.1)
    got = read_shard(kinesis, stream_name, shard_id(0), "AT_TIMESTAMP", Timestamp=datetime.datetime.now(datetime.timezone.utc))
    assert got == []


def test_get_shard_iterator_at_timestamp_without_timestamp_is_invalid_argument(kinesis, filled):
    name, _, _ = filled
    expect_error(
        lambda: iterator(kinesis, name, shard_id(0), "AT_TIMESTAMP"),
        "InvalidArgumentException",
    )


def test_get_shard_iterator_sequence_number_of_other_shard_is_invalid_argument(kinesis, filled):
    name, _, other_seq = filled
    # kinesalite records "Invalid StartingSequenceNumber. It encodes shardId-000000000001,
    # while it was used in a call to a shard with shardId-000000000000"
    for kind in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"):
        expect_error(
            lambda: iterator(kinesis, name, shard_id(0), kind, StartingSequenceNumber=other_seq),
            "InvalidArgumentException",
            contains="StartingSequenceNumber",
        )


@pytest.mark.parametrize("kind", ["AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"])
def test_get_shard_iterator_missing_sequence_number_is_invalid_argument(kinesis, filled, kind):
    name, _, _ = filled
    expect_error(
        lambda: iterator(kinesis, name, shard_id(0), kind),
        "InvalidArgumentException",
        contains="StartingSequenceNumber",
    )


def test_get_shard_iterator_unknown_shard_is_resource_not_found(kinesis, filled):
    name, _, _ = filled
    expect_error(
        lambda: iterator(kinesis, name, shard_id(9), "TRIM_HORIZON"),
        "ResourceNotFoundException",
        contains=shard_id(9),
    )


def test_get_shard_iterator_unknown_stream_is_resource_not_found(kinesis, stream_name):
    expect_error(
        lambda: iterator(kinesis, stream_name, shard_id(0), "TRIM_HORIZON"),
        "ResourceNotFoundException",
        contains=stream_name,
    )


def test_get_shard_iterator_bad_type_is_validation_error(kinesis, filled):
    name, _, _ = filled
    expect_error(
        lambda: iterator(kinesis, name, shard_id(0), "FROM_THE_TOP"),
        "ValidationException",
        contains=[
            "1 validation error detected: Value 'FROM_THE_TOP' at 'shardIteratorType' failed to satisfy constraint: ",
            "Member must satisfy enum value set: [",
        ],
    )


# --- GetRecords -----------------------------------------------------------------------


def test_get_records_pages_every_record_once_in_order_byte_identical(kinesis, stream_name):
    create_stream(kinesis, stream_name, shards=1)
    payloads = [b"\x00", b"\x00\x00\xff\x00", bytes(range(256)), os.urandom(1000), b"plain text", b"\xff" * 3]
    payloads += [os.urandom(i * 37 % 700 + 1) + b"\x00" for i in range(44)]
    # put in batches and singly, so both paths are read back
    kinesis.put_records(
        StreamName=stream_name, Records=[{"Data": p, "PartitionKey": f"k{i}"} for i, p in enumerate(payloads[:30])]
    )
    for i, p in enumerate(payloads[30:], start=30):
        kinesis.put_record(StreamName=stream_name, Data=p, PartitionKey=f"k{i}")

    it = iterator(kinesis, stream_name, shard_id(0), "TRIM_HORIZON")
    got, calls = [], 0
    while True:
        time.sleep(0.2)  # a shard serves 5 GetRecords calls per second
        resp = kinesis.get_records(ShardIterator=it, Limit=7)
        calls += 1
        assert len(resp["Records"]) <= 7
        got.extend(resp["Records"])
        it = resp["NextShardIterator"]
        if not resp["Records"]:
            break
    assert calls >= 8
    assert [r["Data"] for r in got] == payloads
    assert [r["PartitionKey"] for r in got] == [f"k{i}" for i in range(len(payloads))]
    seqs = [int(r["SequenceNumber"]) for r in got]
    assert seqs == sorted(set(seqs))


def test_get_records_at_tip_reports_zero_millis_behind_and_arrival_time(kinesis, stream_name):
    create_stream(kinesis, stream_name)
    before = datetime.datetime.now(datetime.timezone.utc)
    kinesis.put_record(StreamName=stream_name, Data=b"x", PartitionKey="k")
    resp = kinesis.get_records(ShardIterator=iterator(kinesis, stream_name, shard_id(0), "TRIM_HORIZON"))
    assert len(resp["Records"]) == 1
    rec = resp["Records"][0]
    arrival = rec["ApproximateArrivalTimestamp"]
    assert isinstance(arrival, datetime.datetime)
    assert before - datetime.timedelta(seconds=5) <= arrival <= datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=5)
    assert resp["MillisBehindLatest"] == 0
    assert resp["NextShardIterator"]
    assert "ChildShards" not in resp or resp["ChildShards"] == []


def test_get_records_empty_shard_returns_no_records_and_next_iterator(kinesis, stream_name):
    create_stream(kinesis, stream_name)
    resp = kinesis.get_records(ShardIterator=iterator(kinesis, stream_name, shard_id(0), "TRIM_HORIZON"))
    assert resp["Records"] == []
    assert resp["NextShardIterator"]
    assert resp["MillisBehindLatest"] == 0


def test_get_records_limit_bounds_are_validation_errors(kinesis, stream_name):
    create_stream(kinesis, stream_name)
    it = iterator(kinesis, stream_name, shard_id(0), "TRIM_HORIZON")
    expect_error(
        lambda: kinesis.get_records(ShardIterator=it, Limit=0),
        "ValidationException",
        message=validation_message(0, "limit", "Member must have value greater than or equal to 1"),
    )
    # The model caps Limit at 10000, so AWS's generic validation answers (the operation
    # docs say InvalidArgumentException for > 10,000; the model constraint comes first).
    expect_error(
        lambda: kinesis.get_records(ShardIterator=it, Limit=10001),
        "ValidationException",
        message=validation_message(10001, "limit", "Member must have value less than or equal to 10000"),
    )
    assert kinesis.get_records(ShardIterator=it, Limit=1)["Records"] == []
    assert kinesis.get_records(ShardIterator=it, Limit=10000)["Records"] == []


def test_get_records_limit_caps_records_returned(kinesis, stream_name):
    create_stream(kinesis, stream_name)
    kinesis.put_records(StreamName=stream_name, Records=[{"Data": b"x", "PartitionKey": "k"} for _ in range(20)])
    resp = kinesis.get_records(ShardIterator=iterator(kinesis, stream_name, shard_id(0), "TRIM_HORIZON"), Limit=1)
    assert len(resp["Records"]) == 1
    assert resp["MillisBehindLatest"] >= 0


def test_get_records_malformed_iterator_is_invalid_argument(kinesis):
    expect_error(
        lambda: kinesis.get_records(ShardIterator="this-is-not-an-iterator"),
        "InvalidArgumentException",
    )


def test_get_records_tampered_iterator_is_invalid_argument(kinesis, stream_name):
    create_stream(kinesis, stream_name)
    it = iterator(kinesis, stream_name, shard_id(0), "TRIM_HORIZON")
    mid = len(it) // 2
    tampered = it[:mid] + ("A" if it[mid] != "A" else "B") + it[mid + 1 :]
    expect_error(lambda: kinesis.get_records(ShardIterator=tampered), "InvalidArgumentException")


# Iterator expiry (5 minutes) is checked with an injected clock in
# crates/kinesis/tests/service.rs (iterators_expire_after_five_minutes_and_cannot_be_forged).
