//! Softmax, lowered whole rather than as ONNX's primitives: the max along the axis, the
//! difference (never positive, so the exponential is bounded by 1 and tabulated over the whole
//! range), the exponential, the sum, and a division the circuit proves with a remainder.
//! LogSoftmax shares all but the division: the shift minus the logarithm of the sum.

use tract_onnx::pb;

use super::proto::attr_int;
use super::{node_err, node_label, Const, Lowering, Value};
use crate::error::ZkError;
use crate::model::graph::{Activation, AffineRow, Op, Term};

/// Positions along `axis` of a tensor of `shape`: one group per position of the other axes.
struct Groups {
    n: usize,
    inner: usize,
    count: usize,
}

impl Groups {
    fn new(shape: &[usize], axis: usize) -> Groups {
        let outer: usize = shape[..axis].iter().product();
        let inner: usize = shape[axis + 1..].iter().product();
        Groups { n: shape[axis], inner, count: outer * inner }
    }

    /// The flat indices of group `g`.
    fn members(&self, g: usize) -> Vec<u32> {
        let (o, i) = (g / self.inner, g % self.inner);
        (0..self.n).map(|k| ((o * self.n + k) * self.inner + i) as u32).collect()
    }

    /// The group of flat index `idx`.
    fn of(&self, idx: usize) -> u32 {
        ((idx / (self.n * self.inner)) * self.inner + idx % self.inner) as u32
    }
}

impl Lowering {
    /// Softmax and LogSoftmax: `(x - m) - ln(sum)`, the logarithm of a sum that is at least 1.
    pub(super) fn lower_softmax(&mut self, node: &pb::NodeProto) -> Result<(), ZkError> {
        let log = node.op_type == "LogSoftmax";
        let value = self.value(node, 0)?;
        let shape = self.shape_of(&value);
        let rank = shape.len() as i64;
        // Before opset 13 the input is read as 2-D, [axes before `axis`, axes from it on] (axis
        // 1 by default), and each row is normalised: one group spans every axis from `axis` on.
        let legacy = self.opset < 13;
        let axis = attr_int(node, "axis").unwrap_or(if legacy { 1 } else { -1 });
        let axis = if axis < 0 { axis + rank } else { axis };
        if !(0..rank).contains(&axis) {
            return Err(node_err(node, format!("axis {axis} is outside a rank-{rank} input")));
        }
        let axis = axis as usize;
        let len: usize = shape.iter().product();
        let (groups, group_shape) = if legacy {
            let outer: usize = shape[..axis].iter().product();
            (Groups::new(&[outer, len / outer.max(1)], 1), vec![outer, 1])
        } else {
            let mut group_shape = shape.clone();
            group_shape[axis] = 1;
            (Groups::new(&shape, axis), group_shape)
        };
        let x = match value {
            Value::Const(c) => {
                let mut data = vec![0.0; len];
                for g in 0..groups.count {
                    let members = groups.members(g);
                    let m = members.iter().map(|&i| c.data[i as usize]).fold(f64::NEG_INFINITY, f64::max);
                    let sum: f64 = members.iter().map(|&i| (c.data[i as usize] - m).exp()).sum();
                    for &i in &members {
                        let shifted = c.data[i as usize] - m;
                        data[i as usize] = if log { shifted - sum.ln() } else { shifted.exp() / sum };
                    }
                }
                return self.emit_const(node, Const { shape, data });
            }
            Value::Node(id) => id,
        };
        let op = self.softmax_op(&node_label(node), &node.op_type, x, &shape, &groups, group_shape, log);
        self.emit(node, op, shape)
    }

    /// Softmax over the last axis of computed tensor `x`, as a new node (for ai.onnx.ml
    /// classifiers' SOFTMAX post-transform).
    pub(super) fn push_softmax(&mut self, label: &str, op_type: &str, x: usize) -> usize {
        let shape = self.graph.nodes[x].shape.clone();
        let axis = shape.len().saturating_sub(1);
        let groups = Groups::new(&shape, axis);
        let mut group_shape = shape.clone();
        group_shape[axis] = 1;
        let op = self.softmax_op(label, op_type, x, &shape, &groups, group_shape, false);
        self.push(label.to_string(), op_type, op, shape)
    }

