//! Merging the documents of mounted sub-apps into one: paths carry their prefix, clashing names
//! are renamed with every `$ref` following, identical components are kept once, and the result
//! loads back into toolgate and passes an independent validator (`openapi-spec-validator`,
//! run by `validate_openapi.py` from a venv under `target/`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::{Value, json};
use toolgate_openapi::merge::{ComponentKind, RenameKind};
use toolgate_openapi::{
    Error, LoadOptions, MergeInfo, Merged, Mount, ProblemKind, load_value, merge_documents, parse, pointer,
};

// ---------------------------------------------------------------------------------------------
// Sub-documents.

/// Inventory (OpenAPI 3.1): recursive `Item`, a `oneOf` discriminator with one explicit and one
/// implicit mapping, an API-key scheme in a header, a link by operationId, a webhook.
fn inventory() -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {"title": "Inventory", "version": "1"},
        "servers": [{"url": "https://inventory.internal/api"}],
        "security": [{"api_key": []}],
        "tags": [{"name": "items", "description": "Stock"}],
        "paths": {
            "/items": {
                "get": {
                    "operationId": "listItems",
                    "tags": ["items"],
                    "responses": {"200": {"description": "ok", "content": {"application/json": {
                        "schema": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}}}}}}
                },
                "post": {
                    "operationId": "createItem",
                    "requestBody": {"$ref": "#/components/requestBodies/NewItem"},
                    "responses": {"201": {"$ref": "#/components/responses/Created"}}
                }
            },
            "/items/{id}": {
                "parameters": [{"$ref": "#/components/parameters/Id"}],
                "get": {
                    "operationId": "getItem",
                    "security": [{"api_key": []}, {"bearer": []}],
                    "responses": {
                        "200": {
                            "description": "ok",
                            "headers": {"X-Rate": {"$ref": "#/components/headers/Rate"}},
                            "content": {"application/json": {
                                "schema": {"$ref": "#/components/schemas/Item"},
                                "examples": {"one": {"$ref": "#/components/examples/OneItem"}}}},
                            "links": {"self": {"$ref": "#/components/links/Self"}}
                        },
                        "404": {"$ref": "#/components/responses/NotFound"}
                    }
                }
            },
            "/pets": {
                "get": {
                    "operationId": "listPets",
                    "responses": {"200": {"description": "ok", "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Pet"}}}}}
                }
            },
            "/tree": {"$ref": "#/components/pathItems/Tree"}
        },
        "webhooks": {
            "stockChanged": {"post": {
                "operationId": "stockChanged",
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Item"}}}},
                "responses": {"200": {"description": "ok"}}
            }}
        },
        "components": {
            "schemas": {
                "Item": {
                    "type": "object",
                    "required": ["id"],
                    "properties": {
                        "id": {"type": "integer"},
                        "tags": {"type": "array", "items": {"$ref": "#/components/schemas/Tag"}},
                        "parent": {"anyOf": [{"$ref": "#/components/schemas/Item"}, {"type": "null"}]}
                    }
                },
                "Tag": {"type": "object", "properties": {"name": {"type": "string"}}},
                "Error": {"type": "object", "properties": {"message": {"type": "string"}}},
                "Node": {"type": "object", "properties": {"children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}}}},
                "Wrapper": {"type": "object", "properties": {"item": {"$ref": "#/components/schemas/Item"}}},
                "Pet": {
                    "oneOf": [{"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}],
                    "discriminator": {"propertyName": "kind", "mapping": {"cat": "#/components/schemas/Cat"}}
                },
                "Cat": {"type": "object", "required": ["kind"], "properties": {"kind": {"type": "string"}, "lives": {"type": "integer"}}},
                "Dog": {"type": "object", "required": ["kind"], "properties": {"kind": {"type": "string"}, "barks": {"type": "boolean"}}}
            },
            "parameters": {"Id": {"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}},
            "requestBodies": {"NewItem": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Item"}}}}},
            "responses": {
                "Created": {"description": "created", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Item"}}}},
                "NotFound": {"description": "not found", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            },
            "headers": {"Rate": {"schema": {"type": "integer"}}},
            "examples": {"OneItem": {"value": {"id": 1, "$ref": "not a reference, just data"}}},
            "links": {"Self": {"operationId": "getItem", "parameters": {"id": "$response.body#/id"}}},
            "pathItems": {"Tree": {"get": {
                "operationId": "getTree",
                "responses": {"200": {"description": "ok", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Node"}}}}}
            }}},
            "securitySchemes": {
                "api_key": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
                "bearer": {"type": "http", "scheme": "bearer"}
            }
        }
    })
}

/// Orders (OpenAPI 3.0): its own `Item` (so `Orders_Item`), a textually identical `Wrapper`
/// that must follow it, an `allOf` discriminator whose subtypes are matched by name, `nullable`
/// and boolean `exclusiveMinimum`, an API key in the query under the same scheme name, a link
/// by operationRef into its own paths.
fn orders() -> Value {
    json!({
        "openapi": "3.0.3",
        "info": {"title": "Orders", "version": "2"},
        "servers": [{"url": "/"}],
        "security": [{"api_key": []}],
        "tags": [{"name": "items"}, {"name": "orders", "description": "Orders"}],
        "paths": {
            "/items/{id}": {
                "get": {
                    "operationId": "getItem",
                    "parameters": [{"$ref": "#/components/parameters/Id"}],
                    "responses": {
                        "200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Item"}}}},
                        "404": {"$ref": "#/components/responses/NotFound"}
                    }
                }
            },
            "/orders": {
                "servers": [{"url": "https://orders.example.com"}],
                "post": {
                    "operationId": "createOrder",
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Order"}}}},
                    "responses": {
                        "201": {
                            "description": "created",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Order"}}},
                            "links": {"item": {
                                "operationRef": "#/paths/~1items~1{id}/get",
                                "parameters": {"id": "$response.body#/item/id"}
                            }}
                        },
                        "default": {"$ref": "#/components/responses/NotFound"}
                    }
                }
            },
            "/animals": {
                "get": {
                    "operationId": "listAnimals",
                    "security": [],
                    "responses": {"200": {"description": "ok", "content": {"application/json": {
                        "schema": {"type": "array", "items": {"$ref": "#/components/schemas/Pet"}}}}}}
                }
            }
        },
        "components": {
            "schemas": {
                "Item": {
                    "type": "object",
                    "properties": {
                        "sku": {"type": "string", "nullable": true},
                        "quantity": {"type": "integer", "minimum": 0, "exclusiveMinimum": true},
                        "replacement": {"$ref": "#/components/schemas/Item"}
                    }
                },
                "Tag": {"type": "object", "properties": {"name": {"type": "string"}}},
                "Error": {"type": "object", "properties": {"message": {"type": "string"}}},
                "Wrapper": {"type": "object", "properties": {"item": {"$ref": "#/components/schemas/Item"}}},
                "Order": {
                    "type": "object",
                    "properties": {
                        "item": {"$ref": "#/components/schemas/Item"},
                        "status": {"type": "string", "enum": ["open", "closed"], "nullable": true},
                        "note": {"allOf": [{"$ref": "#/components/schemas/Tag"}], "nullable": true}
                    }
                },
                "Pet": {
                    "type": "object",
                    "required": ["petType"],
                    "properties": {"petType": {"type": "string"}},
                    "discriminator": {"propertyName": "petType"}
                },
                "Cat": {"allOf": [{"$ref": "#/components/schemas/Pet"}, {"type": "object", "properties": {"purrs": {"type": "boolean"}}}]},
                "Dog": {"allOf": [{"$ref": "#/components/schemas/Pet"}, {"type": "object", "properties": {"fetches": {"type": "boolean"}}}]}
            },
            "parameters": {"Id": {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}},
            "responses": {
                "NotFound": {"description": "not found", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            },
            "securitySchemes": {
                "api_key": {"type": "apiKey", "in": "query", "name": "key"},
                "bearer": {"type": "http", "scheme": "bearer"}
            }
        }
    })
}

/// A root app (prefix ""): adds DELETE to inventory's `/inventory/items`, has an `Item`
/// identical to inventory's, and no root security.
fn root_app() -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {"title": "Root", "version": "1"},
        "paths": {
            "/inventory/items": {"delete": {
                "operationId": "purgeItems",
                "responses": {"204": {"description": "purged"}}
            }},
            "/health": {"get": {
                "operationId": "health",
                "responses": {"200": {"description": "ok", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Item"}}}}}
            }}
        },
        "components": {"schemas": {
            "Item": {
                "type": "object",
                "required": ["id"],
                "properties": {
                    "id": {"type": "integer"},
                    "tags": {"type": "array", "items": {"$ref": "#/components/schemas/Tag"}},
                    "parent": {"anyOf": [{"$ref": "#/components/schemas/Item"}, {"type": "null"}]}
                }
            },
            "Tag": {"type": "object", "properties": {"name": {"type": "string"}}}
        }}
    })
}

fn shop() -> Merged {
    merge_documents(
        [Mount::new("/inventory", inventory()), Mount::new("/orders/", orders()), Mount::new("", root_app())],
        &MergeInfo::new("Shop", "1.0").description("Inventory, orders and the root app"),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

fn fixture(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/openapi").join(name);
    parse(&std::fs::read_to_string(&path).unwrap(), name).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Checks.

/// Every `$ref` (and every discriminator mapping) of the document resolves inside it.
fn assert_refs_resolve(doc: &Value) -> usize {
    fn walk(doc: &Value, v: &Value, at: &str, seen: &mut usize) {
        match v {
            Value::Object(m) => {
                for (k, c) in m {
                    let here = pointer::join(at, k);
                    // Example values are data, not references.
                    if k == "value" && at.contains("/examples/") {
                        continue;
                    }
                    if k == "$ref"
                        && let Value::String(r) = c
                    {
                        resolve(doc, r, &here);
                        *seen += 1;
                    }
                    if k == "mapping"
                        && at.ends_with("/discriminator")
                        && let Value::Object(mapping) = c
                    {
                        for (key, target) in mapping {
                            let r = target.as_str().unwrap();
                            let r = if r.starts_with('#') {
                                r.to_owned()
                            } else {
                                format!("#/components/schemas/{}", pointer::escape(r))
                            };
                            resolve(doc, &r, &pointer::join(&here, key));
                            *seen += 1;
                        }
                    }
                    walk(doc, c, &here, seen);
                }
            }
            Value::Array(items) => {
                for (i, c) in items.iter().enumerate() {
                    walk(doc, c, &pointer::join(at, &i.to_string()), seen);
                }
            }
            _ => {}
        }
    }
    fn resolve(doc: &Value, r: &str, at: &str) {
        let frag = r.strip_prefix('#').unwrap_or_else(|| panic!("{at}: `{r}` is not a local reference"));
        let target = pointer::resolve(doc, &pointer::decode_fragment(frag));
        assert!(target.is_some(), "{at}: `{r}` points to nothing");
    }
    let mut seen = 0;
    walk(doc, doc, "", &mut seen);
    seen
}

fn paths(doc: &Value) -> BTreeSet<String> {
    doc["paths"].as_object().unwrap().keys().cloned().collect()
}

fn names(doc: &Value, kind: &str) -> BTreeSet<String> {
    doc["components"][kind].as_object().map(|m| m.keys().cloned().collect()).unwrap_or_default()
}

/// Loads the merged document with toolgate: every operation's `(METHOD path)` and id.
fn load_back(doc: &Value) -> Vec<(String, String, Option<String>)> {
    let api =
        load_value(doc.clone(), &LoadOptions::default()).unwrap_or_else(|e| panic!("toolgate cannot load it: {e}"));
    api.operations.iter().map(|o| (o.method.as_str().to_owned(), o.path.clone(), o.operation_id.clone())).collect()
}

fn operation_ids(doc: &Value) -> Vec<String> {
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(id)) = m.get("operationId")
                    && m.contains_key("responses")
                {
                    out.push(id.clone());
                }
                m.values().for_each(|c| walk(c, out));
            }
            Value::Array(a) => a.iter().for_each(|c| walk(c, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(doc, &mut out);
    out
}

// ---------------------------------------------------------------------------------------------
// The independent validator.

/// The venv's Python, with the pinned openapi-spec-validator installed (once per run; fast
/// when the venv is already there). Fails loudly when Python, venv or pip are missing.
fn validator_python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| {
        let tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
        let requirements = tests.join("validate_openapi.requirements.txt");
        let wanted = std::fs::read_to_string(&requirements).unwrap();
        let target = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().expect("target dir");
        let venv = target.join("py-openapi-validator");
        let python =
            if cfg!(windows) { venv.join("Scripts").join("python.exe") } else { venv.join("bin").join("python") };
        if !python.exists() {
            let system = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
            let out = Command::new(&system).args(["-m", "venv"]).arg(&venv).output().unwrap_or_else(|e| {
                panic!(
                    "cannot run `{system}` to create the validator venv at {}: {e} (install Python 3, or set PYTHON)",
                    venv.display()
                )
            });
            assert!(
                out.status.success(),
                "`{system} -m venv {}` failed (is the venv module installed?):\n{}",
                venv.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let stamp = venv.join("toolgate-requirements.txt");
        if std::fs::read_to_string(&stamp).ok().as_deref() != Some(wanted.as_str()) {
            let out = Command::new(&python)
                .args(["-m", "pip", "install", "--disable-pip-version-check", "--quiet", "-r"])
                .arg(&requirements)
                .output()
                .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
            assert!(
                out.status.success(),
                "pip could not install {} into {}:\n{}{}",
                requirements.display(),
                venv.display(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            std::fs::write(&stamp, &wanted).unwrap();
        }
        python
    })
}

/// Writes the documents to target/tmp/merged-openapi/ and runs openapi-spec-validator on them:
/// whether it accepts every one, and its report.
fn run_validator(docs: &[(&str, &Value)]) -> (bool, String) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("merged-openapi");
    std::fs::create_dir_all(&dir).unwrap();
    let mut files = Vec::new();
    for (name, doc) in docs {
        let file = dir.join(format!("{name}.json"));
        std::fs::write(&file, serde_json::to_string_pretty(doc).unwrap()).unwrap();
        files.push(file);
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("validate_openapi.py");
    let out = Command::new(validator_python()).arg(&script).args(&files).output().unwrap();
    let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), report)
}

/// Asserts openapi-spec-validator accepts every document.
fn assert_valid(docs: &[(&str, &Value)]) {
    let (ok, report) = run_validator(docs);
    assert!(ok, "openapi-spec-validator rejects a merged document:\n{report}");
    assert_eq!(report.matches(": valid OpenAPI").count(), docs.len(), "{report}");
}

// ---------------------------------------------------------------------------------------------
// Tests.

#[test]
fn the_validator_is_not_a_rubber_stamp() {
    // What a naive merge gives: two apps' paths side by side with a clashing operationId, and a
    // reference to a schema only the other document had.
    let naive = json!({
        "openapi": "3.1.0", "info": {"title": "naive", "version": "1"},
        "paths": {
            "/a/items/{id}": {"get": {"operationId": "getItem", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "ok"}}}},
            "/b/items/{id}": {"get": {"operationId": "getItem", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Item"}}}}}}}
        }
    });
    let (ok, report) = run_validator(&[("naive-merge", &naive)]);
    assert!(!ok, "{report}");
    assert!(report.contains("'getItem' for 'get' in '/b/items/{id}' is not unique"), "{report}");
    assert!(report.contains("'/components/schemas/Item' does not exist"), "{report}");
}

#[test]
fn paths_carry_their_mount_prefix() {
    let merged = shop();
    let doc = &merged.document;
    assert_eq!(
        paths(doc),
        [
            "/inventory/items",
            "/inventory/items/{id}",
            "/inventory/pets",
            "/inventory/tree",
            "/orders/items/{id}",
            "/orders/orders",
            "/orders/animals",
            "/health",
        ]
        .map(String::from)
        .into(),
    );
    // The root app's DELETE joined inventory's GET and POST on one path item.
    let items = doc["paths"]["/inventory/items"].as_object().unwrap();
    assert_eq!(items.keys().collect::<Vec<_>>(), ["get", "post", "delete"]);
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(
        doc["info"],
        json!({"title": "Shop", "description": "Inventory, orders and the root app", "version": "1.0"})
    );
    // Sub-app servers are dropped, and say so.
    assert!(doc.get("servers").is_none());
    assert!(doc["paths"]["/orders/orders"].get("servers").is_none());
    let dropped: Vec<&str> =
        merged.notes.iter().filter(|n| n.message.contains("dropped")).map(|n| n.pointer.as_str()).collect();
    assert_eq!(dropped, ["/servers", "/servers", "/paths/~1orders/servers"]);
}

#[test]
fn clashing_operation_ids_get_the_namespace() {
    let merged = shop();
    let doc = &merged.document;
    assert_eq!(doc["paths"]["/inventory/items/{id}"]["get"]["operationId"], "getItem");
    assert_eq!(doc["paths"]["/orders/items/{id}"]["get"]["operationId"], "orders_getItem");
    assert_eq!(merged.renamed(1, RenameKind::OperationId, "getItem"), Some("orders_getItem"));
    let ids = operation_ids(doc);
    let unique: BTreeSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "{ids:?}");
    // Inventory's link by operationId still names inventory's operation; orders' link by
    // operationRef follows the prefix.
    assert_eq!(doc["components"]["links"]["Self"]["operationId"], "getItem");
    assert_eq!(
        doc["paths"]["/orders/orders"]["post"]["responses"]["201"]["links"]["item"]["operationRef"],
        "#/paths/~1orders~1items~1%7Bid%7D/get"
    );
}

#[test]
fn different_components_are_renamed_and_identical_ones_kept_once() {
    let merged = shop();
    let doc = &merged.document;
    assert_eq!(
        names(doc, "schemas"),
        [
            "Item",
            "Tag",
            "Error",
            "Node",
            "Wrapper",
            "Pet",
            "Cat",
            "Dog",
            "Orders_Item",
            "Orders_Wrapper",
            "Order",
            "Orders_Pet",
            "Orders_Cat",
            "Orders_Dog"
        ]
        .map(String::from)
        .into()
    );
    assert_eq!(names(doc, "parameters"), ["Id", "Orders_Id"].map(String::from).into());
    assert_eq!(names(doc, "responses"), ["Created", "NotFound"].map(String::from).into());
    assert_eq!(names(doc, "securitySchemes"), ["api_key", "bearer", "Orders_api_key"].map(String::from).into());

    let component_renames: Vec<(usize, String, String)> = merged
        .renames
        .iter()
        .filter(|r| matches!(r.kind, RenameKind::Component(_)))
        .map(|r| (r.mount, r.from.clone(), r.to.clone()))
        .collect();
    assert_eq!(
        component_renames,
        [
            (1, "Item", "Orders_Item"),
            (1, "Wrapper", "Orders_Wrapper"),
            (1, "Pet", "Orders_Pet"),
            (1, "Cat", "Orders_Cat"),
            (1, "Dog", "Orders_Dog"),
            (1, "Id", "Orders_Id"),
            (1, "api_key", "Orders_api_key"),
        ]
        .map(|(m, a, b)| (m, a.to_owned(), b.to_owned()))
    );
    assert_eq!(merged.renames[1].pointer, "/components/schemas/Item");
    assert_eq!(merged.renamed(1, RenameKind::Component(ComponentKind::Schemas), "Tag"), None);
    // The identical ones are reported as shared.
    assert!(merged.notes.iter().any(|n| n.message.contains("`Tag` is identical to mount #1's")), "{:?}", merged.notes);
    assert!(merged.notes.iter().any(|n| n.message.contains("mount #3") && n.message.contains("`Item` is identical")));
}

#[test]
fn every_ref_of_a_renamed_mount_follows() {
    let doc = shop().document;
    let s = &doc["components"]["schemas"];
    // Recursive schemas point at their own new name; inventory's keep theirs.
    assert_eq!(s["Orders_Item"]["properties"]["replacement"]["$ref"], "#/components/schemas/Orders_Item");
    assert_eq!(s["Item"]["properties"]["parent"]["anyOf"][0]["$ref"], "#/components/schemas/Item");
    assert_eq!(s["Node"]["properties"]["children"]["items"]["$ref"], "#/components/schemas/Node");
    // A nested ref inside a component, and one to an identical (shared) component.
    assert_eq!(s["Order"]["properties"]["item"]["$ref"], "#/components/schemas/Orders_Item");
    assert_eq!(s["Orders_Wrapper"]["properties"]["item"]["$ref"], "#/components/schemas/Orders_Item");
    assert_eq!(s["Wrapper"]["properties"]["item"]["$ref"], "#/components/schemas/Item");
    // In paths: schemas, parameters, responses.
    let get = &doc["paths"]["/orders/items/{id}"]["get"];
    assert_eq!(get["parameters"][0]["$ref"], "#/components/parameters/Orders_Id");
    assert_eq!(
        get["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/Orders_Item"
    );
    assert_eq!(get["responses"]["404"]["$ref"], "#/components/responses/NotFound");
    assert_eq!(doc["paths"]["/inventory/items/{id}"]["parameters"][0]["$ref"], "#/components/parameters/Id");
    // The webhook and the path item component keep inventory's names.
    assert_eq!(
        doc["webhooks"]["stockChanged"]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/Item"
    );
    // Example data that looks like a reference is left alone.
    assert_eq!(doc["components"]["examples"]["OneItem"]["value"]["$ref"], "not a reference, just data");
    assert!(assert_refs_resolve(&doc) > 25);
}

#[test]
fn discriminator_mappings_keep_their_meaning() {
    let doc = shop().document;
    let s = &doc["components"]["schemas"];
    // Inventory's Pet is not renamed: its mapping stays as written.
    assert_eq!(
        s["Pet"]["discriminator"],
        json!({"propertyName": "kind", "mapping": {"cat": "#/components/schemas/Cat"}})
    );
    // Orders' Pet matched Cat and Dog by name (allOf subtypes): the names now map explicitly
    // to the renamed schemas, and the subtypes point at the renamed parent.
    assert_eq!(
        s["Orders_Pet"]["discriminator"],
        json!({"propertyName": "petType", "mapping": {
            "Cat": "#/components/schemas/Orders_Cat",
            "Dog": "#/components/schemas/Orders_Dog"
        }})
    );
    assert_eq!(s["Orders_Cat"]["allOf"][0]["$ref"], "#/components/schemas/Orders_Pet");

    // oneOf discriminators: an explicit mapping is rewritten, an implicit one added.
    let a = json!({
        "openapi": "3.1.0", "info": {"title": "a", "version": "1"}, "paths": {},
        "components": {"schemas": {"Cat": {"type": "object"}, "Dog": {"type": "object"}}}
    });
    let mut b = inventory();
    b["paths"] = json!({});
    b["webhooks"] = json!({});
    let merged = merge_documents([Mount::new("/a", a), Mount::new("/b", b)], &MergeInfo::new("x", "1")).unwrap();
    let s = &merged.document["components"]["schemas"];
    assert_eq!(
        s["Pet"]["discriminator"]["mapping"],
        json!({"cat": "#/components/schemas/B_Cat", "Dog": "#/components/schemas/B_Dog"})
    );
    assert_eq!(s["Pet"]["oneOf"][1]["$ref"], "#/components/schemas/B_Dog");
    assert_refs_resolve(&merged.document);
}

#[test]
fn security_moves_onto_operations_when_roots_differ() {
    let doc = shop().document;
    assert!(doc.get("security").is_none(), "the mounts' root security differs");
    let p = &doc["paths"];
    // Inventory's root requirement lands on operations without their own.
    assert_eq!(p["/inventory/items"]["get"]["security"], json!([{"api_key": []}]));
    assert_eq!(p["/inventory/items/{id}"]["get"]["security"], json!([{"api_key": []}, {"bearer": []}]));
    // A path item that is a $ref is copied in place to carry it; the component, no longer
    // used, goes (its operation would be described twice).
    assert_eq!(p["/inventory/tree"]["get"]["security"], json!([{"api_key": []}]));
    assert_eq!(p["/inventory/tree"]["get"]["operationId"], "getTree");
    assert!(doc["components"].get("pathItems").is_none());
    // Orders' renamed scheme, in its own requirements; an explicit `security: []` stays public.
    assert_eq!(p["/orders/orders"]["post"]["security"], json!([{"Orders_api_key": []}]));
    assert_eq!(p["/orders/animals"]["get"]["security"], json!([]));
    // The root app had none, and gets none (the root DELETE joined inventory's path item).
    assert!(p["/health"]["get"].get("security").is_none());
    assert!(p["/inventory/items"]["delete"].get("security").is_none());
    // Webhooks are not operations of the API.
    assert!(doc["webhooks"]["stockChanged"]["post"].get("security").is_none());

    // The same root security everywhere stays at the root.
    let merged =
        merge_documents([Mount::new("/a", inventory()), Mount::new("/b", inventory())], &MergeInfo::new("x", "1"))
            .unwrap();
    assert_eq!(merged.document["security"], json!([{"api_key": []}]));
    assert!(merged.document["paths"]["/a/items"]["get"].get("security").is_none());
    // Identical documents share their components, except those naming one of the mount's own
    // operations: the path item and the webhook holding a renamed operationId, and the link
    // to one.
    assert_eq!(names(&merged.document, "schemas").len(), 8);
    let renamed: Vec<(RenameKind, &str)> =
        merged.renames.iter().filter(|r| r.kind != RenameKind::OperationId).map(|r| (r.kind, r.to.as_str())).collect();
    assert_eq!(
        renamed,
        [
            (RenameKind::Component(ComponentKind::Links), "B_Self"),
            (RenameKind::Component(ComponentKind::PathItems), "B_Tree"),
            (RenameKind::Webhook, "b_stockChanged"),
        ]
    );
    assert_eq!(merged.document["components"]["links"]["B_Self"]["operationId"], "b_getItem");
    assert_eq!(merged.document["paths"]["/b/items"]["get"]["operationId"], "b_listItems");
    assert_refs_resolve(&merged.document);
}

#[test]
fn tags_are_merged_by_name() {
    let doc = shop().document;
    assert_eq!(
        doc["tags"],
        json!([{"name": "items", "description": "Stock"}, {"name": "orders", "description": "Orders"}])
    );
}

#[test]
fn openapi_3_0_schemas_are_converted_when_merged_into_3_1() {
    let merged = shop();
    let s = &merged.document["components"]["schemas"];
    assert_eq!(s["Orders_Item"]["properties"]["sku"], json!({"type": ["string", "null"]}));
    assert_eq!(s["Orders_Item"]["properties"]["quantity"], json!({"type": "integer", "exclusiveMinimum": 0}));
    assert_eq!(
        s["Order"]["properties"]["status"],
        json!({"type": ["string", "null"], "enum": ["open", "closed", null]})
    );
    assert_eq!(
        s["Order"]["properties"]["note"],
        json!({"anyOf": [{"allOf": [{"$ref": "#/components/schemas/Tag"}]}, {"type": "null"}]})
    );
    assert!(merged.notes.iter().any(|n| n.message.contains("converted from OpenAPI 3.0.3 to 3.1.0")));

    // 3.0 with 3.0 stays 3.0, untouched.
    let merged = merge_documents([Mount::new("/o", orders())], &MergeInfo::new("x", "1")).unwrap();
    assert_eq!(merged.document["openapi"], "3.0.3");
    assert_eq!(merged.document["components"]["schemas"]["Item"]["properties"]["sku"]["nullable"], true);
}

#[test]
fn the_merged_document_loads_back_with_prefixed_paths() {
    let merged = shop();
    let ops = load_back(&merged.document);
    let got: BTreeSet<(String, String, String)> =
        ops.into_iter().map(|(m, p, id)| (m, p, id.unwrap_or_default())).collect();
    let want: BTreeSet<(String, String, String)> = [
        ("GET", "/inventory/items", "listItems"),
        ("POST", "/inventory/items", "createItem"),
        ("DELETE", "/inventory/items", "purgeItems"),
        ("GET", "/inventory/items/{id}", "getItem"),
        ("GET", "/inventory/pets", "listPets"),
        ("GET", "/inventory/tree", "getTree"),
        ("GET", "/orders/items/{id}", "orders_getItem"),
        ("POST", "/orders/orders", "createOrder"),
        ("GET", "/orders/animals", "listAnimals"),
        ("GET", "/health", "health"),
    ]
    .map(|(m, p, i)| (m.to_owned(), p.to_owned(), i.to_owned()))
    .into();
    assert_eq!(got, want);
    // The orders' parameter is orders' (a string), inventory's an integer.
    let api = load_value(merged.document.clone(), &LoadOptions::default()).unwrap();
    let op = |id: &str| api.operations.iter().find(|o| o.operation_id.as_deref() == Some(id)).unwrap();
    assert_eq!(op("orders_getItem").parameters[0].schema["type"], "string");
    assert_eq!(op("getItem").parameters[0].schema["type"], "integer");
}

#[test]
fn the_merged_documents_pass_openapi_spec_validator() {
    let shop = shop().document;
    let pets_and_shop = merge_documents(
        [Mount::new("/pets", fixture("petstore-3.1.json")), Mount::new("/shop", fixture("fastapi/openapi.json"))],
        &MergeInfo::new("Pets and shop", "1"),
    )
    .unwrap()
    .document;
    let mixed = merge_documents(
        [Mount::new("/v3", fixture("petstore-3.0.yaml")), Mount::new("/v31", fixture("petstore-3.1.json"))],
        &MergeInfo::new("Two petstores", "1").server("https://gateway.example.com"),
    )
    .unwrap()
    .document;
    let only_30 = merge_documents(
        [Mount::new("/a", fixture("petstore-3.0.yaml")), Mount::new("/b", orders())],
        &MergeInfo::new("3.0", "1"),
    )
    .unwrap()
    .document;
    let v32 = merge_documents(
        [Mount::new("/new", fixture("openapi-3.2.yaml")), Mount::new("/old", fixture("petstore-3.0.yaml"))],
        &MergeInfo::new("3.2", "1"),
    )
    .unwrap()
    .document;
    assert_eq!(only_30["openapi"], "3.0.4");
    assert!(v32["openapi"].as_str().unwrap().starts_with("3.2"));
    for doc in [&shop, &pets_and_shop, &mixed, &only_30, &v32] {
        assert_refs_resolve(doc);
        load_back(doc);
    }
    assert_valid(&[
        ("shop", &shop),
        ("pets-and-shop", &pets_and_shop),
        ("petstore-3.0-and-3.1", &mixed),
        ("petstore-3.0-and-orders", &only_30),
        ("openapi-3.2-and-petstore-3.0", &v32),
    ]);
}

#[test]
fn petstore_and_fastapi_merge_under_their_prefixes() {
    let pets = fixture("petstore-3.1.json");
    let fastapi = fixture("fastapi/openapi.json");
    let count = |doc: &Value| load_back(doc).len();
    let (n_pets, n_shop) = (count(&pets), count(&fastapi));
    let merged = merge_documents(
        [Mount::new("/pets", pets), Mount::new("/shop", fastapi)],
        &MergeInfo::new("Pets and shop", "1"),
    )
    .unwrap();
    let doc = &merged.document;
    let ops = load_back(doc);
    assert_eq!(ops.len(), n_pets + n_shop);
    assert!(ops.iter().all(|(_, p, _)| p.starts_with("/pets/") || p.starts_with("/shop/")), "{ops:?}");
    assert!(ops.iter().any(|(m, p, _)| m == "GET" && p == "/shop/items/{item_id}"));
    assert!(ops.iter().any(|(m, p, _)| m == "GET" && p == "/pets/pet/{petId}"));
    // FastAPI's trailing slash is kept.
    assert!(doc["paths"].get("/shop/items/").is_some());
    // Both have a different `Tag` and `User`: FastAPI's are renamed, and its refs follow.
    for name in ["Tag", "User"] {
        assert_eq!(
            merged.renamed(1, RenameKind::Component(ComponentKind::Schemas), name),
            Some(&*format!("Shop_{name}"))
        );
    }
    let text = serde_json::to_string(&doc["paths"]).unwrap();
    assert!(text.contains("#/components/schemas/Shop_User"));
    assert_eq!(doc["webhooks"]["newPet"]["post"]["operationId"], "webhookNewPet");
    assert_refs_resolve(doc);
}

#[test]
fn components_of_every_kind_are_merged() {
    let doc = |n: u32| {
        json!({
            "openapi": "3.1.0", "info": {"title": "k", "version": "1"},
            "paths": {"/x": {"get": {
                "operationId": format!("x{n}"),
                "parameters": [{"$ref": "#/components/parameters/P"}],
                "requestBody": {"$ref": "#/components/requestBodies/B"},
                "callbacks": {"cb": {"$ref": "#/components/callbacks/C"}},
                "responses": {"200": {"$ref": "#/components/responses/R"}}
            }}},
            "components": {
                "schemas": {"S": {"type": "integer", "maximum": n}},
                "parameters": {"P": {"name": "p", "in": "query", "schema": {"$ref": "#/components/schemas/S"}}},
                "requestBodies": {"B": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/S"}}}}},
                "responses": {"R": {
                    "description": "r",
                    "headers": {"H": {"$ref": "#/components/headers/H"}},
                    "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/S"},
                        "examples": {"E": {"$ref": "#/components/examples/E"}}}},
                    "links": {"L": {"$ref": "#/components/links/L"}}
                }},
                "headers": {"H": {"schema": {"$ref": "#/components/schemas/S"}}},
                "examples": {"E": {"value": n}},
                "links": {"L": {"operationId": format!("x{n}")}},
                "callbacks": {"C": {"{$request.query.url}": {"$ref": "#/components/pathItems/I"}}},
                "pathItems": {"I": {"post": {
                    "operationId": "notify",
                    "requestBody": {"$ref": "#/components/requestBodies/B"},
                    "responses": {"200": {"description": "ok"}}
                }}},
                "securitySchemes": {"K": {"type": "apiKey", "in": "header", "name": format!("X-Key-{n}")}}
            },
            "security": [{"K": []}]
        })
    };
    let merged =
        merge_documents([Mount::new("/one", doc(1)), Mount::new("/two", doc(2))], &MergeInfo::new("k", "1")).unwrap();
    let out = &merged.document;
    for kind in [
        "schemas",
        "parameters",
        "requestBodies",
        "responses",
        "headers",
        "examples",
        "links",
        "callbacks",
        "pathItems",
        "securitySchemes",
    ] {
        assert_eq!(names(out, kind).len(), 2, "{kind}: {}", out["components"][kind]);
    }
    let get = &out["paths"]["/two/x"]["get"];
    assert_eq!(get["parameters"][0]["$ref"], "#/components/parameters/Two_P");
    assert_eq!(get["requestBody"]["$ref"], "#/components/requestBodies/Two_B");
    assert_eq!(get["callbacks"]["cb"]["$ref"], "#/components/callbacks/Two_C");
    assert_eq!(get["responses"]["200"]["$ref"], "#/components/responses/Two_R");
    assert_eq!(get["security"], json!([{"Two_K": []}]));
    let c = &out["components"];
    assert_eq!(c["responses"]["Two_R"]["headers"]["H"]["$ref"], "#/components/headers/Two_H");
    assert_eq!(
        c["responses"]["Two_R"]["content"]["application/json"]["examples"]["E"]["$ref"],
        "#/components/examples/Two_E"
    );
    assert_eq!(c["responses"]["Two_R"]["links"]["L"]["$ref"], "#/components/links/Two_L");
    assert_eq!(c["callbacks"]["Two_C"]["{$request.query.url}"]["$ref"], "#/components/pathItems/Two_I");
    // The callback operation's id clashed too; mount two's pathItem is renamed with it.
    assert_eq!(c["pathItems"]["Two_I"]["post"]["operationId"], "two_notify");
    assert_eq!(c["pathItems"]["Two_I"]["post"]["requestBody"]["$ref"], "#/components/requestBodies/Two_B");
    assert_eq!(c["links"]["Two_L"]["operationId"], "x2");
    assert_refs_resolve(out);
    load_back(out);
    assert_valid(&[("every-kind", out)]);
}

#[test]
fn names_that_are_taken_get_a_number() {
    // Mount two's `Item` would become `Two_Item`, which mount one already uses.
    let a = json!({"openapi": "3.1.0", "info": {"title": "a", "version": "1"}, "paths": {},
        "components": {"schemas": {"Item": {"type": "string"}, "Two_Item": {"type": "number"}}}});
    let b = json!({"openapi": "3.1.0", "info": {"title": "b", "version": "1"}, "paths": {"/i": {"get": {
            "operationId": "get",
            "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Item"}}}}}}}},
        "components": {"schemas": {"Item": {"type": "integer"}}}});
    let merged = merge_documents([Mount::new("", a), Mount::new("/two", b)], &MergeInfo::new("x", "1")).unwrap();
    assert_eq!(names(&merged.document, "schemas"), ["Item", "Two_Item", "Two_Item_2"].map(String::from).into());
    assert_eq!(
        merged.document["paths"]["/two/i"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/Two_Item_2"
    );
    // An explicit namespace.
    let c = json!({"openapi": "3.1.0", "info": {"title": "c", "version": "1"}, "paths": {},
        "components": {"schemas": {"Item": {"type": "boolean"}}}});
    let merged = merge_documents(
        [
            Mount::new(
                "/x",
                json!({"openapi": "3.1.0", "info": {"title": "x", "version": "1"}, "paths": {},
            "components": {"schemas": {"Item": {}}}}),
            ),
            Mount::new("/api/v1", c.clone()),
            Mount::new("/api/v2", c).with_namespace("legacy app"),
        ],
        &MergeInfo::new("x", "1"),
    )
    .unwrap();
    assert_eq!(names(&merged.document, "schemas"), ["Item", "Api_v1_Item", "Legacy_app_Item"].map(String::from).into());
}

#[test]
fn root_x_mcp_false_moves_onto_its_operations() {
    let mut hidden = orders();
    hidden["x-mcp"] = json!(false);
    hidden["paths"]["/orders"]["post"]["x-mcp"] = json!(true);
    let merged =
        merge_documents([Mount::new("/i", inventory()), Mount::new("/o", hidden)], &MergeInfo::new("x", "1")).unwrap();
    let doc = &merged.document;
    assert!(doc.get("x-mcp").is_none());
    assert_eq!(doc["paths"]["/o/items/{id}"]["get"]["x-mcp"], false);
    assert_eq!(doc["paths"]["/o/orders"]["post"]["x-mcp"], true);
    assert!(doc["paths"]["/i/items"]["get"].get("x-mcp").is_none());
}

// ---------------------------------------------------------------------------------------------
// Errors: each names the mount and a JSON pointer in its document.

fn problems(mounts: Vec<Mount>) -> Vec<(String, String, ProblemKind, String)> {
    match merge_documents(mounts, &MergeInfo::new("x", "1")) {
        Ok(m) => panic!("merged: {}", m.document),
        Err(Error::Invalid(ps)) => ps.into_iter().map(|p| (p.origin, p.pointer, p.kind, p.message)).collect(),
        Err(other) => panic!("{other}"),
    }
}

#[test]
fn broken_inputs_are_errors_with_a_place() {
    let mut ext = orders();
    ext["components"]["schemas"]["Order"]["properties"]["item"]["$ref"] = json!("other.yaml#/Item");
    let mut dangling = inventory();
    dangling["paths"]["/items"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["items"]["$ref"] =
        json!("#/components/schemas/Nope");
    let ps = problems(vec![Mount::new("/o", ext), Mount::new("/i", dangling)]);
    assert_eq!(ps.len(), 2, "{ps:?}");
    assert_eq!(ps[0].0, "mount #1 \"/o\"");
    assert_eq!(ps[0].1, "/components/schemas/Order/properties/item/$ref");
    assert_eq!(ps[0].2, ProblemKind::ExternalRef);
    assert_eq!(ps[1].0, "mount #2 \"/i\"");
    assert_eq!(ps[1].1, "/paths/~1items/get/responses/200/content/application~1json/schema/items/$ref");
    assert_eq!(ps[1].2, ProblemKind::DanglingRef);

    let ps = problems(vec![Mount::new("/p", fixture("petstore-swagger2.json"))]);
    assert_eq!((ps[0].1.as_str(), ps[0].2), ("/swagger", ProblemKind::Shape));
    assert!(ps[0].3.contains("Swagger 2.0"), "{}", ps[0].3);

    let ps = problems(vec![Mount::new("/t/{tenant}", inventory())]);
    assert!(ps[0].3.contains("may not contain '{'"), "{}", ps[0].3);

    let ps = problems(vec![Mount::new("/x", json!({"openapi": "4.0.0", "paths": {}}))]);
    assert_eq!(ps[0].1, "/openapi");

    // The whole error message says where.
    let err = merge_documents(
        [Mount::new(
            "/i",
            json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
        "paths": {"/a": {"get": {"operationId": 7, "responses": {}}}}}),
        )],
        &MergeInfo::new("x", "1"),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "mount #1 \"/i\", at /paths/~1a/get/operationId: `operationId` must be a string, found a number"
    );
}

