#!/usr/bin/env bash
# Side-by-side comparison of kinesd with its peers (kinesalite, kinesis-mock,
# ferrokinesis in memory and with --state-dir, moto), one server at a time on 127.0.0.1, all driven by the
# same client (kinesd-bench), and BENCHMARKS.md + bench/benchmarks.svg
# written from the results.
#
#   bench/compare.sh                 # every peer, 5 s per load phase
#   PEERS="kinesd kinesalite" PHASE_SECONDS=10 bench/compare.sh
#
# The peers are installed once into $PEERS_DIR (default /tmp/kinesd-peers,
# outside the repo) and reused: npm kinesalite and kinesis-local
# (kinesis-mock), moto[server] in a venv, and `cargo install ferrokinesis`
# (a build of several minutes, done only when the binary is missing).
#
# Per peer: startup time (spawn -> first successful ListStreams), RSS idle
# and after the load (/proc/PID/status), the workloads put-batch, drain,
# put-single, e2e-poll and e2e-push (a workload the peer cannot serve is
# recorded with the peer's error), and the kill -9 check: durability-write
# runs put-batch, the server is killed with SIGKILL mid-write, restarted on
# the same data directory, and durability-check reads back what survived.
# kinesd also gets the throttle check with its default AWS limits.
#
# Environment: PEERS, PHASE_SECONDS (5), PEERS_DIR, SKIP_BUILD=1 (reuse
# target/release), NO_REPORT=1 (keep the results, do not write BENCHMARKS.md).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

PEERS=${PEERS:-"kinesd kinesalite kinesis-mock ferrokinesis ferrokinesis-durable moto"}
PHASE_SECONDS=${PHASE_SECONDS:-5}
PEERS_DIR=${PEERS_DIR:-/tmp/kinesd-peers}
# When the endpoint is killed this many seconds into durability-write's load.
KILL_AFTER_SECONDS=3
# Bound of every wait for a server to answer ListStreams.
READY_SECONDS=90
# How long a server may take to exit after SIGTERM before it gets SIGKILL.
STOP_SECONDS=10

bench_bin=$repo/target/release/kinesd-bench
kinesd_bin=$repo/target/release/kinesd
npm_dir=$PEERS_DIR/npm
venv=$PEERS_DIR/moto-venv
ferro_root=$PEERS_DIR/ferro
results=$PEERS_DIR/results/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$results"
log() { echo "compare: $*" >&2; }

# ---- install -------------------------------------------------------------
install_peers() {
  if [[ ! -f $npm_dir/node_modules/kinesalite/cli.js || ! -f $npm_dir/node_modules/kinesis-local/main.js ]]; then
    log "installing kinesalite and kinesis-local (npm) into $npm_dir"
    npm install --silent --prefix "$npm_dir" kinesalite kinesis-local >&2
  fi
  if [[ ! -x $venv/bin/moto_server ]]; then
    log "installing moto[server] (pip) into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet 'moto[server]' >&2
  fi
  if [[ ! -x $ferro_root/bin/ferrokinesis && " $PEERS " == *" ferrokinesis"* ]]; then
    log "building ferrokinesis (cargo install, several minutes) into $ferro_root"
    CARGO_TARGET_DIR=$PEERS_DIR/ferro-target timeout 3600 cargo install --quiet ferrokinesis --root "$ferro_root" >&2 ||
      log "cargo install ferrokinesis failed; it is skipped"
  fi
}

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  # One after the other: two cargo builds at once only fight for the cores.
  cargo build --release -p kinesd
  cargo build --release -p bench
fi
install_peers

