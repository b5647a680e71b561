//! Composition: several APIs behind one MCP server.
//!
//! [`Compose`] puts axum apps nested under path prefixes (`Router::nest`), APIs reachable over
//! HTTP, and hand-written tools under one [`Catalog`], one MCP endpoint, one authentication
//! configuration. Each [`Part`] has its own OpenAPI document, selection, namespace (by default
//! made from its prefix: `/inventory` gives `inventory_get_item`) and call options. A tool name
//! used twice is a start-up error that names both operations.
//!
//! The composed app also serves one OpenAPI document (at `/openapi.json` by default) that merges
//! the documents of its in-process parts with
//! [`merge_documents`](toolgate_openapi::merge::merge_documents): paths carry their prefix,
//! clashing components and `operationId`s are renamed with the part's namespace. Each operation
//! served as a tool carries `x-mcp-name` (its full tool name) and each operation left out
//! carries `x-mcp: false`, so loading the merged document back gives the same tools.
//!
//! ```no_run
//! use axum::{Router, routing::{get, post}};
//! # async fn get_inventory() -> &'static str { "{}" }
//! # async fn create_order() -> &'static str { "{}" }
//! # fn doc() -> serde_json::Value { serde_json::json!({}) }
//! # async fn run() -> Result<(), toolgate::Error> {
//! let inventory = Router::new().route("/{sku}", get(get_inventory));
//! let orders = Router::new().route("/", post(create_order));
//! let composed = toolgate::Compose::new()
//!     .nest("/inventory", inventory, doc())   // tools `inventory_…`, calling /inventory/…
//!     .nest("/orders", orders, doc())         // tools `orders_…`
//!     .build()
//!     .await?;
//! let app = composed.router();                // the apps, /mcp and /openapi.json
//! # Ok(()) }
//! ```

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde::Serialize;
use serde_json::Value;
use toolgate_mcp::{HttpOptions, ServerOptions};
use toolgate_openapi::LoadOptions;
use toolgate_openapi::merge::{MergeInfo, merge_documents};
use toolgate_tools::{Override, ToolsetOptions};

use crate::catalog::{CallOptions, Catalog, Mount};
use crate::custom::CustomTool;
use crate::mcp::McpEndpoint;
use crate::prompts::Prompt;
use crate::resources::{Resource, ResourceTemplate};
use crate::source::Source;
use crate::upstream::Upstream;

/// Where the calls of a [`Part`] go.
enum Target {
    /// A router the composition nests under the part's prefix.
    Nested(axum::Router),
    /// A route tree the app given to [`Compose::with_app`] already serves under the prefix.
    Routed,
    /// Any upstream (an HTTP API, a service in this process).
    Upstream(Result<Upstream, String>),
}

/// One API of a composed server: its OpenAPI document, where calls go, which operations become
/// tools and under which namespace.
#[must_use]
pub struct Part {
    prefix: String,
    document: Result<Source, String>,
    target: Target,
    tools: ToolsetOptions,
    namespace_given: bool,
    calls: Option<CallOptions>,
    load: LoadOptions,
}

impl std::fmt::Debug for Part {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Part").field("prefix", &self.prefix).field("namespace", &self.tools.namespace).finish()
    }
}

fn to_value(openapi: impl Serialize) -> Result<Source, String> {
    serde_json::to_value(openapi)
        .map(Source::Value)
        .map_err(|e| format!("the OpenAPI document does not serialize: {e}"))
}

impl Part {
    fn with(prefix: &str, document: Result<Source, String>, target: Target) -> Part {
        let prefix = normalize_prefix(prefix);
        let namespace = namespace_for(&prefix);
        Part {
            prefix,
            document,
            target,
            tools: ToolsetOptions { namespace, ..ToolsetOptions::default() },
            namespace_given: false,
            calls: None,
            load: LoadOptions::default(),
        }
    }

