//! Metric and composite alarms: PutMetricAlarm, PutCompositeAlarm,
//! DescribeAlarms, DescribeAlarmsForMetric, DeleteAlarms,
//! EnableAlarmActions, DisableAlarmActions and SetAlarmState.
//!
//! An alarm is one docstore document under its name (metric and composite
//! alarms share the name space), holding the generated output shape as
//! DescribeAlarms answers it plus the alarm's tags. So every member
//! PutMetricAlarm takes comes back exactly as given.

use std::collections::{BTreeMap, HashSet};

use aws_model::cloudwatch::{
    AlarmType, ComparisonOperator, CompositeAlarm, DeleteAlarmsInput, DescribeAlarmsForMetricInput,
    DescribeAlarmsForMetricOutput, DescribeAlarmsInput, DescribeAlarmsOutput, Dimension, DisableAlarmActionsInput,
    EnableAlarmActionsInput, HistoryItemType, MetricAlarm, MetricDataQuery, PutCompositeAlarmInput,
    PutMetricAlarmInput, SetAlarmStateInput, StateValue,
};
use serde::{Deserialize, Serialize};

use crate::error::CloudWatchError;
use crate::limits::{
    ALARMS_MAX, ALARM_EVALUATION_SECONDS_MAX, ALARM_METRICS_MAX, ALARM_SHORT_PERIODS, DESCRIBE_ALARMS_PAGE_DEFAULT,
};
use crate::stats::{parse_percentile, valid_query_period};
use crate::{rule, tags, CloudWatch, CwResult, Empty, State};

/// The docstore kind of alarms.
pub(crate) const ALARM: &str = "alarm";

/// The state reason of a new alarm (AWS's words).
const INITIAL_STATE_REASON: &str = "Unchecked: Initial alarm creation";
/// TreatMissingData values AWS takes.
const TREAT_MISSING_DATA: [&str; 4] = ["breaching", "notBreaching", "ignore", "missing"];
/// EvaluateLowSampleCountPercentile values AWS takes.
const LOW_SAMPLE_COUNT: [&str; 2] = ["evaluate", "ignore"];

/// A stored alarm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) enum AlarmKind {
    Metric(Box<MetricAlarm>),
    Composite(Box<CompositeAlarm>),
}

/// An alarm's document: the alarm as described, and its tags.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct AlarmDoc {
    pub alarm: AlarmKind,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

impl AlarmDoc {
    pub fn into_metric(self) -> Option<MetricAlarm> {
        match self.alarm {
            AlarmKind::Metric(alarm) => Some(*alarm),
            AlarmKind::Composite(_) => None,
        }
    }

    pub fn alarm_type(&self) -> AlarmType {
        match self.alarm {
            AlarmKind::Metric(_) => AlarmType::MetricAlarm,
            AlarmKind::Composite(_) => AlarmType::CompositeAlarm,
        }
    }

    fn state_value(&self) -> Option<&StateValue> {
        match &self.alarm {
            AlarmKind::Metric(a) => a.state_value.as_ref(),
            AlarmKind::Composite(a) => a.state_value.as_ref(),
        }
    }

    /// Every action of every state.
    fn actions(&self) -> impl Iterator<Item = &String> {
        let lists = match &self.alarm {
            AlarmKind::Metric(a) => [&a.ok_actions, &a.alarm_actions, &a.insufficient_data_actions],
            AlarmKind::Composite(a) => [&a.ok_actions, &a.alarm_actions, &a.insufficient_data_actions],
        };
        lists.into_iter().flatten().flatten()
    }

    /// The alarms a composite alarm's rule names (none for a metric alarm).
    fn children(&self) -> Vec<String> {
        match &self.alarm {
            AlarmKind::Composite(a) => {
                rule::referenced_alarms(a.alarm_rule.as_deref().unwrap_or("")).unwrap_or_default()
            }
            AlarmKind::Metric(_) => Vec::new(),
        }
    }

    /// The alarm as JSON, for history data.
    fn to_json(&self) -> serde_json::Value {
        match &self.alarm {
            AlarmKind::Metric(a) => serde_json::to_value(a),
            AlarmKind::Composite(a) => serde_json::to_value(a),
        }
        .unwrap_or_default()
    }
}

/// What a state change leaves in an alarm.
struct NewState {
    value: StateValue,
    reason: String,
    reason_data: Option<String>,
    at: aws_model::Timestamp,
}

