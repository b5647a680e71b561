//! GitHub's REST API description for the benchmarks: `generated/api.github.com.json` from the
//! npm package `@octokit/openapi` (the full description, with `$ref`s; the `.deref.json` next
//! to it is the same document inlined). Downloaded with `npm pack` into `target/bench-data/`
//! on first use, never committed.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The pinned package version.
pub const VERSION: &str = "23.0.2";

/// The path of the document, downloading the package first if needed.
pub fn github_description() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-data");
    let doc = dir.join(format!("octokit-openapi-{VERSION}/generated/api.github.com.json"));
    if doc.exists() {
        return doc;
    }
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let tgz = format!("octokit-openapi-{VERSION}.tgz");
    if !dir.join(&tgz).exists() {
        let ok = Command::new("npm")
            .args(["pack", &format!("@octokit/openapi@{VERSION}"), "--silent"])
            .current_dir(&dir)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "`npm pack @octokit/openapi@{VERSION}` failed (is npm installed and the registry reachable?)");
    }
    let out = dir.join(format!("octokit-openapi-{VERSION}"));
    std::fs::create_dir_all(&out).unwrap_or_else(|e| panic!("{}: {e}", out.display()));
    let ok = Command::new("tar")
        .args(["xzf", &format!("../{tgz}"), "--strip-components=1", "package/generated/api.github.com.json"])
        .current_dir(&out)
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok && doc.exists(), "could not unpack {tgz}");
    doc
}
