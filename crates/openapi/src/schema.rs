//! Schemas: normalization of OpenAPI schemas to JSON Schema 2020-12, and the `$defs` store.
//!
//! Every `$ref` to a schema (a component, a Swagger definition, or any other place in the
//! document) becomes `{"$ref": "#/$defs/NAME"}` and the target becomes a named [`Def`], so
//! recursive and mutually recursive schemas stay finite. [`Schemas::bundle`] turns a schema
//! that uses such references into a self-contained one with exactly the `$defs` it needs.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use serde_json::{Map, Value, json};

use crate::docs::{DocSet, Loc};
use crate::error::{Diagnostic, Problem, ProblemKind, Severity};
use crate::pointer;

/// How a keyword's value holds subschemas.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Keyword {
    /// The value is one subschema.
    One,
    /// The value maps names to subschemas.
    Map,
    /// The value is a list of subschemas.
    List,
    /// The value holds no subschema.
    Other,
}

fn keyword(k: &str) -> Keyword {
    match k {
        "additionalProperties"
        | "items"
        | "contains"
        | "not"
        | "if"
        | "then"
        | "else"
        | "propertyNames"
        | "unevaluatedItems"
        | "unevaluatedProperties"
        | "contentSchema"
        | "additionalItems" => Keyword::One,
        "properties" | "patternProperties" | "dependentSchemas" | "$defs" | "definitions" => Keyword::Map,
        "allOf" | "anyOf" | "oneOf" | "prefixItems" => Keyword::List,
        _ => Keyword::Other,
    }
}

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
    /// The serialized size of each definition, measured on first use by a budget.
    sizes: OnceLock<Vec<usize>>,
}

