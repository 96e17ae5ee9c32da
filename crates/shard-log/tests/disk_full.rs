//! A full disk or a failing device: the append fails, nothing is partly
//! acknowledged, and the log is readable and appendable once space returns.

mod common;

use std::process::Command;

use common::*;
use shard_log::{Clock, Durability, Error, FileLog, LogOptions, ReadLimits, ShardLog, SystemClock};

const ENOSPC: i32 = 28;

#[test]
fn a_failed_write_acknowledges_nothing_and_leaves_no_bytes_behind() {
    let env = Env::new();
    let log = env.open();
    let id = create(&log, "s");
    append(&log, &id, &batch("ok", 3, 100, T0_MS));
    let seg = env.shard_dir("s").join("00000000000000000000.log");
    let size_before = std::fs::metadata(&seg).unwrap().len();
    env.faults.set_fail_writes(true);
    let err = log.append(&id, &batch("full", 3, 100, T0_MS)).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(ENOSPC), "{err}");
    assert_eq!(std::fs::metadata(&seg).unwrap().len(), size_before, "the half-written frame is cut off");
    assert_eq!(log.bounds(&id).unwrap().end, 3);
    assert_eq!(read_all(&log, &id).len(), 3, "still readable");
    assert_eq!(log.metrics().append_errors, 1);
    env.faults.set_fail_writes(false);
    assert_eq!(append(&log, &id, &batch("again", 2, 100, T0_MS)), 3, "positions continue without a gap");
    drop(log);
    let log = env.open();
    let all = read_all(&log, &id);
    assert_eq!(all.len(), 5);
    assert_eq!(&all[3].data[..8], b"again-0-");
    assert_eq!(log.metrics().torn_tails_truncated, 0);
}

#[test]
fn a_failed_fsync_fails_every_waiting_append_and_rolls_them_back() {
    let env = Env::new();
    let log = env.open();
    let id = create(&log, "s");
    append(&log, &id, &batch("ok", 2, 100, T0_MS));
    env.faults.set_fail_syncs(true);
    let err = log.append(&id, &batch("lost", 2, 100, T0_MS)).unwrap().wait().unwrap_err();
    assert_eq!(err.raw_os_error(), Some(ENOSPC), "{err}");
    assert_eq!(log.bounds(&id).unwrap().end, 2, "the unsynced batch never became visible");
    env.faults.set_fail_syncs(false);
    assert_eq!(append(&log, &id, &batch("again", 1, 100, T0_MS)), 2);
    let all = read_all(&log, &id);
    assert_eq!(all.len(), 3);
    assert_eq!(&all[2].data[..8], b"again-0-");
    drop(log);
    assert_eq!(read_all(&env.open(), &id).len(), 3, "the rolled-back batch does not come back on reopen");
}

#[test]
fn a_failed_fsync_under_interval_is_retried() {
    let env = Env::new();
    let log = env.open_with(|o| o.durability = Durability::Interval(std::time::Duration::from_millis(5)));
    let id = create(&log, "s");
    env.faults.set_fail_syncs(true);
    append(&log, &id, &batch("a", 2, 10, T0_MS));
    std::thread::sleep(std::time::Duration::from_millis(30));
    assert!(log.metrics().fsync_errors >= 1);
    assert!(log.flush().is_err());
    env.faults.set_fail_syncs(false);
    log.flush().unwrap();
    assert_eq!(read_all(&log, &id).len(), 2);
}

/// The real thing: a 1 MiB tmpfs filled until writes fail with ENOSPC.
/// Needs permission to mount (root, as in CI); elsewhere the injected
/// failures above cover the same paths.
#[test]
fn a_really_full_filesystem_fails_appends_until_space_is_freed() {
    let mount = tempfile::tempdir().unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
        .arg(mount.path())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("SKIP: cannot mount a tmpfs here (not root?); injected-fault tests cover ENOSPC");
        return;
    }
    struct Unmount(std::path::PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(&self.0).status();
        }
    }
    let _guard = Unmount(mount.path().to_path_buf());
    let filler = mount.path().join("filler");
    std::fs::write(&filler, vec![0u8; 256 * 1024]).unwrap();
    let log = FileLog::open(mount.path().join("log"), LogOptions::default()).unwrap();
    let id = create(&log, "s");
    let now_ms = SystemClock.now_ms();
    let mut acked = 0u64;
    let err = loop {
        match log.append(&id, &batch("fill", 16, 1000, now_ms)).and_then(|t| t.wait()) {
            Ok(ack) => acked = ack.end_position(),
            Err(e) => break e,
        }
        assert!(acked < 10_000, "the 1 MiB filesystem never filled up");
    };
    assert_eq!(err.raw_os_error(), Some(ENOSPC), "{err}");
    assert!(acked > 0);
    let bounds = log.bounds(&id).unwrap();
    assert_eq!(bounds.end, acked, "nothing beyond the acknowledged records");
    let read = log.read(&id, 0, ReadLimits { records_max: 10_000, bytes_max: 1 << 30 }).unwrap();
    assert_eq!(read.records.len() as u64, acked);
    assert!(log.append(&id, &batch("still-full", 16, 1000, now_ms)).is_err());
    std::fs::remove_file(&filler).unwrap();
    let ack = log.append(&id, &batch("room", 16, 1000, now_ms)).unwrap().wait().unwrap();
    assert_eq!(ack.first_position, acked, "appends resume where they stopped");
    drop(log);
    let log = FileLog::open(mount.path().join("log"), LogOptions::default()).unwrap();
    assert_eq!(log.bounds(&id).unwrap().end, acked + 16);
    assert!(matches!(log.append(&id, &[]), Err(Error::InvalidBatch(_))));
}
