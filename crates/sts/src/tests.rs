//! STS operations on JSON bodies, with IAM underneath.

use aws_wire::StaticCredentials;
use serde_json::{json, Value};

use super::*;

const ACCOUNT: &str = "123456789012";
const TRUST: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}"#;

fn principal(key: &str) -> Principal {
    Principal { access_key_id: key.into(), account_id: ACCOUNT.into() }
}

fn setup() -> (tempfile::TempDir, Iam, Sts) {
    let dir = tempfile::tempdir().unwrap();
    let iam = Iam::open(dir.path(), "us-east-1", ACCOUNT).unwrap();
    let body = json!({"RoleName": "reader", "AssumeRolePolicyDocument": TRUST, "MaxSessionDuration": 7200});
    iam.call_blocking("CreateRole", body.to_string().as_bytes(), &principal("root")).unwrap();
    let sts = Sts::new(iam.clone());
    (dir, iam, sts)
}

fn call(sts: &Sts, op: &str, input: Value, caller: &str) -> Result<Value, AwsError> {
    let out = sts.call_blocking(op, input.to_string().as_bytes(), &principal(caller))?;
    Ok(serde_json::from_slice(&out).unwrap())
}

const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/reader";

#[test]
fn assume_role_issues_credentials_that_identify_the_session() {
    let (_dir, iam, sts) = setup();
    let out = call(&sts, "AssumeRole", json!({"RoleArn": ROLE_ARN, "RoleSessionName": "s1"}), "root").unwrap();
    let creds = &out["Credentials"];
    let key = creds["AccessKeyId"].as_str().unwrap();
    assert!(key.starts_with("ASIA") && key.len() == 20, "{key}");
    assert_eq!(creds["SecretAccessKey"].as_str().unwrap().len(), 40);
    let expiration = creds["Expiration"].as_f64().unwrap();
    let now = aws_model::Timestamp::now().as_epoch_seconds();
    assert!((expiration - now - 3600.0).abs() < 60.0, "{expiration} vs {now}");
    let role_id = iam.role_for_arn(ROLE_ARN).unwrap().id;
    assert_eq!(out["AssumedRoleUser"]["AssumedRoleId"], format!("{role_id}:s1"));
    assert_eq!(out["AssumedRoleUser"]["Arn"], "arn:aws:sts::123456789012:assumed-role/reader/s1");
    assert!(out.get("PackedPolicySize").is_none());
    let store = iam.credential_store(StaticCredentials::default());
    assert!(store.lookup(key, creds["SessionToken"].as_str()).is_some());
    let me = call(&sts, "GetCallerIdentity", json!({}), key).unwrap();
    assert_eq!(
        me,
        json!({"UserId": format!("{role_id}:s1"), "Arn": "arn:aws:sts::123456789012:assumed-role/reader/s1", "Account": ACCOUNT})
    );
}

#[test]
fn assume_role_errors_are_aws_shaped() {
    let (_dir, _iam, sts) = setup();
    let e = call(
        &sts,
        "AssumeRole",
        json!({"RoleArn": "arn:aws:iam::123456789012:role/none", "RoleSessionName": "s1"}),
        "root",
    )
    .unwrap_err();
    assert_eq!((e.status.as_u16(), &*e.code), (403, "AccessDenied"));
    assert_eq!(
        e.message,
        "User: arn:aws:iam::123456789012:root is not authorized to perform: sts:AssumeRole on resource: \
         arn:aws:iam::123456789012:role/none"
    );
    let e = call(
        &sts,
        "AssumeRole",
        json!({"RoleArn": ROLE_ARN, "RoleSessionName": "s1", "DurationSeconds": 7201}),
        "root",
    )
    .unwrap_err();
    assert_eq!((e.status.as_u16(), &*e.code), (400, "ValidationError"));
    assert_eq!(e.message, "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.");
    let e =
        call(&sts, "AssumeRole", json!({"RoleArn": ROLE_ARN, "RoleSessionName": "s1", "DurationSeconds": 899}), "root")
            .unwrap_err();
    assert_eq!((e.status.as_u16(), &*e.code), (400, "ValidationError"));
    let e = call(&sts, "AssumeRole", json!({"RoleArn": ROLE_ARN, "RoleSessionName": "x"}), "root").unwrap_err();
    assert!(e.message.contains("roleSessionName"), "{}", e.message);
    let e = call(&sts, "AssumeRole", json!({"RoleArn": ROLE_ARN, "RoleSessionName": "a b"}), "root").unwrap_err();
    assert_eq!(&*e.code, "ValidationError");
    let e = call(&sts, "AssumeRole", json!({"RoleArn": ROLE_ARN, "RoleSessionName": "s1", "Policy": "{"}), "root")
        .unwrap_err();
    assert_eq!((e.status.as_u16(), &*e.code), (400, "MalformedPolicyDocument"));
}

