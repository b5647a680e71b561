//! Rate limits on tool calls, per caller and per tool, kept in memory or in Redis.
//!
//! A [`RateLimit`] says how many calls a caller may make ([`Quota`]: `60/minute, burst 10`),
//! optionally with a different quota for some tools, or none for others. [`RateLimited`] wraps
//! any [`Backend`] (a [`Catalog`](crate::Catalog), or a wrapper around one) and enforces it:
//!
//! - **who** — the caller is the authenticated [`Principal`] (its subject, else its client id,
//!   else a fingerprint of its token); an anonymous caller is its IP address (IPv6 by `/64`),
//!   taken from the connection or, behind a proxy, from a header you name; over stdio there is
//!   one caller;
//! - **what counts** — `tools/call` only; `tools/list`, resources and prompts do not. Every
//!   call of a tool without a quota of its own takes from the caller's one shared bucket
//!   (unknown tool names included); a tool with its own quota has a bucket of its own per
//!   caller instead;
//! - **how** — GCRA: a call is earned back every `period / calls`, and up to `burst` may be
//!   spent at once. Over the limit, the call is not made: the result is an `isError` tool
//!   result that says the limit and in how many seconds to retry;
//! - **where** — in memory ([`governor`]), per process; or in Redis ([`RedisStore`]), shared
//!   by every instance: one atomic Lua script per call, on Redis's clock, keys under a prefix
//!   that expire as soon as the bucket is full again. When Redis fails, the [`FailMode`]
//!   decides (by default each instance goes on limiting on its own), with one log line when it
//!   fails and one when it is back — never a panic, never a stalled call (the store has a
//!   timeout).
//!
//! ```no_run
//! # use std::sync::Arc;
//! # fn catalog() -> toolgate::Catalog { unimplemented!() }
//! # fn run() -> Result<(), toolgate::Error> {
//! use toolgate::limit::{FailMode, Quota, RateLimit, RateLimited, RedisStore};
//! let limit = RateLimit::new("60/minute, burst 10".parse()?)
//!     .tool("send_email", "5/hour".parse()?)
//!     .unlimited("health")
//!     .redis(RedisStore::new("redis://127.0.0.1:6379/0")?.on_error(FailMode::Closed));
//! let backend = RateLimited::new(Arc::new(catalog()), limit);
//! # Ok(()) }
//! ```

mod memory;
mod per_ip;
mod quota;
mod redis_store;

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use serde_json::Value;
use toolgate_mcp::{
    Backend, CallError, Caller, CompletionTarget, PromptDef, PromptResult, ResourceContent, ResourceDef, ToolCall,
    ToolList,
};
use toolgate_tools::ToolOutput;

use crate::auth::Principal;
use memory::MemoryStore;
use redis_store::RedisRuntime;

pub use per_ip::PerIpLimit;
pub use quota::Quota;

/// The OpenAPI extension that gives an operation's tool its own quota: a rate
/// (`"10/minute, burst 2"`), an object (`{"rate": "10/minute", "burst": 2}`), or `false` /
/// `"none"` for no limit.
pub const EXTENSION: &str = "x-mcp-rate-limit";

/// What to do with a call when Redis does not answer (down, unreachable, too slow).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FailMode {
    /// Let every call through: the limiter never takes the API down with it.
    Open,
    /// Refuse every limited call (an `isError` result: limits are unavailable, retry in 1 s):
    /// nothing gets past the limits, but nothing gets through at all.
    Closed,
    /// Go on limiting in this process, with the same quotas (each instance then allows the
    /// full rate on its own) until Redis answers again. The default: neither an outage nor
    /// unlimited.
    #[default]
    Local,
}

