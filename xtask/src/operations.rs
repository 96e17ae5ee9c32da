//! Service metadata, the operation table, the error table and the
//! per-operation marker types.

use crate::{names, Ctx};
use std::fmt::Write as _;

pub fn emit_metadata(ctx: &Ctx, out: &mut String) {
    let m = &ctx.model.metadata;
    let _ = writeln!(out, "/// The model this module was generated from.");
    let _ = writeln!(out, "pub const MODEL: &str = {:?};", ctx.model_path);
    let _ = writeln!(out, "/// `metadata.serviceId`.");
    let _ = writeln!(out, "pub const SERVICE_ID: &str = {:?};", m.service_id);
    let _ = writeln!(out, "/// `metadata.apiVersion`.");
    let _ = writeln!(out, "pub const API_VERSION: &str = {:?};", m.api_version);
    let _ = writeln!(out, "/// `metadata.protocol`.");
    let _ = writeln!(out, "pub const PROTOCOL: &str = {:?};", m.protocol);
    if let Some(t) = &m.target_prefix {
        let _ = writeln!(out, "/// `metadata.targetPrefix`: `X-Amz-Target` is `{t}.<Operation>`.");
        let _ = writeln!(out, "pub const TARGET_PREFIX: &str = {t:?};");
    }
    if let Some(v) = &m.json_version {
        let _ = writeln!(out, "/// `metadata.jsonVersion`: the content type is `application/x-amz-json-{v}`.");
        let _ = writeln!(out, "pub const JSON_VERSION: &str = {v:?};");
    }
    out.push('\n');
}

struct ErrorInfo {
    shape: String,
    variant: String,
    code: String,
    status: u16,
    fault: bool,
}

fn errors(ctx: &Ctx) -> Vec<ErrorInfo> {
    ctx.model
        .shapes
        .iter()
        .filter(|(_, s)| s.exception)
        .map(|(name, s)| {
            let err = s.error.as_ref();
            ErrorInfo {
                shape: name.to_string(),
                variant: names::shape_type_name(name),
                code: err.and_then(|e| e.code.clone()).unwrap_or_else(|| name.to_string()),
                // `error.httpStatusCode` when the model has it; otherwise
                // 500 for server faults and 400 for client errors.
                status: err.and_then(|e| e.http_status_code).unwrap_or(if s.fault { 500 } else { 400 }),
                fault: s.fault,
            }
        })
        .collect()
}

fn const_match<T>(out: &mut String, doc: &str, sig: &str, ty: &str, items: &[T], arm: impl Fn(&T) -> (String, String)) {
    let _ = writeln!(out, "    /// {doc}\n    pub const fn {sig} {{\n        match self {{");
    for item in items {
        let (variant, value) = arm(item);
        let _ = writeln!(out, "            {ty}::{variant} => {value},");
    }
    let _ = writeln!(out, "        }}\n    }}\n");
}

