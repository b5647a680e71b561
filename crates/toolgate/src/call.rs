//! One tool call against an upstream: validate, build the request, send it, read the answer
//! (incrementally when it is a stream), shape the result.

use std::time::{Duration, Instant};

use axum::body::Body;
use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use toolgate_mcp::{LogLevel, Notifier, ToolCall};
use toolgate_tools::stream::{Aggregate, EventParser, StreamKind};
use toolgate_tools::{Tool, ToolOutput};

use crate::catalog::CallOptions;
use crate::upstream::{Upstream, UpstreamError};

/// What a mount needs at call time.
#[derive(Debug)]
pub(crate) struct MountRuntime {
    pub upstream: Upstream,
    pub options: CallOptions,
}

/// Runs one call. Every failure becomes an `isError` result that says what went wrong.
///
/// Timeouts: a tool's timeout bounds the whole call, except for streamed responses (server-sent
/// events, JSON lines), where it bounds the wait for the response and then each wait between
/// two events, so a long report that keeps sending progress is not cut off.
pub(crate) async fn run(tool: &Tool, mount: &MountRuntime, call: ToolCall) -> ToolOutput {
    let prepared = match tool.prepare(call.arguments.as_ref()) {
        Ok(p) => p,
        Err(e) => return ToolOutput::error(format!("Invalid arguments for `{}`: {e}", tool.name())),
    };
    let base = mount.upstream.base();
    let mut req = match prepared.into_http(base) {
        Ok(r) => r,
        Err(e) => return ToolOutput::error(format!("Could not build the request for `{}`: {e}", tool.name())),
    };
    let headers = req.headers_mut();
    if let Some(parts) = &call.caller.http {
        for name in &mount.options.forward_headers {
            for v in parts.headers.get_all(name) {
                headers.append(name.clone(), v.clone());
            }
        }
    }
    for (k, v) in &mount.options.inject_headers {
        headers.insert(k.clone(), v.clone());
    }
    for o in &mount.options.credentials {
        let applies = match &o.scheme {
            None => true,
            Some(s) => tool.security.iter().any(|req| req.contains_key(s)),
        };
        if applies && let Err(e) = o.credential.apply(&mut req).await {
            return ToolOutput::error(format!("`{}` failed: could not add the API credential: {e}", tool.name()));
        }
    }
    let uri = req.uri().to_string();
    let started = Instant::now();
    let timeout = tool.timeout;
    let fail = |e: UpstreamError| ToolOutput::error(format!("`{}` failed: {e}", tool.name()));
    let timed_out = |t: Duration| UpstreamError::Timeout { base: base.to_string(), timeout: t };

    let resp = match within(timeout, mount.upstream.send(req)).await {
        Some(Ok(r)) => r,
        Some(Err(e)) => return fail(e),
        None => return fail(timed_out(timeout.unwrap_or_default())),
    };
    let (parts, body) = resp.into_parts();
    let ct = parts.headers.get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let length = parts.headers.get(http::header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    let cap = mount.options.max_response_bytes;
    let status = parts.status.as_u16();
    let kind = StreamKind::for_content_type(ct.as_deref()).or_else(|| {
        let text = ct.as_deref().is_some_and(|c| c.starts_with("text/") && !c.starts_with("text/html"));
        (text && length.is_none() && call.notifier.wants_progress()).then_some(StreamKind::Text)
    });
    if let Some(kind) = kind.filter(|_| parts.status.is_success()) {
        let out = stream(tool, body, kind, cap, timeout, length, &call.notifier).await;
        return match out {
            Ok(out) => tool.conform(out),
            Err(e) => fail(e),
        };
    }
    let remaining = timeout.map(|t| t.saturating_sub(started.elapsed()));
    match within(remaining, read_capped(body, cap)).await {
        Some(Ok((bytes, total, truncated))) => {
            let body = toolgate_tools::Body { bytes: &bytes, total: total.or(length.filter(|_| truncated)), truncated };
            tool.shape(status, ct.as_deref(), body, &uri)
        }
        Some(Err(e)) => {
            fail(UpstreamError::Unreachable { base: base.to_string(), message: format!("the response broke off: {e}") })
        }
        None => fail(timed_out(timeout.unwrap_or_default())),
    }
}

/// Runs `fut` within `limit` (if any); `None` when the time ran out (the future is dropped,
/// which aborts the upstream request).
async fn within<F: std::future::Future>(limit: Option<Duration>, fut: F) -> Option<F::Output> {
    match limit {
        Some(t) => tokio::time::timeout(t, fut).await.ok(),
        None => Some(fut.await),
    }
}

/// Reads a streamed body event by event: each event goes to the client as a progress
/// notification (and a log message when the client asked for logs) as soon as it arrives, and
/// into a bounded aggregate that becomes the result.
async fn stream(
    tool: &Tool,
    mut body: Body,
    kind: StreamKind,
    cap: usize,
    idle: Option<Duration>,
    length: Option<u64>,
    notifier: &Notifier,
) -> Result<ToolOutput, UpstreamError> {
    let mut parser = EventParser::new(kind);
    let mut agg = Aggregate::new(kind, cap);
    let mut received: u64 = 0;
    loop {
        let frame = match within(idle, body.frame()).await {
            None => {
                return Err(UpstreamError::Timeout {
                    base: format!("{} (streaming)", tool.name()),
                    timeout: idle.unwrap_or_default(),
                });
            }
            Some(None) => break,
            Some(Some(Err(e))) => {
                let partial = agg.finish();
                return Ok(ToolOutput::error(format!(
                    "The stream broke off ({e}). What arrived before:\n{}",
                    partial.joined_text()
                )));
            }
            Some(Some(Ok(f))) => f,
        };
        let Ok(data) = frame.into_data() else { continue };
        received += data.len() as u64;
        for ev in parser.push(&data) {
            emit(tool, &ev, &agg, kind, received, length, notifier).await;
            agg.push(ev);
        }
    }
    for ev in parser.finish() {
        emit(tool, &ev, &agg, kind, received, length, notifier).await;
        agg.push(ev);
    }
    Ok(agg.finish())
}

async fn emit(
    tool: &Tool,
    ev: &toolgate_tools::stream::Event,
    agg: &Aggregate,
    kind: StreamKind,
    received: u64,
    length: Option<u64>,
    notifier: &Notifier,
) {
    if notifier.wants_progress() {
        let message: String = ev.data.chars().take(1000).collect();
        let (progress, total) = match kind {
            StreamKind::Text => (received as f64, length.map(|l| l as f64)),
            _ => ((agg.count() + 1) as f64, None),
        };
        notifier.progress(progress, total, Some(message)).await;
    }
    if notifier.wants_log(LogLevel::Info) {
        notifier.log(LogLevel::Info, Some(tool.name()), ev.value()).await;
    }
}

/// Reads a body up to `cap` bytes. Returns the bytes, the declared total size when more was
/// sent, and whether reading stopped at the cap (the rest is not read: dropping the body closes
/// the upstream connection).
async fn read_capped(mut body: Body, cap: usize) -> Result<(Bytes, Option<u64>, bool), axum::Error> {
    let hint = http_body::Body::size_hint(&body).exact();
    let mut buf = BytesMut::new();
    while let Some(frame) = body.frame().await {
        let frame = frame?;
        if let Ok(data) = frame.into_data() {
            if buf.len() + data.len() > cap {
                let room = cap - buf.len();
                buf.extend_from_slice(&data[..room]);
                return Ok((buf.freeze(), hint, true));
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok((buf.freeze(), None, false))
}
