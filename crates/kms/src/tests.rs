use serde_json::{json, Value};

use super::*;

const REGION: &str = "us-east-1";
const ACCOUNT: &str = "000000000000";

fn call(kms: &Kms, op: &str, body: Value) -> KResult<Value> {
    let out = kms.call_blocking(op, body.to_string().as_bytes())?;
    Ok(serde_json::from_slice(&out).unwrap())
}

fn ok(kms: &Kms, op: &str, body: Value) -> Value {
    call(kms, op, body).unwrap_or_else(|e| panic!("{op} failed: {e:?}"))
}

fn err(kms: &Kms, op: &str, body: Value) -> KmsError {
    match call(kms, op, body) {
        Ok(out) => panic!("{op} succeeded: {out}"),
        Err(e) => e,
    }
}

fn open(dir: &tempfile::TempDir) -> Kms {
    Kms::open(dir.path(), REGION, ACCOUNT).unwrap()
}

fn create(kms: &Kms, body: Value) -> String {
    ok(kms, "CreateKey", body)["KeyMetadata"]["KeyId"].as_str().unwrap().to_string()
}

fn arn(key_id: &str) -> String {
    format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/{key_id}")
}

fn state(kms: &Kms, key_id: &str) -> Value {
    ok(kms, "DescribeKey", json!({"KeyId": key_id}))["KeyMetadata"]["KeyState"].clone()
}

#[test]
fn keys_aliases_and_encryption_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let kms = open(&dir);
    let created = ok(&kms, "CreateKey", json!({"Description": "d"}));
    let key_id = created["KeyMetadata"]["KeyId"].as_str().unwrap().to_string();
    assert_eq!(created["KeyMetadata"]["KeyState"], "Enabled");
    ok(&kms, "CreateAlias", json!({"AliasName": "alias/a", "TargetKeyId": key_id}));
    let dup = err(&kms, "CreateAlias", json!({"AliasName": "alias/a", "TargetKeyId": key_id}));
    assert_eq!(dup.code, "AlreadyExistsException");
    let enc = ok(&kms, "Encrypt", json!({"KeyId": "alias/a", "Plaintext": "aGVsbG8="}));
    let blob = enc["CiphertextBlob"].as_str().unwrap().to_string();
    drop(kms);
    let kms = open(&dir);
    let dec = ok(&kms, "Decrypt", json!({"CiphertextBlob": blob}));
    assert_eq!(dec["Plaintext"], "aGVsbG8=");
    let desc = ok(&kms, "DescribeKey", json!({"KeyId": "alias/a"}));
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

#[test]
fn create_key_describes_every_attribute_and_attaches_the_default_policy() {
    let dir = tempfile::tempdir().unwrap();
    let kms = open(&dir);
    let meta = ok(
        &kms,
        "CreateKey",
        json!({"Description": "d", "KeyUsage": "ENCRYPT_DECRYPT", "KeySpec": "SYMMETRIC_DEFAULT",
               "Tags": [{"TagKey": "team", "TagValue": "data"}], "BypassPolicyLockoutSafetyCheck": true}),
    )["KeyMetadata"]
        .clone();
    let key_id = meta["KeyId"].as_str().unwrap();
    assert_eq!(meta["Arn"], arn(key_id));
    assert_eq!(meta["AWSAccountId"], ACCOUNT);
    assert_eq!(meta["Description"], "d");
    assert_eq!(meta["Enabled"], true);
    assert_eq!(meta["KeyState"], "Enabled");
    assert_eq!(meta["KeyUsage"], "ENCRYPT_DECRYPT");
    assert_eq!(meta["KeySpec"], "SYMMETRIC_DEFAULT");
    assert_eq!(meta["CustomerMasterKeySpec"], "SYMMETRIC_DEFAULT");
    assert_eq!(meta["KeyManager"], "CUSTOMER");
    assert_eq!(meta["Origin"], "AWS_KMS");
    assert_eq!(meta["MultiRegion"], false);
    assert_eq!(meta["EncryptionAlgorithms"], json!(["SYMMETRIC_DEFAULT"]));
    assert!(meta.get("DeletionDate").is_none());
    assert!(meta.as_object().unwrap().values().all(|v| !v.is_null()));

    let policy = ok(&kms, "GetKeyPolicy", json!({"KeyId": key_id, "PolicyName": "default"}));
    assert_eq!(policy["PolicyName"], "default");
    let document: Value = serde_json::from_str(policy["Policy"].as_str().unwrap()).unwrap();
    assert_eq!(
        document,
        json!({"Version": "2012-10-17", "Id": "key-default-1", "Statement": [{
            "Sid": "Enable IAM User Permissions", "Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")}, "Action": "kms:*", "Resource": "*"}]})
    );
    let tags = ok(&kms, "ListResourceTags", json!({"KeyId": key_id}));
    assert_eq!(tags["Tags"], json!([{"TagKey": "team", "TagValue": "data"}]));
    assert_eq!(ok(&kms, "ListKeyPolicies", json!({"KeyId": key_id}))["PolicyNames"], json!(["default"]));
}

