//! Hot reload: a [`Backend`] over a [`Catalog`] that can be replaced while it serves.
//!
//! [`Reloading`] holds the current catalog in an `ArcSwap`. A reload builds a whole new catalog
//! (with the rebuild function given to [`Reloading::with_rebuild`]) and swaps it in at once:
//! each request sees either the old catalog or the new one, never a mix. Calls already running
//! finish on the old catalog (they hold `Arc`s to its tools and upstreams). When the tool list
//! changed, the MCP server is told through [`Backend::changes`]: legacy sessions get
//! `notifications/tools/list_changed`, and 2026-07-28 clients listening on
//! `subscriptions/listen` get it on their stream. A reload that fails keeps the old catalog and
//! logs why (`tracing` warning).
//!
//! What triggers a reload is up to the caller: [`Reloading::reload_on_sighup`],
//! [`Reloading::watch_files`] (polls size and modification time), [`Reloading::watch_urls`]
//! (polls documents served over HTTP and reloads when their bytes change), or
//! [`Reloading::reload`] from your own code.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Weak};
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwap;
use futures::future::BoxFuture;
use toolgate_mcp::{
    Backend, CallError, Caller, CompletionTarget, PromptDef, PromptResult, ResourceContent, ResourceDef, ToolCall,
    ToolList,
};
use toolgate_tools::ToolOutput;

use crate::auth::ToolAccess;
use crate::catalog::Catalog;

type Rebuild = Arc<dyn Fn() -> BoxFuture<'static, Result<Catalog, crate::Error>> + Send + Sync>;

/// What a successful reload did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reloaded {
    /// The tool list changed; clients were told.
    Changed {
        /// Tools now served.
        tools: usize,
    },
    /// The new catalog has the same tool definitions (it was swapped in all the same, so that
    /// changed upstreams or credentials apply); clients were not told.
    Unchanged {
        /// Tools served.
        tools: usize,
    },
}

/// A catalog that can be swapped while it serves. See the [module documentation](self).
pub struct Reloading {
    current: ArcSwap<Catalog>,
    changes: tokio::sync::watch::Sender<u64>,
    rebuild: Option<Rebuild>,
    reloading: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Reloading {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reloading").field("tools", &self.current.load().len()).finish()
    }
}

impl Reloading {
    /// Starts with `catalog`.
    pub fn new(catalog: Catalog) -> Reloading {
        Reloading {
            current: ArcSwap::from_pointee(catalog),
            changes: tokio::sync::watch::channel(0).0,
            rebuild: None,
            reloading: tokio::sync::Mutex::new(()),
        }
    }

    /// How [`Reloading::reload`] builds a new catalog (reading the documents again, …).
    pub fn with_rebuild<F, Fut>(mut self, rebuild: F) -> Reloading
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<Catalog, crate::Error>> + Send + 'static,
    {
        self.rebuild = Some(Arc::new(move || Box::pin(rebuild())));
        self
    }

    /// The catalog now served.
    pub fn current(&self) -> Arc<Catalog> {
        self.current.load_full()
    }

    /// What a tool (by name) of the current catalog needs from a caller.
    pub fn access(&self, name: &str) -> Option<ToolAccess> {
        self.current.load().access(name)
    }

    /// A receiver that changes each time the tool list changes.
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// Serves `catalog` from now on. Returns whether the tool list changed (and clients were
    /// told).
    pub fn swap(&self, catalog: Catalog) -> bool {
        let changed = !self.current.load().defs().eq(catalog.defs());
        self.current.store(Arc::new(catalog));
        if changed {
            self.changes.send_modify(|v| *v = v.wrapping_add(1));
        }
        changed
    }

    /// Builds a new catalog with the rebuild function and swaps it in. On failure the old
    /// catalog stays, a warning is logged, and the error is returned. Reloads never overlap.
    pub async fn reload(&self) -> Result<Reloaded, crate::Error> {
        let Some(rebuild) = self.rebuild.clone() else {
            return Err(crate::Error::Config("this catalog has no rebuild function: it cannot reload".into()));
        };
        let _one_at_a_time = self.reloading.lock().await;
        match rebuild().await {
            Ok(catalog) => {
                let tools = catalog.len();
                if self.swap(catalog) {
                    tracing::info!("reloaded: {tools} tools; clients told the tool list changed");
                    Ok(Reloaded::Changed { tools })
                } else {
                    tracing::info!("reloaded: {tools} tools, unchanged");
                    Ok(Reloaded::Unchanged { tools })
                }
            }
            Err(e) => {
                tracing::warn!("reload failed; still serving the previous {} tools: {e}", self.current.load().len());
                Err(e)
            }
        }
    }

