//! The catalog: every mounted toolset and hand-written tool under one name space; what
//! `tools/list` reads and `tools/call` looks up.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use toolgate_mcp::{
    Backend, CallError, Caller, CompletionTarget, PromptDef, PromptResult, ResourceContent, ResourceDef, ToolCall,
    ToolList,
};
use toolgate_tools::{Tool, ToolDef, ToolOutput, Toolset, ToolsetOptions};

use crate::auth::{FilterTools, Principal, ToolAccess};
use crate::call::{self, MountRuntime};
use crate::custom::CustomTool;
use crate::extras::Extras;
use crate::prompts::Prompt;
use crate::resources::{Resource, ResourceTemplate};
use crate::upstream::Upstream;

/// How tool calls of one mount reach their API.
#[derive(Debug, Clone)]
pub struct CallOptions {
    /// Headers of the MCP request copied onto each upstream request (e.g. `authorization` for
    /// an in-process app that checks the same token). Names are case-insensitive.
    pub forward_headers: Vec<http::HeaderName>,
    /// Headers set on every upstream request.
    pub inject_headers: Vec<(http::HeaderName, http::HeaderValue)>,
    /// Server-side credentials (API keys, tokens, client credentials).
    pub credentials: Vec<crate::outbound::Outbound>,
    /// Largest response body read from the upstream; more is cut with a marker.
    pub max_response_bytes: usize,
}

impl Default for CallOptions {
    fn default() -> Self {
        CallOptions {
            forward_headers: Vec::new(),
            inject_headers: Vec::new(),
            credentials: Vec::new(),
            max_response_bytes: 256 * 1024,
        }
    }
}

/// One API behind the catalog: its tools, its upstream, and how calls reach it.
#[derive(Debug)]
pub struct Mount {
    pub(crate) toolset: Toolset,
    pub(crate) runtime: Arc<MountRuntime>,
}

impl Mount {
    /// Builds the tools of `api` and binds them to `upstream`.
    pub fn new(
        api: &toolgate_openapi::Api,
        upstream: Upstream,
        tools: &ToolsetOptions,
        calls: CallOptions,
    ) -> Result<Mount, crate::Error> {
        let toolset = Toolset::build(api, tools)?;
        Ok(Mount { toolset, runtime: Arc::new(MountRuntime { upstream, options: calls }) })
    }

    /// The tools of this mount.
    pub fn toolset(&self) -> &Toolset {
        &self.toolset
    }
}

/// What decides which tools a caller sees: authenticated or not, and its scopes.
type ListKey = (bool, BTreeSet<String>);

enum Entry {
    Api { tool: Arc<Tool>, mount: Arc<MountRuntime> },
    Custom(Arc<CustomTool>),
}

/// Every tool served, by name.
pub struct Catalog {
    entries: Vec<Entry>,
    index: HashMap<String, usize>,
    list: Arc<ToolList>,
    access: Vec<ToolAccess>,
    filtered: Mutex<HashMap<ListKey, Arc<ToolList>>>,
    extras: Extras,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog").field("tools", &self.entries.len()).finish()
    }
}

impl Catalog {
    /// Puts mounts and hand-written tools under one name space. Two tools with the same name
    /// are an error that names both.
    pub fn new(mounts: Vec<Mount>, custom: Vec<CustomTool>) -> Result<Catalog, crate::Error> {
        let mut entries = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut origin: Vec<String> = Vec::new();
        let mut add = |name: &str, what: String, entry: Entry, entries: &mut Vec<Entry>| -> Result<(), crate::Error> {
            if let Some(&i) = index.get(name) {
                return Err(crate::Error::NameClash { name: name.to_owned(), first: origin[i].clone(), second: what });
            }
            index.insert(name.to_owned(), entries.len());
            origin.push(what);
            entries.push(entry);
            Ok(())
        };
        for m in mounts {
            for t in m.toolset.tools() {
                let what = format!("{} (at {})", t.source, m.runtime.upstream.base());
                add(t.name(), what, Entry::Api { tool: t.clone(), mount: m.runtime.clone() }, &mut entries)?;
            }
        }
        for c in custom {
            let name = c.def.name.clone();
            add(&name, format!("the hand-written tool `{name}`"), Entry::Custom(Arc::new(c)), &mut entries)?;
        }
        let list = Arc::new(ToolList::new(entries.iter().map(Entry::def)));
        let access = entries.iter().map(Entry::access).collect();
        Ok(Catalog { entries, index, list, access, filtered: Mutex::new(HashMap::new()), extras: Extras::default() })
    }

    /// Adds resources at fixed URIs. Two resources with the same URI are an error.
    pub fn with_resources(mut self, resources: Vec<Resource>) -> Result<Catalog, crate::Error> {
        self.extras.add_resources(resources)?;
        Ok(self)
    }

    /// Adds resource templates. Two templates with the same URI template are an error.
    pub fn with_resource_templates(mut self, templates: Vec<ResourceTemplate>) -> Result<Catalog, crate::Error> {
        self.extras.add_templates(templates)?;
        Ok(self)
    }

