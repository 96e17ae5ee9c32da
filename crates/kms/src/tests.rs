use super::*;

fn call(kms: &Kms, op: &str, body: serde_json::Value) -> KResult<serde_json::Value> {
    let out = kms.call_blocking(op, body.to_string().as_bytes())?;
    Ok(serde_json::from_slice(&out).unwrap())
}

#[test]
fn keys_aliases_and_encryption_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let kms = Kms::open(dir.path(), "us-east-1", "000000000000").unwrap();
    let created = call(&kms, "CreateKey", serde_json::json!({"Description": "d"})).unwrap();
    let key_id = created["KeyMetadata"]["KeyId"].as_str().unwrap().to_string();
    assert_eq!(created["KeyMetadata"]["KeyState"], "Enabled");
    call(&kms, "CreateAlias", serde_json::json!({"AliasName": "alias/a", "TargetKeyId": key_id})).unwrap();
    let dup = call(&kms, "CreateAlias", serde_json::json!({"AliasName": "alias/a", "TargetKeyId": key_id}));
    assert_eq!(dup.unwrap_err().code, "AlreadyExistsException");
    let enc = call(&kms, "Encrypt", serde_json::json!({"KeyId": "alias/a", "Plaintext": "aGVsbG8="})).unwrap();
    let blob = enc["CiphertextBlob"].as_str().unwrap().to_string();
    drop(kms);
    let kms = Kms::open(dir.path(), "us-east-1", "000000000000").unwrap();
    let dec = call(&kms, "Decrypt", serde_json::json!({"CiphertextBlob": blob})).unwrap();
    assert_eq!(dec["Plaintext"], "aGVsbG8=");
    let desc = call(&kms, "DescribeKey", serde_json::json!({"KeyId": "alias/a"})).unwrap();
    assert_eq!(desc["KeyMetadata"]["KeyId"], key_id.as_str());
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(dir.path().join("kms-master.key")).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn tampering_and_context_mismatch_are_invalid_ciphertext() {
    let material = [7u8; 32];
    let id = "12345678-1234-1234-1234-123456789012";
    let blob = crypto::encrypt_blob(&material, id, b"secret", b"{}").unwrap();
    assert_eq!(crypto::decrypt_blob(&material, &blob, b"{}").unwrap(), b"secret");
    assert!(crypto::decrypt_blob(&material, &blob, b"{\"a\":\"b\"}").is_none());
    let mut bad = blob.clone();
    *bad.last_mut().unwrap() ^= 1;
    assert!(crypto::decrypt_blob(&material, &bad, b"{}").is_none());
}
