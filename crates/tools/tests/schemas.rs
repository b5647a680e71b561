//! §5.1 items 2–6 and 8 as seen in the tools: `$ref`s and recursion, composition,
//! nullability, parameter collisions, bodies, `readOnly`/`writeOnly`, schema keywords, and
//! object-rooted output schemas.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{obj, tool, toolset};
use serde_json::{Value, json};
use toolgate_tools::{BodyPlan, Tool};

fn input(t: &Tool) -> Value {
    Value::Object((*t.def.input_schema).clone())
}

fn output(t: &Tool) -> Value {
    Value::Object((**t.def.output_schema.as_ref().unwrap_or_else(|| panic!("{}: no output schema", t.name()))).clone())
}

fn required(t: &Tool) -> Vec<String> {
    t.def
        .input_schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

fn prop<'a>(t: &'a Tool, name: &str) -> &'a Value {
    t.def.input_schema["properties"].get(name).unwrap_or_else(|| panic!("{}: no argument `{name}`", t.name()))
}

fn accepts(t: &Tool, args: Value) -> bool {
    t.validate(&obj(args)).is_ok()
}

#[test]
fn recursive_schemas_stay_as_defs_and_refs() {
    let set = toolset("edge-cases.yaml");
    let t = tool(&set, "edge_recursive_model");
    let s = input(t);
    assert_eq!(s["properties"]["children"]["items"], json!({"$ref": "#/$defs/TreeNode"}));
    assert_eq!(s["$defs"]["TreeNode"]["properties"]["children"]["items"], json!({"$ref": "#/$defs/TreeNode"}));
    // Deep trees validate (the validator follows the recursion).
    let deep = json!({"value": "a", "children": [{"value": "b", "children": [{"value": "c", "children": []}]}]});
    assert!(accepts(t, deep));
    assert!(!accepts(t, json!({"value": "a", "children": [{"children": []}]})), "nested `value` is required");

    let t = tool(&set, "edge_mutual_recursion");
    let out = output(t);
    assert_eq!(out["$defs"]["Person"]["properties"]["employer"]["$ref"], "#/$defs/Company");
    assert_eq!(out["$defs"]["Company"]["properties"]["employees"]["items"]["$ref"], "#/$defs/Person");

    let fast = toolset("fastapi/openapi.json");
    let s = input(tool(&fast, "create_category"));
    assert_eq!(s["$defs"]["Category-Input"]["properties"]["children"]["items"]["$ref"], "#/$defs/Category-Input");
}

#[test]
fn transitive_refs_and_aliases_are_bundled() {
    let set = toolset("edge-cases.yaml");
    let out = output(tool(&set, "edge_ref_transitive"));
    let defs = out["$defs"].as_object().unwrap();
    for name in ["LineItem", "ProductAlias", "Product", "Money", "Currency", "Person", "Company"] {
        assert!(defs.contains_key(name), "missing {name}");
    }
    assert!(!defs.contains_key("Order"), "the root is Order inlined; it needs no copy under $defs");
    assert_eq!(defs["ProductAlias"], json!({"$ref": "#/$defs/Product"}));
    // Only what is used: an input without refs carries no $defs.
    assert!(tool(&set, "edge_path_array").def.input_schema.get("$defs").is_none());
    // Parameters given by $ref (and by a $ref to a $ref).
    let t = tool(&set, "edge_ref_transitive");
    assert_eq!(prop(t, "limit")["maximum"], json!(100));
}

#[test]
fn read_only_properties_leave_inputs_and_write_only_leave_outputs() {
    let set = toolset("edge-cases.yaml");
    let t = tool(&set, "edge_read_write_only");
    let props = t.def.input_schema["properties"].as_object().unwrap();
    assert!(!props.contains_key("id") && !props.contains_key("created_at"), "{props:?}");
    assert!(props.contains_key("password"));
    assert_eq!(required(t), ["email", "password"], "readOnly `id` is dropped from `required` too");
    let out = output(t);
    let out_props = out["properties"].as_object().unwrap();
    assert!(out_props.contains_key("id") && out_props.contains_key("created_at"));
    assert!(!out_props.contains_key("password"), "writeOnly left in the output: {out_props:?}");
    // Through $refs too: Order.id is readOnly.
    let t = tool(&set, "edge_x_mcp_scopes");
    assert!(t.def.input_schema["properties"].get("id").is_none());
    let p31 = toolset("petstore-3.1.json");
    let out = output(tool(&p31, "createUser"));
    assert!(out["properties"].get("password").is_none());
    assert!(tool(&p31, "createUser").def.input_schema["properties"].get("id").is_none());
}

