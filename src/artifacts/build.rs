//! A build directory: the compiled model, its settings and (after `setup`) its keys, loaded and
//! checked once so every later stage can trust what it reads.

use std::path::{Path, PathBuf};

use halo2_proofs::halo2curves::bn256::{Bn256, G1Affine};
use halo2_proofs::plonk::{ProvingKey, VerifyingKey};
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use sha3::{Digest, Keccak256};

use super::files::*;
use super::settings::{Settings, SetupInfo};
use crate::circuit::graph_layout::lay_out;
use crate::circuit::model_circuit::ModelCircuit;
use crate::encoding::commitment::commit_params;
use crate::encoding::{InstanceLayout, Scale, Side, Tensor};
use crate::error::ZkError;
use crate::proof::{keys, srs};
use crate::quantise::qgraph::QGraph;

/// A build directory's compiled model.
pub struct Build {
    pub dir: PathBuf,
    pub settings: Settings,
    pub qgraph: QGraph,
}

impl Build {
    /// Loads a build directory and checks it is whole: format, model digest, and that the settings
    /// describe exactly the model's circuit (a hand-edited settings.json is an error here, not a
    /// confusing failure later).
    pub fn open(dir: &Path) -> Result<Build, ZkError> {
        let settings_path = path(dir, SETTINGS_FILE);
        if !settings_path.exists() {
            return Err(ZkError::input(format!(
                "{} is not a build directory (no {SETTINGS_FILE}); run `zkinfer compile` first",
                dir.display()
            )));
        }
        let version: serde_json::Value = read_json(&settings_path)?;
        if version.get("format_version").and_then(|v| v.as_u64()) != Some(FORMAT_VERSION as u64) {
            return Err(ZkError::input(format!(
                "{} was made by an incompatible zkinfer (format {}, this one reads {FORMAT_VERSION}); recompile",
                dir.display(),
                version.get("format_version").unwrap_or(&serde_json::Value::Null)
            )));
        }
        let settings: Settings = read_json(&settings_path)?;
        let model_path = path(dir, MODEL_FILE);
        let bytes = std::fs::read(&model_path).map_err(|e| ZkError::io(&model_path, e))?;
        if hex0x(&Keccak256::digest(&bytes)) != settings.model_digest {
            return Err(ZkError::input(format!(
                "{} does not match the digest in {SETTINGS_FILE}; recompile",
                model_path.display()
            )));
        }
        let qgraph: QGraph =
            serde_json::from_slice(&bytes).map_err(|e| ZkError::input(format!("{}: {e}", model_path.display())))?;
        let build = Build { dir: dir.to_path_buf(), settings, qgraph };
        build.check_settings().map_err(|e| {
            ZkError::input(format!(
                "{}: {e}; the file was edited or is damaged: recompile",
                path(dir, SETTINGS_FILE).display()
            ))
        })?;
        Ok(build)
    }

    /// The settings must be what compiling this model with these options produces.
    fn check_settings(&self) -> Result<(), String> {
        let (s, q) = (&self.settings, &self.qgraph);
        // Ranges first: everything after computes with them.
        use crate::circuit::tables::{MAX_LIMB_BITS, MAX_RANGE_BITS, MIN_LIMB_BITS};
        let table = &s.layout.table;
        let bits = table.range_bits;
        if !(4..=MAX_RANGE_BITS).contains(&bits) {
            return Err(format!("its activation range of {bits} bits is outside 4..={MAX_RANGE_BITS}"));
        }
        if !(MIN_LIMB_BITS..=MAX_LIMB_BITS).contains(&table.limb_bits) {
            return Err(format!(
                "its limb width of {} bits is outside {MIN_LIMB_BITS}..={MAX_LIMB_BITS}",
                table.limb_bits
            ));
        }
        if let Some(f) = table.functions.iter().find(|f| f.segment_bits >= bits || bits - f.segment_bits > 24) {
            return Err(format!(
                "its {:?} segments of {} bits do not fit the {bits}-bit range",
                f.function, f.segment_bits
            ));
        }
        if let Some(p) = s.public.packing {
            if p != crate::encoding::Packing::for_range_bits(bits) {
                return Err(format!(
                    "its packing ({} bits, {} per word) does not match the {bits}-bit activation range",
                    p.bits, p.per_word
                ));
            }
        }
        let (inputs, outputs, weights) = (q.input_tensors(), q.output_tensors(), q.param_values());
        let expected =
            InstanceLayout::plan(q.scale, s.public.visibility, s.public.packing, &inputs, &outputs, weights.len());
        if s.public != expected {
            return Err("its instance layout (scale, visibility, packing, instance blocks) is not the model's".into());
        }
        // With hashed parameters the commitment is what `verify` accepts as "this model".
        let params = s.public.visibility.hashed_params().then(|| fr_hex(&commit_params(&weights)));
        if s.param_commitment != params {
            return Err("its param_commitment is not the commitment to model.json's weights".into());
        }
        let names_shapes = |t: Vec<Tensor>| -> (Vec<String>, Vec<Vec<usize>>) {
            (t.iter().map(|t| t.name.clone()).collect(), t.into_iter().map(|t| t.shape).collect())
        };
        if (s.input_names.clone(), s.input_shapes.clone()) != names_shapes(inputs)
            || (s.output_names.clone(), s.output_shapes.clone()) != names_shapes(outputs)
        {
            return Err("its input or output names and shapes are not the model's".into());
        }
        if !(2..=32).contains(&s.layout.lanes) || s.k > 28 {
            return Err(format!("lanes {} or k {} is out of range", s.layout.lanes, s.k));
        }
        Ok(())
    }

