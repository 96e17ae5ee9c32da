"""Shared helpers for the kinesd end-to-end suite: starting servers, clients,
AWS constants, hash-key arithmetic, waiting for stream states, reading shards,
asserting AWS-shaped errors and sending hand-signed raw requests."""

import datetime
import hashlib
import json
import os
import re
import selectors
import signal
import subprocess
import threading
import time
from pathlib import Path
from unittest import mock

import boto3
import botocore.auth
import botocore.config
import pytest
import requests
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

REPO = Path(__file__).resolve().parents[2]
ACCOUNT = "123456789012"
REGION = "us-east-1"
ACCESS_KEY = "test"
SECRET_KEY = "test"
HASH_MAX = 2**128 - 1
ONE_MIB = 1024 * 1024
JSON_CT = "application/x-amz-json-1.1"
TARGET_PREFIX = "Kinesis_20131202."
STARTUP_TIMEOUT_S = 30
LISTEN_RE = re.compile(r"kinesd listening on (http://\S+)")


# --- the server ---------------------------------------------------------------------


def kinesd_binary():
    """The binary under test: $KINESD_BIN or <repo>/target/debug/kinesd; fails loudly if absent."""
    path = os.environ.get("KINESD_BIN") or str(REPO / "target" / "debug" / "kinesd")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail(
            f"kinesd binary not found or not executable at {path!r}: build it "
            "(`cargo build -p kinesd`) or point KINESD_BIN at it",
            pytrace=False,
        )
    return path


class KinesdServer:
    """One `kinesd serve` process on an ephemeral port, with its logs in log_dir."""

    def __init__(self, data_dir, log_dir, transition_delay_ms=0, extra_args=()):
        self.data_dir = Path(data_dir)
        self.log_dir = Path(log_dir)
        self.transition_delay_ms = transition_delay_ms
        self.extra_args = list(extra_args)
        self.proc = None
        self.endpoint = None
        self._drain = None
        self.starts = 0

    def start(self):
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.starts += 1
        cmd = [
            kinesd_binary(), "serve",
            "--listen", "127.0.0.1:0",
            "--data-dir", str(self.data_dir),
            "--transition-delay-ms", str(self.transition_delay_ms),
            *self.extra_args,
        ]
        self.stderr_path = self.log_dir / f"kinesd-{self.starts}.stderr.log"
        self.stdout_path = self.log_dir / f"kinesd-{self.starts}.stdout.log"
        stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=stderr, stdin=subprocess.DEVNULL)
        stderr.close()
        first = self._read_first_line()
        m = LISTEN_RE.search(first)
        if not m:
            self.kill()
            pytest.fail(
                f"kinesd did not announce its address (first stdout line {first!r});"
                f" command {' '.join(cmd)}; stderr:\n{self._stderr_tail()}",
                pytrace=False,
            )
        self.endpoint = m.group(1).rstrip("/")
        out = open(self.stdout_path, "ab")
        out.write(first.encode() + b"\n")

        def drain(stream=self.proc.stdout, sink=out):
            try:
                for chunk in iter(lambda: stream.read1(65536), b""):
                    sink.write(chunk)
                    sink.flush()
            finally:
                sink.close()

        self._drain = threading.Thread(target=drain, daemon=True)
        self._drain.start()
        return self

    def _read_first_line(self):
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        buf = b""
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        try:
            while b"\n" not in buf:
                left = deadline - time.monotonic()
                if left <= 0:
                    self.kill()
                    pytest.fail(
                        f"kinesd printed no address line within {STARTUP_TIMEOUT_S}s; stderr:\n"
                        + self._stderr_tail(),
                        pytrace=False,
                    )
                if not sel.select(timeout=left):
                    continue
                # read one byte at a time so nothing after the first line is consumed here
                b = os.read(self.proc.stdout.fileno(), 1)
                if not b:
                    code = self.proc.wait(timeout=5)
                    pytest.fail(
                        f"kinesd exited with status {code} before announcing its address; stderr:\n"
                        + self._stderr_tail(),
                        pytrace=False,
                    )
                buf += b
        finally:
            sel.close()
        return buf.decode(errors="replace").strip()

    def _stderr_tail(self, n=4000):
        try:
            return self.stderr_path.read_text(errors="replace")[-n:]
        except OSError:
            return "(no stderr log)"

    def client(self, **kw):
        return make_client(self.endpoint, **kw)

    def stop(self, timeout=15):
        """Graceful stop (SIGTERM); returns the exit status."""
        if self.proc is None or self.proc.poll() is not None:
            return None if self.proc is None else self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"kinesd did not exit within {timeout}s of SIGTERM")
        finally:
            self._join_drain()

    def kill(self):
        """Crash it (SIGKILL), as a power cut would."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
        self._join_drain()

    def _join_drain(self):
        if self._drain is not None:
            self._drain.join(timeout=5)
            self._drain = None


# --- clients ------------------------------------------------------------------------


def make_client(endpoint, access_key=ACCESS_KEY, secret_key=SECRET_KEY):
    """A boto3 Kinesis client for endpoint. Client-side parameter validation is off so
    that the server's own validation (ValidationException wording) is what we test."""
    return boto3.client(
        "kinesis",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        config=botocore.config.Config(
            retries={"total_max_attempts": 1, "mode": "standard"},  # no retries: errors reach the test
            parameter_validation=False,
            connect_timeout=5,
            read_timeout=60,
        ),
    )


