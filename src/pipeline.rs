//! The five steps as library calls: compile, setup, prove, verify, bench. The CLI is a thin shell
//! over these, so everything a command does can also be done (and tested) from Rust.

use std::path::{Path, PathBuf};
use std::time::Instant;

use halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_proofs::plonk::{ProvingKey, VerifyingKey};
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use serde::Serialize;
use sha3::{Digest, Keccak256};

use crate::artifacts::*;
use crate::circuit::compile::lay_out;
use crate::circuit::model_circuit::{fe, ModelCircuit};
use crate::error::ZkError;
use crate::model::fold::simplify;
use crate::model::input_file::{read_inputs, ModelInputs};
use crate::model::onnx_import::import_onnx;
use crate::model::reference::ReferenceModel;
use crate::proof::transcript::{fr_from_be_bytes, fr_to_be_bytes};
use crate::proof::{keys, prover, srs, verifier};
use crate::quantise::calibrate::{calibrate, quantise_inputs, CalibrationOptions};
use crate::quantise::qgraph::QGraph;

/// Largest tolerated gap between our lowering's float output and tract's, relative to magnitude.
const LOWERING_TOLERANCE: f64 = 1e-3;

pub struct CompileRequest<'a> {
    pub model: &'a Path,
    pub calibration: &'a [PathBuf],
    pub options: CalibrationOptions,
    pub out_dir: &'a Path,
}

