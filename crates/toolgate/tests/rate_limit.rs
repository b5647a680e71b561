//! Rate limits with real parts: a real `redis-server` each test starts on a free loopback port
//! (and kills when done), the in-memory store run through the same table, and end to end over
//! Streamable HTTP with static-key authentication.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::routing::{get, post};
use common::{Client, serve, text};
use futures::future::BoxFuture;
use serde_json::{Value, json};
use toolgate::auth::{AuthConfig, AuthMethod, Principal, Secret, StaticKeys};
use toolgate::limit::{FailMode, Quota, RateLimit, RateLimited, RedisStore};
use toolgate::{Caller, Notifier, ToolOutput};
use toolgate_mcp::{Backend, CallError, ToolCall, ToolList};

// ---------------------------------------------------------------------------------------------
// A real Redis server

/// A `redis-server` child process on a free loopback port; killed on drop.
struct Redis {
    port: u16,
    child: Option<Child>,
}

impl Redis {
    fn start() -> Redis {
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
        let mut r = Redis { port, child: None };
        r.restart();
        r
    }

    /// Starts the server again on the same port (after [`Redis::stop`]).
    fn restart(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start redis-server ({e}). The rate-limit tests need a real Redis: install it with \
                     `apt-get install -y redis-server` (scripts/test does this), or put redis-server on PATH"
                )
            });
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.ping() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("redis-server did not answer on port {} within 10 s", self.port);
    }

    fn ping(&self) -> bool {
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) else { return false };
        let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
        let mut buf = [0u8; 7];
        s.write_all(b"PING\r\n").is_ok() && s.read_exact(&mut buf).is_ok() && &buf == b"+PONG\r\n"
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    fn store(&self, prefix: &str) -> RedisStore {
        RedisStore::new(&self.url()).expect("url").prefix(prefix)
    }

    /// A command through the real client, for looking at keys.
    async fn query<T: redis::FromRedisValue>(&self, cmd: &mut redis::Cmd) -> T {
        let client = redis::Client::open(self.url()).unwrap();
        let mut conn = client.get_multiplexed_async_connection().await.unwrap();
        cmd.query_async(&mut conn).await.unwrap()
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}

// ---------------------------------------------------------------------------------------------
// The limiter on its own, over a backend that counts calls

/// Answers every call with "ok" and counts them.
#[derive(Default)]
struct Counting {
    calls: AtomicUsize,
}

impl Backend for Counting {
    fn tools(&self, _: &Caller) -> Arc<ToolList> {
        Arc::new(ToolList::empty())
    }

    fn call(&self, _: ToolCall) -> BoxFuture<'static, Result<ToolOutput, CallError>> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Box::pin(async { Ok(ToolOutput::text("ok")) })
    }
}

fn as_principal(subject: &str) -> Caller {
    let (mut parts, ()) = http::Request::builder().body(()).unwrap().into_parts();
    parts.extensions.insert(Arc::new(Principal {
        subject: Some(subject.into()),
        scopes: Default::default(),
        method: AuthMethod::StaticKey,
        token: Some(Secret::new(format!("token-of-{subject}-0123456789"))),
        claims: None,
    }));
    Caller { http: Some(Arc::new(parts)), client_capabilities: None }
}

/// Calls `tool` as `who`; `Ok(())` when it went through, `Err(message)` when refused.
async fn call(b: &RateLimited, who: &str, tool: &str) -> Result<(), String> {
    let call = ToolCall { name: tool.into(), arguments: None, caller: as_principal(who), notifier: Notifier::none() };
    let out = b.call(call).await.expect("routed");
    if out.is_error { Err(out.joined_text()) } else { Ok(()) }
}

fn q(s: &str) -> Quota {
    s.parse().unwrap()
}

/// Seconds in a "Retry after N second(s)." message.
fn retry_secs(msg: &str) -> u64 {
    let rest = msg.split("Retry after ").nth(1).unwrap_or_else(|| panic!("no retry in: {msg}"));
    rest.split(' ').next().unwrap().parse().unwrap_or_else(|_| panic!("no number in: {msg}"))
}

