//! The S3 service of kinesd (rest-xml, path-style and virtual-host style): buckets, their
//! configurations, objects on disk, multipart uploads.
//!
//! The front verifies SigV4 and hands over whole requests; each one is decoded ([`request`]),
//! routed below to its operation ([`bucket`], [`config`], [`object`], [`listing`],
//! [`multipart`]) and run on a blocking thread, since operations write and fsync files.
//! Metadata lives in the docstore `s3.db`, bytes in blob files ([`store`]).
//!
//! Firehose delivers into buckets in-process through [`S3::put_object_bytes`] and
//! [`S3::bucket_exists`].

mod addressing;
mod bucket;
mod checksum;
mod chunked;
mod config;
mod error;
mod listing;
mod multipart;
mod object;
mod request;
mod sigv2;
mod store;
mod time;
mod xml;

#[cfg(test)]
mod tests;

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use aws_wire::protocol::RenderedError;
use aws_wire::{AwsError, Reply, ReplyBody, RequestContext, RestService};
use futures::future::BoxFuture;
use futures::StreamExt;
use http::{HeaderName, HeaderValue, Method, StatusCode};
use parking_lot::RwLock;

use error::{S3Error, S3Result};
use request::{Body, Request, Response};

/// Largest request body (one PutObject or UploadPart): bodies are held in memory whole, so
/// larger objects go up in parts (AWS's single PUT limit is 5 GiB).
pub const BODY_BYTES_MAX: usize = 64 * 1024 * 1024;
/// Longest object key, in UTF-8 bytes (AWS: 1024).
pub const KEY_BYTES_MAX: usize = 1024;
/// Most keys (and common prefixes) in one ListObjects page, whatever `max-keys` asks (AWS: 1000).
pub const LIST_KEYS_MAX: usize = 1000;
/// Most parts listed by one ListParts call and uploads by one ListMultipartUploads call (AWS: 1000).
pub const LIST_PARTS_MAX: usize = 1000;
/// Most buckets in one ListBuckets page (AWS: 10,000).
pub const LIST_BUCKETS_MAX: usize = 10_000;
/// Highest part number, so most parts per upload (AWS: 10,000).
pub const PARTS_PER_UPLOAD_MAX: u32 = 10_000;
/// Smallest size of every part but the last (AWS: 5 MiB).
pub const PART_BYTES_MIN: u64 = 5 * 1024 * 1024;
/// Most keys in one DeleteObjects request (AWS: 1000).
pub const DELETE_OBJECTS_MAX: usize = 1000;
/// Most bytes of user metadata (`x-amz-meta-*` names and values) per object (AWS: 2 KB).
pub const METADATA_BYTES_MAX: usize = 2048;
/// Most tags per object (AWS: 10) and per bucket (AWS: 50).
pub const OBJECT_TAGS_MAX: usize = 10;
/// Most tags per bucket (AWS: 50).
pub const BUCKET_TAGS_MAX: usize = 50;
/// Objects up to this size are read into memory for GetObject; larger ones are streamed.
const INLINE_READ_BYTES_MAX: u64 = 1024 * 1024;
/// Size of each read when streaming an object.
const STREAM_CHUNK_BYTES: u64 = 1024 * 1024;

/// The service.
#[derive(Clone)]
pub struct S3 {
    inner: Arc<Service>,
}

/// The service's state, shared by the operations.
pub(crate) struct Service {
    /// The 64-hex canonical user id of the account, owner of every bucket and object.
    pub owner_id: String,
    pub docs: docstore::DocStore,
    pub blobs: store::Blobs,
    /// Object writes hold it shared while committing; bucket deletion holds it exclusively, so
    /// no object lands in a bucket between its emptiness check and its removal.
    pub namespace: RwLock<()>,
}

impl S3 {
    /// Opens (creating on first start) the service's state under `data_dir`: `s3.db` and `s3/`.
    /// A bucket's region comes from its CreateBucket request (LocationConstraint and signing
    /// region), as in AWS, so the server's own `_region` plays no part.
    pub fn open(data_dir: &Path, _region: impl Into<String>, account: impl Into<String>) -> Result<S3, String> {
        std::fs::create_dir_all(data_dir).map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
        let docs = docstore::DocStore::open(&data_dir.join("s3.db")).map_err(|e| e.to_string())?;
        let root = data_dir.join("s3");
        let blobs = store::Blobs::open(&root).map_err(|e| format!("cannot open {}: {e}", root.display()))?;
        let account = account.into();
        let owner_id = aws_wire::sigv4::canonical::sha256_hex(format!("kinesd canonical user {account}").as_bytes());
        let service = Service { owner_id, docs, blobs, namespace: RwLock::new(()) };
        Ok(S3 { inner: Arc::new(service) })
    }

    /// Stores `bytes` as object `key` of `bucket` (replacing any), durably, as PutObject does;
    /// returns the ETag. Blocks on disk writes: call it from a blocking context.
    pub fn put_object_bytes(
        &self,
        bucket: &str,
        key: &str,
        bytes: &[u8],
        content_type: &str,
    ) -> Result<String, AwsError> {
        object::put_bytes(&self.inner, bucket, key, bytes, content_type).map_err(|e| e.to_aws())
    }

