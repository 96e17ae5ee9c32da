//! Users: lifecycle, tags, and their inline and attached policies.

use aws_model::iam::*;
use aws_wire::{AwsError, Principal};

use crate::document;
use crate::paging::{self, Page};
use crate::permissions::{self, Holder};
use crate::roles::boundary_output;
use crate::store::{name_key, Change, Identity, Permissions, State, UserDoc};
use crate::{errors, ids, now_ms, tags, timestamp, Iam};

/// Users an account may have (AWS's quota).
pub const USERS_PER_ACCOUNT_MAX: usize = 5000;

pub(crate) fn no_such_user(name: &str) -> AwsError {
    errors::no_such_entity(format!("The user with name {name} cannot be found."))
}

/// What AWS answers when an operation needs a user name and the caller is no user.
pub(crate) fn user_name_required() -> AwsError {
    errors::validation("Must specify userName when calling with non-User credentials")
}

impl Iam {
    /// The ARN of a user.
    pub(crate) fn user_arn(&self, doc: &UserDoc) -> String {
        format!("arn:aws:iam::{}:user{}{}", self.account(), doc.path, doc.name)
    }

    /// A user as IAM describes it; lists leave out tags and the boundary.
    fn user_output(&self, doc: &UserDoc, listed: bool) -> User {
        User {
            path: doc.path.clone(),
            user_name: doc.name.clone(),
            user_id: doc.id.clone(),
            arn: self.user_arn(doc),
            create_date: timestamp(doc.created_ms),
            password_last_used: None,
            permissions_boundary: if listed { None } else { boundary_output(&doc.permissions) },
            tags: if listed { None } else { tags::to_model_opt(&doc.tags) },
        }
    }

    fn change_user<R>(
        &self,
        name: &str,
        f: impl FnOnce(&State, &mut UserDoc) -> Result<R, AwsError>,
    ) -> Result<R, AwsError> {
        self.inner.store.mutate(|state| {
            let mut doc = state.user(name).cloned().ok_or_else(|| no_such_user(name))?;
            let out = f(state, &mut doc)?;
            Ok((out, vec![Change::put_user(doc)]))
        })
    }

    fn with_user<R>(&self, name: &str, f: impl FnOnce(&State, &UserDoc) -> R) -> Result<R, AwsError> {
        let state = self.inner.store.read();
        let doc = state.user(name).ok_or_else(|| no_such_user(name))?;
        Ok(f(&state, doc))
    }

    pub(crate) fn create_user(&self, input: CreateUserRequest) -> Result<CreateUserResponse, AwsError> {
        let name = input.user_name.unwrap_or_default();
        let tags = tags::from_request(input.tags)?;
        let id = ids::user_id()?;
        let doc = self.inner.store.mutate(|state| {
            if state.user(&name).is_some() {
                return Err(errors::already_exists(format!("User with name {name} already exists.")));
            }
            if state.users.len() >= USERS_PER_ACCOUNT_MAX {
                return Err(errors::limit_exceeded(format!(
                    "Cannot exceed quota for UsersPerAccount: {USERS_PER_ACCOUNT_MAX}"
                )));
            }
            let mut permissions = Permissions::default();
            if let Some(arn) = input.permissions_boundary {
                self.set_boundary(state, &mut permissions, arn)?;
            }
            let doc = UserDoc {
                name: name.clone(),
                id,
                path: input.path.unwrap_or_else(|| "/".to_string()),
                created_ms: now_ms(),
                permissions,
                tags,
            };
            Ok((doc.clone(), vec![Change::put_user(doc)]))
        })?;
        Ok(CreateUserResponse { user: Some(self.user_output(&doc, false)) })
    }

    /// GetUser; without a UserName it describes the caller: an IAM user, or
    /// the root user as AWS does (UserId = account id, Arn `...:root`, no
    /// UserName or Path), which the Terraform provider reads the account from.
    pub(crate) fn get_user(&self, input: GetUserRequest, caller: &Principal) -> Result<Vec<u8>, AwsError> {
        let state = self.inner.store.read();
        let name = match (input.user_name, self.identity_in(&state, &caller.access_key_id)) {
            (Some(name), _) => name,
            (None, Identity::User { name, .. }) => name,
            (None, Identity::AssumedRole { .. }) => return Err(user_name_required()),
            (None, Identity::Root) => {
                let root = serde_json::json!({"User": {
                    "UserId": self.account(),
                    "Arn": Identity::Root.arn(self.account()),
                    "CreateDate": timestamp(state.created_ms),
                }});
                return Ok(root.to_string().into_bytes());
            }
        };
        let doc = state.user(&name).ok_or_else(|| no_such_user(&name))?;
        crate::json(Ok(GetUserResponse { user: self.user_output(doc, false) }))
    }

