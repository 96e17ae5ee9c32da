"""Acknowledged records survive a crash: SIGKILL the server, start it again on the same
data dir, and every acknowledged record is there exactly once, in order."""

import threading

from e2e_util import create_stream, list_all_shards, read_shard, shard_id


def test_restart_after_sigkill_keeps_every_acknowledged_record(start_kinesd, tmp_path):
    data_dir = tmp_path / "durable-data"
    server = start_kinesd(data_dir=data_dir, extra_args=["--durability", "always"])
    client = server.client()
    name = "durable-stream"
    create_stream(client, name, shards=3)
    client.add_tags_to_stream(StreamName=name, Tags={"keep": "me"})
    client.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=48)

    acked = {}  # (shard id, sequence number) -> (partition key, data)
    lock = threading.Lock()

    clients = [server.client() for _ in range(3)]  # created up front: client creation is not thread-safe

    def producer(worker):
        c = clients[worker]
        for batch in range(6):
            records = [
                {"Data": f"w{worker}-b{batch}-r{i}".encode() + bytes([i % 256]) * (i % 50), "PartitionKey": f"w{worker}-{i}"}
                for i in range(50)
            ]
            resp = c.put_records(StreamName=name, Records=records)
            assert resp["FailedRecordCount"] == 0
            with lock:
                for rec, res in zip(records, resp["Records"]):
                    acked[(res["ShardId"], res["SequenceNumber"])] = (rec["PartitionKey"], rec["Data"])
        for i in range(20):
            key = f"w{worker}-single-{i}"
            res = c.put_record(StreamName=name, Data=key.encode(), PartitionKey=key)
            with lock:
                acked[(res["ShardId"], res["SequenceNumber"])] = (key, key.encode())

    errors = []

    def guarded(worker):
        try:
            producer(worker)
        except BaseException as e:  # surfaced below
            errors.append(e)

    workers = [threading.Thread(target=guarded, args=(w,)) for w in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert not errors, errors
    assert len(acked) == 3 * (6 * 50 + 20)

    server.kill()
    restarted = start_kinesd(data_dir=data_dir, extra_args=["--durability", "always"])
    client = restarted.client()

    summary = client.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["StreamStatus"] == "ACTIVE"
    assert summary["OpenShardCount"] == 3
    assert summary["RetentionPeriodHours"] == 48
    assert {t["Key"]: t["Value"] for t in client.list_tags_for_stream(StreamName=name)["Tags"]} == {"keep": "me"}

    found = {}
    last_seq = {}
    for s in list_all_shards(client, name):
        records = read_shard(client, name, s["ShardId"], limit=1000)
        seqs = [int(r["SequenceNumber"]) for r in records]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), f"{s['ShardId']}: reordered or duplicated"
        for r in records:
            found[(s["ShardId"], r["SequenceNumber"])] = (r["PartitionKey"], r["Data"])
        if seqs:
            last_seq[s["ShardId"]] = seqs[-1]
    missing = set(acked) - set(found)
    assert not missing, f"{len(missing)} acknowledged records lost, e.g. {sorted(missing)[:3]}"
    assert found == acked

    # writing goes on after the restart, with sequence numbers above the old ones
    res = client.put_record(StreamName=name, Data=b"after", PartitionKey="after", ExplicitHashKey="0")
    assert res["ShardId"] == shard_id(0)
    assert int(res["SequenceNumber"]) > last_seq.get(shard_id(0), 0)


def test_graceful_sigterm_exits_zero_and_keeps_data(start_kinesd, tmp_path):
    data_dir = tmp_path / "graceful-data"
    server = start_kinesd(data_dir=data_dir)
    client = server.client()
    create_stream(client, "graceful", shards=1)
    seq = client.put_record(StreamName="graceful", Data=b"kept", PartitionKey="k")["SequenceNumber"]
    assert server.stop() == 0
    client = start_kinesd(data_dir=data_dir).client()
    got = read_shard(client, "graceful", shard_id(0))
    assert [(r["SequenceNumber"], r["Data"]) for r in got] == [(seq, b"kept")]
