//! MCP over WebSocket.
//!
//! MCP defines no WebSocket transport; this one speaks what the SDKs' WebSocket clients speak
//! (TypeScript SDK v1 `WebSocketClientTransport`, Python SDK 1.x `websocket_client`): one
//! JSON-RPC message per text frame, the `mcp` subprotocol. Each connection is one MCP session,
//! served by the same [`Handler`] as Streamable HTTP and stdio: a legacy `initialize` lifecycle,
//! or 2026-07-28 requests that carry their own `_meta` (rmcp picks the lifecycle from the first
//! message).
//!
//! Before the upgrade the request passes the same Host and Origin checks as the HTTP endpoint: a
//! browser page on a foreign origin must not be able to open a socket to a local server
//! (cross-site WebSocket hijacking). The upgrade request's parts — with whatever layers put in
//! their extensions, such as the authenticated principal — are attached to every message, so
//! tool lists and calls see the same caller as over HTTP.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade, close_code};
use axum::response::{IntoResponse, Response};
use futures::channel::mpsc;
use futures::{SinkExt, StreamExt};
use http::StatusCode;
use http::request::Parts;
use rmcp::ServiceExt;
use rmcp::model::{ClientJsonRpcMessage, GetExtensions, JsonRpcMessage, ServerJsonRpcMessage};
use rmcp::service::ServerInitializeError;
use serde_json::{Value, json};

use crate::handler::{Handler, Shared};

/// A request extension an authentication layer adds: when the caller's credentials stop being
/// valid (a token's `exp`). A WebSocket connection upgraded with it is closed at that moment
/// (1008, "the access token expired"): its credentials were checked once, at the upgrade, and
/// must not outlive their expiry. The client reconnects with a fresh token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CredentialExpiry(pub std::time::SystemTime);

/// The WebSocket subprotocol MCP clients ask for.
pub(crate) const SUBPROTOCOL: &str = "mcp";

/// What the WebSocket endpoint checks, taken from the HTTP options.
#[derive(Debug, Clone)]
pub(crate) struct WsConfig {
    pub allowed_hosts: Option<Vec<String>>,
    pub allowed_origins: Vec<String>,
    pub max_message_bytes: usize,
    /// How often to ping an idle client (proxies close quiet connections).
    pub keep_alive: Option<std::time::Duration>,
}

/// A router serving MCP over WebSocket at `path`.
pub(crate) fn router(shared: Arc<Shared>, config: Arc<WsConfig>, path: &str) -> axum::Router {
    axum::Router::new().route(
        path,
        axum::routing::any(move |req: axum::extract::Request| upgrade(shared.clone(), config.clone(), req)),
    )
}

async fn upgrade(shared: Arc<Shared>, config: Arc<WsConfig>, req: axum::extract::Request) -> Response {
    let (mut parts, _body) = req.into_parts();
    if let Err(why) = check_host(&parts, config.allowed_hosts.as_deref()) {
        tracing::warn!("WebSocket upgrade refused: {why}");
        return (StatusCode::FORBIDDEN, format!("Forbidden: {why}")).into_response();
    }
    if let Err(why) = check_origin(&parts, &config.allowed_origins) {
        tracing::warn!("WebSocket upgrade refused: {why} (possible cross-site WebSocket hijacking)");
        return (StatusCode::FORBIDDEN, format!("Forbidden: {why}")).into_response();
    }
    let ws = match WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
        Ok(ws) => ws,
        Err(rejection) => return rejection.into_response(),
    };
    let max = config.max_message_bytes;
    let keep_alive = config.keep_alive.filter(|d| !d.is_zero());
    // Takes the subprotocol only when the client offers it (a client that offers none gets none).
    ws.protocols([SUBPROTOCOL])
        .max_message_size(max)
        .max_frame_size(max)
        .on_failed_upgrade(|e| tracing::debug!("WebSocket upgrade failed: {e}"))
        .on_upgrade(move |socket| session(socket, shared, parts, max, keep_alive))
}

