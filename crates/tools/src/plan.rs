//! `RequestPlan`: how a tool's arguments become an HTTP request.

use base64::Engine;
use bytes::Bytes;
use http::header::{CONTENT_TYPE, COOKIE, HeaderName, HeaderValue};
use http::{HeaderMap, Method};
use serde_json::{Map, Value};
use toolgate_openapi::{ParameterLocation, Style};

use crate::error::{ArgumentError, ArgumentProblem};
use crate::serialize;

/// Where one argument goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamPlan {
    /// The argument's name in the tool's input schema (may carry a location suffix such as
    /// `id__path` when several places share a name).
    pub arg: String,
    /// The parameter's name on the wire.
    pub name: String,
    /// Where it goes.
    pub location: ParameterLocation,
    /// Serialization style.
    pub style: Style,
    /// `explode`.
    pub explode: bool,
    /// `allowReserved`.
    pub allow_reserved: bool,
    /// Serialize the value as JSON text (parameters described with `content`).
    pub json: bool,
}

/// One field of a JSON, form or multipart body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldPlan {
    /// The argument's name.
    pub arg: String,
    /// The field's name in the body.
    pub name: String,
    /// A file part (multipart): the argument is `{content (base64), filename, content_type}`.
    pub file: bool,
    /// The part's content type (multipart), from the document's `encoding`.
    pub content_type: Option<String>,
    /// Form fields: repeat the key for each array item (`explode`, the default) or join with commas.
    pub explode: bool,
}

/// How the body is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyPlan {
    /// No body.
    None,
    /// A JSON object assembled from several arguments.
    JsonFields(Vec<FieldPlan>),
    /// The JSON value of one argument (`body`).
    JsonWhole {
        /// The argument.
        arg: String,
    },
    /// `application/x-www-form-urlencoded` from several arguments.
    Form(Vec<FieldPlan>),
    /// `multipart/form-data` from several arguments.
    Multipart(Vec<FieldPlan>),
    /// The bytes of one argument, text as it is or base64-decoded.
    Raw {
        /// The argument.
        arg: String,
        /// Whether the argument is base64.
        base64: bool,
    },
}

/// How arguments become a request for one tool. Built once, at start-up.
#[derive(Debug, Clone)]
pub struct RequestPlan {
    /// The method.
    pub method: Method,
    /// The path template split into literal text and parameter slots.
    pub path: Vec<PathPart>,
    /// Path, query, header and cookie parameters.
    pub params: Vec<ParamPlan>,
    /// The body.
    pub body: BodyPlan,
    /// The body's media type (`application/json`, `multipart/form-data`, …).
    pub content_type: Option<String>,
    /// `Accept`, from the documented success responses.
    pub accept: Option<String>,
}

/// A piece of a path template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathPart {
    /// Literal text, as in the document.
    Literal(String),
    /// The value of `params[i]`.
    Param(usize),
}

/// A request ready to send, without scheme and host: an upstream adds those.
#[derive(Debug, Clone)]
pub struct PreparedRequest {
    /// The method.
    pub method: Method,
    /// Path and query, always starting with `/`.
    pub path_and_query: String,
    /// Headers (parameters, cookies, `Content-Type`, `Accept`).
    pub headers: HeaderMap,
    /// The body (empty when there is none).
    pub body: Bytes,
}

