//! Decoding and validating Firehose inputs.

use aws_model::firehose::*;
use aws_model::{decode_input, json, RequestError};

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
    assert_eq!(TARGET_PREFIX, "Firehose_20150804");
    assert_eq!(Operation::from_target("Firehose_20150804.CreateDeliveryStream"), Some(Operation::CreateDeliveryStream));
    for op in Operation::ALL {
        assert_eq!(Operation::from_target(op.target()), Some(*op));
    }
    assert_eq!(ErrorCode::ResourceInUseException.code(), "ResourceInUseException");
}

#[test]
fn create_delivery_stream_name_too_long() {
    let name = "a".repeat(65);
    assert_eq!(
        validation_message::<CreateDeliveryStreamInput>(&format!(r#"{{"DeliveryStreamName":"{name}"}}"#)),
        format!(
            "1 validation error detected: Value '{name}' at 'deliveryStreamName' failed to satisfy \
             constraint: Member must have length less than or equal to 64"
        )
    );
    assert_eq!(
        validation_message::<CreateDeliveryStreamInput>(r#"{"DeliveryStreamType":"Direct"}"#),
        "2 validation errors detected: \
         Value null at 'deliveryStreamName' failed to satisfy constraint: Member must not be null; \
         Value 'Direct' at 'deliveryStreamType' failed to satisfy constraint: Member must satisfy enum value set: \
         [DirectPut, KinesisStreamAsSource, MSKAsSource, DatabaseAsSource]"
    );
}

#[test]
fn tag_key_negative_lookahead() {
    // TagKey is `^(?!aws:)[...]*$`: the regex crate has no look-around, the
    // generator splits it into an accepted and a rejected pattern.
    assert_eq!(
        validation_message::<CreateDeliveryStreamInput>(r#"{"DeliveryStreamName":"s","Tags":[{"Key":"aws:x"}]}"#),
        "1 validation error detected: Value 'aws:x' at 'tags.1.member.key' failed to satisfy constraint: \
         Member must satisfy regular expression pattern: ^(?!aws:)[\\p{L}\\p{Z}\\p{N}_.:\\/=+\\-@%]*$"
    );
    let ok: CreateDeliveryStreamInput =
        decode_input(br#"{"DeliveryStreamName":"s","Tags":[{"Key":"team aws:x","Value":"v"}]}"#).unwrap();
    assert_eq!(ok.tags.unwrap()[0].key.as_deref(), Some("team aws:x"));
}

#[test]
fn sensitive_values_are_left_out() {
    let body = r#"{"DeliveryStreamName":"s","HttpEndpointDestinationConfiguration":{
        "EndpointConfiguration":{"Url":"http://x"},
        "RequestConfiguration":{"CommonAttributes":[{"AttributeName":"  ","AttributeValue":"v"}]},
        "S3Configuration":{"RoleARN":"arn:aws:iam::000000000000:role/r","BucketARN":"arn:aws:s3:::b"}}}"#;
    assert_eq!(
        validation_message::<CreateDeliveryStreamInput>(body),
        "2 validation errors detected: \
         Value at 'httpEndpointDestinationConfiguration.endpointConfiguration.url' failed to satisfy constraint: \
         Member must satisfy regular expression pattern: https://.*; \
         Value at 'httpEndpointDestinationConfiguration.requestConfiguration.commonAttributes.1.member.attributeName' \
         failed to satisfy constraint: Member must satisfy regular expression pattern: ^(?!\\s*$).+"
    );
}

#[test]
fn destination_configuration_round_trips() {
    let body = r#"{"DeliveryStreamName":"s","ExtendedS3DestinationConfiguration":{"RoleARN":"arn:aws:iam::000000000000:role/r","BucketARN":"arn:aws:s3:::b","Prefix":"p/","BufferingHints":{"SizeInMBs":5,"IntervalInSeconds":300},"CompressionFormat":"GZIP"}}"#;
    let input: CreateDeliveryStreamInput = decode_input(body.as_bytes()).unwrap();
    let s3 = input.extended_s3_destination_configuration.as_ref().unwrap();
    assert_eq!(s3.compression_format, Some(CompressionFormat::Gzip));
    assert_eq!(String::from_utf8(json::to_vec(&input)).unwrap(), body);
}
