//! Credentials toolgate adds to upstream requests (the outbound side).
//!
//! The MCP caller's token is never sent to an upstream unless a mount forwards it explicitly
//! (the default only for in-process axum apps, which are the same audience). For third-party
//! APIs, configure server-side credentials instead: an API key in a header, the query or a
//! cookie, a bearer token, basic auth, or OAuth 2.0 client credentials (tokens fetched and
//! cached until they expire).

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use bytes::Bytes;
use toolgate_openapi::{ParameterLocation, SecurityScheme};

use crate::auth::Secret;

/// One credential.
#[derive(Debug, Clone)]
pub enum Credential {
    /// An API key in a header.
    Header {
        /// The header.
        name: http::HeaderName,
        /// The key.
        value: Secret,
    },
    /// An API key in the query string.
    Query {
        /// The parameter.
        name: String,
        /// The key.
        value: Secret,
    },
    /// An API key in a cookie.
    Cookie {
        /// The cookie.
        name: String,
        /// The key.
        value: Secret,
    },
    /// `Authorization: Bearer …`.
    Bearer(Secret),
    /// `Authorization: Basic …`.
    Basic {
        /// The user.
        username: String,
        /// The password.
        password: Secret,
    },
    /// OAuth 2.0 client credentials: a token fetched from the token endpoint and cached.
    ClientCredentials(Arc<ClientCredentials>),
}

/// A credential, and which operations it applies to.
#[derive(Debug, Clone)]
pub struct Outbound {
    /// The credential.
    pub credential: Credential,
    /// Apply only to operations whose security requirements name this scheme (`None`: to
    /// every request of the mount).
    pub scheme: Option<String>,
}

/// OAuth 2.0 client credentials grant, with the token cached until shortly before it expires.
pub struct ClientCredentials {
    token_url: String,
    client_id: String,
    client_secret: Secret,
    scopes: Vec<String>,
    client: reqwest::Client,
    cached: tokio::sync::Mutex<Option<(Secret, Instant)>>,
}

impl std::fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("token_url", &self.token_url)
            .field("client_id", &self.client_id)
            .finish()
    }
}

impl ClientCredentials {
    /// A client-credentials source.
    pub fn new(
        token_url: &str,
        client_id: &str,
        client_secret: Secret,
        scopes: Vec<String>,
    ) -> Result<ClientCredentials, String> {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(15)).build().map_err(|e| e.to_string())?;
        Ok(ClientCredentials {
            token_url: token_url.to_owned(),
            client_id: client_id.to_owned(),
            client_secret,
            scopes,
            client,
            cached: tokio::sync::Mutex::new(None),
        })
    }

    /// A valid access token (fetched when none is cached or it is about to expire).
    pub async fn token(&self) -> Result<Secret, String> {
        let mut cached = self.cached.lock().await;
        if let Some((t, until)) = cached.as_ref()
            && Instant::now() < *until
        {
            return Ok(t.clone());
        }
        let mut form = vec![("grant_type", "client_credentials".to_owned())];
        if !self.scopes.is_empty() {
            form.push(("scope", self.scopes.join(" ")));
        }
        let body = form
            .iter()
            .map(|(k, v)| format!("{k}={}", toolgate_tools::serialize::encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let resp = self
            .client
            .post(&self.token_url)
            .basic_auth(&self.client_id, Some(self.client_secret.expose()))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| format!("token endpoint {}: {e}", self.token_url))?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(|e| format!("token endpoint {}: {e}", self.token_url))?;
        if !status.is_success() {
            return Err(format!("token endpoint {} answered HTTP {status}", self.token_url));
        }
        let v: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|_| format!("token endpoint {} did not answer JSON", self.token_url))?;
        let token = v
            .get("access_token")
            .and_then(|t| t.as_str())
            .ok_or_else(|| format!("token endpoint {} gave no access_token", self.token_url))?;
        let ttl = v.get("expires_in").and_then(|e| e.as_u64()).unwrap_or(300);
        let token = Secret::new(token);
        *cached = Some((token.clone(), Instant::now() + Duration::from_secs(ttl.saturating_sub(30).max(1))));
        Ok(token)
    }
}

