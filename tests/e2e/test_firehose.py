"""Firehose control plane over awsJson 1.1 (Firehose_20150804) with boto3: delivery
streams (DirectPut and Kinesis source, every destination kind), the exact ExtendedS3
round trip the Terraform AWS provider relies on, UpdateDestination version ids, tags,
server-side encryption settings, AWS-shaped errors and durability across a restart."""
import datetime
import time
import uuid

import boto3
import botocore.config
import pytest

from e2e_util import ACCESS_KEY, ACCOUNT, REGION, SECRET_KEY, expect_error

ROLE = f"arn:aws:iam::{ACCOUNT}:role/firehose-e2e"
BUCKET = "arn:aws:s3:::firehose-e2e-bucket"
DESTINATION_ID = "destinationId-000000000001"
ACTIVE_TIMEOUT_S = 10.0
# Margin under the server's 1 s CREATING period within which CREATING is certain.
CREATING_WINDOW_S = 0.8


def firehose_client(endpoint):
    return boto3.client(
        "firehose",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=botocore.config.Config(
            retries={"total_max_attempts": 1, "mode": "standard"},
            parameter_validation=False,  # the server's own validation is under test
        ),
    )


@pytest.fixture(scope="module")
def fh(endpoint):
    return firehose_client(endpoint)


@pytest.fixture
def name():
    return "e2e-fh-" + uuid.uuid4().hex[:12]


def arn_of(stream_name):
    return f"arn:aws:firehose:{REGION}:{ACCOUNT}:deliverystream/{stream_name}"


def not_found(stream_name):
    return f"Firehose {stream_name} under account {ACCOUNT} not found."


def describe(fh, stream_name):
    return fh.describe_delivery_stream(DeliveryStreamName=stream_name)["DeliveryStreamDescription"]


def wait_active(fh, stream_name, timeout=ACTIVE_TIMEOUT_S):
    deadline = time.monotonic() + timeout
    status = None
    while time.monotonic() < deadline:
        status = describe(fh, stream_name)["DeliveryStreamStatus"]
        if status == "ACTIVE":
            return
        assert status == "CREATING", status
        time.sleep(0.05)
    raise AssertionError(f"{stream_name} still {status} after {timeout}s")


def kinesis_source(stream="s"):
    return {"KinesisStreamARN": f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/{stream}", "RoleARN": ROLE}


def s3_config(**extra):
    return {"RoleARN": ROLE, "BucketARN": BUCKET, **extra}


def create_active(fh, stream_name, **kw):
    if not any(k.endswith("DestinationConfiguration") for k in kw):
        kw["ExtendedS3DestinationConfiguration"] = s3_config()
    fh.create_delivery_stream(DeliveryStreamName=stream_name, **kw)
    wait_active(fh, stream_name)


def terraform_extended_s3():
    """What the Terraform AWS provider sends for a plain extended_s3_configuration block."""
    return {
        "RoleARN": ROLE,
        "BucketARN": BUCKET,
        "BufferingHints": {"IntervalInSeconds": 300, "SizeInMBs": 5},
        "CompressionFormat": "UNCOMPRESSED",
        "CustomTimeZone": "UTC",
        "DataFormatConversionConfiguration": {"Enabled": False},
        "EncryptionConfiguration": {"NoEncryptionConfig": "NoEncryption"},
        "FileExtension": "",
        "Prefix": "",
        "ErrorOutputPrefix": "errors/",
        "ProcessingConfiguration": {"Enabled": False, "Processors": []},
        "CloudWatchLoggingOptions": {"Enabled": False, "LogGroupName": "", "LogStreamName": ""},
        "S3BackupMode": "Disabled",
    }


# --- create / describe ------------------------------------------------------------------


def test_extended_s3_round_trips_exactly_with_terraform_defaults(fh, name):
    config = terraform_extended_s3()
    before = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=5)
    out = fh.create_delivery_stream(
        DeliveryStreamName=name, DeliveryStreamType="DirectPut", ExtendedS3DestinationConfiguration=config
    )
    assert out["DeliveryStreamARN"] == arn_of(name)
    wait_active(fh, name)
    d = describe(fh, name)
    assert d["DeliveryStreamName"] == name
    assert d["DeliveryStreamARN"] == arn_of(name)
    assert d["DeliveryStreamStatus"] == "ACTIVE"
    assert d["DeliveryStreamType"] == "DirectPut"
    assert d["VersionId"] == "1"
    assert before <= d["CreateTimestamp"] <= datetime.datetime.now(datetime.timezone.utc)
    assert d["LastUpdateTimestamp"] == d["CreateTimestamp"]
    assert d["DeliveryStreamEncryptionConfiguration"] == {"Status": "DISABLED"}
    assert d["HasMoreDestinations"] is False
    assert "Source" not in d
    assert len(d["Destinations"]) == 1
    dest = d["Destinations"][0]
    assert set(dest) == {"DestinationId", "S3DestinationDescription", "ExtendedS3DestinationDescription"}
    assert dest["DestinationId"] == DESTINATION_ID
    assert dest["ExtendedS3DestinationDescription"] == config
    assert dest["S3DestinationDescription"] == {
        "RoleARN": ROLE,
        "BucketARN": BUCKET,
        "Prefix": "",
        "ErrorOutputPrefix": "errors/",
        "BufferingHints": {"IntervalInSeconds": 300, "SizeInMBs": 5},
        "CompressionFormat": "UNCOMPRESSED",
        "EncryptionConfiguration": {"NoEncryptionConfig": "NoEncryption"},
        "CloudWatchLoggingOptions": {"Enabled": False, "LogGroupName": "", "LogStreamName": ""},
    }


