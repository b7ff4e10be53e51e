//! Lowering of the weighted-sum operators Gemm, MatMul and Conv to affine rows over one runtime input.

use tract_onnx::pb;

use super::elementwise::{broadcast_index, broadcast_shape};
use super::proto::{attr_float, attr_int};
use super::window::Window;
use super::{node_err, Const, Lowering, Value};
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

    /// numpy-style MatMul: batch dimensions broadcast, 1-D operands promoted. With one constant
    /// side it is an affine map; with both sides computed, a contraction the circuit proves one
    /// product per row.
    pub(super) fn lower_matmul(&mut self, node: &pb::NodeProto) -> Result<(), ZkError> {
        let (a, b) = (self.value(node, 0)?, self.value(node, 1)?);
        let (shape, pairs) = matmul_pairs(&self.shape_of(&a), &self.shape_of(&b)).map_err(|e| node_err(node, e))?;
        let affine = |weights: &Const, runtime_first: bool| -> Vec<AffineRow> {
            pairs
                .iter()
                .map(|ps| AffineRow {
                    terms: ps
                        .iter()
                        .map(|&(p, q)| {
                            let (x, w) = if runtime_first { (p, q) } else { (q, p) };
                            Term { input: 0, index: x, weight: weights.data[w as usize] }
                        })
                        .collect(),
                    bias: 0.0,
                })
                .collect()
        };
        match (&a, &b) {
            (Value::Node(x), Value::Const(w)) => {
                let rows = affine(w, true);
                self.emit(node, Op::Affine { inputs: vec![*x], rows }, shape)
            }
            (Value::Const(w), Value::Node(x)) => {
                let rows = affine(w, false);
                self.emit(node, Op::Affine { inputs: vec![*x], rows }, shape)
            }
            (Value::Node(x), Value::Node(y)) => self.emit(node, Op::Contract { a: *x, b: *y, pairs }, shape),
            (Value::Const(ca), Value::Const(cb)) => {
                let data = pairs
                    .iter()
                    .map(|ps| ps.iter().map(|&(p, q)| ca.data[p as usize] * cb.data[q as usize]).sum())
                    .collect();
                self.emit_const(node, Const { shape, data })
            }
        }
    }

    /// What Conv and ConvTranspose read alike: the input with its `[C, H, W]` and spatial rank,
    /// the constant weight, the optional constant bias, and a group count dividing `C`.
    pub(super) fn conv_operands(&self, node: &pb::NodeProto) -> Result<ConvOperands, ZkError> {
        let (x, [c, h, w], rank) = self.spatial_input(node)?;
        let wt = self.constant(node, 1, "weight W")?;
        let bias = match self.optional_value(node, 2)? {
            None => None,
            Some(Value::Const(b)) => Some(b),
            Some(Value::Node(_)) => return Err(node_err(node, "bias must be a constant".into())),
        };
        let group = attr_int(node, "group").unwrap_or(1);
        if group < 1 || c % group as usize != 0 {
            return Err(node_err(node, format!("group {group} does not divide {c} input channels")));
        }
        Ok(ConvOperands { x, chw: [c, h, w], rank, wt, bias, group: group as usize })
    }

    /// Conv over an image or a sequence, grouped (`group = C` is depthwise) or not.
    pub(super) fn lower_conv(&mut self, node: &pb::NodeProto) -> Result<(), ZkError> {
        let ConvOperands { x, chw: [c, h, w], rank, wt, bias, group } = self.conv_operands(node)?;
        let per_group = c / group;
        if wt.shape.len() != rank + 2 || wt.shape[1] != per_group || wt.shape[0] % group != 0 {
            return Err(node_err(
                node,
                format!("weight shape {:?} does not fit {c} input channels in {group} group(s)", wt.shape),
            ));
        }
        let m = wt.shape[0];
        let (kh, kw) = if rank == 2 { (wt.shape[2], wt.shape[3]) } else { (1, wt.shape[2]) };
        if let Some(b) = &bias {
            if b.data.len() != m {
                return Err(node_err(node, format!("bias has {} values for {m} output channels", b.data.len())));
            }
        }
        let geo = Window::from_attrs(node, [h, w], [kh, kw], rank)?;
        let (oh, ow) = (geo.out[0], geo.out[1]);
        let outputs_per_group = m / group;
        let mut rows = Vec::with_capacity(m * oh * ow);
        for oc in 0..m {
            let first = (oc / outputs_per_group) * per_group;
            for oy in 0..oh {
                for ox in 0..ow {
                    let mut terms = Vec::with_capacity(per_group * kh * kw);
                    for j in 0..per_group {
                        let ic = first + j;
                        for ky in 0..kh {
                            for kx in 0..kw {
                                if let Some((iy, ix)) = geo.source(oy, ox, ky, kx) {
                                    let weight = wt.data[((oc * per_group + j) * kh + ky) * kw + kx];
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
        let shape = if rank == 1 { vec![1, m, ow] } else { vec![1, m, oh, ow] };
        self.emit(node, Op::Affine { inputs: vec![x], rows }, shape)
    }
}

pub(super) struct ConvOperands {
    pub(super) x: usize,
    pub(super) chw: [usize; 3],
    pub(super) rank: usize,
    pub(super) wt: Const,
    pub(super) bias: Option<Const>,
    pub(super) group: usize,
}

/// The `(a index, b index)` products one output element sums.
type Pairs = Vec<(u32, u32)>;

/// The output shape of `a @ b` and, for each output element, the `(a index, b index)` pairs it sums.
fn matmul_pairs(sa: &[usize], sb: &[usize]) -> Result<(Vec<usize>, Vec<Pairs>), String> {
    if sa.is_empty() || sb.is_empty() {
        return Err(format!("MatMul needs operands of rank 1 or more, got {sa:?} and {sb:?}"));
    }
    // A 1-D left side is a row vector, a 1-D right side a column; the added axis is dropped after.
    let a = if sa.len() == 1 { vec![1, sa[0]] } else { sa.to_vec() };
    let b = if sb.len() == 1 { vec![sb[0], 1] } else { sb.to_vec() };
    let (m, k) = (a[a.len() - 2], a[a.len() - 1]);
    let (kb, n) = (b[b.len() - 2], b[b.len() - 1]);
    if k != kb {
        return Err(format!("inner dimensions differ: {sa:?} x {sb:?}"));
    }
    let (batch_a, batch_b) = (&a[..a.len() - 2], &b[..b.len() - 2]);
    let batch = broadcast_shape(batch_a, batch_b)?;
    let ia = broadcast_index(batch_a, &batch);
    let ib = broadcast_index(batch_b, &batch);
    let count: usize = batch.iter().product();
    let mut pairs = Vec::with_capacity(count * m * n);
    for t in 0..count {
        let (oa, ob) = (ia[t] as usize * m * k, ib[t] as usize * k * n);
        for i in 0..m {
            for j in 0..n {
                pairs.push((0..k).map(|p| ((oa + i * k + p) as u32, (ob + p * n + j) as u32)).collect());
            }
        }
    }
    let mut shape = batch;
    if sa.len() > 1 {
        shape.push(m);
    }
    if sb.len() > 1 {
        shape.push(n);
    }
    Ok((shape, pairs))
}

#[cfg(test)]
mod tests {
    use super::matmul_pairs;

    #[test]
    fn matmul_broadcasts_batches_and_promotes_vectors() {
        // [2, 1, 3] @ [3, 2]: the right side is shared by both batches.
        let (shape, pairs) = matmul_pairs(&[2, 1, 3], &[3, 2]).unwrap();
        assert_eq!(shape, vec![2, 1, 2]);
        assert_eq!(pairs[3], vec![(3, 1), (4, 3), (5, 5)]);
        // [3] @ [3]: a dot product of shape [].
        let (shape, pairs) = matmul_pairs(&[3], &[3]).unwrap();
        assert!(shape.is_empty());
        assert_eq!(pairs, vec![vec![(0, 0), (1, 1), (2, 2)]]);
        // [1, 2, 2, 3] @ [1, 2, 3, 2]: heads pair up.
        let (shape, pairs) = matmul_pairs(&[1, 2, 2, 3], &[1, 2, 3, 2]).unwrap();
        assert_eq!(shape, vec![1, 2, 2, 2]);
        assert_eq!(pairs[4][0], (6, 6));
        assert!(matmul_pairs(&[2, 3], &[2, 3]).unwrap_err().contains("inner dimensions"));
        assert!(matmul_pairs(&[2, 2, 3], &[3, 3, 2]).is_err());
    }
}
