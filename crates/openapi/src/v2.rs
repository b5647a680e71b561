//! Reader for Swagger 2.0 documents, into the same model as OpenAPI 3.x.

use indexmap::IndexMap;
use serde_json::{Map, Value, json};

use crate::docs::{DocSet, Loc};
use crate::error::{Diagnostic, Problem, ProblemKind, Severity};
use crate::model::*;
use crate::read::{Collected, Obj, Pending, deref};
use crate::schema::Builder;
use crate::v3::security_requirements;
use crate::{Error, LoadOptions};

/// Keywords a Swagger 2.0 non-body parameter (or `items`, or a header) shares with schemas.
const PARAM_SCHEMA_KEYS: &[&str] = &[
    "type",
    "format",
    "default",
    "maximum",
    "exclusiveMaximum",
    "minimum",
    "exclusiveMinimum",
    "maxLength",
    "minLength",
    "pattern",
    "maxItems",
    "minItems",
    "uniqueItems",
    "enum",
    "multipleOf",
    "x-nullable",
    "example",
];

pub(crate) fn read(docs: &mut DocSet, opts: &LoadOptions) -> Result<Api, Error> {
    let (mut api, builder, collected) = {
        let docs: &DocSet = docs;
        let root_loc = Loc::new(0, "");
        let root =
            Obj::new(docs, &root_loc, &docs.docs[0].root, "the document").map_err(|p| Error::Invalid(vec![p]))?;
        let mut r = Reader {
            docs,
            b: Builder::new(docs, true),
            problems: Vec::new(),
            diagnostics: Vec::new(),
            pending: Vec::new(),
        };
        r.b.reserve_names("/definitions");

        let info = root.map.get("info");
        let title = info.and_then(|i| i.get("title")).and_then(Value::as_str).unwrap_or_default().to_owned();
        let version = match info.and_then(|i| i.get("version")) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => String::new(),
        };
        let description = info.and_then(|i| i.get("description")).and_then(Value::as_str).map(str::to_owned);
        let servers = servers(&root);
        let consumes = root.strings("consumes").unwrap_or_default();
        let produces = root.strings("produces").unwrap_or_default();
        let security_schemes = r.security_definitions(&root);
        let security = match security_requirements(&root) {
            Ok(s) => s.unwrap_or_default(),
            Err(p) => {
                r.problems.push(p);
                Vec::new()
            }
        };
        r.paths(&root, &consumes, &produces);
        let collected = Collected { pending: r.pending, problems: r.problems, diagnostics: r.diagnostics };
        let api = Api {
            spec_version: SpecVersion::Swagger2,
            title,
            version,
            description,
            servers,
            operations: Vec::new(),
            schemas: Default::default(),
            security_schemes,
            security,
            extensions: IndexMap::new(),
            diagnostics: Vec::new(),
        };
        (api, r.b.detach(), collected)
    };
    let (operations, schemas, diagnostics) = crate::read::finish(docs, builder, collected, opts.lenient)?;
    api.operations = operations;
    api.schemas = schemas;
    api.diagnostics = diagnostics;
    api.extensions = docs.take_root_extensions();
    Ok(api)
}

/// `schemes` + `host` + `basePath` as servers (https first). Without `host` the URL is relative.
fn servers(root: &Obj<'_, '_>) -> Vec<Server> {
    let host = root.str("host").ok().flatten();
    let base = root.str("basePath").ok().flatten().unwrap_or("");
    let base = base.trim_end_matches('/');
    let mut schemes = root.strings("schemes").unwrap_or_default();
    schemes.sort_by_key(|s| if s == "https" { 0 } else { 1 });
    match host {
        Some(h) if !schemes.is_empty() => schemes
            .iter()
            .filter(|s| *s == "https" || *s == "http")
            .map(|s| Server { url: format!("{s}://{h}{base}"), description: None })
            .collect(),
        Some(h) => vec![Server { url: format!("https://{h}{base}"), description: None }],
        None if !base.is_empty() => vec![Server { url: base.to_owned(), description: None }],
        None => Vec::new(),
    }
}

struct Reader<'d> {
    docs: &'d DocSet,
    b: Builder<'d>,
    problems: Vec<Problem>,
    diagnostics: Vec<Diagnostic>,
    pending: Vec<Pending>,
}

/// A Swagger 2.0 parameter as read, before body and form parameters are gathered.
enum Param2 {
    Plain(Parameter),
    Body { name: String, required: bool, description: Option<String>, schema: Value },
    Form { name: String, required: bool, description: Option<String>, schema: Value, file: bool, explode: bool },
}

impl Param2 {
    fn key(&self) -> (&str, &str) {
        match self {
            Param2::Plain(p) => (&p.name, p.location.as_str()),
            Param2::Body { name, .. } => (name, "body"),
            Param2::Form { name, .. } => (name, "formData"),
        }
    }
}

