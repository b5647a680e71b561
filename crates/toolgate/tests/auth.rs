//! Authentication and authorization, end to end: real RS256/ES256 JWTs signed here and checked
//! against a JWKS served over HTTP, static keys, 401/403 challenges, per-tool scopes, and the
//! outbound credential policies against an upstream that records what it received.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use base64::Engine;
use common::{Client, serve, text};
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};
use toolgate::auth::{AuthConfig, JwtConfig, JwtVerifier, Secret, StaticKeys, Verifier};

const RSA_A: &str = include_str!("keys/rsa-a.pem");
const RSA_B: &str = include_str!("keys/rsa-b.pem");
const RSA_A_PUB: &str = include_str!("keys/rsa-a.pub.pem");
const EC_A: &str = include_str!("keys/ec-a.pem");
const ISS: &str = "https://issuer.test";

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

fn jwk(pem: &str, alg: Algorithm, kid: &str) -> Jwk {
    let key = match alg {
        Algorithm::ES256 => EncodingKey::from_ec_pem(pem.as_bytes()),
        _ => EncodingKey::from_rsa_pem(pem.as_bytes()),
    }
    .expect("key");
    let mut j = Jwk::from_encoding_key(&key, alg).expect("jwk");
    j.common.key_id = Some(kid.into());
    j
}

fn token(pem: &str, alg: Algorithm, kid: &str, claims: Value) -> String {
    let key = match alg {
        Algorithm::ES256 => EncodingKey::from_ec_pem(pem.as_bytes()),
        _ => EncodingKey::from_rsa_pem(pem.as_bytes()),
    }
    .expect("key");
    let mut h = Header::new(alg);
    h.kid = Some(kid.into());
    encode(&h, &claims, &key).expect("sign")
}

fn claims(aud: &str, scope: &str) -> Value {
    json!({"iss": ISS, "aud": aud, "sub": "alice", "scope": scope, "exp": now() + 600, "iat": now()})
}

