//! Runs kinesd-bench against a real kinesd process with small sizes and
//! checks the outcome: every workload ran, the drain check passed, the
//! JSON has its fields, and the run left no stream behind.
//!
//! The kinesd binary is not built by this crate: `cargo test --workspace`
//! (which scripts/test runs) builds it as part of the kinesd package, and
//! `cargo build -p kinesd` does so by hand. KINESD_BIN overrides the path.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;

use bench::api;
use bench::client::{ClientConfig, Connection, Endpoint};
use bench::signing::Signer;
use serde_json::{json, Value};

const BENCH: &str = env!("CARGO_BIN_EXE_kinesd-bench");
/// Small sizes so that the whole suite of workloads takes a few seconds.
const SMALL: &[&str] = &[
    "--seconds",
    "1",
    "--shards",
    "2",
    "--connections",
    "2",
    "--batch",
    "50",
    "--record-bytes",
    "256",
    "--distinct-bodies",
    "4",
    "--single-concurrency",
    "1,4",
    "--many-streams",
    "3",
    "--many-shards-per-stream",
    "2",
    "--many-rate-per-shard",
    "5",
    "--quiet",
];

/// The kinesd binary: KINESD_BIN, else the newer of target/{debug,release}/kinesd.
fn kinesd_bin() -> PathBuf {
    if let Some(path) = std::env::var_os("KINESD_BIN") {
        return PathBuf::from(path);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let newest = ["debug", "release"]
        .iter()
        .map(|profile| target.join(profile).join("kinesd"))
        .filter_map(|path| Some((path.metadata().ok()?.modified().ok()?, path)))
        .max();
    match newest {
        Some((_, path)) => path,
        None => panic!(
            "no kinesd binary under {}: build it first with `cargo build -p kinesd` \
             (scripts/test's `cargo test --workspace` does), or set KINESD_BIN",
            target.display()
        ),
    }
}

/// A kinesd on an ephemeral port with its own data directory; killed on drop.
struct Server {
    child: Child,
    addr: String,
    _data: tempfile::TempDir,
}

impl Server {
    /// Starts kinesd with `extra` server options.
    fn start(extra: &[&str]) -> Server {
        let data = tempfile::tempdir().unwrap();
        let mut child = Command::new(kinesd_bin())
            .args(["serve", "--listen", "127.0.0.1:0", "--transition-delay-ms", "0", "--shard-limit", "2000"])
            .arg("--data-dir")
            .arg(data.path())
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start kinesd");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let addr = line
            .trim()
            .strip_prefix("kinesd listening on http://")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_string();
        Server { child, addr, _data: data }
    }

    fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Runs the bench against this server with `args` plus --server-pid and --json.
    fn bench(&self, args: &[&str], json_path: &Path) -> Output {
        Command::new(BENCH)
            .args(["--endpoint", &self.endpoint(), "--server-pid", &self.child.id().to_string()])
            .arg("--json")
            .arg(json_path)
            .args(args)
            .output()
            .expect("run kinesd-bench")
    }

    /// The names ListStreams reports.
    fn stream_names(&self) -> Vec<String> {
        let client = Arc::new(ClientConfig {
            endpoint: Endpoint::parse(&self.endpoint()).unwrap(),
            signer: Signer::new("test", "test", "us-east-1"),
            h2: false,
        });
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let answer = runtime
            .block_on(async { api::call_json(&mut Connection::new(client), "ListStreams", json!({})).await })
            .unwrap();
        answer["StreamNames"].as_array().unwrap().iter().map(|n| n.as_str().unwrap().to_string()).collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn run_ok(server: &Server, args: &[&str]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("result.json");
    let output = server.bench(args, &path);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "bench failed ({}):\n{stdout}\n{stderr}", output.status);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn phase<'a>(report: &'a Value, workload: &str, phase: &str) -> &'a Value {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["workload"] == workload && r["phase"] == phase)
        .unwrap_or_else(|| panic!("no {workload} {phase} in {report:#}"))
}

fn assert_drain_read_back_everything(report: &Value, written: &Value) {
    let drain = phase(report, "drain", "read");
    let check = &drain["check"];
    assert_eq!(check["passed"], true, "{drain:#}");
    let acked = written["records"].as_u64().unwrap();
    assert!(acked > 0, "{written:#}");
    assert_eq!(check["counts"]["acknowledged"], acked);
    assert_eq!(check["counts"]["matched"], acked);
    assert_eq!(check["counts"]["read"], acked);
    assert_eq!(drain["records"], acked);
    assert_eq!(drain["bytes"], acked * 256);
}

#[test]
fn every_workload_runs_and_the_drain_reads_back_exactly_what_was_acknowledged() {
    let server = Server::start(&[]);
    let report = run_ok(&server, &[&["--workload", "all"], SMALL].concat());

    assert_eq!(report["tool"], "kinesd-bench");
    assert_eq!(report["passed"], true);
    assert_eq!(report["failures"], json!([]));
    let phases: Vec<String> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| format!("{} {}", r["workload"].as_str().unwrap(), r["phase"].as_str().unwrap()))
        .collect();
    assert_eq!(
        phases,
        [
            "put-batch write",
            "drain read",
            "put-single c=1",
            "put-single c=4",
            "e2e-poll every 10 ms",
            "e2e-push every 10 ms",
            "many-shards 6 shards"
        ]
    );
    assert_eq!(report["skipped"], json!([]));

    let write = phase(&report, "put-batch", "write");
    assert_drain_read_back_everything(&report, write);
    // kinesd throttles as AWS does by default (1,000 records/s per shard), so
    // some records may be refused: each is counted once, acknowledged or not.
    let offered = write["requests"].as_u64().unwrap() * 50;
    let accounted = ["records", "throttled_records", "failed_records"].map(|f| write[f].as_u64().unwrap());
    assert_eq!(accounted.iter().sum::<u64>(), offered, "{write:#}");
    for result in report["results"].as_array().unwrap() {
        let name = format!("{} {}", result["workload"], result["phase"]);
        assert_eq!(result["errors"], 0, "{name}: {result:#}");
        assert_eq!(result["failed_records"], 0, "{name}");
        assert!(result["records_per_second"].as_f64().unwrap() > 0.0, "{name}");
        assert!(result["mb_per_second"].as_f64().unwrap() > 0.0, "{name}");
        for field in ["p50_ms", "p99_ms", "p999_ms", "max_ms"] {
            assert!(result["latency"][field].as_f64().unwrap() > 0.0, "{name}: {field}");
        }
        assert!(result["bench_cpu"]["cpu_percent"].is_f64(), "{name}");
        assert!(result["server_cpu"]["rss_mb"].as_f64().unwrap() > 1.0, "{name}");
    }

    let e2e = phase(&report, "e2e-poll", "every 10 ms");
    let acknowledged = e2e["extra"]["acknowledged"].as_u64().unwrap();
    assert!(acknowledged >= 50, "about 100 records in 1 s: {e2e:#}");
    assert_eq!(e2e["extra"]["seen"], acknowledged);
    assert_eq!(e2e["extra"]["unseen"], 0);
    assert_eq!(e2e["extra"]["stamp_mismatch"], 0);
    assert_pushed_every_acknowledged_record(phase(&report, "e2e-push", "every 10 ms"));

    let many = phase(&report, "many-shards", "6 shards");
    assert_eq!(many["extra"]["shards"], 6);
    assert_eq!(many["extra"]["streams"], 3);
    assert_eq!(many["extra"]["misrouted"], 0);
    assert!(many["extra"]["server_rss_mb_idle_after_create"].as_f64().unwrap() > 1.0);

    assert_eq!(server.stream_names(), Vec::<String>::new(), "the run deletes its streams");
}

