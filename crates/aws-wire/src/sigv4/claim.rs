//! Reading what a request claims about its signature, from the `Authorization` header or from
//! presigned query parameters, before any secret is looked at.
//!
//! Incomplete-signature wording follows Kinesis' observed answers (kinesalite `test/connection.js`);
//! the credential-element, terminator, date-format and `Host` messages follow AWS's wording as
//! commonly reported by SDK users (not all of them verified against a primary source: see the
//! crate report).

use http::request::Parts;

use super::canonical::{query_pairs, ALGORITHM, SCOPE_TERMINATOR};
use crate::amz_date::AmzDate;
use crate::error::AwsError;

/// Longest `X-Amz-Expires` AWS accepts for a presigned request: seven days.
pub const PRESIGNED_EXPIRES_SECONDS_MAX: u64 = 604_800;

/// `<date>/<region>/<service>/aws4_request`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialScope {
    /// `YYYYMMDD`.
    pub date: String,
    /// Region the request was signed for.
    pub region: String,
    /// Signing name of the service, e.g. `kinesis`.
    pub service: String,
}

impl CredentialScope {
    /// The scope as it appears in the string to sign.
    pub fn to_scope_string(&self) -> String {
        format!("{}/{}/{}/{SCOPE_TERMINATOR}", self.date, self.region, self.service)
    }
}

/// Where the signature was carried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureLocation {
    /// `Authorization: AWS4-HMAC-SHA256 ...`.
    Header,
    /// Presigned URL; valid for `expires_seconds` after the signing time when given.
    Query { expires_seconds: Option<u64> },
}

/// Everything a request says about its signature.
#[derive(Clone, Debug)]
pub struct SignatureClaim {
    /// Access key named in the credential.
    pub access_key_id: String,
    /// The credential scope.
    pub scope: CredentialScope,
    /// Lower-case signed header names in the client's order.
    pub signed_headers: Vec<String>,
    /// Hex signature as sent.
    pub signature: String,
    /// When the request says it was signed.
    pub signed_at: AmzDate,
    /// The timestamp exactly as it enters the string to sign.
    pub timestamp: String,
    /// `X-Amz-Security-Token`, for temporary credentials.
    pub session_token: Option<String>,
    /// Header or query.
    pub location: SignatureLocation,
}

/// The signature claim of a request: `Ok(None)` when it carries no authentication at all.
pub fn parse(parts: &Parts) -> Result<Option<SignatureClaim>, AwsError> {
    let header = parts.headers.get(http::header::AUTHORIZATION);
    let raw_query = parts.uri.query().unwrap_or("");
    let query_auth = query_pairs(raw_query).any(|(name, _)| name == b"X-Amz-Algorithm");
    match (header, query_auth) {
        (Some(_), true) => Err(AwsError::invalid_signature(
            "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.",
        )),
        (None, false) => Ok(None),
        (Some(value), false) => parse_header(parts, &String::from_utf8_lossy(value.as_bytes())).map(Some),
        (None, true) => parse_query(raw_query).map(Some),
    }
}

fn parse_header(parts: &Parts, authorization: &str) -> Result<SignatureClaim, AwsError> {
    // "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=..." (commas and/or spaces).
    let mut tokens = authorization.split([',', ' ']).filter(|t| !t.is_empty());
    let algorithm = tokens.next().unwrap_or("");
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for token in tokens {
        match token.split_once('=') {
            Some(("Credential", v)) if !v.is_empty() => credential = Some(v),
            Some(("SignedHeaders", v)) if !v.is_empty() => signed_headers = Some(v),
            Some(("Signature", v)) if !v.is_empty() => signature = Some(v),
            _ => {}
        }
    }
    let header_text = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let (amz_date, date) = (header_text("x-amz-date"), header_text("date"));

    let mut missing = String::new();
    for (name, value) in [("Credential", credential), ("Signature", signature), ("SignedHeaders", signed_headers)] {
        if value.is_none() {
            missing.push_str(&format!("Authorization header requires '{name}' parameter. "));
        }
    }
    if amz_date.is_none() && date.is_none() {
        missing.push_str("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ");
    }
    let (Some(credential), Some(signed_headers), Some(signature), true) =
        (credential, signed_headers, signature, missing.is_empty())
    else {
        return Err(AwsError::incomplete_signature(format!("{missing}Authorization={authorization}")));
    };
    if algorithm != ALGORITHM {
        return Err(AwsError::incomplete_signature(format!("Unsupported AWS 'algorithm': '{algorithm}'")));
    }

    let (signed_at, timestamp) = match amz_date {
        Some(text) => (AmzDate::parse_basic(text).ok_or_else(|| bad_date(text))?, text.to_string()),
        None => {
            let text = date.unwrap_or("");
            let parsed = AmzDate::parse_http(text).ok_or_else(|| bad_date(text))?;
            (parsed, parsed.format_basic())
        }
    };
    let session_token = header_text("x-amz-security-token").map(str::to_string);
    finish(credential, signed_headers, signature, signed_at, timestamp, session_token, SignatureLocation::Header)
}

