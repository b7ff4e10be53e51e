//! Comparisons and selection: Less/Greater/LessOrEqual/GreaterOrEqual/Equal (booleans 0/1 from
//! the comparison chip), Not/And/Or on them, Where, and element-wise Max/Min of activations (the
//! max chip over the operands side by side).

use tract_onnx::pb;

use super::elementwise::{broadcast_index, broadcast_shape};
use super::{node_err, node_label, Const, Lowering, Value};
use crate::error::ZkError;
use crate::model::graph::{AffineRow, Comparison, Op, Term};

impl Lowering {
    pub(super) fn lower_compare(&mut self, node: &pb::NodeProto) -> Result<(), ZkError> {
        let (a, b) = (self.value(node, 0)?, self.value(node, 1)?);
        let (kind, swap) = match node.op_type.as_str() {
            "Greater" => (Comparison::Greater, false),
            "Less" => (Comparison::Greater, true),
            "GreaterOrEqual" => (Comparison::GreaterOrEqual, false),
            "LessOrEqual" => (Comparison::GreaterOrEqual, true),
            _ => (Comparison::Equal, false),
        };
        let (a, b) = if swap { (b, a) } else { (a, b) };
        let (sa, sb) = (self.shape_of(&a), self.shape_of(&b));
        let out = broadcast_shape(&sa, &sb).map_err(|e| node_err(node, e))?;
        let (ia, ib) = (broadcast_index(&sa, &out), broadcast_index(&sb, &out));
        if let (Value::Const(ca), Value::Const(cb)) = (&a, &b) {
            let data = ia
                .iter()
                .zip(&ib)
                .map(|(&i, &j)| f64::from(u8::from(kind.holds(ca.data[i as usize], cb.data[j as usize]))))
                .collect();
            return self.emit_const(node, Const { shape: out, data });
        }
        let a = self.as_node(node, &a, 0);
        let b = self.as_node(node, &b, 1);
        self.emit(node, Op::Compare { a, b, a_index: ia, b_index: ib, kind }, out)
    }

    /// Not, And, Or of booleans: `1 - x`, `x * y`, `x + y - x * y`.
    pub(super) fn lower_logic(&mut self, node: &pb::NodeProto) -> Result<(), ZkError> {
        let a = self.boolean(node, 0)?;
        let shape = self.graph.nodes[a].shape.clone();
        if node.op_type == "Not" {
            let rows = (0..shape.iter().product::<usize>() as u32)
                .map(|index| AffineRow { terms: vec![Term { input: 0, index, weight: -1.0 }], bias: 1.0 })
                .collect();
            return self.emit(node, Op::Affine { inputs: vec![a], rows }, shape);
        }
        let b = self.boolean(node, 1)?;
        let sb = self.graph.nodes[b].shape.clone();
        let out = broadcast_shape(&shape, &sb).map_err(|e| node_err(node, e))?;
        let (ia, ib) = (broadcast_index(&shape, &out), broadcast_index(&sb, &out));
        let product = Op::Product { a, b, a_index: ia.clone(), b_index: ib.clone() };
        if node.op_type == "And" {
            return self.emit(node, product, out);
        }
        let p = self.push(format!("{}/and", node_label(node)), &node.op_type, product, out.clone());
        let rows = (0..ia.len())
            .map(|j| AffineRow {
                terms: vec![
                    Term { input: 0, index: ia[j], weight: 1.0 },
                    Term { input: 1, index: ib[j], weight: 1.0 },
                    Term { input: 2, index: j as u32, weight: -1.0 },
                ],
                bias: 0.0,
            })
            .collect();
        self.emit(node, Op::Affine { inputs: vec![a, b, p], rows }, out)
    }

    /// `cond ? x : y`, broadcast over all three. A constant condition picks; a computed one
    /// (a comparison's boolean) blends `y + cond * (x - y)`, exact since `cond` is 0 or 1.
    pub(super) fn lower_where(&mut self, node: &pb::NodeProto) -> Result<(), ZkError> {
        let cond = self.value(node, 0)?;
        let (x, y) = (self.value(node, 1)?, self.value(node, 2)?);
        let (sc, sx, sy) = (self.shape_of(&cond), self.shape_of(&x), self.shape_of(&y));
        let out = broadcast_shape(&broadcast_shape(&sc, &sx).map_err(|e| node_err(node, e))?, &sy)
            .map_err(|e| node_err(node, e))?;
        let (ic, ix, iy) = (broadcast_index(&sc, &out), broadcast_index(&sx, &out), broadcast_index(&sy, &out));
        if let Value::Const(c) = &cond {
            let picks =
                (0..ic.len()).map(|j| if c.data[ic[j] as usize] != 0.0 { (0, ix[j]) } else { (1, iy[j]) }).collect();
            return self.emit_gather(node, 0, &[x, y], picks, out);
        }
        let c = self.boolean(node, 0)?;
        let label = node_label(node);
        if let (Value::Const(cx), Value::Const(cy)) = (&x, &y) {
            let rows = (0..ic.len())
                .map(|j| {
                    let (vx, vy) = (cx.data[ix[j] as usize], cy.data[iy[j] as usize]);
                    AffineRow { terms: vec![Term { input: 0, index: ic[j], weight: vx - vy }], bias: vy }
                })
                .collect();
            return self.emit(node, Op::Affine { inputs: vec![c], rows }, out);
        }
        // d = x - y at the output shape (either side may be constant), then y + cond * d.
        let (xn, yn) = (self.as_node(node, &x, 1), self.as_node(node, &y, 2));
        let rows = (0..ic.len())
            .map(|j| AffineRow {
                terms: vec![
                    Term { input: 0, index: ix[j], weight: 1.0 },
                    Term { input: 1, index: iy[j], weight: -1.0 },
                ],
                bias: 0.0,
            })
            .collect();
        let d = self.push(
            format!("{label}/difference"),
            &node.op_type,
            Op::Affine { inputs: vec![xn, yn], rows },
            out.clone(),
        );
        let all: Vec<u32> = (0..ic.len() as u32).collect();
        let blend = Op::Product { a: c, b: d, a_index: ic, b_index: all.clone() };
        let p = self.push(format!("{label}/blend"), &node.op_type, blend, out.clone());
        let rows = (0..all.len())
            .map(|j| AffineRow {
                terms: vec![
                    Term { input: 0, index: iy[j], weight: 1.0 },
                    Term { input: 1, index: j as u32, weight: 1.0 },
                ],
                bias: 0.0,
            })
            .collect();
        self.emit(node, Op::Affine { inputs: vec![yn, p], rows }, out)
    }

