//! The set of documents a load reads: the main one plus, when allowed, files it references.

use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::{Error, Problem, ProblemKind};
use crate::pointer;
use crate::prune::Pruned;
use crate::{ExternalRefs, LoadOptions};

/// A place in one of the documents.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Loc {
    pub doc: usize,
    pub ptr: String,
}

impl Loc {
    pub fn new(doc: usize, ptr: impl Into<String>) -> Loc {
        Loc { doc, ptr: ptr.into() }
    }

    pub fn child(&self, token: &str) -> Loc {
        Loc { doc: self.doc, ptr: pointer::join(&self.ptr, token) }
    }
}

pub(crate) struct Doc {
    pub origin: String,
    pub root: Value,
    pub dir: Option<PathBuf>,
}

/// The documents of one load. Index 0 is the main document.
pub(crate) struct DocSet {
    pub docs: Vec<Doc>,
    by_path: HashMap<PathBuf, usize>,
    root_dir: Option<PathBuf>,
    /// Which named schemas of the main document may be moved out of it to be normalized (see
    /// [`DocSet::take_named_schema`]).
    movable: Movable,
    /// What was left out of the main document when it was parsed (see [`crate::prune`]).
    pruned: Pruned,
    /// Set when a lookup in the main document failed in a place that was left out.
    missed: Cell<bool>,
}

/// Named schemas (`/components/schemas/NAME`, `/definitions/NAME`) that nothing refers into:
/// no reference (and nothing that could be one) targets a place inside them or a place that
/// contains them. Such a schema is read exactly once, when its definition is normalized, so it
/// can be moved out of the document instead of copied.
#[derive(Default)]
struct Movable {
    /// Nothing may be moved (several documents, or a reference to a container).
    none: bool,
    /// Escaped pointers of named schemas something refers into.
    pinned: HashSet<String>,
}

/// The containers of named schemas.
const NAMED: [&str; 2] = ["/components/schemas/", "/definitions/"];

impl Movable {
    /// Notes a possible reference (a `$ref` value, or a discriminator mapping value) found in
    /// the main document.
    fn note(&mut self, reference: &str) {
        let Some(fragment) = reference.strip_prefix('#') else {
            // Another file, or a plain name (a mapping value); an empty reference is the root.
            self.none |= reference.is_empty();
            return;
        };
        let decoded;
        let target = if fragment.contains('%') {
            decoded = pointer::decode_fragment(fragment);
            decoded.as_str()
        } else {
            fragment
        };
        for container in NAMED {
            if container.starts_with(target) && container.as_bytes().get(target.len()) == Some(&b'/') {
                self.none = true; // the target contains every named schema
            } else if let Some(rest) = target.strip_prefix(container)
                && let Some(slash) = rest.find('/')
            {
                self.pinned.insert(target[..container.len() + slash].to_owned());
            }
        }
    }

    fn allows(&self, ptr: &str) -> bool {
        !self.none
            && NAMED.iter().any(|c| ptr.strip_prefix(c).is_some_and(|name| !name.is_empty() && !name.contains('/')))
            && !self.pinned.contains(ptr)
    }
}

impl DocSet {
    /// The documents of a load; `pruned` lists what was left out of `root` (see
    /// [`crate::prune`]).
    pub fn new(
        origin: String,
        root: Value,
        pruned: Pruned,
        dir: Option<PathBuf>,
        opts: &LoadOptions,
    ) -> Result<DocSet, Error> {
        let root_dir = match (&opts.external_refs, &dir) {
            (ExternalRefs::SameDirectory, Some(d)) => Some(d.canonicalize().unwrap_or_else(|_| d.clone())),
            _ => None,
        };
        let mut set = DocSet {
            docs: vec![Doc { origin, root, dir }],
            by_path: HashMap::new(),
            root_dir,
            movable: Movable::default(),
            pruned,
            missed: Cell::new(false),
        };
        set.load_external(opts)?;
        if set.docs.len() > 1 {
            set.movable = Movable { none: true, pinned: HashSet::new() };
        }
        Ok(set)
    }