fn parse_query(raw_query: &str) -> Result<SignatureClaim, AwsError> {
    let mut params: Vec<(String, String)> = Vec::new();
    for (name, value) in query_pairs(raw_query) {
        let name = String::from_utf8_lossy(&name).into_owned();
        if name.starts_with("X-Amz-") {
            params.push((name, String::from_utf8_lossy(&value).into_owned()));
        }
    }
    let get = |name: &str| params.iter().find(|(n, v)| n == name && !v.is_empty()).map(|(_, v)| v.as_str());

    const REQUIRED: [&str; 5] =
        ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date"];
    let mut missing = String::new();
    for name in REQUIRED {
        if get(name).is_none() {
            missing.push_str(&format!("AWS query-string parameters must include '{name}'. "));
        }
    }
    if !missing.is_empty() {
        return Err(AwsError::incomplete_signature(format!("{missing}Re-examine the query-string parameters.")));
    }
    let [algorithm, credential, signature, signed_headers, timestamp] = REQUIRED.map(|n| get(n).unwrap_or(""));
    if algorithm != ALGORITHM {
        return Err(AwsError::incomplete_signature(format!("X-Amz-Algorithm only supports \"{ALGORITHM}\"")));
    }
    let expires_seconds = match get("X-Amz-Expires") {
        None => None,
        Some(text) => match text.parse::<u64>() {
            Ok(seconds) if seconds <= PRESIGNED_EXPIRES_SECONDS_MAX => Some(seconds),
            Ok(_) => {
                return Err(AwsError::incomplete_signature(format!(
                    "X-Amz-Expires must be less than a week (in seconds) that is {PRESIGNED_EXPIRES_SECONDS_MAX}"
                )))
            }
            Err(_) => {
                return Err(AwsError::incomplete_signature("X-Amz-Expires should be a number"));
            }
        },
    };
    let signed_at = AmzDate::parse_basic(timestamp).ok_or_else(|| bad_date(timestamp))?;
    let session_token = get("X-Amz-Security-Token").map(str::to_string);
    let location = SignatureLocation::Query { expires_seconds };
    finish(credential, signed_headers, signature, signed_at, timestamp.to_string(), session_token, location)
}

/// Checks shared by both locations: the credential's five elements, its terminator, its date, and
/// that `host` is signed.
fn finish(
    credential: &str,
    signed_headers: &str,
    signature: &str,
    signed_at: AmzDate,
    timestamp: String,
    session_token: Option<String>,
    location: SignatureLocation,
) -> Result<SignatureClaim, AwsError> {
    let elements: Vec<&str> = credential.split('/').collect();
    let [access_key_id, date, region, service, terminator] = elements[..] else {
        return Err(AwsError::incomplete_signature(format!(
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got \
             '{credential}'"
        )));
    };
    if terminator != SCOPE_TERMINATOR {
        return Err(AwsError::invalid_signature(format!(
            "Credential should be scoped with a valid terminator: '{SCOPE_TERMINATOR}', not '{terminator}'. "
        )));
    }
    let signed_date = signed_at.format_date();
    if date != signed_date {
        return Err(AwsError::invalid_signature(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{date}' != \
             '{signed_date}', from '{timestamp}'."
        )));
    }
    let signed_headers: Vec<String> = signed_headers.split(';').map(str::to_ascii_lowercase).collect();
    if !signed_headers.iter().any(|h| h == "host") {
        return Err(AwsError::incomplete_signature(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
        ));
    }
    Ok(SignatureClaim {
        access_key_id: access_key_id.to_string(),
        scope: CredentialScope { date: date.to_string(), region: region.to_string(), service: service.to_string() },
        signed_headers,
        signature: signature.to_string(),
        signed_at,
        timestamp,
        session_token,
        location,
    })
}

