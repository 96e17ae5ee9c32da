use std::sync::atomic::{AtomicI64, Ordering};

use serde_json::{json, Value};

use super::*;
use crate::limits::{DAY_MS, HOUR_MS, MINUTE_MS};

const REGION: &str = "us-east-1";
const ACCOUNT: &str = "000000000000";
/// 2024-03-01T00:00:00Z, the tests' "now".
const T0: i64 = 1_709_251_200_000;

struct Fixture {
    dir: tempfile::TempDir,
    time: Arc<AtomicI64>,
    cw: CloudWatch,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let time = Arc::new(AtomicI64::new(T0));
        let cw = open(&dir, &time);
        Fixture { dir, time, cw }
    }

    fn reopen(&mut self) {
        self.cw = open(&self.dir, &self.time);
    }

    fn advance(&self, ms: i64) {
        self.time.fetch_add(ms, Ordering::SeqCst);
    }

    fn ok(&self, op: &str, body: Value) -> Value {
        match self.call(op, body) {
            Ok(out) => out,
            Err(e) => panic!("{op} failed: {e}"),
        }
    }

    fn err(&self, op: &str, body: Value) -> CloudWatchError {
        match self.call(op, body) {
            Ok(out) => panic!("{op} succeeded: {out}"),
            Err(e) => e,
        }
    }

    fn call(&self, op: &str, body: Value) -> CwResult<Value> {
        let out = self.cw.call_blocking(op, body.to_string().as_bytes())?;
        Ok(serde_json::from_slice(&out).unwrap())
    }

    fn describe(&self, name: &str) -> Value {
        let out =
            self.ok("DescribeAlarms", json!({"AlarmNames": [name], "AlarmTypes": ["MetricAlarm", "CompositeAlarm"]}));
        let all: Vec<Value> = out["MetricAlarms"]
            .as_array()
            .unwrap()
            .iter()
            .chain(out["CompositeAlarms"].as_array().unwrap())
            .cloned()
            .collect();
        assert_eq!(all.len(), 1, "{out}");
        all[0].clone()
    }
}

fn open(dir: &tempfile::TempDir, time: &Arc<AtomicI64>) -> CloudWatch {
    let time = time.clone();
    CloudWatch::open_with_clock(dir.path(), REGION, ACCOUNT, Arc::new(move || time.load(Ordering::SeqCst))).unwrap()
}

fn secs(ms: i64) -> f64 {
    ms as f64 / 1000.0
}

fn full_alarm(name: &str) -> Value {
    json!({
        "AlarmName": name,
        "AlarmDescription": "too many records",
        "ActionsEnabled": false,
        "OKActions": ["arn:aws:sns:us-east-1:000000000000:ok"],
        "AlarmActions": ["arn:aws:sns:us-east-1:000000000000:alarm"],
        "InsufficientDataActions": ["arn:aws:sns:us-east-1:000000000000:insufficient"],
        "MetricName": "IncomingRecords",
        "Namespace": "AWS/Kinesis",
        "ExtendedStatistic": "p99.5",
        "Dimensions": [{"Name": "StreamName", "Value": "s1"}],
        "Period": 300,
        "Unit": "Count",
        "EvaluationPeriods": 3,
        "DatapointsToAlarm": 2,
        "Threshold": 1000.5,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "TreatMissingData": "notBreaching",
        "EvaluateLowSampleCountPercentile": "ignore",
        "Tags": [{"Key": "team", "Value": "data"}]
    })
}

fn simple_alarm(name: &str) -> Value {
    json!({
        "AlarmName": name, "MetricName": "m", "Namespace": "App", "Statistic": "Sum", "Period": 60,
        "EvaluationPeriods": 1, "Threshold": 1.0, "ComparisonOperator": "GreaterThanThreshold"
    })
}

#[test]
fn put_metric_alarm_round_trips_every_member() {
    let f = Fixture::new();
    f.ok("PutMetricAlarm", full_alarm("a1"));
    let alarm = f.describe("a1");
    let expected = json!({
        "AlarmName": "a1",
        "AlarmArn": "arn:aws:cloudwatch:us-east-1:000000000000:alarm:a1",
        "AlarmDescription": "too many records",
        "AlarmConfigurationUpdatedTimestamp": secs(T0),
        "ActionsEnabled": false,
        "OKActions": ["arn:aws:sns:us-east-1:000000000000:ok"],
        "AlarmActions": ["arn:aws:sns:us-east-1:000000000000:alarm"],
        "InsufficientDataActions": ["arn:aws:sns:us-east-1:000000000000:insufficient"],
        "StateValue": "INSUFFICIENT_DATA",
        "StateReason": "Unchecked: Initial alarm creation",
        "StateUpdatedTimestamp": secs(T0),
        "StateTransitionedTimestamp": secs(T0),
        "MetricName": "IncomingRecords",
        "Namespace": "AWS/Kinesis",
        "ExtendedStatistic": "p99.5",
        "Dimensions": [{"Name": "StreamName", "Value": "s1"}],
        "Period": 300,
        "Unit": "Count",
        "EvaluationPeriods": 3,
        "DatapointsToAlarm": 2,
        "Threshold": 1000.5,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "TreatMissingData": "notBreaching",
        "EvaluateLowSampleCountPercentile": "ignore"
    });
    assert_eq!(alarm, expected);
    let tags =
        f.ok("ListTagsForResource", json!({"ResourceARN": "arn:aws:cloudwatch:us-east-1:000000000000:alarm:a1"}));
    assert_eq!(tags, json!({"Tags": [{"Key": "team", "Value": "data"}]}));
}