    /// Moves a named schema of the main document out of it, when nothing else can read it
    /// (see [`Movable`]); a `null` stays in its place, so references to it still resolve.
    pub fn take_named_schema(&mut self, loc: &Loc) -> Option<Value> {
        if loc.doc != 0 || !self.movable.allows(&loc.ptr) {
            return None;
        }
        let (container, name) = loc.ptr.rsplit_once('/')?;
        let name = pointer::unescape(name);
        let mut cur = &mut self.docs[0].root;
        for token in container.split('/').skip(1) {
            cur = cur.as_object_mut()?.get_mut(token)?;
        }
        cur.as_object_mut()?.get_mut(&name).map(std::mem::take)
    }

    /// Moves the `x-*` entries of the main document's root out of it, in document order.
    pub fn take_root_extensions(&mut self) -> indexmap::IndexMap<String, Value> {
        let Value::Object(root) = &mut self.docs[0].root else {
            return indexmap::IndexMap::new();
        };
        root.iter_mut().filter(|(k, _)| k.starts_with("x-")).map(|(k, v)| (k.clone(), std::mem::take(v))).collect()
    }

    pub fn value(&self, loc: &Loc) -> Option<&Value> {
        let found = self.docs.get(loc.doc).and_then(|d| pointer::resolve(&d.root, &loc.ptr));
        if found.is_none() && loc.doc == 0 && !self.pruned.is_empty() && self.left_out(&loc.ptr) {
            self.missed.set(true);
        }
        found
    }

    /// Whether a lookup in the main document failed because the place was left out when it was
    /// parsed: the load is then to be done again with the whole document.
    pub fn missed(&self) -> bool {
        self.missed.get()
    }

    /// Whether `ptr` (which does not resolve) is in a part of the main document that was left
    /// out.
    fn left_out(&self, ptr: &str) -> bool {
        let Some(rest) = ptr.strip_prefix('/') else {
            return false;
        };
        let mut cur = &self.docs[0].root;
        let mut canonical = String::new();
        for raw in rest.split('/') {
            let token = pointer::unescape(raw);
            match cur {
                Value::Object(map) => match map.get(&token) {
                    Some(v) => {
                        canonical = pointer::join(&canonical, &token);
                        cur = v;
                    }
                    None => return self.pruned.contains(&pointer::join(&canonical, &token)),
                },
                Value::Array(items) => match token.parse::<usize>().ok().and_then(|i| items.get(i).map(|v| (i, v))) {
                    Some((i, v)) => {
                        canonical = pointer::join(&canonical, &i.to_string());
                        cur = v;
                    }
                    None => return false,
                },
                _ => return false,
            }
        }
        false
    }

    pub fn origin(&self, doc: usize) -> &str {
        self.docs.get(doc).map(|d| d.origin.as_str()).unwrap_or("<unknown>")
    }

    pub fn problem(&self, loc: &Loc, kind: ProblemKind, message: impl Into<String>) -> Problem {
        Problem { origin: self.origin(loc.doc).to_owned(), pointer: loc.ptr.clone(), kind, message: message.into() }
    }

    /// Resolves a `$ref` string found in document `from` to a location.
    /// `at` is where the `$ref` was found (for the error).
    pub fn target(&self, at: &Loc, reference: &str) -> Result<Loc, Problem> {
        self.resolve(at, reference).map(|(loc, _)| loc)
    }

