//! Every bound of the service, named. AWS's own limits (from the CloudWatch
//! API reference and quotas page) say so; the others are ours, chosen so that
//! one server's state and one request's work stay bounded.

/// Milliseconds in a minute.
pub const MINUTE_MS: i64 = 60_000;
/// Milliseconds in an hour.
pub const HOUR_MS: i64 = 60 * MINUTE_MS;
/// Milliseconds in a day.
pub const DAY_MS: i64 = 24 * HOUR_MS;

// --- metrics ---------------------------------------------------------------

/// Metric data one PutMetricData request carries (AWS: 1,000).
pub const PUT_METRIC_DATA_ITEMS_MAX: usize = 1_000;
/// Dimensions one metric has (AWS: 30; also the model's bound).
pub const DIMENSIONS_MAX: usize = 30;
/// Distinct values in one datum's `Values` (AWS: 150).
pub const DATUM_VALUES_MAX: usize = 150;
/// Largest magnitude of a published value (AWS: 2^360; smaller nonzero
/// magnitudes than 2^-260 are refused too).
pub const VALUE_MAGNITUDE_MAX: f64 = 2.348_542_582_773_833_2e108;
/// Smallest nonzero magnitude of a published value (AWS: 2^-260).
pub const VALUE_MAGNITUDE_MIN: f64 = 5.397_605_346_934_028e-79;
/// How old a data point's timestamp may be (AWS: two weeks).
pub const DATAPOINT_AGE_MS_MAX: i64 = 14 * DAY_MS;
/// How far ahead a data point's timestamp may be (AWS: two hours).
pub const DATAPOINT_FUTURE_MS_MAX: i64 = 2 * HOUR_MS;
/// How long data points (and metrics without new ones) are kept (AWS keeps
/// one-minute data 15 days; we keep every point at full resolution that long).
pub const DATAPOINT_RETENTION_MS: i64 = 15 * DAY_MS;
/// Data points kept per metric (ours); past it the oldest are dropped. One
/// point a minute for the whole retention is 21,600.
pub const DATAPOINTS_PER_METRIC_MAX: i64 = 30_000;
/// Data points kept in all (ours, about 100 bytes each on disk); past it the
/// earliest arrivals are dropped.
pub const DATAPOINTS_MAX: i64 = 5_000_000;
/// Metrics one server holds (ours; AWS sets none). ListMetrics reads them in
/// one docstore-sized load.
pub const METRICS_MAX: usize = 10_000;
/// How often (at most) expired data points are deleted while data arrives.
pub const TRIM_INTERVAL_MS: i64 = MINUTE_MS;
/// Metrics per ListMetrics page (AWS: 500).
pub const LIST_METRICS_PAGE: usize = 500;
/// What `RecentlyActive=PT3H` means.
pub const RECENTLY_ACTIVE_MS: i64 = 3 * HOUR_MS;
/// Datapoints one GetMetricStatistics answer may hold (AWS: 1,440).
pub const STATISTICS_DATAPOINTS_MAX: i64 = 1_440;
/// Queries in one GetMetricData request (AWS: 500).
pub const METRIC_DATA_QUERIES_MAX: usize = 500;
/// Datapoints per GetMetricData page when MaxDatapoints is not given (AWS: 100,800).
pub const METRIC_DATA_DATAPOINTS_DEFAULT: i64 = 100_800;
/// Nesting of a metric math expression (ours).
pub const EXPRESSION_DEPTH_MAX: usize = 32;
/// The periods (seconds) below a minute that high-resolution metrics allow.
pub const HIGH_RESOLUTION_PERIODS: [i32; 4] = [1, 5, 10, 30];

// --- alarms ----------------------------------------------------------------

/// Alarms (metric and composite) one server holds (ours; AWS's default
/// quota is per region and adjustable). Listings read them in one docstore call.
pub const ALARMS_MAX: usize = 10_000;
/// Alarm names one DescribeAlarms / DeleteAlarms / EnableAlarmActions /
/// DisableAlarmActions request names (AWS: 100).
pub const ALARM_NAMES_MAX: usize = 100;
/// Alarms per DescribeAlarms page when MaxRecords is not given (AWS: 50).
pub const DESCRIBE_ALARMS_PAGE_DEFAULT: usize = 50;
/// History items per DescribeAlarmHistory page when MaxRecords is not given (AWS: 100).
pub const HISTORY_PAGE_DEFAULT: usize = 100;
/// History items kept in all (ours); past it the oldest are dropped.
pub const HISTORY_ITEMS_MAX: usize = 10_000;
/// How long history items are kept (AWS: 30 days).
pub const HISTORY_RETENTION_MS: i64 = 30 * DAY_MS;
/// Periods an alarm may evaluate over, in seconds: Period x EvaluationPeriods (AWS: 7 days).
pub const ALARM_EVALUATION_SECONDS_MAX: i64 = 7 * 86_400;
/// The periods (seconds) below a minute an alarm may have (AWS: 10, 20, 30).
pub const ALARM_SHORT_PERIODS: [i32; 3] = [10, 20, 30];
/// Queries in a metric-math alarm's `Metrics` (AWS: 10).
pub const ALARM_METRICS_MAX: usize = 10;
/// Nesting of a composite alarm rule (ours; AWS bounds the rule at 10,240 characters).
pub const ALARM_RULE_DEPTH_MAX: usize = 64;
/// Tags on one alarm (AWS: 50).
pub const TAGS_PER_ALARM_MAX: usize = 50;

const _: () = assert!(ALARMS_MAX <= docstore::LIST_LIMIT_MAX && HISTORY_ITEMS_MAX <= docstore::LIST_LIMIT_MAX);
const _: () = assert!(DATAPOINT_RETENTION_MS >= DATAPOINT_AGE_MS_MAX);
