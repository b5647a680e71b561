//! Prompts served next to the tools: named message templates a user picks in the client
//! (`prompts/list`, `prompts/get`), with argument completion.
//!
//! ```
//! use toolgate::{Content, Prompt, PromptResult};
//!
//! let review = Prompt::new("review_order", "Review an order before it ships", |args| async move {
//!     let id = args.get("order_id").cloned().unwrap_or_default();
//!     Ok(PromptResult::new().user(Content::Text(format!("Check order {id} for problems."))))
//! })
//! .argument("order_id", "The order to review", true)
//! .complete("order_id", |prefix| vec![format!("{prefix}1")]);
//! # let _ = review;
//! ```

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use futures::future::BoxFuture;
use toolgate_mcp::{PromptDef, PromptResult};

use crate::resources::CompleteFn;

type RenderFn = Arc<dyn Fn(HashMap<String, String>) -> BoxFuture<'static, Result<PromptResult, String>> + Send + Sync>;

/// A prompt: a name, its arguments, and a function that renders its messages.
pub struct Prompt {
    pub(crate) def: PromptDef,
    render: RenderFn,
    pub(crate) completions: HashMap<String, CompleteFn>,
}

impl std::fmt::Debug for Prompt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prompt").field("name", &self.def.name).finish()
    }
}

impl Prompt {
    /// A prompt with no arguments until [`Prompt::argument`] adds some. `render` gets the
    /// arguments (every required one is present) and returns the messages, or an error
    /// message the client sees as invalid parameters.
    pub fn new<F, Fut>(name: &str, description: &str, render: F) -> Prompt
    where
        F: Fn(HashMap<String, String>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<PromptResult, String>> + Send + 'static,
    {
        Prompt {
            def: PromptDef { name: name.to_owned(), description: Some(description.to_owned()), arguments: Vec::new() },
            render: Arc::new(move |args| Box::pin(render(args))),
            completions: HashMap::new(),
        }
    }

    /// Declares an argument.
    pub fn argument(mut self, name: &str, description: &str, required: bool) -> Prompt {
        self.def.arguments.push((name.to_owned(), Some(description.to_owned()), required));
        self
    }

    /// Suggests values for one argument (`completion/complete`): `complete` gets what the user
    /// typed so far and returns candidates, best first (at most 100 are sent).
    pub fn complete<F>(mut self, argument: &str, complete: F) -> Prompt
    where
        F: Fn(&str) -> Vec<String> + Send + Sync + 'static,
    {
        self.completions.insert(argument.to_owned(), Arc::new(complete));
        self
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.def.name
    }

    /// Renders the prompt, after checking that every required argument was given.
    pub(crate) fn render(&self, args: HashMap<String, String>) -> BoxFuture<'static, Result<PromptResult, String>> {
        let missing: Vec<&str> = self
            .def
            .arguments
            .iter()
            .filter(|(name, _, required)| *required && !args.contains_key(name))
            .map(|(name, _, _)| name.as_str())
            .collect();
        if !missing.is_empty() {
            let msg = format!("prompt `{}` needs the argument(s) {}", self.def.name, missing.join(", "));
            return Box::pin(futures::future::ready(Err(msg)));
        }
        (self.render)(args)
    }
}
