#!/usr/bin/env bash
# Run the official MCP server conformance suite against a running Streamable HTTP server.
#
# Usage: tests/interop/conformance.sh URL legacy|modern|legacy-2025-11-25 [--expected-failures FILE]
#                                     [-o|--output-dir DIR] [extra suite options...]
#
#   legacy  @modelcontextprotocol/conformance 0.1.16, active suite: the initialize-era
#           scenarios (2025-06-18 / 2025-11-25).
#   modern  @modelcontextprotocol/conformance 0.2.0-alpha.12 with --requirements 2026-07-28:
#           exactly the scenarios the stateless 2026-07-28 revision requires (plus
#           extension/pending scenarios that it runs but does not score).
#   legacy-2025-11-25
#           0.2.0-alpha.12 with --requirements 2025-11-25: the legacy era as the newer suite
#           checks it (more checks per scenario; server-session-lifecycle and SSE polling run
#           but are not scored).
#
#   --expected-failures FILE  YAML baseline, e.g. "server:\n  - tools-call-sampling\n". The suite
#                             then exits 0 when only listed scenarios fail, and 1 on any other
#                             failure or on a stale entry (a listed scenario that now passes).
#   -o, --output-dir DIR      where checks.json per scenario and suite.log go. Default:
#                             ${TOOLGATE_CONFORMANCE_OUT:-<repo>/target/interop/conformance}/<era>,
#                             emptied before each run (a DIR given with -o is left as is; the
#                             suite adds one timestamped sub-directory per scenario).
#   extra options             passed to `conformance server` unchanged, e.g. --scenario tools-list,
#                             --verbose; alpha.12 eras only: --timeout MS (per scenario,
#                             default 30000).
#
# Runs with the pinned Node 22 (the suite needs Node >= 22). Exit status: the suite's own
# (0 = every scored scenario passed or failed only as expected), 2 on usage/setup errors.
# Note: the suite's summary ends with "Total: N passed, N failed", counting checks, not scenarios.
set -uo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() { sed -n '2,/^set -uo/{/^set -uo/d;s/^# \{0,1\}//;p}' "$0" >&2; exit 2; }
[ $# -ge 2 ] || usage
URL=$1 ERA=$2
shift 2
case $ERA in
  legacy) SUITE_DIR=$TG_TOOLS; ERA_ARGS=() ;;
  modern) SUITE_DIR=$TG_CONF_MODERN; ERA_ARGS=(--requirements 2026-07-28) ;;
  legacy-2025-11-25) SUITE_DIR=$TG_CONF_MODERN; ERA_ARGS=(--requirements 2025-11-25) ;;
  *) echo "conformance.sh: era must be legacy, modern or legacy-2025-11-25, got '$ERA'" >&2; usage ;;
esac

OUT="" EXTRA=()
while [ $# -gt 0 ]; do
  case $1 in
    --expected-failures)
      [ $# -ge 2 ] || tg_die "--expected-failures needs a FILE"
      [ -f "$2" ] || tg_die "expected-failures file not found: $2"
      EXTRA+=(--expected-failures "$2"); shift 2 ;;
    --expected-failures=*)
      [ -f "${1#*=}" ] || tg_die "expected-failures file not found: ${1#*=}"
      EXTRA+=("$1"); shift ;;
    -o|--output-dir) [ $# -ge 2 ] || tg_die "$1 needs a DIR"; OUT=$2; shift 2 ;;
    --output-dir=*) OUT=${1#*=}; shift ;;
    -h|--help) usage ;;
    *) EXTRA+=("$1"); shift ;;
  esac
done

BIN=$SUITE_DIR/node_modules/.bin/conformance
tg_require "$BIN"
tg_use_node22

if [ -z "$OUT" ]; then
  OUT=${TOOLGATE_CONFORMANCE_OUT:-$TG_INTEROP_HERE/../../target/interop/conformance}/$ERA
  rm -rf "$OUT"
fi
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
LOG=$OUT/suite.log

echo "conformance.sh: $ERA suite $(node -p 'require(process.argv[1]).version' "$SUITE_DIR/node_modules/@modelcontextprotocol/conformance/package.json") on node $(node --version) -> $URL" >&2
"$BIN" server --url "$URL" "${ERA_ARGS[@]}" -o "$OUT" ${EXTRA[@]+"${EXTRA[@]}"} 2>&1 | tee "$LOG"
rc=${PIPESTATUS[0]}

# Scenario-level tally from the suite's SUMMARY block (its own "Total:" counts individual checks).
# The alpha.12 suite also runs scenarios it does not score (extensions, pending); those are
# tallied separately. Which ones are scored comes from `conformance list --requirements REV`
# (the suite's own "Not scored" list after "Total:" is missing when a baseline is given).
if grep -q '=== SUMMARY ===' "$LOG"; then
  SCORED=$OUT/scored.txt
  : >"$SCORED"
  if [ ${#ERA_ARGS[@]} -gt 0 ]; then
    "$BIN" list "${ERA_ARGS[@]}" 2>/dev/null |
      awk '/^Server scenarios/ { on = 1; next } on && /^ *- / { print $2 } on && /^$/ { exit }' >"$SCORED"
  fi
  awk -v list="$SCORED" '
    BEGIN             { while ((getline n < list) > 0) { scored[n] = 1; have_list = 1 } }
    /=== SUMMARY ===/ { sec = "summary"; next }
    /^Total:/         { sec = "tail"; next }
    /^Not scored/     { sec = "unscored"; next }
    sec == "summary"  && /^(✓|✗) / { name = $2; sub(/:$/, "", name); res[name] = $1 }
    sec == "unscored" && /^ +(✓|✗) / { unscored[$2] = 1 }
    END {
      for (n in res) {
        if ((have_list && !(n in scored)) || n in unscored) { if (res[n] == "✓") uo++; else uf++ }
        else                                                 { if (res[n] == "✓") so++; else sf++ }
      }
      printf "scored scenarios ok=%d failing=%d", so, sf
      if (uo + uf) printf "; unscored ok=%d failing=%d", uo, uf
    }' "$LOG" >"$OUT/tally.txt"
  echo "conformance.sh: $ERA $(cat "$OUT/tally.txt"); suite exit $rc; results in $OUT" >&2
else
  echo "conformance.sh: $ERA suite exit $rc; results in $OUT" >&2
fi
exit "$rc"
