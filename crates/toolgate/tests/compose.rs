//! Composition: several axum apps nested under prefixes and hand-written tools behind one MCP
//! endpoint (the article's pattern 4), calls in process through the composed router, the merged
//! OpenAPI document checked by an independent validator and loaded back to the same tools.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};

use axum::Json;
use axum::extract::{OriginalUri, Path as UrlPath};
use axum::routing::{get, post};
use common::{Client, serve, text};
use serde_json::{Value, json};
use toolgate::auth::{AuthConfig, Secret, StaticKeys, Verifier};
use toolgate::{Compose, Content, CustomTool, Part, ToolOutput, ToolsetOptions};

/// The request paths the apps saw (`OriginalUri`: before `Router::nest` stripped the prefix).
type Seen = Arc<Mutex<Vec<String>>>;

/// A result with structured content and the same JSON as text.
fn json_out(v: Value) -> ToolOutput {
    ToolOutput { content: vec![Content::Text(v.to_string())], structured: Some(v), is_error: false }
}

fn ok_json(schema: Value) -> Value {
    json!({"200": {"description": "ok", "content": {"application/json": {"schema": schema}}}})
}

// ---------------------------------------------------------------------------------------------
// The article's pattern 4: an inventory app and an orders app, composed.

fn inventory_app(seen: Seen) -> (axum::Router, Value) {
    let router = axum::Router::new().route(
        "/inventory/{sku}",
        get(move |OriginalUri(uri): OriginalUri, UrlPath(sku): UrlPath<String>| {
            seen.lock().unwrap().push(uri.path().to_owned());
            async move { Json(json!({"sku": sku, "quantity": 150, "warehouse": "US-WEST"})) }
        }),
    );
    let doc = json!({
        "openapi": "3.1.0",
        "info": {"title": "Inventory", "version": "1"},
        "paths": {"/inventory/{sku}": {"get": {
            "operationId": "get_inventory",
            "summary": "Stock of one SKU",
            "parameters": [{"name": "sku", "in": "path", "required": true, "schema": {"type": "string"}}],
            "responses": ok_json(json!({"$ref": "#/components/schemas/Stock"}))
        }}},
        "components": {"schemas": {"Stock": {"type": "object", "properties": {
            "sku": {"type": "string"}, "quantity": {"type": "integer"}, "warehouse": {"type": "string"}}}}}
    });
    (router, doc)
}

fn orders_app(seen: Seen) -> (axum::Router, Value) {
    let router = axum::Router::new().route(
        "/orders",
        post(move |OriginalUri(uri): OriginalUri, Json(order): Json<Value>| {
            seen.lock().unwrap().push(uri.path().to_owned());
            async move { Json(json!({"order_id": "ORD-2026-001", "status": "confirmed", "items": order["items"]})) }
        }),
    );
    let doc = json!({
        "openapi": "3.1.0",
        "info": {"title": "Orders", "version": "1"},
        "paths": {"/orders": {"post": {
            "operationId": "create_order",
            "requestBody": {"required": true, "content": {"application/json": {"schema": {
                "type": "object", "additionalProperties": true}}}},
            "responses": ok_json(json!({"type": "object"}))
        }}}
    });
    (router, doc)
}