def test_minimal_s3_destination_gets_aws_defaults(fh, name):
    create_active(fh, name, S3DestinationConfiguration=s3_config())
    dest = describe(fh, name)["Destinations"][0]
    defaults = {
        "RoleARN": ROLE,
        "BucketARN": BUCKET,
        "BufferingHints": {"SizeInMBs": 5, "IntervalInSeconds": 300},
        "CompressionFormat": "UNCOMPRESSED",
        "EncryptionConfiguration": {"NoEncryptionConfig": "NoEncryption"},
        "CloudWatchLoggingOptions": {"Enabled": False},
    }
    assert dest["S3DestinationDescription"] == defaults
    assert dest["ExtendedS3DestinationDescription"] == {**defaults, "S3BackupMode": "Disabled"}


def test_new_stream_is_creating_then_active_and_delete_removes_it(fh, name):
    started = time.monotonic()
    fh.create_delivery_stream(DeliveryStreamName=name, ExtendedS3DestinationConfiguration=s3_config())
    status = describe(fh, name)["DeliveryStreamStatus"]
    # The server keeps a new stream CREATING for CREATING_WINDOW_S; only a very slow
    # machine gets here later than that.
    if time.monotonic() - started < CREATING_WINDOW_S:
        assert status == "CREATING"
        expect_error(lambda: fh.delete_delivery_stream(DeliveryStreamName=name), "ResourceInUseException")
    wait_active(fh, name)
    fh.delete_delivery_stream(DeliveryStreamName=name)
    expect_error(lambda: describe(fh, name), "ResourceNotFoundException", message=not_found(name))
    assert name not in fh.list_delivery_streams(Limit=10000)["DeliveryStreamNames"]


def test_kinesis_stream_source_is_described(fh, name):
    source = kinesis_source(f"source-{name}")
    create_active(fh, name, DeliveryStreamType="KinesisStreamAsSource", KinesisStreamSourceConfiguration=source)
    d = describe(fh, name)
    assert d["DeliveryStreamType"] == "KinesisStreamAsSource"
    described = d["Source"]["KinesisStreamSourceDescription"]
    assert described["KinesisStreamARN"] == source["KinesisStreamARN"]
    assert described["RoleARN"] == ROLE
    assert described["DeliveryStartTimestamp"] == d["CreateTimestamp"]


