//! Which operations become tools: include/exclude filters, `x-mcp: false`, deprecation, and
//! that whatever is left out cannot be called by name.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{api, build, doc31, load};
use serde_json::json;
use toolgate_tools::{BuildError, Excluded, Selection, SkipReason, Toolset, ToolsetOptions};

fn with(selection: Selection) -> ToolsetOptions {
    ToolsetOptions { selection, ..Default::default() }
}

fn names(set: &Toolset) -> Vec<String> {
    set.tools().iter().map(|t| t.name().to_owned()).collect()
}

fn petstore() -> toolgate_openapi::Api {
    load("petstore-3.0.yaml")
}

#[test]
fn include_by_operation_id_tag_method_and_path() {
    let api = petstore();
    let s = build(&api, &with(Selection { include_operations: vec!["getPetById".into()], ..Default::default() }));
    assert_eq!(names(&s), ["getPetById"]);

    let s = build(&api, &with(Selection { include_tags: vec!["store".into()], ..Default::default() }));
    assert_eq!(names(&s), ["getInventory", "placeOrder", "getOrderById", "deleteOrder"]);

    let s = build(&api, &with(Selection { include_methods: vec!["delete".into()], ..Default::default() }));
    assert_eq!(names(&s), ["deletePet", "deleteOrder", "deleteUser"]);

    let s = build(&api, &with(Selection { include_paths: vec!["/user/*".into()], ..Default::default() }));
    assert_eq!(
        names(&s),
        [
            "createUsersWithListInput",
            "createUsersWithArrayInput",
            "loginUser",
            "logoutUser",
            "getUserByName",
            "updateUser",
            "deleteUser"
        ]
    );
    let s = build(&api, &with(Selection { include_paths: vec!["/pet/**".into()], ..Default::default() }));
    assert!(names(&s).contains(&"uploadFile".to_owned()), "{:?}", names(&s));
}

#[test]
fn include_kinds_combine_with_and_values_with_or() {
    let api = petstore();
    let sel = Selection {
        include_tags: vec!["pet".into(), "store".into()],
        include_methods: vec!["GET".into()],
        ..Default::default()
    };
    let s = build(&api, &with(sel));
    assert_eq!(names(&s), ["findPetsByStatus", "getPetById", "getInventory", "getOrderById"]);
    // Every operation left out is reported with the filter that left it out.
    let skipped = s.skipped().iter().find(|x| x.source.operation_id.as_deref() == Some("addPet")).unwrap();
    assert_eq!(skipped.reason, SkipReason::Excluded(Excluded::Filter("not matched by --include-method".into())));
}

#[test]
fn exclude_by_operation_id_tag_method_and_path() {
    let api = petstore();
    let all = build(&api, &ToolsetOptions::default());
    let cases: Vec<(Selection, &str)> = vec![
        (Selection { exclude_operations: vec!["deletePet".into()], ..Default::default() }, "deletePet"),
        (Selection { exclude_tags: vec!["user".into()], ..Default::default() }, "createUser"),
        (Selection { exclude_methods: vec!["DELETE".into()], ..Default::default() }, "deleteOrder"),
        (Selection { exclude_paths: vec!["/store/**".into()], ..Default::default() }, "placeOrder"),
    ];
    for (sel, gone) in cases {
        let s = build(&api, &with(sel.clone()));
        assert!(all.get(gone).is_some());
        assert!(s.get(gone).is_none(), "{gone} still there with {sel:?}");
        assert!(s.len() < all.len());
        assert!(s.skipped().iter().any(|x| x.source.operation_id.as_deref() == Some(gone)));
    }
    // Excludes win over includes.
    let sel = Selection {
        include_tags: vec!["pet".into()],
        exclude_operations: vec!["deletePet".into()],
        ..Default::default()
    };
    let s = build(&api, &with(sel));
    assert!(s.get("addPet").is_some() && s.get("deletePet").is_none());
}