impl CloudWatch {
    pub(crate) fn alarm(&self, name: &str) -> CwResult<Option<AlarmDoc>> {
        Ok(self.inner.docs.get(ALARM, name)?)
    }

    /// Every alarm, in name order.
    pub(crate) fn all_alarms(&self) -> CwResult<Vec<(String, AlarmDoc)>> {
        Ok(self.inner.docs.list(ALARM, "", None, ALARMS_MAX)?)
    }

    /// Refuses a new alarm once the server holds [`ALARMS_MAX`].
    fn check_alarm_count(&self) -> CwResult<()> {
        if self.inner.docs.count(ALARM, "")? >= ALARMS_MAX {
            return Err(CloudWatchError::limit_exceeded(format!(
                "The maximum number of alarms ({ALARMS_MAX}) has been reached; delete alarms to create others."
            )));
        }
        Ok(())
    }

    pub(crate) fn put_metric_alarm(&self, input: PutMetricAlarmInput) -> CwResult<Empty> {
        check_metric_alarm(&input)?;
        let tags = tags::check_new_tags(input.tags.as_deref().unwrap_or_default())?;
        let name = input.alarm_name.clone().unwrap_or_default();
        let mut state = self.lock();
        let now = self.now();
        let (previous, tags) = match self.alarm(&name)? {
            Some(AlarmDoc { alarm: AlarmKind::Composite(_), .. }) => {
                return Err(CloudWatchError::invalid(format!(
                    "The alarm {name} is a composite alarm; PutMetricAlarm cannot replace it."
                )))
            }
            // AWS ignores the tags of a PutMetricAlarm that updates an alarm.
            Some(AlarmDoc { alarm: AlarmKind::Metric(old), tags }) => (Some(*old), tags),
            None => {
                self.check_alarm_count()?;
                (None, tags.into_iter().collect())
            }
        };
        let (state_value, state_reason, state_reason_data, state_updated, state_transitioned) = match &previous {
            Some(old) => (
                old.state_value.clone(),
                old.state_reason.clone(),
                old.state_reason_data.clone(),
                old.state_updated_timestamp,
                old.state_transitioned_timestamp,
            ),
            None => {
                (Some(StateValue::InsufficientData), Some(INITIAL_STATE_REASON.to_string()), None, Some(now), Some(now))
            }
        };
        let alarm = MetricAlarm {
            alarm_arn: Some(self.alarm_arn(&name)),
            alarm_name: Some(name.clone()),
            alarm_description: input.alarm_description,
            alarm_configuration_updated_timestamp: Some(now),
            actions_enabled: Some(input.actions_enabled.unwrap_or(true)),
            ok_actions: Some(input.ok_actions.unwrap_or_default()),
            alarm_actions: Some(input.alarm_actions.unwrap_or_default()),
            insufficient_data_actions: Some(input.insufficient_data_actions.unwrap_or_default()),
            state_value,
            state_reason,
            state_reason_data,
            state_updated_timestamp: state_updated,
            state_transitioned_timestamp: state_transitioned,
            metric_name: input.metric_name,
            namespace: input.namespace,
            statistic: input.statistic,
            extended_statistic: input.extended_statistic,
            dimensions: Some(input.dimensions.unwrap_or_default()),
            period: input.period,
            unit: input.unit,
            evaluation_periods: input.evaluation_periods,
            datapoints_to_alarm: input.datapoints_to_alarm,
            threshold: input.threshold,
            comparison_operator: input.comparison_operator,
            treat_missing_data: input.treat_missing_data,
            evaluate_low_sample_count_percentile: input.evaluate_low_sample_count_percentile,
            metrics: input.metrics.filter(|m| !m.is_empty()),
            threshold_metric_id: input.threshold_metric_id,
            evaluation_interval: input.evaluation_interval,
            ..MetricAlarm::default()
        };
        let created = previous.is_none();
        let doc = AlarmDoc { alarm: AlarmKind::Metric(Box::new(alarm)), tags };
        self.inner.docs.put(ALARM, &name, &doc)?;
        self.record_configuration(&mut state, &name, &doc, if created { "created" } else { "updated" })?;
        Ok(Empty {})
    }