#[tokio::test]
async fn pattern_4_inventory_and_orders_composed_into_one_server() {
    let seen: Seen = Seen::default();
    let (inventory, inventory_doc) = inventory_app(seen.clone());
    let (orders, orders_doc) = orders_app(seen.clone());
    let composed = Compose::new()
        .nest("/inventory", inventory, inventory_doc)
        .nest("/orders", orders, orders_doc)
        .build()
        .await
        .expect("compose");
    let names: Vec<&str> = composed.catalog().defs().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["inventory_get_inventory", "orders_create_order"]);

    let base = serve(composed.router()).await;
    let mut c = Client::modern(&format!("{base}/mcp"));
    let listed: Vec<String> = c.list().await.iter().map(|t| t["name"].as_str().unwrap().to_owned()).collect();
    assert_eq!(listed, ["inventory_get_inventory", "orders_create_order"]);

    let r = c.call_ok("inventory_get_inventory", json!({"sku": "WIDGET-9"})).await;
    assert_eq!(r["isError"], json!(false), "{r}");
    assert_eq!(r["structuredContent"], json!({"sku": "WIDGET-9", "quantity": 150, "warehouse": "US-WEST"}));
    let r = c.call_ok("orders_create_order", json!({"body": {"items": ["WIDGET-9"]}})).await;
    assert_eq!(r["isError"], json!(false), "{r}");
    assert_eq!(r["structuredContent"]["order_id"], json!("ORD-2026-001"), "{r}");
    assert_eq!(r["structuredContent"]["items"], json!(["WIDGET-9"]), "{r}");

    // The calls went through the composed router, under each app's prefix.
    assert_eq!(*seen.lock().unwrap(), ["/inventory/inventory/WIDGET-9", "/orders/orders"]);
    // The same routes answer over REST, next to /mcp.
    let rest: Value = reqwest::get(format!("{base}/inventory/inventory/A1")).await.unwrap().json().await.unwrap();
    assert_eq!(rest["sku"], json!("A1"));
    // One merged document, with the prefixes.
    let doc: Value = reqwest::get(format!("{base}/openapi.json")).await.unwrap().json().await.unwrap();
    let paths: Vec<&String> = doc["paths"].as_object().unwrap().keys().collect();
    assert_eq!(paths, ["/inventory/inventory/{sku}", "/orders/orders"]);
    assert_eq!(doc["info"]["title"], json!("Inventory + Orders"));
}

// ---------------------------------------------------------------------------------------------
// Nested routers, clashing names, the merged document.

/// An app with `GET /` (a list), `GET /items/{id}` (operationId `getItem`, clashing with the
/// other app's) and a component `Item` whose content differs per app.
fn items_app(name: &'static str, seen: Seen) -> (axum::Router, Value) {
    let s1 = seen.clone();
    let router = axum::Router::new()
        .route(
            "/",
            get(move |OriginalUri(uri): OriginalUri| {
                s1.lock().unwrap().push(uri.path().to_owned());
                async move { Json(json!({"app": name, "items": [1, 2]})) }
            }),
        )
        .route(
            "/items/{id}",
            get(move |OriginalUri(uri): OriginalUri, UrlPath(id): UrlPath<u32>| {
                seen.lock().unwrap().push(uri.path().to_owned());
                async move { Json(json!({"app": name, "id": id})) }
            }),
        );
    let doc = json!({
        "openapi": "3.1.0",
        "info": {"title": name, "version": "1"},
        "paths": {
            "/": {"get": {"operationId": "list", "responses": ok_json(json!({"type": "object"}))}},
            "/items/{id}": {"get": {
                "operationId": "getItem",
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
                "responses": ok_json(json!({"$ref": "#/components/schemas/Item"}))
            }},
            "/internal/stats": {"get": {"operationId": "stats", "responses": ok_json(json!({"type": "object"}))}}
        },
        "components": {"schemas": {"Item": {"type": "object", "description": format!("an item of {name}"),
            "properties": {"app": {"type": "string"}, "id": {"type": "integer"}}}}}
    });
    (router, doc)
}