/// Where limits are kept when they must hold across several toolgate instances: a Redis server.
///
/// Connects lazily (with a timeout, 500 ms by default), reconnects on its own, and asks a
/// failed Redis again once a second.
#[derive(Clone)]
pub struct RedisStore {
    client: redis::Client,
    label: String,
    prefix: String,
    on_error: FailMode,
    timeout: Duration,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("url", &self.label)
            .field("prefix", &self.prefix)
            .field("on_error", &self.on_error)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// `Redis at URL (keys PREFIX:…)`, without the password.
impl std::fmt::Display for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Redis at {} (keys {}:…)", self.label, self.prefix)
    }
}

impl RedisStore {
    /// A Redis server by URL: `redis://[[user]:password@]host[:port][/db]`. Fails only when the
    /// URL is malformed: the server is reached on first use.
    pub fn new(url: &str) -> Result<RedisStore, crate::Error> {
        let label = redis_store::redact(url);
        let client =
            redis::Client::open(url).map_err(|e| crate::Error::Config(format!("rate limit store `{label}`: {e}")))?;
        Ok(RedisStore {
            client,
            label,
            prefix: "toolgate:ratelimit".into(),
            on_error: FailMode::default(),
            timeout: Duration::from_millis(500),
        })
    }

    /// Keys are `PREFIX:RULE:CALLER` (default prefix `toolgate:ratelimit`). Instances that
    /// share a prefix share limits; give unrelated deployments different prefixes.
    pub fn prefix(mut self, prefix: &str) -> RedisStore {
        self.prefix = prefix.trim_end_matches(':').to_owned();
        self
    }

    /// What happens to calls while Redis does not answer (default [`FailMode::Local`]).
    pub fn on_error(mut self, mode: FailMode) -> RedisStore {
        self.on_error = mode;
        self
    }

    /// How long a call waits for Redis before the [`FailMode`] decides (default 500 ms).
    pub fn timeout(mut self, timeout: Duration) -> RedisStore {
        self.timeout = timeout.max(Duration::from_millis(1));
        self
    }
}

/// Which calls are limited, how much, and where the counts are kept.
#[derive(Debug, Clone, Default)]
pub struct RateLimit {
    default: Option<Quota>,
    /// Tools with their own quota, or none (`None`).
    tools: BTreeMap<String, Option<Quota>>,
    redis: Option<RedisStore>,
    ip_header: Option<http::HeaderName>,
}

impl RateLimit {
    /// Each caller may make `quota` tool calls, across all tools (those with a quota of their
    /// own aside). Kept in memory unless [`RateLimit::redis`] is set.
    pub fn new(quota: Quota) -> RateLimit {
        RateLimit { default: Some(quota), ..RateLimit::default() }
    }

    /// Calls of this tool take from a bucket of its own, per caller, with this quota (instead
    /// of the shared one).
    pub fn tool(mut self, name: &str, quota: Quota) -> RateLimit {
        self.tools.insert(name.to_owned(), Some(quota));
        self
    }

    /// Calls of this tool are not limited.
    pub fn unlimited(mut self, name: &str) -> RateLimit {
        self.tools.insert(name.to_owned(), None);
        self
    }

    /// Keeps the counts in Redis, shared by every instance using the same server and prefix.
    pub fn redis(mut self, store: RedisStore) -> RateLimit {
        self.redis = Some(store);
        self
    }

    /// Behind a reverse proxy, anonymous callers are told apart by the address it puts in this
    /// header (`x-forwarded-for`, `x-real-ip`; the last address in the header is used, the one
    /// your proxy added). Without it, the connection's address is used. Only set it when every
    /// request comes through a proxy that sets the header: clients can send it too.
    pub fn client_ip_header(mut self, header: http::HeaderName) -> RateLimit {
        self.ip_header = Some(header);
        self
    }

