//! What a service answers with, before the front turns it into an HTTP response.

use bytes::Bytes;
use futures::stream::BoxStream;
use http::{HeaderName, HeaderValue, StatusCode};

/// A response body: whole, or streamed (event streams such as SubscribeToShard).
pub enum ReplyBody {
    /// The complete body.
    Full(Bytes),
    /// A body sent as its chunks are produced; the stream ending ends the response.
    Stream(BoxStream<'static, Bytes>),
}

impl std::fmt::Debug for ReplyBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReplyBody::Full(bytes) => f.debug_tuple("Full").field(&bytes.len()).finish(),
            ReplyBody::Stream(_) => f.write_str("Stream"),
        }
    }
}

/// A successful answer of a service.
#[derive(Debug)]
pub struct Reply {
    /// HTTP status, normally 200.
    pub status: StatusCode,
    /// Content type; `None` means the protocol's default (e.g. `application/x-amz-json-1.1`).
    pub content_type: Option<&'static str>,
    /// Extra response headers.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// The body.
    pub body: ReplyBody,
}

impl Reply {
    /// 200 with a JSON body in the protocol's default content type.
    pub fn json(body: Bytes) -> Reply {
        Reply { status: StatusCode::OK, content_type: None, headers: Vec::new(), body: ReplyBody::Full(body) }
    }
}
