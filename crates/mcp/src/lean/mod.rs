//! The lean Streamable HTTP engine: one endpoint for both protocol eras, with rmcp's model types
//! but without its per-request machinery.
//!
//! A request is parsed once (the hot methods, `tools/call` and `tools/list`, straight into
//! their parameters), checked as rmcp checks it (`checks`), and answered in the task hyper
//! already runs for the connection: no spawned task, no channel hop, one buffer per plain
//! reply. `tools/call` and `tools/list` go straight to the [`Backend`](crate::Backend);
//! `tools/list` pages are serialized once per list and protocol shape (`ToolList::page_json`).
//! Other methods go through rmcp's `Service::handle_request` on the same [`Handler`] the rmcp
//! transports use, with a context built here (a long-lived peer that nothing reaches, the
//! request's `_meta` and HTTP parts), so their behaviour and version shaping stay rmcp's.
//! Legacy sessions are rows in a table (`session`); a call's notifications go on its own
//! reply, which switches from JSON to SSE only when a notification comes first.

mod body;
mod checks;
mod session;

use std::borrow::Cow;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use http::request::Parts;
use http::{HeaderValue, Method, Request, StatusCode};
use rmcp::model::{
    ClientJsonRpcMessage, ClientNotification, ClientRequest, ErrorData, GetExtensions, GetMeta,
    InitializeRequestParams, JsonRpcMessage, JsonRpcRequest, MetaObject, NotificationMetaObject, ProtocolVersion,
    RequestId, RequestMetaObject, ServerJsonRpcMessage, ServerNotification, ServerResult, SetLevelRequestMethod,
    SubscriptionsAcknowledgedNotification, SubscriptionsAcknowledgedNotificationParams,
    SubscriptionsListenRequestMethod,
};
use rmcp::service::{RequestContext, RunningService};
use rmcp::{Peer, RoleServer, ServerHandler, Service};
use serde::Deserialize;
use serde_json::{Map, Value};
use toolgate_tools::ToolOutput;

use crate::backend::{CallError, Caller, ToolCall};
use crate::handler::{CLIENT_CAPABILITIES_KEY, Handler, Shared, call_error, page_index};
use crate::notify::{EventSink, LogLevel, Notifier};
use body::{CallFuture, SseBody};
use checks::{MetaFacts, Reject, RequestInfo, StandardView};
use session::{SessionCall, SessionRef, Sessions};

/// Settings of the lean engine, from [`HttpOptions`](crate::HttpOptions).
pub(crate) struct LeanConfig {
    pub allowed_hosts: Option<Vec<String>>,
    pub allowed_origins: Vec<String>,
    pub json_response: bool,
    pub keep_alive: Option<Duration>,
    pub max_body_bytes: usize,
    pub session_idle_timeout: Option<Duration>,
}

/// The priming event of a legacy GET stream (an event id and a reconnection delay).
const PRIMING: &[u8] = b"data: \nid: 0\nretry: 3000\n\n";

/// One MCP endpoint served by the lean engine.
pub(crate) struct Lean {
    shared: Arc<Shared>,
    handler: Handler,
    /// A peer for the contexts of delegated requests. Nothing reads from or writes to it: the
    /// methods handled through rmcp send no notifications. Keeping the service keeps the peer;
    /// dropping it (with the endpoint) stops its loop.
    peer: Peer<RoleServer>,
    _service: RunningService<RoleServer, Handler>,
    guard: checks::Guard,
    json_response: bool,
    keep_alive: Option<Duration>,
    max_body_bytes: usize,
    sessions: Arc<Sessions>,
    /// `"_meta":{"io.modelcontextprotocol/serverInfo":…}` for 2026-07-28 results.
    server_info_member: Bytes,
    /// `"cacheScope":"…"` of list results.
    cache_scope: &'static str,
}

/// Where a message goes after the transport checks.
enum Route {
    /// A legacy session's request or notification.
    Session(SessionRef),
    /// A request answered statelessly (2026-07-28, or `server/discover`); `malformed` when its
    /// `_meta` lacks the fields 2026-07-28 requires (an invalid-params error is then a 400).
    Stateless { malformed: bool },
    /// `initialize` without a session: opens one.
    NewSession,
    /// A stateless notification: accepted and ignored.
    Accepted,
}

/// What kind of message, for routing.
#[derive(Clone, Copy)]
enum Kind<'a> {
    Request(RequestInfo<'a>),
    Notification,
    Response,
}

