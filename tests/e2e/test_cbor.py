"""awsJson over CBOR, built the way the Java SDK, KCL and KPL send it:
Content-Type application/x-amz-cbor-1.1, blobs as byte strings, timestamps as
tag 1 holding epoch milliseconds. Requests are SigV4-signed by botocore."""
import datetime
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
