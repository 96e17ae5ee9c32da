//! HTTP/S delivery in the background: Publish and Subscribe hand over jobs
//! (one POST to one subscriber) and return; each job runs in a tokio task that
//! retries as the subscription's delivery policy says (AWS's default: three
//! retries 20 seconds apart) and then gives up, logging the outcome.
//!
//! Bounds: [`DELIVERIES_PENDING_MAX`] jobs and [`DELIVERY_BYTES_PENDING_MAX`]
//! bytes of bodies may wait (being sent or between retries); a batch of jobs
//! that does not fit is refused whole, and Publish answers `Throttled`. At
//! most [`DELIVERY_CONNECTIONS_MAX`] requests are in flight, each bounded by
//! [`DELIVERY_ATTEMPT_TIMEOUT`]. 2xx is delivered; 429, 5xx, timeouts and
//! connection failures are retried; other statuses are final.
//!
//! Jobs are journaled: each is written to the service's store (one
//! transaction, fsynced, per batch) before Publish answers, and removed when
//! it ends (delivered, refused or given up). On start the journal's jobs are
//! sent again, so a restart or crash delivers at least once, as SNS does.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::attributes::RetryPolicy;
use crate::envelope::MessageType;

/// Deliveries that may wait at once (being sent or between retries).
pub const DELIVERIES_PENDING_MAX: usize = 10_000;
/// Body bytes the waiting deliveries may hold.
pub const DELIVERY_BYTES_PENDING_MAX: usize = 64 * 1024 * 1024;
/// Requests to subscribers in flight at once.
pub const DELIVERY_CONNECTIONS_MAX: usize = 64;
/// How long one POST may take, connecting included (AWS's HTTP/S timeout).
pub const DELIVERY_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(15);
/// How long an idle connection to a subscriber is kept for the next delivery.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// Accounting unit of [`DELIVERY_BYTES_PENDING_MAX`] (semaphore permits are u32).
const BYTES_PER_PERMIT: usize = 1024;
/// The User-Agent AWS sends.
const USER_AGENT: &str = "Amazon Simple Notification Service Agent";

type HttpClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

/// The store kind of journaled jobs.
const JOURNAL_KIND: &str = "delivery";

/// One POST to one subscriber.
#[derive(Debug, Clone)]
pub struct Job {
    pub endpoint: http::Uri,
    pub message_type: MessageType,
    pub message_id: String,
    pub topic_arn: String,
    pub subscription_arn: String,
    pub body: Bytes,
    pub content_type: String,
    /// Raw message delivery (`x-amz-sns-rawdelivery: true`).
    pub raw: bool,
    pub retry: RetryPolicy,
}

/// A job as journaled.
#[derive(serde::Serialize, serde::Deserialize)]
struct JobRecord {
    endpoint: String,
    message_type: MessageType,
    message_id: String,
    topic_arn: String,
    subscription_arn: String,
    body: String,
    content_type: String,
    raw: bool,
    retry: RetryPolicy,
}

impl JobRecord {
    fn of(job: &Job) -> JobRecord {
        JobRecord {
            endpoint: job.endpoint.to_string(),
            message_type: job.message_type,
            message_id: job.message_id.clone(),
            topic_arn: job.topic_arn.clone(),
            subscription_arn: job.subscription_arn.clone(),
            body: String::from_utf8_lossy(&job.body).into_owned(),
            content_type: job.content_type.clone(),
            raw: job.raw,
            retry: job.retry,
        }
    }

    fn job(self) -> Option<Job> {
        Some(Job {
            endpoint: self.endpoint.parse().ok()?,
            message_type: self.message_type,
            message_id: self.message_id,
            topic_arn: self.topic_arn,
            subscription_arn: self.subscription_arn,
            body: Bytes::from(self.body),
            content_type: self.content_type,
            raw: self.raw,
            retry: self.retry,
        })
    }
}

/// Why a batch of jobs was not started.
#[derive(Debug)]
pub enum SubmitError {
    /// The queue had no room for all of them.
    Full,
    /// The journal could not be written.
    Journal(String),
}

/// The delivery queue had no room for a batch of jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueFull;

/// Runs deliveries; cheap to share.
pub struct Deliverer {
    pending: Arc<Semaphore>,
    pending_bytes: Arc<Semaphore>,
    connections: Arc<Semaphore>,
    client: OnceLock<HttpClient>,
    /// Where jobs are journaled (None: in memory only, for tests).
    journal: Option<Arc<docstore::DocStore>>,
}

