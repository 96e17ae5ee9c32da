//! Which bucket and key a request names: virtual-host style (`bucket.localhost:4566/key`,
//! `bucket.s3.amazonaws.com/key`, `bucket.s3.localhost.localstack.cloud/key`) or path style
//! (`/bucket/key`). Keys are percent-decoded from the path once.

use aws_wire::sigv4::canonical::percent_decode;

use crate::error::S3Error;

/// What the request is about.
#[derive(Debug, PartialEq, Eq)]
pub struct Target {
    /// The bucket, `None` for service-level requests (ListBuckets).
    pub bucket: Option<String>,
    /// The object key, empty for bucket-level requests.
    pub key: String,
}

/// The bucket a `Host` header names, if it is a virtual-host style one: the host is not an IP
/// address nor plain `localhost`, and the bucket is what comes before `.s3.` or before a final
/// `.localhost`.
pub fn virtual_host_bucket(host: &str) -> Option<String> {
    let host = strip_port(host).trim_end_matches('.').to_ascii_lowercase();
    if host.is_empty() || host.starts_with('[') || host.parse::<std::net::IpAddr>().is_ok() {
        return None;
    }
    let bucket = match host.find(".s3.") {
        Some(at) => &host[..at],
        None => host.strip_suffix(".localhost")?,
    };
    // "s3.localhost" is the service's own name, not a bucket (and "s3" is too short to be one).
    (!bucket.is_empty() && bucket != "s3").then(|| bucket.to_string())
}

fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host.split_once(']').map_or(host, |(inside, _)| inside).trim_start_matches('[');
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    }
}

/// The bucket and key of a request, from its virtual-host bucket (if any) and raw path.
pub fn target(host_bucket: Option<String>, raw_path: &str) -> Result<Target, S3Error> {
    let path = raw_path.strip_prefix('/').unwrap_or(raw_path);
    match host_bucket {
        Some(bucket) => Ok(Target { bucket: Some(bucket), key: decode(path)? }),
        None => {
            let (bucket, key) = path.split_once('/').unwrap_or((path, ""));
            if bucket.is_empty() {
                return Ok(Target { bucket: None, key: String::new() });
            }
            Ok(Target { bucket: Some(decode(bucket)?), key: decode(key)? })
        }
    }
}

fn decode(raw: &str) -> Result<String, S3Error> {
    String::from_utf8(percent_decode(raw.as_bytes()))
        .map_err(|_| S3Error::new(400, "InvalidURI", "Couldn't parse the specified URI.").with("URI", raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_host_buckets_are_found_before_s3_or_localhost() {
        assert_eq!(virtual_host_bucket("bucket.localhost:4566").as_deref(), Some("bucket"));
        assert_eq!(virtual_host_bucket("bucket.localhost").as_deref(), Some("bucket"));
        assert_eq!(virtual_host_bucket("Bucket.S3.amazonaws.com").as_deref(), Some("bucket"));
        assert_eq!(virtual_host_bucket("b.s3.us-west-2.amazonaws.com").as_deref(), Some("b"));
        assert_eq!(virtual_host_bucket("b.s3.localhost.localstack.cloud:4566").as_deref(), Some("b"));
        assert_eq!(virtual_host_bucket("my.dotted.bucket.s3.amazonaws.com").as_deref(), Some("my.dotted.bucket"));
    }

    #[test]
    fn service_hosts_and_addresses_are_path_style() {
        for host in [
            "localhost",
            "localhost:4566",
            "127.0.0.1:4566",
            "[::1]:4566",
            "::1",
            "s3.amazonaws.com",
            "s3.us-east-1.amazonaws.com",
            "s3.localhost.localstack.cloud:4566",
            "localhost.localstack.cloud",
            "s3.localhost",
            "kinesd.example.com",
            "",
        ] {
            assert_eq!(virtual_host_bucket(host), None, "{host}");
        }
    }

    #[test]
    fn path_style_splits_bucket_and_decoded_key() {
        let t = target(None, "/bucket/dir/a%20b%2Bc+d").unwrap();
        assert_eq!(t, Target { bucket: Some("bucket".into()), key: "dir/a b+c+d".into() });
        assert_eq!(target(None, "/bucket").unwrap().key, "");
        assert_eq!(target(None, "/bucket/").unwrap().key, "");
        assert_eq!(target(None, "/bucket/a//b/").unwrap().key, "a//b/");
        assert_eq!(target(None, "/").unwrap(), Target { bucket: None, key: String::new() });
        assert_eq!(target(None, "").unwrap().bucket, None);
    }

    #[test]
    fn virtual_host_style_takes_the_whole_path_as_key() {
        let t = target(Some("b".into()), "/dir/%E2%82%AC.txt").unwrap();
        assert_eq!(t, Target { bucket: Some("b".into()), key: "dir/€.txt".into() });
        assert_eq!(target(Some("b".into()), "/").unwrap().key, "");
        assert_eq!(target(Some("b".into()), "/%FF").unwrap_err().code, "InvalidURI");
    }
}
