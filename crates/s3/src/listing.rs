//! Listing objects: ListObjectsV2, ListObjects (v1) and ListObjectVersions (every object is
//! its own single `null` version), on one scan with prefix, delimiter and resume position.
//!
//! Keys come from the docstore in UTF-8 byte order, which is S3's. When a delimiter rolls keys
//! up into a common prefix, the scan jumps past every key under it in one query instead of
//! reading them all.

use base64::Engine;

use crate::bucket::owner_xml;
use crate::error::{S3Error, S3Result};
use crate::request::{Request, Response};
use crate::store::{self, ObjectDoc};
use crate::time::iso8601_ms;
use crate::xml;
use crate::{Service, LIST_KEYS_MAX};

/// Where a listing resumes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resume {
    /// After this key.
    Key(String),
    /// After every key under this common prefix.
    Prefix(String),
}

/// What to list.
pub struct Scan<'a> {
    pub prefix: &'a str,
    pub delimiter: Option<&'a str>,
    pub resume: Option<Resume>,
    /// Most entries (objects plus common prefixes), at most [`LIST_KEYS_MAX`].
    pub max: usize,
}

/// One listed entry.
#[derive(Debug)]
pub enum Entry {
    Object(String, Box<ObjectDoc>),
    Prefix(String),
}

impl Entry {
    fn resume(&self) -> Resume {
        match self {
            Entry::Object(key, _) => Resume::Key(key.clone()),
            Entry::Prefix(prefix) => Resume::Prefix(prefix.clone()),
        }
    }
}

/// A page of entries, and whether more follow.
pub struct Page {
    pub entries: Vec<Entry>,
    pub truncated: bool,
}

/// Lists one page of `bucket`.
pub fn scan(svc: &Service, bucket: &str, scan: &Scan<'_>) -> S3Result<Page> {
    assert!(scan.max <= LIST_KEYS_MAX, "a listing page is at most {LIST_KEYS_MAX} entries");
    let base = format!("{bucket}/");
    let doc_prefix = format!("{base}{}", scan.prefix);
    let (mut cursor, mut skip) = match &scan.resume {
        None => (None, None),
        Some(Resume::Key(key)) => (Some(format!("{base}{key}")), None),
        Some(Resume::Prefix(prefix)) => (Some(format!("{base}{prefix}{}", char::MAX)), Some(prefix.clone())),
    };
    let mut entries = Vec::new();
    if scan.max == 0 {
        return Ok(Page { entries, truncated: false });
    }
    let batch_size = scan.max + 1;
    loop {
        let batch = svc.docs.list::<ObjectDoc>(store::KIND_OBJECT, &doc_prefix, cursor.as_deref(), batch_size)?;
        let exhausted = batch.len() < batch_size;
        let mut jumped = false;
        for (doc_key, doc) in batch {
            let key = &doc_key[base.len()..];
            if skip.as_deref().is_some_and(|s| key.starts_with(s)) {
                cursor = Some(doc_key);
                continue;
            }
            if entries.len() == scan.max {
                return Ok(Page { entries, truncated: true });
            }
            let rolled = scan.delimiter.and_then(|d| {
                let rest = &key[scan.prefix.len()..];
                rest.find(d).map(|at| key[..scan.prefix.len() + at + d.len()].to_string())
            });
            match rolled {
                Some(common) => {
                    // Every key under the prefix sorts before the prefix followed by the highest
                    // code point (the rare keys continuing past it are skipped one by one).
                    cursor = Some(format!("{base}{common}{}", char::MAX));
                    skip = Some(common.clone());
                    entries.push(Entry::Prefix(common));
                    jumped = true;
                    break;
                }
                None => {
                    entries.push(Entry::Object(key.to_string(), Box::new(doc)));
                    cursor = Some(doc_key);
                }
            }
        }
        if exhausted && !jumped {
            return Ok(Page { entries, truncated: false });
        }
    }
}

/// Request parameters every listing shares.
struct Common<'a> {
    prefix: &'a str,
    delimiter: Option<&'a str>,
    max_keys: usize,
    max_keys_asked: i64,
    url_encoded: bool,
}

