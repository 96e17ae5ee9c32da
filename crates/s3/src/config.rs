//! Bucket configurations, each named by a query subresource (`?cors`, `?policy`, ...): what
//! Get answers before any Put (AWS's defaults, or its "not found" error), Put validation, and
//! Delete. Documents are stored normalized (S3's namespace on the root) and answered as stored.

use crate::bucket::{self, acls_disabled};
use crate::error::{S3Error, S3Result};
use crate::request::{Request, Response};
use crate::store::{self, BucketDoc, Pair};
use crate::xml::{self, Element};
use crate::{Service, BUCKET_TAGS_MAX};

/// One configuration subresource.
pub struct Kind {
    /// Query parameter naming it.
    pub param: &'static str,
    /// Root element of its document (empty for the JSON policy and the special ACL).
    root: &'static str,
    /// What Get answers before any Put, when AWS has a default.
    default: Option<fn() -> String>,
    /// Code and message of Get when there is nothing (never set without default, or deleted).
    not_found: (&'static str, &'static str),
    /// Whether AWS has a Delete operation for it.
    deletable: bool,
    /// Status of a successful Put.
    put_status: u16,
    /// Checks a Put document beyond its root element.
    validate: fn(&Service, &BucketDoc, &Element) -> S3Result<()>,
}

const NO_ERROR: (&str, &str) = ("", "");

/// The configurations, by subresource.
pub const KINDS: &[Kind] = &[
    Kind {
        param: "policy",
        root: "",
        default: None,
        not_found: ("NoSuchBucketPolicy", "The bucket policy does not exist"),
        deletable: true,
        put_status: 204,
        validate: accept,
    },
    Kind {
        param: "policyStatus",
        root: "",
        default: None,
        not_found: NO_ERROR,
        deletable: false,
        put_status: 0,
        validate: accept,
    },
    Kind {
        param: "acl",
        root: "AccessControlPolicy",
        default: None,
        not_found: NO_ERROR,
        deletable: false,
        put_status: 200,
        validate: accept,
    },
    Kind {
        param: "cors",
        root: "CORSConfiguration",
        default: None,
        not_found: ("NoSuchCORSConfiguration", "The CORS configuration does not exist"),
        deletable: true,
        put_status: 200,
        validate: validate_cors,
    },
    Kind {
        param: "website",
        root: "WebsiteConfiguration",
        default: None,
        not_found: ("NoSuchWebsiteConfiguration", "The specified bucket does not have a website configuration"),
        deletable: true,
        put_status: 200,
        validate: validate_website,
    },
    Kind {
        param: "versioning",
        root: "VersioningConfiguration",
        default: Some(|| xml::empty_document("VersioningConfiguration")),
        not_found: NO_ERROR,
        deletable: false,
        put_status: 200,
        validate: validate_versioning,
    },
    Kind {
        param: "accelerate",
        root: "AccelerateConfiguration",
        default: Some(|| xml::empty_document("AccelerateConfiguration")),
        not_found: NO_ERROR,
        deletable: false,
        put_status: 200,
        validate: |_, _, root| one_of(root.child_text("Status"), &["Enabled", "Suspended"], false),
    },
    Kind {
        param: "requestPayment",
        root: "RequestPaymentConfiguration",
        default: Some(|| {
            format!(
                "{}<Payer>BucketOwner</Payer></RequestPaymentConfiguration>",
                xml::document("RequestPaymentConfiguration")
            )
        }),
        not_found: NO_ERROR,
        deletable: false,
        put_status: 200,
        validate: |_, _, root| one_of(root.child_text("Payer"), &["Requester", "BucketOwner"], false),
    },
    Kind {
        param: "logging",
        root: "BucketLoggingStatus",
        default: Some(|| xml::empty_document("BucketLoggingStatus")),
        not_found: NO_ERROR,
        deletable: false,
        put_status: 200,
        validate: accept,
    },
    Kind {
        param: "notification",
        root: "NotificationConfiguration",
        default: Some(|| xml::empty_document("NotificationConfiguration")),
        not_found: NO_ERROR,
        deletable: false,
        put_status: 200,
        validate: accept,
    },
    Kind {
        param: "lifecycle",
        root: "LifecycleConfiguration",
        default: None,
        not_found: ("NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist"),
        deletable: true,
        put_status: 200,
        validate: validate_lifecycle,
    },
    Kind {
        param: "replication",
        root: "ReplicationConfiguration",
        default: None,
        not_found: ("ReplicationConfigurationNotFoundError", "The replication configuration was not found"),
        deletable: true,
        put_status: 200,
        validate: validate_replication,
    },
    Kind {
        param: "encryption",
        root: "ServerSideEncryptionConfiguration",
        default: Some(default_encryption),
        not_found: (
            "ServerSideEncryptionConfigurationNotFoundError",
            "The server side encryption configuration was not found",
        ),
        deletable: true,
        put_status: 200,
        validate: validate_encryption,
    },
    Kind {
        param: "object-lock",
        root: "ObjectLockConfiguration",
        default: None,
        not_found: ("ObjectLockConfigurationNotFoundError", "Object Lock configuration does not exist for this bucket"),
        deletable: false,
        put_status: 200,
        validate: |_, _, root| one_of(root.child_text("ObjectLockEnabled"), &["Enabled"], false),
    },
    Kind {
        param: "tagging",
        root: "Tagging",
        default: None,
        not_found: ("NoSuchTagSet", "The TagSet does not exist"),
        deletable: true,
        put_status: 204,
        validate: |_, _, root| tag_set(root, BUCKET_TAGS_MAX).map(|_| ()),
    },
    Kind {
        param: "ownershipControls",
        root: "OwnershipControls",
        default: Some(|| ownership_document("BucketOwnerEnforced")),
        not_found: ("OwnershipControlsNotFoundError", "The bucket ownership controls were not found"),
        deletable: true,
        put_status: 200,
        validate: validate_ownership,
    },
    Kind {
        param: "publicAccessBlock",
        root: "PublicAccessBlockConfiguration",
        default: Some(default_public_access_block),
        not_found: ("NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found"),
        deletable: true,
        put_status: 200,
        validate: validate_public_access_block,
    },
];

