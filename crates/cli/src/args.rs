//! Command-line arguments.

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Serve web APIs as MCP tools.
///
/// toolgate reads an OpenAPI (or Swagger 2.0) description of an HTTP API and serves each
/// operation as an MCP tool, over Streamable HTTP or stdio. Start with `toolgate demo`.
#[derive(Debug, Parser)]
#[command(name = "toolgate", version, about, long_about, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Log filter (tracing syntax), e.g. `info`, `toolgate=debug`. Logs go to stderr. rmcp logs
    /// three INFO lines per 2026-07-28 request (about 16 % of the CPU of a tools/call), hence `rmcp=warn`.
    #[arg(long, global = true, env = "TOOLGATE_LOG", default_value = "info,rmcp=warn")]
    pub log: String,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show the tools a document would produce, and what was left out and why.
    ///
    /// Prints one line per tool (name, method, path, argument count), then the operations that
    /// were skipped with the reason. `--format json` prints the full tool definitions
    /// (input and output schemas) as clients would see them.
    Tools(ToolsArgs),
    /// Serve a built-in example shop API as MCP, and print how to connect.
    ///
    /// The shop (products, search, orders, inventory, a slow streaming report) runs in this
    /// process; its operations are served as MCP tools at http://127.0.0.1:PORT/mcp and the REST
    /// API itself next to it. With `--stdio`, MCP goes over stdin/stdout instead (for desktop
    /// clients that start the server themselves).
    Demo(DemoArgs),
    /// Serve an HTTP API described by OpenAPI as an MCP server (Streamable HTTP).
    ///
    /// Every selected operation becomes a tool; calls go to the upstream base URL (`--upstream`,
    /// else the document's first server) and never anywhere else. Binds 127.0.0.1 by default:
    /// binding another address requires `--allowed-host` for the names clients use.
    ///
    /// With `--config FILE`, everything comes from a gateway configuration file instead (several
    /// APIs, authentication, listen address; see `toolgate check --help`), and the tools are
    /// reloaded without a restart on SIGHUP and when the file or a document file changes.
    Serve(Box<ServeArgs>),
    /// The same as `serve`, over stdin/stdout (for desktop clients).
    Stdio(StdioArgs),
    /// Check a document for MCP-readiness; exits non-zero on errors (for CI).
    ///
    /// Reports missing operationIds, empty descriptions, names that had to be shortened or
    /// de-duplicated, operations that cannot be represented, and what the loader had to
    /// change. Errors make the exit status 1; `--deny-warnings` makes warnings count too.
    Lint(LintArgs),
    /// Check a gateway configuration file; exits 1 on errors.
    ///
    /// Reads the file (TOML syntax, unknown keys and unset `${VAR}`s are reported as
    /// FILE:LINE:COLUMN), loads every document, builds every mount's tools and reports how many
    /// there are, what was skipped, and any tool name used twice.
    ///
    /// The file (a commented example is examples/gateway.toml):
    ///
    ///   listen = "127.0.0.1:8080"        # path = "/mcp", allowed_hosts = [..],
    ///   allowed_origins = [..]            # allow_any_host, allow_unauthenticated,
    ///   watch = true                      # reload on file changes (and SIGHUP)
    ///   [server]                          # name, title, instructions
    ///   [auth]                            # keys_env, keys_file, jwt_jwks, jwt_issuers,
    ///                                     # jwt_audiences, jwt_algorithms, introspection_url,
    ///                                     # introspection_client_id, resource,
    ///                                     # authorization_servers, required_scopes,
    ///                                     # allow_anonymous, list_all_tools
    ///   [rate_limit]                      # rate, burst, tools, redis, … (as the --rate-limit* flags)
    ///   [[mount]]                         # one per API
    ///   openapi = "api.yaml"              # file (relative to this file) or URL
    ///   upstream = "https://api.example"  # default: the document's first server
    ///   namespace = "api"                 # tool names become api_*
    ///   include_operations = [..]         # and exclude_*, include_tags, …, include_deprecated,
    ///                                     # max_name_len, max_schema_bytes, output_schemas,
    ///                                     # lenient, allow_external_refs
    ///   forward_headers = ["x-request-id"]
    ///   headers = { "x-client" = "toolgate" }
    ///   timeout = 30                      # seconds
    ///   max_response_bytes = 262144
    ///   reload_interval = 60              # poll a URL document (seconds)
    ///   [mount.credentials]               # by security scheme name of the document
    ///   api_key = "${API_KEY}"            # ${VAR}: from the environment, in any string value
    ///   basic = { username = "u", password = "${PASSWORD}" }
    ///   oauth = { client_id = "id", client_secret = "${SECRET}" }
    #[command(verbatim_doc_comment)]
    Check(CheckArgs),
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The gateway configuration file (TOML).
    #[arg(long, value_name = "FILE")]
    pub config: std::path::PathBuf,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Serve MCP over stdin/stdout instead of HTTP.
    #[arg(long)]
    pub stdio: bool,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8090")]
    pub listen: std::net::SocketAddr,
    /// Also serve MCP over WebSocket at this path (for example `/ws`).
    #[arg(long, value_name = "PATH", conflicts_with = "stdio")]
    pub websocket: Option<String>,
}

