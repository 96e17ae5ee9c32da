"""CloudWatch over both of its protocols: boto3 (awsJson 1.0 with query-compatible
errors: the code boto3 reports is the awsQuery one, e.g. ResourceNotFound) for every
operation with its error paths, and raw awsQuery forms as the Terraform provider sends
them (XML answers, <ErrorResponse> errors). Alarms, tags, history and metric data
survive a restart."""
import datetime
import json
import os
import subprocess
import uuid
import xml.etree.ElementTree as ET
from urllib.parse import urlencode

import boto3
import botocore.auth
import botocore.config
import pytest
import requests
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from e2e_util import ACCESS_KEY, ACCOUNT, REGION, SECRET_KEY

NS = "http://monitoring.amazonaws.com/doc/2010-08-01/"
X = {"cw": NS}


def cw_client(endpoint, validate=True):
    return boto3.client(
        "cloudwatch", endpoint_url=endpoint, region_name=REGION, aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=botocore.config.Config(retries={"total_max_attempts": 1, "mode": "standard"},
                                      parameter_validation=validate))


@pytest.fixture(scope="module")
def cw(endpoint):
    return cw_client(endpoint)


@pytest.fixture(scope="module")
def cw_raw(endpoint):
    """A client without botocore's own parameter checks: the server's are tested."""
    return cw_client(endpoint, validate=False)


@pytest.fixture
def prefix():
    return "e2e-" + uuid.uuid4().hex[:10] + "-"


def alarm_arn(name):
    return f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{name}"


def expect(fn, code, status=400, contains=()):
    """fn() fails with the query error code (what boto3 reports for CloudWatch) and status."""
    with pytest.raises(ClientError) as info:
        fn()
    resp = info.value.response
    assert resp["Error"]["Code"] == code, resp["Error"]
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == status, resp
    for part in ([contains] if isinstance(contains, str) else contains):
        assert part in resp["Error"]["Message"], resp["Error"]
    return resp["Error"]


def simple_alarm(name, **extra):
    args = dict(AlarmName=name, MetricName="errors", Namespace="E2E/App", Statistic="Sum", Period=60,
                EvaluationPeriods=1, Threshold=1.0, ComparisonOperator="GreaterThanThreshold")
    args.update(extra)
    return args


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def minute_floor(t):
    return t.replace(second=0, microsecond=0)


# --- raw awsQuery, as the Terraform provider sends it ---------------------------------


def query(endpoint, params):
    """POST an awsQuery form signed for `monitoring`; returns requests' Response."""
    body = urlencode({"Version": "2010-08-01", **params})
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    req = AWSRequest(method="POST", url=endpoint + "/", data=body, headers=headers)
    botocore.auth.SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "monitoring", REGION).add_auth(req)
    return requests.post(endpoint + "/", data=body, headers=dict(req.headers.items()), timeout=30)


def query_ok(endpoint, action, params):
    resp = query(endpoint, {"Action": action, **params})
    assert resp.status_code == 200, resp.text
    assert resp.headers["Content-Type"] == "text/xml"
    root = ET.fromstring(resp.text)
    assert root.tag == f"{{{NS}}}{action}Response", resp.text
    assert root.find("cw:ResponseMetadata/cw:RequestId", X).text
    return root


def query_error(endpoint, action, params, code, status=400):
    resp = query(endpoint, {"Action": action, **params})
    assert resp.status_code == status, resp.text
    root = ET.fromstring(resp.text)
    assert root.tag == f"{{{NS}}}ErrorResponse", resp.text
    assert root.find("cw:Error/cw:Type", X).text == "Sender"
    assert root.find("cw:Error/cw:Code", X).text == code, resp.text
    assert root.find("cw:RequestId", X).text
    return root.find("cw:Error/cw:Message", X).text


# --- metric alarms ---------------------------------------------------------------------


def test_put_metric_alarm_stores_every_member(cw, prefix):
    name = prefix + "full"
    before = now() - datetime.timedelta(seconds=2)
    cw.put_metric_alarm(
        AlarmName=name, AlarmDescription="records piling up", ActionsEnabled=False,
        OKActions=["arn:aws:sns:us-east-1:123456789012:ok"],
        AlarmActions=["arn:aws:sns:us-east-1:123456789012:alarm"],
        InsufficientDataActions=["arn:aws:sns:us-east-1:123456789012:insufficient"],
        MetricName="GetRecords.IteratorAgeMilliseconds", Namespace="AWS/Kinesis", ExtendedStatistic="p99",
        Dimensions=[{"Name": "StreamName", "Value": "orders"}], Period=300, Unit="Milliseconds",
        EvaluationPeriods=3, DatapointsToAlarm=2, Threshold=60000.0,
        ComparisonOperator="GreaterThanOrEqualToThreshold", TreatMissingData="breaching",
        EvaluateLowSampleCountPercentile="evaluate", Tags=[{"Key": "team", "Value": "streams"}])
    alarms = cw.describe_alarms(AlarmNames=[name])
    assert alarms["CompositeAlarms"] == []
    [alarm] = alarms["MetricAlarms"]
    for stamp in ("AlarmConfigurationUpdatedTimestamp", "StateUpdatedTimestamp", "StateTransitionedTimestamp"):
        assert before <= alarm.pop(stamp) <= now() + datetime.timedelta(seconds=2)
    assert alarm == {
        "AlarmName": name, "AlarmArn": alarm_arn(name), "AlarmDescription": "records piling up",
        "ActionsEnabled": False,
        "OKActions": ["arn:aws:sns:us-east-1:123456789012:ok"],
        "AlarmActions": ["arn:aws:sns:us-east-1:123456789012:alarm"],
        "InsufficientDataActions": ["arn:aws:sns:us-east-1:123456789012:insufficient"],
        "StateValue": "INSUFFICIENT_DATA", "StateReason": "Unchecked: Initial alarm creation",
        "MetricName": "GetRecords.IteratorAgeMilliseconds", "Namespace": "AWS/Kinesis",
        "ExtendedStatistic": "p99", "Dimensions": [{"Name": "StreamName", "Value": "orders"}],
        "Period": 300, "Unit": "Milliseconds", "EvaluationPeriods": 3, "DatapointsToAlarm": 2,
        "Threshold": 60000.0, "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "TreatMissingData": "breaching", "EvaluateLowSampleCountPercentile": "evaluate",
    }
    assert cw.list_tags_for_resource(ResourceARN=alarm_arn(name))["Tags"] == [{"Key": "team", "Value": "streams"}]


