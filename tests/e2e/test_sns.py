"""SNS over awsQuery with boto3: topics (attributes as the Terraform provider sets
them, FIFO rules, tags, paging), subscriptions of every protocol, Publish and
PublishBatch with their error paths, and delivery to a real HTTP subscriber (a
`http.server` in a thread): the SubscriptionConfirmation, confirming by GETting the
SubscribeURL unsigned, signed Notification envelopes, raw delivery, filter policies,
retries, the UnsubscribeURL; then state across a restart."""
import base64
import json
import queue
import re
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import boto3
import botocore.config
import pytest
import requests
from botocore.exceptions import ClientError

from e2e_util import ACCESS_KEY, ACCOUNT, REGION, SECRET_KEY

WAIT_S = 10
TIMESTAMP_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
DEFAULT_EFFECTIVE_DELIVERY_POLICY = {
    "http": {
        "defaultHealthyRetryPolicy": {
            "minDelayTarget": 20, "maxDelayTarget": 20, "numRetries": 3, "numMaxDelayRetries": 0,
            "numNoDelayRetries": 0, "numMinDelayRetries": 0, "backoffFunction": "linear",
        },
        "disableSubscriptionOverrides": False,
        "defaultRequestPolicy": {"headerContentType": "text/plain; charset=UTF-8"},
    }
}


def sns_client(endpoint):
    return boto3.client("sns", endpoint_url=endpoint, region_name=REGION, aws_access_key_id=ACCESS_KEY,
                        aws_secret_access_key=SECRET_KEY,
                        config=botocore.config.Config(retries={"total_max_attempts": 1, "mode": "standard"},
                                                      parameter_validation=False))


@pytest.fixture(scope="module")
def sns(endpoint):
    return sns_client(endpoint)


@pytest.fixture
def name():
    return "e2e-" + uuid.uuid4().hex[:12]


def arn_of(topic):
    return f"arn:aws:sns:{REGION}:{ACCOUNT}:{topic}"


def expect_error(fn, code, status=400, message=None, contains=()):
    """fn() must fail with an awsQuery (XML) error of that code, status and message."""
    with pytest.raises(ClientError) as info:
        fn()
    resp = info.value.response
    assert resp["Error"]["Code"] == code, resp["Error"]
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == status, resp
    assert resp["ResponseMetadata"]["HTTPHeaders"]["content-type"].startswith("text/xml")
    msg = resp["Error"].get("Message", "")
    if message is not None:
        assert msg == message
    for part in ([contains] if isinstance(contains, str) else contains):
        assert part in msg, f"{part!r} not in {msg!r}"
    return resp


# --- an HTTP subscriber -------------------------------------------------------------


class Subscriber:
    """An HTTP endpoint on an ephemeral port: records every POST and answers the
    statuses queued in `statuses` (200 once they run out)."""

    def __init__(self):
        self.received = queue.Queue()
        self.statuses = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                outer.received.put({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                                    "body": body.decode()})
                status = outer.statuses.pop(0) if outer.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def next(self, timeout=WAIT_S):
        try:
            return self.received.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"nothing POSTed to {self.url} within {timeout}s") from None

    def nothing_within(self, seconds):
        try:
            got = self.received.get(timeout=seconds)
        except queue.Empty:
            return
        raise AssertionError(f"unexpected POST: {got}")

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def subscriber():
    s = Subscriber()
    yield s
    s.close()


def confirm_http(sns, subscriber, topic_arn, attributes=None):
    """Subscribes the subscriber, takes its SubscriptionConfirmation and GETs the
    SubscribeURL unsigned; returns (subscription ARN, the confirmation request)."""
    kw = {"Attributes": attributes} if attributes else {}
    out = sns.subscribe(TopicArn=topic_arn, Protocol="http", Endpoint=subscriber.url, **kw)
    assert out["SubscriptionArn"] == "pending confirmation"
    confirmation = subscriber.next()
    doc = json.loads(confirmation["body"])
    answer = requests.get(doc["SubscribeURL"], timeout=10)
    assert answer.status_code == 200, answer.text
    m = re.search(r"<SubscriptionArn>([^<]+)</SubscriptionArn>", answer.text)
    assert m, answer.text
    return m.group(1), confirmation


