#!/usr/bin/env python3
"""toolgate benchmark orchestrator (stdlib only). Run it through `bench/run.sh`.

One run starts every server fresh, measures it and stops it, interleaving the servers
(run 1 of all, run 2 of all, ...), then writes bench/RESULTS.md and bench/RESULTS.json.

Environment knobs:
  RUNS=3 DURATION=10 WARMUP=2 CONCURRENCY=1,32   load points (seconds per point)
  QUICK=1                 sanity run: RUNS=1 DURATION=3 WARMUP=1, 2,000 sessions, fewer list samples
  SESSIONS=10000          idle legacy sessions opened for the memory-per-session row
  ONLY=a,b                only these servers / extras (names as in the table, plus
                          github, sessions)
  SERVER_CPU=0 LOADGEN_CPU=1  taskset pinning (PIN=0 disables)
  BIN_DIR                 where toolgate and shop-rest are (run.sh copies them to .cache/bin)
  GITHUB_DOC              GitHub's api.github.com.json (run.sh unpacks it into .cache)
  OUT=RESULTS             output name in bench/ (OUT.md, OUT.json)
  AB=1                    also measure toolgate with rmcp's Streamable HTTP engine
                          (TOOLGATE_HTTP_ENGINE=rmcp): the toolgate_inproc_rmcp row, and the rmcp
                          engine's idle sessions and GitHub tools/list; AB=0 skips them
"""
from __future__ import annotations

import http.client
import json
import os
import platform
import re
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PY_DIR = os.path.join(HERE, "python")
LUA_DIR = os.path.join(HERE, "lua")
VENV_FASTMCP = os.path.join(HERE, ".venv-fastmcp", "bin", "python")
VENV_FAM = os.path.join(HERE, ".venv-fastapi-mcp", "bin", "python")
MODERN = "2026-07-28"
LEGACY = "2025-06-18"


def env(name, default):
    v = os.environ.get(name)
    return default if v is None or v == "" else v


QUICK = env("QUICK", "0") == "1"
RUNS = int(env("RUNS", "1" if QUICK else "3"))
DURATION = float(env("DURATION", "3" if QUICK else "10"))
WARMUP = float(env("WARMUP", "1" if QUICK else "2"))
CONCS = [int(c) for c in env("CONCURRENCY", "1,32").split(",")]
SESSIONS = int(env("SESSIONS", "2000" if QUICK else "10000"))
LIST_SAMPLES = 5 if QUICK else 30
SERVER_CPU = env("SERVER_CPU", "0")
LOADGEN_CPU = env("LOADGEN_CPU", "1")
PIN = env("PIN", "1") == "1"
BIN_DIR = env("BIN_DIR", os.path.join(HERE, ".cache", "bin"))
TOOLGATE = os.path.join(BIN_DIR, "toolgate")
SHOP_REST = os.path.join(BIN_DIR, "shop-rest")
GITHUB_DOC = env("GITHUB_DOC", os.path.join(HERE, ".cache", "octokit-openapi", "generated", "api.github.com.json"))
OUT = env("OUT", "RESULTS")
AB = env("AB", "1") == "1"
RMCP_ENGINE = {"TOOLGATE_HTTP_ENGINE": "rmcp"}
ONLY = [x for x in env("ONLY", "").split(",") if x]

TOOL_ARGS = {
    "get_product": {"product_id": 42},
    "search": {"q": "widget", "limit": 50},
    "create_order": {"customer_email": "a@example.com",
                     "items": [{"product_id": 3, "quantity": 2}, {"product_id": 9, "quantity": 1}]},
}
TOOL_EXPECT = {"get_product": "Product 42", "search": "widget result 50", "create_order": "created"}


def log(msg):
    print(msg, flush=True)


# ------------------------------------------------------------------------------------ servers
@dataclass
class Server:
    name: str
    argv: list            # start command (no shell), run pinned to `cpu`
    url: str              # MCP endpoint, or REST base URL
    kind: str             # "mcp" | "rest"
    what: str             # one line for the report
    cpu: str = SERVER_CPU
    eras: tuple = ("legacy",)
    list_eras: tuple = ("legacy",)   # eras in which tools/list is loaded
    upstream: "Server | None" = None
    cwd: str = PY_DIR
    env: dict = field(default_factory=dict)   # extra environment of the server process


def port_url(port, path=""):
    return f"http://127.0.0.1:{port}{path}"


def servers() -> list[Server]:
    py_fastmcp = [VENV_FASTMCP, "serve.py"]
    s = [
        Server("axum_rest", [SHOP_REST, "--listen", "127.0.0.1:18010"], port_url(18010), "rest",
               "raw REST: the shop's axum router (`shop-rest`), GET /products/42 — the limit"),
        Server("fastapi_rest", py_fastmcp + ["rest", "18011"], port_url(18011), "rest",
               "raw REST: the FastAPI app (uvicorn, 1 worker), GET /products/42"),
        Server("toolgate_inproc", [TOOLGATE, "demo", "--listen", "127.0.0.1:18012"], port_url(18012, "/mcp"), "mcp",
               "`toolgate demo`: the shop's axum router served as MCP in process",
               eras=("legacy", "modern"), list_eras=("legacy", "modern")),
        Server("toolgate_inproc_rmcp", [TOOLGATE, "demo", "--listen", "127.0.0.1:18019"], port_url(18019, "/mcp"),
               "mcp", "the same `toolgate demo` on rmcp's Streamable HTTP engine (`TOOLGATE_HTTP_ENGINE=rmcp`), "
               "for the A/B of the two engines", eras=("legacy", "modern"), list_eras=("legacy", "modern"),
               env=RMCP_ENGINE),
        Server("gw_axum", [TOOLGATE, "serve", "--openapi", port_url(18013, "/openapi.json"),
                           "--upstream", port_url(18013), "--listen", "127.0.0.1:18014"], port_url(18014, "/mcp"), "mcp",
               "`toolgate serve` gateway (CPU 0) in front of `shop-rest` (CPU 1, beside wrk)",
               eras=("legacy", "modern"),
               upstream=Server("shop_rest_upstream", [SHOP_REST, "--listen", "127.0.0.1:18013"], port_url(18013),
                               "rest", "", cpu=LOADGEN_CPU)),
        Server("gw_fastapi", [TOOLGATE, "serve", "--openapi", port_url(18015, "/openapi.json"),
                              "--upstream", port_url(18015), "--listen", "127.0.0.1:18016"], port_url(18016, "/mcp"),
               "mcp", "`toolgate serve` gateway (CPU 1, beside wrk) in front of the FastAPI app (CPU 0)",
               cpu=LOADGEN_CPU, eras=("legacy", "modern"),
               upstream=Server("fastapi_upstream", py_fastmcp + ["rest", "18015"], port_url(18015), "rest", "")),
        Server("fastapi_mcp", [VENV_FAM, "serve.py", "fastapi_mcp", "18017"], port_url(18017, "/mcp"), "mcp",
               "fastapi-mcp 0.4.0 `FastApiMCP(app).mount_http()` (JSON replies)"),
        Server("fastmcp", py_fastmcp + ["fastmcp", "18018"], port_url(18018, "/mcp"), "mcp",
               "FastMCP 4.2.3 `FastMCP.from_fastapi(app).http_app()` (SSE replies)"),
    ]
    if not AB:
        s = [x for x in s if x.name != "toolgate_inproc_rmcp"]
    if ONLY:
        s = [x for x in s if x.name in ONLY]
    return s