    pub(crate) fn put_composite_alarm(&self, input: PutCompositeAlarmInput) -> CwResult<Empty> {
        let name = input.alarm_name.clone().unwrap_or_default();
        let alarm_rule = input.alarm_rule.clone().unwrap_or_default();
        rule::referenced_alarms(&alarm_rule).map_err(CloudWatchError::invalid)?;
        for (list, actions) in [
            ("OKActions", &input.ok_actions),
            ("AlarmActions", &input.alarm_actions),
            ("InsufficientDataActions", &input.insufficient_data_actions),
        ] {
            check_actions(list, actions.as_deref().unwrap_or_default())?;
        }
        if input.actions_suppressor.is_none()
            && (input.actions_suppressor_wait_period.is_some() || input.actions_suppressor_extension_period.is_some())
        {
            return Err(CloudWatchError::combination(
                "ActionsSuppressorWaitPeriod and ActionsSuppressorExtensionPeriod require ActionsSuppressor.",
            ));
        }
        let tags = tags::check_new_tags(input.tags.as_deref().unwrap_or_default())?;
        let mut state = self.lock();
        let now = self.now();
        let (previous, tags) = match self.alarm(&name)? {
            Some(AlarmDoc { alarm: AlarmKind::Metric(_), .. }) => {
                return Err(CloudWatchError::invalid(format!(
                    "The alarm {name} is a metric alarm; PutCompositeAlarm cannot replace it."
                )))
            }
            Some(AlarmDoc { alarm: AlarmKind::Composite(old), tags }) => (Some(*old), tags),
            None => {
                self.check_alarm_count()?;
                (None, tags.into_iter().collect())
            }
        };
        let mut alarm = CompositeAlarm {
            alarm_arn: Some(self.alarm_arn(&name)),
            alarm_name: Some(name.clone()),
            alarm_description: input.alarm_description,
            alarm_rule: Some(alarm_rule),
            alarm_configuration_updated_timestamp: Some(now),
            actions_enabled: Some(input.actions_enabled.unwrap_or(true)),
            ok_actions: Some(input.ok_actions.unwrap_or_default()),
            alarm_actions: Some(input.alarm_actions.unwrap_or_default()),
            insufficient_data_actions: Some(input.insufficient_data_actions.unwrap_or_default()),
            actions_suppressor: input.actions_suppressor,
            actions_suppressor_wait_period: input.actions_suppressor_wait_period,
            actions_suppressor_extension_period: input.actions_suppressor_extension_period,
            ..CompositeAlarm::default()
        };
        match &previous {
            Some(old) => {
                alarm.state_value = old.state_value.clone();
                alarm.state_reason = old.state_reason.clone();
                alarm.state_reason_data = old.state_reason_data.clone();
                alarm.state_updated_timestamp = old.state_updated_timestamp;
                alarm.state_transitioned_timestamp = old.state_transitioned_timestamp;
            }
            None => {
                alarm.state_value = Some(StateValue::InsufficientData);
                alarm.state_reason = Some(INITIAL_STATE_REASON.to_string());
                alarm.state_updated_timestamp = Some(now);
                alarm.state_transitioned_timestamp = Some(now);
            }
        }
        let created = previous.is_none();
        let doc = AlarmDoc { alarm: AlarmKind::Composite(Box::new(alarm)), tags };
        self.inner.docs.put(ALARM, &name, &doc)?;
        self.record_configuration(&mut state, &name, &doc, if created { "created" } else { "updated" })?;
        Ok(Empty {})
    }

