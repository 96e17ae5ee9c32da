//! Subscription filter policies: parsed and bounded when set, matched per
//! message at Publish. A policy is a JSON object; each key names a message
//! attribute (scope `MessageAttributes`) or a member of the JSON body (scope
//! `MessageBody`, where objects nest) and lists the conditions one of which
//! the value must meet; every key must match (`$or` takes alternatives).
//!
//! Conditions: exact strings, numbers, `null` and booleans; `prefix`,
//! `suffix`, `equals-ignore-case`; `anything-but` (values, `prefix`,
//! `suffix`, `equals-ignore-case`); `numeric` comparisons and ranges;
//! `exists`; `cidr`. A `String.Array` attribute or a JSON array matches when
//! one of its elements does. Binary attributes match `exists` only.

use std::net::IpAddr;

use serde_json::{Map, Value as Json};

use crate::message::{AttributeValue, MessageAttributes};

/// Largest filter policy (AWS: 256 KiB).
pub const FILTER_POLICY_BYTES_MAX: usize = 262_144;
/// Most distinct keys one policy may test (AWS's limit).
pub const FILTER_POLICY_KEYS_MAX: usize = 5;
/// Most value combinations one policy may have (AWS's limit).
pub const FILTER_POLICY_COMBINATIONS_MAX: usize = 150;
/// Largest magnitude of a number in a numeric condition (AWS's limit).
pub const NUMERIC_ABS_MAX: f64 = 1e9;

/// What a filter policy is applied to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    MessageAttributes,
    MessageBody,
}

impl Scope {
    /// The scope a `FilterPolicyScope` attribute names (`MessageAttributes` when unset).
    pub fn from_attribute(value: Option<&str>) -> Scope {
        match value {
            Some("MessageBody") => Scope::MessageBody,
            _ => Scope::MessageAttributes,
        }
    }
}

/// A parsed filter policy.
#[derive(Debug, Clone, PartialEq)]
pub struct FilterPolicy {
    root: Object,
    scope: Scope,
}

#[derive(Debug, Clone, PartialEq)]
struct Object {
    entries: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq)]
enum Entry {
    Key(String, Rule),
    Or(Vec<Object>),
}

#[derive(Debug, Clone, PartialEq)]
enum Rule {
    /// The value must meet one of the conditions.
    Match(Vec<Condition>),
    /// The value is an object matched by a nested policy (MessageBody scope).
    Nested(Object),
}

#[derive(Debug, Clone, PartialEq)]
enum Condition {
    Equals(Scalar),
    Prefix(String),
    Suffix(String),
    EqualsIgnoreCase(String),
    AnythingBut(AnythingBut),
    Numeric(Vec<(Comparison, f64)>),
    Exists(bool),
    Cidr(IpAddr, u8),
}

