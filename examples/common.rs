//! What every example does the same way: pick the address and serve.

/// The address from `--listen ADDR` (default 127.0.0.1:8090).
pub fn listen_addr() -> std::net::SocketAddr {
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--listen"
            && let Some(v) = args.next().and_then(|v| v.parse().ok())
        {
            return v;
        }
    }
    std::net::SocketAddr::from(([127, 0, 0, 1], 8090))
}

/// Serves `app` until Ctrl-C, printing where the MCP endpoint is.
pub async fn serve(app: axum::Router) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen_addr()).await?;
    println!("MCP endpoint: http://{}/mcp", listener.local_addr()?);
    toolgate::serve(listener, app, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}
