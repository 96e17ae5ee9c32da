//! S3's errors: a code, an HTTP status, a message and the extra elements AWS adds to the
//! `<Error>` document (`<BucketName>`, `<Key>`, `<UploadId>`...), with AWS's wording.
//!
//! Codes, statuses and messages follow the "Error responses" list of the S3 API Reference.

use std::fmt;

use aws_wire::AwsError;

use crate::xml;

/// One S3 error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S3Error {
    /// HTTP status.
    pub status: u16,
    /// The error code, e.g. `NoSuchBucket`.
    pub code: &'static str,
    /// Human-readable message.
    pub message: String,
    /// Extra elements of the error document, in order.
    pub fields: Vec<(&'static str, String)>,
}

/// Shorthand for results of S3 operations.
pub type S3Result<T> = Result<T, S3Error>;

impl S3Error {
    /// An error with no extra elements.
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> S3Error {
        S3Error { status, code, message: message.into(), fields: Vec::new() }
    }

    /// Adds an element to the error document.
    pub fn with(mut self, name: &'static str, value: impl Into<String>) -> S3Error {
        self.fields.push((name, value.into()));
        self
    }

    /// 404 `NoSuchBucket`.
    pub fn no_such_bucket(bucket: &str) -> S3Error {
        S3Error::new(404, "NoSuchBucket", "The specified bucket does not exist").with("BucketName", bucket)
    }

    /// 404 `NoSuchKey`.
    pub fn no_such_key(key: &str) -> S3Error {
        S3Error::new(404, "NoSuchKey", "The specified key does not exist.").with("Key", key)
    }

    /// 404 `NoSuchUpload`: unknown, aborted or completed upload id.
    pub fn no_such_upload(upload_id: &str) -> S3Error {
        S3Error::new(
            404,
            "NoSuchUpload",
            "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted \
             or completed.",
        )
        .with("UploadId", upload_id)
    }

    /// 400 `InvalidBucketName`.
    pub fn invalid_bucket_name(bucket: &str) -> S3Error {
        S3Error::new(400, "InvalidBucketName", "The specified bucket is not valid.").with("BucketName", bucket)
    }

    /// 400 `MalformedXML`: a request document that does not parse or has the wrong shape.
    pub fn malformed_xml() -> S3Error {
        S3Error::new(
            400,
            "MalformedXML",
            "The XML you provided was not well-formed or did not validate against our published schema",
        )
    }

    /// 400 `InvalidArgument` naming the argument and its value.
    pub fn invalid_argument(message: impl Into<String>, name: &str, value: &str) -> S3Error {
        S3Error::new(400, "InvalidArgument", message).with("ArgumentName", name).with("ArgumentValue", value)
    }

    /// 400 `InvalidRequest`.
    pub fn invalid_request(message: impl Into<String>) -> S3Error {
        S3Error::new(400, "InvalidRequest", message)
    }

    /// 501 `NotImplemented`: an S3 feature kinesd does not have.
    pub fn not_implemented() -> S3Error {
        S3Error::new(501, "NotImplemented", "A header you provided implies functionality that is not implemented")
    }

    /// 412 `PreconditionFailed` naming the condition.
    pub fn precondition_failed(condition: &str) -> S3Error {
        S3Error::new(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold")
            .with("Condition", condition)
    }

    /// 400 `BadDigest`: the body does not match `Content-MD5`.
    pub fn bad_digest_md5() -> S3Error {
        S3Error::new(400, "BadDigest", "The Content-MD5 you specified did not match what we received.")
    }

    /// 400 `IncompleteBody`.
    pub fn incomplete_body(message: impl Into<String>) -> S3Error {
        S3Error::new(400, "IncompleteBody", message)
    }

    /// A bucket-level configuration that was never set (or was deleted).
    pub fn no_such_config(code: &'static str, message: &str, bucket: &str) -> S3Error {
        S3Error::new(404, code, message).with("BucketName", bucket)
    }

    /// The server failed; the cause is logged, not shown.
    pub fn internal() -> S3Error {
        S3Error::new(500, "InternalError", "We encountered an internal error. Please try again.")
    }

    /// The `<Error>` document AWS sends (no body at all for HEAD requests).
    pub fn to_xml(&self, request_id: &str, resource: Option<&str>) -> String {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error>");
        xml::element(&mut out, "Code", self.code);
        xml::element(&mut out, "Message", &self.message);
        for (name, value) in &self.fields {
            xml::element(&mut out, name, value);
        }
        if let (Some(resource), true) = (resource, self.fields.is_empty()) {
            xml::element(&mut out, "Resource", resource);
        }
        xml::element(&mut out, "RequestId", request_id);
        xml::element(&mut out, "HostId", host_id(request_id));
        out.push_str("</Error>");
        out
    }

    /// The same error as the front's error type (for the in-process API).
    pub fn to_aws(&self) -> AwsError {
        AwsError::new(self.status, self.code, self.message.clone())
    }
}

/// The `x-amz-id-2` / `<HostId>` value: opaque in AWS; here derived from the request id.
pub fn host_id(request_id: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(request_id.as_bytes())
}

impl fmt::Display for S3Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.status, self.message)
    }
}

