//! AWS service shapes generated from the AWS service models (see
//! `models/` and `cargo xtask codegen`), plus the small runtime they use:
//!
//! * [`json`]: awsJson decoding with AWS's leniencies, and
//!   [`DecodeError`] (a `SerializationException`);
//! * [`validate`]: model constraints with AWS's wording, and
//!   [`ValidationErrors`] (a `ValidationException`);
//! * [`Blob`], [`Timestamp`]: the non-trivial scalar types.
//!
//! The generated code for a service lives in `generated::<service>` and is
//! re-exported at the crate root ([`kinesis`], [`firehose`], [`kms`],
//! [`logs`]).

pub mod base64;
mod blob;
pub mod json;
mod timestamp;
pub mod validate;

#[rustfmt::skip]
mod generated;

pub use blob::Blob;
pub use generated::*;
pub use json::{DecodeError, DecodeErrorKind, JsonDe};
pub use timestamp::Timestamp;
pub use validate::{Validate, ValidationErrors};

use std::fmt;

/// The output of an operation that has none. Serializes as `{}`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Unit;

impl serde::Serialize for Unit {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        serializer.serialize_map(Some(0))?.end()
    }
}

impl JsonDe for Unit {
    fn de<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        <serde::de::IgnoredAny as serde::Deserialize>::deserialize(d).map(|_| Unit)
    }
}

impl Validate for Unit {
    fn validate_members(&self, _: &mut validate::Validator) {}
}

/// Static description of one operation, implemented by the marker types in
/// each service's `ops` module.
pub trait OperationShape {
    /// The service's operation enum.
    type Operation: Copy + 'static;
    /// The input structure ([`Unit`] when the model has none).
    type Input;
    /// The output structure ([`Unit`] when the model has none).
    type Output;
    const OPERATION: Self::Operation;
    /// The operation name, e.g. `CreateStream`.
    const NAME: &'static str;
}

/// Why a request body was refused before reaching the operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestError {
    /// Malformed JSON or a type mismatch: `SerializationException`.
    Decode(DecodeError),
    /// Model constraints failed: `ValidationException`.
    Validation(ValidationErrors),
}

impl RequestError {
    /// The AWS error code.
    pub fn code(&self) -> &'static str {
        match self {
            RequestError::Decode(e) => e.code(),
            RequestError::Validation(e) => e.code(),
        }
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestError::Decode(e) => e.fmt(f),
            RequestError::Validation(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for RequestError {}

impl From<DecodeError> for RequestError {
    fn from(e: DecodeError) -> Self {
        RequestError::Decode(e)
    }
}

impl From<ValidationErrors> for RequestError {
    fn from(e: ValidationErrors) -> Self {
        RequestError::Validation(e)
    }
}

/// Decodes an awsJson request body and validates it.
pub fn decode_input<T: JsonDe + Validate>(body: &[u8]) -> Result<T, RequestError> {
    let input: T = json::from_slice(body)?;
    input.validate()?;
    Ok(input)
}