#[test]
fn create_key_keeps_signing_and_hmac_keys_and_refuses_what_it_cannot_serve() {
    let dir = tempfile::tempdir().unwrap();
    let kms = open(&dir);
    let hmac =
        ok(&kms, "CreateKey", json!({"KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"}))["KeyMetadata"].clone();
    assert_eq!(hmac["MacAlgorithms"], json!(["HMAC_SHA_256"]));
    assert!(hmac.get("EncryptionAlgorithms").is_none());
    let hmac_id = hmac["KeyId"].as_str().unwrap();
    let e = err(&kms, "Encrypt", json!({"KeyId": hmac_id, "Plaintext": "eA=="}));
    assert_eq!(e.code, "InvalidKeyUsageException");
    assert_eq!(e.message, format!("{} key usage is GENERATE_VERIFY_MAC which is not valid for Encrypt.", arn(hmac_id)));
    let ecc = ok(&kms, "CreateKey", json!({"CustomerMasterKeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY"}));
    assert_eq!(ecc["KeyMetadata"]["SigningAlgorithms"], json!(["ECDSA_SHA_256"]));
    assert_eq!(ecc["KeyMetadata"]["KeySpec"], "ECC_NIST_P256");

    let refused = [
        (json!({"KeySpec": "RSA_2048"}), "ValidationException"),
        (json!({"KeySpec": "SYMMETRIC_DEFAULT", "KeyUsage": "SIGN_VERIFY"}), "ValidationException"),
        (json!({"KeySpec": "SYMMETRIC_DEFAULT", "CustomerMasterKeySpec": "SYMMETRIC_DEFAULT"}), "ValidationException"),
        (json!({"KeySpec": "RSA_2048", "KeyUsage": "ENCRYPT_DECRYPT"}), "UnsupportedOperationException"),
        (json!({"MultiRegion": true}), "UnsupportedOperationException"),
        (json!({"Origin": "EXTERNAL"}), "UnsupportedOperationException"),
        (json!({"Policy": "{not json"}), "MalformedPolicyDocumentException"),
        (json!({"Tags": [{"TagKey": "aws:x", "TagValue": "v"}]}), "TagException"),
        (json!({"KeySpec": "NOPE"}), "ValidationException"),
    ];
    for (body, code) in refused {
        assert_eq!(err(&kms, "CreateKey", body.clone()).code, code, "{body}");
    }
}

