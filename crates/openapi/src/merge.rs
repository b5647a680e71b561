//! Merging the OpenAPI documents of several mounted apps into one document.
//!
//! A composed app (axum's `Router::nest`, Starlette's `mount`, a gateway with several
//! upstreams) serves each sub-app under a path prefix, but each sub-app describes itself as if
//! it were alone: its paths lack the prefix, and its component names, `operationId`s and
//! security scheme names may clash with its neighbours'. [`merge_documents`] turns the list of
//! `(prefix, document)` pairs into one valid OpenAPI document that describes the composed app.
//!
//! What it does, and the decisions it makes:
//!
//! - **Inputs.** OpenAPI 3.0, 3.1 and 3.2 documents as [`serde_json::Value`]s. Swagger 2.0
//!   documents are refused (convert them to OpenAPI 3 first). Every `$ref` must be local
//!   (`#/…`) and resolve; an external or dangling reference is an error, because the merged
//!   document lives somewhere else. Errors are [`Error::Invalid`] problems whose origin names
//!   the mount (`mount #2 "/inventory"`) and whose pointer is in that mount's document.
//! - **Versions.** The output has the highest `openapi` version of the inputs. A 3.0 document
//!   merged with a 3.1 or 3.2 one has its schemas converted: `nullable: true` becomes a type
//!   array (or an `anyOf` with `{"type": "null"}`), and boolean `exclusiveMinimum` /
//!   `exclusiveMaximum` become numbers. 3.1 documents need nothing to become 3.2.
//! - **Paths** carry their mount prefix: `/inventory` + `/items/{id}` is
//!   `/inventory/items/{id}`. The prefix may be empty; slashes are normalized where the two
//!   meet (`/inventory/` + `/items` is `/inventory/items`), and the path itself is kept as
//!   written (`/shop` + `/items/` is `/shop/items/`, `/shop` + `/` is `/shop/`). A prefix may
//!   not hold a template (`{…}`), `?` or `#`. Two mounts that give the same path are merged
//!   into one path item when their methods differ; the same method twice, or one templated path
//!   spelled two ways (`/a/{x}` and `/a/{y}`), is a [`ProblemKind::Conflict`]. `$ref`s into
//!   `#/paths/…` and links' `operationRef`s follow the prefix.
//! - **operationIds** stay unique across the whole document (paths, webhooks, callbacks and
//!   path items in components). The first mount to use an id keeps it; a later clash becomes
//!   `NAMESPACE_ID` (`inventory_getItem`), with `_2`, `_3`… if that is taken too. Links'
//!   `operationId`s follow. Every rename is listed in [`Merged::renames`].
//! - **Components** of every kind (`schemas`, `responses`, `parameters`, `examples`,
//!   `requestBodies`, `headers`, `securitySchemes`, `links`, `callbacks`, `pathItems`, and 3.2's
//!   `mediaTypes`) are merged. A name used by two mounts for identical content is kept once. A
//!   name used for different content keeps its first definition, and the later one becomes
//!   `Namespace_Name` (`Inventory_Item`). "Identical" is judged after renaming, so a schema that
//!   refers to a renamed schema is itself renamed, which settles in a few rounds. Every `$ref` of
//!   the renamed mount's document follows, in paths, webhooks and components alike, as do
//!   discriminator mappings (explicit entries are rewritten, and an entry is added where a
//!   subtype's name was matched implicitly, so the discriminator's values keep their meaning) and
//!   the keys of security requirements when a security scheme is renamed.
//! - **Webhooks** are merged by name like components (a clash of different webhooks renames
//!   the later one `namespace_name`).
//! - **Tags** are merged by name: the first definition wins, later ones only fill in fields
//!   it lacks.
//! - **Servers.** Sub-document servers (at the root, on path items and on operations, in
//!   `paths` and in `components/pathItems`) are dropped: they describe where the sub-app lives
//!   on its own, and combined with a prefixed path they would point to the wrong URL. The merged
//!   document gets the servers of [`MergeInfo::servers`] (none by default, which means `/`).
//!   Each dropped server is reported in [`Merged::notes`].
//! - **Security.** When every mount has the same root `security` (after scheme renames), it
//!   stays at the root. Otherwise the merged document has no root `security`, and each mount's
//!   root requirements move onto its operations in `paths` that have no `security` of their own
//!   (a path item that is a `$ref` to `components/pathItems` is copied in place first, so that
//!   other mounts sharing the component are not affected). Webhooks are left alone: the API's
//!   root security does not describe requests the API sends.
//! - **Root extensions and `externalDocs`** are kept when every mount has the same value, and
//!   dropped otherwise (with a note); toolgate's root `x-mcp: false` moves onto the mount's
//!   operations that do not set `x-mcp`, so tool selection is unchanged. `jsonSchemaDialect` is
//!   kept when all mounts agree; mounts that disagree are an error, since their schemas would
//!   mean something else.
//!
//! ```
//! use serde_json::json;
//! use toolgate_openapi::merge::{MergeInfo, Mount, merge_documents};
//!
//! let doc = |desc: &str| json!({
//!     "openapi": "3.1.0",
//!     "info": {"title": "app", "version": "1"},
//!     "paths": {"/items/{id}": {"get": {
//!         "operationId": "getItem",
//!         "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
//!         "responses": {"200": {"description": "ok", "content": {"application/json": {
//!             "schema": {"$ref": "#/components/schemas/Item"}}}}}}}},
//!     "components": {"schemas": {"Item": {"type": "object", "description": desc}}}
//! });
//! let merged = merge_documents(
//!     [Mount::new("/inventory", doc("a stocked item")), Mount::new("/orders", doc("an ordered item"))],
//!     &MergeInfo::new("Shop", "1.0"),
//! )
//! .unwrap();
//! let paths = &merged.document["paths"];
//! assert!(paths.get("/inventory/items/{id}").is_some());
//! assert_eq!(paths["/orders/items/{id}"]["get"]["operationId"], "orders_getItem");
//! assert_eq!(
//!     paths["/orders/items/{id}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
//!     "#/components/schemas/Orders_Item"
//! );
//! assert_eq!(merged.renames.len(), 2);
//! ```

use std::collections::{HashMap, HashSet};
use std::fmt;

use serde_json::{Map, Value, json};

use crate::error::{Diagnostic, Error, Problem, ProblemKind, Severity};
use crate::pointer;

/// One sub-app: the prefix it is mounted under and its OpenAPI document.
#[derive(Debug, Clone)]
pub struct Mount {
    /// The path prefix (`/inventory`); may be empty. Slashes are normalized.
    pub prefix: String,
    /// The sub-app's OpenAPI 3.x document.
    pub document: Value,
    /// The namespace used to rename what clashes (`inventory` gives `inventory_getItem` and
    /// `Inventory_Item`). By default it is made from the prefix, or `root` for an empty prefix.
    pub namespace: Option<String>,
}

impl Mount {
    /// A mount with the namespace made from its prefix.
    pub fn new(prefix: impl Into<String>, document: Value) -> Mount {
        Mount { prefix: prefix.into(), document, namespace: None }
    }

    /// Sets the namespace used to rename what clashes; it is reduced to letters, digits and `_`.
    pub fn with_namespace(mut self, namespace: impl Into<String>) -> Mount {
        self.namespace = Some(namespace.into());
        self
    }
}

impl<P: Into<String>> From<(P, Value)> for Mount {
    fn from((prefix, document): (P, Value)) -> Mount {
        Mount::new(prefix, document)
    }
}

/// The merged document's own `info` and `servers`.
#[derive(Debug, Clone, Default)]
pub struct MergeInfo {
    /// `info.title`.
    pub title: String,
    /// `info.version`.
    pub version: String,
    /// `info.description`.
    pub description: Option<String>,
    /// Server URLs of the merged document (none by default, which OpenAPI reads as `/`).
    pub servers: Vec<String>,
}

impl MergeInfo {
    /// Info with a title and a version.
    pub fn new(title: impl Into<String>, version: impl Into<String>) -> MergeInfo {
        MergeInfo { title: title.into(), version: version.into(), ..MergeInfo::default() }
    }

    /// Sets the description.
    pub fn description(mut self, description: impl Into<String>) -> MergeInfo {
        self.description = Some(description.into());
        self
    }

    /// Adds a server URL.
    pub fn server(mut self, url: impl Into<String>) -> MergeInfo {
        self.servers.push(url.into());
        self
    }
}

