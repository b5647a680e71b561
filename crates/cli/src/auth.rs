//! Authentication settings from the command line.

use std::sync::Arc;

use toolgate::auth::{
    AuthConfig, IntrospectionConfig, Introspector, JwtConfig, JwtVerifier, Secret, StaticKeys, Verifier,
};

use crate::args::AuthArgs;
use crate::common::Error;

/// The inbound authentication configured by the flags, if any.
pub fn config(a: &AuthArgs) -> Result<Option<AuthConfig>, Error> {
    let mut verifiers = Vec::new();
    let mut keys_text = String::new();
    if let Some(var) = &a.auth_keys_env {
        let v =
            std::env::var(var).map_err(|_| format!("--auth-keys-env: the environment variable {var} is not set"))?;
        keys_text.push_str(&v.replace(',', "\n"));
        keys_text.push('\n');
    }
    if let Some(file) = &a.auth_keys_file {
        let t = std::fs::read_to_string(file).map_err(|e| format!("--auth-keys-file {}: {e}", file.display()))?;
        keys_text.push_str(&t);
    }
    if !keys_text.trim().is_empty() {
        let keys = StaticKeys::parse(&keys_text).map_err(|e| format!("static tokens: {e}"))?;
        verifiers.push(Verifier::Keys(Arc::new(keys)));
    }
    if let Some(jwks) = &a.jwt_jwks {
        let mut c = JwtConfig::new(jwks);
        c.issuers = a.jwt_issuers.clone();
        c.audiences =
            if a.jwt_audiences.is_empty() { a.resource.iter().cloned().collect() } else { a.jwt_audiences.clone() };
        if c.audiences.is_empty() {
            return Err(
                "--jwt-jwks needs --resource or --jwt-audience: tokens must be issued for this server (RFC 8707)"
                    .into(),
            );
        }
        if !a.jwt_algorithms.is_empty() {
            c.algorithms = a
                .jwt_algorithms
                .iter()
                .map(|s| s.parse().map_err(|_| format!("--jwt-algorithm: unknown algorithm `{s}`")))
                .collect::<Result<_, _>>()?;
        }
        verifiers.push(Verifier::Jwt(Arc::new(JwtVerifier::new(c)?)));
    }
    if let Some(url) = &a.introspection_url {
        let client_id =
            a.introspection_client_id.clone().ok_or("--introspection-url needs --introspection-client-id")?;
        let secret = std::env::var("TOOLGATE_INTROSPECTION_SECRET")
            .map_err(|_| "--introspection-url needs the client secret in TOOLGATE_INTROSPECTION_SECRET")?;
        let c = IntrospectionConfig {
            url: url.clone(),
            client_id,
            client_secret: Secret::new(secret),
            audiences: a.resource.iter().cloned().collect(),
            cache: std::time::Duration::from_secs(60),
        };
        verifiers.push(Verifier::Introspection(Arc::new(Introspector::new(c)?)));
    }
    if verifiers.is_empty() {
        return Ok(None);
    }
    Ok(Some(AuthConfig {
        verifiers,
        resource: a.resource.clone(),
        authorization_servers: a.authorization_servers.clone(),
        required_scopes: a.required_scopes.clone(),
        scopes_supported: Vec::new(),
        allow_anonymous: a.allow_anonymous,
        filter_tools: !a.list_all_tools,
    }))
}
