//! The supporting services never answer bad input with a 5xx or a panic:
//! random operations of Firehose, KMS, Logs and CloudWatch (awsJson), IAM,
//! STS, SNS and CloudWatch (awsQuery forms) and S3 (random methods, paths,
//! subresources and bodies), with member names taken from each service's
//! model and random values, signed and sent to a real server. A Terraform
//! provider retries a 5xx for minutes, so a 5xx is never acceptable here.
//! Bounded by SERVICES_FUZZ_CASES per service (default 200).

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use common::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{json, Value};

/// A service's operations and the member names found in its model.
struct ModelNames {
    operations: Vec<String>,
    members: Vec<String>,
    version: String,
}

fn model_names(file: &str) -> ModelNames {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models").join(file);
    let model: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let mut operations: Vec<String> = model["operations"].as_object().unwrap().keys().cloned().collect();
    operations.push("NoSuchOperation".into());
    let mut members = std::collections::BTreeSet::new();
    for shape in model["shapes"].as_object().unwrap().values() {
        if let Some(m) = shape["members"].as_object() {
            members.extend(m.keys().cloned());
        }
    }
    let version = model["metadata"]["apiVersion"].as_str().unwrap().to_string();
    ModelNames { operations, members: members.into_iter().collect(), version }
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        prop_oneof![Just(0i64), Just(-1), Just(1), Just(65_536), Just(i64::from(i32::MAX) + 1)].prop_map(|n| json!(n)),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| json!(f)),
        "[a-zA-Z0-9_.:/=+-]{0,40}".prop_map(Value::String),
        ".{0,20}".prop_map(Value::String),
        Just(json!("arn:aws:iam::123456789012:role/r")),
        Just(json!("{\"Version\":\"2012-10-17\",\"Statement\":[]}")),
        Just(json!("alias/aws/kinesis")),
    ]
}

fn json_value(members: Vec<String>) -> impl Strategy<Value = Value> {
    scalar().prop_recursive(3, 24, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(prop::sample::select(members.clone()), inner, 0..5)
                .prop_map(|m: BTreeMap<String, Value>| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn json_body(members: Vec<String>) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        6 => prop::collection::btree_map(prop::sample::select(members.clone()), json_value(members), 0..6)
            .prop_map(|m: BTreeMap<String, Value>| serde_json::to_vec(&m).unwrap()),
        1 => prop::collection::vec(any::<u8>(), 0..64),
        1 => "[{\\[\\]}\":,0-9a-z ]{0,40}".prop_map(String::into_bytes),
    ]
}

/// `Member`, `Member.member.1`, `Member.entry.2.key`, ... with a random value.
fn form_pairs(members: Vec<String>) -> impl Strategy<Value = Vec<(String, String)>> {
    let key = (
        prop::sample::select(members.clone()),
        prop::sample::select(vec![
            "",
            ".member.1",
            ".member.2",
            ".member.1.Key",
            ".entry.1.key",
            ".entry.1.value",
            ".1",
            ".member.0",
            ".member.x",
        ]),
        prop::option::of(prop::sample::select(members)),
    )
        .prop_map(|(m, suffix, nested)| match nested {
            Some(n) if suffix.starts_with(".member.") => format!("{m}{suffix}.{n}"),
            _ => format!("{m}{suffix}"),
        });
    let value = prop_oneof![
        "[a-zA-Z0-9_.:/=+-]{0,30}",
        ".{0,16}",
        Just("-1".to_string()),
        Just("true".to_string()),
        Just("2024-02-30T00:00:00Z".to_string()),
        Just("arn:aws:sns:us-east-1:123456789012:t".to_string()),
        Just(
            "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}"
                .to_string()
        ),
    ];
    prop::collection::vec((key, value), 0..8)
}

fn form(action: &str, version: &str, pairs: &[(String, String)]) -> Vec<u8> {
    let mut out = form_urlencoded::Serializer::new(String::new());
    out.append_pair("Action", action).append_pair("Version", version);
    for (k, v) in pairs {
        out.append_pair(k, v);
    }
    out.finish().into_bytes()
}

fn check(service: &str, what: &str, response: &Response, allow_501: bool) -> Result<(), TestCaseError> {
    let ok = response.status < 500 || (allow_501 && response.status == 501);
    prop_assert!(ok, "{service} {what} -> {} {:?}", response.status, String::from_utf8_lossy(&response.body));
    Ok(())
}

fn runner() -> TestRunner {
    let cases: u32 = std::env::var("SERVICES_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(200);
    TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() })
}