/// Subresources S3 has that kinesd does not implement (answered `NotImplemented`).
pub const UNSUPPORTED: &[&str] =
    &["analytics", "metrics", "inventory", "intelligent-tiering", "metadataTable", "metadataConfiguration", "session"];

/// ObjectOwnership values.
pub const OBJECT_OWNERSHIPS: &[&str] = &["BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter"];

/// What a deleted configuration with a default is stored as (Get then answers "not found").
const DELETED: &str = "";

fn default_encryption() -> String {
    format!(
        "{}<Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm>\
         </ApplyServerSideEncryptionByDefault><BucketKeyEnabled>false</BucketKeyEnabled></Rule>\
         </ServerSideEncryptionConfiguration>",
        xml::document("ServerSideEncryptionConfiguration")
    )
}

fn default_public_access_block() -> String {
    format!(
        "{}<BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls>\
         <BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>true</RestrictPublicBuckets>\
         </PublicAccessBlockConfiguration>",
        xml::document("PublicAccessBlockConfiguration")
    )
}

/// The OwnershipControls document of one ObjectOwnership value.
pub fn ownership_document(ownership: &str) -> String {
    format!(
        "{}<Rule><ObjectOwnership>{}</ObjectOwnership></Rule></OwnershipControls>",
        xml::document("OwnershipControls"),
        xml::escape(ownership)
    )
}

/// Get of a configuration.
pub fn get(svc: &Service, req: &Request, kind: &Kind) -> S3Result<Response> {
    let doc = svc.bucket_doc(req.bucket())?;
    match kind.param {
        "policy" => {
            let policy = doc.policy.ok_or_else(|| not_found(kind, &doc.name))?;
            return Ok(Response {
                status: 200,
                headers: vec![("content-type".into(), "application/json".into())],
                body: crate::request::Body::Bytes(policy.into()),
            });
        }
        "policyStatus" => {
            let policy = doc.policy.ok_or_else(|| not_found(&KINDS[0], &doc.name))?;
            let public = policy_is_public(&policy);
            return Ok(Response::xml(format!(
                "{}<IsPublic>{public}</IsPublic></PolicyStatus>",
                xml::document("PolicyStatus")
            )));
        }
        "acl" => {
            return Ok(Response::xml(match doc.configs.get("acl") {
                Some(custom) => custom.clone(),
                None => bucket::canned_acl_document(svc, doc.canned_acl.as_deref().unwrap_or("private")),
            }));
        }
        _ => {}
    }
    match (doc.configs.get(kind.param), kind.default) {
        (Some(stored), _) if stored != DELETED => Ok(Response::xml(stored.clone())),
        (None, Some(default)) => Ok(Response::xml(default())),
        _ => Err(not_found(kind, &doc.name)),
    }
}

