//! `cargo xtask codegen`: turns the AWS service models vendored in
//! `models/` into Rust shapes, validation and operation tables in
//! `crates/aws-model/src/generated/`.
//!
//! The generator is split by concern:
//! * [`model`]: reading botocore's `service-2.json`;
//! * [`names`]: Rust identifiers and AWS member paths;
//! * [`shapes`]: structures, enums and their (de)serialization;
//! * [`constraints`]: the `Validate` impls and per-shape check functions;
//! * [`operations`]: the operation and error tables.
//!
//! Types and validation are protocol-neutral; the serde attributes and
//! `JsonDe` impls are emitted only for the awsJson protocols. Adding a
//! service is adding a line to [`SERVICES`] and its model to `models/`
//! (query/XML protocols will need their own codec emitters).

pub mod constraints;
pub mod model;
pub mod names;
pub mod operations;
pub mod shapes;

use model::Model;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A service the generator knows: the Rust module name and its model file
/// (relative to the workspace root).
pub struct Service {
    pub module: &'static str,
    pub model: &'static str,
}

/// Every service generated into `aws-model`.
pub const SERVICES: &[Service] = &[
    Service { module: "cloudwatch", model: "models/cloudwatch-2010-08-01.json" },
    Service { module: "firehose", model: "models/firehose-2015-08-04.json" },
    Service { module: "iam", model: "models/iam-2010-05-08.json" },
    Service { module: "kinesis", model: "models/kinesis-2013-12-02.json" },
    Service { module: "kms", model: "models/kms-2014-11-01.json" },
    Service { module: "logs", model: "models/logs-2014-03-28.json" },
    Service { module: "sns", model: "models/sns-2010-03-31.json" },
    Service { module: "sts", model: "models/sts-2011-06-15.json" },
];

/// The workspace root (this crate lives in `<root>/xtask`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask is inside the workspace").to_path_buf()
}

/// The default output directory.
pub fn default_out_dir() -> PathBuf {
    workspace_root().join("crates/aws-model/src/generated")
}

/// What the emitters share about one model.
pub struct Ctx<'m> {
    pub model: &'m Model,
    pub model_path: &'m str,
    /// Emit serde attributes and `JsonDe` impls (awsJson protocols).
    pub json: bool,
    /// Shapes reachable from an operation input: their structures decode
    /// with every member optional so that a missing required member is a
    /// validation error, not a decode error.
    pub input_shapes: BTreeSet<String>,
    /// Regex statics, by pattern, in first-use order.
    pub patterns: BTreeMap<String, String>,
    /// Name of the generated operation enum and error enum.
    pub operation_enum: String,
    pub error_enum: String,
}

impl<'m> Ctx<'m> {
    pub fn new(model: &'m Model, model_path: &'m str) -> Self {
        let mut input_shapes = BTreeSet::new();
        for (_, op) in model.operations.iter() {
            if let Some(input) = &op.input {
                collect_reachable(model, &input.shape, &mut input_shapes);
            }
        }
        // Only structures and enums become Rust types.
        let taken = |n: &str| {
            model
                .shapes
                .iter()
                .any(|(name, s)| names::shape_type_name(name) == n && (s.ty == "structure" || s.enum_values.is_some()))
        };
        let pick = |base: &str| {
            if taken(base) {
                format!("{}{base}", names::type_name(&model.metadata.service_id))
            } else {
                base.to_string()
            }
        };
        let mut patterns = BTreeMap::new();
        for (name, shape) in model.shapes.iter() {
            if let Some(p) = &shape.pattern {
                if !patterns.contains_key(p) {
                    patterns.insert(p.clone(), format!("RE_{}", names::const_name(name)));
                }
            }
        }
        Ctx {
            model,
            model_path,
            json: true,
            input_shapes,
            patterns,
            operation_enum: pick("Operation"),
            error_enum: pick("ErrorCode"),
        }
    }

    /// The Rust type of a shape when used as a member.
    pub fn rust_type(&self, shape_name: &str) -> String {
        let shape = self.model.shape(shape_name);
        match shape.ty.as_str() {
            "string" if shape.enum_values.is_some() => names::shape_type_name(shape_name),
            "string" => "String".into(),
            "integer" => "i32".into(),
            "long" => "i64".into(),
            "boolean" => "bool".into(),
            "double" | "float" => "f64".into(),
            "blob" => "crate::Blob".into(),
            "timestamp" => "crate::Timestamp".into(),
            "list" => format!("Vec<{}>", self.rust_type(&list_member(shape_name, shape).shape)),
            "map" => {
                let value = shape.value.as_ref().unwrap_or_else(|| panic!("map {shape_name} has no value"));
                format!("std::collections::BTreeMap<String, {}>", self.rust_type(&value.shape))
            }
            "structure" => names::shape_type_name(shape_name),
            other => panic!("shape {shape_name}: type {other} is not supported yet"),
        }
    }

