//! Reductions over axes: ReduceSum and ReduceMean are affine maps, ReduceMax and GlobalMaxPool a
//! windowed max (the same chip as MaxPool).

use tract_onnx::pb;

use super::proto::{attr_int, attr_ints};
use super::{node_err, Const, Lowering, Value};
use crate::error::ZkError;
use crate::model::graph::{AffineRow, Op, Term};

impl Lowering {
    pub(super) fn lower_reduce(&mut self, node: &pb::NodeProto) -> Result<(), ZkError> {
        let v = self.value(node, 0)?;
        let shape = self.shape_of(&v);
        let rank = shape.len();
        let op = node.op_type.as_str();
        let axes: Vec<i64> = if op == "GlobalMaxPool" {
            (2..rank as i64).collect()
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
        let is_max = matches!(op, "ReduceMax" | "GlobalMaxPool");
        let scale = if op == "ReduceMean" { 1.0 / (total / groups.max(1)) as f64 } else { 1.0 };
        match v {
            Value::Const(c) => {
                let data = members
                    .iter()
                    .map(|m| {
                        let xs = m.iter().map(|&i| c.data[i as usize]);
                        if is_max {
                            xs.fold(f64::NEG_INFINITY, f64::max)
                        } else {
                            xs.sum::<f64>() * scale
                        }
                    })
                    .collect();
                self.emit_const(node, Const { shape: out_shape, data })
            }
            Value::Node(id) if is_max => self.emit(node, Op::Max { input: id, windows: members }, out_shape),
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
}