impl Default for Deliverer {
    fn default() -> Self {
        Deliverer {
            pending: Arc::new(Semaphore::new(DELIVERIES_PENDING_MAX)),
            pending_bytes: Arc::new(Semaphore::new(DELIVERY_BYTES_PENDING_MAX / BYTES_PER_PERMIT)),
            connections: Arc::new(Semaphore::new(DELIVERY_CONNECTIONS_MAX)),
            client: OnceLock::new(),
            journal: None,
        }
    }
}

/// The room one job holds in the queue until it ends.
struct Reservation {
    _job: OwnedSemaphorePermit,
    _bytes: OwnedSemaphorePermit,
}

impl Deliverer {
    /// A deliverer journaling its jobs in `journal`.
    pub fn journaled(journal: Arc<docstore::DocStore>) -> Deliverer {
        Deliverer { journal: Some(journal), ..Deliverer::default() }
    }

    /// Journals every job and starts it in the background, or does neither when the queue
    /// lacks room for all of them. Must run inside the tokio runtime; the journal write
    /// (one fsynced transaction) runs on the blocking pool.
    pub async fn submit(&self, jobs: Vec<Job>) -> Result<(), SubmitError> {
        if jobs.is_empty() {
            return Ok(());
        }
        let reservations = self.reserve(&jobs).map_err(|QueueFull| SubmitError::Full)?;
        let mut keyed = Vec::with_capacity(jobs.len());
        for job in jobs {
            keyed.push((uuid::Uuid::new_v4().to_string(), job));
        }
        if let Some(journal) = &self.journal {
            let journal = journal.clone();
            let records: Vec<(String, JobRecord)> = keyed.iter().map(|(k, j)| (k.clone(), JobRecord::of(j))).collect();
            tokio::task::spawn_blocking(move || {
                journal.batch(|batch| {
                    for (key, record) in &records {
                        batch.put(JOURNAL_KIND, key, record)?;
                    }
                    Ok::<(), docstore::Error>(())
                })
            })
            .await
            .map_err(|e| SubmitError::Journal(e.to_string()))?
            .map_err(|e| SubmitError::Journal(e.to_string()))?;
        }
        self.start(keyed, reservations);
        Ok(())
    }

    /// Sends again the jobs a previous run journaled and did not finish (at most
    /// [`DELIVERIES_PENDING_MAX`]); how many. Must run inside the tokio runtime.
    pub fn resume(&self) -> Result<usize, String> {
        let Some(journal) = &self.journal else {
            return Ok(0);
        };
        let records: Vec<(String, JobRecord)> =
            journal.list(JOURNAL_KIND, "", None, DELIVERIES_PENDING_MAX).map_err(|e| e.to_string())?;
        let mut keyed = Vec::new();
        for (key, record) in records {
            match record.job() {
                Some(job) => keyed.push((key, job)),
                None => {
                    journal.delete(JOURNAL_KIND, &key).map_err(|e| e.to_string())?;
                }
            }
        }
        let jobs: Vec<Job> = keyed.iter().map(|(_, j)| j.clone()).collect();
        let reservations = self.reserve(&jobs).map_err(|QueueFull| "the delivery queue is full".to_string())?;
        let count = keyed.len();
        self.start(keyed, reservations);
        Ok(count)
    }

    /// Room in the queue for every job, or none.
    fn reserve(&self, jobs: &[Job]) -> Result<Vec<Reservation>, QueueFull> {
        let mut reservations = Vec::with_capacity(jobs.len());
        for job in jobs {
            let permits = u32::try_from(job.body.len().div_ceil(BYTES_PER_PERMIT).max(1)).map_err(|_| QueueFull)?;
            let reserved = self
                .pending
                .clone()
                .try_acquire_owned()
                .ok()
                .zip(self.pending_bytes.clone().try_acquire_many_owned(permits).ok());
            match reserved {
                Some((job, bytes)) => reservations.push(Reservation { _job: job, _bytes: bytes }),
                // Dropping the reservations made so far gives their room back.
                None => return Err(QueueFull),
            }
        }
        Ok(reservations)
    }

    fn start(&self, keyed: Vec<(String, Job)>, reservations: Vec<Reservation>) {
        let client = self.client.get_or_init(build_client).clone();
        for ((key, job), reservation) in keyed.into_iter().zip(reservations) {
            let done = Done { journal: self.journal.clone(), key };
            tokio::spawn(run(client.clone(), self.connections.clone(), job, (reservation, done)));
        }
    }

