//! Nothing a document or a call contains makes the loader, the builder or request building
//! panic: arbitrary JSON documents, petstore documents with random subtrees replaced by random
//! JSON, and arbitrary arguments.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::LazyLock;

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use toolgate_openapi::LoadOptions;
use toolgate_tools::{Body, Toolset, ToolsetOptions};

#[test]
fn schema_alias_cycles_do_not_crash_tools() {
    let doc = json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
        "paths": {"/a": {"post": {"operationId": "a",
            "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/SelfAlias"}}}},
            "responses": {"200": {"description": "ok",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Loop1"}}}}}}}},
        "components": {"schemas": {"Loop1": {"$ref": "#/components/schemas/Loop2"}, "Loop2": {"$ref": "#/components/schemas/Loop1"},
            "SelfAlias": {"$ref": "#/components/schemas/SelfAlias"}}}});
    let opts = LoadOptions { lenient: true, ..Default::default() };
    if let Ok(api) = toolgate_openapi::load_value(doc, &opts)
        && let Ok(set) = Toolset::build(&api, &ToolsetOptions::default())
    {
        for t in set.tools() {
            let _ = t.prepare(Some(&serde_json::Map::new()));
            let _ = t.prepare(Some(&common::obj(json!({"body": {"a": 1}}))));
            let _ = t.shape(200, Some("application/json"), Body::complete(b"{\"a\":1}"), "u");
            let _: Value = json!(t.def.input_schema.as_ref());
        }
    }
}

const KEYS: &[&str] = &[
    "$ref",
    "type",
    "items",
    "properties",
    "allOf",
    "oneOf",
    "anyOf",
    "not",
    "required",
    "nullable",
    "enum",
    "const",
    "in",
    "name",
    "schema",
    "content",
    "application/json",
    "multipart/form-data",
    "application/x-www-form-urlencoded",
    "text/plain",
    "style",
    "explode",
    "allowReserved",
    "x-mcp",
    "x-mcp-name",
    "x-mcp-annotations",
    "parameters",
    "requestBody",
    "responses",
    "200",
    "default",
    "additionalProperties",
    "discriminator",
    "mapping",
    "format",
    "readOnly",
    "writeOnly",
    "example",
    "examples",
    "exclusiveMinimum",
    "minimum",
    "pattern",
    "operationId",
    "get",
    "post",
    "/a/{id}",
    "id",
    "encoding",
    "contentType",
    "prefixItems",
    "$defs",
    "paths",
    "components",
    "schemas",
];

const STRINGS: &[&str] = &[
    "#/components/schemas/Pet",
    "#/components/schemas/Category",
    "#/definitions/Pet",
    "#/components/parameters/X",
    "#/",
    "#",
    "#/paths",
    "object",
    "array",
    "string",
    "integer",
    "null",
    "file",
    "binary",
    "query",
    "path",
    "header",
    "cookie",
    "body",
    "formData",
    "deepObject",
    "form",
    "matrix",
    "label",
    "spaceDelimited",
    "../x",
    "",
    "a/b",
    "https://example.com/x.json",
    "[",
    "(?<",
    "\u{0}",
    "日本",
    "{id}",
];

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1e6f64..1e6).prop_map(Value::from),
        prop::sample::select(STRINGS).prop_map(|s| Value::String(s.to_owned())),
        "[ -~]{0,6}".prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec(
                (prop_oneof![3 => prop::sample::select(KEYS).prop_map(str::to_owned), 1 => "[a-z]{1,4}"], inner),
                0..6
            )
            .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// Documents worth mutating, parsed once.
static DOCS: LazyLock<Vec<Value>> = LazyLock::new(|| {
    ["petstore-swagger2.json", "petstore-3.0.yaml", "petstore-3.1.json", "fastapi/openapi.json", "openapi-3.2.yaml"]
        .iter()
        .map(|f| toolgate_openapi::parse(&std::fs::read_to_string(common::fixture(f)).unwrap(), f).unwrap())
        .collect()
});