    pub(crate) fn list_users(&self, input: ListUsersRequest) -> Result<ListUsersResponse, AwsError> {
        let prefix = input.path_prefix.unwrap_or_else(|| "/".to_string());
        let state = self.inner.store.read();
        let items = state
            .users
            .iter()
            .filter(|(_, u)| u.path.starts_with(&prefix))
            .map(|(key, u)| (key.clone(), self.user_output(u, true)));
        let Page { items, is_truncated, marker } = paging::page(items, input.marker.as_deref(), input.max_items);
        Ok(ListUsersResponse { users: items, is_truncated: Some(is_truncated), marker })
    }

    /// UpdateUser: a new path and/or name (the user's access keys follow it).
    pub(crate) fn update_user(&self, input: UpdateUserRequest) -> Result<(), AwsError> {
        let name = input.user_name.unwrap_or_default();
        self.inner.store.mutate(|state| {
            let mut doc = state.user(&name).cloned().ok_or_else(|| no_such_user(&name))?;
            let mut changes = Vec::new();
            if let Some(path) = input.new_path {
                doc.path = path;
            }
            if let Some(new_name) = input.new_user_name.filter(|n| *n != doc.name) {
                if name_key(&new_name) != name_key(&doc.name) && state.user(&new_name).is_some() {
                    return Err(errors::already_exists(format!("User with name {new_name} already exists.")));
                }
                changes.push(Change::User(name_key(&doc.name), None));
                for key in state.keys.values().filter(|k| k.user_name == doc.name) {
                    changes.push(Change::put_key(crate::store::KeyDoc { user_name: new_name.clone(), ..key.clone() }));
                }
                doc.name = new_name;
            }
            changes.push(Change::put_user(doc));
            Ok(((), changes))
        })
    }

    pub(crate) fn delete_user(&self, input: DeleteUserRequest) -> Result<(), AwsError> {
        let name = input.user_name.unwrap_or_default();
        self.inner.store.mutate(|state| {
            let doc = state.user(&name).ok_or_else(|| no_such_user(&name))?;
            if state.keys.values().any(|k| k.user_name == doc.name) {
                return Err(errors::delete_conflict("Cannot delete entity, must delete access keys first."));
            }
            if !doc.permissions.inline.is_empty() {
                return Err(errors::delete_conflict("Cannot delete entity, must delete policies first."));
            }
            if !doc.permissions.attached.is_empty() {
                return Err(errors::delete_conflict("Cannot delete entity, must detach all policies first."));
            }
            Ok(((), vec![Change::User(name_key(&name), None)]))
        })
    }

    pub(crate) fn put_user_permissions_boundary(
        &self,
        input: PutUserPermissionsBoundaryRequest,
    ) -> Result<(), AwsError> {
        let name = input.user_name.unwrap_or_default();
        let arn = input.permissions_boundary.unwrap_or_default();
        self.change_user(&name, |state, doc| self.set_boundary(state, &mut doc.permissions, arn))
    }

    pub(crate) fn delete_user_permissions_boundary(
        &self,
        input: DeleteUserPermissionsBoundaryRequest,
    ) -> Result<(), AwsError> {
        let name = input.user_name.unwrap_or_default();
        self.change_user(&name, |_, doc| {
            doc.permissions.boundary = None;
            Ok(())
        })
    }

    pub(crate) fn tag_user(&self, input: TagUserRequest) -> Result<(), AwsError> {
        let name = input.user_name.unwrap_or_default();
        let new = tags::from_request(input.tags)?;
        self.change_user(&name, |_, doc| tags::merge(&mut doc.tags, new))
    }

    pub(crate) fn untag_user(&self, input: UntagUserRequest) -> Result<(), AwsError> {
        let name = input.user_name.unwrap_or_default();
        let keys = input.tag_keys.unwrap_or_default();
        self.change_user(&name, |_, doc| {
            tags::remove(&mut doc.tags, &keys);
            Ok(())
        })
    }

