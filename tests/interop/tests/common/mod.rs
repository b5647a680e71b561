//! Helpers shared by the real-client tests (`clients.rs`, `fastapi_gateway.rs`): running the
//! SDK clients of `tests/interop/clients/` and reading what they print.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::{Value, json};
use toolgate_interop::{here, run, tools_dir};

/// Longest a single client run may take (the demo's `stream_report` call alone takes ~2 s).
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(60);

/// The pinned Node 22 from `setup.sh`.
pub fn node() -> PathBuf {
    installed("bin/node")
}

/// The Python of the venv with the `mcp` SDK.
pub fn mcp_python() -> PathBuf {
    installed("venv/bin/python")
}

/// A file of the install dir; panics with a hint when `setup.sh` did not install it.
pub fn installed(rel: &str) -> PathBuf {
    let p = tools_dir().join(rel);
    assert!(p.exists(), "{} is missing: run tests/interop/setup.sh", p.display());
    p
}

/// `python clients/py_client.py --mode MODE` (add `--url`/`--stdio` and the rest).
pub fn py_client(mode: &str) -> Command {
    let mut c = Command::new(mcp_python());
    c.arg(here().join("clients/py_client.py")).arg("--mode").arg(mode);
    c
}

/// `node clients/ts_client.mjs --sdk SDK --mode MODE`.
pub fn ts_client(sdk: &str, mode: &str) -> Command {
    let mut c = Command::new(node());
    c.arg(here().join("clients/ts_client.mjs")).args(["--sdk", sdk, "--mode", mode]);
    c
}

/// What an SDK client run printed.
#[derive(Debug)]
pub struct ClientRun {
    /// The final JSON object.
    pub json: Value,
    /// The tool definitions printed with `--list`.
    pub tools: Vec<Value>,
    /// The exit status.
    pub code: Option<i32>,
    /// Command, exit status, stdout and stderr, for assertion messages.
    pub transcript: String,
}

impl ClientRun {
    /// The call's result (`content`, `structuredContent`, `isError`), if it returned one.
    pub fn result(&self) -> Option<&Value> {
        self.json.get("result").filter(|r| !r.is_null())
    }

    /// The protocol-level error, if the client reported one.
    pub fn error(&self) -> Option<&str> {
        self.json.get("error").and_then(Value::as_str)
    }

    /// Checks the exit status against what the client printed: 0 for success, 1 for an
    /// `isError` result or an error.
    pub fn check_exit(&self) {
        let failed = self.error().is_some() || self.result().is_some_and(|r| r["isError"] == json!(true));
        let want = if failed { 1 } else { 0 };
        assert_eq!(self.code, Some(want), "unexpected exit status\n{}", self.transcript);
    }
}

/// Runs a client command (with the timeout) and parses its output.
pub fn run_client(cmd: Command) -> ClientRun {
    let what = format!("{cmd:?}");
    let out = run(cmd, CLIENT_TIMEOUT);
    let t = transcript(&what, &out);
    let json = last_json_line(&out.stdout).unwrap_or_else(|| panic!("no JSON result line\n{t}"));
    let tools = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v.get("inputSchema").is_some())
        .collect();
    ClientRun { json, tools, code: out.status.code(), transcript: t }
}

/// Command, exit status, stdout and stderr of a finished process, for assertion messages.
pub fn transcript(what: &str, out: &Output) -> String {
    format!(
        "{what}\nexit: {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The last line of `text` that parses as a JSON object.
pub fn last_json_line(text: &[u8]) -> Option<Value> {
    String::from_utf8_lossy(text)
        .lines()
        .rev()
        .filter(|l| l.trim_start().starts_with('{'))
        .find_map(|l| serde_json::from_str(l).ok())
}

/// The text of a result's text blocks, joined with newlines.
pub fn text_of(result: &Value) -> String {
    result["content"]
        .as_array()
        .map(|blocks| {
            blocks
                .iter()
                .filter(|b| b["type"] == "text")
                .filter_map(|b| b["text"].as_str())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

/// JSON equality that treats `2` and `2.0` alike (JavaScript prints whole floats as integers;
/// Python keeps the `.0`).
pub fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_json(a, b)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => a == b,
    }
}
