//! Validation: a `Validate` impl per structure and a `check_*` function per
//! constrained list / map / scalar shape, all producing AWS's wording.
//!
//! Order of reports (what AWS shows, where known): members in model order;
//! within a member: null, enum, pattern, length, value range (AWS reports
//! the pattern before "length greater than or equal to 1" for an empty
//! stream name); list length before the items.

use crate::model::Shape;
use crate::shapes::Field;
use crate::{list_member, names, Ctx};
use std::fmt::Write as _;

/// `10` for 10.0, `1.5` for 1.5.
fn number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e18 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

fn check_fn(shape_name: &str) -> String {
    format!("check_{}", names::field_name(shape_name).trim_start_matches("r#"))
}

/// Whether values of this shape have anything to check. Structures always
/// do (their `validate_members`).
pub fn needs_check(ctx: &Ctx, shape_name: &str) -> bool {
    let shape = ctx.model.shape(shape_name);
    match shape.ty.as_str() {
        "structure" => true,
        "list" => shape.min.is_some() || shape.max.is_some() || needs_check(ctx, &list_member(shape_name, shape).shape),
        "map" => {
            shape.min.is_some()
                || shape.max.is_some()
                || shape.key.as_ref().is_some_and(|k| needs_check(ctx, &k.shape))
                || shape.value.as_ref().is_some_and(|v| needs_check(ctx, &v.shape))
        }
        _ => has_scalar_constraints(shape),
    }
}

fn has_scalar_constraints(shape: &Shape) -> bool {
    shape.min.is_some() || shape.max.is_some() || shape.pattern.is_some() || shape.enum_values.is_some()
}

fn is_length_shape(shape: &Shape) -> bool {
    matches!(shape.ty.as_str(), "string" | "blob" | "list" | "map")
}

fn enum_message(values: &[String]) -> String {
    format!("Member must satisfy enum value set: [{}]", values.join(", "))
}

/// The constraint messages of a shape, in the order AWS lists them inside
/// "Member must satisfy constraint: [...]". Known: length max before length
/// min. GUESS: the rest.
fn describe(ctx: &Ctx, shape_name: &str) -> Vec<String> {
    let shape = ctx.model.shape(shape_name);
    let mut out = Vec::new();
    let (word, lt, gt) = if is_length_shape(shape) {
        ("length", "less than", "greater than")
    } else {
        ("value", "less than", "greater than")
    };
    if let Some(max) = shape.max {
        out.push(format!("Member must have {word} {lt} or equal to {}", number(max)));
    }
    if let Some(min) = shape.min {
        out.push(format!("Member must have {word} {gt} or equal to {}", number(min)));
    }
    if let Some(p) = &shape.pattern {
        out.push(format!("Member must satisfy regular expression pattern: {p}"));
    }
    if let Some(values) = &shape.enum_values {
        out.push(enum_message(values));
    }
    if shape.ty == "list" {
        let item = &list_member(shape_name, shape).shape;
        if needs_check(ctx, item) && ctx.model.shape(item).ty != "structure" {
            out.push(bracket("Member must satisfy constraint", &describe(ctx, item)));
        }
    }
    out
}

fn bracket(head: &str, parts: &[String]) -> String {
    format!("{head}: [{}]", parts.join(", "))
}

/// Translates a model (Java) regular expression to the `regex` crate's
/// syntax, anchored for a whole-value match as Java's `matches()` does.
/// Java's `\d \s \w` are ASCII-only, the `regex` crate's are Unicode-aware,
/// so they become explicit ASCII classes; `\uXXXX` becomes `\x{XXXX}`.
///
/// Panics on look-around (which the `regex` crate lacks); see
/// [`translate_full`] for the patterns that have some.
pub fn translate_pattern(java: &str) -> String {
    assert!(!has_lookaround(java), "pattern {java:?} has look-around; use translate_full");
    format!("^(?:{})$", translate_escapes(java))
}

