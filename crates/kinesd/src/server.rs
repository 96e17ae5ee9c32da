//! Wiring: storage, services, the HTTP front, housekeeping, shutdown.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use aws_wire::protocol::{self, cbor::ShapeIndex};
use aws_wire::{
    eventstream, AwsError, Credential, Front, FrontConfig, JsonService, Reply, ReplyBody, RequestContext,
    StaticCredentials,
};
use futures::future::BoxFuture;
use kinesis::{Kinesis, KinesisConfig, SubscriptionEvent};
use shard_log::{FileLog, LogOptions};

use crate::config::{LogFormat, Settings, TlsMode};

/// How often stream state transitions are completed.
const HOUSEKEEPING_PERIOD: Duration = Duration::from_millis(100);
/// How long in-flight requests may take to finish on shutdown.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

pub fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Plain => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// The Kinesis service model, for awsJson-over-CBOR transcoding.
const KINESIS_MODEL: &str = include_str!("../../../models/kinesis-2013-12-02.json");

/// The Kinesis service behind the awsJson front (JSON and CBOR).
struct KinesisJson {
    kinesis: Kinesis,
    shapes: Arc<ShapeIndex>,
}

impl JsonService for KinesisJson {
    fn signing_name(&self) -> &'static str {
        "kinesis"
    }

    fn target_prefix(&self) -> &'static str {
        "Kinesis_20131202"
    }

    fn cbor_shapes(&self) -> Option<Arc<ShapeIndex>> {
        Some(self.shapes.clone())
    }

    fn has_operation(&self, operation: &str) -> bool {
        kinesis::is_operation(operation)
    }

    fn call(&self, ctx: RequestContext, body: bytes::Bytes) -> BoxFuture<'static, Result<Reply, AwsError>> {
        let kinesis = self.kinesis.clone();
        if ctx.operation == "SubscribeToShard" {
            let shapes = ctx.cbor.then(|| self.shapes.clone());
            return Box::pin(subscribe(kinesis, body, shapes));
        }
        Box::pin(async move {
            match kinesis.call(&ctx.operation, &body).await {
                Ok(out) => Ok(Reply::json(out.into())),
                Err(e) => Err(AwsError::new(e.status, e.code, e.message)),
            }
        })
    }
}

/// SubscribeToShard as an `application/vnd.amazon.eventstream` response:
/// an `initial-response` event first (boto3 requires it), then the events;
/// payloads in JSON, or in CBOR when the request came as CBOR.
async fn subscribe(kinesis: Kinesis, body: bytes::Bytes, cbor: Option<Arc<ShapeIndex>>) -> Result<Reply, AwsError> {
    use futures::StreamExt;
    let events = kinesis.subscribe_to_shard(&body).await.map_err(|e| AwsError::new(e.status, e.code, e.message))?;
    let content_type = if cbor.is_some() { protocol::cbor::CONTENT_TYPE } else { "application/json" };
    let encode = move |json: &[u8], shape: Option<&str>| -> Vec<u8> {
        match &cbor {
            None => json.to_vec(),
            Some(shapes) => protocol::cbor::json_to_cbor(json, shapes, shape).unwrap_or_else(|message| {
                tracing::error!(message, "cannot encode an event as CBOR");
                Vec::new()
            }),
        }
    };
    let initial = eventstream::event("initial-response", content_type, &encode(b"{}", None));
    let frames = events.map(move |event| match event {
        SubscriptionEvent::Event(json) => {
            eventstream::event("SubscribeToShardEvent", content_type, &encode(&json, Some("SubscribeToShardEvent")))
        }
        SubscriptionEvent::Error { code, message } => {
            let payload = format!("{{\"message\":{}}}", serde_json_string(&message));
            eventstream::exception(code, content_type, &encode(payload.as_bytes(), None))
        }
    });
    Ok(Reply {
        status: http::StatusCode::OK,
        content_type: Some(eventstream::CONTENT_TYPE),
        headers: Vec::new(),
        body: ReplyBody::Stream(futures::stream::once(async move { initial }).chain(frames).boxed()),
    })
}

/// A JSON string literal.
fn serde_json_string(text: &str) -> String {
    serde_json::Value::String(text.to_string()).to_string()
}

/// The awsQuery transcoding model of a service.
fn query_model(name: &str, model_json: &str) -> Result<Arc<aws_wire::QueryModel>, String> {
    aws_wire::QueryModel::from_model(model_json).map(Arc::new).map_err(|e| format!("bad {name} model: {e}"))
}