/// The version a request is served under, and what follows from it (rmcp's `handle_request`).
struct Versions {
    is_2026: bool,
    legacy_request: bool,
}

impl Lean {
    pub(crate) fn new(shared: Arc<Shared>, config: LeanConfig) -> Arc<Lean> {
        let handler = Handler::new(shared.clone());
        let service = rmcp::service::serve_directly::<RoleServer, _, _, _, _>(
            handler.clone(),
            (futures::sink::drain::<ServerJsonRpcMessage>(), futures::stream::pending::<ClientJsonRpcMessage>()),
            None,
        );
        let peer = service.peer().clone();
        let mut server_info_member = b"\"_meta\":".to_vec();
        let _ = serde_json::to_writer(&mut server_info_member, &shared.server_info_meta);
        let cache_scope =
            if shared.options.per_caller_lists { "\"cacheScope\":\"private\"" } else { "\"cacheScope\":\"public\"" };
        Arc::new(Lean {
            guard: checks::Guard::new(config.allowed_hosts.as_deref(), &config.allowed_origins),
            json_response: config.json_response,
            keep_alive: config.keep_alive,
            max_body_bytes: config.max_body_bytes,
            sessions: Sessions::new(config.session_idle_timeout),
            server_info_member: server_info_member.into(),
            cache_scope,
            shared,
            handler,
            peer,
            _service: service,
        })
    }

    /// Answers one HTTP request to the endpoint.
    pub(crate) async fn handle(self: Arc<Self>, req: Request<Body>) -> Response {
        let (parts, body) = req.into_parts();
        if let Err(r) = self.guard.check(&parts.uri, &parts.headers) {
            return *r;
        }
        let result = match parts.method {
            Method::POST => self.post(parts, body).await,
            Method::GET => self.get(parts),
            Method::DELETE => self.delete(&parts),
            _ => return checks::method_not_allowed("GET, POST, DELETE"),
        };
        result.unwrap_or_else(|r| *r)
    }

    // ---- POST ----------------------------------------------------------------------------------

    async fn post(&self, parts: Parts, body: Body) -> Result<Response, Reject> {
        checks::check_post_media(&parts.headers)?;
        let bytes = read_body(body, self.max_body_bytes).await?;
        let incoming = parse(&bytes).map_err(|e| {
            Box::new(checks::plain(StatusCode::UNSUPPORTED_MEDIA_TYPE, format!("fail to deserialize request body {e}")))
        })?;
        match incoming {
            Incoming::Call { id, name, params } => self.tools_call(parts, id, name, params).await,
            Incoming::List { id, params } => self.tools_list(parts, id, params),
            Incoming::Other(msg) => self.other(parts, *msg).await,
        }
    }

    /// The transport checks, in rmcp's order, and where the message goes.
    fn route(
        &self,
        headers: &http::HeaderMap,
        kind: Kind<'_>,
        init_version: Option<&str>,
        view: &StandardView<'_>,
    ) -> Result<Route, Reject> {
        let request = match kind {
            Kind::Request(r) => Some(r),
            _ => None,
        };
        let per_request_version = request.is_some_and(|r| r.meta.version.is_some());
        let legacy = checks::is_legacy_request(headers, request, init_version)?;
        let params = |name: &str| self.shared.backend.tools(&Caller::default()).param_headers(name).cloned();
        if legacy {
            if let Some(sid) = headers.get(checks::HEADER_SESSION_ID).and_then(|v| v.to_str().ok()) {
                let Some(session) = self.sessions.get(sid) else {
                    return Err(Box::new(checks::session_not_found()));
                };
                checks::validate_protocol_version_header(headers, per_request_version)?;
                checks::validate_request_protocol_version_meta(headers, request)?;
                checks::validate_standard_headers(headers, view, params)?;
                return Ok(Route::Session(session));
            }
            if let Some(r) = request.filter(|r| r.discover) {
                checks::validate_protocol_version_header(headers, per_request_version)?;
                checks::validate_standard_headers(headers, view, params)?;
                checks::validate_request_protocol_version_meta(headers, request)?;
                return Ok(Route::Stateless { malformed: !r.meta.complete() });
            }
            checks::validate_standard_headers(headers, view, params)?;
            return match (request, init_version) {
                (Some(r), Some(v)) if r.initialize => {
                    checks::validate_header_matches_init_body(headers, v, r.id)?;
                    Ok(Route::NewSession)
                }
                _ => Err(checks::session_id_required()),
            };
        }
        match (request, init_version) {
            (Some(r), Some(v)) if r.initialize => checks::validate_header_matches_init_body(headers, v, r.id)?,
            _ => checks::validate_protocol_version_header(headers, per_request_version)?,
        }
        checks::validate_standard_headers(headers, view, params)?;
        checks::validate_request_protocol_version_meta(headers, request)?;
        match kind {
            Kind::Request(r) => Ok(Route::Stateless { malformed: !r.meta.complete() }),
            Kind::Notification => Ok(Route::Accepted),
            Kind::Response => Err(Box::new(checks::jsonrpc_error(
                StatusCode::BAD_REQUEST,
                None,
                ErrorData::invalid_request("stateless server does not accept JSON-RPC responses", None),
            ))),
        }
    }

