//! Reductions over axes: ReduceSum and ReduceMean are affine maps, ReduceMax and GlobalMaxPool a
//! windowed max (the same chip as MaxPool), ArgMax the same comparisons carrying the position.
//! ReduceMin and ArgMin are their maximum counterparts on the negated input.

use tract_onnx::pb;

use super::proto::{attr_int, attr_ints};
use super::{node_err, Const, Lowering, Value};
use crate::error::ZkError;
use crate::model::graph::{Activation, AffineRow, Op, Term};

impl Lowering {
    pub(super) fn lower_reduce(&mut self, node: &pb::NodeProto) -> Result<(), ZkError> {
        let v = self.value(node, 0)?;
        let shape = self.shape_of(&v);
        let rank = shape.len();
        let op = node.op_type.as_str();
        let arg = matches!(op, "ArgMax" | "ArgMin");
        if arg && attr_int(node, "select_last_index").unwrap_or(0) != 0 {
            return Err(node_err(
                node,
                "select_last_index = 1 is not supported (the first extreme is returned)".into(),
            ));
        }
        let axes: Vec<i64> = if op == "GlobalMaxPool" {
            (2..rank as i64).collect()
        } else if arg {
            vec![attr_int(node, "axis").unwrap_or(0)]
        } else if self.optional_value(node, 1)?.is_some() {
            self.constant(node, 1, "axes")?.data.iter().map(|&x| x as i64).collect()
        } else {
            attr_ints(node, "axes").unwrap_or_default()
        };
        let mut reduced = vec![axes.is_empty(); rank]; // no axes: every axis
        for &a in &axes {
            let a2 = if a < 0 { a + rank as i64 } else { a };
            if !(0..rank as i64).contains(&a2) {
                return Err(node_err(node, format!("axis {a} is outside a rank-{rank} input")));
            }
            reduced[a2 as usize] = true;
        }
        let keep = op == "GlobalMaxPool" || attr_int(node, "keepdims").unwrap_or(1) != 0;
        let kept: Vec<usize> = shape.iter().zip(&reduced).map(|(&d, &r)| if r { 1 } else { d }).collect();
        let out_shape: Vec<usize> = if keep {
            kept.clone()
        } else {
            shape.iter().zip(&reduced).filter(|(_, &r)| !r).map(|(&d, _)| d).collect()
        };
        let groups: usize = kept.iter().product();
        let mut members: Vec<Vec<u32>> = vec![Vec::new(); groups];
        let total: usize = shape.iter().product();
        for idx in 0..total {
            let (mut rem, mut key, mut stride) = (idx, 0, 1);
            for a in (0..rank).rev() {
                let c = rem % shape[a];
                rem /= shape[a];
                if !reduced[a] {
                    key += c * stride;
                }
                stride *= kept[a];
            }
            members[key].push(idx as u32);
        }
        let extreme = matches!(op, "ReduceMax" | "GlobalMaxPool" | "ReduceMin" | "ArgMax" | "ArgMin");
        let negate = matches!(op, "ReduceMin" | "ArgMin");
        let scale = if op == "ReduceMean" { 1.0 / (total / groups.max(1)) as f64 } else { 1.0 };
        match v {
            Value::Const(c) => {
                let sign = if negate { -1.0 } else { 1.0 };
                let data = members
                    .iter()
                    .map(|m| {
                        let xs = m.iter().map(|&i| sign * c.data[i as usize]);
                        if arg {
                            let xs: Vec<f64> = xs.collect();
                            (0..xs.len()).fold(0, |best, j| if xs[j] > xs[best] { j } else { best }) as f64
                        } else if extreme {
                            sign * xs.fold(f64::NEG_INFINITY, f64::max)
                        } else {
                            xs.sum::<f64>() * scale
                        }
                    })
                    .collect();
                self.emit_const(node, Const { shape: out_shape, data })
            }
            Value::Node(id) if extreme => {
                let label = super::node_label(node);
                let id = if arg { self.logits_of_softmax(id, &members).unwrap_or(id) } else { id };
                let x = if negate { self.push_scaled(format!("{label}/negate"), op, id, -1.0, 0.0) } else { id };
                if arg {
                    return self.emit(node, Op::ArgMax { input: x, windows: members }, out_shape);
                }
                if !negate {
                    return self.emit(node, Op::Max { input: x, windows: members }, out_shape);
                }
                let len = members.len();
                let max =
                    self.push(format!("{label}/max"), op, Op::Max { input: x, windows: members }, out_shape.clone());
                let rows = (0..len as u32)
                    .map(|index| AffineRow { terms: vec![Term { input: 0, index, weight: -1.0 }], bias: 0.0 })
                    .collect();
                self.emit(node, Op::Affine { inputs: vec![max], rows }, out_shape)
            }
            Value::Node(id) => {
                let rows = members
                    .into_iter()
                    .map(|m| AffineRow {
                        terms: m.into_iter().map(|index| Term { input: 0, index, weight: scale }).collect(),
                        bias: 0.0,
                    })
                    .collect();
                self.emit(node, Op::Affine { inputs: vec![id], rows }, out_shape)
            }
        }
    }

    /// When `id` is a softmax over exactly `windows`, its logits: softmax is monotonic within a
    /// group, so the arg-extreme is the same, and the logits carry finer distinctions than
    /// probabilities rounded to the fixed-point grid (two close classes can round to a tie).
    fn logits_of_softmax(&self, id: usize, windows: &[Vec<u32>]) -> Option<usize> {
        let nodes = &self.graph.nodes;
        let Op::Divide { a: exp, .. } = &nodes[id].op else { return None };
        let Op::Activation { input: shifted, function: Activation::ExpShifted } = &nodes[*exp].op else {
            return None;
        };
        let Op::Affine { inputs, .. } = &nodes[*shifted].op else { return None };
        let (&logits, &max) = (inputs.first()?, inputs.get(1)?);
        let Op::Max { windows: groups, .. } = &nodes[max].op else { return None };
        let sorted = |ws: &[Vec<u32>]| {
            let mut ws: Vec<Vec<u32>> = ws.iter().map(|w| w.to_vec()).collect();
            ws.iter_mut().for_each(|w| w.sort_unstable());
            ws.sort_unstable();
            ws
        };
        (nodes[id].op_type == "Softmax" && sorted(groups) == sorted(windows)).then_some(logits)
    }
}