impl<'d> Reader<'d> {
    fn note(&mut self, severity: Severity, loc: &Loc, message: impl Into<String>) {
        self.diagnostics.push(Diagnostic { severity, pointer: loc.ptr.clone(), message: message.into() });
    }

    fn security_definitions(&mut self, root: &Obj<'d, '_>) -> IndexMap<String, SecurityScheme> {
        let mut out = IndexMap::new();
        let Ok(Some(defs)) = root.obj("securityDefinitions") else {
            return out;
        };
        let loc = Loc::new(0, "/securityDefinitions");
        for (name, v) in defs {
            let here = loc.child(name);
            let scheme = (|| -> Result<SecurityScheme, Problem> {
                let o = Obj::new(self.docs, &here, v, "a security definition")?;
                Ok(match o.required_str("type")? {
                    "basic" => SecurityScheme::Http { scheme: "basic".into(), bearer_format: None },
                    "apiKey" => SecurityScheme::ApiKey {
                        name: o.required_str("name")?.to_owned(),
                        location: if o.str("in")? == Some("query") {
                            ParameterLocation::Query
                        } else {
                            ParameterLocation::Header
                        },
                    },
                    "oauth2" => {
                        let kind = match o.str("flow")?.unwrap_or("") {
                            "application" => "clientCredentials",
                            "accessCode" => "authorizationCode",
                            other => other,
                        };
                        SecurityScheme::OAuth2 {
                            flows: vec![OAuthFlow {
                                kind: kind.to_owned(),
                                authorization_url: o.string("authorizationUrl")?,
                                token_url: o.string("tokenUrl")?,
                                scopes: o.obj("scopes")?.map(|s| s.keys().cloned().collect()).unwrap_or_default(),
                            }],
                        }
                    }
                    other => {
                        return Err(self.docs.problem(
                            &here.child("type"),
                            ProblemKind::Shape,
                            format!("unknown security type `{other}`"),
                        ));
                    }
                })
            })();
            match scheme {
                Ok(s) => {
                    out.insert(name.clone(), s);
                }
                Err(p) => self.problems.push(p),
            }
        }
        out
    }

    fn paths(&mut self, root: &Obj<'d, '_>, consumes: &[String], produces: &[String]) {
        let paths = match root.obj("paths") {
            Ok(Some(p)) => p,
            Ok(None) => return,
            Err(p) => {
                self.problems.push(p);
                return;
            }
        };
        let paths_loc = Loc::new(0, "/paths");
        for (path, item) in paths {
            if path.starts_with("x-") {
                continue;
            }
            let (item_loc, item, _) = match deref(self.docs, paths_loc.child(path), item) {
                Ok(x) => x,
                Err(p) => {
                    self.problems.push(p);
                    continue;
                }
            };
            let item_obj = match Obj::new(self.docs, &item_loc, item, "a path item") {
                Ok(o) => o,
                Err(p) => {
                    self.problems.push(p);
                    continue;
                }
            };
            let path_params = self.param_list(&item_obj);
            for (key, op) in item_obj.map {
                let Some(method) = Method::from_key(key) else {
                    continue;
                };
                let op_loc = item_loc.child(key);
                let mut problems = Vec::new();
                self.b.take_deps();
                let op = self.operation(path, method, &op_loc, op, &path_params, consumes, produces, &mut problems);
                let deps = self.b.take_deps();
                match op {
                    Some(mut op) => {
                        op.path_extensions = item_obj.extensions();
                        self.pending.push(Pending { op, deps, problems });
                    }
                    None => self.problems.extend(problems),
                }
            }
        }
    }

    fn param_list(&mut self, o: &Obj<'d, '_>) -> Vec<Result<Param2, Problem>> {
        let list = match o.arr("parameters") {
            Ok(Some(l)) => l,
            Ok(None) => return Vec::new(),
            Err(p) => return vec![Err(p)],
        };
        let list_loc = o.loc.child("parameters");
        list.iter().enumerate().filter_map(|(i, v)| self.param(list_loc.child(&i.to_string()), v).transpose()).collect()
    }

