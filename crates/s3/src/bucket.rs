//! Buckets: CreateBucket, HeadBucket, DeleteBucket, ListBuckets, GetBucketLocation, and the
//! owner and ACL documents shared with objects.

use std::collections::BTreeMap;

use crate::error::{S3Error, S3Result};
use crate::request::{Request, Response};
use crate::store::{self, BucketDoc, ObjectDoc, UploadDoc};
use crate::{time, xml, Service, LIST_BUCKETS_MAX};

/// Region of buckets created without a LocationConstraint, as in AWS.
pub const DEFAULT_REGION: &str = "us-east-1";
/// Display name of the single owner.
const OWNER_DISPLAY_NAME: &str = "kinesd";
/// The canned ACLs S3 knows.
pub const CANNED_ACLS: &[&str] = &[
    "private",
    "public-read",
    "public-read-write",
    "authenticated-read",
    "aws-exec-read",
    "bucket-owner-read",
    "bucket-owner-full-control",
    "log-delivery-write",
];
/// Canned ACLs a bucket whose ObjectOwnership is BucketOwnerEnforced still accepts.
const ENFORCED_ACLS: &[&str] = &["private", "bucket-owner-full-control"];

/// Whether `name` follows S3's general purpose bucket naming rules.
pub fn valid_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    if !(3..=63).contains(&bytes.len()) {
        return false;
    }
    let allowed = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'.' || c == b'-';
    let edge = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    if !bytes.iter().all(|&c| allowed(c)) || !edge(bytes[0]) || !edge(bytes[bytes.len() - 1]) {
        return false;
    }
    if name.contains("..") || name.contains(".-") || name.contains("-.") || name.parse::<std::net::Ipv4Addr>().is_ok() {
        return false;
    }
    let reserved_prefixes = ["xn--", "sthree-", "amzn-s3-demo-"];
    let reserved_suffixes = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];
    !reserved_prefixes.iter().any(|p| name.starts_with(p)) && !reserved_suffixes.iter().any(|s| name.ends_with(s))
}

/// Whether `text` looks like an AWS region name (`us-east-1`, `eu-central-2`, `us-gov-west-1`).
fn plausible_region(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()))
        && parts.last().is_some_and(|p| p.bytes().all(|c| c.is_ascii_digit()))
}

/// CreateBucket: `PUT /bucket` with an optional `CreateBucketConfiguration`.
pub fn create(svc: &Service, req: &Request) -> S3Result<Response> {
    let name = req.bucket();
    if !valid_name(name) {
        return Err(S3Error::invalid_bucket_name(name));
    }
    let constraint = location_constraint(req)?;
    if constraint.as_deref() == Some(DEFAULT_REGION) || constraint.as_deref().is_some_and(|c| !plausible_region(c)) {
        return Err(S3Error::new(400, "InvalidLocationConstraint", "The specified location-constraint is not valid")
            .with("LocationConstraint", constraint.unwrap_or_default()));
    }
    if req.region != DEFAULT_REGION && constraint.as_deref() != Some(req.region.as_str()) {
        let named = constraint.as_deref().unwrap_or("unspecified");
        return Err(S3Error::new(
            400,
            "IllegalLocationConstraintException",
            format!("The {named} location constraint is incompatible for the region specific endpoint this request was sent to."),
        ));
    }
    let region = constraint.unwrap_or_else(|| DEFAULT_REGION.to_string());
    let canned_acl = req.header("x-amz-acl").map(str::to_string);
    if let Some(acl) = &canned_acl {
        check_canned_acl(acl)?;
    }
    let ownership = req.header("x-amz-object-ownership").unwrap_or("BucketOwnerEnforced");
    if !crate::config::OBJECT_OWNERSHIPS.contains(&ownership) {
        return Err(S3Error::invalid_argument(
            "Invalid x-amz-object-ownership header",
            "x-amz-object-ownership",
            ownership,
        ));
    }
    if ownership == "BucketOwnerEnforced" && canned_acl.as_deref().is_some_and(|acl| !ENFORCED_ACLS.contains(&acl)) {
        return Err(S3Error::new(
            400,
            "InvalidBucketAclWithObjectOwnership",
            "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
        ));
    }
    let mut configs = BTreeMap::new();
    if req.header("x-amz-object-ownership").is_some() {
        configs.insert("ownershipControls".to_string(), crate::config::ownership_document(ownership));
    }
    if req.header("x-amz-bucket-object-lock-enabled").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
        configs.insert(
            "object-lock".to_string(),
            format!(
                "{}<ObjectLockEnabled>Enabled</ObjectLockEnabled></ObjectLockConfiguration>",
                xml::document("ObjectLockConfiguration")
            ),
        );
        configs.insert(
            "versioning".to_string(),
            format!("{}<Status>Enabled</Status></VersioningConfiguration>", xml::document("VersioningConfiguration")),
        );
    }
    let doc = BucketDoc {
        name: name.to_string(),
        region: region.clone(),
        created_ms: time::now_ms(),
        canned_acl,
        policy: None,
        configs,
    };
    if !svc.docs.insert_new(store::KIND_BUCKET, name, &doc)? {
        let existing = svc.bucket_doc(name)?;
        // AWS's legacy us-east-1 behaviour: re-creating your own bucket there succeeds.
        if existing.region != DEFAULT_REGION {
            return Err(S3Error::new(
                409,
                "BucketAlreadyOwnedByYou",
                "Your previous request to create the named bucket succeeded and you already own it.",
            )
            .with("BucketName", name));
        }
    } else {
        tracing::info!(bucket = name, region, "bucket created");
    }
    Ok(Response::empty(200).header("location", format!("/{name}")))
}

