//! Topic operations: CreateTopic, DeleteTopic, Get/SetTopicAttributes,
//! ListTopics and the tagging operations.

use std::collections::BTreeMap;

use aws_model::sns::{
    CreateTopicInput, CreateTopicResponse, DeleteTopicInput, GetTopicAttributesInput, GetTopicAttributesResponse,
    ListTagsForResourceRequest, ListTagsForResourceResponse, ListTopicsInput, ListTopicsResponse,
    SetTopicAttributesInput, Tag, TagResourceRequest, TagResourceResponse, Topic, UntagResourceRequest,
    UntagResourceResponse,
};

use crate::arn::{is_topic_name, FIFO_SUFFIX};
use crate::attributes::{check_topic_attribute, default_topic_policy, parse_bool, TopicDeliveryPolicy, When};
use crate::error::{SResult, SnsError};
use crate::store::{self, SubscriptionDoc, TopicDoc};
use crate::{now_ms, Sns};

/// Topics one account may have (AWS's default quota for standard topics).
pub const TOPICS_MAX: usize = 100_000;
/// Tags one topic may have.
pub const TAGS_PER_RESOURCE_MAX: usize = 50;
/// Topics per ListTopics page.
pub const LIST_TOPICS_PAGE: usize = 100;
/// The prefix of tag keys AWS reserves.
const RESERVED_TAG_PREFIX: &str = "aws:";

impl Sns {
    pub(crate) fn create_topic(&self, input: CreateTopicInput) -> SResult<CreateTopicResponse> {
        let name = input.name.unwrap_or_default();
        let given = input.attributes.unwrap_or_default();
        let fifo_asked = match given.get("FifoTopic") {
            Some(v) => parse_bool(v).ok_or_else(|| {
                SnsError::invalid_parameter(format!(
                    "Attributes Reason: FifoTopic: Invalid value [{v}]. Must be true or false."
                ))
            })?,
            None => false,
        };
        let fifo_name = name.ends_with(FIFO_SUFFIX);
        if fifo_asked && (!fifo_name || !is_topic_name(&name)) {
            return Err(SnsError::invalid_parameter(
                "Fifo Topic names must end with .fifo and must be made up of only uppercase and lowercase ASCII \
                 letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long.",
            ));
        }
        if !is_topic_name(&name) || (fifo_name && !fifo_asked) {
            return Err(SnsError::invalid_parameter("Topic Name"));
        }
        let mut changes = Vec::new();
        for (attribute, value) in &given {
            changes.push((attribute.clone(), check_topic_attribute(attribute, value, fifo_asked, When::Create)?));
        }
        let mut attributes: BTreeMap<String, String> =
            changes.iter().filter_map(|(k, v)| v.clone().map(|v| (k.clone(), v))).collect();
        if fifo_asked {
            attributes.entry("ContentBasedDeduplication".into()).or_insert_with(|| "false".into());
        }
        let tags = check_tags(input.tags.as_deref().unwrap_or_default())?;
        let arn = self.inner.scope.topic_arn(&name);

        let _writes = self.inner.writes.lock();
        let store = &self.inner.store;
        if let Some(existing) = store.get::<TopicDoc>(store::TOPIC, &name)? {
            if changes.iter().any(|(k, v)| existing.attributes.get(k) != v.as_ref()) {
                return Err(SnsError::invalid_parameter(
                    "Attributes Reason: Topic already exists with different attributes",
                ));
            }
            if !tags.is_empty() && tags != existing.tags {
                return Err(SnsError::invalid_parameter("Tags Reason: Topic already exists with different tags"));
            }
            return Ok(CreateTopicResponse { topic_arn: Some(arn) });
        }
        if tags.len() > TAGS_PER_RESOURCE_MAX {
            return Err(tag_limit_exceeded());
        }
        if store.count(store::TOPIC, "")? >= TOPICS_MAX {
            return Err(SnsError::new(403, "TopicLimitExceeded", "Topic limit exceeded"));
        }
        let topic = TopicDoc { name: name.clone(), attributes, tags, subscriptions_deleted: 0, created_ms: now_ms() };
        store.put(store::TOPIC, &name, &topic)?;
        tracing::info!(topic = %arn, "sns topic created");
        Ok(CreateTopicResponse { topic_arn: Some(arn) })
    }

