//! The library's error type.

/// Why a toolgate server could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The OpenAPI document could not be read.
    #[error(transparent)]
    Source(#[from] crate::source::SourceError),
    /// The OpenAPI document is broken.
    #[error(transparent)]
    Load(#[from] toolgate_openapi::Error),
    /// The tools could not be built (a filter matched nothing, a name clash, …).
    #[error(transparent)]
    Build(#[from] toolgate_tools::BuildError),
    /// Two tools of different mounts have the same name.
    #[error(
        "tool name `{name}` is used by both {first} and {second}; give the mounts different namespaces or rename one"
    )]
    NameClash {
        /// The name.
        name: String,
        /// The first tool.
        first: String,
        /// The second tool.
        second: String,
    },
    /// A setting is wrong.
    #[error("{0}")]
    Config(String),
    /// An I/O error (binding a port, …).
    #[error(transparent)]
    Io(#[from] std::io::Error),
}
