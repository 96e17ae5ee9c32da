//! The IAM service of kinesd (awsQuery): roles, users, customer managed
//! policies with versions, inline and attached policies, tags, access keys,
//! and the credential store every request of every service is verified
//! against (configured root keys, IAM users' access keys, and the temporary
//! credentials STS issues through [`Iam::issue_session`]).
//!
//! Operations run on the generated JSON shapes; the front transcodes the
//! query form and the XML answer with [`MODEL`]. State lives in
//! `<data_dir>/iam.db` and in memory (see [`store`]). Policies are stored,
//! validated and reported, not evaluated: every signed request is allowed.
//!
//! Not implemented: groups, instance profiles (listed as none), login
//! profiles, MFA, SAML/OIDC providers, server certificates, and access key
//! last-used tracking (always reported as never used).

mod access_keys;
mod aws_managed;
mod credentials;
pub mod document;
pub mod errors;
mod ids;
mod paging;
mod permissions;
mod policies;
mod roles;
mod store;
mod tags;
mod users;

use std::path::Path;
use std::sync::Arc;

use aws_model::{JsonDe, Timestamp, Validate};
use aws_wire::{AwsError, JsonService, Principal, Reply, RequestContext};
use futures::future::BoxFuture;
use serde::Serialize;

pub use credentials::{RoleGrant, TemporaryCredentials};
pub use store::Identity;

use crate::store::Store;

/// The service model (botocore), for the awsQuery transcoding.
pub const MODEL: &str = include_str!("../../../models/iam-2010-05-08.json");

/// The operations this service implements.
const OPERATIONS: &[&str] = &[
    "AttachRolePolicy",
    "AttachUserPolicy",
    "CreateAccessKey",
    "CreatePolicy",
    "CreatePolicyVersion",
    "CreateRole",
    "CreateUser",
    "DeleteAccessKey",
    "DeletePolicy",
    "DeletePolicyVersion",
    "DeleteRole",
    "DeleteRolePermissionsBoundary",
    "DeleteRolePolicy",
    "DeleteUser",
    "DeleteUserPermissionsBoundary",
    "DeleteUserPolicy",
    "DetachRolePolicy",
    "DetachUserPolicy",
    "GetAccessKeyLastUsed",
    "GetPolicy",
    "GetPolicyVersion",
    "GetRole",
    "GetRolePolicy",
    "GetUser",
    "GetUserPolicy",
    "ListAccessKeys",
    "ListAttachedRolePolicies",
    "ListAttachedUserPolicies",
    "ListEntitiesForPolicy",
    "ListGroupsForUser",
    "ListInstanceProfilesForRole",
    "ListPolicies",
    "ListPolicyTags",
    "ListPolicyVersions",
    "ListRolePolicies",
    "ListRoleTags",
    "ListRoles",
    "ListUserPolicies",
    "ListUserTags",
    "ListUsers",
    "PutRolePermissionsBoundary",
    "PutRolePolicy",
    "PutUserPermissionsBoundary",
    "PutUserPolicy",
    "SetDefaultPolicyVersion",
    "TagPolicy",
    "TagRole",
    "TagUser",
    "UntagPolicy",
    "UntagRole",
    "UntagUser",
    "UpdateAccessKey",
    "UpdateAssumeRolePolicy",
    "UpdateRole",
    "UpdateRoleDescription",
    "UpdateUser",
];

/// The IAM service; cheap to clone (clones share state).
#[derive(Clone)]
pub struct Iam {
    inner: Arc<Inner>,
}

struct Inner {
    account: String,
    store: Store,
}

impl Iam {
    /// Opens (creating on first start) the service's state under `data_dir`.
    pub fn open(data_dir: &Path, _region: impl Into<String>, account: impl Into<String>) -> Result<Iam, String> {
        std::fs::create_dir_all(data_dir).map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
        let store = Store::open(&data_dir.join("iam.db"))?;
        Ok(Iam { inner: Arc::new(Inner { account: account.into(), store }) })
    }

    /// The account every IAM entity belongs to.
    pub fn account(&self) -> &str {
        &self.inner.account
    }

