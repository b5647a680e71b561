//! `http::Response` → `ToolOutput`: JSON as structured content plus text, text as text, images
//! as images, other binary as an embedded resource, HTTP errors as `isError` results.

use base64::Engine;
use serde_json::{Value, json};

use crate::tool::Tool;

/// The key of the object sent as `structuredContent` when a result cannot be given in the
/// advertised shape (see [`OutputSchemas::Tolerant`](crate::OutputSchemas::Tolerant)).
pub const ESCAPE_KEY: &str = "_toolgate";

/// One content block of a result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// Text.
    Text(String),
    /// An image, base64-encoded.
    Image {
        /// Base64 data.
        data: String,
        /// `image/png`, …
        mime_type: String,
    },
    /// Audio, base64-encoded.
    Audio {
        /// Base64 data.
        data: String,
        /// `audio/wav`, …
        mime_type: String,
    },
    /// An embedded resource: binary (`blob`, base64) or text.
    Resource {
        /// Where it came from.
        uri: String,
        /// Its media type.
        mime_type: Option<String>,
        /// Base64 content, for binary resources.
        blob: Option<String>,
        /// Text content, for text resources.
        text: Option<String>,
    },
}

/// What a tool call returns.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolOutput {
    /// Content blocks.
    pub content: Vec<Content>,
    /// `structuredContent`.
    pub structured: Option<Value>,
    /// Whether the call failed (`isError`).
    pub is_error: bool,
}

impl ToolOutput {
    /// A failed call with a message for the model.
    pub fn error(message: impl Into<String>) -> ToolOutput {
        ToolOutput { content: vec![Content::Text(message.into())], structured: None, is_error: true }
    }

    /// A successful call with a text result.
    pub fn text(text: impl Into<String>) -> ToolOutput {
        ToolOutput { content: vec![Content::Text(text.into())], structured: None, is_error: false }
    }

    /// The text of every text block, joined.
    pub fn joined_text(&self) -> String {
        self.content
            .iter()
            .filter_map(|c| if let Content::Text(t) = c { Some(t.as_str()) } else { None })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// A response body as read from an upstream.
#[derive(Debug, Clone, Copy)]
pub struct Body<'a> {
    /// The bytes read (at most the size cap).
    pub bytes: &'a [u8],
    /// The size of the whole body when more was sent than was read (`None`: all was read, or
    /// the size is unknown because reading stopped at the cap).
    pub total: Option<u64>,
    /// Whether reading stopped at the size cap.
    pub truncated: bool,
}

impl<'a> Body<'a> {
    /// A body read whole.
    pub fn complete(bytes: &'a [u8]) -> Body<'a> {
        Body { bytes, total: None, truncated: false }
    }
}

fn media_base(content_type: Option<&str>) -> String {
    content_type.and_then(|c| c.split(';').next()).unwrap_or("").trim().to_ascii_lowercase()
}

fn is_json(m: &str) -> bool {
    m == "application/json" || m.ends_with("+json") || m.ends_with("/json")
}

fn is_textual(m: &str) -> bool {
    m.starts_with("text/")
        || m.ends_with("+xml")
        || m.ends_with("/xml")
        || m == "application/javascript"
        || m == "application/yaml"
        || m == "application/x-yaml"
        || m == "application/x-www-form-urlencoded"
        || m == "application/x-ndjson"
        || m == "application/jsonl"
}

fn truncation_note(body: &Body<'_>) -> String {
    match body.total {
        Some(t) => format!("\n\n[toolgate: response truncated: showing the first {} of {} bytes]", body.bytes.len(), t),
        None => format!("\n\n[toolgate: response truncated: showing the first {} bytes]", body.bytes.len()),
    }
}

fn reason(status: u16) -> &'static str {
    http::StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason()).unwrap_or("")
}

