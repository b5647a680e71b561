//! One tool call against an upstream: validate, build the request, send it, read the answer,
//! shape the result.

use axum::body::Body;
use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use toolgate_mcp::ToolCall;
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
    let uri = req.uri().to_string();
    let work = async {
        let resp = mount.upstream.send(req).await?;
        let (parts, body) = resp.into_parts();
        let (bytes, total, truncated) = read_capped(body, mount.options.max_response_bytes).await.map_err(|e| {
            UpstreamError::Unreachable { base: base.to_string(), message: format!("the response broke off: {e}") }
        })?;
        Ok::<_, UpstreamError>((parts, bytes, total, truncated))
    };
    let result = match tool.timeout {
        Some(t) => match tokio::time::timeout(t, work).await {
            Ok(r) => r,
            Err(_) => Err(UpstreamError::Timeout { base: base.to_string(), timeout: t }),
        },
        None => work.await,
    };
    match result {
        Ok((parts, bytes, total, truncated)) => {
            let ct = parts.headers.get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
            let body = toolgate_tools::Body { bytes: &bytes, total, truncated };
            tool.shape(parts.status.as_u16(), ct, body, &uri)
        }
        Err(e) => ToolOutput::error(format!("`{}` failed: {e}", tool.name())),
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