#[test]
fn disabled_key_refuses_cryptography_until_enabled() {
    let dir = tempfile::tempdir().unwrap();
    let kms = open(&dir);
    let key_id = create(&kms, json!({}));
    let blob = ok(&kms, "Encrypt", json!({"KeyId": key_id, "Plaintext": "eA=="}))["CiphertextBlob"].clone();
    ok(&kms, "DisableKey", json!({"KeyId": key_id}));
    let meta = ok(&kms, "DescribeKey", json!({"KeyId": key_id}))["KeyMetadata"].clone();
    assert_eq!((meta["KeyState"].as_str(), meta["Enabled"].as_bool()), (Some("Disabled"), Some(false)));
    for (op, body) in [
        ("Encrypt", json!({"KeyId": key_id, "Plaintext": "eA=="})),
        ("Decrypt", json!({"CiphertextBlob": blob})),
        ("GenerateDataKey", json!({"KeyId": key_id, "KeySpec": "AES_256"})),
        ("GenerateDataKeyWithoutPlaintext", json!({"KeyId": key_id, "NumberOfBytes": 8})),
        ("ReEncrypt", json!({"CiphertextBlob": blob, "DestinationKeyId": key_id})),
        ("EnableKeyRotation", json!({"KeyId": key_id})),
    ] {
        let e = err(&kms, op, body);
        assert_eq!((e.code, e.message), ("DisabledException", format!("{} is disabled.", arn(&key_id))), "{op}");
    }
    ok(&kms, "EnableKey", json!({"KeyId": key_id}));
    assert_eq!(ok(&kms, "Decrypt", json!({"CiphertextBlob": blob}))["Plaintext"], "eA==");
}

#[test]
fn scheduled_deletion_blocks_use_and_cancel_leaves_the_key_disabled() {
    let dir = tempfile::tempdir().unwrap();
    let kms = open(&dir);
    let key_id = create(&kms, json!({}));
    for days in [6, 31] {
        let e = err(&kms, "ScheduleKeyDeletion", json!({"KeyId": key_id, "PendingWindowInDays": days}));
        assert_eq!(e.code, "ValidationException");
    }
    let before = now();
    let out = ok(&kms, "ScheduleKeyDeletion", json!({"KeyId": key_id}));
    assert_eq!(out["KeyId"], arn(&key_id));
    assert_eq!(out["KeyState"], "PendingDeletion");
    assert_eq!(out["PendingWindowInDays"], 30);
    let deletion = out["DeletionDate"].as_f64().unwrap();
    assert!(deletion >= before + 30.0 * DAY_SECONDS - 1.0 && deletion <= now() + 30.0 * DAY_SECONDS + 1.0);
    let meta = ok(&kms, "DescribeKey", json!({"KeyId": key_id}))["KeyMetadata"].clone();
    assert_eq!(meta["KeyState"], "PendingDeletion");
    assert_eq!(meta["Enabled"], false);
    assert_eq!(meta["PendingDeletionWindowInDays"], 30);
    assert_eq!(meta["DeletionDate"].as_f64(), Some(deletion));
    let pending = format!("{} is pending deletion.", arn(&key_id));
    for (op, body) in [
        ("Encrypt", json!({"KeyId": key_id, "Plaintext": "eA=="})),
        ("EnableKey", json!({"KeyId": key_id})),
        ("DisableKey", json!({"KeyId": key_id})),
        ("ScheduleKeyDeletion", json!({"KeyId": key_id})),
        ("TagResource", json!({"KeyId": key_id, "Tags": [{"TagKey": "a", "TagValue": "b"}]})),
        ("UpdateKeyDescription", json!({"KeyId": key_id, "Description": "x"})),
        ("CreateAlias", json!({"AliasName": "alias/late", "TargetKeyId": key_id})),
    ] {
        let e = err(&kms, op, body);
        assert_eq!((e.code, e.message.as_str()), ("KMSInvalidStateException", pending.as_str()), "{op}");
    }
    assert_eq!(ok(&kms, "CancelKeyDeletion", json!({"KeyId": key_id}))["KeyId"], arn(&key_id));
    assert_eq!(state(&kms, &key_id), "Disabled");
    let e = err(&kms, "CancelKeyDeletion", json!({"KeyId": key_id}));
    assert_eq!((e.code, e.message), ("KMSInvalidStateException", format!("{} is not pending deletion.", arn(&key_id))));
    let out = ok(&kms, "ScheduleKeyDeletion", json!({"KeyId": key_id, "PendingWindowInDays": 7}));
    assert_eq!(out["PendingWindowInDays"], 7);
}

