//! Lowers an ONNX model into zkinfer's [`Graph`].
//!
//! We walk the ONNX protobuf ourselves rather than tract's optimised graph so that every error can
//! name the ONNX node and operator the user wrote, and so each operator's semantics are spelled out
//! in this module, one file per operator family. tract still loads and type-checks the same file (see [`super::reference`]) and
//! is the float reference the lowering is checked against during calibration.

mod conv_transpose;
mod einsum;
mod elementwise;
mod linear;
mod ml;
mod norm;
mod pooling;
mod proto;
mod rearrange;
mod recurrent;
mod reduce;
mod select;
mod shape;
mod softmax;
mod supported;
mod trees;
mod window;
mod wiring;

use std::collections::HashMap;
use std::path::Path;

use prost::Message;
use tract_onnx::pb;

use super::graph::{self, Graph, Node, Op};
use crate::error::ZkError;
use proto::{tensor_to_const, value_info_shape};
pub use supported::{markdown_table, supported_ops, OpFamily, OPERATORS};

/// A constant tensor (initializer, `Constant` node or folded shape arithmetic).
#[derive(Clone, Debug)]
struct Const {
    shape: Vec<usize>,
    data: Vec<f64>,
}

#[derive(Clone, Debug)]
enum Value {
    Const(Const),
    Node(usize),
}

/// Reads and lowers an ONNX file. `input_shapes` overrides the shapes declared in the model (EZKL's
/// input.json may carry them); symbolic dimensions otherwise default to 1 (batch size one).
pub fn import_onnx(path: &Path, input_shapes: Option<&[Vec<usize>]>) -> Result<Graph, ZkError> {
    let bytes = std::fs::read(path).map_err(|e| ZkError::io(path, e))?;
    let model = pb::ModelProto::decode(bytes.as_slice())
        .map_err(|e| ZkError::input(format!("{} is not a valid ONNX model: {e}", path.display())))?;
    let graph = model.graph.as_ref().ok_or_else(|| ZkError::input(format!("{} has no graph", path.display())))?;
    // The default domain's opset: operators changed meaning across versions (Softmax's axis).
    let opset = model
        .opset_import
        .iter()
        .find(|o| o.domain.is_empty() || o.domain == "ai.onnx")
        .map_or(DEFAULT_OPSET, |o| o.version);
    Lowering { opset, ..Lowering::default() }.lower(graph, input_shapes, path)
}

/// What a model that names no default-domain opset is read as.
const DEFAULT_OPSET: i64 = 13;

#[derive(Default)]
struct Lowering {
    graph: Graph,
    values: HashMap<String, Value>,
    opset: i64,
}

fn node_label(node: &pb::NodeProto) -> String {
    if !node.name.is_empty() {
        node.name.clone()
    } else {
        node.output.first().cloned().unwrap_or_else(|| node.op_type.clone())
    }
}

impl Lowering {
    fn lower(mut self, g: &pb::GraphProto, input_shapes: Option<&[Vec<usize>]>, path: &Path) -> Result<Graph, ZkError> {
        for init in &g.initializer {
            let c = tensor_to_const(init).map_err(|e| ZkError::input(format!("initializer '{}': {e}", init.name)))?;
            self.values.insert(init.name.clone(), Value::Const(c));
        }
        let mut input_index = 0;
        for input in &g.input {
            if self.values.contains_key(&input.name) {
                continue; // an initializer listed as input (old exporters)
            }
            let declared = value_info_shape(input);
            let shape = match input_shapes.and_then(|s| s.get(input_index)) {
                Some(s) => s.clone(),
                None => declared.ok_or_else(|| {
                    ZkError::input(format!(
                        "model input '{}' has no tensor shape; give input_shapes in the input file",
                        input.name
                    ))
                })?,
            };
            let id = self.push(input.name.clone(), "Input", Op::Input { index: input_index }, shape);
            self.graph.inputs.push(id);
            self.graph.input_names.push(input.name.clone());
            self.values.insert(input.name.clone(), Value::Node(id));
            input_index += 1;
        }
        if self.graph.inputs.is_empty() {
            return Err(ZkError::input(format!("{} has no runtime inputs", path.display())));
        }
        for node in &g.node {
            self.lower_node(node)?;
        }
        for out in &g.output {
            match self.values.get(&out.name) {
                Some(Value::Node(id)) => {
                    self.graph.outputs.push(*id);
                    self.graph.output_names.push(out.name.clone());
                }
                Some(Value::Const(_)) => {
                    return Err(ZkError::input(format!(
                        "model output '{}' is a constant: it does not depend on the input",
                        out.name
                    )))
                }
                None => return Err(ZkError::input(format!("model output '{}' is not produced by any node", out.name))),
            }
        }
        Ok(self.graph)
    }