#[test]
fn h2_put_batch_then_drain_passes_the_check() {
    let server = Server::start(&["--limits", "off"]);
    let report = run_ok(&server, &[&["--workload", "put-batch,drain", "--h2"], SMALL].concat());
    assert_eq!(report["h2"], true);
    assert_drain_read_back_everything(&report, phase(&report, "put-batch", "write"));
    assert_eq!(server.stream_names(), Vec::<String>::new());
}

#[test]
fn drain_alone_fills_its_own_stream_first() {
    let server = Server::start(&[]);
    let report = run_ok(&server, &[&["--workload", "drain", "--max-requests", "20"], SMALL].concat());
    let fill = phase(&report, "drain", "fill");
    assert!(fill["requests"].as_u64().unwrap() <= 20, "--max-requests bounds the fill: {fill:#}");
    assert_drain_read_back_everything(&report, fill);
}

/// Every record e2e-push acknowledged was pushed exactly once with its own stamp.
fn assert_pushed_every_acknowledged_record(push: &Value) {
    let extra = &push["extra"];
    let acknowledged = extra["acknowledged"].as_u64().unwrap();
    assert!(acknowledged >= 50, "about 100 records in 1 s: {push:#}");
    assert_eq!(extra["seen"], acknowledged, "{push:#}");
    assert_eq!(
        [&extra["unseen"], &extra["seen_twice"], &extra["seen_unacknowledged"], &extra["stamp_mismatch"]],
        [0, 0, 0, 0],
        "{push:#}"
    );
    assert_eq!(push["errors"], 0, "{push:#}");
    assert_eq!(push["latency"]["count"], acknowledged);
    assert!(push["latency"]["p50_ms"].as_f64().unwrap() < 1_000.0, "pushed, not polled late: {push:#}");
    assert_eq!(extra["subscriptions"], 1);
    assert!(extra["events"].as_u64().unwrap() >= 1);
    assert!(extra["event_stream_bytes"].as_u64().unwrap() > acknowledged * 256, "the records crossed the stream");
    assert_eq!(extra["consumer_deregistered"], true);
}

