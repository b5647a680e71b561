//! The per-call work of a tool, without sockets: argument validation and request building
//! (`Tool::prepare` + `into_http`), and response shaping (`Tool::shape`: JSON parse, output
//! schema check, structured content), on the shop API that the end-to-end benchmark serves
//! (`bench/run.sh`). A regression here shows up in every tools/call.
//!
//! ```sh
//! cargo bench -p toolgate-tools --bench call_path
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Map, Value, json};
use toolgate_openapi::LoadOptions;
use toolgate_tools::{BaseUrl, Body, Tool, Toolset, ToolsetOptions};

/// The shop's tools, built from the OpenAPI document its axum app publishes.
fn shop_tools() -> Toolset {
    let doc = serde_json::to_value(toolgate_shop::app().1).unwrap();
    let api = toolgate_openapi::load_value(doc, &LoadOptions::default()).unwrap();
    Toolset::build(&api, &ToolsetOptions::default()).unwrap()
}

fn object(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}

/// What the shop answers (the same bytes the REST endpoints send).
fn search_body(q: &str, limit: i64) -> Vec<u8> {
    let hits: Vec<Value> = (1..=limit)
        .map(|n| {
            let score = ((1.0 - (n - 1) as f64 / (limit + 1) as f64) * 10000.0).round() / 10000.0;
            json!({"id": n, "name": format!("{q} result {n}"), "score": score})
        })
        .collect();
    serde_json::to_vec(&hits).unwrap()
}

struct Case {
    name: &'static str,
    args: Map<String, Value>,
    response: Vec<u8>,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "get_product",
            args: object(json!({"product_id": 42})),
            response: br#"{"id":42,"name":"Product 42","price":30.99,"currency":"EUR","in_stock":false,"tags":["demo","bench","cat-2"]}"#.to_vec(),
        },
        Case {
            name: "create_order",
            args: object(json!({"customer_email": "a@example.com",
                "items": [{"product_id": 3, "quantity": 2}, {"product_id": 9, "quantity": 1}]})),
            response: br#"{"order_id":1,"status":"created","total":35.97,"item_count":3}"#.to_vec(),
        },
        Case { name: "search", args: object(json!({"q": "widget", "limit": 50})), response: search_body("widget", 50) },
    ]
}

/// The whole per-call path as `toolgate` runs it around the upstream round trip.
fn call(tool: &Tool, base: &BaseUrl, args: &Map<String, Value>, response: &[u8]) -> toolgate_tools::ToolOutput {
    let req = tool.prepare(Some(args)).unwrap().into_http(base).unwrap();
    let uri = req.uri().to_string();
    tool.shape(200, Some("application/json"), Body::complete(response), &uri)
}

fn call_path(c: &mut Criterion) {
    let set = shop_tools();
    let base = BaseUrl::in_process();
    let mut g = c.benchmark_group("call_path");
    g.measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    for case in cases() {
        let tool = set.get(case.name).unwrap();
        // sanity: the shaped result is structured and not an error
        let out = call(tool, &base, &case.args, &case.response);
        assert!(!out.is_error && out.structured.is_some(), "{}: {out:?}", case.name);

        g.bench_function(format!("{}/prepare", case.name), |b| {
            b.iter(|| tool.prepare(Some(black_box(&case.args))).unwrap().into_http(&base).unwrap())
        });
        g.bench_function(format!("{}/shape", case.name), |b| {
            b.iter(|| {
                tool.shape(
                    200,
                    Some("application/json"),
                    Body::complete(black_box(&case.response)),
                    "http://localhost/",
                )
            })
        });
        g.bench_function(format!("{}/full", case.name), |b| {
            b.iter(|| call(tool, &base, black_box(&case.args), black_box(&case.response)))
        });
    }
    // an argument error: validation fails and the message for the model is built
    let tool = set.get("get_product").unwrap();
    let bad = object(json!({"product_id": "forty-two"}));
    g.bench_function("get_product/invalid_arguments", |b| {
        b.iter(|| tool.prepare(Some(black_box(&bad))).unwrap_err().to_string())
    });
    g.finish();
}

criterion_group!(benches, call_path);
criterion_main!(benches);
