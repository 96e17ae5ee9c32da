//! PutMetricData, ListMetrics, GetMetricStatistics and GetMetricData, and
//! the in-process counterparts ([`CloudWatch::put_metric_points`],
//! [`CloudWatch::metric_series`]).

use std::collections::{BTreeMap, HashMap, HashSet};

use aws_model::cloudwatch::{
    Datapoint, Dimension, GetMetricDataInput, GetMetricDataOutput, GetMetricStatisticsInput, GetMetricStatisticsOutput,
    ListMetricsInput, ListMetricsOutput, Metric, MetricDataQuery, MetricDataResult, MetricDatum, PutMetricDataInput,
    ScanBy, StandardUnit, Statistic, StatusCode,
};
use aws_model::Timestamp;

use crate::alarms::{check_dimensions, check_query_period};
use crate::error::CloudWatchError;
use crate::expr::{self, Value};
use crate::limits::{
    DATAPOINT_AGE_MS_MAX, DATAPOINT_FUTURE_MS_MAX, DATAPOINT_RETENTION_MS, DATUM_VALUES_MAX, DIMENSIONS_MAX,
    LIST_METRICS_PAGE, METRIC_DATA_DATAPOINTS_DEFAULT, METRIC_DATA_QUERIES_MAX, PUT_METRIC_DATA_ITEMS_MAX,
    RECENTLY_ACTIVE_MS, STATISTICS_DATAPOINTS_MAX, VALUE_MAGNITUDE_MAX, VALUE_MAGNITUDE_MIN,
};
use crate::points::MetricKey;
use crate::stats::{parse_percentile, Periods, Point, Stat};
use crate::{CloudWatch, CwResult, Empty, MetricPoint, State};

/// Namespaces starting with this are AWS services' own.
const AWS_NAMESPACE_PREFIX: &str = "AWS/";
/// The unit of data published without one.
const NO_UNIT: &str = "None";
/// What the statistics of GetMetricData and `metric_series` may be.
const STATS_SUPPORTED: &str = "SampleCount, Average, Sum, Minimum, Maximum and percentiles pNN";

impl CloudWatch {
    pub(crate) fn put_metric_data(&self, input: PutMetricDataInput) -> CwResult<Empty> {
        let namespace = input.namespace.unwrap_or_default();
        if namespace.starts_with(AWS_NAMESPACE_PREFIX) {
            return Err(CloudWatchError::invalid(format!(
                "The value {namespace} for parameter Namespace is invalid: namespaces starting with \
                 {AWS_NAMESPACE_PREFIX} are reserved for AWS services."
            )));
        }
        let mut data: Vec<MetricDatum> = input.metric_data.unwrap_or_default();
        for entity in input.entity_metric_data.unwrap_or_default() {
            data.extend(entity.metric_data.unwrap_or_default());
        }
        if data.is_empty() {
            return Err(CloudWatchError::missing("MetricData"));
        }
        if data.len() > PUT_METRIC_DATA_ITEMS_MAX {
            return Err(CloudWatchError::invalid(format!(
                "The collection MetricData must not have a size greater than {PUT_METRIC_DATA_ITEMS_MAX} (got {}).",
                data.len()
            )));
        }
        let now = self.now_ms();
        let points = data
            .iter()
            .enumerate()
            .map(|(i, datum)| datum_point(&namespace, &format!("MetricData.member.{}", i + 1), datum, now))
            .collect::<CwResult<Vec<_>>>()?;
        let mut state = self.lock();
        state.points.put(now, &points)?;
        Ok(Empty {})
    }

