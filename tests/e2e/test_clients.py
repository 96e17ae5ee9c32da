"""Real client programs against kinesd: the seed's boto3 producer snippet and the AWS CLI."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from e2e_util import REPO, create_stream

HERE = Path(__file__).resolve().parent
PRODUCER_CHECK = REPO.parent / "shared" / "acceptance" / "terraform" / "producer_check.py"


def run(cmd, timeout=120):
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env={**os.environ, "AWS_PAGER": ""})
    return proc, f"exit {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"


def test_seed_producer_snippet_against_event_stream(start_kinesd):
    if not PRODUCER_CHECK.is_file():
        pytest.fail(f"the seed's producer check is missing at {PRODUCER_CHECK}", pytrace=False)
    server = start_kinesd()  # own server: the stream name is fixed
    create_stream(server.client(), "event-stream", shards=4)
    proc, out = run([sys.executable, str(PRODUCER_CHECK), server.endpoint])
    assert proc.returncode == 0, out
    assert "producer check: ok" in proc.stdout, out
    assert "read back: 101 records" in proc.stdout, out


def test_aws_cli_smoke_script(endpoint):
    if shutil.which("aws") is None:
        pytest.fail("the AWS CLI ('aws') is not installed: pip install -r tests/e2e/requirements.txt", pytrace=False)
    proc, out = run(["bash", str(HERE / "cli_smoke.sh"), endpoint], timeout=180)
    assert proc.returncode == 0, out
    assert proc.stdout.strip().splitlines()[-1] == "cli smoke: ok", out
