//! Wire protocols: how a request names its operation and how errors are written back.
//! One module per protocol; CBOR, awsQuery, rest-xml and event streams join them later.

pub mod bare_xml;
pub mod cbor;
pub mod json;
pub mod query;
pub mod query_model;

use bytes::Bytes;
use http::StatusCode;

/// An error rendered for the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenderedError {
    /// HTTP status.
    pub status: StatusCode,
    /// `Content-Type`, or `None` to send none (as AWS does for bare XML errors).
    pub content_type: Option<&'static str>,
    /// The body.
    pub body: Bytes,
}
