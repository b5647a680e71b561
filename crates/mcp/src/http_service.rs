//! Streamable HTTP: one endpoint for both protocol eras.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::serve::ListenerExt;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};

use crate::ServerOptions;
use crate::backend::Backend;
use crate::handler::{Handler, Shared};
use crate::lean::{Lean, LeanConfig};
use crate::ws::WsConfig;

/// Which implementation serves Streamable HTTP. Both answer the same requests the same way
/// (status codes, messages, both eras); they differ in cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// toolgate's own (the default): each request parsed once and answered in the connection's
    /// task, no task or channel per request, `tools/list` pages serialized once, a legacy
    /// session kept as a table row while idle (a few hundred bytes).
    Lean,
    /// rmcp's `StreamableHttpService`: a service loop, tasks and channels per 2026-07-28 request,
    /// a task and four channels per legacy session (about 55 KB each). Kept for comparison and
    /// as a fallback (`TOOLGATE_HTTP_ENGINE=rmcp`).
    Rmcp,
}

impl Engine {
    /// The engine named by `TOOLGATE_HTTP_ENGINE` (`lean` or `rmcp`), if set to one of them.
    pub fn from_env() -> Option<Engine> {
        match std::env::var("TOOLGATE_HTTP_ENGINE").ok()?.trim().to_ascii_lowercase().as_str() {
            "lean" => Some(Engine::Lean),
            "rmcp" => Some(Engine::Rmcp),
            _ => None,
        }
    }
}

/// HTTP transport settings.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// `Host` header values accepted (a port, if given, must match too). `None` accepts any
    /// host — only for servers behind a proxy that checks it. Default: loopback names, which
    /// stops DNS-rebinding attacks on a local server.
    pub allowed_hosts: Option<Vec<String>>,
    /// `Origin` values accepted from browsers (`scheme://host[:port|:*]`); requests without
    /// `Origin` always pass. Default: loopback origins on any port.
    pub allowed_origins: Vec<String>,
    /// Answer plain requests with `application/json` (falling back to SSE when a call sends
    /// notifications first). The lean engine applies it to both eras; rmcp's only to 2026-07-28
    /// requests (its legacy sessions always answer with SSE).
    pub json_response: bool,
    /// Keep-alive comment interval on SSE streams; also how often an idle WebSocket is pinged.
    pub sse_keep_alive: Option<Duration>,
    /// Largest request body accepted (413 above); also the largest WebSocket message (the
    /// connection is closed with 1009 above).
    pub max_body_bytes: usize,
    /// Which implementation serves the endpoint. Default: `TOOLGATE_HTTP_ENGINE` if set, else
    /// [`Engine::Lean`].
    pub engine: Engine,
    /// A legacy session unused this long (no request, no open GET stream) is ended
    /// (lean engine; rmcp's own is 5 minutes). `None`: never.
    pub session_idle_timeout: Option<Duration>,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            allowed_hosts: Some(vec!["localhost".into(), "127.0.0.1".into(), "::1".into()]),
            allowed_origins: [
                "http://localhost:*",
                "http://127.0.0.1:*",
                "http://[::1]:*",
                "https://localhost:*",
                "https://127.0.0.1:*",
            ]
            .into_iter()
            .map(String::from)
            .collect(),
            json_response: true,
            sse_keep_alive: Some(Duration::from_secs(15)),
            max_body_bytes: 4 * 1024 * 1024,
            engine: Engine::from_env().unwrap_or(Engine::Lean),
            session_idle_timeout: Some(Duration::from_secs(300)),
        }
    }
}

/// An MCP endpoint over Streamable HTTP, to mount in an axum app.
#[derive(Clone)]
pub struct McpHttp {
    service: Transport,
    shared: Arc<Shared>,
    ws: Arc<WsConfig>,
}

#[derive(Clone)]
enum Transport {
    Rmcp(StreamableHttpService<Handler, LocalSessionManager>),
    Lean(LeanService),
}

/// The lean engine as a tower service.
#[derive(Clone)]
struct LeanService(Arc<Lean>);

