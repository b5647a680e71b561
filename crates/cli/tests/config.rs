//! `toolgate check --config` and `toolgate serve --config`: precise errors (file, line, column),
//! tool counts and name clashes; a gateway from a file in front of a real HTTP API, reloaded when
//! the file changes and on SIGHUP.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const PETSTORE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/openapi/petstore-3.1.json");
const PETSTORE_30: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/openapi/petstore-3.0.yaml");

fn dir(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("config-tests").join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn check(file: &Path, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_toolgate"));
    cmd.arg("check").arg("--config").arg(file).env("TOOLGATE_LOG", "warn");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn out(o: &Output) -> (String, String) {
    (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
}

#[test]
fn check_reports_tools_per_mount() {
    let d = dir("ok");
    let f = write(
        &d,
        "gw.toml",
        &format!(
            r#"
[[mount]]
openapi = "{PETSTORE}"
namespace = "pets"
upstream = "http://127.0.0.1:9/v31"
exclude_operations = ["deleteUser"]
[mount.credentials]
api_key = "${{PET_KEY}}"

[[mount]]
name = "old"
openapi = "{PETSTORE_30}"
upstream = "http://127.0.0.1:9/v3"
namespace = "v3"
include_tags = ["store"]
"#
        ),
    );
    let o = check(&f, &[("PET_KEY", "k")]);
    let (stdout, stderr) = out(&o);
    assert_eq!(o.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("mount #1 `pets`: 12 tools from"), "{stdout}");
    assert!(stdout.contains("skipped DELETE /user/{username} (deleteUser)"), "{stdout}");
    assert!(stdout.contains("mount #2 `old`: 4 tools from"), "{stdout}");
    assert!(stdout.contains("OK: 16 tools from 2 mounts"), "{stdout}");
}

#[test]
fn check_errors_say_file_line_and_column() {
    let d = dir("errors");
    let cases: Vec<(&str, String, &str)> = vec![
        ("syntax", "listen = \"127.0.0.1:8080\"\n[[mount]\nopenapi = \"x\"\n".into(), ":2:"),
        (
            "unknown-key",
            format!("[[mount]]\nopenapi = \"{PETSTORE}\"\nupstrem = \"http://x\"\n"),
            ":3:1: unknown field `upstrem`, expected one of",
        ),
        ("unknown-top-key", "listen = \"127.0.0.1:1\"\nlisten_on = 1\n".into(), ":2:1: unknown field `listen_on`"),
        (
            "unset-env",
            format!("[[mount]]\nopenapi = \"{PETSTORE}\"\n[mount.credentials]\napi_key = \"${{NO_SUCH_VAR_HERE}}\"\n"),
            ":4:11: environment variable `NO_SUCH_VAR_HERE` is not set",
        ),
        ("bad-listen", "listen = \"localhost\"\n".into(), ":1:10: "),
        (
            "no-scheme",
            format!("[[mount]]\nopenapi = \"{PETSTORE}\"\n[mount.credentials]\nbearer = \"t\"\n"),
            ":4:10: mount #1 (",
        ),
        ("missing-doc", "[[mount]]\nopenapi = \"nowhere.json\"\n".into(), ":1:1: mount #1 (nowhere.json): "),
    ];
    for (name, text, want) in cases {
        let f = write(&d, &format!("{name}.toml"), &text);
        let o = check(&f, &[]);
        let (stdout, stderr) = out(&o);
        assert_eq!(o.status.code(), Some(1), "{name}: {stdout}\n{stderr}");
        let expected = format!("{}{want}", f.display());
        assert!(stderr.contains(&expected), "{name}: want `{expected}` in:\n{stderr}");
    }
    // The scheme error lists the schemes the document has.
    let o = check(&d.join("no-scheme.toml"), &[]);
    assert!(out(&o).1.contains("no security scheme `bearer` (it has: petstore_auth, api_key)"), "{}", out(&o).1);
}

#[test]
fn check_reports_a_name_used_by_two_mounts_with_both_operations() {
    let d = dir("clash");
    let f = write(
        &d,
        "gw.toml",
        &format!(
            "[[mount]]\nopenapi = \"{PETSTORE}\"\nupstream = \"http://127.0.0.1:9/a\"\n\
             [[mount]]\nopenapi = \"{PETSTORE}\"\nupstream = \"http://127.0.0.1:9/b\"\n"
        ),
    );
    let o = check(&f, &[]);
    let (stdout, stderr) = out(&o);
    assert_eq!(o.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("tool name `addPet` is used by both POST /pet (addPet) (at http://127.0.0.1:9/a) and POST /pet (addPet) (at http://127.0.0.1:9/b)"),
        "{stderr}"
    );
}

// ---------------------------------------------------------------------------------------------
// serve --config in front of a real API, with reloads.

/// The shop API over HTTP on a free port, on its own runtime thread; returns its base URL and
/// its OpenAPI document.
fn start_shop() -> (String, Value) {
    let (router, openapi) = toolgate_shop::app();
    let doc = serde_json::to_value(&openapi).unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, router).await.unwrap();
        });
    });
    (format!("http://{addr}"), doc)
}

