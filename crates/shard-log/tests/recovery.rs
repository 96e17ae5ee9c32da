//! Torn and corrupt segments: a torn tail is cut back to the last valid
//! batch; corruption in the middle of a segment is an error naming where.

mod common;

use std::fs::OpenOptions;
use std::os::unix::fs::FileExt;

use common::*;
use shard_log::{Error, ShardLog};

/// Writes five batches of three records into shard "s" and closes the log.
fn five_batches(env: &Env) {
    let log = env.open();
    let id = create(&log, "s");
    for b in 0..5 {
        append(&log, &id, &batch(&format!("b{b}"), 3, 50, T0_MS));
    }
}

fn only_segment(env: &Env) -> std::path::PathBuf {
    let files = segment_files(&env.shard_dir("s"));
    assert_eq!(files.len(), 1);
    env.shard_dir("s").join(&files[0])
}

fn len(path: &std::path::Path) -> u64 {
    std::fs::metadata(path).unwrap().len()
}

#[test]
fn a_cut_tail_is_truncated_to_the_last_whole_batch_and_appends_continue() {
    for cut in [1u64, 7, 31, 32, 33] {
        let env = Env::new();
        five_batches(&env);
        let seg = only_segment(&env);
        let full = len(&seg);
        let frame = full / 5;
        OpenOptions::new().write(true).open(&seg).unwrap().set_len(full - cut).unwrap();
        let log = env.open();
        let id = sid("s");
        let all = read_all(&log, &id);
        assert_eq!(all.len(), 12, "cut {cut}: the cut batch is gone, the four before it intact");
        assert_eq!(&all[11].data[..5], b"b3-2-");
        assert_eq!(len(&seg), full - frame, "cut {cut}: file cut back to the end of batch 4");
        assert_eq!(log.metrics().torn_tails_truncated, 1);
        assert_eq!(append(&log, &id, &batch("new", 2, 5, T0_MS)), 12);
        drop(log);
        let log = env.open();
        let all = read_all(&log, &id);
        assert_eq!(all.len(), 14);
        assert_eq!(&all[13].data[..6], b"new-1-");
    }
}

#[test]
fn garbage_in_the_last_batch_is_treated_as_a_torn_tail() {
    let env = Env::new();
    five_batches(&env);
    let seg = only_segment(&env);
    let full = len(&seg);
    let file = OpenOptions::new().write(true).open(&seg).unwrap();
    file.write_all_at(&[0xAB; 5], full - 5).unwrap();
    // A half-written header beyond the end: also torn.
    file.write_all_at(b"KS", full).unwrap();
    let log = env.open();
    assert_eq!(read_all(&log, &sid("s")).len(), 12);
    assert_eq!(append(&log, &sid("s"), &batch("n", 1, 5, T0_MS)), 12);
}

#[test]
fn corruption_in_the_middle_of_a_segment_is_an_error_naming_shard_and_offset() {
    let env = Env::new();
    five_batches(&env);
    let seg = only_segment(&env);
    let frame = len(&seg) / 5;
    let at = 2 * frame + 40;
    let file = OpenOptions::new().write(true).open(&seg).unwrap();
    file.write_all_at(&[0xFF], at).unwrap();
    let log = env.open();
    let err = log.bounds(&sid("s")).unwrap_err();
    match &err {
        Error::Corrupt { shard, segment, offset, .. } => {
            assert_eq!(shard, "s");
            assert_eq!(segment, "00000000000000000000.log");
            assert_eq!(*offset, 2 * frame);
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
    let text = err.to_string();
    assert!(text.contains("shard s") && text.contains(&format!("offset {}", 2 * frame)), "{text}");
    // Nothing was truncated: the data after the damage is still there for an operator.
    assert_eq!(len(&seg), 5 * frame);
    assert!(log.append(&sid("s"), &batch("n", 1, 5, T0_MS)).is_err());
}

#[test]
fn a_torn_sealed_segment_drops_the_unacknowledged_segments_after_it() {
    // A crash right after a roll: the old segment's tail was never synced,
    // so nothing in the new segment was acknowledged either.
    let env = Env::new();
    let small = |o: &mut shard_log::LogOptions| o.segment_bytes_max = 600;
    {
        let log = env.open_with(small);
        let id = create(&log, "s");
        for b in 0..6 {
            append(&log, &id, &batch(&format!("b{b}"), 3, 50, T0_MS));
        }
    }
    let files = segment_files(&env.shard_dir("s"));
    assert!(files.len() >= 3, "{files:?}");
    let second = env.shard_dir("s").join(&files[1]);
    std::fs::remove_file(second.with_extension("idx")).unwrap();
    let second_len = len(&second);
    OpenOptions::new().write(true).open(&second).unwrap().set_len(second_len - 3).unwrap();
    let log = env.open_with(small);
    let all = read_all(&log, &sid("s"));
    assert!(all.iter().enumerate().all(|(i, r)| r.position == i as u64));
    assert_eq!(segment_files(&env.shard_dir("s")).len(), 2, "segments after the torn one removed");
    let next = append(&log, &sid("s"), &batch("n", 1, 5, T0_MS));
    assert_eq!(next, all.len() as u64);
}

#[test]
fn a_damaged_index_is_rebuilt_from_its_segment() {
    let env = Env::new();
    let small = |o: &mut shard_log::LogOptions| {
        o.segment_bytes_max = 600;
        o.index_interval_bytes = 1;
    };
    {
        let log = env.open_with(small);
        let id = create(&log, "s");
        for b in 0..6 {
            append(&log, &id, &batch(&format!("b{b}"), 3, 50, T0_MS + b));
        }
    }
    let first_idx = env.shard_dir("s").join(segment_files(&env.shard_dir("s"))[0].replace(".log", ".idx"));
    let mut bytes = std::fs::read(&first_idx).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x55;
    std::fs::write(&first_idx, &bytes).unwrap();
    let log = env.open_with(small);
    assert_eq!(read_all(&log, &sid("s")).len(), 18);
    assert_eq!(log.position_at_time(&sid("s"), T0_MS + 3).unwrap(), 9);
    assert_ne!(std::fs::read(&first_idx).unwrap(), bytes, "index rewritten");
}
