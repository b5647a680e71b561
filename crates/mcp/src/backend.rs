//! What the MCP server serves: the [`Backend`] trait and the values that cross it.

use std::collections::HashMap;
use std::sync::Arc;

use std::sync::OnceLock;

use bytes::Bytes;
use futures::future::BoxFuture;
use serde_json::{Map, Value};
use toolgate_tools::{ToolDef, ToolOutput};

use crate::notify::Notifier;

/// Who is calling, as far as the transport knows.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    /// The HTTP request the call arrived in (method, URI, headers, and the extensions that
    /// layers such as authentication put there). `None` over stdio.
    pub http: Option<Arc<http::request::Parts>>,
    /// The capabilities the client declared (`initialize` in legacy sessions, the request's
    /// `_meta` in 2026-07-28), as the JSON object it sent; `None` when unknown.
    pub client_capabilities: Option<Arc<Map<String, Value>>>,
}

impl Caller {
    /// Whether the client declared this capability (`sampling`, `elicitation`, `roots`, …).
    pub fn has_client_capability(&self, name: &str) -> bool {
        self.client_capabilities.as_ref().is_some_and(|c| c.get(name).is_some_and(|v| !v.is_null()))
    }
}

/// One tool call.
#[derive(Debug)]
pub struct ToolCall {
    /// The tool's name.
    pub name: String,
    /// The arguments, as sent.
    pub arguments: Option<Map<String, Value>>,
    /// Who is calling.
    pub caller: Caller,
    /// Sends progress and log notifications for this call, when the client asked for them.
    pub notifier: Notifier,
}

/// A call that cannot be routed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// No tool of that name is served (to this caller).
    #[error("unknown tool `{name}`{hint}")]
    UnknownTool {
        /// The name asked for.
        name: String,
        /// A suggestion, with a leading separator, or empty.
        hint: String,
    },
    /// The tool needs a capability the client did not declare (for example `sampling`); the
    /// client gets a `MissingRequiredClientCapability` error (-32021, HTTP 400).
    #[error("tool `{tool}` needs the client capability `{capability}`, which the client did not declare")]
    MissingClientCapability {
        /// The tool asked for.
        tool: String,
        /// The capability it needs.
        capability: String,
    },
}

/// The tools (and, optionally, resources and prompts) an MCP server serves.
///
/// `toolgate`'s `Catalog` implements it; tests and special servers can implement it directly.
pub trait Backend: Send + Sync + 'static {
    /// The tools this caller may see, in a stable order.
    fn tools(&self, caller: &Caller) -> Arc<ToolList>;

    /// Runs one call. Dropping the future cancels the call (and its upstream request).
    fn call(&self, call: ToolCall) -> BoxFuture<'static, Result<ToolOutput, CallError>>;

    /// Static resources.
    fn resources(&self) -> Vec<ResourceDef> {
        Vec::new()
    }

    /// Resource templates (`test://items/{id}`).
    fn resource_templates(&self) -> Vec<ResourceDef> {
        Vec::new()
    }

    /// Reads a resource (static or from a template); `None` when there is no such resource.
    fn read_resource(&self, uri: &str) -> BoxFuture<'static, Option<Vec<ResourceContent>>> {
        let _ = uri;
        Box::pin(async { None })
    }

    /// Prompts.
    fn prompts(&self) -> Vec<PromptDef> {
        Vec::new()
    }

    /// Renders a prompt; `Err` says why (unknown prompt, missing argument).
    fn get_prompt(
        &self,
        name: &str,
        args: HashMap<String, String>,
    ) -> BoxFuture<'static, Result<PromptResult, String>> {
        let _ = (name, args);
        Box::pin(async { Err("no prompts".to_owned()) })
    }

    /// Completions for a prompt argument or a resource-template variable.
    fn complete(&self, target: &CompletionTarget, argument: &str, value: &str) -> Vec<String> {
        let _ = (target, argument, value);
        Vec::new()
    }

    /// A stream that yields whenever the tool list may have changed (hot reload).
    fn changes(&self) -> Option<tokio::sync::watch::Receiver<u64>> {
        None
    }
}

