#!/usr/bin/env python3
"""MCP interop client built on the official Python SDK (`mcp==2.3.0`, high-level `mcp.Client`).

Connects to an MCP server, lists its tools, optionally calls one, and prints one final JSON
object on stdout:

    {"client": "python-mcp/2.3.0", "mode": "auto", "protocol_version": "2026-07-28", "era": "modern",
     "server_info": {...}, "tools": ["add", "echo"],
     "result": {"content": [...], "structuredContent": ..., "isError": false}, "call_seconds": 0.41,
     "progress": [{"t": 0.012, "time": "2026-...Z", "progress": 1.0, "total": 3.0, "message": "..."}]}

`result` is null without --call; `progress` is present only with --progress (`t` = seconds since
the call was sent, so a test can check that progress streamed in before the result at `call_seconds`). With --list every
tool definition is printed first, one JSON object per line. Diagnostics go to stderr.

Usage:
  py_client.py --url http://127.0.0.1:8080/mcp [--bearer TOKEN] [--header 'K: V']...
  py_client.py --stdio "path/to/server --flag" [--env K=V]...
  common: [--mode auto|legacy|2026-07-28] [--list] [--call NAME [--args JSON]]
          [--progress] [--expect-error] [--timeout SECONDS]

--mode: auto (default) probes `server/discover` and falls back to `initialize`;
        legacy forces the initialize handshake; 2026-07-28 pins the stateless era.

Exit status: 0 on success; 1 when connecting/listing/calling fails, when the call returned
isError (or, with --expect-error, when it did NOT return isError); 2 on usage errors.

Uses the pinned SDK from tests/interop/setup.sh: started with any other interpreter, it re-executes
itself with ${TOOLGATE_INTEROP_DIR:-~/.cache/toolgate-interop}/venv/bin/python when that exists.
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from datetime import datetime, timezone
from typing import Any


def _use_interop_venv() -> None:
    """Re-execute under the pinned venv from setup.sh unless already running in it."""
    venv = os.path.join(
        os.environ.get("TOOLGATE_INTEROP_DIR") or os.path.expanduser("~/.cache/toolgate-interop"), "venv"
    )
    venv_py = os.path.join(venv, "bin", "python")
    if os.environ.pop("_TOOLGATE_PY_CLIENT_REEXEC", None) == "1" or not os.path.exists(venv_py):
        return
    if os.path.realpath(sys.prefix) == os.path.realpath(venv):
        return
    os.environ["_TOOLGATE_PY_CLIENT_REEXEC"] = "1"
    os.execv(venv_py, [venv_py, os.path.abspath(__file__), *sys.argv[1:]])


_use_interop_venv()
try:
    import anyio
    from mcp import Client, StdioServerParameters
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared._httpx_utils import create_mcp_http_client
    from mcp_types.version import MODERN_PROTOCOL_VERSIONS
except ImportError as e:
    sys.stderr.write(f"py_client: cannot import the mcp 2.x SDK ({e}); run tests/interop/setup.sh first\n")
    sys.exit(2)

MODES = ("auto", "legacy", "2026-07-28")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="MCP interop client (Python SDK mcp 2.x)")
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--url", help="Streamable HTTP endpoint, e.g. http://127.0.0.1:8080/mcp")
    target.add_argument("--stdio", metavar="CMD", help='stdio server command line, e.g. "./server --stdio"')
    p.add_argument("--mode", choices=MODES, default="auto", help="protocol era negotiation (default auto)")
    p.add_argument("--bearer", metavar="TOKEN", help="send Authorization: Bearer TOKEN (HTTP only)")
    p.add_argument("--header", action="append", default=[], metavar="'NAME: VALUE'",
                   help="extra HTTP request header (repeatable)")
    p.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                   help="extra environment variable for the stdio server (repeatable)")
    p.add_argument("--list", action="store_true", help="print every tool definition as a JSON line")
    p.add_argument("--call", metavar="NAME", help="tool to call")
    p.add_argument("--args", default="{}", metavar="JSON", help="tool arguments as a JSON object")
    p.add_argument("--progress", action="store_true",
                   help="request progress for the call and report the notifications received")
    p.add_argument("--expect-error", action="store_true", help="succeed only if the call returns isError")
    p.add_argument("--timeout", type=float, default=30.0, help="per-request read timeout in seconds")
    a = p.parse_args(argv)
    if (a.expect_error or a.progress) and not a.call:
        p.error("--expect-error and --progress need --call")
    try:
        a.tool_args = json.loads(a.args)
    except json.JSONDecodeError as e:
        p.error(f"--args is not valid JSON: {e}")
    if not isinstance(a.tool_args, dict):
        p.error("--args must be a JSON object")
    if a.stdio and (a.bearer or a.header):
        p.error("--bearer/--header apply to --url only")
    return a


def build_target(a: argparse.Namespace) -> Any:
    if a.url:
        headers: dict[str, str] = {}
        for h in a.header:
            name, sep, value = h.partition(":")
            if not sep:
                raise SystemExit(f"py_client: bad --header {h!r}, expected 'Name: value'")
            headers[name.strip()] = value.strip()
        if a.bearer:
            headers["Authorization"] = f"Bearer {a.bearer}"
        return streamable_http_client(a.url, http_client=create_mcp_http_client(headers=headers or None))
    argv = shlex.split(a.stdio)
    if not argv:
        raise SystemExit("py_client: empty --stdio command")
    env = dict(kv.split("=", 1) for kv in a.env) if a.env else None
    return StdioServerParameters(command=argv[0], args=argv[1:], env=env)


def dump(model: Any) -> Any:
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


async def run(a: argparse.Namespace, out: dict[str, Any]) -> int:
    progress: list[dict[str, Any]] = []
    started = time.monotonic()

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        event = {
            "t": round(time.monotonic() - started, 4),
            "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "progress": value,
            "total": total,
            "message": message,
        }
        progress.append(event)
        print(f"# progress {json.dumps(event)}", file=sys.stderr, flush=True)

    async with Client(build_target(a), mode=a.mode, read_timeout_seconds=a.timeout) as client:
        out["protocol_version"] = client.protocol_version
        out["era"] = "modern" if client.protocol_version in MODERN_PROTOCOL_VERSIONS else "legacy"
        info = client.server_info
        out["server_info"] = dump(info) if info is not None else None
        print(f"# connected: protocol_version={client.protocol_version} server_info={out['server_info']}",
              file=sys.stderr)

        tools = []
        cursor = None
        while True:
            page = await client.list_tools(cursor=cursor)
            tools.extend(page.tools)
            cursor = page.next_cursor
            if not cursor:
                break
        out["tools"] = [t.name for t in tools]
        if a.list:
            for t in tools:
                print(json.dumps(dump(t)), flush=True)

        if not a.call:
            return 0
        if a.progress:
            out["progress"] = progress
        started = time.monotonic()
        res = await client.call_tool(a.call, a.tool_args, progress_callback=on_progress if a.progress else None)
        out["call_seconds"] = round(time.monotonic() - started, 4)
        out["result"] = {
            "content": [dump(c) for c in res.content],
            "structuredContent": res.structured_content,
            "isError": bool(res.is_error),
        }
        if a.expect_error:
            if not res.is_error:
                print("py_client: expected isError=true, the call succeeded", file=sys.stderr)
                return 1
            return 0
        if res.is_error:
            print("py_client: the tool call returned isError=true", file=sys.stderr)
            return 1
        return 0


def describe(exc: BaseException) -> str:
    """Flatten anyio/asyncio exception groups into one readable line."""
    inner = getattr(exc, "exceptions", None)  # BaseExceptionGroup (3.11+) or the exceptiongroup backport
    if isinstance(inner, (list, tuple)) and inner:
        return "; ".join(describe(e) for e in inner)
    msg = str(exc) or repr(exc)
    return f"{type(exc).__name__}: {msg}"


def main() -> None:
    a = parse_args()
    out: dict[str, Any] = {
        "client": "python-mcp/" + _mcp_version(),
        "mode": a.mode,
        "protocol_version": None,
        "era": None,
        "server_info": None,
        "tools": [],
        "result": None,
    }
    try:
        rc = anyio.run(run, a, out)
    except KeyboardInterrupt:
        rc = 130
    except BaseException as e:  # noqa: BLE001 - report everything, including exception groups
        if isinstance(e, SystemExit):
            raise
        out["error"] = describe(e)
        print(f"py_client: {out['error']}", file=sys.stderr)
        rc = 1
    print(json.dumps(out), flush=True)
    sys.exit(rc)


def _mcp_version() -> str:
    from importlib.metadata import version

    return version("mcp")


if __name__ == "__main__":
    main()