#[tokio::test]
async fn nested_routers_keep_their_prefixes_in_calls_and_in_the_merged_document() {
    let seen: Seen = Seen::default();
    let (inventory, inventory_doc) = items_app("inventory", seen.clone());
    let (orders, orders_doc) = items_app("orders", seen.clone());
    // The orders app nested by hand (with a layer around it), declared with Part::routed.
    let app = axum::Router::new().nest("/api/orders", orders.layer(tower::layer::util::Identity::new()));
    let composed = Compose::with_app(app)
        .part(Part::nested("/inventory", inventory, inventory_doc).exclude(["stats"]))
        .part(Part::routed("/api/orders", orders_doc).namespace("orders").exclude(["stats"]))
        .tool(
            CustomTool::new("stock_report", "Totals across both apps.", |_req| async { json_out(json!({"total": 4})) })
                .output_schema(json!({"type": "object", "properties": {"total": {"type": "integer"}}})),
        )
        .build()
        .await
        .expect("compose");
    let names: Vec<&str> = composed.catalog().defs().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["inventory_list", "inventory_getItem", "orders_list", "orders_getItem", "stock_report"]);

    let base = serve(composed.router()).await;
    let mut c = Client::legacy(&format!("{base}/mcp"), "2025-11-25").await;
    for (tool, args, want) in [
        ("inventory_getItem", json!({"id": 7}), json!({"app": "inventory", "id": 7})),
        ("orders_getItem", json!({"id": 8}), json!({"app": "orders", "id": 8})),
        ("inventory_list", json!({}), json!({"app": "inventory", "items": [1, 2]})),
        ("orders_list", json!({}), json!({"app": "orders", "items": [1, 2]})),
        ("stock_report", json!({}), json!({"total": 4})),
    ] {
        let r = c.call_ok(tool, args).await;
        assert_eq!(r["isError"], json!(false), "{tool}: {r}");
        assert_eq!(r["structuredContent"], want, "{tool}: {r}");
    }
    // A nested app's `/` is served at the prefix itself (axum's rule), and the calls went there.
    assert_eq!(*seen.lock().unwrap(), ["/inventory/items/7", "/api/orders/items/8", "/inventory", "/api/orders"]);

    // The merged document: prefixed paths, renamed clashes, tool names on the operations.
    let doc: Value = reqwest::get(format!("{base}/openapi.json")).await.unwrap().json().await.unwrap();
    assert_eq!(&doc, composed.openapi().unwrap());
    let paths: BTreeSet<&str> = doc["paths"].as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        paths,
        BTreeSet::from([
            "/inventory",
            "/inventory/items/{id}",
            "/inventory/internal/stats",
            "/api/orders",
            "/api/orders/items/{id}",
            "/api/orders/internal/stats"
        ])
    );
    let orders_item = &doc["paths"]["/api/orders/items/{id}"]["get"];
    assert_eq!(orders_item["operationId"], json!("orders_getItem"), "renamed like the tool");
    assert_eq!(orders_item["x-mcp-name"], json!("orders_getItem"));
    assert_eq!(
        orders_item["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
        json!("#/components/schemas/Orders_Item")
    );
    assert_eq!(doc["paths"]["/inventory/items/{id}"]["get"]["x-mcp-name"], json!("inventory_getItem"));
    assert_eq!(doc["paths"]["/inventory/internal/stats"]["get"]["x-mcp"], json!(false));
    assert!(
        doc["components"]["schemas"]["Item"].is_object() && doc["components"]["schemas"]["Orders_Item"].is_object()
    );

    // An independent validator accepts it.
    assert_valid("composed", &doc);

    // Loaded back by toolgate, alone and with default options, it gives the same tools, and
    // each calls the same route (with the prefix now in the path).
    let api = toolgate::openapi::load_value(doc.clone(), &Default::default()).expect("load merged");
    let set = toolgate::tools::Toolset::build(&api, &ToolsetOptions::default()).expect("tools");
    let back: Vec<(&str, String)> =
        set.tools().iter().map(|t| (t.name(), format!("{} {}", t.source.method, t.source.path))).collect();
    assert_eq!(
        back,
        [
            ("inventory_list", "GET /inventory".to_owned()),
            ("inventory_getItem", "GET /inventory/items/{id}".to_owned()),
            ("orders_list", "GET /api/orders".to_owned()),
            ("orders_getItem", "GET /api/orders/items/{id}".to_owned()),
        ]
    );
    for t in set.tools() {
        let original = composed.catalog().defs().find(|d| d.name == t.name()).unwrap();
        assert_eq!(original.input_schema, t.def.input_schema, "{}", t.name());
    }
    // ... and served as a gateway over the composed app, the loaded-back tools answer the same.
    let back = toolgate::Mcp::new(doc, composed.app()).build().expect("gateway over merged");
    let back_base = serve(back.router()).await;
    let mut c2 = Client::modern(&format!("{back_base}/mcp"));
    let r = c2.call_ok("orders_getItem", json!({"id": 9})).await;
    assert_eq!(r["structuredContent"], json!({"app": "orders", "id": 9}), "{r}");
}

