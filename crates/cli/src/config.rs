//! The gateway configuration file (TOML): where to listen, who may call, and the APIs to
//! serve. `examples/gateway.toml` documents every key.
//!
//! Reading a file: the TOML is parsed with the position of every value kept; `${NAME}` in
//! string values is replaced by the environment variable `NAME` (an unset variable is an error
//! naming it and its place; `$${` gives a literal `${`); then the result is read into
//! [`Config`], where an unknown key is an error at its place. Every error reads
//! `FILE:LINE:COLUMN: what`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

/// A whole configuration file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// Path of the MCP endpoint.
    #[serde(default = "default_path")]
    pub path: String,
    /// Host names clients use (DNS-rebinding guard); loopback names are always allowed.
    #[serde(default)]
    pub allowed_hosts: Vec<String>,
    /// Accept any Host header (behind a proxy that checks it).
    #[serde(default)]
    pub allow_any_host: bool,
    /// Browser origins allowed to call.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// Serve without authentication on a non-loopback address.
    #[serde(default)]
    pub allow_unauthenticated: bool,
    /// Also serve MCP over WebSocket at this path (e.g. `/ws`; the same checks and auth).
    #[serde(default)]
    pub websocket: Option<String>,
    /// Reload when this file or a document file changes (polled every second), and on SIGHUP.
    #[serde(default = "yes")]
    pub watch: bool,
    /// How the server introduces itself.
    #[serde(default)]
    pub server: ServerSection,
    /// How MCP callers authenticate.
    #[serde(default)]
    pub auth: AuthSection,
    /// Rate limits on tool calls.
    #[serde(default)]
    pub rate_limit: RateLimitSection,
    /// The APIs served (`[[mount]]`).
    #[serde(default, rename = "mount")]
    pub mounts: Vec<Spanned<MountConfig>>,
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8080))
}

fn default_path() -> String {
    "/mcp".into()
}

fn yes() -> bool {
    true
}

/// `[server]`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSection {
    /// `serverInfo.name` (default `toolgate`).
    pub name: Option<String>,
    /// `serverInfo.title`.
    pub title: Option<String>,
    /// Instructions for the model.
    pub instructions: Option<String>,
}

/// `[auth]`: the same settings as the `--auth-*`, `--jwt-*`, … flags of `toolgate serve`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSection {
    pub keys_env: Option<String>,
    pub keys_file: Option<PathBuf>,
    pub jwt_jwks: Option<String>,
    #[serde(default)]
    pub jwt_issuers: Vec<String>,
    #[serde(default)]
    pub jwt_audiences: Vec<String>,
    #[serde(default)]
    pub jwt_algorithms: Vec<String>,
    pub introspection_url: Option<String>,
    pub introspection_client_id: Option<String>,
    pub resource: Option<String>,
    #[serde(default)]
    pub authorization_servers: Vec<String>,
    #[serde(default)]
    pub required_scopes: Vec<String>,
    #[serde(default)]
    pub allow_anonymous: bool,
    #[serde(default)]
    pub list_all_tools: bool,
}

/// `[rate_limit]`: the same settings as the `--rate-limit*` flags of `toolgate serve`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitSection {
    /// Tool calls each caller may make, across all tools (`60/min`, `10/s`, `60/min, burst 10`).
    pub rate: Option<String>,
    /// How many calls a caller may make at once.
    pub burst: Option<u32>,
    /// Quotas of single tools (`send_email = "5/hour"`, `health = "none"`).
    #[serde(default)]
    pub tools: BTreeMap<String, String>,
    /// Keep the counts in Redis (`redis://…`).
    pub redis: Option<String>,
    /// Key prefix in Redis.
    pub prefix: Option<String>,
    /// `open`, `closed` or `local` (default).
    pub on_redis_error: Option<String>,
    /// Header with the client's address, behind a proxy.
    pub client_ip_header: Option<String>,
    /// Every HTTP request, per client address.
    pub http_rate: Option<String>,
}

impl RateLimitSection {
    /// The same settings as flags.
    pub fn to_args(&self) -> Result<crate::limit_args::LimitArgs, String> {
        use crate::limit_args::{LimitArgs, OnRedisError};
        let quota = |what: &str, v: &Option<String>| -> Result<Option<toolgate::limit::Quota>, String> {
            v.as_deref().map(|r| r.parse().map_err(|e| format!("{what}: {e}"))).transpose()
        };
        if self.burst.is_some() && self.rate.is_none() {
            return Err("`burst` needs `rate`".into());
        }
        Ok(LimitArgs {
            rate_limit: quota("rate", &self.rate)?,
            rate_limit_burst: match self.burst {
                Some(b) => Some(std::num::NonZeroU32::new(b).ok_or("`burst` must be at least 1")?),
                None => None,
            },
            rate_limit_tools: self.tools.iter().map(|(k, v)| format!("{k}={v}")).collect(),
            rate_limit_redis: self.redis.clone(),
            rate_limit_prefix: self.prefix.clone().unwrap_or_else(|| "toolgate:ratelimit".into()),
            rate_limit_on_redis_error: match self.on_redis_error.as_deref() {
                None | Some("local") => OnRedisError::Local,
                Some("open") => OnRedisError::Open,
                Some("closed") => OnRedisError::Closed,
                Some(other) => return Err(format!("on_redis_error: `{other}` is not open, closed or local")),
            },
            http_rate_limit: quota("http_rate", &self.http_rate)?,
            rate_limit_client_ip_header: self.client_ip_header.clone(),
        })
    }
}

