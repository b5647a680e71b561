//! Reader for OpenAPI 3.0, 3.1 and 3.2 documents.

use indexmap::IndexMap;
use serde_json::{Value, json};

use crate::docs::{DocSet, Loc};
use crate::error::{Diagnostic, Problem, ProblemKind, Severity};
use crate::model::*;
use crate::read::{Collected, Obj, Pending, deref, servers};
use crate::schema::Builder;
use crate::{Error, LoadOptions};

pub(crate) fn read(docs: &mut DocSet, version: SpecVersion, opts: &LoadOptions) -> Result<Api, Error> {
    let (mut api, builder, collected) = {
        let docs: &DocSet = docs;
        let root_loc = Loc::new(0, "");
        let root =
            Obj::new(docs, &root_loc, &docs.docs[0].root, "the document").map_err(|p| Error::Invalid(vec![p]))?;
        let mut r = Reader {
            docs,
            b: Builder::new(docs, false),
            problems: Vec::new(),
            diagnostics: Vec::new(),
            pending: Vec::new(),
        };
        r.b.reserve_names("/components/schemas");

        let (title, api_version, description) = r.info(&root);
        let servers = r.ok(servers(&root)).unwrap_or_default();
        let security_schemes = r.security_schemes(&root);
        let security = r.ok(security_requirements(&root)).flatten().unwrap_or_default();
        r.paths(&root);
        let collected = Collected { pending: r.pending, problems: r.problems, diagnostics: r.diagnostics };
        let api = Api {
            spec_version: version,
            title,
            version: api_version,
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

struct Reader<'d> {
    docs: &'d DocSet,
    b: Builder<'d>,
    problems: Vec<Problem>,
    diagnostics: Vec<Diagnostic>,
    pending: Vec<Pending>,
}

impl<'d> Reader<'d> {
    fn ok<T>(&mut self, r: Result<T, Problem>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(p) => {
                self.problems.push(p);
                None
            }
        }
    }

    fn note(&mut self, severity: Severity, loc: &Loc, message: impl Into<String>) {
        self.diagnostics.push(Diagnostic { severity, pointer: loc.ptr.clone(), message: message.into() });
    }

    fn info(&mut self, root: &Obj<'d, '_>) -> (String, String, Option<String>) {
        let loc = root.loc.child("info");
        let Some(info) = root.map.get("info") else {
            return (String::new(), String::new(), None);
        };
        let Some(info) = self.ok(Obj::new(self.docs, &loc, info, "`info`")) else {
            return (String::new(), String::new(), None);
        };
        let title = self.ok(info.string("title")).flatten().unwrap_or_default();
        let version = match info.map.get("version") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => String::new(),
        };
        let description = self.ok(info.string("description")).flatten();
        (title, version, description)
    }

    fn security_schemes(&mut self, root: &Obj<'d, '_>) -> IndexMap<String, SecurityScheme> {
        let mut out = IndexMap::new();
        let loc = Loc::new(0, "/components/securitySchemes");
        let Some(Value::Object(map)) = self.docs.value(&loc) else {
            return out;
        };
        let _ = root;
        for (name, v) in map {
            let here = loc.child(name);
            match security_scheme(self.docs, here, v) {
                Ok(Some(s)) => {
                    out.insert(name.clone(), s);
                }
                Ok(None) => {}
                Err(p) => self.problems.push(p),
            }
        }
        out
    }

    fn paths(&mut self, root: &Obj<'d, '_>) {
        let paths_loc = Loc::new(0, "/paths");
        let paths = match root.obj("paths") {
            Ok(Some(p)) => p,
            Ok(None) => return,
            Err(p) => {
                self.problems.push(p);
                return;
            }
        };
        for (path, item) in paths {
            if path.starts_with("x-") {
                continue;
            }
            let item_loc = paths_loc.child(path);
            if !path.starts_with('/') {
                self.note(Severity::Warning, &item_loc, format!("path `{path}` does not start with `/`"));
            }
            let (item_loc, item, _) = match deref(self.docs, item_loc, item) {
                Ok(x) => x,
                Err(p) => {
                    self.problems.push(p);
                    continue;
                }
            };
            let Some(item_obj) = self.ok(Obj::new(self.docs, &item_loc, item, "a path item")) else {
                continue;
            };
            let path_params = self.parameter_list(&item_obj);
            let path_servers = self.ok(servers(&item_obj)).unwrap_or_default();
            let path_ext = item_obj.extensions();
            let path_summary = item_obj.str("summary").ok().flatten();
            let path_description = item_obj.str("description").ok().flatten();
            let mut ops: Vec<(Method, Loc, &'d Value)> = Vec::new();
            for (key, op) in item_obj.map {
                if let Some(m) = Method::from_key(key) {
                    ops.push((m, item_loc.child(key), op));
                }
            }
            if let Some(Value::Object(extra)) = item_obj.map.get("additionalOperations") {
                let extra_loc = item_loc.child("additionalOperations");
                for (key, op) in extra {
                    ops.push((Method::Other(key.to_ascii_uppercase()), extra_loc.child(key), op));
                }
            }
            for (method, op_loc, op) in ops {
                let mut problems = Vec::new();
                self.b.take_deps();
                let op = self.operation(
                    OpCx { path, method, path_params: &path_params, path_servers: &path_servers },
                    &op_loc,
                    op,
                    &mut problems,
                );
                let deps = self.b.take_deps();
                match op {
                    Some(mut op) => {
                        op.path_extensions = path_ext.clone();
                        if op.summary.is_none() {
                            op.summary = path_summary.map(str::to_owned);
                        }
                        if op.description.is_none() {
                            op.description = path_description.map(str::to_owned);
                        }
                        self.pending.push(Pending { op, deps, problems });
                    }
                    None => self.problems.extend(problems),
                }
            }
        }
    }

    fn parameter_list(&mut self, o: &Obj<'d, '_>) -> Vec<Result<Parameter, Problem>> {
        let list = match o.arr("parameters") {
            Ok(Some(l)) => l,
            Ok(None) => return Vec::new(),
            Err(p) => return vec![Err(p)],
        };
        let list_loc = o.loc.child("parameters");
        let mut out = Vec::new();
        for (i, v) in list.iter().enumerate() {
            match self.parameter(list_loc.child(&i.to_string()), v) {
                Ok(Some(p)) => out.push(Ok(p)),
                Ok(None) => {}
                Err(p) => out.push(Err(p)),
            }
        }
        out
    }

    fn parameter(&mut self, loc: Loc, v: &'d Value) -> Result<Option<Parameter>, Problem> {
        let (loc, v, desc_override) = deref(self.docs, loc, v)?;
        let o = Obj::new(self.docs, &loc, v, "a parameter")?;
        let name = o.required_str("name")?.to_owned();
        let location = match o.required_str("in")? {
            "path" => ParameterLocation::Path,
            "query" => ParameterLocation::Query,
            "header" => ParameterLocation::Header,
            "cookie" => ParameterLocation::Cookie,
            "querystring" => {
                self.note(
                    Severity::Warning,
                    &loc,
                    format!("`in: querystring` parameter `{name}` is not supported; left out"),
                );
                return Ok(None);
            }
            other => {
                return Err(self.docs.problem(
                    &loc.child("in"),
                    ProblemKind::Shape,
                    format!("`in` must be path, query, header or cookie, found `{other}`"),
                ));
            }
        };
        if location == ParameterLocation::Header
            && ["accept", "content-type", "authorization"].contains(&name.to_ascii_lowercase().as_str())
        {
            self.note(
                Severity::Info,
                &loc,
                format!("header parameter `{name}` is ignored (OpenAPI: Accept, Content-Type and Authorization are set by the client)"),
            );
            return Ok(None);
        }
        let mut required = o.bool("required")?.unwrap_or(false);
        if location == ParameterLocation::Path && !required {
            if o.map.contains_key("required") {
                self.note(
                    Severity::Warning,
                    &loc,
                    format!("path parameter `{name}` is declared optional; path parameters are always required"),
                );
            }
            required = true;
        }
        let mut content_type = None;
        let schema = if let Some(s) = o.map.get("schema") {
            self.b.schema(s, &loc.child("schema"))?
        } else if let Some(content) = o.obj("content")? {
            match content.iter().next() {
                Some((media, mt)) => {
                    content_type = Some(media.to_ascii_lowercase());
                    let mt_loc = loc.child("content").child(media);
                    match mt.get("schema") {
                        Some(s) => self.b.schema(s, &mt_loc.child("schema"))?,
                        None => json!({}),
                    }
                }
                None => json!({}),
            }
        } else {
            self.note(
                Severity::Warning,
                &loc,
                format!("parameter `{name}` has neither `schema` nor `content`; any value is accepted"),
            );
            json!({})
        };
        let style = match o.str("style")? {
            Some(s) => match Style::parse(s) {
                Some(st) => st,
                None => {
                    self.note(
                        Severity::Warning,
                        &loc.child("style"),
                        format!("unknown style `{s}`; the default is used"),
                    );
                    Style::default_for(location)
                }
            },
            None => Style::default_for(location),
        };
        let explode = o.bool("explode")?.unwrap_or(style == Style::Form);
        Ok(Some(Parameter {
            name,
            location,
            required,
            deprecated: o.bool("deprecated")?.unwrap_or(false),
            description: desc_override.or(o.string("description")?),
            schema,
            style,
            explode,
            allow_reserved: o.bool("allowReserved")?.unwrap_or(false),
            content_type,
        }))
    }

    fn operation(&mut self, cx: OpCx<'_>, loc: &Loc, v: &'d Value, problems: &mut Vec<Problem>) -> Option<Operation> {
        let o = match Obj::new(self.docs, loc, v, "an operation") {
            Ok(o) => o,
            Err(p) => {
                problems.push(p);
                return None;
            }
        };
        macro_rules! get {
            ($e:expr) => {
                match $e {
                    Ok(v) => v,
                    Err(p) => {
                        problems.push(p);
                        Default::default()
                    }
                }
            };
        }
        let mut parameters: Vec<Parameter> = Vec::new();
        for p in cx.path_params.iter().cloned().chain(self.parameter_list(&o)) {
            match p {
                Ok(p) => {
                    if let Some(existing) = parameters.iter_mut().find(|e| e.name == p.name && e.location == p.location)
                    {
                        *existing = p;
                    } else {
                        parameters.push(p);
                    }
                }
                Err(pr) => problems.push(pr),
            }
        }
        let request_body = match o.map.get("requestBody") {
            Some(rb) => get!(self.request_body(loc.child("requestBody"), rb)),
            None => None,
        };
        let responses = match o.map.get("responses") {
            Some(r) => get!(self.responses(loc.child("responses"), r)),
            None => Vec::new(),
        };
        let mut op_servers = get!(servers(&o));
        if op_servers.is_empty() {
            op_servers = cx.path_servers.to_vec();
        }
        let op = Operation {
            pointer: loc.ptr.clone(),
            method: cx.method,
            path: cx.path.to_owned(),
            operation_id: get!(o.string("operationId")),
            summary: get!(o.string("summary")),
            description: get!(o.string("description")),
            tags: get!(o.strings("tags")),
            deprecated: get!(o.bool("deprecated")).unwrap_or(false),
            parameters,
            request_body,
            responses,
            security: get!(security_requirements(&o)),
            servers: op_servers,
            extensions: o.extensions(),
            path_extensions: IndexMap::new(),
        };
        Some(op)
    }

    fn request_body(&mut self, loc: Loc, v: &'d Value) -> Result<Option<RequestBody>, Problem> {
        let (loc, v, desc) = deref(self.docs, loc, v)?;
        let o = Obj::new(self.docs, &loc, v, "a request body")?;
        let content = self.content(&o)?;
        Ok(Some(RequestBody {
            required: o.bool("required")?.unwrap_or(false),
            description: desc.or(o.string("description")?),
            content,
        }))
    }

    fn content(&mut self, o: &Obj<'d, '_>) -> Result<Vec<MediaType>, Problem> {
        let Some(content) = o.obj("content")? else {
            return Ok(Vec::new());
        };
        let content_loc = o.loc.child("content");
        let mut out = Vec::with_capacity(content.len());
        for (media, mt) in content {
            let mt_loc = content_loc.child(media);
            let mto = Obj::new(self.docs, &mt_loc, mt, "a media type")?;
            let schema = match mto.map.get("schema") {
                Some(s) => Some(self.b.schema(s, &mt_loc.child("schema"))?),
                None => None,
            };
            let mut encoding = IndexMap::new();
            if let Some(enc) = mto.obj("encoding")? {
                for (prop, e) in enc {
                    let e_loc = mt_loc.child("encoding").child(prop);
                    let eo = Obj::new(self.docs, &e_loc, e, "an encoding")?;
                    encoding.insert(
                        prop.clone(),
                        Encoding {
                            content_type: eo.string("contentType")?,
                            style: eo.str("style")?.and_then(Style::parse),
                            explode: eo.bool("explode")?,
                            allow_reserved: eo.bool("allowReserved")?.unwrap_or(false),
                        },
                    );
                }
            }
            out.push(MediaType { media_type: media.to_ascii_lowercase(), schema, encoding });
        }
        Ok(out)
    }

    fn responses(&mut self, loc: Loc, v: &'d Value) -> Result<Vec<Response>, Problem> {
        let o = Obj::new(self.docs, &loc, v, "`responses`")?;
        let mut out = Vec::with_capacity(o.map.len());
        for (status, r) in o.map {
            if status.starts_with("x-") {
                continue;
            }
            let (r_loc, r, desc) = deref(self.docs, loc.child(status), r)?;
            let ro = Obj::new(self.docs, &r_loc, r, "a response")?;
            let content = self.content(&ro)?;
            let mut headers = Vec::new();
            if let Some(hs) = ro.obj("headers")? {
                for (name, h) in hs {
                    let (h_loc, h, _) = deref(self.docs, r_loc.child("headers").child(name), h)?;
                    let ho = Obj::new(self.docs, &h_loc, h, "a header")?;
                    let schema = match ho.map.get("schema") {
                        Some(s) => self.b.schema(s, &h_loc.child("schema"))?,
                        None => json!({}),
                    };
                    headers.push(Header { name: name.clone(), description: ho.string("description")?, schema });
                }
            }
            out.push(Response {
                status: status.clone(),
                description: desc.or(ro.string("description")?),
                content,
                headers,
            });
        }
        Ok(out)
    }
}

struct OpCx<'a> {
    path: &'a str,
    method: Method,
    path_params: &'a [Result<Parameter, Problem>],
    path_servers: &'a [Server],
}

