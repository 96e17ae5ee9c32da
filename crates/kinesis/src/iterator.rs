//! Shard iterators: opaque, tamper-proof and short-lived.
//!
//! An iterator is base64 of {version, stream uid, shard index, position,
//! issue time} followed by a truncated HMAC-SHA256 of those bytes under a
//! per-server secret kept in the data dir, so a client can neither forge
//! nor alter one, and one survives a restart.

use std::path::Path;

use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

const VERSION: u8 = 1;
const PAYLOAD_LEN: usize = 1 + 8 + 4 + 8 + 8;
const MAC_LEN: usize = 16;
const KEY_LEN: usize = 32;

/// Where an iterator points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IteratorState {
    pub stream_uid: u64,
    pub shard_index: u32,
    pub position: u64,
    pub issued_ms: i64,
}

/// Encodes and verifies iterators with the server's secret.
pub struct IteratorCodec {
    key: [u8; KEY_LEN],
}

impl IteratorCodec {
    /// Loads the secret from `path`, creating it (mode 0600) on first start.
    pub fn load_or_create(path: &Path) -> std::io::Result<IteratorCodec> {
        Ok(IteratorCodec { key: docstore::secret_file::load_or_create_key(path, "iterator key")? })
    }

    pub fn encode(&self, state: &IteratorState) -> String {
        let mut bytes = Vec::with_capacity(PAYLOAD_LEN + MAC_LEN);
        bytes.push(VERSION);
        bytes.extend_from_slice(&state.stream_uid.to_be_bytes());
        bytes.extend_from_slice(&state.shard_index.to_be_bytes());
        bytes.extend_from_slice(&state.position.to_be_bytes());
        bytes.extend_from_slice(&state.issued_ms.to_be_bytes());
        let mac = self.mac(&bytes);
        bytes.extend_from_slice(&mac[..MAC_LEN]);
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    /// The state of an iterator this server issued; `None` for anything else.
    pub fn decode(&self, text: &str) -> Option<IteratorState> {
        let bytes = base64::engine::general_purpose::STANDARD.decode(text).ok()?;
        if bytes.len() != PAYLOAD_LEN + MAC_LEN || bytes[0] != VERSION {
            return None;
        }
        let (payload, mac) = bytes.split_at(PAYLOAD_LEN);
        let mut check = Hmac::<Sha256>::new_from_slice(&self.key).expect("any key length");
        check.update(payload);
        check.verify_truncated_left(mac).ok()?;
        let u64_at = |at: usize| u64::from_be_bytes(payload[at..at + 8].try_into().expect("8 bytes"));
        Some(IteratorState {
            stream_uid: u64_at(1),
            shard_index: u32::from_be_bytes(payload[9..13].try_into().expect("4 bytes")),
            position: u64_at(13),
            issued_ms: u64_at(21) as i64,
        })
    }

    fn mac(&self, payload: &[u8]) -> [u8; 32] {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("any key length");
        mac.update(payload);
        mac.finalize().into_bytes().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iterators_round_trip_and_reject_tampering_and_other_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("iterator.key");
        let codec = IteratorCodec::load_or_create(&path).unwrap();
        let state = IteratorState { stream_uid: 7, shard_index: 3, position: 99, issued_ms: 1_700_000_000_000 };
        let text = codec.encode(&state);
        assert_eq!(codec.decode(&text), Some(state));
        let again = IteratorCodec::load_or_create(&path).unwrap();
        assert_eq!(again.decode(&text), Some(state), "same key after restart");
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        let mut bytes = base64::engine::general_purpose::STANDARD.decode(&text).unwrap();
        bytes[20] ^= 1;
        assert_eq!(codec.decode(&base64::engine::general_purpose::STANDARD.encode(&bytes)), None);
        assert_eq!(codec.decode("not an iterator"), None);
        let other = IteratorCodec::load_or_create(&dir.path().join("other.key")).unwrap();
        assert_eq!(other.decode(&text), None);
    }
}
