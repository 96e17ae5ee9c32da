//! Operation-level tests: requests through the router, as the front hands them over.

use std::io::Read;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method};

use crate::checksum::{self, Algorithm};
use crate::request::{Body, Response};
use crate::xml::{self, Element};
use crate::{PART_BYTES_MIN, S3};

struct Harness {
    dir: tempfile::TempDir,
    s3: S3,
}

struct Answer {
    status: u16,
    /// The body was a streamed blob.
    streamed: bool,
    response: Response,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.response.header_value(name)
    }

    fn xml(&self) -> Element {
        xml::parse(&self.body).unwrap_or_else(|e| panic!("{e:?}: {}", String::from_utf8_lossy(&self.body)))
    }

    fn error_code(&self) -> String {
        self.xml().child_text("Code").unwrap_or_default().to_string()
    }
}

impl Harness {
    fn new() -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let s3 = S3::open(dir.path(), "us-east-1", "123456789012").unwrap();
        Harness { dir, s3 }
    }

    fn reopen(self) -> Harness {
        let Harness { dir, s3 } = self;
        drop(s3);
        let s3 = S3::open(dir.path(), "us-east-1", "123456789012").unwrap();
        Harness { dir, s3 }
    }

    fn call(&self, method: &str, uri: &str, headers: &[(&str, &str)], body: &[u8]) -> Answer {
        self.call_in("us-east-1", method, uri, headers, body)
    }

    fn call_in(&self, region: &str, method: &str, uri: &str, headers: &[(&str, &str)], body: &[u8]) -> Answer {
        let mut map = HeaderMap::new();
        map.insert("host", HeaderValue::from_static("localhost:4566"));
        for (name, value) in headers {
            map.insert(HeaderName::from_bytes(name.as_bytes()).unwrap(), HeaderValue::from_str(value).unwrap());
        }
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let uri: http::Uri = uri.parse().unwrap();
        let mut response =
            self.s3.inner.handle(method, &uri, map, Bytes::copy_from_slice(body), region.to_string(), "rid");
        let streamed = matches!(response.body, Body::File { .. });
        let body = match std::mem::replace(&mut response.body, Body::Empty) {
            Body::Empty => Vec::new(),
            Body::Bytes(bytes) => bytes.to_vec(),
            Body::File { mut file, len } => {
                let mut out = vec![0; len as usize];
                file.read_exact(&mut out).unwrap();
                out
            }
        };
        Answer { status: response.status, streamed, response, body }
    }

    fn ok(&self, method: &str, uri: &str, headers: &[(&str, &str)], body: &[u8]) -> Answer {
        let answer = self.call(method, uri, headers, body);
        assert!(answer.status < 300, "{method} {uri}: {} {}", answer.status, String::from_utf8_lossy(&answer.body));
        answer
    }

    fn put(&self, bucket_and_key: &str, body: &[u8]) -> Answer {
        self.ok("PUT", bucket_and_key, &[], body)
    }

    fn list_v2(&self, query: &str) -> Element {
        self.ok("GET", &format!("/bkt?list-type=2&{query}"), &[], b"").xml()
    }
}

fn texts(root: &Element, element: &str, child: &str) -> Vec<String> {
    root.children_named(element).filter_map(|e| e.child_text(child)).map(str::to_string).collect()
}

fn content_md5(body: &[u8]) -> String {
    checksum::base64(&checksum::md5(body))
}

#[test]
fn bucket_lifecycle_create_head_list_delete() {
    let h = Harness::new();
    assert_eq!(h.call("PUT", "/my-bucket", &[], b"").status, 200);
    let head = h.call("HEAD", "/my-bucket", &[], b"");
    assert_eq!((head.status, head.header("x-amz-bucket-region")), (200, Some("us-east-1")));
    let list = h.ok("GET", "/", &[], b"").xml();
    let names: Vec<String> =
        list.child("Buckets").unwrap().children_named("Bucket").map(|b| b.child_text("Name").unwrap().into()).collect();
    assert_eq!(names, ["my-bucket"]);
    assert_eq!(list.child("Owner").unwrap().child_text("ID").unwrap().len(), 64);
    assert_eq!(h.call("DELETE", "/my-bucket", &[], b"").status, 204);
    let missing = h.call("HEAD", "/my-bucket", &[], b"");
    assert_eq!((missing.status, missing.body.len()), (404, 0));
    let missing = h.call("DELETE", "/my-bucket", &[], b"");
    assert_eq!((missing.status, missing.error_code()), (404, "NoSuchBucket".to_string()));
    assert_eq!(missing.xml().child_text("BucketName"), Some("my-bucket"));
}