    /// Deliveries waiting now.
    #[cfg(test)]
    pub fn pending(&self) -> usize {
        DELIVERIES_PENDING_MAX - self.pending.available_permits()
    }
}

fn build_client() -> HttpClient {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = match hyper_rustls::HttpsConnectorBuilder::new().with_provider_and_native_roots(provider.clone()) {
        Ok(builder) => builder,
        Err(error) => {
            tracing::warn!(%error, "no system trust roots: deliveries to https endpoints will fail");
            let config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .expect("the ring provider supports rustls' default protocol versions")
                .with_root_certificates(rustls::RootCertStore::empty())
                .with_no_client_auth();
            hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(config)
        }
    };
    let connector = builder.https_or_http().enable_http1().build();
    Client::builder(TokioExecutor::new())
        .pool_idle_timeout(POOL_IDLE_TIMEOUT)
        .pool_timer(TokioTimer::new())
        .build(connector)
}

/// How one attempt ended.
#[derive(Debug)]
enum Attempt {
    Delivered,
    /// A final answer (4xx but 429, 3xx): not retried.
    Refused(http::StatusCode),
    /// Worth retrying.
    Failed(String),
}

/// Removes a job from the journal once it has ended (delivered, refused or given up). A task
/// dropped unfinished (the server stopping) leaves its job journaled, to be sent again.
struct Done {
    journal: Option<Arc<docstore::DocStore>>,
    key: String,
}

impl Done {
    async fn finish(self) {
        let Some(journal) = self.journal else {
            return;
        };
        let key = self.key;
        let removed = tokio::task::spawn_blocking(move || journal.delete(JOURNAL_KIND, &key)).await;
        if !matches!(removed, Ok(Ok(_))) {
            tracing::error!("cannot remove a finished sns delivery from the journal");
        }
    }
}

async fn run(client: HttpClient, connections: Arc<Semaphore>, job: Job, (reservation, done): (Reservation, Done)) {
    let attempts = job.retry.num_retries + 1;
    let mut last = String::new();
    for attempt in 0..attempts {
        if attempt > 0 {
            tokio::time::sleep(job.retry.delay_before_retry(attempt)).await;
        }
        let outcome = match connections.acquire().await {
            Ok(_connection) => send(&client, &job).await,
            Err(_) => return, // the semaphore is never closed
        };
        match outcome {
            Attempt::Delivered => {
                tracing::debug!(
                    subscription = %job.subscription_arn,
                    message_id = %job.message_id,
                    kind = job.message_type.as_str(),
                    attempts = attempt + 1,
                    "sns delivery done"
                );
                done.finish().await;
                return;
            }
            Attempt::Refused(status) => {
                tracing::warn!(
                    subscription = %job.subscription_arn,
                    message_id = %job.message_id,
                    status = status.as_u16(),
                    "sns delivery refused by the endpoint; not retried"
                );
                done.finish().await;
                return;
            }
            Attempt::Failed(why) => last = why,
        }
    }
    tracing::warn!(
        subscription = %job.subscription_arn,
        message_id = %job.message_id,
        attempts,
        error = %last,
        "sns delivery failed; giving up"
    );
    done.finish().await;
    drop(reservation);
}

async fn send(client: &HttpClient, job: &Job) -> Attempt {
    let mut request = http::Request::post(job.endpoint.clone())
        .header("x-amz-sns-message-type", job.message_type.as_str())
        .header("x-amz-sns-message-id", &job.message_id)
        .header("x-amz-sns-topic-arn", &job.topic_arn)
        .header("x-amz-sns-subscription-arn", &job.subscription_arn)
        .header(http::header::CONTENT_TYPE, &job.content_type)
        .header(http::header::USER_AGENT, USER_AGENT);
    if job.raw {
        request = request.header("x-amz-sns-rawdelivery", "true");
    }
    let request = match request.body(Full::new(job.body.clone())) {
        Ok(request) => request,
        Err(e) => return Attempt::Refused(bad_request_status(&e)),
    };
    match tokio::time::timeout(DELIVERY_ATTEMPT_TIMEOUT, client.request(request)).await {
        Err(_) => Attempt::Failed(format!("no answer within {DELIVERY_ATTEMPT_TIMEOUT:?}")),
        Ok(Err(e)) => Attempt::Failed(e.to_string()),
        Ok(Ok(response)) => {
            let status = response.status();
            if status.is_success() {
                Attempt::Delivered
            } else if status.is_server_error() || status == http::StatusCode::TOO_MANY_REQUESTS {
                Attempt::Failed(format!("HTTP {status}"))
            } else {
                Attempt::Refused(status)
            }
        }
    }
}

