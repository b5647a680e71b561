//! Parameter serialization: the OpenAPI `style`/`explode` table (RFC 6570 based) for path,
//! query, header and cookie parameters, with percent-encoding.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;
use toolgate_openapi::Style;

/// Everything but RFC 3986 unreserved characters is encoded.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');
/// `allowReserved`: reserved characters stay as they are (but never `#`, `%`, space or quotes).
const RESERVED_OK: &AsciiSet = &UNRESERVED
    .remove(b':')
    .remove(b'/')
    .remove(b'?')
    .remove(b'[')
    .remove(b']')
    .remove(b'@')
    .remove(b'!')
    .remove(b'$')
    .remove(b'&')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b'+')
    .remove(b',')
    .remove(b';')
    .remove(b'=');

/// Percent-encodes a value for a URI component.
pub fn encode(s: &str) -> String {
    utf8_percent_encode(s, UNRESERVED).to_string()
}

fn encode_q(s: &str, allow_reserved: bool) -> String {
    utf8_percent_encode(s, if allow_reserved { RESERVED_OK } else { UNRESERVED }).to_string()
}

/// Percent-encodes a whole path segment: like [`encode`], and `.`/`..` are encoded too so that
/// a value can never climb out of its segment.
pub fn encode_segment(s: &str) -> String {
    match s {
        "." => "%2E".to_owned(),
        ".." => "%2E%2E".to_owned(),
        _ => encode(s),
    }
}

/// A value as text: strings as they are, numbers and booleans as JSON, nested values as JSON.
pub fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

enum Shape<'a> {
    Prim(String),
    List(Vec<String>),
    Pairs(Vec<(String, String)>),
    Nested(&'a serde_json::Map<String, Value>),
}

fn shape(v: &Value) -> Shape<'_> {
    match v {
        Value::Array(items) => Shape::List(items.iter().filter(|i| !i.is_null()).map(text).collect()),
        Value::Object(map) => {
            if map.values().any(|x| x.is_object() || x.is_array()) {
                Shape::Nested(map)
            } else {
                Shape::Pairs(map.iter().filter(|(_, x)| !x.is_null()).map(|(k, x)| (k.clone(), text(x))).collect())
            }
        }
        other => Shape::Prim(text(other)),
    }
}

fn pairs_of(map: &serde_json::Map<String, Value>) -> Vec<(String, String)> {
    map.iter().filter(|(_, x)| !x.is_null()).map(|(k, x)| (k.clone(), text(x))).collect()
}

/// Renders a path parameter's value (what replaces `{name}` in the template).
pub fn path(style: Style, explode: bool, name: &str, v: &Value) -> String {
    let enc = |s: &str| encode_segment(s);
    let (list, pairs) = match shape(v) {
        Shape::Prim(p) => {
            return match style {
                Style::Label => format!(".{}", enc(&p)),
                Style::Matrix => format!(";{}={}", encode(name), enc(&p)),
                _ => enc(&p),
            };
        }
        Shape::List(l) => (Some(l), None),
        Shape::Pairs(p) => (None, Some(p)),
        Shape::Nested(m) => (None, Some(pairs_of(m))),
    };
    if let Some(items) = list {
        let items: Vec<String> = items.iter().map(|s| enc(s)).collect();
        return match (style, explode) {
            (Style::Label, true) => format!(".{}", items.join(".")),
            (Style::Label, false) => format!(".{}", items.join(",")),
            (Style::Matrix, _) if items.is_empty() => format!(";{}", encode(name)),
            (Style::Matrix, true) => items.iter().map(|i| format!(";{}={i}", encode(name))).collect(),
            (Style::Matrix, false) => format!(";{}={}", encode(name), items.join(",")),
            _ => items.join(","),
        };
    }
    let pairs: Vec<(String, String)> = pairs.unwrap_or_default().iter().map(|(k, v)| (encode(k), enc(v))).collect();
    let flat = || pairs.iter().flat_map(|(k, v)| [k.clone(), v.clone()]).collect::<Vec<_>>().join(",");
    let kv = |sep: &str| pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(sep);
    match (style, explode) {
        (Style::Label, true) => format!(".{}", kv(".")),
        (Style::Label, false) => format!(".{}", flat()),
        (Style::Matrix, true) => pairs.iter().map(|(k, v)| format!(";{k}={v}")).collect(),
        (Style::Matrix, false) => format!(";{}={}", encode(name), flat()),
        (_, true) => kv(","),
        (_, false) => flat(),
    }
}

