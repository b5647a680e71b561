//! A minimal MCP client over raw HTTP (reqwest), for end-to-end tests that watch the wire:
//! both protocol eras, SSE replies read incrementally with arrival times.

use std::time::Instant;

use futures::StreamExt;
use serde_json::{Value, json};

/// The stateless protocol version.
pub const MODERN: &str = "2026-07-28";

/// One message of a reply, with when it arrived.
#[derive(Debug, Clone)]
pub struct Received {
    /// When it arrived.
    pub at: Instant,
    /// The JSON-RPC message (or `{"http_status", "body"}` for a non-2xx reply).
    pub message: Value,
}

/// An MCP client over Streamable HTTP, either era.
pub struct Client {
    /// The endpoint.
    pub url: String,
    http: reqwest::Client,
    session: Option<String>,
    protocol: String,
    next_id: u64,
    /// Extra headers sent with every request (e.g. `authorization`).
    pub headers: Vec<(String, String)>,
}

impl Client {
    /// A 2026-07-28 client: no session, `_meta` and `Mcp-*` headers on every request.
    pub fn modern(url: &str) -> Client {
        Client {
            url: url.into(),
            http: reqwest::Client::new(),
            session: None,
            protocol: MODERN.into(),
            next_id: 1,
            headers: Vec::new(),
        }
    }

    /// A legacy client: `initialize`, then the session id on every request.
    pub async fn legacy(url: &str, version: &str) -> Client {
        Client::legacy_with_headers(url, version, Vec::new()).await
    }

