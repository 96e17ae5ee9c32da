//! The service through its operations, on JSON bodies as the front passes them.

use aws_wire::{Credential, Principal, StaticCredentials};
use serde_json::{json, Value};

use super::*;

const ACCOUNT: &str = "123456789012";
const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"firehose.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kinesis:*","Resource":"*"}]}"#;

fn root() -> Principal {
    Principal { access_key_id: "root-key".into(), account_id: ACCOUNT.into() }
}

fn open(dir: &tempfile::TempDir) -> Iam {
    Iam::open(dir.path(), "us-east-1", ACCOUNT).unwrap()
}

fn call(iam: &Iam, op: &str, input: Value) -> Result<Value, AwsError> {
    call_as(iam, op, input, &root())
}

fn call_as(iam: &Iam, op: &str, input: Value, caller: &Principal) -> Result<Value, AwsError> {
    let out = iam.call_blocking(op, input.to_string().as_bytes(), caller)?;
    Ok(serde_json::from_slice(&out).unwrap())
}

fn ok(iam: &Iam, op: &str, input: Value) -> Value {
    call(iam, op, input).unwrap_or_else(|e| panic!("{op}: {e}"))
}

fn err(iam: &Iam, op: &str, input: Value) -> (u16, String, String) {
    let e = call(iam, op, input).unwrap_err();
    (e.status.as_u16(), e.code.to_string(), e.message)
}

fn code(iam: &Iam, op: &str, input: Value) -> (u16, String) {
    let (status, code, _) = err(iam, op, input);
    (status, code)
}

#[test]
fn create_role_answers_the_role_with_ids_arn_and_encoded_trust_policy() {
    let dir = tempfile::tempdir().unwrap();
    let iam = open(&dir);
    let out = ok(
        &iam,
        "CreateRole",
        json!({"RoleName": "r1", "Path": "/svc/", "AssumeRolePolicyDocument": TRUST, "Description": "d",
               "Tags": [{"Key": "k", "Value": "v"}]}),
    );
    let role = &out["Role"];
    assert_eq!(role["Arn"], "arn:aws:iam::123456789012:role/svc/r1");
    let id = role["RoleId"].as_str().unwrap();
    assert!(id.starts_with("AROA") && id.len() == 21, "{id}");
    assert_eq!(role["AssumeRolePolicyDocument"], document::url_encode(TRUST));
    assert_eq!(role["MaxSessionDuration"], 3600);
    assert_eq!(role["Path"], "/svc/");
    assert_eq!(role["Tags"], json!([{"Key": "k", "Value": "v"}]));
    assert!(role["CreateDate"].as_f64().unwrap() > 1.6e9);
    assert_eq!(
        err(&iam, "CreateRole", json!({"RoleName": "R1", "AssumeRolePolicyDocument": TRUST})),
        (409, "EntityAlreadyExists".into(), "Role with name R1 already exists.".into())
    );
    assert_eq!(
        code(&iam, "CreateRole", json!({"RoleName": "r2", "AssumeRolePolicyDocument": "{"})),
        (400, "MalformedPolicyDocument".into())
    );
    assert_eq!(code(&iam, "CreateRole", json!({"RoleName": "r2"})), (400, "ValidationError".into()));
    // An encoded document is taken as the JSON it encodes.
    ok(&iam, "CreateRole", json!({"RoleName": "r2", "AssumeRolePolicyDocument": document::url_encode(TRUST)}));
    let got = ok(&iam, "GetRole", json!({"RoleName": "r2"}));
    assert_eq!(got["Role"]["AssumeRolePolicyDocument"], document::url_encode(TRUST));
    assert_eq!(got["Role"]["RoleLastUsed"], json!({}));
    assert_eq!(
        err(&iam, "GetRole", json!({"RoleName": "nope"})),
        (404, "NoSuchEntity".into(), "The role with name nope cannot be found.".into())
    );
}

