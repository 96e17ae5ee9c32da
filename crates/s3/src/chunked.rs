//! Decoding `aws-chunked` bodies (S3 "Signature Calculations for the Authorization Header:
//! Transferring Payload in Multiple Chunks" and its trailer variants):
//!
//! ```text
//! <hex size>[;chunk-signature=<sig>]\r\n<size bytes>\r\n ... 0[;chunk-signature=<sig>]\r\n
//! [<trailer name>:<value>\r\n ...]\r\n
//! ```
//!
//! The front has verified the seed signature of the request; chunk and trailer signatures are
//! not checked here (the signing key stays inside the front).

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
