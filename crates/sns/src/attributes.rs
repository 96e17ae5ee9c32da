//! Topic and subscription attributes: which names each operation takes, how
//! a value is checked and normalized, and the AWS defaults that
//! GetTopicAttributes and GetSubscriptionAttributes answer (the default topic
//! policy, the effective delivery policies).

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Map, Value as Json};

use crate::error::{SResult, SnsError};
use crate::filter::{FilterPolicy, Scope as FilterScope};

/// Longest DisplayName (AWS's limit for SMS sender names, applied to all topics).
pub const DISPLAY_NAME_CHARS_MAX: usize = 100;
/// Largest topic access policy (AWS: 30 KiB).
pub const POLICY_BYTES_MAX: usize = 30_720;
/// Largest delivery, redrive, archive or replay policy document.
pub const POLICY_DOCUMENT_BYTES_MAX: usize = 30_720;
/// Most retries a delivery policy may ask for (AWS's bound).
pub const RETRIES_MAX: u32 = 100;
/// Longest delay between two retries a delivery policy may ask for (AWS's bound).
pub const RETRY_DELAY_SECONDS_MAX: u32 = 3_600;
/// The delivery-status feedback protocols of `{Protocol}SuccessFeedbackRoleArn` and friends.
pub const FEEDBACK_PROTOCOLS: [&str; 5] = ["Application", "Firehose", "HTTP", "Lambda", "SQS"];
/// Content type of HTTP/S deliveries unless a delivery policy says otherwise.
pub const DEFAULT_CONTENT_TYPE: &str = "text/plain; charset=UTF-8";

/// Which request sets a topic attribute: some are fixed at creation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    Create,
    Set,
}

/// Checks one topic attribute; answers the value to store, or `None` when
/// the value unsets the attribute (an empty optional string).
pub fn check_topic_attribute(name: &str, value: &str, fifo: bool, when: When) -> SResult<Option<String>> {
    let invalid = |why: &str| SnsError::invalid_parameter(format!("Attributes Reason: {name}: {why}"));
    // An empty value unsets, which every topic may do.
    let fifo_only = || {
        if fifo || value.is_empty() {
            Ok(())
        } else {
            Err(SnsError::invalid_parameter(format!("Attributes Reason: {name} is only valid for FIFO topics")))
        }
    };
    let optional = |v: &str| (!v.is_empty()).then(|| v.to_string());
    match name {
        "DisplayName" => {
            if value.chars().count() > DISPLAY_NAME_CHARS_MAX {
                return Err(invalid(&format!("must be at most {DISPLAY_NAME_CHARS_MAX} characters")));
            }
            Ok(optional(value))
        }
        "Policy" => {
            if value.is_empty() {
                return Ok(None);
            }
            if value.len() > POLICY_BYTES_MAX {
                return Err(SnsError::invalid_parameter(format!(
                    "Policy Error: the policy is larger than {POLICY_BYTES_MAX} bytes"
                )));
            }
            match serde_json::from_str::<Json>(value) {
                Ok(Json::Object(_)) => Ok(Some(value.to_string())),
                _ => Err(SnsError::invalid_parameter("Policy Error: the policy is not a JSON object")),
            }
        }
        "DeliveryPolicy" => {
            if value.is_empty() {
                return Ok(None);
            }
            TopicDeliveryPolicy::parse(value).map_err(|why| delivery_policy_error(&why))?;
            Ok(Some(value.to_string()))
        }
        "KmsMasterKeyId" => Ok(optional(value)),
        "SignatureVersion" => match value {
            "1" | "2" => Ok(Some(value.to_string())),
            _ => Err(invalid(&format!("Invalid value [{value}]. Must be 1 or 2."))),
        },
        "TracingConfig" => match value {
            "PassThrough" | "Active" => Ok(Some(value.to_string())),
            _ => Err(invalid(&format!("Invalid value [{value}]. Must be PassThrough or Active."))),
        },
        "FifoTopic" => match when {
            When::Set => Err(SnsError::invalid_parameter(
                "AttributeName Reason: FifoTopic can only be set when the topic is created",
            )),
            When::Create => parse_bool(value)
                .map(|b| b.then(|| "true".to_string()))
                .ok_or_else(|| invalid(&format!("Invalid value [{value}]. Must be true or false."))),
        },
        "ContentBasedDeduplication" => {
            fifo_only()?;
            if value.is_empty() {
                return Ok(None);
            }
            let b = parse_bool(value)
                .ok_or_else(|| invalid(&format!("Invalid value [{value}]. Must be true or false.")))?;
            Ok(Some(b.to_string()))
        }
        "FifoThroughputScope" => {
            fifo_only()?;
            match value {
                "" => Ok(None),
                "Topic" | "MessageGroup" => Ok(Some(value.to_string())),
                _ => Err(invalid(&format!("Invalid value [{value}]. Must be Topic or MessageGroup."))),
            }
        }
        "ArchivePolicy" => {
            fifo_only()?;
            if value.is_empty() {
                return Ok(None);
            }
            json_object(value).map_err(|why| invalid(&why))?;
            Ok(Some(value.to_string()))
        }
        _ => match feedback_attribute(name) {
            Some(Feedback::RoleArn) => Ok(optional(value)),
            Some(Feedback::SampleRate) => match value.parse::<u8>() {
                Ok(rate) if rate <= 100 => Ok(Some(rate.to_string())),
                _ => Err(invalid(&format!("Invalid value [{value}]. Must be an integer from 0 to 100."))),
            },
            None => Err(match when {
                When::Set => SnsError::invalid_parameter("AttributeName"),
                When::Create => SnsError::invalid_parameter(format!("Attributes Reason: Unknown attribute {name}")),
            }),
        },
    }
}

