//! Managed policies: customer managed ones (create, versions, tags, delete)
//! and the AWS managed ones of [`crate::aws_managed`] (read and attach only).

use std::collections::HashMap;

use aws_model::iam::*;
use aws_wire::{AwsError, Principal};

use crate::document::{self, Kind};
use crate::paging::{self, Page};
use crate::store::{name_key, Change, PolicyDoc, State, VersionDoc};
use crate::{aws_managed, errors, ids, now_ms, tags, timestamp, Iam};

/// Customer managed policies an account may have (AWS's default quota).
pub const POLICIES_PER_ACCOUNT_MAX: usize = 1500;
/// Versions a managed policy may keep.
pub const POLICY_VERSIONS_MAX: usize = 5;
/// Characters (white space excluded) of a managed policy document.
pub const MANAGED_POLICY_CHARS_MAX: usize = 6144;

/// Who owns a managed policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Owner {
    /// The account (customer managed).
    Account,
    /// AWS (AWS managed).
    Aws,
}

/// How many roles and users use each policy: (attached, as permissions boundary), by ARN.
pub(crate) fn usage(state: &State) -> HashMap<&str, (i32, i32)> {
    let mut counts: HashMap<&str, (i32, i32)> = HashMap::new();
    let permissions = state.roles.values().map(|r| &r.permissions).chain(state.users.values().map(|u| &u.permissions));
    for p in permissions {
        for arn in &p.attached {
            counts.entry(arn.as_str()).or_default().0 += 1;
        }
        if let Some(arn) = &p.boundary {
            counts.entry(arn.as_str()).or_default().1 += 1;
        }
    }
    counts
}

/// A managed policy document checked and measured as CreatePolicy and
/// CreatePolicyVersion require.
fn managed_document(input: Option<String>) -> Result<String, AwsError> {
    let text = document::from_input(&input.unwrap_or_default());
    document::validate(&text, Kind::Identity)?;
    if document::size_chars(&text) > MANAGED_POLICY_CHARS_MAX {
        return Err(errors::limit_exceeded(format!("Cannot exceed quota for PolicySize: {MANAGED_POLICY_CHARS_MAX}")));
    }
    Ok(text)
}

impl Iam {
    /// The ARN of a policy.
    pub(crate) fn policy_arn(&self, doc: &PolicyDoc, owner: Owner) -> String {
        let account = match owner {
            Owner::Account => self.account(),
            Owner::Aws => aws_managed::OWNER,
        };
        format!("arn:aws:iam::{account}:policy{}{}", doc.path, doc.name)
    }

