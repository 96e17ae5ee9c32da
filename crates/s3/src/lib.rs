//! The S3 service of kinesd (rest-xml, path-style and virtual-host style). (Skeleton: arrives with issue 6.)

use std::path::Path;
use std::sync::Arc;

use aws_wire::protocol::RenderedError;
use aws_wire::{AwsError, Reply, RequestContext, RestService};
use futures::future::BoxFuture;

/// Largest request body (one PutObject or UploadPart).
pub const BODY_BYTES_MAX: usize = 64 * 1024 * 1024;

/// The service.
#[derive(Clone)]
pub struct S3 {
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

impl S3 {
    /// Opens (creating on first start) the service's state under `data_dir`.
    pub fn open(data_dir: &Path, region: impl Into<String>, account: impl Into<String>) -> Result<S3, String> {
        std::fs::create_dir_all(data_dir).map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
        let store = docstore::DocStore::open(&data_dir.join("s3.db")).map_err(|e| e.to_string())?;
        Ok(S3 { inner: Arc::new(Inner { region: region.into(), account: account.into(), store }) })
    }
}

impl RestService for S3 {
    fn signing_name(&self) -> &'static str {
        "s3"
    }

    fn body_bytes_max(&self) -> usize {
        BODY_BYTES_MAX
    }

    fn call(
        &self,
        _ctx: RequestContext,
        _method: http::Method,
        _uri: http::Uri,
        _body: bytes::Bytes,
    ) -> BoxFuture<'static, Result<Reply, AwsError>> {
        Box::pin(async move { Err(AwsError::new(501, "NotImplemented", "S3 arrives with issue 6.")) })
    }

    fn render_error(
        &self,
        error: &AwsError,
        request_id: &str,
        _method: &http::Method,
        _uri: &http::Uri,
    ) -> RenderedError {
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{}</Code><Message>{}</Message><RequestId>{request_id}</RequestId></Error>",
            aws_wire::protocol::query::escape(&error.code),
            aws_wire::protocol::query::escape(&error.message)
        );
        RenderedError { status: error.status, content_type: Some("application/xml"), body: body.into() }
    }
}
