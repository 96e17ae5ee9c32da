"""CloudWatch Logs over awsJson 1.1 (Logs_20140328) with boto3: log groups,
retention, tags (by ARN with and without `:*`, and the legacy calls), log
streams, PutLogEvents / GetLogEvents / FilterLogEvents, AWS-shaped errors and
durability across a restart (and a crash)."""
import json
import time
import uuid

import boto3
import botocore.auth
import botocore.config
import pytest
import requests
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from e2e_util import ACCESS_KEY, ACCOUNT, JSON_CT, REGION, SECRET_KEY, expect_error

GROUP_NOT_FOUND = "The specified log group does not exist."
STREAM_NOT_FOUND = "The specified log stream does not exist."
RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
                  2922, 3288, 3653]
HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS


def logs_client(endpoint):
    return boto3.client("logs", endpoint_url=endpoint, region_name=REGION, aws_access_key_id=ACCESS_KEY,
                        aws_secret_access_key=SECRET_KEY,
                        config=botocore.config.Config(retries={"total_max_attempts": 1, "mode": "standard"}))


@pytest.fixture(scope="module")
def logs(endpoint):
    return logs_client(endpoint)


@pytest.fixture
def group():
    """A unique log group name (the session server is shared)."""
    return "/e2e/" + uuid.uuid4().hex[:12]


def now_ms():
    return int(time.time() * 1000)


def group_arn(name):
    return f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{name}"


def messages(resp):
    return [e["message"] for e in resp["events"]]


def raw_logs_request(endpoint, operation, body):
    """A hand-signed request, to see the exact response body."""
    req = AWSRequest(method="POST", url=endpoint + "/", data=json.dumps(body).encode(),
                     headers={"Content-Type": JSON_CT, "X-Amz-Target": f"Logs_20140328.{operation}"})
    botocore.auth.SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "logs", REGION).add_auth(req)
    return requests.post(req.url, data=req.body, headers=dict(req.headers.items()), timeout=30)


# --- log groups --------------------------------------------------------------------


def test_create_describe_and_delete_log_group(logs, group):
    key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/11111111-2222-3333-4444-555555555555"
    before = now_ms()
    logs.create_log_group(logGroupName=group, tags={"team": "core"}, kmsKeyId=key)
    [g] = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
    assert g["logGroupName"] == group
    assert before - 1000 <= g["creationTime"] <= now_ms() + 1000
    assert g["arn"] == group_arn(group) + ":*"
    assert g["logGroupArn"] == group_arn(group)
    assert g["metricFilterCount"] == 0
    assert g["storedBytes"] == 0
    assert g["logGroupClass"] == "STANDARD"
    assert g["kmsKeyId"] == key
    assert "retentionInDays" not in g

    expect_error(lambda: logs.create_log_group(logGroupName=group), "ResourceAlreadyExistsException",
                 "The specified log group already exists")
    logs.delete_log_group(logGroupName=group)
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"] == []
    expect_error(lambda: logs.delete_log_group(logGroupName=group), "ResourceNotFoundException", GROUP_NOT_FOUND)


def test_log_group_class_and_invalid_names(logs, group):
    logs.create_log_group(logGroupName=group, logGroupClass="INFREQUENT_ACCESS")
    [g] = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
    assert g["logGroupClass"] == "INFREQUENT_ACCESS"
    assert [x["logGroupName"] for x in logs.describe_log_groups(
        logGroupNamePrefix=group, logGroupClass="STANDARD")["logGroups"]] == []
    expect_error(lambda: logs.create_log_group(logGroupName=group + " space"), "InvalidParameterException",
                 contains=["at 'logGroupName' failed to satisfy constraint",
                           "Member must satisfy regular expression pattern"])
    expect_error(lambda: logs.create_log_group(logGroupName=group + "-t", tags={"aws:reserved": "x"}),
                 "InvalidParameterException", contains="reserved")
    assert [x["logGroupName"] for x in logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]] == [group]


