//! Subscription operations: Subscribe, ConfirmSubscription, Unsubscribe,
//! the two listings and Get/SetSubscriptionAttributes, with the confirmation
//! messages they send to HTTP/S endpoints.

use std::collections::BTreeMap;
use std::time::SystemTime;

use aws_model::sns::{
    ConfirmSubscriptionInput, ConfirmSubscriptionResponse, GetSubscriptionAttributesInput,
    GetSubscriptionAttributesResponse, ListSubscriptionsByTopicInput, ListSubscriptionsByTopicResponse,
    ListSubscriptionsInput, ListSubscriptionsResponse, SetSubscriptionAttributesInput, SubscribeInput,
    SubscribeResponse, Subscription, UnsubscribeInput,
};
use bytes::Bytes;

use crate::arn::{is_subscription_id, is_topic_name};
use crate::attributes::{apply_subscription_attributes, parse_bool, TopicDeliveryPolicy};
use crate::delivery::Job;
use crate::envelope::{
    iso8601_millis, subscription_confirmation_text, unsubscribe_confirmation_text, Envelope, MessageType, Trailer,
};
use crate::error::{SResult, SnsError};
use crate::signing::SIGNATURE_VERSION;
use crate::store::{self, SubscriptionDoc, TokenDoc, TopicDoc};
use crate::{encode, new_token, now_ms, url_encode, Caller, Outcome, Sns, CONFIRMATION_TOKEN_TTL};

/// Subscriptions one standard topic may have. AWS allows 12,500,000; kinesd
/// bounds a topic's fan-out to one store page, read by each Publish.
pub const SUBSCRIPTIONS_PER_TOPIC_MAX: usize = 10_000;
/// Subscriptions one FIFO topic may have (AWS's quota).
pub const SUBSCRIPTIONS_PER_FIFO_TOPIC_MAX: usize = 100;
/// Subscriptions per ListSubscriptions / ListSubscriptionsByTopic page.
pub const LIST_SUBSCRIPTIONS_PAGE: usize = 100;
/// Longest subscription endpoint.
pub const ENDPOINT_BYTES_MAX: usize = 2_048;
/// The protocols Subscribe takes.
pub const PROTOCOLS: &[&str] =
    &["http", "https", "email", "email-json", "sqs", "lambda", "firehose", "application", "sms"];
/// What Subscribe answers for a subscription awaiting confirmation.
const PENDING_ARN: &str = "pending confirmation";
/// What the listings show as the ARN of a subscription awaiting confirmation.
const PENDING_LISTED_ARN: &str = "PendingConfirmation";

const _: () =
    assert!(SUBSCRIPTIONS_PER_TOPIC_MAX <= docstore::LIST_LIMIT_MAX, "a topic's subscriptions are one store page");