fn doc() -> Value {
    let ok = json!({"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}});
    json!({
        "openapi": "3.1.0", "info": {"title": "Items", "version": "1"},
        "components": {"securitySchemes": {"oauth": {"type": "oauth2", "flows": {"clientCredentials": {
            "tokenUrl": "https://issuer.test/token", "scopes": {"items:read": "read", "items:write": "write"}}}}}},
        "security": [{"oauth": ["items:read"]}],
        "paths": {
            "/items": {
                "get": {"operationId": "list_items", "responses": ok},
                "post": {"operationId": "create_item", "security": [{"oauth": ["items:write"]}], "responses": ok}
            },
            "/health": {"get": {"operationId": "health", "security": [], "responses": ok}}
        }
    })
}

/// The API records the headers of every request it receives.
type Seen = Arc<Mutex<Vec<HeaderMap>>>;

fn api(seen: Seen) -> axum::Router {
    let rec = move |h: HeaderMap| {
        seen.lock().unwrap().push(h);
        async { Json(json!({"ok": true})) }
    };
    axum::Router::new().route("/items", get(rec.clone()).post(rec.clone())).route("/health", get(rec))
}

/// A JWKS server whose key set can be swapped (rotation).
async fn jwks_server(set: Arc<Mutex<JwkSet>>) -> String {
    let app = axum::Router::new().route(
        "/jwks",
        get(move || {
            let set = set.clone();
            async move { Json(serde_json::to_value(&*set.lock().unwrap()).expect("jwks")) }
        }),
    );
    format!("{}/jwks", serve(app).await)
}

struct Setup {
    url: String,
    seen: Seen,
    jwks: Arc<Mutex<JwkSet>>,
}

const AUD: &str = "http://mcp.test/mcp";

async fn setup_jwt() -> Setup {
    setup_jwt_with(false).await
}

/// The JWT setup, with MCP over WebSocket at `/ws` too when `websocket`.
async fn setup_jwt_with(websocket: bool) -> Setup {
    let jwks = Arc::new(Mutex::new(JwkSet {
        keys: vec![jwk(RSA_A, Algorithm::RS256, "rsa-a"), jwk(EC_A, Algorithm::ES256, "ec-a")],
    }));
    let jwks_url = jwks_server(jwks.clone()).await;
    let mut c = JwtConfig::new(&jwks_url);
    c.issuers = vec![ISS.into()];
    c.audiences = vec![AUD.into()];
    c.min_refetch = Duration::ZERO;
    let auth = AuthConfig {
        resource: Some(AUD.into()),
        authorization_servers: vec![ISS.into()],
        ..AuthConfig::jwt(JwtVerifier::new(c).expect("verifier"))
    };
    let seen: Seen = Default::default();
    let router = api(seen.clone());
    let mut mcp = toolgate::Mcp::new(doc(), router.clone()).auth(auth);
    if websocket {
        mcp = mcp.websocket("/ws");
    }
    let base = serve(mcp.build().expect("build").mount(router)).await;
    Setup { url: format!("{base}/mcp"), seen, jwks }
}

async fn post_list(url: &str, auth: Option<&str>) -> reqwest::Response {
    let mut rb = reqwest::Client::new()
        .post(url)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", "tools/list")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"_meta": {
            "io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}}}));
    if let Some(a) = auth {
        rb = rb.header("authorization", a);
    }
    rb.send().await.expect("send")
}

fn www_auth(r: &reqwest::Response) -> String {
    r.headers().get("www-authenticate").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned()
}

fn metadata_url(r: &reqwest::Response) -> String {
    let w = www_auth(r);
    w.split("resource_metadata=\"").nth(1).and_then(|s| s.split('"').next()).unwrap_or("").to_owned()
}

#[tokio::test]
async fn missing_token_gets_401_with_resource_metadata() {
    let s = setup_jwt().await;
    let r = post_list(&s.url, None).await;
    assert_eq!(r.status(), 401);
    let w = www_auth(&r);
    assert!(w.starts_with("Bearer "), "{w}");
    assert!(!w.contains("error="), "no error code when no credentials were sent (RFC 6750 §3.1): {w}");
    assert_eq!(metadata_url(&r), "http://mcp.test/.well-known/oauth-protected-resource/mcp");
    // the metadata itself, served next to the endpoint
    let base = s.url.trim_end_matches("/mcp");
    for path in ["/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"] {
        let m: Value = reqwest::get(format!("{base}{path}")).await.expect("get").json().await.expect("json");
        assert_eq!(m["resource"], json!(AUD), "{path}");
        assert_eq!(m["authorization_servers"], json!([ISS]));
        assert_eq!(m["bearer_methods_supported"], json!(["header"]));
    }
}

#[tokio::test]
async fn valid_rs256_and_es256_tokens_are_accepted() {
    let s = setup_jwt().await;
    for (pem, alg, kid) in [(RSA_A, Algorithm::RS256, "rsa-a"), (EC_A, Algorithm::ES256, "ec-a")] {
        let t = token(pem, alg, kid, claims(AUD, "items:read items:write"));
        let r = post_list(&s.url, Some(&format!("Bearer {t}"))).await;
        assert_eq!(r.status(), 200, "{alg:?}");
    }
}

async fn refused(s: &Setup, t: &str, why: &str) {
    let r = post_list(&s.url, Some(&format!("Bearer {t}"))).await;
    assert_eq!(r.status(), 401, "expected 401 for: {why}");
    let w = www_auth(&r);
    assert!(w.contains("error=\"invalid_token\""), "{why}: {w}");
    assert!(w.contains("resource_metadata=\""), "{why}: {w}");
    let desc = w.split("error_description=\"").nth(1).unwrap_or("");
    assert!(desc.contains(why), "{why}: {w}");
    assert!(!w.contains(t), "the token must not be echoed");
}

#[tokio::test]
async fn bad_tokens_are_refused_with_the_reason() {
    let s = setup_jwt().await;
    let mut expired = claims(AUD, "items:read");
    expired["exp"] = json!(now() - 3600);
    refused(&s, &token(RSA_A, Algorithm::RS256, "rsa-a", expired), "expired").await;
    let mut early = claims(AUD, "items:read");
    early["nbf"] = json!(now() + 3600);
    refused(&s, &token(RSA_A, Algorithm::RS256, "rsa-a", early), "not valid yet").await;
    refused(
        &s,
        &token(RSA_A, Algorithm::RS256, "rsa-a", claims("https://other.test/mcp", "items:read")),
        "another audience",
    )
    .await;
    let mut iss = claims(AUD, "items:read");
    iss["iss"] = json!("https://evil.test");
    refused(&s, &token(RSA_A, Algorithm::RS256, "rsa-a", iss), "another issuer").await;
    // a key the JWKS does not have (even after refetching)
    refused(&s, &token(RSA_B, Algorithm::RS256, "rsa-b", claims(AUD, "items:read")), "unknown key").await;
    // alg: none
    let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let none =
        format!("{}.{}.", b64(&json!({"alg": "none", "typ": "JWT", "kid": "rsa-a"})), b64(&claims(AUD, "items:read")));
    refused(&s, &none, "well-formed").await;
    // HS256 signed with the RSA public key as the HMAC secret (key confusion)
    let mut h = Header::new(Algorithm::HS256);
    h.kid = Some("rsa-a".into());
    let confused =
        encode(&h, &claims(AUD, "items:read"), &EncodingKey::from_secret(RSA_A_PUB.as_bytes())).expect("sign");
    refused(&s, &confused, "not allowed").await;
    // a tampered payload
    let good = token(RSA_A, Algorithm::RS256, "rsa-a", claims(AUD, "items:read"));
    let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
    parts[1] = b64(&claims(AUD, "items:read items:write"));
    refused(&s, &parts.join("."), "signature").await;
}

#[tokio::test]
async fn a_rotated_key_is_picked_up() {
    let s = setup_jwt().await;
    let t = token(RSA_B, Algorithm::RS256, "rsa-b", claims(AUD, "items:read"));
    assert_eq!(post_list(&s.url, Some(&format!("Bearer {t}"))).await.status(), 401);
    s.jwks.lock().unwrap().keys.push(jwk(RSA_B, Algorithm::RS256, "rsa-b"));
    assert_eq!(post_list(&s.url, Some(&format!("Bearer {t}"))).await.status(), 200);
}

#[tokio::test]
async fn tokens_in_the_query_string_are_refused() {
    let s = setup_jwt().await;
    let t = token(RSA_A, Algorithm::RS256, "rsa-a", claims(AUD, "items:read"));
    let r = post_list(&format!("{}?access_token={t}", s.url), None).await;
    assert_eq!(r.status(), 401);
    assert!(www_auth(&r).contains("error=\"invalid_request\""));
}

#[tokio::test]
async fn scopes_decide_which_tools_are_listed_and_callable() {
    let s = setup_jwt().await;
    let read = token(RSA_A, Algorithm::RS256, "rsa-a", claims(AUD, "items:read"));
    let mut c = Client::modern(&s.url);
    c.headers.push(("authorization".into(), format!("Bearer {read}")));
    let names: Vec<String> = c.list().await.iter().filter_map(|t| t["name"].as_str().map(str::to_owned)).collect();
    assert_eq!(names, vec!["list_items", "health"], "a read-only caller sees only what it may call");
    assert_eq!(c.call_ok("list_items", json!({})).await["isError"], json!(false));

    // calling a tool without its scope: 403 insufficient_scope naming the scope (step-up), and
    // the upstream is never reached
    let before = s.seen.lock().unwrap().len();
    let r = reqwest::Client::new()
        .post(&s.url)
        .header("accept", "application/json, text/event-stream")
        .header("authorization", format!("Bearer {read}"))
        .header("mcp-protocol-version", "2025-06-18")
        .json(&json!({"jsonrpc": "2.0", "id": 5, "method": "tools/call", "params": {"name": "create_item", "arguments": {}}}))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), 403);
    let w = www_auth(&r);
    assert!(w.contains("error=\"insufficient_scope\"") && w.contains("scope=\"items:write\""), "{w}");
    assert!(w.contains("resource_metadata=\""), "{w}");
    assert_eq!(s.seen.lock().unwrap().len(), before, "refused before any upstream request");

    let write = token(RSA_A, Algorithm::RS256, "rsa-a", claims(AUD, "items:read items:write extra:scope"));
    let mut c = Client::modern(&s.url);
    c.headers.push(("authorization".into(), format!("Bearer {write}")));
    assert_eq!(c.list().await.len(), 3, "extra scopes do no harm");
    assert_eq!(c.call_ok("create_item", json!({})).await["isError"], json!(false));
}