impl Tool {
    /// Shapes an upstream response into a tool result.
    ///
    /// `uri` names the resource for binary results.
    pub fn shape(&self, status: u16, content_type: Option<&str>, body: Body<'_>, uri: &str) -> ToolOutput {
        let media = media_base(content_type);
        let text = || {
            let mut t = String::from_utf8_lossy(body.bytes).into_owned();
            if body.truncated {
                t.push_str(&truncation_note(&body));
            }
            t
        };
        if status >= 300 {
            return error_output(status, &media, &text(), body.bytes);
        }
        if body.bytes.is_empty() {
            let obj = json!({"status": status});
            return self.structured(obj.to_string(), Some(obj));
        }
        if is_json(&media) || (media.is_empty() && looks_like_json(body.bytes)) {
            if body.truncated {
                return self.structured(text(), None);
            }
            return match serde_json::from_slice::<Value>(body.bytes) {
                Ok(v) => self.structured(text(), Some(v)),
                Err(_) => self.structured(text(), None),
            };
        }
        if media.starts_with("image/") && !body.truncated {
            let data = base64::engine::general_purpose::STANDARD.encode(body.bytes);
            return self.with_escape(vec![Content::Image { data, mime_type: media }], "the response is an image");
        }
        if media.starts_with("audio/") && !body.truncated {
            let data = base64::engine::general_purpose::STANDARD.encode(body.bytes);
            return self.with_escape(vec![Content::Audio { data, mime_type: media }], "the response is audio");
        }
        if is_textual(&media) || (media.is_empty() && std::str::from_utf8(body.bytes).is_ok()) {
            return self.structured(text(), None);
        }
        if body.truncated {
            let msg = format!(
                "The response ({media}, more than {} bytes) is larger than the size cap and was not returned.",
                body.bytes.len()
            );
            return self.with_escape(vec![Content::Text(msg)], "the response is binary and too large");
        }
        let blob = base64::engine::general_purpose::STANDARD.encode(body.bytes);
        let mime = if media.is_empty() { None } else { Some(media) };
        self.with_escape(
            vec![Content::Resource { uri: uri.to_owned(), mime_type: mime, blob: Some(blob), text: None }],
            "the response is binary",
        )
    }

    /// A successful result: text, and `structuredContent` when the tool has an output schema.
    fn structured(&self, text: String, value: Option<Value>) -> ToolOutput {
        let Some(_) = &self.def.output_schema else {
            return ToolOutput { content: vec![Content::Text(text)], structured: None, is_error: false };
        };
        let candidate = value.map(|v| if self.wrap_output { json!({"result": v}) } else { v });
        let structured = match candidate {
            Some(c) if !self.tolerant_output => Some(c),
            Some(c) => match self.check_output(&c) {
                Ok(()) => Some(c),
                Err(why) => Some(escape(&format!("the response does not match the documented schema ({why})"))),
            },
            None => Some(escape("the response is not JSON")),
        };
        ToolOutput { content: vec![Content::Text(text)], structured, is_error: false }
    }

    /// Applies the tool's output policy to a result made elsewhere (for example the aggregate
    /// of a streamed response): its structured content is kept when it fits the advertised
    /// output schema, and replaced by the escape object when it does not.
    pub fn conform(&self, mut out: ToolOutput) -> ToolOutput {
        if out.is_error || self.def.output_schema.is_none() || !self.tolerant_output {
            return out;
        }
        out.structured = match out.structured.take() {
            Some(v) => match self.check_output(&v) {
                Ok(()) => Some(v),
                Err(why) => Some(escape(&format!("the response does not match the documented schema ({why})"))),
            },
            None => Some(escape("the response has no structured form")),
        };
        out
    }

    fn with_escape(&self, content: Vec<Content>, why: &str) -> ToolOutput {
        let structured = self.def.output_schema.as_ref().map(|_| escape(why));
        ToolOutput { content, structured, is_error: false }
    }
}

fn escape(why: &str) -> Value {
    json!({ ESCAPE_KEY: { "unstructured": why, "see": "the text content" } })
}

fn looks_like_json(b: &[u8]) -> bool {
    matches!(b.iter().find(|c| !c.is_ascii_whitespace()), Some(b'{' | b'['))
}

fn error_output(status: u16, media: &str, text: &str, bytes: &[u8]) -> ToolOutput {
    let mut head = format!("HTTP {status} {}", reason(status)).trim_end().to_owned();
    if (300..400).contains(&status) {
        head.push_str(" (redirects are not followed)");
    }
    let detail = if media == "application/problem+json" || is_json(media) {
        serde_json::from_slice::<Value>(bytes).ok().and_then(|v| {
            let title = v.get("title").and_then(Value::as_str);
            let detail = v.get("detail").and_then(Value::as_str);
            match (title, detail) {
                (Some(t), Some(d)) => Some(format!("{t}: {d}")),
                (Some(t), None) => Some(t.to_owned()),
                (None, Some(d)) => Some(d.to_owned()),
                _ => None,
            }
        })
    } else {
        None
    };
    let mut msg = head;
    if let Some(d) = detail {
        msg.push_str(" — ");
        msg.push_str(&d);
    }
    if !text.is_empty() {
        msg.push('\n');
        msg.push_str(text);
    }
    ToolOutput::error(msg)
}
