//! Request building for each body kind: JSON fields, a whole JSON value, form-urlencoded,
//! multipart (text, files, arrays of files), raw text and raw bytes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use base64::Engine;
use common::{api, build, obj, tool, toolset};
use serde_json::{Value, json};
use toolgate_tools::{BOUNDARY, PreparedRequest, Tool};

fn prepare(t: &Tool, args: Value) -> PreparedRequest {
    match t.prepare(Some(&obj(args.clone()))) {
        Ok(r) => r,
        Err(e) => panic!("{} {args}: {e}", t.name()),
    }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn content_type(r: &PreparedRequest) -> &str {
    r.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("")
}

fn json_body(r: &PreparedRequest) -> Value {
    serde_json::from_slice(&r.body).unwrap_or_else(|e| panic!("{e}: {:?}", r.body))
}

/// The parts of a multipart body: (headers, data).
fn parts(r: &PreparedRequest) -> Vec<(String, Vec<u8>)> {
    let body = r.body.to_vec();
    let delim = format!("--{BOUNDARY}");
    let text = String::from_utf8_lossy(&body).into_owned();
    assert!(text.ends_with(&format!("--{BOUNDARY}--\r\n")), "{text}");
    let mut out = Vec::new();
    let mut rest: &[u8] = &body;
    loop {
        let start = find(rest, delim.as_bytes()).unwrap() + delim.len();
        rest = &rest[start..];
        if rest.starts_with(b"--") {
            break;
        }
        rest = &rest[2..]; // CRLF after the delimiter
        let head_end = find(rest, b"\r\n\r\n").unwrap();
        let head = String::from_utf8(rest[..head_end].to_vec()).unwrap();
        rest = &rest[head_end + 4..];
        let data_end = find(rest, format!("\r\n{delim}").as_bytes()).unwrap();
        out.push((head, rest[..data_end].to_vec()));
        rest = &rest[data_end + 2..];
    }
    out
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[test]
fn json_fields_become_one_object() {
    let set = toolset("edge-cases.yaml");
    let t = tool(&set, "create_item");
    let r = prepare(t, json!({"sku": "ABC-1234", "name": "Hammer", "price": {"amount": "9.99", "currency": "EUR"}}));
    assert_eq!(r.method, "POST");
    assert_eq!(content_type(&r), "application/json");
    assert_eq!(
        json_body(&r),
        json!({"sku": "ABC-1234", "name": "Hammer", "price": {"amount": "9.99", "currency": "EUR"}})
    );
    // Field order follows the schema, not the call.
    let r = prepare(t, json!({"name": "n", "sku": "ABC-1234"}));
    assert_eq!(String::from_utf8_lossy(&r.body), r#"{"sku":"ABC-1234","name":"n"}"#);
    // An explicitly null body field is sent as null (it may mean "clear this field").
    let t = tool(&set, "edge_nullable");
    let r = prepare(t, json!({"required_nullable": null, "nullable_string": null}));
    assert_eq!(json_body(&r), json!({"nullable_string": null, "required_nullable": null}));
    // A POST with only optional fields and none given still sends `{}`.
    let t = tool(&set, "edge_body_optional");
    let r = prepare(t, json!({}));
    assert_eq!(&r.body[..], b"{}");
    // A GET or DELETE with a body and no fields given sends none.
    let t = tool(&set, "edge_delete_with_body");
    assert!(prepare(t, json!({})).body.is_empty());
    assert_eq!(json_body(&prepare(t, json!({"ids": [1, 2]}))), json!({"ids": [1, 2]}));
    let t = tool(&set, "edge_get_with_body");
    assert_eq!(json_body(&prepare(t, json!({"text": "x"}))), json!({"text": "x"}));
}

#[test]
fn whole_json_bodies_array_primitive_and_union() {
    let set = toolset("edge-cases.yaml");
    let r = prepare(tool(&set, "edge_body_array"), json!({"body": [{"name": "a"}, {"id": 2, "name": "b"}]}));
    assert_eq!(json_body(&r), json!([{"name": "a"}, {"id": 2, "name": "b"}]));
    assert_eq!(content_type(&r), "application/json");
    let r = prepare(tool(&set, "edge_body_primitive"), json!({"body": "hello"}));
    assert_eq!(&r.body[..], br#""hello""#);
    let r = prepare(tool(&set, "edge_oneof_discriminator"), json!({"body": {"petType": "cat", "name": "Tom"}}));
    assert_eq!(json_body(&r), json!({"petType": "cat", "name": "Tom"}));
    let e31 = toolset("edge-cases-3.1.yaml");
    let r = prepare(tool(&e31, "edge31_delete_with_body"), json!({"body": [1, 2, 3]}));
    assert_eq!((r.method.as_str(), json_body(&r)), ("DELETE", json!([1, 2, 3])));
}

#[test]
fn form_bodies_are_urlencoded() {
    let set = toolset("edge-cases.yaml");
    let t = tool(&set, "edge_body_form");
    let r = prepare(t, json!({"username": "jo hn&co", "remember_me": true, "roles": ["a", "b c"]}));
    assert_eq!(content_type(&r), "application/x-www-form-urlencoded");
    // `roles` has `explode: false` in its encoding: one comma-joined value.
    assert_eq!(String::from_utf8_lossy(&r.body), "username=jo%20hn%26co&remember_me=true&roles=a,b%20c");

    let fast = toolset("fastapi/openapi.json");
    let r = prepare(tool(&fast, "login"), json!({"username": "u", "password": "p4ssw0rd!", "remember_me": false}));
    assert_eq!(String::from_utf8_lossy(&r.body), "username=u&password=p4ssw0rd%21&remember_me=false");
    // Swagger 2.0 formData, with an exploded (collectionFormat multi) array.
    let sw = toolset("petstore-swagger2.json");
    let r = prepare(tool(&sw, "updatePetWithForm"), json!({"petId": 3, "name": "Rex", "status": "sold"}));
    assert_eq!((r.path_and_query.as_str(), &r.body[..]), ("/pet/3", &b"name=Rex&status=sold"[..]));
    let set = common::tools_of(json!({"/f": {"post": {"operationId": "f", "responses": {"200": {"description": "ok"}},
        "requestBody": {"content": {"application/x-www-form-urlencoded": {"schema": {"type": "object", "properties": {
            "tag": {"type": "array", "items": {"type": "string"}}, "n": {"type": "integer"}}}}}}}}}));
    let r = prepare(tool(&set, "f"), json!({"tag": ["x", "y"], "n": 1}));
    assert_eq!(String::from_utf8_lossy(&r.body), "tag=x&tag=y&n=1", "arrays repeat the key by default");
    assert!(prepare(tool(&set, "f"), json!({})).body.is_empty());
}

#[test]
fn multipart_bodies_carry_text_fields_and_files() {
    let set = toolset("fastapi/openapi.json");
    let t = tool(&set, "uploadItemImage");
    let png = b"\x89PNG\r\n\x1a\n\0\xffbinary";
    let r = prepare(
        t,
        json!({"item_id": 4, "caption": "a \"quoted\" caption\r\nwith lines",
               "file": {"content": b64(png), "filename": "cat.png", "content_type": "image/png"}}),
    );
    assert_eq!(r.path_and_query, "/items/4/image");
    assert_eq!(content_type(&r), format!("multipart/form-data; boundary={BOUNDARY}"));
    let p = parts(&r);
    assert_eq!(p.len(), 2);
    assert_eq!(
        p[0].0,
        "Content-Disposition: form-data; name=\"file\"; filename=\"cat.png\"\r\nContent-Type: image/png"
    );
    assert_eq!(p[0].1, png, "file bytes are sent decoded, unchanged");
    assert_eq!(p[1].0, "Content-Disposition: form-data; name=\"caption\"");
    assert_eq!(p[1].1, b"a \"quoted\" caption\r\nwith lines");

    // Without filename and content type: the field name and application/octet-stream.
    let r = prepare(t, json!({"item_id": 4, "caption": "c", "file": {"content": b64(b"x")}}));
    assert_eq!(
        parts(&r)[0].0,
        "Content-Disposition: form-data; name=\"file\"; filename=\"file\"\r\nContent-Type: application/octet-stream"
    );

    // A filename cannot break out of its header.
    let r = prepare(
        t,
        json!({"item_id": 4, "caption": "c", "file": {"content": b64(b"x"), "filename": "a\"\r\nX-Evil: 1.png"}}),
    );
    let head = &parts(&r)[0].0;
    assert!(!head.contains("\r\nX-Evil"), "{head:?}");
}

#[test]
fn multipart_arrays_of_files() {
    let set = toolset("fastapi/openapi.json");
    let t = tool(&set, "upload_files");
    let r = prepare(
        t,
        json!({"files": [{"content": b64(b"one"), "filename": "1.txt", "content_type": "text/plain"},
                         {"content": b64(b"two"), "filename": "2.bin"}], "note": "n"}),
    );
    let p = parts(&r);
    assert_eq!(p.len(), 3);
    assert!(p[0].0.contains("name=\"files\"; filename=\"1.txt\"") && p[0].0.ends_with("text/plain"));
    assert!(p[1].0.contains("name=\"files\"; filename=\"2.bin\""));
    assert_eq!((p[0].1.as_slice(), p[1].1.as_slice()), (&b"one"[..], &b"two"[..]));
    assert_eq!(p[2].1, b"n");
}

#[test]
fn multipart_json_parts_and_encoding_content_types() {
    let set = toolset("edge-cases.yaml");
    let t = tool(&set, "edge_body_multipart");
    let r = prepare(
        t,
        json!({"file": {"content": b64(b"img")}, "metadata": {"title": "t", "tags": ["a"]}, "caption": "c",
               "thumbnail_b64": b64(b"thumb")}),
    );
    let p = parts(&r);
    let meta = p.iter().find(|(h, _)| h.contains("name=\"metadata\"")).unwrap();
    assert!(meta.0.ends_with("Content-Type: application/json"), "{}", meta.0);
    assert_eq!(serde_json::from_slice::<Value>(&meta.1).unwrap(), json!({"title": "t", "tags": ["a"]}));
    // `format: byte` is a text field: the base64 text is sent as it is.
    let thumb = p.iter().find(|(h, _)| h.contains("name=\"thumbnail_b64\"")).unwrap();
    assert_eq!(thumb.1, b64(b"thumb").as_bytes());
}

#[test]
fn a_part_gets_one_content_type_when_the_encoding_lists_several() {
    // `encoding.file.contentType` is `image/png, image/jpeg`: the part gets the first one.
    let set = toolset("edge-cases.yaml");
    let t = tool(&set, "edge_body_multipart");
    let r = prepare(t, json!({"file": {"content": b64(b"img")}}));
    let p = parts(&r);
    let file = p.iter().find(|(h, _)| h.contains("name=\"file\"")).unwrap();
    let ct = file.0.rsplit("Content-Type: ").next().unwrap();
    assert!(!ct.contains(','), "a list of media types is not a Content-Type: {ct}");
    assert_eq!(ct, "image/png");
    // The caller's own content type wins.
    let r = prepare(t, json!({"file": {"content": b64(b"img"), "content_type": "image/jpeg"}}));
    assert!(parts(&r)[0].0.ends_with("Content-Type: image/jpeg"));
    // A wildcard is no media type either.
    let set = common::tools_of(json!({"/u": {"post": {"operationId": "u", "responses": {"200": {"description": "ok"}},
        "requestBody": {"content": {"multipart/form-data": {
            "schema": {"type": "object", "properties": {"f": {"type": "string", "format": "binary"}}},
            "encoding": {"f": {"contentType": "image/*"}}}}}}}}));
    let r = prepare(tool(&set, "u"), json!({"f": {"content": b64(b"x")}}));
    assert!(parts(&r)[0].0.ends_with("Content-Type: application/octet-stream"), "{}", parts(&r)[0].0);
}

#[test]
fn invalid_base64_is_refused_naming_the_argument() {
    let fast = toolset("fastapi/openapi.json");
    let err = tool(&fast, "uploadItemImage")
        .prepare(Some(&obj(json!({"item_id": 1, "caption": "c", "file": {"content": "not base64!"}}))))
        .unwrap_err();
    assert_eq!(err.problems[0].argument, "file", "{err}");
    assert!(err.to_string().contains("base64"), "{err}");
    let err = tool(&fast, "upload_files")
        .prepare(Some(&obj(json!({"files": [{"content": b64(b"ok")}, {"content": "%%%"}]}))))
        .unwrap_err();
    assert_eq!(err.problems[0].argument, "files", "{err}");
    let edge = toolset("edge-cases.yaml");
    let err = tool(&edge, "edge_body_octet_stream").prepare(Some(&obj(json!({"body": "***"})))).unwrap_err();
    assert_eq!(err.problems[0].argument, "body", "{err}");
}

#[test]
fn a_file_that_contains_the_boundary_is_refused() {
    let fast = toolset("fastapi/openapi.json");
    let evil = format!("x\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"admin\"\r\n\r\n1");
    let err = tool(&fast, "uploadItemImage")
        .prepare(Some(&obj(json!({"item_id": 1, "caption": "c", "file": {"content": b64(evil.as_bytes())}}))))
        .unwrap_err();
    assert_eq!(err.problems[0].argument, "file");
    let err = tool(&fast, "uploadItemImage")
        .prepare(Some(&obj(json!({"item_id": 1, "caption": evil, "file": {"content": b64(b"x")}}))))
        .unwrap_err();
    assert_eq!(err.problems[0].argument, "caption");
}

#[test]
fn raw_text_and_binary_bodies() {
    let set = toolset("edge-cases.yaml");
    let r = prepare(tool(&set, "edge_body_text_plain"), json!({"body": "line 1\nline \"2\" ü"}));
    assert_eq!(content_type(&r), "text/plain");
    assert_eq!(&r.body[..], "line 1\nline \"2\" ü".as_bytes(), "sent as-is, not JSON-quoted");

    let bytes: Vec<u8> = (0..=255).collect();
    let r = prepare(
        tool(&set, "edge_body_octet_stream"),
        json!({"body": b64(&bytes), "Content-Disposition": "attachment"}),
    );
    assert_eq!(r.method, "PUT");
    assert_eq!(content_type(&r), "application/octet-stream");
    assert_eq!(&r.body[..], &bytes[..]);
    assert_eq!(r.headers["content-disposition"], "attachment");

    let p31 = toolset("petstore-3.1.json");
    let r = prepare(tool(&p31, "uploadFile"), json!({"petId": 1, "additionalMetadata": "m", "body": b64(b"\x00\x01")}));
    assert_eq!((r.path_and_query.as_str(), &r.body[..]), ("/pet/1/uploadImage?additionalMetadata=m", &b"\x00\x01"[..]));
    // An optional raw body that is not given sends nothing and no Content-Type.
    let r = prepare(tool(&p31, "uploadFile"), json!({"petId": 1}));
    assert!(r.body.is_empty());
    assert!(r.headers.get("content-type").is_none());
}

#[test]
fn json_is_preferred_when_a_body_offers_several_media_types() {
    let set = toolset("edge-cases.yaml");
    let r = prepare(tool(&set, "edge_body_multi_content"), json!({"text": "hi"}));
    assert_eq!(content_type(&r), "application/json");
    assert_eq!(json_body(&r), json!({"text": "hi"}));
    let p30 = toolset("petstore-3.0.yaml");
    let r = prepare(tool(&p30, "addPet"), json!({"name": "Rex", "photoUrls": []}));
    assert_eq!(content_type(&r), "application/json");
}

#[test]
fn a_property_constrained_by_two_all_of_parts_keeps_both() {
    let doc = json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
        "paths": {"/pets": {"post": {"operationId": "addPet",
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"allOf": [
                {"$ref": "#/components/schemas/Base"},
                {"type": "object", "properties": {"name": {"maxLength": 5}, "tag": {"type": "string"}}}]}}}},
            "responses": {"204": {"description": "ok"}}}}},
        "components": {"schemas": {"Base": {"type": "object", "required": ["name"],
            "properties": {"name": {"type": "string"}}}}}});
    let set = build(&api(doc.clone()), &Default::default());
    let t = tool(&set, "addPet");
    let name = &t.def.input_schema["properties"]["name"];
    // Constraints that do not clash are merged into one schema.
    assert_eq!(name, &json!({"type": "string", "maxLength": 5}), "{name}");
    // Both constraints hold: a string, at most 5 characters.
    let r = prepare(t, json!({"name": "Rex", "tag": "dog"}));
    assert_eq!(json_body(&r), json!({"name": "Rex", "tag": "dog"}));
    for bad in [json!({"name": "Rexanne"}), json!({"name": 7})] {
        let err = t.prepare(Some(&obj(bad.clone()))).expect_err(&bad.to_string());
        assert_eq!(err.problems[0].argument, "name", "{bad}: {err}");
    }
    assert!(t.prepare(Some(&obj(json!({"tag": "dog"})))).is_err(), "name is still required");

    // Constraints that clash (two `maxLength`s) are both kept, under `allOf`.
    let mut doc = doc;
    doc["components"]["schemas"]["Base"]["properties"]["name"] = json!({"type": "string", "maxLength": 3});
    let set = build(&api(doc), &Default::default());
    let t = tool(&set, "addPet");
    let name = &t.def.input_schema["properties"]["name"];
    assert_eq!(name, &json!({"allOf": [{"type": "string", "maxLength": 3}, {"maxLength": 5}]}), "{name}");
    assert!(t.prepare(Some(&obj(json!({"name": "Rex"})))).is_ok());
    let err = t.prepare(Some(&obj(json!({"name": "Rexa"})))).expect_err("4 > 3");
    assert_eq!(err.problems[0].argument, "name", "{err}");
}
