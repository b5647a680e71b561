//! Schemas: normalization of OpenAPI schemas to JSON Schema 2020-12, and the `$defs` store.
//!
//! Every `$ref` to a schema (a component, a Swagger definition, or any other place in the
//! document) becomes `{"$ref": "#/$defs/NAME"}` and the target becomes a named [`Def`], so
//! recursive and mutually recursive schemas stay finite. [`Schemas::bundle`] turns a schema
//! that uses such references into a self-contained one with exactly the `$defs` it needs.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value, json};

use crate::docs::{DocSet, Loc};
use crate::error::{Diagnostic, Problem, ProblemKind, Severity};
use crate::pointer;

/// Keywords whose value is one subschema.
const ONE: &[&str] = &[
    "additionalProperties",
    "items",
    "contains",
    "not",
    "if",
    "then",
    "else",
    "propertyNames",
    "unevaluatedItems",
    "unevaluatedProperties",
    "contentSchema",
    "additionalItems",
];
/// Keywords whose value maps names to subschemas.
const MAP: &[&str] = &["properties", "patternProperties", "dependentSchemas", "$defs", "definitions"];
/// Keywords whose value is a list of subschemas.
const LIST: &[&str] = &["allOf", "anyOf", "oneOf", "prefixItems"];

const TYPES: &[&str] = &["array", "boolean", "integer", "number", "null", "object", "string"];
const REF_PREFIX: &str = "#/$defs/";
const MAX_DEPTH: usize = 256;

/// A named schema, usable as `#/$defs/NAME`.
#[derive(Debug, Clone)]
pub struct Def {
    /// The name under `$defs`.
    pub name: String,
    /// Where the schema is in the source (`/components/schemas/Pet`).
    pub pointer: String,
    /// The normalized schema.
    pub schema: Value,
    deps: Vec<usize>,
    read_only: bool,
    write_only: bool,
}

/// Which side of a call a schema is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// As written: `readOnly` and `writeOnly` properties kept.
    Neutral,
    /// Arguments sent to the API: `readOnly` properties left out.
    Input,
    /// Data returned by the API: `writeOnly` properties left out.
    Output,
}

/// Every named schema of an [`Api`](crate::Api).
#[derive(Debug, Clone, Default)]
pub struct Schemas {
    defs: Vec<Def>,
    by_name: HashMap<String, usize>,
}

impl Schemas {
    /// How many named schemas there are.
    pub fn len(&self) -> usize {
        self.defs.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.defs.is_empty()
    }

    /// The named schemas in a stable order.
    pub fn iter(&self) -> impl Iterator<Item = &Def> {
        self.defs.iter()
    }

    /// A named schema.
    pub fn get(&self, name: &str) -> Option<&Def> {
        self.by_name.get(name).map(|&i| &self.defs[i])
    }

    /// The definition a `#/$defs/NAME` reference names.
    pub fn get_ref(&self, reference: &str) -> Option<&Def> {
        reference.strip_prefix(REF_PREFIX).and_then(|n| self.get(n))
    }

    /// Follows a schema that is only a `$ref` (plus annotations such as `description`) to the
    /// schema it names, through chains of such references.
    pub fn resolve<'a>(&'a self, mut schema: &'a Value) -> &'a Value {
        for _ in 0..32 {
            let Some(map) = schema.as_object() else {
                return schema;
            };
            let Some(Value::String(r)) = map.get("$ref") else {
                return schema;
            };
            if map.keys().any(|k| k != "$ref" && !is_annotation(k)) {
                return schema;
            }
            match self.get_ref(r) {
                Some(def) => schema = &def.schema,
                None => return schema,
            }
        }
        schema
    }

    /// Applies a view to one schema, without bundling.
    pub fn view(&self, schema: &Value, view: View) -> Value {
        let mut out = schema.clone();
        if let Some(flag) = view.flag() {
            self.strip(&mut out, flag, 0);
        }
        out
    }

