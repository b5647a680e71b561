"""Starts one Python server of the benchmark: `serve.py MODE PORT [OPENAPI_FILE UPSTREAM]`.

MODE
  rest             the FastAPI app itself (REST, and its OpenAPI at /openapi.json)
  fastapi_mcp      fastapi-mcp 0.4.0: FastApiMCP(app).mount_http() at /mcp (needs .venv-fastapi-mcp)
  fastmcp          FastMCP.from_fastapi(app) over Streamable HTTP at /mcp (needs .venv-fastmcp)
  fastmcp_openapi  FastMCP.from_openapi(<OPENAPI_FILE>) calling UPSTREAM, at /mcp (start-up test)
All run one uvicorn worker (uvloop + httptools), access log off, on 127.0.0.1.
"""
import json
import sys

import uvicorn


def main() -> None:
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode == "rest":
        from app_fastapi import app as asgi
    elif mode == "fastapi_mcp":
        from fastapi_mcp import FastApiMCP
        from app_fastapi import app as asgi
        FastApiMCP(asgi).mount_http(mount_path="/mcp")
    elif mode == "fastmcp":
        from fastmcp import FastMCP
        from app_fastapi import app
        asgi = FastMCP.from_fastapi(app, name="Shop API").http_app(path="/mcp", transport="http")
    elif mode == "fastmcp_openapi":
        import httpx2
        from fastmcp import FastMCP
        with open(sys.argv[3], "rb") as f:
            spec = json.load(f)
        client = httpx2.AsyncClient(base_url=sys.argv[4], timeout=30)
        asgi = FastMCP.from_openapi(spec, client=client, name="GitHub").http_app(path="/mcp", transport="http")
    else:
        sys.exit(f"unknown mode {mode}")
    uvicorn.run(asgi, host="127.0.0.1", port=port, workers=1, loop="uvloop", http="httptools",
                log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