def test_metric_math_alarm_round_trips_its_queries(cw, prefix):
    name = prefix + "math"
    metrics = [
        {"Id": "errors", "MetricStat": {"Metric": {"Namespace": "E2E/App", "MetricName": "errors",
                                                   "Dimensions": [{"Name": "svc", "Value": "api"}]},
                                        "Period": 60, "Stat": "Sum"}, "ReturnData": False},
        {"Id": "calls", "MetricStat": {"Metric": {"Namespace": "E2E/App", "MetricName": "calls"},
                                       "Period": 60, "Stat": "Sum", "Unit": "Count"}, "ReturnData": False},
        {"Id": "rate", "Expression": "100 * errors / calls", "Label": "error rate", "ReturnData": True},
    ]
    cw.put_metric_alarm(AlarmName=name, Metrics=metrics, EvaluationPeriods=5, Threshold=2.5,
                        ComparisonOperator="GreaterThanThreshold")
    [alarm] = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"]
    assert alarm["Metrics"] == metrics
    assert "MetricName" not in alarm and "Statistic" not in alarm


def test_put_metric_alarm_refusals(cw_raw, prefix):
    name = prefix + "bad"
    expect(lambda: cw_raw.put_metric_alarm(**simple_alarm(name, ExtendedStatistic="p90")),
           "InvalidParameterCombination")
    expect(lambda: cw_raw.put_metric_alarm(**simple_alarm(name, Period=45)), "InvalidParameterValue",
           contains="Period must be 10, 20, 30 or a multiple of 60")
    expect(lambda: cw_raw.put_metric_alarm(**simple_alarm(name, Statistic="Median")), "InvalidParameterValue",
           contains="enum value set")
    expect(lambda: cw_raw.put_metric_alarm(**simple_alarm(name, DatapointsToAlarm=2)), "InvalidParameterValue")
    expect(lambda: cw_raw.put_metric_alarm(**simple_alarm(name, TreatMissingData="sometimes")),
           "InvalidParameterValue")
    no_threshold = simple_alarm(name)
    del no_threshold["Threshold"]
    expect(lambda: cw_raw.put_metric_alarm(**no_threshold), "MissingParameter",
           contains="The parameter Threshold is required.")
    expect(lambda: cw_raw.put_metric_alarm(MetricName="m"), "MissingParameter",
           contains="The parameter AlarmName is required.")
    assert cw_raw.describe_alarms(AlarmNamePrefix=prefix)["MetricAlarms"] == []


def test_describe_alarms_filters_and_paginates(cw, prefix):
    for suffix in ("c", "a", "b", "d"):
        cw.put_metric_alarm(**simple_alarm(prefix + suffix))
    cw.put_metric_alarm(**simple_alarm(prefix + "e", AlarmActions=[f"arn:aws:sns:{REGION}:{ACCOUNT}:pager"]))
    cw.set_alarm_state(AlarmName=prefix + "b", StateValue="ALARM", StateReason="test")

    def names(**kw):
        return [a["AlarmName"][len(prefix):] for a in cw.describe_alarms(AlarmNamePrefix=prefix, **kw)["MetricAlarms"]]

    assert names() == ["a", "b", "c", "d", "e"]
    assert names(StateValue="ALARM") == ["b"]
    assert names(ActionPrefix=f"arn:aws:sns:{REGION}:{ACCOUNT}:pag") == ["e"]
    by_name = cw.describe_alarms(AlarmNames=[prefix + "d", prefix + "a", prefix + "missing"])["MetricAlarms"]
    assert [a["AlarmName"] for a in by_name] == [prefix + "a", prefix + "d"]
    first = cw.describe_alarms(AlarmNamePrefix=prefix, MaxRecords=2)
    assert [a["AlarmName"] for a in first["MetricAlarms"]] == [prefix + "a", prefix + "b"]
    pages = cw.get_paginator("describe_alarms").paginate(AlarmNamePrefix=prefix, PaginationConfig={"PageSize": 2})
    assert [a["AlarmName"] for p in pages for a in p["MetricAlarms"]] == [prefix + s for s in "abcde"]
    expect(lambda: cw.describe_alarms(NextToken="not base64!"), "InvalidNextToken")
    expect(lambda: cw.describe_alarms(AlarmNames=[prefix + "a"], AlarmNamePrefix=prefix),
           "InvalidParameterCombination")
    for_metric = cw.describe_alarms_for_metric(MetricName="errors", Namespace="E2E/App", Statistic="Sum", Period=60)
    assert {prefix + s for s in "abcde"} <= {a["AlarmName"] for a in for_metric["MetricAlarms"]}
    none = cw.describe_alarms_for_metric(MetricName="errors", Namespace="E2E/App",
                                         Dimensions=[{"Name": "no", "Value": "such"}])
    assert none["MetricAlarms"] == []


