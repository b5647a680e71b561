//! Pattern 4 — several apps behind one MCP server.
//!
//! An inventory app and an orders app, each with its own routes and OpenAPI document, nested
//! under `/inventory` and `/orders`. Their tools are namespaced by prefix
//! (`inventory_get_inventory`, `orders_create_order`), calls go to each app in process under
//! its prefix, and the composed app serves one merged OpenAPI document at `/openapi.json` (the
//! sub-apps' paths with their prefixes — what fastapi_mcp users asked for in its issues #172
//! and #204).
//!
//! Run: `cargo run -p toolgate-examples --bin p4_composition`

mod common;

use axum::Json;
use axum::extract::Path;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

#[derive(Serialize, Deserialize, ToSchema)]
struct Stock {
    sku: String,
    quantity: u32,
    warehouse: String,
}

/// Stock of one article.
#[utoipa::path(get, path = "/{sku}", operation_id = "get_inventory",
    params(("sku" = String, Path, description = "Stock keeping unit")), responses((status = 200, body = Stock)))]
async fn get_inventory(Path(sku): Path<String>) -> Json<Stock> {
    Json(Stock { sku, quantity: 150, warehouse: "US-WEST".into() })
}

#[derive(Serialize, Deserialize, ToSchema)]
struct OrderData {
    sku: String,
    quantity: u32,
}

#[derive(Serialize, Deserialize, ToSchema)]
struct Confirmation {
    order_id: String,
    status: String,
}

/// Place an order.
#[utoipa::path(post, path = "/", operation_id = "create_order", request_body = OrderData,
    responses((status = 200, body = Confirmation)))]
async fn create_order(Json(_order): Json<OrderData>) -> Json<Confirmation> {
    Json(Confirmation { order_id: "ORD-2026-001".into(), status: "confirmed".into() })
}

#[derive(OpenApi)]
#[openapi(info(title = "Inventory", version = "1"))]
struct InventoryDoc;

#[derive(OpenApi)]
#[openapi(info(title = "Orders", version = "1"))]
struct OrdersDoc;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (inventory, inventory_doc) =
        OpenApiRouter::with_openapi(InventoryDoc::openapi()).routes(routes!(get_inventory)).split_for_parts();
    let (orders, orders_doc) =
        OpenApiRouter::with_openapi(OrdersDoc::openapi()).routes(routes!(create_order)).split_for_parts();
    let composed = toolgate::Compose::new()
        .nest("/inventory", inventory, &inventory_doc) // tools `inventory_…`
        .nest("/orders", orders, &orders_doc) // tools `orders_…`
        .build()
        .await?;
    common::serve(composed.router()).await?;
    Ok(())
}