    /// Whether `bucket` exists.
    pub fn bucket_exists(&self, bucket: &str) -> bool {
        matches!(self.inner.docs.get::<store::BucketDoc>(store::KIND_BUCKET, bucket), Ok(Some(_)))
    }

    /// The bytes of object `key` of `bucket`, `None` when it does not exist. Blocks on disk reads.
    pub fn get_object_bytes(&self, bucket: &str, key: &str) -> Result<Option<Vec<u8>>, AwsError> {
        object::get_bytes(&self.inner, bucket, key).map_err(|e| e.to_aws())
    }
}

impl Service {
    /// Answers one request; errors are rendered here, in S3's shape.
    pub(crate) fn handle(
        &self,
        method: Method,
        uri: &http::Uri,
        headers: http::HeaderMap,
        body: bytes::Bytes,
        region: String,
        request_id: &str,
    ) -> Response {
        let head = method == Method::HEAD;
        let resource = uri.path().to_string();
        let outcome = Request::parse(method, uri, headers, body, region).and_then(|request| self.route(&request));
        match outcome {
            Ok(response) => response,
            Err(error) => error_response(&error, request_id, head, &resource),
        }
    }

    fn route(&self, req: &Request) -> S3Result<Response> {
        let Some(_) = &req.bucket else {
            return match req.method {
                Method::GET => bucket::list_buckets(self, req),
                _ => Err(method_not_allowed(&req.method, "SERVICE")),
            };
        };
        if req.key.is_empty() {
            return self.route_bucket(req);
        }
        if req.key.len() > KEY_BYTES_MAX {
            return Err(S3Error::new(400, "KeyTooLongError", "Your key is too long")
                .with("Size", req.key.len().to_string())
                .with("MaxSizeAllowed", KEY_BYTES_MAX.to_string()));
        }
        self.route_object(req)
    }

    fn route_bucket(&self, req: &Request) -> S3Result<Response> {
        if let Some(kind) = config::KINDS.iter().find(|k| req.has_param(k.param)) {
            return match req.method {
                Method::GET => config::get(self, req, kind),
                Method::PUT => config::put(self, req, kind),
                Method::DELETE => config::delete(self, req, kind),
                _ => Err(method_not_allowed(&req.method, "BUCKET")),
            };
        }
        if config::UNSUPPORTED.iter().any(|p| req.has_param(p)) {
            return Err(S3Error::not_implemented());
        }
        match req.method {
            Method::GET if req.has_param("location") => bucket::get_location(self, req),
            Method::GET if req.has_param("uploads") => multipart::list_uploads(self, req),
            Method::GET if req.has_param("versions") => listing::list_object_versions(self, req),
            Method::GET if req.param("list-type") == Some("2") => listing::list_objects_v2(self, req),
            Method::GET => listing::list_objects_v1(self, req),
            Method::PUT => bucket::create(self, req),
            Method::HEAD => bucket::head(self, req),
            Method::DELETE => bucket::delete(self, req),
            Method::POST if req.has_param("delete") => object::delete_objects(self, req),
            _ => Err(method_not_allowed(&req.method, "BUCKET")),
        }
    }

    fn route_object(&self, req: &Request) -> S3Result<Response> {
        let upload = req.has_param("uploadId");
        match req.method {
            Method::GET if upload => multipart::list_parts(self, req),
            Method::GET if req.has_param("tagging") => object::get_tagging(self, req),
            Method::GET if req.has_param("acl") => object::get_acl(self, req),
            Method::GET if req.has_param("attributes") || req.has_param("retention") || req.has_param("legal-hold") => {
                Err(S3Error::not_implemented())
            }
            Method::GET | Method::HEAD => object::get(self, req),
            Method::PUT if upload && req.headers.contains_key("x-amz-copy-source") => {
                multipart::upload_part_copy(self, req)
            }
            Method::PUT if upload => multipart::upload_part(self, req),
            Method::PUT if req.has_param("tagging") => object::put_tagging(self, req),
            Method::PUT if req.has_param("acl") => object::put_acl(self, req),
            Method::PUT if req.has_param("retention") || req.has_param("legal-hold") => Err(S3Error::not_implemented()),
            Method::PUT if req.headers.contains_key("x-amz-copy-source") => object::copy(self, req),
            Method::PUT => object::put(self, req),
            Method::DELETE if upload => multipart::abort(self, req),
            Method::DELETE if req.has_param("tagging") => object::delete_tagging(self, req),
            Method::DELETE => object::delete(self, req),
            Method::POST if req.has_param("uploads") => multipart::create(self, req),
            Method::POST if upload => multipart::complete(self, req),
            _ => Err(method_not_allowed(&req.method, "OBJECT")),
        }
    }

    /// The bucket's document, or `NoSuchBucket`.
    pub(crate) fn bucket_doc(&self, bucket: &str) -> S3Result<store::BucketDoc> {
        self.docs.get(store::KIND_BUCKET, bucket)?.ok_or_else(|| S3Error::no_such_bucket(bucket))
    }
}

