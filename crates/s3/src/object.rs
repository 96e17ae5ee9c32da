//! Objects: PutObject, GetObject, HeadObject, DeleteObject, DeleteObjects, CopyObject, and
//! object tagging and ACL.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};

use crate::bucket::{self, acls_disabled};
use crate::checksum::{self, Algorithm, Digests, StoredChecksum};
use crate::config;
use crate::error::{S3Error, S3Result};
use crate::request::{Body, Request, Response};
use crate::store::{self, BucketDoc, ObjectDoc, Pair};
use crate::time::{self, http_date, iso8601_ms, parse_http_date};
use crate::xml;
use crate::{Service, DELETE_OBJECTS_MAX, INLINE_READ_BYTES_MAX, KEY_BYTES_MAX, METADATA_BYTES_MAX, OBJECT_TAGS_MAX};

/// Largest object CopyObject and UploadPartCopy take as a source (AWS: 5 GiB).
pub const COPY_SOURCE_BYTES_MAX: u64 = 5 * 1024 * 1024 * 1024;
/// Content type of objects stored without one, as AWS answers.
const DEFAULT_CONTENT_TYPE: &str = "binary/octet-stream";
/// Request headers kept with an object and answered on GET and HEAD.
const STORED_HEADERS: &[&str] = &[
    "cache-control",
    "content-disposition",
    "content-encoding",
    "content-language",
    "expires",
    "x-amz-website-redirect-location",
];
/// Headers a GET may override with `response-<name>` query parameters.
const OVERRIDABLE_HEADERS: &[&str] =
    &["content-type", "cache-control", "content-disposition", "content-encoding", "content-language", "expires"];
/// Storage classes S3 accepts.
const STORAGE_CLASSES: &[&str] = &[
    "STANDARD",
    "REDUCED_REDUNDANCY",
    "STANDARD_IA",
    "ONEZONE_IA",
    "INTELLIGENT_TIERING",
    "GLACIER",
    "DEEP_ARCHIVE",
    "OUTPOSTS",
    "GLACIER_IR",
    "SNOW",
    "EXPRESS_ONEZONE",
];
/// How many times a read retries when an overwrite removed the blob it was about to open.
const OPEN_ATTEMPTS_MAX: usize = 3;
/// Buffer size when copying blobs.
const COPY_BUFFER_BYTES: usize = 1024 * 1024;

/// What a write request says about the object besides its bytes.
pub struct Attrs {
    pub content_type: Option<String>,
    pub headers: Vec<Pair>,
    pub metadata: Vec<Pair>,
    pub tags: Vec<Pair>,
    pub storage_class: Option<String>,
}

impl Attrs {
    /// Reads and checks the attributes headers give (PutObject, CreateMultipartUpload, and
    /// CopyObject with `REPLACE`).
    pub fn from_request(req: &Request) -> S3Result<Attrs> {
        let mut headers = Vec::new();
        for name in STORED_HEADERS {
            let Some(value) = req.header(name) else { continue };
            let value = if *name == "content-encoding" {
                let kept: Vec<&str> =
                    value.split(',').map(str::trim).filter(|e| !e.eq_ignore_ascii_case("aws-chunked")).collect();
                kept.join(",")
            } else {
                value.to_string()
            };
            if !value.is_empty() {
                headers.push((name.to_string(), value));
            }
        }
        let mut metadata = Vec::new();
        let mut metadata_bytes = 0;
        for (name, value) in &req.headers {
            if let Some(short) = name.as_str().strip_prefix("x-amz-meta-") {
                let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                metadata_bytes += short.len() + value.len();
                metadata.push((short.to_string(), value));
            }
        }
        if metadata_bytes > METADATA_BYTES_MAX {
            return Err(S3Error::new(
                400,
                "MetadataTooLarge",
                "Your metadata headers exceed the maximum allowed metadata size",
            )
            .with("Size", metadata_bytes.to_string())
            .with("MaxSizeAllowed", METADATA_BYTES_MAX.to_string()));
        }
        let tags = match req.header("x-amz-tagging") {
            None => Vec::new(),
            Some(form) => {
                let tags: Vec<Pair> = aws_wire::sigv4::canonical::query_pairs(form)
                    .map(|(k, v)| (String::from_utf8_lossy(&k).into_owned(), String::from_utf8_lossy(&v).into_owned()))
                    .collect();
                config::check_tags(&tags, OBJECT_TAGS_MAX)?;
                tags
            }
        };
        Ok(Attrs {
            content_type: req.header("content-type").map(str::to_string),
            headers,
            metadata,
            tags,
            storage_class: storage_class(req)?,
        })
    }
}

