"""Markdown table of bench/results-sbs/*.json (written by bench/side_by_side.sh).

  python3 bench/side_by_side_table.py [RESULTS_DIR]

Stdlib only, so it runs anywhere the JSON is, without the EZKL venv.
"""
import glob
import json
import os
import sys


def zk_err_pct(z):
    # The verdict should not rest on zkinfer's own float evaluator alone: take the worse of
    # calibration's figure and the proven outputs scored against onnxruntime (EZKL's yardstick).
    ort = (z.get("proof_vs_onnxruntime") or {}).get("max_rel_error_pct")
    return max(z["max_rel_error_pct"], ort if ort is not None else 0.0)


def row(r):
    z, e = r["zkinfer"], r["ezkl"]
    ze = zk_err_pct(z)
    if e.get("compiles") is False:
        zk = [f"{z['k']} ({z['lanes']} lanes, scale {z['scale']})", f"{z['prove_wall_s']:.3f} / {z['prove_s']:.3f}", f"{ze:.4g}"]
        return [r["model"], *zk, "does not compile", "-", "-", "-", "-", f"{z['verify_gas']:,}", "-"]
    ee = e["max_rel_error_pct"]
    return [
        r["model"],
        f"{z['k']} ({z['lanes']} lanes, scale {z['scale']})",
        f"{z['prove_wall_s']:.3f} / {z['prove_s']:.3f}",
        f"{ze:.4g}",
        str(e["logrows"]),
        f"{e['prove_s']:.3f}",
        f"{ee:.4g}",
        # Against the whole-command wall time, not the in-process one: the conservative ratio.
        f"{e['prove_s'] / z['prove_wall_s']:.1f}x",
        "yes" if ze <= ee else "no (zkinfer less precise)",
        f"{z['verify_gas']:,}",
        matched(r),
    ]


def matched(r):
    """zkinfer recompiled with EZKL's measured error as its budget: the speed-up that counts."""
    m, e = r.get("zkinfer_matched"), r["ezkl"]
    if not m:
        return "-"
    ok = "" if m["max_rel_error_pct"] <= e["max_rel_error_pct"] else " (budget missed)"
    return (f"k={m['k']}, scale {m['scale']}: {m['prove_wall_s']:.3f} s, err {m['max_rel_error_pct']:.4g}%, "
            f"{e['prove_s'] / m['prove_wall_s']:.1f}x{ok}")


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "results-sbs")
    recs = [json.load(open(f)) for f in sorted(glob.glob(os.path.join(d, "*.json")))]
    if not recs:
        sys.exit(f"no results in {d}")
    head = ["model", "zkinfer k (lanes, scale)", "zkinfer prove s, wall / in-process",
            "zkinfer max err % of range", "EZKL k", "EZKL prove s", "EZKL max err % of range",
            "speed-up (EZKL / zkinfer wall)", "at equal or better accuracy?", "zkinfer verify gas",
            "zkinfer at EZKL's accuracy: prove wall, err, speed-up"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in recs:
        print("| " + " | ".join(row(r)) + " |")
    # Timings on a shared 2-core machine mean little without the load they were taken under.
    m = [r["machine"] for r in recs]
    runs = {len(r["zkinfer"]["prove_wall_runs_s"]) for r in recs} | {len(r["ezkl"]["prove_runs_s"]) for r in recs
                                                                      if r["ezkl"].get("compiles") is not False}
    print(f"\nMedians of {'/'.join(map(str, sorted(runs)))} runs; nproc {m[0]['nproc']}; "
          f"{min(x['date'] for x in m)} .. {max(x['date'] for x in m)}; 1-min load before each model "
          + ", ".join(f"{r['model']} {r['machine']['loadavg_before'][0]:.2f}" for r in recs) + ".")


if __name__ == "__main__":
    main()
