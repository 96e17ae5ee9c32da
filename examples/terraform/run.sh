#!/usr/bin/env bash
# Runs the user's scenario against a kinesd endpoint: terraform init, apply,
# the boto3 producer check, a plan that must show no changes, and destroy.
#
#   examples/terraform/run.sh http://127.0.0.1:4567
#
# Prints one line per step and ends with "scenario: apply ok, producer ok,
# plan clean, destroy ok" (exit 0), or names the step that failed (exit 1).
# Offline: the AWS provider comes from a filesystem mirror (TF_PLUGIN_DIR, or
# the first registry.terraform.io folder found in the usual places); without
# one, terraform downloads it from the registry.
# Environment: WORK_DIR (default: a new temp dir, kept for its logs),
# TF_VAR_skip_requesting_account_id / TF_VAR_skip_credentials_validation,
# UPDATE_CMD: a shell command run in the work dir after the clean plan that
# edits main.tf; the edited configuration is then applied and must re-plan
# clean too ("update ok, plan clean" in the summary).
set -u
ENDPOINT="${1:?usage: run.sh ENDPOINT_URL}"
HERE="$(cd "$(dirname "$0")" && pwd)"
WD="${WORK_DIR:-$(mktemp -d -t kinesd-scenario.XXXXXX)}"
mkdir -p "$WD"
cp "$HERE"/main.tf "$HERE"/provider.tf "$WD"/

mirror="${TF_PLUGIN_DIR:-}"
if [ -z "$mirror" ]; then
  for d in "$HOME/.terraform.d/plugins" /usr/share/terraform/plugins /usr/local/share/terraform/plugins \
           $(find / -maxdepth 3 -type d -name registry.terraform.io -not -path '/proc/*' 2>/dev/null | xargs -r -n1 dirname); do
    if [ -d "$d/registry.terraform.io/hashicorp/aws" ]; then mirror="$d"; break; fi
  done
fi
if [ -n "$mirror" ]; then
  cat >"$WD/terraformrc" <<EOF
provider_installation {
  filesystem_mirror {
    path    = "$mirror"
    include = ["registry.terraform.io/hashicorp/aws"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/aws"]
  }
}
EOF
  export TF_CLI_CONFIG_FILE="$WD/terraformrc"
fi
export TF_VAR_endpoint="$ENDPOINT" TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1 AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE
if [ -z "${TF_VAR_sns_topic_arn:-}" ]; then
  account=$(python3 -c 'import sys, boto3
print(boto3.client("sts", endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="test",
                   aws_secret_access_key="test").get_caller_identity()["Account"])' "$ENDPOINT" 2>/dev/null)
  export TF_VAR_sns_topic_arn="arn:aws:sns:us-east-1:${account:-123456789012}:kinesis-alerts"
fi
cd "$WD" || exit 1
echo "work dir: $WD"

step() {  # step NAME TIMEOUT terraform-args...; its output goes to NAME.log
  local name=$1 limit=$2 started=$SECONDS rc
  shift 2
  timeout "$limit" terraform "$@" -no-color >"$name.log" 2>&1
  rc=$?
  echo "$name: rc=$rc in $((SECONDS - started))s"
  [ "$rc" = 0 ] || [ "$name" = plan ] || grep -A12 '^Error' "$name.log" | head -40
  return "$rc"
}

summary=""
failed=0
step init 120 init -input=false || { echo "scenario: init FAILED"; exit 1; }
if step apply 600 apply -auto-approve -input=false; then
  summary="apply ok"
  if python3 "$HERE/producer_check.py" "$ENDPOINT" >producer.log 2>&1; then
    summary="$summary, producer ok"
  else
    summary="$summary, producer FAILED"; failed=1; tail -5 producer.log
  fi
  replan() {  # replan LOG-NAME: a plan that must show no changes
    step "$1" 300 plan -detailed-exitcode -input=false
    case $? in
      0) summary="$summary, plan clean" ;;
      2) summary="$summary, plan DRIFT"; failed=1; grep -E '^\s+[~+-] |# ' "$1.log" | head -40 ;;
      *) summary="$summary, plan FAILED"; failed=1; grep -A12 '^Error' "$1.log" | head -40 ;;
    esac
  }
  replan plan
  if [ -n "${UPDATE_CMD:-}" ] && [ "$failed" = 0 ]; then
    if bash -c "$UPDATE_CMD" >update-edit.log 2>&1 && step update 600 apply -auto-approve -input=false; then
      summary="$summary, update ok"
      replan plan-after-update
    else
      summary="$summary, update FAILED"; failed=1; tail -5 update-edit.log
    fi
  fi
else
  summary="apply FAILED"; failed=1
fi
# Destroy whatever exists, even after a failure, so the server is left empty.
if step destroy 600 destroy -auto-approve -input=false; then
  summary="$summary, destroy ok"
else
  summary="$summary, destroy FAILED"; failed=1
fi
echo "scenario: $summary"
exit "$failed"
