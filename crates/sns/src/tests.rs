//! Service-level tests: operations on their JSON bodies against a store in a
//! temporary directory, and the deliveries they start.

use serde_json::{json, Value as Json};

use super::*;
use crate::envelope::MessageType;

const REGION: &str = "us-east-1";
const ACCOUNT: &str = "123456789012";

fn open(dir: &Path) -> Sns {
    Sns::open(dir, REGION, ACCOUNT).unwrap()
}

fn signed() -> Caller {
    Caller { signed: true, base_url: "http://127.0.0.1:4567".into() }
}

fn anonymous() -> Caller {
    Caller { signed: false, base_url: String::new() }
}

fn call_as(sns: &Sns, caller: &Caller, op: &str, body: Json) -> SResult<(Json, Vec<Job>)> {
    let outcome = sns.call_blocking(op, body.to_string().as_bytes(), caller)?;
    Ok((serde_json::from_slice(&outcome.body).unwrap(), outcome.jobs))
}

fn call(sns: &Sns, op: &str, body: Json) -> SResult<Json> {
    call_as(sns, &signed(), op, body).map(|(out, _)| out)
}

fn topic_arn(name: &str) -> String {
    format!("arn:aws:sns:{REGION}:{ACCOUNT}:{name}")
}

fn create(sns: &Sns, name: &str) -> String {
    call(sns, "CreateTopic", json!({"Name": name})).unwrap()["TopicArn"].as_str().unwrap().to_string()
}

fn attributes(sns: &Sns, arn: &str) -> Json {
    call(sns, "GetTopicAttributes", json!({"TopicArn": arn})).unwrap()["Attributes"].clone()
}

/// Subscribes an HTTP endpoint and confirms it with the token of the confirmation job.
fn confirmed_http(sns: &Sns, arn: &str, endpoint: &str, attributes: Json) -> String {
    let body = json!({"TopicArn": arn, "Protocol": "http", "Endpoint": endpoint, "Attributes": attributes});
    let (out, jobs) = call_as(sns, &signed(), "Subscribe", body).unwrap();
    assert_eq!(out["SubscriptionArn"], "pending confirmation");
    assert_eq!(jobs.len(), 1);
    let token = envelope(&jobs[0])["Token"].as_str().unwrap().to_string();
    let (out, _) = call_as(sns, &anonymous(), "ConfirmSubscription", json!({"TopicArn": arn, "Token": token})).unwrap();
    out["SubscriptionArn"].as_str().unwrap().to_string()
}

fn envelope(job: &Job) -> Json {
    serde_json::from_slice(&job.body).unwrap()
}

#[test]
fn create_topic_is_idempotent_and_refuses_different_attributes() {
    let dir = tempfile::tempdir().unwrap();
    let sns = open(dir.path());
    let body = json!({"Name": "orders", "Attributes": {"DisplayName": "Orders"}});
    let arn = call(&sns, "CreateTopic", body.clone()).unwrap()["TopicArn"].clone();
    assert_eq!(arn, topic_arn("orders"));
    assert_eq!(call(&sns, "CreateTopic", body).unwrap()["TopicArn"], arn);
    assert_eq!(call(&sns, "CreateTopic", json!({"Name": "orders"})).unwrap()["TopicArn"], arn);
    let err = call(&sns, "CreateTopic", json!({"Name": "orders", "Attributes": {"DisplayName": "Other"}})).unwrap_err();
    assert_eq!(err.code, "InvalidParameter");
    assert!(err.message.contains("already exists with different attributes"), "{}", err.message);
}

#[test]
fn topic_names_and_fifo_rules() {
    let dir = tempfile::tempdir().unwrap();
    let sns = open(dir.path());
    let code = |body: Json| call(&sns, "CreateTopic", body).unwrap_err();
    assert_eq!(code(json!({"Name": "bad name"})).message, "Invalid parameter: Topic Name");
    assert_eq!(code(json!({"Name": "x.fifo"})).message, "Invalid parameter: Topic Name");
    assert!(code(json!({"Name": "x", "Attributes": {"FifoTopic": "true"}})).message.contains("must end with .fifo"));
    assert_eq!(code(json!({})).code, "InvalidParameter");
    let fifo = call(&sns, "CreateTopic", json!({"Name": "q.fifo", "Attributes": {"FifoTopic": "true"}})).unwrap();
    let attrs = attributes(&sns, fifo["TopicArn"].as_str().unwrap());
    assert_eq!(
        (attrs["FifoTopic"].as_str(), attrs["ContentBasedDeduplication"].as_str()),
        (Some("true"), Some("false"))
    );
}