/// Which definitions a schema may carry within a size budget (see
/// [`Schemas::dependencies_within`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Within<'a> {
    /// The definitions kept, in a stable order.
    pub kept: Vec<&'a str>,
    /// The definitions left out: references to them become stubs ([`Schemas::stub_elided`]).
    pub elided: Vec<&'a str>,
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
        self.view_owned(schema.clone(), view)
    }

    /// [`Schemas::view`] of a schema given by value: the view is applied to it, not to a copy.
    pub fn view_owned(&self, mut schema: Value, view: View) -> Value {
        if let Some(flag) = view.flag() {
            self.strip(&mut schema, flag, 0);
        }
        schema
    }

    /// A self-contained copy of `root` for one side of a call: the view applied, and every
    /// definition it (transitively) references placed under `$defs`, and nothing else.
    pub fn bundle(&self, root: &Value, view: View) -> Value {
        self.bundle_owned(root.clone(), view)
    }

    /// [`Schemas::bundle`] of a schema given by value: it becomes the bundle's root, not a copy
    /// of it.
    pub fn bundle_owned(&self, root: Value, view: View) -> Value {
        self.bundle_within(root, view, usize::MAX).0
    }

    /// [`Schemas::bundle_owned`] within a budget of about `budget` bytes of JSON (see
    /// [`Schemas::dependencies_within`]), and the names of the definitions left out.
    pub fn bundle_within(&self, root: Value, view: View, budget: usize) -> (Value, Vec<String>) {
        let mut root = match root {
            Value::Bool(true) => json!({}),
            other => self.view_owned(other, view),
        };
        let within = self.dependencies_within(&root, budget);
        if within.kept.is_empty() && within.elided.is_empty() {
            return (root, Vec::new());
        }
        let elided: HashSet<&str> = within.elided.iter().copied().collect();
        if !elided.is_empty() {
            self.stub(&mut root, &elided, 0);
        }
        let Value::Object(map) = &mut root else {
            return (root, Vec::new());
        };
        let mut defs = match map.shift_remove("$defs") {
            Some(Value::Object(existing)) => existing,
            _ => Map::new(),
        };
        for name in &within.kept {
            let Some(def) = self.get(name) else { continue };
            let needs_view = match view {
                View::Neutral => false,
                View::Input => def.read_only,
                View::Output => def.write_only,
            };
            let mut schema = if needs_view { self.view(&def.schema, view) } else { def.schema.clone() };
            if !elided.is_empty() {
                self.stub(&mut schema, &elided, 0);
            }
            defs.insert(def.name.clone(), schema);
        }
        if !defs.is_empty() {
            map.insert("$defs".into(), Value::Object(defs));
        }
        (root, within.elided.into_iter().map(str::to_owned).collect())
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

    /// Whether a view leaves a property with this schema out of its object (an input leaves
    /// `readOnly` properties out, an output `writeOnly` ones), as [`Schemas::view`] does.
    pub fn hides(&self, property: &Value, view: View) -> bool {
        view.flag().is_some_and(|flag| self.flagged(property, flag))
    }

    /// Names of every definition `schema` uses, directly or not, in a stable order.
    pub fn dependencies(&self, schema: &Value) -> Vec<&str> {
        self.closure(schema).into_iter().map(|i| self.defs[i].name.as_str()).collect()
    }

    /// [`Schemas::dependencies`] within a budget of about `budget` bytes of JSON for the schema
    /// and its definitions together. When everything fits, every definition is kept. Otherwise
    /// the definitions nearest to the schema (by how many references away they are) are kept
    /// while they fit, and the rest are left out: a model sees the top of a huge schema
    /// (Microsoft Graph's entities reach 1,700 definitions and 2 MB) rather than nothing.
    pub fn dependencies_within(&self, schema: &Value, budget: usize) -> Within<'_> {
        let name = |i: usize| self.defs[i].name.as_str();
        let closure = self.closure(schema);
        let keep_all =
            |closure: Vec<usize>| Within { kept: closure.into_iter().map(name).collect(), elided: Vec::new() };
        if closure.is_empty() || budget == usize::MAX {
            return keep_all(closure); // nothing to measure
        }
        let sizes = self.sizes();
        let own = json_len(schema);
        if closure.iter().map(|&i| sizes[i]).sum::<usize>().saturating_add(own) <= budget {
            return keep_all(closure);
        }
        let mut room = budget.saturating_sub(own);
        let mut kept = Vec::new();
        let mut seen: HashSet<usize> = HashSet::new();
        let mut level: Vec<usize> = Vec::new();
        collect_refs(schema, &mut |n| {
            if let Some(&i) = self.by_name.get(n)
                && seen.insert(i)
            {
                level.push(i);
            }
        });
        // Breadth first, one distance at a time, each distance in index order: deterministic.
        'levels: while !level.is_empty() {
            level.sort_unstable();
            let mut next = Vec::new();
            for &i in &level {
                if sizes[i] > room {
                    break 'levels;
                }
                room -= sizes[i];
                kept.push(i);
                for &d in &self.defs[i].deps {
                    if seen.insert(d) {
                        next.push(d);
                    }
                }
            }
            level = next;
        }
        kept.sort_unstable();
        let keep: HashSet<usize> = kept.iter().copied().collect();
        let elided = closure.into_iter().filter(|i| !keep.contains(i)).map(name).collect();
        Within { kept: kept.into_iter().map(name).collect(), elided }
    }

    /// Replaces every reference to an `elided` definition in `schema` (a bundle's root or one of
    /// its kept definitions) by a stub that accepts any value of the definition's type and says
    /// what was left out. Discriminator mappings to them are dropped.
    pub fn stub_elided(&self, schema: &mut Value, elided: &HashSet<&str>) {
        self.stub(schema, elided, 0);
    }

    fn stub(&self, v: &mut Value, elided: &HashSet<&str>, depth: usize) {
        let Value::Object(map) = v else { return };
        if depth > MAX_DEPTH {
            return;
        }
        let target = match map.get("$ref") {
            Some(Value::String(r)) => r.strip_prefix(REF_PREFIX).filter(|n| elided.contains(n)).map(str::to_owned),
            _ => None,
        };
        if let Some(name) = target {
            map.shift_remove("$ref");
            let def = self.get(&name).and_then(|d| d.schema.as_object());
            if let Some(t) = def.and_then(|d| d.get("type")) {
                map.entry("type").or_insert_with(|| t.clone());
            }
            if !map.contains_key("description") {
                let what = def.and_then(|d| d.get("description")).and_then(Value::as_str).map_or(String::new(), |d| {
                    let d: String = d.chars().take(200).collect();
                    format!(": {}", d.trim_end())
                });
                map.insert(
                    "description".into(),
                    Value::String(format!(
                        "A `{name}`{what} (its schema is left out to keep this tool's schema small)"
                    )),
                );
            }
        }
        if let Some(Value::Object(disc)) = map.get_mut("discriminator")
            && let Some(Value::Object(mapping)) = disc.get_mut("mapping")
        {
            mapping
                .retain(|_, t| t.as_str().and_then(|r| r.strip_prefix(REF_PREFIX)).is_none_or(|n| !elided.contains(n)));
        }
        for_each_subschema_mut(map, |s| self.stub(s, elided, depth + 1));
    }

    fn sizes(&self) -> &[usize] {
        self.sizes.get_or_init(|| self.defs.iter().map(|d| json_len(&d.schema) + d.name.len() + 4).collect())
    }

    fn flagged(&self, schema: &Value, flag: &str) -> bool {
        let Some(map) = schema.as_object() else {
            return false;
        };
        if field(map, flag) == Some(&Value::Bool(true)) {
            return true;
        }
        match field(map, "$ref") {
            Some(Value::String(r)) => self
                .get_ref(r)
                .is_some_and(|d| d.schema.as_object().and_then(|m| field(m, flag)) == Some(&Value::Bool(true))),
            _ => false,
        }
    }

    fn strip(&self, v: &mut Value, flag: &str, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        let Value::Object(map) = v else { return };
        let mut removed = Vec::new();
        if let Some(Value::Object(props)) = field(map, "properties") {
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

/// `map.get(key)`, by a look at each key when the map is small: hashing the key costs more.
fn field<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    if map.len() <= 8 { map.iter().find_map(|(k, v)| (k == key).then_some(v)) } else { map.get(key) }
}

fn is_annotation(k: &str) -> bool {
    matches!(k, "description" | "title" | "examples" | "default" | "deprecated" | "$comment") || k.starts_with("x-")
}

/// Calls `f` on every direct subschema of a schema object (the values of `properties`,
/// `items`, `allOf`, `$defs`, …), and on nothing else.
pub fn for_each_subschema_mut(map: &mut Map<String, Value>, mut f: impl FnMut(&mut Value)) {
    for (k, v) in map.iter_mut() {
        match (keyword(k), v) {
            (Keyword::One, v) => f(v),
            (Keyword::Map, Value::Object(m)) => m.values_mut().for_each(&mut f),
            (Keyword::List, Value::Array(a)) => a.iter_mut().for_each(&mut f),
            _ => {}
        }
    }
}

/// The length of a value's compact JSON text, without making the text.
fn json_len(v: &Value) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut c = Count(0);
    let _ = serde_json::to_writer(&mut c, v);
    c.0
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
                    // Property names are names, not keywords: a property called `examples`
                    // or `mapping` is a schema like any other.
                    (_, Value::Object(named)) if keyword(k) == Keyword::Map => {
                        named.values().for_each(|s| collect_refs(s, f));
                    }
                    _ => collect_refs(child, f),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect_refs(i, f)),
        _ => {}
    }
}