def stream_arn(name, region=REGION, account=ACCOUNT):
    return f"arn:aws:kinesis:{region}:{account}:stream/{name}"


# --- hash keys ----------------------------------------------------------------------


def md5_hash_key(partition_key):
    """Kinesis maps a partition key to MD5(key as UTF-8) read as a 128-bit big-endian integer."""
    return int.from_bytes(hashlib.md5(partition_key.encode("utf-8")).digest(), "big")


def expected_ranges(n):
    """The hash key ranges AWS gives a new n-shard stream: floor(2^128/n) keys each, the
    last shard taking the remainder (3 shards: ...070484 / ...070485..140969 / ...140970..)."""
    width = 2**128 // n
    starts = [i * width for i in range(n)]
    ends = [s - 1 for s in starts[1:]] + [HASH_MAX]
    return list(zip(starts, ends))


def shard_for_hash(shards, hash_key):
    hits = [
        s["ShardId"]
        for s in shards
        if int(s["HashKeyRange"]["StartingHashKey"]) <= hash_key <= int(s["HashKeyRange"]["EndingHashKey"])
        and "EndingSequenceNumber" not in s["SequenceNumberRange"]
    ]
    assert len(hits) == 1, f"hash key {hash_key} is covered by {hits}"
    return hits[0]


def shard_id(i):
    return "shardId-%012d" % i


# --- stream lifecycle -----------------------------------------------------------------


def stream_status(client, name):
    return client.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamStatus"]


def wait_for_status(client, name, status="ACTIVE", timeout=10.0):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = stream_status(client, name)
        if last == status:
            return
        time.sleep(0.02)
    raise AssertionError(f"stream {name} still {last} after {timeout}s (wanted {status})")


def wait_for_gone(client, name, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            client.describe_stream_summary(StreamName=name)
        except ClientError as e:
            if e.response["Error"]["Code"] == "ResourceNotFoundException":
                return
            raise
        time.sleep(0.02)
    raise AssertionError(f"stream {name} still exists {timeout}s after DeleteStream")


def create_stream(client, name, shards=1, on_demand=False, **kw):
    """CreateStream and wait for ACTIVE; returns the DescribeStreamSummary description."""
    if on_demand:
        client.create_stream(StreamName=name, StreamModeDetails={"StreamMode": "ON_DEMAND"}, **kw)
    else:
        client.create_stream(StreamName=name, ShardCount=shards, **kw)
    wait_for_status(client, name, "ACTIVE")
    return client.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]


def list_all_shards(client, name):
    return client.list_shards(StreamName=name)["Shards"]


# --- reading --------------------------------------------------------------------------


def read_shard(client, name, shard, iterator_type="TRIM_HORIZON", limit=None, max_calls=10000, **it_kw):
    """Every record from the iterator position to the tip, following NextShardIterator."""
    it = client.get_shard_iterator(
        StreamName=name, ShardId=shard, ShardIteratorType=iterator_type, **it_kw
    )["ShardIterator"]
    return read_from_iterator(client, it, limit=limit, max_calls=max_calls)