def test_other_destination_kinds_are_described_without_secrets(fh, name):
    create_active(
        fh,
        name,
        HttpEndpointDestinationConfiguration={
            "EndpointConfiguration": {"Url": "https://example.com/ingest", "Name": "ex", "AccessKey": "s3cr3t"},
            "S3Configuration": s3_config(Prefix="backup/"),
            "S3BackupMode": "FailedDataOnly",
        },
    )
    dest = describe(fh, name)["Destinations"][0]
    assert set(dest) == {"DestinationId", "HttpEndpointDestinationDescription"}
    http = dest["HttpEndpointDestinationDescription"]
    assert http["EndpointConfiguration"] == {"Url": "https://example.com/ingest", "Name": "ex"}
    assert http["S3BackupMode"] == "FailedDataOnly"
    assert http["S3DestinationDescription"]["Prefix"] == "backup/"
    assert http["S3DestinationDescription"]["CompressionFormat"] == "UNCOMPRESSED"


# --- errors ----------------------------------------------------------------------------


def test_create_errors_are_aws_shaped_and_change_nothing(fh, name):
    create_active(fh, name)
    expect_error(
        lambda: fh.create_delivery_stream(DeliveryStreamName=name, ExtendedS3DestinationConfiguration=s3_config()),
        "ResourceInUseException",
        message=f"Firehose {name} under accountId {ACCOUNT} already exists",
    )
    expect_error(
        lambda: fh.create_delivery_stream(DeliveryStreamName="bad name", S3DestinationConfiguration=s3_config()),
        "ValidationException",
        message="1 validation error detected: Value 'bad name' at 'deliveryStreamName' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
    )
    expect_error(
        lambda: fh.create_delivery_stream(DeliveryStreamName="x" * 65, S3DestinationConfiguration=s3_config()),
        "ValidationException",
        contains="Member must have length less than or equal to 64",
    )
    other = name + "-other"
    expect_error(
        lambda: fh.create_delivery_stream(
            DeliveryStreamName=other,
            S3DestinationConfiguration=s3_config(),
            ExtendedS3DestinationConfiguration=s3_config(),
        ),
        "InvalidArgumentException",
        message="Exactly one destination configuration is supported for a Firehose",
    )
    expect_error(lambda: fh.create_delivery_stream(DeliveryStreamName=other), "InvalidArgumentException")
    expect_error(
        lambda: fh.create_delivery_stream(
            DeliveryStreamName=other,
            ExtendedS3DestinationConfiguration=s3_config(),
            KinesisStreamSourceConfiguration=kinesis_source(),
        ),
        "InvalidArgumentException",
        message="KinesisStreamSourceConfiguration is only applicable for KinesisStreamAsSource stream type",
    )
    expect_error(
        lambda: fh.create_delivery_stream(
            DeliveryStreamName=other,
            DeliveryStreamType="KinesisStreamAsSource",
            ExtendedS3DestinationConfiguration=s3_config(),
        ),
        "InvalidArgumentException",
        message="KinesisStreamSourceConfiguration is required for KinesisStreamAsSource stream type",
    )
    expect_error(
        lambda: fh.create_delivery_stream(
            DeliveryStreamName=other,
            ExtendedS3DestinationConfiguration={"RoleARN": ROLE, "BucketARN": "not-an-arn"},
        ),
        "ValidationException",
        contains="extendedS3DestinationConfiguration.bucketARN",
    )
    expect_error(
        lambda: fh.create_delivery_stream(
            DeliveryStreamName=other,
            ExtendedS3DestinationConfiguration=s3_config(),
            DeliveryStreamEncryptionConfigurationInput={"KeyType": "CUSTOMER_MANAGED_CMK"},
        ),
        "InvalidArgumentException",
    )
    expect_error(lambda: describe(fh, other), "ResourceNotFoundException", message=not_found(other))
    assert describe(fh, name)["VersionId"] == "1"


def test_unknown_stream_is_not_found_for_every_operation(fh, name):
    calls = {
        "describe": lambda: fh.describe_delivery_stream(DeliveryStreamName=name),
        "delete": lambda: fh.delete_delivery_stream(DeliveryStreamName=name),
        "update": lambda: fh.update_destination(
            DeliveryStreamName=name,
            CurrentDeliveryStreamVersionId="1",
            DestinationId=DESTINATION_ID,
            ExtendedS3DestinationUpdate={"Prefix": "p/"},
        ),
        "tag": lambda: fh.tag_delivery_stream(DeliveryStreamName=name, Tags=[{"Key": "k", "Value": "v"}]),
        "untag": lambda: fh.untag_delivery_stream(DeliveryStreamName=name, TagKeys=["k"]),
        "list_tags": lambda: fh.list_tags_for_delivery_stream(DeliveryStreamName=name),
        "start_sse": lambda: fh.start_delivery_stream_encryption(
            DeliveryStreamName=name, DeliveryStreamEncryptionConfigurationInput={"KeyType": "AWS_OWNED_CMK"}
        ),
        "stop_sse": lambda: fh.stop_delivery_stream_encryption(DeliveryStreamName=name),
    }
    for what, call in calls.items():
        resp = expect_error(call, "ResourceNotFoundException", message=not_found(name))
        assert resp["ResponseMetadata"]["HTTPStatusCode"] == 400, what