    /// rmcp's per-request version checks (`handle_request`): a version named in `_meta` must
    /// be supported (-32022), and a request on the 2026-07-28 lifecycle (or `server/discover`)
    /// must carry the `_meta` fields it requires (-32602).
    fn versions(
        &self,
        headers: &http::HeaderMap,
        facts: &MetaFacts,
        session: Option<&SessionRef>,
        discover: bool,
    ) -> Result<Versions, ErrorData> {
        let requested = facts.version.as_ref();
        let fallback = || {
            session
                .map(|s| s.protocol.clone())
                .or_else(|| checks::header_version(headers).map(checks::version_from_str))
        };
        let protocol = requested.cloned().or_else(fallback);
        if let Some(r) = requested {
            let supported = ServerHandler::supported_protocol_versions(&self.handler);
            if !supported.contains(r) {
                return Err(ErrorData::unsupported_protocol_version(r.clone(), &supported));
            }
        }
        let requires_meta = discover || requested.is_some_and(|v| v.as_str() >= modern().as_str());
        if requires_meta && !facts.complete() {
            return Err(ErrorData::invalid_params(
                format!("request _meta is missing or has malformed required fields: {}", facts.missing().join(", ")),
                None,
            ));
        }
        let is_2026 = protocol.as_ref().is_some_and(|v| v.as_str() >= modern().as_str());
        let legacy_request = !requires_meta && protocol.as_ref().is_none_or(ProtocolVersion::has_initialize);
        Ok(Versions { is_2026, legacy_request })
    }

    /// A reply of one message: JSON, or one SSE event when JSON replies are off (a non-200
    /// status is always JSON, as rmcp does it).
    fn reply(&self, status: StatusCode, message: Vec<u8>) -> Response {
        if self.json_response || status != StatusCode::OK {
            return checks::json(status, message);
        }
        let mut event = Vec::with_capacity(message.len() + 8);
        event.extend_from_slice(b"data: ");
        event.extend_from_slice(&message);
        event.extend_from_slice(b"\n\n");
        let mut r = checks::plain(StatusCode::OK, event);
        checks::sse_headers(&mut r);
        r
    }

    /// A JSON-RPC error reply: 200 in a session (`stateless: None`), else the status rmcp maps
    /// the code to (`Some(malformed)`).
    fn error(&self, id: RequestId, error: ErrorData, stateless: Option<bool>) -> Response {
        let status = match stateless {
            Some(malformed) => checks::status_of_error(error.code.0, malformed),
            None => StatusCode::OK,
        };
        let body = serde_json::to_vec(&ServerJsonRpcMessage::error(error, Some(id))).unwrap_or_default();
        self.reply(status, body)
    }

    /// The capabilities the client declared: the request's own (2026-07-28 `_meta`, as sent),
    /// else the session's.
    fn capabilities(
        meta: &mut RequestMetaObject,
        facts: &MetaFacts,
        session: Option<&SessionRef>,
    ) -> Option<Arc<Map<String, Value>>> {
        if facts.capabilities
            && let Some(Value::Object(m)) = meta.remove(CLIENT_CAPABILITIES_KEY)
        {
            return Some(Arc::new(m));
        }
        session.and_then(|s| s.capabilities.clone())
    }

    // ---- tools/call ----------------------------------------------------------------------------