impl tower::Service<http::Request<axum::body::Body>> for LeanService {
    type Response = axum::response::Response;
    type Error = std::convert::Infallible;
    type Future = futures::future::BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, _cx: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<axum::body::Body>) -> Self::Future {
        let lean = self.0.clone();
        Box::pin(async move { Ok(lean.handle(req).await) })
    }
}

impl std::fmt::Debug for McpHttp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("McpHttp").field("server", &self.shared.options.name).finish()
    }
}

impl McpHttp {
    /// Builds the endpoint. Must be called inside a Tokio runtime.
    pub fn new(backend: Arc<dyn Backend>, server: ServerOptions, http: HttpOptions) -> McpHttp {
        let shared = Shared::new(backend, server);
        let ws = Arc::new(WsConfig {
            allowed_hosts: http.allowed_hosts.clone(),
            allowed_origins: http.allowed_origins.clone(),
            max_message_bytes: http.max_body_bytes,
            keep_alive: http.sse_keep_alive,
        });
        if http.engine == Engine::Lean {
            let lean = Lean::new(
                shared.clone(),
                LeanConfig {
                    allowed_hosts: http.allowed_hosts,
                    allowed_origins: http.allowed_origins,
                    json_response: http.json_response,
                    keep_alive: http.sse_keep_alive,
                    max_body_bytes: http.max_body_bytes,
                    session_idle_timeout: http.session_idle_timeout,
                },
            );
            return McpHttp { service: Transport::Lean(LeanService(lean)), shared, ws };
        }
        let mut config = StreamableHttpServerConfig::default()
            .with_json_response(http.json_response)
            .with_sse_keep_alive(http.sse_keep_alive)
            .with_max_request_body_bytes(http.max_body_bytes);
        config = match http.allowed_hosts {
            Some(hosts) => config.with_allowed_hosts(hosts),
            None => config.disable_allowed_hosts(),
        };
        config = if http.allowed_origins.is_empty() {
            config.enforce_origin_validation()
        } else {
            config.with_allowed_origins(http.allowed_origins)
        };
        let factory_shared = shared.clone();
        let service = StreamableHttpService::new(
            move || Ok(Handler::new(factory_shared.clone())),
            Arc::new(LocalSessionManager::default()),
            config,
        );
        McpHttp { service: Transport::Rmcp(service), shared, ws }
    }

    /// An axum router that serves the endpoint at `path` (for example `/mcp`).
    pub fn router(&self, path: &str) -> axum::Router {
        match &self.service {
            Transport::Rmcp(s) => axum::Router::new().route_service(path, s.clone()),
            Transport::Lean(s) => axum::Router::new().route_service(path, s.clone()),
        }
    }

    /// Which engine serves this endpoint.
    pub fn engine(&self) -> Engine {
        match self.service {
            Transport::Rmcp(_) => Engine::Rmcp,
            Transport::Lean(_) => Engine::Lean,
        }
    }

    /// An axum router that serves the same tools over WebSocket at `path` (for example `/ws`):
    /// each connection is one MCP session (a legacy `initialize` handshake, or 2026-07-28
    /// requests), one JSON-RPC message per text frame, the `mcp` subprotocol when the client asks
    /// for it. The upgrade request passes the same Host and Origin checks as the HTTP endpoint
    /// (403 otherwise); messages larger than `max_body_bytes` close the connection (1009), and so
    /// do binary frames (1003); a connection the server has sent nothing on for `sse_keep_alive`
    /// is pinged. Layers on this router (authentication) see the upgrade request, and every call
    /// of the session sees its parts as [`Caller::http`](crate::Caller::http).
    ///
    /// Use a path of its own: merging it with [`McpHttp::router`] at the same path panics.
    pub fn websocket_router(&self, path: &str) -> axum::Router {
        crate::ws::router(self.shared.clone(), self.ws.clone(), path)
    }

    /// Tells connected clients that the tool list changed (legacy sessions get
    /// `notifications/tools/list_changed`; 2026-07-28 clients listening on
    /// `subscriptions/listen` get it on their stream).
    pub async fn notify_tools_changed(&self) {
        self.shared.broadcast_tools_changed().await;
    }
}

/// Serves an axum app on a listener with the socket settings MCP needs: `TCP_NODELAY` on every
/// connection (without it each SSE reply stalls ~40 ms on Nagle and delayed ACKs).
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}
