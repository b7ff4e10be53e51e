"""EZKL 23 default-flow prove time and accuracy on one model, for the zkinfer side-by-side.

  bash bench/ezkl/setup_venv.sh
  $EZKL_VENV/bin/python bench/ezkl/ezkl_run.py MODEL_DIR OUT_JSON [--runs N] [--calibration F]

MODEL_DIR holds network.onnx and input.json (shared/models/ezkl-examples/<name>).
Method follows shared/bench/EZKL-BASELINE.md: default PyRunArgs (public input and
output, fixed params), calibrate for "resources", local insecure SRS. A time-ratio
is only meaningful at equal accuracy, so the error vs onnxruntime goes in the same record.
Where EZKL cannot compile the file, the record says so (`compiles: false`) with EZKL's error.
"""
import argparse
import json
import os
import importlib.metadata
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ezkl  # noqa: E402
import float_ref  # noqa: E402

N_SAMPLE = 20  # how many outputs to keep in the record, for eyeballing


def timed(fn, *args):
    t = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t


def witness_outputs(witness_path, scales):
    """EZKL's outputs as floats, decoded from the field elements that are constrained
    and made public. witness["outputs"] holds one list per output tensor of 64-hex-char
    little-endian field elements, no 0x, negatives as p - |x|; that is the only form
    felt_to_float accepts (a 0x big-endian string makes it panic, and pyo3's
    PanicException is not an Exception subclass). The rescaled floats in
    witness["pretty_elements"] are only used as a cross-check."""
    with open(witness_path) as f:
        w = json.load(f)
    vals = [ezkl.felt_to_float(felt, scale)
            for tensor, scale in zip(w["outputs"], scales) for felt in tensor]
    pretty = (w.get("pretty_elements") or {}).get("rescaled_outputs")
    agree = None
    if pretty is not None:
        flat = [float(x) for t in pretty for x in t]
        agree = len(flat) == len(vals) and all(abs(x - y) < 1e-9 for x, y in zip(flat, vals))
        if not agree:
            print("warning: felt decoding disagrees with pretty_elements", file=sys.stderr)
    return vals, agree


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model_dir")
    ap.add_argument("out_json")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--calibration", help="zkinfer-style calibration.json (one flat list per "
                    "sample): EZKL calibrates on all its samples, concatenated as its batches")
    a = ap.parse_args()

    model_dir = os.path.abspath(a.model_dir)
    name = os.path.basename(model_dir.rstrip("/"))
    root = os.path.expanduser(os.environ.get("EZKL_WORK", "~/.cache/zkinfer-bench/ezkl-work"))
    work = os.path.join(root, name)
    os.makedirs(work, exist_ok=True)
    # The SRS depends only on logrows and k=20 takes ~10 min single-threaded, so one
    # file per k is shared by all models (same layout as the baseline's $EZKL_WORK/srs).
    srs_dir = os.path.join(root, "srs")
    os.makedirs(srs_dir, exist_ok=True)

    onnx_path = os.path.join(model_dir, "network.onnx")
    data = os.path.join(model_dir, "input.json")
    p = {k: os.path.join(work, v) for k, v in dict(
        settings="settings.json", compiled="network.ezkl", vk="vk.key", pk="pk.key",
        witness="witness.json", proof="proof.json").items()}

    # Timings on 2 cores are load-sensitive (cargo builds share the machine): keep the
    # load at start so a contended run can be spotted in the record.
    load_start = os.getloadavg()[0]
    t = {}
    # Explicit default PyRunArgs rather than None, so the record can state what was used.
    run_args = ezkl.PyRunArgs()
    calib = data
    if a.calibration:
        # EZKL reads calibration data as one list per model input, several batches end to end.
        with open(a.calibration) as f:
            rows = json.load(f)["input_data"]
        calib = os.path.join(work, "calibration.json")
        with open(calib, "w") as f:
            json.dump({"input_data": [[v for row in rows for v in row]]}, f)
    try:
        _, t["gen_settings"] = timed(ezkl.gen_settings, onnx_path, p["settings"], run_args)
        _, t["calibrate"] = timed(lambda: ezkl.calibrate_settings(
            calib, onnx_path, p["settings"], target="resources"))
        _, t["compile"] = timed(ezkl.compile_circuit, onnx_path, p["compiled"], p["settings"])
    except BaseException as e:  # pyo3 panics are BaseException, not Exception
        if isinstance(e, KeyboardInterrupt):
            raise
        # The verdict a user gets: EZKL does not compile this file. Keep its message.
        rec = {"model": name, "ezkl_version": importlib.metadata.version("ezkl"), "compiles": False,
               "error": f"{type(e).__name__}: {e}"[:2000], "step_s": t, "load_avg_start": load_start}
        with open(a.out_json, "w") as f:
            json.dump(rec, f, indent=1)
        print(json.dumps({"model": name, "compiles": False, "error": rec["error"][:300]}))
        return

    with open(p["settings"]) as f:
        settings = json.load(f)
    ra = settings["run_args"]
    logrows = ra["logrows"]
    out_scales = settings["model_output_scales"]

    srs = os.path.join(srs_dir, f"kzg{logrows}.srs")
    if os.path.exists(srs):
        t["gen_srs"] = None  # cached
    else:
        # Write under a temp name so an interrupted gen_srs never leaves a bad cache entry.
        tmp = srs + f".tmp{os.getpid()}"
        _, t["gen_srs"] = timed(ezkl.gen_srs, tmp, logrows)
        os.replace(tmp, srs)

    _, t["setup"] = timed(ezkl.setup, p["compiled"], p["vk"], p["pk"], srs)
    _, t["gen_witness"] = timed(ezkl.gen_witness, data, p["compiled"], p["witness"])

    runs = []
    for _ in range(a.runs):
        _, s = timed(ezkl.prove, p["witness"], p["compiled"], p["pk"], p["proof"], srs)
        runs.append(s)
    verify_ok, t["verify"] = timed(ezkl.verify, p["proof"], p["settings"], p["vk"], srs)

    ezkl_out, pretty_agree = witness_outputs(p["witness"], out_scales)
    ref = float_ref.float_outputs(onnx_path, data)
    err = float_ref.error_metric(ezkl_out, ref)

    rec = {
        "model": name,
        "ezkl_version": importlib.metadata.version("ezkl"),
        "compiles": True,
        "logrows": logrows,
        "input_scale": ra["input_scale"],
        "param_scale": ra["param_scale"],
        "output_scales": out_scales,
        "num_rows": settings.get("num_rows"),
        "setup_s": t["setup"],
        "prove_runs_s": runs,
        "prove_s": statistics.median(runs),
        "verify_ok": bool(verify_ok),
        **err,
        "float_outputs": ref[:N_SAMPLE].tolist(),
        "ezkl_outputs": ezkl_out[:N_SAMPLE],
        "pretty_outputs_agree": pretty_agree,
        "step_s": t,  # gen_srs is null when the SRS came from the cache
        "threads": int(os.environ.get("RAYON_NUM_THREADS") or os.cpu_count()),
        "load_avg_start": load_start,
    }
    with open(a.out_json, "w") as f:
        json.dump(rec, f, indent=1)
    print(json.dumps({k: rec[k] for k in ("model", "logrows", "prove_s", "verify_ok",
                                          "max_abs_error", "max_rel_error_pct")}))


if __name__ == "__main__":
    main()
