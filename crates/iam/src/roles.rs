//! Roles: lifecycle, trust policy, tags, and their inline and attached policies.

use aws_model::iam::*;
use aws_wire::AwsError;

use crate::document::{self, Kind};
use crate::paging::Page;
use crate::permissions::{self, Holder};
use crate::store::{name_key, Change, Permissions, RoleDoc, State};
use crate::{errors, ids, now_ms, tags, timestamp, Iam};

/// Roles an account may have (AWS's default quota).
pub const ROLES_PER_ACCOUNT_MAX: usize = 1000;
/// Characters (white space excluded) of a trust policy (AWS's default quota).
pub const TRUST_POLICY_CHARS_MAX: usize = 2048;
/// A role's maximum session duration when CreateRole names none.
pub const MAX_SESSION_SECONDS_DEFAULT: i32 = 3600;

/// Which description of a role an operation answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Detail {
    /// CreateRole: everything but RoleLastUsed.
    Created,
    /// GetRole, UpdateRoleDescription: everything.
    Full,
    /// ListRoles: no tags, boundary or RoleLastUsed (IAM leaves them out of lists).
    Listed,
}

fn no_such_role(name: &str) -> AwsError {
    errors::no_such_entity(format!("The role with name {name} cannot be found."))
}

/// A trust policy from a request, checked and measured.
fn trust_policy(input: Option<String>) -> Result<String, AwsError> {
    let text = document::from_input(&input.unwrap_or_default());
    document::validate(&text, Kind::Trust)?;
    if document::size_chars(&text) > TRUST_POLICY_CHARS_MAX {
        return Err(errors::limit_exceeded(format!(
            "Cannot exceed quota for ACLSizePerRole: {TRUST_POLICY_CHARS_MAX}"
        )));
    }
    Ok(text)
}

/// A permissions boundary as IAM reports it.
pub(crate) fn boundary_output(p: &Permissions) -> Option<AttachedPermissionsBoundary> {
    p.boundary.as_ref().map(|arn| AttachedPermissionsBoundary {
        permissions_boundary_type: Some(PermissionsBoundaryAttachmentType::PermissionsBoundaryPolicy),
        permissions_boundary_arn: Some(arn.clone()),
    })
}

impl Iam {
    /// The ARN of a role.
    pub(crate) fn role_arn(&self, doc: &RoleDoc) -> String {
        format!("arn:aws:iam::{}:role{}{}", self.account(), doc.path, doc.name)
    }

    fn role_output(&self, doc: &RoleDoc, detail: Detail) -> Role {
        let listed = detail == Detail::Listed;
        Role {
            path: doc.path.clone(),
            role_name: doc.name.clone(),
            role_id: doc.id.clone(),
            arn: self.role_arn(doc),
            create_date: timestamp(doc.created_ms),
            assume_role_policy_document: Some(document::url_encode(&doc.trust_policy)),
            description: doc.description.clone(),
            max_session_duration: Some(doc.max_session_seconds),
            permissions_boundary: if listed { None } else { boundary_output(&doc.permissions) },
            tags: if listed { None } else { tags::to_model_opt(&doc.tags) },
            role_last_used: (detail == Detail::Full).then(RoleLastUsed::default),
        }
    }

    /// Applies `f` to a copy of the role and stores the result.
    fn change_role<R>(
        &self,
        name: &str,
        f: impl FnOnce(&State, &mut RoleDoc) -> Result<R, AwsError>,
    ) -> Result<R, AwsError> {
        self.inner.store.mutate(|state| {
            let mut doc = state.role(name).cloned().ok_or_else(|| no_such_role(name))?;
            let out = f(state, &mut doc)?;
            Ok((out, vec![Change::put_role(doc)]))
        })
    }

    /// Reads a role.
    fn with_role<R>(&self, name: &str, f: impl FnOnce(&State, &RoleDoc) -> R) -> Result<R, AwsError> {
        let state = self.inner.store.read();
        let doc = state.role(name).ok_or_else(|| no_such_role(name))?;
        Ok(f(&state, doc))
    }

