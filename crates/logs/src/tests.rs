use std::sync::atomic::{AtomicI64, Ordering};

use serde_json::{json, Value};

use super::*;

const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";
/// 2023-11-14T22:13:20Z.
const START_MS: i64 = 1_700_000_000_000;

struct Fixture {
    dir: tempfile::TempDir,
    now: Arc<AtomicI64>,
    logs: Logs,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let now = Arc::new(AtomicI64::new(START_MS));
        let logs = open(&dir, &now);
        Fixture { dir, now, logs }
    }

    fn reopen(&mut self) {
        self.logs = open(&self.dir, &self.now);
    }

    fn advance(&self, ms: i64) {
        self.now.fetch_add(ms, Ordering::SeqCst);
    }

    fn call(&self, op: &str, body: Value) -> LResult<Value> {
        let out = self.logs.call_blocking(op, body.to_string().as_bytes())?;
        Ok(serde_json::from_slice(&out).unwrap())
    }

    fn ok(&self, op: &str, body: Value) -> Value {
        self.call(op, body).unwrap_or_else(|e| panic!("{op} failed: {e:?}"))
    }

    fn err(&self, op: &str, body: Value) -> LogsError {
        match self.call(op, body) {
            Ok(v) => panic!("{op} succeeded: {v}"),
            Err(e) => e,
        }
    }

    fn group_with_stream(&self, group: &str, stream: &str) {
        self.ok("CreateLogGroup", json!({"logGroupName": group}));
        self.ok("CreateLogStream", json!({"logGroupName": group, "logStreamName": stream}));
    }

    fn put(&self, group: &str, stream: &str, events: &[(i64, &str)]) -> Value {
        let events: Vec<Value> = events.iter().map(|(ts, m)| json!({"timestamp": ts, "message": m})).collect();
        self.ok("PutLogEvents", json!({"logGroupName": group, "logStreamName": stream, "logEvents": events}))
    }

    fn messages(&self, op: &str, body: Value) -> Vec<String> {
        let out = self.ok(op, body);
        out["events"].as_array().unwrap().iter().map(|e| e["message"].as_str().unwrap().to_string()).collect()
    }
}

fn open(dir: &tempfile::TempDir, now: &Arc<AtomicI64>) -> Logs {
    let now = now.clone();
    Logs::open_with_clock(dir.path(), REGION, ACCOUNT, Arc::new(move || now.load(Ordering::SeqCst))).unwrap()
}

#[test]
fn groups_streams_tags_retention_and_events_survive_reopen() {
    let mut f = Fixture::new();
    f.ok("CreateLogGroup", json!({"logGroupName": "/app/a", "tags": {"team": "core"}}));
    f.ok("CreateLogStream", json!({"logGroupName": "/app/a", "logStreamName": "s1"}));
    f.ok("PutRetentionPolicy", json!({"logGroupName": "/app/a", "retentionInDays": 7}));
    f.ok(
        "TagResource",
        json!({"resourceArn": format!("arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/app/a"), "tags": {"env": "dev"}}),
    );
    f.put("/app/a", "s1", &[(START_MS - 10, "one"), (START_MS - 5, "two")]);
    f.reopen();
    let groups = f.ok("DescribeLogGroups", json!({}));
    let g = &groups["logGroups"][0];
    assert_eq!(g["logGroupName"], "/app/a");
    assert_eq!(g["retentionInDays"], 7);
    assert_eq!(g["creationTime"], START_MS);
    assert_eq!(g["arn"], format!("arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/app/a:*"));
    assert_eq!(g["logGroupArn"], format!("arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/app/a"));
    assert_eq!(g["storedBytes"], 6);
    assert_eq!(g["metricFilterCount"], 0);
    assert_eq!(g["logGroupClass"], "STANDARD");
    let tags = f.ok("ListTagsLogGroup", json!({"logGroupName": "/app/a"}));
    assert_eq!(tags, json!({"tags": {"env": "dev", "team": "core"}}));
    let streams = f.ok("DescribeLogStreams", json!({"logGroupName": "/app/a"}));
    let s = &streams["logStreams"][0];
    assert_eq!(s["logStreamName"], "s1");
    assert_eq!(s["firstEventTimestamp"], START_MS - 10);
    assert_eq!(s["lastEventTimestamp"], START_MS - 5);
    assert_eq!(s["lastIngestionTime"], START_MS);
    assert_eq!(s["arn"], format!("arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/app/a:log-stream:s1"));
    assert_eq!(
        f.messages("GetLogEvents", json!({"logGroupName": "/app/a", "logStreamName": "s1", "startFromHead": true})),
        ["one", "two"]
    );
}

