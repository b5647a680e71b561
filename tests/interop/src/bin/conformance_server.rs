//! The MCP conformance fixture, built with toolgate's public API only.
//!
//! `conformance-server --port P` serves on `http://127.0.0.1:P/mcp`:
//!
//! - generated tools: the example shop API (`toolgate-shop`), called in process;
//! - hand-written tools ([`toolgate::CustomTool`]) with the names the official conformance suite
//!   calls (`test_simple_text`, `test_image_content`, …), returning the payloads it expects;
//! - the suite's resources (`test://static-text`, `test://static-binary`, the template
//!   `test://template/{id}/data`, …) and prompts (`test_simple_prompt`, …).
//!
//! `tests/conformance.rs` starts it and runs the suite in both protocol eras.

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::json;
use toolgate::{
    Content, CustomTool, LogLevel, Mcp, McpEndpoint, Prompt, PromptResult, Resource, ResourceContent, ResourceTemplate,
    ServerOptions, ToolOutput,
};

/// A 1×1 red PNG.
const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC";
/// A WAV file with 8 silent 8-bit samples.
const WAV: &str = "UklGRiwAAABXQVZFZm10IBAAAAABAAEAQB8AAEAfAAABAAgAZGF0YQgAAACAgICAgICAgA==";

/// The endpoint, for the tool that announces a tool-list change.
static ENDPOINT: OnceLock<McpEndpoint> = OnceLock::new();

fn output(content: Vec<Content>) -> ToolOutput {
    ToolOutput { content, structured: None, is_error: false }
}

fn image() -> Content {
    Content::Image { data: PNG.into(), mime_type: "image/png".into() }
}

fn text_resource(uri: &str, mime: &str, text: &str) -> Content {
    Content::Resource { uri: uri.into(), mime_type: Some(mime.into()), blob: None, text: Some(text.into()) }
}

fn tools() -> Vec<CustomTool> {
    vec![
        CustomTool::new("test_simple_text", "Returns a simple text response", |_| async {
            ToolOutput::text("This is a simple text response for testing.")
        }),
        CustomTool::new("test_image_content", "Returns a 1x1 PNG image", |_| async { output(vec![image()]) }),
        CustomTool::new("test_audio_content", "Returns a short WAV clip", |_| async {
            output(vec![Content::Audio { data: WAV.into(), mime_type: "audio/wav".into() }])
        }),
        CustomTool::new("test_embedded_resource", "Returns an embedded text resource", |_| async {
            output(vec![text_resource(
                "test://embedded-resource",
                "text/plain",
                "This is an embedded resource content.",
            )])
        }),
        CustomTool::new("test_multiple_content_types", "Returns text, an image and a resource", |_| async {
            output(vec![
                Content::Text("Multiple content types test:".into()),
                image(),
                text_resource(
                    "test://mixed-content-resource",
                    "application/json",
                    &json!({"test": "data", "value": 123}).to_string(),
                ),
            ])
        }),
        CustomTool::new("test_tool_with_logging", "Sends three log messages while it runs", |r| async move {
            let n = r.notifier;
            n.log(LogLevel::Info, Some("conformance"), json!("Tool execution started")).await;
            tokio::time::sleep(Duration::from_millis(50)).await;
            n.log(LogLevel::Info, Some("conformance"), json!("Tool processing data")).await;
            tokio::time::sleep(Duration::from_millis(50)).await;
            n.log(LogLevel::Info, Some("conformance"), json!("Tool execution completed")).await;
            ToolOutput::text("Tool with logging executed successfully")
        }),
        CustomTool::new(
            "test_logging_tool",
            "Logs at info level (only when the request asked for logs)",
            |r| async move {
                r.notifier.log(LogLevel::Info, Some("conformance"), json!("test_logging_tool ran")).await;
                ToolOutput::text("Logging tool executed")
            },
        ),
        CustomTool::new("test_tool_with_progress", "Reports progress 0, 50 and 100 of 100", |r| async move {
            let n = r.notifier;
            n.progress(0.0, Some(100.0), None).await;
            tokio::time::sleep(Duration::from_millis(50)).await;
            n.progress(50.0, Some(100.0), None).await;
            tokio::time::sleep(Duration::from_millis(50)).await;
            n.progress(100.0, Some(100.0), None).await;
            ToolOutput::text("Tool with progress executed successfully")
        }),
        CustomTool::new("test_error_handling", "Always fails", |_| async {
            ToolOutput::error("This tool intentionally returns an error for testing")
        }),
        CustomTool::new("test_missing_capability", "Needs the client's sampling capability", |_| async {
            ToolOutput::text("The client declared the sampling capability")
        })
        .requires_client_capability("sampling"),
        CustomTool::new(
            "test_streaming_elicitation",
            "Answers on the request's stream; toolgate never sends requests to the client",
            |_| async { ToolOutput::text("No input needed: this server does not use elicitation") },
        ),
        CustomTool::new("test_trigger_tool_change", "Announces a tool-list change to listening clients", |_| async {
            if let Some(e) = ENDPOINT.get() {
                e.notify_tools_changed().await;
            }
            ToolOutput::text("Tool list change announced")
        }),
        CustomTool::new(
            "test_custom_headers",
            "Echoes a parameter that travels in an Mcp-Param header",
            |r| async move {
                ToolOutput::text(format!("region = {}", r.arguments.get("region").cloned().unwrap_or_default()))
            },
        )
        .input_schema(json!({
            "type": "object",
            "properties": {"region": {"type": "string", "x-mcp-header": "Region"}},
            "required": ["region"]
        })),
        CustomTool::new("json_schema_2020_12_tool", "Tool with JSON Schema 2020-12 features", |_| async {
            ToolOutput::text("ok")
        })
        .input_schema(json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "$defs": {"address": {"$anchor": "addressDef", "type": "object",
                "properties": {"street": {"type": "string"}, "city": {"type": "string"}}}},
            "properties": {
                "name": {"type": "string"},
                "address": {"$ref": "#/$defs/address"},
                "contactMethod": {"type": "string", "enum": ["phone", "email"]},
                "phone": {"type": "string"},
                "email": {"type": "string"}
            },
            "allOf": [{"anyOf": [{"required": ["phone"]}, {"required": ["email"]}]}],
            "if": {"properties": {"contactMethod": {"const": "phone"}}, "required": ["contactMethod"]},
            "then": {"required": ["phone"]},
            "else": {"required": ["email"]},
            "additionalProperties": false
        })),
    ]
}

