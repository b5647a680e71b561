//! `Api` → `Toolset`.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use indexmap::IndexMap;
use serde_json::{Map, Value, json};
use toolgate_openapi::{Api, MediaType, Operation, ParameterLocation, SecurityScheme, View};

use crate::error::BuildError;
use crate::naming;
use crate::plan::{BodyPlan, FieldPlan, ParamPlan, PathPart, RequestPlan};
use crate::select::{Hits, Selection};
use crate::tool::{Annotations, SkipReason, Skipped, Source, Tool, ToolDef, Toolset};

/// How output schemas are advertised.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OutputSchemas {
    /// Advertise the documented response schema with its value constraints relaxed (`required`,
    /// `enum`, bounds, `format`, `additionalProperties: false` dropped; every type also allows
    /// `null`; `oneOf` read as `anyOf`; `examples` left out), and check each result against it.
    /// A result that still does not fit is sent as text, with a small `structuredContent` object
    /// that says why, so a successful upstream call never fails in a client that validates (the
    /// default).
    #[default]
    Tolerant,
    /// Advertise the documented schema as it is and send results as they are.
    Strict,
    /// No output schemas; results are text only.
    Off,
}

/// A per-operation override, given in code.
#[derive(Debug, Clone, Default)]
pub struct Override {
    /// The tool's name (before namespacing).
    pub name: Option<String>,
    /// The title.
    pub title: Option<String>,
    /// The description.
    pub description: Option<String>,
    /// Annotations to merge over the derived ones.
    pub annotations: Option<Annotations>,
    /// Call timeout.
    pub timeout: Option<Duration>,
    /// Scopes a caller needs.
    pub scopes: Option<Vec<String>>,
}

/// How to build a [`Toolset`].
#[derive(Debug, Clone)]
pub struct ToolsetOptions {
    /// Which operations become tools.
    pub selection: Selection,
    /// A prefix for every tool name (`inventory` → `inventory_get_item`). Counts inside the
    /// length limit.
    pub namespace: Option<String>,
    /// The longest tool name (64 by default, at most 128).
    pub max_name_len: usize,
    /// The longest description, in characters; longer ones are cut with `…`.
    pub description_budget: usize,
    /// Overrides by `operationId`, tool name, or `METHOD /path`.
    pub overrides: IndexMap<String, Override>,
    /// How output schemas are advertised.
    pub output_schemas: OutputSchemas,
    /// Timeout for tools that do not set their own.
    pub default_timeout: Option<Duration>,
    /// About how many bytes of JSON each input and each output schema may take (32 KiB by
    /// default). A schema that would be larger keeps the definitions nearest to its root and
    /// has the others replaced by stubs that accept any value of their type (a warning says how
    /// many): Microsoft Graph's entity schemas reach 2 MB each, more than any model should be
    /// sent per tool. The upstream still validates what it receives.
    pub max_schema_bytes: usize,
}

impl Default for ToolsetOptions {
    fn default() -> Self {
        ToolsetOptions {
            selection: Selection::default(),
            namespace: None,
            max_name_len: naming::DEFAULT_MAX_LEN,
            description_budget: 2000,
            overrides: IndexMap::new(),
            output_schemas: OutputSchemas::default(),
            default_timeout: None,
            max_schema_bytes: DEFAULT_MAX_SCHEMA_BYTES,
        }
    }
}

/// The default of [`ToolsetOptions::max_schema_bytes`].
pub const DEFAULT_MAX_SCHEMA_BYTES: usize = 32 * 1024;

const FILE_SCHEMA_DESCRIPTION: &str =
    "A file: its bytes base64-encoded in `content`, with an optional `filename` and `content_type`.";

fn file_schema(description: Option<&Value>) -> Value {
    let mut s = json!({
        "type": "object",
        "properties": {
            "content": {"type": "string", "contentEncoding": "base64", "description": "The file's bytes, base64-encoded"},
            "filename": {"type": "string", "description": "The file name sent with the upload"},
            "content_type": {"type": "string", "description": "The media type, e.g. image/png"}
        },
        "required": ["content"],
        "additionalProperties": false,
        "description": FILE_SCHEMA_DESCRIPTION
    });
    if let Some(d) = description {
        s["description"] = d.clone();
    }
    s
}

