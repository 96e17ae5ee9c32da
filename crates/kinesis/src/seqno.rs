//! Sequence numbers: decimal strings that encode shard and position.
//!
//! value = BASE + shard_index * 2^64 + position. Within a shard they grow
//! with the position; a child shard (a higher index) gets numbers above
//! every parent's; and the shard a number belongs to can be read back, so
//! a sequence number of another shard is caught.

/// Keeps every sequence number 38 digits long, as opaque as AWS's look.
const BASE: u128 = 40_000_000_000_000_000_000_000_000_000_000_000_000;

/// A decoded sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct SequenceNumber {
    pub shard_index: u32,
    pub position: u64,
}

impl SequenceNumber {
    pub fn new(shard_index: u32, position: u64) -> SequenceNumber {
        SequenceNumber { shard_index, position }
    }

    pub fn encode(self) -> String {
        (BASE + (u128::from(self.shard_index) << 64) + u128::from(self.position)).to_string()
    }

    /// Decodes a sequence number this server issued; `None` otherwise.
    pub fn parse(text: &str) -> Option<SequenceNumber> {
        if text.len() > 39 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let value: u128 = text.parse().ok()?;
        let rest = value.checked_sub(BASE)?;
        let shard_index = u32::try_from(rest >> 64).ok()?;
        Some(SequenceNumber { shard_index, position: rest as u64 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_orders_by_shard_then_position() {
        let a = SequenceNumber::new(0, 5);
        let b = SequenceNumber::new(0, 6);
        let child = SequenceNumber::new(1, 0);
        for s in [a, b, child] {
            assert_eq!(SequenceNumber::parse(&s.encode()), Some(s));
            assert_eq!(s.encode().len(), 38);
        }
        let num = |s: SequenceNumber| s.encode().parse::<u128>().unwrap();
        assert!(num(a) < num(b) && num(b) < num(child));
        assert_eq!(SequenceNumber::parse("12"), None);
        assert_eq!(SequenceNumber::parse("abc"), None);
    }
}
