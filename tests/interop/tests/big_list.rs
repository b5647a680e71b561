//! A long tool list through real clients: an API of 600 operations whose tools take ~3 MB of
//! `tools/list` is served by `toolgate serve`; the Python SDK (both eras) and the TypeScript SDK
//! page through it and get every tool, in order. Each page stays under the 1 MiB the Python SDK
//! accepts for one streamed message.
//!
//! Needs `tests/interop/setup.sh` and `cargo build --workspace --bins` first.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::Command;

use serde_json::{Map, Value, json};
use toolgate_interop::mcp::Client;
use toolgate_interop::{Proc, free_port, workspace_bin};

const OPERATIONS: usize = 600;

/// An OpenAPI document of `OPERATIONS` operations, each answering a 40-property object whose
/// properties are described at length (as GitHub's are).
fn big_document() -> Value {
    let mut properties = Map::new();
    for p in 0..40 {
        properties.insert(
            format!("field_{p}"),
            json!({"type": "string", "description": format!("Field {p} of the record, described the way real APIs describe their fields.")}),
        );
    }
    let mut paths = Map::new();
    for i in 0..OPERATIONS {
        let mut props = properties.clone();
        props.insert(format!("only_{i}"), json!({"type": "integer"}));
        paths.insert(
            format!("/things/{i}"),
            json!({"get": {
                "operationId": format!("get_thing_{i:03}"),
                "summary": format!("Get thing {i}"),
                "responses": {"200": {"description": "ok", "content": {"application/json": {
                    "schema": {"type": "object", "properties": props}}}}}}}),
        );
    }
    json!({"openapi": "3.1.0", "info": {"title": "Big", "version": "1"}, "paths": paths})
}

struct Server {
    _proc: Proc,
    url: String,
}

fn serve_big() -> Server {
    let port = free_port();
    let doc = toolgate_interop::target_dir().join(format!("big-list-{port}.json"));
    std::fs::write(&doc, serde_json::to_vec(&big_document()).unwrap()).unwrap();
    let mut cmd = Command::new(workspace_bin("toolgate"));
    cmd.arg("serve")
        .arg("--openapi")
        .arg(&doc)
        .args(["--upstream", "http://127.0.0.1:9", "--listen"])
        .arg(format!("127.0.0.1:{port}"));
    let proc = Proc::server(cmd, &format!("big-list-{port}"), port);
    let _ = std::fs::remove_file(&doc); // read at start-up; not watched
    Server { _proc: proc, url: format!("http://127.0.0.1:{port}/mcp") }
}

fn expected_names() -> Vec<String> {
    (0..OPERATIONS).map(|i| format!("get_thing_{i:03}")).collect()
}

fn sdk_lists_everything(mut cmd: Command, url: &str) {
    cmd.arg("--url").arg(url).args(["--timeout", "60", "--list"]);
    let r = common::run_client(cmd);
    r.check_exit();
    let names: Vec<String> = r.json["tools"]
        .as_array()
        .unwrap_or_else(|| panic!("no tool names\n{}", r.transcript))
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, expected_names(), "{}", r.transcript);
    assert_eq!(r.tools.len(), OPERATIONS, "every definition printed\n{}", r.transcript);
    assert!(r.tools.iter().all(|t| t["outputSchema"]["properties"]["field_39"].is_object()), "{}", r.transcript);
}

#[tokio::test]
async fn pages_are_under_a_mebibyte_and_hold_every_tool() {
    let s = serve_big();
    for mut c in [Client::modern(&s.url), Client::legacy(&s.url, "2025-11-25").await] {
        let pages = c.list_pages().await;
        let mut total = 0;
        for (i, page) in pages.iter().enumerate() {
            let size = serde_json::to_vec(page).unwrap().len();
            assert!(size < 1024 * 1024, "page {i} is {size} bytes");
            total += size;
        }
        let names: Vec<String> = pages
            .iter()
            .flat_map(|p| p["result"]["tools"].as_array().unwrap().iter())
            .map(|t| t["name"].as_str().unwrap().to_owned())
            .collect();
        assert!(total > 2 * 1024 * 1024, "the list is long enough to need pages: {total} bytes");
        assert!(pages.len() >= 4, "{} pages for {total} bytes", pages.len());
        assert_eq!(names, expected_names());
    }
}

#[test]
fn python_sdk_pages_through_a_long_list_legacy() {
    let s = serve_big();
    sdk_lists_everything(common::py_client("legacy"), &s.url);
}

#[test]
fn python_sdk_pages_through_a_long_list_2026_07_28() {
    let s = serve_big();
    sdk_lists_everything(common::py_client("2026-07-28"), &s.url);
}

#[test]
fn typescript_sdk_pages_through_a_long_list() {
    let s = serve_big();
    sdk_lists_everything(common::ts_client("v2", "auto"), &s.url);
}
