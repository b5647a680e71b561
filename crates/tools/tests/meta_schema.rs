//! Every input and output schema of every fixture is a valid JSON Schema 2020-12 document, is
//! self-contained (each `$ref` points into its own `$defs`), follows the shape MCP requires
//! (an object at the root) and compiles into a validator.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{FIXTURES, toolset};
use serde_json::{Map, Value};

/// Walks every schema object of a schema. `names`: the keys of `v` are names (of properties,
/// definitions), not keywords — a property called `examples` or `enum` is a schema like any
/// other, while the values of those keywords are data and are not walked.
fn walk<'a>(v: &'a Value, path: &mut String, names: bool, f: &mut dyn FnMut(&str, &'a Map<String, Value>)) {
    match v {
        Value::Object(m) => {
            if !names {
                f(path, m);
            }
            for (k, child) in m {
                if !names
                    && (matches!(k.as_str(), "enum" | "const" | "default" | "examples" | "example")
                        || k.starts_with("x-"))
                {
                    continue;
                }
                let child_names =
                    !names && matches!(k.as_str(), "properties" | "patternProperties" | "dependentSchemas" | "$defs");
                let len = path.len();
                path.push('/');
                path.push_str(k);
                walk(child, path, child_names, f);
                path.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("/{i}"));
                walk(child, path, false, f);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

fn check(fixture: &str, tool: &str, which: &str, schema: &Map<String, Value>, problems: &mut Vec<String>) {
    let value = Value::Object(schema.clone());
    let at = format!("{fixture} {tool} {which}");
    if let Err(e) = jsonschema::meta::validate(&value) {
        problems.push(format!("{at}: not a valid JSON Schema: {e}"));
    }
    if let Err(e) = jsonschema::draft202012::meta::validate(&value) {
        problems.push(format!("{at}: not valid against the 2020-12 meta-schema: {e}"));
    }
    if let Err(e) = jsonschema::options().with_draft(jsonschema::Draft::Draft202012).build(&value) {
        problems.push(format!("{at}: does not compile into a validator: {e}"));
    }
    if schema.get("type") != Some(&Value::String("object".into())) {
        problems.push(format!("{at}: the root is not `type: object`"));
    }
    if schema.contains_key("$schema") || schema.contains_key("$id") {
        problems.push(format!("{at}: carries $schema/$id"));
    }
    let defs = schema.get("$defs").and_then(Value::as_object);
    let mut path = String::new();
    walk(&value, &mut path, false, &mut |p, m| {
        if let Some(r) = m.get("$ref") {
            match r.as_str().and_then(|r| r.strip_prefix("#/$defs/")) {
                Some(name) if defs.is_some_and(|d| d.contains_key(name)) => {}
                _ => problems.push(format!("{at} at {p}: dangling or non-local $ref {r}")),
            }
        }
        for k in ["nullable", "x-nullable", "example"] {
            if m.contains_key(k) && !p.ends_with("/properties") {
                problems.push(format!("{at} at {p}: OpenAPI-only keyword `{k}` left in"));
            }
        }
        for k in ["exclusiveMinimum", "exclusiveMaximum"] {
            if m.get(k).is_some_and(Value::is_boolean) && !p.ends_with("/properties") {
                problems.push(format!("{at} at {p}: boolean `{k}`"));
            }
        }
        let is_array = match m.get("type") {
            Some(Value::String(t)) => t == "array",
            Some(Value::Array(ts)) => ts.iter().any(|t| t == "array"),
            _ => false,
        };
        if is_array && !m.contains_key("items") && !m.contains_key("prefixItems") && !p.ends_with("/properties") {
            problems.push(format!("{at} at {p}: array without `items`"));
        }
    });
}

#[test]
fn every_schema_is_valid_json_schema_2020_12_and_compiles() {
    let mut problems = Vec::new();
    let mut count = 0;
    for fixture in FIXTURES {
        let set = toolset(fixture);
        assert!(!set.is_empty(), "{fixture}: no tools");
        for t in set.tools() {
            check(fixture, t.name(), "inputSchema", &t.def.input_schema, &mut problems);
            count += 1;
            if let Some(out) = &t.def.output_schema {
                check(fixture, t.name(), "outputSchema", out, &mut problems);
                count += 1;
            }
            // The tool's own validators compile too (without falling back to dropping patterns).
            if let Some(why) = t.schema_error() {
                problems.push(format!("{fixture} {}: the argument validator did not compile: {why}", t.name()));
            }
        }
    }
    assert!(count > 200, "only {count} schemas checked");
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}

#[test]
fn input_schemas_are_flat_closed_objects() {
    for fixture in FIXTURES {
        for t in toolset(fixture).tools() {
            let s = &t.def.input_schema;
            let props = s.get("properties").and_then(Value::as_object);
            assert!(props.is_some(), "{fixture} {}: no properties", t.name());
            assert_eq!(s.get("additionalProperties"), Some(&Value::Bool(false)), "{fixture} {}", t.name());
            for r in s.get("required").and_then(Value::as_array).into_iter().flatten() {
                let r = r.as_str().unwrap_or_default();
                assert!(props.is_some_and(|p| p.contains_key(r)), "{fixture} {}: required `{r}` missing", t.name());
            }
            // Every argument the plan reads is declared, and every declared argument is read.
            let declared: Vec<&str> = props.map(|p| p.keys().map(String::as_str).collect()).unwrap_or_default();
            let mut read = t.plan.argument_names();
            read.sort_unstable();
            let mut declared_sorted = declared.clone();
            declared_sorted.sort_unstable();
            assert_eq!(read, declared_sorted, "{fixture} {}: plan and schema disagree", t.name());
        }
    }
}