    fn param(&mut self, loc: Loc, v: &'d Value) -> Result<Option<Param2>, Problem> {
        let (loc, v, _) = deref(self.docs, loc, v)?;
        let o = Obj::new(self.docs, &loc, v, "a parameter")?;
        let name = o.required_str("name")?.to_owned();
        let description = o.string("description")?;
        let required = o.bool("required")?.unwrap_or(false);
        let within = o.required_str("in")?;
        if within == "body" {
            let schema = match o.map.get("schema") {
                Some(s) => self.b.schema(s, &loc.child("schema"))?,
                None => json!({}),
            };
            return Ok(Some(Param2::Body { name, required, description, schema }));
        }
        let (schema, style_fmt) = self.param_schema(&o, &loc)?;
        let location = match within {
            "formData" => {
                let file = o.str("type")? == Some("file");
                let explode = style_fmt == Some("multi");
                return Ok(Some(Param2::Form { name, required, description, schema, file, explode }));
            }
            "path" => ParameterLocation::Path,
            "query" => ParameterLocation::Query,
            "header" => ParameterLocation::Header,
            other => {
                return Err(self.docs.problem(
                    &loc.child("in"),
                    ProblemKind::Shape,
                    format!("`in` must be path, query, header, body or formData, found `{other}`"),
                ));
            }
        };
        if location == ParameterLocation::Header
            && ["accept", "content-type", "authorization"].contains(&name.to_ascii_lowercase().as_str())
        {
            self.note(Severity::Info, &loc, format!("header parameter `{name}` is ignored (set by the client)"));
            return Ok(None);
        }
        let (style, explode) = match (style_fmt.unwrap_or("csv"), location) {
            ("multi", _) => (Style::Form, true),
            ("ssv", _) => (Style::SpaceDelimited, false),
            ("pipes", _) => (Style::PipeDelimited, false),
            ("tsv", _) => {
                self.note(
                    Severity::Warning,
                    &loc,
                    "collectionFormat `tsv` has no OpenAPI 3 style; sent as comma-separated",
                );
                (Style::default_for(location), false)
            }
            (_, l) => (Style::default_for(l), false),
        };
        Ok(Some(Param2::Plain(Parameter {
            name,
            location,
            required: required || location == ParameterLocation::Path,
            deprecated: false,
            description,
            schema,
            style,
            explode,
            allow_reserved: false,
            content_type: None,
        })))
    }

    /// Builds a schema from a non-body parameter's (or item's) own keywords.
    fn param_schema(&mut self, o: &Obj<'d, '_>, loc: &Loc) -> Result<(Value, Option<&'d str>), Problem> {
        let raw = param_schema_raw(o.map);
        let schema = self.b.schema(&raw, loc)?;
        Ok((schema, o.str("collectionFormat")?))
    }

    #[allow(clippy::too_many_arguments)]
    fn operation(
        &mut self,
        path: &str,
        method: Method,
        loc: &Loc,
        v: &'d Value,
        path_params: &[Result<Param2, Problem>],
        consumes: &[String],
        produces: &[String],
        problems: &mut Vec<Problem>,
    ) -> Option<Operation> {
        let o = match Obj::new(self.docs, loc, v, "an operation") {
            Ok(o) => o,
            Err(p) => {
                problems.push(p);
                return None;
            }
        };
        let mut params: Vec<Param2> = Vec::new();
        let own = self.param_list(&o);
        for p in path_params.iter().map(clone_param).chain(own) {
            match p {
                Ok(p) => {
                    if let Some(i) = params.iter().position(|e| e.key() == p.key()) {
                        params[i] = p;
                    } else {
                        params.push(p);
                    }
                }
                Err(pr) => problems.push(pr),
            }
        }
        let op_consumes = match o.strings("consumes") {
            Ok(c) if !c.is_empty() => c,
            Ok(_) => consumes.to_vec(),
            Err(p) => {
                problems.push(p);
                consumes.to_vec()
            }
        };
        let op_produces = match o.strings("produces") {
            Ok(c) if !c.is_empty() => c,
            Ok(_) => produces.to_vec(),
            Err(p) => {
                problems.push(p);
                produces.to_vec()
            }
        };
        let mut parameters = Vec::new();
        let mut body = None;
        let mut form_props = Map::new();
        let mut form_required = Vec::new();
        let mut form_file = false;
        let mut form_encoding = IndexMap::new();
        for p in params {
            match p {
                Param2::Plain(p) => parameters.push(p),
                Param2::Body { required, description, schema, .. } => body = Some((required, description, schema)),
                Param2::Form { name, required, description, mut schema, file, explode } => {
                    if let (Some(d), Value::Object(m)) = (description, &mut schema) {
                        m.entry("description").or_insert(Value::String(d));
                    }
                    if required {
                        form_required.push(Value::String(name.clone()));
                    }
                    form_file |= file;
                    if explode {
                        form_encoding.insert(
                            name.clone(),
                            Encoding { style: Some(Style::Form), explode: Some(true), ..Default::default() },
                        );
                    }
                    form_props.insert(name, schema);
                }
            }
        }
        let media_or_json = |list: &[String]| -> Vec<String> {
            if list.is_empty() {
                vec!["application/json".to_owned()]
            } else {
                list.iter().map(|m| m.to_ascii_lowercase()).collect()
            }
        };
        let request_body = if let Some((required, description, schema)) = body {
            let content = media_or_json(&op_consumes)
                .into_iter()
                .filter(|m| !m.starts_with("multipart/") && m != "application/x-www-form-urlencoded")
                .map(|media_type| MediaType { media_type, schema: Some(schema.clone()), encoding: IndexMap::new() })
                .collect::<Vec<_>>();
            let content = if content.is_empty() {
                vec![MediaType {
                    media_type: "application/json".into(),
                    schema: Some(schema),
                    encoding: IndexMap::new(),
                }]
            } else {
                content
            };
            Some(RequestBody { required, description, content })
        } else if !form_props.is_empty() {
            let multipart = form_file || op_consumes.iter().any(|c| c.starts_with("multipart/form-data"));
            let media_type = if multipart { "multipart/form-data" } else { "application/x-www-form-urlencoded" };
            let required = !form_required.is_empty();
            let mut schema = json!({"type": "object", "properties": Value::Object(form_props)});
            if required {
                schema["required"] = Value::Array(form_required);
            }
            Some(RequestBody {
                required,
                description: None,
                content: vec![MediaType {
                    media_type: media_type.into(),
                    schema: Some(schema),
                    encoding: form_encoding,
                }],
            })
        } else {
            None
        };
        let responses = match self.responses(&o, loc, &media_or_json(&op_produces)) {
            Ok(r) => r,
            Err(p) => {
                problems.push(p);
                Vec::new()
            }
        };
        let security = security_requirements(&o).unwrap_or_else(|p| {
            problems.push(p);
            None
        });
        Some(Operation {
            pointer: loc.ptr.clone(),
            method,
            path: path.to_owned(),
            operation_id: o.string("operationId").unwrap_or_default(),
            summary: o.string("summary").unwrap_or_default(),
            description: o.string("description").unwrap_or_default(),
            tags: o.strings("tags").unwrap_or_default(),
            deprecated: o.bool("deprecated").ok().flatten().unwrap_or(false),
            parameters,
            request_body,
            responses,
            security,
            servers: Vec::new(),
            extensions: o.extensions(),
            path_extensions: IndexMap::new(),
        })
    }

