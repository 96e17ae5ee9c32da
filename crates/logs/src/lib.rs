//! The CloudWatch Logs service of kinesd (awsJson 1.1, `Logs_20140328`):
//! log groups with retention and tags, log streams, and log events
//! (PutLogEvents, GetLogEvents, FilterLogEvents).
//!
//! State lives in `<data_dir>/logs.db` (SQLite, WAL, synchronous=FULL):
//! groups and streams are [`docstore`] documents; events and per-stream
//! event statistics are this crate's own tables in the same file
//! ([`event_store`]). Events are keyed by random group and stream ids, not
//! names, so a name deleted and created again never shows the old events.
//! Deleting a group or stream removes its documents and records a purge
//! note in one transaction, then deletes the events and the note; a purge
//! cut short by a crash is finished at the next open.
//!
//! Every operation runs under one state lock, so the two connections to the
//! file never write at the same time and a check-then-write (a stream exists,
//! then its events land) cannot interleave with a delete.

mod docs;
mod error;
mod event_store;
mod events;
mod filter;
mod groups;
mod streams;

use std::path::Path;
use std::sync::Arc;

use aws_model::logs::{
    DescribeLogStreamsRequest, FilterLogEventsRequest, GetLogEventsRequest, ListTagsForResourceRequest,
    TagResourceRequest, UntagResourceRequest,
};
use aws_model::{JsonDe, Validate};
use aws_wire::{AwsError, JsonService, Reply, RequestContext};
use futures::future::BoxFuture;
use parking_lot::Mutex;
use serde::Serialize;

use crate::docs::{GroupDoc, PurgeDoc, GROUP, PURGE};
pub use crate::error::LogsError;
use crate::event_store::EventStore;

type LResult<T> = Result<T, LogsError>;

/// The operations this service implements.
const OPERATIONS: &[&str] = &[
    "CreateLogGroup",
    "DeleteLogGroup",
    "DescribeLogGroups",
    "PutRetentionPolicy",
    "DeleteRetentionPolicy",
    "TagResource",
    "UntagResource",
    "ListTagsForResource",
    "TagLogGroup",
    "UntagLogGroup",
    "ListTagsLogGroup",
    "CreateLogStream",
    "DeleteLogStream",
    "DescribeLogStreams",
    "PutLogEvents",
    "GetLogEvents",
    "FilterLogEvents",
];

/// Milliseconds in an hour.
const HOUR_MS: i64 = 3_600_000;
/// Milliseconds in a day.
const DAY_MS: i64 = 24 * HOUR_MS;

/// Log groups one server holds (ours; AWS's quota is 1,000,000 per region).
pub const LOG_GROUPS_MAX: usize = 10_000;
/// Log streams one group holds (ours; AWS sets none).
pub const LOG_STREAMS_PER_GROUP_MAX: usize = 10_000;
// Listings load a group's streams (or all groups) in one docstore call.
const _: () =
    assert!(LOG_GROUPS_MAX <= docstore::LIST_LIMIT_MAX && LOG_STREAMS_PER_GROUP_MAX <= docstore::LIST_LIMIT_MAX);
/// Tags on one log group (AWS).
pub const TAGS_PER_GROUP_MAX: usize = 50;
/// The retention periods AWS accepts, in days.
pub const RETENTION_DAYS_ALLOWED: [i32; 22] =
    [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];