def test_describe_alarms_max_records_is_bounded(cw_raw):
    expect(lambda: cw_raw.describe_alarms(MaxRecords=101), "InvalidParameterValue")


def test_set_alarm_state_and_history(cw, cw_raw, prefix):
    name = prefix + "state"
    cw.put_metric_alarm(**simple_alarm(name))
    cw.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="threshold crossed",
                       StateReasonData='{"value": 42}')
    [alarm] = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"]
    assert (alarm["StateValue"], alarm["StateReason"], alarm["StateReasonData"]) == \
        ("ALARM", "threshold crossed", '{"value": 42}')
    assert alarm["StateTransitionedTimestamp"] >= alarm["AlarmConfigurationUpdatedTimestamp"]
    cw.put_metric_alarm(**simple_alarm(name, Threshold=5.0))
    [alarm] = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"]
    assert alarm["StateValue"] == "ALARM" and alarm["Threshold"] == 5.0  # an update keeps the state

    items = cw.describe_alarm_history(AlarmName=name)["AlarmHistoryItems"]
    assert [(i["HistoryItemType"], i["HistorySummary"]) for i in items] == [
        ("ConfigurationUpdate", f'Alarm "{name}" updated'),
        ("StateUpdate", "Alarm updated from INSUFFICIENT_DATA to ALARM"),
        ("ConfigurationUpdate", f'Alarm "{name}" created'),
    ]
    assert all(i["AlarmName"] == name and i["AlarmType"] == "MetricAlarm" for i in items)
    oldest = cw.describe_alarm_history(AlarmName=name, ScanBy="TimestampAscending", MaxRecords=1)
    assert oldest["AlarmHistoryItems"][0]["HistorySummary"] == f'Alarm "{name}" created'
    rest = cw.describe_alarm_history(AlarmName=name, ScanBy="TimestampAscending", NextToken=oldest["NextToken"])
    assert len(rest["AlarmHistoryItems"]) == 2
    states = cw.describe_alarm_history(AlarmName=name, HistoryItemType="StateUpdate")["AlarmHistoryItems"]
    assert len(states) == 1

    expect(lambda: cw.set_alarm_state(AlarmName=prefix + "ghost", StateValue="OK", StateReason="r"),
           "ResourceNotFound", status=404)
    expect(lambda: cw.set_alarm_state(AlarmName=name, StateValue="OK", StateReason="r", StateReasonData="{"),
           "InvalidFormat")
    expect(lambda: cw_raw.set_alarm_state(AlarmName=name, StateValue="MAYBE", StateReason="r"),
           "InvalidParameterValue")
    expect(lambda: cw.describe_alarm_history(NextToken="bogus"), "InvalidNextToken")


def test_enable_and_disable_alarm_actions(cw, prefix):
    name = prefix + "actions"
    cw.put_metric_alarm(**simple_alarm(name))
    cw.disable_alarm_actions(AlarmNames=[name, prefix + "absent"])
    assert cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["ActionsEnabled"] is False
    cw.enable_alarm_actions(AlarmNames=[name])
    assert cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["ActionsEnabled"] is True


def test_delete_alarms_is_all_or_nothing(cw, prefix):
    keep = prefix + "keep"
    cw.put_metric_alarm(**simple_alarm(keep))
    err = expect(lambda: cw.delete_alarms(AlarmNames=[keep, prefix + "ghost"]), "ResourceNotFound", status=404)
    assert err["Message"] == f"Alarm {prefix}ghost not found"
    assert len(cw.describe_alarms(AlarmNames=[keep])["MetricAlarms"]) == 1
    cw.delete_alarms(AlarmNames=[keep])
    assert cw.describe_alarms(AlarmNames=[keep])["MetricAlarms"] == []
    history = cw.describe_alarm_history(AlarmName=keep)["AlarmHistoryItems"]
    assert history[0]["HistorySummary"] == f'Alarm "{keep}" deleted'


def test_composite_alarms(cw, prefix):
    child, parent = prefix + "child", prefix + "parent"
    cw.put_metric_alarm(**simple_alarm(child))
    cw.put_composite_alarm(AlarmName=parent, AlarmRule=f'ALARM("{child}") AND NOT OK("{child}")',
                           AlarmDescription="both", AlarmActions=[f"arn:aws:sns:{REGION}:{ACCOUNT}:t"],
                           Tags=[{"Key": "kind", "Value": "composite"}])
    assert cw.describe_alarms(AlarmNames=[parent])["CompositeAlarms"] == []  # metric alarms by default
    [composite] = cw.describe_alarms(AlarmNames=[parent], AlarmTypes=["CompositeAlarm"])["CompositeAlarms"]
    assert composite["AlarmArn"] == alarm_arn(parent)
    assert composite["AlarmRule"] == f'ALARM("{child}") AND NOT OK("{child}")'
    assert composite["StateValue"] == "INSUFFICIENT_DATA"
    assert composite["AlarmActions"] == [f"arn:aws:sns:{REGION}:{ACCOUNT}:t"]
    assert cw.list_tags_for_resource(ResourceARN=alarm_arn(parent))["Tags"] == [{"Key": "kind", "Value": "composite"}]
    kids = cw.describe_alarms(ChildrenOfAlarmName=parent)
    assert [a["AlarmName"] for a in kids["MetricAlarms"]] == [child]
    parents = cw.describe_alarms(ParentsOfAlarmName=child)
    assert [a["AlarmName"] for a in parents["CompositeAlarms"]] == [parent]
    expect(lambda: cw.delete_alarms(AlarmNames=[child]), "ValidationError",
           contains="composite alarm(s) depending on it")
    expect(lambda: cw.put_composite_alarm(AlarmName=prefix + "broken", AlarmRule="ALARM(x"),
           "InvalidParameterValue")
    cw.delete_alarms(AlarmNames=[parent, child])
    assert cw.describe_alarms(AlarmNamePrefix=prefix, AlarmTypes=["MetricAlarm", "CompositeAlarm"]) \
        ["CompositeAlarms"] == []


