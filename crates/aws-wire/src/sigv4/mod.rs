//! AWS Signature Version 4 verification: what a request claims ([`claim`]), how AWS canonicalizes
//! it ([`canonical`]), and the checks that decide whether the claim holds ([`verify`]).

pub mod canonical;
pub mod claim;

use std::time::Duration;

use http::request::Parts;

use crate::amz_date::AmzDate;
use crate::credentials::Credential;
use crate::error::AwsError;
use canonical::{CanonicalInput, PathEncoding, UNSIGNED_PAYLOAD};
use claim::{SignatureClaim, SignatureLocation};

/// Length of a hex SHA-256 digest.
const SHA256_HEX_LEN: usize = 64;
/// SHA-256 of nothing, the fixed part of every chunk's string to sign.
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// What checking the chunk signatures of a `STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]` body
/// needs (S3 "Transferring Payload in Multiple Chunks"): each chunk's signature chains from the
/// previous one, starting at the request's (seed) signature, under the request's signing key.
#[derive(Clone)]
pub struct ChunkSigning {
    key: [u8; 32],
    timestamp: String,
    scope: String,
    seed_signature: String,
}

impl std::fmt::Debug for ChunkSigning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChunkSigning").field("scope", &self.scope).finish_non_exhaustive()
    }
}

impl ChunkSigning {
    /// The chunk signing of a verified header-signed request, under `secret_access_key`.
    pub fn new(claim: &SignatureClaim, secret_access_key: &str) -> ChunkSigning {
        let scope = &claim.scope;
        let (date, region, service) = (&scope.date, &scope.region, &scope.service);
        ChunkSigning::for_scope(secret_access_key, &claim.timestamp, [date, region, service], &claim.signature)
    }

    /// The chunk signing for a request signed at `timestamp` (`YYYYMMDDTHHMMSSZ`) in the scope
    /// `[date, region, service]` with `seed_signature`.
    pub fn for_scope(
        secret_access_key: &str,
        timestamp: &str,
        [date, region, service]: [&str; 3],
        seed_signature: &str,
    ) -> ChunkSigning {
        ChunkSigning {
            key: canonical::signing_key(secret_access_key, date, region, service),
            timestamp: timestamp.to_string(),
            scope: format!("{date}/{region}/{service}/aws4_request"),
            seed_signature: seed_signature.to_string(),
        }
    }

    /// The request's own signature, which the first chunk's signature chains from.
    pub fn seed_signature(&self) -> &str {
        &self.seed_signature
    }

    /// Whether `signature` signs `chunk` after the chunk (or seed) signed `previous`.
    pub fn chunk_matches(&self, previous: &str, chunk: &[u8], signature: &str) -> bool {
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256-PAYLOAD\n{}\n{}\n{previous}\n{EMPTY_SHA256}\n{}",
            self.timestamp,
            self.scope,
            canonical::sha256_hex(chunk)
        );
        canonical::signature_matches(&self.key, &string_to_sign, signature)
    }

    /// Whether `signature` signs the trailer lines (`name:value\n` each) after the last chunk
    /// signature `previous`.
    pub fn trailer_matches(&self, previous: &str, trailer: &[u8], signature: &str) -> bool {
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256-TRAILER\n{}\n{}\n{previous}\n{}",
            self.timestamp,
            self.scope,
            canonical::sha256_hex(trailer)
        );
        canonical::signature_matches(&self.key, &string_to_sign, signature)
    }

    /// The signature of `chunk` after `previous` (for clients and tests).
    pub fn chunk_signature(&self, previous: &str, chunk: &[u8]) -> String {
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256-PAYLOAD\n{}\n{}\n{previous}\n{EMPTY_SHA256}\n{}",
            self.timestamp,
            self.scope,
            canonical::sha256_hex(chunk)
        );
        hex::encode(canonical::hmac_sha256(&self.key, string_to_sign.as_bytes()))
    }
}

