//! JSON Pointer (RFC 6901) helpers.

use serde_json::Value;

/// Escapes one reference token (`~` → `~0`, `/` → `~1`).
pub fn escape(token: &str) -> String {
    if !token.contains(['~', '/']) {
        return token.to_owned();
    }
    token.replace('~', "~0").replace('/', "~1")
}

/// Unescapes one reference token.
pub fn unescape(token: &str) -> String {
    if !token.contains('~') {
        return token.to_owned();
    }
    token.replace("~1", "/").replace("~0", "~")
}

/// Joins a pointer and a token.
pub fn join(pointer: &str, token: &str) -> String {
    let mut s = String::with_capacity(pointer.len() + token.len() + 1);
    s.push_str(pointer);
    push(&mut s, token);
    s
}

/// Appends `/` and a token, escaped, to a pointer.
pub(crate) fn push(pointer: &mut String, token: &str) {
    pointer.push('/');
    if token.contains(['~', '/']) {
        pointer.push_str(&escape(token));
    } else {
        pointer.push_str(token);
    }
}

/// Resolves `pointer` (already percent-decoded, e.g. `/components/schemas/Pet`) inside `root`.
pub fn resolve<'a>(root: &'a Value, pointer: &str) -> Option<&'a Value> {
    if pointer.is_empty() {
        return Some(root);
    }
    let rest = pointer.strip_prefix('/')?;
    let mut cur = root;
    for raw in rest.split('/') {
        let unescaped;
        let token = if raw.contains('~') {
            unescaped = unescape(raw);
            unescaped.as_str()
        } else {
            raw
        };
        cur = match cur {
            Value::Object(map) => map.get(token)?,
            Value::Array(items) => items.get(token.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// Percent-decodes a URI fragment (the part of a `$ref` after `#`).
pub fn decode_fragment(fragment: &str) -> String {
    if !fragment.contains('%') {
        return fragment.to_owned();
    }
    let bytes = fragment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = &fragment[i + 1..i + 3];
            if let Ok(b) = u8::from_str_radix(hex, 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The last reference token of a pointer, unescaped.
pub fn last_token(pointer: &str) -> &str {
    pointer.rsplit('/').next().unwrap_or(pointer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn escapes_and_resolves() {
        let doc = json!({"paths": {"/a/{b}": {"get": {"x": [1, 2]}}}, "t~x": 1});
        let p = join(&join("/paths", "/a/{b}"), "get");
        assert_eq!(p, "/paths/~1a~1{b}/get");
        assert_eq!(resolve(&doc, &join(&p, "x")).and_then(|v| v.get(1)), Some(&json!(2)));
        assert_eq!(resolve(&doc, "/t~0x"), Some(&json!(1)));
        assert_eq!(resolve(&doc, "/paths/nope"), None);
        assert_eq!(resolve(&doc, "/paths/~1a~1{b}/get/x/9"), None);
        assert_eq!(resolve(&doc, "no-slash"), None);
    }

    #[test]
    fn decodes_percent_escapes() {
        assert_eq!(decode_fragment("/components/schemas/A%20B"), "/components/schemas/A B");
        assert_eq!(decode_fragment("/x%2"), "/x%2");
        assert_eq!(decode_fragment("/%7Bid%7D"), "/{id}");
    }
}
