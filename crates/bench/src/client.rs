//! One persistent connection to a Kinesis endpoint (HTTP/1.1 keep-alive or
//! h2c prior knowledge) that signs and sends awsJson 1.1 calls.
//!
//! Each load worker owns one `Connection`, so there is no pool to contend
//! on and `--connections` is exactly the number of TCP connections.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HOST};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde::Deserialize;

use crate::error::{BenchError, Result};
use crate::signing::{PreparedBody, Signer};

/// The awsJson 1.1 content type every Kinesis call uses.
const CONTENT_TYPE_JSON: &str = "application/x-amz-json-1.1";
/// `X-Amz-Target` prefix of Kinesis Data Streams API 2013-12-02.
const TARGET_PREFIX: &str = "Kinesis_20131202.";
/// How long one call may take before it counts as a transport error; far
/// above any healthy latency, it only keeps a hung endpoint from hanging the run.
const CALL_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a TCP connect plus handshake may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Where to send requests: `http://host:port` (TLS is not supported).
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// `host:port`, for both TCP connect and the Host header.
    pub authority: String,
    /// The request URI, `http://host:port/`, as signed.
    pub uri: String,
}

impl Endpoint {
    /// Parses `http://host[:port][/]`; the port defaults to 80.
    pub fn parse(url: &str) -> Result<Endpoint> {
        let rest = url.strip_prefix("http://").ok_or_else(|| {
            BenchError::Setup(format!("endpoint {url:?}: only http:// endpoints are supported (no TLS)"))
        })?;
        let authority = rest.trim_end_matches('/');
        if authority.is_empty() || authority.contains('/') {
            return Err(BenchError::Setup(format!("endpoint {url:?}: expected http://host:port")));
        }
        let authority = if authority.contains(':') { authority.to_string() } else { format!("{authority}:80") };
        Ok(Endpoint { uri: format!("http://{authority}/"), authority })
    }
}

/// What every connection shares: where to go, how to sign, which protocol.
pub struct ClientConfig {
    pub endpoint: Endpoint,
    pub signer: Signer,
    pub h2: bool,
}

/// A successful answer (HTTP 200) with its raw body.
pub type Answer = Bytes;

enum Sender {
    H1(http1::SendRequest<Full<Bytes>>),
    H2(http2::SendRequest<Full<Bytes>>),
}

/// One connection, opened lazily and reopened after a transport error.
pub struct Connection {
    config: Arc<ClientConfig>,
    sender: Option<Sender>,
    /// How many times this connection was (re)opened; more than one means
    /// the endpoint dropped it.
    pub opened: u64,
}

/// The error body AWS JSON services send.
#[derive(Deserialize)]
struct ErrorBody {
    #[serde(rename = "__type")]
    kind: Option<String>,
    #[serde(alias = "Message")]
    message: Option<String>,
}

impl Connection {
    pub fn new(config: Arc<ClientConfig>) -> Connection {
        Connection { config, sender: None, opened: 0 }
    }