#[test]
fn recreating_a_bucket_is_ok_in_us_east_1_and_a_conflict_elsewhere() {
    let h = Harness::new();
    h.ok("PUT", "/east", &[], b"");
    assert_eq!(h.call("PUT", "/east", &[], b"").status, 200);
    let config =
        b"<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>";
    assert_eq!(h.call_in("eu-west-1", "PUT", "/west", &[], config).status, 200);
    let again = h.call_in("eu-west-1", "PUT", "/west", &[], config);
    assert_eq!((again.status, again.error_code()), (409, "BucketAlreadyOwnedByYou".to_string()));
    assert_eq!(h.ok("HEAD", "/west", &[], b"").header("x-amz-bucket-region"), Some("eu-west-1"));
    let location = h.ok("GET", "/west?location", &[], b"").xml();
    assert_eq!(location.text, "eu-west-1");
    assert_eq!(h.ok("GET", "/east?location", &[], b"").xml().text, "");
    let unspecified = h.call_in("eu-west-1", "PUT", "/other", &[], b"");
    assert_eq!(unspecified.error_code(), "IllegalLocationConstraintException");
}

#[test]
fn bad_bucket_names_are_invalid_bucket_name() {
    let h = Harness::new();
    for name in ["ab", "Upper", "a_b", "-ab"] {
        let answer = h.call("PUT", &format!("/{name}"), &[], b"");
        assert_eq!((answer.status, answer.error_code()), (400, "InvalidBucketName".to_string()), "{name}");
    }
}

#[test]
fn objects_round_trip_with_metadata_etag_and_content_type() {
    let h = Harness::new();
    h.ok("PUT", "/bkt", &[], b"");
    let put = h.ok(
        "PUT",
        "/bkt/dir/hello%20world.txt",
        &[("content-type", "text/plain"), ("x-amz-meta-color", "blue"), ("cache-control", "no-cache")],
        b"hello",
    );
    assert_eq!(put.header("etag"), Some("\"5d41402abc4b2a76b9719d911017c592\""));
    let get = h.ok("GET", "/bkt/dir/hello%20world.txt", &[], b"");
    assert_eq!(get.body, b"hello");
    assert_eq!(get.header("content-type"), Some("text/plain"));
    assert_eq!(get.header("x-amz-meta-color"), Some("blue"));
    assert_eq!(get.header("cache-control"), Some("no-cache"));
    assert_eq!(get.header("accept-ranges"), Some("bytes"));
    assert!(get.header("last-modified").unwrap().ends_with(" GMT"));
    let head = h.ok("HEAD", "/bkt/dir/hello%20world.txt", &[], b"");
    assert_eq!((head.header("content-length"), head.body.len()), (Some("5"), 0));
}

#[test]
fn missing_objects_and_buckets_have_their_codes() {
    let h = Harness::new();
    let answer = h.call("GET", "/nope/k", &[], b"");
    assert_eq!((answer.status, answer.error_code()), (404, "NoSuchBucket".to_string()));
    h.ok("PUT", "/bkt", &[], b"");
    let answer = h.call("GET", "/bkt/missing", &[], b"");
    assert_eq!((answer.status, answer.error_code()), (404, "NoSuchKey".to_string()));
    assert_eq!(answer.xml().child_text("Key"), Some("missing"));
    assert_eq!(h.call("HEAD", "/bkt/missing", &[], b"").body.len(), 0);
    assert_eq!(h.call("DELETE", "/bkt/missing", &[], b"").status, 204);
    let long = format!("/bkt/{}", "k".repeat(crate::KEY_BYTES_MAX + 1));
    assert_eq!(h.call("PUT", &long, &[], b"x").error_code(), "KeyTooLongError");
    h.put(&format!("/bkt/{}", "k".repeat(crate::KEY_BYTES_MAX)), b"x");
}

