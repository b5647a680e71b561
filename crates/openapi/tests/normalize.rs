//! The normalized model of the fixture documents: servers, path-level parameters, every local
//! `$ref` kind, Swagger 2.0 conversion, 3.1/3.2 specifics, and what is ignored.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use serde_json::json;
use toolgate_openapi::{Api, LoadOptions, Method, Operation, ParameterLocation, SpecVersion, Style, load_file};

fn load(name: &str) -> Api {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/openapi").join(name);
    load_file(&path, &LoadOptions::default()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn op<'a>(api: &'a Api, id: &str) -> &'a Operation {
    api.operations.iter().find(|o| o.operation_id.as_deref() == Some(id)).unwrap_or_else(|| panic!("no {id}"))
}

#[test]
fn versions_and_servers() {
    let sw = load("petstore-swagger2.json");
    assert_eq!(sw.spec_version, SpecVersion::Swagger2);
    let urls: Vec<&str> = sw.servers.iter().map(|s| s.url.as_str()).collect();
    assert_eq!(urls, ["https://petstore.swagger.io/v2", "http://petstore.swagger.io/v2"]);
    let edge = load("edge-cases.yaml");
    assert_eq!(edge.spec_version, SpecVersion::OpenApi30);
    assert_eq!(edge.servers[0].url, "https://eu.api.example.com/v1", "variables take their defaults");
    assert_eq!(edge.servers[1].url, "/relative/v1");
    assert_eq!(load("petstore-3.1.json").spec_version, SpecVersion::OpenApi31);
    assert_eq!(load("openapi-3.2.yaml").spec_version, SpecVersion::OpenApi32);
    // Operation- and path-level servers override the document's.
    assert!(!op(&edge, "edge_operation_servers").servers.is_empty());
    assert!(!op(&edge, "edge_path_item_servers").servers.is_empty());
    assert_ne!(
        op(&edge, "edge_operation_servers_over_path_servers").servers,
        op(&edge, "edge_path_item_servers").servers
    );
}

#[test]
fn path_level_parameters_merge_and_operation_ones_win() {
    let api = load("edge-cases.yaml");
    let get = op(&api, "edge_path_level_params");
    let names: Vec<(&str, ParameterLocation)> = get.parameters.iter().map(|p| (p.name.as_str(), p.location)).collect();
    assert_eq!(names.len(), 4, "{names:?}");
    let verbose = get.parameters.iter().find(|p| p.name == "verbose").unwrap();
    assert_eq!(verbose.schema["type"], "integer", "the operation's definition wins");
    let del = op(&api, "edge_path_level_params_inherited");
    let verbose = del.parameters.iter().find(|p| p.name == "verbose").unwrap();
    assert_eq!(verbose.schema["type"], "boolean");
    assert!(del.parameters.iter().any(|p| p.name == "X-Trace-Id" && p.location == ParameterLocation::Header));
}

#[test]
fn every_local_ref_kind_is_followed() {
    let api = load("edge-cases.yaml");
    let o = op(&api, "edge_ref_all_kinds");
    assert!(o.parameters.iter().any(|p| p.name == "limit"), "components/parameters");
    let body = o.request_body.as_ref().expect("components/requestBodies");
    assert!(body.required);
    assert_eq!(body.content[0].schema, Some(json!({"$ref": "#/$defs/TreeNode"})));
    let ok = o.responses.iter().find(|r| r.status == "200").unwrap();
    assert_eq!(ok.headers[0].name, "X-Rate-Limit", "components/headers");
    assert!(o.responses.iter().any(|r| r.status == "404" && r.description.is_some()), "components/responses");
    // Path items by $ref (3.1) and a $ref to a $ref.
    let api31 = load("edge-cases-3.1.yaml");
    let get = op(&api31, "edge31_path_item_ref_get");
    assert_eq!(get.path, "/pets/{petId}");
    assert_eq!(get.parameters[0].name, "petId");
    let t = op(&api, "edge_ref_transitive");
    assert_eq!(t.parameters.iter().find(|p| p.name == "limit").unwrap().schema["maximum"], json!(100));
    // Recursive definitions stay references.
    let tree = api.schemas.get("TreeNode").unwrap();
    assert_eq!(tree.schema["properties"]["children"]["items"], json!({"$ref": "#/$defs/TreeNode"}));
    assert_eq!(tree.pointer, "/components/schemas/TreeNode");
}

