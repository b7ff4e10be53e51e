//! Operators of the `ai.onnx.ml` domain that scikit-learn converters write: Scaler,
//! LinearRegressor and LinearClassifier are affine maps (the classifier's label an ArgMax of its
//! scores, its probabilities a sigmoid or softmax), Normalizer divides each row by its norm, and
//! ArrayFeatureExtractor maps a predicted class index to its label: an affine map when the labels
//! are evenly spaced (0, 1, 2, ... in practice), a free rearrangement when the indices are constant.
//! ZipMap (a dictionary per sample) has no tensor meaning: converting with `zipmap=False` drops it.

use tract_onnx::pb;

use super::proto::{attr, attr_floats, attr_ints, attr_string};
use super::{node_err, node_label, Const, Lowering, Value};
use crate::error::ZkError;
use crate::model::graph::{Activation, AffineRow, Op, Term};

/// Rows and features of the `[N, F]` (or `[F]`) input of a per-row ai.onnx.ml op.
fn rows_of(shape: &[usize]) -> (usize, usize) {
    match shape {
        [f] => (1, *f),
        [n, f] => (*n, *f),
        _ => (shape[..shape.len() - 1].iter().product(), *shape.last().unwrap_or(&1)),
    }
}

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

    pub(super) fn computed_input(&self, node: &pb::NodeProto) -> Result<(usize, usize, usize), ZkError> {
        match self.value(node, 0)? {
            Value::Node(id) => {
                let (n, f) = rows_of(&self.graph.nodes[id].shape);
                Ok((id, n, f))
            }
            Value::Const(_) => Err(node_err(node, "input must be a runtime tensor".into())),
        }
    }

    /// `y = (x - offset) * scale` per feature (one value applies to every feature).
    pub(super) fn lower_scaler(&mut self, node: &pb::NodeProto) -> Result<(), ZkError> {
        let (x, n, f) = self.computed_input(node)?;
        let per_feature = |name: &str, default: f64| -> Result<Vec<f64>, ZkError> {
            match attr_floats(node, name) {
                None => Ok(vec![default; f]),
                Some(v) if v.len() == 1 => Ok(vec![v[0]; f]),
                Some(v) if v.len() == f => Ok(v),
                Some(v) => Err(node_err(node, format!("{name} has {} values for {f} features", v.len()))),
            }
        };
        let (offset, scale) = (per_feature("offset", 0.0)?, per_feature("scale", 1.0)?);
        let rows = (0..n * f)
            .map(|i| {
                let j = i % f;
                AffineRow {
                    terms: vec![Term { input: 0, index: i as u32, weight: scale[j] }],
                    bias: -offset[j] * scale[j],
                }
            })
            .collect();
        let shape = self.graph.nodes[x].shape.clone();
        self.emit(node, Op::Affine { inputs: vec![x], rows }, shape)
    }

    /// Scores `x W^T + b` for `classes` rows of coefficients, `[n, classes]`.
    fn linear_scores(&self, node: &pb::NodeProto, x: usize, n: usize, f: usize, outputs: usize) -> Result<Op, ZkError> {
        let coef = attr_floats(node, "coefficients").ok_or_else(|| node_err(node, "has no coefficients".into()))?;
        if coef.len() != outputs * f {
            return Err(node_err(node, format!("{} coefficients for {outputs} outputs of {f} features", coef.len())));
        }
        let intercepts = attr_floats(node, "intercepts").unwrap_or_default();
        if !intercepts.is_empty() && intercepts.len() != outputs {
            return Err(node_err(node, format!("{} intercepts for {outputs} outputs", intercepts.len())));
        }
        let rows = (0..n)
            .flat_map(|r| (0..outputs).map(move |c| (r, c)))
            .map(|(r, c)| AffineRow {
                terms: (0..f).map(|j| Term { input: 0, index: (r * f + j) as u32, weight: coef[c * f + j] }).collect(),
                bias: intercepts.get(c).copied().unwrap_or(0.0),
            })
            .collect();
        Ok(Op::Affine { inputs: vec![x], rows })
    }

    pub(super) fn post_transform(node: &pb::NodeProto) -> String {
        attr_string(node, "post_transform").unwrap_or_else(|| "NONE".into())
    }

    pub(super) fn lower_linear_regressor(&mut self, node: &pb::NodeProto) -> Result<(), ZkError> {
        let (x, n, f) = self.computed_input(node)?;
        let targets = attr(node, "targets").map_or(1, |a| a.i.max(1) as usize);
        match Self::post_transform(node).as_str() {
            "NONE" => {}
            other => return Err(node_err(node, format!("post_transform {other} is not supported (NONE only)"))),
        }
        let op = self.linear_scores(node, x, n, f, targets)?;
        self.emit(node, op, vec![n, targets])
    }

    /// Outputs: the label (ArgMax of the scores, mapped to `classlabels_ints`) and the scores after
    /// `post_transform` (NONE, LOGISTIC or SOFTMAX).
    pub(super) fn lower_linear_classifier(&mut self, node: &pb::NodeProto) -> Result<(), ZkError> {
        let (x, n, f) = self.computed_input(node)?;
        if attr(node, "classlabels_strings").is_some_and(|a| !a.strings.is_empty()) {
            return Err(node_err(node, "string class labels have no numeric value; train with integer labels".into()));
        }
        let labels: Vec<f64> =
            attr_ints(node, "classlabels_ints").unwrap_or_default().iter().map(|&v| v as f64).collect();
        let coef = attr_floats(node, "coefficients").unwrap_or_default();
        let classes = coef.len() / f.max(1);
        if classes != labels.len() {
            return Err(node_err(
                node,
                format!(
                    "{classes} rows of coefficients for {} class labels (a binary classifier's single row is not \
                     supported yet)",
                    labels.len()
                ),
            ));
        }
        let label = node_label(node);
        let op_type = node.op_type.clone();
        let scores = self.linear_scores(node, x, n, f, classes)?;
        let raw = self.push(format!("{label}/scores"), &op_type, scores, vec![n, classes]);
        // The label: the first highest score, whatever the (monotone) post-transform.
        let label_id = self.push_class_label(node, raw, n, classes, &labels)?;
        let scores = self.push_class_scores(node, raw)?;
        self.bind_outputs(node, &[label_id, scores]);
        Ok(())
    }

    /// The class label of each of `n` rows of `[n, width]` scores: the position of the row's first
    /// highest score, mapped to `labels` (which must be evenly spaced, 0..n in practice).
    pub(super) fn push_class_label(
        &mut self,
        node: &pb::NodeProto,
        scores: usize,
        n: usize,
        width: usize,
        labels: &[f64],
    ) -> Result<usize, ZkError> {
        let first = labels.first().copied().unwrap_or(0.0);
        let step = if labels.len() > 1 { labels[1] - labels[0] } else { 0.0 };
        if labels.iter().enumerate().any(|(i, &v)| v != first + i as f64 * step) {
            return Err(node_err(
                node,
                format!("class labels {labels:?} are not evenly spaced (relabel the classes 0..n)"),
            ));
        }
        let label = node_label(node);
        let windows = (0..n).map(|r| (0..width).map(|c| (r * width + c) as u32).collect()).collect();
        let index = self.push(format!("{label}/argmax"), &node.op_type, Op::ArgMax { input: scores, windows }, vec![n]);
        let rows = (0..n as u32)
            .map(|index| AffineRow { terms: vec![Term { input: 0, index, weight: step }], bias: first })
            .collect();
        Ok(self.push(format!("{label}/label"), &node.op_type, Op::Affine { inputs: vec![index], rows }, vec![n]))
    }

    /// A classifier's `[n, classes]` scores after its `post_transform`: NONE, LOGISTIC (per class)
    /// or SOFTMAX.
    pub(super) fn push_class_scores(&mut self, node: &pb::NodeProto, raw: usize) -> Result<usize, ZkError> {
        let label = node_label(node);
        let shape = self.graph.nodes[raw].shape.clone();
        Ok(match Self::post_transform(node).as_str() {
            "NONE" => raw,
            "LOGISTIC" => {
                let sig = Op::Activation { input: raw, function: Activation::Sigmoid };
                self.push(format!("{label}/logistic"), &node.op_type, sig, shape)
            }
            "SOFTMAX" => self.push_softmax(&format!("{label}/softmax"), &node.op_type, raw),
            other => {
                return Err(node_err(
                    node,
                    format!("post_transform {other} is not supported (NONE, LOGISTIC, SOFTMAX)"),
                ))
            }
        })
    }

    /// Binds the node's outputs, in order, to `ids` (an output left unnamed is skipped).
    pub(super) fn bind_outputs(&mut self, node: &pb::NodeProto, ids: &[usize]) {
        for (i, &id) in ids.iter().enumerate() {
            if let Some(name) = node.output.get(i).filter(|o| !o.is_empty()) {
                self.values.insert(name.clone(), Value::Node(id));
            }
        }
    }

    /// Each row divided by its norm: MAX (its largest value), L1 (sum of magnitudes) or L2.
    pub(super) fn lower_normalizer(&mut self, node: &pb::NodeProto) -> Result<(), ZkError> {
        let (x, n, f) = self.computed_input(node)?;
        let norm = attr_string(node, "norm").unwrap_or_else(|| "MAX".into());
        let label = node_label(node);
        let op_type = node.op_type.clone();
        let sum_rows = |input: u32| -> Vec<AffineRow> {
            (0..n)
                .map(|r| AffineRow {
                    terms: (0..f).map(|j| Term { input, index: (r * f + j) as u32, weight: 1.0 }).collect(),
                    bias: 0.0,
                })
                .collect()
        };
        let denominator = match norm.as_str() {
            "MAX" => {
                let windows = (0..n).map(|r| (0..f).map(|j| (r * f + j) as u32).collect()).collect();
                self.push(format!("{label}/max"), &op_type, Op::Max { input: x, windows }, vec![n])
            }
            "L1" => {
                let abs = Op::Activation { input: x, function: Activation::Abs };
                let abs = self.push(format!("{label}/abs"), &op_type, abs, vec![n, f]);
                self.push(format!("{label}/l1"), &op_type, Op::Affine { inputs: vec![abs], rows: sum_rows(0) }, vec![n])
            }
            "L2" => {
                let pairs =
                    (0..n).map(|r| (0..f).map(|j| ((r * f + j) as u32, (r * f + j) as u32)).collect()).collect();
                let squares =
                    self.push(format!("{label}/squares"), &op_type, Op::Contract { a: x, b: x, pairs }, vec![n]);
                let root = Op::Activation { input: squares, function: Activation::Sqrt };
                self.push(format!("{label}/l2"), &op_type, root, vec![n])
            }
            other => return Err(node_err(node, format!("norm '{other}' is not one of MAX, L1, L2"))),
        };
        let a_index = (0..(n * f) as u32).collect();
        let b_index = (0..n * f).map(|i| (i / f) as u32).collect();
        let shape = self.graph.nodes[x].shape.clone();
        self.emit(node, Op::Divide { a: x, b: denominator, a_index, b_index }, shape)
    }
}
