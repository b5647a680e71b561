//! The HTTP-level checks of the Streamable HTTP transport, as rmcp 3.11 makes them (same order,
//! same status codes, same messages), so both engines answer a bad request alike.

use std::borrow::Cow;

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use rmcp::model::{ErrorData, JsonRpcError, ProtocolVersion, RequestId, RequestMetaObject};
use serde::Deserialize;
use serde_json::Value;

// Header names as values, so lookups do not parse the name each time.
pub(crate) const HEADER_SESSION_ID: HeaderName = HeaderName::from_static("mcp-session-id");
pub(crate) const HEADER_PROTOCOL_VERSION: HeaderName = HeaderName::from_static("mcp-protocol-version");
pub(crate) const HEADER_LAST_EVENT_ID: HeaderName = HeaderName::from_static("last-event-id");
const HEADER_MCP_METHOD: HeaderName = HeaderName::from_static("mcp-method");
const HEADER_MCP_NAME: HeaderName = HeaderName::from_static("mcp-name");
const HEADER_MCP_PARAM_PREFIX: &str = "Mcp-Param-";
const JSON: &str = "application/json";
const EVENT_STREAM: &str = "text/event-stream";

/// A reply that ends the request early.
pub(crate) type Reject = Box<Response>;

// ---- responses ---------------------------------------------------------------------------------

pub(crate) fn plain(status: StatusCode, body: impl Into<Bytes>) -> Response {
    let mut r = Response::new(Body::from(body.into()));
    *r.status_mut() = status;
    r
}

pub(crate) fn json(status: StatusCode, body: impl Into<Bytes>) -> Response {
    let mut r = plain(status, body);
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON));
    r
}

pub(crate) fn sse_headers(r: &mut Response) {
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(EVENT_STREAM));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
}

pub(crate) fn accepted() -> Response {
    plain(StatusCode::ACCEPTED, Bytes::new())
}

