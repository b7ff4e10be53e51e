//! tract loads and type-checks the ONNX file and runs it in f32: the independent reference that our
//! own lowering (and through it the quantised circuit) is compared against. Models with
//! `ai.onnx.ml` operators tract does not translate (Scaler, LinearRegressor, ...) fall back to our
//! own float evaluation of the lowered graph; those lowerings are checked against onnxruntime's
//! outputs in the committed fixtures (`tests/exported_models.rs`) instead. So do recurrent layers
//! with attributes tract 0.23 reads past without applying them (`direction = reverse`,
//! `activations`, `clip`, `input_forget`): tract would run a different layer than the file
//! describes. Recurrent graphs tract cannot load (bidirectional layers) or run (a GRU behind a
//! Transpose, as PyTorch exports batch-first GRUs) use our lowering too. Our lowering of all of
//! these is checked against onnxruntime's outputs in the committed fixtures
//! (`tests/recurrent_layers.rs`).

use std::path::Path;

use tract_onnx::prelude::*;

use crate::error::ZkError;

/// A model loaded by tract (or, for ai.onnx.ml models tract cannot translate, our own lowered
/// graph), ready to run.
pub struct ReferenceModel {
    engine: Engine,
    input_shapes: Vec<Vec<usize>>,
}

enum Engine {
    Tract(std::sync::Arc<TypedSimplePlan>),
    Lowered(crate::model::graph::Graph),
}

impl ReferenceModel {
    /// Loads `path` with the given concrete input shapes (one per model input).
    pub fn load(path: &Path, input_shapes: &[Vec<usize>]) -> Result<Self, ZkError> {
        let tract_err =
            |e: TractError| ZkError::input(format!("{}: tract could not load the model: {e:#}", path.display()));
        let load = || -> Result<std::sync::Arc<TypedSimplePlan>, ZkError> {
            let mut model = tract_onnx::onnx().model_for_path(path).map_err(tract_err)?;
            for (i, shape) in input_shapes.iter().enumerate() {
                model = model.with_input_fact(i, f32::fact(shape).into()).map_err(tract_err)?;
            }
            model.into_typed().and_then(|m| m.into_decluttered()).and_then(|m| m.into_runnable()).map_err(tract_err)
        };
        if tract_misreads(path) {
            let graph = crate::model::onnx_import::import_onnx(path, Some(input_shapes))?;
            return Ok(ReferenceModel { engine: Engine::Lowered(graph), input_shapes: input_shapes.to_vec() });
        }
        let recurrent = has_recurrent(path);
        let lowered = || crate::model::onnx_import::import_onnx(path, Some(input_shapes)).map(Engine::Lowered);
        let engine = match load() {
            Ok(plan) => Engine::Tract(plan),
            Err(e) if uses_onnx_ml(path) || recurrent => lowered().map_err(|_| e)?,
            Err(e) => return Err(e),
        };
        let model = ReferenceModel { engine, input_shapes: input_shapes.to_vec() };
        if recurrent && model.is_tract() {
            // tract 0.23 loads some recurrent graphs it then fails to run (a GRU fed by a
            // Transpose: "GruSeq: xw not contiguous"); find out now rather than at the first sample.
            let zeros: Vec<Vec<f64>> = input_shapes.iter().map(|s| vec![0.0; s.iter().product()]).collect();
            if model.run(&zeros).is_err() {
                return Ok(ReferenceModel { engine: lowered()?, input_shapes: input_shapes.to_vec() });
            }
        }
        Ok(model)
    }

    /// Whether tract runs the model (rather than our own float evaluation of its lowering).
    pub fn is_tract(&self) -> bool {
        matches!(self.engine, Engine::Tract(_))
    }

    /// Runs the model in f32 and returns each output flattened.
    pub fn run(&self, inputs: &[Vec<f64>]) -> Result<Vec<Vec<f64>>, ZkError> {
        let plan = match &self.engine {
            Engine::Tract(plan) => plan,
            Engine::Lowered(graph) => {
                // f32 inputs, as tract and onnxruntime see them.
                let inputs: Vec<Vec<f64>> =
                    inputs.iter().map(|v| v.iter().map(|&x| f64::from(x as f32)).collect()).collect();
                let values = graph.eval_f64(&inputs);
                return Ok(graph.outputs.iter().map(|&o| values[o].clone()).collect());
            }
        };
        let mut tensors = TVec::new();
        for (values, shape) in inputs.iter().zip(&self.input_shapes) {
            let data: Vec<f32> = values.iter().map(|&x| x as f32).collect();
            let t = tract_ndarray::ArrayD::from_shape_vec(shape.as_slice(), data)
                .map_err(|e| ZkError::input(format!("input of shape {shape:?}: {e}")))?;
            tensors.push(Tensor::from(t).into_tvalue());
        }
        let outputs = plan.run(tensors).map_err(|e| ZkError::input(format!("tract failed to run the model: {e:#}")))?;
        outputs
            .iter()
            .map(|t| {
                let t = t.cast_to::<f32>().map_err(|e| ZkError::internal(format!("{e:#}")))?;
                let view = t.into_owned().into_plain_array::<f32>().map_err(|e| ZkError::internal(format!("{e:#}")))?;
                Ok(view.iter().map(|&x| x as f64).collect())
            })
            .collect()
    }
}

fn onnx_graph(path: &Path) -> Option<tract_onnx::pb::GraphProto> {
    use prost::Message;
    std::fs::read(path).ok().and_then(|bytes| tract_onnx::pb::ModelProto::decode(bytes.as_slice()).ok())?.graph
}

/// Whether the file has nodes of the `ai.onnx.ml` domain (read without tract).
fn uses_onnx_ml(path: &Path) -> bool {
    onnx_graph(path).is_some_and(|g| g.node.iter().any(|n| n.domain == "ai.onnx.ml"))
}

fn has_recurrent(path: &Path) -> bool {
    onnx_graph(path).is_some_and(|g| g.node.iter().any(|n| matches!(n.op_type.as_str(), "LSTM" | "GRU" | "RNN")))
}

/// Whether a recurrent node sets an attribute tract loads but does not apply.
fn tract_misreads(path: &Path) -> bool {
    let misread = |n: &tract_onnx::pb::NodeProto| {
        matches!(n.op_type.as_str(), "LSTM" | "GRU" | "RNN")
            && n.attribute.iter().any(|a| match a.name.as_str() {
                "direction" => a.s != b"forward" && a.s != b"bidirectional",
                "activations" | "activation_alpha" | "activation_beta" | "clip" => true,
                "input_forget" => a.i != 0,
                _ => false,
            })
    };
    onnx_graph(path).is_some_and(|g| g.node.iter().any(misread))
}
