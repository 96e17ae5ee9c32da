//! The CloudWatch service of kinesd: metric and composite alarms (with their
//! history and tags) and metrics (PutMetricData, ListMetrics,
//! GetMetricStatistics, GetMetricData with simple metric math).
//!
//! One implementation serves both of CloudWatch's protocols: awsQuery (what
//! the Terraform provider sends) and awsJson 1.0 with query-compatible
//! errors (boto3, the AWS CLI). It works on the generated JSON shapes of
//! [`aws_model::cloudwatch`]; the front turns query forms into that JSON and
//! the JSON answers into XML with [`MODEL`]. Bodies the SDKs gzip
//! (PutMetricData from 10 KiB) are decoded by the front.
//!
//! State lives in `<data_dir>/cloudwatch.db` (SQLite, WAL,
//! synchronous=FULL): alarms and alarm history are [`docstore`] documents;
//! metrics and data points are this crate's own tables in the same file
//! ([`points`]). Every operation runs under one state lock, so a
//! check-then-write (an alarm exists, then it changes) cannot interleave
//! with another.
//!
//! In-process use (kinesd's own metrics and alarm evaluation):
//! [`CloudWatch::put_metric_data_internal`] / [`CloudWatch::put_metric_points`]
//! record data points, `AWS/` namespaces included;
//! [`CloudWatch::metric_alarms`] reads the alarms;
//! [`CloudWatch::metric_series`] computes a statistic per period; and
//! [`CloudWatch::set_alarm_state_internal`] records an evaluation's outcome.
//! These block on SQLite: call them from a blocking thread.
//!
//! What is not done: alarms are stored, not evaluated, and their actions
//! are not run (kinesd's alarm evaluation is a later piece); metric math
//! covers arithmetic (`+ - * /`, parentheses, numbers, query ids) only;
//! high-resolution data is kept at full resolution for the whole retention
//! instead of being rolled up after three hours.

mod alarms;
mod error;
mod expr;
mod history;
pub mod limits;
mod metrics;
pub mod points;
mod rule;
pub mod stats;
mod tags;

use std::path::Path;
use std::sync::Arc;

use aws_model::cloudwatch::{MetricAlarm, StandardUnit, StateValue};
use aws_model::{JsonDe, Timestamp, Validate};
use aws_wire::{AwsError, JsonService, Reply, RequestContext};
use futures::future::BoxFuture;
use parking_lot::{Mutex, MutexGuard};
use serde::Serialize;

pub use crate::error::CloudWatchError;
use crate::limits::TRIM_INTERVAL_MS;
use crate::points::PointStore;

/// The service model (botocore), for the awsQuery transcoding.
pub const MODEL: &str = include_str!("../../../models/cloudwatch-2010-08-01.json");

type CwResult<T> = Result<T, CloudWatchError>;

/// The operations this service implements.
const OPERATIONS: &[&str] = &[
    "DeleteAlarms",
    "DescribeAlarmHistory",
    "DescribeAlarms",
    "DescribeAlarmsForMetric",
    "DisableAlarmActions",
    "EnableAlarmActions",
    "GetMetricData",
    "GetMetricStatistics",
    "ListMetrics",
    "ListTagsForResource",
    "PutCompositeAlarm",
    "PutMetricAlarm",
    "PutMetricData",
    "SetAlarmState",
    "TagResource",
    "UntagResource",
];

/// Milliseconds since the Unix epoch; injectable so that tests of retention
/// and timestamps run without waiting.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The wall clock.
pub fn system_clock() -> Clock {
    Arc::new(|| Timestamp::now().as_millis())
}

/// One data point published from inside kinesd ([`CloudWatch::put_metric_points`]).
#[derive(Debug, Clone, PartialEq)]
pub struct MetricPoint {
    pub metric_name: String,
    /// `(name, value)` pairs, at most [`limits::DIMENSIONS_MAX`], names unique.
    pub dimensions: Vec<(String, String)>,
    pub timestamp: Timestamp,
    /// The value of a single sample (ignored when `statistics` is given).
    pub value: f64,
    /// A statistic set (sample count, sum, minimum, maximum) standing for many samples,
    /// as PutMetricData's `StatisticValues`.
    pub statistics: Option<aws_model::cloudwatch::StatisticSet>,
    pub unit: StandardUnit,
}