    /// An axum app nested under `prefix` (as `Router::nest` does) and described by `openapi`
    /// (a `utoipa::openapi::OpenApi`, a `serde_json::Value`, …) as if it were alone: its paths
    /// lack the prefix. Its tools call `prefix/…` in process, through the composed app. The
    /// namespace is made from the prefix (`/inventory` → `inventory`); an empty prefix merges
    /// the app at the root, with no namespace.
    pub fn nested(prefix: &str, router: axum::Router, openapi: impl Serialize) -> Part {
        Part::with(prefix, to_value(openapi), Target::Nested(router))
    }

    /// A sub-app the app given to [`Compose::with_app`] already serves under `prefix` (you
    /// nested it yourself, perhaps with layers around it); `openapi` describes it without the
    /// prefix. Its tools call `prefix/…` through that app.
    pub fn routed(prefix: &str, openapi: impl Serialize) -> Part {
        Part::with(prefix, to_value(openapi), Target::Routed)
    }

    /// An HTTP API at `base` (`http(s)://host[:port][/prefix]`), described by the document at
    /// `source` (a file, a URL, or a value). No namespace unless [`Part::namespace`] sets one;
    /// nothing of the MCP request is forwarded unless [`Part::forward_headers`] says so.
    pub fn http(base: &str, source: Source) -> Part {
        Part::with("", Ok(source), Target::Upstream(Upstream::http(base)))
    }

    /// Any [`Upstream`] (an HTTP client you configured, a tower service in this process),
    /// described by the document at `source`.
    pub fn upstream(upstream: Upstream, source: Source) -> Part {
        Part::with("", Ok(source), Target::Upstream(Ok(upstream)))
    }

    /// Prefixes this part's tool names with `namespace_` (the prefix counts inside the
    /// name-length limit).
    pub fn namespace(mut self, namespace: &str) -> Part {
        self.tools.namespace = (!namespace.is_empty()).then(|| namespace.to_owned());
        self.namespace_given = true;
        self
    }

    /// Only these operations (by `operationId` or tool name before namespacing) become tools;
    /// a name that matches nothing is an error.
    pub fn tools<I, S>(mut self, names: I) -> Part
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.tools.selection.include_operations.extend(names.into_iter().map(Into::into));
        self
    }

    /// Leaves these operations out.
    pub fn exclude<I, S>(mut self, names: I) -> Part
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.tools.selection.exclude_operations.extend(names.into_iter().map(Into::into));
        self
    }

    /// Only operations with one of these tags.
    pub fn tags<I, S>(mut self, tags: I) -> Part
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.tools.selection.include_tags.extend(tags.into_iter().map(Into::into));
        self
    }

    /// Sets any part of one tool (name, description, annotations, timeout, scopes).
    pub fn configure(mut self, operation: &str, o: Override) -> Part {
        self.tools.overrides.insert(operation.to_owned(), o);
        self
    }

    /// All tool options at once. Its namespace, when set, replaces the one made from the prefix.
    pub fn tool_options(mut self, options: ToolsetOptions) -> Part {
        let namespace = if options.namespace.is_some() || self.namespace_given {
            options.namespace.clone()
        } else {
            self.tools.namespace.take()
        };
        self.namespace_given |= options.namespace.is_some();
        self.tools = ToolsetOptions { namespace, ..options };
        self
    }

    /// Timeout of each call of this part's tools (a tool's own `x-mcp-timeout` wins).
    pub fn timeout(mut self, timeout: Duration) -> Part {
        self.tools.default_timeout = Some(timeout);
        self
    }

    /// How calls reach the API. By default an in-process app gets the caller's `Authorization`
    /// header (the same audience) and an HTTP API gets nothing of the MCP request.
    pub fn call_options(mut self, options: CallOptions) -> Part {
        self.calls = Some(options);
        self
    }

    /// How the document is loaded (external references, leniency).
    pub fn load_options(mut self, options: LoadOptions) -> Part {
        self.load = options;
        self
    }

    /// The prefix (normalized: a leading `/`, no trailing `/`; empty for the root).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The namespace of this part's tools, if any.
    pub fn namespace_name(&self) -> Option<&str> {
        self.tools.namespace.as_deref()
    }

    fn in_process_app(&self) -> bool {
        matches!(self.target, Target::Nested(_) | Target::Routed)
    }

    fn label(&self, index: usize) -> String {
        match (&self.target, &self.document) {
            (Target::Upstream(_), Ok(s)) => format!("part #{} ({})", index + 1, s.label()),
            _ if self.prefix.is_empty() => format!("part #{} (at the root)", index + 1),
            _ => format!("part #{} ({})", index + 1, self.prefix),
        }
    }
}