fn method_not_allowed(method: &Method, resource_type: &str) -> S3Error {
    S3Error::new(405, "MethodNotAllowed", "The specified method is not allowed against this resource.")
        .with("Method", method.as_str())
        .with("ResourceType", resource_type)
}

/// An error as S3 sends it: XML body (none for HEAD) and the request id headers.
fn error_response(error: &S3Error, request_id: &str, head: bool, resource: &str) -> Response {
    if error.status >= 500 {
        tracing::warn!(request_id, code = error.code, "s3 request failed");
    }
    let body =
        if head { Body::Empty } else { Body::Bytes(bytes::Bytes::from(error.to_xml(request_id, Some(resource)))) };
    let headers = vec![("content-type".to_string(), "application/xml".to_string())];
    Response { status: error.status, headers, body }
}

impl RestService for S3 {
    fn signing_name(&self) -> &'static str {
        "s3"
    }

    fn body_bytes_max(&self) -> usize {
        BODY_BYTES_MAX
    }

    fn call(
        &self,
        ctx: RequestContext,
        method: Method,
        uri: http::Uri,
        body: bytes::Bytes,
    ) -> BoxFuture<'static, Result<Reply, AwsError>> {
        let service = self.inner.clone();
        Box::pin(async move {
            let request_id = ctx.request_id.clone();
            let head = method == Method::HEAD;
            let resource = uri.path().to_string();
            let id = request_id.clone();
            let handled = tokio::task::spawn_blocking(move || {
                if let Some(signing) = &ctx.chunk_signing {
                    if let Err(e) = chunked::verify_signatures(&body, signing) {
                        let message = format!(
                            "The request signature we calculated does not match the signature you provided: {}.",
                            e.0
                        );
                        let error = S3Error::new(403, "SignatureDoesNotMatch", message);
                        return error_response(&error, &id, method == Method::HEAD, uri.path());
                    }
                }
                service.handle(method, &uri, ctx.headers, body, ctx.region, &id)
            })
            .await;
            let response = handled.unwrap_or_else(|join_error| {
                tracing::error!(request_id, %join_error, "s3 operation panicked");
                error_response(&S3Error::internal(), &request_id, head, &resource)
            });
            Ok(into_reply(response, &request_id))
        })
    }

    fn accepts_legacy_presigned(&self) -> bool {
        true
    }

    fn verify_legacy_presigned(
        &self,
        parts: &http::request::Parts,
        secret_access_key: &str,
        now_unix_seconds: i64,
    ) -> Result<(), AwsError> {
        sigv2::verify(parts, secret_access_key, now_unix_seconds)
    }

    fn render_error(
        &self,
        error: &AwsError,
        request_id: &str,
        method: &http::Method,
        uri: &http::Uri,
    ) -> RenderedError {
        let error = error::from_front(error);
        let status = StatusCode::from_u16(error.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if method == Method::HEAD {
            return RenderedError { status, content_type: None, body: bytes::Bytes::new() };
        }
        let body = error.to_xml(request_id, Some(uri.path()));
        RenderedError { status, content_type: Some("application/xml"), body: body.into() }
    }
}

/// The front's form of an answer, with `x-amz-request-id` and `x-amz-id-2`.
fn into_reply(response: Response, request_id: &str) -> Reply {
    let mut headers = Vec::with_capacity(response.headers.len() + 2);
    let extra = [
        ("x-amz-request-id".to_string(), request_id.to_string()),
        ("x-amz-id-2".to_string(), error::host_id(request_id)),
    ];
    for (name, value) in response.headers.into_iter().chain(extra) {
        match (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_bytes(value.as_bytes())) {
            (Ok(name), Ok(value)) => headers.push((name, value)),
            _ => tracing::warn!(request_id, header = name, "dropped a header that cannot be sent"),
        }
    }
    let body = match response.body {
        Body::Empty => ReplyBody::Full(bytes::Bytes::new()),
        Body::Bytes(bytes) => ReplyBody::Full(bytes),
        Body::File { file, len } => ReplyBody::Stream(file_stream(file, len)),
    };
    let status = StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    Reply { status, content_type: None, headers, body }
}

/// `len` bytes of `file`, read on blocking threads one chunk at a time. A read failure ends
/// the stream early, so the client sees fewer bytes than `Content-Length` promised.
fn file_stream(file: std::fs::File, len: u64) -> futures::stream::BoxStream<'static, bytes::Bytes> {
    futures::stream::unfold((Some(file), len), |(file, left)| async move {
        let mut file = file?;
        if left == 0 {
            return None;
        }
        let chunk = left.min(STREAM_CHUNK_BYTES);
        let read = tokio::task::spawn_blocking(move || {
            let mut buf = vec![0; chunk as usize];
            file.read_exact(&mut buf).map(|()| (file, buf))
        })
        .await;
        match read {
            Ok(Ok((file, buf))) => Some((bytes::Bytes::from(buf), (Some(file), left - chunk))),
            Ok(Err(error)) => {
                tracing::error!(%error, "reading an object failed mid-response");
                None
            }
            Err(error) => {
                tracing::error!(%error, "reading an object panicked mid-response");
                None
            }
        }
    })
    .boxed()
}
