//! §5.1 item 1: tool names.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{api, build, doc31, tool, toolset};
use serde_json::{Value, json};
use toolgate_tools::naming;
use toolgate_tools::{BuildError, Toolset, ToolsetOptions};

fn ok200() -> Value {
    json!({"200": {"description": "ok"}})
}

fn get(id: Option<&str>) -> Value {
    let mut op = json!({"responses": ok200()});
    if let Some(id) = id {
        op["operationId"] = json!(id);
    }
    json!({"get": op})
}

fn valid(name: &str, max: usize) -> bool {
    !name.is_empty()
        && name.len() <= max
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

#[test]
fn every_fixture_name_is_valid_unique_and_within_64() {
    for f in common::FIXTURES {
        let set = toolset(f);
        let mut seen = std::collections::HashSet::new();
        for t in set.tools() {
            assert!(valid(t.name(), 64), "{f}: invalid name {:?}", t.name());
            assert!(seen.insert(t.name().to_owned()), "{f}: duplicate {}", t.name());
            assert!(std::ptr::eq(set.get(t.name()).map_or(std::ptr::null(), |x| &**x), &**t));
        }
    }
}

#[test]
fn long_ids_are_cut_with_a_deterministic_hash() {
    let long = "edge_name_this_operation_id_is_deliberately_far_longer_than_the_sixty_four_character_tool_name_limit";
    let other = "edge_name_this_operation_id_is_deliberately_far_longer_than_the_sixty_four_character_tool_name_limiT";
    let set = toolset_of(json!({"/a": get(Some(long)), "/b": get(Some(other))}), &ToolsetOptions::default());
    let names: Vec<&str> = set.tools().iter().map(|t| t.name()).collect();
    assert_eq!(names.len(), 2);
    for n in &names {
        assert!(n.len() <= 64 && n.len() >= 60, "{n}");
        assert!(valid(n, 64));
        assert!(n.starts_with("edge_name_this_operation_id_is_deliberately_far_longer_"), "{n}");
        // `_` and eight hex digits at the end
        let (_, hash) = n.rsplit_once('_').unwrap_or_default();
        assert_eq!(hash.len(), 8);
        assert!(hash.chars().all(|c| c.is_ascii_hexdigit()), "{n}");
    }
    assert_ne!(names[0], names[1], "names that differ only after the cut must stay different");
    // The same input gives the same name, run after run (and release after release: FNV-1a).
    assert_eq!(names[0], naming::fit(long, 64));
    assert_eq!(names[0], "edge_name_this_operation_id_is_deliberately_far_longer_1ac3a631");
    let again = toolset_of(json!({"/a": get(Some(long)), "/b": get(Some(other))}), &ToolsetOptions::default());
    assert_eq!(again.tools()[0].name(), names[0]);
}

#[test]
fn the_limit_is_configurable_up_to_128() {
    let id = "x".repeat(150);
    for max in [16, 40, 64, 100, 128] {
        let opts = ToolsetOptions { max_name_len: max, ..Default::default() };
        let set = toolset_of(json!({"/a": get(Some(&id))}), &opts);
        assert_eq!(set.tools()[0].name().len(), max);
    }
    for bad in [0, 15, 129, 500] {
        let opts = ToolsetOptions { max_name_len: bad, ..Default::default() };
        let err = Toolset::build(&api(doc31(json!({"/a": get(Some("a"))}))), &opts).unwrap_err();
        assert!(matches!(err, BuildError::Option(_)), "{bad}: {err}");
    }
}

#[test]
fn the_namespace_counts_inside_the_limit() {
    let id = "a".repeat(60);
    let opts = ToolsetOptions { namespace: Some("inventory".into()), ..Default::default() };
    let set = toolset_of(json!({"/a": get(Some(&id)), "/b": get(Some("short"))}), &opts);
    let long = set.tools()[0].name();
    assert_eq!(long.len(), 64, "{long}");
    assert!(long.starts_with("inventory_aaaa"), "{long}");
    assert_eq!(set.tools()[1].name(), "inventory_short");
    assert!(set.get("short").is_none(), "only the namespaced name is callable");
    // A namespace that is not a valid name prefix is refused, not silently changed.
    let bad = ToolsetOptions { namespace: Some("my tools".into()), ..Default::default() };
    let err = Toolset::build(&api(doc31(json!({"/a": get(Some("a"))}))), &bad).unwrap_err();
    assert!(err.to_string().contains("my_tools"), "{err}");
}

#[test]
fn characters_outside_the_allowed_set_are_replaced() {
    let set = toolset("edge-cases.yaml");
    let t = set.tools().iter().find(|t| t.source.path == "/names/weird-chars").map(|t| t.name());
    assert_eq!(t, Some("List_Users_by_team_v2_n_code"));
    // Names start with a letter.
    assert!(set.get("op_2fa-verify").is_some());
}

#[test]
fn names_without_operation_id_come_from_method_and_path() {
    let set = toolset_of(
        json!({"/pets/{petId}/photos": {"post": {"responses": ok200()}}, "/": {"get": {"responses": ok200()}}}),
        &ToolsetOptions::default(),
    );
    let names: Vec<&str> = set.tools().iter().map(|t| t.name()).collect();
    assert_eq!(names, ["post_pets_petId_photos", "get_root"]);
}

#[test]
fn fastapi_generated_ids_are_stripped() {
    let set = toolset("fastapi/openapi.json");
    for (name, id) in [
        ("list_items", "list_items_items__get"),
        ("read_item", "read_item_items__item_id__get"),
        ("update_item", "update_item_items__item_id__put"),
        ("list_users", "list_users_v1_admin_users_get"),
        ("uploadItemImage", "uploadItemImage"),
    ] {
        let t = tool(&set, name);
        assert_eq!(t.source.operation_id.as_deref(), Some(id));
    }
    // Hand-written ids are left alone; a trailing-slash path works too.
    let edge = toolset("edge-cases.yaml");
    assert_eq!(tool(&edge, "create_item").source.path, "/items/");
}

#[test]
fn names_that_collide_after_cleaning_get_a_numeric_suffix() {
    let set = toolset("edge-cases.yaml");
    let a = tool(&set, "edge_name_collision");
    let b = tool(&set, "edge_name_collision_2");
    assert_eq!(a.source.path, "/names/collision-a");
    assert_eq!(b.source.path, "/names/collision-b");
    // A stripped FastAPI id colliding with a plain id.
    assert_eq!(tool(&set, "read_item").source.path, "/items/{item_id}");
    assert_eq!(tool(&set, "read_item_2").source.path, "/legacy/read-item");
}

#[test]
fn a_suffixed_name_still_fits_the_limit() {
    let id = "b".repeat(64);
    let set = toolset_of(json!({"/a": get(Some(&id)), "/b": get(Some(&id))}), &ToolsetOptions::default());
    let names: Vec<&str> = set.tools().iter().map(|t| t.name()).collect();
    assert_eq!(names.len(), 2);
    assert_ne!(names[0], names[1]);
    assert!(names.iter().all(|n| valid(n, 64)), "{names:?}");
}

#[test]
fn explicit_names_that_clash_are_an_error() {
    let paths = json!({
        "/a": {"get": {"operationId": "a", "x-mcp-name": "same", "responses": ok200()}},
        "/b": {"get": {"operationId": "b", "x-mcp-name": "same", "responses": ok200()}},
    });
    let err = Toolset::build(&api(doc31(paths)), &ToolsetOptions::default()).unwrap_err();
    match &err {
        BuildError::NameClash { name, first, second } => {
            assert_eq!(name, "same");
            assert!(first.contains("/a") && second.contains("/b"), "{err}");
        }
        other => panic!("expected a clash, got {other}"),
    }
}

fn toolset_of(paths: Value, opts: &ToolsetOptions) -> Toolset {
    build(&api(doc31(paths)), opts)
}
