//! MCP over WebSocket against `toolgate demo --websocket /ws`, with real clients:
//!
//! - the Python SDK's session (`mcp` 2.3.0 `mcp.Client`) over `clients/ws_client.py`, a port of
//!   the SDK 1.x `websocket_client` transport (2.x removed it; same wire: subprotocol `mcp`, one
//!   JSON-RPC message per text frame) — in both protocol eras, with progress and cancellation;
//! - the TypeScript SDK v1's own `WebSocketClientTransport` (Node's WebSocket), legacy era.
//!
//! Also: a foreign `Origin` is refused before the upgrade (cross-site WebSocket hijacking), and
//! the demo prints the WebSocket URL.
//!
//! Needs `tests/interop/setup.sh` and `cargo build --workspace --bins` first.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::Command;
use std::time::Duration;

use common::{ClientRun, mcp_python, node, run_client, same_json};
use serde_json::json;
use toolgate_interop::{Proc, free_port, here, target_dir, workspace_bin};

const DEMO_TOOLS: [&str; 5] = ["get_inventory", "create_order", "get_product", "stream_report", "search"];

/// `toolgate demo --websocket /ws`, killed on drop.
struct Demo {
    _proc: Proc,
    ws: String,
    log: std::path::PathBuf,
}

impl Demo {
    fn start(name: &str) -> Demo {
        let port = free_port();
        let mut cmd = Command::new(workspace_bin("toolgate"));
        cmd.args(["demo", "--websocket", "/ws", "--listen"]).arg(format!("127.0.0.1:{port}"));
        cmd.env("TOOLGATE_LOG", "info");
        let what = format!("ws-demo-{name}");
        let proc = Proc::server(cmd, &what, port);
        let log = target_dir().join("interop-logs").join(format!("{what}.log"));
        Demo { _proc: proc, ws: format!("ws://127.0.0.1:{port}/ws"), log }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// `ws_client.py --url URL --mode MODE ARGS…`, checked for its exit status.
fn py(demo: &Demo, mode: &str, args: &[&str]) -> ClientRun {
    let mut cmd = Command::new(mcp_python());
    cmd.arg(here().join("clients/ws_client.py")).args(["--url", &demo.ws, "--mode", mode, "--timeout", "30"]);
    cmd.args(args);
    let r = run_client(cmd);
    r.check_exit();
    r
}

fn check_session(r: &ClientRun, era: &str) {
    let t = &r.transcript;
    assert!(r.error().is_none(), "{t}");
    assert_eq!(r.json["era"], json!(era), "{t}");
    assert_eq!(r.json["subprotocol"], "mcp", "{t}");
    let version = r.json["protocol_version"].as_str().unwrap_or_default();
    match era {
        "modern" => assert_eq!(version, "2026-07-28", "{t}"),
        _ => assert!(version.starts_with("202") && version < "2026", "{t}"),
    }
    let names: Vec<&str> = r.json["tools"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(names, DEMO_TOOLS, "{t}");
}

fn check_product(r: &ClientRun) {
    let res = r.result().unwrap_or_else(|| panic!("no result\n{}", r.transcript));
    let expected = json!({"id": 42, "name": "Product 42", "price": 30.99, "currency": "EUR", "in_stock": false,
                          "tags": ["demo", "bench", "cat-2"]});
    assert!(same_json(&res["structuredContent"], &expected), "{}", r.transcript);
}

fn python_session(mode: &str, era: &str) {
    let demo = Demo::start(&format!("py-{mode}"));
    let r = py(&demo, mode, &["--list", "--call", "get_product", "--args", r#"{"product_id": 42}"#]);
    check_session(&r, era);
    check_product(&r);
    let get_product = r.tools.iter().find(|t| t["name"] == "get_product").expect("get_product listed");
    assert_eq!(get_product["inputSchema"]["required"], json!(["product_id"]), "{}", r.transcript);
}

#[test]
fn python_legacy() {
    python_session("legacy", "legacy");
}

#[test]
fn python_auto() {
    python_session("auto", "modern");
}

#[test]
fn python_2026_07_28() {
    python_session("2026-07-28", "modern");
}

/// `stream_report` sends an event every ~0.5 s for ~2 s: each one must reach the client as a
/// progress notification when it happens, not with the result.
fn python_progress(mode: &str) {
    let demo = Demo::start(&format!("py-progress-{mode}"));
    let r = py(&demo, mode, &["--call", "stream_report", "--args", r#"{"report_id": 7}"#, "--progress"]);
    let t = &r.transcript;
    let progress = r.json["progress"].as_array().unwrap_or_else(|| panic!("no progress\n{t}"));
    assert!(progress.len() >= 4, "{t}");
    let call = r.json["call_seconds"].as_f64().unwrap();
    let first = progress[0]["t"].as_f64().unwrap();
    assert!(call > 1.5 && first < call - 1.0, "progress arrived with the result, not as it happened\n{t}");
    let text = common::text_of(r.result().unwrap());
    assert!(text.contains("/reports/7.pdf"), "{t}");
}

#[test]
fn python_progress_legacy() {
    python_progress("legacy");
}

#[test]
fn python_progress_2026_07_28() {
    python_progress("2026-07-28");
}

/// The SDK cancels the call at its first progress notification (`notifications/cancelled`); the
/// server stops the call (rmcp logs the cancelled handler's answer, which it does not send) and
/// the session goes on.
fn python_cancel(mode: &str) {
    let demo = Demo::start(&format!("py-cancel-{mode}"));
    let r = py(&demo, mode, &["--call", "stream_report", "--args", r#"{"report_id": 7}"#, "--cancel-after-progress"]);
    let t = &r.transcript;
    assert_eq!(r.json["cancel"]["cancelled"], json!(true), "{t}");
    assert_eq!(r.json["cancel"]["tools_after"], json!(5), "the session goes on after the cancel\n{t}");
    let mut log = String::new();
    for _ in 0..100 {
        log = demo.log();
        if log.contains("request cancelled") {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(log.contains("request cancelled"), "the server did not cancel the call\n{log}\n{t}");
}

#[test]
fn python_cancel_legacy() {
    python_cancel("legacy");
}

#[test]
fn python_cancel_2026_07_28() {
    python_cancel("2026-07-28");
}

#[test]
fn a_foreign_origin_is_refused() {
    let demo = Demo::start("origin");
    let mut cmd = Command::new(mcp_python());
    cmd.arg(here().join("clients/ws_client.py")).args(["--url", &demo.ws, "--origin", "https://evil.example"]);
    let r = run_client(cmd);
    assert_eq!(r.code, Some(1), "{}", r.transcript);
    let e = r.error().unwrap_or_default();
    assert!(e.contains("403") && e.contains("Origin"), "{}", r.transcript);
    // A loopback page may connect (the default allow-list).
    let port = demo.ws.split(':').nth(2).and_then(|p| p.split('/').next()).unwrap();
    let mut cmd = Command::new(mcp_python());
    let origin = format!("http://localhost:{port}");
    cmd.arg(here().join("clients/ws_client.py")).args(["--url", &demo.ws, "--origin", &origin]);
    let r = run_client(cmd);
    r.check_exit();
    check_session(&r, "modern");
}

#[test]
fn typescript_v1_websocket_transport() {
    let demo = Demo::start("ts1");
    let mut cmd = Command::new(node());
    cmd.arg(here().join("clients/ts_client.mjs")).args(["--sdk", "v1", "--ws", &demo.ws, "--timeout", "30"]);
    cmd.args(["--call", "get_product", "--args", r#"{"product_id": 42}"#]);
    let r = run_client(cmd);
    r.check_exit();
    let t = &r.transcript;
    assert_eq!(r.json["era"], "legacy", "{t}");
    let names: Vec<&str> = r.json["tools"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(names, DEMO_TOOLS, "{t}");
    check_product(&r);

    let mut cmd = Command::new(node());
    cmd.arg(here().join("clients/ts_client.mjs")).args(["--sdk", "v1", "--ws", &demo.ws, "--timeout", "30"]);
    cmd.args(["--call", "stream_report", "--args", r#"{"report_id": 7}"#, "--progress"]);
    let r = run_client(cmd);
    r.check_exit();
    let progress = r.json["progress"].as_array().map(Vec::len).unwrap_or(0);
    assert!(progress >= 4, "{}", r.transcript);
}

#[test]
fn the_demo_prints_the_websocket_url() {
    let demo = Demo::start("print");
    let mut log = String::new();
    for _ in 0..250 {
        log = demo.log();
        if log.contains("Press Ctrl-C") {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(log.contains(&format!("WebSocket     {}", demo.ws)), "{log}");
}