/// One connection: one MCP session.
async fn session(
    socket: WebSocket,
    shared: Arc<Shared>,
    parts: Parts,
    max: usize,
    keep_alive: Option<std::time::Duration>,
) {
    tracing::debug!(uri = %parts.uri, "WebSocket session opened");
    let (mut ws_tx, mut ws_rx) = socket.split();
    // rmcp reads client messages from `in_rx` and writes server messages into `out_tx`.
    let (mut in_tx, in_rx) = mpsc::channel::<ClientJsonRpcMessage>(32);
    let (out_tx, mut out_rx) = mpsc::channel::<ServerJsonRpcMessage>(32);
    // Frames this module sends itself: JSON-RPC errors for unreadable messages, and close frames.
    let (mut ctl_tx, mut ctl_rx) = mpsc::channel::<Message>(8);
    // Dropped (so `gone_rx` resolves) when the client's side of the socket is done.
    let (gone_tx, gone_rx) = tokio::sync::oneshot::channel::<()>();

    let mut service_ctl = ctl_tx.clone();
    let service = async move {
        let running = match Handler::new(shared).serve((out_tx, in_rx)).await {
            Ok(r) => r,
            Err(ServerInitializeError::ConnectionClosed(_)) => return,
            Err(e) => {
                tracing::debug!("WebSocket session did not start: {e}");
                let reason = match e {
                    ServerInitializeError::ExpectedInitializeRequest(_) => {
                        "expected `initialize` or a 2026-07-28 request first".to_owned()
                    }
                    other => other.to_string(),
                };
                let _ = service_ctl.send(close(close_code::PROTOCOL, &reason)).await;
                return;
            }
        };
        let ct = running.cancellation_token();
        let waiting = running.waiting();
        tokio::pin!(waiting);
        tokio::select! {
            _ = &mut waiting => {}
            _ = gone_rx => {
                // Nobody can receive the answers any more: cancel the calls in flight now
                // (rmcp would otherwise let them run for seconds) and any `subscriptions/listen`.
                ct.cancel();
                let _ = waiting.await;
            }
        }
    };

    // When the credentials of the upgrade expire, the connection ends.
    let expiry = parts.extensions.get::<CredentialExpiry>().map(|e| {
        let left = e.0.duration_since(std::time::SystemTime::now()).unwrap_or_default();
        tokio::time::Instant::now() + left
    });
    let writer = async move {
        let mut ctl_open = true;
        let expired = async {
            match expiry {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::pin!(expired);
        let period = keep_alive.unwrap_or(std::time::Duration::from_secs(3600));
        let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                biased;
                m = ctl_rx.next(), if ctl_open => match m {
                    Some(m @ Message::Close(_)) => {
                        let _ = ws_tx.send(m).await;
                        break;
                    }
                    Some(m) => {
                        if ws_tx.send(m).await.is_err() {
                            break;
                        }
                    }
                    None => ctl_open = false,
                },
                m = out_rx.next() => match m {
                    Some(m) => {
                        let text = match serde_json::to_string(&m) {
                            Ok(t) => t,
                            Err(e) => {
                                tracing::error!("cannot serialize an MCP message: {e}");
                                continue;
                            }
                        };
                        if ws_tx.send(Message::Text(text.into())).await.is_err() {
                            break;
                        }
                        ping.reset();
                    }
                    None => {
                        // The session ended (the client stopped sending, or it never started).
                        let _ = ws_tx.send(close(close_code::NORMAL, "")).await;
                        break;
                    }
                },
                _ = ping.tick(), if keep_alive.is_some() => {
                    if ws_tx.send(Message::Ping(Default::default())).await.is_err() {
                        break;
                    }
                }
                () = &mut expired => {
                    tracing::debug!("WebSocket session closed: the access token expired");
                    let _ = ws_tx.send(close(close_code::POLICY, "the access token expired")).await;
                    break;
                }
            }
        }
        let _ = ws_tx.close().await;
    };

    let reader = async move {
        while let Some(frame) = ws_rx.next().await {
            let text = match frame {
                Ok(Message::Text(t)) => t,
                Ok(Message::Binary(_)) => {
                    let _ = ctl_tx.send(close(close_code::UNSUPPORTED, "MCP messages are text frames")).await;
                    break;
                }
                Ok(Message::Ping(_) | Message::Pong(_)) => continue, // answered by the socket itself
                Ok(Message::Close(_)) => break,
                Err(e) => {
                    let e = e.to_string();
                    if e.contains("Message too long") {
                        let reason = format!("a message is larger than {max} bytes");
                        let _ = ctl_tx.send(close(close_code::SIZE, &reason)).await;
                    } else {
                        tracing::debug!("WebSocket read failed: {e}");
                    }
                    break;
                }
            };
            match parse(text.as_str()) {
                Ok(mut msg) => {
                    attach(&mut msg, &parts);
                    if in_tx.send(msg).await.is_err() {
                        break;
                    }
                }
                Err(reply) => {
                    if ctl_tx.send(Message::Text(reply.to_string().into())).await.is_err() {
                        break;
                    }
                }
            }
        }
        drop(in_tx);
        drop(gone_tx);
        tracing::debug!("WebSocket session closed by the client");
    };

    let rest = async move {
        tokio::join!(service, writer);
    };
    tokio::pin!(reader, rest);
    tokio::select! {
        _ = &mut reader => (&mut rest).await,
        _ = &mut rest => {
            // We closed: give the client a moment to answer the close frame.
            let _ = tokio::time::timeout(std::time::Duration::from_secs(2), reader).await;
        }
    }
}

