//! The request pipeline every AWS service of kinesd sits behind: route by credential scope,
//! check the protocol envelope, read the body within its bound, verify SigV4, call the service
//! (catching its panics), and answer in the service's protocol with `x-amzn-RequestId`.
//!
//! Order of checks follows Kinesis' observed behaviour (kinesalite `index.js`): method, content
//! type and target are judged before authentication, so an unknown operation is reported even to
//! an unsigned request; nothing reaches a service before its signature has verified.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::{FutureExt, StreamExt};
use http::{header, HeaderValue, Method, Request, Response};
use http_body::{Body, Frame};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, StreamBody};

use crate::amz_date::AmzDate;
use crate::body::{self, BodyError, BoxError};
use crate::clock::{Clock, SystemClock};
use crate::credentials::{CredentialStore, Principal};
use crate::error::AwsError;
use crate::protocol::query_model::QueryModel;
use crate::protocol::{bare_xml, cbor, json, query, RenderedError};
use crate::reply::{Reply, ReplyBody};
use crate::route::{Registered, Registry};
use crate::service::{JsonService, RequestContext, RestService};
use crate::sigv4;
use crate::sigv4::canonical::PathEncoding;
use crate::sigv4::claim::{self, SignatureClaim};

/// How far a header signature's time may be from the server's clock, either way (AWS: 15 minutes).
pub const CLOCK_SKEW_MAX_DEFAULT: Duration = Duration::from_secs(15 * 60);
/// Largest request body accepted by default: 16 MiB, above every Kinesis request (PutRecords is
/// at most 10 MiB of data and keys, about 13.4 MiB once base64-encoded in JSON).
pub const BODY_BYTES_MAX_DEFAULT: usize = 16 * 1024 * 1024;
/// How long `serve` lets in-flight requests finish after shutdown is asked for.
pub const DRAIN_TIMEOUT_DEFAULT: Duration = Duration::from_secs(30);
/// Open connections served at once by default; further clients wait in the listen backlog.
pub const CONNECTIONS_MAX_DEFAULT: usize = 4096;

/// Response header carrying the request id on every response.
const REQUEST_ID_HEADER: &str = "x-amzn-requestid";
/// The awsJson version used for errors of requests no service could be found for.
const DEFAULT_JSON_VERSION: &str = "1.1";

/// The body type of every response the front produces.
pub type ResponseBody = UnsyncBoxBody<Bytes, BoxError>;

/// Settings of the front.
#[derive(Clone)]
pub struct FrontConfig {
    /// Where access keys are looked up.
    pub credentials: Arc<dyn CredentialStore>,
    /// Allowed difference between a signature's time and the server clock ([`CLOCK_SKEW_MAX_DEFAULT`]).
    pub clock_skew_max: Duration,
    /// Largest request body ([`BODY_BYTES_MAX_DEFAULT`]).
    pub body_bytes_max: usize,
    /// Bound on draining in-flight requests at shutdown ([`DRAIN_TIMEOUT_DEFAULT`]).
    pub drain_timeout: Duration,
}

impl FrontConfig {
    /// The defaults above, with `credentials`.
    pub fn new(credentials: Arc<dyn CredentialStore>) -> Self {
        FrontConfig {
            credentials,
            clock_skew_max: CLOCK_SKEW_MAX_DEFAULT,
            body_bytes_max: BODY_BYTES_MAX_DEFAULT,
            drain_timeout: DRAIN_TIMEOUT_DEFAULT,
        }
    }
}

/// The HTTP front: registered services plus the configuration to serve them.
pub struct Front {
    config: FrontConfig,
    registry: Registry,
    clock: Arc<dyn Clock>,
    connections_max: usize,
}

/// What the per-request log line reports besides status and latency.
struct LogFields {
    service: &'static str,
    operation: String,
}

impl Front {
    /// A front with no services yet, the system clock and [`CONNECTIONS_MAX_DEFAULT`].
    pub fn new(config: FrontConfig) -> Front {
        Front {
            config,
            registry: Registry::default(),
            clock: Arc::new(SystemClock),
            connections_max: CONNECTIONS_MAX_DEFAULT,
        }
    }

    /// Serves an awsJson service under its signing name and target prefix (each must be unique).
    pub fn register_json(&mut self, service: Arc<dyn JsonService>) {
        self.registry.add_json(service);
    }

