//! Request building for parameters: every row of the OpenAPI parameter serialization table
//! (3.1.1 §4.8.12.4 "Style Examples", which follows RFC 6570), run through real tools built from
//! a small document, plus percent-encoding, header injection, `allowReserved` and
//! content-typed parameters.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{obj, tool, tools_of};
use serde_json::{Value, json};
use toolgate_tools::{BaseUrl, PreparedRequest, Tool, Toolset};

/// One operation per location/style/explode, each with one parameter called `color` whose
/// schema accepts anything, so the same values can go through every row.
fn table_tools() -> Toolset {
    let mut paths = serde_json::Map::new();
    let ok = json!({"200": {"description": "ok"}});
    for (style, explode) in
        [("simple", false), ("simple", true), ("label", false), ("label", true), ("matrix", false), ("matrix", true)]
    {
        let id = format!("path_{style}_{explode}");
        paths.insert(
            format!("/p/{id}/{{color}}"),
            json!({"get": {"operationId": id, "responses": ok,
                "parameters": [{"name": "color", "in": "path", "required": true, "style": style, "explode": explode, "schema": {}}]}}),
        );
    }
    for (style, explode) in [
        ("form", false),
        ("form", true),
        ("spaceDelimited", false),
        ("spaceDelimited", true),
        ("pipeDelimited", false),
        ("pipeDelimited", true),
        ("deepObject", true),
    ] {
        let id = format!("query_{style}_{explode}");
        paths.insert(
            format!("/q/{id}"),
            json!({"get": {"operationId": id, "responses": ok,
                "parameters": [{"name": "color", "in": "query", "style": style, "explode": explode, "schema": {}}]}}),
        );
    }
    for explode in [false, true] {
        let id = format!("header_{explode}");
        paths.insert(
            format!("/h/{id}"),
            json!({"get": {"operationId": id, "responses": ok,
                "parameters": [{"name": "X-Color", "in": "header", "explode": explode, "schema": {}}]}}),
        );
        let id = format!("cookie_{explode}");
        paths.insert(
            format!("/c/{id}"),
            json!({"get": {"operationId": id, "responses": ok,
                "parameters": [{"name": "color", "in": "cookie", "explode": explode, "schema": {}}]}}),
        );
    }
    tools_of(Value::Object(paths))
}

fn prepare(t: &Tool, args: Value) -> PreparedRequest {
    match t.prepare(Some(&obj(args.clone()))) {
        Ok(r) => r,
        Err(e) => panic!("{} {args}: {e}", t.name()),
    }
}

const PRIM: &str = "blue";

fn values() -> [Value; 3] {
    [json!(PRIM), json!(["blue", "black", "brown"]), json!({"R": 100, "G": 200, "B": 150})]
}

/// The path segment after `/p/<id>/`.
fn path_value(set: &Toolset, id: &str, v: &Value) -> String {
    let req = prepare(tool(set, id), json!({ "color": v }));
    let prefix = format!("/p/{id}/");
    req.path_and_query.strip_prefix(&prefix).unwrap_or_else(|| panic!("{}", req.path_and_query)).to_owned()
}

fn query_value(set: &Toolset, id: &str, v: &Value) -> String {
    let req = prepare(tool(set, id), json!({ "color": v }));
    req.path_and_query.split_once('?').map(|(_, q)| q.to_owned()).unwrap_or_default()
}

#[test]
fn path_parameters_follow_the_style_table() {
    let set = table_tools();
    #[rustfmt::skip]
    let rows: [(&str, [&str; 3]); 6] = [
        ("path_simple_false", ["blue", "blue,black,brown", "R,100,G,200,B,150"]),
        ("path_simple_true",  ["blue", "blue,black,brown", "R=100,G=200,B=150"]),
        ("path_label_false",  [".blue", ".blue,black,brown", ".R,100,G,200,B,150"]),
        ("path_label_true",   [".blue", ".blue.black.brown", ".R=100.G=200.B=150"]),
        ("path_matrix_false", [";color=blue", ";color=blue,black,brown", ";color=R,100,G,200,B,150"]),
        ("path_matrix_true",  [";color=blue", ";color=blue;color=black;color=brown", ";R=100;G=200;B=150"]),
    ];
    for (id, expected) in rows {
        for (v, want) in values().iter().zip(expected) {
            assert_eq!(path_value(&set, id, v), want, "{id} {v}");
        }
    }
    // Numbers and booleans are written as JSON writes them.
    assert_eq!(path_value(&set, "path_simple_false", &json!(5)), "5");
    assert_eq!(path_value(&set, "path_simple_false", &json!(true)), "true");
    assert_eq!(path_value(&set, "path_matrix_false", &json!(1.5)), ";color=1.5");
}

