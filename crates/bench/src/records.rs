//! Record payloads: random data, random partition keys, the request bodies
//! built from them ahead of time, a cheap digest to check what is read back,
//! and the send timestamp that the latency workloads embed in a record.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde_json::{json, Value};

use crate::signing::PreparedBody;

/// Length of a random partition key (the API allows 1..=256 characters).
const PARTITION_KEY_CHARS: usize = 16;
/// Marks a record whose first bytes carry a send timestamp.
const STAMP_MAGIC: [u8; 8] = *b"KBENCHTS";
/// Bytes of a stamp: the magic and a little-endian u64 of nanoseconds.
pub const STAMP_BYTES: usize = STAMP_MAGIC.len() + 8;

/// A 64-bit digest of a record's data, cheap enough (8 bytes per multiply)
/// to run on every record the drain reads at hundreds of MB/s. Not a
/// cryptographic hash: it catches corruption, truncation and mix-ups, not
/// adversaries. The length is mixed in so that trailing zeros count.
pub fn digest(data: &[u8]) -> u64 {
    const SEED: u64 = 0x9E37_79B9_7F4A_7C15;
    const MULTIPLIER: u64 = 0xFF51_AFD7_ED55_8CCD;
    const FINAL_MULTIPLIER: u64 = 0xC4CE_B9FE_1A85_EC53;
    let mix = |h: u64, word: u64| (h ^ word).wrapping_mul(MULTIPLIER).rotate_left(31);
    let mut h = SEED ^ (data.len() as u64).wrapping_mul(MULTIPLIER);
    let mut words = data.chunks_exact(8);
    for word in &mut words {
        h = mix(h, u64::from_le_bytes(word.try_into().expect("chunks of 8")));
    }
    let tail = words.remainder();
    if !tail.is_empty() {
        let mut last = [0u8; 8];
        last[..tail.len()].copy_from_slice(tail);
        h = mix(h, u64::from_le_bytes(last));
    }
    h ^= h >> 33;
    h = h.wrapping_mul(FINAL_MULTIPLIER);
    h ^ (h >> 33)
}

/// `len` random bytes.
pub fn random_bytes(rng: &mut fastrand::Rng, len: usize) -> Vec<u8> {
    let mut data = vec![0u8; len];
    rng.fill(&mut data);
    data
}

/// A random alphanumeric partition key, so records spread over all shards.
pub fn random_partition_key(rng: &mut fastrand::Rng) -> String {
    (0..PARTITION_KEY_CHARS).map(|_| rng.alphanumeric()).collect()
}

/// A PutRecords body built ahead of time, with the digest of each record's
/// data in request order (the answer's entries come in the same order).
pub struct BatchBody {
    pub body: PreparedBody,
    pub digests: Vec<u64>,
    /// Sum of the records' data sizes (what MB/s counts).
    pub data_bytes: u64,
}

/// A PutRecords body of `records` random records of `record_bytes` each.
pub fn batch_body(rng: &mut fastrand::Rng, stream: &str, records: usize, record_bytes: usize) -> BatchBody {
    let mut digests = Vec::with_capacity(records);
    let entries: Vec<Value> = (0..records)
        .map(|_| {
            let data = random_bytes(rng, record_bytes);
            digests.push(digest(&data));
            json!({"Data": BASE64.encode(&data), "PartitionKey": random_partition_key(rng)})
        })
        .collect();
    let body = PreparedBody::json(&json!({"StreamName": stream, "Records": entries}));
    BatchBody { body, digests, data_bytes: (records * record_bytes) as u64 }
}

/// A PutRecord body; `explicit_hash_key` aims it at one shard.
pub fn single_body(stream: &str, data: &[u8], partition_key: &str, explicit_hash_key: Option<&str>) -> PreparedBody {
    let mut body = json!({"StreamName": stream, "Data": BASE64.encode(data), "PartitionKey": partition_key});
    if let Some(key) = explicit_hash_key {
        body["ExplicitHashKey"] = Value::String(key.to_string());
    }
    PreparedBody::json(&body)
}