def test_describe_log_groups_prefix_pattern_and_pages(logs, group):
    names = [f"{group}/{suffix}" for suffix in ("alpha", "beta", "gamma", "DataLogs", "delta")]
    for name in names:
        logs.create_log_group(logGroupName=name)
    pages = list(logs.get_paginator("describe_log_groups").paginate(
        logGroupNamePrefix=group + "/", PaginationConfig={"PageSize": 2}))
    assert [len(p["logGroups"]) for p in pages] == [2, 2, 1]
    assert [g["logGroupName"] for p in pages for g in p["logGroups"]] == sorted(names)

    marker = group.rsplit("/", 1)[1]
    matched = logs.describe_log_groups(logGroupNamePattern=marker + "/Data")["logGroups"]
    assert [g["logGroupName"] for g in matched] == [f"{group}/DataLogs"]
    assert set(matched[0]) == {"logGroupName", "arn", "creationTime"}  # AWS: only these with a pattern
    assert logs.describe_log_groups(logGroupNamePattern=marker + "/datalogs")["logGroups"] == []

    expect_error(lambda: logs.describe_log_groups(logGroupNamePrefix=group, logGroupNamePattern=marker),
                 "InvalidParameterException", "LogGroupNamePrefix and LogGroupNamePattern are mutually exclusive parameters.")
    expect_error(lambda: logs.describe_log_groups(limit=51), "InvalidParameterException",
                 contains="Member must have value less than or equal to 50")


def test_retention_policy(logs, group):
    logs.create_log_group(logGroupName=group)
    for days in RETENTION_DAYS:
        logs.put_retention_policy(logGroupName=group, retentionInDays=days)
    logs.put_retention_policy(logGroupName=group, retentionInDays=30)
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["retentionInDays"] == 30

    allowed = ", ".join(str(d) for d in RETENTION_DAYS)
    expect_error(lambda: logs.put_retention_policy(logGroupName=group, retentionInDays=2),
                 "InvalidParameterException",
                 "1 validation error detected: Value '2' at 'retentionInDays' failed to satisfy constraint: "
                 f"Member must satisfy enum value set: [{allowed}]")
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["retentionInDays"] == 30

    logs.delete_retention_policy(logGroupName=group)
    assert "retentionInDays" not in logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]
    expect_error(lambda: logs.put_retention_policy(logGroupName=group + "-x", retentionInDays=1),
                 "ResourceNotFoundException", GROUP_NOT_FOUND)
    expect_error(lambda: logs.delete_retention_policy(logGroupName=group + "-x"),
                 "ResourceNotFoundException", GROUP_NOT_FOUND)


# --- tags --------------------------------------------------------------------------


def test_tags_by_arn_with_and_without_star(logs, group):
    logs.create_log_group(logGroupName=group, tags={"team": "core"})
    arn = group_arn(group)
    logs.tag_resource(resourceArn=arn, tags={"env": "dev", "cost": "1"})
    logs.tag_resource(resourceArn=arn + ":*", tags={"env": "prod"})
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"team": "core", "env": "prod", "cost": "1"}
    logs.untag_resource(resourceArn=arn, tagKeys=["cost", "absent"])
    assert logs.list_tags_for_resource(resourceArn=arn + ":*")["tags"] == {"team": "core", "env": "prod"}

    missing = group_arn(group + "-missing")
    expect_error(lambda: logs.list_tags_for_resource(resourceArn=missing), "ResourceNotFoundException",
                 GROUP_NOT_FOUND)
    expect_error(lambda: logs.tag_resource(resourceArn=missing, tags={"a": "b"}), "ResourceNotFoundException")
    expect_error(lambda: logs.untag_resource(resourceArn=missing, tagKeys=["a"]), "ResourceNotFoundException")
    expect_error(lambda: logs.list_tags_for_resource(resourceArn=f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/s"),
                 "InvalidParameterException")

    too_many = {f"k{i}": "v" for i in range(49)}
    expect_error(lambda: logs.tag_resource(resourceArn=arn, tags=too_many), "TooManyTagsException")
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"team": "core", "env": "prod"}


