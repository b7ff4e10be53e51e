#!/usr/bin/env python3
"""Models written the way the common exporters write them, with onnxruntime's outputs on them.

Run once; the output is committed (tests/models/exported/), so `make test` needs no Python:

    python3 -m venv /tmp/fx && /tmp/fx/bin/pip install numpy onnx onnxruntime scikit-learn skl2onnx \
        onnxmltools lightgbm xgboost
    /tmp/fx/bin/python scripts/gen_exporter_fixtures.py tests/models/exported

Four models:
* mlp_classifier: a PyTorch-style classifier (nn.Linear layers as Gemm with transB=1, LeakyReLU,
  ReLU, Softmax), names as torch.onnx.export gives them (/fc1/Gemm ...), opset 17;
* transformer_block: a pre-norm encoder block as torch.onnx.export writes it at opset 17
  (LayerNormalization nodes; nn.Linear on a 3-D tensor as MatMul + Add; heads by Reshape and
  Transpose; Q K^T / sqrt(d) -> Softmax -> att V; nn.GELU as Div, Erf, Add, Mul, Mul; residuals);
* mobilenet_block: a MobileNet-V2-style block (Conv, BatchNormalization, Clip 0..6 as ReLU6,
  depthwise Conv with group = channels, pointwise Conv, GlobalAveragePool, Flatten, Gemm,
  Softmax), BatchNormalization kept as its own node as exporters do in training-preserving mode;
* sklearn_mlp: scikit-learn's MLPClassifier trained on the iris data and converted by skl2onnx
  itself (zipmap off), with its label and probability outputs.
* sklearn_logistic: StandardScaler then LogisticRegression (wine, 13 features, 3 classes; zipmap
  off): Scaler, LinearClassifier and Normalizer, label and probabilities.
* sklearn_ridge: StandardScaler then Ridge (diabetes, 10 raw features): Scaler and LinearRegressor.
* sklearn_binary_logistic: StandardScaler then a binary LogisticRegression (breast cancer, 30
  raw features), the shape of a credit-scoring model: two coefficient rows, LOGISTIC per class.
* sklearn_gbr: GradientBoostingRegressor (30 trees, depth 3) on the raw diabetes features.
* lightgbm_credit: a LightGBM regressor (40 trees, depth 3) on a synthetic borrower book,
  converted by onnxmltools (the vault's tree-model option).
* sklearn_forest: RandomForestClassifier (20 trees, depth 4) on wine, label and probabilities.
* xgboost_binary: an XGBoost binary classifier (25 trees, depth 3) on breast cancer, converted by
  onnxmltools (one score column, LOGISTIC).
  Tree fixtures hold 300 hold-out samples and 32 calibration rows (30 samples and each
  feature's largest and smallest value over all samples); integer-valued features stay integers.
* sklearn_hist_gbr: HistGradientBoostingRegressor (30 trees of depth 3) on the borrower book
  (skl2onnx, with a workaround for its numpy-integer attributes).
* lstm_forecaster / gru_forecaster: PyTorch-style volatility forecasters (nn.LSTM over 16 steps
  of 2 features, nn.GRU over 24 steps of 1, hidden 8, batch_first) as torch.onnx.export lays them
  out; the layer keeps its random initialisation and the Gemm readout is a ridge fit on the last
  hidden state over 400 windows of a GARCH(1,1) return path. Calibration: the last 32 training
  windows; hold-out: the 200 windows after them.
* tests/models/recurrent/: bare LSTM/GRU/RNN layers (6 steps) with what tract does not run
  (bidirectional, reverse, peepholes, clip, input_forget, activation lists with alpha/beta), every
  output kept; 8 calibration and 20 hold-out samples each.
(scikit-learn's MLPClassifier training is not bit-reproducible across runs; the committed
sklearn_mlp files are from the first run.)

PyTorch's wheel on PyPI carries the CUDA libraries (gigabytes), so the torch-style graphs are
built with onnx.helper node for node as torch.onnx.export (TorchScript exporter, opset 17) lays
out these modules; the weights follow nn.Linear/nn.Conv2d's default initialisation. The
scikit-learn model goes through the real exporter.

Each model directory holds network.onnx, input.json (one sample, for `zkinfer prove`),
calibration.json (8 samples) and holdout.json (100 samples with onnxruntime's outputs as
`outputs`, one list per sample holding each output flattened).
"""