/// A model pattern as the `regex` crate runs it: a value conforms when it
/// matches `accept` and none of `reject`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Translated {
    pub accept: String,
    pub reject: Vec<String>,
}

/// Look-arounds inside a pattern, rewritten to plain regular expressions
/// with the same language (Java fragment, replacement in Java syntax).
/// The third element, when present, is a pattern whose match at the start
/// rejects the value (a look-ahead that applies anywhere in the value).
const LOOKAROUND_REWRITES: &[(&str, &str, Option<&str>)] = &[
    // A DNS label: 1-63 characters, no leading or trailing hyphen
    // (Firehose's Redshift/JDBC URL).
    ("(?!-)[A-Za-z0-9-]{1,63}(?<!-)", "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?", None),
    // IAM's organization path components: no two hyphens in a row.
    ("([a-z0-9]|-(?!-)){1,61}", "[a-z0-9-]{1,61}", Some(".*--")),
];

fn has_lookaround(p: &str) -> bool {
    ["(?=", "(?!", "(?<=", "(?<!"].iter().any(|t| p.contains(t))
}

/// The index of the `)` closing the group that opens at `open`.
fn group_end(p: &str, open: usize) -> Option<usize> {
    let bytes = p.as_bytes();
    let (mut depth, mut class, mut i) = (0usize, false, open);
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b'[' if !class => class = true,
            b']' if class => class = false,
            b'(' if !class => depth += 1,
            b')' if !class => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// [`translate_pattern`], plus look-around: known fragments are rewritten
/// ([`LOOKAROUND_REWRITES`]) and negative look-aheads at the start,
/// `^(?!X)Y`, become "matches `Y` and does not match `X` at the start".
/// Any other look-around is refused, naming the pattern.
pub fn translate_full(java: &str) -> Result<Translated, String> {
    let mut p = java.to_string();
    let mut reject = Vec::new();
    for (from, to, rejects) in LOOKAROUND_REWRITES {
        if p.contains(from) {
            p = p.replace(from, to);
            reject.extend(rejects.map(|r| format!("^(?:{r})")));
        }
    }
    let caret = p.starts_with('^');
    let mut rest = p.trim_start_matches('^').to_string();
    while rest.starts_with("(?!") {
        let end = group_end(&rest, 0).ok_or_else(|| format!("unbalanced pattern {java:?}"))?;
        reject.push(format!("^(?:{})", translate_escapes(&rest[3..end])));
        rest = rest[end + 1..].to_string();
    }
    let p = if caret { format!("^{rest}") } else { rest };
    if has_lookaround(&p) || reject.iter().any(|r| has_lookaround(r)) {
        return Err(format!("pattern {java:?}: look-around the regex crate cannot run; add a rewrite"));
    }
    Ok(Translated { accept: format!("^(?:{})$", translate_escapes(&p)), reject })
}

fn translate_escapes(java: &str) -> String {
    let mut out = String::with_capacity(java.len() + 8);
    let mut chars = java.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('d') => out.push_str("[0-9]"),
            Some('D') => out.push_str("[^0-9]"),
            Some('w') => out.push_str("[a-zA-Z0-9_]"),
            Some('W') => out.push_str("[^a-zA-Z0-9_]"),
            Some('s') => out.push_str("[ \\t\\n\\x0B\\f\\r]"),
            Some('S') => out.push_str("[^ \\t\\n\\x0B\\f\\r]"),
            Some('u') => {
                let hex: String = (0..4).filter_map(|_| chars.next()).collect();
                let _ = write!(out, "\\x{{{hex}}}");
            }
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

pub fn emit_patterns(ctx: &Ctx, out: &mut String) {
    if ctx.patterns.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "// Model patterns, anchored (whole-value match) and with Java's ASCII-only\n// \\d \\s \\w spelled out; compiled once."
    );
    for (pattern, name) in &ctx.patterns {
        let _ = writeln!(out, "/// `{pattern}`");
        let t = translate_full(pattern).unwrap_or_else(|e| panic!("{}: {e}", ctx.model_path));
        if t.reject.is_empty() {
            let _ = writeln!(
                out,
                "static {name}: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {{\n    regex::Regex::new({:?}).expect(\"model pattern compiles\")\n}});\n",
                t.accept
            );
        } else {
            let reject = t.reject.iter().map(|r| format!("{r:?}")).collect::<Vec<_>>().join(", ");
            let _ = writeln!(
                out,
                "static {name}: std::sync::LazyLock<crate::validate::Pattern> = std::sync::LazyLock::new(|| {{\n    crate::validate::Pattern::new({:?}, &[{reject}])\n}});\n",
                t.accept
            );
        }
    }
}

pub fn emit_pattern_test(ctx: &Ctx, out: &mut String) {
    if ctx.patterns.is_empty() {
        return;
    }
    let _ = writeln!(out, "#[cfg(test)]\nmod tests {{\n    #[test]\n    fn patterns_compile() {{");
    for name in ctx.patterns.values() {
        let _ = writeln!(out, "        std::sync::LazyLock::force(&super::{name});");
    }
    let _ = writeln!(out, "    }}\n}}");
}

/// The call that checks `x` (a reference to a value of `shape_name`).
fn check_call(ctx: &Ctx, shape_name: &str, x: &str) -> String {
    if ctx.model.shape(shape_name).ty == "structure" {
        format!("crate::Validate::validate_members({x}, v);")
    } else {
        format!("{}(v, {x});", check_fn(shape_name))
    }
}

/// Whether `check_*` takes `&str` / `&[T]` rather than the owned type.
fn param_type(ctx: &Ctx, shape_name: &str) -> String {
    let shape = ctx.model.shape(shape_name);
    match shape.ty.as_str() {
        "string" if shape.enum_values.is_none() => "str".into(),
        "list" => format!("[{}]", ctx.rust_type(&list_member(shape_name, shape).shape)),
        _ => ctx.rust_type(shape_name),
    }
}

/// An expression borrowing an item as the parameter type of its check fn.
fn as_param(ctx: &Ctx, shape_name: &str, x: &str) -> String {
    let shape = ctx.model.shape(shape_name);
    match shape.ty.as_str() {
        "string" if shape.enum_values.is_none() => format!("{x}.as_str()"),
        "list" => format!("{x}.as_slice()"),
        _ => x.to_string(),
    }
}

pub fn emit_validate_impl(ctx: &Ctx, struct_name: &str, ty: &str, fields: &[Field], out: &mut String) {
    let _ = writeln!(out, "impl crate::Validate for {ty} {{");
    let body: Vec<String> = fields.iter().filter_map(|f| member_check(ctx, struct_name, f)).collect();
    if body.is_empty() {
        let _ = writeln!(out, "    fn validate_members(&self, _v: &mut crate::validate::Validator) {{}}\n}}\n");
        return;
    }
    let _ = writeln!(out, "    fn validate_members(&self, v: &mut crate::validate::Validator) {{");
    for b in body {
        out.push_str(&b);
    }
    let _ = writeln!(out, "    }}\n}}\n");
}

fn member_check(ctx: &Ctx, _struct_name: &str, f: &Field) -> Option<String> {
    let check = needs_check(ctx, f.shape);
    let path = names::member_path(f.member);
    let mut s = String::new();
    if !f.optional {
        if !check {
            return None;
        }
        let _ = writeln!(
            s,
            "        let x = &self.{};\n        v.enter({path:?});\n        {}\n        v.leave();",
            f.rust,
            check_call(ctx, f.shape, "x")
        );
    } else if f.required {
        let some = if check { check_call(ctx, f.shape, "x") } else { "{}".to_string() };
        let null = if ctx.model.shape(f.shape).sensitive { "null_sensitive" } else { "null" };
        let binding = if check { "Some(x)" } else { "Some(_)" };
        let _ = writeln!(
            s,
            "        v.enter({path:?});\n        match &self.{} {{\n            {binding} => {{ {some} }}\n            None => v.{null}(),\n        }}\n        v.leave();",
            f.rust
        );
    } else {
        if !check {
            return None;
        }
        let _ = writeln!(
            s,
            "        if let Some(x) = &self.{} {{\n            v.enter({path:?});\n            {}\n            v.leave();\n        }}",
            f.rust,
            check_call(ctx, f.shape, "x")
        );
    }
    Some(s)
}

/// `check_*` functions for every constrained non-structure shape.
pub fn emit_checks(ctx: &Ctx, out: &mut String) {
    for (name, shape) in ctx.model.shapes.iter() {
        if shape.ty == "structure" || !needs_check(ctx, name) {
            continue;
        }
        let _ = writeln!(
            out,
            "fn {}(v: &mut crate::validate::Validator, x: &{}) {{",
            check_fn(name),
            param_type(ctx, name)
        );
        let mut body = String::new();
        match shape.ty.as_str() {
            "list" => emit_list_body(ctx, name, shape, &mut body),
            "map" => emit_map_body(ctx, name, shape, &mut body),
            _ => emit_scalar_body(ctx, shape, &mut body),
        }
        if shape.sensitive {
            // Every report of this shape's value leaves the value out.
            body = body.replace("v.fail(x, ", "v.fail_sensitive(x, ");
        }
        out.push_str(&body);
        let _ = writeln!(out, "}}\n");
    }
}

fn fail(out: &mut String, cond: &str, message: &str) {
    let _ = writeln!(out, "    if {cond} {{\n        v.fail(x, {message:?});\n    }}");
}

/// Length (for strings, blobs, lists, maps) or value range checks.
fn emit_bounds(shape: &Shape, len_expr: Option<&str>, value_type: &str, out: &mut String) {
    match len_expr {
        Some(len) => {
            if let Some(min) = shape.min {
                let msg = format!("Member must have length greater than or equal to {}", number(min));
                if min == 1.0 {
                    let empty = len.replace(".chars().count()", ".is_empty()").replace(".len()", ".is_empty()");
                    fail(out, &empty, &msg);
                } else if min > 0.0 {
                    fail(out, &format!("{len} < {}", number(min)), &msg);
                }
            }
            if let Some(max) = shape.max {
                let msg = format!("Member must have length less than or equal to {}", number(max));
                fail(out, &format!("{len} > {}", number(max)), &msg);
            }
        }
        None => {
            let (lo, hi) = match value_type {
                "i32" => (f64::from(i32::MIN), f64::from(i32::MAX)),
                "i64" => (i64::MIN as f64, i64::MAX as f64),
                _ => (f64::MIN, f64::MAX),
            };
            let lit = |n: f64| {
                if value_type == "f64" {
                    format!("{n:?}")
                } else {
                    number(n)
                }
            };
            if let Some(min) = shape.min.filter(|&m| m > lo) {
                let msg = format!("Member must have value greater than or equal to {}", number(min));
                fail(out, &format!("*x < {}", lit(min)), &msg);
            }
            if let Some(max) = shape.max.filter(|&m| m < hi) {
                let msg = format!("Member must have value less than or equal to {}", number(max));
                fail(out, &format!("*x > {}", lit(max)), &msg);
            }
        }
    }
}

fn emit_scalar_body(ctx: &Ctx, shape: &Shape, out: &mut String) {
    if let Some(values) = &shape.enum_values {
        fail(out, "!x.is_known()", &enum_message(values));
    }
    if let Some(p) = &shape.pattern {
        let re = &ctx.patterns[p];
        let target = if shape.enum_values.is_some() { "x.as_str()" } else { "x" };
        fail(
            out,
            &format!("!{re}.is_match({target})"),
            &format!("Member must satisfy regular expression pattern: {p}"),
        );
    }
    match shape.ty.as_str() {
        "string" if shape.enum_values.is_some() => emit_bounds(shape, Some("x.as_str().chars().count()"), "", out),
        "string" => emit_bounds(shape, Some("x.chars().count()"), "", out),
        "blob" => emit_bounds(shape, Some("x.len()"), "", out),
        "integer" => emit_bounds(shape, None, "i32", out),
        "long" => emit_bounds(shape, None, "i64", out),
        "double" | "float" => emit_bounds(shape, None, "f64", out),
        // booleans / timestamps carry no constraints in the models.
        _ => {}
    }
}

fn emit_list_body(ctx: &Ctx, name: &str, shape: &Shape, out: &mut String) {
    emit_bounds(shape, Some("x.len()"), "", out);
    let item = &list_member(name, shape).shape;
    if !needs_check(ctx, item) {
        return;
    }
    if ctx.model.shape(item).ty == "structure" {
        let _ = writeln!(
            out,
            "    for (i, item) in x.iter().enumerate() {{\n        v.enter_index(i);\n        crate::Validate::validate_members(item, v);\n        v.leave();\n    }}"
        );
    } else {
        let msg = bracket("Member must satisfy constraint", &describe(ctx, item));
        let cond = format!(
            "x.iter().any(|item| crate::validate::invalid({}, {}))",
            as_param(ctx, item, "item"),
            check_fn(item)
        );
        fail(out, &cond, &msg);
    }
}

fn emit_map_body(ctx: &Ctx, name: &str, shape: &Shape, out: &mut String) {
    emit_bounds(shape, Some("x.len()"), "", out);
    if let Some(key) = shape.key.as_ref().filter(|k| needs_check(ctx, &k.shape)) {
        let key_shape = ctx.model.shape(&key.shape);
        let arg = if key_shape.enum_values.is_some() {
            format!("&{}::from(k.as_str())", ctx.rust_type(&key.shape))
        } else {
            "k.as_str()".to_string()
        };
        let msg = bracket("Map keys must satisfy constraint", &describe(ctx, &key.shape));
        let cond = format!("x.keys().any(|k| crate::validate::invalid({arg}, {}))", check_fn(&key.shape));
        fail(out, &cond, &msg);
    }
    let value = shape.value.as_ref().unwrap_or_else(|| panic!("map {name} has no value"));
    if !needs_check(ctx, &value.shape) {
        return;
    }
    if ctx.model.shape(&value.shape).ty == "structure" {
        let _ = writeln!(
            out,
            "    for (k, item) in x {{\n        v.enter_key(k);\n        crate::Validate::validate_members(item, v);\n        v.leave();\n    }}"
        );
    } else {
        let msg = bracket("Map value must satisfy constraint", &describe(ctx, &value.shape));
        let cond = format!(
            "x.values().any(|item| crate::validate::invalid({}, {}))",
            as_param(ctx, &value.shape, "item"),
            check_fn(&value.shape)
        );
        fail(out, &cond, &msg);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_patterns() {
        assert_eq!(translate_pattern("[a-z]\\d+"), "^(?:[a-z][0-9]+)$");
        let t = translate_full("[a-z]+").unwrap();
        assert_eq!(t, Translated { accept: "^(?:[a-z]+)$".into(), reject: vec![] });
    }

    #[test]
    fn leading_negative_lookahead() {
        let t = translate_full("^(?!aws:)[a-z:]*$").unwrap();
        assert_eq!(t.accept, "^(?:^[a-z:]*$)$");
        assert_eq!(t.reject, vec!["^(?:aws:)".to_string()]);
        let t = translate_full("^(?!\\s*$).+").unwrap();
        assert_eq!(t.reject, vec!["^(?:[ \\t\\n\\x0B\\f\\r]*$)".to_string()]);
    }

    #[test]
    fn rewritten_and_refused_lookaround() {
        let t = translate_full("((?!-)[A-Za-z0-9-]{1,63}(?<!-)\\.)+").unwrap();
        assert!(t.reject.is_empty());
        assert!(!t.accept.contains("(?!") && !t.accept.contains("(?<!"));
        assert!(translate_full("a(?=b)").is_err());
        assert!(translate_full("(?<!x)y").is_err());
    }
}
