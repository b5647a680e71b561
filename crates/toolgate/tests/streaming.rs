//! Streaming: upstream events become progress notifications while the upstream still works;
//! cancelling a call aborts the upstream request; idle streams time out.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::response::sse::{Event, Sse};
use axum::routing::get;
use common::{Client, serve, text};
use futures::StreamExt;
use serde_json::{Value, json};

fn doc() -> Value {
    let sse =
        json!({"200": {"description": "events", "content": {"text/event-stream": {"schema": {"type": "string"}}}}});
    json!({
        "openapi": "3.1.0",
        "info": {"title": "Streams", "version": "1"},
        "paths": {
            "/report": {"get": {"operationId": "report", "responses": sse}},
            "/forever": {"get": {"operationId": "forever", "responses": sse}},
            "/stall": {"get": {"operationId": "stall", "x-mcp-timeout": 0.5, "responses": sse}}
        }
    })
}

/// What the upstream saw: when it sent each event, and when its stream was dropped.
#[derive(Default)]
struct Seen {
    sent: Mutex<Vec<Instant>>,
    dropped: Mutex<Option<Instant>>,
}

struct DropMark(Arc<Seen>);
impl Drop for DropMark {
    fn drop(&mut self) {
        *self.0.dropped.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
    }
}

fn app(seen: Arc<Seen>) -> axum::Router {
    let report = {
        let seen = seen.clone();
        move || {
            let seen = seen.clone();
            async move {
                let s = futures::stream::unfold(0u32, move |i| {
                    let seen = seen.clone();
                    async move {
                        if i == 5 {
                            return None;
                        }
                        tokio::time::sleep(Duration::from_millis(300)).await;
                        seen.sent.lock().unwrap_or_else(|e| e.into_inner()).push(Instant::now());
                        let data = if i == 4 {
                            json!({"status": "complete"})
                        } else {
                            json!({"status": "processing", "step": i + 1})
                        };
                        Some((Ok::<_, std::convert::Infallible>(Event::default().data(data.to_string())), i + 1))
                    }
                });
                Sse::new(s)
            }
        }
    };
    let forever = {
        let seen = seen.clone();
        move || {
            let seen = seen.clone();
            async move {
                let mark = DropMark(seen.clone());
                let s = futures::stream::unfold((0u64, mark), |(i, mark)| async move {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    Some((Ok::<_, std::convert::Infallible>(Event::default().data(format!("tick {i}"))), (i + 1, mark)))
                });
                Sse::new(s)
            }
        }
    };
    let stall = || async {
        let s = futures::stream::once(async { Ok::<_, std::convert::Infallible>(Event::default().data("first")) })
            .chain(futures::stream::pending());
        Sse::new(s)
    };
    axum::Router::new().route("/report", get(report)).route("/forever", get(forever)).route("/stall", get(stall))
}

async fn in_process(seen: Arc<Seen>) -> String {
    let router = app(seen);
    let mcp = toolgate::Mcp::new(doc(), router.clone()).build().expect("build");
    serve(mcp.mount(router)).await
}

async fn over_http(seen: Arc<Seen>) -> String {
    let upstream = serve(app(seen)).await;
    let api = toolgate::openapi::load_value(doc(), &Default::default()).expect("doc");
    let up = toolgate::Upstream::http(&upstream).expect("upstream");
    let mount = toolgate::Mount::new(&api, up, &Default::default(), Default::default()).expect("mount");
    let catalog = Arc::new(toolgate::Catalog::new(vec![mount], vec![]).expect("catalog"));
    let mcp = toolgate::McpHttp::new(catalog, Default::default(), Default::default());
    serve(mcp.router("/mcp")).await
}

fn progress_times(msgs: &[common::Received]) -> Vec<(Instant, Value)> {
    msgs.iter()
        .filter(|m| m.message["method"] == "notifications/progress")
        .map(|m| (m.at, m.message["params"].clone()))
        .collect()
}

