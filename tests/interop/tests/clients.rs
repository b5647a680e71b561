//! Real MCP clients against `toolgate demo`: the Python SDK (`mcp` 2.3.0), the TypeScript SDKs
//! (v1 `@modelcontextprotocol/sdk`, v2 `@modelcontextprotocol/client`) and the MCP Inspector CLI
//! list and call the demo shop's tools over Streamable HTTP, in both protocol eras, and over
//! stdio (`toolgate demo --stdio`, started by each client itself).
//!
//! Every client configuration is one test that runs the same scenario (see [`exercise`]): list
//! the tools, then call `get_product`, `search` (an array result, so `structuredContent` is
//! wrapped as `{"result": [...]}`), `create_order`, `get_product` with a bad argument (an
//! `isError` result naming the argument), an unknown tool (an error naming it) and
//! `stream_report` (a slow server-sent-events response, aggregated).
//!
//! Needs `tests/interop/setup.sh` and `cargo build --workspace --bins` first; a missing tool
//! fails the test with a hint, never skips it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::Command;
use std::time::Duration;

use common::{CLIENT_TIMEOUT, same_json, text_of};
use serde_json::{Value, json};
use toolgate_interop::{Proc, free_port, here, run, tools_dir, workspace_bin};

/// The demo's tools, in the order `tools/list` gives them.
const DEMO_TOOLS: [&str; 5] = ["get_inventory", "create_order", "get_product", "stream_report", "search"];

// ---- the server -----------------------------------------------------------------------------

/// `toolgate demo --listen 127.0.0.1:PORT`, killed on drop.
struct Demo {
    _proc: Proc,
    url: String,
}

