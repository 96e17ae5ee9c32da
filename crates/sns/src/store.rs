//! What SNS keeps in `<data_dir>/sns.db` (a [`docstore::DocStore`]):
//!
//! * `topic` / `{name}`: a [`TopicDoc`] (attributes as set, tags, counters);
//! * `subscription` / `{topic}:{id}`: a [`SubscriptionDoc`]; the key is the
//!   subscription ARN after `arn:aws:sns:{region}:{account}:`, so a topic's
//!   subscriptions are one key prefix (`:` is not allowed in topic names);
//! * `token` / `{topic}:{token}`: a [`TokenDoc`], the confirmation token a
//!   SubscribeURL carries.
//!
//! Messages are not stored: Publish hands them to the delivery queue in memory.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Document kind of topics.
pub const TOPIC: &str = "topic";
/// Document kind of subscriptions.
pub const SUBSCRIPTION: &str = "subscription";
/// Document kind of confirmation tokens.
pub const TOKEN: &str = "token";

/// One topic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopicDoc {
    pub name: String,
    /// The attributes set by CreateTopic and SetTopicAttributes, normalized
    /// (an attribute set to its "unset" value is absent).
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// Subscriptions removed by Unsubscribe (`SubscriptionsDeleted`).
    #[serde(default)]
    pub subscriptions_deleted: u64,
    pub created_ms: u64,
}

impl TopicDoc {
    /// Whether the topic is a FIFO topic.
    pub fn is_fifo(&self) -> bool {
        self.attributes.get("FifoTopic").is_some_and(|v| v == "true")
    }

    /// Whether FIFO deduplication ids come from the message body.
    pub fn content_based_deduplication(&self) -> bool {
        self.attributes.get("ContentBasedDeduplication").is_some_and(|v| v == "true")
    }
}

/// One subscription.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubscriptionDoc {
    pub topic: String,
    pub id: String,
    pub protocol: String,
    pub endpoint: String,
    /// The attributes set by Subscribe and SetSubscriptionAttributes.
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    /// Waiting for ConfirmSubscription (http, https, email, email-json).
    pub pending: bool,
    /// Confirmed by a signed request asking AuthenticateOnUnsubscribe: then
    /// only signed requests may unsubscribe it.
    #[serde(default)]
    pub authenticated: bool,
    /// The current confirmation token (its [`TokenDoc`] has the same key suffix).
    #[serde(default)]
    pub token: Option<String>,
    /// `scheme://host` the subscriber's URLs (SubscribeURL, UnsubscribeURL) point at.
    pub base_url: String,
    pub created_ms: u64,
}

impl SubscriptionDoc {
    /// The store key: `{topic}:{id}`.
    pub fn key(&self) -> String {
        subscription_key(&self.topic, &self.id)
    }

    /// Whether raw message delivery is on.
    pub fn raw(&self) -> bool {
        self.attributes.get("RawMessageDelivery").is_some_and(|v| v == "true")
    }
}

/// A confirmation token: it confirms a pending subscription, or restores an
/// unsubscribed one (the SubscribeURL of an UnsubscribeConfirmation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenDoc {
    pub subscription_id: String,
    pub expires_ms: u64,
    /// The subscription as it was before Unsubscribe, to restore.
    #[serde(default)]
    pub restore: Option<SubscriptionDoc>,
}

/// The store key of a subscription.
pub fn subscription_key(topic: &str, id: &str) -> String {
    format!("{topic}:{id}")
}

/// The store key of a token.
pub fn token_key(topic: &str, token: &str) -> String {
    format!("{topic}:{token}")
}

/// The key prefix of a topic's subscriptions and tokens.
pub fn topic_prefix(topic: &str) -> String {
    format!("{topic}:")
}
