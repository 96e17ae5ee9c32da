//! IAM users' long-term access keys. A key signs requests from the moment
//! CreateAccessKey returns (the credential store reads the same state) until
//! it is made Inactive or deleted.

use aws_model::iam::*;
use aws_wire::{AwsError, Principal};

use crate::paging::{self, Page};
use crate::store::{Change, Identity, KeyDoc, State};
use crate::users::{no_such_user, user_name_required};
use crate::{errors, ids, now_ms, timestamp, Iam};

/// Access keys one user may have (AWS's quota).
pub const ACCESS_KEYS_PER_USER_MAX: usize = 2;

fn no_such_key(id: &str) -> AwsError {
    errors::no_such_entity(format!("The Access Key with id {id} cannot be found."))
}

/// The status AWS reports for a key.
fn status(key: &KeyDoc) -> StatusType {
    if key.active {
        StatusType::Active
    } else {
        StatusType::Inactive
    }
}

impl Iam {
    /// The user an access key operation is about: the one named, or the
    /// calling IAM user; `None` for a root caller naming nobody.
    fn key_owner(
        &self,
        state: &State,
        user_name: Option<String>,
        caller: &Principal,
    ) -> Result<Option<String>, AwsError> {
        let name = match (user_name, self.identity_in(state, &caller.access_key_id)) {
            (Some(name), _) => name,
            (None, Identity::User { name, .. }) => name,
            (None, Identity::AssumedRole { .. }) => return Err(user_name_required()),
            (None, Identity::Root) => return Ok(None),
        };
        let user = state.user(&name).ok_or_else(|| no_such_user(&name))?;
        Ok(Some(user.name.clone()))
    }

    /// The key `id` of the user an operation names (or of whoever holds it,
    /// for a root caller naming no user).
    fn owned_key(
        &self,
        state: &State,
        user_name: Option<String>,
        id: &str,
        caller: &Principal,
    ) -> Result<KeyDoc, AwsError> {
        let owner = self.key_owner(state, user_name, caller)?;
        match state.keys.get(id) {
            Some(key) if owner.as_ref().is_none_or(|o| *o == key.user_name) => Ok(key.clone()),
            _ => Err(no_such_key(id)),
        }
    }

    pub(crate) fn create_access_key(
        &self,
        input: CreateAccessKeyRequest,
        caller: &Principal,
    ) -> Result<CreateAccessKeyResponse, AwsError> {
        let id = ids::access_key_id()?;
        let secret = ids::secret()?;
        let key = self.inner.store.mutate(|state| {
            let owner = self.key_owner(state, input.user_name, caller)?.ok_or_else(user_name_required)?;
            if state.keys.values().filter(|k| k.user_name == owner).count() >= ACCESS_KEYS_PER_USER_MAX {
                return Err(errors::limit_exceeded(format!(
                    "Cannot exceed quota for AccessKeysPerUser: {ACCESS_KEYS_PER_USER_MAX}"
                )));
            }
            let key = KeyDoc { id, secret, user_name: owner, active: true, created_ms: now_ms() };
            Ok((key.clone(), vec![Change::put_key(key)]))
        })?;
        tracing::info!(access_key_id = key.id, user = key.user_name, "access key created");
        Ok(CreateAccessKeyResponse {
            access_key: AccessKey {
                user_name: key.user_name,
                access_key_id: key.id,
                status: StatusType::Active,
                secret_access_key: key.secret,
                create_date: Some(timestamp(key.created_ms)),
            },
        })
    }

    pub(crate) fn list_access_keys(
        &self,
        input: ListAccessKeysRequest,
        caller: &Principal,
    ) -> Result<ListAccessKeysResponse, AwsError> {
        let state = self.inner.store.read();
        // A root caller naming no user lists the root keys, which are configuration, not IAM state.
        let owner = self.key_owner(&state, input.user_name, caller)?;
        let mut keys: Vec<&KeyDoc> = state.keys.values().filter(|k| owner.as_ref() == Some(&k.user_name)).collect();
        keys.sort_by(|a, b| (a.created_ms, &a.id).cmp(&(b.created_ms, &b.id)));
        let items = keys.into_iter().map(|k| {
            let meta = AccessKeyMetadata {
                user_name: Some(k.user_name.clone()),
                access_key_id: Some(k.id.clone()),
                status: Some(status(k)),
                create_date: Some(timestamp(k.created_ms)),
            };
            (format!("{:020}{}", k.created_ms, k.id), meta)
        });
        let Page { items, is_truncated, marker } = paging::page(items, input.marker.as_deref(), input.max_items);
        Ok(ListAccessKeysResponse { access_key_metadata: items, is_truncated: Some(is_truncated), marker })
    }

    pub(crate) fn update_access_key(&self, input: UpdateAccessKeyRequest, caller: &Principal) -> Result<(), AwsError> {
        let id = input.access_key_id.unwrap_or_default();
        let active = match input.status {
            Some(StatusType::Active) => true,
            Some(StatusType::Inactive) => false,
            other => {
                let value = other.as_ref().map_or("null", |s| s.as_str()).to_string();
                return Err(errors::validation(format!(
                    "1 validation error detected: Value '{value}' at 'status' failed to satisfy constraint: Member must \
                     satisfy enum value set: [Active, Inactive]"
                )));
            }
        };
        self.inner.store.mutate(|state| {
            let key = self.owned_key(state, input.user_name, &id, caller)?;
            Ok(((), vec![Change::put_key(KeyDoc { active, ..key })]))
        })
    }

    pub(crate) fn delete_access_key(&self, input: DeleteAccessKeyRequest, caller: &Principal) -> Result<(), AwsError> {
        let id = input.access_key_id.unwrap_or_default();
        self.inner.store.mutate(|state| {
            let key = self.owned_key(state, input.user_name, &id, caller)?;
            Ok(((), vec![Change::Key(key.id, None)]))
        })
    }

    /// Use of keys is not tracked: every key reports it was never used, as
    /// AWS does for a key never used (ServiceName and Region `N/A`).
    pub(crate) fn get_access_key_last_used(
        &self,
        input: GetAccessKeyLastUsedRequest,
        caller: &Principal,
    ) -> Result<GetAccessKeyLastUsedResponse, AwsError> {
        let id = input.access_key_id.unwrap_or_default();
        let state = self.inner.store.read();
        let Some(key) = state.keys.get(&id) else {
            let caller_arn = self.identity_in(&state, &caller.access_key_id).arn(self.account());
            return Err(errors::access_denied(&caller_arn, "iam:GetAccessKeyLastUsed", &format!("access key {id}")));
        };
        Ok(GetAccessKeyLastUsedResponse {
            user_name: Some(key.user_name.clone()),
            access_key_last_used: Some(AccessKeyLastUsed {
                last_used_date: None,
                service_name: "N/A".to_string(),
                region: "N/A".to_string(),
            }),
        })
    }
}
