//! Authentication and authorization of MCP callers (the inbound side).
//!
//! The MCP endpoint is an OAuth 2.1 resource server: a [`layer`] in front of it reads the
//! `Authorization: Bearer` token, verifies it (static keys, JWT against a JWKS, or RFC 7662
//! introspection), and puts the resulting [`Principal`] into the request, where the catalog uses
//! it to show and allow only the tools the caller may use. Missing or bad tokens get 401 with
//! `WWW-Authenticate: Bearer resource_metadata="…"` (RFC 9728); missing scopes get 403
//! `insufficient_scope` naming the scopes needed (step-up).

mod introspect;
mod jwt;
mod keys;
mod layer;

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

pub use introspect::{IntrospectionConfig, Introspector};
pub use jwt::{JwtConfig, JwtVerifier};
pub use keys::StaticKeys;
pub use layer::{AuthLayerState, FilterTools, ToolAccess, metadata_router, require_auth};

/// A secret string: never printed by `Debug` or `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }

    /// The secret itself. Call only where it must be used (a header value, a comparison).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// How a caller was authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    /// No credentials (allowed only when the configuration allows anonymous callers).
    Anonymous,
    /// A static bearer token / API key.
    StaticKey,
    /// A JWT verified against a JWKS.
    Jwt,
    /// A token checked with RFC 7662 introspection.
    Introspection,
}

/// The authenticated caller: who, with which scopes, and the token it presented.
#[derive(Debug, Clone)]
pub struct Principal {
    /// `sub`, or the name given to a static key.
    pub subject: Option<String>,
    /// Granted scopes.
    pub scopes: BTreeSet<String>,
    /// How it was authenticated.
    pub method: AuthMethod,
    /// The token as presented (for forwarding to a same-audience app, when configured).
    pub token: Option<Secret>,
    /// The token's claims (JWT payload or introspection response), when there are any.
    pub claims: Option<serde_json::Value>,
}

impl Principal {
    /// The anonymous caller.
    pub fn anonymous() -> Principal {
        Principal { subject: None, scopes: BTreeSet::new(), method: AuthMethod::Anonymous, token: None, claims: None }
    }

    /// Whether the caller presented valid credentials.
    pub fn is_authenticated(&self) -> bool {
        self.method != AuthMethod::Anonymous
    }

    /// Whether every scope in `needed` is granted.
    pub fn has_scopes<'a>(&self, needed: impl IntoIterator<Item = &'a String>) -> bool {
        needed.into_iter().all(|s| self.scopes.contains(s))
    }

    /// Scopes from a `scope` claim (space-separated) or an `scp` claim (array or string).
    pub(crate) fn scopes_from_claims(claims: &serde_json::Value) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for key in ["scope", "scp"] {
            match claims.get(key) {
                Some(serde_json::Value::String(s)) => out.extend(s.split_whitespace().map(str::to_owned)),
                Some(serde_json::Value::Array(a)) => out.extend(a.iter().filter_map(|v| v.as_str()).map(str::to_owned)),
                _ => {}
            }
        }
        out
    }
}

/// Why a token was refused. Messages never contain the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The token is not valid (bad signature, expired, wrong audience, unknown, …).
    #[error("{0}")]
    InvalidToken(String),
    /// The token could not be checked right now (JWKS or introspection endpoint unreachable).
    #[error("the token could not be checked: {0}")]
    Unavailable(String),
}

/// One way to verify bearer tokens.
#[derive(Clone)]
pub enum Verifier {
    /// Static tokens / API keys.
    Keys(Arc<StaticKeys>),
    /// JWTs signed by keys from a JWKS.
    Jwt(Arc<JwtVerifier>),
    /// RFC 7662 token introspection.
    Introspection(Arc<Introspector>),
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verifier::Keys(k) => write!(f, "Keys({} keys)", k.len()),
            Verifier::Jwt(_) => f.write_str("Jwt"),
            Verifier::Introspection(_) => f.write_str("Introspection"),
        }
    }
}

impl Verifier {
    /// Verifies a bearer token.
    pub async fn verify(&self, token: &str) -> Result<Principal, AuthError> {
        match self {
            Verifier::Keys(k) => k.verify(token),
            Verifier::Jwt(j) => j.verify(token).await,
            Verifier::Introspection(i) => i.verify(token).await,
        }
    }
}

/// How the MCP endpoint authenticates callers.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// Token verifiers, tried in order; the first that accepts the token wins.
    pub verifiers: Vec<Verifier>,
    /// The canonical URI of the MCP endpoint (`https://mcp.example.com/mcp`): published in the
    /// protected resource metadata. JWT audiences should name it (RFC 8707).
    pub resource: Option<String>,
    /// Authorization servers that issue tokens for this resource (RFC 9728).
    pub authorization_servers: Vec<String>,
    /// Scopes every caller needs.
    pub required_scopes: Vec<String>,
    /// Scopes advertised in the metadata (`scopes_supported`).
    pub scopes_supported: Vec<String>,
    /// Let callers without a token in; they only see and call tools that need no
    /// authentication (operations with `security: []`, or none at all).
    pub allow_anonymous: bool,
    /// Show each caller only the tools it may call (the default); otherwise list every tool
    /// and refuse calls without the needed scopes.
    pub filter_tools: bool,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            verifiers: Vec::new(),
            resource: None,
            authorization_servers: Vec::new(),
            required_scopes: Vec::new(),
            scopes_supported: Vec::new(),
            allow_anonymous: false,
            filter_tools: true,
        }
    }
}

impl AuthConfig {
    /// Static tokens only.
    pub fn keys(keys: StaticKeys) -> AuthConfig {
        AuthConfig { verifiers: vec![Verifier::Keys(Arc::new(keys))], ..AuthConfig::default() }
    }

    /// JWTs only.
    pub fn jwt(verifier: JwtVerifier) -> AuthConfig {
        AuthConfig { verifiers: vec![Verifier::Jwt(Arc::new(verifier))], ..AuthConfig::default() }
    }
}