/// Renders a query parameter as `k=v` pieces (to be joined with `&`). Empty arrays and objects
/// produce nothing.
pub fn query(style: Style, explode: bool, allow_reserved: bool, name: &str, v: &Value, out: &mut Vec<String>) {
    let k = encode_q(name, false);
    let e = |s: &str| encode_q(s, allow_reserved);
    match shape(v) {
        Shape::Prim(p) => out.push(format!("{k}={}", e(&p))),
        Shape::List(items) => {
            if items.is_empty() {
                return;
            }
            match (style, explode) {
                (Style::SpaceDelimited, false) => {
                    out.push(format!("{k}={}", items.iter().map(|i| e(i)).collect::<Vec<_>>().join("%20")))
                }
                (Style::PipeDelimited, false) => {
                    out.push(format!("{k}={}", items.iter().map(|i| e(i)).collect::<Vec<_>>().join("|")))
                }
                (_, true) => out.extend(items.iter().map(|i| format!("{k}={}", e(i)))),
                (_, false) => out.push(format!("{k}={}", items.iter().map(|i| e(i)).collect::<Vec<_>>().join(","))),
            }
        }
        Shape::Nested(map) if style == Style::DeepObject => deep(&k, map, allow_reserved, out),
        Shape::Pairs(_) | Shape::Nested(_) => {
            let Value::Object(map) = v else { return };
            if style == Style::DeepObject {
                return deep(&k, map, allow_reserved, out);
            }
            let pairs = pairs_of(map);
            if pairs.is_empty() {
                return;
            }
            let sep = match style {
                Style::SpaceDelimited => "%20",
                Style::PipeDelimited => "|",
                _ => ",",
            };
            if explode {
                out.extend(pairs.iter().map(|(pk, pv)| format!("{}={}", encode_q(pk, false), e(pv))));
            } else {
                let flat: Vec<String> = pairs.iter().flat_map(|(pk, pv)| [e(pk), e(pv)]).collect();
                out.push(format!("{k}={}", flat.join(sep)));
            }
        }
    }
}

/// `deepObject`: `name[key]=value`, nested objects as `name[a][b]=value`, arrays repeated.
fn deep(prefix: &str, map: &serde_json::Map<String, Value>, allow_reserved: bool, out: &mut Vec<String>) {
    for (key, val) in map {
        let k = format!("{prefix}[{}]", encode_q(key, false));
        match val {
            Value::Null => {}
            Value::Object(inner) => deep(&k, inner, allow_reserved, out),
            Value::Array(items) => {
                out.extend(
                    items
                        .iter()
                        .filter(|i| !i.is_null())
                        .map(|i| format!("{k}={}", encode_q(&text(i), allow_reserved))),
                );
            }
            other => out.push(format!("{k}={}", encode_q(&text(other), allow_reserved))),
        }
    }
}

/// Renders a header value (`simple` style). Returns `None` if the value holds a control
/// character (CR, LF, NUL, …), which would let it forge other headers.
pub fn header(explode: bool, v: &Value) -> Option<String> {
    let s = match shape(v) {
        Shape::Prim(p) => p,
        Shape::List(items) => items.join(","),
        Shape::Pairs(p) => join_pairs(&p, explode),
        Shape::Nested(m) => join_pairs(&pairs_of(m), explode),
    };
    (!s.chars().any(|c| c.is_control() && c != '\t')).then_some(s)
}

fn join_pairs(p: &[(String, String)], explode: bool) -> String {
    if explode {
        p.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")
    } else {
        p.iter().flat_map(|(k, v)| [k.clone(), v.clone()]).collect::<Vec<_>>().join(",")
    }
}

/// Renders cookie pairs (`form` style); values are percent-encoded.
pub fn cookie(explode: bool, name: &str, v: &Value, out: &mut Vec<String>) {
    match shape(v) {
        Shape::Prim(p) => out.push(format!("{name}={}", encode(&p))),
        Shape::List(items) if explode => out.extend(items.iter().map(|i| format!("{name}={}", encode(i)))),
        Shape::List(items) => {
            out.push(format!("{name}={}", items.iter().map(|i| encode(i)).collect::<Vec<_>>().join(",")))
        }
        Shape::Pairs(p) => cookie_pairs(explode, name, &p, out),
        Shape::Nested(m) => cookie_pairs(explode, name, &pairs_of(m), out),
    }
}

fn cookie_pairs(explode: bool, name: &str, p: &[(String, String)], out: &mut Vec<String>) {
    if explode {
        out.extend(p.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))));
    } else {
        let flat: Vec<String> = p.iter().flat_map(|(k, v)| [encode(k), encode(v)]).collect();
        out.push(format!("{name}={}", flat.join(",")));
    }
}

#[cfg(test)]
mod tests {
    //! The rows of the OpenAPI Specification's style examples table (3.1.1 §4.8.12.4), with
    //! `color` = `blue` / `["blue","black","brown"]` / `{"R":100,"G":200,"B":150}`.
    use super::*;
    use serde_json::json;

    fn values() -> (Value, Value, Value) {
        (json!("blue"), json!(["blue", "black", "brown"]), json!({"R": 100, "G": 200, "B": 150}))
    }