pub async fn serve(settings: Settings) -> Result<(), String> {
    let started = std::time::Instant::now();
    let log_options = LogOptions { durability: settings.durability, ..LogOptions::default() };
    let log = FileLog::open(&settings.data_dir, log_options).map_err(|e| format!("cannot open the shard log: {e}"))?;
    let log = Arc::new(log);
    let kinesis_config = KinesisConfig {
        region: settings.region.clone(),
        account_id: settings.account_id.clone(),
        transition_delay: settings.transition_delay,
        shard_limit: settings.shard_limit,
        limits: settings.limits,
        on_demand: settings.on_demand,
        ..KinesisConfig::default()
    };
    let kinesis = Kinesis::open(&settings.data_dir, kinesis_config, log.clone()).map_err(|e| e.message)?;
    let credentials = settings
        .credentials
        .iter()
        .map(|c| Credential {
            access_key_id: c.access_key_id.clone(),
            secret_access_key: c.secret_access_key.clone(),
            account_id: settings.account_id.clone(),
        })
        .collect();
    let (region, account) = (settings.region.clone(), settings.account_id.clone());
    let iam = iam::Iam::open(&settings.data_dir, region.clone(), account.clone())?;
    let mut front_config = FrontConfig::new(iam.credential_store(StaticCredentials::new(credentials)));
    front_config.drain_timeout = DRAIN_TIMEOUT;
    let mut front = Front::new(front_config);
    let shapes = Arc::new(ShapeIndex::from_model(KINESIS_MODEL).map_err(|e| format!("bad Kinesis model: {e}"))?);
    front.register_json(Arc::new(KinesisJson { kinesis: kinesis.clone(), shapes }));
    front.register_query(Arc::new(sts::Sts::new(iam.clone())), query_model("STS", sts::MODEL)?);
    front.register_query(Arc::new(iam.clone()), query_model("IAM", iam::MODEL)?);
    let sns = sns::Sns::open(&settings.data_dir, region.clone(), account.clone())?;
    front.register_query(Arc::new(sns), query_model("SNS", sns::MODEL)?);
    let cloudwatch = cloudwatch::CloudWatch::open(&settings.data_dir, region.clone(), account.clone())?;
    front.register_query(Arc::new(cloudwatch.clone()), query_model("CloudWatch", cloudwatch::MODEL)?);
    front.register_rest(Arc::new(s3::S3::open(&settings.data_dir, region.clone(), account.clone())?));
    front.register_json(Arc::new(kms::Kms::open(
        &settings.data_dir,
        settings.region.clone(),
        settings.account_id.clone(),
    )?));
    front.register_json(Arc::new(firehose::Firehose::open(
        &settings.data_dir,
        settings.region.clone(),
        settings.account_id.clone(),
    )?));
    front.register_json(Arc::new(logs::Logs::open(
        &settings.data_dir,
        settings.region.clone(),
        settings.account_id.clone(),
    )?));
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", settings.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    {
        // The first stdout line tells scripts and tests where to connect.
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "kinesd listening on http://{addr}");
        let _ = out.flush();
    }
    tracing::info!(%addr, data_dir = %settings.data_dir.display(), startup_ms = started.elapsed().as_millis() as u64, "kinesd ready");
    let housekeeping = tokio::spawn(housekeeping(kinesis.clone(), cloudwatch));
    let subscriptions = kinesis.clone();
    let shutdown = async move {
        shutdown_signal().await;
        subscriptions.end_subscriptions();
    };
    let tls = match &settings.tls {
        TlsMode::Off => None,
        TlsMode::Files { cert, key } => {
            Some(aws_wire::tls::from_pem_files(cert, key).map_err(|e| format!("cannot load TLS certificate: {e}"))?)
        }
        TlsMode::SelfSigned => {
            let hosts = vec!["localhost".to_string(), "127.0.0.1".to_string(), addr.ip().to_string()];
            let dir = settings.data_dir.join("tls");
            let acceptor = aws_wire::tls::self_signed(&dir, &hosts)
                .map_err(|e| format!("cannot create a self-signed certificate: {e}"))?;
            tracing::info!(cert = %dir.join("cert.pem").display(), "serving TLS with a self-signed certificate");
            Some(acceptor)
        }
    };
    let result = aws_wire::serve_tls(listener, Arc::new(front), tls, shutdown).await;
    housekeeping.abort();
    tracing::info!("shutting down: flushing the shard log");
    let flushed = tokio::task::spawn_blocking(move || log.shutdown()).await;
    result.map_err(|e| format!("server error: {e}"))?;
    match flushed {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(format!("flush on shutdown failed: {e}")),
        Err(e) => Err(format!("flush on shutdown panicked: {e}")),
    }
}