#[derive(Debug, Args)]
pub struct UpstreamArgs {
    /// Base URL of the API (`http(s)://host[:port][/prefix]`). Default: the document's first
    /// server.
    #[arg(long, value_name = "URL")]
    pub upstream: Option<String>,
    /// Copy this header of each MCP request onto the upstream request; repeatable. Nothing is
    /// forwarded unless asked: never send an MCP token to a third-party API by accident.
    #[arg(long = "forward-header", value_name = "NAME")]
    pub forward_headers: Vec<String>,
    /// Timeout of each tool call, in seconds (a tool's own `x-mcp-timeout` wins).
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    pub timeout: f64,
    /// Largest upstream response read, in bytes; the rest is cut with a marker.
    #[arg(long, value_name = "BYTES", default_value_t = 262144)]
    pub max_response_bytes: usize,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Serve what a gateway configuration file (TOML) describes; the other flags are ignored.
    /// See `toolgate check --help` and examples/gateway.toml.
    #[arg(long, value_name = "FILE", conflicts_with = "openapi")]
    pub config: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub doc: Option<DocArgs>,
    #[command(flatten)]
    pub upstream: UpstreamArgs,
    #[command(flatten)]
    pub select: SelectArgs,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: std::net::SocketAddr,
    /// Path of the MCP endpoint.
    #[arg(long, default_value = "/mcp")]
    pub path: String,
    /// Also serve MCP over WebSocket at this path (for example `/ws`): one session per
    /// connection, JSON-RPC messages as text frames, the `mcp` subprotocol. Same Host/Origin
    /// checks and authentication as the HTTP endpoint. MCP defines no WebSocket transport;
    /// this is for clients that speak the SDKs' WebSocket transports.
    #[arg(long, value_name = "PATH")]
    pub websocket: Option<String>,
    /// A `Host` name clients use to reach this server (a DNS-rebinding guard); repeatable.
    /// Loopback names are always allowed.
    #[arg(long = "allowed-host", value_name = "HOST")]
    pub allowed_hosts: Vec<String>,
    /// Accept any `Host` header (only behind a proxy that checks it).
    #[arg(long)]
    pub allow_any_host: bool,
    /// A browser origin allowed to call this server (`https://app.example.com`); repeatable.
    #[arg(long = "allowed-origin", value_name = "ORIGIN")]
    pub allowed_origins: Vec<String>,
    /// Serve without authentication on a non-loopback address.
    #[arg(long)]
    pub allow_unauthenticated: bool,
    #[command(flatten)]
    pub auth: AuthArgs,
    #[command(flatten)]
    pub limit: crate::limit_args::LimitArgs,
}

/// How MCP callers authenticate (bearer tokens). Secrets are read from the environment or
/// files, never from the command line.
#[derive(Debug, Args, Clone, Default)]
pub struct AuthArgs {
    /// Environment variable holding static tokens: one per line (or comma-separated), each
    /// `TOKEN [sub=NAME] [scopes=a,b]`; tokens are at least 16 characters.
    #[arg(long, value_name = "VAR", help_heading = "Authentication")]
    pub auth_keys_env: Option<String>,
    /// File holding static tokens, in the same format.
    #[arg(long, value_name = "FILE", help_heading = "Authentication")]
    pub auth_keys_file: Option<std::path::PathBuf>,
    /// Verify JWTs against the keys published at this JWKS URL.
    #[arg(long, value_name = "URL", help_heading = "Authentication")]
    pub jwt_jwks: Option<String>,
    /// Accepted JWT issuer (`iss`); repeatable.
    #[arg(long = "jwt-issuer", value_name = "ISS", help_heading = "Authentication")]
    pub jwt_issuers: Vec<String>,
    /// Accepted JWT audience (`aud`); repeatable. Default: --resource.
    #[arg(long = "jwt-audience", value_name = "AUD", help_heading = "Authentication")]
    pub jwt_audiences: Vec<String>,
    /// Accepted JWT algorithm (RS256, ES256, PS256, EdDSA, …); repeatable. Default: RS256, ES256.
    #[arg(long = "jwt-algorithm", value_name = "ALG", help_heading = "Authentication")]
    pub jwt_algorithms: Vec<String>,
    /// Check tokens with this RFC 7662 introspection endpoint (client secret from
    /// TOOLGATE_INTROSPECTION_SECRET).
    #[arg(long, value_name = "URL", help_heading = "Authentication")]
    pub introspection_url: Option<String>,
    /// Client id for introspection.
    #[arg(long, value_name = "ID", help_heading = "Authentication")]
    pub introspection_client_id: Option<String>,
    /// This server's canonical URI (e.g. https://mcp.example.com/mcp), published in the
    /// protected resource metadata and expected as the JWT audience.
    #[arg(long, value_name = "URI", help_heading = "Authentication")]
    pub resource: Option<String>,
    /// Authorization server that issues tokens for this server; repeatable.
    #[arg(long = "authorization-server", value_name = "URL", help_heading = "Authentication")]
    pub authorization_servers: Vec<String>,
    /// Scope every caller needs; repeatable.
    #[arg(long = "required-scope", value_name = "SCOPE", help_heading = "Authentication")]
    pub required_scopes: Vec<String>,
    /// Let callers without a token use the tools that need no authentication.
    #[arg(long, help_heading = "Authentication")]
    pub allow_anonymous: bool,
    /// List every tool to every caller (calls are still checked).
    #[arg(long, help_heading = "Authentication")]
    pub list_all_tools: bool,
}

