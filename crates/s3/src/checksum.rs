//! Object integrity: the MD5 behind ETags and `Content-MD5`, and S3's additional checksums
//! (CRC32, CRC32C, CRC64NVME, SHA1, SHA256) sent as `x-amz-checksum-*` headers or trailers.

use base64::Engine;
use md5::Digest;
use serde::{Deserialize, Serialize};

/// An additional checksum algorithm S3 supports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Algorithm {
    Crc32,
    Crc32c,
    Crc64Nvme,
    Sha1,
    Sha256,
}

/// Every algorithm, in the order headers are looked for.
pub const ALGORITHMS: [Algorithm; 5] =
    [Algorithm::Crc32, Algorithm::Crc32c, Algorithm::Crc64Nvme, Algorithm::Sha1, Algorithm::Sha256];

impl Algorithm {
    /// The name in `x-amz-checksum-algorithm` and XML, e.g. `CRC32C`.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Crc32 => "CRC32",
            Algorithm::Crc32c => "CRC32C",
            Algorithm::Crc64Nvme => "CRC64NVME",
            Algorithm::Sha1 => "SHA1",
            Algorithm::Sha256 => "SHA256",
        }
    }

    /// The header (or trailer) carrying the value, e.g. `x-amz-checksum-crc32c`.
    pub fn header(self) -> &'static str {
        match self {
            Algorithm::Crc32 => "x-amz-checksum-crc32",
            Algorithm::Crc32c => "x-amz-checksum-crc32c",
            Algorithm::Crc64Nvme => "x-amz-checksum-crc64nvme",
            Algorithm::Sha1 => "x-amz-checksum-sha1",
            Algorithm::Sha256 => "x-amz-checksum-sha256",
        }
    }

    /// The XML element carrying the value, e.g. `ChecksumCRC32C`.
    pub fn element(self) -> &'static str {
        match self {
            Algorithm::Crc32 => "ChecksumCRC32",
            Algorithm::Crc32c => "ChecksumCRC32C",
            Algorithm::Crc64Nvme => "ChecksumCRC64NVME",
            Algorithm::Sha1 => "ChecksumSHA1",
            Algorithm::Sha256 => "ChecksumSHA256",
        }
    }

    /// The algorithm named `name` (case-insensitive).
    pub fn parse(name: &str) -> Option<Algorithm> {
        ALGORITHMS.into_iter().find(|a| a.name().eq_ignore_ascii_case(name))
    }

    /// Length of a raw digest.
    pub fn digest_len(self) -> usize {
        match self {
            Algorithm::Crc32 | Algorithm::Crc32c => 4,
            Algorithm::Crc64Nvme => 8,
            Algorithm::Sha1 => 20,
            Algorithm::Sha256 => 32,
        }
    }

    /// A fresh running checksum.
    pub fn hasher(self) -> Hasher {
        match self {
            Algorithm::Crc32 => Hasher::Crc32(crc32fast::Hasher::new()),
            Algorithm::Crc32c => Hasher::Crc32c(0),
            Algorithm::Crc64Nvme => Hasher::Crc64Nvme(CRC64_INIT),
            Algorithm::Sha1 => Hasher::Sha1(sha1::Sha1::new()),
            Algorithm::Sha256 => Hasher::Sha256(sha2::Sha256::new()),
        }
    }

    /// The raw digest of `bytes`.
    pub fn digest(self, bytes: &[u8]) -> Vec<u8> {
        let mut hasher = self.hasher();
        hasher.update(bytes);
        hasher.finish()
    }
}

/// A checksum being computed.
pub enum Hasher {
    Crc32(crc32fast::Hasher),
    Crc32c(u32),
    Crc64Nvme(u64),
    Sha1(sha1::Sha1),
    Sha256(sha2::Sha256),
}

impl Hasher {
    /// Feeds more bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        match self {
            Hasher::Crc32(h) => h.update(bytes),
            Hasher::Crc32c(crc) => *crc = crc32c::crc32c_append(*crc, bytes),
            Hasher::Crc64Nvme(crc) => *crc = crc64nvme_update(*crc, bytes),
            Hasher::Sha1(h) => h.update(bytes),
            Hasher::Sha256(h) => h.update(bytes),
        }
    }

    /// The raw digest (CRCs big-endian, as S3 encodes them).
    pub fn finish(self) -> Vec<u8> {
        match self {
            Hasher::Crc32(h) => h.finalize().to_be_bytes().to_vec(),
            Hasher::Crc32c(crc) => crc.to_be_bytes().to_vec(),
            Hasher::Crc64Nvme(crc) => (crc ^ CRC64_INIT).to_be_bytes().to_vec(),
            Hasher::Sha1(h) => h.finalize().to_vec(),
            Hasher::Sha256(h) => h.finalize().to_vec(),
        }
    }
}

/// A checksum kept with an object or part.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredChecksum {
    /// Which algorithm.
    pub algorithm: Algorithm,
    /// Base64 of the digest; composite ones end in `-<parts>`.
    pub value: String,
    /// `FULL_OBJECT` (a digest of the bytes) rather than `COMPOSITE` (of the parts' digests).
    pub full_object: bool,
}

