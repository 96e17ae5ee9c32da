//! Decoding and validating KMS (TrentService) inputs.

use aws_model::kms::*;
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
    assert_eq!(TARGET_PREFIX, "TrentService");
    assert_eq!(JSON_VERSION, "1.1");
    assert_eq!(Operation::from_target("TrentService.CreateKey"), Some(Operation::CreateKey));
    for op in Operation::ALL {
        assert_eq!(Operation::from_target(op.target()), Some(*op));
    }
    assert_eq!(ErrorCode::from_code("NotFoundException"), Some(ErrorCode::NotFoundException));
    assert!(ErrorCode::KMSInternalException.is_fault());
}

#[test]
fn create_key_valid() {
    let input: CreateKeyRequest = decode_input(
        br#"{"KeyUsage":"ENCRYPT_DECRYPT","KeySpec":"SYMMETRIC_DEFAULT","Description":"d",
            "Tags":[{"TagKey":"k","TagValue":""}]}"#,
    )
    .unwrap();
    assert_eq!(input.key_usage, Some(KeyUsageType::EncryptDecrypt));
    assert_eq!(input.key_spec, Some(KeySpec::SymmetricDefault));
    assert_eq!(input.tags.unwrap()[0].tag_key.as_deref(), Some("k"));
}

#[test]
fn create_key_bad_key_usage() {
    assert_eq!(
        validation_message::<CreateKeyRequest>(r#"{"KeyUsage":"ENCRYPT"}"#),
        "1 validation error detected: Value 'ENCRYPT' at 'keyUsage' failed to satisfy constraint: \
         Member must satisfy enum value set: [SIGN_VERIFY, ENCRYPT_DECRYPT, GENERATE_VERIFY_MAC, KEY_AGREEMENT]"
    );
}

#[test]
fn create_key_tag_without_value() {
    assert_eq!(
        validation_message::<CreateKeyRequest>(r#"{"Tags":[{"TagKey":"k"}]}"#),
        "1 validation error detected: Value null at 'tags.1.member.tagValue' failed to satisfy constraint: \
         Member must not be null"
    );
}

#[test]
fn encrypt_plaintext_is_sensitive() {
    // PlaintextType is `sensitive`: AWS leaves the value out of the message.
    assert_eq!(
        validation_message::<EncryptRequest>(r#"{"KeyId":"alias/x","Plaintext":""}"#),
        "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: \
         Member must have length greater than or equal to 1"
    );
    let big = aws_model::base64::encode(&[0u8; 4097]);
    assert_eq!(
        validation_message::<EncryptRequest>(&format!(r#"{{"KeyId":"k","Plaintext":"{big}"}}"#)),
        "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: \
         Member must have length less than or equal to 4096"
    );
    let ok: EncryptRequest = decode_input(br#"{"KeyId":"k","Plaintext":"aGk="}"#).unwrap();
    assert_eq!(&ok.plaintext.unwrap()[..], b"hi");
}

#[test]
fn encrypt_missing_members() {
    assert_eq!(
        validation_message::<EncryptRequest>("{}"),
        "2 validation errors detected: \
         Value null at 'keyId' failed to satisfy constraint: Member must not be null; \
         Value at 'plaintext' failed to satisfy constraint: Member must not be null"
    );
}
