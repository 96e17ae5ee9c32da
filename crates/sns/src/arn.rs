//! SNS ARNs: a topic is `arn:aws:sns:{region}:{account}:{name}`, a
//! subscription `{topic arn}:{uuid}`. Parsing checks the shape first
//! (`InvalidParameter`), then the region (ours only) and the account (another
//! account's resource is `AuthorizationError`).

use crate::error::{SResult, SnsError};

/// Longest topic name, `.fifo` included.
pub const TOPIC_NAME_CHARS_MAX: usize = 256;
/// The suffix every FIFO topic name has.
pub const FIFO_SUFFIX: &str = ".fifo";

/// Where this server's resources live.
#[derive(Debug, Clone)]
pub struct Scope {
    pub region: String,
    pub account: String,
}

impl Scope {
    /// The ARN of topic `name`.
    pub fn topic_arn(&self, name: &str) -> String {
        format!("arn:aws:sns:{}:{}:{name}", self.region, self.account)
    }

    /// The ARN of subscription `id` of topic `topic`.
    pub fn subscription_arn(&self, topic: &str, id: &str) -> String {
        format!("{}:{id}", self.topic_arn(topic))
    }

    /// The topic name in `arn`; `parameter` names the request member in errors.
    pub fn topic_name<'a>(&self, arn: &'a str, parameter: &str, action: &str) -> SResult<&'a str> {
        let parts: Vec<&str> = arn.split(':').collect();
        let [prefix, partition, service, region, account, name] = parts[..] else {
            return Err(SnsError::invalid_parameter(parameter));
        };
        if prefix != "arn" || !partition.starts_with("aws") || service != "sns" || !is_topic_name(name) {
            return Err(SnsError::invalid_parameter(parameter));
        }
        self.check_owner(region, account, arn, parameter, action)?;
        Ok(name)
    }

    /// The topic name and subscription id in a subscription ARN.
    pub fn subscription_key<'a>(&self, arn: &'a str, action: &str) -> SResult<(&'a str, &'a str)> {
        let parameter = "SubscriptionArn";
        let parts: Vec<&str> = arn.split(':').collect();
        let [prefix, partition, service, region, account, topic, id] = parts[..] else {
            return Err(SnsError::invalid_parameter(parameter));
        };
        if prefix != "arn"
            || !partition.starts_with("aws")
            || service != "sns"
            || !is_topic_name(topic)
            || !is_subscription_id(id)
        {
            return Err(SnsError::invalid_parameter(parameter));
        }
        self.check_owner(region, account, arn, parameter, action)?;
        Ok((topic, id))
    }

    fn check_owner(&self, region: &str, account: &str, arn: &str, parameter: &str, action: &str) -> SResult<()> {
        if region != self.region {
            return Err(SnsError::invalid_parameter(format!(
                "{parameter} Reason: {arn} is not in this server's region {}",
                self.region
            )));
        }
        if account != self.account {
            return Err(SnsError::authorization(format!(
                "User: arn:aws:iam::{}:root is not authorized to perform: SNS:{action} on resource: {arn}",
                self.account
            )));
        }
        Ok(())
    }
}

/// Whether `name` is a topic name: 1 to 256 ASCII letters, digits, `_` and
/// `-`, where a FIFO topic's name ends with `.fifo` (counted in the 256).
pub fn is_topic_name(name: &str) -> bool {
    let base = name.strip_suffix(FIFO_SUFFIX).unwrap_or(name);
    !base.is_empty()
        && name.len() <= TOPIC_NAME_CHARS_MAX
        && base.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Whether `id` has the shape of a subscription id (a UUID in its 36-character form).
pub fn is_subscription_id(id: &str) -> bool {
    id.len() == 36
        && id.char_indices().all(|(i, c)| if matches!(i, 8 | 13 | 18 | 23) { c == '-' } else { c.is_ascii_hexdigit() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> Scope {
        Scope { region: "us-east-1".into(), account: "123456789012".into() }
    }

    #[test]
    fn topic_names_follow_aws_rules() {
        assert!(is_topic_name("a"));
        assert!(is_topic_name("My_Topic-1"));
        assert!(is_topic_name("orders.fifo"));
        assert!(is_topic_name(&"x".repeat(256)));
        assert!(!is_topic_name(&"x".repeat(257)));
        assert!(!is_topic_name(&format!("{}.fifo", "x".repeat(252))));
        assert!(!is_topic_name(""));
        assert!(!is_topic_name(".fifo"));
        assert!(!is_topic_name("a.b"));
        assert!(!is_topic_name("a b"));
        assert!(!is_topic_name("a:b"));
    }

    #[test]
    fn topic_arns_are_checked_for_shape_region_and_account() {
        let s = scope();
        assert_eq!(s.topic_name("arn:aws:sns:us-east-1:123456789012:t1", "TopicArn", "Publish"), Ok("t1"));
        let bad = s.topic_name("arn:aws:sqs:us-east-1:123456789012:t1", "TopicArn", "Publish").unwrap_err();
        assert_eq!((bad.code, bad.message.as_str()), ("InvalidParameter", "Invalid parameter: TopicArn"));
        assert_eq!(s.topic_name("t1", "TopicArn", "Publish").unwrap_err().code, "InvalidParameter");
        let region = s.topic_name("arn:aws:sns:eu-west-1:123456789012:t1", "TopicArn", "Publish").unwrap_err();
        assert_eq!(region.code, "InvalidParameter");
        let other = s.topic_name("arn:aws:sns:us-east-1:999999999999:t1", "TopicArn", "Publish").unwrap_err();
        assert_eq!((other.status, other.code), (403, "AuthorizationError"));
        assert!(other.message.contains("SNS:Publish"), "{}", other.message);
    }

    #[test]
    fn subscription_arns_name_topic_and_uuid() {
        let s = scope();
        let arn = "arn:aws:sns:us-east-1:123456789012:t1:0b4c8e2a-5a8f-4c57-9d59-2a5e1d2c7f10";
        assert_eq!(s.subscription_key(arn, "Unsubscribe"), Ok(("t1", "0b4c8e2a-5a8f-4c57-9d59-2a5e1d2c7f10")));
        assert_eq!(s.subscription_arn("t1", "0b4c8e2a-5a8f-4c57-9d59-2a5e1d2c7f10"), arn);
        let bad = s.subscription_key("pending confirmation", "Unsubscribe").unwrap_err();
        assert_eq!(bad.message, "Invalid parameter: SubscriptionArn");
        assert!(s.subscription_key("arn:aws:sns:us-east-1:123456789012:t1:nope", "Unsubscribe").is_err());
    }
}
