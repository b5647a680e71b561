#!/usr/bin/env node
// MCP interop client built on the official TypeScript SDKs, installed by tests/interop/setup.sh:
//   --sdk v1  @modelcontextprotocol/sdk 1.32.2     legacy era only (initialize, up to 2025-11-25)
//   --sdk v2  @modelcontextprotocol/client 2.4.0   legacy and 2026-07-28 (default)
//
// Same flags and output as py_client.py. Connects, lists tools, optionally calls one and prints
// one final JSON object on stdout:
//   {"client":"ts-sdk-v2/2.4.0","mode":"auto","protocol_version":"2026-07-28","era":"modern",
//    "server_info":{...},"tools":["add"],"result":{"content":[...],"structuredContent":...,"isError":false},
//    "call_seconds":0.01,"progress":[{"t":0.01,"time":"...Z","progress":1,"total":3,"message":"..."}]}
// --list prints every tool definition first, one JSON object per line. Diagnostics go to stderr.
//
// Usage:
//   node ts_client.mjs --url http://127.0.0.1:8080/mcp [--bearer TOKEN] [--header 'K: V']...
//   node ts_client.mjs --stdio "path/to/server --flag" [--env K=V]...
//   node ts_client.mjs --sdk v1 --ws ws://127.0.0.1:8090/ws   (v1's WebSocketClientTransport: subprotocol
//                                                               `mcp`, text frames; no headers, so no --bearer)
//   common: [--sdk v1|v2] [--mode auto|legacy|2026-07-28] [--list] [--call NAME [--args JSON]]
//           [--progress] [--expect-error] [--timeout SECONDS]
//
// --mode (v2 only; v1 accepts only legacy): auto (default) probes server/discover and falls back to
// initialize; legacy is the SDK's own default; 2026-07-28 pins the stateless era. Passed to the SDK as
// ClientOptions.versionNegotiation.
//
// Exit status: 0 on success; 1 when connecting/listing/calling fails, when the call returned isError
// (or, with --expect-error, when it did NOT); 2 on usage errors.
//
// The SDKs are loaded from ${TOOLGATE_INTEROP_DIR:-~/.cache/toolgate-interop}/tools through its load.mjs
// (ESM resolves bare imports from the importing file, and this file lives in the repo). Works on Node >= 20.
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const MODES = ["auto", "legacy", "2026-07-28"];

function usage(msg) {
  console.error(`ts_client: ${msg}\nsee the header of ${process.argv[1]} for usage`);
  process.exit(2);
}