enum Feedback {
    RoleArn,
    SampleRate,
}

/// The delivery-status attributes (`HTTPSuccessFeedbackRoleArn`...): stored
/// and answered; kinesd writes no delivery-status logs.
fn feedback_attribute(name: &str) -> Option<Feedback> {
    let rest = FEEDBACK_PROTOCOLS.iter().find_map(|p| name.strip_prefix(p))?;
    match rest {
        "SuccessFeedbackRoleArn" | "FailureFeedbackRoleArn" => Some(Feedback::RoleArn),
        "SuccessFeedbackSampleRate" => Some(Feedback::SampleRate),
        _ => None,
    }
}

/// Which protocols take which subscription attributes.
pub fn check_subscription_attribute(name: &str, value: &str, protocol: &str) -> SResult<Option<String>> {
    // An empty value unsets (the Terraform provider sends unset attributes as empty strings).
    if value.is_empty() && name != "RawMessageDelivery" && name != "FilterPolicyScope" {
        return match name {
            "FilterPolicy" | "DeliveryPolicy" | "RedrivePolicy" | "SubscriptionRoleArn" | "ReplayPolicy" => Ok(None),
            _ => Err(SnsError::invalid_parameter("AttributeName")),
        };
    }
    let invalid = |why: &str| SnsError::invalid_parameter(format!("Attributes Reason: {name}: {why}"));
    match name {
        "RawMessageDelivery" => {
            let b = parse_bool(value)
                .ok_or_else(|| invalid(&format!("Invalid value [{value}]. Must be true or false.")))?;
            if b && !matches!(protocol, "http" | "https" | "sqs" | "firehose") {
                return Err(SnsError::invalid_parameter(format!(
                    "Attributes Reason: Delivery protocol [{protocol}] does not support raw message delivery."
                )));
            }
            Ok(Some(b.to_string()))
        }
        // Checked against the scope once every attribute of the request is applied.
        "FilterPolicy" => Ok((!value.is_empty() && value.trim() != "{}").then(|| value.to_string())),
        "FilterPolicyScope" => match value {
            "MessageAttributes" | "MessageBody" => Ok(Some(value.to_string())),
            _ => Err(invalid(&format!("Invalid value [{value}]. Must be MessageAttributes or MessageBody."))),
        },
        "DeliveryPolicy" => {
            if !matches!(protocol, "http" | "https") {
                return Err(invalid("delivery policies apply to HTTP and HTTPS subscriptions only"));
            }
            if value.is_empty() {
                return Ok(None);
            }
            HttpPolicy::default().with_subscription_policy(value).map_err(|why| delivery_policy_error(&why))?;
            Ok(Some(value.to_string()))
        }
        "RedrivePolicy" => {
            if value.is_empty() {
                return Ok(None);
            }
            let object = json_object(value).map_err(|why| invalid(&why))?;
            match object.get("deadLetterTargetArn") {
                Some(Json::String(arn)) if arn.starts_with("arn:") => Ok(Some(value.to_string())),
                _ => Err(invalid("deadLetterTargetArn must be the ARN of an SQS queue")),
            }
        }
        "SubscriptionRoleArn" => {
            if protocol != "firehose" {
                return Err(invalid("only Firehose subscriptions take a SubscriptionRoleArn"));
            }
            Ok((!value.is_empty()).then(|| value.to_string()))
        }
        "ReplayPolicy" => {
            if value.is_empty() {
                return Ok(None);
            }
            json_object(value).map_err(|why| invalid(&why))?;
            Ok(Some(value.to_string()))
        }
        _ => Err(SnsError::invalid_parameter("AttributeName")),
    }
}

