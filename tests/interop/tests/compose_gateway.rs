//! Composition as a gateway: two real upstreams — a FastAPI app under uvicorn and an axum app
//! over HTTP (the shop's `shop-rest` binary) — plus a hand-written tool behind one MCP server,
//! built with `toolgate::Compose` and, separately, with `toolgate serve --config`. Tools of each
//! are called by the Python SDK client.
//!
//! Needs `tests/interop/setup.sh` and `cargo build --workspace --bins` first; a missing tool
//! fails the test with a hint.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::Command;

use serde_json::{Value, json};
use toolgate::{Compose, Content, CustomTool, Part, Source, ToolOutput};
use toolgate_interop::{Proc, free_port, here, target_dir, workspace_bin};

/// uvicorn serving `fastapi/app.py` on a free port.
fn start_fastapi(name: &str) -> (Proc, String) {
    let port = free_port();
    let mut cmd = Command::new(common::installed("fastapi-venv/bin/python"));
    cmd.args(["-m", "uvicorn", "app:app", "--host", "127.0.0.1", "--port", &port.to_string()])
        .arg("--app-dir")
        .arg(here().join("fastapi"));
    (Proc::server(cmd, &format!("compose-{name}-uvicorn"), port), format!("http://127.0.0.1:{port}"))
}

/// The shop (an axum app) as a plain REST server in its own process.
fn start_shop(name: &str) -> (Proc, String) {
    let port = free_port();
    let mut cmd = Command::new(workspace_bin("shop-rest"));
    cmd.args(["--listen", &format!("127.0.0.1:{port}")]);
    (Proc::server(cmd, &format!("compose-{name}-shop-rest"), port), format!("http://127.0.0.1:{port}"))
}

/// Calls a tool with the Python SDK; returns the result (`content`, `structuredContent`, …).
fn call(url: &str, tool: &str, args: Value) -> Value {
    let mut cmd = common::py_client("auto");
    cmd.args(["--url", url, "--call", tool, "--args", &args.to_string()]);
    let run = common::run_client(cmd);
    run.check_exit();
    assert!(run.error().is_none(), "{}", run.transcript);
    let r = run.result().unwrap_or_else(|| panic!("no result\n{}", run.transcript)).clone();
    assert_eq!(r["isError"], json!(false), "{}", run.transcript);
    r
}

fn list(url: &str) -> Vec<String> {
    let mut cmd = common::py_client("auto");
    cmd.args(["--url", url, "--list"]);
    let run = common::run_client(cmd);
    run.check_exit();
    run.tools.iter().map(|t| t["name"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compose_fastapi_and_axum_upstreams_and_a_hand_written_tool() {
    let (_fastapi, py_base) = start_fastapi("lib");
    let (_shop, shop_base) = start_shop("lib");
    let composed = Compose::new()
        .part(Part::http(&py_base, Source::Url(format!("{py_base}/openapi.json"))).namespace("py"))
        .part(
            Part::http(&shop_base, Source::Url(format!("{shop_base}/openapi.json")))
                .namespace("shop")
                .tools(["get_product", "get_inventory"]),
        )
        .tool(
            CustomTool::new("gateway_info", "What this gateway serves.", |_req| async {
                let v = json!({"upstreams": ["py", "shop"]});
                ToolOutput { content: vec![Content::Text(v.to_string())], structured: Some(v), is_error: false }
            })
            .output_schema(json!({"type": "object", "properties": {"upstreams": {"type": "array"}}})),
        )
        .build()
        .await
        .expect("compose");
    assert!(composed.openapi().is_none(), "HTTP upstreams are not part of the composed app's document");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(toolgate::serve(listener, composed.router(), std::future::pending()));
    let url = format!("http://{addr}/mcp");

    let names = tokio::task::spawn_blocking({
        let url = url.clone();
        move || list(&url)
    })
    .await
    .unwrap();
    for want in ["py_list_items", "py_get_item", "shop_get_product", "shop_get_inventory", "gateway_info"] {
        assert!(names.iter().any(|n| n == want), "{want} missing from {names:?}");
    }
    assert!(names.iter().all(|n| n.starts_with("py_") || n.starts_with("shop_") || n == "gateway_info"), "{names:?}");

    tokio::task::spawn_blocking(move || {
        let r = call(&url, "py_get_item", json!({"item_id": 2}));
        assert_eq!(r["structuredContent"]["id"], json!(2), "{r}");
        let r = call(&url, "shop_get_product", json!({"product_id": 7}));
        assert_eq!(r["structuredContent"]["id"], json!(7), "{r}");
        let r = call(&url, "shop_get_inventory", json!({"sku": "W-1"}));
        assert_eq!(r["structuredContent"]["sku"], json!("W-1"), "{r}");
        let r = call(&url, "gateway_info", json!({}));
        assert_eq!(r["structuredContent"], json!({"upstreams": ["py", "shop"]}), "{r}");
    })
    .await
    .unwrap();
}

#[test]
fn serve_config_composes_fastapi_and_axum_upstreams() {
    let (_fastapi, py_base) = start_fastapi("config");
    let (_shop, shop_base) = start_shop("config");
    let dir = target_dir().join("interop-logs").join("compose-config");
    std::fs::create_dir_all(&dir).unwrap();
    let port = free_port();
    let config = dir.join("gateway.toml");
    std::fs::write(
        &config,
        format!(
            r#"listen = "127.0.0.1:{port}"
[[mount]]
openapi = "{py_base}/openapi.json"
upstream = "{py_base}"
namespace = "py"
include_operations = ["get_item", "list_items"]

[[mount]]
openapi = "{shop_base}/openapi.json"
upstream = "${{SHOP_BASE}}"
namespace = "shop"
include_tags = ["products"]
"#
        ),
    )
    .unwrap();
    let mut cmd = Command::new(workspace_bin("toolgate"));
    cmd.args(["check", "--config"]).arg(&config).env("SHOP_BASE", &shop_base);
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("OK: 4 tools from 2 mounts"), "{stdout}");

    let mut cmd = Command::new(workspace_bin("toolgate"));
    cmd.args(["serve", "--config"]).arg(&config).env("SHOP_BASE", &shop_base);
    let _gw = Proc::server(cmd, "compose-config-toolgate", port);
    let url = format!("http://127.0.0.1:{port}/mcp");
    let mut names = list(&url);
    names.sort();
    assert_eq!(names, ["py_get_item", "py_list_items", "shop_get_product", "shop_search"]);
    let r = call(&url, "py_get_item", json!({"item_id": 2}));
    assert_eq!(r["structuredContent"]["id"], json!(2), "{r}");
    let r = call(&url, "shop_search", json!({"q": "widget"}));
    assert!(r["structuredContent"].is_object(), "{r}");
}