#[test]
fn virtual_host_style_names_the_bucket_in_the_host() {
    let h = Harness::new();
    h.ok("PUT", "/vhost", &[], b"");
    h.ok("PUT", "/a/b.txt", &[("host", "vhost.localhost:4566")], b"data");
    assert_eq!(h.ok("GET", "/vhost/a/b.txt", &[], b"").body, b"data");
    let listed = h.ok("GET", "/?list-type=2", &[("host", "vhost.s3.localhost.localstack.cloud:4566")], b"").xml();
    assert_eq!(texts(&listed, "Contents", "Key"), ["a/b.txt"]);
}

#[test]
fn aws_chunked_bodies_are_decoded_and_trailer_checksums_checked() {
    let h = Harness::new();
    h.ok("PUT", "/bkt", &[], b"");
    let crc = checksum::base64(&Algorithm::Crc32.digest(b"hello world"));
    let body = format!("6\r\nhello \r\n5\r\nworld\r\n0\r\nx-amz-checksum-crc32:{crc}\r\n\r\n");
    let headers = [
        ("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
        ("content-encoding", "aws-chunked"),
        ("x-amz-decoded-content-length", "11"),
        ("x-amz-trailer", "x-amz-checksum-crc32"),
    ];
    let put = h.ok("PUT", "/bkt/chunked", &headers, body.as_bytes());
    assert_eq!(put.header("x-amz-checksum-crc32"), Some(crc.as_str()));
    let get = h.ok("GET", "/bkt/chunked", &[("x-amz-checksum-mode", "ENABLED")], b"");
    assert_eq!(get.body, b"hello world");
    assert_eq!(get.header("x-amz-checksum-crc32"), Some(crc.as_str()));
    assert_eq!(get.header("content-encoding"), None);
    let wrong = body.replace(&crc, &checksum::base64(&Algorithm::Crc32.digest(b"other")));
    assert_eq!(h.call("PUT", "/bkt/chunked", &headers, wrong.as_bytes()).error_code(), "BadDigest");
    let mut short = headers;
    short[2] = ("x-amz-decoded-content-length", "12");
    assert_eq!(h.call("PUT", "/bkt/chunked", &short, body.as_bytes()).error_code(), "IncompleteBody");
}

#[test]
fn content_md5_and_checksum_headers_are_verified() {
    let h = Harness::new();
    h.ok("PUT", "/bkt", &[], b"");
    h.ok("PUT", "/bkt/k", &[("content-md5", &content_md5(b"abc"))], b"abc");
    let bad = h.call("PUT", "/bkt/k", &[("content-md5", &content_md5(b"abd"))], b"abc");
    assert_eq!((bad.status, bad.error_code()), (400, "BadDigest".to_string()));
    assert_eq!(h.call("PUT", "/bkt/k", &[("content-md5", "nope")], b"abc").error_code(), "InvalidDigest");
    let sha = checksum::base64(&Algorithm::Sha256.digest(b"abc"));
    h.ok("PUT", "/bkt/k", &[("x-amz-checksum-sha256", &sha)], b"abc");
    assert_eq!(h.call("PUT", "/bkt/k", &[("x-amz-checksum-sha256", &sha)], b"abd").error_code(), "BadDigest");
    let computed = h.ok("PUT", "/bkt/k", &[("x-amz-sdk-checksum-algorithm", "CRC32C")], b"abc");
    assert_eq!(
        computed.header("x-amz-checksum-crc32c"),
        Some(checksum::base64(&Algorithm::Crc32c.digest(b"abc")).as_str())
    );
}

#[test]
fn ranges_and_conditions() {
    let h = Harness::new();
    h.ok("PUT", "/bkt", &[], b"");
    let etag = h.put("/bkt/k", b"0123456789").header("etag").unwrap().to_string();
    let part = h.call("GET", "/bkt/k", &[("range", "bytes=2-4")], b"");
    assert_eq!(
        (part.status, part.body.as_slice(), part.header("content-range")),
        (206, &b"234"[..], Some("bytes 2-4/10"))
    );
    let tail = h.call("GET", "/bkt/k", &[("range", "bytes=-3")], b"");
    assert_eq!(tail.body, b"789");
    let beyond = h.call("GET", "/bkt/k", &[("range", "bytes=10-")], b"");
    assert_eq!((beyond.status, beyond.error_code()), (416, "InvalidRange".to_string()));
    assert_eq!(h.call("GET", "/bkt/k", &[("if-none-match", &etag)], b"").status, 304);
    assert_eq!(h.call("GET", "/bkt/k", &[("if-match", &etag)], b"").status, 200);
    let failed = h.call("GET", "/bkt/k", &[("if-match", "\"other\"")], b"");
    assert_eq!((failed.status, failed.error_code()), (412, "PreconditionFailed".to_string()));
    let future = "Fri, 01 Jan 2100 00:00:00 GMT";
    assert_eq!(h.call("GET", "/bkt/k", &[("if-modified-since", future)], b"").status, 304);
    assert_eq!(h.call("GET", "/bkt/k", &[("if-unmodified-since", "Thu, 01 Jan 1998 00:00:00 GMT")], b"").status, 412);
    assert_eq!(h.call("PUT", "/bkt/k", &[("if-none-match", "*")], b"x").status, 412);
    h.ok("PUT", "/bkt/k", &[("if-match", &etag)], b"x");
}

#[test]
fn listing_rolls_keys_up_under_delimiters_and_pages_through_them() {
    let h = Harness::new();
    h.ok("PUT", "/bkt", &[], b"");
    for key in ["a/1", "a/2", "a/x/3", "b/1", "c", "d+e%20f"] {
        h.put(&format!("/bkt/{key}"), b"x");
    }
    let all = h.list_v2("");
    assert_eq!(texts(&all, "Contents", "Key"), ["a/1", "a/2", "a/x/3", "b/1", "c", "d+e f"]);
    assert_eq!(all.child_text("KeyCount"), Some("6"));
    assert_eq!(all.child_text("IsTruncated"), Some("false"));
    let rolled = h.list_v2("delimiter=/");
    assert_eq!(texts(&rolled, "CommonPrefixes", "Prefix"), ["a/", "b/"]);
    assert_eq!(texts(&rolled, "Contents", "Key"), ["c", "d+e f"]);
    assert_eq!(rolled.child_text("KeyCount"), Some("4"));
    let under_a = h.list_v2("delimiter=/&prefix=a/");
    assert_eq!(texts(&under_a, "Contents", "Key"), ["a/1", "a/2"]);
    assert_eq!(texts(&under_a, "CommonPrefixes", "Prefix"), ["a/x/"]);
    // One entry per page, following continuation tokens.
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..10 {
        let query = match &token {
            Some(t) => format!("delimiter=/&max-keys=1&continuation-token={t}"),
            None => "delimiter=/&max-keys=1".to_string(),
        };
        let page = h.list_v2(&query);
        seen.extend(texts(&page, "CommonPrefixes", "Prefix"));
        seen.extend(texts(&page, "Contents", "Key"));
        token = page.child_text("NextContinuationToken").map(str::to_string);
        assert_eq!(page.child_text("IsTruncated") == Some("true"), token.is_some());
        if token.is_none() {
            break;
        }
    }
    assert_eq!(seen, ["a/", "b/", "c", "d+e f"]);
    let after = h.list_v2("start-after=a/x/3");
    assert_eq!(texts(&after, "Contents", "Key"), ["b/1", "c", "d+e f"]);
    let encoded = h.list_v2("encoding-type=url&prefix=d");
    assert_eq!(texts(&encoded, "Contents", "Key"), ["d%2Be%20f"]);
    assert_eq!(h.list_v2("max-keys=0").child_text("KeyCount"), Some("0"));
    assert_eq!(h.call("GET", "/bkt?list-type=2&max-keys=-1", &[], b"").error_code(), "InvalidArgument");
    assert_eq!(h.call("GET", "/bkt?list-type=2&continuation-token=%21", &[], b"").error_code(), "InvalidArgument");
}

#[test]
fn listing_v1_resumes_after_markers_and_common_prefixes() {
    let h = Harness::new();
    h.ok("PUT", "/bkt", &[], b"");
    for key in ["a/1", "a/2", "b", "c/1"] {
        h.put(&format!("/bkt/{key}"), b"x");
    }
    let first = h.ok("GET", "/bkt?delimiter=/&max-keys=1", &[], b"").xml();
    assert_eq!(texts(&first, "CommonPrefixes", "Prefix"), ["a/"]);
    assert_eq!(first.child_text("NextMarker"), Some("a/"));
    let second = h.ok("GET", "/bkt?delimiter=/&marker=a/", &[], b"").xml();
    assert_eq!(texts(&second, "Contents", "Key"), ["b"]);
    assert_eq!(texts(&second, "CommonPrefixes", "Prefix"), ["c/"]);
    let plain = h.ok("GET", "/bkt?marker=a/1", &[], b"").xml();
    assert_eq!(texts(&plain, "Contents", "Key"), ["a/2", "b", "c/1"]);
    assert!(plain.child("Contents").unwrap().child("Owner").is_some());
    let versions = h.ok("GET", "/bkt?versions&prefix=a/", &[], b"").xml();
    assert_eq!(texts(&versions, "Version", "VersionId"), ["null", "null"]);
}

fn upload_part(h: &Harness, upload_id: &str, number: u32, body: &[u8]) -> String {
    h.ok("PUT", &format!("/bkt/big?partNumber={number}&uploadId={upload_id}"), &[], body)
        .header("etag")
        .unwrap()
        .to_string()
}

fn complete_body(parts: &[(u32, &str)]) -> String {
    let parts: String =
        parts.iter().map(|(n, e)| format!("<Part><PartNumber>{n}</PartNumber><ETag>{e}</ETag></Part>")).collect();
    format!("<CompleteMultipartUpload>{parts}</CompleteMultipartUpload>")
}

#[test]
fn multipart_uploads_assemble_parts_in_order() {
    let h = Harness::new();
    h.ok("PUT", "/bkt", &[], b"");
    let created = h.ok("POST", "/bkt/big?uploads", &[("content-type", "application/x-test")], b"").xml();
    let upload_id = created.child_text("UploadId").unwrap().to_string();
    let first = vec![b'a'; PART_BYTES_MIN as usize];
    let e1 = upload_part(&h, &upload_id, 1, &first);
    let e2 = upload_part(&h, &upload_id, 2, b"tail");
    let listed = h.ok("GET", &format!("/bkt/big?uploadId={upload_id}"), &[], b"").xml();
    assert_eq!(texts(&listed, "Part", "PartNumber"), ["1", "2"]);
    let uploads = h.ok("GET", "/bkt?uploads", &[], b"").xml();
    assert_eq!(texts(&uploads, "Upload", "UploadId"), std::slice::from_ref(&upload_id));
    let uri = format!("/bkt/big?uploadId={upload_id}");
    let disordered = h.call("POST", &uri, &[], complete_body(&[(2, &e2), (1, &e1)]).as_bytes());
    assert_eq!(disordered.error_code(), "InvalidPartOrder");
    let missing = h.call("POST", &uri, &[], complete_body(&[(1, &e1), (3, &e2)]).as_bytes());
    assert_eq!(missing.error_code(), "InvalidPart");
    let wrong_etag = h.call("POST", &uri, &[], complete_body(&[(1, &e2), (2, &e2)]).as_bytes());
    assert_eq!(wrong_etag.error_code(), "InvalidPart");
    let done = h.ok("POST", &uri, &[], complete_body(&[(1, &e1), (2, &e2)]).as_bytes()).xml();
    let mut md5s = checksum::md5(&first).to_vec();
    md5s.extend_from_slice(&checksum::md5(b"tail"));
    let expected_etag = format!("\"{}-2\"", hex::encode(checksum::md5(&md5s)));
    assert_eq!(done.child_text("ETag"), Some(expected_etag.as_str()));
    let get = h.ok("GET", "/bkt/big", &[], b"");
    assert_eq!(get.body.len(), first.len() + 4);
    assert!(get.body.ends_with(b"atail"));
    assert_eq!(get.header("content-type"), Some("application/x-test"));
    let second_part = h.call("GET", "/bkt/big?partNumber=2", &[], b"");
    assert_eq!((second_part.status, second_part.body.as_slice()), (206, &b"tail"[..]));
    assert_eq!(second_part.header("x-amz-mp-parts-count"), Some("2"));
    assert_eq!(h.call("POST", &uri, &[], complete_body(&[(1, &e1)]).as_bytes()).error_code(), "NoSuchUpload");
    assert_eq!(h.ok("GET", "/bkt?uploads", &[], b"").xml().child("Upload"), None);
    // Part blobs are gone: only the object's blob is left.
    let blobs = walk_files(&h.dir.path().join("s3/blobs"));
    assert_eq!(blobs, 1);
}

fn walk_files(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| if p.is_dir() { walk_files(&p) } else { 1 })
        .sum()
}