pub(crate) fn method_not_allowed(allow: &'static str) -> Response {
    let mut r = plain(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed");
    r.headers_mut().insert(header::ALLOW, HeaderValue::from_static(allow));
    r
}

pub(crate) fn session_id_required() -> Reject {
    Box::new(plain(StatusCode::BAD_REQUEST, "Bad Request: Session ID is required"))
}

pub(crate) fn session_not_found() -> Response {
    plain(StatusCode::NOT_FOUND, "Not Found: Session not found")
}

/// A JSON-RPC error as the whole reply.
pub(crate) fn jsonrpc_error(status: StatusCode, id: Option<RequestId>, error: ErrorData) -> Response {
    let body = serde_json::to_vec(&JsonRpcError::new(id, error)).unwrap_or_default();
    json(status, body)
}

fn bad_request_text(message: &'static str) -> Reject {
    let mut r = plain(StatusCode::BAD_REQUEST, message);
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    Box::new(r)
}

fn forbidden(message: &'static str) -> Reject {
    Box::new(plain(StatusCode::FORBIDDEN, message))
}

fn header_mismatch(id: Option<RequestId>, message: impl Into<Cow<'static, str>>) -> Reject {
    Box::new(jsonrpc_error(StatusCode::BAD_REQUEST, id, ErrorData::header_mismatch(message, None)))
}

fn invalid_request(id: Option<RequestId>, message: impl Into<Cow<'static, str>>) -> Reject {
    Box::new(jsonrpc_error(StatusCode::BAD_REQUEST, id, ErrorData::invalid_request(message, None)))
}

fn invalid_params(id: Option<RequestId>, message: impl Into<Cow<'static, str>>) -> Reject {
    Box::new(jsonrpc_error(StatusCode::BAD_REQUEST, id, ErrorData::invalid_params(message, None)))
}

/// The HTTP status of a 2026-07-28 (stateless) reply whose first message is this error code:
/// a malformed request is a 400, an unknown method a 404, anything else travels in a 200.
pub(crate) fn status_of_error(code: i32, request_meta_malformed: bool) -> StatusCode {
    use rmcp::model::ErrorCode as C;
    match rmcp::model::ErrorCode(code) {
        C::UNSUPPORTED_PROTOCOL_VERSION | C::MISSING_REQUIRED_CLIENT_CAPABILITY | C::HEADER_MISMATCH => {
            StatusCode::BAD_REQUEST
        }
        C::INVALID_PARAMS if request_meta_malformed => StatusCode::BAD_REQUEST,
        C::METHOD_NOT_FOUND => StatusCode::NOT_FOUND,
        _ => StatusCode::OK,
    }
}

// ---- Host and Origin (DNS rebinding) -----------------------------------------------------------

/// Where requests may come from.
#[derive(Debug, Clone)]
pub(crate) struct Guard {
    /// Allowed `Host` authorities (empty: any).
    hosts: Vec<(String, Option<u16>)>,
    /// Allowed origins; any `Origin` header present must match one (an empty list refuses all).
    origins: Vec<AllowedOrigin>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum AllowedOrigin {
    Null,
    Tuple { scheme: String, host: String, port: AllowedPort },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AllowedPort {
    Any,
    Unspecified,
    Exact(u16),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Origin {
    Null,
    Tuple { scheme: String, host: String, port: Option<u16> },
}

fn normalize_host(host: &str) -> String {
    host.trim_matches('[').trim_matches(']').to_ascii_lowercase()
}

/// `host[:port]` or `[v6][:port]` without allocating, for the common well-formed `Host`;
/// `None` sends the value through the full authority parser.
fn split_host(v: &str) -> Option<(&str, Option<u16>)> {
    let plain = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']');
    if v.is_empty() || !v.bytes().all(plain) {
        return None;
    }
    let port = |p: &str| -> Option<Option<u16>> {
        if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        p.parse().ok().map(Some)
    };
    if let Some(rest) = v.strip_prefix('[') {
        let end = rest.find(']')?;
        let (host, after) = (&rest[..end], &rest[end + 1..]);
        return match after {
            "" => Some((host, None)),
            p => Some((host, port(p.strip_prefix(':')?)?)),
        };
    }
    match v.rsplit_once(':') {
        None if !v.contains(['[', ']']) => Some((v, None)),
        Some((h, p)) if !h.is_empty() && !h.contains([':', '[', ']']) => Some((h, port(p)?)),
        _ => None,
    }
}

fn parse_origin(value: &str) -> Option<Origin> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    if value.eq_ignore_ascii_case("null") {
        return Some(Origin::Null);
    }
    let uri = http::Uri::try_from(value).ok()?;
    let scheme = uri.scheme_str()?.to_ascii_lowercase();
    let authority = uri.authority()?;
    Some(Origin::Tuple { scheme, host: normalize_host(authority.host()), port: authority.port_u16() })
}

fn parse_allowed_origin(value: &str) -> Option<AllowedOrigin> {
    let value = value.trim();
    if let Some(base) = value.strip_suffix(":*") {
        let Origin::Tuple { scheme, host, port: None } = parse_origin(base)? else { return None };
        return Some(AllowedOrigin::Tuple { scheme, host, port: AllowedPort::Any });
    }
    Some(match parse_origin(value)? {
        Origin::Null => AllowedOrigin::Null,
        Origin::Tuple { scheme, host, port } => {
            AllowedOrigin::Tuple { scheme, host, port: port.map_or(AllowedPort::Unspecified, AllowedPort::Exact) }
        }
    })
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

impl Guard {
    pub(crate) fn new(hosts: Option<&[String]>, origins: &[String]) -> Guard {
        let hosts = hosts
            .unwrap_or_default()
            .iter()
            .filter_map(|a| {
                let a = a.trim();
                if a.is_empty() {
                    return None;
                }
                Some(match http::uri::Authority::try_from(a) {
                    Ok(auth) => (normalize_host(auth.host()), auth.port_u16()),
                    Err(_) => (normalize_host(a), None),
                })
            })
            .collect();
        let origins = origins.iter().filter_map(|o| parse_allowed_origin(o)).collect();
        Guard { hosts, origins }
    }

    /// `Host` (or `:authority`) must be allowed (else 403; unreadable: 400), and so must
    /// `Origin` when present (403).
    pub(crate) fn check(&self, uri: &http::Uri, headers: &HeaderMap) -> Result<(), Reject> {
        let parsed;
        let (host, port) = match headers.get(header::HOST) {
            Some(h) => {
                let s = h.to_str().map_err(|_| bad_request_text("Bad Request: Invalid Host header encoding"))?;
                match split_host(s) {
                    Some(hp) => hp,
                    None => {
                        parsed = http::uri::Authority::try_from(s)
                            .map_err(|_| bad_request_text("Bad Request: Invalid Host header"))?;
                        (parsed.host().trim_matches('[').trim_matches(']'), parsed.port_u16())
                    }
                }
            }
            None => {
                let a = uri.authority().ok_or_else(|| bad_request_text("Bad Request: missing Host header"))?;
                (a.host().trim_matches('[').trim_matches(']'), a.port_u16())
            }
        };
        let host_ok = self.hosts.is_empty()
            || self.hosts.iter().any(|(h, p)| h.eq_ignore_ascii_case(host) && p.is_none_or(|p| port == Some(p)));
        if !host_ok {
            tracing::warn!(host, "rejected request with disallowed Host header (possible DNS rebinding attempt)");
            return Err(forbidden("Forbidden: Host header is not allowed"));
        }
        let Some(origin) = headers.get(header::ORIGIN) else { return Ok(()) };
        let origin = origin.to_str().map_err(|_| forbidden("Forbidden: Invalid Origin header encoding"))?;
        let origin = parse_origin(origin).ok_or_else(|| forbidden("Forbidden: Invalid Origin header"))?;
        let ok = self.origins.iter().any(|allowed| match (allowed, &origin) {
            (AllowedOrigin::Null, Origin::Null) => true,
            (AllowedOrigin::Tuple { scheme: a_s, host: a_h, port: a_p }, Origin::Tuple { scheme, host, port }) => {
                a_s == scheme
                    && a_h == host
                    && match a_p {
                        AllowedPort::Any | AllowedPort::Unspecified => true,
                        AllowedPort::Exact(a) => port.or_else(|| default_port(scheme)) == Some(*a),
                    }
            }
            _ => false,
        });
        if !ok {
            tracing::warn!(?origin, "rejected request with disallowed Origin header (possible cross-origin attack)");
            return Err(forbidden("Forbidden: Origin header is not allowed"));
        }
        Ok(())
    }
}

// ---- Accept and Content-Type -------------------------------------------------------------------

fn split_unquoted(value: &str, delimiter: char) -> impl Iterator<Item = &str> {
    let mut quoted = false;
    let mut escaped = false;
    value.split(move |c| {
        if escaped {
            escaped = false;
        } else if quoted && c == '\\' {
            escaped = true;
        } else if c == '"' {
            quoted = !quoted;
        } else if !quoted && c == delimiter {
            return true;
        }
        false
    })
}

fn quality_is_acceptable(q: &str) -> bool {
    let (whole, fraction) = q.split_once('.').unwrap_or((q, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|d| d.is_ascii_digit()) {
        return true;
    }
    whole != "0" || fraction.bytes().any(|d| d != b'0')
}

/// The media types the request accepts (entries weighted `q=0` excluded).
fn accepted_media_types(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| split_unquoted(v, ','))
        .filter_map(|entry| {
            let mut parts = split_unquoted(entry, ';');
            let essence = parts.next()?.trim();
            parts
                .all(|p| {
                    let Some((name, value)) = p.split_once('=') else { return true };
                    !name.trim().eq_ignore_ascii_case("q") || quality_is_acceptable(value.trim())
                })
                .then_some(essence)
        })
}

/// A POST must accept both JSON and SSE (406) and send JSON (415).
pub(crate) fn check_post_media(headers: &HeaderMap) -> Result<(), Reject> {
    let (mut json, mut sse) = (false, false);
    for e in accepted_media_types(headers) {
        json |= e.eq_ignore_ascii_case(JSON);
        sse |= e.eq_ignore_ascii_case(EVENT_STREAM);
    }
    if !json || !sse {
        return Err(Box::new(plain(
            StatusCode::NOT_ACCEPTABLE,
            "Not Acceptable: Client must accept both application/json and text/event-stream",
        )));
    }
    let is_json = headers.get(header::CONTENT_TYPE).and_then(|h| h.to_str().ok()).is_some_and(|h| {
        let essence = h.split_once(';').map_or(h, |(e, _)| e);
        essence.trim().eq_ignore_ascii_case(JSON)
    });
    if !is_json {
        return Err(Box::new(plain(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported Media Type: Content-Type must be application/json",
        )));
    }
    Ok(())
}

/// A GET must accept SSE (406).
pub(crate) fn check_get_media(headers: &HeaderMap) -> Result<(), Reject> {
    if accepted_media_types(headers).any(|e| e.eq_ignore_ascii_case(EVENT_STREAM)) {
        Ok(())
    } else {
        Err(Box::new(plain(StatusCode::NOT_ACCEPTABLE, "Not Acceptable: Client must accept text/event-stream")))
    }
}

// ---- protocol version --------------------------------------------------------------------------

/// The `MCP-Protocol-Version` header, if present and readable.
pub(crate) fn header_version(headers: &HeaderMap) -> Option<&str> {
    headers.get(HEADER_PROTOCOL_VERSION).and_then(|v| v.to_str().ok())
}

/// A present `MCP-Protocol-Version` header must be readable and (unless the request names its
/// own version in `_meta`) a known version: 400 otherwise.
pub(crate) fn validate_protocol_version_header(headers: &HeaderMap, allow_unknown: bool) -> Result<(), Reject> {
    let Some(value) = headers.get(HEADER_PROTOCOL_VERSION) else { return Ok(()) };
    let v = value.to_str().map_err(|_| {
        Box::new(plain(StatusCode::BAD_REQUEST, "Bad Request: Invalid MCP-Protocol-Version header encoding"))
    })?;
    if !allow_unknown && !ProtocolVersion::KNOWN_VERSIONS.iter().any(|k| k.as_str() == v) {
        return Err(Box::new(plain(
            StatusCode::BAD_REQUEST,
            format!("Bad Request: Unsupported MCP-Protocol-Version: {v}"),
        )));
    }
    Ok(())
}

/// On `initialize`, a present `MCP-Protocol-Version` header must equal the body's version.
pub(crate) fn validate_header_matches_init_body(
    headers: &HeaderMap,
    body_version: &str,
    id: &RequestId,
) -> Result<(), Reject> {
    let Some(h) = headers.get(HEADER_PROTOCOL_VERSION) else { return Ok(()) };
    let h = h.to_str().map_err(|_| {
        invalid_request(Some(id.clone()), "Invalid Request: MCP-Protocol-Version header is not valid UTF-8")
    })?;
    if h != body_version {
        return Err(invalid_request(
            Some(id.clone()),
            format!(
                "Invalid Request: MCP-Protocol-Version header ({h}) does not match initialize params.protocolVersion ({body_version})"
            ),
        ));
    }
    Ok(())
}

/// What a request's `_meta` says about its protocol version, read once.
pub(crate) struct MetaFacts {
    /// `io.modelcontextprotocol/protocolVersion`, when present and a string.
    pub version: Option<ProtocolVersion>,
    /// Whether `io.modelcontextprotocol/clientCapabilities` is present and well-formed.
    pub capabilities: bool,
}

impl MetaFacts {
    pub(crate) fn of(meta: &RequestMetaObject) -> MetaFacts {
        let capabilities = meta
            .get(crate::handler::CLIENT_CAPABILITIES_KEY)
            .is_some_and(|v| rmcp::model::ClientCapabilities::deserialize(v).is_ok());
        MetaFacts { version: meta.protocol_version(), capabilities }
    }

    /// The fields 2026-07-28 requires that are missing or malformed (rmcp's
    /// `missing_required_keys`).
    pub(crate) fn missing(&self) -> Vec<&'static str> {
        let mut missing = Vec::new();
        if self.version.is_none() {
            missing.push("io.modelcontextprotocol/protocolVersion");
        }
        if !self.capabilities {
            missing.push(crate::handler::CLIENT_CAPABILITIES_KEY);
        }
        missing
    }

    /// Whether the request carries everything 2026-07-28 requires.
    pub(crate) fn complete(&self) -> bool {
        self.version.is_some() && self.capabilities
    }
}

/// What a request is, for the checks below.
#[derive(Clone, Copy)]
pub(crate) struct RequestInfo<'a> {
    pub id: &'a RequestId,
    pub initialize: bool,
    pub discover: bool,
    pub meta: &'a MetaFacts,
}

/// A request naming its version in `_meta` must send the same `MCP-Protocol-Version` header
/// (-32020); a request without it must carry full `_meta` when it is `server/discover` or the
/// header names 2026-07-28 or later (-32602).
pub(crate) fn validate_request_protocol_version_meta(
    headers: &HeaderMap,
    request: Option<RequestInfo<'_>>,
) -> Result<(), Reject> {
    let Some(r) = request else { return Ok(()) };
    if r.initialize {
        return Ok(());
    }
    let header_version = header_version(headers);
    let Some(meta_version) = &r.meta.version else {
        let required = r.discover || header_version.is_some_and(|v| v >= ProtocolVersion::V_2026_07_28.as_str());
        if required {
            let missing = r.meta.missing();
            return Err(invalid_params(
                Some(r.id.clone()),
                format!(
                    "Invalid params: request _meta is missing or has malformed required fields: {}",
                    missing.join(", ")
                ),
            ));
        }
        return Ok(());
    };
    let Some(header_version) = header_version else {
        return Err(header_mismatch(
            Some(r.id.clone()),
            "request _meta protocolVersion requires MCP-Protocol-Version header",
        ));
    };
    if header_version != meta_version.as_str() {
        return Err(header_mismatch(
            Some(r.id.clone()),
            format!(
                "MCP-Protocol-Version header ({header_version}) does not match request _meta protocolVersion ({meta_version})"
            ),
        ));
    }
    Ok(())
}

/// Whether a message takes the legacy (session) road, after the version checks rmcp makes
/// first. `initialize` always does; a request with full 2026-07-28 `_meta` never does; else
/// the version (from `_meta`, the header, or 2025-03-26) decides.
pub(crate) fn is_legacy_request(
    headers: &HeaderMap,
    request: Option<RequestInfo<'_>>,
    init_version: Option<&str>,
) -> Result<bool, Reject> {
    let per_request_version = request.is_some_and(|r| r.meta.version.is_some());
    validate_protocol_version_header(headers, per_request_version)?;
    if let (Some(r), Some(v)) = (request, init_version) {
        validate_header_matches_init_body(headers, v, r.id)?;
    }
    validate_request_protocol_version_meta(headers, request)?;
    if request.is_some_and(|r| r.initialize) {
        return Ok(true);
    }
    let discover_lifecycle = request.is_some_and(|r| r.meta.complete());
    let legacy = match request.and_then(|r| r.meta.version.as_ref()) {
        Some(v) => v.has_initialize(),
        None => header_version(headers).is_none_or(|v| version_from_str(v).has_initialize()),
    };
    Ok(!discover_lifecycle && legacy)
}

/// A version as named in a header (any string is a version; known ones are recognized).
pub(crate) fn version_from_str(s: &str) -> ProtocolVersion {
    serde_json::from_value(Value::String(s.to_owned())).unwrap_or(ProtocolVersion::V_2025_03_26)
}

// ---- SEP-2243 standard headers -----------------------------------------------------------------

/// What a message says, for the `Mcp-Method` / `Mcp-Name` / `Mcp-Param-*` checks.
pub(crate) struct StandardView<'a> {
    /// A response or error from the client: not checked.
    pub response: bool,
    /// `Some(id)` for a request, `None` for a notification.
    pub id: Option<&'a RequestId>,
    pub initialize: bool,
    pub method: &'a str,
    /// `params.name` (tools/call, prompts/get), `params.uri` (resources/read, subscribe,
    /// unsubscribe) or `params.taskId` (tasks/get, update, cancel).
    pub name: Option<&'a str>,
    /// `params.arguments` of a tools/call.
    pub arguments: Option<&'a serde_json::Map<String, Value>>,
}

