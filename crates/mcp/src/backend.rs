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
    /// Whether page `i` reads differently for a legacy peer (one of its tools has a non-object
    /// output schema); the other pages are serialized once, for both eras.
    legacy_differs: Box<[bool]>,
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

/// Pages are cut before they pass this many bytes of JSON (half of the 1 MiB the Python SDK
/// allows a streamed message by default: fewer round trips for a client listing ~1,000 tools),
/// or this many tools.
const PAGE_BYTES: usize = 512 * 1024;
const PAGE_TOOLS: usize = 100;

impl ToolList {
    /// Converts tool definitions for the wire, keeping their order. The pages as a 2026-07-28
    /// peer reads them are written here, from the same serialization that sizes them (on the
    /// thread that built the tools, where a large document's freed memory is); a legacy peer's
    /// page that differs is written on first use.
    pub fn new<'a>(defs: impl IntoIterator<Item = &'a ToolDef>) -> ToolList {
        ToolList::build(defs, true)
    }

    /// The same list with every page written on first use: for lists made per caller (one per
    /// set of scopes), where a page nobody asks for should cost nothing.
    pub fn new_lazy<'a>(defs: impl IntoIterator<Item = &'a ToolDef>) -> ToolList {
        ToolList::build(defs, false)
    }

    fn build<'a>(defs: impl IntoIterator<Item = &'a ToolDef>, eager: bool) -> ToolList {
        let tools: Vec<rmcp::model::Tool> = defs.into_iter().map(crate::convert::tool).collect();
        let defs = tools.iter().enumerate().map(|(i, t)| (t.name.to_string(), i)).collect();
        let mut pages = vec![0];
        let mut written: Vec<Bytes> = Vec::new();
        // The page being cut: its length, and (eager) its bytes.
        let mut len = 1;
        let mut page = vec![b'['];
        let mut count = 0;
        let mut buf = Vec::new();
        let mut finish = |page: &mut Vec<u8>| {
            if eager {
                page.push(b']');
                page.shrink_to_fit();
                written.push(Bytes::from(std::mem::replace(page, vec![b'['])));
            }
        };
        for (i, t) in tools.iter().enumerate() {
            buf.clear();
            if serde_json::to_writer(&mut buf, t).is_err() {
                buf.clear();
                buf.extend_from_slice(b"{}");
            }
            if count > 0 && (len + buf.len() > PAGE_BYTES || count >= PAGE_TOOLS) {
                pages.push(i);
                finish(&mut page);
                len = 1;
                count = 0;
            }
            if count > 0 {
                len += 1;
                if eager {
                    page.push(b',');
                }
            }
            len += buf.len();
            if eager {
                page.extend_from_slice(&buf);
            }
            count += 1;
        }
        finish(&mut page);
        let list = ToolList::assemble(tools, defs, pages);
        for (slot, bytes) in list.wire[1].iter().zip(written) {
            let _ = slot.set(bytes);
        }
        list
    }

    fn assemble(tools: Vec<rmcp::model::Tool>, defs: HashMap<String, usize>, pages: Vec<usize>) -> ToolList {
        let cache = || (0..pages.len()).map(|_| OnceLock::new()).collect::<Box<[_]>>();
        let mut list = ToolList {
            wire: [cache(), cache()],
            legacy_differs: Box::default(),
            param_headers: OnceLock::new(),
            tools,
            defs,
            pages,
        };
        list.legacy_differs = (0..list.pages.len()).map(|i| list.page_tools(i).0.iter().any(legacy_drops)).collect();
        list
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
        let legacy = !modern && self.legacy_differs.get(index) == Some(&true);
        let Some(slot) = self.wire[usize::from(!legacy)].get(index) else { return Bytes::from_static(b"[]") };
        slot.get_or_init(|| {
            let (tools, _) = self.page_tools(index);
            let mut out = Vec::new();
            let written = if legacy {
                // Legacy peers only know object output schemas (SEP-2106), as rmcp shapes it.
                let legacy: Vec<std::borrow::Cow<'_, rmcp::model::Tool>> = tools
                    .iter()
                    .map(|t| {
                        if legacy_drops(t) {
                            let mut t = t.clone();
                            t.output_schema = None;
                            std::borrow::Cow::Owned(t)
                        } else {
                            std::borrow::Cow::Borrowed(t)
                        }
                    })
                    .collect();
                serde_json::to_writer(&mut out, &legacy)
            } else {
                serde_json::to_writer(&mut out, tools)
            };
            match written {
                Ok(()) => {
                    out.shrink_to_fit();
                    Bytes::from(out)
                }
                Err(_) => Bytes::from_static(b"[]"),
            }
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

/// Whether a legacy peer does not get this tool's output schema: it is not an object schema.
fn legacy_drops(t: &rmcp::model::Tool) -> bool {
    t.output_schema.as_ref().is_some_and(|s| s.get("type").and_then(Value::as_str) != Some("object"))
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use std::sync::Arc;

    use serde_json::{Map, Value, json};
    use toolgate_tools::ToolDef;

    use super::{PAGE_BYTES, PAGE_TOOLS, ToolList};

    fn def(i: usize, output: Option<Value>) -> ToolDef {
        let object = |v: Value| match v {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        ToolDef {
            name: format!("tool_{i}"),
            title: None,
            // ~12 KB each: pages are cut by size before they are cut by count
            description: format!("tool {i} {}", "x".repeat(12000)),
            input_schema: Arc::new(object(json!({"type": "object", "properties": {"n": {"type": "integer"}}}))),
            output_schema: output.map(|o| Arc::new(object(o))),
            annotations: Default::default(),
        }
    }

    fn page(list: &ToolList, i: usize, modern: bool) -> Vec<Value> {
        let bytes = list.page_json(i, modern);
        match serde_json::from_slice(&bytes).unwrap() {
            Value::Array(a) => a,
            other => panic!("page {i} is not an array: {other}"),
        }
    }

    #[test]
    fn pages_hold_every_tool_once_in_order_and_stay_small() {
        let defs: Vec<ToolDef> = (0..250)
            .map(|i| def(i, (i == 120).then(|| json!({"type": "array", "items": {"type": "string"}}))))
            .collect();
        let list = ToolList::new(defs.iter());
        assert!(list.page_count() > 250 / PAGE_TOOLS + 2, "cut by size: {} pages", list.page_count());
        let mut names = Vec::new();
        for i in 0..list.page_count() {
            let modern = page(&list, i, true);
            assert!(list.page_json(i, true).len() <= PAGE_BYTES, "page {i} is too large");
            assert!(!modern.is_empty() && modern.len() <= PAGE_TOOLS);
            // what rmcp would write for these tools, byte for byte
            assert_eq!(&list.page_json(i, true)[..], &serde_json::to_vec(list.page_tools(i).0).unwrap()[..]);
            let legacy = page(&list, i, false);
            let has_array_output = modern.iter().any(|t| t["name"] == "tool_120");
            if has_array_output {
                let t = legacy.iter().find(|t| t["name"] == "tool_120").unwrap();
                assert!(t.get("outputSchema").is_none(), "legacy peers get no array output schema: {t}");
                let t = modern.iter().find(|t| t["name"] == "tool_120").unwrap();
                assert_eq!(t["outputSchema"]["type"], "array");
            } else {
                assert_eq!(legacy, modern, "page {i} reads the same in both eras");
            }
            names.extend(modern.iter().map(|t| t["name"].as_str().unwrap().to_owned()));
        }
        let want: Vec<String> = (0..250).map(|i| format!("tool_{i}")).collect();
        assert_eq!(names, want);
        // Written on first use, the pages are the same bytes.
        let lazy = ToolList::new_lazy(defs.iter());
        assert_eq!(lazy.page_count(), list.page_count());
        for i in 0..list.page_count() {
            for modern in [true, false] {
                assert_eq!(lazy.page_json(i, modern), list.page_json(i, modern), "page {i}, modern {modern}");
            }
        }
        // out of range: an empty page
        assert_eq!(&list.page_json(list.page_count(), true)[..], b"[]");
    }
}
