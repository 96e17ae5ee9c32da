//! The SNS service of kinesd (awsQuery): topics, subscriptions, tags,
//! Publish and PublishBatch, with delivery to HTTP/S subscribers.
//!
//! Operations are implemented on the generated JSON shapes
//! (`aws_model::sns`); the front transcodes the query form and the XML answer
//! with [`MODEL`]. State lives in `<data_dir>/sns.db` (see [`store`]), so
//! topics, subscriptions, attributes, tags and pending confirmations survive
//! restarts; messages are delivered from memory ([`delivery`]).
//!
//! Subscriptions of every protocol are accepted and stored; kinesd delivers
//! to `http` and `https` endpoints only (the other protocols' targets are not
//! part of it). An HTTP/S subscription starts pending: a
//! SubscriptionConfirmation is POSTed with a SubscribeURL on this server
//! (`http://<Host of the Subscribe request>/?Action=ConfirmSubscription...`),
//! which the front serves to unsigned GETs ([`JsonService::anonymous_operation`]);
//! the token authenticates. The UnsubscribeURL of notifications works the
//! same way. Envelopes are signed (see [`signing`]).
//!
//! Topic policies are stored and answered but not evaluated; the caller's
//! account is the server's account.

mod arn;
mod attributes;
mod delivery;
mod envelope;
mod error;
mod filter;
mod message;
mod publish;
mod signing;
mod store;
mod subscriptions;
mod topics;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_model::{JsonDe, Validate};
use aws_wire::{AwsError, JsonService, Reply, RequestContext};
use futures::future::BoxFuture;
use parking_lot::Mutex;
use serde::Serialize;

use crate::arn::Scope;
use crate::delivery::{Deliverer, Job, SubmitError};
use crate::error::{SResult, SnsError};
use crate::publish::Fifo;
use crate::signing::Signer;

/// The service model (botocore), for the awsQuery transcoding.
pub const MODEL: &str = include_str!("../../../models/sns-2010-03-31.json");

/// The operations this service implements.
const OPERATIONS: &[&str] = &[
    "ConfirmSubscription",
    "CreateTopic",
    "DeleteTopic",
    "GetSubscriptionAttributes",
    "GetTopicAttributes",
    "ListSubscriptions",
    "ListSubscriptionsByTopic",
    "ListTagsForResource",
    "ListTopics",
    "Publish",
    "PublishBatch",
    "SetSubscriptionAttributes",
    "SetTopicAttributes",
    "Subscribe",
    "TagResource",
    "Unsubscribe",
    "UntagResource",
];

/// Operations AWS serves to unsigned GETs: the SubscribeURL and
/// UnsubscribeURL a subscriber is sent (a token or the subscription ARN authenticates).
const ANONYMOUS_OPERATIONS: &[&str] = &["ConfirmSubscription", "Unsubscribe"];

/// How long a confirmation token is valid (AWS: three days).
pub const CONFIRMATION_TOKEN_TTL: Duration = Duration::from_secs(3 * 24 * 3600);

/// The SNS service; cheap to clone.
#[derive(Clone)]
pub struct Sns {
    inner: Arc<Inner>,
}

struct Inner {
    scope: Scope,
    store: Arc<docstore::DocStore>,
    /// Serializes read-modify-write changes to the store.
    writes: Mutex<()>,
    signer: Signer,
    deliverer: Deliverer,
    fifo: Mutex<Fifo>,
}

/// Who called, as far as the operations care.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    /// Signed (false for the anonymous GETs of SubscribeURL and UnsubscribeURL).
    pub signed: bool,
    /// `scheme://host` of the request, for the URLs subscribers are sent.
    pub base_url: String,
}

/// An operation's JSON answer and the deliveries it starts.
pub(crate) struct Outcome {
    pub body: Vec<u8>,
    pub jobs: Vec<Job>,
}

impl Sns {
    /// Opens (creating on first start) the service's state under `data_dir`.
    pub fn open(data_dir: &Path, region: impl Into<String>, account: impl Into<String>) -> Result<Sns, String> {
        std::fs::create_dir_all(data_dir).map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
        let store = Arc::new(docstore::DocStore::open(&data_dir.join("sns.db")).map_err(|e| e.to_string())?);
        let signer = Signer::load_or_create(data_dir)?;
        let deliverer = Deliverer::journaled(store.clone());
        let sns = Sns {
            inner: Arc::new(Inner {
                scope: Scope { region: region.into(), account: account.into() },
                store,
                writes: Mutex::new(()),
                signer,
                deliverer,
                fifo: Mutex::new(Fifo::default()),
            }),
        };
        sns.purge_expired_tokens().map_err(|e| e.message)?;
        // Deliveries a previous run accepted and did not finish go out again (at least once).
        if tokio::runtime::Handle::try_current().is_ok() {
            let resumed = sns.inner.deliverer.resume()?;
            if resumed > 0 {
                tracing::info!(resumed, "sns: resuming journaled deliveries");
            }
        }
        Ok(sns)
    }