#[test]
fn query_parameters_follow_the_style_table() {
    let set = table_tools();
    #[rustfmt::skip]
    let rows: [(&str, [&str; 3]); 7] = [
        ("query_form_false",           ["color=blue", "color=blue,black,brown", "color=R,100,G,200,B,150"]),
        ("query_form_true",            ["color=blue", "color=blue&color=black&color=brown", "R=100&G=200&B=150"]),
        ("query_spaceDelimited_false", ["color=blue", "color=blue%20black%20brown", "color=R%20100%20G%20200%20B%20150"]),
        ("query_spaceDelimited_true",  ["color=blue", "color=blue&color=black&color=brown", "R=100&G=200&B=150"]),
        ("query_pipeDelimited_false",  ["color=blue", "color=blue|black|brown", "color=R|100|G|200|B|150"]),
        ("query_pipeDelimited_true",   ["color=blue", "color=blue&color=black&color=brown", "R=100&G=200&B=150"]),
        ("query_deepObject_true",      ["color=blue", "color=blue&color=black&color=brown", "color[R]=100&color[G]=200&color[B]=150"]),
    ];
    for (id, expected) in rows {
        for (v, want) in values().iter().zip(expected) {
            assert_eq!(query_value(&set, id, v), want, "{id} {v}");
        }
    }
    // An empty string is sent as an empty value; empty arrays and objects send nothing.
    assert_eq!(query_value(&set, "query_form_true", &json!("")), "color=");
    assert_eq!(query_value(&set, "query_form_true", &json!([])), "");
    assert_eq!(query_value(&set, "query_form_true", &json!({})), "");
    // deepObject nests.
    assert_eq!(
        query_value(&set, "query_deepObject_true", &json!({"price": {"min": 1, "max": 2}, "s": "a b"})),
        "color[price][min]=1&color[price][max]=2&color[s]=a%20b"
    );
}

#[test]
fn every_table_row_makes_a_valid_http_request() {
    let set = table_tools();
    let base = BaseUrl::parse("https://api.example.com").unwrap();
    for t in set.tools() {
        for v in values() {
            let arg = t.plan.params[0].arg.clone();
            let req = prepare(t, json!({ arg: v }));
            let pq = req.path_and_query.clone();
            let http = req.into_http(&base).unwrap_or_else(|e| panic!("{} {pq}: {e}", t.name()));
            assert_eq!(http.uri().host(), Some("api.example.com"));
            assert_eq!(http.uri().path_and_query().map(|p| p.as_str()), Some(pq.as_str()), "{}", t.name());
        }
    }
}

#[test]
fn header_parameters_use_simple_style() {
    let set = table_tools();
    #[rustfmt::skip]
    let rows = [
        ("header_false", ["blue", "blue,black,brown", "R,100,G,200,B,150"]),
        ("header_true",  ["blue", "blue,black,brown", "R=100,G=200,B=150"]),
    ];
    for (id, expected) in rows {
        for (v, want) in values().iter().zip(expected) {
            let req = prepare(tool(&set, id), json!({ "X-Color": v }));
            assert_eq!(req.headers.get("x-color").and_then(|h| h.to_str().ok()), Some(want), "{id} {v}");
        }
    }
}

#[test]
fn cookie_parameters_use_form_style() {
    let set = table_tools();
    #[rustfmt::skip]
    let rows = [
        ("cookie_false", ["color=blue", "color=blue,black,brown", "color=R,100,G,200,B,150"]),
        ("cookie_true",  ["color=blue", "color=blue; color=black; color=brown", "R=100; G=200; B=150"]),
    ];
    for (id, expected) in rows {
        for (v, want) in values().iter().zip(expected) {
            let req = prepare(tool(&set, id), json!({ "color": v }));
            assert_eq!(req.headers.get("cookie").and_then(|h| h.to_str().ok()), Some(want), "{id} {v}");
        }
    }
}

