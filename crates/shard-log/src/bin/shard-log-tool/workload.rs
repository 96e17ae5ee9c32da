//! The crash test's deterministic records, shared with the test that checks them.

/// Records of the crash workload are a pure function of (shard, position),
/// so a checker can tell a record is byte-identical without a copy of it.
pub fn workload_record(shard: usize, position: u64) -> (Vec<u8>, Vec<u8>) {
    let mut x = (shard as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ position.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    let mut next = || {
        x ^= x >> 31;
        x = x.wrapping_mul(0x94D0_49BB_1331_11EB);
        x ^= x >> 29;
        x
    };
    let len = (next() % 2048) as usize;
    let data = (0..len).map(|_| next() as u8).collect();
    let key = format!("pk-{shard}-{position}").into_bytes();
    (key, data)
}
