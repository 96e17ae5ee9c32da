//! SigV4 timestamps: the ISO 8601 basic format `YYYYMMDDTHHMMSSZ` (`X-Amz-Date`) and the
//! RFC 7231 `Date` header, converted to and from Unix seconds.
//!
//! Hand-rolled because the front needs only these two formats, in UTC, and only to the second.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Length of `YYYYMMDDTHHMMSSZ`.
const AMZ_DATE_LEN: usize = 16;
const SECONDS_PER_DAY: i64 = 86_400;

/// A UTC instant with one-second resolution, as SigV4 uses it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct AmzDate {
    unix_seconds: i64,
}

impl AmzDate {
    /// The instant `unix_seconds` after the epoch.
    pub fn from_unix_seconds(unix_seconds: i64) -> Self {
        AmzDate { unix_seconds }
    }

    /// The instant a `SystemTime` falls in (truncated to the second).
    pub fn from_system_time(time: SystemTime) -> Self {
        let unix_seconds = match time.duration_since(UNIX_EPOCH) {
            Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
            Err(before) => -i64::try_from(before.duration().as_secs()).unwrap_or(i64::MAX),
        };
        AmzDate { unix_seconds }
    }

    /// Seconds since the Unix epoch.
    pub fn unix_seconds(self) -> i64 {
        self.unix_seconds
    }

    /// This instant moved by a signed number of seconds (saturating).
    pub fn plus_seconds(self, seconds: i64) -> Self {
        AmzDate { unix_seconds: self.unix_seconds.saturating_add(seconds) }
    }

    /// This instant moved back by `duration` (saturating).
    pub fn minus(self, duration: Duration) -> Self {
        self.plus_seconds(-i64::try_from(duration.as_secs()).unwrap_or(i64::MAX))
    }

    /// This instant moved forward by `duration` (saturating).
    pub fn plus(self, duration: Duration) -> Self {
        self.plus_seconds(i64::try_from(duration.as_secs()).unwrap_or(i64::MAX))
    }

    /// Parses `YYYYMMDDTHHMMSSZ`; `None` for anything else, including out-of-range fields.
    pub fn parse_basic(text: &str) -> Option<Self> {
        let b = text.as_bytes();
        if b.len() != AMZ_DATE_LEN || b[8] != b'T' || b[15] != b'Z' {
            return None;
        }
        let year = digits(&b[0..4])?;
        let month = digits(&b[4..6])?;
        let day = digits(&b[6..8])?;
        let hour = digits(&b[9..11])?;
        let minute = digits(&b[11..13])?;
        let second = digits(&b[13..15])?;
        if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
            return None;
        }
        // 60 admits a leap second as clients may send it; it simply rolls into the next minute.
        if hour > 23 || minute > 59 || second > 60 {
            return None;
        }
        let days = days_from_civil(year, month, day);
        Some(AmzDate { unix_seconds: days * SECONDS_PER_DAY + hour * 3600 + minute * 60 + second })
    }

    /// Parses an HTTP `Date` header (IMF-fixdate, RFC 850 or asctime, as RFC 7231 requires).
    pub fn parse_http(text: &str) -> Option<Self> {
        httpdate::parse_http_date(text).ok().map(Self::from_system_time)
    }

    /// `YYYYMMDDTHHMMSSZ`.
    pub fn format_basic(self) -> String {
        let (year, month, day, hour, minute, second) = self.fields();
        format!("{year:04}{month:02}{day:02}T{hour:02}{minute:02}{second:02}Z")
    }

    /// `YYYYMMDD`, the date part of a credential scope.
    pub fn format_date(self) -> String {
        let (year, month, day, ..) = self.fields();
        format!("{year:04}{month:02}{day:02}")
    }

    /// `YYYY-MM-DDTHH:MM:SSZ` (ISO 8601 extended, as awsQuery and rest-xml answers write it).
    pub fn format_iso8601(self) -> String {
        let (year, month, day, hour, minute, second) = self.fields();
        format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}Z")
    }

    /// Parses ISO 8601 extended `YYYY-MM-DDTHH:MM:SS[.fff][Z|+HH:MM]` (fractions dropped);
    /// `None` for anything else.
    pub fn parse_iso8601(text: &str) -> Option<Self> {
        let b = text.as_bytes();
        if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
            return None;
        }
        if b[13] != b':' || b[16] != b':' {
            return None;
        }
        let (year, month, day) = (digits(&b[0..4])?, digits(&b[5..7])?, digits(&b[8..10])?);
        let (hour, minute, second) = (digits(&b[11..13])?, digits(&b[14..16])?, digits(&b[17..19])?);
        if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
            return None;
        }
        if hour > 23 || minute > 59 || second > 60 {
            return None;
        }
        let mut rest = &b[19..];
        if rest.first() == Some(&b'.') {
            let n = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
            if n == 0 {
                return None;
            }
            rest = &rest[1 + n..];
        }
        let offset = match rest {
            b"" | b"Z" | b"z" => 0,
            [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
                let minutes = digits(&[*h1, *h2])? * 60 + digits(&[*m1, *m2])?;
                if *sign == b'+' {
                    minutes * 60
                } else {
                    -minutes * 60
                }
            }
            _ => return None,
        };
        let seconds = days_from_civil(year, month, day) * SECONDS_PER_DAY + hour * 3600 + minute * 60 + second;
        Some(AmzDate { unix_seconds: seconds - offset })
    }

    fn fields(self) -> (i64, i64, i64, i64, i64, i64) {
        let days = self.unix_seconds.div_euclid(SECONDS_PER_DAY);
        let in_day = self.unix_seconds.rem_euclid(SECONDS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        (year, month, day, in_day / 3600, in_day % 3600 / 60, in_day % 60)
    }
}