    async fn tools_call(&self, parts: Parts, id: RequestId, name: String, p: HotParams) -> Result<Response, Reject> {
        let mut meta = RequestMetaObject(MetaObject(p.meta.unwrap_or_default()));
        let facts = MetaFacts::of(&meta);
        let info = RequestInfo { id: &id, initialize: false, discover: false, meta: &facts };
        let view = StandardView {
            response: false,
            id: Some(&id),
            initialize: false,
            method: "tools/call",
            name: Some(&name),
            arguments: p.arguments.as_ref(),
        };
        let (session, stateless) = split(self.route(&parts.headers, Kind::Request(info), None, &view)?)?;
        let v = match self.versions(&parts.headers, &facts, session.as_ref(), false) {
            Ok(v) => v,
            Err(e) => return Ok(self.error(id, e, stateless)),
        };
        let log_level = if v.is_2026 {
            #[allow(deprecated)]
            meta.log_level().map(LogLevel::from_rmcp)
        } else {
            session.as_ref().and_then(|s| s.log_level())
        };
        let progress = meta.get_progress_token();
        let capabilities = Lean::capabilities(&mut meta, &facts, session.as_ref());
        let caller = Caller { http: Some(Arc::new(parts)), client_capabilities: capabilities };
        let sink = Notifier::would_send(&progress, &log_level).then(EventSink::new);
        let notifier = match &sink {
            Some(s) => Notifier::to_stream(s.clone(), progress, log_level),
            None => Notifier::none(),
        };
        let fut = self.shared.backend.call(ToolCall { name, arguments: p.arguments, caller, notifier });
        let mut call = match session {
            Some(s) => CallFuture::Session(Some(SessionCall::new(s, id.clone(), fut))),
            None => CallFuture::Plain(fut),
        };
        let finish = Finish {
            id,
            is_2026: v.is_2026,
            server_info: v.is_2026.then(|| self.server_info_member.clone()),
            malformed: stateless,
        };

        // Until the first message: the result (a plain reply) or a notification (SSE).
        let first = std::future::poll_fn(|cx| {
            if let Poll::Ready(out) = Pin::new(&mut call).poll(cx) {
                return Poll::Ready(Some(out));
            }
            match &sink {
                Some(s) if s.poll_ready(cx).is_ready() => Poll::Ready(None),
                _ => Poll::Pending,
            }
        })
        .await;
        let Some(sink) = sink else {
            // No notifications were asked for: the call has finished.
            return Ok(match first.flatten() {
                Some(out) => {
                    let (status, body) = finish.message(out);
                    self.reply(status, body)
                }
                None => cancelled_reply(),
            });
        };
        match first {
            Some(out) => {
                let events = sink.take();
                match out {
                    Some(out) if events.is_empty() => {
                        let (status, body) = finish.message(out);
                        Ok(self.reply(status, body))
                    }
                    out => {
                        let mut all = events.to_vec();
                        if let Some(last) = finish.event(out) {
                            all.extend_from_slice(&last);
                        }
                        let mut r = checks::plain(StatusCode::OK, all);
                        checks::sse_headers(&mut r);
                        Ok(r)
                    }
                }
            }
            None => {
                let body = SseBody::new(Bytes::new(), sink, self.keep_alive)
                    .with_call(call, Box::new(move |out| finish.event(out)));
                let mut r = Response::new(Body::new(body));
                checks::sse_headers(&mut r);
                Ok(r)
            }
        }
    }

    // ---- tools/list ----------------------------------------------------------------------------

    fn tools_list(&self, parts: Parts, id: RequestId, p: HotParams) -> Result<Response, Reject> {
        let mut meta = RequestMetaObject(MetaObject(p.meta.unwrap_or_default()));
        let facts = MetaFacts::of(&meta);
        let info = RequestInfo { id: &id, initialize: false, discover: false, meta: &facts };
        let view = StandardView {
            response: false,
            id: Some(&id),
            initialize: false,
            method: "tools/list",
            name: None,
            arguments: None,
        };
        let (session, stateless) = split(self.route(&parts.headers, Kind::Request(info), None, &view)?)?;
        let v = match self.versions(&parts.headers, &facts, session.as_ref(), false) {
            Ok(v) => v,
            Err(e) => return Ok(self.error(id, e, stateless)),
        };
        let caller = Caller {
            http: Some(Arc::new(parts)),
            client_capabilities: Lean::capabilities(&mut meta, &facts, session.as_ref()),
        };
        drop(session);
        let list = self.shared.backend.tools(&caller);
        let index = match page_index(&list, p.cursor.as_deref()) {
            Ok(i) => i,
            Err(e) => return Ok(self.error(id, e, stateless)),
        };
        let (_, more) = list.page_tools(index);
        let tools = list.page_json(index, v.is_2026);

        let mut head = Vec::with_capacity(256);
        if !self.json_response {
            head.extend_from_slice(b"data: ");
        }
        head.extend_from_slice(b"{\"jsonrpc\":\"2.0\",\"id\":");
        let _ = serde_json::to_writer(&mut head, &id);
        head.extend_from_slice(b",\"result\":{");
        if v.is_2026 {
            head.extend_from_slice(b"\"resultType\":\"complete\",");
            head.extend_from_slice(&self.server_info_member);
            head.push(b',');
        }
        if more {
            head.extend_from_slice(format!("\"nextCursor\":\"p{}\",", index + 1).as_bytes());
        }
        if v.is_2026 {
            head.extend_from_slice(format!("\"ttlMs\":{},", self.shared.options.list_ttl_ms).as_bytes());
            head.extend_from_slice(self.cache_scope.as_bytes());
            head.push(b',');
        }
        head.extend_from_slice(b"\"tools\":");
        let tail: &'static [u8] = if self.json_response { b"}}" } else { b"}}\n\n" };
        let mut r = Response::new(Body::new(Chunks::new([head.into(), tools, Bytes::from_static(tail)])));
        if self.json_response {
            r.headers_mut().insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        } else {
            checks::sse_headers(&mut r);
        }
        Ok(r)
    }

