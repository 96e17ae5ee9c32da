//! Policy documents: taking them in (raw or URL-encoded JSON), checking that
//! they are policies, measuring them against IAM's size quotas, and giving
//! them back URL-encoded as IAM does.
//!
//! The checks are the grammar of the IAM JSON policy reference plus the
//! rules IAM is known to enforce with its own wording: a JSON object of
//! `Version`, `Id` and `Statement`; statements with a case-exact `Effect`,
//! actions (`vendor:Action` or `*`), unique `Sid`s; identity policies need
//! resources, version 2012-10-17, and no principal; trust policies need a
//! principal and have no resource. Conditions are checked for shape only.

use serde_json::{Map, Value};

use aws_wire::AwsError;

use crate::errors;

/// The policy versions IAM knows.
const VERSIONS: &[&str] = &["2008-10-17", "2012-10-17"];
/// The version identity policies must declare.
const IDENTITY_VERSION: &str = "2012-10-17";
const TOP_ELEMENTS: &[&str] = &["Version", "Id", "Statement"];
const STATEMENT_ELEMENTS: &[&str] =
    &["Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"];

/// What a document is for: the checks differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A permissions policy: managed, inline or session policy.
    Identity,
    /// A role's trust policy (AssumeRolePolicyDocument).
    Trust,
}

/// The JSON text of a document as a request carried it: documents may come
/// URL-encoded (as IAM returns them) or raw; an encoded one is decoded.
pub fn from_input(text: &str) -> String {
    if serde_json::from_str::<serde::de::IgnoredAny>(text).is_err() && text.contains('%') {
        if let Some(decoded) = percent_decode(text) {
            if serde_json::from_str::<serde::de::IgnoredAny>(&decoded).is_ok() {
                return decoded;
            }
        }
    }
    text.to_string()
}

/// The document as IAM returns it: every byte but `A-Z a-z 0-9 - _ . ~`
/// percent-encoded (RFC 3986), e.g. `%7B%22Version%22%3A...`.
pub fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `%XX` sequences decoded; `None` when one is malformed or the result is not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The size IAM counts against its quotas: characters, white space excluded.
pub fn size_chars(text: &str) -> usize {
    text.chars().filter(|c| !c.is_whitespace()).count()
}

/// Checks that `text` is a policy of `kind`: `MalformedPolicyDocument` with
/// IAM's wording when it is not.
pub fn validate(text: &str, kind: Kind) -> Result<(), AwsError> {
    let syntax = || errors::malformed_policy("Syntax errors in policy.");
    let policy: Value = serde_json::from_str(text).map_err(|_| syntax())?;
    let statements = check_syntax(&policy).ok_or_else(syntax)?;
    if kind == Kind::Identity && policy.get("Version").and_then(Value::as_str) != Some(IDENTITY_VERSION) {
        return Err(errors::malformed_policy("Policy document must be version 2012-10-17 or greater."));
    }
    if statements.iter().any(|s| !matches!(s.get("Effect").and_then(Value::as_str), Some("Allow" | "Deny"))) {
        return Err(errors::malformed_policy("The policy failed legacy parsing"));
    }
    let mut sids: Vec<&str> =
        statements.iter().filter_map(|s| s.get("Sid")?.as_str()).filter(|s| !s.is_empty()).collect();
    sids.sort_unstable();
    if sids.windows(2).any(|w| w[0] == w[1]) {
        return Err(errors::malformed_policy("Statement IDs (SID) in a single policy must be unique."));
    }
    if !statements.iter().all(|s| has_values(s, "Action") || has_values(s, "NotAction")) {
        return Err(errors::malformed_policy("Policy statement must contain actions."));
    }
    match kind {
        Kind::Identity => {
            if statements.iter().any(|s| s.contains_key("Principal") || s.contains_key("NotPrincipal")) {
                return Err(errors::malformed_policy("Policy document should not specify a principal."));
            }
            if !statements.iter().all(|s| has_values(s, "Resource") || has_values(s, "NotResource")) {
                return Err(errors::malformed_policy("Policy statement must contain resources."));
            }
            for resource in statements.iter().flat_map(|s| strings(s, "Resource").chain(strings(s, "NotResource"))) {
                if resource != "*" && !resource.contains(':') {
                    return Err(errors::malformed_policy(format!(
                        "Resource {resource} must be in ARN format or \"*\"."
                    )));
                }
            }
        }
        Kind::Trust => {
            if statements.iter().any(|s| s.contains_key("Resource") || s.contains_key("NotResource")) {
                return Err(errors::malformed_policy("Has prohibited field Resource"));
            }
            if !statements.iter().all(|s| s.contains_key("Principal") || s.contains_key("NotPrincipal")) {
                return Err(errors::malformed_policy("Missing required field Principal"));
            }
        }
    }
    for action in statements.iter().flat_map(|s| strings(s, "Action").chain(strings(s, "NotAction"))) {
        check_action(action)?;
    }
    Ok(())
}