/// Makes a name usable under `$defs` and in a `$ref` without escaping.
fn sanitize_name(raw: &str) -> String {
    let s: String =
        raw.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '_' }).collect();
    if s.is_empty() { "schema".to_owned() } else { s }
}

/// A schema being normalized: borrowed from a document (copied where it is kept) or owned (moved
/// where it is kept, so that normalizing a large named schema does not copy every string of it).
trait Node: Sized {
    type Key: Key;
    type Entries: Iterator<Item = (Self::Key, Self)>;
    type Items: Iterator<Item = Self>;
    fn value(&self) -> &Value;
    fn into_value(self) -> Value;
    /// The entries of an object (none for other values).
    fn into_entries(self) -> Self::Entries;
    /// The items of an array (none for other values).
    fn into_items(self) -> Self::Items;
}

/// An object key of a [`Node`].
trait Key {
    fn as_str(&self) -> &str;
    fn into_string(self) -> String;
}

impl Key for &String {
    fn as_str(&self) -> &str {
        self
    }
    fn into_string(self) -> String {
        self.clone()
    }
}

impl Key for String {
    fn as_str(&self) -> &str {
        self
    }
    fn into_string(self) -> String {
        self
    }
}

impl<'a> Node for &'a Value {
    type Key = &'a String;
    type Entries = std::iter::Flatten<std::option::IntoIter<serde_json::map::Iter<'a>>>;
    type Items = std::iter::Flatten<std::option::IntoIter<std::slice::Iter<'a, Value>>>;
    fn value(&self) -> &Value {
        self
    }
    fn into_value(self) -> Value {
        self.clone()
    }
    fn into_entries(self) -> Self::Entries {
        self.as_object().map(|m| m.iter()).into_iter().flatten()
    }
    fn into_items(self) -> Self::Items {
        self.as_array().map(|a| a.iter()).into_iter().flatten()
    }
}

impl Node for Value {
    type Key = String;
    type Entries = std::iter::Flatten<std::option::IntoIter<serde_json::map::IntoIter>>;
    type Items = std::iter::Flatten<std::option::IntoIter<std::vec::IntoIter<Value>>>;
    fn value(&self) -> &Value {
        self
    }
    fn into_value(self) -> Value {
        self
    }
    fn into_entries(self) -> Self::Entries {
        match self {
            Value::Object(m) => Some(m.into_iter()),
            _ => None,
        }
        .into_iter()
        .flatten()
    }
    fn into_items(self) -> Self::Items {
        match self {
            Value::Array(a) => Some(a.into_iter()),
            _ => None,
        }
        .into_iter()
        .flatten()
    }
}

