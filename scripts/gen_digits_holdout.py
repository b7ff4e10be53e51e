#!/usr/bin/env python3
"""Hold-out samples for the digit classifiers among EZKL's examples (4l_relu_conv_fc: 1x1x28x28,
lenet_5: 1x1x32x32), made from scikit-learn's bundled handwritten digits (8x8, 0..16).

Run once; the output is committed (tests/models/holdout/), so `make test` needs no Python:

    python3 -m venv /tmp/fx && /tmp/fx/bin/pip install scikit-learn onnxruntime numpy
    /tmp/fx/bin/python scripts/gen_digits_holdout.py ../shared/models/ezkl-examples

Each digit is upscaled by pixel repetition and centred with a margin, as MNIST centres its digits,
then put on the value scale of the model's own input.json: 4l_relu_conv_fc's sample is a [0, 0.1)
image, lenet_5's a standardised one (mean 0, unit variance). The file is an input.json whose
`input_data` rows are samples (what `zkinfer eval` and `compile --holdout` read), plus the labels
and onnxruntime's float outputs, so a test can check tract's float model against onnxruntime's
as well as the circuit against the float model.
"""

import json
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
from sklearn.datasets import load_digits

SAMPLES = 40
# Digits spread over the classes: every (SPREAD)th image of the bundled set.
SPREAD = 37
MODELS = {
    # name: (side, repeat, value mapping)
    "4l_relu_conv_fc": (28, 3, "unit-tenth"),
    "lenet_5": (32, 3, "standardised"),
}


def upscale(img8, side, repeat):
    big = np.kron(img8, np.ones((repeat, repeat)))
    out = np.zeros((side, side))
    pad = (side - big.shape[0]) // 2
    out[pad : pad + big.shape[0], pad : pad + big.shape[1]] = big
    return out


def to_model_values(img, mapping):
    if mapping == "unit-tenth":
        return img / 16.0 * 0.1
    std = img.std()
    return (img - img.mean()) / (std if std > 0 else 1.0)


def main():
    models = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("../shared/models/ezkl-examples")
    out_dir = Path(__file__).resolve().parent.parent / "tests" / "models" / "holdout"
    out_dir.mkdir(parents=True, exist_ok=True)
    digits = load_digits()
    picks = [(i * SPREAD) % len(digits.images) for i in range(SAMPLES)]
    for name, (side, repeat, mapping) in MODELS.items():
        session = ort.InferenceSession(str(models / name / "network.onnx"))
        inp = session.get_inputs()[0]
        rows, outputs = [], []
        for i in picks:
            x = to_model_values(upscale(digits.images[i], side, repeat), mapping)
            # Four decimals (what the file holds) is what the model sees: onnxruntime runs on the
            # very values the file's reader gets.
            values = [round(float(v), 4) for v in x.reshape(-1)]
            arr = np.array(values, dtype=np.float32).reshape(1, 1, side, side)
            y = session.run(None, {inp.name: arr})[0]
            rows.append(values)
            outputs.append([round(float(v), 6) for v in y.reshape(-1)])
        doc = {
            "input_data": rows,
            "labels": [int(digits.target[i]) for i in picks],
            "onnxruntime_outputs": outputs,
            "source": "scikit-learn load_digits, every %dth image, upscaled x%d into %dx%d, %s"
            % (SPREAD, repeat, side, side, mapping),
        }
        path = out_dir / ("digits-%s.json" % name)
        path.write_text(json.dumps(doc, separators=(",", ":")) + "\n")
        print("wrote %s (%d samples)" % (path, len(rows)))


if __name__ == "__main__":
    main()
