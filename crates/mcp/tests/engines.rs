//! The lean engine answers as rmcp's: the same raw requests — good, malformed, in both eras,
//! with and without a session — go to an endpoint of each engine, and every reply must have the
//! same status, the same JSON-RPC messages (or the same text) and the same protocol headers.
//! Where the lean engine differs on purpose: legacy-session replies are JSON when
//! `json_response` is on (rmcp always streams them) and carry no SSE priming event, and a legacy
//! call's log messages go on the call's own reply stream, beside its progress (rmcp sends them on
//! the session's GET stream), so they are left out of the comparison of legacy calls.

// Test code: a failed bind or request should stop the test loudly.
#![allow(clippy::expect_used, clippy::panic, clippy::unwrap_used)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use serde_json::{Map, Value, json};
use toolgate_mcp::{
    Backend, CallError, Caller, CompletionTarget, Engine, HttpOptions, LogLevel, McpHttp, PromptDef, PromptResult,
    ResourceContent, ResourceDef, ServerOptions, ToolCall, ToolList,
};
use toolgate_tools::{Content, ToolDef, ToolOutput};

fn object(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn tool(name: &str, input: Value, output: Option<Value>) -> ToolDef {
    ToolDef {
        name: name.into(),
        title: None,
        description: format!("the {name} tool"),
        input_schema: Arc::new(object(input)),
        output_schema: output.map(|o| Arc::new(object(o))),
        annotations: Default::default(),
    }
}

struct TestBackend {
    list: Arc<ToolList>,
}

impl TestBackend {
    fn new() -> Arc<TestBackend> {
        let mut defs = vec![
            tool("echo", json!({"type": "object", "properties": {"text": {"type": "string"}}}), None),
            tool(
                "region",
                json!({"type": "object", "properties": {"region": {"type": "string", "x-mcp-header": "Region"}}}),
                None,
            ),
            tool("array", json!({"type": "object"}), Some(json!({"type": "array"}))),
            tool("progress", json!({"type": "object"}), None),
            tool("needs_sampling", json!({"type": "object"}), None),
        ];
        for i in 0..150 {
            defs.push(tool(&format!("filler_{i}"), json!({"type": "object"}), None));
        }
        Arc::new(TestBackend { list: Arc::new(ToolList::new(defs.iter())) })
    }
}

impl Backend for TestBackend {
    fn tools(&self, _caller: &Caller) -> Arc<ToolList> {
        self.list.clone()
    }

    fn call(&self, call: ToolCall) -> BoxFuture<'static, Result<ToolOutput, CallError>> {
        Box::pin(async move {
            match call.name.as_str() {
                "echo" | "region" => {
                    Ok(ToolOutput::text(Value::Object(call.arguments.unwrap_or_default()).to_string()))
                }
                "array" => Ok(ToolOutput {
                    content: vec![Content::Text("[1,2,3]".into())],
                    structured: Some(json!([1, 2, 3])),
                    is_error: false,
                }),
                "progress" => {
                    call.notifier.progress(1.0, Some(2.0), Some("half".into())).await;
                    call.notifier.log(LogLevel::Info, Some("t"), json!("working")).await;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    call.notifier.progress(2.0, Some(2.0), None).await;
                    Ok(ToolOutput::text("done"))
                }
                "needs_sampling" if !call.caller.has_client_capability("sampling") => {
                    Err(CallError::MissingClientCapability { tool: call.name, capability: "sampling".into() })
                }
                "needs_sampling" => Ok(ToolOutput::text("sampled")),
                name if name.starts_with("filler_") => Ok(ToolOutput::text(name.to_owned())),
                _ => Err(CallError::UnknownTool { name: call.name, hint: String::new() }),
            }
        })
    }

    fn resources(&self) -> Vec<ResourceDef> {
        vec![ResourceDef { uri: "test://one".into(), name: "one".into(), description: None, mime_type: None }]
    }

    fn resource_templates(&self) -> Vec<ResourceDef> {
        vec![ResourceDef { uri: "test://items/{id}".into(), name: "items".into(), description: None, mime_type: None }]
    }

    fn read_resource(&self, uri: &str) -> BoxFuture<'static, Option<Vec<ResourceContent>>> {
        let found = (uri == "test://one").then(|| vec![ResourceContent::text("test://one", "text/plain", "one")]);
        Box::pin(async move { found })
    }

    fn prompts(&self) -> Vec<PromptDef> {
        vec![PromptDef { name: "greet".into(), description: None, arguments: vec![("who".into(), None, true)] }]
    }

    fn get_prompt(
        &self,
        name: &str,
        args: HashMap<String, String>,
    ) -> BoxFuture<'static, Result<PromptResult, String>> {
        let r = (name == "greet")
            .then(|| {
                PromptResult::new().user(Content::Text(format!("hi {}", args.get("who").cloned().unwrap_or_default())))
            })
            .ok_or_else(|| format!("no prompt {name}"));
        Box::pin(async move { r })
    }

    fn complete(&self, _target: &CompletionTarget, _argument: &str, value: &str) -> Vec<String> {
        ["alice", "bob"].iter().filter(|v| v.starts_with(value)).map(|v| (*v).to_owned()).collect()
    }
}

