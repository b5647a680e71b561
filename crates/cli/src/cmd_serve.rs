//! `toolgate serve` and `toolgate stdio`.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use toolgate::{CallOptions, Catalog, HttpOptions, Mount, ServerOptions, Upstream};

use crate::args::{ServeArgs, StdioArgs, UpstreamArgs};
use crate::common::{Error, load, toolset_options};

/// Loads the document and builds the catalog; `limit` (rate limiting on) takes the quotas the
/// document gives its tools (`x-mcp-rate-limit`).
async fn catalog(
    doc: &crate::args::DocArgs,
    up: &UpstreamArgs,
    select: &crate::args::SelectArgs,
    limit: &mut Option<toolgate::limit::RateLimit>,
) -> Result<(Catalog, ServerOptions), Error> {
    let (source, api) = load(doc).await?;
    let base = toolgate::gateway::base_url(up.upstream.as_deref(), &api, &source)?;
    let upstream = Upstream::http(&base).map_err(|e| format!("--upstream: {e}"))?;
    let mut opts = toolset_options(select);
    if up.timeout > 0.0 && up.timeout.is_finite() {
        opts.default_timeout = Some(Duration::from_secs_f64(up.timeout));
    }
    let mut forward = Vec::new();
    for h in &up.forward_headers {
        forward.push(
            http::HeaderName::from_bytes(h.as_bytes())
                .map_err(|_| format!("--forward-header: `{h}` is not a header name"))?,
        );
    }
    let credentials = toolgate::outbound::credentials_from_env(&api)?;
    for c in &credentials {
        tracing::info!(
            "upstream credential for security scheme `{}` from the environment",
            c.scheme.as_deref().unwrap_or("*")
        );
    }
    let calls = CallOptions {
        forward_headers: forward,
        inject_headers: Vec::new(),
        credentials,
        max_response_bytes: up.max_response_bytes,
    };
    let mount = Mount::new(&api, upstream, &opts, calls)?;
    for s in mount.toolset().skipped() {
        tracing::info!("skipped {}: {}", s.source, s.reason);
    }
    if mount.toolset().is_empty() {
        return Err("no operation was selected: nothing to serve".into());
    }
    if let Some(l) = limit.take() {
        *limit = Some(l.document_limits(&api, mount.toolset())?);
    }
    let title = (!api.title.is_empty()).then(|| api.title.clone());
    // The document is no longer needed: its memory goes back before the tool list is written.
    drop(api);
    let catalog = Catalog::new(vec![mount], Vec::new())?;
    let server = ServerOptions { title, ..ServerOptions::default() };
    tracing::info!("{} tools from {} → {}", catalog.len(), source.label(), base);
    Ok((catalog, server))
}

pub async fn serve(a: ServeArgs) -> Result<ExitCode, Error> {
    if let Some(file) = &a.config {
        return crate::cmd_config::serve(file).await;
    }
    let doc = a.doc.as_ref().ok_or("give the API's document with --openapi FILE|URL (or a --config FILE)")?;
    let loopback = a.listen.ip().is_loopback();
    let auth = crate::auth::config(&a.auth)?;
    let mut limit = a.limit.config()?;
    if !loopback && auth.is_none() && !a.allow_unauthenticated {
        return Err(format!(
            "refusing to serve without authentication on {} (not a loopback address); pass --allow-unauthenticated to do it anyway",
            a.listen
        )
        .into());
    }
    if !loopback && a.allowed_hosts.is_empty() && !a.allow_any_host {
        return Err(format!(
            "serving on {} needs the host names clients use: --allowed-host NAME (or --allow-any-host behind a proxy that checks Host)",
            a.listen
        )
        .into());
    }
    if let Some(ws) = &a.websocket
        && !toolgate::websocket_path_fits(ws, &a.path)
    {
        return Err(format!("--websocket {ws}: the path must start with `/` and differ from --path {}", a.path).into());
    }
    let (catalog, server) = catalog(doc, &a.upstream, &a.select, &mut limit).await?;
    let mut http = HttpOptions::default();
    if a.allow_any_host {
        http.allowed_hosts = None;
    } else if let Some(hosts) = &mut http.allowed_hosts {
        hosts.extend(a.allowed_hosts.iter().cloned());
    }
    http.allowed_origins.extend(a.allowed_origins.iter().cloned());
    let mut endpoint = match limit {
        Some(limit) => toolgate::McpEndpoint::with_rate_limit(Arc::new(catalog), limit, server, http, &a.path, auth),
        None => toolgate::McpEndpoint::new(Arc::new(catalog), server, http, &a.path, auth),
    };
    if let Some(ws) = &a.websocket {
        endpoint = endpoint.with_websocket(ws);
    }
    let app = endpoint.router();
    let app = a.limit.http_guard(app);
    let listener =
        tokio::net::TcpListener::bind(a.listen).await.map_err(|e| format!("cannot listen on {}: {e}", a.listen))?;
    let addr = listener.local_addr()?;
    eprintln!("toolgate: MCP endpoint http://{addr}{}", a.path);
    if let Some(ws) = &a.websocket {
        eprintln!("toolgate: MCP over WebSocket ws://{addr}{ws}");
    }
    toolgate::serve(listener, app, shutdown_signal()).await?;
    Ok(ExitCode::SUCCESS)
}

pub async fn stdio(a: StdioArgs) -> Result<ExitCode, Error> {
    let (catalog, server) = catalog(&a.doc, &a.upstream, &a.select, &mut None).await?;
    toolgate::serve_stdio(Arc::new(catalog), server).await?;
    Ok(ExitCode::SUCCESS)
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
