//! Operators that only move values: Transpose, Slice, Concat, Split, Gather (constant indices),
//! Expand, Tile, and Squeeze/Unsqueeze of runtime tensors. Each becomes a map from output
//! positions to input positions ([`Op::Gather`]), which the circuit follows with no rows; on
//! constants the same map folds them.

use tract_onnx::pb;

use super::elementwise::{broadcast_index, broadcast_shape};
use super::proto::{attr_int, attr_ints};
use super::{node_err, node_label, Const, Lowering, Value};
use crate::error::ZkError;
use crate::model::graph::{AffineRow, Node, Op};

fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * shape[i + 1];
    }
    s
}

pub(super) fn unravel(mut flat: usize, shape: &[usize]) -> Vec<usize> {
    let mut c = vec![0; shape.len()];
    for i in (0..shape.len()).rev() {
        c[i] = flat % shape[i].max(1);
        flat /= shape[i].max(1);
    }
    c
}

pub(super) fn ravel(coords: &[usize], shape: &[usize]) -> u32 {
    coords.iter().zip(strides(shape)).map(|(c, s)| c * s).sum::<usize>() as u32
}

pub(super) fn axis_of(node: &pb::NodeProto, axis: i64, rank: usize) -> Result<usize, ZkError> {
    let a = if axis < 0 { axis + rank as i64 } else { axis };
    if (0..rank as i64).contains(&a) {
        Ok(a as usize)
    } else {
        Err(node_err(node, format!("axis {axis} is outside a rank-{rank} input")))
    }
}

impl Lowering {
    /// A constant operand as a node (an affine map with biases only), so it can be gathered with
    /// runtime values.
    pub(super) fn const_node(&mut self, node: &pb::NodeProto, c: &Const, i: usize) -> usize {
        let rows = c.data.iter().map(|&b| AffineRow { terms: vec![], bias: b }).collect();
        let name = format!("{}/const{i}", node_label(node));
        self.graph.nodes.push(Node {
            name,
            op_type: node.op_type.clone(),
            op: Op::Affine { inputs: vec![], rows },
            shape: c.shape.clone(),
        });
        self.graph.nodes.len() - 1
    }