# ------------------------------------------------------------------------------------ HTTP/MCP client
class McpError(Exception):
    pass


class Conn:
    """One keep-alive HTTP/1.1 connection with TCP_NODELAY."""

    def __init__(self, url, timeout=10.0):
        u = urllib.parse.urlsplit(url)
        self.host, self.port, self.path = u.hostname, u.port, u.path or "/"
        self.timeout = timeout
        self.c = None

    def _conn(self):
        if self.c is None:
            self.c = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            self.c.connect()
            self.c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self.c

    def post(self, body: bytes, headers: dict):
        h = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
        h.update(headers)
        try:
            c = self._conn()
            c.request("POST", self.path, body=body, headers=h)
            r = c.getresponse()
            data = r.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        if r.will_close:
            self.close()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data

    def get(self, path):
        try:
            c = self._conn()
            c.request("GET", path)
            r = c.getresponse()
            data = r.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        return r.status, data

    def close(self):
        if self.c is not None:
            self.c.close()
            self.c = None


def rpc_result(ctype, data: bytes, want_id):
    text = data.decode("utf-8", "replace")
    msgs = []
    if "text/event-stream" in (ctype or ""):
        for block in text.replace("\r\n", "\n").split("\n\n"):
            lines = [ln[5:].lstrip() for ln in block.split("\n") if ln.startswith("data:")]
            if lines:
                try:
                    msgs.append(json.loads("\n".join(lines)))
                except ValueError:
                    pass
    else:
        obj = json.loads(text)
        msgs = obj if isinstance(obj, list) else [obj]
    for m in msgs:
        if isinstance(m, dict) and m.get("id") == want_id:
            if "error" in m:
                raise McpError(f"JSON-RPC error: {m['error']}")
            return m["result"]
    raise McpError(f"no reply with id {want_id} in {text[:300]!r}")


