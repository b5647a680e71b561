//! Response shaping: `Tool::shape` turns an upstream response into a tool result.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use base64::Engine;
use common::{FIXTURES, tool, toolset};
use proptest::prelude::*;
use serde_json::{Value, json};
use toolgate_tools::{Body, Content, ESCAPE_KEY, Tool, ToolOutput};

fn shape(t: &Tool, status: u16, ct: Option<&str>, body: &[u8]) -> ToolOutput {
    t.shape(status, ct, Body::complete(body), "https://api.example.com/x")
}

fn validator(t: &Tool) -> jsonschema::Validator {
    let schema = Value::Object((**t.def.output_schema.as_ref().unwrap()).clone());
    jsonschema::options().with_draft(jsonschema::Draft::Draft202012).build(&schema).unwrap()
}

/// What a client that validates `structuredContent` would check.
fn assert_fits(t: &Tool, out: &ToolOutput) {
    match (&t.def.output_schema, &out.structured) {
        (Some(_), Some(s)) => {
            let v = validator(t);
            let errors: Vec<String> = v.iter_errors(s).map(|e| e.to_string()).collect();
            assert!(errors.is_empty(), "{}: {s} does not fit the output schema: {errors:?}", t.name());
        }
        (Some(_), None) if !out.is_error => panic!("{}: an output schema but no structuredContent", t.name()),
        (None, Some(s)) => panic!("{}: structuredContent {s} without an output schema", t.name()),
        _ => {}
    }
}

#[test]
fn json_becomes_structured_content_and_text() {
    let set = toolset("petstore-3.1.json");
    let t = tool(&set, "getPetById");
    let pet = json!({"id": 1, "name": "Rex", "photoUrls": [], "status": "available"});
    let out = shape(t, 200, Some("application/json; charset=utf-8"), pet.to_string().as_bytes());
    assert!(!out.is_error);
    assert_eq!(out.structured, Some(pet.clone()));
    assert_eq!(out.content, vec![Content::Text(pet.to_string())]);
    assert_fits(t, &out);
    // JSON without a content type is recognised too.
    let out = shape(t, 200, None, pet.to_string().as_bytes());
    assert_eq!(out.structured, Some(pet));
}