#[test]
fn several_cookies_share_one_header() {
    let set = common::toolset("edge-cases.yaml");
    let t = tool(&set, "edge_header_cookie_params");
    let req = prepare(
        t,
        json!({"X-Request-ID": "3fa85f64-5717-4562-b3fc-2c963f66afa6", "session_id": "s1", "theme": "dark"}),
    );
    assert_eq!(req.headers.get_all("cookie").iter().count(), 1);
    assert_eq!(req.headers["cookie"], "session_id=s1; theme=dark");
    assert_eq!(req.headers["x-request-id"], "3fa85f64-5717-4562-b3fc-2c963f66afa6");
    assert!(req.headers.get("x-optional-flag").is_none(), "optional and not given: not sent");
}

#[test]
fn path_values_are_percent_encoded_into_one_segment() {
    let set = table_tools();
    let id = "path_simple_false";
    for (v, want) in [
        ("../admin", "..%2Fadmin"),
        ("../../etc/passwd", "..%2F..%2Fetc%2Fpasswd"),
        ("..", "%2E%2E"),
        (".", "%2E"),
        ("a/b?c#d%e", "a%2Fb%3Fc%23d%25e"),
        ("a b", "a%20b"),
        ("日本", "%E6%97%A5%E6%9C%AC"),
        ("ü", "%C3%BC"),
        ("-._~", "-._~"),
        ("x;y=z,w", "x%3By%3Dz%2Cw"),
    ] {
        assert_eq!(path_value(&set, id, &json!(v)), want, "{v}");
    }
    // Array items and label/matrix values are encoded the same way.
    assert_eq!(path_value(&set, id, &json!(["..", "a/b"])), "%2E%2E,a%2Fb");
    assert_eq!(path_value(&set, "path_label_false", &json!("../x")), "...%2Fx");
    assert_eq!(path_value(&set, "path_matrix_true", &json!({"k/": "v?"})), ";k%2F=v%3F");
    // The request really stays in its segment.
    let base = BaseUrl::parse("https://api.example.com/v1").unwrap();
    let req = prepare(tool(&set, id), json!({"color": "../../admin"})).into_http(&base).unwrap();
    assert_eq!(req.uri().path(), "/v1/p/path_simple_false/..%2F..%2Fadmin");
    let edge = common::toolset("edge-cases.yaml");
    let req = prepare(tool(&edge, "edge_path_percent_encoding"), json!({"file_path": "a b/c?d#e"}));
    assert_eq!(req.path_and_query, "/params/percent-encoding/a%20b%2Fc%3Fd%23e");
}

#[test]
fn an_empty_path_value_is_refused() {
    // `/items/{id}` with `id = ""` would call `/items/`: another operation.
    let set = table_tools();
    for v in [json!(""), json!([])] {
        let err = tool(&set, "path_simple_false").prepare(Some(&obj(json!({ "color": v })))).unwrap_err();
        assert_eq!(err.problems[0].argument, "color", "{err}");
    }
    let err = tool(&set, "path_simple_false").prepare(Some(&obj(json!({})))).unwrap_err();
    assert_eq!(err.problems[0].argument, "color");
    assert!(err.to_string().contains("required"), "{err}");
}

#[test]
fn query_values_are_percent_encoded() {
    let set = table_tools();
    assert_eq!(query_value(&set, "query_form_true", &json!("a b&c=d/e?#%+")), "color=a%20b%26c%3Dd%2Fe%3F%23%25%2B");
    assert_eq!(query_value(&set, "query_form_true", &json!("日本")), "color=%E6%97%A5%E6%9C%AC");
    // Object keys under form/explode become names: encoded too.
    assert_eq!(query_value(&set, "query_form_true", &json!({"a&b": "c"})), "a%26b=c");
    assert_eq!(query_value(&set, "query_deepObject_true", &json!({"a]b": "c"})), "color[a%5Db]=c");
    // Odd parameter names get argument names clients accept, and keep their names, encoded,
    // on the wire.
    let edge = common::toolset("edge-cases.yaml");
    let t = tool(&edge, "edge_param_odd_names");
    let props: Vec<&String> =
        t.def.input_schema["properties"].as_object().map(|p| p.keys().collect()).unwrap_or_default();
    assert!(props.iter().all(|k| toolgate_tools::naming::is_valid(k, 64)), "{props:?}");
    let odd = props.iter().find(|k| k.starts_with("query_")).map(|k| k.to_string()).unwrap_or_default();
    let described = t.def.input_schema["properties"][&odd]["description"].as_str().unwrap_or_default();
    assert!(described.contains("(query parameter `名前`)"), "{described}");
    let req = prepare(t, json!({"filter_status": "x", "select": "y", odd: "z"}));
    assert_eq!(req.path_and_query, "/params/odd-names?filter%5Bstatus%5D=x&%24select=y&%E5%90%8D%E5%89%8D=z");
}

