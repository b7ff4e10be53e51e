//! zkinfer's own small model graph: what the circuit compiler consumes instead of ONNX.
//!
//! Every supported ONNX operator lowers to one of five shapes of computation, because those are the
//! shapes the circuit can prove: a sparse affine map with constant weights (Gemm, MatMul, Conv,
//! pooling averages, batch norm, constant arithmetic, tensor sums), an element-wise product of two
//! runtime tensors, a lookup-table activation, a windowed maximum, and a free relabelling of the same
//! values (Reshape, Flatten, Identity). Node `i` produces tensor `i`; nodes are in topological order.

use serde::{Deserialize, Serialize};

use super::tree::{Forest, Split};

/// An f32 operator attribute (an alpha, a clip bound), held by its bits so activations stay
/// `Eq + Hash + Ord`: the table keys its segment blocks by them, and a build must reproduce them
/// bit for bit.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Param(u32);

impl Param {
    pub fn new(v: f32) -> Param {
        Param(v.to_bits())
    }

    pub fn get(self) -> f64 {
        f32::from_bits(self.0) as f64
    }
}

impl std::fmt::Debug for Param {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", f32::from_bits(self.0))
    }
}

impl Serialize for Param {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // JSON has no infinite numbers: an absent clip bound is written "inf" or "-inf".
        let v = f32::from_bits(self.0);
        if v.is_finite() {
            s.serialize_f32(v)
        } else {
            s.serialize_str(if v > 0.0 { "inf" } else { "-inf" })
        }
    }
}

impl<'de> Deserialize<'de> for Param {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Param, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Number(f32),
            Text(String),
        }
        match Repr::deserialize(d)? {
            Repr::Number(v) => Ok(Param::new(v)),
            Repr::Text(t) if t == "inf" => Ok(Param::new(f32::INFINITY)),
            Repr::Text(t) if t == "-inf" => Ok(Param::new(f32::NEG_INFINITY)),
            Repr::Text(t) => Err(serde::de::Error::custom(format!("'{t}' is not a parameter value"))),
        }
    }
}

/// Non-linear element-wise functions. ReLU and Sign are proved from sign bits; every other one by
/// segments of a lookup table (see [`crate::circuit::tables`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    Relu,
    Sigmoid,
    Tanh,
    Erf,
    Softplus,
    /// `x * Phi(x)` (ONNX Gelu, `approximate = "none"`).
    Gelu,
    /// `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))` (`approximate = "tanh"`).
    GeluTanh,
    /// `x * clip(x / 6 + 1/2, 0, 1)`.
    HardSwish,
    Abs,
    /// -1, 0 or 1.
    Sign,
    LeakyRelu {
        alpha: Param,
    },
    Elu {
        alpha: Param,
    },
    /// `clip(alpha x + beta, 0, 1)`.
    HardSigmoid {
        alpha: Param,
        beta: Param,
    },
    /// `exp(min(x, 0))`: softmax's exponential, whose argument is never positive once the max
    /// is subtracted; bounded by 1, so its segments span the range.
    ExpShifted,
    /// `exp(x)`. Its second derivative grows with the output, so segments are sized for the
    /// largest output the activation range holds; an input whose exponential leaves the range
    /// cannot be proved at all (an error naming the layer), never interpolated wrongly.
    Exp,
    /// `ln(max(x, 1))`: the logarithm of a softmax's sum, which is at least 1 (the maximum's
    /// own term is exactly 1), so LogSoftmax never needs the logarithm near 0.
    LnAtLeastOne,
    /// `ln(x)`, `x > 0`: the leading bit's position and `ln(max(m, 1))` of the normalised
    /// mantissa (see chips::log), so it is as precise near 0 as near the range's top.
    Log,
    /// `min(max(x, min), max)`; an absent bound is infinite.
    Clip {
        min: Param,
        max: Param,
    },
    /// `sqrt(x)`, `x >= 0`: an exact integer root, no table.
    Sqrt,
    /// `1 / x`, `x > 0`: a division with a remainder, no table.
    Reciprocal,
}