/// The shop over HTTP and a gateway file in front of it: `top` goes before the `[[mount]]`
/// (settings and sections), `mount` inside it. Returns the file's directory, the file and the
/// port the gateway will listen on.
fn shop_gateway_file(name: &str, top: &str, mount: &str) -> (PathBuf, PathBuf, u16) {
    let (base, doc) = start_shop();
    let d = dir(name);
    write(&d, "shop.json", &doc.to_string());
    let port = free_port();
    let text = format!(
        "listen = \"127.0.0.1:{port}\"\n{top}\n[[mount]]\nopenapi = \"shop.json\"\nupstream = \"{base}\"\n{mount}\n"
    );
    let file = write(&d, "gw.toml", &text);
    (d, file, port)
}

/// `toolgate serve --config FILE`, killed when dropped.
struct Gateway {
    child: Child,
    url: String,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn start_gateway(file: &Path, port: u16, env: &[(&str, &str)]) -> Gateway {
    let args = ["--config".to_owned(), file.display().to_string()];
    start_serve(&args, &file.with_extension("log"), port, env)
}

/// `toolgate serve ARGS` listening on `port`, its stderr in `log`.
fn start_serve(args: &[String], log: &Path, port: u16, env: &[(&str, &str)]) -> Gateway {
    let child = Command::new(env!("CARGO_BIN_EXE_toolgate"))
        .arg("serve")
        .args(args)
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap();
    let end = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < end,
            "the gateway did not listen: {}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Gateway { child, url: format!("http://127.0.0.1:{port}/mcp") }
}

/// One 2026-07-28 request (stateless, JSON reply).
fn rpc(url: &str, method: &str, params: Value) -> Value {
    let mut params = params;
    params["_meta"] = json!({"io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {}});
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let mut rb = reqwest::Client::new()
            .post(url)
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", "2026-07-28")
            .header("mcp-method", method);
        if let Some(name) = body["params"]["name"].as_str() {
            rb = rb.header("mcp-name", name);
        }
        let text = rb.json(&body).send().await.unwrap().text().await.unwrap();
        let line = text.lines().filter_map(|l| l.strip_prefix("data:")).next_back().map(str::trim).unwrap_or(&text);
        serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {text}"))
    })
}

fn tool_names(url: &str) -> Vec<String> {
    let r = rpc(url, "tools/list", json!({}));
    r["result"]["tools"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap().to_owned()).collect()
}

fn wait_for_tools(url: &str, want: &[&str]) {
    let end = Instant::now() + Duration::from_secs(15);
    loop {
        let names = tool_names(url);
        if names == want {
            return;
        }
        assert!(Instant::now() < end, "tools stayed {names:?}, want {want:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn serve_from_a_file_calls_the_api_and_reloads() {
    let (base, doc) = start_shop();
    let d = dir("serve");
    write(&d, "shop.json", &doc.to_string());
    let port = free_port();
    let config = |include: &str| {
        format!(
            "listen = \"127.0.0.1:{port}\"\n[server]\ntitle = \"${{SHOP_TITLE}}\"\n\
             [[mount]]\nopenapi = \"shop.json\"\nupstream = \"{base}\"\nnamespace = \"shop\"\n\
             include_operations = [{include}]\nheaders = {{ \"x-from\" = \"gateway\" }}\n"
        )
    };
    let file = write(&d, "gw.toml", &config("\"get_product\""));
    let gw = start_gateway(&file, port, &[("SHOP_TITLE", "Shop")]);
    assert_eq!(tool_names(&gw.url), ["shop_get_product"]);
    let r = rpc(&gw.url, "tools/call", json!({"name": "shop_get_product", "arguments": {"product_id": 42}}));
    assert_eq!(r["result"]["isError"], json!(false), "{r}");
    assert_eq!(r["result"]["structuredContent"]["id"], json!(42), "{r}");

    // The file changes: the new selection is served without a restart.
    std::fs::write(&file, config("\"get_product\", \"get_inventory\"")).unwrap();
    wait_for_tools(&gw.url, &["shop_get_inventory", "shop_get_product"]);
    let r = rpc(&gw.url, "tools/call", json!({"name": "shop_get_inventory", "arguments": {"sku": "W-1"}}));
    assert_eq!(r["result"]["isError"], json!(false), "{r}");

    // A broken file: the old tools stay, and the log says why.
    std::fs::write(&file, config("\"no_such_operation\"")).unwrap();
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(tool_names(&gw.url), ["shop_get_inventory", "shop_get_product"]);
    let log = std::fs::read_to_string(file.with_extension("log")).unwrap();
    assert!(log.contains("reload failed") && log.contains("no_such_operation"), "{log}");
    drop(gw);
}

#[cfg(unix)]
#[test]
fn serve_reloads_on_sighup() {
    let (base, doc) = start_shop();
    let d = dir("sighup");
    let shop = write(&d, "shop.json", &doc.to_string());
    let port = free_port();
    let file = write(
        &d,
        "gw.toml",
        &format!(
            "listen = \"127.0.0.1:{port}\"\nwatch = false\n[[mount]]\nopenapi = \"shop.json\"\nupstream = \"{base}\"\n\
             include_tags = [\"inventory\", \"products\"]\n"
        ),
    );
    let gw = start_gateway(&file, port, &[]);
    assert_eq!(tool_names(&gw.url), ["get_inventory", "get_product", "search"]);
    // Drop `search` from the document; nothing happens until SIGHUP (watch = false).
    let mut doc = doc;
    doc["paths"].as_object_mut().unwrap().remove("/search");
    std::fs::write(&shop, doc.to_string()).unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(tool_names(&gw.url), ["get_inventory", "get_product", "search"]);
    let pid = gw.child.id().to_string();
    assert!(Command::new("kill").args(["-s", "HUP", &pid]).status().unwrap().success());
    wait_for_tools(&gw.url, &["get_inventory", "get_product"]);
}

#[test]
fn serve_applies_the_rate_limit_of_the_file() {
    let (d, file, port) = shop_gateway_file(
        "rate-limit",
        "[rate_limit]\nrate = \"2/minute\"\ntools = { get_inventory = \"none\" }",
        "include_tags = [\"products\", \"inventory\"]",
    );
    let o = check(&file, &[]);
    assert_eq!(o.status.code(), Some(0), "{:?}", out(&o));
    let gw = start_gateway(&file, port, &[]);
    let call = |tool: &str, args: Value| rpc(&gw.url, "tools/call", json!({"name": tool, "arguments": args}));
    for _ in 0..2 {
        assert_eq!(call("get_product", json!({"product_id": 1}))["result"]["isError"], json!(false));
    }
    let r = call("get_product", json!({"product_id": 1}));
    assert_eq!(r["result"]["isError"], json!(true), "{r}");
    assert!(r.to_string().contains("Rate limit exceeded"), "{r}");
    assert_eq!(call("get_inventory", json!({"sku": "A"}))["result"]["isError"], json!(false), "unlimited tool");

    assert_check_refuses(&d, "[rate_limit]\nrate = \"lots\"\n", "[rate_limit]: rate: ");
}

/// `toolgate check` on a file of `text` (in `d`) fails, saying `want`.
fn assert_check_refuses(d: &Path, text: &str, want: &str) {
    let bad = write(d, "bad.toml", text);
    let o = check(&bad, &[]);
    assert_eq!(o.status.code(), Some(1), "{:?}", out(&o));
    assert!(out(&o).1.contains(want), "{:?}", out(&o));
}

#[test]
fn serve_from_a_file_also_over_websocket() {
    use futures::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};

    let (d, file, port) =
        shop_gateway_file("websocket", "websocket = \"/ws\"", "include_operations = [\"get_product\"]");
    let o = check(&file, &[]);
    assert_eq!(o.status.code(), Some(0), "{:?}", out(&o));
    let gw = start_gateway(&file, port, &[]);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let reply = rt.block_on(async {
        let mut req = format!("ws://127.0.0.1:{port}/ws").into_client_request().unwrap();
        req.headers_mut().insert("sec-websocket-protocol", "mcp".parse().unwrap());
        let (mut ws, resp) = tokio_tungstenite::connect_async(req).await.unwrap();
        assert_eq!(resp.headers().get("sec-websocket-protocol").unwrap(), "mcp");
        let meta = json!({"io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": {}});
        let call = json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call",
            "params": {"name": "get_product", "arguments": {"product_id": 42}, "_meta": meta}});
        ws.send(Message::text(call.to_string())).await.unwrap();
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(10), ws.next()).await.unwrap().unwrap().unwrap();
            if let Message::Text(t) = msg {
                let v: Value = serde_json::from_str(&t).unwrap();
                if v["id"] == json!(7) {
                    return v;
                }
            }
        }
    });
    assert_eq!(reply["result"]["isError"], json!(false), "{reply}");
    assert_eq!(reply["result"]["structuredContent"]["id"], json!(42), "{reply}");
    let log = std::fs::read_to_string(file.with_extension("log")).unwrap();
    assert!(log.contains(&format!("MCP over WebSocket ws://127.0.0.1:{port}/ws")), "{log}");
    drop(gw);

    // A path that is not one is refused by check and serve alike, naming the file and the key.
    assert_check_refuses(&d, "websocket = \"ws\"\n", "bad.toml: websocket = \"ws\": the path must start with `/`");
}