import json
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
rng = np.random.default_rng(20261202)


def linear_weight(fan_in, shape):
    bound = 1.0 / np.sqrt(fan_in)
    return rng.uniform(-bound, bound, size=shape).astype(np.float32)


class Graph:
    """Collects nodes and initializers; names follow torch.onnx.export's scope paths."""

    def __init__(self):
        self.nodes = []
        self.inits = []
        self.count = 0

    def init(self, name, array):
        self.inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def const(self, array, dtype=np.float32):
        self.count += 1
        name = f"onnx::Constant_{self.count}"
        return self.init(name, np.asarray(array, dtype=dtype))

    def node(self, op, inputs, scope, outputs=1, **attrs):
        outs = [f"{scope}/{op}_output_{i}" for i in range(outputs)]
        self.nodes.append(helper.make_node(op, inputs, outs, name=f"{scope}/{op}", **attrs))
        return outs[0] if outputs == 1 else outs

    def model(self, name, inputs, outputs):
        g = helper.make_graph(self.nodes, name, inputs, outputs, self.inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="pytorch")
        m.ir_version = 8
        onnx.checker.check_model(m)
        return m


def rename_output(g, tensor, name):
    for n in g.nodes:
        n.output[:] = [name if o == tensor else o for o in n.output]
        n.input[:] = [name if i == tensor else i for i in n.input]


def mlp_classifier():
    g = Graph()
    sizes = [(16, 32), (32, 32), (32, 5)]
    h = "input"
    for i, (fi, fo) in enumerate(sizes, start=1):
        w = g.init(f"fc{i}.weight", linear_weight(fi, (fo, fi)))
        b = g.init(f"fc{i}.bias", linear_weight(fi, (fo,)))
        h = g.node("Gemm", [h, w, b], f"/fc{i}", alpha=1.0, beta=1.0, transB=1)
        if i == 1:
            h = g.node("LeakyRelu", [h], "/act1", alpha=0.01)
        elif i == 2:
            h = g.node("Relu", [h], "/act2")
    out = g.node("Softmax", [h], "/softmax", axis=1)
    rename_output(g, out, "output")
    x = helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 16])
    y = helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 5])
    model = g.model("mlp_classifier", [x], [y])
    samples = rng.normal(0, 1, size=(108, 1, 16)).astype(np.float32)
    return model, samples


