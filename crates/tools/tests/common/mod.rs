//! Helpers shared by the integration tests of `toolgate-tools`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use serde_json::{Map, Value, json};
use toolgate_openapi::{Api, LoadOptions, Style};
use toolgate_tools::{BodyPlan, PathPart, Tool, Toolset, ToolsetOptions};

/// Every fixture document that produces tools.
pub const FIXTURES: &[&str] = &[
    "petstore-swagger2.json",
    "petstore-3.0.yaml",
    "petstore-3.1.json",
    "fastapi/openapi.json",
    "edge-cases.yaml",
    "edge-cases-3.1.yaml",
    "openapi-3.2.yaml",
];

/// The path of a fixture under `fixtures/openapi/`.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/openapi").join(name)
}

/// Loads a fixture with the default options.
pub fn load(name: &str) -> Api {
    match toolgate_openapi::load_file(&fixture(name), &LoadOptions::default()) {
        Ok(api) => api,
        Err(e) => panic!("{name}: {e}"),
    }
}

/// The tools of a fixture with the default options.
pub fn toolset(name: &str) -> Toolset {
    build(&load(name), &ToolsetOptions::default())
}

/// Builds a toolset, failing the test on error.
pub fn build(api: &Api, opts: &ToolsetOptions) -> Toolset {
    match Toolset::build(api, opts) {
        Ok(set) => set,
        Err(e) => panic!("build failed: {e}"),
    }
}

/// Loads a document given as a JSON value (strict mode).
pub fn api(doc: Value) -> Api {
    match toolgate_openapi::load_value(doc, &LoadOptions::default()) {
        Ok(api) => api,
        Err(e) => panic!("load failed: {e}"),
    }
}

/// A minimal OpenAPI 3.1 document around `paths`.
pub fn doc31(paths: Value) -> Value {
    json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": paths})
}

/// The tools of a 3.1 document made of `paths`.
pub fn tools_of(paths: Value) -> Toolset {
    build(&api(doc31(paths)), &ToolsetOptions::default())
}

/// A tool by name, failing the test when it is missing.
pub fn tool<'a>(set: &'a Toolset, name: &str) -> &'a Tool {
    match set.get(name) {
        Some(t) => t,
        None => {
            panic!("no tool `{name}`; tools: {:?}", set.tools().iter().map(|t| t.name().to_owned()).collect::<Vec<_>>())
        }
    }
}

/// A JSON object from a `json!` literal.
pub fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        other => panic!("not an object: {other}"),
    }
}

fn style(s: Style) -> &'static str {
    match s {
        Style::Matrix => "matrix",
        Style::Label => "label",
        Style::Simple => "simple",
        Style::Form => "form",
        Style::SpaceDelimited => "spaceDelimited",
        Style::PipeDelimited => "pipeDelimited",
        Style::DeepObject => "deepObject",
    }
}