    pub(crate) fn describe_alarms(&self, input: DescribeAlarmsInput) -> CwResult<DescribeAlarmsOutput> {
        let names = input.alarm_names.filter(|n| !n.is_empty());
        if names.is_some() && input.alarm_name_prefix.is_some() {
            return Err(CloudWatchError::combination("AlarmNames and AlarmNamePrefix cannot be specified together."));
        }
        let relative = input.children_of_alarm_name.is_some() || input.parents_of_alarm_name.is_some();
        if relative
            && (names.is_some()
                || input.alarm_name_prefix.is_some()
                || input.state_value.is_some()
                || input.action_prefix.is_some()
                || (input.children_of_alarm_name.is_some() && input.parents_of_alarm_name.is_some()))
        {
            return Err(CloudWatchError::combination(
                "ChildrenOfAlarmName or ParentsOfAlarmName can be combined only with AlarmTypes, MaxRecords and \
                 NextToken.",
            ));
        }
        let types = alarm_types(input.alarm_types.as_deref(), relative);
        let page = input.max_records.map_or(DESCRIBE_ALARMS_PAGE_DEFAULT, |n| n.max(1) as usize);
        let after = input.next_token.as_deref().map(decode_name_token).transpose()?;
        let _state = self.lock();
        let all = self.all_alarms()?;
        let children: Option<HashSet<String>> = input.children_of_alarm_name.as_ref().map(|parent| {
            all.iter()
                .find(|(n, _)| n == parent)
                .map(|(_, doc)| doc.children().into_iter().collect())
                .unwrap_or_default()
        });
        let wanted: Option<HashSet<&String>> = names.as_ref().map(|n| n.iter().collect());
        let matching = all.iter().filter(|(name, doc)| {
            types.contains(&doc.alarm_type())
                && wanted.as_ref().is_none_or(|w| w.contains(name))
                && input.alarm_name_prefix.as_ref().is_none_or(|p| name.starts_with(p.as_str()))
                && input.state_value.as_ref().is_none_or(|s| doc.state_value() == Some(s))
                && input.action_prefix.as_ref().is_none_or(|p| doc.actions().any(|a| a.starts_with(p.as_str())))
                && children.as_ref().is_none_or(|c| c.contains(name))
                && input.parents_of_alarm_name.as_ref().is_none_or(|child| doc.children().contains(child))
                && after.as_ref().is_none_or(|a| name > a)
        });
        let mut out = DescribeAlarmsOutput {
            metric_alarms: Some(Vec::new()),
            composite_alarms: Some(Vec::new()),
            next_token: None,
        };
        let mut last: Option<&String> = None;
        for (taken, (name, doc)) in matching.enumerate() {
            if taken == page {
                out.next_token = last.map(encode_name_token);
                break;
            }
            match &doc.alarm {
                AlarmKind::Metric(a) => out.metric_alarms.get_or_insert_with(Vec::new).push((**a).clone()),
                AlarmKind::Composite(a) => out.composite_alarms.get_or_insert_with(Vec::new).push((**a).clone()),
            }
            last = Some(name);
        }
        Ok(out)
    }

    pub(crate) fn describe_alarms_for_metric(
        &self,
        input: DescribeAlarmsForMetricInput,
    ) -> CwResult<DescribeAlarmsForMetricOutput> {
        let dimensions = dimension_set(input.dimensions.as_deref().unwrap_or_default());
        let _state = self.lock();
        let alarms = self
            .all_alarms()?
            .into_iter()
            .filter_map(|(_, doc)| doc.into_metric())
            .filter(|a| {
                a.metric_name == input.metric_name
                    && a.namespace == input.namespace
                    && input.statistic.as_ref().is_none_or(|s| a.statistic.as_ref() == Some(s))
                    && input.extended_statistic.as_ref().is_none_or(|s| a.extended_statistic.as_ref() == Some(s))
                    && input.period.is_none_or(|p| a.period == Some(p))
                    && input.unit.as_ref().is_none_or(|u| a.unit.as_ref() == Some(u))
                    && (input.dimensions.is_none()
                        || dimension_set(a.dimensions.as_deref().unwrap_or_default()) == dimensions)
            })
            .collect();
        Ok(DescribeAlarmsForMetricOutput { metric_alarms: Some(alarms) })
    }

    pub(crate) fn delete_alarms(&self, input: DeleteAlarmsInput) -> CwResult<Empty> {
        let names: Vec<String> = input.alarm_names.unwrap_or_default();
        let mut state = self.lock();
        let all = self.all_alarms()?;
        let doomed: HashSet<&String> = names.iter().collect();
        let missing: Vec<&str> =
            names.iter().filter(|n| !all.iter().any(|(name, _)| name == *n)).map(String::as_str).collect();
        if !missing.is_empty() {
            // Nothing is deleted when one of the alarms does not exist (AWS).
            return Err(CloudWatchError::alarm_not_found(&missing.join(", ")));
        }
        let depended_on: Vec<&str> = all
            .iter()
            .filter(|(name, _)| !doomed.contains(name))
            .flat_map(|(_, doc)| doc.children())
            .filter_map(|child| names.iter().find(|n| **n == child).map(String::as_str))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        if !depended_on.is_empty() {
            return Err(CloudWatchError::validation(format!(
                "Cannot delete {} as there are composite alarm(s) depending on {}.",
                depended_on.join(","),
                if depended_on.len() == 1 { "it" } else { "them" }
            )));
        }
        let deleted: Vec<(String, AlarmDoc)> = all.into_iter().filter(|(name, _)| doomed.contains(name)).collect();
        self.inner.docs.batch(|b| {
            for (name, _) in &deleted {
                b.delete(ALARM, name)?;
            }
            Ok::<(), CloudWatchError>(())
        })?;
        for (name, doc) in &deleted {
            self.record_configuration(&mut state, name, doc, "deleted")?;
        }
        Ok(Empty {})
    }