/// The `x-amz-storage-class` header, `None` for STANDARD (the default).
pub fn storage_class(req: &Request) -> S3Result<Option<String>> {
    match req.header("x-amz-storage-class") {
        None | Some("STANDARD") => Ok(None),
        Some(class) if STORAGE_CLASSES.contains(&class) => Ok(Some(class.to_string())),
        Some(_) => Err(S3Error::new(400, "InvalidStorageClass", "The storage class you specified is not valid")),
    }
}

/// Conditional-write headers of PutObject and CompleteMultipartUpload.
pub struct WriteConditions {
    /// `If-None-Match: *`: only when no object exists.
    pub absent: bool,
    /// `If-Match: <etag>`: only over that object.
    pub etag: Option<String>,
}

impl WriteConditions {
    /// No conditions.
    pub const NONE: WriteConditions = WriteConditions { absent: false, etag: None };

    /// The conditions a request sets.
    pub fn from_request(req: &Request) -> S3Result<WriteConditions> {
        let absent = match req.header("if-none-match") {
            None => false,
            Some(v) if v.trim() == "*" => true,
            Some(_) => return Err(S3Error::not_implemented()),
        };
        Ok(WriteConditions { absent, etag: req.header("if-match").map(|e| e.trim().trim_matches('"').to_string()) })
    }

    /// Checks the conditions against the object they would replace.
    pub fn check(&self, key: &str, existing: Option<&ObjectDoc>) -> S3Result<()> {
        if self.absent && existing.is_some() {
            return Err(S3Error::precondition_failed("If-None-Match"));
        }
        match (&self.etag, existing) {
            (None, _) => Ok(()),
            (Some(_), None) => Err(S3Error::no_such_key(key)),
            (Some(wanted), Some(doc)) if wanted == "*" || wanted == doc.etag.trim_matches('"') => Ok(()),
            (Some(_), Some(_)) => Err(S3Error::precondition_failed("If-Match")),
        }
    }
}

/// Makes `doc` the object `key` of `bucket`: the blob it names is already durable. The old
/// object's blob is removed afterwards; on failure, the new blob is.
pub fn commit(svc: &Service, bucket: &str, key: &str, doc: &ObjectDoc, conditions: &WriteConditions) -> S3Result<()> {
    let doc_key = store::object_key(bucket, key);
    let committed = {
        let _shared = svc.namespace.read();
        svc.docs.batch(|batch| {
            batch.get::<BucketDoc>(store::KIND_BUCKET, bucket)?.ok_or_else(|| S3Error::no_such_bucket(bucket))?;
            let old: Option<ObjectDoc> = batch.get(store::KIND_OBJECT, &doc_key)?;
            conditions.check(key, old.as_ref())?;
            batch.put(store::KIND_OBJECT, &doc_key, doc)?;
            Ok(old)
        })
    };
    match committed {
        Ok(old) => {
            if let Some(old) = old.filter(|old| old.blob != doc.blob) {
                svc.blobs.remove(&old.blob);
            }
            Ok(())
        }
        Err(error) => {
            svc.blobs.remove(&doc.blob);
            Err(error)
        }
    }
}

