use std::sync::atomic::{AtomicI64, Ordering};

use serde_json::{json, Value};

use super::*;

const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";
const ROLE: &str = "arn:aws:iam::123456789012:role/firehose";
const BUCKET: &str = "arn:aws:s3:::bucket";
const START_MS: i64 = 1_700_000_000_000;

/// A Firehose over a temporary directory with a clock the test moves.
struct Harness {
    dir: tempfile::TempDir,
    now: Arc<AtomicI64>,
    firehose: Firehose,
}

impl Harness {
    fn new() -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let now = Arc::new(AtomicI64::new(START_MS));
        let firehose = open(&dir, &now);
        Harness { dir, now, firehose }
    }

    fn reopen(&mut self) {
        self.firehose = open(&self.dir, &self.now);
    }

    fn advance(&self, ms: i64) {
        self.now.fetch_add(ms, Ordering::SeqCst);
    }

    fn call(&self, op: &str, body: Value) -> FResult<Value> {
        let out = self.firehose.call_blocking(op, body.to_string().as_bytes())?;
        Ok(serde_json::from_slice(&out).unwrap())
    }

    fn describe(&self, name: &str) -> Value {
        self.call("DescribeDeliveryStream", json!({"DeliveryStreamName": name})).unwrap()["DeliveryStreamDescription"]
            .clone()
    }

    /// Creates a DirectPut stream to S3 and lets it become ACTIVE.
    fn create_active(&self, name: &str) {
        self.call(
            "CreateDeliveryStream",
            json!({"DeliveryStreamName": name, "ExtendedS3DestinationConfiguration": {"RoleARN": ROLE, "BucketARN": BUCKET}}),
        )
        .unwrap();
        self.advance(CREATING_DURATION_MS);
    }
}

fn open(dir: &tempfile::TempDir, now: &Arc<AtomicI64>) -> Firehose {
    let now = now.clone();
    Firehose::open_with_clock(dir.path(), REGION, ACCOUNT, Arc::new(move || now.load(Ordering::SeqCst))).unwrap()
}

/// The ExtendedS3 configuration the Terraform AWS provider sends for a plain
/// `extended_s3_configuration` block.
fn terraform_extended_s3() -> Value {
    json!({
        "RoleARN": ROLE,
        "BucketARN": BUCKET,
        "BufferingHints": {"IntervalInSeconds": 300, "SizeInMBs": 5},
        "CompressionFormat": "UNCOMPRESSED",
        "CustomTimeZone": "UTC",
        "DataFormatConversionConfiguration": {"Enabled": false},
        "EncryptionConfiguration": {"NoEncryptionConfig": "NoEncryption"},
        "FileExtension": "",
        "Prefix": "",
        "ErrorOutputPrefix": "errors/",
        "ProcessingConfiguration": {"Enabled": false, "Processors": []},
        "CloudWatchLoggingOptions": {"Enabled": false, "LogGroupName": "", "LogStreamName": ""},
        "S3BackupMode": "Disabled"
    })
}