    /// A self-contained copy of `root` for one side of a call: the view applied, and every
    /// definition it (transitively) references placed under `$defs`, and nothing else.
    pub fn bundle(&self, root: &Value, view: View) -> Value {
        let mut root = match root {
            Value::Bool(true) => json!({}),
            other => self.view(other, view),
        };
        let closure = self.closure(&root);
        if closure.is_empty() {
            return root;
        }
        let Value::Object(map) = &mut root else {
            return root;
        };
        let mut defs = match map.shift_remove("$defs") {
            Some(Value::Object(existing)) => existing,
            _ => Map::new(),
        };
        for i in closure {
            let def = &self.defs[i];
            let needs_view = match view {
                View::Neutral => false,
                View::Input => def.read_only,
                View::Output => def.write_only,
            };
            let schema = if needs_view { self.view(&def.schema, view) } else { def.schema.clone() };
            defs.insert(def.name.clone(), schema);
        }
        map.insert("$defs".into(), Value::Object(defs));
        root
    }

    /// Indices of every definition `schema` uses, directly or not, in index order.
    fn closure(&self, schema: &Value) -> Vec<usize> {
        let mut seen = HashSet::new();
        let mut stack = Vec::new();
        collect_refs(schema, &mut |name| {
            if let Some(&i) = self.by_name.get(name)
                && seen.insert(i)
            {
                stack.push(i);
            }
        });
        while let Some(i) = stack.pop() {
            for &d in &self.defs[i].deps {
                if seen.insert(d) {
                    stack.push(d);
                }
            }
        }
        let mut out: Vec<usize> = seen.into_iter().collect();
        out.sort_unstable();
        out
    }

    /// Names of every definition `schema` uses, directly or not, in a stable order.
    pub fn dependencies(&self, schema: &Value) -> Vec<&str> {
        self.closure(schema).into_iter().map(|i| self.defs[i].name.as_str()).collect()
    }

    fn flagged(&self, schema: &Value, flag: &str) -> bool {
        let Some(map) = schema.as_object() else {
            return false;
        };
        if map.get(flag) == Some(&Value::Bool(true)) {
            return true;
        }
        match map.get("$ref") {
            Some(Value::String(r)) => self.get_ref(r).is_some_and(|d| d.schema.get(flag) == Some(&Value::Bool(true))),
            _ => false,
        }
    }

    fn strip(&self, v: &mut Value, flag: &str, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        let Value::Object(map) = v else { return };
        let mut removed = Vec::new();
        if let Some(Value::Object(props)) = map.get("properties") {
            removed = props.iter().filter(|(_, s)| self.flagged(s, flag)).map(|(k, _)| k.clone()).collect();
        }
        if !removed.is_empty() {
            if let Some(Value::Object(props)) = map.get_mut("properties") {
                for k in &removed {
                    props.shift_remove(k);
                }
            }
            if let Some(Value::Array(req)) = map.get_mut("required") {
                req.retain(|r| r.as_str().is_none_or(|r| !removed.iter().any(|k| k == r)));
            }
        }
        for_each_subschema_mut(map, |s| self.strip(s, flag, depth + 1));
    }
}

impl View {
    fn flag(self) -> Option<&'static str> {
        match self {
            View::Neutral => None,
            View::Input => Some("readOnly"),
            View::Output => Some("writeOnly"),
        }
    }
}

fn is_annotation(k: &str) -> bool {
    matches!(k, "description" | "title" | "examples" | "default" | "deprecated" | "$comment") || k.starts_with("x-")
}

/// Calls `f` on every direct subschema of a schema object (the values of `properties`,
/// `items`, `allOf`, `$defs`, …), and on nothing else.
pub fn for_each_subschema_mut(map: &mut Map<String, Value>, mut f: impl FnMut(&mut Value)) {
    for (k, v) in map.iter_mut() {
        let k = k.as_str();
        if ONE.contains(&k) {
            f(v);
        } else if MAP.contains(&k) {
            if let Value::Object(m) = v {
                m.values_mut().for_each(&mut f);
            }
        } else if LIST.contains(&k)
            && let Value::Array(a) = v
        {
            a.iter_mut().for_each(&mut f);
        }
    }
}

/// Calls `f` with the name of every `#/$defs/NAME` reference in `v` (and discriminator mappings).
pub(crate) fn collect_refs(v: &Value, f: &mut impl FnMut(&str)) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                match (k.as_str(), child) {
                    ("$ref", Value::String(r)) => {
                        if let Some(name) = r.strip_prefix(REF_PREFIX) {
                            f(name);
                        }
                    }
                    ("mapping", Value::Object(m)) => {
                        for t in m.values() {
                            if let Some(name) = t.as_str().and_then(|r| r.strip_prefix(REF_PREFIX)) {
                                f(name);
                            }
                        }
                    }
                    ("enum" | "const" | "default" | "examples", _) => {}
                    _ => collect_refs(child, f),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect_refs(i, f)),
        _ => {}
    }
}

