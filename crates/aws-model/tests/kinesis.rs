//! Decoding and validating Kinesis inputs, and encoding outputs.

use aws_model::kinesis::*;
use aws_model::{decode_input, json, DecodeErrorKind, OperationShape, RequestError, Timestamp};

fn validation_message<T: aws_model::JsonDe + aws_model::Validate>(body: &str) -> String {
    match decode_input::<T>(body.as_bytes()) {
        Err(RequestError::Validation(e)) => {
            assert_eq!(e.code(), "ValidationException");
            e.to_string()
        }
        Err(other) => panic!("expected a validation error, got {other:?}"),
        Ok(_) => panic!("expected a validation error for {body}"),
    }
}

fn decode_error<T: aws_model::JsonDe + aws_model::Validate + std::fmt::Debug>(body: &str) -> aws_model::DecodeError {
    match decode_input::<T>(body.as_bytes()) {
        Err(RequestError::Decode(e)) => {
            assert_eq!(e.code(), "SerializationException");
            e
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
}

#[test]
fn create_stream_valid() {
    let input: CreateStreamInput =
        decode_input(br#"{"StreamName":"my-stream_1.x","ShardCount":2,"Unknown":{"x":[1]}}"#).unwrap();
    assert_eq!(input.stream_name.as_deref(), Some("my-stream_1.x"));
    assert_eq!(input.shard_count, Some(2));
    assert_eq!(input.stream_mode_details, None);
}

#[test]
fn create_stream_without_shard_count_is_valid() {
    // ShardCount is optional in the current model (on-demand streams).
    let input: CreateStreamInput =
        decode_input(br#"{"StreamName":"s","StreamModeDetails":{"StreamMode":"ON_DEMAND"}}"#).unwrap();
    assert_eq!(input.shard_count, None);
    assert_eq!(input.stream_mode_details.unwrap().stream_mode, Some(StreamMode::OnDemand));
}

#[test]
fn create_stream_bad_name() {
    assert_eq!(
        validation_message::<CreateStreamInput>(r#"{"StreamName":"a b","ShardCount":1}"#),
        "1 validation error detected: Value 'a b' at 'streamName' failed to satisfy constraint: \
         Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
    );
    let long = "a".repeat(129);
    assert_eq!(
        validation_message::<CreateStreamInput>(&format!(r#"{{"StreamName":"{long}"}}"#)),
        format!(
            "1 validation error detected: Value '{long}' at 'streamName' failed to satisfy \
             constraint: Member must have length less than or equal to 128"
        )
    );
}

#[test]
fn create_stream_multiple_violations() {
    assert_eq!(
        validation_message::<CreateStreamInput>(r#"{"StreamName":"","ShardCount":0}"#),
        "3 validation errors detected: \
         Value '' at 'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; \
         Value '' at 'streamName' failed to satisfy constraint: Member must have length greater than or equal to 1; \
         Value '0' at 'shardCount' failed to satisfy constraint: Member must have value greater than or equal to 1"
    );
}

#[test]
fn missing_required_member_is_a_validation_error() {
    assert_eq!(
        validation_message::<CreateStreamInput>("{}"),
        "1 validation error detected: Value null at 'streamName' failed to satisfy constraint: \
         Member must not be null"
    );
    // null is the same as absent.
    assert_eq!(
        validation_message::<CreateStreamInput>(r#"{"StreamName":null}"#),
        validation_message::<CreateStreamInput>("{}"),
    );
    assert_eq!(
        validation_message::<UpdateShardCountInput>(r#"{"StreamName":"s"}"#),
        "2 validation errors detected: \
         Value null at 'targetShardCount' failed to satisfy constraint: Member must not be null; \
         Value null at 'scalingType' failed to satisfy constraint: Member must not be null"
    );
}

#[test]
fn enum_violation() {
    assert_eq!(
        validation_message::<GetShardIteratorInput>(
            r#"{"StreamName":"s","ShardId":"shardId-0","ShardIteratorType":"NEWEST"}"#
        ),
        "1 validation error detected: Value 'NEWEST' at 'shardIteratorType' failed to satisfy \
         constraint: Member must satisfy enum value set: \
         [AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER, TRIM_HORIZON, LATEST, AT_TIMESTAMP]"
    );
    let ok: GetShardIteratorInput = decode_input(
        br#"{"StreamName":"s","ShardId":"shardId-0","ShardIteratorType":"AT_TIMESTAMP","Timestamp":1700000000.5}"#,
    )
    .unwrap();
    assert_eq!(ok.shard_iterator_type, Some(ShardIteratorType::AtTimestamp));
    assert_eq!(ok.timestamp, Some(Timestamp::from_millis(1_700_000_000_500)));
}

#[test]
fn limit_range() {
    assert_eq!(
        validation_message::<GetRecordsInput>(r#"{"ShardIterator":"x","Limit":10001}"#),
        "1 validation error detected: Value '10001' at 'limit' failed to satisfy constraint: \
         Member must have value less than or equal to 10000"
    );
    assert_eq!(
        validation_message::<GetRecordsInput>(r#"{"ShardIterator":"x","Limit":0}"#),
        "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: \
         Member must have value greater than or equal to 1"
    );
}

#[test]
fn string_for_limit_is_a_serialization_error() {
    let e = decode_error::<GetRecordsInput>(r#"{"ShardIterator":"x","Limit":"10"}"#);
    assert_eq!(e.kind, DecodeErrorKind::Type);
    assert_eq!(e.message, "class java.lang.String can not be converted to an Integer");

    let e = decode_error::<CreateStreamInput>(r#"{"StreamName":5}"#);
    assert_eq!(e.message, "class java.math.BigDecimal can not be converted to an String");
    let e = decode_error::<PutRecordsInput>(r#"{"StreamName":"s","Records":{}}"#);
    assert_eq!(e.message, "Start of structure or map found where not expected.");
    let e = decode_error::<PutRecordsInput>(r#"{"StreamName":"s","Records":"x"}"#);
    assert_eq!(e.message, "Expected list or null");
}

#[test]
fn malformed_json_is_a_syntax_error() {
    let e = decode_error::<CreateStreamInput>(r#"{"StreamName":"#);
    assert_eq!(e.kind, DecodeErrorKind::Syntax);
    let e = decode_error::<CreateStreamInput>(r#"{"StreamName":"s"} x"#);
    assert_eq!(e.kind, DecodeErrorKind::Syntax);
}

#[test]
fn integers_are_lenient_like_jackson() {
    let input: CreateStreamInput = json::from_slice(br#"{"StreamName":"s","ShardCount":2.9}"#).unwrap();
    assert_eq!(input.shard_count, Some(2));
    // Keeps the low 32 bits, as AWS did for ShardCount: 100000000000.
    let input: CreateStreamInput = json::from_slice(br#"{"StreamName":"s","ShardCount":100000000000}"#).unwrap();
    assert_eq!(input.shard_count, Some(100_000_000_000_i64 as i32));
}

fn records(n: usize) -> String {
    let one = r#"{"Data":"aGVsbG8=","PartitionKey":"pk"}"#;
    format!(r#"{{"StreamName":"s","Records":[{}]}}"#, vec![one; n].join(","))
}

#[test]
fn put_records_decodes_blobs() {
    let input: PutRecordsInput = decode_input(records(3).as_bytes()).unwrap();
    let recs = input.records.unwrap();
    assert_eq!(recs.len(), 3);
    assert_eq!(&recs[0].data.as_ref().unwrap()[..], b"hello");
    assert_eq!(recs[0].partition_key.as_deref(), Some("pk"));
}

#[test]
fn put_records_too_many() {
    let msg = validation_message::<PutRecordsInput>(&records(501));
    assert!(msg.starts_with("1 validation error detected: Value '[{"), "{msg}");
    assert!(
        msg.ends_with(
            "' at 'records' failed to satisfy constraint: \
             Member must have length less than or equal to 500"
        ),
        "{}",
        &msg[msg.len() - 200..]
    );
    assert!(msg.contains("java.nio.HeapByteBuffer[pos=0 lim=5 cap=5]"));
    decode_input::<PutRecordsInput>(records(500).as_bytes()).unwrap();
}

#[test]
fn put_records_nested_paths() {
    let body = r#"{"StreamName":"s","Records":[
        {"Data":"","PartitionKey":"ok"},
        {"Data":"","PartitionKey":""},
        {"PartitionKey":"x","ExplicitHashKey":"-1"}
    ]}"#;
    assert_eq!(
        validation_message::<PutRecordsInput>(body),
        "3 validation errors detected: \
         Value '' at 'records.2.member.partitionKey' failed to satisfy constraint: Member must have length greater than or equal to 1; \
         Value null at 'records.3.member.data' failed to satisfy constraint: Member must not be null; \
         Value '-1' at 'records.3.member.explicitHashKey' failed to satisfy constraint: Member must satisfy regular expression pattern: 0|([1-9]\\d{0,38})"
    );
}

#[test]
fn at_most_ten_violations_are_reported() {
    let one = r#"{"Data":"","PartitionKey":""}"#;
    let body = format!(r#"{{"StreamName":"s","Records":[{}]}}"#, [one; 12].join(","));
    let msg = validation_message::<PutRecordsInput>(&body);
    assert!(msg.starts_with("10 validation errors detected: "), "{msg}");
    assert_eq!(msg.matches("; Value").count(), 9);
}

#[test]
fn bad_base64_is_a_serialization_error() {
    let e = decode_error::<PutRecordInput>(r#"{"StreamName":"s","PartitionKey":"p","Data":"abc"}"#);
    assert_eq!(e.kind, DecodeErrorKind::Type);
    assert_eq!(
        e.message,
        "'abc' can not be converted to a Blob: Base64 encoded length is expected a multiple of 4 bytes but found: 3"
    );
    let e = decode_error::<PutRecordInput>(r#"{"StreamName":"s","PartitionKey":"p","Data":"ab!="}"#);
    assert_eq!(e.message, "'ab!=' can not be converted to a Blob: Invalid Base64 character: '!'");
    // And inside a list.
    let e = decode_error::<PutRecordsInput>(r#"{"StreamName":"s","Records":[{"PartitionKey":"p","Data":"a==="}]}"#);
    assert_eq!(e.kind, DecodeErrorKind::Type);
}

#[test]
fn list_of_enums_and_maps() {
    assert_eq!(
        validation_message::<EnableEnhancedMonitoringInput>(
            r#"{"StreamName":"s","ShardLevelMetrics":["IncomingBytes","Bogus"]}"#
        ),
        "1 validation error detected: Value '[IncomingBytes, Bogus]' at 'shardLevelMetrics' \
         failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum \
         value set: [IncomingBytes, IncomingRecords, OutgoingBytes, OutgoingRecords, \
         WriteProvisionedThroughputExceeded, ReadProvisionedThroughputExceeded, \
         IteratorAgeMilliseconds, ALL]]"
    );
    assert_eq!(
        validation_message::<AddTagsToStreamInput>(r#"{"StreamName":"s","Tags":{"":"v"}}"#),
        "1 validation error detected: Value '{=v}' at 'tags' failed to satisfy constraint: \
         Map keys must satisfy constraint: [Member must have length less than or equal to 128, \
         Member must have length greater than or equal to 1]"
    );
    assert_eq!(
        validation_message::<AddTagsToStreamInput>(r#"{"StreamName":"s","Tags":{}}"#),
        "1 validation error detected: Value '{}' at 'tags' failed to satisfy constraint: \
         Member must have length greater than or equal to 1"
    );
}

#[test]
fn output_timestamps_are_plain_decimals() {
    let out = DescribeStreamSummaryOutput {
        stream_description_summary: StreamDescriptionSummary {
            stream_name: "s".into(),
            stream_arn: "arn:aws:kinesis:us-east-1:000000000000:stream/s".into(),
            stream_id: None,
            stream_status: StreamStatus::Active,
            stream_mode_details: None,
            retention_period_hours: 24,
            stream_creation_timestamp: Timestamp::from_millis(1_700_000_000_123),
            enhanced_monitoring: vec![EnhancedMetrics::default()],
            encryption_type: Some(EncryptionType::None),
            key_id: None,
            open_shard_count: 1,
            consumer_count: None,
            warm_throughput: None,
            max_record_size_in_ki_b: None,
        },
    };
    let text = String::from_utf8(json::to_vec(&out)).unwrap();
    assert!(text.contains(r#""StreamCreationTimestamp":1700000000.123"#), "{text}");
    assert!(text.contains(r#""StreamStatus":"ACTIVE""#), "{text}");
    assert!(text.contains(r#""EnhancedMonitoring":[{}]"#), "{text}");
    assert!(!text.contains("KeyId"), "{text}");

    for (millis, expect) in [
        (1_700_000_000_000_i64, "1700000000.0"),
        (1_700_000_000_100, "1700000000.1"),
        (1, "0.001"),
        (0, "0.0"),
        (-1, "-0.001"),
        (9_000_000_000_000_000_000, "9000000000000000.0"),
    ] {
        let got = String::from_utf8(json::to_vec(&Timestamp::from_millis(millis))).unwrap();
        assert_eq!(got, expect);
        assert!(!got.contains(['e', 'E']));
    }
}

#[test]
fn output_blobs_are_base64() {
    let rec = Record {
        sequence_number: "1".into(),
        approximate_arrival_timestamp: Some(Timestamp::from_secs(1)),
        data: aws_model::Blob::from(b"hello".to_vec()),
        partition_key: "pk".into(),
        encryption_type: None,
    };
    assert_eq!(
        String::from_utf8(json::to_vec(&rec)).unwrap(),
        r#"{"SequenceNumber":"1","ApproximateArrivalTimestamp":1.0,"Data":"aGVsbG8=","PartitionKey":"pk"}"#
    );
}

#[test]
fn operations_table() {
    assert_eq!(Operation::ALL.len(), 39);
    let op = Operation::from_target("Kinesis_20131202.PutRecords").unwrap();
    assert_eq!(op, Operation::PutRecords);
    assert_eq!(op.name(), "PutRecords");
    assert_eq!(op.target(), "Kinesis_20131202.PutRecords");
    assert_eq!(op.input_shape(), Some("PutRecordsInput"));
    assert_eq!(op.output_shape(), Some("PutRecordsOutput"));
    assert!(op.errors().contains(&ErrorCode::ProvisionedThroughputExceededException));
    assert_eq!(Operation::CreateStream.output_shape(), None);
    assert_eq!(Operation::from_target("Kinesis_20131202.Nope"), None);
    for op in Operation::ALL {
        assert_eq!(Operation::from_name(op.name()), Some(*op));
        assert_eq!(Operation::from_target(op.target()), Some(*op));
    }

    assert_eq!(ErrorCode::ResourceNotFoundException.code(), "ResourceNotFoundException");
    assert_eq!(ErrorCode::ResourceNotFoundException.http_status(), 400);
    assert_eq!(ErrorCode::InternalFailureException.http_status(), 500);
    assert!(ErrorCode::InternalFailureException.is_fault());
    assert_eq!(ErrorCode::from_code("ValidationException"), Some(ErrorCode::ValidationException));

    fn name_of<O: OperationShape>() -> &'static str {
        O::NAME
    }
    assert_eq!(name_of::<ops::CreateStream>(), "CreateStream");
    assert_eq!(<ops::CreateStream as OperationShape>::OPERATION, Operation::CreateStream);
}

#[test]
fn unknown_enum_values_are_kept() {
    let e = ShardIteratorType::from("SOMETHING_NEW");
    assert!(!e.is_known());
    assert_eq!(e.as_str(), "SOMETHING_NEW");
    assert_eq!(ShardIteratorType::from("LATEST"), ShardIteratorType::Latest);
    assert_eq!(ShardIteratorType::Latest.to_string(), "LATEST");
}