def transformer_block():
    seq, d, heads, hidden = 8, 16, 2, 32
    dh = d // heads
    g = Graph()

    def linear(x, name, fi, fo):
        w = g.init(f"onnx::MatMul_{name}", linear_weight(fi, (fi, fo)))  # stored transposed, as torch does
        b = g.init(f"{name}.bias", linear_weight(fi, (fo,)))
        y = g.node("MatMul", [x, w], f"/{name.replace('.', '/')}")
        return g.node("Add", [y, b], f"/{name.replace('.', '/')}")

    def layer_norm(x, name):
        gamma = g.init(f"{name}.weight", (1.0 + 0.1 * rng.normal(size=d)).astype(np.float32))
        beta = g.init(f"{name}.bias", (0.1 * rng.normal(size=d)).astype(np.float32))
        return g.node("LayerNormalization", [x, gamma, beta], f"/{name}", axis=-1, epsilon=1e-5)

    x = "input"
    h = layer_norm(x, "norm1")
    q = linear(h, "attn.q_proj", d, d)
    k = linear(h, "attn.k_proj", d, d)
    v = linear(h, "attn.v_proj", d, d)
    split = g.const([1, seq, heads, dh], np.int64)

    def heads_of(t, name):
        r = g.node("Reshape", [t, split], f"/attn/{name}")
        return g.node("Transpose", [r], f"/attn/{name}", perm=[0, 2, 1, 3])

    qh, kh, vh = heads_of(q, "q"), heads_of(k, "k"), heads_of(v, "v")
    kt = g.node("Transpose", [kh], "/attn/kt", perm=[0, 1, 3, 2])
    scores = g.node("MatMul", [qh, kt], "/attn/scores")
    scaled = g.node("Div", [scores, g.const(np.sqrt(dh))], "/attn/scale")
    att = g.node("Softmax", [scaled], "/attn/softmax", axis=-1)
    ctx = g.node("MatMul", [att, vh], "/attn/context")
    ctx = g.node("Transpose", [ctx], "/attn/merge", perm=[0, 2, 1, 3])
    ctx = g.node("Reshape", [ctx, g.const([1, seq, d], np.int64)], "/attn/merge")
    o = linear(ctx, "attn.out_proj", d, d)
    x1 = g.node("Add", [x, o], "/residual1")
    h2 = layer_norm(x1, "norm2")
    f = linear(h2, "mlp.fc1", d, hidden)
    # nn.GELU() at opset 17: x * 0.5 * (1 + erf(x / sqrt(2))).
    e = g.node("Div", [f, g.const(np.sqrt(2.0))], "/mlp/act")
    e = g.node("Erf", [e], "/mlp/act")
    e = g.node("Add", [e, g.const(1.0)], "/mlp/act")
    e = g.node("Mul", [f, e], "/mlp/act")
    e = g.node("Mul", [e, g.const(0.5)], "/mlp/act_half")
    f2 = linear(e, "mlp.fc2", hidden, d)
    out = g.node("Add", [x1, f2], "/residual2")
    rename_output(g, out, "output")
    xi = helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, seq, d])
    yo = helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, seq, d])
    model = g.model("transformer_block", [xi], [yo])
    samples = rng.normal(0, 1, size=(108, 1, seq, d)).astype(np.float32)
    return model, samples


def mobilenet_block():
    g = Graph()
    c_in, c_mid, c_out, classes, side = 3, 8, 16, 4, 16

    def conv(x, name, cin, cout, k, stride=1, group=1):
        fan_in = cin // group * k * k
        w = g.init(f"{name}.weight", linear_weight(fan_in, (cout, cin // group, k, k)))
        return g.node(
            "Conv", [x, w], f"/{name}", group=group, kernel_shape=[k, k], pads=[k // 2] * 4, strides=[stride] * 2,
            dilations=[1, 1],
        )

    def bn(x, name, c):
        p = [
            g.init(f"{name}.weight", (1.0 + 0.1 * rng.normal(size=c)).astype(np.float32)),
            g.init(f"{name}.bias", (0.1 * rng.normal(size=c)).astype(np.float32)),
            g.init(f"{name}.running_mean", (0.1 * rng.normal(size=c)).astype(np.float32)),
            g.init(f"{name}.running_var", rng.uniform(0.5, 1.5, size=c).astype(np.float32)),
        ]
        return g.node("BatchNormalization", [x, *p], f"/{name}", epsilon=1e-5, momentum=0.9)

    def relu6(x, name):
        return g.node("Clip", [x, g.const(0.0), g.const(6.0)], f"/{name}")

    h = relu6(bn(conv("input", "stem", c_in, c_mid, 3, stride=2), "stem_bn", c_mid), "stem_act")
    h = relu6(bn(conv(h, "dw", c_mid, c_mid, 3, group=c_mid), "dw_bn", c_mid), "dw_act")
    h = bn(conv(h, "pw", c_mid, c_out, 1), "pw_bn", c_out)
    h = g.node("GlobalAveragePool", [h], "/pool")
    h = g.node("Flatten", [h], "/flatten", axis=1)
    w = g.init("classifier.weight", linear_weight(c_out, (classes, c_out)))
    b = g.init("classifier.bias", linear_weight(c_out, (classes,)))
    h = g.node("Gemm", [h, w, b], "/classifier", alpha=1.0, beta=1.0, transB=1)
    out = g.node("Softmax", [h], "/softmax", axis=1)
    rename_output(g, out, "output")
    xi = helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, c_in, side, side])
    yo = helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, classes])
    model = g.model("mobilenet_block", [xi], [yo])
    # Images: normalised pixel values, as a torchvision transform leaves them.
    samples = rng.normal(0, 1, size=(108, 1, c_in, side, side)).astype(np.float32)
    return model, samples