/// PutObject.
pub fn put(svc: &Service, req: &Request) -> S3Result<Response> {
    let bucket_doc = svc.bucket_doc(req.bucket())?;
    if let Some(acl) = req.header("x-amz-acl") {
        bucket::check_canned_acl(acl)?;
        if acls_disabled(&bucket_doc) && !bucket::acl_allowed_when_enforced(acl) {
            return Err(S3Error::new(400, "AccessControlListNotSupported", "The bucket does not allow ACLs"));
        }
    }
    let attrs = Attrs::from_request(req)?;
    let conditions = WriteConditions::from_request(req)?;
    let checksum = match &req.checksum {
        Some((algorithm, digest)) => Some((*algorithm, digest.clone())),
        None => req.requested_algorithm()?.map(|a| (a, a.digest(&req.body))),
    };
    let blob = svc.blobs.write(&req.body)?;
    let doc = ObjectDoc {
        blob,
        size: req.body.len() as u64,
        etag: checksum::etag(&checksum::md5(&req.body)),
        last_modified_ms: time::now_ms(),
        content_type: attrs.content_type,
        headers: attrs.headers,
        metadata: attrs.metadata,
        checksum: checksum.map(|(algorithm, digest)| StoredChecksum {
            algorithm,
            value: checksum::base64(&digest),
            full_object: true,
        }),
        part_sizes: Vec::new(),
        tags: attrs.tags,
        storage_class: attrs.storage_class,
    };
    commit(svc, req.bucket(), &req.key, &doc, &conditions)?;
    Ok(write_response(&doc))
}

/// The headers of a successful write: ETag, encryption and the checksum.
pub fn write_response(doc: &ObjectDoc) -> Response {
    let mut response = Response::empty(200).header("etag", &doc.etag).header("x-amz-server-side-encryption", "AES256");
    if let Some(sum) = &doc.checksum {
        response = response.header(sum.algorithm.header(), &sum.value).header("x-amz-checksum-type", sum.kind());
    }
    response
}

/// The in-process PutObject (see [`crate::S3::put_object_bytes`]).
pub fn put_bytes(svc: &Service, bucket: &str, key: &str, bytes: &[u8], content_type: &str) -> S3Result<String> {
    if key.is_empty() || key.len() > KEY_BYTES_MAX {
        return Err(S3Error::invalid_argument("Object keys are 1 to 1024 bytes long", "key", key));
    }
    svc.bucket_doc(bucket)?;
    let blob = svc.blobs.write(bytes)?;
    let doc = ObjectDoc {
        blob,
        size: bytes.len() as u64,
        etag: checksum::etag(&checksum::md5(bytes)),
        last_modified_ms: time::now_ms(),
        content_type: Some(content_type.to_string()),
        headers: Vec::new(),
        metadata: Vec::new(),
        checksum: None,
        part_sizes: Vec::new(),
        tags: Vec::new(),
        storage_class: None,
    };
    commit(svc, bucket, key, &doc, &WriteConditions::NONE)?;
    Ok(doc.etag)
}

/// The in-process GetObject (see [`crate::S3::get_object_bytes`]).
pub fn get_bytes(svc: &Service, bucket: &str, key: &str) -> S3Result<Option<Vec<u8>>> {
    match open(svc, bucket, key) {
        Ok((doc, mut file)) => {
            let mut bytes = Vec::with_capacity(doc.size as usize);
            file.read_to_end(&mut bytes)?;
            Ok(Some(bytes))
        }
        Err(error) if error.code == "NoSuchKey" => Ok(None),
        Err(error) => Err(error),
    }
}

/// An object's document and its open blob; `NoSuchKey` or `NoSuchBucket`.
pub fn open(svc: &Service, bucket: &str, key: &str) -> S3Result<(ObjectDoc, File)> {
    let doc_key = store::object_key(bucket, key);
    for _ in 0..OPEN_ATTEMPTS_MAX {
        let Some(doc) = svc.docs.get::<ObjectDoc>(store::KIND_OBJECT, &doc_key)? else {
            svc.bucket_doc(bucket)?;
            return Err(S3Error::no_such_key(key));
        };
        match svc.blobs.open_blob(&doc.blob) {
            Ok(file) => return Ok((doc, file)),
            // Overwritten or deleted between reading the document and opening the blob.
            Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
            Err(error) => return Err(error.into()),
        }
    }
    tracing::error!(bucket, key, "object blob keeps disappearing");
    Err(S3Error::internal())
}

/// An object's document; `NoSuchKey` or `NoSuchBucket`.
fn object_doc(svc: &Service, bucket: &str, key: &str) -> S3Result<ObjectDoc> {
    match svc.docs.get::<ObjectDoc>(store::KIND_OBJECT, &store::object_key(bucket, key))? {
        Some(doc) => Ok(doc),
        None => {
            svc.bucket_doc(bucket)?;
            Err(S3Error::no_such_key(key))
        }
    }
}