    /// Reloads on each SIGHUP, until `self` is dropped.
    #[cfg(unix)]
    pub fn reload_on_sighup(self: &Arc<Self>) -> Result<tokio::task::JoinHandle<()>, crate::Error> {
        let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
        let weak = Arc::downgrade(self);
        Ok(tokio::spawn(async move {
            while hup.recv().await.is_some() {
                let Some(this) = weak.upgrade() else { break };
                tracing::info!("SIGHUP: reloading");
                let _ = this.reload().await;
            }
        }))
    }

    /// Polls the size and modification time of each file every `every` and reloads when one
    /// changed (or appeared, or went away), until `self` is dropped.
    pub fn watch_files(self: &Arc<Self>, files: Vec<PathBuf>, every: Duration) -> tokio::task::JoinHandle<()> {
        fn stamp(p: &PathBuf) -> Option<(u64, Option<SystemTime>)> {
            std::fs::metadata(p).ok().map(|m| (m.len(), m.modified().ok()))
        }
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut seen: Vec<_> = files.iter().map(stamp).collect();
            loop {
                tokio::time::sleep(every).await;
                let now: Vec<_> = files.iter().map(stamp).collect();
                if now == seen {
                    if weak.strong_count() == 0 {
                        break;
                    }
                    continue;
                }
                for (f, (a, b)) in files.iter().zip(seen.iter().zip(&now)) {
                    if a != b {
                        tracing::info!("{} changed: reloading", f.display());
                    }
                }
                seen = now;
                if !reload_weak(&weak).await {
                    break;
                }
            }
        })
    }

    /// Fetches each URL every `every` and reloads when the bytes of one changed since the
    /// previous fetch (a failed fetch is logged and changes nothing), until `self` is dropped.
    pub fn watch_urls(self: &Arc<Self>, urls: Vec<String>, every: Duration) -> tokio::task::JoinHandle<()> {
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            let client = match reqwest::Client::builder().timeout(Duration::from_secs(30)).build() {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!("cannot poll documents: {e}");
                    return;
                }
            };
            let mut seen: HashMap<String, u64> = HashMap::new();
            for u in &urls {
                if let Some(h) = fetch_hash(&client, u).await {
                    seen.insert(u.clone(), h);
                }
            }
            loop {
                tokio::time::sleep(every).await;
                if weak.strong_count() == 0 {
                    break;
                }
                let mut changed = false;
                for u in &urls {
                    let Some(h) = fetch_hash(&client, u).await else { continue };
                    if seen.insert(u.clone(), h).is_some_and(|old| old != h) {
                        tracing::info!("{u} changed: reloading");
                        changed = true;
                    }
                }
                if changed && !reload_weak(&weak).await {
                    break;
                }
            }
        })
    }
}

/// Reloads if the catalog is still alive; returns whether it was.
async fn reload_weak(weak: &Weak<Reloading>) -> bool {
    let Some(this) = weak.upgrade() else { return false };
    let _ = this.reload().await;
    true
}

async fn fetch_hash(client: &reqwest::Client, url: &str) -> Option<u64> {
    let fetched = async {
        let resp = client.get(url).send().await.map_err(|e| e.to_string())?;
        if !resp.status().is_success() {
            return Err(format!("HTTP {}", resp.status()));
        }
        resp.bytes().await.map_err(|e| e.to_string())
    };
    match fetched.await {
        Ok(bytes) => Some(toolgate_tools::naming::fnv1a(&bytes)),
        Err(e) => {
            tracing::warn!("could not poll {url}: {e}");
            None
        }
    }
}

impl Backend for Reloading {
    fn tools(&self, caller: &Caller) -> Arc<ToolList> {
        self.current.load().tools(caller)
    }

    fn call(&self, call: ToolCall) -> BoxFuture<'static, Result<ToolOutput, CallError>> {
        self.current.load().call_tool(call)
    }

    fn resources(&self) -> Vec<ResourceDef> {
        self.current.load().resources()
    }

    fn resource_templates(&self) -> Vec<ResourceDef> {
        self.current.load().resource_templates()
    }

    fn read_resource(&self, uri: &str) -> BoxFuture<'static, Option<Vec<ResourceContent>>> {
        self.current.load().read_resource(uri)
    }

    fn prompts(&self) -> Vec<PromptDef> {
        self.current.load().prompts()
    }

    fn get_prompt(
        &self,
        name: &str,
        args: HashMap<String, String>,
    ) -> BoxFuture<'static, Result<PromptResult, String>> {
        self.current.load().get_prompt(name, args)
    }

    fn complete(&self, target: &CompletionTarget, argument: &str, value: &str) -> Vec<String> {
        self.current.load().complete(target, argument, value)
    }

    fn changes(&self) -> Option<tokio::sync::watch::Receiver<u64>> {
        Some(self.changes.subscribe())
    }
}