#[test]
fn extended_s3_round_trips_exactly_and_survives_reopen() {
    let mut h = Harness::new();
    let config = terraform_extended_s3();
    let created = h
        .call(
            "CreateDeliveryStream",
            json!({
                "DeliveryStreamName": "tf-stream",
                "DeliveryStreamType": "DirectPut",
                "ExtendedS3DestinationConfiguration": config,
                "Tags": [{"Key": "env", "Value": "test"}, {"Key": "bare"}]
            }),
        )
        .unwrap();
    let arn = "arn:aws:firehose:us-east-1:123456789012:deliverystream/tf-stream";
    assert_eq!(created, json!({"DeliveryStreamARN": arn}));
    h.reopen();
    let d = h.describe("tf-stream");
    assert_eq!(d["DeliveryStreamName"], "tf-stream");
    assert_eq!(d["DeliveryStreamARN"], arn);
    assert_eq!(d["DeliveryStreamStatus"], "CREATING");
    assert_eq!(d["DeliveryStreamType"], "DirectPut");
    assert_eq!(d["VersionId"], "1");
    assert_eq!(d["CreateTimestamp"], json!(1_700_000_000.0));
    assert_eq!(d["DeliveryStreamEncryptionConfiguration"], json!({"Status": "DISABLED"}));
    assert_eq!(d["HasMoreDestinations"], false);
    assert!(d.get("Source").is_none());
    let dest = &d["Destinations"][0];
    assert_eq!(dest["DestinationId"], DESTINATION_ID);
    assert_eq!(dest["ExtendedS3DestinationDescription"], config);
    assert_eq!(
        dest["S3DestinationDescription"],
        json!({
            "RoleARN": ROLE,
            "BucketARN": BUCKET,
            "Prefix": "",
            "ErrorOutputPrefix": "errors/",
            "BufferingHints": {"IntervalInSeconds": 300, "SizeInMBs": 5},
            "CompressionFormat": "UNCOMPRESSED",
            "EncryptionConfiguration": {"NoEncryptionConfig": "NoEncryption"},
            "CloudWatchLoggingOptions": {"Enabled": false, "LogGroupName": "", "LogStreamName": ""}
        })
    );
    let tags = h.call("ListTagsForDeliveryStream", json!({"DeliveryStreamName": "tf-stream"})).unwrap();
    assert_eq!(tags, json!({"Tags": [{"Key": "bare"}, {"Key": "env", "Value": "test"}], "HasMoreTags": false}));
}

#[test]
fn absent_s3_settings_get_aws_defaults() {
    let h = Harness::new();
    h.create_active("plain");
    let d = h.describe("plain");
    let expected_s3 = json!({
        "RoleARN": ROLE,
        "BucketARN": BUCKET,
        "BufferingHints": {"IntervalInSeconds": 300, "SizeInMBs": 5},
        "CompressionFormat": "UNCOMPRESSED",
        "EncryptionConfiguration": {"NoEncryptionConfig": "NoEncryption"},
        "CloudWatchLoggingOptions": {"Enabled": false}
    });
    let mut expected_extended = expected_s3.clone();
    expected_extended["S3BackupMode"] = json!("Disabled");
    assert_eq!(d["Destinations"][0]["S3DestinationDescription"], expected_s3);
    assert_eq!(d["Destinations"][0]["ExtendedS3DestinationDescription"], expected_extended);
}

#[test]
fn status_is_creating_until_the_creating_duration_has_passed() {
    let h = Harness::new();
    h.call(
        "CreateDeliveryStream",
        json!({"DeliveryStreamName": "s", "S3DestinationConfiguration": {"RoleARN": ROLE, "BucketARN": BUCKET}}),
    )
    .unwrap();
    assert_eq!(h.describe("s")["DeliveryStreamStatus"], "CREATING");
    let early = h.call("DeleteDeliveryStream", json!({"DeliveryStreamName": "s"})).unwrap_err();
    assert_eq!(early.code, "ResourceInUseException");
    h.advance(CREATING_DURATION_MS - 1);
    assert_eq!(h.describe("s")["DeliveryStreamStatus"], "CREATING");
    h.advance(1);
    assert_eq!(h.describe("s")["DeliveryStreamStatus"], "ACTIVE");
    h.call("DeleteDeliveryStream", json!({"DeliveryStreamName": "s"})).unwrap();
    let gone = h.call("DescribeDeliveryStream", json!({"DeliveryStreamName": "s"})).unwrap_err();
    assert_eq!(gone.code, "ResourceNotFoundException");
}