    pub(crate) fn enable_alarm_actions(&self, input: EnableAlarmActionsInput) -> CwResult<Empty> {
        self.set_actions_enabled(input.alarm_names.unwrap_or_default(), true)
    }

    pub(crate) fn disable_alarm_actions(&self, input: DisableAlarmActionsInput) -> CwResult<Empty> {
        self.set_actions_enabled(input.alarm_names.unwrap_or_default(), false)
    }

    /// Alarms that do not exist are skipped, as AWS does.
    fn set_actions_enabled(&self, names: Vec<String>, enabled: bool) -> CwResult<Empty> {
        let _state = self.lock();
        self.inner.docs.batch(|b| {
            for name in &names {
                let Some(mut doc) = b.get::<AlarmDoc>(ALARM, name)? else { continue };
                match &mut doc.alarm {
                    AlarmKind::Metric(a) => a.actions_enabled = Some(enabled),
                    AlarmKind::Composite(a) => a.actions_enabled = Some(enabled),
                }
                b.put(ALARM, name, &doc)?;
            }
            Ok::<(), CloudWatchError>(())
        })?;
        Ok(Empty {})
    }

    pub(crate) fn set_alarm_state(&self, input: SetAlarmStateInput) -> CwResult<Empty> {
        let value = input.state_value.unwrap_or(StateValue::InsufficientData);
        self.change_alarm_state(
            input.alarm_name.as_deref().unwrap_or_default(),
            value,
            input.state_reason.unwrap_or_default(),
            input.state_reason_data,
        )?;
        Ok(Empty {})
    }

    /// SetAlarmState (and the in-process evaluation's) state change.
    pub(crate) fn change_alarm_state(
        &self,
        name: &str,
        value: StateValue,
        reason: String,
        reason_data: Option<String>,
    ) -> CwResult<()> {
        if let Some(data) = &reason_data {
            if serde_json::from_str::<serde_json::Value>(data).is_err() {
                return Err(CloudWatchError::invalid_format("StateReasonData must be valid JSON."));
            }
        }
        let mut state = self.lock();
        let mut doc = self.alarm(name)?.ok_or_else(|| CloudWatchError::alarm_not_found(name))?;
        let new = NewState { value, reason, reason_data, at: self.now() };
        let old = apply_state(&mut doc, &new);
        self.inner.docs.put(ALARM, name, &doc)?;
        self.record_state_change(&mut state, name, doc.alarm_type(), old, &new)?;
        Ok(())
    }

    fn record_configuration(&self, state: &mut State, name: &str, doc: &AlarmDoc, what: &str) -> CwResult<()> {
        let kind = match what {
            "created" => "Create",
            "deleted" => "Delete",
            _ => "Update",
        };
        let member = match what {
            "created" => "createdAlarm",
            "deleted" => "deletedAlarm",
            _ => "updatedAlarm",
        };
        let data = serde_json::json!({"version": "1.0", "type": kind, member: doc.to_json()});
        self.record_history(
            state,
            name,
            doc.alarm_type(),
            HistoryItemType::ConfigurationUpdate,
            format!("Alarm \"{name}\" {what}"),
            data.to_string(),
        )
    }