let opts;
try {
  ({ values: opts } = parseArgs({
    options: {
      url: { type: "string" },
      stdio: { type: "string" },
      ws: { type: "string" },
      sdk: { type: "string", default: "v2" },
      mode: { type: "string" },
      bearer: { type: "string" },
      header: { type: "string", multiple: true, default: [] },
      env: { type: "string", multiple: true, default: [] },
      list: { type: "boolean", default: false },
      call: { type: "string" },
      args: { type: "string", default: "{}" },
      progress: { type: "boolean", default: false },
      "expect-error": { type: "boolean", default: false },
      timeout: { type: "string", default: "30" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
    allowPositionals: false,
  }));
} catch (e) {
  usage(e.message);
}
if (opts.help) {
  const src = readFileSync(new URL(import.meta.url), "utf8").split("\n");
  console.log(src.slice(1, src.findIndex((l) => l.startsWith("import"))).map((l) => l.replace(/^\/\/ ?/, "")).join("\n"));
  process.exit(0);
}
if ([opts.url, opts.stdio, opts.ws].filter(Boolean).length !== 1) usage("give exactly one of --url, --stdio or --ws");
if (opts.ws && opts.sdk !== "v1") usage("--ws needs --sdk v1 (only SDK v1 ships a WebSocket client transport)");
if (opts.ws && (opts.bearer || opts.header.length)) usage("--bearer/--header apply to --url only");
if (!["v1", "v2"].includes(opts.sdk)) usage(`--sdk must be v1 or v2, got ${opts.sdk}`);
const mode = opts.mode ?? (opts.sdk === "v1" ? "legacy" : "auto");
if (!MODES.includes(mode)) usage(`--mode must be one of ${MODES.join("|")}, got ${mode}`);
if (opts.sdk === "v1" && mode !== "legacy") usage("--sdk v1 speaks the legacy era only (use --sdk v2 for --mode auto|2026-07-28)");
if ((opts["expect-error"] || opts.progress) && !opts.call) usage("--expect-error and --progress need --call");
if (opts.stdio && (opts.bearer || opts.header.length)) usage("--bearer/--header apply to --url only");
let toolArgs;
try {
  toolArgs = JSON.parse(opts.args);
} catch (e) {
  usage(`--args is not valid JSON: ${e.message}`);
}
if (toolArgs === null || typeof toolArgs !== "object" || Array.isArray(toolArgs)) usage("--args must be a JSON object");
const timeoutMs = Math.round(Number(opts.timeout) * 1000);
if (!(timeoutMs > 0)) usage(`bad --timeout ${opts.timeout}`);

// Minimal POSIX-shell-like split for --stdio: whitespace, '...', "...", backslash escapes.
function shellSplit(line) {
  const out = [];
  let cur = "", have = false, quote = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote === "'") { if (c === "'") quote = null; else cur += c; continue; }
    if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === "\\" && i + 1 < line.length && '"\\$`'.includes(line[i + 1])) cur += line[++i];
      else cur += c;
      continue;
    }
    if (c === "'" || c === '"') { quote = c; have = true; }
    else if (c === "\\" && i + 1 < line.length) { cur += line[++i]; have = true; }
    else if (/\s/.test(c)) { if (have) out.push(cur); cur = ""; have = false; }
    else { cur += c; have = true; }
  }
  if (quote) usage(`unterminated ${quote} in --stdio`);
  if (have) out.push(cur);
  return out;
}

// ---- load the pinned SDK from the install dir ----------------------------------------------
const installDir = process.env.TOOLGATE_INTEROP_DIR || path.join(os.homedir(), ".cache", "toolgate-interop");
const toolsDir = path.join(installDir, "tools");
let load;
try {
  ({ load } = await import(pathToFileURL(path.join(toolsDir, "load.mjs")).href));
} catch (e) {
  console.error(`ts_client: cannot load ${toolsDir}/load.mjs (${e.code ?? e.message}); run tests/interop/setup.sh first`);
  process.exit(2);
}
const pkgName = opts.sdk === "v1" ? "@modelcontextprotocol/sdk" : "@modelcontextprotocol/client";
const pkgVersion = JSON.parse(readFileSync(path.join(toolsDir, "node_modules", pkgName, "package.json"), "utf8")).version;

let Client, StreamableHTTPClientTransport, StdioClientTransport, getDefaultEnvironment, WebSocketClientTransport;
if (opts.sdk === "v1") {
  ({ Client } = await load("@modelcontextprotocol/sdk/client/index.js"));
  ({ WebSocketClientTransport } = await load("@modelcontextprotocol/sdk/client/websocket.js"));
  ({ StreamableHTTPClientTransport } = await load("@modelcontextprotocol/sdk/client/streamableHttp.js"));
  ({ StdioClientTransport, getDefaultEnvironment } = await load("@modelcontextprotocol/sdk/client/stdio.js"));
} else {
  ({ Client, StreamableHTTPClientTransport } = await load("@modelcontextprotocol/client"));
  ({ StdioClientTransport, getDefaultEnvironment } = await load("@modelcontextprotocol/client/stdio"));
}

