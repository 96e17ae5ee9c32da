//! Key tags: TagResource, UntagResource, ListResourceTags, and the checks
//! CreateKey shares. The model bounds each key (1..=128 chars) and value
//! (0..=256 chars); the rest is checked here.

use std::collections::HashSet;

use aws_model::kms::{
    ListResourceTagsRequest, ListResourceTagsResponse, Tag, TagResourceRequest, UntagResourceRequest,
};

use crate::{KResult, KeyRef, Kms, KmsError, Needs};

/// Tags one key may carry.
const TAGS_PER_KEY_MAX: usize = 50;
/// ListResourceTags page size: the default and the most a request may ask for.
const LIST_TAGS_LIMIT_MAX: i32 = 50;
/// Tag keys with this prefix (any case) are AWS's.
const RESERVED_PREFIX: &str = "aws:";

fn tag_error(message: impl Into<String>) -> KmsError {
    KmsError::new("TagException", message)
}

/// The (key, value) pairs of `tags`, refused when a key repeats, is
/// reserved, or the key would end up with more than [`TAGS_PER_KEY_MAX`]
/// tags on top of `existing`.
pub(crate) fn check_tags(tags: &[Tag], existing: &[(String, String)]) -> KResult<Vec<(String, String)>> {
    let mut seen = HashSet::with_capacity(tags.len());
    let mut pairs = Vec::with_capacity(tags.len());
    for tag in tags {
        let key = tag.tag_key.clone().unwrap_or_default();
        if key.to_ascii_lowercase().starts_with(RESERVED_PREFIX) {
            return Err(tag_error(format!("Tag key {key} is not allowed: tags beginning with aws: are reserved")));
        }
        if !seen.insert(key.clone()) {
            return Err(tag_error(format!("Duplicate tag keys: {key} appears more than once")));
        }
        pairs.push((key, tag.tag_value.clone().unwrap_or_default()));
    }
    let added = pairs.iter().filter(|(k, _)| !existing.iter().any(|(e, _)| e == k)).count();
    if existing.len() + added > TAGS_PER_KEY_MAX {
        return Err(tag_error(format!(
            "Too many tags: a KMS key can have at most {TAGS_PER_KEY_MAX} tags; it has {} and the request adds {added}",
            existing.len()
        )));
    }
    Ok(pairs)
}

impl Kms {
    pub(crate) fn tag_resource(&self, input: TagResourceRequest) -> KResult<()> {
        let store = self.inner.store.lock();
        let key = self.key_to_change(&store, input.key_id.as_deref(), "TagResource", Needs::NotPendingDeletion)?;
        let existing = store.tags(&key.key_id)?;
        let pairs = check_tags(input.tags.as_deref().unwrap_or_default(), &existing)?;
        store.put_tags(&key.key_id, &pairs)
    }

    pub(crate) fn untag_resource(&self, input: UntagResourceRequest) -> KResult<()> {
        let store = self.inner.store.lock();
        let key = self.key_to_change(&store, input.key_id.as_deref(), "UntagResource", Needs::NotPendingDeletion)?;
        store.remove_tags(&key.key_id, input.tag_keys.as_deref().unwrap_or_default())
    }

    pub(crate) fn list_resource_tags(&self, input: ListResourceTagsRequest) -> KResult<ListResourceTagsResponse> {
        let limit = input.limit.unwrap_or(LIST_TAGS_LIMIT_MAX);
        if limit > LIST_TAGS_LIMIT_MAX {
            return Err(KmsError::validation(format!(
                "1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: Member must have value less than or equal to {LIST_TAGS_LIMIT_MAX}"
            )));
        }
        let limit = limit.max(1) as usize;
        let store = self.inner.store.lock();
        let key = self.resolve(&store, input.key_id.as_deref().unwrap_or_default(), KeyRef::KeyOnly)?;
        let all = store.tags(&key.key_id)?;
        drop(store);
        // A marker is the last tag key of the previous page.
        let mut page: Vec<_> = match input.marker.as_deref() {
            Some(after) => all.into_iter().filter(|(k, _)| k.as_str() > after).collect(),
            None => all,
        };
        let truncated = page.len() > limit;
        page.truncate(limit);
        let next_marker = truncated.then(|| page.last().map(|(k, _)| k.clone())).flatten();
        let tags = page.into_iter().map(|(k, v)| Tag { tag_key: Some(k), tag_value: Some(v) }).collect();
        Ok(ListResourceTagsResponse { tags: Some(tags), next_marker, truncated: Some(truncated) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(k: &str, v: &str) -> Tag {
        Tag { tag_key: Some(k.to_string()), tag_value: Some(v.to_string()) }
    }

    #[test]
    fn tags_refuse_duplicates_reserved_keys_and_more_than_fifty() {
        assert_eq!(check_tags(&[tag("a", "1"), tag("b", "")], &[]).unwrap().len(), 2);
        assert_eq!(check_tags(&[tag("a", "1"), tag("a", "2")], &[]).unwrap_err().code, "TagException");
        assert_eq!(check_tags(&[tag("AWS:x", "1")], &[]).unwrap_err().code, "TagException");
        let fifty: Vec<_> = (0..50).map(|i| (format!("k{i}"), String::new())).collect();
        // Replacing a value does not add a tag; a new key does.
        assert!(check_tags(&[tag("k0", "new")], &fifty).is_ok());
        assert_eq!(check_tags(&[tag("k50", "")], &fifty).unwrap_err().code, "TagException");
    }
}
