"""The supporting services (S3, IAM, STS, KMS, Firehose, CloudWatch, CloudWatch Logs, SNS)
driven by the real AWS CLI: cli_services.sh against the session server."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def test_aws_cli_supporting_services_script(endpoint):
    if shutil.which("aws") is None:
        pytest.fail("the AWS CLI ('aws') is not installed: pip install -r tests/e2e/requirements.txt", pytrace=False)
    proc = subprocess.run(
        ["bash", str(HERE / "cli_services.sh"), endpoint],
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, "AWS_PAGER": ""},
    )
    out = f"exit {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
    assert proc.returncode == 0, out
    lines = proc.stdout.strip().splitlines()
    assert lines and lines[-1] == "cli services: ok", out
    # One line per check before the verdict, every one passed.
    assert len(lines) >= 30 and all(line.endswith(": ok") for line in lines), out
