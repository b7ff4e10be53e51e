//! Lowering of operators that only relabel data: Constant, Identity/Dropout, Flatten and Reshape,
//! plus Shape and Cast, which exporters emit around them (Shape must fold to a constant). (The
//! helpers that move values, Unsqueeze, Gather, Concat, ..., are [`super::wiring`]'s, on shape
//! vectors and runtime tensors alike.)

use tract_onnx::pb;

use super::proto::{attr_int, constant_attr};
use super::{node_err, Const, Lowering, Value};
use crate::error::ZkError;
use crate::model::graph::Op;

impl Lowering {
    pub(super) fn lower_constant(&mut self, node: &pb::NodeProto) -> Result<(), ZkError> {
        let c = constant_attr(node)?;
        self.emit_const(node, c)
    }

    pub(super) fn lower_identity(&mut self, node: &pb::NodeProto) -> Result<(), ZkError> {
        match self.value(node, 0)? {
            Value::Const(c) => self.emit_const(node, c),
            Value::Node(id) => {
                let shape = self.graph.nodes[id].shape.clone();
                self.emit(node, Op::Alias { input: id }, shape)
            }
        }
    }

    pub(super) fn lower_flatten(&mut self, node: &pb::NodeProto) -> Result<(), ZkError> {
        let v = self.value(node, 0)?;
        let shape = self.shape_of(&v);
        let rank = shape.len() as i64;
        let mut axis = attr_int(node, "axis").unwrap_or(1);
        if axis < 0 {
            axis += rank;
        }
        if axis < 0 || axis > rank {
            return Err(node_err(node, format!("axis {axis} out of range for rank {rank}")));
        }
        let a: usize = shape[..axis as usize].iter().product();
        let b: usize = shape[axis as usize..].iter().product();
        self.reshape_to(node, v, vec![a, b])
    }

    pub(super) fn lower_reshape(&mut self, node: &pb::NodeProto) -> Result<(), ZkError> {
        let v = self.value(node, 0)?;
        let target = self.constant(node, 1, "the target shape")?;
        let shape = self.shape_of(&v);
        let new_shape = resolve_reshape(&shape, &target.data, attr_int(node, "allowzero") == Some(1))
            .map_err(|e| node_err(node, e))?;
        self.reshape_to(node, v, new_shape)
    }

    /// The input's shape is known at import time, so `Shape` always folds to a constant.
    pub(super) fn lower_shape(&mut self, node: &pb::NodeProto) -> Result<(), ZkError> {
        let v = self.value(node, 0)?;
        let shape = self.shape_of(&v);
        let data = shape.iter().map(|&d| d as f64).collect();
        self.emit_const(node, Const { shape: vec![shape.len()], data })
    }

    /// Like the other shape helpers, accepted only when it folds to a constant.
    /// Cast to a float type relabels; to an integer type it truncates a constant, and passes a
    /// computed tensor through only when its values are integers already (a predicted label):
    /// truncating an arbitrary activation is a rounding op the circuit does not prove.
    pub(super) fn lower_cast(&mut self, node: &pb::NodeProto) -> Result<(), ZkError> {
        let to = attr_int(node, "to").ok_or_else(|| node_err(node, "has no 'to' attribute".into()))?;
        let kind = match to {
            1 | 10 | 11 | 16 => CastKind::Float,
            2..=7 | 12 | 13 => CastKind::Int,
            9 => CastKind::Bool,
            _ => {
                return Err(node_err(node, format!("casts to ONNX data type {to}, which has no numeric meaning here")))
            }
        };
        match self.value(node, 0)? {
            Value::Const(mut c) => {
                for x in &mut c.data {
                    *x = match kind {
                        CastKind::Float => *x,
                        CastKind::Int => x.trunc(),
                        CastKind::Bool => (*x != 0.0) as u8 as f64,
                    };
                }
                self.emit_const(node, c)
            }
            Value::Node(id)
                if kind == CastKind::Float
                    || (kind == CastKind::Int && self.integral(id))
                    || (kind == CastKind::Bool && self.is_boolean(id)) =>
            {
                let shape = self.graph.nodes[id].shape.clone();
                self.emit(node, Op::Alias { input: id }, shape)
            }
            Value::Node(id) => Err(node_err(
                node,
                format!(
                    "casts the computed tensor from '{}' ({}) to an integer or boolean type; only tensors \
                     that are integers already (ArgMax/ArgMin outputs and integer sums of them) or \
                     booleans (comparisons) can be cast",
                    self.graph.nodes[id].name, self.graph.nodes[id].op_type
                ),
            )),
        }
    }

    /// True when every value of node `id` is an integer whatever the input.
    pub(super) fn integral(&self, id: usize) -> bool {
        match &self.graph.nodes[id].op {
            Op::ArgMax { .. } | Op::Compare { .. } | Op::TreeLeaves { .. } => true,
            Op::Alias { input } => self.integral(*input),
            Op::Gather { inputs, .. } => inputs.iter().all(|&i| self.integral(i)),
            Op::Affine { inputs, rows } => {
                inputs.iter().all(|&i| self.integral(i))
                    && rows.iter().all(|r| r.bias.fract() == 0.0 && r.terms.iter().all(|t| t.weight.fract() == 0.0))
            }
            _ => false,
        }
    }

    fn reshape_to(&mut self, node: &pb::NodeProto, v: Value, shape: Vec<usize>) -> Result<(), ZkError> {
        match v {
            Value::Const(c) => self.emit_const(node, Const { shape, data: c.data }),
            Value::Node(id) => {
                let before: usize = self.graph.nodes[id].shape.iter().product();
                let after: usize = shape.iter().product();
                if before != after {
                    return Err(node_err(node, format!("cannot reshape {before} elements into {shape:?}")));
                }
                self.emit(node, Op::Alias { input: id }, shape)
            }
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum CastKind {
    Float,
    Int,
    Bool,
}

fn resolve_reshape(input: &[usize], target: &[f64], allow_zero: bool) -> Result<Vec<usize>, String> {
    let total: usize = input.iter().product();
    let mut out = Vec::with_capacity(target.len());
    let mut infer = None;
    for (i, &d) in target.iter().enumerate() {
        let d = d as i64;
        match d {
            -1 => {
                if infer.is_some() {
                    return Err("more than one -1 in the target shape".into());
                }
                infer = Some(i);
                out.push(1);
            }
            0 if !allow_zero => out.push(*input.get(i).ok_or("0 in target shape past the input rank")?),
            d if d >= 0 => out.push(d as usize),
            d => return Err(format!("invalid dimension {d} in the target shape")),
        }
    }
    if let Some(i) = infer {
        let known: usize = out.iter().product();
        if known == 0 || !total.is_multiple_of(known) {
            return Err(format!("cannot infer -1 reshaping {input:?} to {target:?}"));
        }
        out[i] = total / known;
    }
    if out.iter().product::<usize>() != total {
        return Err(format!("cannot reshape {input:?} into {out:?}"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reshape_rules() {
        assert_eq!(resolve_reshape(&[1, 2, 3], &[1.0, -1.0], false).unwrap(), vec![1, 6]);
        assert_eq!(resolve_reshape(&[1, 2, 3], &[0.0, 6.0], false).unwrap(), vec![1, 6]);
        assert!(resolve_reshape(&[1, 2, 3], &[-1.0, -1.0], false).is_err());
        assert!(resolve_reshape(&[1, 2, 3], &[4.0], false).is_err());
    }
}