impl Sns {
    pub(crate) fn subscribe(&self, input: SubscribeInput, caller: &Caller) -> SResult<Outcome> {
        let arn = input.topic_arn.unwrap_or_default();
        let name = self.inner.scope.topic_name(&arn, "TopicArn", "Subscribe")?;
        let protocol = input.protocol.unwrap_or_default().to_ascii_lowercase();
        if !PROTOCOLS.contains(&protocol.as_str()) {
            return Err(SnsError::invalid_parameter(format!(
                "Amazon SNS does not support this protocol string: {protocol}"
            )));
        }
        let endpoint = input.endpoint.unwrap_or_default();
        check_endpoint(&protocol, &endpoint)?;
        let changes = input.attributes.unwrap_or_default();
        let mut attributes = BTreeMap::new();
        apply_subscription_attributes(&mut attributes, &changes, &protocol)?;
        if protocol == "firehose" && !attributes.contains_key("SubscriptionRoleArn") {
            return Err(SnsError::invalid_parameter(
                "Attributes Reason: Firehose subscriptions need a SubscriptionRoleArn",
            ));
        }
        let return_arn = input.return_subscription_arn.unwrap_or(false);

        let _writes = self.inner.writes.lock();
        let topic = self.topic(name)?;
        if topic.is_fifo() && protocol != "sqs" {
            return Err(SnsError::invalid_parameter(format!(
                "Invalid protocol type: {protocol}. FIFO topics deliver to SQS queues only"
            )));
        }
        let subscriptions = self.topic_subscriptions(name)?;
        let existing = subscriptions.into_iter().find(|s| s.protocol == protocol && s.endpoint == endpoint);
        let mut subscription = match existing {
            Some(found) => {
                if !changes.is_empty() && found.attributes != attributes {
                    return Err(SnsError::invalid_parameter(
                        "Attributes Reason: Subscription already exists with different attributes",
                    ));
                }
                if !found.pending {
                    return self.subscribed(&found, false);
                }
                found
            }
            None => {
                let count = self.inner.store.count(store::SUBSCRIPTION, &store::topic_prefix(name))?;
                let max = if topic.is_fifo() { SUBSCRIPTIONS_PER_FIFO_TOPIC_MAX } else { SUBSCRIPTIONS_PER_TOPIC_MAX };
                if count >= max {
                    return Err(SnsError::new(403, "SubscriptionLimitExceeded", "Subscription limit exceeded"));
                }
                SubscriptionDoc {
                    topic: name.to_string(),
                    id: uuid::Uuid::new_v4().to_string(),
                    protocol: protocol.clone(),
                    endpoint: endpoint.clone(),
                    attributes,
                    pending: needs_confirmation(&protocol),
                    authenticated: false,
                    token: None,
                    base_url: caller.base_url.clone(),
                    created_ms: now_ms(),
                }
            }
        };
        let mut jobs = Vec::new();
        let store = &self.inner.store;
        if subscription.pending {
            // A new token on each Subscribe of a pending subscription: AWS sends the confirmation again.
            let token = new_token()?;
            let old = subscription.token.replace(token.clone());
            subscription.base_url.clone_from(&caller.base_url);
            let doc = TokenDoc {
                subscription_id: subscription.id.clone(),
                expires_ms: now_ms() + CONFIRMATION_TOKEN_TTL.as_millis() as u64,
                restore: None,
            };
            store.batch(|batch| -> SResult<()> {
                if let Some(old) = old {
                    batch.delete(store::TOKEN, &store::token_key(name, &old))?;
                }
                batch.put(store::TOKEN, &store::token_key(name, &token), &doc)?;
                batch.put(store::SUBSCRIPTION, &subscription.key(), &subscription)?;
                Ok(())
            })?;
            if matches!(protocol.as_str(), "http" | "https") {
                jobs.push(self.confirmation_job(
                    &topic,
                    &subscription,
                    MessageType::SubscriptionConfirmation,
                    &token,
                )?);
            } else {
                tracing::info!(
                    subscription = %self.inner.scope.subscription_arn(name, &subscription.id),
                    protocol = %protocol,
                    "sns subscription pending: kinesd sends no email; confirm with ConfirmSubscription"
                );
            }
        } else {
            store.put(store::SUBSCRIPTION, &subscription.key(), &subscription)?;
        }
        let mut outcome = self.subscribed(&subscription, subscription.pending && !return_arn)?;
        outcome.jobs = jobs;
        Ok(outcome)
    }

    fn subscribed(&self, subscription: &SubscriptionDoc, pending_answer: bool) -> SResult<Outcome> {
        let arn = if pending_answer {
            PENDING_ARN.to_string()
        } else {
            self.inner.scope.subscription_arn(&subscription.topic, &subscription.id)
        };
        Ok(Outcome { body: encode(&SubscribeResponse { subscription_arn: Some(arn) })?, jobs: Vec::new() })
    }