#[tokio::test]
async fn anonymous_callers_only_get_public_tools_when_allowed() {
    let keys = StaticKeys::new().with(Secret::new("k-0123456789abcdef"), Some("ci"), &["items:read"]);
    let auth = AuthConfig { allow_anonymous: true, ..AuthConfig::keys(keys) };
    let router = api(Default::default());
    let mcp = toolgate::Mcp::new(doc(), router.clone()).auth(auth).build().expect("build");
    let base = serve(mcp.mount(router)).await;
    let mut c = Client::modern(&format!("{base}/mcp"));
    let names: Vec<String> = c.list().await.iter().filter_map(|t| t["name"].as_str().map(str::to_owned)).collect();
    assert_eq!(names, vec!["health"]);
    assert_eq!(c.call_ok("health", json!({})).await["isError"], json!(false));
    let r = c.call("list_items", json!({}), None).await.1;
    assert_eq!(r["http_status"], json!(401), "{r}");
}

/// Outbound: what the upstream receives under each policy.
mod outbound {
    use super::*;
    use toolgate::outbound::{ClientCredentials, Credential, Outbound};
    use toolgate::{CallOptions, Catalog, McpEndpoint, Mount, Upstream};

    async fn gateway(seen: Seen, calls: CallOptions, mcp_token: Option<&str>) -> (Client, String) {
        let upstream = serve(api(seen)).await;
        let api = toolgate::openapi::load_value(doc(), &Default::default()).expect("doc");
        let mount =
            Mount::new(&api, Upstream::http(&upstream).expect("up"), &Default::default(), calls).expect("mount");
        let catalog = Arc::new(Catalog::new(vec![mount], vec![]).expect("catalog"));
        let auth = mcp_token.map(|t| AuthConfig {
            verifiers: vec![Verifier::Keys(Arc::new(StaticKeys::new().with(
                Secret::new(t),
                None,
                &["items:read", "items:write"],
            )))],
            ..Default::default()
        });
        let ep = McpEndpoint::new(catalog, Default::default(), Default::default(), "/mcp", auth);
        let base = serve(ep.router()).await;
        let mut c = Client::modern(&format!("{base}/mcp"));
        if let Some(t) = mcp_token {
            c.headers.push(("authorization".into(), format!("Bearer {t}")));
        }
        (c, upstream)
    }