struct Slot {
    name: String,
    loc: Loc,
    schema: Option<Value>,
    deps: Vec<usize>,
    problem: Option<Problem>,
    /// Some property at some depth of the schema is `readOnly` / `writeOnly`.
    flags: Flags,
}

/// Whether a normalized schema has, at some depth, a property marked `readOnly` or `writeOnly`
/// (so that a view of it differs from it).
#[derive(Clone, Copy, Default)]
struct Flags {
    read_only: bool,
    write_only: bool,
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
    /// What the schemas normalized since the last reset hold (see [`Flags`]).
    flags: Flags,
    /// The flags of the object last normalized, on itself.
    top: Flags,
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
            flags: Flags::default(),
            top: Flags::default(),
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
        self.slots.push(Slot {
            name,
            loc: loc.clone(),
            schema: None,
            deps: Vec::new(),
            problem: None,
            flags: Flags::default(),
        });
        self.by_loc.insert(loc, i);
        i
    }

    fn norm<N: Node>(&mut self, raw: N, doc: usize, ptr: &mut String, depth: usize) -> Result<Value, Problem> {
        if depth > MAX_DEPTH {
            return Err(self.docs.problem(
                &Loc::new(doc, ptr.clone()),
                ProblemKind::Shape,
                "schema is nested too deeply",
            ));
        }
        let map = match raw.value() {
            Value::Object(m) => m.len(),
            Value::Bool(b) => {
                self.top = Flags::default();
                return Ok(Value::Bool(*b));
            }
            other => {
                return Err(self.docs.problem(
                    &Loc::new(doc, ptr.clone()),
                    ProblemKind::Shape,
                    format!("a schema must be an object or a boolean, found {}", kind_of(other)),
                ));
            }
        };
        let mut out = Map::with_capacity(map);
        let mut st = ObjState::default();
        for (key, value) in raw.into_entries() {
            let k = key.as_str();
            let kw = keyword(k);
            match k {
                "$ref" => {
                    let Value::String(r) = value.value() else {
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
                "nullable" | "x-nullable" => st.nullable = value.value() == &Value::Bool(true),
                "example" => st.example = Some(value.into_value()),
                "xml" | "externalDocs" | "$schema" | "$id" => {}
                "exclusiveMinimum" | "exclusiveMaximum" if value.value().is_boolean() => {
                    if k == "exclusiveMinimum" {
                        st.exclusive_min = value.value() == &Value::Bool(true);
                    } else {
                        st.exclusive_max = value.value() == &Value::Bool(true);
                    }
                }
                _ if kw == Keyword::One => {
                    if k == "items" && value.value().is_array() {
                        // draft-4 tuple form
                        let items = self.norm_list(value, doc, ptr, k, depth)?;
                        out.insert("prefixItems".into(), Value::Array(items));
                        continue;
                    }
                    if value.value().is_object() || value.value().is_boolean() {
                        let child = self.child(value, doc, ptr, &[k], depth)?;
                        out.insert(key.into_string(), child);
                    } else {
                        self.warn(doc, &pointer::join(ptr, k), format!("`{k}` must be a schema; dropped"));
                    }
                }
                _ if kw == Keyword::Map => {
                    let Value::Object(children) = value.value() else {
                        self.warn(doc, &pointer::join(ptr, k), format!("`{k}` must be an object; dropped"));
                        continue;
                    };
                    let mut m = Map::with_capacity(children.len());
                    for (name, child) in value.into_entries() {
                        if k == "properties" && child.value().get("required") == Some(&Value::Bool(true)) {
                            st.required_children.push(name.as_str().to_owned());
                        }
                        let normalized = self.child(child, doc, ptr, &[k, name.as_str()], depth)?;
                        if k == "properties" {
                            self.note_property();
                        }
                        m.insert(name.into_string(), normalized);
                    }
                    out.insert(key.into_string(), Value::Object(m));
                }
                _ if kw == Keyword::List => {
                    let Value::Array(list) = value.value() else {
                        self.warn(doc, &pointer::join(ptr, k), format!("`{k}` must be an array; dropped"));
                        continue;
                    };
                    if list.is_empty() {
                        continue;
                    }
                    let items = self.norm_list(value, doc, ptr, k, depth)?;
                    out.insert(key.into_string(), Value::Array(items));
                }
                "type" => {
                    if let Some(t) = self.norm_type(value.value(), doc, ptr, &mut out) {
                        out.insert("type".into(), t);
                    }
                }
                "required" => match value.into_value() {
                    Value::Array(mut names) => {
                        unique_names(&mut names);
                        out.insert("required".into(), Value::Array(names));
                    }
                    Value::Bool(_) => {} // handled by the parent (see `required_children`)
                    _ => self.warn(doc, &pointer::join(ptr, k), "`required` must be an array of names; dropped".into()),
                },
                "enum" => match value.into_value() {
                    Value::Array(mut list) => {
                        unique_values(&mut list);
                        out.insert("enum".into(), Value::Array(list));
                    }
                    other => {
                        self.warn(
                            doc,
                            &pointer::join(ptr, k),
                            "`enum` must be an array; read as a one-value enum".into(),
                        );
                        out.insert("enum".into(), Value::Array(vec![other]));
                    }
                },
                "examples" => {
                    let list = match value.into_value() {
                        Value::Array(a) => a,
                        other => vec![other],
                    };
                    out.insert("examples".into(), Value::Array(list));
                }
                "minimum" | "maximum" | "multipleOf" | "exclusiveMinimum" | "exclusiveMaximum" => {
                    let ok = value.value().as_f64().is_some_and(|n| k != "multipleOf" || n > 0.0);
                    if ok {
                        out.insert(key.into_string(), value.into_value());
                    } else {
                        self.warn(doc, &pointer::join(ptr, k), format!("`{k}` must be a number; dropped"));
                    }
                }
                "minLength" | "maxLength" | "minItems" | "maxItems" | "minProperties" | "maxProperties"
                | "minContains" | "maxContains" => match value.value().as_f64() {
                    Some(n) if n >= 0.0 && n.fract() == 0.0 => {
                        out.insert(key.into_string(), json!(n as u64));
                    }
                    _ => {
                        self.warn(doc, &pointer::join(ptr, k), format!("`{k}` must be a non-negative integer; dropped"))
                    }
                },
                "pattern" | "format" | "title" | "description" | "$comment" | "contentEncoding"
                | "contentMediaType" => {
                    if value.value().is_string() {
                        out.insert(key.into_string(), value.into_value());
                    } else {
                        self.warn(doc, &pointer::join(ptr, k), format!("`{k}` must be a string; dropped"));
                    }
                }
                "uniqueItems" | "readOnly" | "writeOnly" | "deprecated" => {
                    if value.value().is_boolean() {
                        st.note_flag(k, value.value());
                        out.insert(key.into_string(), value.into_value());
                    } else {
                        self.warn(doc, &pointer::join(ptr, k), format!("`{k}` must be a boolean; dropped"));
                    }
                }
                "discriminator" => {
                    let d = self.norm_discriminator(value.value(), doc, ptr)?;
                    out.insert(key.into_string(), d);
                }
                _ => {
                    out.insert(key.into_string(), value.into_value());
                }
            }
        }
        self.top = st.top;
        close_object(&mut out, st);
        Ok(Value::Object(out))
    }

    /// [`Builder::norm`] of a schema that is owned, done where it is: most of a schema stays as
    /// it is, so its strings are not copied and no map is made again. Objects whose keys change
    /// in the middle (the draft-4 tuple form of `items`, Swagger's `file` type) go through `norm`.
    fn norm_mut(&mut self, v: &mut Value, doc: usize, ptr: &mut String, depth: usize) -> Result<(), Problem> {
        if depth > MAX_DEPTH {
            return Err(self.docs.problem(
                &Loc::new(doc, ptr.clone()),
                ProblemKind::Shape,
                "schema is nested too deeply",
            ));
        }
        let map = match v {
            Value::Object(m) => m,
            Value::Bool(_) => {
                self.top = Flags::default();
                return Ok(());
            }
            other => {
                return Err(self.docs.problem(
                    &Loc::new(doc, ptr.clone()),
                    ProblemKind::Shape,
                    format!("a schema must be an object or a boolean, found {}", kind_of(other)),
                ));
            }
        };
        if map.iter().any(|(k, v)| renames(k, v)) {
            *v = self.norm(std::mem::take(v), doc, ptr, depth)?;
            return Ok(());
        }
        let mut st = ObjState::default();
        let mut failed = None;
        map.retain(|key, value| {
            if failed.is_some() {
                return true;
            }
            match self.norm_entry(key, value, doc, ptr, depth, &mut st) {
                Ok(keep) => keep,
                Err(p) => {
                    failed = Some(p);
                    true
                }
            }
        });
        if let Some(p) = failed {
            return Err(p);
        }
        self.top = st.top;
        close_object(map, st);
        Ok(())
    }

    /// One entry of an object for [`Builder::norm_mut`]: normalizes the value in place and says
    /// whether the entry stays.
    fn norm_entry(
        &mut self,
        key: &str,
        value: &mut Value,
        doc: usize,
        ptr: &mut String,
        depth: usize,
        st: &mut ObjState,
    ) -> Result<bool, Problem> {
        let k = key;
        Ok(match k {
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
                *value = Value::String(format!("{REF_PREFIX}{}", self.slots[i].name));
                true
            }
            "nullable" | "x-nullable" => {
                st.nullable = *value == Value::Bool(true);
                false
            }
            "example" => {
                st.example = Some(std::mem::take(value));
                false
            }
            "xml" | "externalDocs" | "$schema" | "$id" => false,
            "exclusiveMinimum" | "exclusiveMaximum" if value.is_boolean() => {
                if k == "exclusiveMinimum" {
                    st.exclusive_min = *value == Value::Bool(true);
                } else {
                    st.exclusive_max = *value == Value::Bool(true);
                }
                false
            }
            _ => match keyword(k) {
                Keyword::One => {
                    // (`items` as an array went through `norm`.)
                    if value.is_object() || value.is_boolean() {
                        self.child_mut(value, doc, ptr, &[k], depth)?;
                        true
                    } else {
                        self.warn(doc, &pointer::join(ptr, k), format!("`{k}` must be a schema; dropped"));
                        false
                    }
                }
                Keyword::Map => {
                    let Value::Object(children) = value else {
                        self.warn(doc, &pointer::join(ptr, k), format!("`{k}` must be an object; dropped"));
                        return Ok(false);
                    };
                    for (name, child) in children.iter_mut() {
                        if k == "properties" && child.get("required") == Some(&Value::Bool(true)) {
                            st.required_children.push(name.clone());
                        }
                        self.child_mut(child, doc, ptr, &[k, name], depth)?;
                        if k == "properties" {
                            self.note_property();
                        }
                    }
                    true
                }
                Keyword::List => {
                    let Value::Array(list) = value else {
                        self.warn(doc, &pointer::join(ptr, k), format!("`{k}` must be an array; dropped"));
                        return Ok(false);
                    };
                    if list.is_empty() {
                        return Ok(false);
                    }
                    for (i, item) in list.iter_mut().enumerate() {
                        self.child_mut(item, doc, ptr, &[k, &i.to_string()], depth)?;
                    }
                    true
                }
                Keyword::Other => self.norm_other(k, value, doc, ptr, st)?,
            },
        })
    }

    /// [`Builder::norm_entry`] for keywords that hold no subschema.
    fn norm_other(
        &mut self,
        k: &str,
        value: &mut Value,
        doc: usize,
        ptr: &str,
        st: &mut ObjState,
    ) -> Result<bool, Problem> {
        Ok(match k {
            "type" if value.as_str().is_some_and(|t| TYPES.contains(&t)) => true,
            "type" => match self.norm_type(value, doc, ptr, &mut Map::new()) {
                Some(t) => {
                    *value = t;
                    true
                }
                None => false,
            },
            "required" => match value {
                Value::Array(names) => {
                    unique_names(names);
                    true
                }
                Value::Bool(_) => false, // handled by the parent (see `required_children`)
                _ => {
                    self.warn(doc, &pointer::join(ptr, k), "`required` must be an array of names; dropped".into());
                    false
                }
            },
            "enum" => {
                match value {
                    Value::Array(list) => unique_values(list),
                    other => {
                        self.warn(
                            doc,
                            &pointer::join(ptr, k),
                            "`enum` must be an array; read as a one-value enum".into(),
                        );
                        *other = Value::Array(vec![std::mem::take(other)]);
                    }
                }
                true
            }
            "examples" => {
                if !value.is_array() {
                    *value = Value::Array(vec![std::mem::take(value)]);
                }
                true
            }
            "minimum" | "maximum" | "multipleOf" | "exclusiveMinimum" | "exclusiveMaximum" => {
                let ok = value.as_f64().is_some_and(|n| k != "multipleOf" || n > 0.0);
                if !ok {
                    self.warn(doc, &pointer::join(ptr, k), format!("`{k}` must be a number; dropped"));
                }
                ok
            }
            "minLength" | "maxLength" | "minItems" | "maxItems" | "minProperties" | "maxProperties" | "minContains"
            | "maxContains" => match value.as_f64() {
                // An integer that a float holds exactly is kept as it is.
                _ if value.as_u64().is_some_and(|n| n < 1 << 53) => true,
                Some(n) if n >= 0.0 && n.fract() == 0.0 => {
                    *value = json!(n as u64);
                    true
                }
                _ => {
                    self.warn(doc, &pointer::join(ptr, k), format!("`{k}` must be a non-negative integer; dropped"));
                    false
                }
            },
            "pattern" | "format" | "title" | "description" | "$comment" | "contentEncoding" | "contentMediaType" => {
                let ok = value.is_string();
                if !ok {
                    self.warn(doc, &pointer::join(ptr, k), format!("`{k}` must be a string; dropped"));
                }
                ok
            }
            "uniqueItems" | "readOnly" | "writeOnly" | "deprecated" => {
                let ok = value.is_boolean();
                if ok {
                    st.note_flag(k, value);
                } else {
                    self.warn(doc, &pointer::join(ptr, k), format!("`{k}` must be a boolean; dropped"));
                }
                ok
            }
            "discriminator" => {
                *value = self.norm_discriminator(value, doc, ptr)?;
                true
            }
            _ => true,
        })
    }

    fn child_mut(
        &mut self,
        v: &mut Value,
        doc: usize,
        ptr: &mut String,
        tokens: &[&str],
        depth: usize,
    ) -> Result<(), Problem> {
        let len = ptr.len();
        for t in tokens {
            pointer::push(ptr, t);
        }
        let r = self.norm_mut(v, doc, ptr, depth + 1);
        ptr.truncate(len);
        r
    }

    /// Notes the property just normalized (its flags are in `self.top`) in the definition's
    /// [`Flags`].
    fn note_property(&mut self) {
        self.flags.read_only |= self.top.read_only;
        self.flags.write_only |= self.top.write_only;
    }

    fn child<N: Node>(
        &mut self,
        v: N,
        doc: usize,
        ptr: &mut String,
        tokens: &[&str],
        depth: usize,
    ) -> Result<Value, Problem> {
        let len = ptr.len();
        for t in tokens {
            pointer::push(ptr, t);
        }
        let r = self.norm(v, doc, ptr, depth + 1);
        ptr.truncate(len);
        r
    }

    /// Normalizes the items of `list` (an array), found under the keyword `k`.
    fn norm_list<N: Node>(
        &mut self,
        list: N,
        doc: usize,
        ptr: &mut String,
        k: &str,
        depth: usize,
    ) -> Result<Vec<Value>, Problem> {
        let mut items = Vec::with_capacity(list.value().as_array().map_or(0, Vec::len));
        for (i, item) in list.into_items().enumerate() {
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
                // A mapping only names which branch a value takes; JSON Schema validation never
                // reads it. One that points nowhere (DigitalOcean's documents keep mappings into
                // files that were never published) is dropped with a warning, not fatal.
                let loc = match self.docs.target(&at, &reference) {
                    Ok(loc) => loc,
                    Err(p) => {
                        let ptr = pointer::join(&pointer::join(&at.ptr, "mapping"), &key);
                        self.warn(doc, &ptr, format!("discriminator mapping left out: {}", p.message));
                        continue;
                    }
                };
                let i = self.slot(loc);
                self.deps.push(i);
                out.insert(key, Value::String(format!("{REF_PREFIX}{}", self.slots[i].name)));
            }
            d.insert("mapping".into(), Value::Object(out));
        }
        Ok(Value::Object(d))
    }

    /// The builder's state, without the borrow of the documents.
    pub fn detach(self) -> Detached {
        let Builder { docs: _, swagger, slots, by_loc, names, next, deps, flags, top: _, diagnostics } = self;
        Detached { swagger, slots, by_loc, names, next, deps, flags, diagnostics }
    }

    fn attach(docs: &'d DocSet, d: Detached) -> Builder<'d> {
        let Detached { swagger, slots, by_loc, names, next, deps, flags, diagnostics } = d;
        Builder { docs, swagger, slots, by_loc, names, next, deps, flags, top: Flags::default(), diagnostics }
    }
}

