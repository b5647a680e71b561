//! `toolgate serve --config FILE` and `toolgate check --config FILE`: a gateway described by a
//! configuration file, reloaded without a restart.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use toolgate::limit::RateLimit;
use toolgate::outbound::{Credential, Outbound};
use toolgate::reload::Reloading;
use toolgate::{CallOptions, Catalog, HttpOptions, McpEndpoint, Mount, ServerOptions, Source, Upstream};
use toolgate_openapi::{ExternalRefs, LoadOptions};

use crate::args::{CheckArgs, OutputSchemasArg, SelectArgs};
use crate::common::{Error, toolset_options};
use crate::config::{Config, CredentialConfig, Loaded, MountConfig, OutputSchemasName};

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// What one mount gave.
struct MountReport {
    label: String,
    source: String,
    base: String,
    tools: usize,
    skipped: Vec<String>,
}

/// Every mount built into one catalog, and what to watch for changes.
struct Built {
    catalog: Catalog,
    reports: Vec<MountReport>,
    files: Vec<PathBuf>,
    urls: Vec<(String, Duration)>,
}

/// Builds one mount; errors are `FILE:LINE:COLUMN: mount …: what`.
async fn build_mount(
    loaded: &Loaded,
    index: usize,
    m: &MountConfig,
    at: &str,
    limit: &mut Option<RateLimit>,
) -> Result<(Mount, MountReport), String> {
    let label = m.label(index);
    let fail = |what: String| format!("{at}: {label}: {what}");
    let source = match Source::parse(&m.openapi) {
        Source::File(p) => Source::File(loaded.resolve(&p)),
        s => s,
    };
    let opts = LoadOptions {
        external_refs: if m.allow_external_refs { ExternalRefs::SameDirectory } else { ExternalRefs::Deny },
        lenient: m.lenient,
    };
    let api = source.load(&opts).await.map_err(|e| fail(e.to_string()))?;
    let base = toolgate::gateway::base_url(m.upstream.as_deref(), &api, &source).map_err(|e| {
        fail(e.to_string().replace("with --upstream", "with `upstream`").replace("--upstream", "`upstream`"))
    })?;
    let upstream = Upstream::http(&base).map_err(|e| fail(format!("upstream: {e}")))?;
    let select = SelectArgs {
        include_operations: m.include_operations.clone(),
        exclude_operations: m.exclude_operations.clone(),
        include_tags: m.include_tags.clone(),
        exclude_tags: m.exclude_tags.clone(),
        include_methods: m.include_methods.clone(),
        exclude_methods: m.exclude_methods.clone(),
        include_paths: m.include_paths.clone(),
        exclude_paths: m.exclude_paths.clone(),
        include_deprecated: m.include_deprecated,
        namespace: m.namespace.clone(),
        max_name_len: m.max_name_len.unwrap_or(64),
        max_schema_bytes: m.max_schema_bytes.unwrap_or(toolgate_tools::DEFAULT_MAX_SCHEMA_BYTES),
        output_schemas: match m.output_schemas {
            None | Some(OutputSchemasName::Tolerant) => OutputSchemasArg::Tolerant,
            Some(OutputSchemasName::Strict) => OutputSchemasArg::Strict,
            Some(OutputSchemasName::Off) => OutputSchemasArg::Off,
        },
    };
    let mut tools = toolset_options(&select);
    let timeout = m.timeout.unwrap_or(30.0);
    if !(timeout.is_finite() && timeout > 0.0) {
        return Err(fail(format!("timeout must be a positive number of seconds, not {timeout}")));
    }
    tools.default_timeout = Some(Duration::from_secs_f64(timeout));
    let mut calls =
        CallOptions { max_response_bytes: m.max_response_bytes.unwrap_or(256 * 1024), ..CallOptions::default() };
    for h in &m.forward_headers {
        calls.forward_headers.push(
            http::HeaderName::from_bytes(h.as_bytes())
                .map_err(|_| fail(format!("forward_headers: `{h}` is not a header name")))?,
        );
    }
    for (k, v) in &m.headers {
        let name = http::HeaderName::from_bytes(k.as_bytes())
            .map_err(|_| fail(format!("headers: `{k}` is not a header name")))?;
        let mut value =
            http::HeaderValue::from_str(v).map_err(|_| fail(format!("headers: the value of `{k}` is not valid")))?;
        value.set_sensitive(true);
        calls.inject_headers.push((name, value));
    }
    for (scheme, cred) in &m.credentials {
        let cred_at = loaded.at(&cred.span());
        let Some(def) = api.security_schemes.get(scheme) else {
            let known: Vec<&str> = api.security_schemes.keys().map(String::as_str).collect();
            return Err(format!(
                "{cred_at}: {label}: the document has no security scheme `{scheme}` (it has: {})",
                if known.is_empty() { "none".to_owned() } else { known.join(", ") }
            ));
        };
        // The credential module reads TOOLGATE_AUTH_<SCHEME>[_SUFFIX]; give it the file's values.
        let values = |suffix: &str| -> Option<String> {
            match (cred.get_ref(), suffix) {
                (CredentialConfig::Value(v), "") => Some(v.clone()),
                (CredentialConfig::Table(t), "") => t.token.clone(),
                (CredentialConfig::Table(t), "_USERNAME") => t.username.clone(),
                (CredentialConfig::Table(t), "_PASSWORD") => t.password.clone(),
                (CredentialConfig::Table(t), "_CLIENT_ID") => t.client_id.clone(),
                (CredentialConfig::Table(t), "_CLIENT_SECRET") => t.client_secret.clone(),
                _ => None,
            }
        };
        let prefix = format!(
            "TOOLGATE_AUTH_{}",
            scheme
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' })
                .collect::<String>()
        );
        let lookup = |var: &str| var.strip_prefix(prefix.as_str()).and_then(values);
        match Credential::from_env(scheme, def, &lookup) {
            Some(Ok(credential)) => calls.credentials.push(Outbound { credential, scheme: Some(scheme.clone()) }),
            Some(Err(e)) => return Err(format!("{cred_at}: {label}: {e}")),
            None => {
                return Err(format!(
                    "{cred_at}: {label}: security scheme `{scheme}` needs {}",
                    match def {
                        toolgate_openapi::SecurityScheme::Http { scheme, .. } if scheme == "basic" =>
                            "{ username = \"…\", password = \"…\" }",
                        toolgate_openapi::SecurityScheme::OAuth2 { .. } =>
                            "a token, or { client_id = \"…\", client_secret = \"…\" }",
                        _ => "the key or token as a string",
                    }
                ));
            }
        }
    }
    let mount = Mount::new(&api, upstream, &tools, calls).map_err(|e| fail(e.to_string()))?;
    let skipped: Vec<String> =
        mount.toolset().skipped().iter().map(|s| format!("{} ({})", s.source, s.reason)).collect();
    if mount.toolset().is_empty() {
        return Err(fail(format!(
            "no operation was selected{}",
            if skipped.is_empty() { String::new() } else { format!(": {}", skipped.join("; ")) }
        )));
    }
    if let Some(l) = limit.take() {
        *limit = Some(l.document_limits(&api, mount.toolset()).map_err(|e| fail(e.to_string()))?);
    }
    let report = MountReport { label, source: source.label(), base, tools: mount.toolset().len(), skipped };
    Ok((mount, report))
}

