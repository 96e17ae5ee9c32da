//! Decoding and validating CloudWatch Logs inputs.

use aws_model::logs::*;
use aws_model::{decode_input, RequestError};

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

#[test]
fn metadata_and_targets() {
    assert_eq!(TARGET_PREFIX, "Logs_20140328");
    assert_eq!(Operation::from_target("Logs_20140328.CreateLogGroup"), Some(Operation::CreateLogGroup));
    for op in Operation::ALL {
        assert_eq!(Operation::from_target(op.target()), Some(*op));
    }
    assert_eq!(ErrorCode::from_code("ResourceAlreadyExistsException"), Some(ErrorCode::ResourceAlreadyExistsException));
}

#[test]
fn create_log_group_missing_name() {
    assert_eq!(
        validation_message::<CreateLogGroupRequest>("{}"),
        "1 validation error detected: Value null at 'logGroupName' failed to satisfy constraint: \
         Member must not be null"
    );
}

#[test]
fn create_log_group_bad_name_and_tags() {
    assert_eq!(
        validation_message::<CreateLogGroupRequest>(r#"{"logGroupName":"a b","tags":{}}"#),
        "2 validation errors detected: \
         Value 'a b' at 'logGroupName' failed to satisfy constraint: \
         Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+; \
         Value '{}' at 'tags' failed to satisfy constraint: Member must have length greater than or equal to 1"
    );
}

#[test]
fn create_log_group_valid() {
    let input: CreateLogGroupRequest =
        decode_input(br#"{"logGroupName":"/aws/kinesisfirehose/s","tags":{"team":"a b"},"logGroupClass":"STANDARD"}"#)
            .unwrap();
    assert_eq!(input.log_group_name.as_deref(), Some("/aws/kinesisfirehose/s"));
    assert_eq!(input.log_group_class, Some(LogGroupClass::Standard));
    assert_eq!(input.tags.unwrap()["team"], "a b");
}

#[test]
fn put_log_events_decodes() {
    let input: PutLogEventsRequest = decode_input(
        br#"{"logGroupName":"g","logStreamName":"s","logEvents":[{"timestamp":1700000000000,"message":"hi"}]}"#,
    )
    .unwrap();
    let events = input.log_events.unwrap();
    assert_eq!(events[0].timestamp, Some(1_700_000_000_000));
    assert_eq!(events[0].message.as_deref(), Some("hi"));
}

#[test]
fn enum_values_with_punctuation() {
    assert_eq!(StandardUnit::from("Bytes/Second"), StandardUnit::BytesSecond);
    assert_eq!(StandardUnit::BytesSecond.as_str(), "Bytes/Second");
}
