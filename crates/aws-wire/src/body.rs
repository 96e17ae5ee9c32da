//! Reading a request body whole, but never more than a bound.

use bytes::Bytes;
use http_body::Body;
use http_body_util::{BodyExt, LengthLimitError, Limited};

/// A boxed error, as hyper bodies report them.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Why a body could not be read.
#[derive(Debug)]
pub enum BodyError {
    /// More than the bound was declared or sent.
    TooLarge,
    /// The connection failed mid-body.
    Read(BoxError),
}

/// Reads all of `body`, refusing up front when `declared_bytes` (Content-Length) exceeds
/// `bytes_max`, and stopping as soon as more than `bytes_max` bytes arrive otherwise.
pub async fn read_bounded<B>(body: B, declared_bytes: Option<u64>, bytes_max: usize) -> Result<Bytes, BodyError>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    if declared_bytes.is_some_and(|declared| declared > bytes_max as u64) {
        return Err(BodyError::TooLarge);
    }
    match Limited::new(body, bytes_max).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.is::<LengthLimitError>() => Err(BodyError::TooLarge),
        Err(error) => Err(BodyError::Read(error)),
    }
}

/// The body as sent before its `Content-Encoding`: gzip is decoded (the SDKs gzip large
/// CloudWatch PutMetricData bodies, the model's `requestcompression` trait), to at most
/// `bytes_max` bytes; no encoding or `identity` leaves it as is; `Err` names what was wrong.
pub fn decode_content_encoding(headers: &http::HeaderMap, body: Bytes, bytes_max: usize) -> Result<Bytes, String> {
    use std::io::Read;
    let encoding = headers.get(http::header::CONTENT_ENCODING).and_then(|v| v.to_str().ok()).unwrap_or("");
    match encoding.trim().to_ascii_lowercase().as_str() {
        "" | "identity" => Ok(body),
        "gzip" => {
            let mut out = Vec::new();
            flate2::read::MultiGzDecoder::new(&body[..])
                .take(bytes_max as u64 + 1)
                .read_to_end(&mut out)
                .map_err(|e| format!("The gzip request body does not decode: {e}"))?;
            if out.len() > bytes_max {
                return Err(format!("The request body decodes to more than {bytes_max} bytes."));
            }
            Ok(Bytes::from(out))
        }
        other => Err(format!("The Content-Encoding {other} is not supported; send the body as is or gzip it.")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::Full;

    #[test]
    fn gzip_bodies_are_decoded_within_the_bound_and_other_encodings_refused() {
        use std::io::Write;
        let body = Bytes::from_static(br#"{"Namespace":"App"}"#);
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(&body).unwrap();
        let gzipped = Bytes::from(encoder.finish().unwrap());
        let mut headers = http::HeaderMap::new();
        assert_eq!(decode_content_encoding(&headers, body.clone(), 100).unwrap(), body);
        headers.insert(http::header::CONTENT_ENCODING, "gzip".parse().unwrap());
        assert_eq!(decode_content_encoding(&headers, gzipped.clone(), 100).unwrap(), body);
        assert!(decode_content_encoding(&headers, gzipped, 5).unwrap_err().contains("more than 5 bytes"));
        assert!(decode_content_encoding(&headers, body.clone(), 100).is_err());
        headers.insert(http::header::CONTENT_ENCODING, "br".parse().unwrap());
        assert!(decode_content_encoding(&headers, body, 100).unwrap_err().contains("br"));
    }

    #[tokio::test]
    async fn bodies_within_the_bound_are_read_whole() {
        let body = read_bounded(Full::new(Bytes::from_static(b"abcd")), Some(4), 4).await.unwrap();
        assert_eq!(&body[..], b"abcd");
    }

    #[tokio::test]
    async fn declared_or_actual_excess_is_too_large() {
        assert!(matches!(read_bounded(Full::new(Bytes::new()), Some(5), 4).await, Err(BodyError::TooLarge)));
        assert!(matches!(
            read_bounded(Full::new(Bytes::from_static(b"abcde")), None, 4).await,
            Err(BodyError::TooLarge)
        ));
    }
}