#[test]
fn nullable_becomes_type_arrays_and_null_joins_enums() {
    let set = toolset("edge-cases.yaml");
    let t = tool(&set, "edge_nullable");
    assert_eq!(prop(t, "nullable_string")["type"], json!(["string", "null"]));
    assert_eq!(prop(t, "nullable_int")["type"], json!(["integer", "null"]));
    assert_eq!(prop(t, "nullable_enum_without_null")["enum"], json!(["asc", "desc", null]));
    assert_eq!(prop(t, "nullable_enum_with_null")["enum"], json!(["asc", "desc", null]), "null not doubled");
    assert_eq!(prop(t, "optional_list")["type"], json!(["array", "null"]));
    assert_eq!(prop(t, "optional_list")["items"], json!({"$ref": "#/$defs/Tag"}), "items kept");
    assert_eq!(prop(t, "nullable_ref")["anyOf"][1], json!({"type": "null"}));
    assert_eq!(prop(t, "optional_not_nullable")["type"], json!("string"));
    assert_eq!(prop(t, "filter")["type"], json!(["string", "null"]));
    assert_eq!(required(t), ["required_nullable"], "optional nullable things stay optional");
    assert!(accepts(t, json!({"required_nullable": null, "nullable_enum_without_null": null})));
    assert!(!accepts(t, json!({"required_nullable": null, "optional_not_nullable": null})));
    // `$ref` + nullable sibling (3.0): anyOf with null.
    let t = tool(&set, "edge_ref_siblings");
    assert_eq!(prop(t, "tag"), &json!({"anyOf": [{"$ref": "#/$defs/Tag"}, {"type": "null"}]}));
}

#[test]
fn arrays_always_have_items() {
    let doc = common::doc31(json!({"/a": {"post": {
        "operationId": "a",
        "parameters": [{"name": "ids", "in": "query", "schema": {"type": "array"}}],
        "requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {
            "list": {"type": "array"}, "maybe": {"type": ["array", "null"]}
        }}}}},
        "responses": {"200": {"description": "ok"}}
    }}}));
    let set = common::build(&common::api(doc), &Default::default());
    let t = tool(&set, "a");
    for arg in ["ids", "list", "maybe"] {
        assert_eq!(prop(t, arg)["items"], json!({}), "{arg}");
    }
    // FastAPI's Optional[List[X]] keeps its items inside the anyOf.
    let fast = toolset("fastapi/openapi.json");
    assert_eq!(prop(tool(&fast, "create_item"), "tags")["anyOf"][0]["items"], json!({"$ref": "#/$defs/Tag"}));
}

#[test]
fn swagger_and_3_0_keywords_become_2020_12() {
    let set = toolset("edge-cases.yaml");
    let t = tool(&set, "edge_schema_keywords");
    assert_eq!(prop(t, "percent")["exclusiveMinimum"], json!(0));
    assert_eq!(prop(t, "percent")["exclusiveMaximum"], json!(100));
    assert!(prop(t, "percent").get("minimum").is_none());
    assert_eq!(prop(t, "with_example")["examples"], json!(["example-value"]));
    assert!(prop(t, "with_example").get("example").is_none());
    assert_eq!(prop(t, "duplicate_enum")["enum"], json!(["red", "green", "blue"]));
    assert_eq!(prop(t, "country")["enum"], json!(["NO", "SE", "DK"]), "YAML 1.2: NO is a string");
    assert_eq!(prop(t, "big_int")["examples"], json!([9_007_199_254_740_993_u64]), "int64 beyond 2^53 kept exactly");
    assert_eq!(prop(t, "money_by_currency")["additionalProperties"], json!({"$ref": "#/$defs/Money"}));
    assert_eq!(prop(t, "empty_props"), &json!({"type": "object", "properties": {}}));
    assert_eq!(prop(t, "with_extension")["x-display-name"], json!("With extension"));
    for (k, v) in [("code", "pattern"), ("tags", "uniqueItems"), ("labels", "minProperties"), ("when", "format")] {
        assert!(prop(t, k).get(v).is_some(), "{k}.{v} lost");
    }
    assert!(accepts(t, json!({"percent": 50, "step": 1.5, "code": "AB-123"})));
    assert!(!accepts(t, json!({"percent": 0})), "exclusive bound");
    assert!(!accepts(t, json!({"code": "ab-123"})), "pattern");
    assert!(!accepts(t, json!({"closed": {"b": 1}})), "additionalProperties false");
    // Swagger 2.0: `type: file` is a binary string and collectionFormat multi explodes.
    let sw = toolset("petstore-swagger2.json");
    let t = tool(&sw, "findPetsByStatus");
    assert!(t.plan.params[0].explode);
}