async fn check_progress_arrives_while_upstream_works(mut c: Client, seen: &Seen) {
    let (msgs, last) = c.call("report", json!({}), Some("tok-1")).await;
    let progress = progress_times(&msgs);
    let sent = seen.sent.lock().unwrap_or_else(|e| e.into_inner()).clone();
    assert_eq!(sent.len(), 5, "the upstream sent 5 events");
    assert_eq!(progress.len(), 5, "one progress notification per event: {msgs:?}");
    // the first notification arrived before the upstream had finished (it sent its last event
    // 1.2 s after the first), and soon after the event was sent
    assert!(progress[0].0 < sent[4], "first progress came only after the upstream finished");
    assert!(progress[0].0.duration_since(sent[0]) < Duration::from_millis(250));
    let values: Vec<f64> = progress.iter().filter_map(|(_, p)| p["progress"].as_f64()).collect();
    assert!(values.windows(2).all(|w| w[1] > w[0]), "strictly increasing: {values:?}");
    assert_eq!(progress[0].1["progressToken"], json!("tok-1"));
    assert!(progress[0].1["message"].as_str().unwrap_or_default().contains("processing"));
    let result = &last["result"];
    assert_eq!(result["isError"], json!(false), "{last}");
    assert_eq!(result["structuredContent"]["count"], json!(5));
    assert_eq!(result["structuredContent"]["events"][4], json!({"status": "complete"}));
    assert!(text(result).ends_with("{\"status\":\"complete\"}"));
}

#[tokio::test]
async fn progress_arrives_while_the_upstream_works_in_process_modern() {
    let seen = Arc::new(Seen::default());
    let base = in_process(seen.clone()).await;
    check_progress_arrives_while_upstream_works(Client::modern(&format!("{base}/mcp")), &seen).await;
}

#[tokio::test]
async fn progress_arrives_while_the_upstream_works_over_http_legacy() {
    let seen = Arc::new(Seen::default());
    let base = over_http(seen.clone()).await;
    let c = Client::legacy(&format!("{base}/mcp"), "2025-11-25").await;
    check_progress_arrives_while_upstream_works(c, &seen).await;
}