#[test]
fn create_twice_and_missing_resources_are_aws_errors() {
    let f = Fixture::new();
    f.group_with_stream("g", "s");
    let e = f.err("CreateLogGroup", json!({"logGroupName": "g"}));
    assert_eq!(
        (e.code, e.message.as_str()),
        ("ResourceAlreadyExistsException", "The specified log group already exists")
    );
    let e = f.err("CreateLogStream", json!({"logGroupName": "g", "logStreamName": "s"}));
    assert_eq!(e.code, "ResourceAlreadyExistsException");
    let e = f.err("CreateLogStream", json!({"logGroupName": "nope", "logStreamName": "s"}));
    assert_eq!((e.code, e.message.as_str()), ("ResourceNotFoundException", "The specified log group does not exist."));
    let e = f.err(
        "PutLogEvents",
        json!({"logGroupName": "g", "logStreamName": "x", "logEvents": [{"timestamp": START_MS, "message": "m"}]}),
    );
    assert_eq!((e.code, e.message.as_str()), ("ResourceNotFoundException", "The specified log stream does not exist."));
    let e = f.err("DeleteLogGroup", json!({"logGroupName": "nope"}));
    assert_eq!((e.status, e.code), (400, "ResourceNotFoundException"));
    let e = f.err("CreateLogGroup", json!({"logGroupName": "bad name"}));
    assert_eq!(e.code, "InvalidParameterException");
    assert!(e.message.contains("at 'logGroupName' failed to satisfy constraint"), "{}", e.message);
}

#[test]
fn put_log_events_out_of_order_is_invalid_and_changes_nothing() {
    let f = Fixture::new();
    f.group_with_stream("g", "s");
    let body = json!({"logGroupName": "g", "logStreamName": "s", "logEvents": [
        {"timestamp": START_MS, "message": "b"}, {"timestamp": START_MS - 1, "message": "a"}]});
    let e = f.err("PutLogEvents", body);
    assert_eq!(e.code, "InvalidParameterException");
    assert_eq!(e.message, "Log events in a single PutLogEvents request must be in chronological order.");
    let got = f.messages("GetLogEvents", json!({"logGroupName": "g", "logStreamName": "s"}));
    assert!(got.is_empty());
}

#[test]
fn put_log_events_over_the_batch_byte_limit_is_invalid() {
    let f = Fixture::new();
    f.group_with_stream("g", "s");
    let message = "x".repeat(PUT_BATCH_BYTES_MAX / 2);
    let e = f.err(
        "PutLogEvents",
        json!({"logGroupName": "g", "logStreamName": "s", "logEvents": [
            {"timestamp": START_MS, "message": message}, {"timestamp": START_MS, "message": message}]}),
    );
    let total = 2 * (PUT_BATCH_BYTES_MAX / 2 + EVENT_OVERHEAD_BYTES);
    assert_eq!(e.message, format!("Upload too large: {total} bytes exceeds limit of {PUT_BATCH_BYTES_MAX}"));
    // Exactly at the limit is accepted.
    let fits = "y".repeat(PUT_BATCH_BYTES_MAX - EVENT_OVERHEAD_BYTES);
    f.put("g", "s", &[(START_MS, &fits)]);
}

#[test]
fn put_log_events_rejects_too_old_expired_and_too_new_events() {
    let f = Fixture::new();
    f.group_with_stream("g", "s");
    f.ok("PutRetentionPolicy", json!({"logGroupName": "g", "retentionInDays": 1}));
    let out = f.put(
        "g",
        "s",
        &[
            (START_MS - 15 * DAY_MS, "too old"),
            (START_MS - 2 * DAY_MS, "expired"),
            (START_MS - HOUR_MS, "kept"),
            (START_MS + 3 * HOUR_MS, "too new"),
        ],
    );
    assert_eq!(
        out["rejectedLogEventsInfo"],
        json!({"tooOldLogEventEndIndex": 0, "expiredLogEventEndIndex": 1, "tooNewLogEventStartIndex": 3})
    );
    assert_eq!(out["nextSequenceToken"].as_str().unwrap().len(), 56);
    assert_eq!(f.messages("FilterLogEvents", json!({"logGroupName": "g"})), ["kept"]);
    let e = f.err(
        "PutLogEvents",
        json!({"logGroupName": "g", "logStreamName": "s", "logEvents": [
            {"timestamp": START_MS - 23 * HOUR_MS, "message": "a"}, {"timestamp": START_MS + HOUR_MS + 1, "message": "b"}]}),
    );
    assert_eq!(e.message, "The batch of log events in a single PutLogEvents request cannot span more than 24 hours.");
}

