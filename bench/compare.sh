#!/usr/bin/env bash
# Kiln beside ik_llama.cpp (or llama.cpp) on the same files, in one run: for each round and file, the reference
# tool's llama-bench, then `kiln bench`, with the same settings; two rounds, so the tools interleave twice.
#
#   bench/compare.sh REF_BIN_DIR FILE.gguf…          (REF_BIN_DIR: where build-reference.sh put llama-bench)
#
# Settings: BENCH_ARGS (default "-p 128 -n 32 -r 2"), THREADS (default: all cores), ROUNDS (default 2),
# PIN (CPU list for taskset, e.g. PIN=1 THREADS=1: both tools on one core while the others are busy).
# Prints the markdown rows of both tools as they come; nothing is written elsewhere.
set -euo pipefail
ref=${1:?usage: bench/compare.sh REF_BIN_DIR FILE.gguf...}; shift
[ -x "$ref/llama-bench" ] || { echo "compare.sh: $ref/llama-bench not found (run ../shared/tools/build-reference.sh)" >&2; exit 2; }
kiln="$(cd "$(dirname "$0")/.." && pwd)/kiln"
args=${BENCH_ARGS:--p 128 -n 32 -r 2}
threads=${THREADS:-$(nproc)}
pin=()
if [ -n "${PIN:-}" ]; then pin=(taskset -c "$PIN"); fi
for round in $(seq 1 "${ROUNDS:-2}"); do
  for f in "$@"; do
    echo "== round $round $f reference"
    # shellcheck disable=SC2086
    "${pin[@]}" "$ref/llama-bench" -m "$f" -t "$threads" $args 2>/dev/null | grep -E '^\| ' | grep -v -- '---' | tail -n +2
    echo "== round $round $f kiln"
    # shellcheck disable=SC2086
    "${pin[@]}" "$kiln" bench -m "$f" -t "$threads" $args 2>/dev/null | grep -E '^\| ' | grep -v -- '---' | tail -n +2
  done
done