/// The statements, when the document follows the policy grammar.
fn check_syntax(policy: &Value) -> Option<Vec<&Map<String, Value>>> {
    let top = policy.as_object()?;
    if !top.keys().all(|k| TOP_ELEMENTS.contains(&k.as_str())) {
        return None;
    }
    if let Some(version) = top.get("Version") {
        if !VERSIONS.contains(&version.as_str()?) {
            return None;
        }
    }
    if top.get("Id").is_some_and(|id| !id.is_string()) {
        return None;
    }
    let statements: Vec<&Map<String, Value>> = match top.get("Statement")? {
        Value::Object(one) => vec![one],
        Value::Array(many) if !many.is_empty() => many.iter().map(Value::as_object).collect::<Option<_>>()?,
        _ => return None,
    };
    for s in &statements {
        let ok = s.keys().all(|k| STATEMENT_ELEMENTS.contains(&k.as_str()))
            && !(s.contains_key("Action") && s.contains_key("NotAction"))
            && !(s.contains_key("Resource") && s.contains_key("NotResource"))
            && !(s.contains_key("Principal") && s.contains_key("NotPrincipal"))
            && s.get("Effect")
                .and_then(Value::as_str)
                .is_some_and(|e| e.eq_ignore_ascii_case("allow") || e.eq_ignore_ascii_case("deny"))
            && ["Action", "NotAction", "Resource", "NotResource"]
                .iter()
                .all(|k| s.get(*k).is_none_or(is_string_or_strings))
            && s.get("Sid").is_none_or(Value::is_string)
            && s.get("Principal").is_none_or(is_principal)
            && s.get("NotPrincipal").is_none_or(is_principal)
            && s.get("Condition").is_none_or(is_condition);
        if !ok {
            return None;
        }
    }
    Some(statements)
}

fn is_string_or_strings(v: &Value) -> bool {
    match v {
        Value::String(_) => true,
        Value::Array(items) => items.iter().all(Value::is_string),
        _ => false,
    }
}

/// `"*"` or `{"AWS": ..., "Service": ...}` with string or list values.
fn is_principal(v: &Value) -> bool {
    match v {
        Value::String(s) => s == "*",
        Value::Object(m) => !m.is_empty() && m.values().all(is_string_or_strings),
        _ => false,
    }
}

/// `{"Operator": {"key": value or [values]}}`; values may be strings,
/// numbers or booleans, as IAM accepts.
fn is_condition(v: &Value) -> bool {
    let scalar = |v: &Value| v.is_string() || v.is_number() || v.is_boolean();
    v.as_object().is_some_and(|operators| {
        operators.values().all(|keys| {
            keys.as_object().is_some_and(|keys| {
                keys.values().all(|v| scalar(v) || v.as_array().is_some_and(|items| items.iter().all(scalar)))
            })
        })
    })
}

/// Whether the statement has `key` with at least one value.
fn has_values(s: &Map<String, Value>, key: &str) -> bool {
    match s.get(key) {
        Some(Value::String(_)) => true,
        Some(Value::Array(items)) => !items.is_empty(),
        _ => false,
    }
}

/// The string values of `key` (a string or a list of them).
fn strings<'a>(s: &'a Map<String, Value>, key: &str) -> impl Iterator<Item = &'a str> {
    let values: Vec<&str> = match s.get(key) {
        Some(Value::String(one)) => vec![one.as_str()],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    values.into_iter()
}

