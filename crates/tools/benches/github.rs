//! Converts GitHub's REST API description (≈1,200 operations, 13 MB of JSON) into tools.
//!
//! ```sh
//! cargo bench -p toolgate-tools --bench github
//! ```
//!
//! Peak memory is measured separately (one process, one conversion) by the `github_rss` bench.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod support;

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use toolgate_openapi::LoadOptions;
use toolgate_tools::{Toolset, ToolsetOptions};

fn github(c: &mut Criterion) {
    let path = support::github_description();
    let text = std::fs::read_to_string(&path).unwrap();
    let opts = LoadOptions::default();
    let api = toolgate_openapi::load_str(&text, &opts).unwrap();
    let set = Toolset::build(&api, &ToolsetOptions::default()).unwrap();
    eprintln!(
        "{}: {} operations, {} tools, {} skipped, {} named schemas",
        path.display(),
        api.operations.len(),
        set.len(),
        set.skipped().len(),
        api.schemas.len()
    );
    let value = toolgate_openapi::parse(&text, "github").unwrap();

    let mut g = c.benchmark_group("github");
    g.sample_size(10).measurement_time(Duration::from_secs(15)).warm_up_time(Duration::from_secs(2));
    // What `toolgate tools --openapi FILE` does: read, parse, load, build.
    g.bench_function("load_file_and_build", |b| {
        b.iter(|| {
            let api = toolgate_openapi::load_file(black_box(&path), &opts).unwrap();
            Toolset::build(&api, &ToolsetOptions::default()).unwrap()
        })
    });
    g.bench_function("load_file", |b| b.iter(|| toolgate_openapi::load_file(black_box(&path), &opts).unwrap()));
    // The public parser keeps the whole document (`load_file` leaves out what it never reads).
    g.bench_function("parse_json", |b| b.iter(|| toolgate_openapi::parse(black_box(&text), "github").unwrap()));
    g.bench_function("load_value", |b| {
        b.iter_batched(
            || value.clone(),
            |v| toolgate_openapi::load_value(v, &opts).unwrap(),
            criterion::BatchSize::LargeInput,
        )
    });
    g.bench_function("build", |b| b.iter(|| Toolset::build(black_box(&api), &ToolsetOptions::default()).unwrap()));
    g.finish();
}

criterion_group!(benches, github);
criterion_main!(benches);