    pub(crate) fn create_role(&self, input: CreateRoleRequest) -> Result<CreateRoleResponse, AwsError> {
        let name = input.role_name.unwrap_or_default();
        let trust = trust_policy(input.assume_role_policy_document)?;
        let tags = tags::from_request(input.tags)?;
        let id = ids::role_id()?;
        let doc = self.inner.store.mutate(|state| {
            if state.role(&name).is_some() {
                return Err(errors::already_exists(format!("Role with name {name} already exists.")));
            }
            if state.roles.len() >= ROLES_PER_ACCOUNT_MAX {
                return Err(errors::limit_exceeded(format!(
                    "Cannot exceed quota for RolesPerAccount: {ROLES_PER_ACCOUNT_MAX}"
                )));
            }
            let mut permissions = Permissions::default();
            if let Some(arn) = input.permissions_boundary {
                self.set_boundary(state, &mut permissions, arn)?;
            }
            let doc = RoleDoc {
                name: name.clone(),
                id,
                path: input.path.unwrap_or_else(|| "/".to_string()),
                created_ms: now_ms(),
                trust_policy: trust,
                description: input.description.filter(|d| !d.is_empty()),
                max_session_seconds: input.max_session_duration.unwrap_or(MAX_SESSION_SECONDS_DEFAULT),
                permissions,
                tags,
            };
            Ok((doc.clone(), vec![Change::put_role(doc)]))
        })?;
        Ok(CreateRoleResponse { role: self.role_output(&doc, Detail::Created) })
    }

    pub(crate) fn get_role(&self, input: GetRoleRequest) -> Result<GetRoleResponse, AwsError> {
        let name = input.role_name.unwrap_or_default();
        let role = self.with_role(&name, |_, doc| self.role_output(doc, Detail::Full))?;
        Ok(GetRoleResponse { role })
    }

    pub(crate) fn list_roles(&self, input: ListRolesRequest) -> Result<ListRolesResponse, AwsError> {
        let prefix = input.path_prefix.unwrap_or_else(|| "/".to_string());
        let state = self.inner.store.read();
        let items = state
            .roles
            .iter()
            .filter(|(_, r)| r.path.starts_with(&prefix))
            .map(|(key, r)| (key.clone(), self.role_output(r, Detail::Listed)));
        let Page { items, is_truncated, marker } = crate::paging::page(items, input.marker.as_deref(), input.max_items);
        Ok(ListRolesResponse { roles: items, is_truncated: Some(is_truncated), marker })
    }

    pub(crate) fn update_role(&self, input: UpdateRoleRequest) -> Result<(), AwsError> {
        let name = input.role_name.unwrap_or_default();
        self.change_role(&name, |_, doc| {
            if let Some(description) = input.description {
                doc.description = Some(description).filter(|d| !d.is_empty());
            }
            if let Some(seconds) = input.max_session_duration {
                doc.max_session_seconds = seconds;
            }
            Ok(())
        })
    }

    pub(crate) fn update_role_description(
        &self,
        input: UpdateRoleDescriptionRequest,
    ) -> Result<UpdateRoleDescriptionResponse, AwsError> {
        let name = input.role_name.unwrap_or_default();
        let role = self.change_role(&name, |_, doc| {
            doc.description = input.description.filter(|d| !d.is_empty());
            Ok(self.role_output(doc, Detail::Full))
        })?;
        Ok(UpdateRoleDescriptionResponse { role: Some(role) })
    }

    pub(crate) fn update_assume_role_policy(&self, input: UpdateAssumeRolePolicyRequest) -> Result<(), AwsError> {
        let name = input.role_name.unwrap_or_default();
        let trust = trust_policy(input.policy_document)?;
        self.change_role(&name, |_, doc| {
            doc.trust_policy = trust;
            Ok(())
        })
    }

    pub(crate) fn delete_role(&self, input: DeleteRoleRequest) -> Result<(), AwsError> {
        let name = input.role_name.unwrap_or_default();
        self.inner.store.mutate(|state| {
            let doc = state.role(&name).ok_or_else(|| no_such_role(&name))?;
            if !doc.permissions.inline.is_empty() {
                return Err(errors::delete_conflict("Cannot delete entity, must delete policies first."));
            }
            if !doc.permissions.attached.is_empty() {
                return Err(errors::delete_conflict("Cannot delete entity, must detach all policies first."));
            }
            Ok(((), vec![Change::Role(name_key(&name), None)]))
        })
    }

    pub(crate) fn put_role_permissions_boundary(
        &self,
        input: PutRolePermissionsBoundaryRequest,
    ) -> Result<(), AwsError> {
        let name = input.role_name.unwrap_or_default();
        let arn = input.permissions_boundary.unwrap_or_default();
        self.change_role(&name, |state, doc| self.set_boundary(state, &mut doc.permissions, arn))
    }

    pub(crate) fn delete_role_permissions_boundary(
        &self,
        input: DeleteRolePermissionsBoundaryRequest,
    ) -> Result<(), AwsError> {
        let name = input.role_name.unwrap_or_default();
        self.change_role(&name, |_, doc| {
            doc.permissions.boundary = None;
            Ok(())
        })
    }

    pub(crate) fn tag_role(&self, input: TagRoleRequest) -> Result<(), AwsError> {
        let name = input.role_name.unwrap_or_default();
        let new = tags::from_request(input.tags)?;
        self.change_role(&name, |_, doc| tags::merge(&mut doc.tags, new))
    }

