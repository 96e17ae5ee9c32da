//! The JSON documents SNS POSTs to HTTP/S subscribers (Notification,
//! SubscriptionConfirmation, UnsubscribeConfirmation), laid out as AWS lays
//! them out, and the canonical text their signature covers.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value as Json;

use crate::message::MessageAttributes;

/// What an envelope announces (`x-amz-sns-message-type` and `Type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum MessageType {
    Notification,
    SubscriptionConfirmation,
    UnsubscribeConfirmation,
}

impl MessageType {
    /// The name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageType::Notification => "Notification",
            MessageType::SubscriptionConfirmation => "SubscriptionConfirmation",
            MessageType::UnsubscribeConfirmation => "UnsubscribeConfirmation",
        }
    }
}

/// The signed fields of one envelope.
#[derive(Debug, Clone)]
pub struct Envelope<'a> {
    pub message_type: MessageType,
    pub message_id: &'a str,
    pub topic_arn: &'a str,
    /// Notifications only, when the publisher gave one.
    pub subject: Option<&'a str>,
    pub message: &'a str,
    pub timestamp: &'a str,
    /// Confirmations only.
    pub token: Option<&'a str>,
    /// Confirmations only.
    pub subscribe_url: Option<&'a str>,
}

/// The unsigned fields that complete an envelope.
#[derive(Debug, Clone)]
pub struct Trailer<'a> {
    pub signature_version: &'a str,
    pub signature: &'a str,
    pub signing_cert_url: &'a str,
    /// Notifications only.
    pub unsubscribe_url: Option<&'a str>,
    /// Notifications only.
    pub attributes: Option<&'a MessageAttributes>,
}

impl Envelope<'_> {
    /// The canonical text AWS signs: `Name\nvalue\n` for each signed field
    /// present, in byte order of the names.
    pub fn string_to_sign(&self) -> String {
        let mut fields: Vec<(&str, &str)> = vec![("Message", self.message), ("MessageId", self.message_id)];
        match self.message_type {
            MessageType::Notification => {
                if let Some(subject) = self.subject {
                    fields.push(("Subject", subject));
                }
            }
            MessageType::SubscriptionConfirmation | MessageType::UnsubscribeConfirmation => {
                fields.push(("SubscribeURL", self.subscribe_url.unwrap_or("")));
            }
        }
        fields.push(("Timestamp", self.timestamp));
        if let Some(token) = self.token {
            fields.push(("Token", token));
        }
        fields.push(("TopicArn", self.topic_arn));
        fields.push(("Type", self.message_type.as_str()));
        let mut out = String::new();
        for (name, value) in fields {
            out.push_str(name);
            out.push('\n');
            out.push_str(value);
            out.push('\n');
        }
        out
    }

    /// The JSON document, fields in AWS's order.
    pub fn render(&self, trailer: &Trailer<'_>) -> String {
        let mut fields: Vec<(&str, String)> = vec![("Type", quote(self.message_type.as_str()))];
        fields.push(("MessageId", quote(self.message_id)));
        match self.message_type {
            MessageType::Notification => {
                fields.push(("TopicArn", quote(self.topic_arn)));
                if let Some(subject) = self.subject {
                    fields.push(("Subject", quote(subject)));
                }
                fields.push(("Message", quote(self.message)));
                fields.push(("Timestamp", quote(self.timestamp)));
            }
            MessageType::SubscriptionConfirmation | MessageType::UnsubscribeConfirmation => {
                fields.push(("Token", quote(self.token.unwrap_or(""))));
                fields.push(("TopicArn", quote(self.topic_arn)));
                fields.push(("Message", quote(self.message)));
                fields.push(("SubscribeURL", quote(self.subscribe_url.unwrap_or(""))));
                fields.push(("Timestamp", quote(self.timestamp)));
            }
        }
        fields.push(("SignatureVersion", quote(trailer.signature_version)));
        fields.push(("Signature", quote(trailer.signature)));
        fields.push(("SigningCertURL", quote(trailer.signing_cert_url)));
        if let Some(url) = trailer.unsubscribe_url {
            fields.push(("UnsubscribeURL", quote(url)));
        }
        if let Some(attributes) = trailer.attributes.filter(|a| !a.is_empty()) {
            let entries: Vec<String> = attributes
                .iter()
                .map(|(name, a)| {
                    format!(
                        "    {} : {{\"Type\":{},\"Value\":{}}}",
                        quote(name),
                        quote(a.base_type()),
                        quote(&a.envelope_value())
                    )
                })
                .collect();
            fields.push(("MessageAttributes", format!("{{\n{}\n  }}", entries.join(",\n"))));
        }
        let body: Vec<String> = fields.iter().map(|(name, value)| format!("  \"{name}\" : {value}")).collect();
        format!("{{\n{}\n}}", body.join(",\n"))
    }
}

