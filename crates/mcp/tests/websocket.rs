//! MCP over WebSocket, with a real WebSocket client (tokio-tungstenite) on the wire: both
//! lifecycles (legacy `initialize`, 2026-07-28 requests with `_meta`), progress and log
//! notifications, `notifications/cancelled` and disconnects cancelling the call, list_changed,
//! the `mcp` subprotocol, Host/Origin checks on the upgrade, and the frames that close the
//! connection (binary, too large).

#![allow(clippy::expect_used, clippy::panic, clippy::unwrap_used)] // tests fail loudly

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::future::BoxFuture;
use futures::{SinkExt, StreamExt};
use serde_json::{Map, Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use toolgate_mcp::{Backend, CallError, Caller, HttpOptions, LogLevel, McpHttp, ServerOptions, ToolCall, ToolList};
use toolgate_tools::{ToolDef, ToolOutput};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

const WAIT: Duration = Duration::from_secs(10);

// ---- the backend ------------------------------------------------------------------------------

/// `echo` (says what it got and the upgrade request's `x-who` header) and `slow` (one progress
/// notification and one log message every 50 ms, `steps` times; counts calls that were dropped
/// before they finished).
struct TestBackend {
    list: std::sync::Mutex<Arc<ToolList>>,
    dropped: Arc<AtomicUsize>,
    changes: tokio::sync::watch::Sender<u64>,
}

fn def(name: &str) -> ToolDef {
    let schema = match json!({"type": "object"}) {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    ToolDef {
        name: name.into(),
        title: None,
        description: format!("the {name} tool"),
        input_schema: Arc::new(schema),
        output_schema: None,
        annotations: Default::default(),
    }
}

impl TestBackend {
    fn new() -> Arc<TestBackend> {
        let list = Arc::new(ToolList::new([&def("echo"), &def("slow")]));
        Arc::new(TestBackend {
            list: std::sync::Mutex::new(list),
            dropped: Arc::new(AtomicUsize::new(0)),
            changes: tokio::sync::watch::channel(0).0,
        })
    }

    /// Adds a tool and says so.
    fn add_tool(&self, name: &str) {
        let mut list = self.list.lock().unwrap();
        let mut defs: Vec<ToolDef> = ["echo", "slow"].iter().map(|n| def(n)).collect();
        defs.push(def(name));
        *list = Arc::new(ToolList::new(defs.iter()));
        self.changes.send_modify(|n| *n += 1);
    }
}

/// Counts itself as dropped unless disarmed.
struct DropFlag(Arc<AtomicUsize>, bool);

impl Drop for DropFlag {
    fn drop(&mut self) {
        if self.1 {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
}

impl Backend for TestBackend {
    fn tools(&self, _caller: &Caller) -> Arc<ToolList> {
        self.list.lock().unwrap().clone()
    }

    fn call(&self, call: ToolCall) -> BoxFuture<'static, Result<ToolOutput, CallError>> {
        let dropped = self.dropped.clone();
        Box::pin(async move {
            match call.name.as_str() {
                "echo" => {
                    let who = call
                        .caller
                        .http
                        .as_ref()
                        .and_then(|p| p.headers.get("x-who"))
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("nobody")
                        .to_owned();
                    let args = Value::Object(call.arguments.unwrap_or_default());
                    Ok(ToolOutput::text(format!("{who} sent {args}")))
                }
                "slow" => {
                    let steps = call.arguments.as_ref().and_then(|a| a.get("steps")).and_then(Value::as_u64);
                    let steps = steps.unwrap_or(3);
                    let mut flag = DropFlag(dropped, true);
                    for i in 1..=steps {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        let n = i as f64;
                        call.notifier.progress(n, Some(steps as f64), Some(format!("step {i}"))).await;
                        call.notifier.log(LogLevel::Info, Some("slow"), json!({"step": i})).await;
                    }
                    flag.1 = false;
                    Ok(ToolOutput::text(format!("{steps} steps")))
                }
                _ => Err(CallError::UnknownTool { name: call.name, hint: String::new() }),
            }
        })
    }

    fn changes(&self) -> Option<tokio::sync::watch::Receiver<u64>> {
        Some(self.changes.subscribe())
    }
}

// ---- the server and the client ------------------------------------------------------------------

struct Server {
    addr: std::net::SocketAddr,
    backend: Arc<TestBackend>,
}

async fn serve_with(http: HttpOptions) -> Server {
    let backend = TestBackend::new();
    let mcp = McpHttp::new(backend.clone(), ServerOptions::default(), http);
    let app = mcp.router("/mcp").merge(mcp.websocket_router("/ws"));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(toolgate_mcp::serve(listener, app, std::future::pending()));
    Server { addr, backend }
}

async fn serve() -> Server {
    serve_with(HttpOptions::default()).await
}

/// Connects to `/ws` with these extra headers (the `mcp` subprotocol unless told otherwise).
async fn try_connect(s: &Server, headers: &[(&str, &str)]) -> Result<(Ws, http::Response<Option<Vec<u8>>>), WsError> {
    let mut req = format!("ws://{}/ws", s.addr).into_client_request().expect("request");
    for (k, v) in headers {
        req.headers_mut().insert(
            http::HeaderName::from_bytes(k.as_bytes()).expect("name"),
            http::HeaderValue::from_str(v).expect("value"),
        );
    }
    tokio_tungstenite::connect_async(req).await
}

async fn connect(s: &Server) -> Ws {
    let (ws, resp) = try_connect(s, &[("sec-websocket-protocol", "mcp")]).await.expect("connect");
    assert_eq!(resp.headers().get("sec-websocket-protocol").map(|v| v.to_str().unwrap()), Some("mcp"));
    ws
}

async fn send(ws: &mut Ws, msg: Value) {
    ws.send(Message::Text(msg.to_string().into())).await.expect("send");
}

/// The next JSON-RPC message (skips pings).
async fn next(ws: &mut Ws) -> Value {
    loop {
        let m = tokio::time::timeout(WAIT, ws.next()).await.expect("a message in time");
        match m {
            Some(Ok(Message::Text(t))) => return serde_json::from_str(t.as_str()).expect("JSON"),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            other => panic!("expected a text frame, got {other:?}"),
        }
    }
}

/// Reads until the response to `id`; returns it and the notifications before it.
async fn response(ws: &mut Ws, id: i64) -> (Value, Vec<Value>) {
    let mut notes = Vec::new();
    loop {
        let m = next(ws).await;
        if m["id"] == json!(id) && m.get("method").is_none() {
            return (m, notes);
        }
        notes.push(m);
    }
}

/// Reads until the close frame; returns its code and reason.
async fn closed(ws: &mut Ws) -> (CloseCode, String) {
    loop {
        match tokio::time::timeout(WAIT, ws.next()).await.expect("a close frame in time") {
            Some(Ok(Message::Close(Some(f)))) => return (f.code, f.reason.to_string()),
            Some(Ok(Message::Text(_) | Message::Ping(_) | Message::Pong(_))) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    }
}

async fn initialize(ws: &mut Ws) -> Value {
    send(
        ws,
        json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {},
            "clientInfo": {"name": "ws-test", "version": "1"}}}),
    )
    .await;
    let (init, _) = response(ws, 0).await;
    send(ws, json!({"jsonrpc": "2.0", "method": "notifications/initialized"})).await;
    init
}

fn modern_meta(extra: Value) -> Value {
    let mut meta = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
    });
    if let (Some(m), Value::Object(e)) = (meta.as_object_mut(), extra) {
        m.extend(e);
    }
    meta
}