    /// Runs one operation on its JSON body.
    fn call_blocking(&self, operation: &str, body: &[u8], caller: &Caller) -> SResult<Outcome> {
        match operation {
            "ConfirmSubscription" => json(self.confirm_subscription(decode(body)?, caller)),
            "CreateTopic" => json(self.create_topic(decode(body)?)),
            "DeleteTopic" => empty(self.delete_topic(decode(body)?)),
            "GetSubscriptionAttributes" => json(self.get_subscription_attributes(decode(body)?)),
            "GetTopicAttributes" => json(self.get_topic_attributes(decode(body)?)),
            "ListSubscriptions" => json(self.list_subscriptions(decode(body)?)),
            "ListSubscriptionsByTopic" => json(self.list_subscriptions_by_topic(decode(body)?)),
            "ListTagsForResource" => json(self.list_tags_for_resource(decode(body)?)),
            "ListTopics" => json(self.list_topics(decode(body)?)),
            "Publish" => self.publish(decode(body)?),
            "PublishBatch" => self.publish_batch(decode(body)?),
            "SetSubscriptionAttributes" => empty(self.set_subscription_attributes(decode(body)?)),
            "SetTopicAttributes" => empty(self.set_topic_attributes(decode(body)?)),
            "Subscribe" => self.subscribe(decode(body)?, caller),
            "TagResource" => json(self.tag_resource(decode(body)?)),
            "Unsubscribe" => self.unsubscribe(decode(body)?, caller),
            "UntagResource" => json(self.untag_resource(decode(body)?)),
            other => Err(SnsError::new(400, "InvalidAction", format!("Could not find operation {other}"))),
        }
    }
}

/// Milliseconds since the epoch.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// A fresh confirmation token: 64 random bytes in hex.
pub(crate) fn new_token() -> SResult<String> {
    let mut bytes = [0u8; 64];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| SnsError::internal("cannot draw a random token"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Percent-encodes a query value, keeping what AWS keeps readable (`:` of ARNs).
pub(crate) fn url_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b':') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `scheme://host` of a request: its Host header (`localhost` without one or
/// with one unfit for a URL), https when a proxy says so.
fn base_url(headers: &http::HeaderMap) -> String {
    let host = headers
        .get(http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b)))
        .unwrap_or("localhost");
    let https = headers.get("x-forwarded-proto").is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"));
    format!("{}://{host}", if https { "https" } else { "http" })
}

fn decode<T: JsonDe + Validate>(body: &[u8]) -> SResult<T> {
    Ok(aws_model::decode_input(body)?)
}

fn encode<T: Serialize>(out: &T) -> SResult<Vec<u8>> {
    serde_json::to_vec(out).map_err(|e| SnsError::internal(format!("Cannot encode the response: {e}")))
}

fn json<T: Serialize>(result: SResult<T>) -> SResult<Outcome> {
    Ok(Outcome { body: encode(&result?)?, jobs: Vec::new() })
}

fn empty(result: SResult<()>) -> SResult<Outcome> {
    result.map(|()| Outcome { body: b"{}".to_vec(), jobs: Vec::new() })
}

impl JsonService for Sns {
    fn signing_name(&self) -> &'static str {
        "sns"
    }

    fn target_prefix(&self) -> &'static str {
        "AmazonSimpleNotificationService"
    }

    fn json_version(&self) -> &'static str {
        "1.1"
    }

    fn speaks_json(&self) -> bool {
        false
    }

    fn anonymous_operation(&self, operation: &str) -> bool {
        ANONYMOUS_OPERATIONS.contains(&operation)
    }

    fn has_operation(&self, operation: &str) -> bool {
        OPERATIONS.contains(&operation)
    }

    fn call(&self, ctx: RequestContext, body: bytes::Bytes) -> BoxFuture<'static, Result<Reply, AwsError>> {
        let sns = self.clone();
        Box::pin(async move {
            let caller = Caller { signed: !ctx.principal.access_key_id.is_empty(), base_url: base_url(&ctx.headers) };
            let operation = ctx.operation.clone();
            let worker = sns.clone();
            let outcome = tokio::task::spawn_blocking(move || worker.call_blocking(&operation, &body, &caller))
                .await
                .unwrap_or_else(|e| Err(SnsError::internal(format!("operation panicked: {e}"))))?;
            match sns.inner.deliverer.submit(outcome.jobs).await {
                Ok(()) => {}
                Err(SubmitError::Full) if ctx.operation.starts_with("Publish") => {
                    return Err(SnsError::throttled().into());
                }
                Err(SubmitError::Full) => {
                    tracing::warn!(operation = %ctx.operation, "sns delivery queue full: a confirmation message was dropped");
                }
                Err(SubmitError::Journal(message)) => {
                    return Err(SnsError::internal(format!("cannot journal the deliveries: {message}")).into());
                }
            }
            Ok(Reply::json(outcome.body.into()))
        })
    }
}

#[cfg(test)]
mod tests;
