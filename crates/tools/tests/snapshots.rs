//! Snapshot tests: the complete tool list generated from each fixture document (name, title,
//! description, input and output schemas, annotations, request plan), plus the operations that
//! were skipped and why, and the loader's diagnostics.
//!
//! Review a changed snapshot by reading it: it is the contract clients see.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{load, toolset_json};
use toolgate_tools::{Toolset, ToolsetOptions};

fn snapshot(fixture: &str) -> serde_json::Value {
    let api = load(fixture);
    let set = match Toolset::build(&api, &ToolsetOptions::default()) {
        Ok(s) => s,
        Err(e) => panic!("{fixture}: {e}"),
    };
    toolset_json(&api, &set)
}

#[test]
fn petstore_swagger2() {
    insta::assert_json_snapshot!("petstore-swagger2", snapshot("petstore-swagger2.json"));
}

#[test]
fn petstore_3_0() {
    insta::assert_json_snapshot!("petstore-3.0", snapshot("petstore-3.0.yaml"));
}

#[test]
fn petstore_3_1() {
    insta::assert_json_snapshot!("petstore-3.1", snapshot("petstore-3.1.json"));
}

#[test]
fn fastapi() {
    insta::assert_json_snapshot!("fastapi", snapshot("fastapi/openapi.json"));
}

#[test]
fn edge_cases() {
    insta::assert_json_snapshot!("edge-cases", snapshot("edge-cases.yaml"));
}

#[test]
fn edge_cases_3_1() {
    insta::assert_json_snapshot!("edge-cases-3.1", snapshot("edge-cases-3.1.yaml"));
}

#[test]
fn openapi_3_2() {
    insta::assert_json_snapshot!("openapi-3.2", snapshot("openapi-3.2.yaml"));
}
