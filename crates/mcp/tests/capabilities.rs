//! What the server answers depends on what the backend offers and what the client declared:
//! features a backend does not offer are "method not found", a tool that needs an undeclared
//! client capability is `MissingRequiredClientCapability`, and 2026-07-28 results carry caching
//! hints and the server's identity. Raw 2026-07-28 HTTP requests, so the wire is what is tested.

// The helpers below are test code too: a failed bind or request should stop the test loudly.
#![allow(clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use futures::future::BoxFuture;
use serde_json::{Map, Value, json};
use toolgate_mcp::{
    Backend, CallError, Caller, HttpOptions, McpHttp, ResourceContent, ResourceDef, ServerOptions, ToolCall, ToolList,
};
use toolgate_tools::{ToolDef, ToolOutput};

/// One tool, `needs_sampling`, that fails unless the client declared `sampling`; optionally one
/// resource.
struct TestBackend {
    list: Arc<ToolList>,
    with_resource: bool,
}

impl TestBackend {
    fn new(with_resource: bool) -> Arc<TestBackend> {
        let schema = match json!({"type": "object"}) {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        let def = ToolDef {
            name: "needs_sampling".into(),
            title: None,
            description: "Needs the client's sampling capability".into(),
            input_schema: Arc::new(schema),
            output_schema: None,
            annotations: Default::default(),
        };
        Arc::new(TestBackend { list: Arc::new(ToolList::new([&def])), with_resource })
    }
}

impl Backend for TestBackend {
    fn tools(&self, _caller: &Caller) -> Arc<ToolList> {
        self.list.clone()
    }

    fn call(&self, call: ToolCall) -> BoxFuture<'static, Result<ToolOutput, CallError>> {
        let out = if call.caller.has_client_capability("sampling") {
            Ok(ToolOutput::text("the client can sample"))
        } else {
            Err(CallError::MissingClientCapability { tool: call.name, capability: "sampling".into() })
        };
        Box::pin(async move { out })
    }

    fn resources(&self) -> Vec<ResourceDef> {
        if !self.with_resource {
            return Vec::new();
        }
        vec![ResourceDef { uri: "test://one".into(), name: "one".into(), description: None, mime_type: None }]
    }

    fn read_resource(&self, uri: &str) -> BoxFuture<'static, Option<Vec<ResourceContent>>> {
        let found = (self.with_resource && uri == "test://one")
            .then(|| vec![ResourceContent::text("test://one", "text/plain", "one")]);
        Box::pin(async move { found })
    }
}

/// Serves the backend on a free port; returns the endpoint URL.
async fn serve(backend: Arc<TestBackend>) -> String {
    let http = McpHttp::new(backend, ServerOptions::default(), HttpOptions::default());
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(toolgate_mcp::serve(listener, http.router("/mcp"), std::future::pending()));
    format!("http://{addr}/mcp")
}

/// One 2026-07-28 request; returns the HTTP status and the JSON-RPC message.
async fn post(url: &str, method: &str, name: Option<&str>, mut params: Value, caps: Value) -> (u16, Value) {
    params["_meta"] = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": caps,
    });
    let body = json!({"jsonrpc": "2.0", "id": 7, "method": method, "params": params});
    let mut req = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", method);
    if let Some(n) = name {
        req = req.header("mcp-name", n);
    }
    let resp = req.body(serde_json::to_vec(&body).expect("body")).send().await.expect("send");
    let status = resp.status().as_u16();
    let bytes = resp.bytes().await.expect("read");
    (status, serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&bytes))))
}

#[tokio::test]
async fn features_the_backend_does_not_offer_are_method_not_found() {
    let url = serve(TestBackend::new(false)).await;
    let (_, discover) = post(&url, "server/discover", None, json!({}), json!({})).await;
    let caps = &discover["result"]["capabilities"];
    assert!(caps.get("tools").is_some(), "{discover}");
    for absent in ["resources", "prompts", "completions"] {
        assert!(caps.get(absent).is_none(), "{absent} advertised: {discover}");
    }
    let probes = [
        ("prompts/list", None, json!({})),
        ("prompts/get", Some("p"), json!({"name": "p"})),
        ("resources/list", None, json!({})),
        ("resources/templates/list", None, json!({})),
        ("resources/read", Some("test://one"), json!({"uri": "test://one"})),
        (
            "completion/complete",
            None,
            json!({"ref": {"type": "ref/prompt", "name": "p"}, "argument": {"name": "a", "value": ""}}),
        ),
    ];
    for (method, name, params) in probes {
        let (status, msg) = post(&url, method, name, params, json!({})).await;
        assert_eq!((status, msg["error"]["code"].as_i64()), (404, Some(-32601)), "{method}: {msg}");
        assert_eq!(msg["id"], 7, "{method}: {msg}");
    }
}

#[tokio::test]
async fn a_tool_that_needs_an_undeclared_client_capability_is_refused_with_32021() {
    let url = serve(TestBackend::new(false)).await;
    let params = json!({"name": "needs_sampling", "arguments": {}});
    let (status, msg) = post(&url, "tools/call", Some("needs_sampling"), params.clone(), json!({})).await;
    assert_eq!(status, 400, "{msg}");
    assert_eq!(msg["error"]["code"], -32021, "{msg}");
    assert_eq!(msg["error"]["data"]["requiredCapabilities"], json!({"sampling": {}}), "{msg}");

    let (status, msg) = post(&url, "tools/call", Some("needs_sampling"), params, json!({"sampling": {}})).await;
    assert_eq!(status, 200, "{msg}");
    assert_eq!(msg["result"]["content"][0]["text"], "the client can sample", "{msg}");
}

#[tokio::test]
async fn modern_resource_results_carry_cache_hints_and_server_info_and_not_found_names_the_uri() {
    let url = serve(TestBackend::new(true)).await;
    let (_, list) = post(&url, "resources/list", None, json!({}), json!({})).await;
    let r = &list["result"];
    assert_eq!((r["ttlMs"].as_u64(), r["cacheScope"].as_str()), (Some(60_000), Some("public")), "{list}");
    assert_eq!(r["_meta"]["io.modelcontextprotocol/serverInfo"]["name"], "toolgate", "{list}");
    assert_eq!(r["resources"][0]["uri"], "test://one", "{list}");

    let (_, read) = post(&url, "resources/read", Some("test://one"), json!({"uri": "test://one"}), json!({})).await;
    assert_eq!(read["result"]["contents"][0]["text"], "one", "{read}");
    assert_eq!(read["result"]["cacheScope"], "public", "{read}");

    let missing = "test://missing";
    let (_, msg) = post(&url, "resources/read", Some(missing), json!({"uri": missing}), json!({})).await;
    assert_eq!(msg["error"]["code"], -32602, "{msg}");
    assert_eq!(msg["error"]["data"]["uri"], missing, "{msg}");
}