    async fn connect(&mut self) -> Result<()> {
        let authority = &self.config.endpoint.authority;
        let stream = tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::TcpStream::connect(authority))
            .await
            .map_err(|_| BenchError::Transport(format!("connect to {authority}: timed out")))?
            .map_err(|e| BenchError::Transport(format!("connect to {authority}: {e}")))?;
        stream.set_nodelay(true).map_err(|e| BenchError::Transport(format!("TCP_NODELAY: {e}")))?;
        let io = TokioIo::new(stream);
        let sender = if self.config.h2 {
            let (sender, conn) = http2::handshake(TokioExecutor::new(), io)
                .await
                .map_err(|e| BenchError::Transport(format!("h2 handshake: {e}")))?;
            tokio::spawn(conn);
            Sender::H2(sender)
        } else {
            let (sender, conn) =
                http1::handshake(io).await.map_err(|e| BenchError::Transport(format!("http1 handshake: {e}")))?;
            tokio::spawn(conn);
            Sender::H1(sender)
        };
        self.sender = Some(sender);
        self.opened += 1;
        Ok(())
    }

    /// Calls Kinesis operation `operation` with a prepared body. HTTP 200
    /// gives the body; an AWS error gives `BenchError::Aws`.
    pub async fn call(&mut self, operation: &str, body: &PreparedBody) -> Result<Answer> {
        match tokio::time::timeout(CALL_TIMEOUT, self.call_inner(operation, body)).await {
            Ok(result) => result,
            Err(_) => {
                self.sender = None;
                Err(BenchError::Transport(format!("{operation}: no answer within {CALL_TIMEOUT:?}")))
            }
        }
    }

    async fn call_inner(&mut self, operation: &str, body: &PreparedBody) -> Result<Answer> {
        let response = self.send(operation, body).await?;
        let status = response.status().as_u16();
        let bytes = match response.into_body().collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(e) => {
                self.sender = None;
                return Err(BenchError::Transport(format!("{operation}: reading the body: {e}")));
            }
        };
        if status == 200 {
            return Ok(bytes);
        }
        Err(aws_error(status, &bytes))
    }

    /// Calls an operation whose answer is streamed (SubscribeToShard) and
    /// returns the body as it arrives, once the status line says 200. The
    /// connection carries nothing else until that body ends, so a caller
    /// gives such a call a connection of its own.
    pub async fn call_streaming(&mut self, operation: &str, body: &PreparedBody) -> Result<Incoming> {
        let response = match tokio::time::timeout(CALL_TIMEOUT, self.send(operation, body)).await {
            Ok(response) => response?,
            Err(_) => {
                self.sender = None;
                return Err(BenchError::Transport(format!("{operation}: no answer within {CALL_TIMEOUT:?}")));
            }
        };
        let status = response.status().as_u16();
        if status == 200 {
            // Whoever reads the body may stop early; the connection is not reused after that.
            self.sender = None;
            return Ok(response.into_body());
        }
        match response.into_body().collect().await {
            Ok(collected) => Err(aws_error(status, &collected.to_bytes())),
            Err(e) => {
                self.sender = None;
                Err(BenchError::Transport(format!("{operation}: reading the body: {e}")))
            }
        }
    }

    /// Signs and sends one call; the answer's head has arrived, its body not yet.
    async fn send(&mut self, operation: &str, body: &PreparedBody) -> Result<http::Response<Incoming>> {
        // An idle keep-alive connection the endpoint closed (some answer with
        // `Connection: close`) fails here, before anything was sent: open a
        // new one once. A failure after sending is never retried.
        for attempt in 0..2 {
            if self.sender.is_none() {
                self.connect().await?;
            }
            let ready = match self.sender.as_mut().expect("connected above") {
                Sender::H1(sender) => sender.ready().await,
                Sender::H2(sender) => sender.ready().await,
            };
            match ready {
                Ok(()) => break,
                Err(e) => {
                    self.sender = None;
                    if attempt == 1 {
                        return Err(BenchError::Transport(format!("{operation}: {e}")));
                    }
                }
            }
        }
        let config = &self.config;
        let target = format!("{TARGET_PREFIX}{operation}");
        let signed = config.signer.sign(
            &config.endpoint.uri,
            &[
                ("host", config.endpoint.authority.as_str()),
                ("content-type", CONTENT_TYPE_JSON),
                ("x-amz-target", target.as_str()),
            ],
            body,
            SystemTime::now(),
        )?;
        let mut builder = http::Request::builder()
            .method("POST")
            .uri(&config.endpoint.uri)
            .header(CONTENT_TYPE, CONTENT_TYPE_JSON)
            .header("x-amz-target", &target);
        // HTTP/2 carries the authority in the :authority pseudo-header, taken from the URI.
        if !config.h2 {
            builder = builder.header(HOST, &config.endpoint.authority);
        }
        let mut request = builder
            .body(Full::new(body.bytes.clone()))
            .map_err(|e| BenchError::Setup(format!("building the request: {e}")))?;
        request.headers_mut().extend(signed);
        let sent = match self.sender.as_mut().expect("ready above") {
            Sender::H1(sender) => sender.send_request(request).await,
            Sender::H2(sender) => sender.send_request(request).await,
        };
        sent.map_err(|e| {
            self.sender = None;
            BenchError::Transport(format!("{operation}: {e}"))
        })
    }
}

/// Turns a non-200 answer into `BenchError::Aws`, keeping the bare error
/// code (AWS sometimes prefixes it with a namespace and `#`).
fn aws_error(status: u16, body: &[u8]) -> BenchError {
    match serde_json::from_slice::<ErrorBody>(body) {
        Ok(ErrorBody { kind: Some(kind), message }) => BenchError::Aws {
            status,
            code: kind.rsplit('#').next().unwrap_or(&kind).to_string(),
            message: message.unwrap_or_default(),
        },
        _ => BenchError::Aws {
            status,
            code: format!("HTTP{status}"),
            message: String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_parse_accepts_host_port_and_defaults_port_80() {
        let e = Endpoint::parse("http://127.0.0.1:4567/").unwrap();
        assert_eq!(e.authority, "127.0.0.1:4567");
        assert_eq!(e.uri, "http://127.0.0.1:4567/");
        assert_eq!(Endpoint::parse("http://localhost").unwrap().authority, "localhost:80");
        assert!(Endpoint::parse("https://kinesis.us-east-1.amazonaws.com").is_err());
        assert!(Endpoint::parse("http://host/path").is_err());
    }

    #[test]
    fn aws_error_strips_namespace_prefix() {
        let e =
            aws_error(400, br#"{"__type":"com.amazonaws#ProvisionedThroughputExceededException","message":"slow"}"#);
        assert!(e.is_throttle());
        match e {
            BenchError::Aws { status, code, message } => {
                assert_eq!(
                    (status, code.as_str(), message.as_str()),
                    (400, "ProvisionedThroughputExceededException", "slow")
                )
            }
            other => panic!("{other:?}"),
        }
        match aws_error(502, b"bad gateway") {
            BenchError::Aws { code, .. } => assert_eq!(code, "HTTP502"),
            other => panic!("{other:?}"),
        }
    }
}
