//! Pattern 2 — bearer authentication on both layers.
//!
//! The API checks its own bearer token (an axum middleware, like a FastAPI dependency), and
//! the MCP endpoint requires a token too. Tool calls run in process through the app's router,
//! with the caller's `Authorization` forwarded, so the app's own check runs on every tool call:
//! a token the MCP layer accepts but the API does not is still refused — by the API.
//!
//! Env: `API_TOKEN` (the token the API accepts), `MCP_TOKENS` (comma-separated tokens the MCP
//! endpoint accepts; default: `API_TOKEN`). Tokens are at least 16 characters.
//!
//! Run: `API_TOKEN=change-me-0123456789 cargo run -p toolgate-examples --bin p2_auth_both_layers`

mod common;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use toolgate::auth::{AuthConfig, StaticKeys};

/// The API's own check, independent of MCP.
async fn require_api_token(State(token): State<String>, req: Request, next: Next) -> Response {
    let ok = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| t == token);
    if ok { next.run(req).await } else { (StatusCode::UNAUTHORIZED, "invalid token").into_response() }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let api_token = std::env::var("API_TOKEN").map_err(|_| "set API_TOKEN (16+ characters)")?;
    let mcp_tokens = std::env::var("MCP_TOKENS").unwrap_or_else(|_| api_token.clone());
    let keys = StaticKeys::parse(&mcp_tokens.replace(',', "\n"))?;

    let (shop, openapi) = toolgate_shop::app();
    let shop = shop.layer(axum::middleware::from_fn_with_state(api_token, require_api_token));
    let mcp = toolgate::Mcp::new(&openapi, shop.clone())
        .auth(AuthConfig::keys(keys)) // the MCP layer
        .build()?; // in-process calls forward `Authorization`: the app's layer runs too
    common::serve(mcp.mount(shop)).await?;
    Ok(())
}
