//! Hashed visibility end to end: a proof exposes a Poseidon commitment to the private inputs
//! (or outputs) and the salt; it verifies in Rust and in the EVM, and it fails against a pinned
//! commitment as soon as one private value differs.

mod common;

use common::*;
use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::halo2curves::ff::Field;
use zkinfer::artifacts::{hex0x, ProofFile, Visibility};
use zkinfer::pipeline::{self, Build, CompileRequest, Prover, SrsSource};
use zkinfer::proof::transcript::fr_to_be_bytes;
use zkinfer::quantise::calibrate::CalibrationOptions;

fn hashed(inputs: bool, outputs: bool) -> CalibrationOptions {
    CalibrationOptions {
        public_inputs: !inputs,
        public_outputs: !outputs,
        hashed_inputs: inputs,
        hashed_outputs: outputs,
        ..CalibrationOptions::default()
    }
}

fn setup(model: &std::path::Path, options: CalibrationOptions) -> (tempfile::TempDir, Build, Prover, Vec<Vec<f64>>) {
    init_cache();
    let dir = tempfile::tempdir().unwrap();
    let input = model.join("input.json");
    pipeline::compile(&CompileRequest {
        model: &model.join("network.onnx"),
        calibration: std::slice::from_ref(&input),
        options,
        out_dir: dir.path(),
    })
    .unwrap();
    let build = Build::open(dir.path()).unwrap();
    pipeline::setup(&build, &SrsSource::Dev).unwrap();
    let prover = Prover::load(&build).unwrap();
    let inputs = zkinfer::model::input_file::read_inputs(&input).unwrap().values;
    (dir, build, prover, inputs)
}

fn verifies_in_rust(build: &Build, prover: &Prover, file: &ProofFile) -> bool {
    pipeline::verify(build, file, &prover.params, &build.vk().unwrap()).is_ok()
}

fn with_instance(file: &ProofFile, index: usize, value: Fr) -> ProofFile {
    let mut f = file.clone();
    f.instances[index] = hex0x(&fr_to_be_bytes(&value));
    f
}

/// Nudges one input value by one fixed-point step.
fn nudged(inputs: &[Vec<f64>], scale: u32) -> Vec<Vec<f64>> {
    let mut other = inputs.to_vec();
    other[0][0] += 1.0 / (1u64 << scale) as f64;
    other
}

fn check_hashed_inputs(model: &str) {
    let (_dir, build, prover, inputs) = setup(&test_model_or_example(model), hashed(true, false));
    assert_eq!(build.settings.visibility.input, Visibility::Hashed);
    let block = &build.settings.instances[0];
    assert_eq!((block.kind.as_str(), block.len, block.commitment.as_deref()), ("input", 1, Some("poseidon")));
    let salt = Fr::from(0x5a17u64);
    let (file, _) = pipeline::prove_with(&build, &prover, &inputs, salt).unwrap();
    // The exposed commitment is the one anyone recomputes from the values and the salt.
    let pinned = pipeline::input_commitment(&build, &inputs, salt).unwrap();
    assert_eq!(file.instances[0], hex0x(&fr_to_be_bytes(&pinned)));
    assert!(verifies_in_rust(&build, &prover, &file));
    pipeline::check_public_inputs(&build, &file, &inputs, salt).unwrap();
    assert!(pipeline::check_public_inputs(&build, &file, &inputs, Fr::ZERO).is_err(), "another salt");
    let verifier = pipeline::compile_verifier(&build).unwrap();
    assert!(pipeline::verify_evm(&verifier, &file).unwrap().valid);

    // One private input differs: the honest proof of it carries another commitment, so against
    // the pinned one it fails, in Rust and in the EVM.
    let other = nudged(&inputs, build.settings.scale);
    let (forged, _) = pipeline::prove_with(&build, &prover, &other, salt).unwrap();
    assert_ne!(forged.instances[0], file.instances[0]);
    assert!(verifies_in_rust(&build, &prover, &forged), "a proof of other inputs is valid for its own commitment");
    let against_pin = with_instance(&forged, 0, pinned);
    assert!(!verifies_in_rust(&build, &prover, &against_pin));
    assert!(!pipeline::verify_evm(&verifier, &against_pin).unwrap().valid);
    assert!(pipeline::check_public_inputs(&build, &forged, &inputs, salt).is_err());
    // And the honest proof does not verify for any other commitment.
    let shifted = with_instance(&file, 0, pinned + Fr::ONE);
    assert!(!verifies_in_rust(&build, &prover, &shifted));
    assert!(!pipeline::verify_evm(&verifier, &shifted).unwrap().valid);
}

fn test_model_or_example(name: &str) -> std::path::PathBuf {
    let t = test_model(name);
    if t.exists() {
        t
    } else {
        root().join("examples/models").join(name)
    }
}

#[test]
fn hashed_inputs_demo_mlp() {
    check_hashed_inputs("demo_mlp");
}

#[test]
fn hashed_inputs_conv_pool() {
    check_hashed_inputs("conv_pool");
}