    /// Adds the quotas operations give their tools with `x-mcp-rate-limit` ([`EXTENSION`]).
    /// Quotas set with [`RateLimit::tool`] or [`RateLimit::unlimited`] win.
    pub fn document_limits(
        mut self,
        api: &toolgate_openapi::Api,
        toolset: &toolgate_tools::Toolset,
    ) -> Result<RateLimit, crate::Error> {
        for tool in toolset.tools() {
            if self.tools.contains_key(tool.name()) {
                continue;
            }
            let Some(op) = api.operations.iter().find(|o| o.pointer == tool.source.pointer) else { continue };
            let Some(value) = op.extension(EXTENSION) else { continue };
            let quota = extension_quota(value).map_err(|why| {
                crate::Error::Config(format!("{EXTENSION} of {} ({}): {why}", tool.source, tool.source.pointer))
            })?;
            self.tools.insert(tool.name().to_owned(), quota);
        }
        Ok(self)
    }

    /// Whether any call is limited at all.
    pub fn is_active(&self) -> bool {
        self.default.is_some() || self.tools.values().any(Option::is_some)
    }

    /// Wraps a backend (same as [`RateLimited::new`]).
    pub fn wrap(self, inner: Arc<dyn Backend>) -> RateLimited {
        RateLimited::new(inner, self)
    }
}

fn extension_quota(value: &Value) -> Result<Option<Quota>, String> {
    match value {
        Value::Bool(false) | Value::Null => Ok(None),
        Value::String(s) if matches!(s.trim(), "none" | "off" | "unlimited") => Ok(None),
        Value::String(s) => s.parse().map(Some).map_err(|e: crate::Error| e.to_string()),
        Value::Object(o) => {
            let rate = o.get("rate").and_then(Value::as_str).ok_or("an object needs `rate` (such as \"10/minute\")")?;
            let mut quota: Quota = rate.parse().map_err(|e: crate::Error| e.to_string())?;
            if let Some(b) = o.get("burst") {
                let b = b.as_u64().and_then(|b| u32::try_from(b).ok()).and_then(std::num::NonZeroU32::new);
                quota = quota.burst(b.ok_or("`burst` must be a whole number of at least 1")?);
            }
            Ok(Some(quota))
        }
        _ => Err("expected a rate such as \"10/minute\", {\"rate\": …, \"burst\": …}, or false".into()),
    }
}

/// One quota and whose calls it counts.
pub(crate) struct Rule {
    pub(crate) quota: Quota,
    /// The tool it belongs to; `None` for the shared bucket.
    pub(crate) tool: Option<String>,
    /// Its part of a Redis key: `all` or `tool:NAME`.
    pub(crate) scope: String,
}

/// What a store decided about one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    Allow,
    /// Over the limit; the bucket has room again after this long.
    Deny {
        retry_after: Duration,
    },
    /// The store does not answer and the failure mode is closed.
    Unavailable {
        retry_after: Duration,
    },
}

enum Store {
    Memory(MemoryStore),
    Redis(Arc<RedisRuntime>),
}

struct Limiter {
    rules: Vec<Rule>,
    /// Rule of the shared bucket, if any.
    default: Option<usize>,
    /// Per tool: its own rule, or `None` (unlimited).
    tools: std::collections::HashMap<String, Option<usize>>,
    store: Store,
    ip_header: Option<http::HeaderName>,
}

impl Limiter {
    fn rule_for(&self, tool: &str) -> Option<usize> {
        match self.tools.get(tool) {
            Some(own) => *own,
            None => self.default,
        }
    }

    async fn check(&self, rule: usize, key: &str) -> Decision {
        match &self.store {
            Store::Memory(m) => m.check(rule, key),
            Store::Redis(r) => r.check(rule, &self.rules[rule], key).await,
        }
    }
}

/// A [`Backend`] whose tool calls are rate-limited; everything else passes through untouched
/// (including [`Backend::changes`], so it composes with hot reload).
#[derive(Clone)]
pub struct RateLimited {
    inner: Arc<dyn Backend>,
    limiter: Arc<Limiter>,
}

impl std::fmt::Debug for RateLimited {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let store = match &self.limiter.store {
            Store::Memory(_) => "memory",
            Store::Redis(_) => "redis",
        };
        f.debug_struct("RateLimited").field("rules", &self.limiter.rules.len()).field("store", &store).finish()
    }
}