async fn wait_until(what: &str, f: impl Fn() -> bool) {
    let end = tokio::time::Instant::now() + WAIT;
    while !f() {
        assert!(tokio::time::Instant::now() < end, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

// ---- tests ------------------------------------------------------------------------------------------

#[tokio::test]
async fn legacy_session_lists_and_calls_with_progress_and_logs() {
    let s = serve().await;
    let (mut ws, _) = try_connect(&s, &[("sec-websocket-protocol", "mcp"), ("x-who", "alice")]).await.expect("connect");
    let init = initialize(&mut ws).await;
    assert_eq!(init["result"]["protocolVersion"], "2025-11-25", "{init}");
    assert_eq!(init["result"]["serverInfo"]["name"], "toolgate", "{init}");

    send(&mut ws, json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})).await;
    let (list, _) = response(&mut ws, 1).await;
    let names: Vec<&str> =
        list["result"]["tools"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["echo", "slow"], "{list}");

    // The upgrade request's headers reach the backend as the caller's HTTP request.
    send(
        &mut ws,
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "echo", "arguments": {"a": 1}}}),
    )
    .await;
    let (echo, _) = response(&mut ws, 2).await;
    assert_eq!(echo["result"]["content"][0]["text"], r#"alice sent {"a":1}"#, "{echo}");

    send(&mut ws, json!({"jsonrpc": "2.0", "id": 3, "method": "logging/setLevel", "params": {"level": "info"}})).await;
    let (lvl, _) = response(&mut ws, 3).await;
    assert!(lvl.get("result").is_some(), "{lvl}");

    send(
        &mut ws,
        json!({"jsonrpc": "2.0", "id": 4, "method": "tools/call",
               "params": {"name": "slow", "arguments": {"steps": 3}, "_meta": {"progressToken": "p4"}}}),
    )
    .await;
    let (done, notes) = response(&mut ws, 4).await;
    assert_eq!(done["result"]["content"][0]["text"], "3 steps", "{done}");
    let progress: Vec<&Value> = notes.iter().filter(|n| n["method"] == "notifications/progress").collect();
    assert_eq!(progress.len(), 3, "{notes:?}");
    assert_eq!(
        progress[2]["params"],
        json!({"progressToken": "p4", "progress": 3.0, "total": 3.0, "message": "step 3"})
    );
    let logs: Vec<&Value> = notes.iter().filter(|n| n["method"] == "notifications/message").collect();
    assert_eq!(logs.len(), 3, "{notes:?}");
    assert_eq!(logs[0]["params"]["data"], json!({"step": 1}), "{notes:?}");

    // Unknown tools are JSON-RPC errors, and the session goes on.
    send(&mut ws, json!({"jsonrpc": "2.0", "id": 5, "method": "tools/call", "params": {"name": "nope"}})).await;
    let (err, _) = response(&mut ws, 5).await;
    assert_eq!(err["error"]["code"], -32602, "{err}");
    send(&mut ws, json!({"jsonrpc": "2.0", "id": 6, "method": "ping"})).await;
    let (pong, _) = response(&mut ws, 6).await;
    assert_eq!(pong["result"], json!({}), "{pong}");

    ws.close(None).await.expect("close");
}

