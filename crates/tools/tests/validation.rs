//! Argument validation messages: each names the argument and says what was expected, in words
//! an agent can act on.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{obj, tool, toolset};
use serde_json::{Value, json};
use toolgate_tools::{ArgumentError, Tool};

fn refuse(t: &Tool, args: Value) -> ArgumentError {
    match t.prepare(Some(&obj(args.clone()))) {
        Ok(r) => panic!("{} accepted {args}: {r:?}", t.name()),
        Err(e) => e,
    }
}

#[test]
fn wrong_type() {
    let set = toolset("fastapi/openapi.json");
    let e = refuse(tool(&set, "read_item"), json!({"item_id": "seven", "x-request-id": "r"}));
    assert_eq!(e.problems.len(), 1, "{e}");
    assert_eq!(e.problems[0].argument, "item_id");
    let msg = e.to_string();
    assert!(msg.starts_with("argument `item_id`"), "{msg}");
    assert!(msg.contains("\"seven\"") && msg.contains("integer"), "{msg}");
    assert!(!msg.contains("` :"), "stray separator: {msg}");
    assert_eq!(msg, "argument `item_id` \"seven\" is not of type \"integer\" (expected integer)");
}

#[test]
fn missing_required() {
    let set = toolset("fastapi/openapi.json");
    let e = refuse(tool(&set, "read_item"), json!({"item_id": 1}));
    assert_eq!(e.problems[0].argument, "x-request-id");
    assert_eq!(e.to_string(), "argument `x-request-id` is required (string)");
    // Several problems are all reported.
    let e = refuse(tool(&set, "login"), json!({}));
    let args: Vec<&str> = e.problems.iter().map(|p| p.argument.as_str()).collect();
    assert_eq!(args, ["username", "password"], "{e}");
    // A described parameter says what it is.
    let p = toolset("petstore-3.0.yaml");
    let e = refuse(tool(&p, "getPetById"), json!({}));
    assert_eq!(e.to_string(), "argument `petId` is required (integer: ID of pet to return)");
}

#[test]
fn unknown_argument_with_did_you_mean() {
    let set = toolset("petstore-3.0.yaml");
    let e = refuse(tool(&set, "getPetById"), json!({"petid": 1}));
    let unknown = e.problems.iter().find(|p| p.argument == "petid").unwrap_or_else(|| panic!("{e}"));
    assert!(unknown.message.contains("is not an argument of this tool"), "{e}");
    assert!(unknown.message.contains("did you mean `petId`?"), "{e}");
    assert!(unknown.message.contains("the arguments are: petId"), "{e}");
    // No suggestion when nothing is close; a tool without arguments says so.
    let e = refuse(tool(&set, "getInventory"), json!({"x": 1}));
    assert_eq!(e.to_string(), "argument `x` is not an argument of this tool (this tool takes no arguments)");
}

#[test]
fn enum_mismatch() {
    let set = toolset("fastapi/openapi.json");
    let e = refuse(tool(&set, "list_items"), json!({"color": "purple"}));
    assert_eq!(e.problems[0].argument, "color", "{e}");
    let msg = e.to_string();
    assert!(msg.contains("purple"), "{msg}");
    let set = toolset("edge-cases.yaml");
    let e = refuse(
        tool(&set, "edge_header_cookie_params"),
        json!({"X-Request-ID": "r", "session_id": "s", "theme": "blue"}),
    );
    assert_eq!(e.problems[0].argument, "theme");
    let msg = e.to_string();
    assert!(msg.contains("\"light\"") && msg.contains("\"dark\""), "the allowed values are listed: {msg}");
}

#[test]
fn nested_errors_carry_their_path() {
    let set = toolset("fastapi/openapi.json");
    let e = refuse(
        tool(&set, "create_item"),
        json!({"name": "n", "price": 1, "tags": [{"name": "ok"}, {"name": ""}], "dimensions": {"width": -1, "height": 1}}),
    );
    let msgs: Vec<String> = e.problems.iter().map(ToString::to_string).collect();
    assert!(e.problems.iter().all(|p| p.argument == "tags" || p.argument == "dimensions"), "{e}");
    let joined = msgs.join("\n");
    assert!(joined.contains("argument `tags` at `/1/name`: \"\" is shorter than 1 character"), "{joined}");
    assert!(
        joined.contains("argument `dimensions` at `/width`: -1 is less than or equal to the minimum of 0"),
        "{joined}"
    );
    assert!(joined.contains("`tags`") && joined.contains("/1/name"), "{joined}");
    assert!(joined.contains("`dimensions`") && joined.contains("/width"), "{joined}");
}

#[test]
fn bounds_patterns_and_formats_are_checked() {
    let set = toolset("fastapi/openapi.json");
    let e = refuse(tool(&set, "list_items"), json!({"limit": 1000}));
    assert_eq!(e.problems[0].argument, "limit");
    assert!(e.to_string().contains("1000") && e.to_string().contains("100"), "{e}");
    let edge = toolset("edge-cases.yaml");
    let e = refuse(tool(&edge, "create_item"), json!({"sku": "bad"}));
    assert_eq!(e.problems[0].argument, "sku");
}

#[test]
fn null_for_an_optional_argument_means_not_given() {
    let set = toolset("fastapi/openapi.json");
    let t = tool(&set, "list_items");
    let r = t.prepare(Some(&obj(json!({"limit": null, "color": null})))).unwrap();
    assert_eq!(r.path_and_query, "/items/");
    // But not for a required one.
    let e = refuse(tool(&set, "read_item"), json!({"item_id": null, "x-request-id": "r"}));
    assert_eq!(e.problems[0].argument, "item_id");
    // And no arguments at all is the same as `{}`.
    assert!(tool(&set, "health").prepare(None).is_ok());
    assert_eq!(tool(&set, "read_item").prepare(None).unwrap_err().problems.len(), 2);
}

#[test]
fn every_fixture_tool_has_a_compiled_validator() {
    for f in common::FIXTURES {
        for t in toolset(f).tools() {
            assert_eq!(t.schema_error(), None, "{f} {}", t.name());
        }
    }
}