#[test]
fn a_key_past_its_deletion_date_is_gone_with_its_aliases_and_tags() {
    let dir = tempfile::tempdir().unwrap();
    let kms = open(&dir);
    let key_id = create(&kms, json!({"Tags": [{"TagKey": "a", "TagValue": "b"}]}));
    ok(&kms, "CreateAlias", json!({"AliasName": "alias/doomed", "TargetKeyId": key_id}));
    ok(&kms, "ScheduleKeyDeletion", json!({"KeyId": key_id, "PendingWindowInDays": 7}));
    kms.inner.store.lock().conn().execute("UPDATE keys SET deletion_date = 1.0", []).unwrap();
    let e = err(&kms, "DescribeKey", json!({"KeyId": key_id}));
    assert_eq!((e.code, e.message), ("NotFoundException", format!("Key '{}' does not exist", arn(&key_id))));
    // Only the predefined AWS alias, not yet pointing at a key, is left.
    let aliases = ok(&kms, "ListAliases", json!({}))["Aliases"].clone();
    assert_eq!(aliases.as_array().unwrap().len(), 1, "{aliases}");
    assert_eq!((aliases[0]["AliasName"].as_str(), aliases[0].get("TargetKeyId")), (Some("alias/aws/kinesis"), None));
    assert_eq!(ok(&kms, "ListKeys", json!({}))["Keys"], json!([]));
    let tags: i64 = kms.inner.store.lock().conn().query_row("SELECT COUNT(*) FROM key_tags", [], |r| r.get(0)).unwrap();
    assert_eq!(tags, 0);
}

#[test]
fn rotation_settings_report_period_and_next_date() {
    let dir = tempfile::tempdir().unwrap();
    let kms = open(&dir);
    let key_id = create(&kms, json!({}));
    let status = ok(&kms, "GetKeyRotationStatus", json!({"KeyId": key_id}));
    assert_eq!(status, json!({"KeyRotationEnabled": false, "KeyId": key_id}));
    ok(&kms, "EnableKeyRotation", json!({"KeyId": key_id}));
    let status = ok(&kms, "GetKeyRotationStatus", json!({"KeyId": arn(&key_id)}));
    assert_eq!(status["KeyRotationEnabled"], true);
    assert_eq!(status["RotationPeriodInDays"], 365);
    let next = status["NextRotationDate"].as_f64().unwrap();
    assert!((next - (now() + 365.0 * DAY_SECONDS)).abs() < 5.0);
    ok(&kms, "EnableKeyRotation", json!({"KeyId": key_id, "RotationPeriodInDays": 90}));
    assert_eq!(ok(&kms, "GetKeyRotationStatus", json!({"KeyId": key_id}))["RotationPeriodInDays"], 90);
    for days in [89, 2561] {
        let e = err(&kms, "EnableKeyRotation", json!({"KeyId": key_id, "RotationPeriodInDays": days}));
        assert_eq!(e.code, "ValidationException");
    }
    ok(&kms, "DisableKeyRotation", json!({"KeyId": key_id}));
    assert_eq!(ok(&kms, "GetKeyRotationStatus", json!({"KeyId": key_id}))["KeyRotationEnabled"], false);

    let hmac = create(&kms, json!({"KeySpec": "HMAC_384", "KeyUsage": "GENERATE_VERIFY_MAC"}));
    assert_eq!(err(&kms, "EnableKeyRotation", json!({"KeyId": hmac})).code, "UnsupportedOperationException");
    assert_eq!(err(&kms, "GetKeyRotationStatus", json!({"KeyId": hmac})).code, "UnsupportedOperationException");
}