#[test]
fn update_destination_merges_bumps_version_and_checks_the_version() {
    let mut h = Harness::new();
    h.create_active("u");
    h.advance(5_000);
    let update = json!({
        "DeliveryStreamName": "u",
        "CurrentDeliveryStreamVersionId": "1",
        "DestinationId": DESTINATION_ID,
        "ExtendedS3DestinationUpdate": {"Prefix": "data/", "BufferingHints": {"SizeInMBs": 64, "IntervalInSeconds": 60}}
    });
    assert_eq!(h.call("UpdateDestination", update.clone()).unwrap(), json!({}));
    h.reopen();
    let d = h.describe("u");
    assert_eq!(d["VersionId"], "2");
    assert_eq!(d["LastUpdateTimestamp"], json!((START_MS + CREATING_DURATION_MS + 5_000) as f64 / 1000.0));
    let ext = &d["Destinations"][0]["ExtendedS3DestinationDescription"];
    assert_eq!(ext["Prefix"], "data/");
    assert_eq!(ext["BufferingHints"], json!({"SizeInMBs": 64, "IntervalInSeconds": 60}));
    assert_eq!(ext["BucketARN"], BUCKET);
    assert_eq!(ext["CompressionFormat"], "UNCOMPRESSED");

    let stale = h.call("UpdateDestination", update).unwrap_err();
    assert_eq!(stale.code, "ConcurrentModificationException");
    assert_eq!(
        stale.message,
        "Cannot update firehose: u since the current version id: 2 and specified version id: 1 do not match"
    );
    let wrong_id = h
        .call(
            "UpdateDestination",
            json!({"DeliveryStreamName": "u", "CurrentDeliveryStreamVersionId": "2",
                   "DestinationId": "destinationId-000000000002", "S3DestinationUpdate": {"Prefix": "x/"}}),
        )
        .unwrap_err();
    assert_eq!(wrong_id.code, "InvalidArgumentException");
    // S3DestinationUpdate merges into the (Extended)S3 destination.
    h.call(
        "UpdateDestination",
        json!({"DeliveryStreamName": "u", "CurrentDeliveryStreamVersionId": "2",
               "DestinationId": DESTINATION_ID, "S3DestinationUpdate": {"Prefix": "s3/"}}),
    )
    .unwrap();
    let d = h.describe("u");
    assert_eq!(d["VersionId"], "3");
    assert_eq!(d["Destinations"][0]["S3DestinationDescription"]["Prefix"], "s3/");
    assert_eq!(d["Destinations"][0]["ExtendedS3DestinationDescription"]["BufferingHints"]["SizeInMBs"], 64);
}

#[test]
fn update_to_another_kind_needs_a_complete_configuration_and_changes_nothing_when_refused() {
    let h = Harness::new();
    h.create_active("k");
    let before = h.describe("k");
    let incomplete = h
        .call(
            "UpdateDestination",
            json!({"DeliveryStreamName": "k", "CurrentDeliveryStreamVersionId": "1", "DestinationId": DESTINATION_ID,
                   "HttpEndpointDestinationUpdate": {"EndpointConfiguration": {"Url": "https://example.com"}}}),
        )
        .unwrap_err();
    assert_eq!(incomplete.code, "InvalidArgumentException");
    assert!(incomplete.message.contains("s3Configuration"), "{}", incomplete.message);
    let search = h
        .call(
            "UpdateDestination",
            json!({"DeliveryStreamName": "k", "CurrentDeliveryStreamVersionId": "1", "DestinationId": DESTINATION_ID,
                   "AmazonopensearchserviceDestinationUpdate": {"IndexName": "i"}}),
        )
        .unwrap_err();
    assert_eq!(search.message, "Changing the destination type to or from Amazonopensearchservice is not supported.");
    assert_eq!(h.describe("k"), before);
    h.call(
        "UpdateDestination",
        json!({"DeliveryStreamName": "k", "CurrentDeliveryStreamVersionId": "1", "DestinationId": DESTINATION_ID,
               "HttpEndpointDestinationUpdate": {
                   "EndpointConfiguration": {"Url": "https://example.com", "Name": "ex", "AccessKey": "secret"},
                   "S3Update": {"RoleARN": ROLE, "BucketARN": BUCKET}}}),
    )
    .unwrap();
    let d = h.describe("k");
    let dest = &d["Destinations"][0];
    assert!(dest.get("ExtendedS3DestinationDescription").is_none());
    assert_eq!(
        dest["HttpEndpointDestinationDescription"]["EndpointConfiguration"],
        json!({"Url": "https://example.com", "Name": "ex"})
    );
    assert_eq!(
        dest["HttpEndpointDestinationDescription"]["S3DestinationDescription"]["CompressionFormat"],
        "UNCOMPRESSED"
    );
}

