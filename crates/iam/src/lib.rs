//! The IAM service of kinesd (awsQuery): roles, policies, users, access keys. (Skeleton: operations arrive with issue 6.)

use std::path::Path;
use std::sync::Arc;

use aws_wire::{AwsError, JsonService, Reply, RequestContext};
use futures::future::BoxFuture;

/// The service model (botocore), for the awsQuery transcoding.
pub const MODEL: &str = include_str!("../../../models/iam-2010-05-08.json");

/// The operations this service implements.
const OPERATIONS: &[&str] = &[];

/// The service.
#[derive(Clone)]
pub struct Iam {
    #[allow(dead_code)]
    inner: Arc<Inner>,
}

struct Inner {
    #[allow(dead_code)]
    region: String,
    #[allow(dead_code)]
    account: String,
    #[allow(dead_code)]
    store: docstore::DocStore,
}

impl Iam {
    /// Opens (creating on first start) the service's state under `data_dir`.
    pub fn open(data_dir: &Path, region: impl Into<String>, account: impl Into<String>) -> Result<Iam, String> {
        std::fs::create_dir_all(data_dir).map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
        let store = docstore::DocStore::open(&data_dir.join("iam.db")).map_err(|e| e.to_string())?;
        Ok(Iam { inner: Arc::new(Inner { region: region.into(), account: account.into(), store }) })
    }

    /// The credentials requests may be signed with: `base` (the configured keys) plus the
    /// access keys IAM issued and the temporary credentials STS issued.
    pub fn credential_store(&self, base: aws_wire::StaticCredentials) -> Arc<dyn aws_wire::CredentialStore> {
        Arc::new(base)
    }
}

impl JsonService for Iam {
    fn signing_name(&self) -> &'static str {
        "iam"
    }

    fn target_prefix(&self) -> &'static str {
        "AWSIdentityManagementV20100508"
    }

    fn json_version(&self) -> &'static str {
        "1.1"
    }

    fn speaks_json(&self) -> bool {
        false
    }

    fn has_operation(&self, operation: &str) -> bool {
        OPERATIONS.contains(&operation)
    }

    fn call(&self, ctx: RequestContext, _body: bytes::Bytes) -> BoxFuture<'static, Result<Reply, AwsError>> {
        Box::pin(async move {
            Err(AwsError::new(400, "InvalidAction", format!("Could not find operation {}", ctx.operation)))
        })
    }
}
