//! AWS-shaped errors: the one error type services return, and the catalogue of errors the front
//! itself answers with (authentication, routing, limits), each worded and coded as AWS does.
//!
//! Sources for codes, statuses and messages:
//! - Kinesis' observed responses as recorded by kinesalite's connection tests (mhart/kinesalite,
//!   `test/connection.js` and `index.js`), which were written against the live service:
//!   `MissingAuthenticationTokenException` (400, JSON, "Missing Authentication Token"),
//!   `UnknownOperationException` (400, JSON, no message), `IncompleteSignatureException` wording,
//!   "Found both 'X-Amz-Algorithm' ..." and the bare XML `AccessDeniedException` (403,
//!   "Unable to determine service/operation name to be authorized") for a non-POST request.
//!   AWS's generic "Common Errors" pages list `MissingAuthenticationToken` as 403, but that is the
//!   awsQuery code; JSON services answer the `...Exception` form with 400, which is what we follow.
//! - `UnrecognizedClientException` 400 "The security token included in the request is invalid."
//!   (Kinesis SDK error reports, e.g. awslabs/amazon-kinesis-scaling-utils#46).
//! - `InvalidSignatureException` 400 "Signature expired: ... is now earlier than ... (... - 15 min.)"
//!   (aws/aws-sdk-js#254) and "Signature not yet current: ... is still later than ... (... + N min.)"
//!   (serverless/enterprise#11); "Credential should be scoped to correct service: 'NAME'. " with the
//!   trailing space (aws/aws-sdk-ruby#431, disneystreaming/smithy4s#1568).
//! - `InternalFailure` 500 from AWS's "Common Errors" pages.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use http::StatusCode;

use crate::amz_date::AmzDate;

/// An error as AWS reports it: HTTP status, error code (the `__type`) and message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AwsError {
    /// HTTP status of the response.
    pub status: StatusCode,
    /// The AWS error code, e.g. `ResourceNotFoundException`.
    pub code: Cow<'static, str>,
    /// Human-readable message; omitted from the body when empty, as AWS does for some codes.
    pub message: String,
}

impl AwsError {
    /// An error with an explicit HTTP status (an invalid status becomes 500).
    pub fn new(status: u16, code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        AwsError { status, code: code.into(), message: message.into() }
    }

    /// A client error (400), the status of almost every AWS JSON-service error.
    pub fn bad_request(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        AwsError::new(400, code, message)
    }

    /// 500 `InternalFailure`: the server failed (a bug, e.g. a panicking handler), not the request.
    pub fn internal_failure() -> Self {
        AwsError::new(
            500,
            "InternalFailure",
            "The request processing has failed because of an unknown error, exception or failure.",
        )
    }

    /// No `Authorization` header and no presigned query parameters.
    pub fn missing_authentication_token() -> Self {
        AwsError::bad_request("MissingAuthenticationTokenException", "Missing Authentication Token")
    }

    /// The access key (or its session token) is not known.
    pub fn unrecognized_client() -> Self {
        AwsError::bad_request("UnrecognizedClientException", "The security token included in the request is invalid.")
    }

    /// The signature does not verify.
    pub fn signature_mismatch() -> Self {
        AwsError::bad_request(
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret \
             Access Key and signing method. Consult the service documentation for details.",
        )
    }

    /// The request was signed more than `skew_max` before `now`.
    pub fn signature_expired(signed_at: AmzDate, now: AmzDate, skew_max: Duration) -> Self {
        AwsError::bad_request(
            "InvalidSignatureException",
            format!(
                "Signature expired: {} is now earlier than {} ({} - {} min.)",
                signed_at.format_basic(),
                now.minus(skew_max).format_basic(),
                now.format_basic(),
                skew_max.as_secs() / 60
            ),
        )
    }

