//! Helpers for the interop tests: where the installed tools are, free ports, child processes
//! that are killed when the test ends.
//!
//! The tools (Node 22, the conformance suite, the Inspector, the TypeScript SDKs, a Python venv
//! with `mcp`) are installed by `tests/interop/setup.sh`, which `scripts/test` runs first.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // test support: failing loudly is the point

pub mod mcp;

use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap_or_else(|_| PathBuf::from("../.."))
}

/// This folder (`tests/interop`).
pub fn here() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Where `setup.sh` installed the tools. Panics with a hint when they are not installed.
pub fn tools_dir() -> PathBuf {
    let dir = std::env::var_os("TOOLGATE_INTEROP_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/toolgate-interop"));
    assert!(
        dir.join("versions.txt").exists(),
        "the interop tools are not installed in {}: run tests/interop/setup.sh (scripts/test does it)",
        dir.display()
    );
    dir
}

/// The cargo target directory.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| repo().join("target"))
}

/// A binary of the workspace, built by `cargo build` (debug). Panics with a hint when missing.
pub fn workspace_bin(name: &str) -> PathBuf {
    let p = target_dir().join("debug").join(name);
    assert!(
        p.exists(),
        "{} is missing: run `cargo build --workspace --bins` first (scripts/test does it)",
        p.display()
    );
    p
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or(0)
}

/// Waits until something accepts connections on `127.0.0.1:port`.
pub fn wait_for_port(port: u16, timeout: Duration) -> bool {
    let end = Instant::now() + timeout;
    while Instant::now() < end {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// A child process killed (with its process group) when dropped.
pub struct Proc {
    child: Child,
    /// What was started, for messages.
    pub what: String,
}

impl Proc {
    /// Starts a command in its own process group, stdout/stderr to a log file under target/.
    pub fn spawn(mut cmd: Command, what: &str) -> Proc {
        use std::os::unix::process::CommandExt;
        let log_dir = target_dir().join("interop-logs");
        let _ = std::fs::create_dir_all(&log_dir);
        let log = std::fs::File::create(log_dir.join(format!("{}.log", what.replace(['/', ' '], "_"))));
        match log.and_then(|f| Ok((f.try_clone()?, f))) {
            Ok((a, b)) => {
                cmd.stdout(a).stderr(b);
            }
            Err(_) => {
                cmd.stdout(Stdio::null()).stderr(Stdio::null());
            }
        }
        cmd.process_group(0);
        let child = cmd.spawn().unwrap_or_else(|e| panic!("could not start {what}: {e}"));
        Proc { child, what: what.to_owned() }
    }

    /// Starts a server and waits for its port.
    pub fn server(cmd: Command, what: &str, port: u16) -> Proc {
        let p = Proc::spawn(cmd, what);
        assert!(wait_for_port(port, Duration::from_secs(30)), "{what} did not listen on port {port}");
        p
    }

    /// The process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        kill_group("TERM", self.child.id());
        let end = Instant::now() + Duration::from_secs(3);
        while Instant::now() < end {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        kill_group("KILL", self.child.id());
        let _ = self.child.wait();
    }
}

/// Sends a signal to the process group `pgid` (a child started with `process_group(0)`).
///
/// The `--` matters: procps-ng 4.0.2's `kill -TERM -1234` calls `kill(-1, SIGTERM)`, which
/// signals every process the user may signal, the test runner included.
fn kill_group(signal: &str, pgid: u32) {
    if pgid > 1 {
        let _ = Command::new("kill").args(["-s", signal, "--", &format!("-{pgid}")]).status();
    }
}

/// Runs a command to completion with a timeout; returns its output.
pub fn run(mut cmd: Command, timeout: Duration) -> Output {
    use std::os::unix::process::CommandExt;
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).process_group(0);
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("could not start {cmd:?}: {e}"));
    // Both pipes are drained while the child runs: a child that writes more than a pipe holds
    // (~64 KiB) would otherwise block until the timeout.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            buf
        })
    };
    let out = drain(child.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let err = drain(child.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let end = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() > end => {
                kill_group("KILL", child.id());
                break child.wait().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => panic!("{cmd:?}: {e}"),
        }
    };
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    Output { status, stdout, stderr }
}

/// The last line of stdout parsed as JSON (the clients' result format).
pub fn last_json(out: &Output) -> serde_json::Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().rev().find(|l| l.trim_start().starts_with('{')).unwrap_or("");
    serde_json::from_str(line).unwrap_or_else(|e| {
        panic!("no JSON result ({e}).\nstdout:\n{stdout}\nstderr:\n{}", String::from_utf8_lossy(&out.stderr))
    })
}

/// Reads lines of a child's stdout until one matches.
pub fn read_until(reader: &mut impl BufRead, pred: impl Fn(&str) -> bool) -> Option<String> {
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        if pred(&line) {
            return Some(line.clone());
        }
    }
}

/// A `BufReader` over a child's stdout (for `read_until`).
pub fn stdout_reader(child: &mut Child) -> Option<BufReader<std::process::ChildStdout>> {
    child.stdout.take().map(BufReader::new)
}