/// An action is `*` or `vendor:Action` (the action part may hold wildcards).
fn check_action(action: &str) -> Result<(), AwsError> {
    if action == "*" {
        return Ok(());
    }
    let mut parts = action.split(':');
    let vendor = parts.next().unwrap_or_default();
    match (parts.next(), parts.next()) {
        (None, _) => {
            Err(errors::malformed_policy("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."))
        }
        (Some(_), Some(_)) => Err(errors::malformed_policy("Actions/Condition can contain only one colon.")),
        (Some(_), None)
            if vendor.is_empty() || !vendor.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.') =>
        {
            Err(errors::malformed_policy(format!("Vendor {vendor} is not valid")))
        }
        (Some(_), None) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IDENTITY: &str =
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"a","Effect":"Allow","Action":"kinesis:*","Resource":"*"}]}"#;
    const TRUST: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"firehose.amazonaws.com"},"Action":"sts:AssumeRole"}}"#;

    fn message(text: &str, kind: Kind) -> String {
        let e = validate(text, kind).unwrap_err();
        assert_eq!((&*e.code, e.status.as_u16()), ("MalformedPolicyDocument", 400));
        e.message
    }

    #[test]
    fn valid_identity_and_trust_policies_pass() {
        validate(IDENTITY, Kind::Identity).unwrap();
        validate(TRUST, Kind::Trust).unwrap();
        let with_condition = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotAction":["s3:Get*"],
            "NotResource":"arn:aws:s3:::b/*","Condition":{"Bool":{"aws:SecureTransport":false}}}]}"#;
        validate(with_condition, Kind::Identity).unwrap();
        let old_trust =
            r#"{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]}"#;
        validate(old_trust, Kind::Trust).unwrap();
    }

    #[test]
    fn malformed_documents_are_refused_with_iam_wording() {
        assert_eq!(message("not json", Kind::Identity), "Syntax errors in policy.");
        assert_eq!(message("[]", Kind::Trust), "Syntax errors in policy.");
        assert_eq!(message(r#"{"Version":"2012-10-17"}"#, Kind::Identity), "Syntax errors in policy.");
        assert_eq!(
            message(r#"{"Version":"2012-10-17","Statement":[],"Extra":1}"#, Kind::Identity),
            "Syntax errors in policy."
        );
        assert_eq!(
            message(r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#, Kind::Identity),
            "Policy document must be version 2012-10-17 or greater."
        );
        assert_eq!(
            message(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"allow","Action":"s3:*","Resource":"*"}]}"#,
                Kind::Identity
            ),
            "The policy failed legacy parsing"
        );
        assert_eq!(
            message(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Resource":"*"}]}"#, Kind::Identity),
            "Policy statement must contain actions."
        );
        assert_eq!(
            message(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*"}]}"#, Kind::Identity),
            "Policy statement must contain resources."
        );
        assert_eq!(message(TRUST, Kind::Identity), "Policy document should not specify a principal.");
        assert_eq!(message(IDENTITY, Kind::Trust), "Has prohibited field Resource");
        assert_eq!(
            message(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}"#,
                Kind::Trust
            ),
            "Missing required field Principal"
        );
        assert_eq!(
            message(
                r#"{"Version":"2012-10-17","Statement":[{"Sid":"x","Effect":"Allow","Action":"a:b","Resource":"*"},{"Sid":"x","Effect":"Deny","Action":"a:b","Resource":"*"}]}"#,
                Kind::Identity
            ),
            "Statement IDs (SID) in a single policy must be unique."
        );
        assert_eq!(
            message(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ListStreams","Resource":"*"}]}"#,
                Kind::Identity
            ),
            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
        );
        assert_eq!(
            message(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"a:b","Resource":"bucket"}]}"#,
                Kind::Identity
            ),
            "Resource bucket must be in ARN format or \"*\"."
        );
    }

    #[test]
    fn documents_round_trip_through_url_encoding() {
        let encoded = url_encode(IDENTITY);
        assert!(encoded.starts_with("%7B%22Version%22%3A%222012-10-17%22%2C"), "{encoded}");
        assert_eq!(url_encode("a b~_.-"), "a%20b~_.-");
        assert_eq!(from_input(&encoded), IDENTITY);
        assert_eq!(from_input(IDENTITY), IDENTITY);
        // Not JSON either way: kept as given, for the validation to refuse.
        assert_eq!(from_input("%zz"), "%zz");
        assert_eq!(url_encode("é"), "%C3%A9");
    }

    #[test]
    fn size_excludes_white_space() {
        assert_eq!(size_chars("{ \"a\" :\n 1 }"), 7);
    }
}