/// The output of operations that have none: `{}`.
#[derive(Serialize)]
struct Empty {}

/// The CloudWatch service; cheap to clone.
#[derive(Clone)]
pub struct CloudWatch {
    inner: Arc<Inner>,
}

struct Inner {
    region: String,
    account: String,
    docs: docstore::DocStore,
    /// The metric tables; its lock is the state lock (see the crate docs).
    state: Mutex<State>,
    clock: Clock,
}

/// What the state lock guards.
struct State {
    points: PointStore,
    /// The sequence number of the next history item.
    history_seq: u64,
    /// When expired data points were last deleted.
    last_trim_ms: i64,
}

impl CloudWatch {
    /// Opens (creating on first start) the service's state under `data_dir`.
    pub fn open(data_dir: &Path, region: impl Into<String>, account: impl Into<String>) -> Result<CloudWatch, String> {
        CloudWatch::open_with_clock(data_dir, region, account, system_clock())
    }

    /// [`CloudWatch::open`] with the given clock.
    pub fn open_with_clock(
        data_dir: &Path,
        region: impl Into<String>,
        account: impl Into<String>,
        clock: Clock,
    ) -> Result<CloudWatch, String> {
        std::fs::create_dir_all(data_dir).map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
        let path = data_dir.join("cloudwatch.db");
        let docs = docstore::DocStore::open(&path).map_err(|e| e.to_string())?;
        let mut points = PointStore::open(&path).map_err(|e| e.message)?;
        let now = clock();
        points.trim(now).map_err(|e| format!("cannot trim the CloudWatch data points: {}", e.message))?;
        let history_seq =
            history::next_seq(&docs).map_err(|e| format!("cannot read the alarm history: {}", e.message))?;
        let cloudwatch = CloudWatch {
            inner: Arc::new(Inner {
                region: region.into(),
                account: account.into(),
                docs,
                state: Mutex::new(State { points, history_seq, last_trim_ms: now }),
                clock,
            }),
        };
        Ok(cloudwatch)
    }

    fn now_ms(&self) -> i64 {
        (self.inner.clock)()
    }

    fn now(&self) -> Timestamp {
        Timestamp::from_millis(self.now_ms())
    }

