//! Decoding `aws-chunked` bodies (S3 "Signature Calculations for the Authorization Header:
//! Transferring Payload in Multiple Chunks" and its trailer variants):
//!
//! ```text
//! <hex size>[;chunk-signature=<sig>]\r\n<size bytes>\r\n ... 0[;chunk-signature=<sig>]\r\n
//! [<trailer name>:<value>\r\n ...]\r\n
//! ```
//!
//! The front has verified the seed signature of the request; [`verify_signatures`] checks the
//! chunk and trailer signatures that chain from it, with what the front hands over.

use bytes::Bytes;

/// Longest chunk header or trailer line accepted (a signed chunk header is about 90 bytes).
const LINE_BYTES_MAX: usize = 4096;
/// Most trailers accepted after the last chunk.
const TRAILERS_MAX: usize = 16;

/// A decoded body and the trailers sent after it (names lower-cased).
#[derive(Debug, PartialEq, Eq)]
pub struct Decoded {
    /// The payload, chunk framing removed.
    pub body: Bytes,
    /// `(name, value)` of each trailer, e.g. `("x-amz-checksum-crc32", "...")`.
    pub trailers: Vec<(String, String)>,
}

/// Why a body is not valid aws-chunked.
#[derive(Debug, PartialEq, Eq)]
pub struct ChunkError(pub &'static str);

/// Whether a request's body is aws-chunked, from its `x-amz-content-sha256` and `Content-Encoding`.
pub fn is_aws_chunked(content_sha256: Option<&str>, content_encoding: Option<&str>) -> bool {
    content_sha256.is_some_and(|v| v.starts_with("STREAMING-"))
        || content_encoding.is_some_and(|v| v.split(',').any(|e| e.trim().eq_ignore_ascii_case("aws-chunked")))
}

/// Removes the chunk framing from `body`.
pub fn decode(body: &[u8]) -> Result<Decoded, ChunkError> {
    let mut out = Vec::with_capacity(body.len());
    let mut pos = 0;
    loop {
        let line = read_line(body, &mut pos)?.ok_or(ChunkError("the body ends before its last chunk"))?;
        let size_text = line.split(|&c| c == b';').next().unwrap_or_default();
        let size_text = std::str::from_utf8(size_text).map_err(|_| ChunkError("bad chunk size"))?.trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| ChunkError("bad chunk size"))?;
        if size == 0 {
            break;
        }
        let end = pos.checked_add(size).filter(|&end| end <= body.len()).ok_or(ChunkError("a chunk is cut short"))?;
        out.extend_from_slice(&body[pos..end]);
        pos = end;
        if body.get(pos..pos + 2) != Some(b"\r\n") {
            return Err(ChunkError("a chunk is not followed by CRLF"));
        }
        pos += 2;
    }
    let mut trailers = Vec::new();
    while let Some(line) = read_line(body, &mut pos)? {
        if line.is_empty() {
            continue;
        }
        if trailers.len() == TRAILERS_MAX {
            return Err(ChunkError("too many trailers"));
        }
        let line = std::str::from_utf8(line).map_err(|_| ChunkError("a trailer is not UTF-8"))?;
        let (name, value) = line.split_once(':').ok_or(ChunkError("a trailer has no colon"))?;
        trailers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
    Ok(Decoded { body: Bytes::from(out), trailers })
}

/// Checks every chunk signature of a `STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]` body,
/// each chaining from the previous one (the first from the request's seed signature), and the
/// trailer signature when trailers follow. A chunk without a signature fails.
pub fn verify_signatures(body: &[u8], signing: &aws_wire::sigv4::ChunkSigning) -> Result<(), ChunkError> {
    let mut previous = signing.seed_signature().to_string();
    let mut pos = 0;
    loop {
        let line = read_line(body, &mut pos)?.ok_or(ChunkError("the body ends before its last chunk"))?;
        let line = std::str::from_utf8(line).map_err(|_| ChunkError("bad chunk header"))?;
        let (size_text, extension) = line.split_once(';').ok_or(ChunkError("a chunk has no chunk-signature"))?;
        let signature =
            extension.trim().strip_prefix("chunk-signature=").ok_or(ChunkError("a chunk has no chunk-signature"))?;
        let size = usize::from_str_radix(size_text.trim(), 16).map_err(|_| ChunkError("bad chunk size"))?;
        let end = pos.checked_add(size).filter(|&end| end <= body.len()).ok_or(ChunkError("a chunk is cut short"))?;
        if !signing.chunk_matches(&previous, &body[pos..end], signature) {
            return Err(ChunkError("a chunk signature does not match"));
        }
        previous = signature.to_string();
        if size == 0 {
            break;
        }
        pos = end + 2;
    }
    let mut trailer = Vec::new();
    let mut trailer_signature = None;
    while let Some(line) = read_line(body, &mut pos)? {
        let text = std::str::from_utf8(line).map_err(|_| ChunkError("a trailer is not UTF-8"))?;
        match text.split_once(':') {
            Some((name, value)) if name.trim().eq_ignore_ascii_case("x-amz-trailer-signature") => {
                trailer_signature = Some(value.trim().to_string());
            }
            Some(_) => {
                trailer.extend_from_slice(line);
                trailer.push(b'\n');
            }
            None if text.is_empty() => {}
            None => return Err(ChunkError("a trailer has no colon")),
        }
    }
    match (trailer.is_empty(), trailer_signature) {
        (true, None) => Ok(()),
        (false, None) => Err(ChunkError("the trailers have no x-amz-trailer-signature")),
        (_, Some(signature)) if signing.trailer_matches(&previous, &trailer, &signature) => Ok(()),
        (_, Some(_)) => Err(ChunkError("the trailer signature does not match")),
    }
}

/// The next CRLF-terminated line (a last line without CRLF counts); `None` at the end.
fn read_line<'a>(body: &'a [u8], pos: &mut usize) -> Result<Option<&'a [u8]>, ChunkError> {
    if *pos >= body.len() {
        return Ok(None);
    }
    let rest = &body[*pos..];
    let window = &rest[..rest.len().min(LINE_BYTES_MAX + 2)];
    match window.windows(2).position(|w| w == b"\r\n") {
        Some(at) => {
            *pos += at + 2;
            Ok(Some(&rest[..at]))
        }
        None if rest.len() <= LINE_BYTES_MAX => {
            *pos = body.len();
            Ok(Some(rest))
        }
        None => Err(ChunkError("a chunk header line is too long")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A body signed chunk by chunk as the S3 reference's chunked PutObject example (its
    /// credentials, time, seed signature and chunk sizes), checked, then tampered with.
    #[test]
    fn chunk_signatures_are_checked_in_order() {
        let signing = aws_wire::sigv4::ChunkSigning::for_scope(
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "20130524T000000Z",
            ["20130524", "us-east-1", "s3"],
            "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
        );
        let chunks: [&[u8]; 3] = [&[b'a'; 65536], &[b'a'; 1024], b""];
        let mut body = Vec::new();
        let mut previous = signing.seed_signature().to_string();
        for chunk in chunks {
            let signature = signing.chunk_signature(&previous, chunk);
            body.extend_from_slice(format!("{:x};chunk-signature={signature}\r\n", chunk.len()).as_bytes());
            body.extend_from_slice(chunk);
            body.extend_from_slice(b"\r\n");
            previous = signature;
        }
        assert_eq!(verify_signatures(&body, &signing), Ok(()));
        assert_eq!(decode(&body).unwrap().body.len(), 66560);
        let mut tampered = body.clone();
        tampered[200] = b'b';
        assert_eq!(verify_signatures(&tampered, &signing), Err(ChunkError("a chunk signature does not match")));
        let unsigned = b"3\r\nabc\r\n0\r\n\r\n";
        assert_eq!(verify_signatures(unsigned, &signing), Err(ChunkError("a chunk has no chunk-signature")));
        // Trailers must carry a matching trailer signature.
        let mut with_trailer = body.clone();
        with_trailer.extend_from_slice(b"x-amz-checksum-crc32:AAAAAA==\r\n\r\n");
        assert_eq!(
            verify_signatures(&with_trailer, &signing),
            Err(ChunkError("the trailers have no x-amz-trailer-signature"))
        );
        let mut bad_trailer = body;
        bad_trailer.extend_from_slice(b"x-amz-checksum-crc32:AAAAAA==\r\nx-amz-trailer-signature:00\r\n\r\n");
        assert_eq!(verify_signatures(&bad_trailer, &signing), Err(ChunkError("the trailer signature does not match")));
    }

    #[test]
    fn decodes_signed_chunks() {
        let sig = "chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648";
        let body = format!("5;{sig}\r\nhello\r\n6;{sig}\r\n world\r\n0;{sig}\r\n\r\n");
        let decoded = decode(body.as_bytes()).unwrap();
        assert_eq!(&decoded.body[..], b"hello world");
        assert!(decoded.trailers.is_empty());
    }

    #[test]
    fn decodes_unsigned_chunks_with_a_checksum_trailer() {
        let body = b"a\r\n0123456789\r\n0\r\nx-amz-checksum-crc32:pXYiGw==\r\n\r\n";
        let decoded = decode(body).unwrap();
        assert_eq!(&decoded.body[..], b"0123456789");
        assert_eq!(decoded.trailers, [("x-amz-checksum-crc32".to_string(), "pXYiGw==".to_string())]);
        // Signed trailers end with a trailer signature, and some clients omit the last CRLF.
        let body = b"3\r\nabc\r\n0\r\nX-Amz-Checksum-Crc32C:x\r\nx-amz-trailer-signature:00";
        let decoded = decode(body).unwrap();
        assert_eq!(decoded.trailers.len(), 2);
        assert_eq!(decoded.trailers[0].0, "x-amz-checksum-crc32c");
    }

    #[test]
    fn rejects_truncated_and_malformed_bodies() {
        assert_eq!(decode(b"5\r\nhel").unwrap_err(), ChunkError("a chunk is cut short"));
        assert_eq!(decode(b"5\r\nhelloXX0\r\n").unwrap_err(), ChunkError("a chunk is not followed by CRLF"));
        assert_eq!(decode(b"zz\r\n").unwrap_err(), ChunkError("bad chunk size"));
        assert_eq!(decode(b"5\r\nhello\r\n").unwrap_err(), ChunkError("the body ends before its last chunk"));
        assert_eq!(decode(b"").unwrap_err(), ChunkError("the body ends before its last chunk"));
        assert_eq!(decode(b"ffffffffffffffff\r\n").unwrap_err(), ChunkError("a chunk is cut short"));
    }

    #[test]
    fn detects_aws_chunked_from_either_header() {
        assert!(is_aws_chunked(Some("STREAMING-UNSIGNED-PAYLOAD-TRAILER"), None));
        assert!(is_aws_chunked(None, Some("gzip, aws-chunked")));
        assert!(!is_aws_chunked(Some("UNSIGNED-PAYLOAD"), Some("gzip")));
    }
}
