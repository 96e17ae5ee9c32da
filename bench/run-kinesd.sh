#!/usr/bin/env bash
# Builds kinesd and kinesd-bench (release), starts kinesd alone on a free
# loopback port with a scratch data directory, runs the bench against it
# with the arguments given (plus --server-pid), then stops the server and
# removes the scratch directory.
#
#   bench/run-kinesd.sh --workload all --json /tmp/kinesd-bench.json
#
# KINESD_LIMITS is kinesd's --limits: `off` (default here) measures raw
# speed; `aws` throttles as AWS does (1,000 records/s and 1 MiB/s of writes,
# 5 reads/s per shard), which caps put-batch at 1,000 records/s per shard.
# KINESD_ARGS adds server options (e.g. KINESD_ARGS="--durability none").
# SKIP_BUILD=1 uses the binaries already in target/release.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  # One after the other: two cargo builds at once only fight for the cores.
  cargo build --release -p kinesd
  cargo build --release -p bench
fi

scratch=$(mktemp -d /tmp/kinesd-bench.XXXXXX)
server_pid=
cleanup() {
  if [[ -n "$server_pid" ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$scratch"
}
trap cleanup EXIT

# --shard-limit 2000: many-shards needs 1,000 shards beside the other streams.
# shellcheck disable=SC2086
RUST_LOG=${RUST_LOG:-warn} target/release/kinesd serve --listen 127.0.0.1:0 \
  --data-dir "$scratch/data" --transition-delay-ms 0 --shard-limit 2000 \
  --limits "${KINESD_LIMITS:-off}" ${KINESD_ARGS:-} \
  >"$scratch/stdout" 2>"$scratch/stderr" &
server_pid=$!

# Wait (at most 10 s) for the "kinesd listening on http://ADDR" line.
for _ in $(seq 100); do
  grep -q 'listening on' "$scratch/stdout" 2>/dev/null && break
  sleep 0.1
done
addr=$(sed -n 's#^kinesd listening on http://##p' "$scratch/stdout" | head -1)
if [[ -z "$addr" ]]; then
  echo "kinesd did not start:" >&2
  cat "$scratch/stderr" >&2
  exit 2
fi
echo "kinesd $server_pid on $addr (data in $scratch/data)" >&2

target/release/kinesd-bench --endpoint "http://$addr" --server-pid "$server_pid" "$@"