impl Credential {
    /// Adds the credential to a request.
    pub(crate) async fn apply(&self, req: &mut http::Request<Bytes>) -> Result<(), String> {
        let header = |v: String| {
            http::HeaderValue::from_str(&v).map_err(|_| "the credential is not a valid header value".to_owned())
        };
        match self {
            Credential::Header { name, value } => {
                let mut v = header(value.expose().to_owned())?;
                v.set_sensitive(true);
                req.headers_mut().insert(name.clone(), v);
            }
            Credential::Bearer(t) => {
                let mut v = header(format!("Bearer {}", t.expose()))?;
                v.set_sensitive(true);
                req.headers_mut().insert(http::header::AUTHORIZATION, v);
            }
            Credential::Basic { username, password } => {
                let raw = format!("{username}:{}", password.expose());
                let mut v = header(format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(raw)))?;
                v.set_sensitive(true);
                req.headers_mut().insert(http::header::AUTHORIZATION, v);
            }
            Credential::ClientCredentials(cc) => {
                let t = cc.token().await?;
                let mut v = header(format!("Bearer {}", t.expose()))?;
                v.set_sensitive(true);
                req.headers_mut().insert(http::header::AUTHORIZATION, v);
            }
            Credential::Cookie { name, value } => {
                let pair = format!("{name}={}", toolgate_tools::serialize::encode(value.expose()));
                let merged = match req.headers().get(http::header::COOKIE).and_then(|c| c.to_str().ok()) {
                    Some(existing) => format!("{existing}; {pair}"),
                    None => pair,
                };
                let mut v = header(merged)?;
                v.set_sensitive(true);
                req.headers_mut().insert(http::header::COOKIE, v);
            }
            Credential::Query { name, value } => {
                let uri = req.uri().clone();
                let pair = format!(
                    "{}={}",
                    toolgate_tools::serialize::encode(name),
                    toolgate_tools::serialize::encode(value.expose())
                );
                let pq = match uri.path_and_query() {
                    Some(pq) => match pq.query() {
                        Some(q) if !q.is_empty() => format!("{}?{q}&{pair}", pq.path()),
                        _ => format!("{}?{pair}", pq.path()),
                    },
                    None => format!("/?{pair}"),
                };
                let mut parts = uri.into_parts();
                parts.path_and_query = Some(pq.parse().map_err(|_| "the credential does not fit in a URL".to_owned())?);
                *req.uri_mut() =
                    http::Uri::from_parts(parts).map_err(|_| "the credential does not fit in a URL".to_owned())?;
            }
        }
        Ok(())
    }

    /// A credential for a security scheme of the document, from environment variables named
    /// after the scheme: `TOOLGATE_AUTH_<SCHEME>` (the key or token), or
    /// `…_USERNAME`/`…_PASSWORD` (basic), or `…_CLIENT_ID`/`…_CLIENT_SECRET` (OAuth 2.0
    /// client credentials). `<SCHEME>` is the scheme's name in upper case with non-alphanumerics
    /// as `_`. Returns `None` when the variables are not set.
    pub fn from_env(
        scheme_name: &str,
        scheme: &SecurityScheme,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Option<Result<Credential, String>> {
        let prefix = format!(
            "TOOLGATE_AUTH_{}",
            scheme_name
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' })
                .collect::<String>()
        );
        let get = |suffix: &str| env(&format!("{prefix}{suffix}")).filter(|v| !v.is_empty());
        match scheme {
            SecurityScheme::ApiKey { name, location } => {
                let value = Secret::new(get("")?);
                Some(match location {
                    ParameterLocation::Query => Ok(Credential::Query { name: name.clone(), value }),
                    ParameterLocation::Cookie => Ok(Credential::Cookie { name: name.clone(), value }),
                    _ => http::HeaderName::from_bytes(name.as_bytes())
                        .map(|name| Credential::Header { name, value })
                        .map_err(|_| format!("security scheme `{scheme_name}`: `{name}` is not a header name")),
                })
            }
            SecurityScheme::Http { scheme: s, .. } if s == "basic" => {
                Some(Ok(Credential::Basic { username: get("_USERNAME")?, password: Secret::new(get("_PASSWORD")?) }))
            }
            SecurityScheme::Http { .. } | SecurityScheme::OpenIdConnect { .. } => {
                Some(Ok(Credential::Bearer(Secret::new(get("")?))))
            }
            SecurityScheme::OAuth2 { flows } => {
                if let Some(token) = get("") {
                    return Some(Ok(Credential::Bearer(Secret::new(token))));
                }
                let id = get("_CLIENT_ID")?;
                let secret = get("_CLIENT_SECRET")?;
                let flow = flows.iter().find(|f| f.kind == "clientCredentials" && f.token_url.is_some());
                let Some(flow) = flow else {
                    return Some(Err(format!(
                        "security scheme `{scheme_name}` has no clientCredentials flow with a tokenUrl"
                    )));
                };
                let url = flow.token_url.clone().unwrap_or_default();
                Some(
                    ClientCredentials::new(&url, &id, Secret::new(secret), flow.scopes.clone())
                        .map(|c| Credential::ClientCredentials(Arc::new(c))),
                )
            }
            _ => None,
        }
    }
}

/// Credentials for every security scheme of a document that has its environment variables set.
pub fn credentials_from_env(api: &toolgate_openapi::Api) -> Result<Vec<Outbound>, String> {
    let env = |k: &str| std::env::var(k).ok();
    let mut out = Vec::new();
    for (name, scheme) in &api.security_schemes {
        if let Some(c) = Credential::from_env(name, scheme, &env) {
            out.push(Outbound { credential: c?, scheme: Some(name.clone()) });
        }
    }
    Ok(out)
}
