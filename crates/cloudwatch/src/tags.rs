//! TagResource, UntagResource and ListTagsForResource on alarm ARNs
//! (`arn:aws:cloudwatch:{region}:{account}:alarm:{name}`). Tags live in the
//! alarm's document and go with it.

use aws_model::cloudwatch::{
    ListTagsForResourceInput, ListTagsForResourceOutput, Tag, TagResourceInput, TagResourceOutput, UntagResourceInput,
    UntagResourceOutput,
};

use crate::alarms::{AlarmDoc, ALARM};
use crate::error::CloudWatchError;
use crate::limits::TAGS_PER_ALARM_MAX;
use crate::{CloudWatch, CwResult};

/// Tag keys starting with this are AWS's own.
const RESERVED_TAG_PREFIX: &str = "aws:";

/// Checks tags given to a new alarm or to TagResource: at most
/// [`TAGS_PER_ALARM_MAX`], no reserved keys. A key given twice keeps its
/// last value.
pub(crate) fn check_new_tags(tags: &[Tag]) -> CwResult<Vec<(String, String)>> {
    let mut out: Vec<(String, String)> = Vec::with_capacity(tags.len());
    for tag in tags {
        let key = tag.key.clone().unwrap_or_default();
        if key.starts_with(RESERVED_TAG_PREFIX) {
            return Err(CloudWatchError::invalid(format!(
                "The tag key {key} is invalid: keys starting with {RESERVED_TAG_PREFIX} are reserved for AWS."
            )));
        }
        let value = tag.value.clone().unwrap_or_default();
        match out.iter_mut().find(|(k, _)| *k == key) {
            Some(existing) => existing.1 = value,
            None => out.push((key, value)),
        }
    }
    if out.len() > TAGS_PER_ALARM_MAX {
        return Err(too_many_tags());
    }
    Ok(out)
}

fn too_many_tags() -> CloudWatchError {
    CloudWatchError::invalid(format!("An alarm can have at most {TAGS_PER_ALARM_MAX} tags."))
}

impl CloudWatch {
    /// The alarm an ARN names: InvalidParameterValue for what is not a
    /// CloudWatch ARN, ResourceNotFoundException for anything else that is
    /// not one of this server's alarms.
    fn tagged_alarm(&self, arn: &str) -> CwResult<(String, AlarmDoc)> {
        let parts: Vec<&str> = arn.splitn(7, ':').collect();
        if parts.len() < 6 || parts[0] != "arn" || parts[2] != "cloudwatch" {
            return Err(CloudWatchError::invalid(format!(
                "The value {arn} for parameter ResourceARN is not a valid CloudWatch ARN \
                 (arn:aws:cloudwatch:region:account:alarm:name)."
            )));
        }
        let prefix = format!("arn:aws:cloudwatch:{}:{}:alarm:", self.inner.region, self.inner.account);
        let name = arn.strip_prefix(&prefix).filter(|n| !n.is_empty());
        match name.map(|n| self.alarm(n).map(|doc| (n, doc))).transpose()? {
            Some((name, Some(doc))) => Ok((name.to_string(), doc)),
            _ => Err(CloudWatchError::resource_not_found(arn)),
        }
    }

    pub(crate) fn tag_resource(&self, input: TagResourceInput) -> CwResult<TagResourceOutput> {
        let arn = input.resource_arn.unwrap_or_default();
        let tags = check_new_tags(input.tags.as_deref().unwrap_or_default())?;
        let _state = self.lock();
        let (name, mut doc) = self.tagged_alarm(&arn)?;
        doc.tags.extend(tags);
        if doc.tags.len() > TAGS_PER_ALARM_MAX {
            return Err(too_many_tags());
        }
        self.inner.docs.put(ALARM, &name, &doc)?;
        Ok(TagResourceOutput {})
    }

    pub(crate) fn untag_resource(&self, input: UntagResourceInput) -> CwResult<UntagResourceOutput> {
        let arn = input.resource_arn.unwrap_or_default();
        let _state = self.lock();
        let (name, mut doc) = self.tagged_alarm(&arn)?;
        for key in input.tag_keys.unwrap_or_default() {
            doc.tags.remove(&key);
        }
        self.inner.docs.put(ALARM, &name, &doc)?;
        Ok(UntagResourceOutput {})
    }

    pub(crate) fn list_tags_for_resource(
        &self,
        input: ListTagsForResourceInput,
    ) -> CwResult<ListTagsForResourceOutput> {
        let arn = input.resource_arn.unwrap_or_default();
        let _state = self.lock();
        let (_, doc) = self.tagged_alarm(&arn)?;
        let tags = doc.tags.into_iter().map(|(key, value)| Tag { key: Some(key), value: Some(value) }).collect();
        Ok(ListTagsForResourceOutput { tags: Some(tags) })
    }
}
