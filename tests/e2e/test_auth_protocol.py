"""The wire front: SigV4 authentication and the awsJson1.1 protocol, driven with raw,
hand-signed HTTP requests (botocore's SigV4Auth + requests) as well as boto3.

HTTP statuses and messages: Kinesis answers authentication failures with HTTP 400
(AWS SDK reports: "The security token included in the request is invalid (Service:
AmazonKinesis; Status Code: 400; Error Code: UnrecognizedClientException"; "Signature
expired: ... status code: 400" from Kinesis clients); kinesalite records
MissingAuthenticationTokenException as 400 "Missing Authentication Token" for
x-amz-json-1.1 requests, and SerializationException / UnknownOperationException as 400.
"""

import datetime
import json
import re

from botocore.exceptions import ClientError

from e2e_util import (
    JSON_CT,
    assert_raw_error,
    create_stream,
    expect_error,
    make_client,
    raw_request,
)

BAD_SIGNATURE_PREFIX = "The request signature we calculated does not match the signature you provided."
NUMBER_RE = re.compile(r"^-?\d+(\.\d+)?$")


def stream_exists(kinesis, name):
    try:
        kinesis.describe_stream_summary(StreamName=name)
        return True
    except ClientError as e:
        assert e.response["Error"]["Code"] == "ResourceNotFoundException"
        return False


# --- authentication ---------------------------------------------------------------------


def test_signed_raw_request_succeeds_with_json_content_type_and_request_id(endpoint):
    resp = raw_request(endpoint, "ListStreams", {"Limit": 1})
    assert resp.status_code == 200, resp.text
    assert resp.headers["Content-Type"].split(";")[0] == JSON_CT
    assert resp.headers.get("x-amzn-RequestId")
    body = resp.json()
    assert isinstance(body["StreamNames"], list)
    assert isinstance(body["HasMoreStreams"], bool)


def test_unsigned_request_is_missing_authentication_token(endpoint):
    resp = raw_request(endpoint, "ListStreams", {}, sign=False)
    assert_raw_error(resp, "MissingAuthenticationTokenException", message="Missing Authentication Token")


def test_unknown_access_key_is_unrecognized_client(endpoint):
    resp = raw_request(endpoint, "ListStreams", {}, access_key="AKIDUNKNOWN000000000", secret_key="whatever")
    assert_raw_error(
        resp, "UnrecognizedClientException", message="The security token included in the request is invalid."
    )


def test_wrong_secret_is_invalid_signature(endpoint):
    resp = raw_request(endpoint, "ListStreams", {}, secret_key="not-the-secret")
    body = assert_raw_error(resp, "InvalidSignatureException")
    assert body["message"].startswith(BAD_SIGNATURE_PREFIX), body


def test_wrong_secret_through_boto3_is_invalid_signature(endpoint):
    client = make_client(endpoint, secret_key="not-the-secret")
    expect_error(lambda: client.list_streams(), "InvalidSignatureException", contains=BAD_SIGNATURE_PREFIX)


def test_unknown_key_through_boto3_is_unrecognized_client(endpoint):
    client = make_client(endpoint, access_key="nobody", secret_key="nothing")
    expect_error(
        lambda: client.list_streams(),
        "UnrecognizedClientException",
        message="The security token included in the request is invalid.",
    )


def test_clock_skewed_20_minutes_back_is_signature_expired(endpoint):
    resp = raw_request(endpoint, "ListStreams", {}, skew=-datetime.timedelta(minutes=20))
    body = assert_raw_error(resp, "InvalidSignatureException", contains="Signature expired")
    # AWS: "Signature expired: 20140325T143453Z is now earlier than 20140325T143751Z (20140325T145251Z - 15 min.)"
    assert re.search(r"Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z", body["message"]), body


def test_clock_skewed_20_minutes_ahead_is_rejected(endpoint):
    # AWS: "Signature not yet current: X is still later than Y (Z + 15 min.)"
    resp = raw_request(endpoint, "ListStreams", {}, skew=datetime.timedelta(minutes=20))
    assert_raw_error(resp, "InvalidSignatureException", contains="Signature not yet current")


def test_clock_skewed_two_minutes_is_accepted(endpoint):
    resp = raw_request(endpoint, "ListStreams", {}, skew=-datetime.timedelta(minutes=2))
    assert resp.status_code == 200, resp.text


