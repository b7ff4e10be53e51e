//! zkinfer's own small model graph: what the circuit compiler consumes instead of ONNX.
//!
//! Every supported ONNX operator lowers to one of five shapes of computation, because those are the
//! shapes the circuit can prove: a sparse affine map with constant weights (Gemm, MatMul, Conv,
//! pooling averages, batch norm, constant arithmetic, tensor sums), an element-wise product of two
//! runtime tensors, a lookup-table activation, a windowed maximum, and a free relabelling of the same
//! values (Reshape, Flatten, Identity). Node `i` produces tensor `i`; nodes are in topological order.

use serde::{Deserialize, Serialize};

/// Non-linear element-wise functions proved with a lookup table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    Relu,
    Sigmoid,
    Tanh,
}

impl Activation {
    /// The real-valued function the table approximates.
    pub fn apply(self, x: f64) -> f64 {
        match self {
            Activation::Relu => x.max(0.0),
            Activation::Sigmoid => 1.0 / (1.0 + (-x).exp()),
            Activation::Tanh => x.tanh(),
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
    /// Element-wise non-linearity.
    Activation { input: usize, function: Activation },
    /// `out[j] = max(input[w] for w in windows[j])`.
    Max { input: usize, windows: Vec<Vec<u32>> },
    /// Same values, new shape.
    Alias { input: usize },
}

impl Op {
    /// Tensors this op reads.
    pub fn operands(&self) -> Vec<usize> {
        match self {
            Op::Input { .. } => vec![],
            Op::Affine { inputs, .. } => inputs.clone(),
            Op::Product { a, b, .. } => vec![*a, *b],
            Op::Activation { input, .. } | Op::Max { input, .. } | Op::Alias { input } => {
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
                Op::Activation { input, function } => values[*input].iter().map(|&x| function.apply(x)).collect(),
                Op::Max { input, windows } => windows
                    .iter()
                    .map(|w| w.iter().map(|&i| values[*input][i as usize]).fold(f64::NEG_INFINITY, f64::max))
                    .collect(),
                Op::Alias { input } => values[*input].clone(),
            };
            values.push(out);
        }
        values
    }
}
