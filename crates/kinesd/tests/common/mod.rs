//! A real kinesd process on an ephemeral port, and a small SigV4-signing
//! HTTP client (HTTP/1.1 or HTTP/2 prior knowledge) to talk to it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_kinesd");

/// A running `kinesd serve`; killed when dropped.
pub struct Server {
    pub child: Child,
    pub addr: String,
}

impl Server {
    /// Starts kinesd on `data_dir` with extra arguments and waits for its
    /// "listening" line.
    pub fn start(data_dir: &Path, extra: &[&str]) -> Server {
        let mut child = Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0", "--transition-delay-ms", "0", "--data-dir"])
            .arg(data_dir)
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start kinesd");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let addr = line
            .trim()
            .strip_prefix("kinesd listening on http://")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_string();
        Server { child, addr }
    }

    pub fn signal(&self, signal: i32) {
        // SAFETY: sending a signal to our own child process.
        unsafe { libc::kill(self.child.id() as i32, signal) };
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A response: status, headers, body.
pub struct Response {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

impl Response {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|_| panic!("not JSON: {:?}", self.body))
    }
}

/// How a request is signed.
#[derive(Clone)]
pub struct Signer {
    pub access_key: String,
    pub secret_key: String,
    pub region: String,
    pub time: SystemTime,
    pub sign: bool,
}

impl Default for Signer {
    fn default() -> Self {
        Signer {
            access_key: "test".into(),
            secret_key: "test".into(),
            region: "us-east-1".into(),
            time: SystemTime::now(),
            sign: true,
        }
    }
}

/// Builds a signed Kinesis awsJson request.
pub fn kinesis_request(addr: &str, target: &str, body: Vec<u8>, signer: &Signer) -> http::Request<Full<Bytes>> {
    let headers = [
        ("content-type", "application/x-amz-json-1.1".to_string()),
        ("x-amz-target", format!("Kinesis_20131202.{target}")),
    ];
    signed_request(addr, "kinesis", "POST", "/", &headers, body, signer)
}

/// Builds a request to any service (`signing_name` in the credential scope), signed by
/// `signer` unless it says not to; the payload is signed as its SHA-256.
pub fn signed_request(
    addr: &str,
    signing_name: &str,
    method: &str,
    path_and_query: &str,
    headers: &[(&str, String)],
    body: Vec<u8>,
    signer: &Signer,
) -> http::Request<Full<Bytes>> {
    let uri = format!("http://{addr}{path_and_query}");
    let mut builder = http::Request::builder().method(method).uri(&uri).header("host", addr);
    for (name, value) in headers {
        builder = builder.header(*name, value);
    }
    let mut request = builder.body(body).unwrap();
    if signer.sign {
        let identity = Credentials::new(&signer.access_key, &signer.secret_key, None, None, "test").into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&signer.region)
            .name(signing_name)
            .time(signer.time)
            .settings(SigningSettings::default())
            .build()
            .unwrap()
            .into();
        let headers: Vec<(&str, &str)> =
            request.headers().iter().map(|(k, v)| (k.as_str(), v.to_str().unwrap())).collect();
        let signable =
            SignableRequest::new(method, &uri, headers.into_iter(), SignableBody::Bytes(request.body())).unwrap();
        let (instructions, _) = sign(signable, &params).unwrap().into_parts();
        let mut headers = http::HeaderMap::new();
        for (name, value) in instructions.headers() {
            headers.insert(http::HeaderName::from_bytes(name.as_bytes()).unwrap(), value.parse().unwrap());
        }
        request.headers_mut().extend(headers);
    }
    request.map(|b| Full::new(Bytes::from(b)))
}

/// Sends one request over a fresh connection (HTTP/2 prior knowledge when `h2`).
pub async fn send(addr: &str, request: http::Request<Full<Bytes>>, h2: bool) -> Response {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let io = TokioIo::new(stream);
    let response = if h2 {
        let (mut sender, conn) = hyper::client::conn::http2::handshake(TokioExecutor::new(), io).await.unwrap();
        tokio::spawn(conn);
        sender.send_request(request).await.unwrap()
    } else {
        let (mut sender, conn) = hyper::client::conn::http1::handshake(io).await.unwrap();
        tokio::spawn(conn);
        sender.send_request(request).await.unwrap()
    };
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = tokio::time::timeout(Duration::from_secs(30), response.into_body().collect())
        .await
        .expect("response within 30 s")
        .unwrap()
        .to_bytes();
    Response { status, headers, body }
}

/// Calls a Kinesis operation with a JSON body, signed with test/test.
pub async fn call(addr: &str, target: &str, body: Value) -> Response {
    send(addr, kinesis_request(addr, target, body.to_string().into_bytes(), &Signer::default()), false).await
}