/// A kind of reusable component (a key of `components`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ComponentKind {
    /// `schemas`
    Schemas,
    /// `responses`
    Responses,
    /// `parameters`
    Parameters,
    /// `examples`
    Examples,
    /// `requestBodies`
    RequestBodies,
    /// `headers`
    Headers,
    /// `securitySchemes`
    SecuritySchemes,
    /// `links`
    Links,
    /// `callbacks`
    Callbacks,
    /// `pathItems` (OpenAPI 3.1 and later)
    PathItems,
    /// `mediaTypes` (OpenAPI 3.2)
    MediaTypes,
}

impl ComponentKind {
    /// Every kind, in the order the merged document lists them.
    pub const ALL: [ComponentKind; 11] = [
        ComponentKind::Schemas,
        ComponentKind::Responses,
        ComponentKind::Parameters,
        ComponentKind::Examples,
        ComponentKind::RequestBodies,
        ComponentKind::Headers,
        ComponentKind::SecuritySchemes,
        ComponentKind::Links,
        ComponentKind::Callbacks,
        ComponentKind::PathItems,
        ComponentKind::MediaTypes,
    ];

    /// The key under `components` (`schemas`, `requestBodies`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            ComponentKind::Schemas => "schemas",
            ComponentKind::Responses => "responses",
            ComponentKind::Parameters => "parameters",
            ComponentKind::Examples => "examples",
            ComponentKind::RequestBodies => "requestBodies",
            ComponentKind::Headers => "headers",
            ComponentKind::SecuritySchemes => "securitySchemes",
            ComponentKind::Links => "links",
            ComponentKind::Callbacks => "callbacks",
            ComponentKind::PathItems => "pathItems",
            ComponentKind::MediaTypes => "mediaTypes",
        }
    }

    /// The kind for a key under `components`.
    pub fn from_key(key: &str) -> Option<ComponentKind> {
        ComponentKind::ALL.into_iter().find(|k| k.as_str() == key)
    }
}

/// What a [`Rename`] renamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RenameKind {
    /// An `operationId`.
    OperationId,
    /// A webhook name.
    Webhook,
    /// A component name.
    Component(ComponentKind),
}

impl fmt::Display for RenameKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RenameKind::OperationId => f.write_str("operationId"),
            RenameKind::Webhook => f.write_str("webhook"),
            RenameKind::Component(k) => write!(f, "components/{}", k.as_str()),
        }
    }
}

/// One name that was changed to keep the merged document consistent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rename {
    /// Index of the mount (in the order given) whose name changed.
    pub mount: usize,
    /// That mount's normalized prefix.
    pub prefix: String,
    /// What was renamed.
    pub kind: RenameKind,
    /// Where the name is in the mount's own document (`/components/schemas/Item`,
    /// `/paths/~1items/get/operationId`).
    pub pointer: String,
    /// The name in the mount's document.
    pub from: String,
    /// The name in the merged document.
    pub to: String,
}

impl fmt::Display for Rename {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "mount #{} {:?}: {} `{}` → `{}`", self.mount + 1, self.prefix, self.kind, self.from, self.to)
    }
}

/// The result of [`merge_documents`].
#[derive(Debug, Clone)]
pub struct Merged {
    /// The merged OpenAPI document.
    pub document: Value,
    /// Every name that changed, by mount, in document order.
    pub renames: Vec<Rename>,
    /// What else was changed or left out (dropped servers, security moved onto operations,
    /// version conversion, components shared between mounts).
    pub notes: Vec<Diagnostic>,
}

impl Merged {
    /// The merged name of `from` (of `kind`, in mount `mount`), when it was renamed.
    pub fn renamed(&self, mount: usize, kind: RenameKind, from: &str) -> Option<&str> {
        self.renames.iter().find(|r| r.mount == mount && r.kind == kind && r.from == from).map(|r| r.to.as_str())
    }
}

/// Merges the documents of apps mounted under path prefixes into one document.
///
/// See the [module documentation](self) for what is merged and renamed, and how.
pub fn merge_documents(mounts: impl IntoIterator<Item = Mount>, info: &MergeInfo) -> Result<Merged, Error> {
    let mut problems = Vec::new();
    let mut notes = Vec::new();
    let mut subs: Vec<Sub> = Vec::new();
    for (index, mount) in mounts.into_iter().enumerate() {
        if let Some(sub) = Sub::new(index, mount, &mut problems) {
            subs.push(sub);
        }
    }
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }

    let version = subs.iter().map(|s| s.version.clone()).max().unwrap_or_else(|| Version::parse("3.1.0"));
    for sub in &mut subs {
        if sub.version.minor == 0 && version.minor > 0 {
            walk_document(&mut sub.doc, &mut Convert30);
            notes.push(sub.note(
                Severity::Info,
                "/openapi",
                format!(
                    "converted from OpenAPI {} to {}: `nullable` became type arrays, boolean exclusive bounds became numbers",
                    sub.version.raw, version.raw
                ),
            ));
        }
        sub.drop_servers(&mut notes);
        sub.children = subtype_map(&sub.doc);
    }

    let mut renames = Vec::new();
    rename_operation_ids(&mut subs, &mut renames);
    let (components, webhooks) = merge_components(&mut subs, &mut renames, &mut notes);
    for sub in &mut subs {
        let mut doc = std::mem::take(&mut sub.doc);
        walk_document(&mut doc, &mut sub.rewriter());
        sub.doc = doc;
    }
    renames.sort_by_key(|r| r.mount);

    let mut out = Map::new();
    out.insert("openapi".into(), Value::String(version.raw.clone()));
    match common(&subs, "jsonSchemaDialect") {
        Common::Same(Some(d)) => {
            out.insert("jsonSchemaDialect".into(), d);
        }
        Common::Same(None) => {}
        Common::Differ => {
            let dialects: Vec<Option<&Value>> = subs.iter().map(|s| s.doc.get("jsonSchemaDialect")).collect();
            let custom = dialects.iter().flatten().any(|d| !d.as_str().is_some_and(is_oas_dialect));
            if custom {
                for sub in &subs {
                    problems.push(sub.problem(
                        ProblemKind::Conflict,
                        "/jsonSchemaDialect",
                        "the mounts declare different `jsonSchemaDialect`s, so their schemas cannot share one document",
                    ));
                }
            }
        }
    }
    let mut info_obj = Map::new();
    info_obj.insert("title".into(), Value::String(info.title.clone()));
    if let Some(d) = &info.description {
        info_obj.insert("description".into(), Value::String(d.clone()));
    }
    info_obj.insert("version".into(), Value::String(info.version.clone()));
    out.insert("info".into(), Value::Object(info_obj));
    if !info.servers.is_empty() {
        out.insert("servers".into(), info.servers.iter().map(|u| json!({"url": u})).collect());
    }

    // Root security: kept when every mount agrees, else moved onto each mount's operations.
    let root_security: Vec<Option<Value>> = subs.iter().map(|s| s.root_security()).collect();
    let shared_security = match root_security.split_first() {
        Some((first, rest)) if rest.iter().all(|s| s == first) => first.clone(),
        _ => None,
    };
    let security_agrees = root_security.windows(2).all(|w| w[0] == w[1]);
    if let Some(sec) = &shared_security {
        out.insert("security".into(), sec.clone());
    }

    // Root extensions and externalDocs: kept when every mount agrees.
    let mut root_ext = Map::new();
    let mut mcp_off_moves = vec![false; subs.len()];
    let mut keys: Vec<String> = Vec::new();
    for sub in &subs {
        for k in sub.doc.keys() {
            if (k.starts_with("x-") || k == "externalDocs") && !keys.contains(k) {
                keys.push(k.clone());
            }
        }
    }
    for key in keys {
        match common(&subs, &key) {
            Common::Same(Some(v)) => {
                root_ext.insert(key, v);
            }
            Common::Same(None) => {}
            Common::Differ => {
                for (i, sub) in subs.iter().enumerate() {
                    let Some(v) = sub.doc.get(&key) else { continue };
                    if key == "x-mcp" && v == &Value::Bool(false) {
                        mcp_off_moves[i] = true;
                        notes.push(sub.note(
                            Severity::Info,
                            "/x-mcp",
                            "root `x-mcp: false` moved onto the mount's operations (the mounts disagree)".into(),
                        ));
                    } else {
                        notes.push(sub.note(
                            Severity::Warning,
                            &pointer::join("", &key),
                            format!("root `{key}` dropped: the mounts do not agree on it"),
                        ));
                    }
                }
            }
        }
    }

    // Tags: by name, first definition wins.
    let mut tags: Vec<Map<String, Value>> = Vec::new();
    for sub in &subs {
        let Some(Value::Array(list)) = sub.doc.get("tags") else { continue };
        for tag in list {
            let Some(t) = tag.as_object() else { continue };
            let Some(name) = t.get("name") else { continue };
            match tags.iter_mut().find(|x| x.get("name") == Some(name)) {
                Some(existing) => {
                    for (k, v) in t {
                        existing.entry(k.clone()).or_insert_with(|| v.clone());
                    }
                }
                None => tags.push(t.clone()),
            }
        }
    }
    if !tags.is_empty() {
        out.insert("tags".into(), Value::Array(tags.into_iter().map(Value::Object).collect()));
    }

    // Paths.
    let path_items = components.get(&ComponentKind::PathItems);
    let mut inlined: Vec<String> = Vec::new();
    let mut paths = Map::new();
    let mut owners: HashMap<String, usize> = HashMap::new();
    let mut templates: HashMap<String, (String, usize)> = HashMap::new();
    for (i, sub) in subs.iter_mut().enumerate() {
        let push_security = if security_agrees { None } else { root_security[i].clone() };
        if push_security.is_some() {
            notes.push(sub.note(
                Severity::Info,
                "/security",
                "root `security` moved onto the mount's operations (the mounts' root security differs)".into(),
            ));
        }
        let Some(Value::Object(own)) = sub.doc.shift_remove("paths") else { continue };
        for (key, mut item) in own {
            if key.starts_with("x-") {
                paths.entry(key).or_insert(item);
                continue;
            }
            let at = pointer::join("/paths", &key);
            if push_security.is_some() || mcp_off_moves[i] {
                inline_path_item(&mut item, path_items, &mut inlined);
                for_each_operation(&mut item, |op| {
                    if let Some(sec) = &push_security {
                        op.entry("security").or_insert_with(|| sec.clone());
                    }
                    if mcp_off_moves[i] {
                        op.entry("x-mcp").or_insert(Value::Bool(false));
                    }
                });
            }
            let full = join_path(&sub.prefix, &key);
            let shape = template_shape(&full);
            if let Some((other, owner)) = templates.get(&shape)
                && other != &full
            {
                problems.push(sub.problem(
                    ProblemKind::Conflict,
                    &at,
                    format!("`{full}` and `{other}` (mount #{}) are the same templated path", owner + 1),
                ));
                continue;
            }
            templates.insert(shape, (full.clone(), i));
            match paths.get_mut(&full) {
                None => {
                    owners.insert(full.clone(), i);
                    paths.insert(full, item);
                }
                Some(existing) => {
                    if let Err(why) = merge_path_items(existing, item) {
                        let owner = owners.get(&full).copied().unwrap_or(0);
                        problems.push(sub.problem(
                            ProblemKind::Conflict,
                            &at,
                            format!("`{full}` is also a path of mount #{}: {why}", owner + 1),
                        ));
                    }
                }
            }
        }
    }
    out.insert("paths".into(), Value::Object(paths));
    if !webhooks.is_empty() {
        out.insert("webhooks".into(), Value::Object(webhooks));
    }
    let mut comps = Map::new();
    for kind in ComponentKind::ALL {
        if let Some(m) = components.get(&kind)
            && !m.is_empty()
        {
            comps.insert(kind.as_str().into(), Value::Object(m.clone()));
        }
    }
    if !comps.is_empty() {
        out.insert("components".into(), Value::Object(comps));
    }
    out.extend(root_ext);
    prune_path_items(&mut out, inlined, &mut notes);

    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }
    Ok(Merged { document: Value::Object(out), renames, notes })
}