#[test]
fn multipart_refuses_small_parts_and_unknown_uploads() {
    let h = Harness::new();
    h.ok("PUT", "/bkt", &[], b"");
    let upload_id = h.ok("POST", "/bkt/big?uploads", &[], b"").xml().child_text("UploadId").unwrap().to_string();
    let e1 = upload_part(&h, &upload_id, 1, b"small");
    let e2 = upload_part(&h, &upload_id, 2, b"tail");
    let uri = format!("/bkt/big?uploadId={upload_id}");
    let small = h.call("POST", &uri, &[], complete_body(&[(1, &e1), (2, &e2)]).as_bytes());
    assert_eq!((small.status, small.error_code()), (400, "EntityTooSmall".to_string()));
    // A single small part is fine: the last part has no minimum.
    h.ok("POST", &uri, &[], complete_body(&[(1, &e1)]).as_bytes());
    assert_eq!(h.ok("GET", "/bkt/big", &[], b"").body, b"small");
    let aborted_id = h.ok("POST", "/bkt/big?uploads", &[], b"").xml().child_text("UploadId").unwrap().to_string();
    assert_eq!(h.call("DELETE", &format!("/bkt/big?uploadId={aborted_id}"), &[], b"").status, 204);
    let gone = h.call("DELETE", &format!("/bkt/big?uploadId={aborted_id}"), &[], b"");
    assert_eq!((gone.status, gone.error_code()), (404, "NoSuchUpload".to_string()));
    assert_eq!(h.call("PUT", "/bkt/big?partNumber=1&uploadId=bogus", &[], b"x").error_code(), "NoSuchUpload");
    let bad_number = h.call("PUT", &format!("/bkt/big?partNumber=10001&uploadId={aborted_id}"), &[], b"x");
    assert_eq!(bad_number.error_code(), "InvalidArgument");
}

