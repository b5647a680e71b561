//! The gateway: an HTTP API described by OpenAPI, served as MCP.

use toolgate_openapi::Api;

use crate::source::Source;

/// The base URL to call: the one given, else the document's first server (a relative server
/// URL is resolved against the document's own URL).
pub fn base_url(given: Option<&str>, api: &Api, source: &Source) -> Result<String, crate::Error> {
    if let Some(u) = given {
        return Ok(u.to_owned());
    }
    let Some(server) = api.servers.first() else {
        return Err(crate::Error::Config(
            "the document lists no `servers`: pass the API's base URL with --upstream".into(),
        ));
    };
    let url = server.url.trim();
    if url.starts_with("http://") || url.starts_with("https://") {
        return Ok(url.to_owned());
    }
    match source.base_for_relative_servers().and_then(|doc| doc.parse::<http::Uri>().ok()) {
        Some(doc) if url.starts_with('/') => {
            let scheme = doc.scheme_str().unwrap_or("http");
            let authority = doc.authority().map(|a| a.as_str()).unwrap_or("");
            Ok(format!("{scheme}://{authority}{url}"))
        }
        _ => Err(crate::Error::Config(format!(
            "the document's server URL `{url}` is relative and the document was not loaded from a URL: pass --upstream"
        ))),
    }
}
