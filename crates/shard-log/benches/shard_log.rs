//! Shard-log benchmark: append throughput and latency with group commit,
//! then read throughput, over a configurable number of shards.
//!
//! ```text
//! cargo bench -p shard-log --bench shard_log -- [--shards 4,64] [--seconds 5]
//!     [--threads 16] [--batch 500] [--record-bytes 1024]
//!     [--durability always|interval|none] [--dir PATH] [--json PATH]
//! ```
//! Prints one table row per shard count and, with --json, writes the rows.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hdrhistogram::Histogram;
use shard_log::{Durability, FileLog, LogOptions, ReadLimits, Record, ShardId, ShardLog, ShardSpec, SystemClock};

struct Args {
    shard_counts: Vec<usize>,
    seconds: u64,
    threads: usize,
    batch: usize,
    record_bytes: usize,
    durability: Durability,
    dir: Option<std::path::PathBuf>,
    json: Option<std::path::PathBuf>,
}

fn parse_args() -> Args {
    let mut args = Args {
        shard_counts: vec![4, 64],
        seconds: 5,
        threads: 16,
        batch: 500,
        record_bytes: 1024,
        durability: Durability::Always,
        dir: None,
        json: None,
    };
    let raw: Vec<String> = std::env::args().skip(1).collect();
    let mut it = raw.iter();
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value")).clone();
        match flag.as_str() {
            "--shards" => args.shard_counts = value().split(',').map(|s| s.parse().expect("shard count")).collect(),
            "--seconds" => args.seconds = value().parse().expect("seconds"),
            "--threads" => args.threads = value().parse().expect("threads"),
            "--batch" => args.batch = value().parse().expect("batch"),
            "--record-bytes" => args.record_bytes = value().parse().expect("record bytes"),
            "--durability" => {
                args.durability = match value().as_str() {
                    "always" => Durability::Always,
                    "interval" => Durability::Interval(Duration::from_millis(200)),
                    "none" => Durability::None,
                    other => panic!("unknown durability {other}"),
                }
            }
            "--dir" => args.dir = Some(value().into()),
            "--json" => args.json = Some(value().into()),
            // cargo bench passes --bench; ignore it and anything libtest-like.
            _ => {}
        }
    }
    args
}

#[derive(Debug)]
struct Row {
    shards: usize,
    append_mb_s: f64,
    append_records_s: f64,
    batches: u64,
    fsyncs_s: f64,
    groups_s: f64,
    append_ms_p50: f64,
    append_ms_p99: f64,
    append_ms_max: f64,
    fsync_us_mean: u64,
    read_mb_s: f64,
    read_records_s: f64,
}

fn main() {
    let args = parse_args();
    let mut rows = Vec::new();
    println!(
        "shard-log bench: {} threads, batches of {} x {} B, durability {:?}, {} s per run",
        args.threads, args.batch, args.record_bytes, args.durability, args.seconds
    );
    for &shards in &args.shard_counts {
        let scratch = match &args.dir {
            Some(d) => tempfile::tempdir_in(d).expect("scratch dir"),
            None => tempfile::tempdir().expect("scratch dir"),
        };
        rows.push(run(&args, shards, scratch.path()));
    }
    println!();
    println!(
        "| shards | append MB/s | records/s | fsyncs/s | groups/s | append p50 ms | p99 ms | max ms | fsync mean us | read MB/s | read records/s |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for r in &rows {
        println!(
            "| {} | {:.0} | {:.0} | {:.0} | {:.0} | {:.2} | {:.2} | {:.2} | {} | {:.0} | {:.0} |",
            r.shards,
            r.append_mb_s,
            r.append_records_s,
            r.fsyncs_s,
            r.groups_s,
            r.append_ms_p50,
            r.append_ms_p99,
            r.append_ms_max,
            r.fsync_us_mean,
            r.read_mb_s,
            r.read_records_s
        );
    }
    if let Some(path) = &args.json {
        let json: Vec<String> = rows
            .iter()
            .map(|r| {
                format!(
                    "{{\"shards\":{},\"append_mb_s\":{:.1},\"append_records_s\":{:.0},\"batches\":{},\"fsyncs_s\":{:.1},\"groups_s\":{:.1},\"append_ms_p50\":{:.3},\"append_ms_p99\":{:.3},\"append_ms_max\":{:.3},\"fsync_us_mean\":{},\"read_mb_s\":{:.1},\"read_records_s\":{:.0}}}",
                    r.shards, r.append_mb_s, r.append_records_s, r.batches, r.fsyncs_s, r.groups_s, r.append_ms_p50,
                    r.append_ms_p99, r.append_ms_max, r.fsync_us_mean, r.read_mb_s, r.read_records_s
                )
            })
            .collect();
        std::fs::write(path, format!("[{}]\n", json.join(","))).expect("write json");
    }
}