#[test]
fn multipart_checksums_are_composite_of_part_checksums() {
    let h = Harness::new();
    h.ok("PUT", "/bkt", &[], b"");
    let created = h.ok("POST", "/bkt/big?uploads", &[("x-amz-checksum-algorithm", "CRC32")], b"");
    assert_eq!(created.header("x-amz-checksum-type"), Some("COMPOSITE"));
    let upload_id = created.xml().child_text("UploadId").unwrap().to_string();
    let e1 = upload_part(&h, &upload_id, 1, b"only");
    let done = h.ok("POST", &format!("/bkt/big?uploadId={upload_id}"), &[], complete_body(&[(1, &e1)]).as_bytes());
    let mut joined = Algorithm::Crc32.digest(b"only");
    joined = Algorithm::Crc32.digest(&joined);
    let expected = format!("{}-1", checksum::base64(&joined));
    assert_eq!(done.xml().child_text("ChecksumCRC32"), Some(expected.as_str()));
}

#[test]
fn non_empty_buckets_cannot_be_deleted() {
    let h = Harness::new();
    h.ok("PUT", "/bkt", &[], b"");
    h.put("/bkt/k", b"x");
    let answer = h.call("DELETE", "/bkt", &[], b"");
    assert_eq!((answer.status, answer.error_code()), (409, "BucketNotEmpty".to_string()));
    let body = b"<Delete><Quiet>true</Quiet><Object><Key>k</Key></Object><Object><Key>none</Key></Object></Delete>";
    let deleted = h.ok("POST", "/bkt?delete", &[("content-md5", &content_md5(body))], body).xml();
    assert!(deleted.children.is_empty());
    assert_eq!(h.call("DELETE", "/bkt", &[], b"").status, 204);
}