def test_put_record_is_not_served_yet(fh, name):
    # Delivery is a later issue: until records have somewhere real to go the
    # data-plane operations are unknown rather than silently dropping data.
    create_active(fh, name)
    expect_error(
        lambda: fh.put_record(DeliveryStreamName=name, Record={"Data": b"x"}), "UnknownOperationException"
    )


# --- list ------------------------------------------------------------------------------


def test_list_paginates_in_name_order_and_filters_by_type(start_kinesd):
    fh = firehose_client(start_kinesd().endpoint)
    empty = fh.list_delivery_streams()
    assert (empty["DeliveryStreamNames"], empty["HasMoreDeliveryStreams"]) == ([], False)
    for n in ("c", "a", "b"):
        fh.create_delivery_stream(DeliveryStreamName=n, ExtendedS3DestinationConfiguration=s3_config())
    fh.create_delivery_stream(
        DeliveryStreamName="k",
        DeliveryStreamType="KinesisStreamAsSource",
        KinesisStreamSourceConfiguration=kinesis_source(),
        ExtendedS3DestinationConfiguration=s3_config(),
    )
    page = fh.list_delivery_streams(Limit=2)
    assert (page["DeliveryStreamNames"], page["HasMoreDeliveryStreams"]) == (["a", "b"], True)
    page = fh.list_delivery_streams(Limit=2, ExclusiveStartDeliveryStreamName="b")
    assert (page["DeliveryStreamNames"], page["HasMoreDeliveryStreams"]) == (["c", "k"], False)
    page = fh.list_delivery_streams(DeliveryStreamType="DirectPut")
    assert (page["DeliveryStreamNames"], page["HasMoreDeliveryStreams"]) == (["a", "b", "c"], False)
    page = fh.list_delivery_streams(DeliveryStreamType="KinesisStreamAsSource")
    assert (page["DeliveryStreamNames"], page["HasMoreDeliveryStreams"]) == (["k"], False)
    expect_error(lambda: fh.list_delivery_streams(Limit=0), "ValidationException")


# --- update ----------------------------------------------------------------------------


