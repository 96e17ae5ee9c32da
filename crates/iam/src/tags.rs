//! Tags on roles, users and policies. IAM tag keys are unique regardless of
//! case ("Department" and "department" are one key; the newer tag replaces
//! the older), and an entity holds at most 50.

use aws_model::iam::Tag;
use aws_wire::AwsError;

use crate::errors;
use crate::paging::{self, Page};
use crate::store::TagDoc;

/// Tags one role, user or policy may hold.
pub const TAGS_PER_ENTITY_MAX: usize = 50;

/// Request tags as stored; duplicate keys (regardless of case) are `InvalidInput`.
pub(crate) fn from_request(tags: Option<Vec<Tag>>) -> Result<Vec<TagDoc>, AwsError> {
    let tags: Vec<TagDoc> = tags
        .unwrap_or_default()
        .into_iter()
        .map(|t| TagDoc { key: t.key.unwrap_or_default(), value: t.value.unwrap_or_default() })
        .collect();
    for (i, tag) in tags.iter().enumerate() {
        if tags[..i].iter().any(|t| t.key.eq_ignore_ascii_case(&tag.key)) {
            return Err(errors::invalid_input(
                "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
            ));
        }
    }
    Ok(tags)
}

/// Adds `new` to `tags`, replacing tags with the same key; `LimitExceeded`
/// (and no change) when the entity would hold more than the quota.
pub(crate) fn merge(tags: &mut Vec<TagDoc>, new: Vec<TagDoc>) -> Result<(), AwsError> {
    let mut merged = tags.clone();
    for tag in new {
        match merged.iter_mut().find(|t| t.key.eq_ignore_ascii_case(&tag.key)) {
            Some(existing) => *existing = tag,
            None => merged.push(tag),
        }
    }
    if merged.len() > TAGS_PER_ENTITY_MAX {
        return Err(errors::limit_exceeded(format!(
            "The number of tags has reached the maximum limit of {TAGS_PER_ENTITY_MAX}."
        )));
    }
    *tags = merged;
    Ok(())
}

/// Removes the tags with the given keys (regardless of case); absent keys are ignored.
pub(crate) fn remove(tags: &mut Vec<TagDoc>, keys: &[String]) {
    tags.retain(|t| !keys.iter().any(|k| k.eq_ignore_ascii_case(&t.key)));
}

/// Tags as the model has them.
pub(crate) fn to_model(tags: &[TagDoc]) -> Vec<Tag> {
    tags.iter().map(|t| Tag { key: Some(t.key.clone()), value: Some(t.value.clone()) }).collect()
}

/// Tags for an entity description: absent when there are none, as AWS answers.
pub(crate) fn to_model_opt(tags: &[TagDoc]) -> Option<Vec<Tag>> {
    (!tags.is_empty()).then(|| to_model(tags))
}

/// One page of an entity's tags, in the order they were added.
pub(crate) fn page(tags: &[TagDoc], marker: Option<&str>, max_items: Option<i32>) -> Page<Tag> {
    paging::page(to_model(tags).into_iter().enumerate().map(|(i, t)| (paging::index_key(i), t)), marker, max_items)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(k: &str, v: &str) -> TagDoc {
        TagDoc { key: k.into(), value: v.into() }
    }

    #[test]
    fn keys_are_case_insensitive_and_limited() {
        let mut tags = vec![tag("Department", "finance")];
        merge(&mut tags, vec![tag("department", "hr"), tag("team", "a")]).unwrap();
        assert_eq!(tags, vec![tag("department", "hr"), tag("team", "a")]);
        remove(&mut tags, &["TEAM".to_string(), "absent".to_string()]);
        assert_eq!(tags, vec![tag("department", "hr")]);
        let many: Vec<TagDoc> = (0..TAGS_PER_ENTITY_MAX).map(|i| tag(&format!("k{i}"), "v")).collect();
        let e = merge(&mut tags, many).unwrap_err();
        assert_eq!((&*e.code, e.status.as_u16()), ("LimitExceeded", 409));
        assert_eq!(tags.len(), 1, "a refused merge changes nothing");
        let dup = from_request(Some(vec![
            Tag { key: Some("a".into()), value: Some("1".into()) },
            Tag { key: Some("A".into()), value: Some("2".into()) },
        ]))
        .unwrap_err();
        assert_eq!((&*dup.code, dup.status.as_u16()), ("InvalidInput", 400));
    }
}
