//! Serve web APIs as MCP tools.
//!
//! toolgate turns the operations of an OpenAPI document into MCP tools and serves them over
//! Streamable HTTP (both protocol eras on one endpoint) or stdio. It has two faces:
//!
//! - **for axum apps** — [`Mcp`]: give it your router and its OpenAPI document (utoipa's, or
//!   any JSON), and it returns a router with `/mcp` whose tools call your routes in process,
//!   through your own layers (authentication included), with no socket;
//! - **as a gateway** — [`Mount`] an API reachable over HTTP ([`Upstream::http`]) and serve the
//!   [`Catalog`]; the `toolgate` command does this from the command line.
//!
//! ```no_run
//! use axum::{Router, routing::get};
//! # async fn get_product() -> &'static str { "{}" }
//! # fn openapi() -> serde_json::Value { serde_json::json!({}) }
//! # async fn run() -> Result<(), toolgate::Error> {
//! let app = Router::new().route("/products/{product_id}", get(get_product));
//! let mcp = toolgate::Mcp::new(openapi(), app.clone())
//!     .tools(["get_product"])          // explicit: only these become tools
//!     .build()?;                       // fails if a name matches no operation
//! let app = app.merge(mcp.router());   // serves /mcp next to the API
//! # Ok(()) }
//! ```

pub mod auth;
mod call;
mod catalog;
pub mod compose;
mod custom;
mod error;
mod extras;
pub mod gateway;
pub mod limit;
mod mcp;
pub mod outbound;
mod prompts;
pub mod reload;
mod resources;
pub mod source;
mod upstream;

pub use catalog::{CallOptions, Catalog, Mount};
pub use compose::{Compose, Composed, Part};
pub use custom::{CustomTool, Request as CustomRequest};
pub use error::Error;
pub use mcp::{Mcp, McpEndpoint, websocket_path_fits};
pub use prompts::Prompt;
pub use resources::{Resource, ResourceTemplate, TemplateRequest};
pub use source::{Source, SourceError};
pub use toolgate_mcp::{
    Caller, HttpOptions, LogLevel, McpHttp, Notifier, PromptResult, ResourceContent, ServerOptions, serve, serve_stdio,
};
pub use toolgate_openapi as openapi;
pub use toolgate_tools as tools;
pub use toolgate_tools::{Annotations, Content, Override, ToolOutput, ToolsetOptions};
pub use upstream::{Upstream, UpstreamError};
