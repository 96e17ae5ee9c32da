//! What the endpoint acknowledged, and the check that a drain read back
//! exactly that: every acknowledged record once, in sequence order per
//! shard, with identical data (compared by digest).
//!
//! Memory is bounded by the run's own bounds: one entry (sequence number +
//! 8-byte digest, about 32 bytes) per acknowledged record.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;

/// A Kinesis sequence number: a decimal string of up to 128 digits. Most
/// servers (kinesd: 38 digits) fit in a u128; AWS's 56-digit ones do not
/// and are kept as digits. Ordering is numeric either way.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum SequenceNumber {
    /// Fits in 128 bits. Always below any `Big`, since `Big` is only used when it does not fit.
    Small(u128),
    /// Does not fit in 128 bits.
    Big(Digits),
}

/// Decimal digits without leading zeros, ordered numerically.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digits(Box<str>);

impl Ord for Digits {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.len().cmp(&other.0.len()).then_with(|| self.0.as_bytes().cmp(other.0.as_bytes()))
    }
}

impl PartialOrd for Digits {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl SequenceNumber {
    /// Parses a decimal sequence number; `None` when it is not one.
    pub fn parse(text: &str) -> Option<SequenceNumber> {
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let digits = text.trim_start_matches('0');
        match digits.parse::<u128>() {
            Ok(value) => Some(SequenceNumber::Small(value)),
            Err(_) if digits.is_empty() => Some(SequenceNumber::Small(0)),
            Err(_) => Some(SequenceNumber::Big(Digits(digits.into()))),
        }
    }
}

impl std::fmt::Display for SequenceNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SequenceNumber::Small(value) => write!(f, "{value}"),
            SequenceNumber::Big(digits) => f.write_str(&digits.0),
        }
    }
}

/// Shard ids of one stream and their positions, shared by every worker.
#[derive(Debug)]
pub struct ShardIds {
    ids: Vec<String>,
    index: HashMap<String, usize>,
}

impl ShardIds {
    pub fn new(ids: Vec<String>) -> Arc<ShardIds> {
        let index = ids.iter().enumerate().map(|(i, id)| (id.clone(), i)).collect();
        Arc::new(ShardIds { ids, index })
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    pub fn id(&self, index: usize) -> &str {
        &self.ids[index]
    }

    pub fn index_of(&self, shard_id: &str) -> Option<usize> {
        self.index.get(shard_id).copied()
    }
}

/// Acknowledged records per shard: (sequence number, data digest).
#[derive(Debug)]
pub struct AckLedger {
    pub shards: Arc<ShardIds>,
    acked: Vec<Vec<(SequenceNumber, u64)>>,
}

impl AckLedger {
    pub fn new(shards: Arc<ShardIds>) -> AckLedger {
        let acked = vec![Vec::new(); shards.len()];
        AckLedger { shards, acked }
    }

    /// Records one acknowledgement; false if the shard id is not of this stream.
    pub fn ack(&mut self, shard_id: &str, sequence: SequenceNumber, digest: u64) -> bool {
        match self.shards.index_of(shard_id) {
            Some(index) => {
                self.acked[index].push((sequence, digest));
                true
            }
            None => false,
        }
    }

    /// Adds another worker's acknowledgements.
    pub fn merge(&mut self, other: AckLedger) {
        for (mine, theirs) in self.acked.iter_mut().zip(other.acked) {
            mine.extend(theirs);
        }
    }

    pub fn total(&self) -> u64 {
        self.acked.iter().map(|s| s.len() as u64).sum()
    }

    /// The acknowledgements as JSON (`shards`, and per shard `[sequence, digest]`
    /// pairs), so that another run can check them (kill -9 survival).
    pub fn to_json(&self) -> serde_json::Value {
        let acked: Vec<Vec<(String, u64)>> =
            self.acked.iter().map(|shard| shard.iter().map(|(s, d)| (s.to_string(), *d)).collect()).collect();
        serde_json::json!({"shards": self.shards.ids, "acked": acked})
    }

