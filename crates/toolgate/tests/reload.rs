//! Hot reload over HTTP: a changed document adds a tool and connected clients are told (a
//! legacy session on its GET stream, a 2026-07-28 client on `subscriptions/listen`); a broken
//! document keeps the old catalog; a call in flight during the swap completes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::routing::get;
use common::{Client, MODERN, serve};
use futures::StreamExt;
use serde_json::{Value, json};
use tokio::sync::{Notify, mpsc};
use toolgate::reload::{Reloaded, Reloading};
use toolgate::{CallOptions, Catalog, McpEndpoint, Mount, Source, ToolsetOptions, Upstream};

fn op(id: &str) -> Value {
    json!({"get": {"operationId": id,
        "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}}}})
}

fn doc(ops: &[(&str, &str)]) -> String {
    let paths: serde_json::Map<String, Value> = ops.iter().map(|(path, id)| ((*path).to_owned(), op(id))).collect();
    json!({"openapi": "3.1.0", "info": {"title": "Items", "version": "1"}, "paths": paths}).to_string()
}

/// The app: `/items`, `/items/new`, and `/slow`, which waits until the test releases it.
fn app(entered: Arc<Notify>, release: Arc<Notify>) -> axum::Router {
    axum::Router::new()
        .route("/items", get(|| async { Json(json!({"items": [1, 2]})) }))
        .route("/items/new", get(|| async { Json(json!({"new": true})) }))
        .route(
            "/slow",
            get(move || {
                let (entered, release) = (entered.clone(), release.clone());
                async move {
                    entered.notify_one();
                    release.notified().await;
                    Json(json!({"slow": "done"}))
                }
            }),
        )
}

async fn build(file: PathBuf, app: axum::Router) -> Result<Catalog, toolgate::Error> {
    let api = Source::File(file).load(&Default::default()).await?;
    let mount = Mount::new(&api, Upstream::router(app), &ToolsetOptions::default(), CallOptions::default())?;
    Catalog::new(vec![mount], Vec::new())
}

struct Setup {
    url: String,
    file: PathBuf,
    reloading: Arc<Reloading>,
    entered: Arc<Notify>,
    release: Arc<Notify>,
}

async fn setup(name: &str, ops: &[(&str, &str)]) -> Setup {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("reload").join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("openapi.json");
    std::fs::write(&file, doc(ops)).unwrap();
    let (entered, release) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    let app = app(entered.clone(), release.clone());
    let initial = build(file.clone(), app.clone()).await.expect("initial catalog");
    let (f, a) = (file.clone(), app.clone());
    let reloading = Arc::new(Reloading::new(initial).with_rebuild(move || build(f.clone(), a.clone())));
    reloading.watch_files(vec![file.clone()], Duration::from_millis(100));
    let endpoint = McpEndpoint::reloading(reloading.clone(), Default::default(), Default::default(), "/mcp", None);
    let base = serve(endpoint.router()).await;
    Setup { url: format!("{base}/mcp"), file, reloading, entered, release }
}

/// Every JSON-RPC message of an SSE response, as it arrives.
fn messages(resp: reqwest::Response) -> mpsc::UnboundedReceiver<Value> {
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut stream = resp.bytes_stream();
        let mut buf = String::new();
        while let Some(Ok(chunk)) = stream.next().await {
            buf.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buf.find("\n\n") {
                let block: String = buf.drain(..end + 2).collect();
                let data: String = block
                    .lines()
                    .filter_map(|l| l.strip_prefix("data:"))
                    .map(|d| d.trim_start())
                    .collect::<Vec<_>>()
                    .join("\n");
                if let Ok(v) = serde_json::from_str::<Value>(&data)
                    && tx.send(v).is_err()
                {
                    return;
                }
            }
        }
    });
    rx
}

/// Waits (up to 10 s) for `notifications/tools/list_changed` on a stream.
async fn list_changed(rx: &mut mpsc::UnboundedReceiver<Value>) {
    let wait = async {
        while let Some(m) = rx.recv().await {
            if m["method"] == "notifications/tools/list_changed" {
                return true;
            }
        }
        false
    };
    assert!(
        tokio::time::timeout(Duration::from_secs(10), wait).await.unwrap_or(false),
        "no notifications/tools/list_changed"
    );
}

/// A legacy session's standalone GET stream (server-to-client notifications).
async fn legacy_stream(url: &str) -> mpsc::UnboundedReceiver<Value> {
    let http = reqwest::Client::new();
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}});
    let resp = http.post(url).header("accept", "application/json, text/event-stream").json(&init).send().await.unwrap();
    let sid = resp.headers()["mcp-session-id"].to_str().unwrap().to_owned();
    let _ = resp.bytes().await;
    let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    let r = http
        .post(url)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-session-id", &sid)
        .header("mcp-protocol-version", "2025-11-25")
        .json(&initialized)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let resp = http
        .get(url)
        .header("accept", "text/event-stream")
        .header("mcp-session-id", &sid)
        .header("mcp-protocol-version", "2025-11-25")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    messages(resp)
}

