#!/usr/bin/env bash
# Run the pinned MCP Inspector CLI (@modelcontextprotocol/inspector 2.12.0) non-interactively.
#
# Usage: tests/interop/inspector.sh TARGET [inspector options...]
#   TARGET is a URL (…/mcp => Streamable HTTP, …/sse => legacy SSE) or a stdio command + args.
#   Every argument is passed through to `mcp-inspector --cli --stored-auth-only`.
#
# Examples:
#   inspector.sh http://127.0.0.1:8080/mcp --method tools/list
#   inspector.sh http://127.0.0.1:8080/mcp --method tools/call --tool-name add --tool-args-json '{"a":1,"b":2}'
#   inspector.sh http://127.0.0.1:8080/mcp --header "Authorization: Bearer s3cret" --method tools/list
#   inspector.sh http://127.0.0.1:8080/mcp --protocol-era auto|legacy|modern --method tools/list
#   inspector.sh -q --format json ./target/debug/toolgate --stdio-flag --method tools/list
#   inspector.sh --transport http --server-url http://127.0.0.1:8080/other --method tools/list
# Useful options: --format json (one JSON object on stdout: {"result":…} or {"error":…}), -q,
# --tool-arg k=v…, -e KEY=VALUE (stdio env), --connect-timeout MS. Ad-hoc targets default to the
# legacy era. See `inspector.sh --help`.
#
# --stored-auth-only is always passed: a server that answers 401 makes the CLI fail (exit 3,
# auth_required) instead of starting an interactive OAuth login. Pass the token with --header.
#
# The Inspector keeps a catalog, client config and OAuth store under ~/.mcp-inspector; this wrapper
# points them into the install dir (…/inspector-state) so runs neither read a developer's stored
# tokens nor write to their home. Set TOOLGATE_INSPECTOR_USE_HOME=1 to keep the Inspector defaults.
# Runs with the pinned Node 22 (the Inspector declares node >= 22.19). Exit status is the CLI's.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BIN=$TG_TOOLS/node_modules/.bin/mcp-inspector
tg_require "$BIN"
tg_use_node22

if [ "${TOOLGATE_INSPECTOR_USE_HOME:-0}" != 1 ]; then
  state=$TG_INTEROP_DIR/inspector-state
  mkdir -p "$state"
  export MCP_STORAGE_DIR=${MCP_STORAGE_DIR:-$state/storage}
  export MCP_CATALOG_PATH=${MCP_CATALOG_PATH:-$state/mcp.json}
  export MCP_CLIENT_CONFIG_PATH=${MCP_CLIENT_CONFIG_PATH:-$state/storage/client.json}
fi

exec "$BIN" --cli --stored-auth-only "$@"