#[test]
fn retention_hides_old_events_and_trims_them_from_disk() {
    let mut f = Fixture::new();
    f.group_with_stream("g", "s");
    f.put("g", "s", &[(START_MS - 3 * DAY_MS, "old")]);
    f.put("g", "s", &[(START_MS, "new")]);
    let get = json!({"logGroupName": "g", "logStreamName": "s", "startFromHead": true});
    assert_eq!(f.messages("GetLogEvents", get.clone()), ["old", "new"]);
    // Setting retention deletes what it expires at once...
    f.ok("PutRetentionPolicy", json!({"logGroupName": "g", "retentionInDays": 1}));
    f.ok("DeleteRetentionPolicy", json!({"logGroupName": "g"}));
    assert_eq!(f.messages("GetLogEvents", get.clone()), ["new"]);
    // ...events that age past it later are hidden at once...
    f.ok("PutRetentionPolicy", json!({"logGroupName": "g", "retentionInDays": 1}));
    f.advance(2 * DAY_MS);
    assert!(f.messages("GetLogEvents", get.clone()).is_empty());
    assert!(f.messages("FilterLogEvents", json!({"logGroupName": "g"})).is_empty());
    // ...and deleted from disk at the next open.
    f.reopen();
    f.ok("DeleteRetentionPolicy", json!({"logGroupName": "g"}));
    assert!(f.messages("GetLogEvents", get).is_empty());
    assert_eq!(f.ok("DescribeLogGroups", json!({}))["logGroups"][0]["storedBytes"], 0);
}

#[test]
fn retention_values_outside_the_aws_set_are_invalid() {
    let f = Fixture::new();
    f.ok("CreateLogGroup", json!({"logGroupName": "g"}));
    let e = f.err("PutRetentionPolicy", json!({"logGroupName": "g", "retentionInDays": 2}));
    assert_eq!(e.code, "InvalidParameterException");
    assert!(e.message.starts_with("1 validation error detected: Value '2' at 'retentionInDays'"), "{}", e.message);
    assert!(f.ok("DescribeLogGroups", json!({}))["logGroups"][0].get("retentionInDays").is_none());
    for days in RETENTION_DAYS_ALLOWED {
        f.ok("PutRetentionPolicy", json!({"logGroupName": "g", "retentionInDays": days}));
    }
}

#[test]
fn get_log_events_pages_forward_and_backward_with_tokens() {
    let f = Fixture::new();
    f.group_with_stream("g", "s");
    let events: Vec<(i64, String)> = (0..5).map(|i| (START_MS - 100 + i, format!("e{i}"))).collect();
    let refs: Vec<(i64, &str)> = events.iter().map(|(t, m)| (*t, m.as_str())).collect();
    f.put("g", "s", &refs);
    let base = json!({"logGroupName": "g", "logStreamName": "s", "limit": 2});
    // Newest first by default.
    let tail = f.ok("GetLogEvents", base.clone());
    let msgs = |v: &Value| {
        v["events"].as_array().unwrap().iter().map(|e| e["message"].as_str().unwrap().to_string()).collect::<Vec<_>>()
    };
    assert_eq!(msgs(&tail), ["e3", "e4"]);
    let mut back = base.clone();
    back["nextToken"] = tail["nextBackwardToken"].clone();
    let older = f.ok("GetLogEvents", back);
    assert_eq!(msgs(&older), ["e1", "e2"]);
    // From the head, following nextForwardToken to the end.
    let mut req = base.clone();
    req["startFromHead"] = json!(true);
    let mut seen = Vec::new();
    let mut token: Option<Value> = None;
    for _ in 0..10 {
        if let Some(t) = &token {
            req["nextToken"] = t.clone();
        }
        let out = f.ok("GetLogEvents", req.clone());
        if out["events"].as_array().unwrap().is_empty() {
            assert_eq!(Some(&out["nextForwardToken"]), token.as_ref(), "an empty page keeps the token");
            break;
        }
        seen.extend(msgs(&out));
        token = Some(out["nextForwardToken"].clone());
    }
    assert_eq!(seen, ["e0", "e1", "e2", "e3", "e4"]);
    // New events show up behind the last forward token.
    f.put("g", "s", &[(START_MS, "e5")]);
    req["nextToken"] = token.unwrap();
    assert_eq!(msgs(&f.ok("GetLogEvents", req)), ["e5"]);
    // Time window: [startTime, endTime).
    let window = json!({"logGroupName": "g", "logStreamName": "s", "startTime": START_MS - 99, "endTime": START_MS - 97, "startFromHead": true});
    assert_eq!(f.messages("GetLogEvents", window), ["e1", "e2"]);
    let e = f.err("GetLogEvents", json!({"logGroupName": "g", "logStreamName": "s", "nextToken": "garbage"}));
    assert_eq!((e.code, e.message.as_str()), ("InvalidParameterException", "The specified nextToken is invalid."));
}