impl Toolset {
    /// Builds the tools of an API.
    pub fn build(api: &Api, opts: &ToolsetOptions) -> Result<Toolset, BuildError> {
        if opts.max_name_len < 16 || opts.max_name_len > naming::MAX_LEN {
            return Err(BuildError::Option(format!(
                "the name length limit must be between 16 and {}",
                naming::MAX_LEN
            )));
        }
        let namespace = match opts.namespace.as_deref() {
            Some(ns) if !ns.is_empty() => {
                let clean = naming::sanitize(ns);
                if clean != ns {
                    return Err(BuildError::Option(format!(
                        "namespace `{ns}` may only use letters, digits, `_`, `-` and `.`, and start with a letter (try `{clean}`)"
                    )));
                }
                Some(clean)
            }
            _ => None,
        };
        let root_off = api.extensions.get("x-mcp") == Some(&Value::Bool(false));
        let mut set = Toolset::default();
        let mut hits = Hits::default();
        let mut used_overrides: HashSet<&str> = HashSet::new();
        let mut explicit: HashMap<String, String> = HashMap::new();
        let mut cache = DefCache::default();
        for op in &api.operations {
            let source = Source {
                operation_id: op.operation_id.clone(),
                method: op.method.as_str().to_owned(),
                path: op.path.clone(),
                pointer: op.pointer.clone(),
                tags: op.tags.clone(),
            };
            let derived =
                naming::sanitize(&naming::base_name(op.operation_id.as_deref(), op.method.as_str(), &op.path));
            let route_key = format!("{} {}", op.method.as_str(), op.path);
            let (ov_key, ov) = [op.operation_id.as_deref(), Some(derived.as_str()), Some(route_key.as_str())]
                .into_iter()
                .flatten()
                .find_map(|k| opts.overrides.get_key_value(k))
                .map(|(k, v)| (Some(k.as_str()), Some(v)))
                .unwrap_or((None, None));
            let ext_name = op.extension("x-mcp-name").and_then(Value::as_str);
            let given_name = ov.and_then(|o| o.name.as_deref()).or(ext_name);
            let base = match given_name {
                Some(n) => naming::sanitize(n),
                None => derived.clone(),
            };
            let mut names: Vec<&str> = vec![derived.as_str(), base.as_str()];
            if let Some(id) = op.operation_id.as_deref() {
                names.push(id);
            }
            if let Err(why) = opts.selection.decide(op, &names, root_off, &mut hits) {
                set.skipped.push(Skipped { source, reason: SkipReason::Excluded(why) });
                continue;
            }
            if let Some(k) = ov_key {
                used_overrides.insert(k);
            }
            let mut name = naming::fit(&naming::namespaced(namespace.as_deref(), &base), opts.max_name_len);
            if let Some(&i) = set.index.get(&name) {
                let first = set.tools[i].source.to_string();
                if given_name.is_some() || explicit.contains_key(&name) {
                    return Err(BuildError::NameClash { name, first, second: source.to_string() });
                }
                let mut n = 2;
                loop {
                    let candidate = naming::fit(
                        &format!("{}_{n}", naming::namespaced(namespace.as_deref(), &base)),
                        opts.max_name_len,
                    );
                    if !set.index.contains_key(&candidate) {
                        name = candidate;
                        break;
                    }
                    n += 1;
                }
            }
            if given_name.is_some() {
                explicit.insert(name.clone(), source.to_string());
            }
            match build_tool(api, op, name, source.clone(), ov, opts, &mut cache) {
                Ok(tool) => {
                    set.index.insert(tool.def.name.clone(), set.tools.len());
                    set.tools.push(Arc::new(tool));
                }
                Err(why) => set.skipped.push(Skipped { source, reason: SkipReason::Unsupported(why) }),
            }
        }
        if set.tools.is_empty() && !opts.selection.is_empty() && !api.operations.is_empty() {
            let reasons: Vec<String> =
                set.skipped.iter().take(5).map(|s| format!("{} ({})", s.source, s.reason)).collect();
            if opts.selection.unmatched(&hits).is_empty() {
                return Err(BuildError::Empty(format!("the filters together select nothing: {}", reasons.join("; "))));
            }
        }
        if let Some((flag, value)) = opts.selection.unmatched(&hits).into_iter().next() {
            let hint = suggest(&value, api.operations.iter().filter_map(|o| o.operation_id.as_deref()));
            return Err(BuildError::Unmatched { flag: flag.to_owned(), value, hint });
        }
        if let Some(k) = opts.overrides.keys().find(|k| !used_overrides.contains(k.as_str())) {
            let hint = suggest(k, api.operations.iter().filter_map(|o| o.operation_id.as_deref()));
            return Err(BuildError::Unmatched { flag: "override".into(), value: k.clone(), hint });
        }
        Ok(set)
    }
}

/// `; did you mean `x`?` for the closest candidate, if it is close.
pub(crate) fn suggest<'a>(value: &str, candidates: impl Iterator<Item = &'a str>) -> String {
    let best = candidates.map(|c| (levenshtein(value, c), c)).min();
    match best {
        Some((d, c)) if d <= 3.max(value.len() / 3) => format!("; did you mean `{c}`?"),
        _ => String::new(),
    }
}

