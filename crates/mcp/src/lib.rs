//! The MCP face of toolgate.
//!
//! This is the only crate of the workspace that names `rmcp`, the official Rust MCP SDK. It
//! serves a [`Backend`] — tool definitions, tool calls, and optionally resources and prompts —
//! over Streamable HTTP (the 2026-07-28 stateless protocol and legacy sessions from 2024-11-05
//! to 2025-11-25, on one endpoint), WebSocket (one session per connection) and stdio. Nothing
//! of rmcp appears in its public API.

mod backend;
mod convert;
mod handler;
mod http_service;
mod lean;
mod notify;
mod stdio;
mod ws;

pub use backend::{
    Backend, CallError, Caller, CompletionTarget, PromptDef, PromptResult, ResourceContent, ResourceDef, ToolCall,
    ToolList,
};
pub use http_service::{Engine, HttpOptions, McpHttp, serve};
pub use notify::{LogLevel, Notifier};
pub use stdio::serve_stdio;
pub use ws::CredentialExpiry;

/// Who the server says it is, and list caching hints.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// `serverInfo.name`.
    pub name: String,
    /// `serverInfo.version`.
    pub version: String,
    /// `serverInfo.title`.
    pub title: Option<String>,
    /// `instructions` for the model.
    pub instructions: Option<String>,
    /// `ttlMs` on 2026-07-28 `tools/list` results.
    pub list_ttl_ms: u64,
    /// Whether tool lists differ per caller (then cached `private`, else `public`).
    pub per_caller_lists: bool,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            name: "toolgate".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            title: None,
            instructions: None,
            list_ttl_ms: 60_000,
            per_caller_lists: false,
        }
    }
}