    /// Reads what `to_json` wrote; `None` when it is not that shape.
    pub fn from_json(value: &serde_json::Value) -> Option<AckLedger> {
        let ids: Vec<String> = serde_json::from_value(value.get("shards")?.clone()).ok()?;
        let acked: Vec<Vec<(String, u64)>> = serde_json::from_value(value.get("acked")?.clone()).ok()?;
        if acked.len() != ids.len() {
            return None;
        }
        let mut ledger = AckLedger::new(ShardIds::new(ids));
        for (shard, entries) in ledger.acked.iter_mut().zip(acked) {
            for (sequence, digest) in entries {
                shard.push((SequenceNumber::parse(&sequence)?, digest));
            }
        }
        Some(ledger)
    }

    /// A verifier per shard, each expecting that shard's records in sequence order.
    pub fn into_verifiers(self) -> Vec<ShardVerifier> {
        self.acked
            .into_iter()
            .map(|mut expected| {
                expected.sort_unstable_by(|a, b| a.0.cmp(&b.0));
                ShardVerifier { expected, cursor: 0, last_read: None, counts: CheckCounts::default() }
            })
            .collect()
    }
}

/// What a drain found, per shard or summed over shards.
#[derive(Debug, Default, Clone, Serialize, PartialEq, Eq)]
pub struct CheckCounts {
    pub acknowledged: u64,
    pub read: u64,
    /// Acknowledged, matched in order with identical data.
    pub matched: u64,
    /// Acknowledged but never read.
    pub missing: u64,
    /// Read again with the same sequence number as the record before it.
    pub duplicated: u64,
    /// Read with a sequence number below the one before it.
    pub out_of_order: u64,
    /// Read with an acknowledged sequence number but different data.
    pub corrupted: u64,
    /// Read but never acknowledged (possible only after transport errors,
    /// when a write may land without its answer arriving).
    pub unacknowledged: u64,
}

impl CheckCounts {
    pub fn add(&mut self, other: &CheckCounts) {
        self.acknowledged += other.acknowledged;
        self.read += other.read;
        self.matched += other.matched;
        self.missing += other.missing;
        self.duplicated += other.duplicated;
        self.out_of_order += other.out_of_order;
        self.corrupted += other.corrupted;
        self.unacknowledged += other.unacknowledged;
    }

    /// True when every acknowledged record was read exactly once, in order,
    /// intact; unacknowledged extras are tolerated only when allowed.
    pub fn passed(&self, tolerate_unacknowledged: bool) -> bool {
        self.matched == self.acknowledged
            && self.missing == 0
            && self.duplicated == 0
            && self.out_of_order == 0
            && self.corrupted == 0
            && (tolerate_unacknowledged || self.unacknowledged == 0)
    }
}

/// Checks one shard's records as they are read, without storing them.
#[derive(Debug)]
pub struct ShardVerifier {
    expected: Vec<(SequenceNumber, u64)>,
    cursor: usize,
    last_read: Option<SequenceNumber>,
    counts: CheckCounts,
}

impl ShardVerifier {
    /// Takes the next record read from the shard.
    pub fn read(&mut self, sequence: SequenceNumber, digest: u64) {
        self.counts.read += 1;
        if let Some(last) = &self.last_read {
            match sequence.cmp(last) {
                Ordering::Equal => {
                    self.counts.duplicated += 1;
                    return;
                }
                Ordering::Less => {
                    self.counts.out_of_order += 1;
                    return;
                }
                Ordering::Greater => {}
            }
        }
        // Acknowledged records below this one were skipped over.
        while self.cursor < self.expected.len() && self.expected[self.cursor].0 < sequence {
            self.counts.missing += 1;
            self.cursor += 1;
        }
        match self.expected.get(self.cursor) {
            Some((expected, expected_digest)) if *expected == sequence => {
                if *expected_digest == digest {
                    self.counts.matched += 1;
                } else {
                    self.counts.corrupted += 1;
                }
                self.cursor += 1;
            }
            _ => self.counts.unacknowledged += 1,
        }
        self.last_read = Some(sequence);
    }

    /// How many acknowledged records are still expected.
    pub fn remaining(&self) -> usize {
        self.expected.len() - self.cursor
    }