def test_update_destination_merges_and_bumps_the_version(fh, name):
    config = terraform_extended_s3()
    create_active(fh, name, ExtendedS3DestinationConfiguration=config)
    created = describe(fh, name)["CreateTimestamp"]
    fh.update_destination(
        DeliveryStreamName=name,
        CurrentDeliveryStreamVersionId="1",
        DestinationId=DESTINATION_ID,
        ExtendedS3DestinationUpdate={
            "Prefix": "data/",
            "BufferingHints": {"SizeInMBs": 64, "IntervalInSeconds": 60},
            "CompressionFormat": "GZIP",
        },
    )
    d = describe(fh, name)
    assert d["VersionId"] == "2"
    assert d["LastUpdateTimestamp"] >= created
    expected = {
        **config,
        "Prefix": "data/",
        "BufferingHints": {"SizeInMBs": 64, "IntervalInSeconds": 60},
        "CompressionFormat": "GZIP",
    }
    assert d["Destinations"][0]["ExtendedS3DestinationDescription"] == expected
    assert d["Destinations"][0]["S3DestinationDescription"]["CompressionFormat"] == "GZIP"

    # A stale version id is refused and changes nothing.
    expect_error(
        lambda: fh.update_destination(
            DeliveryStreamName=name,
            CurrentDeliveryStreamVersionId="1",
            DestinationId=DESTINATION_ID,
            ExtendedS3DestinationUpdate={"Prefix": "stale/"},
        ),
        "ConcurrentModificationException",
        message=f"Cannot update firehose: {name} since the current version id: 2 and specified version id: 1 "
        "do not match",
    )
    expect_error(
        lambda: fh.update_destination(
            DeliveryStreamName=name,
            CurrentDeliveryStreamVersionId="2",
            DestinationId=DESTINATION_ID,
            ExtendedS3DestinationUpdate={"Prefix": "p/"},
            S3DestinationUpdate={"Prefix": "q/"},
        ),
        "InvalidArgumentException",
    )
    expect_error(
        lambda: fh.update_destination(
            DeliveryStreamName=name,
            CurrentDeliveryStreamVersionId="2",
            DestinationId=DESTINATION_ID,
            AmazonopensearchserviceDestinationUpdate={"IndexName": "i"},
        ),
        "InvalidArgumentException",
    )
    expect_error(
        lambda: fh.update_destination(
            DeliveryStreamName=name,
            CurrentDeliveryStreamVersionId="x",
            DestinationId=DESTINATION_ID,
            ExtendedS3DestinationUpdate={"Prefix": "p/"},
        ),
        "ValidationException",
    )
    after = describe(fh, name)
    assert after["VersionId"] == "2"
    assert after["Destinations"][0]["ExtendedS3DestinationDescription"] == expected

    # The Terraform-style full update round-trips too.
    again = {**config, "Prefix": "tf/"}
    fh.update_destination(
        DeliveryStreamName=name,
        CurrentDeliveryStreamVersionId="2",
        DestinationId=DESTINATION_ID,
        ExtendedS3DestinationUpdate=again,
    )
    d = describe(fh, name)
    assert d["VersionId"] == "3"
    assert d["Destinations"][0]["ExtendedS3DestinationDescription"] == again


# --- tags ------------------------------------------------------------------------------


def test_tags_add_overwrite_remove_and_paginate(fh, name):
    create_active(fh, name, Tags=[{"Key": "team", "Value": "data"}, {"Key": "novalue"}])
    listed = fh.list_tags_for_delivery_stream(DeliveryStreamName=name)
    assert listed["Tags"] == [{"Key": "novalue"}, {"Key": "team", "Value": "data"}]
    assert listed["HasMoreTags"] is False
    fh.tag_delivery_stream(
        DeliveryStreamName=name, Tags=[{"Key": "team", "Value": "ml"}, {"Key": "env", "Value": "ci"}]
    )
    page = fh.list_tags_for_delivery_stream(DeliveryStreamName=name, Limit=2)
    assert page["Tags"] == [{"Key": "env", "Value": "ci"}, {"Key": "novalue"}]
    assert page["HasMoreTags"] is True
    page = fh.list_tags_for_delivery_stream(DeliveryStreamName=name, ExclusiveStartTagKey="novalue", Limit=2)
    assert page["Tags"] == [{"Key": "team", "Value": "ml"}]
    assert page["HasMoreTags"] is False
    fh.untag_delivery_stream(DeliveryStreamName=name, TagKeys=["novalue", "absent"])
    assert [t["Key"] for t in fh.list_tags_for_delivery_stream(DeliveryStreamName=name)["Tags"]] == ["env", "team"]


def test_tags_are_limited_to_50(fh, name):
    create_active(fh, name)
    fh.tag_delivery_stream(DeliveryStreamName=name, Tags=[{"Key": f"k{i:02}", "Value": "v"} for i in range(50)])
    expect_error(
        lambda: fh.tag_delivery_stream(DeliveryStreamName=name, Tags=[{"Key": "one-more", "Value": "v"}]),
        "LimitExceededException",
    )
    expect_error(
        lambda: fh.tag_delivery_stream(DeliveryStreamName=name, Tags=[{"Key": f"n{i}"} for i in range(51)]),
        "ValidationException",
        contains="Member must have length less than or equal to 50",
    )
    expect_error(
        lambda: fh.tag_delivery_stream(DeliveryStreamName=name, Tags=[{"Key": "aws:reserved", "Value": "v"}]),
        "ValidationException",
    )
    tags = fh.list_tags_for_delivery_stream(DeliveryStreamName=name)["Tags"]
    assert len(tags) == 50 and "one-more" not in [t["Key"] for t in tags]
    expect_error(
        lambda: fh.list_tags_for_delivery_stream(DeliveryStreamName=name, Limit=51), "ValidationException"
    )