def test_legacy_tag_calls(logs, group):
    logs.create_log_group(logGroupName=group)
    logs.tag_log_group(logGroupName=group, tags={"a": "1", "b": "2"})
    logs.untag_log_group(logGroupName=group, tags=["a"])
    assert logs.list_tags_log_group(logGroupName=group)["tags"] == {"b": "2"}
    assert logs.list_tags_for_resource(resourceArn=group_arn(group))["tags"] == {"b": "2"}
    for call in (lambda: logs.tag_log_group(logGroupName=group + "-x", tags={"a": "1"}),
                 lambda: logs.untag_log_group(logGroupName=group + "-x", tags=["a"]),
                 lambda: logs.list_tags_log_group(logGroupName=group + "-x")):
        expect_error(call, "ResourceNotFoundException", GROUP_NOT_FOUND)


# --- log streams ---------------------------------------------------------------------


def test_log_streams_create_describe_order_and_delete(logs, group):
    logs.create_log_group(logGroupName=group)
    for name in ("c", "a", "b"):
        logs.create_log_stream(logGroupName=group, logStreamName=name)
    expect_error(lambda: logs.create_log_stream(logGroupName=group, logStreamName="a"),
                 "ResourceAlreadyExistsException", "The specified log stream already exists")
    expect_error(lambda: logs.create_log_stream(logGroupName=group + "-x", logStreamName="a"),
                 "ResourceNotFoundException", GROUP_NOT_FOUND)
    t = now_ms()
    logs.put_log_events(logGroupName=group, logStreamName="a", logEvents=[{"timestamp": t - 10, "message": "x"}])
    logs.put_log_events(logGroupName=group, logStreamName="c", logEvents=[{"timestamp": t - 20, "message": "y"}])

    def names(**kw):
        return [s["logStreamName"] for s in logs.describe_log_streams(logGroupName=group, **kw)["logStreams"]]

    assert names() == ["a", "b", "c"]
    assert names(descending=True) == ["c", "b", "a"]
    assert names(orderBy="LastEventTime") == ["b", "c", "a"]
    assert names(orderBy="LastEventTime", descending=True) == ["a", "c", "b"]
    assert names(logStreamNamePrefix="b") == ["b"]
    paged = [s["logStreamName"] for p in logs.get_paginator("describe_log_streams").paginate(
        logGroupName=group, PaginationConfig={"PageSize": 1}) for s in p["logStreams"]]
    assert paged == ["a", "b", "c"]

    a = logs.describe_log_streams(logGroupIdentifier=group_arn(group), logStreamNamePrefix="a")["logStreams"][0]
    assert a["arn"] == f"{group_arn(group)}:log-stream:a"
    assert a["firstEventTimestamp"] == a["lastEventTimestamp"] == t - 10
    assert abs(a["lastIngestionTime"] - now_ms()) < 60_000
    assert a["creationTime"] <= a["lastIngestionTime"]
    assert a["storedBytes"] == 0
    b = logs.describe_log_streams(logGroupName=group, logStreamNamePrefix="b")["logStreams"][0]
    assert "lastEventTimestamp" not in b and "firstEventTimestamp" not in b

    expect_error(lambda: logs.describe_log_streams(logGroupName=group, orderBy="LastEventTime",
                                                   logStreamNamePrefix="a"),
                 "InvalidParameterException", "Cannot order by LastEventTime with a logStreamNamePrefix.")
    expect_error(lambda: logs.describe_log_streams(logGroupName=group + "-x"), "ResourceNotFoundException",
                 GROUP_NOT_FOUND)
    expect_error(lambda: logs.describe_log_streams(logGroupName=group, logGroupIdentifier=group),
                 "InvalidParameterException")

    logs.delete_log_stream(logGroupName=group, logStreamName="a")
    assert names() == ["b", "c"]
    expect_error(lambda: logs.delete_log_stream(logGroupName=group, logStreamName="a"),
                 "ResourceNotFoundException", STREAM_NOT_FOUND)
    expect_error(lambda: logs.delete_log_stream(logGroupName=group + "-x", logStreamName="b"),
                 "ResourceNotFoundException", GROUP_NOT_FOUND)
    # A stream created again under the same name starts empty.
    logs.create_log_stream(logGroupName=group, logStreamName="a")
    assert logs.get_log_events(logGroupName=group, logStreamName="a")["events"] == []


