//! Stream tags, by stream (…TagsToStream) or by resource ARN (TagResource…).

use aws_model::kinesis::{
    AddTagsToStreamInput, ListTagsForResourceInput, ListTagsForResourceOutput, ListTagsForStreamInput,
    ListTagsForStreamOutput, RemoveTagsFromStreamInput, Tag, TagResourceInput, UntagResourceInput,
};

use super::streams::Tags;
use super::TAGS_PER_STREAM_MAX;
use crate::{KResult, Kinesis, KinesisError};

impl Kinesis {
    pub(crate) fn add_tags_to_stream(&self, input: AddTagsToStreamInput) -> KResult<()> {
        let name = self.stream_name(input.stream_name, input.stream_arn)?;
        self.add_tags(&name, input.tags.expect("validated: required"))
    }

    pub(crate) fn tag_resource(&self, input: TagResourceInput) -> KResult<()> {
        let name = self.parse_stream_arn(&input.resource_arn.expect("validated: required"))?;
        self.add_tags(&name, input.tags.expect("validated: required"))
    }

    fn add_tags(&self, name: &str, tags: Tags) -> KResult<()> {
        check_tags(&tags, name, self)?;
        let now = self.now_ms();
        let mut state = self.inner.state.write();
        let (doc, _) = self.visible(&state, name, now)?;
        let mut doc = doc.clone();
        doc.tags.extend(tags);
        if doc.tags.len() > TAGS_PER_STREAM_MAX {
            return Err(KinesisError::invalid_argument(format!(
                "Failed to add tags to stream {name} under account {} because a given stream cannot have more than {TAGS_PER_STREAM_MAX} tags.",
                self.inner.cfg.account_id
            )));
        }
        self.replace(&mut state, doc)
    }

    pub(crate) fn remove_tags_from_stream(&self, input: RemoveTagsFromStreamInput) -> KResult<()> {
        let name = self.stream_name(input.stream_name, input.stream_arn)?;
        self.remove_tags(&name, input.tag_keys.expect("validated: required"))
    }

    pub(crate) fn untag_resource(&self, input: UntagResourceInput) -> KResult<()> {
        let name = self.parse_stream_arn(&input.resource_arn.expect("validated: required"))?;
        self.remove_tags(&name, input.tag_keys.expect("validated: required"))
    }

    fn remove_tags(&self, name: &str, keys: Vec<String>) -> KResult<()> {
        let now = self.now_ms();
        let mut state = self.inner.state.write();
        let (doc, _) = self.visible(&state, name, now)?;
        let mut doc = doc.clone();
        for key in keys {
            doc.tags.remove(&key);
        }
        self.replace(&mut state, doc)
    }

    pub(crate) fn list_tags_for_stream(&self, input: ListTagsForStreamInput) -> KResult<ListTagsForStreamOutput> {
        let name = self.stream_name(input.stream_name, input.stream_arn)?;
        let now = self.now_ms();
        let state = self.inner.state.read();
        let (doc, _) = self.visible(&state, &name, now)?;
        let after = input.exclusive_start_tag_key;
        let limit = input.limit.map_or(TAGS_PER_STREAM_MAX, |l| l as usize);
        let mut listed = doc.tags.iter().filter(|(k, _)| after.as_ref().is_none_or(|a| *k > a));
        let tags = listed.by_ref().take(limit).map(|(k, v)| Tag { key: k.clone(), value: Some(v.clone()) }).collect();
        Ok(ListTagsForStreamOutput { tags, has_more_tags: listed.next().is_some() })
    }

    pub(crate) fn list_tags_for_resource(&self, input: ListTagsForResourceInput) -> KResult<ListTagsForResourceOutput> {
        let name = self.parse_stream_arn(&input.resource_arn.expect("validated: required"))?;
        let now = self.now_ms();
        let state = self.inner.state.read();
        let (doc, _) = self.visible(&state, &name, now)?;
        let tags = doc.tags.iter().map(|(k, v)| Tag { key: k.clone(), value: Some(v.clone()) }).collect();
        Ok(ListTagsForResourceOutput { tags: Some(tags) })
    }
}

/// Tag keys and values may hold Unicode letters, digits, white space and
/// `_ . / = + - % @ :`; keys may not start with `aws:`.
pub(crate) fn check_tags(tags: &Tags, name: &str, kinesis: &Kinesis) -> KResult<()> {
    let ok = |s: &str| s.chars().all(|c| c.is_alphanumeric() || c.is_whitespace() || "_./=+-%@:".contains(c));
    if tags.iter().any(|(k, v)| !ok(k) || !ok(v)) {
        return Err(KinesisError::invalid_argument(
            "Some tags contain invalid characters. Valid characters: Unicode letters, digits, white space, _ . / = + - % @.",
        ));
    }
    if tags.keys().any(|k| k.starts_with("aws:")) {
        return Err(KinesisError::invalid_argument(format!(
            "Failed to add tags to stream {name} under account {} because some tags start with 'aws:', which is reserved.",
            kinesis.inner.cfg.account_id
        )));
    }
    Ok(())
}