    /// Takes the state lock, deleting expired data points first when the
    /// last trim is older than [`TRIM_INTERVAL_MS`].
    fn lock(&self) -> MutexGuard<'_, State> {
        let mut state = self.inner.state.lock();
        let now = self.now_ms();
        if now - state.last_trim_ms >= TRIM_INTERVAL_MS {
            state.last_trim_ms = now;
            if let Err(e) = state.points.trim(now) {
                tracing::warn!(error = %e, "cannot delete expired CloudWatch data points");
            }
        }
        state
    }

    /// Whether `operation` is implemented.
    pub fn is_operation(operation: &str) -> bool {
        OPERATIONS.contains(&operation)
    }

    /// Runs one operation on its JSON body; answers the JSON output.
    pub fn call_blocking(&self, operation: &str, body: &[u8]) -> CwResult<Vec<u8>> {
        match operation {
            "DeleteAlarms" => run(body, |i| self.delete_alarms(i)),
            "DescribeAlarmHistory" => run(body, |i| self.describe_alarm_history(i)),
            "DescribeAlarms" => run(body, |i| self.describe_alarms(i)),
            "DescribeAlarmsForMetric" => run(body, |i| self.describe_alarms_for_metric(i)),
            "DisableAlarmActions" => run(body, |i| self.disable_alarm_actions(i)),
            "EnableAlarmActions" => run(body, |i| self.enable_alarm_actions(i)),
            "GetMetricData" => run(body, |i| self.get_metric_data(i)),
            "GetMetricStatistics" => run(body, |i| self.get_metric_statistics(i)),
            "ListMetrics" => run(body, |i| self.list_metrics(i)),
            "ListTagsForResource" => run(body, |i| self.list_tags_for_resource(i)),
            "PutCompositeAlarm" => run(body, |i| self.put_composite_alarm(i)),
            "PutMetricAlarm" => run(body, |i| self.put_metric_alarm(i)),
            "PutMetricData" => run(body, |i| self.put_metric_data(i)),
            "SetAlarmState" => run(body, |i| self.set_alarm_state(i)),
            "TagResource" => run(body, |i| self.tag_resource(i)),
            "UntagResource" => run(body, |i| self.untag_resource(i)),
            other => Err(CloudWatchError {
                status: 400,
                code: "InvalidAction",
                message: format!("Could not find operation {other}"),
            }),
        }
    }

    /// `arn:aws:cloudwatch:{region}:{account}:alarm:{name}`.
    fn alarm_arn(&self, name: &str) -> String {
        format!("arn:aws:cloudwatch:{}:{}:alarm:{name}", self.inner.region, self.inner.account)
    }

    // --- the in-process API ------------------------------------------------

    /// Records one data point from inside kinesd (e.g. `AWS/Kinesis`
    /// metrics); unlike PutMetricData, `AWS/` namespaces are allowed.
    /// Blocks on the SQLite commit.
    pub fn put_metric_data_internal(
        &self,
        namespace: &str,
        metric_name: &str,
        dimensions: &[(String, String)],
        timestamp: Timestamp,
        value: f64,
        unit: StandardUnit,
    ) -> CwResult<()> {
        let point = MetricPoint {
            metric_name: metric_name.to_string(),
            dimensions: dimensions.to_vec(),
            timestamp,
            value,
            statistics: None,
            unit,
        };
        self.put_metric_points(namespace, std::slice::from_ref(&point))
    }

    /// Records many data points of one namespace in one transaction (one
    /// fsync), checked as PutMetricData checks them but for the namespace;
    /// at most [`limits::PUT_METRIC_DATA_ITEMS_MAX`] per call.
    pub fn put_metric_points(&self, namespace: &str, points: &[MetricPoint]) -> CwResult<()> {
        self.put_internal(namespace, points)
    }

    /// Every metric alarm, in name order (at most [`limits::ALARMS_MAX`]).
    pub fn metric_alarms(&self) -> CwResult<Vec<MetricAlarm>> {
        let _state = self.lock();
        Ok(self.all_alarms()?.into_iter().filter_map(|(_, doc)| doc.into_metric()).collect())
    }

    /// Sets an alarm's state as an evaluation decided: as SetAlarmState
    /// does, with a history item when the state changes.
    pub fn set_alarm_state_internal(
        &self,
        alarm_name: &str,
        state_value: StateValue,
        state_reason: &str,
        state_reason_data: Option<&str>,
    ) -> CwResult<()> {
        self.change_alarm_state(
            alarm_name,
            state_value,
            state_reason.to_string(),
            state_reason_data.map(str::to_string),
        )
    }
}

/// Decodes and validates the input, runs the operation and encodes its output.
fn run<I: JsonDe + Validate, O: Serialize>(body: &[u8], op: impl FnOnce(I) -> CwResult<O>) -> CwResult<Vec<u8>> {
    let input: I = aws_model::decode_input(body)?;
    let out = op(input)?;
    serde_json::to_vec(&out).map_err(|e| CloudWatchError::internal(format!("Cannot encode the response: {e}")))
}

impl JsonService for CloudWatch {
    fn signing_name(&self) -> &'static str {
        "monitoring"
    }

    fn target_prefix(&self) -> &'static str {
        aws_model::cloudwatch::TARGET_PREFIX
    }

    fn json_version(&self) -> &'static str {
        aws_model::cloudwatch::JSON_VERSION
    }

    fn speaks_json(&self) -> bool {
        true
    }

    fn has_operation(&self, operation: &str) -> bool {
        CloudWatch::is_operation(operation)
    }

    fn call(&self, ctx: RequestContext, body: bytes::Bytes) -> BoxFuture<'static, Result<Reply, AwsError>> {
        let cloudwatch = self.clone();
        Box::pin(async move {
            let outcome = tokio::task::spawn_blocking(move || cloudwatch.call_blocking(&ctx.operation, &body))
                .await
                .unwrap_or_else(|e| Err(CloudWatchError::internal(format!("operation panicked: {e}"))));
            match outcome {
                Ok(out) => Ok(Reply::json(out.into())),
                Err(e) => Err(AwsError::new(e.status, e.code, e.message)),
            }
        })
    }
}

#[cfg(test)]
mod tests;