impl RateLimited {
    /// Enforces `limit` on the calls of `inner`. With Redis, call it inside a Tokio runtime: it
    /// pings Redis in the background and logs whether it answers.
    pub fn new(inner: Arc<dyn Backend>, limit: RateLimit) -> RateLimited {
        let mut rules = Vec::new();
        let default = limit.default.map(|quota| {
            rules.push(Rule { quota, tool: None, scope: "all".into() });
            rules.len() - 1
        });
        let mut tools = std::collections::HashMap::new();
        for (name, quota) in limit.tools {
            let rule = quota.map(|quota| {
                rules.push(Rule { quota, tool: Some(name.clone()), scope: format!("tool:{name}") });
                rules.len() - 1
            });
            tools.insert(name, rule);
        }
        let store = match limit.redis {
            None => Store::Memory(MemoryStore::new(rules.iter().map(|r| &r.quota))),
            Some(config) => {
                let runtime = Arc::new(RedisRuntime::new(config, &rules));
                if let Ok(handle) = tokio::runtime::Handle::try_current() {
                    let probe = runtime.clone();
                    handle.spawn(async move { probe.probe().await });
                }
                Store::Redis(runtime)
            }
        };
        let limiter = Limiter { rules, default, tools, store, ip_header: limit.ip_header };
        RateLimited { inner, limiter: Arc::new(limiter) }
    }

    /// The backend whose calls are limited.
    pub fn inner(&self) -> &Arc<dyn Backend> {
        &self.inner
    }
}

impl Backend for RateLimited {
    fn tools(&self, caller: &Caller) -> Arc<ToolList> {
        self.inner.tools(caller)
    }

    fn call(&self, call: ToolCall) -> BoxFuture<'static, Result<ToolOutput, CallError>> {
        let Some(rule) = self.limiter.rule_for(&call.name) else { return self.inner.call(call) };
        let key = caller_key(&call.caller, self.limiter.ip_header.as_ref());
        let (inner, limiter) = (self.inner.clone(), self.limiter.clone());
        Box::pin(async move {
            match limiter.check(rule, &key).await {
                Decision::Allow => inner.call(call).await,
                Decision::Deny { retry_after } => {
                    tracing::debug!(caller = %key, tool = %call.name, "rate limit: call refused");
                    Ok(ToolOutput::error(refusal(&limiter.rules[rule], retry_after)))
                }
                Decision::Unavailable { retry_after } => Ok(ToolOutput::error(format!(
                    "Rate limits cannot be checked right now (their store does not answer), so the call was not made. {}",
                    retry(seconds(retry_after))
                ))),
            }
        })
    }

    fn resources(&self) -> Vec<ResourceDef> {
        self.inner.resources()
    }

    fn resource_templates(&self) -> Vec<ResourceDef> {
        self.inner.resource_templates()
    }

    fn read_resource(&self, uri: &str) -> BoxFuture<'static, Option<Vec<ResourceContent>>> {
        self.inner.read_resource(uri)
    }

    fn prompts(&self) -> Vec<PromptDef> {
        self.inner.prompts()
    }

    fn get_prompt(
        &self,
        name: &str,
        args: std::collections::HashMap<String, String>,
    ) -> BoxFuture<'static, Result<PromptResult, String>> {
        self.inner.get_prompt(name, args)
    }

    fn complete(&self, target: &CompletionTarget, argument: &str, value: &str) -> Vec<String> {
        self.inner.complete(target, argument, value)
    }

    fn changes(&self) -> Option<tokio::sync::watch::Receiver<u64>> {
        self.inner.changes()
    }
}

/// Whole seconds to wait, rounded up, at least 1.
fn seconds(d: Duration) -> u64 {
    (d.as_secs() + u64::from(d.subsec_nanos() > 0)).max(1)
}

fn retry(secs: u64) -> String {
    format!("Retry after {secs} second{}.", if secs == 1 { "" } else { "s" })
}