def test_body_changed_after_signing_is_invalid_signature(endpoint, stream_name):
    import requests as rq
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    req = AWSRequest(
        method="POST",
        url=endpoint + "/",
        data=json.dumps({"StreamName": stream_name, "ShardCount": 1}).encode(),
        headers={"Content-Type": JSON_CT, "X-Amz-Target": "Kinesis_20131202.CreateStream"},
    )
    SigV4Auth(Credentials("test", "test"), "kinesis", "us-east-1").add_auth(req)
    forged = json.dumps({"StreamName": stream_name, "ShardCount": 2}).encode()
    resp = rq.post(req.url, data=forged, headers=dict(req.headers.items()), timeout=30)
    assert_raw_error(resp, "InvalidSignatureException")


def test_failed_authentication_executes_nothing(endpoint, kinesis, stream_name):
    body = {"StreamName": stream_name, "ShardCount": 1}
    for kw in (
        {"sign": False},
        {"secret_key": "wrong"},
        {"access_key": "nobody"},
        {"skew": -datetime.timedelta(minutes=20)},
    ):
        resp = raw_request(endpoint, "CreateStream", body, **kw)
        assert resp.status_code == 400, (kw, resp.text)
    assert not stream_exists(kinesis, stream_name)


# --- protocol ---------------------------------------------------------------------------


def test_malformed_json_is_serialization_exception(endpoint):
    resp = raw_request(endpoint, "ListStreams", b'{"Limit": 1,,')
    assert_raw_error(resp, "SerializationException")


def test_wrong_member_type_is_serialization_exception(endpoint, stream_name):
    resp = raw_request(endpoint, "CreateStream", {"StreamName": stream_name, "ShardCount": "three"})
    assert_raw_error(resp, "SerializationException")
    resp = raw_request(endpoint, "CreateStream", {"StreamName": 12, "ShardCount": 1})
    assert_raw_error(resp, "SerializationException")


def test_unknown_target_is_unknown_operation(endpoint):
    resp = raw_request(endpoint, "NoSuchOperation", {})
    assert_raw_error(resp, "UnknownOperationException")


def test_target_of_another_service_is_unknown_operation(endpoint):
    resp = raw_request(endpoint, "ListStreams", {}, target="DynamoDB_20120810.ListTables")
    assert_raw_error(resp, "UnknownOperationException")


def test_validation_error_raw_shape(endpoint):
    resp = raw_request(endpoint, "CreateStream", {"StreamName": "bad name!", "ShardCount": 1})
    body = assert_raw_error(resp, "ValidationException")
    assert body["message"] == (
        "1 validation error detected: Value 'bad name!' at 'streamName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
    )


def test_missing_required_member_is_validation_error(endpoint):
    resp = raw_request(endpoint, "GetRecords", {})
    body = assert_raw_error(resp, "ValidationException")
    assert body["message"] == (
        "1 validation error detected: Value null at 'shardIterator' failed to satisfy constraint: "
        "Member must not be null"
    )


def test_not_found_error_raw_shape(endpoint, stream_name):
    resp = raw_request(endpoint, "DescribeStreamSummary", {"StreamName": stream_name})
    assert_raw_error(
        resp,
        "ResourceNotFoundException",
        message=f"Stream {stream_name} under account 123456789012 not found.",
    )


def timestamp_literals(text, field):
    return re.findall(r'"%s"\s*:\s*([^,}\]\s]+)' % field, text)


def test_timestamps_are_epoch_seconds_never_scientific(endpoint, kinesis, stream_name):
    create_stream(kinesis, stream_name)
    kinesis.put_record(StreamName=stream_name, Data=b"x", PartitionKey="k")
    now = datetime.datetime.now(datetime.timezone.utc).timestamp()

    literals = []
    r = raw_request(endpoint, "DescribeStreamSummary", {"StreamName": stream_name})
    assert r.status_code == 200, r.text
    literals += timestamp_literals(r.text, "StreamCreationTimestamp")
    r = raw_request(endpoint, "DescribeStream", {"StreamName": stream_name})
    literals += timestamp_literals(r.text, "StreamCreationTimestamp")
    r = raw_request(endpoint, "ListStreams", {"Limit": 10000})
    literals += timestamp_literals(r.text, "StreamCreationTimestamp")
    it = raw_request(
        endpoint,
        "GetShardIterator",
        {"StreamName": stream_name, "ShardId": "shardId-000000000000", "ShardIteratorType": "TRIM_HORIZON"},
    ).json()["ShardIterator"]
    r = raw_request(endpoint, "GetRecords", {"ShardIterator": it})
    assert r.status_code == 200, r.text
    arrivals = timestamp_literals(r.text, "ApproximateArrivalTimestamp")
    assert len(arrivals) == 1
    literals += arrivals

    assert len(literals) >= 4
    for lit in literals:
        assert NUMBER_RE.match(lit), f"timestamp literal {lit!r} is not plain epoch seconds"
        assert abs(float(lit) - now) < 3600, lit