#[test]
fn roles_list_by_path_prefix_in_pages() {
    let dir = tempfile::tempdir().unwrap();
    let iam = open(&dir);
    for (name, path) in [("a", "/x/"), ("b", "/"), ("c", "/x/y/")] {
        ok(&iam, "CreateRole", json!({"RoleName": name, "Path": path, "AssumeRolePolicyDocument": TRUST}));
    }
    let first = ok(&iam, "ListRoles", json!({"MaxItems": 2}));
    let names = |v: &Value| {
        v["Roles"].as_array().unwrap().iter().map(|r| r["RoleName"].as_str().unwrap().to_string()).collect::<Vec<_>>()
    };
    assert_eq!(names(&first), ["a", "b"]);
    assert_eq!(first["IsTruncated"], true);
    let rest = ok(&iam, "ListRoles", json!({"MaxItems": 2, "Marker": first["Marker"]}));
    assert_eq!(names(&rest), ["c"]);
    assert_eq!(rest["IsTruncated"], false);
    assert!(rest.get("Marker").is_none());
    assert_eq!(names(&ok(&iam, "ListRoles", json!({"PathPrefix": "/x/"}))), ["a", "c"]);
    assert!(first["Roles"][0].get("Tags").is_none());
}

#[test]
fn role_updates_tags_and_deletion_conflicts() {
    let dir = tempfile::tempdir().unwrap();
    let iam = open(&dir);
    ok(&iam, "CreateRole", json!({"RoleName": "r", "AssumeRolePolicyDocument": TRUST}));
    ok(&iam, "UpdateRole", json!({"RoleName": "r", "Description": "new", "MaxSessionDuration": 7200}));
    let role = &ok(&iam, "GetRole", json!({"RoleName": "r"}))["Role"];
    assert_eq!((role["Description"].as_str(), role["MaxSessionDuration"].as_i64()), (Some("new"), Some(7200)));
    assert_eq!(
        code(&iam, "UpdateRole", json!({"RoleName": "r", "MaxSessionDuration": 60})),
        (400, "ValidationError".into())
    );
    let other = TRUST.replace("firehose", "lambda");
    ok(&iam, "UpdateAssumeRolePolicy", json!({"RoleName": "r", "PolicyDocument": other}));
    assert_eq!(
        ok(&iam, "GetRole", json!({"RoleName": "r"}))["Role"]["AssumeRolePolicyDocument"],
        document::url_encode(&other)
    );
    ok(&iam, "TagRole", json!({"RoleName": "r", "Tags": [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]}));
    ok(&iam, "UntagRole", json!({"RoleName": "r", "TagKeys": ["a"]}));
    assert_eq!(ok(&iam, "ListRoleTags", json!({"RoleName": "r"}))["Tags"], json!([{"Key": "b", "Value": "2"}]));
    ok(&iam, "PutRolePolicy", json!({"RoleName": "r", "PolicyName": "p", "PolicyDocument": POLICY}));
    assert_eq!(
        err(&iam, "DeleteRole", json!({"RoleName": "r"})),
        (409, "DeleteConflict".into(), "Cannot delete entity, must delete policies first.".into())
    );
    ok(&iam, "DeleteRolePolicy", json!({"RoleName": "r", "PolicyName": "p"}));
    let arn = ok(&iam, "CreatePolicy", json!({"PolicyName": "mp", "PolicyDocument": POLICY}))["Policy"]["Arn"].clone();
    ok(&iam, "AttachRolePolicy", json!({"RoleName": "r", "PolicyArn": arn}));
    assert_eq!(
        err(&iam, "DeleteRole", json!({"RoleName": "r"})).2,
        "Cannot delete entity, must detach all policies first."
    );
    ok(&iam, "DetachRolePolicy", json!({"RoleName": "r", "PolicyArn": arn}));
    ok(&iam, "DeleteRole", json!({"RoleName": "r"}));
    assert_eq!(code(&iam, "DeleteRole", json!({"RoleName": "r"})), (404, "NoSuchEntity".into()));
}

