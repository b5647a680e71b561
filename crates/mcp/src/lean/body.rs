//! Reply bodies of the lean path. A plain reply is one buffer (one write with its headers); an
//! SSE reply is driven by its body: polling the body polls the tool call it carries and drains
//! the call's queued notifications, so no task is spawned for it, and dropping the body (the
//! client went away) drops the call.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures::future::BoxFuture;
use http_body::Frame;
use toolgate_tools::ToolOutput;

use crate::backend::CallError;
use crate::handler::StreamGuard;
use crate::lean::session::SessionCall;
use crate::notify::EventSink;

/// A running tool call: plain (dropping it cancels the call), or in a legacy session (aborted
/// by `notifications/cancelled`; a client that disconnects does not cancel it — the call is
/// finished in the background, as the legacy transport says).
pub(crate) enum CallFuture {
    Plain(BoxFuture<'static, Result<ToolOutput, CallError>>),
    Session(Option<SessionCall>),
}

impl Future for CallFuture {
    /// `None` when the call was cancelled.
    type Output = Option<Result<ToolOutput, CallError>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut *self {
            CallFuture::Plain(f) => f.as_mut().poll(cx).map(Some),
            CallFuture::Session(slot) => {
                let Some(f) = slot.as_mut() else { return Poll::Ready(None) };
                match Pin::new(f).poll(cx) {
                    Poll::Ready(r) => {
                        *slot = None;
                        Poll::Ready(r.ok())
                    }
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

impl Drop for CallFuture {
    fn drop(&mut self) {
        if let CallFuture::Session(slot) = self
            && let Some(call) = slot.take()
            && let Ok(rt) = tokio::runtime::Handle::try_current()
        {
            rt.spawn(async move {
                let _ = call.await;
            });
        }
    }
}

/// Turns a call's outcome into the final SSE event.
pub(crate) type Finish = Box<dyn FnOnce(Option<Result<ToolOutput, CallError>>) -> Option<Bytes> + Send>;

/// The body of an SSE reply: bytes to send first, then whatever the sink receives, until the
/// call (if any) ends; a stream without a call (GET, `subscriptions/listen`) lasts until the
/// client leaves or the sink is closed. Comments keep idle streams alive.
pub(crate) struct SseBody {
    head: Bytes,
    sink: EventSink,
    call: Option<(CallFuture, Finish)>,
    keep_alive: Option<(Duration, Pin<Box<tokio::time::Sleep>>)>,
    done: bool,
    _guard: Option<StreamGuard>,
}

impl SseBody {
    pub(crate) fn new(head: Bytes, sink: EventSink, keep_alive: Option<Duration>) -> SseBody {
        let keep_alive = keep_alive.filter(|d| !d.is_zero()).map(|d| (d, Box::pin(tokio::time::sleep(d))));
        SseBody { head, sink, call: None, keep_alive, done: false, _guard: None }
    }

    pub(crate) fn with_call(mut self, call: CallFuture, finish: Finish) -> SseBody {
        self.call = Some((call, finish));
        self
    }

    pub(crate) fn with_guard(mut self, guard: StreamGuard) -> SseBody {
        self._guard = Some(guard);
        self
    }
}

impl http_body::Body for SseBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = &mut *self;
        if this.done {
            return Poll::Ready(None);
        }
        loop {
            let mut out: Vec<u8> = Vec::new();
            if !this.head.is_empty() {
                out.extend_from_slice(&std::mem::take(&mut this.head));
            }
            let queued = this.sink.take();
            out.extend_from_slice(&queued);
            let mut ended = false;
            if let Some((call, _)) = &mut this.call
                && let Poll::Ready(outcome) = Pin::new(call).poll(cx)
            {
                out.extend_from_slice(&this.sink.take());
                if let Some((_, finish)) = this.call.take()
                    && let Some(last) = finish(outcome)
                {
                    out.extend_from_slice(&last);
                }
                ended = true;
            }
            if this.call.is_none() && !ended && this.sink.is_closed() {
                ended = true;
            }
            if ended {
                this.done = true;
                this.sink.close();
                return if out.is_empty() { Poll::Ready(None) } else { Poll::Ready(Some(Ok(Frame::data(out.into())))) };
            }
            if !out.is_empty() {
                if let Some((d, sleep)) = &mut this.keep_alive {
                    sleep.as_mut().reset(tokio::time::Instant::now() + *d);
                }
                return Poll::Ready(Some(Ok(Frame::data(out.into()))));
            }
            if this.sink.poll_ready(cx).is_ready() {
                continue;
            }
            if let Some((d, sleep)) = &mut this.keep_alive
                && sleep.as_mut().poll(cx).is_ready()
            {
                sleep.as_mut().reset(tokio::time::Instant::now() + *d);
                return Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(b":\n\n")))));
            }
            return Poll::Pending;
        }
    }

    fn is_end_stream(&self) -> bool {
        self.done
    }
}

impl Drop for SseBody {
    fn drop(&mut self) {
        self.sink.close();
    }
}