    /// A legacy client that sends these headers from `initialize` on (`authorization`, …).
    pub async fn legacy_with_headers(url: &str, version: &str, headers: Vec<(String, String)>) -> Client {
        let mut c = Client {
            url: url.into(),
            http: reqwest::Client::new(),
            session: None,
            protocol: version.into(),
            next_id: 1,
            headers,
        };
        let init =
            json!({"protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "test", "version": "0"}});
        let (resp, sid) = c.post_raw("initialize", init, None).await;
        assert!(resp.last().is_some_and(|m| m.message.get("result").is_some()), "initialize failed: {resp:?}");
        c.session = sid;
        let _ = c.notify("notifications/initialized", json!({})).await;
        c
    }

    /// The legacy session id, if there is one.
    pub fn session_id(&self) -> Option<String> {
        self.session.clone()
    }

    /// A second handle on an existing legacy session (to send notifications such as
    /// `notifications/cancelled` while a call is in flight).
    pub fn same_session(&self) -> Client {
        Client {
            url: self.url.clone(),
            http: reqwest::Client::new(),
            session: self.session.clone(),
            protocol: self.protocol.clone(),
            next_id: 1000,
            headers: self.headers.clone(),
        }
    }

    fn is_modern(&self) -> bool {
        self.protocol == MODERN
    }

    /// Sends a notification; returns the HTTP status.
    pub async fn notify(&self, method: &str, params: Value) -> u16 {
        let body = json!({"jsonrpc": "2.0", "method": method, "params": params});
        let mut rb = self.base_request(method, None).json(&body);
        if let Some(s) = &self.session {
            rb = rb.header("mcp-session-id", s);
        }
        rb.send().await.map(|r| r.status().as_u16()).unwrap_or(0)
    }

    fn base_request(&self, method: &str, name: Option<&str>) -> reqwest::RequestBuilder {
        let mut rb = self
            .http
            .post(&self.url)
            .header("accept", "application/json, text/event-stream")
            .header("content-type", "application/json")
            .header("mcp-protocol-version", &self.protocol);
        if self.is_modern() {
            rb = rb.header("mcp-method", method);
            if let Some(n) = name {
                rb = rb.header("mcp-name", n);
            }
        }
        for (k, v) in &self.headers {
            rb = rb.header(k, v);
        }
        rb
    }

    /// Sends a request and returns every message of the reply (notifications, then the
    /// response), each with its arrival time, and the session id header if any.
    pub async fn post_raw(
        &mut self,
        method: &str,
        mut params: Value,
        name: Option<&str>,
    ) -> (Vec<Received>, Option<String>) {
        let id = self.next_id;
        self.next_id += 1;
        if self.is_modern() {
            let meta = params
                .as_object_mut()
                .map(|p| p.entry("_meta").or_insert_with(|| json!({})).clone())
                .unwrap_or_else(|| json!({}));
            let mut meta = meta;
            meta["io.modelcontextprotocol/protocolVersion"] = json!(MODERN);
            meta["io.modelcontextprotocol/clientCapabilities"] = json!({});
            params["_meta"] = meta;
        }
        let body = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        let mut rb = self.base_request(method, name).json(&body);
        if let Some(s) = &self.session {
            rb = rb.header("mcp-session-id", s);
        }
        let resp = rb.send().await.expect("POST failed");
        let sid = resp.headers().get("mcp-session-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let status = resp.status();
        let sse = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|c| c.starts_with("text/event-stream"));
        let mut out = Vec::new();
        if !sse {
            let text = resp.text().await.unwrap_or_default();
            let message = match serde_json::from_str::<Value>(&text) {
                Ok(v) if status.is_success() => v,
                Ok(v) => json!({"http_status": status.as_u16(), "body": v}),
                Err(_) => json!({"http_status": status.as_u16(), "body": text}),
            };
            out.push(Received { at: Instant::now(), message });
            return (out, sid);
        }
        let mut stream = resp.bytes_stream();
        let mut buf = String::new();
        while let Some(chunk) = stream.next().await {
            let Ok(chunk) = chunk else { break };
            buf.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buf.find("\n\n") {
                let block: String = buf.drain(..end + 2).collect();
                let data: Vec<&str> = block
                    .lines()
                    .filter_map(|l| l.strip_prefix("data:"))
                    .map(|d| d.strip_prefix(' ').unwrap_or(d))
                    .collect();
                let data = data.join("\n");
                if data.trim().is_empty() {
                    continue;
                }
                if let Ok(v) = serde_json::from_str::<Value>(&data) {
                    let done =
                        v.get("id") == Some(&json!(id)) && (v.get("result").is_some() || v.get("error").is_some());
                    out.push(Received { at: Instant::now(), message: v });
                    if done {
                        return (out, sid);
                    }
                }
            }
        }
        (out, sid)
    }

    /// `tools/call`; returns all messages (progress notifications first) and the final result.
    pub async fn call(&mut self, tool: &str, args: Value, progress: Option<&str>) -> (Vec<Received>, Value) {
        let mut params = json!({"name": tool, "arguments": args});
        if let Some(tok) = progress {
            params["_meta"] = json!({"progressToken": tok});
        }
        let (msgs, _) = self.post_raw("tools/call", params, Some(tool)).await;
        let last = msgs.last().map(|m| m.message.clone()).unwrap_or(Value::Null);
        (msgs, last)
    }

    /// `tools/call` returning only the JSON-RPC `result` (panics on a protocol error).
    pub async fn call_ok(&mut self, tool: &str, args: Value) -> Value {
        let (_, last) = self.call(tool, args, None).await;
        last.get("result").cloned().unwrap_or_else(|| panic!("no result: {last}"))
    }

    /// `tools/list`, following cursors.
    pub async fn list(&mut self) -> Vec<Value> {
        let pages = self.list_pages().await;
        pages.iter().flat_map(|p| p["result"]["tools"].as_array().cloned().unwrap_or_default()).collect()
    }

    /// `tools/list`, following cursors: each page's whole reply message (at most 1,000 pages).
    pub async fn list_pages(&mut self) -> Vec<Value> {
        let mut pages = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let params = match &cursor {
                Some(c) => json!({"cursor": c}),
                None => json!({}),
            };
            let (msgs, _) = self.post_raw("tools/list", params, None).await;
            let last = msgs.last().map(|m| m.message.clone()).unwrap_or(Value::Null);
            let result = last.get("result").unwrap_or_else(|| panic!("tools/list failed: {last}"));
            cursor = result.get("nextCursor").and_then(Value::as_str).map(str::to_owned);
            pages.push(last);
            assert!(pages.len() <= 1000, "no end to the pages");
            if cursor.is_none() {
                return pages;
            }
        }
    }
}

/// Serves an axum app on a free loopback port; returns its base URL.
pub async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = toolgate::serve(listener, app, std::future::pending()).await;
    });
    format!("http://{addr}")
}

/// The text of all text blocks of a result.
pub fn text(result: &Value) -> String {
    result["content"]
        .as_array()
        .map(|c| c.iter().filter_map(|b| b["text"].as_str()).collect::<Vec<_>>().join("\n"))
        .unwrap_or_default()
}
