#!/usr/bin/env bash
# zkinfer and EZKL on the same model, back to back, so both see the same machine state
# (on 2 shared cores a baseline measured on another day is not comparable).
#   bench/side_by_side.sh                 # all models; RUNS=3, EZKL_RUNS=RUNS
#   ONLY="1l_relu 1l_mlp" RUNS=1 bench/side_by_side.sh
# Writes bench/results-sbs/<model>.json; bench/side_by_side_table.py renders them.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
MODELS="${EZKL_MODELS:-/work/shared/models/ezkl-examples}"
BIN="$ROOT/target/release/zkinfer"
PY="${EZKL_PY:-$HOME/.cache/zkinfer-bench/ezkl-venv/bin/python}"
RUNS="${RUNS:-3}"
EZKL_RUNS="${EZKL_RUNS:-$RUNS}"
OUT=bench/results-sbs
# A cache of our own, so the first setup at each k includes making the SRS (recorded as srs_made)
# rather than silently reusing whatever ~/.cache holds.
export ZKINFER_CACHE_DIR="$ROOT/build/sbs/cache"

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.6f", b-a}'; }
srs_files() { ls "$ZKINFER_CACHE_DIR/srs" 2>/dev/null | grep '^dev-insecure' | sort || true; }

one() {  # one model; run as a child process so `set -e` holds and a failure skips only this model
  local dir="${1%/}" name w b cal t0 compile_s setup_s prove_walls="" load srs_before srs_after
  name=$(basename "$dir")
  w="build/sbs/$name"; b="$w/build"
  rm -rf "$w"; mkdir -p "$w"
  load="$(uptime)"

  # Exported fixtures carry calibration.json (tree models need their training rows); both tools
  # calibrate on the same samples.
  cal="$dir/input.json"; [ -f "$dir/calibration.json" ] && cal="$dir/calibration.json"
  t0=$(now); "$BIN" compile "$dir/network.onnx" --calibrate "$cal" -o "$b" --json > "$w/compile.json"
  compile_s=$(since "$t0")
  srs_before=$(srs_files)
  t0=$(now); "$BIN" setup "$b" --dev-srs --json > "$w/setup.json"; setup_s=$(since "$t0")
  srs_after=$(srs_files)
  # Whole-command wall time: what a user waits for (process start, key and SRS loading included).
  for _ in $(seq "$RUNS"); do
    t0=$(now); "$BIN" prove "$b" "$dir/input.json" -o "$w/proof.json" --json > "$w/prove.json"
    prove_walls+="$(since "$t0") "
  done
  # In-process figures (keygen + proving only) and verifier gas come from bench.
  "$BIN" bench "$b" "$dir/input.json" --runs "$RUNS" --out "$w/bench.json" --json > /dev/null

  # EZKL right after, same machine state.
  local ezkl_cal=(); [ "$cal" != "$dir/input.json" ] && ezkl_cal=(--calibration "$cal")
  "$PY" bench/ezkl/ezkl_run.py "$dir" "$w/ezkl.json" --runs "$EZKL_RUNS" "${ezkl_cal[@]}"

  # zkinfer again at EZKL's accuracy: a speed-up only counts at equal or better precision, so the
  # error budget becomes EZKL's measured error (relative to the output range) wherever that is
  # tighter than the default 0.05%.
  # (Skipped where EZKL does not compile the file: there is no EZKL accuracy to match.)
  local ezkl_err matched_walls="" m="$w/matched"
  ezkl_err=$("$PY" -c 'import json,sys; r=json.load(open(sys.argv[1])); print(max(r["max_rel_error_pct"], 1e-5) / 100 if r["compiles"] else "none")' "$w/ezkl.json")
  if [ "$ezkl_err" != none ]; then
    "$BIN" compile "$dir/network.onnx" --calibrate "$cal" --max-error "$ezkl_err" -o "$m" --json > "$w/matched-compile.json"
    "$BIN" setup "$m" --dev-srs --json > /dev/null
    for _ in $(seq "$RUNS"); do
      t0=$(now); "$BIN" prove "$m" "$dir/input.json" -o "$w/matched-proof.json" --json > /dev/null
      matched_walls+="$(since "$t0") "
    done
    "$BIN" bench "$m" "$dir/input.json" --runs "$RUNS" --out "$w/matched-bench.json" --json > /dev/null
  fi

  # Venv python: it has onnxruntime, so zkinfer's proven outputs can be scored by float_ref, the
  # very yardstick EZKL's error comes from (calibration's figure uses zkinfer's own float evaluator).
  "$PY" - "$dir" "$w" "$OUT/$name.json" "$compile_s" "$setup_s" "$prove_walls" "$load" \
         "$(comm -13 <(echo "$srs_before") <(echo "$srs_after") | tr '\n' ' ')" "$matched_walls" <<'EOF'
import json, os, statistics, subprocess, sys
sys.path.insert(0, "bench/ezkl")
import float_ref
dir_, w, out, compile_s, setup_s, walls, load, srs_new, matched_walls = sys.argv[1:]
rd = lambda f: json.load(open(os.path.join(w, f)))
c, bench, proof, ez = rd("compile.json"), rd("bench.json"), rd("proof.json"), rd("ezkl.json")
st = c.get("settings", c)
cal, table = st["calibration"], st["layout"].get("table", {})
worst = max(cal["outputs"], key=lambda o: o["max_rel_error"])
walls = [float(x) for x in walls.split()]
ort = float_ref.error_metric([v for t in proof["outputs"] for v in t],
                             float_ref.float_outputs(os.path.join(dir_, "network.onnx"),
                                                     os.path.join(dir_, "input.json")))
rec = {
  "model": os.path.basename(dir_),
  "machine": {"nproc": os.cpu_count(), "date": subprocess.check_output(["date", "-Iseconds"], text=True).strip(),
              "uptime_before": load, "loadavg_before": [float(x) for x in load.rsplit(":", 1)[1].split(",")],
              "rayon_threads": os.environ.get("RAYON_NUM_THREADS")},
  "zkinfer": {
    "k": st["k"], "lanes": st["layout"]["lanes"], "scale": st["scale"],
    "range_bits": table.get("range_bits"), "limb_bits": table.get("limb_bits"),
    "compile_s": float(compile_s), "setup_s": float(setup_s), "srs_made": srs_new.split(),
    "prove_wall_s": statistics.median(walls), "prove_wall_runs_s": walls,
    **{k: bench.get(k) for k in ("prove_s", "prove_runs_s", "verify_gas",
                                 "runtime_bytes", "proof_bytes", "num_instances", "row_counts", "peak_rss_mb")},
    "keygen_s_in_process": bench.get("setup_s"),
    # Worst output, each against its own range: never lower than one range over all outputs.
    "max_abs_error": max(o["max_abs_error"] for o in cal["outputs"]),
    "max_rel_error_pct": 100.0 * worst["max_rel_error"], "worst_output": worst["name"],
    "budget_met": cal.get("budget_met"), "error_budget_pct": 100.0 * cal["max_error"],
    "proof_vs_onnxruntime": ort,
  },
  "ezkl": {k: ez.get(k) for k in ("ezkl_version", "compiles", "error", "logrows", "prove_s", "prove_runs_s",
                                  "setup_s", "max_abs_error", "max_rel_error_pct", "output_range", "verify_ok",
                                  "load_avg_start", "threads")} | {"gen_srs_s": ez["step_s"].get("gen_srs")},
}
z = rec["zkinfer"]
if not ez["compiles"]:
  json.dump(rec, open(out, "w"), indent=1)
  print(f"{rec['model']}: zkinfer k={z['k']} wall {z['prove_wall_s']:.3f}s err {z['max_rel_error_pct']:.4g}% | "
        f"EZKL does not compile: {ez['error'][:120]}")
  sys.exit(0)
mc, mb = rd("matched-compile.json"), rd("matched-bench.json")
ms = mc.get("settings", mc)
mcal = ms["calibration"]
mworst = max(mcal["outputs"], key=lambda o: o["max_rel_error"])
mwalls = [float(x) for x in matched_walls.split()]
rec["zkinfer_matched"] = {
  "error_budget_pct": 100.0 * mcal["max_error"], "budget_met": mcal.get("budget_met"),
  "k": ms["k"], "lanes": ms["layout"]["lanes"], "scale": ms["scale"],
  "prove_wall_s": statistics.median(mwalls), "prove_wall_runs_s": mwalls,
  "prove_s": mb.get("prove_s"), "verify_gas": mb.get("verify_gas"),
  "max_rel_error_pct": 100.0 * mworst["max_rel_error"],
}
json.dump(rec, open(out, "w"), indent=1)
z, e = rec["zkinfer"], rec["ezkl"]
print(f"{rec['model']}: zkinfer k={z['k']} wall {z['prove_wall_s']:.3f}s err {z['max_rel_error_pct']:.4g}% | "
      f"EZKL k={e['logrows']} {e['prove_s']:.3f}s err {e['max_rel_error_pct']:.4g}%")
EOF
}

if [ "${1:-}" = __one ]; then one "$2"; exit; fi
[ -x "$BIN" ] || { echo "no $BIN"; exit 2; }
[ -x "$PY" ] || { echo "no EZKL venv python at $PY (bash bench/ezkl/setup_venv.sh)"; exit 2; }
mkdir -p "$OUT" build/sbs
fail=0
for dir in "$MODELS"/*/; do
  name=$(basename "$dir")
  [ -n "${ONLY:-}" ] && [[ " $ONLY " != *" $name "* ]] && continue
  bash "${BASH_SOURCE[0]}" __one "$dir" || { echo "$name: FAILED" >&2; fail=1; }
done
exit $fail
