//! Parsing a document to load it: JSON text straight into a [`Value`], without the parts that
//! the loader never reads.
//!
//! Example Objects are left out: `components/examples`, the `examples` of parameters, media
//! types and headers (and of Swagger 2.0 responses), and the `example` of media types. They are
//! data shown to people, often large (a fifth of GitHub's description), and nothing here reads
//! them. Schemas, extensions and everything else are kept as they are, in order: the structure
//! of the document is followed down to these places only, and every other value is parsed by
//! `serde_json` itself.
//!
//! What was left out is listed by JSON pointer ([`Pruned`]), so that a lookup that lands in it
//! (a `$ref` to an example, which no valid document needs) can be noticed, and the document
//! loaded again in full.

use std::collections::HashSet;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, Error as _, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use crate::pointer;

/// JSON pointers (escaped) of the values left out of a document.
pub(crate) type Pruned = HashSet<String>;

/// Parses JSON text that holds an object, leaving out Example Objects. `None` when the text is
/// not valid JSON (or holds what `serde_json` parses in a special way): the caller parses it
/// with [`crate::parse`], which reports the error.
pub(crate) fn parse_json(text: &str) -> Option<(Value, Pruned)> {
    let mut state = State { path: Vec::new(), pruned: HashSet::new(), entries: Vec::new(), items: Vec::new() };
    let mut de = serde_json::Deserializer::from_str(text);
    let value = Seed { ctx: Some(Ctx::Root), state: &mut state }.deserialize(&mut de).ok()?;
    de.end().ok()?;
    Some((value, state.pruned))
}

/// The `serde_json` key that marks a raw value; a document that has it where the structure is
/// followed is parsed by `serde_json` alone.
const RAW_VALUE_TOKEN: &str = "$serde_json::private::RawValue";

/// Where in the document a value is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Root,
    Components,
    Paths,
    PathItem,
    Operation,
    Parameter,
    RequestBody,
    Responses,
    Response,
    Header,
    Content,
    MediaType,
    /// An object whose values are all in the given context (`components/parameters`, …).
    MapOf(Member),
    /// An array of parameters.
    Parameters,
}

/// What the values of a [`Ctx::MapOf`] are.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Member {
    PathItem,
    Operation,
    Parameter,
    RequestBody,
    Response,
    Header,
}

impl Member {
    fn ctx(self) -> Ctx {
        match self {
            Member::PathItem => Ctx::PathItem,
            Member::Operation => Ctx::Operation,
            Member::Parameter => Ctx::Parameter,
            Member::RequestBody => Ctx::RequestBody,
            Member::Response => Ctx::Response,
            Member::Header => Ctx::Header,
        }
    }
}

/// What to do with the value of one key.
enum Next {
    /// Parse it as it is.
    Keep,
    /// Leave it out.
    Skip,
    /// Follow the structure into it.
    Into(Ctx),
}

fn next(ctx: Ctx, key: &str) -> Next {
    use Next::{Into, Keep, Skip};
    match (ctx, key) {
        (Ctx::Root, "paths") => Into(Ctx::Paths),
        (Ctx::Root, "webhooks") => Into(Ctx::MapOf(Member::PathItem)),
        (Ctx::Root, "components") => Into(Ctx::Components),
        // Swagger 2.0
        (Ctx::Root, "parameters") => Into(Ctx::MapOf(Member::Parameter)),
        (Ctx::Root, "responses") => Into(Ctx::MapOf(Member::Response)),
        (Ctx::Components, "examples") => Skip,
        (Ctx::Components, "parameters") => Into(Ctx::MapOf(Member::Parameter)),
        (Ctx::Components, "responses") => Into(Ctx::MapOf(Member::Response)),
        (Ctx::Components, "requestBodies") => Into(Ctx::MapOf(Member::RequestBody)),
        (Ctx::Components, "headers") => Into(Ctx::MapOf(Member::Header)),
        (Ctx::Components, "pathItems") => Into(Ctx::MapOf(Member::PathItem)),
        (Ctx::Paths | Ctx::Responses, k) if k.starts_with("x-") => Keep,
        (Ctx::Paths, _) => Into(Ctx::PathItem),
        (Ctx::PathItem, "parameters") | (Ctx::Operation, "parameters") => Into(Ctx::Parameters),
        (Ctx::PathItem, "additionalOperations") => Into(Ctx::MapOf(Member::Operation)),
        (Ctx::PathItem, k) if crate::Method::from_key(k).is_some() => Into(Ctx::Operation),
        (Ctx::Operation, "requestBody") => Into(Ctx::RequestBody),
        (Ctx::Operation, "responses") => Into(Ctx::Responses),
        (Ctx::Responses, _) => Into(Ctx::Response),
        (Ctx::Parameter | Ctx::Header | Ctx::Response, "examples") => Skip,
        (Ctx::Parameter | Ctx::Header | Ctx::Response | Ctx::RequestBody, "content") => Into(Ctx::Content),
        (Ctx::Response, "headers") => Into(Ctx::MapOf(Member::Header)),
        (Ctx::Content, _) => Into(Ctx::MediaType),
        (Ctx::MediaType, "examples" | "example") => Skip,
        (Ctx::MapOf(item), _) => Into(item.ctx()),
        _ => Keep,
    }
}