/// What a completion request is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompletionTarget {
    /// A prompt, by name.
    Prompt(String),
    /// A resource template, by URI template.
    Resource(String),
}

/// A resource or resource template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceDef {
    /// URI (or URI template).
    pub uri: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Media type.
    pub mime_type: Option<String>,
}

/// The content of a resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceContent {
    /// URI.
    pub uri: String,
    /// Media type.
    pub mime_type: Option<String>,
    /// Text content.
    pub text: Option<String>,
    /// Binary content, base64.
    pub blob: Option<String>,
}

impl ResourceContent {
    /// Text content.
    pub fn text(uri: impl Into<String>, mime_type: impl Into<String>, text: impl Into<String>) -> ResourceContent {
        ResourceContent { uri: uri.into(), mime_type: Some(mime_type.into()), text: Some(text.into()), blob: None }
    }

    /// Binary content, already base64-encoded.
    pub fn blob(uri: impl Into<String>, mime_type: impl Into<String>, base64: impl Into<String>) -> ResourceContent {
        ResourceContent { uri: uri.into(), mime_type: Some(mime_type.into()), text: None, blob: Some(base64.into()) }
    }
}

/// A prompt and its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptDef {
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Arguments: name, description, required.
    pub arguments: Vec<(String, Option<String>, bool)>,
}

/// A rendered prompt.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PromptResult {
    /// Description.
    pub description: Option<String>,
    /// Messages: role (`user`/`assistant`) and content.
    pub messages: Vec<(String, toolgate_tools::Content)>,
}

impl PromptResult {
    /// A prompt with no messages yet.
    pub fn new() -> PromptResult {
        PromptResult::default()
    }

    /// Adds a message from the user.
    pub fn user(mut self, content: toolgate_tools::Content) -> PromptResult {
        self.messages.push(("user".to_owned(), content));
        self
    }

    /// Adds a message from the assistant.
    pub fn assistant(mut self, content: toolgate_tools::Content) -> PromptResult {
        self.messages.push(("assistant".to_owned(), content));
        self
    }

    /// Sets the description.
    pub fn description(mut self, description: impl Into<String>) -> PromptResult {
        self.description = Some(description.into());
        self
    }
}

/// The tools one caller sees, converted once for the wire and split into pages.
pub struct ToolList {
    pub(crate) tools: Vec<rmcp::model::Tool>,
    pub(crate) defs: HashMap<String, usize>,
    /// Page boundaries: start index of each page.
    pub(crate) pages: Vec<usize>,
    /// The `tools` array of each page as JSON, serialized on first use, per protocol shape
    /// (`[legacy, 2026-07-28]`: legacy peers do not get non-object output schemas). A new list
    /// (the backend's tools changed) starts with an empty cache.
    wire: [Box<[OnceLock<Bytes>]>; 2],
    /// `x-mcp-header` annotations of each tool's input schema (SEP-2243 `Mcp-Param-*`
    /// headers), found on first use.
    param_headers: OnceLock<Vec<ParamHeaders>>,
}

/// The `x-mcp-header` annotations of one input schema: property path and header name.
pub(crate) type ParamHeaders = Vec<(Vec<String>, String)>;

impl std::fmt::Debug for ToolList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToolList").field("tools", &self.tools.len()).field("pages", &self.pages.len()).finish()
    }
}

/// Pages are cut before they pass this many bytes of JSON (the Python SDK refuses a streamed
/// message over 1 MiB by default), or this many tools.
const PAGE_BYTES: usize = 256 * 1024;
const PAGE_TOOLS: usize = 100;