#[test]
fn delete_objects_reports_each_key() {
    let h = Harness::new();
    h.ok("PUT", "/bkt", &[], b"");
    h.put("/bkt/a", b"x");
    let body = b"<Delete><Object><Key>a</Key></Object><Object><Key>b</Key></Object></Delete>";
    let result = h.ok("POST", "/bkt?delete", &[("content-md5", &content_md5(body))], body).xml();
    assert_eq!(texts(&result, "Deleted", "Key"), ["a", "b"]);
    assert_eq!(h.call("POST", "/bkt?delete", &[], body).error_code(), "InvalidRequest");
}

#[test]
fn copy_object_copies_bytes_and_metadata() {
    let h = Harness::new();
    h.ok("PUT", "/bkt", &[], b"");
    h.ok("PUT", "/bkt/src", &[("x-amz-meta-a", "1"), ("content-type", "text/x")], b"payload");
    let copied = h.ok("PUT", "/bkt/dst", &[("x-amz-copy-source", "/bkt/src")], b"").xml();
    assert_eq!(copied.child_text("ETag"), Some(checksum::etag(&checksum::md5(b"payload")).as_str()));
    let get = h.ok("GET", "/bkt/dst", &[], b"");
    assert_eq!((get.body.as_slice(), get.header("x-amz-meta-a")), (&b"payload"[..], Some("1")));
    let replaced =
        h.ok("PUT", "/bkt/dst", &[("x-amz-copy-source", "bkt/src"), ("x-amz-metadata-directive", "REPLACE")], b"");
    assert_eq!(replaced.status, 200);
    assert_eq!(h.ok("GET", "/bkt/dst", &[], b"").header("x-amz-meta-a"), None);
    assert_eq!(h.call("PUT", "/bkt/src", &[("x-amz-copy-source", "bkt/src")], b"").error_code(), "InvalidRequest");
    assert_eq!(h.call("PUT", "/bkt/dst", &[("x-amz-copy-source", "bkt/none")], b"").error_code(), "NoSuchKey");
}

