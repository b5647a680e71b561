//! `Mcp::websocket`: the same tools over WebSocket, behind the same authentication as `/mcp`
//! (bearer token on the upgrade request, per-caller tool lists, per-tool scopes), with a real
//! WebSocket client.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

mod common;

use std::time::Duration;

use axum::Json;
use axum::routing::get;
use common::serve;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use toolgate::auth::{AuthConfig, Secret, StaticKeys};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

async fn connect(base: &str, bearer: Option<&str>) -> Result<Ws, WsError> {
    let url = format!("{}/ws", base.replacen("http://", "ws://", 1));
    let mut req = url.into_client_request().expect("request");
    req.headers_mut().insert("sec-websocket-protocol", "mcp".parse().unwrap());
    if let Some(t) = bearer {
        req.headers_mut().insert("authorization", format!("Bearer {t}").parse().unwrap());
    }
    tokio_tungstenite::connect_async(req).await.map(|(ws, _)| ws)
}

/// Sends a request and reads until its response; returns it and the notifications before it.
async fn request(ws: &mut Ws, id: u64, method: &str, params: Value) -> (Value, Vec<Value>) {
    let msg = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
    ws.send(Message::Text(msg.to_string().into())).await.expect("send");
    let mut notes = Vec::new();
    loop {
        let m = tokio::time::timeout(Duration::from_secs(20), ws.next()).await.expect("in time");
        let m: Value = match m {
            Some(Ok(Message::Text(t))) => serde_json::from_str(t.as_str()).expect("JSON"),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            other => panic!("expected a text frame, got {other:?}"),
        };
        if m["id"] == json!(id) && m.get("method").is_none() {
            return (m, notes);
        }
        notes.push(m);
    }
}

async fn initialize(ws: &mut Ws) {
    let params =
        json!({"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}});
    let (init, _) = request(ws, 0, "initialize", params).await;
    assert!(init.get("result").is_some(), "{init}");
    let note = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    ws.send(Message::Text(note.to_string().into())).await.expect("send");
}

fn names(list: &Value) -> Vec<String> {
    list["result"]["tools"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn the_shop_over_websocket_with_streamed_progress() {
    let (shop, openapi) = toolgate_shop::app();
    let mcp = toolgate::Mcp::new(&openapi, shop.clone()).websocket("/ws").build().expect("build");
    let base = serve(mcp.mount(shop)).await;
    let mut ws = connect(&base, None).await.expect("connect");
    initialize(&mut ws).await;
    let (list, _) = request(&mut ws, 1, "tools/list", json!({})).await;
    assert!(names(&list).contains(&"get_product".to_owned()), "{list}");

    let (r, _) =
        request(&mut ws, 2, "tools/call", json!({"name": "get_product", "arguments": {"product_id": 42}})).await;
    assert_eq!(r["result"]["structuredContent"]["name"], "Product 42", "{r}");

    // The app's event stream arrives as progress notifications before the result.
    let params = json!({"name": "stream_report", "arguments": {"report_id": 7}, "_meta": {"progressToken": "r"}});
    let (r, notes) = request(&mut ws, 3, "tools/call", params).await;
    assert_eq!(r["result"]["isError"], json!(false), "{r}");
    let progress = notes.iter().filter(|n| n["method"] == "notifications/progress").count();
    assert!(progress >= 2, "{notes:?}");
}

#[test]
fn the_websocket_path_must_be_its_own() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let (shop, openapi) = toolgate_shop::app();
        for bad in ["/mcp", "ws"] {
            let err = toolgate::Mcp::new(&openapi, shop.clone()).websocket(bad).build().err();
            assert!(err.is_some_and(|e| e.to_string().contains("WebSocket path")), "{bad}");
        }
    });
}

fn items_doc() -> Value {
    let ok = json!({"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}});
    json!({
        "openapi": "3.1.0", "info": {"title": "Items", "version": "1"},
        "components": {"securitySchemes": {"oauth": {"type": "oauth2", "flows": {"clientCredentials": {
            "tokenUrl": "https://issuer.test/token", "scopes": {"items:read": "read", "items:write": "write"}}}}}},
        "security": [{"oauth": ["items:read"]}],
        "paths": {
            "/items": {
                "get": {"operationId": "list_items", "responses": ok},
                "post": {"operationId": "create_item", "security": [{"oauth": ["items:write"]}], "responses": ok}
            },
            "/health": {"get": {"operationId": "health", "security": [], "responses": ok}}
        }
    })
}

fn items_api() -> axum::Router {
    axum::Router::new()
        .route("/items", get(|| async { Json(json!({"items": []})) }).post(|| async { Json(json!({"id": 1})) }))
        .route("/health", get(|| async { Json(json!({"ok": true})) }))
}

#[tokio::test]
async fn the_websocket_endpoint_is_behind_the_same_authentication() {
    let keys = StaticKeys::new().with(Secret::new("reader-token-0123456789"), Some("reader"), &["items:read"]).with(
        Secret::new("writer-token-0123456789"),
        Some("writer"),
        &["items:read", "items:write"],
    );
    let mcp = toolgate::Mcp::new(items_doc(), items_api())
        .auth(AuthConfig::keys(keys))
        .websocket("/ws")
        .build()
        .expect("build");
    let base = serve(mcp.mount(items_api())).await;

    // No token, or a wrong one: the upgrade is refused with the same challenge as /mcp.
    for token in [None, Some("wrong-token-0123456789")] {
        match connect(&base, token).await {
            Err(WsError::Http(resp)) => {
                assert_eq!(resp.status(), 401, "{token:?}");
                let challenge = resp.headers().get("www-authenticate").unwrap().to_str().unwrap();
                assert!(challenge.contains("resource_metadata="), "{challenge}");
            }
            Err(e) => panic!("{token:?}: {e}"),
            Ok(_) => panic!("{token:?}: the upgrade was accepted"),
        }
    }

    // A reader sees what it may call; a tool that needs more scopes is refused per call (the
    // layer only sees the upgrade request, so the catalog checks each call).
    let mut ws = connect(&base, Some("reader-token-0123456789")).await.expect("reader connects");
    initialize(&mut ws).await;
    let (list, _) = request(&mut ws, 1, "tools/list", json!({})).await;
    assert_eq!(names(&list), ["list_items", "health"], "{list}");
    let (r, _) = request(&mut ws, 2, "tools/call", json!({"name": "list_items", "arguments": {}})).await;
    assert_eq!(r["result"]["isError"], json!(false), "{r}");
    let (r, _) = request(&mut ws, 3, "tools/call", json!({"name": "create_item", "arguments": {}})).await;
    assert_eq!(r["result"]["isError"], json!(true), "{r}");
    assert!(r["result"]["content"][0]["text"].as_str().unwrap().contains("items:write"), "{r}");

    let mut ws = connect(&base, Some("writer-token-0123456789")).await.expect("writer connects");
    initialize(&mut ws).await;
    let (list, _) = request(&mut ws, 1, "tools/list", json!({})).await;
    assert_eq!(names(&list), ["list_items", "create_item", "health"], "{list}");
    let (r, _) = request(&mut ws, 2, "tools/call", json!({"name": "create_item", "arguments": {}})).await;
    assert_eq!(r["result"]["isError"], json!(false), "{r}");
}
