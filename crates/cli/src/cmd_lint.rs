//! `toolgate lint`.

use std::process::ExitCode;

use serde_json::json;
use toolgate_openapi::Severity;
use toolgate_tools::{SkipReason, Toolset, naming};

use crate::args::{Format, LintArgs};
use crate::common::{Error, load, toolset_options};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    Warning,
    Error,
}

struct Finding {
    level: Level,
    at: String,
    message: String,
}

pub async fn run(a: LintArgs) -> Result<ExitCode, Error> {
    let opts = toolset_options(&a.select);
    let (_, api) = match load(&a.doc).await {
        Ok(x) => x,
        Err(e) => {
            print(&a, &[Finding { level: Level::Error, at: a.doc.openapi.clone(), message: e.to_string() }]);
            return Ok(ExitCode::from(1));
        }
    };
    let mut findings = Vec::new();
    for d in &api.diagnostics {
        let level = if d.severity == Severity::Error { Level::Error } else { Level::Warning };
        if d.severity != Severity::Info {
            findings.push(Finding { level, at: d.pointer.clone(), message: d.message.clone() });
        }
    }
    let set = Toolset::build(&api, &opts)?;
    for s in set.skipped() {
        if let SkipReason::Unsupported(why) = &s.reason {
            findings.push(Finding {
                level: Level::Error,
                at: s.source.pointer.clone(),
                message: format!("{} {} cannot be a tool: {why}", s.source.method, s.source.path),
            });
        }
    }
    for t in set.tools() {
        let at = t.source.pointer.clone();
        if t.source.operation_id.is_none() {
            findings.push(Finding {
                level: Level::Warning,
                at: at.clone(),
                message: format!("no operationId; the tool is named `{}` from its method and path", t.def.name),
            });
        } else if let Some(id) = &t.source.operation_id {
            let base = naming::sanitize(naming::strip_fastapi_suffix(id, &t.source.method, &t.source.path));
            let full = naming::namespaced(opts.namespace.as_deref(), &base);
            if full.len() > opts.max_name_len {
                findings.push(Finding {
                    level: Level::Warning,
                    at: at.clone(),
                    message: format!(
                        "name `{full}` is longer than {} characters; shortened to `{}`",
                        opts.max_name_len, t.def.name
                    ),
                });
            } else if base != *id && naming::strip_fastapi_suffix(id, &t.source.method, &t.source.path) == id {
                findings.push(Finding {
                    level: Level::Warning,
                    at: at.clone(),
                    message: format!(
                        "operationId `{id}` has characters clients refuse; the tool is named `{}`",
                        t.def.name
                    ),
                });
            }
        }
        if t.source.operation_id.is_some() && t.def.description == format!("{} {}", t.source.method, t.source.path) {
            findings.push(Finding {
                level: Level::Warning,
                at: at.clone(),
                message: format!(
                    "`{}` has no summary or description: the model only sees its method and path",
                    t.def.name
                ),
            });
        }
        for w in &t.warnings {
            findings.push(Finding { level: Level::Warning, at: at.clone(), message: format!("`{}`: {w}", t.def.name) });
        }
        if let Some(why) = t.schema_error() {
            findings.push(Finding {
                level: Level::Error,
                at: at.clone(),
                message: format!("`{}`: its input schema cannot be compiled: {why}", t.def.name),
            });
        }
    }
    print(&a, &findings);
    let errors = findings.iter().filter(|f| f.level == Level::Error).count();
    let warnings = findings.len() - errors;
    let failed = errors > 0 || (a.deny_warnings && warnings > 0);
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

fn print(a: &LintArgs, findings: &[Finding]) {
    match a.format {
        Format::Json => {
            let list: Vec<_> = findings
                .iter()
                .map(|f| json!({"level": if f.level == Level::Error {"error"} else {"warning"}, "at": f.at, "message": f.message}))
                .collect();
            println!("{}", serde_json::to_string_pretty(&list).unwrap_or_default());
        }
        Format::Table => {
            for f in findings {
                let l = if f.level == Level::Error { "error" } else { "warning" };
                println!("{l}: {} (at {})", f.message, if f.at.is_empty() { "/" } else { &f.at });
            }
            let errors = findings.iter().filter(|f| f.level == Level::Error).count();
            println!("{} error(s), {} warning(s)", errors, findings.len() - errors);
        }
    }
}