fn location_constraint(req: &Request) -> S3Result<Option<String>> {
    if req.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let root = xml::parse(&req.body).map_err(|_| S3Error::malformed_xml())?;
    if root.name != "CreateBucketConfiguration" {
        return Err(S3Error::malformed_xml());
    }
    Ok(root.child_text("LocationConstraint").filter(|c| !c.is_empty()).map(str::to_string))
}

/// Refuses a canned ACL S3 does not know.
pub fn check_canned_acl(acl: &str) -> S3Result<()> {
    if CANNED_ACLS.contains(&acl) {
        Ok(())
    } else {
        Err(S3Error::invalid_argument("", "x-amz-acl", acl))
    }
}

/// Whether a bucket refuses ACLs other than the owner's (ObjectOwnership BucketOwnerEnforced).
pub fn acls_disabled(doc: &BucketDoc) -> bool {
    match doc.configs.get("ownershipControls") {
        None => true,
        // Deleted ownership controls leave ACLs enabled (ObjectWriter).
        Some(stored) => stored.contains("BucketOwnerEnforced"),
    }
}

/// The canned ACLs a bucket with ACLs disabled accepts.
pub fn acl_allowed_when_enforced(acl: &str) -> bool {
    ENFORCED_ACLS.contains(&acl)
}

/// HeadBucket.
pub fn head(svc: &Service, req: &Request) -> S3Result<Response> {
    let doc = svc.bucket_doc(req.bucket())?;
    Ok(Response::empty(200).header("x-amz-bucket-region", doc.region).header("x-amz-access-point-alias", "false"))
}

/// GetBucketLocation: empty for us-east-1, as AWS answers.
pub fn get_location(svc: &Service, req: &Request) -> S3Result<Response> {
    let doc = svc.bucket_doc(req.bucket())?;
    if doc.region == DEFAULT_REGION {
        return Ok(Response::xml(xml::empty_document("LocationConstraint")));
    }
    let mut out = xml::document("LocationConstraint");
    out.push_str(&xml::escape(&doc.region));
    out.push_str("</LocationConstraint>");
    Ok(Response::xml(out))
}

/// DeleteBucket: only when no object is left; uploads in progress are aborted with it.
pub fn delete(svc: &Service, req: &Request) -> S3Result<Response> {
    let name = req.bucket();
    let _exclusive = svc.namespace.write();
    svc.bucket_doc(name)?;
    let prefix = format!("{name}/");
    if !svc.docs.list::<ObjectDoc>(store::KIND_OBJECT, &prefix, None, 1)?.is_empty() {
        return Err(
            S3Error::new(409, "BucketNotEmpty", "The bucket you tried to delete is not empty").with("BucketName", name)
        );
    }
    loop {
        let uploads = svc.docs.list::<UploadDoc>(store::KIND_UPLOAD, &prefix, None, docstore::LIST_LIMIT_MAX)?;
        if uploads.is_empty() {
            break;
        }
        for (_, upload) in uploads {
            crate::multipart::discard_upload(svc, &upload)?;
        }
    }
    svc.docs.delete(store::KIND_BUCKET, name)?;
    tracing::info!(bucket = name, "bucket deleted");
    Ok(Response::empty(204))
}