#[test]
fn allow_reserved_keeps_reserved_characters() {
    let set = common::toolset("edge-cases.yaml");
    let t = tool(&set, "edge_param_allow_reserved");
    let v = "/a/b?c=d&e=f:g@h!$'()*+,;";
    let req = prepare(t, json!({"redirect": v, "plain": v}));
    assert_eq!(
        req.path_and_query,
        "/params/allow-reserved?redirect=/a/b?c=d&e=f:g@h!$'()*+,;&plain=%2Fa%2Fb%3Fc%3Dd%26e%3Df%3Ag%40h%21%24%27%28%29%2A%2B%2C%3B"
    );
    // Never `#`, `%`, space or non-ASCII.
    let req = prepare(t, json!({"redirect": "a#b%c d€"}));
    assert_eq!(req.path_and_query, "/params/allow-reserved?redirect=a%23b%25c%20d%E2%82%AC");
    let base = BaseUrl::parse("http://localhost:8080").unwrap();
    assert!(prepare(t, json!({"redirect": v})).into_http(&base).is_ok());
}

#[test]
fn content_typed_parameters_are_sent_as_json() {
    let set = common::toolset("edge-cases.yaml");
    let t = tool(&set, "edge_param_content_json");
    let req = prepare(t, json!({"filter": {"type": "dog", "color": "brown"}}));
    assert_eq!(
        req.path_and_query,
        "/params/content-json?filter=%7B%22type%22%3A%22dog%22%2C%22color%22%3A%22brown%22%7D"
    );
    let q = req.path_and_query.split_once("filter=").unwrap().1;
    let decoded = percent_encoding::percent_decode_str(q).decode_utf8().unwrap();
    assert_eq!(serde_json::from_str::<Value>(&decoded).unwrap(), json!({"type": "dog", "color": "brown"}));
}

#[test]
fn header_values_with_control_characters_are_refused_naming_the_argument() {
    let set = table_tools();
    let t = tool(&set, "header_false");
    for v in [
        json!("a\r\nX-Evil: 1"),
        json!("a\nb"),
        json!("a\rb"),
        json!("a\u{0}b"),
        json!(["ok", "x\r\nSet-Cookie: a=b"]),
        json!({"k": "v\nX: y"}),
        json!({"k\r\nX-Evil": "v"}),
    ] {
        let err = t.prepare(Some(&obj(json!({ "X-Color": v.clone() })))).expect_err(&v.to_string());
        assert_eq!(err.problems.len(), 1, "{err}");
        assert_eq!(err.problems[0].argument, "X-Color", "{err}");
        assert!(err.to_string().contains("argument `X-Color`"), "{err}");
        assert!(err.to_string().contains("control characters"), "{err}");
    }
    // A tab is allowed in a header value.
    assert!(t.prepare(Some(&obj(json!({"X-Color": "a\tb"})))).is_ok());
}

#[test]
fn non_ascii_header_values_are_sent_as_their_utf8_bytes() {
    // HTTP allows bytes above 0x7F in a field value (obs-text); what the agent wrote is sent.
    let set = table_tools();
    let t = tool(&set, "header_false");
    let req = t.prepare(Some(&obj(json!({"X-Color": "café"})))).unwrap();
    assert_eq!(req.headers.get("x-color").map(|v| v.as_bytes()), Some("café".as_bytes()));
}

