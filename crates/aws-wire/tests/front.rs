//! The front over real loopback HTTP: requests signed by AWS's own signer (`aws-sigv4`) against a
//! small echo service, so routing, authentication, protocol and server behaviour are checked the
//! way SDK clients exercise them.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SignatureLocation, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use aws_wire::{
    serve, AwsError, Clock, Credential, CredentialStore, Front, FrontConfig, JsonService, Reply, ReplyBody,
    RequestContext, StaticCredentials,
};
use bytes::Bytes;
use futures::future::BoxFuture;
use futures::FutureExt;
use http::{HeaderMap, Request, StatusCode};
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Frame;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

const ACCESS_KEY: &str = "AKIDKINESDTEST";
const SECRET: &str = "kinesd/test/secret+key";
const ACCOUNT: &str = "123456789012";
const REGION: &str = "eu-west-1";
const KINESIS_TARGET: &str = "Kinesis_20131202";
const DYNAMO_TARGET: &str = "DynamoDB_20120810";
const SIGNATURE_MISMATCH: &str = "The request signature we calculated does not match the signature you provided. \
                                  Check your AWS Secret Access Key and signing method. Consult the service \
                                  documentation for details.";
/// 2024-01-01T00:25:00Z, the pinned server time of the clock-skew tests.
const PINNED_NOW_UNIX: u64 = 1_704_068_700;
/// How long the `Slow` operation takes: long enough to be in flight when shutdown is asked for.
const SLOW_OPERATION: Duration = Duration::from_millis(400);
/// How long `Stuck` takes: far longer than any drain timeout in these tests.
const STUCK_OPERATION: Duration = Duration::from_secs(30);

// ------------------------------------------------------------------ the service under the front

/// What the echo service saw of one call.
#[derive(Clone, Debug)]
struct Seen {
    ctx: RequestContext,
    body: Bytes,
}

/// An awsJson service whose operations exercise the front: echo, fail, panic, slow, stream.
struct EchoService {
    signing_name: &'static str,
    target_prefix: &'static str,
    json_version: &'static str,
    seen: Mutex<Vec<Seen>>,
}

impl EchoService {
    fn new(signing_name: &'static str, target_prefix: &'static str, json_version: &'static str) -> Arc<Self> {
        Arc::new(EchoService { signing_name, target_prefix, json_version, seen: Mutex::new(Vec::new()) })
    }

    fn calls(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

impl JsonService for EchoService {
    fn signing_name(&self) -> &'static str {
        self.signing_name
    }

    fn target_prefix(&self) -> &'static str {
        self.target_prefix
    }

    fn json_version(&self) -> &'static str {
        self.json_version
    }

    fn has_operation(&self, operation: &str) -> bool {
        ["Echo", "Fail", "Panic", "PanicNow", "Slow", "Stuck", "Stream"].contains(&operation)
    }

    fn call(&self, ctx: RequestContext, body: Bytes) -> BoxFuture<'static, Result<Reply, AwsError>> {
        self.seen.lock().unwrap().push(Seen { ctx: ctx.clone(), body: body.clone() });
        match ctx.operation.as_str() {
            "PanicNow" => panic!("service panicked before returning a future"),
            "Panic" => async { panic!("service panicked inside its future") }.boxed(),
            "Fail" => async { Err(AwsError::bad_request("ResourceNotFoundException", "Stream s not found.")) }.boxed(),
            "Slow" => async {
                tokio::time::sleep(SLOW_OPERATION).await;
                Ok(Reply::json(Bytes::from_static(b"{\"slow\":true}")))
            }
            .boxed(),
            "Stuck" => async {
                tokio::time::sleep(STUCK_OPERATION).await;
                Ok(Reply::json(Bytes::new()))
            }
            .boxed(),
            "Stream" => async {
                let chunks = futures::stream::iter([Bytes::from_static(b"ab"), Bytes::from_static(b"cd")]);
                Ok(Reply {
                    status: StatusCode::OK,
                    content_type: Some("application/vnd.amazon.eventstream"),
                    headers: Vec::new(),
                    body: ReplyBody::Stream(Box::pin(chunks)),
                })
            }
            .boxed(),
            _ => async move { Ok(Reply::json(body)) }.boxed(),
        }
    }
}