/// Record data of `len` bytes (at least `STAMP_BYTES`) starting with a
/// stamp of `sent_ns`, the rest random.
pub fn stamped_data(rng: &mut fastrand::Rng, sent_ns: u64, len: usize) -> Vec<u8> {
    let mut data = random_bytes(rng, len.max(STAMP_BYTES));
    data[..STAMP_MAGIC.len()].copy_from_slice(&STAMP_MAGIC);
    data[STAMP_MAGIC.len()..STAMP_BYTES].copy_from_slice(&sent_ns.to_le_bytes());
    data
}

/// The send timestamp of stamped data, if it has one.
pub fn read_stamp(data: &[u8]) -> Option<u64> {
    if data.len() < STAMP_BYTES || data[..STAMP_MAGIC.len()] != STAMP_MAGIC {
        return None;
    }
    Some(u64::from_le_bytes(data[STAMP_MAGIC.len()..STAMP_BYTES].try_into().expect("8 bytes")))
}

/// Decodes a record's base64 data into `out` (reused across records).
pub fn decode_into(data_base64: &str, out: &mut Vec<u8>) -> Result<(), base64::DecodeError> {
    out.clear();
    BASE64.decode_vec(data_base64, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_is_deterministic_and_sensitive_to_every_byte_and_length() {
        let data: Vec<u8> = (0..1031u32).map(|i| (i * 7) as u8).collect();
        let base = digest(&data);
        assert_eq!(base, digest(&data.clone()));
        for i in [0, 7, 8, 500, 1023, 1024, 1030] {
            let mut flipped = data.clone();
            flipped[i] ^= 1;
            assert_ne!(digest(&flipped), base, "flip at {i}");
        }
        let mut longer = data.clone();
        longer.push(0);
        assert_ne!(digest(&longer), base, "a trailing zero changes the digest");
        assert_ne!(digest(&data[..1030]), base, "truncation changes the digest");
        assert_ne!(digest(b""), digest(&[0]));
    }

    #[test]
    fn batch_body_records_digests_in_request_order() {
        let mut rng = fastrand::Rng::with_seed(1);
        let batch = batch_body(&mut rng, "s", 3, 10);
        assert_eq!(batch.digests.len(), 3);
        assert_eq!(batch.data_bytes, 30);
        let body: Value = serde_json::from_slice(&batch.body.bytes).unwrap();
        assert_eq!(body["StreamName"], "s");
        for (entry, expected) in body["Records"].as_array().unwrap().iter().zip(&batch.digests) {
            let data = BASE64.decode(entry["Data"].as_str().unwrap()).unwrap();
            assert_eq!(data.len(), 10);
            assert_eq!(digest(&data), *expected);
            assert_eq!(entry["PartitionKey"].as_str().unwrap().len(), PARTITION_KEY_CHARS);
        }
    }

    #[test]
    fn stamp_round_trips_and_unstamped_data_has_none() {
        let mut rng = fastrand::Rng::with_seed(2);
        let data = stamped_data(&mut rng, 123_456_789, 100);
        assert_eq!(data.len(), 100);
        assert_eq!(read_stamp(&data), Some(123_456_789));
        assert_eq!(stamped_data(&mut rng, 5, 3).len(), STAMP_BYTES, "short records grow to hold the stamp");
        assert_eq!(read_stamp(&[0u8; 100]), None);
        assert_eq!(read_stamp(b"KBENCH"), None);
    }

    #[test]
    fn single_body_carries_explicit_hash_key_only_when_given() {
        let with: Value = serde_json::from_slice(&single_body("s", b"ab", "k", Some("42")).bytes).unwrap();
        assert_eq!(with["ExplicitHashKey"], "42");
        assert_eq!(with["Data"], "YWI=");
        let without: Value = serde_json::from_slice(&single_body("s", b"ab", "k", None).bytes).unwrap();
        assert!(without.get("ExplicitHashKey").is_none());
    }
}
