//! JWT verification against a JWKS fetched over HTTP and cached.

use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};

use super::{AuthError, AuthMethod, Principal, Secret};

/// How JWTs are checked.
#[derive(Debug, Clone)]
pub struct JwtConfig {
    /// Where the signing keys are published (`https://issuer/.well-known/jwks.json`).
    pub jwks_url: String,
    /// Accepted issuers (`iss`); empty accepts any (not recommended).
    pub issuers: Vec<String>,
    /// Accepted audiences (`aud`): this server's canonical URI (RFC 8707). Empty accepts any
    /// (only for tests: tokens for other services would then be accepted).
    pub audiences: Vec<String>,
    /// Accepted signature algorithms (RS256 and ES256 by default; HMAC and `none` are never
    /// accepted with JWKS keys).
    pub algorithms: Vec<Algorithm>,
    /// Clock skew allowed for `exp` and `nbf`, in seconds.
    pub leeway_secs: u64,
    /// How long fetched keys are used before they are fetched again.
    pub refresh: Duration,
    /// The least time between two fetches caused by unknown key ids.
    pub min_refetch: Duration,
}

impl JwtConfig {
    /// A configuration with the defaults: RS256/ES256, 60 s leeway, keys refreshed every
    /// 10 minutes, an unknown `kid` refetches at most every 30 s.
    pub fn new(jwks_url: &str) -> JwtConfig {
        JwtConfig {
            jwks_url: jwks_url.to_owned(),
            issuers: Vec::new(),
            audiences: Vec::new(),
            algorithms: vec![Algorithm::RS256, Algorithm::ES256],
            leeway_secs: 60,
            refresh: Duration::from_secs(600),
            min_refetch: Duration::from_secs(30),
        }
    }
}

struct Keys {
    set: JwkSet,
    fetched: Instant,
}

/// Verifies JWTs; keeps the JWKS cached, picks up rotations.
pub struct JwtVerifier {
    config: JwtConfig,
    client: reqwest::Client,
    keys: ArcSwap<Option<Keys>>,
    /// When a fetch for an unknown key id last happened (such fetches are rate-limited).
    last_forced: tokio::sync::Mutex<Option<Instant>>,
}

impl std::fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtVerifier").field("jwks_url", &self.config.jwks_url).finish()
    }
}

const HMAC: [Algorithm; 3] = [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512];

impl JwtVerifier {
    /// A verifier; keys are fetched on first use, again every `refresh`, and when a token names
    /// a key id the cached set lacks (at most once per `min_refetch`).
    pub fn new(mut config: JwtConfig) -> Result<JwtVerifier, String> {
        config.algorithms.retain(|a| !HMAC.contains(a));
        if config.algorithms.is_empty() {
            return Err("no asymmetric algorithm allowed: JWKS keys are public keys (RS*, PS*, ES*, EdDSA)".into());
        }
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::limited(3))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(JwtVerifier {
            config,
            client,
            keys: ArcSwap::from_pointee(None),
            last_forced: tokio::sync::Mutex::new(None),
        })
    }

    async fn fetch(&self, force: bool) -> Result<(), AuthError> {
        // One fetch at a time; a caller that waited finds the keys another one just fetched.
        let mut last_forced = self.last_forced.lock().await;
        if force {
            if last_forced.is_some_and(|t| t.elapsed() < self.config.min_refetch) {
                return Ok(());
            }
            *last_forced = Some(Instant::now());
        } else if !self.stale() {
            return Ok(());
        }
        let resp = self
            .client
            .get(&self.config.jwks_url)
            .send()
            .await
            .map_err(|e| AuthError::Unavailable(format!("JWKS {}: {e}", self.config.jwks_url)))?;
        if !resp.status().is_success() {
            return Err(AuthError::Unavailable(format!("JWKS {}: HTTP {}", self.config.jwks_url, resp.status())));
        }
        let bytes =
            resp.bytes().await.map_err(|e| AuthError::Unavailable(format!("JWKS {}: {e}", self.config.jwks_url)))?;
        let set: JwkSet = serde_json::from_slice(&bytes)
            .map_err(|e| AuthError::Unavailable(format!("JWKS {}: not a key set ({e})", self.config.jwks_url)))?;
        self.keys.store(Arc::new(Some(Keys { set, fetched: Instant::now() })));
        Ok(())
    }

    fn key(&self, kid: Option<&str>, alg: Algorithm) -> Option<DecodingKey> {
        let guard = self.keys.load();
        let keys = guard.as_ref().as_ref()?;
        let jwk = match kid {
            Some(k) => keys.set.find(k)?,
            None if keys.set.keys.len() == 1 => keys.set.keys.first()?,
            None => return None,
        };
        if let Some(key_alg) = jwk.common.key_algorithm
            && key_alg.to_string() != format!("{alg:?}")
        {
            return None;
        }
        DecodingKey::from_jwk(jwk).ok()
    }

    fn stale(&self) -> bool {
        self.keys.load().as_ref().as_ref().is_none_or(|k| k.fetched.elapsed() >= self.config.refresh)
    }

    /// Verifies a token: signature with a JWKS key of an allowed algorithm, `exp`/`nbf` with
    /// leeway, issuer and audience.
    pub async fn verify(&self, token: &str) -> Result<Principal, AuthError> {
        let header = decode_header(token).map_err(|_| AuthError::InvalidToken("not a well-formed JWT".into()))?;
        if !self.config.algorithms.contains(&header.alg) {
            return Err(AuthError::InvalidToken(format!("algorithm {:?} is not allowed", header.alg)));
        }
        if self.stale() {
            self.fetch(false).await?;
        }
        let kid = header.kid.as_deref();
        let key = match self.key(kid, header.alg) {
            Some(k) => k,
            None => {
                // an unknown key id: the keys may have rotated; fetch again (rate-limited)
                self.fetch(true).await?;
                self.key(kid, header.alg).ok_or_else(|| AuthError::InvalidToken("signed by an unknown key".into()))?
            }
        };
        let mut v = Validation::new(header.alg);
        v.leeway = self.config.leeway_secs;
        v.validate_nbf = true;
        v.set_required_spec_claims(&["exp"]);
        if self.config.issuers.is_empty() {
            v.iss = None;
        } else {
            v.set_issuer(&self.config.issuers);
        }
        if self.config.audiences.is_empty() {
            v.validate_aud = false;
        } else {
            v.set_audience(&self.config.audiences);
        }
        let data = decode::<serde_json::Value>(token, &key, &v).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind as K;
            AuthError::InvalidToken(
                match e.kind() {
                    K::ExpiredSignature => "the token has expired",
                    K::ImmatureSignature => "the token is not valid yet",
                    K::InvalidAudience => "the token was issued for another audience",
                    K::InvalidIssuer => "the token was issued by another issuer",
                    K::InvalidSignature => "the signature does not verify",
                    K::InvalidAlgorithm => "the algorithm does not match the key",
                    K::MissingRequiredClaim(_) => "a required claim is missing",
                    _ => "the token is not valid",
                }
                .to_owned(),
            )
        })?;
        let claims = data.claims;
        Ok(Principal {
            subject: claims.get("sub").and_then(|s| s.as_str()).map(str::to_owned),
            scopes: Principal::scopes_from_claims(&claims),
            method: AuthMethod::Jwt,
            token: Some(Secret::new(token)),
            claims: Some(claims),
        })
    }
}
