//! Each result kind and each error path, end to end over Streamable HTTP.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

mod common;

use std::time::Duration;

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{delete, get};
use common::{Client, serve, text};
use serde_json::{Value, json};

fn doc() -> Value {
    let ok = |schema: Value, media: &str| json!({"200": {"description": "ok", "content": {media: {"schema": schema}}}});
    json!({
        "openapi": "3.1.0",
        "info": {"title": "Results", "version": "1"},
        "paths": {
            "/json/{id}": {"get": {"operationId": "get_json", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "maximum": 100}}],
                "responses": ok(json!({"type": "object", "required": ["id", "name"], "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}}), "application/json")}},
            "/list": {"get": {"operationId": "get_list", "responses": ok(json!({"type": "array", "items": {"type": "integer"}}), "application/json")}},
            "/text": {"get": {"operationId": "get_text", "responses": ok(json!({"type": "string"}), "text/plain")}},
            "/image": {"get": {"operationId": "get_image", "responses": ok(json!({"type": "string", "format": "binary"}), "image/png")}},
            "/pdf": {"get": {"operationId": "get_pdf", "responses": ok(json!({"type": "string", "format": "binary"}), "application/pdf")}},
            "/thing/{id}": {"delete": {"operationId": "delete_thing", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": {"204": {"description": "gone"}}}},
            "/missing": {"get": {"operationId": "get_missing", "responses": ok(json!({"type": "object"}), "application/json")}},
            "/boom": {"get": {"operationId": "get_boom", "responses": ok(json!({"type": "object"}), "application/json")}},
            "/big": {"get": {"operationId": "get_big", "responses": ok(json!({"type": "object"}), "application/json")}},
            "/slow": {"get": {"operationId": "get_slow", "x-mcp-timeout": 0.3, "responses": ok(json!({"type": "object"}), "application/json")}},
            "/drift": {"get": {"operationId": "get_drift", "responses": ok(json!({"type": "object", "properties": {"count": {"type": "integer"}}}), "application/json")}}
        }
    })
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n0000IHDR";

fn app() -> axum::Router {
    axum::Router::new()
        .route(
            "/json/{id}",
            get(|axum::extract::Path(id): axum::extract::Path<i64>| async move {
                Json(json!({"id": id, "name": format!("thing {id}")}))
            }),
        )
        .route("/list", get(|| async { Json(json!([1, 2, 3])) }))
        .route("/text", get(|| async { "plain words" }))
        .route("/image", get(|| async { ([(header::CONTENT_TYPE, "image/png")], PNG) }))
        .route("/pdf", get(|| async { ([(header::CONTENT_TYPE, "application/pdf")], b"%PDF-1.4 fake".to_vec()) }))
        .route("/thing/{id}", delete(|| async { StatusCode::NO_CONTENT }))
        .route(
            "/missing",
            get(|| async {
                (
                    StatusCode::NOT_FOUND,
                    [(header::CONTENT_TYPE, "application/problem+json")],
                    json!({"title": "Not Found", "detail": "no such thing"}).to_string(),
                )
            }),
        )
        .route("/boom", get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "database on fire").into_response() }))
        .route("/big", get(|| async { Json(json!({"blob": "x".repeat(1024 * 1024)})) }))
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                Json(json!({}))
            }),
        )
        .route("/drift", get(|| async { Json(json!({"count": "seven"})) }))
}

async fn setup() -> Client {
    let router = app();
    let mcp = toolgate::Mcp::new(doc(), router.clone()).build().expect("build");
    let base = serve(mcp.mount(router)).await;
    Client::modern(&format!("{base}/mcp"))
}

#[tokio::test]
async fn json_object_becomes_structured_content_plus_text() {
    let mut c = setup().await;
    let r = c.call_ok("get_json", json!({"id": 7})).await;
    assert_eq!(r["isError"], json!(false));
    assert_eq!(r["structuredContent"], json!({"id": 7, "name": "thing 7"}));
    assert_eq!(serde_json::from_str::<Value>(&text(&r)).ok(), Some(json!({"id": 7, "name": "thing 7"})));
}

