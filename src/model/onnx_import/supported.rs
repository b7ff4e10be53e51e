//! The one registry of ONNX operators zkinfer can lower: quoted back to the user when a model uses
//! another, listed by `zkinfer ops`, and rendered as the README's operator table (a test keeps the
//! README's copy identical to [`markdown_table`]).

use serde::Serialize;

/// One family of operators that lower the same way.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct OpFamily {
    /// ONNX operator names (`domain:Name` outside the default domain).
    pub ops: &'static [&'static str],
    /// What the lowering accepts, where that is narrower than the ONNX operator.
    pub limits: &'static str,
    /// How the circuit proves it.
    pub proof: &'static str,
    /// Rows per output element (arithmetic rows; `B` is the activation range in bits, `L` the
    /// limb width, `n` a window or reduction length).
    pub rows: &'static str,
    /// Error measured on its test fixture, % of the output range, and where.
    pub error: &'static str,
}

const fn family(
    ops: &'static [&'static str],
    limits: &'static str,
    proof: &'static str,
    rows: &'static str,
    error: &'static str,
) -> OpFamily {
    OpFamily { ops, limits, proof, rows, error }
}

pub const OPERATORS: &[OpFamily] = &[
    family(
        &["Gemm", "MatMul", "Einsum"],
        "one side constant (two computed sides: next row); Einsum with one or two operands",
        "affine rows, `lanes` terms per row, then a rounding rescale",
        "terms / lanes + rescale",
        "0.035 (PyTorch MLP fixture)",
    ),
    family(
        &["MatMul", "Einsum"],
        "both sides computed (attention's `Q K^T`, `att V`)",
        "one product row per term, chained, then a rescale",
        "terms + rescale",
        "0.022 (attention), 0.048 (Einsum test)",
    ),
    family(
        &["Conv", "ConvTranspose"],
        "1-D and 2-D, strides, dilations, pads, groups (depthwise)",
        "affine rows",
        "terms / lanes + rescale",
        "0.041 (MobileNet fixture), 0.048 (ConvTranspose test)",
    ),
    family(
        &["Add", "Sub", "Mul", "Div", "Neg", "BatchNormalization"],
        "with a constant, or Add/Sub of two computed tensors (broadcasting)",
        "affine, folded into the neighbouring affine layers where it can be",
        "0-1",
        "0.026 (Neg)",
    ),
    family(
        &["Mul", "Pow"],
        "Mul of two computed tensors; Pow by 2, 3 or 4",
        "one product row, then a rescale",
        "1 + rescale per factor",
        "0.056 (roots and powers test)",
    ),
    family(
        &["Div", "Reciprocal", "Pow"],
        "Div by a positive computed tensor; Reciprocal of positive inputs; Pow by -1",
        "`a 2^s = q b + r` with limbs for `r` and `b - 1 - r`",
        "2B/L + 3",
        "0.056 (roots and powers test)",
    ),
    family(
        &["Sqrt", "Pow"],
        "non-negative inputs; Pow by 0.5 or -0.5",
        "exact integer root `s^2 <= v < (s + 1)^2`, limbs for both gaps",
        "2B/L + 3",
        "0.056 (roots and powers test)",
    ),
    family(&["Relu"], "", "sign bit of the range proof times the value", "1-2", "exact"),
    family(
        &["Sigmoid", "Tanh", "Erf", "Softplus", "Gelu", "Elu", "LeakyRelu", "HardSigmoid", "HardSwish", "Abs"],
        "Gelu exact and `approximate=\"tanh\"`",
        "table segments `f_i + round(d_i lo / 2^m)`; unbounded outputs range-checked",
        "4-12",
        "0.023-0.064 (`x -> Gemm -> op` tests)",
    ),
    family(
        &["Clip"],
        "constant bounds (ReLU6 and any other)",
        "segments when the bounds fall on the grid, else `lo + relu(x - lo) - relu(x - hi)`",
        "6-10",
        "0.028-0.088",
    ),
    family(&["Sign"], "", "`[x >= 0] + [x >= 1] - 1` from two sign bits", "4", "exact on representable inputs"),
    family(
        &["Log"],
        "positive inputs (zero or below is an error)",
        "leading-bit octave as a one-hot vector, `ln` of the mantissa in `[1, 2)` by segments",
        "B + 3B/lanes + 15 (about 70)",
        "0.043 (inputs 0.05 to 5)",
    ),
    family(
        &["Exp"],
        "outputs within the activation range (an input past it is an error)",
        "`2^e exp(x - e ln 2)`: the bounded exponential's segments, scaled exactly",
        "18",
        "0.019",
    ),
    family(
        &["Softmax", "LogSoftmax", "Log"],
        "any axis (before opset 13: 2-D from `axis`, as ONNX defined it); Log of a Softmax is read as LogSoftmax",
        "max, `x - max`, bounded exponential, sum, then a division with remainder (Softmax) or \
         `x - max - ln(sum)` with `sum >= 1` (LogSoftmax)",
        "24",
        "0.025-0.047 (Softmax), 0.036 (LogSoftmax)",
    ),
    family(
        &["LayerNormalization", "InstanceNormalization"],
        "the ReduceMean/Sub/Pow/Sqrt/Div form compiles op by op",
        "integer centring `n x_i - sum x`, one exact root and one division per element",
        "2B/L + 4 per element, one root per group",
        "0.076 (normalisations test)",
    ),
    family(
        &["ReduceSum", "ReduceMean", "AveragePool", "GlobalAveragePool"],
        "any axes; pools 1-D and 2-D with pads",
        "affine rows",
        "n / lanes + rescale",
        "0.05 (reductions test)",
    ),
    family(
        &["ReduceMax", "ReduceMin", "MaxPool", "GlobalMaxPool", "Max", "Min"],
        "any axes; pools 1-D and 2-D with pads; Max/Min element-wise over any number of operands",
        "running maximum: a sign bit of each `(B+1)`-bit difference selects",
        "(n - 1)(B/L + 3)",
        "0.05 (reductions test), 0.037 (selection test)",
    ),
    family(
        &["ArgMax", "ArgMin"],
        "first index (`select_last_index = 0`)",
        "the maximum's comparisons also carry its position",
        "(n - 1)(B/L + 4)",
        "exact index (0.029 over that test's outputs)",
    ),
    family(
        &["Less", "Greater", "LessOrEqual", "GreaterOrEqual", "Equal", "Not", "And", "Or", "Where"],
        "Where on a comparison's boolean or a constant condition",
        "sign bit of a `(B+1)`-bit difference; Where blends `y + c (x - y)` with `c` in {0, 1}",
        "B/L + 2 (Equal twice); Where 2 + rescale",
        "exact on representable inputs (0.037 over the selection test)",
    ),
    family(
        &[
            "Transpose",
            "Slice",
            "Concat",
            "Split",
            "Gather",
            "GatherElements",
            "Expand",
            "Tile",
            "Squeeze",
            "Unsqueeze",
            "Flatten",
            "Reshape",
            "Identity",
            "Dropout",
            "Pad",
            "DepthToSpace",
            "SpaceToDepth",
        ],
        "constant indices; Pad constant, edge, reflect or wrap",
        "values move: the circuit follows the output-to-input map",
        "0",
        "exact",
    ),
    family(
        &["Resize", "Upsample"],
        "nearest (any rounding mode) or linear, every coordinate mode but crop-and-resize",
        "nearest moves values (0 rows); linear is affine",
        "0 (nearest), taps / lanes + rescale (linear)",
        "0.050 (rearrangements test)",
    ),
    family(
        &["ai.onnx.ml:Scaler", "ai.onnx.ml:LinearRegressor", "ai.onnx.ml:LinearClassifier", "ai.onnx.ml:Normalizer"],
        "LinearClassifier with one coefficient row per class, integer labels, post_transform NONE, \
         LOGISTIC or SOFTMAX; ZipMap is an error that says to convert with zipmap=False",
        "affine maps; the label is the scores' ArgMax; Normalizer divides by the row's max, L1 or L2 norm",
        "features / lanes + rescale; labels as ArgMax",
        "0.057 (Ridge), 0.077 (logistic regression; labels exact)",
    ),
    family(
        &["ai.onnx.ml:TreeEnsembleRegressor", "ai.onnx.ml:TreeEnsembleClassifier"],
        "every BRANCH mode; SUM, AVERAGE, MIN, MAX; post_transform NONE, LOGISTIC, SOFTMAX (classifier); \
         one-column binary classifiers as onnxruntime scores them; float thresholds",
        "per decision the sign of `x - threshold` (limbs); leaf indicators top down, one product per decision; \
         leaf values an affine map over the indicators",
        "per decision (B+1)/L + 3; per leaf and output 1/lanes",
        "0.0001-0.053 on samples reaching onnxruntime's leaves (299-300 of 300; GBR, HistGBR, LightGBM, forest, XGBoost fixtures)",
    ),
    family(
        &["LSTM", "GRU", "RNN"],
        "constant W, R, B, P; every direction and layout; peepholes, clip, input_forget, linear_before_reset; \
         activations Sigmoid, Tanh, Relu, LeakyRelu, Elu, HardSigmoid, Softplus, Affine, ScaledTanh; \
         sequence_lens absent or all full length",
        "unrolled over the sequence: each gate group one affine map with its function fused, the state \
         updates element-wise products and exact sums; a constant initial state folds into the biases",
        "per step and unit: gates x (inputs + hidden) / lanes + rescale, 2-3 products",
        "0.043 (16-step LSTM forecaster), 0.073 (24-step GRU), vs onnxruntime; float lowering matches onnxruntime to 1e-5 in every direction and activation list tested",
    ),
    family(
        &["Cast", "Shape", "Constant", "ai.onnx.ml:ArrayFeatureExtractor"],
        "Cast to integers only of integer tensors (labels); labels evenly spaced",
        "fold to constants or relabel; a label is `first + step * index`",
        "0-1",
        "exact (sklearn MLP fixture's labels)",
    ),
];

/// Every supported operator name, once, in registry order (the error message's list).
pub fn supported_ops() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Vec::new();
    for f in OPERATORS {
        for &op in f.ops {
            if !names.contains(&op) {
                names.push(op);
            }
        }
    }
    names
}

/// The README's operator table.
pub fn markdown_table() -> String {
    let mut s = String::from(
        "| operators | accepted | how it is proved | rows per element | error, % of output range |\n\
         |---|---|---|---|---|\n",
    );
    for f in OPERATORS {
        let limits = if f.limits.is_empty() { "-" } else { f.limits };
        s.push_str(&format!("| {} | {limits} | {} | {} | {} |\n", f.ops.join(", "), f.proof, f.rows, f.error));
    }
    s
}