def sklearn_mlp():
    from skl2onnx import to_onnx
    from sklearn.datasets import load_iris
    from sklearn.neural_network import MLPClassifier

    X, y = load_iris(return_X_y=True)
    X = X.astype(np.float32)
    clf = MLPClassifier(hidden_layer_sizes=(16, 8), max_iter=2000, random_state=0).fit(X, y)
    model = to_onnx(clf, X[:1], options={"zipmap": False}, target_opset=OPSET)
    order = rng.permutation(len(X))
    picks = np.concatenate([order, order])[:108]
    # The iris measurements themselves, jittered by a tenth of a centimetre.
    samples = (X[picks] + rng.normal(0, 0.1, size=(108, 4)).astype(np.float32))[:, None, :]
    return model, samples


def jittered(X, n, scale):
    """`n` rows of X (each at least once when n >= len(X)), jittered by `scale` of each feature's spread."""
    order = rng.permutation(len(X))
    picks = np.concatenate([order] * (n // len(X) + 1))[:n]
    noise = rng.normal(0, 1, size=(n, X.shape[1])) * X.std(axis=0) * scale
    return (X[picks] + noise).astype(np.float32)[:, None, :]


def scaled_logistic(load, max_iter):
    """StandardScaler then LogisticRegression on a scikit-learn dataset, converted with zipmap off."""
    from skl2onnx import to_onnx
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = load(return_X_y=True)
    X = X.astype(np.float32)
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=max_iter)).fit(X, y)
    model = to_onnx(clf, X[:1], options={"zipmap": False}, target_opset=OPSET)
    return model, jittered(X, 208, 0.05)


def sklearn_logistic():
    from sklearn.datasets import load_wine

    return scaled_logistic(load_wine, 2000)


def sklearn_binary_logistic():
    from sklearn.datasets import load_breast_cancer

    return scaled_logistic(load_breast_cancer, 3000)


def sklearn_ridge():
    from skl2onnx import to_onnx
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = load_diabetes(return_X_y=True, scaled=False)
    X = X.astype(np.float32)
    reg = make_pipeline(StandardScaler(), Ridge(alpha=1.0)).fit(X, y)
    model = to_onnx(reg, X[:1], target_opset=OPSET)
    return model, jittered(X, 208, 0.05)


TREE_CALIBRATION = 30


def tree_samples(X, n=300 + TREE_CALIBRATION):
    """Hold-out rows for tree models: jittered data rows, integer-valued features kept integral
    (counts and categories stay on the values the trees were split on)."""
    samples = jittered(X, n, 0.05)
    integral = np.all(np.mod(X, 1.0) == 0, axis=0)
    samples[:, 0, integral] = np.round(samples[:, 0, integral])
    return samples


def sklearn_gbr():
    """GradientBoostingRegressor on the raw diabetes features: 30 trees of depth 3 (BRANCH_LEQ,
    base value, SUM)."""
    from skl2onnx import to_onnx
    from sklearn.datasets import load_diabetes
    from sklearn.ensemble import GradientBoostingRegressor

    X, y = load_diabetes(return_X_y=True, scaled=False)
    X = X.astype(np.float32)
    reg = GradientBoostingRegressor(n_estimators=30, max_depth=3, random_state=0).fit(X, y)
    model = to_onnx(reg, X[:1], target_opset=OPSET)
    return model, tree_samples(X)