def read_from_iterator(client, iterator, limit=None, max_calls=10000):
    out = []
    for _ in range(max_calls):
        kw = {"ShardIterator": iterator}
        if limit is not None:
            kw["Limit"] = limit
        resp = client.get_records(**kw)
        out.extend(resp["Records"])
        iterator = resp.get("NextShardIterator")
        if iterator is None or (not resp["Records"] and resp.get("MillisBehindLatest", 0) == 0):
            return out
    raise AssertionError(f"shard not drained after {max_calls} GetRecords calls")


# --- errors ---------------------------------------------------------------------------


def expect_error(fn, code, message=None, contains=(), status=400):
    """Call fn(); it must fail with an AWS-shaped error: the given code (or one of a
    tuple of codes), HTTP status, the awsJson1.1 content type and a request id; with
    message given, exactly that message; every string in contains must be in it.
    Returns the botocore error response."""
    with pytest.raises(ClientError) as info:
        fn()
    resp = info.value.response
    err = resp["Error"]
    codes = code if isinstance(code, (tuple, list, set)) else (code,)
    assert err["Code"] in codes, f"expected {codes}, got {err}"
    meta = resp["ResponseMetadata"]
    assert meta["HTTPStatusCode"] == status, f"expected HTTP {status}, got {meta['HTTPStatusCode']}: {err}"
    headers = meta["HTTPHeaders"]
    assert headers.get("content-type", "").split(";")[0].strip() == JSON_CT, headers
    assert headers.get("x-amzn-requestid"), f"no x-amzn-RequestId header: {headers}"
    msg = err.get("Message", "")
    if message is not None:
        assert msg == message, f"message {msg!r} != expected {message!r}"
    for part in ([contains] if isinstance(contains, str) else contains):
        assert part in msg, f"{part!r} not in message {msg!r}"
    return resp


def not_found_message(name, account=ACCOUNT):
    return f"Stream {name} under account {account} not found."


def validation_message(value, member, constraint):
    return (
        f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy "
        f"constraint: {constraint}"
    )


# --- raw, hand-signed requests --------------------------------------------------------


def raw_request(
    endpoint,
    operation,
    body=b"{}",
    access_key=ACCESS_KEY,
    secret_key=SECRET_KEY,
    sign=True,
    skew=None,
    target=None,
    headers=None,
):
    """POST body to the Kinesis endpoint with X-Amz-Target, SigV4-signed by botocore
    (optionally with the signing clock moved by skew, a timedelta). Returns requests' Response."""
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
    hdrs = {
        "Content-Type": JSON_CT,
        "X-Amz-Target": target if target is not None else TARGET_PREFIX + operation,
    }
    hdrs.update(headers or {})
    req = AWSRequest(method="POST", url=endpoint + "/", data=body, headers=hdrs)
    if sign:
        auth = botocore.auth.SigV4Auth(Credentials(access_key, secret_key), "kinesis", REGION)
        if skew is None:
            auth.add_auth(req)
        else:
            fake_now = lambda *a, **k: datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) + skew  # noqa: E731
            with mock.patch.object(botocore.auth, "get_current_datetime", fake_now):
                auth.add_auth(req)
    return requests.post(req.url, data=req.body, headers=dict(req.headers.items()), timeout=30)


def assert_raw_error(resp, code, status=400, message=None, contains=()):
    """A raw response must be an awsJson1.1 error: {"__type": code, "message": ...}."""
    assert resp.status_code == status, f"HTTP {resp.status_code}: {resp.text[:500]}"
    assert resp.headers.get("Content-Type", "").split(";")[0].strip() == JSON_CT, dict(resp.headers)
    assert resp.headers.get("x-amzn-RequestId"), f"no x-amzn-RequestId: {dict(resp.headers)}"
    body = resp.json()
    # AWS may qualify the type ("com.amazon.coral.service#SerializationException"); the
    # short name after '#' is what clients match on.
    assert body.get("__type", "").split("#")[-1] == code, body
    msg = body.get("message", body.get("Message")) or ""
    if message is not None:
        assert msg == message, f"message {msg!r} != {message!r}"
    for part in ([contains] if isinstance(contains, str) else contains):
        assert part in msg, f"{part!r} not in {msg!r}"
    return body
