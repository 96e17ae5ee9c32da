//! Log groups: create, delete, describe, retention and tags.

use std::collections::{BTreeMap, HashSet};

use aws_model::logs::{
    CreateLogGroupRequest, DeleteLogGroupRequest, DeleteRetentionPolicyRequest, DescribeLogGroupsRequest,
    DescribeLogGroupsResponse, ListTagsForResourceRequest, ListTagsForResourceResponse, ListTagsLogGroupRequest,
    ListTagsLogGroupResponse, LogGroup, LogGroupClass, PutRetentionPolicyRequest, TagLogGroupRequest,
    TagResourceRequest, UntagLogGroupRequest, UntagResourceRequest,
};

use crate::docs::{new_id, GroupDoc, PurgeDoc, StreamDoc, GROUP, PURGE, STREAM};
use crate::error::LogsError;
use crate::{
    Empty, LResult, Logs, DESCRIBE_LIMIT_DEFAULT, LOG_GROUPS_MAX, RETENTION_DAYS_ALLOWED, TAGS_PER_GROUP_MAX,
    TRIM_EVENTS_PER_CALL_MAX,
};

/// Tag keys with this prefix are AWS's own.
const RESERVED_TAG_PREFIX: &str = "aws:";

/// The class of a group created without one.
const DEFAULT_CLASS: &str = "STANDARD";

impl Logs {
    /// The group document, or ResourceNotFoundException.
    pub(crate) fn group(&self, name: &str) -> LResult<GroupDoc> {
        self.inner.docs.get(GROUP, name)?.ok_or_else(LogsError::group_not_found)
    }

    pub(crate) fn create_log_group(&self, input: CreateLogGroupRequest) -> LResult<Empty> {
        let name = input.log_group_name.unwrap_or_default();
        let tags = input.tags.unwrap_or_default();
        check_tag_keys(tags.keys())?;
        if input.deletion_protection_enabled == Some(true) {
            return Err(LogsError::invalid(
                "Deletion protection is not supported by kinesd; create the log group without deletionProtectionEnabled.",
            ));
        }
        if let Some(key) = &input.kms_key_id {
            if !(key.starts_with("arn:") && key.contains(":kms:")) {
                return Err(LogsError::invalid(format!(
                    "Invalid kmsKeyId {key}: it must be the ARN of a KMS key (arn:aws:kms:<region>:<account>:key/<key-id>)."
                )));
            }
        }
        let class = input.log_group_class.map(|c| c.as_str().to_string()).unwrap_or_else(|| DEFAULT_CLASS.to_string());
        let _state = self.inner.events.lock();
        if self.inner.docs.count(GROUP, "")? >= LOG_GROUPS_MAX {
            return Err(LogsError::limit_exceeded());
        }
        let doc = GroupDoc {
            id: new_id(),
            name: name.clone(),
            creation_time_ms: self.now_ms(),
            retention_days: None,
            kms_key_id: input.kms_key_id,
            class,
            tags,
        };
        if !self.inner.docs.insert_new(GROUP, &name, &doc)? {
            return Err(LogsError::new("ResourceAlreadyExistsException", "The specified log group already exists"));
        }
        Ok(Empty {})
    }

    pub(crate) fn delete_log_group(&self, input: DeleteLogGroupRequest) -> LResult<Empty> {
        let name = input.log_group_name.unwrap_or_default();
        let mut events = self.inner.events.lock();
        let group = self.group(&name)?;
        let prefix = crate::docs::stream_key(&name, "");
        let streams: Vec<(String, StreamDoc)> =
            self.inner.docs.list(STREAM, &prefix, None, docstore::LIST_LIMIT_MAX)?;
        let purge = PurgeDoc { group_id: group.id, stream_id: None };
        self.inner.docs.batch(|b| -> LResult<()> {
            for (key, _) in &streams {
                b.delete(STREAM, key)?;
            }
            b.delete(GROUP, &name)?;
            b.put(PURGE, &purge.key(), &purge)?;
            Ok(())
        })?;
        events.purge(group.id, None)?;
        self.inner.docs.delete(PURGE, &purge.key())?;
        Ok(Empty {})
    }

