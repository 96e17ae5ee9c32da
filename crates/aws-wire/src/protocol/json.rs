//! awsJson 1.0 / 1.1: the operation comes from `X-Amz-Target: <prefix>.<Operation>` and errors are
//! `{"__type": "<code>", "message": "<message>"}` in `application/x-amz-json-<version>`
//! (Smithy "AWS JSON 1.0/1.1 protocol" specifications).

use bytes::Bytes;
use http::HeaderValue;

use super::RenderedError;
use crate::error::AwsError;

/// Content type of awsJson 1.0 (DynamoDB, Firehose-era services).
pub const CONTENT_TYPE_1_0: &str = "application/x-amz-json-1.0";
/// Content type of awsJson 1.1 (Kinesis, KMS, Logs, ...).
pub const CONTENT_TYPE_1_1: &str = "application/x-amz-json-1.1";
/// Plain JSON, which AWS JSON endpoints also accept on requests.
const CONTENT_TYPE_PLAIN: &str = "application/json";

/// The content type of awsJson `version` (`"1.0"` or `"1.1"`; anything else is treated as 1.1).
pub fn content_type(version: &str) -> &'static str {
    match version {
        "1.0" => CONTENT_TYPE_1_0,
        _ => CONTENT_TYPE_1_1,
    }
}

/// Whether a request's `Content-Type` is a JSON one. A missing header is accepted so that
/// hand-written requests (curl) work; AWS SDKs always send it.
pub fn is_json_content_type(value: Option<&HeaderValue>) -> bool {
    let Some(value) = value else {
        return true;
    };
    let Ok(text) = value.to_str() else {
        return false;
    };
    let media_type = text.split(';').next().unwrap_or("").trim();
    [CONTENT_TYPE_1_0, CONTENT_TYPE_1_1, CONTENT_TYPE_PLAIN].iter().any(|t| media_type.eq_ignore_ascii_case(t))
}

/// The prefix of an `X-Amz-Target` value (the part before the last dot), used to find the service.
pub fn target_prefix(target: &str) -> Option<&str> {
    target.rsplit_once('.').map(|(prefix, _)| prefix)
}

/// The operation named by `X-Amz-Target` when its prefix is `expected_prefix`;
/// `UnknownOperationException` when the target is missing, malformed or for another service.
pub fn operation<'a>(target: Option<&'a HeaderValue>, expected_prefix: &str) -> Result<&'a str, AwsError> {
    let target = target.and_then(|v| v.to_str().ok()).ok_or_else(AwsError::unknown_operation)?;
    match target.rsplit_once('.') {
        Some((prefix, operation)) if prefix == expected_prefix && !operation.is_empty() => Ok(operation),
        _ => Err(AwsError::unknown_operation()),
    }
}

/// The error body AWS JSON services send; `message` is left out when empty, as AWS does for
/// `UnknownOperationException`.
pub fn render_error(error: &AwsError, version: &str) -> RenderedError {
    let mut object = serde_json::Map::new();
    object.insert("__type".into(), serde_json::Value::String(error.code.to_string()));
    if !error.message.is_empty() {
        object.insert("message".into(), serde_json::Value::String(error.message.clone()));
    }
    let body = serde_json::to_vec(&serde_json::Value::Object(object)).unwrap_or_default();
    RenderedError { status: error.status, content_type: Some(content_type(version)), body: Bytes::from(body) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_needs_the_expected_prefix() {
        let target = HeaderValue::from_static("Kinesis_20131202.ListStreams");
        assert_eq!(operation(Some(&target), "Kinesis_20131202").unwrap(), "ListStreams");
        assert_eq!(operation(Some(&target), "Firehose_20150804").unwrap_err().code, "UnknownOperationException");
        assert_eq!(operation(None, "Kinesis_20131202").unwrap_err().code, "UnknownOperationException");
        let empty_op = HeaderValue::from_static("Kinesis_20131202.");
        assert!(operation(Some(&empty_op), "Kinesis_20131202").is_err());
    }

    #[test]
    fn errors_render_as_aws_json() {
        let rendered = render_error(&AwsError::bad_request("ResourceNotFoundException", "Stream x not found"), "1.1");
        assert_eq!(rendered.status.as_u16(), 400);
        assert_eq!(rendered.content_type, Some(CONTENT_TYPE_1_1));
        assert_eq!(&rendered.body[..], br#"{"__type":"ResourceNotFoundException","message":"Stream x not found"}"#);
        let unknown = render_error(&AwsError::unknown_operation(), "1.0");
        assert_eq!(&unknown.body[..], br#"{"__type":"UnknownOperationException"}"#);
        assert_eq!(unknown.content_type, Some(CONTENT_TYPE_1_0));
    }

    #[test]
    fn json_content_types_are_recognized() {
        assert!(is_json_content_type(None));
        assert!(is_json_content_type(Some(&HeaderValue::from_static("application/x-amz-json-1.1; charset=utf-8"))));
        assert!(!is_json_content_type(Some(&HeaderValue::from_static("application/x-amz-cbor-1.1"))));
    }
}
