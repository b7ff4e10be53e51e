#!/usr/bin/env bash
# zkinfer bench on each EZKL example model (the models EZKL's baseline figures were measured on).
# Writes bench/results/<model>.json; prints one line per model.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
MODELS="${EZKL_MODELS:-$ROOT/../shared/models/ezkl-examples}"
BIN=target/release/zkinfer
OUT=bench/results
RUNS="${RUNS:-3}"
# OPTIMIZE=prove|balanced|gas is passed to compile (default: balanced); results go to bench/results[-MODE]/.
OPTIMIZE="${OPTIMIZE:-balanced}"
[ "$OPTIMIZE" = balanced ] || OUT="$OUT-$OPTIMIZE"
[ -d "$MODELS" ] || { echo "no EZKL models at $MODELS (set EZKL_MODELS)"; exit 2; }
mkdir -p "$OUT" build/bench
for dir in "$MODELS"/*/; do
  name=$(basename "$dir")
  [ -n "${ONLY:-}" ] && [[ " $ONLY " != *" $name "* ]] && continue
  "$BIN" compile "$dir/network.onnx" --calibrate "$dir/input.json" --optimize "$OPTIMIZE" -o "build/bench/$name" --json > "build/bench/$name.compile.json"
  "$BIN" bench "build/bench/$name" "$dir/input.json" --runs "$RUNS" --out "$OUT/$name.json" --json > /dev/null
  echo "$name: $(tr -d '\n ' < "$OUT/$name.json" | grep -o '"k":[0-9]*\|"prove_s":[0-9.e-]*\|"setup_s":[0-9.e-]*\|"peak_rss_mb":[0-9.e-]*\|"proof_bytes":[0-9]*\|"verify_gas":[0-9]*' | tr '\n' ' ')"
done