/// A [`Builder`] between reading the operations and [`finish`].
pub(crate) struct Detached {
    swagger: bool,
    slots: Vec<Slot>,
    by_loc: HashMap<Loc, usize>,
    names: HashSet<String>,
    next: usize,
    deps: Vec<usize>,
    flags: Flags,
    diagnostics: Vec<Diagnostic>,
}

/// Normalizes every definition referenced so far (and those they reference), then returns the
/// store and, per definition index, the problem that made it unusable, if any.
///
/// A named schema that nothing else reads is moved out of the document to be normalized
/// rather than copied (see [`DocSet::take_named_schema`]): the documents are not needed after
/// this, and a large API's definitions are most of its document.
pub(crate) fn finish(docs: &mut DocSet, mut d: Detached) -> (Schemas, Vec<Diagnostic>, HashMap<usize, Problem>) {
    while d.next < d.slots.len() {
        let i = d.next;
        d.next += 1;
        let loc = d.slots[i].loc.clone();
        let owned = docs.take_named_schema(&loc);
        let mut b = Builder::attach(docs, d);
        let saved = std::mem::take(&mut b.deps);
        b.flags = Flags::default();
        let result = match owned {
            Some(mut raw) => {
                let mut ptr = loc.ptr.clone();
                b.norm_mut(&mut raw, loc.doc, &mut ptr, 0).map(|()| raw)
            }
            None => match b.docs.value(&loc) {
                Some(raw) => b.schema(raw, &loc),
                None => Err(b.docs.problem(&loc, ProblemKind::DanglingRef, "points to nothing")),
            },
        };
        let deps = std::mem::replace(&mut b.deps, saved);
        let flags = b.flags;
        let slot = &mut b.slots[i];
        slot.deps = deps;
        match result {
            Ok(s) => {
                slot.schema = Some(s);
                slot.flags = flags;
            }
            Err(p) => slot.problem = Some(p),
        }
        d = b.detach();
    }
    Builder::attach(docs, d).into_schemas()
}