fn digits(bytes: &[u8]) -> Option<i64> {
    bytes.iter().try_fold(0i64, |acc, &c| c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0')))
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's civil algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 { month_from_march + 3 } else { month_from_march - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_format_round_trips_through_unix_seconds() {
        let date = AmzDate::parse_basic("20150830T123600Z").unwrap();
        assert_eq!(date.unix_seconds(), 1_440_938_160);
        assert_eq!(date.format_basic(), "20150830T123600Z");
        assert_eq!(date.format_date(), "20150830");
    }

    #[test]
    fn iso8601_round_trips_and_takes_offsets() {
        let t = AmzDate::parse_iso8601("2024-02-29T23:59:58Z").unwrap();
        assert_eq!(t.format_iso8601(), "2024-02-29T23:59:58Z");
        assert_eq!(AmzDate::parse_iso8601("2024-02-29T23:59:58.123Z"), Some(t));
        assert_eq!(AmzDate::parse_iso8601("2024-03-01T01:59:58+02:00"), Some(t));
        assert_eq!(AmzDate::parse_iso8601("2023-02-29T00:00:00Z"), None);
        assert_eq!(AmzDate::parse_iso8601("yesterday"), None);
    }

    #[test]
    fn leap_day_and_epoch_are_exact() {
        assert_eq!(AmzDate::parse_basic("19700101T000000Z").unwrap().unix_seconds(), 0);
        let leap = AmzDate::parse_basic("20240229T235959Z").unwrap();
        assert_eq!(leap.unix_seconds(), 1_709_251_199);
        assert_eq!(leap.plus_seconds(1).format_basic(), "20240301T000000Z");
    }

    #[test]
    fn malformed_basic_dates_are_rejected() {
        for bad in
            ["", "20150830T123600", "20150830 123600Z", "2015083OT123600Z", "20150230T000000Z", "20151301T000000Z"]
        {
            assert_eq!(AmzDate::parse_basic(bad), None, "{bad}");
        }
    }

    #[test]
    fn http_date_header_parses() {
        let date = AmzDate::parse_http("Sun, 30 Aug 2015 12:36:00 GMT").unwrap();
        assert_eq!(date.format_basic(), "20150830T123600Z");
    }
}
