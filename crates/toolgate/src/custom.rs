//! Hand-written tools: a Rust async function with its own input and output schema, served next
//! to generated tools.

use std::sync::Arc;

use futures::future::BoxFuture;
use serde_json::{Map, Value};
use toolgate_mcp::{Caller, Notifier, ToolCall};
use toolgate_tools::{Annotations, ToolDef, ToolOutput};

type Handler = Arc<dyn Fn(Request) -> BoxFuture<'static, ToolOutput> + Send + Sync>;

/// What a hand-written tool receives.
#[derive(Debug)]
pub struct Request {
    /// The arguments (validated against the input schema).
    pub arguments: Map<String, Value>,
    /// Who is calling.
    pub caller: Caller,
    /// Progress and log notifications for this call.
    pub notifier: Notifier,
}

/// A hand-written tool.
pub struct CustomTool {
    pub(crate) def: ToolDef,
    handler: Handler,
    validator: Option<Arc<toolgate_tools::ArgumentValidator>>,
    needs: Vec<String>,
    pub(crate) access: crate::auth::ToolAccess,
}

impl std::fmt::Debug for CustomTool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CustomTool").field("name", &self.def.name).finish()
    }
}

impl CustomTool {
    /// A tool named `name` that takes no arguments until [`CustomTool::input_schema`] says
    /// otherwise.
    pub fn new<F, Fut>(name: &str, description: &str, handler: F) -> CustomTool
    where
        F: Fn(Request) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = ToolOutput> + Send + 'static,
    {
        let schema: Map<String, Value> = match serde_json::json!({"type": "object", "properties": {}}) {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        CustomTool {
            def: ToolDef {
                name: name.to_owned(),
                title: None,
                description: description.to_owned(),
                input_schema: Arc::new(schema),
                output_schema: None,
                annotations: Annotations::default(),
            },
            handler: Arc::new(move |r| Box::pin(handler(r))),
            validator: None,
            access: crate::auth::ToolAccess::default(),
            needs: Vec::new(),
        }
    }

    /// The JSON Schema of the arguments (an object schema).
    pub fn input_schema(mut self, schema: Value) -> CustomTool {
        if let Value::Object(m) = schema {
            self.validator = Some(Arc::new(toolgate_tools::ArgumentValidator::new(&m)));
            self.def.input_schema = Arc::new(m);
        }
        self
    }

    /// The JSON Schema of `structuredContent` (an object schema).
    pub fn output_schema(mut self, schema: Value) -> CustomTool {
        if let Value::Object(m) = schema {
            self.def.output_schema = Some(Arc::new(m));
        }
        self
    }

    /// A title.
    pub fn title(mut self, title: &str) -> CustomTool {
        self.def.title = Some(title.to_owned());
        self
    }

    /// Annotations.
    pub fn annotations(mut self, a: Annotations) -> CustomTool {
        self.def.annotations = a;
        self
    }

    /// Declares that the tool needs a client capability (`sampling`, `elicitation`, `roots`, …).
    /// A client that did not declare it gets a `MissingRequiredClientCapability` error
    /// (-32021) instead of a call that cannot work.
    pub fn requires_client_capability(mut self, capability: &str) -> CustomTool {
        self.needs.push(capability.to_owned());
        self
    }

    /// The first required client capability this caller did not declare.
    pub(crate) fn missing_client_capability(&self, caller: &Caller) -> Option<String> {
        self.needs.iter().find(|c| !caller.has_client_capability(c)).cloned()
    }

    /// Only authenticated callers may see and call this tool.
    pub fn requires_auth(mut self) -> CustomTool {
        self.access.requires_auth = true;
        self
    }

    /// Callers need these scopes to see and call this tool.
    pub fn scopes<I, S>(mut self, scopes: I) -> CustomTool
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.access.scopes.extend(scopes.into_iter().map(Into::into));
        self
    }

    /// The definition clients see.
    pub fn def(&self) -> &ToolDef {
        &self.def
    }

    pub(crate) async fn call(&self, call: ToolCall) -> ToolOutput {
        let arguments = call.arguments.unwrap_or_default();
        if let Some(v) = &self.validator
            && let Err(e) = v.validate(&arguments)
        {
            return ToolOutput::error(format!("Invalid arguments for `{}`: {e}", self.def.name));
        }
        (self.handler)(Request { arguments, caller: call.caller, notifier: call.notifier }).await
    }
}