#[test]
fn inline_and_attached_role_policies() {
    let dir = tempfile::tempdir().unwrap();
    let iam = open(&dir);
    ok(&iam, "CreateRole", json!({"RoleName": "r", "AssumeRolePolicyDocument": TRUST}));
    ok(
        &iam,
        "PutRolePolicy",
        json!({"RoleName": "r", "PolicyName": "b", "PolicyDocument": document::url_encode(POLICY)}),
    );
    ok(&iam, "PutRolePolicy", json!({"RoleName": "r", "PolicyName": "a", "PolicyDocument": POLICY}));
    let got = ok(&iam, "GetRolePolicy", json!({"RoleName": "r", "PolicyName": "b"}));
    assert_eq!(got, json!({"RoleName": "r", "PolicyName": "b", "PolicyDocument": document::url_encode(POLICY)}));
    assert_eq!(ok(&iam, "ListRolePolicies", json!({"RoleName": "r"}))["PolicyNames"], json!(["a", "b"]));
    assert_eq!(
        err(&iam, "GetRolePolicy", json!({"RoleName": "r", "PolicyName": "zz"})),
        (404, "NoSuchEntity".into(), "The role policy with name zz cannot be found.".into())
    );
    assert_eq!(
        err(&iam, "PutRolePolicy", json!({"RoleName": "r", "PolicyName": "c", "PolicyDocument": TRUST})).1,
        "MalformedPolicyDocument"
    );
    let missing = "arn:aws:iam::123456789012:policy/none";
    assert_eq!(
        err(&iam, "AttachRolePolicy", json!({"RoleName": "r", "PolicyArn": missing})),
        (404, "NoSuchEntity".into(), format!("Policy {missing} does not exist or is not attachable."))
    );
    let aws = "arn:aws:iam::aws:policy/AmazonKinesisFullAccess";
    ok(&iam, "AttachRolePolicy", json!({"RoleName": "r", "PolicyArn": aws}));
    ok(&iam, "AttachRolePolicy", json!({"RoleName": "r", "PolicyArn": aws}));
    let attached = ok(&iam, "ListAttachedRolePolicies", json!({"RoleName": "r"}));
    assert_eq!(attached["AttachedPolicies"], json!([{"PolicyName": "AmazonKinesisFullAccess", "PolicyArn": aws}]));
    assert_eq!(ok(&iam, "GetPolicy", json!({"PolicyArn": aws}))["Policy"]["AttachmentCount"], 1);
    assert_eq!(
        err(&iam, "DetachRolePolicy", json!({"RoleName": "r", "PolicyArn": missing})),
        (404, "NoSuchEntity".into(), format!("Policy {missing} was not found."))
    );
    for i in 0..9 {
        let arn = ok(&iam, "CreatePolicy", json!({"PolicyName": format!("p{i}"), "PolicyDocument": POLICY}))["Policy"]
            ["Arn"]
            .clone();
        ok(&iam, "AttachRolePolicy", json!({"RoleName": "r", "PolicyArn": arn}));
    }
    let arn =
        ok(&iam, "CreatePolicy", json!({"PolicyName": "eleventh", "PolicyDocument": POLICY}))["Policy"]["Arn"].clone();
    assert_eq!(
        err(&iam, "AttachRolePolicy", json!({"RoleName": "r", "PolicyArn": arn})),
        (409, "LimitExceeded".into(), "Cannot exceed quota for PoliciesPerRole: 10".into())
    );
    let profiles = ok(&iam, "ListInstanceProfilesForRole", json!({"RoleName": "r"}));
    assert_eq!(profiles, json!({"InstanceProfiles": [], "IsTruncated": false}));
}

