//! The handle an append returns: resolves when the batch is durable.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::sync::oneshot;

use crate::{AppendAck, Error, Result};

/// Resolves to the batch's [`AppendAck`] once it is durable; await it, or
/// call [`AppendTicket::wait`] from a plain thread.
#[derive(Debug)]
pub struct AppendTicket {
    ack: AppendAck,
    rx: Option<oneshot::Receiver<Result<()>>>,
}

impl AppendTicket {
    pub(crate) fn ready(ack: AppendAck) -> AppendTicket {
        AppendTicket { ack, rx: None }
    }

    pub(crate) fn pending(ack: AppendAck, rx: oneshot::Receiver<Result<()>>) -> AppendTicket {
        AppendTicket { ack, rx: Some(rx) }
    }

    /// Blocks the current thread until the batch is durable. Do not call it
    /// from inside an async runtime: await the ticket there.
    pub fn wait(self) -> Result<AppendAck> {
        match self.rx {
            None => Ok(self.ack),
            Some(rx) => match rx.blocking_recv() {
                Ok(result) => result.map(|()| self.ack),
                Err(_) => Err(Error::ShutDown),
            },
        }
    }
}

impl Future for AppendTicket {
    type Output = Result<AppendAck>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let ack = this.ack;
        match this.rx.as_mut() {
            None => Poll::Ready(Ok(ack)),
            Some(rx) => match Pin::new(rx).poll(cx) {
                Poll::Pending => Poll::Pending,
                Poll::Ready(Ok(result)) => Poll::Ready(result.map(|()| ack)),
                Poll::Ready(Err(_)) => Poll::Ready(Err(Error::ShutDown)),
            },
        }
    }
}