/// Where a scenario keeps its counts.
enum Kind {
    Memory,
    Redis,
}

/// Puts a rate limit in the store under test.
type Store = Box<dyn Fn(RateLimit) -> RateLimit + Send + Sync>;

/// Runs one scenario against the in-memory store and against a real Redis.
async fn both<F>(scenario: F)
where
    F: Fn(Store) -> BoxFuture<'static, ()>,
{
    for kind in [Kind::Memory, Kind::Redis] {
        match kind {
            Kind::Memory => scenario(Box::new(|l| l)).await,
            Kind::Redis => {
                let redis = Arc::new(Redis::start());
                let r = redis.clone();
                // Fail closed: a Redis problem must show, not fall back to counting in memory.
                scenario(Box::new(move |l| l.redis(r.store("t").on_error(FailMode::Closed)))).await;
                drop(redis);
            }
        }
    }
}

#[tokio::test]
async fn a_burst_goes_through_then_the_limit_holds() {
    both(|store| {
        Box::pin(async move {
            let inner = Arc::new(Counting::default());
            let b = store(RateLimit::new(q("3/2s"))).wrap(inner.clone());
            for _ in 0..3 {
                call(&b, "alice", "x").await.unwrap();
            }
            let refused = call(&b, "alice", "x").await.unwrap_err();
            assert_eq!(
                refused,
                "Rate limit exceeded: each caller may make 3 calls per 2 seconds to this server's tools. Retry after 1 second."
            );
            assert_eq!(inner.calls.load(Ordering::SeqCst), 3, "the refused call was not made");
            // A burst below the rate: 1 at once, then one every 100 ms.
            let b = store(RateLimit::new(q("10/s, burst 1"))).wrap(inner.clone());
            call(&b, "burst1", "x").await.unwrap();
            call(&b, "burst1", "x").await.unwrap_err();
        })
    })
    .await;
}

#[tokio::test]
async fn each_principal_has_its_own_bucket() {
    both(|store| {
        Box::pin(async move {
            let b = store(RateLimit::new(q("2/min"))).wrap(Arc::new(Counting::default()));
            call(&b, "alice", "x").await.unwrap();
            call(&b, "alice", "y").await.unwrap();
            call(&b, "alice", "z").await.unwrap_err();
            call(&b, "bob", "x").await.unwrap();
            call(&b, "bob", "x").await.unwrap();
            call(&b, "bob", "x").await.unwrap_err();
        })
    })
    .await;
}

#[tokio::test]
async fn calls_are_earned_back_over_the_period() {
    both(|store| {
        Box::pin(async move {
            // 2 per second, 2 at once: a call comes back every 500 ms.
            let b = store(RateLimit::new(q("2/s"))).wrap(Arc::new(Counting::default()));
            call(&b, "alice", "x").await.unwrap();
            call(&b, "alice", "x").await.unwrap();
            call(&b, "alice", "x").await.unwrap_err();
            tokio::time::sleep(Duration::from_millis(600)).await;
            call(&b, "alice", "x").await.unwrap();
            call(&b, "alice", "x").await.unwrap_err();
            tokio::time::sleep(Duration::from_millis(1100)).await;
            call(&b, "alice", "x").await.unwrap();
            call(&b, "alice", "x").await.unwrap();
            call(&b, "alice", "x").await.unwrap_err();
        })
    })
    .await;
}

#[tokio::test]
async fn the_refusal_says_when_to_retry() {
    both(|store| {
        Box::pin(async move {
            let b = store(RateLimit::new(q("1/10s"))).wrap(Arc::new(Counting::default()));
            call(&b, "alice", "x").await.unwrap();
            let msg = call(&b, "alice", "x").await.unwrap_err();
            assert!(msg.contains("1 call per 10 seconds"), "{msg}");
            assert!((9..=10).contains(&retry_secs(&msg)), "{msg}");
            // 6 per minute, 2 at once: after 2 calls, the next is 10 s away.
            let b = store(RateLimit::new(q("6/min burst 2"))).wrap(Arc::new(Counting::default()));
            call(&b, "carol", "x").await.unwrap();
            call(&b, "carol", "x").await.unwrap();
            let msg = call(&b, "carol", "x").await.unwrap_err();
            assert!(msg.contains("6 calls per minute (at most 2 at once)"), "{msg}");
            assert!((9..=10).contains(&retry_secs(&msg)), "{msg}");
        })
    })
    .await;
}