    fn last(seen: &Seen) -> HeaderMap {
        seen.lock().unwrap().last().cloned().expect("the upstream saw a request")
    }

    #[tokio::test]
    async fn the_mcp_token_is_not_forwarded_to_an_http_upstream_by_default() {
        let seen: Seen = Default::default();
        let (mut c, _) = gateway(seen.clone(), CallOptions::default(), Some("mcp-token-0123456789")).await;
        c.headers.push(("x-trace".into(), "t1".into()));
        assert_eq!(c.call_ok("list_items", json!({})).await["isError"], json!(false));
        let h = last(&seen);
        assert!(h.get("authorization").is_none(), "{h:?}");
        assert!(h.get("x-trace").is_none());
    }

    #[tokio::test]
    async fn an_allow_list_forwards_only_those_headers() {
        let seen: Seen = Default::default();
        let calls =
            CallOptions { forward_headers: vec![http::HeaderName::from_static("x-trace")], ..Default::default() };
        let (mut c, _) = gateway(seen.clone(), calls, Some("mcp-token-0123456789")).await;
        c.headers.push(("x-trace".into(), "t1".into()));
        c.headers.push(("x-other".into(), "o".into()));
        c.call_ok("list_items", json!({})).await;
        let h = last(&seen);
        assert_eq!(h.get("x-trace").map(|v| v.as_bytes()), Some(&b"t1"[..]));
        assert!(h.get("x-other").is_none() && h.get("authorization").is_none());
    }

