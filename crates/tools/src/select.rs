//! Which operations become tools.

use toolgate_openapi::Operation;

/// Filters that choose the operations to serve.
///
/// An operation is selected when it passes every kind of include filter that is set (within a
/// kind, any value may match) and matches no exclude filter. `x-mcp: false` on the operation,
/// its path item or the document always excludes; deprecated operations are left out unless
/// [`Selection::include_deprecated`] is set. Every include value must match at least one
/// operation: a filter that matches nothing is an error, never an open door.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Operation ids (or tool names before namespacing) to include.
    pub include_operations: Vec<String>,
    /// Operation ids (or tool names before namespacing) to leave out.
    pub exclude_operations: Vec<String>,
    /// Tags to include.
    pub include_tags: Vec<String>,
    /// Tags to leave out.
    pub exclude_tags: Vec<String>,
    /// Methods to include (`GET`, `post`, …).
    pub include_methods: Vec<String>,
    /// Methods to leave out.
    pub exclude_methods: Vec<String>,
    /// Path patterns to include: `*` matches within one segment, `**` across segments.
    pub include_paths: Vec<String>,
    /// Path patterns to leave out.
    pub exclude_paths: Vec<String>,
    /// Serve deprecated operations too.
    pub include_deprecated: bool,
}

/// Why an operation was not selected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Excluded {
    /// `x-mcp: false`.
    Extension,
    /// `deprecated: true`.
    Deprecated,
    /// Left out by a filter (which one, in words).
    Filter(String),
}

impl std::fmt::Display for Excluded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Excluded::Extension => f.write_str("x-mcp: false"),
            Excluded::Deprecated => f.write_str("deprecated (include with --include-deprecated)"),
            Excluded::Filter(why) => f.write_str(why),
        }
    }
}

impl Selection {
    /// Whether any filter is set.
    pub fn is_empty(&self) -> bool {
        self.include_operations.is_empty()
            && self.exclude_operations.is_empty()
            && self.include_tags.is_empty()
            && self.exclude_tags.is_empty()
            && self.include_methods.is_empty()
            && self.exclude_methods.is_empty()
            && self.include_paths.is_empty()
            && self.exclude_paths.is_empty()
    }

    /// Decides one operation. `names` are the names the operation answers to (its
    /// `operationId` and its tool name before namespacing). `hits` records which include
    /// values matched, per kind, for [`Selection::unmatched`].
    pub fn decide(&self, op: &Operation, names: &[&str], root_off: bool, hits: &mut Hits) -> Result<(), Excluded> {
        // Exclude values count as used when they match any operation, whatever else decides it,
        // so that a mistyped exclude (which would leave an operation exposed) is reported.
        let excludes: [(&Vec<String>, &Matcher); 4] = [
            (&self.exclude_operations, &|v| names.contains(&v)),
            (&self.exclude_tags, &|v| op.tags.iter().any(|t| t == v)),
            (&self.exclude_methods, &|v| v.eq_ignore_ascii_case(op.method.as_str())),
            (&self.exclude_paths, &|v| glob(v, &op.path)),
        ];
        for (k, (values, matches)) in excludes.iter().enumerate() {
            for (i, v) in values.iter().enumerate() {
                if matches(v) {
                    hits.0[4 + k].insert(i);
                }
            }
        }
        let mcp_off = |v: Option<&serde_json::Value>| v == Some(&serde_json::Value::Bool(false));
        let op_flag = op.extensions.get("x-mcp");
        let explicit_on = op_flag == Some(&serde_json::Value::Bool(true));
        if !explicit_on && (mcp_off(op_flag) || mcp_off(op.path_extensions.get("x-mcp")) || root_off) {
            return Err(Excluded::Extension);
        }
        let method = op.method.as_str();
        let mut verdict = Ok(());
        let mut check = |kind: usize, values: &[String], matches: &dyn Fn(&str) -> bool, label: &str| {
            if values.is_empty() {
                return;
            }
            let mut any = false;
            for (i, v) in values.iter().enumerate() {
                if matches(v) {
                    hits.0[kind].insert(i);
                    any = true;
                }
            }
            if !any && verdict.is_ok() {
                verdict = Err(Excluded::Filter(format!("not matched by {label}")));
            }
        };
        check(0, &self.include_operations, &|v| names.contains(&v), "--include-operation");
        check(1, &self.include_tags, &|v| op.tags.iter().any(|t| t == v), "--include-tag");
        check(2, &self.include_methods, &|v| v.eq_ignore_ascii_case(method), "--include-method");
        check(3, &self.include_paths, &|v| glob(v, &op.path), "--include-path");
        verdict?;
        if let Some(v) = self.exclude_operations.iter().find(|v| names.contains(&v.as_str())) {
            return Err(Excluded::Filter(format!("--exclude-operation {v}")));
        }
        if let Some(v) = self.exclude_tags.iter().find(|v| op.tags.contains(v)) {
            return Err(Excluded::Filter(format!("--exclude-tag {v}")));
        }
        if let Some(v) = self.exclude_methods.iter().find(|v| v.eq_ignore_ascii_case(method)) {
            return Err(Excluded::Filter(format!("--exclude-method {v}")));
        }
        if let Some(v) = self.exclude_paths.iter().find(|v| glob(v, &op.path)) {
            return Err(Excluded::Filter(format!("--exclude-path {v}")));
        }
        if op.deprecated && !self.include_deprecated && !hits_by_name(&self.include_operations, names) {
            return Err(Excluded::Deprecated);
        }
        Ok(())
    }

