//! The KMS service of kinesd (awsJson 1.1, `TrentService`): customer and
//! AWS-managed keys with their lifecycle (enable, disable, scheduled
//! deletion), key policies, automatic-rotation settings, tags, aliases,
//! Encrypt/Decrypt/ReEncrypt, data keys and GenerateRandom.
//!
//! State lives in `<data_dir>/kms.db` (SQLite, WAL, synchronous=FULL; see
//! `store.rs` for the schema and how older files are migrated). Each key's
//! 256-bit material is sealed at rest with AES-256-GCM under the server
//! master key in `<data_dir>/kms-master.key` (0600). A ciphertext blob names
//! its key, so Decrypt needs no KeyId:
//! `version(1) | key id (36 ASCII) | nonce(12) | AES-256-GCM(ciphertext+tag)`,
//! authenticated together with the encryption context.
//!
//! Which key specs are kept is explained in `spec.rs`. Automatic rotation is
//! bookkeeping only (period and next date are reported; the material does
//! not change), which callers cannot tell apart: AWS keeps every old
//! material version and decrypts old ciphertexts with it. A key pending
//! deletion is deleted (with its aliases and tags) once its deletion date
//! has passed, when next looked up or listed.
//!
//! Key policies are stored and returned but not evaluated. AWS-managed keys
//! behave as their AWS key policy makes them: the account may read them, but
//! every change (rotation, enable/disable, deletion, policy, tags,
//! description) is `AccessDeniedException`. Unlike AWS, which allows their
//! use only through the owning service, they also encrypt and decrypt when
//! called directly.

mod aliases;
mod cipher;
mod crypto;
mod keys;
mod policy;
mod spec;
mod store;
mod tags;

use std::path::Path;
use std::sync::Arc;

use aws_model::kms::KeyState;
use aws_model::{JsonDe, Timestamp, Validate};
use aws_wire::{AwsError, JsonService, Reply, RequestContext};
use futures::future::BoxFuture;
use parking_lot::Mutex;
use serde::Serialize;

use crate::crypto::MasterKey;
use crate::store::{AliasRow, KeyRow, Store};

/// The operations this service implements.
const OPERATIONS: &[&str] = &[
    "CancelKeyDeletion",
    "CreateAlias",
    "CreateKey",
    "Decrypt",
    "DeleteAlias",
    "DescribeKey",
    "DisableKey",
    "DisableKeyRotation",
    "EnableKey",
    "EnableKeyRotation",
    "Encrypt",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "GenerateRandom",
    "GetKeyPolicy",
    "GetKeyRotationStatus",
    "ListAliases",
    "ListKeyPolicies",
    "ListKeys",
    "ListResourceTags",
    "PutKeyPolicy",
    "ReEncrypt",
    "ScheduleKeyDeletion",
    "TagResource",
    "UntagResource",
    "UpdateAlias",
    "UpdateKeyDescription",
];

/// An AWS-managed alias created on first use: its name, its key's
/// description, and the service its key policy lets use the key.
struct AwsManaged {
    alias: &'static str,
    description: &'static str,
    service: &'static str,
}

/// AWS-managed aliases created on first use.
const AWS_MANAGED: &[AwsManaged] = &[AwsManaged {
    alias: "alias/aws/kinesis",
    description: "Default key that protects my Kinesis data when no other key is defined",
    service: "kinesis",
}];

/// Seconds in a day, for deletion windows and rotation periods.
const DAY_SECONDS: f64 = 86_400.0;

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

    fn invalid_state(message: impl Into<String>) -> KmsError {
        KmsError::new("KMSInvalidStateException", message)
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

/// How an operation lets its caller name a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyRef {
    /// Key id, key ARN, alias name or alias ARN (DescribeKey, Encrypt, ...).
    AnyName,
    /// Key id or key ARN only (the management operations).
    KeyOnly,
}