    #[tokio::test]
    async fn in_process_apps_get_the_callers_authorization() {
        let seen: Seen = Default::default();
        let router = api(seen.clone());
        let keys = StaticKeys::new().with(Secret::new("same-audience-token-1"), None, &["items:read"]);
        let mcp = toolgate::Mcp::new(doc(), router.clone()).auth(AuthConfig::keys(keys)).build().expect("build");
        let base = serve(mcp.mount(router)).await;
        let mut c = Client::modern(&format!("{base}/mcp"));
        c.headers.push(("authorization".into(), "Bearer same-audience-token-1".into()));
        c.call_ok("list_items", json!({})).await;
        assert_eq!(last(&seen).get("authorization").map(|v| v.as_bytes()), Some(&b"Bearer same-audience-token-1"[..]));
    }

    async fn with_credential(cred: Credential, scheme: Option<&str>) -> HeaderMap {
        let seen: Seen = Default::default();
        let calls = CallOptions {
            credentials: vec![Outbound { credential: cred, scheme: scheme.map(str::to_owned) }],
            ..Default::default()
        };
        let (mut c, _) = gateway(seen.clone(), calls, None).await;
        let r = c.call_ok("list_items", json!({})).await;
        assert_eq!(r["isError"], json!(false), "{r}");
        last(&seen)
    }

    #[tokio::test]
    async fn server_side_credentials_are_injected() {
        let h = with_credential(
            Credential::Header { name: http::HeaderName::from_static("x-api-key"), value: Secret::new("k1") },
            None,
        )
        .await;
        assert_eq!(h.get("x-api-key").map(|v| v.as_bytes()), Some(&b"k1"[..]));
        let h = with_credential(Credential::Bearer(Secret::new("b1")), Some("oauth")).await;
        assert_eq!(h.get("authorization").map(|v| v.as_bytes()), Some(&b"Bearer b1"[..]));
        let h = with_credential(Credential::Basic { username: "u".into(), password: Secret::new("p") }, None).await;
        assert_eq!(h.get("authorization").map(|v| v.as_bytes()), Some(&b"Basic dTpw"[..]));
        let h = with_credential(Credential::Cookie { name: "session".into(), value: Secret::new("c 1") }, None).await;
        assert_eq!(h.get("cookie").map(|v| v.as_bytes()), Some(&b"session=c%201"[..]));
        // a scheme the operation does not use: nothing injected
        let h = with_credential(Credential::Bearer(Secret::new("b2")), Some("other")).await;
        assert!(h.get("authorization").is_none());
    }

    #[tokio::test]
    async fn query_credentials_go_into_the_url() {
        let seen_uri: Arc<Mutex<Vec<String>>> = Default::default();
        let s2 = seen_uri.clone();
        let app = axum::Router::new().route(
            "/items",
            get(move |uri: http::Uri| {
                s2.lock().unwrap().push(uri.to_string());
                async { Json(json!({})) }
            }),
        );
        let upstream = serve(app).await;
        let api = toolgate::openapi::load_value(doc(), &Default::default()).expect("doc");
        let calls = CallOptions {
            credentials: vec![Outbound {
                credential: Credential::Query { name: "api_key".into(), value: Secret::new("q&1") },
                scheme: None,
            }],
            ..Default::default()
        };
        let mount =
            Mount::new(&api, Upstream::http(&upstream).expect("up"), &Default::default(), calls).expect("mount");
        let catalog = Arc::new(Catalog::new(vec![mount], vec![]).expect("catalog"));
        let base =
            serve(McpEndpoint::new(catalog, Default::default(), Default::default(), "/mcp", None).router()).await;
        Client::modern(&format!("{base}/mcp")).call_ok("list_items", json!({})).await;
        assert_eq!(seen_uri.lock().unwrap().last().map(String::as_str), Some("/items?api_key=q%261"));
    }