def credit_data(n=2000):
    """A synthetic borrower book: utilisation, income (thousands), debt-to-income, age, open
    lines, past delinquencies (a count); the target is a default-risk score in [0, 1]."""
    util = rng.beta(2, 3, n)
    income = rng.lognormal(4.0, 0.5, n)
    dti = np.clip(rng.normal(0.35, 0.15, n), 0, 1.5)
    age = rng.integers(21, 75, n).astype(np.float64)
    lines = rng.poisson(5, n).astype(np.float64)
    delinquencies = rng.poisson(0.4, n).astype(np.float64)
    logit = -2.0 + 3.0 * util + 2.5 * dti - 0.01 * income + 0.8 * delinquencies - 0.02 * (age - 40) + 0.05 * lines
    risk = 1.0 / (1.0 + np.exp(-logit)) + rng.normal(0, 0.03, n)
    X = np.stack([util, income, dti, age, lines, delinquencies], axis=1).astype(np.float32)
    return X, risk.astype(np.float32)


def lightgbm_credit():
    """LightGBM regressor (40 trees of up to 8 leaves, depth 3) on the synthetic borrower book,
    converted by onnxmltools: BRANCH_LEQ with missing-value tracks, SUM, no base value."""
    import lightgbm
    from onnxmltools import convert_lightgbm
    from onnxmltools.convert.common.data_types import FloatTensorType

    X, y = credit_data()
    reg = lightgbm.LGBMRegressor(n_estimators=40, num_leaves=8, max_depth=3, learning_rate=0.1, verbose=-1,
                                 random_state=0, deterministic=True, force_row_wise=True).fit(X, y)
    model = convert_lightgbm(reg, initial_types=[("input", FloatTensorType([None, X.shape[1]]))], target_opset=15)
    model.graph.name = "lightgbm_credit"  # onnxmltools names graphs by a random uuid
    opsets = sorted(((o.domain, o.version) for o in model.opset_import))  # and lists opsets in set order
    del model.opset_import[:]
    model.opset_import.extend(helper.make_opsetid(d, v) for d, v in opsets)
    return model, tree_samples(X[:400])


def sklearn_forest():
    """RandomForestClassifier on wine (20 trees of depth 4, 3 classes): per-class probabilities as
    leaf weights (SUM of weights already divided by the tree count), label and probabilities."""
    from skl2onnx import to_onnx
    from sklearn.datasets import load_wine
    from sklearn.ensemble import RandomForestClassifier

    X, y = load_wine(return_X_y=True)
    X = X.astype(np.float32)
    clf = RandomForestClassifier(n_estimators=20, max_depth=4, random_state=0).fit(X, y)
    model = to_onnx(clf, X[:1], options={"zipmap": False}, target_opset=OPSET)
    return model, tree_samples(X)


def xgboost_binary():
    """XGBoost binary classifier on breast cancer (25 trees of depth 3), converted by
    onnxmltools: BRANCH_LT, one score column with a base value, LOGISTIC."""
    import xgboost
    from onnxmltools import convert_xgboost
    from onnxmltools.convert.common.data_types import FloatTensorType
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    X = X.astype(np.float32)
    clf = xgboost.XGBClassifier(n_estimators=25, max_depth=3, learning_rate=0.3, random_state=0, n_jobs=1).fit(X, y)
    model = convert_xgboost(clf, initial_types=[("input", FloatTensorType([None, X.shape[1]]))], target_opset=15)
    model.graph.name = "xgboost_binary"
    return model, tree_samples(X)


def garch_returns(n, omega=0.02, alpha=0.12, beta=0.85):
    """Daily returns in percent from a GARCH(1,1): volatility clusters, the pattern a risk model
    forecasts."""
    r = np.zeros(n)
    var = omega / (1 - alpha - beta)
    for t in range(n):
        r[t] = np.sqrt(var) * rng.standard_normal()
        var = omega + alpha * r[t] ** 2 + beta * var
    return r


def recurrent_weights(gates, hidden, inputs, dirs=1, gen=None):
    """W, R, B in ONNX's layout with PyTorch's default initialisation (uniform in
    +-1/sqrt(hidden)), drawn from `gen` (default: the main generator)."""
    gen = rng if gen is None else gen
    a = 1.0 / np.sqrt(hidden)
    u = lambda *shape: gen.uniform(-a, a, size=shape).astype(np.float32)
    return u(dirs, gates * hidden, inputs), u(dirs, gates * hidden, hidden), u(dirs, 2 * gates * hidden)


