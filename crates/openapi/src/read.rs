//! Helpers shared by the Swagger 2.0 and OpenAPI 3.x readers: typed access to JSON objects that
//! reports problems with the JSON pointer of the offending value.

use std::collections::HashMap;

use indexmap::IndexMap;
use serde_json::{Map, Value};

use crate::docs::{DocSet, Loc};
use crate::error::{Diagnostic, Problem, ProblemKind, Severity};
use crate::model::{Operation, Server};
use crate::schema::{Detached, kind_of};

/// An object in a document, with its location.
#[derive(Clone, Copy)]
pub(crate) struct Obj<'d, 'l> {
    pub map: &'d Map<String, Value>,
    pub loc: &'l Loc,
    pub docs: &'d DocSet,
}

impl<'d, 'l> Obj<'d, 'l> {
    pub fn new(docs: &'d DocSet, loc: &'l Loc, v: &'d Value, what: &str) -> Result<Obj<'d, 'l>, Problem> {
        match v {
            Value::Object(map) => Ok(Obj { map, loc, docs }),
            other => Err(docs.problem(
                loc,
                ProblemKind::Shape,
                format!("{what} must be an object, found {}", kind_of(other)),
            )),
        }
    }

    fn wrong(&self, key: &str, expected: &str, found: &Value) -> Problem {
        self.docs.problem(
            &self.loc.child(key),
            ProblemKind::Shape,
            format!("`{key}` must be {expected}, found {}", kind_of(found)),
        )
    }

    pub fn str(&self, key: &str) -> Result<Option<&'d str>, Problem> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(self.wrong(key, "a string", other)),
        }
    }

    pub fn string(&self, key: &str) -> Result<Option<String>, Problem> {
        Ok(self.str(key)?.map(str::to_owned))
    }

    pub fn required_str(&self, key: &str) -> Result<&'d str, Problem> {
        self.str(key)?.ok_or_else(|| self.docs.problem(self.loc, ProblemKind::Shape, format!("`{key}` is required")))
    }

    pub fn bool(&self, key: &str) -> Result<Option<bool>, Problem> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(self.wrong(key, "a boolean", other)),
        }
    }

    pub fn obj(&self, key: &str) -> Result<Option<&'d Map<String, Value>>, Problem> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(m)) => Ok(Some(m)),
            Some(other) => Err(self.wrong(key, "an object", other)),
        }
    }

    pub fn arr(&self, key: &str) -> Result<Option<&'d Vec<Value>>, Problem> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(a)) => Ok(Some(a)),
            Some(other) => Err(self.wrong(key, "an array", other)),
        }
    }

    pub fn strings(&self, key: &str) -> Result<Vec<String>, Problem> {
        let Some(list) = self.arr(key)? else {
            return Ok(Vec::new());
        };
        list.iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::String(s) => Ok(s.clone()),
                other => Err(self.docs.problem(
                    &self.loc.child(key).child(&i.to_string()),
                    ProblemKind::Shape,
                    format!("expected a string, found {}", kind_of(other)),
                )),
            })
            .collect()
    }

    pub fn extensions(&self) -> IndexMap<String, Value> {
        self.map.iter().filter(|(k, _)| k.starts_with("x-")).map(|(k, v)| (k.clone(), v.clone())).collect()
    }
}

/// Follows `$ref`s of a non-schema object (parameter, response, …) to the object itself.
/// Returns the final location, the object, and a `description` given next to the first `$ref`.
pub(crate) fn deref<'d>(docs: &'d DocSet, loc: Loc, v: &'d Value) -> Result<(Loc, &'d Value, Option<String>), Problem> {
    let start = loc.clone();
    let mut loc = loc;
    let mut v = v;
    let mut chain: Vec<Loc> = Vec::new();
    let mut description = None;
    while let Some(r) = v.get("$ref") {
        let Value::String(r) = r else {
            return Err(docs.problem(&loc.child("$ref"), ProblemKind::Shape, "$ref must be a string"));
        };
        if chain.is_empty() {
            description = v.get("description").and_then(Value::as_str).map(str::to_owned);
        }
        let (target, found) = docs.resolve(&loc, r)?;
        chain.push(loc);
        if chain.contains(&target) {
            let names: Vec<String> =
                chain.iter().chain(std::iter::once(&target)).map(|l| format!("#{}", l.ptr)).collect();
            return Err(docs.problem(&start, ProblemKind::RefCycle, format!("reference cycle: {}", names.join(" → "))));
        }
        if chain.len() > 64 {
            return Err(docs.problem(&start, ProblemKind::RefCycle, "more than 64 chained references"));
        }
        v = found;
        loc = target;
    }
    Ok((loc, v, description))
}

/// Reads a `servers` list (OpenAPI 3.x form), substituting variables with their defaults.
pub(crate) fn servers(o: &Obj<'_, '_>) -> Result<Vec<Server>, Problem> {
    let Some(list) = o.arr("servers")? else {
        return Ok(Vec::new());
    };
    let list_loc = o.loc.child("servers");
    let mut out = Vec::with_capacity(list.len());
    for (i, s) in list.iter().enumerate() {
        let loc = list_loc.child(&i.to_string());
        let s = Obj::new(o.docs, &loc, s, "a server")?;
        let mut url = s.required_str("url")?.to_owned();
        if let Some(vars) = s.obj("variables")? {
            for (name, var) in vars {
                if let Some(default) = var.get("default").and_then(Value::as_str) {
                    url = url.replace(&format!("{{{name}}}"), default);
                }
            }
        }
        out.push(Server { url, description: s.string("description")? });
    }
    Ok(out)
}

/// Operations read so far, with what is needed to decide at the end whether they are usable.
pub(crate) struct Pending {
    pub op: Operation,
    pub deps: Vec<usize>,
    pub problems: Vec<Problem>,
}

/// What both readers hand back to the loader.
pub(crate) struct Collected {
    pub pending: Vec<Pending>,
    pub problems: Vec<Problem>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Finishes a read: resolves definitions, drops (lenient) or reports (strict) broken operations.
pub(crate) fn finish(
    docs: &mut DocSet,
    builder: Detached,
    collected: Collected,
    lenient: bool,
) -> Result<(Vec<Operation>, crate::schema::Schemas, Vec<Diagnostic>), crate::Error> {
    let (schemas, mut diagnostics, def_problems) = crate::schema::finish(docs, builder);
    let Collected { pending, mut problems, diagnostics: reader_diags } = collected;
    diagnostics.extend(reader_diags);
    let mut ops = Vec::with_capacity(pending.len());
    let mut reported: HashMap<String, ()> = HashMap::new();
    for mut p in pending {
        if let Some(dp) = crate::schema::closure_problem(&schemas, &p.deps, &def_problems)
            && (reported.insert(dp.pointer.clone(), ()).is_none() || lenient)
        {
            p.problems.push(dp.clone());
        }
        if p.problems.is_empty() {
            ops.push(p.op);
        } else if lenient {
            for pr in &p.problems {
                diagnostics.push(Diagnostic {
                    severity: Severity::Error,
                    pointer: p.op.pointer.clone(),
                    message: format!("operation {} {} left out: {pr}", p.op.method, p.op.path),
                });
            }
        } else {
            problems.extend(p.problems);
        }
    }
    if !problems.is_empty() {
        if lenient {
            for pr in problems {
                diagnostics.push(Diagnostic {
                    severity: Severity::Error,
                    pointer: pr.pointer.clone(),
                    message: pr.message,
                });
            }
        } else {
            return Err(crate::Error::Invalid(problems));
        }
    }
    Ok((ops, schemas, diagnostics))
}