async fn serve(engine: Engine, backend: Arc<TestBackend>) -> String {
    let http = McpHttp::new(backend, ServerOptions::default(), HttpOptions { engine, ..HttpOptions::default() });
    assert_eq!(http.engine(), engine);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(toolgate_mcp::serve(listener, http.router("/mcp"), std::future::pending()));
    format!("http://{addr}/mcp")
}

/// A reply, reduced to what must agree.
#[derive(Debug, PartialEq)]
struct Reply {
    status: u16,
    /// JSON-RPC messages (SSE events or the JSON body), or the text body.
    messages: Vec<Value>,
    text: Option<String>,
    allow: Option<String>,
    has_session_id: bool,
}

const MODERN: &str = "2026-07-28";
const LEGACY: &str = "2025-11-25";

fn modern_meta() -> Value {
    json!({"io.modelcontextprotocol/protocolVersion": MODERN, "io.modelcontextprotocol/clientCapabilities": {}})
}

struct Probe {
    method: &'static str,
    headers: Vec<(&'static str, String)>,
    body: Option<String>,
}

impl Probe {
    fn post(body: Value) -> Probe {
        Probe {
            method: "POST",
            headers: vec![
                ("accept", "application/json, text/event-stream".into()),
                ("content-type", "application/json".into()),
            ],
            body: Some(body.to_string()),
        }
    }

    fn modern(method: &str, name: Option<&str>, mut params: Value) -> Probe {
        if params.get("_meta").is_none() {
            params["_meta"] = modern_meta();
        }
        let mut p = Probe::post(json!({"jsonrpc": "2.0", "id": 7, "method": method, "params": params}));
        p.headers.push(("mcp-protocol-version", MODERN.into()));
        p.headers.push(("mcp-method", method.into()));
        if let Some(n) = name {
            p.headers.push(("mcp-name", n.into()));
        }
        p
    }

    fn legacy(method: &str, params: Value) -> Probe {
        let mut p = Probe::post(json!({"jsonrpc": "2.0", "id": 9, "method": method, "params": params}));
        p.headers.push(("mcp-protocol-version", LEGACY.into()));
        p.headers.push(("mcp-session-id", "SESSION".into()));
        p
    }

    fn with(mut self, k: &'static str, v: &str) -> Probe {
        self.headers.retain(|(h, _)| *h != k);
        self.headers.push((k, v.into()));
        self
    }

    fn without(mut self, k: &str) -> Probe {
        self.headers.retain(|(h, _)| *h != k);
        self
    }
}

async fn send(url: &str, session: &str, probe: &Probe) -> Reply {
    let client = reqwest::Client::new();
    let method = reqwest::Method::from_bytes(probe.method.as_bytes()).unwrap();
    let mut rb = client.request(method, url);
    for (k, v) in &probe.headers {
        rb = rb.header(*k, v.replace("SESSION", session));
    }
    if let Some(b) = &probe.body {
        rb = rb.body(b.clone());
    }
    let resp = rb.send().await.expect("send");
    let status = resp.status().as_u16();
    let allow = resp.headers().get("allow").map(|v| v.to_str().unwrap().to_owned());
    let has_session_id = resp.headers().contains_key("mcp-session-id");
    let sse = resp.headers().get("content-type").is_some_and(|c| c.to_str().unwrap().starts_with("text/event-stream"));
    let mut messages = Vec::new();
    let mut text = None;
    if sse {
        // Read events until the response message (streams may stay open).
        let mut buf = String::new();
        let mut stream = resp.bytes_stream();
        use futures::StreamExt;
        'read: while let Ok(Some(Ok(chunk))) = tokio::time::timeout(Duration::from_secs(2), stream.next()).await {
            buf.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buf.find("\n\n") {
                let block: String = buf.drain(..end + 2).collect();
                let data: String = block
                    .lines()
                    .filter_map(|l| l.strip_prefix("data:"))
                    .map(str::trim_start)
                    .collect::<Vec<_>>()
                    .join("\n");
                if data.trim().is_empty() {
                    continue; // priming events and keep-alives
                }
                let v: Value = serde_json::from_str(&data).expect("event data");
                let last = v.get("result").is_some() || v.get("error").is_some();
                messages.push(v);
                if last {
                    break 'read;
                }
            }
        }
    } else {
        let bytes = resp.bytes().await.expect("read");
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(v) if !bytes.is_empty() => messages.push(v),
            _ => text = Some(String::from_utf8_lossy(&bytes).into_owned()),
        }
    }
    Reply { status, messages, text: text.filter(|t| !t.is_empty()), allow, has_session_id }
}

