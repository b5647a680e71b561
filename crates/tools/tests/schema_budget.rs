//! `max_schema_bytes`: a tool whose schemas would be huge (Microsoft Graph's entity schemas
//! reach 1,700 definitions and 2 MB) keeps the definitions nearest to the root and gets stubs
//! for the rest; a schema within the budget is untouched.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{api, build, tool};
use serde_json::{Map, Value, json};
use toolgate_tools::{Toolset, ToolsetOptions};

/// `Root` → `A0..A5` → `B0..B5` → `C0..C5` → `Root` (a cycle), each definition padded with a
/// ~1 KB description so that the whole closure is ~19 KB.
fn graph_like() -> Value {
    let pad = |what: &str| format!("{what}. {}", "Lorem ipsum dolor sit amet. ".repeat(36));
    let mut schemas = Map::new();
    let mut root_props = Map::new();
    root_props.insert("id".into(), json!({"type": "string"}));
    for i in 0..6 {
        root_props.insert(format!("a{i}"), json!({"$ref": format!("#/components/schemas/A{i}")}));
        schemas.insert(
            format!("A{i}"),
            json!({"type": "object", "description": pad(&format!("A{i}")), "properties": {"b": {"$ref": format!("#/components/schemas/B{i}")}}}),
        );
        schemas.insert(
            format!("B{i}"),
            json!({"type": "object", "description": pad(&format!("B{i}")), "properties": {"c": {"$ref": format!("#/components/schemas/C{i}")}}}),
        );
        schemas.insert(
            format!("C{i}"),
            json!({"type": ["object"], "description": pad(&format!("C{i}")), "properties": {"back": {"$ref": "#/components/schemas/Root"}, "n": {"type": "integer"}}}),
        );
    }
    schemas.insert("Root".into(), json!({"type": "object", "required": ["id"], "properties": root_props}));
    json!({
        "openapi": "3.1.0",
        "info": {"title": "graph-like", "version": "1"},
        "paths": {"/things/{thing_id}": {"patch": {
            "operationId": "update_thing",
            "parameters": [{"name": "thing_id", "in": "path", "required": true, "schema": {"type": "string"}}],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Root"}}}},
            "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Root"}}}}}
        }}},
        "components": {"schemas": schemas}
    })
}

fn with_budget(budget: usize) -> Toolset {
    build(&api(graph_like()), &ToolsetOptions { max_schema_bytes: budget, ..ToolsetOptions::default() })
}

fn len(m: &Map<String, Value>) -> usize {
    serde_json::to_string(m).unwrap().len()
}

fn defs(m: &Map<String, Value>) -> Vec<String> {
    m.get("$defs").and_then(Value::as_object).map(|d| d.keys().cloned().collect()).unwrap_or_default()
}

/// Every `$ref` of a schema, anywhere.
fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("$ref") {
                out.push(r.clone());
            }
            m.values().for_each(|c| refs(c, out));
        }
        Value::Array(a) => a.iter().for_each(|c| refs(c, out)),
        _ => {}
    }
}

#[test]
fn a_schema_within_the_budget_is_untouched() {
    let big = with_budget(usize::MAX);
    let default = build(&api(graph_like()), &ToolsetOptions::default());
    let (b, d) = (tool(&big, "update_thing"), tool(&default, "update_thing"));
    assert_eq!(b.def.input_schema, d.def.input_schema, "the default budget (32 KiB) holds this ~19 KB schema whole");
    assert_eq!(b.def.output_schema, d.def.output_schema);
    assert_eq!(defs(&b.def.input_schema).len(), 19, "Root and every A, B and C");
    assert!(d.warnings.iter().all(|w| !w.contains("max_schema_bytes")), "{:?}", d.warnings);
}

#[test]
fn an_oversized_schema_keeps_the_nearest_definitions_and_stubs_the_rest() {
    let budget = 8 * 1024;
    let set = with_budget(budget);
    let t = tool(&set, "update_thing");
    let whole = with_budget(usize::MAX);
    let whole_len = len(&tool(&whole, "update_thing").def.input_schema);
    let input = &t.def.input_schema;
    assert!(whole_len > 2 * budget, "the fixture must overflow the budget: {whole_len} bytes");

    // Within the budget (stubs add a line each), and much smaller than the whole.
    let kept = defs(input);
    assert!(len(input) <= budget + 2048, "{} bytes for a budget of {budget}", len(input));
    assert!(!kept.is_empty(), "the nearest definitions fit and are kept");
    // Nearest first: a B is kept only when every A is, a C only when every B is.
    let count = |p: &str| kept.iter().filter(|k| k.starts_with(p)).count();
    assert!(count("B") == 0 || count("A") == 6, "kept {kept:?}");
    assert!(count("C") == 0 || count("B") == 6, "kept {kept:?}");
    assert!(count("C") < 6, "something was left out: {kept:?}");

    // Self-contained: every reference left points into the schema's own $defs.
    let mut all = Vec::new();
    refs(&Value::Object((**input).clone()), &mut all);
    for r in &all {
        let name = r.strip_prefix("#/$defs/").unwrap_or_else(|| panic!("foreign $ref {r}"));
        assert!(kept.iter().any(|k| k == name), "{r} dangles; kept {kept:?}");
    }
    // A stub keeps the definition's type and says what was left out.
    let text = serde_json::to_string(&**input).unwrap();
    assert!(text.contains("its schema is left out to keep this tool's schema small"), "{text}");

    // Still a valid, compilable JSON Schema that takes a real call, deep values included.
    let schema = Value::Object((**input).clone());
    jsonschema::draft202012::meta::validate(&schema).unwrap();
    let args = json!({"thing_id": "t1", "id": "x", "a0": {"b": {"c": {"n": 1, "back": {"id": "y"}}}}});
    let req = t.prepare(args.as_object()).unwrap();
    assert_eq!(req.path_and_query, "/things/t1");
    assert_eq!(serde_json::from_slice::<Value>(&req.body).unwrap()["a0"]["b"]["c"]["n"], 1);
    // What is kept still validates: a wrong type at the top is refused.
    let err = t.prepare(json!({"thing_id": "t1", "id": 5}).as_object()).unwrap_err().to_string();
    assert!(err.contains("argument `id`"), "{err}");

    // The output schema obeys the same budget, and the tool says what was trimmed.
    let out = t.def.output_schema.as_ref().unwrap();
    assert!(len(out) <= budget + 2048, "{} bytes", len(out));
    jsonschema::draft202012::meta::validate(&Value::Object((**out).clone())).unwrap();
    for which in ["input", "output"] {
        assert!(
            t.warnings.iter().any(|w| w.starts_with(which) && w.contains("left out") && w.contains("max_schema_bytes")),
            "no {which} warning in {:?}",
            t.warnings
        );
    }
}

#[test]
fn the_budget_is_deterministic() {
    let a = with_budget(6000);
    let b = with_budget(6000);
    let (a, b) = (tool(&a, "update_thing"), tool(&b, "update_thing"));
    assert_eq!(len(&a.def.input_schema), len(&b.def.input_schema));
    assert_eq!(a.def.input_schema, b.def.input_schema);
}