/// A text frame as a client message, or the JSON-RPC error to answer it with.
fn parse(text: &str) -> Result<ClientJsonRpcMessage, Value> {
    let value: Value = serde_json::from_str(text).map_err(
        |e| json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32700, "message": format!("Parse error: {e}")}}),
    )?;
    let id = match value.get("id") {
        Some(id @ (Value::String(_) | Value::Number(_))) => id.clone(),
        _ => Value::Null,
    };
    serde_json::from_value(value).map_err(
        |e| json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32600, "message": format!("Invalid Request: {e}")}}),
    )
}

/// Puts the upgrade request's parts where the handler looks for the HTTP request.
fn attach(msg: &mut ClientJsonRpcMessage, parts: &Parts) {
    match msg {
        JsonRpcMessage::Request(r) => {
            r.request.extensions_mut().insert(parts.clone());
        }
        JsonRpcMessage::Notification(n) => {
            n.notification.extensions_mut().insert(parts.clone());
        }
        _ => {}
    }
}

/// A close frame; the reason is cut to the 123 bytes a close frame can carry.
fn close(code: u16, reason: &str) -> Message {
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    Message::Close(Some(CloseFrame { code, reason: reason[..end].to_owned().into() }))
}

// ---- Host and Origin, as the Streamable HTTP endpoint checks them -----------------------------

fn normalize_host(host: &str) -> String {
    host.trim_matches(['[', ']']).to_ascii_lowercase()
}

/// `Host` (or the HTTP/2 `:authority`) must be one of `allowed` (a port, if given, must match);
/// `None` or an empty list accepts any host.
fn check_host(parts: &Parts, allowed: Option<&[String]>) -> Result<(), String> {
    let Some(allowed) = allowed.filter(|a| !a.is_empty()) else { return Ok(()) };
    let authority = match parts.headers.get(http::header::HOST) {
        Some(h) => {
            let h = h.to_str().map_err(|_| "the Host header is not valid".to_owned())?;
            http::uri::Authority::try_from(h).map_err(|_| "the Host header is not valid".to_owned())?
        }
        None => parts.uri.authority().cloned().ok_or_else(|| "the Host header is missing".to_owned())?,
    };
    let (host, port) = (normalize_host(authority.host()), authority.port_u16());
    let ok = allowed.iter().any(|a| {
        let a = a.trim();
        let (a_host, a_port) = match http::uri::Authority::try_from(a) {
            Ok(auth) => (normalize_host(auth.host()), auth.port_u16()),
            Err(_) => (normalize_host(a), None),
        };
        !a.is_empty() && a_host == host && a_port.is_none_or(|p| port == Some(p))
    });
    if ok { Ok(()) } else { Err(format!("Host `{}` is not allowed", authority.as_str())) }
}

#[derive(Debug, PartialEq, Eq)]
enum Origin {
    Null,
    Tuple { scheme: String, host: String, port: Option<u16> },
}

fn parse_origin(value: &str) -> Option<Origin> {
    let value = value.trim();
    if value.eq_ignore_ascii_case("null") {
        return Some(Origin::Null);
    }
    let uri = http::Uri::try_from(value).ok()?;
    let scheme = uri.scheme_str()?.to_ascii_lowercase();
    let authority = uri.authority()?;
    Some(Origin::Tuple { scheme, host: normalize_host(authority.host()), port: authority.port_u16() })
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" | "ws" => Some(80),
        "https" | "wss" => Some(443),
        _ => None,
    }
}

/// Whether `origin` matches an allow-list entry: `scheme://host[:port]`, `scheme://host:*`
/// (any port), or `null`. An entry without a port matches any port, as rmcp does for now.
fn origin_matches(origin: &Origin, entry: &str) -> bool {
    let entry = entry.trim();
    let (base, any_port) = match entry.strip_suffix(":*") {
        Some(b) => (b, true),
        None => (entry, false),
    };
    match (parse_origin(base), origin) {
        (Some(Origin::Null), Origin::Null) => !any_port,
        (
            Some(Origin::Tuple { scheme: a_scheme, host: a_host, port: a_port }),
            Origin::Tuple { scheme, host, port },
        ) => {
            a_scheme == *scheme
                && a_host == *host
                && (any_port || a_port.is_none_or(|a| port.or_else(|| default_port(scheme)) == Some(a)))
        }
        _ => false,
    }
}

