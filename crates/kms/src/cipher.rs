//! The cryptographic operations: Encrypt, Decrypt, ReEncrypt,
//! GenerateDataKey(WithoutPlaintext) and GenerateRandom. Each needs an
//! enabled symmetric encryption key; the blob format is in [`crate::crypto`].

use std::collections::BTreeMap;

use aws_model::kms::{
    DataKeySpec, DecryptRequest, DecryptResponse, EncryptRequest, EncryptResponse, EncryptionAlgorithmSpec,
    GenerateDataKeyRequest, GenerateDataKeyResponse, GenerateDataKeyWithoutPlaintextRequest,
    GenerateDataKeyWithoutPlaintextResponse, GenerateRandomRequest, GenerateRandomResponse, ReEncryptRequest,
    ReEncryptResponse, RecipientInfo,
};
use aws_model::Blob;

use crate::store::{KeyRow, Store};
use crate::{crypto, is_key_id, spec, KResult, KeyRef, Kms, KmsError, Needs};

/// The most bytes GenerateRandom and GenerateDataKey's NumberOfBytes produce.
const RANDOM_BYTES_MAX: i32 = 1024;
/// Data key lengths of the AES key specs, bytes.
const AES_256_BYTES: usize = 32;
const AES_128_BYTES: usize = 16;

fn check_algorithm(algorithm: &Option<EncryptionAlgorithmSpec>) -> KResult<()> {
    match algorithm {
        None | Some(EncryptionAlgorithmSpec::SymmetricDefault) => Ok(()),
        Some(other) => Err(KmsError::new(
            "InvalidKeyUsageException",
            format!("The encryption algorithm {} is not valid for this key.", other.as_str()),
        )),
    }
}

/// Refuses a Recipient: its answers are sealed for a Nitro enclave's
/// attestation, which kinesd cannot check.
fn check_no_recipient(recipient: &Option<RecipientInfo>) -> KResult<()> {
    match recipient {
        None => Ok(()),
        Some(_) => Err(KmsError::new(
            "UnsupportedOperationException",
            "kinesd does not support Nitro Enclaves attestation: remove the Recipient parameter.",
        )),
    }
}

/// Stops a request whose checks passed, when it only asked whether it would.
fn check_dry_run(dry_run: Option<bool>) -> KResult<()> {
    if dry_run == Some(true) {
        return Err(KmsError {
            status: 412,
            code: "DryRunOperationException",
            message: "The request would have succeeded, but the DryRun option is set.".to_string(),
        });
    }
    Ok(())
}

/// The encryption context as authenticated data: canonical (sorted) JSON.
fn context_bytes(context: &Option<BTreeMap<String, String>>) -> Vec<u8> {
    let empty = BTreeMap::new();
    serde_json::to_vec(context.as_ref().unwrap_or(&empty)).unwrap_or_default()
}

/// The data key length a GenerateDataKey request asks for.
fn data_key_len(key_spec: &Option<DataKeySpec>, number_of_bytes: Option<i32>) -> KResult<usize> {
    match (key_spec, number_of_bytes) {
        (Some(_), Some(_)) | (None, None) => {
            Err(KmsError::validation("Please specify either number of bytes or key spec."))
        }
        (Some(DataKeySpec::Aes256), None) => Ok(AES_256_BYTES),
        (Some(DataKeySpec::Aes128), None) => Ok(AES_128_BYTES),
        (Some(DataKeySpec::Unknown(spec)), None) => Err(KmsError::validation(format!(
            "1 validation error detected: Value '{spec}' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [AES_256, AES_128]"
        ))),
        (None, Some(n)) => random_len(n),
    }
}

/// `n` as a byte count in 1..=[`RANDOM_BYTES_MAX`] (the model checks this
/// too; kept here as the bound the code relies on).
fn random_len(n: i32) -> KResult<usize> {
    if n < 1 {
        return Err(KmsError::validation(format!(
            "1 validation error detected: Value '{n}' at 'numberOfBytes' failed to satisfy constraint: Member must have value greater than or equal to 1"
        )));
    }
    if n > RANDOM_BYTES_MAX {
        return Err(KmsError::validation(format!(
            "1 validation error detected: Value '{n}' at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to {RANDOM_BYTES_MAX}"
        )));
    }
    Ok(n as usize)
}

