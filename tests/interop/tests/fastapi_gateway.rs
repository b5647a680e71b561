//! `toolgate serve` in front of a real FastAPI app (`tests/interop/fastapi/app.py`, under uvicorn):
//! every operation of the app's `/openapi.json` is called twice, as an MCP tool through toolgate
//! (the Python SDK client, and the TypeScript SDK for some) and directly over REST
//! (`fastapi/rest.py`), and the two answers must be the same JSON (or text, or status).
//!
//! Needs `tests/interop/setup.sh` (which installs FastAPI into its own venv) and
//! `cargo build --workspace --bins` first; a missing tool fails the test with a hint.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use common::{ClientRun, same_json, text_of};
use serde_json::{Value, json};
use toolgate_interop::{Proc, free_port, here, run, workspace_bin};

/// The Python of the FastAPI venv (it also runs `rest.py`, which needs only the standard library).
fn fastapi_python() -> PathBuf {
    common::installed("fastapi-venv/bin/python")
}

/// uvicorn serving `app.py` on a free port.
fn start_fastapi(name: &str) -> (Proc, String) {
    let port = free_port();
    let mut cmd = Command::new(fastapi_python());
    cmd.args(["-m", "uvicorn", "app:app", "--host", "127.0.0.1", "--port", &port.to_string()])
        .arg("--app-dir")
        .arg(here().join("fastapi"));
    let proc = Proc::server(cmd, &format!("fastapi-{name}-uvicorn"), port);
    (proc, format!("http://127.0.0.1:{port}"))
}

/// `toolgate serve --openapi BASE/openapi.json --upstream BASE --listen 127.0.0.1:PORT [extra]`.
fn start_gateway(name: &str, base: &str, extra: &[&str]) -> (Proc, String) {
    let port = free_port();
    let mut cmd = Command::new(workspace_bin("toolgate"));
    cmd.arg("serve")
        .arg("--openapi")
        .arg(format!("{base}/openapi.json"))
        .arg("--upstream")
        .arg(base)
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .args(extra);
    let proc = Proc::server(cmd, &format!("fastapi-{name}-toolgate"), port);
    (proc, format!("http://127.0.0.1:{port}/mcp"))
}

/// A direct HTTP response.
#[derive(Debug)]
struct Rest {
    status: u16,
    content_type: Option<String>,
    body: String,
}

impl Rest {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("REST body is not JSON ({e}): {}", self.body))
    }
}

/// Makes one direct request with `rest.py` (see its docstring for the fields of `spec`).
fn rest(base: &str, spec: &Value) -> Rest {
    let mut spec = spec.clone();
    let path = spec["path"].as_str().unwrap().to_owned();
    spec["url"] = json!(format!("{base}{path}"));
    let mut cmd = Command::new(fastapi_python());
    cmd.arg(here().join("fastapi/rest.py")).arg(spec.to_string());
    let what = format!("{cmd:?}");
    let out = run(cmd, Duration::from_secs(30));
    let t = common::transcript(&what, &out);
    assert!(out.status.success(), "rest.py failed\n{t}");
    let v = common::last_json_line(&out.stdout).unwrap_or_else(|| panic!("rest.py printed no JSON\n{t}"));
    Rest {
        status: v["status"].as_u64().unwrap() as u16,
        content_type: v["content_type"].as_str().map(str::to_owned),
        body: v["body"].as_str().unwrap().to_owned(),
    }
}

/// Which client makes the MCP call.
#[derive(Clone, Copy, Debug)]
enum Via {
    /// The Python SDK (`py_client.py`), auto mode (2026-07-28 with toolgate).
    Py,
    /// The Python SDK and the TypeScript SDK v2 in the legacy era, which must agree.
    PyAndTs,
}

