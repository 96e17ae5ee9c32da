//! What roles and users share: inline policies, attached managed policies
//! and the permissions boundary, with the quotas and wording of each kind.

use aws_model::iam::AttachedPolicy;
use aws_wire::AwsError;

use crate::document::{self, Kind};
use crate::paging::{self, Page};
use crate::store::{Permissions, State};
use crate::{errors, Iam};

/// Managed policies attached to one role or user (AWS's default quota).
pub const ATTACHED_POLICIES_MAX: usize = 10;
/// Characters (white space excluded) of all of a role's inline policies together.
pub const ROLE_INLINE_POLICIES_CHARS_MAX: usize = 10_240;
/// Characters (white space excluded) of all of a user's inline policies together.
pub const USER_INLINE_POLICIES_CHARS_MAX: usize = 2_048;

/// Which kind of entity holds the permissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Holder {
    Role,
    User,
}

impl Holder {
    fn label(self) -> &'static str {
        match self {
            Holder::Role => "role",
            Holder::User => "user",
        }
    }

    fn inline_chars_max(self) -> usize {
        match self {
            Holder::Role => ROLE_INLINE_POLICIES_CHARS_MAX,
            Holder::User => USER_INLINE_POLICIES_CHARS_MAX,
        }
    }

    fn quota_name(self) -> &'static str {
        match self {
            Holder::Role => "PoliciesPerRole",
            Holder::User => "PoliciesPerUser",
        }
    }
}

/// Adds or replaces the inline policy `policy_name` of `holder_name`.
pub(crate) fn put_inline(
    holder: Holder,
    holder_name: &str,
    p: &mut Permissions,
    policy_name: String,
    document_input: Option<String>,
) -> Result<(), AwsError> {
    let text = document::from_input(&document_input.unwrap_or_default());
    document::validate(&text, Kind::Identity)?;
    let others: usize = p.inline.iter().filter(|(n, _)| **n != policy_name).map(|(_, d)| document::size_chars(d)).sum();
    let max = holder.inline_chars_max();
    if others + document::size_chars(&text) > max {
        return Err(errors::limit_exceeded(format!(
            "Maximum policy size of {max} bytes exceeded for {} {holder_name}",
            holder.label()
        )));
    }
    p.inline.insert(policy_name, text);
    Ok(())
}

/// The document of an inline policy (as stored).
pub(crate) fn inline<'a>(holder: Holder, p: &'a Permissions, policy_name: &str) -> Result<&'a String, AwsError> {
    p.inline.get(policy_name).ok_or_else(|| no_such_inline(holder, policy_name))
}

/// Deletes an inline policy.
pub(crate) fn delete_inline(holder: Holder, p: &mut Permissions, policy_name: &str) -> Result<(), AwsError> {
    p.inline.remove(policy_name).map(drop).ok_or_else(|| no_such_inline(holder, policy_name))
}

fn no_such_inline(holder: Holder, policy_name: &str) -> AwsError {
    errors::no_such_entity(format!("The {} policy with name {policy_name} cannot be found.", holder.label()))
}

/// One page of inline policy names, in name order.
pub(crate) fn inline_names(p: &Permissions, marker: Option<&str>, max_items: Option<i32>) -> Page<String> {
    paging::page(p.inline.keys().map(|n| (n.clone(), n.clone())), marker, max_items)
}

/// Detaches a managed policy.
pub(crate) fn detach(p: &mut Permissions, arn: &str) -> Result<(), AwsError> {
    let before = p.attached.len();
    p.attached.retain(|a| a != arn);
    if p.attached.len() == before {
        return Err(errors::no_such_entity(format!("Policy {arn} was not found.")));
    }
    Ok(())
}

impl Iam {
    /// Attaches the managed policy `arn` (already attached: nothing changes).
    pub(crate) fn attach(
        &self,
        state: &State,
        holder: Holder,
        p: &mut Permissions,
        arn: String,
    ) -> Result<(), AwsError> {
        self.attachable_policy(state, &arn)?;
        if p.attached.contains(&arn) {
            return Ok(());
        }
        if p.attached.len() >= ATTACHED_POLICIES_MAX {
            return Err(errors::limit_exceeded(format!(
                "Cannot exceed quota for {}: {ATTACHED_POLICIES_MAX}",
                holder.quota_name()
            )));
        }
        p.attached.push(arn);
        Ok(())
    }

    /// Sets the permissions boundary: the policy must exist.
    pub(crate) fn set_boundary(&self, state: &State, p: &mut Permissions, arn: String) -> Result<(), AwsError> {
        if self.find_policy(state, &arn).is_none() {
            return Err(errors::no_such_entity(format!("Scope ARN: {arn} does not exist or is not attachable.")));
        }
        p.boundary = Some(arn);
        Ok(())
    }

    /// One page of attached policies whose path starts with `path_prefix`, in attachment order.
    pub(crate) fn attached_page(
        &self,
        state: &State,
        p: &Permissions,
        path_prefix: Option<&str>,
        marker: Option<&str>,
        max_items: Option<i32>,
    ) -> Page<AttachedPolicy> {
        let prefix = path_prefix.unwrap_or("/");
        let items = p
            .attached
            .iter()
            .enumerate()
            .filter(|(_, arn)| self.find_policy(state, arn).is_none_or(|(doc, _)| doc.path.starts_with(prefix)))
            .map(|(i, arn)| {
                let name = arn.rsplit('/').next().unwrap_or_default().to_string();
                (paging::index_key(i), AttachedPolicy { policy_name: Some(name), policy_arn: Some(arn.clone()) })
            });
        paging::page(items, marker, max_items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;

    #[test]
    fn inline_policies_are_limited_in_aggregate() {
        let mut p = Permissions::default();
        put_inline(Holder::User, "u", &mut p, "a".into(), Some(DOC.into())).unwrap();
        // Replacing a policy does not count its old text.
        put_inline(Holder::User, "u", &mut p, "a".into(), Some(DOC.into())).unwrap();
        let big = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::{}"}}]}}"#,
            "b".repeat(USER_INLINE_POLICIES_CHARS_MAX)
        );
        let e = put_inline(Holder::User, "u", &mut p, "b".into(), Some(big.clone())).unwrap_err();
        assert_eq!((&*e.code, e.status.as_u16()), ("LimitExceeded", 409));
        assert_eq!(e.message, "Maximum policy size of 2048 bytes exceeded for user u");
        put_inline(Holder::Role, "r", &mut p, "b".into(), Some(big)).unwrap();
        assert_eq!(inline_names(&p, None, None).items, vec!["a".to_string(), "b".to_string()]);
        let e = delete_inline(Holder::Role, &mut p, "zz").unwrap_err();
        assert_eq!((e.status.as_u16(), e.message.as_str()), (404, "The role policy with name zz cannot be found."));
        let e = detach(&mut p, "arn:aws:iam::1:policy/x").unwrap_err();
        assert_eq!(e.message, "Policy arn:aws:iam::1:policy/x was not found.");
    }
}