    #[tokio::test]
    async fn client_credentials_tokens_are_fetched_once_and_cached() {
        let fetches = Arc::new(Mutex::new(Vec::<(HeaderMap, String)>::new()));
        let f2 = fetches.clone();
        let token_app = axum::Router::new().route(
            "/token",
            post(move |h: HeaderMap, body: String| {
                f2.lock().unwrap().push((h, body));
                async { Json(json!({"access_token": "cc-token-1", "token_type": "Bearer", "expires_in": 3600})) }
            }),
        );
        let token_url = format!("{}/token", serve(token_app).await);
        let cc = ClientCredentials::new(&token_url, "client-1", Secret::new("secret-1"), vec!["items:read".into()])
            .expect("cc");
        let seen: Seen = Default::default();
        let calls = CallOptions {
            credentials: vec![Outbound {
                credential: Credential::ClientCredentials(Arc::new(cc)),
                scheme: Some("oauth".into()),
            }],
            ..Default::default()
        };
        let (mut c, _) = gateway(seen.clone(), calls, None).await;
        for _ in 0..3 {
            assert_eq!(c.call_ok("list_items", json!({})).await["isError"], json!(false));
        }
        assert_eq!(last(&seen).get("authorization").map(|v| v.as_bytes()), Some(&b"Bearer cc-token-1"[..]));
        let f = fetches.lock().unwrap();
        assert_eq!(f.len(), 1, "the token is cached");
        assert!(
            f[0].1.contains("grant_type=client_credentials") && f[0].1.contains("scope=items%3Aread"),
            "{}",
            f[0].1
        );
        let basic = base64::engine::general_purpose::STANDARD.encode("client-1:secret-1");
        assert_eq!(f[0].0.get("authorization").and_then(|v| v.to_str().ok()), Some(format!("Basic {basic}").as_str()));
    }
}

/// Secrets never reach logs, error messages or tool results.
#[tokio::test]
async fn secrets_stay_out_of_logs_errors_and_results() {
    use std::io::Write;
    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buf = Buf::default();
    let b2 = buf.clone();
    let sub = tracing_subscriber::fmt().with_max_level(tracing::Level::TRACE).with_writer(move || b2.clone()).finish();
    let _g = tracing::subscriber::set_default(sub);

    const MCP: &str = "mcp-secret-token-9f8e7d6c";
    const API: &str = "upstream-api-key-1a2b3c4d";
    // an upstream that fails, with the credential configured
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("port");
    let api = toolgate::openapi::load_value(doc(), &Default::default()).expect("doc");
    let calls = toolgate::CallOptions {
        credentials: vec![toolgate::outbound::Outbound {
            credential: toolgate::outbound::Credential::Header {
                name: http::HeaderName::from_static("x-api-key"),
                value: Secret::new(API),
            },
            scheme: None,
        }],
        ..Default::default()
    };
    let mount = toolgate::Mount::new(
        &api,
        toolgate::Upstream::http(&format!("http://127.0.0.1:{port}")).expect("up"),
        &Default::default(),
        calls,
    )
    .expect("mount");
    let keys = StaticKeys::new().with(Secret::new(MCP), None, &["items:read", "items:write"]);
    let ep = toolgate::McpEndpoint::new(
        Arc::new(toolgate::Catalog::new(vec![mount], vec![]).expect("c")),
        Default::default(),
        Default::default(),
        "/mcp",
        Some(AuthConfig::keys(keys)),
    );
    let base = serve(ep.router()).await;
    let mut c = Client::modern(&format!("{base}/mcp"));
    c.headers.push(("authorization".into(), format!("Bearer {MCP}")));
    let mut results = String::new();
    for tool in ["list_items", "create_item", "health"] {
        results.push_str(&c.call_ok(tool, json!({})).await.to_string());
    }
    let bad = post_list(&format!("{base}/mcp"), Some(&format!("Bearer {MCP}x"))).await;
    results.push_str(&www_auth(&bad));
    results.push_str(&bad.text().await.unwrap_or_default());
    assert!(results.contains("could not reach"), "the calls failed as intended: {results}");
    let logs = String::from_utf8_lossy(&buf.0.lock().unwrap()).into_owned();
    for secret in [MCP, API] {
        assert!(!results.contains(secret), "secret in results: {results}");
        assert!(!logs.contains(secret), "secret in logs: {logs}");
    }
    assert!(!text(&json!({})).contains(MCP));
}

