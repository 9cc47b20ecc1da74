#!/usr/bin/env bash
# Where `kiln bench` generation spends its time: one pinned core, a JFR recording (sampling every 2 ms), and
# bench/jfr_summary.py's steady-state summary (top frames, dot kernels against the rest, allocation).
#   bench/profile.sh FILE.gguf [OUT.jfr]        (CPU list: PIN, default 1; tokens: N, default 128)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
model=${1:?usage: bench/profile.sh FILE.gguf [OUT.jfr]}
jfr=${2:-$(mktemp --suffix=.jfr)}
KILN_JAVA_OPTS="-XX:StartFlightRecording=filename=$jfr,settings=profile,jdk.ExecutionSample#period=2ms" \
  taskset -c "${PIN:-1}" "$here/kiln" bench -m "$model" -p 0 -n "${N:-128}" -r 3 -t 1 --no-roofline 2>/dev/null | grep -E '^\| '
python3 "$here/bench/jfr_summary.py" "$jfr"