    /// [`CloudWatch::put_metric_points`]: PutMetricData's checks but for the namespace.
    pub(crate) fn put_internal(&self, namespace: &str, points: &[MetricPoint]) -> CwResult<()> {
        if namespace.is_empty() || namespace.starts_with(':') {
            return Err(CloudWatchError::invalid(format!("The namespace {namespace:?} is invalid.")));
        }
        if points.len() > PUT_METRIC_DATA_ITEMS_MAX {
            return Err(CloudWatchError::invalid(format!(
                "At most {PUT_METRIC_DATA_ITEMS_MAX} data points go in one call (got {}).",
                points.len()
            )));
        }
        let now = self.now_ms();
        let rows = points
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let datum = MetricDatum {
                    metric_name: Some(p.metric_name.clone()),
                    dimensions: Some(
                        p.dimensions
                            .iter()
                            .map(|(n, v)| Dimension { name: Some(n.clone()), value: Some(v.clone()) })
                            .collect(),
                    ),
                    timestamp: Some(p.timestamp),
                    value: p.statistics.is_none().then_some(p.value),
                    statistic_values: p.statistics.clone(),
                    unit: Some(p.unit.clone()),
                    ..MetricDatum::default()
                };
                datum_point(namespace, &format!("point {}", i + 1), &datum, now)
            })
            .collect::<CwResult<Vec<_>>>()?;
        let mut state = self.lock();
        state.points.put(now, &rows)
    }

    pub(crate) fn list_metrics(&self, input: ListMetricsInput) -> CwResult<ListMetricsOutput> {
        let after: i64 = match &input.next_token {
            Some(token) => token
                .parse()
                .ok()
                .filter(|id| *id >= 0)
                .ok_or_else(|| CloudWatchError::invalid("The value of NextToken is invalid."))?,
            None => 0,
        };
        let filters: Vec<(String, Option<String>)> =
            input.dimensions.unwrap_or_default().into_iter().map(|f| (f.name.unwrap_or_default(), f.value)).collect();
        let now = self.now_ms();
        let active_since =
            if input.recently_active.is_some() { now - RECENTLY_ACTIVE_MS } else { now - DATAPOINT_RETENTION_MS };
        let state = self.lock();
        let matching = state.points.metrics()?.into_iter().filter(|m| {
            m.id > after
                && m.last_put_ms >= active_since
                && input.namespace.as_ref().is_none_or(|n| *n == m.key.namespace)
                && input.metric_name.as_ref().is_none_or(|n| *n == m.key.name)
                && filters.iter().all(|(name, value)| {
                    m.key.dimensions.iter().any(|(n, v)| n == name && value.as_ref().is_none_or(|want| want == v))
                })
        });
        let mut metrics = Vec::new();
        let mut last_id = None;
        let mut more = false;
        for m in matching {
            if metrics.len() == LIST_METRICS_PAGE {
                more = true;
                break;
            }
            last_id = Some(m.id);
            metrics.push(Metric {
                namespace: Some(m.key.namespace),
                metric_name: Some(m.key.name),
                dimensions: Some(
                    m.key
                        .dimensions
                        .into_iter()
                        .map(|(name, value)| Dimension { name: Some(name), value: Some(value) })
                        .collect(),
                ),
            });
        }
        let next_token = if more { last_id.map(|id| id.to_string()) } else { None };
        Ok(ListMetricsOutput { metrics: Some(metrics), next_token, owning_accounts: None })
    }

    pub(crate) fn get_metric_statistics(&self, input: GetMetricStatisticsInput) -> CwResult<GetMetricStatisticsOutput> {
        let period = input.period.unwrap_or_default();
        check_query_period("Period", period)?;
        let (start, end) = time_range(input.start_time, input.end_time)?;
        let statistics = input.statistics.unwrap_or_default();
        let extended = input.extended_statistics.unwrap_or_default();
        match (statistics.is_empty(), extended.is_empty()) {
            (false, false) => {
                return Err(CloudWatchError::combination(
                    "The parameters Statistics and ExtendedStatistics are mutually exclusive; specify one of them.",
                ))
            }
            (true, true) => {
                return Err(CloudWatchError::combination("One of Statistics and ExtendedStatistics must be specified."))
            }
            _ => {}
        }
        let mut percentiles = Vec::with_capacity(extended.len());
        for name in &extended {
            let p = parse_percentile(name).ok_or_else(|| {
                CloudWatchError::invalid(format!(
                    "The value {name} for parameter ExtendedStatistics is not a valid percentile (p0 to p100, with \
                     at most two decimals)."
                ))
            })?;
            percentiles.push((name.clone(), p));
        }
        let periods = Periods::new(start, end, period);
        let count = periods.count();
        if count > STATISTICS_DATAPOINTS_MAX {
            return Err(CloudWatchError::combination(format!(
                "You have requested up to {} datapoints, which exceeds the limit of {}. You may reduce the \
                 datapoints requested by increasing Period, or decreasing the time range.",
                thousands(count),
                thousands(STATISTICS_DATAPOINTS_MAX)
            )));
        }
        let dimensions = input.dimensions.unwrap_or_default();
        check_dimensions("Dimensions", &dimensions)?;
        let metric_name = input.metric_name.unwrap_or_default();
        let key = metric_key(input.namespace.unwrap_or_default(), metric_name.clone(), &dimensions);
        let unit = input.unit.as_ref().map(|u| u.as_str().to_string());
        let state = self.lock();
        let points = load_points(&state, &key, &periods, !percentiles.is_empty(), unit.as_deref())?;
        drop(state);
        let mut by_unit: BTreeMap<&str, Vec<&Point>> = BTreeMap::new();
        for point in &points {
            by_unit.entry(point.unit.as_str()).or_default().push(point);
        }
        let mut datapoints = Vec::new();
        for (unit, points) in by_unit {
            for (at, agg) in periods.aggregate(points) {
                let mut datapoint = Datapoint {
                    timestamp: Some(Timestamp::from_millis(at)),
                    unit: Some(StandardUnit::from(unit)),
                    ..Datapoint::default()
                };
                for statistic in &statistics {
                    let value = Some(match statistic {
                        Statistic::SampleCount => agg.sample_count,
                        Statistic::Average => agg.average(),
                        Statistic::Sum => agg.sum,
                        Statistic::Minimum => agg.minimum,
                        Statistic::Maximum => agg.maximum,
                        Statistic::Unknown(_) => continue,
                    });
                    match statistic {
                        Statistic::SampleCount => datapoint.sample_count = value,
                        Statistic::Average => datapoint.average = value,
                        Statistic::Sum => datapoint.sum = value,
                        Statistic::Minimum => datapoint.minimum = value,
                        Statistic::Maximum => datapoint.maximum = value,
                        Statistic::Unknown(_) => {}
                    }
                }
                if !percentiles.is_empty() {
                    let values: BTreeMap<String, f64> = percentiles
                        .iter()
                        .filter_map(|(name, p)| agg.percentile(*p).map(|v| (name.clone(), v)))
                        .collect();
                    datapoint.extended_statistics = Some(values);
                }
                datapoints.push(datapoint);
            }
        }
        datapoints.sort_by_key(|d| d.timestamp);
        Ok(GetMetricStatisticsOutput { label: Some(metric_name), datapoints: Some(datapoints) })
    }

    /// A statistic of one metric per period over `[start, end)`, for the
    /// periods that have data, in time order: what an alarm evaluates and
    /// GetMetricData answers. `stat` is `SampleCount`, `Average`, `Sum`,
    /// `Minimum`, `Maximum` or `pNN`; `unit` keeps only data of that unit.
    #[allow(clippy::too_many_arguments)]
    pub fn metric_series(
        &self,
        namespace: &str,
        metric_name: &str,
        dimensions: &[(String, String)],
        stat: &str,
        period_s: i32,
        start: Timestamp,
        end: Timestamp,
        unit: Option<&str>,
    ) -> CwResult<Vec<(Timestamp, f64)>> {
        check_query_period("period", period_s)?;
        let stat = parse_stat(stat)?;
        let (start, end) = time_range(Some(start), Some(end))?;
        let key = MetricKey::new(namespace.to_string(), metric_name.to_string(), dimensions.to_vec());
        let state = self.lock();
        let series = series(&state, &key, stat, &Periods::new(start, end, period_s), unit)?;
        Ok(series.into_iter().map(|(t, v)| (Timestamp::from_millis(t), v)).collect())
    }

    pub(crate) fn get_metric_data(&self, input: GetMetricDataInput) -> CwResult<GetMetricDataOutput> {
        let queries = input.metric_data_queries.unwrap_or_default();
        if queries.is_empty() {
            return Err(CloudWatchError::missing("MetricDataQueries"));
        }
        if queries.len() > METRIC_DATA_QUERIES_MAX {
            return Err(CloudWatchError::invalid(format!(
                "The collection MetricDataQueries must not have more than {METRIC_DATA_QUERIES_MAX} members (got {}).",
                queries.len()
            )));
        }
        let (start, end) = time_range(input.start_time, input.end_time)?;
        let page = i64::from(input.max_datapoints.unwrap_or(METRIC_DATA_DATAPOINTS_DEFAULT as i32));
        if page < 1 {
            return Err(CloudWatchError::invalid("The parameter MaxDatapoints must be at least 1."));
        }
        let offset: i64 = match &input.next_token {
            Some(token) => token.parse().ok().filter(|o| *o >= 0).ok_or_else(CloudWatchError::invalid_token)?,
            None => 0,
        };
        let plans = plan_queries(&queries)?;
        let state = self.lock();
        let mut done: HashMap<String, Vec<(i64, f64)>> = HashMap::new();
        for i in 0..plans.len() {
            evaluate(&state, &plans, i, start, end, &mut done, 0)?;
        }
        drop(state);
        let ascending = matches!(input.scan_by, Some(ScanBy::TimestampAscending));
        let mut results = Vec::new();
        let mut position = 0;
        let page_end = offset.saturating_add(page);
        for plan in plans.iter().filter(|p| p.query.return_data.unwrap_or(true)) {
            let mut points = done.get(&plan.id).cloned().unwrap_or_default();
            if !ascending {
                points.reverse();
            }
            let (first, last) = (position, position + points.len() as i64);
            position = last;
            let from = (offset.clamp(first, last) - first) as usize;
            let to = (page_end.clamp(first, last) - first) as usize;
            let slice = &points[from..to];
            results.push(MetricDataResult {
                id: Some(plan.id.clone()),
                label: Some(plan.label.clone()),
                timestamps: Some(slice.iter().map(|(t, _)| Timestamp::from_millis(*t)).collect()),
                values: Some(slice.iter().map(|(_, v)| *v).collect()),
                status_code: Some(if last > page_end { StatusCode::PartialData } else { StatusCode::Complete }),
                messages: Some(Vec::new()),
            });
        }
        if offset > position {
            return Err(CloudWatchError::invalid_token());
        }
        Ok(GetMetricDataOutput {
            metric_data_results: Some(results),
            next_token: (position > page_end).then(|| page_end.to_string()),
            messages: Some(Vec::new()),
        })
    }
}