#[test]
fn managed_policies_versions_and_conflicts() {
    let dir = tempfile::tempdir().unwrap();
    let iam = open(&dir);
    let created = ok(
        &iam,
        "CreatePolicy",
        json!({"PolicyName": "p", "Path": "/team/", "PolicyDocument": POLICY, "Description": "d", "Tags": [{"Key": "a", "Value": "b"}]}),
    );
    let policy = &created["Policy"];
    let arn = policy["Arn"].as_str().unwrap().to_string();
    assert_eq!(arn, "arn:aws:iam::123456789012:policy/team/p");
    assert!(policy["PolicyId"].as_str().unwrap().starts_with("ANPA"));
    assert_eq!((policy["DefaultVersionId"].as_str(), policy["AttachmentCount"].as_i64()), (Some("v1"), Some(0)));
    assert_eq!(
        err(&iam, "CreatePolicy", json!({"PolicyName": "P", "PolicyDocument": POLICY})),
        (
            409,
            "EntityAlreadyExists".into(),
            "A policy called P already exists. Duplicate names are not allowed.".into()
        )
    );
    for n in 2..=5 {
        let v = ok(
            &iam,
            "CreatePolicyVersion",
            json!({"PolicyArn": arn, "PolicyDocument": POLICY, "SetAsDefault": n == 3}),
        );
        assert_eq!(v["PolicyVersion"]["VersionId"], format!("v{n}"));
    }
    let (status, error_code, message) =
        err(&iam, "CreatePolicyVersion", json!({"PolicyArn": arn, "PolicyDocument": POLICY}));
    assert_eq!((status, error_code.as_str()), (409, "LimitExceeded"));
    assert!(message.starts_with("A managed policy can have up to 5 versions."), "{message}");
    assert_eq!(ok(&iam, "GetPolicy", json!({"PolicyArn": arn}))["Policy"]["DefaultVersionId"], "v3");
    let versions = ok(&iam, "ListPolicyVersions", json!({"PolicyArn": arn}));
    let ids: Vec<&str> =
        versions["Versions"].as_array().unwrap().iter().map(|v| v["VersionId"].as_str().unwrap()).collect();
    assert_eq!(ids, ["v5", "v4", "v3", "v2", "v1"]);
    assert_eq!(
        err(&iam, "DeletePolicyVersion", json!({"PolicyArn": arn, "VersionId": "v3"})),
        (409, "DeleteConflict".into(), "Cannot delete the default version of a policy.".into())
    );
    ok(&iam, "DeletePolicyVersion", json!({"PolicyArn": arn, "VersionId": "v5"}));
    // Version ids are never reused.
    let v = ok(&iam, "CreatePolicyVersion", json!({"PolicyArn": arn, "PolicyDocument": POLICY}));
    assert_eq!(v["PolicyVersion"]["VersionId"], "v6");
    let got = ok(&iam, "GetPolicyVersion", json!({"PolicyArn": arn, "VersionId": "v1"}));
    assert_eq!(got["PolicyVersion"]["Document"], document::url_encode(POLICY));
    assert_eq!(got["PolicyVersion"]["IsDefaultVersion"], false);
    assert_eq!(
        code(&iam, "GetPolicyVersion", json!({"PolicyArn": arn, "VersionId": "v9"})),
        (404, "NoSuchEntity".into())
    );
    ok(&iam, "SetDefaultPolicyVersion", json!({"PolicyArn": arn, "VersionId": "v1"}));
    assert_eq!(
        err(&iam, "DeletePolicy", json!({"PolicyArn": arn})).2,
        "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. \
         The default version is deleted with the policy."
    );
    for v in ["v2", "v3", "v4", "v6"] {
        ok(&iam, "DeletePolicyVersion", json!({"PolicyArn": arn, "VersionId": v}));
    }
    ok(&iam, "CreateUser", json!({"UserName": "u"}));
    ok(&iam, "AttachUserPolicy", json!({"UserName": "u", "PolicyArn": arn}));
    assert_eq!(
        err(&iam, "DeletePolicy", json!({"PolicyArn": arn})),
        (409, "DeleteConflict".into(), "Cannot delete a policy attached to entities.".into())
    );
    let entities = ok(&iam, "ListEntitiesForPolicy", json!({"PolicyArn": arn}));
    assert_eq!(entities["PolicyUsers"][0]["UserName"], "u");
    ok(&iam, "DetachUserPolicy", json!({"UserName": "u", "PolicyArn": arn}));
    ok(&iam, "TagPolicy", json!({"PolicyArn": arn, "Tags": [{"Key": "c", "Value": "d"}]}));
    ok(&iam, "UntagPolicy", json!({"PolicyArn": arn, "TagKeys": ["a"]}));
    assert_eq!(ok(&iam, "ListPolicyTags", json!({"PolicyArn": arn}))["Tags"], json!([{"Key": "c", "Value": "d"}]));
    ok(&iam, "DeletePolicy", json!({"PolicyArn": arn}));
    assert_eq!(
        err(&iam, "GetPolicy", json!({"PolicyArn": arn})),
        (404, "NoSuchEntity".into(), format!("Policy {arn} was not found."))
    );
}

