//! Each example is built, started and exercised like a user would: over MCP and over REST.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use toolgate_interop::mcp::{Client, text};
use toolgate_interop::{Proc, free_port};

fn start(bin: &str, envs: &[(&str, &str)]) -> (Proc, String) {
    let port = free_port();
    let mut cmd = Command::new(bin);
    cmd.arg("--listen").arg(format!("127.0.0.1:{port}"));
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let p = Proc::server(cmd, bin.rsplit('/').next().unwrap_or(bin), port);
    (p, format!("http://127.0.0.1:{port}"))
}

async fn names(c: &mut Client) -> Vec<String> {
    c.list().await.iter().filter_map(|t| t["name"].as_str().map(str::to_owned)).collect()
}

#[tokio::test]
async fn p1_only_registered_routes_become_tools() {
    let (_p, base) = start(env!("CARGO_BIN_EXE_p1_explicit_registration"), &[]);
    let mut c = Client::modern(&format!("{base}/mcp"));
    assert_eq!(names(&mut c).await, vec!["get_product", "search"]);
    let r = c.call_ok("get_product", json!({"product_id": 42})).await;
    assert_eq!(r["structuredContent"]["name"], json!("Product 42"));
    // the other routes are still plain REST
    let inv: Value = reqwest::get(format!("{base}/inventory/WIDGET-1")).await.unwrap().json().await.unwrap();
    assert_eq!(inv["sku"], json!("WIDGET-1"));
    // and a mistyped registration is a start-up error that says what was meant
    let (shop, openapi) = toolgate_shop::app();
    let err =
        toolgate::Mcp::new(&openapi, shop).tools(["get_prodcut"]).build().expect_err("a mistyped name is an error");
    assert!(err.to_string().contains("did you mean `get_product`"), "{err}");
}

const API: &str = "api-token-0123456789";
const OTHER: &str = "mcp-only-token-0123456789";

#[tokio::test]
async fn p2_a_missing_or_wrong_token_is_refused_at_each_layer() {
    let mcp_tokens = format!("{API},{OTHER}");
    let (_p, base) =
        start(env!("CARGO_BIN_EXE_p2_auth_both_layers"), &[("API_TOKEN", API), ("MCP_TOKENS", &mcp_tokens)]);
    let url = format!("{base}/mcp");
    // MCP layer: no token → 401 with the resource metadata, before anything else happens
    let (msgs, _) = Client::modern(&url).post_raw("tools/list", json!({}), None).await;
    assert_eq!(msgs[0].message["http_status"], json!(401), "{:?}", msgs[0].message);
    // HTTP layer: the REST API checks its own token
    let rest = reqwest::Client::new();
    assert_eq!(rest.get(format!("{base}/products/1")).send().await.unwrap().status(), 401);
    assert_eq!(rest.get(format!("{base}/products/1")).bearer_auth(OTHER).send().await.unwrap().status(), 401);
    assert_eq!(rest.get(format!("{base}/products/1")).bearer_auth(API).send().await.unwrap().status(), 200);
    // both layers pass: the tool works
    let mut ok = Client::modern(&url);
    ok.headers.push(("authorization".into(), format!("Bearer {API}")));
    let r = ok.call_ok("get_product", json!({"product_id": 7})).await;
    assert_eq!(r["isError"], json!(false), "{r}");
    // a token the MCP layer accepts but the API does not: refused by the API's own layer
    let mut other = Client::modern(&url);
    other.headers.push(("authorization".into(), format!("Bearer {OTHER}")));
    let r = other.call_ok("get_product", json!({"product_id": 7})).await;
    assert_eq!(r["isError"], json!(true));
    assert!(text(&r).starts_with("HTTP 401"), "{}", text(&r));
}

#[tokio::test]
async fn p3_progress_arrives_while_the_report_runs() {
    let (_p, base) = start(env!("CARGO_BIN_EXE_p3_streaming"), &[]);
    let mut c = Client::modern(&format!("{base}/mcp"));
    let t0 = Instant::now();
    let (msgs, last) = c.call("stream_report", json!({"report_id": 9}), Some("report-9")).await;
    let progress: Vec<&toolgate_interop::mcp::Received> =
        msgs.iter().filter(|m| m.message["method"] == "notifications/progress").collect();
    assert_eq!(progress.len(), 5, "one notification per event");
    let first = progress[0].at.duration_since(t0);
    let done = msgs.last().unwrap().at.duration_since(t0);
    assert!(first < Duration::from_millis(800) && done > Duration::from_millis(1500), "first {first:?}, done {done:?}");
    let result = &last["result"];
    assert_eq!(result["structuredContent"]["events"][4]["status"], json!("complete"));
    assert!(text(result).contains("/reports/9.pdf"));
}

#[tokio::test]
async fn p4_two_apps_one_server_prefixed_names_one_document() {
    let (_p, base) = start(env!("CARGO_BIN_EXE_p4_composition"), &[]);
    let mut c = Client::modern(&format!("{base}/mcp"));
    let mut n = names(&mut c).await;
    n.sort();
    assert_eq!(n, vec!["inventory_get_inventory", "orders_create_order"]);
    let r = c.call_ok("inventory_get_inventory", json!({"sku": "ABC-1"})).await;
    assert_eq!(r["structuredContent"], json!({"sku": "ABC-1", "quantity": 150, "warehouse": "US-WEST"}));
    let r = c.call_ok("orders_create_order", json!({"sku": "ABC-1", "quantity": 2})).await;
    assert_eq!(r["structuredContent"]["status"], json!("confirmed"));
    let doc: Value = reqwest::get(format!("{base}/openapi.json")).await.unwrap().json().await.unwrap();
    let paths: Vec<&String> = doc["paths"].as_object().unwrap().keys().collect();
    assert!(
        paths.contains(&&"/inventory/{sku}".to_owned()) && paths.iter().any(|p| p.starts_with("/orders")),
        "{paths:?}"
    );
}

#[tokio::test]
async fn p5_descriptions_come_from_the_code_and_the_override() {
    let (_p, base) = start(env!("CARGO_BIN_EXE_p5_descriptions"), &[]);
    let mut c = Client::modern(&format!("{base}/mcp"));
    let tools = c.list().await;
    let t = &tools[0];
    assert!(t["description"].as_str().unwrap().starts_with("Retrieve product details by ID. Use this when"));
    let props = &t["inputSchema"]["properties"];
    assert_eq!(props["product_id"]["description"], json!("The unique product ID from your catalog (1-99999)"));
    assert_eq!(props["product_id"]["minimum"], json!(1));
    assert_eq!(props["product_id"]["maximum"], json!(99999));
    assert!(props["include_reviews"]["description"].as_str().unwrap().contains("adds ~200ms latency"));
    let out = &t["outputSchema"]["properties"];
    for f in ["id", "name", "price", "in_stock"] {
        assert!(out.get(f).is_some(), "output schema has {f}: {out}");
    }
    // the bounds are enforced before the app is called
    let r = c.call_ok("get_product", json!({"product_id": 100000})).await;
    assert_eq!(r["isError"], json!(true));
    assert!(text(&r).contains("argument `product_id`"), "{}", text(&r));
}