def test_tags_on_alarms(cw, cw_raw, prefix):
    name = prefix + "tags"
    cw.put_metric_alarm(**simple_alarm(name))
    arn = alarm_arn(name)
    cw.tag_resource(ResourceARN=arn, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    cw.tag_resource(ResourceARN=arn, Tags=[{"Key": "a", "Value": "one"}])
    cw.untag_resource(ResourceARN=arn, TagKeys=["b", "never-there"])
    assert cw.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "a", "Value": "one"}]
    missing = alarm_arn(prefix + "nope")
    for call in (lambda: cw.list_tags_for_resource(ResourceARN=missing),
                 lambda: cw.tag_resource(ResourceARN=missing, Tags=[{"Key": "k", "Value": "v"}]),
                 lambda: cw.untag_resource(ResourceARN=missing, TagKeys=["k"])):
        expect(call, "ResourceNotFoundException", status=404)
    expect(lambda: cw.list_tags_for_resource(ResourceARN="not-an-arn"), "InvalidParameterValue")
    expect(lambda: cw.tag_resource(ResourceARN=arn, Tags=[{"Key": "aws:reserved", "Value": "x"}]),
           "InvalidParameterValue")
    expect(lambda: cw.tag_resource(ResourceARN=arn, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)]),
           "InvalidParameterValue", contains="at most 50 tags")
    expect(lambda: cw_raw.tag_resource(ResourceARN=arn, Tags=[{"Key": "", "Value": "v"}]), "InvalidParameterValue")


# --- metrics ---------------------------------------------------------------------------


def test_put_metric_data_then_statistics(cw, prefix):
    ns = "E2E/" + prefix
    start = minute_floor(now() - datetime.timedelta(minutes=30))
    dims = [{"Name": "Stream", "Value": "orders"}]
    cw.put_metric_data(Namespace=ns, MetricData=[
        {"MetricName": "latency", "Dimensions": dims, "Timestamp": start, "Value": 1.0, "Unit": "Milliseconds"},
        {"MetricName": "latency", "Dimensions": dims, "Timestamp": start + datetime.timedelta(seconds=20),
         "Value": 5.0, "Unit": "Milliseconds"},
        {"MetricName": "latency", "Dimensions": dims, "Timestamp": start + datetime.timedelta(minutes=1),
         "Values": [2.0, 10.0], "Counts": [3.0, 1.0], "Unit": "Milliseconds"},
        {"MetricName": "latency", "Dimensions": dims, "Timestamp": start + datetime.timedelta(minutes=2),
         "StatisticValues": {"SampleCount": 2.0, "Sum": 30.0, "Minimum": 10.0, "Maximum": 20.0},
         "Unit": "Milliseconds", "StorageResolution": 60},
    ])
    out = cw.get_metric_statistics(Namespace=ns, MetricName="latency", Dimensions=dims, StartTime=start,
                                   EndTime=start + datetime.timedelta(minutes=3), Period=60,
                                   Statistics=["SampleCount", "Average", "Sum", "Minimum", "Maximum"])
    assert out["Label"] == "latency"
    got = sorted(out["Datapoints"], key=lambda d: d["Timestamp"])
    assert [d["Timestamp"] for d in got] == [start + datetime.timedelta(minutes=i) for i in range(3)]
    assert [(d["SampleCount"], d["Average"], d["Sum"], d["Minimum"], d["Maximum"], d["Unit"]) for d in got] == [
        (2.0, 3.0, 6.0, 1.0, 5.0, "Milliseconds"),
        (4.0, 4.0, 16.0, 2.0, 10.0, "Milliseconds"),
        (2.0, 15.0, 30.0, 10.0, 20.0, "Milliseconds"),
    ]
    five = cw.get_metric_statistics(Namespace=ns, MetricName="latency", Dimensions=dims, StartTime=start,
                                    EndTime=start + datetime.timedelta(minutes=5), Period=300, Statistics=["Sum"])
    assert [(d["Timestamp"], d["Sum"]) for d in five["Datapoints"]] == [(start, 52.0)]
    pct = cw.get_metric_statistics(Namespace=ns, MetricName="latency", Dimensions=dims, StartTime=start,
                                   EndTime=start + datetime.timedelta(minutes=2), Period=60,
                                   ExtendedStatistics=["p50", "p99"])
    got = sorted(pct["Datapoints"], key=lambda d: d["Timestamp"])
    assert [d["ExtendedStatistics"] for d in got] == [{"p50": 1.0, "p99": 5.0}, {"p50": 2.0, "p99": 10.0}]
    other_unit = cw.get_metric_statistics(Namespace=ns, MetricName="latency", Dimensions=dims, StartTime=start,
                                          EndTime=start + datetime.timedelta(minutes=3), Period=60,
                                          Statistics=["Sum"], Unit="Seconds")
    assert other_unit["Datapoints"] == []


