#!/usr/bin/env bash
# The supporting services through the AWS CLI, the way a user drives them:
#   S3 (high-level s3 mb/cp/sync/mv/ls/presign/rm/rb and s3api, multipart through a 9 MiB cp),
#   IAM, STS, KMS (fileb:// blobs, --query CiphertextBlob --output text | base64 -d), Firehose,
#   CloudWatch, CloudWatch Logs and SNS (delivering to an HTTP subscriber this script runs).
# Every check compares the CLI's output (with --query/--output text or python3; jq is not
# required) or, for an error case, expects a failing exit status and AWS's error code.
# The services are independent and run side by side (the CLI's start-up dominates); their
# lines are printed service by service.
# Usage: tests/e2e/cli_services.sh ENDPOINT      (e.g. http://127.0.0.1:4567)
# Prints one line per check; the last line is "cli services: ok" and the exit status 0 on success.
set -euo pipefail

ENDPOINT="${1:?usage: cli_services.sh ENDPOINT}"
command -v aws >/dev/null || { echo "cli services: FAILED: the AWS CLI ('aws') is not installed (pip install awscli)" >&2; exit 1; }

# Credentials and region from the environment only; ignore any ~/.aws of the machine.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1
export AWS_CONFIG_FILE="$work/config" AWS_SHARED_CREDENTIALS_FILE="$work/credentials" AWS_PAGER=""
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_DEFAULT_PROFILE

