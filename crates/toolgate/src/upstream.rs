//! Upstreams: where tool calls go. An axum `Router` called in process (no socket; its own
//! layers run), or an HTTP client bound to one base URL.

use std::convert::Infallible;
use std::time::Duration;

use axum::body::Body;
use bytes::Bytes;
use futures::future::BoxFuture;
use http_body_util::BodyExt;
use toolgate_tools::BaseUrl;
use tower::ServiceExt;
use tower::util::BoxCloneSyncService;

/// Errors of the boxed service inside an [`Upstream`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

type Svc = BoxCloneSyncService<http::Request<Body>, http::Response<Body>, BoxError>;

/// Where tool calls go: a `tower::Service` for HTTP requests, plus the base URL every request is
/// made under. Requests are only ever built as `base + path`, so a call cannot reach another host
/// or scheme.
#[derive(Clone)]
pub struct Upstream {
    svc: Svc,
    base: BaseUrl,
    in_process: bool,
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstream").field("base", &self.base.to_string()).field("in_process", &self.in_process).finish()
    }
}

/// Why an upstream call failed before a response arrived.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// Could not connect, or the connection broke.
    #[error("could not reach the API at {base}: {message}")]
    Unreachable {
        /// The base URL.
        base: String,
        /// What went wrong.
        message: String,
    },
    /// No complete answer within the timeout.
    #[error("the API at {base} did not answer within {timeout:?}; the request was cancelled")]
    Timeout {
        /// The base URL.
        base: String,
        /// The timeout.
        timeout: Duration,
    },
}

impl Upstream {
    /// An axum app called in process. Requests go through the router's own layers
    /// (authentication included) with no socket.
    pub fn router(router: axum::Router) -> Upstream {
        Upstream::service(router)
    }

    /// Any tower service that answers HTTP requests, called in process.
    pub fn service<S>(svc: S) -> Upstream
    where
        S: tower::Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
    {
        let svc = svc.map_err(|e: Infallible| -> BoxError { match e {} });
        Upstream { svc: BoxCloneSyncService::new(svc), base: BaseUrl::in_process(), in_process: true }
    }

    /// An HTTP API at `base` (`http(s)://host[:port][/prefix]`), through a pooled client that
    /// does not follow redirects (a redirect could lead elsewhere).
    pub fn http(base: &str) -> Result<Upstream, String> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(Duration::from_secs(90))
            .tcp_nodelay(true)
            .build()
            .map_err(|e| format!("could not build the HTTP client: {e}"))?;
        Upstream::http_with_client(base, client)
    }

    /// An HTTP API at `base`, through a client you configured (proxies, TLS roots, …).
    /// Configure it not to follow redirects.
    pub fn http_with_client(base: &str, client: reqwest::Client) -> Result<Upstream, String> {
        let base = BaseUrl::parse(base)?;
        let svc = HttpService { client };
        Ok(Upstream { svc: BoxCloneSyncService::new(svc), base, in_process: false })
    }

    /// The same upstream with `prefix` added to its base path: the tools of an app nested under
    /// `/inventory` in a composed router call `/inventory/...` through that router.
    pub fn with_prefix(mut self, prefix: &str) -> Upstream {
        self.base = self.base.with_prefix(prefix);
        self
    }

    /// The base URL.
    pub fn base(&self) -> &BaseUrl {
        &self.base
    }

    /// Whether calls stay in this process (an axum app) rather than going over the network.
    pub fn is_in_process(&self) -> bool {
        self.in_process
    }

    /// Sends a request (whose URI was made from [`Upstream::base`]) and returns the response
    /// head; the body is read by the caller.
    pub async fn send(&self, req: http::Request<Bytes>) -> Result<http::Response<Body>, UpstreamError> {
        let req = req.map(Body::from);
        self.svc
            .clone()
            .oneshot(req)
            .await
            .map_err(|e| UpstreamError::Unreachable { base: self.base.to_string(), message: error_chain(e.as_ref()) })
    }
}

fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut msg = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        let t = s.to_string();
        if !msg.contains(&t) {
            msg.push_str(": ");
            msg.push_str(&t);
        }
        cur = s.source();
    }
    msg
}

/// reqwest as a tower service over `http` types.
#[derive(Clone)]
struct HttpService {
    client: reqwest::Client,
}

impl tower::Service<http::Request<Body>> for HttpService {
    type Response = http::Response<Body>;
    type Error = BoxError;
    type Future = BoxFuture<'static, Result<http::Response<Body>, BoxError>>;

    fn poll_ready(&mut self, _cx: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<Body>) -> Self::Future {
        let client = self.client.clone();
        Box::pin(async move {
            let (parts, body) = req.into_parts();
            let bytes = body.collect().await?.to_bytes();
            let url = reqwest::Url::parse(&parts.uri.to_string())?;
            let mut rb = client.request(parts.method, url).headers(parts.headers);
            if !bytes.is_empty() {
                rb = rb.body(bytes);
            }
            let resp = rb.send().await?;
            let mut builder = http::Response::builder().status(resp.status());
            if let Some(h) = builder.headers_mut() {
                *h = resp.headers().clone();
            }
            let stream = resp.bytes_stream();
            Ok(builder.body(Body::from_stream(stream))?)
        })
    }
}
