//! Malformed documents: every one is an error that says where (a JSON pointer, or a line and
//! column for syntax errors) and what, never a panic. External references are refused unless
//! allowed; remote references always.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use serde_json::json;
use toolgate_openapi::{Error, ExternalRefs, LoadOptions, ProblemKind, load_file, load_str, load_value};

fn broken(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/openapi/broken").join(name)
}

fn fail(name: &str, opts: &LoadOptions) -> Error {
    match load_file(&broken(name), opts) {
        Ok(api) => panic!("{name} loaded: {} operations", api.operations.len()),
        Err(e) => e,
    }
}

/// Whether a message holds a JSON pointer (`at /…`).
fn has_pointer(msg: &str) -> bool {
    msg.contains(", at /") || msg.contains(": at /") || msg.starts_with("at /")
}

#[test]
fn every_broken_fixture_is_an_error_with_a_place() {
    let dir = broken("");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let err = fail(&name, &LoadOptions::default());
        let msg = err.to_string();
        let located = match &err {
            Error::Syntax { line, column, .. } => {
                *line > 0 && *column > 0 && msg.contains(&format!("line {line}, column {column}"))
            }
            _ => has_pointer(&msg),
        };
        assert!(located, "{name}: the message says neither where nor which line: {msg}");
        assert!(msg.contains(&name), "{name}: the message does not name the file: {msg}");
        seen += 1;
    }
    assert!(seen >= 10, "only {seen} files");
}

#[test]
fn syntax_errors_give_line_and_column() {
    match fail("truncated.json", &LoadOptions::default()) {
        Error::Syntax { format, line, column, .. } => assert_eq!((format, line, column), ("JSON", 19, 20)),
        other => panic!("{other}"),
    }
    match fail("yaml-syntax.yaml", &LoadOptions::default()) {
        Error::Syntax { format, line, .. } => assert_eq!((format, line), ("YAML", 10)),
        other => panic!("{other}"),
    }
}

