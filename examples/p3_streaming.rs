//! Pattern 3 — streaming long-running calls.
//!
//! The shop's `GET /reports/{report_id}/stream` answers with server-sent events over about two
//! seconds. Served as the tool `stream_report`, each event reaches the MCP client as a progress
//! notification the moment the API sends it (when the client sent a progress token), and the
//! result collects every event. Closing the request (or `notifications/cancelled`) stops the
//! report: the handler's future is dropped.
//!
//! Run: `cargo run -p toolgate-examples --bin p3_streaming`

mod common;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (shop, openapi) = toolgate_shop::app();
    let mcp = toolgate::Mcp::new(&openapi, shop.clone())
        .tools(["stream_report"])
        .configure(
            "stream_report",
            toolgate::Override {
                // between two events, at most 5 s; the whole report may take longer
                timeout: Some(std::time::Duration::from_secs(5)),
                ..Default::default()
            },
        )
        .build()?;
    common::serve(mcp.mount(shop)).await?;
    Ok(())
}