def test_get_metric_statistics_refusals(cw, cw_raw, prefix):
    end = minute_floor(now())
    args = dict(Namespace="E2E/" + prefix, MetricName="m", EndTime=end, Period=60, Statistics=["Sum"])
    err = expect(lambda: cw.get_metric_statistics(StartTime=end - datetime.timedelta(minutes=1441), **args),
                 "InvalidParameterCombination")
    assert err["Message"] == ("You have requested up to 1,441 datapoints, which exceeds the limit of 1,440. You may "
                              "reduce the datapoints requested by increasing Period, or decreasing the time range.")
    assert cw.get_metric_statistics(StartTime=end - datetime.timedelta(minutes=1440), **args)["Datapoints"] == []
    expect(lambda: cw.get_metric_statistics(StartTime=end - datetime.timedelta(hours=1),
                                            **{**args, "Period": 90}), "InvalidParameterValue")
    expect(lambda: cw.get_metric_statistics(StartTime=end + datetime.timedelta(hours=1), **args),
           "InvalidParameterValue")
    expect(lambda: cw.get_metric_statistics(StartTime=end - datetime.timedelta(hours=1), ExtendedStatistics=["p90"],
                                            **args), "InvalidParameterCombination")
    no_stats = {k: v for k, v in args.items() if k != "Statistics"}
    expect(lambda: cw.get_metric_statistics(StartTime=end - datetime.timedelta(hours=1),
                                            ExtendedStatistics=["p101"], **no_stats), "InvalidParameterValue")
    expect(lambda: cw_raw.get_metric_statistics(StartTime=end - datetime.timedelta(hours=1),
                                                **{k: v for k, v in args.items() if k != "MetricName"}),
           "MissingParameter", contains="The parameter MetricName is required.")


def test_put_metric_data_refusals(cw, cw_raw, prefix):
    ns = "E2E/" + prefix
    expect(lambda: cw.put_metric_data(Namespace="AWS/Kinesis", MetricData=[{"MetricName": "m", "Value": 1.0}]),
           "InvalidParameterValue", contains="AWS/Kinesis")
    expect(lambda: cw.put_metric_data(Namespace=ns, MetricData=[
        {"MetricName": "m", "Value": 1.0, "StatisticValues": {"SampleCount": 1, "Sum": 1, "Minimum": 1, "Maximum": 1}}
    ]), "InvalidParameterCombination")
    expect(lambda: cw.put_metric_data(Namespace=ns, MetricData=[
        {"MetricName": "m", "Value": 1.0, "Timestamp": now() - datetime.timedelta(days=15)}]), "InvalidParameterValue")
    expect(lambda: cw.put_metric_data(Namespace=ns, MetricData=[
        {"MetricName": "m", "Value": 1.0, "Timestamp": now() + datetime.timedelta(hours=3)}]), "InvalidParameterValue")
    expect(lambda: cw.put_metric_data(Namespace=ns, MetricData=[
        {"MetricName": "m", "Values": [1.0, 2.0], "Counts": [1.0]}]), "InvalidParameterValue")
    expect(lambda: cw.put_metric_data(Namespace=ns, MetricData=[
        {"MetricName": "m", "Value": 1.0, "StorageResolution": 5}]), "InvalidParameterValue")
    expect(lambda: cw_raw.put_metric_data(Namespace=ns, MetricData=[
        {"MetricName": "m", "Value": 1.0, "Dimensions": [{"Name": f"d{i}", "Value": "v"} for i in range(31)]}]),
        "InvalidParameterValue")
    expect(lambda: cw.put_metric_data(Namespace=ns, MetricData=[{"MetricName": "m", "Value": 1.0}] * 1001),
           "InvalidParameterValue", contains="1000")
    expect(lambda: cw_raw.put_metric_data(Namespace=ns, MetricData=[{"MetricName": "m", "Unit": "Parsecs",
                                                                      "Value": 1.0}]), "InvalidParameterValue")
    expect(lambda: cw_raw.put_metric_data(MetricData=[{"MetricName": "m", "Value": 1.0}]), "MissingParameter")
    assert cw.list_metrics(Namespace=ns)["Metrics"] == []
    cw.put_metric_data(Namespace=ns, MetricData=[{"MetricName": "m", "Value": 1.0}] * 1000)
    assert len(cw.list_metrics(Namespace=ns)["Metrics"]) == 1


def test_list_metrics_filters(cw, prefix):
    ns = "E2E/" + prefix
    cw.put_metric_data(Namespace=ns, MetricData=[
        {"MetricName": "cpu", "Dimensions": [{"Name": "host", "Value": "a"}, {"Name": "az", "Value": "1"}],
         "Value": 1.0},
        {"MetricName": "cpu", "Dimensions": [{"Name": "az", "Value": "1"}, {"Name": "host", "Value": "a"}],
         "Value": 2.0},
        {"MetricName": "cpu", "Dimensions": [{"Name": "host", "Value": "b"}], "Value": 3.0},
        {"MetricName": "mem", "Value": 4.0},
    ])

    def listed(**kw):
        out = cw.list_metrics(Namespace=ns, **kw)["Metrics"]
        return sorted((m["MetricName"], tuple((d["Name"], d["Value"]) for d in m["Dimensions"])) for m in out)

    assert listed() == [("cpu", (("az", "1"), ("host", "a"))), ("cpu", (("host", "b"),)), ("mem", ())]
    assert listed(MetricName="mem") == [("mem", ())]
    assert listed(Dimensions=[{"Name": "host"}]) == [("cpu", (("az", "1"), ("host", "a"))), ("cpu", (("host", "b"),))]
    assert listed(Dimensions=[{"Name": "host", "Value": "b"}]) == [("cpu", (("host", "b"),))]
    assert len(listed(RecentlyActive="PT3H")) == 3
    assert len(list(cw.get_paginator("list_metrics").paginate(Namespace=ns))) == 1
    expect(lambda: cw.list_metrics(NextToken="garbage"), "InvalidParameterValue")