#[test]
fn all_of_bodies_are_merged_into_flat_arguments() {
    let set = toolset("edge-cases.yaml");
    let t = tool(&set, "edge_allof_body_root");
    let mut names: Vec<&str> =
        t.def.input_schema["properties"].as_object().unwrap().keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(names, ["color", "created_at", "description", "name", "updated_at"]);
    let mut req = required(t);
    req.sort();
    assert_eq!(req, ["color", "created_at", "name"]);
    assert!(matches!(t.plan.body, BodyPlan::JsonFields(_)));
}

#[test]
fn non_object_bodies_go_under_body() {
    let set = toolset("edge-cases.yaml");
    for (name, check) in [
        ("edge_body_array", json!({"$ref": "#/$defs/TagList"})),
        ("edge_body_primitive", json!("string")),
        ("edge_oneof_discriminator", json!(null)),
    ] {
        let t = tool(&set, name);
        assert_eq!(t.plan.body, BodyPlan::JsonWhole { arg: "body".into() }, "{name}");
        assert_eq!(required(t), ["body"]);
        match check {
            Value::String(ty) => assert_eq!(prop(t, "body")["type"], json!(ty)),
            Value::Object(_) => assert_eq!(prop(t, "body")["$ref"], check["$ref"]),
            _ => assert!(prop(t, "body").get("oneOf").is_some()),
        }
    }
    // A body field literally called `body` next to other fields stays a field.
    let t = tool(&set, "edge_param_body_collision");
    assert!(matches!(&t.plan.body, BodyPlan::JsonFields(f) if f.iter().any(|f| f.arg == "body")));
}

#[test]
fn discriminator_mappings_point_into_defs() {
    let set = toolset("edge-cases.yaml");
    let t = tool(&set, "edge_oneof_discriminator");
    let body = prop(t, "body");
    assert_eq!(
        body["discriminator"]["mapping"],
        json!({"cat": "#/$defs/Cat", "dog": "#/$defs/Dog", "lizard": "#/$defs/Lizard"})
    );
    assert!(t.def.input_schema["$defs"].get("Lizard").is_some());
}

#[test]
fn overlapping_unions_accept_valid_arguments() {
    // Cat, Dog and Lizard do not forbid each other's fields, so a cat also matches Dog and
    // Lizard: read strictly as `oneOf`, every valid call would be refused.
    let set = toolset("edge-cases.yaml");
    let t = tool(&set, "edge_oneof_discriminator");
    let cat = json!({"body": {"petType": "cat", "name": "Tom", "indoor": true}});
    assert!(t.validate(&obj(cat.clone())).is_ok(), "{:?}", t.validate(&obj(cat)));
    let dog = obj(json!({"body": {"petType": "dog", "name": "Rex", "breed": "collie"}}));
    assert!(t.prepare(Some(&dog)).is_ok());
    let t = tool(&set, "edge_anyof_overlapping");
    assert!(accepts(t, json!({"id": 5})), "5 is an integer and a number");
    assert!(accepts(t, json!({"id": 5.5, "value": ["a"], "contact": {"name": "x"}})));
    assert!(!accepts(t, json!({"id": "5"})), "still checked");
    let c = toolset("edge-cases-3.1.yaml");
    let t = tool(&c, "edge31_const");
    assert!(accepts(t, json!({"shape": {"kind": "circle", "radius": 1}})));
    assert!(!accepts(t, json!({"shape": {"kind": "circle", "side": 1}})));
}

#[test]
fn parameters_that_share_a_name_get_location_suffixes() {
    let set = toolset("edge-cases.yaml");
    let t = tool(&set, "edge_param_body_collision");
    let mut names: Vec<&str> =
        t.def.input_schema["properties"].as_object().unwrap().keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(names, ["body", "id", "id__cookie", "id__header", "id__path", "id__query", "name", "name__query"]);
    for p in &t.plan.params {
        assert_eq!(p.arg, format!("{}__{}", p.name, p.location.as_str()), "recorded in the plan");
    }
    let mut req = required(t);
    req.sort();
    assert_eq!(req, ["id", "id__path"]);
    let fast = toolset("fastapi/openapi.json");
    let t = tool(&fast, "update_item");
    assert_eq!(t.plan.params[0].arg, "item_id__path");
    assert_eq!(t.plan.params[0].name, "item_id");
}

