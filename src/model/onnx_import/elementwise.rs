//! Lowering of element-wise operators: activations (with their attributes), negation, broadcast
//! arithmetic and inference-time
//! BatchNormalization, folding them when every operand is a constant.

use tract_onnx::pb;

use super::proto::{attr_float, attr_string};
use super::{node_err, node_label, Const, Lowering, Value};
use crate::error::ZkError;
use crate::model::graph::{Activation, AffineRow, Op, Param, Term};

impl Lowering {
    pub(super) fn lower_activation(&mut self, node: &pb::NodeProto) -> Result<(), ZkError> {
        let alpha = |default: f32| Param::new(attr_float(node, "alpha").unwrap_or(default));
        let function = match node.op_type.as_str() {
            "Relu" => Activation::Relu,
            "Sigmoid" => Activation::Sigmoid,
            "Tanh" => Activation::Tanh,
            "Erf" => Activation::Erf,
            "Softplus" => Activation::Softplus,
            "Exp" => Activation::Exp,
            "HardSwish" => Activation::HardSwish,
            "Abs" => Activation::Abs,
            "Sign" => Activation::Sign,
            "Sqrt" => Activation::Sqrt,
            "Reciprocal" => Activation::Reciprocal,
            "LeakyRelu" => Activation::LeakyRelu { alpha: alpha(0.01) },
            "Elu" => Activation::Elu { alpha: alpha(1.0) },
            "HardSigmoid" => {
                Activation::HardSigmoid { alpha: alpha(0.2), beta: Param::new(attr_float(node, "beta").unwrap_or(0.5)) }
            }
            "Gelu" => match attr_string(node, "approximate").as_deref() {
                None | Some("none") => Activation::Gelu,
                Some("tanh") => Activation::GeluTanh,
                Some(other) => return Err(node_err(node, format!("approximate = '{other}' (expected none or tanh)"))),
            },
            "Clip" => match self.clip_bounds(node)? {
                // Clip(0, inf) is ReLU, which needs no table; Clip(-inf, inf) is the identity.
                (min, max) if min == 0.0 && max == f32::INFINITY => Activation::Relu,
                (min, max) if min == f32::NEG_INFINITY && max == f32::INFINITY => return self.lower_identity(node),
                (min, max) => Activation::Clip { min: Param::new(min), max: Param::new(max) },
            },
            other => return Err(node_err(node, format!("{other} is not an activation"))),
        };
        match self.value(node, 0)? {
            Value::Const(c) => {
                let data = c.data.iter().map(|&x| function.apply(x)).collect();
                self.emit_const(node, Const { shape: c.shape, data })
            }
            Value::Node(id) => {
                let shape = self.graph.nodes[id].shape.clone();
                self.emit(node, Op::Activation { input: id, function }, shape)
            }
        }
    }

    /// Clip's bounds: constant inputs 1 and 2 (opset 11 on), else the `min`/`max` attributes of
    /// older opsets; an absent bound is infinite.
    fn clip_bounds(&self, node: &pb::NodeProto) -> Result<(f32, f32), ZkError> {
        let bound = |i: usize, attr: &str, default: f32| -> Result<f32, ZkError> {
            if self.optional_value(node, i)?.is_none() {
                return Ok(attr_float(node, attr).unwrap_or(default));
            }
            let c = self.constant(node, i, attr)?;
            match c.data.as_slice() {
                [v] => Ok(*v as f32),
                _ => Err(node_err(node, format!("{attr} must be a single value, got shape {:?}", c.shape))),
            }
        };
        let (min, max) = (bound(1, "min", f32::NEG_INFINITY)?, bound(2, "max", f32::INFINITY)?);
        if min > max {
            return Err(node_err(node, format!("min {min} exceeds max {max}")));
        }
        Ok((min, max))
    }