pub(crate) fn security_requirements(o: &Obj<'_, '_>) -> Result<Option<Vec<SecurityRequirement>>, Problem> {
    let Some(list) = o.arr("security")? else {
        return Ok(None);
    };
    let loc = o.loc.child("security");
    let mut out = Vec::with_capacity(list.len());
    for (i, req) in list.iter().enumerate() {
        let req_loc = loc.child(&i.to_string());
        let ro = Obj::new(o.docs, &req_loc, req, "a security requirement")?;
        let mut r = SecurityRequirement::new();
        for name in ro.map.keys() {
            r.insert(name.clone(), ro.strings(name)?);
        }
        out.push(r);
    }
    Ok(Some(out))
}

fn security_scheme(docs: &DocSet, loc: Loc, v: &Value) -> Result<Option<SecurityScheme>, Problem> {
    let (loc, v, _) = deref(docs, loc, v)?;
    let o = Obj::new(docs, &loc, v, "a security scheme")?;
    Ok(Some(match o.required_str("type")? {
        "apiKey" => SecurityScheme::ApiKey {
            name: o.required_str("name")?.to_owned(),
            location: match o.required_str("in")? {
                "query" => ParameterLocation::Query,
                "cookie" => ParameterLocation::Cookie,
                _ => ParameterLocation::Header,
            },
        },
        "http" => SecurityScheme::Http {
            scheme: o.required_str("scheme")?.to_ascii_lowercase(),
            bearer_format: o.string("bearerFormat")?,
        },
        "oauth2" => {
            let mut flows = Vec::new();
            if let Some(fs) = o.obj("flows")? {
                for (kind, f) in fs {
                    let f_loc = loc.child("flows").child(kind);
                    let fo = Obj::new(docs, &f_loc, f, "an OAuth flow")?;
                    flows.push(OAuthFlow {
                        kind: kind.clone(),
                        authorization_url: fo.string("authorizationUrl")?,
                        token_url: fo.string("tokenUrl")?,
                        scopes: fo.obj("scopes")?.map(|s| s.keys().cloned().collect()).unwrap_or_default(),
                    });
                }
            }
            SecurityScheme::OAuth2 { flows }
        }
        "openIdConnect" => SecurityScheme::OpenIdConnect { url: o.required_str("openIdConnectUrl")?.to_owned() },
        "mutualTLS" => SecurityScheme::MutualTls,
        other => {
            return Err(docs.problem(
                &loc.child("type"),
                ProblemKind::Shape,
                format!("unknown security scheme type `{other}`"),
            ));
        }
    }))
}