pub fn emit_operations(ctx: &Ctx, out: &mut String) {
    let errs = errors(ctx);
    let e = &ctx.error_enum;
    let o = &ctx.operation_enum;

    // ---- errors ----
    let _ = writeln!(
        out,
        "/// Every error shape of the service (the `exception` structures).\n#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]\npub enum {e} {{"
    );
    for err in &errs {
        let _ = writeln!(out, "    {},", err.variant);
    }
    let _ = writeln!(out, "}}\n\nimpl {e} {{");
    let all = errs.iter().map(|x| format!("{e}::{}", x.variant)).collect::<Vec<_>>().join(", ");
    let _ = writeln!(out, "    /// Every error, in model order.\n    pub const ALL: &'static [{e}] = &[{all}];\n");
    const_match(
        out,
        "The error code clients see (`__type` in awsJson).",
        "code(self) -> &'static str",
        e,
        &errs,
        |x| (x.variant.clone(), format!("{:?}", x.code)),
    );
    const_match(out, "The shape name in the model.", "shape_name(self) -> &'static str", e, &errs, |x| {
        (x.variant.clone(), format!("{:?}", x.shape))
    });
    const_match(
        out,
        "HTTP status: the model's `error.httpStatusCode`, else 500 for faults and 400 otherwise.",
        "http_status(self) -> u16",
        e,
        &errs,
        |x| (x.variant.clone(), x.status.to_string()),
    );
    const_match(out, "Whether the model marks it a server fault.", "is_fault(self) -> bool", e, &errs, |x| {
        (x.variant.clone(), x.fault.to_string())
    });
    let _ = writeln!(
        out,
        "    /// Looks an error up by its code.\n    pub fn from_code(code: &str) -> Option<Self> {{\n        match code {{"
    );
    // Two shapes can share a code (CloudWatch's ResourceNotFound); the first wins.
    let mut seen = std::collections::BTreeSet::new();
    for x in errs.iter().filter(|x| seen.insert(x.code.clone())) {
        let _ = writeln!(out, "            {:?} => Some({e}::{}),", x.code, x.variant);
    }
    let _ = writeln!(out, "            _ => None,\n        }}\n    }}\n}}\n");

    // ---- operations ----
    let ops: Vec<(&str, &crate::model::Operation)> = ctx.model.operations.iter().collect();
    let _ = writeln!(
        out,
        "/// Every operation of the service.\n#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]\npub enum {o} {{"
    );
    for (name, op) in &ops {
        if let Some(line) = op.documentation.as_deref().and_then(names::doc_line) {
            let _ = writeln!(out, "    /// {line}");
        }
        let _ = writeln!(out, "    {},", names::shape_type_name(name));
    }
    let _ = writeln!(out, "}}\n\nimpl {o} {{");
    let all = ops.iter().map(|(n, _)| format!("{o}::{}", names::shape_type_name(n))).collect::<Vec<_>>().join(", ");
    let _ = writeln!(out, "    /// Every operation, in model order.\n    pub const ALL: &'static [{o}] = &[{all}];\n");
    let v = |n: &&str| names::shape_type_name(n);
    const_match(
        out,
        "The operation name, e.g. in `X-Amz-Target`.",
        "name(self) -> &'static str",
        o,
        &ops,
        |(n, op)| (v(n), format!("{:?}", op.name)),
    );
    if let Some(prefix) = &ctx.model.metadata.target_prefix {
        const_match(out, "The `X-Amz-Target` header value.", "target(self) -> &'static str", o, &ops, |(n, op)| {
            (v(n), format!("{:?}", format!("{prefix}.{}", op.name)))
        });
        let _ = writeln!(
            out,
            "    /// Looks an operation up by its `X-Amz-Target` header value.\n    pub fn from_target(target: &str) -> Option<Self> {{\n        match target {{"
        );
        for (n, op) in &ops {
            let _ = writeln!(out, "            {:?} => Some({o}::{}),", format!("{prefix}.{}", op.name), v(n));
        }
        let _ = writeln!(out, "            _ => None,\n        }}\n    }}\n");
    }
    let _ = writeln!(
        out,
        "    /// Looks an operation up by name.\n    pub fn from_name(name: &str) -> Option<Self> {{\n        match name {{"
    );
    for (n, op) in &ops {
        let _ = writeln!(out, "            {:?} => Some({o}::{}),", op.name, v(n));
    }
    let _ = writeln!(out, "            _ => None,\n        }}\n    }}\n");
    const_match(
        out,
        "The input shape's name in the model.",
        "input_shape(self) -> Option<&'static str>",
        o,
        &ops,
        |(n, op)| (v(n), opt_str(op.input.as_ref().map(|r| r.shape.as_str()))),
    );
    const_match(
        out,
        "The output shape's name in the model.",
        "output_shape(self) -> Option<&'static str>",
        o,
        &ops,
        |(n, op)| (v(n), opt_str(op.output.as_ref().map(|r| r.shape.as_str()))),
    );
    const_match(out, "`http.method` in the model.", "http_method(self) -> &'static str", o, &ops, |(n, op)| {
        (v(n), format!("{:?}", op.http.method))
    });
    const_match(out, "`http.requestUri` in the model.", "request_uri(self) -> &'static str", o, &ops, |(n, op)| {
        (v(n), format!("{:?}", op.http.request_uri))
    });
    const_match(
        out,
        "The errors the model says it may return.",
        &format!("errors(self) -> &'static [{e}]"),
        o,
        &ops,
        |(n, op)| {
            let list = op
                .errors
                .iter()
                .map(|r| format!("{e}::{}", names::shape_type_name(&r.shape)))
                .collect::<Vec<_>>()
                .join(", ");
            (v(n), format!("&[{list}]"))
        },
    );
    let _ = writeln!(out, "}}\n");

    // ---- marker types ----
    let _ = writeln!(out, "/// One marker type per operation, tying it to its input and output types.\npub mod ops {{");
    for (n, op) in &ops {
        let input = op
            .input
            .as_ref()
            .map_or("crate::Unit".to_string(), |r| format!("super::{}", names::shape_type_name(&r.shape)));
        let output = op
            .output
            .as_ref()
            .map_or("crate::Unit".to_string(), |r| format!("super::{}", names::shape_type_name(&r.shape)));
        let t = v(n);
        let _ = writeln!(
            out,
            "    /// `{name}`\n    #[derive(Debug, Clone, Copy, Default)]\n    pub struct {t};\n\n    impl crate::OperationShape for {t} {{\n        type Operation = super::{o};\n        type Input = {input};\n        type Output = {output};\n        const OPERATION: super::{o} = super::{o}::{t};\n        const NAME: &'static str = {name:?};\n    }}\n",
            name = op.name
        );
    }
    let _ = writeln!(out, "}}\n");
}

fn opt_str(s: Option<&str>) -> String {
    match s {
        Some(s) => format!("Some({s:?})"),
        None => "None".into(),
    }
}