    /// Deletes a topic with its subscriptions and tokens; deleting a missing topic succeeds.
    pub(crate) fn delete_topic(&self, input: DeleteTopicInput) -> SResult<()> {
        let arn = input.topic_arn.unwrap_or_default();
        let name = self.inner.scope.topic_name(&arn, "TopicArn", "DeleteTopic")?;
        let _writes = self.inner.writes.lock();
        let store = &self.inner.store;
        if store.get::<TopicDoc>(store::TOPIC, name)?.is_none() {
            return Ok(());
        }
        let prefix = store::topic_prefix(name);
        // Listed first: a batch holds the store's connection.
        let mut doomed = Vec::new();
        for kind in [store::SUBSCRIPTION, store::TOKEN] {
            let mut after: Option<String> = None;
            loop {
                let page: Vec<(String, serde_json::Value)> =
                    store.list(kind, &prefix, after.as_deref(), docstore::LIST_LIMIT_MAX)?;
                let Some((last, _)) = page.last() else { break };
                after = Some(last.clone());
                doomed.extend(page.into_iter().map(|(key, _)| (kind, key)));
            }
        }
        store.batch(|batch| -> SResult<()> {
            batch.delete(store::TOPIC, name)?;
            for (kind, key) in &doomed {
                batch.delete(kind, key)?;
            }
            Ok(())
        })?;
        tracing::info!(topic = %arn, "sns topic deleted");
        Ok(())
    }

    pub(crate) fn get_topic_attributes(&self, input: GetTopicAttributesInput) -> SResult<GetTopicAttributesResponse> {
        let arn = input.topic_arn.unwrap_or_default();
        let name = self.inner.scope.topic_name(&arn, "TopicArn", "GetTopicAttributes")?;
        let topic = self.topic(name)?;
        let subscriptions = self.topic_subscriptions(name)?;
        let pending = subscriptions.iter().filter(|s| s.pending).count();
        let account = &self.inner.scope.account;
        let mut out = topic.attributes.clone();
        out.insert("TopicArn".into(), arn.clone());
        out.insert("Owner".into(), account.clone());
        out.entry("Policy".into()).or_insert_with(|| default_topic_policy(&arn, account));
        out.entry("DisplayName".into()).or_default();
        out.insert("SubscriptionsConfirmed".into(), (subscriptions.len() - pending).to_string());
        out.insert("SubscriptionsPending".into(), pending.to_string());
        out.insert("SubscriptionsDeleted".into(), topic.subscriptions_deleted.to_string());
        let delivery = TopicDeliveryPolicy::of_topic(topic.attributes.get("DeliveryPolicy").map(String::as_str));
        out.insert("EffectiveDeliveryPolicy".into(), delivery.topic_json());
        Ok(GetTopicAttributesResponse { attributes: Some(out) })
    }

    pub(crate) fn set_topic_attributes(&self, input: SetTopicAttributesInput) -> SResult<()> {
        let arn = input.topic_arn.unwrap_or_default();
        let name = self.inner.scope.topic_name(&arn, "TopicArn", "SetTopicAttributes")?;
        let attribute = input.attribute_name.unwrap_or_default();
        let value = input.attribute_value.unwrap_or_default();
        let _writes = self.inner.writes.lock();
        let mut topic = self.topic(name)?;
        match check_topic_attribute(&attribute, &value, topic.is_fifo(), When::Set)? {
            Some(v) => topic.attributes.insert(attribute, v),
            None => topic.attributes.remove(&attribute),
        };
        self.inner.store.put(store::TOPIC, name, &topic)?;
        Ok(())
    }

    pub(crate) fn list_topics(&self, input: ListTopicsInput) -> SResult<ListTopicsResponse> {
        let after = input.next_token.filter(|t| !t.is_empty());
        if after.as_deref().is_some_and(|t| !is_topic_name(t)) {
            return Err(SnsError::invalid_parameter("NextToken"));
        }
        let mut page: Vec<(String, TopicDoc)> =
            self.inner.store.list(store::TOPIC, "", after.as_deref(), LIST_TOPICS_PAGE + 1)?;
        let next_token = if page.len() > LIST_TOPICS_PAGE {
            page.truncate(LIST_TOPICS_PAGE);
            page.last().map(|(key, _)| key.clone())
        } else {
            None
        };
        let topics = page.iter().map(|(name, _)| Topic { topic_arn: Some(self.inner.scope.topic_arn(name)) }).collect();
        Ok(ListTopicsResponse { topics: Some(topics), next_token })
    }