    fn record_state_change(
        &self,
        state: &mut State,
        name: &str,
        alarm_type: AlarmType,
        old: (Option<StateValue>, Option<String>),
        new: &NewState,
    ) -> CwResult<()> {
        let old_value = old.0.as_ref().map_or("INSUFFICIENT_DATA", |v| v.as_str()).to_string();
        let mut new_json = serde_json::json!({"stateValue": new.value.as_str(), "stateReason": new.reason});
        if let Some(data) = &new.reason_data {
            new_json["stateReasonData"] = serde_json::from_str(data).unwrap_or_default();
        }
        let data = serde_json::json!({
            "version": "1.0",
            "oldState": {"stateValue": old_value, "stateReason": old.1.unwrap_or_default()},
            "newState": new_json,
        });
        self.record_history(
            state,
            name,
            alarm_type,
            HistoryItemType::StateUpdate,
            format!("Alarm updated from {old_value} to {}", new.value.as_str()),
            data.to_string(),
        )
    }
}

/// Sets the state of an alarm; answers the previous state value and reason.
fn apply_state(doc: &mut AlarmDoc, new: &NewState) -> (Option<StateValue>, Option<String>) {
    macro_rules! apply {
        ($a:expr) => {{
            let old = ($a.state_value.take(), $a.state_reason.take());
            if old.0.as_ref() != Some(&new.value) {
                $a.state_transitioned_timestamp = Some(new.at);
            }
            $a.state_value = Some(new.value.clone());
            $a.state_reason = Some(new.reason.clone());
            $a.state_reason_data = new.reason_data.clone();
            $a.state_updated_timestamp = Some(new.at);
            old
        }};
    }
    match &mut doc.alarm {
        AlarmKind::Metric(a) => apply!(a),
        AlarmKind::Composite(a) => apply!(a),
    }
}

/// The alarm types a listing covers: those asked for, else metric alarms
/// only (AWS), or both for children/parents listings.
fn alarm_types(asked: Option<&[AlarmType]>, relative: bool) -> Vec<AlarmType> {
    match asked {
        Some(types) if !types.is_empty() => types.to_vec(),
        _ if relative => vec![AlarmType::MetricAlarm, AlarmType::CompositeAlarm],
        _ => vec![AlarmType::MetricAlarm],
    }
}

/// A DescribeAlarms NextToken: the last alarm name of the page, in base64.
fn encode_name_token(name: &String) -> String {
    aws_model::base64::encode(name.as_bytes())
}

fn decode_name_token(token: &str) -> CwResult<String> {
    let bytes = aws_model::base64::decode(token).map_err(|_| CloudWatchError::invalid_token())?;
    String::from_utf8(bytes).map_err(|_| CloudWatchError::invalid_token())
}

/// Dimensions as a set of (name, value).
fn dimension_set(dimensions: &[Dimension]) -> std::collections::BTreeSet<(String, String)> {
    dimensions.iter().map(|d| (d.name.clone().unwrap_or_default(), d.value.clone().unwrap_or_default())).collect()
}

/// Dimension names must be unique within a metric.
pub(crate) fn check_dimensions(parameter: &str, dimensions: &[Dimension]) -> CwResult<()> {
    let mut seen = HashSet::new();
    for d in dimensions {
        let name = d.name.as_deref().unwrap_or_default();
        if !seen.insert(name) {
            return Err(CloudWatchError::invalid(format!(
                "The dimension name {name} appears more than once in {parameter}; dimension names must be unique."
            )));
        }
    }
    Ok(())
}

/// Each action must be an ARN (SNS topic, Auto Scaling policy, EC2 action, ...).
fn check_actions(parameter: &str, actions: &[String]) -> CwResult<()> {
    for action in actions {
        if !action.starts_with("arn:") || action.split(':').count() < 6 {
            return Err(CloudWatchError::invalid(format!("Invalid arn syntax: {action} (in {parameter}).")));
        }
    }
    Ok(())
}

/// Whether `stat` is an extended statistic AWS takes for alarms (a
/// percentile `pNN`, or the trimmed/winsorized families, `IQM`).
fn valid_extended_statistic(stat: &str) -> bool {
    if stat.starts_with('p') {
        return parse_percentile(stat).is_some();
    }
    let families = ["tm", "tc", "ts", "wm", "TM(", "TC(", "TS(", "WM(", "PR("];
    stat == "IQM" || families.iter().any(|f| stat.starts_with(f) && stat.len() > f.len())
}

