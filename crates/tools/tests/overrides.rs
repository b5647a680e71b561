//! Names, descriptions, annotations, timeouts and scopes: derived from the operation, set by
//! `x-mcp-*` extensions, and overridden from code.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::{api, build, doc31, load, tool, toolset};
use indexmap::IndexMap;
use serde_json::json;
use toolgate_tools::{Annotations, BuildError, Override, Toolset, ToolsetOptions};

fn hints(a: &Annotations) -> (Option<bool>, Option<bool>, Option<bool>) {
    (a.read_only, a.destructive, a.idempotent)
}

#[test]
fn annotations_follow_the_method() {
    let set = toolset("edge-cases.yaml");
    let cases = [
        ("edge_get_method", (true, false, true)),
        ("edge_head_method", (true, false, true)),
        ("edge_options_method", (true, false, true)),
        ("edge_trace_method", (true, false, true)),
        ("create_item", (false, false, false)),          // POST
        ("edge_body_octet_stream", (false, true, true)), // PUT
        ("edge_delete_with_body", (false, true, true)),  // DELETE
    ];
    for (name, (r, d, i)) in cases {
        assert_eq!(hints(&tool(&set, name).def.annotations), (Some(r), Some(d), Some(i)), "{name}");
    }
    let s32 = toolset("openapi-3.2.yaml");
    assert_eq!(hints(&tool(&s32, "searchFiles").def.annotations), (Some(true), Some(false), Some(true)), "QUERY");
    assert_eq!(hints(&tool(&s32, "copyFile").def.annotations), (Some(false), Some(false), Some(false)), "COPY");
    // PATCH is neither idempotent nor read-only.
    let set =
        common::tools_of(json!({"/a": {"patch": {"operationId": "p", "responses": {"200": {"description": "ok"}}}}}));
    assert_eq!(hints(&tool(&set, "p").def.annotations), (Some(false), Some(false), Some(false)));
}

#[test]
fn x_mcp_extensions_set_name_description_annotations_timeout_and_scopes() {
    let set = toolset("edge-cases.yaml");
    let renamed = tool(&set, "list_widgets");
    assert_eq!(renamed.source.operation_id.as_deref(), Some("edge_x_mcp_name"));
    assert_eq!(renamed.def.description, "List every widget in the catalogue.");
    assert!(set.get("edge_x_mcp_name").is_none(), "the operationId is not a second name");

    let a = &tool(&set, "edge_x_mcp_annotations").def.annotations;
    assert_eq!(a.read_only, Some(true), "x-mcp-annotations overrides the POST default");
    assert_eq!(a.open_world, Some(false));

    assert_eq!(tool(&set, "edge_x_mcp_timeout").timeout, Some(Duration::from_millis(2500)));
    assert_eq!(tool(&set, "edge_x_mcp_scopes").scopes, ["orders:write"]);
    // Without x-mcp-scopes the OAuth scopes of the operation's requirement are used.
    assert_eq!(tool(&set, "edge_security_oauth2_cc").scopes, ["orders:write"]);
    assert!(tool(&set, "edge_public_operation").security.is_empty());
    assert!(!tool(&set, "edge_global_security").security.is_empty(), "document-level security applies");
}

#[test]
fn malformed_x_mcp_values_are_ignored_with_a_warning() {
    let set = common::tools_of(json!({"/a": {"get": {
        "operationId": "a",
        "x-mcp-annotations": "read-only",
        "x-mcp-timeout": -1,
        "responses": {"200": {"description": "ok"}}
    }}}));
    let t = tool(&set, "a");
    assert_eq!(t.timeout, None);
    assert_eq!(t.def.annotations.read_only, Some(true));
    assert_eq!(t.warnings.len(), 2, "{:?}", t.warnings);
}

