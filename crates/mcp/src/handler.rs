//! The rmcp `ServerHandler` over a [`Backend`].

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use rmcp::model::*;
use rmcp::service::{NotificationContext, RequestContext, SubscriptionContext, SubscriptionSink};
use rmcp::{ErrorData, Peer, RoleServer, ServerHandler};
use serde::Deserialize;

use crate::backend::{Backend, CallError, Caller, CompletionTarget, ToolCall, ToolList};
use crate::notify::{EventSink, LogLevel, Notifier};
use crate::{ServerOptions, convert};

/// The `_meta` key of the server's identity on 2026-07-28 results.
pub(crate) const SERVER_INFO_KEY: &str = "io.modelcontextprotocol/serverInfo";
/// The `_meta` key of the client's capabilities on 2026-07-28 requests.
pub(crate) const CLIENT_CAPABILITIES_KEY: &str = "io.modelcontextprotocol/clientCapabilities";

/// State shared by every session and request of one server.
pub(crate) struct Shared {
    pub backend: Arc<dyn Backend>,
    pub options: ServerOptions,
    pub(crate) info: ServerConfig,
    /// `_meta` with serverInfo, for 2026-07-28 results: built once.
    pub(crate) server_info_meta: MetaObject,
    sessions: Mutex<Vec<Peer<RoleServer>>>,
    listeners: Mutex<Vec<(u64, SubscriptionSink)>>,
    next_listener: AtomicU64,
    /// Tool calls running now (stdio waits for them at the end of its input).
    in_flight: std::sync::atomic::AtomicUsize,
    /// Notification streams of the lean HTTP path: legacy GET streams and
    /// `subscriptions/listen` replies.
    streams: Mutex<Vec<StreamListener>>,
}

/// One open notification stream of the lean HTTP path.
pub(crate) struct StreamListener {
    pub key: u64,
    pub sink: EventSink,
    /// `subscriptions/listen`: the request id (tagged on every notification as the
    /// subscription id) and whether tool-list changes were accepted. `None`: a legacy
    /// session's GET stream, which gets every list change.
    pub subscription: Option<(RequestId, bool)>,
}

/// Unregisters a lean notification stream when its reply is dropped.
pub(crate) struct StreamGuard {
    shared: std::sync::Weak<Shared>,
    key: u64,
}

impl Drop for StreamGuard {
    fn drop(&mut self) {
        if let Some(shared) = self.shared.upgrade() {
            shared.streams.lock().unwrap_or_else(|e| e.into_inner()).retain(|l| l.key != self.key);
        }
    }
}

impl Shared {
    pub fn new(backend: Arc<dyn Backend>, options: ServerOptions) -> Arc<Shared> {
        let info = server_info(backend.as_ref(), &options);
        let mut server_info_meta = MetaObject::new();
        if let Ok(v) = serde_json::to_value(&info.server_info) {
            server_info_meta.insert(SERVER_INFO_KEY.into(), v);
        }
        let shared = Arc::new(Shared {
            backend,
            options,
            info,
            server_info_meta,
            sessions: Mutex::new(Vec::new()),
            listeners: Mutex::new(Vec::new()),
            next_listener: AtomicU64::new(0),
            in_flight: std::sync::atomic::AtomicUsize::new(0),
            streams: Mutex::new(Vec::new()),
        });
        if let Some(mut rx) = shared.backend.changes() {
            let weak = Arc::downgrade(&shared);
            tokio::spawn(async move {
                while rx.changed().await.is_ok() {
                    let Some(shared) = weak.upgrade() else { break };
                    shared.broadcast_tools_changed().await;
                }
            });
        }
        shared
    }

