//! Publish and PublishBatch: the message is checked (size, subject,
//! structure, attributes, FIFO ids), then fanned out to the topic's
//! confirmed HTTP/S subscriptions whose filter policy it passes, as signed
//! envelopes (or raw), through the delivery queue.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_model::sns::{
    BatchResultErrorEntry, MessageAttributeValue, PublishBatchInput, PublishBatchResponse, PublishBatchResultEntry,
    PublishInput, PublishResponse,
};
use bytes::Bytes;
use serde_json::Value as Json;

use crate::attributes::TopicDeliveryPolicy;
use crate::delivery::Job;
use crate::envelope::{iso8601_millis, Envelope, MessageType, Trailer};
use crate::error::{SResult, SnsError};
use crate::filter::{FilterPolicy, Scope as FilterScope};
use crate::message::{check_message_attributes, MessageAttributes};
use crate::signing::SIGNATURE_VERSION;
use crate::store::TopicDoc;
use crate::subscriptions::is_phone_number;
use crate::{encode, url_encode, Outcome, Sns};

/// Largest message: body plus attribute names, types and values (256 KiB),
/// also the bound on a whole PublishBatch.
pub const MESSAGE_BYTES_MAX: usize = 262_144;
/// Longest Subject.
pub const SUBJECT_CHARS_MAX: usize = 100;
/// Most entries in one PublishBatch.
pub const PUBLISH_BATCH_ENTRIES_MAX: usize = 10;
/// Longest PublishBatch entry id.
pub const BATCH_ENTRY_ID_CHARS_MAX: usize = 80;
/// Longest MessageGroupId and MessageDeduplicationId.
pub const FIFO_ID_CHARS_MAX: usize = 128;
/// How long a FIFO deduplication id suppresses duplicates (AWS: 5 minutes).
pub const DEDUPLICATION_WINDOW: Duration = Duration::from_secs(300);
/// Deduplication ids remembered at once; past it the oldest are forgotten early.
pub const DEDUPLICATION_ENTRIES_MAX: usize = 100_000;

/// One message to publish (a Publish, or one PublishBatch entry).
struct Draft {
    message: String,
    subject: Option<String>,
    structure: Option<String>,
    attributes: Option<std::collections::BTreeMap<String, MessageAttributeValue>>,
    deduplication_id: Option<String>,
    group_id: Option<String>,
}

/// A message accepted for delivery.
struct Accepted {
    message_id: String,
    sequence_number: Option<String>,
}

/// FIFO state in memory: the last sequence number and recent deduplication ids.
#[derive(Debug, Default)]
pub struct Fifo {
    last_sequence: u128,
    seen: HashMap<String, (String, String)>,
    order: VecDeque<(Instant, String)>,
}

impl Fifo {
    /// The next sequence number: increasing, and above any earlier run's (it follows the clock).
    fn next_sequence(&mut self) -> String {
        let clock = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_micros() * 1_000).unwrap_or(0);
        self.last_sequence = (self.last_sequence + 1).max(clock);
        format!("{:020}", self.last_sequence)
    }

    /// The message id and sequence number of a duplicate within the window.
    fn duplicate(&mut self, key: &str, now: Instant) -> Option<(String, String)> {
        while let Some((at, old)) = self.order.front() {
            if now.duration_since(*at) < DEDUPLICATION_WINDOW && self.order.len() < DEDUPLICATION_ENTRIES_MAX {
                break;
            }
            self.seen.remove(old);
            self.order.pop_front();
        }
        self.seen.get(key).cloned()
    }

    fn remember(&mut self, key: String, message_id: String, sequence: String, now: Instant) {
        self.order.push_back((now, key.clone()));
        self.seen.insert(key, (message_id, sequence));
    }
}

