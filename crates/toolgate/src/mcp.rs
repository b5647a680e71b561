//! MCP for an axum app, in two lines.

use std::sync::Arc;

use serde::Serialize;
use toolgate_mcp::{HttpOptions, McpHttp, ServerOptions};
use toolgate_openapi::LoadOptions;
use toolgate_tools::{Override, ToolsetOptions};

use crate::catalog::{CallOptions, Catalog, Mount};
use crate::custom::CustomTool;
use crate::prompts::Prompt;
use crate::resources::{Resource, ResourceTemplate};
use crate::upstream::Upstream;

/// Builds an MCP endpoint for an axum app: each selected operation of the app's OpenAPI
/// document becomes a tool that calls the app in process.
///
/// The router is required up front, so tools can never be "missing because the app was not
/// registered"; and [`Mcp::build`] fails when a name given to [`Mcp::tools`] matches no
/// operation, or when nothing at all is selected.
#[must_use]
pub struct Mcp {
    openapi: Result<serde_json::Value, String>,
    router: axum::Router,
    tools: ToolsetOptions,
    calls: CallOptions,
    server: ServerOptions,
    http: HttpOptions,
    path: String,
    custom: Vec<CustomTool>,
    resources: Vec<Resource>,
    templates: Vec<ResourceTemplate>,
    prompts: Vec<Prompt>,
    allow_empty: bool,
    auth: Option<crate::auth::AuthConfig>,
    rate_limit: Option<crate::limit::RateLimit>,
    websocket: Option<String>,
}

impl std::fmt::Debug for Mcp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mcp").field("path", &self.path).finish()
    }
}

impl Mcp {
    /// Starts from the app's OpenAPI document (a `utoipa::openapi::OpenApi`, a
    /// `serde_json::Value`, or anything that serializes to one) and the app itself.
    pub fn new(openapi: impl Serialize, router: axum::Router) -> Mcp {
        let auth = http::header::AUTHORIZATION;
        Mcp {
            openapi: serde_json::to_value(openapi).map_err(|e| e.to_string()),
            router,
            tools: ToolsetOptions::default(),
            calls: CallOptions { forward_headers: vec![auth], ..CallOptions::default() },
            server: ServerOptions::default(),
            http: HttpOptions::default(),
            path: "/mcp".into(),
            custom: Vec::new(),
            resources: Vec::new(),
            templates: Vec::new(),
            prompts: Vec::new(),
            allow_empty: false,
            auth: None,
            rate_limit: None,
            websocket: None,
        }
    }