fn common<'a>(svc: &Service, req: &'a Request) -> S3Result<Common<'a>> {
    svc.bucket_doc(req.bucket())?;
    let max_keys_asked = match req.param("max-keys") {
        None => LIST_KEYS_MAX as i64,
        Some(text) => text.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
            S3Error::invalid_argument("Provided max-keys not an integer or within integer range", "max-keys", text)
        })?,
    };
    let url_encoded = match req.param("encoding-type") {
        None => false,
        Some(e) if e.eq_ignore_ascii_case("url") => true,
        Some(e) => {
            return Err(S3Error::invalid_argument("Invalid Encoding Method specified in Request", "encoding-type", e))
        }
    };
    Ok(Common {
        prefix: req.param("prefix").unwrap_or(""),
        delimiter: req.param("delimiter").filter(|d| !d.is_empty()),
        max_keys: usize::try_from(max_keys_asked).unwrap_or(usize::MAX).min(LIST_KEYS_MAX),
        max_keys_asked,
        url_encoded,
    })
}

impl Common<'_> {
    /// A key or prefix as the listing writes it (URL-encoded when asked).
    fn text(&self, value: &str) -> String {
        if self.url_encoded {
            url_encode(value)
        } else {
            value.to_string()
        }
    }

    /// Where a v1 marker resumes: a marker that is a common prefix resumes after its keys.
    fn marker_resume(&self, marker: &str) -> Resume {
        let is_common_prefix = self.delimiter.is_some_and(|d| {
            marker.strip_prefix(self.prefix).and_then(|rest| rest.find(d).map(|at| at + d.len() == rest.len()))
                == Some(true)
        });
        if is_common_prefix {
            Resume::Prefix(marker.to_string())
        } else {
            Resume::Key(marker.to_string())
        }
    }

    fn write_head(&self, out: &mut String, bucket: &str) {
        xml::element(out, "Name", bucket);
        xml::element(out, "Prefix", self.text(self.prefix));
        if let Some(d) = self.delimiter {
            xml::element(out, "Delimiter", self.text(d));
        }
        xml::element(out, "MaxKeys", self.max_keys_asked.min(LIST_KEYS_MAX as i64));
        if self.url_encoded {
            xml::element(out, "EncodingType", "url");
        }
    }

    fn write_entries(&self, out: &mut String, svc: &Service, page: &Page, with_owner: bool, versions: bool) {
        for entry in &page.entries {
            let Entry::Object(key, doc) = entry else { continue };
            xml::open(out, if versions { "Version" } else { "Contents" });
            xml::element(out, "Key", self.text(key));
            if versions {
                xml::element(out, "VersionId", "null");
                xml::element(out, "IsLatest", "true");
            }
            xml::element(out, "LastModified", iso8601_ms(doc.last_modified_ms));
            xml::element(out, "ETag", &doc.etag);
            if let Some(sum) = &doc.checksum {
                xml::element(out, "ChecksumAlgorithm", sum.algorithm.name());
                xml::element(out, "ChecksumType", sum.kind());
            }
            xml::element(out, "Size", doc.size);
            xml::element(out, "StorageClass", doc.storage_class.as_deref().unwrap_or("STANDARD"));
            if with_owner {
                out.push_str(&owner_xml(svc, "Owner"));
            }
            xml::close(out, if versions { "Version" } else { "Contents" });
        }
        for entry in &page.entries {
            if let Entry::Prefix(prefix) = entry {
                xml::open(out, "CommonPrefixes");
                xml::element(out, "Prefix", self.text(prefix));
                xml::close(out, "CommonPrefixes");
            }
        }
    }
}

/// ListObjectsV2 (`?list-type=2`).
pub fn list_objects_v2(svc: &Service, req: &Request) -> S3Result<Response> {
    let common = common(svc, req)?;
    let token = req.param("continuation-token");
    let resume = match token {
        Some(token) => Some(decode_token(token)?),
        None => req.param("start-after").filter(|s| !s.is_empty()).map(|s| Resume::Key(s.to_string())),
    };
    let page = scan(
        svc,
        req.bucket(),
        &Scan { prefix: common.prefix, delimiter: common.delimiter, resume, max: common.max_keys },
    )?;
    let mut out = xml::document("ListBucketResult");
    common.write_head(&mut out, req.bucket());
    xml::element(&mut out, "KeyCount", page.entries.len());
    xml::element(&mut out, "IsTruncated", page.truncated);
    if let Some(token) = token {
        xml::element(&mut out, "ContinuationToken", token);
    }
    if let (true, Some(last)) = (page.truncated, page.entries.last()) {
        xml::element(&mut out, "NextContinuationToken", encode_token(&last.resume()));
    }
    if let Some(start_after) = req.param("start-after") {
        xml::element(&mut out, "StartAfter", common.text(start_after));
    }
    let fetch_owner = req.param("fetch-owner").is_some_and(|f| f.eq_ignore_ascii_case("true"));
    common.write_entries(&mut out, svc, &page, fetch_owner, false);
    xml::close(&mut out, "ListBucketResult");
    Ok(Response::xml(out))
}