#[test]
fn e2e_push_sees_every_record_over_subscribe_to_shard_and_deregisters() {
    let server = Server::start(&["--limits", "off"]);
    let report = run_ok(&server, &[&["--workload", "e2e-push"], SMALL].concat());
    assert_eq!(report["passed"], true);
    assert_pushed_every_acknowledged_record(phase(&report, "e2e-push", "every 10 ms"));
    assert_eq!(server.stream_names(), Vec::<String>::new());
}

#[test]
fn e2e_push_over_h2_sees_every_record() {
    let server = Server::start(&["--limits", "off"]);
    let report = run_ok(&server, &[&["--workload", "e2e-push", "--h2"], SMALL].concat());
    assert_pushed_every_acknowledged_record(phase(&report, "e2e-push", "every 10 ms"));
}

#[test]
fn e2e_push_failure_is_reported_with_the_endpoints_error() {
    // A wrong secret makes the endpoint refuse every call, as a peer
    // without RegisterStreamConsumer refuses that one: the workload fails
    // with the endpoint's error code rather than hanging or passing.
    let server = Server::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let output =
        server.bench(&["--workload", "e2e-push", "--secret-key", "wrong", "--quiet"], &dir.path().join("r.json"));
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join("r.json")).unwrap()).unwrap();
    assert_eq!(report["failures"][0]["workload"], "e2e-push");
    assert!(report["failures"][0]["reason"].as_str().unwrap().contains("InvalidSignatureException"), "{report:#}");
}

#[test]
fn throttle_delivers_the_shards_limit_counts_the_rest_and_loses_nothing() {
    // AWS limits (the default), with a small per-shard limit so that the
    // test is quick: 200 records/s offered twice over in 2 s.
    let server = Server::start(&["--shard-write-records-per-sec", "200"]);
    let report = run_ok(
        &server,
        &[
            "--workload",
            "throttle",
            "--throttle-limit-records-per-sec",
            "200",
            "--seconds",
            "3",
            "--record-bytes",
            "256",
            "--quiet",
        ],
    );
    assert_eq!(report["passed"], true, "{report:#}");
    let write = phase(&report, "throttle", "2x limit");
    let extra = &write["extra"];
    assert_eq!(extra["batch"], 40, "400 records/s in 10 calls a second");
    assert_eq!(extra["delivers_limit"], true, "{write:#}");
    let ratio = extra["delivered_ratio"].as_f64().unwrap();
    assert!((0.9..=1.1).contains(&ratio), "{write:#}");
    let (acked, throttled) = (write["records"].as_u64().unwrap(), write["throttled_records"].as_u64().unwrap());
    assert!(throttled > acked / 2, "about half of what was offered is refused: {write:#}");
    assert_eq!(acked + throttled, extra["offered_records"].as_u64().unwrap(), "{write:#}");
    assert_eq!(write["failed_records"], 0);
    let drain = phase(&report, "drain", "read");
    assert_eq!(drain["check"]["passed"], true, "{drain:#}");
    assert_eq!(drain["check"]["counts"]["matched"], acked, "every acknowledged record is read back");
    assert_eq!(server.stream_names(), Vec::<String>::new());
}

#[test]
fn throttle_against_an_unlimited_endpoint_fails_the_verdict() {
    let server = Server::start(&["--limits", "off"]);
    let dir = tempfile::tempdir().unwrap();
    let args = ["--workload", "throttle", "--throttle-limit-records-per-sec", "200", "--seconds", "2", "--quiet"];
    let output = server.bench(&args, &dir.path().join("r.json"));
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join("r.json")).unwrap()).unwrap();
    let reason = report["failures"][0]["reason"].as_str().unwrap();
    assert!(reason.contains("throttled 0 records"), "{reason}");
    assert_eq!(phase(&report, "drain", "read")["check"]["passed"], true);
}

#[test]
fn wrong_secret_fails_the_run_with_the_endpoints_error() {
    let server = Server::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let output =
        server.bench(&["--workload", "put-batch", "--secret-key", "wrong", "--quiet"], &dir.path().join("r.json"));
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("FAILED put-batch: InvalidSignatureException"), "{stdout}");
}

#[test]
fn unreachable_endpoint_fails_fast() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(BENCH)
        .args(["--endpoint", "http://127.0.0.1:1", "--workload", "all", "--quiet", "--json"])
        .arg(dir.path().join("r.json"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("FAILED put-batch: transport: connect to 127.0.0.1:1"), "{stdout}");
    assert!(!stdout.contains("FAILED drain"), "stops after the first transport failure: {stdout}");
}