/// PutMetricAlarm's rules beyond the model's.
fn check_metric_alarm(input: &PutMetricAlarmInput) -> CwResult<()> {
    if input.evaluation_criteria.is_some() {
        return Err(CloudWatchError::invalid("EvaluationCriteria (PromQL alarms) is not supported by this server."));
    }
    let evaluation_periods = input.evaluation_periods.ok_or_else(|| CloudWatchError::missing("EvaluationPeriods"))?;
    let operator = input.comparison_operator.as_ref().ok_or_else(|| CloudWatchError::missing("ComparisonOperator"))?;
    let metrics = input.metrics.as_deref().unwrap_or_default();
    let dimensions = input.dimensions.as_deref().unwrap_or_default();
    if metrics.is_empty() {
        if input.metric_name.is_none() {
            return Err(CloudWatchError::missing("MetricName"));
        }
        if input.namespace.is_none() {
            return Err(CloudWatchError::missing("Namespace"));
        }
        let period = input.period.ok_or_else(|| CloudWatchError::missing("Period"))?;
        check_alarm_period("Period", period, evaluation_periods)?;
        match (&input.statistic, &input.extended_statistic) {
            (Some(_), Some(_)) => {
                return Err(CloudWatchError::combination(
                    "Statistic and ExtendedStatistic are mutually exclusive; specify one of them.",
                ))
            }
            (None, None) => {
                return Err(CloudWatchError::combination("One of Statistic and ExtendedStatistic must be specified."))
            }
            (None, Some(extended)) if !valid_extended_statistic(extended) => {
                return Err(CloudWatchError::invalid(format!(
                    "The value {extended} for parameter ExtendedStatistic is not a valid statistic."
                )))
            }
            _ => {}
        }
        check_dimensions("Dimensions", dimensions)?;
        if input.threshold_metric_id.is_some() {
            return Err(CloudWatchError::combination(
                "ThresholdMetricId requires Metrics (an anomaly detection band).",
            ));
        }
    } else {
        let single = [
            ("MetricName", input.metric_name.is_some()),
            ("Namespace", input.namespace.is_some()),
            ("Statistic", input.statistic.is_some()),
            ("ExtendedStatistic", input.extended_statistic.is_some()),
            ("Dimensions", !dimensions.is_empty()),
            ("Period", input.period.is_some()),
            ("Unit", input.unit.is_some()),
        ];
        if let Some((name, _)) = single.iter().find(|(_, given)| *given) {
            return Err(CloudWatchError::combination(format!(
                "Metrics cannot be specified together with {name} (MetricName, Namespace, Statistic, \
                 ExtendedStatistic, Dimensions, Period and Unit describe a single-metric alarm)."
            )));
        }
        check_alarm_metrics(metrics, evaluation_periods, input.threshold_metric_id.as_deref())?;
    }
    if let Some(n) = input.datapoints_to_alarm {
        if n > evaluation_periods {
            return Err(CloudWatchError::invalid(format!(
                "DatapointsToAlarm ({n}) must be less than or equal to EvaluationPeriods ({evaluation_periods})."
            )));
        }
    }
    let band_operator = matches!(
        operator,
        ComparisonOperator::LessThanLowerOrGreaterThanUpperThreshold
            | ComparisonOperator::LessThanLowerThreshold
            | ComparisonOperator::GreaterThanUpperThreshold
    );
    match (input.threshold, &input.threshold_metric_id) {
        (Some(_), Some(_)) => {
            return Err(CloudWatchError::combination("Threshold and ThresholdMetricId are mutually exclusive."))
        }
        (None, None) => return Err(CloudWatchError::missing("Threshold")),
        (Some(_), None) if band_operator => {
            return Err(CloudWatchError::combination(format!(
                "ComparisonOperator {} compares with an anomaly detection band: it requires ThresholdMetricId.",
                operator.as_str()
            )))
        }
        (None, Some(_)) if !band_operator => {
            return Err(CloudWatchError::combination(format!(
                "ThresholdMetricId requires an anomaly detection ComparisonOperator, not {}.",
                operator.as_str()
            )))
        }
        _ => {}
    }
    if let Some(t) = &input.treat_missing_data {
        if !TREAT_MISSING_DATA.contains(&t.as_str()) {
            return Err(CloudWatchError::invalid(format!(
                "The value {t} for parameter TreatMissingData is invalid; it must be one of {}.",
                TREAT_MISSING_DATA.join(", ")
            )));
        }
    }
    if let Some(e) = &input.evaluate_low_sample_count_percentile {
        if !LOW_SAMPLE_COUNT.contains(&e.as_str()) {
            return Err(CloudWatchError::invalid(format!(
                "The value {e} for parameter EvaluateLowSampleCountPercentile is invalid; it must be evaluate or \
                 ignore."
            )));
        }
    }
    for (list, actions) in [
        ("OKActions", &input.ok_actions),
        ("AlarmActions", &input.alarm_actions),
        ("InsufficientDataActions", &input.insufficient_data_actions),
    ] {
        check_actions(list, actions.as_deref().unwrap_or_default())?;
    }
    Ok(())
}

