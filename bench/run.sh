#!/usr/bin/env bash
# toolgate benchmark, one command: builds toolgate and shop-rest (release), makes the Python
# virtual environments (pinned), fetches GitHub's REST API description, then measures every
# server in one interleaved run and writes bench/RESULTS.md (+ RESULTS.json).
#
#   bench/run.sh            # full run (RUNS=3, 10 s per point; about 20 min)
#   QUICK=1 bench/run.sh    # sanity run (RUNS=1, 3 s per point; about 3 min)
#
# Knobs: see the top of bench/bench.py (RUNS, DURATION, WARMUP, CONCURRENCY, SESSIONS, ONLY, ...).
# Only 127.0.0.1 is contacted once the set-up is done; every load point is bounded in time.
set -euo pipefail
BENCH=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$BENCH")
CACHE=$BENCH/.cache
OCTOKIT_OPENAPI=23.0.2   # @octokit/openapi, GitHub's REST API description
PY=${PYTHON:-python3}
mkdir -p "$CACHE/bin"

need() { command -v "$1" >/dev/null 2>&1; }
if ! need wrk || ! need taskset; then
  echo "installing wrk and util-linux (Debian packages)"
  apt-get update -qq && apt-get install -y -qq wrk util-linux
fi

echo "building toolgate and shop-rest (release)"
(cd "$ROOT" && cargo build --release -q -p toolgate-cli -p toolgate-shop --bins)
# copies, so a rebuild in the shared target directory cannot change a binary mid-run
cp "$ROOT/target/release/toolgate" "$ROOT/target/release/shop-rest" "$CACHE/bin/"

mkvenv() { # dir lockfile
  local dir=$BENCH/$1 lock=$BENCH/python/$2
  if [[ ! -x $dir/bin/python ]] || ! cmp -s "$lock" "$dir/.lock" ; then
    echo "creating $1 from python/$2"
    rm -rf "$dir"
    "$PY" -m venv "$dir"
    "$dir/bin/pip" install -q --disable-pip-version-check -r "$lock"
    cp "$lock" "$dir/.lock"
  fi
}
# fastapi-mcp 0.4.0 needs mcp 1.x (it breaks on mcp 2), FastMCP 4.x needs mcp >= 2.3: two venvs.
mkvenv .venv-fastmcp requirements-fastmcp.lock
mkvenv .venv-fastapi-mcp requirements-fastapi-mcp.lock

doc=$CACHE/octokit-openapi/generated/api.github.com.json
if [[ ! -s $doc ]]; then
  echo "fetching @octokit/openapi@$OCTOKIT_OPENAPI"
  (cd "$CACHE" && [[ -s octokit-openapi-$OCTOKIT_OPENAPI.tgz ]] || npm pack "@octokit/openapi@$OCTOKIT_OPENAPI" --silent >/dev/null)
  mkdir -p "$CACHE/octokit-openapi"
  tar xzf "$CACHE/octokit-openapi-$OCTOKIT_OPENAPI.tgz" -C "$CACHE/octokit-openapi" --strip-components=1 \
    package/generated/api.github.com.json
fi

cmd="bench/run.sh"
for v in QUICK RUNS DURATION WARMUP CONCURRENCY SESSIONS ONLY PIN; do
  [[ -n ${!v:-} ]] && cmd="$v=${!v} $cmd"
done
cd "$BENCH"
BENCH_COMMAND=$cmd GITHUB_DOC=$doc exec "$PY" bench.py "$@"
