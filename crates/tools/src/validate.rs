//! Argument and result validation with validators compiled once per tool.

use serde_json::{Map, Value};

use crate::build::suggest;
use crate::error::{ArgumentError, ArgumentProblem};
use crate::tool::Tool;

/// A compiled validator, or why none could be compiled.
#[derive(Debug)]
pub(crate) enum Compiled {
    Ready(Box<jsonschema::Validator>),
    Failed(String),
}

fn compile(schema: &Map<String, Value>) -> Compiled {
    let mut value = Value::Object(schema.clone());
    one_of_as_any_of(&mut value, 0);
    let build = |v: &Value| jsonschema::options().with_draft(jsonschema::Draft::Draft202012).build(v);
    match build(&value) {
        Ok(v) => Compiled::Ready(Box::new(v)),
        Err(first) => {
            // Regular expressions from other dialects are the usual reason: try without them.
            let mut relaxed = value.clone();
            strip_patterns(&mut relaxed);
            match build(&relaxed) {
                Ok(v) => Compiled::Ready(Box::new(v)),
                Err(_) => Compiled::Failed(first.to_string()),
            }
        }
    }
}

/// Reads every `oneOf` as `anyOf`. OpenAPI unions routinely overlap (object branches that do
/// not forbid each other's properties, `integer | number`), and a discriminator, not JSON
/// Schema, tells their branches apart: strict `oneOf` would refuse valid calls. The upstream
/// still validates what it receives.
fn one_of_as_any_of(v: &mut Value, depth: usize) {
    let Value::Object(m) = v else { return };
    if depth > 256 {
        return;
    }
    if let Some(one) = m.shift_remove("oneOf") {
        if m.contains_key("anyOf") {
            let all = m.entry("allOf").or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(all) = all {
                all.push(serde_json::json!({ "anyOf": one }));
            }
        } else {
            m.insert("anyOf".into(), one);
        }
    }
    toolgate_openapi::for_each_subschema(m, |s| one_of_as_any_of(s, depth + 1));
}

/// Removes `pattern` and `patternProperties` from a schema and its subschemas (not from
/// property names, enum values or examples).
fn strip_patterns(v: &mut Value) {
    if let Value::Object(m) = v {
        m.shift_remove("pattern");
        m.shift_remove("patternProperties");
        toolgate_openapi::for_each_subschema(m, strip_patterns);
    }
}

/// Describes what a property expects, for messages: `integer: The product ID`.
fn expected(schema: Option<&Value>) -> String {
    let Some(s) = schema else {
        return String::new();
    };
    let mut parts = Vec::new();
    match s.get("type") {
        Some(Value::String(t)) => parts.push(t.clone()),
        Some(Value::Array(ts)) => parts.push(ts.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" or ")),
        _ => {}
    }
    if let Some(Value::Array(e)) = s.get("enum") {
        let vals: Vec<String> = e.iter().take(10).map(Value::to_string).collect();
        parts.push(format!("one of {}", vals.join(", ")));
    }
    let mut out = parts.join(", ");
    if let Some(d) = s.get("description").and_then(Value::as_str) {
        let d: String = d.chars().take(120).collect();
        if out.is_empty() {
            out = d;
        } else {
            out = format!("{out}: {d}");
        }
    }
    out
}

fn first_segment(path: &str) -> (String, String) {
    let mut it = path.trim_start_matches('/').splitn(2, '/');
    let head = it.next().unwrap_or_default().replace("~1", "/").replace("~0", "~");
    let rest = it.next().map(|r| format!("/{r}")).unwrap_or_default();
    (head, rest)
}

/// A validator for tool arguments, compiled once, whose messages name each argument concerned
/// and what it expects. [`Tool`] uses one for its input schema; hand-written tools can too.
#[derive(Debug)]
pub struct ArgumentValidator {
    schema: Map<String, Value>,
    compiled: Compiled,
}

impl ArgumentValidator {
    /// Compiles a validator for an object schema.
    pub fn new(schema: &Map<String, Value>) -> ArgumentValidator {
        ArgumentValidator { schema: schema.clone(), compiled: compile(schema) }
    }

    /// Checks arguments.
    pub fn validate(&self, args: &Map<String, Value>) -> Result<(), ArgumentError> {
        check_args(&self.compiled, &self.schema, args)
    }
}