    /// A SubscriptionConfirmation or UnsubscribeConfirmation for an HTTP/S subscriber.
    fn confirmation_job(
        &self,
        topic: &TopicDoc,
        subscription: &SubscriptionDoc,
        message_type: MessageType,
        token: &str,
    ) -> SResult<Job> {
        let topic_arn = self.inner.scope.topic_arn(&topic.name);
        let subscription_arn = self.inner.scope.subscription_arn(&topic.name, &subscription.id);
        let subscribe_url = format!(
            "{}/?Action=ConfirmSubscription&TopicArn={}&Token={token}",
            subscription.base_url,
            url_encode(&topic_arn)
        );
        let message = match message_type {
            MessageType::UnsubscribeConfirmation => unsubscribe_confirmation_text(&subscription_arn),
            _ => subscription_confirmation_text(&topic_arn),
        };
        let message_id = uuid::Uuid::new_v4().to_string();
        let timestamp = iso8601_millis(SystemTime::now());
        let envelope = Envelope {
            message_type,
            message_id: &message_id,
            topic_arn: &topic_arn,
            subject: None,
            message: &message,
            timestamp: &timestamp,
            token: Some(token),
            subscribe_url: Some(&subscribe_url),
        };
        let signature = self.inner.signer.sign(&envelope.string_to_sign());
        let body = envelope.render(&Trailer {
            signature_version: SIGNATURE_VERSION,
            signature: &signature,
            signing_cert_url: self.inner.signer.cert_url(),
            unsubscribe_url: None,
            attributes: None,
        });
        let policy = TopicDeliveryPolicy::of_topic(topic.attributes.get("DeliveryPolicy").map(String::as_str))
            .for_subscription(subscription.attributes.get("DeliveryPolicy").map(String::as_str));
        Ok(Job {
            endpoint: subscription.endpoint.parse().map_err(|_| SnsError::invalid_parameter("Endpoint"))?,
            message_type,
            message_id,
            topic_arn,
            subscription_arn,
            body: Bytes::from(body),
            content_type: policy.content_type,
            raw: false,
            retry: policy.retry,
        })
    }