/// An alarm period: 10, 20, 30 or a multiple of 60 seconds, and at most
/// [`ALARM_EVALUATION_SECONDS_MAX`] over all evaluation periods.
fn check_alarm_period(parameter: &str, period: i32, evaluation_periods: i32) -> CwResult<()> {
    if !(ALARM_SHORT_PERIODS.contains(&period) || (period > 0 && period % 60 == 0)) {
        return Err(CloudWatchError::invalid(format!(
            "The parameter {parameter} must be 10, 20, 30 or a multiple of 60 (got {period})."
        )));
    }
    if i64::from(period) * i64::from(evaluation_periods) > ALARM_EVALUATION_SECONDS_MAX {
        return Err(CloudWatchError::invalid(format!(
            "Period x EvaluationPeriods ({period} x {evaluation_periods}) must not exceed \
             {ALARM_EVALUATION_SECONDS_MAX} seconds (7 days)."
        )));
    }
    Ok(())
}

/// A metric-math alarm's queries.
fn check_alarm_metrics(
    metrics: &[MetricDataQuery],
    evaluation_periods: i32,
    threshold_metric_id: Option<&str>,
) -> CwResult<()> {
    if metrics.len() > ALARM_METRICS_MAX {
        return Err(CloudWatchError::invalid(format!(
            "The collection Metrics must not have more than {ALARM_METRICS_MAX} members."
        )));
    }
    let mut ids = HashSet::new();
    for (i, query) in metrics.iter().enumerate() {
        let id = query.id.as_deref().unwrap_or_default();
        if !ids.insert(id) {
            return Err(CloudWatchError::invalid(format!("The Id {id} appears more than once in Metrics.")));
        }
        match (&query.metric_stat, &query.expression) {
            (Some(stat), None) => {
                let period = stat.period.unwrap_or_default();
                check_alarm_period(&format!("Metrics.member.{}.MetricStat.Period", i + 1), period, evaluation_periods)?;
                let metric = stat.metric.as_ref();
                if metric.and_then(|m| m.metric_name.as_ref()).is_none() {
                    return Err(CloudWatchError::missing(&format!(
                        "Metrics.member.{}.MetricStat.Metric.MetricName",
                        i + 1
                    )));
                }
                if metric.and_then(|m| m.namespace.as_ref()).is_none() {
                    return Err(CloudWatchError::missing(&format!(
                        "Metrics.member.{}.MetricStat.Metric.Namespace",
                        i + 1
                    )));
                }
                let dimensions = metric.and_then(|m| m.dimensions.as_deref()).unwrap_or_default();
                check_dimensions(&format!("Metrics.member.{}.MetricStat.Metric.Dimensions", i + 1), dimensions)?;
            }
            (None, Some(_)) => {}
            _ => {
                return Err(CloudWatchError::combination(format!(
                    "Metrics.member.{} must have exactly one of MetricStat and Expression.",
                    i + 1
                )))
            }
        }
    }
    let returning = metrics.iter().filter(|q| q.return_data.unwrap_or(true)).count();
    match threshold_metric_id {
        None if returning != 1 => Err(CloudWatchError::invalid(format!(
            "Exactly one member of Metrics must have ReturnData true (the alarm's time series); {returning} do."
        ))),
        Some(id) if !ids.contains(id) => {
            Err(CloudWatchError::invalid(format!("ThresholdMetricId {id} is not the Id of a member of Metrics.")))
        }
        _ => Ok(()),
    }
}

/// Checks that a query's period is one metric queries take.
pub(crate) fn check_query_period(parameter: &str, period: i32) -> CwResult<()> {
    if valid_query_period(period) {
        Ok(())
    } else {
        Err(CloudWatchError::invalid(format!(
            "The parameter {parameter} must be 1, 5, 10, 30 or a multiple of 60 (got {period})."
        )))
    }
}
