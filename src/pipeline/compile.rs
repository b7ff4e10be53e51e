//! Compile: ONNX and calibration samples to a build directory (`settings.json`, `model.json`).
//!
//! The float lowering is cross-checked against tract before anything is quantised; calibration
//! then picks the scale, range and lanes; the instance layout follows from the visibility options.

use std::path::{Path, PathBuf};

use sha3::{Digest, Keccak256};

use super::calibrate::{calibrate, CalibrationOptions};
use super::eval::{evaluate, CircuitModel};
use crate::artifacts::*;
use crate::encoding::commitment::commit_params;
use crate::encoding::{Side, Tensor};
use crate::error::ZkError;
use crate::model::fold::simplify;
use crate::model::graph::Graph;
use crate::model::input_file::{read_inputs, read_samples, ModelInputs};
use crate::model::onnx_import::import_onnx;
use crate::model::reference::ReferenceModel;

/// Largest tolerated gap between our lowering's float output and tract's, relative to magnitude.
const LOWERING_TOLERANCE: f64 = 1e-3;

pub struct CompileRequest<'a> {
    pub model: &'a Path,
    pub calibration: &'a [PathBuf],
    pub options: CalibrationOptions,
    pub out_dir: &'a Path,
    /// Compile to the same circuit as this build (its scale, lanes, range and limbs), or fail: with hashed
    /// parameters a model of the same architecture then shares its verifier.
    pub like: Option<&'a Build>,
    /// Held-out samples (input.json rows or JSON Lines): the float model against the compiled
    /// circuit on them is stored in settings.json as `holdout` (what `zkinfer eval` reports).
    pub holdout: Option<&'a Path>,
}

/// ONNX + calibration inputs -> build directory with settings.json and model.json.
pub fn compile(req: &CompileRequest) -> Result<Settings, ZkError> {
    let samples: Vec<ModelInputs> = req.calibration.iter().map(|p| read_inputs(p)).collect::<Result<_, _>>()?;
    let shapes = samples.iter().find_map(|s| s.shapes.clone());
    let graph = import_onnx(req.model, shapes.as_deref())?;
    let input_shapes: Vec<Vec<usize>> = graph.inputs.iter().map(|&i| graph.nodes[i].shape.clone()).collect();
    // A calibration file holds one sample, or several as rows (`input_data` rows taken as many
    // at a time as the model has inputs, as `eval` and `--holdout` read them).
    let per_sample = graph.inputs.len().max(1);
    let mut values: Vec<Vec<Vec<f64>>> = Vec::new();
    let mut origin: Vec<usize> = Vec::new();
    for (fi, s) in samples.iter().enumerate() {
        let rows =
            if s.values.len() > per_sample && s.values.len() % per_sample == 0 { per_sample } else { s.values.len() };
        for chunk in s.values.chunks(rows.max(1)) {
            values.push(chunk.to_vec());
            origin.push(fi);
        }
    }
    let tensors: Vec<Tensor> = graph
        .input_names
        .iter()
        .zip(&input_shapes)
        .map(|(n, s)| Tensor { name: n.clone(), shape: s.clone() })
        .collect();
    for (si, sample) in values.iter().enumerate() {
        check_tensors(Side::Input, &tensors, sample).map_err(|e| e.context(req.calibration[origin[si]].display()))?;
    }
    let reference = ReferenceModel::load(req.model, &input_shapes)?;
    check_lowering(&reference, &graph, &values)?;

    let mut options = req.options.clone();
    if let Some(r) = req.like {
        // The reference build's scale, lanes, range and limbs, so a model of the same architecture
        // compiles to the same circuit (and, set up on the same SRS, the same verifying key).
        options.scale = Some(r.scale().bits());
        options.lanes = Some(r.settings.layout.lanes);
        options.range_bits = Some(r.settings.layout.table.range_bits);
        options.limb_bits = Some(r.settings.layout.table.limb_bits);
        options.input_bits = Some(r.settings.layout.input_bits.clone());
    }
    let graph = simplify(graph);
    let calibrated = calibrate(&graph, &values, &options)?;
    let qgraph = calibrated.qgraph;
    if calibrated.rows.instances != calibrated.public.num_instances {
        return Err(ZkError::internal(format!(
            "the layout binds {} instances but the instance layout describes {}",
            calibrated.rows.instances, calibrated.public.num_instances
        )));
    }
    let model_json = serde_json::to_vec(&qgraph).map_err(|e| ZkError::internal(e.to_string()))?;
    let settings = Settings {
        format_version: FORMAT_VERSION,
        zkinfer_version: env!("CARGO_PKG_VERSION").into(),
        source_model: req.model.display().to_string(),
        model_digest: hex0x(&Keccak256::digest(&model_json)),
        k: calibrated.k,
        layout: calibrated.params,
        rows: calibrated.rows,
        input_names: qgraph.input_names.clone(),
        input_shapes: qgraph.input_shapes(),
        output_names: qgraph.output_names.clone(),
        output_shapes: qgraph.output_shapes(),
        calibration: calibrated.report,
        param_commitment: calibrated
            .public
            .visibility
            .hashed_params()
            .then(|| fr_hex(&commit_params(&qgraph.param_values()))),
        public: calibrated.public,
        holdout: None,
    };
    let settings = match req.holdout {
        None => settings,
        Some(path) => {
            let samples = read_samples(path, settings.input_names.len())?;
            let circuit = CircuitModel { qgraph: &qgraph, layout: &settings.layout, public: &settings.public };
            let report = evaluate(&circuit, &reference, &samples).map_err(|e| e.context(path.display()))?;
            Settings { holdout: Some(report), ..settings }
        }
    };
    if let Some(r) = req.like {
        check_same_circuit(r, &settings, req.model)?;
    }
    std::fs::create_dir_all(req.out_dir).map_err(|e| ZkError::io(req.out_dir, e))?;
    let model_path = path(req.out_dir, MODEL_FILE);
    std::fs::write(&model_path, &model_json).map_err(|e| ZkError::io(&model_path, e))?;
    write_json(&path(req.out_dir, SETTINGS_FILE), &settings)?;
    // A recompile invalidates keys made for the previous circuit.
    for stale in [PK_FILE, VK_FILE, SETUP_FILE, SRS_FILE] {
        let _ = std::fs::remove_file(path(req.out_dir, stale));
    }
    Ok(settings)
}