/// A request that cannot be built (a header value the topic ARN cannot
/// have) is logged as refused with 400: retrying would not help.
fn bad_request_status(error: &http::Error) -> http::StatusCode {
    tracing::error!(%error, "cannot build an sns delivery request");
    http::StatusCode::BAD_REQUEST
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn job(endpoint: &str, body: &'static str, retry: RetryPolicy) -> Job {
        Job {
            endpoint: endpoint.parse().unwrap(),
            message_type: MessageType::Notification,
            message_id: "m-1".into(),
            topic_arn: "arn:aws:sns:us-east-1:123456789012:t".into(),
            subscription_arn: "arn:aws:sns:us-east-1:123456789012:t:s".into(),
            body: Bytes::from_static(body.as_bytes()),
            content_type: "text/plain; charset=UTF-8".into(),
            raw: false,
            retry,
        }
    }

    /// Answers `statuses` in turn, one connection per request; sends each request's text on `tx`.
    async fn endpoint(statuses: Vec<u16>) -> (String, tokio::sync::mpsc::UnboundedReceiver<String>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            for status in statuses {
                let (mut socket, _) = listener.accept().await.unwrap();
                let mut buf = vec![0; 65536];
                let mut text = String::new();
                while !text.contains("\r\n\r\n") || !text.ends_with("body") {
                    let n = socket.read(&mut buf).await.unwrap();
                    if n == 0 {
                        break;
                    }
                    text.push_str(std::str::from_utf8(&buf[..n]).unwrap());
                }
                let answer = format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
                socket.write_all(answer.as_bytes()).await.unwrap();
                tx.send(text).unwrap();
            }
        });
        (url, rx)
    }

    fn immediate(retries: u32) -> RetryPolicy {
        RetryPolicy { num_retries: retries, num_no_delay_retries: retries, ..RetryPolicy::AWS_DEFAULT }
    }

    #[tokio::test]
    async fn posts_with_sns_headers_and_retries_server_errors() {
        let (url, mut rx) = endpoint(vec![500, 503, 200]).await;
        let deliverer = Deliverer::default();
        deliverer.submit(vec![job(&url, "the body", immediate(3))]).await.unwrap();
        for _ in 0..3 {
            let request = tokio::time::timeout(Duration::from_secs(10), rx.recv()).await.unwrap().unwrap();
            assert!(request.starts_with("POST /hook HTTP/1.1\r\n"), "{request}");
            let lower = request.to_ascii_lowercase();
            assert!(lower.contains("x-amz-sns-message-type: notification"), "{request}");
            assert!(lower.contains("x-amz-sns-message-id: m-1"), "{request}");
            assert!(lower.contains("x-amz-sns-topic-arn: arn:aws:sns:us-east-1:123456789012:t"));
            assert!(lower.contains("content-type: text/plain; charset=utf-8"));
            assert!(request.ends_with("the body"));
        }
        for _ in 0..100 {
            if deliverer.pending() == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the delivery still holds its room after success");
    }

    #[tokio::test]
    async fn client_errors_are_not_retried() {
        let (url, mut rx) = endpoint(vec![404, 200]).await;
        let deliverer = Deliverer::default();
        deliverer.submit(vec![job(&url, "body", immediate(3))]).await.unwrap();
        tokio::time::timeout(Duration::from_secs(10), rx.recv()).await.unwrap().unwrap();
        assert!(tokio::time::timeout(Duration::from_millis(300), rx.recv()).await.is_err(), "a 404 was retried");
    }

    #[tokio::test]
    async fn a_batch_that_does_not_fit_is_refused_whole() {
        let deliverer = Deliverer::default();
        let big = Bytes::from(vec![b'x'; DELIVERY_BYTES_PENDING_MAX / 2 + 1]);
        // A port nobody listens on: the jobs stay pending while they retry.
        let mut slow = job("http://127.0.0.1:9/", "", RetryPolicy { num_retries: 1, ..RetryPolicy::AWS_DEFAULT });
        slow.body = big;
        deliverer.submit(vec![slow.clone()]).await.unwrap();
        assert!(matches!(
            deliverer.submit(vec![job("http://127.0.0.1:9/", "x", immediate(0)), slow]).await,
            Err(SubmitError::Full)
        ));
        assert_eq!(deliverer.pending(), 1, "the refused batch kept no room");
    }
}