pub(crate) fn levenshtein(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

fn build_tool(
    api: &Api,
    op: &Operation,
    name: String,
    source: Source,
    ov: Option<&super::build::Override>,
    opts: &ToolsetOptions,
    cache: &mut DefCache,
) -> Result<Tool, String> {
    let mut warnings = Vec::new();
    let input = input_schema(api, op, opts.max_schema_bytes, &mut warnings)?;
    let (output_schema, wrap_output) = match opts.output_schemas {
        OutputSchemas::Off => (None, false),
        policy => {
            match shared_output_schema(api, op, policy == OutputSchemas::Tolerant, opts.max_schema_bytes, cache) {
                Some((schema, wrap, elided)) => {
                    if elided > 0 {
                        warnings.push(trimmed("output", elided, opts.max_schema_bytes));
                    }
                    (Some(schema), wrap)
                }
                None => (None, false),
            }
        }
    };
    let summary = op.summary.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    let title = ov.and_then(|o| o.title.clone()).or(summary).map(|t| truncate(&t, 200));
    let description = ov
        .and_then(|o| o.description.clone())
        .or_else(|| op.extension("x-mcp-description").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| derive_description(op));
    let description = truncate(&description, opts.description_budget);
    let mut annotations = method_annotations(op.method.as_str());
    annotations.title.clone_from(&title);
    if let Some(a) = op.extension("x-mcp-annotations") {
        match Annotations::from_json(a) {
            Some(a) => annotations.merge(&a),
            None => warnings.push("x-mcp-annotations must be an object; ignored".into()),
        }
    }
    if let Some(a) = ov.and_then(|o| o.annotations.as_ref()) {
        annotations.merge(a);
    }
    let timeout = ov.and_then(|o| o.timeout).or_else(|| match op.extension("x-mcp-timeout") {
        Some(v) => match v.as_f64() {
            Some(s) if s > 0.0 && s.is_finite() => Some(Duration::from_secs_f64(s)),
            _ => {
                warnings.push("x-mcp-timeout must be a positive number of seconds; ignored".into());
                None
            }
        },
        None => None,
    });
    let timeout = timeout.or(opts.default_timeout);
    let security = op.security.clone().unwrap_or_else(|| api.security.clone());
    let scopes = match ov.and_then(|o| o.scopes.clone()) {
        Some(s) => s,
        None => match op.extension("x-mcp-scopes") {
            Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
            Some(Value::String(s)) => s.split_whitespace().map(str::to_owned).collect(),
            _ => oauth_scopes(api, &security),
        },
    };
    let Input { schema, plan, body_args } = input;
    Ok(Tool {
        def: ToolDef { name, title, description, input_schema: Arc::new(schema), output_schema, annotations },
        plan,
        source,
        timeout,
        security,
        scopes,
        wrap_output,
        tolerant_output: opts.output_schemas == OutputSchemas::Tolerant,
        body_args,
        warnings,
        validator: OnceLock::new(),
        output_validator: OnceLock::new(),
    })
}

/// Scopes named by the operation's OAuth 2.0 / OpenID Connect requirements (the first
/// requirement that names any).
fn oauth_scopes(api: &Api, security: &[toolgate_openapi::SecurityRequirement]) -> Vec<String> {
    for req in security {
        let mut scopes = Vec::new();
        for (scheme, list) in req {
            if matches!(
                api.security_schemes.get(scheme),
                Some(SecurityScheme::OAuth2 { .. } | SecurityScheme::OpenIdConnect { .. })
            ) {
                scopes.extend(list.iter().cloned());
            }
        }
        if !scopes.is_empty() {
            return scopes;
        }
    }
    Vec::new()
}

fn method_annotations(method: &str) -> Annotations {
    let (read_only, destructive, idempotent) = match method {
        "GET" | "HEAD" | "OPTIONS" | "TRACE" | "QUERY" => (true, false, true),
        "PUT" => (false, true, true),
        "DELETE" => (false, true, true),
        _ => (false, false, false),
    };
    Annotations {
        title: None,
        read_only: Some(read_only),
        destructive: Some(destructive),
        idempotent: Some(idempotent),
        open_world: None,
    }
}

fn derive_description(op: &Operation) -> String {
    let summary = op.summary.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let description = op.description.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let mut text = match (summary, description) {
        (Some(s), Some(d)) if !d.contains(s) => format!("{s}\n\n{d}"),
        (_, Some(d)) => d.to_owned(),
        (Some(s), None) => s.to_owned(),
        (None, None) => format!("{} {}", op.method.as_str(), op.path),
    };
    if op.deprecated {
        text.insert_str(0, "Deprecated. ");
    }
    text
}

fn truncate(s: &str, budget: usize) -> String {
    if s.chars().count() <= budget {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(budget.saturating_sub(1)).collect();
    out.push('…');
    out
}

fn into_map(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

struct Input {
    schema: Map<String, Value>,
    plan: RequestPlan,
    body_args: Vec<String>,
}

enum BodyKind {
    Json,
    Form,
    Multipart,
    Text,
    Binary,
}

fn body_kind(media: &str) -> BodyKind {
    let base = media.split(';').next().unwrap_or("").trim();
    if base == "application/json" || base.ends_with("+json") || base.ends_with("/json") || base == "*/*" {
        BodyKind::Json
    } else if base == "application/x-www-form-urlencoded" {
        BodyKind::Form
    } else if base.starts_with("multipart/") {
        BodyKind::Multipart
    } else if base.starts_with("text/")
        || base.ends_with("+xml")
        || base.ends_with("/xml")
        || base == "application/yaml"
    {
        BodyKind::Text
    } else {
        BodyKind::Binary
    }
}

/// JSON first, then form, multipart, text, anything else.
fn pick_media(content: &[MediaType]) -> Option<&MediaType> {
    let rank = |m: &MediaType| match body_kind(&m.media_type) {
        BodyKind::Json if m.media_type != "*/*" => 0,
        BodyKind::Form => 1,
        BodyKind::Multipart => 2,
        BodyKind::Text => 3,
        BodyKind::Json => 4,
        BodyKind::Binary => 5,
    };
    content.iter().min_by_key(|m| rank(m))
}

/// The properties of an object body (its `allOf` parts merged), or `None` when the body is not
/// a plain object (an array, a primitive, a union, a map with free-form keys).
fn flatten(api: &Api, schema: &Value) -> Option<(Map<String, Value>, Vec<String>)> {
    let mut props = Map::new();
    let mut required = Vec::new();
    merge_object(api, schema, &mut props, &mut required, 0)?;
    (!props.is_empty()).then_some((props, required))
}

fn merge_object(
    api: &Api,
    schema: &Value,
    props: &mut Map<String, Value>,
    required: &mut Vec<String>,
    depth: usize,
) -> Option<()> {
    if depth > 16 {
        return None;
    }
    // The input view of the schema, without copying more than its properties.
    let m = api.schemas.resolve(schema).as_object()?;
    if ["oneOf", "anyOf", "not", "if", "$ref", "patternProperties"].iter().any(|k| m.contains_key(*k)) {
        return None;
    }
    match m.get("type") {
        None => {}
        Some(Value::String(t)) if t == "object" => {}
        _ => return None,
    }
    match m.get("additionalProperties") {
        None | Some(Value::Bool(false)) => {}
        _ => return None,
    }
    if let Some(Value::Array(parts)) = m.get("allOf") {
        for p in parts {
            merge_object(api, p, props, required, depth + 1)?;
        }
    }
    let mut hidden = Vec::new();
    if let Some(Value::Object(own)) = m.get("properties") {
        for (k, v) in own {
            if api.schemas.hides(v, View::Input) {
                hidden.push(k.as_str());
                continue;
            }
            let view = api.schemas.view(v, View::Input);
            match props.get_mut(k) {
                // Two parts of the `allOf` constrain the same property: both apply.
                Some(earlier) => *earlier = both(std::mem::take(earlier), view),
                None => {
                    props.insert(k.clone(), view);
                }
            }
        }
    }
    if let Some(Value::Array(r)) = m.get("required") {
        required.extend(r.iter().filter_map(Value::as_str).filter(|r| !hidden.contains(r)).map(str::to_owned));
    }
    if m.get("allOf").is_none() && m.get("properties").is_none() && m.get("type").is_none() {
        return None;
    }
    Some(())
}

/// One schema that holds where both hold: the same schema twice is itself; two plain schemas
/// (keywords that do not look at their siblings) whose constraints do not clash become one
/// object — the later one's annotations win, as a narrowing branch describes the property best;
/// anything else becomes `allOf` of the two.
fn both(earlier: Value, later: Value) -> Value {
    if earlier == later {
        return earlier;
    }
    const SIBLING_AWARE: &[&str] = &[
        "$ref",
        "allOf",
        "anyOf",
        "oneOf",
        "not",
        "if",
        "then",
        "else",
        "properties",
        "patternProperties",
        "additionalProperties",
        "unevaluatedProperties",
        "items",
        "prefixItems",
        "unevaluatedItems",
        "contains",
        "minContains",
        "maxContains",
        "dependentSchemas",
        "$defs",
    ];
    const ANNOTATIONS: &[&str] = &["title", "description", "examples", "default", "deprecated"];
    match (earlier, later) {
        (Value::Object(mut a), Value::Object(b)) => {
            let plain = |m: &Map<String, Value>| !m.keys().any(|k| SIBLING_AWARE.contains(&k.as_str()));
            let agree =
                b.iter().all(|(k, v)| ANNOTATIONS.contains(&k.as_str()) || a.get(k).is_none_or(|earlier| earlier == v));
            if plain(&a) && plain(&b) && agree {
                a.extend(b);
                Value::Object(a)
            } else {
                json!({"allOf": [a, b]})
            }
        }
        (earlier, later) => json!({"allOf": [earlier, later]}),
    }
}

/// The media type a part is sent with, from an `encoding.contentType` that may list several
/// (`image/png, image/jpeg`: the first) or use a wildcard (`image/*`: none, the default applies).
fn part_content_type(listed: &str) -> Option<String> {
    let first = listed.split(',').next().unwrap_or("").trim();
    (!first.is_empty() && !first.contains('*')).then(|| first.to_owned())
}

fn is_file_schema(api: &Api, s: &Value) -> bool {
    let s = api.schemas.resolve(s);
    let fmt = s.get("format").and_then(Value::as_str);
    let media = s.get("contentMediaType").and_then(Value::as_str);
    matches!(fmt, Some("binary")) || media.is_some_and(|m| !m.contains("json") && !m.starts_with("text/"))
}

/// The warning for a schema that [`ToolsetOptions::max_schema_bytes`] trimmed.
fn trimmed(which: &str, elided: usize, budget: usize) -> String {
    format!(
        "{which} schema: {elided} nested definition(s) left out to stay within max_schema_bytes ({budget}); raise it to keep them"
    )
}

fn input_schema(api: &Api, op: &Operation, budget: usize, warnings: &mut Vec<String>) -> Result<Input, String> {
    let template = parse_template(&op.path);
    let mut props: Map<String, Value> = Map::new();
    let mut required: Vec<String> = Vec::new();
    let mut taken: HashSet<String> = HashSet::new();

    // The body first: its fields keep their plain names.
    let mut body = BodyPlan::None;
    let mut content_type = None;
    let mut body_props: Vec<(String, Value, bool)> = Vec::new();
    let mut body_args = Vec::new();
    if let Some(rb) = &op.request_body
        && let Some(media) = pick_media(&rb.content)
    {
        content_type = Some(media.media_type.split(';').next().unwrap_or("").trim().to_owned());
        let empty = json!({});
        let schema = media.schema.as_ref().unwrap_or(&empty);
        let kind = body_kind(&media.media_type);
        let flat = match kind {
            BodyKind::Json | BodyKind::Form | BodyKind::Multipart => flatten(api, schema),
            _ => None,
        };
        match (kind, flat) {
            (kind @ (BodyKind::Json | BodyKind::Form | BodyKind::Multipart), Some((fields, req))) => {
                let mut plans = Vec::new();
                for (field, mut fschema) in fields {
                    let file = matches!(kind, BodyKind::Multipart) && is_file_schema(api, &fschema);
                    let file_array = matches!(kind, BodyKind::Multipart)
                        && !file
                        && fschema.get("items").is_some_and(|i| is_file_schema(api, i));
                    if file {
                        fschema = file_schema(fschema.get("description"));
                    } else if file_array {
                        let d = fschema.get("description").cloned();
                        fschema = json!({"type": "array", "items": file_schema(None)});
                        if let Some(d) = d {
                            fschema["description"] = d;
                        }
                    }
                    let enc = media.encoding.get(&field);
                    let arg = unique_arg(&safe_arg_name(&field, "field"), &taken);
                    if arg != field {
                        note_wire_name(&mut fschema, &format!("(body field `{field}`)"));
                    }
                    plans.push(FieldPlan {
                        arg: arg.clone(),
                        name: field.clone(),
                        file: file || file_array,
                        content_type: enc.and_then(|e| e.content_type.as_deref()).and_then(part_content_type),
                        explode: enc.and_then(|e| e.explode).unwrap_or(true),
                    });
                    let is_req = rb.required && req.contains(&field);
                    taken.insert(arg.clone());
                    body_args.push(arg.clone());
                    body_props.push((arg, fschema, is_req));
                }
                body = match kind {
                    BodyKind::Json => BodyPlan::JsonFields(plans),
                    BodyKind::Form => BodyPlan::Form(plans),
                    _ => BodyPlan::Multipart(plans),
                };
            }
            (BodyKind::Json, None) => {
                let mut s = api.schemas.view(schema, View::Input);
                describe(&mut s, rb.description.as_deref().or(Some("The request body")));
                taken.insert("body".into());
                body_args.push("body".into());
                body_props.push(("body".into(), s, rb.required));
                body = BodyPlan::JsonWhole { arg: "body".into() };
            }
            (BodyKind::Binary, _) => {
                let media_type = content_type.clone().unwrap_or_default();
                let s = json!({
                    "type": "string",
                    "contentEncoding": "base64",
                    "description": rb.description.clone().unwrap_or_else(|| format!("The request body ({media_type}), base64-encoded")),
                });
                taken.insert("body".into());
                body_args.push("body".into());
                body_props.push(("body".into(), s, rb.required));
                body = BodyPlan::Raw { arg: "body".into(), base64: true };
            }
            (_, _) => {
                let media_type = content_type.clone().unwrap_or_default();
                let s = json!({
                    "type": "string",
                    "description": rb.description.clone().unwrap_or_else(|| format!("The request body ({media_type})")),
                });
                taken.insert("body".into());
                body_args.push("body".into());
                body_props.push(("body".into(), s, rb.required));
                body = BodyPlan::Raw { arg: "body".into(), base64: false };
            }
        }
    }

    // Parameters: path, query, header, cookie; a clash gets a location suffix.
    let mut params: Vec<ParamPlan> = Vec::new();
    let mut param_props: Vec<(String, Value, bool)> = Vec::new();
    let mut declared: Vec<&toolgate_openapi::Parameter> = op.parameters.iter().collect();
    declared.sort_by_key(|p| p.location);
    let template_names: Vec<&str> =
        template.iter().filter_map(|t| if let Tpl::Param(n) = t { Some(n.as_str()) } else { None }).collect();
    for p in &declared {
        if p.location == ParameterLocation::Path && !template_names.contains(&p.name.as_str()) {
            warnings.push(format!("path parameter `{}` does not appear in the path; ignored", p.name));
        }
    }
    let mut implicit = Vec::new();
    for n in &template_names {
        if !declared.iter().any(|p| p.location == ParameterLocation::Path && p.name == *n) {
            warnings.push(format!("path parameter `{n}` is not declared; accepted as a string"));
            implicit.push(toolgate_openapi::Parameter {
                name: (*n).to_owned(),
                location: ParameterLocation::Path,
                required: true,
                deprecated: false,
                description: None,
                schema: json!({"type": "string"}),
                style: toolgate_openapi::Style::Simple,
                explode: false,
                allow_reserved: false,
                content_type: None,
            });
        }
    }
    let all_params = implicit.iter().chain(
        declared
            .iter()
            .copied()
            .filter(|p| p.location != ParameterLocation::Path || template_names.contains(&p.name.as_str())),
    );
    let mut all: Vec<&toolgate_openapi::Parameter> = all_params.collect();
    all.sort_by_key(|p| p.location);
    for p in all {
        let base = safe_arg_name(&p.name, p.location.as_str());
        let mut arg = base.clone();
        if taken.contains(&arg) {
            arg = unique_arg(&format!("{base}__{}", p.location.as_str()), &taken);
        }
        taken.insert(arg.clone());
        let mut s = p.schema.clone();
        if api.schemas.hides(&s, View::Input) {
            // A parameter is always the caller's to send: `readOnly` is about body properties.
            // (GitHub's `alert_number` path parameter uses a `readOnly` schema; stripped, the
            // tool could not be called at all.)
            if let Value::Object(m) = &mut s {
                m.shift_remove("readOnly");
            }
            if api.schemas.hides(&s, View::Input) {
                s = json!({"allOf": [s]});
            }
        }
        if p.location == ParameterLocation::Path {
            not_empty(api, &mut s);
        }
        describe(&mut s, p.description.as_deref());
        if p.deprecated
            && let Value::Object(m) = &mut s
        {
            m.insert("deprecated".into(), Value::Bool(true));
        }
        if arg != p.name {
            note_wire_name(&mut s, &format!("({} parameter `{}`)", p.location.as_str(), p.name));
        }
        param_props.push((arg.clone(), s, p.required));
        params.push(ParamPlan {
            arg,
            name: p.name.clone(),
            location: p.location,
            style: p.style,
            explode: p.explode,
            allow_reserved: p.allow_reserved,
            json: p.content_type.as_deref().is_some_and(|c| matches!(body_kind(c), BodyKind::Json)),
        });
    }
    for (name, schema, req) in param_props.into_iter().chain(body_props) {
        if req {
            required.push(name.clone());
        }
        props.insert(name, schema);
    }

    // The path template, with literal text encoded where the document left it raw.
    let path = template
        .into_iter()
        .map(|t| match t {
            Tpl::Lit(s) => PathPart::Literal(encode_literal(&s)),
            Tpl::Param(n) => {
                let i = params
                    .iter()
                    .position(|p| p.location == ParameterLocation::Path && p.name == n)
                    .unwrap_or(usize::MAX);
                PathPart::Param(i)
            }
        })
        .collect::<Vec<_>>();
    if path.contains(&PathPart::Param(usize::MAX)) {
        return Err("a path parameter could not be placed".into());
    }

    let mut root = Map::new();
    root.insert("type".into(), json!("object"));
    root.insert("properties".into(), Value::Object(props));
    if !required.is_empty() {
        root.insert("required".into(), json!(required));
    }
    root.insert("additionalProperties".into(), Value::Bool(false));
    let (bundled, elided) = api.schemas.bundle_within(Value::Object(root), View::Input, budget);
    if !elided.is_empty() {
        warnings.push(trimmed("input", elided.len(), budget));
    }
    let method = http::Method::from_bytes(op.method.as_str().as_bytes())
        .map_err(|_| format!("`{}` is not a valid HTTP method", op.method))?;
    let accept = success_media(op).map(|m| m.iter().map(|m| m.media_type.as_str()).collect::<Vec<_>>().join(", "));
    Ok(Input {
        schema: into_map(bundled),
        plan: RequestPlan { method, path, params, body, content_type, accept },
        body_args,
    })
}

/// Says in a path parameter's schema what [`RequestPlan::build`] enforces: a path segment is
/// never empty (an empty one would call another URL). Real documents offer `""` in enums and
/// arrays without `minItems`; the model should learn it from the schema, not from a refusal.
fn not_empty(api: &Api, s: &mut Value) {
    if !s.is_object() {
        return;
    }
    let target = api.schemas.resolve(s);
    let types: Vec<&str> = match target.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec!["string"],
    };
    let mut add = Vec::new();
    for (ty, key) in [("string", "minLength"), ("array", "minItems"), ("object", "minProperties")] {
        let floor = target.get(key).and_then(Value::as_u64).unwrap_or(0);
        if types.contains(&ty) && floor == 0 {
            add.push(key);
        }
    }
    let Value::Object(m) = s else { return };
    for key in add {
        m.insert(key.into(), json!(1));
    }
}

/// An argument name clients accept: `[A-Za-z0-9_.-]`, 1–64 characters (Claude's API refuses
/// other property keys in tool schemas). The wire name stays in the request plan.
pub(crate) fn safe_arg_name(raw: &str, fallback: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let trimmed = out.trim_matches('_');
    let name = if trimmed.is_empty() {
        format!("{fallback}_{:08x}", naming::fnv1a(raw.as_bytes()) as u32)
    } else {
        trimmed.to_owned()
    };
    naming::fit(&name, 64)
}

/// `base`, or `base_2`, `base_3`, … whichever is free.
fn unique_arg(base: &str, taken: &HashSet<String>) -> String {
    let mut arg = base.to_owned();
    let mut n = 2;
    while taken.contains(&arg) {
        arg = naming::fit(&format!("{base}_{n}"), 64);
        n += 1;
    }
    arg
}

/// Appends where the value goes on the wire to a schema's description.
fn note_wire_name(s: &mut Value, note: &str) {
    if let Value::Object(m) = s {
        let d = m
            .get("description")
            .and_then(Value::as_str)
            .map(|d| format!("{d} {note}"))
            .unwrap_or_else(|| note.to_owned());
        m.insert("description".into(), Value::String(d));
    }
}

fn describe(s: &mut Value, description: Option<&str>) {
    let (Some(d), Value::Object(m)) = (description, s) else {
        return;
    };
    if !m.contains_key("description") {
        m.insert("description".into(), Value::String(d.to_owned()));
    }
}

enum Tpl {
    Lit(String),
    Param(String),
}

fn parse_template(path: &str) -> Vec<Tpl> {
    let mut out = Vec::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        if open > 0 {
            out.push(Tpl::Lit(rest[..open].to_owned()));
        }
        out.push(Tpl::Param(rest[open + 1..open + close].to_owned()));
        rest = &rest[open + close + 1..];
    }
    if !rest.is_empty() {
        out.push(Tpl::Lit(rest.to_owned()));
    }
    out
}

fn encode_literal(s: &str) -> String {
    const PATH: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
        .add(b' ')
        .add(b'"')
        .add(b'#')
        .add(b'<')
        .add(b'>')
        .add(b'?')
        .add(b'`')
        .add(b'{')
        .add(b'}')
        .add(b'|')
        .add(b'\\')
        .add(b'^');
    percent_encoding::utf8_percent_encode(s, PATH).to_string()
}

/// The media types of the first documented success response.
fn success_media(op: &Operation) -> Option<&[MediaType]> {
    success_response(op).map(|r| r.content.as_slice()).filter(|c| !c.is_empty())
}

fn success_response(op: &Operation) -> Option<&toolgate_openapi::Response> {
    let rank = |s: &str| match s {
        "200" => 0,
        "201" => 1,
        "202" => 2,
        "203" | "206" => 3,
        s if s.len() == 3 && s.starts_with('2') => 4,
        "2XX" | "2xx" => 5,
        _ => 99,
    };
    op.responses.iter().filter(|r| rank(&r.status) < 99).min_by_key(|r| rank(&r.status))
}

/// Output-side forms of named definitions (the output view, relaxed for the tolerant policy),
/// made once per toolset: a large API shares its definitions among hundreds of tools. Finished
/// output schemas are shared too: operations that return the same document schema (GitHub's
/// API has 450 such pairs among 900 output schemas) get the same `Arc`.
#[derive(Default)]
struct DefCache {
    output: HashMap<String, Value>,
    /// Finished output schemas by the serialized response schema they were made from.
    finished: HashMap<String, Option<SharedOutput>>,
}

/// A finished output schema, whether results are wrapped, and how many definitions the size
/// budget left out.
type SharedOutput = (Arc<Map<String, Value>>, bool, usize);

/// [`output_schema`] with [`allow_escape`] applied when `tolerant`, shared among the operations
/// whose success responses have the same JSON schema.
fn shared_output_schema(
    api: &Api,
    op: &Operation,
    tolerant: bool,
    budget: usize,
    cache: &mut DefCache,
) -> Option<SharedOutput> {
    let make = |schema: Option<(Value, bool, usize)>| {
        schema.map(|(mut schema, wrap, elided)| {
            if tolerant {
                allow_escape(&mut schema);
            }
            (Arc::new(into_map(schema)), wrap, elided)
        })
    };
    match output_source(op)? {
        OutputSource::Stream => make(Some(stream_output(tolerant)).map(|(s, w)| (s, w, 0))),
        OutputSource::Json(schema) => {
            // The key is order-sensitive (the output keeps the document's order).
            let key = serde_json::to_string(schema).ok()?;
            if let Some(done) = cache.finished.get(&key) {
                return done.clone();
            }
            let done = make(output_schema(api, schema, tolerant, budget, cache));
            cache.finished.insert(key, done.clone());
            done
        }
    }
}

/// What the output schema of an operation is made from.
enum OutputSource<'a> {
    /// The schema of the success response's JSON media type.
    Json(&'a Value),
    /// A streamed response (server-sent events, JSON lines, …).
    Stream,
}

fn output_source(op: &Operation) -> Option<OutputSource<'_>> {
    let resp = success_response(op)?;
    let json_media =
        resp.content.iter().find(|m| matches!(body_kind(&m.media_type), BodyKind::Json) && m.media_type != "*/*");
    let Some(media) = json_media else {
        let streams =
            resp.content.iter().any(|m| crate::stream::StreamKind::for_content_type(Some(&m.media_type)).is_some());
        return streams.then_some(OutputSource::Stream);
    };
    media.schema.as_ref().map(OutputSource::Json)
}