# ---- per-peer commands ---------------------------------------------------
# start_cmd PEER PORT DATA: the command line that serves PEER on PORT with
# its data (where it has persistence) in DATA, run with exec so that the
# pid is the server's own.
start_cmd() {
  local peer=$1 port=$2 data=$3
  case $peer in
    kinesd) echo "$kinesd_bin serve --listen 127.0.0.1:$port --data-dir $data --transition-delay-ms 0 --shard-limit 2000 --limits off --durability always" ;;
    kinesd-aws-limits) echo "$kinesd_bin serve --listen 127.0.0.1:$port --data-dir $data --transition-delay-ms 0 --limits aws" ;;
    kinesalite) echo "node $npm_dir/node_modules/kinesalite/cli.js --port $port --path $data --createStreamMs 0 --deleteStreamMs 0 --updateStreamMs 0 --shardLimit 2000" ;;
    kinesis-mock) echo "env KINESIS_MOCK_PLAIN_PORT=$port KINESIS_MOCK_TLS_PORT=$((port + 1)) SHOULD_PERSIST_DATA=true PERSIST_PATH=$data CREATE_STREAM_DURATION=0ms DELETE_STREAM_DURATION=0ms REGISTER_STREAM_CONSUMER_DURATION=0ms DEREGISTER_STREAM_CONSUMER_DURATION=0ms SHARD_LIMIT=2000 LOG_LEVEL=WARN KINESIS_MOCK_CERT_PATH=$npm_dir/node_modules/kinesis-local/server.json node $npm_dir/node_modules/kinesis-local/main.js" ;;
    ferrokinesis) echo "$ferro_root/bin/ferrokinesis --port $port --create-stream-ms 0 --delete-stream-ms 0 --update-stream-ms 0 --shard-limit 2000 --log-level warn" ;;
    ferrokinesis-durable) echo "$ferro_root/bin/ferrokinesis --port $port --create-stream-ms 0 --delete-stream-ms 0 --update-stream-ms 0 --shard-limit 2000 --log-level warn --state-dir $data" ;;
    moto) echo "$venv/bin/moto_server -H 127.0.0.1 -p $port" ;;
    *) return 1 ;;
  esac
}

peer_version() {
  case $1 in
    kinesd*) echo "kinesd $(git -C "$repo" rev-parse --short HEAD)$(git -C "$repo" diff --quiet || echo '+changes')" ;;
    kinesalite) echo "kinesalite $(node -p "require('$npm_dir/node_modules/kinesalite/package.json').version")" ;;
    kinesis-mock) echo "kinesis-mock (npm kinesis-local $(node -p "require('$npm_dir/node_modules/kinesis-local/package.json').version"))" ;;
    ferrokinesis) echo "$(cargo install --list --root "$ferro_root" | sed -n 's/^ferrokinesis \(v[^:]*\):$/ferrokinesis \1/p') in memory" ;;
    ferrokinesis-durable) echo "$(cargo install --list --root "$ferro_root" | sed -n 's/^ferrokinesis \(v[^:]*\):$/ferrokinesis \1/p') --state-dir" ;;
    moto) echo "moto $("$venv/bin/python" -c 'import moto; print(moto.__version__)')" ;;
  esac
}

peer_available() {
  case $1 in
    ferrokinesis*) [[ -x $ferro_root/bin/ferrokinesis ]] ;;
    *) true ;;
  esac
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rss_mb() { awk '/^VmRSS:/ {printf "%.1f", $2/1024}' "/proc/$1/status" 2>/dev/null || echo -; }

server_pid=
# start_server PEER PORT DATA LOGFILE: spawns it and waits for ListStreams;
# prints the startup time in ms (spawn -> first successful ListStreams).
start_server() {
  local peer=$1 port=$2 data=$3 logfile=$4 cmd t0 ready
  cmd=$(start_cmd "$peer" "$port" "$data")
  echo "$cmd" >"$logfile.cmd"
  t0=$(date +%s%3N)
  # shellcheck disable=SC2086
  RUST_LOG=warn exec_in_background $cmd >>"$logfile" 2>&1
  ready=$("$bench_bin" --endpoint "http://127.0.0.1:$port" --wait-ready-seconds "$READY_SECONDS" | sed -n 's/^ready_unix_ms //p')
  if [[ -z $ready ]]; then
    log "$peer did not answer ListStreams within $READY_SECONDS s; its log:"
    tail -20 "$logfile" >&2
    return 1
  fi
  echo $((ready - t0))
}
exec_in_background() {
  "$@" &
  server_pid=$!
}
# Sets server_pid without a subshell (start_server runs in $(...) otherwise).
start_server_here() {
  local out
  out=$(mktemp)
  start_server "$@" >"$out" || { rm -f "$out"; return 1; }
  startup_ms=$(cat "$out")
  rm -f "$out"
}

stop_server() {
  local signal=${1:-TERM}
  [[ -z $server_pid ]] && return 0
  kill "-$signal" "$server_pid" 2>/dev/null || true
  for _ in $(seq $((STOP_SECONDS * 10))); do
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -9 "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=
}
trap 'stop_server KILL' EXIT

# ---- the run -------------------------------------------------------------
bench() { "$bench_bin" --endpoint "http://127.0.0.1:$port" --quiet "$@"; }
meta() { printf '%s\t%s\n' "$2" "$3" >>"$results/$1.meta"; }