    /// Explicit registration: only these operations (by `operationId` or tool name) become
    /// tools. A name that matches nothing makes [`Mcp::build`] fail.
    pub fn tools<I, S>(mut self, names: I) -> Mcp
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.tools.selection.include_operations.extend(names.into_iter().map(Into::into));
        self
    }

    /// Leaves these operations out.
    pub fn exclude<I, S>(mut self, names: I) -> Mcp
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.tools.selection.exclude_operations.extend(names.into_iter().map(Into::into));
        self
    }

    /// Only operations with one of these tags.
    pub fn tags<I, S>(mut self, tags: I) -> Mcp
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.tools.selection.include_tags.extend(tags.into_iter().map(Into::into));
        self
    }

    /// Prefixes every tool name with `namespace_`.
    pub fn namespace(mut self, namespace: &str) -> Mcp {
        self.tools.namespace = Some(namespace.to_owned());
        self
    }

    /// Replaces a tool's description (the text the model reads to decide when to use it).
    pub fn describe(mut self, operation: &str, description: &str) -> Mcp {
        self.tools.overrides.entry(operation.to_owned()).or_default().description = Some(description.to_owned());
        self
    }

    /// Renames a tool.
    pub fn rename(mut self, operation: &str, name: &str) -> Mcp {
        self.tools.overrides.entry(operation.to_owned()).or_default().name = Some(name.to_owned());
        self
    }

    /// Sets any part of one tool (name, description, annotations, timeout, scopes).
    pub fn configure(mut self, operation: &str, o: Override) -> Mcp {
        self.tools.overrides.insert(operation.to_owned(), o);
        self
    }

    /// All tool options at once.
    pub fn tool_options(mut self, options: ToolsetOptions) -> Mcp {
        self.tools = options;
        self
    }

    /// How calls reach the app (forwarded headers, response size cap). By default the caller's
    /// `Authorization` header is forwarded: the app is the same audience.
    pub fn call_options(mut self, options: CallOptions) -> Mcp {
        self.calls = options;
        self
    }

    /// Adds a hand-written tool.
    pub fn tool(mut self, tool: CustomTool) -> Mcp {
        self.custom.push(tool);
        self
    }

    /// Adds a resource at a fixed URI.
    pub fn resource(mut self, resource: Resource) -> Mcp {
        self.resources.push(resource);
        self
    }

    /// Adds a resource template.
    pub fn resource_template(mut self, template: ResourceTemplate) -> Mcp {
        self.templates.push(template);
        self
    }

    /// Adds a prompt.
    pub fn prompt(mut self, prompt: Prompt) -> Mcp {
        self.prompts.push(prompt);
        self
    }

    /// The path of the MCP endpoint (`/mcp` by default).
    pub fn path(mut self, path: &str) -> Mcp {
        self.path = path.to_owned();
        self
    }

    /// Also serves the tools over WebSocket at this path (for example `/ws`): one MCP session per
    /// connection, JSON-RPC messages as text frames, the `mcp` subprotocol. It has the same Host
    /// and Origin checks and authentication as the HTTP endpoint. MCP defines no WebSocket
    /// transport: this is for clients that speak the SDKs' WebSocket transports.
    pub fn websocket(mut self, path: &str) -> Mcp {
        self.websocket = Some(path.to_owned());
        self
    }

    /// Server name, version and instructions.
    pub fn server(mut self, server: ServerOptions) -> Mcp {
        self.server = server;
        self
    }

    /// Transport settings (allowed hosts and origins, …).
    pub fn http(mut self, http: HttpOptions) -> Mcp {
        self.http = http;
        self
    }

    /// Requires callers of the MCP endpoint to authenticate (bearer tokens: static keys, JWTs,
    /// introspection). The app's own routes are not affected: they keep their own layers, which
    /// see the same token because `Authorization` is forwarded to in-process calls.
    pub fn auth(mut self, auth: crate::auth::AuthConfig) -> Mcp {
        self.auth = Some(auth);
        self
    }

    /// Rate-limits tool calls per caller (the authenticated principal, else the client's
    /// address), in memory or in Redis; see [`crate::limit`]. Operations can give their tool a
    /// quota of its own with `x-mcp-rate-limit` (`"10/minute"`, or `false` for none).
    pub fn rate_limit(mut self, limit: crate::limit::RateLimit) -> Mcp {
        self.rate_limit = Some(limit);
        self
    }

    /// Accept a document that yields no tools (otherwise an error).
    pub fn allow_empty(mut self) -> Mcp {
        self.allow_empty = true;
        self
    }

    /// Builds the tools and the endpoint. Must be called inside a Tokio runtime.
    pub fn build(self) -> Result<McpEndpoint, crate::Error> {
        let doc =
            self.openapi.map_err(|e| crate::Error::Config(format!("the OpenAPI document does not serialize: {e}")))?;
        let api = toolgate_openapi::load_value(doc, &LoadOptions::default())?;
        let mount = Mount::new(&api, Upstream::router(self.router), &self.tools, self.calls)?;
        if mount.toolset().is_empty() && self.custom.is_empty() && !self.allow_empty {
            let skipped: Vec<String> =
                mount.toolset().skipped().iter().map(|s| format!("{} ({})", s.source, s.reason)).collect();
            return Err(crate::Error::Build(toolgate_tools::BuildError::Empty(if skipped.is_empty() {
                "the document has no operations".into()
            } else {
                skipped.join("; ")
            })));
        }
        let rate_limit = match self.rate_limit {
            Some(limit) => Some(limit.document_limits(&api, mount.toolset())?),
            None => None,
        };
        let catalog = Arc::new(
            Catalog::new(vec![mount], self.custom)?
                .with_resources(self.resources)?
                .with_resource_templates(self.templates)?
                .with_prompts(self.prompts)?,
        );
        let mut server = self.server;
        if server.title.is_none() && !api.title.is_empty() {
            server.title = Some(api.title.clone());
        }
        let endpoint = match rate_limit {
            Some(limit) => McpEndpoint::with_rate_limit(catalog, limit, server, self.http, &self.path, self.auth),
            None => McpEndpoint::new(catalog, server, self.http, &self.path, self.auth),
        };
        match self.websocket {
            Some(ws) if !websocket_path_fits(&ws, &self.path) => Err(crate::Error::Config(format!(
                "the WebSocket path `{ws}` must start with `/` and differ from the MCP path `{}`",
                self.path
            ))),
            Some(ws) => Ok(endpoint.with_websocket(&ws)),
            None => Ok(endpoint),
        }
    }
}

/// Whether `ws` can be the WebSocket path beside an MCP endpoint at `mcp_path`: it starts with
/// `/` and is not that path.
pub fn websocket_path_fits(ws: &str, mcp_path: &str) -> bool {
    ws.starts_with('/') && ws != mcp_path
}

/// A built MCP endpoint.
#[derive(Debug, Clone)]
pub struct McpEndpoint {
    http: McpHttp,
    path: String,
    catalog: Arc<Catalog>,
    auth: Option<crate::auth::AuthConfig>,
    websocket: Option<String>,
    reloading: Option<Arc<crate::reload::Reloading>>,
}