/// GetObject and HeadObject.
pub fn get(svc: &Service, req: &Request) -> S3Result<Response> {
    let head = req.method == http::Method::HEAD;
    let (doc, mut file) = open(svc, req.bucket(), &req.key)?;
    if let Some(not_modified) = read_conditions(req, &doc)? {
        return Ok(not_modified);
    }
    let mut status = 200;
    let (mut start, mut len) = (0, doc.size);
    let mut headers = object_headers(req, &doc);
    let mut whole = true;
    if let Some(text) = req.param("partNumber") {
        let part_number = parse_part_number(text)?;
        let parts = if doc.part_sizes.is_empty() { vec![doc.size] } else { doc.part_sizes.clone() };
        let index = part_number as usize - 1;
        if index >= parts.len() {
            return Err(S3Error::new(416, "InvalidPartNumber", "The requested partnumber is not satisfiable")
                .with("PartNumberRequested", text)
                .with("ActualPartCount", parts.len().to_string()));
        }
        if !doc.part_sizes.is_empty() {
            start = parts[..index].iter().sum();
            len = parts[index];
            status = 206;
            whole = false;
            headers.push(("content-range".into(), content_range(start, len, doc.size)));
            headers.push(("x-amz-mp-parts-count".into(), parts.len().to_string()));
        }
    } else if let Some(spec) = req.header("range") {
        if let Some((first, last)) = parse_range(spec, doc.size).map_err(|()| {
            S3Error::new(416, "InvalidRange", "The requested range is not satisfiable")
                .with("RangeRequested", spec)
                .with("ActualObjectSize", doc.size.to_string())
        })? {
            start = first;
            len = last - first + 1;
            status = 206;
            whole = false;
            headers.push(("content-range".into(), content_range(start, len, doc.size)));
        }
    }
    let checksum_mode = req.header("x-amz-checksum-mode").is_some_and(|m| m.eq_ignore_ascii_case("ENABLED"));
    if let (true, true, Some(sum)) = (checksum_mode, whole, &doc.checksum) {
        headers.push((sum.algorithm.header().into(), sum.value.clone()));
        headers.push(("x-amz-checksum-type".into(), sum.kind().into()));
    }
    let body = if head {
        headers.push(("content-length".into(), len.to_string()));
        Body::Empty
    } else {
        file.seek(SeekFrom::Start(start))?;
        if len <= INLINE_READ_BYTES_MAX {
            let mut bytes = vec![0; len as usize];
            file.read_exact(&mut bytes)?;
            Body::Bytes(bytes.into())
        } else {
            headers.push(("content-length".into(), len.to_string()));
            Body::File { file, len }
        }
    };
    Ok(Response { status, headers, body })
}

fn content_range(start: u64, len: u64, size: u64) -> String {
    format!("bytes {start}-{}/{size}", start + len - 1)
}

/// A `partNumber` parameter: 1 to 10,000.
pub fn parse_part_number(text: &str) -> S3Result<u32> {
    text.parse::<u32>().ok().filter(|n| (1..=crate::PARTS_PER_UPLOAD_MAX).contains(n)).ok_or_else(|| {
        S3Error::invalid_argument("Part number must be an integer between 1 and 10000, inclusive", "partNumber", text)
    })
}

/// The first and last byte of a single `bytes=` range over `size` bytes: `Ok(None)` when the
/// header is to be ignored (not a single byte range, as HTTP says), `Err` when unsatisfiable.
pub fn parse_range(spec: &str, size: u64) -> Result<Option<(u64, u64)>, ()> {
    let Some(range) = spec.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if range.contains(',') {
        return Ok(None);
    }
    let Some((first, last)) = range.trim().split_once('-') else {
        return Ok(None);
    };
    let (first, last) = (first.trim(), last.trim());
    if first.is_empty() {
        let Ok(suffix) = last.parse::<u64>() else {
            return Ok(None);
        };
        if suffix == 0 || size == 0 {
            return Err(());
        }
        return Ok(Some((size.saturating_sub(suffix), size - 1)));
    }
    let Ok(first) = first.parse::<u64>() else {
        return Ok(None);
    };
    let last = if last.is_empty() {
        u64::MAX
    } else {
        match last.parse::<u64>() {
            Ok(last) if last >= first => last,
            _ => return Ok(None),
        }
    };
    if first >= size {
        return Err(());
    }
    Ok(Some((first, last.min(size - 1))))
}

