//! IAM's errors, with the codes, HTTP statuses and wording AWS uses (IAM API
//! reference, "Errors" of each action; messages as AWS answers them).

use aws_wire::AwsError;

/// 404: the named entity does not exist.
pub(crate) fn no_such_entity(message: impl Into<String>) -> AwsError {
    AwsError::new(404, "NoSuchEntity", message)
}

/// 409: an entity of that name exists.
pub(crate) fn already_exists(message: impl Into<String>) -> AwsError {
    AwsError::new(409, "EntityAlreadyExists", message)
}

/// 409: the entity still has dependents that must go first.
pub(crate) fn delete_conflict(message: impl Into<String>) -> AwsError {
    AwsError::new(409, "DeleteConflict", message)
}

/// 409: an account or entity quota would be exceeded.
pub(crate) fn limit_exceeded(message: impl Into<String>) -> AwsError {
    AwsError::new(409, "LimitExceeded", message)
}

/// 400: a policy document is not a valid policy.
pub(crate) fn malformed_policy(message: impl Into<String>) -> AwsError {
    AwsError::new(400, "MalformedPolicyDocument", message)
}

/// 400: a parameter value is not acceptable.
pub(crate) fn invalid_input(message: impl Into<String>) -> AwsError {
    AwsError::new(400, "InvalidInput", message)
}

/// 400: a parameter fails its constraints.
pub(crate) fn validation(message: impl Into<String>) -> AwsError {
    AwsError::new(400, "ValidationError", message)
}

/// 403: the caller may not act on the resource.
pub(crate) fn access_denied(caller_arn: &str, action: &str, resource: &str) -> AwsError {
    AwsError::new(
        403,
        "AccessDenied",
        format!("User: {caller_arn} is not authorized to perform: {action} on resource: {resource}"),
    )
}

/// 500: the server could not complete the request (the disk failed).
pub(crate) fn service_failure() -> AwsError {
    AwsError::new(500, "ServiceFailure", "The request processing has failed because of an unknown error.")
}

/// A request that fails the model's constraints: awsQuery services answer
/// `ValidationError` where awsJson ones answer `ValidationException`.
pub fn from_request_error(e: aws_model::RequestError) -> AwsError {
    validation(e.to_string())
}