#[test]
fn aws_managed_keys_rotate_yearly_and_refuse_every_change() {
    let dir = tempfile::tempdir().unwrap();
    let kms = open(&dir);
    let meta = ok(&kms, "DescribeKey", json!({"KeyId": "alias/aws/kinesis"}))["KeyMetadata"].clone();
    assert_eq!(meta["KeyManager"], "AWS");
    let key_id = meta["KeyId"].as_str().unwrap().to_string();
    let status = ok(&kms, "GetKeyRotationStatus", json!({"KeyId": key_id}));
    assert_eq!(
        (status["KeyRotationEnabled"].as_bool(), status["RotationPeriodInDays"].as_i64()),
        (Some(true), Some(365))
    );
    let policy = ok(&kms, "GetKeyPolicy", json!({"KeyId": key_id}))["Policy"].as_str().unwrap().to_string();
    let policy: Value = serde_json::from_str(&policy).unwrap();
    assert_eq!(policy["Id"], "auto-kinesis-1");
    assert_eq!(
        policy["Statement"][0]["Condition"]["StringEquals"]["kms:ViaService"],
        format!("kinesis.{REGION}.amazonaws.com")
    );
    for (op, body) in [
        ("EnableKeyRotation", json!({"KeyId": key_id})),
        ("DisableKeyRotation", json!({"KeyId": key_id})),
        ("DisableKey", json!({"KeyId": key_id})),
        ("ScheduleKeyDeletion", json!({"KeyId": key_id})),
        ("PutKeyPolicy", json!({"KeyId": key_id, "Policy": "{}"})),
        ("TagResource", json!({"KeyId": key_id, "Tags": [{"TagKey": "a", "TagValue": "b"}]})),
        ("UpdateKeyDescription", json!({"KeyId": key_id, "Description": "x"})),
    ] {
        let e = err(&kms, op, body);
        assert_eq!(e.code, "AccessDeniedException", "{op}");
        assert_eq!(
            e.message,
            format!("User: arn:aws:iam::{ACCOUNT}:root is not authorized to perform: kms:{op} on resource: {} because no resource-based policy allows the kms:{op} action", arn(&key_id))
        );
    }
    for (op, body) in [
        ("DeleteAlias", json!({"AliasName": "alias/aws/kinesis"})),
        ("UpdateAlias", json!({"AliasName": "alias/aws/kinesis", "TargetKeyId": key_id})),
    ] {
        assert_eq!(err(&kms, op, body).code, "NotAuthorizedException", "{op}");
    }
}

#[test]
fn key_policies_are_checked_stored_and_named_default() {
    let dir = tempfile::tempdir().unwrap();
    let kms = open(&dir);
    let key_id = create(&kms, json!({}));
    let document = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:Decrypt","Resource":"*"}]}"#;
    ok(&kms, "PutKeyPolicy", json!({"KeyId": key_id, "PolicyName": "default", "Policy": document}));
    assert_eq!(ok(&kms, "GetKeyPolicy", json!({"KeyId": key_id}))["Policy"], document);
    let e = err(&kms, "PutKeyPolicy", json!({"KeyId": key_id, "Policy": "{\"Statement\": 3}"}));
    assert_eq!(e.code, "MalformedPolicyDocumentException");
    assert_eq!(err(&kms, "GetKeyPolicy", json!({"KeyId": key_id, "PolicyName": "other"})).code, "NotFoundException");
    assert_eq!(
        err(&kms, "PutKeyPolicy", json!({"KeyId": key_id, "PolicyName": "other", "Policy": document})).code,
        "NotFoundException"
    );
    assert_eq!(ok(&kms, "GetKeyPolicy", json!({"KeyId": key_id}))["Policy"], document);
}