/// Calls a tool through the gateway; returns the run (its exit status already checked).
fn mcp_call(url: &str, tool: &str, args: &Value, via: Via) -> ClientRun {
    let mut cmd = common::py_client("auto");
    cmd.args(["--url", url, "--call", tool, "--args", &args.to_string()]);
    let py = common::run_client(cmd);
    py.check_exit();
    assert!(py.error().is_none(), "the call failed\n{}", py.transcript);
    assert_eq!(py.json["era"], "modern", "{}", py.transcript);
    if let Via::PyAndTs = via {
        let mut cmd = common::ts_client("v2", "legacy");
        cmd.args(["--url", url, "--call", tool, "--args", &args.to_string()]);
        let ts = common::run_client(cmd);
        ts.check_exit();
        assert_eq!(ts.json["era"], "legacy", "{}", ts.transcript);
        let (a, b) = (py.result().unwrap(), ts.result().unwrap());
        assert!(
            same_json(&a["structuredContent"], &b["structuredContent"]) && text_of(a) == text_of(b),
            "the Python and TypeScript clients got different results\n{}\n{}",
            py.transcript,
            ts.transcript
        );
    }
    py
}

/// How the two answers must relate.
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// 2xx JSON: `structuredContent` (unwrapped from `{"result": …}` when `wrapped`) and the
    /// text block both equal the REST body.
    Json { status: u16, wrapped: bool },
    /// 2xx text: the text block is the REST body; no `structuredContent` (no output schema).
    Text,
    /// 204: the REST body is empty; the tool returns `{"status": 204}`.
    NoContent,
    /// An HTTP error: `isError`, a message starting `HTTP <status>` that carries the error
    /// body's `detail` and the body itself.
    HttpError(u16),
}

/// One operation called both ways.
struct Case {
    /// `METHOD /path` as in the document.
    op: (&'static str, &'static str),
    tool: &'static str,
    args: Value,
    /// The direct request: `method`, `path` (concrete), `query`, `headers`, `cookies`, `json`,
    /// `form`, `multipart`.
    rest: Value,
    expect: Expect,
    via: Via,
}

/// Compares one tool call with the direct REST call; returns the MCP result.
fn check(gateway: &str, base: &str, c: &Case) -> Value {
    let call = mcp_call(gateway, c.tool, &c.args, c.via);
    let direct = rest(base, &c.rest);
    let res = call.result().unwrap_or_else(|| panic!("no result\n{}", call.transcript)).clone();
    let ctx = format!("{} {} as tool `{}` {}\nREST: {direct:?}\n{}", c.op.0, c.op.1, c.tool, c.args, call.transcript);
    let text = text_of(&res);
    match c.expect {
        Expect::Json { status, wrapped } => {
            assert_eq!(direct.status, status, "REST status\n{ctx}");
            assert_eq!(direct.content_type.as_deref(), Some("application/json"), "{ctx}");
            assert_eq!(res["isError"], json!(false), "{ctx}");
            let body = direct.json();
            let sc = if wrapped {
                assert_eq!(
                    res["structuredContent"].as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()),
                    Some(vec!["result".to_owned()]),
                    "an array result is wrapped as {{\"result\": …}}\n{ctx}"
                );
                res["structuredContent"]["result"].clone()
            } else {
                res["structuredContent"].clone()
            };
            assert!(same_json(&sc, &body), "structuredContent differs from the REST body\n{ctx}");
            let text_json: Value =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("the text block is not JSON ({e})\n{ctx}"));
            assert!(same_json(&text_json, &body), "the text block differs from the REST body\n{ctx}");
        }
        Expect::Text => {
            assert_eq!(direct.status, 200, "{ctx}");
            assert!(direct.content_type.as_deref().unwrap_or("").starts_with("text/plain"), "{ctx}");
            assert_eq!(res["isError"], json!(false), "{ctx}");
            assert_eq!(text, direct.body, "the text differs from the REST body\n{ctx}");
            assert!(res["structuredContent"].is_null(), "{ctx}");
        }
        Expect::NoContent => {
            assert_eq!((direct.status, direct.body.as_str()), (204, ""), "{ctx}");
            assert_eq!(res["isError"], json!(false), "{ctx}");
            let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e})\n{ctx}"));
            assert_eq!(v, json!({"status": 204}), "{ctx}");
        }
        Expect::HttpError(status) => {
            assert_eq!(direct.status, status, "REST status\n{ctx}");
            assert_eq!(res["isError"], json!(true), "an HTTP {status} must be an isError result\n{ctx}");
            assert!(text.starts_with(&format!("HTTP {status} ")), "{ctx}");
            let detail = direct.json()["detail"].as_str().unwrap().to_owned();
            assert!(text.contains(&format!("— {detail}")), "the message must carry the detail `{detail}`\n{ctx}");
            assert!(text.contains(&direct.body), "the message must carry the error body\n{ctx}");
        }
    }
    res
}

