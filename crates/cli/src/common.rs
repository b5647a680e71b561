//! Pieces shared by the subcommands.

use toolgate::Source;
use toolgate_openapi::{Api, ExternalRefs, LoadOptions};
use toolgate_tools::{OutputSchemas, Selection, ToolsetOptions};

use crate::args::{DocArgs, OutputSchemasArg, SelectArgs};

pub type Error = Box<dyn std::error::Error + Send + Sync>;

pub async fn load(doc: &DocArgs) -> Result<(Source, Api), Error> {
    let source = Source::parse(&doc.openapi);
    let opts = LoadOptions {
        external_refs: if doc.allow_external_refs { ExternalRefs::SameDirectory } else { ExternalRefs::Deny },
        lenient: doc.lenient,
    };
    let api = source.load(&opts).await?;
    Ok((source, api))
}

pub fn toolset_options(s: &SelectArgs) -> ToolsetOptions {
    ToolsetOptions {
        selection: Selection {
            include_operations: s.include_operations.clone(),
            exclude_operations: s.exclude_operations.clone(),
            include_tags: s.include_tags.clone(),
            exclude_tags: s.exclude_tags.clone(),
            include_methods: s.include_methods.clone(),
            exclude_methods: s.exclude_methods.clone(),
            include_paths: s.include_paths.clone(),
            exclude_paths: s.exclude_paths.clone(),
            include_deprecated: s.include_deprecated,
        },
        namespace: s.namespace.clone(),
        max_name_len: s.max_name_len,
        max_schema_bytes: s.max_schema_bytes,
        output_schemas: match s.output_schemas {
            OutputSchemasArg::Tolerant => OutputSchemas::Tolerant,
            OutputSchemasArg::Strict => OutputSchemas::Strict,
            OutputSchemasArg::Off => OutputSchemas::Off,
        },
        ..ToolsetOptions::default()
    }
}