def test_get_metric_data_with_math_and_paging(cw, cw_raw, prefix):
    ns = "E2E/" + prefix
    start = minute_floor(now() - datetime.timedelta(minutes=20))
    data = []
    for i in range(4):
        at = start + datetime.timedelta(minutes=i)
        data += [{"MetricName": "errors", "Timestamp": at, "Value": float(i)},
                 {"MetricName": "calls", "Timestamp": at, "Value": 10.0}]
    cw.put_metric_data(Namespace=ns, MetricData=data)

    def stat(name, s="Sum"):
        return {"Metric": {"Namespace": ns, "MetricName": name}, "Period": 60, "Stat": s}

    queries = [
        {"Id": "e", "MetricStat": stat("errors"), "ReturnData": False},
        {"Id": "c", "MetricStat": stat("calls"), "Label": "calls per minute"},
        {"Id": "rate", "Expression": "100 * e / c"},
        {"Id": "peak", "MetricStat": stat("errors", "Maximum")},
    ]
    end = start + datetime.timedelta(minutes=4)
    out = cw.get_metric_data(MetricDataQueries=queries, StartTime=start, EndTime=end)
    results = {r["Id"]: r for r in out["MetricDataResults"]}
    assert list(results) == ["c", "rate", "peak"]
    assert results["c"]["Label"] == "calls per minute"
    assert results["c"]["StatusCode"] == "Complete"
    assert results["c"]["Timestamps"] == [start + datetime.timedelta(minutes=i) for i in (3, 2, 1, 0)]
    assert results["rate"]["Values"] == [30.0, 20.0, 10.0, 0.0]
    assert results["peak"]["Label"] == "errors"
    assert "NextToken" not in out

    asc = cw.get_metric_data(MetricDataQueries=queries[:2], StartTime=start, EndTime=end,
                             ScanBy="TimestampAscending", MaxDatapoints=3)
    assert asc["MetricDataResults"][0]["Values"] == [10.0, 10.0, 10.0]
    assert asc["MetricDataResults"][0]["StatusCode"] == "PartialData"
    rest = cw.get_metric_data(MetricDataQueries=queries[:2], StartTime=start, EndTime=end,
                              ScanBy="TimestampAscending", MaxDatapoints=3, NextToken=asc["NextToken"])
    assert rest["MetricDataResults"][0]["Values"] == [10.0]
    assert "NextToken" not in rest
    pages = cw.get_paginator("get_metric_data").paginate(MetricDataQueries=queries, StartTime=start, EndTime=end,
                                                         PaginationConfig={"PageSize": 5})
    assert sum(len(r["Values"]) for p in pages for r in p["MetricDataResults"]) == 12

    err = expect(lambda: cw.get_metric_data(MetricDataQueries=[queries[0], {"Id": "s", "Expression": "SUM(METRICS())"}],
                                            StartTime=start, EndTime=end), "InvalidParameterValue")
    assert "function SUM is not supported" in err["Message"]
    expect(lambda: cw.get_metric_data(MetricDataQueries=[{"Id": "x", "MetricStat": stat("errors", "Median")}],
                                      StartTime=start, EndTime=end), "InvalidParameterValue")
    expect(lambda: cw_raw.get_metric_data(MetricDataQueries=[{"Id": "Upper", "MetricStat": stat("errors")}],
                                          StartTime=start, EndTime=end), "InvalidParameterValue")
    expect(lambda: cw.get_metric_data(MetricDataQueries=queries, StartTime=start, EndTime=end, NextToken="zz"),
           "InvalidNextToken")


def test_boto3_sees_query_compatible_errors(endpoint, cw):
    with pytest.raises(ClientError) as info:
        cw.set_alarm_state(AlarmName="e2e-no-such-alarm-" + uuid.uuid4().hex, StateValue="OK", StateReason="r")
    resp = info.value.response
    headers = resp["ResponseMetadata"]["HTTPHeaders"]
    assert headers["content-type"] == "application/x-amz-json-1.0"
    assert headers["x-amzn-query-error"] == "ResourceNotFound;Sender"
    assert resp["Error"]["Code"] == "ResourceNotFound"
    assert resp["Error"]["Type"] == "Sender"
    # Authentication failures carry the query codes too.
    stranger = boto3.client("cloudwatch", endpoint_url=endpoint, region_name=REGION, aws_access_key_id="AKIANOBODY",
                            aws_secret_access_key="x", config=botocore.config.Config(retries={"total_max_attempts": 1}))
    with pytest.raises(ClientError) as info:
        stranger.list_metrics()
    assert info.value.response["Error"]["Code"] == "InvalidClientTokenId"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_the_aws_cli_puts_and_describes_an_alarm(endpoint, prefix):
    env = {**os.environ, "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
           "AWS_DEFAULT_REGION": REGION}

    def aws(*args):
        out = subprocess.run(["aws", "--endpoint-url", endpoint, "cloudwatch", *args, "--output", "json"],
                             capture_output=True, text=True, env=env, timeout=60)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout) if out.stdout.strip() else None

    name = prefix + "cli"
    aws("put-metric-alarm", "--alarm-name", name, "--metric-name", "errors", "--namespace", "E2E/App",
        "--statistic", "Average", "--period", "60", "--evaluation-periods", "2", "--threshold", "3",
        "--comparison-operator", "LessThanThreshold", "--dimensions", "Name=svc,Value=api")
    [alarm] = aws("describe-alarms", "--alarm-names", name)["MetricAlarms"]
    assert (alarm["AlarmName"], alarm["Statistic"], alarm["Threshold"]) == (name, "Average", 3.0)
    assert alarm["Dimensions"] == [{"Name": "svc", "Value": "api"}]
    aws("delete-alarms", "--alarm-names", name)
    assert aws("describe-alarms", "--alarm-names", name)["MetricAlarms"] == []


# --- raw awsQuery (Terraform) ----------------------------------------------------------