#[test]
fn wrong_types_are_reported_at_their_pointers() {
    let err = fail("wrong-types.yaml", &LoadOptions::default());
    let pointers: Vec<&str> = err.problems().iter().map(|p| p.pointer.as_str()).collect();
    assert!(pointers.contains(&"/info/title"), "{err}");
    assert!(pointers.contains(&"/paths"), "{err}");
    assert!(err.problems().iter().all(|p| p.kind == ProblemKind::Shape));
    // More wrong types, each at its place.
    for (doc, pointer) in [
        (
            json!({"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {"/a": {"get": {"parameters": [{"name": "x", "in": 42}], "responses": {}}}}}),
            "/paths/~1a/get/parameters/0/in",
        ),
        (
            json!({"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {"/a": {"get": {"parameters": [{"name": "x", "in": "query", "required": "yes"}], "responses": {}}}}}),
            "/paths/~1a/get/parameters/0/required",
        ),
        (
            json!({"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {"/a": {"get": {"parameters": {"name": "x"}, "responses": {}}}}}),
            "/paths/~1a/get/parameters",
        ),
        (
            json!({"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {"/a": {"get": "nope"}}}),
            "/paths/~1a/get",
        ),
        (
            json!({"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {"/a": {"get": {"responses": {"200": {"content": {"application/json": {"schema": 5}}}}}}}}),
            "/paths/~1a/get/responses/200/content/application~1json/schema",
        ),
        (
            json!({"swagger": "2.0", "info": {"title": "t", "version": "1"}, "paths": {"/a": {"get": {"parameters": [{"name": "x", "in": "nowhere"}], "responses": {}}}}}),
            "/paths/~1a/get/parameters/0/in",
        ),
    ] {
        let err = load_value(doc.clone(), &LoadOptions::default()).unwrap_err();
        let pointers: Vec<&str> = err.problems().iter().map(|p| p.pointer.as_str()).collect();
        assert!(pointers.contains(&pointer), "{doc}: expected {pointer}, got {err}");
        assert!(err.to_string().contains(&format!("at {pointer}")), "{err}");
    }
}

#[test]
fn dangling_refs_name_the_ref_and_its_place() {
    let err = fail("dangling-ref.yaml", &LoadOptions::default());
    assert!(err.problems().iter().all(|p| p.kind == ProblemKind::DanglingRef), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("#/components/parameters/DoesNotExist") && msg.contains("at /paths/~1things/get/parameters/0"),
        "{msg}"
    );
    assert!(msg.contains("#/components/schemas/Missing"), "{msg}");
}

#[test]
fn reference_cycles_are_errors() {
    let err = fail("ref-cycle.yaml", &LoadOptions::default());
    let p = &err.problems()[0];
    assert_eq!(p.kind, ProblemKind::RefCycle, "{err}");
    assert_eq!(p.pointer, "/paths/~1things/get/parameters/0");
    assert!(
        p.message.contains("#/components/parameters/A → #/components/parameters/B → #/components/parameters/A"),
        "{err}"
    );
    // Lenient loading leaves the broken operations out and says why.
    let api = load_file(&broken("ref-cycle.yaml"), &LoadOptions { lenient: true, ..Default::default() }).unwrap();
    assert!(api.operations.is_empty(), "listThings (parameter cycle) and selfLoop (schema alias cycle) are left out");
    assert!(api.diagnostics.iter().any(|d| d.message.contains("reference cycle")), "{:?}", api.diagnostics);
}

#[test]
fn schema_alias_cycles_are_errors_too() {
    // `SelfAlias: {$ref: SelfAlias}` and `Loop1 → Loop2 → Loop1` never reach a schema.
    let doc = json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
        "paths": {"/a": {"get": {"operationId": "a", "responses": {"200": {"description": "ok",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Loop1"}}}}}}}},
        "components": {"schemas": {"Loop1": {"$ref": "#/components/schemas/Loop2"}, "Loop2": {"$ref": "#/components/schemas/Loop1"}}}});
    let err = load_value(doc, &LoadOptions::default()).unwrap_err();
    assert!(err.problems().iter().any(|p| p.kind == ProblemKind::RefCycle), "{err}");
}

#[test]
fn unsupported_versions_and_non_openapi_documents() {
    for (name, needle) in [("bad-version.yaml", "4.0.0"), ("not-openapi.json", "neither `openapi` nor `swagger`")] {
        let err = fail(name, &LoadOptions::default());
        assert!(matches!(err, Error::NotOpenApi { .. }), "{name}: {err}");
        assert!(err.to_string().contains(needle), "{err}");
    }
    for v in [
        json!([]),
        json!("openapi"),
        json!(null),
        json!({"openapi": 3}),
        json!({"openapi": true}),
        json!({"swagger": "1.2"}),
    ] {
        assert!(load_value(v.clone(), &LoadOptions::default()).is_err(), "{v}");
    }
    assert!(load_str("", &LoadOptions::default()).is_err());
    assert!(load_str("\u{feff}", &LoadOptions::default()).is_err());
}

#[test]
fn external_refs_are_refused_by_default_and_loaded_next_to_the_document_when_allowed() {
    let err = fail("external-ref.yaml", &LoadOptions::default());
    let p = &err.problems()[0];
    assert_eq!(p.kind, ProblemKind::ExternalRef);
    assert!(p.message.contains("./common.yaml#/components/schemas/Err") && p.message.contains("refused"), "{err}");

    let opts = LoadOptions { external_refs: ExternalRefs::SameDirectory, ..Default::default() };
    let api = load_file(&broken("external-ref.yaml"), &opts).unwrap();
    let op = &api.operations[0];
    let default = op.responses.iter().find(|r| r.status == "default").unwrap();
    let schema = default.content[0].schema.as_ref().unwrap();
    let def = api.schemas.get_ref(schema["$ref"].as_str().unwrap()).unwrap_or_else(|| panic!("{schema}"));
    assert_eq!(def.schema["type"], "object");
    // From text there is no directory: external refs cannot be followed at all.
    let text = std::fs::read_to_string(broken("external-ref.yaml")).unwrap();
    assert!(load_str(&text, &opts).is_err());
}

#[test]
fn files_outside_the_document_directory_are_refused() {
    let dir = std::env::temp_dir().join(format!("toolgate-extref-{}", std::process::id()));
    let inner = dir.join("api");
    std::fs::create_dir_all(&inner).unwrap();
    std::fs::write(dir.join("secret.yaml"), "Secret: {type: string}\n").unwrap();
    std::fs::write(
        inner.join("doc.yaml"),
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {$ref: '../secret.yaml#/Secret'}\n",
    )
    .unwrap();
    let opts = LoadOptions { external_refs: ExternalRefs::SameDirectory, ..Default::default() };
    let err = load_file(&inner.join("doc.yaml"), &opts).unwrap_err();
    assert!(err.to_string().contains("refused"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn remote_refs_are_always_refused() {
    for opts in [LoadOptions::default(), LoadOptions { external_refs: ExternalRefs::SameDirectory, lenient: true }] {
        let err = fail("remote-ref.yaml", &opts);
        let p = &err.problems()[0];
        assert_eq!(p.kind, ProblemKind::ExternalRef);
        assert!(p.message.contains("remote references are never fetched"), "{err}");
    }
    for r in ["http://127.0.0.1/x.json", "//example.com/x.json#/A", "HTTPS://example.com/y", "file:///etc/passwd"] {
        let doc = json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
            "paths": {"/a": {"get": {"responses": {"200": {"description": "ok",
                "content": {"application/json": {"schema": {"$ref": r}}}}}}}}});
        let err = load_value(doc, &LoadOptions { external_refs: ExternalRefs::SameDirectory, ..Default::default() })
            .unwrap_err();
        assert_eq!(err.problems()[0].kind, ProblemKind::ExternalRef, "{r}: {err}");
    }
}

#[test]
fn lenient_loading_keeps_the_good_operations() {
    let doc = json!({"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {
        "/good": {"get": {"operationId": "good", "responses": {"200": {"description": "ok"}}}},
        "/bad": {"get": {"operationId": "bad", "parameters": [{"$ref": "#/components/parameters/Nope"}], "responses": {}}}
    }});
    assert!(load_value(doc.clone(), &LoadOptions::default()).is_err());
    let api = load_value(doc, &LoadOptions { lenient: true, ..Default::default() }).unwrap();
    let ids: Vec<_> = api.operations.iter().filter_map(|o| o.operation_id.as_deref()).collect();
    assert_eq!(ids, ["good"]);
    assert!(
        api.diagnostics.iter().any(|d| d.pointer == "/paths/~1bad/get" && d.message.contains("left out")),
        "{:?}",
        api.diagnostics
    );
}

#[test]
fn text_from_a_url_is_named_by_its_origin() {
    let doc = r##"{"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
        "paths": {"/a": {"get": {"responses": {"200": {"description": "ok",
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Nope"}}}}}}}}}"##;
    let err =
        toolgate_openapi::load_text(doc, "http://api.test/openapi.json", &Default::default()).expect_err("dangling");
    let msg = err.to_string();
    assert!(
        msg.starts_with(
            "http://api.test/openapi.json, at /paths/~1a/get/responses/200/content/application~1json/schema"
        ),
        "{msg}"
    );
    let ok = doc
        .replace("#/components/schemas/Nope", "#/components/schemas/A")
        .replace(r#""paths""#, r#""components": {"schemas": {"A": {"type": "object"}}}, "paths""#);
    let api = toolgate_openapi::load_text(&ok, "http://api.test/openapi.json", &Default::default()).expect("loads");
    assert_eq!(api.operations.len(), 1);
}

/// A discriminator mapping only names which branch a value takes. Entries that point nowhere
/// (DigitalOcean's published document keeps mappings into files that were never published)
/// are dropped with a warning that names the entry; the document loads, the good entries stay.
#[test]
fn a_discriminator_mapping_that_points_nowhere_is_dropped_with_a_warning() {
    let doc = json!({"openapi": "3.0.3", "info": {"title": "t", "version": "1"},
        "paths": {"/pets": {"post": {"operationId": "add_pet",
            "requestBody": {"content": {"application/json": {"schema": {
                "oneOf": [{"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}],
                "discriminator": {"propertyName": "kind", "mapping": {
                    "cat": "#/components/schemas/Cat",
                    "dog": "models/pets.yml#/dog",
                    "cow": "#/cow"}}}}}},
            "responses": {"204": {"description": "ok"}}}}},
        "components": {"schemas": {
            "Cat": {"type": "object", "properties": {"kind": {"type": "string"}}},
            "Dog": {"type": "object", "properties": {"kind": {"type": "string"}}}}}});
    let api = load_value(doc, &LoadOptions::default()).unwrap();
    let base = "/paths/~1pets/post/requestBody/content/application~1json/schema/discriminator/mapping";
    for (key, why) in [("dog", "external"), ("cow", "points to nothing")] {
        assert!(
            api.diagnostics.iter().any(|d| d.pointer == format!("{base}/{key}")
                && d.message.contains("mapping left out")
                && d.message.contains(why)),
            "no warning for `{key}`: {:?}",
            api.diagnostics
        );
    }
    let body = api.operations[0].request_body.as_ref().unwrap().content[0].schema.as_ref().unwrap();
    let mapping = body["discriminator"]["mapping"].as_object().unwrap();
    assert_eq!(mapping.keys().collect::<Vec<_>>(), ["cat"], "{mapping:?}");
}

/// A property named `examples` (or `enum`, `const`, `example`) is a schema, not example data:
/// its reference to a file next to the document is followed when allowed, and refused with its
/// place when not (it used to be skipped as data, then fail as a reference to nothing).
#[test]
fn external_refs_under_properties_named_like_keywords_are_followed() {
    let dir = std::env::temp_dir().join(format!("toolgate-kw-props-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("models.json"),
        r#"{"Example": {"type": "object", "properties": {"text": {"type": "string"}}}}"#,
    )
    .unwrap();
    let doc = json!({"openapi": "3.0.3", "info": {"title": "t", "version": "1"},
        "paths": {"/e": {"get": {"operationId": "list_examples", "responses": {"200": {"description": "ok",
            "content": {"application/json": {"schema": {"type": "object", "properties": {
                "examples": {"type": "array", "items": {"$ref": "models.json#/Example"}},
                "enum": {"$ref": "models.json#/Example"}}}}}}}}}}});
    let main = dir.join("openapi.json");
    std::fs::write(&main, doc.to_string()).unwrap();

    let refused = load_file(&main, &LoadOptions::default()).expect_err("external refs are refused by default");
    let pointers: Vec<&str> = refused.problems().iter().map(|p| p.pointer.as_str()).collect();
    assert!(pointers.iter().any(|p| p.ends_with("/properties/examples/items")), "{pointers:?}");
    assert!(pointers.iter().any(|p| p.ends_with("/properties/enum")), "{pointers:?}");

    let opts = LoadOptions { external_refs: ExternalRefs::SameDirectory, ..Default::default() };
    let api = load_file(&main, &opts).unwrap_or_else(|e| panic!("{e}"));
    let def = api.schemas.iter().find(|d| d.schema["properties"]["text"]["type"] == "string");
    assert!(def.is_some(), "Example was not loaded: {:?}", api.schemas.iter().map(|d| &d.name).collect::<Vec<_>>());
    std::fs::remove_dir_all(&dir).ok();
}
