#!/usr/bin/env bash
# The GPU session's one script. Builds nothing: it runs the carried jlink image (cuda/target/kiln-jre, made by
# cuda/make-runtime.sh) and jar (cli/target/kiln.jar) and writes everything under $OUT:
#   env.txt            nvidia-smi, driver, the image's java -version
#   gpu-check.jsonl    kiln gpu-check: devices, every kernel against its scalar oracle, matvec bandwidth vs a copy
#   plan-*.txt         kiln plan for a DeepSeek-R1-sized inventory with the devices' real free memory
#   run-ngl.txt        kiln run -ngl 99 on a fixture model (if fixtures are there): must refuse in one line
#   summary.txt        exit codes and the agreement count
# Usage (repository root): OUT=/some/dir cuda/gpu-check.sh     (each step has its own timeout; total < 5 minutes)
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${OUT:-$root/gpu-check-out}"
mkdir -p "$OUT"
java="$root/cuda/target/kiln-jre/bin/java"
jar="$root/cli/target/kiln.jar"
summary="$OUT/summary.txt"
: > "$summary"
if [ ! -x "$java" ] || [ ! -f "$jar" ]; then
    echo "missing $java or $jar: run ./mvnw package and cuda/make-runtime.sh first, and carry both" | tee -a "$summary"
    exit 2
fi
kiln() { timeout "$1" "$java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -jar "$jar" "${@:2}"; }
step() { # name, exit code
    echo "$1: exit $2" >> "$summary"
}

{ nvidia-smi; nvidia-smi --query-gpu=name,driver_version,memory.total,memory.free,clocks.max.memory --format=csv; "$java" -version; uname -a; } > "$OUT/env.txt" 2>&1

kiln 300 gpu-check > "$OUT/gpu-check.jsonl" 2> "$OUT/gpu-check.err"
step "gpu-check (0 = every kernel agrees, 1 = one does not, 2 = no device)" $?
echo "agreement: $(grep -c '"ok": true' "$OUT/gpu-check.jsonl") ok, $(grep -c '"ok": false' "$OUT/gpu-check.jsonl") not ok" >> "$summary"

kiln 60 plan --synthetic deepseek-r1 -ngl 999 -ot '\.ffn_.*_exps\.=CPU' -c 32768 > "$OUT/plan-deepseek-r1-hybrid.txt" 2>&1
step "plan deepseek-r1 -ngl 999 -ot exps=CPU -c 32768 (0 = fits)" $?
kiln 60 plan --synthetic deepseek-r1 -ngl 999 -c 32768 > "$OUT/plan-deepseek-r1-full.txt" 2>&1
step "plan deepseek-r1 -ngl 999 (2 = does not fit, expected on one GPU)" $?

fixtures="${KILN_FIXTURES:-$root/shared/fixtures}"
model="$fixtures/tiny-llama/mainline/tiny-llama-bf16.gguf"
if [ -f "$model" ]; then
    kiln 60 run -m "$model" -p hi -n 4 -ngl 99 > "$OUT/run-ngl.txt" 2>&1
    step "run -ngl 99 (2 = refused: the model graphs do not run on a GPU yet)" $?
    kiln 120 bench -m "$model" -p 64 -n 16 -r 2 -o jsonl > "$OUT/bench-cpu.jsonl" 2> "$OUT/bench-cpu.err"
    step "bench on the CPU (the baseline; 0 = ran)" $?
else
    echo "no fixtures at $fixtures: run-ngl and the CPU bench skipped" >> "$summary"
fi
cat "$summary"