#[test]
fn swagger_2_bodies_forms_and_collection_formats() {
    let api = load("petstore-swagger2.json");
    let add = op(&api, "addPet");
    let body = add.request_body.as_ref().unwrap();
    assert!(body.required);
    assert_eq!(body.content[0].media_type, "application/json");
    let form = op(&api, "updatePetWithForm").request_body.as_ref().unwrap();
    assert_eq!(form.content[0].media_type, "application/x-www-form-urlencoded");
    let upload = op(&api, "uploadFile").request_body.as_ref().unwrap();
    assert_eq!(upload.content[0].media_type, "multipart/form-data");
    let file = &upload.content[0].schema.as_ref().unwrap()["properties"]["file"];
    assert_eq!((file["type"].as_str(), file["format"].as_str()), (Some("string"), Some("binary")));
    let status = &op(&api, "findPetsByStatus").parameters[0];
    assert_eq!((status.style, status.explode), (Style::Form, true), "collectionFormat multi");
    let ok = op(&api, "getPetById").responses.iter().find(|r| r.status == "200").unwrap();
    let media: Vec<&str> = ok.content.iter().map(|m| m.media_type.as_str()).collect();
    assert_eq!(media, ["application/json", "application/xml"], "produces");
}

#[test]
fn nullable_exclusive_bounds_examples_and_items_are_2020_12() {
    let api = load("edge-cases.yaml");
    let things = &api.schemas.get("NullableThings").unwrap().schema["properties"];
    assert_eq!(things["nullable_enum_without_null"]["enum"], json!(["asc", "desc", null]));
    assert_eq!(things["optional_list"]["items"], json!({"$ref": "#/$defs/Tag"}));
    let kw = &api.schemas.get("Keywords").unwrap().schema["properties"];
    assert_eq!(kw["percent"]["exclusiveMinimum"], json!(0));
    assert_eq!(kw["with_example"]["examples"], json!(["example-value"]));
    assert!(kw["with_example"].get("example").is_none());
}

#[test]
fn methods_3_2_and_what_is_ignored() {
    let api = load("openapi-3.2.yaml");
    let methods: Vec<&Method> = api.operations.iter().map(|o| &o.method).collect();
    assert!(methods.contains(&&Method::Query));
    assert!(methods.contains(&&Method::Other("COPY".into())));
    assert!(op(&api, "listFiles").parameters.is_empty(), "in: querystring is left out");
    assert!(api.diagnostics.iter().any(|d| d.message.contains("querystring")));
    // Webhooks and callbacks are not operations.
    let p31 = load("petstore-3.1.json");
    assert!(p31.operations.iter().all(|o| o.path.starts_with('/')));
    let edge = load("edge-cases.yaml");
    assert_eq!(edge.operations.iter().filter(|o| o.path == "/ops/subscribe").count(), 1);
    // HEAD, OPTIONS and TRACE are operations.
    for id in ["edge_head_method", "edge_options_method", "edge_trace_method"] {
        op(&edge, id);
    }
    // Security: `security: []` is public, no key inherits the document's.
    assert_eq!(op(&edge, "edge_public_operation").security, Some(vec![]));
    assert_eq!(op(&edge, "edge_global_security").security, None);
}

#[test]
fn yaml_integer_status_keys_and_yaml_1_2_strings() {
    let api = load("petstore-3.0.yaml");
    assert!(api.operations.iter().flat_map(|o| &o.responses).any(|r| r.status == "200"));
    let edge = load("edge-cases.yaml");
    let kw = &edge.schemas.get("Keywords").unwrap().schema["properties"];
    assert_eq!(kw["country"]["enum"], json!(["NO", "SE", "DK"]));
}
