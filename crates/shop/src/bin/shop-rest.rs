//! `shop-rest [--listen ADDR]`: the shop as a plain REST server (no MCP), with its OpenAPI
//! document at `/openapi.json` and `TCP_NODELAY` on every connection. The benchmarks use it as
//! the raw-axum upper bound and as the upstream of the toolgate gateway.

use std::net::SocketAddr;

use axum::Json;
use axum::routing::get;
use axum::serve::ListenerExt;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut listen: SocketAddr = SocketAddr::from(([127, 0, 0, 1], 8010));
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match (a.as_str(), args.next()) {
            ("--listen", Some(v)) => {
                listen = v.parse().map_err(|e| std::io::Error::other(format!("--listen {v}: {e}")))?;
            }
            _ => return Err(std::io::Error::other("usage: shop-rest [--listen 127.0.0.1:8010]")),
        }
    }
    let (router, openapi) = toolgate_shop::app();
    let doc = serde_json::to_value(&openapi).map_err(std::io::Error::other)?;
    let app = router.route("/openapi.json", get(move || std::future::ready(Json(doc.clone()))));
    let listener = tokio::net::TcpListener::bind(listen).await?.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    eprintln!("shop-rest: http://{listen}/products/42 (OpenAPI at /openapi.json)");
    axum::serve(listener, app).await
}