    // ---- everything else -----------------------------------------------------------------------

    async fn other(&self, parts: Parts, msg: ClientJsonRpcMessage) -> Result<Response, Reject> {
        // The header view as rmcp takes it: from the message serialized back.
        let value = serde_json::to_value(&msg).unwrap_or(Value::Null);
        let method = value.get("method").and_then(Value::as_str).unwrap_or_default();
        let params = value.get("params");
        let name = checks::name_key(method).and_then(|k| params?.get(k)?.as_str());
        let arguments = params.and_then(|p| p.get("arguments")).and_then(Value::as_object);
        match msg {
            JsonRpcMessage::Request(JsonRpcRequest { id, request, .. }) => {
                let init_version = match &request {
                    ClientRequest::InitializeRequest(i) => Some(i.params.protocol_version.as_str().to_owned()),
                    _ => None,
                };
                let facts = MetaFacts::of(request.get_meta());
                let info = RequestInfo {
                    id: &id,
                    initialize: init_version.is_some(),
                    discover: matches!(request, ClientRequest::DiscoverRequest(_)),
                    meta: &facts,
                };
                let view = StandardView {
                    response: false,
                    id: Some(&id),
                    initialize: info.initialize,
                    method,
                    name,
                    arguments,
                };
                let route = self.route(&parts.headers, Kind::Request(info), init_version.as_deref(), &view)?;
                Ok(self.request(parts, id, request, facts, route).await)
            }
            JsonRpcMessage::Notification(n) => {
                let view = StandardView { response: false, id: None, initialize: false, method, name, arguments };
                match self.route(&parts.headers, Kind::Notification, None, &view)? {
                    Route::Session(session) => {
                        if let ClientNotification::CancelledNotification(c) = &n.notification
                            && let Some(request_id) = &c.params.request_id
                        {
                            session.cancel(request_id);
                        }
                        Ok(checks::accepted())
                    }
                    _ => Ok(checks::accepted()),
                }
            }
            JsonRpcMessage::Response(_) | JsonRpcMessage::Error(_) => {
                let view = StandardView { response: true, id: None, initialize: false, method, name, arguments };
                self.route(&parts.headers, Kind::Response, None, &view)?;
                Ok(checks::accepted())
            }
        }
    }

    async fn request(
        &self,
        parts: Parts,
        id: RequestId,
        mut request: ClientRequest,
        facts: MetaFacts,
        route: Route,
    ) -> Response {
        let meta = std::mem::take(request.get_meta_mut());
        let extensions = std::mem::take(request.extensions_mut());
        let (session, stateless) = match route {
            Route::Session(s) => (Some(s), None),
            Route::Stateless { malformed } => (None, Some(malformed)),
            Route::NewSession => {
                return match request {
                    ClientRequest::InitializeRequest(init) => self.initialize(id, init.params, true, None),
                    _ => *checks::session_id_required(),
                };
            }
            Route::Accepted => return checks::accepted(),
        };
        match request {
            // `initialize` again in a live session: answered; nothing else changes.
            ClientRequest::InitializeRequest(init) => self.initialize(id, init.params, false, stateless),
            ClientRequest::SetLevelRequest(set) => {
                let v = match self.versions(&parts.headers, &facts, session.as_ref(), false) {
                    Ok(v) => v,
                    Err(e) => return self.error(id, e, stateless),
                };
                if v.is_2026 {
                    // Removed in 2026-07-28: the level travels in each request's `_meta`.
                    return self.error(id, ErrorData::method_not_found::<SetLevelRequestMethod>(), stateless);
                }
                if let Some(s) = &session {
                    #[allow(deprecated)]
                    s.set_log_level(LogLevel::from_rmcp(set.params.level));
                }
                self.result(id, ServerResult::empty(()))
            }
            ClientRequest::SubscriptionsListenRequest(listen) => {
                self.listen(&parts.headers, id, &facts, listen.params.notifications, session.as_ref(), stateless)
            }
            request => {
                drop(session);
                let mut cx = RequestContext::new(id.clone(), self.peer.clone());
                cx.meta = meta;
                cx.extensions = extensions;
                cx.extensions.insert(parts);
                match Service::handle_request(&self.handler, request, cx).await {
                    Ok(result) => self.result(id, result),
                    // handle_request has shaped the error for the version already.
                    Err(e) => self.error(id, e, stateless),
                }
            }
        }
    }