#[tokio::test]
async fn modern_requests_need_no_handshake() {
    let s = serve().await;
    let mut ws = connect(&s).await;
    send(
        &mut ws,
        json!({"jsonrpc": "2.0", "id": "d", "method": "server/discover", "params": {"_meta": modern_meta(json!({}))}}),
    )
    .await;
    let disc = next(&mut ws).await;
    assert!(disc["result"]["supportedVersions"].to_string().contains("2026-07-28"), "{disc}");

    send(
        &mut ws,
        json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"_meta": modern_meta(json!({}))}}),
    )
    .await;
    let (list, _) = response(&mut ws, 1).await;
    assert_eq!(list["result"]["tools"].as_array().map(Vec::len), Some(2), "{list}");
    assert_eq!(list["result"]["cacheScope"], "public", "{list}");
    assert_eq!(list["result"]["_meta"]["io.modelcontextprotocol/serverInfo"]["name"], "toolgate", "{list}");

    let meta = modern_meta(json!({"progressToken": 9, "io.modelcontextprotocol/logLevel": "info"}));
    send(
        &mut ws,
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
               "params": {"name": "slow", "arguments": {"steps": 2}, "_meta": meta}}),
    )
    .await;
    let (done, notes) = response(&mut ws, 2).await;
    assert_eq!(done["result"]["content"][0]["text"], "2 steps", "{done}");
    let progress = notes.iter().filter(|n| n["method"] == "notifications/progress").count();
    let logs = notes.iter().filter(|n| n["method"] == "notifications/message").count();
    assert_eq!((progress, logs), (2, 2), "{notes:?}");
}

#[tokio::test]
async fn cancelled_calls_stop_and_get_no_answer() {
    let s = serve().await;
    let mut ws = connect(&s).await;
    initialize(&mut ws).await;
    send(
        &mut ws,
        json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call",
               "params": {"name": "slow", "arguments": {"steps": 200}, "_meta": {"progressToken": 1}}}),
    )
    .await;
    let first = next(&mut ws).await;
    assert_eq!(first["method"], "notifications/progress", "{first}");
    send(
        &mut ws,
        json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 7, "reason": "enough"}}),
    )
    .await;
    let dropped = s.backend.dropped.clone();
    wait_until("the call is dropped", || dropped.load(Ordering::SeqCst) == 1).await;

    // No answer to 7: the next response is the ping's.
    send(&mut ws, json!({"jsonrpc": "2.0", "id": 8, "method": "ping"})).await;
    let (pong, notes) = response(&mut ws, 8).await;
    assert_eq!(pong["result"], json!({}), "{pong}");
    assert!(notes.iter().all(|n| n["id"] != json!(7)), "cancelled request answered: {notes:?}");
}