    /// Ends the check: whatever was not read is missing.
    pub fn finish(mut self) -> CheckCounts {
        self.counts.acknowledged = self.expected.len() as u64;
        self.counts.missing += self.remaining() as u64;
        self.counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seq(n: u128) -> SequenceNumber {
        SequenceNumber::Small(n)
    }

    fn verifier(acked: &[(u128, u64)]) -> ShardVerifier {
        let shards = ShardIds::new(vec!["s0".into()]);
        let mut ledger = AckLedger::new(shards);
        for &(s, d) in acked {
            assert!(ledger.ack("s0", seq(s), d));
        }
        ledger.into_verifiers().pop().unwrap()
    }

    #[test]
    fn ledger_json_round_trips_small_and_big_sequence_numbers() {
        let mut ledger = AckLedger::new(ShardIds::new(vec!["a".into(), "b".into()]));
        let big = "49590338271490256608559692538361571095921575989136588898";
        assert!(ledger.ack("b", SequenceNumber::parse(big).unwrap(), 7));
        assert!(ledger.ack("a", SequenceNumber::parse("12").unwrap(), u64::MAX));
        let back = AckLedger::from_json(&ledger.to_json()).unwrap();
        assert_eq!(back.shards.ids, ledger.shards.ids);
        assert_eq!(back.acked, ledger.acked);
        assert_eq!(back.acked[1][0].0.to_string(), big);
        assert!(AckLedger::from_json(&serde_json::json!({"shards": ["a"], "acked": []})).is_none());
    }

    #[test]
    fn sequence_numbers_order_numerically_beyond_128_bits() {
        let aws = "49590338271490256608559692538361571095921575989136588898";
        let aws_next = "49590338271490256608559692538361571095921575989136588899";
        let kinesd = "40000000000000000000000000000000000000";
        assert!(SequenceNumber::parse(aws).unwrap() < SequenceNumber::parse(aws_next).unwrap());
        assert!(SequenceNumber::parse(kinesd).unwrap() < SequenceNumber::parse(aws).unwrap());
        assert!(SequenceNumber::parse("9").unwrap() < SequenceNumber::parse("10").unwrap());
        assert_eq!(SequenceNumber::parse("007"), Some(seq(7)));
        assert_eq!(SequenceNumber::parse("000"), Some(seq(0)));
        assert_eq!(SequenceNumber::parse(""), None);
        assert_eq!(SequenceNumber::parse("12a"), None);
    }

    #[test]
    fn exact_read_back_passes() {
        // Acknowledged out of order (two workers), read in order.
        let mut v = verifier(&[(3, 30), (1, 10), (2, 20)]);
        for (s, d) in [(1, 10), (2, 20), (3, 30)] {
            v.read(seq(s), d);
        }
        let counts = v.finish();
        assert_eq!(counts, CheckCounts { acknowledged: 3, read: 3, matched: 3, ..Default::default() });
        assert!(counts.passed(false));
    }

    #[test]
    fn missing_duplicate_reordered_corrupt_and_extra_records_are_each_counted() {
        let mut v = verifier(&[(1, 10), (2, 20), (3, 30), (5, 50), (6, 60)]);
        v.read(seq(1), 10);
        v.read(seq(1), 10); // duplicate
        v.read(seq(3), 30); // 2 skipped: missing
        v.read(seq(2), 20); // below the last: out of order
        v.read(seq(4), 40); // never acknowledged
        v.read(seq(5), 99); // corrupted
        let counts = v.finish(); // 6 never read: missing
        assert_eq!(
            counts,
            CheckCounts {
                acknowledged: 5,
                read: 6,
                matched: 2,
                missing: 2,
                duplicated: 1,
                out_of_order: 1,
                corrupted: 1,
                unacknowledged: 1,
            }
        );
        assert!(!counts.passed(true));
    }

    #[test]
    fn unacknowledged_extras_pass_only_when_tolerated() {
        let mut v = verifier(&[(1, 10)]);
        v.read(seq(1), 10);
        v.read(seq(2), 20);
        let counts = v.finish();
        assert!(counts.passed(true));
        assert!(!counts.passed(false));
    }

    #[test]
    fn ledger_rejects_foreign_shards_and_merges_workers() {
        let shards = ShardIds::new(vec!["a".into(), "b".into()]);
        let mut one = AckLedger::new(shards.clone());
        let mut two = AckLedger::new(shards);
        assert!(one.ack("a", seq(1), 1));
        assert!(two.ack("b", seq(2), 2));
        assert!(!two.ack("c", seq(3), 3));
        one.merge(two);
        assert_eq!(one.total(), 2);
    }
}
