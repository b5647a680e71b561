//! The raw-HTTP MCP test client lives in the interop crate, shared with the examples' tests.
#![allow(dead_code, unused_imports)]

pub use toolgate_interop::mcp::*;