/// Applies subscription attribute changes to `attributes`, then checks that
/// the filter policy fits its scope (the two may change in one request).
pub fn apply_subscription_attributes(
    attributes: &mut BTreeMap<String, String>,
    changes: &BTreeMap<String, String>,
    protocol: &str,
) -> SResult<()> {
    for (name, value) in changes {
        match check_subscription_attribute(name, value, protocol)? {
            Some(v) => attributes.insert(name.clone(), v),
            None => attributes.remove(name),
        };
    }
    if let Some(policy) = attributes.get("FilterPolicy") {
        let scope = FilterScope::from_attribute(attributes.get("FilterPolicyScope").map(String::as_str));
        FilterPolicy::parse(policy, scope)
            .map_err(|why| SnsError::invalid_parameter(format!("FilterPolicy: {why}")))?;
    }
    Ok(())
}

/// `true`/`false` in any case.
pub fn parse_bool(value: &str) -> Option<bool> {
    if value.eq_ignore_ascii_case("true") {
        Some(true)
    } else if value.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

fn json_object(value: &str) -> Result<Map<String, Json>, String> {
    if value.len() > POLICY_DOCUMENT_BYTES_MAX {
        return Err(format!("the document is larger than {POLICY_DOCUMENT_BYTES_MAX} bytes"));
    }
    match serde_json::from_str::<Json>(value) {
        Ok(Json::Object(object)) => Ok(object),
        _ => Err("the value is not a JSON object".to_string()),
    }
}

fn delivery_policy_error(why: &str) -> SnsError {
    SnsError::invalid_parameter(format!("DeliveryPolicy: {why}"))
}

/// The access policy AWS gives a topic that has none of its own.
pub fn default_topic_policy(topic_arn: &str, account: &str) -> String {
    let actions = [
        "SNS:GetTopicAttributes",
        "SNS:SetTopicAttributes",
        "SNS:AddPermission",
        "SNS:RemovePermission",
        "SNS:DeleteTopic",
        "SNS:Subscribe",
        "SNS:ListSubscriptionsByTopic",
        "SNS:Publish",
    ];
    let actions = actions.iter().map(|a| format!("\"{a}\"")).collect::<Vec<_>>().join(",");
    format!(
        "{{\"Version\":\"2008-10-17\",\"Id\":\"__default_policy_ID\",\"Statement\":[{{\"Sid\":\"__default_statement_ID\",\
         \"Effect\":\"Allow\",\"Principal\":{{\"AWS\":\"*\"}},\"Action\":[{actions}],\"Resource\":{},\
         \"Condition\":{{\"StringEquals\":{{\"AWS:SourceOwner\":{}}}}}}}]}}",
        json_string(topic_arn),
        json_string(account)
    )
}

fn json_string(text: &str) -> String {
    Json::String(text.to_string()).to_string()
}

/// How the delay between retries grows in the backoff phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Backoff {
    Linear,
    Arithmetic,
    Geometric,
    Exponential,
}