impl McpEndpoint {
    /// An endpoint serving a catalog at `path`, behind authentication when `auth` is given.
    /// Must be called inside a Tokio runtime.
    pub fn new(
        catalog: Arc<Catalog>,
        mut server: ServerOptions,
        http: HttpOptions,
        path: &str,
        auth: Option<crate::auth::AuthConfig>,
    ) -> McpEndpoint {
        if auth.as_ref().is_some_and(|a| a.filter_tools) {
            server.per_caller_lists = true;
        }
        let http = McpHttp::new(catalog.clone(), server, http);
        McpEndpoint { http, path: path.to_owned(), catalog, auth, reloading: None, websocket: None }
    }

    /// An endpoint serving a catalog that can be replaced while it serves (hot reload, see
    /// [`crate::reload::Reloading`]); clients are told when its tool list changes.
    /// [`McpEndpoint::catalog`] is the catalog served when the endpoint was built.
    pub fn reloading(
        catalog: Arc<crate::reload::Reloading>,
        server: ServerOptions,
        http: HttpOptions,
        path: &str,
        auth: Option<crate::auth::AuthConfig>,
    ) -> McpEndpoint {
        let per_caller = auth.as_ref().is_some_and(|a| a.filter_tools);
        let mut endpoint = McpEndpoint::new(catalog.current(), server.clone(), http.clone(), path, auth);
        let server = ServerOptions { per_caller_lists: server.per_caller_lists || per_caller, ..server };
        endpoint.http = McpHttp::new(catalog.clone(), server, http);
        endpoint.reloading = Some(catalog);
        endpoint
    }

    /// Like [`McpEndpoint::reloading`], with tool calls rate-limited per caller
    /// ([`crate::limit::RateLimited`] over the reloading catalog).
    pub fn reloading_with_rate_limit(
        catalog: Arc<crate::reload::Reloading>,
        limit: crate::limit::RateLimit,
        server: ServerOptions,
        http: HttpOptions,
        path: &str,
        auth: Option<crate::auth::AuthConfig>,
    ) -> McpEndpoint {
        let per_caller = auth.as_ref().is_some_and(|a| a.filter_tools);
        let mut endpoint = McpEndpoint::reloading(catalog.clone(), server.clone(), http.clone(), path, auth);
        let server = ServerOptions { per_caller_lists: server.per_caller_lists || per_caller, ..server };
        endpoint.http = McpHttp::new(Arc::new(limit.wrap(catalog)), server, http);
        endpoint
    }

    /// Also serves the endpoint over WebSocket at `path` (see [`Mcp::websocket`]), behind the
    /// same authentication. `path` must start with `/` and differ from the HTTP path (the router
    /// panics otherwise, as axum does on overlapping routes).
    pub fn with_websocket(mut self, path: &str) -> McpEndpoint {
        self.websocket = Some(path.to_owned());
        self
    }

    /// Like [`McpEndpoint::new`], with the catalog's tool calls rate-limited per caller
    /// ([`crate::limit::RateLimited`]). Must be called inside a Tokio runtime.
    pub fn with_rate_limit(
        catalog: Arc<Catalog>,
        limit: crate::limit::RateLimit,
        server: ServerOptions,
        http: HttpOptions,
        path: &str,
        auth: Option<crate::auth::AuthConfig>,
    ) -> McpEndpoint {
        let per_caller = auth.as_ref().is_some_and(|a| a.filter_tools);
        let mut endpoint = McpEndpoint::new(catalog.clone(), server.clone(), http.clone(), path, auth);
        let server = ServerOptions { per_caller_lists: server.per_caller_lists || per_caller, ..server };
        endpoint.http = McpHttp::new(Arc::new(limit.wrap(catalog)), server, http);
        endpoint
    }

    /// A router serving the endpoint at its path (and, with authentication, the protected
    /// resource metadata under `/.well-known/`); merge it into your app.
    pub fn router(&self) -> axum::Router {
        let mut router = self.http.router(&self.path);
        if let Some(ws) = &self.websocket {
            router = router.merge(self.http.websocket_router(ws));
        }
        let Some(auth) = &self.auth else { return router };
        let state = match &self.reloading {
            Some(r) => {
                let r = r.clone();
                crate::auth::AuthLayerState::new(auth.clone(), &self.path, move |name| r.access(name))
            }
            None => {
                let catalog = self.catalog.clone();
                crate::auth::AuthLayerState::new(auth.clone(), &self.path, move |name| catalog.access(name))
            }
        };
        router
            .layer(axum::middleware::from_fn_with_state(state, crate::auth::require_auth))
            .merge(crate::auth::metadata_router(auth, &self.path))
    }

    /// The tools served.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// The catalog, shared (to serve the same tools over another transport, such as stdio).
    pub fn catalog_arc(&self) -> Arc<Catalog> {
        self.catalog.clone()
    }

    /// Tells connected clients that the tool list changed (legacy sessions get
    /// `notifications/tools/list_changed`; 2026-07-28 clients get it on their
    /// `subscriptions/listen` stream).
    pub async fn notify_tools_changed(&self) {
        self.http.notify_tools_changed().await;
    }

    /// Mounts the endpoint on `app` (same as `app.merge(endpoint.router())`).
    pub fn mount(&self, app: axum::Router) -> axum::Router {
        app.merge(self.router())
    }
}