fn contains_flag(v: &Value, flag: &str, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return false;
    }
    match v {
        Value::Object(map) => {
            if map
                .get("properties")
                .and_then(Value::as_object)
                .is_some_and(|p| p.values().any(|s| s.get(flag) == Some(&Value::Bool(true))))
            {
                return true;
            }
            map.iter().any(|(k, c)| {
                (ONE.contains(&k.as_str()) && contains_flag(c, flag, depth + 1))
                    || (MAP.contains(&k.as_str())
                        && c.as_object().is_some_and(|m| m.values().any(|s| contains_flag(s, flag, depth + 1))))
                    || (LIST.contains(&k.as_str())
                        && c.as_array().is_some_and(|a| a.iter().any(|s| contains_flag(s, flag, depth + 1))))
            })
        }
        _ => false,
    }
}

/// Makes a name usable under `$defs` and in a `$ref` without escaping.
fn sanitize_name(raw: &str) -> String {
    let s: String =
        raw.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '_' }).collect();
    if s.is_empty() { "schema".to_owned() } else { s }
}

struct Slot {
    name: String,
    loc: Loc,
    schema: Option<Value>,
    deps: Vec<usize>,
    problem: Option<Problem>,
}

/// Normalizes schemas while a document is read, and collects the definitions they use.
pub(crate) struct Builder<'d> {
    docs: &'d DocSet,
    swagger: bool,
    slots: Vec<Slot>,
    by_loc: HashMap<Loc, usize>,
    names: HashSet<String>,
    next: usize,
    deps: Vec<usize>,
    pub diagnostics: Vec<Diagnostic>,
}

