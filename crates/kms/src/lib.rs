//! The KMS service of kinesd (awsJson 1.1, `TrentService`): symmetric
//! customer and AWS-managed keys, aliases, Encrypt/Decrypt and
//! GenerateDataKey.
//!
//! State lives in `<data_dir>/kms.db` (SQLite, WAL, synchronous=FULL). Each
//! key's 256-bit material is sealed at rest with AES-256-GCM under the
//! server master key in `<data_dir>/kms-master.key` (0600). A ciphertext
//! blob names its key, so Decrypt needs no KeyId:
//! `version(1) | key id (36 ASCII) | nonce(12) | AES-256-GCM(ciphertext+tag)`,
//! authenticated together with the encryption context.

mod crypto;
mod store;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use aws_model::kms::{
    AliasListEntry, CreateAliasRequest, CreateKeyRequest, CreateKeyResponse, CustomerMasterKeySpec, DataKeySpec,
    DecryptRequest, DecryptResponse, DescribeKeyRequest, DescribeKeyResponse, EncryptRequest, EncryptResponse,
    EncryptionAlgorithmSpec, GenerateDataKeyRequest, GenerateDataKeyResponse, KeyListEntry, KeyManagerType,
    KeyMetadata, KeySpec, KeyState, KeyUsageType, ListAliasesRequest, ListAliasesResponse, ListKeysRequest,
    ListKeysResponse, OriginType,
};
use aws_model::{Blob, JsonDe, Timestamp, Validate};
use aws_wire::{AwsError, JsonService, Reply, RequestContext};
use futures::future::BoxFuture;
use parking_lot::Mutex;
use serde::Serialize;

use crate::crypto::MasterKey;
use crate::store::{AliasRow, KeyRow, Store};

/// The operations this service implements.
const OPERATIONS: &[&str] =
    &["CreateKey", "DescribeKey", "ListKeys", "CreateAlias", "ListAliases", "Encrypt", "Decrypt", "GenerateDataKey"];

/// AWS-managed aliases created on first use, with their keys' descriptions.
const AWS_MANAGED: &[(&str, &str)] =
    &[("alias/aws/kinesis", "Default key that protects my Kinesis data when no other key is defined")];

/// An AWS-shaped KMS error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KmsError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

impl KmsError {
    fn new(code: &'static str, message: impl Into<String>) -> KmsError {
        KmsError { status: 400, code, message: message.into() }
    }

    fn not_found(message: impl Into<String>) -> KmsError {
        KmsError::new("NotFoundException", message)
    }

    fn validation(message: impl Into<String>) -> KmsError {
        KmsError::new("ValidationException", message)
    }

    fn invalid_ciphertext() -> KmsError {
        KmsError::new("InvalidCiphertextException", "")
    }

    pub(crate) fn internal(message: impl Into<String>) -> KmsError {
        KmsError { status: 500, code: "KMSInternalException", message: message.into() }
    }
}

impl From<aws_model::RequestError> for KmsError {
    fn from(e: aws_model::RequestError) -> Self {
        KmsError { status: 400, code: e.code(), message: e.to_string() }
    }
}

type KResult<T> = Result<T, KmsError>;

/// The KMS service; cheap to clone.
#[derive(Clone)]
pub struct Kms {
    inner: Arc<Inner>,
}

struct Inner {
    region: String,
    account: String,
    master: MasterKey,
    store: Mutex<Store>,
}

impl Kms {
    /// Opens (creating on first start) the KMS state under `data_dir`.
    pub fn open(data_dir: &Path, region: impl Into<String>, account: impl Into<String>) -> Result<Kms, String> {
        std::fs::create_dir_all(data_dir).map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
        let master = MasterKey::load_or_create(&data_dir.join("kms-master.key"))
            .map_err(|e| format!("cannot load the KMS master key: {e}"))?;
        let store = Store::open(&data_dir.join("kms.db")).map_err(|e| e.message)?;
        Ok(Kms {
            inner: Arc::new(Inner { region: region.into(), account: account.into(), master, store: Mutex::new(store) }),
        })
    }