def torch_recurrent_forecaster(name, op, seq, features, hidden, windows, targets, train):
    """nn.LSTM / nn.GRU (batch_first=True) then nn.Linear on the last step, laid out as
    torch.onnx.export writes it at opset 17: Transpose to sequence-first, the layer with zero
    initial states as Constant nodes (GRU with linear_before_reset=1), Squeeze of the direction
    axis, Transpose back, Gather of step -1, Gemm. The layer keeps its random initialisation; the
    readout is a ridge fit on the last hidden state over the training windows (an echo-state
    forecaster)."""
    gates = 4 if op == "LSTM" else 3
    W, R, B = recurrent_weights(gates, hidden, features)

    def build(readout):
        g = Graph()
        w, r, b = g.init("onnx::LSTM_W" if op == "LSTM" else "onnx::GRU_W", W), g.init(f"onnx::{op}_R", R), g.init(f"onnx::{op}_B", B)
        x = g.node("Transpose", ["input"], f"/{op.lower()}", perm=[1, 0, 2])
        zeros = lambda i: g.node("Constant", [], f"/{op.lower()}/h{i}", value=numpy_helper.from_array(np.zeros((1, 1, hidden), np.float32)))
        states = [zeros(0)] + ([zeros(1)] if op == "LSTM" else [])
        extra = {"linear_before_reset": 1} if op == "GRU" else {}
        y = g.node(op, [x, w, r, b, ""] + states, f"/{op.lower()}", outputs=3 if op == "LSTM" else 2, hidden_size=hidden, **extra)[0]
        y = g.node("Squeeze", [y, g.const([1], np.int64)], f"/{op.lower()}")
        y = g.node("Transpose", [y], "/transpose", perm=[1, 0, 2])
        last = g.node("Gather", [y, g.const(-1, np.int64)], "/gather", axis=1)
        if readout is None:
            rename_output(g, last, "output")
            out = helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, hidden])
        else:
            wo, bo = readout
            h = g.node("Gemm", [last, g.init("fc.weight", wo), g.init("fc.bias", bo)], "/fc", alpha=1.0, beta=1.0, transB=1)
            rename_output(g, h, "output")
            out = helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 1])
        x_info = helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, seq, features])
        return g.model(name, [x_info], [out])

    states = ort.InferenceSession(build(None).SerializeToString(), providers=["CPUExecutionProvider"])
    H = np.concatenate([states.run(None, {"input": w[None].astype(np.float32)})[0] for w in windows[:train]])
    A = np.hstack([H, np.ones((train, 1))])
    coef = np.linalg.solve(A.T @ A + 1e-2 * np.eye(hidden + 1), A.T @ targets[:train])
    readout = (coef[:hidden].reshape(1, hidden).astype(np.float32), coef[hidden:].astype(np.float32))
    return build(readout), windows[:, None].astype(np.float32)


RECURRENT_TRAIN = 400


def return_windows(seq, features, n):
    """Sliding windows over a GARCH path; features per step: the return and (for two) its
    absolute value; target: the next day's absolute return."""
    r = garch_returns(n + seq + 1)
    steps = np.stack([r, np.abs(r)], axis=1)[:, :features]
    windows = np.stack([steps[t : t + seq] for t in range(n)])
    targets = np.abs(r[seq : seq + n])
    return windows, targets


def lstm_forecaster():
    """A volatility forecaster: 16 daily (return, |return|) pairs -> LSTM(hidden 8) -> next
    |return|; calibration on 32 training windows, 200 hold-out windows after them."""
    windows, targets = return_windows(16, 2, RECURRENT_TRAIN + 200)
    model, samples = torch_recurrent_forecaster("lstm_forecaster", "LSTM", 16, 2, 8, windows, targets, RECURRENT_TRAIN)
    return model, samples[RECURRENT_TRAIN:], samples[RECURRENT_TRAIN - 32 : RECURRENT_TRAIN]