/// The params key that carries `Mcp-Name` for a method.
pub(crate) fn name_key(method: &str) -> Option<&'static str> {
    match method {
        "tools/call" | "prompts/get" => Some("name"),
        "resources/read" | "resources/subscribe" | "resources/unsubscribe" => Some("uri"),
        "tasks/get" | "tasks/update" | "tasks/cancel" => Some("taskId"),
        _ => None,
    }
}

/// The single value of a header (`display` is its name in messages).
fn header_str<'a>(
    headers: &'a HeaderMap,
    name: impl http::header::AsHeaderName,
    display: &str,
) -> Result<Option<&'a str>, String> {
    let mut values = headers.get_all(name).iter();
    let Some(v) = values.next() else { return Ok(None) };
    if values.next().is_some() {
        return Err(format!("duplicate {display} header"));
    }
    v.to_str().map(Some).map_err(|_| format!("{display} header contains invalid characters"))
}

fn decode_header_value(value: &str) -> Option<String> {
    use base64::Engine;
    match value.strip_prefix("=?base64?").and_then(|i| i.strip_suffix("?=")) {
        Some(inner) => {
            let bytes = base64::prelude::BASE64_STANDARD.decode(inner).ok()?;
            String::from_utf8(bytes).ok()
        }
        None => Some(value.to_owned()),
    }
}