#[test]
fn tags_page_by_marker_and_refuse_bad_tags() {
    let dir = tempfile::tempdir().unwrap();
    let kms = open(&dir);
    let key_id = create(&kms, json!({}));
    let tags: Vec<_> = (0..5).map(|i| json!({"TagKey": format!("k{i}"), "TagValue": format!("v{i}")})).collect();
    ok(&kms, "TagResource", json!({"KeyId": key_id, "Tags": tags}));
    ok(&kms, "TagResource", json!({"KeyId": key_id, "Tags": [{"TagKey": "k0", "TagValue": "new"}]}));
    let mut seen = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let mut body = json!({"KeyId": key_id, "Limit": 2});
        if let Some(m) = &marker {
            body["Marker"] = json!(m);
        }
        let page = ok(&kms, "ListResourceTags", body);
        seen.extend(page["Tags"].as_array().unwrap().iter().map(|t| t["TagKey"].as_str().unwrap().to_string()));
        if page["Truncated"] == false {
            assert!(page.get("NextMarker").is_none());
            break;
        }
        marker = Some(page["NextMarker"].as_str().unwrap().to_string());
    }
    assert_eq!(seen, ["k0", "k1", "k2", "k3", "k4"]);
    assert_eq!(ok(&kms, "ListResourceTags", json!({"KeyId": key_id, "Limit": 1}))["Tags"][0]["TagValue"], "new");
    ok(&kms, "UntagResource", json!({"KeyId": key_id, "TagKeys": ["k1", "missing"]}));
    assert_eq!(ok(&kms, "ListResourceTags", json!({"KeyId": key_id}))["Tags"].as_array().unwrap().len(), 4);
    let many: Vec<_> = (0..47).map(|i| json!({"TagKey": format!("m{i}"), "TagValue": ""})).collect();
    assert_eq!(err(&kms, "TagResource", json!({"KeyId": key_id, "Tags": many})).code, "TagException");
    let dup = json!([{"TagKey": "d", "TagValue": "1"}, {"TagKey": "d", "TagValue": "2"}]);
    assert_eq!(err(&kms, "TagResource", json!({"KeyId": key_id, "Tags": dup})).code, "TagException");
    assert_eq!(err(&kms, "ListResourceTags", json!({"KeyId": key_id, "Limit": 51})).code, "ValidationException");
}

#[test]
fn management_operations_take_key_ids_and_arns_but_not_aliases() {
    let dir = tempfile::tempdir().unwrap();
    let kms = open(&dir);
    let key_id = create(&kms, json!({}));
    ok(&kms, "CreateAlias", json!({"AliasName": "alias/k", "TargetKeyId": key_id}));
    let alias_arn = format!("arn:aws:kms:{REGION}:{ACCOUNT}:alias/k");
    for name in [key_id.clone(), arn(&key_id), "alias/k".to_string(), alias_arn.clone()] {
        assert_eq!(ok(&kms, "DescribeKey", json!({"KeyId": name}))["KeyMetadata"]["KeyId"], key_id.as_str());
        ok(&kms, "GenerateDataKey", json!({"KeyId": name, "KeySpec": "AES_128"}));
    }
    for name in ["alias/k", alias_arn.as_str()] {
        for op in ["GetKeyPolicy", "EnableKeyRotation", "DisableKey", "ListResourceTags", "ScheduleKeyDeletion"] {
            let e = err(&kms, op, json!({"KeyId": name}));
            assert_eq!((e.code, e.message), ("NotFoundException", format!("Invalid keyId {name}")), "{op}");
        }
    }
    ok(&kms, "DisableKey", json!({"KeyId": arn(&key_id)}));
    assert_eq!(state(&kms, &key_id), "Disabled");
    let e = err(&kms, "DescribeKey", json!({"KeyId": "not-a-key"}));
    assert_eq!((e.code, e.message.as_str()), ("NotFoundException", "Invalid keyId not-a-key"));
}