#[derive(Debug, Clone, PartialEq)]
enum AnythingBut {
    Values(Vec<Scalar>),
    Prefix(String),
    Suffix(String),
    EqualsIgnoreCase(Vec<String>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Comparison {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

/// A value a condition is tested against.
#[derive(Debug, Clone, PartialEq)]
enum Scalar {
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
}

/// A key's value in a message: absent, or present with its scalar values.
enum Found {
    Absent,
    Present(Vec<Scalar>),
}

impl FilterPolicy {
    /// Parses and bounds a policy; the error says what is wrong.
    pub fn parse(text: &str, scope: Scope) -> Result<FilterPolicy, String> {
        if text.len() > FILTER_POLICY_BYTES_MAX {
            return Err(format!("Filter policy is larger than {FILTER_POLICY_BYTES_MAX} bytes"));
        }
        let json: Json = serde_json::from_str(text).map_err(|e| format!("failed to parse JSON. {e}"))?;
        let Json::Object(object) = json else {
            return Err("Filter policy must be a JSON object".into());
        };
        let root = parse_object(&object, scope, 0)?;
        let mut keys = Vec::new();
        root.leaf_keys("", &mut keys);
        keys.sort();
        keys.dedup();
        if keys.len() > FILTER_POLICY_KEYS_MAX {
            return Err(format!("Filter policy can not have more than {FILTER_POLICY_KEYS_MAX} keys"));
        }
        if root.combinations() > FILTER_POLICY_COMBINATIONS_MAX {
            return Err(format!(
                "Filter policy is too complex: more than {FILTER_POLICY_COMBINATIONS_MAX} combinations"
            ));
        }
        Ok(FilterPolicy { root, scope })
    }

    /// Whether a message with `attributes` and `body` passes the policy.
    pub fn matches(&self, attributes: &MessageAttributes, body: &str) -> bool {
        match self.scope {
            Scope::MessageAttributes => self.root.matches(&|key| attribute_values(attributes, key)),
            Scope::MessageBody => match serde_json::from_str::<Json>(body) {
                Ok(Json::Object(object)) => self.root.matches_body(&object),
                _ => false,
            },
        }
    }
}

/// Nesting depth of a policy (a bound on recursion).
const DEPTH_MAX: usize = 16;

fn parse_object(object: &Map<String, Json>, scope: Scope, depth: usize) -> Result<Object, String> {
    if depth > DEPTH_MAX {
        return Err("Filter policy is nested too deeply".into());
    }
    if object.is_empty() {
        return Err("Filter policy objects must not be empty".into());
    }
    let mut entries = Vec::new();
    for (key, value) in object {
        if key == "$or" {
            let branches = match value {
                Json::Array(items) if items.len() >= 2 => items,
                _ => return Err("$or must be an array of at least two objects".into()),
            };
            let mut parsed = Vec::new();
            for branch in branches {
                match branch {
                    Json::Object(o) => parsed.push(parse_object(o, scope, depth + 1)?),
                    _ => return Err("$or must be an array of at least two objects".into()),
                }
            }
            entries.push(Entry::Or(parsed));
            continue;
        }
        let rule = match value {
            Json::Array(items) => {
                if items.is_empty() {
                    return Err(format!("Empty arrays are not allowed: {key}"));
                }
                Rule::Match(items.iter().map(|item| parse_condition(key, item)).collect::<Result<_, _>>()?)
            }
            Json::Object(nested) if scope == Scope::MessageBody => {
                Rule::Nested(parse_object(nested, scope, depth + 1)?)
            }
            Json::Object(_) => {
                return Err("Filter policy scope MessageAttributes does not support nested filter policy".into())
            }
            _ => return Err(format!("\"{key}\" must be an object or an array")),
        };
        entries.push(Entry::Key(key.clone(), rule));
    }
    Ok(Object { entries })
}

fn parse_condition(key: &str, item: &Json) -> Result<Condition, String> {
    let operator = match item {
        Json::Object(o) if o.len() == 1 => o.iter().next().map(|(k, v)| (k.as_str(), v)),
        Json::Object(_) => return Err(format!("Match conditions of \"{key}\" must have exactly one operator")),
        scalar => {
            return scalar_of(scalar).map(Condition::Equals).ok_or_else(|| format!("Invalid value for \"{key}\""))
        }
    };
    let Some((name, value)) = operator else {
        return Err(format!("Invalid value for \"{key}\""));
    };
    let text = |v: &Json| v.as_str().map(str::to_string).ok_or_else(|| format!("Value of {name} must be a string"));
    Ok(match name {
        "prefix" => Condition::Prefix(text(value)?),
        "suffix" => Condition::Suffix(text(value)?),
        "equals-ignore-case" => Condition::EqualsIgnoreCase(text(value)?),
        "exists" => Condition::Exists(value.as_bool().ok_or("exists match pattern must be either true or false.")?),
        "numeric" => Condition::Numeric(parse_numeric(value)?),
        "cidr" => {
            let (ip, bits) = parse_cidr(value.as_str().unwrap_or("")).ok_or("Malformed CIDR, one '/' required")?;
            Condition::Cidr(ip, bits)
        }
        "anything-but" => Condition::AnythingBut(match value {
            Json::Array(items) if !items.is_empty() => AnythingBut::Values(
                items
                    .iter()
                    .map(|v| match v {
                        Json::String(_) | Json::Number(_) => scalar_of(v).ok_or(()),
                        _ => Err(()),
                    })
                    .collect::<Result<_, _>>()
                    .map_err(|()| "Inside anything but list, start|null|boolean is not supported.".to_string())?,
            ),
            Json::String(_) | Json::Number(_) => AnythingBut::Values(vec![scalar_of(value).unwrap_or(Scalar::Null)]),
            Json::Object(o) if o.len() == 1 => {
                let (op, v) = o.iter().next().map(|(k, v)| (k.as_str(), v)).unwrap_or(("", value));
                match op {
                    "prefix" => AnythingBut::Prefix(text(v)?),
                    "suffix" => AnythingBut::Suffix(text(v)?),
                    "equals-ignore-case" => AnythingBut::EqualsIgnoreCase(match v {
                        Json::String(s) => vec![s.clone()],
                        Json::Array(items) => items
                            .iter()
                            .map(|i| i.as_str().map(str::to_string))
                            .collect::<Option<_>>()
                            .ok_or("equals-ignore-case takes strings")?,
                        _ => return Err("equals-ignore-case takes strings".into()),
                    }),
                    other => return Err(format!("Unsupported anything-but pattern: {other}")),
                }
            }
            _ => return Err("Value of anything-but must be an array or single string/number value.".into()),
        }),
        other => return Err(format!("Unrecognized match type {other}")),
    })
}

fn scalar_of(value: &Json) -> Option<Scalar> {
    match value {
        Json::String(s) => Some(Scalar::Str(s.clone())),
        Json::Number(n) => n.as_f64().map(Scalar::Num),
        Json::Bool(b) => Some(Scalar::Bool(*b)),
        Json::Null => Some(Scalar::Null),
        _ => None,
    }
}

fn parse_numeric(value: &Json) -> Result<Vec<(Comparison, f64)>, String> {
    let items = value.as_array().ok_or("Value of numeric must be an array.")?;
    if items.len() != 2 && items.len() != 4 {
        return Err("Value of numeric must be an array of one or two comparisons.".into());
    }
    let mut out = Vec::new();
    for pair in items.chunks(2) {
        let op = match pair[0].as_str() {
            Some("=") => Comparison::Eq,
            Some("<") => Comparison::Lt,
            Some("<=") => Comparison::Le,
            Some(">") => Comparison::Gt,
            Some(">=") => Comparison::Ge,
            _ => return Err(format!("Unrecognized numeric range operator: {}", pair[0])),
        };
        let n = pair[1].as_f64().ok_or("Value of numeric comparison must be numeric")?;
        if n.abs() > NUMERIC_ABS_MAX {
            return Err(format!("Numeric values must be between -{NUMERIC_ABS_MAX:e} and {NUMERIC_ABS_MAX:e}"));
        }
        out.push((op, n));
    }
    if let [(low, a), (high, b)] = out[..] {
        let lower = matches!(low, Comparison::Gt | Comparison::Ge);
        let upper = matches!(high, Comparison::Lt | Comparison::Le);
        if !lower || !upper || a >= b {
            return Err("Bad numeric range: a lower bound (>, >=) then a greater upper bound (<, <=)".into());
        }
    }
    Ok(out)
}

fn parse_cidr(text: &str) -> Option<(IpAddr, u8)> {
    let (ip, bits) = text.split_once('/')?;
    let ip: IpAddr = ip.parse().ok()?;
    let bits: u8 = bits.parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    (bits <= max).then_some((ip, bits))
}

impl Object {
    fn leaf_keys(&self, path: &str, out: &mut Vec<String>) {
        for entry in &self.entries {
            match entry {
                Entry::Key(key, Rule::Match(_)) => out.push(format!("{path}{key}")),
                Entry::Key(key, Rule::Nested(nested)) => nested.leaf_keys(&format!("{path}{key}."), out),
                Entry::Or(branches) => branches.iter().for_each(|b| b.leaf_keys(path, out)),
            }
        }
    }

    fn combinations(&self) -> usize {
        self.entries.iter().fold(1usize, |acc, entry| {
            let n = match entry {
                Entry::Key(_, Rule::Match(conditions)) => conditions.len(),
                Entry::Key(_, Rule::Nested(nested)) => nested.combinations(),
                Entry::Or(branches) => branches.iter().map(Object::combinations).fold(0usize, usize::saturating_add),
            };
            acc.saturating_mul(n)
        })
    }

    /// Matches flat key lookups (message attributes).
    fn matches(&self, lookup: &dyn Fn(&str) -> Found) -> bool {
        self.entries.iter().all(|entry| match entry {
            Entry::Key(key, Rule::Match(conditions)) => {
                let found = lookup(key);
                conditions.iter().any(|c| c.matches(&found))
            }
            // Rejected by the parser in this scope.
            Entry::Key(_, Rule::Nested(_)) => false,
            Entry::Or(branches) => branches.iter().any(|b| b.matches(lookup)),
        })
    }

    /// Matches the members of a JSON body.
    fn matches_body(&self, object: &Map<String, Json>) -> bool {
        self.entries.iter().all(|entry| match entry {
            Entry::Key(key, Rule::Match(conditions)) => {
                let found = match object.get(key) {
                    None => Found::Absent,
                    Some(value) => Found::Present(body_scalars(value)),
                };
                conditions.iter().any(|c| c.matches(&found))
            }
            Entry::Key(key, Rule::Nested(nested)) => match object.get(key) {
                Some(Json::Object(inner)) => nested.matches_body(inner),
                Some(Json::Array(items)) => {
                    items.iter().any(|item| item.as_object().is_some_and(|inner| nested.matches_body(inner)))
                }
                // An absent object matches only `exists: false` beneath it.
                None => nested.matches_body(&Map::new()),
                Some(_) => false,
            },
            Entry::Or(branches) => branches.iter().any(|b| b.matches_body(object)),
        })
    }
}

/// The scalar values of a body member (an array's scalar elements).
fn body_scalars(value: &Json) -> Vec<Scalar> {
    match value {
        Json::Array(items) => items.iter().filter_map(scalar_of).collect(),
        other => scalar_of(other).into_iter().collect(),
    }
}

/// The scalar values of message attribute `key`, by its data type.
fn attribute_values(attributes: &MessageAttributes, key: &str) -> Found {
    let Some(attribute) = attributes.get(key) else {
        return Found::Absent;
    };
    let AttributeValue::String(text) = &attribute.value else {
        return Found::Present(Vec::new());
    };
    Found::Present(match attribute.base_type() {
        "String.Array" => match serde_json::from_str::<Json>(text) {
            Ok(json @ Json::Array(_)) => body_scalars(&json),
            _ => vec![Scalar::Str(text.clone())],
        },
        "Number" => text.trim().parse::<f64>().map(Scalar::Num).into_iter().collect(),
        _ => vec![Scalar::Str(text.clone())],
    })
}

impl Condition {
    fn matches(&self, found: &Found) -> bool {
        let values = match (self, found) {
            (Condition::Exists(wanted), found) => return *wanted == matches!(found, Found::Present(_)),
            (_, Found::Absent) => return false,
            (_, Found::Present(values)) => values,
        };
        values.iter().any(|v| self.matches_value(v))
    }

    fn matches_value(&self, value: &Scalar) -> bool {
        let text = match value {
            Scalar::Str(s) => Some(s.as_str()),
            _ => None,
        };
        match self {
            Condition::Equals(expected) => expected == value,
            Condition::Prefix(p) => text.is_some_and(|s| s.starts_with(p.as_str())),
            Condition::Suffix(p) => text.is_some_and(|s| s.ends_with(p.as_str())),
            Condition::EqualsIgnoreCase(p) => text.is_some_and(|s| s.to_lowercase() == p.to_lowercase()),
            Condition::Numeric(comparisons) => match value {
                Scalar::Num(n) => comparisons.iter().all(|(op, bound)| op.holds(*n, *bound)),
                _ => false,
            },
            Condition::Cidr(net, bits) => {
                text.and_then(|s| s.parse::<IpAddr>().ok()).is_some_and(|ip| in_network(ip, *net, *bits))
            }
            Condition::AnythingBut(but) => match but {
                AnythingBut::Values(excluded) => !excluded.contains(value),
                AnythingBut::Prefix(p) => text.is_some_and(|s| !s.starts_with(p.as_str())),
                AnythingBut::Suffix(p) => text.is_some_and(|s| !s.ends_with(p.as_str())),
                AnythingBut::EqualsIgnoreCase(excluded) => {
                    text.is_some_and(|s| !excluded.iter().any(|e| e.to_lowercase() == s.to_lowercase()))
                }
            },
            Condition::Exists(_) => true,
        }
    }
}

impl Comparison {
    fn holds(self, value: f64, bound: f64) -> bool {
        match self {
            Comparison::Eq => value == bound,
            Comparison::Lt => value < bound,
            Comparison::Le => value <= bound,
            Comparison::Gt => value > bound,
            Comparison::Ge => value >= bound,
        }
    }
}

fn in_network(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    let (ip, net, width) = match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => (u32::from(a) as u128, u32::from(b) as u128, 32u32),
        (IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(a), u128::from(b), 128u32),
        _ => return false,
    };
    let shift = width - u32::from(bits);
    let mask = if shift >= 128 { 0 } else { u128::MAX << shift };
    (ip & mask) == (net & mask)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::MessageAttribute;

    fn attrs(pairs: &[(&str, &str, &str)]) -> MessageAttributes {
        pairs
            .iter()
            .map(|(name, data_type, value)| {
                let value = AttributeValue::String(value.to_string());
                (name.to_string(), MessageAttribute { data_type: data_type.to_string(), value })
            })
            .collect()
    }

    fn passes(policy: &str, message: &MessageAttributes) -> bool {
        FilterPolicy::parse(policy, Scope::MessageAttributes).unwrap().matches(message, "")
    }

    #[test]
    fn exact_strings_and_and_semantics() {
        let m = attrs(&[("color", "String", "red"), ("size", "String", "L")]);
        assert!(passes(r#"{"color": ["red", "blue"]}"#, &m));
        assert!(!passes(r#"{"color": ["blue"]}"#, &m));
        assert!(passes(r#"{"color": ["red"], "size": ["L"]}"#, &m));
        assert!(!passes(r#"{"color": ["red"], "size": ["S"]}"#, &m));
        assert!(!passes(r#"{"shape": ["round"]}"#, &m));
    }

    #[test]
    fn anything_but_prefix_suffix_and_ignore_case() {
        let m = attrs(&[("color", "String", "Rouge")]);
        assert!(passes(r#"{"color": [{"anything-but": ["red", "blue"]}]}"#, &m));
        assert!(!passes(r#"{"color": [{"anything-but": "Rouge"}]}"#, &m));
        assert!(passes(r#"{"color": [{"anything-but": {"prefix": "Bl"}}]}"#, &m));
        assert!(!passes(r#"{"color": [{"anything-but": {"prefix": "Ro"}}]}"#, &m));
        assert!(passes(r#"{"color": [{"prefix": "Ro"}]}"#, &m));
        assert!(passes(r#"{"color": [{"suffix": "uge"}]}"#, &m));
        assert!(passes(r#"{"color": [{"equals-ignore-case": "ROUGE"}]}"#, &m));
        assert!(!passes(r#"{"missing": [{"anything-but": "x"}]}"#, &m));
    }

    #[test]
    fn numeric_ranges_and_exact_numbers() {
        let m = attrs(&[("price", "Number", "150.5")]);
        assert!(passes(r#"{"price": [{"numeric": [">", 100, "<=", 200]}]}"#, &m));
        assert!(!passes(r#"{"price": [{"numeric": ["<", 100]}]}"#, &m));
        assert!(passes(r#"{"price": [{"numeric": ["=", 150.5]}]}"#, &m));
        assert!(passes(r#"{"price": [150.5]}"#, &m));
        assert!(!passes(r#"{"price": ["150.5"]}"#, &m), "strings do not match Number attributes");
        assert!(passes(r#"{"price": [{"anything-but": [100]}]}"#, &m));
    }

    #[test]
    fn exists_and_string_arrays_and_or() {
        let m = attrs(&[("tags", "String.Array", r#"["a", "b", 3]"#)]);
        assert!(passes(r#"{"tags": [{"exists": true}]}"#, &m));
        assert!(passes(r#"{"other": [{"exists": false}]}"#, &m));
        assert!(!passes(r#"{"tags": [{"exists": false}]}"#, &m));
        assert!(passes(r#"{"tags": ["b"]}"#, &m));
        assert!(passes(r#"{"tags": [{"numeric": [">=", 3]}]}"#, &m));
        assert!(!passes(r#"{"tags": ["c"]}"#, &m));
        assert!(passes(r#"{"$or": [{"tags": ["c"]}, {"tags": ["a"]}]}"#, &m));
        assert!(!passes(r#"{"$or": [{"tags": ["c"]}, {"x": ["a"]}]}"#, &m));
    }

    #[test]
    fn cidr_matches_addresses_in_the_network() {
        let m = attrs(&[("ip", "String", "10.0.3.7")]);
        assert!(passes(r#"{"ip": [{"cidr": "10.0.0.0/16"}]}"#, &m));
        assert!(!passes(r#"{"ip": [{"cidr": "10.1.0.0/16"}]}"#, &m));
        assert!(passes(r#"{"ip": [{"cidr": "0.0.0.0/0"}]}"#, &m));
    }

    #[test]
    fn body_scope_nests_and_needs_json() {
        let policy = FilterPolicy::parse(
            r#"{"order": {"kind": ["book"], "price": [{"numeric": ["<", 20]}]}, "gift": [{"exists": false}]}"#,
            Scope::MessageBody,
        )
        .unwrap();
        let none = MessageAttributes::new();
        assert!(policy.matches(&none, r#"{"order": {"kind": "book", "price": 12}}"#));
        assert!(!policy.matches(&none, r#"{"order": {"kind": "book", "price": 25}}"#));
        assert!(!policy.matches(&none, r#"{"order": {"kind": "book", "price": 12}, "gift": true}"#));
        assert!(!policy.matches(&none, "not json"));
        let flags = FilterPolicy::parse(r#"{"ok": [true], "n": [null]}"#, Scope::MessageBody).unwrap();
        assert!(flags.matches(&none, r#"{"ok": true, "n": null}"#));
        assert!(!flags.matches(&none, r#"{"ok": false, "n": null}"#));
    }

    #[test]
    fn invalid_policies_are_refused_with_a_reason() {
        let err = |text: &str| FilterPolicy::parse(text, Scope::MessageAttributes).unwrap_err();
        assert!(err("[1]").contains("JSON object"));
        assert!(err(r#"{"a": "x"}"#).contains("object or an array"));
        assert!(err(r#"{"a": []}"#).contains("Empty arrays"));
        assert!(err(r#"{"a": [{"regex": "x"}]}"#).contains("Unrecognized match type regex"));
        assert!(err(r#"{"a": {"b": ["c"]}}"#).contains("nested"));
        assert!(err(r#"{"a": [{"numeric": ["<", 5, ">", 1]}]}"#).contains("numeric range"));
        assert!(err(r#"{"a":["x"],"b":["x"],"c":["x"],"d":["x"],"e":["x"],"f":["x"]}"#).contains("5 keys"));
        let many: Vec<String> = (0..13).map(|i| format!("\"v{i}\"")).collect();
        let list = many.join(",");
        assert!(err(&format!(r#"{{"a":[{list}],"b":[{list}]}}"#)).contains("too complex"));
    }
}