#[test]
fn serve_applies_the_rate_limit_a_document_gives_its_tool() {
    let (base, mut doc) = start_shop();
    doc["paths"]["/products/{product_id}"]["get"]["x-mcp-rate-limit"] = json!("1/minute");
    let d = dir("document-rate-limit");
    let shop = write(&d, "shop.json", &doc.to_string());
    let port = free_port();
    let args: Vec<String> = ["--openapi", &shop.display().to_string(), "--upstream", &base, "--listen"]
        .iter()
        .map(|s| s.to_string())
        .chain([format!("127.0.0.1:{port}"), "--rate-limit".into(), "100/minute".into()])
        .collect();
    let gw = start_serve(&args, &d.join("serve.log"), port, &[]);
    let call = |tool: &str, args: Value| rpc(&gw.url, "tools/call", json!({"name": tool, "arguments": args}));
    assert_eq!(call("get_product", json!({"product_id": 1}))["result"]["isError"], json!(false));
    let r = call("get_product", json!({"product_id": 1}));
    assert_eq!(r["result"]["isError"], json!(true), "{r}");
    assert!(r.to_string().contains("Rate limit exceeded"), "{r}");
    // The other tools have the caller-wide 100/minute.
    for _ in 0..3 {
        assert_eq!(call("get_inventory", json!({"sku": "A"}))["result"]["isError"], json!(false));
    }
}