    /// Serves an awsQuery service, implemented on the JSON shapes of `model` (see
    /// [`crate::protocol::query_model`]), under its signing name; when the service
    /// [speaks awsJson](JsonService::speaks_json) too, JSON requests to it are answered with
    /// query-compatible errors (`x-amzn-query-error`).
    pub fn register_query(&mut self, service: Arc<dyn JsonService>, model: Arc<QueryModel>) {
        self.registry.add_query(service, model);
    }

    /// Serves a REST service (S3) under its signing name.
    pub fn register_rest(&mut self, service: Arc<dyn RestService>) {
        self.registry.add_rest(service);
    }

    /// Replaces the clock signatures are checked against (tests pin it).
    pub fn set_clock(&mut self, clock: Arc<dyn Clock>) {
        self.clock = clock;
    }

    /// Sets the bound on connections served at once (at least 1).
    pub fn set_connections_max(&mut self, connections_max: usize) {
        self.connections_max = connections_max.max(1);
    }

    /// The bound on connections served at once.
    pub fn connections_max(&self) -> usize {
        self.connections_max
    }

    /// The configuration.
    pub fn config(&self) -> &FrontConfig {
        &self.config
    }

    /// Answers one request. Never panics and never fails: every outcome is an AWS-shaped response
    /// carrying `x-amzn-RequestId`.
    pub async fn handle<B>(&self, request: Request<B>) -> Response<ResponseBody>
    where
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let started = Instant::now();
        let request_id = uuid::Uuid::new_v4().to_string();
        let mut log = LogFields { service: "-", operation: String::new() };
        let dispatched = AssertUnwindSafe(self.dispatch(&request_id, request, &mut log)).catch_unwind().await;
        let mut response = dispatched.unwrap_or_else(|panic| {
            tracing::error!(request_id, panic = panic_message(&*panic), "front panicked while handling a request");
            rendered(json::render_error(&AwsError::internal_failure(), DEFAULT_JSON_VERSION))
        });
        if let Ok(value) = HeaderValue::from_str(&request_id) {
            response.headers_mut().insert(REQUEST_ID_HEADER, value);
        }
        tracing::debug!(
            request_id,
            service = log.service,
            operation = %log.operation,
            status = response.status().as_u16(),
            latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
            "request"
        );
        response
    }

    async fn dispatch<B>(&self, request_id: &str, request: Request<B>, log: &mut LogFields) -> Response<ResponseBody>
    where
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let (parts, body) = request.into_parts();
        let claim = claim::parse(&parts);
        if let (Ok(None), Some(service)) = (&claim, self.registry.legacy_presigned_rest()) {
            if let Some(access_key) = legacy_presigned_access_key(&parts) {
                log.service = service.signing_name();
                return self.legacy_rest_request(service.clone(), access_key, request_id, parts, body, log).await;
            }
        }
        let by_scope = match &claim {
            Ok(Some(claim)) => self.registry.by_signing_name(&claim.scope.service),
            _ => None,
        };
        let by_target = || {
            let target = parts.headers.get("x-amz-target")?.to_str().ok()?;
            self.registry.by_target_prefix(json::target_prefix(target)?)
        };
        let anonymous = || match (&claim, &parts.method) {
            (Ok(None), &Method::GET) => {
                let params = query::parse_params(parts.uri.query().unwrap_or("").as_bytes());
                self.registry.anonymous_query(query::param(&params, "Action")?)
            }
            _ => None,
        };
        let Some(service) = by_scope.or_else(by_target).or_else(anonymous).cloned() else {
            return unroutable(&parts.method, &claim);
        };
        log.service = service.signing_name();
        match service {
            Registered::Json(service) => self.json_request(service, false, request_id, parts, body, claim, log).await,
            Registered::Query(service, _)
                if service.speaks_json()
                    && parts.headers.contains_key("x-amz-target")
                    && json::is_json_content_type(parts.headers.get(header::CONTENT_TYPE)) =>
            {
                self.json_request(service, true, request_id, parts, body, claim, log).await
            }
            Registered::Query(service, model) => {
                self.query_request(service, model, request_id, parts, body, claim, log).await
            }
            Registered::Rest(service) => self.rest_request(service, request_id, parts, body, claim, log).await,
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn json_request<B>(
        &self,
        service: Arc<dyn JsonService>,
        query_compatible: bool,
        request_id: &str,
        parts: http::request::Parts,
        body: B,
        claim: Result<Option<SignatureClaim>, AwsError>,
        log: &mut LogFields,
    ) -> Response<ResponseBody>
    where
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let version = service.json_version();
        if parts.method != Method::POST {
            return unroutable(&parts.method, &claim);
        }
        let content_type = parts.headers.get(header::CONTENT_TYPE);
        let cbor_shapes = match service.cbor_shapes() {
            Some(shapes) if cbor::is_cbor_content_type(content_type) => Some(shapes),
            _ if json::is_json_content_type(content_type) => None,
            // AWS answers a JSON endpoint's unknown content type with a bare 404 (kinesalite).
            _ => return rendered(bare_xml::render_error(&AwsError::new(404, "UnknownOperationException", ""))),
        };
        let fail = |error: AwsError| {
            let mut response = match cbor_shapes {
                Some(_) => rendered(cbor::render_error(&error)),
                None => rendered(json::render_error(&error, version)),
            };
            if query_compatible {
                // awsQueryCompatible: the SDKs take the query error code from this header.
                let fault = if error.status.is_server_error() { "Receiver" } else { "Sender" };
                if let Ok(value) = HeaderValue::from_str(&format!("{};{fault}", error.code)) {
                    response.headers_mut().insert("x-amzn-query-error", value);
                }
            }
            response
        };
        let operation = match json::operation(parts.headers.get("x-amz-target"), service.target_prefix()) {
            Ok(operation) if service.has_operation(operation) => operation.to_string(),
            _ => return fail(AwsError::unknown_operation()),
        };
        log.operation.clone_from(&operation);
        let signed = self.signed_body(
            service.signing_name(),
            request_id,
            &parts,
            body,
            claim,
            "SerializationException",
            (PathEncoding::Double, self.config.body_bytes_max),
        );
        let (claim, body, principal) = match signed.await {
            Ok(signed) => signed,
            Err(error) if query_compatible => return fail(error.for_query_protocol()),
            Err(error) => return fail(error),
        };
        let body = match body::decode_content_encoding(&parts.headers, body, self.config.body_bytes_max) {
            Ok(body) => body,
            Err(message) => return fail(AwsError::bad_request("SerializationException", message)),
        };
        let body = match &cbor_shapes {
            None => body,
            Some(shapes) => match cbor::cbor_to_json(&body, shapes, shapes.input(&operation)) {
                Ok(json) => Bytes::from(json),
                Err(message) => return fail(AwsError::bad_request("SerializationException", message)),
            },
        };
        let output_shape = cbor_shapes.as_ref().and_then(|s| s.output(&operation)).map(str::to_string);
        let ctx = RequestContext {
            request_id: request_id.to_string(),
            service: service.signing_name(),
            operation,
            region: claim.scope.region.clone(),
            principal,
            headers: parts.headers,
            cbor: cbor_shapes.is_some(),
            chunk_signing: None,
        };
        match call_json_service(&*service, ctx, body).await {
            Ok(mut reply) => {
                if let (Some(shapes), ReplyBody::Full(json), None) = (&cbor_shapes, &reply.body, reply.content_type) {
                    match cbor::json_to_cbor(json, shapes, output_shape.as_deref()) {
                        Ok(encoded) => {
                            reply.body = ReplyBody::Full(Bytes::from(encoded));
                            reply.content_type = Some(cbor::CONTENT_TYPE);
                        }
                        Err(message) => {
                            tracing::error!(request_id, message, "cannot encode the reply as CBOR");
                            return fail(AwsError::internal_failure());
                        }
                    }
                }
                reply_response(reply, json::content_type(version))
            }
            Err(error) => fail(error),
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn query_request<B>(
        &self,
        service: Arc<dyn JsonService>,
        model: Arc<QueryModel>,
        request_id: &str,
        parts: http::request::Parts,
        body: B,
        claim: Result<Option<SignatureClaim>, AwsError>,
        log: &mut LogFields,
    ) -> Response<ResponseBody>
    where
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let namespace = model.namespace().to_string();
        let fail = |error: AwsError| rendered(query::render_error(&error, &namespace, request_id));
        if parts.method != Method::POST && parts.method != Method::GET {
            return fail(AwsError::new(405, "InvalidHttpRequest", "awsQuery requests are POST (or GET)."));
        }
        let mut params = query::parse_params(parts.uri.query().unwrap_or("").as_bytes());
        let anonymous = matches!(claim, Ok(None))
            && parts.method == Method::GET
            && query::param(&params, "Action").is_some_and(|action| service.anonymous_operation(action));
        let (region, principal) = if anonymous {
            (String::new(), Principal { access_key_id: String::new(), account_id: String::new() })
        } else {
            let signed = self.signed_body(
                service.signing_name(),
                request_id,
                &parts,
                body,
                claim,
                "MalformedInput",
                (PathEncoding::Double, self.config.body_bytes_max),
            );
            let (claim, body, principal) = match signed.await {
                Ok(signed) => signed,
                Err(error) => return fail(error.for_query_protocol()),
            };
            let body = match body::decode_content_encoding(&parts.headers, body, self.config.body_bytes_max) {
                Ok(body) => body,
                Err(message) => return fail(AwsError::bad_request("MalformedInput", message)),
            };
            params.extend(query::parse_params(&body));
            (claim.scope.region, principal)
        };
        let Some(action) = query::param(&params, "Action").map(str::to_string) else {
            return fail(AwsError::bad_request("MissingAction", "Missing Action"));
        };
        if !model.has_operation(&action) || !service.has_operation(&action) {
            return fail(query::invalid_action(&action, model.version()));
        }
        log.operation.clone_from(&action);
        let input = match model.form_to_json(&action, &params) {
            Ok(input) => Bytes::from(input.to_string()),
            Err(error) => return fail(error),
        };
        let ctx = RequestContext {
            request_id: request_id.to_string(),
            service: service.signing_name(),
            operation: action.clone(),
            region,
            principal,
            headers: parts.headers,
            cbor: false,
            chunk_signing: None,
        };
        match call_json_service(&*service, ctx, input).await {
            Ok(reply) => {
                let ReplyBody::Full(json_body) = reply.body else {
                    tracing::error!(request_id, action, "an awsQuery operation answered a stream");
                    return fail(AwsError::internal_failure());
                };
                let result = if json_body.is_empty() {
                    String::new()
                } else {
                    match serde_json::from_slice(&json_body) {
                        Ok(output) => model.json_to_xml(&action, &output),
                        Err(error) => {
                            tracing::error!(request_id, action, %error, "an awsQuery operation answered bad JSON");
                            return fail(AwsError::internal_failure());
                        }
                    }
                };
                let body = query::render_result(
                    &action,
                    &namespace,
                    model.has_output(&action).then_some(&*result),
                    request_id,
                );
                let reply = Reply {
                    status: http::StatusCode::OK,
                    content_type: Some(query::CONTENT_TYPE),
                    headers: reply.headers,
                    body: ReplyBody::Full(body),
                };
                reply_response(reply, query::CONTENT_TYPE)
            }
            Err(error) => fail(error),
        }
    }

    async fn rest_request<B>(
        &self,
        service: Arc<dyn RestService>,
        request_id: &str,
        parts: http::request::Parts,
        body: B,
        claim: Result<Option<SignatureClaim>, AwsError>,
        log: &mut LogFields,
    ) -> Response<ResponseBody>
    where
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let fail = |error: AwsError| rendered(service.render_error(&error, request_id, &parts.method, &parts.uri));
        let signed = self.signed_body(
            service.signing_name(),
            request_id,
            &parts,
            body,
            claim,
            "IncompleteBody",
            (PathEncoding::Single, service.body_bytes_max()),
        );
        let (claim, body, principal) = match signed.await {
            Ok(signed) => signed,
            Err(error) => return fail(error),
        };
        let streaming = parts
            .headers
            .get("x-amz-content-sha256")
            .is_some_and(|v| v.as_bytes().starts_with(b"STREAMING-AWS4-HMAC-SHA256-PAYLOAD"));
        let chunk_signing = match (&claim.location, streaming) {
            (sigv4::claim::SignatureLocation::Header, true) => self
                .config
                .credentials
                .lookup(&claim.access_key_id, claim.session_token.as_deref())
                .map(|credential| Arc::new(sigv4::ChunkSigning::new(&claim, &credential.secret_access_key))),
            _ => None,
        };
        let region = claim.scope.region;
        self.call_rest(service, request_id, parts, body, (region, chunk_signing), principal, log).await
    }

    /// A REST request presigned with SigV2 query parameters: the service checks the signature
    /// under the access key's secret; the region is S3's global one.
    async fn legacy_rest_request<B>(
        &self,
        service: Arc<dyn RestService>,
        (access_key_id, session_token): (String, Option<String>),
        request_id: &str,
        parts: http::request::Parts,
        body: B,
        log: &mut LogFields,
    ) -> Response<ResponseBody>
    where
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let fail = |error: AwsError| rendered(service.render_error(&error, request_id, &parts.method, &parts.uri));
        let Some(credential) = self.config.credentials.lookup(&access_key_id, session_token.as_deref()) else {
            return fail(AwsError::unrecognized_client());
        };
        let now = AmzDate::from_system_time(self.clock.now()).unix_seconds();
        if let Err(error) = service.verify_legacy_presigned(&parts, &credential.secret_access_key, now) {
            return fail(error);
        }
        let body = match body::read_bounded(body, content_length(&parts), service.body_bytes_max()).await {
            Ok(body) => body,
            Err(BodyError::TooLarge) => return fail(AwsError::request_entity_too_large(service.body_bytes_max())),
            Err(BodyError::Read(_)) => {
                return fail(AwsError::bad_request("IncompleteBody", "The request body could not be read."))
            }
        };
        let principal = Principal { access_key_id: credential.access_key_id, account_id: credential.account_id };
        self.call_rest(service, request_id, parts, body, ("us-east-1".to_string(), None), principal, log).await
    }

    /// Calls a REST service on an authenticated request, catching its panics.
    #[allow(clippy::too_many_arguments)]
    async fn call_rest(
        &self,
        service: Arc<dyn RestService>,
        request_id: &str,
        parts: http::request::Parts,
        body: Bytes,
        (region, chunk_signing): (String, Option<Arc<sigv4::ChunkSigning>>),
        principal: Principal,
        log: &mut LogFields,
    ) -> Response<ResponseBody> {
        let fail = |error: AwsError| rendered(service.render_error(&error, request_id, &parts.method, &parts.uri));
        log.operation = format!("{} {}", parts.method, parts.uri.path());
        let ctx = RequestContext {
            request_id: request_id.to_string(),
            service: service.signing_name(),
            operation: String::new(),
            region,
            principal,
            headers: parts.headers.clone(),
            cbor: false,
            chunk_signing,
        };
        let call = std::panic::catch_unwind(AssertUnwindSafe(|| {
            service.call(ctx, parts.method.clone(), parts.uri.clone(), body)
        }));
        let outcome = match call {
            Ok(future) => AssertUnwindSafe(future).catch_unwind().await.unwrap_or_else(|panic| {
                tracing::error!(request_id, panic = panic_message(&*panic), "service panicked");
                Err(AwsError::internal_failure())
            }),
            Err(panic) => {
                tracing::error!(request_id, panic = panic_message(&*panic), "service panicked");
                Err(AwsError::internal_failure())
            }
        };
        match outcome {
            Ok(reply) => reply_response(reply, "application/xml"),
            Err(error) => fail(error),
        }
    }

    /// The checks every signed protocol shares: a signature scoped to the
    /// service, a body within its bound (`unreadable` is the protocol's
    /// code for a body that cannot be read), and a signature that verifies.
    #[allow(clippy::too_many_arguments)]
    async fn signed_body<B>(
        &self,
        signing_name: &'static str,
        request_id: &str,
        parts: &http::request::Parts,
        body: B,
        claim: Result<Option<SignatureClaim>, AwsError>,
        unreadable: &'static str,
        (path_encoding, body_bytes_max): (PathEncoding, usize),
    ) -> Result<(SignatureClaim, Bytes, Principal), AwsError>
    where
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let claim = claim?.ok_or_else(AwsError::missing_authentication_token)?;
        if claim.scope.service != signing_name {
            return Err(AwsError::credential_wrong_service(signing_name));
        }
        let body = match body::read_bounded(body, content_length(parts), body_bytes_max).await {
            Ok(body) => body,
            Err(BodyError::TooLarge) => return Err(AwsError::request_entity_too_large(body_bytes_max)),
            Err(BodyError::Read(error)) => {
                tracing::debug!(request_id, %error, "request body could not be read");
                return Err(AwsError::bad_request(unreadable, "The request body could not be read."));
            }
        };
        let principal = self.authenticate(&claim, parts, &body, path_encoding)?;
        Ok((claim, body, principal))
    }

    /// Looks up the signing key and verifies the signature; the principal on success.
    fn authenticate(
        &self,
        claim: &SignatureClaim,
        parts: &http::request::Parts,
        body: &[u8],
        path_encoding: PathEncoding,
    ) -> Result<Principal, AwsError> {
        let credential = self
            .config
            .credentials
            .lookup(&claim.access_key_id, claim.session_token.as_deref())
            .ok_or_else(AwsError::unrecognized_client)?;
        let now = AmzDate::from_system_time(self.clock.now());
        sigv4::verify(claim, &credential, parts, body, now, self.config.clock_skew_max, path_encoding)?;
        Ok(Principal { access_key_id: credential.access_key_id, account_id: credential.account_id })
    }
}