#[test]
fn malformed_requests_to_the_supporting_services_never_get_a_5xx() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &["--control-limits", "off"]);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let addr = server.addr.clone();
    let send_one = |request| rt.block_on(send(&addr, request, false));
    let signer = Signer::default();
    let statuses = std::cell::RefCell::new(BTreeMap::<(String, u16), u32>::new());

    // awsJson services.
    for (file, signing, prefix, version) in [
        ("firehose-2015-08-04.json", "firehose", "Firehose_20150804", "1.1"),
        ("kms-2014-11-01.json", "kms", "TrentService", "1.1"),
        ("logs-2014-03-28.json", "logs", "Logs_20140328", "1.1"),
        ("cloudwatch-2010-08-01.json", "monitoring", "GraniteServiceVersion20100801", "1.0"),
    ] {
        let names = model_names(file);
        let strategy = (prop::sample::select(names.operations.clone()), json_body(names.members.clone()));
        runner()
            .run(&strategy, |(op, body)| {
                let headers = [
                    ("content-type", format!("application/x-amz-json-{version}")),
                    ("x-amz-target", format!("{prefix}.{op}")),
                ];
                let what = format!("{op} {}", String::from_utf8_lossy(&body));
                let response = send_one(signed_request(&addr, signing, "POST", "/", &headers, body, &signer));
                *statuses.borrow_mut().entry((signing.to_string(), response.status)).or_default() += 1;
                check(signing, &what, &response, false)
            })
            .unwrap();
    }

    // awsQuery services.
    for (file, signing) in [
        ("iam-2010-05-08.json", "iam"),
        ("sts-2011-06-15.json", "sts"),
        ("sns-2010-03-31.json", "sns"),
        ("cloudwatch-2010-08-01.json", "monitoring"),
    ] {
        let names = model_names(file);
        let strategy = (prop::sample::select(names.operations.clone()), form_pairs(names.members.clone()));
        runner()
            .run(&strategy, |(op, pairs)| {
                let body = form(&op, &names.version, &pairs);
                let headers = [("content-type", "application/x-www-form-urlencoded".to_string())];
                let what = String::from_utf8_lossy(&body).into_owned();
                let response = send_one(signed_request(&addr, signing, "POST", "/", &headers, body, &signer));
                *statuses.borrow_mut().entry((format!("{signing} (query)"), response.status)).or_default() += 1;
                check(signing, &what, &response, false)
            })
            .unwrap();
    }

    // S3: a bucket with an object, then random requests around it.
    let create = send_one(signed_request(&addr, "s3", "PUT", "/fuzz-bucket", &[], Vec::new(), &signer));
    assert_eq!(create.status, 200, "{:?}", create.body);
    let put = send_one(signed_request(&addr, "s3", "PUT", "/fuzz-bucket/k", &[], b"hello".to_vec(), &signer));
    assert_eq!(put.status, 200, "{:?}", put.body);
    let strategy = (
        prop::sample::select(vec!["GET", "PUT", "HEAD", "DELETE", "POST"]),
        prop::sample::select(vec!["/", "/fuzz-bucket", "/fuzz-bucket/k", "/fuzz-bucket/a%2Fb/c", "/Bad_Bucket", "/nope/k", "/fuzz-bucket/"]),
        prop::sample::select(vec![
            "", "?policy", "?acl", "?cors", "?website", "?versioning", "?lifecycle", "?encryption", "?tagging",
            "?location", "?uploads", "?uploadId=x&partNumber=1", "?uploadId=x", "?partNumber=0", "?delete",
            "?list-type=2&max-keys=-1", "?list-type=2&continuation-token=%%%", "?list-type=2&delimiter=&prefix=k",
            "?object-lock", "?replication", "?versions", "?accelerate", "?requestPayment", "?logging",
        ]),
        prop::sample::select(vec![
            vec![],
            vec![("range", "bytes=9-1".to_string())],
            vec![("range", "bytes=-0".to_string())],
            vec![("content-md5", "nope".to_string())],
            vec![("x-amz-copy-source", "/fuzz-bucket/k".to_string())],
            vec![("x-amz-copy-source", "%%".to_string())],
            vec![("if-match", "\"x\"".to_string())],
            vec![("x-amz-checksum-crc32", "AAAAAA==".to_string())],
            vec![("x-amz-tagging", "a=b&&=".to_string())],
        ]),
        prop_oneof![
            prop::collection::vec(any::<u8>(), 0..64),
            "<[A-Za-z]{0,12}>[<>/A-Za-z0-9 ]{0,40}".prop_map(String::into_bytes),
            Just(b"<Delete><Object><Key>k</Key></Object></Delete>".to_vec()),
            Just(b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>".to_vec()),
        ],
    );
    runner()
        .run(&strategy, |(method, path, query, headers, body)| {
            let what = format!("{method} {path}{query} {headers:?} {:?}", String::from_utf8_lossy(&body));
            let request = signed_request(&addr, "s3", method, &format!("{path}{query}"), &headers, body, &signer);
            let response = send_one(request);
            *statuses.borrow_mut().entry(("s3".to_string(), response.status)).or_default() += 1;
            // S3 answers 501 NotImplemented for features it does not implement, as AWS does for some.
            check("s3", &what, &response, true)
        })
        .unwrap();

    eprintln!("services fuzz: statuses {:?}", statuses.borrow());
    // The server is still healthy afterwards.
    let list = send_one(signed_request(&addr, "s3", "GET", "/", &[], Vec::new(), &signer));
    assert_eq!(list.status, 200);
}