#[test]
fn every_destination_kind_is_accepted_and_described() {
    let h = Harness::new();
    let s3 = json!({"RoleARN": ROLE, "BucketARN": BUCKET});
    // Snowflake private keys are 256+ characters of base64.
    let cases = [
        (
            "RedshiftDestinationConfiguration",
            json!({"RoleARN": ROLE, "ClusterJDBCURL": "jdbc:redshift://c.abc.us-east-1.redshift.amazonaws.com:5439/dev", "CopyCommand": {"DataTableName": "t"}, "Username": "u", "Password": "hidden-pw", "S3Configuration": s3}),
        ),
        (
            "ElasticsearchDestinationConfiguration",
            json!({"RoleARN": ROLE, "IndexName": "i", "DomainARN": "arn:aws:es:us-east-1:123456789012:domain/dom", "S3Configuration": s3}),
        ),
        (
            "AmazonopensearchserviceDestinationConfiguration",
            json!({"RoleARN": ROLE, "IndexName": "i", "S3Configuration": s3, "VpcConfiguration": {"SubnetIds": ["subnet-1"], "RoleARN": ROLE, "SecurityGroupIds": ["sg-1"]}}),
        ),
        (
            "SplunkDestinationConfiguration",
            json!({"HECEndpoint": "https://splunk", "HECEndpointType": "Raw", "HECToken": "tok", "S3Configuration": s3}),
        ),
        (
            "HttpEndpointDestinationConfiguration",
            json!({"EndpointConfiguration": {"Url": "https://h"}, "S3Configuration": s3}),
        ),
        (
            "AmazonOpenSearchServerlessDestinationConfiguration",
            json!({"RoleARN": ROLE, "IndexName": "i", "S3Configuration": s3}),
        ),
        (
            "SnowflakeDestinationConfiguration",
            json!({"AccountUrl": "a.snowflakecomputing.com", "Database": "d", "Schema": "s", "Table": "t", "RoleARN": ROLE, "PrivateKey": "QUFB".repeat(64), "S3Configuration": s3}),
        ),
        (
            "IcebergDestinationConfiguration",
            json!({"RoleARN": ROLE, "CatalogConfiguration": {"CatalogARN": "arn:aws:glue:us-east-1:123456789012:catalog"}, "S3Configuration": s3}),
        ),
    ];
    for (i, (member, config)) in cases.iter().enumerate() {
        let name = format!("kind-{i}");
        h.call("CreateDeliveryStream", json!({"DeliveryStreamName": name, member.to_string(): config})).unwrap();
        let d = h.describe(&name);
        let kind = member.strip_suffix("Configuration").unwrap();
        let described = &d["Destinations"][0][format!("{kind}Description")];
        assert_eq!(described["S3DestinationDescription"]["BucketARN"], BUCKET, "{member}: {d}");
        assert_eq!(described["S3DestinationDescription"]["BufferingHints"]["SizeInMBs"], 5, "{member}");
        let text = d.to_string();
        assert!(!text.contains("hidden-pw") && !text.contains("QUFBQUFB"), "secrets leak: {text}");
        assert!(d["Destinations"][0].get("ExtendedS3DestinationDescription").is_none());
    }
    let vpc = &h.describe("kind-2")["Destinations"][0]["AmazonopensearchserviceDestinationDescription"]
        ["VpcConfigurationDescription"];
    assert_eq!(vpc["SubnetIds"], json!(["subnet-1"]));
    assert!(vpc["VpcId"].as_str().unwrap().starts_with("vpc-"));
}