/// If-Match / If-Unmodified-Since (412) and If-None-Match / If-Modified-Since (304), with
/// S3's precedence; `Some` is the 304 answer.
fn read_conditions(req: &Request, doc: &ObjectDoc) -> S3Result<Option<Response>> {
    let modified_seconds = doc.last_modified_ms.div_euclid(1000);
    if let Some(list) = req.header("if-match") {
        if !etag_listed(list, &doc.etag) {
            return Err(S3Error::precondition_failed("If-Match"));
        }
    } else if let Some(since) = req.header("if-unmodified-since").and_then(parse_http_date) {
        if modified_seconds > since {
            return Err(S3Error::precondition_failed("If-Unmodified-Since"));
        }
    }
    let not_modified = if let Some(list) = req.header("if-none-match") {
        etag_listed(list, &doc.etag)
    } else {
        req.header("if-modified-since").and_then(parse_http_date).is_some_and(|since| modified_seconds <= since)
    };
    if not_modified {
        return Ok(Some(
            Response::empty(304).header("etag", &doc.etag).header("last-modified", http_date(doc.last_modified_ms)),
        ));
    }
    Ok(None)
}

/// Whether a comma-separated ETag list (or `*`) names `etag`.
fn etag_listed(list: &str, etag: &str) -> bool {
    let etag = etag.trim_matches('"');
    list.split(',').map(|e| e.trim().trim_start_matches("W/").trim_matches('"')).any(|e| e == "*" || e == etag)
}

/// The headers GET and HEAD answer for an object.
fn object_headers(req: &Request, doc: &ObjectDoc) -> Vec<(String, String)> {
    let mut headers = vec![
        ("content-type".to_string(), doc.content_type.clone().unwrap_or_else(|| DEFAULT_CONTENT_TYPE.to_string())),
        ("etag".to_string(), doc.etag.clone()),
        ("last-modified".to_string(), http_date(doc.last_modified_ms)),
        ("accept-ranges".to_string(), "bytes".to_string()),
        ("x-amz-server-side-encryption".to_string(), "AES256".to_string()),
    ];
    headers.extend(doc.headers.iter().cloned());
    for name in OVERRIDABLE_HEADERS {
        if let Some(value) = req.param(&format!("response-{name}")) {
            headers.retain(|(n, _)| n != name);
            headers.push((name.to_string(), value.to_string()));
        }
    }
    headers.extend(doc.metadata.iter().map(|(n, v)| (format!("x-amz-meta-{n}"), v.clone())));
    if !doc.tags.is_empty() {
        headers.push(("x-amz-tagging-count".into(), doc.tags.len().to_string()));
    }
    if let Some(class) = &doc.storage_class {
        headers.push(("x-amz-storage-class".into(), class.clone()));
    }
    headers
}

/// DeleteObject: 204 whether or not the object existed.
pub fn delete(svc: &Service, req: &Request) -> S3Result<Response> {
    svc.bucket_doc(req.bucket())?;
    delete_one(svc, req.bucket(), &req.key)?;
    Ok(Response::empty(204))
}

fn delete_one(svc: &Service, bucket: &str, key: &str) -> S3Result<()> {
    let doc_key = store::object_key(bucket, key);
    let removed = svc.docs.batch(|batch| {
        let old: Option<ObjectDoc> = batch.get(store::KIND_OBJECT, &doc_key)?;
        if old.is_some() {
            batch.delete(store::KIND_OBJECT, &doc_key)?;
        }
        Ok::<_, S3Error>(old)
    })?;
    if let Some(old) = removed {
        svc.blobs.remove(&old.blob);
    }
    Ok(())
}