#[test]
fn list_policies_by_scope_and_attachment() {
    let dir = tempfile::tempdir().unwrap();
    let iam = open(&dir);
    ok(&iam, "CreatePolicy", json!({"PolicyName": "mine", "PolicyDocument": POLICY}));
    let names = |v: Value| {
        v["Policies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["PolicyName"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(ok(&iam, "ListPolicies", json!({"Scope": "Local"}))), ["mine"]);
    let aws = names(ok(&iam, "ListPolicies", json!({"Scope": "AWS"})));
    assert!(aws.contains(&"AmazonKinesisFullAccess".to_string()) && !aws.contains(&"mine".to_string()));
    assert_eq!(names(ok(&iam, "ListPolicies", json!({}))).len(), aws.len() + 1);
    assert!(names(ok(&iam, "ListPolicies", json!({"OnlyAttached": true}))).is_empty());
    ok(&iam, "CreateRole", json!({"RoleName": "r", "AssumeRolePolicyDocument": TRUST}));
    ok(&iam, "AttachRolePolicy", json!({"RoleName": "r", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}));
    assert_eq!(names(ok(&iam, "ListPolicies", json!({"OnlyAttached": true}))), ["AdministratorAccess"]);
    let aws_arn = "arn:aws:iam::aws:policy/AdministratorAccess";
    let (status, error_code, message) = err(&iam, "DeletePolicy", json!({"PolicyArn": aws_arn}));
    assert_eq!((status, error_code.as_str()), (403, "AccessDenied"));
    assert_eq!(
        message,
        format!("User: arn:aws:iam::123456789012:root is not authorized to perform: iam:DeletePolicy on resource: policy {aws_arn}")
    );
}

#[test]
fn users_and_their_policies_and_tags() {
    let dir = tempfile::tempdir().unwrap();
    let iam = open(&dir);
    let user =
        ok(&iam, "CreateUser", json!({"UserName": "alice", "Path": "/eng/", "Tags": [{"Key": "t", "Value": "1"}]}));
    assert_eq!(user["User"]["Arn"], "arn:aws:iam::123456789012:user/eng/alice");
    assert!(user["User"]["UserId"].as_str().unwrap().starts_with("AIDA"));
    assert_eq!(code(&iam, "CreateUser", json!({"UserName": "ALICE"})), (409, "EntityAlreadyExists".into()));
    assert_eq!(ok(&iam, "GetUser", json!({"UserName": "alice"}))["User"]["Tags"], json!([{"Key": "t", "Value": "1"}]));
    assert_eq!(
        err(&iam, "GetUser", json!({"UserName": "bob"})),
        (404, "NoSuchEntity".into(), "The user with name bob cannot be found.".into())
    );
    ok(&iam, "TagUser", json!({"UserName": "alice", "Tags": [{"Key": "T", "Value": "2"}]}));
    assert_eq!(ok(&iam, "ListUserTags", json!({"UserName": "alice"}))["Tags"], json!([{"Key": "T", "Value": "2"}]));
    ok(&iam, "UntagUser", json!({"UserName": "alice", "TagKeys": ["t"]}));
    assert_eq!(ok(&iam, "ListUserTags", json!({"UserName": "alice"}))["Tags"], json!([]));
    ok(&iam, "PutUserPolicy", json!({"UserName": "alice", "PolicyName": "p", "PolicyDocument": POLICY}));
    assert_eq!(
        ok(&iam, "GetUserPolicy", json!({"UserName": "alice", "PolicyName": "p"}))["PolicyDocument"],
        document::url_encode(POLICY)
    );
    assert_eq!(ok(&iam, "ListUserPolicies", json!({"UserName": "alice"}))["PolicyNames"], json!(["p"]));
    assert_eq!(
        err(&iam, "DeleteUser", json!({"UserName": "alice"})).2,
        "Cannot delete entity, must delete policies first."
    );
    ok(&iam, "DeleteUserPolicy", json!({"UserName": "alice", "PolicyName": "p"}));
    ok(
        &iam,
        "AttachUserPolicy",
        json!({"UserName": "alice", "PolicyArn": "arn:aws:iam::aws:policy/AmazonKinesisReadOnlyAccess"}),
    );
    assert_eq!(
        ok(&iam, "ListAttachedUserPolicies", json!({"UserName": "alice"}))["AttachedPolicies"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        err(&iam, "DeleteUser", json!({"UserName": "alice"})).2,
        "Cannot delete entity, must detach all policies first."
    );
    ok(
        &iam,
        "DetachUserPolicy",
        json!({"UserName": "alice", "PolicyArn": "arn:aws:iam::aws:policy/AmazonKinesisReadOnlyAccess"}),
    );
    let listed = ok(&iam, "ListUsers", json!({"PathPrefix": "/eng/"}));
    assert_eq!(listed["Users"][0]["UserName"], "alice");
    assert_eq!(ok(&iam, "ListGroupsForUser", json!({"UserName": "alice"}))["Groups"], json!([]));
    ok(&iam, "DeleteUser", json!({"UserName": "alice"}));
    assert!(ok(&iam, "ListUsers", json!({}))["Users"].as_array().unwrap().is_empty());
}

#[test]
fn get_user_without_a_name_describes_the_caller() {
    let dir = tempfile::tempdir().unwrap();
    let iam = open(&dir);
    let me = ok(&iam, "GetUser", json!({}));
    assert_eq!(me["User"]["UserId"], ACCOUNT);
    assert_eq!(me["User"]["Arn"], "arn:aws:iam::123456789012:root");
    assert!(me["User"].get("UserName").is_none());
    assert!(me["User"]["CreateDate"].as_f64().is_some());
    ok(&iam, "CreateUser", json!({"UserName": "u"}));
    let key =
        ok(&iam, "CreateAccessKey", json!({"UserName": "u"}))["AccessKey"]["AccessKeyId"].as_str().unwrap().to_string();
    let as_user = Principal { access_key_id: key, account_id: ACCOUNT.into() };
    let me = call_as(&iam, "GetUser", json!({}), &as_user).unwrap();
    assert_eq!(me["User"]["UserName"], "u");
    let session = iam
        .issue_session(
            Identity::AssumedRole { role_name: "r".into(), role_id: "AROAX".into(), session_name: "s".into() },
            std::time::Duration::from_secs(900),
        )
        .unwrap();
    let as_role = Principal { access_key_id: session.access_key_id, account_id: ACCOUNT.into() };
    let e = call_as(&iam, "GetUser", json!({}), &as_role).unwrap_err();
    assert_eq!((e.status.as_u16(), &*e.code), (400, "ValidationError"));
}

#[test]
fn access_keys_sign_until_deactivated_or_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let iam = open(&dir);
    let base = StaticCredentials::new(vec![Credential {
        access_key_id: "root-key".into(),
        secret_access_key: "s".into(),
        account_id: ACCOUNT.into(),
    }]);
    let store = iam.credential_store(base);
    assert_eq!(store.lookup("root-key", None).unwrap().secret_access_key, "s");
    ok(&iam, "CreateUser", json!({"UserName": "u"}));
    let key = ok(&iam, "CreateAccessKey", json!({"UserName": "u"}))["AccessKey"].clone();
    let id = key["AccessKeyId"].as_str().unwrap();
    assert!(id.starts_with("AKIA") && id.len() == 20);
    assert_eq!(key["SecretAccessKey"].as_str().unwrap().len(), 40);
    assert_eq!(key["Status"], "Active");
    let found = store.lookup(id, None).unwrap();
    assert_eq!(
        (found.secret_access_key.as_str(), found.account_id.as_str()),
        (key["SecretAccessKey"].as_str().unwrap(), ACCOUNT)
    );
    ok(&iam, "CreateAccessKey", json!({"UserName": "u"}));
    assert_eq!(
        err(&iam, "CreateAccessKey", json!({"UserName": "u"})),
        (409, "LimitExceeded".into(), "Cannot exceed quota for AccessKeysPerUser: 2".into())
    );
    assert_eq!(ok(&iam, "ListAccessKeys", json!({"UserName": "u"}))["AccessKeyMetadata"].as_array().unwrap().len(), 2);
    ok(&iam, "UpdateAccessKey", json!({"UserName": "u", "AccessKeyId": id, "Status": "Inactive"}));
    assert!(store.lookup(id, None).is_none());
    ok(&iam, "UpdateAccessKey", json!({"UserName": "u", "AccessKeyId": id, "Status": "Active"}));
    assert!(store.lookup(id, None).is_some());
    let last = ok(&iam, "GetAccessKeyLastUsed", json!({"AccessKeyId": id}));
    assert_eq!(last, json!({"UserName": "u", "AccessKeyLastUsed": {"ServiceName": "N/A", "Region": "N/A"}}));
    assert_eq!(
        err(&iam, "DeleteUser", json!({"UserName": "u"})).2,
        "Cannot delete entity, must delete access keys first."
    );
    assert_eq!(
        err(&iam, "DeleteAccessKey", json!({"UserName": "u", "AccessKeyId": "AKIANOPENOPENOPE0"})),
        (404, "NoSuchEntity".into(), "The Access Key with id AKIANOPENOPENOPE0 cannot be found.".into())
    );
    ok(&iam, "DeleteAccessKey", json!({"UserName": "u", "AccessKeyId": id}));
    assert!(store.lookup(id, None).is_none());
    assert_eq!(code(&iam, "CreateAccessKey", json!({"UserName": "nobody"})), (404, "NoSuchEntity".into()));
}

#[test]
fn temporary_credentials_need_their_token_and_expire() {
    let dir = tempfile::tempdir().unwrap();
    let iam = open(&dir);
    let store = iam.credential_store(StaticCredentials::default());
    let identity = Identity::AssumedRole { role_name: "r".into(), role_id: "AROAX".into(), session_name: "s".into() };
    let creds = iam.issue_session(identity.clone(), std::time::Duration::from_secs(900)).unwrap();
    assert!(creds.access_key_id.starts_with("ASIA"));
    let found = store.lookup(&creds.access_key_id, Some(&creds.session_token)).unwrap();
    assert_eq!(found.secret_access_key, creds.secret_access_key);
    assert!(store.lookup(&creds.access_key_id, None).is_none());
    assert!(store.lookup(&creds.access_key_id, Some("wrong")).is_none());
    assert_eq!(iam.identity(&creds.access_key_id), identity);
    let expired = iam.issue_session(identity, std::time::Duration::from_millis(1)).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(5));
    assert!(store.lookup(&expired.access_key_id, Some(&expired.session_token)).is_none());
}

#[test]
fn everything_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (key, session, policy_arn) = {
        let iam = open(&dir);
        ok(
            &iam,
            "CreateRole",
            json!({"RoleName": "r", "AssumeRolePolicyDocument": TRUST, "Tags": [{"Key": "a", "Value": "b"}]}),
        );
        ok(&iam, "PutRolePolicy", json!({"RoleName": "r", "PolicyName": "p", "PolicyDocument": POLICY}));
        let arn =
            ok(&iam, "CreatePolicy", json!({"PolicyName": "mp", "PolicyDocument": POLICY}))["Policy"]["Arn"].clone();
        ok(&iam, "CreatePolicyVersion", json!({"PolicyArn": arn, "PolicyDocument": POLICY, "SetAsDefault": true}));
        ok(&iam, "AttachRolePolicy", json!({"RoleName": "r", "PolicyArn": arn}));
        ok(&iam, "CreateUser", json!({"UserName": "u"}));
        let key = ok(&iam, "CreateAccessKey", json!({"UserName": "u"}))["AccessKey"].clone();
        let session = iam.issue_session(Identity::Root, std::time::Duration::from_secs(900)).unwrap();
        (key, session, arn)
    };
    let iam = open(&dir);
    let role = &ok(&iam, "GetRole", json!({"RoleName": "r"}))["Role"];
    assert_eq!(role["Tags"], json!([{"Key": "a", "Value": "b"}]));
    assert_eq!(ok(&iam, "ListRolePolicies", json!({"RoleName": "r"}))["PolicyNames"], json!(["p"]));
    assert_eq!(ok(&iam, "GetPolicy", json!({"PolicyArn": policy_arn}))["Policy"]["DefaultVersionId"], "v2");
    assert_eq!(ok(&iam, "GetPolicy", json!({"PolicyArn": policy_arn}))["Policy"]["AttachmentCount"], 1);
    let store = iam.credential_store(StaticCredentials::default());
    let id = key["AccessKeyId"].as_str().unwrap();
    assert_eq!(store.lookup(id, None).unwrap().secret_access_key, key["SecretAccessKey"].as_str().unwrap());
    assert!(store.lookup(&session.access_key_id, Some(&session.session_token)).is_some());
}

