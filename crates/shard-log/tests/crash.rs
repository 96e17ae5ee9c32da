//! Crash test: a child process appends continuously (durability `always`)
//! and prints each acknowledged batch; the parent SIGKILLs it at random
//! moments, reopens the log, and checks that every acknowledged record is
//! present, in order, unduplicated and byte-identical.
//!
//! CRASH_CYCLES (default 50) and CRASH_SEED override the defaults.

#[path = "../src/bin/shard-log-tool/workload.rs"]
mod workload;

use std::io::BufRead;
use std::process::{Command, Stdio};
use std::time::Duration;

use shard_log::{FileLog, LogOptions, ReadLimits, ShardId, ShardLog};

const TOOL: &str = env!("CARGO_BIN_EXE_shard-log-tool");
const SHARDS: usize = 4;
const THREADS: usize = 3;
/// Records re-verified behind the previous cycle's end, besides the new ones.
const REVERIFY_WINDOW: u64 = 500;

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Runs the child until killed after `run_ms`; returns the highest
/// acknowledged end position per shard.
fn run_child(dir: &std::path::Path, run_ms: u64) -> [u64; SHARDS] {
    let mut child = Command::new(TOOL)
        .args(["append-forever", dir.to_str().unwrap(), &SHARDS.to_string(), &THREADS.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start shard-log-tool");
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut acked = [0u64; SHARDS];
        let mut input = std::io::BufReader::new(stdout);
        let mut line = Vec::new();
        loop {
            line.clear();
            // Only whole lines count: the kill can cut the last one short.
            if input.read_until(b'\n', &mut line).unwrap_or(0) == 0 || line.last() != Some(&b'\n') {
                return acked;
            }
            let text = std::str::from_utf8(&line).unwrap();
            let fields: Vec<u64> = text.split_whitespace().skip(1).map(|f| f.parse().unwrap()).collect();
            let (shard, first, count) = (fields[0] as usize, fields[1], fields[2]);
            acked[shard] = acked[shard].max(first + count);
        }
    });
    std::thread::sleep(Duration::from_millis(run_ms));
    child.kill().expect("SIGKILL the child");
    let status = child.wait().unwrap();
    assert!(!status.success(), "the child was killed, not finished");
    reader.join().unwrap()
}

/// Checks positions [from, end) of a shard against the workload; returns end.
fn verify_shard(log: &FileLog, shard: usize, from: u64) -> u64 {
    let id = ShardId::new(format!("shard-{shard}")).unwrap();
    let end = log.bounds(&id).unwrap().end;
    let mut at = from;
    while at < end {
        let batch = log.read(&id, at, ReadLimits { records_max: 10_000, bytes_max: 8 << 20 }).unwrap();
        assert!(!batch.records.is_empty(), "shard {shard}: nothing readable at {at} below end {end}");
        for r in &batch.records {
            assert_eq!(r.position, at, "shard {shard}: positions must be contiguous and unduplicated");
            let (key, data) = workload::workload_record(shard, at);
            assert_eq!(&r.partition_key[..], &key[..], "shard {shard} position {at}: key differs");
            assert!(r.data[..] == data[..], "shard {shard} position {at}: data differs");
            at += 1;
        }
    }
    end
}

#[test]
fn every_acknowledged_record_survives_sigkill() {
    let cycles: u64 = std::env::var("CRASH_CYCLES").ok().and_then(|v| v.parse().ok()).unwrap_or(50);
    let seed = std::env::var("CRASH_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64 | 1
    });
    eprintln!("crash test: {cycles} cycles, CRASH_SEED={seed}");
    let mut rng = Rng(seed);
    let dir = tempfile::tempdir().unwrap();
    let mut acked_max = [0u64; SHARDS];
    let mut verified_end = [0u64; SHARDS];
    let mut cycles_with_acks = 0;
    let mut torn_tails = 0;
    for cycle in 0..cycles {
        let acked = run_child(dir.path(), 20 + rng.below(80));
        if acked.iter().any(|&a| a > 0) {
            cycles_with_acks += 1;
        }
        let log = FileLog::open(dir.path(), LogOptions::default()).unwrap();
        for s in 0..SHARDS {
            acked_max[s] = acked_max[s].max(acked[s]);
            let from = if cycle + 1 == cycles { 0 } else { verified_end[s].saturating_sub(REVERIFY_WINDOW) };
            let end = verify_shard(&log, s, from);
            assert!(
                end >= acked_max[s],
                "cycle {cycle}: shard {s} ends at {end} but {} records were acknowledged (seed {seed})",
                acked_max[s]
            );
            verified_end[s] = end;
        }
        torn_tails += log.metrics().torn_tails_truncated;
    }
    let total: u64 = acked_max.iter().sum();
    eprintln!("crash test: {total} records acknowledged over {cycles} kills, all present; {torn_tails} torn tails cut");
    assert!(cycles_with_acks * 2 >= cycles, "only {cycles_with_acks} of {cycles} children acknowledged anything");
}
