//! The list of ONNX operators zkinfer can lower, quoted back to the user when a model uses another.

/// ONNX operators zkinfer can prove (shape helpers that fold to constants are accepted too).
pub const SUPPORTED_OPS: &[&str] = &[
    "Gemm",
    "MatMul",
    "Add",
    "Sub",
    "Mul",
    "Div (by a constant)",
    "Relu",
    "Sigmoid",
    "Tanh",
    "Conv",
    "AveragePool",
    "GlobalAveragePool",
    "MaxPool",
    "Flatten",
    "Reshape",
    "BatchNormalization",
    "Identity",
    "Dropout",
    "Constant",
];