    /// Whether `operation` is implemented.
    pub fn is_operation(operation: &str) -> bool {
        OPERATIONS.contains(&operation)
    }

    /// Runs one operation on its JSON body; answers the JSON output.
    pub fn call_blocking(&self, operation: &str, body: &[u8]) -> KResult<Vec<u8>> {
        match operation {
            "CreateKey" => json(self.create_key(decode(body)?)),
            "DescribeKey" => json(self.describe_key(decode(body)?)),
            "ListKeys" => json(self.list_keys(decode(body)?)),
            "CreateAlias" => self.create_alias(decode(body)?).map(|()| b"{}".to_vec()),
            "ListAliases" => json(self.list_aliases(decode(body)?)),
            "Encrypt" => json(self.encrypt(decode(body)?)),
            "Decrypt" => json(self.decrypt(decode(body)?)),
            "GenerateDataKey" => json(self.generate_data_key(decode(body)?)),
            other => Err(KmsError::new("UnknownOperationException", format!("Unknown operation {other}"))),
        }
    }

    fn key_arn(&self, key_id: &str) -> String {
        format!("arn:aws:kms:{}:{}:key/{key_id}", self.inner.region, self.inner.account)
    }

    fn alias_arn(&self, alias_name: &str) -> String {
        format!("arn:aws:kms:{}:{}:{alias_name}", self.inner.region, self.inner.account)
    }

    fn metadata(&self, key: &KeyRow) -> KeyMetadata {
        KeyMetadata {
            aws_account_id: Some(self.inner.account.clone()),
            key_id: key.key_id.clone(),
            arn: Some(self.key_arn(&key.key_id)),
            creation_date: Timestamp::from_epoch_seconds(key.created),
            enabled: Some(true),
            description: Some(key.description.clone()),
            key_usage: Some(KeyUsageType::EncryptDecrypt),
            key_state: Some(KeyState::Enabled),
            origin: Some(OriginType::AwsKms),
            key_manager: Some(if key.aws_managed { KeyManagerType::Aws } else { KeyManagerType::Customer }),
            customer_master_key_spec: Some(CustomerMasterKeySpec::SymmetricDefault),
            key_spec: Some(KeySpec::SymmetricDefault),
            encryption_algorithms: Some(vec![EncryptionAlgorithmSpec::SymmetricDefault]),
            multi_region: Some(false),
            deletion_date: None,
            valid_to: None,
            custom_key_store_id: None,
            cloud_hsm_cluster_id: None,
            expiration_model: None,
            signing_algorithms: None,
            key_agreement_algorithms: None,
            multi_region_configuration: None,
            pending_deletion_window_in_days: None,
            mac_algorithms: None,
            xks_key_configuration: None,
            current_key_material_id: None,
        }
    }

    /// A new key's row, with fresh sealed material.
    fn new_key(&self, description: String, aws_managed: bool) -> KResult<(KeyRow, Vec<u8>)> {
        let key_id = uuid::Uuid::new_v4().to_string();
        let material = crypto::random_bytes(32)?;
        let sealed = self.inner.master.seal(key_id.as_bytes(), &material)?;
        let row = KeyRow { key_id, description, created: Timestamp::now().as_epoch_seconds(), aws_managed };
        Ok((row, sealed))
    }

    fn create_key(&self, input: CreateKeyRequest) -> KResult<CreateKeyResponse> {
        if input.key_usage.as_ref().is_some_and(|u| *u != KeyUsageType::EncryptDecrypt) {
            return Err(KmsError::new("UnsupportedOperationException", "Only ENCRYPT_DECRYPT keys are supported."));
        }
        let spec_ok = |s: &str| s == "SYMMETRIC_DEFAULT";
        if input.key_spec.as_ref().is_some_and(|s| !spec_ok(s.as_str()))
            || input.customer_master_key_spec.as_ref().is_some_and(|s| !spec_ok(s.as_str()))
        {
            return Err(KmsError::new("UnsupportedOperationException", "Only SYMMETRIC_DEFAULT keys are supported."));
        }
        if input.origin.as_ref().is_some_and(|o| *o != OriginType::AwsKms) {
            return Err(KmsError::new("UnsupportedOperationException", "Only AWS_KMS key origin is supported."));
        }
        if input.multi_region == Some(true) {
            return Err(KmsError::new("UnsupportedOperationException", "Multi-Region keys are not supported."));
        }
        let (row, sealed) = self.new_key(input.description.unwrap_or_default(), false)?;
        self.inner.store.lock().insert_key(&row, &sealed)?;
        Ok(CreateKeyResponse { key_metadata: Some(self.metadata(&row)) })
    }

