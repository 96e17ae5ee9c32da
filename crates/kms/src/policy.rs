//! Key policies: the defaults AWS attaches, a structural check of submitted
//! documents, GetKeyPolicy, PutKeyPolicy and ListKeyPolicies. Policies are
//! stored verbatim and never evaluated.

use aws_model::kms::{
    GetKeyPolicyRequest, GetKeyPolicyResponse, ListKeyPoliciesRequest, ListKeyPoliciesResponse, PutKeyPolicyRequest,
};
use serde_json::{json, Value};

use crate::store::{KeyRow, Store};
use crate::{KResult, KeyRef, Kms, KmsError, Needs, AWS_MANAGED};

/// The only key policy name KMS has.
const POLICY_NAME_DEFAULT: &str = "default";

fn malformed(message: &str) -> KmsError {
    KmsError::new("MalformedPolicyDocumentException", message)
}

/// Refuses a document that is not a JSON policy whose statements each have
/// an Effect of Allow or Deny, a principal and an action.
pub(crate) fn check_policy(document: &str) -> KResult<()> {
    let doc: Value = serde_json::from_str(document)
        .map_err(|_| malformed("The key policy is not valid JSON: fix its syntax and retry."))?;
    let Some(doc) = doc.as_object() else {
        return Err(malformed("The key policy must be a JSON object."));
    };
    let statements = match doc.get("Statement") {
        Some(Value::Array(statements)) if !statements.is_empty() => statements.iter().collect::<Vec<_>>(),
        Some(statement @ Value::Object(_)) => vec![statement],
        _ => return Err(malformed("The key policy must contain at least one Statement.")),
    };
    for statement in statements {
        let Some(statement) = statement.as_object() else {
            return Err(malformed("Policy contains a statement that is not a JSON object."));
        };
        if !matches!(statement.get("Effect").and_then(Value::as_str), Some("Allow" | "Deny")) {
            return Err(malformed("Policy contains a statement whose Effect is not Allow or Deny."));
        }
        if !statement.contains_key("Principal") && !statement.contains_key("NotPrincipal") {
            return Err(malformed("Policy contains a statement with no principal."));
        }
        if !statement.contains_key("Action") && !statement.contains_key("NotAction") {
            return Err(malformed("Policy contains a statement with no action."));
        }
    }
    Ok(())
}

/// Refuses a policy name other than `default`.
fn check_policy_name(name: Option<&str>) -> KResult<()> {
    match name {
        None | Some(POLICY_NAME_DEFAULT) => Ok(()),
        Some(_) => Err(KmsError::not_found("No such policy exists")),
    }
}

impl Kms {
    /// The policy AWS attaches when CreateKey names none: the account root
    /// may do everything, so IAM policies decide.
    fn default_customer_policy(&self) -> Value {
        json!({
            "Version": "2012-10-17",
            "Id": "key-default-1",
            "Statement": [{
                "Sid": "Enable IAM User Permissions",
                "Effect": "Allow",
                "Principal": {"AWS": format!("arn:aws:iam::{}:root", self.inner.account)},
                "Action": "kms:*",
                "Resource": "*"
            }]
        })
    }

    /// The policy of an AWS-managed key: use through its service only,
    /// direct read access for the account.
    fn aws_managed_policy(&self, service: &str) -> Value {
        let account = &self.inner.account;
        json!({
            "Version": "2012-10-17",
            "Id": format!("auto-{service}-1"),
            "Statement": [{
                "Sid": format!("Allow access through {service} for all principals in the account that are authorized to use {service}"),
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
                "Resource": "*",
                "Condition": {"StringEquals": {
                    "kms:CallerAccount": account,
                    "kms:ViaService": format!("{service}.{}.amazonaws.com", self.inner.region)
                }}
            }, {
                "Sid": "Allow direct access to key metadata to the account",
                "Effect": "Allow",
                "Principal": {"AWS": format!("arn:aws:iam::{account}:root")},
                "Action": ["kms:Describe*", "kms:Get*", "kms:List*", "kms:RevokeGrant"],
                "Resource": "*"
            }]
        })
    }

    /// The key's policy document: the stored one, or the default of its kind.
    pub(crate) fn policy_of(&self, store: &Store, key: &KeyRow) -> KResult<String> {
        if let Some(policy) = &key.policy {
            return Ok(policy.clone());
        }
        let document = if key.aws_managed {
            // The alias an AWS-managed key was created for names its service.
            let aliases = store.aliases(Some(&key.key_id), None, AWS_MANAGED.len())?;
            let service = aliases
                .iter()
                .find_map(|a| AWS_MANAGED.iter().find(|m| m.alias == a.name))
                .map_or("kms", |m| m.service);
            self.aws_managed_policy(service)
        } else {
            self.default_customer_policy()
        };
        serde_json::to_string_pretty(&document).map_err(|e| KmsError::internal(format!("Cannot encode a policy: {e}")))
    }

    pub(crate) fn get_key_policy(&self, input: GetKeyPolicyRequest) -> KResult<GetKeyPolicyResponse> {
        let store = self.inner.store.lock();
        let key = self.resolve(&store, input.key_id.as_deref().unwrap_or_default(), KeyRef::KeyOnly)?;
        check_policy_name(input.policy_name.as_deref())?;
        Ok(GetKeyPolicyResponse {
            policy: Some(self.policy_of(&store, &key)?),
            policy_name: Some(POLICY_NAME_DEFAULT.to_string()),
        })
    }

    pub(crate) fn put_key_policy(&self, input: PutKeyPolicyRequest) -> KResult<()> {
        let store = self.inner.store.lock();
        let mut key = self.key_to_change(&store, input.key_id.as_deref(), "PutKeyPolicy", Needs::Any)?;
        check_policy_name(input.policy_name.as_deref())?;
        let document = input.policy.unwrap_or_default();
        check_policy(&document)?;
        // BypassPolicyLockoutSafetyCheck is accepted: policies are not evaluated.
        key.policy = Some(document);
        store.update_key(&key)
    }

    pub(crate) fn list_key_policies(&self, input: ListKeyPoliciesRequest) -> KResult<ListKeyPoliciesResponse> {
        let store = self.inner.store.lock();
        self.resolve(&store, input.key_id.as_deref().unwrap_or_default(), KeyRef::KeyOnly)?;
        Ok(ListKeyPoliciesResponse {
            policy_names: Some(vec![POLICY_NAME_DEFAULT.to_string()]),
            next_marker: None,
            truncated: Some(false),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_check_wants_statements_with_effect_principal_and_action() {
        let ok = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:*","Resource":"*"}]}"#;
        assert!(check_policy(ok).is_ok());
        for bad in [
            "not json",
            "[]",
            r#"{"Version":"2012-10-17"}"#,
            r#"{"Statement":[]}"#,
            r#"{"Statement":[{"Effect":"Maybe","Principal":"*","Action":"kms:*"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Action":"kms:*"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":"*"}]}"#,
        ] {
            assert_eq!(check_policy(bad).unwrap_err().code, "MalformedPolicyDocumentException", "{bad}");
        }
    }
}