impl Sns {
    pub(crate) fn publish(&self, input: PublishInput) -> SResult<Outcome> {
        let targets = [&input.topic_arn, &input.target_arn, &input.phone_number];
        let given = targets.iter().filter(|t| t.as_deref().is_some_and(|t| !t.is_empty())).count();
        if given == 0 {
            return Err(SnsError::invalid_parameter("TopicArn or TargetArn Reason: no value for required parameter"));
        }
        if given > 1 {
            return Err(SnsError::invalid_parameter(
                "TopicArn or TargetArn Reason: Only one of TopicArn, TargetArn or PhoneNumber may be given",
            ));
        }
        let draft = Draft {
            message: input.message.unwrap_or_default(),
            subject: input.subject,
            structure: input.message_structure,
            attributes: input.message_attributes,
            deduplication_id: input.message_deduplication_id,
            group_id: input.message_group_id,
        };
        if let Some(phone) = input.phone_number.filter(|p| !p.is_empty()) {
            if !is_phone_number(&phone) {
                return Err(SnsError::invalid_parameter(format!("PhoneNumber Reason: {phone} is not E.164")));
            }
            check_body(&draft)?;
            tracing::info!("sns SMS to a phone number accepted; kinesd sends no SMS");
            let out = PublishResponse { message_id: Some(uuid::Uuid::new_v4().to_string()), sequence_number: None };
            return Ok(Outcome { body: encode(&out)?, jobs: Vec::new() });
        }
        let (arn, parameter) = match (input.topic_arn, input.target_arn) {
            (Some(arn), _) if !arn.is_empty() => (arn, "TopicArn"),
            (_, Some(arn)) => (arn, "TargetArn"),
            _ => unreachable!("exactly one target was counted"),
        };
        if parameter == "TargetArn" && arn.split(':').nth(5).is_some_and(|r| r.starts_with("endpoint/")) {
            return Err(SnsError::not_found("Endpoint does not exist"));
        }
        let name = self.inner.scope.topic_name(&arn, parameter, "Publish")?;
        let topic = self.topic(name)?;
        let mut jobs = Vec::new();
        let accepted = self.accept(&topic, draft, &mut jobs)?;
        let out = PublishResponse { message_id: Some(accepted.message_id), sequence_number: accepted.sequence_number };
        Ok(Outcome { body: encode(&out)?, jobs })
    }

    pub(crate) fn publish_batch(&self, input: PublishBatchInput) -> SResult<Outcome> {
        let arn = input.topic_arn.unwrap_or_default();
        let name = self.inner.scope.topic_name(&arn, "TopicArn", "PublishBatch")?;
        let entries = input.publish_batch_request_entries.unwrap_or_default();
        if entries.is_empty() {
            return Err(SnsError::new(400, "EmptyBatchRequest", "The batch request doesn't contain any entries."));
        }
        if entries.len() > PUBLISH_BATCH_ENTRIES_MAX {
            return Err(SnsError::new(
                400,
                "TooManyEntriesInBatchRequest",
                format!("The batch request contains more entries than permissible ({PUBLISH_BATCH_ENTRIES_MAX})."),
            ));
        }
        let mut ids = HashSet::new();
        for entry in &entries {
            let id = entry.id.as_deref().unwrap_or("");
            let valid = !id.is_empty()
                && id.len() <= BATCH_ENTRY_ID_CHARS_MAX
                && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !valid {
                return Err(SnsError::new(
                    400,
                    "InvalidBatchEntryId",
                    "The Id of a batch entry in a batch request doesn't abide by the specification.",
                ));
            }
            if !ids.insert(id) {
                return Err(SnsError::new(
                    400,
                    "BatchEntryIdsNotDistinct",
                    "Two or more batch entries in the request have the same Id.",
                ));
            }
        }
        let total: usize = entries.iter().map(|e| e.message.as_deref().map_or(0, str::len)).sum();
        if total > MESSAGE_BYTES_MAX {
            return Err(SnsError::new(
                400,
                "BatchRequestTooLong",
                "The length of all the messages put together is more than the limit.",
            ));
        }
        let topic = self.topic(name)?;
        let (mut successful, mut failed, mut jobs) = (Vec::new(), Vec::new(), Vec::new());
        for entry in entries {
            let id = entry.id.unwrap_or_default();
            let draft = Draft {
                message: entry.message.unwrap_or_default(),
                subject: entry.subject,
                structure: entry.message_structure,
                attributes: entry.message_attributes,
                deduplication_id: entry.message_deduplication_id,
                group_id: entry.message_group_id,
            };
            match self.accept(&topic, draft, &mut jobs) {
                Ok(accepted) => successful.push(PublishBatchResultEntry {
                    id: Some(id),
                    message_id: Some(accepted.message_id),
                    sequence_number: accepted.sequence_number,
                }),
                Err(e) => failed.push(BatchResultErrorEntry {
                    id,
                    code: e.code.to_string(),
                    message: Some(e.message),
                    sender_fault: e.status < 500,
                }),
            }
        }
        let out = PublishBatchResponse { successful: Some(successful), failed: Some(failed) };
        Ok(Outcome { body: encode(&out)?, jobs })
    }

