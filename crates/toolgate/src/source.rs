//! Where an OpenAPI document comes from: a file, a URL, or a value built in code.

use std::path::PathBuf;
use std::time::Duration;

use toolgate_openapi::{Api, LoadOptions};

/// Where to read an OpenAPI document from.
#[derive(Debug, Clone)]
pub enum Source {
    /// A JSON or YAML file.
    File(PathBuf),
    /// An `http(s)` URL, fetched once at start-up.
    Url(String),
    /// A document already in memory (for example from utoipa).
    Value(serde_json::Value),
}

/// Why a document could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// Fetching the URL failed.
    #[error("could not fetch {url}: {message}")]
    Fetch {
        /// The URL.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// The document is broken.
    #[error(transparent)]
    Load(#[from] toolgate_openapi::Error),
}

impl Source {
    /// A file path, or a URL when the text starts with `http://` or `https://`.
    pub fn parse(text: &str) -> Source {
        if text.starts_with("http://") || text.starts_with("https://") {
            Source::Url(text.to_owned())
        } else {
            Source::File(PathBuf::from(text))
        }
    }

    /// A short label for messages.
    pub fn label(&self) -> String {
        match self {
            Source::File(p) => p.display().to_string(),
            Source::Url(u) => u.clone(),
            Source::Value(_) => toolgate_openapi::INLINE.to_owned(),
        }
    }

    /// Reads and loads the document.
    pub async fn load(&self, opts: &LoadOptions) -> Result<Api, SourceError> {
        match self {
            Source::File(path) => {
                // On a multi-threaded runtime the file is loaded on this very thread (its
                // worker role handed over meanwhile): glibc's malloc keeps the memory a thread
                // frees in that thread's arena, so what parsing a large document frees is used
                // again by the tool build that follows here, instead of staying with a
                // blocking-pool thread (`toolgate serve` on GitHub's API: VmHWM after start-up
                // 110,080 -> 95,312 kB).
                if tokio::runtime::Handle::current().runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread {
                    return tokio::task::block_in_place(|| toolgate_openapi::load_file(path, opts))
                        .map_err(SourceError::Load);
                }
                let path = path.clone();
                let opts = opts.clone();
                tokio::task::spawn_blocking(move || toolgate_openapi::load_file(&path, &opts))
                    .await
                    .map_err(|e| SourceError::Fetch { url: "<file>".into(), message: e.to_string() })?
                    .map_err(SourceError::Load)
            }
            Source::Url(url) => {
                let fetch_err = |message: String| SourceError::Fetch { url: url.clone(), message };
                let client = reqwest::Client::builder()
                    .timeout(Duration::from_secs(30))
                    .build()
                    .map_err(|e| fetch_err(e.to_string()))?;
                let resp = client
                    .get(url)
                    .header("accept", "application/json, application/yaml;q=0.9, */*;q=0.5")
                    .send()
                    .await
                    .map_err(|e| fetch_err(e.to_string()))?;
                if !resp.status().is_success() {
                    return Err(fetch_err(format!("HTTP {}", resp.status())));
                }
                let text = resp.text().await.map_err(|e| fetch_err(e.to_string()))?;
                let mut opts = opts.clone();
                opts.external_refs = toolgate_openapi::ExternalRefs::Deny;
                Ok(toolgate_openapi::load_text(&text, url, &opts)?)
            }
            Source::Value(v) => Ok(toolgate_openapi::load_value(v.clone(), opts)?),
        }
    }

    /// The URL a relative server URL in the document is relative to (the document's own URL).
    pub fn base_for_relative_servers(&self) -> Option<&str> {
        match self {
            Source::Url(u) => Some(u),
            _ => None,
        }
    }
}