/// Checks the request's signing time against `now`, then its payload hash, then its signature
/// under `credential`. Nothing about the request is trusted until this returns `Ok`.
pub fn verify(
    claim: &SignatureClaim,
    credential: &Credential,
    parts: &Parts,
    body: &[u8],
    now: AmzDate,
    skew_max: Duration,
    path_encoding: PathEncoding,
) -> Result<(), AwsError> {
    check_time(claim, now, skew_max)?;
    let payload_hashes = payload_hashes(claim, parts, body)?;

    let key = canonical::signing_key(
        &credential.secret_access_key,
        &claim.scope.date,
        &claim.scope.region,
        &claim.scope.service,
    );
    let scope = claim.scope.to_scope_string();
    let raw_path = parts.uri.path();
    let raw_query = parts.uri.query().unwrap_or("");
    let excluded_query_param = match claim.location {
        SignatureLocation::Query { .. } => Some("X-Amz-Signature"),
        SignatureLocation::Header => None,
    };
    let mut matched = false;
    for payload_hash in &payload_hashes {
        let input = CanonicalInput {
            method: parts.method.as_str(),
            raw_path,
            raw_query,
            headers: &parts.headers,
            authority: parts.uri.authority().map(|a| a.as_str()),
            signed_headers: &claim.signed_headers,
            payload_hash,
            path_encoding,
            excluded_query_param,
        };
        let string_to_sign = canonical::string_to_sign(&claim.timestamp, &scope, &canonical::canonical_request(&input));
        // Every candidate is checked (no early exit) so timing does not tell which one matched.
        matched |= canonical::signature_matches(&key, &string_to_sign, &claim.signature);
    }
    if matched {
        Ok(())
    } else {
        Err(AwsError::signature_mismatch())
    }
}

/// A header signature must fall within `skew_max` of `now`; a presigned one is valid from its
/// signing time until `X-Amz-Expires` seconds later (or `skew_max` when it names no expiry).
fn check_time(claim: &SignatureClaim, now: AmzDate, skew_max: Duration) -> Result<(), AwsError> {
    let signed_at = claim.signed_at;
    if signed_at > now.plus(skew_max) {
        return Err(AwsError::signature_not_yet_current(signed_at, now, skew_max));
    }
    match claim.location {
        SignatureLocation::Query { expires_seconds: Some(expires_seconds) } => {
            let expires = Duration::from_secs(expires_seconds);
            if signed_at.plus(expires) < now {
                return Err(AwsError::invalid_signature(format!(
                    "Signature expired: {} is now earlier than {} ({} - {} sec.)",
                    signed_at.format_basic(),
                    now.minus(expires).format_basic(),
                    now.format_basic(),
                    expires_seconds
                )));
            }
        }
        _ if signed_at < now.minus(skew_max) => {
            return Err(AwsError::signature_expired(signed_at, now, skew_max));
        }
        _ => {}
    }
    Ok(())
}

/// The payload hashes the client may have signed with. `X-Amz-Content-Sha256`, when present, is
/// what was signed (and a hex digest in it must be the body's); a presigned request without it may
/// have signed `UNSIGNED-PAYLOAD` (S3 style) or the body's digest.
fn payload_hashes(claim: &SignatureClaim, parts: &Parts, body: &[u8]) -> Result<Vec<String>, AwsError> {
    let declared =
        parts.headers.get("x-amz-content-sha256").map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    match declared {
        Some(declared) if declared.len() == SHA256_HEX_LEN && declared.bytes().all(|c| c.is_ascii_hexdigit()) => {
            if declared.eq_ignore_ascii_case(&canonical::sha256_hex(body)) {
                Ok(vec![declared])
            } else {
                Err(AwsError::content_sha256_mismatch())
            }
        }
        Some(marker) => Ok(vec![marker]),
        None => match claim.location {
            SignatureLocation::Query { .. } => Ok(vec![canonical::sha256_hex(body), UNSIGNED_PAYLOAD.to_string()]),
            SignatureLocation::Header => Ok(vec![canonical::sha256_hex(body)]),
        },
    }
}

#[cfg(test)]
mod chunk_tests {
    use super::ChunkSigning;

    /// The chunked PutObject example of AWS's S3 API reference ("Signature Calculations for the
    /// Authorization Header: Transferring Payload in Multiple Chunks"): 65 KiB then 1 KiB of `a`,
    /// then the empty final chunk.
    #[test]
    fn chunk_signatures_chain_as_in_the_s3_reference_example() {
        let signing = ChunkSigning::for_scope(
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "20130524T000000Z",
            ["20130524", "us-east-1", "s3"],
            "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
        );
        let first = signing.chunk_signature(signing.seed_signature(), &[b'a'; 65536]);
        assert_eq!(first, "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648");
        let second = signing.chunk_signature(&first, &[b'a'; 1024]);
        assert_eq!(second, "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497");
        let last = signing.chunk_signature(&second, b"");
        assert_eq!(last, "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9");
        assert!(signing.chunk_matches(&second, b"", &last));
        assert!(!signing.chunk_matches(&first, b"", &last));
        assert!(!signing.chunk_matches(&second, b"x", &last));
    }
}