    pub(crate) fn describe_log_groups(&self, input: DescribeLogGroupsRequest) -> LResult<DescribeLogGroupsResponse> {
        let limit = input.limit.map_or(DESCRIBE_LIMIT_DEFAULT, |l| l as usize);
        let pattern = input.log_group_name_pattern;
        let prefix = input.log_group_name_prefix;
        if prefix.is_some() && pattern.is_some() {
            return Err(LogsError::invalid(
                "LogGroupNamePrefix and LogGroupNamePattern are mutually exclusive parameters.",
            ));
        }
        let wanted: Option<HashSet<String>> = match input.log_group_identifiers {
            Some(_) if prefix.is_some() || pattern.is_some() => {
                return Err(LogsError::invalid(
                    "logGroupIdentifiers cannot be combined with logGroupNamePrefix or logGroupNamePattern.",
                ));
            }
            Some(ids) => Some(
                ids.iter()
                    .map(|id| if id.starts_with("arn:") { self.group_name_from_arn(id) } else { Ok(id.clone()) })
                    .collect::<LResult<_>>()?,
            ),
            None => None,
        };
        let class = input.log_group_class.map(|c| c.as_str().to_string());
        let filtered = pattern.is_some() || wanted.is_some() || class.is_some();
        // Unfiltered, a page is the next limit+1 names; filtered, every group
        // (LOG_GROUPS_MAX fits one listing) is checked.
        let fetch = if filtered { docstore::LIST_LIMIT_MAX } else { limit + 1 };
        let events = self.inner.events.lock();
        let listed: Vec<(String, GroupDoc)> =
            self.inner.docs.list(GROUP, prefix.as_deref().unwrap_or(""), input.next_token.as_deref(), fetch)?;
        let mut page: Vec<GroupDoc> = listed
            .into_iter()
            .map(|(_, g)| g)
            .filter(|g| pattern.as_deref().is_none_or(|p| g.name.contains(p)))
            .filter(|g| wanted.as_ref().is_none_or(|w| w.contains(&g.name)))
            .filter(|g| class.as_deref().is_none_or(|c| g.class == c))
            .take(limit + 1)
            .collect();
        let next_token = if page.len() > limit {
            page.truncate(limit);
            page.last().map(|g| g.name.clone())
        } else {
            None
        };
        let mut log_groups = Vec::with_capacity(page.len());
        for g in page {
            let log_group = if pattern.is_some() {
                // AWS: "only arn, creationTime, and logGroupName are included".
                LogGroup {
                    arn: Some(format!("{}:*", self.group_arn(&g.name))),
                    creation_time: Some(g.creation_time_ms),
                    log_group_name: Some(g.name),
                    ..LogGroup::default()
                }
            } else {
                LogGroup {
                    arn: Some(format!("{}:*", self.group_arn(&g.name))),
                    log_group_arn: Some(self.group_arn(&g.name)),
                    creation_time: Some(g.creation_time_ms),
                    retention_in_days: g.retention_days,
                    metric_filter_count: Some(0),
                    stored_bytes: Some(events.stored_bytes_of_group(g.id)?),
                    kms_key_id: g.kms_key_id,
                    log_group_class: Some(LogGroupClass::from(g.class.as_str())),
                    log_group_name: Some(g.name),
                    ..LogGroup::default()
                }
            };
            log_groups.push(log_group);
        }
        Ok(DescribeLogGroupsResponse { log_groups: Some(log_groups), next_token })
    }

    pub(crate) fn put_retention_policy(&self, input: PutRetentionPolicyRequest) -> LResult<Empty> {
        let name = input.log_group_name.unwrap_or_default();
        let days = input.retention_in_days.unwrap_or_default();
        if !RETENTION_DAYS_ALLOWED.contains(&days) {
            let allowed = RETENTION_DAYS_ALLOWED.map(|d| d.to_string()).join(", ");
            return Err(LogsError::invalid(format!(
                "1 validation error detected: Value '{days}' at 'retentionInDays' failed to satisfy constraint: \
                 Member must satisfy enum value set: [{allowed}]"
            )));
        }
        let mut events = self.inner.events.lock();
        let mut group = self.group(&name)?;
        group.retention_days = Some(days);
        self.inner.docs.put(GROUP, &name, &group)?;
        events.trim(group.id, group.retention_cutoff_ms(self.now_ms()), TRIM_EVENTS_PER_CALL_MAX)?;
        Ok(Empty {})
    }