/// How output schemas are advertised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputSchemasName {
    Tolerant,
    Strict,
    Off,
}

/// One `[[mount]]`: an API, its document and how its operations become tools.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MountConfig {
    /// A label for messages (default: the namespace, else the document).
    pub name: Option<String>,
    /// The OpenAPI document: a file (relative to the configuration file) or an http(s) URL.
    pub openapi: String,
    /// Base URL of the API (default: the document's first server).
    pub upstream: Option<String>,
    /// Prefix of every tool name (`NAMESPACE_`).
    pub namespace: Option<String>,
    #[serde(default)]
    pub include_operations: Vec<String>,
    #[serde(default)]
    pub exclude_operations: Vec<String>,
    #[serde(default)]
    pub include_tags: Vec<String>,
    #[serde(default)]
    pub exclude_tags: Vec<String>,
    #[serde(default)]
    pub include_methods: Vec<String>,
    #[serde(default)]
    pub exclude_methods: Vec<String>,
    #[serde(default)]
    pub include_paths: Vec<String>,
    #[serde(default)]
    pub exclude_paths: Vec<String>,
    #[serde(default)]
    pub include_deprecated: bool,
    /// Longest tool name, 16 to 128 (the namespace counts).
    pub max_name_len: Option<usize>,
    /// About how many bytes each tool schema may take (see `--max-schema-bytes`).
    pub max_schema_bytes: Option<usize>,
    pub output_schemas: Option<OutputSchemasName>,
    /// Follow `$ref`s to files in the document's directory.
    #[serde(default)]
    pub allow_external_refs: bool,
    /// Leave broken operations out instead of refusing the document.
    #[serde(default)]
    pub lenient: bool,
    /// Headers of the MCP request copied onto each upstream request.
    #[serde(default)]
    pub forward_headers: Vec<String>,
    /// Headers set on every upstream request.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Upstream credentials by security scheme name of the document.
    #[serde(default)]
    pub credentials: BTreeMap<String, Spanned<CredentialConfig>>,
    /// Timeout of each call, in seconds (default 30).
    pub timeout: Option<f64>,
    /// Largest upstream response read, in bytes (default 262144).
    pub max_response_bytes: Option<usize>,
    /// Poll a URL document this often (seconds) and reload when it changed.
    pub reload_interval: Option<f64>,
}

/// A credential: the key or token itself, or a table.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum CredentialConfig {
    /// An API key, or a bearer token.
    Value(String),
    /// `{ username, password }` (HTTP basic), `{ client_id, client_secret }` (OAuth 2.0 client
    /// credentials) or `{ token }`.
    Table(CredentialTable),
}

/// The table form of a credential.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialTable {
    pub token: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
}

impl MountConfig {
    /// A label for messages.
    pub fn label(&self, index: usize) -> String {
        match self.name.as_deref().or(self.namespace.as_deref()) {
            Some(n) => format!("mount #{} `{n}`", index + 1),
            None => format!("mount #{} ({})", index + 1, self.openapi),
        }
    }
}

/// A configuration file, read.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The file.
    pub path: PathBuf,
    /// Its text (to turn byte offsets into lines).
    pub text: String,
    /// What it says.
    pub config: Config,
}

impl Loaded {
    /// `FILE:LINE:COLUMN` of a byte range of the file.
    pub fn at(&self, span: &Range<usize>) -> String {
        place(&self.path, &self.text, span.start)
    }

    /// The directory relative paths are relative to.
    pub fn dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }

    /// A path of the file made absolute against the file's directory.
    pub fn resolve(&self, p: &Path) -> PathBuf {
        if p.is_absolute() { p.to_owned() } else { self.dir().join(p) }
    }
}

/// `FILE:LINE:COLUMN` (1-based) of a byte offset.
fn place(path: &Path, text: &str, offset: usize) -> String {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    format!("{}:{line}:{col}", path.display())
}

/// Reads a configuration file, with the environment from `env`.
pub fn load(path: &Path, env: &dyn Fn(&str) -> Option<String>) -> Result<Loaded, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let config = parse(path, &text, env)?;
    Ok(Loaded { path: path.to_owned(), text, config })
}