    /// Pushes the max, shift, exponential and sum of a softmax over `groups` and returns the op
    /// that finishes it: the division (Softmax) or `shift - ln(sum)` (LogSoftmax).
    #[allow(clippy::too_many_arguments)]
    fn softmax_op(
        &mut self,
        label: &str,
        op: &str,
        x: usize,
        shape: &[usize],
        groups: &Groups,
        group_shape: Vec<usize>,
        log: bool,
    ) -> Op {
        let len: usize = shape.iter().product();
        let shape = shape.to_vec();
        let windows = (0..groups.count).map(|g| groups.members(g)).collect();
        let max = self.push(format!("{label}/max"), op, Op::Max { input: x, windows }, group_shape.clone());
        let rows = (0..len)
            .map(|i| AffineRow {
                terms: vec![
                    Term { input: 0, index: i as u32, weight: 1.0 },
                    Term { input: 1, index: groups.of(i), weight: -1.0 },
                ],
                bias: 0.0,
            })
            .collect();
        let shifted = self.push(format!("{label}/shift"), op, Op::Affine { inputs: vec![x, max], rows }, shape.clone());
        let exp = Op::Activation { input: shifted, function: Activation::ExpShifted };
        let exp = self.push(format!("{label}/exp"), op, exp, shape.clone());
        let rows = (0..groups.count)
            .map(|g| AffineRow {
                terms: groups.members(g).into_iter().map(|index| Term { input: 0, index, weight: 1.0 }).collect(),
                bias: 0.0,
            })
            .collect();
        let sum = self.push(format!("{label}/sum"), op, Op::Affine { inputs: vec![exp], rows }, group_shape.clone());
        if log {
            let ln = Op::Activation { input: sum, function: Activation::LnAtLeastOne };
            let ln = self.push(format!("{label}/log"), op, ln, group_shape);
            return log_softmax_rows(shifted, ln, len, |i| groups.of(i));
        }
        let b_index = (0..len).map(|i| groups.of(i)).collect();
        let a_index = (0..len as u32).collect();
        Op::Divide { a: exp, b: sum, a_index, b_index }
    }

    /// Log. Of a Softmax (what older exporters write for LogSoftmax) it is rebuilt from the
    /// softmax's own shift and sum as `(x - m) - ln(sum)`: a probability rounded to the grid has
    /// lost the digits its logarithm needs. Of anything else, the general logarithm.
    pub(super) fn lower_log(&mut self, node: &pb::NodeProto) -> Result<(), ZkError> {
        let id = match self.value(node, 0)? {
            Value::Const(c) => {
                if c.data.iter().any(|&x| x <= 0.0) {
                    return Err(node_err(node, "the logarithm of a non-positive constant".into()));
                }
                let data = c.data.iter().map(|x| x.ln()).collect();
                return self.emit_const(node, Const { shape: c.shape, data });
            }
            Value::Node(id) => id,
        };
        let nodes = &self.graph.nodes;
        let parts = match &nodes[id].op {
            Op::Divide { a: exp, b: sum, b_index, .. } if nodes[id].op_type == "Softmax" => match &nodes[*exp].op {
                Op::Activation { input: shifted, function: Activation::ExpShifted } => {
                    Some((*shifted, *sum, b_index.clone()))
                }
                _ => None,
            },
            _ => None,
        };
        let Some((shifted, sum, b_index)) = parts else {
            let shape = nodes[id].shape.clone();
            return self.emit(node, Op::Activation { input: id, function: Activation::Log }, shape);
        };
        let shape = nodes[id].shape.clone();
        let group_shape = nodes[sum].shape.clone();
        let label = node_label(node);
        let ln = Op::Activation { input: sum, function: Activation::LnAtLeastOne };
        let ln = self.push(format!("{label}/log"), &node.op_type, ln, group_shape);
        self.emit(node, log_softmax_rows(shifted, ln, b_index.len(), |i| b_index[i]), shape)
    }
}

/// `shifted[i] - ln[group(i)]`.
fn log_softmax_rows(shifted: usize, ln: usize, len: usize, group: impl Fn(usize) -> u32) -> Op {
    let rows = (0..len)
        .map(|i| AffineRow {
            terms: vec![
                Term { input: 0, index: i as u32, weight: 1.0 },
                Term { input: 1, index: group(i), weight: -1.0 },
            ],
            bias: 0.0,
        })
        .collect();
    Op::Affine { inputs: vec![shifted, ln], rows }
}