fn not_found(kind: &Kind, bucket: &str) -> S3Error {
    S3Error::no_such_config(kind.not_found.0, kind.not_found.1, bucket)
}

/// Put of a configuration.
pub fn put(svc: &Service, req: &Request, kind: &Kind) -> S3Result<Response> {
    match kind.param {
        "policy" => {
            let policy = validate_policy(&req.body)?;
            update(svc, req.bucket(), |doc| {
                doc.policy = Some(policy);
                Ok(())
            })?;
            return Ok(Response::empty(kind.put_status));
        }
        "policyStatus" => return Err(crate::method_not_allowed(&req.method, "BUCKET")),
        "acl" => {
            put_acl(svc, req)?;
            return Ok(Response::empty(kind.put_status));
        }
        _ => {}
    }
    let root = xml::parse(&req.body).map_err(|_| S3Error::malformed_xml())?;
    if root.name != kind.root {
        return Err(S3Error::malformed_xml());
    }
    let document = root.to_document();
    update(svc, req.bucket(), |doc| {
        (kind.validate)(svc, doc, &root)?;
        doc.configs.insert(kind.param.to_string(), document);
        Ok(())
    })?;
    Ok(Response::empty(kind.put_status))
}

/// Delete of a configuration (204 whether or not it was set).
pub fn delete(svc: &Service, req: &Request, kind: &Kind) -> S3Result<Response> {
    if !kind.deletable {
        return Err(crate::method_not_allowed(&req.method, "BUCKET"));
    }
    update(svc, req.bucket(), |doc| {
        if kind.param == "policy" {
            doc.policy = None;
        } else if kind.default.is_some() && kind.param != "encryption" {
            // Deleting the public access block or ownership controls leaves none; deleting
            // the encryption configuration reverts the bucket to the SSE-S3 default (AWS docs).
            doc.configs.insert(kind.param.to_string(), DELETED.to_string());
        } else {
            doc.configs.remove(kind.param);
        }
        Ok(())
    })?;
    Ok(Response::empty(204))
}

/// Reads, changes and writes a bucket document in one transaction.
pub fn update(svc: &Service, bucket: &str, change: impl FnOnce(&mut BucketDoc) -> S3Result<()>) -> S3Result<()> {
    svc.docs.batch(|batch| {
        let mut doc: BucketDoc =
            batch.get(store::KIND_BUCKET, bucket)?.ok_or_else(|| S3Error::no_such_bucket(bucket))?;
        change(&mut doc)?;
        batch.put(store::KIND_BUCKET, bucket, &doc)?;
        Ok(())
    })
}

fn put_acl(svc: &Service, req: &Request) -> S3Result<()> {
    let canned = req.header("x-amz-acl").map(str::to_string);
    let has_grants = req.headers.keys().any(|n| n.as_str().starts_with("x-amz-grant-"));
    let custom = if canned.is_none() && !req.body.iter().all(u8::is_ascii_whitespace) {
        let root = xml::parse(&req.body).map_err(|_| malformed_acl())?;
        if root.name != "AccessControlPolicy" || root.child("AccessControlList").is_none() {
            return Err(malformed_acl());
        }
        Some(root)
    } else {
        None
    };
    if canned.is_none() && custom.is_none() && !has_grants {
        return Err(malformed_acl());
    }
    if let Some(acl) = &canned {
        bucket::check_canned_acl(acl)?;
    }
    update(svc, req.bucket(), |doc| {
        let owner_only = match (&canned, &custom) {
            (Some(acl), _) => bucket::acl_allowed_when_enforced(acl),
            (None, Some(root)) => grants_owner_only(svc, root),
            (None, None) => false,
        };
        if acls_disabled(doc) && !owner_only {
            return Err(S3Error::new(400, "AccessControlListNotSupported", "The bucket does not allow ACLs"));
        }
        match (&canned, &custom) {
            (Some(acl), _) => {
                doc.canned_acl = Some(acl.clone());
                doc.configs.remove("acl");
            }
            (None, Some(root)) => {
                doc.configs.insert("acl".into(), root.to_document());
            }
            (None, None) => {}
        }
        Ok(())
    })
}