impl<'d> Builder<'d> {
    pub fn new(docs: &'d DocSet, swagger: bool) -> Builder<'d> {
        Builder {
            docs,
            swagger,
            slots: Vec::new(),
            by_loc: HashMap::new(),
            names: HashSet::new(),
            next: 0,
            deps: Vec::new(),
            diagnostics: Vec::new(),
        }
    }

    /// Reserves clean names for the document's named schemas, in document order, so that they
    /// keep their own names whatever else is referenced first.
    pub fn reserve_names(&mut self, container: &str) {
        let Some(Value::Object(map)) = self.docs.value(&Loc::new(0, container)) else {
            return;
        };
        for key in map.keys() {
            self.slot(Loc::new(0, pointer::join(container, key)));
        }
    }

    /// Definitions referenced since the last call.
    pub fn take_deps(&mut self) -> Vec<usize> {
        std::mem::take(&mut self.deps)
    }

    /// Normalizes the schema at `at`.
    pub fn schema(&mut self, raw: &Value, at: &Loc) -> Result<Value, Problem> {
        let mut ptr = at.ptr.clone();
        self.norm(raw, at.doc, &mut ptr, 0)
    }

    fn warn(&mut self, doc: usize, ptr: &str, message: String) {
        let origin = self.docs.origin(doc);
        let pointer = if doc == 0 { ptr.to_owned() } else { format!("{origin}#{ptr}") };
        self.diagnostics.push(Diagnostic { severity: Severity::Warning, pointer, message });
    }

    fn slot(&mut self, loc: Loc) -> usize {
        if let Some(&i) = self.by_loc.get(&loc) {
            return i;
        }
        let tokens: Vec<String> = loc.ptr.split('/').skip(1).map(pointer::unescape).collect();
        let base = match tokens.as_slice() {
            [c, s, name] if c == "components" && s == "schemas" => sanitize_name(name),
            [d, name] if d == "definitions" => sanitize_name(name),
            [] => sanitize_name(
                self.docs.origin(loc.doc).rsplit(['/', '\\']).next().unwrap_or("doc").trim_end_matches(".json"),
            ),
            _ => {
                let mut s = sanitize_name(&tokens.join("_"));
                s.truncate(96);
                s
            }
        };
        let mut name = base.clone();
        let mut n = 2;
        while self.names.contains(&name) {
            name = format!("{base}_{n}");
            n += 1;
        }
        self.names.insert(name.clone());
        let i = self.slots.len();
        self.slots.push(Slot { name, loc: loc.clone(), schema: None, deps: Vec::new(), problem: None });
        self.by_loc.insert(loc, i);
        i
    }

    fn norm(&mut self, raw: &Value, doc: usize, ptr: &mut String, depth: usize) -> Result<Value, Problem> {
        if depth > MAX_DEPTH {
            return Err(self.docs.problem(
                &Loc::new(doc, ptr.clone()),
                ProblemKind::Shape,
                "schema is nested too deeply",
            ));
        }
        let map = match raw {
            Value::Object(m) => m,
            Value::Bool(b) => return Ok(Value::Bool(*b)),
            other => {
                return Err(self.docs.problem(
                    &Loc::new(doc, ptr.clone()),
                    ProblemKind::Shape,
                    format!("a schema must be an object or a boolean, found {}", kind_of(other)),
                ));
            }
        };
        let mut out = Map::with_capacity(map.len());
        let mut nullable = false;
        let mut example = None;
        let mut exclusive_min = false;
        let mut exclusive_max = false;
        let mut required_children: Vec<String> = Vec::new();
        for (key, value) in map {
            let k = key.as_str();
            match k {
                "$ref" => {
                    let Value::String(r) = value else {
                        return Err(self.docs.problem(
                            &Loc::new(doc, pointer::join(ptr, "$ref")),
                            ProblemKind::Shape,
                            "$ref must be a string",
                        ));
                    };
                    let target = self.docs.target(&Loc::new(doc, ptr.clone()), r)?;
                    let i = self.slot(target);
                    self.deps.push(i);
                    out.insert("$ref".into(), Value::String(format!("{REF_PREFIX}{}", self.slots[i].name)));
                }
                "nullable" | "x-nullable" => nullable = value == &Value::Bool(true),
                "example" => example = Some(value.clone()),
                "xml" | "externalDocs" | "$schema" | "$id" => {}
                "exclusiveMinimum" | "exclusiveMaximum" if value.is_boolean() => {
                    if k == "exclusiveMinimum" {
                        exclusive_min = value == &Value::Bool(true);
                    } else {
                        exclusive_max = value == &Value::Bool(true);
                    }
                }
                _ if ONE.contains(&k) => {
                    if k == "items"
                        && let Value::Array(list) = value
                    {
                        // draft-4 tuple form
                        let items = self.norm_list(list, doc, ptr, k, depth)?;
                        out.insert("prefixItems".into(), Value::Array(items));
                        continue;
                    }
                    if value.is_object() || value.is_boolean() {
                        let child = self.child(value, doc, ptr, &[k], depth)?;
                        out.insert(key.clone(), child);
                    } else {
                        self.warn(doc, &pointer::join(ptr, k), format!("`{k}` must be a schema; dropped"));
                    }
                }
                _ if MAP.contains(&k) => {
                    let Value::Object(children) = value else {
                        self.warn(doc, &pointer::join(ptr, k), format!("`{k}` must be an object; dropped"));
                        continue;
                    };
                    let mut m = Map::with_capacity(children.len());
                    for (name, child) in children {
                        if k == "properties" && child.get("required") == Some(&Value::Bool(true)) {
                            required_children.push(name.clone());
                        }
                        m.insert(name.clone(), self.child(child, doc, ptr, &[k, name], depth)?);
                    }
                    out.insert(key.clone(), Value::Object(m));
                }
                _ if LIST.contains(&k) => {
                    let Value::Array(list) = value else {
                        self.warn(doc, &pointer::join(ptr, k), format!("`{k}` must be an array; dropped"));
                        continue;
                    };
                    if list.is_empty() {
                        continue;
                    }
                    let items = self.norm_list(list, doc, ptr, k, depth)?;
                    out.insert(key.clone(), Value::Array(items));
                }
                "type" => {
                    if let Some(t) = self.norm_type(value, doc, ptr, &mut out) {
                        out.insert("type".into(), t);
                    }
                }
                "required" => match value {
                    Value::Array(list) => {
                        let mut seen = HashSet::new();
                        let names: Vec<Value> = list
                            .iter()
                            .filter_map(|v| v.as_str())
                            .filter(|s| seen.insert(*s))
                            .map(|s| Value::String(s.to_owned()))
                            .collect();
                        out.insert("required".into(), Value::Array(names));
                    }
                    Value::Bool(_) => {} // handled by the parent (see `required_children`)
                    _ => self.warn(doc, &pointer::join(ptr, k), "`required` must be an array of names; dropped".into()),
                },
                "enum" => match value {
                    Value::Array(list) => {
                        let mut uniq: Vec<Value> = Vec::with_capacity(list.len());
                        for v in list {
                            if !uniq.contains(v) {
                                uniq.push(v.clone());
                            }
                        }
                        out.insert("enum".into(), Value::Array(uniq));
                    }
                    other => {
                        self.warn(
                            doc,
                            &pointer::join(ptr, k),
                            "`enum` must be an array; read as a one-value enum".into(),
                        );
                        out.insert("enum".into(), Value::Array(vec![other.clone()]));
                    }
                },
                "examples" => {
                    let list = match value {
                        Value::Array(a) => a.clone(),
                        other => vec![other.clone()],
                    };
                    out.insert("examples".into(), Value::Array(list));
                }
                "minimum" | "maximum" | "multipleOf" | "exclusiveMinimum" | "exclusiveMaximum" => {
                    let ok = value.as_f64().is_some_and(|n| k != "multipleOf" || n > 0.0);
                    if ok {
                        out.insert(key.clone(), value.clone());
                    } else {
                        self.warn(doc, &pointer::join(ptr, k), format!("`{k}` must be a number; dropped"));
                    }
                }
                "minLength" | "maxLength" | "minItems" | "maxItems" | "minProperties" | "maxProperties"
                | "minContains" | "maxContains" => match value.as_f64() {
                    Some(n) if n >= 0.0 && n.fract() == 0.0 => {
                        out.insert(key.clone(), json!(n as u64));
                    }
                    _ => {
                        self.warn(doc, &pointer::join(ptr, k), format!("`{k}` must be a non-negative integer; dropped"))
                    }
                },
                "pattern" | "format" | "title" | "description" | "$comment" | "contentEncoding"
                | "contentMediaType" => {
                    if value.is_string() {
                        out.insert(key.clone(), value.clone());
                    } else {
                        self.warn(doc, &pointer::join(ptr, k), format!("`{k}` must be a string; dropped"));
                    }
                }
                "uniqueItems" | "readOnly" | "writeOnly" | "deprecated" => {
                    if value.is_boolean() {
                        out.insert(key.clone(), value.clone());
                    } else {
                        self.warn(doc, &pointer::join(ptr, k), format!("`{k}` must be a boolean; dropped"));
                    }
                }
                "discriminator" => {
                    let d = self.norm_discriminator(value, doc, ptr)?;
                    out.insert(key.clone(), d);
                }
                _ => {
                    out.insert(key.clone(), value.clone());
                }
            }
        }
        if !required_children.is_empty() {
            let req = out.entry("required").or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(list) = req {
                for name in required_children {
                    if !list.iter().any(|v| v.as_str() == Some(&name)) {
                        list.push(Value::String(name));
                    }
                }
            }
        }
        if exclusive_min && let Some(m) = out.shift_remove("minimum") {
            out.insert("exclusiveMinimum".into(), m);
        }
        if exclusive_max && let Some(m) = out.shift_remove("maximum") {
            out.insert("exclusiveMaximum".into(), m);
        }
        if let Some(ex) = example {
            out.entry("examples").or_insert_with(|| Value::Array(vec![ex]));
        }
        let is_array = match out.get("type") {
            Some(Value::String(t)) => t == "array",
            Some(Value::Array(ts)) => ts.iter().any(|t| t == "array"),
            _ => false,
        };
        if is_array && !out.contains_key("items") && !out.contains_key("prefixItems") {
            out.insert("items".into(), json!({}));
        }
        if nullable {
            out = make_nullable(out);
        }
        Ok(Value::Object(out))
    }

    fn child(
        &mut self,
        v: &Value,
        doc: usize,
        ptr: &mut String,
        tokens: &[&str],
        depth: usize,
    ) -> Result<Value, Problem> {
        let len = ptr.len();
        for t in tokens {
            ptr.push('/');
            ptr.push_str(&pointer::escape(t));
        }
        let r = self.norm(v, doc, ptr, depth + 1);
        ptr.truncate(len);
        r
    }

    fn norm_list(
        &mut self,
        list: &[Value],
        doc: usize,
        ptr: &mut String,
        k: &str,
        depth: usize,
    ) -> Result<Vec<Value>, Problem> {
        let mut items = Vec::with_capacity(list.len());
        for (i, item) in list.iter().enumerate() {
            items.push(self.child(item, doc, ptr, &[k, &i.to_string()], depth)?);
        }
        Ok(items)
    }

    fn norm_type(&mut self, value: &Value, doc: usize, ptr: &str, out: &mut Map<String, Value>) -> Option<Value> {
        let fix = |t: &str, out: &mut Map<String, Value>| -> Option<String> {
            match t {
                _ if TYPES.contains(&t) => Some(t.to_owned()),
                "file" => {
                    out.entry("format").or_insert_with(|| Value::String("binary".into()));
                    Some("string".to_owned())
                }
                _ => None,
            }
        };
        match value {
            Value::String(t) => match fix(t, out) {
                Some(t) => Some(Value::String(t)),
                None => {
                    self.warn(doc, &pointer::join(ptr, "type"), format!("unknown type `{t}`; dropped"));
                    None
                }
            },
            Value::Array(ts) => {
                let mut list: Vec<Value> = Vec::new();
                for t in ts {
                    match t.as_str().and_then(|t| fix(t, out)) {
                        Some(t) if !list.iter().any(|x| x == t.as_str()) => list.push(Value::String(t)),
                        Some(_) => {}
                        None => self.warn(doc, &pointer::join(ptr, "type"), format!("unknown type {t}; dropped")),
                    }
                }
                (!list.is_empty()).then_some(Value::Array(list))
            }
            other => {
                self.warn(
                    doc,
                    &pointer::join(ptr, "type"),
                    format!("`type` must be a string or an array, found {}; dropped", kind_of(other)),
                );
                None
            }
        }
    }

    fn norm_discriminator(&mut self, value: &Value, doc: usize, ptr: &str) -> Result<Value, Problem> {
        let mut d = match value {
            Value::String(prop) => return Ok(json!({"propertyName": prop})),
            Value::Object(m) => m.clone(),
            _ => return Ok(value.clone()),
        };
        if let Some(Value::Object(mapping)) = d.get("mapping").cloned() {
            let at = Loc::new(doc, pointer::join(ptr, "discriminator"));
            let mut out = Map::new();
            for (key, target) in mapping {
                let Some(t) = target.as_str() else { continue };
                let reference = if t.contains('#') || t.contains('/') {
                    t.to_owned()
                } else if self.swagger {
                    format!("#/definitions/{t}")
                } else {
                    format!("#/components/schemas/{t}")
                };
                let loc = self.docs.target(&at, &reference)?;
                let i = self.slot(loc);
                self.deps.push(i);
                out.insert(key, Value::String(format!("{REF_PREFIX}{}", self.slots[i].name)));
            }
            d.insert("mapping".into(), Value::Object(out));
        }
        Ok(Value::Object(d))
    }

    /// Normalizes every definition referenced so far (and those they reference), then returns
    /// the store and, per definition index, the problem that made it unusable, if any.
    pub fn finish(mut self) -> (Schemas, Vec<Diagnostic>, HashMap<usize, Problem>) {
        while self.next < self.slots.len() {
            let i = self.next;
            self.next += 1;
            let loc = self.slots[i].loc.clone();
            let saved = std::mem::take(&mut self.deps);
            let result = match self.docs.value(&loc) {
                Some(raw) => self.schema(raw, &loc),
                None => Err(self.docs.problem(&loc, ProblemKind::DanglingRef, "points to nothing")),
            };
            let deps = std::mem::replace(&mut self.deps, saved);
            let slot = &mut self.slots[i];
            slot.deps = deps;
            match result {
                Ok(s) => slot.schema = Some(s),
                Err(p) => slot.problem = Some(p),
            }
        }
        self.alias_cycles();
        let mut problems = HashMap::new();
        let mut defs = Vec::with_capacity(self.slots.len());
        let mut by_name = HashMap::with_capacity(self.slots.len());
        for (i, slot) in self.slots.into_iter().enumerate() {
            if let Some(p) = slot.problem {
                problems.insert(i, p);
            }
            let schema = slot.schema.unwrap_or(Value::Bool(true));
            by_name.insert(slot.name.clone(), i);
            defs.push(Def {
                read_only: contains_flag(&schema, "readOnly", 0),
                write_only: contains_flag(&schema, "writeOnly", 0),
                name: slot.name,
                pointer: slot.loc.ptr,
                schema,
                deps: slot.deps,
            });
        }
        (Schemas { defs, by_name }, self.diagnostics, problems)
    }
}

impl Builder<'_> {
    /// Marks definitions that are only `$ref`s (plus annotations) leading back to themselves,
    /// such as `A: {$ref: B}`, `B: {$ref: A}`: they never reach a schema.
    fn alias_cycles(&mut self) {
        let index: HashMap<&str, usize> = self.slots.iter().enumerate().map(|(i, s)| (s.name.as_str(), i)).collect();
        let alias = |slot: &Slot| -> Option<usize> {
            let map = slot.schema.as_ref()?.as_object()?;
            let target = map.get("$ref")?.as_str()?.strip_prefix(REF_PREFIX)?;
            map.keys().all(|k| k == "$ref" || is_annotation(k)).then(|| index.get(target).copied()).flatten()
        };
        let mut found = Vec::new();
        for i in 0..self.slots.len() {
            if self.slots[i].problem.is_some() {
                continue;
            }
            let mut chain = vec![i];
            let mut cur = i;
            while let Some(next) = alias(&self.slots[cur]) {
                if next == i {
                    let names: Vec<String> = chain
                        .iter()
                        .chain(std::iter::once(&i))
                        .map(|&j| format!("#{}", self.slots[j].loc.ptr))
                        .collect();
                    let message = format!("reference cycle: {}", names.join(" → "));
                    found.push((i, self.docs.problem(&self.slots[i].loc, ProblemKind::RefCycle, message)));
                    break;
                }
                if chain.contains(&next) {
                    break;
                }
                chain.push(next);
                cur = next;
            }
        }
        for (i, p) in found {
            self.slots[i].problem = Some(p);
        }
    }
}