impl std::error::Error for S3Error {}

impl From<docstore::Error> for S3Error {
    fn from(error: docstore::Error) -> S3Error {
        tracing::error!(%error, "s3 metadata store failed");
        S3Error::internal()
    }
}

impl From<std::io::Error> for S3Error {
    fn from(error: std::io::Error) -> S3Error {
        if error.kind() == std::io::ErrorKind::StorageFull {
            tracing::error!(%error, "s3 object store is out of space");
            return S3Error::new(503, "ServiceUnavailable", "The server is out of disk space; free some and retry.");
        }
        tracing::error!(%error, "s3 object store failed");
        S3Error::internal()
    }
}

/// The S3 form of an error the front answered before the service saw the request
/// (authentication, body size): S3 has its own codes for these.
pub fn from_front(error: &AwsError) -> S3Error {
    let message = error.message.clone();
    match &*error.code {
        "InvalidSignatureException" if message.starts_with("Signature expired") && message.ends_with("sec.)") => {
            S3Error::new(403, "AccessDenied", "Request has expired")
        }
        "InvalidSignatureException"
            if message.starts_with("Signature expired") || message.starts_with("Signature not yet current") =>
        {
            S3Error::new(
                403,
                "RequestTimeTooSkewed",
                "The difference between the request time and the current time is too large.",
            )
        }
        "InvalidSignatureException" if message.starts_with("The request signature we calculated") => S3Error::new(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. Check your key and \
             signing method.",
        ),
        "InvalidSignatureException" | "IncompleteSignatureException" => {
            S3Error::new(400, "AuthorizationHeaderMalformed", message)
        }
        "UnrecognizedClientException" => {
            S3Error::new(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")
        }
        "MissingAuthenticationTokenException" => S3Error::new(403, "AccessDenied", "Access Denied"),
        "RequestEntityTooLargeException" => S3Error::new(
            400,
            "EntityTooLarge",
            format!("Your proposed upload exceeds the maximum allowed size. {message}"),
        ),
        "InternalFailure" => S3Error::internal(),
        _ => S3Error { status: error.status.as_u16(), code: "InvalidRequest", message, fields: Vec::new() }
            .with_code(&error.code),
    }
}

impl S3Error {
    /// Keeps a front error code S3 shares (e.g. `XAmzContentSHA256Mismatch`, `IncompleteBody`).
    fn with_code(mut self, code: &str) -> S3Error {
        const SHARED: &[&str] = &["XAmzContentSHA256Mismatch", "IncompleteBody", "AccessDenied"];
        if let Some(shared) = SHARED.iter().find(|c| **c == code) {
            self.code = shared;
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_document_carries_fields_then_request_id() {
        let xml = S3Error::no_such_bucket("b").to_xml("rid", Some("/b"));
        assert_eq!(
            xml,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchBucket</Code><Message>The specified \
             bucket does not exist</Message><BucketName>b</BucketName><RequestId>rid</RequestId><HostId>cmlk</HostId>\
             </Error>"
        );
    }

    #[test]
    fn front_errors_become_s3_codes() {
        assert_eq!(from_front(&AwsError::signature_mismatch()).code, "SignatureDoesNotMatch");
        assert_eq!(from_front(&AwsError::signature_mismatch()).status, 403);
        assert_eq!(from_front(&AwsError::unrecognized_client()).code, "InvalidAccessKeyId");
        assert_eq!(from_front(&AwsError::request_entity_too_large(5)).code, "EntityTooLarge");
        assert_eq!(from_front(&AwsError::content_sha256_mismatch()).code, "XAmzContentSHA256Mismatch");
        assert_eq!(from_front(&AwsError::bad_request("IncompleteBody", "x")).code, "IncompleteBody");
    }
}