/// What an operation needs of its key's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Needs {
    /// Any state (DescribeKey, GetKeyPolicy, ListResourceTags, ...).
    Any,
    /// Not pending deletion (EnableKey, TagResource, CreateAlias, ...).
    NotPendingDeletion,
    /// Enabled (cryptographic operations, rotation settings).
    Enabled,
}

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
    /// Opens (creating on first start, migrating an older schema) the KMS
    /// state under `data_dir`.
    pub fn open(data_dir: &Path, region: impl Into<String>, account: impl Into<String>) -> Result<Kms, String> {
        std::fs::create_dir_all(data_dir).map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
        let master = MasterKey::load_or_create(&data_dir.join("kms-master.key"))
            .map_err(|e| format!("cannot load the KMS master key: {e}"))?;
        let store = Store::open(&data_dir.join("kms.db")).map_err(|e| e.message)?;
        store.purge_expired(now()).map_err(|e| e.message)?;
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
            "CancelKeyDeletion" => json(self.cancel_key_deletion(decode(body)?)),
            "CreateAlias" => empty(self.create_alias(decode(body)?)),
            "CreateKey" => json(self.create_key(decode(body)?)),
            "Decrypt" => json(self.decrypt(decode(body)?)),
            "DeleteAlias" => empty(self.delete_alias(decode(body)?)),
            "DescribeKey" => json(self.describe_key(decode(body)?)),
            "DisableKey" => empty(self.disable_key(decode(body)?)),
            "DisableKeyRotation" => empty(self.disable_key_rotation(decode(body)?)),
            "EnableKey" => empty(self.enable_key(decode(body)?)),
            "EnableKeyRotation" => empty(self.enable_key_rotation(decode(body)?)),
            "Encrypt" => json(self.encrypt(decode(body)?)),
            "GenerateDataKey" => json(self.generate_data_key(decode(body)?)),
            "GenerateDataKeyWithoutPlaintext" => json(self.generate_data_key_without_plaintext(decode(body)?)),
            "GenerateRandom" => json(self.generate_random(decode(body)?)),
            "GetKeyPolicy" => json(self.get_key_policy(decode(body)?)),
            "GetKeyRotationStatus" => json(self.get_key_rotation_status(decode(body)?)),
            "ListAliases" => json(self.list_aliases(decode(body)?)),
            "ListKeyPolicies" => json(self.list_key_policies(decode(body)?)),
            "ListKeys" => json(self.list_keys(decode(body)?)),
            "ListResourceTags" => json(self.list_resource_tags(decode(body)?)),
            "PutKeyPolicy" => empty(self.put_key_policy(decode(body)?)),
            "ReEncrypt" => json(self.re_encrypt(decode(body)?)),
            "ScheduleKeyDeletion" => json(self.schedule_key_deletion(decode(body)?)),
            "TagResource" => empty(self.tag_resource(decode(body)?)),
            "UntagResource" => empty(self.untag_resource(decode(body)?)),
            "UpdateAlias" => empty(self.update_alias(decode(body)?)),
            "UpdateKeyDescription" => empty(self.update_key_description(decode(body)?)),
            other => Err(KmsError::new("UnknownOperationException", format!("Unknown operation {other}"))),
        }
    }

    fn key_arn(&self, key_id: &str) -> String {
        format!("arn:aws:kms:{}:{}:key/{key_id}", self.inner.region, self.inner.account)
    }

    fn alias_arn(&self, alias_name: &str) -> String {
        format!("arn:aws:kms:{}:{}:{alias_name}", self.inner.region, self.inner.account)
    }

    /// A new key's row (enabled, default policy, no rotation), with fresh
    /// sealed material.
    fn new_key(
        &self,
        description: String,
        aws_managed: bool,
        key_spec: &str,
        key_usage: &str,
    ) -> KResult<(KeyRow, Vec<u8>)> {
        let key_id = uuid::Uuid::new_v4().to_string();
        let material = crypto::random_bytes(crypto::KEY_LEN)?;
        let sealed = self.inner.master.seal(key_id.as_bytes(), &material)?;
        let row = KeyRow {
            key_id,
            description,
            created: now(),
            aws_managed,
            key_usage: key_usage.to_string(),
            key_spec: key_spec.to_string(),
            policy: None,
            state: KeyState::Enabled,
            deletion_date: None,
            pending_window_days: None,
            rotation_period_days: None,
            rotation_anchor: None,
        };
        Ok((row, sealed))
    }

    /// The key `key_id` names, as `how` allows naming it; creates an
    /// AWS-managed key on first use of its alias, and deletes a key whose
    /// deletion date has passed.
    fn resolve(&self, store: &Store, key_id: &str, how: KeyRef) -> KResult<KeyRow> {
        let prefix = format!("arn:aws:kms:{}:{}:", self.inner.region, self.inner.account);
        let local = if key_id.starts_with("arn:") {
            match key_id.strip_prefix(&prefix) {
                Some(rest) if rest.starts_with("key/") || rest.starts_with("alias/") => rest,
                _ => return Err(KmsError::not_found(format!("Invalid arn {key_id}"))),
            }
        } else {
            key_id
        };
        let id = if local.starts_with("alias/") {
            if how == KeyRef::KeyOnly {
                return Err(KmsError::not_found(format!("Invalid keyId {key_id}")));
            }
            match store.alias(local)? {
                Some(alias) => alias.target,
                None => return self.create_aws_managed(store, local),
            }
        } else {
            let id = local.strip_prefix("key/").unwrap_or(local);
            if !is_key_id(id) {
                return Err(KmsError::not_found(format!("Invalid keyId {key_id}")));
            }
            id.to_string()
        };
        let missing = || KmsError::not_found(format!("Key '{}' does not exist", self.key_arn(&id)));
        let key = store.key(&id)?.ok_or_else(missing)?;
        if key.state == KeyState::PendingDeletion && key.deletion_date.is_some_and(|at| at <= now()) {
            store.delete_key(&key.key_id)?;
            return Err(missing());
        }
        Ok(key)
    }

    /// The AWS-managed key of `alias`, created now; NotFound for any other alias.
    fn create_aws_managed(&self, store: &Store, alias: &str) -> KResult<KeyRow> {
        let Some(managed) = AWS_MANAGED.iter().find(|m| m.alias == alias) else {
            return Err(KmsError::not_found(format!("Alias {} is not found.", self.alias_arn(alias))));
        };
        let (row, sealed) =
            self.new_key(managed.description.to_string(), true, spec::SYMMETRIC_DEFAULT, spec::ENCRYPT_DECRYPT)?;
        let alias = AliasRow {
            name: managed.alias.to_string(),
            target: row.key_id.clone(),
            created: row.created,
            updated: row.created,
        };
        store.insert_aws_managed(&row, &sealed, &alias)?;
        Ok(row)
    }

    /// Refuses a key whose state `needs` does not allow, as AWS words it.
    fn check_state(&self, key: &KeyRow, needs: Needs) -> KResult<()> {
        let arn = self.key_arn(&key.key_id);
        match (&key.state, needs) {
            (_, Needs::Any) | (KeyState::Enabled, _) => Ok(()),
            (KeyState::PendingDeletion, _) => Err(KmsError::invalid_state(format!("{arn} is pending deletion."))),
            (KeyState::Disabled, Needs::Enabled) => {
                Err(KmsError::new("DisabledException", format!("{arn} is disabled.")))
            }
            (_, Needs::NotPendingDeletion) => Ok(()),
            (other, Needs::Enabled) => Err(KmsError::invalid_state(format!("{arn} is {}.", other.as_str()))),
        }
    }

    /// Refuses changes to an AWS-managed key: its key policy allows the
    /// account only to read and use it.
    fn deny_aws_managed(&self, key: &KeyRow, action: &str) -> KResult<()> {
        if !key.aws_managed {
            return Ok(());
        }
        Err(KmsError::new(
            "AccessDeniedException",
            format!(
                "User: arn:aws:iam::{}:root is not authorized to perform: kms:{action} on resource: {} because no resource-based policy allows the kms:{action} action",
                self.inner.account,
                self.key_arn(&key.key_id)
            ),
        ))
    }

    /// The key a management operation changes: named by key id or ARN, not
    /// AWS-managed, in a state that `needs` allows.
    fn key_to_change(&self, store: &Store, key_id: Option<&str>, action: &str, needs: Needs) -> KResult<KeyRow> {
        let key = self.resolve(store, key_id.unwrap_or_default(), KeyRef::KeyOnly)?;
        self.deny_aws_managed(&key, action)?;
        self.check_state(&key, needs)?;
        Ok(key)
    }
}

/// Whether `id` has the shape of a key id (a UUID in its 36-character form).
fn is_key_id(id: &str) -> bool {
    id.len() == 36
        && id.char_indices().all(|(i, c)| if matches!(i, 8 | 13 | 18 | 23) { c == '-' } else { c.is_ascii_hexdigit() })
}

/// The current time, epoch seconds.
fn now() -> f64 {
    Timestamp::now().as_epoch_seconds()
}

fn timestamp(epoch_seconds: f64) -> Option<Timestamp> {
    Timestamp::from_epoch_seconds(epoch_seconds)
}

fn decode<T: JsonDe + Validate>(body: &[u8]) -> KResult<T> {
    Ok(aws_model::decode_input(body)?)
}

fn json<T: Serialize>(result: KResult<T>) -> KResult<Vec<u8>> {
    let out = result?;
    serde_json::to_vec(&out).map_err(|e| KmsError::internal(format!("Cannot encode the response: {e}")))
}

fn empty(result: KResult<()>) -> KResult<Vec<u8>> {
    result.map(|()| b"{}".to_vec())
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