/// Remembers the session tokens it was asked about.
struct RecordingStore {
    inner: StaticCredentials,
    session_tokens: Mutex<Vec<Option<String>>>,
}

impl CredentialStore for RecordingStore {
    fn lookup(&self, access_key_id: &str, session_token: Option<&str>) -> Option<Credential> {
        self.session_tokens.lock().unwrap().push(session_token.map(str::to_string));
        self.inner.lookup(access_key_id, session_token)
    }
}

struct PinnedClock(SystemTime);

impl Clock for PinnedClock {
    fn now(&self) -> SystemTime {
        self.0
    }
}

// ------------------------------------------------------------------ server harness

struct Harness {
    addr: std::net::SocketAddr,
    kinesis: Arc<EchoService>,
    dynamo: Arc<EchoService>,
    store: Arc<RecordingStore>,
    shutdown: Option<oneshot::Sender<()>>,
    served: tokio::task::JoinHandle<std::io::Result<()>>,
}

struct Options {
    body_bytes_max: usize,
    clock: Option<SystemTime>,
    drain_timeout: Duration,
    connections_max: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            body_bytes_max: 64 * 1024,
            clock: None,
            drain_timeout: Duration::from_secs(5),
            connections_max: aws_wire::CONNECTIONS_MAX_DEFAULT,
        }
    }
}

async fn start(options: Options) -> Harness {
    let credential =
        Credential { access_key_id: ACCESS_KEY.into(), secret_access_key: SECRET.into(), account_id: ACCOUNT.into() };
    let store = Arc::new(RecordingStore {
        inner: StaticCredentials::new(vec![credential]),
        session_tokens: Mutex::new(Vec::new()),
    });
    let mut config = FrontConfig::new(store.clone());
    config.body_bytes_max = options.body_bytes_max;
    config.drain_timeout = options.drain_timeout;
    let mut front = Front::new(config);
    let kinesis = EchoService::new("kinesis", KINESIS_TARGET, "1.1");
    let dynamo = EchoService::new("dynamodb", DYNAMO_TARGET, "1.0");
    front.register_json(kinesis.clone());
    front.register_json(dynamo.clone());
    front.set_connections_max(options.connections_max);
    if let Some(now) = options.clock {
        front.set_clock(Arc::new(PinnedClock(now)));
    }
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (shutdown, stop) = oneshot::channel::<()>();
    let served = tokio::spawn(serve(listener, Arc::new(front), async move {
        let _ = stop.await;
    }));
    Harness { addr, kinesis, dynamo, store, shutdown: Some(shutdown), served }
}

// ------------------------------------------------------------------ signing and sending

/// How to sign a test request.
struct Signing {
    access_key: &'static str,
    secret: &'static str,
    service: &'static str,
    time: SystemTime,
    location: SignatureLocation,
    expires_in: Option<Duration>,
    session_token: Option<&'static str>,
}

impl Signing {
    fn valid(service: &'static str) -> Self {
        Signing {
            access_key: ACCESS_KEY,
            secret: SECRET,
            service,
            time: SystemTime::now(),
            location: SignatureLocation::Headers,
            expires_in: None,
            session_token: None,
        }
    }
}

/// A JSON request to `uri` with `X-Amz-Target: <target>`, signed when `signing` is given.
fn json_request(
    uri: &str,
    host: Option<&str>,
    target: Option<&str>,
    body: &'static [u8],
    signing: Option<Signing>,
) -> Request<Full<Bytes>> {
    let mut builder = Request::builder().method("POST").uri(uri).header("content-type", "application/x-amz-json-1.1");
    if let Some(host) = host {
        builder = builder.header("host", host);
    }
    if let Some(target) = target {
        builder = builder.header("x-amz-target", target);
    }
    let mut request = builder.body(Full::new(Bytes::from_static(body))).unwrap();
    if let Some(signing) = signing {
        sign_request(&mut request, body, &signing);
    }
    request
}