    /// Whether a structure member must be boxed to break a cycle of
    /// directly nested structures.
    pub fn needs_box(&self, owner: &str, member_shape: &str) -> bool {
        let mut seen = BTreeSet::new();
        let mut stack = vec![member_shape.to_string()];
        while let Some(s) = stack.pop() {
            let shape = self.model.shape(&s);
            if shape.ty != "structure" || !seen.insert(s.clone()) {
                continue;
            }
            if s == owner {
                return true;
            }
            for (_, m) in shape.members.iter() {
                stack.push(m.shape.clone());
            }
        }
        false
    }

    /// Whether members of this structure are all `Option` in Rust.
    pub fn all_optional(&self, struct_name: &str) -> bool {
        self.input_shapes.contains(struct_name)
    }
}

pub fn list_member<'a>(name: &str, shape: &'a model::Shape) -> &'a model::ShapeRef {
    shape.member.as_ref().unwrap_or_else(|| panic!("list {name} has no member"))
}

fn collect_reachable(model: &Model, name: &str, out: &mut BTreeSet<String>) {
    if !out.insert(name.to_string()) {
        return;
    }
    let shape = model.shape(name);
    let mut next: Vec<&str> = shape.members.iter().map(|(_, m)| m.shape.as_str()).collect();
    for r in [&shape.member, &shape.key, &shape.value].into_iter().flatten() {
        next.push(&r.shape);
    }
    for n in next {
        collect_reachable(model, n, out);
    }
}

/// Generates the (formatted) Rust module for one service.
pub fn generate_service(root: &Path, service: &Service) -> Result<String, String> {
    let model = Model::load(&root.join(service.model))?;
    let ctx = Ctx::new(&model, service.model);
    let mut out = String::new();
    let _ = writeln!(out, "// @generated by `cargo xtask codegen` from {}. Do not edit by hand.", service.model);
    let _ = writeln!(
        out,
        "//! {} ({}, API version {}, protocol {}).\n",
        model.metadata.service_id, service.module, model.metadata.api_version, model.metadata.protocol
    );
    operations::emit_metadata(&ctx, &mut out);
    constraints::emit_patterns(&ctx, &mut out);
    shapes::emit_shapes(&ctx, &mut out);
    constraints::emit_checks(&ctx, &mut out);
    operations::emit_operations(&ctx, &mut out);
    constraints::emit_pattern_test(&ctx, &mut out);
    rustfmt(&out)
}

/// The `generated/mod.rs` listing every service.
pub fn generate_mod() -> Result<String, String> {
    let mut out = String::from("// @generated by `cargo xtask codegen`. Do not edit by hand.\n\n");
    for s in SERVICES {
        let _ = writeln!(out, "pub mod {};", s.module);
    }
    rustfmt(&out)
}

/// Every generated file: (file name, contents).
pub fn generate_all(root: &Path) -> Result<Vec<(String, String)>, String> {
    let mut files = vec![("mod.rs".to_string(), generate_mod()?)];
    for s in SERVICES {
        files.push((format!("{}.rs", s.module), generate_service(root, s)?));
    }
    Ok(files)
}

/// Writes every generated file into `out_dir`.
pub fn codegen(root: &Path, out_dir: &Path) -> Result<Vec<PathBuf>, String> {
    std::fs::create_dir_all(out_dir).map_err(|e| format!("{}: {e}", out_dir.display()))?;
    let mut written = Vec::new();
    for (name, text) in generate_all(root)? {
        let path = out_dir.join(name);
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

/// Formats Rust source with `rustfmt --edition 2021` (stdin to stdout).
pub fn rustfmt(source: &str) -> Result<String, String> {
    let rustfmt = std::env::var("RUSTFMT").unwrap_or_else(|_| "rustfmt".to_string());
    let mut child = Command::new(&rustfmt)
        .args(["--edition", "2021", "--emit", "stdout", "--quiet"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("running {rustfmt}: {e}"))?;
    let mut stdin = child.stdin.take().expect("piped stdin");
    let input = source.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().map_err(|e| format!("running {rustfmt}: {e}"))?;
    writer
        .join()
        .map_err(|_| "rustfmt writer panicked".to_string())?
        .map_err(|e| format!("writing to {rustfmt}: {e}"))?;
    if !output.status.success() {
        return Err(format!("{rustfmt} failed: {}", String::from_utf8_lossy(&output.stderr)));
    }
    String::from_utf8(output.stdout).map_err(|e| format!("{rustfmt} output: {e}"))
}
