//! Legacy sessions (2024-11-05 … 2025-11-25) of the lean path: a row in a table while idle —
//! the negotiated version, the client's capabilities and the log level. Nothing runs for an
//! idle session; a GET stream or a request in flight is what holds a task, and only while it
//! is open.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures::future::{AbortHandle, Abortable, Aborted, BoxFuture};
use rmcp::model::{ProtocolVersion, RequestId};
use serde_json::{Map, Value};
use toolgate_tools::ToolOutput;

use crate::backend::CallError;
use crate::notify::{EventSink, LogLevel};

/// One legacy session.
pub(crate) struct Session {
    /// The version agreed at `initialize`.
    pub protocol: ProtocolVersion,
    /// The capabilities the client declared at `initialize` (`None` when it declared none).
    pub capabilities: Option<Arc<Map<String, Value>>>,
    /// `logging/setLevel`: 0 = none, else the level + 1.
    log_level: AtomicU8,
    /// When the session was last used, in ms since the table's epoch.
    last_seen: AtomicU64,
    /// Requests being answered now (the session does not expire meanwhile).
    active: AtomicUsize,
    /// Tool calls in flight, so `notifications/cancelled` can abort them.
    calls: Mutex<Vec<(RequestId, AbortHandle)>>,
    /// The standalone GET stream, while one is open.
    pub stream: Mutex<Option<EventSink>>,
}

const LEVELS: [LogLevel; 8] = [
    LogLevel::Debug,
    LogLevel::Info,
    LogLevel::Notice,
    LogLevel::Warning,
    LogLevel::Error,
    LogLevel::Critical,
    LogLevel::Alert,
    LogLevel::Emergency,
];

impl Session {
    pub fn log_level(&self) -> Option<LogLevel> {
        match self.log_level.load(Ordering::Relaxed) {
            0 => None,
            n => LEVELS.get(usize::from(n) - 1).copied(),
        }
    }

    pub fn set_log_level(&self, level: LogLevel) {
        let n = LEVELS.iter().position(|l| *l == level).unwrap_or(0) + 1;
        self.log_level.store(n as u8, Ordering::Relaxed);
    }

    /// Aborts the call with this request id (`notifications/cancelled`).
    pub fn cancel(&self, id: &RequestId) {
        let calls = self.calls.lock().unwrap_or_else(|e| e.into_inner());
        for (i, h) in calls.iter() {
            if i == id {
                h.abort();
            }
        }
    }

    fn has_open_stream(&self) -> bool {
        self.stream.lock().unwrap_or_else(|e| e.into_inner()).as_ref().is_some_and(|s| !s.is_closed())
    }

    /// Ends the session's GET stream (DELETE, expiry).
    fn close(&self) {
        if let Some(s) = self.stream.lock().unwrap_or_else(|e| e.into_inner()).take() {
            s.close();
        }
        for (_, h) in self.calls.lock().unwrap_or_else(|e| e.into_inner()).drain(..) {
            h.abort();
        }
    }
}

/// Every legacy session of one endpoint.
pub(crate) struct Sessions {
    map: Mutex<HashMap<Arc<str>, Arc<Session>>>,
    epoch: Instant,
    idle: Option<Duration>,
}

impl Sessions {
    pub fn new(idle: Option<Duration>) -> Arc<Sessions> {
        let sessions = Arc::new(Sessions { map: Mutex::new(HashMap::new()), epoch: Instant::now(), idle });
        if let Some(idle) = idle.filter(|d| !d.is_zero()) {
            // One sweeper per endpoint (not per session): it ends when the endpoint is dropped.
            let weak = Arc::downgrade(&sessions);
            let period = (idle / 4).clamp(Duration::from_millis(50), Duration::from_secs(30));
            tokio::spawn(sweep(weak, period));
        }
        sessions
    }

    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// Opens a session; returns its id.
    pub fn create(&self, protocol: ProtocolVersion, capabilities: Option<Arc<Map<String, Value>>>) -> Arc<str> {
        let id: Arc<str> = uuid::Uuid::new_v4().to_string().into();
        let session = Arc::new(Session {
            protocol,
            capabilities,
            log_level: AtomicU8::new(0),
            last_seen: AtomicU64::new(self.now_ms()),
            active: AtomicUsize::new(0),
            calls: Mutex::new(Vec::new()),
            stream: Mutex::new(None),
        });
        self.map.lock().unwrap_or_else(|e| e.into_inner()).insert(id.clone(), session);
        id
    }

    /// The session with this id, marked as in use until the returned handle is dropped.
    pub fn get(&self, id: &str) -> Option<SessionRef> {
        let s = self.map.lock().unwrap_or_else(|e| e.into_inner()).get(id).cloned()?;
        s.last_seen.store(self.now_ms(), Ordering::Relaxed);
        s.active.fetch_add(1, Ordering::AcqRel);
        Some(SessionRef(s))
    }

    /// Ends a session (DELETE); `false` when there was none.
    pub fn remove(&self, id: &str) -> bool {
        let s = self.map.lock().unwrap_or_else(|e| e.into_inner()).remove(id);
        match s {
            Some(s) => {
                s.close();
                true
            }
            None => false,
        }
    }

    /// How many sessions are open.
    #[allow(dead_code)]
    pub fn len(&self) -> usize {
        self.map.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    fn expire(&self, idle: Duration) {
        let now = self.now_ms();
        let idle = idle.as_millis() as u64;
        let mut gone = Vec::new();
        self.map.lock().unwrap_or_else(|e| e.into_inner()).retain(|_, s| {
            let keep = s.active.load(Ordering::Acquire) > 0
                || now.saturating_sub(s.last_seen.load(Ordering::Relaxed)) < idle
                || s.has_open_stream();
            if !keep {
                gone.push(s.clone());
            }
            keep
        });
        for s in gone {
            s.close();
        }
    }
}

async fn sweep(sessions: Weak<Sessions>, period: Duration) {
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(s) = sessions.upgrade() else { return };
        if let Some(idle) = s.idle {
            s.expire(idle);
        }
    }
}

/// A session in use by one request.
pub(crate) struct SessionRef(Arc<Session>);

impl std::ops::Deref for SessionRef {
    type Target = Arc<Session>;
    fn deref(&self) -> &Arc<Session> {
        &self.0
    }
}

impl Drop for SessionRef {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A legacy tool call: abortable by `notifications/cancelled`, unregistered when it ends.
pub(crate) struct SessionCall {
    inner: Abortable<BoxFuture<'static, Result<ToolOutput, CallError>>>,
    session: SessionRef,
    id: RequestId,
}

impl SessionCall {
    pub fn new(
        session: SessionRef,
        id: RequestId,
        fut: BoxFuture<'static, Result<ToolOutput, CallError>>,
    ) -> SessionCall {
        let (handle, registration) = AbortHandle::new_pair();
        session.calls.lock().unwrap_or_else(|e| e.into_inner()).push((id.clone(), handle));
        SessionCall { inner: Abortable::new(fut, registration), session, id }
    }
}

impl Future for SessionCall {
    type Output = Result<Result<ToolOutput, CallError>, Aborted>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.inner).poll(cx)
    }
}

impl Drop for SessionCall {
    fn drop(&mut self) {
        let mut calls = self.session.calls.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = calls.iter().position(|(id, _)| *id == self.id) {
            calls.swap_remove(i);
        }
    }
}