impl Kms {
    /// Refuses a key `operation` cannot use: not enabled, or not a
    /// symmetric encryption key.
    fn check_crypto_use(&self, key: &KeyRow, operation: &str) -> KResult<()> {
        self.check_state(key, Needs::Enabled)?;
        if !spec::is_symmetric_encryption(&key.key_spec, &key.key_usage) {
            return Err(KmsError::new(
                "InvalidKeyUsageException",
                format!(
                    "{} key usage is {} which is not valid for {operation}.",
                    self.key_arn(&key.key_id),
                    key.key_usage
                ),
            ));
        }
        Ok(())
    }

    /// The key's plaintext material.
    fn material_of(&self, store: &Store, key: &KeyRow) -> KResult<Vec<u8>> {
        let sealed =
            store.sealed_material(&key.key_id)?.ok_or_else(|| KmsError::internal("key material is missing"))?;
        self.inner.master.open(key.key_id.as_bytes(), &sealed)
    }

    /// The key named by `key_id` for `operation`, with its material.
    fn encryption_key(&self, key_id: Option<&str>, operation: &str) -> KResult<(KeyRow, Vec<u8>)> {
        let store = self.inner.store.lock();
        let key = self.resolve(&store, key_id.unwrap_or_default(), KeyRef::AnyName)?;
        self.check_crypto_use(&key, operation)?;
        let material = self.material_of(&store, &key)?;
        Ok((key, material))
    }

    /// The key a ciphertext blob names, for `operation`, with its material;
    /// `wanted` (when given) must name the same key.
    fn blob_key(&self, blob: &[u8], wanted: Option<&str>, operation: &str) -> KResult<(KeyRow, Vec<u8>)> {
        let blob_key = crypto::blob_key_id(blob).filter(|id| is_key_id(id)).ok_or_else(KmsError::invalid_ciphertext)?;
        let store = self.inner.store.lock();
        let key = match self.resolve(&store, blob_key, KeyRef::KeyOnly) {
            Ok(key) => key,
            Err(e) if e.code == "NotFoundException" => return Err(KmsError::invalid_ciphertext()),
            Err(e) => return Err(e),
        };
        if let Some(wanted) = wanted {
            if self.resolve(&store, wanted, KeyRef::AnyName)?.key_id != key.key_id {
                return Err(KmsError::new(
                    "IncorrectKeyException",
                    "The key ID in the request does not identify a CMK that can perform this operation.",
                ));
            }
        }
        self.check_crypto_use(&key, operation)?;
        let material = self.material_of(&store, &key)?;
        Ok((key, material))
    }

    pub(crate) fn encrypt(&self, input: EncryptRequest) -> KResult<EncryptResponse> {
        check_algorithm(&input.encryption_algorithm)?;
        let (key, material) = self.encryption_key(input.key_id.as_deref(), "Encrypt")?;
        check_dry_run(input.dry_run)?;
        let plaintext = input.plaintext.unwrap_or_default();
        let blob = crypto::encrypt_blob(&material, &key.key_id, &plaintext, &context_bytes(&input.encryption_context))?;
        Ok(EncryptResponse {
            ciphertext_blob: Some(Blob::from(blob)),
            key_id: Some(self.key_arn(&key.key_id)),
            encryption_algorithm: Some(EncryptionAlgorithmSpec::SymmetricDefault),
        })
    }

    pub(crate) fn decrypt(&self, input: DecryptRequest) -> KResult<DecryptResponse> {
        check_algorithm(&input.encryption_algorithm)?;
        check_no_recipient(&input.recipient)?;
        let blob = input.ciphertext_blob.unwrap_or_default();
        let (key, material) = self.blob_key(&blob, input.key_id.as_deref(), "Decrypt")?;
        check_dry_run(input.dry_run)?;
        let plaintext = crypto::decrypt_blob(&material, &blob, &context_bytes(&input.encryption_context))
            .ok_or_else(KmsError::invalid_ciphertext)?;
        Ok(DecryptResponse {
            key_id: Some(self.key_arn(&key.key_id)),
            plaintext: Some(Blob::from(plaintext)),
            encryption_algorithm: Some(EncryptionAlgorithmSpec::SymmetricDefault),
            ..DecryptResponse::default()
        })
    }

