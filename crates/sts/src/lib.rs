//! STS over awsQuery: GetCallerIdentity (the Terraform provider's credential
//! check), AssumeRole, GetSessionToken and GetAccessKeyInfo. Temporary
//! credentials are issued and kept by IAM ([`iam::Iam::issue_session`]), whose
//! credential store accepts them with their session token until they expire,
//! across restarts.
//!
//! Implemented on the generated JSON shapes; the front transcodes the form
//! and the XML answer with [`MODEL`]. Trust policies and session policies
//! are stored or checked for form but not evaluated.

use std::time::Duration;

use aws_model::sts::*;
use aws_model::{JsonDe, Validate};
use aws_wire::{AwsError, JsonService, Principal, Reply, RequestContext};
use futures::future::BoxFuture;
use iam::{Iam, Identity};
use serde::Serialize;

/// The STS service model (botocore), for the awsQuery transcoding.
pub const MODEL: &str = include_str!("../../../models/sts-2011-06-15.json");
const OPERATIONS: &[&str] = &["AssumeRole", "GetAccessKeyInfo", "GetCallerIdentity", "GetSessionToken"];

/// AssumeRole's session length when the request names none.
pub const ASSUME_ROLE_SECONDS_DEFAULT: i32 = 3600;
/// The longest session a role session may assume another role for (role chaining).
pub const ROLE_CHAINING_SECONDS_MAX: i32 = 3600;
/// GetSessionToken's session length when the request names none (12 hours).
pub const SESSION_TOKEN_SECONDS_DEFAULT: i32 = 43_200;
/// The longest GetSessionToken session of the root user.
pub const ROOT_SESSION_SECONDS_MAX: i32 = 3600;
/// What session policies and tags may pack into, in characters (white space
/// excluded): PackedPolicySize is the percentage of this they use.
pub const PACKED_POLICY_CHARS_MAX: usize = 2048;

/// The STS service.
#[derive(Clone)]
pub struct Sts {
    iam: Iam,
}

impl Sts {
    /// STS issuing and recognizing credentials through `iam`.
    pub fn new(iam: Iam) -> Sts {
        Sts { iam }
    }

    /// Runs one operation on its JSON input for `caller`; answers the JSON output.
    pub fn call_blocking(&self, operation: &str, body: &[u8], caller: &Principal) -> Result<Vec<u8>, AwsError> {
        match operation {
            "AssumeRole" => json(self.assume_role(decode(body)?, caller)),
            "GetAccessKeyInfo" => json(Ok(self.access_key_info(decode(body)?))),
            "GetCallerIdentity" => json(Ok(self.caller_identity(caller))),
            "GetSessionToken" => json(self.get_session_token(decode(body)?, caller)),
            other => Err(AwsError::new(400, "InvalidAction", format!("Could not find operation {other}"))),
        }
    }

    /// The caller as AWS reports it: root (UserId = account id, `:root`),
    /// an IAM user, or a role session (`AROA...:session`, `assumed-role/...`).
    fn caller_identity(&self, caller: &Principal) -> GetCallerIdentityResponse {
        let account = self.iam.account();
        let identity = self.iam.identity(&caller.access_key_id);
        GetCallerIdentityResponse {
            user_id: Some(identity.user_id(account)),
            arn: Some(identity.arn(account)),
            account: Some(account.to_string()),
        }
    }

    /// The account an access key belongs to. Every key kinesd accepts or
    /// issues belongs to its one account, and AWS answers for any well-formed
    /// key id (it does not say whether the key exists), so that account is it.
    fn access_key_info(&self, _input: GetAccessKeyInfoRequest) -> GetAccessKeyInfoResponse {
        GetAccessKeyInfoResponse { account: Some(self.iam.account().to_string()) }
    }