#[test]
fn cookie_values_cannot_inject_headers_or_cookies() {
    let set = table_tools();
    for id in ["cookie_false", "cookie_true"] {
        let t = tool(&set, id);
        for v in [
            json!("a\r\nX-Evil: 1"),
            json!("x; admin=true"),
            json!("a\u{0}b"),
            json!(["a;b", "c\nd"]),
            json!({"k": "v; admin=true"}),
            json!({"k; admin=true": "v"}),
            json!({"k\r\nX-Evil: 1": "v"}),
        ] {
            // Either refused, naming the argument, or encoded so that no separator survives.
            match t.prepare(Some(&obj(json!({ "color": v.clone() })))) {
                Err(e) => assert_eq!(e.problems[0].argument, "color", "{id} {v}: {e}"),
                Ok(req) => {
                    let c = req.headers["cookie"].to_str().unwrap().to_owned();
                    assert!(!c.contains(['\r', '\n', '\0']), "{id} {v}: {c:?}");
                    let names: Vec<&str> = c.split("; ").map(|p| p.split('=').next().unwrap_or_default()).collect();
                    assert!(!names.iter().any(|n| n.trim() == "admin"), "{id} {v}: cookie injected: {c:?}");
                }
            }
        }
    }
}

#[test]
fn a_call_cannot_change_scheme_or_host() {
    let set = table_tools();
    let base = BaseUrl::parse("https://api.example.com/prefix").unwrap();
    for v in ["//evil.example/x", "http://evil.example/", "@evil.example", "..", "%2e%2e", "\\\\evil", "?x=1#frag"] {
        for id in
            ["path_simple_false", "path_label_true", "path_matrix_true", "query_form_true", "query_pipeDelimited_false"]
        {
            let arg = if id.starts_with("path") { json!({ "color": v }) } else { json!({ "color": [v] }) };
            let req = prepare(tool(&set, id), arg).into_http(&base).unwrap();
            assert_eq!(req.uri().scheme_str(), Some("https"), "{id} {v}");
            assert_eq!(req.uri().host(), Some("api.example.com"), "{id} {v}");
            assert!(req.uri().path().starts_with("/prefix/"), "{id} {v}: {}", req.uri());
            assert!(!req.uri().to_string().contains('#'), "{id} {v}: {}", req.uri());
        }
    }
}

