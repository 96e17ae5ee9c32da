//! Structures and string enums, with their serde / `JsonDe` / `Render`
//! impls.

use crate::{names, Ctx};
use std::fmt::Write as _;

fn doc(out: &mut String, text: Option<&String>) {
    if let Some(line) = text.and_then(|t| names::doc_line(t)) {
        let _ = writeln!(out, "/// {line}");
    }
}

pub fn emit_shapes(ctx: &Ctx, out: &mut String) {
    for (name, shape) in ctx.model.shapes.iter() {
        match shape.ty.as_str() {
            "string" if shape.enum_values.is_some() => emit_enum(ctx, name, out),
            "structure" => emit_struct(ctx, name, out),
            _ => {}
        }
    }
}

fn emit_enum(ctx: &Ctx, name: &str, out: &mut String) {
    let shape = ctx.model.shape(name);
    let values = shape.enum_values.as_deref().unwrap_or_default();
    let ty = names::shape_type_name(name);
    // Variant names, made unique and kept clear of `Unknown`.
    let mut variants: Vec<String> = Vec::new();
    for v in values {
        let mut base = names::type_name(v);
        if base == "Unknown" {
            base = "UnknownValue".into();
        }
        let mut candidate = base.clone();
        let mut n = 2;
        while variants.contains(&candidate) {
            candidate = format!("{base}{n}");
            n += 1;
        }
        variants.push(candidate);
    }

    doc(out, shape.documentation.as_ref());
    let _ = writeln!(out, "///\n/// Values outside the model are kept in `Unknown` and rejected by validation.");
    let _ = writeln!(out, "#[derive(Debug, Clone, PartialEq, Eq, Hash)]");
    let _ = writeln!(out, "pub enum {ty} {{");
    for (v, raw) in variants.iter().zip(values) {
        let _ = writeln!(out, "    /// `{raw}`\n    {v},");
    }
    let _ = writeln!(out, "    /// A value the model does not list.\n    Unknown(String),\n}}\n");

    let _ = writeln!(out, "impl {ty} {{");
    let _ = writeln!(out, "    /// Every value the model lists, in model order.");
    let list = values.iter().map(|v| format!("{v:?}")).collect::<Vec<_>>().join(", ");
    let _ = writeln!(out, "    pub const VALUES: &'static [&'static str] = &[{list}];\n");
    let _ = writeln!(out, "    /// The wire value.\n    pub fn as_str(&self) -> &str {{\n        match self {{");
    for (v, raw) in variants.iter().zip(values) {
        let _ = writeln!(out, "            {ty}::{v} => {raw:?},");
    }
    let _ = writeln!(out, "            {ty}::Unknown(s) => s,\n        }}\n    }}\n");
    let _ = writeln!(
        out,
        "    /// Whether the value is one the model lists.\n    pub fn is_known(&self) -> bool {{\n        !matches!(self, {ty}::Unknown(_))\n    }}\n}}\n"
    );
    let _ = writeln!(out, "impl From<&str> for {ty} {{\n    fn from(s: &str) -> Self {{\n        match s {{");
    for (v, raw) in variants.iter().zip(values) {
        let _ = writeln!(out, "            {raw:?} => {ty}::{v},");
    }
    let _ = writeln!(out, "            other => {ty}::Unknown(other.to_owned()),\n        }}\n    }}\n}}\n");
    let _ = writeln!(
        out,
        "impl std::fmt::Display for {ty} {{\n    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {{\n        f.write_str(self.as_str())\n    }}\n}}\n"
    );
    let _ = writeln!(
        out,
        "impl crate::validate::Render for {ty} {{\n    fn render(&self, out: &mut String) {{\n        out.push_str(self.as_str());\n    }}\n}}\n"
    );
    let _ = writeln!(
        out,
        "impl serde::Serialize for {ty} {{\n    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {{\n        s.serialize_str(self.as_str())\n    }}\n}}\n"
    );
    if ctx.json {
        let _ = writeln!(
            out,
            "impl crate::JsonDe for {ty} {{\n    fn de<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {{\n        crate::json::de_enum(d)\n    }}\n}}\n"
        );
    }
}

