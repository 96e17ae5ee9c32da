//! Core behaviour of the file log: positions, reads, limits, lifecycle, reopen.

mod common;

use std::sync::Arc;

use common::*;
use shard_log::{Durability, Error, ReadLimits, ShardLog, ShardSpec};

#[test]
fn positions_start_at_the_shard_start_and_are_contiguous() {
    let env = Env::new();
    let log = env.open();
    let id = sid("s1");
    log.create_shard(&id, ShardSpec { start_position: 1000, retention_ms: HOUR_MS }).unwrap();
    assert_eq!(append(&log, &id, &batch("a", 3, 10, T0_MS)), 1000);
    assert_eq!(append(&log, &id, &batch("b", 2, 10, T0_MS)), 1003);
    let all = read_all(&log, &id);
    assert_eq!(all.iter().map(|r| r.position).collect::<Vec<_>>(), vec![1000, 1001, 1002, 1003, 1004]);
    assert_eq!(&all[3].data[..], b"b-0-xxxxxx");
    assert_eq!(&all[3].partition_key[..], b"b0");
    let bounds = log.bounds(&id).unwrap();
    assert_eq!((bounds.trim_horizon, bounds.end, bounds.closed), (1000, 1005, false));
}

#[test]
fn reads_respect_record_and_byte_limits_but_return_one_oversized_record() {
    let env = Env::new();
    let log = env.open();
    let id = create(&log, "s");
    append(&log, &id, &batch("r", 10, 100, T0_MS));
    let by_count = log.read(&id, 2, ReadLimits { records_max: 3, bytes_max: 1 << 20 }).unwrap();
    assert_eq!(by_count.records.iter().map(|r| r.position).collect::<Vec<_>>(), vec![2, 3, 4]);
    assert_eq!(by_count.next_position, 5);
    // Each record counts key (2 bytes) + data (100 bytes) = 102.
    let by_bytes = log.read(&id, 0, ReadLimits { records_max: 100, bytes_max: 250 }).unwrap();
    assert_eq!(by_bytes.records.len(), 2);
    let tiny = log.read(&id, 0, ReadLimits { records_max: 100, bytes_max: 1 }).unwrap();
    assert_eq!(tiny.records.len(), 1, "a record larger than the limit still comes back alone");
    let at_end = log.read(&id, 10, ReadLimits { records_max: 100, bytes_max: 1 << 20 }).unwrap();
    assert!(at_end.records.is_empty());
    assert_eq!(at_end.next_position, 10);
}

#[test]
fn position_at_time_finds_the_first_record_at_or_after_it() {
    let env = Env::new();
    let log = env.open();
    let id = create(&log, "s");
    append(&log, &id, &batch("a", 2, 5, T0_MS));
    append(&log, &id, &batch("b", 2, 5, T0_MS + 1000));
    append(&log, &id, &batch("c", 2, 5, T0_MS + 2000));
    assert_eq!(log.position_at_time(&id, T0_MS - 5).unwrap(), 0);
    assert_eq!(log.position_at_time(&id, T0_MS + 1).unwrap(), 2);
    assert_eq!(log.position_at_time(&id, T0_MS + 1000).unwrap(), 2);
    assert_eq!(log.position_at_time(&id, T0_MS + 2000).unwrap(), 4);
    assert_eq!(log.position_at_time(&id, T0_MS + 2001).unwrap(), 6, "past the last record: the end");
}

#[test]
fn arrival_times_never_go_backwards_within_a_shard() {
    let env = Env::new();
    let log = env.open();
    let id = create(&log, "s");
    append(&log, &id, &batch("a", 1, 5, T0_MS + 500));
    append(&log, &id, &batch("b", 1, 5, T0_MS));
    let all = read_all(&log, &id);
    assert_eq!(all[1].arrival_ms, T0_MS + 500);
}

#[test]
fn closed_shards_refuse_appends_but_stay_readable_across_reopen() {
    let env = Env::new();
    let id = {
        let log = env.open();
        let id = create(&log, "s");
        append(&log, &id, &batch("a", 2, 5, T0_MS));
        log.close_shard(&id).unwrap();
        assert!(matches!(log.append(&id, &batch("b", 1, 5, T0_MS)), Err(Error::ShardClosed(_))));
        id
    };
    let log = env.open();
    assert!(log.bounds(&id).unwrap().closed);
    assert!(matches!(log.append(&id, &batch("b", 1, 5, T0_MS)), Err(Error::ShardClosed(_))));
    assert_eq!(read_all(&log, &id).len(), 2);
    log.reopen_shard(&id).unwrap();
    assert_eq!(append(&log, &id, &batch("c", 1, 5, T0_MS)), 2, "reopened shards take appends again");
}

#[test]
fn deleted_shards_are_gone_from_disk_and_the_name_is_reusable() {
    let env = Env::new();
    let log = env.open();
    let id = create(&log, "s");
    append(&log, &id, &batch("a", 2, 5, T0_MS));
    log.delete_shard(&id).unwrap();
    assert!(matches!(log.read(&id, 0, ReadLimits { records_max: 1, bytes_max: 1 }), Err(Error::ShardNotFound(_))));
    assert!(!env.shard_dir("s").exists());
    assert!(matches!(log.delete_shard(&id), Err(Error::ShardNotFound(_))));
    let id = create(&log, "s");
    assert_eq!(append(&log, &id, &batch("b", 1, 5, T0_MS)), 0);
    assert_eq!(read_all(&log, &id).len(), 1);
    assert!(matches!(
        log.create_shard(&id, ShardSpec { start_position: 0, retention_ms: 1 }),
        Err(Error::ShardExists(_))
    ));
}

