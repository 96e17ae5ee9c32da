"""Stream and account settings with boto3: capacity mode, enhanced monitoring,
encryption, maximum record size, warm throughput, resource policies, account
settings."""
import json

from e2e_util import create_stream, expect_error, shard_id, stream_arn, wait_for_status

ALL_METRICS = [
    "IncomingBytes",
    "IncomingRecords",
    "OutgoingBytes",
    "OutgoingRecords",
    "WriteProvisionedThroughputExceeded",
    "ReadProvisionedThroughputExceeded",
    "IteratorAgeMilliseconds",
]


def test_enhanced_monitoring_all_then_disable_some(kinesis, stream_name):
    create_stream(kinesis, stream_name)
    out = kinesis.enable_enhanced_monitoring(StreamName=stream_name, ShardLevelMetrics=["ALL"])
    assert out["CurrentShardLevelMetrics"] == []
    assert out["DesiredShardLevelMetrics"] == ALL_METRICS
    wait_for_status(kinesis, stream_name)
    desc = kinesis.describe_stream(StreamName=stream_name)["StreamDescription"]
    assert desc["EnhancedMonitoring"] == [{"ShardLevelMetrics": ALL_METRICS}]
    out = kinesis.disable_enhanced_monitoring(StreamName=stream_name, ShardLevelMetrics=["IncomingBytes", "OutgoingBytes"])
    assert "IncomingBytes" not in out["DesiredShardLevelMetrics"] and len(out["DesiredShardLevelMetrics"]) == 5


def test_stream_encryption_start_and_stop_with_the_previous_key(kinesis, stream_name):
    create_stream(kinesis, stream_name)
    kinesis.start_stream_encryption(StreamName=stream_name, EncryptionType="KMS", KeyId="alias/aws/kinesis")
    wait_for_status(kinesis, stream_name)
    summary = kinesis.describe_stream_summary(StreamName=stream_name)["StreamDescriptionSummary"]
    assert (summary["EncryptionType"], summary["KeyId"]) == ("KMS", "alias/aws/kinesis")
    put = kinesis.put_record(StreamName=stream_name, Data=b"secret", PartitionKey="k")
    assert put["EncryptionType"] == "KMS"
    it = kinesis.get_shard_iterator(StreamName=stream_name, ShardId=shard_id(0), ShardIteratorType="TRIM_HORIZON")
    record = kinesis.get_records(ShardIterator=it["ShardIterator"])["Records"][0]
    assert (record["Data"], record["EncryptionType"]) == (b"secret", "KMS")
    kinesis.stop_stream_encryption(StreamName=stream_name, EncryptionType="KMS", KeyId="alias/aws/kinesis")
    wait_for_status(kinesis, stream_name)
    summary = kinesis.describe_stream_summary(StreamName=stream_name)["StreamDescriptionSummary"]
    assert summary["EncryptionType"] == "NONE" and "KeyId" not in summary


def test_update_stream_mode_switches_capacity_mode(kinesis, stream_name):
    create_stream(kinesis, stream_name, shards=2)
    arn = stream_arn(stream_name)
    kinesis.update_stream_mode(StreamARN=arn, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    wait_for_status(kinesis, stream_name)
    summary = kinesis.describe_stream_summary(StreamName=stream_name)["StreamDescriptionSummary"]
    assert summary["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"}
    expect_error(
        lambda: kinesis.update_stream_mode(StreamARN=arn, StreamModeDetails={"StreamMode": "ON_DEMAND"}),
        "InvalidArgumentException",
    )
    out = kinesis.update_stream_warm_throughput(StreamARN=arn, WarmThroughputMiBps=50)
    assert out["WarmThroughput"] == {"TargetMiBps": 50, "CurrentMiBps": 50}


def test_update_max_record_size_is_enforced_on_puts(kinesis, stream_name):
    create_stream(kinesis, stream_name)
    big = b"x" * (1536 * 1024)
    expect_error(lambda: kinesis.put_record(StreamName=stream_name, Data=big, PartitionKey="k"), "ValidationException")
    kinesis.update_max_record_size(StreamARN=stream_arn(stream_name), MaxRecordSizeInKiB=2048)
    wait_for_status(kinesis, stream_name)
    assert kinesis.describe_stream_summary(StreamName=stream_name)["StreamDescriptionSummary"]["MaxRecordSizeInKiB"] == 2048
    kinesis.put_record(StreamName=stream_name, Data=big, PartitionKey="k")
    expect_error(
        lambda: kinesis.update_max_record_size(StreamARN=stream_arn(stream_name), MaxRecordSizeInKiB=512),
        "ValidationException",
    )


def test_resource_policy_put_get_delete(kinesis, stream_name):
    create_stream(kinesis, stream_name)
    arn = stream_arn(stream_name)
    assert kinesis.get_resource_policy(ResourceARN=arn)["Policy"] == "{}"
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
                                                                 "Action": "kinesis:GetRecords", "Resource": arn}]})
    kinesis.put_resource_policy(ResourceARN=arn, Policy=policy)
    assert kinesis.get_resource_policy(ResourceARN=arn)["Policy"] == policy
    kinesis.delete_resource_policy(ResourceARN=arn)
    assert kinesis.get_resource_policy(ResourceARN=arn)["Policy"] == "{}"
    expect_error(lambda: kinesis.delete_resource_policy(ResourceARN=arn), "ResourceNotFoundException")
    expect_error(lambda: kinesis.put_resource_policy(ResourceARN=arn, Policy="not json"), "InvalidArgumentException")


def test_account_settings_minimum_throughput_billing_commitment(kinesis):
    kinesis.update_account_settings(MinimumThroughputBillingCommitment={"Status": "ENABLED"})
    out = kinesis.describe_account_settings()["MinimumThroughputBillingCommitment"]
    assert out["Status"] == "ENABLED" and "StartedAt" in out and "EarliestAllowedEndAt" in out
    out = kinesis.update_account_settings(MinimumThroughputBillingCommitment={"Status": "DISABLED"})
    assert out["MinimumThroughputBillingCommitment"]["Status"] == "ENABLED_UNTIL_EARLIEST_ALLOWED_END"
