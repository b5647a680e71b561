//! Turn a normalized API description into MCP tools, requests and results.
//!
//! `toolgate-tools` is the pure core of toolgate: it knows neither sockets nor MCP. It makes a
//! [`Toolset`] from a [`toolgate_openapi::Api`] — one [`Tool`] per selected operation, with a
//! [`ToolDef`] (name, description, input and output schemas, annotations) and a
//! [`RequestPlan`] — then, for each call, validates the arguments and builds the request
//! ([`Tool::prepare`]), and shapes the response into a [`ToolOutput`] ([`Tool::shape`]).
//!
//! ```
//! use toolgate_tools::{Toolset, ToolsetOptions, BaseUrl};
//! let api = toolgate_openapi::load_str(r#"{
//!   "openapi": "3.1.0", "info": {"title": "Shop", "version": "1"},
//!   "paths": {"/products/{product_id}": {"get": {
//!     "operationId": "get_product_products__product_id__get",
//!     "parameters": [{"name": "product_id", "in": "path", "required": true,
//!                     "schema": {"type": "integer"}}],
//!     "responses": {"200": {"description": "ok"}}}}}
//! }"#, &Default::default()).unwrap();
//! let tools = Toolset::build(&api, &ToolsetOptions::default()).unwrap();
//! let tool = tools.get("get_product").unwrap();
//! let args = serde_json::json!({"product_id": 42});
//! let req = tool.prepare(args.as_object()).unwrap();
//! assert_eq!(req.path_and_query, "/products/42");
//! let err = tool.prepare(serde_json::json!({"product_id": "x"}).as_object()).unwrap_err();
//! assert!(err.to_string().contains("argument `product_id`"));
//! # let _ = BaseUrl::parse("http://127.0.0.1:8000").unwrap();
//! ```

mod build;
mod error;
pub mod naming;
mod output;
mod plan;
mod select;
pub mod serialize;
pub mod stream;
mod tool;
mod validate;

pub use build::{DEFAULT_MAX_SCHEMA_BYTES, OutputSchemas, Override, ToolsetOptions};
pub use error::{ArgumentError, ArgumentProblem, BuildError};
pub use output::{Body, Content, ESCAPE_KEY, ToolOutput};
pub use plan::{BOUNDARY, BaseUrl, BodyPlan, FieldPlan, ParamPlan, PathPart, PreparedRequest, RequestPlan};
pub use select::{Excluded, Selection, glob};
pub use tool::{Annotations, SkipReason, Skipped, Source, Tool, ToolDef, Toolset};
pub use validate::ArgumentValidator;