/// Parses configuration text (`path` is for messages).
pub fn parse(path: &Path, text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Config, String> {
    let at = |span: Option<Range<usize>>| match span {
        Some(s) => place(path, text, s.start),
        None => path.display().to_string(),
    };
    let mut table = toml::de::DeTable::parse(text).map_err(|e| format!("{}: {}", at(e.span()), e.message().trim()))?;
    interpolate_table(table.get_mut(), env).map_err(|(span, msg)| format!("{}: {msg}", at(Some(span))))?;
    Config::deserialize(toml::de::Deserializer::from(table))
        .map_err(|e| format!("{}: {}", at(e.span()), e.message().trim()))
}

type Interp = Result<(), (Range<usize>, String)>;

fn interpolate_table(table: &mut toml::de::DeTable<'_>, env: &dyn Fn(&str) -> Option<String>) -> Interp {
    for (_, v) in table.iter_mut() {
        interpolate_value(v, env)?;
    }
    Ok(())
}

fn interpolate_value(v: &mut Spanned<toml::de::DeValue<'_>>, env: &dyn Fn(&str) -> Option<String>) -> Interp {
    let span = v.span();
    match v.get_mut() {
        toml::de::DeValue::String(s) if s.contains('$') => {
            let replaced = interpolate(s, env).map_err(|m| (span, m))?;
            *s = std::borrow::Cow::Owned(replaced);
        }
        toml::de::DeValue::Array(a) => {
            for item in a.iter_mut() {
                interpolate_value(item, env)?;
            }
        }
        toml::de::DeValue::Table(t) => interpolate_table(t, env)?,
        _ => {}
    }
    Ok(())
}

/// Replaces `${NAME}` with the variable's value; `$${` is a literal `${`; other `$` stay.
pub fn interpolate(s: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(tail) = after.strip_prefix("${") {
            out.push_str("${");
            rest = tail;
        } else if let Some(tail) = after.strip_prefix('{') {
            let Some(end) = tail.find('}') else {
                return Err("`${` without a closing `}` (write `$${` for a literal `${`)".into());
            };
            let name = &tail[..end];
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(format!("`${{{name}}}`: a variable name is letters, digits and `_`"));
            }
            match env(name) {
                Some(v) => out.push_str(&v),
                None => return Err(format!("environment variable `{name}` is not set")),
            }
            rest = &tail[end + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

impl AuthSection {
    /// The same settings as flags, for [`crate::auth::config`]; relative files are resolved
    /// against `dir`.
    pub fn to_args(&self, dir: &Path) -> crate::args::AuthArgs {
        crate::args::AuthArgs {
            auth_keys_env: self.keys_env.clone(),
            auth_keys_file: self.keys_file.as_ref().map(|f| if f.is_absolute() { f.clone() } else { dir.join(f) }),
            jwt_jwks: self.jwt_jwks.clone(),
            jwt_issuers: self.jwt_issuers.clone(),
            jwt_audiences: self.jwt_audiences.clone(),
            jwt_algorithms: self.jwt_algorithms.clone(),
            introspection_url: self.introspection_url.clone(),
            introspection_client_id: self.introspection_client_id.clone(),
            resource: self.resource.clone(),
            authorization_servers: self.authorization_servers.clone(),
            required_scopes: self.required_scopes.clone(),
            allow_anonymous: self.allow_anonymous,
            list_all_tools: self.list_all_tools,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(k: &str) -> Option<String> {
        match k {
            "KEY" => Some("s3cret".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn interpolation() {
        assert_eq!(interpolate("a ${KEY} b", &env).unwrap(), "a s3cret b");
        assert_eq!(interpolate("${KEY}${EMPTY}${KEY}", &env).unwrap(), "s3crets3cret");
        assert_eq!(interpolate("$${KEY} $5 $", &env).unwrap(), "${KEY} $5 $");
        assert_eq!(interpolate("${NOPE}", &env).unwrap_err(), "environment variable `NOPE` is not set");
        assert!(interpolate("${KEY", &env).is_err());
        assert!(interpolate("${A-B}", &env).is_err());
    }

    #[test]
    fn errors_say_where() {
        let p = Path::new("gw.toml");
        let e =
            parse(p, "listen = \"127.0.0.1:9\"\n[[mount]]\nopenapi = \"a.json\"\nupstrem = \"x\"\n", &env).unwrap_err();
        assert!(e.starts_with("gw.toml:4:1: unknown field `upstrem`"), "{e}");
        let e = parse(p, "[[mount]]\nopenapi = \"a.json\"\nheaders = { x = \"${NOPE}\" }\n", &env).unwrap_err();
        assert_eq!(e, "gw.toml:3:17: environment variable `NOPE` is not set");
        let e = parse(p, "listen = \n", &env).unwrap_err();
        assert!(e.starts_with("gw.toml:1:"), "{e}");
        let e = parse(p, "listen = \"nowhere\"\n", &env).unwrap_err();
        assert!(e.starts_with("gw.toml:1:10: "), "{e}");
        // Keys are never interpolated; `${…}` in comments is just a comment.
        let c = parse(p, "# ${NOPE}\n[server]\ntitle = \"${KEY}\"\n", &env).unwrap();
        assert_eq!(c.server.title.as_deref(), Some("s3cret"));
    }
}
