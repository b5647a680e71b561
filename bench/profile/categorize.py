#!/usr/bin/env python3
"""Groups `perf script` samples of a toolgate server into layers (ours, rmcp, hyper, kernel,
tokio) and writes folded stacks for a flame graph.

    perf record -F 499 -e cpu-clock --call-graph dwarf,16384 -p PID -o X.data -- sleep 8
    perf script -i X.data -F comm,tid,time,event,ip,sym,dso > X.script
    bench/profile/categorize.py X.script [X.folded]

A sample belongs to the first rule (top to bottom) that matches any frame of its stack, so a
frame of the tool call wins over the rmcp frames around it, and hyper gets only what runs
outside rmcp (HTTP/1 parsing, encoding, socket I/O).
"""
import collections
import re
import sys

RULES = [
    ("logging: tracing-subscriber fmt (rmcp INFO lines)", r"tracing_subscriber::|tracing_core::event"),
    ("ours: tool call: in-process axum router + shop handler", r"toolgate_shop::|(toolgate::upstream.*axum::routing)"),
    ("ours: tool call: toolgate_tools prepare/shape", r"toolgate_tools::"),
    ("ours: tool call: toolgate pipeline (call::run, upstream, catalog)", r"toolgate::(call|upstream|catalog|mcp)::"),
    ("ours: toolgate-mcp handler + convert", r"toolgate_mcp::"),
    ("rmcp: JSON-RPC request parse (serde, incl. Content buffering)", r"rmcp::.*(expect_json|from_slice|from_value)|serde::.*Deserialize.*rmcp|rmcp.*Deserialize"),
    ("rmcp: JSON-RPC response serialize", r"(serde_json::ser::to_(vec|writer|string)|Serialize).*"),
    ("rmcp: header/protocol validation", r"rmcp::transport::common::(mcp_headers|http_header)|validate_standard_headers|validate_protocol_version|check_(host|origin|accept)"),
    ("rmcp: tokio::spawn of rmcp futures (task cell memcpy)", r"(tokio::task::spawn|tokio::runtime::task::core::Core<T,S>::set_stage|spawn_inner)"),
    ("rmcp: per-request service loop (serve_inner, Peer, channels)", r"rmcp::service::"),
    ("rmcp: Streamable HTTP handling (handle_post, sessions, SSE)", r"rmcp::"),
    ("hyper HTTP/1 + socket I/O (incl. kernel)", r"hyper::|hyper_util::"),
    ("tokio scheduler / IO driver / kernel idle", r"tokio::|\[kernel"),
]


def samples(path):
    cur = None
    for line in open(path, errors="replace"):
        if not line.strip():
            if cur:
                yield cur
            cur = None
            continue
        if not line.startswith((" ", "\t")):
            cur = []
            continue
        if cur is not None:
            parts = line.strip().split(" ", 1)
            if len(parts) == 2:
                sym = parts[1]
                sym = re.sub(r" \((/|\[)[^)]*\)$", lambda m: " [kernel]" if "kernel" in m.group(0) else "", sym)
                cur.append(sym)
    if cur:
        yield cur


def main():
    path = sys.argv[1]
    folded = collections.Counter()
    cats = collections.Counter()
    leaf = collections.Counter()
    n = 0
    for frames in samples(path):
        n += 1
        text = "\n".join(frames)
        for name, pat in RULES:
            if re.search(pat, text):
                cats[name] += 1
                break
        else:
            cats["other"] += 1
        f0 = frames[0] if frames else "?"
        if "[kernel]" in f0:
            leaf["kernel (any syscall, incl. loopback delivery to wrk)"] += 1
        elif re.search(r"malloc|free|realloc|_int_|cfree|tcache", f0):
            leaf["glibc malloc/free"] += 1
        elif re.search(r"memcpy|memmove|memset", f0):
            leaf["memcpy/memmove"] += 1
        elif re.search(r"serde_json|serde::", f0):
            leaf["serde / serde_json"] += 1
        folded[";".join(reversed([re.sub(r"::h[0-9a-f]{16}$", "", f) for f in frames]))] += 1
    print(f"{n} samples")
    print("| share | layer |\n|---:|---|")
    for k, v in cats.most_common():
        print(f"| {100 * v / n:.1f} % | {k} |")
    print("\nleaf (self time) cross-cuts:")
    for k, v in leaf.most_common():
        print(f"  {100 * v / n:5.1f} %  {k}")
    if len(sys.argv) > 2:
        with open(sys.argv[2], "w") as f:
            for k, v in folded.items():
                f.write(f"{k} {v}\n")


if __name__ == "__main__":
    main()
