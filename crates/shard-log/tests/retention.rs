//! Retention with an injected clock: expired records are never returned and
//! whole expired segments are deleted, without losing the shard's position.

mod common;

use common::*;
use shard_log::{ReadLimits, ShardLog, ShardSpec};

const ALL: ReadLimits = ReadLimits { records_max: 10_000, bytes_max: 1 << 30 };

#[test]
fn expired_records_disappear_and_their_segments_are_deleted() {
    let env = Env::new();
    let log = env.open_with(|o| o.segment_bytes_max = 1000);
    let id = sid("s");
    log.create_shard(&id, ShardSpec { start_position: 0, retention_ms: 24 * HOUR_MS }).unwrap();
    // One batch per hour for 10 hours: 30 records, several segments.
    for h in 0..10 {
        append(&log, &id, &batch(&format!("h{h}"), 3, 100, env_now(&env)));
        env.clock.advance_ms(HOUR_MS);
    }
    let segments_before = segment_files(&env.shard_dir("s")).len();
    assert!(segments_before >= 4, "{segments_before}");
    // Now = T0 + 10h. Move to T0 + 27.5h: hours 0..3 are older than 24 h.
    env.clock.set_ms(T0_MS + 27 * HOUR_MS + HOUR_MS / 2);
    let batch = log.read(&id, 0, ALL).unwrap();
    assert_eq!(batch.records.first().map(|r| r.position), Some(12), "hours 0-3 expired");
    assert_eq!(batch.records.len(), 18);
    assert_eq!(&batch.records[0].data[..5], b"h4-0-");
    assert_eq!(log.bounds(&id).unwrap().trim_horizon, 12);
    assert_eq!(log.position_at_time(&id, T0_MS).unwrap(), 12);
    let report = log.enforce_retention().unwrap();
    assert!(report.segments_deleted >= 1 && report.bytes_deleted > 0, "{report:?}");
    let remaining = segment_files(&env.shard_dir("s"));
    assert_eq!(remaining.len() as u64, segments_before as u64 - report.segments_deleted);
    // Every deleted segment held only expired records; nothing readable was lost.
    assert_eq!(log.read(&id, 0, ALL).unwrap().records.len(), 18);
    drop(log);
    let log = env.open();
    assert_eq!(log.read(&id, 0, ALL).unwrap().records.len(), 18, "same after reopen");
}

fn env_now(env: &Env) -> i64 {
    use shard_log::Clock;
    env.clock.now_ms()
}

#[test]
fn an_idle_shard_gives_back_all_its_space_but_keeps_its_position() {
    let env = Env::new();
    let id = {
        let log = env.open();
        let id = create(&log, "s");
        append(&log, &id, &batch("old", 5, 1000, T0_MS));
        env.clock.advance_ms(25 * HOUR_MS);
        assert!(log.read(&id, 0, ALL).unwrap().records.is_empty());
        let bounds = log.bounds(&id).unwrap();
        assert_eq!((bounds.trim_horizon, bounds.end), (5, 5));
        let report = log.enforce_retention().unwrap();
        assert_eq!(report.segments_deleted, 1);
        let files = segment_files(&env.shard_dir("s"));
        assert_eq!(files, vec!["00000000000000000005.log".to_string()]);
        assert_eq!(std::fs::metadata(env.shard_dir("s").join(&files[0])).unwrap().len(), 0);
        id
    };
    let log = env.open();
    assert_eq!(log.bounds(&id).unwrap().end, 5);
    assert_eq!(append(&log, &id, &batch("new", 1, 1, env_now(&env))), 5);
    let all = log.read(&id, 0, ALL).unwrap();
    assert_eq!(all.records.iter().map(|r| r.position).collect::<Vec<_>>(), vec![5]);
}

#[test]
fn raising_retention_brings_nothing_back_once_deleted_but_extends_what_is_kept() {
    let env = Env::new();
    let log = env.open();
    let id = create(&log, "s");
    append(&log, &id, &batch("a", 2, 10, T0_MS));
    env.clock.advance_ms(30 * HOUR_MS);
    assert!(log.read(&id, 0, ALL).unwrap().records.is_empty());
    // Not yet deleted: a longer retention makes the records readable again,
    // as Kinesis does for data still inside the new period.
    log.set_retention(&id, 48 * HOUR_MS).unwrap();
    assert_eq!(log.read(&id, 0, ALL).unwrap().records.len(), 2);
    assert_eq!(log.bounds(&id).unwrap().retention_ms, 48 * HOUR_MS);
    log.set_retention(&id, 24 * HOUR_MS).unwrap();
    log.enforce_retention().unwrap();
    log.set_retention(&id, 48 * HOUR_MS).unwrap();
    assert!(log.read(&id, 0, ALL).unwrap().records.is_empty(), "deleted data stays gone");
}
