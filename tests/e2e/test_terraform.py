"""The user's scenario (examples/terraform) through the real Terraform AWS
provider against a fresh kinesd with its default settings: init, apply, the
boto3 producer check, a plan with no changes, then (in the first run) an edited
configuration applied and re-planned clean, destroy. Needs terraform (and
the AWS provider, from a filesystem mirror or the registry); skipped when
terraform is missing, except in CI (CI=true), where that fails the run."""
import os
import shutil
import subprocess

import pytest

from e2e_util import REPO

RUN_SH = REPO / "examples" / "terraform" / "run.sh"
# The provider pauses 10 s after each stream change: about 90 s per run on 2 cores.
RUN_TIMEOUT_S = 900


def require_terraform():
    if shutil.which("terraform"):
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("terraform is not installed; CI must run the Terraform scenario", pytrace=False)
    pytest.skip("terraform is not installed")


def run_scenario(endpoint, work_dir, update_cmd=None, **tf_vars):
    env = dict(os.environ, WORK_DIR=str(work_dir))
    if update_cmd:
        env["UPDATE_CMD"] = update_cmd
    env.update({f"TF_VAR_{k}": v for k, v in tf_vars.items()})
    out = subprocess.run([str(RUN_SH), endpoint], env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    return out.returncode, out.stdout + out.stderr


@pytest.mark.parametrize("skip_lookups", ["true", "false"], ids=["skip-account-lookup", "account-lookup"])
def test_the_scenario_applies_replans_clean_and_destroys(start_kinesd, tmp_path, skip_lookups):
    require_terraform()
    server = start_kinesd(transition_delay_ms=500)  # the server default
    update = skip_lookups == "true"
    rc, log = run_scenario(
        server.endpoint,
        tmp_path / "tf",
        update_cmd=f"python3 {REPO / 'tests' / 'e2e' / 'tf_update.py'}" if update else None,
        skip_requesting_account_id=skip_lookups,
        skip_credentials_validation=skip_lookups,
    )
    expected = "apply ok, producer ok, plan clean" + (", update ok, plan clean" if update else "") + ", destroy ok"
    assert f"scenario: {expected}" in log, log
    assert rc == 0, log
    # Destroy left nothing behind.
    kinesis = server.client()
    assert kinesis.list_streams()["StreamNames"] == []