/// Starts a call to `forever`, waits for the first progress notification, then closes the
/// response stream (the 2026-07-28 way to cancel). Returns when the client closed.
async fn start_and_close(url: &str) -> Instant {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
        "name": "forever", "arguments": {},
        "_meta": {"progressToken": 9, "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                  "io.modelcontextprotocol/clientCapabilities": {}}}});
    let resp = reqwest::Client::new()
        .post(url)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", "tools/call")
        .header("mcp-name", "forever")
        .json(&body)
        .send()
        .await
        .expect("send");
    let mut stream = resp.bytes_stream();
    while let Some(Ok(chunk)) = stream.next().await {
        if String::from_utf8_lossy(&chunk).contains("notifications/progress") {
            break;
        }
    }
    drop(stream);
    Instant::now()
}

async fn wait_dropped(seen: &Seen, since: Instant) -> Duration {
    for _ in 0..100 {
        if let Some(t) = *seen.dropped.lock().unwrap_or_else(|e| e.into_inner()) {
            return t.saturating_duration_since(since);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the upstream never saw the call go away");
}

#[tokio::test]
async fn closing_the_stream_cancels_the_upstream_in_process() {
    let seen = Arc::new(Seen::default());
    let base = in_process(seen.clone()).await;
    let closed = start_and_close(&format!("{base}/mcp")).await;
    let after = wait_dropped(&seen, closed).await;
    assert!(after < Duration::from_secs(1), "{after:?}");
}

#[tokio::test]
async fn closing_the_stream_cancels_the_upstream_over_http() {
    let seen = Arc::new(Seen::default());
    let base = over_http(seen.clone()).await;
    let closed = start_and_close(&format!("{base}/mcp")).await;
    let after = wait_dropped(&seen, closed).await;
    assert!(after < Duration::from_secs(1), "{after:?}");
}

#[tokio::test]
async fn legacy_cancelled_notification_cancels_the_upstream() {
    let seen = Arc::new(Seen::default());
    let base = over_http(seen.clone()).await;
    let mut c = Client::legacy(&format!("{base}/mcp"), "2025-11-25").await;
    let other = c.same_session();
    // initialize was request 1, so the call is request 2
    let call = tokio::spawn(async move { c.call("forever", json!({}), Some("p")).await });
    tokio::time::sleep(Duration::from_millis(400)).await;
    let sent = Instant::now();
    let status = other.notify("notifications/cancelled", json!({"requestId": 2, "reason": "test"})).await;
    assert_eq!(status, 202);
    let after = wait_dropped(&seen, sent).await;
    assert!(after < Duration::from_secs(1), "{after:?}");
    call.abort();
}

#[tokio::test]
async fn an_idle_stream_times_out() {
    let seen = Arc::new(Seen::default());
    let base = in_process(seen).await;
    let mut c = Client::modern(&format!("{base}/mcp"));
    let t0 = Instant::now();
    let r = c.call_ok("stall", json!({})).await;
    assert!(t0.elapsed() < Duration::from_secs(3));
    assert_eq!(r["isError"], json!(true));
    assert!(text(&r).contains("did not answer within 500ms"), "{}", text(&r));
}

#[tokio::test]
async fn events_become_log_messages_when_the_request_asks_for_logs() {
    let seen = Arc::new(Seen::default());
    let base = in_process(seen).await;
    let mut c = Client::modern(&format!("{base}/mcp"));
    let params = json!({"name": "report", "arguments": {}, "_meta": {"io.modelcontextprotocol/logLevel": "info"}});
    let (msgs, _) = c.post_raw("tools/call", params, Some("report")).await;
    let logs: Vec<&Value> =
        msgs.iter().map(|m| &m.message).filter(|m| m["method"] == "notifications/message").collect();
    assert_eq!(logs.len(), 5, "{msgs:?}");
    assert_eq!(logs[0]["params"]["level"], json!("info"));
    assert_eq!(logs[0]["params"]["logger"], json!("report"));
    assert_eq!(logs[4]["params"]["data"], json!({"status": "complete"}));
    // without a log level, no log messages (2026-07-28: servers must not send them unasked)
    let (msgs, _) = c.post_raw("tools/call", json!({"name": "report", "arguments": {}}), Some("report")).await;
    assert!(!msgs.iter().any(|m| m.message["method"] == "notifications/message"), "{msgs:?}");
}

#[tokio::test]
async fn legacy_sessions_get_log_messages_after_set_level() {
    let seen = Arc::new(Seen::default());
    let base = in_process(seen).await;
    let url = format!("{base}/mcp");
    let mut c = Client::legacy(&url, "2025-11-25").await;
    let session = c.session_id().expect("a session id");
    // the session's GET stream carries server messages not tied to a request's reply
    let get = reqwest::Client::new()
        .get(&url)
        .header("accept", "text/event-stream")
        .header("mcp-session-id", &session)
        .header("mcp-protocol-version", "2025-11-25")
        .send()
        .await
        .expect("GET stream");
    let collected = Arc::new(Mutex::new(String::new()));
    let sink = collected.clone();
    let reader = tokio::spawn(async move {
        let mut s = get.bytes_stream();
        while let Some(Ok(chunk)) = s.next().await {
            sink.lock().unwrap_or_else(|e| e.into_inner()).push_str(&String::from_utf8_lossy(&chunk));
        }
    });
    let (set, _) = c.post_raw("logging/setLevel", json!({"level": "info"}), None).await;
    assert!(set.last().is_some_and(|m| m.message.get("result").is_some()), "{set:?}");
    let (msgs, last) = c.call("report", json!({}), None).await;
    assert_eq!(last["result"]["isError"], json!(false));
    let mut all: String = msgs.iter().map(|m| m.message.to_string()).collect();
    for _ in 0..50 {
        all.push_str(&collected.lock().unwrap_or_else(|e| e.into_inner()));
        if all.matches("notifications/message").count() >= 5 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    reader.abort();
    assert!(all.matches("notifications/message").count() >= 5, "{all}");
    assert!(all.contains("\"complete\""), "{all}");
}