# --- encryption ------------------------------------------------------------------------


def test_encryption_starts_and_stops(fh, name):
    create_active(fh, name)
    key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{uuid.uuid4()}"
    fh.start_delivery_stream_encryption(
        DeliveryStreamName=name,
        DeliveryStreamEncryptionConfigurationInput={"KeyType": "CUSTOMER_MANAGED_CMK", "KeyARN": key},
    )
    assert describe(fh, name)["DeliveryStreamEncryptionConfiguration"] == {
        "KeyARN": key,
        "KeyType": "CUSTOMER_MANAGED_CMK",
        "Status": "ENABLED",
    }
    fh.start_delivery_stream_encryption(
        DeliveryStreamName=name, DeliveryStreamEncryptionConfigurationInput={"KeyType": "AWS_OWNED_CMK"}
    )
    sse = describe(fh, name)["DeliveryStreamEncryptionConfiguration"]
    assert sse == {"KeyType": "AWS_OWNED_CMK", "Status": "ENABLED"}
    expect_error(
        lambda: fh.start_delivery_stream_encryption(
            DeliveryStreamName=name,
            DeliveryStreamEncryptionConfigurationInput={"KeyType": "AWS_OWNED_CMK", "KeyARN": key},
        ),
        "InvalidArgumentException",
    )
    fh.stop_delivery_stream_encryption(DeliveryStreamName=name)
    d = describe(fh, name)
    assert d["DeliveryStreamEncryptionConfiguration"] == {"Status": "DISABLED"}
    assert d["VersionId"] == "1"


def test_encryption_at_create_and_refused_for_kinesis_source(fh, name):
    create_active(fh, name, DeliveryStreamEncryptionConfigurationInput={"KeyType": "AWS_OWNED_CMK"})
    sse = describe(fh, name)["DeliveryStreamEncryptionConfiguration"]
    assert sse == {"KeyType": "AWS_OWNED_CMK", "Status": "ENABLED"}
    source = name + "-k"
    create_active(
        fh,
        source,
        DeliveryStreamType="KinesisStreamAsSource",
        KinesisStreamSourceConfiguration=kinesis_source(),
    )
    expect_error(
        lambda: fh.start_delivery_stream_encryption(
            DeliveryStreamName=source, DeliveryStreamEncryptionConfigurationInput={"KeyType": "AWS_OWNED_CMK"}
        ),
        "InvalidArgumentException",
        message="This operation is not permitted on KinesisStreamAsSource delivery stream type.",
    )


# --- durability ------------------------------------------------------------------------


def test_delivery_streams_survive_a_restart(start_kinesd, tmp_path):
    data_dir = tmp_path / "firehose-data"
    server = start_kinesd(data_dir=data_dir)
    fh = firehose_client(server.endpoint)
    create_active(
        fh, "durable", ExtendedS3DestinationConfiguration=terraform_extended_s3(), Tags=[{"Key": "k", "Value": "v"}]
    )
    fh.update_destination(
        DeliveryStreamName="durable",
        CurrentDeliveryStreamVersionId="1",
        DestinationId=DESTINATION_ID,
        ExtendedS3DestinationUpdate={"Prefix": "after-update/"},
    )
    fh.start_delivery_stream_encryption(
        DeliveryStreamName="durable", DeliveryStreamEncryptionConfigurationInput={"KeyType": "AWS_OWNED_CMK"}
    )
    create_active(fh, "gone")
    fh.delete_delivery_stream(DeliveryStreamName="gone")
    before = describe(fh, "durable")
    assert server.stop() == 0

    fh = firehose_client(start_kinesd(data_dir=data_dir).endpoint)
    after = describe(fh, "durable")
    assert after == before
    assert after["VersionId"] == "2"
    assert after["Destinations"][0]["ExtendedS3DestinationDescription"]["Prefix"] == "after-update/"
    assert fh.list_tags_for_delivery_stream(DeliveryStreamName="durable")["Tags"] == [{"Key": "k", "Value": "v"}]
    assert fh.list_delivery_streams()["DeliveryStreamNames"] == ["durable"]
    expect_error(lambda: describe(fh, "gone"), "ResourceNotFoundException", message=not_found("gone"))