/// A JWKS server that counts how often it is fetched.
async fn counting_jwks(set: JwkSet) -> (String, Arc<Mutex<u32>>) {
    let count = Arc::new(Mutex::new(0u32));
    let c2 = count.clone();
    let set = Arc::new(set);
    let app = axum::Router::new().route(
        "/jwks",
        get(move || {
            *c2.lock().unwrap() += 1;
            let set = set.clone();
            async move { Json(serde_json::to_value(&*set).expect("jwks")) }
        }),
    );
    (format!("{}/jwks", serve(app).await), count)
}

#[tokio::test]
async fn unknown_key_ids_refetch_the_jwks_at_most_once_per_interval() {
    let (jwks_url, fetches) = counting_jwks(JwkSet { keys: vec![jwk(RSA_A, Algorithm::RS256, "rsa-a")] }).await;
    let mut c = JwtConfig::new(&jwks_url);
    c.issuers = vec![ISS.into()];
    c.audiences = vec![AUD.into()];
    c.min_refetch = Duration::from_secs(60);
    let v = JwtVerifier::new(c).expect("verifier");
    let good = token(RSA_A, Algorithm::RS256, "rsa-a", claims(AUD, "items:read"));
    assert!(v.verify(&good).await.is_ok());
    assert_eq!(*fetches.lock().unwrap(), 1);
    // a storm of tokens with unknown key ids: one refetch, not one per token
    for kid in ["k1", "k2", "k3", "k4"] {
        let t = token(RSA_B, Algorithm::RS256, kid, claims(AUD, "items:read"));
        let e = v.verify(&t).await.expect_err("unknown key");
        assert!(e.to_string().contains("unknown key"), "{e}");
    }
    assert_eq!(*fetches.lock().unwrap(), 2, "unknown key ids refetch at most once per interval");
    assert!(v.verify(&good).await.is_ok(), "known keys keep working without fetching");
    assert_eq!(*fetches.lock().unwrap(), 2);
}