class Mcp:
    """A minimal MCP client: legacy sessions (initialize) or 2026-07-28 stateless requests."""

    def __init__(self, url, era="legacy", timeout=10.0):
        self.conn = Conn(url, timeout)
        self.era, self.sid, self.proto, self.id = era, None, LEGACY, 0
        self.server_info = None

    def initialize(self):
        if self.era == "modern":
            return self
        body = {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": LEGACY, "capabilities": {}, "clientInfo": {"name": "toolgate-bench", "version": "1"}}}
        st, hd, data = self.conn.post(json.dumps(body).encode(), {})
        if st != 200:
            raise McpError(f"initialize: HTTP {st} {data[:200]!r}")
        res = rpc_result(hd.get("content-type"), data, 0)
        self.sid, self.proto, self.server_info = hd.get("mcp-session-id"), res.get("protocolVersion", LEGACY), \
            res.get("serverInfo")
        st, _, data = self.conn.post(b'{"jsonrpc":"2.0","method":"notifications/initialized"}', self.headers())
        if st not in (200, 202):
            raise McpError(f"notifications/initialized: HTTP {st} {data[:200]!r}")
        return self

    def headers(self, method=None, name=None):
        if self.era == "modern":
            h = {"MCP-Protocol-Version": MODERN, "Mcp-Method": method}
            if name:
                h["Mcp-Name"] = name
            return h
        h = {"MCP-Protocol-Version": self.proto}
        if self.sid:
            h["Mcp-Session-Id"] = self.sid
        return h

    def raw(self, method, params=None):
        """Sends a request; returns (HTTP status, content type, body bytes, request id)."""
        self.id += 1
        params = dict(params or {})
        if self.era == "modern":
            params["_meta"] = {"io.modelcontextprotocol/protocolVersion": MODERN,
                               "io.modelcontextprotocol/clientCapabilities": {}}
        body = {"jsonrpc": "2.0", "id": self.id, "method": method}
        if params:
            body["params"] = params
        st, hd, data = self.conn.post(json.dumps(body, separators=(",", ":")).encode(),
                                      self.headers(method, params.get("name")))
        return st, hd.get("content-type", ""), data, self.id

    def call(self, method, params=None):
        st, ctype, data, rid = self.raw(method, params)
        if st != 200:
            raise McpError(f"{method}: HTTP {st} {data[:200]!r}")
        return rpc_result(ctype, data, rid), len(data)

    def close(self):
        self.conn.close()


# ------------------------------------------------------------------------------------ processes
def taskset(cpu):
    return ["taskset", "-c", cpu] if PIN and cpu else []


def port_open(url) -> bool:
    u = urllib.parse.urlsplit(url)
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex((u.hostname, u.port)) == 0


def proc_tree(root):
    kids = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    st = f.read()
                kids.setdefault(int(st[st.rindex(")") + 2:].split()[1]), []).append(int(d))
            except (OSError, ValueError):
                pass
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def mem_kib(root):
    """(VmRSS, VmHWM) summed over the process tree, KiB."""
    rss = hwm = 0
    for p in proc_tree(root):
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        rss += int(line.split()[1])
                    elif line.startswith("VmHWM:"):
                        hwm += int(line.split()[1])
        except OSError:
            pass
    return rss, hwm


def cpu_s(root):
    tot = 0
    for p in proc_tree(root):
        try:
            with open(f"/proc/{p}/stat") as f:
                st = f.read()
            fl = st[st.rindex(")") + 2:].split()
            tot += int(fl[11]) + int(fl[12])
        except (OSError, ValueError, IndexError):
            pass
    return tot / os.sysconf("SC_CLK_TCK")


def cpu_busy():
    """{cpu index: busy jiffies} from /proc/stat (to see load from outside the benchmark)."""
    out = {}
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("cpu") and line[3].isdigit():
                p = line.split()
                v = [int(x) for x in p[1:]]
                out[p[0][3:]] = (sum(v) - v[3] - v[4], sum(v))
    return out


class Proc:
    def __init__(self, srv: Server, logdir: str, tag: str):
        self.srv = srv
        self.logf = open(os.path.join(logdir, f"{srv.name}.{tag}.log"), "wb")
        self.t0 = time.perf_counter()
        self.p = subprocess.Popen(taskset(srv.cpu) + srv.argv, cwd=srv.cwd, stdout=self.logf,
                                  stderr=subprocess.STDOUT, start_new_session=True,
                                  env={**os.environ, **srv.env} if srv.env else None)
        self.pid = self.p.pid

    def alive(self):
        return self.p.poll() is None

    def stop(self):
        if self.p.poll() is None:
            try:
                os.killpg(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.p.wait(timeout=8)
            except subprocess.TimeoutExpired:
                os.killpg(self.pid, signal.SIGKILL)
                self.p.wait(timeout=5)
        self.logf.close()


def wait_ready(pr: Proc, timeout=120.0, poll=0.002):
    """Seconds from spawn to the first successful tools/list (legacy handshake) or REST GET."""
    srv, last = pr.srv, None
    while time.perf_counter() < pr.t0 + timeout:
        if not pr.alive():
            raise RuntimeError(f"{srv.name} exited with {pr.p.returncode} during start-up")
        try:
            if srv.kind == "rest":
                c = Conn(srv.url, 2)
                st, _ = c.get("/products/42")
                c.close()
                if st == 200:
                    return time.perf_counter() - pr.t0
            else:
                m = Mcp(srv.url, timeout=60).initialize()
                m.call("tools/list")
                m.close()
                return time.perf_counter() - pr.t0
        except (OSError, McpError, ValueError, http.client.HTTPException) as e:
            last = e
        time.sleep(poll)
    raise RuntimeError(f"{srv.name} not ready after {timeout} s: {last}")


# ------------------------------------------------------------------------------------ loads
def scenarios(srv: Server):
    """(label, era, method, params, tool name, expected text)."""
    if srv.kind == "rest":
        yield "GET /products/42", "rest", None, None, None, "Product 42"
        return
    for era in srv.eras:
        if era in srv.list_eras:
            yield "tools/list", era, "tools/list", None, None, '"get_product"'
        yield "tools/call get_product", era, "tools/call", {"name": "get_product", "arguments": TOOL_ARGS[
            "get_product"]}, "get_product", "Product 42"


def wrk(srv, label, era, method, params, tname, expect, conc, dur, pid, up_pid=None):
    argv = taskset(LOADGEN_CPU) + ["wrk", "-t1", f"-c{conc}", f"-d{max(1, round(dur))}s", "--timeout", "10s",
                                   "--latency"]
    e = dict(os.environ)
    if era == "rest":
        argv += ["-s", os.path.join(LUA_DIR, "rest.lua"), srv.url + "/products/42"]
        e["REST_EXPECT"] = expect
    else:
        argv += ["-s", os.path.join(LUA_DIR, "mcp.lua"), srv.url]
        e.update(MCP_ERA=era, MCP_METHOD=method, MCP_NAME=tname or "", MCP_EXPECT=expect, MCP_PROTO=LEGACY,
                 MCP_PARAMS=json.dumps(params, separators=(",", ":")) if params is not None else "")
    peak = [0]
    stop = threading.Event()

    def sample():
        while not stop.wait(0.25):
            peak[0] = max(peak[0], mem_kib(pid)[0])

    th = threading.Thread(target=sample, daemon=True)
    busy0, ru0, sc0 = cpu_busy(), os.times(), cpu_s(pid)
    uc0 = cpu_s(up_pid) if up_pid else 0.0
    th.start()
    out = subprocess.run(argv, capture_output=True, text=True, env=e, timeout=dur + 60)
    stop.set()
    th.join()
    busy1, ru1, sc1 = cpu_busy(), os.times(), cpu_s(pid)
    uc1 = cpu_s(up_pid) if up_pid else 0.0
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("WRKJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed: {out.stdout[-400:]} {out.stderr[-400:]}")
    d = json.loads(line[8:])
    wall = d["duration_us"] / 1e6
    d["measured"] = d["requests"] - d["hs"]
    d["rps"] = d["measured"] / wall
    d["errors"] = sum(d[k] for k in ("err_connect", "err_read", "err_write", "err_status", "err_timeout"))
    d["server_cpu_pct"] = 100 * (sc1 - sc0) / wall
    d["wrk_cpu_pct"] = 100 * ((ru1.children_user - ru0.children_user) + (ru1.children_system - ru0.children_system)) / wall
    # how busy each CPU was in total; minus what the server and wrk used = other load on the machine
    tot = {k: 100 * (busy1[k][0] - busy0[k][0]) / max(1, busy1[k][1] - busy0[k][1]) for k in busy1}
    d["cpu_busy_pct"] = tot
    own = {SERVER_CPU: 0.0, LOADGEN_CPU: 0.0}
    own[srv.cpu] = own.get(srv.cpu, 0.0) + d["server_cpu_pct"]
    own[LOADGEN_CPU] = own.get(LOADGEN_CPU, 0.0) + d["wrk_cpu_pct"]
    d["upstream_cpu_pct"] = 100 * (uc1 - uc0) / wall if up_pid else None
    if up_pid:
        own[srv.upstream.cpu] = own.get(srv.upstream.cpu, 0.0) + d["upstream_cpu_pct"]
    d["foreign_cpu_pct"] = max(0.0, sum(tot.values()) - sum(own.values()))
    d["rss_load_kib"] = peak[0]
    d.update(label=label, era=era, conc=conc, server=srv.name)
    d["cmd"] = " ".join(shlex.quote(a) for a in argv)
    return d


def validate(srv: Server) -> dict:
    if srv.kind == "rest":
        c = Conn(srv.url)
        st, body = c.get("/products/42")
        c.close()
        if st != 200 or b"Product 42" not in body:
            raise McpError(f"{srv.name}: GET /products/42 -> {st} {body[:200]!r}")
        return {"bytes": len(body)}
    info = {}
    for era in srv.eras:
        m = Mcp(srv.url, era).initialize()
        tl, nbytes = m.call("tools/list")
        names = {t["name"] for t in tl.get("tools", [])}
        if {"get_product", "create_order", "search"} - names:
            raise McpError(f"{srv.name} {era}: tools missing; has {sorted(names)}")
        info[f"{era}.tools_list_bytes"] = nbytes
        if era == "legacy":
            info["protocol"], info["serverInfo"] = m.proto, m.server_info
        for tool, args in TOOL_ARGS.items():
            res, nbytes = m.call("tools/call", {"name": tool, "arguments": args})
            text = json.dumps(res)
            if res.get("isError") or TOOL_EXPECT[tool] not in text:
                raise McpError(f"{srv.name} {era}: {tool} -> {text[:300]}")
            info[f"{era}.{tool}_bytes"] = nbytes
        m.close()
    return info


def run_server(srv: Server, run: int, logdir: str) -> dict:
    res = {"server": srv.name, "run": run, "loads": []}
    up = None
    for s in [srv] + ([srv.upstream] if srv.upstream else []):
        if port_open(s.url):
            raise RuntimeError(f"port of {s.url} is in use: refusing to measure a foreign process")
    try:
        if srv.upstream:
            up = Proc(srv.upstream, logdir, f"run{run}")
            wait_ready(up)
        pr = Proc(srv, logdir, f"run{run}")
        try:
            res["startup_s"] = wait_ready(pr)
            time.sleep(0.3)
            res["validate"] = validate(srv)
            time.sleep(0.2)
            res["rss_idle_kib"] = mem_kib(pr.pid)[0]
            for label, era, method, params, tname, expect in scenarios(srv):
                if WARMUP > 0:
                    wrk(srv, label, era, method, params, tname, expect, max(CONCS), WARMUP, pr.pid,
                        up.pid if up else None)
                for c in CONCS:
                    d = wrk(srv, label, era, method, params, tname, expect, c, DURATION, pr.pid, up.pid if up else None)
                    res["loads"].append(d)
                    log(f"  [{srv.name} run{run}] {era:<6} {label:<24} c={c:<3} {d['rps']:9.0f} req/s  "
                        f"p50 {d['p50_us'] / 1000:6.2f} ms  p99 {d['p99_us'] / 1000:6.2f} ms  "
                        f"err {d['errors']} bad {d['bad']}/{d['hs_bad']}  cpu srv {d['server_cpu_pct']:.0f}% "
                        f"wrk {d['wrk_cpu_pct']:.0f}% "
                        + (f"upstream {d['upstream_cpu_pct']:.0f}% " if up else "")
                        + f"other {d['foreign_cpu_pct']:.0f}%"
                        + (f"  FIRST BAD: {d['first_bad'][:120]}" if d["first_bad"] else ""))
            res["rss_after_kib"], res["rss_peak_kib"] = mem_kib(pr.pid)
            if not pr.alive():
                raise RuntimeError(f"{srv.name} died under load")
        finally:
            pr.stop()
    finally:
        if up:
            up.stop()
    return res


# ------------------------------------------------------------------------------------ extras
LIST_PAGE_CURSOR = re.compile(rb'"nextCursor"\s*:\s*"([^"]*)"')


def full_list(m: Mcp):
    """One full tools/list pagination: (seconds, pages, tools, bytes). Reads each page to its
    last byte; the cursor is found with a regex, the JSON is not parsed while timing."""
    t0 = time.perf_counter()
    cursor, pages, nbytes, bodies = None, 0, 0, []
    while True:
        st, ctype, data, rid = m.raw("tools/list", {"cursor": cursor} if cursor else None)
        if st != 200:
            raise McpError(f"tools/list HTTP {st}: {data[:200]!r}")
        pages += 1
        nbytes += len(data)
        bodies.append((ctype, data, rid))
        hit = LIST_PAGE_CURSOR.search(data[-400:]) or LIST_PAGE_CURSOR.search(data)
        if not hit or pages > 1000:
            break
        cursor = hit.group(1).decode()
    dt = time.perf_counter() - t0
    tools = sum(len(rpc_result(c, d, i)["tools"]) for c, d, i in bodies)
    return dt, pages, tools, nbytes


def run_github(run: int, logdir: str) -> dict:
    """Start-up on GitHub's REST API description, toolgate vs FastMCP from_openapi, and the
    latency of one full tools/list of its ~1,000 tools."""
    res = {"extra": "github", "run": run}
    doc = GITHUB_DOC
    dummy = "http://127.0.0.1:9"  # nothing is called
    # 1. `toolgate tools` (load + build + print, no server): wall time and peak RSS
    t0 = time.perf_counter()
    p = subprocess.Popen(taskset(SERVER_CPU) + [TOOLGATE, "tools", "--openapi", doc, "--format", "json"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = p.stdout.read()
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = 0
    res["tg_tools_s"] = time.perf_counter() - t0
    res["tg_tools_maxrss_kib"] = ru.ru_maxrss
    res["tg_tools_count"] = len(json.loads(out)["tools"]) if status == 0 else None
    # 2. servers: spawn -> first tools/list page, -> all tools listed; peak RSS; then list latency
    variants = [
        ("toolgate", Server("toolgate_github", [TOOLGATE, "serve", "--openapi", doc, "--upstream", dummy,
                                                "--listen", "127.0.0.1:18020"], port_url(18020, "/mcp"), "mcp", "")),
        ("fastmcp", Server("fastmcp_github", [VENV_FASTMCP, "serve.py", "fastmcp_openapi", "18021", doc, dummy],
                           port_url(18021, "/mcp"), "mcp", "")),
    ]
    if AB:
        variants.insert(1, ("toolgate_rmcp", Server("toolgate_rmcp_github", [
            TOOLGATE, "serve", "--openapi", doc, "--upstream", dummy, "--listen", "127.0.0.1:18023"],
            port_url(18023, "/mcp"), "mcp", "", env=RMCP_ENGINE)))
    for tag, srv in variants:
        if port_open(srv.url):
            raise RuntimeError(f"port of {srv.url} is in use")
        pr = Proc(srv, logdir, f"run{run}")
        try:
            res[f"{tag}_first_list_s"] = wait_ready(pr, timeout=300)
            m = Mcp(srv.url, timeout=120).initialize()
            dt, pages, tools, nbytes = full_list(m)
            res[f"{tag}_all_listed_s"] = time.perf_counter() - pr.t0
            res[f"{tag}_tools"], res[f"{tag}_pages"], res[f"{tag}_list_bytes"] = tools, pages, nbytes
            res[f"{tag}_rss_kib"], res[f"{tag}_peak_rss_kib"] = mem_kib(pr.pid)
            eras = ("legacy", "modern") if tag.startswith("toolgate") else ("legacy",)
            samples = LIST_SAMPLES if tag.startswith("toolgate") else max(3, LIST_SAMPLES // 6)
            for era in eras:
                mm = Mcp(srv.url, era, timeout=120).initialize()
                for _ in range(3):
                    full_list(mm)  # warm-up
                c0 = cpu_s(pr.pid)
                ts = [full_list(mm)[0] for _ in range(samples)]
                res[f"{tag}_{era}_list_server_cpu_ms"] = (cpu_s(pr.pid) - c0) * 1000 / samples
                res[f"{tag}_{era}_list_ms"] = [t * 1000 for t in ts]
                mm.close()
            m.close()
        finally:
            pr.stop()
    return res


def run_sessions(run: int, logdir: str) -> dict:
    """Memory per idle legacy session: open SESSIONS sessions (initialize +
    notifications/initialized) against a fresh `toolgate demo`, RSS delta / SESSIONS; with AB=1
    also against `toolgate demo` on rmcp's engine (keys prefixed `rmcp_`)."""
    res = {"extra": "sessions", "run": run, "sessions": SESSIONS}
    engines = [("", {}, 18022)] + ([("rmcp_", RMCP_ENGINE, 18024)] if AB else [])
    for prefix, env_, port in engines:
        srv = Server("toolgate_sessions" + ("_rmcp" if prefix else ""),
                     [TOOLGATE, "demo", "--listen", f"127.0.0.1:{port}"], port_url(port, "/mcp"), "mcp", "", env=env_)
        if port_open(srv.url):
            raise RuntimeError(f"port of {srv.url} is in use")
        pr = Proc(srv, logdir, f"run{run}")
        try:
            wait_ready(pr)
            time.sleep(0.5)
            res[prefix + "rss_before_kib"] = mem_kib(pr.pid)[0]
            conn = Conn(srv.url)
            init = json.dumps({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
                "protocolVersion": LEGACY, "capabilities": {},
                "clientInfo": {"name": "toolgate-bench", "version": "1"}}}).encode()
            note = b'{"jsonrpc":"2.0","method":"notifications/initialized"}'
            first = None
            t0 = time.perf_counter()
            for i in range(SESSIONS):
                st, hd, data = conn.post(init, {})
                sid = hd.get("mcp-session-id")
                if st != 200 or not sid:
                    raise McpError(f"session {i}: initialize HTTP {st} {data[:200]!r}")
                st, _, data = conn.post(note, {"Mcp-Session-Id": sid, "MCP-Protocol-Version": LEGACY})
                if st not in (200, 202):
                    raise McpError(f"session {i}: notifications/initialized HTTP {st}")
                first = first or sid
            res[prefix + "open_s"] = time.perf_counter() - t0
            time.sleep(1.0)
            res[prefix + "rss_after_kib"] = mem_kib(pr.pid)[0]
            res[prefix + "per_session_bytes"] = (res[prefix + "rss_after_kib"] - res[prefix + "rss_before_kib"]) \
                * 1024 / SESSIONS
            # the first session must still work
            m = Mcp(srv.url)
            m.sid, m.proto = first, LEGACY
            m.call("tools/list")
            m.close()
            conn.close()
        finally:
            pr.stop()
    return res


# ------------------------------------------------------------------------------------ report
def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def spread(xs):
    xs = [x for x in xs if x is not None]
    if len(xs) < 2 or not statistics.median(xs):
        return None
    return (max(xs) - min(xs)) / statistics.median(xs) * 100


def sh(cmd):
    try:
        return subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, timeout=30, cwd=ROOT).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "n/a"


def versions():
    lock = open(os.path.join(ROOT, "Cargo.lock")).read()

    def crate(name):
        m = re.search(r'name = "' + re.escape(name) + r'"\nversion = "([^"]+)"', lock)
        return m.group(1) if m else "?"

    pk = "^(fastapi|fastapi-mcp|fastmcp|mcp|uvicorn|uvloop|httptools|starlette|pydantic|pydantic_core|httpx|httpx2)=="
    return {
        "toolgate": sh(f"{TOOLGATE} --version") + f" (git {sh('git rev-parse --short HEAD')}"
                    + (", uncommitted changes in the tree" if sh("git status --porcelain -uno") else "") + ")",
        "rust crates": ", ".join(f"{c} {crate(c)}" for c in ("rmcp", "axum", "hyper", "tokio", "serde_json")),
        "rustc": sh("rustc --version"),
        "python": sh(f"{VENV_FASTMCP} -c 'import sys;print(sys.version.split()[0])'"),
        ".venv-fastmcp": sh(f"{VENV_FASTMCP} -m pip freeze 2>/dev/null | grep -iE '{pk}' | tr '\\n' ' '"),
        ".venv-fastapi-mcp": sh(f"{VENV_FAM} -m pip freeze 2>/dev/null | grep -iE '{pk}' | tr '\\n' ' '"),
        "wrk": sh("wrk -v 2>&1 | head -1"),
        "GitHub description": os.path.relpath(GITHUB_DOC, ROOT) + f" ({os.path.getsize(GITHUB_DOC) / 1e6:.1f} MB)"
        if os.path.exists(GITHUB_DOC) else "missing",
    }


def machine():
    return {
        "cpu": sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs"),
        "cpus": sh("nproc"),
        "memory": sh("free -g | awk '/Mem:/{print $2\" GiB\"}'"),
        "kernel": platform.release(),
        "os": sh(". /etc/os-release && echo $PRETTY_NAME"),
    }


def f0(x):
    return "–" if x is None else f"{x:,.0f}".replace(",", " ")


def f2(x):
    return "–" if x is None else f"{x:.2f}"


def pct(x):
    return "" if x is None else f"{x:.0f}%"


def mib(k):
    return "–" if k is None else f"{k / 1024:.1f}"


def report(data) -> str:
    results, extras, srvs = data["results"], data["extras"], data["servers"]
    ok = [r for r in results if not r.get("error")]
    loads = [d for r in ok for d in r["loads"]]

    def pts(name, label, era, conc):
        return [d for d in loads if d["server"] == name and d["label"] == label and d["era"] == era
                and d["conc"] == conc]

    def m_of(name, label, era, conc, key):
        return med([d[key] for d in pts(name, label, era, conc)])

    def core(name, label, era, conc):
        """req/s per core-second of the server (robust to CPU taken by other processes)."""
        return med([d["rps"] / (d["server_cpu_pct"] / 100) for d in pts(name, label, era, conc)
                    if d["server_cpu_pct"] > 1])

    call, get = "tools/call get_product", "GET /products/42"
    L = ["# toolgate benchmark results\n"]
    L.append(f"Generated {data['when']} by `{data['command']}` in {data['wall_s'] / 60:.1f} min. "
             f"RUNS={RUNS}, {DURATION:g} s per point after a {WARMUP:g} s warm-up, concurrency {CONCS}, "
             f"wrk -t1 pinned to CPU {LOADGEN_CPU}, servers pinned to CPU {SERVER_CPU} unless said otherwise, "
             "a fresh server per run, servers interleaved within each run. Numbers are medians over runs; "
             "`spread` = (max−min)/median of req/s.\n")
    L.append("Machine: " + ", ".join(f"{k} {v}" for k, v in data["machine"].items()) + ".\n")

    # ---- ratios and targets
    def ratio(a, b):
        return None if a is None or b is None or b == 0 else a / b

    rest32, rest1 = m_of("axum_rest", get, "rest", 32, "rps"), m_of("axum_rest", get, "rest", 1, "rps")
    fam32, fam1 = m_of("fastapi_mcp", call, "legacy", 32, "rps"), m_of("fastapi_mcp", call, "legacy", 1, "rps")
    far32, far1 = m_of("fastapi_rest", get, "rest", 32, "rps"), m_of("fastapi_rest", get, "rest", 1, "rps")
    L.append("## Ratios (same run)\n")
    L.append("| ratio | c=1 | c=32 |")
    L.append("|---|---:|---:|")
    for era in ("modern", "legacy"):
        t1, t32 = m_of("toolgate_inproc", call, era, 1, "rps"), m_of("toolgate_inproc", call, era, 32, "rps")
        L.append(f"| toolgate in process ({era}) tools/call ÷ raw axum REST GET | {f2(ratio(t1, rest1))} | "
                 f"{f2(ratio(t32, rest32))} |")
        L.append(f"| toolgate in process ({era}) tools/call ÷ fastapi_mcp tools/call | {f0(ratio(t1, fam1))}× | "
                 f"{f0(ratio(t32, fam32))}× |")
    for era in ("modern", "legacy"):
        g1, g32 = m_of("gw_fastapi", call, era, 1, "rps"), m_of("gw_fastapi", call, era, 32, "rps")
        L.append(f"| gateway → FastAPI ({era}) tools/call ÷ FastAPI REST GET | {f2(ratio(g1, far1))} | "
                 f"{f2(ratio(g32, far32))} |")
        o1 = m_of("gw_fastapi", call, era, 1, "p50_us")
        r1 = m_of("fastapi_rest", get, "rest", 1, "p50_us")
        o32 = m_of("gw_fastapi", call, era, 32, "p50_us")
        r32 = m_of("fastapi_rest", get, "rest", 32, "p50_us")
        L.append(f"| gateway → FastAPI ({era}) p50 − FastAPI REST p50, ms | "
                 f"{f2(None if o1 is None or r1 is None else (o1 - r1) / 1000)} | "
                 f"{f2(None if o32 is None or r32 is None else (o32 - r32) / 1000)} |")
    for era in ("modern", "legacy"):
        g1, g32 = m_of("gw_axum", call, era, 1, "rps"), m_of("gw_axum", call, era, 32, "rps")
        L.append(f"| gateway → axum ({era}) tools/call ÷ raw axum REST GET | {f2(ratio(g1, rest1))} | "
                 f"{f2(ratio(g32, rest32))} |")
    L.append("")
    L.append("The same ratios per core-second of the server (req/s ÷ server CPU share): the machine is shared, "
             "so when other processes take CPU from the pinned core (`other CPU` below), these are the steadier "
             "comparison of the code's cost per request:\n")
    L.append("| ratio per server core | c=1 | c=32 |")
    L.append("|---|---:|---:|")
    rc1, rc32 = core("axum_rest", get, "rest", 1), core("axum_rest", get, "rest", 32)
    fc1, fc32 = core("fastapi_mcp", call, "legacy", 1), core("fastapi_mcp", call, "legacy", 32)
    for era in ("modern", "legacy"):
        t1, t32 = core("toolgate_inproc", call, era, 1), core("toolgate_inproc", call, era, 32)
        L.append(f"| toolgate in process ({era}) tools/call ÷ raw axum REST GET | {f2(ratio(t1, rc1))} | "
                 f"{f2(ratio(t32, rc32))} |")
        L.append(f"| toolgate in process ({era}) tools/call ÷ fastapi_mcp tools/call | {f0(ratio(t1, fc1))}× | "
                 f"{f0(ratio(t32, fc32))}× |")
    L.append("")

    # ---- the two engines
    if any(d["server"] == "toolgate_inproc_rmcp" for d in loads):
        L.append("## The two Streamable HTTP engines (same run)\n")
        L.append("`toolgate demo` on the lean engine (`toolgate_inproc`, the default) and on rmcp's "
                 "`StreamableHttpService` (`toolgate_inproc_rmcp`, `TOOLGATE_HTTP_ENGINE=rmcp`), same binary. "
                 "CPU µs/req is server CPU time per request (median over runs; at c=1 the server idles between "
                 "requests, so it is the steadier measure there too).\n")
        L.append("| era | scenario | conc | rmcp req/s | lean req/s | rmcp CPU µs/req | lean CPU µs/req | "
                 "rmcp ÷ lean CPU |")
        L.append("|---|---|---:|---:|---:|---:|---:|---:|")

        def us(name, label, era, c):
            return med([d["server_cpu_pct"] * 1e4 / d["rps"] for d in pts(name, label, era, c) if d["rps"]])

        for era in ("modern", "legacy"):
            for label in (call, "tools/list"):
                for c in CONCS:
                    a, b = us("toolgate_inproc_rmcp", label, era, c), us("toolgate_inproc", label, era, c)
                    L.append(f"| {era} | {label} | {c} | {f0(m_of('toolgate_inproc_rmcp', label, era, c, 'rps'))} | "
                             f"{f0(m_of('toolgate_inproc', label, era, c, 'rps'))} | {f0(a)} | {f0(b)} | "
                             f"{f2(ratio(a, b))}× |")
        L.append("")

    # ---- main table
    L.append("## Throughput and latency\n")
    L.append("| server | era | scenario | conc | req/s | spread | p50 ms | p99 ms | errors | server CPU | "
             "CPU µs/req | upstream CPU | wrk CPU | other CPU | RSS under load MiB |")
    L.append("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for s in srvs:
        keys = []
        for d in loads:
            if d["server"] == s["name"] and (d["label"], d["era"], d["conc"]) not in keys:
                keys.append((d["label"], d["era"], d["conc"]))
        for label, era, c in keys:
            ds = pts(s["name"], label, era, c)
            sp = spread([d["rps"] for d in ds])
            errs = sum(d["errors"] + d["bad"] + d["hs_bad"] for d in ds)
            L.append(f"| {s['name']} | {era} | {label} | {c} | {f0(med([d['rps'] for d in ds]))} | "
                     f"{'' if sp is None else f'{sp:.0f}%'} | {med([d['p50_us'] for d in ds]) / 1000:.2f} | "
                     f"{med([d['p99_us'] for d in ds]) / 1000:.2f} | {errs} | "
                     f"{med([d['server_cpu_pct'] for d in ds]):.0f}% | "
                     f"{med([d['server_cpu_pct'] * 1e4 / d['rps'] for d in ds if d['rps']]):.0f} | "
                     f"{pct(med([d.get('upstream_cpu_pct') for d in ds]))} | "
                     f"{med([d['wrk_cpu_pct'] for d in ds]):.0f}% | "
                     f"{med([d['foreign_cpu_pct'] for d in ds]):.0f}% | {mib(med([d['rss_load_kib'] for d in ds]))} |")
    L.append("")
    L.append("errors = wrk socket errors + HTTP errors + replies that failed the body check (every reply is "
             "checked). `CPU µs/req` = server CPU time per request (meaningful where the server is busy). `other CPU` = CPU used on the two cores by processes outside the benchmark during the "
             "point (a noise indicator; 100% = one core). Legacy MCP rows: wrk's script does the handshake; its "
             "few `initialize` replies are not counted in req/s.\n")

    # ---- start-up and memory
    L.append("## Start-up and memory\n")
    L.append("| server | start → first OK tools/list (REST: GET), ms | RSS idle MiB | RSS under load MiB "
             "(max sampled) | RSS after load MiB | peak RSS MiB | runs ok |")
    L.append("|---|---:|---:|---:|---:|---:|---:|")
    for s in srvs:
        rs = [r for r in ok if r["server"] == s["name"]]
        if not rs:
            L.append(f"| {s['name']} | failed | | | | | 0 |")
            continue
        each = ", ".join(f"{r['startup_s'] * 1000:.0f}" for r in rs)
        lmax = med([max([d["rss_load_kib"] for d in r["loads"]] or [0]) for r in rs])
        L.append(f"| {s['name']} | {med([r['startup_s'] for r in rs]) * 1000:.0f} ({each}) | "
                 f"{mib(med([r['rss_idle_kib'] for r in rs]))} | {mib(lmax)} | "
                 f"{mib(med([r['rss_after_kib'] for r in rs]))} | {mib(med([r['rss_peak_kib'] for r in rs]))} | "
                 f"{len(rs)} |")
    L.append("")

    gh = [x for x in extras if x.get("extra") == "github" and not x.get("error")]
    if gh:
        L.append("## GitHub's REST API description (large document)\n")
        g = gh[0]
        L.append(f"`{data['versions'].get('GitHub description')}`: toolgate serves {g.get('toolgate_tools')} tools "
                 f"in {g.get('toolgate_pages')} pages ({g.get('toolgate_list_bytes', 0) / 1e6:.2f} MB of tools/list); "
                 f"FastMCP {g.get('fastmcp_tools')} tools in {g.get('fastmcp_pages')} page(s) "
                 f"({g.get('fastmcp_list_bytes', 0) / 1e6:.2f} MB). Servers pinned to CPU {SERVER_CPU}.\n")
        L.append("| measure | toolgate | FastMCP `from_openapi` | FastMCP ÷ toolgate |")
        L.append("|---|---:|---:|---:|")

        def mx(key):
            return med([x.get(key) for x in gh])

        for label, a, b, fmt in [
            ("start → first tools/list page, s", "toolgate_first_list_s", "fastmcp_first_list_s", f2),
            ("start → all tools listed, s", "toolgate_all_listed_s", "fastmcp_all_listed_s", f2),
            ("peak RSS (VmHWM) after listing, MiB", "toolgate_peak_rss_kib", "fastmcp_peak_rss_kib", mib),
            ("RSS after listing, MiB", "toolgate_rss_kib", "fastmcp_rss_kib", mib),
        ]:
            va, vb = mx(a), mx(b)
            L.append(f"| {label} | {fmt(va)} | {fmt(vb)} | {f2(ratio(vb, va))}× |")
        L.append(f"| `toolgate tools --format json` (load, build, print), s / peak RSS MiB | "
                 f"{f2(mx('tg_tools_s'))} / {mib(mx('tg_tools_maxrss_kib'))} | | |")
        L.append("")
        L.append("One full tools/list pagination (sequential pages on one keep-alive connection, to the last byte "
                 "of the last page, read by a Python `http.client` client; median / p90 over samples and runs), "
                 "and the server's CPU time per full pagination (user + system, which includes the kernel's "
                 "copy of the bytes):\n")
        L.append("| server | era | pages | full list ms (median) | p90 ms | server CPU ms per list |")
        L.append("|---|---|---:|---:|---:|---:|")
        for tag, era in [("toolgate", "legacy"), ("toolgate", "modern"), ("toolgate_rmcp", "legacy"),
                         ("toolgate_rmcp", "modern"), ("fastmcp", "legacy")]:
            xs = [t for x in gh for t in x.get(f"{tag}_{era}_list_ms", [])]
            if xs:
                xs.sort()
                name = "toolgate (rmcp engine)" if tag == "toolgate_rmcp" else tag
                cpu = med([x.get(f"{tag}_{era}_list_server_cpu_ms") for x in gh])
                L.append(f"| {name} | {era} | {g.get(f'{tag}_pages')} | {statistics.median(xs):.2f} | "
                         f"{xs[min(len(xs) - 1, int(len(xs) * 0.9))]:.2f} | {f2(cpu)} |")
        L.append("")
    ss = [x for x in extras if x.get("extra") == "sessions" and not x.get("error")]
    if ss:
        L.append("## Memory per idle legacy session\n")
        L.append(f"`toolgate demo`, fresh; {SESSIONS} sessions opened one after another (initialize + "
                 "notifications/initialized, one keep-alive connection), RSS measured 1 s later; the first "
                 "session still answers tools/list afterwards.\n")
        ab = any("rmcp_per_session_bytes" in x for x in ss)
        L.append("| run | RSS before MiB | RSS after MiB | bytes per session | opening time s |"
                 + (" rmcp engine: bytes per session | rmcp engine: opening time s |" if ab else ""))
        L.append("|---|---:|---:|---:|---:|" + ("---:|---:|" if ab else ""))
        for x in ss:
            L.append(f"| {x['run']} | {mib(x['rss_before_kib'])} | {mib(x['rss_after_kib'])} | "
                     f"{x['per_session_bytes']:.0f} | {x['open_s']:.1f} |"
                     + (f" {x.get('rmcp_per_session_bytes', 0):.0f} | {x.get('rmcp_open_s', 0):.1f} |" if ab else ""))
        L.append(f"| median | | | {med([x['per_session_bytes'] for x in ss]):.0f} | |"
                 + (f" {med([x.get('rmcp_per_session_bytes') for x in ss]):.0f} | |" if ab else ""))
        L.append("")

    # ---- targets
    L.append("## Targets of issue 7\n")
    L.append("| target | measured | |")
    L.append("|---|---|---|")

    def verdict(okv):
        return "–" if okv is None else ("met" if okv else "**missed**")

    for era in ("modern", "legacy"):
        t32 = m_of("toolgate_inproc", call, era, 32, "rps")
        t1 = m_of("toolgate_inproc", call, era, 1, "rps")
        r32, r1 = ratio(t32, rest32), ratio(t1, rest1)
        L.append(f"| in process ({era}) tools/call ≥ 0.5× raw axum REST | c=32 {f2(r32)}×, c=1 {f2(r1)}× | "
                 f"{verdict(None if r32 is None else min(r32, r1 or 0) >= 0.5)} |")
        x32 = ratio(t32, fam32)
        L.append(f"| in process ({era}) ≥ 100× fastapi_mcp² | c=32 {f0(x32)}×, c=1 {f0(ratio(t1, fam1))}× | "
                 f"{verdict(None if x32 is None else x32 >= 100)} |")
    for era in ("modern", "legacy"):
        g32, g1 = m_of("gw_fastapi", call, era, 32, "rps"), m_of("gw_fastapi", call, era, 1, "rps")
        r32, r1 = ratio(g32, far32), ratio(g1, far1)
        o1 = m_of("gw_fastapi", call, era, 1, "p50_us")
        b1 = m_of("fastapi_rest", get, "rest", 1, "p50_us")
        ov = None if o1 is None or b1 is None else (o1 - b1) / 1000
        L.append(f"| gateway → FastAPI ({era}) ≥ 0.9× FastAPI REST (c=32¹) | c=32 {f2(r32)}×, c=1 {f2(r1)}× | "
                 f"{verdict(None if r32 is None else r32 >= 0.9)} |")
        L.append(f"| gateway → FastAPI ({era}) p50 overhead ≤ 0.3 ms (c=1) | {f2(ov)} ms | "
                 f"{verdict(None if ov is None else ov <= 0.3)} |")
    if gh:
        a, b = med([x.get("toolgate_all_listed_s") for x in gh]), med([x.get("fastmcp_all_listed_s") for x in gh])
        per = sorted(x["fastmcp_all_listed_s"] / x["toolgate_all_listed_s"] for x in gh
                     if x.get("fastmcp_all_listed_s") and x.get("toolgate_all_listed_s"))
        L.append(f"| large document start-up ≥ 20× faster than FastMCP | {f2(ratio(b, a))}× ({f2(a)} s vs {f2(b)} s; "
                 f"per run {', '.join(f'{r:.1f}×' for r in per)}) | "
                 f"{verdict(None if a is None or b is None else b / a >= 20)} |")
        pk = med([x.get("toolgate_peak_rss_kib") for x in gh])
        L.append(f"| large document peak RSS ≤ 100 MB | {mib(pk)} MiB ({pk * 1024 / 1e6:.0f} MB) | "
                 f"{verdict(pk * 1024 / 1e6 <= 100)} |")
        xs = [t for x in gh for t in x.get("toolgate_modern_list_ms", []) + x.get("toolgate_legacy_list_ms", [])]
        lm = [statistics.median([t for x in gh for t in x.get(f"toolgate_{e}_list_ms", [])])
              for e in ("modern", "legacy") if any(x.get(f"toolgate_{e}_list_ms") for x in gh)]
        if xs:
            sc = med([x.get("toolgate_modern_list_server_cpu_ms") for x in gh])
            L.append(f"| tools/list of ~1,000 tools ≤ 5 ms (full pagination, as a Python client reads it) | modern "
                     f"{lm[0]:.2f} ms, legacy {lm[-1]:.2f} ms (server CPU {f2(sc)} ms per list) | "
                     f"{verdict(max(lm) <= 5)} |")
    if ss:
        b = med([x["per_session_bytes"] for x in ss])
        L.append(f"| ≤ 5 KB per idle legacy session | {b / 1024:.1f} KiB ({b:.0f} B) | {verdict(b <= 5000)} |")
    L.append("")
    L.append("¹ \"The gateway is never the bottleneck\" is a statement about throughput under load, judged at "
             "c=32 where the upstream is saturated. At c=1 one request is in flight at a time, so req/s is "
             "1 ÷ latency and any proxy's ratio is REST p50 ÷ (REST p50 + its hop): 0.9× would need a hop of "
             "≈ 13 µs over loopback TCP. That hop is what the p50-overhead target bounds; the c=1 ratio is "
             "shown, not hidden.")
    if rest32 and fam32:
        L.append("")
        L.append(f"² The issue derives \"≥ 100× fastapi_mcp\" from \"≥ 0.5× raw axum REST\" with its own baseline "
                 f"(axum ≈ 210× fastapi_mcp). In this run raw axum REST is {rest32 / fam32:.0f}× fastapi_mcp "
                 f"({rest32:,.0f} vs {fam32:,.0f} req/s at c=32), so 100× fastapi_mcp means "
                 f"{100 * fam32 / rest32:.2f}× raw axum REST here. bench/PROFILE.md has the profile of what a "
                 f"tools/call costs beyond the REST call.")
    L.append("")

    fails = [r for r in results + extras if r.get("error")]
    if fails:
        L.append("## Failures\n")
        for r in fails:
            L.append(f"- {r.get('server') or r.get('extra')} run {r['run']}: {r['error']}")
        L.append("")

    L.append("## Rows and exact commands\n")
    for s in srvs:
        L.append(f"- **{s['name']}** — {s['what']}: `{s['cmd']}` (pinned to CPU {s['cpu']})"
                 + (f"; upstream `{s['upstream']}`" if s.get("upstream") else ""))
    ex = next((d["cmd"] for d in loads if "mcp.lua" in d["cmd"]), None)
    if ex:
        L.append(f"\nLoad (MCP; MCP_ERA, MCP_METHOD, MCP_PARAMS, MCP_NAME, MCP_EXPECT set per scenario): `{ex}`")
    ex = next((d["cmd"] for d in loads if "rest.lua" in d["cmd"]), None)
    if ex:
        L.append(f"\nLoad (REST): `{ex}`")
    L.append("\n## Versions\n")
    for k, v in data["versions"].items():
        L.append(f"- {k}: {v}")
    L.append(f"\nRaw numbers of every run: `bench/{OUT}.json`. Server logs: `bench/results/` (not committed).")
    return "\n".join(L) + "\n"


# ------------------------------------------------------------------------------------ main
def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--report-from":
        with open(sys.argv[2]) as f:
            data = json.load(f)
        print(report(data))
        return
    for b in (TOOLGATE, SHOP_REST):
        if not os.access(b, os.X_OK):
            sys.exit(f"missing {b}: run bench/run.sh (it builds and copies the binaries)")
    srvs = servers()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    logdir = os.path.join(HERE, "results", stamp)
    os.makedirs(logdir, exist_ok=True)
    results, extras = [], []
    t0 = time.perf_counter()

    def on_term(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    do_github = (not ONLY or "github" in ONLY) and os.path.exists(GITHUB_DOC)
    do_sessions = not ONLY or "sessions" in ONLY
    for run in range(1, RUNS + 1):
        for srv in srvs:
            log(f"== run {run}/{RUNS}: {srv.name}")
            try:
                r = run_server(srv, run, logdir)
                log(f"  start-up {r['startup_s'] * 1000:.0f} ms, RSS idle {r['rss_idle_kib'] / 1024:.1f} MiB, "
                    f"after {r['rss_after_kib'] / 1024:.1f} MiB")
            except KeyboardInterrupt:
                raise
            except Exception as e:  # record it and go on
                r = {"server": srv.name, "run": run, "error": f"{type(e).__name__}: {e}"}
                log(f"  FAILED: {r['error']}")
            results.append(r)
        for name, fn in (("github", run_github), ("sessions", run_sessions)):
            if (name == "github" and not do_github) or (name == "sessions" and not do_sessions):
                continue
            log(f"== run {run}/{RUNS}: {name}")
            try:
                x = fn(run, logdir)
                log("  " + json.dumps({k: v for k, v in x.items() if not isinstance(v, list)}))
            except KeyboardInterrupt:
                raise
            except Exception as e:
                x = {"extra": name, "run": run, "error": f"{type(e).__name__}: {e}"}
                log(f"  FAILED: {x['error']}")
            extras.append(x)
    data = {
        "when": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "command": os.environ.get("BENCH_COMMAND", "bench/run.sh"),
        "wall_s": time.perf_counter() - t0,
        "env": {k: os.environ.get(k) for k in ("QUICK", "RUNS", "DURATION", "WARMUP", "CONCURRENCY", "SESSIONS",
                                                "ONLY", "SERVER_CPU", "LOADGEN_CPU", "PIN")},
        "machine": machine(),
        "versions": versions(),
        "servers": [{"name": s.name, "what": s.what, "cpu": s.cpu,
                     "cmd": " ".join(shlex.quote(os.path.relpath(a, ROOT) if a.startswith(ROOT) else a)
                                     for a in s.argv),
                     "upstream": " ".join(shlex.quote(os.path.relpath(a, ROOT) if a.startswith(ROOT) else a)
                                          for a in s.upstream.argv) + f" (CPU {s.upstream.cpu})"
                     if s.upstream else None} for s in srvs],
        "results": results,
        "extras": extras,
    }
    with open(os.path.join(HERE, OUT + ".json"), "w") as f:
        json.dump(data, f, indent=1)
    md = report(data)
    with open(os.path.join(HERE, OUT + ".md"), "w") as f:
        f.write(md)
    print(md)
    log(f"wrote bench/{OUT}.md and bench/{OUT}.json; logs in {os.path.relpath(logdir, ROOT)}")


if __name__ == "__main__":
    main()
