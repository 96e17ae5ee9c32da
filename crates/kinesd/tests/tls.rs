//! TLS on the same port as cleartext, with ALPN h2: an HTTP/2-over-TLS
//! client (as some SDKs require) and a cleartext client both get answers.

mod common;

use std::sync::Arc;

use common::*;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::json;
use tokio_rustls::rustls::{self, pki_types::ServerName, RootCertStore};

#[test]
fn self_signed_tls_serves_h2_by_alpn_beside_cleartext() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &["--tls-self-signed"]);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    // Cleartext still works on the same port.
    assert_eq!(rt.block_on(call(&server.addr, "ListStreams", json!({}))).status, 200);
    let pem = std::fs::read(dir.path().join("tls/cert.pem")).unwrap();
    let mut roots = RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec()];
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let status = rt.block_on(async {
        let tcp = tokio::net::TcpStream::connect(&server.addr).await.unwrap();
        let tls = connector.connect(ServerName::try_from("localhost").unwrap(), tcp).await.unwrap();
        assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]), "h2 negotiated by ALPN");
        let (mut sender, conn) =
            hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tls)).await.unwrap();
        tokio::spawn(conn);
        let request = kinesis_request(&server.addr, "ListStreams", b"{}".to_vec(), &Signer::default());
        let status = sender.send_request(request).await.unwrap().status();
        // SubscribeToShard over HTTP/2 on TLS: the event stream's first frames arrive.
        let mut call_h2 = async |op: &str, body: serde_json::Value| {
            let request = kinesis_request(&server.addr, op, body.to_string().into_bytes(), &Signer::default());
            sender.send_request(request).await.unwrap()
        };
        call_h2("CreateStream", json!({"StreamName": "t", "ShardCount": 1})).await;
        let arn = "arn:aws:kinesis:us-east-1:123456789012:stream/t";
        let consumer = call_h2("RegisterStreamConsumer", json!({"StreamARN": arn, "ConsumerName": "c"})).await;
        let consumer: serde_json::Value =
            serde_json::from_slice(&http_body_util::BodyExt::collect(consumer.into_body()).await.unwrap().to_bytes())
                .unwrap();
        let sub = call_h2(
            "SubscribeToShard",
            json!({"ConsumerARN": consumer["Consumer"]["ConsumerARN"], "ShardId": "shardId-000000000000",
                   "StartingPosition": {"Type": "LATEST"}}),
        )
        .await;
        assert_eq!(sub.status(), 200);
        assert_eq!(sub.headers()["content-type"], "application/vnd.amazon.eventstream");
        let mut body = sub.into_body();
        let frame = http_body_util::BodyExt::frame(&mut body).await.unwrap().unwrap().into_data().unwrap();
        assert!(frame.windows(16).any(|w| w == b"initial-response"), "the initial-response comes first");
        status
    });
    assert_eq!(status, 200);
}