/// The text of a SubscriptionConfirmation.
pub fn subscription_confirmation_text(topic_arn: &str) -> String {
    format!(
        "You have chosen to subscribe to the topic {topic_arn}.\n\
         To confirm the subscription, visit the SubscribeURL included in this message."
    )
}

/// The text of an UnsubscribeConfirmation.
pub fn unsubscribe_confirmation_text(subscription_arn: &str) -> String {
    format!(
        "You have chosen to deactivate subscription {subscription_arn}.\n\
         To cancel this operation and restore the subscription, visit the SubscribeURL included in this message."
    )
}

fn quote(text: &str) -> String {
    Json::String(text.to_string()).to_string()
}

/// `time` as ISO 8601 with milliseconds (`2024-02-29T23:59:58.500Z`).
pub fn iso8601_millis(time: SystemTime) -> String {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let seconds = i64::try_from(since.as_secs()).unwrap_or(i64::MAX);
    let date = aws_wire::amz_date::AmzDate::from_unix_seconds(seconds).format_iso8601();
    format!("{}.{:03}Z", date.trim_end_matches('Z'), since.subsec_millis())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{AttributeValue, MessageAttribute};
    use std::time::Duration;

    fn notification<'a>(subject: Option<&'a str>) -> Envelope<'a> {
        Envelope {
            message_type: MessageType::Notification,
            message_id: "m-1",
            topic_arn: "arn:aws:sns:us-east-1:123456789012:t",
            subject,
            message: "hello\nworld",
            timestamp: "2024-02-29T23:59:58.500Z",
            token: None,
            subscribe_url: None,
        }
    }

    #[test]
    fn notification_string_to_sign_is_aws_canonical_form() {
        assert_eq!(
            notification(Some("hi")).string_to_sign(),
            "Message\nhello\nworld\nMessageId\nm-1\nSubject\nhi\nTimestamp\n2024-02-29T23:59:58.500Z\n\
             TopicArn\narn:aws:sns:us-east-1:123456789012:t\nType\nNotification\n"
        );
        assert!(!notification(None).string_to_sign().contains("Subject"));
    }

    #[test]
    fn confirmation_string_to_sign_has_token_and_url() {
        let e = Envelope {
            message_type: MessageType::SubscriptionConfirmation,
            token: Some("tok"),
            subscribe_url: Some("http://h/?Action=ConfirmSubscription"),
            ..notification(None)
        };
        assert_eq!(
            e.string_to_sign(),
            "Message\nhello\nworld\nMessageId\nm-1\nSubscribeURL\nhttp://h/?Action=ConfirmSubscription\n\
             Timestamp\n2024-02-29T23:59:58.500Z\nToken\ntok\nTopicArn\narn:aws:sns:us-east-1:123456789012:t\n\
             Type\nSubscriptionConfirmation\n"
        );
        let doc: Json = serde_json::from_str(&e.render(&Trailer {
            signature_version: "2",
            signature: "sig",
            signing_cert_url: "file:///c.pem",
            unsubscribe_url: None,
            attributes: None,
        }))
        .unwrap();
        assert_eq!(doc["Token"], "tok");
        assert_eq!(doc["SubscribeURL"], "http://h/?Action=ConfirmSubscription");
        assert!(doc.get("UnsubscribeURL").is_none());
    }

    #[test]
    fn notification_renders_aws_fields_in_order() {
        let attributes = MessageAttributes::from([(
            "color".to_string(),
            MessageAttribute { data_type: "String".into(), value: AttributeValue::String("red".into()) },
        )]);
        let text = notification(Some("hi")).render(&Trailer {
            signature_version: "2",
            signature: "sig",
            signing_cert_url: "file:///c.pem",
            unsubscribe_url: Some("http://h/?Action=Unsubscribe"),
            attributes: Some(&attributes),
        });
        assert!(text.starts_with("{\n  \"Type\" : \"Notification\",\n  \"MessageId\" : \"m-1\",\n"), "{text}");
        let doc: Json = serde_json::from_str(&text).unwrap();
        assert_eq!(doc["Message"], "hello\nworld");
        assert_eq!(doc["Subject"], "hi");
        assert_eq!(doc["UnsubscribeURL"], "http://h/?Action=Unsubscribe");
        assert_eq!(doc["MessageAttributes"]["color"], serde_json::json!({"Type": "String", "Value": "red"}));
        let order: Vec<usize> =
            ["\"Type\"", "\"TopicArn\"", "\"Subject\"", "\"Message\"", "\"Timestamp\"", "\"Signature\""]
                .iter()
                .map(|k| text.find(k).unwrap())
                .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
    }

    #[test]
    fn timestamps_keep_milliseconds() {
        let t = UNIX_EPOCH + Duration::from_millis(1_709_251_198_500);
        assert_eq!(iso8601_millis(t), "2024-02-29T23:59:58.500Z");
        assert_eq!(iso8601_millis(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
    }
}