    /// Checks one message and adds its deliveries to `jobs`.
    fn accept(&self, topic: &TopicDoc, draft: Draft, jobs: &mut Vec<Job>) -> SResult<Accepted> {
        let (attributes, structured) = check_body(&draft)?;
        let message_id = uuid::Uuid::new_v4().to_string();
        let sequence_number = if topic.is_fifo() {
            let group = draft.group_id.as_deref().filter(|g| !g.is_empty()).ok_or_else(|| {
                SnsError::invalid_parameter("The MessageGroupId parameter is required for FIFO topics")
            })?;
            check_fifo_id("MessageGroupId", group)?;
            let deduplication_id = match draft.deduplication_id.as_deref().filter(|d| !d.is_empty()) {
                Some(id) => {
                    check_fifo_id("MessageDeduplicationId", id)?;
                    id.to_string()
                }
                None if topic.content_based_deduplication() => content_hash(&draft.message),
                None => {
                    return Err(SnsError::invalid_parameter(
                        "The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
                    ))
                }
            };
            let key = format!("{}\n{deduplication_id}", topic.name);
            let now = Instant::now();
            let mut fifo = self.inner.fifo.lock();
            if let Some((message_id, sequence)) = fifo.duplicate(&key, now) {
                return Ok(Accepted { message_id, sequence_number: Some(sequence) });
            }
            let sequence = fifo.next_sequence();
            fifo.remember(key, message_id.clone(), sequence.clone(), now);
            Some(sequence)
        } else {
            if draft.deduplication_id.as_deref().is_some_and(|d| !d.is_empty()) {
                return Err(SnsError::invalid_parameter(
                    "MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type",
                ));
            }
            if let Some(group) = draft.group_id.as_deref() {
                check_fifo_id("MessageGroupId", group)?;
            }
            None
        };
        self.fan_out(topic, &draft, &attributes, structured.as_ref(), &message_id, jobs)?;
        Ok(Accepted { message_id, sequence_number })
    }

    /// The deliveries of one message to the topic's confirmed HTTP/S subscriptions.
    fn fan_out(
        &self,
        topic: &TopicDoc,
        draft: &Draft,
        attributes: &MessageAttributes,
        structured: Option<&serde_json::Map<String, Json>>,
        message_id: &str,
        jobs: &mut Vec<Job>,
    ) -> SResult<()> {
        let scope = &self.inner.scope;
        let topic_arn = scope.topic_arn(&topic.name);
        let timestamp = iso8601_millis(SystemTime::now());
        let delivery = TopicDeliveryPolicy::of_topic(topic.attributes.get("DeliveryPolicy").map(String::as_str));
        // One signature per distinct message text (MessageStructure may give http and https their own).
        let mut signatures: HashMap<String, String> = HashMap::new();
        let mut undelivered = 0usize;
        for subscription in self.topic_subscriptions(&topic.name)? {
            if subscription.pending {
                continue;
            }
            let message = match structured {
                Some(map) => {
                    map.get(&subscription.protocol).or_else(|| map.get("default")).and_then(Json::as_str).unwrap_or("")
                }
                None => draft.message.as_str(),
            };
            if let Some(policy) = subscription.attributes.get("FilterPolicy") {
                let scope =
                    FilterScope::from_attribute(subscription.attributes.get("FilterPolicyScope").map(String::as_str));
                match FilterPolicy::parse(policy, scope) {
                    Ok(filter) if filter.matches(attributes, message) => {}
                    _ => continue,
                }
            }
            if !matches!(subscription.protocol.as_str(), "http" | "https") {
                undelivered += 1;
                continue;
            }
            let Ok(endpoint) = subscription.endpoint.parse::<http::Uri>() else { continue };
            let subscription_arn = scope.subscription_arn(&topic.name, &subscription.id);
            let body = if subscription.raw() {
                message.to_string()
            } else {
                let envelope = Envelope {
                    message_type: MessageType::Notification,
                    message_id,
                    topic_arn: &topic_arn,
                    subject: draft.subject.as_deref(),
                    message,
                    timestamp: &timestamp,
                    token: None,
                    subscribe_url: None,
                };
                let signature = signatures
                    .entry(message.to_string())
                    .or_insert_with(|| self.inner.signer.sign(&envelope.string_to_sign()))
                    .clone();
                let unsubscribe_url = format!(
                    "{}/?Action=Unsubscribe&SubscriptionArn={}",
                    subscription.base_url,
                    url_encode(&subscription_arn)
                );
                envelope.render(&Trailer {
                    signature_version: SIGNATURE_VERSION,
                    signature: &signature,
                    signing_cert_url: self.inner.signer.cert_url(),
                    unsubscribe_url: Some(&unsubscribe_url),
                    attributes: Some(attributes),
                })
            };
            let policy = delivery.for_subscription(subscription.attributes.get("DeliveryPolicy").map(String::as_str));
            jobs.push(Job {
                endpoint,
                message_type: MessageType::Notification,
                message_id: message_id.to_string(),
                topic_arn: topic_arn.clone(),
                subscription_arn,
                body: Bytes::from(body),
                content_type: policy.content_type,
                raw: subscription.raw(),
                retry: policy.retry,
            });
        }
        if undelivered > 0 {
            tracing::debug!(topic = %topic_arn, message_id, undelivered, "sns subscriptions of protocols kinesd does not deliver to");
        }
        Ok(())
    }
}