#[tokio::test]
async fn a_client_that_goes_away_cancels_its_calls_at_once() {
    let s = serve().await;
    let mut ws = connect(&s).await;
    initialize(&mut ws).await;
    send(
        &mut ws,
        json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
               "params": {"name": "slow", "arguments": {"steps": 200}, "_meta": {"progressToken": 1}}}),
    )
    .await;
    next(&mut ws).await;
    let started = std::time::Instant::now();
    drop(ws); // no close handshake: the TCP connection just ends
    let dropped = s.backend.dropped.clone();
    wait_until("the call is dropped", || dropped.load(Ordering::SeqCst) == 1).await;
    assert!(started.elapsed() < Duration::from_secs(2), "took {:?}", started.elapsed());
}

#[tokio::test]
async fn tool_list_changes_reach_websocket_sessions() {
    let s = serve().await;
    let mut ws = connect(&s).await;
    initialize(&mut ws).await;
    // Make sure the session is registered (notifications/initialized was handled).
    send(&mut ws, json!({"jsonrpc": "2.0", "id": 1, "method": "ping"})).await;
    response(&mut ws, 1).await;
    s.backend.add_tool("fresh");
    let note = next(&mut ws).await;
    assert_eq!(note["method"], "notifications/tools/list_changed", "{note}");
    send(&mut ws, json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"})).await;
    let (list, _) = response(&mut ws, 2).await;
    assert_eq!(list["result"]["tools"].as_array().map(Vec::len), Some(3), "{list}");
}

#[tokio::test]
async fn foreign_origins_and_hosts_are_refused_before_the_upgrade() {
    let s = serve().await;
    for (headers, what) in [
        (vec![("origin", "https://evil.example")], "foreign origin"),
        (vec![("origin", "null")], "opaque origin"),
        (vec![("host", "evil.example")], "DNS rebinding host"),
    ] {
        match try_connect(&s, &headers).await {
            Err(WsError::Http(resp)) => assert_eq!(resp.status(), 403, "{what}"),
            Err(e) => panic!("{what}: {e}"),
            Ok(_) => panic!("{what}: the upgrade was accepted"),
        }
    }
    // A page on a loopback origin, and a client that sends no Origin, get in.
    let origin = format!("http://localhost:{}", s.addr.port());
    let (mut ws, _) = try_connect(&s, &[("origin", origin.as_str())]).await.expect("loopback origin");
    let init = initialize(&mut ws).await;
    assert!(init.get("result").is_some(), "{init}");
}

#[tokio::test]
async fn configured_origins_are_honoured() {
    let http = HttpOptions { allowed_origins: vec!["https://app.example".into()], ..HttpOptions::default() };
    let s = serve_with(http).await;
    assert!(try_connect(&s, &[("origin", "https://app.example")]).await.is_ok());
    assert!(
        matches!(try_connect(&s, &[("origin", "http://localhost:1")]).await, Err(WsError::Http(r)) if r.status() == 403)
    );
}

#[tokio::test]
async fn the_subprotocol_is_chosen_only_when_offered() {
    let s = serve().await;
    let (_ws, resp) = try_connect(&s, &[]).await.expect("connect");
    assert!(resp.headers().get("sec-websocket-protocol").is_none());
    let (_ws, resp) = try_connect(&s, &[("sec-websocket-protocol", "chat, mcp")]).await.expect("connect");
    assert_eq!(resp.headers().get("sec-websocket-protocol").map(|v| v.to_str().unwrap()), Some("mcp"));
    // Not a WebSocket upgrade at all.
    let plain = reqwest::get(format!("http://{}/ws", s.addr)).await.expect("GET");
    assert!(plain.status().is_client_error(), "{}", plain.status());
}

#[tokio::test]
async fn binary_frames_close_the_connection() {
    let s = serve().await;
    let mut ws = connect(&s).await;
    initialize(&mut ws).await;
    ws.send(Message::Binary(br#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#.to_vec().into())).await.expect("send");
    let (code, reason) = closed(&mut ws).await;
    assert_eq!(code, CloseCode::Unsupported, "{reason}");
}

#[tokio::test]
async fn messages_over_the_size_limit_close_the_connection() {
    let s = serve_with(HttpOptions { max_body_bytes: 1024, ..HttpOptions::default() }).await;
    let mut ws = connect(&s).await;
    initialize(&mut ws).await;
    let big = "x".repeat(4096);
    send(&mut ws, json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "echo", "arguments": {"big": big}}}))
        .await;
    let (code, reason) = closed(&mut ws).await;
    assert_eq!(code, CloseCode::Size, "{reason}");
}