impl Builder<'_> {
    fn into_schemas(mut self) -> (Schemas, Vec<Diagnostic>, HashMap<usize, Problem>) {
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
                read_only: slot.flags.read_only,
                write_only: slot.flags.write_only,
                name: slot.name,
                pointer: slot.loc.ptr,
                schema,
                deps: slot.deps,
            });
        }
        (Schemas { defs, by_name, sizes: OnceLock::new() }, self.diagnostics, problems)
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

/// What [`Builder::norm`] and [`Builder::norm_mut`] learn from an object's keys and apply once
/// they have seen them all ([`close_object`]).
#[derive(Default)]
struct ObjState {
    nullable: bool,
    example: Option<Value>,
    exclusive_min: bool,
    exclusive_max: bool,
    /// Properties marked with Swagger's `required: true`.
    required_children: Vec<String>,
    /// `readOnly: true` / `writeOnly: true` on the object itself.
    top: Flags,
}

impl ObjState {
    fn note_flag(&mut self, k: &str, value: &Value) {
        if value == &Value::Bool(true) {
            match k {
                "readOnly" => self.top.read_only = true,
                "writeOnly" => self.top.write_only = true,
                _ => {}
            }
        }
    }
}

/// The end of an object's normalization: what depends on several of its keys.
fn close_object(out: &mut Map<String, Value>, st: ObjState) {
    if !st.required_children.is_empty() {
        let req = out.entry("required").or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(list) = req {
            for name in st.required_children {
                if !list.iter().any(|v| v.as_str() == Some(&name)) {
                    list.push(Value::String(name));
                }
            }
        }
    }
    if st.exclusive_min
        && let Some(m) = out.shift_remove("minimum")
    {
        out.insert("exclusiveMinimum".into(), m);
    }
    if st.exclusive_max
        && let Some(m) = out.shift_remove("maximum")
    {
        out.insert("exclusiveMaximum".into(), m);
    }
    if let Some(ex) = st.example {
        out.entry("examples").or_insert_with(|| Value::Array(vec![ex]));
    }
    let is_array = match field(out, "type") {
        Some(Value::String(t)) => t == "array",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "array"),
        _ => false,
    };
    if is_array && field(out, "items").is_none() && field(out, "prefixItems").is_none() {
        out.insert("items".into(), json!({}));
    }
    if st.nullable {
        *out = make_nullable(std::mem::take(out));
    }
}

/// Whether normalizing an object changes its keys in the middle: the draft-4 tuple form of
/// `items` becomes `prefixItems`, and Swagger's `file` type adds a `format` before `type`.
fn renames(k: &str, v: &Value) -> bool {
    match (k, v) {
        ("items", Value::Array(_)) => true,
        ("type", Value::String(t)) => t == "file",
        ("type", Value::Array(ts)) => ts.iter().any(|t| t == "file"),
        _ => false,
    }
}

/// Keeps the names of a `required` list, each once, in order.
fn unique_names(names: &mut Vec<Value>) {
    let keep: Vec<bool> = {
        let mut seen = HashSet::with_capacity(names.len());
        names.iter().map(|v| v.as_str().is_some_and(|s| seen.insert(s))).collect()
    };
    if keep.iter().all(|k| *k) {
        return;
    }
    let mut keep = keep.into_iter();
    names.retain(|_| keep.next().unwrap_or(false));
}

/// Keeps each value of an `enum` once, in order.
fn unique_values(list: &mut Vec<Value>) {
    let mut i = 0;
    while i < list.len() {
        if list[..i].contains(&list[i]) {
            list.remove(i);
        } else {
            i += 1;
        }
    }
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
