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