#[test]
fn role_arns_resolve_exactly_for_assume_role() {
    let dir = tempfile::tempdir().unwrap();
    let iam = open(&dir);
    let out = ok(
        &iam,
        "CreateRole",
        json!({"RoleName": "Deployer", "Path": "/ci/", "AssumeRolePolicyDocument": TRUST, "MaxSessionDuration": 7200}),
    );
    let grant = iam.role_for_arn("arn:aws:iam::123456789012:role/ci/Deployer").unwrap();
    assert_eq!(
        (grant.name.as_str(), grant.id.as_str(), grant.max_session_seconds),
        ("Deployer", out["Role"]["RoleId"].as_str().unwrap(), 7200)
    );
    assert!(iam.role_for_arn("arn:aws:iam::123456789012:role/Deployer").is_none());
    assert!(iam.role_for_arn("arn:aws:iam::999999999999:role/ci/Deployer").is_none());
}

#[test]
fn permissions_boundaries_must_name_a_policy() {
    let dir = tempfile::tempdir().unwrap();
    let iam = open(&dir);
    let missing = "arn:aws:iam::123456789012:policy/none";
    assert_eq!(
        err(
            &iam,
            "CreateRole",
            json!({"RoleName": "r", "AssumeRolePolicyDocument": TRUST, "PermissionsBoundary": missing})
        ),
        (404, "NoSuchEntity".into(), format!("Scope ARN: {missing} does not exist or is not attachable."))
    );
    let aws = "arn:aws:iam::aws:policy/AdministratorAccess";
    ok(&iam, "CreateRole", json!({"RoleName": "r", "AssumeRolePolicyDocument": TRUST, "PermissionsBoundary": aws}));
    let role = &ok(&iam, "GetRole", json!({"RoleName": "r"}))["Role"];
    assert_eq!(
        role["PermissionsBoundary"],
        json!({"PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": aws})
    );
    assert_eq!(ok(&iam, "GetPolicy", json!({"PolicyArn": aws}))["Policy"]["PermissionsBoundaryUsageCount"], 1);
    ok(&iam, "DeleteRolePermissionsBoundary", json!({"RoleName": "r"}));
    assert!(ok(&iam, "GetRole", json!({"RoleName": "r"}))["Role"].get("PermissionsBoundary").is_none());
}

#[test]
fn renaming_a_user_keeps_its_access_keys() {
    let dir = tempfile::tempdir().unwrap();
    let iam = open(&dir);
    ok(&iam, "CreateUser", json!({"UserName": "old"}));
    let key = ok(&iam, "CreateAccessKey", json!({"UserName": "old"}))["AccessKey"]["AccessKeyId"].clone();
    ok(&iam, "CreateUser", json!({"UserName": "taken"}));
    assert_eq!(
        code(&iam, "UpdateUser", json!({"UserName": "old", "NewUserName": "taken"})),
        (409, "EntityAlreadyExists".into())
    );
    ok(&iam, "UpdateUser", json!({"UserName": "old", "NewUserName": "new", "NewPath": "/p/"}));
    assert_eq!(code(&iam, "GetUser", json!({"UserName": "old"})), (404, "NoSuchEntity".into()));
    assert_eq!(ok(&iam, "GetUser", json!({"UserName": "new"}))["User"]["Path"], "/p/");
    assert_eq!(ok(&iam, "ListAccessKeys", json!({"UserName": "new"}))["AccessKeyMetadata"][0]["AccessKeyId"], key);
}