/// `inventory/` → `/inventory`; `/` → ``.
fn normalize_prefix(prefix: &str) -> String {
    let p = prefix.trim().trim_end_matches('/');
    if p.is_empty() {
        String::new()
    } else if p.starts_with('/') {
        p.to_owned()
    } else {
        format!("/{p}")
    }
}

/// `/inventory` → `inventory`; `/api/v1` → `api_v1`; the root has none.
fn namespace_for(prefix: &str) -> Option<String> {
    let raw: String = prefix.trim_matches('/').replace('/', "_");
    (!raw.is_empty()).then(|| toolgate_tools::naming::sanitize(&raw))
}

/// Builds one MCP server over several APIs. See the [module documentation](self).
#[must_use]
pub struct Compose {
    app: axum::Router,
    parts: Vec<Part>,
    custom: Vec<CustomTool>,
    resources: Vec<Resource>,
    templates: Vec<ResourceTemplate>,
    prompts: Vec<Prompt>,
    server: ServerOptions,
    http: HttpOptions,
    path: String,
    auth: Option<crate::auth::AuthConfig>,
    openapi_path: Option<String>,
    info: Option<MergeInfo>,
    allow_empty: bool,
    rate_limit: Option<crate::limit::RateLimit>,
}

impl std::fmt::Debug for Compose {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Compose").field("parts", &self.parts).field("path", &self.path).finish()
    }
}

impl Default for Compose {
    fn default() -> Self {
        Compose::new()
    }
}

impl Compose {
    /// An empty composition: add parts with [`Compose::nest`] and [`Compose::part`].
    pub fn new() -> Compose {
        Compose::with_app(axum::Router::new())
    }

    /// Starts from an app of yours: nested parts are added to it, [`Part::routed`] parts are
    /// already in it, and in-process tool calls go through it (its layers run).
    pub fn with_app(app: axum::Router) -> Compose {
        Compose {
            app,
            parts: Vec::new(),
            custom: Vec::new(),
            resources: Vec::new(),
            templates: Vec::new(),
            prompts: Vec::new(),
            server: ServerOptions::default(),
            http: HttpOptions::default(),
            path: "/mcp".into(),
            auth: None,
            openapi_path: Some("/openapi.json".into()),
            info: None,
            allow_empty: false,
            rate_limit: None,
        }
    }

    /// Nests an axum app under `prefix`: the same as `.part(Part::nested(prefix, router, openapi))`.
    pub fn nest(self, prefix: &str, router: axum::Router, openapi: impl Serialize) -> Compose {
        self.part(Part::nested(prefix, router, openapi))
    }

    /// Adds a part.
    pub fn part(mut self, part: Part) -> Compose {
        self.parts.push(part);
        self
    }

    /// Adds a hand-written tool (under the same catalog, authentication and limits).
    pub fn tool(mut self, tool: CustomTool) -> Compose {
        self.custom.push(tool);
        self
    }

    /// Adds a resource at a fixed URI.
    pub fn resource(mut self, resource: Resource) -> Compose {
        self.resources.push(resource);
        self
    }

    /// Adds a resource template.
    pub fn resource_template(mut self, template: ResourceTemplate) -> Compose {
        self.templates.push(template);
        self
    }

    /// Adds a prompt.
    pub fn prompt(mut self, prompt: Prompt) -> Compose {
        self.prompts.push(prompt);
        self
    }

    /// The path of the MCP endpoint (`/mcp` by default).
    pub fn path(mut self, path: &str) -> Compose {
        self.path = path.to_owned();
        self
    }

