"""Float reference and the accuracy metric used to compare zkinfer and EZKL.

Both provers are judged against the same thing: onnxruntime's float32 outputs on
the model's input.json. The metric is deliberately prover-agnostic (takes plain
floats, or integers plus a power-of-two scale), so zkinfer results can reuse it.

  python3 float_ref.py MODEL_DIR                 # print the float outputs (flat)
  python3 float_ref.py MODEL_DIR OUTS.json [--scale S]
      OUTS.json: a flat list of dequantised floats, or of integers at 2^S.
"""
import json
import sys

import numpy as np

# Floor for the output range, so an all-zero (or tiny) output does not make any
# error look like an enormous percentage.
RANGE_FLOOR = 0.01


def float_outputs(model_path, input_json_path):
    """onnxruntime outputs, all graph outputs flattened and concatenated in graph order
    (the same order EZKL and zkinfer lay out their public outputs)."""
    import onnxruntime as ort

    with open(input_json_path) as f:
        data = json.load(f)
    sess = ort.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
    feeds = {}
    # input.json holds one flat list per graph input, in graph order. Its input_shapes
    # sometimes drops the batch dim (1l_relu: [3] for a [1,3] input), so the model's own
    # shape wins; a single symbolic dim takes whatever size is left over.
    shapes = data.get("input_shapes") or []
    for i, inp in enumerate(sess.get_inputs()):
        flat = np.asarray(data["input_data"][i], dtype=np.float64).ravel()
        known = int(np.prod([d for d in inp.shape if isinstance(d, int)]))
        sym = [j for j, d in enumerate(inp.shape) if not isinstance(d, int)]
        shape = [d if isinstance(d, int) else 1 for d in inp.shape]
        if len(sym) == 1 and known and flat.size % known == 0:
            shape[sym[0]] = flat.size // known
        elif int(np.prod(shape)) != flat.size and i < len(shapes):
            shape = list(shapes[i])
        dtype = {"tensor(float)": np.float32, "tensor(double)": np.float64,
                 "tensor(int64)": np.int64, "tensor(int32)": np.int32,
                 "tensor(bool)": np.bool_}.get(inp.type, np.float32)
        feeds[inp.name] = flat.reshape(shape).astype(dtype)
    outs = sess.run(None, feeds)
    return np.concatenate([np.asarray(o, dtype=np.float64).ravel() for o in outs])


def error_metric(quantised, reference, scale=None):
    """Max |quantised - float| and the same as % of the output range.

    quantised: flat sequence of floats, or of integers when `scale` is given
    (value = q / 2**scale; `scale` may be a list, one per element).
    reference: flat float outputs (e.g. from float_outputs()).
    """
    q = np.asarray(quantised, dtype=np.float64).ravel()
    if scale is not None:
        q = q / np.power(2.0, np.asarray(scale, dtype=np.float64))
    ref = np.asarray(reference, dtype=np.float64).ravel()
    if q.size != ref.size:
        raise ValueError(f"{q.size} quantised outputs vs {ref.size} float outputs")
    max_abs = float(np.max(np.abs(q - ref))) if q.size else 0.0
    rng = max(float(np.max(np.abs(ref))) if ref.size else 0.0, RANGE_FLOOR)
    return {"max_abs_error": max_abs, "output_range": rng,
            "max_rel_error_pct": 100.0 * max_abs / rng}


if __name__ == "__main__":
    import argparse
    import os

    ap = argparse.ArgumentParser()
    ap.add_argument("model_dir")
    ap.add_argument("outputs", nargs="?")
    ap.add_argument("--scale", type=float)
    a = ap.parse_args()
    ref = float_outputs(os.path.join(a.model_dir, "network.onnx"),
                        os.path.join(a.model_dir, "input.json"))
    if a.outputs is None:
        json.dump(ref.tolist(), sys.stdout)
    else:
        with open(a.outputs) as f:
            json.dump(error_metric(json.load(f), ref, a.scale), sys.stdout, indent=1)
    print()