    /// Runs one operation on its JSON input for `caller`; answers the JSON output.
    pub fn call_blocking(&self, operation: &str, body: &[u8], caller: &Principal) -> Result<Vec<u8>, AwsError> {
        match operation {
            "AttachRolePolicy" => empty(self.attach_role_policy(decode(body)?)),
            "AttachUserPolicy" => empty(self.attach_user_policy(decode(body)?)),
            "CreateAccessKey" => json(self.create_access_key(decode(body)?, caller)),
            "CreatePolicy" => json(self.create_policy(decode(body)?)),
            "CreatePolicyVersion" => json(self.create_policy_version(decode(body)?, caller)),
            "CreateRole" => json(self.create_role(decode(body)?)),
            "CreateUser" => json(self.create_user(decode(body)?)),
            "DeleteAccessKey" => empty(self.delete_access_key(decode(body)?, caller)),
            "DeletePolicy" => empty(self.delete_policy(decode(body)?, caller)),
            "DeletePolicyVersion" => empty(self.delete_policy_version(decode(body)?, caller)),
            "DeleteRole" => empty(self.delete_role(decode(body)?)),
            "DeleteRolePermissionsBoundary" => empty(self.delete_role_permissions_boundary(decode(body)?)),
            "DeleteRolePolicy" => empty(self.delete_role_policy(decode(body)?)),
            "DeleteUser" => empty(self.delete_user(decode(body)?)),
            "DeleteUserPermissionsBoundary" => empty(self.delete_user_permissions_boundary(decode(body)?)),
            "DeleteUserPolicy" => empty(self.delete_user_policy(decode(body)?)),
            "DetachRolePolicy" => empty(self.detach_role_policy(decode(body)?)),
            "DetachUserPolicy" => empty(self.detach_user_policy(decode(body)?)),
            "GetAccessKeyLastUsed" => json(self.get_access_key_last_used(decode(body)?, caller)),
            "GetPolicy" => json(self.get_policy(decode(body)?)),
            "GetPolicyVersion" => json(self.get_policy_version(decode(body)?)),
            "GetRole" => json(self.get_role(decode(body)?)),
            "GetRolePolicy" => json(self.get_role_policy(decode(body)?)),
            "GetUser" => self.get_user(decode(body)?, caller),
            "GetUserPolicy" => json(self.get_user_policy(decode(body)?)),
            "ListAccessKeys" => json(self.list_access_keys(decode(body)?, caller)),
            "ListAttachedRolePolicies" => json(self.list_attached_role_policies(decode(body)?)),
            "ListAttachedUserPolicies" => json(self.list_attached_user_policies(decode(body)?)),
            "ListEntitiesForPolicy" => json(self.list_entities_for_policy(decode(body)?)),
            "ListGroupsForUser" => json(self.list_groups_for_user(decode(body)?)),
            "ListInstanceProfilesForRole" => json(self.list_instance_profiles_for_role(decode(body)?)),
            "ListPolicies" => json(self.list_policies(decode(body)?)),
            "ListPolicyTags" => json(self.list_policy_tags(decode(body)?)),
            "ListPolicyVersions" => json(self.list_policy_versions(decode(body)?)),
            "ListRolePolicies" => json(self.list_role_policies(decode(body)?)),
            "ListRoleTags" => json(self.list_role_tags(decode(body)?)),
            "ListRoles" => json(self.list_roles(decode(body)?)),
            "ListUserPolicies" => json(self.list_user_policies(decode(body)?)),
            "ListUserTags" => json(self.list_user_tags(decode(body)?)),
            "ListUsers" => json(self.list_users(decode(body)?)),
            "PutRolePermissionsBoundary" => empty(self.put_role_permissions_boundary(decode(body)?)),
            "PutRolePolicy" => empty(self.put_role_policy(decode(body)?)),
            "PutUserPermissionsBoundary" => empty(self.put_user_permissions_boundary(decode(body)?)),
            "PutUserPolicy" => empty(self.put_user_policy(decode(body)?)),
            "SetDefaultPolicyVersion" => empty(self.set_default_policy_version(decode(body)?, caller)),
            "TagPolicy" => empty(self.tag_policy(decode(body)?, caller)),
            "TagRole" => empty(self.tag_role(decode(body)?)),
            "TagUser" => empty(self.tag_user(decode(body)?)),
            "UntagPolicy" => empty(self.untag_policy(decode(body)?, caller)),
            "UntagRole" => empty(self.untag_role(decode(body)?)),
            "UntagUser" => empty(self.untag_user(decode(body)?)),
            "UpdateAccessKey" => empty(self.update_access_key(decode(body)?, caller)),
            "UpdateAssumeRolePolicy" => empty(self.update_assume_role_policy(decode(body)?)),
            "UpdateRole" => empty(self.update_role(decode(body)?)),
            "UpdateRoleDescription" => json(self.update_role_description(decode(body)?)),
            "UpdateUser" => empty(self.update_user(decode(body)?)),
            other => Err(AwsError::new(400, "InvalidAction", format!("Could not find operation {other}"))),
        }
    }
}

/// The current time in whole seconds (as IAM and STS report times), in
/// milliseconds since the epoch.
fn now_ms() -> i64 {
    Timestamp::now().as_secs() * 1000
}

fn timestamp(ms: i64) -> Timestamp {
    Timestamp::from_millis(ms)
}

fn decode<T: JsonDe + Validate>(body: &[u8]) -> Result<T, AwsError> {
    aws_model::decode_input(body).map_err(errors::from_request_error)
}

fn json<T: Serialize>(result: Result<T, AwsError>) -> Result<Vec<u8>, AwsError> {
    let out = result?;
    serde_json::to_vec(&out).map_err(|e| {
        tracing::error!(error = %e, "cannot encode an IAM response");
        errors::service_failure()
    })
}

fn empty(result: Result<(), AwsError>) -> Result<Vec<u8>, AwsError> {
    result.map(|()| b"{}".to_vec())
}

impl JsonService for Iam {
    fn signing_name(&self) -> &'static str {
        "iam"
    }

    fn target_prefix(&self) -> &'static str {
        "AWSIdentityManagementV20100508"
    }

    fn json_version(&self) -> &'static str {
        "1.1"
    }

    fn speaks_json(&self) -> bool {
        false
    }

    fn has_operation(&self, operation: &str) -> bool {
        OPERATIONS.contains(&operation)
    }

    fn call(&self, ctx: RequestContext, body: bytes::Bytes) -> BoxFuture<'static, Result<Reply, AwsError>> {
        let iam = self.clone();
        Box::pin(async move {
            let out = tokio::task::spawn_blocking(move || iam.call_blocking(&ctx.operation, &body, &ctx.principal))
                .await
                .unwrap_or_else(|e| {
                    tracing::error!(error = %e, "an IAM operation panicked");
                    Err(errors::service_failure())
                })?;
            Ok(Reply::json(out.into()))
        })
    }
}

#[cfg(test)]
mod tests;
