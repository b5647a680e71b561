//! A small shop API: products, search, orders, inventory and a slow streaming report.
//!
//! `toolgate demo` serves it as MCP; the examples, tests and benchmarks use it as the API under
//! test. The first three operations (`get_product`, `create_order`, `search`) answer exactly
//! like the FastAPI app of the benchmark harness, so the numbers compare like for like.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use futures::stream::Stream;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// A product.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Product {
    /// Product id.
    pub id: i64,
    /// Display name.
    pub name: String,
    /// Unit price.
    pub price: f64,
    /// ISO 4217 currency code.
    pub currency: String,
    /// Whether it can be ordered now.
    pub in_stock: bool,
    /// Free-form tags.
    pub tags: Vec<String>,
}

/// One line of an order.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrderItem {
    /// The product to order.
    #[schema(minimum = 1)]
    pub product_id: i64,
    /// How many (1–100).
    #[serde(default = "one")]
    #[schema(minimum = 1, maximum = 100, default = 1)]
    pub quantity: i64,
}

fn one() -> i64 {
    1
}

/// A new order.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrderIn {
    /// Where the confirmation goes.
    pub customer_email: String,
    /// What to order.
    pub items: Vec<OrderItem>,
    /// A note for the shop.
    #[serde(default)]
    pub note: Option<String>,
}

/// An order as created.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrderOut {
    /// Order number.
    pub order_id: u64,
    /// `created`.
    pub status: String,
    /// Total price.
    pub total: f64,
    /// Number of units.
    pub item_count: i64,
}

/// A search result.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SearchHit {
    /// Product id.
    pub id: i64,
    /// Product name.
    pub name: String,
    /// Relevance, 0–1.
    pub score: f64,
}

/// Stock of one article.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Inventory {
    /// Stock keeping unit.
    pub sku: String,
    /// Units in stock.
    pub quantity: i64,
    /// Where they are.
    pub warehouse: String,
}

/// Search parameters.
#[derive(Debug, Deserialize, IntoParams)]
pub struct SearchQuery {
    /// What to look for.
    #[param(min_length = 1)]
    pub q: String,
    /// How many results (1–200).
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<i64>,
}

/// An error body.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ApiError {
    /// What went wrong.
    pub detail: String,
}

fn product(pid: i64) -> Product {
    let price = ((9.99 + (pid % 100) as f64 * 0.5) * 100.0).round() / 100.0;
    Product {
        id: pid,
        name: format!("Product {pid}"),
        price,
        currency: "EUR".into(),
        in_stock: pid % 7 != 0,
        tags: vec!["demo".into(), "bench".into(), format!("cat-{}", pid % 5)],
    }
}

/// Get one product by id.
#[utoipa::path(get, path = "/products/{product_id}", operation_id = "get_product", tag = "products",
    params(("product_id" = i64, Path, description = "The product's id (1 or more)")),
    responses((status = 200, description = "The product", body = Product),
              (status = 404, description = "No such product", body = ApiError)))]
async fn get_product(Path(product_id): Path<i64>) -> Response {
    if product_id < 1 {
        return (StatusCode::NOT_FOUND, Json(ApiError { detail: "product not found".into() })).into_response();
    }
    Json(product(product_id)).into_response()
}

static ORDER_SEQ: AtomicU64 = AtomicU64::new(0);

/// Create an order.
#[utoipa::path(post, path = "/orders", operation_id = "create_order", tag = "orders",
    request_body = OrderIn,
    responses((status = 200, description = "The order", body = OrderOut)))]
async fn create_order(Json(order): Json<OrderIn>) -> Json<OrderOut> {
    let id = ORDER_SEQ.fetch_add(1, Ordering::Relaxed) + 1;
    let total: f64 = order.items.iter().map(|i| product(i.product_id).price * i.quantity as f64).sum();
    Json(OrderOut {
        order_id: id,
        status: "created".into(),
        total: (total * 100.0).round() / 100.0,
        item_count: order.items.iter().map(|i| i.quantity).sum(),
    })
}

/// Search products.
#[utoipa::path(get, path = "/search", operation_id = "search", tag = "products",
    params(SearchQuery),
    responses((status = 200, description = "Matching products, best first", body = Vec<SearchHit>)))]
async fn search(Query(q): Query<SearchQuery>) -> Response {
    let limit = q.limit.unwrap_or(50);
    if q.q.is_empty() || !(1..=200).contains(&limit) {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(ApiError { detail: "q must not be empty; limit is 1–200".into() }),
        )
            .into_response();
    }
    let hits: Vec<SearchHit> = (0..limit)
        .map(|i| SearchHit {
            id: i + 1,
            name: format!("{} result {}", q.q, i + 1),
            score: ((1.0 - i as f64 / (limit + 1) as f64) * 10000.0).round() / 10000.0,
        })
        .collect();
    Json(hits).into_response()
}

/// Stock of an article in the warehouse.
#[utoipa::path(get, path = "/inventory/{sku}", operation_id = "get_inventory", tag = "inventory",
    params(("sku" = String, Path, description = "Stock keeping unit, e.g. WIDGET-1")),
    responses((status = 200, description = "Stock", body = Inventory)))]
async fn get_inventory(Path(sku): Path<String>) -> Json<Inventory> {
    let quantity = sku.bytes().map(i64::from).sum::<i64>() % 200;
    Json(Inventory { sku, quantity, warehouse: "US-WEST".into() })
}

/// Generate a report; progress is streamed as server-sent events while it runs (about 2 s).
#[utoipa::path(get, path = "/reports/{report_id}/stream", operation_id = "stream_report", tag = "reports",
    params(("report_id" = i64, Path, description = "Which report")),
    responses((status = 200, description = "Progress events, then the result", content_type = "text/event-stream", body = String)))]
async fn stream_report(Path(report_id): Path<i64>) -> Sse<impl Stream<Item = Result<Event, std::convert::Infallible>>> {
    let steps = 4;
    let stream = futures::stream::unfold(0, move |i| async move {
        if i > steps {
            return None;
        }
        if i > 0 {
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        let data = if i == steps {
            serde_json::json!({"status": "complete", "report_id": report_id, "url": format!("/reports/{report_id}.pdf")})
        } else {
            serde_json::json!({"status": "processing", "report_id": report_id, "step": i + 1, "of": steps})
        };
        Some((Ok(Event::default().event("message").data(data.to_string())), i + 1))
    });
    Sse::new(stream)
}

#[derive(OpenApi)]
#[openapi(info(
    title = "Shop API",
    version = "1.0.0",
    description = "A small shop: products, orders, inventory, reports"
))]
struct ApiDoc;

/// The shop's router and its OpenAPI document.
pub fn app() -> (axum::Router, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(get_product))
        .routes(routes!(create_order))
        .routes(routes!(search))
        .routes(routes!(get_inventory))
        .routes(routes!(stream_report))
        .split_for_parts()
}
