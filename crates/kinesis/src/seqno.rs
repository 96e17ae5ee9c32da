//! Sequence numbers: decimal strings that encode shard and position.
//!
//! value = BASE + shard_index * 2^64 + slot, where slot 0 lies before the
//! shard's first record (the shard's StartingSequenceNumber) and the record
//! at position p has slot p + 1. Within a shard they grow with the position;
//! a child shard (a higher index) gets numbers above every parent's; the
//! shard a number belongs to can be read back, so a sequence number of
//! another shard is caught; and AFTER_SEQUENCE_NUMBER of a shard's starting
//! number (or of an empty subscription's continuation) reads from its first
//! record.

/// Keeps every sequence number 38 digits long, as opaque as AWS's look.
const BASE: u128 = 40_000_000_000_000_000_000_000_000_000_000_000_000;

/// A decoded sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct SequenceNumber {
    pub shard_index: u32,
    slot: u64,
}

impl SequenceNumber {
    /// The number of the record at `position`.
    pub fn new(shard_index: u32, position: u64) -> SequenceNumber {
        SequenceNumber { shard_index, slot: position + 1 }
    }

    /// The number just before `position`: AFTER it reads from `position`.
    pub fn before(shard_index: u32, position: u64) -> SequenceNumber {
        SequenceNumber { shard_index, slot: position }
    }

    /// Position an AT_SEQUENCE_NUMBER iterator starts at.
    pub fn at_position(self) -> u64 {
        self.slot.saturating_sub(1)
    }

    /// Position an AFTER_SEQUENCE_NUMBER iterator starts at.
    pub fn after_position(self) -> u64 {
        self.slot
    }

    pub fn encode(self) -> String {
        (BASE + (u128::from(self.shard_index) << 64) + u128::from(self.slot)).to_string()
    }

    /// Decodes a sequence number this server issued; `None` otherwise.
    pub fn parse(text: &str) -> Option<SequenceNumber> {
        if text.len() > 39 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let value: u128 = text.parse().ok()?;
        let rest = value.checked_sub(BASE)?;
        let shard_index = u32::try_from(rest >> 64).ok()?;
        Some(SequenceNumber { shard_index, slot: rest as u64 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_orders_by_shard_then_position() {
        let start = SequenceNumber::before(0, 0);
        let a = SequenceNumber::new(0, 5);
        let b = SequenceNumber::new(0, 6);
        let child = SequenceNumber::before(1, 0);
        for s in [start, a, b, child] {
            assert_eq!(SequenceNumber::parse(&s.encode()), Some(s));
            assert_eq!(s.encode().len(), 38);
        }
        let num = |s: SequenceNumber| s.encode().parse::<u128>().unwrap();
        assert!(num(start) < num(a) && num(a) < num(b) && num(b) < num(child));
        assert_eq!((a.at_position(), a.after_position()), (5, 6));
        assert_eq!((start.at_position(), start.after_position()), (0, 0));
        assert_eq!(SequenceNumber::parse("12"), None);
        assert_eq!(SequenceNumber::parse("abc"), None);
    }
}