#[test]
fn filter_log_events_matches_patterns_across_streams_in_time_order() {
    let f = Fixture::new();
    f.group_with_stream("g", "api-1");
    f.ok("CreateLogStream", json!({"logGroupName": "g", "logStreamName": "api-2"}));
    f.ok("CreateLogStream", json!({"logGroupName": "g", "logStreamName": "worker"}));
    f.put("g", "api-1", &[(START_MS - 50, "ERROR db timeout"), (START_MS - 30, "INFO ok")]);
    f.put("g", "api-2", &[(START_MS - 40, "WARN slow request"), (START_MS - 20, "ERROR healthcheck failed")]);
    f.put("g", "worker", &[(START_MS - 45, "ERROR connection reset by peer")]);
    let filter = |pattern: &str| f.messages("FilterLogEvents", json!({"logGroupName": "g", "filterPattern": pattern}));
    assert_eq!(
        filter(""),
        [
            "ERROR db timeout",
            "ERROR connection reset by peer",
            "WARN slow request",
            "INFO ok",
            "ERROR healthcheck failed"
        ]
    );
    assert_eq!(filter("ERROR -healthcheck"), ["ERROR db timeout", "ERROR connection reset by peer"]);
    assert_eq!(filter("?WARN ?INFO"), ["WARN slow request", "INFO ok"]);
    assert_eq!(filter("\"connection reset\""), ["ERROR connection reset by peer"]);
    assert_eq!(filter("ERROR timeout"), ["ERROR db timeout"]);
    let by_prefix =
        f.ok("FilterLogEvents", json!({"logGroupName": "g", "logStreamNamePrefix": "api", "filterPattern": "ERROR"}));
    let got: Vec<(&str, &str)> = by_prefix["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["logStreamName"].as_str().unwrap(), e["message"].as_str().unwrap()))
        .collect();
    assert_eq!(got, [("api-1", "ERROR db timeout"), ("api-2", "ERROR healthcheck failed")]);
    assert_eq!(by_prefix["events"][0]["eventId"].as_str().unwrap().len(), 56);
    let by_names = json!({"logGroupName": "g", "logStreamNames": ["worker", "api-2"], "startTime": START_MS - 45, "endTime": START_MS - 40});
    assert_eq!(f.messages("FilterLogEvents", by_names), ["ERROR connection reset by peer", "WARN slow request"]);
    // Paging with limit and nextToken.
    let mut req = json!({"logGroupName": "g", "limit": 2});
    let mut pages = Vec::new();
    loop {
        let out = f.ok("FilterLogEvents", req.clone());
        pages.push(out["events"].as_array().unwrap().len());
        match out.get("nextToken") {
            Some(t) => req["nextToken"] = t.clone(),
            None => break,
        }
    }
    assert_eq!(pages, [2, 2, 1]);
    let e = f.err("FilterLogEvents", json!({"logGroupName": "g", "filterPattern": "{ $.level = \"error\" }"}));
    assert_eq!(e.code, "InvalidParameterException");
    let e = f.err("FilterLogEvents", json!({"logGroupName": "g", "logStreamNames": ["a"], "logStreamNamePrefix": "a"}));
    assert_eq!(e.code, "InvalidParameterException");
    let arn = format!("arn:aws:logs:{REGION}:{ACCOUNT}:log-group:g:*");
    assert_eq!(
        f.messages("FilterLogEvents", json!({"logGroupIdentifier": arn, "filterPattern": "WARN"})),
        ["WARN slow request"]
    );
}

#[test]
fn describe_log_streams_orders_by_name_or_last_event_time_and_pages() {
    let f = Fixture::new();
    f.ok("CreateLogGroup", json!({"logGroupName": "g"}));
    for name in ["c", "a", "b"] {
        f.ok("CreateLogStream", json!({"logGroupName": "g", "logStreamName": name}));
    }
    f.put("g", "a", &[(START_MS - 10, "x")]);
    f.put("g", "c", &[(START_MS - 20, "x")]);
    let names = |body: Value| -> Vec<String> {
        f.ok("DescribeLogStreams", body)["logStreams"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["logStreamName"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names(json!({"logGroupName": "g"})), ["a", "b", "c"]);
    assert_eq!(names(json!({"logGroupName": "g", "descending": true})), ["c", "b", "a"]);
    assert_eq!(names(json!({"logGroupName": "g", "orderBy": "LastEventTime"})), ["b", "c", "a"]);
    assert_eq!(names(json!({"logGroupName": "g", "orderBy": "LastEventTime", "descending": true})), ["a", "c", "b"]);
    assert_eq!(names(json!({"logGroupName": "g", "logStreamNamePrefix": "b"})), ["b"]);
    let e = f.err(
        "DescribeLogStreams",
        json!({"logGroupName": "g", "orderBy": "LastEventTime", "logStreamNamePrefix": "a"}),
    );
    assert_eq!(e.message, "Cannot order by LastEventTime with a logStreamNamePrefix.");
    for order in ["LogStreamName", "LastEventTime"] {
        let mut req = json!({"logGroupName": "g", "orderBy": order, "descending": true, "limit": 1});
        let mut all = Vec::new();
        loop {
            let out = f.ok("DescribeLogStreams", req.clone());
            all.extend(
                out["logStreams"].as_array().unwrap().iter().map(|s| s["logStreamName"].as_str().unwrap().to_string()),
            );
            match out.get("nextToken") {
                Some(t) => req["nextToken"] = t.clone(),
                None => break,
            }
        }
        let want = if order == "LogStreamName" { ["c", "b", "a"] } else { ["a", "c", "b"] };
        assert_eq!(all, want, "{order}");
    }
}

#[test]
fn describe_log_groups_filters_and_pages() {
    let f = Fixture::new();
    for name in ["/a/one", "/a/two", "/b/one", "/b/DataLogs"] {
        f.ok("CreateLogGroup", json!({"logGroupName": name}));
    }
    let names = |body: Value| -> Vec<String> {
        f.ok("DescribeLogGroups", body)["logGroups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["logGroupName"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names(json!({"logGroupNamePrefix": "/a/"})), ["/a/one", "/a/two"]);
    assert_eq!(names(json!({"logGroupNamePattern": "one"})), ["/a/one", "/b/one"]);
    assert_eq!(names(json!({"logGroupNamePattern": "datalogs"})), Vec::<String>::new());
    let page = f.ok("DescribeLogGroups", json!({"limit": 3}));
    assert_eq!(page["logGroups"].as_array().unwrap().len(), 3);
    let rest = names(json!({"limit": 3, "nextToken": page["nextToken"]}));
    assert_eq!(rest, ["/b/one"]);
    let e = f.err("DescribeLogGroups", json!({"logGroupNamePrefix": "/a", "logGroupNamePattern": "one"}));
    assert_eq!(e.code, "InvalidParameterException");
    let e = f.err("DescribeLogGroups", json!({"limit": 51}));
    assert_eq!(e.code, "InvalidParameterException");
}

#[test]
fn tags_by_arn_with_or_without_star_and_legacy_calls() {
    let f = Fixture::new();
    f.ok("CreateLogGroup", json!({"logGroupName": "g"}));
    let arn = format!("arn:aws:logs:{REGION}:{ACCOUNT}:log-group:g");
    f.ok("TagResource", json!({"resourceArn": arn, "tags": {"a": "1", "b": "2"}}));
    f.ok("TagLogGroup", json!({"logGroupName": "g", "tags": {"c": "3"}}));
    f.ok("UntagResource", json!({"resourceArn": format!("{arn}:*"), "tagKeys": ["a"]}));
    f.ok("UntagLogGroup", json!({"logGroupName": "g", "tags": ["c"]}));
    assert_eq!(f.ok("ListTagsForResource", json!({"resourceArn": format!("{arn}:*")})), json!({"tags": {"b": "2"}}));
    let many: serde_json::Map<String, Value> = (0..TAGS_PER_GROUP_MAX).map(|i| (format!("k{i}"), json!("v"))).collect();
    let e = f.err("TagResource", json!({"resourceArn": arn, "tags": many}));
    assert_eq!(e.code, "TooManyTagsException");
    assert_eq!(f.ok("ListTagsLogGroup", json!({"logGroupName": "g"})), json!({"tags": {"b": "2"}}));
    let e = f.err("TagResource", json!({"resourceArn": arn, "tags": {"aws:x": "1"}}));
    assert_eq!(e.code, "InvalidParameterException");
    let e = f.err(
        "ListTagsForResource",
        json!({"resourceArn": format!("arn:aws:logs:{REGION}:{ACCOUNT}:log-group:missing")}),
    );
    assert_eq!(e.code, "ResourceNotFoundException");
    let e = f.err("ListTagsForResource", json!({"resourceArn": "arn:aws:kinesis:us-east-1:123456789012:stream/s"}));
    assert_eq!(e.code, "InvalidParameterException");
}

#[test]
fn deleted_names_created_again_start_empty() {
    let f = Fixture::new();
    f.group_with_stream("g", "s");
    f.put("g", "s", &[(START_MS, "before")]);
    f.ok("DeleteLogStream", json!({"logGroupName": "g", "logStreamName": "s"}));
    let e = f.err("DeleteLogStream", json!({"logGroupName": "g", "logStreamName": "s"}));
    assert_eq!(e.message, "The specified log stream does not exist.");
    f.ok("CreateLogStream", json!({"logGroupName": "g", "logStreamName": "s"}));
    assert!(f.messages("GetLogEvents", json!({"logGroupName": "g", "logStreamName": "s"})).is_empty());
    f.put("g", "s", &[(START_MS, "again")]);
    f.ok("DeleteLogGroup", json!({"logGroupName": "g"}));
    f.group_with_stream("g", "s");
    assert!(f.messages("FilterLogEvents", json!({"logGroupName": "g"})).is_empty());
    assert_eq!(f.ok("DescribeLogGroups", json!({}))["logGroups"][0]["storedBytes"], 0);
}

#[test]
fn a_purge_cut_short_by_a_crash_finishes_at_reopen() {
    let mut f = Fixture::new();
    f.group_with_stream("g", "s");
    f.put("g", "s", &[(START_MS, "doomed")]);
    let group: docs::GroupDoc = f.logs.inner.docs.get(GROUP, "g").unwrap().unwrap();
    // What DeleteLogGroup writes before it deletes the events: then "crash".
    let purge = PurgeDoc { group_id: group.id, stream_id: None };
    f.logs
        .inner
        .docs
        .batch(|b| -> LResult<()> {
            b.delete(docs::STREAM, "g:s")?;
            b.delete(GROUP, "g")?;
            b.put(PURGE, &purge.key(), &purge)?;
            Ok(())
        })
        .unwrap();
    assert_eq!(f.logs.inner.events.lock().stored_bytes_of_group(group.id).unwrap(), 6);
    f.reopen();
    assert_eq!(f.logs.inner.events.lock().stored_bytes_of_group(group.id).unwrap(), 0);
    let left: Vec<(String, PurgeDoc)> = f.logs.inner.docs.list(PURGE, "", None, 10).unwrap();
    assert!(left.is_empty());
}

#[test]
fn empty_outputs_are_empty_json_objects_and_unknown_operations_fail() {
    let f = Fixture::new();
    assert_eq!(f.logs.call_blocking("CreateLogGroup", br#"{"logGroupName":"g"}"#).unwrap(), b"{}");
    let e = f.logs.call_blocking("PutSubscriptionFilter", b"{}").unwrap_err();
    assert_eq!(e.code, "UnknownOperationException");
    let e = f.logs.call_blocking("CreateLogGroup", b"{not json").unwrap_err();
    assert_eq!(e.code, "SerializationException");
}
