//! STS over awsQuery: GetCallerIdentity answers for the signing access key
//! (the Terraform provider calls it unless `skip_credentials_validation`).
//! AssumeRole and temporary credentials arrive with IAM.

use aws_wire::protocol::query::escape;
use aws_wire::{AwsError, QueryService, RequestContext};
use futures::future::BoxFuture;

/// The STS API version clients send.
pub const VERSION: &str = "2011-06-15";
const NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";
const ACTIONS: &[&str] = &["GetCallerIdentity"];

/// The STS service.
#[derive(Debug, Default, Clone, Copy)]
pub struct Sts;

impl QueryService for Sts {
    fn signing_name(&self) -> &'static str {
        "sts"
    }

    fn xml_namespace(&self) -> &'static str {
        NAMESPACE
    }

    fn version(&self) -> &'static str {
        VERSION
    }

    fn has_action(&self, action: &str) -> bool {
        ACTIONS.contains(&action)
    }

    fn call(
        &self,
        ctx: RequestContext,
        _params: Vec<(String, String)>,
    ) -> BoxFuture<'static, Result<String, AwsError>> {
        Box::pin(async move {
            match ctx.operation.as_str() {
                "GetCallerIdentity" => Ok(caller_identity(&ctx)),
                other => Err(aws_wire::protocol::query::invalid_action(other, VERSION)),
            }
        })
    }
}

/// The configured credentials are the account's root credentials: AWS
/// answers root callers with the account id as UserId and `:root` as Arn.
fn caller_identity(ctx: &RequestContext) -> String {
    let account = escape(&ctx.principal.account_id);
    format!("<UserId>{account}</UserId><Account>{account}</Account><Arn>arn:aws:iam::{account}:root</Arn>")
}