/// A 2026-07-28 `subscriptions/listen` stream asking for tool list changes.
async fn modern_listen(url: &str) -> mpsc::UnboundedReceiver<Value> {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "subscriptions/listen", "params": {
        "notifications": {"toolsListChanged": true},
        "_meta": {"io.modelcontextprotocol/protocolVersion": MODERN,
                  "io.modelcontextprotocol/clientCapabilities": {}}}});
    let resp = reqwest::Client::new()
        .post(url)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", MODERN)
        .header("mcp-method", "subscriptions/listen")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    messages(resp)
}

async fn names(url: &str) -> Vec<String> {
    Client::modern(url).list().await.iter().map(|t| t["name"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_document_adds_the_tool_and_tells_connected_clients() {
    let s = setup("changed", &[("/items", "list_items")]).await;
    assert_eq!(names(&s.url).await, ["list_items"]);
    let mut legacy = legacy_stream(&s.url).await;
    let mut modern = modern_listen(&s.url).await;
    // Let the listen request reach the handler before the change.
    tokio::time::sleep(Duration::from_millis(300)).await;

    std::fs::write(&s.file, doc(&[("/items", "list_items"), ("/items/new", "new_item")])).unwrap();
    list_changed(&mut legacy).await;
    list_changed(&mut modern).await;
    assert_eq!(names(&s.url).await, ["list_items", "new_item"]);
    let r = Client::modern(&s.url).call_ok("new_item", json!({})).await;
    assert_eq!(r["structuredContent"], json!({"new": true}), "{r}");

    // The same document again: swapped, but the list did not change.
    assert_eq!(s.reloading.reload().await.unwrap(), Reloaded::Unchanged { tools: 2 });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_document_keeps_the_old_catalog() {
    let s = setup("broken", &[("/items", "list_items")]).await;
    let mut legacy = legacy_stream(&s.url).await;
    std::fs::write(&s.file, "{\"openapi\": \"3.1.0\", \"paths\": {").unwrap();
    let err = s.reloading.reload().await.expect_err("a broken document");
    assert!(err.to_string().contains("openapi.json"), "{err}");
    // The watcher's reload fails the same way; wait past a few polls.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(names(&s.url).await, ["list_items"]);
    let r = Client::modern(&s.url).call_ok("list_items", json!({})).await;
    assert_eq!(r["structuredContent"], json!({"items": [1, 2]}), "{r}");
    // Fixed again: the next change is picked up, and only now are clients told.
    assert!(legacy.try_recv().is_err(), "nothing was announced for the broken document");
    std::fs::write(&s.file, doc(&[("/items", "list_items"), ("/items/new", "new_item")])).unwrap();
    list_changed(&mut legacy).await;
    assert_eq!(names(&s.url).await, ["list_items", "new_item"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_in_flight_during_the_swap_completes_on_the_old_catalog() {
    let s = setup("in-flight", &[("/items", "list_items"), ("/slow", "slow")]).await;
    let url = s.url.clone();
    let in_flight = tokio::spawn(async move { Client::modern(&url).call_ok("slow", json!({})).await });
    s.entered.notified().await;

    // While `slow` runs, a document without it is swapped in.
    std::fs::write(&s.file, doc(&[("/items", "list_items")])).unwrap();
    assert_eq!(s.reloading.reload().await.unwrap(), Reloaded::Changed { tools: 1 });
    assert_eq!(names(&s.url).await, ["list_items"]);
    let (_, gone) = Client::modern(&s.url).call("slow", json!({}), None).await;
    assert!(gone.to_string().contains("unknown tool `slow`"), "{gone}");

    s.release.notify_one();
    let r = tokio::time::timeout(Duration::from_secs(10), in_flight).await.expect("in-flight call").unwrap();
    assert_eq!(r["isError"], json!(false), "{r}");
    assert_eq!(r["structuredContent"], json!({"slow": "done"}), "{r}");
}