#[test]
fn clashing_paths_are_conflicts() {
    // The same method on the same path.
    let ps = problems(vec![
        Mount::new("/inventory", inventory()),
        Mount::new(
            "",
            json!({
        "openapi": "3.1.0", "info": {"title": "r", "version": "1"},
        "paths": {"/inventory/items": {"get": {"responses": {"200": {"description": "ok"}}}}}}),
        ),
    ]);
    assert_eq!(ps.len(), 1, "{ps:?}");
    assert_eq!((ps[0].1.as_str(), ps[0].2), ("/paths/~1inventory~1items", ProblemKind::Conflict));
    assert!(ps[0].3.contains("mount #1") && ps[0].3.contains("both define GET"), "{}", ps[0].3);

    // One templated path spelled two ways.
    let ps = problems(vec![
        Mount::new("/inventory", inventory()),
        Mount::new(
            "",
            json!({
        "openapi": "3.1.0", "info": {"title": "r", "version": "1"},
        "paths": {"/inventory/items/{item}": {"delete": {"responses": {"204": {"description": "gone"}}}}}}),
        ),
    ]);
    assert_eq!(ps[0].2, ProblemKind::Conflict);
    assert!(ps[0].3.contains("same templated path"), "{}", ps[0].3);

    // Different custom JSON Schema dialects.
    let mut a = inventory();
    a["jsonSchemaDialect"] = json!("https://example.com/dialect");
    let ps = problems(vec![Mount::new("/a", a), Mount::new("/b", inventory())]);
    assert!(ps.iter().all(|p| p.1 == "/jsonSchemaDialect" && p.2 == ProblemKind::Conflict), "{ps:?}");
}

#[test]
fn an_empty_merge_is_a_valid_document() {
    let merged = merge_documents(Vec::<Mount>::new(), &MergeInfo::new("Nothing", "0")).unwrap();
    assert_eq!(merged.document, json!({"openapi": "3.1.0", "info": {"title": "Nothing", "version": "0"}, "paths": {}}));
    assert!(load_back(&merged.document).is_empty());
}