/// The answer to a request no service can be found for (or a non-POST to a JSON service):
/// bare XML 403s for non-POST requests, `UnknownOperationException` for POSTs, as Kinesis answers.
fn unroutable(method: &Method, claim: &Result<Option<SignatureClaim>, AwsError>) -> Response<ResponseBody> {
    if method == Method::POST {
        return rendered(json::render_error(&AwsError::unknown_operation(), DEFAULT_JSON_VERSION));
    }
    let error = match claim {
        Ok(None) => AwsError { status: http::StatusCode::FORBIDDEN, ..AwsError::missing_authentication_token() },
        _ => AwsError::access_denied_no_operation(),
    };
    rendered(bare_xml::render_error(&error))
}

/// Calls the service, turning a panic (while creating or while polling its future) into
/// `InternalFailure` so that one bad request cannot take its connection down.
async fn call_json_service(service: &dyn JsonService, ctx: RequestContext, body: Bytes) -> Result<Reply, AwsError> {
    let (request_id, operation) = (ctx.request_id.clone(), ctx.operation.clone());
    let log_panic = |panic: &(dyn std::any::Any + Send)| {
        tracing::error!(request_id, operation, panic = panic_message(panic), "service panicked");
        AwsError::internal_failure()
    };
    let future = match std::panic::catch_unwind(AssertUnwindSafe(|| service.call(ctx, body))) {
        Ok(future) => future,
        Err(panic) => return Err(log_panic(&*panic)),
    };
    match AssertUnwindSafe(future).catch_unwind().await {
        Ok(result) => result,
        Err(panic) => Err(log_panic(&*panic)),
    }
}