impl Activation {
    /// The real-valued function, as ONNX defines it. libm (a pure-Rust port of musl) gives the
    /// same bits on every platform, so tables built from it on two machines agree.
    pub fn apply(self, x: f64) -> f64 {
        use std::f64::consts::{FRAC_1_SQRT_2, FRAC_2_PI};
        match self {
            Activation::Relu => x.max(0.0),
            Activation::Sigmoid => 1.0 / (1.0 + libm::exp(-x)),
            Activation::Tanh => libm::tanh(x),
            Activation::Erf => libm::erf(x),
            // log(1 + e^x), written so neither side overflows.
            Activation::Softplus => x.max(0.0) + libm::log1p(libm::exp(-x.abs())),
            Activation::Gelu => 0.5 * x * (1.0 + libm::erf(x * FRAC_1_SQRT_2)),
            Activation::GeluTanh => 0.5 * x * (1.0 + libm::tanh(FRAC_2_PI.sqrt() * (x + 0.044715 * x * x * x))),
            Activation::HardSwish => x * (x / 6.0 + 0.5).clamp(0.0, 1.0),
            Activation::Abs => x.abs(),
            Activation::ExpShifted => libm::exp(x.min(0.0)),
            Activation::Exp => libm::exp(x),
            Activation::LnAtLeastOne => libm::log(x.max(1.0)),
            Activation::Log => libm::log(x),
            Activation::Sign => {
                if x > 0.0 {
                    1.0
                } else if x < 0.0 {
                    -1.0
                } else {
                    0.0
                }
            }
            Activation::LeakyRelu { alpha } => {
                if x >= 0.0 {
                    x
                } else {
                    alpha.get() * x
                }
            }
            Activation::Elu { alpha } => {
                if x >= 0.0 {
                    x
                } else {
                    alpha.get() * libm::expm1(x)
                }
            }
            Activation::HardSigmoid { alpha, beta } => (alpha.get() * x + beta.get()).clamp(0.0, 1.0),
            Activation::Clip { min, max } => x.max(min.get()).min(max.get()),
            Activation::Sqrt => x.sqrt(),
            Activation::Reciprocal => 1.0 / x,
        }
    }
}

/// An order test between two values: Less and LessOrEqual swap their operands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparison {
    Greater,
    GreaterOrEqual,
    Equal,
}

impl Comparison {
    pub fn holds(self, a: f64, b: f64) -> bool {
        match self {
            Comparison::Greater => a > b,
            Comparison::GreaterOrEqual => a >= b,
            Comparison::Equal => a == b,
        }
    }
}

/// One term of an affine output: `weight * inputs[input][index]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Term {
    /// Position in the owning [`Affine::inputs`].
    pub input: u32,
    /// Flat (row-major) index into that input tensor.
    pub index: u32,
    pub weight: f64,
}

/// One output element of an affine map.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AffineRow {
    pub terms: Vec<Term>,
    pub bias: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Op {
    /// Model input number `index`.
    Input { index: usize },
    /// `out[j] = bias_j + sum(weight * inputs[input][index])`.
    Affine { inputs: Vec<usize>, rows: Vec<AffineRow> },
    /// `out[j] = a[a_index[j]] * b[b_index[j]]` (broadcasting resolved to indices).
    Product { a: usize, b: usize, a_index: Vec<u32>, b_index: Vec<u32> },
    /// `out[j] = sum(a[p] * b[q] for (p, q) in pairs[j])`: MatMul of two computed tensors
    /// (attention's `Q K^T` and `att V`), one product per row of the circuit.
    Contract { a: usize, b: usize, pairs: Vec<Vec<(u32, u32)>> },
    /// Element-wise non-linearity.
    Activation { input: usize, function: Activation },
    /// `out[i] = (x[i] - mean) / sqrt(var + eps)` over each group of indices (the biased variance,
    /// as LayerNormalization and InstanceNormalization define it); the groups cover the tensor.
    Normalize { input: usize, groups: Vec<Vec<u32>>, eps: f64 },
    /// `out[j] = a[a_index[j]] / b[b_index[j]]`, `b` positive (softmax's normalisation).
    Divide { a: usize, b: usize, a_index: Vec<u32>, b_index: Vec<u32> },
    /// `out[j] = 1` when `a[a_index[j]] kind b[b_index[j]]`, else 0 (ONNX booleans).
    Compare { a: usize, b: usize, a_index: Vec<u32>, b_index: Vec<u32>, kind: Comparison },
    /// `out[j] = max(input[w] for w in windows[j])`.
    Max { input: usize, windows: Vec<Vec<u32>> },
    /// `out[j]` = position of the first maximum of `input[w] for w in windows[j]` (ArgMax; ArgMin
    /// reads a negated input). An integer, so exact at any scale.
    ArgMax { input: usize, windows: Vec<Vec<u32>> },
    /// Same values, new shape.
    Alias { input: usize },
    /// `out[j] = inputs[picks[j].0][picks[j].1]`: values rearranged (Transpose, Slice, Concat,
    /// Split, Gather, Expand, Tile), at no cost in the circuit.
    Gather { inputs: Vec<usize>, picks: Vec<(u32, u32)> },
    /// `out[r * leaves + l] = 1` when row `r` of `input` reaches leaf `l` of the forest, else 0
    /// (TreeEnsembleRegressor/Classifier; the leaf values are an affine map over these).
    TreeLeaves { input: usize, forest: Forest<Split> },
}