def verify_signature(doc):
    """Checks an envelope's SHA256withRSA signature against the certificate its
    SigningCertURL names (a file:// URL on the server's host)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    assert doc["SignatureVersion"] == "2"
    if doc["Type"] == "Notification":
        names = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
    else:
        names = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
    text = "".join(f"{n}\n{doc[n]}\n" for n in names if n in doc)
    url = urlparse(doc["SigningCertURL"])
    assert url.scheme == "file", doc["SigningCertURL"]
    with open(url.path, "rb") as f:
        cert = x509.load_pem_x509_certificate(f.read())
    cert.public_key().verify(base64.b64decode(doc["Signature"]), text.encode(), padding.PKCS1v15(), hashes.SHA256())


# --- topics -------------------------------------------------------------------------


def test_create_topic_is_idempotent_and_get_attributes_answers_aws_defaults(sns, name):
    arn = sns.create_topic(Name=name)["TopicArn"]
    assert arn == arn_of(name)
    assert sns.create_topic(Name=name)["TopicArn"] == arn
    attrs = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attrs["TopicArn"] == arn
    assert attrs["Owner"] == ACCOUNT
    assert attrs["DisplayName"] == ""
    assert (attrs["SubscriptionsConfirmed"], attrs["SubscriptionsPending"], attrs["SubscriptionsDeleted"]) == ("0", "0", "0")
    assert json.loads(attrs["EffectiveDeliveryPolicy"]) == DEFAULT_EFFECTIVE_DELIVERY_POLICY
    policy = json.loads(attrs["Policy"])
    assert policy["Id"] == "__default_policy_ID"
    assert policy["Statement"][0]["Resource"] == arn
    assert policy["Statement"][0]["Condition"] == {"StringEquals": {"AWS:SourceOwner": ACCOUNT}}
    assert "SNS:Publish" in policy["Statement"][0]["Action"]
    assert arn in [t["TopicArn"] for t in sns.get_paginator("list_topics").paginate().build_full_result()["Topics"]]


def test_create_topic_with_attributes_and_tags_then_conflicting_create(sns, name):
    arn = sns.create_topic(Name=name, Attributes={"DisplayName": "Orders", "SignatureVersion": "2",
                                                  "TracingConfig": "Active"},
                           Tags=[{"Key": "team", "Value": "payments"}])["TopicArn"]
    attrs = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert (attrs["DisplayName"], attrs["SignatureVersion"], attrs["TracingConfig"]) == ("Orders", "2", "Active")
    assert sns.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "payments"}]
    assert sns.create_topic(Name=name, Attributes={"DisplayName": "Orders"})["TopicArn"] == arn
    expect_error(lambda: sns.create_topic(Name=name, Attributes={"DisplayName": "Other"}), "InvalidParameter",
                 contains="already exists with different attributes")
    expect_error(lambda: sns.create_topic(Name=name, Tags=[{"Key": "team", "Value": "other"}]), "InvalidParameter",
                 contains="already exists with different tags")


def test_create_topic_errors(sns, name):
    expect_error(lambda: sns.create_topic(Name="bad name"), "InvalidParameter", message="Invalid parameter: Topic Name")
    expect_error(lambda: sns.create_topic(Name="x" * 257), "InvalidParameter", message="Invalid parameter: Topic Name")
    expect_error(lambda: sns.create_topic(Name=name + ".fifo"), "InvalidParameter",
                 message="Invalid parameter: Topic Name")
    expect_error(lambda: sns.create_topic(Name=name, Attributes={"FifoTopic": "true"}), "InvalidParameter",
                 contains="Fifo Topic names must end with .fifo")
    expect_error(lambda: sns.create_topic(Name=name, Attributes={"Colour": "blue"}), "InvalidParameter",
                 contains="Colour")
    expect_error(lambda: sns.create_topic(Name=name, Attributes={"ContentBasedDeduplication": "true"}),
                 "InvalidParameter", contains="FIFO")
    expect_error(lambda: sns.create_topic(), "InvalidParameter", contains="name")


def test_set_topic_attributes_as_the_terraform_provider_does(sns, name):
    arn = sns.create_topic(Name=name)["TopicArn"]
    rates = [f"{p}SuccessFeedbackSampleRate" for p in ("Application", "Firehose", "HTTP", "Lambda", "SQS")]
    for rate in rates:
        sns.set_topic_attributes(TopicArn=arn, AttributeName=rate, AttributeValue="0")
    sns.set_topic_attributes(TopicArn=arn, AttributeName="HTTPFailureFeedbackRoleArn",
                             AttributeValue=f"arn:aws:iam::{ACCOUNT}:role/feedback")
    custom_policy = json.dumps({"Version": "2012-10-17", "Statement": []})
    sns.set_topic_attributes(TopicArn=arn, AttributeName="Policy", AttributeValue=custom_policy)
    delivery = {"http": {"defaultHealthyRetryPolicy": {"minDelayTarget": 5, "maxDelayTarget": 10, "numRetries": 4}}}
    sns.set_topic_attributes(TopicArn=arn, AttributeName="DeliveryPolicy", AttributeValue=json.dumps(delivery))
    sns.set_topic_attributes(TopicArn=arn, AttributeName="KmsMasterKeyId", AttributeValue="alias/aws/sns")
    attrs = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert all(attrs[rate] == "0" for rate in rates), attrs
    assert attrs["HTTPFailureFeedbackRoleArn"] == f"arn:aws:iam::{ACCOUNT}:role/feedback"
    assert attrs["Policy"] == custom_policy
    assert json.loads(attrs["DeliveryPolicy"]) == delivery
    effective = json.loads(attrs["EffectiveDeliveryPolicy"])["http"]["defaultHealthyRetryPolicy"]
    assert (effective["minDelayTarget"], effective["maxDelayTarget"], effective["numRetries"]) == (5, 10, 4)
    assert attrs["KmsMasterKeyId"] == "alias/aws/sns"
    # An empty value unsets: the default policy comes back.
    sns.set_topic_attributes(TopicArn=arn, AttributeName="Policy", AttributeValue="")
    assert json.loads(sns.get_topic_attributes(TopicArn=arn)["Attributes"]["Policy"])["Id"] == "__default_policy_ID"

    set_ = lambda n, v, t=arn: sns.set_topic_attributes(TopicArn=t, AttributeName=n, AttributeValue=v)  # noqa: E731
    expect_error(lambda: set_("Colour", "x"), "InvalidParameter", message="Invalid parameter: AttributeName")
    expect_error(lambda: set_("FifoTopic", "true"), "InvalidParameter", contains="FifoTopic")
    expect_error(lambda: set_("HTTPSuccessFeedbackSampleRate", "101"), "InvalidParameter", contains="0 to 100")
    expect_error(lambda: set_("Policy", "{not json"), "InvalidParameter", contains="Policy")
    expect_error(lambda: set_("DeliveryPolicy", json.dumps({"http": {"defaultHealthyRetryPolicy": {"numRetries": 500}}})),
                 "InvalidParameter", contains="numRetries")
    expect_error(lambda: set_("DisplayName", "x", arn_of(name + "-missing")), "NotFound", 404,
                 message="Topic does not exist")


def test_topic_arn_errors(sns, name):
    expect_error(lambda: sns.get_topic_attributes(TopicArn=arn_of(name)), "NotFound", 404,
                 message="Topic does not exist")
    expect_error(lambda: sns.get_topic_attributes(TopicArn="not-an-arn"), "InvalidParameter",
                 message="Invalid parameter: TopicArn")
    expect_error(lambda: sns.get_topic_attributes(TopicArn=f"arn:aws:sns:{REGION}:999999999999:{name}"),
                 "AuthorizationError", 403, contains="SNS:GetTopicAttributes")


def test_delete_topic_is_idempotent_and_removes_its_subscriptions(sns, name):
    arn = sns.create_topic(Name=name)["TopicArn"]
    sub = sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=f"arn:aws:sqs:{REGION}:{ACCOUNT}:q")["SubscriptionArn"]
    sns.delete_topic(TopicArn=arn)
    sns.delete_topic(TopicArn=arn)
    expect_error(lambda: sns.get_topic_attributes(TopicArn=arn), "NotFound", 404)
    expect_error(lambda: sns.get_subscription_attributes(SubscriptionArn=sub), "NotFound", 404,
                 message="Subscription does not exist")
    expect_error(lambda: sns.delete_topic(TopicArn="bad"), "InvalidParameter")


def test_list_topics_pages_by_100(start_kinesd):
    sns = sns_client(start_kinesd().endpoint)
    arns = {sns.create_topic(Name=f"page-{i:03d}")["TopicArn"] for i in range(105)}
    first = sns.list_topics()
    assert len(first["Topics"]) == 100
    second = sns.list_topics(NextToken=first["NextToken"])
    assert len(second["Topics"]) == 5
    assert "NextToken" not in second
    assert {t["TopicArn"] for t in first["Topics"] + second["Topics"]} == arns
    expect_error(lambda: sns.list_topics(NextToken="not a token"), "InvalidParameter",
                 message="Invalid parameter: NextToken")


def test_fifo_topics_need_group_ids_and_deduplicate(sns, name):
    arn = sns.create_topic(Name=name + ".fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    attrs = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert (attrs["FifoTopic"], attrs["ContentBasedDeduplication"]) == ("true", "false")
    expect_error(lambda: sns.publish(TopicArn=arn, Message="m"), "InvalidParameter", contains="MessageGroupId")
    expect_error(lambda: sns.publish(TopicArn=arn, Message="m", MessageGroupId="g"), "InvalidParameter",
                 contains="ContentBasedDeduplication")
    first = sns.publish(TopicArn=arn, Message="m", MessageGroupId="g", MessageDeduplicationId="d1")
    again = sns.publish(TopicArn=arn, Message="m", MessageGroupId="g", MessageDeduplicationId="d1")
    assert again["MessageId"] == first["MessageId"]
    assert again["SequenceNumber"] == first["SequenceNumber"]
    other = sns.publish(TopicArn=arn, Message="m", MessageGroupId="g", MessageDeduplicationId="d2")
    assert int(other["SequenceNumber"]) > int(first["SequenceNumber"])
    sns.set_topic_attributes(TopicArn=arn, AttributeName="ContentBasedDeduplication", AttributeValue="true")
    a = sns.publish(TopicArn=arn, Message="same body", MessageGroupId="g")
    b = sns.publish(TopicArn=arn, Message="same body", MessageGroupId="g")
    assert a["MessageId"] == b["MessageId"]
    expect_error(lambda: sns.subscribe(TopicArn=arn, Protocol="http", Endpoint="http://127.0.0.1:9/"),
                 "InvalidParameter", contains="FIFO")
    sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=f"arn:aws:sqs:{REGION}:{ACCOUNT}:q.fifo")


def test_tags(sns, name):
    arn = sns.create_topic(Name=name)["TopicArn"]
    sns.tag_resource(ResourceArn=arn, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    sns.tag_resource(ResourceArn=arn, Tags=[{"Key": "a", "Value": "3"}])
    tags = {t["Key"]: t["Value"] for t in sns.list_tags_for_resource(ResourceArn=arn)["Tags"]}
    assert tags == {"a": "3", "b": "2"}
    sns.untag_resource(ResourceArn=arn, TagKeys=["b", "never-there"])
    assert sns.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "a", "Value": "3"}]
    many = [{"Key": f"k{i}", "Value": "v"} for i in range(50)]
    expect_error(lambda: sns.tag_resource(ResourceArn=arn, Tags=many), "TagLimitExceeded",
                 contains="tag quota of per resource exceeded")
    assert len(sns.list_tags_for_resource(ResourceArn=arn)["Tags"]) == 1, "a refused TagResource changed nothing"
    expect_error(lambda: sns.tag_resource(ResourceArn=arn, Tags=[{"Key": "aws:x", "Value": "v"}]), "InvalidParameter")
    missing = arn_of(name + "-missing")
    expect_error(lambda: sns.list_tags_for_resource(ResourceArn=missing), "ResourceNotFound", 404)
    expect_error(lambda: sns.tag_resource(ResourceArn=missing, Tags=[{"Key": "a", "Value": "b"}]), "ResourceNotFound", 404)
    expect_error(lambda: sns.untag_resource(ResourceArn=missing, TagKeys=["a"]), "ResourceNotFound", 404)


# --- subscriptions ------------------------------------------------------------------


def test_subscriptions_of_other_protocols_are_stored(sns, name):
    arn = sns.create_topic(Name=name)["TopicArn"]
    queue_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"
    sqs = sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue_arn,
                        Attributes={"RawMessageDelivery": "true"})["SubscriptionArn"]
    assert sqs.startswith(arn + ":")
    assert sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue_arn,
                         Attributes={"RawMessageDelivery": "true"})["SubscriptionArn"] == sqs
    expect_error(lambda: sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue_arn,
                                       Attributes={"RawMessageDelivery": "false"}),
                 "InvalidParameter", contains="different attributes")
    email = sns.subscribe(TopicArn=arn, Protocol="email", Endpoint="ops@example.com")
    assert email["SubscriptionArn"] == "pending confirmation"
    email_arn = sns.subscribe(TopicArn=arn, Protocol="email-json", Endpoint="ops@example.com",
                              ReturnSubscriptionArn=True)["SubscriptionArn"]
    assert email_arn.startswith(arn + ":")
    lam = sns.subscribe(TopicArn=arn, Protocol="lambda",
                        Endpoint=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f")["SubscriptionArn"]
    sms = sns.subscribe(TopicArn=arn, Protocol="sms", Endpoint="+15555550100")["SubscriptionArn"]

    listed = sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
    by_endpoint = {(s["Protocol"], s["Endpoint"]): s for s in listed}
    assert len(listed) == 5
    assert by_endpoint[("sqs", queue_arn)] == {"SubscriptionArn": sqs, "Owner": ACCOUNT, "Protocol": "sqs",
                                               "Endpoint": queue_arn, "TopicArn": arn}
    assert by_endpoint[("email", "ops@example.com")]["SubscriptionArn"] == "PendingConfirmation"
    everything = sns.get_paginator("list_subscriptions").paginate().build_full_result()["Subscriptions"]
    assert {sqs, lam, sms} <= {s["SubscriptionArn"] for s in everything}

    attrs = sns.get_subscription_attributes(SubscriptionArn=sqs)["Attributes"]
    assert attrs["SubscriptionArn"] == sqs
    assert attrs["TopicArn"] == arn
    assert attrs["Protocol"] == "sqs"
    assert attrs["Endpoint"] == queue_arn
    assert attrs["Owner"] == ACCOUNT
    assert attrs["RawMessageDelivery"] == "true"
    assert attrs["PendingConfirmation"] == "false"
    assert attrs["ConfirmationWasAuthenticated"] == "false"
    assert sns.get_subscription_attributes(SubscriptionArn=email_arn)["Attributes"]["PendingConfirmation"] == "true"
    topic_attrs = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert (topic_attrs["SubscriptionsConfirmed"], topic_attrs["SubscriptionsPending"]) == ("3", "2")

    sns.set_subscription_attributes(SubscriptionArn=sqs, AttributeName="FilterPolicy",
                                    AttributeValue=json.dumps({"kind": ["a"]}))
    sns.set_subscription_attributes(SubscriptionArn=sqs, AttributeName="RedrivePolicy",
                                    AttributeValue=json.dumps({"deadLetterTargetArn": queue_arn + "-dlq"}))
    attrs = sns.get_subscription_attributes(SubscriptionArn=sqs)["Attributes"]
    assert json.loads(attrs["FilterPolicy"]) == {"kind": ["a"]}
    assert attrs["FilterPolicyScope"] == "MessageAttributes"
    assert json.loads(attrs["RedrivePolicy"])["deadLetterTargetArn"] == queue_arn + "-dlq"

    sns.unsubscribe(SubscriptionArn=lam)
    sns.unsubscribe(SubscriptionArn=lam)  # again: idempotent, as on AWS
    assert sns.get_topic_attributes(TopicArn=arn)["Attributes"]["SubscriptionsDeleted"] == "1"


def test_subscription_errors(sns, name):
    arn = sns.create_topic(Name=name)["TopicArn"]
    sub = lambda **kw: sns.subscribe(TopicArn=arn, **kw)  # noqa: E731
    expect_error(lambda: sub(Protocol="carrier-pigeon", Endpoint="x"), "InvalidParameter",
                 message="Invalid parameter: Amazon SNS does not support this protocol string: carrier-pigeon")
    expect_error(lambda: sub(Protocol="http", Endpoint="https://example.com/"), "InvalidParameter",
                 message="Invalid parameter: Endpoint must match the specified protocol")
    expect_error(lambda: sub(Protocol="email", Endpoint="nobody"), "InvalidParameter", contains="email")
    expect_error(lambda: sub(Protocol="sqs", Endpoint="not-an-arn"), "InvalidParameter", contains="sqs")
    expect_error(lambda: sub(Protocol="email", Endpoint="a@example.com", Attributes={"RawMessageDelivery": "true"}),
                 "InvalidParameter", contains="raw message delivery")
    expect_error(lambda: sub(Protocol="http", Endpoint="http://127.0.0.1:9/", Attributes={"FilterPolicy": "[1]"}),
                 "InvalidParameter", contains="FilterPolicy")
    expect_error(lambda: sub(Protocol="http", Endpoint="http://127.0.0.1:9/", Attributes={"Colour": "x"}),
                 "InvalidParameter", message="Invalid parameter: AttributeName")
    expect_error(lambda: sns.subscribe(TopicArn=arn_of(name + "-missing"), Protocol="sqs",
                                       Endpoint=f"arn:aws:sqs:{REGION}:{ACCOUNT}:q"), "NotFound", 404)
    expect_error(lambda: sns.list_subscriptions_by_topic(TopicArn=arn_of(name + "-missing")), "NotFound", 404)
    expect_error(lambda: sns.get_subscription_attributes(SubscriptionArn="pending confirmation"), "InvalidParameter",
                 message="Invalid parameter: SubscriptionArn")
    expect_error(lambda: sns.get_subscription_attributes(SubscriptionArn=f"{arn}:{uuid.uuid4()}"), "NotFound", 404)
    sqs = sub(Protocol="sqs", Endpoint=f"arn:aws:sqs:{REGION}:{ACCOUNT}:q")["SubscriptionArn"]
    set_ = lambda n, v: sns.set_subscription_attributes(SubscriptionArn=sqs, AttributeName=n, AttributeValue=v)  # noqa: E731
    expect_error(lambda: set_("Colour", "x"), "InvalidParameter", message="Invalid parameter: AttributeName")
    expect_error(lambda: set_("RawMessageDelivery", "maybe"), "InvalidParameter", contains="RawMessageDelivery")
    expect_error(lambda: set_("DeliveryPolicy", "{}"), "InvalidParameter", contains="HTTP")
    expect_error(lambda: set_("FilterPolicy", json.dumps({"a": [{"regex": "x"}]})), "InvalidParameter",
                 contains="Unrecognized match type regex")
    expect_error(lambda: set_("FilterPolicy", json.dumps({"a": {"b": ["c"]}})), "InvalidParameter", contains="nested")


def test_confirm_subscription_errors(sns, name):
    arn = sns.create_topic(Name=name)["TopicArn"]
    expect_error(lambda: sns.confirm_subscription(TopicArn=arn, Token="0123abcd"), "InvalidParameter",
                 message="Invalid parameter: Token")
    expect_error(lambda: sns.confirm_subscription(TopicArn=arn_of(name + "-missing"), Token="0123abcd"),
                 "NotFound", 404)


def test_unsigned_requests_reach_only_the_subscriber_urls(endpoint):
    answer = requests.get(endpoint + "/?Action=ListTopics", timeout=10)
    assert answer.status_code == 403, answer.text
    answer = requests.get(endpoint + f"/?Action=ConfirmSubscription&TopicArn={arn_of('nope-' + uuid.uuid4().hex)}"
                          "&Token=abc", timeout=10)
    assert answer.status_code == 404, answer.text
    assert "<Code>NotFound</Code>" in answer.text


# --- publishing ---------------------------------------------------------------------


def test_publish_errors(sns, name):
    arn = sns.create_topic(Name=name)["TopicArn"]
    expect_error(lambda: sns.publish(Message="m"), "InvalidParameter", contains="TopicArn or TargetArn")
    expect_error(lambda: sns.publish(TopicArn=arn, TargetArn=arn, Message="m"), "InvalidParameter",
                 contains="Only one of")
    expect_error(lambda: sns.publish(TopicArn=arn_of(name + "-missing"), Message="m"), "NotFound", 404,
                 message="Topic does not exist")
    expect_error(lambda: sns.publish(TopicArn=arn), "InvalidParameter")
    expect_error(lambda: sns.publish(TopicArn=arn, Message=""), "InvalidParameter",
                 message="Invalid parameter: Empty message")
    expect_error(lambda: sns.publish(TopicArn=arn, Message="x" * (256 * 1024 + 1)), "InvalidParameter",
                 contains="too long")
    expect_error(lambda: sns.publish(TopicArn=arn, Message="m", Subject="two\nlines"), "InvalidParameter",
                 message="Invalid parameter: Subject")
    expect_error(lambda: sns.publish(TopicArn=arn, Message="{}", MessageStructure="json"), "InvalidParameter",
                 contains="No default entry")
    expect_error(lambda: sns.publish(TopicArn=arn, Message="m", MessageAttributes={
        "n": {"DataType": "Number", "StringValue": "many"}}), "ParameterValueInvalid",
        message="Could not cast message attribute 'n' value to number.")
    expect_error(lambda: sns.publish(TopicArn=arn, Message="m", MessageAttributes={
        "x": {"DataType": "Color", "StringValue": "red"}}), "ParameterValueInvalid", contains="supported type prefixes")
    expect_error(lambda: sns.publish(TopicArn=arn, Message="m", MessageDeduplicationId="d"), "InvalidParameter",
                 contains="MessageDeduplicationId")
    out = sns.publish(TopicArn=arn, Message="x" * (256 * 1024))
    assert uuid.UUID(out["MessageId"])
    assert uuid.UUID(sns.publish(TargetArn=arn, Message="m")["MessageId"])


def test_publish_batch(sns, name):
    arn = sns.create_topic(Name=name)["TopicArn"]
    out = sns.publish_batch(TopicArn=arn, PublishBatchRequestEntries=[
        {"Id": "one", "Message": "m1"},
        {"Id": "two", "Message": "m2", "MessageAttributes": {"n": {"DataType": "Number", "StringValue": "x"}}},
    ])
    assert [e["Id"] for e in out["Successful"]] == ["one"]
    assert uuid.UUID(out["Successful"][0]["MessageId"])
    assert out["Failed"] == [{"Id": "two", "Code": "ParameterValueInvalid", "SenderFault": True,
                              "Message": "Could not cast message attribute 'n' value to number."}]
    batch = lambda entries: sns.publish_batch(TopicArn=arn, PublishBatchRequestEntries=entries)  # noqa: E731
    expect_error(lambda: batch([]), "EmptyBatchRequest")
    expect_error(lambda: batch([{"Id": "a", "Message": "m"}] * 2), "BatchEntryIdsNotDistinct")
    expect_error(lambda: batch([{"Id": f"e{i}", "Message": "m"} for i in range(11)]), "TooManyEntriesInBatchRequest")
    expect_error(lambda: batch([{"Id": "a b", "Message": "m"}]), "InvalidBatchEntryId")
    big = "x" * 200_000
    expect_error(lambda: batch([{"Id": "a", "Message": big}, {"Id": "b", "Message": big}]), "BatchRequestTooLong")
    expect_error(lambda: sns.publish_batch(TopicArn=arn_of(name + "-missing"),
                                           PublishBatchRequestEntries=[{"Id": "a", "Message": "m"}]), "NotFound", 404)


# --- delivery to an HTTP subscriber -------------------------------------------------


def test_http_subscriber_confirms_and_receives_signed_notifications(sns, name, subscriber):
    arn = sns.create_topic(Name=name)["TopicArn"]
    sub_arn, confirmation = confirm_http(sns, subscriber, arn)
    headers = confirmation["headers"]
    assert headers["x-amz-sns-message-type"] == "SubscriptionConfirmation"
    assert headers["x-amz-sns-topic-arn"] == arn
    assert headers["x-amz-sns-subscription-arn"] == sub_arn
    assert headers["content-type"] == "text/plain; charset=UTF-8"
    assert confirmation["path"] == "/hook"
    doc = json.loads(confirmation["body"])
    assert doc["Type"] == "SubscriptionConfirmation"
    assert headers["x-amz-sns-message-id"] == doc["MessageId"]
    assert doc["TopicArn"] == arn
    assert doc["Message"].startswith(f"You have chosen to subscribe to the topic {arn}.")
    assert TIMESTAMP_RE.match(doc["Timestamp"]), doc["Timestamp"]
    query = parse_qs(urlparse(doc["SubscribeURL"]).query)
    assert query == {"Action": ["ConfirmSubscription"], "TopicArn": [arn], "Token": [doc["Token"]]}
    verify_signature(doc)
    assert sub_arn.startswith(arn + ":")
    assert [s["SubscriptionArn"] for s in sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]] == [sub_arn]
    attrs = sns.get_subscription_attributes(SubscriptionArn=sub_arn)["Attributes"]
    assert attrs["PendingConfirmation"] == "false"
    assert json.loads(attrs["EffectiveDeliveryPolicy"])["healthyRetryPolicy"]["numRetries"] == 3
    # Confirming again with the same token is harmless.
    assert sns.confirm_subscription(TopicArn=arn, Token=doc["Token"])["SubscriptionArn"] == sub_arn

    out = sns.publish(TopicArn=arn, Message="hello subscriber", Subject="Greeting", MessageAttributes={
        "color": {"DataType": "String", "StringValue": "red"},
        "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"}})
    got = subscriber.next()
    note = json.loads(got["body"])
    assert got["headers"]["x-amz-sns-message-type"] == "Notification"
    assert got["headers"]["x-amz-sns-message-id"] == out["MessageId"]
    assert got["headers"]["x-amz-sns-topic-arn"] == arn
    assert got["headers"]["x-amz-sns-subscription-arn"] == sub_arn
    assert got["headers"]["user-agent"] == "Amazon Simple Notification Service Agent"
    assert note["Type"] == "Notification"
    assert note["MessageId"] == out["MessageId"]
    assert note["TopicArn"] == arn
    assert note["Subject"] == "Greeting"
    assert note["Message"] == "hello subscriber"
    assert TIMESTAMP_RE.match(note["Timestamp"]), note["Timestamp"]
    assert note["MessageAttributes"] == {"color": {"Type": "String", "Value": "red"},
                                         "blob": {"Type": "Binary", "Value": "AAE="}}
    assert parse_qs(urlparse(note["UnsubscribeURL"]).query) == {"Action": ["Unsubscribe"], "SubscriptionArn": [sub_arn]}
    verify_signature(note)
    tampered = dict(note, Message="something else")
    with pytest.raises(Exception):
        verify_signature(tampered)

    # MessageStructure=json: the subscriber gets its protocol's message.
    sns.publish(TopicArn=arn, MessageStructure="json",
                Message=json.dumps({"default": "for everyone", "http": "for http"}))
    assert json.loads(subscriber.next()["body"])["Message"] == "for http"

    # The UnsubscribeURL works unsigned and sends an UnsubscribeConfirmation.
    answer = requests.get(note["UnsubscribeURL"], timeout=10)
    assert answer.status_code == 200, answer.text
    bye = subscriber.next()
    assert bye["headers"]["x-amz-sns-message-type"] == "UnsubscribeConfirmation"
    bye_doc = json.loads(bye["body"])
    assert bye_doc["Message"].startswith(f"You have chosen to deactivate subscription {sub_arn}.")
    verify_signature(bye_doc)
    assert sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"] == []
    sns.publish(TopicArn=arn, Message="after unsubscribe")
    subscriber.nothing_within(0.5)
    # Its SubscribeURL restores the subscription.
    assert requests.get(bye_doc["SubscribeURL"], timeout=10).status_code == 200
    assert [s["SubscriptionArn"] for s in sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]] == [sub_arn]


def test_raw_delivery_and_filter_policies(sns, name, subscriber):
    arn = sns.create_topic(Name=name)["TopicArn"]
    sub_arn, _ = confirm_http(sns, subscriber, arn, attributes={
        "RawMessageDelivery": "true",
        "FilterPolicy": json.dumps({"color": ["red", {"prefix": "bl"}], "price": [{"numeric": [">", 10, "<=", 100]}]}),
    })
    attr = lambda color, price: {"color": {"DataType": "String", "StringValue": color},  # noqa: E731
                                 "price": {"DataType": "Number", "StringValue": str(price)}}
    sns.publish(TopicArn=arn, Message="green is filtered out", MessageAttributes=attr("green", 50))
    sns.publish(TopicArn=arn, Message="too expensive", MessageAttributes=attr("red", 500))
    sns.publish(TopicArn=arn, Message="no attributes")
    sns.publish(TopicArn=arn, Message="blue passes", MessageAttributes=attr("blue", 11))
    got = subscriber.next()
    assert got["body"] == "blue passes"
    assert got["headers"]["x-amz-sns-rawdelivery"] == "true"
    assert got["headers"]["x-amz-sns-message-type"] == "Notification"
    sns.publish(TopicArn=arn, Message="red passes", MessageAttributes=attr("red", 100))
    assert subscriber.next()["body"] == "red passes"

    # Scope MessageBody: the policy applies to the JSON message itself.
    sns.set_subscription_attributes(SubscriptionArn=sub_arn, AttributeName="FilterPolicyScope",
                                    AttributeValue="MessageBody")
    sns.set_subscription_attributes(SubscriptionArn=sub_arn, AttributeName="FilterPolicy",
                                    AttributeValue=json.dumps({"order": {"status": [{"anything-but": "draft"}]}}))
    sns.publish(TopicArn=arn, Message=json.dumps({"order": {"status": "draft"}}))
    sns.publish(TopicArn=arn, Message="not json")
    sns.publish(TopicArn=arn, Message=json.dumps({"order": {"status": "paid"}}))
    assert json.loads(subscriber.next()["body"]) == {"order": {"status": "paid"}}

    # Without a filter policy and without raw delivery: every message, in an envelope.
    sns.set_subscription_attributes(SubscriptionArn=sub_arn, AttributeName="FilterPolicy", AttributeValue="")
    sns.set_subscription_attributes(SubscriptionArn=sub_arn, AttributeName="RawMessageDelivery", AttributeValue="false")
    sns.publish(TopicArn=arn, Message="plain")
    got = subscriber.next()
    assert json.loads(got["body"])["Message"] == "plain"
    assert "x-amz-sns-rawdelivery" not in got["headers"]


def test_server_errors_are_retried_per_the_delivery_policy(sns, name, subscriber):
    arn = sns.create_topic(Name=name)["TopicArn"]
    sub_arn, _ = confirm_http(sns, subscriber, arn)
    policy = {"healthyRetryPolicy": {"numRetries": 2, "numNoDelayRetries": 2, "minDelayTarget": 1,
                                     "maxDelayTarget": 1},
              "requestPolicy": {"headerContentType": "application/json"}}
    sns.set_subscription_attributes(SubscriptionArn=sub_arn, AttributeName="DeliveryPolicy",
                                    AttributeValue=json.dumps(policy))
    effective = json.loads(sns.get_subscription_attributes(SubscriptionArn=sub_arn)["Attributes"]
                           ["EffectiveDeliveryPolicy"])
    assert effective["healthyRetryPolicy"]["numNoDelayRetries"] == 2
    subscriber.statuses[:] = [500, 503]
    message_id = sns.publish(TopicArn=arn, Message="keep trying")["MessageId"]
    attempts = [subscriber.next() for _ in range(3)]
    assert [a["headers"]["x-amz-sns-message-id"] for a in attempts] == [message_id] * 3
    assert attempts[-1]["headers"]["content-type"] == "application/json"
    subscriber.nothing_within(0.5)
    # A client error is final: no retry.
    subscriber.statuses[:] = [404]
    sns.publish(TopicArn=arn, Message="refused")
    subscriber.next()
    subscriber.nothing_within(0.5)


def test_state_and_deliveries_survive_a_restart(start_kinesd, tmp_path, subscriber):
    data_dir = tmp_path / "sns-data"
    server = start_kinesd(data_dir=data_dir)
    sns = sns_client(server.endpoint)
    arn = sns.create_topic(Name="durable", Attributes={"DisplayName": "Durable"},
                           Tags=[{"Key": "keep", "Value": "me"}])["TopicArn"]
    sns.set_topic_attributes(TopicArn=arn, AttributeName="HTTPSuccessFeedbackSampleRate", AttributeValue="0")
    queue_sub = sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=f"arn:aws:sqs:{REGION}:{ACCOUNT}:q")[
        "SubscriptionArn"]
    http_sub, confirmation = confirm_http(sns, subscriber, arn)
    cert_url = json.loads(confirmation["body"])["SigningCertURL"]
    key_file = data_dir / "sns-signing-key.pem"
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert server.stop() == 0

    sns = sns_client(start_kinesd(data_dir=data_dir).endpoint)
    attrs = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attrs["DisplayName"] == "Durable"
    assert attrs["HTTPSuccessFeedbackSampleRate"] == "0"
    assert attrs["SubscriptionsConfirmed"] == "2"
    assert sns.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "keep", "Value": "me"}]
    assert {s["SubscriptionArn"] for s in sns.list_subscriptions()["Subscriptions"]} == {queue_sub, http_sub}
    sns.publish(TopicArn=arn, Message="after restart")
    note = json.loads(subscriber.next()["body"])
    assert note["Message"] == "after restart"
    assert note["SigningCertURL"] == cert_url
    verify_signature(note)


def test_an_acknowledged_publish_is_delivered_after_a_crash(start_kinesd, tmp_path, subscriber):
    """Publish is acknowledged once its deliveries are journaled: a kill -9 while the
    subscriber is failing loses nothing; the restarted server delivers it (at least once)."""
    data_dir = tmp_path / "sns-crash"
    server = start_kinesd(data_dir=data_dir)
    sns = sns_client(server.endpoint)
    arn = sns.create_topic(Name="crash")["TopicArn"]
    sub_arn, _ = confirm_http(sns, subscriber, arn)
    policy = {"healthyRetryPolicy": {"numRetries": 100, "numNoDelayRetries": 0, "minDelayTarget": 1,
                                     "maxDelayTarget": 1, "numMinDelayRetries": 100, "backoffFunction": "linear"}}
    sns.set_subscription_attributes(SubscriptionArn=sub_arn, AttributeName="DeliveryPolicy",
                                    AttributeValue=json.dumps(policy))
    subscriber.statuses[:] = [500] * 1000
    message_id = sns.publish(TopicArn=arn, Message="must survive")["MessageId"]
    assert subscriber.next()["headers"]["x-amz-sns-message-id"] == message_id
    server.kill()
    subscriber.statuses[:] = []
    while not subscriber.received.empty():
        subscriber.received.get()
    start_kinesd(data_dir=data_dir)
    note = subscriber.next()
    assert note["headers"]["x-amz-sns-message-id"] == message_id
    assert json.loads(note["body"])["Message"] == "must survive"
    # Delivered once it succeeded: not sent again.
    subscriber.nothing_within(1.5)