    pub(crate) fn delete_retention_policy(&self, input: DeleteRetentionPolicyRequest) -> LResult<Empty> {
        let name = input.log_group_name.unwrap_or_default();
        let _state = self.inner.events.lock();
        let mut group = self.group(&name)?;
        group.retention_days = None;
        self.inner.docs.put(GROUP, &name, &group)?;
        Ok(Empty {})
    }

    pub(crate) fn tag_resource(&self, input: TagResourceRequest) -> LResult<Empty> {
        let name = self.group_name_from_arn(input.resource_arn.as_deref().unwrap_or_default())?;
        self.add_tags(&name, input.tags.unwrap_or_default(), "TooManyTagsException")
    }

    pub(crate) fn untag_resource(&self, input: UntagResourceRequest) -> LResult<Empty> {
        let name = self.group_name_from_arn(input.resource_arn.as_deref().unwrap_or_default())?;
        self.remove_tags(&name, &input.tag_keys.unwrap_or_default())
    }

    pub(crate) fn list_tags_for_resource(
        &self,
        input: ListTagsForResourceRequest,
    ) -> LResult<ListTagsForResourceResponse> {
        let name = self.group_name_from_arn(input.resource_arn.as_deref().unwrap_or_default())?;
        Ok(ListTagsForResourceResponse { tags: Some(self.group(&name)?.tags) })
    }

    pub(crate) fn tag_log_group(&self, input: TagLogGroupRequest) -> LResult<Empty> {
        let name = input.log_group_name.unwrap_or_default();
        self.add_tags(&name, input.tags.unwrap_or_default(), "InvalidParameterException")
    }

    pub(crate) fn untag_log_group(&self, input: UntagLogGroupRequest) -> LResult<Empty> {
        let name = input.log_group_name.unwrap_or_default();
        self.remove_tags(&name, &input.tags.unwrap_or_default())
    }

    pub(crate) fn list_tags_log_group(&self, input: ListTagsLogGroupRequest) -> LResult<ListTagsLogGroupResponse> {
        let name = input.log_group_name.unwrap_or_default();
        Ok(ListTagsLogGroupResponse { tags: Some(self.group(&name)?.tags) })
    }

    /// Adds or replaces tags; past [`TAGS_PER_GROUP_MAX`] answers `too_many_code` and changes nothing.
    fn add_tags(&self, name: &str, tags: BTreeMap<String, String>, too_many_code: &'static str) -> LResult<Empty> {
        check_tag_keys(tags.keys())?;
        let _state = self.inner.events.lock();
        let mut group = self.group(name)?;
        group.tags.extend(tags);
        if group.tags.len() > TAGS_PER_GROUP_MAX {
            return Err(LogsError::new(
                too_many_code,
                format!(
                    "A log group can have at most {TAGS_PER_GROUP_MAX} tags; {name} would have {}.",
                    group.tags.len()
                ),
            ));
        }
        self.inner.docs.put(GROUP, name, &group)?;
        Ok(Empty {})
    }

    fn remove_tags(&self, name: &str, keys: &[String]) -> LResult<Empty> {
        let _state = self.inner.events.lock();
        let mut group = self.group(name)?;
        for key in keys {
            group.tags.remove(key);
        }
        self.inner.docs.put(GROUP, name, &group)?;
        Ok(Empty {})
    }
}

fn check_tag_keys<'a>(keys: impl IntoIterator<Item = &'a String>) -> LResult<()> {
    for key in keys {
        if key.to_ascii_lowercase().starts_with(RESERVED_TAG_PREFIX) {
            return Err(LogsError::invalid(format!(
                "Tag key {key} is invalid: keys starting with \"{RESERVED_TAG_PREFIX}\" are reserved for AWS."
            )));
        }
    }
    Ok(())
}
