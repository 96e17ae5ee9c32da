//! Multipart uploads: CreateMultipartUpload, UploadPart, UploadPartCopy,
//! CompleteMultipartUpload, AbortMultipartUpload, ListParts, ListMultipartUploads.
//!
//! Each part is its own blob; completion concatenates the chosen parts into the object's blob
//! (one sequential pass that also computes a full-object checksum when asked), commits the
//! object and drops the upload in one transaction, then removes the part blobs.

use std::io::{Seek, SeekFrom};

use crate::bucket::owner_xml;
use crate::checksum::{self, Algorithm, Digests, StoredChecksum};
use crate::error::{S3Error, S3Result};
use crate::object::{self, Attrs, WriteConditions};
use crate::request::{Request, Response};
use crate::store::{self, BucketDoc, ObjectDoc, PartDoc, UploadDoc};
use crate::time::{self, iso8601_ms};
use crate::xml;
use crate::{Service, LIST_PARTS_MAX, PARTS_PER_UPLOAD_MAX, PART_BYTES_MIN};

/// Length of an upload id: 12 hex digits of creation time (so ids sort by age) and a UUID.
const UPLOAD_ID_LEN: usize = 12 + 32;
/// Most uploads of one bucket ListMultipartUploads considers (they are sorted in memory).
const UPLOADS_SCANNED_MAX: usize = 100_000;