    pub(crate) fn confirm_subscription(
        &self,
        input: ConfirmSubscriptionInput,
        caller: &Caller,
    ) -> SResult<ConfirmSubscriptionResponse> {
        let arn = input.topic_arn.unwrap_or_default();
        let name = self.inner.scope.topic_name(&arn, "TopicArn", "ConfirmSubscription")?;
        let token = input.token.unwrap_or_default();
        let authenticate =
            caller.signed && input.authenticate_on_unsubscribe.as_deref().and_then(parse_bool).unwrap_or(false);
        let invalid_token = || SnsError::invalid_parameter("Token");
        if token.is_empty() || !token.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(invalid_token());
        }
        let _writes = self.inner.writes.lock();
        let store = &self.inner.store;
        let topic = self.topic(name)?;
        let token_key = store::token_key(name, &token);
        let doc: TokenDoc = store.get(store::TOKEN, &token_key)?.ok_or_else(invalid_token)?;
        if doc.expires_ms < now_ms() {
            store.delete(store::TOKEN, &token_key)?;
            return Err(SnsError::invalid_parameter("Token Reason: the token has expired"));
        }
        let key = store::subscription_key(name, &doc.subscription_id);
        let current: Option<SubscriptionDoc> = store.get(store::SUBSCRIPTION, &key)?;
        let restored = current.is_none();
        let mut subscription = match (current, doc.restore) {
            (Some(s), _) => s,
            // The SubscribeURL of an UnsubscribeConfirmation: the subscription comes back.
            (None, Some(restore)) => {
                let count = store.count(store::SUBSCRIPTION, &store::topic_prefix(name))?;
                let max = if topic.is_fifo() { SUBSCRIPTIONS_PER_FIFO_TOPIC_MAX } else { SUBSCRIPTIONS_PER_TOPIC_MAX };
                if count >= max {
                    return Err(SnsError::new(403, "SubscriptionLimitExceeded", "Subscription limit exceeded"));
                }
                store.delete(store::TOKEN, &token_key)?;
                restore
            }
            (None, None) => return Err(invalid_token()),
        };
        if subscription.pending || authenticate || restored {
            subscription.pending = false;
            subscription.authenticated |= authenticate;
            store.put(store::SUBSCRIPTION, &key, &subscription)?;
            tracing::info!(subscription = %self.inner.scope.subscription_arn(name, &subscription.id), "sns subscription confirmed");
        }
        Ok(ConfirmSubscriptionResponse {
            subscription_arn: Some(self.inner.scope.subscription_arn(name, &subscription.id)),
        })
    }

    pub(crate) fn unsubscribe(&self, input: UnsubscribeInput, caller: &Caller) -> SResult<Outcome> {
        let arn = input.subscription_arn.unwrap_or_default();
        let (name, id) = self.inner.scope.subscription_key(&arn, "Unsubscribe")?;
        let _writes = self.inner.writes.lock();
        let store = &self.inner.store;
        let key = store::subscription_key(name, id);
        // Unsubscribing a subscription that is already gone succeeds, as AWS's does (idempotent).
        let Some(subscription): Option<SubscriptionDoc> = store.get(store::SUBSCRIPTION, &key)? else {
            return Ok(Outcome { body: b"{}".to_vec(), jobs: Vec::new() });
        };
        if !caller.signed && subscription.authenticated {
            return Err(SnsError::authorization(
                "This subscription was confirmed with AuthenticateOnUnsubscribe: Unsubscribe must be signed",
            ));
        }
        let mut topic = self.topic(name)?;
        topic.subscriptions_deleted += 1;
        let notify = !subscription.pending && matches!(subscription.protocol.as_str(), "http" | "https");
        let restore_token = if notify { Some(new_token()?) } else { None };
        store.batch(|batch| -> SResult<()> {
            batch.delete(store::SUBSCRIPTION, &key)?;
            if let Some(token) = &subscription.token {
                batch.delete(store::TOKEN, &store::token_key(name, token))?;
            }
            if let Some(token) = &restore_token {
                let mut restore = subscription.clone();
                restore.token = None;
                let doc = TokenDoc {
                    subscription_id: subscription.id.clone(),
                    expires_ms: now_ms() + CONFIRMATION_TOKEN_TTL.as_millis() as u64,
                    restore: Some(restore),
                };
                batch.put(store::TOKEN, &store::token_key(name, token), &doc)?;
            }
            batch.put(store::TOPIC, name, &topic)?;
            Ok(())
        })?;
        tracing::info!(subscription = %arn, "sns subscription deleted");
        let jobs = match restore_token {
            Some(token) => {
                vec![self.confirmation_job(&topic, &subscription, MessageType::UnsubscribeConfirmation, &token)?]
            }
            None => Vec::new(),
        };
        Ok(Outcome { body: b"{}".to_vec(), jobs })
    }

    pub(crate) fn list_subscriptions(&self, input: ListSubscriptionsInput) -> SResult<ListSubscriptionsResponse> {
        let (subscriptions, next_token) = self.list_page("", input.next_token)?;
        Ok(ListSubscriptionsResponse { subscriptions: Some(subscriptions), next_token })
    }

    pub(crate) fn list_subscriptions_by_topic(
        &self,
        input: ListSubscriptionsByTopicInput,
    ) -> SResult<ListSubscriptionsByTopicResponse> {
        let arn = input.topic_arn.unwrap_or_default();
        let name = self.inner.scope.topic_name(&arn, "TopicArn", "ListSubscriptionsByTopic")?;
        self.topic(name)?;
        let (subscriptions, next_token) = self.list_page(&store::topic_prefix(name), input.next_token)?;
        Ok(ListSubscriptionsByTopicResponse { subscriptions: Some(subscriptions), next_token })
    }

    /// One page of subscriptions under key `prefix`, after the NextToken (a subscription key).
    fn list_page(&self, prefix: &str, next_token: Option<String>) -> SResult<(Vec<Subscription>, Option<String>)> {
        let after = next_token.filter(|t| !t.is_empty());
        if let Some(token) = &after {
            let valid = token.split_once(':').is_some_and(|(topic, id)| is_topic_name(topic) && is_subscription_id(id));
            if !valid || !token.starts_with(prefix) {
                return Err(SnsError::invalid_parameter("NextToken"));
            }
        }
        let mut page: Vec<(String, SubscriptionDoc)> =
            self.inner.store.list(store::SUBSCRIPTION, prefix, after.as_deref(), LIST_SUBSCRIPTIONS_PAGE + 1)?;
        let next = if page.len() > LIST_SUBSCRIPTIONS_PAGE {
            page.truncate(LIST_SUBSCRIPTIONS_PAGE);
            page.last().map(|(key, _)| key.clone())
        } else {
            None
        };
        let scope = &self.inner.scope;
        let listed = page
            .into_iter()
            .map(|(_, s)| Subscription {
                subscription_arn: Some(if s.pending {
                    PENDING_LISTED_ARN.to_string()
                } else {
                    scope.subscription_arn(&s.topic, &s.id)
                }),
                owner: Some(scope.account.clone()),
                protocol: Some(s.protocol),
                endpoint: Some(s.endpoint),
                topic_arn: Some(scope.topic_arn(&s.topic)),
            })
            .collect();
        Ok((listed, next))
    }

    pub(crate) fn get_subscription_attributes(
        &self,
        input: GetSubscriptionAttributesInput,
    ) -> SResult<GetSubscriptionAttributesResponse> {
        let arn = input.subscription_arn.unwrap_or_default();
        let (name, id) = self.inner.scope.subscription_key(&arn, "GetSubscriptionAttributes")?;
        let subscription = self.subscription(name, id)?;
        let mut out = subscription.attributes.clone();
        out.insert("SubscriptionArn".into(), arn.clone());
        out.insert("TopicArn".into(), self.inner.scope.topic_arn(name));
        out.insert("Owner".into(), self.inner.scope.account.clone());
        out.insert("Protocol".into(), subscription.protocol.clone());
        out.insert("Endpoint".into(), subscription.endpoint.clone());
        out.insert("PendingConfirmation".into(), subscription.pending.to_string());
        out.insert("ConfirmationWasAuthenticated".into(), subscription.authenticated.to_string());
        out.entry("RawMessageDelivery".into()).or_insert_with(|| "false".into());
        if out.contains_key("FilterPolicy") {
            out.entry("FilterPolicyScope".into()).or_insert_with(|| "MessageAttributes".into());
        }
        if matches!(subscription.protocol.as_str(), "http" | "https") {
            let topic = self.topic(name)?;
            let policy = TopicDeliveryPolicy::of_topic(topic.attributes.get("DeliveryPolicy").map(String::as_str))
                .for_subscription(subscription.attributes.get("DeliveryPolicy").map(String::as_str));
            out.insert("EffectiveDeliveryPolicy".into(), policy.subscription_json());
        }
        Ok(GetSubscriptionAttributesResponse { attributes: Some(out) })
    }

    pub(crate) fn set_subscription_attributes(&self, input: SetSubscriptionAttributesInput) -> SResult<()> {
        let arn = input.subscription_arn.unwrap_or_default();
        let (name, id) = self.inner.scope.subscription_key(&arn, "SetSubscriptionAttributes")?;
        let change =
            BTreeMap::from([(input.attribute_name.unwrap_or_default(), input.attribute_value.unwrap_or_default())]);
        let _writes = self.inner.writes.lock();
        let mut subscription = self.subscription(name, id)?;
        apply_subscription_attributes(&mut subscription.attributes, &change, &subscription.protocol)?;
        self.inner.store.put(store::SUBSCRIPTION, &subscription.key(), &subscription)?;
        Ok(())
    }

    fn subscription(&self, topic: &str, id: &str) -> SResult<SubscriptionDoc> {
        self.inner
            .store
            .get(store::SUBSCRIPTION, &store::subscription_key(topic, id))?
            .ok_or_else(SnsError::subscription_not_found)
    }

    /// Deletes confirmation tokens past their expiry (on open: tokens of
    /// subscriptions nobody confirmed or restored would otherwise pile up).
    pub(crate) fn purge_expired_tokens(&self) -> SResult<()> {
        let store = &self.inner.store;
        let now = now_ms();
        let mut after: Option<String> = None;
        loop {
            let page: Vec<(String, TokenDoc)> =
                store.list(store::TOKEN, "", after.as_deref(), docstore::LIST_LIMIT_MAX)?;
            let Some((last, _)) = page.last() else { return Ok(()) };
            after = Some(last.clone());
            // A pending subscription whose token expired stays listed; Subscribe again sends a new confirmation.
            for (key, _) in page.iter().filter(|(_, doc)| doc.expires_ms < now) {
                store.delete(store::TOKEN, key)?;
            }
        }
    }
}