    /// Where the merged OpenAPI document is served (`/openapi.json` by default); `None` serves
    /// none (the document is still built and available from [`Composed::openapi`]).
    pub fn openapi_path(mut self, path: Option<&str>) -> Compose {
        self.openapi_path = path.map(str::to_owned);
        self
    }

    /// `info` (title, version, description) and `servers` of the merged document. By default
    /// the title joins the parts' titles and the version is `1.0.0`.
    pub fn openapi_info(mut self, info: MergeInfo) -> Compose {
        self.info = Some(info);
        self
    }

    /// Server name, version and instructions.
    pub fn server(mut self, server: ServerOptions) -> Compose {
        self.server = server;
        self
    }

    /// Transport settings (allowed hosts and origins, …).
    pub fn http(mut self, http: HttpOptions) -> Compose {
        self.http = http;
        self
    }

    /// Requires callers of the MCP endpoint to authenticate; see [`crate::Mcp::auth`].
    pub fn auth(mut self, auth: crate::auth::AuthConfig) -> Compose {
        self.auth = Some(auth);
        self
    }

    /// Rate-limits tool calls per caller, generated and hand-written tools alike (see
    /// [`crate::Mcp::rate_limit`]); each part's `x-mcp-rate-limit` extensions apply.
    pub fn rate_limit(mut self, limit: crate::limit::RateLimit) -> Compose {
        self.rate_limit = Some(limit);
        self
    }

    /// Accept parts that yield no tools (otherwise an error naming the part).
    pub fn allow_empty(mut self) -> Compose {
        self.allow_empty = true;
        self
    }

