//! Aliases: CreateAlias, UpdateAlias, DeleteAlias, ListAliases. Names under
//! `alias/aws/` belong to AWS-managed keys and cannot be changed.

use aws_model::kms::{
    AliasListEntry, CreateAliasRequest, DeleteAliasRequest, ListAliasesRequest, ListAliasesResponse, UpdateAliasRequest,
};

use crate::store::{AliasRow, KeyRow, Store};
use crate::{now, timestamp, KResult, KeyRef, Kms, KmsError, Needs};

/// ListAliases page size when the request names none (the model caps Limit at 1000).
const LIST_ALIASES_LIMIT_DEFAULT: i32 = 100;
const ALIAS_PREFIX: &str = "alias/";
const AWS_ALIAS_PREFIX: &str = "alias/aws/";

/// Refuses a name that is not `alias/<something>`, or one AWS reserves.
fn check_alias_name(name: &str, verb: &str) -> KResult<()> {
    if !name.starts_with(ALIAS_PREFIX) || name.len() <= ALIAS_PREFIX.len() {
        return Err(KmsError::validation(
            "Alias must start with the prefix \"alias/\". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html",
        ));
    }
    if name.starts_with(AWS_ALIAS_PREFIX) {
        return Err(KmsError::new(
            "NotAuthorizedException",
            format!("Cannot {verb} alias with prefix '{AWS_ALIAS_PREFIX}'"),
        ));
    }
    Ok(())
}

/// Refuses an alias target that is itself an alias.
fn check_target_is_key(target: &str) -> KResult<()> {
    if target.starts_with(ALIAS_PREFIX) || target.contains(":alias/") {
        return Err(KmsError::validation("Aliases must refer to keys. Not aliases"));
    }
    Ok(())
}

/// The family UpdateAlias keeps an alias within.
fn key_family(spec: &str) -> &'static str {
    match spec {
        crate::spec::SYMMETRIC_DEFAULT => "symmetric",
        s if s.starts_with("HMAC_") => "HMAC",
        _ => "asymmetric",
    }
}

impl Kms {
    /// The key an alias may point at: a customer key, not pending deletion.
    fn alias_target(&self, store: &Store, target: &str) -> KResult<KeyRow> {
        check_target_is_key(target)?;
        let key = self.resolve(store, target, KeyRef::KeyOnly)?;
        if key.aws_managed {
            return Err(KmsError::new("NotAuthorizedException", "Cannot point an alias at an AWS managed key."));
        }
        self.check_state(&key, Needs::NotPendingDeletion)?;
        Ok(key)
    }

    pub(crate) fn create_alias(&self, input: CreateAliasRequest) -> KResult<()> {
        let name = input.alias_name.unwrap_or_default();
        check_alias_name(&name, "create")?;
        let store = self.inner.store.lock();
        let key = self.alias_target(&store, input.target_key_id.as_deref().unwrap_or_default())?;
        let created = now();
        let alias = AliasRow { name, target: key.key_id, created, updated: created };
        if !store.insert_alias(&alias)? {
            return Err(KmsError::new(
                "AlreadyExistsException",
                format!("An alias with the name {} already exists", self.alias_arn(&alias.name)),
            ));
        }
        Ok(())
    }

    pub(crate) fn update_alias(&self, input: UpdateAliasRequest) -> KResult<()> {
        let name = input.alias_name.unwrap_or_default();
        check_alias_name(&name, "update")?;
        let store = self.inner.store.lock();
        let Some(alias) = store.alias(&name)? else {
            return Err(KmsError::not_found(format!("Alias {} is not found.", self.alias_arn(&name))));
        };
        let key = self.alias_target(&store, input.target_key_id.as_deref().unwrap_or_default())?;
        if let Some(current) = store.key(&alias.target)? {
            if key_family(&current.key_spec) != key_family(&key.key_spec) || current.key_usage != key.key_usage {
                return Err(KmsError::validation(format!(
                    "{} is a {} {} key and {} is a {} {} key: an alias can only move to a key of the same type and key usage.",
                    self.key_arn(&current.key_id),
                    key_family(&current.key_spec),
                    current.key_usage,
                    self.key_arn(&key.key_id),
                    key_family(&key.key_spec),
                    key.key_usage
                )));
            }
        }
        store.retarget_alias(&name, &key.key_id, now())?;
        Ok(())
    }

    pub(crate) fn delete_alias(&self, input: DeleteAliasRequest) -> KResult<()> {
        let name = input.alias_name.unwrap_or_default();
        check_alias_name(&name, "delete")?;
        if !self.inner.store.lock().delete_alias(&name)? {
            return Err(KmsError::not_found(format!("Alias {} is not found.", self.alias_arn(&name))));
        }
        Ok(())
    }

    pub(crate) fn list_aliases(&self, input: ListAliasesRequest) -> KResult<ListAliasesResponse> {
        let limit = input.limit.unwrap_or(LIST_ALIASES_LIMIT_DEFAULT).max(1) as usize;
        let store = self.inner.store.lock();
        store.purge_expired(now())?;
        let target = match input.key_id.as_deref() {
            Some(key_id) => Some(self.resolve(&store, key_id, KeyRef::KeyOnly)?.key_id),
            None => None,
        };
        // A marker is the last alias name of the previous page.
        let rows = store.aliases(target.as_deref(), input.marker.as_deref(), limit + 1)?;
        let mut entries: Vec<AliasListEntry> = rows
            .into_iter()
            .map(|a| AliasListEntry {
                alias_arn: Some(self.alias_arn(&a.name)),
                target_key_id: Some(a.target),
                creation_date: timestamp(a.created),
                last_updated_date: timestamp(a.updated),
                alias_name: Some(a.name),
            })
            .collect();
        // AWS lists its predefined aliases before their keys exist, without a TargetKeyId.
        if target.is_none() {
            for managed in crate::AWS_MANAGED {
                let after_marker = input.marker.as_deref().is_none_or(|m| managed.alias > m);
                if after_marker && store.alias(managed.alias)?.is_none() {
                    entries.push(AliasListEntry {
                        alias_arn: Some(self.alias_arn(managed.alias)),
                        alias_name: Some(managed.alias.to_string()),
                        target_key_id: None,
                        creation_date: None,
                        last_updated_date: None,
                    });
                }
            }
            entries.sort_by(|a, b| a.alias_name.cmp(&b.alias_name));
        }
        drop(store);
        let truncated = entries.len() > limit;
        entries.truncate(limit);
        let next_marker = truncated.then(|| entries.last().and_then(|a| a.alias_name.clone())).flatten();
        let aliases = entries;
        Ok(ListAliasesResponse { aliases: Some(aliases), next_marker, truncated: Some(truncated) })
    }
}