    fn result(&self, id: RequestId, result: ServerResult) -> Response {
        let body = serde_json::to_vec(&ServerJsonRpcMessage::response(result, id)).unwrap_or_default();
        self.reply(StatusCode::OK, body)
    }

    /// `initialize`: the version agreed as rmcp agrees it; `open` opens a session, named in the
    /// `Mcp-Session-Id` header.
    fn initialize(
        &self,
        id: RequestId,
        params: InitializeRequestParams,
        open: bool,
        stateless: Option<bool>,
    ) -> Response {
        let result = match self.handler.negotiate_initialize(&params) {
            Ok(r) => r,
            Err(e) => return self.error(id, e, stateless),
        };
        if !open {
            return self.result(id, ServerResult::InitializeResult(result));
        }
        let capabilities = match serde_json::to_value(&params.capabilities) {
            Ok(Value::Object(m)) if !m.is_empty() => Some(Arc::new(m)),
            _ => None,
        };
        let sid = self.sessions.create(result.protocol_version.clone(), capabilities);
        let mut r = self.result(id, ServerResult::InitializeResult(result));
        if let Ok(v) = HeaderValue::from_str(&sid) {
            r.headers_mut().insert(checks::HEADER_SESSION_ID, v);
        }
        r
    }

    /// `subscriptions/listen` (2026-07-28): an SSE reply that stays open, acknowledged first,
    /// then carrying the list changes the client asked for and the server offers.
    fn listen(
        &self,
        headers: &http::HeaderMap,
        id: RequestId,
        facts: &MetaFacts,
        requested: rmcp::model::SubscriptionFilter,
        session: Option<&SessionRef>,
        stateless: Option<bool>,
    ) -> Response {
        let v = match self.versions(headers, facts, session, false) {
            Ok(v) => v,
            Err(e) => return self.error(id, e, stateless),
        };
        if v.legacy_request {
            return self.error(id, ErrorData::method_not_found::<SubscriptionsListenRequestMethod>(), stateless);
        }
        let accepted = requested.intersection(&requested.supported_by(&self.shared.info.capabilities));
        let tools = accepted.tools_list_changed == Some(true);
        let mut ack =
            SubscriptionsAcknowledgedNotification::new(SubscriptionsAcknowledgedNotificationParams::new(accepted));
        let mut ack_meta = NotificationMetaObject::new();
        ack_meta.set_subscription_id(id.clone());
        ack.extensions.insert(ack_meta);
        let ack = ServerJsonRpcMessage::notification(ServerNotification::SubscriptionsAcknowledgedNotification(ack));
        let sink = EventSink::new();
        sink.push_message(&ack);
        let guard = self.shared.add_stream(sink.clone(), Some((id, tools)));
        let body = SseBody::new(Bytes::new(), sink, self.keep_alive).with_guard(guard);
        let mut r = Response::new(Body::new(body));
        checks::sse_headers(&mut r);
        r
    }

    // ---- GET and DELETE ------------------------------------------------------------------------