/// The errors worth reporting for `e`, as (instance path, message). When a union fails and only
/// one of its branches could have been meant (`Optional[X]` is `anyOf [X, {type: null}]`: a
/// non-null value meant `X`), that branch's errors are reported, so the message points inside
/// the value instead of saying "not valid under any of the schemas".
fn leaves(e: &jsonschema::ValidationError<'_>, depth: usize, out: &mut Vec<(String, String)>) {
    use jsonschema::error::ValidationErrorKind as K;
    let context = match e.kind() {
        K::AnyOf { context } | K::OneOfNotValid { context } if depth < 8 => Some(context),
        _ => None,
    };
    if let Some(context) = context {
        let here = e.instance_path().as_str();
        let wrong_type_only = |branch: &Vec<jsonschema::ValidationError<'static>>| {
            branch.iter().all(|b| matches!(b.kind(), K::Type { .. }) && b.instance_path().as_str() == here)
        };
        let meant: Vec<_> = context.iter().filter(|b| !b.is_empty() && !wrong_type_only(b)).collect();
        if let [branch] = meant.as_slice() {
            for b in branch.iter() {
                leaves(b, depth + 1, out);
            }
            return;
        }
    }
    out.push((e.instance_path().as_str().to_owned(), e.to_string()));
}

fn check_args(
    compiled: &Compiled,
    schema: &Map<String, Value>,
    args: &Map<String, Value>,
) -> Result<(), ArgumentError> {
    let Compiled::Ready(v) = compiled else { return Ok(()) };
    let instance = Value::Object(args.clone());
    if v.is_valid(&instance) {
        return Ok(());
    }
    let props = schema.get("properties").and_then(Value::as_object);
    let mut problems = Vec::new();
    for e in v.iter_errors(&instance).take(10) {
        let path = e.instance_path().as_str().to_owned();
        match e.kind() {
            jsonschema::error::ValidationErrorKind::Required { property } if path.is_empty() => {
                let name = property.as_str().unwrap_or_default();
                let exp = expected(props.and_then(|p| p.get(name)));
                let msg = if exp.is_empty() { "is required".to_owned() } else { format!("is required ({exp})") };
                problems.push(ArgumentProblem::new(name, msg));
            }
            jsonschema::error::ValidationErrorKind::AdditionalProperties { unexpected } if path.is_empty() => {
                let known: Vec<&str> = props.map(|p| p.keys().map(String::as_str).collect()).unwrap_or_default();
                for u in unexpected {
                    let hint = suggest(u, known.iter().copied());
                    let list = if known.is_empty() {
                        "this tool takes no arguments".to_owned()
                    } else {
                        format!("the arguments are: {}", known.join(", "))
                    };
                    problems.push(ArgumentProblem::new(u, format!("is not an argument of this tool{hint} ({list})")));
                }
            }
            _ => {
                let mut found = Vec::new();
                leaves(&e, 0, &mut found);
                for (path, text) in found {
                    let (arg, rest) = first_segment(&path);
                    let mut msg = if rest.is_empty() { text } else { format!("at `{rest}`: {text}") };
                    if rest.is_empty() {
                        let exp = expected(props.and_then(|p| p.get(&arg)));
                        if !exp.is_empty() {
                            msg.push_str(&format!(" (expected {exp})"));
                        }
                    }
                    problems.push(ArgumentProblem::new(&arg, msg));
                }
            }
        }
    }
    if problems.is_empty() {
        problems.push(ArgumentProblem::new("", "the arguments do not match the input schema"));
    }
    Err(ArgumentError { problems })
}

impl Tool {
    /// Checks arguments against the input schema; the message names each argument concerned
    /// and what it expects.
    pub fn validate(&self, args: &Map<String, Value>) -> Result<(), ArgumentError> {
        let compiled = self.validator.get_or_init(|| compile(&self.def.input_schema));
        check_args(compiled, &self.def.input_schema, args)
    }

    /// Checks a `structuredContent` candidate against the advertised output schema. `Err`
    /// says where and why it does not fit.
    pub fn check_output(&self, value: &Value) -> Result<(), String> {
        let Some(schema) = &self.def.output_schema else {
            return Ok(());
        };
        let compiled = self.output_validator.get_or_init(|| compile(schema));
        let Compiled::Ready(v) = compiled else {
            return Ok(());
        };
        match v.validate(value) {
            Ok(()) => Ok(()),
            Err(e) => {
                let at = e.instance_path().as_str().to_owned();
                Err(if at.is_empty() { e.to_string() } else { format!("at {at}: {e}") })
            }
        }
    }

    /// Compiles the argument validator now (it is otherwise compiled on the first call) and
    /// returns why it could not be compiled, if it could not: calls of such a tool are then
    /// not validated beyond what request building needs.
    pub fn schema_error(&self) -> Option<&str> {
        match self.validator.get_or_init(|| compile(&self.def.input_schema)) {
            Compiled::Ready(_) => None,
            Compiled::Failed(why) => Some(why),
        }
    }
}
