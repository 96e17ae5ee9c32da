//! The SigV4 canonical request, string to sign and signing key, exactly as AWS defines them in
//! "Create a canonical request for Signature Version 4" (IAM User Guide, `create-signed-request`)
//! and checked below against AWS's published SigV4 test-suite vectors.

use hmac::{Hmac, Mac};
use http::HeaderMap;
use sha2::{Digest, Sha256};

/// The only algorithm SigV4 defines.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The fixed last element of every credential scope.
pub const SCOPE_TERMINATOR: &str = "aws4_request";
/// The payload-hash marker of a request whose body is not signed (S3, presigned URLs).
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// How the path is percent-encoded in the canonical request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathEncoding {
    /// Every service but S3: the path is normalized (`.`/`..`/`//` removed) and the wire form is
    /// percent-encoded once more.
    Double,
    /// S3: the path is used exactly as it appears on the wire.
    Single,
}

/// The parts of a request that the canonical request is made from.
pub struct CanonicalInput<'a> {
    /// HTTP method, upper case.
    pub method: &'a str,
    /// The path as it appears on the wire (already percent-encoded by the client).
    pub raw_path: &'a str,
    /// The query string as it appears on the wire, without the `?`.
    pub raw_query: &'a str,
    /// All request headers.
    pub headers: &'a HeaderMap,
    /// The URI authority, standing in for `host` in HTTP/2 requests that carry `:authority` only.
    pub authority: Option<&'a str>,
    /// Lower-case names of the signed headers, in the order the client listed them.
    pub signed_headers: &'a [String],
    /// Hex SHA-256 of the body, or a marker such as `UNSIGNED-PAYLOAD`.
    pub payload_hash: &'a str,
    /// Path encoding rule of the service.
    pub path_encoding: PathEncoding,
    /// A query parameter left out of the canonical query (`X-Amz-Signature` when presigned).
    pub excluded_query_param: Option<&'a str>,
}

/// The canonical request: method, path, query, headers, signed header list and payload hash,
/// one per line.
pub fn canonical_request(input: &CanonicalInput<'_>) -> Vec<u8> {
    let mut out = Vec::with_capacity(512);
    out.extend_from_slice(input.method.as_bytes());
    out.push(b'\n');
    canonical_path(input.raw_path, input.path_encoding, &mut out);
    out.push(b'\n');
    canonical_query(input.raw_query, input.excluded_query_param, &mut out);
    out.push(b'\n');
    for name in input.signed_headers {
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        canonical_header_value(input, name, &mut out);
        out.push(b'\n');
    }
    out.push(b'\n');
    out.extend_from_slice(input.signed_headers.join(";").as_bytes());
    out.push(b'\n');
    out.extend_from_slice(input.payload_hash.as_bytes());
    out
}

/// `AWS4-HMAC-SHA256\n<timestamp>\n<scope>\n<hex sha256 of canonical request>`.
pub fn string_to_sign(timestamp: &str, scope: &str, canonical_request: &[u8]) -> String {
    format!("{ALGORITHM}\n{timestamp}\n{scope}\n{}", hex::encode(Sha256::digest(canonical_request)))
}

/// The key derived from the secret for one day, region and service.
pub fn signing_key(secret_access_key: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let date_key = hmac_sha256(format!("AWS4{secret_access_key}").as_bytes(), date.as_bytes());
    let region_key = hmac_sha256(&date_key, region.as_bytes());
    let service_key = hmac_sha256(&region_key, service.as_bytes());
    hmac_sha256(&service_key, SCOPE_TERMINATOR.as_bytes())
}

/// HMAC-SHA256 of `data` under `key`.
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = new_mac(key);
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// Whether `signature_hex` is the HMAC of `string_to_sign` under `key`, compared in constant time.
pub fn signature_matches(key: &[u8], string_to_sign: &str, signature_hex: &str) -> bool {
    let Ok(claimed) = hex::decode(signature_hex) else {
        return false;
    };
    let mut mac = new_mac(key);
    mac.update(string_to_sign.as_bytes());
    mac.verify_slice(&claimed).is_ok()
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn new_mac(key: &[u8]) -> Hmac<Sha256> {
    // HMAC accepts keys of every length, so this cannot fail.
    <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes keys of any length")
}

fn canonical_path(raw_path: &str, encoding: PathEncoding, out: &mut Vec<u8>) {
    let raw_path = if raw_path.is_empty() { "/" } else { raw_path };
    match encoding {
        PathEncoding::Single => out.extend_from_slice(raw_path.as_bytes()),
        PathEncoding::Double => uri_encode(normalize_path(raw_path).as_bytes(), false, out),
    }
}

/// Removes `.` and `..` segments (RFC 3986 5.2.4) and empty segments, keeping a leading and a
/// trailing slash, as AWS's signers do for every service but S3.
fn normalize_path(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            _ => segments.push(segment),
        }
    }
    let mut normalized = String::with_capacity(path.len());
    if path.starts_with('/') {
        normalized.push('/');
    }
    normalized.push_str(&segments.join("/"));
    if path.ends_with('/') && !segments.is_empty() {
        normalized.push('/');
    }
    normalized
}