/// How often freed heap memory is handed back to the OS: large GetRecords
/// and PutRecords bodies leave glibc's arenas holding tens of MB otherwise.
const MEMORY_TRIM_PERIOD: Duration = Duration::from_secs(5);

/// How often the Kinesis metrics of finished minutes are stored in CloudWatch.
const METRICS_FLUSH_PERIOD: Duration = Duration::from_secs(10);

/// Stores the Kinesis metrics of finished minutes in CloudWatch (namespace `AWS/Kinesis`),
/// as statistic sets with dimensions StreamName (and ShardId for shard-level metrics).
fn publish_kinesis_metrics(kinesis: &Kinesis, cloudwatch: &cloudwatch::CloudWatch) {
    let samples = kinesis.drain_metrics();
    let points: Vec<cloudwatch::MetricPoint> = samples
        .into_iter()
        .map(|sample| {
            let mut dimensions = vec![("StreamName".to_string(), sample.stream_name)];
            if let Some(shard) = sample.shard_id {
                dimensions.push(("ShardId".to_string(), shard));
            }
            cloudwatch::MetricPoint {
                metric_name: sample.metric_name.to_string(),
                dimensions,
                timestamp: aws_model::Timestamp::from_millis(sample.minute_ms),
                value: sample.sum,
                statistics: Some(aws_model::cloudwatch::StatisticSet {
                    sample_count: Some(sample.sample_count),
                    sum: Some(sample.sum),
                    minimum: Some(sample.minimum),
                    maximum: Some(sample.maximum),
                }),
                unit: match sample.unit {
                    kinesis::metrics::Unit::Bytes => aws_model::cloudwatch::StandardUnit::Bytes,
                    kinesis::metrics::Unit::Count => aws_model::cloudwatch::StandardUnit::Count,
                    kinesis::metrics::Unit::Milliseconds => aws_model::cloudwatch::StandardUnit::Milliseconds,
                },
            }
        })
        .collect();
    for chunk in points.chunks(cloudwatch::limits::PUT_METRIC_DATA_ITEMS_MAX) {
        if let Err(e) = cloudwatch.put_metric_points(kinesis::metrics::NAMESPACE, chunk) {
            tracing::error!(error = %e.message, "cannot store Kinesis metrics in CloudWatch");
        }
    }
}

/// Completes stream transitions, deletes expired segments and publishes Kinesis metrics, forever.
async fn housekeeping(kinesis: Kinesis, cloudwatch: cloudwatch::CloudWatch) {
    let retention_period = KinesisConfig::default().retention_sweep_interval;
    let mut last_sweep = std::time::Instant::now();
    let mut last_trim = std::time::Instant::now();
    let mut last_metrics = std::time::Instant::now();
    let mut tick = tokio::time::interval(HOUSEKEEPING_PERIOD);
    loop {
        tick.tick().await;
        if last_trim.elapsed() >= MEMORY_TRIM_PERIOD {
            last_trim = std::time::Instant::now();
            // SAFETY: malloc_trim only returns free heap pages to the kernel.
            unsafe { libc::malloc_trim(0) };
        }
        if last_metrics.elapsed() >= METRICS_FLUSH_PERIOD {
            last_metrics = std::time::Instant::now();
            let (k, cw) = (kinesis.clone(), cloudwatch.clone());
            let _ = tokio::task::spawn_blocking(move || publish_kinesis_metrics(&k, &cw)).await;
        }
        let k = kinesis.clone();
        let sweep = last_sweep.elapsed() >= retention_period;
        if sweep {
            last_sweep = std::time::Instant::now();
        }
        let outcome = tokio::task::spawn_blocking(move || {
            k.housekeeping()?;
            if sweep {
                k.enforce_retention()?;
            }
            Ok::<(), kinesis::KinesisError>(())
        })
        .await;
        if let Ok(Err(e)) = outcome {
            tracing::error!(error = %e.message, "housekeeping failed");
        }
    }
}

/// Resolves on SIGTERM or SIGINT.
async fn shutdown_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = term.recv() => tracing::info!("SIGTERM received"),
        _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT received"),
    }
}