/// One GetMetricData query, checked.
struct Plan<'a> {
    id: String,
    label: String,
    query: &'a MetricDataQuery,
    kind: PlanKind,
}

enum PlanKind {
    Metric { key: MetricKey, stat: Stat, period_s: i32, unit: Option<String> },
    Expression(expr::Expr),
}

/// Checks every query: ids unique and well formed, exactly one of
/// MetricStat and Expression, supported statistics and expressions, and
/// expressions naming only other queries.
fn plan_queries(queries: &[MetricDataQuery]) -> CwResult<Vec<Plan<'_>>> {
    let mut plans = Vec::with_capacity(queries.len());
    let mut ids = HashSet::new();
    for (i, query) in queries.iter().enumerate() {
        let parameter = format!("MetricDataQueries.member.{}", i + 1);
        let id = query.id.clone().unwrap_or_default();
        let well_formed = id.starts_with(|c: char| c.is_ascii_lowercase())
            && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !well_formed {
            return Err(CloudWatchError::invalid(format!(
                "The value {id} for parameter {parameter}.Id is invalid: it must start with a lowercase letter and \
                 hold only letters, digits and underscores."
            )));
        }
        if !ids.insert(id.clone()) {
            return Err(CloudWatchError::invalid(format!("The Id {id} appears more than once in MetricDataQueries.")));
        }
        let (kind, default_label) = match (&query.metric_stat, &query.expression) {
            (Some(stat), None) => {
                let metric = stat.metric.clone().unwrap_or_default();
                let name = metric
                    .metric_name
                    .ok_or_else(|| CloudWatchError::missing(&format!("{parameter}.MetricStat.Metric.MetricName")))?;
                let namespace = metric
                    .namespace
                    .ok_or_else(|| CloudWatchError::missing(&format!("{parameter}.MetricStat.Metric.Namespace")))?;
                let dimensions = metric.dimensions.unwrap_or_default();
                check_dimensions(&format!("{parameter}.MetricStat.Metric.Dimensions"), &dimensions)?;
                let period_s = stat.period.unwrap_or_default();
                check_query_period(&format!("{parameter}.MetricStat.Period"), period_s)?;
                let stat_name = stat.stat.as_deref().unwrap_or_default();
                let kind = PlanKind::Metric {
                    key: metric_key(namespace, name.clone(), &dimensions),
                    stat: parse_stat(stat_name)?,
                    period_s,
                    unit: stat.unit.as_ref().map(|u| u.as_str().to_string()),
                };
                (kind, name)
            }
            (None, Some(text)) => {
                let parsed = expr::parse(text).map_err(|reason| {
                    CloudWatchError::invalid(format!(
                        "The expression {text} of {parameter} is not supported: {reason}."
                    ))
                })?;
                (PlanKind::Expression(parsed), id.clone())
            }
            _ => {
                return Err(CloudWatchError::combination(format!(
                    "{parameter} must have exactly one of MetricStat and Expression."
                )))
            }
        };
        plans.push(Plan { label: query.label.clone().unwrap_or(default_label), id, query, kind });
    }
    for plan in &plans {
        if let PlanKind::Expression(e) = &plan.kind {
            if e.ids().is_empty() {
                return Err(CloudWatchError::invalid(format!(
                    "The expression of {} does not use any metric; name the Id of another query.",
                    plan.id
                )));
            }
            if let Some(unknown) = e.ids().into_iter().find(|id| !ids.contains(*id)) {
                return Err(CloudWatchError::invalid(format!(
                    "The expression of {} uses {unknown}, which is not the Id of a query.",
                    plan.id
                )));
            }
        }
    }
    Ok(plans)
}