#[tokio::test]
async fn tools_can_have_their_own_quota_or_none() {
    both(|store| {
        Box::pin(async move {
            let limit = RateLimit::new(q("2/min")).tool("send_email", q("1/hour")).unlimited("health");
            let b = store(limit).wrap(Arc::new(Counting::default()));
            call(&b, "alice", "send_email").await.unwrap();
            let msg = call(&b, "alice", "send_email").await.unwrap_err();
            assert!(msg.starts_with("Rate limit exceeded: `send_email` allows each caller 1 call per hour."), "{msg}");
            assert!((3599..=3600).contains(&retry_secs(&msg)), "{msg}");
            // The shared bucket is untouched by send_email, and health is never limited.
            call(&b, "alice", "a").await.unwrap();
            call(&b, "alice", "b").await.unwrap();
            call(&b, "alice", "c").await.unwrap_err();
            for _ in 0..20 {
                call(&b, "alice", "health").await.unwrap();
            }
            call(&b, "bob", "send_email").await.unwrap();
            // Only per-tool quotas: everything else is free.
            let b = store(RateLimit::default().tool("send_email", q("1/hour"))).wrap(Arc::new(Counting::default()));
            for _ in 0..10 {
                call(&b, "dave", "other").await.unwrap();
            }
            call(&b, "dave", "send_email").await.unwrap();
            call(&b, "dave", "send_email").await.unwrap_err();
        })
    })
    .await;
}

// ---------------------------------------------------------------------------------------------
// Redis only: sharing, keys, failures

#[tokio::test]
async fn instances_on_one_redis_share_limits() {
    let redis = Redis::start();
    let limit = || RateLimit::new(q("4/min")).redis(redis.store("shared"));
    let a = limit().wrap(Arc::new(Counting::default()));
    let b = limit().wrap(Arc::new(Counting::default()));
    call(&a, "alice", "x").await.unwrap();
    call(&b, "alice", "x").await.unwrap();
    call(&a, "alice", "x").await.unwrap();
    call(&b, "alice", "x").await.unwrap();
    call(&a, "alice", "x").await.unwrap_err();
    call(&b, "alice", "x").await.unwrap_err();
    // Another prefix is another deployment.
    let other = RateLimit::new(q("4/min")).redis(redis.store("other")).wrap(Arc::new(Counting::default()));
    call(&other, "alice", "x").await.unwrap();
}

#[tokio::test]
async fn redis_keys_are_namespaced_and_expire() {
    let redis = Redis::start();
    let b = RateLimit::new(q("4/min"))
        .tool("send_email", q("1/hour"))
        .redis(redis.store("app:rl:"))
        .wrap(Arc::new(Counting::default()));
    call(&b, "alice", "x").await.unwrap();
    call(&b, "alice", "send_email").await.unwrap();
    let mut keys: Vec<String> = redis.query(redis::cmd("KEYS").arg("*")).await;
    keys.sort();
    assert_eq!(keys, ["app:rl:all:sub:alice", "app:rl:tool:send_email:sub:alice"]);
    // The bucket is full again after one interval (15 s for 4/min; 1 h for 1/hour): so is the TTL.
    let ttl: i64 = redis.query(redis::cmd("PTTL").arg("app:rl:all:sub:alice")).await;
    assert!((14_000..=15_000).contains(&ttl), "{ttl}");
    let ttl: i64 = redis.query(redis::cmd("PTTL").arg("app:rl:tool:send_email:sub:alice")).await;
    assert!((3_599_000..=3_600_000).contains(&ttl), "{ttl}");
    // A bucket that refills within a second leaves nothing behind.
    let quick = RateLimit::new(q("10/s")).redis(redis.store("quick")).wrap(Arc::new(Counting::default()));
    call(&quick, "alice", "x").await.unwrap();
    tokio::time::sleep(Duration::from_millis(250)).await;
    let left: Vec<String> = redis.query(redis::cmd("KEYS").arg("quick:*")).await;
    assert!(left.is_empty(), "{left:?}");
}