def gru_forecaster():
    """24 daily returns -> GRU(hidden 8, linear_before_reset as PyTorch exports it) -> next
    |return|."""
    windows, targets = return_windows(24, 1, RECURRENT_TRAIN + 200)
    model, samples = torch_recurrent_forecaster("gru_forecaster", "GRU", 24, 1, 8, windows, targets, RECURRENT_TRAIN)
    return model, samples[RECURRENT_TRAIN:], samples[RECURRENT_TRAIN - 32 : RECURRENT_TRAIN]


def recurrent_variant(op, direction="forward", peepholes=False, seq=6, features=3, hidden=4, **attrs):
    """One bare recurrent layer (all its outputs) with the attributes tract does not run, so the
    committed onnxruntime outputs are the reference for them."""
    dirs = 2 if direction == "bidirectional" else 1
    gates = {"LSTM": 4, "GRU": 3, "RNN": 1}[op]
    a = 1.0 / np.sqrt(hidden)
    u = lambda *shape: variant_rng.uniform(-a, a, size=shape).astype(np.float32)
    g = Graph()
    W, R, B = recurrent_weights(gates, hidden, features, dirs, variant_rng)
    inputs = ["input", g.init("W", W), g.init("R", R), g.init("B", B)]
    if peepholes:
        inputs += ["", "", "", g.init("P", u(dirs, 3 * hidden))]
    names = ["Y", "Y_h", "Y_c"][: 3 if op == "LSTM" else 2]
    g.nodes.append(helper.make_node(op, inputs, names, name=f"/{op.lower()}", hidden_size=hidden, direction=direction, **attrs))
    outs = [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [seq, dirs, 1, hidden])]
    outs += [helper.make_tensor_value_info(n, TensorProto.FLOAT, [dirs, 1, hidden]) for n in names[1:]]
    model = g.model(f"{op.lower()}_{direction}", [helper.make_tensor_value_info("input", TensorProto.FLOAT, [seq, 1, features])], outs)
    samples = variant_rng.normal(0, 1, size=(28, seq, 1, features)).astype(np.float32)
    return model, samples[8:], samples[:8]


# The variants draw from their own generator, so a maker added to the main list does not change them.
variant_rng = np.random.default_rng(20261203)

RECURRENT_VARIANTS = [
    ("lstm_bidirectional", lambda: recurrent_variant("LSTM", "bidirectional")),
    ("lstm_reverse_peepholes", lambda: recurrent_variant("LSTM", "reverse", peepholes=True)),
    ("lstm_clip", lambda: recurrent_variant("LSTM", clip=0.8)),
    ("lstm_input_forget", lambda: recurrent_variant("LSTM", input_forget=1)),
    ("lstm_activations", lambda: recurrent_variant("LSTM", activations=["HardSigmoid", "LeakyRelu", "Softplus"], activation_alpha=[0.3, 0.05], activation_beta=[0.6])),
    ("gru_reverse", lambda: recurrent_variant("GRU", "reverse")),
    ("gru_bidirectional_activations", lambda: recurrent_variant("GRU", "bidirectional", activations=["Sigmoid", "Tanh", "HardSigmoid", "Elu"], activation_alpha=[0.25, 0.7], activation_beta=[0.45])),
    ("rnn_bidirectional_scaled", lambda: recurrent_variant("RNN", "bidirectional", activations=["ScaledTanh", "Affine"], activation_alpha=[0.9, 0.5], activation_beta=[1.3, 0.1])),
    ("rnn_relu", lambda: recurrent_variant("RNN", activations=["Relu"])),
]