ACCOUNT=123456789012
REGION=us-east-1
tag="$$-${RANDOM}"
cli() { aws --endpoint-url "$ENDPOINT" --output json "$@"; }
fail() { echo "cli services: FAILED: $*" >&2; exit 1; }
check() { echo "$1: ok"; }
# eq ACTUAL EXPECTED WHAT
eq() { [ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"; }
# expect_error CODE COMMAND...: the command must fail (a non-zero exit status) naming CODE.
expect_error() {
  local code="$1" out err
  shift
  out="$(mktemp -p "$work")" err="$(mktemp -p "$work")"
  if "$@" >"$out" 2>"$err"; then
    fail "expected $code from: $* (it succeeded: $(cat "$out"))"
  fi
  grep -q "($code)" "$err" || fail "expected $code from: $*; got: $(cat "$err")"
}
# js FILE EXPR: prints the Python expression EXPR over `d`, the JSON document in FILE (a tuple's
# items separated by spaces).
js() {
  python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
r = eval(sys.argv[2])
print(*r) if isinstance(r, tuple) else print(r)' "$1" "$2"
}

s3_checks() {
  local bucket="cli-services-${tag}" dir="$work/s3"
  mkdir -p "$dir/tree/logs/2024" "$dir/tree/logs/2025" "$dir/back"
  cli s3 mb "s3://$bucket" >/dev/null
  eq "$(cli s3 ls | awk -v b="$bucket" '$3 == b {print $3}')" "$bucket" "s3 ls after s3 mb"
  eq "$(cli s3api get-bucket-location --bucket "$bucket" --query LocationConstraint --output text)" None \
    "get-bucket-location of a us-east-1 bucket"
  check "s3 mb / s3 ls / s3api get-bucket-location"

  cli s3api put-bucket-tagging --bucket "$bucket" --tagging 'TagSet=[{Key=env,Value=test},{Key=team,Value=data}]'
  eq "$(cli s3api get-bucket-tagging --bucket "$bucket" --query 'TagSet[].[Key, Value]' --output text \
    | sort | tr '\t\n' '= ')" "env=test team=data " "get-bucket-tagging"
  cli s3api delete-bucket-tagging --bucket "$bucket"
  expect_error NoSuchTagSet cli s3api get-bucket-tagging --bucket "$bucket"
  check "s3api put-bucket-tagging / get-bucket-tagging (NoSuchTagSet once deleted)"

  printf 'hello from the cli\n' >"$dir/hello.txt"
  cli s3 cp "$dir/hello.txt" "s3://$bucket/docs/hello.txt" --content-type text/plain --metadata origin=cli \
    --only-show-errors
  eq "$(cli s3 cp "s3://$bucket/docs/hello.txt" -)" "hello from the cli" "s3 cp back to stdout"
  eq "$(cli s3api head-object --bucket "$bucket" --key docs/hello.txt \
    --query '[ContentLength, ContentType, Metadata.origin, ETag]' --output text)" \
    "19	text/plain	cli	\"$(md5sum "$dir/hello.txt" | cut -d' ' -f1)\"" "head-object"
  check "s3 cp up and down / s3api head-object"

  printf 'a' >"$dir/tree/logs/2024/a.log"
  printf 'b' >"$dir/tree/logs/2024/b.log"
  printf 'c' >"$dir/tree/logs/2025/c.log"
  printf 'top' >"$dir/tree/top.txt"
  cli s3 sync "$dir/tree" "s3://$bucket/tree/" --only-show-errors
  eq "$(cli s3 sync "$dir/tree" "s3://$bucket/tree/")" "" "a second s3 sync of unchanged files"
  cli s3 sync "s3://$bucket/tree/" "$dir/back" --only-show-errors
  eq "$(cat "$dir/back/logs/2024/a.log" "$dir/back/logs/2025/c.log" "$dir/back/top.txt")" "actop" "s3 sync down"
  check "s3 sync up, again (nothing to do) and down"

  cli s3api list-objects-v2 --bucket "$bucket" --prefix tree/logs/ --delimiter / --no-paginate >"$dir/list.json"
  eq "$(js "$dir/list.json" '" ".join(p["Prefix"] for p in d["CommonPrefixes"]), d["KeyCount"], "Contents" in d')" \
    "tree/logs/2024/ tree/logs/2025/ 2 False" "list-objects-v2 --prefix tree/logs/ --delimiter /"
  eq "$(cli s3api list-objects-v2 --bucket "$bucket" --prefix tree/ --delimiter / \
    --query '[CommonPrefixes[].Prefix, Contents[].Key]' --output text)" "tree/logs/
tree/top.txt" "list-objects-v2 --prefix tree/ --delimiter /"
  check "s3api list-objects-v2 --prefix/--delimiter"

  cli s3 mv "s3://$bucket/tree/top.txt" "s3://$bucket/moved/top.txt" --only-show-errors
  expect_error 404 cli s3api head-object --bucket "$bucket" --key tree/top.txt
  eq "$(cli s3 cp "s3://$bucket/moved/top.txt" -)" top "s3 mv destination"
  check "s3 mv"

  python3 -c 'import os, sys; open(sys.argv[1], "wb").write(os.urandom(9 * 1024 * 1024 + 123))' "$dir/big.bin"
  cli s3 cp "$dir/big.bin" "s3://$bucket/big.bin" --only-show-errors
  local etag
  etag="$(cli s3api head-object --bucket "$bucket" --key big.bin --query ETag --output text)"
  [[ "$etag" == *-2\" ]] || fail "a 9 MiB s3 cp should be a 2-part multipart upload; the ETag is $etag"
  cli s3 cp "s3://$bucket/big.bin" "$dir/big.back" --only-show-errors
  cmp -s "$dir/big.bin" "$dir/big.back" || fail "the multipart object does not read back byte for byte"
  check "s3 cp of 9 MiB (multipart upload, ETag $etag) reads back"

  local url
  url="$(cli s3 presign "s3://$bucket/docs/hello.txt" --expires-in 300)"
  eq "$(python3 -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1]).read().decode(), end="")' \
    "$url")" "hello from the cli" "GET of the presigned URL"
  check "s3 presign"

  expect_error 404 cli s3api head-object --bucket "$bucket" --key no/such/key
  expect_error NoSuchKey cli s3api get-object --bucket "$bucket" --key no/such/key "$dir/nothing"
  expect_error NoSuchBucket cli s3 ls "s3://$bucket-missing"
  check "s3 errors: 404 (head-object), NoSuchKey, NoSuchBucket"

  cli s3 rm "s3://$bucket/docs/hello.txt" --only-show-errors
  expect_error BucketNotEmpty cli s3 rb "s3://$bucket"
  cli s3 rb "s3://$bucket" --force >/dev/null
  expect_error 404 cli s3api head-bucket --bucket "$bucket"
  check "s3 rm / s3 rb (BucketNotEmpty) / s3 rb --force"
}

iam_checks() {
  local role="cli-services-role-${tag}" policy="cli-services-policy-${tag}" user="cli-services-user-${tag}"
  local dir="$work/iam" policy_arn user_key user_secret
  mkdir -p "$dir"
  local trust='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"firehose.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
  cat >"$dir/policy.json" <<'EOF'
{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::data/*"}]}
EOF
  cat >"$dir/policy2.json" <<'EOF'
{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::data"}]}
EOF
  eq "$(cli iam create-role --role-name "$role" --assume-role-policy-document "$trust" --description "cli role" \
    --query Role.Arn --output text)" "arn:aws:iam::$ACCOUNT:role/$role" "create-role ARN"
  eq "$(cli iam get-role --role-name "$role" \
    --query '[Role.AssumeRolePolicyDocument.Statement[0].Principal.Service, Role.Description, Role.MaxSessionDuration]' \
    --output text)" "firehose.amazonaws.com	cli role	3600" "get-role (the trust policy decoded)"
  check "iam create-role / get-role"

  cli iam put-role-policy --role-name "$role" --policy-name inline --policy-document "file://$dir/policy.json"
  eq "$(cli iam get-role-policy --role-name "$role" --policy-name inline \
    --query 'PolicyDocument.Statement[0].Action' --output text)" "s3:GetObject	s3:PutObject" "get-role-policy"
  check "iam put-role-policy / get-role-policy"

  policy_arn="$(cli iam create-policy --policy-name "$policy" --policy-document "file://$dir/policy.json" \
    --query Policy.Arn --output text)"
  eq "$policy_arn" "arn:aws:iam::$ACCOUNT:policy/$policy" "create-policy ARN"
  eq "$(cli iam create-policy-version --policy-arn "$policy_arn" --policy-document "file://$dir/policy2.json" \
    --set-as-default --query '[PolicyVersion.VersionId, PolicyVersion.IsDefaultVersion]' --output text)" \
    "v2	True" "create-policy-version --set-as-default"
  eq "$(cli iam list-policy-versions --policy-arn "$policy_arn" \
    --query 'sort_by(Versions, &VersionId)[].[VersionId, IsDefaultVersion]' --output text | tr '\t\n' ': ')" \
    "v1:False v2:True " "list-policy-versions"
  check "iam create-policy / create-policy-version / list-policy-versions"

  cli iam attach-role-policy --role-name "$role" --policy-arn "$policy_arn"
  eq "$(cli iam list-attached-role-policies --role-name "$role" --query 'AttachedPolicies[].PolicyArn' --output text)" \
    "$policy_arn" "list-attached-role-policies"
  eq "$(cli iam get-policy --policy-arn "$policy_arn" --query '[Policy.AttachmentCount, Policy.DefaultVersionId]' \
    --output text)" "1	v2" "get-policy after attach-role-policy"
  expect_error DeleteConflict cli iam delete-role --role-name "$role"
  expect_error DeleteConflict cli iam delete-policy --policy-arn "$policy_arn"
  check "iam attach-role-policy / list-attached-role-policies (DeleteConflict while in use)"

  eq "$(cli iam create-user --user-name "$user" --query User.Arn --output text)" \
    "arn:aws:iam::$ACCOUNT:user/$user" "create-user ARN"
  cli iam create-access-key --user-name "$user" >"$dir/key.json"
  user_key="$(js "$dir/key.json" 'd["AccessKey"]["AccessKeyId"]')"
  user_secret="$(js "$dir/key.json" 'd["AccessKey"]["SecretAccessKey"]')"
  eq "$(js "$dir/key.json" 'd["AccessKey"]["Status"], d["AccessKey"]["UserName"], len(d["AccessKey"]["SecretAccessKey"])')" \
    "Active $user 40" "create-access-key"
  eq "$(cli iam list-access-keys --user-name "$user" --query 'AccessKeyMetadata[].[AccessKeyId, Status]' --output text)" \
    "$user_key	Active" "list-access-keys"
  eq "$(AWS_ACCESS_KEY_ID="$user_key" AWS_SECRET_ACCESS_KEY="$user_secret" \
    cli sts get-caller-identity --query Arn --output text)" "arn:aws:iam::$ACCOUNT:user/$user" \
    "get-caller-identity signed with the new key"
  check "iam create-user / create-access-key / list-access-keys (the key signs requests)"

  cli iam delete-access-key --user-name "$user" --access-key-id "$user_key"
  expect_error InvalidClientTokenId env AWS_ACCESS_KEY_ID="$user_key" AWS_SECRET_ACCESS_KEY="$user_secret" \
    aws --endpoint-url "$ENDPOINT" sts get-caller-identity
  cli iam delete-user --user-name "$user"
  cli iam detach-role-policy --role-name "$role" --policy-arn "$policy_arn"
  cli iam delete-role-policy --role-name "$role" --policy-name inline
  cli iam delete-policy-version --policy-arn "$policy_arn" --version-id v1
  cli iam delete-policy --policy-arn "$policy_arn"
  cli iam delete-role --role-name "$role"
  expect_error NoSuchEntity cli iam get-role --role-name "$role"
  check "iam delete-access-key (the key stops signing) / delete-user / detach / delete-policy / delete-role"
}

sts_checks() {
  local role="cli-services-sts-${tag}" dir="$work/sts"
  mkdir -p "$dir"
  eq "$(cli sts get-caller-identity --query '[Account, Arn, UserId]' --output text)" \
    "$ACCOUNT	arn:aws:iam::$ACCOUNT:root	$ACCOUNT" "get-caller-identity of the root keys"
  check "sts get-caller-identity"

  cli iam create-role --role-name "$role" --assume-role-policy-document \
    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::$ACCOUNT:root\"},\"Action\":\"sts:AssumeRole\"}]}" \
    >/dev/null
  cli sts assume-role --role-arn "arn:aws:iam::$ACCOUNT:role/$role" --role-session-name cli-session \
    --duration-seconds 900 >"$dir/session.json"
  eq "$(js "$dir/session.json" 'd["AssumedRoleUser"]["Arn"], d["Credentials"]["AccessKeyId"][:4]')" \
    "arn:aws:sts::$ACCOUNT:assumed-role/$role/cli-session ASIA" "assume-role"
  eq "$(AWS_ACCESS_KEY_ID="$(js "$dir/session.json" 'd["Credentials"]["AccessKeyId"]')" \
    AWS_SECRET_ACCESS_KEY="$(js "$dir/session.json" 'd["Credentials"]["SecretAccessKey"]')" \
    AWS_SESSION_TOKEN="$(js "$dir/session.json" 'd["Credentials"]["SessionToken"]')" \
    cli sts get-caller-identity --query Arn --output text)" "arn:aws:sts::$ACCOUNT:assumed-role/$role/cli-session" \
    "get-caller-identity with the session credentials"
  expect_error AccessDenied cli sts assume-role --role-arn "arn:aws:iam::$ACCOUNT:role/$role-missing" \
    --role-session-name cli-session
  expect_error ValidationError cli sts assume-role --role-arn "arn:aws:iam::$ACCOUNT:role/$role" \
    --role-session-name cli-session --duration-seconds 7200
  cli iam delete-role --role-name "$role"
  check "sts assume-role (the credentials sign requests; AccessDenied, ValidationError)"

  eq "$(cli sts get-access-key-info --access-key-id AKIAIOSFODNN7EXAMPLE --query Account --output text)" "$ACCOUNT" \
    "get-access-key-info"
  check "sts get-access-key-info"
}

kms_checks() {
  local dir="$work/kms" alias="alias/cli-services-${tag}" key_id key_arn plaintext key
  mkdir -p "$dir"
  key_id="$(cli kms create-key --description "cli key $tag" --tags TagKey=team,TagValue=data \
    --query KeyMetadata.KeyId --output text)"
  key_arn="arn:aws:kms:$REGION:$ACCOUNT:key/$key_id"
  eq "$(cli kms describe-key --key-id "$key_id" \
    --query 'KeyMetadata.[Arn, KeyState, KeyUsage, KeySpec, KeyManager, Description]' --output text)" \
    "$key_arn	Enabled	ENCRYPT_DECRYPT	SYMMETRIC_DEFAULT	CUSTOMER	cli key $tag" "describe-key"
  check "kms create-key / describe-key"

  cli kms create-alias --alias-name "$alias" --target-key-id "$key_id"
  eq "$(cli kms list-aliases --key-id "$key_id" --query 'Aliases[].[AliasName, AliasArn, TargetKeyId]' --output text)" \
    "$alias	arn:aws:kms:$REGION:$ACCOUNT:$alias	$key_id" "list-aliases --key-id"
  check "kms create-alias / list-aliases"

  printf 'top secret payload' >"$dir/plain.txt"
  cli kms encrypt --key-id "$alias" --plaintext "fileb://$dir/plain.txt" --query CiphertextBlob --output text \
    | base64 -d >"$dir/cipher.bin"
  read -r plaintext key < <(cli kms decrypt --ciphertext-blob "fileb://$dir/cipher.bin" \
    --query '[Plaintext, KeyId]' --output text)
  eq "$(printf '%s' "$plaintext" | base64 -d)" "top secret payload" "decrypt of encrypt"
  eq "$key" "$key_arn" "the key decrypt names"
  cli kms encrypt --key-id "$key_id" --plaintext "fileb://$dir/plain.txt" --encryption-context purpose=test \
    --query CiphertextBlob --output text | base64 -d >"$dir/cipher-ctx.bin"
  expect_error InvalidCiphertextException cli kms decrypt --ciphertext-blob "fileb://$dir/cipher-ctx.bin"
  eq "$(cli kms decrypt --ciphertext-blob "fileb://$dir/cipher-ctx.bin" --encryption-context purpose=test \
    --query Plaintext --output text | base64 -d)" "top secret payload" "decrypt with the encryption context"
  check "kms encrypt / decrypt with fileb:// and base64 -d (the encryption context is enforced)"

  cli kms generate-data-key --key-id "$alias" --key-spec AES_256 >"$dir/datakey.json"
  js "$dir/datakey.json" 'd["CiphertextBlob"]' | base64 -d >"$dir/datakey.bin"
  eq "$(js "$dir/datakey.json" 'len(__import__("base64").b64decode(d["Plaintext"])), d["KeyId"]')" \
    "32 $key_arn" "generate-data-key AES_256"
  eq "$(cli kms decrypt --ciphertext-blob "fileb://$dir/datakey.bin" --query Plaintext --output text)" \
    "$(js "$dir/datakey.json" 'd["Plaintext"]')" "decrypt of the data key"
  check "kms generate-data-key (the wrapped key decrypts to the plaintext key)"

  cli kms enable-key-rotation --key-id "$key_id"
  eq "$(cli kms get-key-rotation-status --key-id "$key_id" --query '[KeyRotationEnabled, RotationPeriodInDays]' \
    --output text)" "True	365" "get-key-rotation-status"
  check "kms enable-key-rotation / get-key-rotation-status"

  eq "$(cli kms schedule-key-deletion --key-id "$key_id" --pending-window-in-days 7 \
    --query '[KeyState, PendingWindowInDays]' --output text)" "PendingDeletion	7" "schedule-key-deletion"
  expect_error KMSInvalidStateException cli kms encrypt --key-id "$key_id" --plaintext "fileb://$dir/plain.txt"
  cli kms cancel-key-deletion --key-id "$key_id" >/dev/null
  eq "$(cli kms describe-key --key-id "$key_id" --query 'KeyMetadata.[KeyState, Enabled]' --output text)" \
    "Disabled	False" "the key after cancel-key-deletion"
  cli kms delete-alias --alias-name "$alias"
  expect_error NotFoundException cli kms describe-key --key-id "$alias"
  check "kms schedule-key-deletion (KMSInvalidStateException) / cancel-key-deletion / delete-alias (NotFoundException)"
}

firehose_checks() {
  local dir="$work/firehose" stream="cli-services-${tag}" role="cli-services-firehose-${tag}"
  local bucket_arn="arn:aws:s3:::cli-services-lake" role_arn status="" gone=""
  mkdir -p "$dir"
  role_arn="$(cli iam create-role --role-name "$role" --assume-role-policy-document \
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"firehose.amazonaws.com"},"Action":"sts:AssumeRole"}]}' \
    --query Role.Arn --output text)"
  eq "$(cli firehose create-delivery-stream --delivery-stream-name "$stream" --delivery-stream-type DirectPut \
    --extended-s3-destination-configuration \
    "RoleARN=$role_arn,BucketARN=$bucket_arn,Prefix=raw/,ErrorOutputPrefix=errors/,BufferingHints={SizeInMBs=5,IntervalInSeconds=60},CompressionFormat=GZIP" \
    --tags Key=env,Value=test --query DeliveryStreamARN --output text)" \
    "arn:aws:firehose:$REGION:$ACCOUNT:deliverystream/$stream" "create-delivery-stream ARN"
  sleep 1
  for _ in $(seq 1 50); do
    cli firehose describe-delivery-stream --delivery-stream-name "$stream" >"$dir/describe.json"
    status="$(js "$dir/describe.json" 'd["DeliveryStreamDescription"]["DeliveryStreamStatus"]')"
    [ "$status" = ACTIVE ] && break
    sleep 0.2
  done
  eq "$status" ACTIVE "the delivery stream's status"
  eq "$(python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))["DeliveryStreamDescription"]
x = s["Destinations"][0]["ExtendedS3DestinationDescription"]
print(s["DeliveryStreamType"], s["VersionId"], s["Destinations"][0]["DestinationId"], x["BucketARN"], x["Prefix"],
      x["ErrorOutputPrefix"], x["BufferingHints"]["SizeInMBs"], x["CompressionFormat"], x["RoleARN"] == sys.argv[2])' \
    "$dir/describe.json" "$role_arn")" \
    "DirectPut 1 destinationId-000000000001 $bucket_arn raw/ errors/ 5 GZIP True" "describe-delivery-stream"
  check "firehose create-delivery-stream (extended S3) -> ACTIVE / describe-delivery-stream"

  cli firehose list-delivery-streams --limit 10000 >"$dir/list.json"
  eq "$(js "$dir/list.json" '"'"$stream"'" in d["DeliveryStreamNames"]')" True "list-delivery-streams"
  cli firehose tag-delivery-stream --delivery-stream-name "$stream" --tags Key=team,Value=data
  eq "$(cli firehose list-tags-for-delivery-stream --delivery-stream-name "$stream" \
    --query 'Tags[].[Key, Value]' --output text | sort | tr '\t\n' '= ')" "env=test team=data " \
    "list-tags-for-delivery-stream"
  check "firehose list-delivery-streams / tag-delivery-stream / list-tags-for-delivery-stream"

  cli firehose update-destination --delivery-stream-name "$stream" --current-delivery-stream-version-id 1 \
    --destination-id destinationId-000000000001 \
    --extended-s3-destination-update 'Prefix=curated/,BufferingHints={SizeInMBs=64,IntervalInSeconds=300}'
  eq "$(cli firehose describe-delivery-stream --delivery-stream-name "$stream" --query \
    'DeliveryStreamDescription.[VersionId, Destinations[0].ExtendedS3DestinationDescription.[Prefix, BufferingHints.SizeInMBs, CompressionFormat]]' \
    --output text | tr '\t\n' '  ')" "2 curated/ 64 GZIP " "describe-delivery-stream after update-destination"
  expect_error ConcurrentModificationException cli firehose update-destination --delivery-stream-name "$stream" \
    --current-delivery-stream-version-id 1 --destination-id destinationId-000000000001 \
    --extended-s3-destination-update 'Prefix=stale/'
  check "firehose update-destination (version 2; a stale version id is ConcurrentModificationException)"

  expect_error ResourceInUseException cli firehose create-delivery-stream --delivery-stream-name "$stream" \
    --extended-s3-destination-configuration "RoleARN=$role_arn,BucketARN=$bucket_arn"
  cli firehose delete-delivery-stream --delivery-stream-name "$stream"
  for _ in $(seq 1 50); do
    if ! cli firehose describe-delivery-stream --delivery-stream-name "$stream" >/dev/null 2>"$dir/err"; then
      grep -q ResourceNotFoundException "$dir/err" || fail "unexpected error: $(cat "$dir/err")"
      gone=yes
      break
    fi
    sleep 0.2
  done
  [ -n "$gone" ] || fail "the delivery stream still exists after delete-delivery-stream"
  cli iam delete-role --role-name "$role"
  check "firehose delete-delivery-stream (then ResourceNotFoundException; ResourceInUseException)"
}

cloudwatch_checks() {
  local dir="$work/cloudwatch" alarm="cli-services-${tag}" namespace="CliServices/${tag}"
  local actions="arn:aws:sns:$REGION:$ACCOUNT:cli-services-alarms" alarm_arn now start end
  mkdir -p "$dir"
  alarm_arn="arn:aws:cloudwatch:$REGION:$ACCOUNT:alarm:$alarm"
  cli cloudwatch put-metric-alarm --alarm-name "$alarm" --namespace "$namespace" --metric-name Latency \
    --dimensions Name=Host,Value=h1 --statistic Average --period 60 --evaluation-periods 2 --threshold 80 \
    --comparison-operator GreaterThanThreshold --alarm-actions "$actions" --tags Key=env,Value=test
  eq "$(cli cloudwatch describe-alarms --alarm-names "$alarm" --query \
    'MetricAlarms[0].[AlarmArn, StateValue, Threshold, EvaluationPeriods, AlarmActions[0], Dimensions[0].Value]' \
    --output text)" "$alarm_arn	INSUFFICIENT_DATA	80.0	2	$actions	h1" "describe-alarms"
  check "cloudwatch put-metric-alarm / describe-alarms"

  cli cloudwatch set-alarm-state --alarm-name "$alarm" --state-value ALARM --state-reason "cli test"
  eq "$(cli cloudwatch describe-alarms --state-value ALARM --alarm-name-prefix "$alarm" \
    --query 'MetricAlarms[].[AlarmName, StateValue, StateReason]' --output text)" "$alarm	ALARM	cli test" \
    "describe-alarms --state-value ALARM after set-alarm-state"
  eq "$(cli cloudwatch describe-alarm-history --alarm-name "$alarm" --history-item-type StateUpdate \
    --query 'AlarmHistoryItems[0].HistorySummary' --output text)" "Alarm updated from INSUFFICIENT_DATA to ALARM" \
    "describe-alarm-history"
  expect_error ResourceNotFound cli cloudwatch set-alarm-state --alarm-name "$alarm-missing" --state-value OK \
    --state-reason x
  check "cloudwatch set-alarm-state / describe-alarm-history (ResourceNotFound)"

  cli cloudwatch tag-resource --resource-arn "$alarm_arn" --tags Key=team,Value=data
  eq "$(cli cloudwatch list-tags-for-resource --resource-arn "$alarm_arn" --query 'Tags[].[Key, Value]' \
    --output text | sort | tr '\t\n' '= ')" "env=test team=data " "list-tags-for-resource"
  check "cloudwatch tag-resource / list-tags-for-resource"

  cli cloudwatch put-metric-data --namespace "$namespace" --metric-data \
    'MetricName=Latency,Dimensions=[{Name=Host,Value=h1}],Value=10,Unit=Milliseconds' \
    'MetricName=Latency,Dimensions=[{Name=Host,Value=h1}],Value=30,Unit=Milliseconds'
  eq "$(cli cloudwatch list-metrics --namespace "$namespace" \
    --query 'Metrics[].[MetricName, Dimensions[0].Name, Dimensions[0].Value]' --output text)" "Latency	Host	h1" \
    "list-metrics"
  now="$(date -u +%s)"
  start="$(date -u -d "@$((now - 600))" +%Y-%m-%dT%H:%M:%SZ)"
  end="$(date -u -d "@$((now + 600))" +%Y-%m-%dT%H:%M:%SZ)"
  eq "$(cli cloudwatch get-metric-statistics --namespace "$namespace" --metric-name Latency \
    --dimensions Name=Host,Value=h1 --start-time "$start" --end-time "$end" --period 3600 \
    --statistics Average Maximum Sum SampleCount \
    --query 'Datapoints[0].[Average, Maximum, Sum, SampleCount, Unit]' --output text)" \
    "20.0	30.0	40.0	2.0	Milliseconds" "get-metric-statistics"
  cat >"$dir/queries.json" <<EOF
[{"Id": "m1", "MetricStat": {"Metric": {"Namespace": "$namespace", "MetricName": "Latency",
   "Dimensions": [{"Name": "Host", "Value": "h1"}]}, "Period": 3600, "Stat": "Sum"}},
 {"Id": "doubled", "Expression": "m1 * 2", "Label": "doubled"}]
EOF
  eq "$(cli cloudwatch get-metric-data --metric-data-queries "file://$dir/queries.json" --start-time "$start" \
    --end-time "$end" --query 'MetricDataResults[].[Id, StatusCode, Values[0]]' --output text | tr '\t\n' '  ')" \
    "m1 Complete 40.0 doubled Complete 80.0 " "get-metric-data"
  check "cloudwatch put-metric-data / list-metrics / get-metric-statistics / get-metric-data"

  cli cloudwatch delete-alarms --alarm-names "$alarm"
  eq "$(cli cloudwatch describe-alarms --alarm-names "$alarm" --query 'length(MetricAlarms)' --output text)" 0 \
    "describe-alarms after delete-alarms"
  check "cloudwatch delete-alarms"
}

logs_checks() {
  local group="/cli-services/${tag}" ms
  cli logs create-log-group --log-group-name "$group" --tags env=test
  cli logs put-retention-policy --log-group-name "$group" --retention-in-days 7
  eq "$(cli logs describe-log-groups --log-group-name-prefix "$group" \
    --query 'logGroups[0].[logGroupName, retentionInDays, arn, logGroupClass]' --output text)" \
    "$group	7	arn:aws:logs:$REGION:$ACCOUNT:log-group:$group:*	STANDARD" "describe-log-groups"
  eq "$(cli logs list-tags-log-group --log-group-name "$group" --query tags.env --output text)" test \
    "list-tags-log-group"
  expect_error InvalidParameterException cli logs put-retention-policy --log-group-name "$group" \
    --retention-in-days 8
  expect_error ResourceAlreadyExistsException cli logs create-log-group --log-group-name "$group"
  check "logs create-log-group / put-retention-policy / describe-log-groups (InvalidParameterException, ResourceAlreadyExistsException)"

  cli logs create-log-stream --log-group-name "$group" --log-stream-name app
  ms="$(($(date +%s) * 1000))"
  cli logs put-log-events --log-group-name "$group" --log-stream-name app --log-events \
    "timestamp=$ms,message=starting up" "timestamp=$((ms + 1)),message=ERROR disk full" \
    "timestamp=$((ms + 2)),message=INFO recovered" >/dev/null
  eq "$(cli logs get-log-events --log-group-name "$group" --log-stream-name app --start-from-head \
    --query 'events[].message' --output text)" "starting up	ERROR disk full	INFO recovered" "get-log-events"
  eq "$(cli logs describe-log-streams --log-group-name "$group" \
    --query 'logStreams[0].[logStreamName, firstEventTimestamp, lastEventTimestamp]' --output text)" \
    "app	$ms	$((ms + 2))" "describe-log-streams"
  check "logs create-log-stream / put-log-events / get-log-events / describe-log-streams"

  eq "$(cli logs filter-log-events --log-group-name "$group" --filter-pattern ERROR \
    --query 'events[].[logStreamName, message]' --output text)" "app	ERROR disk full" "filter-log-events ERROR"
  check "logs filter-log-events"

  expect_error ResourceNotFoundException cli logs get-log-events --log-group-name "$group" --log-stream-name missing
  cli logs delete-log-group --log-group-name "$group"
  expect_error ResourceNotFoundException cli logs describe-log-streams --log-group-name "$group"
  check "logs delete-log-group (ResourceNotFoundException)"
}

sns_checks() {
  local dir="$work/sns" topic="cli-services-${tag}" topic_arn sub_arn="" sink_pid sink_url message_id
  mkdir -p "$dir"
  # The HTTP subscriber: records every POST (headers and body) and confirms a subscription by
  # visiting its SubscribeURL, as an application endpoint does.
  cat >"$dir/sink.py" <<'EOF'
import http.server, json, os, sys, threading, urllib.request

out, port_file = sys.argv[1], sys.argv[2]

class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw
        with open(out, "a") as f:
            f.write(json.dumps({"headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}) + "\n")
        self.send_response(200)
        self.end_headers()
        if isinstance(body, dict) and body.get("Type") == "SubscriptionConfirmation":
            threading.Thread(target=lambda: urllib.request.urlopen(body["SubscribeURL"], timeout=10).read()).start()

    def log_message(self, *args):
        pass

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
EOF
  : >"$dir/deliveries.jsonl"
  python3 "$dir/sink.py" "$dir/deliveries.jsonl" "$dir/sink.port" &
  sink_pid=$!
  # shellcheck disable=SC2064 # the pid is known now
  trap "kill $sink_pid 2>/dev/null || true" EXIT
  for _ in $(seq 1 50); do [ -s "$dir/sink.port" ] && break; sleep 0.1; done
  [ -s "$dir/sink.port" ] || fail "the HTTP subscriber did not start"
  sink_url="http://127.0.0.1:$(cat "$dir/sink.port")/sns"
  # delivered CONDITION: waits (10 s at most) for a delivery whose headers h and body b satisfy CONDITION.
  delivered() {
    for _ in $(seq 1 100); do
      if python3 -c '
import json, sys
for line in open(sys.argv[1]):
    m = json.loads(line)
    h, b = m["headers"], m["body"]
    if eval("(" + sys.argv[2] + ")"):
        sys.exit(0)
sys.exit(1)' "$dir/deliveries.jsonl" "$1"; then return 0; fi
      sleep 0.1
    done
    fail "no delivery to the HTTP subscriber matching: $1"
  }

  topic_arn="$(cli sns create-topic --name "$topic" --tags Key=env,Value=test --query TopicArn --output text)"
  eq "$topic_arn" "arn:aws:sns:$REGION:$ACCOUNT:$topic" "create-topic ARN"
  eq "$(cli sns create-topic --name "$topic" --query TopicArn --output text)" "$topic_arn" "create-topic again"
  cli sns set-topic-attributes --topic-arn "$topic_arn" --attribute-name DisplayName --attribute-value "CLI topic"
  eq "$(cli sns get-topic-attributes --topic-arn "$topic_arn" \
    --query 'Attributes.[DisplayName, Owner, TopicArn, SubscriptionsConfirmed]' --output text)" \
    "CLI topic	$ACCOUNT	$topic_arn	0" "get-topic-attributes"
  check "sns create-topic (idempotent) / set-topic-attributes / get-topic-attributes"

  eq "$(cli sns subscribe --topic-arn "$topic_arn" --protocol http --notification-endpoint "$sink_url" \
    --query SubscriptionArn --output text)" "pending confirmation" "subscribe's answer before the confirmation"
  delivered 'h.get("x-amz-sns-message-type") == "SubscriptionConfirmation" and b["TopicArn"] == "'"$topic_arn"'"'
  for _ in $(seq 1 50); do
    sub_arn="$(cli sns list-subscriptions-by-topic --topic-arn "$topic_arn" \
      --query 'Subscriptions[0].[SubscriptionArn, Protocol, Endpoint, Owner]' --output text)"
    [[ "$sub_arn" == "$topic_arn":* ]] && break
    sleep 0.2
  done
  eq "${sub_arn#*	}" "http	$sink_url	$ACCOUNT" "list-subscriptions-by-topic"
  sub_arn="${sub_arn%%	*}"
  [[ "$sub_arn" == "$topic_arn":* ]] || fail "the subscription was not confirmed: $sub_arn"
  eq "$(cli sns get-subscription-attributes --subscription-arn "$sub_arn" \
    --query 'Attributes.[Protocol, Endpoint, PendingConfirmation, RawMessageDelivery]' --output text)" \
    "http	$sink_url	false	false" "get-subscription-attributes"
  check "sns subscribe http (confirmed through the SubscribeURL) / list-subscriptions-by-topic"

  message_id="$(cli sns publish --topic-arn "$topic_arn" --subject "cli subject" --message "hello subscribers" \
    --message-attributes '{"kind":{"DataType":"String","StringValue":"greeting"}}' --query MessageId --output text)"
  delivered 'h.get("x-amz-sns-message-type") == "Notification" and b.get("MessageId") == "'"$message_id"'"
    and b["Message"] == "hello subscribers" and b["Subject"] == "cli subject" and b["TopicArn"] == "'"$topic_arn"'"
    and b["MessageAttributes"] == {"kind": {"Type": "String", "Value": "greeting"}}
    and h.get("x-amz-sns-subscription-arn") == "'"$sub_arn"'" and bool(b.get("Signature"))
    and b.get("UnsubscribeURL", "").endswith("SubscriptionArn='"$sub_arn"'")'
  check "sns publish (delivered to the HTTP subscriber in the signed envelope)"

  cli sns unsubscribe --subscription-arn "$sub_arn"
  eq "$(cli sns list-subscriptions-by-topic --topic-arn "$topic_arn" --query 'length(Subscriptions)' --output text)" \
    0 "list-subscriptions-by-topic after unsubscribe"
  check "sns unsubscribe"

  cli sns delete-topic --topic-arn "$topic_arn"
  expect_error NotFound cli sns get-topic-attributes --topic-arn "$topic_arn"
  cli sns delete-topic --topic-arn "$topic_arn"
  check "sns delete-topic (idempotent; NotFound afterwards)"
}

sections=(s3_checks iam_checks sts_checks kms_checks firehose_checks cloudwatch_checks logs_checks sns_checks)
pids=()
for section in "${sections[@]}"; do
  (
    trap - EXIT
    "$section"
  ) >"$work/$section.out" 2>"$work/$section.err" &
  pids+=("$!")
done
failed=()
for i in "${!sections[@]}"; do
  wait "${pids[$i]}" || failed+=("${sections[$i]}")
done
for section in "${sections[@]}"; do
  cat "$work/$section.out"
  cat "$work/$section.err" >&2
done
[ "${#failed[@]}" -eq 0 ] || fail "${failed[*]}"
echo "cli services: ok"