#[test]
fn invalid_shard_ids_and_batches_are_rejected() {
    assert!(matches!(shard_log::ShardId::new("../x"), Err(Error::InvalidShardId(_))));
    assert!(matches!(shard_log::ShardId::new(".hidden"), Err(Error::InvalidShardId(_))));
    assert!(matches!(shard_log::ShardId::new(""), Err(Error::InvalidShardId(_))));
    let env = Env::new();
    let log = env.open();
    let id = create(&log, "s");
    assert!(matches!(log.append(&id, &[]), Err(Error::InvalidBatch(_))));
    assert_eq!(log.bounds(&id).unwrap().end, 0);
}

#[test]
fn everything_survives_reopen_and_many_segments() {
    let env = Env::new();
    let small = |o: &mut shard_log::LogOptions| {
        o.segment_bytes_max = 4096;
        o.index_interval_bytes = 512;
        o.fd_cache_max = 2;
        o.index_cache_segments_max = 1;
    };
    let (a, b) = {
        let log = env.open_with(small);
        let (a, b) = (create(&log, "a"), create(&log, "b"));
        for i in 0..60 {
            append(&log, &a, &batch(&format!("a{i}"), 3, 100, T0_MS + i));
            append(&log, &b, &batch(&format!("b{i}"), 1, 300, T0_MS + i));
        }
        (a, b)
    };
    assert!(segment_files(&env.shard_dir("a")).len() >= 5, "segments rolled");
    // Lose some sealed indexes: they are rebuilt from the segments.
    for name in segment_files(&env.shard_dir("a")).iter().take(3) {
        std::fs::remove_file(env.shard_dir("a").join(name.replace(".log", ".idx"))).ok();
    }
    let log = env.open_with(small);
    let all_a = read_all(&log, &a);
    assert_eq!(all_a.len(), 180);
    assert!(all_a.iter().enumerate().all(|(i, r)| r.position == i as u64));
    assert_eq!(&all_a[179].data[..6], b"a59-2-");
    assert_eq!(read_all(&log, &b).len(), 60);
    // Random-access reads land on the right record in any segment.
    for p in [0u64, 1, 50, 99, 100, 177, 179] {
        let got = log.read(&a, p, ReadLimits { records_max: 1, bytes_max: 1 << 20 }).unwrap();
        assert_eq!(got.records[0].position, p);
    }
    assert_eq!(append(&log, &a, &batch("z", 1, 1, T0_MS + 100)), 180);
}

#[test]
fn concurrent_appends_share_fsyncs() {
    let env = Env::new();
    let log = Arc::new(env.open());
    let ids: Vec<_> = (0..4).map(|i| create(&log, &format!("s{i}"))).collect();
    let before = log.metrics();
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let (log, ids) = (log.clone(), ids.clone());
            std::thread::spawn(move || {
                for i in 0..50 {
                    append(&log, &ids[(t + i) % 4], &batch("x", 5, 200, T0_MS));
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    let m = log.metrics();
    assert_eq!(m.batches_appended - before.batches_appended, 400);
    assert_eq!(m.records_appended - before.records_appended, 2000);
    assert!(m.fsyncs - before.fsyncs < 400, "{} fsyncs for 400 batches: no group commit", m.fsyncs);
    assert!(m.fsync_us_max > 0);
    let total: usize = ids.iter().map(|id| read_all(&log, id).len()).sum();
    assert_eq!(total, 2000);
}

#[test]
fn a_second_process_cannot_open_the_same_dir() {
    let env = Env::new();
    let _log = env.open();
    assert!(matches!(shard_log::FileLog::open(env.dir.path(), env.options()), Err(Error::Locked(_))));
}

#[test]
fn tickets_can_be_awaited_and_watchers_see_new_ends() {
    let env = Env::new();
    let log = env.open();
    let id = create(&log, "s");
    let mut watch = log.watch_end(&id).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let ack = rt.block_on(async { log.append(&id, &batch("a", 4, 10, T0_MS)).unwrap().await.unwrap() });
    assert_eq!((ack.first_position, ack.record_count, ack.end_position()), (0, 4, 4));
    assert!(watch.has_changed().unwrap());
    assert_eq!(*watch.borrow_and_update(), 4);
}

#[test]
fn unsynced_appends_are_invisible_under_always_and_visible_under_none() {
    let env = Env::new();
    let log = env.open_with(|o| o.durability = Durability::None);
    let id = create(&log, "s");
    let ack = log.append(&id, &batch("a", 2, 10, T0_MS)).unwrap().wait().unwrap();
    assert_eq!(ack.first_position, 0);
    assert_eq!(read_all(&log, &id).len(), 2);
    let before = log.metrics().fsyncs;
    log.flush().unwrap();
    assert!(log.metrics().fsyncs > before, "flush syncs under None too");
}