/// ListBuckets, with the optional `prefix`, `bucket-region`, `max-buckets` and
/// `continuation-token` (the last name of the previous page).
pub fn list_buckets(svc: &Service, req: &Request) -> S3Result<Response> {
    let prefix = req.param("prefix").unwrap_or("");
    let region = req.param("bucket-region");
    let max = match req.param("max-buckets") {
        None => LIST_BUCKETS_MAX,
        Some(text) => match text.parse::<usize>() {
            Ok(n) if (1..=LIST_BUCKETS_MAX).contains(&n) => n,
            _ => return Err(S3Error::invalid_argument("Invalid max-buckets", "max-buckets", text)),
        },
    };
    let mut after = req.param("continuation-token").map(str::to_string);
    let mut buckets = Vec::new();
    let mut truncated = false;
    'pages: loop {
        let page =
            svc.docs.list::<BucketDoc>(store::KIND_BUCKET, prefix, after.as_deref(), docstore::LIST_LIMIT_MAX)?;
        let done = page.len() < docstore::LIST_LIMIT_MAX;
        for (name, doc) in page {
            after = Some(name);
            if region.is_some_and(|r| r != doc.region) {
                continue;
            }
            if buckets.len() == max {
                truncated = true;
                break 'pages;
            }
            buckets.push(doc);
        }
        if done {
            break;
        }
    }
    let mut out = xml::document("ListAllMyBucketsResult");
    out.push_str(&owner_xml(svc, "Owner"));
    xml::open(&mut out, "Buckets");
    for doc in &buckets {
        xml::open(&mut out, "Bucket");
        xml::element(&mut out, "Name", &doc.name);
        xml::element(&mut out, "CreationDate", time::iso8601_ms(doc.created_ms));
        xml::element(&mut out, "BucketRegion", &doc.region);
        xml::close(&mut out, "Bucket");
    }
    xml::close(&mut out, "Buckets");
    if truncated {
        if let Some(last) = buckets.last() {
            xml::element(&mut out, "ContinuationToken", &last.name);
        }
    }
    if req.param("prefix").is_some() {
        xml::element(&mut out, "Prefix", prefix);
    }
    xml::close(&mut out, "ListAllMyBucketsResult");
    Ok(Response::xml(out))
}

/// `<name><ID>..</ID><DisplayName>..</DisplayName></name>` for the one owner.
pub fn owner_xml(svc: &Service, name: &str) -> String {
    let mut out = String::new();
    xml::open(&mut out, name);
    xml::element(&mut out, "ID", &svc.owner_id);
    xml::element(&mut out, "DisplayName", OWNER_DISPLAY_NAME);
    xml::close(&mut out, name);
    out
}

/// The AccessControlPolicy of a canned ACL: the owner's FULL_CONTROL plus the groups it grants.
pub fn canned_acl_document(svc: &Service, canned: &str) -> String {
    const ALL_USERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";
    const AUTHENTICATED: &str = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
    const LOG_DELIVERY: &str = "http://acs.amazonaws.com/groups/s3/LogDelivery";
    let groups: &[(&str, &str)] = match canned {
        "public-read" => &[(ALL_USERS, "READ")],
        "public-read-write" => &[(ALL_USERS, "READ"), (ALL_USERS, "WRITE")],
        "authenticated-read" => &[(AUTHENTICATED, "READ")],
        "log-delivery-write" => &[(LOG_DELIVERY, "WRITE"), (LOG_DELIVERY, "READ_ACP")],
        _ => &[],
    };
    let mut out = xml::document("AccessControlPolicy");
    out.push_str(&owner_xml(svc, "Owner"));
    xml::open(&mut out, "AccessControlList");
    out.push_str("<Grant><Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"CanonicalUser\">");
    xml::element(&mut out, "ID", &svc.owner_id);
    xml::element(&mut out, "DisplayName", OWNER_DISPLAY_NAME);
    out.push_str("</Grantee><Permission>FULL_CONTROL</Permission></Grant>");
    for (uri, permission) in groups {
        out.push_str("<Grant><Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"Group\">");
        xml::element(&mut out, "URI", uri);
        out.push_str("</Grantee>");
        xml::element(&mut out, "Permission", permission);
        xml::close(&mut out, "Grant");
    }
    xml::close(&mut out, "AccessControlList");
    xml::close(&mut out, "AccessControlPolicy");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names_follow_the_general_purpose_rules() {
        for ok in ["abc", "my-bucket.logs", "a1b2", &"a".repeat(63), "123"] {
            assert!(valid_name(ok), "{ok}");
        }
        for bad in [
            "ab",
            &"a".repeat(64),
            "My-Bucket",
            "under_score",
            "-start",
            "end-",
            "a..b",
            "a.-b",
            "192.168.5.4",
            "xn--abc",
            "sthree-abc",
            "abc-s3alias",
            "abc--ol-s3",
            "",
        ] {
            assert!(!valid_name(bad), "{bad}");
        }
    }

    #[test]
    fn region_names_are_recognized() {
        assert!(plausible_region("eu-west-1"));
        assert!(plausible_region("us-gov-west-1"));
        assert!(!plausible_region("EU"));
        assert!(!plausible_region("nowhere"));
        assert!(!plausible_region("eu-west-x"));
    }
}