fn valid_upload_id(id: &str) -> bool {
    id.len() == UPLOAD_ID_LEN && id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// CreateMultipartUpload: `POST /bucket/key?uploads`.
pub fn create(svc: &Service, req: &Request) -> S3Result<Response> {
    svc.bucket_doc(req.bucket())?;
    let attrs = Attrs::from_request(req)?;
    let algorithm = match req.header("x-amz-checksum-algorithm") {
        None => None,
        Some(name) => Some(Algorithm::parse(name).ok_or_else(|| {
            S3Error::invalid_request("Checksum algorithm provided is unsupported.").with("ArgumentValue", name)
        })?),
    };
    let full_object = match (req.header("x-amz-checksum-type"), algorithm) {
        (None, Some(Algorithm::Crc64Nvme)) => true,
        (None, _) | (Some("COMPOSITE"), _) => false,
        (Some("FULL_OBJECT"), _) => true,
        (Some(other), _) => {
            return Err(S3Error::invalid_request(format!("Value for x-amz-checksum-type header is invalid: {other}")))
        }
    };
    match (algorithm, full_object) {
        (None, true) => {
            return Err(S3Error::invalid_request(
                "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.",
            ))
        }
        (Some(Algorithm::Sha1 | Algorithm::Sha256), true) | (Some(Algorithm::Crc64Nvme), false) => {
            return Err(S3Error::invalid_request(format!(
                "The {} checksum type cannot be used with the {} checksum algorithm.",
                if full_object { "FULL_OBJECT" } else { "COMPOSITE" },
                algorithm.map_or("", Algorithm::name)
            )));
        }
        _ => {}
    }
    let initiated_ms = time::now_ms();
    let upload_id = format!("{:012x}{}", initiated_ms, uuid::Uuid::new_v4().simple());
    let doc = UploadDoc {
        bucket: req.bucket().to_string(),
        key: req.key.clone(),
        upload_id: upload_id.clone(),
        initiated_ms,
        content_type: attrs.content_type,
        headers: attrs.headers,
        metadata: attrs.metadata,
        tags: attrs.tags,
        storage_class: attrs.storage_class,
        checksum_algorithm: algorithm,
        checksum_full_object: full_object,
    };
    let _shared = svc.namespace.read();
    svc.docs.batch(|batch| {
        batch
            .get::<BucketDoc>(store::KIND_BUCKET, req.bucket())?
            .ok_or_else(|| S3Error::no_such_bucket(req.bucket()))?;
        batch.put(store::KIND_UPLOAD, &store::upload_key(req.bucket(), &upload_id), &doc)?;
        Ok::<_, S3Error>(())
    })?;
    let mut out = xml::document("InitiateMultipartUploadResult");
    xml::element(&mut out, "Bucket", req.bucket());
    xml::element(&mut out, "Key", &req.key);
    xml::element(&mut out, "UploadId", &upload_id);
    xml::close(&mut out, "InitiateMultipartUploadResult");
    let mut response = Response::xml(out).header("x-amz-server-side-encryption", "AES256");
    if let Some(algorithm) = algorithm {
        response = response
            .header("x-amz-checksum-algorithm", algorithm.name())
            .header("x-amz-checksum-type", if full_object { "FULL_OBJECT" } else { "COMPOSITE" });
    }
    Ok(response)
}

/// The upload a request names (bucket, key and `uploadId` must all match), or `NoSuchUpload`.
fn upload_doc(svc: &Service, req: &Request) -> S3Result<UploadDoc> {
    let upload_id = req.param("uploadId").unwrap_or_default();
    svc.bucket_doc(req.bucket())?;
    if !valid_upload_id(upload_id) {
        return Err(S3Error::no_such_upload(upload_id));
    }
    match svc.docs.get::<UploadDoc>(store::KIND_UPLOAD, &store::upload_key(req.bucket(), upload_id))? {
        Some(doc) if doc.key == req.key => Ok(doc),
        _ => Err(S3Error::no_such_upload(upload_id)),
    }
}

fn part_number(req: &Request) -> S3Result<u32> {
    object::parse_part_number(req.param("partNumber").unwrap_or_default())
}

/// Records a part whose blob is durable; the part it replaces loses its blob. On failure
/// (the upload was completed or aborted meanwhile) the new blob is removed.
fn commit_part(svc: &Service, upload: &UploadDoc, part_number: u32, part: &PartDoc) -> S3Result<()> {
    let upload_key = store::upload_key(&upload.bucket, &upload.upload_id);
    let part_key = store::part_key(&upload.upload_id, part_number);
    let committed = svc.docs.batch(|batch| {
        if batch.get::<UploadDoc>(store::KIND_UPLOAD, &upload_key)?.is_none() {
            return Err(S3Error::no_such_upload(&upload.upload_id));
        }
        let old: Option<PartDoc> = batch.get(store::KIND_PART, &part_key)?;
        batch.put(store::KIND_PART, &part_key, part)?;
        Ok(old)
    });
    match committed {
        Ok(old) => {
            if let Some(old) = old {
                svc.blobs.remove(&old.blob);
            }
            Ok(())
        }
        Err(error) => {
            svc.blobs.remove(&part.blob);
            Err(error)
        }
    }
}

fn part_checksum(upload: &UploadDoc, algorithm: Option<Algorithm>, digest: Option<Vec<u8>>) -> Option<StoredChecksum> {
    let algorithm = algorithm.or(upload.checksum_algorithm)?;
    Some(StoredChecksum { algorithm, value: checksum::base64(&digest?), full_object: true })
}

fn check_part_algorithm(upload: &UploadDoc, sent: Option<Algorithm>) -> S3Result<()> {
    match (upload.checksum_algorithm, sent) {
        (Some(expected), Some(sent)) if expected != sent => Err(S3Error::invalid_request(format!(
            "Checksum Type mismatch occurred, expected checksum Type: {}, actual checksum Type: {}",
            expected.name().to_lowercase(),
            sent.name().to_lowercase()
        ))),
        _ => Ok(()),
    }
}

/// UploadPart: `PUT /bucket/key?partNumber=N&uploadId=ID`.
pub fn upload_part(svc: &Service, req: &Request) -> S3Result<Response> {
    let part_number = part_number(req)?;
    let upload = upload_doc(svc, req)?;
    check_part_algorithm(&upload, req.checksum.as_ref().map(|(a, _)| *a))?;
    let (algorithm, digest) = match &req.checksum {
        Some((algorithm, digest)) => (Some(*algorithm), Some(digest.clone())),
        None => match upload.checksum_algorithm.or(req.requested_algorithm()?) {
            Some(algorithm) => (Some(algorithm), Some(algorithm.digest(&req.body))),
            None => (None, None),
        },
    };
    let blob = svc.blobs.write(&req.body)?;
    let part = PartDoc {
        blob,
        size: req.body.len() as u64,
        etag: checksum::etag(&checksum::md5(&req.body)),
        last_modified_ms: time::now_ms(),
        checksum: part_checksum(&upload, algorithm, digest),
    };
    commit_part(svc, &upload, part_number, &part)?;
    let mut response = Response::empty(200).header("etag", &part.etag).header("x-amz-server-side-encryption", "AES256");
    if let Some(sum) = &part.checksum {
        response = response.header(sum.algorithm.header(), &sum.value);
    }
    Ok(response)
}

/// UploadPartCopy: UploadPart with `x-amz-copy-source` (and optionally
/// `x-amz-copy-source-range: bytes=first-last`).
pub fn upload_part_copy(svc: &Service, req: &Request) -> S3Result<Response> {
    let part_number = part_number(req)?;
    let upload = upload_doc(svc, req)?;
    let (source_bucket, source_key) = object::copy_source(req)?;
    let (source, mut file) = object::open(svc, &source_bucket, &source_key)?;
    object::copy_conditions(req, &source)?;
    let (start, len) = match req.header("x-amz-copy-source-range") {
        None => (0, source.size),
        Some(spec) => {
            let invalid = || {
                S3Error::invalid_argument(
                    format!("Range specified is not valid for source object of size: {}", source.size),
                    "x-amz-copy-source-range",
                    spec,
                )
            };
            let (first, last) = spec
                .trim()
                .strip_prefix("bytes=")
                .and_then(|r| r.split_once('-'))
                .and_then(|(a, b)| Some((a.trim().parse::<u64>().ok()?, b.trim().parse::<u64>().ok()?)))
                .ok_or_else(invalid)?;
            if first > last || last >= source.size {
                return Err(invalid());
            }
            (first, last - first + 1)
        }
    };
    if len > object::COPY_SOURCE_BYTES_MAX {
        return Err(S3Error::invalid_request("The specified copy source is larger than the maximum allowable size."));
    }
    file.seek(SeekFrom::Start(start))?;
    let (blob, (md5, extra)) = svc.blobs.create(|out| {
        let mut digests = Digests::new(upload.checksum_algorithm);
        object::copy_bytes(&mut file, out, len, &mut digests)?;
        Ok(digests.finish())
    })?;
    let (algorithm, digest) = extra.map_or((None, None), |(a, d)| (Some(a), Some(d)));
    let part = PartDoc {
        blob,
        size: len,
        etag: checksum::etag(&md5),
        last_modified_ms: time::now_ms(),
        checksum: part_checksum(&upload, algorithm, digest),
    };
    commit_part(svc, &upload, part_number, &part)?;
    let mut out = xml::document("CopyPartResult");
    xml::element(&mut out, "LastModified", iso8601_ms(part.last_modified_ms));
    xml::element(&mut out, "ETag", &part.etag);
    if let Some(sum) = &part.checksum {
        xml::element(&mut out, sum.algorithm.element(), &sum.value);
    }
    xml::close(&mut out, "CopyPartResult");
    Ok(Response::xml(out))
}

/// One `<Part>` of a CompleteMultipartUpload request.
struct ChosenPart {
    number: u32,
    etag: String,
    checksum: Option<String>,
}

fn chosen_parts(req: &Request, upload: &UploadDoc) -> S3Result<Vec<ChosenPart>> {
    let root = xml::parse(&req.body).map_err(|_| S3Error::malformed_xml())?;
    if root.name != "CompleteMultipartUpload" {
        return Err(S3Error::malformed_xml());
    }
    let mut parts = Vec::new();
    for part in root.children_named("Part") {
        let number = part
            .child_text("PartNumber")
            .and_then(|n| n.parse::<u32>().ok())
            .filter(|n| (1..=PARTS_PER_UPLOAD_MAX).contains(n))
            .ok_or_else(S3Error::malformed_xml)?;
        let etag = part.child_text("ETag").ok_or_else(S3Error::malformed_xml)?.trim_matches('"').to_string();
        let checksum = upload.checksum_algorithm.and_then(|a| part.child_text(a.element())).map(str::to_string);
        parts.push(ChosenPart { number, etag, checksum });
    }
    if parts.is_empty() {
        return Err(S3Error::malformed_xml());
    }
    if parts.windows(2).any(|w| w[0].number >= w[1].number) {
        return Err(S3Error::new(
            400,
            "InvalidPartOrder",
            "The list of parts was not in ascending order. Parts must be ordered by part number.",
        )
        .with("UploadId", &upload.upload_id));
    }
    Ok(parts)
}

fn invalid_part(upload: &UploadDoc, chosen: &ChosenPart) -> S3Error {
    S3Error::new(
        400,
        "InvalidPart",
        "One or more of the specified parts could not be found.  The part may not have been uploaded, or the \
         specified entity tag may not match the part's entity tag.",
    )
    .with("UploadId", &upload.upload_id)
    .with("PartNumber", chosen.number.to_string())
    .with("ETag", format!("\"{}\"", chosen.etag))
}

/// CompleteMultipartUpload: `POST /bucket/key?uploadId=ID`.
pub fn complete(svc: &Service, req: &Request) -> S3Result<Response> {
    let upload = upload_doc(svc, req)?;
    let chosen = chosen_parts(req, &upload)?;
    let mut parts = Vec::with_capacity(chosen.len());
    for c in &chosen {
        let part: PartDoc = svc
            .docs
            .get(store::KIND_PART, &store::part_key(&upload.upload_id, c.number))?
            .ok_or_else(|| invalid_part(&upload, c))?;
        if part.etag.trim_matches('"') != c.etag {
            return Err(invalid_part(&upload, c));
        }
        if let (Some(sent), Some(stored)) = (&c.checksum, &part.checksum) {
            if sent != &stored.value {
                return Err(invalid_part(&upload, c));
            }
        }
        parts.push(part);
    }
    for (c, part) in chosen.iter().zip(&parts).take(parts.len() - 1) {
        if part.size < PART_BYTES_MIN {
            return Err(S3Error::new(
                400,
                "EntityTooSmall",
                "Your proposed upload is smaller than the minimum allowed object size.",
            )
            .with("ProposedSize", part.size.to_string())
            .with("MinSizeAllowed", PART_BYTES_MIN.to_string())
            .with("PartNumber", c.number.to_string())
            .with("ETag", &part.etag));
        }
    }
    let conditions = WriteConditions::from_request(req)?;
    let full_algorithm = upload.checksum_algorithm.filter(|_| upload.checksum_full_object);
    let (blob, (_, full_digest)) = svc.blobs.create(|out| {
        let mut digests = Digests::new(full_algorithm);
        for part in &parts {
            let mut file = svc.blobs.open_blob(&part.blob)?;
            object::copy_bytes(&mut file, out, part.size, &mut digests)?;
        }
        Ok(digests.finish())
    })?;
    let part_md5s: Vec<[u8; 16]> = parts.iter().filter_map(|p| checksum::etag_md5(&p.etag)).collect();
    assert_eq!(part_md5s.len(), parts.len(), "every part ETag is a quoted MD5");
    let checksum = match (upload.checksum_algorithm, full_digest) {
        (_, Some((algorithm, digest))) => {
            Some(StoredChecksum { algorithm, value: checksum::base64(&digest), full_object: true })
        }
        (Some(algorithm), None) => composite_checksum(algorithm, &parts),
        (None, None) => None,
    };
    if let (Some(sum), Some(sent)) = (&checksum, checksum.as_ref().and_then(|s| req.header(s.algorithm.header()))) {
        if sum.full_object && sent != sum.value {
            svc.blobs.remove(&blob);
            return Err(S3Error::new(
                400,
                "BadDigest",
                format!("The {} you specified did not match the calculated checksum.", sum.algorithm.name()),
            ));
        }
    }
    let doc = ObjectDoc {
        blob,
        size: parts.iter().map(|p| p.size).sum(),
        etag: checksum::multipart_etag(&part_md5s),
        last_modified_ms: time::now_ms(),
        content_type: upload.content_type.clone(),
        headers: upload.headers.clone(),
        metadata: upload.metadata.clone(),
        checksum,
        part_sizes: parts.iter().map(|p| p.size).collect(),
        tags: upload.tags.clone(),
        storage_class: upload.storage_class.clone(),
    };
    commit_completion(svc, &upload, &doc, &conditions)?;
    discard_parts(svc, &upload.upload_id)?;
    let mut out = xml::document("CompleteMultipartUploadResult");
    let location = format!("http://{}/{}/{}", req.host, upload.bucket, crate::listing::url_encode(&upload.key));
    xml::element(&mut out, "Location", location);
    xml::element(&mut out, "Bucket", &upload.bucket);
    xml::element(&mut out, "Key", &upload.key);
    xml::element(&mut out, "ETag", &doc.etag);
    if let Some(sum) = &doc.checksum {
        xml::element(&mut out, sum.algorithm.element(), &sum.value);
        xml::element(&mut out, "ChecksumType", sum.kind());
    }
    xml::close(&mut out, "CompleteMultipartUploadResult");
    Ok(Response::xml(out).header("x-amz-server-side-encryption", "AES256"))
}

/// The COMPOSITE checksum: the algorithm over the parts' raw checksums, then `-<parts>`;
/// `None` unless every part has one.
fn composite_checksum(algorithm: Algorithm, parts: &[PartDoc]) -> Option<StoredChecksum> {
    let mut joined = Vec::with_capacity(parts.len() * algorithm.digest_len());
    for part in parts {
        let sum = part.checksum.as_ref().filter(|s| s.algorithm == algorithm)?;
        joined.extend_from_slice(&checksum::unbase64(&sum.value)?);
    }
    let value = format!("{}-{}", checksum::base64(&algorithm.digest(&joined)), parts.len());
    Some(StoredChecksum { algorithm, value, full_object: false })
}

/// Commits the completed object and removes the upload in one transaction, so a second
/// completion of the same upload finds it gone.
fn commit_completion(svc: &Service, upload: &UploadDoc, doc: &ObjectDoc, conditions: &WriteConditions) -> S3Result<()> {
    let doc_key = store::object_key(&upload.bucket, &upload.key);
    let upload_key = store::upload_key(&upload.bucket, &upload.upload_id);
    let committed = {
        let _shared = svc.namespace.read();
        svc.docs.batch(|batch| {
            batch
                .get::<BucketDoc>(store::KIND_BUCKET, &upload.bucket)?
                .ok_or_else(|| S3Error::no_such_bucket(&upload.bucket))?;
            if batch.get::<UploadDoc>(store::KIND_UPLOAD, &upload_key)?.is_none() {
                return Err(S3Error::no_such_upload(&upload.upload_id));
            }
            let old: Option<ObjectDoc> = batch.get(store::KIND_OBJECT, &doc_key)?;
            conditions.check(&upload.key, old.as_ref())?;
            batch.put(store::KIND_OBJECT, &doc_key, doc)?;
            batch.delete(store::KIND_UPLOAD, &upload_key)?;
            Ok(old)
        })
    };
    match committed {
        Ok(old) => {
            if let Some(old) = old {
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

/// AbortMultipartUpload: 204, or `NoSuchUpload`.
pub fn abort(svc: &Service, req: &Request) -> S3Result<Response> {
    let upload = upload_doc(svc, req)?;
    discard_upload(svc, &upload)?;
    Ok(Response::empty(204))
}

/// Removes an upload and all its parts.
pub fn discard_upload(svc: &Service, upload: &UploadDoc) -> S3Result<()> {
    svc.docs.delete(store::KIND_UPLOAD, &store::upload_key(&upload.bucket, &upload.upload_id))?;
    discard_parts(svc, &upload.upload_id)
}

/// Removes every part document and blob of an upload.
fn discard_parts(svc: &Service, upload_id: &str) -> S3Result<()> {
    let prefix = format!("{upload_id}/");
    loop {
        let parts = svc.docs.list::<PartDoc>(store::KIND_PART, &prefix, None, docstore::LIST_LIMIT_MAX)?;
        if parts.is_empty() {
            return Ok(());
        }
        for (key, part) in parts {
            svc.docs.delete(store::KIND_PART, &key)?;
            svc.blobs.remove(&part.blob);
        }
    }
}

fn bounded_param(req: &Request, name: &str, default: usize, max: usize) -> S3Result<usize> {
    match req.param(name) {
        None => Ok(default),
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .map(|n| usize::try_from(n).unwrap_or(usize::MAX).min(max))
            .ok_or_else(|| {
                S3Error::invalid_argument(format!("Provided {name} not an integer or within integer range"), name, text)
            }),
    }
}

/// ListParts: `GET /bucket/key?uploadId=ID`.
pub fn list_parts(svc: &Service, req: &Request) -> S3Result<Response> {
    let upload = upload_doc(svc, req)?;
    let max_parts = bounded_param(req, "max-parts", LIST_PARTS_MAX, LIST_PARTS_MAX)?;
    let marker = bounded_param(req, "part-number-marker", 0, PARTS_PER_UPLOAD_MAX as usize)?;
    let after = store::part_key(&upload.upload_id, marker as u32);
    let mut parts =
        svc.docs.list::<PartDoc>(store::KIND_PART, &format!("{}/", upload.upload_id), Some(&after), max_parts + 1)?;
    let truncated = parts.len() > max_parts;
    parts.truncate(max_parts);
    let number = |key: &str| key.rsplit('/').next().and_then(|n| n.parse::<u32>().ok()).unwrap_or(0);
    let mut out = xml::document("ListPartsResult");
    xml::element(&mut out, "Bucket", &upload.bucket);
    xml::element(&mut out, "Key", &upload.key);
    xml::element(&mut out, "UploadId", &upload.upload_id);
    xml::element(&mut out, "PartNumberMarker", marker);
    if let Some((key, _)) = parts.last() {
        xml::element(&mut out, "NextPartNumberMarker", number(key));
    }
    xml::element(&mut out, "MaxParts", max_parts);
    xml::element(&mut out, "IsTruncated", truncated);
    out.push_str(&owner_xml(svc, "Initiator"));
    out.push_str(&owner_xml(svc, "Owner"));
    xml::element(&mut out, "StorageClass", upload.storage_class.as_deref().unwrap_or("STANDARD"));
    if let Some(algorithm) = upload.checksum_algorithm {
        xml::element(&mut out, "ChecksumAlgorithm", algorithm.name());
        xml::element(&mut out, "ChecksumType", if upload.checksum_full_object { "FULL_OBJECT" } else { "COMPOSITE" });
    }
    for (key, part) in &parts {
        xml::open(&mut out, "Part");
        xml::element(&mut out, "PartNumber", number(key));
        xml::element(&mut out, "LastModified", iso8601_ms(part.last_modified_ms));
        xml::element(&mut out, "ETag", &part.etag);
        xml::element(&mut out, "Size", part.size);
        if let Some(sum) = &part.checksum {
            xml::element(&mut out, sum.algorithm.element(), &sum.value);
        }
        xml::close(&mut out, "Part");
    }
    xml::close(&mut out, "ListPartsResult");
    Ok(Response::xml(out))
}

/// ListMultipartUploads: `GET /bucket?uploads`, sorted by key then age.
pub fn list_uploads(svc: &Service, req: &Request) -> S3Result<Response> {
    let bucket = req.bucket();
    svc.bucket_doc(bucket)?;
    let prefix = req.param("prefix").unwrap_or("");
    let delimiter = req.param("delimiter").filter(|d| !d.is_empty());
    let key_marker = req.param("key-marker").unwrap_or("");
    let upload_id_marker = req.param("upload-id-marker").filter(|_| !key_marker.is_empty());
    let max_uploads = bounded_param(req, "max-uploads", LIST_PARTS_MAX, LIST_PARTS_MAX)?;
    let mut uploads = Vec::new();
    let mut after = None;
    loop {
        let page = svc.docs.list::<UploadDoc>(
            store::KIND_UPLOAD,
            &format!("{bucket}/"),
            after.as_deref(),
            docstore::LIST_LIMIT_MAX,
        )?;
        let done = page.len() < docstore::LIST_LIMIT_MAX;
        for (key, upload) in page {
            after = Some(key);
            if upload.key.starts_with(prefix) && uploads.len() < UPLOADS_SCANNED_MAX {
                uploads.push(upload);
            }
        }
        if done {
            break;
        }
    }
    uploads.sort_by(|a, b| (&a.key, a.initiated_ms, &a.upload_id).cmp(&(&b.key, b.initiated_ms, &b.upload_id)));
    uploads.retain(|u| match upload_id_marker {
        Some(id) => u.key.as_str() > key_marker || (u.key == key_marker && u.upload_id.as_str() > id),
        None => u.key.as_str() > key_marker,
    });
    enum Listed<'a> {
        Upload(&'a UploadDoc),
        Prefix(String),
    }
    let mut listed: Vec<Listed<'_>> = Vec::new();
    let mut truncated = false;
    for upload in &uploads {
        let common = delimiter.and_then(|d| {
            upload.key[prefix.len()..].find(d).map(|at| upload.key[..prefix.len() + at + d.len()].to_string())
        });
        if let (Some(common), Some(Listed::Prefix(last))) = (&common, listed.last()) {
            if common == last {
                continue;
            }
        }
        if listed.len() == max_uploads {
            truncated = true;
            break;
        }
        listed.push(match common {
            Some(common) => Listed::Prefix(common),
            None => Listed::Upload(upload),
        });
    }
    let mut out = xml::document("ListMultipartUploadsResult");
    xml::element(&mut out, "Bucket", bucket);
    xml::element(&mut out, "KeyMarker", key_marker);
    xml::element(&mut out, "UploadIdMarker", upload_id_marker.unwrap_or(""));
    if truncated {
        match listed.last() {
            Some(Listed::Upload(u)) => {
                xml::element(&mut out, "NextKeyMarker", &u.key);
                xml::element(&mut out, "NextUploadIdMarker", &u.upload_id);
            }
            Some(Listed::Prefix(p)) => xml::element(&mut out, "NextKeyMarker", p),
            None => {}
        }
    }
    if let Some(d) = delimiter {
        xml::element(&mut out, "Delimiter", d);
    }
    xml::element(&mut out, "Prefix", prefix);
    xml::element(&mut out, "MaxUploads", max_uploads);
    xml::element(&mut out, "IsTruncated", truncated);
    for entry in &listed {
        if let Listed::Upload(u) = entry {
            xml::open(&mut out, "Upload");
            xml::element(&mut out, "Key", &u.key);
            xml::element(&mut out, "UploadId", &u.upload_id);
            out.push_str(&owner_xml(svc, "Initiator"));
            out.push_str(&owner_xml(svc, "Owner"));
            xml::element(&mut out, "StorageClass", u.storage_class.as_deref().unwrap_or("STANDARD"));
            xml::element(&mut out, "Initiated", iso8601_ms(u.initiated_ms));
            if let Some(algorithm) = u.checksum_algorithm {
                xml::element(&mut out, "ChecksumAlgorithm", algorithm.name());
            }
            xml::close(&mut out, "Upload");
        }
    }
    for entry in &listed {
        if let Listed::Prefix(p) = entry {
            xml::open(&mut out, "CommonPrefixes");
            xml::element(&mut out, "Prefix", p);
            xml::close(&mut out, "CommonPrefixes");
        }
    }
    xml::close(&mut out, "ListMultipartUploadsResult");
    Ok(Response::xml(out))
}