/// Captures log lines for the current thread.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// Calls once with Redis up, stops Redis, and returns what the next calls did (Ok/Err per
/// call), how long the slowest took, the log, and Redis (to restart).
async fn with_redis_down(mode: FailMode, calls: usize) -> (Vec<Result<(), String>>, Duration, String) {
    let logs = Logs::default();
    let l2 = logs.clone();
    let sub = tracing_subscriber::fmt().with_max_level(tracing::Level::INFO).with_writer(move || l2.clone()).finish();
    let _g = tracing::subscriber::set_default(sub);
    let mut redis = Redis::start();
    let store = redis.store("down").on_error(mode).timeout(Duration::from_millis(300));
    let inner = Arc::new(Counting::default());
    let b = RateLimit::new(q("2/min")).redis(store).wrap(inner.clone());
    call(&b, "alice", "x").await.unwrap();
    redis.stop();
    let mut out = Vec::new();
    let mut slowest = Duration::ZERO;
    for _ in 0..calls {
        let t = Instant::now();
        out.push(call(&b, "alice", "x").await);
        slowest = slowest.max(t.elapsed());
    }
    // Redis comes back: after the quiet second, limits are shared again (a fresh Redis: empty).
    redis.restart();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    call(&b, "alice", "x").await.unwrap();
    call(&b, "alice", "x").await.unwrap();
    call(&b, "alice", "x").await.unwrap_err();
    let keys: Vec<String> = redis.query(redis::cmd("KEYS").arg("down:*")).await;
    assert_eq!(keys, ["down:all:sub:alice"], "back on Redis");
    let expected_inner = 1 + out.iter().filter(|r| r.is_ok()).count() + 2;
    assert_eq!(inner.calls.load(Ordering::SeqCst), expected_inner, "refused calls are never made");
    (out, slowest, logs.text())
}

#[tokio::test]
async fn redis_down_fail_open_lets_calls_through() {
    let (out, slowest, logs) = with_redis_down(FailMode::Open, 5).await;
    assert!(out.iter().all(Result::is_ok), "{out:?}");
    assert!(slowest < Duration::from_millis(800), "never stalls: {slowest:?}");
    let port_hint = "rate limits: Redis at redis://127.0.0.1:";
    assert!(logs.contains(port_hint) && logs.contains("letting every call through (fail-open)"), "{logs}");
    assert_eq!(logs.matches(" failed: ").count(), 1, "one line per outage: {logs}");
    assert!(logs.contains("answers again"), "{logs}");
}

#[tokio::test]
async fn redis_down_fail_closed_refuses_calls() {
    let (out, slowest, logs) = with_redis_down(FailMode::Closed, 3).await;
    for r in &out {
        let msg = r.as_ref().unwrap_err();
        assert_eq!(
            msg,
            "Rate limits cannot be checked right now (their store does not answer), so the call was not made. Retry after 1 second."
        );
    }
    assert!(slowest < Duration::from_millis(800), "never stalls: {slowest:?}");
    assert!(logs.contains("refusing every limited call (fail-closed)"), "{logs}");
}

#[tokio::test]
async fn redis_down_local_mode_limits_in_process() {
    // The local store starts empty: 2 calls go through, then the limit holds.
    let (out, _, logs) = with_redis_down(FailMode::Local, 4).await;
    assert!(out[0].is_ok() && out[1].is_ok(), "{out:?}");
    assert!(out[2].as_ref().unwrap_err().starts_with("Rate limit exceeded"), "{out:?}");
    assert!(out[3].is_err(), "{out:?}");
    assert!(logs.contains("limiting in this process only"), "{logs}");
}