#[test]
fn hashed_outputs_bind_the_outputs() {
    let (_dir, build, prover, inputs) = setup(&test_model("gemm_relu"), hashed(false, true));
    let salt = Fr::from(99u64);
    let (file, outputs) = pipeline::prove_with(&build, &prover, &inputs, salt).unwrap();
    assert!(file.outputs.is_empty() && file.outputs_fixed.is_empty(), "hashed outputs stay out of the proof file");
    let at = build.settings.instances.iter().find(|b| b.kind == "output").unwrap().offset;
    let pinned = pipeline::commitment(&outputs, salt, true);
    assert_eq!(file.instances[at], hex0x(&fr_to_be_bytes(&pinned)));
    let verified = pipeline::verify(&build, &file, &prover.params, &build.vk().unwrap()).unwrap();
    assert_eq!(verified.output_commitment.as_deref(), Some(file.instances[at].as_str()));
    assert!(verified.outputs.is_empty());
    // Claiming other outputs means another commitment: refused.
    let mut other = outputs.clone();
    other[0][0] += 1;
    let claimed = with_instance(&file, at, pipeline::commitment(&other, salt, true));
    assert!(!verifies_in_rust(&build, &prover, &claimed));
    let verifier = pipeline::compile_verifier(&build).unwrap();
    assert!(pipeline::verify_evm(&verifier, &file).unwrap().valid);
    assert!(!pipeline::verify_evm(&verifier, &claimed).unwrap().valid);
}

#[test]
fn both_sides_hashed() {
    let (_dir, build, prover, inputs) = setup(&test_model("matmul_sigmoid"), hashed(true, true));
    assert_eq!(build.settings.num_instances, 2);
    let (file, outputs) = pipeline::prove_with(&build, &prover, &inputs, Fr::from(7u64)).unwrap();
    assert_eq!(
        file.instances[0],
        hex0x(&fr_to_be_bytes(&pipeline::input_commitment(&build, &inputs, Fr::from(7u64)).unwrap()))
    );
    assert_eq!(file.instances[1], hex0x(&fr_to_be_bytes(&pipeline::commitment(&outputs, Fr::from(7u64), true))));
    assert!(verifies_in_rust(&build, &prover, &file));
    // Swapping the two commitments is not a valid statement.
    let mut swapped = file.clone();
    swapped.instances.swap(0, 1);
    assert!(!verifies_in_rust(&build, &prover, &swapped));
}

/// A private model: weights are witness, bound by a public commitment. Another model of the same
/// architecture proves under the same verifying key (one verifier serves the family), and a consumer
/// that pinned the first model's commitment rejects the second model's proofs.
#[test]
fn hashed_params_pin_the_model_not_the_verifier() {
    let options = CalibrationOptions { hashed_params: true, ..CalibrationOptions::default() };
    let (_dir, build, prover, inputs) = setup(&test_model("gemm_relu"), options);
    assert_eq!(build.settings.visibility.params, "hashed");
    let block = build.settings.instances.iter().find(|b| b.kind == "params").unwrap();
    let at = block.offset;
    assert_eq!(block.values, zkinfer::circuit::compile::param_values(&build.qgraph).len());
    let pinned = pipeline::param_commitment(&build.qgraph);
    assert_eq!(build.settings.param_commitment.as_deref(), Some(hex0x(&fr_to_be_bytes(&pinned)).as_str()));
    let file = pipeline::prove(&build, &prover, &inputs).unwrap();
    assert_eq!(file.instances[at], hex0x(&fr_to_be_bytes(&pinned)), "the proof exposes the model's commitment");
    let verified = pipeline::verify(&build, &file, &prover.params, &build.vk().unwrap()).unwrap();
    assert_eq!(verified.param_commitment.as_deref(), Some(file.instances[at].as_str()));
    let verifier = pipeline::compile_verifier(&build).unwrap();
    assert!(pipeline::verify_evm(&verifier, &file).unwrap().valid);

    // The same architecture with one weight changed: the verifying key does not move...
    let mut other = Build::open(build.dir.as_path()).unwrap();
    let changed = other.qgraph.nodes.iter_mut().find_map(|n| match &mut n.op {
        zkinfer::quantise::qgraph::QOp::Affine { rows, .. } => Some(&mut rows[0].terms[0].2),
        _ => None,
    });
    *changed.expect("gemm_relu has an affine layer") += 3;
    let keys = |b: &Build| {
        let params = b.params().unwrap();
        let circuit = b.blank_circuit().unwrap();
        zkinfer::proof::keys::vk_digest(&zkinfer::proof::keys::generate_keys(&params, &circuit).unwrap().0)
    };
    assert_eq!(keys(&other), keys(&build), "weights must not reach the verifying key");
    // ...so the other model's honest proof verifies, with its own commitment...
    let theirs = pipeline::prove(&other, &prover, &inputs).unwrap();
    let other_pin = pipeline::param_commitment(&other.qgraph);
    assert_ne!(other_pin, pinned);
    assert_eq!(theirs.instances[at], hex0x(&fr_to_be_bytes(&other_pin)));
    assert!(verifies_in_rust(&build, &prover, &theirs));
    assert!(pipeline::verify_evm(&verifier, &theirs).unwrap().valid);
    // ...and against the pinned model's commitment it fails, in Rust and in the EVM.
    let against_pin = with_instance(&theirs, at, pinned);
    assert!(!verifies_in_rust(&build, &prover, &against_pin));
    assert!(!pipeline::verify_evm(&verifier, &against_pin).unwrap().valid);
}
