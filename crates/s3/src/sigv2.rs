//! S3's legacy SigV2 query authentication, still what boto3's `generate_presigned_url` makes by
//! default: `?AWSAccessKeyId=..&Expires=<unix seconds>&Signature=<base64 HMAC-SHA1>` over
//!
//! ```text
//! <method>\n<Content-MD5>\n<Content-Type>\n<Expires>\n<x-amz-* headers><resource>
//! ```
//!
//! where the resource is `/<bucket><path>` plus the sub-resource parameters, sorted ("Signing
//! and authenticating REST requests" in the S3 API Reference's legacy authentication docs).

use aws_wire::sigv4::canonical::query_pairs;
use aws_wire::AwsError;
use hmac::{Hmac, Mac};

use crate::addressing;

/// Query parameters that are part of the signed resource.
const SIGNED_SUBRESOURCES: &[&str] = &[
    "accelerate",
    "acl",
    "cors",
    "delete",
    "lifecycle",
    "location",
    "logging",
    "notification",
    "object-lock",
    "partNumber",
    "policy",
    "replication",
    "requestPayment",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "restore",
    "tagging",
    "torrent",
    "uploadId",
    "uploads",
    "versionId",
    "versioning",
    "versions",
    "website",
];

/// Checks a SigV2 presigned request: not expired, and signed with `secret_access_key`.
pub fn verify(parts: &http::request::Parts, secret_access_key: &str, now_unix_seconds: i64) -> Result<(), AwsError> {
    let query = parts.uri.query().unwrap_or("");
    let param = |name: &str| {
        query_pairs(query).find(|(n, _)| n == name.as_bytes()).map(|(_, v)| String::from_utf8_lossy(&v).into_owned())
    };
    let (Some(expires), Some(signature)) = (param("Expires"), param("Signature")) else {
        return Err(AwsError::new(
            403,
            "AccessDenied",
            "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters",
        ));
    };
    let expires_at: i64 = expires.parse().map_err(|_| {
        AwsError::new(403, "AccessDenied", "Invalid date (should be seconds since epoch): ".to_string() + &expires)
    })?;
    if now_unix_seconds > expires_at {
        return Err(AwsError::new(403, "AccessDenied", "Request has expired"));
    }
    let string_to_sign = string_to_sign(parts, &expires);
    let mut mac =
        <Hmac<sha1::Sha1> as Mac>::new_from_slice(secret_access_key.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(string_to_sign.as_bytes());
    let claimed = crate::checksum::unbase64(&signature).unwrap_or_default();
    mac.verify_slice(&claimed).map_err(|_| AwsError::signature_mismatch())
}

fn string_to_sign(parts: &http::request::Parts, expires: &str) -> String {
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").trim().to_string();
    let mut amz: Vec<(String, String)> = Vec::new();
    for (name, value) in &parts.headers {
        if name.as_str().starts_with("x-amz-") {
            let value = String::from_utf8_lossy(value.as_bytes()).trim().to_string();
            match amz.iter_mut().find(|(n, _)| n == name.as_str()) {
                Some((_, joined)) => {
                    joined.push(',');
                    joined.push_str(&value);
                }
                None => amz.push((name.as_str().to_string(), value)),
            }
        }
    }
    amz.sort();
    let mut out = format!("{}\n{}\n{}\n{expires}\n", parts.method, header("content-md5"), header("content-type"));
    for (name, value) in amz {
        out.push_str(&format!("{name}:{value}\n"));
    }
    let host = parts
        .headers
        .get(http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| parts.uri.authority().map(|a| a.as_str()))
        .unwrap_or_default();
    if let Some(bucket) = addressing::virtual_host_bucket(host) {
        out.push('/');
        out.push_str(&bucket);
    }
    out.push_str(parts.uri.path());
    let mut subresources: Vec<(String, Vec<u8>, bool)> = parts
        .uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter_map(|piece| {
            let (name, value) = piece.split_once('=').map_or((piece, None), |(n, v)| (n, Some(v)));
            let name =
                String::from_utf8_lossy(&aws_wire::sigv4::canonical::percent_decode(name.as_bytes())).into_owned();
            SIGNED_SUBRESOURCES.contains(&name.as_str()).then(|| {
                let value = value.map(|v| aws_wire::sigv4::canonical::percent_decode(v.as_bytes()));
                let has_value = value.is_some();
                (name, value.unwrap_or_default(), has_value)
            })
        })
        .collect();
    subresources.sort();
    for (i, (name, value, has_value)) in subresources.iter().enumerate() {
        out.push(if i == 0 { '?' } else { '&' });
        out.push_str(name);
        if *has_value {
            out.push('=');
            out.push_str(&String::from_utf8_lossy(value));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(uri: &str, host: &str) -> http::request::Parts {
        let request = http::Request::get(uri).header("host", host).body(()).unwrap();
        request.into_parts().0
    }

    /// The S3 documentation's query-string authentication example (AKIAIOSFODNN7EXAMPLE):
    /// GET /photos/puppy.jpg on bucket johnsmith, Expires=1175139620.
    #[test]
    fn matches_the_documented_example() {
        let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        let p = parts(
            "/photos/puppy.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1175139620&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D",
            "johnsmith.s3.amazonaws.com",
        );
        assert_eq!(string_to_sign(&p, "1175139620"), "GET\n\n\n1175139620\n/johnsmith/photos/puppy.jpg");
        assert_eq!(verify(&p, secret, 1_175_139_000), Ok(()));
        assert_eq!(verify(&p, secret, 1_175_139_621).unwrap_err().message, "Request has expired");
        assert_eq!(verify(&p, "other", 1_175_139_000).unwrap_err(), AwsError::signature_mismatch());
    }

    #[test]
    fn subresources_are_signed_sorted_and_decoded() {
        let p = parts("/b/k?uploadId=x%2By&partNumber=2&X-Other=1&acl", "localhost:4566");
        assert_eq!(string_to_sign(&p, "5"), "GET\n\n\n5\n/b/k?acl&partNumber=2&uploadId=x+y");
    }
}
