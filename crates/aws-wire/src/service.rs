//! What a service behind the front implements, and what it is told about each request.

use bytes::Bytes;
use futures::future::BoxFuture;

use crate::credentials::Principal;
use crate::error::AwsError;
use crate::reply::Reply;

/// Everything the front established about a request before handing it to a service.
#[derive(Clone, Debug)]
pub struct RequestContext {
    /// UUID v4, also sent back as `x-amzn-RequestId`.
    pub request_id: String,
    /// Signing name of the service, e.g. `kinesis`.
    pub service: &'static str,
    /// The operation from `X-Amz-Target`, e.g. `CreateStream`.
    pub operation: String,
    /// Region from the credential scope.
    pub region: String,
    /// Who signed the request.
    pub principal: Principal,
    /// The request headers, as received.
    pub headers: http::HeaderMap,
    /// The request came as CBOR: streamed replies must encode their
    /// payloads with [`crate::protocol::cbor`] (whole replies are
    /// transcoded by the front).
    pub cbor: bool,
    /// For a header-signed request whose body is signed chunk by chunk
    /// (`X-Amz-Content-Sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`): what the
    /// service needs to check the chunk signatures (the front checked the seed signature).
    pub chunk_signing: Option<std::sync::Arc<crate::sigv4::ChunkSigning>>,
}

/// A service speaking the awsJson protocol (1.0 or 1.1): `POST /` with `X-Amz-Target: <prefix>.<Operation>`.
pub trait JsonService: Send + Sync + 'static {
    /// The service's shapes, when it also takes awsJson over CBOR
    /// (`application/x-amz-cbor-1.1`); the front transcodes both ways.
    fn cbor_shapes(&self) -> Option<std::sync::Arc<crate::protocol::cbor::ShapeIndex>> {
        None
    }

    /// Name in the SigV4 credential scope, e.g. `kinesis`.
    fn signing_name(&self) -> &'static str;

    /// The `X-Amz-Target` prefix before the dot, e.g. `Kinesis_20131202`.
    fn target_prefix(&self) -> &'static str;

    /// awsJson version: the content type is `application/x-amz-json-<version>`.
    fn json_version(&self) -> &'static str {
        "1.1"
    }

    /// Whether the service also takes awsJson requests (`X-Amz-Target`); false for
    /// awsQuery-only services (IAM, STS, SNS) registered with [`crate::Front::register_query`].
    fn speaks_json(&self) -> bool {
        true
    }

    /// Whether AWS serves `operation` to unsigned GET requests (authenticated by a token in the
    /// request instead, as SNS's ConfirmSubscription from a SubscribeURL). Query services only.
    fn anonymous_operation(&self, _operation: &str) -> bool {
        false
    }

    /// Whether `operation` exists. The front answers `UnknownOperationException` for the others
    /// before authenticating, as AWS does; the default lets the service decide in [`JsonService::call`].
    fn has_operation(&self, _operation: &str) -> bool {
        true
    }

    /// Runs one authenticated operation on its raw JSON body.
    fn call(&self, ctx: RequestContext, body: Bytes) -> BoxFuture<'static, Result<Reply, AwsError>>;
}

/// A service speaking a REST protocol (S3's rest-xml): the front verifies the
/// signature (payload hash as `X-Amz-Content-Sha256` declares it, the path
/// encoded once) and hands over the whole request.
pub trait RestService: Send + Sync + 'static {
    /// Name in the SigV4 credential scope, e.g. `s3`.
    fn signing_name(&self) -> &'static str;

    /// Largest request body the service takes in one request.
    fn body_bytes_max(&self) -> usize;

    /// Runs one authenticated request.
    fn call(
        &self,
        ctx: RequestContext,
        method: http::Method,
        uri: http::Uri,
        body: Bytes,
    ) -> BoxFuture<'static, Result<Reply, AwsError>>;

    /// Whether the service takes requests presigned with an older scheme than SigV4 (S3's
    /// SigV2 query authentication: `AWSAccessKeyId`, `Signature` and `Expires` parameters,
    /// what boto3's `generate_presigned_url` makes by default).
    fn accepts_legacy_presigned(&self) -> bool {
        false
    }

    /// Checks such a request's signature and expiry under the secret of its access key (looked
    /// up by the front); only called when [`RestService::accepts_legacy_presigned`].
    fn verify_legacy_presigned(
        &self,
        _parts: &http::request::Parts,
        _secret_access_key: &str,
        _now_unix_seconds: i64,
    ) -> Result<(), AwsError> {
        Err(AwsError::missing_authentication_token())
    }

    /// An error in the service's wire shape (S3: `<Error><Code>` XML, no body for HEAD).
    fn render_error(
        &self,
        error: &AwsError,
        request_id: &str,
        method: &http::Method,
        uri: &http::Uri,
    ) -> crate::protocol::RenderedError;
}