    pub(crate) fn untag_role(&self, input: UntagRoleRequest) -> Result<(), AwsError> {
        let name = input.role_name.unwrap_or_default();
        let keys = input.tag_keys.unwrap_or_default();
        self.change_role(&name, |_, doc| {
            tags::remove(&mut doc.tags, &keys);
            Ok(())
        })
    }

    pub(crate) fn list_role_tags(&self, input: ListRoleTagsRequest) -> Result<ListRoleTagsResponse, AwsError> {
        let name = input.role_name.unwrap_or_default();
        let page = self.with_role(&name, |_, doc| tags::page(&doc.tags, input.marker.as_deref(), input.max_items))?;
        Ok(ListRoleTagsResponse { tags: page.items, is_truncated: Some(page.is_truncated), marker: page.marker })
    }

    pub(crate) fn put_role_policy(&self, input: PutRolePolicyRequest) -> Result<(), AwsError> {
        let name = input.role_name.unwrap_or_default();
        let policy_name = input.policy_name.unwrap_or_default();
        self.change_role(&name, |_, doc| {
            permissions::put_inline(Holder::Role, &name, &mut doc.permissions, policy_name, input.policy_document)
        })
    }

    pub(crate) fn get_role_policy(&self, input: GetRolePolicyRequest) -> Result<GetRolePolicyResponse, AwsError> {
        let name = input.role_name.unwrap_or_default();
        let policy_name = input.policy_name.unwrap_or_default();
        self.with_role(&name, |_, doc| {
            let text = permissions::inline(Holder::Role, &doc.permissions, &policy_name)?;
            Ok(GetRolePolicyResponse {
                role_name: doc.name.clone(),
                policy_name: policy_name.clone(),
                policy_document: document::url_encode(text),
            })
        })?
    }

    pub(crate) fn list_role_policies(
        &self,
        input: ListRolePoliciesRequest,
    ) -> Result<ListRolePoliciesResponse, AwsError> {
        let name = input.role_name.unwrap_or_default();
        let page = self.with_role(&name, |_, doc| {
            permissions::inline_names(&doc.permissions, input.marker.as_deref(), input.max_items)
        })?;
        Ok(ListRolePoliciesResponse {
            policy_names: page.items,
            is_truncated: Some(page.is_truncated),
            marker: page.marker,
        })
    }

    pub(crate) fn delete_role_policy(&self, input: DeleteRolePolicyRequest) -> Result<(), AwsError> {
        let name = input.role_name.unwrap_or_default();
        let policy_name = input.policy_name.unwrap_or_default();
        self.change_role(&name, |_, doc| permissions::delete_inline(Holder::Role, &mut doc.permissions, &policy_name))
    }

    pub(crate) fn attach_role_policy(&self, input: AttachRolePolicyRequest) -> Result<(), AwsError> {
        let name = input.role_name.unwrap_or_default();
        let arn = input.policy_arn.unwrap_or_default();
        self.change_role(&name, |state, doc| self.attach(state, Holder::Role, &mut doc.permissions, arn))
    }

    pub(crate) fn detach_role_policy(&self, input: DetachRolePolicyRequest) -> Result<(), AwsError> {
        let name = input.role_name.unwrap_or_default();
        let arn = input.policy_arn.unwrap_or_default();
        self.change_role(&name, |_, doc| permissions::detach(&mut doc.permissions, &arn))
    }

    pub(crate) fn list_attached_role_policies(
        &self,
        input: ListAttachedRolePoliciesRequest,
    ) -> Result<ListAttachedRolePoliciesResponse, AwsError> {
        let name = input.role_name.unwrap_or_default();
        let page = self.with_role(&name, |state, doc| {
            self.attached_page(
                state,
                &doc.permissions,
                input.path_prefix.as_deref(),
                input.marker.as_deref(),
                input.max_items,
            )
        })?;
        Ok(ListAttachedRolePoliciesResponse {
            attached_policies: Some(page.items),
            is_truncated: Some(page.is_truncated),
            marker: page.marker,
        })
    }

    /// Instance profiles are not implemented: a role is in none.
    pub(crate) fn list_instance_profiles_for_role(
        &self,
        input: ListInstanceProfilesForRoleRequest,
    ) -> Result<ListInstanceProfilesForRoleResponse, AwsError> {
        let name = input.role_name.unwrap_or_default();
        self.with_role(&name, |_, _| ())?;
        Ok(ListInstanceProfilesForRoleResponse {
            instance_profiles: Vec::new(),
            is_truncated: Some(false),
            marker: None,
        })
    }
}