/// Items per DescribeLogGroups / DescribeLogStreams page when no limit is given (AWS).
pub const DESCRIBE_LIMIT_DEFAULT: usize = 50;
/// Events per GetLogEvents / FilterLogEvents page when no limit is given (AWS).
pub const READ_EVENTS_DEFAULT: usize = 10_000;
/// Bytes of events one GetLogEvents / FilterLogEvents page returns, counted as
/// for PutLogEvents (AWS: "as many log events as can fit in a response size of 1 MB").
pub const READ_RESPONSE_BYTES_MAX: usize = 1_048_576;
/// Events in one PutLogEvents batch (AWS; also the model's list bound).
pub const PUT_EVENTS_MAX: usize = 10_000;
/// Bytes in one PutLogEvents batch: UTF-8 messages plus [`EVENT_OVERHEAD_BYTES`] each (AWS).
pub const PUT_BATCH_BYTES_MAX: usize = 1_048_576;
/// Bytes AWS counts per event on top of its message.
pub const EVENT_OVERHEAD_BYTES: usize = 26;
/// Events older than this are rejected as too old (AWS: 14 days).
pub const EVENT_AGE_MS_MAX: i64 = 14 * DAY_MS;
/// Events further in the future than this are rejected as too new (AWS: 2 hours).
pub const EVENT_FUTURE_MS_MAX: i64 = 2 * HOUR_MS;
/// The most the accepted events of one batch may span (AWS: 24 hours).
pub const PUT_BATCH_SPAN_MS_MAX: i64 = 24 * HOUR_MS;
/// Events kept per stream (ours); past it the oldest are dropped.
pub const EVENTS_PER_STREAM_MAX: i64 = 1_000_000;
/// Events one FilterLogEvents call examines before answering with a nextToken.
pub const FILTER_SCAN_EVENTS_MAX: usize = 100_000;
/// Message bytes one FilterLogEvents call examines before answering with a nextToken.
pub const FILTER_SCAN_BYTES_MAX: usize = 64 * 1024 * 1024;
/// Expired events deleted by one PutLogEvents or PutRetentionPolicy call.
pub const TRIM_EVENTS_PER_CALL_MAX: usize = 10_000;
/// Rounds of [`TRIM_EVENTS_PER_CALL_MAX`] deletions per group at open.
pub const TRIM_ROUNDS_AT_OPEN_MAX: usize = 100;

/// Milliseconds since the Unix epoch; injectable so that tests of retention
/// and event age run without waiting.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The wall clock.
pub fn system_clock() -> Clock {
    Arc::new(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
    })
}

/// The output of operations that have none: `{}`.
#[derive(Serialize)]
struct Empty {}

/// The CloudWatch Logs service; cheap to clone.
#[derive(Clone)]
pub struct Logs {
    inner: Arc<Inner>,
}

struct Inner {
    region: String,
    account: String,
    docs: docstore::DocStore,
    /// The event tables; its lock is the state lock (see the crate docs).
    events: Mutex<EventStore>,
    clock: Clock,
}

impl Logs {
    /// Opens (creating on first start) the service's state under `data_dir`.
    pub fn open(data_dir: &Path, region: impl Into<String>, account: impl Into<String>) -> Result<Logs, String> {
        Logs::open_with_clock(data_dir, region, account, system_clock())
    }

    /// [`Logs::open`] with the given clock.
    pub fn open_with_clock(
        data_dir: &Path,
        region: impl Into<String>,
        account: impl Into<String>,
        clock: Clock,
    ) -> Result<Logs, String> {
        std::fs::create_dir_all(data_dir).map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
        let path = data_dir.join("logs.db");
        let docs = docstore::DocStore::open(&path).map_err(|e| e.to_string())?;
        let events = EventStore::open(&path).map_err(|e| e.message)?;
        let logs = Logs {
            inner: Arc::new(Inner {
                region: region.into(),
                account: account.into(),
                docs,
                events: Mutex::new(events),
                clock,
            }),
        };
        logs.recover().map_err(|e| format!("cannot recover the CloudWatch Logs state: {}", e.message))?;
        Ok(logs)
    }