    /// The key named by a key id, key ARN, alias name or alias ARN; creates
    /// an AWS-managed key on first use of its alias.
    fn resolve(&self, store: &Store, key_id: &str) -> KResult<KeyRow> {
        let prefix = format!("arn:aws:kms:{}:{}:", self.inner.region, self.inner.account);
        let local = if key_id.starts_with("arn:") {
            match key_id.strip_prefix(&prefix) {
                Some(rest) if rest.starts_with("key/") || rest.starts_with("alias/") => rest,
                _ => return Err(KmsError::not_found(format!("Invalid arn {key_id}"))),
            }
        } else {
            key_id
        };
        if local.starts_with("alias/") {
            let target = match store.alias(local)? {
                Some(alias) => alias.target,
                None => match AWS_MANAGED.iter().find(|(name, _)| *name == local) {
                    Some((name, description)) => {
                        let (row, sealed) = self.new_key(description.to_string(), true)?;
                        let alias =
                            AliasRow { name: name.to_string(), target: row.key_id.clone(), created: row.created };
                        store.insert_aws_managed(&row, &sealed, &alias)?;
                        return Ok(row);
                    }
                    None => return Err(KmsError::not_found(format!("Alias {} is not found.", self.alias_arn(local)))),
                },
            };
            return store
                .key(&target)?
                .ok_or_else(|| KmsError::not_found(format!("Key '{}' does not exist", self.key_arn(&target))));
        }
        let id = local.strip_prefix("key/").unwrap_or(local);
        store.key(id)?.ok_or_else(|| KmsError::not_found(format!("Key '{}' does not exist", self.key_arn(id))))
    }

    fn resolve_key(&self, key_id: &str) -> KResult<KeyRow> {
        let store = self.inner.store.lock();
        self.resolve(&store, key_id)
    }

    fn describe_key(&self, input: DescribeKeyRequest) -> KResult<DescribeKeyResponse> {
        let key = self.resolve_key(input.key_id.as_deref().unwrap_or_default())?;
        Ok(DescribeKeyResponse { key_metadata: Some(self.metadata(&key)) })
    }

    fn list_keys(&self, input: ListKeysRequest) -> KResult<ListKeysResponse> {
        let limit = input.limit.unwrap_or(100).clamp(1, 1000) as usize;
        // A marker is the last key id (or alias name) of the previous page.
        let after = input.marker;
        let mut ids = self.inner.store.lock().key_ids(after.as_deref(), limit + 1)?;
        let truncated = ids.len() > limit;
        ids.truncate(limit);
        let next_marker = truncated.then(|| ids.last().cloned()).flatten();
        let keys =
            ids.into_iter().map(|id| KeyListEntry { key_arn: Some(self.key_arn(&id)), key_id: Some(id) }).collect();
        Ok(ListKeysResponse { keys: Some(keys), next_marker, truncated: Some(truncated) })
    }