#[tokio::test]
async fn hand_written_and_generated_tools_share_authentication() {
    let seen: Seen = Seen::default();
    let (inventory, inventory_doc) = inventory_app(seen.clone());
    let keys = StaticKeys::new().with(Secret::new("reader-token-0123456789"), Some("reader"), &["stock:read"]).with(
        Secret::new("admin-token-01234567890"),
        Some("admin"),
        &["stock:read", "stock:admin"],
    );
    let composed = Compose::new()
        .nest("/inventory", inventory, inventory_doc)
        .tool(
            CustomTool::new("restock", "Orders more stock.", |req| async move {
                let who = req
                    .caller
                    .http
                    .as_ref()
                    .and_then(|p| p.extensions.get::<Arc<toolgate::auth::Principal>>())
                    .and_then(|p| p.subject.clone());
                json_out(json!({"restocked_by": who}))
            })
            .scopes(["stock:admin"]),
        )
        .auth(AuthConfig { verifiers: vec![Verifier::Keys(Arc::new(keys))], ..Default::default() })
        .build()
        .await
        .expect("compose");
    let base = serve(composed.router()).await;
    let url = format!("{base}/mcp");

    let mut anonymous = Client::modern(&url);
    let (msgs, _) = anonymous.post_raw("tools/list", json!({}), None).await;
    assert_eq!(msgs[0].message["http_status"], json!(401), "{:?}", msgs[0].message);

    let mut reader = Client::modern(&url);
    reader.headers.push(("authorization".into(), "Bearer reader-token-0123456789".into()));
    let names: Vec<String> = reader.list().await.iter().map(|t| t["name"].as_str().unwrap().to_owned()).collect();
    assert_eq!(names, ["inventory_get_inventory"], "the hand-written tool needs stock:admin");
    let r = reader.call_ok("inventory_get_inventory", json!({"sku": "X"})).await;
    assert_eq!(r["structuredContent"]["sku"], json!("X"), "{r}");

    let mut admin = Client::modern(&url);
    admin.headers.push(("authorization".into(), "Bearer admin-token-01234567890".into()));
    let names: Vec<String> = admin.list().await.iter().map(|t| t["name"].as_str().unwrap().to_owned()).collect();
    assert_eq!(names, ["inventory_get_inventory", "restock"]);
    let r = admin.call_ok("restock", json!({})).await;
    assert_eq!(r["structuredContent"], json!({"restocked_by": "admin"}), "{}", text(&r));
}

#[tokio::test]
async fn an_http_upstream_beside_a_nested_app() {
    let (shop, shop_doc) = toolgate_shop::app();
    let shop_base = serve(shop).await;
    let (inventory, inventory_doc) = inventory_app(Seen::default());
    let doc = serde_json::to_value(&shop_doc).unwrap();
    let composed = Compose::new()
        .nest("/inventory", inventory, inventory_doc)
        .part(Part::http(&shop_base, toolgate::Source::Value(doc)).namespace("shop").tools(["get_product"]))
        .build()
        .await
        .expect("compose");
    let names: Vec<&str> = composed.catalog().defs().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["inventory_get_inventory", "shop_get_product"]);
    let paths: Vec<&String> = composed.openapi().unwrap()["paths"].as_object().unwrap().keys().collect();
    assert_eq!(paths, ["/inventory/inventory/{sku}"], "only in-process parts are in the composed app's document");
    let base = serve(composed.router()).await;
    let mut c = Client::modern(&format!("{base}/mcp"));
    let r = c.call_ok("shop_get_product", json!({"product_id": 5})).await;
    assert_eq!(r["structuredContent"]["id"], json!(5), "{r}");
    let r = c.call_ok("inventory_get_inventory", json!({"sku": "Q"})).await;
    assert_eq!(r["structuredContent"]["sku"], json!("Q"), "{r}");
}

#[tokio::test]
async fn hand_written_and_generated_tools_share_the_rate_limit() {
    let (inventory, inventory_doc) = inventory_app(Seen::default());
    let composed = Compose::new()
        .nest("/inventory", inventory, inventory_doc)
        .tool(CustomTool::new("ping", "Answers pong.", |_req| async { ToolOutput::text("pong") }))
        .rate_limit(toolgate::limit::RateLimit::new("2/minute".parse().unwrap()))
        .build()
        .await
        .expect("compose");
    let base = serve(composed.router()).await;
    let mut c = Client::modern(&format!("{base}/mcp"));
    assert_eq!(c.call_ok("ping", json!({})).await["isError"], json!(false));
    assert_eq!(c.call_ok("inventory_get_inventory", json!({"sku": "A"})).await["isError"], json!(false));
    for tool in ["ping", "inventory_get_inventory"] {
        let args = if tool == "ping" { json!({}) } else { json!({"sku": "A"}) };
        let r = c.call_ok(tool, args).await;
        assert_eq!(r["isError"], json!(true), "{r}");
        assert!(text(&r).contains("Rate limit exceeded"), "{r}");
    }
}