#[test]
fn bucket_configurations_have_aws_defaults_and_errors() {
    let h = Harness::new();
    h.ok("PUT", "/bkt", &[], b"");
    assert_eq!(h.call("GET", "/bkt?policy", &[], b"").error_code(), "NoSuchBucketPolicy");
    assert_eq!(h.call("PUT", "/bkt?policy", &[], b"nope").error_code(), "MalformedPolicy");
    let policy = br#"{"Version":"2012-10-17","Statement":[]}"#;
    assert_eq!(h.call("PUT", "/bkt?policy", &[], policy).status, 204);
    assert_eq!(h.ok("GET", "/bkt?policy", &[], b"").body, policy);
    assert_eq!(h.call("DELETE", "/bkt?policy", &[], b"").status, 204);
    assert_eq!(h.call("GET", "/bkt?policy", &[], b"").status, 404);
    for (param, code) in [
        ("cors", "NoSuchCORSConfiguration"),
        ("website", "NoSuchWebsiteConfiguration"),
        ("lifecycle", "NoSuchLifecycleConfiguration"),
        ("replication", "ReplicationConfigurationNotFoundError"),
        ("object-lock", "ObjectLockConfigurationNotFoundError"),
        ("tagging", "NoSuchTagSet"),
    ] {
        let answer = h.call("GET", &format!("/bkt?{param}"), &[], b"");
        assert_eq!((answer.status, answer.error_code()), (404, code.to_string()), "{param}");
    }
    let encryption = h.ok("GET", "/bkt?encryption", &[], b"").xml();
    let rule = encryption.child("Rule").unwrap();
    assert_eq!(rule.child("ApplyServerSideEncryptionByDefault").unwrap().child_text("SSEAlgorithm"), Some("AES256"));
    assert_eq!(rule.child_text("BucketKeyEnabled"), Some("false"));
    assert_eq!(h.call("DELETE", "/bkt?encryption", &[], b"").status, 204);
    // Back to the SSE-S3 default, as AWS documents for DeleteBucketEncryption.
    let encryption = h.ok("GET", "/bkt?encryption", &[], b"").xml();
    let rule = encryption.child("Rule").unwrap();
    assert_eq!(rule.child("ApplyServerSideEncryptionByDefault").unwrap().child_text("SSEAlgorithm"), Some("AES256"));
    assert_eq!(h.ok("GET", "/bkt?versioning", &[], b"").xml().children.len(), 0);
    h.ok("PUT", "/bkt?versioning", &[], b"<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>");
    assert_eq!(h.ok("GET", "/bkt?versioning", &[], b"").xml().child_text("Status"), Some("Enabled"));
    assert_eq!(
        h.call(
            "PUT",
            "/bkt?versioning",
            &[],
            b"<VersioningConfiguration><Status>On</Status></VersioningConfiguration>"
        )
        .error_code(),
        "MalformedXML"
    );
    assert_eq!(h.ok("GET", "/bkt?requestPayment", &[], b"").xml().child_text("Payer"), Some("BucketOwner"));
    assert_eq!(h.ok("GET", "/bkt?publicAccessBlock", &[], b"").xml().child_text("BlockPublicAcls"), Some("true"));
    let ownership = h.ok("GET", "/bkt?ownershipControls", &[], b"").xml();
    assert_eq!(ownership.child("Rule").unwrap().child_text("ObjectOwnership"), Some("BucketOwnerEnforced"));
    let tagging = b"<Tagging><TagSet><Tag><Key>env</Key><Value>dev</Value></Tag></TagSet></Tagging>";
    assert_eq!(h.call("PUT", "/bkt?tagging", &[], tagging).status, 204);
    let tags = h.ok("GET", "/bkt?tagging", &[], b"").xml();
    assert_eq!(texts(tags.child("TagSet").unwrap(), "Tag", "Key"), ["env"]);
    let acl = h.ok("GET", "/bkt?acl", &[], b"").xml();
    let grant = acl.child("AccessControlList").unwrap().child("Grant").unwrap();
    assert_eq!(grant.child_text("Permission"), Some("FULL_CONTROL"));
    h.ok("PUT", "/bkt?acl", &[("x-amz-acl", "private")], b"");
    assert_eq!(
        h.call("PUT", "/bkt?acl", &[("x-amz-acl", "public-read")], b"").error_code(),
        "AccessControlListNotSupported"
    );
    let cors = b"<CORSConfiguration><CORSRule><AllowedMethod>GET</AllowedMethod><AllowedOrigin>*</AllowedOrigin></CORSRule></CORSConfiguration>";
    h.ok("PUT", "/bkt?cors", &[], cors);
    assert_eq!(
        h.ok("GET", "/bkt?cors", &[], b"").xml().child("CORSRule").unwrap().child_text("AllowedOrigin"),
        Some("*")
    );
    assert_eq!(h.call("GET", "/bkt?analytics", &[], b"").status, 501);
}

