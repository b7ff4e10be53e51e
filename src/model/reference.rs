//! tract loads and type-checks the ONNX file and runs it in f32: the independent reference that our
//! own lowering (and through it the quantised circuit) is compared against.

use std::path::Path;

use tract_onnx::prelude::*;

use crate::error::ZkError;

/// A model loaded by tract, ready to run.
pub struct ReferenceModel {
    plan: std::sync::Arc<TypedSimplePlan>,
    input_shapes: Vec<Vec<usize>>,
}

impl ReferenceModel {
    /// Loads `path` with the given concrete input shapes (one per model input).
    pub fn load(path: &Path, input_shapes: &[Vec<usize>]) -> Result<Self, ZkError> {
        let tract_err =
            |e: TractError| ZkError::input(format!("{}: tract could not load the model: {e:#}", path.display()));
        let mut model = tract_onnx::onnx().model_for_path(path).map_err(tract_err)?;
        for (i, shape) in input_shapes.iter().enumerate() {
            model = model.with_input_fact(i, f32::fact(shape).into()).map_err(tract_err)?;
        }
        let plan =
            model.into_typed().and_then(|m| m.into_decluttered()).and_then(|m| m.into_runnable()).map_err(tract_err)?;
        Ok(ReferenceModel { plan, input_shapes: input_shapes.to_vec() })
    }

    /// Runs the model in f32 and returns each output flattened.
    pub fn run(&self, inputs: &[Vec<f64>]) -> Result<Vec<Vec<f64>>, ZkError> {
        let mut tensors = TVec::new();
        for (values, shape) in inputs.iter().zip(&self.input_shapes) {
            let data: Vec<f32> = values.iter().map(|&x| x as f32).collect();
            let t = tract_ndarray::ArrayD::from_shape_vec(shape.as_slice(), data)
                .map_err(|e| ZkError::input(format!("input of shape {shape:?}: {e}")))?;
            tensors.push(Tensor::from(t).into_tvalue());
        }
        let outputs =
            self.plan.run(tensors).map_err(|e| ZkError::input(format!("tract failed to run the model: {e:#}")))?;
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
