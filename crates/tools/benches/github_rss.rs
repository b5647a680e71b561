//! Peak memory (VmHWM) and wall time of one conversion of GitHub's REST API description, in a
//! fresh process: `load_file` then `Toolset::build`.
//!
//! ```sh
//! cargo bench -p toolgate-tools --bench github_rss
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod support;

use std::time::Instant;

use toolgate_openapi::LoadOptions;
use toolgate_tools::{Toolset, ToolsetOptions};

fn status_kb(key: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this too: keep it quick.
    let path = support::github_description();
    let before = status_kb("VmHWM:");
    // What `toolgate tools --openapi FILE` does: read, parse (without what the loader never
    // reads), load, build.
    let start = Instant::now();
    let api = toolgate_openapi::load_file(&path, &LoadOptions::default()).unwrap();
    let loaded = start.elapsed();
    let (load_peak, load_rss) = (status_kb("VmHWM:"), status_kb("VmRSS:"));
    let set = Toolset::build(&api, &ToolsetOptions::default()).unwrap();
    let elapsed = start.elapsed();
    let peak = status_kb("VmHWM:");
    let now = status_kb("VmRSS:");
    let schema_bytes: usize = set
        .tools()
        .iter()
        .map(|t| {
            serde_json::to_vec(&*t.def.input_schema).map_or(0, |v| v.len())
                + t.def.output_schema.as_ref().and_then(|o| serde_json::to_vec(&**o).ok()).map_or(0, |v| v.len())
        })
        .sum();
    println!(
        "github_rss: load_file {:.1} ms (peak {:.1} MB, RSS after {:.1} MB); the tools' schemas serialize to {:.1} MB",
        loaded.as_secs_f64() * 1000.0,
        load_peak as f64 / 1024.0,
        load_rss as f64 / 1024.0,
        schema_bytes as f64 / 1_048_576.0
    );
    println!(
        "github_rss: {} operations -> {} tools ({} skipped) in {:.1} ms; peak RSS (VmHWM) {:.1} MB (process start {:.1} MB), RSS after {:.1} MB",
        api.operations.len(),
        set.len(),
        set.skipped().len(),
        elapsed.as_secs_f64() * 1000.0,
        peak as f64 / 1024.0,
        before as f64 / 1024.0,
        now as f64 / 1024.0,
    );
    drop((set, api));
}