    fn push(&mut self, name: String, op_type: &str, op: Op, shape: Vec<usize>) -> usize {
        self.graph.nodes.push(Node { name, op_type: op_type.to_string(), op, shape });
        self.graph.nodes.len() - 1
    }

    fn value(&self, node: &pb::NodeProto, i: usize) -> Result<Value, ZkError> {
        let name =
            node.input.get(i).filter(|n| !n.is_empty()).ok_or_else(|| node_err(node, format!("missing input #{i}")))?;
        self.values
            .get(name)
            .cloned()
            .ok_or_else(|| node_err(node, format!("input '{name}' is not defined before use")))
    }

    fn optional_value(&self, node: &pb::NodeProto, i: usize) -> Result<Option<Value>, ZkError> {
        match node.input.get(i) {
            Some(n) if !n.is_empty() => self.value(node, i).map(Some),
            _ => Ok(None),
        }
    }

    fn constant(&self, node: &pb::NodeProto, i: usize, what: &str) -> Result<Const, ZkError> {
        match self.value(node, i)? {
            Value::Const(c) => Ok(c),
            Value::Node(_) => Err(node_err(
                node,
                format!("{what} (input #{i}) must be a constant; runtime values are not supported there"),
            )),
        }
    }

    fn shape_of(&self, v: &Value) -> Vec<usize> {
        match v {
            Value::Const(c) => c.shape.clone(),
            Value::Node(id) => self.graph.nodes[*id].shape.clone(),
        }
    }

    /// Pushes `factor * x + shift`, element by element.
    fn push_scaled(&mut self, name: String, op_type: &str, x: usize, factor: f64, shift: f64) -> usize {
        let shape = self.graph.nodes[x].shape.clone();
        let len: usize = shape.iter().product();
        let rows = (0..len as u32)
            .map(|index| graph::AffineRow { terms: vec![graph::Term { input: 0, index, weight: factor }], bias: shift })
            .collect();
        self.push(name, op_type, Op::Affine { inputs: vec![x], rows }, shape)
    }

    fn emit(&mut self, node: &pb::NodeProto, op: Op, shape: Vec<usize>) -> Result<(), ZkError> {
        let out = node.output.first().ok_or_else(|| node_err(node, "has no output".into()))?;
        let id = self.push(node_label(node), &node.op_type, op, shape);
        self.values.insert(out.clone(), Value::Node(id));
        Ok(())
    }

    fn emit_const(&mut self, node: &pb::NodeProto, c: Const) -> Result<(), ZkError> {
        let out = node.output.first().ok_or_else(|| node_err(node, "has no output".into()))?;
        self.values.insert(out.clone(), Value::Const(c));
        Ok(())
    }