impl Op {
    /// Tensors this op reads.
    pub fn operands(&self) -> Vec<usize> {
        match self {
            Op::Input { .. } => vec![],
            Op::Affine { inputs, .. } | Op::Gather { inputs, .. } => inputs.clone(),
            Op::Product { a, b, .. }
            | Op::Divide { a, b, .. }
            | Op::Contract { a, b, .. }
            | Op::Compare { a, b, .. } => vec![*a, *b],
            Op::Activation { input, .. }
            | Op::Max { input, .. }
            | Op::ArgMax { input, .. }
            | Op::Alias { input }
            | Op::Normalize { input, .. }
            | Op::TreeLeaves { input, .. } => {
                vec![*input]
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// ONNX node name (or its first output's name when unnamed), for error messages.
    pub name: String,
    /// The ONNX operator this node came from.
    pub op_type: String,
    pub op: Op,
    pub shape: Vec<usize>,
}

impl Node {
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Graph {
    pub nodes: Vec<Node>,
    /// Node ids of the model inputs, in ONNX input order.
    pub inputs: Vec<usize>,
    /// Node ids of the model outputs, in ONNX output order.
    pub outputs: Vec<usize>,
    /// ONNX names of the inputs and outputs.
    pub input_names: Vec<String>,
    pub output_names: Vec<String>,
}

impl Graph {
    /// How many nodes read each node (graph outputs count as a reader).
    pub fn reader_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.nodes.len()];
        for node in &self.nodes {
            for operand in node.op.operands() {
                counts[operand] += 1;
            }
        }
        for &out in &self.outputs {
            counts[out] += 1;
        }
        counts
    }

    /// Runs the graph in f64: the reference the quantised circuit is compared against.
    pub fn eval_f64(&self, inputs: &[Vec<f64>]) -> Vec<Vec<f64>> {
        let mut values: Vec<Vec<f64>> = Vec::with_capacity(self.nodes.len());
        for node in &self.nodes {
            let out = match &node.op {
                Op::Input { index } => inputs[*index].clone(),
                Op::Affine { inputs: ins, rows } => rows
                    .iter()
                    .map(|row| {
                        row.terms
                            .iter()
                            .fold(row.bias, |acc, t| acc + t.weight * values[ins[t.input as usize]][t.index as usize])
                    })
                    .collect(),
                Op::Product { a, b, a_index, b_index } => a_index
                    .iter()
                    .zip(b_index)
                    .map(|(&i, &j)| values[*a][i as usize] * values[*b][j as usize])
                    .collect(),
                Op::Contract { a, b, pairs } => pairs
                    .iter()
                    .map(|ps| ps.iter().map(|&(p, q)| values[*a][p as usize] * values[*b][q as usize]).sum())
                    .collect(),
                Op::Normalize { input, groups, eps } => {
                    let x = &values[*input];
                    let mut out = vec![0.0; x.len()];
                    for g in groups {
                        let n = g.len() as f64;
                        let mean = g.iter().map(|&i| x[i as usize]).sum::<f64>() / n;
                        let var = g.iter().map(|&i| (x[i as usize] - mean).powi(2)).sum::<f64>() / n;
                        let inv = 1.0 / (var + eps).sqrt();
                        for &i in g {
                            out[i as usize] = (x[i as usize] - mean) * inv;
                        }
                    }
                    out
                }
                Op::Activation { input, function } => values[*input].iter().map(|&x| function.apply(x)).collect(),
                Op::Divide { a, b, a_index, b_index } => a_index
                    .iter()
                    .zip(b_index)
                    .map(|(&i, &j)| values[*a][i as usize] / values[*b][j as usize])
                    .collect(),
                Op::Compare { a, b, a_index, b_index, kind } => a_index
                    .iter()
                    .zip(b_index)
                    .map(|(&i, &j)| f64::from(u8::from(kind.holds(values[*a][i as usize], values[*b][j as usize]))))
                    .collect(),
                Op::Max { input, windows } => windows
                    .iter()
                    .map(|w| w.iter().map(|&i| values[*input][i as usize]).fold(f64::NEG_INFINITY, f64::max))
                    .collect(),
                Op::ArgMax { input, windows } => windows
                    .iter()
                    .map(|w| {
                        let xs: Vec<f64> = w.iter().map(|&i| values[*input][i as usize]).collect();
                        // `>` keeps the first of equal maxima.
                        let best = (0..xs.len()).fold(0, |best, j| if xs[j] > xs[best] { j } else { best });
                        best as f64
                    })
                    .collect(),
                Op::Alias { input } => values[*input].clone(),
                Op::TreeLeaves { input, forest } => forest.eval(&values[*input]),
                Op::Gather { inputs: ins, picks } => {
                    picks.iter().map(|&(t, i)| values[ins[t as usize]][i as usize]).collect()
                }
            };
            values.push(out);
        }
        values
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_round_trip_through_json_infinite_ones_too() {
        let a = Activation::Clip { min: Param::new(f32::NEG_INFINITY), max: Param::new(0.8) };
        let text = serde_json::to_string(&a).unwrap();
        assert_eq!(text, r#"{"clip":{"min":"-inf","max":0.8}}"#);
        assert_eq!(serde_json::from_str::<Activation>(&text).unwrap(), a);
        assert_eq!(a.apply(-1e9), -1e9);
        assert!(serde_json::from_str::<Activation>(r#"{"clip":{"min":"low","max":1}}"#).is_err());
        assert_eq!(serde_json::to_string(&Activation::Sigmoid).unwrap(), r#""sigmoid""#);
    }
}