# --- events --------------------------------------------------------------------------


def test_put_and_get_log_events_with_tokens(logs, group):
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    t = now_ms() - 1000
    first = logs.put_log_events(logGroupName=group, logStreamName="s",
                                logEvents=[{"timestamp": t + i, "message": f"e{i}"} for i in range(3)])
    assert len(first["nextSequenceToken"]) == 56
    assert "rejectedLogEventsInfo" not in first
    # The sequence token is accepted and ignored, whatever it is.
    logs.put_log_events(logGroupName=group, logStreamName="s", sequenceToken="bogus",
                        logEvents=[{"timestamp": t + i, "message": f"e{i}"} for i in range(3, 5)])

    tail = logs.get_log_events(logGroupName=group, logStreamName="s", limit=2)
    assert messages(tail) == ["e3", "e4"]
    e = tail["events"][0]
    assert e["timestamp"] == t + 3 and abs(e["ingestionTime"] - now_ms()) < 60_000
    assert tail["nextForwardToken"].startswith("f/") and tail["nextBackwardToken"].startswith("b/")
    older = logs.get_log_events(logGroupName=group, logStreamName="s", limit=2, nextToken=tail["nextBackwardToken"])
    assert messages(older) == ["e1", "e2"]

    seen, token = [], None
    for _ in range(10):
        kw = {"nextToken": token} if token else {}
        page = logs.get_log_events(logGroupName=group, logStreamName="s", startFromHead=True, limit=2, **kw)
        if not page["events"]:
            assert page["nextForwardToken"] == token  # the end: the token comes back unchanged
            break
        seen += messages(page)
        token = page["nextForwardToken"]
    assert seen == [f"e{i}" for i in range(5)]
    logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=[{"timestamp": t + 10, "message": "e5"}])
    assert messages(logs.get_log_events(logGroupName=group, logStreamName="s", startFromHead=True,
                                        nextToken=token)) == ["e5"]

    window = logs.get_log_events(logGroupIdentifier=group_arn(group), logStreamName="s", startTime=t + 1,
                                 endTime=t + 3, startFromHead=True)
    assert messages(window) == ["e1", "e2"]  # endTime is exclusive

    expect_error(lambda: logs.get_log_events(logGroupName=group, logStreamName="s", nextToken="nope"),
                 "InvalidParameterException", "The specified nextToken is invalid.")
    expect_error(lambda: logs.get_log_events(logGroupName=group, logStreamName="missing"),
                 "ResourceNotFoundException", STREAM_NOT_FOUND)
    expect_error(lambda: logs.get_log_events(logGroupName=group + "-x", logStreamName="s"),
                 "ResourceNotFoundException", GROUP_NOT_FOUND)


def test_put_log_events_errors_change_nothing(logs, group):
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    t = now_ms()
    expect_error(lambda: logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=[
        {"timestamp": t, "message": "b"}, {"timestamp": t - 1, "message": "a"}]),
        "InvalidParameterException", "Log events in a single PutLogEvents request must be in chronological order.")
    big = "x" * (512 * 1024)
    expect_error(lambda: logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=[
        {"timestamp": t, "message": big}, {"timestamp": t, "message": big}]),
        "InvalidParameterException", f"Upload too large: {2 * (len(big) + 26)} bytes exceeds limit of 1048576")
    expect_error(lambda: logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=[
        {"timestamp": t - 23 * HOUR_MS, "message": "a"}, {"timestamp": t + HOUR_MS + 1000, "message": "b"}]),
        "InvalidParameterException",
        "The batch of log events in a single PutLogEvents request cannot span more than 24 hours.")
    expect_error(lambda: logs.put_log_events(logGroupName=group, logStreamName="missing",
                                             logEvents=[{"timestamp": t, "message": "a"}]),
                 "ResourceNotFoundException", STREAM_NOT_FOUND)
    expect_error(lambda: logs.put_log_events(logGroupName=group + "-x", logStreamName="s",
                                             logEvents=[{"timestamp": t, "message": "a"}]),
                 "ResourceNotFoundException", GROUP_NOT_FOUND)
    assert logs.get_log_events(logGroupName=group, logStreamName="s")["events"] == []
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["storedBytes"] == 0
    # Exactly at the batch byte limit is accepted.
    fits = "y" * (1_048_576 - 26)
    logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=[{"timestamp": t, "message": fits}])
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["storedBytes"] == len(fits)


