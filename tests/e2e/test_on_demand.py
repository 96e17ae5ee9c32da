"""On-demand scaling with boto3: a hot shard of an ON_DEMAND stream is split
by the server itself (thresholds shortened for the test)."""
import time

from e2e_util import make_client, wait_for_status


def test_a_hot_on_demand_shard_is_split(start_kinesd):
    server = start_kinesd(extra_args=[
        "--on-demand-split-bytes-per-sec", "20000",
        "--on-demand-split-after-ms", "1500",
    ])
    k = make_client(server.endpoint)
    k.create_stream(StreamName="od", StreamModeDetails={"StreamMode": "ON_DEMAND"})
    wait_for_status(k, "od")
    assert k.describe_stream_summary(StreamName="od")["StreamDescriptionSummary"]["OpenShardCount"] == 4
    deadline = time.time() + 15
    while time.time() < deadline:
        # About 40 KB/s into shard 0, twice the (shortened) split threshold.
        k.put_records(StreamName="od", Records=[{"Data": b"x" * 1000, "PartitionKey": "p", "ExplicitHashKey": "1"}] * 10)
        if k.describe_stream_summary(StreamName="od")["StreamDescriptionSummary"]["OpenShardCount"] == 5:
            break
        time.sleep(0.25)
    shards = k.list_shards(StreamName="od")["Shards"]
    open_shards = [s for s in shards if "EndingSequenceNumber" not in s["SequenceNumberRange"]]
    assert len(open_shards) == 5, "the hot shard was split"
    children = [s for s in shards if s.get("ParentShardId") == "shardId-000000000000"]
    assert len(children) == 2
