//! The Firehose (awsJson 1.1): delivery streams service of kinesd. (Skeleton: operations arrive with issue 6.)

use std::path::Path;
use std::sync::Arc;

use aws_wire::{AwsError, JsonService, Reply, RequestContext};
use futures::future::BoxFuture;

/// The operations this service implements.
const OPERATIONS: &[&str] = &[];

/// The service.
#[derive(Clone)]
pub struct Firehose {
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

impl Firehose {
    /// Opens (creating on first start) the service's state under `data_dir`.
    pub fn open(data_dir: &Path, region: impl Into<String>, account: impl Into<String>) -> Result<Firehose, String> {
        std::fs::create_dir_all(data_dir).map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
        let store = docstore::DocStore::open(&data_dir.join("firehose.db")).map_err(|e| e.to_string())?;
        Ok(Firehose { inner: Arc::new(Inner { region: region.into(), account: account.into(), store }) })
    }
}

impl JsonService for Firehose {
    fn signing_name(&self) -> &'static str {
        "firehose"
    }

    fn target_prefix(&self) -> &'static str {
        "Firehose_20150804"
    }

    fn has_operation(&self, operation: &str) -> bool {
        OPERATIONS.contains(&operation)
    }

    fn call(&self, ctx: RequestContext, _body: bytes::Bytes) -> BoxFuture<'static, Result<Reply, AwsError>> {
        Box::pin(async move {
            Err(AwsError::new(400, "UnknownOperationException", format!("Unknown operation {}", ctx.operation)))
        })
    }
}