def test_put_log_events_reports_too_old_expired_and_too_new(logs, group):
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    logs.put_retention_policy(logGroupName=group, retentionInDays=1)
    t = now_ms()
    resp = logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=[
        {"timestamp": t - 15 * DAY_MS, "message": "too old"},
        {"timestamp": t - 3 * DAY_MS, "message": "expired"},
        {"timestamp": t - 1000, "message": "kept"},
        {"timestamp": t + 3 * HOUR_MS, "message": "too new"},
    ])
    assert resp["rejectedLogEventsInfo"] == {"tooOldLogEventEndIndex": 0, "expiredLogEventEndIndex": 1,
                                             "tooNewLogEventStartIndex": 3}
    assert messages(logs.get_log_events(logGroupName=group, logStreamName="s", startFromHead=True)) == ["kept"]
    # Retention hides what is older than it even when written before it was set.
    logs.delete_retention_policy(logGroupName=group)
    logs.put_log_events(logGroupName=group, logStreamName="s",
                        logEvents=[{"timestamp": t - 2 * DAY_MS, "message": "two days old"}])
    assert messages(logs.filter_log_events(logGroupName=group)) == ["two days old", "kept"]
    logs.put_retention_policy(logGroupName=group, retentionInDays=1)
    assert messages(logs.filter_log_events(logGroupName=group)) == ["kept"]


def test_filter_log_events_patterns_streams_and_pages(logs, group):
    logs.create_log_group(logGroupName=group)
    for name in ("api-1", "api-2", "worker"):
        logs.create_log_stream(logGroupName=group, logStreamName=name)
    t = now_ms() - 10_000
    logs.put_log_events(logGroupName=group, logStreamName="api-1", logEvents=[
        {"timestamp": t + 0, "message": "ERROR db timeout"}, {"timestamp": t + 20, "message": "INFO ok"}])
    logs.put_log_events(logGroupName=group, logStreamName="api-2", logEvents=[
        {"timestamp": t + 10, "message": "WARN slow request"}, {"timestamp": t + 30, "message": "ERROR healthcheck failed"}])
    logs.put_log_events(logGroupName=group, logStreamName="worker", logEvents=[
        {"timestamp": t + 5, "message": "ERROR connection reset by peer"}])

    def filtered(**kw):
        return messages(logs.filter_log_events(logGroupName=group, **kw))

    assert filtered() == ["ERROR db timeout", "ERROR connection reset by peer", "WARN slow request", "INFO ok",
                          "ERROR healthcheck failed"]
    assert filtered(filterPattern="ERROR -healthcheck") == ["ERROR db timeout", "ERROR connection reset by peer"]
    assert filtered(filterPattern="?WARN ?INFO") == ["WARN slow request", "INFO ok"]
    assert filtered(filterPattern='"connection reset"') == ["ERROR connection reset by peer"]
    assert filtered(filterPattern="ERROR timeout") == ["ERROR db timeout"]
    assert filtered(filterPattern="error") == []  # case-sensitive
    assert filtered(logStreamNames=["worker", "api-2"], startTime=t + 5, endTime=t + 10) == [
        "ERROR connection reset by peer", "WARN slow request"]  # endTime is inclusive here

    resp = logs.filter_log_events(logGroupIdentifier=group_arn(group), logStreamNamePrefix="api",
                                  filterPattern="ERROR")
    assert [(e["logStreamName"], e["message"]) for e in resp["events"]] == [
        ("api-1", "ERROR db timeout"), ("api-2", "ERROR healthcheck failed")]
    e = resp["events"][0]
    assert e["timestamp"] == t and len(e["eventId"]) == 56 and "ingestionTime" in e

    pages = list(logs.get_paginator("filter_log_events").paginate(logGroupName=group,
                                                                   PaginationConfig={"PageSize": 2}))
    assert [len(p["events"]) for p in pages] == [2, 2, 1]
    assert len({e["eventId"] for p in pages for e in p["events"]}) == 5

    expect_error(lambda: logs.filter_log_events(logGroupName=group, filterPattern='{ $.level = "error" }'),
                 "InvalidParameterException", contains="JSON filter patterns")
    expect_error(lambda: logs.filter_log_events(logGroupName=group, logStreamNames=["a"], logStreamNamePrefix="a"),
                 "InvalidParameterException")
    expect_error(lambda: logs.filter_log_events(logGroupName=group, nextToken="nope"), "InvalidParameterException",
                 "The specified nextToken is invalid.")
    expect_error(lambda: logs.filter_log_events(logGroupName=group + "-x"), "ResourceNotFoundException",
                 GROUP_NOT_FOUND)
    expect_error(lambda: logs.filter_log_events(), "InvalidParameterException")


