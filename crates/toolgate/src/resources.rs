//! Resources served next to the tools: fixed URIs ([`Resource`]) and URI templates with a read
//! function ([`ResourceTemplate`]).
//!
//! ```
//! use toolgate::{Resource, ResourceContent, ResourceTemplate};
//!
//! let readme = Resource::text("docs://readme", "readme", "How to use this API.")
//!     .description("What the tools do and when to use them");
//! let order = ResourceTemplate::new("shop://orders/{id}", "order", |r| async move {
//!     let id = r.var("id")?.to_owned();
//!     Some(vec![ResourceContent::text(r.uri, "application/json", format!(r#"{{"id":"{id}"}}"#))])
//! })
//! .mime_type("application/json")
//! .complete("id", |prefix| ["1", "2", "10"].iter().filter(|v| v.starts_with(prefix)).map(|v| v.to_string()).collect());
//! let mcp = toolgate::Mcp::new(serde_json::json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {}}), axum::Router::new())
//!     .allow_empty()
//!     .resource(readme)
//!     .resource_template(order);
//! # let _ = mcp;
//! ```

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use futures::future::BoxFuture;
use toolgate_mcp::{ResourceContent, ResourceDef};

type ReadFn = Arc<dyn Fn(String) -> BoxFuture<'static, Option<Vec<ResourceContent>>> + Send + Sync>;
type TemplateFn = Arc<dyn Fn(TemplateRequest) -> BoxFuture<'static, Option<Vec<ResourceContent>>> + Send + Sync>;
pub(crate) type CompleteFn = Arc<dyn Fn(&str) -> Vec<String> + Send + Sync>;

/// A resource at a fixed URI (`resources/list` shows it; `resources/read` reads it).
pub struct Resource {
    pub(crate) def: ResourceDef,
    read: ReadFn,
}

impl std::fmt::Debug for Resource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resource").field("uri", &self.def.uri).finish()
    }
}

impl Resource {
    /// A resource whose content `read` produces on every read (it gets the URI). Returning
    /// `None` or no contents makes the read a "resource not found" error.
    pub fn new<F, Fut>(uri: &str, name: &str, read: F) -> Resource
    where
        F: Fn(String) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Option<Vec<ResourceContent>>> + Send + 'static,
    {
        Resource {
            def: ResourceDef { uri: uri.to_owned(), name: name.to_owned(), description: None, mime_type: None },
            read: Arc::new(move |uri| Box::pin(read(uri))),
        }
    }

    /// A fixed text resource (`text/plain` unless [`Resource::mime_type`] says otherwise).
    pub fn text(uri: &str, name: &str, text: impl Into<String>) -> Resource {
        Resource::fixed(uri, name, "text/plain", None, Some(text.into()))
    }

    /// A fixed binary resource, already base64-encoded (`application/octet-stream` unless
    /// [`Resource::mime_type`] says otherwise).
    pub fn blob(uri: &str, name: &str, base64: impl Into<String>) -> Resource {
        Resource::fixed(uri, name, "application/octet-stream", Some(base64.into()), None)
    }

    fn fixed(uri: &str, name: &str, mime: &str, blob: Option<String>, text: Option<String>) -> Resource {
        let mut r = Resource::new(uri, name, |_| async { None });
        r.def.mime_type = Some(mime.to_owned());
        r.read = fixed_reader(uri.to_owned(), blob, text);
        r
    }

    /// A description for the model.
    pub fn description(mut self, description: &str) -> Resource {
        self.def.description = Some(description.to_owned());
        self
    }

    /// The media type, shown in `resources/list` and put on fixed contents.
    pub fn mime_type(mut self, mime_type: &str) -> Resource {
        self.def.mime_type = Some(mime_type.to_owned());
        self
    }

    /// The URI.
    pub fn uri(&self) -> &str {
        &self.def.uri
    }

    pub(crate) fn read(&self) -> BoxFuture<'static, Option<Vec<ResourceContent>>> {
        let read = self.read.clone();
        let uri = self.def.uri.clone();
        let mime = self.def.mime_type.clone();
        Box::pin(async move {
            let mut contents = read(uri).await?;
            // Fixed contents carry the resource's media type, set after construction.
            for c in &mut contents {
                if c.mime_type.is_none() {
                    c.mime_type = mime.clone();
                }
            }
            Some(contents)
        })
    }
}

fn fixed_reader(uri: String, blob: Option<String>, text: Option<String>) -> ReadFn {
    let content = ResourceContent { uri, mime_type: None, text, blob };
    Arc::new(move |_| {
        let c = content.clone();
        Box::pin(async move { Some(vec![c]) })
    })
}

/// What a [`ResourceTemplate`]'s read function gets.
#[derive(Debug, Clone)]
pub struct TemplateRequest {
    /// The URI asked for.
    pub uri: String,
    /// The template's variables, as they appear in the URI (not percent-decoded).
    pub vars: HashMap<String, String>,
}

impl TemplateRequest {
    /// One variable.
    pub fn var(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }
}

/// Resources named by a URI template (`resources/templates/list` shows it; `resources/read`
/// of a matching URI calls its read function).
///
/// Templates use simple `{name}` expressions (RFC 6570 level 1): a variable matches one or more
/// characters other than `/`, `?` and `#`.
pub struct ResourceTemplate {
    pub(crate) def: ResourceDef,
    parts: Vec<Part>,
    read: TemplateFn,
    pub(crate) completions: HashMap<String, CompleteFn>,
}