fn run(args: &Args, shards: usize, dir: &std::path::Path) -> Row {
    let log =
        Arc::new(FileLog::open(dir, LogOptions { durability: args.durability, ..LogOptions::default() }).unwrap());
    let ids: Arc<Vec<ShardId>> = Arc::new((0..shards).map(|i| ShardId::new(format!("shard-{i}")).unwrap()).collect());
    for id in ids.iter() {
        log.create_shard(id, ShardSpec { start_position: 0, retention_ms: 24 * 3_600_000 }).unwrap();
    }
    // Payloads are built once and shared: the bench measures the log, not allocation.
    let payload = Bytes::from((0..args.record_bytes).map(|i| (i * 31 % 251) as u8).collect::<Vec<u8>>());
    let keys: Vec<Bytes> = (0..args.batch).map(|i| Bytes::from(format!("partition-key-{i:06}"))).collect();
    let record_bytes: u64 = keys.iter().map(|k| (k.len() + payload.len()) as u64).sum();
    let stop = Arc::new(AtomicBool::new(false));
    let before = log.metrics();
    let started = Instant::now();
    let workers: Vec<_> = (0..args.threads)
        .map(|t| {
            let (log, ids, stop, payload, keys) =
                (log.clone(), ids.clone(), stop.clone(), payload.clone(), keys.clone());
            std::thread::spawn(move || {
                let mut hist = Histogram::<u64>::new(3).unwrap();
                let mut batches = 0u64;
                let mut i = t;
                while !stop.load(Ordering::Relaxed) {
                    let now = shard_log::Clock::now_ms(&SystemClock);
                    let records: Vec<Record> = keys
                        .iter()
                        .map(|k| Record { partition_key: k.clone(), data: payload.clone(), arrival_ms: now })
                        .collect();
                    let t0 = Instant::now();
                    log.append(&ids[i % ids.len()], &records).unwrap().wait().unwrap();
                    hist.record(t0.elapsed().as_micros() as u64).unwrap();
                    batches += 1;
                    i += shard_stride(ids.len());
                }
                (hist, batches)
            })
        })
        .collect();
    let mut last = Instant::now();
    while started.elapsed() < Duration::from_secs(args.seconds) {
        std::thread::sleep(Duration::from_millis(250));
        if last.elapsed() >= Duration::from_secs(1) {
            let m = log.metrics();
            let secs = started.elapsed().as_secs_f64();
            eprint!(
                "\r  {shards} shards: {:.0} MB/s appended, {:.0} fsyncs/s   ",
                (m.bytes_appended - before.bytes_appended) as f64 / secs / 1e6,
                (m.fsyncs - before.fsyncs) as f64 / secs
            );
            last = Instant::now();
        }
    }
    stop.store(true, Ordering::Relaxed);
    let mut hist = Histogram::<u64>::new(3).unwrap();
    let mut batches = 0;
    for w in workers {
        let (h, b) = w.join().unwrap();
        hist.add(h).unwrap();
        batches += b;
    }
    let secs = started.elapsed().as_secs_f64();
    eprintln!();
    let after = log.metrics();
    let records = batches * args.batch as u64;

    // Read everything back, shard by shard, as GetRecords would.
    let read_started = Instant::now();
    let (mut read_records, mut read_bytes) = (0u64, 0u64);
    for id in ids.iter() {
        let mut at = 0;
        loop {
            let batch = log.read(id, at, ReadLimits { records_max: 10_000, bytes_max: 10 << 20 }).unwrap();
            if batch.records.is_empty() {
                break;
            }
            read_records += batch.records.len() as u64;
            read_bytes += batch.records.iter().map(|r| (r.partition_key.len() + r.data.len()) as u64).sum::<u64>();
            at = batch.next_position;
        }
    }
    let read_secs = read_started.elapsed().as_secs_f64();
    assert_eq!(read_records, records, "every appended record reads back");
    Row {
        shards,
        append_mb_s: (batches * record_bytes) as f64 / secs / 1e6,
        append_records_s: records as f64 / secs,
        batches,
        fsyncs_s: (after.fsyncs - before.fsyncs) as f64 / secs,
        groups_s: (after.commit_groups - before.commit_groups) as f64 / secs,
        append_ms_p50: hist.value_at_quantile(0.50) as f64 / 1000.0,
        append_ms_p99: hist.value_at_quantile(0.99) as f64 / 1000.0,
        append_ms_max: hist.max() as f64 / 1000.0,
        fsync_us_mean: after.fsync_us_mean,
        read_mb_s: read_bytes as f64 / read_secs / 1e6,
        read_records_s: read_records as f64 / read_secs,
    }
}

/// Threads walk the shards with a stride coprime to the shard count, so
/// concurrent appends spread over shards instead of queueing on one.
fn shard_stride(shards: usize) -> usize {
    (1..=shards).rev().find(|s| gcd(*s, shards) == 1 && *s > shards / 2).unwrap_or(1)
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}