def sklearn_hist_gbr():
    """HistGradientBoostingRegressor (30 trees of depth 3) on the synthetic borrower book, through
    skl2onnx: binned thresholds, missing-value tracks. skl2onnx 1.20 hands numpy integers and
    booleans to onnx.helper, which refuses them (`Expected an int, got a boolean`); the conversion
    runs with onnx.helper.make_attribute coercing them to Python ints first, which changes no value."""
    from skl2onnx import to_onnx
    from sklearn.ensemble import HistGradientBoostingRegressor

    X, y = credit_data()
    reg = HistGradientBoostingRegressor(max_iter=30, max_depth=3, learning_rate=0.2, random_state=0).fit(X, y)
    plain = helper.make_attribute

    def coerce(v):
        if isinstance(v, (bool, np.bool_, np.integer)):
            return int(v)
        if isinstance(v, np.floating):
            return float(v)
        if isinstance(v, (list, tuple)):
            return [coerce(x) for x in v]
        return v

    helper.make_attribute = lambda key, value, *a, **k: plain(key, value if isinstance(value, np.ndarray) else coerce(value), *a, **k)
    try:
        model = to_onnx(reg, X[:1], target_opset={"": 17, "ai.onnx.ml": 3})
    finally:
        helper.make_attribute = plain
    model.graph.name = "sklearn_hist_gbr"
    return model, tree_samples(X[:400])


def write(out_dir, name, model, samples, calibration=8, calib=None):
    d = Path(out_dir) / name
    d.mkdir(parents=True, exist_ok=True)
    onnx.save(model, d / "network.onnx")
    sess = ort.InferenceSession(str(d / "network.onnx"), providers=["CPUExecutionProvider"])
    input_name = sess.get_inputs()[0].name
    rows = lambda xs: [[round(float(v), 6) for v in x.ravel()] for x in xs]
    (d / "input.json").write_text(json.dumps({"input_data": rows(samples[:1])}))
    explicit = calib is not None
    calib = calib if explicit else samples[:calibration]
    if not explicit and calibration > 8:
        # Tree models: a user calibrates on the training data; here, the first rows plus each
        # feature's extremes over every sample, so the input range covers the hold-out rows.
        flat = samples.reshape(len(samples), -1)
        calib = np.concatenate([calib, flat.max(axis=0).reshape(samples[:1].shape), flat.min(axis=0).reshape(samples[:1].shape)])
    (d / "calibration.json").write_text(json.dumps({"input_data": rows(calib)}))
    holdout = samples if explicit else samples[calibration:]
    outputs = []
    for x in holdout:
        x = np.asarray(rows([x])[0], dtype=np.float32).reshape(x.shape)
        outs = sess.run(None, {input_name: x})
        outputs.append([[float(v) for v in np.asarray(o, dtype=np.float64).ravel()] for o in outs])
    doc = {
        "input_data": rows(holdout),
        "outputs": outputs,
        "output_names": [o.name for o in sess.get_outputs()],
        "generator": "scripts/gen_exporter_fixtures.py, onnxruntime " + ort.__version__,
    }
    (d / "holdout.json").write_text(json.dumps(doc))
    print(f"{name}: {len(model.graph.node)} nodes, {len(holdout)} hold-out samples -> {d}")


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/models/exported"
    only = set(sys.argv[2:])
    for name, make in [
        ("mlp_classifier", mlp_classifier),
        ("transformer_block", transformer_block),
        ("mobilenet_block", mobilenet_block),
        ("sklearn_mlp", sklearn_mlp),
        ("sklearn_logistic", sklearn_logistic),
        ("sklearn_ridge", sklearn_ridge),
        ("sklearn_binary_logistic", sklearn_binary_logistic),
        ("sklearn_gbr", sklearn_gbr),
        ("lightgbm_credit", lightgbm_credit),
        ("sklearn_forest", sklearn_forest),
        ("xgboost_binary", xgboost_binary),
        ("lstm_forecaster", lstm_forecaster),
        ("gru_forecaster", gru_forecaster),
        ("sklearn_hist_gbr", sklearn_hist_gbr),
    ]:
        made = make()
        if not only or name in only:
            trees = name in ("sklearn_gbr", "lightgbm_credit", "sklearn_forest", "xgboost_binary", "sklearn_hist_gbr")
            write(out, name, *made[:2], TREE_CALIBRATION if trees else 8, *made[2:])
    # Layers with the attributes tract does not run, next to the exported models.
    for name, make in RECURRENT_VARIANTS:
        made = make()
        if not only or name in only:
            write(Path(out).parent / "recurrent", name, *made[:2], 8, made[2])


if __name__ == "__main__":
    main()