// ---------------------------------------------------------------------------------------------
// One mount, prepared.

struct Sub {
    index: usize,
    origin: String,
    prefix: String,
    /// Namespace for operationIds and webhooks (`inventory`).
    ns: String,
    /// Namespace for component names (`Inventory`).
    ns_upper: String,
    version: Version,
    doc: Map<String, Value>,
    /// operationId in the mount's document → operationId in the merged one (first occurrence).
    ops: HashMap<String, String>,
    /// Component and webhook renames.
    names: HashMap<RenameKind, HashMap<String, String>>,
    /// Schema name → names of the schemas whose `allOf` refers to it (implicit subtypes).
    children: HashMap<String, Vec<String>>,
}

impl Sub {
    fn new(index: usize, mount: Mount, problems: &mut Vec<Problem>) -> Option<Sub> {
        let origin = format!("mount #{} {:?}", index + 1, mount.prefix);
        let problem = |pointer: &str, kind: ProblemKind, message: String| Problem {
            origin: origin.clone(),
            pointer: pointer.to_owned(),
            kind,
            message,
        };
        let before = problems.len();
        let prefix = match normalize_prefix(&mount.prefix) {
            Ok(p) => p,
            Err(why) => {
                problems.push(problem("", ProblemKind::Shape, why));
                String::new()
            }
        };
        let Value::Object(doc) = mount.document else {
            problems.push(problem(
                "",
                ProblemKind::Shape,
                format!("the document must be an object, found {}", crate::schema::kind_of(&mount.document)),
            ));
            return None;
        };
        let declared = match doc.get("openapi") {
            Some(Value::String(v)) => Some(v.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        let version = match (doc.get("openapi"), doc.get("swagger")) {
            (Some(_), _)
                if declared.as_deref().is_some_and(|v| ["3.0", "3.1", "3.2"].iter().any(|p| v.starts_with(p))) =>
            {
                declared.as_deref().map(Version::parse)
            }
            (Some(v), _) => {
                problems.push(problem(
                    "/openapi",
                    ProblemKind::Shape,
                    format!("unsupported OpenAPI version {v} (merge takes 3.0, 3.1 and 3.2)"),
                ));
                None
            }
            (None, Some(_)) => {
                problems.push(problem(
                    "/swagger",
                    ProblemKind::Shape,
                    "Swagger 2.0 documents cannot be merged: convert it to OpenAPI 3 first".into(),
                ));
                None
            }
            (None, None) => {
                problems.push(problem(
                    "",
                    ProblemKind::Shape,
                    "`openapi` is not set: this is not an OpenAPI document".into(),
                ));
                None
            }
        };
        for (key, want) in [
            ("paths", "an object"),
            ("webhooks", "an object"),
            ("components", "an object"),
            ("tags", "an array"),
            ("security", "an array"),
        ] {
            if let Some(v) = doc.get(key) {
                let ok = if want == "an object" { v.is_object() } else { v.is_array() };
                if !ok {
                    problems.push(problem(
                        &pointer::join("", key),
                        ProblemKind::Shape,
                        format!("`{key}` must be {want}, found {}", crate::schema::kind_of(v)),
                    ));
                }
            }
        }
        if let Some(Value::Object(paths)) = doc.get("paths") {
            for (k, item) in paths {
                let at = pointer::join("/paths", k);
                if k.starts_with("x-") {
                    continue;
                }
                if !k.starts_with('/') {
                    problems.push(problem(&at, ProblemKind::Shape, "a path must start with `/`".into()));
                } else if !item.is_object() {
                    problems.push(problem(
                        &at,
                        ProblemKind::Shape,
                        format!("a path item must be an object, found {}", crate::schema::kind_of(item)),
                    ));
                }
            }
        }
        if let Some(Value::Object(comps)) = doc.get("components") {
            for kind in ComponentKind::ALL {
                if let Some(v) = comps.get(kind.as_str())
                    && !v.is_object()
                {
                    problems.push(problem(
                        &pointer::join("/components", kind.as_str()),
                        ProblemKind::Shape,
                        format!("`{}` must be an object, found {}", kind.as_str(), crate::schema::kind_of(v)),
                    ));
                }
            }
        }
        let mut doc = doc;
        let mut check = Check::default();
        walk_document(&mut doc, &mut check);
        let root = Value::Object(doc);
        for (at, kind, message) in check.problems {
            problems.push(problem(&at, kind, message));
        }
        for (at, reference) in check.refs {
            if let Err((kind, message)) = check_ref(&root, &reference) {
                problems.push(problem(&at, kind, message));
            }
        }
        let (Some(version), Value::Object(doc)) = (version, root) else { return None };
        if problems.len() > before {
            return None;
        }
        let ns = match mount.namespace.as_deref() {
            Some(n) => sanitize_namespace(n),
            None => sanitize_namespace(&prefix),
        };
        let ns = if ns.is_empty() { "root".to_owned() } else { ns };
        let mut chars = ns.chars();
        let ns_upper = chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default();
        Some(Sub {
            index,
            origin,
            prefix,
            ns,
            ns_upper,
            version,
            doc,
            ops: HashMap::new(),
            names: HashMap::new(),
            children: HashMap::new(),
        })
    }

    fn problem(&self, kind: ProblemKind, pointer: &str, message: impl Into<String>) -> Problem {
        Problem { origin: self.origin.clone(), pointer: pointer.to_owned(), kind, message: message.into() }
    }

    fn note(&self, severity: Severity, pointer: &str, message: String) -> Diagnostic {
        Diagnostic { severity, pointer: pointer.to_owned(), message: format!("{}: {message}", self.origin) }
    }

    fn rewriter(&self) -> Rewrite<'_> {
        Rewrite { prefix: &self.prefix, names: &self.names, ops: &self.ops, children: &self.children }
    }

    /// The root security requirements, `None` when there are none.
    fn root_security(&self) -> Option<Value> {
        match self.doc.get("security") {
            Some(Value::Array(a)) if !a.is_empty() => Some(Value::Array(a.clone())),
            _ => None,
        }
    }

    /// Drops the servers of the root, of path items and operations in `paths`, and of path
    /// items in `components/pathItems`.
    fn drop_servers(&mut self, notes: &mut Vec<Diagnostic>) {
        let mut dropped: Vec<(String, String)> = Vec::new();
        let urls = |v: &Value| -> String {
            match v {
                Value::Array(a) => a
                    .iter()
                    .filter_map(|s| s.get("url").and_then(Value::as_str))
                    .map(|u| format!("`{u}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                _ => String::new(),
            }
        };
        if let Some(s) = self.doc.shift_remove("servers") {
            dropped.push(("/servers".into(), urls(&s)));
        }
        let strip_item = |item: &mut Value, at: &str, dropped: &mut Vec<(String, String)>| {
            let Value::Object(m) = item else { return };
            if let Some(s) = m.shift_remove("servers") {
                dropped.push((pointer::join(at, "servers"), urls(&s)));
            }
            for (k, op) in m.iter_mut() {
                if let (true, Value::Object(op)) = (METHODS.contains(&k.as_str()), op)
                    && let Some(s) = op.shift_remove("servers")
                {
                    dropped.push((pointer::join(&pointer::join(at, k), "servers"), urls(&s)));
                }
            }
            if let Some(Value::Object(extra)) = m.get_mut("additionalOperations") {
                for (k, op) in extra.iter_mut() {
                    if let Value::Object(op) = op
                        && let Some(s) = op.shift_remove("servers")
                    {
                        let at =
                            pointer::join(&pointer::join(&pointer::join(at, "additionalOperations"), k), "servers");
                        dropped.push((at, urls(&s)));
                    }
                }
            }
        };
        if let Some(Value::Object(paths)) = self.doc.get_mut("paths") {
            for (k, item) in paths.iter_mut() {
                strip_item(item, &pointer::join("/paths", k), &mut dropped);
            }
        }
        if let Some(Value::Object(items)) =
            self.doc.get_mut("components").and_then(|c| c.get_mut("pathItems")).filter(|v| v.is_object())
        {
            for (k, item) in items.iter_mut() {
                strip_item(item, &pointer::join("/components/pathItems", k), &mut dropped);
            }
        }
        for (at, list) in dropped {
            notes.push(self.note(
                Severity::Warning,
                &at,
                format!(
                    "servers {list} dropped: the merged document's servers apply, with the mount prefix in the paths"
                ),
            ));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Operation ids.

fn rename_operation_ids(subs: &mut [Sub], renames: &mut Vec<Rename>) {
    let mut reserved: HashSet<String> = HashSet::new();
    for sub in subs.iter_mut() {
        let mut collect = CollectOps::default();
        walk_document(&mut sub.doc, &mut collect);
        reserved.extend(collect.ids);
    }
    let mut assigned: HashSet<String> = HashSet::new();
    for sub in subs.iter_mut() {
        let mut visit = OpIds {
            ns: &sub.ns,
            assigned: &mut assigned,
            reserved: &mut reserved,
            first: HashMap::new(),
            renamed: vec![],
        };
        let mut doc = std::mem::take(&mut sub.doc);
        walk_document(&mut doc, &mut visit);
        sub.doc = doc;
        let (first, renamed) = (visit.first, visit.renamed);
        sub.ops = first;
        for (at, from, to) in renamed {
            renames.push(Rename {
                mount: sub.index,
                prefix: sub.prefix.clone(),
                kind: RenameKind::OperationId,
                pointer: at,
                from,
                to,
            });
        }
    }
}

#[derive(Default)]
struct CollectOps {
    ids: Vec<String>,
}

impl Visit for CollectOps {
    fn operation(&mut self, op: &mut Map<String, Value>, _at: &str) {
        if let Some(Value::String(id)) = op.get("operationId") {
            self.ids.push(id.clone());
        }
    }
}

struct OpIds<'a> {
    ns: &'a str,
    assigned: &'a mut HashSet<String>,
    reserved: &'a mut HashSet<String>,
    first: HashMap<String, String>,
    renamed: Vec<(String, String, String)>,
}

impl Visit for OpIds<'_> {
    fn operation(&mut self, op: &mut Map<String, Value>, at: &str) {
        let Some(Value::String(id)) = op.get_mut("operationId") else { return };
        let old = id.clone();
        let new = if self.assigned.contains(&old) {
            fresh(&format!("{}_{old}", self.ns), self.reserved)
        } else {
            old.clone()
        };
        self.assigned.insert(new.clone());
        self.first.entry(old.clone()).or_insert_with(|| new.clone());
        if new != old {
            *id = new.clone();
            self.renamed.push((pointer::join(at, "operationId"), old, new));
        }
    }
}

/// `base`, or `base_2`, `base_3`… : the first one not reserved, which it then reserves.
fn fresh(base: &str, reserved: &mut HashSet<String>) -> String {
    let mut name = base.to_owned();
    let mut n = 2;
    while reserved.contains(&name) {
        name = format!("{base}_{n}");
        n += 1;
    }
    reserved.insert(name.clone());
    name
}

// ---------------------------------------------------------------------------------------------
// Components and webhooks.

type Placed = HashMap<ComponentKind, Map<String, Value>>;

fn merge_components(
    subs: &mut [Sub],
    renames: &mut Vec<Rename>,
    notes: &mut Vec<Diagnostic>,
) -> (Placed, Map<String, Value>) {
    let mut reserved: HashMap<RenameKind, HashSet<String>> = HashMap::new();
    for sub in subs.iter() {
        for kind in ComponentKind::ALL {
            reserved
                .entry(RenameKind::Component(kind))
                .or_default()
                .extend(component_map(&sub.doc, kind).keys().cloned());
        }
        if let Some(Value::Object(w)) = sub.doc.get("webhooks") {
            reserved.entry(RenameKind::Webhook).or_default().extend(w.keys().cloned());
        }
    }
    loop {
        let mut placed: Placed = HashMap::new();
        let mut hooks = Map::new();
        let mut owner: HashMap<(RenameKind, String), usize> = HashMap::new();
        let mut shared: Vec<Diagnostic> = Vec::new();
        let mut changed = false;
        for sub in subs.iter_mut() {
            let mut new_names: Vec<(RenameKind, String, String)> = Vec::new();
            {
                let mut rw = sub.rewriter();
                let mut items: Vec<(RenameKind, String, Value)> = Vec::new();
                for kind in ComponentKind::ALL {
                    for (name, value) in component_map(&sub.doc, kind) {
                        let mut v = value.clone();
                        let at = pointer::join(&pointer::join("/components", kind.as_str()), name);
                        Walk { v: &mut rw }.component(kind, &mut v, &at, 0);
                        items.push((RenameKind::Component(kind), name.clone(), v));
                    }
                }
                if let Some(Value::Object(w)) = sub.doc.get("webhooks") {
                    for (name, value) in w {
                        let mut v = value.clone();
                        Walk { v: &mut rw }.path_item(&mut v, &pointer::join("/webhooks", name), 0);
                        items.push((RenameKind::Webhook, name.clone(), v));
                    }
                }
                for (kind, name, v) in items {
                    let target = match kind {
                        RenameKind::Component(k) => placed.entry(k).or_default(),
                        _ => &mut hooks,
                    };
                    if let Some(to) = sub.names.get(&kind).and_then(|m| m.get(&name)) {
                        target.insert(to.clone(), v);
                        continue;
                    }
                    match target.get(&name) {
                        None => {
                            owner.insert((kind, name.clone()), sub.index);
                            target.insert(name, v);
                        }
                        Some(existing) if *existing == v => {
                            let first = owner.get(&(kind, name.clone())).copied().unwrap_or(0);
                            shared.push(sub.note(
                                Severity::Info,
                                &rename_pointer(kind, &name),
                                format!("{kind} `{name}` is identical to mount #{}'s: kept once", first + 1),
                            ));
                        }
                        Some(_) => {
                            let base = match kind {
                                RenameKind::Component(_) => format!("{}_{name}", sub.ns_upper),
                                _ => format!("{}_{name}", sub.ns),
                            };
                            let to = fresh(&base, reserved.entry(kind).or_default());
                            target.insert(to.clone(), v);
                            new_names.push((kind, name, to));
                            changed = true;
                        }
                    }
                }
            }
            for (kind, from, to) in new_names {
                sub.names.entry(kind).or_default().insert(from, to);
            }
        }
        if !changed {
            notes.extend(shared);
            for sub in subs.iter() {
                let kinds = ComponentKind::ALL.into_iter().map(RenameKind::Component).chain([RenameKind::Webhook]);
                for kind in kinds {
                    let names: Vec<&String> = match kind {
                        RenameKind::Component(k) => component_map(&sub.doc, k).keys().collect(),
                        _ => sub
                            .doc
                            .get("webhooks")
                            .and_then(Value::as_object)
                            .map(|w| w.keys().collect())
                            .unwrap_or_default(),
                    };
                    for from in names {
                        if let Some(to) = sub.names.get(&kind).and_then(|m| m.get(from)) {
                            renames.push(Rename {
                                mount: sub.index,
                                prefix: sub.prefix.clone(),
                                kind,
                                pointer: rename_pointer(kind, from),
                                from: from.clone(),
                                to: to.clone(),
                            });
                        }
                    }
                }
            }
            return (placed, hooks);
        }
    }
}

fn rename_pointer(kind: RenameKind, name: &str) -> String {
    match kind {
        RenameKind::Component(k) => pointer::join(&pointer::join("/components", k.as_str()), name),
        _ => pointer::join("/webhooks", name),
    }
}

static EMPTY: std::sync::LazyLock<Map<String, Value>> = std::sync::LazyLock::new(Map::new);

fn component_map(doc: &Map<String, Value>, kind: ComponentKind) -> &Map<String, Value> {
    doc.get("components").and_then(|c| c.get(kind.as_str())).and_then(Value::as_object).unwrap_or(&EMPTY)
}

/// Schema name → names of component schemas that list it in their `allOf` (the subtypes a
/// discriminator on it matches by name).
fn subtype_map(doc: &Map<String, Value>) -> HashMap<String, Vec<String>> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for (name, schema) in component_map(doc, ComponentKind::Schemas) {
        let Some(Value::Array(all)) = schema.get("allOf") else { continue };
        for part in all {
            if let Some(parent) = part.get("$ref").and_then(Value::as_str).and_then(schema_name_of_ref) {
                out.entry(parent).or_default().push(name.clone());
            }
        }
    }
    out
}

/// `#/components/schemas/NAME` → `NAME`.
fn schema_name_of_ref(r: &str) -> Option<String> {
    let frag = pointer::decode_fragment(r.strip_prefix("#/")?);
    let mut parts = frag.split('/');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("components"), Some("schemas"), Some(name), None) => Some(pointer::unescape(name)),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Paths.

fn normalize_prefix(raw: &str) -> Result<String, String> {
    let t = raw.trim();
    if let Some(c) = t.chars().find(|c| matches!(c, '{' | '}' | '?' | '#') || c.is_whitespace() || c.is_control()) {
        return Err(format!("the prefix {raw:?} may not contain {c:?}: it must be a plain path such as `/inventory`"));
    }
    let segments: Vec<&str> = t.split('/').filter(|s| !s.is_empty()).collect();
    if segments.iter().any(|s| *s == "." || *s == "..") {
        return Err(format!("the prefix {raw:?} may not contain `.` or `..` segments"));
    }
    Ok(if segments.is_empty() { String::new() } else { format!("/{}", segments.join("/")) })
}

fn join_path(prefix: &str, path: &str) -> String {
    format!("{prefix}{path}")
}

/// A path with every template reduced to `{}`: two paths with the same shape are the same path.
fn template_shape(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut inside = false;
    for c in path.chars() {
        match c {
            '{' => {
                inside = true;
                out.push_str("{}");
            }
            '}' if inside => inside = false,
            _ if inside => {}
            _ => out.push(c),
        }
    }
    out
}

fn sanitize_namespace(raw: &str) -> String {
    let mut out = String::new();
    for c in raw.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_end_matches('_').to_owned()
}

fn for_each_operation(item: &mut Value, mut f: impl FnMut(&mut Map<String, Value>)) {
    let Value::Object(m) = item else { return };
    for (k, op) in m.iter_mut() {
        if let (true, Value::Object(op)) = (METHODS.contains(&k.as_str()), op) {
            f(op);
        }
    }
    if let Some(Value::Object(extra)) = m.get_mut("additionalOperations") {
        for op in extra.values_mut() {
            if let Value::Object(op) = op {
                f(op);
            }
        }
    }
}

/// Removes the `components/pathItems` entries that were copied into paths and are no longer
/// referenced (their operations would otherwise be described twice).
fn prune_path_items(out: &mut Map<String, Value>, inlined: Vec<String>, notes: &mut Vec<Diagnostic>) {
    if inlined.is_empty() {
        return;
    }
    let mut refs = CollectRefs::default();
    walk_document(out, &mut refs);
    let used: HashSet<String> = refs
        .0
        .iter()
        .filter_map(|r| {
            let frag = pointer::decode_fragment(r.strip_prefix("#/")?);
            let mut parts = frag.split('/');
            match (parts.next(), parts.next(), parts.next()) {
                (Some("components"), Some("pathItems"), Some(name)) => Some(pointer::unescape(name)),
                _ => None,
            }
        })
        .collect();
    let Some(Value::Object(comps)) = out.get_mut("components") else { return };
    let Some(Value::Object(items)) = comps.get_mut("pathItems") else { return };
    for name in inlined {
        if !used.contains(&name) && items.shift_remove(&name).is_some() {
            notes.push(Diagnostic {
                severity: Severity::Info,
                pointer: pointer::join("/components/pathItems", &name),
                message: format!(
                    "path item `{name}` was copied into the paths that used it (to carry the mount's root security or x-mcp) and, no longer referenced, removed"
                ),
            });
        }
    }
    if items.is_empty() {
        comps.shift_remove("pathItems");
    }
    if comps.is_empty() {
        out.shift_remove("components");
    }
}

#[derive(Default)]
struct CollectRefs(Vec<String>);

impl Visit for CollectRefs {
    fn reference(&mut self, r: &mut Value, _at: &str) {
        if let Value::String(s) = r {
            self.0.push(s.clone());
        }
    }
}

/// Replaces a `$ref` path item by a copy of the `components/pathItems` entry it points to, and
/// records the names it copied.
fn inline_path_item(item: &mut Value, path_items: Option<&Map<String, Value>>, inlined: &mut Vec<String>) {
    for _ in 0..16 {
        let Some(r) = item.get("$ref").and_then(Value::as_str) else { return };
        let Some(rest) = r.strip_prefix("#/") else { return };
        let frag = pointer::decode_fragment(rest);
        let mut parts = frag.split('/');
        let name = match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some("components"), Some("pathItems"), Some(name), None) => pointer::unescape(name),
            _ => return,
        };
        let Some(Value::Object(target)) = path_items.and_then(|p| p.get(&name)) else { return };
        if !inlined.contains(&name) {
            inlined.push(name.clone());
        }
        let mut copy = target.clone();
        if let Value::Object(m) = item {
            for (k, v) in m.iter() {
                if k != "$ref" {
                    copy.insert(k.clone(), v.clone());
                }
            }
        }
        *item = Value::Object(copy);
    }
}

/// Adds the methods of `b` to the path item `a`.
fn merge_path_items(a: &mut Value, b: Value) -> Result<(), String> {
    let (Value::Object(a), Value::Object(mut b)) = (a, b) else { return Err("a path item is not an object".into()) };
    if a.contains_key("$ref") || b.contains_key("$ref") {
        return Err("one of them is a `$ref` path item, which cannot be merged with another".into());
    }
    for k in METHODS {
        if a.contains_key(k) && b.contains_key(k) {
            return Err(format!("both define {}", k.to_ascii_uppercase()));
        }
    }
    if let (Some(Value::Object(x)), Some(Value::Object(y))) =
        (a.get("additionalOperations"), b.get("additionalOperations"))
        && let Some(k) = y.keys().find(|k| x.contains_key(*k))
    {
        return Err(format!("both define {k}"));
    }
    if let (Some(x), Some(y)) = (a.get("parameters"), b.get("parameters"))
        && x != y
    {
        return Err("their path-level `parameters` differ".into());
    }
    // A path-level `x-mcp` that only one side has, or that differs, moves onto that side's operations.
    let (xa, xb) = (a.get("x-mcp").cloned(), b.get("x-mcp").cloned());
    if xa != xb {
        for (side, flag) in [(&mut *a, xa), (&mut b, xb)] {
            side.shift_remove("x-mcp");
            if let Some(flag @ Value::Bool(false)) = flag {
                let mut item = Value::Object(std::mem::take(side));
                for_each_operation(&mut item, |op| {
                    op.entry("x-mcp").or_insert_with(|| flag.clone());
                });
                if let Value::Object(m) = item {
                    *side = m;
                }
            }
        }
    }
    for (k, v) in b {
        if k == "additionalOperations"
            && let (Some(Value::Object(x)), Value::Object(y)) = (a.get_mut("additionalOperations"), &v)
        {
            x.extend(y.clone());
            continue;
        }
        a.entry(k).or_insert(v);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Root fields that mounts may or may not agree on.

enum Common {
    /// Every mount has this value (`None`: no mount has the field).
    Same(Option<Value>),
    Differ,
}

fn common(subs: &[Sub], key: &str) -> Common {
    let mut values = subs.iter().map(|s| s.doc.get(key));
    let Some(first) = values.next() else { return Common::Same(None) };
    if values.all(|v| v == first) { Common::Same(first.cloned()) } else { Common::Differ }
}

fn is_oas_dialect(d: &str) -> bool {
    d.starts_with("https://spec.openapis.org/oas/3.")
}

// ---------------------------------------------------------------------------------------------
// Versions.

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Version {
    major: u64,
    minor: u64,
    patch: u64,
    raw: String,
}

impl Version {
    /// Reads `3.1.0` (or `3.1`, as YAML may give it); `raw` is always `MAJOR.MINOR.PATCH`.
    fn parse(raw: &str) -> Version {
        let mut nums = raw.split(|c: char| !c.is_ascii_digit()).map(|p| p.parse::<u64>().unwrap_or(0));
        let (major, minor, patch) = (nums.next().unwrap_or(3), nums.next().unwrap_or(0), nums.next().unwrap_or(0));
        Version { major, minor, patch, raw: format!("{major}.{minor}.{patch}") }
    }
}

// ---------------------------------------------------------------------------------------------
// References.

fn check_ref(root: &Value, r: &str) -> Result<(), (ProblemKind, String)> {
    match r.split_once('#') {
        Some(("", frag)) => {
            if !frag.starts_with('/') {
                return Ok(());
            }
            let p = pointer::decode_fragment(frag);
            match pointer::resolve(root, &p) {
                Some(_) => Ok(()),
                None => Err((ProblemKind::DanglingRef, format!("`{r}` points to nothing in this document"))),
            }
        }
        _ => Err((
            ProblemKind::ExternalRef,
            format!("`{r}` refers to another document: merge takes self-contained documents (bundle them first)"),
        )),
    }
}

/// Percent-encodes what a URI fragment may not hold, after JSON-pointer escaping.
fn encode_token(token: &str) -> String {
    let escaped = pointer::escape(token);
    let mut out = String::with_capacity(escaped.len());
    for b in escaped.bytes() {
        let c = b as char;
        if c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:@?".contains(c) {
            out.push(c);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

struct Rewrite<'a> {
    prefix: &'a str,
    names: &'a HashMap<RenameKind, HashMap<String, String>>,
    ops: &'a HashMap<String, String>,
    children: &'a HashMap<String, Vec<String>>,
}

impl Rewrite<'_> {
    fn renamed(&self, kind: RenameKind, name: &str) -> Option<&String> {
        self.names.get(&kind).and_then(|m| m.get(name))
    }

    /// The reference with renamed components and webhooks and prefixed paths; `None` when it
    /// does not change.
    fn rewrite_ref(&self, r: &str) -> Option<String> {
        let frag = pointer::decode_fragment(r.strip_prefix("#/")?);
        let mut tokens: Vec<String> = frag.split('/').map(pointer::unescape).collect();
        let (index, new) = match tokens.first()?.as_str() {
            "components" => {
                let kind = ComponentKind::from_key(tokens.get(1)?)?;
                (2, self.renamed(RenameKind::Component(kind), tokens.get(2)?)?.clone())
            }
            "webhooks" => (1, self.renamed(RenameKind::Webhook, tokens.get(1)?)?.clone()),
            "paths" if !self.prefix.is_empty() && tokens.get(1).is_some_and(|p| p.starts_with('/')) => {
                (1, join_path(self.prefix, tokens.get(1)?))
            }
            _ => return None,
        };
        tokens[index] = new;
        Some(format!("#/{}", tokens.iter().map(|t| encode_token(t)).collect::<Vec<_>>().join("/")))
    }
}

impl Visit for Rewrite<'_> {
    fn reference(&mut self, r: &mut Value, _at: &str) {
        if let Value::String(s) = r
            && let Some(new) = self.rewrite_ref(s)
        {
            *s = new;
        }
    }

    fn schema(&mut self, s: &mut Value, at: &str) {
        let Value::Object(m) = s else { return };
        if !m.get("discriminator").is_some_and(Value::is_object) {
            return;
        }
        let mut implicit: Vec<String> = Vec::new();
        for key in ["oneOf", "anyOf"] {
            if let Some(Value::Array(list)) = m.get(key) {
                implicit.extend(
                    list.iter().filter_map(|i| i.get("$ref").and_then(Value::as_str).and_then(schema_name_of_ref)),
                );
            }
        }
        if implicit.is_empty()
            && let Some(name) = at.strip_prefix("/components/schemas/").filter(|n| !n.contains('/'))
        {
            implicit.extend(self.children.get(&pointer::unescape(name)).cloned().unwrap_or_default());
        }
        let Some(Value::Object(disc)) = m.get_mut("discriminator") else { return };
        // A subtype named in the mapping is no longer matched by its own name.
        if let Some(Value::Object(mapping)) = disc.get("mapping") {
            let explicit: HashSet<String> = mapping
                .values()
                .filter_map(Value::as_str)
                .filter_map(|t| if t.starts_with('#') { schema_name_of_ref(t) } else { Some(t.to_owned()) })
                .collect();
            implicit.retain(|n| !explicit.contains(n));
        }
        if let Some(Value::Object(mapping)) = disc.get_mut("mapping") {
            for v in mapping.values_mut() {
                let Value::String(t) = v else { continue };
                let new = if t.starts_with('#') {
                    self.rewrite_ref(t)
                } else {
                    self.renamed(RenameKind::Component(ComponentKind::Schemas), t).cloned()
                };
                if let Some(new) = new {
                    *t = new;
                }
            }
        }
        for name in implicit {
            let Some(new) = self.renamed(RenameKind::Component(ComponentKind::Schemas), &name) else { continue };
            let mapping = disc.entry("mapping").or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(mapping) = mapping
                && !mapping.contains_key(&name)
            {
                mapping.insert(name, Value::String(format!("#/components/schemas/{}", encode_token(new))));
            }
        }
    }

    fn link(&mut self, l: &mut Map<String, Value>, _at: &str) {
        if let Some(Value::String(id)) = l.get_mut("operationId")
            && let Some(new) = self.ops.get(id.as_str())
        {
            *id = new.clone();
        }
        if let Some(Value::String(r)) = l.get_mut("operationRef")
            && let Some(new) = self.rewrite_ref(r)
        {
            *r = new;
        }
    }

    fn security(&mut self, s: &mut Value, _at: &str) {
        let Some(renamed) = self.names.get(&RenameKind::Component(ComponentKind::SecuritySchemes)) else { return };
        let Value::Array(reqs) = s else { return };
        for req in reqs {
            let Value::Object(m) = req else { continue };
            if m.keys().any(|k| renamed.contains_key(k)) {
                let old = std::mem::take(m);
                for (k, v) in old {
                    m.insert(renamed.get(&k).cloned().unwrap_or(k), v);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Checks and conversions.

#[derive(Default)]
struct Check {
    refs: Vec<(String, String)>,
    problems: Vec<(String, ProblemKind, String)>,
}

impl Visit for Check {
    fn reference(&mut self, r: &mut Value, at: &str) {
        match r {
            Value::String(s) => self.refs.push((at.to_owned(), s.clone())),
            other => self.problems.push((
                at.to_owned(),
                ProblemKind::Shape,
                format!("`$ref` must be a string, found {}", crate::schema::kind_of(other)),
            )),
        }
    }

    fn schema(&mut self, s: &mut Value, at: &str) {
        if let Some(Value::Object(mapping)) = s.get("discriminator").and_then(|d| d.get("mapping")) {
            for (k, v) in mapping {
                if let Some(r) = v.as_str().filter(|r| r.starts_with('#')) {
                    let at = pointer::join(&pointer::join(&pointer::join(at, "discriminator"), "mapping"), k);
                    self.refs.push((at, r.to_owned()));
                }
            }
        }
    }

    fn operation(&mut self, op: &mut Map<String, Value>, at: &str) {
        if let Some(id) = op.get("operationId")
            && !id.is_string()
        {
            self.problems.push((
                pointer::join(at, "operationId"),
                ProblemKind::Shape,
                format!("`operationId` must be a string, found {}", crate::schema::kind_of(id)),
            ));
        }
    }

    fn too_deep(&mut self, at: &str) {
        self.problems.push((at.to_owned(), ProblemKind::Shape, format!("nested more than {MAX_DEPTH} levels deep")));
    }
}

/// OpenAPI 3.0 schemas in 3.1 terms.
struct Convert30;

impl Visit for Convert30 {
    fn schema(&mut self, s: &mut Value, _at: &str) {
        let Value::Object(m) = s else { return };
        for (bound, exclusive) in [("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")] {
            match m.get(exclusive) {
                Some(Value::Bool(true)) => match m.shift_remove(bound) {
                    Some(b) => {
                        m.insert(exclusive.into(), b);
                    }
                    None => {
                        m.shift_remove(exclusive);
                    }
                },
                Some(Value::Bool(false)) => {
                    m.shift_remove(exclusive);
                }
                _ => {}
            }
        }
        match m.shift_remove("nullable") {
            Some(Value::Bool(true)) => {
                let taken = std::mem::take(m);
                *s = Value::Object(crate::schema::make_nullable(taken));
            }
            Some(Value::Bool(false)) | None => {}
            Some(other) => {
                m.insert("nullable".into(), other);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// A walk over the structure of an OpenAPI 3.x document: it knows which values are schemas,
// references, operations, links and security requirements, and never looks inside examples,
// defaults or extensions.

const METHODS: [&str; 9] = ["get", "put", "post", "delete", "options", "head", "patch", "trace", "query"];
const MAX_DEPTH: usize = 256;

const SCHEMA_ONE: &[&str] = &[
    "additionalProperties",
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
const SCHEMA_MAP: &[&str] = &["properties", "patternProperties", "dependentSchemas", "$defs", "definitions"];
const SCHEMA_LIST: &[&str] = &["allOf", "anyOf", "oneOf", "prefixItems"];

trait Visit {
    /// A `$ref` value (outside discriminator mappings); `at` is the pointer of the `$ref`.
    fn reference(&mut self, _r: &mut Value, _at: &str) {}
    /// A schema object, before its subschemas are visited; it may be replaced.
    fn schema(&mut self, _s: &mut Value, _at: &str) {}
    /// An operation, before its contents are visited.
    fn operation(&mut self, _op: &mut Map<String, Value>, _at: &str) {}
    /// A link object that is not a reference.
    fn link(&mut self, _l: &mut Map<String, Value>, _at: &str) {}
    /// A list of security requirements.
    fn security(&mut self, _s: &mut Value, _at: &str) {}
    /// The document is nested too deeply to walk further here.
    fn too_deep(&mut self, _at: &str) {}
}

fn walk_document(doc: &mut Map<String, Value>, v: &mut impl Visit) {
    let mut w = Walk { v };
    if let Some(Value::Object(paths)) = doc.get_mut("paths") {
        for (k, item) in paths.iter_mut() {
            if !k.starts_with("x-") {
                w.path_item(item, &pointer::join("/paths", k), 0);
            }
        }
    }
    if let Some(Value::Object(hooks)) = doc.get_mut("webhooks") {
        for (k, item) in hooks.iter_mut() {
            w.path_item(item, &pointer::join("/webhooks", k), 0);
        }
    }
    if let Some(Value::Object(comps)) = doc.get_mut("components") {
        for kind in ComponentKind::ALL {
            if let Some(Value::Object(m)) = comps.get_mut(kind.as_str()) {
                let base = pointer::join("/components", kind.as_str());
                for (name, item) in m.iter_mut() {
                    w.component(kind, item, &pointer::join(&base, name), 0);
                }
            }
        }
    }
    if let Some(s) = doc.get_mut("security") {
        w.v.security(s, "/security");
    }
}

struct Walk<'a, V> {
    v: &'a mut V,
}

impl<V: Visit> Walk<'_, V> {
    fn deep(&mut self, d: usize, at: &str) -> bool {
        if d > MAX_DEPTH {
            self.v.too_deep(at);
            return true;
        }
        false
    }

    /// Visits the `$ref` of an object, if it has one.
    fn reference(&mut self, m: &mut Map<String, Value>, at: &str) -> bool {
        match m.get_mut("$ref") {
            Some(r) => {
                self.v.reference(r, &pointer::join(at, "$ref"));
                true
            }
            None => false,
        }
    }

    fn component(&mut self, kind: ComponentKind, item: &mut Value, at: &str, d: usize) {
        match kind {
            ComponentKind::Schemas => self.schema(item, at, d),
            ComponentKind::Responses => self.response(item, at, d),
            ComponentKind::Parameters | ComponentKind::Headers => self.parameter(item, at, d),
            ComponentKind::RequestBodies => self.request_body(item, at, d),
            ComponentKind::Links => self.link(item, at),
            ComponentKind::Callbacks => self.callback(item, at, d),
            ComponentKind::PathItems => self.path_item(item, at, d),
            ComponentKind::MediaTypes => self.media_type(item, at, d),
            ComponentKind::Examples | ComponentKind::SecuritySchemes => {
                if let Value::Object(m) = item {
                    self.reference(m, at);
                }
            }
        }
    }

    fn path_item(&mut self, item: &mut Value, at: &str, d: usize) {
        if self.deep(d, at) {
            return;
        }
        let Value::Object(m) = item else { return };
        self.reference(m, at);
        if let Some(Value::Array(ps)) = m.get_mut("parameters") {
            let base = pointer::join(at, "parameters");
            for (i, p) in ps.iter_mut().enumerate() {
                self.parameter(p, &pointer::join(&base, &i.to_string()), d + 1);
            }
        }
        for (k, op) in m.iter_mut() {
            if let (true, Value::Object(op)) = (METHODS.contains(&k.as_str()), op) {
                self.operation(op, &pointer::join(at, k), d + 1);
            }
        }
        if let Some(Value::Object(extra)) = m.get_mut("additionalOperations") {
            let base = pointer::join(at, "additionalOperations");
            for (k, op) in extra.iter_mut() {
                if let Value::Object(op) = op {
                    self.operation(op, &pointer::join(&base, k), d + 1);
                }
            }
        }
    }

    fn operation(&mut self, op: &mut Map<String, Value>, at: &str, d: usize) {
        self.v.operation(op, at);
        if let Some(Value::Array(ps)) = op.get_mut("parameters") {
            let base = pointer::join(at, "parameters");
            for (i, p) in ps.iter_mut().enumerate() {
                self.parameter(p, &pointer::join(&base, &i.to_string()), d + 1);
            }
        }
        if let Some(body) = op.get_mut("requestBody") {
            self.request_body(body, &pointer::join(at, "requestBody"), d + 1);
        }
        if let Some(Value::Object(rs)) = op.get_mut("responses") {
            let base = pointer::join(at, "responses");
            for (code, r) in rs.iter_mut() {
                if !code.starts_with("x-") {
                    self.response(r, &pointer::join(&base, code), d + 1);
                }
            }
        }
        if let Some(Value::Object(cbs)) = op.get_mut("callbacks") {
            let base = pointer::join(at, "callbacks");
            for (name, cb) in cbs.iter_mut() {
                self.callback(cb, &pointer::join(&base, name), d + 1);
            }
        }
        if let Some(s) = op.get_mut("security") {
            self.v.security(s, &pointer::join(at, "security"));
        }
    }

    /// A parameter or a header.
    fn parameter(&mut self, p: &mut Value, at: &str, d: usize) {
        if self.deep(d, at) {
            return;
        }
        let Value::Object(m) = p else { return };
        if self.reference(m, at) {
            return;
        }
        if let Some(s) = m.get_mut("schema") {
            self.schema(s, &pointer::join(at, "schema"), d + 1);
        }
        self.content(m, at, d);
        self.examples(m, at);
    }

    fn request_body(&mut self, b: &mut Value, at: &str, d: usize) {
        let Value::Object(m) = b else { return };
        if self.reference(m, at) {
            return;
        }
        self.content(m, at, d);
    }

    fn response(&mut self, r: &mut Value, at: &str, d: usize) {
        if self.deep(d, at) {
            return;
        }
        let Value::Object(m) = r else { return };
        if self.reference(m, at) {
            return;
        }
        self.headers(m, at, d);
        self.content(m, at, d);
        if let Some(Value::Object(links)) = m.get_mut("links") {
            let base = pointer::join(at, "links");
            for (name, l) in links.iter_mut() {
                self.link(l, &pointer::join(&base, name));
            }
        }
    }

    fn headers(&mut self, m: &mut Map<String, Value>, at: &str, d: usize) {
        if let Some(Value::Object(hs)) = m.get_mut("headers") {
            let base = pointer::join(at, "headers");
            for (name, h) in hs.iter_mut() {
                self.parameter(h, &pointer::join(&base, name), d + 1);
            }
        }
    }

    fn content(&mut self, m: &mut Map<String, Value>, at: &str, d: usize) {
        if let Some(Value::Object(content)) = m.get_mut("content") {
            let base = pointer::join(at, "content");
            for (mt, media) in content.iter_mut() {
                self.media_type(media, &pointer::join(&base, mt), d + 1);
            }
        }
    }

    fn media_type(&mut self, media: &mut Value, at: &str, d: usize) {
        if self.deep(d, at) {
            return;
        }
        let Value::Object(m) = media else { return };
        if self.reference(m, at) {
            return;
        }
        for key in ["schema", "itemSchema"] {
            if let Some(s) = m.get_mut(key) {
                self.schema(s, &pointer::join(at, key), d + 1);
            }
        }
        self.examples(m, at);
        self.encodings(m, at, d);
    }

    fn encodings(&mut self, m: &mut Map<String, Value>, at: &str, d: usize) {
        if let Some(Value::Object(enc)) = m.get_mut("encoding") {
            let base = pointer::join(at, "encoding");
            for (name, e) in enc.iter_mut() {
                self.encoding(e, &pointer::join(&base, name), d + 1);
            }
        }
        if let Some(Value::Array(enc)) = m.get_mut("prefixEncoding") {
            let base = pointer::join(at, "prefixEncoding");
            for (i, e) in enc.iter_mut().enumerate() {
                self.encoding(e, &pointer::join(&base, &i.to_string()), d + 1);
            }
        }
        if let Some(e) = m.get_mut("itemEncoding") {
            self.encoding(e, &pointer::join(at, "itemEncoding"), d + 1);
        }
    }

    fn encoding(&mut self, e: &mut Value, at: &str, d: usize) {
        if self.deep(d, at) {
            return;
        }
        let Value::Object(m) = e else { return };
        self.headers(m, at, d);
        self.encodings(m, at, d);
    }

    fn examples(&mut self, m: &mut Map<String, Value>, at: &str) {
        if let Some(Value::Object(examples)) = m.get_mut("examples") {
            let base = pointer::join(at, "examples");
            for (name, ex) in examples.iter_mut() {
                if let Value::Object(ex) = ex {
                    self.reference(ex, &pointer::join(&base, name));
                }
            }
        }
    }

    fn link(&mut self, l: &mut Value, at: &str) {
        let Value::Object(m) = l else { return };
        if self.reference(m, at) {
            return;
        }
        self.v.link(m, at);
    }

    fn callback(&mut self, cb: &mut Value, at: &str, d: usize) {
        if self.deep(d, at) {
            return;
        }
        let Value::Object(m) = cb else { return };
        if self.reference(m, at) {
            return;
        }
        for (expr, item) in m.iter_mut() {
            if !expr.starts_with("x-") {
                self.path_item(item, &pointer::join(at, expr), d + 1);
            }
        }
    }

    fn schema(&mut self, s: &mut Value, at: &str, d: usize) {
        if self.deep(d, at) {
            return;
        }
        if !s.is_object() {
            return;
        }
        self.v.schema(s, at);
        let Value::Object(m) = s else { return };
        self.reference(m, at);
        for (k, child) in m.iter_mut() {
            let key = k.as_str();
            let here = pointer::join(at, key);
            if key == "items" {
                match child {
                    Value::Array(list) => {
                        for (i, c) in list.iter_mut().enumerate() {
                            self.schema(c, &pointer::join(&here, &i.to_string()), d + 1);
                        }
                    }
                    other => self.schema(other, &here, d + 1),
                }
            } else if SCHEMA_ONE.contains(&key) {
                self.schema(child, &here, d + 1);
            } else if SCHEMA_MAP.contains(&key) || key == "dependencies" {
                if let Value::Object(map) = child {
                    for (name, c) in map.iter_mut() {
                        self.schema(c, &pointer::join(&here, name), d + 1);
                    }
                }
            } else if SCHEMA_LIST.contains(&key)
                && let Value::Array(list) = child
            {
                for (i, c) in list.iter_mut().enumerate() {
                    self.schema(c, &pointer::join(&here, &i.to_string()), d + 1);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_normalized() {
        assert_eq!(normalize_prefix("").unwrap(), "");
        assert_eq!(normalize_prefix("/").unwrap(), "");
        assert_eq!(normalize_prefix("inventory/").unwrap(), "/inventory");
        assert_eq!(normalize_prefix("//api//v1/").unwrap(), "/api/v1");
        assert!(normalize_prefix("/t/{tenant}").is_err());
        assert!(normalize_prefix("/a/../b").is_err());
        assert!(normalize_prefix("/a b").is_err());
    }

    #[test]
    fn namespaces_are_sanitized() {
        assert_eq!(sanitize_namespace("/inventory"), "inventory");
        assert_eq!(sanitize_namespace("/api/v1"), "api_v1");
        assert_eq!(sanitize_namespace("/my-shop.v2/"), "my_shop_v2");
        assert_eq!(sanitize_namespace("/"), "");
    }

    #[test]
    fn templates_have_one_shape() {
        assert_eq!(template_shape("/a/{x}/b/{y}"), "/a/{}/b/{}");
        assert_eq!(template_shape("/a/{x}"), template_shape("/a/{item_id}"));
    }

    #[test]
    fn tokens_are_escaped_and_encoded() {
        assert_eq!(encode_token("/shop/items/{id}"), "~1shop~1items~1%7Bid%7D");
        assert_eq!(encode_token("Inventory_Item"), "Inventory_Item");
        assert_eq!(encode_token("a b%"), "a%20b%25");
    }

    #[test]
    fn versions_order() {
        assert!(Version::parse("3.1.0") > Version::parse("3.0.3"));
        assert!(Version::parse("3.1.1") > Version::parse("3.1.0"));
        assert!(Version::parse("3.2.0") > Version::parse("3.1.1"));
        assert_eq!(Version::parse("3.1").raw, "3.1.0");
    }
}
