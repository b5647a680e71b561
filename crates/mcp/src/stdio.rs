//! MCP over stdin/stdout, for desktop clients that start the server as a child process.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use rmcp::ServiceExt;
use rmcp::service::ServerInitializeError;
use tokio::io::{AsyncRead, ReadBuf};

use crate::ServerOptions;
use crate::backend::Backend;
use crate::handler::{Handler, Shared};

/// Serves a backend on stdin/stdout until the client closes the stream. Logs must go to
/// stderr: stdout carries the protocol.
///
/// A client that leaves before initializing (a 2026-07-28 client may only probe with
/// `server/discover`) ends the session normally.
pub async fn serve_stdio(backend: Arc<dyn Backend>, server: ServerOptions) -> std::io::Result<()> {
    let shared = Shared::new(backend, server);
    let (stdin, stdout) = rmcp::transport::stdio();
    let (tx, rx) = tokio::sync::watch::channel(false);
    let mut eof = rx.clone();
    let reader = EofSignal { inner: stdin, tx };
    let running = match Handler::with_close_signal(shared.clone(), rx).serve((reader, stdout)).await {
        Ok(r) => r,
        Err(ServerInitializeError::ConnectionClosed(_)) => return Ok(()),
        Err(e) => return Err(std::io::Error::other(format!("MCP over stdio failed to start: {e}"))),
    };
    // After the input ends, rmcp drains in-flight responses for up to 5 s, waiting also for
    // requests that can never finish (a `subscriptions/listen` not yet acknowledged). Stop as
    // soon as no tool call is running any more: their responses are flushed by then.
    let settled = async {
        let _ = eof.wait_for(|e| *e).await;
        let mut idle = 0;
        while idle < 4 {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            idle = if shared.in_flight() == 0 { idle + 1 } else { 0 };
        }
    };
    tokio::select! {
        r = running.waiting() => {
            r.map_err(|e| std::io::Error::other(e.to_string()))?;
        }
        _ = settled => {}
    }
    Ok(())
}

/// Passes reads through and signals when the input ends.
struct EofSignal<R> {
    inner: R,
    tx: tokio::sync::watch::Sender<bool>,
}

impl<R: AsyncRead + Unpin> AsyncRead for EofSignal<R> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let had_room = buf.remaining() > 0;
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && had_room && buf.filled().len() == before {
            let _ = self.tx.send(true);
        }
        r
    }
}