#[test]
fn create_errors_are_aws_shaped_and_change_nothing() {
    let h = Harness::new();
    h.create_active("dup");
    let s3 = json!({"RoleARN": ROLE, "BucketARN": BUCKET});
    let dup = h
        .call("CreateDeliveryStream", json!({"DeliveryStreamName": "dup", "ExtendedS3DestinationConfiguration": s3}))
        .unwrap_err();
    assert_eq!(
        (dup.code, dup.message.as_str()),
        ("ResourceInUseException", "Firehose dup under accountId 123456789012 already exists")
    );
    let bad_name = h
        .call("CreateDeliveryStream", json!({"DeliveryStreamName": "a b", "ExtendedS3DestinationConfiguration": s3}))
        .unwrap_err();
    assert_eq!(bad_name.code, "ValidationException");
    assert_eq!(bad_name.message, "1 validation error detected: Value 'a b' at 'deliveryStreamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+");
    let two = h
        .call(
            "CreateDeliveryStream",
            json!({"DeliveryStreamName": "two", "ExtendedS3DestinationConfiguration": s3, "S3DestinationConfiguration": s3}),
        )
        .unwrap_err();
    assert_eq!(two.code, "InvalidArgumentException");
    let none = h.call("CreateDeliveryStream", json!({"DeliveryStreamName": "none"})).unwrap_err();
    assert_eq!(none.code, "InvalidArgumentException");
    let kinesis_on_direct_put = h
        .call(
            "CreateDeliveryStream",
            json!({"DeliveryStreamName": "kdp", "ExtendedS3DestinationConfiguration": s3,
                   "KinesisStreamSourceConfiguration": {"KinesisStreamARN": "arn:aws:kinesis:us-east-1:123456789012:stream/s", "RoleARN": ROLE}}),
        )
        .unwrap_err();
    assert_eq!(
        kinesis_on_direct_put.message,
        "KinesisStreamSourceConfiguration is only applicable for KinesisStreamAsSource stream type"
    );
    let missing_source = h
        .call(
            "CreateDeliveryStream",
            json!({"DeliveryStreamName": "ks", "DeliveryStreamType": "KinesisStreamAsSource", "ExtendedS3DestinationConfiguration": s3}),
        )
        .unwrap_err();
    assert_eq!(missing_source.code, "InvalidArgumentException");
    let cmk_without_arn = h
        .call(
            "CreateDeliveryStream",
            json!({"DeliveryStreamName": "cmk", "ExtendedS3DestinationConfiguration": s3,
                   "DeliveryStreamEncryptionConfigurationInput": {"KeyType": "CUSTOMER_MANAGED_CMK"}}),
        )
        .unwrap_err();
    assert_eq!(cmk_without_arn.code, "InvalidArgumentException");
    let names = h.call("ListDeliveryStreams", json!({})).unwrap();
    assert_eq!(names, json!({"DeliveryStreamNames": ["dup"], "HasMoreDeliveryStreams": false}));
}

#[test]
fn unknown_streams_are_not_found_with_aws_message() {
    let h = Harness::new();
    for op in
        ["DescribeDeliveryStream", "DeleteDeliveryStream", "ListTagsForDeliveryStream", "StopDeliveryStreamEncryption"]
    {
        let e = h.call(op, json!({"DeliveryStreamName": "nope"})).unwrap_err();
        assert_eq!((e.status, e.code), (400, "ResourceNotFoundException"), "{op}");
        assert_eq!(e.message, "Firehose nope under account 123456789012 not found.", "{op}");
    }
}

#[test]
fn kinesis_source_is_described_and_refuses_encryption() {
    let h = Harness::new();
    let stream_arn = "arn:aws:kinesis:us-east-1:123456789012:stream/src";
    h.call(
        "CreateDeliveryStream",
        json!({"DeliveryStreamName": "from-kinesis", "DeliveryStreamType": "KinesisStreamAsSource",
               "KinesisStreamSourceConfiguration": {"KinesisStreamARN": stream_arn, "RoleARN": ROLE},
               "ExtendedS3DestinationConfiguration": {"RoleARN": ROLE, "BucketARN": BUCKET}}),
    )
    .unwrap();
    h.advance(CREATING_DURATION_MS);
    let d = h.describe("from-kinesis");
    assert_eq!(d["DeliveryStreamType"], "KinesisStreamAsSource");
    assert_eq!(
        d["Source"],
        json!({"KinesisStreamSourceDescription": {"KinesisStreamARN": stream_arn, "RoleARN": ROLE,
               "DeliveryStartTimestamp": START_MS as f64 / 1000.0}})
    );
    let e = h.call("StartDeliveryStreamEncryption", json!({"DeliveryStreamName": "from-kinesis"})).unwrap_err();
    assert_eq!(e.message, "This operation is not permitted on KinesisStreamAsSource delivery stream type.");
}