/// The document's operations: `(METHOD, path, operationId, deprecated)`.
fn operations(doc: &Value) -> Vec<(String, String, String, bool)> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            ops.push((
                method.to_uppercase(),
                path.clone(),
                op["operationId"].as_str().unwrap_or_default().to_owned(),
                op["deprecated"] == json!(true),
            ));
        }
    }
    ops
}

fn item(sku: &str, name: &str, price: f64) -> Value {
    json!({
        "sku": sku, "name": name, "price": price, "color": "blue", "tags": ["interop", "nested"],
        "dimensions": {"width_cm": 12.5, "height_cm": 3},
        "supplier": {"name": "ACME", "address": {"city": "Lyon", "country": "FR"}}
    })
}

/// Every operation of the FastAPI document, called as a tool and directly; the answers match.
#[test]
fn every_operation_matches_the_direct_rest_call() {
    let (_uvicorn, base) = start_fastapi("every-op");
    let doc = rest(&base, &json!({"method": "GET", "path": "/openapi.json"})).json();
    assert!(doc.get("servers").is_none(), "FastAPI documents have no `servers`; this test relies on --upstream");
    let (_toolgate, gw) = start_gateway("every-op", &base, &[]);

    let file = json!({"content": "aGVsbG8sIHRvb2xnYXRlIQo=", "filename": "hello.txt", "content_type": "text/plain"});
    let new_item = item("GW-1", "Sprocket", 4.5);
    let mut replaced = item("SKU-3", "Doohickey Mk II", 9.25);
    replaced["color"] = json!("green");
    let mut put_args = replaced.clone();
    put_args["item_id"] = json!(3);

    #[rustfmt::skip]
    let cases = vec![
        Case { op: ("GET", "/items"), tool: "list_items", via: Via::PyAndTs,
               args: json!({"limit": 3, "color": "green", "tag": ["seed", "green"]}),
               rest: json!({"method": "GET", "path": "/items",
                            "query": [["limit", "3"], ["color", "green"], ["tag", "seed"], ["tag", "green"]]}),
               expect: Expect::Json { status: 200, wrapped: true } },
        Case { op: ("GET", "/items"), tool: "list_items", via: Via::Py, args: json!({}),
               rest: json!({"method": "GET", "path": "/items"}),
               expect: Expect::Json { status: 200, wrapped: true } },
        Case { op: ("GET", "/items/search"), tool: "search_items", via: Via::Py,
               args: json!({"q": "G", "offset": 1, "limit": 2}),
               rest: json!({"method": "GET", "path": "/items/search", "query": [["q", "G"], ["offset", "1"], ["limit", "2"]]}),
               expect: Expect::Json { status: 200, wrapped: false } },
        Case { op: ("GET", "/items/{item_id}"), tool: "get_item", via: Via::PyAndTs, args: json!({"item_id": 2}),
               rest: json!({"method": "GET", "path": "/items/2"}),
               expect: Expect::Json { status: 200, wrapped: false } },
        Case { op: ("GET", "/items/{item_id}"), tool: "get_item", via: Via::Py, args: json!({"item_id": 999}),
               rest: json!({"method": "GET", "path": "/items/999"}),
               expect: Expect::HttpError(404) },
        Case { op: ("POST", "/items"), tool: "create_item", via: Via::Py, args: new_item.clone(),
               rest: json!({"method": "POST", "path": "/items", "json": new_item}),
               expect: Expect::Json { status: 201, wrapped: false } },
        Case { op: ("PUT", "/items/{item_id}"), tool: "replace_item", via: Via::Py, args: put_args,
               rest: json!({"method": "PUT", "path": "/items/3", "json": replaced}),
               expect: Expect::Json { status: 200, wrapped: false } },
        Case { op: ("PUT", "/items/{item_id}"), tool: "replace_item", via: Via::Py,
               args: json!({"item_id": 998, "sku": "X", "name": "X", "price": 1}),
               rest: json!({"method": "PUT", "path": "/items/998", "json": {"sku": "X", "name": "X", "price": 1}}),
               expect: Expect::HttpError(404) },
        Case { op: ("GET", "/colors/{color}"), tool: "describe_color", via: Via::PyAndTs, args: json!({"color": "blue"}),
               rest: json!({"method": "GET", "path": "/colors/blue"}),
               expect: Expect::Json { status: 200, wrapped: false } },
        Case { op: ("GET", "/whoami"), tool: "whoami", via: Via::PyAndTs,
               args: json!({"x-api-key": "key-123", "session_id": "sess-9", "accept-language": "fr-CH"}),
               rest: json!({"method": "GET", "path": "/whoami", "headers": {"X-Api-Key": "key-123", "Accept-Language": "fr-CH"},
                            "cookies": {"session_id": "sess-9"}}),
               expect: Expect::Json { status: 200, wrapped: false } },
        Case { op: ("GET", "/whoami"), tool: "whoami", via: Via::Py, args: json!({"x-api-key": "only-the-key"}),
               rest: json!({"method": "GET", "path": "/whoami", "headers": {"X-Api-Key": "only-the-key"}}),
               expect: Expect::Json { status: 200, wrapped: false } },
        Case { op: ("POST", "/login"), tool: "login", via: Via::Py,
               args: json!({"username": "ada", "password": "l0ve lace&co", "remember": true}),
               rest: json!({"method": "POST", "path": "/login",
                            "form": {"username": "ada", "password": "l0ve lace&co", "remember": "true"}}),
               expect: Expect::Json { status: 200, wrapped: false } },
        Case { op: ("POST", "/files"), tool: "upload_file", via: Via::PyAndTs,
               args: json!({"file": file, "note": "from an agent"}),
               rest: json!({"method": "POST", "path": "/files", "multipart": {"fields": {"note": "from an agent"},
                            "files": {"file": {"content_b64": file["content"], "filename": "hello.txt",
                                               "content_type": "text/plain"}}}}),
               expect: Expect::Json { status: 200, wrapped: false } },
        Case { op: ("GET", "/report.txt"), tool: "text_report", via: Via::Py, args: json!({"title": "Stock"}),
               rest: json!({"method": "GET", "path": "/report.txt", "query": [["title", "Stock"]]}),
               expect: Expect::Text },
        Case { op: ("GET", "/admin/stats"), tool: "admin_stats", via: Via::Py, args: json!({}),
               rest: json!({"method": "GET", "path": "/admin/stats"}),
               expect: Expect::Json { status: 200, wrapped: false } },
        Case { op: ("GET", "/admin/items/{item_id}/history"), tool: "item_history", via: Via::Py,
               args: json!({"item_id": 1, "since": 1}),
               rest: json!({"method": "GET", "path": "/admin/items/1/history", "query": [["since", "1"]]}),
               expect: Expect::Json { status: 200, wrapped: true } },
        Case { op: ("GET", "/admin/items/{item_id}/history"), tool: "item_history", via: Via::Py,
               args: json!({"item_id": 404}),
               rest: json!({"method": "GET", "path": "/admin/items/404/history"}),
               expect: Expect::HttpError(404) },
    ];

    // The tools are exactly the document's operations less the deprecated one.
    let ops = operations(&doc);
    let deprecated: Vec<_> = ops.iter().filter(|o| o.3).map(|o| o.2.clone()).collect();
    assert_eq!(deprecated, ["legacy_list_items"], "the app has one deprecated operation");
    let mut list = common::py_client("auto");
    list.args(["--url", &gw, "--list"]);
    let listed = common::run_client(list);
    listed.check_exit();
    let tools: BTreeSet<String> = listed.tools.iter().map(|t| t["name"].as_str().unwrap().to_owned()).collect();
    let mut expected: BTreeSet<String> = cases.iter().map(|c| c.tool.to_owned()).collect();
    expected.insert("delete_item".into());
    assert_eq!(tools, expected, "tools/list\n{}", listed.transcript);
    // FastAPI's generated ids (`admin_stats_admin_stats_get`) lose their route suffix.
    assert!(ops.iter().any(|o| o.2 == "admin_stats_admin_stats_get"), "{ops:?}");

    // Every non-deprecated operation is called below (the delete separately).
    let mut covered: BTreeSet<(String, String)> =
        cases.iter().map(|c| (c.op.0.to_owned(), c.op.1.to_owned())).collect();
    covered.insert(("DELETE".into(), "/items/{item_id}".into()));
    let wanted: BTreeSet<(String, String)> = ops.iter().filter(|o| !o.3).map(|o| (o.0.clone(), o.1.clone())).collect();
    assert_eq!(covered, wanted, "every operation of the document must have a case");

    for c in &cases {
        check(&gw, &base, c);
    }

    // The writes went through: the REST view has what the tools wrote.
    let created = rest(&base, &json!({"method": "GET", "path": "/items/search", "query": [["q", "Sprocket"]]})).json();
    assert_eq!(created["total"], 1, "{created}");
    let got = rest(&base, &json!({"method": "GET", "path": "/items/3"})).json();
    assert_eq!(got["name"], "Doohickey Mk II", "{got}");
    assert_eq!(got["supplier"]["address"]["city"], "Lyon", "{got}");

    // DELETE (204): the tool deletes item 5, REST deletes item 6; both are gone afterwards, and
    // deleting item 5 again is a 404 both ways.
    check(
        &gw,
        &base,
        &Case {
            op: ("DELETE", "/items/{item_id}"),
            tool: "delete_item",
            via: Via::Py,
            args: json!({"item_id": 5}),
            rest: json!({"method": "DELETE", "path": "/items/6"}),
            expect: Expect::NoContent,
        },
    );
    for id in [5, 6] {
        let gone = rest(&base, &json!({"method": "GET", "path": format!("/items/{id}")}));
        assert_eq!(gone.status, 404, "item {id} was not deleted: {gone:?}");
    }
    check(
        &gw,
        &base,
        &Case {
            op: ("DELETE", "/items/{item_id}"),
            tool: "delete_item",
            via: Via::Py,
            args: json!({"item_id": 5}),
            rest: json!({"method": "DELETE", "path": "/items/5"}),
            expect: Expect::HttpError(404),
        },
    );

    // The deprecated operation is not a tool: calling it is an unknown-tool error.
    let mut cmd = common::py_client("auto");
    cmd.args(["--url", &gw, "--call", "legacy_list_items"]);
    let r = common::run_client(cmd);
    r.check_exit();
    assert!(r.error().is_some_and(|e| e.contains("legacy_list_items")), "{}", r.transcript);

    // Arguments the schema rejects never reach FastAPI: an isError naming the argument (FastAPI
    // itself answers 422).
    let mut cmd = common::py_client("auto");
    cmd.args(["--url", &gw, "--call", "describe_color", "--args", r#"{"color": "purple"}"#]);
    let r = common::run_client(cmd);
    r.check_exit();
    let res = r.result().unwrap_or_else(|| panic!("{}", r.transcript));
    assert_eq!(res["isError"], json!(true), "{}", r.transcript);
    assert!(text_of(res).contains("color"), "{}", r.transcript);
    assert_eq!(rest(&base, &json!({"method": "GET", "path": "/colors/purple"})).status, 422);
}

/// `--include-deprecated` serves the deprecated route too, and it answers like REST.
#[test]
fn include_deprecated_serves_the_deprecated_route() {
    let (_uvicorn, base) = start_fastapi("deprecated");
    let (_toolgate, gw) = start_gateway("deprecated", &base, &["--include-deprecated"]);
    let c = Case {
        op: ("GET", "/legacy/items"),
        tool: "legacy_list_items",
        via: Via::Py,
        args: json!({}),
        rest: json!({"method": "GET", "path": "/legacy/items"}),
        expect: Expect::Json { status: 200, wrapped: true },
    };
    let res = check(&gw, &base, &c);
    assert_eq!(res["structuredContent"]["result"][0], "SKU-1", "{res}");
}

/// FastAPI documents list no `servers`: without `--upstream` the gateway refuses to start, and
/// says what to do.
#[test]
fn serve_without_upstream_is_a_clear_error() {
    let (_uvicorn, base) = start_fastapi("no-upstream");
    let mut cmd = Command::new(workspace_bin("toolgate"));
    cmd.args(["serve", "--openapi", &format!("{base}/openapi.json"), "--listen"])
        .arg(format!("127.0.0.1:{}", free_port()));
    let what = format!("{cmd:?}");
    let out = run(cmd, Duration::from_secs(30));
    let t = common::transcript(&what, &out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("servers") && stderr.contains("--upstream"), "the error must say to pass --upstream\n{t}");
}
