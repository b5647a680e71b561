//! Pattern 1 — explicit tool registration.
//!
//! In fastapi_mcp you decorate routes with `@mcp.tool()` and must not forget
//! `mcp.add_app(app)`, or the tools silently never show up. Here the builder takes the app
//! itself, so there is nothing to forget; `.tools([...])` names the routes that become tools
//! (by operationId) and a name that matches no route is a start-up error, not an empty tool
//! list. Every other route keeps working as plain REST.
//!
//! Run: `cargo run -p toolgate-examples --bin p1_explicit_registration`

mod common;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (shop, openapi) = toolgate_shop::app();
    let mcp = toolgate::Mcp::new(&openapi, shop.clone())
        .tools(["get_product", "search"]) // only these two routes become tools
        .build()?; // .tools(["get_prodcut"]) would fail here: "…matches no operation; did you mean `get_product`?"
    common::serve(mcp.mount(shop)).await?;
    Ok(())
}
