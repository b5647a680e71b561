//! `toolgate demo`: the built-in shop API served as MCP.

use axum::Json;
use axum::routing::get;
use std::process::ExitCode;
use toolgate::{Mcp, ServerOptions};

use crate::args::DemoArgs;
use crate::common::Error;

const INSTRUCTIONS: &str = "A demo shop. Look products up with get_product or search, order with create_order, \
check stock with get_inventory, and run stream_report for a slow report that sends progress.";

pub async fn run(a: DemoArgs) -> Result<ExitCode, Error> {
    let (shop, openapi) = toolgate_shop::app();
    let server = ServerOptions {
        name: "toolgate-demo".into(),
        title: Some("toolgate demo shop".into()),
        instructions: Some(INSTRUCTIONS.into()),
        ..ServerOptions::default()
    };
    if a.stdio {
        let mcp = Mcp::new(&openapi, shop).server(server.clone()).build()?;
        toolgate::serve_stdio(mcp.catalog_arc(), server).await?;
        return Ok(ExitCode::SUCCESS);
    }
    let doc = serde_json::to_value(&openapi)?;
    let mut mcp = Mcp::new(&openapi, shop.clone()).server(server);
    if let Some(ws) = &a.websocket {
        mcp = mcp.websocket(ws);
    }
    let mcp = mcp.build()?;
    let names: Vec<String> = mcp.catalog().defs().map(|d| d.name.clone()).collect();
    let app = mcp.mount(shop).route("/openapi.json", get(move || async move { Json(doc.clone()) }));
    let listener = tokio::net::TcpListener::bind(a.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e} (choose another with --listen 127.0.0.1:PORT)", a.listen))?;
    let addr = listener.local_addr()?;
    let url = format!("http://{addr}/mcp");
    let exe = std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_else(|_| "toolgate".into());
    println!("toolgate demo — a shop API served as MCP\n");
    println!("  MCP endpoint  {url}   (Streamable HTTP; protocol 2024-11-05 … 2026-07-28)");
    println!("  REST API      http://{addr}/products/42   (OpenAPI at http://{addr}/openapi.json)");
    if let Some(ws) = &a.websocket {
        println!("  WebSocket     ws://{addr}{ws}   (subprotocol mcp; one MCP session per connection)");
    }
    println!("  tools         {}\n", names.join(", "));
    println!("Connect:");
    println!("  MCP Inspector   npx @modelcontextprotocol/inspector --cli {url} --method tools/list");
    println!(
        "  Cursor          .cursor/mcp.json: {}",
        serde_json::json!({"mcpServers": {"toolgate-demo": {"url": url}}})
    );
    println!(
        "  Claude Desktop  claude_desktop_config.json: {}",
        serde_json::json!({"mcpServers": {"toolgate-demo": {"command": exe, "args": ["demo", "--stdio"]}}})
    );
    println!("\nPress Ctrl-C to stop.");
    toolgate::serve(listener, app, crate::cmd_serve::shutdown_signal()).await?;
    Ok(ExitCode::SUCCESS)
}
