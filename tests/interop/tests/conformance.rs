//! The official MCP conformance suite against toolgate, in every protocol era it serves.
//!
//! Each test starts the conformance fixture (`src/bin/conformance_server.rs`, built by cargo for
//! this test) on a free port and runs `tests/interop/conformance.sh` with the era's
//! expected-failures baseline (`tests/interop/conformance/<era>.yml`). The suite exits 0 only
//! when every scenario passes or fails as listed, and fails on a listed scenario that now passes.
//!
//! Needs the tools `tests/interop/setup.sh` installs (Node 22 and the pinned suites); without
//! them the tests fail with a hint rather than skip.

use std::process::Command;
use std::time::Duration;

use toolgate_interop::{Proc, free_port, here, run, tools_dir};

/// Starts the fixture, runs one era of the suite against it, and fails with the end of the
/// suite's output unless it exits 0.
fn conformance(era: &str) {
    let tools = tools_dir();
    let port = free_port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_conformance-server"));
    server.args(["--port", &port.to_string()]);
    let _server = Proc::server(server, &format!("conformance-server-{era}"), port);

    let baseline = here().join("conformance").join(format!("{era}.yml"));
    let mut cmd = Command::new(here().join("conformance.sh"));
    cmd.arg(format!("http://127.0.0.1:{port}/mcp"))
        .arg(era)
        .arg("--expected-failures")
        .arg(&baseline)
        .env("TOOLGATE_INTEROP_DIR", &tools);
    let out = run(cmd, Duration::from_secs(600));

    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let tally = stderr.lines().rev().find(|l| l.starts_with("conformance.sh:")).unwrap_or("(no tally)");
    println!("{tally}");
    // The suite's SUMMARY (per-scenario marks, then which failures were unexpected) and our
    // tally; without a SUMMARY (a crash, a setup error), the last lines of everything.
    let tail = match stdout.find("=== SUMMARY ===") {
        Some(i) => format!("{}\n{stderr}", &stdout[i..]),
        None => {
            let lines: Vec<&str> = stdout.lines().chain(stderr.lines()).collect();
            lines[lines.len().saturating_sub(80)..].join("\n")
        }
    };
    assert!(
        out.status.success(),
        "the {era} conformance suite failed ({}); baseline {}\n--- end of its output ---\n{tail}\n---",
        out.status,
        baseline.display()
    );
}

/// Legacy era (sessions, 2025-06-18 / 2025-11-25): conformance 0.1.16, active suite.
#[test]
fn conformance_legacy() {
    conformance("legacy");
}

/// 2026-07-28 (stateless): conformance 0.2.0-alpha.12 `--requirements 2026-07-28`.
#[test]
fn conformance_modern() {
    conformance("modern");
}

/// Legacy era as the newer suite checks it: 0.2.0-alpha.12 `--requirements 2025-11-25`.
#[test]
fn conformance_legacy_2025_11_25() {
    conformance("legacy-2025-11-25");
}