    pub(crate) fn re_encrypt(&self, input: ReEncryptRequest) -> KResult<ReEncryptResponse> {
        check_algorithm(&input.source_encryption_algorithm)?;
        check_algorithm(&input.destination_encryption_algorithm)?;
        let blob = input.ciphertext_blob.unwrap_or_default();
        let (source, source_material) = self.blob_key(&blob, input.source_key_id.as_deref(), "ReEncrypt")?;
        let (destination, destination_material) =
            self.encryption_key(input.destination_key_id.as_deref(), "ReEncrypt")?;
        check_dry_run(input.dry_run)?;
        let plaintext = crypto::decrypt_blob(&source_material, &blob, &context_bytes(&input.source_encryption_context))
            .ok_or_else(KmsError::invalid_ciphertext)?;
        let blob = crypto::encrypt_blob(
            &destination_material,
            &destination.key_id,
            &plaintext,
            &context_bytes(&input.destination_encryption_context),
        )?;
        Ok(ReEncryptResponse {
            ciphertext_blob: Some(Blob::from(blob)),
            source_key_id: Some(self.key_arn(&source.key_id)),
            key_id: Some(self.key_arn(&destination.key_id)),
            source_encryption_algorithm: Some(EncryptionAlgorithmSpec::SymmetricDefault),
            destination_encryption_algorithm: Some(EncryptionAlgorithmSpec::SymmetricDefault),
            ..ReEncryptResponse::default()
        })
    }

    /// A fresh data key of `len` bytes and its ciphertext blob under the named key.
    fn data_key(
        &self,
        key_id: Option<&str>,
        len: usize,
        context: &Option<BTreeMap<String, String>>,
        operation: &str,
        dry_run: Option<bool>,
    ) -> KResult<(KeyRow, Vec<u8>, Vec<u8>)> {
        let (key, material) = self.encryption_key(key_id, operation)?;
        check_dry_run(dry_run)?;
        let plaintext = crypto::random_bytes(len)?;
        let blob = crypto::encrypt_blob(&material, &key.key_id, &plaintext, &context_bytes(context))?;
        Ok((key, plaintext, blob))
    }

    pub(crate) fn generate_data_key(&self, input: GenerateDataKeyRequest) -> KResult<GenerateDataKeyResponse> {
        let len = data_key_len(&input.key_spec, input.number_of_bytes)?;
        check_no_recipient(&input.recipient)?;
        let (key, plaintext, blob) =
            self.data_key(input.key_id.as_deref(), len, &input.encryption_context, "GenerateDataKey", input.dry_run)?;
        Ok(GenerateDataKeyResponse {
            ciphertext_blob: Some(Blob::from(blob)),
            plaintext: Some(Blob::from(plaintext)),
            key_id: Some(self.key_arn(&key.key_id)),
            ..GenerateDataKeyResponse::default()
        })
    }

    pub(crate) fn generate_data_key_without_plaintext(
        &self,
        input: GenerateDataKeyWithoutPlaintextRequest,
    ) -> KResult<GenerateDataKeyWithoutPlaintextResponse> {
        let len = data_key_len(&input.key_spec, input.number_of_bytes)?;
        let (key, _, blob) = self.data_key(
            input.key_id.as_deref(),
            len,
            &input.encryption_context,
            "GenerateDataKeyWithoutPlaintext",
            input.dry_run,
        )?;
        Ok(GenerateDataKeyWithoutPlaintextResponse {
            ciphertext_blob: Some(Blob::from(blob)),
            key_id: Some(self.key_arn(&key.key_id)),
            key_material_id: None,
        })
    }

    pub(crate) fn generate_random(&self, input: GenerateRandomRequest) -> KResult<GenerateRandomResponse> {
        let Some(n) = input.number_of_bytes else {
            return Err(KmsError::validation("NumberOfBytes is required: specify 1 to 1024."));
        };
        let len = random_len(n)?;
        if let Some(store_id) = &input.custom_key_store_id {
            return Err(KmsError::new(
                "CustomKeyStoreNotFoundException",
                format!("Custom key store {store_id} does not exist: kinesd has no custom key stores."),
            ));
        }
        check_no_recipient(&input.recipient)?;
        Ok(GenerateRandomResponse {
            plaintext: Some(Blob::from(crypto::random_bytes(len)?)),
            ciphertext_for_recipient: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_key_len_takes_exactly_one_of_spec_and_bytes() {
        assert_eq!(data_key_len(&Some(DataKeySpec::Aes256), None).unwrap(), 32);
        assert_eq!(data_key_len(&Some(DataKeySpec::Aes128), None).unwrap(), 16);
        assert_eq!(data_key_len(&None, Some(1024)).unwrap(), 1024);
        assert_eq!(data_key_len(&None, None).unwrap_err().code, "ValidationException");
        assert_eq!(data_key_len(&Some(DataKeySpec::Aes256), Some(8)).unwrap_err().code, "ValidationException");
        assert_eq!(data_key_len(&None, Some(1025)).unwrap_err().code, "ValidationException");
        assert_eq!(data_key_len(&None, Some(0)).unwrap_err().code, "ValidationException");
    }
}