fn stream_output(tolerant: bool) -> (Value, bool) {
    let mut s = crate::stream::stream_output_schema();
    if tolerant {
        tolerate(&mut s, 0);
    }
    (s, false)
}

/// The output schema made from a success response's schema (bundled within `budget`,
/// object-rooted, relaxed when `tolerant`), whether results are wrapped, and how many
/// definitions the budget left out.
fn output_schema(
    api: &Api,
    schema: &Value,
    tolerant: bool,
    budget: usize,
    cache: &mut DefCache,
) -> Option<(Value, bool, usize)> {
    let root = match schema {
        Value::Bool(true) => json!({}),
        other => api.schemas.view(other, View::Output),
    };
    let Value::Object(mut root) = root else {
        return None;
    };
    let own_defs = root.shift_remove("$defs");
    // A root that only references a definition: inline that definition.
    if let Some(Value::String(r)) = root.get("$ref").cloned()
        && root.keys().all(|k| k == "$ref" || k == "description" || k == "title")
        && let Some(def) = api.schemas.get_ref(&r)
        && let Value::Object(d) = api.schemas.view(&def.schema, View::Output)
    {
        let desc = root.shift_remove("description");
        root = d;
        if let Some(desc) = desc {
            root.entry("description").or_insert(desc);
        }
    }
    // The definitions the (inlined) root uses: an inlined definition is left out unless it is
    // recursive.
    let (names, elided, own_defs): (Vec<String>, Vec<String>, Option<Value>) = {
        let both = Value::Array(vec![Value::Object(std::mem::take(&mut root)), own_defs.unwrap_or(Value::Null)]);
        let within = api.schemas.dependencies_within(&both, budget);
        let names = within.kept.into_iter().map(str::to_owned).collect();
        let elided = within.elided.into_iter().map(str::to_owned).collect();
        let Value::Array(mut both) = both else { return None };
        let own = both.pop().filter(|d| !d.is_null());
        if let Some(Value::Object(m)) = both.pop() {
            root = m;
        }
        (names, elided, own)
    };
    let elided_set: HashSet<&str> = elided.iter().map(String::as_str).collect();
    if !elided_set.is_empty() {
        let mut v = Value::Object(std::mem::take(&mut root));
        api.schemas.stub_elided(&mut v, &elided_set);
        if let Value::Object(m) = v {
            root = m;
        }
    }
    let is_object = match root.get("type") {
        Some(Value::String(t)) => t == "object",
        Some(Value::Array(_)) => false,
        None => root.contains_key("properties") && !root.contains_key("$ref"),
        _ => false,
    } && !root.contains_key("oneOf")
        && !root.contains_key("anyOf");
    let (out, wrap) = if is_object {
        root.insert("type".into(), json!("object"));
        (root, false)
    } else {
        let mut outer = Map::new();
        outer.insert("type".into(), json!("object"));
        outer.insert("properties".into(), json!({"result": Value::Object(root)}));
        outer.insert("required".into(), json!(["result"]));
        (outer, true)
    };
    let mut out = Value::Object(out);
    if tolerant {
        tolerate(&mut out, 0);
    }
    let defs = match (own_defs, names.is_empty()) {
        (own, true) => own.map(|mut d| {
            if let (true, Value::Object(m)) = (tolerant, &mut d) {
                m.values_mut().for_each(|s| tolerate(s, 1));
            }
            d
        }),
        (own, false) => {
            let mut defs = match own {
                Some(Value::Object(mut m)) => {
                    if tolerant {
                        m.values_mut().for_each(|s| tolerate(s, 1));
                    }
                    m
                }
                _ => Map::new(),
            };
            for name in names {
                let Some(def) = api.schemas.get(&name) else { continue };
                let schema = cache.output.entry(name.clone()).or_insert_with(|| {
                    let mut s = api.schemas.view(&def.schema, View::Output);
                    if tolerant {
                        tolerate(&mut s, 1);
                    }
                    s
                });
                let mut schema = schema.clone();
                if !elided_set.is_empty() {
                    api.schemas.stub_elided(&mut schema, &elided_set);
                }
                defs.insert(name, schema);
            }
            Some(Value::Object(defs))
        }
    };
    if let (Some(d), Value::Object(m)) = (defs, &mut out) {
        m.insert("$defs".into(), d);
    }
    Some((out, wrap, elided.len()))
}