fn canonical_query(raw_query: &str, excluded: Option<&str>, out: &mut Vec<u8>) {
    let mut pairs: Vec<(Vec<u8>, Vec<u8>)> = query_pairs(raw_query)
        .filter(|(name, _)| excluded.is_none_or(|excluded| name.as_slice() != excluded.as_bytes()))
        .map(|(name, value)| {
            let (mut encoded_name, mut encoded_value) = (Vec::new(), Vec::new());
            uri_encode(&name, true, &mut encoded_name);
            uri_encode(&value, true, &mut encoded_value);
            (encoded_name, encoded_value)
        })
        .collect();
    pairs.sort();
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push(b'&');
        }
        out.extend_from_slice(name);
        out.push(b'=');
        out.extend_from_slice(value);
    }
}

fn canonical_header_value(input: &CanonicalInput<'_>, name: &str, out: &mut Vec<u8>) {
    let mut values = input.headers.get_all(name).iter().peekable();
    if values.peek().is_none() {
        if let (true, Some(authority)) = (name == "host", input.authority) {
            push_trimmed(authority.as_bytes(), out);
        }
        return;
    }
    for (i, value) in values.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push_trimmed(value.as_bytes(), out);
    }
}

/// Appends `value` with leading and trailing whitespace removed and inner runs collapsed to one space.
fn push_trimmed(value: &[u8], out: &mut Vec<u8>) {
    let is_space = |c: &u8| *c == b' ' || *c == b'\t';
    let mut words = value.split(is_space).filter(|w| !w.is_empty()).peekable();
    while let Some(word) = words.next() {
        out.extend_from_slice(word);
        if words.peek().is_some() {
            out.push(b' ');
        }
    }
}

/// The decoded `(name, value)` pairs of a raw query string; a name without `=` has an empty value.
pub fn query_pairs(raw_query: &str) -> impl Iterator<Item = (Vec<u8>, Vec<u8>)> + '_ {
    raw_query.split('&').filter(|piece| !piece.is_empty()).map(|piece| {
        let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
        (percent_decode(name.as_bytes()), percent_decode(value.as_bytes()))
    })
}

/// Decodes `%XY` escapes; a `%` not followed by two hex digits is kept as is.
pub fn percent_decode(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        let escaped = match input.get(i..i + 3) {
            Some([b'%', high, low]) => hex_value(*high).zip(hex_value(*low)).map(|(h, l)| (h << 4) | l),
            _ => None,
        };
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(input[i]);
                i += 1;
            }
        }
    }
    out
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// SigV4's URI encoding: unreserved characters (`A-Z a-z 0-9 - . _ ~`) stay, everything else
/// becomes `%XY` with upper-case hex; `/` stays too unless `encode_slash`.
fn uri_encode(input: &[u8], encode_slash: bool, out: &mut Vec<u8>) {
    const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";
    for &c in input {
        let unreserved = c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~');
        if unreserved || (c == b'/' && !encode_slash) {
            out.push(c);
        } else {
            out.extend_from_slice(&[b'%', HEX_UPPER[usize::from(c >> 4)], HEX_UPPER[usize::from(c & 0xf)]]);
        }
    }
}

#[cfg(test)]
mod tests {
    //! Vectors from AWS's published SigV4 test suite (`aws-sig-v4-test-suite`: get-vanilla,
    //! get-vanilla-query-order-key-case, post-vanilla; credentials AKIDEXAMPLE /
    //! wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, 20150830T123600Z, us-east-1, service "service")
    //! and from the S3 API Reference's "Example: GET Object" (sig-v4-header-based-auth).

    use super::*;
    use http::HeaderValue;