impl std::fmt::Debug for ResourceTemplate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResourceTemplate").field("uri_template", &self.def.uri).finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Var(String),
}

fn parse_template(t: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut rest = t;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}').map(|c| open + c) else { break };
        if open > 0 {
            parts.push(Part::Literal(rest[..open].to_owned()));
        }
        parts.push(Part::Var(rest[open + 1..close].trim().to_owned()));
        rest = &rest[close + 1..];
    }
    if !rest.is_empty() {
        parts.push(Part::Literal(rest.to_owned()));
    }
    parts
}

/// Matches `uri` against template parts; a variable takes the shortest non-empty run of
/// characters other than `/?#` that lets the rest match.
fn match_parts(parts: &[Part], uri: &str, vars: &mut HashMap<String, String>) -> bool {
    match parts.split_first() {
        None => uri.is_empty(),
        Some((Part::Literal(l), rest)) => uri.strip_prefix(l.as_str()).is_some_and(|u| match_parts(rest, u, vars)),
        Some((Part::Var(name), rest)) => {
            let limit = uri.find(['/', '?', '#']).unwrap_or(uri.len());
            for end in (1..=limit).filter(|e| uri.is_char_boundary(*e)) {
                if match_parts(rest, &uri[end..], vars) {
                    vars.insert(name.clone(), uri[..end].to_owned());
                    return true;
                }
            }
            false
        }
    }
}

impl ResourceTemplate {
    /// A template such as `shop://orders/{id}`; `read` gets the URI and its variables and
    /// returns the contents, or `None` when there is no such resource.
    pub fn new<F, Fut>(uri_template: &str, name: &str, read: F) -> ResourceTemplate
    where
        F: Fn(TemplateRequest) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Option<Vec<ResourceContent>>> + Send + 'static,
    {
        ResourceTemplate {
            def: ResourceDef {
                uri: uri_template.to_owned(),
                name: name.to_owned(),
                description: None,
                mime_type: None,
            },
            parts: parse_template(uri_template),
            read: Arc::new(move |r| Box::pin(read(r))),
            completions: HashMap::new(),
        }
    }

    /// A description for the model.
    pub fn description(mut self, description: &str) -> ResourceTemplate {
        self.def.description = Some(description.to_owned());
        self
    }

    /// The media type of the resources.
    pub fn mime_type(mut self, mime_type: &str) -> ResourceTemplate {
        self.def.mime_type = Some(mime_type.to_owned());
        self
    }

    /// Suggests values for one variable (`completion/complete`): `complete` gets what the user
    /// typed so far and returns candidates, best first (at most 100 are sent).
    pub fn complete<F>(mut self, var: &str, complete: F) -> ResourceTemplate
    where
        F: Fn(&str) -> Vec<String> + Send + Sync + 'static,
    {
        self.completions.insert(var.to_owned(), Arc::new(complete));
        self
    }

    /// The URI template.
    pub fn uri_template(&self) -> &str {
        &self.def.uri
    }

    /// The variables of `uri`, if it matches this template.
    pub fn matches(&self, uri: &str) -> Option<HashMap<String, String>> {
        let mut vars = HashMap::new();
        match_parts(&self.parts, uri, &mut vars).then_some(vars)
    }

    pub(crate) fn read(
        &self,
        uri: &str,
        vars: HashMap<String, String>,
    ) -> BoxFuture<'static, Option<Vec<ResourceContent>>> {
        let fut = (self.read)(TemplateRequest { uri: uri.to_owned(), vars });
        let mime = self.def.mime_type.clone();
        Box::pin(async move {
            let mut contents = fut.await?;
            for c in &mut contents {
                if c.mime_type.is_none() {
                    c.mime_type = mime.clone();
                }
            }
            Some(contents)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(t: &str, uri: &str) -> Option<Vec<(String, String)>> {
        let t = ResourceTemplate::new(t, "t", |_| async { None });
        t.matches(uri).map(|m| {
            let mut v: Vec<_> = m.into_iter().collect();
            v.sort();
            v
        })
    }

    #[test]
    fn templates_match_simple_variables() {
        let one = |k: &str, v: &str| Some(vec![(k.to_owned(), v.to_owned())]);
        assert_eq!(vars("test://template/{id}/data", "test://template/123/data"), one("id", "123"));
        assert_eq!(vars("test://template/{id}/data", "test://template//data"), None);
        assert_eq!(vars("test://template/{id}/data", "test://template/1/2/data"), None);
        assert_eq!(vars("test://template/{id}/data", "test://template/1/data/x"), None);
        assert_eq!(vars("x://{id}", "x://abc"), one("id", "abc"));
        assert_eq!(vars("x://{a}-{b}", "x://1-2-3"), Some(vec![("a".into(), "1".into()), ("b".into(), "2-3".into())]));
        assert_eq!(vars("x://fixed", "x://fixed"), Some(vec![]));
    }

    #[tokio::test]
    async fn fixed_resources_carry_their_media_type() {
        let r = Resource::blob("x://b", "b", "AAEC").mime_type("image/png");
        let c = r.read().await.unwrap_or_default();
        assert_eq!(c, vec![ResourceContent::blob("x://b", "image/png", "AAEC")]);
        let r = Resource::text("x://t", "t", "hi");
        assert_eq!(r.read().await.unwrap_or_default(), vec![ResourceContent::text("x://t", "text/plain", "hi")]);
    }
}
