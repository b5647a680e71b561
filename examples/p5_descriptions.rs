//! Pattern 5 — schema-driven tool documentation, with overrides.
//!
//! The model reads a tool's description and its argument schema to decide when and how to call
//! it. Descriptions of parameters and fields come from the code (doc comments and utoipa
//! attributes become the OpenAPI document, then the tool's input and output schemas, bounds
//! included); the tool's own description can be replaced where the generated one is too vague.
//!
//! Run: `cargo run -p toolgate-examples --bin p5_descriptions`

mod common;

use axum::Json;
use axum::extract::{Path, Query};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

#[derive(Deserialize, IntoParams)]
struct ProductQuery {
    /// Whether to fetch customer reviews (adds ~200ms latency).
    #[serde(default)]
    include_reviews: bool,
}

#[derive(Serialize, ToSchema)]
struct ProductResponse {
    id: u32,
    name: String,
    price: f64,
    in_stock: bool,
    /// Customer reviews, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    reviews: Option<Vec<String>>,
}

/// Get product info.
#[utoipa::path(get, path = "/products/{product_id}", operation_id = "get_product",
    params(("product_id" = u32, Path, minimum = 1, maximum = 99999,
            description = "The unique product ID from your catalog (1-99999)"), ProductQuery),
    responses((status = 200, body = ProductResponse)))]
async fn get_product(Path(product_id): Path<u32>, Query(q): Query<ProductQuery>) -> Json<ProductResponse> {
    let reviews = q.include_reviews.then(|| vec!["Works as described.".to_owned()]);
    Json(ProductResponse { id: product_id, name: "Widget Pro".into(), price: 29.99, in_stock: true, reviews })
}

#[derive(OpenApi)]
#[openapi(info(title = "Products", version = "1"))]
struct Doc;

const DESCRIPTION: &str = "Retrieve product details by ID. Use this when a user asks about a specific \
product price, availability, or description.";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (app, openapi) = OpenApiRouter::with_openapi(Doc::openapi()).routes(routes!(get_product)).split_for_parts();
    let mcp = toolgate::Mcp::new(&openapi, app.clone()).describe("get_product", DESCRIPTION).build()?;
    common::serve(mcp.mount(app)).await?;
    Ok(())
}