    /// Finishes purges a crash cut short and deletes events past retention.
    fn recover(&self) -> LResult<()> {
        let mut events = self.inner.events.lock();
        let purges: Vec<(String, PurgeDoc)> = self.inner.docs.list(PURGE, "", None, docstore::LIST_LIMIT_MAX)?;
        for (key, purge) in purges {
            events.purge(purge.group_id, purge.stream_id)?;
            self.inner.docs.delete(PURGE, &key)?;
        }
        let now = self.now_ms();
        let groups: Vec<(String, GroupDoc)> = self.inner.docs.list(GROUP, "", None, docstore::LIST_LIMIT_MAX)?;
        for (_, group) in groups {
            let cutoff = group.retention_cutoff_ms(now);
            if cutoff <= 0 {
                continue;
            }
            for _ in 0..TRIM_ROUNDS_AT_OPEN_MAX {
                if events.trim(group.id, cutoff, TRIM_EVENTS_PER_CALL_MAX)? < TRIM_EVENTS_PER_CALL_MAX {
                    break;
                }
            }
        }
        Ok(())
    }

    fn now_ms(&self) -> i64 {
        (self.inner.clock)()
    }

    /// Whether `operation` is implemented.
    pub fn is_operation(operation: &str) -> bool {
        OPERATIONS.contains(&operation)
    }

    /// Runs one operation on its JSON body; answers the JSON output.
    pub fn call_blocking(&self, operation: &str, body: &[u8]) -> LResult<Vec<u8>> {
        match operation {
            "CreateLogGroup" => run(body, |i| self.create_log_group(i)),
            "DeleteLogGroup" => run(body, |i| self.delete_log_group(i)),
            "DescribeLogGroups" => run(body, |i| self.describe_log_groups(i)),
            "PutRetentionPolicy" => run(body, |i| self.put_retention_policy(i)),
            "DeleteRetentionPolicy" => run(body, |i| self.delete_retention_policy(i)),
            "TagResource" => {
                run_fixed(body, |i: &mut TagResourceRequest| strip_star(&mut i.resource_arn), |i| self.tag_resource(i))
            }
            "UntagResource" => run_fixed(
                body,
                |i: &mut UntagResourceRequest| strip_star(&mut i.resource_arn),
                |i| self.untag_resource(i),
            ),
            "ListTagsForResource" => run_fixed(
                body,
                |i: &mut ListTagsForResourceRequest| strip_star(&mut i.resource_arn),
                |i| self.list_tags_for_resource(i),
            ),
            "TagLogGroup" => run(body, |i| self.tag_log_group(i)),
            "UntagLogGroup" => run(body, |i| self.untag_log_group(i)),
            "ListTagsLogGroup" => run(body, |i| self.list_tags_log_group(i)),
            "CreateLogStream" => run(body, |i| self.create_log_stream(i)),
            "DeleteLogStream" => run(body, |i| self.delete_log_stream(i)),
            "DescribeLogStreams" => run_fixed(
                body,
                |i: &mut DescribeLogStreamsRequest| strip_star(&mut i.log_group_identifier),
                |i| self.describe_log_streams(i),
            ),
            "PutLogEvents" => run(body, |i| self.put_log_events(i)),
            "GetLogEvents" => run_fixed(
                body,
                |i: &mut GetLogEventsRequest| strip_star(&mut i.log_group_identifier),
                |i| self.get_log_events(i),
            ),
            "FilterLogEvents" => run_fixed(
                body,
                |i: &mut FilterLogEventsRequest| strip_star(&mut i.log_group_identifier),
                |i| self.filter_log_events(i),
            ),
            other => Err(LogsError::new("UnknownOperationException", format!("Unknown operation {other}"))),
        }
    }

    /// `arn:aws:logs:{region}:{account}:log-group:` — what every log-group ARN starts with.
    fn group_arn_prefix(&self) -> String {
        format!("arn:aws:logs:{}:{}:log-group:", self.inner.region, self.inner.account)
    }

    /// The log group's ARN as `LogGroup.logGroupArn` and TagResource have it (no `:*`).
    fn group_arn(&self, name: &str) -> String {
        format!("{}{name}", self.group_arn_prefix())
    }

    fn stream_arn(&self, group: &str, stream: &str) -> String {
        format!("{}{group}:log-stream:{stream}", self.group_arn_prefix())
    }