// ---- transport -----------------------------------------------------------------------------
let transport;
if (opts.ws) {
  transport = new WebSocketClientTransport(new URL(opts.ws));
} else if (opts.url) {
  const headers = {};
  for (const h of opts.header) {
    const i = h.indexOf(":");
    if (i <= 0) usage(`bad --header ${JSON.stringify(h)}, expected 'Name: value'`);
    headers[h.slice(0, i).trim()] = h.slice(i + 1).trim();
  }
  if (opts.bearer) headers.Authorization = `Bearer ${opts.bearer}`;
  transport = new StreamableHTTPClientTransport(new URL(opts.url), { requestInit: { headers } });
} else {
  const [command, ...args] = shellSplit(opts.stdio);
  if (!command) usage("empty --stdio command");
  const env = { ...(getDefaultEnvironment ? getDefaultEnvironment() : {}) };
  for (const kv of opts.env) {
    const i = kv.indexOf("=");
    if (i <= 0) usage(`bad --env ${JSON.stringify(kv)}, expected KEY=VALUE`);
    env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  transport = new StdioClientTransport({ command, args, env, stderr: "inherit" });
}

// v1 reports the negotiated version only to the transport: record it on the way through.
let negotiatedV1;
if (opts.sdk === "v1") {
  const orig = transport.setProtocolVersion?.bind(transport);
  transport.setProtocolVersion = (v) => { negotiatedV1 = v; orig?.(v); };
}

const clientInfo = { name: `toolgate-interop-ts-${opts.sdk}`, version: "1.0.0" };
const client = opts.sdk === "v1"
  ? new Client(clientInfo)
  : new Client(clientInfo, { versionNegotiation: { mode: mode === "2026-07-28" ? { pin: mode } : mode } });

const out = {
  client: `ts-sdk-${opts.sdk}/${pkgVersion}`,
  mode,
  protocol_version: null,
  era: null,
  server_info: null,
  tools: [],
  result: null,
};
const progress = [];
let rc = 0;

try {
  await client.connect(transport, { timeout: timeoutMs });
  if (opts.sdk === "v1") {
    out.protocol_version = negotiatedV1 ?? transport.protocolVersion ?? null;
    out.era = "legacy";
  } else {
    out.protocol_version = client.getNegotiatedProtocolVersion?.() ?? null;
    out.era = client.getProtocolEra?.() ?? null;
  }
  out.server_info = client.getServerVersion?.() ?? null;
  console.error(`# connected: protocol_version=${out.protocol_version} era=${out.era} server_info=${JSON.stringify(out.server_info)}`);

  const tools = [];
  let cursor;
  do {
    const page = await client.listTools(cursor ? { cursor } : undefined, { timeout: timeoutMs });
    tools.push(...page.tools);
    cursor = page.nextCursor;
  } while (cursor);
  out.tools = tools.map((t) => t.name);
  if (opts.list) for (const t of tools) console.log(JSON.stringify(t));

  if (opts.call) {
    const started = performance.now();
    const reqOpts = { timeout: timeoutMs };
    if (opts.progress) {
      out.progress = progress;
      reqOpts.onprogress = (p) => {
        const ev = {
          t: Math.round(performance.now() - started) / 1000,
          time: new Date().toISOString(),
          progress: p.progress,
          total: p.total ?? null,
          message: p.message ?? null,
        };
        progress.push(ev);
        console.error(`# progress ${JSON.stringify(ev)}`);
      };
    }
    const params = { name: opts.call, arguments: toolArgs };
    const res = opts.sdk === "v1"
      ? await client.callTool(params, undefined, reqOpts)
      : await client.callTool(params, reqOpts);
    out.call_seconds = Math.round(performance.now() - started) / 1000;
    out.result = {
      content: res.content ?? [],
      structuredContent: res.structuredContent ?? null,
      isError: res.isError === true,
    };
    if (opts["expect-error"] && !out.result.isError) {
      console.error("ts_client: expected isError=true, the call succeeded");
      rc = 1;
    } else if (!opts["expect-error"] && out.result.isError) {
      console.error("ts_client: the tool call returned isError=true");
      rc = 1;
    }
  }
} catch (e) {
  out.error = `${e?.name ?? "Error"}: ${e?.message ?? e}`;
  console.error(`ts_client: ${out.error}`);
  rc = 1;
} finally {
  try {
    if (opts.url && transport.sessionId) await transport.terminateSession(); // DELETE; 405 is allowed
  } catch { /* ignore */ }
  try { await client.close(); } catch { /* ignore */ }
}
console.log(JSON.stringify(out));
// Exit once stdout has drained: process.exit() right away cuts a piped stdout at ~64 KiB
// (a long --list would lose its end).
process.stdout.write("", () => process.exit(rc));