/// Makes sure the escape object (`{"_toolgate": …}`, see [`OutputSchemas::Tolerant`]) fits a
/// tolerant output schema: the root stays `type: object`, and where the root constrains unknown
/// keys the escape key is declared.
fn allow_escape(schema: &mut Value) {
    let Value::Object(m) = schema else { return };
    m.insert("type".into(), json!("object"));
    let constrains =
        m.get("additionalProperties").is_some_and(|a| a != &Value::Bool(true)) || m.contains_key("patternProperties");
    if constrains {
        let props = m.entry("properties").or_insert_with(|| json!({}));
        if let Value::Object(p) = props {
            p.insert(
                crate::output::ESCAPE_KEY.into(),
                json!({"description": "Set instead of the documented fields when a response did not match this schema; the response itself is in the text content."}),
            );
        }
    }
}

/// The tolerant form of an output schema (see [`OutputSchemas::Tolerant`]).
pub(crate) fn tolerate(v: &mut Value, depth: usize) {
    if depth > 64 {
        return;
    }
    match v {
        Value::Bool(false) => *v = Value::Bool(true),
        Value::Object(m) => {
            // One pass over the keys: looking each dropped keyword up would hash it.
            let mut one_of = false;
            m.retain(|k, v| match k.as_str() {
                "required"
                | "enum"
                | "const"
                | "pattern"
                | "format"
                | "minimum"
                | "maximum"
                | "exclusiveMinimum"
                | "exclusiveMaximum"
                | "multipleOf"
                | "minLength"
                | "maxLength"
                | "minItems"
                | "maxItems"
                | "uniqueItems"
                | "minProperties"
                | "maxProperties"
                | "dependentRequired"
                | "propertyNames"
                | "not"
                | "contains"
                | "minContains"
                | "maxContains"
                | "if"
                | "then"
                | "else"
                | "unevaluatedProperties"
                | "unevaluatedItems"
                | "contentSchema"
                // Annotations no client validates and no agent needs to read a result: GitHub's
                // output schemas carry 1.3 MB of them (a sixth of its tools/list).
                | "examples"
                | "example" => false,
                "additionalProperties" => *v != Value::Bool(false),
                "oneOf" => {
                    one_of = true;
                    true
                }
                "type" => {
                    match v {
                        Value::String(t) if t != "null" => {
                            let t = std::mem::take(t);
                            *v = json!([t, "null"]);
                        }
                        Value::Array(ts) if !ts.iter().any(|t| t == "null") => ts.push(json!("null")),
                        _ => {}
                    }
                    true
                }
                "discriminator" => {
                    if let Value::Object(d) = v {
                        d.shift_remove("mapping");
                    }
                    true
                }
                _ => true,
            });
            if one_of && let Some(one) = m.shift_remove("oneOf") {
                m.insert("anyOf".into(), one);
            }
            toolgate_openapi::for_each_subschema(m, |s| tolerate(s, depth + 1));
        }
        _ => {}
    }
}