fn refusal(rule: &Rule, retry_after: Duration) -> String {
    let secs = seconds(retry_after);
    match &rule.tool {
        Some(tool) => format!("Rate limit exceeded: `{tool}` allows each caller {}. {}", rule.quota, retry(secs)),
        None => {
            format!("Rate limit exceeded: each caller may make {} to this server's tools. {}", rule.quota, retry(secs))
        }
    }
}

/// Who is calling, as a bucket key: the principal, else the client's address, else one key for
/// everyone (stdio, or no address known).
fn caller_key(caller: &Caller, ip_header: Option<&http::HeaderName>) -> String {
    let Some(parts) = &caller.http else { return "local".into() };
    if let Some(p) = parts.extensions.get::<Arc<Principal>>()
        && p.is_authenticated()
    {
        if let Some(sub) = &p.subject {
            return format!("sub:{sub}");
        }
        let client =
            p.claims.as_ref().and_then(|c| c.get("client_id").or_else(|| c.get("azp"))).and_then(Value::as_str);
        if let Some(id) = client {
            return format!("client:{id}");
        }
        if let Some(token) = &p.token {
            return format!("token:{:016x}", fnv1a(token.expose().as_bytes()));
        }
    }
    client_ip_key(&parts.headers, &parts.extensions, ip_header)
}

/// The client's address as a bucket key: from the proxy header when one is named and holds an
/// address, else from the connection; `anonymous` when neither is known.
fn client_ip_key(
    headers: &http::HeaderMap,
    extensions: &http::Extensions,
    ip_header: Option<&http::HeaderName>,
) -> String {
    let forwarded = ip_header.and_then(|h| {
        let last = headers.get_all(h).iter().next_back()?.to_str().ok()?;
        last.rsplit(',').next()?.trim().parse::<IpAddr>().ok()
    });
    let connected = || extensions.get::<axum::extract::ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    match forwarded.or_else(connected) {
        Some(ip) => ip_key(ip),
        None => "anonymous".into(),
    }
}