#[tokio::test]
async fn redis_never_reachable_is_logged_at_start_and_fails_as_configured() {
    let logs = Logs::default();
    let l2 = logs.clone();
    let sub = tracing_subscriber::fmt().with_max_level(tracing::Level::INFO).with_writer(move || l2.clone()).finish();
    let _g = tracing::subscriber::set_default(sub);
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).unwrap().port();
    let store = RedisStore::new(&format!("redis://:hunter2@127.0.0.1:{port}/0")).unwrap().on_error(FailMode::Closed);
    let b = RateLimit::new(q("2/min")).redis(store).wrap(Arc::new(Counting::default()));
    tokio::time::sleep(Duration::from_millis(300)).await; // the start-up probe
    let msg = call(&b, "alice", "x").await.unwrap_err();
    assert!(msg.starts_with("Rate limits cannot be checked"), "{msg}");
    let logs = logs.text();
    assert!(logs.contains(&format!("Redis at redis://***@127.0.0.1:{port}/0 failed")), "{logs}");
    assert!(!logs.contains("hunter2"), "no password in logs: {logs}");
    assert!(RedisStore::new("not a url").is_err());
}

// ---------------------------------------------------------------------------------------------
// End to end: Streamable HTTP, static keys, the Mcp builder and McpEndpoint

const ALICE: &str = "alice-key-0123456789abcdef";
const BOB: &str = "bob-key-0123456789abcdef";