#[test]
fn an_include_filter_that_matches_nothing_is_an_error() {
    let api = petstore();
    for (sel, flag, value) in [
        (
            Selection { include_operations: vec!["getPetByID".into()], ..Default::default() },
            "--include-operation",
            "getPetByID",
        ),
        (Selection { include_tags: vec!["pets".into()], ..Default::default() }, "--include-tag", "pets"),
        (Selection { include_methods: vec!["PATCH".into()], ..Default::default() }, "--include-method", "PATCH"),
        (Selection { include_paths: vec!["/pets/*".into()], ..Default::default() }, "--include-path", "/pets/*"),
        // One value that matches and one that does not: still an error.
        (
            Selection { include_operations: vec!["getPetById".into(), "nope".into()], ..Default::default() },
            "--include-operation",
            "nope",
        ),
    ] {
        match Toolset::build(&api, &with(sel)) {
            Err(BuildError::Unmatched { flag: f, value: v, .. }) => {
                assert_eq!((f.as_str(), v.as_str()), (flag, value));
            }
            other => panic!("{flag} {value}: expected an error, got {other:?}"),
        }
    }
    // The message suggests the near miss.
    let err =
        Toolset::build(&api, &with(Selection { include_operations: vec!["getPetByID".into()], ..Default::default() }))
            .unwrap_err();
    assert!(err.to_string().contains("did you mean `getPetById`"), "{err}");
}

#[test]
fn x_mcp_false_excludes_and_the_tool_cannot_be_called() {
    let api = load("edge-cases.yaml");
    let set = build(&api, &ToolsetOptions::default());
    for id in ["edge_x_mcp_excluded", "edge_x_mcp_excluded_path_get", "edge_x_mcp_excluded_path_delete"] {
        assert!(set.get(id).is_none(), "{id} is callable");
        let s = set.skipped().iter().find(|s| s.source.operation_id.as_deref() == Some(id)).unwrap();
        assert_eq!(s.reason, SkipReason::Excluded(Excluded::Extension));
        // Not even when asked for by name.
        let sel = Selection { include_operations: vec![id.into()], ..Default::default() };
        match Toolset::build(&api, &with(sel)) {
            Ok(s) => assert!(s.is_empty(), "{id} became a tool: {:?}", names(&s)),
            Err(BuildError::Unmatched { .. }) => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert!(set.get("edge_x_mcp_sibling_included").is_some());
}

#[test]
fn x_mcp_false_at_the_root_excludes_everything_but_explicit_opt_ins() {
    let mut doc = doc31(json!({
        "/a": {"get": {"operationId": "a", "responses": {"200": {"description": "ok"}}}},
        "/b": {"get": {"operationId": "b", "x-mcp": true, "responses": {"200": {"description": "ok"}}}},
    }));
    doc["x-mcp"] = json!(false);
    let set = build(&api(doc), &ToolsetOptions::default());
    assert_eq!(names(&set), ["b"]);
    assert!(set.get("a").is_none());
}

#[test]
fn deprecated_operations_are_left_out_unless_asked_for() {
    let api = load("edge-cases.yaml");
    let set = build(&api, &ToolsetOptions::default());
    assert!(set.get("edge_deprecated_operation").is_none());
    assert!(set.skipped().iter().any(|s| s.reason == SkipReason::Excluded(Excluded::Deprecated)));

    let set = build(&api, &with(Selection { include_deprecated: true, ..Default::default() }));
    let t = set.get("edge_deprecated_operation").unwrap();
    assert!(t.def.description.starts_with("Deprecated. "), "{}", t.def.description);
    assert_eq!(t.def.input_schema["properties"]["old"]["deprecated"], json!(true));

    // Naming a deprecated operation includes it.
    let sel = Selection { include_operations: vec!["edge_deprecated_operation".into()], ..Default::default() };
    assert_eq!(names(&build(&api, &with(sel))), ["edge_deprecated_operation"]);
}

#[test]
fn selection_by_tool_name_works_for_stripped_fastapi_ids() {
    let api = load("fastapi/openapi.json");
    for id in ["read_item", "read_item_items__item_id__get"] {
        let sel = Selection { include_operations: vec![id.into()], ..Default::default() };
        assert_eq!(names(&build(&api, &with(sel))), ["read_item"], "{id}");
    }
}