fn bad_date(text: &str) -> AwsError {
    AwsError::incomplete_signature(format!(
        "Date must be in ISO-8601 'basic format'. Got '{text}'. See http://en.wikipedia.org/wiki/ISO_8601"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(uri: &str, headers: &[(&str, &str)]) -> Parts {
        let mut builder = http::Request::builder().method("POST").uri(uri);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(()).unwrap().into_parts().0
    }

    const AUTH: &str = "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/kinesis/aws4_request, \
                        SignedHeaders=host;x-amz-date, Signature=abcd";

    #[test]
    fn no_authentication_is_none() {
        assert!(parse(&parts("/", &[])).unwrap().is_none());
    }

    #[test]
    fn header_claim_is_parsed() {
        let claim =
            parse(&parts("/", &[("authorization", AUTH), ("x-amz-date", "20150830T123600Z")])).unwrap().unwrap();
        assert_eq!(claim.access_key_id, "AKID");
        assert_eq!(claim.scope.to_scope_string(), "20150830/us-east-1/kinesis/aws4_request");
        assert_eq!(claim.signed_headers, ["host", "x-amz-date"]);
        assert_eq!(claim.signature, "abcd");
        assert_eq!(claim.location, SignatureLocation::Header);
    }

    #[test]
    fn incomplete_header_lists_every_missing_part() {
        let err = parse(&parts("/", &[("authorization", "X")])).unwrap_err();
        assert_eq!(err.code, "IncompleteSignatureException");
        assert_eq!(
            err.message,
            "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' \
             parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires \
             existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=X"
        );
    }

    #[test]
    fn header_and_query_together_is_invalid() {
        let err = parse(&parts("/?X-Amz-Algorithm", &[("authorization", AUTH)])).unwrap_err();
        assert_eq!(err.code, "InvalidSignatureException");
        assert_eq!(
            err.message,
            "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."
        );
    }

    #[test]
    fn empty_presigned_query_lists_every_missing_parameter() {
        let err = parse(&parts("/?X-Amz-Algorithm", &[])).unwrap_err();
        assert_eq!(
            err.message,
            "AWS query-string parameters must include 'X-Amz-Algorithm'. AWS query-string parameters must include \
             'X-Amz-Credential'. AWS query-string parameters must include 'X-Amz-Signature'. AWS query-string \
             parameters must include 'X-Amz-SignedHeaders'. AWS query-string parameters must include 'X-Amz-Date'. \
             Re-examine the query-string parameters."
        );
    }

    #[test]
    fn presigned_query_claim_is_parsed() {
        let uri = "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20150830%2Fus-east-1%2Fs3%2Faws4_request\
                   &X-Amz-Date=20150830T123600Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=ff";
        let claim = parse(&parts(uri, &[])).unwrap().unwrap();
        assert_eq!(claim.scope.service, "s3");
        assert_eq!(claim.location, SignatureLocation::Query { expires_seconds: Some(60) });
    }

    #[test]
    fn credential_scope_date_must_match_request_date() {
        let err = parse(&parts("/", &[("authorization", AUTH), ("x-amz-date", "20150831T000000Z")])).unwrap_err();
        assert_eq!(
            err.message,
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20150830' != \
             '20150831', from '20150831T000000Z'."
        );
    }

    #[test]
    fn short_credential_is_incomplete() {
        let auth = "AWS4-HMAC-SHA256 Credential=AKID/20150830, SignedHeaders=host, Signature=ab";
        let err = parse(&parts("/", &[("authorization", auth), ("x-amz-date", "20150830T123600Z")])).unwrap_err();
        assert_eq!(err.code, "IncompleteSignatureException");
        assert!(err.message.starts_with("Credential must have exactly 5 slash-delimited elements"), "{}", err.message);
    }

    #[test]
    fn unsigned_host_is_rejected() {
        let auth = "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/kinesis/aws4_request, \
                    SignedHeaders=x-amz-date, Signature=ab";
        let err = parse(&parts("/", &[("authorization", auth), ("x-amz-date", "20150830T123600Z")])).unwrap_err();
        assert_eq!(err.message, "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
    }
}