    fn create_alias(&self, input: CreateAliasRequest) -> KResult<()> {
        let name = input.alias_name.unwrap_or_default();
        if !name.starts_with("alias/") || name.len() <= "alias/".len() {
            return Err(KmsError::new("ValidationException", "Alias must start with the prefix \"alias/\". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html"));
        }
        if name.starts_with("alias/aws/") {
            return Err(KmsError::new("NotAuthorizedException", "Cannot create alias with prefix 'alias/aws/'"));
        }
        let target = input.target_key_id.unwrap_or_default();
        if target.starts_with("alias/") || target.contains(":alias/") {
            return Err(KmsError::validation("Aliases must refer to keys. Not aliases"));
        }
        let store = self.inner.store.lock();
        let key = self.resolve(&store, &target)?;
        if key.aws_managed {
            return Err(KmsError::new("NotAuthorizedException", "Cannot point an alias at an AWS managed key."));
        }
        let alias = AliasRow { name, target: key.key_id, created: Timestamp::now().as_epoch_seconds() };
        if !store.insert_alias(&alias)? {
            return Err(KmsError::new(
                "AlreadyExistsException",
                format!("An alias with the name {} already exists", self.alias_arn(&alias.name)),
            ));
        }
        Ok(())
    }

    fn list_aliases(&self, input: ListAliasesRequest) -> KResult<ListAliasesResponse> {
        let limit = input.limit.unwrap_or(100).clamp(1, 1000) as usize;
        // A marker is the last key id (or alias name) of the previous page.
        let after = input.marker;
        let store = self.inner.store.lock();
        let target = match input.key_id.as_deref() {
            Some(key_id) => Some(self.resolve(&store, key_id)?.key_id),
            None => None,
        };
        let mut rows = store.aliases(target.as_deref(), after.as_deref(), limit + 1)?;
        drop(store);
        let truncated = rows.len() > limit;
        rows.truncate(limit);
        let next_marker = truncated.then(|| rows.last().map(|a| a.name.clone())).flatten();
        let aliases = rows
            .into_iter()
            .map(|a| AliasListEntry {
                alias_arn: Some(self.alias_arn(&a.name)),
                target_key_id: Some(a.target),
                creation_date: Timestamp::from_epoch_seconds(a.created),
                last_updated_date: Timestamp::from_epoch_seconds(a.created),
                alias_name: Some(a.name),
            })
            .collect();
        Ok(ListAliasesResponse { aliases: Some(aliases), next_marker, truncated: Some(truncated) })
    }

    /// The key's plaintext material.
    fn material(&self, key: &KeyRow) -> KResult<Vec<u8>> {
        let sealed = self
            .inner
            .store
            .lock()
            .sealed_material(&key.key_id)?
            .ok_or_else(|| KmsError::internal("key material is missing"))?;
        self.inner.master.open(key.key_id.as_bytes(), &sealed)
    }

    fn encrypt_with(
        &self,
        key: &KeyRow,
        plaintext: &[u8],
        context: &Option<BTreeMap<String, String>>,
    ) -> KResult<Vec<u8>> {
        let material = self.material(key)?;
        crypto::encrypt_blob(&material, &key.key_id, plaintext, &context_bytes(context))
    }

    fn encrypt(&self, input: EncryptRequest) -> KResult<EncryptResponse> {
        check_algorithm(&input.encryption_algorithm)?;
        let key = self.resolve_key(input.key_id.as_deref().unwrap_or_default())?;
        let plaintext = input.plaintext.unwrap_or_default();
        let blob = self.encrypt_with(&key, &plaintext, &input.encryption_context)?;
        Ok(EncryptResponse {
            ciphertext_blob: Some(Blob::from(blob)),
            key_id: Some(self.key_arn(&key.key_id)),
            encryption_algorithm: Some(EncryptionAlgorithmSpec::SymmetricDefault),
        })
    }

    fn decrypt(&self, input: DecryptRequest) -> KResult<DecryptResponse> {
        check_algorithm(&input.encryption_algorithm)?;
        let blob = input.ciphertext_blob.unwrap_or_default();
        let blob_key = crypto::blob_key_id(&blob).ok_or_else(KmsError::invalid_ciphertext)?;
        let key = match self.inner.store.lock().key(blob_key)? {
            Some(key) => key,
            None => return Err(KmsError::invalid_ciphertext()),
        };
        if let Some(wanted) = input.key_id.as_deref() {
            let wanted = self.resolve_key(wanted)?;
            if wanted.key_id != key.key_id {
                return Err(KmsError::new(
                    "IncorrectKeyException",
                    "The key ID in the request does not identify a CMK that can perform this operation.",
                ));
            }
        }
        let material = self.material(&key)?;
        let plaintext = crypto::decrypt_blob(&material, &blob, &context_bytes(&input.encryption_context))
            .ok_or_else(KmsError::invalid_ciphertext)?;
        Ok(DecryptResponse {
            key_id: Some(self.key_arn(&key.key_id)),
            plaintext: Some(Blob::from(plaintext)),
            encryption_algorithm: Some(EncryptionAlgorithmSpec::SymmetricDefault),
            ..DecryptResponse::default()
        })
    }