#[test]
fn encryption_starts_and_stops() {
    let h = Harness::new();
    h.create_active("sse");
    let key = "arn:aws:kms:us-east-1:123456789012:key/abc";
    h.call(
        "StartDeliveryStreamEncryption",
        json!({"DeliveryStreamName": "sse", "DeliveryStreamEncryptionConfigurationInput": {"KeyType": "CUSTOMER_MANAGED_CMK", "KeyARN": key}}),
    )
    .unwrap();
    assert_eq!(
        h.describe("sse")["DeliveryStreamEncryptionConfiguration"],
        json!({"KeyARN": key, "KeyType": "CUSTOMER_MANAGED_CMK", "Status": "ENABLED"})
    );
    let bad = h
        .call(
            "StartDeliveryStreamEncryption",
            json!({"DeliveryStreamName": "sse", "DeliveryStreamEncryptionConfigurationInput": {"KeyType": "AWS_OWNED_CMK", "KeyARN": key}}),
        )
        .unwrap_err();
    assert_eq!(bad.code, "InvalidArgumentException");
    h.call("StopDeliveryStreamEncryption", json!({"DeliveryStreamName": "sse"})).unwrap();
    assert_eq!(h.describe("sse")["DeliveryStreamEncryptionConfiguration"], json!({"Status": "DISABLED"}));
    assert_eq!(h.describe("sse")["VersionId"], "1");
}

#[test]
fn tags_are_capped_at_50_and_paginate_by_key() {
    let h = Harness::new();
    h.create_active("t");
    let tags: Vec<Value> = (0..50).map(|i| json!({"Key": format!("k{i:02}"), "Value": "v"})).collect();
    h.call("TagDeliveryStream", json!({"DeliveryStreamName": "t", "Tags": tags})).unwrap();
    let over =
        h.call("TagDeliveryStream", json!({"DeliveryStreamName": "t", "Tags": [{"Key": "one-more"}]})).unwrap_err();
    assert_eq!(over.code, "LimitExceededException");
    // Overwriting an existing key does not add a tag.
    h.call("TagDeliveryStream", json!({"DeliveryStreamName": "t", "Tags": [{"Key": "k00", "Value": "new"}]})).unwrap();
    let page = h.call("ListTagsForDeliveryStream", json!({"DeliveryStreamName": "t", "Limit": 2})).unwrap();
    assert_eq!(
        page,
        json!({"Tags": [{"Key": "k00", "Value": "new"}, {"Key": "k01", "Value": "v"}], "HasMoreTags": true})
    );
    let last =
        h.call("ListTagsForDeliveryStream", json!({"DeliveryStreamName": "t", "ExclusiveStartTagKey": "k48"})).unwrap();
    assert_eq!(last, json!({"Tags": [{"Key": "k49", "Value": "v"}], "HasMoreTags": false}));
    h.call("UntagDeliveryStream", json!({"DeliveryStreamName": "t", "TagKeys": ["k00", "absent"]})).unwrap();
    let all = h.call("ListTagsForDeliveryStream", json!({"DeliveryStreamName": "t"})).unwrap();
    assert_eq!(all["Tags"].as_array().unwrap().len(), 49);
    assert_eq!(all["Tags"][0]["Key"], "k01");
}

#[test]
fn list_paginates_in_name_order_and_filters_by_type() {
    let h = Harness::new();
    for name in ["c", "a", "b"] {
        h.create_active(name);
    }
    h.call(
        "CreateDeliveryStream",
        json!({"DeliveryStreamName": "k", "DeliveryStreamType": "KinesisStreamAsSource",
               "KinesisStreamSourceConfiguration": {"KinesisStreamARN": "arn:aws:kinesis:us-east-1:123456789012:stream/s", "RoleARN": ROLE},
               "ExtendedS3DestinationConfiguration": {"RoleARN": ROLE, "BucketARN": BUCKET}}),
    )
    .unwrap();
    let first = h.call("ListDeliveryStreams", json!({"Limit": 2})).unwrap();
    assert_eq!(first, json!({"DeliveryStreamNames": ["a", "b"], "HasMoreDeliveryStreams": true}));
    let rest = h.call("ListDeliveryStreams", json!({"Limit": 2, "ExclusiveStartDeliveryStreamName": "b"})).unwrap();
    assert_eq!(rest, json!({"DeliveryStreamNames": ["c", "k"], "HasMoreDeliveryStreams": false}));
    let direct = h.call("ListDeliveryStreams", json!({"DeliveryStreamType": "DirectPut"})).unwrap();
    assert_eq!(direct, json!({"DeliveryStreamNames": ["a", "b", "c"], "HasMoreDeliveryStreams": false}));
    let kinesis = h.call("ListDeliveryStreams", json!({"DeliveryStreamType": "KinesisStreamAsSource"})).unwrap();
    assert_eq!(kinesis, json!({"DeliveryStreamNames": ["k"], "HasMoreDeliveryStreams": false}));
}