    fn lower_node(&mut self, node: &pb::NodeProto) -> Result<(), ZkError> {
        if node.domain == "ai.onnx.ml" {
            return match node.op_type.as_str() {
                "ArrayFeatureExtractor" => self.lower_array_feature_extractor(node),
                "Scaler" => self.lower_scaler(node),
                "Normalizer" => self.lower_normalizer(node),
                "LinearRegressor" => self.lower_linear_regressor(node),
                "LinearClassifier" => self.lower_linear_classifier(node),
                "TreeEnsembleRegressor" => self.lower_tree_regressor(node),
                "TreeEnsembleClassifier" => self.lower_tree_classifier(node),
                "ZipMap" => Err(node_err(
                    node,
                    "ZipMap turns probabilities into a dictionary per sample, which a circuit cannot output; \
                     convert with skl2onnx's options={id(model): {'zipmap': False}} (or zipmap=False)"
                        .into(),
                )),
                _ => Err(unsupported(node)),
            };
        }
        if !node.domain.is_empty() && node.domain != "ai.onnx" {
            return Err(unsupported(node));
        }
        match node.op_type.as_str() {
            "Constant" => self.lower_constant(node),
            "Identity" | "Dropout" => self.lower_identity(node),
            "Relu" | "Sigmoid" | "Tanh" | "Erf" | "Softplus" | "Gelu" | "HardSwish" | "Abs" | "Sign" | "LeakyRelu"
            | "Elu" | "HardSigmoid" | "Clip" | "Sqrt" | "Reciprocal" | "Exp" => self.lower_activation(node),
            "Log" => self.lower_log(node),
            "Pow" => self.lower_pow(node),
            "LayerNormalization" => self.lower_layer_norm(node),
            "InstanceNormalization" => self.lower_instance_norm(node),
            "Neg" => self.lower_neg(node),
            "Softmax" | "LogSoftmax" => self.lower_softmax(node),
            "ReduceSum" | "ReduceMean" | "ReduceMax" | "ReduceMin" | "GlobalMaxPool" | "ArgMax" | "ArgMin" => {
                self.lower_reduce(node)
            }
            "Add" | "Sub" | "Mul" | "Div" => self.lower_binary(node),
            "Gemm" => self.lower_gemm(node),
            "MatMul" => self.lower_matmul(node),
            "Conv" => self.lower_conv(node),
            "ConvTranspose" => self.lower_conv_transpose(node),
            "Einsum" => self.lower_einsum(node),
            "AveragePool" | "MaxPool" | "GlobalAveragePool" => self.lower_pool(node),
            "BatchNormalization" => self.lower_batchnorm(node),
            "Flatten" => self.lower_flatten(node),
            "Reshape" => self.lower_reshape(node),
            // Shape helpers: accepted only when they fold to constants.
            "Shape" => self.lower_shape(node),
            "Cast" => self.lower_cast(node),
            // On runtime tensors these move values; on constants (shape vectors) the same maps fold.
            "Unsqueeze" | "Squeeze" | "Gather" | "Concat" | "Transpose" | "Slice" | "Split" | "Expand" | "Tile" => {
                self.lower_wiring(node)
            }
            "Less" | "Greater" | "LessOrEqual" | "GreaterOrEqual" | "Equal" => self.lower_compare(node),
            "Not" | "And" | "Or" => self.lower_logic(node),
            "Where" => self.lower_where(node),
            "Max" | "Min" => self.lower_extremum(node),
            "Pad" => self.lower_pad(node),
            "DepthToSpace" | "SpaceToDepth" => self.lower_depth_space(node),
            "GatherElements" => self.lower_gather_elements(node),
            "Resize" | "Upsample" => self.lower_resize(node),
            "LSTM" | "GRU" | "RNN" => self.lower_recurrent(node),
            _ => Err(unsupported(node)),
        }
    }
}

fn unsupported(node: &pb::NodeProto) -> ZkError {
    let domain = if node.domain.is_empty() { String::new() } else { format!(" (domain {})", node.domain) };
    ZkError::input(format!(
        "ONNX node '{}': operator {}{domain} is not supported. Supported operators (`zkinfer ops` lists what each accepts): {}",
        node_label(node),
        node.op_type,
        supported_ops().join(", ")
    ))
}

fn node_err(node: &pb::NodeProto, msg: String) -> ZkError {
    ZkError::input(format!("ONNX node '{}' ({}): {msg}", node_label(node), node.op_type))
}
