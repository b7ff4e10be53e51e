//! The quantised graph: integer weights at known scales, activations fused into the op that feeds
//! them. This is what the circuit lays out and what a build directory stores.

use serde::{Deserialize, Serialize};

use crate::encoding::{Scale, Tensor};
use crate::model::graph::{Activation, Comparison, Graph, Op};
use crate::model::tree::{Forest, QSplit};

/// One output of a quantised affine map: `bias + sum(weight * inputs[input][index])`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QRow {
    /// `(input position, flat index, integer weight)`.
    pub terms: Vec<(u32, u32, i64)>,
    pub bias: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum QOp {
    Input {
        index: usize,
    },
    /// Integer affine map, then divide by `2^shift` (rounding half up), then `activation`.
    Affine {
        inputs: Vec<usize>,
        rows: Vec<QRow>,
        shift: u32,
        activation: Option<Activation>,
    },
    /// Element-wise product, rescaled by `2^scale`, then `activation`.
    Product {
        a: usize,
        b: usize,
        a_index: Vec<u32>,
        b_index: Vec<u32>,
        activation: Option<Activation>,
    },
    /// Sums of products, rescaled by `2^scale`, then `activation`.
    Contract {
        a: usize,
        b: usize,
        pairs: Vec<Vec<(u32, u32)>>,
        activation: Option<Activation>,
    },
    Activation {
        input: usize,
        function: Activation,
    },
    /// `floor(a * 2^scale / b)`, `b` positive.
    Divide {
        a: usize,
        b: usize,
        a_index: Vec<u32>,
        b_index: Vec<u32>,
    },
    Max {
        input: usize,
        windows: Vec<Vec<u32>>,
    },
    /// `2^scale` where `a[a_index[j]] kind b[b_index[j]]`, else 0.
    Compare {
        a: usize,
        b: usize,
        a_index: Vec<u32>,
        b_index: Vec<u32>,
        kind: Comparison,
    },
    /// Position of each window's first maximum, as `position * 2^scale`.
    ArgMax {
        input: usize,
        windows: Vec<Vec<u32>>,
    },
    /// `(x - mean) / sqrt(var + eps)` over each group (see [`crate::circuit::chips::normalize`]).
    Normalize {
        input: usize,
        groups: Vec<Vec<u32>>,
        eps: f64,
    },
    Alias {
        input: usize,
    },
    /// Values rearranged: `out[j] = inputs[picks[j].0][picks[j].1]`.
    Gather {
        inputs: Vec<usize>,
        picks: Vec<(u32, u32)>,
    },
    /// Leaf indicators (`2^scale` at each leaf reached) from integer thresholds (see
    /// [`crate::circuit::chips::tree`]).
    TreeLeaves {
        input: usize,
        forest: Forest<QSplit>,
    },
}

