//! RFC 7662 token introspection, with a short cache.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::{AuthError, AuthMethod, Principal, Secret};

/// Where and how to introspect tokens.
#[derive(Debug, Clone)]
pub struct IntrospectionConfig {
    /// The introspection endpoint.
    pub url: String,
    /// This server's client id at the authorization server.
    pub client_id: String,
    /// Its client secret.
    pub client_secret: Secret,
    /// Accepted audiences (`aud` in the response); empty accepts any.
    pub audiences: Vec<String>,
    /// How long an answer is reused (never beyond the token's `exp`).
    pub cache: Duration,
}

/// Checks tokens with the authorization server.
pub struct Introspector {
    config: IntrospectionConfig,
    client: reqwest::Client,
    cache: Mutex<HashMap<u64, (Instant, Principal)>>,
}

impl std::fmt::Debug for Introspector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Introspector").field("url", &self.config.url).finish()
    }
}

fn key(token: &str) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    // a per-process random hasher: cache keys reveal nothing about tokens
    static STATE: std::sync::OnceLock<std::collections::hash_map::RandomState> = std::sync::OnceLock::new();
    let mut h = STATE.get_or_init(Default::default).build_hasher();
    h.write(token.as_bytes());
    h.finish()
}

impl Introspector {
    /// An introspector.
    pub fn new(config: IntrospectionConfig) -> Result<Introspector, String> {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().map_err(|e| e.to_string())?;
        Ok(Introspector { config, client, cache: Mutex::new(HashMap::new()) })
    }

    /// Asks the authorization server whether the token is active.
    pub async fn verify(&self, token: &str) -> Result<Principal, AuthError> {
        let k = key(token);
        if let Some((until, p)) = self.cache.lock().unwrap_or_else(|e| e.into_inner()).get(&k)
            && Instant::now() < *until
        {
            return Ok(p.clone());
        }
        let body = format!("token={}&token_type_hint=access_token", toolgate_tools::serialize::encode(token));
        let resp = self
            .client
            .post(&self.config.url)
            .basic_auth(&self.config.client_id, Some(self.config.client_secret.expose()))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| AuthError::Unavailable(format!("introspection at {}: {e}", self.config.url)))?;
        if !resp.status().is_success() {
            return Err(AuthError::Unavailable(format!(
                "introspection at {}: HTTP {}",
                self.config.url,
                resp.status()
            )));
        }
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| AuthError::Unavailable(format!("introspection at {}: {e}", self.config.url)))?;
        let v: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|_| AuthError::Unavailable("introspection answered with something other than JSON".into()))?;
        if v.get("active") != Some(&serde_json::Value::Bool(true)) {
            return Err(AuthError::InvalidToken("the token is not active".into()));
        }
        if !self.config.audiences.is_empty() {
            let ok = match v.get("aud") {
                Some(serde_json::Value::String(a)) => self.config.audiences.iter().any(|x| x == a),
                Some(serde_json::Value::Array(list)) => {
                    list.iter().filter_map(|a| a.as_str()).any(|a| self.config.audiences.iter().any(|x| x == a))
                }
                _ => false,
            };
            if !ok {
                return Err(AuthError::InvalidToken("the token was issued for another audience".into()));
            }
        }
        let p = Principal {
            subject: v.get("sub").and_then(|s| s.as_str()).map(str::to_owned),
            scopes: Principal::scopes_from_claims(&v),
            method: AuthMethod::Introspection,
            token: Some(Secret::new(token)),
            claims: Some(v.clone()),
        };
        let mut until = Instant::now() + self.config.cache;
        if let Some(exp) = v.get("exp").and_then(|e| e.as_u64()) {
            let now =
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
            until = until.min(Instant::now() + Duration::from_secs(exp.saturating_sub(now)));
        }
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() > 10_000 {
            cache.retain(|_, (t, _)| Instant::now() < *t);
        }
        cache.insert(k, (until, p.clone()));
        Ok(p)
    }
}
