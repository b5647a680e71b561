//! A coarse guard in front of everything: at most so many HTTP requests per client address.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::memory::MemoryStore;
use super::{Decision, Quota, client_ip_key, seconds};

/// Limits every HTTP request per client address (IPv6 by `/64`), counted in this process,
/// before authentication or MCP see it: a flood guard for unauthenticated traffic (bad tokens,
/// `tools/list` loops), which [`RateLimited`](super::RateLimited) does not count. Over the
/// limit, the answer is `429 Too Many Requests` with `Retry-After`.
///
/// ```no_run
/// # fn app() -> axum::Router { axum::Router::new() }
/// # fn run() -> Result<(), toolgate::Error> {
/// let app = toolgate::limit::PerIpLimit::new("600/minute".parse()?).apply(app());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct PerIpLimit {
    quota: Quota,
    store: Arc<MemoryStore>,
    ip_header: Option<http::HeaderName>,
}

impl std::fmt::Debug for PerIpLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PerIpLimit").field("quota", &self.quota).field("ip_header", &self.ip_header).finish()
    }
}

impl PerIpLimit {
    /// At most `quota` requests per client address.
    pub fn new(quota: Quota) -> PerIpLimit {
        PerIpLimit { quota, store: Arc::new(MemoryStore::new([&quota])), ip_header: None }
    }

    /// Behind a reverse proxy: the client address is the last one in this header (see
    /// [`RateLimit::client_ip_header`](super::RateLimit::client_ip_header)).
    pub fn client_ip_header(mut self, header: http::HeaderName) -> PerIpLimit {
        self.ip_header = Some(header);
        self
    }

    /// Puts the guard in front of every route of `router` (apply it last, so it runs first).
    pub fn apply(self, router: axum::Router) -> axum::Router {
        router.layer(axum::middleware::from_fn_with_state(self, guard))
    }
}

async fn guard(State(limit): State<PerIpLimit>, req: Request, next: Next) -> Response {
    let key = client_ip_key(req.headers(), req.extensions(), limit.ip_header.as_ref());
    match limit.store.check(0, &key) {
        Decision::Deny { retry_after } | Decision::Unavailable { retry_after } => {
            let secs = seconds(retry_after);
            tracing::debug!(client = %key, "rate limit: HTTP request refused");
            let body = format!("Too many requests from this address: at most {}. Retry after {secs} s.\n", limit.quota);
            (http::StatusCode::TOO_MANY_REQUESTS, [(http::header::RETRY_AFTER, secs.to_string())], body).into_response()
        }
        Decision::Allow => next.run(req).await,
    }
}