    /// A legacy session's standalone stream (server-to-client notifications). A second GET
    /// while one is open gets a stream that only carries keep-alives: no message is ever sent
    /// on two streams.
    fn get(&self, parts: Parts) -> Result<Response, Reject> {
        checks::check_get_media(&parts.headers)?;
        if !checks::is_legacy_request(&parts.headers, None, None)? {
            return Ok(checks::method_not_allowed("POST"));
        }
        let Some(sid) = parts.headers.get(checks::HEADER_SESSION_ID).and_then(|v| v.to_str().ok()) else {
            return Err(checks::session_id_required());
        };
        let Some(session) = self.sessions.get(sid) else { return Ok(checks::session_not_found()) };
        checks::validate_protocol_version_header(&parts.headers, false)?;
        let sink = EventSink::new();
        let primary = {
            let mut slot = session.stream.lock().unwrap_or_else(|e| e.into_inner());
            let primary = slot.as_ref().is_none_or(EventSink::is_closed);
            if primary {
                *slot = Some(sink.clone());
            }
            primary
        };
        let head = if parts.headers.contains_key(checks::HEADER_LAST_EVENT_ID) {
            Bytes::new()
        } else {
            Bytes::from_static(PRIMING)
        };
        let mut body = SseBody::new(head, sink.clone(), self.keep_alive);
        if primary {
            body = body.with_guard(self.shared.add_stream(sink, None));
        }
        let mut r = Response::new(Body::new(body));
        checks::sse_headers(&mut r);
        Ok(r)
    }

    fn delete(&self, parts: &Parts) -> Result<Response, Reject> {
        if !checks::is_legacy_request(&parts.headers, None, None)? {
            return Ok(checks::method_not_allowed("POST"));
        }
        let Some(sid) = parts.headers.get(checks::HEADER_SESSION_ID).and_then(|v| v.to_str().ok()) else {
            return Err(checks::session_id_required());
        };
        checks::validate_protocol_version_header(&parts.headers, false)?;
        // As rmcp: ending a session that is not there (any more) is not an error.
        self.sessions.remove(sid);
        Ok(checks::accepted())
    }
}

fn modern() -> ProtocolVersion {
    ProtocolVersion::V_2026_07_28
}

/// The reply to a legacy call cancelled before it answered: an event stream that ends without
/// a message (the client sent `notifications/cancelled` and expects no response).
fn cancelled_reply() -> Response {
    let mut r = checks::plain(StatusCode::OK, Bytes::new());
    checks::sse_headers(&mut r);
    r
}

/// How a call's outcome becomes its response message.
struct Finish {
    id: RequestId,
    is_2026: bool,
    /// `"_meta":{serverInfo}` to put in 2026-07-28 results.
    server_info: Option<Bytes>,
    /// Stateless requests: whether `_meta` was malformed (for the status of errors).
    malformed: Option<bool>,
}

impl Finish {
    /// The response message and its HTTP status.
    fn message(&self, out: Result<ToolOutput, CallError>) -> (StatusCode, Vec<u8>) {
        match out {
            Ok(o) => {
                let mut r = crate::convert::output(o);
                let mut body = Vec::with_capacity(256);
                body.extend_from_slice(b"{\"jsonrpc\":\"2.0\",\"id\":");
                let _ = serde_json::to_writer(&mut body, &self.id);
                body.extend_from_slice(b",\"result\":");
                if self.is_2026 {
                    let _ = serde_json::to_writer(&mut body, &r);
                    if let Some(meta) = &self.server_info
                        && body.last() == Some(&b'}')
                    {
                        body.pop();
                        body.push(b',');
                        body.extend_from_slice(meta);
                        body.push(b'}');
                    }
                } else {
                    r.meta = None;
                    let mut shaped = ServerResult::CallToolResult(r);
                    shaped.strip_result_type_for_legacy_peer();
                    shaped.strip_non_object_output_for_legacy_peer();
                    let _ = serde_json::to_writer(&mut body, &shaped);
                }
                body.push(b'}');
                (StatusCode::OK, body)
            }
            Err(e) => {
                let error = call_error(&e);
                let status = match self.malformed {
                    Some(m) => checks::status_of_error(error.code.0, m),
                    None => StatusCode::OK,
                };
                let body =
                    serde_json::to_vec(&ServerJsonRpcMessage::error(error, Some(self.id.clone()))).unwrap_or_default();
                (status, body)
            }
        }
    }

    /// The response as the last SSE event (nothing when the call was cancelled).
    fn event(&self, out: Option<Result<ToolOutput, CallError>>) -> Option<Bytes> {
        let (_, body) = self.message(out?);
        let mut event = Vec::with_capacity(body.len() + 8);
        event.extend_from_slice(b"data: ");
        event.extend_from_slice(&body);
        event.extend_from_slice(b"\n\n");
        Some(event.into())
    }
}

// ---- parsing -----------------------------------------------------------------------------------