/// Replaces (or, for objects, adds a key to) the subtree that `path` leads to.
fn mutate(cur: &mut Value, path: &[usize], replacement: Value, add: Option<&str>) {
    if let Some((&sel, rest)) = path.split_first() {
        let child = match cur {
            Value::Object(m) if !m.is_empty() => {
                let k = m.keys().nth(sel % m.len()).cloned().unwrap_or_default();
                m.get_mut(&k)
            }
            Value::Array(a) if !a.is_empty() => {
                let n = a.len();
                a.get_mut(sel % n)
            }
            _ => None,
        };
        if let Some(c) = child {
            if c.is_object() || c.is_array() {
                mutate(c, rest, replacement, add);
            } else {
                *c = replacement;
            }
            return;
        }
    }
    match (cur, add) {
        (Value::Object(m), Some(k)) => {
            m.insert(k.to_owned(), replacement);
        }
        (other, _) => *other = replacement,
    }
}

/// Loads (strictly and leniently), builds, and calls every tool with `args` and with
/// arguments made from its own schema; nothing may panic.
fn exercise(doc: Value, args: &Map<String, Value>) {
    for lenient in [false, true] {
        let Ok(api) = toolgate_openapi::load_value(doc.clone(), &LoadOptions { lenient, ..Default::default() }) else {
            continue;
        };
        let Ok(set) = Toolset::build(&api, &ToolsetOptions::default()) else { continue };
        for t in set.tools() {
            let _ = t.prepare(Some(args));
            // The declared arguments, filled from `args`' values in turn.
            let mut own = Map::new();
            let values: Vec<&Value> = args.values().collect();
            if let Some(props) = t.def.input_schema.get("properties").and_then(Value::as_object) {
                for (i, k) in props.keys().enumerate() {
                    let v = values.get(i % values.len().max(1)).map(|v| (*v).clone()).unwrap_or(json!("x"));
                    own.insert(k.clone(), v);
                }
            }
            if let Ok(req) = t.prepare(Some(&own)) {
                let base = toolgate_tools::BaseUrl::parse("https://api.example.com/base").unwrap();
                if let Ok(http) = req.into_http(&base) {
                    assert_eq!(http.uri().host(), Some("api.example.com"));
                }
            }
            let body = serde_json::to_vec(&Value::Object(args.clone())).unwrap();
            let _ = t.shape(200, Some("application/json"), Body::complete(&body), "u");
            let _ = t.shape(500, Some("application/problem+json"), Body::complete(&body), "u");
        }
        if !lenient {
            break;
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]

    /// Arbitrary JSON, with and without an `openapi`/`swagger` version on top.
    #[test]
    fn arbitrary_json_documents(
        mut doc in arb_json(),
        version in prop::sample::select(vec!["", "2.0", "3.0.3", "3.1.0", "3.2.0"]),
        args in prop::collection::btree_map(prop::sample::select(KEYS).prop_map(str::to_owned), arb_json(), 0..4),
    ) {
        if let (Value::Object(m), false) = (&mut doc, version.is_empty()) {
            let key = if version == "2.0" { "swagger" } else { "openapi" };
            m.insert(key.into(), json!(version));
            m.entry("paths").or_insert_with(|| json!({"/a/{id}": {"get": {"responses": {"200": {"description": "ok"}}}}}));
        }
        exercise(doc, &args.into_iter().collect());
    }

    /// Real documents with one random subtree replaced by random JSON.
    #[test]
    fn mutated_fixture_documents(
        which in 0usize..5,
        path in prop::collection::vec(any::<usize>(), 0..9),
        replacement in arb_json(),
        add in prop::option::of(prop::sample::select(KEYS)),
        args in prop::collection::btree_map("[a-zA-Z_]{1,8}", arb_json(), 0..4),
    ) {
        let mut doc = DOCS[which].clone();
        mutate(&mut doc, &path, replacement, add);
        exercise(doc, &args.into_iter().collect());
    }
}