#[tokio::test]
async fn introspection_asks_the_authorization_server_and_caches_the_answer() {
    use toolgate::auth::{IntrospectionConfig, Introspector};
    let calls: Arc<Mutex<Vec<(HeaderMap, String)>>> = Default::default();
    let c2 = calls.clone();
    let app = axum::Router::new().route(
        "/introspect",
        post(move |h: HeaderMap, body: String| {
            c2.lock().unwrap().push((h, body.clone()));
            async move {
                let active = |aud: &str| json!({"active": true, "sub": "bob", "scope": "items:read", "aud": aud, "exp": now() + 600});
                Json(if body.contains("token=good-token") {
                    active(AUD)
                } else if body.contains("token=other-aud-token") {
                    active("https://elsewhere.test")
                } else {
                    json!({"active": false})
                })
            }
        }),
    );
    let url = format!("{}/introspect", serve(app).await);
    let cfg = IntrospectionConfig {
        url,
        client_id: "rs-1".into(),
        client_secret: Secret::new("rs-secret"),
        audiences: vec![AUD.into()],
        cache: Duration::from_secs(60),
    };
    let auth = AuthConfig {
        verifiers: vec![Verifier::Introspection(Arc::new(Introspector::new(cfg).expect("introspector")))],
        ..Default::default()
    };
    let router = api(Default::default());
    let mcp = toolgate::Mcp::new(doc(), router.clone()).auth(auth).build().expect("build");
    let base = serve(mcp.mount(router)).await;
    let url = format!("{base}/mcp");
    for _ in 0..3 {
        assert_eq!(post_list(&url, Some("Bearer good-token")).await.status(), 200);
    }
    assert_eq!(calls.lock().unwrap().len(), 1, "the answer is cached");
    let (h, body) = calls.lock().unwrap()[0].clone();
    assert!(body.contains("token_type_hint=access_token"), "{body}");
    let basic = base64::engine::general_purpose::STANDARD.encode("rs-1:rs-secret");
    assert_eq!(h.get("authorization").and_then(|v| v.to_str().ok()), Some(format!("Basic {basic}").as_str()));
    let r = post_list(&url, Some("Bearer revoked-token")).await;
    assert_eq!(r.status(), 401);
    assert!(www_auth(&r).contains("not active"));
    let r = post_list(&url, Some("Bearer other-aud-token")).await;
    assert_eq!(r.status(), 401);
    assert!(www_auth(&r).contains("another audience"));
}

/// A WebSocket connection's token was checked at the upgrade; when it expires, the server
/// closes the connection (1008) instead of serving on with it.
#[tokio::test]
async fn a_websocket_connection_ends_when_its_token_expires() {
    use futures::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::{Message, protocol::frame::coding::CloseCode};

    let s = setup_jwt_with(true).await;
    let ws_url = s.url.replacen("http://", "ws://", 1).replacen("/mcp", "/ws", 1);
    let connect = |exp_in: u64| {
        let mut c = claims(AUD, "items:read");
        c["exp"] = json!(now() + exp_in);
        let t = token(RSA_A, Algorithm::RS256, "rsa-a", c);
        let mut req = ws_url.clone().into_client_request().unwrap();
        req.headers_mut().insert("sec-websocket-protocol", "mcp".parse().unwrap());
        req.headers_mut().insert("authorization", format!("Bearer {t}").parse().unwrap());
        async move { tokio_tungstenite::connect_async(req).await.expect("upgrade").0 }
    };
    let list = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"_meta": {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}}});
    let mut short = connect(2).await;
    let mut long = connect(600).await;
    for ws in [&mut short, &mut long] {
        ws.send(Message::text(list.to_string())).await.unwrap();
        match tokio::time::timeout(Duration::from_secs(5), ws.next()).await.unwrap() {
            Some(Ok(Message::Text(t))) => assert!(t.contains("list_items"), "{t}"),
            other => panic!("no list: {other:?}"),
        }
    }
    // The short-lived token: a close frame (policy violation) when it expires.
    let started = std::time::Instant::now();
    let closed = loop {
        match tokio::time::timeout(Duration::from_secs(6), short.next()).await.expect("closed in time") {
            Some(Ok(Message::Close(Some(f)))) => break f,
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    };
    assert_eq!(closed.code, CloseCode::Policy, "{closed:?}");
    assert!(closed.reason.contains("expired"), "{closed:?}");
    assert!(started.elapsed() < Duration::from_secs(4), "closed after {:?}", started.elapsed());
    // The long-lived one still serves.
    long.send(Message::text(list.to_string())).await.unwrap();
    match tokio::time::timeout(Duration::from_secs(5), long.next()).await.unwrap() {
        Some(Ok(Message::Text(t))) => assert!(t.contains("list_items"), "{t}"),
        other => panic!("the connection with a valid token ended: {other:?}"),
    }
}
