//! Progress and log notifications for one call.

use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use rmcp::model::{ProgressNotificationParam, ProgressToken, ServerJsonRpcMessage, ServerNotification};
use rmcp::{Peer, RoleServer};
use serde_json::Value;

/// Log levels (RFC 5424 names, as MCP uses them), lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogLevel {
    /// debug
    Debug,
    /// info
    Info,
    /// notice
    Notice,
    /// warning
    Warning,
    /// error
    Error,
    /// critical
    Critical,
    /// alert
    Alert,
    /// emergency
    Emergency,
}

#[allow(deprecated)] // rmcp marks the logging types deprecated (SEP-2577); legacy clients still use them.
impl LogLevel {
    pub(crate) fn from_rmcp(l: rmcp::model::LoggingLevel) -> LogLevel {
        use rmcp::model::LoggingLevel as L;
        match l {
            L::Debug => LogLevel::Debug,
            L::Info => LogLevel::Info,
            L::Notice => LogLevel::Notice,
            L::Warning => LogLevel::Warning,
            L::Error => LogLevel::Error,
            L::Critical => LogLevel::Critical,
            L::Alert => LogLevel::Alert,
            L::Emergency => LogLevel::Emergency,
        }
    }

    pub(crate) fn to_rmcp(self) -> rmcp::model::LoggingLevel {
        use rmcp::model::LoggingLevel as L;
        match self {
            LogLevel::Debug => L::Debug,
            LogLevel::Info => L::Info,
            LogLevel::Notice => L::Notice,
            LogLevel::Warning => L::Warning,
            LogLevel::Error => L::Error,
            LogLevel::Critical => L::Critical,
            LogLevel::Alert => L::Alert,
            LogLevel::Emergency => L::Emergency,
        }
    }
}

/// Sends notifications about one call to the client that made it: progress when the request
/// carried a progress token, log messages when the client asked for logs (legacy
/// `logging/setLevel`, or the request's own log level in 2026-07-28).
#[derive(Clone, Default)]
pub struct Notifier {
    inner: Option<Arc<Inner>>,
}

struct Inner {
    target: Target,
    token: Option<ProgressToken>,
    log_level: Option<LogLevel>,
    last: Mutex<f64>,
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifier")
            .field("progress", &self.wants_progress())
            .field("log_level", &self.inner.as_ref().and_then(|i| i.log_level))
            .finish()
    }
}

impl Notifier {
    /// A notifier that sends nothing.
    pub fn none() -> Notifier {
        Notifier { inner: None }
    }

    pub(crate) fn new(peer: Peer<RoleServer>, token: Option<ProgressToken>, log_level: Option<LogLevel>) -> Notifier {
        Notifier::with_target(Target::Peer(peer), token, log_level)
    }

    /// A notifier that writes to one request's SSE reply.
    pub(crate) fn to_stream(sink: EventSink, token: Option<ProgressToken>, log_level: Option<LogLevel>) -> Notifier {
        Notifier::with_target(Target::Stream(sink), token, log_level)
    }

    /// Whether a notifier for this request would send anything at all.
    pub(crate) fn would_send(token: &Option<ProgressToken>, log_level: &Option<LogLevel>) -> bool {
        token.is_some() || log_level.is_some()
    }

    fn with_target(target: Target, token: Option<ProgressToken>, log_level: Option<LogLevel>) -> Notifier {
        if !Notifier::would_send(&token, &log_level) {
            return Notifier::none();
        }
        Notifier { inner: Some(Arc::new(Inner { target, token, log_level, last: Mutex::new(f64::NEG_INFINITY) })) }
    }

    /// Whether the client asked for progress.
    pub fn wants_progress(&self) -> bool {
        self.inner.as_ref().is_some_and(|i| i.token.is_some())
    }

    /// Whether a log message of this level would be sent.
    pub fn wants_log(&self, level: LogLevel) -> bool {
        self.inner.as_ref().and_then(|i| i.log_level).is_some_and(|min| level >= min)
    }