    /// Include and exclude values that matched no operation at all, as `(flag, value)`.
    pub fn unmatched(&self, hits: &Hits) -> Vec<(&'static str, String)> {
        let kinds: [(&'static str, &Vec<String>); 8] = [
            ("--include-operation", &self.include_operations),
            ("--include-tag", &self.include_tags),
            ("--include-method", &self.include_methods),
            ("--include-path", &self.include_paths),
            ("--exclude-operation", &self.exclude_operations),
            ("--exclude-tag", &self.exclude_tags),
            ("--exclude-method", &self.exclude_methods),
            ("--exclude-path", &self.exclude_paths),
        ];
        let mut out = Vec::new();
        for (k, (flag, values)) in kinds.iter().enumerate() {
            for (i, v) in values.iter().enumerate() {
                if !hits.0[k].contains(&i) {
                    out.push((*flag, v.clone()));
                }
            }
        }
        out
    }
}

fn hits_by_name(include: &[String], names: &[&str]) -> bool {
    include.iter().any(|v| names.contains(&v.as_str()))
}

/// Whether a filter value matches the operation being decided.
type Matcher<'a> = dyn Fn(&str) -> bool + 'a;

/// Which include and exclude values matched something.
#[derive(Debug, Default)]
pub struct Hits([std::collections::HashSet<usize>; 8]);

/// Matches a path against a pattern: `*` within a segment, `**` across segments.
pub fn glob(pattern: &str, path: &str) -> bool {
    fn go(p: &[u8], s: &[u8]) -> bool {
        match p.first() {
            None => s.is_empty(),
            Some(b'*') if p.get(1) == Some(&b'*') => {
                let rest = &p[2..];
                (0..=s.len()).any(|i| go(rest, &s[i..]))
            }
            Some(b'*') => {
                let rest = &p[1..];
                let mut i = 0;
                loop {
                    if go(rest, &s[i..]) {
                        return true;
                    }
                    if i == s.len() || s[i] == b'/' {
                        return false;
                    }
                    i += 1;
                }
            }
            Some(c) => s.first() == Some(c) && go(&p[1..], &s[1..]),
        }
    }
    go(pattern.as_bytes(), path.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn globs() {
        assert!(glob("/pets/*", "/pets/{id}"));
        assert!(!glob("/pets/*", "/pets/{id}/photos"));
        assert!(glob("/pets/**", "/pets/{id}/photos"));
        assert!(glob("/pets**", "/pets"));
        assert!(glob("**/photos", "/pets/{id}/photos"));
        assert!(!glob("/users/*", "/pets/1"));
        assert!(glob("/a/*/c", "/a/b/c"));
    }
}