/// DeleteObjects: `POST /bucket?delete` with up to 1000 keys.
pub fn delete_objects(svc: &Service, req: &Request) -> S3Result<Response> {
    if req.header("content-md5").is_none() && req.checksum.is_none() {
        return Err(S3Error::invalid_request("Missing required header for this request: Content-MD5"));
    }
    let root = xml::parse(&req.body).map_err(|_| S3Error::malformed_xml())?;
    if root.name != "Delete" {
        return Err(S3Error::malformed_xml());
    }
    let quiet = root.child_text("Quiet").is_some_and(|q| q.eq_ignore_ascii_case("true"));
    let keys: Vec<&str> = root
        .children_named("Object")
        .map(|o| o.child("Key").map(|k| k.text.as_str()))
        .collect::<Option<_>>()
        .ok_or_else(S3Error::malformed_xml)?;
    if keys.is_empty() || keys.len() > DELETE_OBJECTS_MAX {
        return Err(S3Error::malformed_xml());
    }
    svc.bucket_doc(req.bucket())?;
    let mut out = xml::document("DeleteResult");
    for key in keys {
        let outcome = if key.len() > KEY_BYTES_MAX {
            Err(S3Error::new(400, "KeyTooLongError", "Your key is too long"))
        } else {
            delete_one(svc, req.bucket(), key)
        };
        match outcome {
            Ok(()) if quiet => {}
            Ok(()) => {
                xml::open(&mut out, "Deleted");
                xml::element(&mut out, "Key", key);
                xml::close(&mut out, "Deleted");
            }
            Err(error) => {
                xml::open(&mut out, "Error");
                xml::element(&mut out, "Key", key);
                xml::element(&mut out, "Code", error.code);
                xml::element(&mut out, "Message", &error.message);
                xml::close(&mut out, "Error");
            }
        }
    }
    xml::close(&mut out, "DeleteResult");
    Ok(Response::xml(out))
}

/// The bucket and key of `x-amz-copy-source` (`[/]bucket/key[?versionId=...]`, URL-encoded).
pub fn copy_source(req: &Request) -> S3Result<(String, String)> {
    let raw = req.header("x-amz-copy-source").unwrap_or_default();
    let invalid = || {
        S3Error::invalid_argument(
            "Copy Source must mention the source bucket and key: sourcebucket/sourcekey",
            "x-amz-copy-source",
            raw,
        )
    };
    let path = raw.split_once("?versionId=").map_or(raw, |(path, _)| path);
    let decoded =
        String::from_utf8(aws_wire::sigv4::canonical::percent_decode(path.as_bytes())).map_err(|_| invalid())?;
    let decoded = decoded.strip_prefix('/').unwrap_or(&decoded);
    match decoded.split_once('/') {
        Some((bucket, key)) if !bucket.is_empty() && !key.is_empty() => Ok((bucket.to_string(), key.to_string())),
        _ => Err(invalid()),
    }
}

/// The `x-amz-copy-source-if-*` conditions (412 when one fails).
pub fn copy_conditions(req: &Request, source: &ObjectDoc) -> S3Result<()> {
    let modified_seconds = source.last_modified_ms.div_euclid(1000);
    if let Some(list) = req.header("x-amz-copy-source-if-match") {
        if !etag_listed(list, &source.etag) {
            return Err(S3Error::precondition_failed("x-amz-copy-source-If-Match"));
        }
    } else if let Some(since) = req.header("x-amz-copy-source-if-unmodified-since").and_then(parse_http_date) {
        if modified_seconds > since {
            return Err(S3Error::precondition_failed("x-amz-copy-source-If-Unmodified-Since"));
        }
    }
    if let Some(list) = req.header("x-amz-copy-source-if-none-match") {
        if etag_listed(list, &source.etag) {
            return Err(S3Error::precondition_failed("x-amz-copy-source-If-None-Match"));
        }
    } else if let Some(since) = req.header("x-amz-copy-source-if-modified-since").and_then(parse_http_date) {
        if modified_seconds <= since {
            return Err(S3Error::precondition_failed("x-amz-copy-source-If-Modified-Since"));
        }
    }
    Ok(())
}

/// Copies `len` bytes of `from` (at its current position) into `to`, digesting them.
pub fn copy_bytes(from: &mut File, to: &mut File, len: u64, digests: &mut Digests) -> io::Result<()> {
    let mut buffer = vec![0; COPY_BUFFER_BYTES];
    let mut left = len;
    while left > 0 {
        let n = left.min(COPY_BUFFER_BYTES as u64) as usize;
        from.read_exact(&mut buffer[..n])?;
        digests.update(&buffer[..n]);
        to.write_all(&buffer[..n])?;
        left -= n as u64;
    }
    Ok(())
}