    #[test]
    fn path_styles_follow_the_table() {
        let (s, a, o) = values();
        let row = |st, ex| (path(st, ex, "color", &s), path(st, ex, "color", &a), path(st, ex, "color", &o));
        assert_eq!(
            row(Style::Matrix, false),
            (";color=blue".into(), ";color=blue,black,brown".into(), ";color=R,100,G,200,B,150".into())
        );
        assert_eq!(
            row(Style::Matrix, true),
            (";color=blue".into(), ";color=blue;color=black;color=brown".into(), ";R=100;G=200;B=150".into())
        );
        assert_eq!(row(Style::Label, false), (".blue".into(), ".blue,black,brown".into(), ".R,100,G,200,B,150".into()));
        assert_eq!(row(Style::Label, true), (".blue".into(), ".blue.black.brown".into(), ".R=100.G=200.B=150".into()));
        assert_eq!(row(Style::Simple, false), ("blue".into(), "blue,black,brown".into(), "R,100,G,200,B,150".into()));
        assert_eq!(row(Style::Simple, true), ("blue".into(), "blue,black,brown".into(), "R=100,G=200,B=150".into()));
        assert_eq!(path(Style::Matrix, false, "color", &json!([])), ";color");
    }

    fn q(st: Style, ex: bool, v: &Value) -> String {
        let mut out = Vec::new();
        query(st, ex, false, "color", v, &mut out);
        out.join("&")
    }

    #[test]
    fn query_styles_follow_the_table() {
        let (s, a, o) = values();
        assert_eq!(
            (q(Style::Form, false, &s), q(Style::Form, false, &a), q(Style::Form, false, &o)),
            ("color=blue".into(), "color=blue,black,brown".into(), "color=R,100,G,200,B,150".into())
        );
        assert_eq!(
            (q(Style::Form, true, &s), q(Style::Form, true, &a), q(Style::Form, true, &o)),
            ("color=blue".into(), "color=blue&color=black&color=brown".into(), "R=100&G=200&B=150".into())
        );
        assert_eq!(q(Style::SpaceDelimited, false, &a), "color=blue%20black%20brown");
        assert_eq!(q(Style::SpaceDelimited, false, &o), "color=R%20100%20G%20200%20B%20150");
        assert_eq!(q(Style::PipeDelimited, false, &a), "color=blue|black|brown");
        assert_eq!(q(Style::PipeDelimited, false, &o), "color=R|100|G|200|B|150");
        assert_eq!(q(Style::DeepObject, true, &o), "color[R]=100&color[G]=200&color[B]=150");
        assert_eq!(q(Style::Form, true, &json!([])), "");
        assert_eq!(q(Style::Form, true, &json!(true)), "color=true");
        assert_eq!(q(Style::Form, true, &json!(1.5)), "color=1.5");
    }

    #[test]
    fn deep_object_nests() {
        assert_eq!(
            q(Style::DeepObject, true, &json!({"a": {"b": 1}, "c": [1, 2], "d": null})),
            "color[a][b]=1&color[c]=1&color[c]=2"
        );
    }

    #[test]
    fn query_values_are_encoded_unless_reserved_is_allowed() {
        let v = json!("a b&c=d/e?#");
        assert_eq!(q(Style::Form, true, &v), "color=a%20b%26c%3Dd%2Fe%3F%23");
        let mut out = Vec::new();
        query(Style::Form, true, true, "color", &v, &mut out);
        assert_eq!(out, vec!["color=a%20b&c=d/e?%23"]);
    }

    #[test]
    fn path_values_stay_in_their_segment() {
        assert_eq!(path(Style::Simple, false, "id", &json!("../admin")), "..%2Fadmin");
        assert_eq!(path(Style::Simple, false, "id", &json!("..")), "%2E%2E");
        assert_eq!(path(Style::Simple, false, "id", &json!("a/b?c#d%")), "a%2Fb%3Fc%23d%25");
        assert_eq!(path(Style::Simple, false, "id", &json!("日本")), "%E6%97%A5%E6%9C%AC");
    }

    #[test]
    fn headers_refuse_control_characters() {
        assert_eq!(header(false, &json!("abc")), Some("abc".into()));
        assert_eq!(header(false, &json!(["a", "b"])), Some("a,b".into()));
        assert_eq!(header(true, &json!({"R": 1, "G": 2})), Some("R=1,G=2".into()));
        assert_eq!(header(false, &json!({"R": 1, "G": 2})), Some("R,1,G,2".into()));
        assert_eq!(header(false, &json!("a\r\nX-Evil: 1")), None);
        assert_eq!(header(false, &json!("a\nb")), None);
        assert_eq!(header(false, &json!("a\u{0}b")), None);
    }

    #[test]
    fn cookies_use_form_style() {
        let mut out = Vec::new();
        cookie(false, "color", &json!("blue; x=y"), &mut out);
        cookie(false, "list", &json!(["a", "b"]), &mut out);
        cookie(true, "obj", &json!({"R": 1}), &mut out);
        assert_eq!(out, vec!["color=blue%3B%20x%3Dy", "list=a,b", "R=1"]);
    }
}
