//! The awsQuery protocol (IAM, STS, SNS, CloudWatch for Terraform): a form
//! of `Action=...&Version=...&Param=...` in the body (or query string), and
//! XML answers: `<ActionResponse><ActionResult>...</ActionResult>
//! <ResponseMetadata><RequestId>` or an `<ErrorResponse>`.

use bytes::Bytes;
use http::StatusCode;

use crate::error::AwsError;
use crate::protocol::RenderedError;

/// The content type of awsQuery answers.
pub const CONTENT_TYPE: &str = "text/xml";

/// The form parameters of a request, in order.
pub fn parse_params(form: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(form).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

/// The value of a parameter.
pub fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// Escapes text for XML element content and attribute values (awsQuery and S3 answers).
/// Carriage returns are written as references so that values holding them survive a client's
/// XML parser, which would otherwise normalize them to line feeds.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out
}

/// A successful answer: the action's result XML in AWS's envelope (no result
/// element for actions without output).
pub fn render_result(action: &str, namespace: &str, result_xml: Option<&str>, request_id: &str) -> Bytes {
    let result = match result_xml {
        Some(xml) => format!("<{action}Result>{xml}</{action}Result>"),
        None => String::new(),
    };
    Bytes::from(format!(
        "<{action}Response xmlns=\"{namespace}\">{result}\
         <ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{action}Response>"
    ))
}

/// An error in AWS's awsQuery shape; `Sender` for 4xx, `Receiver` for 5xx.
pub fn render_error(error: &AwsError, namespace: &str, request_id: &str) -> RenderedError {
    let fault = if error.status.is_server_error() { "Receiver" } else { "Sender" };
    let body = format!(
        "<ErrorResponse xmlns=\"{namespace}\"><Error><Type>{fault}</Type><Code>{}</Code><Message>{}</Message></Error>\
         <RequestId>{request_id}</RequestId></ErrorResponse>",
        escape(&error.code),
        escape(&error.message)
    );
    RenderedError { status: error.status, content_type: Some(CONTENT_TYPE), body: Bytes::from(body) }
}

/// The error for an action the service does not have.
pub fn invalid_action(action: &str, version: &str) -> AwsError {
    AwsError {
        status: StatusCode::BAD_REQUEST,
        code: "InvalidAction".into(),
        message: format!("Could not find operation {action} for version {version}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_parse_and_xml_escapes() {
        let params = parse_params(b"Action=GetCallerIdentity&Version=2011-06-15&Name=a%2Bb+c");
        assert_eq!(param(&params, "Action"), Some("GetCallerIdentity"));
        assert_eq!(param(&params, "Name"), Some("a+b c"));
        assert_eq!(escape("<a & 'b'>"), "&lt;a &amp; &apos;b&apos;&gt;");
        let body = render_result("Op", "urn:x", Some("<A>1</A>"), "rid");
        assert_eq!(
            &body[..],
            b"<OpResponse xmlns=\"urn:x\"><OpResult><A>1</A></OpResult><ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></OpResponse>"
        );
        let err = render_error(&AwsError::new(400, "InvalidAction", "no <such>"), "urn:x", "rid");
        assert!(std::str::from_utf8(&err.body)
            .unwrap()
            .contains("<Type>Sender</Type><Code>InvalidAction</Code><Message>no &lt;such&gt;</Message>"));
    }
}
