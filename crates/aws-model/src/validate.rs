//! Constraint validation with AWS's (Coral's) wording.
//!
//! A failed validation answers `ValidationException` with a message like
//!
//! ```text
//! 2 validation errors detected: Value null at 'records' failed to satisfy
//! constraint: Member must not be null; Value 'a b' at 'streamName' failed to
//! satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+
//! ```
//!
//! Facts this follows (from real Kinesis responses quoted in public issue
//! threads and kinesalite's recordings of AWS):
//! * "N validation error(s) detected: " then the violations joined by "; ";
//! * each is "Value {v} at '{path}' failed to satisfy constraint: {c}" with
//!   `{v}` either `null` or the value in single quotes;
//! * member paths use the member name with its first letter lower-cased
//!   (`streamName`, `streamARN`); a list item is `name.N.member` with N
//!   1-based, so a nested member is `records.1.member.partitionKey`
//!   (verified: "Value '' at 'records.1.member.partitionKey' failed to
//!   satisfy constraint: Member must have length greater than or equal to 1");
//! * a blob value renders as `java.nio.HeapByteBuffer[pos=0 lim=N cap=N]`,
//!   a list as `[a, b]`, a map as `{k=v, k2=v2}`;
//! * at most 10 violations are reported (kinesalite's emulation; AWS
//!   messages seen in the wild never exceed "10 validation errors").
//! * Constraints of list items / map keys and values that are simple
//!   values are reported once, on the collection: "Member must satisfy
//!   constraint: [..]", "Map keys must satisfy constraint: [..]",
//!   "Map value must satisfy constraint: [..]" (kinesalite's wording).
//!
//! * a value of a `sensitive` shape is left out of the message: "Value at
//!   'password' failed to satisfy constraint: ..." (seen in AWS answers for
//!   Cognito passwords); GUESS: also for "Member must not be null".
//! * Length counts characters for strings (GUESS: Java may count UTF-16
//!   units; the same for BMP text), bytes for blobs, items for collections.
//!
//! KNOWN DIVERGENCE: members are reported in model order. Old AWS responses
//! recorded by kinesalite list e.g. `shardCount` before `streamName` for
//! CreateStream and `tags` before `streamName` for AddTagsToStream, an
//! order that is neither the model's nor alphabetical; within one member
//! the pattern violation precedes the length one, which we match.
//!
//! GUESSES (no AWS sample found): how a structure value renders (we use
//! `{Name: value, ...}`), the path of a map entry whose value is a
//! structure (`name.KEY.member`), and the order of constraints inside the
//! brackets beyond "length less than or equal, length greater than or equal".

use crate::{Blob, Timestamp};
use std::collections::BTreeMap;
use std::fmt;

/// The most violations one message reports.
pub const MAX_REPORTED: usize = 10;

/// One failed constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Member path, e.g. `records.1.member.partitionKey`.
    pub path: String,
    /// The offending value as AWS renders it; `None` for a missing member.
    pub value: Option<String>,
    /// The member's shape is `sensitive` in the model: the value is left
    /// out ("Value at 'password' failed to satisfy constraint: ...").
    pub redacted: bool,
    /// E.g. "Member must not be null".
    pub constraint: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            _ if self.redacted => f.write_str("Value")?,
            None => f.write_str("Value null")?,
            Some(v) => write!(f, "Value '{v}'")?,
        }
        write!(f, " at '{}' failed to satisfy constraint: {}", self.path, self.constraint)
    }
}

/// A non-empty list of violations: a `ValidationException`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationErrors {
    pub violations: Vec<Violation>,
}

impl ValidationErrors {
    /// The AWS error code to answer with.
    pub const fn code(&self) -> &'static str {
        "ValidationException"
    }

    /// The AWS message.
    pub fn message(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.violations.len();
        write!(f, "{n} validation error{} detected: ", if n == 1 { "" } else { "s" })?;
        for (i, v) in self.violations.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{v}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationErrors {}

/// Implemented by every generated structure.
pub trait Validate {
    /// Checks every member, recording violations under the current path.
    fn validate_members(&self, v: &mut Validator);

    /// Validates a top-level input.
    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut v = Validator::new();
        self.validate_members(&mut v);
        v.finish()
    }
}

impl<T: Validate + ?Sized> Validate for Box<T> {
    fn validate_members(&self, v: &mut Validator) {
        (**self).validate_members(v)
    }
}

enum Segment {
    Member(&'static str),
    Index(usize),
    Key(String),
}

/// Collects violations while generated code walks a value.
pub struct Validator {
    path: Vec<Segment>,
    out: Vec<Violation>,
    /// Probe mode: only remember whether anything failed.
    probe: bool,
    failed: bool,
}

impl Default for Validator {
    fn default() -> Self {
        Self::new()
    }
}

impl Validator {
    pub fn new() -> Self {
        Validator { path: Vec::new(), out: Vec::new(), probe: false, failed: false }
    }

    /// Descends into a member (`name` is already lowerCamelCase).
    pub fn enter(&mut self, name: &'static str) {
        self.path.push(Segment::Member(name));
    }

    /// Descends into the `index`th (0-based) item of a list.
    pub fn enter_index(&mut self, index: usize) {
        self.path.push(Segment::Index(index));
    }

    /// Descends into the value of map entry `key`.
    pub fn enter_key(&mut self, key: &str) {
        self.path.push(Segment::Key(key.to_owned()));
    }

    /// Undoes the last `enter*`.
    pub fn leave(&mut self) {
        self.path.pop();
    }

    /// Records "Member must not be null" at the current path.
    pub fn null(&mut self) {
        self.record(None, "Member must not be null", false);
    }