fn malformed_acl() -> S3Error {
    S3Error::new(
        400,
        "MalformedACLError",
        "The XML you provided was not well-formed or did not validate against our published schema",
    )
}

/// Whether an AccessControlPolicy grants nothing beyond the owner's own permissions.
fn grants_owner_only(svc: &Service, root: &Element) -> bool {
    let Some(list) = root.child("AccessControlList") else {
        return true;
    };
    list.children_named("Grant")
        .all(|grant| grant.child("Grantee").and_then(|g| g.child_text("ID")) == Some(svc.owner_id.as_str()))
}

fn validate_policy(body: &[u8]) -> S3Result<String> {
    let malformed = |message: &str| S3Error::new(400, "MalformedPolicy", message);
    let text = std::str::from_utf8(body)
        .map_err(|_| malformed("Policies must be valid JSON and the first byte must be '{'"))?;
    if !text.trim_start().starts_with('{') {
        return Err(malformed("Policies must be valid JSON and the first byte must be '{'"));
    }
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|_| malformed("Policies must be valid JSON and the first byte must be '{'"))?;
    if value.get("Statement").is_none() {
        return Err(malformed("Missing required field Statement"));
    }
    Ok(text.to_string())
}

/// Whether a policy allows everyone without conditions (AWS's "public" test, simplified).
fn policy_is_public(policy: &str) -> bool {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(policy) else {
        return false;
    };
    let statements = match &value["Statement"] {
        serde_json::Value::Array(list) => list.clone(),
        other => vec![other.clone()],
    };
    statements.iter().any(|s| {
        let everyone = s["Principal"] == "*" || s["Principal"]["AWS"] == "*";
        s["Effect"] == "Allow" && everyone && s.get("Condition").is_none()
    })
}

fn accept(_: &Service, _: &BucketDoc, _: &Element) -> S3Result<()> {
    Ok(())
}

/// `value` is one of `allowed` (or absent when `required` is false).
fn one_of(value: Option<&str>, allowed: &[&str], required: bool) -> S3Result<()> {
    match value {
        Some(v) if allowed.contains(&v) => Ok(()),
        None if !required => Ok(()),
        _ => Err(S3Error::malformed_xml()),
    }
}

fn validate_versioning(_: &Service, _: &BucketDoc, root: &Element) -> S3Result<()> {
    one_of(root.child_text("Status"), &["Enabled", "Suspended"], false)?;
    one_of(root.child_text("MfaDelete"), &["Enabled", "Disabled"], false)
}

fn validate_encryption(_: &Service, _: &BucketDoc, root: &Element) -> S3Result<()> {
    let mut rules = root.children_named("Rule").peekable();
    if rules.peek().is_none() {
        return Err(S3Error::malformed_xml());
    }
    for rule in rules {
        if let Some(default) = rule.child("ApplyServerSideEncryptionByDefault") {
            one_of(default.child_text("SSEAlgorithm"), &["AES256", "aws:kms", "aws:kms:dsse"], true)?;
        }
        one_of(rule.child_text("BucketKeyEnabled"), &["true", "false"], false)?;
    }
    Ok(())
}

fn validate_cors(_: &Service, _: &BucketDoc, root: &Element) -> S3Result<()> {
    let mut rules = root.children_named("CORSRule").peekable();
    if rules.peek().is_none() {
        return Err(S3Error::malformed_xml());
    }
    for rule in rules {
        if rule.child("AllowedOrigin").is_none() || rule.child("AllowedMethod").is_none() {
            return Err(S3Error::malformed_xml());
        }
        for method in rule.children_named("AllowedMethod") {
            let method = method.text.trim();
            if !["GET", "PUT", "POST", "DELETE", "HEAD"].contains(&method) {
                return Err(S3Error::invalid_request(format!(
                    "Found unsupported HTTP method in CORS config. Unsupported method is {method}"
                )));
            }
        }
    }
    Ok(())
}

fn validate_website(_: &Service, _: &BucketDoc, root: &Element) -> S3Result<()> {
    if root.child("RedirectAllRequestsTo").is_none()
        && root.child("IndexDocument").and_then(|i| i.child_text("Suffix")).is_none()
    {
        return Err(S3Error::invalid_argument(
            "A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty",
            "IndexDocument",
            "",
        ));
    }
    Ok(())
}