    /// Adds prompts. Two prompts with the same name are an error.
    pub fn with_prompts(mut self, prompts: Vec<Prompt>) -> Result<Catalog, crate::Error> {
        self.extras.add_prompts(prompts)?;
        Ok(self)
    }

    /// What a tool (by name) needs from a caller: authentication, scopes.
    pub fn access(&self, name: &str) -> Option<ToolAccess> {
        self.index.get(name).map(|&i| self.access[i].clone())
    }

    /// The tools a caller may see (all of them when no authentication is configured).
    fn list_for(&self, caller: &Caller) -> Arc<ToolList> {
        let Some(parts) = &caller.http else { return self.list.clone() };
        let Some(principal) = parts.extensions.get::<Arc<Principal>>() else { return self.list.clone() };
        if parts.extensions.get::<FilterTools>() == Some(&FilterTools(false)) {
            return self.list.clone();
        }
        let key = (principal.is_authenticated(), principal.scopes.clone());
        let mut cache = self.filtered.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(l) = cache.get(&key) {
            return l.clone();
        }
        let visible =
            self.entries.iter().zip(&self.access).filter(|(_, a)| allowed(a, principal).is_ok()).map(|(e, _)| e.def());
        let list = Arc::new(ToolList::new_lazy(visible));
        if cache.len() >= 1024 {
            cache.clear();
        }
        cache.insert(key, list.clone());
        list
    }

    /// Tool definitions in order.
    pub fn defs(&self) -> impl Iterator<Item = &ToolDef> {
        self.entries.iter().map(Entry::def)
    }

    /// How many tools.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Calls a tool by name, as an MCP client would.
    pub fn call_tool(&self, call: ToolCall) -> BoxFuture<'static, Result<ToolOutput, CallError>> {
        let Some(&i) = self.index.get(&call.name) else {
            let hint = toolgate_tools::naming::sanitize(&call.name);
            let hint = if hint != call.name && self.index.contains_key(&hint) {
                format!("; did you mean `{hint}`?")
            } else {
                String::new()
            };
            return Box::pin(futures::future::ready(Err(CallError::UnknownTool { name: call.name, hint })));
        };
        let principal = call.caller.http.as_ref().and_then(|p| p.extensions.get::<Arc<Principal>>()).cloned();
        if let Some(p) = principal.as_deref()
            && let Err(why) = allowed(&self.access[i], p)
        {
            return Box::pin(futures::future::ready(Ok(ToolOutput::error(format!(
                "`{}` is not allowed: {why}",
                call.name
            )))));
        }
        match &self.entries[i] {
            Entry::Api { tool, mount } => {
                let (tool, mount) = (tool.clone(), mount.clone());
                Box::pin(async move { Ok(call::run(&tool, &mount, call).await) })
            }
            Entry::Custom(c) => {
                if let Some(capability) = c.missing_client_capability(&call.caller) {
                    let e = CallError::MissingClientCapability { tool: call.name, capability };
                    return Box::pin(futures::future::ready(Err(e)));
                }
                let c = c.clone();
                Box::pin(async move { Ok(c.call(call).await) })
            }
        }
    }
}

/// Whether a principal may use a tool, and if not, why.
fn allowed(access: &ToolAccess, p: &Principal) -> Result<(), String> {
    if access.requires_auth && !p.is_authenticated() {
        return Err("it needs an authenticated caller".into());
    }
    let missing: Vec<&str> = access.scopes.iter().filter(|s| !p.scopes.contains(*s)).map(String::as_str).collect();
    if missing.is_empty() { Ok(()) } else { Err(format!("it needs the scopes: {}", missing.join(" "))) }
}

impl Entry {
    fn def(&self) -> &ToolDef {
        match self {
            Entry::Api { tool, .. } => &tool.def,
            Entry::Custom(c) => &c.def,
        }
    }

    fn access(&self) -> ToolAccess {
        match self {
            Entry::Api { tool, .. } => ToolAccess {
                requires_auth: !tool.security.is_empty() && !tool.security.iter().any(|r| r.is_empty()),
                scopes: tool.scopes.clone(),
            },
            Entry::Custom(c) => c.access.clone(),
        }
    }
}

impl Backend for Catalog {
    fn tools(&self, caller: &Caller) -> Arc<ToolList> {
        self.list_for(caller)
    }

    fn call(&self, call: ToolCall) -> BoxFuture<'static, Result<ToolOutput, CallError>> {
        self.call_tool(call)
    }

    fn resources(&self) -> Vec<ResourceDef> {
        self.extras.resources()
    }

    fn resource_templates(&self) -> Vec<ResourceDef> {
        self.extras.templates()
    }

    fn read_resource(&self, uri: &str) -> BoxFuture<'static, Option<Vec<ResourceContent>>> {
        self.extras.read(uri)
    }

    fn prompts(&self) -> Vec<PromptDef> {
        self.extras.prompts()
    }

    fn get_prompt(
        &self,
        name: &str,
        args: HashMap<String, String>,
    ) -> BoxFuture<'static, Result<PromptResult, String>> {
        self.extras.get_prompt(name, args)
    }

    fn complete(&self, target: &CompletionTarget, argument: &str, value: &str) -> Vec<String> {
        self.extras.complete(target, argument, value)
    }
}
