//! Timestamps, held at millisecond precision (what Kinesis stores and
//! reports).
//!
//! In the awsJson protocols a timestamp travels as epoch seconds, a JSON
//! number that may carry a fraction (botocore sends e.g. `1700000000.123`).
//! On output we always write a plain decimal with a fraction and never
//! scientific notation, e.g. `1700000000.123` or `1700000000.0`.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A point in time, milliseconds since the Unix epoch.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp {
    millis: i64,
}

impl Timestamp {
    /// The Unix epoch.
    pub const EPOCH: Timestamp = Timestamp { millis: 0 };

    /// From milliseconds since the epoch.
    pub const fn from_millis(millis: i64) -> Self {
        Timestamp { millis }
    }

    /// From whole seconds since the epoch.
    pub const fn from_secs(secs: i64) -> Self {
        Timestamp { millis: secs.saturating_mul(1000) }
    }

    /// From fractional epoch seconds, rounded to the nearest millisecond.
    /// Returns `None` for NaN, infinities and values out of range.
    pub fn from_epoch_seconds(secs: f64) -> Option<Self> {
        if !secs.is_finite() {
            return None;
        }
        let millis = (secs * 1000.0).round();
        if millis < i64::MIN as f64 || millis >= i64::MAX as f64 {
            return None;
        }
        Some(Timestamp { millis: millis as i64 })
    }

    /// The current time.
    pub fn now() -> Self {
        Self::from(SystemTime::now())
    }

    /// Milliseconds since the epoch.
    pub const fn as_millis(self) -> i64 {
        self.millis
    }

    /// Whole seconds since the epoch (floor).
    pub const fn as_secs(self) -> i64 {
        self.millis.div_euclid(1000)
    }

    /// Fractional epoch seconds.
    pub fn as_epoch_seconds(self) -> f64 {
        self.millis as f64 / 1000.0
    }

    /// Writes epoch seconds as a plain decimal number with a millisecond
    /// fraction: `1700000000.123`, `1700000000.000`, `-0.500`.
    pub fn write_epoch_seconds(self, out: &mut String) {
        use fmt::Write;
        let secs = self.millis.div_euclid(1000);
        let ms = self.millis.rem_euclid(1000);
        if secs < 0 && ms != 0 {
            // -1.5 s is secs=-2, ms=500: print as -(1).500
            let neg = -(self.millis as i128);
            let _ = write!(out, "-{}.{:03}", neg / 1000, neg % 1000);
        } else {
            let _ = write!(out, "{secs}.{ms:03}");
        }
    }
}

impl From<SystemTime> for Timestamp {
    fn from(t: SystemTime) -> Self {
        match t.duration_since(UNIX_EPOCH) {
            Ok(d) => Timestamp::from_millis(i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
            Err(e) => Timestamp::from_millis(i64::try_from(e.duration().as_millis()).map_or(i64::MIN, |m| -m)),
        }
    }
}

impl From<Timestamp> for SystemTime {
    fn from(t: Timestamp) -> Self {
        if t.millis >= 0 {
            UNIX_EPOCH + Duration::from_millis(t.millis as u64)
        } else {
            UNIX_EPOCH - Duration::from_millis(t.millis.unsigned_abs())
        }
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        self.write_epoch_seconds(&mut s);
        write!(f, "Timestamp({s})")
    }
}

impl fmt::Display for Timestamp {
    /// Java's `Date.toString()` is what AWS would print in a validation
    /// message; timestamps carry no constraints in the models we know, so
    /// this is only used for debugging: epoch seconds.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        self.write_epoch_seconds(&mut s);
        f.write_str(&s)
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // f64 with shortest round-trip formatting (ryu). For any i64 number
        // of milliseconds the magnitude in seconds is < 1e16, where
        // serde_json never switches to exponent notation, and the shortest
        // representation of a millisecond value has at most 3 decimals.
        serializer.serialize_f64(self.as_epoch_seconds())
    }
}