impl StoredChecksum {
    /// `FULL_OBJECT` or `COMPOSITE`, as `x-amz-checksum-type` says it.
    pub fn kind(&self) -> &'static str {
        if self.full_object {
            "FULL_OBJECT"
        } else {
            "COMPOSITE"
        }
    }
}

/// MD5 and, optionally, one additional checksum of the same bytes, computed in one pass.
pub struct Digests {
    md5: md5::Md5,
    extra: Option<(Algorithm, Hasher)>,
}

impl Digests {
    /// Digests to compute: always MD5, plus `extra` when given.
    pub fn new(extra: Option<Algorithm>) -> Digests {
        Digests { md5: md5::Md5::new(), extra: extra.map(|a| (a, a.hasher())) }
    }

    /// Feeds more bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        self.md5.update(bytes);
        if let Some((_, hasher)) = &mut self.extra {
            hasher.update(bytes);
        }
    }

    /// The raw MD5 and the extra checksum, if any.
    pub fn finish(self) -> ([u8; 16], Option<(Algorithm, Vec<u8>)>) {
        (self.md5.finalize().into(), self.extra.map(|(a, h)| (a, h.finish())))
    }
}

/// Raw MD5 of `bytes`.
pub fn md5(bytes: &[u8]) -> [u8; 16] {
    md5::Md5::digest(bytes).into()
}

/// `"<hex md5>"`, the ETag of an object written in one piece.
pub fn etag(md5: &[u8; 16]) -> String {
    format!("\"{}\"", hex::encode(md5))
}

/// The ETag of an object assembled from parts: the MD5 of the parts' binary MD5s, then `-N`.
pub fn multipart_etag(part_md5s: &[[u8; 16]]) -> String {
    let mut concatenated = Vec::with_capacity(part_md5s.len() * 16);
    for md5 in part_md5s {
        concatenated.extend_from_slice(md5);
    }
    format!("\"{}-{}\"", hex::encode(md5(&concatenated)), part_md5s.len())
}

/// The raw MD5 an ETag stands for, when it is one of a single-piece object (`"<32 hex>"`).
pub fn etag_md5(etag: &str) -> Option<[u8; 16]> {
    let hex_text = etag.trim_matches('"');
    let bytes = hex::decode(hex_text).ok()?;
    bytes.try_into().ok()
}

/// Base64, as S3 writes digests.
pub fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Decodes base64 (standard alphabet, padded).
pub fn unbase64(text: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD.decode(text.trim()).ok()
}

/// CRC-64/NVME: reflected polynomial 0x9a6c9329ac4bc9b5, initial value and final XOR all ones.
const CRC64_POLY_REFLECTED: u64 = 0x9a6c_9329_ac4b_c9b5;
const CRC64_INIT: u64 = u64::MAX;
const CRC64_TABLE: [u64; 256] = crc64_table();

const fn crc64_table() -> [u64; 256] {
    let mut table = [0u64; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u64;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ CRC64_POLY_REFLECTED } else { crc >> 1 };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
}

fn crc64nvme_update(mut crc: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        crc = CRC64_TABLE[((crc ^ u64::from(b)) & 0xff) as usize] ^ (crc >> 8);
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn algorithms_match_their_check_values() {
        // The standard "123456789" check values of each CRC, and the known digests.
        let check = b"123456789";
        assert_eq!(Algorithm::Crc32.digest(check), 0xcbf4_3926u32.to_be_bytes());
        assert_eq!(Algorithm::Crc32c.digest(check), 0xe306_9283u32.to_be_bytes());
        assert_eq!(Algorithm::Crc64Nvme.digest(check), 0xae8b_1486_0a79_9888u64.to_be_bytes());
        assert_eq!(hex::encode(Algorithm::Sha1.digest(b"abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(
            hex::encode(Algorithm::Sha256.digest(b"")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        // botocore's CRC32 of b"0123456789".
        assert_eq!(base64(&Algorithm::Crc32.digest(b"0123456789")), "poTHxg==");
    }

    #[test]
    fn incremental_crc64_equals_one_shot() {
        let mut hasher = Algorithm::Crc64Nvme.hasher();
        hasher.update(b"1234");
        hasher.update(b"56789");
        assert_eq!(hasher.finish(), Algorithm::Crc64Nvme.digest(b"123456789"));
    }

    #[test]
    fn etags_are_quoted_md5_and_md5_of_md5s() {
        assert_eq!(etag(&md5(b"")), "\"d41d8cd98f00b204e9800998ecf8427e\"");
        let parts = [md5(b"a"), md5(b"b")];
        let mut joined = parts[0].to_vec();
        joined.extend_from_slice(&parts[1]);
        assert_eq!(multipart_etag(&parts), format!("\"{}-2\"", hex::encode(md5(&joined))));
        assert_eq!(etag_md5("\"d41d8cd98f00b204e9800998ecf8427e\""), Some(md5(b"")));
        assert_eq!(etag_md5("\"abc-2\""), None);
    }
}