impl Backoff {
    fn parse(text: &str) -> Option<Backoff> {
        match text {
            "linear" => Some(Backoff::Linear),
            "arithmetic" => Some(Backoff::Arithmetic),
            "geometric" => Some(Backoff::Geometric),
            "exponential" => Some(Backoff::Exponential),
            _ => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Backoff::Linear => "linear",
            Backoff::Arithmetic => "arithmetic",
            Backoff::Geometric => "geometric",
            Backoff::Exponential => "exponential",
        }
    }
}

/// A healthy-endpoint retry policy (AWS's `healthyRetryPolicy`): after the
/// first attempt, `num_no_delay_retries` immediate retries, then
/// `num_min_delay_retries` at the minimum delay, a backoff phase growing from
/// the minimum to the maximum delay, and `num_max_delay_retries` at the maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RetryPolicy {
    pub min_delay_seconds: u32,
    pub max_delay_seconds: u32,
    pub num_retries: u32,
    pub num_no_delay_retries: u32,
    pub num_min_delay_retries: u32,
    pub num_max_delay_retries: u32,
    pub backoff: Backoff,
}

impl RetryPolicy {
    /// AWS's default for HTTP/S: three retries, 20 seconds apart.
    pub const AWS_DEFAULT: RetryPolicy = RetryPolicy {
        min_delay_seconds: 20,
        max_delay_seconds: 20,
        num_retries: 3,
        num_no_delay_retries: 0,
        num_min_delay_retries: 0,
        num_max_delay_retries: 0,
        backoff: Backoff::Linear,
    };

