//! kinesd as a process: startup, HTTP/1.1 and h2c, durability across
//! SIGKILL, graceful SIGTERM.

mod common;

use std::time::{Duration, Instant};

use base64::Engine;
use common::*;
use serde_json::json;

fn b64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

#[test]
fn serves_its_first_request_quickly_over_http1_and_h2c() {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let server = Server::start(dir.path(), &[]);
    let rt = rt();
    let first = rt.block_on(call(&server.addr, "ListStreams", json!({})));
    let elapsed = started.elapsed();
    assert_eq!(first.status, 200, "{:?}", first.body);
    assert_eq!(first.json(), json!({"StreamNames": [], "HasMoreStreams": false, "StreamSummaries": []}));
    assert!(first.headers.contains_key("x-amzn-requestid"));
    // Generous bound for a loaded CI machine; the README's figure is measured separately.
    assert!(elapsed < Duration::from_secs(5), "first answer after {elapsed:?}");
    let request = kinesis_request(&server.addr, "ListStreams", b"{}".to_vec(), &Signer::default());
    let h2 = rt.block_on(send(&server.addr, request, true));
    assert_eq!(h2.status, 200);
}

#[test]
fn acknowledged_records_survive_sigkill_and_restart() {
    let dir = tempfile::tempdir().unwrap();
    let rt = rt();
    let mut acked = Vec::new();
    {
        let server = Server::start(dir.path(), &[]);
        let r = rt.block_on(call(&server.addr, "CreateStream", json!({"StreamName": "s", "ShardCount": 2})));
        assert_eq!(r.status, 200, "{:?}", r.body);
        for i in 0..50 {
            let data = format!("record-{i}");
            let r = rt.block_on(call(
                &server.addr,
                "PutRecord",
                json!({"StreamName": "s", "Data": b64(data.as_bytes()), "PartitionKey": format!("k{i}")}),
            ));
            assert_eq!(r.status, 200);
            acked.push(data);
        }
        server.signal(libc::SIGKILL);
    }
    let server = Server::start(dir.path(), &[]);
    let mut seen = Vec::new();
    for shard in ["shardId-000000000000", "shardId-000000000001"] {
        let it = rt.block_on(call(
            &server.addr,
            "GetShardIterator",
            json!({"StreamName": "s", "ShardId": shard, "ShardIteratorType": "TRIM_HORIZON"}),
        ));
        let records =
            rt.block_on(call(&server.addr, "GetRecords", json!({"ShardIterator": it.json()["ShardIterator"]})));
        for r in records.json()["Records"].as_array().unwrap() {
            let data = base64::engine::general_purpose::STANDARD.decode(r["Data"].as_str().unwrap()).unwrap();
            seen.push(String::from_utf8(data).unwrap());
        }
    }
    seen.sort();
    acked.sort();
    assert_eq!(seen, acked);
}

#[test]
fn sigterm_stops_the_server_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), &[]);
    let rt = rt();
    assert_eq!(rt.block_on(call(&server.addr, "ListStreams", json!({}))).status, 200);
    server.signal(libc::SIGTERM);
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "kinesd did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
}

#[test]
fn a_second_server_on_the_same_data_dir_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let _first = Server::start(dir.path(), &[]);
    let out = std::process::Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("in use"), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn options_come_from_the_environment_too() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env("KINESD_ACCOUNT_ID", "123456789012")
        .env("KINESD_TRANSITION_DELAY_MS", "0")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.take().unwrap()), &mut line).unwrap();
    let addr = line.trim().strip_prefix("kinesd listening on http://").unwrap().to_string();
    let rt = rt();
    rt.block_on(call(&addr, "CreateStream", json!({"StreamName": "s", "ShardCount": 1})));
    let summary = rt.block_on(call(&addr, "DescribeStreamSummary", json!({"StreamName": "s"})));
    assert_eq!(
        summary.json()["StreamDescriptionSummary"]["StreamARN"],
        "arn:aws:kinesis:us-east-1:123456789012:stream/s"
    );
    let _ = child.kill();
    let _ = child.wait();
}
