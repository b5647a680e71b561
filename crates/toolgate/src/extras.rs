//! The resources, resource templates and prompts of a [`Catalog`](crate::Catalog): lookup by
//! URI or name, and completions.

use std::collections::HashMap;

use futures::future::BoxFuture;
use toolgate_mcp::{CompletionTarget, PromptDef, PromptResult, ResourceContent, ResourceDef};

use crate::prompts::Prompt;
use crate::resources::{Resource, ResourceTemplate};

/// Everything a catalog serves besides tools.
#[derive(Debug, Default)]
pub(crate) struct Extras {
    resources: Vec<Resource>,
    templates: Vec<ResourceTemplate>,
    prompts: Vec<Prompt>,
}

fn clash(what: &str, key: &str) -> crate::Error {
    crate::Error::Config(format!("two {what} are named `{key}`; each must be unique"))
}

impl Extras {
    pub fn add_resources(&mut self, resources: Vec<Resource>) -> Result<(), crate::Error> {
        for r in resources {
            if self.resources.iter().any(|x| x.def.uri == r.def.uri) {
                return Err(clash("resources", &r.def.uri));
            }
            self.resources.push(r);
        }
        Ok(())
    }

    pub fn add_templates(&mut self, templates: Vec<ResourceTemplate>) -> Result<(), crate::Error> {
        for t in templates {
            if self.templates.iter().any(|x| x.def.uri == t.def.uri) {
                return Err(clash("resource templates", &t.def.uri));
            }
            self.templates.push(t);
        }
        Ok(())
    }

    pub fn add_prompts(&mut self, prompts: Vec<Prompt>) -> Result<(), crate::Error> {
        for p in prompts {
            if self.prompts.iter().any(|x| x.def.name == p.def.name) {
                return Err(clash("prompts", &p.def.name));
            }
            self.prompts.push(p);
        }
        Ok(())
    }

    pub fn resources(&self) -> Vec<ResourceDef> {
        self.resources.iter().map(|r| r.def.clone()).collect()
    }

    pub fn templates(&self) -> Vec<ResourceDef> {
        self.templates.iter().map(|t| t.def.clone()).collect()
    }

    pub fn prompts(&self) -> Vec<PromptDef> {
        self.prompts.iter().map(|p| p.def.clone()).collect()
    }

    /// A fixed resource first, else the first template that matches.
    pub fn read(&self, uri: &str) -> BoxFuture<'static, Option<Vec<ResourceContent>>> {
        if let Some(r) = self.resources.iter().find(|r| r.def.uri == uri) {
            return r.read();
        }
        for t in &self.templates {
            if let Some(vars) = t.matches(uri) {
                return t.read(uri, vars);
            }
        }
        Box::pin(futures::future::ready(None))
    }

    pub fn get_prompt(
        &self,
        name: &str,
        args: HashMap<String, String>,
    ) -> BoxFuture<'static, Result<PromptResult, String>> {
        match self.prompts.iter().find(|p| p.def.name == name) {
            Some(p) => p.render(args),
            None => Box::pin(futures::future::ready(Err(format!("unknown prompt `{name}`")))),
        }
    }

    pub fn complete(&self, target: &CompletionTarget, argument: &str, value: &str) -> Vec<String> {
        let f = match target {
            CompletionTarget::Prompt(name) => {
                self.prompts.iter().find(|p| &p.def.name == name).and_then(|p| p.completions.get(argument))
            }
            CompletionTarget::Resource(uri) => {
                self.templates.iter().find(|t| &t.def.uri == uri).and_then(|t| t.completions.get(argument))
            }
        };
        f.map(|f| f(value)).unwrap_or_default()
    }
}