impl ToolList {
    /// Converts tool definitions for the wire, keeping their order.
    pub fn new<'a>(defs: impl IntoIterator<Item = &'a ToolDef>) -> ToolList {
        let tools: Vec<rmcp::model::Tool> = defs.into_iter().map(crate::convert::tool).collect();
        let defs = tools.iter().enumerate().map(|(i, t)| (t.name.to_string(), i)).collect();
        let mut pages = vec![0];
        let mut bytes = 0;
        let mut count = 0;
        for (i, t) in tools.iter().enumerate() {
            let size = serde_json::to_vec(t).map(|v| v.len()).unwrap_or(0);
            if count > 0 && (bytes + size > PAGE_BYTES || count >= PAGE_TOOLS) {
                pages.push(i);
                bytes = 0;
                count = 0;
            }
            bytes += size;
            count += 1;
        }
        ToolList::assemble(tools, defs, pages)
    }

    fn assemble(tools: Vec<rmcp::model::Tool>, defs: HashMap<String, usize>, pages: Vec<usize>) -> ToolList {
        let cache = || (0..pages.len()).map(|_| OnceLock::new()).collect::<Box<[_]>>();
        ToolList { wire: [cache(), cache()], param_headers: OnceLock::new(), tools, defs, pages }
    }

    /// An empty list.
    pub fn empty() -> ToolList {
        ToolList::assemble(Vec::new(), HashMap::new(), vec![0])
    }

    /// The tools of page `index` (`0..page_count()`), and whether another page follows.
    pub(crate) fn page_tools(&self, index: usize) -> (&[rmcp::model::Tool], bool) {
        let start = self.pages.get(index).copied().unwrap_or(0).min(self.tools.len());
        let end = self.pages.get(index + 1).copied().unwrap_or(self.tools.len()).max(start);
        (&self.tools[start..end], index + 1 < self.pages.len())
    }

    /// The JSON array of page `index`'s tools as a peer of that era gets it, serialized once.
    pub(crate) fn page_json(&self, index: usize, modern: bool) -> Bytes {
        let Some(slot) = self.wire[usize::from(modern)].get(index) else { return Bytes::from_static(b"[]") };
        slot.get_or_init(|| {
            let (tools, _) = self.page_tools(index);
            let bytes = if modern {
                serde_json::to_vec(tools)
            } else {
                // Legacy peers only know object output schemas (SEP-2106), as rmcp shapes it.
                let legacy: Vec<std::borrow::Cow<'_, rmcp::model::Tool>> = tools
                    .iter()
                    .map(|t| match &t.output_schema {
                        Some(s) if s.get("type").and_then(Value::as_str) != Some("object") => {
                            let mut t = t.clone();
                            t.output_schema = None;
                            std::borrow::Cow::Owned(t)
                        }
                        _ => std::borrow::Cow::Borrowed(t),
                    })
                    .collect();
                serde_json::to_vec(&legacy)
            };
            Bytes::from(bytes.unwrap_or_else(|_| b"[]".to_vec()))
        })
        .clone()
    }

    /// The `x-mcp-header` annotations of a tool's input schema (empty for most tools).
    pub(crate) fn param_headers(&self, name: &str) -> Option<&ParamHeaders> {
        let all = self.param_headers.get_or_init(|| {
            self.tools
                .iter()
                .map(|t| {
                    let mut out = Vec::new();
                    collect_param_headers(t.input_schema.get("properties"), &mut Vec::new(), &mut out);
                    out
                })
                .collect()
        });
        self.defs.get(name).and_then(|&i| all.get(i))
    }

    /// How many tools.
    pub fn len(&self) -> usize {
        self.tools.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.tools.is_empty()
    }

    /// How many pages `tools/list` returns.
    pub fn page_count(&self) -> usize {
        self.pages.len()
    }

    /// Whether a tool of that name is in the list.
    pub fn contains(&self, name: &str) -> bool {
        self.defs.contains_key(name)
    }

    /// The names, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.tools.iter().map(|t| t.name.as_ref())
    }
}

/// Every well-formed `x-mcp-header` annotation along `properties` chains, as rmcp finds them
/// (a non-empty string on a property reached from the root through `properties` alone).
fn collect_param_headers(properties: Option<&Value>, path: &mut Vec<String>, out: &mut ParamHeaders) {
    let Some(Value::Object(properties)) = properties else { return };
    for (name, schema) in properties {
        path.push(name.clone());
        if let Some(Value::String(header)) = schema.get("x-mcp-header")
            && !header.is_empty()
        {
            out.push((path.clone(), header.clone()));
        }
        collect_param_headers(schema.get("properties"), path, out);
        path.pop();
    }
}