    /// How many tool calls are running.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Acquire)
    }

    /// Tells every connected client that the tool list changed.
    pub async fn broadcast_tools_changed(&self) {
        let peers: Vec<Peer<RoleServer>> = {
            let mut s = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
            s.retain(|p| !p.is_transport_closed());
            s.clone()
        };
        for p in peers {
            let _ = p.notify_tool_list_changed().await;
        }
        let sinks: Vec<SubscriptionSink> =
            self.listeners.lock().unwrap_or_else(|e| e.into_inner()).iter().map(|(_, s)| s.clone()).collect();
        for s in sinks {
            let _ = s.notify_tool_list_changed().await;
        }
        let mut streams = self.streams.lock().unwrap_or_else(|e| e.into_inner());
        streams.retain(|l| !l.sink.is_closed());
        for l in streams.iter() {
            let mut n = ServerNotification::ToolListChangedNotification(ToolListChangedNotification {
                method: Default::default(),
                extensions: Default::default(),
            });
            match &l.subscription {
                None => {}
                Some((_, false)) => continue,
                Some((id, true)) => n.get_meta_mut().set_subscription_id(id.clone()),
            }
            l.sink.push_message(&ServerJsonRpcMessage::notification(n));
        }
    }

    /// Registers a lean notification stream for list changes until the guard is dropped.
    pub(crate) fn add_stream(
        self: &Arc<Self>,
        sink: EventSink,
        subscription: Option<(RequestId, bool)>,
    ) -> StreamGuard {
        let key = self.next_listener.fetch_add(1, Ordering::Relaxed);
        self.streams.lock().unwrap_or_else(|e| e.into_inner()).push(StreamListener { key, sink, subscription });
        StreamGuard { shared: Arc::downgrade(self), key }
    }
}

#[allow(deprecated)] // enable_logging: logging is deprecated (SEP-2577) but legacy clients use it
fn server_info(backend: &dyn Backend, o: &ServerOptions) -> ServerConfig {
    let has_resources = !backend.resources().is_empty() || !backend.resource_templates().is_empty();
    let has_prompts = !backend.prompts().is_empty();
    let mut caps = ServerCapabilities::builder().enable_tools().enable_tool_list_changed().enable_logging().build();
    if has_resources {
        caps.resources =
            ServerCapabilities::builder().enable_resources().enable_resources_subscribe().build().resources;
    }
    if has_prompts {
        caps.prompts = ServerCapabilities::builder().enable_prompts().build().prompts;
    }
    if has_resources || has_prompts {
        caps.completions = ServerCapabilities::builder().enable_completions().build().completions;
    }
    let mut imp = Implementation::new(o.name.clone(), o.version.clone());
    if let Some(t) = &o.title {
        imp = imp.with_title(t.clone());
    }
    let mut info = ServerConfig::new(caps).with_server_info(imp);
    if let Some(i) = &o.instructions {
        info = info.with_instructions(i.clone());
    }
    info
}

/// Client capabilities as the JSON object the client sent.
type Capabilities = Arc<serde_json::Map<String, serde_json::Value>>;

/// One handler per legacy session (rmcp calls the factory per session), or per stateless request.
#[derive(Clone)]
pub(crate) struct Handler {
    pub shared: Arc<Shared>,
    log_level: Arc<Mutex<Option<LogLevel>>>,
    /// The session's client capabilities from `initialize`, as JSON (converted on first use).
    peer_capabilities: Arc<std::sync::OnceLock<Option<Capabilities>>>,
    /// Turns `true` when the connection's input ended (stdio): long-lived requests such as
    /// `subscriptions/listen` end then instead of holding the process open.
    closed: Option<tokio::sync::watch::Receiver<bool>>,
}

impl Handler {
    pub fn new(shared: Arc<Shared>) -> Handler {
        Handler { shared, log_level: Arc::new(Mutex::new(None)), peer_capabilities: Default::default(), closed: None }
    }

    /// A handler for a connection whose end is signalled by `closed`.
    pub fn with_close_signal(shared: Arc<Shared>, closed: tokio::sync::watch::Receiver<bool>) -> Handler {
        Handler {
            shared,
            log_level: Arc::new(Mutex::new(None)),
            peer_capabilities: Default::default(),
            closed: Some(closed),
        }
    }