#[tokio::test]
async fn json_array_is_wrapped() {
    let mut c = setup().await;
    let r = c.call_ok("get_list", json!({})).await;
    assert_eq!(r["structuredContent"], json!({"result": [1, 2, 3]}));
    let tools = c.list().await;
    let t = tools.iter().find(|t| t["name"] == "get_list").expect("listed");
    assert_eq!(t["outputSchema"]["type"], json!("object"));
    assert!(t["outputSchema"]["properties"]["result"].is_object());
}

#[tokio::test]
async fn text_image_and_binary() {
    let mut c = setup().await;
    let r = c.call_ok("get_text", json!({})).await;
    assert_eq!(text(&r), "plain words");
    assert!(r.get("structuredContent").is_none());

    let r = c.call_ok("get_image", json!({})).await;
    assert_eq!(r["content"][0]["type"], json!("image"));
    assert_eq!(r["content"][0]["mimeType"], json!("image/png"));
    use base64::Engine;
    let data = r["content"][0]["data"].as_str().unwrap_or_default();
    assert_eq!(base64::engine::general_purpose::STANDARD.decode(data).ok().as_deref(), Some(PNG));

    let r = c.call_ok("get_pdf", json!({})).await;
    assert_eq!(r["content"][0]["type"], json!("resource"));
    assert_eq!(r["content"][0]["resource"]["mimeType"], json!("application/pdf"));
    assert!(r["content"][0]["resource"]["blob"].is_string());
    assert!(r["content"][0]["resource"]["uri"].as_str().unwrap_or_default().ends_with("/pdf"));
}

#[tokio::test]
async fn empty_204_is_a_status_object() {
    let mut c = setup().await;
    let r = c.call_ok("delete_thing", json!({"id": "a"})).await;
    assert_eq!(r["isError"], json!(false));
    assert_eq!(serde_json::from_str::<Value>(&text(&r)).ok(), Some(json!({"status": 204})));
}

#[tokio::test]
async fn http_errors_are_tool_errors_with_status_and_body() {
    let mut c = setup().await;
    let r = c.call_ok("get_missing", json!({})).await;
    assert_eq!(r["isError"], json!(true));
    let t = text(&r);
    assert!(t.starts_with("HTTP 404 Not Found — Not Found: no such thing"), "{t}");
    let r = c.call_ok("get_boom", json!({})).await;
    assert_eq!(r["isError"], json!(true));
    assert!(text(&r).contains("HTTP 500 Internal Server Error") && text(&r).contains("database on fire"));
}

#[tokio::test]
async fn oversized_responses_are_cut_with_a_marker() {
    let mut c = setup().await;
    let r = c.call_ok("get_big", json!({})).await;
    let t = text(&r);
    assert!(t.len() < 300 * 1024, "{}", t.len());
    assert!(t.contains("[toolgate: response truncated: showing the first 262144"), "{}", &t[t.len() - 200..]);
    assert_eq!(r["isError"], json!(false));
    assert!(
        r["structuredContent"]["_toolgate"].is_object(),
        "a cut JSON body cannot be structured: {}",
        r["structuredContent"]
    );
}

#[tokio::test]
async fn timeouts_say_so() {
    let mut c = setup().await;
    let t0 = std::time::Instant::now();
    let r = c.call_ok("get_slow", json!({})).await;
    assert!(t0.elapsed() < Duration::from_secs(3));
    assert_eq!(r["isError"], json!(true));
    assert!(text(&r).contains("did not answer within 300ms"), "{}", text(&r));
}