#[test]
fn role_chaining_is_limited_to_an_hour() {
    let (_dir, _iam, sts) = setup();
    let first = call(&sts, "AssumeRole", json!({"RoleArn": ROLE_ARN, "RoleSessionName": "one"}), "root").unwrap();
    let key = first["Credentials"]["AccessKeyId"].as_str().unwrap();
    let e =
        call(&sts, "AssumeRole", json!({"RoleArn": ROLE_ARN, "RoleSessionName": "two", "DurationSeconds": 7200}), key)
            .unwrap_err();
    assert_eq!(
        e.message,
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
    );
    let second = call(&sts, "AssumeRole", json!({"RoleArn": ROLE_ARN, "RoleSessionName": "two"}), key).unwrap();
    assert_eq!(second["AssumedRoleUser"]["Arn"], "arn:aws:sts::123456789012:assumed-role/reader/two");
}

#[test]
fn session_policies_report_their_packed_size() {
    let (_dir, _iam, sts) = setup();
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kinesis:List*","Resource":"*"}]}"#;
    let out = call(&sts, "AssumeRole", json!({"RoleArn": ROLE_ARN, "RoleSessionName": "s1", "Policy": policy}), "root")
        .unwrap();
    let size = out["PackedPolicySize"].as_i64().unwrap();
    assert_eq!(size, (iam::document::size_chars(policy) * 100).div_ceil(PACKED_POLICY_CHARS_MAX) as i64);
    let tags: Vec<Value> =
        (0..40).map(|i| json!({"Key": format!("key-{i:03}-{}", "k".repeat(20)), "Value": "v".repeat(60)})).collect();
    let e = call(&sts, "AssumeRole", json!({"RoleArn": ROLE_ARN, "RoleSessionName": "s1", "Tags": tags}), "root")
        .unwrap_err();
    assert_eq!((e.status.as_u16(), &*e.code), (400, "PackedPolicyTooLarge"));
}

#[test]
fn get_caller_identity_names_root_and_users() {
    let (_dir, iam, sts) = setup();
    let me = call(&sts, "GetCallerIdentity", json!({}), "root").unwrap();
    assert_eq!(me, json!({"UserId": ACCOUNT, "Arn": "arn:aws:iam::123456789012:root", "Account": ACCOUNT}));
    let user = iam.call_blocking("CreateUser", br#"{"UserName":"u","Path":"/eng/"}"#, &principal("root")).unwrap();
    let user: Value = serde_json::from_slice(&user).unwrap();
    let key = iam.call_blocking("CreateAccessKey", br#"{"UserName":"u"}"#, &principal("root")).unwrap();
    let key: Value = serde_json::from_slice(&key).unwrap();
    let key = key["AccessKey"]["AccessKeyId"].as_str().unwrap();
    let me = call(&sts, "GetCallerIdentity", json!({}), key).unwrap();
    assert_eq!(me["UserId"], user["User"]["UserId"]);
    assert_eq!(me["Arn"], "arn:aws:iam::123456789012:user/eng/u");
    // Session tokens of a user act as the user.
    let session = call(&sts, "GetSessionToken", json!({"DurationSeconds": 900}), key).unwrap();
    let temp = session["Credentials"]["AccessKeyId"].as_str().unwrap();
    assert_eq!(
        call(&sts, "GetCallerIdentity", json!({}), temp).unwrap()["Arn"],
        "arn:aws:iam::123456789012:user/eng/u"
    );
    let e = call(&sts, "GetSessionToken", json!({}), temp).unwrap_err();
    assert_eq!((e.status.as_u16(), &*e.code), (403, "AccessDenied"));
}

#[test]
fn root_session_tokens_last_at_most_an_hour() {
    let (_dir, _iam, sts) = setup();
    let out = call(&sts, "GetSessionToken", json!({"DurationSeconds": 7200}), "root").unwrap();
    let expiration = out["Credentials"]["Expiration"].as_f64().unwrap();
    let now = aws_model::Timestamp::now().as_epoch_seconds();
    assert!((expiration - now - 3600.0).abs() < 60.0);
}

#[test]
fn get_access_key_info_names_the_account() {
    let (_dir, iam, sts) = setup();
    iam.call_blocking("CreateUser", br#"{"UserName":"u"}"#, &principal("root")).unwrap();
    let key = iam.call_blocking("CreateAccessKey", br#"{"UserName":"u"}"#, &principal("root")).unwrap();
    let key: Value = serde_json::from_slice(&key).unwrap();
    let key = key["AccessKey"]["AccessKeyId"].as_str().unwrap();
    for id in [key, "AKIAIOSFODNN7EXAMPLE"] {
        let out = call(&sts, "GetAccessKeyInfo", json!({"AccessKeyId": id}), "root").unwrap();
        assert_eq!(out, json!({"Account": ACCOUNT}));
    }
    let e = call(&sts, "GetAccessKeyInfo", json!({"AccessKeyId": "short"}), "root").unwrap_err();
    assert_eq!((e.status.as_u16(), &*e.code), (400, "ValidationError"));
    let e = call(&sts, "GetAccessKeyInfo", json!({}), "root").unwrap_err();
    assert_eq!((e.status.as_u16(), &*e.code), (400, "ValidationError"));
}