/// CopyObject.
pub fn copy(svc: &Service, req: &Request) -> S3Result<Response> {
    let (source_bucket, source_key) = copy_source(req)?;
    let (source, mut file) = open(svc, &source_bucket, &source_key)?;
    copy_conditions(req, &source)?;
    if source.size > COPY_SOURCE_BYTES_MAX {
        return Err(S3Error::invalid_request(format!(
            "The specified copy source is larger than the maximum allowable size for a copy source: {COPY_SOURCE_BYTES_MAX}"
        )));
    }
    svc.bucket_doc(req.bucket())?;
    let replace_metadata = directive(req, "x-amz-metadata-directive")?;
    let replace_tags = directive(req, "x-amz-tagging-directive")?;
    let requested_algorithm = req.requested_algorithm()?;
    let same = source_bucket == req.bucket() && source_key == req.key;
    let changes_something = replace_metadata
        || req.header("x-amz-storage-class").is_some()
        || req.header("x-amz-website-redirect-location").is_some()
        || req.header("x-amz-server-side-encryption").is_some()
        || requested_algorithm.is_some();
    if same && !changes_something {
        return Err(S3Error::invalid_request(
            "This copy request is illegal because it is trying to copy an object to itself without changing the \
             object's metadata, storage class, website redirect location or encryption attributes.",
        ));
    }
    let attrs = Attrs::from_request(req)?;
    let algorithm: Option<Algorithm> =
        requested_algorithm.or(source.checksum.as_ref().filter(|c| c.full_object).map(|c| c.algorithm));
    let (blob, (md5, extra)) = svc.blobs.create(|out| {
        let mut digests = Digests::new(algorithm);
        copy_bytes(&mut file, out, source.size, &mut digests)?;
        Ok(digests.finish())
    })?;
    let (content_type, headers, metadata) = if replace_metadata {
        (attrs.content_type, attrs.headers, attrs.metadata)
    } else {
        (source.content_type.clone(), source.headers.clone(), source.metadata.clone())
    };
    let doc = ObjectDoc {
        blob,
        size: source.size,
        etag: checksum::etag(&md5),
        last_modified_ms: time::now_ms(),
        content_type,
        headers,
        metadata,
        checksum: extra.map(|(algorithm, digest)| StoredChecksum {
            algorithm,
            value: checksum::base64(&digest),
            full_object: true,
        }),
        part_sizes: Vec::new(),
        tags: if replace_tags { attrs.tags } else { source.tags.clone() },
        storage_class: attrs.storage_class,
    };
    commit(svc, req.bucket(), &req.key, &doc, &WriteConditions::NONE)?;
    let mut out = xml::document("CopyObjectResult");
    xml::element(&mut out, "LastModified", iso8601_ms(doc.last_modified_ms));
    xml::element(&mut out, "ETag", &doc.etag);
    if let Some(sum) = &doc.checksum {
        xml::element(&mut out, "ChecksumType", sum.kind());
        xml::element(&mut out, sum.algorithm.element(), &sum.value);
    }
    xml::close(&mut out, "CopyObjectResult");
    Ok(Response::xml(out).header("x-amz-server-side-encryption", "AES256"))
}

/// Whether a `COPY`/`REPLACE` directive header says `REPLACE`.
fn directive(req: &Request, name: &str) -> S3Result<bool> {
    match req.header(name) {
        None | Some("COPY") => Ok(false),
        Some("REPLACE") => Ok(true),
        Some(other) => Err(S3Error::invalid_argument("Unknown metadata directive.", name, other)),
    }
}

/// Reads, changes and writes an object document in one transaction.
fn update(svc: &Service, bucket: &str, key: &str, change: impl FnOnce(&mut ObjectDoc)) -> S3Result<()> {
    let doc_key = store::object_key(bucket, key);
    svc.docs.batch(|batch| {
        let Some(mut doc) = batch.get::<ObjectDoc>(store::KIND_OBJECT, &doc_key)? else {
            return Err(S3Error::no_such_key(key));
        };
        change(&mut doc);
        batch.put(store::KIND_OBJECT, &doc_key, &doc)?;
        Ok(())
    })
}

/// GetObjectTagging.
pub fn get_tagging(svc: &Service, req: &Request) -> S3Result<Response> {
    let doc = object_doc(svc, req.bucket(), &req.key)?;
    Ok(Response::xml(tagging_document(&doc.tags)))
}