/// ONNX + calibration inputs -> build directory with settings.json and model.json.
pub fn compile(req: &CompileRequest) -> Result<Settings, ZkError> {
    let samples: Vec<ModelInputs> = req.calibration.iter().map(|p| read_inputs(p)).collect::<Result<_, _>>()?;
    let shapes = samples.iter().find_map(|s| s.shapes.clone());
    let graph = import_onnx(req.model, shapes.as_deref())?;
    let input_shapes: Vec<Vec<usize>> = graph.inputs.iter().map(|&i| graph.nodes[i].shape.clone()).collect();
    let values: Vec<Vec<Vec<f64>>> = samples.iter().map(|s| s.values.clone()).collect();
    for (si, sample) in values.iter().enumerate() {
        check_input_lengths(&graph.input_names, &input_shapes, sample)
            .map_err(|e| e.context(req.calibration[si].display()))?;
    }

    // Our lowering must agree with tract before anything is quantised.
    let reference = ReferenceModel::load(req.model, &input_shapes)?;
    for sample in &values {
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

    let graph = simplify(graph);
    let calibrated = calibrate(&graph, &values, &req.options)?;
    let qgraph = calibrated.qgraph;
    std::fs::create_dir_all(req.out_dir).map_err(|e| ZkError::io(req.out_dir, e))?;
    let model_json = serde_json::to_vec(&qgraph).map_err(|e| ZkError::internal(e.to_string()))?;
    let model_path = path(req.out_dir, MODEL_FILE);
    std::fs::write(&model_path, &model_json).map_err(|e| ZkError::io(&model_path, e))?;

    let mut instances = Vec::new();
    let mut offset = 0;
    let packing = calibrated.params.packing;
    let mut block = |kind: &str, name: &str, shape: &[usize], commitment: bool| {
        let values: usize = shape.iter().product();
        let len = if commitment { 1 } else { packing.map(|p| p.words(values)).unwrap_or(values) };
        instances.push(InstanceBlock {
            kind: kind.into(),
            name: name.into(),
            shape: shape.to_vec(),
            offset,
            len,
            values,
            packing: if commitment { None } else { packing },
            commitment: commitment.then(|| "poseidon".to_string()),
        });
        offset += len;
    };
    let all = |shapes: Vec<Vec<usize>>| vec![shapes.iter().map(|s| s.iter().product::<usize>()).sum::<usize>()];
    if req.options.public_inputs {
        for (n, s) in qgraph.input_names.iter().zip(qgraph.input_shapes()) {
            block("input", n, &s, false);
        }
    } else if req.options.hashed_inputs {
        block("input", &qgraph.input_names.join(","), &all(qgraph.input_shapes()), true);
    }
    if req.options.public_outputs {
        for (n, s) in qgraph.output_names.iter().zip(qgraph.output_shapes()) {
            block("output", n, &s, false);
        }
    } else if req.options.hashed_outputs {
        block("output", &qgraph.output_names.join(","), &all(qgraph.output_shapes()), true);
    }
    let param_values = crate::circuit::compile::param_values(&qgraph);
    if req.options.hashed_params {
        block("params", "weights and biases", &[param_values.len()], true);
    }
    if offset != calibrated.rows.instances {
        return Err(ZkError::internal(format!(
            "the layout binds {} instances but the settings describe {offset}",
            calibrated.rows.instances
        )));
    }
    let vis = |public: bool, hashed: bool| match (public, hashed) {
        (true, _) => Visibility::Public,
        (false, true) => Visibility::Hashed,
        (false, false) => Visibility::Private,
    };
    let settings = Settings {
        format_version: FORMAT_VERSION,
        zkinfer_version: env!("CARGO_PKG_VERSION").into(),
        source_model: req.model.display().to_string(),
        model_digest: hex0x(&Keccak256::digest(&model_json)),
        k: calibrated.k,
        scale: qgraph.scale,
        layout: calibrated.params,
        visibility: VisibilitySettings {
            input: vis(req.options.public_inputs, req.options.hashed_inputs),
            output: vis(req.options.public_outputs, req.options.hashed_outputs),
            params: if req.options.hashed_params { "hashed" } else { "fixed" }.into(),
        },
        rows: calibrated.rows,
        num_instances: offset,
        instances,
        input_names: qgraph.input_names.clone(),
        input_shapes: qgraph.input_shapes(),
        output_names: qgraph.output_names.clone(),
        output_shapes: qgraph.output_shapes(),
        calibration: calibrated.report,
        param_commitment: req.options.hashed_params.then(|| hex0x(&fr_to_be_bytes(&param_commitment(&qgraph)))),
    };
    write_json(&path(req.out_dir, SETTINGS_FILE), &settings)?;
    // A recompile invalidates keys made for the previous circuit.
    for stale in [PK_FILE, VK_FILE, SETUP_FILE, SRS_FILE] {
        let _ = std::fs::remove_file(path(req.out_dir, stale));
    }
    Ok(settings)
}

/// Checks a values file against tensor shapes (for any side of the model).
pub fn check_lengths(names: &[String], shapes: &[Vec<usize>], values: &[Vec<f64>]) -> Result<(), ZkError> {
    check_input_lengths(names, shapes, values)
}

fn check_input_lengths(names: &[String], shapes: &[Vec<usize>], values: &[Vec<f64>]) -> Result<(), ZkError> {
    if values.len() != shapes.len() {
        return Err(ZkError::input(format!(
            "the model has {} input(s) ({}) but the input file has {}",
            shapes.len(),
            names.join(", "),
            values.len()
        )));
    }
    for ((name, shape), v) in names.iter().zip(shapes).zip(values) {
        let n: usize = shape.iter().product();
        if v.len() != n {
            return Err(ZkError::input(format!(
                "input '{name}' has shape {shape:?} ({n} values) but the input file gives {}",
                v.len()
            )));
        }
    }
    Ok(())
}

/// A build directory's compiled model.
pub struct Build {
    pub dir: PathBuf,
    pub settings: Settings,
    pub qgraph: QGraph,
}

impl Build {
    pub fn open(dir: &Path) -> Result<Build, ZkError> {
        let settings_path = path(dir, SETTINGS_FILE);
        if !settings_path.exists() {
            return Err(ZkError::input(format!(
                "{} is not a build directory (no {SETTINGS_FILE}); run `zkinfer compile` first",
                dir.display()
            )));
        }
        let settings: Settings = read_json(&settings_path)?;
        if settings.format_version != FORMAT_VERSION {
            return Err(ZkError::input(format!(
                "{} was made by an incompatible zkinfer (format {}); recompile",
                dir.display(),
                settings.format_version
            )));
        }
        let model_path = path(dir, MODEL_FILE);
        let bytes = std::fs::read(&model_path).map_err(|e| ZkError::io(&model_path, e))?;
        if hex0x(&Keccak256::digest(&bytes)) != settings.model_digest {
            return Err(ZkError::input(format!(
                "{} does not match the digest in {SETTINGS_FILE}; recompile",
                model_path.display()
            )));
        }
        let qgraph =
            serde_json::from_slice(&bytes).map_err(|e| ZkError::input(format!("{}: {e}", model_path.display())))?;
        Ok(Build { dir: dir.to_path_buf(), settings, qgraph })
    }

    /// The keygen-mode circuit (no witness).
    pub fn blank_circuit(&self) -> Result<ModelCircuit, ZkError> {
        Ok(ModelCircuit::new(lay_out(&self.qgraph, &self.settings.layout, None, Fr::zero())?, false))
    }

    /// The circuit with its witness for `inputs` (salt 0).
    pub fn circuit_for(&self, inputs: &[Vec<f64>]) -> Result<ModelCircuit, ZkError> {
        self.circuit_with(inputs, Fr::zero())
    }

    /// The circuit with its witness for `inputs`, committing with `salt` where values are hashed.
    pub fn circuit_with(&self, inputs: &[Vec<f64>], salt: Fr) -> Result<ModelCircuit, ZkError> {
        check_input_lengths(&self.settings.input_names, &self.settings.input_shapes, inputs)?;
        let q = quantise_inputs(inputs, self.settings.scale);
        Ok(ModelCircuit::new(lay_out(&self.qgraph, &self.settings.layout, Some(&q), salt)?, true))
    }

    pub fn params(&self) -> Result<ParamsKZG<Bn256>, ZkError> {
        let p = path(&self.dir, SRS_FILE);
        if !p.exists() {
            return Err(self.needs_setup());
        }
        srs::srs_from_file(&p, self.settings.k)
    }

    pub fn setup_info(&self) -> Result<SetupInfo, ZkError> {
        let p = path(&self.dir, SETUP_FILE);
        if !p.exists() {
            return Err(self.needs_setup());
        }
        read_json(&p)
    }

    pub fn vk(&self) -> Result<VerifyingKey<G1Affine>, ZkError> {
        keys::read_vk(&path(&self.dir, VK_FILE), self.settings.layout.lanes)
    }

    pub fn pk(&self) -> Result<ProvingKey<G1Affine>, ZkError> {
        let p = path(&self.dir, PK_FILE);
        if !p.exists() {
            return Err(self.needs_setup());
        }
        keys::read_pk(&p, self.settings.layout.lanes)
    }

    fn needs_setup(&self) -> ZkError {
        ZkError::input(format!("{} has no keys yet; run `zkinfer setup {}`", self.dir.display(), self.dir.display()))
    }
}

/// Where `setup` gets its SRS.
pub enum SrsSource {
    Dev,
    File(PathBuf),
}

/// Generates the keys and stores them (with the SRS fitted to `k`) in the build directory.
pub fn setup(build: &Build, source: &SrsSource) -> Result<SetupInfo, ZkError> {
    let k = build.settings.k;
    let (params, label) = match source {
        SrsSource::Dev => (srs::dev_srs(k)?, "dev-insecure".to_string()),
        SrsSource::File(p) => (srs::srs_from_file(p, k)?, p.display().to_string()),
    };
    let circuit = build.blank_circuit()?;
    let start = Instant::now();
    let (vk, pk) = keys::generate_keys(&params, &circuit)?;
    let keygen_s = start.elapsed().as_secs_f64();
    let pk_bytes = keys::write_pk(&pk, &path(&build.dir, PK_FILE))?;
    let vk_bytes = keys::write_vk(&vk, &path(&build.dir, VK_FILE))?;
    srs::write_params_atomic(&params, &path(&build.dir, SRS_FILE))?;
    let info = SetupInfo { vk_digest: hex0x(&keys::vk_digest(&vk)), srs: label, pk_bytes, vk_bytes, keygen_s };
    write_json(&path(&build.dir, SETUP_FILE), &info)?;
    Ok(info)
}

/// Loaded keys and SRS, for repeated proving (bench) without re-reading files.
pub struct Prover {
    pub params: ParamsKZG<Bn256>,
    pub pk: ProvingKey<G1Affine>,
    pub info: SetupInfo,
}

impl Prover {
    pub fn load(build: &Build) -> Result<Prover, ZkError> {
        Ok(Prover { params: build.params()?, pk: build.pk()?, info: build.setup_info()? })
    }
}

/// Runs the model on `inputs` inside the circuit and proves it (commitment salt 0).
pub fn prove(build: &Build, prover: &Prover, inputs: &[Vec<f64>]) -> Result<ProofFile, ZkError> {
    prove_with(build, prover, inputs, Fr::zero()).map(|(file, _)| file)
}

/// Proves `inputs` with `salt` in any Poseidon commitment. Also returns the quantised outputs,
/// which the proof file leaves out when outputs are private or hashed.
pub fn prove_with(
    build: &Build,
    prover: &Prover,
    inputs: &[Vec<f64>],
    salt: Fr,
) -> Result<(ProofFile, Vec<Vec<i128>>), ZkError> {
    let circuit = build.circuit_with(inputs, salt)?;
    let instances = circuit.instances();
    let proof = prover::prove(&prover.params, &prover.pk, &circuit, &instances)?;
    let unit = (1u64 << build.settings.scale) as f64;
    // Private outputs stay private: the proof file must not leak what the circuit hides.
    let outputs_fixed: Vec<Vec<i64>> = if build.settings.visibility.output == Visibility::Public {
        circuit
            .layout
            .outputs
            .iter()
            .map(|o| {
                o.iter()
                    .map(|&v| i64::try_from(v).map_err(|_| ZkError::input(format!("output value {v} exceeds 64 bits"))))
                    .collect()
            })
            .collect::<Result<_, _>>()?
    } else {
        vec![]
    };
    let file = ProofFile {
        format_version: FORMAT_VERSION,
        proof: hex0x(&proof),
        instances: instances.iter().map(|x| hex0x(&fr_to_be_bytes(x))).collect(),
        outputs: outputs_fixed.iter().map(|o| o.iter().map(|&v| v as f64 / unit).collect()).collect(),
        outputs_fixed,
        scale: build.settings.scale,
        vk_digest: prover.info.vk_digest.clone(),
        model_digest: build.settings.model_digest.clone(),
    };
    Ok((file, circuit.layout.outputs.clone()))
}

/// Signed integer an instance encodes (`r - |x|` for negatives).
pub fn instance_to_i128(x: &Fr) -> Option<i128> {
    let bytes = fr_to_be_bytes(x);
    let neg = fr_to_be_bytes(&-*x);
    // Magnitudes below 2^127 only, so the sign is never ambiguous.
    let small = |b: &[u8; 32]| b[..16].iter().all(|&z| z == 0) && b[16] < 0x80;
    if small(&bytes) {
        Some(u128::from_be_bytes(bytes[16..].try_into().unwrap()) as i128)
    } else if small(&neg) {
        Some(-(u128::from_be_bytes(neg[16..].try_into().unwrap()) as i128))
    } else {
        None
    }
}

/// What a valid proof establishes, decoded from its public instances only.
#[derive(Debug, Serialize)]
pub struct Verified {
    pub valid: bool,
    pub num_instances: usize,
    pub proof_bytes: usize,
    /// Public inputs as the proof binds them (decoded floats), one vector per input; empty if private.
    pub inputs: Vec<Vec<f64>>,
    /// Public outputs as the proof binds them; empty if outputs are private.
    pub outputs: Vec<Vec<f64>>,
    /// The Poseidon commitment to the inputs (hashed inputs), as 0x hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_commitment: Option<String>,
    /// The Poseidon commitment to the outputs (hashed outputs), as 0x hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_commitment: Option<String>,
    /// The Poseidon commitment to the weights and biases (hashed parameters): which model ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub param_commitment: Option<String>,
    /// The keys came from the development SRS, whose secret is public: anyone can forge proofs.
    pub insecure_srs: bool,
}

/// The commitment instance of the `kind` side, if that side is hashed.
fn commitment_of(build: &Build, kind: &str, instances: &[Fr]) -> Option<String> {
    let block = build.settings.instances.iter().find(|b| b.kind == kind && b.commitment.is_some())?;
    instances.get(block.offset).map(|x| hex0x(&fr_to_be_bytes(x)))
}

fn decode_blocks(build: &Build, kind: &str, instances: &[Fr]) -> Result<Vec<Vec<i128>>, ZkError> {
    build
        .settings
        .instances
        .iter()
        .filter(|b| b.kind == kind && b.commitment.is_none())
        .map(|block| {
            let words = &instances[block.offset..block.offset + block.len];
            let bad =
                || ZkError::invalid_proof(format!("{kind} '{}' has an instance that does not decode", block.name));
            match block.packing {
                None => words.iter().map(|x| instance_to_i128(x).ok_or_else(bad)).collect(),
                Some(p) => {
                    let mut values = Vec::with_capacity(block.values);
                    for (i, w) in words.iter().enumerate() {
                        let count = (block.values - i * p.per_word).min(p.per_word);
                        values.extend(p.unpack(w, count).ok_or_else(bad)?);
                    }
                    Ok(values)
                }
            }
        })
        .collect()
}

/// Checks a proof file against a build: digests, instance encoding and count, the claimed outputs
/// against the proven instances (exactly), then the proof itself. Returns only what the proof binds.
pub fn verify(
    build: &Build,
    file: &ProofFile,
    params: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
) -> Result<Verified, ZkError> {
    let vk_digest = hex0x(&keys::vk_digest(vk));
    if file.vk_digest != vk_digest {
        return Err(ZkError::invalid_proof(format!(
            "proof is for verifying key {} but this build's is {vk_digest} (a different model or setup)",
            file.vk_digest
        )));
    }
    // With hashed parameters one circuit serves every model of the architecture: which model ran
    // is the proof's weight commitment, not this build's model file.
    let same_model = file.model_digest == build.settings.model_digest || build.settings.visibility.params == "hashed";
    if !same_model || file.scale != build.settings.scale {
        return Err(ZkError::invalid_proof("proof file names a different model or scale than this build"));
    }
    let proof = parse_hex0x(&file.proof).ok_or_else(|| ZkError::invalid_proof("proof is not 0x-prefixed hex"))?;
    if file.instances.len() != build.settings.num_instances {
        return Err(ZkError::invalid_proof(format!(
            "expected {} instances, the proof file has {}",
            build.settings.num_instances,
            file.instances.len()
        )));
    }
    let mut instances = Vec::with_capacity(file.instances.len());
    for (i, s) in file.instances.iter().enumerate() {
        let bytes = parse_hex0x(s)
            .filter(|b| b.len() == 32)
            .ok_or_else(|| ZkError::invalid_proof(format!("instance {i} is not a 0x-prefixed 32-byte hex word")))?;
        let x = fr_from_be_bytes(&bytes.try_into().unwrap())
            .ok_or_else(|| ZkError::invalid_proof(format!("instance {i} is not below the field modulus")))?;
        instances.push(x);
    }
    verifier::verify(params, vk, &proof, &instances)?;

    // The outputs a reader of the JSON sees must be exactly the ones the proof binds.
    let unit = (1u64 << build.settings.scale) as f64;
    let outputs_fixed = decode_blocks(build, "output", &instances)?;
    let outputs: Vec<Vec<f64>> = outputs_fixed.iter().map(|o| o.iter().map(|&v| v as f64 / unit).collect()).collect();
    let claimed_fixed: Vec<Vec<i128>> =
        file.outputs_fixed.iter().map(|o| o.iter().map(|&v| v as i128).collect()).collect();
    if claimed_fixed != outputs_fixed || file.outputs != outputs {
        return Err(ZkError::invalid_proof(
            "the outputs in the proof file do not match the outputs the proof binds (or outputs are private and the file claims some)",
        ));
    }
    let inputs = decode_blocks(build, "input", &instances)?
        .iter()
        .map(|v| v.iter().map(|&x| x as f64 / unit).collect())
        .collect();
    let insecure_srs = build.setup_info().map(|i| i.srs == "dev-insecure").unwrap_or(false);
    Ok(Verified {
        valid: true,
        num_instances: instances.len(),
        proof_bytes: proof.len(),
        inputs,
        outputs,
        input_commitment: commitment_of(build, "input", &instances),
        output_commitment: commitment_of(build, "output", &instances),
        param_commitment: commitment_of(build, "params", &instances),
        insecure_srs,
    })
}

/// The Poseidon commitment of a hashed side: the values (fixed point), then the side's salt
/// `Poseidon(salt, 1)` for inputs or `Poseidon(salt, 2)` for outputs.
pub fn commitment(values: &[Vec<i128>], salt: Fr, is_output: bool) -> Fr {
    let mut elems: Vec<Fr> = values.iter().flatten().map(|&v| fe(v)).collect();
    elems.push(side_salt(salt, is_output));
    crate::circuit::chips::poseidon::native_hash(&elems)
}

/// The salt one side's commitment uses, derived from the input file's salt; giving it out opens
/// that side's commitment only.
pub fn side_salt(salt: Fr, is_output: bool) -> Fr {
    crate::circuit::chips::poseidon::native_hash(&[salt, crate::circuit::compile::side_tag(is_output)])
}

/// The Poseidon commitment to a model's weights and biases (hashed parameters; no salt: it names
/// the model and must be the same in every proof).
pub fn param_commitment(qgraph: &QGraph) -> Fr {
    let values: Vec<Fr> = crate::circuit::compile::param_values(qgraph).iter().map(|&v| fe(v)).collect();
    crate::circuit::chips::poseidon::native_hash(&values)
}

/// The commitment a proof of `inputs` (with `salt`) carries when the inputs are hashed.
pub fn input_commitment(build: &Build, inputs: &[Vec<f64>], salt: Fr) -> Result<Fr, ZkError> {
    check_input_lengths(&build.settings.input_names, &build.settings.input_shapes, inputs)?;
    Ok(commitment(&quantise_inputs(inputs, build.settings.scale), salt, false))
}

/// Checks that a verified proof's public inputs are exactly `inputs`, quantised as the circuit does
/// (or, for hashed inputs, that it commits to exactly `inputs` with `salt`).
pub fn check_public_inputs(build: &Build, file: &ProofFile, inputs: &[Vec<f64>], salt: Fr) -> Result<(), ZkError> {
    if build.settings.visibility.input == Visibility::Hashed {
        let expected = hex0x(&fr_to_be_bytes(&input_commitment(build, inputs, salt)?));
        let block = build.settings.instances.iter().find(|b| b.kind == "input");
        return match block.and_then(|b| file.instances.get(b.offset)) {
            Some(got) if *got == expected => Ok(()),
            _ => Err(ZkError::invalid_proof(
                "the proof commits to other inputs (or another salt) than the given input file",
            )),
        };
    }
    if build.settings.visibility.input != Visibility::Public {
        return Err(ZkError::input("this model's inputs are private: a proof does not reveal them to compare"));
    }
    check_input_lengths(&build.settings.input_names, &build.settings.input_shapes, inputs)?;
    let quantised = quantise_inputs(inputs, build.settings.scale);
    let expected: Vec<String> = quantised
        .iter()
        .flat_map(|values| match build.settings.layout.packing {
            Some(p) => p.pack(values),
            None => values.iter().map(|&v| fe(v)).collect(),
        })
        .map(|x| hex0x(&fr_to_be_bytes(&x)))
        .collect();
    let block = build.settings.instances.iter().filter(|b| b.kind == "input").map(|b| b.len).sum::<usize>();
    let start = build.settings.instances.iter().find(|b| b.kind == "input").map(|b| b.offset).unwrap_or(0);
    if file.instances.get(start..start + block) != Some(&expected[..]) {
        return Err(ZkError::invalid_proof("the proof's public inputs are not the given inputs"));
    }
    Ok(())
}

/// The verifier plan of a set-up build (what the Solidity generator renders).
pub fn verifier_plan(build: &Build) -> Result<crate::evm::plan::VerifierPlan, ZkError> {
    let params = build.params()?;
    let vk = build.vk()?;
    crate::evm::plan::VerifierPlan::new(&vk, &params, build.settings.num_instances)
}

/// Solidity source of the verifier for a set-up build (contract `Halo2Verifier`).
pub fn solidity_verifier(build: &Build) -> Result<String, ZkError> {
    solidity_verifier_named(build, "Halo2Verifier")
}

/// Solidity source of the verifier, formatted by forge, with the given contract name.
pub fn solidity_verifier_named(build: &Build, contract_name: &str) -> Result<String, ZkError> {
    let plan = verifier_plan(build)?;
    let title = format!("zkinfer verifier for {}", build.settings.source_model.rsplit('/').next().unwrap_or("model"));
    crate::evm::solc::format_solidity(&crate::evm::solidity::render_verifier(&plan, contract_name, &title))
}

/// Outcome of running a proof through the generated verifier in an in-process EVM.
#[derive(Debug, Serialize)]
pub struct EvmVerification {
    pub valid: bool,
    /// The whole verify transaction (21,000 + calldata + execution), Osaka rules, as a receipt shows.
    pub gas_used: u64,
    pub calldata_bytes: usize,
    pub runtime_bytes: usize,
    pub deploy_gas: u64,
    pub proof_bytes: usize,
    /// The verifier's custom error when it rejected the proof.
    pub error: Option<String>,
}

/// EIP-170: the largest runtime code a contract may have.
pub const MAX_RUNTIME_BYTES: usize = 24_576;

/// The generated verifier contract(s), compiled.
pub struct CompiledVerifier {
    pub source: String,
    pub creation_code: Vec<u8>,
    pub runtime_code: Vec<u8>,
    /// Separate verifying-key mode: the VK contract's source and creation code.
    pub vk: Option<(String, Vec<u8>)>,
    /// Why separate mode was chosen, when it was chosen automatically.
    pub split_reason: Option<String>,
}

fn compile_checked(source: &str, name: &str) -> Result<crate::evm::solc::CompiledContract, ZkError> {
    let compiled = crate::evm::solc::compile(source, &format!("{name}.sol"), name)?;
    if !compiled.warnings.is_empty() {
        return Err(ZkError::internal(format!(
            "solc warned on the generated {name}: {}",
            compiled.warnings.join("; ")
        )));
    }
    Ok(compiled)
}

/// Generates and compiles the verifier: one contract when it fits EIP-170 (unless `force_split`),
/// otherwise a verifier plus a separate verifying-key contract.
pub fn build_verifier(build: &Build, force_split: bool) -> Result<CompiledVerifier, ZkError> {
    let plan = verifier_plan(build)?;
    let title = format!("zkinfer verifier for {}", build.settings.source_model.rsplit('/').next().unwrap_or("model"));
    let mut split_reason = None;
    if !force_split {
        let source =
            crate::evm::solc::format_solidity(&crate::evm::solidity::render_verifier(&plan, "Halo2Verifier", &title))?;
        let compiled = compile_checked(&source, "Halo2Verifier")?;
        if compiled.runtime_code.len() <= MAX_RUNTIME_BYTES {
            return Ok(CompiledVerifier {
                source,
                creation_code: compiled.creation_code,
                runtime_code: compiled.runtime_code,
                vk: None,
                split_reason: None,
            });
        }
        split_reason = Some(format!(
            "the single verifier would have {} bytes of runtime code, over the {MAX_RUNTIME_BYTES}-byte EIP-170 limit: \
             the verifying key moves to its own contract",
            compiled.runtime_code.len()
        ));
    }
    let (v, k) = crate::evm::solidity::render_split(&plan, "Halo2Verifier", "Halo2VerifyingKey", &title);
    let (source, vk_source) = (crate::evm::solc::format_solidity(&v)?, crate::evm::solc::format_solidity(&k)?);
    let compiled = compile_checked(&source, "Halo2Verifier")?;
    if compiled.runtime_code.len() > MAX_RUNTIME_BYTES {
        return Err(ZkError::input(format!(
            "even with a separate verifying key the verifier has {} bytes of runtime code (limit {MAX_RUNTIME_BYTES}); \
             recompile with fewer --lanes",
            compiled.runtime_code.len()
        )));
    }
    let vk_bytes = crate::evm::solidity::vk_runtime_code(&plan).len();
    if vk_bytes > MAX_RUNTIME_BYTES {
        return Err(ZkError::input(format!(
            "the verifying-key contract would hold {vk_bytes} bytes (limit {MAX_RUNTIME_BYTES}); recompile with fewer --lanes"
        )));
    }
    let vk_compiled = compile_checked(&vk_source, "Halo2VerifyingKey")?;
    Ok(CompiledVerifier {
        source,
        creation_code: compiled.creation_code,
        runtime_code: compiled.runtime_code,
        vk: Some((vk_source, vk_compiled.creation_code)),
        split_reason,
    })
}

impl CompiledVerifier {
    /// The verifier's creation code with its constructor argument: the verifying-key contract's
    /// address (separate-VK mode), ABI-encoded as one word.
    pub fn creation_with_vk(&self, vk: alloy::primitives::Address) -> Vec<u8> {
        let mut code = self.creation_code.clone();
        code.extend_from_slice(&[0u8; 12]);
        code.extend_from_slice(vk.as_slice());
        code
    }

    /// Deploys the verifying-key contract (when there is one), then the verifier pinned to it.
    pub fn deploy(&self, evm: &mut crate::evm::runner::Evm) -> Result<crate::evm::runner::Deployed, ZkError> {
        match &self.vk {
            None => evm.deploy(&self.creation_code),
            Some((_, vk_code)) => {
                let vk = evm.deploy(vk_code)?;
                evm.deploy(&self.creation_with_vk(vk.address))
            }
        }
    }
}

pub fn compile_verifier(build: &Build) -> Result<CompiledVerifier, ZkError> {
    build_verifier(build, false)
}

/// Deploys the verifier in revm and sends `verifyProof` with the proof file's calldata.
pub fn verify_evm(verifier: &CompiledVerifier, file: &ProofFile) -> Result<EvmVerification, ZkError> {
    let calldata = crate::evm::calldata::calldata_for(file)?;
    let proof_bytes = (file.proof.len().saturating_sub(2)) / 2;
    let mut evm = crate::evm::runner::Evm::new();
    let deployed = verifier.deploy(&mut evm)?;
    let calldata_bytes = calldata.len();
    let out = evm.call(deployed.address, calldata)?;
    let valid = out.success && crate::evm::calldata::decode_verify_return(&out.output) == Some(true);
    let error = if valid { None } else { Some(crate::evm::solidity::describe_revert(&out.output)) };
    Ok(EvmVerification {
        valid,
        gas_used: out.gas_used,
        calldata_bytes,
        runtime_bytes: deployed.runtime_size,
        deploy_gas: deployed.gas_used,
        proof_bytes,
        error,
    })
}