    /// Sends progress. Values are kept strictly increasing, as the specification requires: a
    /// value not above the last one sent is raised just above it.
    pub async fn progress(&self, progress: f64, total: Option<f64>, message: Option<String>) {
        let Some(inner) = &self.inner else { return };
        let Some(token) = &inner.token else { return };
        let value = {
            let mut last = inner.last.lock().unwrap_or_else(|e| e.into_inner());
            let v = if progress > *last { progress } else { *last + 1.0 };
            *last = v;
            v
        };
        let mut p = ProgressNotificationParam::new(token.clone(), value);
        if let Some(t) = total {
            p = p.with_total(t.max(value));
        }
        if let Some(m) = message {
            p = p.with_message(m);
        }
        match &inner.target {
            Target::Peer(peer) => {
                if let Err(e) = peer.notify_progress(p).await {
                    tracing::debug!("progress notification not delivered: {e}");
                }
            }
            Target::Stream(sink) => {
                let n = ServerNotification::ProgressNotification(rmcp::model::ProgressNotification::new(p));
                sink.push_message(&ServerJsonRpcMessage::notification(n));
            }
        }
    }

    /// Sends a log message if the client asked for this level.
    #[allow(deprecated)] // logging notifications are deprecated in rmcp (SEP-2577) but legacy clients use them
    pub async fn log(&self, level: LogLevel, logger: Option<&str>, data: Value) {
        if !self.wants_log(level) {
            return;
        }
        let Some(inner) = &self.inner else { return };
        let mut p = rmcp::model::LoggingMessageNotificationParam::new(level.to_rmcp(), data);
        if let Some(l) = logger {
            p = p.with_logger(l);
        }
        match &inner.target {
            Target::Peer(peer) => {
                if let Err(e) = peer.notify_logging_message(p).await {
                    tracing::debug!("log notification not delivered: {e}");
                }
            }
            Target::Stream(sink) => {
                let n = ServerNotification::LoggingMessageNotification(rmcp::model::LoggingMessageNotification::new(p));
                sink.push_message(&ServerJsonRpcMessage::notification(n));
            }
        }
    }
}

/// Where a call's notifications go: an rmcp peer (the rmcp transports), or the SSE reply of the
/// request itself (the lean HTTP path).
enum Target {
    Peer(Peer<RoleServer>),
    Stream(EventSink),
}

/// Server-sent events waiting to be written on one HTTP reply: a call's progress and log
/// messages, or the notifications of a GET or `subscriptions/listen` stream. Pushing never
/// blocks; the reply's body takes everything queued at once, so a burst becomes one write.
#[derive(Clone, Default)]
pub(crate) struct EventSink(Arc<Mutex<SinkState>>);

#[derive(Default)]
struct SinkState {
    queued: Vec<u8>,
    waker: Option<Waker>,
    closed: bool,
}

impl EventSink {
    pub(crate) fn new() -> EventSink {
        EventSink::default()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, SinkState> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues one message as an SSE event; `false` once the reply is gone.
    pub(crate) fn push_message(&self, message: &ServerJsonRpcMessage) -> bool {
        let mut event = Vec::with_capacity(128);
        event.extend_from_slice(b"data: ");
        if serde_json::to_writer(&mut event, message).is_err() {
            return true;
        }
        event.extend_from_slice(b"\n\n");
        self.push_raw(&event)
    }

    /// Queues bytes already framed as SSE; `false` once the reply is gone.
    pub(crate) fn push_raw(&self, bytes: &[u8]) -> bool {
        let waker = {
            let mut s = self.state();
            if s.closed {
                return false;
            }
            s.queued.extend_from_slice(bytes);
            s.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
        true
    }

    /// Whether anything is queued or the sink was closed (registering the task to be woken
    /// when either happens).
    pub(crate) fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut s = self.state();
        if !s.queued.is_empty() || s.closed {
            return Poll::Ready(());
        }
        if !s.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            s.waker = Some(cx.waker().clone());
        }
        Poll::Pending
    }

    /// Takes everything queued (empty when nothing is).
    pub(crate) fn take(&self) -> Bytes {
        let mut s = self.state();
        Bytes::from(std::mem::take(&mut s.queued))
    }

    /// Marks the stream as over: later pushes are dropped, and a reply still waiting ends.
    pub(crate) fn close(&self) {
        let waker = {
            let mut s = self.state();
            s.closed = true;
            s.queued = Vec::new();
            s.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.state().closed
    }
}