    /// This policy with the members `json` sets, checked against AWS's bounds.
    fn merged(self, json: &Json) -> Result<RetryPolicy, String> {
        let Json::Object(object) = json else {
            return Err("a retry policy must be a JSON object".into());
        };
        let mut p = self;
        for (name, value) in object {
            let field = match name.as_str() {
                "minDelayTarget" => &mut p.min_delay_seconds,
                "maxDelayTarget" => &mut p.max_delay_seconds,
                "numRetries" => &mut p.num_retries,
                "numNoDelayRetries" => &mut p.num_no_delay_retries,
                "numMinDelayRetries" => &mut p.num_min_delay_retries,
                "numMaxDelayRetries" => &mut p.num_max_delay_retries,
                "backoffFunction" => {
                    p.backoff = value.as_str().and_then(Backoff::parse).ok_or_else(|| {
                        "backoffFunction must be linear, arithmetic, geometric or exponential".to_string()
                    })?;
                    continue;
                }
                other => return Err(format!("unknown retry policy member {other}")),
            };
            *field = value
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| format!("{name} must be a non-negative integer"))?;
        }
        if p.num_retries > RETRIES_MAX {
            return Err(format!("numRetries must be at most {RETRIES_MAX}"));
        }
        if p.min_delay_seconds < 1 || p.min_delay_seconds > p.max_delay_seconds {
            return Err("minDelayTarget must be at least 1 and at most maxDelayTarget".into());
        }
        if p.max_delay_seconds > RETRY_DELAY_SECONDS_MAX {
            return Err(format!("maxDelayTarget must be at most {RETRY_DELAY_SECONDS_MAX}"));
        }
        let phases = p.num_no_delay_retries as u64 + p.num_min_delay_retries as u64 + p.num_max_delay_retries as u64;
        if phases > p.num_retries as u64 {
            return Err("numNoDelayRetries + numMinDelayRetries + numMaxDelayRetries must not exceed numRetries".into());
        }
        Ok(p)
    }

    /// The wait before retry `retry` (1 for the first retry).
    pub fn delay_before_retry(&self, retry: u32) -> Duration {
        let (min, max) = (self.min_delay_seconds as f64, self.max_delay_seconds as f64);
        let no_delay = self.num_no_delay_retries;
        let min_phase_end = no_delay + self.num_min_delay_retries;
        let backoff_steps = self.num_retries.saturating_sub(min_phase_end + self.num_max_delay_retries);
        let seconds = if retry <= no_delay {
            0.0
        } else if retry <= min_phase_end {
            min
        } else if retry <= min_phase_end + backoff_steps {
            let (k, n) = ((retry - min_phase_end) as f64, backoff_steps as f64);
            match self.backoff {
                Backoff::Linear => min + (max - min) * k / n,
                Backoff::Arithmetic => min + (max - min) * (k * (k + 1.0)) / (n * (n + 1.0)),
                Backoff::Geometric => min * (max / min).powf(k / n),
                Backoff::Exponential => min + (max - min) * (2f64.powf(k) - 1.0) / (2f64.powf(n) - 1.0),
            }
        } else {
            max
        };
        Duration::from_secs_f64(seconds.clamp(0.0, max))
    }

    fn to_json(self) -> String {
        format!(
            "{{\"minDelayTarget\":{},\"maxDelayTarget\":{},\"numRetries\":{},\"numMaxDelayRetries\":{},\
             \"numNoDelayRetries\":{},\"numMinDelayRetries\":{},\"backoffFunction\":\"{}\"}}",
            self.min_delay_seconds,
            self.max_delay_seconds,
            self.num_retries,
            self.num_max_delay_retries,
            self.num_no_delay_retries,
            self.num_min_delay_retries,
            self.backoff.as_str()
        )
    }
}

/// How HTTP/S deliveries to one subscription are made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpPolicy {
    pub retry: RetryPolicy,
    /// The `Content-Type` of each POST.
    pub content_type: String,
    /// `maxReceivesPerSecond` when set (stored and answered; deliveries are
    /// bounded by the delivery queue instead).
    pub max_receives_per_second: Option<u32>,
}

impl Default for HttpPolicy {
    fn default() -> Self {
        HttpPolicy {
            retry: RetryPolicy::AWS_DEFAULT,
            content_type: DEFAULT_CONTENT_TYPE.to_string(),
            max_receives_per_second: None,
        }
    }
}

impl HttpPolicy {
    /// This policy with the members given (a `null` member is absent, as AWS writes unset ones).
    fn merged(mut self, retry: Option<&Json>, throttle: Option<&Json>, request: Option<&Json>) -> Result<Self, String> {
        let (retry, throttle, request) = (present(retry), present(throttle), present(request));
        if let Some(retry) = retry {
            self.retry = self.retry.merged(retry)?;
        }
        if let Some(throttle) = throttle {
            let rate = throttle.get("maxReceivesPerSecond").and_then(Json::as_u64);
            match rate.and_then(|r| u32::try_from(r).ok()) {
                Some(rate) if rate >= 1 => self.max_receives_per_second = Some(rate),
                _ => return Err("maxReceivesPerSecond must be a positive integer".into()),
            }
        }
        if let Some(request) = request {
            match request.get("headerContentType").and_then(Json::as_str) {
                Some(ct) if is_delivery_content_type(ct) => self.content_type = ct.to_string(),
                Some(ct) => return Err(format!("headerContentType {ct} is not supported")),
                None => {}
            }
        }
        Ok(self)
    }