    fn generate_data_key(&self, input: GenerateDataKeyRequest) -> KResult<GenerateDataKeyResponse> {
        let len = match (&input.key_spec, input.number_of_bytes) {
            (Some(_), Some(_)) => {
                return Err(KmsError::validation("Please specify either number of bytes or key spec."));
            }
            (None, None) => return Err(KmsError::validation("Please specify either number of bytes or key spec.")),
            (Some(DataKeySpec::Aes256), None) => 32,
            (Some(DataKeySpec::Aes128), None) => 16,
            (Some(DataKeySpec::Unknown(spec)), None) => {
                return Err(KmsError::validation(format!("1 validation error detected: Value '{spec}' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [AES_256, AES_128]")));
            }
            (None, Some(n)) if (1..=1024).contains(&n) => n as usize,
            (None, Some(n)) => {
                return Err(KmsError::validation(format!("1 validation error detected: Value '{n}' at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to 1024")));
            }
        };
        let key = self.resolve_key(input.key_id.as_deref().unwrap_or_default())?;
        let plaintext = crypto::random_bytes(len)?;
        let blob = self.encrypt_with(&key, &plaintext, &input.encryption_context)?;
        Ok(GenerateDataKeyResponse {
            ciphertext_blob: Some(Blob::from(blob)),
            plaintext: Some(Blob::from(plaintext)),
            key_id: Some(self.key_arn(&key.key_id)),
            ..GenerateDataKeyResponse::default()
        })
    }
}

fn check_algorithm(algorithm: &Option<EncryptionAlgorithmSpec>) -> KResult<()> {
    match algorithm {
        None | Some(EncryptionAlgorithmSpec::SymmetricDefault) => Ok(()),
        Some(other) => Err(KmsError::new(
            "InvalidKeyUsageException",
            format!("The encryption algorithm {} is not valid for this key.", other.as_str()),
        )),
    }
}

/// The encryption context as authenticated data: canonical (sorted) JSON.
fn context_bytes(context: &Option<BTreeMap<String, String>>) -> Vec<u8> {
    let empty = BTreeMap::new();
    serde_json::to_vec(context.as_ref().unwrap_or(&empty)).unwrap_or_default()
}

fn decode<T: JsonDe + Validate>(body: &[u8]) -> KResult<T> {
    Ok(aws_model::decode_input(body)?)
}

fn json<T: Serialize>(result: KResult<T>) -> KResult<Vec<u8>> {
    let out = result?;
    serde_json::to_vec(&out).map_err(|e| KmsError::internal(format!("Cannot encode the response: {e}")))
}

impl JsonService for Kms {
    fn signing_name(&self) -> &'static str {
        "kms"
    }

    fn target_prefix(&self) -> &'static str {
        "TrentService"
    }

    fn has_operation(&self, operation: &str) -> bool {
        Kms::is_operation(operation)
    }

    fn call(&self, ctx: RequestContext, body: bytes::Bytes) -> BoxFuture<'static, Result<Reply, AwsError>> {
        let kms = self.clone();
        Box::pin(async move {
            let outcome = tokio::task::spawn_blocking(move || kms.call_blocking(&ctx.operation, &body))
                .await
                .unwrap_or_else(|e| Err(KmsError::internal(format!("operation panicked: {e}"))));
            match outcome {
                Ok(out) => Ok(Reply::json(out.into())),
                Err(e) => Err(AwsError::new(e.status, e.code, e.message)),
            }
        })
    }
}

#[cfg(test)]
mod tests;
