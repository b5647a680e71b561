#!/usr/bin/env python3
"""MCP over WebSocket with the official Python SDK's session (`mcp==2.3.0`, high-level `mcp.Client`).

mcp 2.x removed `mcp.client.websocket.websocket_client` (python-sdk PR #2785: WebSocket was never
part of the MCP specification), and the pinned venv has no WebSocket library. This script carries
a port of that 1.x transport -- the same wire: the `mcp` subprotocol, one JSON-RPC message per
text frame -- over a small RFC 6455 client written with the standard library, and hands its
streams to `mcp.Client` as a `Transport`. Everything above the frames (both protocol eras,
progress, cancellation) is the SDK's own session logic.

Prints one final JSON object on stdout, like py_client.py:

    {"client": "python-mcp/2.3.0+ws", "mode": "legacy", "protocol_version": "2025-11-25", "era": "legacy",
     "subprotocol": "mcp", "server_info": {...}, "tools": [...], "result": {...}, "call_seconds": 0.4,
     "progress": [...], "cancel": {"cancelled": true, "seconds": 0.3, "tools_after": 5}}

Usage:
  ws_client.py --url ws://127.0.0.1:8090/ws [--mode auto|legacy|2026-07-28] [--bearer TOKEN]
               [--origin ORIGIN] [--list] [--call NAME [--args JSON] [--progress]]
               [--cancel-after-progress] [--timeout SECONDS]

--cancel-after-progress: cancel the call (the SDK sends notifications/cancelled) when its first
progress notification arrives, then list the tools again to show the session goes on.

Exit status: 0 on success; 1 when connecting/listing/calling fails or the call returned isError;
2 on usage errors. Re-executes itself with the interop venv's Python, as py_client.py does.
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import os
import sys
import time
import urllib.parse
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from typing import Any, AsyncIterator


def _use_interop_venv() -> None:
    venv = os.path.join(
        os.environ.get("TOOLGATE_INTEROP_DIR") or os.path.expanduser("~/.cache/toolgate-interop"), "venv"
    )
    venv_py = os.path.join(venv, "bin", "python")
    if os.environ.pop("_TOOLGATE_WS_CLIENT_REEXEC", None) == "1" or not os.path.exists(venv_py):
        return
    if os.path.realpath(sys.prefix) == os.path.realpath(venv):
        return
    os.environ["_TOOLGATE_WS_CLIENT_REEXEC"] = "1"
    os.execv(venv_py, [venv_py, os.path.abspath(__file__), *sys.argv[1:]])


_use_interop_venv()
try:
    import anyio
    import mcp_types as types
    from mcp import Client
    from mcp.shared.message import SessionMessage
    from mcp_types.version import MODERN_PROTOCOL_VERSIONS
except ImportError as e:
    sys.stderr.write(f"ws_client: cannot import the mcp 2.x SDK ({e}); run tests/interop/setup.sh first\n")
    sys.exit(2)

SUBPROTOCOL = "mcp"
_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


# ---- a minimal RFC 6455 client ------------------------------------------------------------------

class HandshakeError(Exception):
    """The server answered the upgrade with something other than 101."""


class WebSocket:
    """Text messages over one WebSocket connection (client side: frames are masked)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, subprotocol: str | None):
        self.reader, self.writer, self.subprotocol = reader, writer, subprotocol
        self.close_code: int | None = None
        self.close_reason = ""
        self._closing = False

    @classmethod
    async def connect(cls, url: str, headers: dict[str, str]) -> "WebSocket":
        u = urllib.parse.urlsplit(url)
        if u.scheme != "ws" or not u.hostname:
            raise ValueError(f"only ws:// URLs are supported, got {url!r}")
        reader, writer = await asyncio.open_connection(u.hostname, u.port or 80)
        key = base64.b64encode(os.urandom(16)).decode()
        target = (u.path or "/") + (f"?{u.query}" if u.query else "")
        lines = [
            f"GET {target} HTTP/1.1",
            f"Host: {u.netloc}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
            f"Sec-WebSocket-Protocol: {SUBPROTOCOL}",
            *(f"{k}: {v}" for k, v in headers.items()),
        ]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        await writer.drain()
        status = (await reader.readline()).decode("latin-1").split(" ", 2)
        got: dict[str, str] = {}
        while (line := (await reader.readline()).decode("latin-1").strip()):
            name, _, value = line.partition(":")
            got[name.strip().lower()] = value.strip()
        code = int(status[1]) if len(status) > 1 and status[1].isdigit() else 0
        if code != 101:
            body = b""
            if got.get("content-length", "").isdigit():
                body = await reader.readexactly(int(got["content-length"]))
            writer.close()
            raise HandshakeError(f"HTTP {code}: {body.decode(errors='replace')[:200]}")
        accept = base64.b64encode(hashlib.sha1((key + _GUID).encode()).digest()).decode()
        if got.get("sec-websocket-accept") != accept:
            raise HandshakeError("bad Sec-WebSocket-Accept")
        proto = got.get("sec-websocket-protocol")
        if proto is not None and proto != SUBPROTOCOL:
            raise HandshakeError(f"the server chose subprotocol {proto!r}, not {SUBPROTOCOL!r}")
        return cls(reader, writer, proto)

    async def _send_frame(self, opcode: int, payload: bytes) -> None:
        n = len(payload)
        head = bytes([0x80 | opcode])
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 1 << 16:
            head += bytes([0x80 | 126]) + n.to_bytes(2, "big")
        else:
            head += bytes([0x80 | 127]) + n.to_bytes(8, "big")
        mask = os.urandom(4)
        reps = (mask * (n // 4 + 1))[:n]
        masked = (int.from_bytes(payload, "big") ^ int.from_bytes(reps, "big")).to_bytes(n, "big") if n else b""
        self.writer.write(head + mask + masked)  # one write per frame: frames never interleave
        await self.writer.drain()

    async def send_text(self, text: str) -> None:
        await self._send_frame(0x1, text.encode())

    async def recv(self) -> str | None:
        """The next text message; None once the connection is closed."""
        parts: list[bytes] = []
        while True:
            try:
                b0, b1 = await self.reader.readexactly(2)
                n = b1 & 0x7F
                if n == 126:
                    n = int.from_bytes(await self.reader.readexactly(2), "big")
                elif n == 127:
                    n = int.from_bytes(await self.reader.readexactly(8), "big")
                mask = await self.reader.readexactly(4) if b1 & 0x80 else None
                payload = await self.reader.readexactly(n)
            except (asyncio.IncompleteReadError, ConnectionError):
                return None
            if mask:
                payload = bytes(c ^ mask[i % 4] for i, c in enumerate(payload))
            opcode = b0 & 0x0F
            if opcode == 0x8:  # close: answer it once, then stop
                self.close_code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
                self.close_reason = payload[2:].decode(errors="replace")
                await self.close()
                return None
            if opcode == 0x9:
                await self._send_frame(0xA, payload)
                continue
            if opcode == 0xA:
                continue
            if opcode == 0x2:
                raise ValueError("the server sent a binary frame")
            parts.append(payload)  # 0x1 text, or 0x0 continuation
            if b0 & 0x80:
                return b"".join(parts).decode()

    async def close(self, code: int = 1000) -> None:
        if self._closing:
            return
        self._closing = True
        try:
            await self._send_frame(0x8, code.to_bytes(2, "big"))
        except (ConnectionError, RuntimeError):
            pass
        self.writer.close()


# ---- the transport (a port of mcp 1.x `websocket_client`) -------------------------------------

@asynccontextmanager
async def websocket_client(url: str, headers: dict[str, str], info: dict[str, Any]) -> AsyncIterator[Any]:
    ws = await WebSocket.connect(url, headers)
    info["subprotocol"] = ws.subprotocol
    read_stream_writer, read_stream = anyio.create_memory_object_stream[SessionMessage | Exception](0)
    write_stream, write_stream_reader = anyio.create_memory_object_stream[SessionMessage](0)

    async def ws_reader() -> None:
        async with read_stream_writer:
            while (text := await ws.recv()) is not None:
                try:
                    message = types.jsonrpc_message_adapter.validate_json(text, by_name=False)
                except ValueError as exc:
                    await read_stream_writer.send(exc)
                    continue
                await read_stream_writer.send(SessionMessage(message))
        if ws.close_code is not None:
            info["close"] = {"code": ws.close_code, "reason": ws.close_reason}

    async def ws_writer() -> None:
        async with write_stream_reader:
            async for session_message in write_stream_reader:
                await ws.send_text(session_message.message.model_dump_json(by_alias=True, exclude_unset=True))

    async with anyio.create_task_group() as tg:
        tg.start_soon(ws_reader)
        tg.start_soon(ws_writer)
        try:
            yield read_stream, write_stream
        finally:
            with anyio.CancelScope(shield=True):
                await ws.close()
            tg.cancel_scope.cancel()


# ---- the client ---------------------------------------------------------------------------------

def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="MCP over WebSocket with the Python SDK's session")
    p.add_argument("--url", required=True, help="ws://host:port/path")
    p.add_argument("--mode", choices=("auto", "legacy", "2026-07-28"), default="auto")
    p.add_argument("--bearer", metavar="TOKEN", help="send Authorization: Bearer TOKEN on the upgrade")
    p.add_argument("--origin", help="send this Origin header on the upgrade (as a browser would)")
    p.add_argument("--list", action="store_true", help="print every tool definition as a JSON line")
    p.add_argument("--call", metavar="NAME")
    p.add_argument("--args", default="{}", metavar="JSON")
    p.add_argument("--progress", action="store_true", help="ask for progress and report it")
    p.add_argument("--cancel-after-progress", action="store_true",
                   help="cancel the call at its first progress notification, then list the tools again")
    p.add_argument("--timeout", type=float, default=30.0)
    a = p.parse_args(argv)
    if (a.progress or a.cancel_after_progress) and not a.call:
        p.error("--progress and --cancel-after-progress need --call")
    try:
        a.tool_args = json.loads(a.args)
    except json.JSONDecodeError as e:
        p.error(f"--args is not valid JSON: {e}")
    return a


def dump(model: Any) -> Any:
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


async def run(a: argparse.Namespace, out: dict[str, Any]) -> int:
    headers: dict[str, str] = {}
    if a.bearer:
        headers["Authorization"] = f"Bearer {a.bearer}"
    if a.origin:
        headers["Origin"] = a.origin
    progress: list[dict[str, Any]] = []
    started = time.monotonic()
    first_progress = anyio.Event()

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append({
            "t": round(time.monotonic() - started, 4),
            "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "progress": value, "total": total, "message": message,
        })
        first_progress.set()

    async with Client(websocket_client(a.url, headers, out), mode=a.mode, read_timeout_seconds=a.timeout) as client:
        out["protocol_version"] = client.protocol_version
        out["era"] = "modern" if client.protocol_version in MODERN_PROTOCOL_VERSIONS else "legacy"
        out["server_info"] = dump(client.server_info) if client.server_info is not None else None
        print(f"# connected: protocol_version={client.protocol_version} subprotocol={out.get('subprotocol')}",
              file=sys.stderr)
        tools = (await client.list_tools()).tools
        out["tools"] = [t.name for t in tools]
        if a.list:
            for t in tools:
                print(json.dumps(dump(t)), flush=True)
        if not a.call:
            return 0
        out["progress"] = progress
        started = time.monotonic()

        if a.cancel_after_progress:
            got: list[Any] = []

            async def call() -> None:
                got.append(await client.call_tool(a.call, a.tool_args, progress_callback=on_progress))

            async with anyio.create_task_group() as tg:
                tg.start_soon(call)
                with anyio.fail_after(a.timeout):
                    await first_progress.wait()
                tg.cancel_scope.cancel()
            seconds = round(time.monotonic() - started, 4)
            after = (await client.list_tools()).tools
            out["cancel"] = {"cancelled": not got, "seconds": seconds, "tools_after": len(after)}
            return 0 if not got else 1

        res = await client.call_tool(a.call, a.tool_args,
                                     progress_callback=on_progress if a.progress else None)
        out["call_seconds"] = round(time.monotonic() - started, 4)
        out["result"] = {
            "content": [dump(c) for c in res.content],
            "structuredContent": res.structured_content,
            "isError": bool(res.is_error),
        }
        return 1 if res.is_error else 0


def describe(exc: BaseException) -> str:
    inner = getattr(exc, "exceptions", None)
    if isinstance(inner, (list, tuple)) and inner:
        return "; ".join(describe(e) for e in inner)
    return f"{type(exc).__name__}: {str(exc) or repr(exc)}"


def main() -> None:
    a = parse_args()
    from importlib.metadata import version

    out: dict[str, Any] = {"client": f"python-mcp/{version('mcp')}+ws", "mode": a.mode, "protocol_version": None,
                           "era": None, "server_info": None, "tools": [], "result": None}
    try:
        rc = anyio.run(run, a, out)
    except KeyboardInterrupt:
        rc = 130
    except BaseException as e:  # noqa: BLE001 - report everything, including exception groups
        if isinstance(e, SystemExit):
            raise
        out["error"] = describe(e)
        print(f"ws_client: {out['error']}", file=sys.stderr)
        rc = 1
    print(json.dumps(out), flush=True)
    sys.exit(rc)


if __name__ == "__main__":
    main()