/// A JSON-RPC message, looked at only as far as routing needs, with the parameters of the
/// hot methods read in the same pass.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default)]
    jsonrpc: Option<Cow<'a, str>>,
    #[serde(default)]
    id: Option<RequestId>,
    #[serde(borrow, default)]
    method: Option<Cow<'a, str>>,
    #[serde(default)]
    params: Option<HotParams>,
    #[serde(default)]
    result: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    error: Option<serde::de::IgnoredAny>,
}

/// The parameters of `tools/call` (`name`, `arguments`) and `tools/list` (`cursor`).
#[derive(Deserialize, Default)]
struct HotParams {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    arguments: Option<Map<String, Value>>,
    #[serde(default)]
    cursor: Option<String>,
    #[serde(rename = "_meta", default)]
    meta: Option<Map<String, Value>>,
}

enum Incoming {
    Call { id: RequestId, name: String, params: HotParams },
    List { id: RequestId, params: HotParams },
    Other(Box<ClientJsonRpcMessage>),
}

/// Parses a POST body once: `tools/call` and `tools/list` straight into their parameters,
/// anything else (or anything unusual) as rmcp's message type.
fn parse(bytes: &[u8]) -> Result<Incoming, serde_json::Error> {
    if let Ok(env) = serde_json::from_slice::<Envelope<'_>>(bytes)
        && env.jsonrpc.as_deref() == Some("2.0")
        && env.result.is_none()
        && env.error.is_none()
        && let Some(id) = env.id
    {
        match (env.method.as_deref(), env.params) {
            (Some("tools/call"), Some(mut params)) if params.name.is_some() => {
                let name = params.name.take().unwrap_or_default();
                return Ok(Incoming::Call { id, name, params });
            }
            (Some("tools/list"), params) => return Ok(Incoming::List { id, params: params.unwrap_or_default() }),
            _ => {}
        }
    }
    serde_json::from_slice::<ClientJsonRpcMessage>(bytes).map(|m| Incoming::Other(Box::new(m)))
}

/// Reads the body, refusing more than `max` bytes (413) as rmcp does.
async fn read_body(mut body: Body, max: usize) -> Result<Bytes, Reject> {
    use http_body::Body as _;
    let mut first: Option<Bytes> = None;
    let mut rest: Vec<u8> = Vec::new();
    loop {
        let frame = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await;
        match frame {
            None => break,
            Some(Ok(frame)) => {
                let Ok(data) = frame.into_data() else { continue };
                let have = first.as_ref().map_or(0, Bytes::len) + rest.len();
                if data.len() > max.saturating_sub(have) {
                    return Err(Box::new(checks::plain(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        format!("Payload Too Large: request body exceeds {max} bytes"),
                    )));
                }
                match &first {
                    None if rest.is_empty() => first = Some(data),
                    _ => {
                        if let Some(f) = first.take() {
                            rest.extend_from_slice(&f);
                        }
                        rest.extend_from_slice(&data);
                    }
                }
            }
            Some(Err(e)) => {
                return Err(Box::new(checks::plain(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("Failed to read request body: {e}"),
                )));
            }
        }
    }
    Ok(match first {
        Some(f) => f,
        None => rest.into(),
    })
}

/// A body of a few buffers of known total length (one `writev` with the headers).
struct Chunks {
    chunks: [Option<Bytes>; 3],
    next: usize,
    remaining: u64,
}

impl Chunks {
    fn new(chunks: [Bytes; 3]) -> Chunks {
        let remaining = chunks.iter().map(|c| c.len() as u64).sum();
        Chunks { chunks: chunks.map(Some), next: 0, remaining }
    }
}

impl http_body::Body for Chunks {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        while self.next < self.chunks.len() {
            let i = self.next;
            self.next += 1;
            if let Some(c) = self.chunks[i].take().filter(|c| !c.is_empty()) {
                self.remaining -= c.len() as u64;
                return Poll::Ready(Some(Ok(http_body::Frame::data(c))));
            }
        }
        Poll::Ready(None)
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> http_body::SizeHint {
        http_body::SizeHint::with_exact(self.remaining)
    }
}

/// A request's session (legacy) or, for a stateless request, whether its `_meta` was
/// malformed.
fn split(route: Route) -> Result<(Option<SessionRef>, Option<bool>), Reject> {
    match route {
        Route::Session(s) => Ok((Some(s), None)),
        Route::Stateless { malformed } => Ok((None, Some(malformed))),
        Route::NewSession | Route::Accepted => Err(checks::session_id_required()),
    }
}