/// `--like`: the new settings must describe the reference's circuit exactly.
fn check_same_circuit(reference: &Build, settings: &Settings, model: &Path) -> Result<(), ZkError> {
    let r = &reference.settings;
    // Block names come from each model's own tensor names; everything else must agree.
    let shape = |p: &crate::encoding::InstanceLayout| {
        let blocks: Vec<_> =
            p.blocks.iter().map(|b| (b.side, b.offset, b.len, b.values, b.packing, b.commitment)).collect();
        (p.scale, p.visibility, p.packing, p.num_instances, blocks)
    };
    let same = r.k == settings.k
        && r.layout == settings.layout
        && r.rows == settings.rows
        && shape(&r.public) == shape(&settings.public);
    if !same {
        return Err(ZkError::input(format!(
            "{} does not compile to the same circuit as {} (k {} vs {}, rows {:?} vs {:?}): \
             not the same architecture, or other visibility options",
            model.display(),
            reference.dir.display(),
            settings.k,
            r.k,
            settings.rows,
            r.rows
        )));
    }
    Ok(())
}

/// Our lowering must agree with tract on every calibration sample before anything is quantised.
fn check_lowering(reference: &ReferenceModel, graph: &Graph, samples: &[Vec<Vec<f64>>]) -> Result<(), ZkError> {
    for sample in samples {
        let expected = reference.run(sample)?;
        let ours = graph.eval_f64(sample);
        for (oi, (&o, exp)) in graph.outputs.iter().zip(&expected).enumerate() {
            let got = &ours[o];
            if got.len() != exp.len() {
                return Err(ZkError::internal(format!(
                    "output '{}': zkinfer's lowering gives {} values, tract {}",
                    graph.output_names[oi],
                    got.len(),
                    exp.len()
                )));
            }
            for (g, e) in got.iter().zip(exp) {
                if (g - e).abs() > LOWERING_TOLERANCE * (1.0 + e.abs()) {
                    return Err(ZkError::internal(format!(
                        "output '{}': zkinfer's float lowering gives {g}, tract gives {e}; \
                         this model uses an operator variant zkinfer lowers incorrectly (please report it)",
                        graph.output_names[oi]
                    )));
                }
            }
        }
    }
    Ok(())
}