#[test]
fn describe_past_the_only_destination_lists_none() {
    let h = Harness::new();
    h.create_active("d");
    let d = h
        .call(
            "DescribeDeliveryStream",
            json!({"DeliveryStreamName": "d", "ExclusiveStartDestinationId": DESTINATION_ID}),
        )
        .unwrap();
    assert_eq!(d["DeliveryStreamDescription"]["Destinations"], json!([]));
    assert_eq!(d["DeliveryStreamDescription"]["HasMoreDestinations"], false);
}

#[test]
fn converting_or_partitioning_needs_a_64_mib_buffer() {
    let h = Harness::new();
    let create = |name: &str, extra: Value| {
        let mut config = json!({"RoleARN": ROLE, "BucketARN": BUCKET});
        config.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        h.call(
            "CreateDeliveryStream",
            json!({"DeliveryStreamName": name, "ExtendedS3DestinationConfiguration": config}),
        )
    };
    let partitioning = create("p", json!({"DynamicPartitioningConfiguration": {"Enabled": true}})).unwrap_err();
    assert_eq!(
        (partitioning.code, partitioning.message.as_str()),
        (
            "InvalidArgumentException",
            "BufferingHints.SizeInMBs must be at least 64 when Dynamic Partitioning is enabled."
        )
    );
    let converting = create("c", json!({"DataFormatConversionConfiguration": {}})).unwrap_err();
    assert_eq!(
        converting.message,
        "BufferingHints.SizeInMBs must be at least 64 when data format conversion is enabled."
    );
    create("off", json!({"DataFormatConversionConfiguration": {"Enabled": false}, "DynamicPartitioningConfiguration": {"Enabled": false}})).unwrap();
    create("big", json!({"DynamicPartitioningConfiguration": {"Enabled": true}, "BufferingHints": {"SizeInMBs": 64}}))
        .unwrap();
    h.advance(CREATING_DURATION_MS);
    let shrink = h
        .call(
            "UpdateDestination",
            json!({"DeliveryStreamName": "big", "CurrentDeliveryStreamVersionId": "1", "DestinationId": DESTINATION_ID,
                   "ExtendedS3DestinationUpdate": {"BufferingHints": {"SizeInMBs": 5}}}),
        )
        .unwrap_err();
    assert_eq!(shrink.code, "InvalidArgumentException");
    assert_eq!(h.describe("big")["VersionId"], "1");
}

#[test]
fn msk_source_is_described() {
    let h = Harness::new();
    let cluster = "arn:aws:kafka:us-east-1:123456789012:cluster/c/1";
    h.call(
        "CreateDeliveryStream",
        json!({"DeliveryStreamName": "msk", "DeliveryStreamType": "MSKAsSource",
               "MSKSourceConfiguration": {"MSKClusterARN": cluster, "TopicName": "t",
                   "AuthenticationConfiguration": {"RoleARN": ROLE, "Connectivity": "PRIVATE"}},
               "ExtendedS3DestinationConfiguration": {"RoleARN": ROLE, "BucketARN": BUCKET}}),
    )
    .unwrap();
    let d = h.describe("msk");
    assert_eq!(d["DeliveryStreamType"], "MSKAsSource");
    assert_eq!(
        d["Source"],
        json!({"MSKSourceDescription": {"MSKClusterARN": cluster, "TopicName": "t",
               "AuthenticationConfiguration": {"RoleARN": ROLE, "Connectivity": "PRIVATE"},
               "DeliveryStartTimestamp": START_MS as f64 / 1000.0}})
    );
}
