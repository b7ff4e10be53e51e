#!/usr/bin/env python3
"""Trains the vault's gradient-boosted risk model (the tree option next to the MLP) and writes it
as ONNX with onnxruntime's outputs on held-out states.

Run once; the output is committed (examples/defi-vault/tree-model/), so the walkthrough and
`make test` need no Python:

    python3 -m venv /tmp/fx && /tmp/fx/bin/pip install numpy onnx onnxruntime scikit-learn skl2onnx
    /tmp/fx/bin/python examples/defi-vault/train_tree_model.py

Same inputs, outputs and risk policy as train_risk_model.rs (the MLP), so the same vault and keeper
take either model:
  features [utilisation, volatility, drawdown, coverage] -> risk [LTV, rate], each in (0, 1).
One scikit-learn GradientBoostingRegressor per output (24 trees of depth 3) learns the logit of
the policy's target; skl2onnx writes each as a TreeEnsembleRegressor, and the two are joined by
Concat and a Sigmoid, so the outputs stay in (0, 1) whatever the trees add up to.
"""

import json
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper
from skl2onnx import to_onnx
from sklearn.ensemble import GradientBoostingRegressor

OUT = Path(__file__).resolve().parent / "tree-model"
rng = np.random.default_rng(7007)


def policy(f):
    """The hand-written policy of train_risk_model.rs: (LTV output, rate output) per state."""
    util, vol, drawdown, coverage = f.T
    ltv = 0.95 - 0.30 * (vol / 2.0) - 0.45 * drawdown - 0.25 * (1.0 - coverage) - 0.10 * util
    rate = 0.02 + 0.10 * util + 2.0 * np.maximum(util - 0.8, 0.0) + 0.05 * vol
    return np.stack([np.clip(ltv, 0.02, 0.98), np.clip(rate / 0.5, 0.01, 0.99)], axis=1)


def states(n):
    """Market states as train_risk_model.rs draws them: mostly calm, sometimes wild."""
    u = lambda: rng.uniform(size=n)
    return np.stack([u(), 2.0 * u() * u(), np.minimum(u() * u() * u(), 1.0), 0.25 + 0.75 * u()], axis=1)


def tree_ensemble(model, name):
    onnx_model = to_onnx(model, np.zeros((1, 4), np.float32), target_opset={"": 17, "ai.onnx.ml": 3})
    (node,) = [n for n in onnx_model.graph.node if n.op_type == "TreeEnsembleRegressor"]
    node.input[:] = ["features"]
    node.output[:] = [name]
    node.name = name
    return node


def main():
    X = states(4096).astype(np.float32)
    y = policy(X.astype(np.float64))
    logit = np.log(y / (1.0 - y))
    train, test = slice(0, 3584), slice(3584, None)
    nodes = []
    for k, name in enumerate(["ltv_logit", "rate_logit"]):
        gbr = GradientBoostingRegressor(n_estimators=24, max_depth=3, learning_rate=0.25, random_state=k)
        gbr.fit(X[train], logit[train, k])
        nodes.append(tree_ensemble(gbr, name))
    nodes.append(helper.make_node("Concat", ["ltv_logit", "rate_logit"], ["logits"], name="concat", axis=1))
    nodes.append(helper.make_node("Sigmoid", ["logits"], ["risk"], name="sigmoid"))
    graph = helper.make_graph(
        nodes,
        "vault_risk_trees",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("risk", TensorProto.FLOAT, [1, 2])],
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("ai.onnx.ml", 3)],
        producer_name="skl2onnx",
        doc_string="AI-governed lending vault, tree option: [utilisation, volatility, drawdown, coverage] -> [LTV, rate].",
    )
    model.ir_version = 8
    onnx.checker.check_model(model)
    OUT.mkdir(exist_ok=True)
    onnx.save(model, OUT / "network.onnx")

    sess = ort.InferenceSession(str(OUT / "network.onnx"), providers=["CPUExecutionProvider"])
    run = lambda x: sess.run(None, {"features": np.asarray(x, np.float32).reshape(1, 4)})[0][0]
    rows = lambda xs: [[round(float(v), 6) for v in x] for x in xs]
    pred = np.stack([run(x) for x in X[test]])
    mae = np.abs(pred - y[test]).mean(axis=0)
    print(f"held-out mean |error|: LTV output {mae[0]:.4f} (x0.60 = {0.6 * mae[0]:.4f} LTV), "
          f"rate output {mae[1]:.4f} (x0.50 = {0.5 * mae[1]:.4f} APR)")

    # The state DeployVault.s.sol leaves the vault in: 4,000 of 10,000 lent out, volatility 10 x
    # the mean |relative change| of the mock's 8 prices, 100 below the window's 2,100 peak, 5
    # collateral at 2,000 against 4,000 borrowed.
    prices = np.array([2000, 2100, 1995, 2000, 1900, 1950, 2050, 2000], np.float64)
    vol = 10 * np.mean(np.abs(np.diff(prices)) / prices[:-1])
    state = [0.4, round(vol, 6), round(100 / 2100, 6), 0.625]
    (OUT / "input.json").write_text(json.dumps({"input_data": [state]}))
    # Calibration: training states plus the corners of the feature box, as the MLP's calibration
    # spans every feature's range.
    corners = np.array([[0, 0, 0, 1], [1, 2, 1, 0.25], [1, 0, 0, 1], [0, 2, 1, 0.25]], np.float32)
    (OUT / "calibration.json").write_text(json.dumps({"input_data": rows(np.concatenate([X[:60], corners]))}))
    holdout = X[test][:300]
    doc = {
        "input_data": rows(holdout),
        "outputs": [[[float(v) for v in run(np.asarray(rows([x])[0]))]] for x in holdout],
        "output_names": ["risk"],
        "generator": "examples/defi-vault/train_tree_model.py, onnxruntime " + ort.__version__,
    }
    (OUT / "holdout.json").write_text(json.dumps(doc))
    print(f"wrote {OUT}: {sum(1 for n in nodes if n.op_type == 'TreeEnsembleRegressor')} tree ensembles")


if __name__ == "__main__":
    main()