def test_delete_log_group_removes_streams_and_events(logs, group):
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=[{"timestamp": now_ms(), "message": "m"}])
    logs.delete_log_group(logGroupName=group)
    expect_error(lambda: logs.describe_log_streams(logGroupName=group), "ResourceNotFoundException", GROUP_NOT_FOUND)
    logs.create_log_group(logGroupName=group)
    assert logs.describe_log_streams(logGroupName=group)["logStreams"] == []
    assert logs.filter_log_events(logGroupName=group)["events"] == []


def test_operations_without_output_answer_an_empty_object(endpoint, group):
    resp = raw_logs_request(endpoint, "CreateLogGroup", {"logGroupName": group})
    assert resp.status_code == 200, resp.text
    assert resp.headers["Content-Type"].split(";")[0] == JSON_CT
    assert resp.json() == {}
    resp = raw_logs_request(endpoint, "DeleteLogGroup", {"logGroupName": group})
    assert (resp.status_code, resp.json()) == (200, {})
    resp = raw_logs_request(endpoint, "DeleteLogGroup", {"logGroupName": group})
    assert resp.status_code == 400
    assert resp.json()["__type"].split("#")[-1] == "ResourceNotFoundException"


# --- durability ----------------------------------------------------------------------


def test_state_survives_a_restart_and_a_crash(start_kinesd, tmp_path):
    data_dir = tmp_path / "logs-data"
    server = start_kinesd(data_dir=data_dir)
    logs = logs_client(server.endpoint)
    logs.create_log_group(logGroupName="/durable/app", tags={"keep": "me"})
    logs.put_retention_policy(logGroupName="/durable/app", retentionInDays=14)
    logs.create_log_stream(logGroupName="/durable/app", logStreamName="s1")
    t = now_ms()
    logs.put_log_events(logGroupName="/durable/app", logStreamName="s1",
                        logEvents=[{"timestamp": t + i, "message": f"line {i}"} for i in range(100)])
    assert server.stop() == 0

    server = start_kinesd(data_dir=data_dir)
    logs = logs_client(server.endpoint)
    [g] = logs.describe_log_groups(logGroupNamePrefix="/durable/")["logGroups"]
    assert g["retentionInDays"] == 14
    assert logs.list_tags_for_resource(resourceArn=group_arn("/durable/app"))["tags"] == {"keep": "me"}
    [s] = logs.describe_log_streams(logGroupName="/durable/app")["logStreams"]
    assert s["logStreamName"] == "s1" and s["lastEventTimestamp"] == t + 99
    got = logs.get_log_events(logGroupName="/durable/app", logStreamName="s1", startFromHead=True)
    assert messages(got) == [f"line {i}" for i in range(100)]
    # An acknowledged batch survives SIGKILL too.
    logs.put_log_events(logGroupName="/durable/app", logStreamName="s1",
                        logEvents=[{"timestamp": t + 100, "message": "after restart"}])
    server.kill()

    logs = logs_client(start_kinesd(data_dir=data_dir).endpoint)
    assert messages(logs.filter_log_events(logGroupName="/durable/app", filterPattern='"after restart"')) == [
        "after restart"]
    assert len(messages(logs.filter_log_events(logGroupName="/durable/app"))) == 101
