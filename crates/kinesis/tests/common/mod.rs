//! The Kinesis service on a temporary data dir with an injected clock,
//! and JSON calls to it, shared by the service-level tests.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use kinesis::{Kinesis, KinesisConfig, KinesisError};
use serde_json::Value;
use shard_log::{FileLog, LogOptions, ManualClock};

pub const T0_MS: i64 = 1_700_000_000_000;
pub const HOUR_MS: i64 = 3_600_000;

pub struct Env {
    pub dir: tempfile::TempDir,
    pub clock: ManualClock,
    pub rt: tokio::runtime::Runtime,
}

impl Env {
    pub fn new() -> Env {
        Env {
            dir: tempfile::tempdir().unwrap(),
            clock: ManualClock::new(T0_MS),
            rt: tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap(),
        }
    }

    /// The service on this dir and clock, with a transition delay.
    pub fn open(&self, delay_ms: u64) -> Kinesis {
        self.open_with(|cfg| cfg.transition_delay = Duration::from_millis(delay_ms))
    }

    /// The service with adjusted settings (transition delay 0 unless changed).
    pub fn open_with(&self, tweak: impl FnOnce(&mut KinesisConfig)) -> Kinesis {
        let clock = Arc::new(self.clock.clone());
        let log = FileLog::open(self.dir.path(), LogOptions { clock: clock.clone(), ..LogOptions::default() }).unwrap();
        let mut cfg = KinesisConfig { transition_delay: Duration::ZERO, clock, ..KinesisConfig::default() };
        tweak(&mut cfg);
        Kinesis::open(self.dir.path(), cfg, Arc::new(log)).unwrap()
    }

    pub fn call(&self, k: &Kinesis, op: &str, body: Value) -> Result<Value, KinesisError> {
        let out = self.rt.block_on(k.call(op, body.to_string().as_bytes()))?;
        Ok(serde_json::from_slice(&out).unwrap())
    }

    pub fn ok(&self, k: &Kinesis, op: &str, body: Value) -> Value {
        self.call(k, op, body).unwrap_or_else(|e| panic!("{op} failed: {e:?}"))
    }

    pub fn err(&self, k: &Kinesis, op: &str, body: Value) -> KinesisError {
        self.call(k, op, body).expect_err(op)
    }
}

pub fn b64(data: &(impl AsRef<[u8]> + ?Sized)) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(data.as_ref())
}

pub fn unb64(text: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(text).unwrap()
}