#[test]
fn aliases_update_and_delete() {
    let dir = tempfile::tempdir().unwrap();
    let kms = open(&dir);
    let first = create(&kms, json!({}));
    let second = create(&kms, json!({}));
    ok(&kms, "CreateAlias", json!({"AliasName": "alias/moving", "TargetKeyId": first}));
    ok(&kms, "UpdateAlias", json!({"AliasName": "alias/moving", "TargetKeyId": arn(&second)}));
    assert_eq!(ok(&kms, "DescribeKey", json!({"KeyId": "alias/moving"}))["KeyMetadata"]["KeyId"], second.as_str());
    let listed = ok(&kms, "ListAliases", json!({"KeyId": second}))["Aliases"][0].clone();
    assert!(listed["LastUpdatedDate"].as_f64().unwrap() >= listed["CreationDate"].as_f64().unwrap());
    let hmac = create(&kms, json!({"KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"}));
    assert_eq!(
        err(&kms, "UpdateAlias", json!({"AliasName": "alias/moving", "TargetKeyId": hmac})).code,
        "ValidationException"
    );
    let missing = err(&kms, "UpdateAlias", json!({"AliasName": "alias/none", "TargetKeyId": first}));
    assert_eq!(
        (missing.code, missing.message),
        ("NotFoundException", format!("Alias arn:aws:kms:{REGION}:{ACCOUNT}:alias/none is not found."))
    );
    ok(&kms, "DeleteAlias", json!({"AliasName": "alias/moving"}));
    assert_eq!(err(&kms, "DescribeKey", json!({"KeyId": "alias/moving"})).code, "NotFoundException");
    assert_eq!(err(&kms, "DeleteAlias", json!({"AliasName": "alias/moving"})).code, "NotFoundException");
    assert_eq!(err(&kms, "DeleteAlias", json!({"AliasName": "moving"})).code, "ValidationException");
}

#[test]
fn reencrypt_data_keys_without_plaintext_and_random_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let kms = open(&dir);
    let a = create(&kms, json!({}));
    let b = create(&kms, json!({}));
    let blob = ok(
        &kms,
        "GenerateDataKeyWithoutPlaintext",
        json!({"KeyId": a, "KeySpec": "AES_256", "EncryptionContext": {"s": "1"}}),
    );
    assert!(blob.get("Plaintext").is_none());
    assert_eq!(blob["KeyId"], arn(&a));
    let out = ok(
        &kms,
        "ReEncrypt",
        json!({"CiphertextBlob": blob["CiphertextBlob"], "SourceEncryptionContext": {"s": "1"}, "DestinationKeyId": b}),
    );
    assert_eq!((out["SourceKeyId"].as_str(), out["KeyId"].as_str()), (Some(arn(&a).as_str()), Some(arn(&b).as_str())));
    let plain = ok(&kms, "Decrypt", json!({"CiphertextBlob": out["CiphertextBlob"], "KeyId": b}))["Plaintext"].clone();
    let plain = aws_model::base64::decode(plain.as_str().unwrap()).unwrap();
    assert_eq!(plain.len(), 32);
    let e = err(
        &kms,
        "ReEncrypt",
        json!({"CiphertextBlob": blob["CiphertextBlob"], "SourceKeyId": b, "DestinationKeyId": b}),
    );
    assert_eq!(e.code, "IncorrectKeyException");

    for n in [1, 1024] {
        let out = ok(&kms, "GenerateRandom", json!({"NumberOfBytes": n}));
        assert_eq!(aws_model::base64::decode(out["Plaintext"].as_str().unwrap()).unwrap().len(), n);
    }
    for body in [json!({"NumberOfBytes": 0}), json!({"NumberOfBytes": 1025}), json!({})] {
        assert_eq!(err(&kms, "GenerateRandom", body.clone()).code, "ValidationException", "{body}");
    }
    let e = err(&kms, "Encrypt", json!({"KeyId": a, "Plaintext": "eA==", "DryRun": true}));
    assert_eq!((e.status, e.code), (412, "DryRunOperationException"));
}