    const SUITE_SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    const SUITE_SCOPE: &str = "20150830/us-east-1/service/aws4_request";
    const SUITE_TIME: &str = "20150830T123600Z";
    const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    fn suite_headers() -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_static("example.amazonaws.com"));
        headers.insert("x-amz-date", HeaderValue::from_static(SUITE_TIME));
        headers
    }

    fn suite_signature(method: &str, raw_query: &str) -> (String, String) {
        let headers = suite_headers();
        let signed = vec!["host".to_string(), "x-amz-date".to_string()];
        let input = CanonicalInput {
            method,
            raw_path: "/",
            raw_query,
            headers: &headers,
            authority: None,
            signed_headers: &signed,
            payload_hash: EMPTY_SHA256,
            path_encoding: PathEncoding::Double,
            excluded_query_param: None,
        };
        let canonical = String::from_utf8(canonical_request(&input)).unwrap();
        let sts = string_to_sign(SUITE_TIME, SUITE_SCOPE, canonical.as_bytes());
        let key = signing_key(SUITE_SECRET, "20150830", "us-east-1", "service");
        (canonical, hex::encode(hmac_sha256(&key, sts.as_bytes())))
    }

    #[test]
    fn get_vanilla_matches_the_published_vector() {
        let (canonical, signature) = suite_signature("GET", "");
        assert_eq!(
            canonical,
            format!("GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:{SUITE_TIME}\n\nhost;x-amz-date\n{EMPTY_SHA256}")
        );
        assert_eq!(
            string_to_sign(SUITE_TIME, SUITE_SCOPE, canonical.as_bytes()),
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n\
             bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"
        );
        assert_eq!(signature, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
    }

    #[test]
    fn get_vanilla_query_order_key_case_sorts_the_query() {
        let (canonical, signature) = suite_signature("GET", "Param2=value2&Param1=value1");
        assert!(canonical.starts_with("GET\n/\nParam1=value1&Param2=value2\n"), "{canonical}");
        assert_eq!(signature, "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
    }

    #[test]
    fn post_vanilla_matches_the_published_vector() {
        let (_, signature) = suite_signature("POST", "");
        assert_eq!(signature, "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
    }

    #[test]
    fn s3_get_object_example_matches_with_single_path_encoding() {
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_static("examplebucket.s3.amazonaws.com"));
        headers.insert("range", HeaderValue::from_static("bytes=0-9"));
        headers.insert("x-amz-content-sha256", HeaderValue::from_static(EMPTY_SHA256));
        headers.insert("x-amz-date", HeaderValue::from_static("20130524T000000Z"));
        let signed: Vec<String> =
            ["host", "range", "x-amz-content-sha256", "x-amz-date"].iter().map(|s| s.to_string()).collect();
        let input = CanonicalInput {
            method: "GET",
            raw_path: "/test.txt",
            raw_query: "",
            headers: &headers,
            authority: None,
            signed_headers: &signed,
            payload_hash: EMPTY_SHA256,
            path_encoding: PathEncoding::Single,
            excluded_query_param: None,
        };
        let sts = string_to_sign("20130524T000000Z", "20130524/us-east-1/s3/aws4_request", &canonical_request(&input));
        let key = signing_key("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20130524", "us-east-1", "s3");
        assert!(signature_matches(&key, &sts, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"));
        assert!(!signature_matches(&key, &sts, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb40"));
        assert!(!signature_matches(&key, &sts, "not hex"));
    }

    #[test]
    fn double_encoding_normalizes_and_reencodes_the_wire_path() {
        let mut out = Vec::new();
        canonical_path("/a/./b/../c//d%20e/", PathEncoding::Double, &mut out);
        assert_eq!(String::from_utf8(out).unwrap(), "/a/c/d%2520e/");
        let mut root = Vec::new();
        canonical_path("", PathEncoding::Double, &mut root);
        assert_eq!(root, b"/");
    }

    #[test]
    fn query_values_are_decoded_then_encoded_and_signature_excluded() {
        let mut out = Vec::new();
        canonical_query("b=%7e x&a&X-Amz-Signature=abc&a=1", Some("X-Amz-Signature"), &mut out);
        assert_eq!(String::from_utf8(out).unwrap(), "a=&a=1&b=~%20x");
    }

    #[test]
    fn header_values_are_trimmed_and_joined() {
        let mut headers = HeaderMap::new();
        headers.append("my-header", HeaderValue::from_static("  a   b  "));
        headers.append("my-header", HeaderValue::from_static("c"));
        let signed = vec!["host".to_string(), "my-header".to_string()];
        let input = CanonicalInput {
            method: "GET",
            raw_path: "/",
            raw_query: "",
            headers: &headers,
            authority: Some("h2.example"),
            signed_headers: &signed,
            payload_hash: "x",
            path_encoding: PathEncoding::Double,
            excluded_query_param: None,
        };
        let canonical = String::from_utf8(canonical_request(&input)).unwrap();
        assert_eq!(canonical, "GET\n/\n\nhost:h2.example\nmy-header:a b,c\n\nhost;my-header\nx");
    }

    #[test]
    fn percent_decode_keeps_broken_escapes() {
        assert_eq!(percent_decode(b"%41%4a%zz%4"), b"AJ%zz%4");
    }
}
