//! The HTTP side of authentication: a middleware in front of the MCP endpoint, and the
//! RFC 9728 protected resource metadata.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use serde_json::json;

use super::{AuthConfig, AuthError, Principal};

/// What one tool needs from a caller.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ToolAccess {
    /// Whether an authenticated caller is required.
    pub requires_auth: bool,
    /// Scopes the caller must hold.
    pub scopes: Vec<String>,
}

/// Whether tool lists are filtered per caller (put next to the [`Principal`] in the request).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FilterTools(pub bool);

type AccessFn = Arc<dyn Fn(&str) -> Option<ToolAccess> + Send + Sync>;

/// The middleware's state: the configuration, and how to find what a tool needs.
#[derive(Clone)]
pub struct AuthLayerState {
    config: Arc<AuthConfig>,
    access: AccessFn,
    mcp_path: String,
    max_body: usize,
}

impl std::fmt::Debug for AuthLayerState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthLayerState").field("mcp_path", &self.mcp_path).finish()
    }
}

impl AuthLayerState {
    /// State for an endpoint at `mcp_path`; `access` says what a tool (by name) needs.
    pub fn new(
        config: AuthConfig,
        mcp_path: &str,
        access: impl Fn(&str) -> Option<ToolAccess> + Send + Sync + 'static,
    ) -> AuthLayerState {
        AuthLayerState {
            config: Arc::new(config),
            access: Arc::new(access),
            mcp_path: mcp_path.to_owned(),
            max_body: 4 * 1024 * 1024,
        }
    }

    fn metadata_url(&self, headers: &HeaderMap) -> String {
        let base = match &self.config.resource {
            Some(r) => origin_of(r).unwrap_or_else(|| r.clone()),
            None => {
                let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
                format!("http://{host}")
            }
        };
        format!("{base}/.well-known/oauth-protected-resource{}", self.mcp_path)
    }

    fn challenge(
        &self,
        status: StatusCode,
        headers: &HeaderMap,
        error: Option<(&str, &str)>,
        scopes: &[String],
    ) -> Response {
        let mut parts = Vec::new();
        if let Some((code, _)) = error {
            parts.push(format!("error=\"{code}\""));
        }
        if let Some((_, desc)) = error {
            parts.push(format!("error_description=\"{}\"", desc.replace('"', "'")));
        }
        if !scopes.is_empty() {
            parts.push(format!("scope=\"{}\"", scopes.join(" ")));
        }
        parts.push(format!("resource_metadata=\"{}\"", self.metadata_url(headers)));
        let value = format!("Bearer {}", parts.join(", "));
        let body = match error {
            Some((code, desc)) => json!({"error": code, "error_description": desc}),
            None => {
                json!({"error": "unauthorized", "error_description": "this MCP server needs an access token (Authorization: Bearer …)"})
            }
        };
        let mut resp = (status, axum::Json(body)).into_response();
        if let Ok(v) = HeaderValue::from_str(&value) {
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
        resp
    }

    fn needed(&self, extra: &[String]) -> Vec<String> {
        let mut s: Vec<String> = self.config.required_scopes.clone();
        for x in extra {
            if !s.contains(x) {
                s.push(x.clone());
            }
        }
        s
    }
}

fn origin_of(url: &str) -> Option<String> {
    let uri: http::Uri = url.parse().ok()?;
    Some(format!("{}://{}", uri.scheme_str()?, uri.authority()?))
}

fn bearer(headers: &HeaderMap) -> Result<Option<&str>, ()> {
    let Some(v) = headers.get(header::AUTHORIZATION) else { return Ok(None) };
    let v = v.to_str().map_err(|_| ())?;
    let (scheme, token) = v.split_once(' ').ok_or(())?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(());
    }
    Ok(Some(token.trim()))
}

#[derive(serde::Deserialize)]
struct Peek {
    method: Option<String>,
    params: Option<PeekParams>,
}

#[derive(serde::Deserialize)]
struct PeekParams {
    name: Option<String>,
}