#[test]
fn update_key_description_changes_the_description() {
    let dir = tempfile::tempdir().unwrap();
    let kms = open(&dir);
    let key_id = create(&kms, json!({"Description": "old"}));
    ok(&kms, "UpdateKeyDescription", json!({"KeyId": key_id, "Description": "new"}));
    assert_eq!(ok(&kms, "DescribeKey", json!({"KeyId": key_id}))["KeyMetadata"]["Description"], "new");
}

/// The schema of the first release, before any attribute was added.
const FIRST_RELEASE_SCHEMA: &str = "CREATE TABLE keys (
        key_id TEXT PRIMARY KEY, description TEXT NOT NULL, created REAL NOT NULL,
        aws_managed INTEGER NOT NULL, material BLOB NOT NULL);
    CREATE TABLE aliases (name TEXT PRIMARY KEY, target TEXT NOT NULL REFERENCES keys(key_id), created REAL NOT NULL);";

#[test]
fn a_first_release_database_opens_and_gains_the_new_attributes() {
    let dir = tempfile::tempdir().unwrap();
    let key_id = "0b1e2d3c-4a5b-4c6d-8e7f-901234567890";
    let master = crypto::MasterKey::load_or_create(&dir.path().join("kms-master.key")).unwrap();
    let sealed = master.seal(key_id.as_bytes(), &[9u8; crypto::KEY_LEN]).unwrap();
    {
        let conn = rusqlite::Connection::open(dir.path().join("kms.db")).unwrap();
        conn.execute_batch(FIRST_RELEASE_SCHEMA).unwrap();
        conn.execute("INSERT INTO keys VALUES (?1, 'legacy', 1700000000.0, 0, ?2)", rusqlite::params![key_id, sealed])
            .unwrap();
        conn.execute("INSERT INTO aliases VALUES ('alias/legacy', ?1, 1700000000.0)", [key_id]).unwrap();
    }
    let kms = open(&dir);
    let meta = ok(&kms, "DescribeKey", json!({"KeyId": "alias/legacy"}))["KeyMetadata"].clone();
    assert_eq!(meta["KeyId"], key_id);
    assert_eq!(meta["Description"], "legacy");
    assert_eq!(meta["KeyState"], "Enabled");
    assert_eq!(meta["KeySpec"], "SYMMETRIC_DEFAULT");
    assert_eq!(meta["KeyUsage"], "ENCRYPT_DECRYPT");
    assert_eq!(meta["CreationDate"].as_f64(), Some(1700000000.0));
    let aliases = ok(&kms, "ListAliases", json!({"KeyId": key_id}));
    assert_eq!(aliases["Aliases"][0]["LastUpdatedDate"].as_f64(), Some(1700000000.0));
    let blob = ok(&kms, "Encrypt", json!({"KeyId": key_id, "Plaintext": "eA=="}))["CiphertextBlob"].clone();
    ok(&kms, "TagResource", json!({"KeyId": key_id, "Tags": [{"TagKey": "a", "TagValue": "b"}]}));
    ok(&kms, "EnableKeyRotation", json!({"KeyId": key_id}));
    drop(kms);
    // Opening again finds every column present and changes nothing.
    let kms = open(&dir);
    assert_eq!(ok(&kms, "Decrypt", json!({"CiphertextBlob": blob}))["Plaintext"], "eA==");
    assert_eq!(ok(&kms, "ListResourceTags", json!({"KeyId": key_id}))["Tags"][0]["TagKey"], "a");
    assert_eq!(ok(&kms, "GetKeyRotationStatus", json!({"KeyId": key_id}))["KeyRotationEnabled"], true);
}