/// One structure member as the emitters see it.
pub struct Field<'a> {
    /// Name in the model (and on the wire, unless `wire` differs).
    pub member: &'a str,
    pub wire: &'a str,
    pub shape: &'a str,
    pub rust: String,
    pub ty: String,
    pub optional: bool,
    pub required: bool,
}

pub fn fields<'a>(ctx: &'a Ctx, struct_name: &str) -> Vec<Field<'a>> {
    let shape = ctx.model.shape(struct_name);
    let all_optional = ctx.all_optional(struct_name);
    let mut used: Vec<String> = Vec::new();
    shape
        .members
        .iter()
        .map(|(member, m)| {
            let required = shape.required.iter().any(|r| r == member);
            let optional = all_optional || !required;
            let mut inner = ctx.rust_type(&m.shape);
            if ctx.needs_box(struct_name, &m.shape) {
                inner = format!("Box<{inner}>");
            }
            let ty = if optional { format!("Option<{inner}>") } else { inner };
            let mut rust = names::field_name(member);
            while used.contains(&rust) {
                rust.push('_');
            }
            used.push(rust.clone());
            Field {
                member,
                wire: m.location_name.as_deref().unwrap_or(member),
                shape: &m.shape,
                rust,
                ty,
                optional,
                required,
            }
        })
        .collect()
}

fn emit_struct(ctx: &Ctx, name: &str, out: &mut String) {
    let shape = ctx.model.shape(name);
    let ty = names::shape_type_name(name);
    let fields = fields(ctx, name);
    let all_optional = fields.iter().all(|f| f.optional);

    doc(out, shape.documentation.as_ref());
    if shape.eventstream {
        let _ = writeln!(out, "///\n/// An event stream: each member is one kind of event.");
    }
    if shape.union {
        let _ = writeln!(out, "///\n/// A union: exactly one member is set.");
    }
    if shape.exception {
        let _ = writeln!(out, "///\n/// An error shape; see [`{}`].", ctx.error_enum);
    }
    let mut derives = vec!["Debug", "Clone", "PartialEq"];
    if all_optional {
        derives.push("Default");
    }
    derives.push("serde::Serialize");
    if ctx.json {
        derives.push("serde::Deserialize");
    }
    let _ = writeln!(out, "#[derive({})]", derives.join(", "));
    let _ = writeln!(out, "pub struct {ty} {{");
    for f in &fields {
        doc(out, shape.members.get(f.member).and_then(|m| m.documentation.as_ref()));
        let mut attrs = vec![format!("rename = {:?}", f.wire)];
        if f.optional {
            attrs.push("skip_serializing_if = \"Option::is_none\"".into());
        }
        if ctx.json {
            if f.optional {
                attrs.push("default".into());
                attrs.push("deserialize_with = \"crate::json::de_opt\"".into());
            } else {
                attrs.push("deserialize_with = \"crate::json::de_req\"".into());
            }
        }
        let _ = writeln!(out, "    #[serde({})]", attrs.join(", "));
        let _ = writeln!(out, "    pub {}: {},", f.rust, f.ty);
    }
    let _ = writeln!(out, "}}\n");

    if ctx.json {
        let _ = writeln!(
            out,
            "impl crate::JsonDe for {ty} {{\n    fn de<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {{\n        crate::json::de_struct(d)\n    }}\n}}\n"
        );
    }

    let _ = writeln!(out, "impl crate::validate::Render for {ty} {{");
    if fields.is_empty() {
        let _ =
            writeln!(out, "    fn render(&self, out: &mut String) {{\n        out.push_str(\"{{}}\");\n    }}\n}}\n");
    } else {
        let _ = writeln!(
            out,
            "    fn render(&self, out: &mut String) {{\n        let mut r = crate::validate::StructRender::new(out);"
        );
        for f in &fields {
            let method = if f.optional { "opt_field" } else { "field" };
            let _ = writeln!(out, "        r.{method}({:?}, &self.{});", f.member, f.rust);
        }
        let _ = writeln!(out, "        r.finish();\n    }}\n}}\n");
    }

    crate::constraints::emit_validate_impl(ctx, name, &ty, &fields, out);
}