def test_query_put_and_describe_alarm_as_terraform_sends_them(endpoint, prefix):
    name = prefix + "tf"
    root = query_ok(endpoint, "PutMetricAlarm", {
        "AlarmName": name, "AlarmDescription": "from terraform", "ActionsEnabled": "true",
        "AlarmActions.member.1": f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts",
        "ComparisonOperator": "GreaterThanThreshold", "EvaluationPeriods": "2", "DatapointsToAlarm": "1",
        "MetricName": "IncomingRecords", "Namespace": "AWS/Kinesis", "Period": "60", "Statistic": "Sum",
        "Threshold": "100", "TreatMissingData": "missing",
        "Dimensions.member.1.Name": "StreamName", "Dimensions.member.1.Value": "orders",
        "Tags.member.1.Key": "env", "Tags.member.1.Value": "test",
    })
    assert root.find("cw:PutMetricAlarmResult", X) is None
    resp = query(endpoint, {"Action": "PutMetricAlarm", "AlarmName": name, "ComparisonOperator": "GreaterThanThreshold",
                            "EvaluationPeriods": "2", "MetricName": "IncomingRecords", "Namespace": "AWS/Kinesis",
                            "Period": "60", "Statistic": "Sum", "Threshold": "100"})
    assert resp.text.startswith('<PutMetricAlarmResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/">')
    query_ok(endpoint, "PutMetricAlarm", {
        "AlarmName": name, "AlarmDescription": "from terraform", "ActionsEnabled": "true",
        "AlarmActions.member.1": f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts",
        "ComparisonOperator": "GreaterThanThreshold", "EvaluationPeriods": "2", "DatapointsToAlarm": "1",
        "MetricName": "IncomingRecords", "Namespace": "AWS/Kinesis", "Period": "60", "Statistic": "Sum",
        "Threshold": "100", "TreatMissingData": "missing",
        "Dimensions.member.1.Name": "StreamName", "Dimensions.member.1.Value": "orders",
        "OKActions": "", "InsufficientDataActions": "",
    })
    root = query_ok(endpoint, "DescribeAlarms", {"AlarmNames.member.1": name, "AlarmTypes.member.1": "MetricAlarm"})
    alarms = root.findall("cw:DescribeAlarmsResult/cw:MetricAlarms/cw:member", X)
    assert len(alarms) == 1
    alarm = alarms[0]

    def text(path):
        return alarm.find(path, X).text

    assert text("cw:AlarmName") == name
    assert text("cw:AlarmArn") == alarm_arn(name)
    assert text("cw:AlarmDescription") == "from terraform"
    assert text("cw:ActionsEnabled") == "true"
    assert [m.text for m in alarm.findall("cw:AlarmActions/cw:member", X)] == [f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts"]
    assert alarm.findall("cw:OKActions/cw:member", X) == []
    assert text("cw:Dimensions/cw:member/cw:Name") == "StreamName"
    assert text("cw:Dimensions/cw:member/cw:Value") == "orders"
    assert (text("cw:Period"), text("cw:EvaluationPeriods"), text("cw:DatapointsToAlarm")) == ("60", "2", "1")
    assert float(text("cw:Threshold")) == 100.0
    assert (text("cw:Statistic"), text("cw:ComparisonOperator")) == ("Sum", "GreaterThanThreshold")
    assert text("cw:TreatMissingData") == "missing"
    assert text("cw:StateValue") == "INSUFFICIENT_DATA"
    assert text("cw:StateReason") == "Unchecked: Initial alarm creation"
    assert text("cw:AlarmConfigurationUpdatedTimestamp").endswith("Z")
    assert root.find("cw:DescribeAlarmsResult/cw:CompositeAlarms", X) is not None

    root = query_ok(endpoint, "ListTagsForResource", {"ResourceARN": alarm_arn(name)})
    tags = root.findall("cw:ListTagsForResourceResult/cw:Tags/cw:member", X)
    assert [(t.find("cw:Key", X).text, t.find("cw:Value", X).text) for t in tags] == [("env", "test")]

    query_ok(endpoint, "DeleteAlarms", {"AlarmNames.member.1": name})
    root = query_ok(endpoint, "DescribeAlarms", {"AlarmNames.member.1": name, "AlarmTypes.member.1": "MetricAlarm"})
    assert root.findall("cw:DescribeAlarmsResult/cw:MetricAlarms/cw:member", X) == []


def test_query_errors_are_error_responses(endpoint, prefix):
    msg = query_error(endpoint, "DeleteAlarms", {"AlarmNames.member.1": prefix + "ghost"}, "ResourceNotFound", 404)
    assert msg == f"Alarm {prefix}ghost not found"
    query_error(endpoint, "SetAlarmState", {"AlarmName": prefix + "ghost", "StateValue": "OK", "StateReason": "r"},
                "ResourceNotFound", 404)
    msg = query_error(endpoint, "PutMetricAlarm", {"MetricName": "m"}, "MissingParameter")
    assert msg == "The parameter AlarmName is required."
    query_error(endpoint, "PutMetricData", {"Namespace": "AWS/EC2", "MetricData.member.1.MetricName": "m",
                                            "MetricData.member.1.Value": "1"}, "InvalidParameterValue")
    query_error(endpoint, "ListTagsForResource", {"ResourceARN": alarm_arn(prefix + "ghost")},
                "ResourceNotFoundException", 404)
    resp = query(endpoint, {"Action": "PutDashboard", "DashboardName": "d", "DashboardBody": "{}"})
    assert resp.status_code == 400 and "<Code>InvalidAction</Code>" in resp.text


def test_query_metric_data_round_trip(endpoint, prefix):
    ns = "E2E/" + prefix
    at = minute_floor(now() - datetime.timedelta(minutes=10))
    stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    query_ok(endpoint, "PutMetricData", {
        "Namespace": ns,
        "MetricData.member.1.MetricName": "bytes", "MetricData.member.1.Value": "100",
        "MetricData.member.1.Unit": "Bytes", "MetricData.member.1.Timestamp": stamp,
        "MetricData.member.1.Dimensions.member.1.Name": "Stream",
        "MetricData.member.1.Dimensions.member.1.Value": "s1",
        "MetricData.member.2.MetricName": "bytes", "MetricData.member.2.Value": "50",
        "MetricData.member.2.Unit": "Bytes", "MetricData.member.2.Timestamp": stamp,
        "MetricData.member.2.Dimensions.member.1.Name": "Stream",
        "MetricData.member.2.Dimensions.member.1.Value": "s1",
    })
    root = query_ok(endpoint, "GetMetricStatistics", {
        "Namespace": ns, "MetricName": "bytes", "Dimensions.member.1.Name": "Stream",
        "Dimensions.member.1.Value": "s1", "StartTime": stamp,
        "EndTime": (at + datetime.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ"), "Period": "60",
        "Statistics.member.1": "Sum", "Statistics.member.2": "Maximum",
    })
    result = root.find("cw:GetMetricStatisticsResult", X)
    assert result.find("cw:Label", X).text == "bytes"
    [point] = result.findall("cw:Datapoints/cw:member", X)
    assert point.find("cw:Timestamp", X).text == stamp
    assert float(point.find("cw:Sum", X).text) == 150.0
    assert float(point.find("cw:Maximum", X).text) == 100.0
    assert point.find("cw:Unit", X).text == "Bytes"
    root = query_ok(endpoint, "ListMetrics", {"Namespace": ns})
    [metric] = root.findall("cw:ListMetricsResult/cw:Metrics/cw:member", X)
    assert metric.find("cw:MetricName", X).text == "bytes"


def test_gzipped_query_put_metric_data_as_the_go_sdk_sends_it(endpoint, prefix):
    """The Go SDK (and so Terraform-adjacent tools) gzips PutMetricData forms of 10 KiB or more."""
    import gzip
    ns = "E2E/" + prefix
    stamp = minute_floor(now() - datetime.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    params = {"Action": "PutMetricData", "Version": "2010-08-01", "Namespace": ns}
    for i in range(1, 201):
        params.update({f"MetricData.member.{i}.MetricName": "zipped", f"MetricData.member.{i}.Value": "1",
                       f"MetricData.member.{i}.Timestamp": stamp})
    body = gzip.compress(urlencode(params).encode())
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Content-Encoding": "gzip"}
    req = AWSRequest(method="POST", url=endpoint + "/", data=body, headers=headers)
    botocore.auth.SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "monitoring", REGION).add_auth(req)
    resp = requests.post(endpoint + "/", data=body, headers=dict(req.headers.items()), timeout=30)
    assert resp.status_code == 200, resp.text
    root = query_ok(endpoint, "GetMetricStatistics", {
        "Namespace": ns, "MetricName": "zipped", "StartTime": stamp,
        "EndTime": (datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ") + datetime.timedelta(minutes=1))
        .strftime("%Y-%m-%dT%H:%M:%SZ"), "Period": "60", "Statistics.member.1": "SampleCount",
    })
    [point] = root.findall("cw:GetMetricStatisticsResult/cw:Datapoints/cw:member", X)
    assert float(point.find("cw:SampleCount", X).text) == 200.0
    # A body that says gzip but is not is refused, and changes nothing.
    req = AWSRequest(method="POST", url=endpoint + "/", data=b"Action=ListMetrics", headers=headers)
    botocore.auth.SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "monitoring", REGION).add_auth(req)
    resp = requests.post(endpoint + "/", data=b"Action=ListMetrics", headers=dict(req.headers.items()), timeout=30)
    assert resp.status_code == 400 and "<Code>MalformedInput</Code>" in resp.text, resp.text


# --- durability ------------------------------------------------------------------------


def test_alarms_tags_history_and_metrics_survive_a_restart(start_kinesd, tmp_path):
    data_dir = tmp_path / "cw-data"
    server = start_kinesd(data_dir=data_dir)
    cw = cw_client(server.endpoint)
    cw.put_metric_alarm(**simple_alarm("durable", Tags=[{"Key": "keep", "Value": "me"}]))
    cw.set_alarm_state(AlarmName="durable", StateValue="OK", StateReason="fine")
    at = minute_floor(now() - datetime.timedelta(minutes=5))
    cw.put_metric_data(Namespace="E2E/Durable", MetricData=[{"MetricName": "m", "Timestamp": at, "Value": 7.0}])
    before = cw.describe_alarms(AlarmNames=["durable"])["MetricAlarms"]
    assert server.stop() == 0

    cw = cw_client(start_kinesd(data_dir=data_dir).endpoint)
    assert cw.describe_alarms(AlarmNames=["durable"])["MetricAlarms"] == before
    assert before[0]["StateValue"] == "OK"
    assert cw.list_tags_for_resource(ResourceARN=alarm_arn("durable"))["Tags"] == [{"Key": "keep", "Value": "me"}]
    assert len(cw.describe_alarm_history(AlarmName="durable")["AlarmHistoryItems"]) == 2
    stats = cw.get_metric_statistics(Namespace="E2E/Durable", MetricName="m", StartTime=at,
                                     EndTime=at + datetime.timedelta(minutes=1), Period=60, Statistics=["Sum"])
    assert [d["Sum"] for d in stats["Datapoints"]] == [7.0]
    assert cw.list_metrics(Namespace="E2E/Durable")["Metrics"] == [
        {"Namespace": "E2E/Durable", "MetricName": "m", "Dimensions": []}]