fn primitive_to_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// From 2026-07-28 on (by the `MCP-Protocol-Version` header), requests and notifications must
/// repeat their method (and name) in headers, and `x-mcp-header` arguments of a tool in
/// `Mcp-Param-*` headers: 400 with -32020 otherwise. `initialize` may omit them, but a
/// supplied `Mcp-Method` must still say `initialize`.
pub(crate) fn validate_standard_headers(
    headers: &HeaderMap,
    view: &StandardView<'_>,
    param_headers: impl FnOnce(&str) -> Option<crate::backend::ParamHeaders>,
) -> Result<(), Reject> {
    let required = header_version(headers).is_some_and(|v| v >= ProtocolVersion::STANDARD_HEADERS.as_str());
    if !required || view.response {
        return Ok(());
    }
    let id = view.id.cloned();
    if view.initialize {
        let mut values = headers.get_all(HEADER_MCP_METHOD).iter();
        let Some(first) = values.next() else { return Ok(()) };
        if values.next().is_some() {
            return Err(header_mismatch(
                id,
                "multiple Mcp-Method header values supplied; initialize requires exactly one",
            ));
        }
        if first != HeaderValue::from_static("initialize") {
            return Err(header_mismatch(
                id,
                format!(
                    "Mcp-Method header `{}` does not match body method `initialize`",
                    String::from_utf8_lossy(first.as_bytes())
                ),
            ));
        }
        return Ok(());
    }
    let method = view.method;
    let reason = (|| -> Result<(), String> {
        match header_str(headers, HEADER_MCP_METHOD, "Mcp-Method")? {
            None => return Err("missing required Mcp-Method header".to_owned()),
            Some(v) if v != method => {
                return Err(format!("Mcp-Method header `{v}` does not match body method `{method}`"));
            }
            Some(_) => {}
        }
        if let Some(expected) = view.name.filter(|_| name_key(method).is_some()) {
            match header_str(headers, HEADER_MCP_NAME, "Mcp-Name")? {
                None => return Err(format!("missing required Mcp-Name header for `{method}`")),
                Some(raw) => {
                    let decoded =
                        decode_header_value(raw).ok_or_else(|| "Mcp-Name header is not valid Base64".to_owned())?;
                    if decoded != expected {
                        return Err(format!("Mcp-Name header `{decoded}` does not match body value `{expected}`"));
                    }
                }
            }
        }
        if method == "tools/call"
            && let Some(annotations) = view.name.and_then(param_headers)
        {
            for (path, header) in &annotations {
                let prop = path.join(".");
                let full = format!("{HEADER_MCP_PARAM_PREFIX}{header}");
                let header_value = header_str(headers, full.as_str(), &full)?;
                let arg = view.arguments.and_then(|a| {
                    let mut it = path.iter();
                    let first = a.get(it.next()?)?;
                    it.try_fold(first, |v, k| v.get(k))
                });
                let body_value = arg.filter(|v| !v.is_null()).and_then(primitive_to_string);
                match (header_value, body_value) {
                    (None, None) => {}
                    (Some(_), None) => return Err(format!("unexpected {full} header for absent or null `{prop}`")),
                    (None, Some(_)) => return Err(format!("missing {full} header for `{prop}`")),
                    (Some(raw), Some(expected)) => {
                        let decoded =
                            decode_header_value(raw).ok_or_else(|| format!("{full} header is not valid Base64"))?;
                        if decoded != expected {
                            return Err(format!("{full} header `{decoded}` does not match body value `{expected}`"));
                        }
                    }
                }
            }
        }
        Ok(())
    })();
    reason.map_err(|r| header_mismatch(id, r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_split_without_the_authority_parser_when_plain() {
        assert_eq!(split_host("127.0.0.1:8080"), Some(("127.0.0.1", Some(8080))));
        assert_eq!(split_host("localhost"), Some(("localhost", None)));
        assert_eq!(split_host("[::1]:3000"), Some(("::1", Some(3000))));
        assert_eq!(split_host("[::1]"), Some(("::1", None)));
        for odd in ["", "a:b:c", "host:", "host:99999999", "[::1", "::1", "a b", "h:1x", "[::1]x"] {
            assert_eq!(split_host(odd), None, "{odd}");
        }
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap_or(HeaderValue::from_static("")));
        }
        h
    }

    #[test]
    fn the_guard_checks_host_then_origin() {
        let g = Guard::new(Some(&["localhost".into(), "example.com:8443".into()]), &["http://localhost:*".into()]);
        let uri = http::Uri::from_static("/mcp");
        let status = |h: &[(&'static str, &str)]| g.check(&uri, &headers(h)).err().map(|r| r.status().as_u16());
        assert_eq!(status(&[("host", "LOCALHOST:1234")]), None);
        assert_eq!(status(&[("host", "example.com:8443")]), None);
        assert_eq!(status(&[("host", "example.com:80")]), Some(403));
        assert_eq!(status(&[("host", "evil.example")]), Some(403));
        assert_eq!(status(&[("host", "a:b:c")]), Some(400));
        assert_eq!(status(&[]), Some(400));
        assert_eq!(status(&[("host", "localhost"), ("origin", "http://localhost:5173")]), None);
        assert_eq!(status(&[("host", "localhost"), ("origin", "https://localhost:5173")]), Some(403));
        assert_eq!(status(&[("host", "localhost"), ("origin", "garbage")]), Some(403));
    }
}