/// Requests without `Origin` (not from a browser) pass; others must match the allow-list (an
/// empty list refuses every origin, as the HTTP endpoint does).
fn check_origin(parts: &Parts, allowed: &[String]) -> Result<(), String> {
    let Some(value) = parts.headers.get(http::header::ORIGIN) else { return Ok(()) };
    let value = value.to_str().map_err(|_| "the Origin header is not valid".to_owned())?;
    let origin = parse_origin(value).ok_or_else(|| "the Origin header is not valid".to_owned())?;
    if allowed.iter().any(|a| origin_matches(&origin, a)) {
        Ok(())
    } else {
        Err(format!("Origin `{value}` is not allowed"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(headers: &[(&str, &str)]) -> Parts {
        let mut b = http::Request::builder().uri("/ws");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(()).map(|r| r.into_parts().0).unwrap_or_else(|_| http::Request::new(()).into_parts().0)
    }

    fn defaults() -> (Vec<String>, Vec<String>) {
        let o = crate::HttpOptions::default();
        (o.allowed_hosts.unwrap_or_default(), o.allowed_origins)
    }

    #[test]
    fn hosts_match_by_name_and_port_when_given() {
        let (hosts, _) = defaults();
        assert!(check_host(&parts(&[("host", "127.0.0.1:8080")]), Some(&hosts)).is_ok());
        assert!(check_host(&parts(&[("host", "[::1]:8080")]), Some(&hosts)).is_ok());
        assert!(check_host(&parts(&[("host", "LOCALHOST")]), Some(&hosts)).is_ok());
        assert!(check_host(&parts(&[("host", "evil.example:8080")]), Some(&hosts)).is_err());
        assert!(check_host(&parts(&[]), Some(&hosts)).is_err());
        let pinned = vec!["example.com:8443".to_owned()];
        assert!(check_host(&parts(&[("host", "example.com:8443")]), Some(&pinned)).is_ok());
        assert!(check_host(&parts(&[("host", "example.com:80")]), Some(&pinned)).is_err());
        assert!(check_host(&parts(&[("host", "anything")]), None).is_ok());
    }

    #[test]
    fn origins_match_scheme_host_and_port() {
        let (_, origins) = defaults();
        assert!(check_origin(&parts(&[]), &origins).is_ok());
        assert!(check_origin(&parts(&[("origin", "http://localhost:3000")]), &origins).is_ok());
        assert!(check_origin(&parts(&[("origin", "http://[::1]:3000")]), &origins).is_ok());
        assert!(check_origin(&parts(&[("origin", "https://evil.example")]), &origins).is_err());
        assert!(check_origin(&parts(&[("origin", "http://localhost.evil.example")]), &origins).is_err());
        assert!(check_origin(&parts(&[("origin", "null")]), &origins).is_err());
        assert!(check_origin(&parts(&[("origin", "garbage")]), &origins).is_err());
        assert!(check_origin(&parts(&[("origin", "http://localhost:3000")]), &[]).is_err());
        let exact = vec!["https://app.example".to_owned(), "https://b.example:443".to_owned(), "null".to_owned()];
        assert!(check_origin(&parts(&[("origin", "https://app.example:8443")]), &exact).is_ok());
        assert!(check_origin(&parts(&[("origin", "https://b.example")]), &exact).is_ok());
        assert!(check_origin(&parts(&[("origin", "https://b.example:444")]), &exact).is_err());
        assert!(check_origin(&parts(&[("origin", "null")]), &exact).is_ok());
    }

    #[test]
    fn unreadable_frames_get_json_rpc_errors() {
        let e = parse("{not json").err().unwrap_or_default();
        assert_eq!((e["error"]["code"].as_i64(), &e["id"]), (Some(-32700), &Value::Null), "{e}");
        let e = parse(r#"{"jsonrpc":"2.0","id":4,"result":1,"method":5}"#).err().unwrap_or_default();
        assert_eq!((e["error"]["code"].as_i64(), &e["id"]), (Some(-32600), &json!(4)), "{e}");
        assert!(parse(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#).is_ok());
    }

    #[test]
    fn close_reasons_fit_a_close_frame() {
        let long = "é".repeat(100);
        match close(1000, &long) {
            Message::Close(Some(f)) => assert!(f.reason.as_str().len() <= 123),
            other => panic!("{other:?}"),
        }
    }
}
