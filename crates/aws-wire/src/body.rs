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

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::Full;

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