fn resources() -> Vec<Resource> {
    vec![
        Resource::text("test://static-text", "static-text", "This is the content of the static text resource.")
            .description("A static text resource"),
        Resource::blob("test://static-binary", "static-binary", PNG)
            .mime_type("image/png")
            .description("A static binary resource (a PNG image)"),
        Resource::text("test://watched-resource", "watched-resource", "A resource clients may subscribe to.")
            .description("A resource for subscription tests"),
    ]
}

fn template() -> ResourceTemplate {
    ResourceTemplate::new("test://template/{id}/data", "template-data", |r| async move {
        let id = r.var("id")?.to_owned();
        let body = json!({"id": id, "templateTest": true, "data": format!("Data for ID: {id}")});
        Some(vec![ResourceContent::text(r.uri, "application/json", body.to_string())])
    })
    .description("Data for one ID")
    .mime_type("application/json")
    .complete("id", |prefix| {
        ["1", "123", "42"].iter().filter(|v| v.starts_with(prefix)).map(|v| (*v).to_owned()).collect()
    })
}

fn arg(args: &HashMap<String, String>, name: &str) -> String {
    args.get(name).cloned().unwrap_or_default()
}

fn prompts() -> Vec<Prompt> {
    vec![
        Prompt::new("test_simple_prompt", "A prompt without arguments", |_| async {
            Ok(PromptResult::new().user(Content::Text("This is a simple prompt for testing.".into())))
        }),
        Prompt::new("test_prompt_with_arguments", "A prompt with two arguments", |a| async move {
            let text = format!("Prompt with arguments: arg1='{}', arg2='{}'", arg(&a, "arg1"), arg(&a, "arg2"));
            Ok(PromptResult::new().user(Content::Text(text)))
        })
        .argument("arg1", "First test argument", true)
        .argument("arg2", "Second test argument", true)
        .complete("arg1", |prefix| {
            ["paris", "park", "party", "test"]
                .iter()
                .filter(|v| v.starts_with(prefix))
                .map(|v| (*v).to_owned())
                .collect()
        }),
        Prompt::new("test_prompt_with_embedded_resource", "A prompt that embeds a resource", |a| async move {
            Ok(PromptResult::new()
                .user(text_resource(&arg(&a, "resourceUri"), "text/plain", "Embedded resource content for testing."))
                .user(Content::Text("Please process the embedded resource above.".into())))
        })
        .argument("resourceUri", "URI of the resource to embed", true),
        Prompt::new("test_prompt_with_image", "A prompt with an image", |_| async {
            Ok(PromptResult::new().user(image()).user(Content::Text("Please analyze the image above.".into())))
        }),
    ]
}

fn port() -> Result<u16, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = match args.as_slice() {
        [] => return Ok(0),
        [flag, p] if flag == "--port" => p.as_str(),
        [one] if one.starts_with("--port=") => &one["--port=".len()..],
        _ => return Err(format!("unexpected arguments {args:?}; usage: conformance-server --port PORT")),
    };
    value.parse().map_err(|_| format!("--port needs a number, got `{value}`"))
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("conformance-server: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let port = port()?;
    let (shop, openapi) = toolgate_shop::app();
    let server = ServerOptions {
        name: "toolgate-conformance".into(),
        title: Some("toolgate conformance fixture".into()),
        ..ServerOptions::default()
    };
    let mut mcp = Mcp::new(&openapi, shop.clone()).server(server);
    for t in tools() {
        mcp = mcp.tool(t);
    }
    for r in resources() {
        mcp = mcp.resource(r);
    }
    for p in prompts() {
        mcp = mcp.prompt(p);
    }
    let endpoint = mcp.resource_template(template()).build().map_err(|e| e.to_string())?;
    let app = endpoint.mount(shop);
    let _ = ENDPOINT.set(endpoint);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| format!("cannot listen on {port}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    println!("conformance-server: listening on http://{addr}/mcp");
    toolgate::serve(listener, app, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .map_err(|e| e.to_string())
}