#[test]
fn header_and_cookie_parameters_are_arguments() {
    let set = toolset("edge-cases.yaml");
    let t = tool(&set, "edge_header_cookie_params");
    let names: Vec<&str> = t.plan.params.iter().map(|p| p.arg.as_str()).collect();
    assert_eq!(names, ["X-Request-ID", "X-Optional-Flag", "session_id", "theme"]);
    assert_eq!(required(t), ["X-Request-ID", "session_id"]);
    // Accept and Authorization header parameters are left to the client, per the spec.
    assert!(t.def.input_schema["properties"].get("Accept").is_none());
    assert!(t.def.input_schema["properties"].get("Authorization").is_none());
}

#[test]
fn request_body_required_flag_is_respected() {
    let set = toolset("edge-cases.yaml");
    for name in ["edge_body_optional", "edge_body_required_omitted"] {
        assert!(required(tool(&set, name)).is_empty(), "{name}");
    }
    assert_eq!(required(tool(&set, "edge_body_multi_content")), ["text"]);
}

#[test]
fn output_schemas_are_objects_and_non_objects_are_wrapped() {
    let set = toolset("edge-cases.yaml");
    // A root $ref to an object is inlined: still `type: object`.
    let t = tool(&set, "edge_ref_output_root");
    assert!(!t.wrap_output);
    let out = output(t);
    assert_eq!(out["type"], "object");
    assert!(out["properties"].get("items").is_some());
    for name in ["edge_response_json_array", "edge_response_json_scalar", "edge_oneof_discriminator"] {
        let t = tool(&set, name);
        assert!(t.wrap_output, "{name}");
        let out = output(t);
        assert_eq!(out["type"], "object");
        assert!(out["properties"].get("result").is_some(), "{name}");
    }
    for name in ["edge_response_204", "edge_response_text_plain", "edge_response_image", "edge_response_pdf"] {
        assert!(tool(&set, name).def.output_schema.is_none(), "{name}");
    }
    // 2XX wildcards and parameterized JSON media types count.
    assert!(tool(&set, "edge_response_2xx_wildcard").def.output_schema.is_some());
    assert!(tool(&set, "edge_response_any_media").def.output_schema.is_some());
}

/// Properties named like keywords (`examples`, `default`, `enum`, `const`, `mapping`) are
/// schemas like any other: the definitions they reference are bundled, so every `$ref` resolves.
/// (Google's Data Labeling API lists `examples`; its output schema had a dangling `$ref`.)
#[test]
fn properties_named_like_keywords_keep_their_definitions() {
    let doc = json!({
        "openapi": "3.0.3", "info": {"title": "t", "version": "1"},
        "paths": {"/things": {"post": {
            "operationId": "make_thing",
            "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
            "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}}}}}},
        "components": {"schemas": {
            "Thing": {"type": "object", "properties": {
                "examples": {"type": "array", "items": {"$ref": "#/components/schemas/Example"}},
                "default": {"$ref": "#/components/schemas/Setting"},
                "enum": {"$ref": "#/components/schemas/Setting"},
                "const": {"$ref": "#/components/schemas/Setting"},
                "mapping": {"$ref": "#/components/schemas/Setting"}}},
            "Example": {"type": "object", "properties": {"text": {"type": "string"}}},
            "Setting": {"type": "object", "properties": {"on": {"type": "boolean"}}}
        }}
    });
    let set = common::build(&common::api(doc), &toolgate_tools::ToolsetOptions::default());
    let t = tool(&set, "make_thing");
    for (which, schema) in [("input", input(t)), ("output", output(t))] {
        let defs = schema["$defs"].as_object().unwrap_or_else(|| panic!("{which}: no $defs in {schema}"));
        assert!(defs.contains_key("Example") && defs.contains_key("Setting"), "{which}: {schema}");
        jsonschema::draft202012::new(&schema).unwrap_or_else(|e| panic!("{which} does not compile: {e}"));
    }
    let req = t.prepare(json!({"examples": [{"text": "a"}], "default": {"on": true}}).as_object()).unwrap();
    assert_eq!(serde_json::from_slice::<Value>(&req.body).unwrap()["examples"][0]["text"], "a");
    let err = t.prepare(json!({"examples": [{"text": 5}]}).as_object()).unwrap_err().to_string();
    assert!(err.contains("argument `examples`"), "{err}");
}
