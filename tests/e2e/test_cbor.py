"""awsJson over CBOR, built the way the Java SDK, KCL and KPL send it:
Content-Type application/x-amz-cbor-1.1, blobs as byte strings, timestamps as
tag 1 holding epoch milliseconds. Requests are SigV4-signed by botocore."""
import datetime
import json
import os
import time

import cbor2
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from e2e_util import ACCESS_KEY, REGION, SECRET_KEY

CBOR = "application/x-amz-cbor-1.1"


def cbor_decode(data):
    """A small CBOR decoder reading tag 1 as epoch *milliseconds*, as AWS
    writes it and the Java SDK reads it (RFC 8949 says seconds, which is
    why general-purpose decoders such as cbor2 cannot be used here)."""
    import struct

    def item(i):
        initial = data[i]
        major, info = initial >> 5, initial & 0x1F
        i += 1
        if major == 7:
            if info == 20:
                return False, i
            if info == 21:
                return True, i
            if info in (22, 23):
                return None, i
            if info == 25:
                return struct.unpack(">e", data[i:i + 2])[0], i + 2
            if info == 26:
                return struct.unpack(">f", data[i:i + 4])[0], i + 4
            if info == 27:
                return struct.unpack(">d", data[i:i + 8])[0], i + 8
            raise ValueError(f"simple value {info}")
        if info < 24:
            arg = info
        else:
            size = {24: 1, 25: 2, 26: 4, 27: 8}[info]
            arg = int.from_bytes(data[i:i + size], "big")
            i += size
        if major == 0:
            return arg, i
        if major == 1:
            return -1 - arg, i
        if major == 2:
            return bytes(data[i:i + arg]), i + arg
        if major == 3:
            return data[i:i + arg].decode(), i + arg
        if major == 4:
            out = []
            for _ in range(arg):
                v, i = item(i)
                out.append(v)
            return out, i
        if major == 5:
            out = {}
            for _ in range(arg):
                k, i = item(i)
                v, i = item(i)
                out[k] = v
            return out, i
        if major == 6:
            v, i = item(i)
            if arg == 1:
                return datetime.datetime.fromtimestamp(v / 1000, datetime.timezone.utc), i
            return v, i
        raise ValueError(f"major type {major}")

    value, end = item(0)
    assert end == len(data), "trailing bytes"
    return value


def call(endpoint, op, body):
    payload = cbor2.dumps(body)
    req = AWSRequest(
        method="POST",
        url=endpoint + "/",
        data=payload,
        headers={"Content-Type": CBOR, "X-Amz-Target": f"Kinesis_20131202.{op}"},
    )
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "kinesis", REGION).add_auth(req)
    resp = requests.post(endpoint + "/", data=payload, headers=dict(req.headers.items()), timeout=30)
    assert resp.headers["Content-Type"] == CBOR, resp.headers
    return resp.status_code, cbor_decode(resp.content) if resp.content else {}


def ok(endpoint, op, body):
    status, out = call(endpoint, op, body)
    assert status == 200, (op, out)
    return out


def test_cbor_round_trips_streams_records_and_timestamps(endpoint, stream_name):
    ok(endpoint, "CreateStream", {"StreamName": stream_name, "ShardCount": 1})
    desc = ok(endpoint, "DescribeStream", {"StreamName": stream_name})["StreamDescription"]
    created = desc["StreamCreationTimestamp"]
    assert isinstance(created, datetime.datetime), "tag 1 decodes to a datetime"
    assert abs(created.timestamp() - time.time()) < 60, "tag 1 holds epoch milliseconds, read as such"
    data = bytes(range(256))
    put = ok(endpoint, "PutRecord", {"StreamName": stream_name, "Data": data, "PartitionKey": "k"})
    assert put["ShardId"] == "shardId-000000000000"
    batch = ok(endpoint, "PutRecords", {"StreamName": stream_name, "Records": [{"Data": b"\x00\x01", "PartitionKey": "k"}]})
    assert batch["FailedRecordCount"] == 0
    it = ok(endpoint, "GetShardIterator", {
        "StreamName": stream_name, "ShardId": "shardId-000000000000", "ShardIteratorType": "TRIM_HORIZON"})["ShardIterator"]
    got = ok(endpoint, "GetRecords", {"ShardIterator": it})
    assert [r["Data"] for r in got["Records"]] == [data, b"\x00\x01"]
    assert got["Records"][0]["SequenceNumber"] == put["SequenceNumber"]
    assert isinstance(got["Records"][0]["ApproximateArrivalTimestamp"], datetime.datetime)
    # AT_TIMESTAMP with a tag-1 millisecond timestamp, as the Java SDK sends it.
    after_first = got["Records"][1]["ApproximateArrivalTimestamp"]
    millis = int(after_first.timestamp() * 1000)
    it = ok(endpoint, "GetShardIterator", {
        "StreamName": stream_name, "ShardId": "shardId-000000000000", "ShardIteratorType": "AT_TIMESTAMP",
        "Timestamp": cbor2.CBORTag(1, millis)})["ShardIterator"]
    got = ok(endpoint, "GetRecords", {"ShardIterator": it})
    assert [r["Data"] for r in got["Records"]] == [b"\x00\x01"]