    /// [`DocSet::target`] and the value there.
    pub fn resolve(&self, at: &Loc, reference: &str) -> Result<(Loc, &Value), Problem> {
        let (file, fragment) = match reference.split_once('#') {
            Some((f, frag)) => (f, frag),
            None => (reference, ""),
        };
        let doc = if file.is_empty() {
            at.doc
        } else {
            match self.external_path(at.doc, file) {
                Some(p) => match self.by_path.get(&p) {
                    Some(&i) => i,
                    None => {
                        return Err(self.problem(
                            at,
                            ProblemKind::ExternalRef,
                            format!("external reference `{reference}` could not be loaded"),
                        ));
                    }
                },
                None => return Err(self.external_refused(at, reference)),
            }
        };
        let ptr = pointer::decode_fragment(fragment);
        if !ptr.is_empty() && !ptr.starts_with('/') {
            return Err(self.problem(
                at,
                ProblemKind::DanglingRef,
                format!("$ref `{reference}` uses a plain-name fragment; only JSON pointers (`#/…`) are supported"),
            ));
        }
        let loc = Loc::new(doc, ptr);
        match self.value(&loc) {
            Some(v) => Ok((loc, v)),
            None => Err(self.problem(at, ProblemKind::DanglingRef, format!("$ref `{reference}` points to nothing"))),
        }
    }

    fn external_refused(&self, at: &Loc, reference: &str) -> Problem {
        let why = if is_remote(reference) {
            "remote references are never fetched by the loader".to_owned()
        } else if self.root_dir.is_none() {
            "external file references are refused by default (allow files next to the document with the `external_refs` option / `--allow-external-refs`)".to_owned()
        } else {
            "the file is not inside the document's directory".to_owned()
        };
        self.problem(at, ProblemKind::ExternalRef, format!("external reference `{reference}` refused: {why}"))
    }

    /// The canonical path of an external file reference, if such references are allowed and
    /// the file lies inside the main document's directory.
    fn external_path(&self, from: usize, file: &str) -> Option<PathBuf> {
        if is_remote(file) {
            return None;
        }
        let root_dir = self.root_dir.as_ref()?;
        let base = self.docs.get(from)?.dir.as_ref()?;
        let joined = base.join(file);
        let canon = joined.canonicalize().ok()?;
        canon.starts_with(root_dir).then_some(canon)
    }

    /// Finds every external `$ref` and loads the files they name (when allowed).
    fn load_external(&mut self, opts: &LoadOptions) -> Result<(), Error> {
        let mut problems = Vec::new();
        let mut i = 0;
        while i < self.docs.len() {
            let mut found = Vec::new();
            if i == 0 {
                let movable = &mut self.movable;
                walk_refs(
                    &self.docs[i].root,
                    &mut Walk { path: Vec::new(), out: &mut found, local: Some(movable) },
                    false,
                    false,
                );
            } else {
                let mut walk = Walk { path: Vec::new(), out: &mut found, local: None };
                walk_refs(&self.docs[i].root, &mut walk, false, false);
            }
            for (ptr, reference) in found {
                let at = Loc::new(i, ptr);
                let file = reference.split('#').next().unwrap_or_default();
                let path = match (&opts.external_refs, self.external_path(i, file)) {
                    (ExternalRefs::SameDirectory, Some(p)) => p,
                    _ => {
                        problems.push(self.external_refused(&at, &reference));
                        continue;
                    }
                };
                if self.by_path.contains_key(&path) {
                    continue;
                }
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| Error::Io { path: path.display().to_string(), message: e.to_string() })?;
                let origin = path.display().to_string();
                let root = crate::parse(&text, &origin)?;
                let dir = path.parent().map(Path::to_path_buf);
                self.by_path.insert(path, self.docs.len());
                self.docs.push(Doc { origin, root, dir });
            }
            i += 1;
        }
        if problems.is_empty() { Ok(()) } else { Err(Error::Invalid(problems)) }
    }
}

fn is_remote(reference: &str) -> bool {
    let lower = reference.to_ascii_lowercase();
    lower.starts_with("http:") || lower.starts_with("https:") || lower.starts_with("//") || lower.contains("://")
}

/// One step of a JSON pointer, borrowed from the document: the pointer text is only built for
/// the (rare) places that hold an external reference.
enum Step<'v> {
    Key(&'v str),
    Index(usize),
}

struct Walk<'v, 'o> {
    path: Vec<Step<'v>>,
    /// `$ref` values that do not start with `#`, with their pointers.
    out: &'o mut Vec<(String, String)>,
    /// Where every possible local reference is noted, when moving is considered.
    local: Option<&'o mut Movable>,
}