    /// Who calls: the request's HTTP parts (taken out of the context, not cloned) and the
    /// client's capabilities (the request's own `_meta` object as sent, else those declared at
    /// `initialize`, converted once per session).
    fn caller(&self, cx: &mut RequestContext<RoleServer>) -> Caller {
        let from_meta = cx.meta.get(CLIENT_CAPABILITIES_KEY).and_then(|v| match v {
            serde_json::Value::Object(m) if ClientCapabilities::deserialize(v).is_ok() => Some(Arc::new(m.clone())),
            _ => None,
        });
        let client_capabilities = match from_meta {
            Some(c) => Some(c),
            None => self
                .peer_capabilities
                .get_or_init(|| {
                    cx.peer.peer_info().and_then(|i| match serde_json::to_value(&i.capabilities) {
                        Ok(serde_json::Value::Object(m)) => Some(Arc::new(m)),
                        _ => None,
                    })
                })
                .clone(),
        };
        Caller { http: cx.extensions.remove::<http::request::Parts>().map(Arc::new), client_capabilities }
    }

    fn has_resources(&self) -> bool {
        self.shared.info.capabilities.resources.is_some()
    }

    fn has_prompts(&self) -> bool {
        self.shared.info.capabilities.prompts.is_some()
    }

    /// Caching hints for a 2026-07-28 result: lists and resources are the same for every
    /// caller unless the backend says otherwise.
    fn cache_hints(&self) -> (u64, CacheScope) {
        let scope = if self.shared.options.per_caller_lists { CacheScope::Private } else { CacheScope::Public };
        (self.shared.options.list_ttl_ms, scope)
    }

    fn modern(cx: &RequestContext<RoleServer>) -> bool {
        cx.protocol_version().is_some_and(|v| v >= ProtocolVersion::V_2026_07_28)
    }

    /// The log level in force for this request: the request's own (2026-07-28), else the
    /// session's (`logging/setLevel`).
    #[allow(deprecated)]
    fn log_level(&self, cx: &RequestContext<RoleServer>) -> Option<LogLevel> {
        if Self::modern(cx) {
            cx.meta.log_level().map(LogLevel::from_rmcp)
        } else {
            *self.log_level.lock().unwrap_or_else(|e| e.into_inner())
        }
    }

    fn server_info_meta(&self, cx: &RequestContext<RoleServer>) -> Option<MetaObject> {
        Self::modern(cx).then(|| self.shared.server_info_meta.clone())
    }
}

/// Counts a running tool call down when dropped (also when the call is cancelled).
struct InFlight<'a>(&'a Shared);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

pub(crate) fn page_index(list: &ToolList, cursor: Option<&str>) -> Result<usize, ErrorData> {
    match cursor {
        None | Some("") => Ok(0),
        Some(c) => c
            .strip_prefix('p')
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| *n < list.pages.len())
            .ok_or_else(|| ErrorData::invalid_params(format!("invalid cursor `{c}`"), None)),
    }
}

fn page(list: &ToolList, cursor: Option<String>) -> Result<ListToolsResult, ErrorData> {
    let page_idx = page_index(list, cursor.as_deref())?;
    let start = list.pages.get(page_idx).copied().unwrap_or(0).min(list.tools.len());
    let end = list.pages.get(page_idx + 1).copied().unwrap_or(list.tools.len());
    let mut r = ListToolsResult::with_all_items(list.tools[start..end].to_vec());
    if page_idx + 1 < list.pages.len() {
        r.next_cursor = Some(format!("p{}", page_idx + 1));
    }
    Ok(r)
}

impl ServerHandler for Handler {
    fn get_info(&self) -> ServerConfig {
        self.shared.info.clone()
    }

