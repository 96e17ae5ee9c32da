//! The hash key space: MD5 of partition keys, and even splits of 0..2^128-1.

use md5::{Digest, Md5};

/// The hash key of a partition key: its MD5 as a 128-bit big-endian integer.
pub fn partition_hash(partition_key: &str) -> u128 {
    u128::from_be_bytes(Md5::digest(partition_key.as_bytes()).into())
}

/// Parses a decimal hash key; `None` when it is not in 0..2^128-1.
pub fn parse_hash_key(text: &str) -> Option<u128> {
    if text.is_empty() || text.len() > 39 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Splits the whole key space into `n` contiguous ranges as AWS does:
/// range i starts at i * floor(2^128 / n); the last range takes the rest.
pub fn split_even(n: u32) -> Vec<(u128, u128)> {
    assert!(n >= 1, "at least one shard");
    if n == 1 {
        return vec![(0, u128::MAX)];
    }
    let n = u128::from(n);
    // floor(2^128 / n) for n >= 2, without overflowing u128.
    let width = u128::MAX / n + u128::from(u128::MAX % n == n - 1);
    (0..n).map(|i| (i * width, if i + 1 == n { u128::MAX } else { (i + 1) * width - 1 })).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_match_aws_boundaries() {
        assert_eq!(split_even(1), vec![(0, u128::MAX)]);
        let two = split_even(2);
        assert_eq!(two[0].1, 170141183460469231731687303715884105727);
        assert_eq!(two[1].0, 170141183460469231731687303715884105728);
        let three = split_even(3);
        assert_eq!(three[1].0, 113427455640312821154458202477256070485);
        assert_eq!(three[2].0, 226854911280625642308916404954512140970);
        // floor(2^128 / 7) = 48611766702991209066196372490252601636
        let seven = split_even(7);
        assert_eq!(seven[2].0, 2 * 48611766702991209066196372490252601636);
        for n in [1u32, 2, 3, 4, 7, 500] {
            let ranges = split_even(n);
            assert_eq!(ranges.len(), n as usize);
            assert_eq!(ranges[0].0, 0);
            assert_eq!(ranges.last().unwrap().1, u128::MAX);
            assert!(ranges.windows(2).all(|w| w[0].1 + 1 == w[1].0), "contiguous for {n}");
        }
    }

    #[test]
    fn partition_hash_is_md5_big_endian() {
        // MD5("") = d41d8cd98f00b204e9800998ecf8427e
        assert_eq!(partition_hash(""), 0xd41d8cd98f00b204e9800998ecf8427e);
        assert_eq!(parse_hash_key("340282366920938463463374607431768211455"), Some(u128::MAX));
        assert_eq!(parse_hash_key("340282366920938463463374607431768211456"), None);
        assert_eq!(parse_hash_key("-1"), None);
    }
}
