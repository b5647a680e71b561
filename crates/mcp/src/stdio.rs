//! MCP over stdin/stdout, for desktop clients that start the server as a child process.

use std::sync::Arc;

use rmcp::ServiceExt;

use crate::ServerOptions;
use crate::backend::Backend;
use crate::handler::{Handler, Shared};

/// Serves a backend on stdin/stdout until the client closes the stream. Logs must go to
/// stderr: stdout carries the protocol.
pub async fn serve_stdio(backend: Arc<dyn Backend>, server: ServerOptions) -> std::io::Result<()> {
    let shared = Shared::new(backend, server);
    let running = Handler::new(shared)
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| std::io::Error::other(format!("MCP over stdio failed to start: {e}")))?;
    running.waiting().await.map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(())
}
