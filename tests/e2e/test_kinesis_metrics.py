"""Kinesis publishes its CloudWatch metrics (namespace AWS/Kinesis): stream-level
always, shard-level for what enhanced monitoring enabled, one statistic set per
minute and metric, stored once the minute has ended (within about 70 s)."""
import datetime
import time

import boto3
import botocore.config

from e2e_util import ACCESS_KEY, REGION, SECRET_KEY, create_stream, read_shard, shard_id

# A minute must end, then the server stores it within 10 s.
METRICS_WAIT_S = 90


def cloudwatch(endpoint):
    return boto3.client("cloudwatch", endpoint_url=endpoint, region_name=REGION, aws_access_key_id=ACCESS_KEY,
                        aws_secret_access_key=SECRET_KEY,
                        config=botocore.config.Config(retries={"total_max_attempts": 1, "mode": "standard"}))


def statistic(cw, name, dimensions, stat):
    now = datetime.datetime.now(datetime.timezone.utc)
    out = cw.get_metric_statistics(Namespace="AWS/Kinesis", MetricName=name, Dimensions=dimensions,
                                   StartTime=now - datetime.timedelta(minutes=10), EndTime=now,
                                   Period=600, Statistics=[stat])
    points = out["Datapoints"]
    return points[0][stat] if points else None


def test_puts_and_reads_show_up_as_aws_kinesis_metrics(kinesis, endpoint, stream_name):
    create_stream(kinesis, stream_name, shards=1)
    kinesis.enable_enhanced_monitoring(StreamName=stream_name, ShardLevelMetrics=["IncomingRecords"])
    kinesis.put_record(StreamName=stream_name, PartitionKey="a", Data=b"12345")
    kinesis.put_records(StreamName=stream_name,
                        Records=[{"PartitionKey": f"k{i}", "Data": b"xy"} for i in range(4)])
    assert len(read_shard(kinesis, stream_name, shard_id(0))) == 5
    cw = cloudwatch(endpoint)
    stream = [{"Name": "StreamName", "Value": stream_name}]
    # The calls may straddle a minute boundary: wait until every minute they fell in is stored.
    deadline = time.monotonic() + METRICS_WAIT_S
    while (statistic(cw, "IncomingRecords", stream, "Sum"), statistic(cw, "GetRecords.Records", stream, "Sum")) \
            != (5.0, 5.0):
        assert time.monotonic() < deadline, "AWS/Kinesis IncomingRecords and GetRecords.Records not stored in time"
        time.sleep(2)
    # One sample per call: PutRecord and PutRecords.
    assert statistic(cw, "IncomingRecords", stream, "SampleCount") == 2.0
    assert statistic(cw, "IncomingBytes", stream, "Sum") == 6.0 + 4 * 4.0
    assert statistic(cw, "PutRecords.TotalRecords", stream, "Sum") == 4.0
    assert statistic(cw, "WriteProvisionedThroughputExceeded", stream, "Sum") == 0.0
    shard = stream + [{"Name": "ShardId", "Value": shard_id(0)}]
    assert statistic(cw, "IncomingRecords", shard, "Sum") == 5.0
    assert statistic(cw, "IncomingBytes", shard, "Sum") is None  # not enabled at shard level
    names = {m["MetricName"] for m in cw.list_metrics(Namespace="AWS/Kinesis", Dimensions=stream)["Metrics"]}
    assert {"IncomingRecords", "IncomingBytes", "GetRecords.IteratorAgeMilliseconds"} <= names