/// Whether the subscriber must confirm (AWS confirms the others at once, within one account).
fn needs_confirmation(protocol: &str) -> bool {
    matches!(protocol, "http" | "https" | "email" | "email-json")
}

/// Checks that `endpoint` fits `protocol`.
fn check_endpoint(protocol: &str, endpoint: &str) -> SResult<()> {
    if endpoint.is_empty() {
        return Err(SnsError::invalid_parameter("Endpoint Reason: An endpoint must be specified"));
    }
    if endpoint.len() > ENDPOINT_BYTES_MAX {
        return Err(SnsError::invalid_parameter(format!("Endpoint Reason: longer than {ENDPOINT_BYTES_MAX} bytes")));
    }
    let arn_of = |service: &str| {
        let parts: Vec<&str> = endpoint.split(':').collect();
        parts.len() >= 6 && parts[0] == "arn" && parts[2] == service
    };
    let ok = match protocol {
        "http" | "https" => {
            let uri: http::Uri =
                endpoint.parse().map_err(|_| SnsError::invalid_parameter("Endpoint Reason: not a URL"))?;
            if uri.scheme_str() != Some(protocol) {
                return Err(SnsError::invalid_parameter("Endpoint must match the specified protocol"));
            }
            uri.host().is_some_and(|h| !h.is_empty())
        }
        "email" | "email-json" => {
            endpoint.split_once('@').is_some_and(|(user, domain)| !user.is_empty() && domain.contains('.'))
        }
        "sqs" => arn_of("sqs"),
        "lambda" => arn_of("lambda"),
        "firehose" => arn_of("firehose"),
        "application" => arn_of("sns") && endpoint.contains(":endpoint/"),
        "sms" => is_phone_number(endpoint),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(SnsError::invalid_parameter(format!("Invalid {protocol} endpoint: {endpoint}")))
    }
}