/// Whether the value of key `k` maps names (of properties, definitions, components) to objects.
fn holds_names(k: &str) -> bool {
    matches!(
        k,
        "properties"
            | "patternProperties"
            | "dependentSchemas"
            | "$defs"
            | "definitions"
            | "schemas"
            | "responses"
            | "parameters"
            | "requestBodies"
            | "headers"
            | "pathItems"
            | "callbacks"
            | "links"
    )
}

/// Collects `$ref` values that do not start with `#`. Skips example values, `enum`/`const` and
/// `x-` extensions, where `$ref` keys are data, not references (`skip`). (`default` is not
/// skipped: it is also the key of a default response.) Local references are noted everywhere,
/// skipped places included, and so are discriminator mapping values: what may not be moved is
/// over-estimated, never under-estimated. `names`: the keys of `v` are names (of properties,
/// components, …), not keywords, so a property called `examples` is walked like any other.
fn walk_refs<'v>(v: &'v Value, w: &mut Walk<'v, '_>, skip: bool, names: bool) {
    match v {
        Value::Object(map) => {
            // A linear search: most objects are small, and hashing `$ref` for each costs more.
            let reference =
                if map.len() <= 16 { map.iter().find(|(k, _)| *k == "$ref").map(|(_, r)| r) } else { map.get("$ref") };
            if let Some(Value::String(r)) = reference {
                if !r.starts_with('#') {
                    if !skip {
                        let mut ptr = String::new();
                        for step in w.path.iter() {
                            ptr.push('/');
                            match step {
                                Step::Key(k) => ptr.push_str(&pointer::escape(k)),
                                Step::Index(i) => ptr.push_str(&i.to_string()),
                            }
                        }
                        w.out.push((ptr, r.clone()));
                    }
                } else if let Some(local) = w.local.as_deref_mut() {
                    local.note(r);
                }
            }
            for (k, child) in map {
                if k == "mapping"
                    && let (Value::Object(m), Some(local)) = (child, w.local.as_deref_mut())
                {
                    m.values().filter_map(Value::as_str).for_each(|r| local.note(r));
                }
                if !(child.is_object() || child.is_array()) {
                    continue;
                }
                let skip_child = skip
                    || (!names
                        && (k == "example"
                            || k == "examples"
                            || k.starts_with("x-")
                            || k == "$ref"
                            || k == "const"
                            || k == "enum"));
                if skip_child && w.local.is_none() {
                    continue;
                }
                let child_names = !names && !skip_child && holds_names(k);
                w.path.push(Step::Key(k));
                walk_refs(child, w, skip_child, child_names);
                w.path.pop();
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                if child.is_object() || child.is_array() {
                    w.path.push(Step::Index(i));
                    walk_refs(child, w, skip, false);
                    w.path.pop();
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::{LoadOptions, load_str, load_value};

    #[test]
    fn a_named_schema_is_movable_unless_something_refers_into_it() {
        let mut m = Movable::default();
        m.note("#/components/schemas/A/properties/x");
        m.note("#/definitions/B/items");
        m.note("#/components/schemas/C");
        m.note("other.json#/components/schemas/D/properties/x");
        m.note("E");
        m.note("#/components/schemas/F%2Fx/y");
        assert!(!m.allows("/components/schemas/A"));
        assert!(!m.allows("/definitions/B"));
        assert!(!m.allows("/components/schemas/F/x"));
        assert!(m.allows("/components/schemas/C"));
        assert!(m.allows("/components/schemas/D"));
        assert!(m.allows("/components/schemas/a~1b"));
        assert!(!m.allows("/components/schemas/C/properties/x"));
        assert!(!m.allows("/components/schemas/"));
        assert!(!m.allows("/paths/~1a/get"));
        for container in ["#/components/schemas", "#/components", "#", "", "#/definitions"] {
            let mut m = Movable::default();
            m.note(container);
            assert!(!m.allows("/components/schemas/C"), "{container}");
        }
        let mut m = Movable::default();
        m.note("#/components/schemasX/a");
        m.note("#/compo");
        assert!(m.allows("/components/schemas/C"));
    }

    /// What a load gives, without the `HashMap`s whose order varies.
    fn summary(doc: &str) -> String {
        let full = load_value(crate::parse(doc, crate::INLINE).unwrap_or_default(), &LoadOptions::default());
        let pruned = load_str(doc, &LoadOptions::default());
        let show = |r: Result<crate::Api, crate::Error>| match r {
            Ok(api) => {
                let defs: Vec<String> =
                    api.schemas.iter().map(|d| format!("{} {} {}", d.name, d.pointer, d.schema)).collect();
                format!("{:?}\n{:?}\n{:?}\n{}", api.operations, api.diagnostics, api.extensions, defs.join("\n"))
            }
            Err(e) => format!("{e:?}"),
        };
        let (full, pruned) = (show(full), show(pruned));
        assert_eq!(full, pruned);
        pruned
    }

    #[test]
    fn schemas_that_are_referred_into_are_read_in_place() {
        let doc = json!({
            "openapi": "3.0.3", "info": {"title": "t", "version": "1"},
            "paths": {"/a": {"post": {
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/B"}}}},
                "responses": {"200": {"description": "ok", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/C"}}}}}}}},
            "components": {"schemas": {
                "A": {"type": "object", "properties": {"x": {"type": "integer", "nullable": true}}},
                "B": {"type": "object", "properties": {"x-p": {"$ref": "#/components/schemas/A/properties/x"}}},
                "C": {"oneOf": [{"$ref": "#/components/schemas/D"}],
                      "discriminator": {"propertyName": "k", "mapping": {"d": "#/components/schemas/E/properties/k"}}},
                "D": {"type": "object", "properties": {"k": {"type": "string"}}},
                "E": {"type": "object", "properties": {"k": {"type": "object"}}}
            }}
        })
        .to_string();
        let s = summary(&doc);
        assert!(
            s.contains(
                r#"components_schemas_A_properties_x /components/schemas/A/properties/x {"type":["integer","null"]}"#
            ),
            "{s}"
        );
        assert!(
            s.contains(r#"A /components/schemas/A {"type":"object","properties":{"x":{"type":["integer","null"]}}}"#),
            "{s}"
        );
        assert!(s.contains(r#"E /components/schemas/E {"type":"object","properties":{"k":{"type":"object"}}}"#), "{s}");
    }

    #[test]
    fn a_reference_into_a_left_out_example_loads_the_whole_document() {
        let doc = json!({
            "openapi": "3.0.3", "info": {"title": "t", "version": "1"},
            "paths": {
                "/a": {"get": {
                    "parameters": [{"$ref": "#/components/examples/P/value"}],
                    "responses": {"200": {"description": "ok", "content": {"application/json": {
                        "schema": {"$ref": "#/paths/~1a/get/responses/200/content/application~1json/examples/one/value"},
                        "examples": {"one": {"value": {"type": "string", "nullable": true}}}}}}}}},
                "/b": {"get": {"responses": {"200": {"description": "ok", "content": {"application/json": {
                    "schema": {"$ref": "#/components/examples/Missing/value"}}}}}}}
            },
            "components": {"examples": {"P": {"value": {"name": "p", "in": "header", "schema": {"type": "string"}}}}}
        })
        .to_string();
        let s = summary(&doc);
        assert!(s.contains("points to nothing"), "{s}");
        let lenient = LoadOptions { lenient: true, ..LoadOptions::default() };
        let api = load_str(&doc, &lenient).map_err(|e| e.to_string());
        let ops: Vec<_> = api.iter().flat_map(|a| &a.operations).map(|o| o.parameters.len()).collect();
        assert_eq!(ops, [1]);
        let api = api.ok();
        let schema = api.as_ref().and_then(|a| a.operations[0].responses[0].content[0].schema.as_ref());
        let def = schema.and_then(|s| api.as_ref().and_then(|a| a.schemas.resolve(s).get("type").cloned()));
        assert_eq!(def, Some(json!(["string", "null"])));
    }
}
