//! toolgate values ↔ rmcp model types.

use rmcp::model::{CallToolResult, ContentBlock, ResourceContents, ToolAnnotations};
use toolgate_tools::{Content, ToolDef, ToolOutput};

/// A tool definition as rmcp sends it.
pub(crate) fn tool(def: &ToolDef) -> rmcp::model::Tool {
    let a = &def.annotations;
    let mut t = rmcp::model::Tool::new_with_raw(
        def.name.clone(),
        Some(def.description.clone().into()),
        def.input_schema.clone(),
    );
    if let Some(title) = &def.title {
        t = t.with_title(title.clone());
    }
    if let Some(o) = &def.output_schema {
        t = t.with_raw_output_schema(o.clone());
    }
    if a != &Default::default() {
        t = t.with_annotations(ToolAnnotations::from_raw(
            a.title.clone(),
            a.read_only,
            a.destructive,
            a.idempotent,
            a.open_world,
        ));
    }
    t
}

pub(crate) fn content(c: Content) -> ContentBlock {
    match c {
        Content::Text(t) => ContentBlock::text(t),
        Content::Image { data, mime_type } => ContentBlock::image(data, mime_type),
        Content::Audio { data, mime_type } => ContentBlock::audio(data, mime_type),
        Content::Resource { uri, mime_type, blob, text } => {
            let contents = match (blob, text) {
                (Some(b), _) => ResourceContents::blob(b, uri),
                (None, t) => ResourceContents::text(t.unwrap_or_default(), uri),
            };
            let contents = match mime_type {
                Some(m) => contents.with_mime_type(m),
                None => contents,
            };
            ContentBlock::resource(contents)
        }
    }
}

/// A tool result as rmcp sends it.
pub(crate) fn output(out: ToolOutput) -> CallToolResult {
    let blocks: Vec<ContentBlock> = out.content.into_iter().map(content).collect();
    let mut r = if out.is_error { CallToolResult::error(blocks) } else { CallToolResult::success(blocks) };
    r.structured_content = out.structured;
    r
}