    fn responses(&mut self, o: &Obj<'d, '_>, loc: &Loc, produces: &[String]) -> Result<Vec<Response>, Problem> {
        let Some(rs) = o.obj("responses")? else {
            return Ok(Vec::new());
        };
        let rs_loc = loc.child("responses");
        let mut out = Vec::new();
        for (status, r) in rs {
            if status.starts_with("x-") {
                continue;
            }
            let (r_loc, r, _) = deref(self.docs, rs_loc.child(status), r)?;
            let ro = Obj::new(self.docs, &r_loc, r, "a response")?;
            let content = match ro.map.get("schema") {
                Some(s) => {
                    let schema = self.b.schema(s, &r_loc.child("schema"))?;
                    produces
                        .iter()
                        .map(|m| MediaType {
                            media_type: m.clone(),
                            schema: Some(schema.clone()),
                            encoding: IndexMap::new(),
                        })
                        .collect()
                }
                None => Vec::new(),
            };
            let mut headers = Vec::new();
            if let Some(hs) = ro.obj("headers")? {
                for (name, h) in hs {
                    let h_loc = r_loc.child("headers").child(name);
                    let ho = Obj::new(self.docs, &h_loc, h, "a header")?;
                    let schema = self.b.schema(&param_schema_raw(ho.map), &h_loc)?;
                    headers.push(Header { name: name.clone(), description: ho.string("description")?, schema });
                }
            }
            out.push(Response { status: status.clone(), description: ro.string("description")?, content, headers });
        }
        Ok(out)
    }
}

fn param_schema_raw(map: &Map<String, Value>) -> Value {
    let mut raw = Map::new();
    for k in PARAM_SCHEMA_KEYS {
        if let Some(v) = map.get(*k) {
            raw.insert((*k).to_owned(), v.clone());
        }
    }
    if let Some(Value::Object(items)) = map.get("items") {
        raw.insert("items".into(), param_schema_raw(items));
    }
    Value::Object(raw)
}

fn clone_param(p: &Result<Param2, Problem>) -> Result<Param2, Problem> {
    match p {
        Ok(Param2::Plain(p)) => Ok(Param2::Plain(p.clone())),
        Ok(Param2::Body { name, required, description, schema }) => Ok(Param2::Body {
            name: name.clone(),
            required: *required,
            description: description.clone(),
            schema: schema.clone(),
        }),
        Ok(Param2::Form { name, required, description, schema, file, explode }) => Ok(Param2::Form {
            name: name.clone(),
            required: *required,
            description: description.clone(),
            schema: schema.clone(),
            file: *file,
            explode: *explode,
        }),
        Err(e) => Err(e.clone()),
    }
}