    /// `x ^ p` for a constant exponent: products for small integer powers, the exact root and
    /// reciprocal for halves and minus one.
    pub(super) fn lower_pow(&mut self, node: &pb::NodeProto) -> Result<(), ZkError> {
        let base = self.value(node, 0)?;
        let exponent = self.constant(node, 1, "exponent")?;
        let p = match exponent.data.as_slice() {
            [p] => *p,
            _ => return Err(node_err(node, format!("the exponent must be one value, got shape {:?}", exponent.shape))),
        };
        let x = match base {
            Value::Const(c) => {
                let data = c.data.iter().map(|v| v.powf(p)).collect();
                return self.emit_const(node, Const { shape: c.shape, data });
            }
            Value::Node(id) => id,
        };
        let shape = self.graph.nodes[x].shape.clone();
        let all: Vec<u32> = (0..self.graph.nodes[x].len() as u32).collect();
        let label = node_label(node);
        let product = |l: &mut Lowering, a: usize, b: usize, name: String| {
            l.push(name, "Pow", Op::Product { a, b, a_index: all.clone(), b_index: all.clone() }, shape.clone())
        };
        let activation = |l: &mut Lowering, input: usize, function: Activation, name: String| {
            l.push(name, "Pow", Op::Activation { input, function }, shape.clone())
        };
        let out = match p {
            1.0 => return self.emit(node, Op::Alias { input: x }, shape.clone()),
            2.0 => product(self, x, x, label),
            3.0 => {
                let sq = product(self, x, x, format!("{label}/square"));
                product(self, sq, x, label)
            }
            4.0 => {
                let sq = product(self, x, x, format!("{label}/square"));
                product(self, sq, sq, label)
            }
            0.5 => activation(self, x, Activation::Sqrt, label),
            -1.0 => activation(self, x, Activation::Reciprocal, label),
            -0.5 => {
                let root = activation(self, x, Activation::Sqrt, format!("{label}/sqrt"));
                activation(self, root, Activation::Reciprocal, label)
            }
            _ => {
                return Err(node_err(
                    node,
                    format!("exponent {p} is not supported on a runtime tensor (supported: 1, 2, 3, 4, 0.5, -0.5, -1)"),
                ))
            }
        };
        let name = node.output.first().ok_or_else(|| node_err(node, "has no output".into()))?;
        self.values.insert(name.clone(), Value::Node(out));
        Ok(())
    }

    /// `-x`: an affine map with weight -1.
    pub(super) fn lower_neg(&mut self, node: &pb::NodeProto) -> Result<(), ZkError> {
        match self.value(node, 0)? {
            Value::Const(c) => {
                let data = c.data.iter().map(|x| -x).collect();
                self.emit_const(node, Const { shape: c.shape, data })
            }
            Value::Node(id) => {
                let shape = self.graph.nodes[id].shape.clone();
                let rows = (0..self.graph.nodes[id].len() as u32)
                    .map(|i| AffineRow { terms: vec![Term { input: 0, index: i, weight: -1.0 }], bias: 0.0 })
                    .collect();
                self.emit(node, Op::Affine { inputs: vec![id], rows }, shape)
            }
        }
    }

    pub(super) fn lower_binary(&mut self, node: &pb::NodeProto) -> Result<(), ZkError> {
        let a = self.value(node, 0)?;
        let b = self.value(node, 1)?;
        let (sa, sb) = (self.shape_of(&a), self.shape_of(&b));
        let out_shape = broadcast_shape(&sa, &sb).map_err(|e| node_err(node, e))?;
        let ia = broadcast_index(&sa, &out_shape);
        let ib = broadcast_index(&sb, &out_shape);
        let op = node.op_type.as_str();
        match (&a, &b) {
            (Value::Const(ca), Value::Const(cb)) => {
                let data = ia
                    .iter()
                    .zip(&ib)
                    .map(|(&i, &j)| {
                        let (x, y) = (ca.data[i as usize], cb.data[j as usize]);
                        match op {
                            "Add" => x + y,
                            "Sub" => x - y,
                            "Mul" => x * y,
                            _ => x / y,
                        }
                    })
                    .collect();
                self.emit_const(node, Const { shape: out_shape, data })
            }
            (Value::Node(x), Value::Const(c)) | (Value::Const(c), Value::Node(x)) => {
                let node_first = matches!(a, Value::Node(_));
                let (ix, ic) = if node_first { (&ia, &ib) } else { (&ib, &ia) };
                if op == "Div" && !node_first {
                    // c / x = c * (1 / x).
                    let shape = self.graph.nodes[*x].shape.clone();
                    let label = node_label(node);
                    let inv = self.push(
                        format!("{label}/reciprocal"),
                        "Div",
                        Op::Activation { input: *x, function: Activation::Reciprocal },
                        shape,
                    );
                    let rows = ia
                        .iter()
                        .zip(&ib)
                        .map(|(&i, &j)| AffineRow {
                            terms: vec![Term { input: 0, index: j, weight: c.data[i as usize] }],
                            bias: 0.0,
                        })
                        .collect();
                    return self.emit(node, Op::Affine { inputs: vec![inv], rows }, out_shape);
                }
                let rows = ix
                    .iter()
                    .zip(ic)
                    .map(|(&i, &j)| {
                        let k = c.data[j as usize];
                        let (weight, bias) = match (op, node_first) {
                            ("Add", _) => (1.0, k),
                            ("Sub", true) => (1.0, -k),
                            ("Sub", false) => (-1.0, k),
                            ("Mul", _) => (k, 0.0),
                            _ => (1.0 / k, 0.0),
                        };
                        AffineRow { terms: vec![Term { input: 0, index: i, weight }], bias }
                    })
                    .collect();
                if op == "Div" && c.data.contains(&0.0) {
                    return Err(node_err(node, "division by zero constant".into()));
                }
                self.emit(node, Op::Affine { inputs: vec![*x], rows }, out_shape)
            }
            (Value::Node(x), Value::Node(y)) => match op {
                "Add" | "Sub" => {
                    let sign = if op == "Add" { 1.0 } else { -1.0 };
                    let (inputs, second) = if x == y { (vec![*x], 0) } else { (vec![*x, *y], 1) };
                    let rows = ia
                        .iter()
                        .zip(&ib)
                        .map(|(&i, &j)| AffineRow {
                            terms: vec![
                                Term { input: 0, index: i, weight: 1.0 },
                                Term { input: second, index: j, weight: sign },
                            ],
                            bias: 0.0,
                        })
                        .collect();
                    self.emit(node, Op::Affine { inputs, rows }, out_shape)
                }
                "Mul" => self.emit(node, Op::Product { a: *x, b: *y, a_index: ia, b_index: ib }, out_shape),
                // Proved with a remainder; the divisor must be positive (a non-positive one is an
                // error when proving, naming this node).
                _ => self.emit(node, Op::Divide { a: *x, b: *y, a_index: ia, b_index: ib }, out_shape),
            },
        }
    }

