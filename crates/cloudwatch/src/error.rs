//! AWS-shaped CloudWatch errors. The codes are the model's awsQuery codes
//! (`ResourceNotFound`, `InvalidParameterValue`, ...): the query protocol
//! sends them as `<Code>`, the awsJson protocol as `__type` and in
//! `x-amzn-query-error`, which is what boto3 reports.

use std::fmt;

/// An error answered to the client (or to an in-process caller): HTTP
/// status, AWS error code, message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudWatchError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

impl CloudWatchError {
    fn new(status: u16, code: &'static str, message: impl Into<String>) -> CloudWatchError {
        CloudWatchError { status, code, message: message.into() }
    }

    /// A value the operation cannot take.
    pub(crate) fn invalid(message: impl Into<String>) -> CloudWatchError {
        CloudWatchError::new(400, "InvalidParameterValue", message)
    }

    /// Parameters that cannot go together (or one of several that must be given is missing).
    pub(crate) fn combination(message: impl Into<String>) -> CloudWatchError {
        CloudWatchError::new(400, "InvalidParameterCombination", message)
    }

    /// A required parameter is absent; `name` as it is sent (`MetricData.member.1.MetricName`).
    pub(crate) fn missing(name: &str) -> CloudWatchError {
        CloudWatchError::new(400, "MissingParameter", format!("The parameter {name} is required."))
    }

    /// A NextToken this server did not hand out (or that no longer applies).
    pub(crate) fn invalid_token() -> CloudWatchError {
        CloudWatchError::new(400, "InvalidNextToken", "The value of NextToken is invalid.")
    }

    /// An alarm named by an alarm operation does not exist.
    pub(crate) fn alarm_not_found(name: &str) -> CloudWatchError {
        CloudWatchError::new(404, "ResourceNotFound", format!("Alarm {name} not found"))
    }

    /// The resource of a tagging operation does not exist.
    pub(crate) fn resource_not_found(arn: &str) -> CloudWatchError {
        CloudWatchError::new(404, "ResourceNotFoundException", format!("The resource {arn} does not exist."))
    }

    /// A server-wide or per-resource bound was reached.
    pub(crate) fn limit_exceeded(message: impl Into<String>) -> CloudWatchError {
        CloudWatchError::new(400, "LimitExceeded", message)
    }

    /// AWS's code for rules the model cannot state (e.g. deleting an alarm a
    /// composite alarm depends on).
    pub(crate) fn validation(message: impl Into<String>) -> CloudWatchError {
        CloudWatchError::new(400, "ValidationError", message)
    }

    /// StateReasonData that is not JSON.
    pub(crate) fn invalid_format(message: impl Into<String>) -> CloudWatchError {
        CloudWatchError::new(400, "InvalidFormat", message)
    }

    /// A failure of ours (the disk, a document that no longer decodes).
    pub(crate) fn internal(message: impl Into<String>) -> CloudWatchError {
        CloudWatchError::new(500, "InternalServiceError", message)
    }
}

impl fmt::Display for CloudWatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.status, self.message)
    }
}

impl std::error::Error for CloudWatchError {}

impl From<aws_model::RequestError> for CloudWatchError {
    fn from(e: aws_model::RequestError) -> Self {
        match e {
            // CloudWatch answers an absent required member as MissingParameter
            // and every other model constraint as InvalidParameterValue.
            aws_model::RequestError::Validation(v) => {
                let all_missing =
                    v.violations.iter().all(|x| x.value.is_none() && x.constraint.contains("not be null"));
                match v.violations.first() {
                    Some(first) if all_missing => CloudWatchError::missing(&wire_path(&first.path)),
                    _ => CloudWatchError::invalid(v.message()),
                }
            }
            aws_model::RequestError::Decode(d) => CloudWatchError::new(400, d.code(), d.to_string()),
        }
    }
}

impl From<docstore::Error> for CloudWatchError {
    fn from(e: docstore::Error) -> Self {
        CloudWatchError::internal(e.to_string())
    }
}

impl From<rusqlite::Error> for CloudWatchError {
    fn from(e: rusqlite::Error) -> Self {
        CloudWatchError::internal(format!("CloudWatch store failure: {e}"))
    }
}

/// A validation path (`metricData.1.member.metricName`) as the parameter is
/// sent in a query form (`MetricData.member.1.MetricName`).
pub(crate) fn wire_path(path: &str) -> String {
    let segments: Vec<&str> = path.split('.').collect();
    let mut out: Vec<String> = Vec::with_capacity(segments.len());
    let mut i = 0;
    while i < segments.len() {
        let segment = segments[i];
        if segment.bytes().all(|b| b.is_ascii_digit()) && segments.get(i + 1) == Some(&"member") {
            out.push(format!("member.{segment}"));
            i += 2;
            continue;
        }
        let mut chars = segment.chars();
        out.push(match chars.next() {
            Some(c) => c.to_ascii_uppercase().to_string() + chars.as_str(),
            None => String::new(),
        });
        i += 1;
    }
    out.join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_paths_become_query_parameter_names() {
        assert_eq!(wire_path("alarmName"), "AlarmName");
        assert_eq!(wire_path("metricData.1.member.metricName"), "MetricData.member.1.MetricName");
        assert_eq!(wire_path("oKActions"), "OKActions");
    }
}