    /// Emits output `out` of `node` as `picks` over `inputs` (folded when every input is constant).
    pub(super) fn emit_gather(
        &mut self,
        node: &pb::NodeProto,
        out: usize,
        inputs: &[Value],
        picks: Vec<(u32, u32)>,
        shape: Vec<usize>,
    ) -> Result<(), ZkError> {
        let name = node.output.get(out).ok_or_else(|| node_err(node, format!("has no output #{out}")))?.clone();
        if inputs.iter().all(|v| matches!(v, Value::Const(_))) {
            let data = picks
                .iter()
                .map(|&(t, i)| match &inputs[t as usize] {
                    Value::Const(c) => c.data[i as usize],
                    Value::Node(_) => unreachable!(),
                })
                .collect();
            self.values.insert(name, Value::Const(Const { shape, data }));
            return Ok(());
        }
        let ids: Vec<usize> = inputs
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::Node(id) => *id,
                Value::Const(c) => self.const_node(node, c, i),
            })
            .collect();
        let label = if out == 0 { node_label(node) } else { format!("{}/{name}", node_label(node)) };
        self.graph.nodes.push(Node {
            name: label,
            op_type: node.op_type.clone(),
            op: Op::Gather { inputs: ids, picks },
            shape,
        });
        self.values.insert(name, Value::Node(self.graph.nodes.len() - 1));
        Ok(())
    }

    /// Picks of a one-input map: output coordinate -> input coordinate.
    pub(super) fn gather_one(
        &mut self,
        node: &pb::NodeProto,
        v: Value,
        out_shape: Vec<usize>,
        map: impl Fn(&[usize]) -> Vec<usize>,
    ) -> Result<(), ZkError> {
        let in_shape = self.shape_of(&v);
        let total: usize = out_shape.iter().product();
        let picks = (0..total).map(|j| (0, ravel(&map(&unravel(j, &out_shape)), &in_shape))).collect();
        self.emit_gather(node, 0, &[v], picks, out_shape)
    }

    /// A constant integer list: input `i` if present, else attribute `attr`.
    pub(super) fn int_list(&self, node: &pb::NodeProto, i: usize, attr: &str) -> Result<Option<Vec<i64>>, ZkError> {
        if self.optional_value(node, i)?.is_some() {
            return Ok(Some(self.constant(node, i, attr)?.data.iter().map(|&x| x as i64).collect()));
        }
        Ok(attr_ints(node, attr))
    }

    pub(super) fn lower_wiring(&mut self, node: &pb::NodeProto) -> Result<(), ZkError> {
        let v = self.value(node, 0)?;
        let shape = self.shape_of(&v);
        let rank = shape.len();
        match node.op_type.as_str() {
            "Transpose" => {
                let perm: Vec<usize> = match attr_ints(node, "perm") {
                    Some(p) => p.iter().map(|&a| axis_of(node, a, rank)).collect::<Result<_, _>>()?,
                    None => (0..rank).rev().collect(),
                };
                let mut sorted = perm.clone();
                sorted.sort();
                if sorted != (0..rank).collect::<Vec<_>>() {
                    return Err(node_err(node, format!("perm {perm:?} is not a permutation of {rank} axes")));
                }
                let out: Vec<usize> = perm.iter().map(|&p| shape[p]).collect();
                self.gather_one(node, v, out, |c| {
                    let mut d = vec![0; rank];
                    for (i, &p) in perm.iter().enumerate() {
                        d[p] = c[i];
                    }
                    d
                })
            }
            "Slice" => {
                let starts = self.int_list(node, 1, "starts")?.ok_or_else(|| node_err(node, "needs starts".into()))?;
                let ends = self.int_list(node, 2, "ends")?.ok_or_else(|| node_err(node, "needs ends".into()))?;
                let axes = self.int_list(node, 3, "axes")?.unwrap_or_else(|| (0..starts.len() as i64).collect());
                let steps = self.int_list(node, 4, "steps")?.unwrap_or_else(|| vec![1; starts.len()]);
                let (mut begin, mut step, mut out) = (vec![0i64; rank], vec![1i64; rank], shape.clone());
                for (k, &a) in axes.iter().enumerate() {
                    let a = axis_of(node, a, rank)?;
                    let (dim, st) = (shape[a] as i64, steps[k]);
                    if st == 0 {
                        return Err(node_err(node, "a step of 0".into()));
                    }
                    let norm = |x: i64| if x < 0 { x + dim } else { x };
                    let (lo, hi) = if st > 0 { (0, dim) } else { (-1, dim - 1) };
                    let s = norm(starts[k]).clamp(lo, hi);
                    let e = norm(ends[k].clamp(-i64::MAX, i64::MAX)).clamp(lo, hi);
                    let n = if st > 0 { (e - s + st - 1) / st } else { (s - e - st - 1) / -st };
                    (begin[a], step[a], out[a]) = (s, st, n.max(0) as usize);
                }
                self.gather_one(node, v, out, |c| {
                    c.iter().enumerate().map(|(a, &x)| (begin[a] + x as i64 * step[a]) as usize).collect()
                })
            }
            "Expand" => {
                let target: Vec<usize> = self.constant(node, 1, "shape")?.data.iter().map(|&x| x as usize).collect();
                let out = broadcast_shape(&shape, &target).map_err(|e| node_err(node, e))?;
                let picks = broadcast_index(&shape, &out).into_iter().map(|i| (0, i)).collect();
                self.emit_gather(node, 0, &[v], picks, out)
            }
            "Tile" => {
                let reps: Vec<usize> = self.constant(node, 1, "repeats")?.data.iter().map(|&x| x as usize).collect();
                if reps.len() != rank {
                    return Err(node_err(node, format!("{} repeats for a rank-{rank} input", reps.len())));
                }
                let out: Vec<usize> = shape.iter().zip(&reps).map(|(d, r)| d * r).collect();
                self.gather_one(node, v, out, |c| c.iter().zip(&shape).map(|(x, d)| x % d).collect())
            }
            "Gather" => {
                let idx = self.constant(node, 1, "indices")?;
                let axis = axis_of(node, attr_int(node, "axis").unwrap_or(0), rank)?;
                let dim = shape[axis] as i64;
                let indices = idx
                    .data
                    .iter()
                    .map(|&i| {
                        let i = i as i64;
                        let j = if i < 0 { i + dim } else { i };
                        (0..dim)
                            .contains(&j)
                            .then_some(j as usize)
                            .ok_or_else(|| node_err(node, format!("index {i} out of range")))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let mut out = shape[..axis].to_vec();
                out.extend(&idx.shape);
                out.extend(&shape[axis + 1..]);
                let q = idx.shape.len();
                let idx_shape = idx.shape.clone();
                self.gather_one(node, v, out, |c| {
                    let mut d = c[..axis].to_vec();
                    d.push(indices[ravel(&c[axis..axis + q], &idx_shape) as usize]);
                    d.extend(&c[axis + q..]);
                    d
                })
            }
            "Concat" => {
                let axis =
                    axis_of(node, attr_int(node, "axis").ok_or_else(|| node_err(node, "needs axis".into()))?, rank)?;
                let inputs: Vec<Value> =
                    (0..node.input.len()).map(|i| self.value(node, i)).collect::<Result<_, _>>()?;
                let shapes: Vec<Vec<usize>> = inputs.iter().map(|v| self.shape_of(v)).collect();
                for s in &shapes {
                    if s.len() != rank || (0..rank).any(|a| a != axis && s[a] != shape[a]) {
                        return Err(node_err(
                            node,
                            format!("inputs of shapes {shapes:?} do not concatenate on axis {axis}"),
                        ));
                    }
                }
                let mut out = shape.clone();
                out[axis] = shapes.iter().map(|s| s[axis]).sum();
                let total: usize = out.iter().product();
                let picks = (0..total)
                    .map(|j| {
                        let mut c = unravel(j, &out);
                        let mut t = 0;
                        while c[axis] >= shapes[t][axis] {
                            c[axis] -= shapes[t][axis];
                            t += 1;
                        }
                        (t as u32, ravel(&c, &shapes[t]))
                    })
                    .collect();
                self.emit_gather(node, 0, &inputs, picks, out)
            }
            "Split" => {
                let axis = axis_of(node, attr_int(node, "axis").unwrap_or(0), rank)?;
                let n = node.output.len();
                let sizes: Vec<usize> = match self.int_list(node, 1, "split")? {
                    Some(s) => s.iter().map(|&x| x as usize).collect(),
                    None => {
                        let each = shape[axis].div_ceil(n);
                        (0..n).map(|k| each.min(shape[axis].saturating_sub(k * each))).collect()
                    }
                };
                if sizes.len() != n || sizes.iter().sum::<usize>() != shape[axis] {
                    return Err(node_err(node, format!("split {sizes:?} does not cover axis {axis} of {shape:?}")));
                }
                let mut offset = 0;
                for (k, &size) in sizes.iter().enumerate() {
                    let mut out = shape.clone();
                    out[axis] = size;
                    let total: usize = out.iter().product();
                    let picks = (0..total)
                        .map(|j| {
                            let mut c = unravel(j, &out);
                            c[axis] += offset;
                            (0, ravel(&c, &shape))
                        })
                        .collect();
                    self.emit_gather(node, k, std::slice::from_ref(&v), picks, out)?;
                    offset += size;
                }
                Ok(())
            }
            "Squeeze" | "Unsqueeze" => {
                let axes = self.int_list(node, 1, "axes")?;
                let out = if node.op_type == "Squeeze" {
                    match axes {
                        None => shape.iter().copied().filter(|&d| d != 1).collect(),
                        Some(axes) => {
                            let axes: Vec<usize> =
                                axes.iter().map(|&a| axis_of(node, a, rank)).collect::<Result<_, _>>()?;
                            if axes.iter().any(|&a| shape[a] != 1) {
                                return Err(node_err(node, format!("cannot squeeze axes {axes:?} of {shape:?}")));
                            }
                            shape.iter().enumerate().filter(|(i, _)| !axes.contains(i)).map(|(_, &d)| d).collect()
                        }
                    }
                } else {
                    let axes = axes.ok_or_else(|| node_err(node, "needs axes".into()))?;
                    let new_rank = rank + axes.len();
                    let mut axes: Vec<usize> =
                        axes.iter().map(|&a| axis_of(node, a, new_rank)).collect::<Result<_, _>>()?;
                    axes.sort();
                    let mut out = shape.clone();
                    for a in axes {
                        out.insert(a.min(out.len()), 1);
                    }
                    out
                };
                let total: usize = out.iter().product();
                self.emit_gather(node, 0, &[v], (0..total as u32).map(|i| (0, i)).collect(), out)
            }
            other => Err(node_err(node, format!("{other} is not a wiring operator"))),
        }
    }
}
