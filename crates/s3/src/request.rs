//! One S3 request as the operations see it (bucket, key, query, headers, a decoded and
//! integrity-checked body) and the answer they build.

use std::fs::File;

use bytes::Bytes;
use http::{HeaderMap, Method};

use crate::addressing;
use crate::checksum::{self, Algorithm, ALGORITHMS};
use crate::chunked;
use crate::error::{S3Error, S3Result};

/// A request, decoded.
pub struct Request {
    pub method: Method,
    /// The bucket named by host or path.
    pub bucket: Option<String>,
    /// The object key, empty for bucket-level requests.
    pub key: String,
    /// Query parameters, decoded, in order.
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
    /// Trailers of an aws-chunked body.
    pub trailers: Vec<(String, String)>,
    /// The payload (chunk framing removed).
    pub body: Bytes,
    /// Region the request was signed for.
    pub region: String,
    /// The `Host` the client used.
    pub host: String,
    /// The additional checksum the client sent, verified against the body.
    pub checksum: Option<(Algorithm, Vec<u8>)>,
}

impl Request {
    /// Decodes and checks a request: addressing, aws-chunked framing, `Content-MD5` and
    /// `x-amz-checksum-*`.
    pub fn parse(
        method: Method,
        uri: &http::Uri,
        headers: HeaderMap,
        body: Bytes,
        region: String,
    ) -> S3Result<Request> {
        let host = headers
            .get(http::header::HOST)
            .and_then(|v| v.to_str().ok())
            .or_else(|| uri.authority().map(|a| a.as_str()))
            .unwrap_or_default()
            .to_string();
        let target = addressing::target(addressing::virtual_host_bucket(&host), uri.path())?;
        let query = aws_wire::sigv4::canonical::query_pairs(uri.query().unwrap_or(""))
            .map(|(n, v)| (String::from_utf8_lossy(&n).into_owned(), String::from_utf8_lossy(&v).into_owned()))
            .collect();
        let mut request = Request {
            method,
            bucket: target.bucket,
            key: target.key,
            query,
            headers,
            trailers: Vec::new(),
            body,
            region,
            host,
            checksum: None,
        };
        request.decode_chunked()?;
        request.check_content_md5()?;
        // CompleteMultipartUpload's x-amz-checksum-* header is the whole object's, not the body's.
        let completes_upload = request.method == Method::POST && request.has_param("uploadId");
        if !completes_upload {
            request.checksum = request.verified_checksum()?;
        }
        Ok(request)
    }

    fn decode_chunked(&mut self) -> S3Result<()> {
        if !chunked::is_aws_chunked(self.header("x-amz-content-sha256"), self.header("content-encoding")) {
            return Ok(());
        }
        let decoded = chunked::decode(&self.body).map_err(|e| {
            S3Error::incomplete_body(format!("The aws-chunked request body could not be decoded: {}.", e.0))
        })?;
        if let Some(declared) = self.header("x-amz-decoded-content-length") {
            if declared.trim().parse::<u64>().ok() != Some(decoded.body.len() as u64) {
                return Err(S3Error::incomplete_body(
                    "You did not provide the number of bytes specified by the x-amz-decoded-content-length header",
                ));
            }
        }
        self.body = decoded.body;
        self.trailers = decoded.trailers;
        Ok(())
    }

    fn check_content_md5(&self) -> S3Result<()> {
        let Some(declared) = self.header("content-md5") else {
            return Ok(());
        };
        let invalid = || S3Error::new(400, "InvalidDigest", "The Content-MD5 you specified is not valid.");
        let declared = checksum::unbase64(declared).ok_or_else(invalid)?;
        if declared.len() != 16 {
            return Err(invalid());
        }
        if declared != checksum::md5(&self.body) {
            return Err(S3Error::bad_digest_md5());
        }
        Ok(())
    }

    /// The one `x-amz-checksum-<algorithm>` header or trailer, checked against the body.
    fn verified_checksum(&self) -> S3Result<Option<(Algorithm, Vec<u8>)>> {
        let mut found = None;
        for algorithm in ALGORITHMS {
            if let Some(value) = self.header(algorithm.header()) {
                if found.is_some() {
                    return Err(S3Error::invalid_request(
                        "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
                    ));
                }
                found = Some((algorithm, value));
            }
        }
        let Some((algorithm, value)) = found else {
            return Ok(None);
        };
        let declared = checksum::unbase64(value)
            .filter(|d| d.len() == algorithm.digest_len())
            .ok_or_else(|| S3Error::invalid_request(format!("Value for {} header is invalid.", algorithm.header())))?;
        if let Some(named) = self.header("x-amz-sdk-checksum-algorithm") {
            if Algorithm::parse(named) != Some(algorithm) {
                return Err(S3Error::invalid_request(format!(
                    "Value for x-amz-sdk-checksum-algorithm header is invalid: {named} does not match the {} sent.",
                    algorithm.header()
                )));
            }
        }
        if algorithm.digest(&self.body) != declared {
            return Err(S3Error::new(
                400,
                "BadDigest",
                format!("The {} you specified did not match the calculated checksum.", algorithm.name()),
            ));
        }
        Ok(Some((algorithm, declared)))
    }

    /// The checksum algorithm the client asked for without sending a value (S3 computes it).
    pub fn requested_algorithm(&self) -> S3Result<Option<Algorithm>> {
        let Some(named) =
            self.header("x-amz-sdk-checksum-algorithm").or_else(|| self.header("x-amz-checksum-algorithm"))
        else {
            return Ok(None);
        };
        Algorithm::parse(named).map(Some).ok_or_else(|| {
            S3Error::invalid_request(
                "Checksum algorithm provided is unsupported. Please try again with any of the valid types: \
                 [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]",
            )
            .with("ArgumentValue", named)
        })
    }

    /// A query parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// Whether a query parameter is present (with or without value): how subresources are named.
    pub fn has_param(&self, name: &str) -> bool {
        self.query.iter().any(|(n, _)| n == name)
    }

    /// A header (or aws-chunked trailer) as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .or_else(|| self.trailers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str()))
    }

    /// The bucket, which bucket-level operations always have.
    pub fn bucket(&self) -> &str {
        self.bucket.as_deref().expect("routed to a bucket operation without a bucket")
    }
}

/// An answer body.
pub enum Body {
    Empty,
    Bytes(Bytes),
    /// `len` bytes of an open blob from its current position, streamed.
    File {
        file: File,
        len: u64,
    },
}

/// An answer: status, headers (content type among them) and body.
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Body,
}

impl Response {
    /// A bodiless answer.
    pub fn empty(status: u16) -> Response {
        Response { status, headers: Vec::new(), body: Body::Empty }
    }

    /// 200 with an XML document.
    pub fn xml(document: String) -> Response {
        Response {
            status: 200,
            headers: vec![("content-type".into(), "application/xml".into())],
            body: Body::Bytes(Bytes::from(document)),
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Response {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    /// A header's value, if set.
    #[cfg(test)]
    pub fn header_value(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}
