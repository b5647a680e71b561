//! `toolgate tools`.

use std::process::ExitCode;

use serde_json::{Value, json};
use toolgate_tools::{Tool, Toolset};

use crate::args::{Format, ToolsArgs};
use crate::common::{Error, load, toolset_options};

pub async fn run(a: ToolsArgs) -> Result<ExitCode, Error> {
    let (_, api) = load(&a.doc).await?;
    let set = Toolset::build(&api, &toolset_options(&a.select))?;
    match a.format {
        Format::Json => {
            let tools: Vec<Value> = set.tools().iter().map(|t| tool_json(t)).collect();
            let skipped: Vec<Value> = set
                .skipped()
                .iter()
                .map(|s| json!({"method": s.source.method, "path": s.source.path, "operationId": s.source.operation_id, "reason": s.reason.to_string()}))
                .collect();
            let out = json!({"title": api.title, "version": api.version, "openapi": api.spec_version.label(), "tools": tools, "skipped": skipped});
            println!("{}", serde_json::to_string_pretty(&out)?);
        }
        Format::Table => {
            println!("{} {} (OpenAPI {}): {} tools", api.title, api.version, api.spec_version.label(), set.len());
            let w = set.tools().iter().map(|t| t.def.name.len()).max().unwrap_or(4).max(4);
            println!("{:w$}  {:7} {:4}  PATH", "NAME", "METHOD", "ARGS");
            for t in set.tools() {
                let args = t.def.input_schema.get("properties").and_then(Value::as_object).map_or(0, |p| p.len());
                println!("{:w$}  {:7} {:4}  {}", t.def.name, t.source.method, args, t.source.path);
            }
            if !set.skipped().is_empty() {
                println!("\nskipped:");
                for s in set.skipped() {
                    println!("  {} {} — {}", s.source.method, s.source.path, s.reason);
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A tool as clients see it in `tools/list`, plus where it came from.
pub fn tool_json(t: &Tool) -> Value {
    let a = &t.def.annotations;
    let mut ann = serde_json::Map::new();
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
    let mut v = json!({
        "name": t.def.name,
        "description": t.def.description,
        "inputSchema": Value::Object((*t.def.input_schema).clone()),
        "annotations": ann,
        "x-source": {"method": t.source.method, "path": t.source.path, "operationId": t.source.operation_id},
    });
    if let Some(title) = &t.def.title {
        v["title"] = json!(title);
    }
    if let Some(o) = &t.def.output_schema {
        v["outputSchema"] = Value::Object((**o).clone());
    }
    v
}
