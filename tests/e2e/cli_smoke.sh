#!/usr/bin/env bash
# AWS CLI smoke test against a kinesd endpoint:
#   create-stream, wait/describe, put-record, get-shard-iterator, get-records (the data
#   must decode back to what was put), delete-stream.
# Usage: tests/e2e/cli_smoke.sh ENDPOINT      (e.g. http://127.0.0.1:4567)
# Prints one line per step; the last line is "cli smoke: ok" and the exit status 0 on success.
set -euo pipefail

ENDPOINT="${1:?usage: cli_smoke.sh ENDPOINT}"
command -v aws >/dev/null || { echo "cli smoke: FAILED: the AWS CLI ('aws') is not installed (pip install awscli)" >&2; exit 1; }

# Credentials and region from the environment only; ignore any ~/.aws of the machine.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1
export AWS_CONFIG_FILE="$work/config" AWS_SHARED_CREDENTIALS_FILE="$work/credentials" AWS_PAGER=""
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_DEFAULT_PROFILE

# CLI v2 reads blob arguments as base64 unless told otherwise; v1 takes them raw.
binary_format=()
if aws --version 2>&1 | grep -q '^aws-cli/2\.'; then
  binary_format=(--cli-binary-format raw-in-base64-out)
fi

stream="cli-smoke-$$-${RANDOM}"
payload="hello from the aws cli $(date +%s)"
kin() { aws --endpoint-url "$ENDPOINT" --output json kinesis "$@"; }
fail() { echo "cli smoke: FAILED: $*" >&2; exit 1; }

kin create-stream --stream-name "$stream" --shard-count 1
echo "create-stream: $stream"

status=""
for _ in $(seq 1 100); do
  status="$(kin describe-stream-summary --stream-name "$stream" \
    --query StreamDescriptionSummary.StreamStatus --output text)"
  [ "$status" = ACTIVE ] && break
  sleep 0.1
done
[ "$status" = ACTIVE ] || fail "stream is $status, not ACTIVE"
kin wait stream-exists --stream-name "$stream"
shards="$(kin describe-stream --stream-name "$stream" --query 'length(StreamDescription.Shards)' --output text)"
[ "$shards" = 1 ] || fail "describe-stream lists $shards shards, expected 1"
echo "describe-stream: ACTIVE, $shards shard"

put="$(kin put-record --stream-name "$stream" --partition-key smoke --data "$payload" "${binary_format[@]}")"
shard_id="$(printf '%s' "$put" | python3 -c 'import json,sys; print(json.load(sys.stdin)["ShardId"])')"
seq="$(printf '%s' "$put" | python3 -c 'import json,sys; print(json.load(sys.stdin)["SequenceNumber"])')"
[ "$shard_id" = shardId-000000000000 ] || fail "put-record went to $shard_id"
echo "put-record: $shard_id $seq"

iterator="$(kin get-shard-iterator --stream-name "$stream" --shard-id "$shard_id" \
  --shard-iterator-type TRIM_HORIZON --query ShardIterator --output text)"
[ -n "$iterator" ] && [ "$iterator" != None ] || fail "no shard iterator"
echo "get-shard-iterator: ok"

records="$(kin get-records --shard-iterator "$iterator")"
got="$(printf '%s' "$records" | python3 -c '
import base64, json, sys
recs = json.load(sys.stdin)["Records"]
assert len(recs) == 1, "expected 1 record, got %d" % len(recs)
sys.stdout.write(base64.b64decode(recs[0]["Data"]).decode())
')"
[ "$got" = "$payload" ] || fail "get-records returned '$got', expected '$payload'"
got_seq="$(printf '%s' "$records" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Records"][0]["SequenceNumber"])')"
[ "$got_seq" = "$seq" ] || fail "get-records sequence number $got_seq != $seq"
echo "get-records: data decodes back"

kin delete-stream --stream-name "$stream"
gone=""
for _ in $(seq 1 100); do
  if ! kin describe-stream-summary --stream-name "$stream" >/dev/null 2>"$work/err"; then
    grep -q ResourceNotFoundException "$work/err" || fail "unexpected error: $(cat "$work/err")"
    gone=yes
    break
  fi
  sleep 0.1
done
[ -n "$gone" ] || fail "stream still exists after delete-stream"
echo "delete-stream: gone"
echo "cli smoke: ok"