/// ListObjects (v1, `marker`).
pub fn list_objects_v1(svc: &Service, req: &Request) -> S3Result<Response> {
    let common = common(svc, req)?;
    let marker = req.param("marker").unwrap_or("");
    let resume = (!marker.is_empty()).then(|| common.marker_resume(marker));
    let page = scan(
        svc,
        req.bucket(),
        &Scan { prefix: common.prefix, delimiter: common.delimiter, resume, max: common.max_keys },
    )?;
    let mut out = xml::document("ListBucketResult");
    common.write_head(&mut out, req.bucket());
    xml::element(&mut out, "Marker", common.text(marker));
    xml::element(&mut out, "IsTruncated", page.truncated);
    if let (true, Some(_), Some(last)) = (page.truncated, common.delimiter, page.entries.last()) {
        let (Resume::Key(next) | Resume::Prefix(next)) = last.resume();
        xml::element(&mut out, "NextMarker", common.text(&next));
    }
    common.write_entries(&mut out, svc, &page, true, false);
    xml::close(&mut out, "ListBucketResult");
    Ok(Response::xml(out))
}

/// ListObjectVersions (`?versions`): one `null` version per object, no delete markers.
pub fn list_object_versions(svc: &Service, req: &Request) -> S3Result<Response> {
    let common = common(svc, req)?;
    let marker = req.param("key-marker").unwrap_or("");
    let resume = (!marker.is_empty()).then(|| common.marker_resume(marker));
    let page = scan(
        svc,
        req.bucket(),
        &Scan { prefix: common.prefix, delimiter: common.delimiter, resume, max: common.max_keys },
    )?;
    let mut out = xml::document("ListVersionsResult");
    common.write_head(&mut out, req.bucket());
    xml::element(&mut out, "KeyMarker", common.text(marker));
    xml::element(&mut out, "VersionIdMarker", req.param("version-id-marker").unwrap_or(""));
    xml::element(&mut out, "IsTruncated", page.truncated);
    if let (true, Some(last)) = (page.truncated, page.entries.last()) {
        let (Resume::Key(next) | Resume::Prefix(next)) = last.resume();
        xml::element(&mut out, "NextKeyMarker", common.text(&next));
        xml::element(&mut out, "NextVersionIdMarker", "null");
    }
    common.write_entries(&mut out, svc, &page, true, true);
    xml::close(&mut out, "ListVersionsResult");
    Ok(Response::xml(out))
}

/// An opaque continuation token for a resume position.
pub fn encode_token(resume: &Resume) -> String {
    let text = match resume {
        Resume::Key(key) => format!("k{key}"),
        Resume::Prefix(prefix) => format!("p{prefix}"),
    };
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

/// The resume position a continuation token stands for.
pub fn decode_token(token: &str) -> S3Result<Resume> {
    let invalid =
        || S3Error::invalid_argument("The continuation token provided is incorrect", "continuation-token", token);
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    match text.split_at_checked(1) {
        Some(("k", key)) => Ok(Resume::Key(key.to_string())),
        Some(("p", prefix)) => Ok(Resume::Prefix(prefix.to_string())),
        _ => Err(invalid()),
    }
}

/// Percent-encodes everything but unreserved characters and `/` (S3's `encoding-type=url`).
pub fn url_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for &b in value.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_garbage_is_refused() {
        for resume in [Resume::Key("a/b c€".into()), Resume::Prefix("dir/".into())] {
            assert_eq!(decode_token(&encode_token(&resume)).unwrap(), resume);
        }
        assert_eq!(decode_token("!!").unwrap_err().code, "InvalidArgument");
        assert_eq!(decode_token("").unwrap_err().code, "InvalidArgument");
    }

    #[test]
    fn url_encoding_keeps_slashes_and_unreserved() {
        assert_eq!(url_encode("a b+c/d~e€"), "a%20b%2Bc/d~e%E2%82%AC");
    }
}