fn sign_request(request: &mut Request<Full<Bytes>>, body: &[u8], signing: &Signing) {
    let identity: Identity =
        Credentials::new(signing.access_key, signing.secret, signing.session_token.map(str::to_string), None, "test")
            .into();
    let mut settings = SigningSettings::default();
    settings.signature_location = signing.location;
    settings.expires_in = signing.expires_in;
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(REGION)
        .name(signing.service)
        .time(signing.time)
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let uri = request.uri().to_string();
    let headers: Vec<(String, String)> =
        request.headers().iter().map(|(n, v)| (n.as_str().to_string(), v.to_str().unwrap().to_string())).collect();
    let signable = SignableRequest::new(
        request.method().as_str(),
        uri,
        headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
        SignableBody::Bytes(body),
    )
    .unwrap();
    let (instructions, _signature) = sign(signable, &params).unwrap().into_parts();
    instructions.apply_to_request_http1x(request);
}

/// A response read whole.
#[derive(Debug)]
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Answer {
    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{e}: {:?}", self.body))
    }

    /// Asserts an AWS JSON error with exactly this status, code and message (and a request id).
    fn assert_error(&self, status: u16, code: &str, message: &str) {
        assert_eq!(self.status.as_u16(), status, "{self:?}");
        let mut expected = serde_json::json!({ "__type": code });
        if !message.is_empty() {
            expected["message"] = message.into();
        }
        assert_eq!(self.json(), expected);
        assert_eq!(self.headers["content-type"], "application/x-amz-json-1.1");
        assert_request_id(&self.headers);
    }
}

fn assert_request_id(headers: &HeaderMap) {
    let id = headers.get("x-amzn-requestid").expect("x-amzn-RequestId on every response").to_str().unwrap();
    let uuid = uuid::Uuid::parse_str(id).expect("request id is a UUID");
    assert_eq!(uuid.get_version_num(), 4);
}

/// An HTTP/1.1 connection that can carry several requests.
struct H1 {
    sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
}

impl H1 {
    async fn connect(addr: std::net::SocketAddr) -> H1 {
        let stream = TcpStream::connect(addr).await.unwrap();
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.unwrap();
        tokio::spawn(connection);
        H1 { sender }
    }

    async fn send(&mut self, request: Request<Full<Bytes>>) -> Answer {
        self.sender.ready().await.unwrap();
        let response = self.sender.send_request(request).await.unwrap();
        read(response).await
    }
}

async fn read(response: http::Response<hyper::body::Incoming>) -> Answer {
    let (parts, body) = response.into_parts();
    Answer { status: parts.status, headers: parts.headers, body: body.collect().await.unwrap().to_bytes() }
}

/// Sends one request on a fresh HTTP/1.1 connection.
async fn send_h1(addr: std::net::SocketAddr, request: Request<Full<Bytes>>) -> Answer {
    H1::connect(addr).await.send(request).await
}

fn host(harness: &Harness) -> String {
    harness.addr.to_string()
}

fn kinesis(harness: &Harness, operation: &str, body: &'static [u8], signing: Option<Signing>) -> Request<Full<Bytes>> {
    json_request("/", Some(&host(harness)), Some(&format!("{KINESIS_TARGET}.{operation}")), body, signing)
}

fn pinned_now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(PINNED_NOW_UNIX)
}

// ------------------------------------------------------------------ tests