fn validate_lifecycle(_: &Service, _: &BucketDoc, root: &Element) -> S3Result<()> {
    let mut rules = root.children_named("Rule").peekable();
    if rules.peek().is_none() {
        return Err(S3Error::malformed_xml());
    }
    rules.try_for_each(|rule| one_of(rule.child_text("Status"), &["Enabled", "Disabled"], true))
}

fn validate_replication(_: &Service, doc: &BucketDoc, root: &Element) -> S3Result<()> {
    if root.child("Role").is_none() || root.child("Rule").is_none() {
        return Err(S3Error::malformed_xml());
    }
    let versioning_enabled = doc.configs.get("versioning").is_some_and(|v| v.contains("<Status>Enabled</Status>"));
    if !versioning_enabled {
        return Err(S3Error::invalid_request(
            "Versioning must be 'Enabled' on the bucket to apply a replication configuration",
        ));
    }
    Ok(())
}

fn validate_ownership(_: &Service, _: &BucketDoc, root: &Element) -> S3Result<()> {
    let rule = root.child("Rule").ok_or_else(S3Error::malformed_xml)?;
    one_of(rule.child_text("ObjectOwnership"), OBJECT_OWNERSHIPS, true)
}

fn validate_public_access_block(_: &Service, _: &BucketDoc, root: &Element) -> S3Result<()> {
    for name in ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"] {
        one_of(root.child_text(name), &["true", "false"], false)?;
    }
    Ok(())
}

/// The tags of a `Tagging` document, checked as S3 does: at most `max`, unique keys of 1 to
/// 128 characters, values of at most 256.
pub fn tag_set(root: &Element, max: usize) -> S3Result<Vec<Pair>> {
    let set = root.child("TagSet").ok_or_else(S3Error::malformed_xml)?;
    let mut tags: Vec<Pair> = Vec::new();
    for tag in set.children_named("Tag") {
        let key = tag.child("Key").map(|k| k.text.clone()).ok_or_else(S3Error::malformed_xml)?;
        let value = tag.child("Value").map(|v| v.text.clone()).unwrap_or_default();
        tags.push((key, value));
    }
    check_tags(&tags, max)?;
    Ok(tags)
}

/// Checks tags against S3's limits (`InvalidTag`).
pub fn check_tags(tags: &[Pair], max: usize) -> S3Result<()> {
    let invalid = |message: String| S3Error::new(400, "InvalidTag", message);
    if tags.len() > max {
        return Err(invalid(format!("Object tags cannot be greater than {max}")));
    }
    for (i, (key, value)) in tags.iter().enumerate() {
        if key.is_empty() || key.chars().count() > 128 {
            return Err(invalid("The TagKey you have provided is invalid".into()));
        }
        if value.chars().count() > 256 {
            return Err(invalid("The TagValue you have provided is invalid".into()));
        }
        if tags[..i].iter().any(|(k, _)| k == key) {
            return Err(invalid("Cannot provide multiple Tags with the same key".into()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_must_be_json_objects_with_statements() {
        assert!(validate_policy(br#" {"Version":"2012-10-17","Statement":[]}"#).is_ok());
        assert_eq!(validate_policy(b"[]").unwrap_err().code, "MalformedPolicy");
        assert_eq!(validate_policy(b"{not json").unwrap_err().code, "MalformedPolicy");
        assert_eq!(validate_policy(b"{}").unwrap_err().message, "Missing required field Statement");
    }

    #[test]
    fn public_policies_are_recognized() {
        assert!(policy_is_public(r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}]}"#));
        assert!(!policy_is_public(r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::1:root"}}}"#));
    }

    #[test]
    fn tags_are_checked() {
        let tags = |n: usize| (0..n).map(|i| (format!("k{i}"), "v".to_string())).collect::<Vec<_>>();
        assert!(check_tags(&tags(10), 10).is_ok());
        assert_eq!(check_tags(&tags(11), 10).unwrap_err().code, "InvalidTag");
        let duplicate = vec![("a".to_string(), "1".to_string()), ("a".to_string(), "2".to_string())];
        assert_eq!(check_tags(&duplicate, 10).unwrap_err().message, "Cannot provide multiple Tags with the same key");
        assert!(check_tags(&[(String::new(), String::new())], 10).is_err());
    }
}