impl QOp {
    /// Tensors this op reads (as [`crate::model::graph::Op::operands`] for the float graph).
    pub fn operands(&self) -> Vec<usize> {
        match self {
            QOp::Input { .. } => vec![],
            QOp::Affine { inputs, .. } | QOp::Gather { inputs, .. } => inputs.clone(),
            QOp::Product { a, b, .. }
            | QOp::Divide { a, b, .. }
            | QOp::Contract { a, b, .. }
            | QOp::Compare { a, b, .. } => vec![*a, *b],
            QOp::Activation { input, .. }
            | QOp::Max { input, .. }
            | QOp::ArgMax { input, .. }
            | QOp::Alias { input }
            | QOp::Normalize { input, .. }
            | QOp::TreeLeaves { input, .. } => {
                vec![*input]
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QNode {
    pub name: String,
    pub op_type: String,
    pub op: QOp,
    pub shape: Vec<usize>,
}

impl QNode {
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QGraph {
    pub nodes: Vec<QNode>,
    pub inputs: Vec<usize>,
    pub outputs: Vec<usize>,
    pub input_names: Vec<String>,
    pub output_names: Vec<String>,
    /// Fractional bits of every activation and weight.
    pub scale: Scale,
}

impl QGraph {
    pub fn input_shapes(&self) -> Vec<Vec<usize>> {
        self.inputs.iter().map(|&i| self.nodes[i].shape.clone()).collect()
    }

    pub fn output_shapes(&self) -> Vec<Vec<usize>> {
        self.outputs.iter().map(|&i| self.nodes[i].shape.clone()).collect()
    }

    /// The model's inputs as named tensors (what public instances carry).
    pub fn input_tensors(&self) -> Vec<Tensor> {
        self.tensors(&self.inputs, &self.input_names)
    }

    /// The model's outputs as named tensors.
    pub fn output_tensors(&self) -> Vec<Tensor> {
        self.tensors(&self.outputs, &self.output_names)
    }

    fn tensors(&self, nodes: &[usize], names: &[String]) -> Vec<Tensor> {
        nodes.iter().zip(names).map(|(&i, n)| Tensor { name: n.clone(), shape: self.nodes[i].shape.clone() }).collect()
    }

    /// Every weight and bias the circuit computes with, as hashed parameters commit to them, layer
    /// by layer in graph order: for an affine layer, each output row's bias then its term weights;
    /// for a tree ensemble, row by row, every decision's thresholds tree by tree in node order.
    pub fn param_values(&self) -> Vec<i128> {
        let mut values = Vec::new();
        for node in &self.nodes {
            match &node.op {
                QOp::Affine { rows, .. } => {
                    for row in rows {
                        values.push(row.bias as i128);
                        values.extend(row.terms.iter().map(|t| t.2 as i128));
                    }
                }
                QOp::TreeLeaves { forest, .. } => {
                    for _ in 0..forest.rows {
                        values.extend(forest.tests().flat_map(|(_, s)| s.thresholds()).map(i128::from));
                    }
                }
                _ => {}
            }
        }
        values
    }

    /// Moves tree thresholds into the activation range (`range_bits`), where they make the same
    /// decisions on every input the circuit accepts and their differences with inputs fit the
    /// comparison's range proof.
    pub fn clamp_thresholds(&mut self, range_bits: u32) {
        for node in &mut self.nodes {
            if let QOp::TreeLeaves { forest, .. } = &mut node.op {
                *forest = forest.map_tests(|s| s.clamped(range_bits));
            }
        }
    }

    /// Smooth functions the table must hold segments of (ReLU and max need none: they come from
    /// the sign of a range decomposition).
    pub fn smooth_activations(&self) -> Vec<Activation> {
        let mut fns: Vec<Activation> = self
            .nodes
            .iter()
            .filter_map(|n| match &n.op {
                QOp::Affine { activation, .. } | QOp::Product { activation, .. } | QOp::Contract { activation, .. } => {
                    *activation
                }
                QOp::Activation { function, .. } => Some(*function),
                _ => None,
            })
            .filter(|&a| a != Activation::Relu)
            // exp is interpolated on the bounded exponential's segments (see chips::exp).
            .map(|a| match a {
                Activation::Exp => Activation::ExpShifted,
                Activation::Log => Activation::LnAtLeastOne,
                a => a,
            })
            .collect();
        fns.sort();
        fns.dedup();
        fns
    }
}

/// Rounds `x * 2^bits` to the nearest integer (weights are stored at 64 bits).
fn to_fixed(x: f64, bits: u32) -> i64 {
    (x * 2f64.powi(bits as i32)).round() as i64
}

/// Quantises `graph` with `scale` fractional bits for activations and weights.
pub fn quantise_graph(graph: &Graph, scale: Scale) -> QGraph {
    let bits = scale.bits();
    let readers = graph.reader_counts();
    let mut nodes: Vec<QNode> = Vec::with_capacity(graph.nodes.len());
    for node in &graph.nodes {
        let op = match &node.op {
            Op::Input { index } => QOp::Input { index: *index },
            Op::Affine { inputs, rows } => {
                // Integer weights (tensor sums and differences) need no rescale.
                let integral =
                    rows.iter().flat_map(|r| &r.terms).all(|t| t.weight.fract() == 0.0 && t.weight.abs() <= 1024.0);
                let (wbits, shift) = if integral { (0, 0) } else { (bits, bits) };
                let rows = rows
                    .iter()
                    .map(|r| QRow {
                        terms: r.terms.iter().map(|t| (t.input, t.index, to_fixed(t.weight, wbits))).collect(),
                        bias: to_fixed(r.bias, bits + wbits),
                    })
                    .collect();
                QOp::Affine { inputs: inputs.clone(), rows, shift, activation: None }
            }
            Op::Product { a, b, a_index, b_index } => {
                QOp::Product { a: *a, b: *b, a_index: a_index.clone(), b_index: b_index.clone(), activation: None }
            }
            Op::Contract { a, b, pairs } => QOp::Contract { a: *a, b: *b, pairs: pairs.clone(), activation: None },
            Op::Activation { input, function } => {
                // Fuse into the producer when nothing else reads the pre-activation value: the
                // activation's lookup then doubles as the range check of the rescaled value.
                let p = *input;
                let fusable = readers[p] == 1
                    && !graph.outputs.contains(&p)
                    && matches!(
                        nodes[p].op,
                        QOp::Affine { activation: None, .. }
                            | QOp::Product { activation: None, .. }
                            | QOp::Contract { activation: None, .. }
                    );
                if fusable {
                    match &mut nodes[p].op {
                        QOp::Affine { activation, .. }
                        | QOp::Product { activation, .. }
                        | QOp::Contract { activation, .. } => *activation = Some(*function),
                        _ => unreachable!(),
                    }
                    nodes[p].op_type = format!("{}+{}", nodes[p].op_type, node.op_type);
                    QOp::Alias { input: p }
                } else {
                    QOp::Activation { input: p, function: *function }
                }
            }
            Op::Max { input, windows } => QOp::Max { input: *input, windows: windows.clone() },
            Op::ArgMax { input, windows } => QOp::ArgMax { input: *input, windows: windows.clone() },
            Op::Compare { a, b, a_index, b_index, kind } => {
                QOp::Compare { a: *a, b: *b, a_index: a_index.clone(), b_index: b_index.clone(), kind: *kind }
            }
            Op::Normalize { input, groups, eps } => QOp::Normalize { input: *input, groups: groups.clone(), eps: *eps },
            Op::Divide { a, b, a_index, b_index } => {
                QOp::Divide { a: *a, b: *b, a_index: a_index.clone(), b_index: b_index.clone() }
            }
            Op::Alias { input } => QOp::Alias { input: *input },
            Op::Gather { inputs, picks } => QOp::Gather { inputs: inputs.clone(), picks: picks.clone() },
            Op::TreeLeaves { input, forest } => {
                QOp::TreeLeaves { input: *input, forest: forest.map_tests(|s| s.quantise(bits)) }
            }
        };
        nodes.push(QNode { name: node.name.clone(), op_type: node.op_type.clone(), op, shape: node.shape.clone() });
    }
    QGraph {
        nodes,
        inputs: graph.inputs.clone(),
        outputs: graph.outputs.clone(),
        input_names: graph.input_names.clone(),
        output_names: graph.output_names.clone(),
        scale,
    }
}