    /// This policy overridden by a subscription's DeliveryPolicy. A
    /// subscription's retry policy stands on its own: the members it omits
    /// take AWS's defaults, not the topic's.
    pub fn with_subscription_policy(mut self, text: &str) -> Result<HttpPolicy, String> {
        let object = json_object(text)?;
        if object.get("healthyRetryPolicy").is_some_and(|v| !v.is_null()) {
            self.retry = RetryPolicy::AWS_DEFAULT;
        }
        self.merged(object.get("healthyRetryPolicy"), object.get("throttlePolicy"), object.get("requestPolicy"))
    }

    /// The `EffectiveDeliveryPolicy` of a subscription, in AWS's layout.
    pub fn subscription_json(&self) -> String {
        format!(
            "{{\"healthyRetryPolicy\":{},\"sicklyRetryPolicy\":null,\"throttlePolicy\":{},\
             \"requestPolicy\":{{\"headerContentType\":{}}},\"guaranteed\":false}}",
            self.retry.to_json(),
            throttle_json(self.max_receives_per_second),
            json_string(&self.content_type)
        )
    }
}

fn throttle_json(rate: Option<u32>) -> String {
    match rate {
        Some(rate) => format!("{{\"maxReceivesPerSecond\":{rate}}}"),
        None => "null".to_string(),
    }
}

/// A policy member, unless absent or `null`.
fn present(member: Option<&Json>) -> Option<&Json> {
    member.filter(|v| !v.is_null())
}

/// The content types AWS lets a delivery policy choose.
fn is_delivery_content_type(ct: &str) -> bool {
    let mime = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    matches!(mime.as_str(), "text/plain" | "application/json" | "application/xml")
}

/// A topic's DeliveryPolicy (its `http` member; the others are stored only).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TopicDeliveryPolicy {
    pub http: HttpPolicy,
    /// Whether subscriptions' own delivery policies are ignored.
    pub disable_subscription_overrides: bool,
}

impl TopicDeliveryPolicy {
    /// Parses and checks a topic DeliveryPolicy.
    pub fn parse(text: &str) -> Result<TopicDeliveryPolicy, String> {
        let object = json_object(text)?;
        let mut policy = TopicDeliveryPolicy::default();
        if let Some(http) = object.get("http") {
            if !http.is_object() {
                return Err("http must be a JSON object".into());
            }
            policy.http = policy.http.merged(
                http.get("defaultHealthyRetryPolicy"),
                http.get("defaultThrottlePolicy"),
                http.get("defaultRequestPolicy"),
            )?;
            match http.get("disableSubscriptionOverrides") {
                None => {}
                Some(Json::Bool(b)) => policy.disable_subscription_overrides = *b,
                Some(_) => return Err("disableSubscriptionOverrides must be true or false".into()),
            }
        }
        Ok(policy)
    }

    /// The topic's policy, AWS's default when it has none (or a stored one no longer parses).
    pub fn of_topic(stored: Option<&str>) -> TopicDeliveryPolicy {
        stored.and_then(|text| TopicDeliveryPolicy::parse(text).ok()).unwrap_or_default()
    }

    /// How a subscription with DeliveryPolicy `subscription` is delivered to.
    pub fn for_subscription(&self, subscription: Option<&str>) -> HttpPolicy {
        match subscription {
            Some(text) if !self.disable_subscription_overrides => {
                self.http.clone().with_subscription_policy(text).unwrap_or_else(|_| self.http.clone())
            }
            _ => self.http.clone(),
        }
    }

