#!/usr/bin/env python3
"""After `terraform apply`: the guide's boto3 producer (one put_record, one
put_records of 100) against event-stream, then every shard read back from
TRIM_HORIZON; exits non-zero unless all 101 records come back.

    producer_check.py ENDPOINT
"""
import json
import sys

import boto3

STREAM = "event-stream"
EXPECTED = 101


def main(endpoint):
    kinesis = boto3.client("kinesis", endpoint_url=endpoint, region_name="us-east-1",
                           aws_access_key_id="test", aws_secret_access_key="test")
    kinesis.put_record(StreamName=STREAM, PartitionKey="user-123",
                       Data=json.dumps({"event": "page_view", "user_id": "123", "page": "/home"}))
    batch = [{"Data": json.dumps({"event": "click", "user_id": str(i)}), "PartitionKey": f"user-{i}"}
             for i in range(100)]
    out = kinesis.put_records(StreamName=STREAM, Records=batch)
    if out["FailedRecordCount"]:
        print(f"put_records: {out['FailedRecordCount']} records failed")
        return 1
    seen = 0
    for shard in kinesis.list_shards(StreamName=STREAM)["Shards"]:
        iterator = kinesis.get_shard_iterator(StreamName=STREAM, ShardId=shard["ShardId"],
                                              ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while iterator:
            page = kinesis.get_records(ShardIterator=iterator, Limit=1000)
            seen += len(page["Records"])
            if page.get("MillisBehindLatest", 0) == 0:
                break
            iterator = page.get("NextShardIterator")
    print(f"producer check: {seen} of {EXPECTED} records read back")
    return 0 if seen == EXPECTED else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