/// The middleware: authenticates the caller, enforces required and per-tool scopes, and
/// passes the [`Principal`] on in the request's extensions.
pub async fn require_auth(State(st): State<AuthLayerState>, req: Request, next: Next) -> Response {
    let headers = req.headers().clone();
    if req.uri().query().is_some_and(|q| q.split('&').any(|p| p.starts_with("access_token="))) {
        return st.challenge(
            StatusCode::UNAUTHORIZED,
            &headers,
            Some(("invalid_request", "tokens in the query string are refused; send Authorization: Bearer")),
            &st.config.required_scopes,
        );
    }
    let principal = match bearer(&headers) {
        Err(()) => {
            return st.challenge(
                StatusCode::UNAUTHORIZED,
                &headers,
                Some(("invalid_request", "the Authorization header must be `Bearer <token>`")),
                &st.config.required_scopes,
            );
        }
        Ok(None) if st.config.allow_anonymous => Principal::anonymous(),
        Ok(None) => return st.challenge(StatusCode::UNAUTHORIZED, &headers, None, &st.config.required_scopes),
        Ok(Some(token)) => {
            let mut last = AuthError::InvalidToken("no verifier is configured".into());
            let mut found = None;
            for v in &st.config.verifiers {
                match v.verify(token).await {
                    Ok(p) => {
                        found = Some(p);
                        break;
                    }
                    Err(e) => last = e,
                }
            }
            match (found, last) {
                (Some(p), _) => p,
                (None, AuthError::Unavailable(why)) => {
                    tracing::warn!("token check unavailable: {why}");
                    return (StatusCode::SERVICE_UNAVAILABLE, axum::Json(json!({"error": "temporarily_unavailable", "error_description": "the token could not be checked; try again"}))).into_response();
                }
                (None, AuthError::InvalidToken(why)) => {
                    return st.challenge(
                        StatusCode::UNAUTHORIZED,
                        &headers,
                        Some(("invalid_token", &why)),
                        &st.config.required_scopes,
                    );
                }
            }
        }
    };
    if principal.is_authenticated() && !principal.has_scopes(&st.config.required_scopes) {
        return st.challenge(
            StatusCode::FORBIDDEN,
            &headers,
            Some(("insufficient_scope", "the token lacks a scope this server requires")),
            &st.needed(&[]),
        );
    }
    // Per-tool checks need the tool's name: from the Mcp-Method/Mcp-Name headers (2026-07-28),
    // else from the JSON-RPC body.
    let (parts, body) = req.into_parts();
    let (tool, body) = match (
        parts.headers.get("mcp-method").and_then(|v| v.to_str().ok()),
        parts.headers.get("mcp-name").and_then(|v| v.to_str().ok()),
    ) {
        (Some("tools/call"), Some(name)) => (Some(name.to_owned()), body),
        (Some(_), _) => (None, body),
        _ if parts.method == http::Method::POST => {
            let bytes = match http_body_util::Limited::new(body, st.max_body).collect().await {
                Ok(b) => b.to_bytes(),
                Err(_) => return (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response(),
            };
            let tool = serde_json::from_slice::<Peek>(&bytes)
                .ok()
                .filter(|p| p.method.as_deref() == Some("tools/call"))
                .and_then(|p| p.params.and_then(|p| p.name));
            (tool, Body::from(bytes))
        }
        _ => (None, body),
    };
    if let Some(access) = tool.as_deref().and_then(|t| (st.access)(t)) {
        if access.requires_auth && !principal.is_authenticated() {
            return st.challenge(StatusCode::UNAUTHORIZED, &parts.headers, None, &st.needed(&access.scopes));
        }
        if !principal.has_scopes(&access.scopes) {
            let desc = format!(
                "the tool `{}` needs the scopes: {}",
                tool.as_deref().unwrap_or_default(),
                access.scopes.join(" ")
            );
            return st.challenge(
                StatusCode::FORBIDDEN,
                &parts.headers,
                Some(("insufficient_scope", &desc)),
                &st.needed(&access.scopes),
            );
        }
    }
    let mut req = Request::from_parts(parts, body);
    // A WebSocket upgraded with these credentials ends when they expire (other requests end
    // long before: no need to look).
    let upgrade = req.headers().get(header::UPGRADE).is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"websocket"));
    if let Some(exp) =
        principal.claims.as_ref().filter(|_| upgrade).and_then(|c| c.get("exp")).and_then(serde_json::Value::as_u64)
    {
        let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(exp);
        req.extensions_mut().insert(toolgate_mcp::CredentialExpiry(at));
    }
    req.extensions_mut().insert(Arc::new(principal));
    req.extensions_mut().insert(FilterTools(st.config.filter_tools));
    next.run(req).await
}

/// The RFC 9728 protected resource metadata, at `/.well-known/oauth-protected-resource` and at
/// that path followed by the MCP endpoint's path.
pub fn metadata_router(config: &AuthConfig, mcp_path: &str) -> axum::Router {
    let config = Arc::new(config.clone());
    let path = mcp_path.to_owned();
    let handler = move |headers: HeaderMap| {
        let config = config.clone();
        let path = path.clone();
        async move {
            let resource = config.resource.clone().unwrap_or_else(|| {
                let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
                format!("http://{host}{path}")
            });
            let mut doc = json!({
                "resource": resource,
                "bearer_methods_supported": ["header"],
                "resource_name": "toolgate MCP server",
            });
            if !config.authorization_servers.is_empty() {
                doc["authorization_servers"] = json!(config.authorization_servers);
            }
            let mut scopes = config.scopes_supported.clone();
            for s in &config.required_scopes {
                if !scopes.contains(s) {
                    scopes.push(s.clone());
                }
            }
            if !scopes.is_empty() {
                doc["scopes_supported"] = json!(scopes);
            }
            axum::Json(doc)
        }
    };
    let base = "/.well-known/oauth-protected-resource";
    axum::Router::new()
        .route(base, axum::routing::get(handler.clone()))
        .route(&format!("{base}{mcp_path}"), axum::routing::get(handler))
}
