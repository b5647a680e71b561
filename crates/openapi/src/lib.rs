//! Load OpenAPI documents into one normalized model.
//!
//! `toolgate-openapi` reads Swagger 2.0 and OpenAPI 3.0, 3.1 and 3.2 documents, as JSON or
//! YAML, and produces an [`Api`]: operations with their parameters, bodies and responses, and
//! every schema converted to JSON Schema 2020-12. It does no I/O beyond reading files that a
//! document references when that is explicitly allowed, and nothing here knows about HTTP
//! clients or MCP.
//!
//! What the normalization does:
//! - every local `$ref` (schemas, parameters, request bodies, responses, headers, path items)
//!   is followed; schema references become `#/$defs/NAME`, so recursive schemas stay finite;
//! - OpenAPI 3.0 `nullable` becomes a type array (and `null` joins an `enum`), boolean
//!   `exclusiveMinimum`/`exclusiveMaximum` become numbers, `example` becomes `examples`,
//!   arrays always have `items`;
//! - path-item parameters are merged into each operation.
//!
//! [`merge_documents`] merges the documents of apps mounted under path prefixes into one
//! document (paths prefixed, clashing names renamed with every `$ref` rewritten); see [`merge`].
//!
//! A broken document is an [`Error`] that lists each problem with the JSON pointer of the place
//! concerned. With [`LoadOptions::lenient`], broken operations are left out instead and
//! reported in [`Api::diagnostics`].
//!
//! ```
//! let doc = r#"{
//!   "openapi": "3.0.3",
//!   "info": {"title": "Pets", "version": "1"},
//!   "paths": {"/pets/{id}": {"get": {
//!     "operationId": "getPet",
//!     "parameters": [{"name": "id", "in": "path", "required": true,
//!                     "schema": {"type": "integer", "nullable": true}}],
//!     "responses": {"200": {"description": "ok"}}}}}
//! }"#;
//! let api = toolgate_openapi::load_str(doc, &Default::default()).unwrap();
//! let op = &api.operations[0];
//! assert_eq!(op.operation_id.as_deref(), Some("getPet"));
//! assert_eq!(op.parameters[0].schema["type"], serde_json::json!(["integer", "null"]));
//! ```

mod docs;
mod error;
/// Merging the OpenAPI documents of several apps mounted under path prefixes into one.
pub mod merge;
mod model;
pub mod pointer;
mod prune;
mod read;
mod schema;
mod v2;
mod v3;

use std::path::{Path, PathBuf};

use serde_json::Value;

pub use error::{Diagnostic, Error, Problem, ProblemKind, Severity};
pub use merge::{MergeInfo, Merged, Mount, merge_documents};
pub use model::*;
pub use schema::{Def, Schemas, View, Within, for_each_subschema_mut as for_each_subschema};

/// The origin given to documents that do not come from a file.
pub const INLINE: &str = "<inline>";

/// Whether `$ref`s to other files may be followed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ExternalRefs {
    /// Refuse every reference outside the document (the default).
    #[default]
    Deny,
    /// Follow references to files inside the directory of the main document. Remote (`http:`)
    /// references are refused whatever this says: the loader never uses the network.
    SameDirectory,
}

/// How to load a document.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Whether references to other files may be followed.
    pub external_refs: ExternalRefs,
    /// Leave broken operations out (with a diagnostic) instead of failing the whole load.
    pub lenient: bool,
}

/// Parses JSON or YAML text into a JSON value. `origin` names the text in errors.
pub fn parse(text: &str, origin: &str) -> Result<Value, Error> {
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        return serde_json::from_str(trimmed).map_err(|e| Error::Syntax {
            origin: origin.to_owned(),
            format: "JSON",
            line: e.line(),
            column: e.column(),
            message: strip_position(&e.to_string()),
        });
    }
    let yaml: yaml_serde::Value = yaml_serde::from_str(trimmed).map_err(|e| {
        let (line, column) = e.location().map(|l| (l.line(), l.column())).unwrap_or((0, 0));
        Error::Syntax {
            origin: origin.to_owned(),
            format: "YAML",
            line,
            column,
            message: strip_position(&e.to_string()),
        }
    })?;
    Ok(yaml_to_json(yaml))
}

fn strip_position(msg: &str) -> String {
    match msg.find(" at line ") {
        Some(i) => msg[..i].to_owned(),
        None => msg.to_owned(),
    }
}

/// Converts YAML to JSON, turning non-string keys (`200:`) into strings.
fn yaml_to_json(v: yaml_serde::Value) -> Value {
    use yaml_serde::Value as Y;
    match v {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                n.as_f64().and_then(serde_json::Number::from_f64).map(Value::Number).unwrap_or(Value::Null)
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(items.into_iter().map(yaml_to_json).collect()),
        Y::Mapping(map) => {
            let mut out = serde_json::Map::with_capacity(map.len());
            for (k, v) in map {
                let key = match k {
                    Y::String(s) => s,
                    Y::Number(n) => n.to_string(),
                    Y::Bool(b) => b.to_string(),
                    Y::Null => "null".to_owned(),
                    other => yaml_serde::to_string(&other).unwrap_or_default().trim().to_owned(),
                };
                out.insert(key, yaml_to_json(v));
            }
            Value::Object(out)
        }
        Y::Tagged(t) => yaml_to_json(t.value),
    }
}