/// Checks what every message must satisfy: body, size, subject, structure and
/// attributes. Answers the attributes and, for MessageStructure=json, the
/// per-protocol messages.
fn check_body(draft: &Draft) -> SResult<(MessageAttributes, Option<serde_json::Map<String, Json>>)> {
    if draft.message.is_empty() {
        return Err(SnsError::invalid_parameter("Empty message"));
    }
    let (attributes, attribute_bytes) = check_message_attributes(draft.attributes.as_ref())?;
    if draft.message.len() + attribute_bytes > MESSAGE_BYTES_MAX {
        return Err(SnsError::invalid_parameter(format!(
            "Message too long: message and attributes exceed {MESSAGE_BYTES_MAX} bytes"
        )));
    }
    if let Some(subject) = &draft.subject {
        let printable = subject.chars().all(|c| c.is_ascii() && !c.is_ascii_control());
        if subject.is_empty() || subject.chars().count() > SUBJECT_CHARS_MAX || !printable || subject.starts_with(' ') {
            return Err(SnsError::invalid_parameter("Subject"));
        }
    }
    let structured = match draft.structure.as_deref() {
        None | Some("") => None,
        Some("json") => {
            let parsed: Json = serde_json::from_str(&draft.message)
                .map_err(|_| SnsError::invalid_parameter("Message Structure - JSON message body failed to parse"))?;
            let Json::Object(map) = parsed else {
                return Err(SnsError::invalid_parameter("Message Structure - JSON message body failed to parse"));
            };
            if !map.get("default").is_some_and(Json::is_string) {
                return Err(SnsError::invalid_parameter("Message Structure - No default entry in JSON message body"));
            }
            if !map.values().all(Json::is_string) {
                return Err(SnsError::invalid_parameter(
                    "Message Structure - every protocol's message must be a string",
                ));
            }
            Some(map)
        }
        Some(_) => return Err(SnsError::invalid_parameter("MessageStructure")),
    };
    Ok((attributes, structured))
}

/// MessageGroupId and MessageDeduplicationId: 1 to 128 ASCII letters, digits and punctuation.
fn check_fifo_id(parameter: &str, id: &str) -> SResult<()> {
    let valid = !id.is_empty() && id.len() <= FIFO_ID_CHARS_MAX && id.bytes().all(|b| b.is_ascii_graphic());
    if valid {
        Ok(())
    } else {
        Err(SnsError::invalid_parameter(format!(
            "{parameter} Reason: must be 1 to {FIFO_ID_CHARS_MAX} ASCII letters, digits and punctuation"
        )))
    }
}

/// The content-based deduplication id: SHA-256 of the message, in hex.
fn content_hash(message: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, message.as_bytes());
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(message: &str) -> Draft {
        Draft {
            message: message.into(),
            subject: None,
            structure: None,
            attributes: None,
            deduplication_id: None,
            group_id: None,
        }
    }

    #[test]
    fn bodies_are_checked_like_aws() {
        assert_eq!(check_body(&draft("")).unwrap_err().message, "Invalid parameter: Empty message");
        assert!(check_body(&draft(&"x".repeat(MESSAGE_BYTES_MAX))).is_ok());
        assert!(check_body(&draft(&"x".repeat(MESSAGE_BYTES_MAX + 1))).unwrap_err().message.contains("too long"));
        let subject = |s: &str| check_body(&Draft { subject: Some(s.into()), ..draft("m") });
        assert!(subject("Hello").is_ok());
        assert!(subject("line\nbreak").is_err());
        assert!(subject(&"s".repeat(101)).is_err());
        let structured = |m: &str| check_body(&Draft { structure: Some("json".into()), ..draft(m) });
        let (_, map) = structured(r#"{"default": "d", "http": "h"}"#).unwrap();
        assert_eq!(map.unwrap()["http"], "h");
        assert!(structured(r#"{"http": "h"}"#).unwrap_err().message.contains("No default entry"));
        assert!(structured("nope").unwrap_err().message.contains("failed to parse"));
        assert!(check_body(&Draft { structure: Some("xml".into()), ..draft("m") }).is_err());
    }

    #[test]
    fn fifo_sequences_increase_and_duplicates_are_remembered() {
        let mut fifo = Fifo::default();
        let (a, b) = (fifo.next_sequence(), fifo.next_sequence());
        assert_eq!(a.len(), 20);
        assert!(b > a);
        let now = Instant::now();
        assert_eq!(fifo.duplicate("t\nd1", now), None);
        fifo.remember("t\nd1".into(), "m1".into(), a.clone(), now);
        assert_eq!(fifo.duplicate("t\nd1", now + Duration::from_secs(10)), Some(("m1".into(), a)));
        assert_eq!(fifo.duplicate("t\nd1", now + DEDUPLICATION_WINDOW), None);
    }

    #[test]
    fn content_hash_is_sha256_hex() {
        assert_eq!(content_hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
