//! The CloudWatch service of kinesd (awsQuery, and awsJson 1.0 for boto3): alarms and metrics. (Skeleton: operations arrive with issue 6.)

use std::path::Path;
use std::sync::Arc;

use aws_wire::{AwsError, JsonService, Reply, RequestContext};
use futures::future::BoxFuture;

/// The service model (botocore), for the awsQuery transcoding.
pub const MODEL: &str = include_str!("../../../models/cloudwatch-2010-08-01.json");

/// The operations this service implements.
const OPERATIONS: &[&str] = &[];

/// The service.
#[derive(Clone)]
pub struct CloudWatch {
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

impl CloudWatch {
    /// Opens (creating on first start) the service's state under `data_dir`.
    pub fn open(data_dir: &Path, region: impl Into<String>, account: impl Into<String>) -> Result<CloudWatch, String> {
        std::fs::create_dir_all(data_dir).map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
        let store = docstore::DocStore::open(&data_dir.join("cloudwatch.db")).map_err(|e| e.to_string())?;
        Ok(CloudWatch { inner: Arc::new(Inner { region: region.into(), account: account.into(), store }) })
    }
}

impl JsonService for CloudWatch {
    fn signing_name(&self) -> &'static str {
        "monitoring"
    }

    fn target_prefix(&self) -> &'static str {
        "GraniteServiceVersion20100801"
    }

    fn json_version(&self) -> &'static str {
        "1.0"
    }

    fn speaks_json(&self) -> bool {
        true
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