    fn assume_role(&self, input: AssumeRoleRequest, caller: &Principal) -> Result<AssumeRoleResponse, AwsError> {
        let account = self.iam.account();
        let caller_identity = self.iam.identity(&caller.access_key_id);
        let role_arn = input.role_arn.unwrap_or_default();
        let session_name = input.role_session_name.unwrap_or_default();
        let Some(role) = self.iam.role_for_arn(&role_arn) else {
            return Err(AwsError::new(
                403,
                "AccessDenied",
                format!(
                    "User: {} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
                    caller_identity.arn(account)
                ),
            ));
        };
        let seconds = input.duration_seconds.unwrap_or(ASSUME_ROLE_SECONDS_DEFAULT);
        if seconds > role.max_session_seconds {
            return Err(validation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role."));
        }
        if matches!(caller_identity, Identity::AssumedRole { .. }) && seconds > ROLE_CHAINING_SECONDS_MAX {
            return Err(validation(
                "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
            ));
        }
        let packed_policy_size = packed_policy_size(&input.policy, &input.policy_arns, &input.tags)?;
        let identity = Identity::AssumedRole {
            role_name: role.name.clone(),
            role_id: role.id.clone(),
            session_name: session_name.clone(),
        };
        let assumed_role_user =
            AssumedRoleUser { assumed_role_id: identity.user_id(account), arn: identity.arn(account) };
        let credentials = self.issue(identity, seconds)?;
        Ok(AssumeRoleResponse {
            credentials: Some(credentials),
            assumed_role_user: Some(assumed_role_user),
            packed_policy_size,
            source_identity: input.source_identity,
        })
    }

    fn get_session_token(
        &self,
        input: GetSessionTokenRequest,
        caller: &Principal,
    ) -> Result<GetSessionTokenResponse, AwsError> {
        let identity = self.iam.identity(&caller.access_key_id);
        if matches!(identity, Identity::AssumedRole { .. }) || caller.access_key_id.starts_with("ASIA") {
            return Err(AwsError::new(403, "AccessDenied", "Cannot call GetSessionToken with session credentials"));
        }
        let seconds = input.duration_seconds.unwrap_or(SESSION_TOKEN_SECONDS_DEFAULT);
        // The root user's sessions last at most an hour, whatever was asked.
        let seconds = if identity == Identity::Root { seconds.min(ROOT_SESSION_SECONDS_MAX) } else { seconds };
        Ok(GetSessionTokenResponse { credentials: Some(self.issue(identity, seconds)?) })
    }

    fn issue(&self, identity: Identity, seconds: i32) -> Result<Credentials, AwsError> {
        assert!(seconds > 0, "session durations are validated before issuing: {seconds}");
        let issued = self.iam.issue_session(identity, Duration::from_secs(seconds as u64))?;
        Ok(Credentials {
            access_key_id: issued.access_key_id,
            secret_access_key: issued.secret_access_key,
            session_token: issued.session_token,
            expiration: issued.expiration,
        })
    }
}

/// How much of the packed space session policies and tags use, in percent
/// (absent when the request passes none, as AWS answers). An inline session
/// policy must be a valid policy; past 100% is `PackedPolicyTooLarge`.
fn packed_policy_size(
    policy: &Option<String>,
    policy_arns: &Option<Vec<PolicyDescriptorType>>,
    tags: &Option<Vec<Tag>>,
) -> Result<Option<i32>, AwsError> {
    if policy.is_none() && policy_arns.as_ref().is_none_or(Vec::is_empty) && tags.as_ref().is_none_or(Vec::is_empty) {
        return Ok(None);
    }
    let mut chars = 0;
    if let Some(text) = policy {
        let text = iam::document::from_input(text);
        iam::document::validate(&text, iam::document::Kind::Identity)?;
        chars += iam::document::size_chars(&text);
    }
    chars += policy_arns.iter().flatten().map(|p| p.arn.as_deref().map_or(0, str::len)).sum::<usize>();
    chars += tags
        .iter()
        .flatten()
        .map(|t| t.key.as_deref().map_or(0, str::len) + t.value.as_deref().map_or(0, str::len))
        .sum::<usize>();
    let percent = chars.saturating_mul(100).div_ceil(PACKED_POLICY_CHARS_MAX);
    if percent > 100 {
        return Err(AwsError::new(
            400,
            "PackedPolicyTooLarge",
            format!("Packed policy consumes {percent}% of allotted space, please use smaller policy."),
        ));
    }
    Ok(Some(percent as i32))
}

fn validation(message: &str) -> AwsError {
    AwsError::new(400, "ValidationError", message)
}

fn decode<T: JsonDe + Validate>(body: &[u8]) -> Result<T, AwsError> {
    aws_model::decode_input(body).map_err(iam::errors::from_request_error)
}

fn json<T: Serialize>(result: Result<T, AwsError>) -> Result<Vec<u8>, AwsError> {
    serde_json::to_vec(&result?).map_err(|_| AwsError::internal_failure())
}

impl JsonService for Sts {
    fn signing_name(&self) -> &'static str {
        "sts"
    }

    fn target_prefix(&self) -> &'static str {
        "AWSSecurityTokenServiceV20110615"
    }

    fn speaks_json(&self) -> bool {
        false
    }

    fn has_operation(&self, operation: &str) -> bool {
        OPERATIONS.contains(&operation)
    }

    fn call(&self, ctx: RequestContext, body: bytes::Bytes) -> BoxFuture<'static, Result<Reply, AwsError>> {
        let sts = self.clone();
        Box::pin(async move {
            let out = tokio::task::spawn_blocking(move || sts.call_blocking(&ctx.operation, &body, &ctx.principal))
                .await
                .unwrap_or_else(|_| Err(AwsError::internal_failure()))?;
            Ok(Reply::json(out.into()))
        })
    }
}

#[cfg(test)]
mod tests;
