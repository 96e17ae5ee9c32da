//! The bare XML errors AWS's request front sends before it knows a request's protocol, e.g. for
//! a GET to a JSON service: `<AccessDeniedException>\n  <Message>...</Message>\n</AccessDeniedException>\n`
//! with no `Content-Type` (Kinesis' observed answers, recorded in kinesalite `test/connection.js`).

use bytes::Bytes;

use super::RenderedError;
use crate::error::AwsError;

/// Renders `error` as AWS's bare XML; an empty message gives the self-closing form `<Code/>`.
pub fn render_error(error: &AwsError) -> RenderedError {
    let code = escape(&error.code);
    let body = if error.message.is_empty() {
        format!("<{code}/>\n")
    } else {
        format!("<{code}>\n  <Message>{}</Message>\n</{code}>\n", escape(&error.message))
    };
    RenderedError { status: error.status, content_type: None, body: Bytes::from(body) }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_denied_renders_as_aws_does() {
        let rendered = render_error(&AwsError::access_denied_no_operation());
        assert_eq!(rendered.status.as_u16(), 403);
        assert_eq!(rendered.content_type, None);
        assert_eq!(
            &rendered.body[..],
            b"<AccessDeniedException>\n  <Message>Unable to determine service/operation name to be authorized</Message>\n</AccessDeniedException>\n"
        );
    }

    #[test]
    fn messages_are_escaped() {
        let rendered = render_error(&AwsError::new(403, "X", "a<b>&"));
        assert_eq!(&rendered.body[..], b"<X>\n  <Message>a&lt;b&gt;&amp;</Message>\n</X>\n");
    }
}
