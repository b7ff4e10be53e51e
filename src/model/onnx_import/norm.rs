//! LayerNormalization and InstanceNormalization, lowered whole: the normalisation of each group
//! (one exact chip: integer centring, sum of squares, integer root, one division per element),
//! then the scale and bias as an element-wise affine map that folds into the next linear layer.
//! The older form exporters write by hand (ReduceMean, Sub, Pow, Sqrt, Div) lowers op by op
//! through the same root and division chips.

use tract_onnx::pb;

use super::proto::{attr_float, attr_int};
use super::{node_err, node_label, Const, Lowering, Value};
use crate::error::ZkError;
use crate::model::graph::{AffineRow, Op, Term};

impl Lowering {
    /// LayerNormalization (opset 17): normalises over axes `axis..rank`, then `* Scale + B`, both
    /// broadcast over the normalised axes.
    pub(super) fn lower_layer_norm(&mut self, node: &pb::NodeProto) -> Result<(), ZkError> {
        let x = self.runtime_input(node)?;
        let shape = self.graph.nodes[x].shape.clone();
        let rank = shape.len() as i64;
        let axis = attr_int(node, "axis").unwrap_or(-1);
        let axis = if axis < 0 { axis + rank } else { axis };
        if !(0..rank).contains(&axis) {
            return Err(node_err(node, format!("axis {axis} is outside a rank-{rank} input")));
        }
        let inner: usize = shape[axis as usize..].iter().product();
        let scale = self.constant(node, 1, "Scale")?;
        let bias = self.optional_value(node, 2)?.map(|_| self.constant(node, 2, "B")).transpose()?;
        let per_element = |c: &Const, what: &str| -> Result<Vec<f64>, ZkError> {
            let n: usize = c.shape.iter().product();
            match n {
                1 => Ok(vec![c.data[0]; inner]),
                _ if n == inner => Ok(c.data.clone()),
                _ => Err(node_err(
                    node,
                    format!("{what} of shape {:?} does not match the {inner} normalised values", c.shape),
                )),
            }
        };
        let gamma = per_element(&scale, "Scale")?;
        let beta = bias.as_ref().map(|b| per_element(b, "B")).transpose()?.unwrap_or_else(|| vec![0.0; inner]);
        self.normalise(node, x, shape, inner, |i| (gamma[i % inner], beta[i % inner]))
    }

    /// InstanceNormalization: normalises each channel of each sample over its spatial axes, then
    /// `* scale[c] + B[c]`.
    pub(super) fn lower_instance_norm(&mut self, node: &pb::NodeProto) -> Result<(), ZkError> {
        let x = self.runtime_input(node)?;
        let shape = self.graph.nodes[x].shape.clone();
        if shape.len() < 3 {
            return Err(node_err(node, format!("expects [N, C, D1, ...] input, got {shape:?}")));
        }
        let channels = shape[1];
        let inner: usize = shape[2..].iter().product();
        let scale = self.constant(node, 1, "scale")?;
        let bias = self.constant(node, 2, "B")?;
        for (what, t) in [("scale", &scale), ("B", &bias)] {
            if t.data.len() != channels {
                return Err(node_err(node, format!("{what} has {} values for {channels} channels", t.data.len())));
            }
        }
        self.normalise(node, x, shape, inner, |i| {
            let c = (i / inner) % channels;
            (scale.data[c], bias.data[c])
        })
    }

    fn runtime_input(&self, node: &pb::NodeProto) -> Result<usize, ZkError> {
        match self.value(node, 0)? {
            Value::Node(id) => Ok(id),
            Value::Const(_) => Err(node_err(node, "input must be a runtime tensor".into())),
        }
    }

    /// Normalises consecutive groups of `inner` values, then applies `(scale, bias)` of each flat index.
    fn normalise(
        &mut self,
        node: &pb::NodeProto,
        x: usize,
        shape: Vec<usize>,
        inner: usize,
        affine: impl Fn(usize) -> (f64, f64),
    ) -> Result<(), ZkError> {
        let eps = attr_float(node, "epsilon").unwrap_or(1e-5) as f64;
        if eps.is_nan() || eps < 0.0 {
            return Err(node_err(node, format!("epsilon {eps} is negative")));
        }
        let total: usize = shape.iter().product();
        if inner < 2 {
            return Err(node_err(node, format!("normalises groups of {inner} value: the output would be constant")));
        }
        let groups = (0..total / inner).map(|g| ((g * inner) as u32..((g + 1) * inner) as u32).collect()).collect();
        let label = node_label(node);
        let normed = self.push(
            format!("{label}/normalise"),
            &node.op_type,
            Op::Normalize { input: x, groups, eps },
            shape.clone(),
        );
        let rows = (0..total)
            .map(|i| {
                let (weight, bias) = affine(i);
                AffineRow { terms: vec![Term { input: 0, index: i as u32, weight }], bias }
            })
            .collect();
        self.emit(node, Op::Affine { inputs: vec![normed], rows }, shape)
    }
}
