//! The accept loop: one task per connection, HTTP/1.1 and HTTP/2 cleartext (prior knowledge)
//! on the same port, a bound on open connections, and a graceful, time-bounded shutdown.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::front::Front;
use crate::tls::{TlsAcceptor, TLS_HANDSHAKE_BYTE};

/// Time allowed for a client to send a request's headers on HTTP/1.1 (slow-loris bound).
pub const H1_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest number of headers in one HTTP/1.1 request.
pub const H1_HEADERS_MAX: usize = 128;
/// Largest HTTP/1.1 read buffer, which bounds the size of a request head.
pub const H1_READ_BUFFER_BYTES_MAX: usize = 64 * 1024;
/// Concurrent streams one HTTP/2 connection may open.
pub const H2_STREAMS_PER_CONNECTION_MAX: u32 = 128;
/// Largest decoded header list of one HTTP/2 request.
pub const H2_HEADER_LIST_BYTES_MAX: u32 = 64 * 1024;
/// Pause after a failed accept (e.g. out of file descriptors) before trying again.
const ACCEPT_ERROR_BACKOFF: Duration = Duration::from_millis(100);

/// Serves until `shutdown` resolves; then stops accepting, lets in-flight requests finish (bounded by drain_timeout), returns.
pub async fn serve(
    listener: TcpListener,
    front: Arc<Front>,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    serve_tls(listener, front, None, shutdown).await
}

/// [`serve`], also accepting TLS on the same port when `tls` is given: a
/// connection opening with a TLS handshake is served over TLS.
pub async fn serve_tls(
    listener: TcpListener,
    front: Arc<Front>,
    tls: Option<TlsAcceptor>,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let builder = Arc::new(connection_builder());
    let graceful = GracefulShutdown::new();
    let permits = Arc::new(Semaphore::new(front.connections_max()));
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);

    loop {
        while connections.try_join_next().is_some() {}
        // Taking the permit before accepting leaves excess clients in the kernel's backlog.
        let permit = tokio::select! {
            () = &mut shutdown => break,
            permit = permits.clone().acquire_owned() => permit.expect("the connection semaphore is never closed"),
        };
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(ACCEPT_ERROR_BACKOFF).await;
                    continue;
                }
            },
        };
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%peer, %error, "could not set TCP_NODELAY");
        }
        let (front, builder, watcher, tls) = (front.clone(), builder.clone(), graceful.watcher(), tls.clone());
        connections.spawn(async move {
            let service = service_fn(move |request: hyper::Request<Incoming>| {
                let front = front.clone();
                async move { Ok::<_, Infallible>(front.handle(request).await) }
            });
            let mut first = [0u8; 1];
            let peeked = tokio::time::timeout(H1_HEADER_READ_TIMEOUT, stream.peek(&mut first)).await;
            let is_tls = matches!(peeked, Ok(Ok(1))) && first[0] == TLS_HANDSHAKE_BYTE;
            let outcome = match tls {
                Some(acceptor) if is_tls => {
                    match tokio::time::timeout(H1_HEADER_READ_TIMEOUT, acceptor.accept(stream)).await {
                        Ok(Ok(tls_stream)) => {
                            watcher.watch(builder.serve_connection(TokioIo::new(tls_stream), service)).await
                        }
                        Ok(Err(error)) => Err(error.into()),
                        Err(_) => Err("TLS handshake timed out".into()),
                    }
                }
                _ => watcher.watch(builder.serve_connection(TokioIo::new(stream), service)).await,
            };
            if let Err(error) = outcome {
                tracing::debug!(%peer, %error, "connection ended with an error");
            }
            drop(permit);
        });
    }

    drop(listener);
    let drain_timeout = front.config().drain_timeout;
    if tokio::time::timeout(drain_timeout, graceful.shutdown()).await.is_err() {
        tracing::warn!(?drain_timeout, open = connections.len(), "drain timed out; closing remaining connections");
        connections.abort_all();
    }
    while connections.join_next().await.is_some() {}
    Ok(())
}

/// HTTP/1.1 and HTTP/2 (detected by the connection preface) with every bound set explicitly.
fn connection_builder() -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(H1_HEADER_READ_TIMEOUT)
        .max_headers(H1_HEADERS_MAX)
        .max_buf_size(H1_READ_BUFFER_BYTES_MAX);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(H2_STREAMS_PER_CONNECTION_MAX)
        .max_header_list_size(H2_HEADER_LIST_BYTES_MAX);
    builder
}