/// Opens a legacy session (initialize + initialized); returns its id.
async fn session(url: &str, caps: Value) -> String {
    let init = Probe::post(json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": LEGACY, "capabilities": caps, "clientInfo": {"name": "t", "version": "0"}}}));
    let resp = reqwest::Client::new()
        .post(url)
        .header("accept", "application/json, text/event-stream")
        .header("content-type", "application/json")
        .body(init.body.unwrap())
        .send()
        .await
        .expect("initialize");
    let sid = resp.headers()["mcp-session-id"].to_str().unwrap().to_owned();
    let _ = tokio::time::timeout(Duration::from_secs(2), resp.bytes()).await;
    let r = reqwest::Client::new()
        .post(url)
        .header("accept", "application/json, text/event-stream")
        .header("content-type", "application/json")
        .header("mcp-session-id", &sid)
        .header("mcp-protocol-version", LEGACY)
        .body(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}).to_string())
        .send()
        .await
        .expect("initialized");
    assert_eq!(r.status(), 202);
    sid
}

fn probes() -> Vec<(&'static str, Probe)> {
    let call = |name: &str, args: Value| json!({"name": name, "arguments": args});
    vec![
        // 2026-07-28, good
        ("discover", Probe::modern("server/discover", None, json!({}))),
        ("modern list", Probe::modern("tools/list", None, json!({}))),
        ("modern list page 2", Probe::modern("tools/list", None, json!({"cursor": "p1"}))),
        ("modern list bad cursor", Probe::modern("tools/list", None, json!({"cursor": "zz"}))),
        ("modern call", Probe::modern("tools/call", Some("echo"), call("echo", json!({"text": "hi"})))),
        ("modern call array", Probe::modern("tools/call", Some("array"), call("array", json!({})))),
        ("modern call unknown", Probe::modern("tools/call", Some("nope"), call("nope", json!({})))),
        ("modern call 32021", Probe::modern("tools/call", Some("needs_sampling"), call("needs_sampling", json!({})))),
        (
            "modern call sampling",
            Probe::modern(
                "tools/call",
                Some("needs_sampling"),
                json!({"name": "needs_sampling", "_meta": {"io.modelcontextprotocol/protocolVersion": MODERN,
                    "io.modelcontextprotocol/clientCapabilities": {"sampling": {}}}}),
            ),
        ),
        (
            "modern call progress",
            Probe::modern(
                "tools/call",
                Some("progress"),
                json!({"name": "progress", "_meta": {"io.modelcontextprotocol/protocolVersion": MODERN,
                    "io.modelcontextprotocol/clientCapabilities": {}, "progressToken": "tok",
                    "io.modelcontextprotocol/logLevel": "debug"}}),
            ),
        ),
        ("modern param header", Probe::modern("tools/call", Some("region"), call("region", json!({"region": "eu"}))).with("mcp-param-region", "eu")),
        ("modern param header b64", Probe::modern("tools/call", Some("region"), call("region", json!({"region": "eu"}))).with("mcp-param-region", "=?base64?ZXU=?=")),
        ("modern param header missing", Probe::modern("tools/call", Some("region"), call("region", json!({"region": "eu"})))),
        ("modern param header wrong", Probe::modern("tools/call", Some("region"), call("region", json!({"region": "eu"}))).with("mcp-param-region", "us")),
        ("modern resources/list", Probe::modern("resources/list", None, json!({}))),
        ("modern templates", Probe::modern("resources/templates/list", None, json!({}))),
        ("modern read", Probe::modern("resources/read", Some("test://one"), json!({"uri": "test://one"}))),
        ("modern read missing", Probe::modern("resources/read", Some("test://two"), json!({"uri": "test://two"}))),
        ("modern prompts", Probe::modern("prompts/list", None, json!({}))),
        ("modern prompt", Probe::modern("prompts/get", Some("greet"), json!({"name": "greet", "arguments": {"who": "x"}}))),
        ("modern prompt bad", Probe::modern("prompts/get", Some("nope"), json!({"name": "nope"}))),
        ("modern complete", Probe::modern("completion/complete", None,
            json!({"ref": {"type": "ref/prompt", "name": "greet"}, "argument": {"name": "who", "value": "a"}}))),
        ("modern ping", Probe::modern("ping", None, json!({}))),
        ("modern setLevel", Probe::modern("logging/setLevel", None, json!({"level": "info"}))),
        ("modern initialize", Probe::modern("initialize", None, json!({"protocolVersion": MODERN, "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}))),
        ("modern unknown method", Probe::modern("foo/bar", None, json!({}))),
        ("modern subscribe", Probe::modern("resources/subscribe", Some("test://one"), json!({"uri": "test://one"}))),
        ("modern notification", {
            let mut p = Probe::post(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
            p.headers.push(("mcp-protocol-version", MODERN.into()));
            p.headers.push(("mcp-method", "notifications/initialized".into()));
            p
        }),
        ("modern notification no method header", {
            let mut p = Probe::post(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
            p.headers.push(("mcp-protocol-version", MODERN.into()));
            p
        }),
        ("modern response message", {
            let mut p = Probe::post(json!({"jsonrpc": "2.0", "id": 3, "result": {}}));
            p.headers.push(("mcp-protocol-version", MODERN.into()));
            p
        }),
        // 2026-07-28, bad
        ("no meta", Probe::modern("tools/list", None, json!({"_meta": {}}))),
        ("meta without caps", Probe::modern("tools/call", Some("echo"),
            json!({"name": "echo", "_meta": {"io.modelcontextprotocol/protocolVersion": MODERN}}))),
        ("meta without version", Probe::modern("tools/call", Some("echo"),
            json!({"name": "echo", "_meta": {"io.modelcontextprotocol/clientCapabilities": {}}}))),
        ("discover without meta", Probe::modern("server/discover", None, json!({"_meta": {}}))),
        ("unsupported meta version", Probe::modern("tools/list", None,
            json!({"_meta": {"io.modelcontextprotocol/protocolVersion": "2099-01-01", "io.modelcontextprotocol/clientCapabilities": {}}}))
            .with("mcp-protocol-version", "2099-01-01")),
        ("header/meta mismatch", Probe::modern("tools/list", None, json!({})).with("mcp-protocol-version", LEGACY)),
        ("no version header", Probe::modern("tools/list", None, json!({})).without("mcp-protocol-version")),
        ("missing Mcp-Method", Probe::modern("tools/list", None, json!({})).without("mcp-method")),
        ("wrong Mcp-Method", Probe::modern("tools/list", None, json!({})).with("mcp-method", "tools/call")),
        ("missing Mcp-Name", Probe::modern("tools/call", None, call("echo", json!({})))),
        ("wrong Mcp-Name", Probe::modern("tools/call", Some("other"), call("echo", json!({})))),
        ("b64 Mcp-Name", Probe::modern("tools/call", Some("=?base64?ZWNobw==?="), call("echo", json!({})))),
        ("bad b64 Mcp-Name", Probe::modern("tools/call", Some("=?base64?%%%?="), call("echo", json!({})))),
        ("unknown version header", Probe::modern("tools/list", None, json!({})).with("mcp-protocol-version", "1999-01-01").without("mcp-method")),
        ("no accept sse", Probe::modern("tools/list", None, json!({})).with("accept", "application/json")),
        ("accept q=0", Probe::modern("tools/list", None, json!({})).with("accept", "application/json, text/event-stream;q=0")),
        ("wrong content type", Probe::modern("tools/list", None, json!({})).with("content-type", "text/plain")),
        ("json charset", Probe::modern("tools/list", None, json!({})).with("content-type", "application/json; charset=utf-8")),
        ("not json", { let mut p = Probe::modern("tools/list", None, json!({})); p.body = Some("{nope".into()); p }),
        ("not jsonrpc", { let mut p = Probe::modern("tools/list", None, json!({})); p.body = Some("[1,2]".into()); p }),
        ("call without name", Probe::modern("tools/call", None, json!({}))),
        ("evil host", Probe::modern("tools/list", None, json!({})).with("host", "evil.example.com")),
        ("host with port", Probe::modern("tools/list", None, json!({})).with("host", "localhost:9999")),
        ("evil origin", Probe::modern("tools/list", None, json!({})).with("origin", "http://evil.example.com")),
        ("local origin", Probe::modern("tools/list", None, json!({})).with("origin", "http://localhost:3000")),
        ("bad origin", Probe::modern("tools/list", None, json!({})).with("origin", "nonsense")),
        ("put", Probe { method: "PUT", headers: vec![], body: None }),
        ("modern get", Probe { method: "GET", headers: vec![("accept", "text/event-stream".into()), ("mcp-protocol-version", MODERN.into())], body: None }),
        ("modern delete", Probe { method: "DELETE", headers: vec![("mcp-protocol-version", MODERN.into())], body: None }),
        // legacy, in the session opened for the run
        ("legacy list", Probe::legacy("tools/list", json!({}))),
        ("legacy list no params", { let mut p = Probe::legacy("tools/list", json!({})); p.body = Some(json!({"jsonrpc": "2.0", "id": 9, "method": "tools/list"}).to_string()); p }),
        ("legacy list page 2", Probe::legacy("tools/list", json!({"cursor": "p1"}))),
        ("legacy call", Probe::legacy("tools/call", call("echo", json!({"text": "x"})))),
        ("legacy call string id", { let mut p = Probe::legacy("tools/call", json!({})); p.body = Some(json!({"jsonrpc": "2.0", "id": "abc", "method": "tools/call", "params": call("echo", json!({}))}).to_string()); p }),
        ("legacy call array", Probe::legacy("tools/call", call("array", json!({})))),
        ("legacy call unknown", Probe::legacy("tools/call", call("nope", json!({})))),
        ("legacy call 32021", Probe::legacy("tools/call", call("needs_sampling", json!({})))),
        ("legacy ping", Probe::legacy("ping", json!({}))),
        ("legacy setLevel", Probe::legacy("logging/setLevel", json!({"level": "debug"}))),
        ("legacy call progress", Probe::legacy("tools/call", json!({"name": "progress", "_meta": {"progressToken": 5}}))),
        ("legacy resources", Probe::legacy("resources/list", json!({}))),
        ("legacy read missing", Probe::legacy("resources/read", json!({"uri": "test://two"}))),
        ("legacy subscribe", Probe::legacy("resources/subscribe", json!({"uri": "test://one"}))),
        ("legacy prompt", Probe::legacy("prompts/get", json!({"name": "greet", "arguments": {"who": "y"}}))),
        ("legacy complete", Probe::legacy("completion/complete",
            json!({"ref": {"type": "ref/prompt", "name": "greet"}, "argument": {"name": "who", "value": "b"}}))),
        ("legacy listen", Probe::legacy("subscriptions/listen", json!({"notifications": {"toolsListChanged": true}}))),
        ("legacy discover", Probe::legacy("server/discover", json!({}))),
        ("legacy unknown version header", Probe::legacy("tools/list", json!({})).with("mcp-protocol-version", "1999-01-01")),
        ("legacy no version header", Probe::legacy("tools/list", json!({})).without("mcp-protocol-version")),
        ("legacy notification", { let mut p = Probe::legacy("x", json!({})); p.body = Some(json!({"jsonrpc": "2.0", "method": "notifications/roots/list_changed"}).to_string()); p }),
        ("legacy cancel unknown", { let mut p = Probe::legacy("x", json!({})); p.body = Some(json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 77}}).to_string()); p }),
        ("legacy response message", { let mut p = Probe::legacy("x", json!({})); p.body = Some(json!({"jsonrpc": "2.0", "id": 4, "result": {}}).to_string()); p }),
        ("legacy get second", Probe { method: "GET", headers: vec![("accept", "application/json".into()), ("mcp-session-id", "SESSION".into())], body: None }),
        // legacy without or with a wrong session
        ("no session", Probe::legacy("tools/list", json!({})).without("mcp-session-id")),
        ("no session notification", { let mut p = Probe::legacy("x", json!({})).without("mcp-session-id"); p.body = Some(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}).to_string()); p }),
        ("unknown session", Probe::legacy("tools/list", json!({})).with("mcp-session-id", "nope")),
        ("unknown session get", Probe { method: "GET", headers: vec![("accept", "text/event-stream".into()), ("mcp-session-id", "nope".into())], body: None }),
        ("get without session", Probe { method: "GET", headers: vec![("accept", "text/event-stream".into())], body: None }),
        ("get no accept", Probe { method: "GET", headers: vec![("mcp-session-id", "nope".into())], body: None }),
        ("delete without session", Probe { method: "DELETE", headers: vec![], body: None }),
        ("delete unknown session", Probe { method: "DELETE", headers: vec![("mcp-session-id", "nope".into())], body: None }),
        ("initialize mismatched header", {
            let mut p = Probe::post(json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                "protocolVersion": LEGACY, "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}}));
            p.headers.push(("mcp-protocol-version", "2025-06-18".into()));
            p
        }),
        ("initialize wrong Mcp-Method", {
            let mut p = Probe::post(json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                "protocolVersion": MODERN, "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}}));
            p.headers.push(("mcp-protocol-version", MODERN.into()));
            p.headers.push(("mcp-method", "tools/list".into()));
            p
        }),
        ("initialize 2026", {
            let mut p = Probe::post(json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                "protocolVersion": MODERN, "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}}));
            p.headers.push(("mcp-protocol-version", MODERN.into()));
            p
        }),
        ("initialize old", Probe::post(json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2024-11-05", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}}))),
        ("initialize unknown", Probe::post(json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2030-01-01", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}}))),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lean_engine_answers_like_rmcp() {
    let backend = TestBackend::new();
    let rmcp = serve(Engine::Rmcp, backend.clone()).await;
    let lean = serve(Engine::Lean, backend).await;
    let (rmcp_sid, lean_sid) = (session(&rmcp, json!({})).await, session(&lean, json!({})).await);
    let mut diffs = Vec::new();
    for (name, probe) in probes() {
        let a = send(&rmcp, &rmcp_sid, &probe).await;
        let mut b = send(&lean, &lean_sid, &probe).await;
        if name.starts_with("legacy call") {
            b.messages.retain(|m| m["method"] != "notifications/message");
        }
        if a != b {
            diffs.push(format!("{name}:\n  rmcp: {a:?}\n  lean: {b:?}"));
        }
    }
    assert!(diffs.is_empty(), "{} of {} probes differ:\n{}", diffs.len(), probes().len(), diffs.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_end_on_delete_in_both_engines() {
    let backend = TestBackend::new();
    for engine in [Engine::Rmcp, Engine::Lean] {
        let url = serve(engine, backend.clone()).await;
        let sid = session(&url, json!({"sampling": {}})).await;
        // Capabilities declared at initialize count for the session's calls.
        let r = send(&url, &sid, &Probe::legacy("tools/call", json!({"name": "needs_sampling"}))).await;
        assert_eq!(r.messages.last().unwrap()["result"]["content"][0]["text"], "sampled", "{engine:?}: {r:?}");
        let del = Probe { method: "DELETE", headers: vec![("mcp-session-id", "SESSION".into())], body: None };
        assert_eq!(send(&url, &sid, &del).await.status, 202, "{engine:?}");
        let after = send(&url, &sid, &Probe::legacy("tools/list", json!({}))).await;
        assert_eq!(after.status, 404, "{engine:?}: {after:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_lean_sessions_expire_unless_a_stream_is_open() {
    let http = HttpOptions {
        engine: Engine::Lean,
        session_idle_timeout: Some(Duration::from_millis(300)),
        ..HttpOptions::default()
    };
    let mcp = McpHttp::new(TestBackend::new(), ServerOptions::default(), http);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.expect("bind");
    let url = format!("http://{}/mcp", listener.local_addr().expect("addr"));
    tokio::spawn(toolgate_mcp::serve(listener, mcp.router("/mcp"), std::future::pending()));

    let idle = session(&url, json!({})).await;
    let streaming = session(&url, json!({})).await;
    let get = reqwest::Client::new()
        .get(&url)
        .header("accept", "text/event-stream")
        .header("mcp-session-id", &streaming)
        .header("mcp-protocol-version", LEGACY)
        .send()
        .await
        .expect("GET");
    assert_eq!(get.status(), 200);
    tokio::time::sleep(Duration::from_millis(900)).await;
    let list = Probe::legacy("tools/list", json!({}));
    assert_eq!(send(&url, &idle, &list).await.status, 404, "the idle session expired");
    assert_eq!(send(&url, &streaming, &list).await.status, 200, "a session with an open GET stream stays");
    drop(get);
}