#[test]
fn get_topic_attributes_answers_aws_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let sns = open(dir.path());
    let arn = create(&sns, "t");
    let attrs = attributes(&sns, &arn);
    assert_eq!(attrs["TopicArn"], arn);
    assert_eq!(attrs["Owner"], ACCOUNT);
    assert_eq!(attrs["DisplayName"], "");
    assert_eq!(attrs["SubscriptionsConfirmed"], "0");
    assert_eq!(attrs["SubscriptionsPending"], "0");
    assert_eq!(attrs["SubscriptionsDeleted"], "0");
    let policy: Json = serde_json::from_str(attrs["Policy"].as_str().unwrap()).unwrap();
    assert_eq!(policy["Id"], "__default_policy_ID");
    let effective: Json = serde_json::from_str(attrs["EffectiveDeliveryPolicy"].as_str().unwrap()).unwrap();
    assert_eq!(effective["http"]["defaultHealthyRetryPolicy"]["numRetries"], 3);
    let missing = call(&sns, "GetTopicAttributes", json!({"TopicArn": topic_arn("nope")})).unwrap_err();
    assert_eq!((missing.status, missing.code, missing.message.as_str()), (404, "NotFound", "Topic does not exist"));
}

#[test]
fn set_topic_attributes_sets_known_names_only() {
    let dir = tempfile::tempdir().unwrap();
    let sns = open(dir.path());
    let arn = create(&sns, "t");
    for rate in
        ["ApplicationSuccessFeedbackSampleRate", "HTTPSuccessFeedbackSampleRate", "SQSSuccessFeedbackSampleRate"]
    {
        call(&sns, "SetTopicAttributes", json!({"TopicArn": arn, "AttributeName": rate, "AttributeValue": "0"}))
            .unwrap();
    }
    call(&sns, "SetTopicAttributes", json!({"TopicArn": arn, "AttributeName": "DisplayName", "AttributeValue": "D"}))
        .unwrap();
    let attrs = attributes(&sns, &arn);
    assert_eq!(attrs["HTTPSuccessFeedbackSampleRate"], "0");
    assert_eq!(attrs["DisplayName"], "D");
    let err =
        call(&sns, "SetTopicAttributes", json!({"TopicArn": arn, "AttributeName": "Color", "AttributeValue": "x"}))
            .unwrap_err();
    assert_eq!(err.message, "Invalid parameter: AttributeName");
}

#[test]
fn list_topics_pages_by_100() {
    let dir = tempfile::tempdir().unwrap();
    let sns = open(dir.path());
    for i in 0..150 {
        create(&sns, &format!("t{i:03}"));
    }
    let first = call(&sns, "ListTopics", json!({})).unwrap();
    assert_eq!(first["Topics"].as_array().unwrap().len(), 100);
    let token = first["NextToken"].as_str().unwrap();
    let second = call(&sns, "ListTopics", json!({"NextToken": token})).unwrap();
    assert_eq!(second["Topics"].as_array().unwrap().len(), 50);
    assert!(second.get("NextToken").is_none());
    assert_eq!(second["Topics"][49]["TopicArn"], topic_arn("t149"));
    assert_eq!(
        call(&sns, "ListTopics", json!({"NextToken": "a b"})).unwrap_err().message,
        "Invalid parameter: NextToken"
    );
}