#[test]
fn base_urls_with_a_path_prefix() {
    let set = common::toolset("petstore-3.0.yaml");
    let t = tool(&set, "getPetById");
    for (base, want) in [
        ("https://petstore.example/api/v3", "https://petstore.example/api/v3/pet/7"),
        ("https://petstore.example/api/v3/", "https://petstore.example/api/v3/pet/7"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/pet/7"),
    ] {
        let req = prepare(t, json!({"petId": 7})).into_http(&BaseUrl::parse(base).unwrap()).unwrap();
        assert_eq!(req.uri().to_string(), want);
        assert_eq!(req.method(), "GET");
    }
    let nested = BaseUrl::in_process().with_prefix("/api/");
    let req = prepare(t, json!({"petId": 7})).into_http(&nested).unwrap();
    assert_eq!(req.uri().path(), "/api/pet/7");
    for bad in ["ftp://x", "api.example.com", "https://u:p@x.example", "https://x.example/?a=1", "not a url"] {
        assert!(BaseUrl::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn path_level_parameters_and_optional_parameters() {
    let set = common::toolset("edge-cases.yaml");
    let t = tool(&set, "edge_path_level_params");
    let req = prepare(t, json!({"tenant": "acme", "verbose": 2, "X-Trace-Id": "t-1"}));
    assert_eq!(req.path_and_query, "/params/path-level/acme?verbose=2");
    assert_eq!(req.headers["x-trace-id"], "t-1");
    // Optional parameters that are not given (or given as null) are not sent, defaults are
    // not forced in, and an empty string is sent as such.
    let t = tool(&set, "edge_param_empty_and_null");
    assert_eq!(prepare(t, json!({})).path_and_query, "/params/empty-and-null");
    assert_eq!(prepare(t, json!({"q": null, "page": null})).path_and_query, "/params/empty-and-null");
    assert_eq!(prepare(t, json!({"flag": ""})).path_and_query, "/params/empty-and-null?flag=");
    // Parameters that share a name are routed back to their places.
    let t = tool(&set, "edge_param_body_collision");
    let req = prepare(
        t,
        json!({"id__path": 7, "id__query": "q", "id__header": "h", "id__cookie": "c", "name__query": "nq",
               "id": "3fa85f64-5717-4562-b3fc-2c963f66afa6", "name": "body name"}),
    );
    assert_eq!(req.method, "PUT");
    assert_eq!(req.path_and_query, "/params/collision/7?id=q&name=nq");
    assert_eq!(req.headers["id"], "h");
    assert_eq!(req.headers["cookie"], "id=c");
    let body: Value = serde_json::from_slice(&req.body).unwrap();
    assert_eq!(body, json!({"id": "3fa85f64-5717-4562-b3fc-2c963f66afa6", "name": "body name"}));
}

#[test]
fn accept_comes_from_the_success_responses() {
    let set = common::toolset("petstore-3.0.yaml");
    let req = prepare(tool(&set, "getPetById"), json!({"petId": 1}));
    assert_eq!(req.headers["accept"], "application/json, application/xml");
    assert!(req.headers.get("content-type").is_none(), "no body, no content type");
}

/// GitHub's `alert_number` path parameter refers to a schema marked `readOnly` (it is a field of
/// the alert too). The input view drops `readOnly` body properties; a parameter must stay, or
/// the tool cannot be called at all (found by tests/real_apis.rs in interop).
#[test]
fn a_parameter_with_a_read_only_schema_is_still_an_argument() {
    let doc = json!({
        "openapi": "3.0.3", "info": {"title": "t", "version": "1"},
        "paths": {"/alerts/{alert_number}": {"get": {
            "operationId": "get_alert",
            "parameters": [
                {"name": "alert_number", "in": "path", "required": true, "schema": {"$ref": "#/components/schemas/alert-number"}},
                {"name": "page", "in": "query", "schema": {"type": "integer", "readOnly": true}}
            ],
            "responses": {"200": {"description": "ok"}}}}},
        "components": {"schemas": {"alert-number": {"type": "integer", "readOnly": true, "description": "The alert number."}}}
    });
    let set = common::build(&common::api(doc), &toolgate_tools::ToolsetOptions::default());
    let t = tool(&set, "get_alert");
    let props = t.def.input_schema["properties"].as_object().unwrap();
    assert!(props.contains_key("alert_number") && props.contains_key("page"), "{props:?}");
    assert_eq!(t.def.input_schema["required"], json!(["alert_number"]));
    let req = prepare(t, json!({"alert_number": 42, "page": 2}));
    assert_eq!(req.path_and_query, "/alerts/42?page=2");
}

/// A path segment is never empty ([`RequestPlan`] refuses it); the schema says so, so that
/// what the schema accepts is what a call accepts.
#[test]
fn path_parameter_schemas_say_they_cannot_be_empty() {
    let set = tools_of(json!({"/d/{name}/{ids}/{f}": {"get": {
        "operationId": "get_d",
        "parameters": [
            {"name": "name", "in": "path", "required": true, "schema": {"type": "string", "enum": ["", "mini"]}},
            {"name": "ids", "in": "path", "required": true, "schema": {"type": "array", "items": {"type": "integer"}}},
            {"name": "f", "in": "path", "required": true, "schema": {"type": "string", "minLength": 3}}
        ],
        "responses": {"200": {"description": "ok"}}}}}));
    let t = tool(&set, "get_d");
    let props = &t.def.input_schema["properties"];
    assert_eq!(props["name"]["minLength"], 1);
    assert_eq!(props["ids"]["minItems"], 1);
    assert_eq!(props["f"]["minLength"], 3, "a stricter floor is kept");
    let validator = jsonschema::draft202012::new(&Value::Object((*t.def.input_schema).clone())).unwrap();
    for bad in [json!({"name": "", "ids": [1], "f": "abc"}), json!({"name": "mini", "ids": [], "f": "abc"})] {
        assert!(!validator.is_valid(&bad), "the schema accepts {bad}");
        assert!(t.prepare(bad.as_object()).is_err(), "a call accepts {bad}");
    }
    let good = json!({"name": "mini", "ids": [1, 2], "f": "abc"});
    assert!(validator.is_valid(&good));
    assert_eq!(prepare(t, good).path_and_query, "/d/mini/1,2/abc");
}