    /// The managed policy `arn` names, customer or AWS managed.
    pub(crate) fn find_policy<'a>(&self, state: &'a State, arn: &str) -> Option<(&'a PolicyDoc, Owner)> {
        let rest = arn.strip_prefix("arn:aws:iam::")?;
        let (account, path_name) = rest.split_once(":policy")?;
        let slash = path_name.rfind('/')?;
        let (path, name) = path_name.split_at(slash + 1);
        if account == aws_managed::OWNER {
            return aws_managed::find(path, name).map(|doc| (doc, Owner::Aws));
        }
        let doc = state.policies.get(&name_key(name))?;
        (account == self.account() && doc.path == path && doc.name == name).then_some((doc, Owner::Account))
    }

    /// The policy `arn` names, or IAM's NoSuchEntity for it.
    pub(crate) fn policy_or_404<'a>(&self, state: &'a State, arn: &str) -> Result<(&'a PolicyDoc, Owner), AwsError> {
        self.find_policy(state, arn).ok_or_else(|| errors::no_such_entity(format!("Policy {arn} was not found.")))
    }

    /// A policy a request may attach or set as boundary.
    pub(crate) fn attachable_policy(&self, state: &State, arn: &str) -> Result<(), AwsError> {
        match self.find_policy(state, arn) {
            Some(_) => Ok(()),
            None => Err(errors::no_such_entity(format!("Policy {arn} does not exist or is not attachable."))),
        }
    }

    /// A customer managed policy the caller changes: AWS managed ones are AccessDenied.
    fn policy_to_change(
        &self,
        state: &State,
        arn: &str,
        action: &str,
        caller: &Principal,
    ) -> Result<PolicyDoc, AwsError> {
        match self.policy_or_404(state, arn)? {
            (doc, Owner::Account) => Ok(doc.clone()),
            (_, Owner::Aws) => Err(errors::access_denied(
                &self.identity_in(state, &caller.access_key_id).arn(self.account()),
                &format!("iam:{action}"),
                &format!("policy {arn}"),
            )),
        }
    }

    /// A policy as Get/Create/List answer it.
    fn policy_output(&self, doc: &PolicyDoc, owner: Owner, usage: (i32, i32), full: bool) -> Policy {
        Policy {
            policy_name: Some(doc.name.clone()),
            policy_id: Some(doc.id.clone()),
            arn: Some(self.policy_arn(doc, owner)),
            path: Some(doc.path.clone()),
            default_version_id: Some(doc.default_version.clone()),
            attachment_count: Some(usage.0),
            permissions_boundary_usage_count: Some(usage.1),
            is_attachable: Some(true),
            description: if full { doc.description.clone() } else { None },
            create_date: Some(timestamp(doc.created_ms)),
            update_date: Some(timestamp(doc.updated_ms)),
            tags: if full { tags::to_model_opt(&doc.tags) } else { None },
        }
    }

    pub(crate) fn create_policy(&self, input: CreatePolicyRequest) -> Result<CreatePolicyResponse, AwsError> {
        let name = input.policy_name.unwrap_or_default();
        let text = managed_document(input.policy_document)?;
        let tags = tags::from_request(input.tags)?;
        let id = ids::policy_id()?;
        let now = now_ms();
        let doc = self.inner.store.mutate(|state| {
            if state.policies.contains_key(&name_key(&name)) {
                return Err(errors::already_exists(format!(
                    "A policy called {name} already exists. Duplicate names are not allowed."
                )));
            }
            if state.policies.len() >= POLICIES_PER_ACCOUNT_MAX {
                return Err(errors::limit_exceeded(format!(
                    "Cannot exceed quota for PoliciesPerAccount: {POLICIES_PER_ACCOUNT_MAX}"
                )));
            }
            let doc = PolicyDoc {
                name: name.clone(),
                id,
                path: input.path.unwrap_or_else(|| "/".to_string()),
                description: input.description.filter(|d| !d.is_empty()),
                created_ms: now,
                updated_ms: now,
                default_version: "v1".to_string(),
                versions: vec![VersionDoc { id: "v1".to_string(), document: text, created_ms: now }],
                next_version: 2,
                tags,
            };
            Ok((doc.clone(), vec![Change::put_policy(doc)]))
        })?;
        Ok(CreatePolicyResponse { policy: Some(self.policy_output(&doc, Owner::Account, (0, 0), true)) })
    }

    pub(crate) fn get_policy(&self, input: GetPolicyRequest) -> Result<GetPolicyResponse, AwsError> {
        let arn = input.policy_arn.unwrap_or_default();
        let state = self.inner.store.read();
        let (doc, owner) = self.policy_or_404(&state, &arn)?;
        let usage = usage(&state).get(arn.as_str()).copied().unwrap_or_default();
        Ok(GetPolicyResponse { policy: Some(self.policy_output(doc, owner, usage, true)) })
    }

    pub(crate) fn list_policies(&self, input: ListPoliciesRequest) -> Result<ListPoliciesResponse, AwsError> {
        let scope = input.scope.unwrap_or(PolicyScopeType::All);
        let prefix = input.path_prefix.unwrap_or_else(|| "/".to_string());
        let only_attached = input.only_attached.unwrap_or(false);
        let state = self.inner.store.read();
        let usage = usage(&state);
        let local = state.policies.values().map(|p| (p, Owner::Account));
        let aws = aws_managed::POLICIES.iter().map(|p| (p, Owner::Aws));
        let mut items: Vec<(String, Policy)> = local
            .filter(|_| scope != PolicyScopeType::Aws)
            .chain(aws.filter(|_| scope != PolicyScopeType::Local))
            .filter(|(p, _)| p.path.starts_with(&prefix))
            .filter_map(|(p, owner)| {
                let arn = self.policy_arn(p, owner);
                let counts = usage.get(arn.as_str()).copied().unwrap_or_default();
                let used = match input.policy_usage_filter {
                    Some(PolicyUsageType::PermissionsPolicy) => counts.0 > 0,
                    Some(PolicyUsageType::PermissionsBoundary) => counts.1 > 0,
                    _ => counts.0 > 0 || counts.1 > 0,
                };
                if only_attached && !used {
                    return None;
                }
                // Names hold no spaces: "name arn" sorts by name, then owner.
                Some((format!("{} {arn}", name_key(&p.name)), self.policy_output(p, owner, counts, false)))
            })
            .collect();
        items.sort_by(|a, b| a.0.cmp(&b.0));
        let Page { items, is_truncated, marker } = paging::page(items, input.marker.as_deref(), input.max_items);
        Ok(ListPoliciesResponse { policies: Some(items), is_truncated: Some(is_truncated), marker })
    }

    pub(crate) fn delete_policy(&self, input: DeletePolicyRequest, caller: &Principal) -> Result<(), AwsError> {
        let arn = input.policy_arn.unwrap_or_default();
        self.inner.store.mutate(|state| {
            let doc = self.policy_to_change(state, &arn, "DeletePolicy", caller)?;
            if usage(state).contains_key(arn.as_str()) {
                return Err(errors::delete_conflict("Cannot delete a policy attached to entities."));
            }
            if doc.versions.len() > 1 {
                return Err(errors::delete_conflict(
                    "This policy has more than one version. Before you delete a policy, you must delete the policy's \
                     versions. The default version is deleted with the policy.",
                ));
            }
            Ok(((), vec![Change::Policy(name_key(&doc.name), None)]))
        })
    }

    pub(crate) fn create_policy_version(
        &self,
        input: CreatePolicyVersionRequest,
        caller: &Principal,
    ) -> Result<CreatePolicyVersionResponse, AwsError> {
        let arn = input.policy_arn.unwrap_or_default();
        let text = managed_document(input.policy_document)?;
        let now = now_ms();
        let set_as_default = input.set_as_default.unwrap_or(false);
        let version = self.inner.store.mutate(|state| {
            let mut doc = self.policy_to_change(state, &arn, "CreatePolicyVersion", caller)?;
            if doc.versions.len() >= POLICY_VERSIONS_MAX {
                return Err(errors::limit_exceeded(format!(
                    "A managed policy can have up to {POLICY_VERSIONS_MAX} versions. Before you create a new version, \
                     you must delete an existing version."
                )));
            }
            let version = VersionDoc { id: format!("v{}", doc.next_version), document: text, created_ms: now };
            doc.next_version += 1;
            doc.versions.push(version.clone());
            if set_as_default {
                doc.default_version.clone_from(&version.id);
                doc.updated_ms = now;
            }
            Ok((version, vec![Change::put_policy(doc)]))
        })?;
        Ok(CreatePolicyVersionResponse {
            policy_version: Some(PolicyVersion {
                document: None,
                version_id: Some(version.id),
                is_default_version: Some(set_as_default),
                create_date: Some(timestamp(version.created_ms)),
            }),
        })
    }

    pub(crate) fn get_policy_version(
        &self,
        input: GetPolicyVersionRequest,
    ) -> Result<GetPolicyVersionResponse, AwsError> {
        let arn = input.policy_arn.unwrap_or_default();
        let version_id = input.version_id.unwrap_or_default();
        let state = self.inner.store.read();
        let (doc, _) = self.policy_or_404(&state, &arn)?;
        let version =
            doc.versions.iter().find(|v| v.id == version_id).ok_or_else(|| no_such_version(&arn, &version_id))?;
        Ok(GetPolicyVersionResponse {
            policy_version: Some(PolicyVersion {
                document: Some(document::url_encode(&version.document)),
                version_id: Some(version.id.clone()),
                is_default_version: Some(version.id == doc.default_version),
                create_date: Some(timestamp(version.created_ms)),
            }),
        })
    }

    pub(crate) fn list_policy_versions(
        &self,
        input: ListPolicyVersionsRequest,
    ) -> Result<ListPolicyVersionsResponse, AwsError> {
        let arn = input.policy_arn.unwrap_or_default();
        let state = self.inner.store.read();
        let (doc, _) = self.policy_or_404(&state, &arn)?;
        // Newest first, as IAM lists them.
        let items = doc.versions.iter().rev().enumerate().map(|(i, v)| {
            let version = PolicyVersion {
                document: None,
                version_id: Some(v.id.clone()),
                is_default_version: Some(v.id == doc.default_version),
                create_date: Some(timestamp(v.created_ms)),
            };
            (paging::index_key(i), version)
        });
        let Page { items, is_truncated, marker } = paging::page(items, input.marker.as_deref(), input.max_items);
        Ok(ListPolicyVersionsResponse { versions: Some(items), is_truncated: Some(is_truncated), marker })
    }

    pub(crate) fn delete_policy_version(
        &self,
        input: DeletePolicyVersionRequest,
        caller: &Principal,
    ) -> Result<(), AwsError> {
        let arn = input.policy_arn.unwrap_or_default();
        let version_id = input.version_id.unwrap_or_default();
        self.inner.store.mutate(|state| {
            let mut doc = self.policy_to_change(state, &arn, "DeletePolicyVersion", caller)?;
            if !doc.versions.iter().any(|v| v.id == version_id) {
                return Err(no_such_version(&arn, &version_id));
            }
            if doc.default_version == version_id {
                return Err(errors::delete_conflict("Cannot delete the default version of a policy."));
            }
            doc.versions.retain(|v| v.id != version_id);
            Ok(((), vec![Change::put_policy(doc)]))
        })
    }

    pub(crate) fn set_default_policy_version(
        &self,
        input: SetDefaultPolicyVersionRequest,
        caller: &Principal,
    ) -> Result<(), AwsError> {
        let arn = input.policy_arn.unwrap_or_default();
        let version_id = input.version_id.unwrap_or_default();
        self.inner.store.mutate(|state| {
            let mut doc = self.policy_to_change(state, &arn, "SetDefaultPolicyVersion", caller)?;
            if !doc.versions.iter().any(|v| v.id == version_id) {
                return Err(no_such_version(&arn, &version_id));
            }
            if doc.default_version == version_id {
                return Ok(((), Vec::new()));
            }
            doc.default_version = version_id;
            doc.updated_ms = now_ms();
            Ok(((), vec![Change::put_policy(doc)]))
        })
    }

    pub(crate) fn tag_policy(&self, input: TagPolicyRequest, caller: &Principal) -> Result<(), AwsError> {
        let arn = input.policy_arn.unwrap_or_default();
        let new = tags::from_request(input.tags)?;
        self.inner.store.mutate(|state| {
            let mut doc = self.policy_to_change(state, &arn, "TagPolicy", caller)?;
            tags::merge(&mut doc.tags, new)?;
            Ok(((), vec![Change::put_policy(doc)]))
        })
    }

    pub(crate) fn untag_policy(&self, input: UntagPolicyRequest, caller: &Principal) -> Result<(), AwsError> {
        let arn = input.policy_arn.unwrap_or_default();
        let keys = input.tag_keys.unwrap_or_default();
        self.inner.store.mutate(|state| {
            let mut doc = self.policy_to_change(state, &arn, "UntagPolicy", caller)?;
            tags::remove(&mut doc.tags, &keys);
            Ok(((), vec![Change::put_policy(doc)]))
        })
    }

    pub(crate) fn list_policy_tags(&self, input: ListPolicyTagsRequest) -> Result<ListPolicyTagsResponse, AwsError> {
        let arn = input.policy_arn.unwrap_or_default();
        let state = self.inner.store.read();
        let (doc, _) = self.policy_or_404(&state, &arn)?;
        let Page { items, is_truncated, marker } = tags::page(&doc.tags, input.marker.as_deref(), input.max_items);
        Ok(ListPolicyTagsResponse { tags: items, is_truncated: Some(is_truncated), marker })
    }

    pub(crate) fn list_entities_for_policy(
        &self,
        input: ListEntitiesForPolicyRequest,
    ) -> Result<ListEntitiesForPolicyResponse, AwsError> {
        let arn = input.policy_arn.unwrap_or_default();
        let prefix = input.path_prefix.unwrap_or_else(|| "/".to_string());
        let state = self.inner.store.read();
        self.policy_or_404(&state, &arn)?;
        let uses = |p: &crate::store::Permissions| match input.policy_usage_filter {
            Some(PolicyUsageType::PermissionsBoundary) => p.boundary.as_deref() == Some(arn.as_str()),
            _ => p.attached.contains(&arn),
        };
        let wants = |kind: EntityType| input.entity_filter.as_ref().is_none_or(|f| *f == kind);
        // One listing of roles then users, keyed so that a marker resumes across both.
        let roles = state
            .roles
            .iter()
            .filter(|_| wants(EntityType::Role))
            .filter(|(_, r)| r.path.starts_with(&prefix) && uses(&r.permissions))
            .map(|(key, r)| {
                let role = PolicyRole { role_name: Some(r.name.clone()), role_id: Some(r.id.clone()) };
                (format!("1{key}"), (Some(role), None))
            });
        let users = state
            .users
            .iter()
            .filter(|_| wants(EntityType::User))
            .filter(|(_, u)| u.path.starts_with(&prefix) && uses(&u.permissions))
            .map(|(key, u)| {
                let user = PolicyUser { user_name: Some(u.name.clone()), user_id: Some(u.id.clone()) };
                (format!("2{key}"), (None, Some(user)))
            });
        let Page { items, is_truncated, marker } =
            paging::page(roles.chain(users), input.marker.as_deref(), input.max_items);
        let (roles, users): (Vec<_>, Vec<_>) = items.into_iter().unzip();
        Ok(ListEntitiesForPolicyResponse {
            policy_groups: Some(Vec::new()),
            policy_users: Some(users.into_iter().flatten().collect()),
            policy_roles: Some(roles.into_iter().flatten().collect()),
            is_truncated: Some(is_truncated),
            marker,
        })
    }
}

fn no_such_version(arn: &str, version_id: &str) -> AwsError {
    errors::no_such_entity(format!("Policy {arn} version {version_id} does not exist or is not attachable."))
}