    /// Records "Member must not be null" for a member whose shape is
    /// `sensitive` (GUESS: AWS leaves the value out here too, as it does for
    /// the other constraints of sensitive members).
    pub fn null_sensitive(&mut self) {
        self.record(None, "Member must not be null", true);
    }

    /// Records that `value`, at the current path, breaks `constraint`.
    pub fn fail<R: Render + ?Sized>(&mut self, value: &R, constraint: &str) {
        if self.probe || self.out.len() >= MAX_REPORTED {
            self.failed = true;
            return;
        }
        let mut s = String::new();
        value.render(&mut s);
        self.record(Some(s), constraint, false);
    }

    /// [`Validator::fail`] for a value of a `sensitive` shape: the message
    /// leaves the value out (AWS: "Value at 'password' failed to satisfy
    /// constraint: Member must have length greater than or equal to 6").
    pub fn fail_sensitive<R: Render + ?Sized>(&mut self, _value: &R, constraint: &str) {
        self.record(None, constraint, true);
    }

    fn record(&mut self, value: Option<String>, constraint: &str, redacted: bool) {
        self.failed = true;
        if self.probe || self.out.len() >= MAX_REPORTED {
            return;
        }
        let path = self.path_string();
        self.out.push(Violation { path, value, redacted, constraint: constraint.to_owned() });
    }

    fn path_string(&self) -> String {
        let mut s = String::new();
        for seg in &self.path {
            match seg {
                Segment::Member(m) => {
                    if !s.is_empty() {
                        s.push('.');
                    }
                    s.push_str(m);
                }
                Segment::Index(i) => {
                    s.push('.');
                    s.push_str(&(i + 1).to_string());
                    s.push_str(".member");
                }
                Segment::Key(k) => {
                    s.push('.');
                    s.push_str(k);
                    s.push_str(".member");
                }
            }
        }
        s
    }

    /// The outcome.
    pub fn finish(self) -> Result<(), ValidationErrors> {
        if self.out.is_empty() {
            Ok(())
        } else {
            Err(ValidationErrors { violations: self.out })
        }
    }
}

/// A model pattern with look-around, which the `regex` crate lacks: the
/// generator splits `^(?!X)Y` into "matches `Y`" and "does not match `X`".
#[derive(Debug)]
pub struct Pattern {
    accept: regex::Regex,
    reject: Vec<regex::Regex>,
}

impl Pattern {
    /// Compiles the generator's translation; panics on a bad pattern (the
    /// generated `patterns_compile` test forces every one).
    pub fn new(accept: &str, reject: &[&str]) -> Self {
        let re = |p: &str| regex::Regex::new(p).expect("model pattern compiles");
        Pattern { accept: re(accept), reject: reject.iter().map(|p| re(p)).collect() }
    }

    /// Whether the whole value conforms to the model pattern.
    pub fn is_match(&self, s: &str) -> bool {
        self.accept.is_match(s) && !self.reject.iter().any(|r| r.is_match(s))
    }
}

/// Whether `check` finds anything wrong with `x` (used for collection items
/// whose constraints are reported on the collection).
pub fn invalid<T: ?Sized>(x: &T, check: fn(&mut Validator, &T)) -> bool {
    let mut p = Validator::new();
    p.probe = true;
    check(&mut p, x);
    p.failed
}

/// Renders a value the way it appears between the quotes of
/// "Value '...' at". Close to Java's `toString()` of the value.
pub trait Render {
    fn render(&self, out: &mut String);
}

impl Render for str {
    fn render(&self, out: &mut String) {
        out.push_str(self);
    }
}

impl Render for String {
    fn render(&self, out: &mut String) {
        out.push_str(self);
    }
}

macro_rules! render_display {
    ($($t:ty),*) => {$(
        impl Render for $t {
            fn render(&self, out: &mut String) {
                use std::fmt::Write;
                let _ = write!(out, "{}", self);
            }
        }
    )*};
}
render_display!(i32, i64, f64, bool, Timestamp);

impl Render for Blob {
    fn render(&self, out: &mut String) {
        use std::fmt::Write;
        let n = self.len();
        let _ = write!(out, "java.nio.HeapByteBuffer[pos=0 lim={n} cap={n}]");
    }
}

impl<T: Render> Render for Option<T> {
    fn render(&self, out: &mut String) {
        match self {
            Some(v) => v.render(out),
            None => out.push_str("null"),
        }
    }
}

impl<T: Render + ?Sized> Render for Box<T> {
    fn render(&self, out: &mut String) {
        (**self).render(out)
    }
}

impl<T: Render> Render for Vec<T> {
    fn render(&self, out: &mut String) {
        self.as_slice().render(out)
    }
}

impl<T: Render> Render for [T] {
    fn render(&self, out: &mut String) {
        out.push('[');
        for (i, item) in self.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            item.render(out);
        }
        out.push(']');
    }
}

impl<V: Render> Render for BTreeMap<String, V> {
    fn render(&self, out: &mut String) {
        out.push('{');
        for (i, (k, v)) in self.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            out.push_str(k);
            out.push('=');
            v.render(out);
        }
        out.push('}');
    }
}

/// Helper for generated `Render` impls of structures: `{A: 1, B: x}`,
/// absent members omitted.
pub struct StructRender<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> StructRender<'a> {
    pub fn new(out: &'a mut String) -> Self {
        out.push('{');
        StructRender { out, first: true }
    }

    pub fn field<R: Render + ?Sized>(&mut self, name: &str, value: &R) {
        if !self.first {
            self.out.push_str(", ");
        }
        self.first = false;
        self.out.push_str(name);
        self.out.push_str(": ");
        value.render(self.out);
    }

    pub fn opt_field<R: Render>(&mut self, name: &str, value: &Option<R>) {
        if let Some(v) = value {
            self.field(name, v);
        }
    }

    pub fn finish(self) {
        self.out.push('}');
    }
}