    pub(crate) fn tag_resource(&self, input: TagResourceRequest) -> SResult<TagResourceResponse> {
        let arn = input.resource_arn.unwrap_or_default();
        let name = self.inner.scope.topic_name(&arn, "ResourceArn", "TagResource")?;
        let tags = check_tags(input.tags.as_deref().unwrap_or_default())?;
        let _writes = self.inner.writes.lock();
        let mut topic = self.tagged_topic(name)?;
        topic.tags.extend(tags);
        if topic.tags.len() > TAGS_PER_RESOURCE_MAX {
            return Err(tag_limit_exceeded());
        }
        self.inner.store.put(store::TOPIC, name, &topic)?;
        Ok(TagResourceResponse {})
    }

    pub(crate) fn untag_resource(&self, input: UntagResourceRequest) -> SResult<UntagResourceResponse> {
        let arn = input.resource_arn.unwrap_or_default();
        let name = self.inner.scope.topic_name(&arn, "ResourceArn", "UntagResource")?;
        let _writes = self.inner.writes.lock();
        let mut topic = self.tagged_topic(name)?;
        for key in input.tag_keys.unwrap_or_default() {
            topic.tags.remove(&key);
        }
        self.inner.store.put(store::TOPIC, name, &topic)?;
        Ok(UntagResourceResponse {})
    }

    pub(crate) fn list_tags_for_resource(
        &self,
        input: ListTagsForResourceRequest,
    ) -> SResult<ListTagsForResourceResponse> {
        let arn = input.resource_arn.unwrap_or_default();
        let name = self.inner.scope.topic_name(&arn, "ResourceArn", "ListTagsForResource")?;
        let topic = self.tagged_topic(name)?;
        let tags = topic.tags.into_iter().map(|(k, v)| Tag { key: Some(k), value: Some(v) }).collect();
        Ok(ListTagsForResourceResponse { tags: Some(tags) })
    }

    /// Topic `name`, or NotFound.
    pub(crate) fn topic(&self, name: &str) -> SResult<TopicDoc> {
        self.inner.store.get(store::TOPIC, name)?.ok_or_else(SnsError::topic_not_found)
    }

    /// Topic `name` for the tagging operations (ResourceNotFound when missing).
    fn tagged_topic(&self, name: &str) -> SResult<TopicDoc> {
        self.inner.store.get(store::TOPIC, name)?.ok_or_else(SnsError::resource_not_found)
    }

    /// Every subscription of topic `name` (bounded by the per-topic limit).
    pub(crate) fn topic_subscriptions(&self, name: &str) -> SResult<Vec<SubscriptionDoc>> {
        let page: Vec<(String, SubscriptionDoc)> =
            self.inner.store.list(store::SUBSCRIPTION, &store::topic_prefix(name), None, docstore::LIST_LIMIT_MAX)?;
        Ok(page.into_iter().map(|(_, s)| s).collect())
    }
}

/// A request's tags by key (the last of a repeated key wins).
fn check_tags(tags: &[Tag]) -> SResult<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for tag in tags {
        let key = tag.key.clone().unwrap_or_default();
        if key.to_ascii_lowercase().starts_with(RESERVED_TAG_PREFIX) {
            return Err(SnsError::invalid_parameter(format!(
                "Tags Reason: Tag keys must not start with the reserved prefix {RESERVED_TAG_PREFIX}"
            )));
        }
        out.insert(key, tag.value.clone().unwrap_or_default());
    }
    if out.len() > TAGS_PER_RESOURCE_MAX {
        return Err(tag_limit_exceeded());
    }
    Ok(out)
}

fn tag_limit_exceeded() -> SnsError {
    SnsError::new(400, "TagLimitExceeded", "Could not complete request: tag quota of per resource exceeded")
}
