//! toolgate: serve web APIs as MCP tools.
//!
//! (Crate documentation grows with the crate; see the README.)

pub mod source;

pub use source::{Source, SourceError};
pub use toolgate_openapi as openapi;
pub use toolgate_tools as tools;
