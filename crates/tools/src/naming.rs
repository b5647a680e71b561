//! Tool names: derived from `operationId` (or method and path), restricted to the characters
//! MCP clients accept, kept within a length limit with a deterministic hash when cut.

/// The default limit: what Claude Desktop, OpenAI and LangChain accept.
pub const DEFAULT_MAX_LEN: usize = 64;
/// The largest limit the MCP specification allows.
pub const MAX_LEN: usize = 128;

/// A name's base before namespacing: FastAPI's generated suffix removed, or `method_path`.
pub fn base_name(operation_id: Option<&str>, method: &str, path: &str) -> String {
    match operation_id {
        Some(id) if !id.trim().is_empty() => strip_fastapi_suffix(id, method, path).to_owned(),
        _ => {
            let slug: Vec<String> = path
                .split('/')
                .filter(|s| !s.is_empty())
                .map(|s| s.trim_start_matches('{').trim_end_matches('}').replace(['-', '.'], "_"))
                .collect();
            if slug.is_empty() {
                format!("{}_root", method.to_ascii_lowercase())
            } else {
                format!("{}_{}", method.to_ascii_lowercase(), slug.join("_"))
            }
        }
    }
}

/// FastAPI generates ids as `{function}{path with non-word characters as _}_{method}`, e.g.
/// `read_item_items__item_id__get` for `GET /items/{item_id}`. This returns `read_item`.
/// Ids that do not end with exactly that suffix are returned unchanged.
pub fn strip_fastapi_suffix<'a>(id: &'a str, method: &str, path: &str) -> &'a str {
    let mut suffix: String = path.chars().map(|c| if c.is_alphanumeric() || c == '_' { c } else { '_' }).collect();
    suffix.push('_');
    suffix.push_str(&method.to_ascii_lowercase());
    match id.strip_suffix(suffix.as_str()) {
        Some(prefix) if !prefix.is_empty() && prefix.chars().any(char::is_alphanumeric) => prefix,
        _ => id,
    }
}

/// Replaces every character outside `[A-Za-z0-9_.-]` with `_` (runs collapse to one), trims
/// `_` at both ends, and makes the name start with a letter.
pub fn sanitize(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut replaced = false;
    for c in raw.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
            out.push(c);
            replaced = false;
        } else if !replaced {
            out.push('_');
            replaced = true;
        }
    }
    let trimmed = out.trim_matches('_');
    let mut name = trimmed.to_owned();
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        name.insert_str(0, if name.is_empty() { "tool" } else { "op_" });
    }
    name
}

/// Joins a namespace and a name with `_`.
pub fn namespaced(namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) if !ns.is_empty() => format!("{ns}_{name}"),
        _ => name.to_owned(),
    }
}

/// Cuts `name` to `max` characters, replacing the end with `_` and 8 hex digits of a hash of
/// the whole name, so that different long names stay different and the result is stable.
pub fn fit(name: &str, max: usize) -> String {
    let max = max.clamp(16, MAX_LEN);
    if name.len() <= max {
        return name.to_owned();
    }
    let keep = max - 9;
    let mut cut = name[..keep].trim_end_matches(['_', '-', '.']).to_owned();
    cut.push('_');
    cut.push_str(&format!("{:08x}", fnv1a(name.as_bytes()) as u32));
    cut
}

/// 64-bit FNV-1a: small, stable across platforms and releases (unlike `DefaultHasher`).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Whether a name is valid for MCP clients: 1–`max` characters of `[A-Za-z0-9_.-]`.
pub fn is_valid(name: &str, max: usize) -> bool {
    !name.is_empty()
        && name.len() <= max
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_fastapi_generated_ids() {
        assert_eq!(strip_fastapi_suffix("read_item_items__item_id__get", "GET", "/items/{item_id}"), "read_item");
        assert_eq!(strip_fastapi_suffix("list_users_v1_admin_users_get", "get", "/v1/admin/users"), "list_users");
        assert_eq!(strip_fastapi_suffix("root__get", "get", "/"), "root");
        // hand-written ids stay as they are
        assert_eq!(strip_fastapi_suffix("getPetById", "get", "/pet/{petId}"), "getPetById");
        // the suffix alone is not stripped to nothing
        assert_eq!(strip_fastapi_suffix("_items_get", "get", "/items"), "_items_get");
        // the method must match
        assert_eq!(
            strip_fastapi_suffix("read_item_items__item_id__get", "post", "/items/{item_id}"),
            "read_item_items__item_id__get"
        );
    }

    #[test]
    fn derives_names_without_operation_id() {
        assert_eq!(base_name(None, "GET", "/pets/{petId}/photos"), "get_pets_petId_photos");
        assert_eq!(base_name(Some("  "), "post", "/"), "post_root");
    }

    #[test]
    fn sanitizes() {
        assert_eq!(sanitize("get pet/by id"), "get_pet_by_id");
        assert_eq!(sanitize("a..b--c"), "a..b--c");
        assert_eq!(sanitize("__x__"), "x");
        assert_eq!(sanitize("1st"), "op_1st");
        assert_eq!(sanitize("日本"), "tool");
        assert_eq!(sanitize("café"), "caf");
    }

    #[test]
    fn fits_long_names_deterministically() {
        let long = "a".repeat(70);
        let cut = fit(&long, 64);
        assert_eq!(cut.len(), 64);
        assert_eq!(cut, fit(&long, 64));
        let other = format!("{}b", "a".repeat(69));
        assert_ne!(fit(&other, 64), cut);
        assert!(is_valid(&cut, 64));
        assert_eq!(fit("short", 64), "short");
        assert_eq!(fit(&"x".repeat(200), 500).len(), 128);
    }
}
