//! Streaming a 100 MB upstream response keeps memory flat: events are forwarded as they come
//! and only a bounded aggregate is kept. (Its own test binary, so the peak RSS is this test's.)

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

mod common;

use axum::body::Body;
use axum::routing::get;
use common::{Client, serve};
use serde_json::json;

fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_100_mb_stream_keeps_memory_flat() {
    const LINE: usize = 64 * 1024;
    const LINES: usize = 1600; // 100 MiB
    let doc = json!({
        "openapi": "3.1.0", "info": {"title": "Big", "version": "1"},
        "paths": {"/big": {"get": {"operationId": "big",
            "responses": {"200": {"description": "lines", "content": {"application/x-ndjson": {"schema": {}}}}}}}}
    });
    let app = axum::Router::new().route(
        "/big",
        get(|| async {
            let s = futures::stream::iter(0..LINES).map(|i| {
                let mut line = format!("{{\"i\":{i},\"pad\":\"");
                line.push_str(&"x".repeat(LINE - line.len() - 3));
                line.push_str("\"}\n");
                Ok::<_, std::convert::Infallible>(line)
            });
            ([("content-type", "application/x-ndjson")], Body::from_stream(s))
        }),
    );
    let mcp = toolgate::Mcp::new(doc, app.clone()).build().expect("build");
    let base = serve(mcp.mount(app)).await;
    let mut c = Client::modern(&format!("{base}/mcp"));
    let _ = c.list().await;
    let before = vm_hwm_kib();
    let (msgs, last) = c.call("big", json!({}), Some("t")).await;
    let after = vm_hwm_kib();
    let result = &last["result"];
    assert_eq!(result["structuredContent"]["count"], json!(LINES), "{}", result["structuredContent"]["cut"]);
    assert!(result["structuredContent"]["cut"].is_string());
    let progress = msgs.iter().filter(|m| m.message["method"] == "notifications/progress").count();
    assert_eq!(progress, LINES);
    let grew_mib = (after.saturating_sub(before)) / 1024;
    eprintln!(
        "peak RSS before {} MiB, after {} MiB (+{grew_mib} MiB) for a 100 MiB stream",
        before / 1024,
        after / 1024
    );
    assert!(grew_mib < 40, "peak RSS grew by {grew_mib} MiB while streaming 100 MiB");
}

use futures::StreamExt;