    pub(crate) fn list_user_tags(&self, input: ListUserTagsRequest) -> Result<ListUserTagsResponse, AwsError> {
        let name = input.user_name.unwrap_or_default();
        let page = self.with_user(&name, |_, doc| tags::page(&doc.tags, input.marker.as_deref(), input.max_items))?;
        Ok(ListUserTagsResponse { tags: page.items, is_truncated: Some(page.is_truncated), marker: page.marker })
    }

    pub(crate) fn put_user_policy(&self, input: PutUserPolicyRequest) -> Result<(), AwsError> {
        let name = input.user_name.unwrap_or_default();
        let policy_name = input.policy_name.unwrap_or_default();
        self.change_user(&name, |_, doc| {
            permissions::put_inline(Holder::User, &name, &mut doc.permissions, policy_name, input.policy_document)
        })
    }

    pub(crate) fn get_user_policy(&self, input: GetUserPolicyRequest) -> Result<GetUserPolicyResponse, AwsError> {
        let name = input.user_name.unwrap_or_default();
        let policy_name = input.policy_name.unwrap_or_default();
        self.with_user(&name, |_, doc| {
            let text = permissions::inline(Holder::User, &doc.permissions, &policy_name)?;
            Ok(GetUserPolicyResponse {
                user_name: doc.name.clone(),
                policy_name: policy_name.clone(),
                policy_document: document::url_encode(text),
            })
        })?
    }

    pub(crate) fn list_user_policies(
        &self,
        input: ListUserPoliciesRequest,
    ) -> Result<ListUserPoliciesResponse, AwsError> {
        let name = input.user_name.unwrap_or_default();
        let page = self.with_user(&name, |_, doc| {
            permissions::inline_names(&doc.permissions, input.marker.as_deref(), input.max_items)
        })?;
        Ok(ListUserPoliciesResponse {
            policy_names: page.items,
            is_truncated: Some(page.is_truncated),
            marker: page.marker,
        })
    }

    pub(crate) fn delete_user_policy(&self, input: DeleteUserPolicyRequest) -> Result<(), AwsError> {
        let name = input.user_name.unwrap_or_default();
        let policy_name = input.policy_name.unwrap_or_default();
        self.change_user(&name, |_, doc| permissions::delete_inline(Holder::User, &mut doc.permissions, &policy_name))
    }

    pub(crate) fn attach_user_policy(&self, input: AttachUserPolicyRequest) -> Result<(), AwsError> {
        let name = input.user_name.unwrap_or_default();
        let arn = input.policy_arn.unwrap_or_default();
        self.change_user(&name, |state, doc| self.attach(state, Holder::User, &mut doc.permissions, arn))
    }

    pub(crate) fn detach_user_policy(&self, input: DetachUserPolicyRequest) -> Result<(), AwsError> {
        let name = input.user_name.unwrap_or_default();
        let arn = input.policy_arn.unwrap_or_default();
        self.change_user(&name, |_, doc| permissions::detach(&mut doc.permissions, &arn))
    }

    pub(crate) fn list_attached_user_policies(
        &self,
        input: ListAttachedUserPoliciesRequest,
    ) -> Result<ListAttachedUserPoliciesResponse, AwsError> {
        let name = input.user_name.unwrap_or_default();
        let page = self.with_user(&name, |state, doc| {
            self.attached_page(
                state,
                &doc.permissions,
                input.path_prefix.as_deref(),
                input.marker.as_deref(),
                input.max_items,
            )
        })?;
        Ok(ListAttachedUserPoliciesResponse {
            attached_policies: Some(page.items),
            is_truncated: Some(page.is_truncated),
            marker: page.marker,
        })
    }

    /// Groups are not implemented: a user is in none.
    pub(crate) fn list_groups_for_user(
        &self,
        input: ListGroupsForUserRequest,
    ) -> Result<ListGroupsForUserResponse, AwsError> {
        let name = input.user_name.unwrap_or_default();
        self.with_user(&name, |_, _| ())?;
        Ok(ListGroupsForUserResponse { groups: Vec::new(), is_truncated: Some(false), marker: None })
    }
}