    pub(super) fn lower_batchnorm(&mut self, node: &pb::NodeProto) -> Result<(), ZkError> {
        let x = match self.value(node, 0)? {
            Value::Node(id) => id,
            Value::Const(_) => return Err(node_err(node, "input must be a runtime tensor".into())),
        };
        let scale = self.constant(node, 1, "scale")?;
        let bias = self.constant(node, 2, "bias")?;
        let mean = self.constant(node, 3, "mean")?;
        let var = self.constant(node, 4, "var")?;
        let eps = attr_float(node, "epsilon").unwrap_or(1e-5) as f64;
        let shape = self.graph.nodes[x].shape.clone();
        if shape.len() < 2 {
            return Err(node_err(node, format!("expects [N, C, ...] input, got {shape:?}")));
        }
        let c = shape[1];
        for (what, t) in [("scale", &scale), ("bias", &bias), ("mean", &mean), ("var", &var)] {
            if t.data.len() != c {
                return Err(node_err(node, format!("{what} has {} values for {c} channels", t.data.len())));
            }
        }
        let inner: usize = shape[2..].iter().product();
        let total: usize = shape.iter().product();
        let rows = (0..total)
            .map(|i| {
                let ch = (i / inner) % c;
                let a = scale.data[ch] / (var.data[ch] + eps).sqrt();
                AffineRow {
                    terms: vec![Term { input: 0, index: i as u32, weight: a }],
                    bias: bias.data[ch] - a * mean.data[ch],
                }
            })
            .collect();
        self.emit(node, Op::Affine { inputs: vec![x], rows }, shape)
    }
}

pub(super) fn broadcast_shape(a: &[usize], b: &[usize]) -> Result<Vec<usize>, String> {
    let rank = a.len().max(b.len());
    let mut out = vec![0; rank];
    for i in 0..rank {
        let da = if i + a.len() >= rank { a[i + a.len() - rank] } else { 1 };
        let db = if i + b.len() >= rank { b[i + b.len() - rank] } else { 1 };
        out[i] = match (da, db) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => return Err(format!("shapes {a:?} and {b:?} do not broadcast")),
        };
    }
    Ok(out)
}

/// For every element of `out` (row-major), the flat index it reads from a tensor of shape `from`
/// under numpy broadcasting.
pub(super) fn broadcast_index(from: &[usize], out: &[usize]) -> Vec<u32> {
    let rank = out.len();
    let total: usize = out.iter().product();
    let mut strides = vec![0usize; rank];
    let mut s = 1;
    for i in (0..from.len()).rev() {
        let axis = i + rank - from.len();
        strides[axis] = if from[i] == 1 { 0 } else { s };
        s *= from[i];
    }
    let mut result = Vec::with_capacity(total);
    for flat in 0..total {
        let mut rem = flat;
        let mut idx = 0;
        for axis in (0..rank).rev() {
            let coord = rem % out[axis];
            rem /= out[axis];
            idx += coord * strides[axis];
        }
        result.push(idx as u32);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcasting_indices() {
        assert_eq!(broadcast_shape(&[1, 4], &[4]).unwrap(), vec![1, 4]);
        assert_eq!(broadcast_index(&[4], &[2, 4]), vec![0, 1, 2, 3, 0, 1, 2, 3]);
        assert_eq!(broadcast_index(&[2, 1], &[2, 3]), vec![0, 0, 0, 1, 1, 1]);
        assert_eq!(broadcast_index(&[1], &[3]), vec![0, 0, 0]);
        assert!(broadcast_shape(&[2, 3], &[4]).is_err());
    }
}
