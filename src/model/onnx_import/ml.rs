//! Operators of the `ai.onnx.ml` domain that scikit-learn converters wrap around a network.
//! ArrayFeatureExtractor maps a predicted class index to its label: an affine map when the labels
//! are evenly spaced (0, 1, 2, ... in practice), a free rearrangement when the indices are constant.

use tract_onnx::pb;

use super::{node_err, Const, Lowering, Value};
use crate::error::ZkError;
use crate::model::graph::{AffineRow, Op, Term};

impl Lowering {
    /// `out[..., j] = x[..., indices[j]]` along the last axis of `x`. A 1-D `x` gives shape
    /// `[1, n_indices]`, as onnxruntime does.
    pub(super) fn lower_array_feature_extractor(&mut self, node: &pb::NodeProto) -> Result<(), ZkError> {
        let x = self.value(node, 0)?;
        let indices = self.value(node, 1)?;
        let x_shape = self.shape_of(&x);
        let last =
            *x_shape.last().ok_or_else(|| node_err(node, "reads a scalar; it needs at least one axis".into()))?;
        let n_idx: usize = self.shape_of(&indices).iter().product();
        let outer: usize = x_shape[..x_shape.len() - 1].iter().product();
        let out_shape = if x_shape.len() == 1 {
            vec![1, n_idx]
        } else {
            let mut s = x_shape[..x_shape.len() - 1].to_vec();
            s.push(n_idx);
            s
        };
        match (x, indices) {
            (x, Value::Const(idx)) => {
                let mut picks = Vec::with_capacity(outer * n_idx);
                for &i in &idx.data {
                    if i < 0.0 || i as usize >= last || i.fract() != 0.0 {
                        return Err(node_err(node, format!("index {i} is outside the last axis (length {last})")));
                    }
                }
                for o in 0..outer {
                    for &i in &idx.data {
                        picks.push(o * last + i as usize);
                    }
                }
                match x {
                    Value::Const(c) => {
                        let data = picks.iter().map(|&p| c.data[p]).collect();
                        self.emit_const(node, Const { shape: out_shape, data })
                    }
                    Value::Node(id) => {
                        let picks = picks.into_iter().map(|p| (0, p as u32)).collect();
                        self.emit(node, Op::Gather { inputs: vec![id], picks }, out_shape)
                    }
                }
            }
            (Value::Const(labels), Value::Node(idx)) => {
                if outer != 1 {
                    return Err(node_err(
                        node,
                        "computed indices into a table of several rows are not supported".into(),
                    ));
                }
                if !self.integral(idx) {
                    return Err(node_err(node, "computed indices must be integers (an ArgMax output)".into()));
                }
                // labels[i] = first + i * step, exactly, for every label.
                let first = labels.data[0];
                let step = if labels.data.len() > 1 { labels.data[1] - labels.data[0] } else { 0.0 };
                let even = labels.data.iter().enumerate().all(|(i, &v)| v == first + i as f64 * step);
                if !even {
                    return Err(node_err(
                        node,
                        format!(
                            "maps computed indices to the labels {:?}, which are not evenly spaced; \
                             only labels first + i * step are supported (relabel the classes 0..n)",
                            labels.data
                        ),
                    ));
                }
                let rows = (0..n_idx as u32)
                    .map(|index| AffineRow { terms: vec![Term { input: 0, index, weight: step }], bias: first })
                    .collect();
                self.emit(node, Op::Affine { inputs: vec![idx], rows }, out_shape)
            }
            (Value::Node(_), Value::Node(_)) => {
                Err(node_err(node, "both the table and the indices are computed; the indices must be constant".into()))
            }
        }
    }
}