struct State {
    /// The keys and indices from the root to the value being parsed, as written.
    path: Vec<String>,
    pruned: Pruned,
    /// Entries of the objects being parsed, innermost last: an object is made once its size is
    /// known, with no room to spare (a map grown one entry at a time has up to twice the room
    /// it needs, and normalization keeps schemas' maps).
    entries: Vec<(String, Value)>,
    /// Items of the arrays being parsed, likewise.
    items: Vec<Value>,
}

impl State {
    fn pointer(&self, last: &str) -> String {
        let mut p = String::new();
        for token in &self.path {
            p = pointer::join(&p, token);
        }
        pointer::join(&p, last)
    }
}

/// Parses one value; `ctx` is where it is in the document's structure, `None` inside a value
/// that is kept as it is.
struct Seed<'s> {
    ctx: Option<Ctx>,
    state: &'s mut State,
}

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

/// Builds the same values as `serde_json::Value`'s own visitor (with maps and arrays sized to
/// what they hold), except for what is left out.
impl<'de> Visitor<'de> for Seed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any valid JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_i128<E: serde::de::Error>(self, v: i128) -> Result<Value, E> {
        serde::Deserialize::deserialize(serde::de::value::I128Deserializer::new(v)).map(Value::Number)
    }

    fn visit_u128<E: serde::de::Error>(self, v: u128) -> Result<Value, E> {
        serde::Deserialize::deserialize(serde::de::value::U128Deserializer::new(v)).map(Value::Number)
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let state = self.state;
        let start = state.items.len();
        if self.ctx == Some(Ctx::Parameters) {
            loop {
                state.path.push((state.items.len() - start).to_string());
                let item = seq.next_element_seed(Seed { ctx: Some(Ctx::Parameter), state: &mut *state });
                state.path.pop();
                match item? {
                    Some(v) => state.items.push(v),
                    None => break,
                }
            }
        } else {
            while let Some(v) = seq.next_element_seed(Seed { ctx: None, state: &mut *state })? {
                state.items.push(v);
            }
        }
        Ok(Value::Array(state.items.drain(start..).collect()))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let state = self.state;
        let start = state.entries.len();
        let mut first = true;
        while let Some(key) = map.next_key::<String>()? {
            if first && key == RAW_VALUE_TOKEN {
                return Err(A::Error::custom("raw value marker"));
            }
            first = false;
            match self.ctx.map_or(Next::Keep, |ctx| next(ctx, &key)) {
                Next::Keep => {
                    let v = map.next_value_seed(Seed { ctx: None, state: &mut *state })?;
                    state.entries.push((key, v));
                }
                Next::Skip => {
                    map.next_value::<IgnoredAny>()?;
                    let p = state.pointer(&key);
                    state.pruned.insert(p);
                }
                Next::Into(ctx) => {
                    state.path.push(key);
                    let v = map.next_value_seed(Seed { ctx: Some(ctx), state: &mut *state });
                    let key = state.path.pop().unwrap_or_default();
                    state.entries.push((key, v?));
                }
            }
        }
        let mut out = Map::with_capacity(state.entries.len() - start);
        for (k, v) in state.entries.drain(start..) {
            out.insert(k, v);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(text: &str) -> Value {
        serde_json::from_str(text).unwrap_or(Value::Null)
    }

    #[test]
    fn leaves_out_example_objects_and_nothing_else() {
        let text = r##"{
          "openapi": "3.1.0", "x-root": {"examples": {"a": 1}},
          "paths": {
            "/a/{id}": {
              "parameters": [{"name": "id", "in": "path", "examples": {"one": {"value": 1}}, "example": 2,
                              "schema": {"type": "integer", "examples": [1], "example": 1}}],
              "get": {
                "x-examples": {"examples": 1},
                "requestBody": {"content": {"application/json": {
                  "schema": {"properties": {"examples": {"type": "string"}, "example": {}}},
                  "examples": {"e": {"$ref": "#/components/examples/E"}}, "example": {"big": true},
                  "encoding": {"f": {"contentType": "text/plain"}}}}},
                "responses": {"200": {"description": "ok", "examples": {"application/json": {}},
                  "headers": {"X-A": {"schema": {"type": "string"}, "examples": {"x": {}}}},
                  "content": {"application/json": {"example": 5, "schema": {"$ref": "#/components/schemas/S"}}}},
                  "x-more": {"examples": 1}},
                "callbacks": {"c": {"{$url}": {"post": {"requestBody": {"content": {"a/b": {"example": 1}}}}}}}
              }
            },
            "x-paths": {"examples": 1}
          },
          "components": {
            "schemas": {"S": {"type": "object", "examples": [{"a": 1}], "example": {"a": 2}}},
            "examples": {"E": {"value": {"huge": [1, 2, 3]}}},
            "parameters": {"P": {"name": "p", "in": "query", "examples": {"x": {"value": 1}}}},
            "headers": {"H": {"examples": {"x": {}}, "content": {"text/plain": {"examples": {}}}}},
            "requestBodies": {"R": {"content": {"application/json": {"examples": {}}}}},
            "responses": {"O": {"description": "o", "content": {"application/json": {"examples": {}}}}}
          },
          "webhooks": {"w": {"post": {"requestBody": {"content": {"application/json": {"example": 1}}}}}}
        }"##;
        let (value, pruned) = parse_json(text).unwrap_or_default();
        let mut expected = plain(text);
        let mut removed = Vec::new();
        for p in [
            "/paths/~1a~1{id}/parameters/0/examples",
            "/paths/~1a~1{id}/get/requestBody/content/application~1json/examples",
            "/paths/~1a~1{id}/get/requestBody/content/application~1json/example",
            "/paths/~1a~1{id}/get/responses/200/examples",
            "/paths/~1a~1{id}/get/responses/200/headers/X-A/examples",
            "/paths/~1a~1{id}/get/responses/200/content/application~1json/example",
            "/components/examples",
            "/components/parameters/P/examples",
            "/components/headers/H/examples",
            "/components/headers/H/content/text~1plain/examples",
            "/components/requestBodies/R/content/application~1json/examples",
            "/components/responses/O/content/application~1json/examples",
            "/webhooks/w/post/requestBody/content/application~1json/example",
        ] {
            let (parent, last) = p.rsplit_once('/').unwrap_or_default();
            let parent = expected.pointer_mut(parent).and_then(Value::as_object_mut);
            assert!(parent.and_then(|m| m.shift_remove(&pointer::unescape(last))).is_some(), "{p}");
            removed.push(p.to_owned());
        }
        assert_eq!(value, expected);
        // The order of what is kept is the document's.
        assert_eq!(serde_json::to_string(&value).ok(), serde_json::to_string(&expected).ok());
        let mut pruned: Vec<String> = pruned.into_iter().collect();
        pruned.sort();
        removed.sort();
        assert_eq!(pruned, removed);
    }

    #[test]
    fn gives_up_where_serde_json_alone_decides() {
        assert!(parse_json(r#"{"openapi": "3.1.0", "paths": {"#).is_none());
        assert!(parse_json(r#"{"a": 1} x"#).is_none());
        assert!(parse_json(r#"{"paths": {"$serde_json::private::RawValue": "1"}}"#).is_none());
        let text = r#"{"n": 1.5e3, "i": -3, "u": 18446744073709551615, "s": "\u00e9", "z": null, "l": [true]}"#;
        assert_eq!(parse_json(text).map(|(v, _)| v), Some(plain(text)));
    }
}