#[test]
fn metric_math_alarms_keep_their_queries() {
    let f = Fixture::new();
    let metrics = json!([
        {"Id": "m1", "MetricStat": {"Metric": {"Namespace": "App", "MetricName": "errors",
            "Dimensions": [{"Name": "svc", "Value": "a"}]}, "Period": 60, "Stat": "Sum"}, "ReturnData": false},
        {"Id": "e1", "Expression": "m1 * 100", "Label": "error rate", "ReturnData": true}
    ]);
    f.ok(
        "PutMetricAlarm",
        json!({"AlarmName": "math", "Metrics": metrics, "EvaluationPeriods": 2, "Threshold": 5.0,
               "ComparisonOperator": "GreaterThanThreshold"}),
    );
    let alarm = f.describe("math");
    assert_eq!(alarm["Metrics"], metrics);
    assert_eq!(alarm.get("MetricName"), None);
    let e = f.err(
        "PutMetricAlarm",
        json!({"AlarmName": "math", "Metrics": metrics, "MetricName": "x", "EvaluationPeriods": 2,
               "Threshold": 5.0, "ComparisonOperator": "GreaterThanThreshold"}),
    );
    assert_eq!((e.status, e.code), (400, "InvalidParameterCombination"));
}

#[test]
fn put_metric_alarm_checks_its_parameters() {
    let f = Fixture::new();
    let e = f.err("PutMetricAlarm", json!({"MetricName": "m"}));
    assert_eq!(
        (e.status, e.code, e.message.as_str()),
        (400, "MissingParameter", "The parameter AlarmName is required.")
    );
    let mut both = simple_alarm("x");
    both["ExtendedStatistic"] = json!("p90");
    assert_eq!(f.err("PutMetricAlarm", both).code, "InvalidParameterCombination");
    let mut neither = simple_alarm("x");
    neither.as_object_mut().unwrap().remove("Statistic");
    assert_eq!(f.err("PutMetricAlarm", neither).code, "InvalidParameterCombination");
    let mut period = simple_alarm("x");
    period["Period"] = json!(45);
    let e = f.err("PutMetricAlarm", period);
    assert_eq!(
        (e.code, e.message.as_str()),
        ("InvalidParameterValue", "The parameter Period must be 10, 20, 30 or a multiple of 60 (got 45).")
    );
    let mut statistic = simple_alarm("x");
    statistic["Statistic"] = json!("Median");
    let e = f.err("PutMetricAlarm", statistic);
    assert_eq!(e.code, "InvalidParameterValue");
    assert!(e.message.contains("Member must satisfy enum value set"), "{}", e.message);
    let mut too_many = simple_alarm("x");
    too_many["DatapointsToAlarm"] = json!(2);
    assert_eq!(f.err("PutMetricAlarm", too_many).code, "InvalidParameterValue");
    let mut action = simple_alarm("x");
    action["AlarmActions"] = json!(["not-an-arn"]);
    assert_eq!(f.err("PutMetricAlarm", action).code, "InvalidParameterValue");
    let mut no_threshold = simple_alarm("x");
    no_threshold.as_object_mut().unwrap().remove("Threshold");
    assert_eq!(f.err("PutMetricAlarm", no_threshold).code, "MissingParameter");
    assert_eq!(f.ok("DescribeAlarms", json!({}))["MetricAlarms"], json!([]));
}