    /// The fixed-point scale of every value (inputs, activations, outputs).
    pub fn scale(&self) -> Scale {
        self.qgraph.scale
    }

    /// The public instances' layout.
    pub fn public(&self) -> &InstanceLayout {
        &self.settings.public
    }

    /// The model's input tensors.
    pub fn inputs(&self) -> Vec<Tensor> {
        self.qgraph.input_tensors()
    }

    /// Checks fixed-point (or float) input tensors against the model's inputs.
    pub fn check_inputs<T>(&self, values: &[Vec<T>]) -> Result<(), ZkError> {
        check_tensors(Side::Input, &self.inputs(), values)
    }

    /// The keygen-mode circuit (no witness).
    pub fn blank_circuit(&self) -> Result<ModelCircuit, ZkError> {
        let layout = lay_out(&self.qgraph, &self.settings.layout, self.public(), None, Default::default())?;
        Ok(ModelCircuit::new(layout, false))
    }

    /// The circuit with its witness for fixed-point `inputs`, committing with `salt` where values
    /// are hashed.
    pub fn circuit_for(
        &self,
        inputs: &[Vec<i128>],
        salt: halo2_proofs::halo2curves::bn256::Fr,
    ) -> Result<ModelCircuit, ZkError> {
        self.check_inputs(inputs)?;
        let layout = lay_out(&self.qgraph, &self.settings.layout, self.public(), Some(inputs), salt)?;
        Ok(ModelCircuit::new(layout, true))
    }

    /// What `setup` recorded; an error if there are no keys, or they were made for other settings.
    pub fn setup_info(&self) -> Result<SetupInfo, ZkError> {
        let p = path(&self.dir, SETUP_FILE);
        if !p.exists() {
            return Err(self.needs_setup());
        }
        let info: SetupInfo = read_json(&p)?;
        if info.circuit_digest != self.settings.circuit_digest() {
            return Err(ZkError::input(format!(
                "the keys in {} were made for other settings than its {SETTINGS_FILE} (changed after setup); \
                 run `zkinfer setup {}` again",
                self.dir.display(),
                self.dir.display()
            )));
        }
        Ok(info)
    }

    pub fn params(&self) -> Result<ParamsKZG<Bn256>, ZkError> {
        self.setup_info()?;
        srs::build_srs(&path(&self.dir, SRS_FILE), self.settings.k)
    }

    pub fn vk(&self) -> Result<VerifyingKey<G1Affine>, ZkError> {
        self.setup_info()?;
        keys::read_vk(&path(&self.dir, VK_FILE), self.settings.layout.lanes)
    }

    pub fn pk(&self) -> Result<ProvingKey<G1Affine>, ZkError> {
        self.setup_info()?;
        keys::read_pk(&path(&self.dir, PK_FILE), self.settings.layout.lanes)
    }

    fn needs_setup(&self) -> ZkError {
        ZkError::input(format!("{} has no keys yet; run `zkinfer setup {}`", self.dir.display(), self.dir.display()))
    }
}

/// Checks value tensors (of any side) against the model's tensors.
pub fn check_tensors<T>(side: Side, tensors: &[Tensor], values: &[Vec<T>]) -> Result<(), ZkError> {
    if values.len() != tensors.len() {
        let names: Vec<&str> = tensors.iter().map(|t| t.name.as_str()).collect();
        return Err(ZkError::input(format!(
            "the model has {} {side}(s) ({}) but the {side} file has {}",
            tensors.len(),
            names.join(", "),
            values.len()
        )));
    }
    for (t, v) in tensors.iter().zip(values) {
        if v.len() != t.len() {
            return Err(ZkError::input(format!(
                "{side} '{}' has shape {:?} ({} values) but the {side} file gives {}",
                t.name,
                t.shape,
                t.len(),
                v.len()
            )));
        }
    }
    Ok(())
}