def test_cbor_errors_carry_type_and_message(endpoint, stream_name):
    status, out = call(endpoint, "DescribeStream", {"StreamName": stream_name})
    assert status == 400
    assert out["__type"] == "ResourceNotFoundException"
    assert stream_name in out["message"]
    status, out = call(endpoint, "CreateStream", {"StreamName": "bad name", "ShardCount": 1})
    assert (status, out["__type"]) == (400, "ValidationException")


def event_stream_messages(raw):
    """(headers, payload) of each message of an event stream body."""
    import struct

    out, i = [], 0
    while i + 12 <= len(raw):
        total, headers_len = struct.unpack(">II", raw[i:i + 8])
        h, end, headers = i + 12, i + 12 + headers_len, {}
        while h < end:
            n = raw[h]
            name = raw[h + 1:h + 1 + n].decode()
            h += 1 + n + 1
            (vlen,) = struct.unpack(">H", raw[h:h + 2])
            headers[name] = raw[h + 2:h + 2 + vlen].decode()
            h += 2 + vlen
        out.append((headers, raw[end:i + total - 4]))
        i += total
    return out


def test_every_operation_round_trips_over_cbor(endpoint, make_name):
    """All 39 operations of the model (the 2026 Channel operations aside),
    sent and answered in CBOR."""
    name, other = make_name("cbor"), make_name("cbor-od")
    arn = f"arn:aws:kinesis:us-east-1:123456789012:stream/{name}"
    other_arn = f"arn:aws:kinesis:us-east-1:123456789012:stream/{other}"
    covered = []

    def op(operation, body):
        covered.append(operation)
        return ok(endpoint, operation, body)

    op("CreateStream", {"StreamName": name, "ShardCount": 2, "Tags": {"a": "1"}})
    op("CreateStream", {"StreamName": other, "StreamModeDetails": {"StreamMode": "ON_DEMAND"}})
    assert name in op("ListStreams", {})["StreamNames"]
    assert op("DescribeStream", {"StreamName": name})["StreamDescription"]["StreamName"] == name
    assert op("DescribeStreamSummary", {"StreamName": name})["StreamDescriptionSummary"]["OpenShardCount"] == 2
    assert len(op("ListShards", {"StreamName": name})["Shards"]) == 2
    assert op("DescribeLimits", {})["ShardLimit"] > 0
    op("AddTagsToStream", {"StreamName": name, "Tags": {"b": "2"}})
    assert len(op("ListTagsForStream", {"StreamName": name})["Tags"]) == 2
    op("RemoveTagsFromStream", {"StreamName": name, "TagKeys": ["b"]})
    op("TagResource", {"ResourceARN": arn, "Tags": {"c": "3"}})
    op("UntagResource", {"ResourceARN": arn, "TagKeys": ["c"]})
    assert op("ListTagsForResource", {"ResourceARN": arn})["Tags"] == [{"Key": "a", "Value": "1"}]
    op("IncreaseStreamRetentionPeriod", {"StreamName": name, "RetentionPeriodHours": 48})
    op("DecreaseStreamRetentionPeriod", {"StreamName": name, "RetentionPeriodHours": 24})
    assert op("EnableEnhancedMonitoring", {"StreamName": name, "ShardLevelMetrics": ["ALL"]})["DesiredShardLevelMetrics"]
    op("DisableEnhancedMonitoring", {"StreamName": name, "ShardLevelMetrics": ["ALL"]})
    op("StartStreamEncryption", {"StreamName": name, "EncryptionType": "KMS", "KeyId": "alias/aws/kinesis"})
    op("StopStreamEncryption", {"StreamName": name, "EncryptionType": "KMS", "KeyId": "alias/aws/kinesis"})
    op("UpdateMaxRecordSize", {"StreamARN": arn, "MaxRecordSizeInKiB": 2048})
    put = op("PutRecord", {"StreamName": name, "Data": b"\x00one", "PartitionKey": "k", "ExplicitHashKey": "0"})
    assert op("PutRecords", {"StreamName": name, "Records": [{"Data": b"two", "PartitionKey": "k", "ExplicitHashKey": "0"}]})[
        "FailedRecordCount"] == 0
    it = op("GetShardIterator", {"StreamName": name, "ShardId": "shardId-000000000000",
                                 "ShardIteratorType": "AT_SEQUENCE_NUMBER", "StartingSequenceNumber": put["SequenceNumber"]})
    assert [r["Data"] for r in op("GetRecords", {"ShardIterator": it["ShardIterator"]})["Records"]] == [b"\x00one", b"two"]
    policy = '{"Version": "2012-10-17", "Statement": []}'
    op("PutResourcePolicy", {"ResourceARN": arn, "Policy": policy})
    assert op("GetResourcePolicy", {"ResourceARN": arn})["Policy"] == policy
    op("DeleteResourcePolicy", {"ResourceARN": arn})
    consumer = op("RegisterStreamConsumer", {"StreamARN": arn, "ConsumerName": "c"})["Consumer"]
    assert isinstance(consumer["ConsumerCreationTimestamp"], datetime.datetime)
    assert op("DescribeStreamConsumer", {"ConsumerARN": consumer["ConsumerARN"]})["ConsumerDescription"]["ConsumerName"] == "c"
    assert len(op("ListStreamConsumers", {"StreamARN": arn})["Consumers"]) == 1

    # SubscribeToShard: an event stream whose payloads are CBOR too.
    covered.append("SubscribeToShard")
    payload = cbor2.dumps({"ConsumerARN": consumer["ConsumerARN"], "ShardId": "shardId-000000000000",
                           "StartingPosition": {"Type": "TRIM_HORIZON"}})
    req = AWSRequest(method="POST", url=endpoint + "/", data=payload,
                     headers={"Content-Type": CBOR, "X-Amz-Target": "Kinesis_20131202.SubscribeToShard"})
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "kinesis", REGION).add_auth(req)
    with requests.post(endpoint + "/", data=payload, headers=dict(req.headers.items()), stream=True, timeout=30) as resp:
        assert resp.status_code == 200
        assert resp.headers["Content-Type"] == "application/vnd.amazon.eventstream"
        raw = b""
        for chunk in resp.iter_content(chunk_size=None):
            raw += chunk
            messages = event_stream_messages(raw)
            if len(messages) >= 2:
                break
    first, second = messages[0], messages[1]
    assert first[0][":event-type"] == "initial-response"
    assert second[0][":event-type"] == "SubscribeToShardEvent" and second[0][":content-type"] == CBOR
    event = cbor_decode(second[1])
    assert [r["Data"] for r in event["Records"]] == [b"\x00one", b"two"]

    op("DeregisterStreamConsumer", {"ConsumerARN": consumer["ConsumerARN"]})
    op("SplitShard", {"StreamName": name, "ShardToSplit": "shardId-000000000000",
                      "NewStartingHashKey": str(2**126)})
    op("MergeShards", {"StreamName": name, "ShardToMerge": "shardId-000000000002",
                       "AdjacentShardToMerge": "shardId-000000000003"})
    assert op("UpdateShardCount", {"StreamName": name, "TargetShardCount": 3,
                                   "ScalingType": "UNIFORM_SCALING"})["TargetShardCount"] == 3
    op("UpdateStreamMode", {"StreamARN": arn, "StreamModeDetails": {"StreamMode": "ON_DEMAND"}})
    assert op("UpdateStreamWarmThroughput", {"StreamARN": other_arn, "WarmThroughputMiBps": 10})["WarmThroughput"]
    op("UpdateAccountSettings", {"MinimumThroughputBillingCommitment": {"Status": "ENABLED"}})
    assert op("DescribeAccountSettings", {})["MinimumThroughputBillingCommitment"]["Status"] == "ENABLED"
    op("DeleteStream", {"StreamName": other})
    op("DeleteStream", {"StreamName": name, "EnforceConsumerDeletion": True})

    model = os.path.join(os.path.dirname(__file__), "..", "..", "models", "kinesis-2013-12-02.json")
    with open(model) as f:
        operations = set(json.load(f)["operations"])
    assert operations - set(covered) == set(), f"not covered over CBOR: {sorted(operations - set(covered))}"