    /// Element-wise Max/Min of any number of broadcast operands: pairwise, each pair laid side by
    /// side for the max chip; `min(a, b) = a + b - max(a, b)`.
    pub(super) fn lower_extremum(&mut self, node: &pb::NodeProto) -> Result<(), ZkError> {
        let values: Vec<Value> = (0..node.input.len()).map(|i| self.value(node, i)).collect::<Result<_, _>>()?;
        let is_max = node.op_type == "Max";
        if values.iter().all(|v| matches!(v, Value::Const(_))) {
            let mut acc = match &values[0] {
                Value::Const(c) => c.clone(),
                Value::Node(_) => unreachable!(),
            };
            for v in &values[1..] {
                let Value::Const(c) = v else { unreachable!() };
                let out = broadcast_shape(&acc.shape, &c.shape).map_err(|e| node_err(node, e))?;
                let (ia, ib) = (broadcast_index(&acc.shape, &out), broadcast_index(&c.shape, &out));
                let data = ia
                    .iter()
                    .zip(&ib)
                    .map(|(&i, &j)| {
                        let (p, q) = (acc.data[i as usize], c.data[j as usize]);
                        if is_max {
                            p.max(q)
                        } else {
                            p.min(q)
                        }
                    })
                    .collect();
                acc = Const { shape: out, data };
            }
            return self.emit_const(node, acc);
        }
        let label = node_label(node);
        let mut acc = self.as_node(node, &values[0], 0);
        for (k, v) in values.iter().enumerate().skip(1) {
            let b = self.as_node(node, v, k);
            let (sa, sb) = (self.graph.nodes[acc].shape.clone(), self.graph.nodes[b].shape.clone());
            let out = broadcast_shape(&sa, &sb).map_err(|e| node_err(node, e))?;
            let (ia, ib) = (broadcast_index(&sa, &out), broadcast_index(&sb, &out));
            let n = ia.len();
            let picks = ia.iter().map(|&i| (0, i)).chain(ib.iter().map(|&j| (1, j))).collect();
            let pair = self.push(
                format!("{label}/pair{k}"),
                &node.op_type,
                Op::Gather { inputs: vec![acc, b], picks },
                vec![2 * n],
            );
            let windows = (0..n as u32).map(|j| vec![j, n as u32 + j]).collect();
            let last = k + 1 == values.len();
            let max = Op::Max { input: pair, windows };
            acc = if is_max {
                if last {
                    return self.emit(node, max, out);
                }
                self.push(format!("{label}/max{k}"), &node.op_type, max, out)
            } else {
                let m = self.push(format!("{label}/max{k}"), &node.op_type, max, out.clone());
                let rows = (0..n as u32)
                    .map(|j| AffineRow {
                        terms: vec![
                            Term { input: 0, index: j, weight: 1.0 },
                            Term { input: 0, index: n as u32 + j, weight: 1.0 },
                            Term { input: 1, index: j, weight: -1.0 },
                        ],
                        bias: 0.0,
                    })
                    .collect();
                let min = Op::Affine { inputs: vec![pair, m], rows };
                if last {
                    return self.emit(node, min, out);
                }
                self.push(format!("{label}/min{k}"), &node.op_type, min, out)
            };
        }
        // A single operand: the identity.
        let shape = self.graph.nodes[acc].shape.clone();
        self.emit(node, Op::Alias { input: acc }, shape)
    }

    /// A value as a node; a constant becomes a bias-only affine node.
    fn as_node(&mut self, node: &pb::NodeProto, v: &Value, i: usize) -> usize {
        match v {
            Value::Node(id) => *id,
            Value::Const(c) => self.const_node(node, c, i),
        }
    }

    /// Input `i` as a computed boolean: a comparison, or Not/And/Or of comparisons.
    fn boolean(&mut self, node: &pb::NodeProto, i: usize) -> Result<usize, ZkError> {
        let v = self.value(node, i)?;
        match v {
            Value::Node(id) if self.is_boolean(id) => Ok(id),
            Value::Node(id) => Err(node_err(
                node,
                format!(
                    "input #{i} comes from '{}' ({}); a computed condition must be a comparison \
                     (Less, Greater, Equal, ...) or Not/And/Or of comparisons",
                    self.graph.nodes[id].name, self.graph.nodes[id].op_type
                ),
            )),
            Value::Const(c) => Ok(self.const_node(node, &c, i)),
        }
    }

    pub(super) fn is_boolean(&self, id: usize) -> bool {
        let n = &self.graph.nodes[id];
        match &n.op {
            Op::Compare { .. } => true,
            Op::Alias { input } => self.is_boolean(*input),
            Op::Gather { inputs, .. } => inputs.iter().all(|&i| self.is_boolean(i)),
            Op::Affine { .. } | Op::Product { .. } => matches!(n.op_type.as_str(), "Not" | "And" | "Or"),
            _ => false,
        }
    }
}