    fn supported_protocol_versions(&self) -> Cow<'static, [ProtocolVersion]> {
        Cow::Borrowed(ProtocolVersion::known_up_to(&ProtocolVersion::V_2026_07_28))
    }

    async fn discover(&self, _cx: RequestContext<RoleServer>) -> Result<DiscoverResult, ErrorData> {
        Ok(DiscoverResult::from_server_info(self.supported_protocol_versions().into_owned(), self.get_info())
            .with_ttl_ms(self.shared.options.list_ttl_ms)
            .with_cache_scope(CacheScope::Public))
    }

    async fn on_initialized(&self, cx: NotificationContext<RoleServer>) {
        let mut s = self.shared.sessions.lock().unwrap_or_else(|e| e.into_inner());
        s.retain(|p| !p.is_transport_closed());
        s.push(cx.peer);
    }

    #[allow(deprecated)]
    async fn set_level(&self, p: SetLevelRequestParams, cx: RequestContext<RoleServer>) -> Result<(), ErrorData> {
        if Self::modern(&cx) {
            return Err(ErrorData::method_not_found::<SetLevelRequestMethod>());
        }
        *self.log_level.lock().unwrap_or_else(|e| e.into_inner()) = Some(LogLevel::from_rmcp(p.level));
        Ok(())
    }

    async fn list_tools(
        &self,
        p: Option<PaginatedRequestParams>,
        mut cx: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let list = self.shared.backend.tools(&self.caller(&mut cx));
        let mut r = page(&list, p.and_then(|p| p.cursor))?;
        if Self::modern(&cx) {
            let (ttl, scope) = self.cache_hints();
            r.ttl_ms = Some(ttl);
            r.cache_scope = Some(scope);
            r.meta = self.server_info_meta(&cx);
        }
        Ok(r)
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        let list = self.shared.backend.tools(&Caller::default());
        list.defs.get(name).map(|&i| list.tools[i].clone())
    }

    async fn call_tool(
        &self,
        p: CallToolRequestParams,
        mut cx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        self.shared.in_flight.fetch_add(1, Ordering::AcqRel);
        let _done = InFlight(&self.shared);
        let notifier = Notifier::new(cx.peer.clone(), cx.meta.get_progress_token(), self.log_level(&cx));
        let caller = self.caller(&mut cx);
        let call = ToolCall { name: p.name.into_owned(), arguments: p.arguments, caller, notifier };
        let fut = self.shared.backend.call(call);
        let out = tokio::select! {
            out = fut => out,
            _ = cx.ct.cancelled() => {
                return Err(ErrorData::new(ErrorCode(-32800), "request cancelled", None));
            }
        };
        match out {
            Ok(o) => {
                let mut r = convert::output(o);
                r.meta = self.server_info_meta(&cx);
                Ok(r.into())
            }
            Err(e) => Err(call_error(&e)),
        }
    }

    async fn list_resources(
        &self,
        _p: Option<PaginatedRequestParams>,
        cx: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        if !self.has_resources() {
            return Err(ErrorData::method_not_found::<ListResourcesRequestMethod>());
        }
        let items = self.shared.backend.resources().into_iter().map(resource).collect();
        let mut r = ListResourcesResult::with_all_items(items);
        if Self::modern(&cx) {
            let (ttl, scope) = self.cache_hints();
            (r.ttl_ms, r.cache_scope, r.meta) = (Some(ttl), Some(scope), self.server_info_meta(&cx));
        }
        Ok(r)
    }

    async fn list_resource_templates(
        &self,
        _p: Option<PaginatedRequestParams>,
        cx: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        if !self.has_resources() {
            return Err(ErrorData::method_not_found::<ListResourceTemplatesRequestMethod>());
        }
        let items = self
            .shared
            .backend
            .resource_templates()
            .into_iter()
            .map(|r| {
                let mut t = ResourceTemplate::new(r.uri, r.name);
                if let Some(d) = r.description {
                    t = t.with_description(d);
                }
                if let Some(m) = r.mime_type {
                    t = t.with_mime_type(m);
                }
                t
            })
            .collect();
        let mut r = ListResourceTemplatesResult::with_all_items(items);
        if Self::modern(&cx) {
            let (ttl, scope) = self.cache_hints();
            (r.ttl_ms, r.cache_scope, r.meta) = (Some(ttl), Some(scope), self.server_info_meta(&cx));
        }
        Ok(r)
    }

    async fn read_resource(
        &self,
        p: ReadResourceRequestParams,
        cx: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        if !self.has_resources() {
            return Err(ErrorData::method_not_found::<ReadResourceRequestMethod>());
        }
        // An empty list is "not found" too: a result with no contents is not allowed (SEP-2164).
        let contents = match self.shared.backend.read_resource(&p.uri).await {
            Some(c) if !c.is_empty() => c,
            _ => {
                // -32002 here; rmcp rewrites it to -32602 for 2026-07-28 clients (SEP-2164).
                return Err(ErrorData::resource_not_found(
                    format!("Resource not found: {}", p.uri),
                    Some(serde_json::json!({ "uri": p.uri })),
                ));
            }
        };
        let contents = contents
            .into_iter()
            .map(|c| {
                let rc = match (c.blob, c.text) {
                    (Some(b), _) => ResourceContents::blob(b, c.uri),
                    (None, t) => ResourceContents::text(t.unwrap_or_default(), c.uri),
                };
                match c.mime_type {
                    Some(m) => rc.with_mime_type(m),
                    None => rc,
                }
            })
            .collect();
        let mut r = ReadResourceResult::new(contents);
        if Self::modern(&cx) {
            let (ttl, scope) = self.cache_hints();
            (r.ttl_ms, r.cache_scope, r.meta) = (Some(ttl), Some(scope), self.server_info_meta(&cx));
        }
        Ok(r.into())
    }

    async fn subscribe(&self, _p: SubscribeRequestParams, _cx: RequestContext<RoleServer>) -> Result<(), ErrorData> {
        if !self.has_resources() {
            return Err(ErrorData::method_not_found::<SubscribeRequestMethod>());
        }
        // Resources never change while served, so there is nothing to report; accepting the
        // subscription is all a client needs.
        Ok(())
    }

    async fn unsubscribe(
        &self,
        _p: UnsubscribeRequestParams,
        _cx: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        if !self.has_resources() {
            return Err(ErrorData::method_not_found::<UnsubscribeRequestMethod>());
        }
        Ok(())
    }

    async fn list_prompts(
        &self,
        _p: Option<PaginatedRequestParams>,
        cx: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        if !self.has_prompts() {
            return Err(ErrorData::method_not_found::<ListPromptsRequestMethod>());
        }
        let items = self
            .shared
            .backend
            .prompts()
            .into_iter()
            .map(|p| {
                let args = (!p.arguments.is_empty()).then(|| {
                    p.arguments
                        .into_iter()
                        .map(|(name, desc, req)| {
                            let mut a = PromptArgument::new(name).with_required(req);
                            if let Some(d) = desc {
                                a = a.with_description(d);
                            }
                            a
                        })
                        .collect()
                });
                Prompt::new(p.name, p.description, args)
            })
            .collect();
        let mut r = ListPromptsResult::with_all_items(items);
        if Self::modern(&cx) {
            let (ttl, scope) = self.cache_hints();
            (r.ttl_ms, r.cache_scope, r.meta) = (Some(ttl), Some(scope), self.server_info_meta(&cx));
        }
        Ok(r)
    }

    async fn get_prompt(
        &self,
        p: GetPromptRequestParams,
        cx: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        if !self.has_prompts() {
            return Err(ErrorData::method_not_found::<GetPromptRequestMethod>());
        }
        let args: HashMap<String, String> = p
            .arguments
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k, v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string())))
            .collect();
        match self.shared.backend.get_prompt(&p.name, args).await {
            Ok(r) => {
                let messages = r
                    .messages
                    .into_iter()
                    .map(|(role, c)| {
                        let role = if role == "assistant" { Role::Assistant } else { Role::User };
                        PromptMessage::new(role, convert::content(c))
                    })
                    .collect();
                let mut g = GetPromptResult::new(messages);
                if let Some(d) = r.description {
                    g = g.with_description(d);
                }
                g.meta = self.server_info_meta(&cx);
                Ok(g.into())
            }
            Err(why) => Err(ErrorData::invalid_params(why, None)),
        }
    }

    async fn complete(
        &self,
        p: CompleteRequestParams,
        cx: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, ErrorData> {
        if self.shared.info.capabilities.completions.is_none() {
            return Err(ErrorData::method_not_found::<CompleteRequestMethod>());
        }
        let target = match &p.r#ref {
            Reference::Prompt(pr) => CompletionTarget::Prompt(pr.name.clone()),
            Reference::Resource(rr) => CompletionTarget::Resource(rr.uri.clone()),
            #[allow(unreachable_patterns)]
            _ => return Err(ErrorData::invalid_params("unsupported completion reference", None)),
        };
        let mut values = self.shared.backend.complete(&target, &p.argument.name, &p.argument.value);
        let total = values.len();
        values.truncate(100);
        let info = CompletionInfo::with_pagination(values, Some(total as u32), total > 100)
            .map_err(|e| ErrorData::internal_error(e, None))?;
        let mut r = CompleteResult::new(info);
        r.meta = self.server_info_meta(&cx);
        Ok(r)
    }

    fn accepted_subscription_filter(&self, req: &SubscriptionFilter) -> Option<SubscriptionFilter> {
        // After the input ended (stdio) a subscription could never be acknowledged: rmcp would
        // wait for that send until its drain timeout and hold the process for seconds.
        if self.closed.as_ref().is_some_and(|c| *c.borrow()) {
            return None;
        }
        Some(req.supported_by(&self.get_info().capabilities))
    }

    async fn listen(&self, cx: SubscriptionContext) -> Result<(), ErrorData> {
        let key = self.shared.next_listener.fetch_add(1, Ordering::Relaxed);
        self.shared.listeners.lock().unwrap_or_else(|e| e.into_inner()).push((key, cx.sink().clone()));
        match self.closed.clone() {
            Some(mut closed) => {
                tokio::select! {
                    _ = cx.cancelled() => {}
                    _ = closed.wait_for(|c| *c) => {}
                }
            }
            None => cx.cancelled().await,
        }
        self.shared.listeners.lock().unwrap_or_else(|e| e.into_inner()).retain(|(k, _)| *k != key);
        Ok(())
    }
}

/// A call that could not be routed, as the JSON-RPC error the client gets.
pub(crate) fn call_error(e: &CallError) -> ErrorData {
    match e {
        CallError::UnknownTool { .. } => ErrorData::invalid_params(e.to_string(), None),
        CallError::MissingClientCapability { capability, .. } => {
            let mut required = serde_json::Map::new();
            required.insert(capability.clone(), serde_json::json!({}));
            // -32021 MissingRequiredClientCapability; rmcp answers it with HTTP 400.
            ErrorData::new(
                ErrorCode::MISSING_REQUIRED_CLIENT_CAPABILITY,
                e.to_string(),
                Some(serde_json::json!({ "requiredCapabilities": required })),
            )
        }
    }
}

fn resource(r: crate::backend::ResourceDef) -> Resource {
    let mut x = Resource::new(r.uri, r.name);
    if let Some(d) = r.description {
        x = x.with_description(d);
    }
    if let Some(m) = r.mime_type {
        x = x.with_mime_type(m);
    }
    x
}