#[test]
fn updating_an_alarm_keeps_its_state_and_tags_and_is_recorded() {
    let f = Fixture::new();
    f.ok("PutMetricAlarm", full_alarm("a"));
    f.advance(1_000);
    f.ok(
        "SetAlarmState",
        json!({"AlarmName": "a", "StateValue": "ALARM", "StateReason": "manual",
                                 "StateReasonData": "{\"x\":1}"}),
    );
    f.advance(1_000);
    let mut update = simple_alarm("a");
    update["Tags"] = json!([{"Key": "ignored", "Value": "on update"}]);
    f.ok("PutMetricAlarm", update);
    let alarm = f.describe("a");
    assert_eq!(alarm["StateValue"], "ALARM");
    assert_eq!(alarm["StateReason"], "manual");
    assert_eq!(alarm["StateReasonData"], "{\"x\":1}");
    assert_eq!(alarm["StateTransitionedTimestamp"], json!(secs(T0 + 1_000)));
    assert_eq!(alarm["AlarmConfigurationUpdatedTimestamp"], json!(secs(T0 + 2_000)));
    assert_eq!(alarm["Statistic"], "Sum");
    assert_eq!(alarm.get("ExtendedStatistic"), None);
    assert_eq!(alarm["ActionsEnabled"], true);
    let arn = alarm["AlarmArn"].as_str().unwrap().to_string();
    assert_eq!(
        f.ok("ListTagsForResource", json!({"ResourceARN": arn}))["Tags"],
        json!([{"Key": "team", "Value": "data"}])
    );
    let history = f.ok("DescribeAlarmHistory", json!({"AlarmName": "a"}))["AlarmHistoryItems"].clone();
    let summaries: Vec<&str> =
        history.as_array().unwrap().iter().map(|h| h["HistorySummary"].as_str().unwrap()).collect();
    assert_eq!(
        summaries,
        ["Alarm \"a\" updated", "Alarm updated from INSUFFICIENT_DATA to ALARM", "Alarm \"a\" created"]
    );
    assert_eq!(history[1]["HistoryItemType"], "StateUpdate");
    let data: Value = serde_json::from_str(history[1]["HistoryData"].as_str().unwrap()).unwrap();
    assert_eq!(data["newState"], json!({"stateValue": "ALARM", "stateReason": "manual", "stateReasonData": {"x": 1}}));
    let oldest_first = f.ok(
        "DescribeAlarmHistory",
        json!({"AlarmName": "a", "ScanBy": "TimestampAscending",
                                                          "HistoryItemType": "ConfigurationUpdate"}),
    );
    let items = oldest_first["AlarmHistoryItems"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["HistorySummary"], "Alarm \"a\" created");
}

#[test]
fn set_alarm_state_needs_an_existing_alarm_and_json_reason_data() {
    let f = Fixture::new();
    let e = f.err("SetAlarmState", json!({"AlarmName": "nope", "StateValue": "OK", "StateReason": "r"}));
    assert_eq!((e.status, e.code, e.message.as_str()), (404, "ResourceNotFound", "Alarm nope not found"));
    f.ok("PutMetricAlarm", simple_alarm("a"));
    let e = f.err(
        "SetAlarmState",
        json!({"AlarmName": "a", "StateValue": "OK", "StateReason": "r", "StateReasonData": "{"}),
    );
    assert_eq!((e.status, e.code), (400, "InvalidFormat"));
    let e = f.err("SetAlarmState", json!({"AlarmName": "a", "StateValue": "BAD", "StateReason": "r"}));
    assert_eq!(e.code, "InvalidParameterValue");
}