#[tokio::test]
async fn a_name_used_twice_is_an_error_that_names_both_operations() {
    let (shop, shop_doc) = toolgate_shop::app();
    let (shop2, shop_doc2) = toolgate_shop::app();
    let err = Compose::new()
        .part(Part::nested("/a", shop, shop_doc).namespace("shop"))
        .part(Part::nested("/b", shop2, shop_doc2).namespace("shop"))
        .build()
        .await
        .expect_err("a clash");
    let msg = err.to_string();
    assert!(msg.contains("tool name `shop_get_inventory` is used by both"), "{msg}");
    assert!(
        msg.contains("GET /inventory/{sku} (get_inventory) (at http://localhost/a)")
            && msg.contains("GET /inventory/{sku} (get_inventory) (at http://localhost/b)"),
        "{msg}"
    );
}

#[tokio::test]
async fn the_namespace_counts_in_the_name_length_limit() {
    let (inventory, inventory_doc) = inventory_app(Seen::default());
    let opts = ToolsetOptions { max_name_len: 20, ..ToolsetOptions::default() };
    let composed = Compose::new()
        .part(Part::nested("/inventory", inventory, inventory_doc).tool_options(opts))
        .build()
        .await
        .expect("compose");
    let name = composed.catalog().defs().next().unwrap().name.clone();
    assert_eq!(name.len(), 20, "{name}");
    assert!(name.starts_with("inventory_"), "{name}");
}

#[tokio::test]
async fn bad_compositions_are_start_up_errors() {
    let app = || inventory_app(Seen::default());
    let (a, da) = app();
    let (b, db) = app();
    let e = Compose::new().nest("/x", a, da).nest("/x/", b, db).build().await.expect_err("same prefix");
    assert!(e.to_string().contains("already mounted at `/x`"), "{e}");

    let (a, da) = app();
    let e = Compose::new()
        .part(Part::nested("/x", a, da).tools(["no_such_op"]))
        .build()
        .await
        .expect_err("unmatched filter");
    assert!(e.to_string().contains("part #1 (/x)") && e.to_string().contains("no_such_op"), "{e}");

    let (a, da) = app();
    let e = Compose::new().part(Part::nested("/x", a, da).tags(["none"])).build().await.expect_err("no tools");
    assert!(e.to_string().contains("part #1 (/x)"), "{e}");

    let (a, da) = app();
    let e = Compose::new().nest("/{id}", a, da).build().await.expect_err("template prefix");
    assert!(e.to_string().contains("template"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// The independent validator (the one crates/openapi/tests/merge.rs uses).

fn validator_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi/tests/validate_openapi.py")
}

/// The venv's Python with the pinned openapi-spec-validator (shared with the openapi crate's
/// tests, under target/py-openapi-validator).
fn validator_python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| {
        let requirements = validator_script().with_file_name("validate_openapi.requirements.txt");
        let wanted = std::fs::read_to_string(&requirements).unwrap();
        let target = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().expect("target dir");
        let venv = target.join("py-openapi-validator");
        let python = venv.join("bin").join("python");
        if !python.exists() {
            let system = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
            let out = Command::new(&system).args(["-m", "venv"]).arg(&venv).output().unwrap();
            assert!(out.status.success(), "venv: {}", String::from_utf8_lossy(&out.stderr));
        }
        let stamp = venv.join("toolgate-requirements.txt");
        if std::fs::read_to_string(&stamp).ok().as_deref() != Some(wanted.as_str()) {
            let out = Command::new(&python)
                .args(["-m", "pip", "install", "--disable-pip-version-check", "--quiet", "-r"])
                .arg(&requirements)
                .output()
                .unwrap();
            assert!(out.status.success(), "pip: {}", String::from_utf8_lossy(&out.stderr));
            std::fs::write(&stamp, &wanted).unwrap();
        }
        python
    })
}

fn assert_valid(name: &str, doc: &Value) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("composed-openapi");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{name}.json"));
    std::fs::write(&file, serde_json::to_string_pretty(doc).unwrap()).unwrap();
    let out = Command::new(validator_python()).arg(validator_script()).arg(&file).output().unwrap();
    let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "openapi-spec-validator rejects the merged document:\n{report}");
    assert!(report.contains(": valid OpenAPI"), "{report}");
}
