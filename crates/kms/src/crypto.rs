//! AES-256-GCM: the master key sealing key material at rest, and the
//! ciphertext blobs of Encrypt and GenerateDataKey.

use std::path::Path;

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, Key, KeyInit, Nonce};

use crate::KmsError;

/// AES-256 key length, bytes: the master key and every KMS key's material.
pub(crate) const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 12;
const BLOB_VERSION: u8 = 1;
/// A key id is a UUID in its 36-character text form.
const KEY_ID_LEN: usize = 36;
const BLOB_HEADER_LEN: usize = 1 + KEY_ID_LEN;
/// AES-GCM tag length.
const TAG_LEN: usize = 16;

pub(crate) fn random_bytes(len: usize) -> Result<Vec<u8>, KmsError> {
    let mut bytes = vec![0u8; len];
    getrandom::getrandom(&mut bytes).map_err(|e| KmsError::internal(format!("no randomness: {e}")))?;
    Ok(bytes)
}

/// `nonce | AES-256-GCM(plaintext, aad)` under `key`.
fn seal_with(key: &[u8], aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, KmsError> {
    let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key));
    let nonce = random_bytes(NONCE_LEN)?;
    let sealed = cipher
        .encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext, aad })
        .map_err(|_| KmsError::internal("encryption failed"))?;
    let mut out = nonce;
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// The plaintext of [`seal_with`]'s output; `None` when it does not authenticate.
fn open_with(key: &[u8], aad: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
    if sealed.len() < NONCE_LEN + TAG_LEN {
        return None;
    }
    let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
    let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key));
    cipher.decrypt(Nonce::from_slice(nonce), Payload { msg: ciphertext, aad }).ok()
}

/// The server master key, sealing every KMS key's material at rest.
pub(crate) struct MasterKey {
    key: [u8; KEY_LEN],
}

impl MasterKey {
    /// Loads the master key from `path`, creating it (mode 0600) on first start.
    pub(crate) fn load_or_create(path: &Path) -> std::io::Result<MasterKey> {
        Ok(MasterKey { key: docstore::secret_file::load_or_create_key(path, "KMS master key")? })
    }

    /// Seals key material, bound to its key id.
    pub(crate) fn seal(&self, key_id: &[u8], material: &[u8]) -> Result<Vec<u8>, KmsError> {
        seal_with(&self.key, key_id, material)
    }

    /// Unseals key material.
    pub(crate) fn open(&self, key_id: &[u8], sealed: &[u8]) -> Result<Vec<u8>, KmsError> {
        open_with(&self.key, key_id, sealed).ok_or_else(|| KmsError::internal("key material does not authenticate"))
    }
}

/// A ciphertext blob of `plaintext` under the key `key_id` with `material`.
pub(crate) fn encrypt_blob(
    material: &[u8],
    key_id: &str,
    plaintext: &[u8],
    context: &[u8],
) -> Result<Vec<u8>, KmsError> {
    if key_id.len() != KEY_ID_LEN {
        return Err(KmsError::internal("unexpected key id length"));
    }
    let mut blob = Vec::with_capacity(BLOB_HEADER_LEN + NONCE_LEN + plaintext.len() + TAG_LEN);
    blob.push(BLOB_VERSION);
    blob.extend_from_slice(key_id.as_bytes());
    let aad = [&blob[..], context].concat();
    blob.extend_from_slice(&seal_with(material, &aad, plaintext)?);
    Ok(blob)
}

/// The key id a blob names, if it looks like one of ours.
pub(crate) fn blob_key_id(blob: &[u8]) -> Option<&str> {
    if blob.len() < BLOB_HEADER_LEN + NONCE_LEN + TAG_LEN || blob[0] != BLOB_VERSION {
        return None;
    }
    std::str::from_utf8(&blob[1..BLOB_HEADER_LEN]).ok()
}

/// The plaintext of a blob; `None` if tampered with or under another context.
pub(crate) fn decrypt_blob(material: &[u8], blob: &[u8], context: &[u8]) -> Option<Vec<u8>> {
    blob_key_id(blob)?;
    let (header, sealed) = blob.split_at(BLOB_HEADER_LEN);
    let aad = [header, context].concat();
    open_with(material, &aad, sealed)
}
