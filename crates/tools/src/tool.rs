//! `ToolDef`, `Tool` and `Toolset`.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use serde_json::{Map, Value};
use toolgate_openapi::SecurityRequirement;

use crate::error::ArgumentError;
use crate::plan::{PreparedRequest, RequestPlan};
use crate::select::Excluded;

/// What a client sees of a tool.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolDef {
    /// The name (`[A-Za-z0-9_.-]`, within the configured length).
    pub name: String,
    /// A human-readable title (the operation's summary).
    pub title: Option<String>,
    /// What the tool does, for the model.
    pub description: String,
    /// JSON Schema (2020-12) of the arguments: always an object schema.
    pub input_schema: Arc<Map<String, Value>>,
    /// JSON Schema of `structuredContent`: always an object schema, when there is one.
    pub output_schema: Option<Arc<Map<String, Value>>>,
    /// Behaviour hints.
    pub annotations: Annotations,
}

/// MCP tool annotations: hints about what a tool does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Annotations {
    /// `title`.
    pub title: Option<String>,
    /// `readOnlyHint`.
    pub read_only: Option<bool>,
    /// `destructiveHint`.
    pub destructive: Option<bool>,
    /// `idempotentHint`.
    pub idempotent: Option<bool>,
    /// `openWorldHint`.
    pub open_world: Option<bool>,
}

impl Annotations {
    /// Overrides the fields that `other` sets.
    pub fn merge(&mut self, other: &Annotations) {
        if other.title.is_some() {
            self.title.clone_from(&other.title);
        }
        self.read_only = other.read_only.or(self.read_only);
        self.destructive = other.destructive.or(self.destructive);
        self.idempotent = other.idempotent.or(self.idempotent);
        self.open_world = other.open_world.or(self.open_world);
    }

    /// Reads an `x-mcp-annotations` object (MCP field names).
    pub fn from_json(v: &Value) -> Option<Annotations> {
        let m = v.as_object()?;
        let b = |k: &str| m.get(k).and_then(Value::as_bool);
        Some(Annotations {
            title: m.get("title").and_then(Value::as_str).map(str::to_owned),
            read_only: b("readOnlyHint"),
            destructive: b("destructiveHint"),
            idempotent: b("idempotentHint"),
            open_world: b("openWorldHint"),
        })
    }
}

/// Where a tool came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// `operationId`.
    pub operation_id: Option<String>,
    /// Method.
    pub method: String,
    /// Path template.
    pub path: String,
    /// JSON pointer of the operation in its document.
    pub pointer: String,
    /// Tags.
    pub tags: Vec<String>,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method, self.path)?;
        if let Some(id) = &self.operation_id {
            write!(f, " ({id})")?;
        }
        Ok(())
    }
}

/// A tool: its definition, how to call it, and the validator for its arguments.
#[derive(Debug)]
pub struct Tool {
    /// What clients see.
    pub def: ToolDef,
    /// How arguments become a request.
    pub plan: RequestPlan,
    /// The operation it was made from.
    pub source: Source,
    /// Call timeout (`x-mcp-timeout` or an override), if any.
    pub timeout: Option<Duration>,
    /// The security requirements of the operation (its own, or the document's). Empty means
    /// the operation is public.
    pub security: Vec<SecurityRequirement>,
    /// Scopes a caller needs (`x-mcp-scopes`, else the OAuth scopes of the requirements).
    pub scopes: Vec<String>,
    /// Whether a successful JSON result is wrapped as `{"result": …}` (non-object schemas).
    pub wrap_output: bool,
    /// Whether the output schema was relaxed (see [`OutputSchemas`](crate::OutputSchemas)).
    pub tolerant_output: bool,
    /// Arguments that must be sent as a body field even when they are `null`.
    pub(crate) body_args: Vec<String>,
    /// What was adjusted while building this tool.
    pub warnings: Vec<String>,
    pub(crate) validator: OnceLock<crate::validate::Compiled>,
    pub(crate) output_validator: OnceLock<crate::validate::Compiled>,
}

impl Tool {
    /// The tool's name.
    pub fn name(&self) -> &str {
        &self.def.name
    }

    /// Validates arguments and builds the request.
    pub fn prepare(&self, args: Option<&Map<String, Value>>) -> Result<PreparedRequest, ArgumentError> {
        let empty = Map::new();
        let args = args.unwrap_or(&empty);
        let cleaned = self.drop_nulls(args);
        let args = cleaned.as_ref().unwrap_or(args);
        self.validate(args)?;
        self.plan.build(args)
    }

    /// Optional non-body arguments given as `null` mean "not given": models often send them.
    fn drop_nulls(&self, args: &Map<String, Value>) -> Option<Map<String, Value>> {
        let required = self.def.input_schema.get("required").and_then(Value::as_array);
        let is_required = |k: &str| required.is_some_and(|r| r.iter().any(|x| x == k));
        let droppable = |k: &str, v: &Value| v.is_null() && !is_required(k) && !self.body_args.iter().any(|b| b == k);
        if !args.iter().any(|(k, v)| droppable(k, v)) {
            return None;
        }
        Some(args.iter().filter(|(k, v)| !droppable(k, v)).map(|(k, v)| (k.clone(), v.clone())).collect())
    }
}

/// An operation that did not become a tool, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The operation.
    pub source: Source,
    /// Why.
    pub reason: SkipReason,
}

/// Why an operation did not become a tool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// Not selected.
    Excluded(Excluded),
    /// Cannot be represented as a tool.
    Unsupported(String),
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SkipReason::Excluded(e) => write!(f, "excluded: {e}"),
            SkipReason::Unsupported(why) => write!(f, "unsupported: {why}"),
        }
    }
}

/// The tools made from one API description.
#[derive(Debug, Default)]
pub struct Toolset {
    pub(crate) tools: Vec<Arc<Tool>>,
    pub(crate) index: HashMap<String, usize>,
    pub(crate) skipped: Vec<Skipped>,
}

impl Toolset {
    /// The tools, in document order.
    pub fn tools(&self) -> &[Arc<Tool>] {
        &self.tools
    }

    /// A tool by name.
    pub fn get(&self, name: &str) -> Option<&Arc<Tool>> {
        self.index.get(name).map(|&i| &self.tools[i])
    }

    /// Operations that were not turned into tools.
    pub fn skipped(&self) -> &[Skipped] {
        &self.skipped
    }

    /// How many tools there are.
    pub fn len(&self) -> usize {
        self.tools.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.tools.is_empty()
    }
}