fn demo_http(name: &str) -> Demo {
    let bin = workspace_bin("toolgate");
    let port = free_port();
    let mut cmd = Command::new(&bin);
    cmd.arg("demo").arg("--listen").arg(format!("127.0.0.1:{port}")).env("TOOLGATE_LOG", "info");
    let what = format!("clients-demo-{name}");
    let proc = Proc::server(cmd, &what, port);
    let url = format!("http://127.0.0.1:{port}/mcp");
    // The demo prints where it listens (the README's promise): check it says this URL.
    let log = toolgate_interop::target_dir().join("interop-logs").join(format!("{what}.log"));
    let mut printed = String::new();
    for _ in 0..250 {
        printed = std::fs::read_to_string(&log).unwrap_or_default();
        if printed.contains("Press Ctrl-C") {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(printed.contains(&format!("MCP endpoint  {url}")), "the demo did not print its URL {url}:\n{printed}");
    Demo { _proc: proc, url }
}

/// The command line a stdio client starts: `toolgate demo --stdio`.
fn stdio_command() -> String {
    format!("{} demo --stdio", workspace_bin("toolgate").display())
}

// ---- the clients ----------------------------------------------------------------------------

#[derive(Clone, Copy, Debug)]
enum Client {
    /// `clients/py_client.py --mode MODE`.
    Py(&'static str),
    /// `clients/ts_client.mjs --sdk v1` (legacy era only).
    TsV1,
    /// `clients/ts_client.mjs --sdk v2 --mode MODE`.
    TsV2(&'static str),
    /// `inspector.sh --protocol-era ERA` (`legacy` or `modern`).
    Inspector(&'static str),
}

impl Client {
    /// The era the client must end up in against toolgate, which speaks both.
    fn expected_era(self) -> &'static str {
        match self {
            Client::Py(m) | Client::TsV2(m) | Client::Inspector(m) => {
                if m == "legacy" {
                    "legacy"
                } else {
                    "modern"
                }
            }
            Client::TsV1 => "legacy",
        }
    }
}

#[derive(Clone, Debug)]
enum Target {
    /// A Streamable HTTP endpoint.
    Http(String),
    /// `toolgate demo --stdio`, started by the client.
    Stdio,
}

/// What one client run gave back, normalised across clients.
#[derive(Debug)]
struct Run {
    /// The tool result (`content`, `structuredContent`, `isError`), when the call returned one.
    result: Option<Value>,
    /// A protocol-level error message (no result).
    error: Option<String>,
    /// Tool definitions (`--list` / `tools/list`).
    tools: Vec<Value>,
    /// For messages.
    transcript: String,
}

/// Runs an SDK client (py_client.py or ts_client.mjs): lists the tools with `list`, calls
/// `call` when given.
fn sdk_run(client: Client, target: &Target, list: bool, call: Option<(&str, &Value)>) -> Run {
    let mut cmd = match client {
        Client::Py(mode) => common::py_client(mode),
        Client::TsV1 => common::ts_client("v1", "legacy"),
        Client::TsV2(mode) => common::ts_client("v2", mode),
        Client::Inspector(_) => unreachable!("not an SDK client"),
    };
    match target {
        Target::Http(url) => cmd.arg("--url").arg(url),
        Target::Stdio => cmd.arg("--stdio").arg(stdio_command()),
    };
    cmd.args(["--timeout", "30"]);
    if list {
        cmd.arg("--list");
    }
    if let Some((name, args)) = call {
        cmd.arg("--call").arg(name).arg("--args").arg(args.to_string());
    }
    let r = common::run_client(cmd);
    r.check_exit();
    let t = &r.transcript;
    if r.error().is_none() {
        assert_eq!(r.json["era"], json!(client.expected_era()), "negotiated the wrong era\n{t}");
        let version = r.json["protocol_version"].as_str().unwrap_or_default();
        match client.expected_era() {
            "modern" => assert_eq!(version, "2026-07-28", "{t}"),
            _ => assert!(version.starts_with("202") && version < "2026", "a legacy version: {version}\n{t}"),
        }
        let names: Vec<&str> = r.json["tools"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        assert_eq!(names, DEMO_TOOLS, "tools/list\n{t}");
    }
    Run { result: r.result().cloned(), error: r.error().map(str::to_owned), tools: r.tools, transcript: r.transcript }
}

/// Runs the Inspector CLI with one `--method`.
fn inspector_run(era: &str, target: &Target, method_args: &[&str]) -> Run {
    tools_dir();
    let mut cmd = Command::new("bash");
    cmd.arg(here().join("inspector.sh")).args(["--format", "json", "-q", "--protocol-era", era]);
    match target {
        Target::Http(url) => {
            cmd.arg(url);
        }
        Target::Stdio => {
            cmd.arg(workspace_bin("toolgate")).args(["demo", "--stdio"]);
        }
    }
    cmd.args(method_args);
    let what = format!("{cmd:?}");
    let out = run(cmd, CLIENT_TIMEOUT);
    let t = common::transcript(&what, &out);
    if let Some(json) = common::last_json_line(&out.stdout).filter(|j| j.get("result").is_some()) {
        let r = json["result"].clone();
        // The CLI exits 5 (`tool_is_error`) when a call returns isError; the result is still printed.
        if r["isError"] == json!(true) {
            assert_eq!(out.status.code(), Some(5), "{t}");
        } else {
            assert!(out.status.success(), "{t}");
        }
        let tools = r.get("tools").and_then(Value::as_array).cloned().unwrap_or_default();
        let result = r.get("content").map(|_| r.clone());
        return Run { result, error: None, tools, transcript: t };
    }
    let json = common::last_json_line(&out.stderr)
        .or_else(|| common::last_json_line(&out.stdout))
        .unwrap_or_else(|| panic!("no JSON from the Inspector\n{t}"));
    assert!(!out.status.success(), "{t}");
    let error = json["error"]["message"].as_str().map(str::to_owned).or_else(|| Some(json["error"].to_string()));
    Run { result: None, error, tools: Vec::new(), transcript: t }
}

fn list(client: Client, target: &Target) -> Run {
    match client {
        Client::Inspector(era) => inspector_run(era, target, &["--method", "tools/list"]),
        _ => sdk_run(client, target, true, None),
    }
}

fn call(client: Client, target: &Target, tool: &str, args: Value) -> Run {
    match client {
        Client::Inspector(era) => inspector_run(
            era,
            target,
            &["--method", "tools/call", "--tool-name", tool, "--tool-args-json", &args.to_string()],
        ),
        _ => sdk_run(client, target, false, Some((tool, &args))),
    }
}

// ---- checks ---------------------------------------------------------------------------------

/// The successful result of a call: not an error, not `isError`.
fn ok(r: &Run) -> &Value {
    assert!(r.error.is_none(), "the call failed\n{}", r.transcript);
    let res = r.result.as_ref().unwrap_or_else(|| panic!("no result\n{}", r.transcript));
    assert_eq!(res["isError"], json!(false), "isError\n{}", r.transcript);
    res
}

/// Both halves of a JSON result: `structuredContent` (unwrapped from `{"result": …}` when
/// `wrapped`) and the text block, which must hold the same JSON.
fn structured(r: &Run, wrapped: bool) -> Value {
    let res = ok(r);
    let sc = &res["structuredContent"];
    assert!(sc.is_object(), "no structuredContent\n{}", r.transcript);
    let value = if wrapped {
        let obj = sc.as_object().unwrap();
        assert_eq!(
            obj.keys().collect::<Vec<_>>(),
            ["result"],
            "an array result is wrapped as {{\"result\": …}}\n{}",
            r.transcript
        );
        obj["result"].clone()
    } else {
        sc.clone()
    };
    let text: Value = serde_json::from_str(&text_of(res))
        .unwrap_or_else(|e| panic!("the text block is not the JSON result ({e})\n{}", r.transcript));
    assert!(same_json(&text, &value), "the text block and structuredContent differ\n{}", r.transcript);
    value
}

/// Lists the tools and runs every call of the scenario with one client configuration.
fn exercise(client: Client, target: &Target) {
    // tools/list: the five demo tools, with their schemas.
    let l = list(client, target);
    let names: Vec<&str> = l.tools.iter().map(|t| t["name"].as_str().unwrap_or("")).collect();
    assert_eq!(names, DEMO_TOOLS, "tools/list\n{}", l.transcript);
    let tool = |n: &str| l.tools.iter().find(|t| t["name"] == n).unwrap();
    assert_eq!(tool("get_product")["inputSchema"]["required"], json!(["product_id"]), "{}", l.transcript);
    assert_eq!(tool("get_product")["inputSchema"]["properties"]["product_id"]["type"], "integer");
    assert_eq!(tool("search")["outputSchema"]["properties"]["result"]["type"][0], "array", "{}", l.transcript);
    assert_eq!(tool("get_product")["annotations"]["readOnlyHint"], json!(true), "{}", l.transcript);
    assert_eq!(tool("create_order")["annotations"]["readOnlyHint"], json!(false), "{}", l.transcript);

    // get_product: an object result.
    let r = call(client, target, "get_product", json!({"product_id": 42}));
    let p = structured(&r, false);
    let expected = json!({"id": 42, "name": "Product 42", "price": 30.99, "currency": "EUR", "in_stock": false,
                          "tags": ["demo", "bench", "cat-2"]});
    assert!(same_json(&p, &expected), "get_product 42: {p}\n{}", r.transcript);

    // search: an array result, wrapped.
    let r = call(client, target, "search", json!({"q": "x", "limit": 3}));
    let hits = structured(&r, true);
    let hits = hits.as_array().unwrap_or_else(|| panic!("search: not an array\n{}", r.transcript));
    assert_eq!(hits.len(), 3, "{}", r.transcript);
    for (i, h) in hits.iter().enumerate() {
        assert_eq!(h["id"], json!(i + 1), "{}", r.transcript);
        assert_eq!(h["name"], json!(format!("x result {}", i + 1)), "{}", r.transcript);
    }

    // create_order: a JSON body with an array of objects.
    let order = json!({"customer_email": "ada@example.com", "items": [{"product_id": 1, "quantity": 2},
                       {"product_id": 2}], "note": "interop"});
    let r = call(client, target, "create_order", order);
    let o = structured(&r, false);
    assert_eq!(o["status"], "created", "{}", r.transcript);
    assert_eq!(o["item_count"].as_f64(), Some(3.0), "{}", r.transcript);
    assert_eq!(o["total"].as_f64(), Some(31.97), "10.49 × 2 + 10.99\n{}", r.transcript);
    assert!(o["order_id"].as_f64().is_some_and(|id| id >= 1.0), "{}", r.transcript);

    // A bad argument: an isError result that names it, so the agent can correct the call.
    let r = call(client, target, "get_product", json!({"product_id": "forty-two"}));
    assert!(r.error.is_none(), "a bad argument is a tool result, not a protocol error\n{}", r.transcript);
    let res = r.result.as_ref().unwrap_or_else(|| panic!("no result\n{}", r.transcript));
    assert_eq!(res["isError"], json!(true), "{}", r.transcript);
    let msg = text_of(res);
    assert!(msg.contains("product_id") && msg.contains("integer"), "the message must name the argument: {msg}");

    // An unknown tool: an error that names it (a JSON-RPC error from the SDKs; the Inspector
    // checks the list first and refuses on its own).
    let r = call(client, target, "no_such_tool", json!({}));
    let msg = match (&r.error, &r.result) {
        (Some(e), _) => e.clone(),
        (None, Some(res)) if res["isError"] == json!(true) => text_of(res),
        _ => panic!("calling an unknown tool succeeded\n{}", r.transcript),
    };
    assert!(msg.contains("no_such_tool"), "the error must name the tool: {msg}\n{}", r.transcript);

    // stream_report: ~2 s of server-sent events, aggregated into one result.
    let r = call(client, target, "stream_report", json!({"report_id": 7}));
    let res = ok(&r);
    let text = text_of(res);
    assert!(text.contains("complete"), "stream_report: {text}\n{}", r.transcript);
    assert!(text.contains("/reports/7.pdf"), "stream_report: {text}\n{}", r.transcript);
}

fn over_http(name: &str, client: Client) {
    let demo = demo_http(name);
    exercise(client, &Target::Http(demo.url.clone()));
}

// ---- Streamable HTTP ------------------------------------------------------------------------

#[test]
fn http_python_auto() {
    over_http("py-auto", Client::Py("auto"));
}

#[test]
fn http_python_legacy() {
    over_http("py-legacy", Client::Py("legacy"));
}

#[test]
fn http_python_2026_07_28() {
    over_http("py-2026", Client::Py("2026-07-28"));
}

#[test]
fn http_typescript_v1_legacy() {
    over_http("ts1", Client::TsV1);
}

#[test]
fn http_typescript_v2_auto() {
    over_http("ts2-auto", Client::TsV2("auto"));
}

#[test]
fn http_typescript_v2_2026_07_28() {
    over_http("ts2-2026", Client::TsV2("2026-07-28"));
}

#[test]
fn http_inspector_legacy() {
    over_http("inspector-legacy", Client::Inspector("legacy"));
}

#[test]
fn http_inspector_modern() {
    over_http("inspector-modern", Client::Inspector("modern"));
}

// ---- stdio ----------------------------------------------------------------------------------

#[test]
fn stdio_python_legacy() {
    exercise(Client::Py("legacy"), &Target::Stdio);
}

#[test]
fn stdio_python_2026_07_28() {
    exercise(Client::Py("2026-07-28"), &Target::Stdio);
}

#[test]
fn stdio_typescript_v1_legacy() {
    exercise(Client::TsV1, &Target::Stdio);
}

#[test]
fn stdio_typescript_v2_2026_07_28() {
    exercise(Client::TsV2("2026-07-28"), &Target::Stdio);
}

#[test]
fn stdio_inspector_legacy() {
    exercise(Client::Inspector("legacy"), &Target::Stdio);
}

#[test]
fn stdio_inspector_modern() {
    exercise(Client::Inspector("modern"), &Target::Stdio);
}

// ---- stdio lifecycle ------------------------------------------------------------------------

const META: &str = r#""_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}"#;

/// Writes `lines` to `toolgate demo --stdio`, closes its stdin and waits (at most 20 s) for it
/// to exit: returns (exit code, seconds from EOF to exit, stdout, stderr).
fn stdio_session(lines: &[String]) -> (Option<i32>, f64, String, String) {
    use std::io::{Read, Write};
    use std::process::Stdio;
    let mut child = Command::new(workspace_bin("toolgate"))
        .args(["demo", "--stdio"])
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for l in lines {
        writeln!(stdin, "{l}").unwrap();
    }
    // Give the server a moment to answer before the client goes away, as a real client would.
    std::thread::sleep(Duration::from_millis(300));
    drop(stdin);
    let eof = std::time::Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break Some(s);
        }
        if eof.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let took = eof.elapsed().as_secs_f64();
    let (mut out, mut err) = (String::new(), String::new());
    child.stdout.take().unwrap().read_to_string(&mut out).unwrap();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    let _ = child.wait();
    (status.and_then(|s| s.code()), took, out, err)
}

/// A 2026-07-28 client that opened `subscriptions/listen` (the Inspector does, for
/// list-changed notifications) and then closes stdin: the server must exit at once. It lingers
/// 5 s ("timed out draining in-flight responses"): the listen handler only ends on
/// cancellation, which stdin EOF does not deliver. Each Inspector run in the modern era over
/// stdio takes ~2.3 s instead of ~0.3 s because of it.
#[test]
fn stdio_exits_at_eof_with_a_listen_open() {
    let lines = [
        format!(r#"{{"jsonrpc":"2.0","id":1,"method":"server/discover","params":{{{META}}}}}"#),
        format!(
            r#"{{"jsonrpc":"2.0","id":2,"method":"subscriptions/listen","params":{{{META},"notifications":{{"toolsListChanged":true}}}}}}"#
        ),
        format!(r#"{{"jsonrpc":"2.0","id":3,"method":"tools/list","params":{{{META}}}}}"#),
    ];
    let (code, took, out, err) = stdio_session(&lines);
    assert!(out.contains(r#""id":3"#), "tools/list was answered\nstdout:\n{out}\nstderr:\n{err}");
    assert_eq!(code, Some(0), "stderr:\n{err}");
    assert!(took < 1.0, "exited {took:.1} s after stdin closed\nstderr:\n{err}");
}

/// A 2026-07-28 client may probe `server/discover` and leave. The server answers, then exits 2
/// with "error: MCP over stdio failed to start: connection closed: initialize request", as if
/// the client had done something wrong.
#[test]
fn stdio_discover_only_session_ends_cleanly() {
    let lines = [format!(r#"{{"jsonrpc":"2.0","id":1,"method":"server/discover","params":{{{META}}}}}"#)];
    let (code, took, out, err) = stdio_session(&lines);
    assert!(out.contains("supportedVersions"), "discover was answered\nstdout:\n{out}\nstderr:\n{err}");
    assert_eq!(code, Some(0), "stderr:\n{err}");
    assert!(took < 1.0, "exited {took:.1} s after stdin closed");
}

/// The legacy lifecycle over stdio: initialize, tools/list, EOF; a clean, immediate exit (the
/// control for the two tests above).
#[test]
fn stdio_legacy_session_exits_at_eof() {
    let lines = [
        r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"0"}}}"#.to_owned(),
        r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#.to_owned(),
        r#"{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{}}"#.to_owned(),
    ];
    let (code, took, out, err) = stdio_session(&lines);
    assert!(out.contains(r#""id":2"#) && out.contains("get_product"), "stdout:\n{out}\nstderr:\n{err}");
    assert_eq!(code, Some(0), "stderr:\n{err}");
    assert!(took < 1.0, "exited {took:.1} s after stdin closed\nstderr:\n{err}");
}