#[test]
fn tags_are_bounded_and_resource_not_found_for_missing_topics() {
    let dir = tempfile::tempdir().unwrap();
    let sns = open(dir.path());
    let arn = create(&sns, "t");
    let tags: Vec<Json> = (0..50).map(|i| json!({"Key": format!("k{i}"), "Value": "v"})).collect();
    call(&sns, "TagResource", json!({"ResourceArn": arn, "Tags": tags})).unwrap();
    let err = call(&sns, "TagResource", json!({"ResourceArn": arn, "Tags": [{"Key": "one-more", "Value": "v"}]}))
        .unwrap_err();
    assert_eq!(err.code, "TagLimitExceeded");
    call(&sns, "UntagResource", json!({"ResourceArn": arn, "TagKeys": ["k0", "k1"]})).unwrap();
    let listed = call(&sns, "ListTagsForResource", json!({"ResourceArn": arn})).unwrap();
    assert_eq!(listed["Tags"].as_array().unwrap().len(), 48);
    let missing = call(&sns, "ListTagsForResource", json!({"ResourceArn": topic_arn("nope")})).unwrap_err();
    assert_eq!((missing.status, missing.code), (404, "ResourceNotFound"));
}

#[test]
fn http_subscription_confirms_publishes_signed_envelopes_and_filters() {
    let dir = tempfile::tempdir().unwrap();
    let sns = open(dir.path());
    let arn = create(&sns, "t");
    let endpoint = "http://127.0.0.1:9/hook";
    let (out, jobs) =
        call_as(&sns, &signed(), "Subscribe", json!({"TopicArn": arn, "Protocol": "http", "Endpoint": endpoint}))
            .unwrap();
    assert_eq!(out["SubscriptionArn"], "pending confirmation");
    let confirmation = envelope(&jobs[0]);
    assert_eq!(jobs[0].message_type, MessageType::SubscriptionConfirmation);
    assert_eq!(confirmation["Type"], "SubscriptionConfirmation");
    let token = confirmation["Token"].as_str().unwrap();
    assert_eq!(
        confirmation["SubscribeURL"],
        format!("http://127.0.0.1:4567/?Action=ConfirmSubscription&TopicArn={arn}&Token={token}")
    );
    assert_eq!(attributes(&sns, &arn)["SubscriptionsPending"], "1");
    let listed = call(&sns, "ListSubscriptionsByTopic", json!({"TopicArn": arn})).unwrap();
    assert_eq!(listed["Subscriptions"][0]["SubscriptionArn"], "PendingConfirmation");
    // Nothing is delivered before the confirmation.
    let (_, jobs) = call_as(&sns, &signed(), "Publish", json!({"TopicArn": arn, "Message": "early"})).unwrap();
    assert!(jobs.is_empty());

    let bad = call_as(&sns, &anonymous(), "ConfirmSubscription", json!({"TopicArn": arn, "Token": "abc"})).unwrap_err();
    assert_eq!(bad.message, "Invalid parameter: Token");
    let (out, _) =
        call_as(&sns, &anonymous(), "ConfirmSubscription", json!({"TopicArn": arn, "Token": token})).unwrap();
    let sub_arn = out["SubscriptionArn"].as_str().unwrap().to_string();
    assert!(sub_arn.starts_with(&format!("{arn}:")));
    assert_eq!(attributes(&sns, &arn)["SubscriptionsConfirmed"], "1");

    let (out, jobs) = call_as(
        &sns,
        &signed(),
        "Publish",
        json!({"TopicArn": arn, "Message": "hello", "Subject": "greeting",
               "MessageAttributes": {"color": {"DataType": "String", "StringValue": "red"}}}),
    )
    .unwrap();
    assert_eq!(jobs.len(), 1);
    let note = envelope(&jobs[0]);
    assert_eq!(note["Type"], "Notification");
    assert_eq!(note["MessageId"], out["MessageId"]);
    assert_eq!(note["TopicArn"], arn);
    assert_eq!(note["Subject"], "greeting");
    assert_eq!(note["Message"], "hello");
    assert_eq!(note["SignatureVersion"], "2");
    assert_eq!(note["MessageAttributes"]["color"], json!({"Type": "String", "Value": "red"}));
    assert_eq!(note["UnsubscribeURL"], format!("http://127.0.0.1:4567/?Action=Unsubscribe&SubscriptionArn={sub_arn}"));
    assert_eq!(jobs[0].subscription_arn, sub_arn);
    assert!(note["Timestamp"].as_str().unwrap().ends_with('Z'));

    call(
        &sns,
        "SetSubscriptionAttributes",
        json!({"SubscriptionArn": sub_arn, "AttributeName": "FilterPolicy", "AttributeValue": r#"{"color": ["blue"]}"#}),
    )
    .unwrap();
    let red = json!({"TopicArn": arn, "Message": "m", "MessageAttributes": {"color": {"DataType": "String", "StringValue": "red"}}});
    assert!(call_as(&sns, &signed(), "Publish", red).unwrap().1.is_empty());
    let blue = json!({"TopicArn": arn, "Message": "m", "MessageAttributes": {"color": {"DataType": "String", "StringValue": "blue"}}});
    assert_eq!(call_as(&sns, &signed(), "Publish", blue.clone()).unwrap().1.len(), 1);

    call(
        &sns,
        "SetSubscriptionAttributes",
        json!({"SubscriptionArn": sub_arn, "AttributeName": "RawMessageDelivery", "AttributeValue": "true"}),
    )
    .unwrap();
    let jobs = call_as(&sns, &signed(), "Publish", blue).unwrap().1;
    assert_eq!((&jobs[0].body[..], jobs[0].raw), (&b"m"[..], true));
    let attrs =
        call(&sns, "GetSubscriptionAttributes", json!({"SubscriptionArn": sub_arn})).unwrap()["Attributes"].clone();
    assert_eq!(attrs["RawMessageDelivery"], "true");
    assert_eq!(attrs["FilterPolicyScope"], "MessageAttributes");
    assert_eq!(attrs["PendingConfirmation"], "false");
    assert_eq!(attrs["Endpoint"], endpoint);
}

#[test]
fn message_structure_json_picks_the_protocol_message() {
    let dir = tempfile::tempdir().unwrap();
    let sns = open(dir.path());
    let arn = create(&sns, "t");
    confirmed_http(&sns, &arn, "http://127.0.0.1:9/", json!({}));
    let body =
        json!({"TopicArn": arn, "MessageStructure": "json", "Message": r#"{"default": "d", "http": "for http"}"#});
    let jobs = call_as(&sns, &signed(), "Publish", body).unwrap().1;
    assert_eq!(envelope(&jobs[0])["Message"], "for http");
}

#[test]
fn unsubscribe_sends_confirmation_whose_url_restores_the_subscription() {
    let dir = tempfile::tempdir().unwrap();
    let sns = open(dir.path());
    let arn = create(&sns, "t");
    let sub_arn = confirmed_http(&sns, &arn, "http://127.0.0.1:9/", json!({}));
    let (_, jobs) = call_as(&sns, &signed(), "Unsubscribe", json!({"SubscriptionArn": sub_arn})).unwrap();
    let note = envelope(&jobs[0]);
    assert_eq!(note["Type"], "UnsubscribeConfirmation");
    assert_eq!(attributes(&sns, &arn)["SubscriptionsDeleted"], "1");
    let gone = call(&sns, "GetSubscriptionAttributes", json!({"SubscriptionArn": sub_arn})).unwrap_err();
    assert_eq!((gone.code, gone.message.as_str()), ("NotFound", "Subscription does not exist"));
    let token = note["Token"].as_str().unwrap();
    let (out, _) =
        call_as(&sns, &anonymous(), "ConfirmSubscription", json!({"TopicArn": arn, "Token": token})).unwrap();
    assert_eq!(out["SubscriptionArn"], sub_arn);
    assert_eq!(attributes(&sns, &arn)["SubscriptionsConfirmed"], "1");
}

#[test]
fn authenticated_subscriptions_refuse_anonymous_unsubscribe() {
    let dir = tempfile::tempdir().unwrap();
    let sns = open(dir.path());
    let arn = create(&sns, "t");
    let (_, jobs) = call_as(
        &sns,
        &signed(),
        "Subscribe",
        json!({"TopicArn": arn, "Protocol": "https", "Endpoint": "https://example.com/", "ReturnSubscriptionArn": true}),
    )
    .unwrap();
    let token = envelope(&jobs[0])["Token"].as_str().unwrap().to_string();
    let body = json!({"TopicArn": arn, "Token": token, "AuthenticateOnUnsubscribe": "true"});
    let sub_arn = call(&sns, "ConfirmSubscription", body).unwrap()["SubscriptionArn"].as_str().unwrap().to_string();
    let attrs =
        call(&sns, "GetSubscriptionAttributes", json!({"SubscriptionArn": sub_arn})).unwrap()["Attributes"].clone();
    assert_eq!(attrs["ConfirmationWasAuthenticated"], "true");
    let err = call_as(&sns, &anonymous(), "Unsubscribe", json!({"SubscriptionArn": sub_arn})).unwrap_err();
    assert_eq!((err.status, err.code), (403, "AuthorizationError"));
    call(&sns, "Unsubscribe", json!({"SubscriptionArn": sub_arn})).unwrap();
}

#[test]
fn other_protocols_are_stored_confirmed_and_not_delivered() {
    let dir = tempfile::tempdir().unwrap();
    let sns = open(dir.path());
    let arn = create(&sns, "t");
    let queue = "arn:aws:sqs:us-east-1:123456789012:q";
    let out = call(&sns, "Subscribe", json!({"TopicArn": arn, "Protocol": "sqs", "Endpoint": queue})).unwrap();
    let sub_arn = out["SubscriptionArn"].as_str().unwrap();
    assert!(sub_arn.starts_with(&arn));
    let again = call(&sns, "Subscribe", json!({"TopicArn": arn, "Protocol": "sqs", "Endpoint": queue})).unwrap();
    assert_eq!(again["SubscriptionArn"], sub_arn);
    let differ =
        json!({"TopicArn": arn, "Protocol": "sqs", "Endpoint": queue, "Attributes": {"RawMessageDelivery": "true"}});
    assert!(call(&sns, "Subscribe", differ).unwrap_err().message.contains("different attributes"));
    let email =
        call(&sns, "Subscribe", json!({"TopicArn": arn, "Protocol": "email", "Endpoint": "a@example.com"})).unwrap();
    assert_eq!(email["SubscriptionArn"], "pending confirmation");
    let bad = call(&sns, "Subscribe", json!({"TopicArn": arn, "Protocol": "pigeon", "Endpoint": "x"})).unwrap_err();
    assert!(bad.message.contains("does not support this protocol string: pigeon"));
    assert!(call_as(&sns, &signed(), "Publish", json!({"TopicArn": arn, "Message": "m"})).unwrap().1.is_empty());
    let all = call(&sns, "ListSubscriptions", json!({})).unwrap();
    assert_eq!(all["Subscriptions"].as_array().unwrap().len(), 2);
}

#[test]
fn fifo_publish_needs_group_and_deduplicates() {
    let dir = tempfile::tempdir().unwrap();
    let sns = open(dir.path());
    let arn = call(&sns, "CreateTopic", json!({"Name": "f.fifo", "Attributes": {"FifoTopic": "true"}})).unwrap()
        ["TopicArn"]
        .as_str()
        .unwrap()
        .to_string();
    let err = call(&sns, "Publish", json!({"TopicArn": arn, "Message": "m"})).unwrap_err();
    assert!(err.message.contains("MessageGroupId"), "{}", err.message);
    let err = call(&sns, "Publish", json!({"TopicArn": arn, "Message": "m", "MessageGroupId": "g"})).unwrap_err();
    assert!(err.message.contains("ContentBasedDeduplication"), "{}", err.message);
    let body = json!({"TopicArn": arn, "Message": "m", "MessageGroupId": "g", "MessageDeduplicationId": "d"});
    let first = call(&sns, "Publish", body.clone()).unwrap();
    assert_eq!(first["SequenceNumber"].as_str().unwrap().len(), 20);
    assert_eq!(call(&sns, "Publish", body).unwrap(), first);
    let http = json!({"TopicArn": arn, "Protocol": "http", "Endpoint": "http://127.0.0.1:9/"});
    assert!(call(&sns, "Subscribe", http).unwrap_err().message.contains("FIFO"));
    let std = create(&sns, "s");
    let err =
        call(&sns, "Publish", json!({"TopicArn": std, "Message": "m", "MessageDeduplicationId": "d"})).unwrap_err();
    assert!(err.message.contains("MessageDeduplicationId"));
}

#[test]
fn publish_batch_reports_entries_and_refuses_bad_batches() {
    let dir = tempfile::tempdir().unwrap();
    let sns = open(dir.path());
    let arn = create(&sns, "t");
    let out = call(
        &sns,
        "PublishBatch",
        json!({"TopicArn": arn, "PublishBatchRequestEntries": [
            {"Id": "ok", "Message": "m"}, {"Id": "empty", "Message": ""}]}),
    )
    .unwrap();
    assert_eq!(out["Successful"][0]["Id"], "ok");
    assert_eq!(out["Failed"][0]["Id"], "empty");
    assert_eq!(out["Failed"][0]["Code"], "InvalidParameter");
    assert_eq!(out["Failed"][0]["SenderFault"], true);
    let code = |entries: Json| {
        call(&sns, "PublishBatch", json!({"TopicArn": arn, "PublishBatchRequestEntries": entries})).unwrap_err().code
    };
    assert_eq!(code(json!([])), "EmptyBatchRequest");
    assert_eq!(code(json!([{"Id": "a", "Message": "m"}, {"Id": "a", "Message": "m"}])), "BatchEntryIdsNotDistinct");
    assert_eq!(code(json!([{"Id": "a b", "Message": "m"}])), "InvalidBatchEntryId");
    let eleven: Vec<Json> = (0..11).map(|i| json!({"Id": format!("e{i}"), "Message": "m"})).collect();
    assert_eq!(code(json!(eleven)), "TooManyEntriesInBatchRequest");
    let big = "x".repeat(150_000);
    assert_eq!(code(json!([{"Id": "a", "Message": big}, {"Id": "b", "Message": big}])), "BatchRequestTooLong");
}

#[test]
fn publish_errors_name_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let sns = open(dir.path());
    let arn = create(&sns, "t");
    let err = |body: Json| call(&sns, "Publish", body).unwrap_err();
    assert!(err(json!({"Message": "m"})).message.contains("TopicArn or TargetArn"));
    assert_eq!(err(json!({"TopicArn": topic_arn("nope"), "Message": "m"})).code, "NotFound");
    assert_eq!(err(json!({"TopicArn": "nope", "Message": "m"})).message, "Invalid parameter: TopicArn");
    let other = err(json!({"TopicArn": "arn:aws:sns:us-east-1:999999999999:t", "Message": "m"}));
    assert_eq!((other.status, other.code), (403, "AuthorizationError"));
    assert!(err(json!({"TopicArn": arn, "Message": "x".repeat(262_145)})).message.contains("too long"));
    assert_eq!(
        call(&sns, "Publish", json!({"TargetArn": arn, "Message": "m"})).unwrap()["MessageId"].as_str().unwrap().len(),
        36
    );
}

#[test]
fn delete_topic_removes_subscriptions_and_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let sns = open(dir.path());
    let arn = create(&sns, "t");
    let sub =
        call(&sns, "Subscribe", json!({"TopicArn": arn, "Protocol": "sqs", "Endpoint": "arn:aws:sqs:us-east-1:1:q"}))
            .unwrap()["SubscriptionArn"]
            .as_str()
            .unwrap()
            .to_string();
    call(&sns, "DeleteTopic", json!({"TopicArn": arn})).unwrap();
    call(&sns, "DeleteTopic", json!({"TopicArn": arn})).unwrap();
    assert_eq!(call(&sns, "GetSubscriptionAttributes", json!({"SubscriptionArn": sub})).unwrap_err().code, "NotFound");
    assert_eq!(call(&sns, "ListSubscriptions", json!({})).unwrap()["Subscriptions"], json!([]));
}

#[test]
fn state_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let (arn, sub_arn) = {
        let sns = open(dir.path());
        let arn = call(&sns, "CreateTopic", json!({"Name": "keep", "Tags": [{"Key": "k", "Value": "v"}]})).unwrap()
            ["TopicArn"]
            .as_str()
            .unwrap()
            .to_string();
        let sub_arn = confirmed_http(&sns, &arn, "http://127.0.0.1:9/", json!({"RawMessageDelivery": "true"}));
        (arn, sub_arn)
    };
    let sns = open(dir.path());
    assert_eq!(attributes(&sns, &arn)["SubscriptionsConfirmed"], "1");
    let tags = call(&sns, "ListTagsForResource", json!({"ResourceArn": arn})).unwrap();
    assert_eq!(tags["Tags"], json!([{"Key": "k", "Value": "v"}]));
    let attrs =
        call(&sns, "GetSubscriptionAttributes", json!({"SubscriptionArn": sub_arn})).unwrap()["Attributes"].clone();
    assert_eq!(attrs["RawMessageDelivery"], "true");
}
