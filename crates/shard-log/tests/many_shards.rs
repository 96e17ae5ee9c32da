//! Thousands of shards share a bounded set of descriptors and no threads.

mod common;

use common::*;
use shard_log::{ReadLimits, ShardLog};

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map(|d| d.count()).unwrap_or(0)
}

fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").map(|d| d.count()).unwrap_or(0)
}

#[test]
fn two_thousand_shards_use_a_bounded_number_of_descriptors_and_threads() {
    let env = Env::new();
    let fds_before = open_fds();
    let threads_before = threads();
    let log = env.open_with(|o| {
        o.fd_cache_max = 32;
        o.durability = shard_log::Durability::None;
    });
    let ids: Vec<_> = (0..2000).map(|i| create(&log, &format!("shard-{i:04}"))).collect();
    for (i, id) in ids.iter().enumerate() {
        append(&log, id, &batch(&format!("r{i}"), 2, 20, T0_MS));
    }
    for (i, id) in ids.iter().enumerate().rev() {
        let got = log.read(id, 0, ReadLimits { records_max: 10, bytes_max: 1 << 20 }).unwrap();
        assert_eq!(got.records.len(), 2);
        assert!(got.records[1].data.starts_with(format!("r{i}-1-").as_bytes()));
    }
    log.flush().unwrap();
    let fds = open_fds() - fds_before;
    assert!(fds <= 32 + 4, "{fds} descriptors open for 2000 shards");
    // The committer is the only thread the log starts (plus transient sync workers).
    assert!(threads() <= threads_before + 1, "{} threads", threads() - threads_before);
    drop(log);
    // Reopen: shards come back lazily; touching all of them stays bounded too.
    let log = env.open_with(|o| o.fd_cache_max = 32);
    assert_eq!(log.shard_ids().len(), 2000);
    for id in &ids {
        assert_eq!(log.bounds(id).unwrap().end, 2);
    }
    assert!(open_fds() - fds_before <= 32 + 4);
}