#[test]
fn objects_survive_a_restart() {
    let h = Harness::new();
    h.ok("PUT", "/bkt", &[], b"");
    h.put("/bkt/k", b"kept");
    let h = h.reopen();
    assert_eq!(h.ok("GET", "/bkt/k", &[], b"").body, b"kept");
    assert!(h.s3.bucket_exists("bkt"));
}

#[test]
fn in_process_api_puts_and_reads_objects() {
    let h = Harness::new();
    assert_eq!(h.s3.put_object_bytes("bkt", "k", b"x", "text/plain").unwrap_err().code, "NoSuchBucket");
    h.ok("PUT", "/bkt", &[], b"");
    let etag = h.s3.put_object_bytes("bkt", "f/1.json", b"{}", "application/json").unwrap();
    assert_eq!(etag, checksum::etag(&checksum::md5(b"{}")));
    assert_eq!(h.s3.get_object_bytes("bkt", "f/1.json").unwrap(), Some(b"{}".to_vec()));
    assert_eq!(h.s3.get_object_bytes("bkt", "none").unwrap(), None);
    assert_eq!(h.ok("GET", "/bkt/f/1.json", &[], b"").header("content-type"), Some("application/json"));
    assert!(!h.s3.bucket_exists("nope"));
}

#[test]
fn large_objects_are_streamed_from_their_blob() {
    let h = Harness::new();
    h.ok("PUT", "/bkt", &[], b"");
    let body: Vec<u8> = (0..(crate::INLINE_READ_BYTES_MAX as usize + 10)).map(|i| (i % 251) as u8).collect();
    h.put("/bkt/large", &body);
    let get = h.ok("GET", "/bkt/large", &[], b"");
    assert!(get.streamed);
    assert_eq!(get.header("content-length"), Some(body.len().to_string().as_str()));
    assert_eq!(get.body, body);
}