fn doc() -> Value {
    let ok = json!({"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}});
    json!({
        "openapi": "3.1.0", "info": {"title": "Items", "version": "1"},
        "paths": {
            "/items": {"get": {"operationId": "list_items", "responses": ok}},
            "/orders": {"post": {"operationId": "create_order", "x-mcp-rate-limit": "1/hour", "responses": ok}},
            "/health": {"get": {"operationId": "health", "x-mcp-rate-limit": false, "responses": ok}}
        }
    })
}

fn app() -> axum::Router {
    let ok = || async { Json(json!({"ok": true})) };
    axum::Router::new().route("/items", get(ok)).route("/orders", post(ok)).route("/health", get(ok))
}

fn keys() -> AuthConfig {
    AuthConfig::keys(StaticKeys::new().with(Secret::new(ALICE), Some("alice"), &[]).with(
        Secret::new(BOB),
        Some("bob"),
        &[],
    ))
}

async fn instance(limit: RateLimit) -> String {
    let mcp = toolgate::Mcp::new(doc(), app()).auth(keys()).rate_limit(limit).build().expect("build");
    format!("{}/mcp", serve(mcp.mount(app())).await)
}

fn client(url: &str, token: &str) -> Client {
    let mut c = Client::modern(url);
    c.headers.push(("authorization".into(), format!("Bearer {token}")));
    c
}

#[tokio::test]
async fn over_http_each_key_has_its_own_limit_and_lists_are_free() {
    let redis = Redis::start();
    let url = instance(RateLimit::new(q("2/min")).redis(redis.store("e2e"))).await;
    let (mut alice, mut bob) = (client(&url, ALICE), client(&url, BOB));
    for _ in 0..5 {
        assert_eq!(alice.list().await.len(), 3, "tools/list does not count");
    }
    assert_eq!(alice.call_ok("list_items", json!({})).await["isError"], json!(false));
    assert_eq!(alice.call_ok("list_items", json!({})).await["isError"], json!(false));
    let refused = alice.call_ok("list_items", json!({})).await;
    assert_eq!(refused["isError"], json!(true), "{refused}");
    let msg = text(&refused);
    assert!(msg.contains("2 calls per minute") && (29..=30).contains(&retry_secs(&msg)), "{msg}");
    assert_eq!(bob.call_ok("list_items", json!({})).await["isError"], json!(false), "bob is not alice");
    // The document's own quotas: create_order once an hour, health never limited.
    assert_eq!(bob.call_ok("create_order", json!({})).await["isError"], json!(false));
    let msg = text(&bob.call_ok("create_order", json!({})).await);
    assert!(msg.starts_with("Rate limit exceeded: `create_order` allows each caller 1 call per hour."), "{msg}");
    for _ in 0..5 {
        assert_eq!(alice.call_ok("health", json!({})).await["isError"], json!(false));
    }
    // A legacy session (2025-06-18) with the same key is the same caller.
    let auth = vec![("authorization".to_owned(), format!("Bearer {ALICE}"))];
    let mut legacy = Client::legacy_with_headers(&url, "2025-06-18", auth).await;
    assert_eq!(legacy.call_ok("list_items", json!({})).await["isError"], json!(true));
}

#[tokio::test]
async fn over_http_two_instances_share_one_redis() {
    let redis = Redis::start();
    let a = instance(RateLimit::new(q("3/min")).redis(redis.store("fleet"))).await;
    let b = instance(RateLimit::new(q("3/min")).redis(redis.store("fleet"))).await;
    let (mut on_a, mut on_b) = (client(&a, ALICE), client(&b, ALICE));
    assert_eq!(on_a.call_ok("list_items", json!({})).await["isError"], json!(false));
    assert_eq!(on_b.call_ok("list_items", json!({})).await["isError"], json!(false));
    assert_eq!(on_a.call_ok("list_items", json!({})).await["isError"], json!(false));
    assert_eq!(on_b.call_ok("list_items", json!({})).await["isError"], json!(true));
    assert_eq!(on_a.call_ok("list_items", json!({})).await["isError"], json!(true));
}

#[tokio::test]
async fn over_http_anonymous_callers_are_limited_by_address() {
    let redis = Redis::start();
    let limit = RateLimit::new(q("1/min")).redis(redis.store("anon"));
    let mcp = toolgate::Mcp::new(doc(), app()).rate_limit(limit).build().expect("build");
    let url = format!("{}/mcp", serve(mcp.mount(app())).await);
    let (mut one, mut two) = (Client::modern(&url), Client::modern(&url));
    assert_eq!(one.call_ok("list_items", json!({})).await["isError"], json!(false));
    assert_eq!(two.call_ok("list_items", json!({})).await["isError"], json!(true), "same address");
    let keys: Vec<String> = redis.query(redis::cmd("KEYS").arg("anon:*")).await;
    assert_eq!(keys, ["anon:all:ip:127.0.0.1"]);
}

#[tokio::test]
async fn mcp_endpoint_takes_a_rate_limit_too() {
    let api = toolgate::openapi::load_value(doc(), &Default::default()).unwrap();
    let mount =
        toolgate::Mount::new(&api, toolgate::Upstream::router(app()), &Default::default(), Default::default()).unwrap();
    let limit = RateLimit::new(q("1/min")).document_limits(&api, mount.toolset()).unwrap();
    let catalog = Arc::new(toolgate::Catalog::new(vec![mount], vec![]).unwrap());
    let ep = toolgate::McpEndpoint::with_rate_limit(
        catalog,
        limit,
        Default::default(),
        Default::default(),
        "/mcp",
        Some(keys()),
    );
    let url = format!("{}/mcp", serve(ep.router()).await);
    let mut alice = client(&url, ALICE);
    assert_eq!(alice.call_ok("list_items", json!({})).await["isError"], json!(false));
    assert_eq!(alice.call_ok("list_items", json!({})).await["isError"], json!(true));
    assert_eq!(alice.call_ok("health", json!({})).await["isError"], json!(false), "x-mcp-rate-limit: false");
}

#[tokio::test]
async fn over_http_a_per_address_guard_stops_floods_before_authentication() {
    let mcp = toolgate::Mcp::new(doc(), app()).auth(keys()).build().expect("build");
    let guarded = toolgate::limit::PerIpLimit::new(q("3/min")).apply(mcp.mount(app()));
    let base = serve(guarded).await;
    let http = reqwest::Client::new();
    let post = || {
        http.post(format!("{base}/mcp"))
            .header("authorization", "Bearer not-a-valid-token-at-all")
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}"#)
            .send()
    };
    for _ in 0..3 {
        assert_eq!(post().await.unwrap().status(), 401);
    }
    let refused = post().await.unwrap();
    assert_eq!(refused.status(), 429);
    let retry: u64 = refused.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((19..=20).contains(&retry), "{retry}");
    let body = refused.text().await.unwrap();
    assert!(body.starts_with("Too many requests from this address: at most 3 calls per minute."), "{body}");
    // The app's own routes are behind the guard too.
    assert_eq!(http.get(format!("{base}/items")).send().await.unwrap().status(), 429);
}