#[derive(Debug, Args)]
pub struct StdioArgs {
    #[command(flatten)]
    pub doc: DocArgs,
    #[command(flatten)]
    pub upstream: UpstreamArgs,
    #[command(flatten)]
    pub select: SelectArgs,
}

#[derive(Debug, Args)]
pub struct DocArgs {
    /// The OpenAPI document: a file (JSON or YAML) or an http(s) URL.
    #[arg(long, value_name = "FILE|URL")]
    pub openapi: String,
    /// Follow `$ref`s to files inside the document's directory (never to URLs).
    #[arg(long)]
    pub allow_external_refs: bool,
    /// Leave broken operations out (with a warning) instead of refusing the document.
    #[arg(long)]
    pub lenient: bool,
}

#[derive(Debug, Args, Clone, Default)]
pub struct SelectArgs {
    /// Serve only these operations (operationId or tool name); repeatable.
    #[arg(long = "include-operation", value_name = "ID")]
    pub include_operations: Vec<String>,
    /// Leave these operations out; repeatable.
    #[arg(long = "exclude-operation", value_name = "ID")]
    pub exclude_operations: Vec<String>,
    /// Serve only operations with one of these tags; repeatable.
    #[arg(long = "include-tag", value_name = "TAG")]
    pub include_tags: Vec<String>,
    /// Leave out operations with these tags; repeatable.
    #[arg(long = "exclude-tag", value_name = "TAG")]
    pub exclude_tags: Vec<String>,
    /// Serve only these methods (GET, POST, …); repeatable.
    #[arg(long = "include-method", value_name = "METHOD")]
    pub include_methods: Vec<String>,
    /// Leave out these methods; repeatable.
    #[arg(long = "exclude-method", value_name = "METHOD")]
    pub exclude_methods: Vec<String>,
    /// Serve only paths matching a pattern (`*` within a segment, `**` across); repeatable.
    #[arg(long = "include-path", value_name = "PATTERN")]
    pub include_paths: Vec<String>,
    /// Leave out paths matching a pattern; repeatable.
    #[arg(long = "exclude-path", value_name = "PATTERN")]
    pub exclude_paths: Vec<String>,
    /// Serve deprecated operations too.
    #[arg(long)]
    pub include_deprecated: bool,
    /// Prefix every tool name with `NAMESPACE_`.
    #[arg(long)]
    pub namespace: Option<String>,
    /// Longest tool name, 16 to 128 (the prefix counts).
    #[arg(long, default_value_t = 64)]
    pub max_name_len: usize,
    /// How output schemas are advertised.
    #[arg(long, value_enum, default_value_t = OutputSchemasArg::Tolerant)]
    pub output_schemas: OutputSchemasArg,
    /// About how many bytes of JSON each tool's input and output schema may take: beyond it,
    /// the definitions farthest from the root become stubs (`toolgate lint` says which tools).
    #[arg(long, value_name = "BYTES", default_value_t = toolgate_tools::DEFAULT_MAX_SCHEMA_BYTES)]
    pub max_schema_bytes: usize,
}

#[derive(Debug, Clone, Copy, ValueEnum, Default)]
pub enum OutputSchemasArg {
    /// The documented schema, relaxed so real responses always fit.
    #[default]
    Tolerant,
    /// The documented schema as it is.
    Strict,
    /// No output schemas (text results only).
    Off,
}

#[derive(Debug, Args)]
pub struct ToolsArgs {
    #[command(flatten)]
    pub doc: DocArgs,
    #[command(flatten)]
    pub select: SelectArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct LintArgs {
    #[command(flatten)]
    pub doc: DocArgs,
    #[command(flatten)]
    pub select: SelectArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Exit non-zero on warnings too.
    #[arg(long)]
    pub deny_warnings: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    /// Human-readable text.
    Table,
    /// JSON.
    Json,
}