    /// Composes the app, loads every document, builds every toolset and the merged document.
    /// Must be called inside a Tokio runtime.
    ///
    /// Fails when a document cannot be read, a filter matches nothing, a part yields no tools,
    /// two tools share a name (the error names both), two parts are nested at the same prefix,
    /// or the in-process documents cannot be merged.
    pub async fn build(self) -> Result<Composed, crate::Error> {
        let Compose {
            mut app,
            mut parts,
            custom,
            resources,
            templates,
            prompts,
            mut server,
            http,
            path,
            auth,
            openapi_path,
            info,
            allow_empty,
            mut rate_limit,
        } = self;

        // The composed router first: in-process tools call through it.
        let mut prefixes = HashSet::new();
        for (i, part) in parts.iter_mut().enumerate() {
            if part.prefix.contains(['{', '}', '?', '#', '*']) {
                return Err(crate::Error::Config(format!(
                    "{}: a prefix may not hold a template, `*`, `?` or `#`",
                    part.label(i)
                )));
            }
            if part.in_process_app() && !part.prefix.is_empty() && !prefixes.insert(part.prefix.clone()) {
                return Err(crate::Error::Config(format!(
                    "{}: another part is already mounted at `{}`",
                    part.label(i),
                    part.prefix
                )));
            }
            if !matches!(part.target, Target::Nested(_)) {
                continue;
            }
            if let Target::Nested(router) = std::mem::replace(&mut part.target, Target::Routed) {
                let prefix = part.prefix.clone();
                app = guard(&part.label(i), move || {
                    if prefix.is_empty() { app.merge(router) } else { app.nest(&prefix, router) }
                })?;
            }
        }

        let mut mounts = Vec::new();
        let mut sub_docs = Vec::new();
        let mut nested_prefixes = Vec::new();
        let mut titles: Vec<String> = Vec::new();
        for (i, part) in parts.into_iter().enumerate() {
            let label = part.label(i);
            let in_process = part.in_process_app();
            let source = part.document.map_err(|e| crate::Error::Config(format!("{label}: {e}")))?;
            let api = source.load(&part.load).await.map_err(|e| crate::Error::Config(format!("{label}: {e}")))?;
            if !api.title.is_empty() && !titles.contains(&api.title) {
                titles.push(api.title.clone());
            }
            let upstream = match part.target {
                Target::Nested(_) | Target::Routed => in_process_upstream(&app, &part.prefix),
                Target::Upstream(u) => u.map_err(|e| crate::Error::Config(format!("{label}: {e}")))?,
            };
            let calls = part.calls.unwrap_or_else(|| {
                if in_process {
                    CallOptions { forward_headers: vec![http::header::AUTHORIZATION], ..CallOptions::default() }
                } else {
                    CallOptions::default()
                }
            });
            let mount = Mount::new(&api, upstream, &part.tools, calls)
                .map_err(|e| crate::Error::Config(format!("{label}: {e}")))?;
            if mount.toolset().is_empty() && !allow_empty {
                let skipped: Vec<String> =
                    mount.toolset().skipped().iter().map(|s| format!("{} ({})", s.source, s.reason)).collect();
                return Err(crate::Error::Config(format!(
                    "{label} yields no tools: {}",
                    if skipped.is_empty() { "its document has no operations".to_owned() } else { skipped.join("; ") }
                )));
            }
            if let Some(limit) = rate_limit.take() {
                rate_limit = Some(
                    limit
                        .document_limits(&api, mount.toolset())
                        .map_err(|e| crate::Error::Config(format!("{label}: {e}")))?,
                );
            }
            if in_process && let Source::Value(doc) = &source {
                let mut doc = doc.clone();
                annotate(&mut doc, &mount);
                let mut m = toolgate_openapi::merge::Mount::new(part.prefix.clone(), doc);
                if let Some(ns) = &part.tools.namespace {
                    m = m.with_namespace(ns.clone());
                }
                sub_docs.push(m);
                if !part.prefix.is_empty() {
                    nested_prefixes.push(part.prefix.clone());
                }
            }
            mounts.push(mount);
        }

        let catalog = Arc::new(
            Catalog::new(mounts, custom)?
                .with_resources(resources)?
                .with_resource_templates(templates)?
                .with_prompts(prompts)?,
        );
        let info = info.unwrap_or_else(|| {
            let title = if titles.is_empty() { "API".to_owned() } else { titles.join(" + ") };
            MergeInfo::new(title, "1.0.0")
        });
        if server.title.is_none() {
            server.title = Some(info.title.clone());
        }
        let openapi = if sub_docs.is_empty() {
            None
        } else {
            let merged = merge_documents(sub_docs, &info).map_err(|e| {
                crate::Error::Config(format!("the documents of the in-process parts do not merge: {e}"))
            })?;
            for note in &merged.notes {
                tracing::debug!("merged OpenAPI document: {note}");
            }
            let mut document = merged.document;
            for prefix in &nested_prefixes {
                nested_root_path(&mut document, prefix);
            }
            Some(Arc::new(document))
        };
        let endpoint = match rate_limit {
            Some(limit) => McpEndpoint::with_rate_limit(catalog, limit, server, http, &path, auth),
            None => McpEndpoint::new(catalog, server, http, &path, auth),
        };
        let mut full = app.clone();
        if let (Some(doc), Some(at)) = (&openapi, &openapi_path) {
            let bytes = Bytes::from(serde_json::to_vec(doc.as_ref()).unwrap_or_default());
            let at = at.clone();
            let doc_router = axum::Router::new().route(
                &at,
                axum::routing::get(move || {
                    let bytes = bytes.clone();
                    async move { ([(http::header::CONTENT_TYPE, "application/json")], bytes) }
                }),
            );
            full = guard("the OpenAPI document route", move || full.merge(doc_router))?;
        }
        let mcp = endpoint.router();
        full = guard("the MCP endpoint", move || full.merge(mcp))?;
        Ok(Composed { app, full, endpoint, openapi })
    }
}