/// A tool's request plan in a compact, reviewable form.
pub fn plan_json(t: &Tool) -> Value {
    let p = &t.plan;
    let path: String = p
        .path
        .iter()
        .map(|part| match part {
            PathPart::Literal(s) => s.clone(),
            PathPart::Param(i) => format!("{{{}}}", p.params.get(*i).map(|x| x.arg.as_str()).unwrap_or("?")),
        })
        .collect();
    let params: Vec<Value> = p
        .params
        .iter()
        .map(|x| {
            let mut v = json!({"arg": x.arg, "in": x.location.as_str(), "style": style(x.style), "explode": x.explode});
            if x.name != x.arg {
                v["name"] = json!(x.name);
            }
            if x.allow_reserved {
                v["allowReserved"] = json!(true);
            }
            if x.json {
                v["json"] = json!(true);
            }
            v
        })
        .collect();
    let fields = |fs: &[toolgate_tools::FieldPlan]| -> Vec<Value> {
        fs.iter()
            .map(|f| {
                let mut v = json!({"arg": f.arg});
                if f.name != f.arg {
                    v["name"] = json!(f.name);
                }
                if f.file {
                    v["file"] = json!(true);
                }
                if let Some(ct) = &f.content_type {
                    v["contentType"] = json!(ct);
                }
                if !f.explode {
                    v["explode"] = json!(false);
                }
                v
            })
            .collect()
    };
    let body = match &p.body {
        BodyPlan::None => Value::Null,
        BodyPlan::JsonFields(f) => json!({"json_fields": fields(f)}),
        BodyPlan::JsonWhole { arg } => json!({"json_whole": arg}),
        BodyPlan::Form(f) => json!({"form": fields(f)}),
        BodyPlan::Multipart(f) => json!({"multipart": fields(f)}),
        BodyPlan::Raw { arg, base64 } => json!({"raw": arg, "base64": base64}),
    };
    let mut v = json!({"method": p.method.as_str(), "path": path});
    if !params.is_empty() {
        v["params"] = json!(params);
    }
    if !body.is_null() {
        v["body"] = body;
    }
    if let Some(ct) = &p.content_type {
        v["contentType"] = json!(ct);
    }
    if let Some(a) = &p.accept {
        v["accept"] = json!(a);
    }
    v
}

/// A tool as a client sees it in `tools/list`, plus (under `x-…` keys) where it came from,
/// how it is called and what was adjusted.
pub fn tool_json(t: &Tool) -> Value {
    let a = &t.def.annotations;
    let mut ann = Map::new();
    if let Some(v) = &a.title {
        ann.insert("title".into(), json!(v));
    }
    for (k, v) in [
        ("readOnlyHint", a.read_only),
        ("destructiveHint", a.destructive),
        ("idempotentHint", a.idempotent),
        ("openWorldHint", a.open_world),
    ] {
        if let Some(v) = v {
            ann.insert(k.into(), json!(v));
        }
    }
    let mut v = Map::new();
    v.insert("name".into(), json!(t.def.name));
    if let Some(title) = &t.def.title {
        v.insert("title".into(), json!(title));
    }
    v.insert("description".into(), json!(t.def.description));
    v.insert("inputSchema".into(), Value::Object((*t.def.input_schema).clone()));
    if let Some(o) = &t.def.output_schema {
        v.insert("outputSchema".into(), Value::Object((**o).clone()));
    }
    v.insert("annotations".into(), Value::Object(ann));
    v.insert(
        "x-source".into(),
        json!({"method": t.source.method, "path": t.source.path, "operationId": t.source.operation_id}),
    );
    v.insert("x-plan".into(), plan_json(t));
    if t.wrap_output {
        v.insert("x-wrapOutput".into(), json!(true));
    }
    if let Some(d) = t.timeout {
        v.insert("x-timeoutSeconds".into(), json!(d.as_secs_f64()));
    }
    if !t.scopes.is_empty() {
        v.insert("x-scopes".into(), json!(t.scopes));
    }
    if !t.warnings.is_empty() {
        v.insert("x-warnings".into(), json!(t.warnings));
    }
    Value::Object(v)
}

/// The whole toolset of an API, as pinned by the snapshot tests.
pub fn toolset_json(api: &Api, set: &Toolset) -> Value {
    let tools: Vec<Value> = set.tools().iter().map(|t| tool_json(t)).collect();
    let skipped: Vec<Value> = set
        .skipped()
        .iter()
        .map(|s| {
            json!({"method": s.source.method, "path": s.source.path, "operationId": s.source.operation_id,
                   "reason": s.reason.to_string()})
        })
        .collect();
    let diagnostics: Vec<String> = api.diagnostics.iter().map(|d| d.to_string()).collect();
    json!({
        "title": api.title,
        "openapi": api.spec_version.label(),
        "servers": api.servers.iter().map(|s| s.url.clone()).collect::<Vec<_>>(),
        "tools": tools,
        "skipped": skipped,
        "diagnostics": diagnostics,
    })
}