#[tokio::test]
async fn schema_drift_never_breaks_the_client() {
    let mut c = setup().await;
    let r = c.call_ok("get_drift", json!({})).await;
    assert_eq!(r["isError"], json!(false));
    assert_eq!(serde_json::from_str::<Value>(&text(&r)).ok(), Some(json!({"count": "seven"})));
    let s = &r["structuredContent"];
    assert!(s["_toolgate"]["unstructured"].as_str().unwrap_or_default().contains("does not match"), "{s}");
    // and that escape object fits the advertised schema
    let tools = c.list().await;
    let schema = tools.iter().find(|t| t["name"] == "get_drift").map(|t| t["outputSchema"].clone()).expect("listed");
    assert!(jsonschema_valid(&schema, s), "{schema} vs {s}");
}

fn jsonschema_valid(schema: &Value, v: &Value) -> bool {
    // the same check a client does: the advertised schema must accept the structured content
    jsonschema::validator_for(schema).map(|val| val.is_valid(v)).unwrap_or(false)
}

#[tokio::test]
async fn bad_arguments_name_the_argument() {
    let mut c = setup().await;
    let r = c.call_ok("get_json", json!({"id": "seven"})).await;
    assert_eq!(r["isError"], json!(true));
    let t = text(&r);
    assert!(t.contains("argument `id`") && t.contains("integer"), "{t}");
    let r = c.call_ok("get_json", json!({"id": 1000})).await;
    assert!(text(&r).contains("argument `id`") && text(&r).contains("100"), "{}", text(&r));
    let r = c.call_ok("get_json", json!({})).await;
    assert!(text(&r).contains("argument `id` is required"), "{}", text(&r));
    let r = c.call_ok("get_json", json!({"id": 1, "idd": 2})).await;
    assert!(text(&r).contains("argument `idd` is not an argument of this tool"), "{}", text(&r));
}

#[tokio::test]
async fn unknown_tools_are_protocol_errors() {
    let mut c = setup().await;
    let (_, last) = c.call("get_jsno", json!({}), None).await;
    let err = last.get("error").cloned().unwrap_or_else(|| panic!("expected an error: {last}"));
    assert_eq!(err["code"], json!(-32602));
    assert!(err["message"].as_str().unwrap_or_default().contains("unknown tool `get_jsno`"));
}

#[tokio::test]
async fn unreachable_upstream_is_a_clear_tool_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("port");
    let api = toolgate::openapi::load_value(doc(), &Default::default()).expect("doc");
    let upstream = toolgate::Upstream::http(&format!("http://127.0.0.1:{port}")).expect("upstream");
    let mount = toolgate::Mount::new(&api, upstream, &Default::default(), Default::default()).expect("mount");
    let catalog = std::sync::Arc::new(toolgate::Catalog::new(vec![mount], vec![]).expect("catalog"));
    let mcp = toolgate::McpHttp::new(catalog, Default::default(), Default::default());
    let base = serve(mcp.router("/mcp")).await;
    let mut c = Client::modern(&format!("{base}/mcp"));
    let r = c.call_ok("get_list", json!({})).await;
    assert_eq!(r["isError"], json!(true));
    let t = text(&r);
    assert!(t.contains(&format!("could not reach the API at http://127.0.0.1:{port}")), "{t}");
}

#[tokio::test]
async fn legacy_sessions_get_the_same_results() {
    let router = app();
    let mcp = toolgate::Mcp::new(doc(), router.clone()).build().expect("build");
    let base = serve(mcp.mount(router)).await;
    for version in ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"] {
        let mut c = Client::legacy(&format!("{base}/mcp"), version).await;
        let r = c.call_ok("get_json", json!({"id": 3})).await;
        assert_eq!(r["structuredContent"], json!({"id": 3, "name": "thing 3"}), "{version}");
        assert!(r.get("resultType").is_none(), "{version}: legacy results have no resultType");
        let names: Vec<String> = c.list().await.iter().filter_map(|t| t["name"].as_str().map(str::to_owned)).collect();
        assert!(names.contains(&"get_pdf".to_owned()), "{version}: {names:?}");
    }
}