#[tokio::test]
async fn unreadable_messages_get_json_rpc_errors_and_the_session_goes_on() {
    let s = serve().await;
    let mut ws = connect(&s).await;
    initialize(&mut ws).await;
    ws.send(Message::Text("{oops".into())).await.expect("send");
    let e = next(&mut ws).await;
    assert_eq!((e["error"]["code"].as_i64(), &e["id"]), (Some(-32700), &Value::Null), "{e}");
    send(&mut ws, json!({"jsonrpc": "2.0", "id": 3, "method": 42})).await;
    let e = next(&mut ws).await;
    assert_eq!((e["error"]["code"].as_i64(), &e["id"]), (Some(-32600), &json!(3)), "{e}");
    send(&mut ws, json!({"jsonrpc": "2.0", "id": 4, "method": "ping"})).await;
    let (pong, _) = response(&mut ws, 4).await;
    assert_eq!(pong["result"], json!({}), "{pong}");
}

#[tokio::test]
async fn a_session_must_start_with_a_lifecycle_message() {
    let s = serve().await;
    let mut ws = connect(&s).await;
    // A legacy request without `initialize` first and without 2026-07-28 `_meta`: an error.
    send(&mut ws, json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})).await;
    let e = next(&mut ws).await;
    assert!(e.get("error").is_some(), "{e}");
    // A notification first is a protocol error: the connection closes.
    send(&mut ws, json!({"jsonrpc": "2.0", "method": "notifications/initialized"})).await;
    let (code, reason) = closed(&mut ws).await;
    assert_eq!(code, CloseCode::Protocol, "{reason}");
}

#[tokio::test]
async fn modern_listeners_get_list_changes_until_they_cancel() {
    let s = serve().await;
    let mut ws = connect(&s).await;
    send(
        &mut ws,
        json!({"jsonrpc": "2.0", "id": "l", "method": "subscriptions/listen",
               "params": {"_meta": modern_meta(json!({})), "notifications": {"toolsListChanged": true}}}),
    )
    .await;
    let ack = next(&mut ws).await;
    assert_eq!(ack["method"], "notifications/subscriptions/acknowledged", "{ack}");
    s.backend.add_tool("fresh");
    let note = next(&mut ws).await;
    assert_eq!(note["method"], "notifications/tools/list_changed", "{note}");
    // Requests go on next to the open subscription.
    send(
        &mut ws,
        json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"_meta": modern_meta(json!({}))}}),
    )
    .await;
    let (list, _) = response(&mut ws, 1).await;
    assert_eq!(list["result"]["tools"].as_array().map(Vec::len), Some(3), "{list}");
    // Cancelling the listen request ends the subscription (a cancelled request gets no answer).
    send(&mut ws, json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": "l"}})).await;
    send(
        &mut ws,
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {"_meta": modern_meta(json!({}))}}),
    )
    .await;
    let (_, notes) = response(&mut ws, 2).await;
    assert!(notes.is_empty(), "{notes:?}");
    s.backend.add_tool("fresher");
    let quiet = tokio::time::timeout(Duration::from_millis(300), ws.next()).await;
    assert!(quiet.is_err(), "a notification after the subscription ended: {quiet:?}");
}

#[tokio::test]
async fn idle_connections_are_pinged() {
    let http = HttpOptions { sse_keep_alive: Some(Duration::from_millis(100)), ..HttpOptions::default() };
    let s = serve_with(http).await;
    let mut ws = connect(&s).await;
    initialize(&mut ws).await;
    let ping = loop {
        match tokio::time::timeout(WAIT, ws.next()).await.expect("a ping in time") {
            Some(Ok(Message::Ping(p))) => break p,
            Some(Ok(Message::Text(_))) => continue,
            other => panic!("expected a ping, got {other:?}"),
        }
    };
    assert!(ping.is_empty());
    // The client's automatic pong keeps the session alive.
    send(&mut ws, json!({"jsonrpc": "2.0", "id": 1, "method": "ping"})).await;
    let (pong, _) = response(&mut ws, 1).await;
    assert_eq!(pong["result"], json!({}), "{pong}");
}
