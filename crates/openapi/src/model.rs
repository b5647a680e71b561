//! The normalized model: one shape for Swagger 2.0 and OpenAPI 3.0, 3.1 and 3.2.

use indexmap::IndexMap;
use serde_json::Value;

use crate::error::Diagnostic;
use crate::schema::Schemas;

/// Which specification the source document follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SpecVersion {
    /// Swagger 2.0.
    Swagger2,
    /// OpenAPI 3.0.x.
    OpenApi30,
    /// OpenAPI 3.1.x.
    OpenApi31,
    /// OpenAPI 3.2.x.
    OpenApi32,
}

impl SpecVersion {
    /// A short label (`2.0`, `3.0`, `3.1`, `3.2`).
    pub fn label(self) -> &'static str {
        match self {
            SpecVersion::Swagger2 => "2.0",
            SpecVersion::OpenApi30 => "3.0",
            SpecVersion::OpenApi31 => "3.1",
            SpecVersion::OpenApi32 => "3.2",
        }
    }
}

/// A loaded, normalized API description.
#[derive(Debug, Clone)]
pub struct Api {
    /// Which specification the document follows.
    pub spec_version: SpecVersion,
    /// `info.title`.
    pub title: String,
    /// `info.version`.
    pub version: String,
    /// `info.description`.
    pub description: Option<String>,
    /// Servers (Swagger 2.0's `host`/`basePath`/`schemes` become servers too), with variables
    /// replaced by their defaults. URLs may be relative to the document's own URL.
    pub servers: Vec<Server>,
    /// Every operation of every path, in document order.
    pub operations: Vec<Operation>,
    /// Every schema that some operation uses, normalized to JSON Schema 2020-12 and named for
    /// use under `$defs`.
    pub schemas: Schemas,
    /// Security schemes by name.
    pub security_schemes: IndexMap<String, SecurityScheme>,
    /// The document-wide security requirements (`security` at the root).
    pub security: Vec<SecurityRequirement>,
    /// `x-*` extensions at the root of the document.
    pub extensions: IndexMap<String, Value>,
    /// What the loader noticed and changed or left out.
    pub diagnostics: Vec<Diagnostic>,
}

/// An HTTP method of an operation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    /// GET
    Get,
    /// PUT
    Put,
    /// POST
    Post,
    /// DELETE
    Delete,
    /// OPTIONS
    Options,
    /// HEAD
    Head,
    /// PATCH
    Patch,
    /// TRACE
    Trace,
    /// QUERY (OpenAPI 3.2)
    Query,
    /// Any other method from OpenAPI 3.2's `additionalOperations`, upper-case.
    Other(String),
}

impl Method {
    /// The method as it goes on the wire (`GET`, `POST`, …).
    pub fn as_str(&self) -> &str {
        match self {
            Method::Get => "GET",
            Method::Put => "PUT",
            Method::Post => "POST",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
            Method::Head => "HEAD",
            Method::Patch => "PATCH",
            Method::Trace => "TRACE",
            Method::Query => "QUERY",
            Method::Other(m) => m,
        }
    }

    /// Parses a path-item key (`get`, `post`, …); `None` for keys that are not methods.
    pub fn from_key(key: &str) -> Option<Method> {
        Some(match key {
            "get" => Method::Get,
            "put" => Method::Put,
            "post" => Method::Post,
            "delete" => Method::Delete,
            "options" => Method::Options,
            "head" => Method::Head,
            "patch" => Method::Patch,
            "trace" => Method::Trace,
            "query" => Method::Query,
            _ => return None,
        })
    }

    /// The lower-case form used in path items and generated names.
    pub fn lower(&self) -> String {
        self.as_str().to_ascii_lowercase()
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A server an API is reachable at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    /// The URL, variables substituted with their defaults.
    pub url: String,
    /// `description`.
    pub description: Option<String>,
}

/// One operation: a method on a path.
#[derive(Debug, Clone)]
pub struct Operation {
    /// JSON pointer of the operation in the source document (`/paths/~1pets/get`).
    pub pointer: String,
    /// The HTTP method.
    pub method: Method,
    /// The path template (`/pets/{petId}`).
    pub path: String,
    /// `operationId`.
    pub operation_id: Option<String>,
    /// `summary`.
    pub summary: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `tags`.
    pub tags: Vec<String>,
    /// `deprecated`.
    pub deprecated: bool,
    /// Path-item parameters merged with the operation's own (the operation's win on the same
    /// name and location).
    pub parameters: Vec<Parameter>,
    /// The request body, if any.
    pub request_body: Option<RequestBody>,
    /// Responses in document order (`200`, `2XX`, `default`, …).
    pub responses: Vec<Response>,
    /// The operation's own `security`; `None` means the document-wide requirements apply.
    pub security: Option<Vec<SecurityRequirement>>,
    /// Operation-level (or path-level) server overrides.
    pub servers: Vec<Server>,
    /// `x-*` extensions of the operation.
    pub extensions: IndexMap<String, Value>,
    /// `x-*` extensions of the path item that holds the operation.
    pub path_extensions: IndexMap<String, Value>,
}

impl Operation {
    /// Looks an extension up on the operation, then on its path item.
    pub fn extension(&self, name: &str) -> Option<&Value> {
        self.extensions.get(name).or_else(|| self.path_extensions.get(name))
    }
}

/// Where a parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ParameterLocation {
    /// A path segment.
    Path,
    /// The query string.
    Query,
    /// A request header.
    Header,
    /// The `Cookie` header.
    Cookie,
}