/// Builds every mount (reporting every broken one, not only the first) into one catalog;
/// `limit` takes the quotas the documents give their tools (`x-mcp-rate-limit`).
async fn build_all(loaded: &Loaded, limit: &mut Option<RateLimit>) -> Result<Built, Vec<String>> {
    let mut mounts = Vec::new();
    let mut reports = Vec::new();
    let mut errors = Vec::new();
    let mut files = vec![loaded.path.clone()];
    let mut urls = Vec::new();
    if loaded.config.mounts.is_empty() {
        errors.push(format!("{}: no [[mount]]: nothing to serve", loaded.path.display()));
    }
    for (i, m) in loaded.config.mounts.iter().enumerate() {
        let at = loaded.at(&m.span());
        let m = m.get_ref();
        match Source::parse(&m.openapi) {
            Source::File(p) => files.push(loaded.resolve(&p)),
            Source::Url(u) => {
                if let Some(secs) = m.reload_interval {
                    if secs.is_finite() && secs >= 1.0 {
                        urls.push((u, Duration::from_secs_f64(secs)));
                    } else {
                        errors.push(format!("{at}: {}: reload_interval must be at least 1 second", m.label(i)));
                    }
                }
            }
            Source::Value(_) => {}
        }
        match build_mount(loaded, i, m, &at, limit).await {
            Ok((mount, report)) => {
                mounts.push(mount);
                reports.push(report);
            }
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    match Catalog::new(mounts, Vec::new()) {
        Ok(catalog) => Ok(Built { catalog, reports, files, urls }),
        Err(e) => Err(vec![format!("{}: {e}", loaded.path.display())]),
    }
}

/// The settings a reload cannot change (everything but the mounts).
fn fixed_part(c: &Config) -> Config {
    Config { mounts: Vec::new(), ..c.clone() }
}

/// Refuses what `serve` refuses without a file: a WebSocket path that is not one, no
/// authentication or no host names on a non-loopback address.
fn check_exposure(c: &Config, has_auth: bool, file: &Path) -> Result<(), String> {
    if let Some(ws) = &c.websocket
        && !toolgate::websocket_path_fits(ws, &c.path)
    {
        return Err(format!(
            "{}: websocket = \"{ws}\": the path must start with `/` and differ from path = \"{}\"",
            file.display(),
            c.path
        ));
    }
    if c.listen.ip().is_loopback() {
        return Ok(());
    }
    if !has_auth && !c.allow_unauthenticated {
        return Err(format!(
            "{}: refusing to serve without authentication on {} (not a loopback address): configure [auth], or set allow_unauthenticated = true",
            file.display(),
            c.listen
        ));
    }
    if c.allowed_hosts.is_empty() && !c.allow_any_host {
        return Err(format!(
            "{}: serving on {} needs the host names clients use: allowed_hosts = [\"…\"] (or allow_any_host = true behind a proxy that checks Host)",
            file.display(),
            c.listen
        ));
    }
    Ok(())
}

pub async fn check(a: CheckArgs) -> Result<ExitCode, Error> {
    let loaded = match crate::config::load(&a.config, &env) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(1));
        }
    };
    let mut errors = Vec::new();
    let auth = crate::auth::config(&loaded.config.auth.to_args(loaded.dir()));
    match &auth {
        Ok(auth) => {
            if let Err(e) = check_exposure(&loaded.config, auth.is_some(), &loaded.path) {
                errors.push(e);
            }
        }
        Err(e) => errors.push(format!("{}: [auth]: {e}", loaded.path.display())),
    }
    let mut limit = match loaded.config.rate_limit.to_args().map_err(Error::from).and_then(|a| a.config()) {
        Ok(l) => l,
        Err(e) => {
            errors.push(format!("{}: [rate_limit]: {e}", loaded.path.display()));
            None
        }
    };
    match build_all(&loaded, &mut limit).await {
        Ok(built) => {
            for r in &built.reports {
                println!("{}: {} tools from {} → {}", r.label, r.tools, r.source, r.base);
                for s in &r.skipped {
                    println!("  skipped {s}");
                }
            }
            if errors.is_empty() {
                let n = built.reports.len();
                println!(
                    "{}: OK: {} tools from {n} mount{}",
                    loaded.path.display(),
                    built.catalog.len(),
                    if n == 1 { "" } else { "s" }
                );
            }
        }
        Err(e) => errors.extend(e),
    }
    for e in &errors {
        eprintln!("error: {e}");
    }
    Ok(if errors.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

pub async fn serve(file: &Path) -> Result<ExitCode, Error> {
    let loaded = crate::config::load(file, &env)?;
    let c = loaded.config.clone();
    let auth = crate::auth::config(&c.auth.to_args(loaded.dir()))
        .map_err(|e| format!("{}: [auth]: {e}", loaded.path.display()))?;
    check_exposure(&c, auth.is_some(), &loaded.path)?;
    let limits = c.rate_limit.to_args().map_err(|e| format!("{}: [rate_limit]: {e}", loaded.path.display()))?;
    let mut limit = limits.config().map_err(|e| format!("{}: [rate_limit]: {e}", loaded.path.display()))?;
    let built = build_all(&loaded, &mut limit).await.map_err(|e| e.join("\n"))?;
    for r in &built.reports {
        tracing::info!("{}: {} tools from {} → {}", r.label, r.tools, r.source, r.base);
    }
    let path = loaded.path.clone();
    let fixed = fixed_part(&c);
    let reloading = Arc::new(Reloading::new(built.catalog).with_rebuild(move || {
        let (path, fixed) = (path.clone(), fixed.clone());
        async move {
            let loaded = crate::config::load(&path, &env).map_err(toolgate::Error::Config)?;
            if fixed_part(&loaded.config) != fixed {
                tracing::warn!(
                    "{}: only the mounts are reloaded; restart to apply changes to the other settings",
                    path.display()
                );
            }
            // Quotas stay as they were at start-up (x-mcp-rate-limit of a reloaded document too).
            let built = build_all(&loaded, &mut None).await.map_err(|e| toolgate::Error::Config(e.join("\n")))?;
            Ok(built.catalog)
        }
    }));
    #[cfg(unix)]
    reloading.reload_on_sighup()?;
    if c.watch {
        reloading.watch_files(built.files, Duration::from_secs(1));
    }
    for (url, every) in built.urls {
        reloading.watch_urls(vec![url], every);
    }

    let mut server = ServerOptions::default();
    if let Some(n) = &c.server.name {
        server.name = n.clone();
    }
    server.title = c.server.title.clone();
    server.instructions = c.server.instructions.clone();
    let mut http = HttpOptions::default();
    if c.allow_any_host {
        http.allowed_hosts = None;
    } else if let Some(hosts) = &mut http.allowed_hosts {
        hosts.extend(c.allowed_hosts.iter().cloned());
    }
    http.allowed_origins.extend(c.allowed_origins.iter().cloned());
    let mut endpoint = match limit {
        Some(limit) => McpEndpoint::reloading_with_rate_limit(reloading.clone(), limit, server, http, &c.path, auth),
        None => McpEndpoint::reloading(reloading.clone(), server, http, &c.path, auth),
    };
    if let Some(ws) = &c.websocket {
        endpoint = endpoint.with_websocket(ws);
    }
    let app = limits.http_guard(endpoint.router());
    let listener =
        tokio::net::TcpListener::bind(c.listen).await.map_err(|e| format!("cannot listen on {}: {e}", c.listen))?;
    let addr = listener.local_addr()?;
    eprintln!("toolgate: MCP endpoint http://{addr}{} ({} tools)", c.path, reloading.current().len());
    if let Some(ws) = &c.websocket {
        eprintln!("toolgate: MCP over WebSocket ws://{addr}{ws}");
    }
    toolgate::serve(listener, app, crate::cmd_serve::shutdown_signal()).await?;
    Ok(ExitCode::SUCCESS)
}
