//! The three ways S3 writes time: milliseconds in documents, ISO 8601 with milliseconds in
//! XML (`2009-10-12T17:50:30.000Z`) and the HTTP date in headers (`Last-Modified`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_wire::amz_date::AmzDate;

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn iso8601_ms(ms: i64) -> String {
    let seconds = AmzDate::from_unix_seconds(ms.div_euclid(1000)).format_iso8601();
    format!("{}.{:03}Z", seconds.trim_end_matches('Z'), ms.rem_euclid(1000))
}

/// `Wed, 21 Oct 2015 07:28:00 GMT`.
pub fn http_date(ms: i64) -> String {
    httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0)))
}

/// Seconds since the epoch of an HTTP date, `None` when it is not one.
pub fn parse_http_date(text: &str) -> Option<i64> {
    AmzDate::parse_http(text.trim()).map(AmzDate::unix_seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_match_aws() {
        let ms = 1_445_412_480_123;
        assert_eq!(iso8601_ms(ms), "2015-10-21T07:28:00.123Z");
        assert_eq!(http_date(ms), "Wed, 21 Oct 2015 07:28:00 GMT");
        assert_eq!(parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT"), Some(1_445_412_480));
        assert_eq!(parse_http_date("yesterday"), None);
    }
}