/// An E.164 phone number: `+` and up to 15 digits (separators allowed).
pub(crate) fn is_phone_number(text: &str) -> bool {
    let digits: String = text.chars().filter(|c| !matches!(c, ' ' | '-' | '(' | ')')).collect();
    let digits = digits.strip_prefix('+').unwrap_or(&digits);
    (2..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_must_fit_their_protocol() {
        assert!(check_endpoint("http", "http://127.0.0.1:8080/hook").is_ok());
        assert_eq!(
            check_endpoint("http", "https://example.com/").unwrap_err().message,
            "Invalid parameter: Endpoint must match the specified protocol"
        );
        assert!(check_endpoint("https", "https://example.com/x").is_ok());
        assert!(check_endpoint("email", "a@example.com").is_ok());
        assert!(check_endpoint("email", "nobody").is_err());
        assert!(check_endpoint("sqs", "arn:aws:sqs:us-east-1:123456789012:q").is_ok());
        assert!(check_endpoint("sqs", "https://sqs.us-east-1.amazonaws.com/1/q").is_err());
        assert!(check_endpoint("lambda", "arn:aws:lambda:us-east-1:123456789012:function:f").is_ok());
        assert!(check_endpoint("sms", "+15555550100").is_ok());
        assert!(check_endpoint("sms", "call me").is_err());
        assert!(check_endpoint("http", "").is_err());
    }
}