impl ParameterLocation {
    /// `path`, `query`, `header` or `cookie`.
    pub fn as_str(self) -> &'static str {
        match self {
            ParameterLocation::Path => "path",
            ParameterLocation::Query => "query",
            ParameterLocation::Header => "header",
            ParameterLocation::Cookie => "cookie",
        }
    }
}

/// A parameter serialization style.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Style {
    /// `;name=value` (path)
    Matrix,
    /// `.value` (path)
    Label,
    /// `value` (path, header; the default there)
    Simple,
    /// `name=value` (query, cookie; the default there)
    Form,
    /// `name=a%20b` (query arrays)
    SpaceDelimited,
    /// `name=a|b` (query arrays)
    PipeDelimited,
    /// `name[key]=value` (query objects)
    DeepObject,
}

impl Style {
    /// Parses a `style` value.
    pub fn parse(s: &str) -> Option<Style> {
        Some(match s {
            "matrix" => Style::Matrix,
            "label" => Style::Label,
            "simple" => Style::Simple,
            "form" => Style::Form,
            "spaceDelimited" => Style::SpaceDelimited,
            "pipeDelimited" => Style::PipeDelimited,
            "deepObject" => Style::DeepObject,
            _ => return None,
        })
    }

    /// The default style for a location.
    pub fn default_for(location: ParameterLocation) -> Style {
        match location {
            ParameterLocation::Path | ParameterLocation::Header => Style::Simple,
            ParameterLocation::Query | ParameterLocation::Cookie => Style::Form,
        }
    }
}

/// A parameter, normalized.
#[derive(Debug, Clone)]
pub struct Parameter {
    /// The name on the wire.
    pub name: String,
    /// Where it goes.
    pub location: ParameterLocation,
    /// Whether it must be given (always true for path parameters).
    pub required: bool,
    /// `deprecated`.
    pub deprecated: bool,
    /// `description`.
    pub description: Option<String>,
    /// The normalized JSON Schema (2020-12) of its value; `{}` if the document gives none.
    pub schema: Value,
    /// Serialization style (the location's default when not given).
    pub style: Style,
    /// `explode` (defaults: `true` for `form`, else `false`).
    pub explode: bool,
    /// `allowReserved` (query only).
    pub allow_reserved: bool,
    /// Set when the parameter is described with `content` instead of `schema`: the value is
    /// serialized in this media type (usually `application/json`) rather than by style.
    pub content_type: Option<String>,
}

/// A request body.
#[derive(Debug, Clone)]
pub struct RequestBody {
    /// `required`.
    pub required: bool,
    /// `description`.
    pub description: Option<String>,
    /// Media types in document order.
    pub content: Vec<MediaType>,
}

/// One media type of a body or response.
#[derive(Debug, Clone)]
pub struct MediaType {
    /// The media type (`application/json`, `multipart/form-data`, …), lower-case.
    pub media_type: String,
    /// The normalized schema, if given.
    pub schema: Option<Value>,
    /// Per-property encodings of form and multipart bodies.
    pub encoding: IndexMap<String, Encoding>,
}

/// The `encoding` of one property of a form or multipart body.
#[derive(Debug, Clone, Default)]
pub struct Encoding {
    /// `contentType`.
    pub content_type: Option<String>,
    /// `style`.
    pub style: Option<Style>,
    /// `explode`.
    pub explode: Option<bool>,
    /// `allowReserved`.
    pub allow_reserved: bool,
}

/// A response.
#[derive(Debug, Clone)]
pub struct Response {
    /// The status key as written: `200`, `2XX`, `default`.
    pub status: String,
    /// `description`.
    pub description: Option<String>,
    /// Media types in document order.
    pub content: Vec<MediaType>,
    /// Response headers.
    pub headers: Vec<Header>,
}

/// A response header.
#[derive(Debug, Clone)]
pub struct Header {
    /// The header name.
    pub name: String,
    /// `description`.
    pub description: Option<String>,
    /// The normalized schema.
    pub schema: Value,
}

/// A security scheme.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum SecurityScheme {
    /// An API key in a header, the query or a cookie.
    ApiKey {
        /// The header, query or cookie name.
        name: String,
        /// Where the key goes.
        location: ParameterLocation,
    },
    /// HTTP authentication (`bearer`, `basic`, …).
    Http {
        /// The scheme, lower-case (`bearer`, `basic`).
        scheme: String,
        /// `bearerFormat`.
        bearer_format: Option<String>,
    },
    /// OAuth 2.0.
    OAuth2 {
        /// The flows.
        flows: Vec<OAuthFlow>,
    },
    /// OpenID Connect discovery.
    OpenIdConnect {
        /// `openIdConnectUrl`.
        url: String,
    },
    /// Mutual TLS.
    MutualTls,
}

/// One OAuth 2.0 flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthFlow {
    /// `implicit`, `password`, `clientCredentials`, `authorizationCode` or `deviceAuthorization`.
    pub kind: String,
    /// `authorizationUrl`.
    pub authorization_url: Option<String>,
    /// `tokenUrl`.
    pub token_url: Option<String>,
    /// Scope names.
    pub scopes: Vec<String>,
}

/// One security requirement: every named scheme (with the listed scopes) must be satisfied.
pub type SecurityRequirement = IndexMap<String, Vec<String>>;