    /// The request was signed more than `skew_max` after `now`.
    pub fn signature_not_yet_current(signed_at: AmzDate, now: AmzDate, skew_max: Duration) -> Self {
        AwsError::bad_request(
            "InvalidSignatureException",
            format!(
                "Signature not yet current: {} is still later than {} ({} + {} min.)",
                signed_at.format_basic(),
                now.plus(skew_max).format_basic(),
                now.format_basic(),
                skew_max.as_secs() / 60
            ),
        )
    }

    /// The credential scope names another service than the one the request is for.
    pub fn credential_wrong_service(expected_signing_name: &str) -> Self {
        AwsError::bad_request(
            "InvalidSignatureException",
            format!("Credential should be scoped to correct service: '{expected_signing_name}'. "),
        )
    }

    /// A signature whose parts are missing or malformed.
    pub fn incomplete_signature(message: impl Into<String>) -> Self {
        AwsError::bad_request("IncompleteSignatureException", message)
    }

    /// A signature that is complete but inconsistent (wrong terminator, date mismatch, ...).
    pub fn invalid_signature(message: impl Into<String>) -> Self {
        AwsError::bad_request("InvalidSignatureException", message)
    }

    /// No (or an unknown) `X-Amz-Target`; AWS sends no message with it.
    pub fn unknown_operation() -> Self {
        AwsError::bad_request("UnknownOperationException", "")
    }

    /// A JSON-service request that is not a POST: AWS cannot tell which operation it means.
    pub fn access_denied_no_operation() -> Self {
        AwsError::new(403, "AccessDeniedException", "Unable to determine service/operation name to be authorized")
    }

    /// The body exceeds the front's limit. Kinesis answers a bare 413; we add a body that says
    /// what the limit is (the code is ours: AWS documents none for this case).
    pub fn request_entity_too_large(body_bytes_max: usize) -> Self {
        AwsError::new(
            413,
            "RequestEntityTooLargeException",
            format!("Request body is larger than the maximum of {body_bytes_max} bytes."),
        )
    }

    /// An authentication error as the awsQuery services (IAM, STS, SNS, CloudWatch) word it:
    /// their codes drop the `Exception` suffix and they answer 403; other errors are unchanged.
    pub fn for_query_protocol(self) -> Self {
        let (code, status) = match &*self.code {
            "MissingAuthenticationTokenException" => ("MissingAuthenticationToken", 403),
            "UnrecognizedClientException" => ("InvalidClientTokenId", 403),
            "InvalidSignatureException" => ("SignatureDoesNotMatch", 403),
            "IncompleteSignatureException" => ("IncompleteSignature", 400),
            _ => return self,
        };
        AwsError::new(status, code, self.message)
    }

    /// `X-Amz-Content-Sha256` names another hash than the body's (S3's code for this case).
    pub fn content_sha256_mismatch() -> Self {
        AwsError::bad_request(
            "XAmzContentSHA256Mismatch",
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
        )
    }
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.status.as_u16(), self.message)
    }
}

impl std::error::Error for AwsError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_messages_use_aws_wording() {
        let now = AmzDate::parse_basic("20240101T002500Z").unwrap();
        let skew = Duration::from_secs(15 * 60);
        let past = AmzDate::parse_basic("20240101T000000Z").unwrap();
        assert_eq!(
            AwsError::signature_expired(past, now, skew).message,
            "Signature expired: 20240101T000000Z is now earlier than 20240101T001000Z (20240101T002500Z - 15 min.)"
        );
        let future = AmzDate::parse_basic("20240101T005000Z").unwrap();
        assert_eq!(
            AwsError::signature_not_yet_current(future, now, skew).message,
            "Signature not yet current: 20240101T005000Z is still later than 20240101T004000Z \
             (20240101T002500Z + 15 min.)"
        );
    }

    #[test]
    fn invalid_status_becomes_500() {
        assert_eq!(AwsError::new(42, "X", "y").status, StatusCode::INTERNAL_SERVER_ERROR);
    }
}