/// The `Tagging` document of a tag set.
pub fn tagging_document(tags: &[Pair]) -> String {
    let mut out = xml::document("Tagging");
    xml::open(&mut out, "TagSet");
    for (key, value) in tags {
        xml::open(&mut out, "Tag");
        xml::element(&mut out, "Key", key);
        xml::element(&mut out, "Value", value);
        xml::close(&mut out, "Tag");
    }
    xml::close(&mut out, "TagSet");
    xml::close(&mut out, "Tagging");
    out
}

/// PutObjectTagging.
pub fn put_tagging(svc: &Service, req: &Request) -> S3Result<Response> {
    let root = xml::parse(&req.body).map_err(|_| S3Error::malformed_xml())?;
    if root.name != "Tagging" {
        return Err(S3Error::malformed_xml());
    }
    let tags = config::tag_set(&root, OBJECT_TAGS_MAX)?;
    object_doc(svc, req.bucket(), &req.key)?;
    update(svc, req.bucket(), &req.key, |doc| doc.tags = tags)?;
    Ok(Response::empty(200))
}

/// DeleteObjectTagging.
pub fn delete_tagging(svc: &Service, req: &Request) -> S3Result<Response> {
    object_doc(svc, req.bucket(), &req.key)?;
    update(svc, req.bucket(), &req.key, |doc| doc.tags.clear())?;
    Ok(Response::empty(204))
}

/// GetObjectAcl: the owner's FULL_CONTROL.
pub fn get_acl(svc: &Service, req: &Request) -> S3Result<Response> {
    object_doc(svc, req.bucket(), &req.key)?;
    Ok(Response::xml(bucket::canned_acl_document(svc, "private")))
}

/// PutObjectAcl: accepted (object ACLs are not kept) unless the bucket disables ACLs.
pub fn put_acl(svc: &Service, req: &Request) -> S3Result<Response> {
    let bucket_doc = svc.bucket_doc(req.bucket())?;
    object_doc(svc, req.bucket(), &req.key)?;
    let allowed = req.header("x-amz-acl").is_none_or(bucket::acl_allowed_when_enforced);
    if acls_disabled(&bucket_doc) && !allowed {
        return Err(S3Error::new(400, "AccessControlListNotSupported", "The bucket does not allow ACLs"));
    }
    Ok(Response::empty(200))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_follow_http_and_s3() {
        assert_eq!(parse_range("bytes=0-9", 100), Ok(Some((0, 9))));
        assert_eq!(parse_range("bytes=90-", 100), Ok(Some((90, 99))));
        assert_eq!(parse_range("bytes=90-200", 100), Ok(Some((90, 99))));
        assert_eq!(parse_range("bytes=-10", 100), Ok(Some((90, 99))));
        assert_eq!(parse_range("bytes=-200", 100), Ok(Some((0, 99))));
        assert_eq!(parse_range("bytes=100-", 100), Err(()));
        assert_eq!(parse_range("bytes=-0", 100), Err(()));
        assert_eq!(parse_range("bytes=0-", 0), Err(()));
        assert_eq!(parse_range("bytes=5-1", 100), Ok(None));
        assert_eq!(parse_range("bytes=0-1,5-6", 100), Ok(None));
        assert_eq!(parse_range("items=0-1", 100), Ok(None));
        assert_eq!(parse_range("bytes=x-1", 100), Ok(None));
    }

    #[test]
    fn etag_lists_match_quoted_unquoted_weak_and_star() {
        let etag = "\"abc\"";
        assert!(etag_listed("\"abc\"", etag));
        assert!(etag_listed("abc", etag));
        assert!(etag_listed("\"x\", W/\"abc\"", etag));
        assert!(etag_listed("*", etag));
        assert!(!etag_listed("\"abd\"", etag));
    }

    #[test]
    fn part_numbers_are_1_to_10000() {
        assert_eq!(parse_part_number("1").unwrap(), 1);
        assert_eq!(parse_part_number("10000").unwrap(), 10_000);
        assert_eq!(parse_part_number("0").unwrap_err().code, "InvalidArgument");
        assert_eq!(parse_part_number("10001").unwrap_err().code, "InvalidArgument");
        assert_eq!(parse_part_number("x").unwrap_err().code, "InvalidArgument");
    }
}