impl RequestPlan {
    /// Builds the request from validated arguments.
    pub fn build(&self, args: &Map<String, Value>) -> Result<PreparedRequest, ArgumentError> {
        let mut problems = Vec::new();
        let mut path = String::with_capacity(64);
        for part in &self.path {
            match part {
                PathPart::Literal(s) => path.push_str(s),
                PathPart::Param(i) => {
                    let p = &self.params[*i];
                    match args.get(&p.arg) {
                        Some(v) if is_empty(v) => problems.push(ArgumentProblem::new(
                            &p.arg,
                            "must not be empty: it fills a path segment (an empty segment would call another URL)",
                        )),
                        Some(v) if !v.is_null() => {
                            if p.json {
                                path.push_str(&serialize::encode_segment(&v.to_string()));
                            } else {
                                path.push_str(&serialize::path(p.style, p.explode, &p.name, v));
                            }
                        }
                        _ => problems.push(ArgumentProblem::missing(&p.arg, "a path parameter")),
                    }
                }
            }
        }
        let mut query = Vec::new();
        let mut headers = HeaderMap::new();
        let mut cookies = Vec::new();
        for p in &self.params {
            let Some(v) = args.get(&p.arg).filter(|v| !v.is_null()) else {
                continue;
            };
            match p.location {
                ParameterLocation::Path => {}
                ParameterLocation::Query => {
                    if p.json {
                        query.push(format!("{}={}", serialize::encode(&p.name), serialize::encode(&v.to_string())));
                    } else {
                        serialize::query(p.style, p.explode, p.allow_reserved, &p.name, v, &mut query);
                    }
                }
                ParameterLocation::Header => {
                    let text = if p.json { Some(v.to_string()) } else { serialize::header(p.explode, v) };
                    let value = text.and_then(|t| HeaderValue::from_str(&t).ok());
                    match (HeaderName::from_bytes(p.name.as_bytes()), value) {
                        (Ok(name), Some(value)) => {
                            headers.append(name, value);
                        }
                        (Err(_), _) => problems
                            .push(ArgumentProblem::new(&p.arg, format!("`{}` is not a valid header name", p.name))),
                        (_, None) => problems.push(ArgumentProblem::new(
                            &p.arg,
                            "must not contain control characters such as CR or LF (it is sent as a header)",
                        )),
                    }
                }
                ParameterLocation::Cookie => {
                    if p.json {
                        cookies.push(format!("{}={}", p.name, serialize::encode(&v.to_string())));
                    } else {
                        serialize::cookie(p.explode, &p.name, v, &mut cookies);
                    }
                }
            }
        }
        if !cookies.is_empty() {
            match HeaderValue::from_str(&cookies.join("; ")) {
                Ok(v) => {
                    headers.insert(COOKIE, v);
                }
                Err(_) => problems.push(ArgumentProblem::new("", "cookie values must be printable")),
            }
        }
        let body = match self.body(args, &mut problems) {
            Some(b) => b,
            None => Bytes::new(),
        };
        if !problems.is_empty() {
            return Err(ArgumentError { problems });
        }
        if !query.is_empty() {
            path.push(if path.contains('?') { '&' } else { '?' });
            path.push_str(&query.join("&"));
        }
        if !path.starts_with('/') {
            path.insert(0, '/');
        }
        if let Some(ct) = &self.content_type
            && (!body.is_empty() || matches!(self.body, BodyPlan::JsonFields(_) | BodyPlan::JsonWhole { .. }))
        {
            let ct = if ct == "multipart/form-data" {
                format!("multipart/form-data; boundary={BOUNDARY}")
            } else {
                ct.clone()
            };
            if let Ok(v) = HeaderValue::from_str(&ct) {
                headers.insert(CONTENT_TYPE, v);
            }
        }
        if let Some(accept) = &self.accept
            && let Ok(v) = HeaderValue::from_str(accept)
        {
            headers.insert(http::header::ACCEPT, v);
        }
        Ok(PreparedRequest { method: self.method.clone(), path_and_query: path, headers, body })
    }