    /// The topic's `EffectiveDeliveryPolicy`, in AWS's layout.
    pub fn topic_json(&self) -> String {
        let throttle = match self.http.max_receives_per_second {
            Some(rate) => format!(",\"defaultThrottlePolicy\":{}", throttle_json(Some(rate))),
            None => String::new(),
        };
        format!(
            "{{\"http\":{{\"defaultHealthyRetryPolicy\":{},\"disableSubscriptionOverrides\":{}{throttle},\
             \"defaultRequestPolicy\":{{\"headerContentType\":{}}}}}}}",
            self.http.retry.to_json(),
            self.disable_subscription_overrides,
            json_string(&self.http.content_type)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What AWS answers as a new topic's EffectiveDeliveryPolicy.
    const AWS_DEFAULT_EFFECTIVE: &str = "{\"http\":{\"defaultHealthyRetryPolicy\":{\"minDelayTarget\":20,\
        \"maxDelayTarget\":20,\"numRetries\":3,\"numMaxDelayRetries\":0,\"numNoDelayRetries\":0,\
        \"numMinDelayRetries\":0,\"backoffFunction\":\"linear\"},\"disableSubscriptionOverrides\":false,\
        \"defaultRequestPolicy\":{\"headerContentType\":\"text/plain; charset=UTF-8\"}}}";

    #[test]
    fn default_effective_delivery_policy_is_aws_text() {
        assert_eq!(TopicDeliveryPolicy::of_topic(None).topic_json(), AWS_DEFAULT_EFFECTIVE);
        let parsed: Json = serde_json::from_str(&HttpPolicy::default().subscription_json()).unwrap();
        assert_eq!(parsed["healthyRetryPolicy"]["numRetries"], 3);
        assert_eq!(parsed["requestPolicy"]["headerContentType"], DEFAULT_CONTENT_TYPE);
    }

    #[test]
    fn default_topic_policy_names_topic_and_owner() {
        let arn = "arn:aws:sns:us-east-1:123456789012:t";
        let policy: Json = serde_json::from_str(&default_topic_policy(arn, "123456789012")).unwrap();
        assert_eq!(policy["Id"], "__default_policy_ID");
        assert_eq!(policy["Statement"][0]["Resource"], arn);
        assert_eq!(policy["Statement"][0]["Condition"]["StringEquals"]["AWS:SourceOwner"], "123456789012");
        assert_eq!(policy["Statement"][0]["Action"].as_array().unwrap().len(), 8);
    }

    #[test]
    fn topic_attributes_are_checked_and_normalized() {
        let check = |n: &str, v: &str| check_topic_attribute(n, v, false, When::Set);
        assert_eq!(check("DisplayName", "hello"), Ok(Some("hello".into())));
        assert_eq!(check("DisplayName", ""), Ok(None));
        assert_eq!(check("DisplayName", &"x".repeat(101)).unwrap_err().code, "InvalidParameter");
        assert_eq!(check("HTTPSuccessFeedbackSampleRate", "0"), Ok(Some("0".into())));
        assert_eq!(check("SQSSuccessFeedbackSampleRate", "100"), Ok(Some("100".into())));
        assert!(check("LambdaSuccessFeedbackSampleRate", "101").is_err());
        assert_eq!(
            check("FirehoseFailureFeedbackRoleArn", "arn:aws:iam::1:role/r"),
            Ok(Some("arn:aws:iam::1:role/r".into()))
        );
        assert_eq!(check("SignatureVersion", "2"), Ok(Some("2".into())));
        assert!(check("SignatureVersion", "3").is_err());
        assert!(check("Policy", "not json").is_err());
        assert_eq!(check("Nope", "x").unwrap_err().message, "Invalid parameter: AttributeName");
        assert!(check("FifoTopic", "true").is_err());
        assert!(check("ContentBasedDeduplication", "true").is_err());
        assert_eq!(
            check_topic_attribute("ContentBasedDeduplication", "TRUE", true, When::Set),
            Ok(Some("true".into()))
        );
        assert_eq!(check_topic_attribute("FifoTopic", "false", false, When::Create), Ok(None));
    }

    #[test]
    fn delivery_policies_are_bounded_like_aws() {
        let bad = |text: &str| TopicDeliveryPolicy::parse(text).unwrap_err();
        assert!(bad(r#"{"http":{"defaultHealthyRetryPolicy":{"numRetries":101}}}"#).contains("numRetries"));
        assert!(bad(r#"{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":30}}}"#).contains("minDelayTarget"));
        assert!(bad(r#"{"http":{"defaultHealthyRetryPolicy":{"backoffFunction":"cubic"}}}"#).contains("backoff"));
        assert!(bad(r#"{"http":{"defaultRequestPolicy":{"headerContentType":"image/png"}}}"#).contains("image/png"));
        let topic = TopicDeliveryPolicy::parse(
            r#"{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":1,"numRetries":2,"numNoDelayRetries":2},
                "defaultRequestPolicy":{"headerContentType":"application/json"}}}"#,
        )
        .unwrap();
        assert_eq!(topic.http.retry.num_retries, 2);
        assert_eq!(topic.http.content_type, "application/json");
        // AWS's own layout of a subscription policy, unset members null.
        let aws_layout = HttpPolicy::default().subscription_json();
        assert_eq!(HttpPolicy::default().with_subscription_policy(&aws_layout), Ok(HttpPolicy::default()));
        let sub = topic.for_subscription(Some(r#"{"healthyRetryPolicy":{"numRetries":0}}"#));
        assert_eq!((sub.retry.num_retries, sub.content_type.as_str()), (0, "application/json"));
    }

    #[test]
    fn retry_delays_follow_the_four_phases() {
        let p = RetryPolicy {
            min_delay_seconds: 2,
            max_delay_seconds: 10,
            num_retries: 8,
            num_no_delay_retries: 2,
            num_min_delay_retries: 1,
            num_max_delay_retries: 1,
            backoff: Backoff::Linear,
        };
        let delays: Vec<f64> = (1..=8).map(|r| p.delay_before_retry(r).as_secs_f64()).collect();
        // 2 immediate, 1 at the minimum, 4 backoff steps from 2 to 10, 1 at the maximum.
        assert_eq!(delays, [0.0, 0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 10.0]);
        let default: Vec<u64> = (1..=3).map(|r| RetryPolicy::AWS_DEFAULT.delay_before_retry(r).as_secs()).collect();
        assert_eq!(default, [20, 20, 20]);
        let exp = RetryPolicy { backoff: Backoff::Exponential, ..p };
        assert!(exp.delay_before_retry(4) < exp.delay_before_retry(6));
        assert_eq!(exp.delay_before_retry(7).as_secs(), 10);
    }

    #[test]
    fn subscription_attributes_depend_on_protocol() {
        let err = check_subscription_attribute("RawMessageDelivery", "true", "email").unwrap_err();
        assert!(err.message.contains("does not support raw message delivery"), "{}", err.message);
        assert_eq!(check_subscription_attribute("RawMessageDelivery", "True", "https"), Ok(Some("true".into())));
        assert!(check_subscription_attribute("DeliveryPolicy", "{}", "sqs").is_err());
        assert_eq!(check_subscription_attribute("DeliveryPolicy", "", "sqs"), Ok(None));
        assert_eq!(check_subscription_attribute("SubscriptionRoleArn", "", "sqs"), Ok(None));
        assert!(check_subscription_attribute("SubscriptionRoleArn", "arn:x", "http").is_err());
        assert_eq!(
            check_subscription_attribute("Bogus", "x", "http").unwrap_err().message,
            "Invalid parameter: AttributeName"
        );

        let mut attrs = BTreeMap::new();
        let nested = BTreeMap::from([("FilterPolicy".to_string(), r#"{"a":{"b":["c"]}}"#.to_string())]);
        assert!(apply_subscription_attributes(&mut attrs, &nested, "http").is_err());
        let mut both = nested.clone();
        both.insert("FilterPolicyScope".into(), "MessageBody".into());
        apply_subscription_attributes(&mut attrs, &both, "http").unwrap();
        assert_eq!(attrs.get("FilterPolicyScope").map(String::as_str), Some("MessageBody"));
    }
}
