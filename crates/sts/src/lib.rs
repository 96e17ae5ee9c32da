//! STS over awsQuery: GetCallerIdentity answers for the signing access key
//! (the Terraform provider calls it unless `skip_credentials_validation`).
//! Implemented on the generated JSON shapes; the front transcodes the form
//! and the XML answer with [`MODEL`].

use aws_model::sts::GetCallerIdentityResponse;
use aws_wire::{AwsError, JsonService, Reply, RequestContext};
use futures::future::BoxFuture;

/// The STS service model (botocore), for the awsQuery transcoding.
pub const MODEL: &str = include_str!("../../../models/sts-2011-06-15.json");
const OPERATIONS: &[&str] = &["GetCallerIdentity"];

/// The STS service.
#[derive(Debug, Default, Clone, Copy)]
pub struct Sts;

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

    fn call(&self, ctx: RequestContext, _body: bytes::Bytes) -> BoxFuture<'static, Result<Reply, AwsError>> {
        Box::pin(async move {
            match ctx.operation.as_str() {
                "GetCallerIdentity" => {
                    let out = caller_identity(&ctx);
                    let body = serde_json::to_vec(&out).map_err(|_| AwsError::internal_failure())?;
                    Ok(Reply::json(body.into()))
                }
                other => Err(AwsError::new(400, "InvalidAction", format!("Could not find operation {other}"))),
            }
        })
    }
}

/// The configured credentials are the account's root credentials: AWS
/// answers root callers with the account id as UserId and `:root` as Arn.
fn caller_identity(ctx: &RequestContext) -> GetCallerIdentityResponse {
    let account = ctx.principal.account_id.clone();
    GetCallerIdentityResponse {
        user_id: Some(account.clone()),
        arn: Some(format!("arn:aws:iam::{account}:root")),
        account: Some(account),
    }
}