/// IPv4 addresses as they are; IPv6 by `/64` (one host usually has a whole `/64`).
fn ip_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => format!("ip:{v4}"),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => format!("ip:{v4}"),
            None => {
                let s = v6.segments();
                format!("ip:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// FNV-1a, 64 bits: a stable fingerprint (the same in every instance and release), so a token
/// is never stored as it is.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::auth::{AuthMethod, Secret};

    fn caller(principal: Option<Principal>, addr: Option<&str>, headers: &[(&str, &str)]) -> Caller {
        let mut req = http::Request::builder();
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let (mut parts, ()) = req.body(()).unwrap().into_parts();
        if let Some(p) = principal {
            parts.extensions.insert(Arc::new(p));
        }
        if let Some(a) = addr {
            parts.extensions.insert(axum::extract::ConnectInfo(a.parse::<SocketAddr>().unwrap()));
        }
        Caller { http: Some(Arc::new(parts)), client_capabilities: None }
    }

    fn principal(subject: Option<&str>, claims: Option<Value>, token: &str) -> Principal {
        Principal {
            subject: subject.map(str::to_owned),
            scopes: Default::default(),
            method: AuthMethod::StaticKey,
            token: Some(Secret::new(token)),
            claims,
        }
    }

    #[test]
    fn keys_callers() {
        let xff = http::HeaderName::from_static("x-forwarded-for");
        assert_eq!(caller_key(&Caller::default(), None), "local");
        assert_eq!(caller_key(&caller(None, None, &[]), None), "anonymous");
        assert_eq!(caller_key(&caller(None, Some("10.1.2.3:5000"), &[]), None), "ip:10.1.2.3");
        assert_eq!(caller_key(&caller(None, Some("[2001:db8:1:2:3:4:5:6]:80"), &[]), None), "ip:2001:db8:1:2::/64");
        assert_eq!(caller_key(&caller(None, Some("[::ffff:10.0.0.1]:80"), &[]), None), "ip:10.0.0.1");
        let p = principal(Some("alice"), None, "t0k3n-0123456789abcdef");
        assert_eq!(caller_key(&caller(Some(p), Some("10.1.2.3:5000"), &[]), None), "sub:alice");
        let p = principal(None, Some(serde_json::json!({"client_id": "svc"})), "t0k3n-0123456789abcdef");
        assert_eq!(caller_key(&caller(Some(p), None, &[]), None), "client:svc");
        let p = principal(None, None, "t0k3n-0123456789abcdef");
        let k = caller_key(&caller(Some(p), None, &[]), None);
        assert!(k.starts_with("token:") && !k.contains("t0k3n"), "{k}");
        // An anonymous principal is keyed by address.
        let c = caller(Some(Principal::anonymous()), Some("10.1.2.3:5000"), &[]);
        assert_eq!(caller_key(&c, None), "ip:10.1.2.3");
        // A proxy header only when configured, and its last address.
        let c = caller(None, Some("127.0.0.1:5000"), &[("x-forwarded-for", "6.6.6.6, 192.0.2.7")]);
        assert_eq!(caller_key(&c, None), "ip:127.0.0.1");
        assert_eq!(caller_key(&c, Some(&xff)), "ip:192.0.2.7");
        let c = caller(None, Some("127.0.0.1:5000"), &[("x-forwarded-for", "garbage")]);
        assert_eq!(caller_key(&c, Some(&xff)), "ip:127.0.0.1");
    }

    #[test]
    fn reads_the_extension() {
        assert_eq!(extension_quota(&serde_json::json!(false)).unwrap(), None);
        assert_eq!(extension_quota(&serde_json::json!("none")).unwrap(), None);
        assert_eq!(extension_quota(&serde_json::json!("10/min")).unwrap(), Some("10/min".parse().unwrap()));
        assert_eq!(
            extension_quota(&serde_json::json!({"rate": "10/min", "burst": 2})).unwrap(),
            Some("10/min burst 2".parse().unwrap())
        );
        assert!(extension_quota(&serde_json::json!({"burst": 2})).is_err());
        assert!(extension_quota(&serde_json::json!({"rate": "10/min", "burst": 0})).is_err());
        assert!(extension_quota(&serde_json::json!(10)).is_err());
    }

    #[test]
    fn rounds_retry_up() {
        assert_eq!(seconds(Duration::ZERO), 1);
        assert_eq!(seconds(Duration::from_millis(1001)), 2);
        assert_eq!(seconds(Duration::from_secs(3)), 3);
    }

    #[test]
    fn memory_store_keeps_a_bucket_per_caller() {
        let q: Quota = "1/min".parse().unwrap();
        let m = MemoryStore::new([&q]);
        assert_eq!(m.check(0, "a"), Decision::Allow);
        assert!(matches!(m.check(0, "a"), Decision::Deny { retry_after } if retry_after > Duration::from_secs(58)));
        assert_eq!(m.check(0, "b"), Decision::Allow);
        assert_eq!(m.check(1, "a"), Decision::Allow, "no such rule: not limited");
        assert_eq!(m.keys(), 2);
    }

    #[test]
    fn words_refusals() {
        let rule = Rule { quota: "5/hour".parse().unwrap(), tool: Some("send_email".into()), scope: String::new() };
        assert_eq!(
            refusal(&rule, Duration::from_millis(11_200)),
            "Rate limit exceeded: `send_email` allows each caller 5 calls per hour. Retry after 12 seconds."
        );
        let rule = Rule { quota: "60/min burst 10".parse().unwrap(), tool: None, scope: String::new() };
        assert_eq!(
            refusal(&rule, Duration::from_millis(200)),
            "Rate limit exceeded: each caller may make 60 calls per minute (at most 10 at once) to this server's tools. Retry after 1 second."
        );
    }
}
