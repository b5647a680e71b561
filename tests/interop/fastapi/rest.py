#!/usr/bin/env python3
"""Make one HTTP request described by a JSON object and print the response as one JSON line.

The direct-REST half of tests/interop/tests/fastapi_gateway.rs (standard library only, so it runs
under any Python 3):

    rest.py '{"method": "GET", "url": "http://127.0.0.1:8000/items", "query": [["limit", "3"]],
              "headers": {"X-Api-Key": "k"}, "cookies": {"session_id": "s"},
              "json": {...} | "form": {"k": "v"} | "multipart": {"fields": {...}, "files": {...}}}'

`files` maps a field name to {"content_b64": ..., "filename": ..., "content_type": ...}.
Prints {"status": 200, "content_type": "application/json", "body": "<the body as text>"}.
Redirects are not followed. Exit status 0 for any HTTP status, 2 on a bad request description or
a connection failure.
"""
from __future__ import annotations

import base64
import json
import sys
import urllib.error
import urllib.parse
import urllib.request

BOUNDARY = "----toolgate-interop-rest-boundary-7f3a9c"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: D102 - keep 3xx as they are
        return None


def multipart(fields: dict, files: dict) -> bytes:
    out = bytearray()
    for name, value in fields.items():
        out += f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        out += str(value).encode() + b"\r\n"
    for name, f in files.items():
        out += (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; filename="{f["filename"]}"\r\n'
                f'Content-Type: {f.get("content_type", "application/octet-stream")}\r\n\r\n').encode()
        out += base64.b64decode(f["content_b64"]) + b"\r\n"
    out += f"--{BOUNDARY}--\r\n".encode()
    return bytes(out)


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    spec = json.loads(sys.argv[1])
    url = spec["url"]
    if spec.get("query"):
        url += "?" + urllib.parse.urlencode([tuple(kv) for kv in spec["query"]])
    headers = dict(spec.get("headers", {}))
    if spec.get("cookies"):
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in spec["cookies"].items())
    data = None
    if "json" in spec:
        data = json.dumps(spec["json"]).encode()
        headers["Content-Type"] = "application/json"
    elif "form" in spec:
        data = urllib.parse.urlencode(spec["form"]).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif "multipart" in spec:
        data = multipart(spec["multipart"].get("fields", {}), spec["multipart"].get("files", {}))
        headers["Content-Type"] = f"multipart/form-data; boundary={BOUNDARY}"
    req = urllib.request.Request(url, data=data, headers=headers, method=spec.get("method", "GET"))
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(req, timeout=30) as resp:
            status, ctype, body = resp.status, resp.headers.get("Content-Type"), resp.read()
    except urllib.error.HTTPError as e:
        status, ctype, body = e.code, e.headers.get("Content-Type"), e.read()
    except OSError as e:
        print(f"rest.py: {url}: {e}", file=sys.stderr)
        return 2
    print(json.dumps({"status": status, "content_type": ctype, "body": body.decode("utf-8", "replace")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