/// Computes plan `index` (and what it needs) into `done`.
fn evaluate(
    state: &State,
    plans: &[Plan<'_>],
    index: usize,
    start: i64,
    end: i64,
    done: &mut HashMap<String, Vec<(i64, f64)>>,
    depth: usize,
) -> CwResult<Vec<(i64, f64)>> {
    let plan = &plans[index];
    if let Some(points) = done.get(&plan.id) {
        return Ok(points.clone());
    }
    if depth > plans.len() {
        return Err(CloudWatchError::invalid(format!("The expression of {} refers to itself.", plan.id)));
    }
    let points = match &plan.kind {
        PlanKind::Metric { key, stat, period_s, unit } => {
            series(state, key, *stat, &Periods::new(start, end, *period_s), unit.as_deref())?
        }
        PlanKind::Expression(e) => {
            let mut lookup = |id: &str| -> CwResult<Vec<(i64, f64)>> {
                let i = plans.iter().position(|p| p.id == id).unwrap_or(index);
                evaluate(state, plans, i, start, end, done, depth + 1)
            };
            match e.eval(&mut lookup)? {
                Value::Series(points) => points,
                Value::Scalar(_) => Vec::new(),
            }
        }
    };
    done.insert(plan.id.clone(), points.clone());
    Ok(points)
}

/// The value of `stat` per period that has data, in time order.
fn series(
    state: &State,
    key: &MetricKey,
    stat: Stat,
    periods: &Periods,
    unit: Option<&str>,
) -> CwResult<Vec<(i64, f64)>> {
    let with_samples = matches!(stat, Stat::Percentile(_));
    let points = load_points(state, key, periods, with_samples, unit)?;
    Ok(periods.aggregate(&points).into_iter().filter_map(|(at, agg)| agg.statistic(stat).map(|v| (at, v))).collect())
}

/// A metric's points within the periods (of `unit` only, when given).
fn load_points(
    state: &State,
    key: &MetricKey,
    periods: &Periods,
    with_samples: bool,
    unit: Option<&str>,
) -> CwResult<Vec<Point>> {
    let Some(id) = state.points.metric_id(key)? else {
        return Ok(Vec::new());
    };
    let mut points = state.points.points(id, periods.origin_ms, periods.end_ms, with_samples)?;
    if let Some(unit) = unit {
        points.retain(|p| p.unit == unit);
    }
    Ok(points)
}

fn parse_stat(text: &str) -> CwResult<Stat> {
    Stat::parse(text).ok_or_else(|| {
        CloudWatchError::invalid(format!("The statistic {text} is not supported by this server ({STATS_SUPPORTED})."))
    })
}

fn metric_key(namespace: String, name: String, dimensions: &[Dimension]) -> MetricKey {
    let dimensions =
        dimensions.iter().map(|d| (d.name.clone().unwrap_or_default(), d.value.clone().unwrap_or_default())).collect();
    MetricKey::new(namespace, name, dimensions)
}

/// StartTime and EndTime (both required) in epoch ms, start before end.
fn time_range(start: Option<Timestamp>, end: Option<Timestamp>) -> CwResult<(i64, i64)> {
    let start = start.ok_or_else(|| CloudWatchError::missing("StartTime"))?.as_millis();
    let end = end.ok_or_else(|| CloudWatchError::missing("EndTime"))?.as_millis();
    if start >= end {
        return Err(CloudWatchError::invalid("The parameter StartTime must be less than the parameter EndTime."));
    }
    Ok((start, end))
}

/// `1441` as `1,441`, as AWS writes counts in messages.
fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        out.insert(0, '-');
    }
    out
}