    /// The group name in a log-group ARN, with or without the trailing `:*`.
    fn group_name_from_arn(&self, arn: &str) -> LResult<String> {
        match arn.strip_prefix(&self.group_arn_prefix()) {
            Some(rest) => {
                let name = rest.strip_suffix(":*").unwrap_or(rest);
                if name.is_empty() || name.contains(':') {
                    return Err(LogsError::invalid(format!(
                        "Invalid log group ARN {arn}: expected {}<name> (optionally ending in :*).",
                        self.group_arn_prefix()
                    )));
                }
                Ok(name.to_string())
            }
            // Well formed, but of another account or region: nothing of it is here.
            None if arn.starts_with("arn:aws:logs:") && arn.contains(":log-group:") => {
                Err(LogsError::group_not_found())
            }
            None => Err(LogsError::invalid(format!(
                "Invalid resource ARN {arn}: only log groups ({}<name>) can be tagged.",
                self.group_arn_prefix()
            ))),
        }
    }

    /// The group named by `logGroupName` or `logGroupIdentifier` (a name or an ARN); exactly one must be given.
    fn group_name_param(&self, name: Option<String>, identifier: Option<String>) -> LResult<String> {
        match (name, identifier) {
            (Some(_), Some(_)) => {
                Err(LogsError::invalid("LogGroupName and LogGroupIdentifier are mutually exclusive parameters."))
            }
            (Some(name), None) => Ok(name),
            (None, Some(id)) if id.starts_with("arn:") => self.group_name_from_arn(&id),
            (None, Some(id)) => Ok(id),
            (None, None) => Err(LogsError::invalid("Either logGroupName or logGroupIdentifier must be specified.")),
        }
    }
}

/// Decodes and validates the input, runs the operation and encodes its output.
fn run<I: JsonDe + Validate, O: Serialize>(body: &[u8], op: impl FnOnce(I) -> LResult<O>) -> LResult<Vec<u8>> {
    run_fixed(body, |_: &mut I| {}, op)
}

/// [`run`], with `fix` applied to the input between decoding and validation.
fn run_fixed<I: JsonDe + Validate, O: Serialize>(
    body: &[u8],
    fix: impl FnOnce(&mut I),
    op: impl FnOnce(I) -> LResult<O>,
) -> LResult<Vec<u8>> {
    let mut input: I = aws_model::json::from_slice(body).map_err(aws_model::RequestError::from)?;
    fix(&mut input);
    input.validate().map_err(aws_model::RequestError::Validation)?;
    let out = op(input)?;
    serde_json::to_vec(&out).map_err(|e| LogsError::internal(format!("Cannot encode the response: {e}")))
}

/// Drops the `:*` that `LogGroup.arn` ends with from a log-group ARN, which
/// the model's ARN patterns would refuse: the Terraform provider and users
/// copying `arn` send that form, and the group it names is unambiguous.
fn strip_star(arn: &mut Option<String>) {
    if let Some(text) = arn {
        if text.starts_with("arn:") {
            if let Some(stripped) = text.strip_suffix(":*") {
                *text = stripped.to_string();
            }
        }
    }
}

impl JsonService for Logs {
    fn signing_name(&self) -> &'static str {
        "logs"
    }

    fn target_prefix(&self) -> &'static str {
        aws_model::logs::TARGET_PREFIX
    }

    fn has_operation(&self, operation: &str) -> bool {
        Logs::is_operation(operation)
    }

    fn call(&self, ctx: RequestContext, body: bytes::Bytes) -> BoxFuture<'static, Result<Reply, AwsError>> {
        let logs = self.clone();
        Box::pin(async move {
            let outcome = tokio::task::spawn_blocking(move || logs.call_blocking(&ctx.operation, &body))
                .await
                .unwrap_or_else(|e| Err(LogsError::internal(format!("operation panicked: {e}"))));
            match outcome {
                Ok(out) => Ok(Reply::json(out.into())),
                Err(e) => Err(AwsError::new(e.status, e.code, e.message)),
            }
        })
    }
}

#[cfg(test)]
mod tests;
