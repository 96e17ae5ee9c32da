//! SigV4 for pre-built request bodies.
//!
//! The payload hash (SHA-256 of the body) is computed once, when a body is
//! built, so that the per-request cost is only the signature itself: a
//! 700 KB PutRecords body would otherwise cost more to hash than to send
//! over loopback.

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use bytes::Bytes;
use http::{HeaderName, HeaderValue};
use sha2::{Digest, Sha256};

use crate::error::{BenchError, Result};

/// The SigV4 service name of Kinesis Data Streams.
const SERVICE_NAME: &str = "kinesis";

/// A request body built ahead of time, with its SHA-256 already computed.
#[derive(Clone)]
pub struct PreparedBody {
    pub bytes: Bytes,
    pub sha256_hex: String,
}

impl PreparedBody {
    /// Hashes `bytes` once; every later request with this body reuses the hash.
    pub fn new(bytes: impl Into<Bytes>) -> PreparedBody {
        let bytes = bytes.into();
        let sha256_hex = hex::encode(Sha256::digest(&bytes));
        PreparedBody { bytes, sha256_hex }
    }

    /// Serializes a JSON value into a prepared body.
    pub fn json(value: &serde_json::Value) -> PreparedBody {
        PreparedBody::new(serde_json::to_vec(value).expect("a JSON value always serializes"))
    }
}

/// Signs Kinesis requests with one access key pair for one region.
pub struct Signer {
    identity: Identity,
    region: String,
}

impl Signer {
    pub fn new(access_key: &str, secret_key: &str, region: &str) -> Signer {
        let identity = Credentials::new(access_key, secret_key, None, None, "kinesd-bench").into();
        Signer { identity, region: region.to_string() }
    }

    /// The headers to add to a POST of `body` to `uri` with the given
    /// `(name, value)` headers (which are signed as they are).
    pub fn sign(
        &self,
        uri: &str,
        headers: &[(&str, &str)],
        body: &PreparedBody,
        now: SystemTime,
    ) -> Result<Vec<(HeaderName, HeaderValue)>> {
        let params = v4::SigningParams::builder()
            .identity(&self.identity)
            .region(&self.region)
            .name(SERVICE_NAME)
            .time(now)
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| BenchError::Setup(format!("signing parameters: {e}")))?
            .into();
        let signable = SignableRequest::new(
            "POST",
            uri,
            headers.iter().copied(),
            SignableBody::Precomputed(body.sha256_hex.clone()),
        )
        .map_err(|e| BenchError::Setup(format!("signable request: {e}")))?;
        let (instructions, _signature) =
            sign(signable, &params).map_err(|e| BenchError::Setup(format!("signing: {e}")))?.into_parts();
        instructions
            .headers()
            .map(|(name, value)| {
                let name = HeaderName::from_bytes(name.as_bytes())
                    .map_err(|e| BenchError::Setup(format!("signed header name {name}: {e}")))?;
                let value =
                    HeaderValue::from_str(value).map_err(|e| BenchError::Setup(format!("signed header value: {e}")))?;
                Ok((name, value))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prepared_body_hash_is_sha256_of_the_bytes() {
        let body = PreparedBody::new(&b"abc"[..]);
        assert_eq!(body.sha256_hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn signature_headers_include_authorization_and_date() {
        let signer = Signer::new("test", "test", "us-east-1");
        let body = PreparedBody::new(&b"{}"[..]);
        let headers = signer
            .sign(
                "http://127.0.0.1:1/",
                &[("host", "127.0.0.1:1"), ("x-amz-target", "Kinesis_20131202.ListStreams")],
                &body,
                SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000),
            )
            .unwrap();
        let names: Vec<&str> = headers.iter().map(|(n, _)| n.as_str()).collect();
        assert!(names.contains(&"authorization"), "{names:?}");
        assert!(names.contains(&"x-amz-date"), "{names:?}");
        let auth = headers.iter().find(|(n, _)| n == "authorization").unwrap().1.to_str().unwrap();
        assert!(auth.starts_with("AWS4-HMAC-SHA256 Credential=test/20231114/us-east-1/kinesis/aws4_request"), "{auth}");
    }
}