    fn body(&self, args: &Map<String, Value>, problems: &mut Vec<ArgumentProblem>) -> Option<Bytes> {
        match &self.body {
            BodyPlan::None => None,
            BodyPlan::JsonWhole { arg } => args.get(arg).map(|v| Bytes::from(v.to_string())),
            BodyPlan::JsonFields(fields) => {
                let mut obj = Map::new();
                for f in fields {
                    if let Some(v) = args.get(&f.arg) {
                        obj.insert(f.name.clone(), v.clone());
                    }
                }
                if obj.is_empty() && fields.iter().all(|f| !args.contains_key(&f.arg)) && !self.body_required_hint() {
                    return None;
                }
                Some(Bytes::from(Value::Object(obj).to_string()))
            }
            BodyPlan::Form(fields) => {
                let mut pairs = Vec::new();
                for f in fields {
                    let Some(v) = args.get(&f.arg).filter(|v| !v.is_null()) else {
                        continue;
                    };
                    let k = serialize::encode(&f.name);
                    match v {
                        Value::Array(items) if f.explode => {
                            pairs.extend(
                                items.iter().map(|i| format!("{k}={}", serialize::encode(&serialize::text(i)))),
                            );
                        }
                        Value::Array(items) => pairs.push(format!(
                            "{k}={}",
                            items.iter().map(|i| serialize::encode(&serialize::text(i))).collect::<Vec<_>>().join(",")
                        )),
                        other => pairs.push(format!("{k}={}", serialize::encode(&serialize::text(other)))),
                    }
                }
                Some(Bytes::from(pairs.join("&")))
            }
            BodyPlan::Multipart(fields) => Some(multipart(fields, args, problems)),
            BodyPlan::Raw { arg, base64 } => {
                let v = args.get(arg)?;
                let s = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                if *base64 {
                    match base64::engine::general_purpose::STANDARD.decode(s.trim()) {
                        Ok(b) => Some(Bytes::from(b)),
                        Err(e) => {
                            problems.push(ArgumentProblem::new(arg, format!("is not valid base64 ({e})")));
                            None
                        }
                    }
                } else {
                    Some(Bytes::from(s))
                }
            }
        }
    }

    fn body_required_hint(&self) -> bool {
        matches!(self.method, Method::POST | Method::PUT | Method::PATCH)
    }

    /// The argument names this plan reads, in order.
    pub fn argument_names(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self.params.iter().map(|p| p.arg.as_str()).collect();
        match &self.body {
            BodyPlan::JsonFields(f) | BodyPlan::Form(f) | BodyPlan::Multipart(f) => {
                out.extend(f.iter().map(|f| f.arg.as_str()))
            }
            BodyPlan::JsonWhole { arg } | BodyPlan::Raw { arg, .. } => out.push(arg),
            BodyPlan::None => {}
        }
        out
    }
}

/// Whether a path value would render as nothing (`""`, `[]`, `{}`, or only nulls).
fn is_empty(v: &Value) -> bool {
    match v {
        Value::String(s) => s.is_empty(),
        Value::Array(items) => items.iter().all(Value::is_null),
        Value::Object(map) => map.values().all(Value::is_null),
        _ => false,
    }
}

/// The multipart boundary. Fixed and long enough not to occur in text fields by accident; file
/// contents are checked, and a part that contains it is refused.
pub const BOUNDARY: &str = "toolgate-boundary-7MA4YWxkTrZu0gW";

fn quote(s: &str) -> String {
    s.chars()
        .filter(|c| *c != '\r' && *c != '\n')
        .map(|c| if c == '"' { "%22".to_owned() } else { c.to_string() })
        .collect()
}