fn reply_response(reply: Reply, default_content_type: &'static str) -> Response<ResponseBody> {
    let body = match reply.body {
        ReplyBody::Full(bytes) => full(bytes),
        ReplyBody::Stream(stream) => {
            // A panic mid-stream aborts the response (an error frame) instead of ending it cleanly,
            // so the client cannot mistake a truncated body for a complete one.
            let frames = AssertUnwindSafe(stream).catch_unwind().map(|chunk| match chunk {
                Ok(bytes) => Ok(Frame::data(bytes)),
                Err(panic) => {
                    tracing::error!(panic = panic_message(&*panic), "response stream panicked");
                    Err(BoxError::from("response stream panicked"))
                }
            });
            StreamBody::new(frames).boxed_unsync()
        }
    };
    let mut response = Response::new(body);
    *response.status_mut() = reply.status;
    // A content type among the reply's headers (S3 objects have arbitrary ones) wins.
    if !reply.headers.iter().any(|(name, _)| name == header::CONTENT_TYPE) {
        let content_type = reply.content_type.unwrap_or(default_content_type);
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    for (name, value) in reply.headers {
        response.headers_mut().append(name, value);
    }
    response
}

fn rendered(error: RenderedError) -> Response<ResponseBody> {
    let mut response = Response::new(full(error.body));
    *response.status_mut() = error.status;
    if let Some(content_type) = error.content_type {
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    response
}

fn full(bytes: Bytes) -> ResponseBody {
    Full::new(bytes).map_err(|never| match never {}).boxed_unsync()
}

/// The access key (and session token) of a SigV2 presigned request: `AWSAccessKeyId` with
/// `Signature` among the query parameters.
fn legacy_presigned_access_key(parts: &http::request::Parts) -> Option<(String, Option<String>)> {
    let query = parts.uri.query()?;
    let mut access_key = None;
    let (mut signed, mut token) = (false, None);
    for (name, value) in sigv4::canonical::query_pairs(query) {
        match name.as_slice() {
            b"AWSAccessKeyId" => access_key = Some(String::from_utf8_lossy(&value).into_owned()),
            b"Signature" => signed = true,
            b"x-amz-security-token" => token = Some(String::from_utf8_lossy(&value).into_owned()),
            _ => {}
        }
    }
    access_key.filter(|_| signed).map(|key| (key, token))
}

fn content_length(parts: &http::request::Parts) -> Option<u64> {
    parts.headers.get(header::CONTENT_LENGTH)?.to_str().ok()?.parse().ok()
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> &str {
    panic
        .downcast_ref::<&'static str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("<non-string panic>")
}
