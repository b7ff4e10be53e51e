//! Lowering of the weighted-sum operators Gemm, MatMul and Conv to affine rows over one runtime input.

use tract_onnx::pb;

use super::elementwise::{broadcast_index, broadcast_shape};
use super::proto::{attr_float, attr_int};
use super::window::Window;
use super::{node_err, unsupported, Lowering, Value};
use crate::error::ZkError;
use crate::model::graph::{AffineRow, Op, Term};

impl Lowering {
    pub(super) fn lower_gemm(&mut self, node: &pb::NodeProto) -> Result<(), ZkError> {
        let a = match self.value(node, 0)? {
            Value::Node(id) => id,
            Value::Const(_) => return Err(node_err(node, "input A must be a runtime tensor".into())),
        };
        let b = self.constant(node, 1, "weight B")?;
        let c = self.optional_value(node, 2)?;
        let alpha = attr_float(node, "alpha").unwrap_or(1.0) as f64;
        let beta = attr_float(node, "beta").unwrap_or(1.0) as f64;
        let trans_a = attr_int(node, "transA").unwrap_or(0) == 1;
        let trans_b = attr_int(node, "transB").unwrap_or(0) == 1;
        let sa = self.graph.nodes[a].shape.clone();
        if sa.len() != 2 || b.shape.len() != 2 {
            return Err(node_err(node, format!("expects 2-D operands, got {sa:?} and {:?}", b.shape)));
        }
        let (m, k) = if trans_a { (sa[1], sa[0]) } else { (sa[0], sa[1]) };
        let (kb, n) = if trans_b { (b.shape[1], b.shape[0]) } else { (b.shape[0], b.shape[1]) };
        if k != kb {
            return Err(node_err(node, format!("inner dimensions differ: A is {sa:?}, B is {:?}", b.shape)));
        }
        let bias = match c {
            None => None,
            Some(Value::Const(c)) => Some(c),
            Some(Value::Node(_)) => return Err(node_err(node, "bias C must be a constant".into())),
        };
        if let Some(c) = &bias {
            if broadcast_shape(&c.shape, &[m, n]).ok().as_deref() != Some(&[m, n][..]) {
                return Err(node_err(node, format!("bias C of shape {:?} does not broadcast to [{m}, {n}]", c.shape)));
            }
        }
        let bias_index = bias.as_ref().map(|c| broadcast_index(&c.shape, &[m, n]));
        let mut rows = Vec::with_capacity(m * n);
        for i in 0..m {
            for j in 0..n {
                let terms = (0..k)
                    .map(|p| {
                        let ai = if trans_a { p * m + i } else { i * k + p };
                        let bi = if trans_b { j * k + p } else { p * n + j };
                        Term { input: 0, index: ai as u32, weight: alpha * b.data[bi] }
                    })
                    .collect();
                let bias_v = match (&bias, &bias_index) {
                    (Some(c), Some(idx)) => beta * c.data[idx[i * n + j] as usize],
                    _ => 0.0,
                };
                rows.push(AffineRow { terms, bias: bias_v });
            }
        }
        self.emit(node, Op::Affine { inputs: vec![a], rows }, vec![m, n])
    }

    pub(super) fn lower_matmul(&mut self, node: &pb::NodeProto) -> Result<(), ZkError> {
        let (a, b) = (self.value(node, 0)?, self.value(node, 1)?);
        let (x, w) =
            match (a, b) {
                (Value::Node(x), Value::Const(w)) => (x, w),
                (Value::Const(_), Value::Node(_)) => return Err(node_err(
                    node,
                    "constant-times-tensor MatMul (constant on the left) is not supported; put the weight on the right"
                        .into(),
                )),
                (Value::Node(_), Value::Node(_)) => {
                    return Err(node_err(
                        node,
                        "MatMul of two runtime tensors is not supported (weights must be constants)".into(),
                    ))
                }
                (Value::Const(_), Value::Const(_)) => return Err(unsupported(node)),
            };
        let sx = self.graph.nodes[x].shape.clone();
        if w.shape.len() != 2 || sx.is_empty() {
            return Err(node_err(node, format!("expects a 2-D constant weight, got {:?}", w.shape)));
        }
        let k = *sx.last().unwrap();
        let (kw, n) = (w.shape[0], w.shape[1]);
        if k != kw {
            return Err(node_err(node, format!("inner dimensions differ: {sx:?} x {:?}", w.shape)));
        }
        let m: usize = sx[..sx.len() - 1].iter().product();
        let mut rows = Vec::with_capacity(m * n);
        for i in 0..m {
            for j in 0..n {
                let terms =
                    (0..k).map(|p| Term { input: 0, index: (i * k + p) as u32, weight: w.data[p * n + j] }).collect();
                rows.push(AffineRow { terms, bias: 0.0 });
            }
        }
        let mut shape = sx[..sx.len() - 1].to_vec();
        shape.push(n);
        self.emit(node, Op::Affine { inputs: vec![x], rows }, shape)
    }

    pub(super) fn lower_conv(&mut self, node: &pb::NodeProto) -> Result<(), ZkError> {
        let (x, [c, h, w]) = self.spatial_input(node)?;
        let wt = self.constant(node, 1, "weight W")?;
        let bias = match self.optional_value(node, 2)? {
            None => None,
            Some(Value::Const(b)) => Some(b),
            Some(Value::Node(_)) => return Err(node_err(node, "bias must be a constant".into())),
        };
        if attr_int(node, "group").unwrap_or(1) != 1 {
            return Err(node_err(node, "grouped convolution (group != 1) is not supported".into()));
        }
        if wt.shape.len() != 4 || wt.shape[1] != c {
            return Err(node_err(node, format!("weight shape {:?} does not match {c} input channels", wt.shape)));
        }
        let (m, kh, kw) = (wt.shape[0], wt.shape[2], wt.shape[3]);
        if let Some(b) = &bias {
            if b.data.len() != m {
                return Err(node_err(node, format!("bias has {} values for {m} output channels", b.data.len())));
            }
        }
        let geo = Window::from_attrs(node, [h, w], [kh, kw])?;
        let (oh, ow) = (geo.out[0], geo.out[1]);
        let mut rows = Vec::with_capacity(m * oh * ow);
        for oc in 0..m {
            for oy in 0..oh {
                for ox in 0..ow {
                    let mut terms = Vec::with_capacity(c * kh * kw);
                    for ic in 0..c {
                        for ky in 0..kh {
                            for kx in 0..kw {
                                if let Some((iy, ix)) = geo.source(oy, ox, ky, kx) {
                                    let weight = wt.data[((oc * c + ic) * kh + ky) * kw + kx];
                                    terms.push(Term { input: 0, index: ((ic * h + iy) * w + ix) as u32, weight });
                                }
                            }
                        }
                    }
                    let bias = bias.as_ref().map(|b| b.data[oc]).unwrap_or(0.0);
                    rows.push(AffineRow { terms, bias });
                }
            }
        }
        self.emit(node, Op::Affine { inputs: vec![x], rows }, vec![1, m, oh, ow])
    }
}