#[test]
fn describe_alarms_filters_and_pages() {
    let f = Fixture::new();
    for name in ["b-1", "a-1", "a-2", "a-3"] {
        f.ok("PutMetricAlarm", simple_alarm(name));
    }
    let mut with_action = simple_alarm("c-1");
    with_action["OKActions"] = json!(["arn:aws:sns:us-east-1:000000000000:ops"]);
    f.ok("PutMetricAlarm", with_action);
    f.ok("SetAlarmState", json!({"AlarmName": "a-2", "StateValue": "ALARM", "StateReason": "r"}));
    let names = |out: &Value| -> Vec<String> {
        out["MetricAlarms"].as_array().unwrap().iter().map(|a| a["AlarmName"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(names(&f.ok("DescribeAlarms", json!({"AlarmNamePrefix": "a-"}))), ["a-1", "a-2", "a-3"]);
    assert_eq!(names(&f.ok("DescribeAlarms", json!({"StateValue": "ALARM"}))), ["a-2"]);
    assert_eq!(
        names(&f.ok("DescribeAlarms", json!({"ActionPrefix": "arn:aws:sns:us-east-1:000000000000:o"}))),
        ["c-1"]
    );
    assert_eq!(names(&f.ok("DescribeAlarms", json!({"AlarmNames": ["b-1", "zzz"]}))), ["b-1"]);
    let first = f.ok("DescribeAlarms", json!({"MaxRecords": 2}));
    assert_eq!(names(&first), ["a-1", "a-2"]);
    let token = first["NextToken"].as_str().unwrap();
    let second = f.ok("DescribeAlarms", json!({"MaxRecords": 2, "NextToken": token}));
    assert_eq!(names(&second), ["a-3", "b-1"]);
    let third = f.ok("DescribeAlarms", json!({"MaxRecords": 2, "NextToken": second["NextToken"]}));
    assert_eq!(names(&third), ["c-1"]);
    assert_eq!(third.get("NextToken"), None);
    assert_eq!(f.err("DescribeAlarms", json!({"NextToken": "%%%"})).code, "InvalidNextToken");
    assert_eq!(f.err("DescribeAlarms", json!({"MaxRecords": 101})).code, "InvalidParameterValue");
    assert_eq!(
        f.err("DescribeAlarms", json!({"AlarmNames": ["a-1"], "AlarmNamePrefix": "a"})).code,
        "InvalidParameterCombination"
    );
    let for_metric =
        f.ok("DescribeAlarmsForMetric", json!({"MetricName": "m", "Namespace": "App", "Statistic": "Sum"}));
    assert_eq!(for_metric["MetricAlarms"].as_array().unwrap().len(), 5);
    let none = f.ok(
        "DescribeAlarmsForMetric",
        json!({"MetricName": "m", "Namespace": "App",
                                                      "Dimensions": [{"Name": "x", "Value": "y"}]}),
    );
    assert_eq!(none["MetricAlarms"], json!([]));
}

#[test]
fn composite_alarms_are_described_by_type_and_protect_their_children() {
    let f = Fixture::new();
    f.ok("PutMetricAlarm", simple_alarm("child"));
    f.ok("PutMetricAlarm", simple_alarm("other"));
    f.ok(
        "PutCompositeAlarm",
        json!({"AlarmName": "parent", "AlarmRule": "ALARM(\"child\") OR OK(other)",
                                      "AlarmActions": ["arn:aws:sns:us-east-1:000000000000:t"]}),
    );
    let default = f.ok("DescribeAlarms", json!({}));
    assert_eq!(default["CompositeAlarms"], json!([]));
    assert_eq!(default["MetricAlarms"].as_array().unwrap().len(), 2);
    let composite = f.ok("DescribeAlarms", json!({"AlarmTypes": ["CompositeAlarm"]}))["CompositeAlarms"][0].clone();
    assert_eq!(composite["AlarmRule"], "ALARM(\"child\") OR OK(other)");
    assert_eq!(composite["StateValue"], "INSUFFICIENT_DATA");
    assert_eq!(composite["ActionsEnabled"], true);
    let children = f.ok("DescribeAlarms", json!({"ChildrenOfAlarmName": "parent"}));
    assert_eq!(children["MetricAlarms"].as_array().unwrap().len(), 2);
    let parents = f.ok("DescribeAlarms", json!({"ParentsOfAlarmName": "child"}));
    assert_eq!(parents["CompositeAlarms"][0]["AlarmName"], "parent");
    let e = f.err("DeleteAlarms", json!({"AlarmNames": ["child"]}));
    assert_eq!(
        (e.code, e.message.as_str()),
        ("ValidationError", "Cannot delete child as there are composite alarm(s) depending on it.")
    );
    f.ok("DeleteAlarms", json!({"AlarmNames": ["child", "parent"]}));
    assert_eq!(
        f.ok("DescribeAlarms", json!({"AlarmTypes": ["MetricAlarm", "CompositeAlarm"]}))["MetricAlarms"][0]
            ["AlarmName"],
        "other"
    );
    assert_eq!(
        f.err("PutCompositeAlarm", json!({"AlarmName": "p", "AlarmRule": "ALARM(x"})).code,
        "InvalidParameterValue"
    );
    assert_eq!(
        f.err("PutCompositeAlarm", json!({"AlarmName": "other", "AlarmRule": "TRUE"})).code,
        "InvalidParameterValue"
    );
}

#[test]
fn delete_alarms_deletes_nothing_when_one_is_missing() {
    let f = Fixture::new();
    f.ok("PutMetricAlarm", simple_alarm("keep"));
    let e = f.err("DeleteAlarms", json!({"AlarmNames": ["keep", "ghost"]}));
    assert_eq!((e.status, e.code, e.message.as_str()), (404, "ResourceNotFound", "Alarm ghost not found"));
    f.describe("keep");
    f.ok("DeleteAlarms", json!({"AlarmNames": ["keep"]}));
    assert_eq!(f.ok("DescribeAlarms", json!({}))["MetricAlarms"], json!([]));
    let history = f.ok("DescribeAlarmHistory", json!({"AlarmName": "keep"}));
    assert_eq!(history["AlarmHistoryItems"][0]["HistorySummary"], "Alarm \"keep\" deleted");
}

#[test]
fn actions_are_enabled_and_disabled() {
    let f = Fixture::new();
    f.ok("PutMetricAlarm", simple_alarm("a"));
    f.ok("DisableAlarmActions", json!({"AlarmNames": ["a", "missing"]}));
    assert_eq!(f.describe("a")["ActionsEnabled"], false);
    f.ok("EnableAlarmActions", json!({"AlarmNames": ["a"]}));
    assert_eq!(f.describe("a")["ActionsEnabled"], true);
}

#[test]
fn tags_are_added_replaced_removed_and_checked() {
    let f = Fixture::new();
    f.ok("PutMetricAlarm", simple_alarm("a"));
    let arn = "arn:aws:cloudwatch:us-east-1:000000000000:alarm:a";
    f.ok(
        "TagResource",
        json!({"ResourceARN": arn, "Tags": [{"Key": "k1", "Value": "v1"}, {"Key": "k2", "Value": "v2"}]}),
    );
    f.ok("TagResource", json!({"ResourceARN": arn, "Tags": [{"Key": "k1", "Value": "new"}]}));
    f.ok("UntagResource", json!({"ResourceARN": arn, "TagKeys": ["k2", "absent"]}));
    assert_eq!(
        f.ok("ListTagsForResource", json!({"ResourceARN": arn}))["Tags"],
        json!([{"Key": "k1", "Value": "new"}])
    );
    let missing = "arn:aws:cloudwatch:us-east-1:000000000000:alarm:nope";
    let e = f.err("ListTagsForResource", json!({"ResourceARN": missing}));
    assert_eq!((e.status, e.code), (404, "ResourceNotFoundException"));
    assert_eq!(f.err("TagResource", json!({"ResourceARN": "nonsense", "Tags": []})).code, "InvalidParameterValue");
    let e = f.err("TagResource", json!({"ResourceARN": arn, "Tags": [{"Key": "aws:x", "Value": "1"}]}));
    assert_eq!(e.code, "InvalidParameterValue");
    let many: Vec<Value> = (0..50).map(|i| json!({"Key": format!("t{i}"), "Value": "v"})).collect();
    let e = f.err("TagResource", json!({"ResourceARN": arn, "Tags": many}));
    assert_eq!((e.code, e.message.as_str()), ("InvalidParameterValue", "An alarm can have at most 50 tags."));
}

#[test]
fn get_metric_statistics_aggregates_per_period_and_unit() {
    let f = Fixture::new();
    let t = T0 - HOUR_MS;
    let data: Vec<Value> = [(0, 1.0), (10_000, 3.0), (59_999, 2.0), (60_000, 10.0)]
        .iter()
        .map(|(offset, v)| {
            json!({"MetricName": "latency", "Dimensions": [{"Name": "api", "Value": "get"}],
                                  "Timestamp": secs(t + offset), "Value": v, "Unit": "Milliseconds"})
        })
        .chain([json!({"MetricName": "latency", "Dimensions": [{"Name": "api", "Value": "get"}],
                       "Timestamp": secs(t + 5_000), "Value": 99.0, "Unit": "Seconds"})])
        .collect();
    f.ok("PutMetricData", json!({"Namespace": "App", "MetricData": data}));
    f.ok("PutMetricData", json!({"Namespace": "App", "MetricData": [
        {"MetricName": "latency", "Dimensions": [{"Name": "api", "Value": "get"}], "Timestamp": secs(t + 120_000),
         "StatisticValues": {"SampleCount": 4.0, "Sum": 20.0, "Minimum": 1.0, "Maximum": 9.0}, "Unit": "Milliseconds"},
        {"MetricName": "latency", "Dimensions": [{"Name": "api", "Value": "get"}], "Timestamp": secs(t + 180_000),
         "Values": [1.0, 5.0], "Counts": [3.0, 1.0], "Unit": "Milliseconds"}
    ]}));
    let query = json!({"Namespace": "App", "MetricName": "latency", "Dimensions": [{"Name": "api", "Value": "get"}],
                       "StartTime": secs(t), "EndTime": secs(t + 240_000), "Period": 60,
                       "Statistics": ["SampleCount", "Average", "Sum", "Minimum", "Maximum"], "Unit": "Milliseconds"});
    let out = f.ok("GetMetricStatistics", query.clone());
    assert_eq!(out["Label"], "latency");
    assert_eq!(
        out["Datapoints"],
        json!([
            {"Timestamp": secs(t), "SampleCount": 3.0, "Average": 2.0, "Sum": 6.0, "Minimum": 1.0, "Maximum": 3.0, "Unit": "Milliseconds"},
            {"Timestamp": secs(t + 60_000), "SampleCount": 1.0, "Average": 10.0, "Sum": 10.0, "Minimum": 10.0, "Maximum": 10.0, "Unit": "Milliseconds"},
            {"Timestamp": secs(t + 120_000), "SampleCount": 4.0, "Average": 5.0, "Sum": 20.0, "Minimum": 1.0, "Maximum": 9.0, "Unit": "Milliseconds"},
            {"Timestamp": secs(t + 180_000), "SampleCount": 4.0, "Average": 2.0, "Sum": 8.0, "Minimum": 1.0, "Maximum": 5.0, "Unit": "Milliseconds"}
        ])
    );
    let mut all_units = query.clone();
    all_units.as_object_mut().unwrap().remove("Unit");
    all_units["Statistics"] = json!(["Sum"]);
    all_units["EndTime"] = json!(secs(t + 60_000));
    let out = f.ok("GetMetricStatistics", all_units);
    assert_eq!(
        out["Datapoints"],
        json!([{"Timestamp": secs(t), "Sum": 6.0, "Unit": "Milliseconds"}, {"Timestamp": secs(t), "Sum": 99.0, "Unit": "Seconds"}])
    );
    let mut percentiles = query.clone();
    percentiles.as_object_mut().unwrap().remove("Statistics");
    percentiles["ExtendedStatistics"] = json!(["p50", "p99.9"]);
    let out = f.ok("GetMetricStatistics", percentiles);
    let points = out["Datapoints"].as_array().unwrap();
    assert_eq!(points[0]["ExtendedStatistics"], json!({"p50": 2.0, "p99.9": 3.0}));
    // The statistic set has no individual values: no percentiles for its period.
    assert_eq!(points[2]["ExtendedStatistics"], json!({}));
    assert_eq!(points[3]["ExtendedStatistics"], json!({"p50": 1.0, "p99.9": 5.0}));
}

#[test]
fn get_metric_statistics_checks_its_parameters() {
    let f = Fixture::new();
    // A start time one second before a whole day rounds down to the minute: 1,441 one-minute periods.
    let base = json!({"Namespace": "App", "MetricName": "m", "StartTime": secs(T0 - DAY_MS - 1_000), "EndTime": secs(T0),
                      "Period": 60, "Statistics": ["Sum"]});
    let e = f.err("GetMetricStatistics", base.clone());
    assert_eq!(
        (e.code, e.message.as_str()),
        (
            "InvalidParameterCombination",
            "You have requested up to 1,441 datapoints, which exceeds the limit of 1,440. You may reduce the \
             datapoints requested by increasing Period, or decreasing the time range."
        )
    );
    let mut ok = base.clone();
    ok["StartTime"] = json!(secs(T0 - DAY_MS));
    assert_eq!(f.ok("GetMetricStatistics", ok)["Datapoints"], json!([]));
    let mut period = base.clone();
    period["Period"] = json!(90);
    assert_eq!(f.err("GetMetricStatistics", period).code, "InvalidParameterValue");
    let mut reversed = base.clone();
    reversed["StartTime"] = json!(secs(T0));
    assert_eq!(f.err("GetMetricStatistics", reversed).code, "InvalidParameterValue");
    let mut both = base.clone();
    both["ExtendedStatistics"] = json!(["p90"]);
    assert_eq!(f.err("GetMetricStatistics", both).code, "InvalidParameterCombination");
    let mut bad_percentile = base.clone();
    bad_percentile.as_object_mut().unwrap().remove("Statistics");
    bad_percentile["ExtendedStatistics"] = json!(["p101"]);
    assert_eq!(f.err("GetMetricStatistics", bad_percentile).code, "InvalidParameterValue");
    let mut missing = base.clone();
    missing.as_object_mut().unwrap().remove("MetricName");
    let e = f.err("GetMetricStatistics", missing);
    assert_eq!((e.code, e.message.as_str()), ("MissingParameter", "The parameter MetricName is required."));
}

#[test]
fn put_metric_data_checks_namespaces_values_and_timestamps() {
    let f = Fixture::new();
    let datum = |extra: Value| {
        let mut d = json!({"MetricName": "m", "Value": 1.0});
        d.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        json!({"Namespace": "App", "MetricData": [d]})
    };
    let e =
        f.err("PutMetricData", json!({"Namespace": "AWS/Kinesis", "MetricData": [{"MetricName": "m", "Value": 1.0}]}));
    assert_eq!(e.code, "InvalidParameterValue");
    assert!(e.message.starts_with("The value AWS/Kinesis for parameter Namespace is invalid"), "{}", e.message);
    assert_eq!(
        f.err(
            "PutMetricData",
            datum(json!({"StatisticValues": {"SampleCount": 1.0, "Sum": 1.0, "Minimum": 1.0, "Maximum": 1.0}}))
        )
        .code,
        "InvalidParameterCombination"
    );
    assert_eq!(
        f.err("PutMetricData", datum(json!({"Timestamp": secs(T0 - 15 * DAY_MS)}))).code,
        "InvalidParameterValue"
    );
    assert_eq!(
        f.err("PutMetricData", datum(json!({"Timestamp": secs(T0 + 3 * HOUR_MS)}))).code,
        "InvalidParameterValue"
    );
    assert_eq!(f.err("PutMetricData", datum(json!({"StorageResolution": 5}))).code, "InvalidParameterValue");
    assert_eq!(f.err("PutMetricData", datum(json!({"Value": 1e200}))).code, "InvalidParameterValue");
    assert_eq!(f.err("PutMetricData", datum(json!({"Unit": "Parsecs"}))).code, "InvalidParameterValue");
    let dup = json!([{"Name": "a", "Value": "1"}, {"Name": "a", "Value": "2"}]);
    assert_eq!(f.err("PutMetricData", datum(json!({"Dimensions": dup}))).code, "InvalidParameterValue");
    let dims: Vec<Value> = (0..31).map(|i| json!({"Name": format!("d{i}"), "Value": "v"})).collect();
    assert_eq!(f.err("PutMetricData", datum(json!({"Dimensions": dims}))).code, "InvalidParameterValue");
    let values = json!({"MetricName": "m", "Values": [1.0, 2.0], "Counts": [1.0]});
    assert_eq!(
        f.err("PutMetricData", json!({"Namespace": "App", "MetricData": [values]})).code,
        "InvalidParameterValue"
    );
    let too_many: Vec<Value> = (0..1001).map(|_| json!({"MetricName": "m", "Value": 1.0})).collect();
    assert_eq!(
        f.err("PutMetricData", json!({"Namespace": "App", "MetricData": too_many})).code,
        "InvalidParameterValue"
    );
    let e = f.err("PutMetricData", json!({"MetricData": [{"MetricName": "m", "Value": 1.0}]}));
    assert_eq!((e.code, e.message.as_str()), ("MissingParameter", "The parameter Namespace is required."));
    let e = f.err("PutMetricData", json!({"Namespace": "App", "MetricData": [{"Value": 1.0}]}));
    assert_eq!(
        (e.code, e.message.as_str()),
        ("MissingParameter", "The parameter MetricData.member.1.MetricName is required.")
    );
    // Nothing of the refused requests was stored.
    assert_eq!(f.ok("ListMetrics", json!({}))["Metrics"], json!([]));
    // In-process callers may use AWS/ namespaces.
    f.cw.put_metric_data_internal(
        "AWS/Kinesis",
        "IncomingRecords",
        &[("StreamName".into(), "s".into())],
        Timestamp::from_millis(T0),
        5.0,
        StandardUnit::Count,
    )
    .unwrap();
    let listed = f.ok("ListMetrics", json!({"Namespace": "AWS/Kinesis"}));
    assert_eq!(
        listed["Metrics"],
        json!([{"Namespace": "AWS/Kinesis", "MetricName": "IncomingRecords",
                                           "Dimensions": [{"Name": "StreamName", "Value": "s"}]}])
    );
}

#[test]
fn list_metrics_filters_by_name_dimensions_and_recent_activity() {
    let f = Fixture::new();
    let put = |name: &str, dims: Value| {
        f.ok(
            "PutMetricData",
            json!({"Namespace": "App", "MetricData": [{"MetricName": name, "Dimensions": dims, "Value": 1.0}]}),
        );
    };
    put("old", json!([{"Name": "host", "Value": "a"}]));
    f.advance(4 * HOUR_MS);
    put("cpu", json!([{"Name": "host", "Value": "a"}, {"Name": "az", "Value": "1"}]));
    put("cpu", json!([{"Name": "host", "Value": "b"}]));
    f.ok("PutMetricData", json!({"Namespace": "Other", "MetricData": [{"MetricName": "cpu", "Value": 1.0}]}));
    let names = |body: Value| -> Vec<String> {
        let out = f.ok("ListMetrics", body);
        out["Metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                let dims: Vec<String> = m["Dimensions"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|d| format!("{}={}", d["Name"].as_str().unwrap(), d["Value"].as_str().unwrap()))
                    .collect();
                format!(
                    "{}/{}[{}]",
                    m["Namespace"].as_str().unwrap(),
                    m["MetricName"].as_str().unwrap(),
                    dims.join(",")
                )
            })
            .collect()
    };
    assert_eq!(names(json!({"Namespace": "App"})), ["App/old[host=a]", "App/cpu[az=1,host=a]", "App/cpu[host=b]"]);
    assert_eq!(
        names(json!({"MetricName": "cpu", "Dimensions": [{"Name": "host"}]})),
        ["App/cpu[az=1,host=a]", "App/cpu[host=b]"]
    );
    assert_eq!(
        names(json!({"Dimensions": [{"Name": "host", "Value": "a"}]})),
        ["App/old[host=a]", "App/cpu[az=1,host=a]"]
    );
    assert_eq!(
        names(json!({"Namespace": "App", "RecentlyActive": "PT3H"})),
        ["App/cpu[az=1,host=a]", "App/cpu[host=b]"]
    );
    assert_eq!(f.err("ListMetrics", json!({"NextToken": "x"})).code, "InvalidParameterValue");
}

#[test]
fn get_metric_data_computes_stats_expressions_and_pages() {
    let f = Fixture::new();
    let t = T0 - HOUR_MS;
    let data: Vec<Value> = (0..5)
        .flat_map(|i| {
            [
                json!({"MetricName": "errors", "Timestamp": secs(t + i * MINUTE_MS), "Value": i as f64}),
                json!({"MetricName": "requests", "Timestamp": secs(t + i * MINUTE_MS), "Value": 10.0}),
            ]
        })
        .collect();
    f.ok("PutMetricData", json!({"Namespace": "App", "MetricData": data}));
    let stat = |name: &str| json!({"Metric": {"Namespace": "App", "MetricName": name}, "Period": 60, "Stat": "Sum"});
    let body = json!({
        "StartTime": secs(t), "EndTime": secs(t + 5 * MINUTE_MS),
        "MetricDataQueries": [
            {"Id": "e", "MetricStat": stat("errors"), "ReturnData": false},
            {"Id": "r", "MetricStat": stat("requests"), "Label": "reqs"},
            {"Id": "rate", "Expression": "100 * e / r"}
        ]
    });
    let out = f.ok("GetMetricData", body.clone());
    let results = out["MetricDataResults"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["Id"], "r");
    assert_eq!(results[0]["Label"], "reqs");
    assert_eq!(results[0]["StatusCode"], "Complete");
    assert_eq!(results[0]["Values"], json!([10.0, 10.0, 10.0, 10.0, 10.0]));
    let newest_first: Vec<f64> = (0..5).rev().map(|i| secs(t + i * MINUTE_MS)).collect();
    assert_eq!(results[0]["Timestamps"], json!(newest_first));
    assert_eq!(results[1]["Id"], "rate");
    assert_eq!(results[1]["Label"], "rate");
    assert_eq!(results[1]["Values"], json!([40.0, 30.0, 20.0, 10.0, 0.0]));
    assert_eq!(out.get("NextToken"), None);

    let mut paged = body.clone();
    paged["MaxDatapoints"] = json!(3);
    paged["ScanBy"] = json!("TimestampAscending");
    let first = f.ok("GetMetricData", paged.clone());
    assert_eq!(first["MetricDataResults"][0]["Values"], json!([10.0, 10.0, 10.0]));
    assert_eq!(first["MetricDataResults"][0]["StatusCode"], "PartialData");
    assert_eq!(first["MetricDataResults"][1]["Values"], json!([]));
    paged["NextToken"] = first["NextToken"].clone();
    let second = f.ok("GetMetricData", paged.clone());
    assert_eq!(second["MetricDataResults"][0]["Values"], json!([10.0, 10.0]));
    assert_eq!(second["MetricDataResults"][0]["StatusCode"], "Complete");
    assert_eq!(second["MetricDataResults"][1]["Values"], json!([0.0]));
    paged["NextToken"] = second["NextToken"].clone();
    let third = f.ok("GetMetricData", paged.clone());
    assert_eq!(third["MetricDataResults"][1]["Values"], json!([10.0, 20.0, 30.0]));
    paged["NextToken"] = third["NextToken"].clone();
    let last = f.ok("GetMetricData", paged.clone());
    assert_eq!(last["MetricDataResults"][1]["Values"], json!([40.0]));
    assert_eq!(last.get("NextToken"), None);

    let mut bad = body.clone();
    bad["MetricDataQueries"][2]["Expression"] = json!("SUM(METRICS())");
    let e = f.err("GetMetricData", bad);
    assert_eq!(e.code, "InvalidParameterValue");
    assert!(e.message.contains("function SUM is not supported"), "{}", e.message);
    let mut unknown = body.clone();
    unknown["MetricDataQueries"][2]["Expression"] = json!("e / zz");
    assert_eq!(f.err("GetMetricData", unknown).code, "InvalidParameterValue");
    let mut bad_id = body.clone();
    bad_id["MetricDataQueries"][0]["Id"] = json!("Upper");
    assert_eq!(f.err("GetMetricData", bad_id).code, "InvalidParameterValue");
    let mut bad_token = body;
    bad_token["NextToken"] = json!("nope");
    assert_eq!(f.err("GetMetricData", bad_token).code, "InvalidNextToken");
    let series =
        f.cw.metric_series(
            "App",
            "errors",
            &[],
            "Maximum",
            120,
            Timestamp::from_millis(t),
            Timestamp::from_millis(t + 5 * MINUTE_MS),
            None,
        )
        .unwrap();
    assert_eq!(
        series,
        vec![
            (Timestamp::from_millis(t), 1.0),
            (Timestamp::from_millis(t + 2 * MINUTE_MS), 3.0),
            (Timestamp::from_millis(t + 4 * MINUTE_MS), 4.0)
        ]
    );
}

#[test]
fn state_survives_a_reopen_and_old_data_expires() {
    let mut f = Fixture::new();
    f.ok("PutMetricAlarm", full_alarm("durable"));
    f.ok("SetAlarmState", json!({"AlarmName": "durable", "StateValue": "OK", "StateReason": "fine"}));
    f.ok(
        "PutMetricData",
        json!({"Namespace": "App", "MetricData": [{"MetricName": "m", "Value": 7.0, "Timestamp": secs(T0)}]}),
    );
    let before = f.describe("durable");
    f.reopen();
    assert_eq!(f.describe("durable"), before);
    let arn = "arn:aws:cloudwatch:us-east-1:000000000000:alarm:durable";
    assert_eq!(
        f.ok("ListTagsForResource", json!({"ResourceARN": arn}))["Tags"],
        json!([{"Key": "team", "Value": "data"}])
    );
    assert_eq!(f.ok("DescribeAlarmHistory", json!({}))["AlarmHistoryItems"].as_array().unwrap().len(), 2);
    let query = json!({"Namespace": "App", "MetricName": "m", "StartTime": secs(T0), "EndTime": secs(T0 + MINUTE_MS),
                       "Period": 60, "Statistics": ["Sum"]});
    assert_eq!(f.ok("GetMetricStatistics", query.clone())["Datapoints"][0]["Sum"], 7.0);
    // New history after a reopen sorts after the old.
    f.ok("SetAlarmState", json!({"AlarmName": "durable", "StateValue": "ALARM", "StateReason": "again"}));
    let newest = f.ok("DescribeAlarmHistory", json!({"MaxRecords": 1}));
    assert_eq!(newest["AlarmHistoryItems"][0]["HistorySummary"], "Alarm updated from OK to ALARM");
    assert!(newest["NextToken"].is_string());
    // Past the retention the point and its metric are gone.
    f.advance(16 * DAY_MS);
    f.reopen();
    assert_eq!(f.ok("ListMetrics", json!({}))["Metrics"], json!([]));
    assert_eq!(f.ok("GetMetricStatistics", query)["Datapoints"], json!([]));
    // Alarm history is kept 30 days.
    f.advance(15 * DAY_MS);
    f.ok("PutMetricAlarm", simple_alarm("later"));
    let items = f.ok("DescribeAlarmHistory", json!({}))["AlarmHistoryItems"].clone();
    assert_eq!(items.as_array().unwrap().len(), 1, "{items}");
}

#[test]
fn unknown_operations_are_refused() {
    let f = Fixture::new();
    assert_eq!(f.err("PutDashboard", json!({})).code, "InvalidAction");
    assert!(!CloudWatch::is_operation("PutDashboard"));
}