fn multipart(fields: &[FieldPlan], args: &Map<String, Value>, problems: &mut Vec<ArgumentProblem>) -> Bytes {
    let mut out: Vec<u8> = Vec::new();
    let mut part = |name: &str,
                    filename: Option<&str>,
                    ctype: Option<&str>,
                    data: &[u8],
                    problems: &mut Vec<ArgumentProblem>,
                    arg: &str| {
        if data.windows(BOUNDARY.len()).any(|w| w == BOUNDARY.as_bytes()) {
            problems.push(ArgumentProblem::new(arg, "contains the multipart boundary string"));
            return;
        }
        out.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{}\"", quote(name)).as_bytes(),
        );
        if let Some(f) = filename {
            out.extend_from_slice(format!("; filename=\"{}\"", quote(f)).as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        if let Some(ct) = ctype {
            out.extend_from_slice(format!("Content-Type: {}\r\n", quote(ct)).as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(data);
        out.extend_from_slice(b"\r\n");
    };
    for f in fields {
        let Some(v) = args.get(&f.arg).filter(|v| !v.is_null()) else {
            continue;
        };
        let items: Vec<&Value> = match v {
            Value::Array(items) if f.file || f.explode => items.iter().collect(),
            other => vec![other],
        };
        for item in items {
            if f.file {
                let content = item.get("content").and_then(Value::as_str).unwrap_or_default();
                let filename = item.get("filename").and_then(Value::as_str).unwrap_or(&f.name);
                let ctype = item
                    .get("content_type")
                    .and_then(Value::as_str)
                    .or(f.content_type.as_deref())
                    .unwrap_or("application/octet-stream");
                match base64::engine::general_purpose::STANDARD.decode(content.trim()) {
                    Ok(bytes) => part(&f.name, Some(filename), Some(ctype), &bytes, problems, &f.arg),
                    Err(e) => {
                        problems.push(ArgumentProblem::new(&f.arg, format!("`content` is not valid base64 ({e})")))
                    }
                }
            } else {
                match item {
                    Value::Object(_) | Value::Array(_) => {
                        let ct = f.content_type.as_deref().unwrap_or("application/json");
                        part(&f.name, None, Some(ct), item.to_string().as_bytes(), problems, &f.arg)
                    }
                    other => part(
                        &f.name,
                        None,
                        f.content_type.as_deref(),
                        serialize::text(other).as_bytes(),
                        problems,
                        &f.arg,
                    ),
                }
            }
        }
    }
    out.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    Bytes::from(out)
}

/// Scheme, host and path prefix that every request of an upstream is sent under. A plan's path
/// is always appended to the prefix, so a call can never reach another host or scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl {
    scheme: http::uri::Scheme,
    authority: http::uri::Authority,
    prefix: String,
}

impl BaseUrl {
    /// Parses `http(s)://host[:port][/prefix]`. Query strings and fragments are refused.
    pub fn parse(url: &str) -> Result<BaseUrl, String> {
        let uri: http::Uri = url.parse().map_err(|e| format!("`{url}` is not a valid URL: {e}"))?;
        let scheme = uri.scheme().cloned().ok_or_else(|| format!("`{url}` has no scheme (http:// or https://)"))?;
        if scheme != http::uri::Scheme::HTTP && scheme != http::uri::Scheme::HTTPS {
            return Err(format!("`{url}`: only http and https are supported"));
        }
        let authority = uri.authority().cloned().ok_or_else(|| format!("`{url}` has no host"))?;
        if authority.as_str().contains('@') {
            return Err(format!("`{url}`: credentials in the URL are not supported; configure them as outbound auth"));
        }
        if uri.query().is_some() {
            return Err(format!("`{url}`: a base URL must not have a query string"));
        }
        let prefix = uri.path().trim_end_matches('/').to_owned();
        Ok(BaseUrl { scheme, authority, prefix })
    }

    /// The base for an in-process service: `http://localhost` with no prefix.
    pub fn in_process() -> BaseUrl {
        BaseUrl {
            scheme: http::uri::Scheme::HTTP,
            authority: http::uri::Authority::from_static("localhost"),
            prefix: String::new(),
        }
    }

    /// The same base with a path prefix added (for routers nested under a prefix).
    pub fn with_prefix(&self, prefix: &str) -> BaseUrl {
        let mut b = self.clone();
        b.prefix.push_str(prefix.trim_end_matches('/'));
        b
    }

    /// The full URI of a path under this base.
    pub fn uri(&self, path_and_query: &str) -> Result<http::Uri, http::Error> {
        let pq = format!("{}{}", self.prefix, path_and_query);
        http::Uri::builder().scheme(self.scheme.clone()).authority(self.authority.clone()).path_and_query(pq).build()
    }

    /// `scheme://authority`.
    pub fn origin(&self) -> String {
        format!("{}://{}", self.scheme, self.authority)
    }

    /// The path prefix (`""` or `/api/v1`).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }
}

impl std::fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}://{}{}", self.scheme, self.authority, self.prefix)
    }
}

impl PreparedRequest {
    /// Turns the request into an `http::Request` under `base`.
    pub fn into_http(self, base: &BaseUrl) -> Result<http::Request<Bytes>, http::Error> {
        let mut req = http::Request::new(self.body);
        *req.method_mut() = self.method;
        *req.uri_mut() = base.uri(&self.path_and_query)?;
        *req.headers_mut() = self.headers;
        Ok(req)
    }
}
