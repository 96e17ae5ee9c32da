//! shard-log-tool: inspect a shard log, and the workload of the crash test.
//!
//! ```text
//! shard-log-tool verify DIR            read every shard end to end, checking every CRC
//! shard-log-tool append-forever DIR SHARDS THREADS
//!                                      append deterministic batches until killed,
//!                                      printing "ack SHARD FIRST COUNT" per durable batch
//! ```

use std::io::Write;
use std::sync::Arc;

use shard_log::{FileLog, LogOptions, ReadLimits, Record, ShardId, ShardLog, ShardSpec};

mod workload;
use workload::workload_record;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let result = match args.get(1).map(String::as_str) {
        Some("verify") if args.len() == 3 => verify(&args[2]),
        Some("append-forever") if args.len() == 5 => {
            append_forever(&args[2], args[3].parse().expect("SHARDS"), args[4].parse().expect("THREADS"))
        }
        _ => {
            eprintln!("usage: shard-log-tool verify DIR | append-forever DIR SHARDS THREADS");
            std::process::exit(2);
        }
    };
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn verify(dir: &str) -> shard_log::Result<()> {
    let log = FileLog::open(dir, LogOptions::default())?;
    let limits = ReadLimits { records_max: 10_000, bytes_max: 64 << 20 };
    for id in log.shard_ids() {
        let bounds = log.bounds(&id)?;
        let (mut at, mut records, mut bytes) = (bounds.trim_horizon, 0u64, 0u64);
        while at < bounds.end {
            let batch = log.read(&id, at, limits)?;
            records += batch.records.len() as u64;
            bytes += batch.records.iter().map(|r| r.data.len() as u64).sum::<u64>();
            at = batch.next_position;
        }
        println!(
            "{id}: positions {}..{} records {records} data_bytes {bytes}{}",
            bounds.trim_horizon,
            bounds.end,
            if bounds.closed { " closed" } else { "" }
        );
    }
    Ok(())
}

fn append_forever(dir: &str, shards: usize, threads: usize) -> shard_log::Result<()> {
    let log = Arc::new(FileLog::open(dir, LogOptions { segment_bytes_max: 256 * 1024, ..LogOptions::default() })?);
    let ids: Vec<ShardId> = (0..shards).map(|i| ShardId::new(format!("shard-{i}")).expect("valid id")).collect();
    for id in &ids {
        if log.bounds(id).is_err() {
            log.create_shard(id, ShardSpec { start_position: 0, retention_ms: i64::MAX / 2 })?;
        }
    }
    let ids = Arc::new(ids);
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            let (log, ids) = (log.clone(), ids.clone());
            std::thread::spawn(move || -> shard_log::Result<()> {
                // Each thread owns the shards congruent to it, so it knows the next position.
                let mine: Vec<usize> = (0..ids.len()).filter(|s| s % threads == t).collect();
                let mut round = 0usize;
                loop {
                    round += 1;
                    let s = mine[round % mine.len()];
                    let first = log.bounds(&ids[s])?.end;
                    let count = 1 + (round * 7919 + s) % 40;
                    let records: Vec<Record> = (0..count as u64)
                        .map(|i| {
                            let (key, data) = workload_record(s, first + i);
                            Record { partition_key: key.into(), data: data.into(), arrival_ms: 0 }
                        })
                        .collect();
                    let ack = log.append(&ids[s], &records)?.wait()?;
                    assert_eq!(ack.first_position, first, "positions are assigned in order");
                    let mut out = std::io::stdout().lock();
                    let _ = writeln!(out, "ack {s} {} {}", ack.first_position, ack.record_count);
                    let _ = out.flush();
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("worker panicked")?;
    }
    Ok(())
}