#[test]
fn overrides_from_code_win_and_match_by_id_name_or_route() {
    let api = load("fastapi/openapi.json");
    let mut overrides = IndexMap::new();
    overrides.insert(
        "read_item_items__item_id__get".to_owned(),
        Override {
            name: Some("get_item".into()),
            title: Some("Get an item".into()),
            description: Some("Fetch one item by id.".into()),
            annotations: Some(Annotations { open_world: Some(false), ..Default::default() }),
            timeout: Some(Duration::from_secs(3)),
            scopes: Some(vec!["items:read".into()]),
        },
    );
    overrides
        .insert("list_users".to_owned(), Override { description: Some("by tool name".into()), ..Default::default() });
    overrides.insert(
        "DELETE /items/{item_id}".to_owned(),
        Override { name: Some("remove_item".into()), ..Default::default() },
    );
    let opts = ToolsetOptions { overrides, default_timeout: Some(Duration::from_secs(30)), ..Default::default() };
    let set = build(&api, &opts);
    let t = tool(&set, "get_item");
    assert!(set.get("read_item").is_none());
    assert_eq!(t.def.title.as_deref(), Some("Get an item"));
    assert_eq!(t.def.annotations.title.as_deref(), Some("Get an item"));
    assert_eq!(t.def.description, "Fetch one item by id.");
    assert_eq!(hints(&t.def.annotations), (Some(true), Some(false), Some(true)), "kept from the method");
    assert_eq!(t.def.annotations.open_world, Some(false));
    assert_eq!(t.timeout, Some(Duration::from_secs(3)));
    assert_eq!(t.scopes, ["items:read"]);
    assert_eq!(tool(&set, "list_users").def.description, "by tool name");
    assert!(set.get("remove_item").is_some());
    assert_eq!(tool(&set, "list_items").timeout, Some(Duration::from_secs(30)), "the default timeout");
}

#[test]
fn an_override_for_nothing_is_an_error() {
    let api = load("fastapi/openapi.json");
    let mut overrides = IndexMap::new();
    overrides.insert("read_itme".to_owned(), Override { name: Some("x".into()), ..Default::default() });
    let err = Toolset::build(&api, &ToolsetOptions { overrides, ..Default::default() }).unwrap_err();
    match &err {
        BuildError::Unmatched { flag, value, .. } => {
            assert_eq!((flag.as_str(), value.as_str()), ("override", "read_itme"))
        }
        other => panic!("{other}"),
    }
}

#[test]
fn descriptions_combine_summary_and_description_within_the_budget() {
    let set = toolset("edge-cases.yaml");
    assert_eq!(tool(&set, "edge_summary_only").def.description, "Only a summary, no description");
    let both = &tool(&set, "edge_summary_and_description").def.description;
    assert!(both.starts_with("Short summary that differs from the description\n\n§5.1 item 10."), "{both}");
    assert_eq!(tool(&set, "edge_no_summary_no_description").def.description, "GET /descriptions/nothing");
    assert!(tool(&set, "edge_description_only").def.title.is_none());

    let long = &tool(&set, "edge_long_description").def.description;
    assert_eq!(long.chars().count(), 2000, "the default budget");
    assert!(long.ends_with('…'));
    let set = build(&load("edge-cases.yaml"), &ToolsetOptions { description_budget: 100, ..Default::default() });
    for t in set.tools() {
        assert!(t.def.description.chars().count() <= 100, "{}", t.name());
    }
    // Non-ASCII survives untouched (and cutting never splits a character: `String` guarantees it).
    let t = tool(&toolset("edge-cases.yaml"), "edge_non_ascii").def.title.clone();
    assert_eq!(t.as_deref(), Some("ペットを検索する 🐾"));
}

#[test]
fn an_empty_summary_is_no_title() {
    let set = toolset("edge-cases.yaml");
    let t = tool(&set, "edge_empty_summary");
    assert!(!t.def.description.is_empty());
    assert_eq!(t.def.title, None, "an empty summary must not become the title");
    assert_eq!(t.def.annotations.title, None);
}

#[test]
fn path_level_summary_and_description_are_used_when_the_operation_has_none() {
    let set = build(
        &api(doc31(json!({"/a": {
            "summary": "Path summary",
            "description": "Path description",
            "get": {"operationId": "a", "responses": {"200": {"description": "ok"}}}
        }}))),
        &ToolsetOptions::default(),
    );
    let t = tool(&set, "a");
    assert_eq!(t.def.title.as_deref(), Some("Path summary"));
    assert_eq!(t.def.description, "Path summary\n\nPath description");
}