/// Parses text to load it: JSON objects without what the loader never reads (see [`prune`]),
/// anything else as [`parse`] does.
fn parse_to_load(text: &str, origin: &str) -> Result<(Value, prune::Pruned), Error> {
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with('{')
        && let Some(parsed) = prune::parse_json(trimmed)
    {
        return Ok(parsed);
    }
    Ok((parse(text, origin)?, prune::Pruned::new()))
}

/// Loads a document from text (JSON or YAML).
pub fn load_str(text: &str, opts: &LoadOptions) -> Result<Api, Error> {
    load_text(text, INLINE, opts)
}

/// Loads a document from text that came from `origin` (a URL, say), named so in messages.
/// External file references cannot be followed: there is no directory to follow them in.
pub fn load_text(text: &str, origin: &str, opts: &LoadOptions) -> Result<Api, Error> {
    let (value, pruned) = parse_to_load(text, origin)?;
    match load_parsed(origin, value, pruned, None, opts) {
        Some(loaded) => loaded,
        None => load_document(origin, parse(text, origin)?, None, opts),
    }
}

/// Loads a document from a file; references to files next to it can be followed when
/// [`LoadOptions::external_refs`] allows it.
pub fn load_file(path: &Path, opts: &LoadOptions) -> Result<Api, Error> {
    let origin = path.display().to_string();
    let read = || std::fs::read_to_string(path).map_err(|e| Error::Io { path: origin.clone(), message: e.to_string() });
    let text = read()?;
    let (value, pruned) = parse_to_load(&text, &origin)?;
    drop(text); // the parsed value is all that is needed from here on
    let dir = path.parent().map(|p| if p.as_os_str().is_empty() { PathBuf::from(".") } else { p.to_path_buf() });
    match load_parsed(&origin, value, pruned, dir.clone(), opts) {
        Some(loaded) => loaded,
        None => {
            let value = parse(&read()?, &origin)?;
            load_document(&origin, value, dir, opts)
        }
    }
}

/// Loads a document that is already a JSON value (for example one produced by utoipa).
pub fn load_value(value: Value, opts: &LoadOptions) -> Result<Api, Error> {
    load_document(INLINE, value, None, opts)
}

/// Loads a document given its origin (for messages), its value, and the directory that
/// relative file references are resolved against.
pub fn load_document(origin: &str, value: Value, dir: Option<PathBuf>, opts: &LoadOptions) -> Result<Api, Error> {
    // Nothing was left out of the value, so nothing can be missed.
    load_parsed(origin, value, prune::Pruned::new(), dir, opts)
        .unwrap_or_else(|| Err(Error::NotOpenApi { origin: origin.to_owned(), message: "nothing was left out".into() }))
}

/// [`load_document`] for a document that `pruned` was left out of; `None` when the load looked
/// something up in what was left out, and is to be done again with the whole document.
fn load_parsed(
    origin: &str,
    value: Value,
    pruned: prune::Pruned,
    dir: Option<PathBuf>,
    opts: &LoadOptions,
) -> Option<Result<Api, Error>> {
    let version = match detect_version(origin, &value) {
        Ok(v) => v,
        Err(e) => return Some(Err(e)),
    };
    let mut docs = match docs::DocSet::new(origin.to_owned(), value, pruned, dir, opts) {
        Ok(d) => d,
        Err(e) => return Some(Err(e)),
    };
    let loaded = match version {
        SpecVersion::Swagger2 => v2::read(&mut docs, opts),
        v => v3::read(&mut docs, v, opts),
    };
    (!docs.missed()).then_some(loaded)
}

fn detect_version(origin: &str, v: &Value) -> Result<SpecVersion, Error> {
    let not = |message: String| Error::NotOpenApi { origin: origin.to_owned(), message };
    let Some(map) = v.as_object() else {
        return Err(not(format!("at /: the document must be an object, found {}", schema::kind_of(v))));
    };
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    if let Some(ver) = map.get("openapi") {
        let ver =
            text(ver).ok_or_else(|| not("at /openapi: `openapi` must be a version string such as \"3.1.0\"".into()))?;
        return match ver.as_str() {
            v if v.starts_with("3.0") => Ok(SpecVersion::OpenApi30),
            v if v.starts_with("3.1") => Ok(SpecVersion::OpenApi31),
            v if v.starts_with("3.2") => Ok(SpecVersion::OpenApi32),
            other => {
                Err(not(format!("at /openapi: unsupported OpenAPI version `{other}` (supported: 2.0, 3.0, 3.1, 3.2)")))
            }
        };
    }
    if let Some(ver) = map.get("swagger") {
        return match text(ver).as_deref() {
            Some("2.0") | Some("2") => Ok(SpecVersion::Swagger2),
            other => Err(not(format!(
                "at /swagger: unsupported Swagger version `{}` (supported: 2.0)",
                other.unwrap_or("?")
            ))),
        };
    }
    Err(not("at /: neither `openapi` nor `swagger` is set: this is not an OpenAPI document".into()))
}