run_peer() {
  local peer=$1 data=$PEERS_DIR/data/$1 logfile=$results/$1.log
  rm -rf "$data" && mkdir -p "$data"
  port=$(free_port)
  meta "$peer" version "$(peer_version "$peer")"
  log "$peer: starting on 127.0.0.1:$port"
  if ! start_server_here "$peer" "$port" "$data" "$logfile"; then
    meta "$peer" error "did not start"
    stop_server KILL
    return 0
  fi
  meta "$peer" command "$(cat "$logfile.cmd")"
  meta "$peer" startup_ms "$startup_ms"
  sleep 1
  meta "$peer" rss_idle_mb "$(rss_mb "$server_pid")"

  local load=(--seconds "$PHASE_SECONDS" --drain-seconds 120 --server-pid "$server_pid")
  log "$peer: put-batch, drain, put-single, e2e-poll"
  bench --workload put-batch,drain,put-single,e2e-poll "${load[@]}" --json "$results/$peer.json" \
    >"$results/$peer.table" 2>>"$logfile" || log "$peer: some workload failed (see $results/$peer.table)"
  meta "$peer" rss_after_load_mb "$(rss_mb "$server_pid")"
  log "$peer: e2e-push"
  bench --workload e2e-push "${load[@]}" --json "$results/$peer.push.json" \
    >"$results/$peer.push.table" 2>>"$logfile" || log "$peer: e2e-push did not run (see $results/$peer.push.table)"

  log "$peer: kill -9 check"
  bench --workload durability-write --seconds $((KILL_AFTER_SECONDS + 3)) --durability-file "$results/$peer.acked.json" \
    --json "$results/$peer.durability-write.json" >/dev/null 2>>"$logfile" &
  local writer=$!
  sleep "$KILL_AFTER_SECONDS"
  local killed_pid=$server_pid
  stop_server KILL
  wait "$writer" || true
  meta "$peer" killed_pid "$killed_pid"
  if start_server_here "$peer" "$port" "$data" "$logfile"; then
    meta "$peer" restart_ms "$startup_ms"
    bench --workload durability-check --durability-file "$results/$peer.acked.json" \
      --json "$results/$peer.durability-check.json" >/dev/null 2>>"$logfile" || true
  else
    meta "$peer" restart_error "did not restart on its data directory"
  fi
  stop_server TERM
  rm -rf "$data"
}

run_throttle() {
  local peer=kinesd-aws-limits data=$PEERS_DIR/data/kinesd-aws-limits logfile=$results/kinesd-aws-limits.log
  rm -rf "$data" && mkdir -p "$data"
  port=$(free_port)
  start_server_here "$peer" "$port" "$data" "$logfile" || return 0
  meta "$peer" command "$(cat "$logfile.cmd")"
  log "kinesd with AWS limits: throttle"
  bench --workload throttle --seconds 10 --server-pid "$server_pid" --json "$results/throttle.json" \
    >"$results/throttle.table" 2>>"$logfile" || log "throttle check did not pass (see $results/throttle.table)"
  stop_server TERM
  rm -rf "$data"
}

{
  echo -e "cores\t$(nproc)"
  echo -e "cpu\t$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"
  echo -e "memory\t$(free -h | awk '/^Mem:/ {print $2}')"
  echo -e "kernel\t$(uname -sr)"
  echo -e "disk\t$(df -h "$PEERS_DIR" | awk 'NR==2 {print $1" "$2" ("$4" free), mounted on "$6}')"
  echo -e "load_before\t$(cut -d' ' -f1-3 /proc/loadavg)"
  echo -e "phase_seconds\t$PHASE_SECONDS"
  echo -e "date\t$(date -u +%Y-%m-%dT%H:%MZ)"
} >"$results/machine.meta"

for peer in $PEERS; do
  if peer_available "$peer"; then
    run_peer "$peer"
  else
    meta "$peer" version "$peer"
    meta "$peer" error "not installed (cargo install ferrokinesis failed or was skipped)"
  fi
done
[[ " $PEERS " == *" kinesd "* ]] && run_throttle
echo -e "load_after\t$(cut -d' ' -f1-3 /proc/loadavg)" >>"$results/machine.meta"

log "results in $results"
if [[ "${NO_REPORT:-0}" != 1 ]]; then
  python3 bench/compare_report.py "$results" "$PEERS" BENCHMARKS.md bench/benchmarks.svg
  log "wrote BENCHMARKS.md and bench/benchmarks.svg"
fi
