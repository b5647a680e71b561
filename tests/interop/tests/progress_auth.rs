//! Real clients against two things CI must prove: progress notifications reach the Python and
//! TypeScript SDKs while a streamed report runs, and bearer authentication works with the
//! Python SDK, the TypeScript SDK and the Inspector — and without a token they get the 401
//! with the protected resource metadata.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

mod common;

use std::process::Command;

use common::{CLIENT_TIMEOUT, py_client, run_client, text_of, transcript, ts_client};
use serde_json::{Value, json};
use toolgate_interop::{Proc, free_port, here, run, tools_dir, workspace_bin};

fn demo() -> (Proc, String) {
    let port = free_port();
    let mut cmd = Command::new(workspace_bin("toolgate"));
    cmd.args(["demo", "--listen", &format!("127.0.0.1:{port}")]);
    (Proc::server(cmd, &format!("demo-{port}"), port), format!("http://127.0.0.1:{port}/mcp"))
}

/// Checks a client's `progress` list: one notification per report event, the first well before
/// the result (the report takes about 2 s).
fn check_progress(run: &common::ClientRun) {
    run.check_exit();
    let progress = run.json["progress"].as_array().cloned().unwrap_or_default();
    assert!(progress.len() >= 4, "expected a notification per event\n{}", run.transcript);
    let first = progress[0]["t"].as_f64().unwrap_or(f64::MAX);
    let done = run.json["call_seconds"].as_f64().unwrap_or(0.0);
    assert!(first + 1.0 < done, "first progress at {first} s, result at {done} s\n{}", run.transcript);
    let values: Vec<f64> = progress.iter().filter_map(|p| p["progress"].as_f64()).collect();
    assert!(values.windows(2).all(|w| w[1] > w[0]), "{values:?}");
    let text = run.result().map(text_of).unwrap_or_default();
    assert!(text.contains("complete"), "{}", run.transcript);
}

const REPORT: &str = r#"{"report_id":3}"#;

#[test]
fn python_sdk_receives_progress_while_the_report_runs() {
    tools_dir();
    let (_demo, url) = demo();
    for mode in ["legacy", "2026-07-28", "auto"] {
        let mut c = py_client(mode);
        c.args(["--url", &url, "--call", "stream_report", "--args", REPORT, "--progress"]);
        check_progress(&run_client(c));
    }
}

#[test]
fn typescript_sdks_receive_progress_while_the_report_runs() {
    tools_dir();
    let (_demo, url) = demo();
    for (sdk, mode) in [("v1", "legacy"), ("v2", "auto"), ("v2", "2026-07-28")] {
        let mut c = ts_client(sdk, mode);
        c.args(["--url", &url, "--call", "stream_report", "--args", REPORT, "--progress"]);
        check_progress(&run_client(c));
    }
}

const TOKEN: &str = "interop-token-7f3c9a1e5b";

/// The gateway in front of the shop's REST server, with a static bearer token required.
fn protected_gateway() -> (Proc, Proc, String, u16) {
    let api = free_port();
    let mut shop = Command::new(workspace_bin("shop-rest"));
    shop.args(["--listen", &format!("127.0.0.1:{api}")]);
    let shop = Proc::server(shop, &format!("shop-rest-{api}"), api);
    let port = free_port();
    let mut gw = Command::new(workspace_bin("toolgate"));
    gw.args(["serve", "--openapi", &format!("http://127.0.0.1:{api}/openapi.json")])
        .args(["--upstream", &format!("http://127.0.0.1:{api}"), "--listen", &format!("127.0.0.1:{port}")])
        .args(["--auth-keys-env", "TG_INTEROP_KEYS"])
        .env("TG_INTEROP_KEYS", format!("{TOKEN} sub=interop"));
    let gw = Proc::server(gw, &format!("gateway-{port}"), port);
    (shop, gw, format!("http://127.0.0.1:{port}/mcp"), port)
}

fn inspector(url: &str, header: Option<&str>, era: &str) -> std::process::Output {
    let mut cmd = Command::new("bash");
    cmd.arg(here().join("inspector.sh")).args(["--format", "json", "-q", "--protocol-era", era, url]);
    if let Some(h) = header {
        cmd.args(["--header", h]);
    }
    cmd.args(["--method", "tools/call", "--tool-name", "get_product", "--tool-args-json", r#"{"product_id":42}"#]);
    run(cmd, CLIENT_TIMEOUT)
}

#[test]
fn clients_authenticate_with_a_bearer_token_and_get_401_without() {
    tools_dir();
    let (_shop, _gw, url, port) = protected_gateway();
    let args = r#"{"product_id":42}"#;

    // with the token: the Python SDK (both eras), the TypeScript SDK and the Inspector
    for mode in ["legacy", "2026-07-28"] {
        let mut c = py_client(mode);
        c.args(["--url", &url, "--bearer", TOKEN, "--call", "get_product", "--args", args]);
        let r = run_client(c);
        r.check_exit();
        assert_eq!(
            r.result().map(|x| x["structuredContent"]["name"].clone()),
            Some(json!("Product 42")),
            "{}",
            r.transcript
        );
    }
    let mut c = ts_client("v2", "auto");
    c.args(["--url", &url, "--bearer", TOKEN, "--call", "get_product", "--args", args]);
    let r = run_client(c);
    r.check_exit();
    assert!(r.result().map(text_of).unwrap_or_default().contains("Product 42"), "{}", r.transcript);
    for era in ["legacy", "modern"] {
        let out = inspector(&url, Some(&format!("Authorization: Bearer {TOKEN}")), era);
        let t = transcript("inspector with token", &out);
        assert!(out.status.success(), "{t}");
        assert!(String::from_utf8_lossy(&out.stdout).contains("Product 42"), "{t}");
    }

    // without it: the clients fail, and the server answers 401 with the resource metadata
    let mut c = py_client("legacy");
    c.args(["--url", &url, "--call", "get_product", "--args", args]);
    let r = run_client(c);
    assert_ne!(r.code, Some(0), "{}", r.transcript);
    let out = inspector(&url, None, "legacy");
    assert_eq!(out.status.code(), Some(3), "auth_required\n{}", transcript("inspector without token", &out));
    let out = inspector(&url, Some("Authorization: Bearer wrong-token-0000000000"), "legacy");
    assert_eq!(out.status.code(), Some(3), "{}", transcript("inspector with a wrong token", &out));

    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let resp = reqwest::Client::new()
            .post(&url)
            .header("accept", "application/json, text/event-stream")
            .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}}))
            .send()
            .await
            .expect("send");
        assert_eq!(resp.status(), 401);
        let challenge = resp.headers().get("www-authenticate").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        let metadata = format!("http://127.0.0.1:{port}/.well-known/oauth-protected-resource/mcp");
        assert_eq!(challenge, format!("Bearer resource_metadata=\"{metadata}\""));
        let m: Value = reqwest::get(&metadata).await.expect("get").json().await.expect("json");
        assert_eq!(m["resource"], json!(url));
        assert_eq!(m["bearer_methods_supported"], json!(["header"]));
    });
}
