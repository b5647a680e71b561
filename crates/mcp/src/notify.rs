//! Progress and log notifications for one call.

use std::sync::{Arc, Mutex};

use rmcp::model::{ProgressNotificationParam, ProgressToken};
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
    peer: Peer<RoleServer>,
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
        if token.is_none() && log_level.is_none() {
            return Notifier::none();
        }
        Notifier { inner: Some(Arc::new(Inner { peer, token, log_level, last: Mutex::new(f64::NEG_INFINITY) })) }
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
        if let Err(e) = inner.peer.notify_progress(p).await {
            tracing::debug!("progress notification not delivered: {e}");
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
        if let Err(e) = inner.peer.notify_logging_message(p).await {
            tracing::debug!("log notification not delivered: {e}");
        }
    }
}