/// A published value: finite and within AWS's magnitudes (or zero).
fn check_value(parameter: &str, value: f64) -> CwResult<()> {
    let magnitude = value.abs();
    if !value.is_finite() || magnitude > VALUE_MAGNITUDE_MAX || (magnitude != 0.0 && magnitude < VALUE_MAGNITUDE_MIN) {
        return Err(CloudWatchError::invalid(format!(
            "The value {value} for parameter {parameter} is out of range: values must be 0 or have a magnitude \
             between 2^-260 and 2^360."
        )));
    }
    Ok(())
}

/// One MetricDatum as a stored point, checked; `parameter` names it in messages.
fn datum_point(namespace: &str, parameter: &str, datum: &MetricDatum, now_ms: i64) -> CwResult<(MetricKey, Point)> {
    let name = datum.metric_name.clone().ok_or_else(|| CloudWatchError::missing(&format!("{parameter}.MetricName")))?;
    let dimensions = datum.dimensions.as_deref().unwrap_or_default();
    if dimensions.len() > DIMENSIONS_MAX {
        return Err(CloudWatchError::invalid(format!(
            "The collection {parameter}.Dimensions must not have more than {DIMENSIONS_MAX} members."
        )));
    }
    check_dimensions(&format!("{parameter}.Dimensions"), dimensions)?;
    let ts_ms = datum.timestamp.map_or(now_ms, Timestamp::as_millis);
    if now_ms - ts_ms > DATAPOINT_AGE_MS_MAX {
        return Err(CloudWatchError::invalid(format!(
            "The parameter {parameter}.Timestamp must specify a time no more than two weeks in the past."
        )));
    }
    if ts_ms - now_ms > DATAPOINT_FUTURE_MS_MAX {
        return Err(CloudWatchError::invalid(format!(
            "The parameter {parameter}.Timestamp must specify a time no more than two hours in the future."
        )));
    }
    if let Some(resolution) = datum.storage_resolution {
        if resolution != 1 && resolution != 60 {
            return Err(CloudWatchError::invalid(format!(
                "The parameter {parameter}.StorageResolution must be 1 or 60 (got {resolution})."
            )));
        }
    }
    let unit = datum.unit.as_ref().map_or(NO_UNIT, |u| u.as_str()).to_string();
    let values = datum.values.as_deref().unwrap_or_default();
    let counts = datum.counts.as_deref().unwrap_or_default();
    let given = [datum.value.is_some(), datum.statistic_values.is_some(), !values.is_empty()];
    if given.iter().filter(|g| **g).count() > 1 {
        return Err(CloudWatchError::combination(format!(
            "The parameters {parameter}.Value, {parameter}.StatisticValues and {parameter}.Values are mutually \
             exclusive; specify one of them."
        )));
    }
    if !counts.is_empty() && values.is_empty() {
        return Err(CloudWatchError::combination(format!("{parameter}.Counts requires {parameter}.Values.")));
    }
    let point = |sample_count, sum, minimum, maximum, samples| Point {
        ts_ms,
        unit: unit.clone(),
        sample_count,
        sum,
        minimum,
        maximum,
        samples,
    };
    let point = if let Some(v) = datum.value {
        check_value(&format!("{parameter}.Value"), v)?;
        point(1.0, v, v, v, Some(vec![(v, 1.0)]))
    } else if let Some(set) = &datum.statistic_values {
        let (count, sum, min, max) = (
            set.sample_count.unwrap_or_default(),
            set.sum.unwrap_or_default(),
            set.minimum.unwrap_or_default(),
            set.maximum.unwrap_or_default(),
        );
        for (member, v) in [("SampleCount", count), ("Sum", sum), ("Minimum", min), ("Maximum", max)] {
            check_value(&format!("{parameter}.StatisticValues.{member}"), v)?;
        }
        if count <= 0.0 {
            return Err(CloudWatchError::invalid(format!(
                "The parameter {parameter}.StatisticValues.SampleCount must be greater than 0."
            )));
        }
        if min > max {
            return Err(CloudWatchError::invalid(format!(
                "The parameter {parameter}.StatisticValues.Minimum must not be greater than Maximum."
            )));
        }
        point(count, sum, min, max, None)
    } else if !values.is_empty() {
        if values.len() > DATUM_VALUES_MAX {
            return Err(CloudWatchError::invalid(format!(
                "The collection {parameter}.Values must not have more than {DATUM_VALUES_MAX} members."
            )));
        }
        if !counts.is_empty() && counts.len() != values.len() {
            return Err(CloudWatchError::invalid(format!(
                "The parameters {parameter}.Values and {parameter}.Counts must be of the same size."
            )));
        }
        let mut samples = Vec::with_capacity(values.len());
        for (i, v) in values.iter().enumerate() {
            check_value(&format!("{parameter}.Values.member.{}", i + 1), *v)?;
            let c = counts.get(i).copied().unwrap_or(1.0);
            if !(c.is_finite() && c >= 0.0) {
                return Err(CloudWatchError::invalid(format!(
                    "The value {c} for parameter {parameter}.Counts.member.{} is invalid: counts must not be \
                     negative.",
                    i + 1
                )));
            }
            if c > 0.0 {
                samples.push((*v, c));
            }
        }
        if samples.is_empty() {
            return Err(CloudWatchError::invalid(format!(
                "The parameter {parameter}.Counts must have at least one positive count."
            )));
        }
        let sample_count = samples.iter().map(|(_, c)| c).sum();
        let sum = samples.iter().map(|(v, c)| v * c).sum();
        let min = samples.iter().map(|(v, _)| *v).fold(f64::INFINITY, f64::min);
        let max = samples.iter().map(|(v, _)| *v).fold(f64::NEG_INFINITY, f64::max);
        point(sample_count, sum, min, max, Some(samples))
    } else {
        return Err(CloudWatchError::combination(format!(
            "One of {parameter}.Value, {parameter}.StatisticValues and {parameter}.Values must be specified."
        )));
    };
    let dimensions =
        dimensions.iter().map(|d| (d.name.clone().unwrap_or_default(), d.value.clone().unwrap_or_default())).collect();
    Ok((MetricKey::new(namespace.to_string(), name, dimensions), point))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_written_with_thousands_separators() {
        assert_eq!(thousands(1_441), "1,441");
        assert_eq!(thousands(100_800), "100,800");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }
}