#[tokio::test]
async fn valid_request_reaches_the_service_with_its_context() {
    let h = start(Options::default()).await;
    let answer = send_h1(h.addr, kinesis(&h, "Echo", br#"{"StreamName":"s"}"#, Some(Signing::valid("kinesis")))).await;

    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.headers["content-type"], "application/x-amz-json-1.1");
    assert_eq!(&answer.body[..], br#"{"StreamName":"s"}"#);
    assert_request_id(&answer.headers);
    let calls = h.kinesis.calls();
    assert_eq!(calls.len(), 1);
    let ctx = &calls[0].ctx;
    assert_eq!(ctx.service, "kinesis");
    assert_eq!(ctx.operation, "Echo");
    assert_eq!(ctx.region, REGION);
    assert_eq!(ctx.principal.access_key_id, ACCESS_KEY);
    assert_eq!(ctx.principal.account_id, ACCOUNT);
    assert_eq!(ctx.request_id, answer.headers["x-amzn-requestid"].to_str().unwrap());
    assert_eq!(ctx.headers["x-amz-target"], "Kinesis_20131202.Echo");
    assert_eq!(&calls[0].body[..], br#"{"StreamName":"s"}"#);
    assert!(h.dynamo.calls().is_empty());
}

#[tokio::test]
async fn json_1_0_service_answers_in_its_content_type() {
    let h = start(Options::default()).await;
    let request =
        json_request("/", Some(&host(&h)), Some("DynamoDB_20120810.Fail"), b"{}", Some(Signing::valid("dynamodb")));
    let answer = send_h1(h.addr, request).await;
    assert_eq!(answer.status.as_u16(), 400);
    assert_eq!(answer.headers["content-type"], "application/x-amz-json-1.0");
    assert_eq!(
        answer.json(),
        serde_json::json!({"__type": "ResourceNotFoundException", "message": "Stream s not found."})
    );
    assert_eq!(h.dynamo.calls()[0].ctx.service, "dynamodb");
}

#[tokio::test]
async fn missing_authorization_is_missing_authentication_token() {
    let h = start(Options::default()).await;
    let answer = send_h1(h.addr, kinesis(&h, "Echo", b"{}", None)).await;
    answer.assert_error(400, "MissingAuthenticationTokenException", "Missing Authentication Token");
    assert!(h.kinesis.calls().is_empty());
}

#[tokio::test]
async fn unknown_access_key_is_unrecognized_client() {
    let h = start(Options::default()).await;
    let signing = Signing { access_key: "AKIDNOBODY", ..Signing::valid("kinesis") };
    let answer = send_h1(h.addr, kinesis(&h, "Echo", b"{}", Some(signing))).await;
    answer.assert_error(400, "UnrecognizedClientException", "The security token included in the request is invalid.");
    assert!(h.kinesis.calls().is_empty());
}

#[tokio::test]
async fn wrong_secret_is_invalid_signature() {
    let h = start(Options::default()).await;
    let signing = Signing { secret: "not-the-secret", ..Signing::valid("kinesis") };
    let answer = send_h1(h.addr, kinesis(&h, "Echo", b"{}", Some(signing))).await;
    answer.assert_error(400, "InvalidSignatureException", SIGNATURE_MISMATCH);
    assert!(h.kinesis.calls().is_empty());
}

#[tokio::test]
async fn body_changed_after_signing_is_invalid_signature() {
    let h = start(Options::default()).await;
    let mut request = kinesis(&h, "Echo", br#"{"a":1}"#, Some(Signing::valid("kinesis")));
    *request.body_mut() = Full::new(Bytes::from_static(br#"{"a":2}"#));
    let answer = send_h1(h.addr, request).await;
    answer.assert_error(400, "InvalidSignatureException", SIGNATURE_MISMATCH);
    assert!(h.kinesis.calls().is_empty());
}

#[tokio::test]
async fn signature_older_than_fifteen_minutes_is_expired() {
    let h = start(Options { clock: Some(pinned_now()), ..Options::default() }).await;
    let signing = Signing { time: pinned_now() - Duration::from_secs(25 * 60), ..Signing::valid("kinesis") };
    let answer = send_h1(h.addr, kinesis(&h, "Echo", b"{}", Some(signing))).await;
    answer.assert_error(
        400,
        "InvalidSignatureException",
        "Signature expired: 20240101T000000Z is now earlier than 20240101T001000Z (20240101T002500Z - 15 min.)",
    );
    assert!(h.kinesis.calls().is_empty());
}

#[tokio::test]
async fn signature_more_than_fifteen_minutes_ahead_is_not_yet_current() {
    let h = start(Options { clock: Some(pinned_now()), ..Options::default() }).await;
    let signing = Signing { time: pinned_now() + Duration::from_secs(25 * 60), ..Signing::valid("kinesis") };
    let answer = send_h1(h.addr, kinesis(&h, "Echo", b"{}", Some(signing))).await;
    answer.assert_error(
        400,
        "InvalidSignatureException",
        "Signature not yet current: 20240101T005000Z is still later than 20240101T004000Z (20240101T002500Z + 15 min.)",
    );
    assert!(h.kinesis.calls().is_empty());
}

#[tokio::test]
async fn signature_within_fifteen_minutes_either_way_is_accepted() {
    let h = start(Options { clock: Some(pinned_now()), ..Options::default() }).await;
    for offset_seconds in [-14 * 60_i64, 14 * 60] {
        let time = UNIX_EPOCH + Duration::from_secs(PINNED_NOW_UNIX.checked_add_signed(offset_seconds).unwrap());
        let signing = Signing { time, ..Signing::valid("kinesis") };
        let answer = send_h1(h.addr, kinesis(&h, "Echo", b"{}", Some(signing))).await;
        assert_eq!(answer.status, StatusCode::OK, "offset {offset_seconds}s: {answer:?}");
    }
    assert_eq!(h.kinesis.calls().len(), 2);
}

#[tokio::test]
async fn h2_prior_knowledge_request_is_served() {
    let h = start(Options::default()).await;
    let stream = TcpStream::connect(h.addr).await.unwrap();
    let (mut sender, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream)).await.unwrap();
    tokio::spawn(connection);
    // HTTP/2 carries the host as :authority (in the absolute URI), with no Host header.
    let uri = format!("http://{}/", h.addr);
    let request =
        json_request(&uri, None, Some("Kinesis_20131202.Echo"), b"{\"h2\":1}", Some(Signing::valid("kinesis")));
    let response = sender.send_request(request).await.unwrap();
    assert_eq!(response.version(), http::Version::HTTP_2);
    let answer = read(response).await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    assert_eq!(&answer.body[..], b"{\"h2\":1}");
    assert_request_id(&answer.headers);
    assert_eq!(h.kinesis.calls().len(), 1);
}

#[tokio::test]
async fn unknown_or_missing_target_is_unknown_operation() {
    let h = start(Options::default()).await;
    let unknown = send_h1(h.addr, kinesis(&h, "NoSuchOperation", b"{}", Some(Signing::valid("kinesis")))).await;
    unknown.assert_error(400, "UnknownOperationException", "");
    let missing = json_request("/", Some(&host(&h)), None, b"{}", Some(Signing::valid("kinesis")));
    send_h1(h.addr, missing).await.assert_error(400, "UnknownOperationException", "");
    // As on AWS, the operation is judged before authentication.
    send_h1(h.addr, kinesis(&h, "NoSuchOperation", b"{}", None)).await.assert_error(
        400,
        "UnknownOperationException",
        "",
    );
    assert!(h.kinesis.calls().is_empty());
}

#[tokio::test]
async fn target_of_another_service_is_unknown_operation() {
    let h = start(Options::default()).await;
    let request =
        json_request("/", Some(&host(&h)), Some("DynamoDB_20120810.Echo"), b"{}", Some(Signing::valid("kinesis")));
    send_h1(h.addr, request).await.assert_error(400, "UnknownOperationException", "");
    assert!(h.kinesis.calls().is_empty());
    assert!(h.dynamo.calls().is_empty());
}

#[tokio::test]
async fn scope_of_an_unregistered_service_is_invalid_signature_naming_the_right_one() {
    let h = start(Options::default()).await;
    let answer = send_h1(h.addr, kinesis(&h, "Echo", b"{}", Some(Signing::valid("monitoring")))).await;
    answer.assert_error(
        400,
        "InvalidSignatureException",
        "Credential should be scoped to correct service: 'kinesis'. ",
    );
    let untargeted = json_request("/", Some(&host(&h)), Some("Nobody_1.Op"), b"{}", Some(Signing::valid("monitoring")));
    send_h1(h.addr, untargeted).await.assert_error(400, "UnknownOperationException", "");
    assert!(h.kinesis.calls().is_empty());
}

#[tokio::test]
async fn oversized_body_is_413_without_calling_the_service() {
    let h = start(Options { body_bytes_max: 1024, ..Options::default() }).await;
    static BIG: [u8; 4096] = [b' '; 4096];
    let declared = kinesis(&h, "Echo", &BIG, Some(Signing::valid("kinesis")));
    send_h1(h.addr, declared).await.assert_error(
        413,
        "RequestEntityTooLargeException",
        "Request body is larger than the maximum of 1024 bytes.",
    );

    // Chunked, with no Content-Length: cut off once the bound is crossed.
    let stream = TcpStream::connect(h.addr).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.unwrap();
    tokio::spawn(connection);
    let chunks = futures::stream::iter(
        (0..8).map(|_| Ok::<_, std::convert::Infallible>(Frame::data(Bytes::from_static(&BIG[..512])))),
    );
    let mut signed = kinesis(&h, "Echo", b"", Some(Signing::valid("kinesis")));
    signed.headers_mut().remove("content-length");
    let (parts, _) = signed.into_parts();
    let response = sender.send_request(Request::from_parts(parts, StreamBody::new(chunks))).await.unwrap();
    read(response).await.assert_error(
        413,
        "RequestEntityTooLargeException",
        "Request body is larger than the maximum of 1024 bytes.",
    );
    assert!(h.kinesis.calls().is_empty());
}

#[tokio::test]
async fn panic_in_a_service_is_internal_failure_and_the_connection_survives() {
    let h = start(Options::default()).await;
    let mut connection = H1::connect(h.addr).await;
    for operation in ["Panic", "PanicNow"] {
        let answer = connection.send(kinesis(&h, operation, b"{}", Some(Signing::valid("kinesis")))).await;
        answer.assert_error(
            500,
            "InternalFailure",
            "The request processing has failed because of an unknown error, exception or failure.",
        );
    }
    let after = connection.send(kinesis(&h, "Echo", b"{\"ok\":1}", Some(Signing::valid("kinesis")))).await;
    assert_eq!(after.status, StatusCode::OK);
    assert_eq!(&after.body[..], b"{\"ok\":1}");
}

#[tokio::test]
async fn graceful_shutdown_lets_an_in_flight_request_finish() {
    let mut h = start(Options::default()).await;
    let request = kinesis(&h, "Slow", b"{}", Some(Signing::valid("kinesis")));
    let addr = h.addr;
    let in_flight = tokio::spawn(async move { send_h1(addr, request).await });
    // Shut down while the slow operation is running.
    while h.kinesis.calls().is_empty() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    h.shutdown.take().unwrap().send(()).unwrap();
    let answer = in_flight.await.unwrap();
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(&answer.body[..], b"{\"slow\":true}");
    tokio::time::timeout(Duration::from_secs(5), &mut h.served).await.unwrap().unwrap().unwrap();
    assert!(TcpStream::connect(addr).await.is_err(), "no longer accepting after shutdown");
}

#[tokio::test]
async fn drain_timeout_bounds_shutdown() {
    let mut h = start(Options { drain_timeout: Duration::from_millis(50), ..Options::default() }).await;
    let request = kinesis(&h, "Stuck", b"{}", Some(Signing::valid("kinesis")));
    let addr = h.addr;
    let in_flight = tokio::spawn(async move {
        let stream = TcpStream::connect(addr).await.unwrap();
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.unwrap();
        tokio::spawn(connection);
        sender.send_request(request).await.is_err()
    });
    while h.kinesis.calls().is_empty() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    h.shutdown.take().unwrap().send(()).unwrap();
    // serve returns after the drain timeout, long before the stuck operation would have finished.
    tokio::time::timeout(STUCK_OPERATION / 10, &mut h.served).await.unwrap().unwrap().unwrap();
    assert!(in_flight.await.unwrap(), "the cut-off request fails rather than hanging");
}

#[tokio::test]
async fn non_post_is_access_denied_in_bare_xml() {
    let h = start(Options::default()).await;
    let mut signed = kinesis(&h, "Echo", b"", Some(Signing::valid("kinesis")));
    *signed.method_mut() = http::Method::GET;
    let answer = send_h1(h.addr, signed).await;
    assert_eq!(answer.status.as_u16(), 403);
    assert_eq!(
        &answer.body[..],
        b"<AccessDeniedException>\n  <Message>Unable to determine service/operation name to be authorized</Message>\n</AccessDeniedException>\n"
    );
    assert!(answer.headers.get("content-type").is_none());
    assert_request_id(&answer.headers);

    let unsigned = Request::get("/").header("host", host(&h)).body(Full::new(Bytes::new())).unwrap();
    let answer = send_h1(h.addr, unsigned).await;
    assert_eq!(answer.status.as_u16(), 403);
    assert_eq!(
        &answer.body[..],
        b"<MissingAuthenticationTokenException>\n  <Message>Missing Authentication Token</Message>\n</MissingAuthenticationTokenException>\n"
    );
    assert!(h.kinesis.calls().is_empty());
}

#[tokio::test]
async fn presigned_query_authentication_is_accepted_and_expires() {
    let h = start(Options { clock: Some(pinned_now()), ..Options::default() }).await;
    let presigned = |time| Signing {
        time,
        location: SignatureLocation::QueryParams,
        expires_in: Some(Duration::from_secs(300)),
        ..Signing::valid("kinesis")
    };
    let answer = send_h1(h.addr, kinesis(&h, "Echo", b"{\"q\":1}", Some(presigned(pinned_now())))).await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    assert_eq!(h.kinesis.calls().len(), 1);

    let stale = pinned_now() - Duration::from_secs(301);
    let answer = send_h1(h.addr, kinesis(&h, "Echo", b"{}", Some(presigned(stale)))).await;
    answer.assert_error(
        400,
        "InvalidSignatureException",
        "Signature expired: 20240101T001959Z is now earlier than 20240101T002000Z (20240101T002500Z - 300 sec.)",
    );
    assert_eq!(h.kinesis.calls().len(), 1);
}

#[tokio::test]
async fn session_token_reaches_the_credential_store() {
    let h = start(Options::default()).await;
    let signing = Signing { session_token: Some("session-token-1"), ..Signing::valid("kinesis") };
    let answer = send_h1(h.addr, kinesis(&h, "Echo", b"{}", Some(signing))).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(h.store.session_tokens.lock().unwrap().as_slice(), [Some("session-token-1".to_string())]);
}

#[tokio::test]
async fn streamed_reply_is_sent_with_its_content_type() {
    let h = start(Options::default()).await;
    let answer = send_h1(h.addr, kinesis(&h, "Stream", b"{}", Some(Signing::valid("kinesis")))).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.headers["content-type"], "application/vnd.amazon.eventstream");
    assert_eq!(&answer.body[..], b"abcd");
    assert_request_id(&answer.headers);
}

#[tokio::test]
async fn connections_beyond_the_bound_wait_for_a_free_slot() {
    let h = start(Options { connections_max: 1, ..Options::default() }).await;
    let mut first = H1::connect(h.addr).await;
    let answer = first.send(kinesis(&h, "Echo", b"{}", Some(Signing::valid("kinesis")))).await;
    assert_eq!(answer.status, StatusCode::OK);

    // The second connection sits in the backlog while the first stays open...
    let request = kinesis(&h, "Echo", b"{\"second\":1}", Some(Signing::valid("kinesis")));
    let addr = h.addr;
    let mut second = tokio::spawn(async move { send_h1(addr, request).await });
    assert!(tokio::time::timeout(Duration::from_millis(200), &mut second).await.is_err());
    assert_eq!(h.kinesis.calls().len(), 1);

    // ...and is served once the first one closes.
    drop(first);
    let answer = tokio::time::timeout(Duration::from_secs(5), second).await.unwrap().unwrap();
    assert_eq!(&answer.body[..], b"{\"second\":1}");
}