/// Returns the first problem among the definitions `deps` uses, directly or not.
pub(crate) fn closure_problem<'p>(
    schemas: &Schemas,
    deps: &[usize],
    problems: &'p HashMap<usize, Problem>,
) -> Option<&'p Problem> {
    if problems.is_empty() {
        return None;
    }
    let mut seen: HashSet<usize> = HashSet::new();
    let mut stack: Vec<usize> = deps.to_vec();
    while let Some(i) = stack.pop() {
        if !seen.insert(i) {
            continue;
        }
        if let Some(p) = problems.get(&i) {
            return Some(p);
        }
        stack.extend(schemas.defs[i].deps.iter().copied());
    }
    None
}

/// OpenAPI 3.0 `nullable: true` in JSON Schema 2020-12 terms.
pub(crate) fn make_nullable(mut out: Map<String, Value>) -> Map<String, Value> {
    if let Some(Value::Array(e)) = out.get_mut("enum")
        && !e.contains(&Value::Null)
    {
        e.push(Value::Null);
    }
    let composite = ["$ref", "allOf", "anyOf", "oneOf"].iter().any(|k| out.contains_key(*k));
    match out.get_mut("type") {
        Some(Value::String(t)) => {
            if t != "null" {
                let t = std::mem::take(t);
                out.insert("type".into(), json!([t, "null"]));
            }
            out
        }
        Some(Value::Array(ts)) => {
            if !ts.iter().any(|t| t == "null") {
                ts.push(Value::String("null".into()));
            }
            out
        }
        _ if composite => {
            let mut outer = Map::new();
            for k in ["title", "description", "default", "examples", "readOnly", "writeOnly", "deprecated"] {
                if let Some(v) = out.shift_remove(k) {
                    outer.insert(k.into(), v);
                }
            }
            outer.insert("anyOf".into(), json!([Value::Object(out), {"type": "null"}]));
            outer
        }
        _ => out,
    }
}

pub(crate) fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