/// The upstream of an app served under `prefix` by the composed router. axum serves a nested
/// app's `/` route at `prefix` itself (not `prefix/`), so a call of that route, which the tool
/// builds as `prefix` + `/`, is sent to `prefix`.
fn in_process_upstream(app: &axum::Router, prefix: &str) -> Upstream {
    use tower::ServiceExt;
    if prefix.is_empty() {
        return Upstream::router(app.clone());
    }
    let root = format!("{prefix}/");
    let prefix_owned = prefix.to_owned();
    let svc = app.clone().map_request(move |mut req: http::Request<axum::body::Body>| {
        if req.uri().path() == root {
            let pq = match req.uri().query() {
                Some(q) => format!("{prefix_owned}?{q}"),
                None => prefix_owned.clone(),
            };
            let mut parts = req.uri().clone().into_parts();
            if let Ok(pq) = pq.parse() {
                parts.path_and_query = Some(pq);
                if let Ok(uri) = http::Uri::from_parts(parts) {
                    *req.uri_mut() = uri;
                }
            }
        }
        req
    });
    Upstream::service(svc).with_prefix(prefix)
}

/// The merged document says `prefix/` for a nested app's `/` route (the prefix joined to the
/// path as written); axum serves it at `prefix`, so the document says that instead (unless the
/// document already has a `prefix` path).
fn nested_root_path(doc: &mut Value, prefix: &str) {
    let Some(Value::Object(paths)) = doc.get_mut("paths") else { return };
    let root = format!("{prefix}/");
    if !paths.contains_key(&root) || paths.contains_key(prefix) {
        return;
    }
    let old = std::mem::take(paths);
    for (k, v) in old {
        let k = if k == root { prefix.to_owned() } else { k };
        paths.insert(k, v);
    }
}

/// Runs a router composition that axum answers with a panic on a conflict (two routes at the
/// same path), and turns that into an error.
fn guard(what: &str, f: impl FnOnce() -> axum::Router) -> Result<axum::Router, crate::Error> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|p| {
        let why = p
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "conflicting routes".to_owned());
        crate::Error::Config(format!("{what}: the routers do not compose: {why}"))
    })
}

/// Marks each operation of a sub-document that became a tool with `x-mcp-name` (its full
/// name), and each one left out by the selection with `x-mcp: false`, so that the merged
/// document, loaded alone, gives the same tools.
fn annotate(doc: &mut Value, mount: &Mount) {
    for tool in mount.toolset().tools() {
        if let Some(Value::Object(op)) = doc.pointer_mut(&tool.source.pointer) {
            op.insert("x-mcp-name".into(), Value::String(tool.name().to_owned()));
        }
    }
    for s in mount.toolset().skipped() {
        if matches!(s.reason, toolgate_tools::SkipReason::Excluded(_))
            && let Some(Value::Object(op)) = doc.pointer_mut(&s.source.pointer)
        {
            op.insert("x-mcp".into(), Value::Bool(false));
        }
    }
}

/// A built composition: the composed app, its MCP endpoint and its merged OpenAPI document.
#[derive(Debug, Clone)]
pub struct Composed {
    app: axum::Router,
    full: axum::Router,
    endpoint: McpEndpoint,
    openapi: Option<Arc<Value>>,
}

impl Composed {
    /// Everything: the nested apps, the MCP endpoint and the merged document. Serve it.
    pub fn router(&self) -> axum::Router {
        self.full.clone()
    }

    /// The composed app alone (the nested apps, without MCP and the document): what in-process
    /// tool calls go through.
    pub fn app(&self) -> axum::Router {
        self.app.clone()
    }

    /// The MCP endpoint.
    pub fn endpoint(&self) -> &McpEndpoint {
        &self.endpoint
    }

    /// The tools served.
    pub fn catalog(&self) -> &Catalog {
        self.endpoint.catalog()
    }

    /// The merged OpenAPI document of the in-process parts (`None` when there are none).
    pub fn openapi(&self) -> Option<&Value> {
        self.openapi.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_and_namespaces() {
        assert_eq!(normalize_prefix("inventory/"), "/inventory");
        assert_eq!(normalize_prefix("/"), "");
        assert_eq!(namespace_for("/inventory"), Some("inventory".into()));
        assert_eq!(namespace_for("/api/v1"), Some("api_v1".into()));
        assert_eq!(namespace_for(""), None);
        assert_eq!(namespace_for("/2024"), Some("op_2024".into()));
    }
}