#[test]
fn non_object_results_are_wrapped() {
    let set = toolset("edge-cases.yaml");
    let t = tool(&set, "edge_response_json_array");
    let out = shape(t, 200, Some("application/json"), br#"[{"id":1,"name":"a"}]"#);
    assert_eq!(out.structured, Some(json!({"result": [{"id": 1, "name": "a"}]})));
    assert_fits(t, &out);
    let t = tool(&set, "edge_response_json_scalar");
    let out = shape(t, 200, Some("application/json"), b"42");
    assert_eq!(out.structured, Some(json!({"result": 42})));
    assert_eq!(out.joined_text(), "42");
    assert_fits(t, &out);
}

#[test]
fn responses_that_break_their_schema_still_fit_the_advertised_schema() {
    let set = toolset("edge-cases.yaml");
    let t = tool(&set, "edge_response_schema_mismatch");
    // Documented `count: integer`, sent as a string: the tolerant schema cannot take it, so the
    // value goes to the text and structuredContent says why.
    let out = shape(t, 200, Some("application/json"), br#"{"count":"12","extra":true}"#);
    assert!(!out.is_error, "a successful call stays successful");
    assert_eq!(out.joined_text(), r#"{"count":"12","extra":true}"#);
    assert_fits(t, &out);
    let s = out.structured.unwrap();
    assert!(s.get(ESCAPE_KEY).is_some(), "{s}");
    // Missing required fields, nulls and extra fields are tolerated as they are.
    let out = shape(t, 200, Some("application/json"), br#"{"count":null,"more":1}"#);
    assert_eq!(out.structured, Some(json!({"count": null, "more": 1})));
    assert_fits(t, &out);
    // Not JSON at all, though JSON was documented.
    let out = shape(t, 200, Some("application/json"), b"<html>oops</html>");
    assert_fits(t, &out);
    assert_eq!(out.joined_text(), "<html>oops</html>");
}

#[test]
fn empty_and_204_responses() {
    let set = toolset("edge-cases.yaml");
    let t = tool(&set, "edge_response_204");
    let out = shape(t, 204, None, b"");
    assert!(!out.is_error);
    assert_eq!(out.joined_text(), r#"{"status":204}"#);
    assert_fits(t, &out);
    // A tool that documents JSON but gets an empty 204 still fits its schema.
    for name in ["edge_response_multiple_2xx", "edge_response_json_array", "edge_response_schema_mismatch"] {
        let t = tool(&set, name);
        let out = shape(t, 204, None, b"");
        assert!(!out.is_error);
        assert_fits(t, &out);
    }
}

#[test]
fn text_html_and_xml_are_text() {
    let set = toolset("edge-cases.yaml");
    for (name, ct, body) in [
        ("edge_response_text_plain", "text/plain", "plain text ü"),
        ("edge_response_html", "text/html; charset=utf-8", "<p>hi</p>"),
        ("edge_response_xml", "application/xml", "<note><text>x</text></note>"),
        ("edge_response_event_stream", "text/event-stream", "data: 1\n\n"),
    ] {
        let t = tool(&set, name);
        let out = shape(t, 200, Some(ct), body.as_bytes());
        assert!(!out.is_error, "{name}");
        assert_eq!(out.content, vec![Content::Text(body.to_owned())], "{name}");
        assert_fits(t, &out);
        assert_eq!(out.structured.is_some(), t.def.output_schema.is_some(), "{name}");
    }
    // Invalid UTF-8 in a text response does not fail.
    let out = shape(tool(&set, "edge_response_text_plain"), 200, Some("text/plain"), b"ok \xff\xfe end");
    assert!(out.joined_text().starts_with("ok ") && out.joined_text().ends_with(" end"));
}

#[test]
fn images_are_image_content_and_other_binaries_are_resources() {
    let set = toolset("edge-cases.yaml");
    let png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe";
    let out = shape(tool(&set, "edge_response_image"), 200, Some("image/png"), png);
    let b64 = base64::engine::general_purpose::STANDARD.encode(png);
    assert_eq!(out.content, vec![Content::Image { data: b64, mime_type: "image/png".into() }]);
    assert!(!out.is_error);

    let pdf = b"%PDF-1.7\n\xe2\xe3\xcf\xd3\n";
    let out = shape(tool(&set, "edge_response_pdf"), 200, Some("application/pdf"), pdf);
    match &out.content[..] {
        [Content::Resource { uri, mime_type, blob: Some(blob), text: None }] => {
            assert_eq!(uri, "https://api.example.com/x");
            assert_eq!(mime_type.as_deref(), Some("application/pdf"));
            assert_eq!(base64::engine::general_purpose::STANDARD.decode(blob).unwrap(), pdf);
        }
        other => panic!("{other:?}"),
    }
    // A binary body for a tool that documents JSON still fits its schema.
    let t = tool(&set, "edge_response_any_media");
    let out = shape(t, 200, Some("application/octet-stream"), b"\x00\x01\x02\xff");
    assert_fits(t, &out);
    let out = shape(t, 200, Some("image/gif"), b"GIF89a");
    assert_fits(t, &out);
}

#[test]
fn http_errors_are_is_error_results() {
    let set = toolset("edge-cases.yaml");
    let t = tool(&set, "edge_response_problem_json");
    let problem = br#"{"type":"about:blank","title":"Invalid input","status":400,"detail":"name is too long"}"#;
    let out = shape(t, 400, Some("application/problem+json"), problem);
    assert!(out.is_error);
    assert_eq!(out.structured, None, "no structuredContent for an error: it need not fit the schema");
    let text = out.joined_text();
    assert!(text.starts_with("HTTP 400 Bad Request — Invalid input: name is too long"), "{text}");
    assert!(text.contains(r#""status":400"#), "the body follows: {text}");

    let out = shape(t, 404, Some("application/json"), br#"{"detail":"Not Found"}"#);
    assert!(out.is_error);
    assert!(out.joined_text().starts_with("HTTP 404 Not Found — Not Found"), "{}", out.joined_text());

    let html = "<html><body><h1>502 Bad Gateway</h1></body></html>";
    let out = shape(tool(&set, "edge_response_html"), 502, Some("text/html"), html.as_bytes());
    assert!(out.is_error);
    assert_eq!(out.joined_text(), format!("HTTP 502 Bad Gateway\n{html}"));

    let out = shape(t, 503, None, b"");
    assert_eq!((out.is_error, out.joined_text().as_str()), (true, "HTTP 503 Service Unavailable"));
    let out = shape(t, 302, None, b"");
    assert!(out.is_error && out.joined_text().contains("redirects are not followed"));
    let out = shape(t, 599, None, b"x");
    assert!(out.is_error && out.joined_text().starts_with("HTTP 599"));
}

#[test]
fn truncated_responses_say_so() {
    let set = toolset("edge-cases.yaml");
    let t = tool(&set, "edge_response_huge");
    let body = br#"{"records":[{"id":"1"},{"id":"2"#;
    let out =
        t.shape(200, Some("application/json"), Body { bytes: body, total: Some(10_000_000), truncated: true }, "u");
    assert!(!out.is_error);
    let text = out.joined_text();
    assert!(text.starts_with(r#"{"records":[{"id":"1"}"#));
    assert!(
        text.ends_with(&format!("[toolgate: response truncated: showing the first {} of 10000000 bytes]", body.len())),
        "{text}"
    );
    assert_fits(t, &out);
    let out = t.shape(200, Some("text/plain"), Body { bytes: b"abc", total: None, truncated: true }, "u");
    assert!(out.joined_text().ends_with("[toolgate: response truncated: showing the first 3 bytes]"));
    let pdf = tool(&set, "edge_response_pdf");
    let out = pdf.shape(200, Some("application/pdf"), Body { bytes: b"%PDF", total: None, truncated: true }, "u");
    assert!(matches!(&out.content[..], [Content::Text(t)] if t.contains("larger than the size cap")), "{out:?}");
}

/// Arbitrary JSON values, including the awkward ones.
fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        "[a-z_]{0,8}".prop_map(Value::String),
        Just(json!("2024-01-01T00:00:00Z")),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        Just("id".to_owned()),
                        Just("name".to_owned()),
                        Just("result".to_owned()),
                        Just(ESCAPE_KEY.to_owned()),
                        "[a-z]{1,6}"
                    ],
                    inner
                ),
                0..5
            )
            .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// Every fixture tool that advertises an output schema, with an independent validator for it.
static WITH_OUTPUT: std::sync::LazyLock<Vec<(std::sync::Arc<Tool>, jsonschema::Validator)>> =
    std::sync::LazyLock::new(|| {
        FIXTURES
            .iter()
            .flat_map(|f| toolset(f).tools().to_vec())
            .filter(|t| t.def.output_schema.is_some())
            .map(|t| {
                let v = validator(&t);
                (t, v)
            })
            .collect()
    });

fn assert_fits_with(t: &Tool, v: &jsonschema::Validator, out: &ToolOutput) {
    if let Some(s) = &out.structured {
        let errors: Vec<String> = v.iter_errors(s).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{}: {s} does not fit the output schema: {errors:?}", t.name());
    } else {
        assert!(out.is_error, "{}: an output schema but no structuredContent", t.name());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Whatever JSON an upstream sends, with whatever status, the structured result of a tool
    /// that advertises an output schema fits that schema (the default, tolerant policy).
    #[test]
    fn any_json_response_fits_the_advertised_schema(value in arb_json(), status in prop_oneof![Just(200u16), Just(201), Just(204), Just(404)]) {
        let body = value.to_string();
        for (t, v) in WITH_OUTPUT.iter() {
            let out = shape(t, status, Some("application/json"), body.as_bytes());
            assert_fits_with(t, v, &out);
            prop_assert_eq!(out.is_error, status >= 400);
        }
    }
}

#[test]
fn known_awkward_values_fit_every_output_schema() {
    let values = [
        json!(null),
        json!(1),
        json!("x"),
        json!([]),
        json!({}),
        json!({"result": "x"}),
        json!({ESCAPE_KEY: 1}),
        json!([1, "a", null, {"b": []}]),
        json!({"id": "not-an-int", "name": 5, "children": "no", "price": {"amount": 1}}),
    ];
    for (t, validator) in WITH_OUTPUT.iter() {
        for v in &values {
            let out = shape(t, 200, Some("application/json"), v.to_string().as_bytes());
            assert_fits_with(t, validator, &out);
        }
        for (ct, body) in [(Some("text/plain"), &b"hello"[..]), (None, b""), (Some("application/json"), b"{not json")] {
            assert_fits_with(t, validator, &shape(t, 200, ct, body));
        }
    }
}

/// Counts `examples` keywords anywhere in a schema (property maps are walked, not counted).
fn examples_in(v: &Value) -> usize {
    match v {
        Value::Object(m) => {
            usize::from(m.contains_key("examples"))
                + m.iter().filter(|(k, _)| *k != "examples").map(|(_, v)| examples_in(v)).sum::<usize>()
        }
        Value::Array(a) => a.iter().map(examples_in).sum(),
        _ => 0,
    }
}

#[test]
fn tolerant_output_schemas_leave_examples_out_and_input_schemas_keep_them() {
    // The petstore's Pet carries `examples` (from 3.0 `example`) on `id` and `name`: in the
    // body of `addPet` (input) and in its response (output).
    let set = toolset("petstore-3.0.yaml");
    let t = tool(&set, "addPet");
    let input = Value::Object((*t.def.input_schema).clone());
    let output = Value::Object((**t.def.output_schema.as_ref().unwrap()).clone());
    assert!(examples_in(&input) >= 2, "input schema lost its examples: {input}");
    assert_eq!(examples_in(&output), 0, "output schema still has examples: {output}");
    // A property that is itself called `examples` is kept: only the keyword goes.
    let doc = json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {"/x": {"get": {
        "operationId": "getX", "responses": {"200": {"description": "ok", "content": {"application/json": {
            "schema": {"type": "object", "properties": {"examples": {"type": "string", "examples": ["a"]}}}}}}}}}}});
    let api = toolgate_openapi::load_value(doc, &Default::default()).unwrap();
    let set = toolgate_tools::Toolset::build(&api, &Default::default()).unwrap();
    let out = set.tools()[0].def.output_schema.as_ref().unwrap();
    assert!(out["properties"]["examples"].is_object(), "{out:?}");
    assert!(out["properties"]["examples"].get("examples").is_none(), "{out:?}");
}
