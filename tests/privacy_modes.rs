//! Hashed visibility end to end: a proof exposes a Poseidon commitment to the private inputs
//! (or outputs) and the salt; it verifies in Rust and in the EVM, and it fails against a pinned
//! commitment as soon as one private value differs.

mod common;

use common::*;
use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::halo2curves::ff::Field;
use zkinfer::artifacts::{fr_hex, ProofFile};
use zkinfer::encoding::commitment::{commit_params, commit_values};
use zkinfer::encoding::{ParamVisibility, Side, Visibilities, Visibility};
use zkinfer::pipeline::commit::input_commitment;
use zkinfer::pipeline::verifier_contract::compile_verifier;
use zkinfer::pipeline::{self, Build, CalibrationOptions, Prover, SrsSource};

fn hashed(inputs: bool, outputs: bool) -> CalibrationOptions {
    let v = |h: bool| if h { Visibility::Hashed } else { Visibility::Public };
    CalibrationOptions {
        visibility: Visibilities { input: v(inputs), output: v(outputs), ..Visibilities::default() },
        ..CalibrationOptions::default()
    }
}

/// Proves fixed-point `inputs` with `salt`: the proof file and the outputs.
fn prove(build: &Build, prover: &Prover, inputs: &[Vec<i128>], salt: Fr) -> (ProofFile, Vec<Vec<i128>>) {
    let p = pipeline::prove(build, prover, inputs, salt).unwrap();
    (p.file, p.outputs)
}

fn verify_evm(verifier: &pipeline::CompiledVerifier, file: &ProofFile) -> bool {
    pipeline::verify_evm(verifier, &file.parse().unwrap()).unwrap().valid
}

fn setup(model: &std::path::Path, options: CalibrationOptions) -> (tempfile::TempDir, Build, Prover, Vec<Vec<i128>>) {
    let dir = tempfile::tempdir().unwrap();
    let input = model.join("input.json");
    compile_model(&model.join("network.onnx"), std::slice::from_ref(&input), options, dir.path());
    let build = Build::open(dir.path()).unwrap();
    pipeline::setup(&build, &SrsSource::Dev).unwrap();
    let prover = Prover::load(&build).unwrap();
    let inputs = zkinfer::model::input_file::read_inputs(&input).unwrap().values;
    let inputs = build.scale().quantise(&inputs);
    (dir, build, prover, inputs)
}

fn verifies_in_rust(build: &Build, prover: &Prover, file: &ProofFile) -> bool {
    pipeline::verify(build, file, &prover.params, &build.vk().unwrap()).is_ok()
}

/// Verifies as a proof of some model of the build's family (hashed parameters).
fn verifies_for_family(build: &Build, prover: &Prover, file: &ProofFile) -> bool {
    let vk = build.vk().unwrap();
    pipeline::verify_with(build, file, &prover.params, &vk, pipeline::ModelCheck::AnyOfFamily).is_ok()
}

fn with_instance(file: &ProofFile, index: usize, value: Fr) -> ProofFile {
    let mut f = file.clone();
    f.instances[index] = fr_hex(&value);
    f
}

/// Nudges one input value by one fixed-point step.
fn nudged(inputs: &[Vec<i128>]) -> Vec<Vec<i128>> {
    let mut other = inputs.to_vec();
    other[0][0] += 1;
    other
}

fn check_hashed_inputs(model: &str) {
    let (_dir, build, prover, inputs) = setup(&test_model_or_example(model), hashed(true, false));
    assert_eq!(build.public().visibility.input, Visibility::Hashed);
    let block = &build.public().blocks[0];
    assert_eq!((block.side, block.len, block.commitment.is_some()), (Side::Input, 1, true));
    let salt = Fr::from(0x5a17u64);
    let (file, _) = prove(&build, &prover, &inputs, salt);
    // The exposed commitment is the one anyone recomputes from the values and the salt.
    let pinned = input_commitment(&build, &inputs, salt).unwrap();
    assert_eq!(file.instances[0], fr_hex(&pinned));
    assert!(verifies_in_rust(&build, &prover, &file));
    pipeline::check_public_inputs(&build, &file, &inputs, salt).unwrap();
    assert!(pipeline::check_public_inputs(&build, &file, &inputs, Fr::ZERO).is_err(), "another salt");
    let verifier = compile_verifier(&build).unwrap();
    assert!(verify_evm(&verifier, &file));

    // One private input differs: the honest proof of it carries another commitment, so against
    // the pinned one it fails, in Rust and in the EVM.
    let other = nudged(&inputs);
    let (forged, _) = prove(&build, &prover, &other, salt);
    assert_ne!(forged.instances[0], file.instances[0]);
    assert!(verifies_in_rust(&build, &prover, &forged), "a proof of other inputs is valid for its own commitment");
    let against_pin = with_instance(&forged, 0, pinned);
    assert!(!verifies_in_rust(&build, &prover, &against_pin));
    assert!(!verify_evm(&verifier, &against_pin));
    assert!(pipeline::check_public_inputs(&build, &forged, &inputs, salt).is_err());
    // And the honest proof does not verify for any other commitment.
    let shifted = with_instance(&file, 0, pinned + Fr::ONE);
    assert!(!verifies_in_rust(&build, &prover, &shifted));
    assert!(!verify_evm(&verifier, &shifted));
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
    let (file, outputs) = prove(&build, &prover, &inputs, salt);
    assert!(file.outputs.is_empty() && file.outputs_fixed.is_empty(), "hashed outputs stay out of the proof file");
    let at = build.public().commitment(Side::Output).unwrap().offset;
    let pinned = commit_values(&outputs, salt, Side::Output);
    assert_eq!(file.instances[at], fr_hex(&pinned));
    let verified = pipeline::verify(&build, &file, &prover.params, &build.vk().unwrap()).unwrap();
    assert_eq!(verified.output_commitment, Some(pinned));
    assert!(verified.outputs.is_empty());
    // Claiming other outputs means another commitment: refused.
    let mut other = outputs.clone();
    other[0][0] += 1;
    let claimed = with_instance(&file, at, commit_values(&other, salt, Side::Output));
    assert!(!verifies_in_rust(&build, &prover, &claimed));
    let verifier = compile_verifier(&build).unwrap();
    assert!(verify_evm(&verifier, &file));
    assert!(!verify_evm(&verifier, &claimed));

    // The prover's private file opens the commitment: its values and side salt hash to it, and
    // the side salt is not the input file's salt.
    let proof = file.parse().unwrap();
    let private = zkinfer::artifacts::PrivateOutputs::of(build.public(), &proof, &outputs, salt).unwrap();
    assert_eq!(private.output_commitment, Some(fr_hex(&pinned)));
    assert_eq!(private.outputs_fixed, outputs);
    assert_ne!(private.output_salt, fr_hex(&salt));
    let mut opened: Vec<Fr> = outputs.iter().flatten().map(|&v| zkinfer::encoding::field::fe(v)).collect();
    opened.push(zkinfer::artifacts::parse_fr_hex(&private.output_salt).unwrap());
    assert_eq!(zkinfer::encoding::poseidon::native_hash(&opened), pinned);
}

#[test]
fn both_sides_hashed() {
    let (_dir, build, prover, inputs) = setup(&test_model("matmul_sigmoid"), hashed(true, true));
    assert_eq!(build.public().num_instances, 2);
    let (file, outputs) = prove(&build, &prover, &inputs, Fr::from(7u64));
    assert_eq!(file.instances[0], fr_hex(&input_commitment(&build, &inputs, Fr::from(7u64)).unwrap()));
    assert_eq!(file.instances[1], fr_hex(&commit_values(&outputs, Fr::from(7u64), Side::Output)));
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
    let options = CalibrationOptions {
        visibility: Visibilities { params: ParamVisibility::Hashed, ..Visibilities::default() },
        ..CalibrationOptions::default()
    };
    let (_dir, build, prover, inputs) = setup(&test_model("gemm_relu"), options);
    assert!(build.public().visibility.hashed_params());
    let block = build.public().commitment(Side::Params).unwrap();
    let at = block.offset;
    assert_eq!(block.values, build.qgraph.param_values().len());
    let pinned = commit_params(&build.qgraph.param_values());
    assert_eq!(build.settings.param_commitment.as_deref(), Some(fr_hex(&pinned).as_str()));
    let (file, _) = prove(&build, &prover, &inputs, Fr::ZERO);
    assert_eq!(file.instances[at], fr_hex(&pinned), "the proof exposes the model's commitment");
    let verified = pipeline::verify(&build, &file, &prover.params, &build.vk().unwrap()).unwrap();
    assert_eq!(verified.param_commitment, Some(pinned));
    let verifier = compile_verifier(&build).unwrap();
    assert!(verify_evm(&verifier, &file));

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
    let (theirs, _) = prove(&other, &prover, &inputs, Fr::ZERO);
    let other_pin = commit_params(&other.qgraph.param_values());
    assert_ne!(other_pin, pinned);
    assert_eq!(theirs.instances[at], fr_hex(&other_pin));
    assert!(verifies_for_family(&build, &prover, &theirs));
    assert!(!verifies_in_rust(&build, &prover, &theirs), "but it is not a proof of the build's own model");
    assert!(verify_evm(&verifier, &theirs));
    // ...and against the pinned model's commitment it fails, in Rust and in the EVM.
    let against_pin = with_instance(&theirs, at, pinned);
    assert!(!verifies_for_family(&build, &prover, &against_pin));
    assert!(!verify_evm(&verifier, &against_pin));
}

/// Hashed parameters of a tree ensemble: the thresholds are committed with the leaf values, so a
/// model with one threshold moved keeps the verifying key but not the commitment.
#[test]
fn hashed_params_commit_tree_thresholds() {
    let options = CalibrationOptions {
        visibility: Visibilities { params: ParamVisibility::Hashed, ..Visibilities::default() },
        ..CalibrationOptions::default()
    };
    let model = common::root().join("tests/models/exported/sklearn_gbr");
    let (_dir, build, prover, inputs) = setup(&model, options);
    let at = build.public().commitment(Side::Params).unwrap().offset;
    let pinned = commit_params(&build.qgraph.param_values());
    let (file, _) = prove(&build, &prover, &inputs, Fr::ZERO);
    assert_eq!(file.instances[at], fr_hex(&pinned));
    assert!(verifies_in_rust(&build, &prover, &file));
    let verifier = compile_verifier(&build).unwrap();
    assert!(verify_evm(&verifier, &file));

    let mut other = Build::open(build.dir.as_path()).unwrap();
    let moved = other.qgraph.nodes.iter_mut().find_map(|n| match &mut n.op {
        zkinfer::quantise::qgraph::QOp::TreeLeaves { forest, .. } => {
            forest.trees[0].nodes.iter_mut().find_map(|node| match node {
                zkinfer::model::tree::TreeNode::Branch { test: zkinfer::model::tree::QSplit::Below(c), .. } => Some(c),
                _ => None,
            })
        }
        _ => None,
    });
    *moved.expect("a BRANCH_LEQ decision") += 1;
    assert_ne!(commit_params(&other.qgraph.param_values()), pinned, "thresholds are in the commitment");
    let (theirs, _) = prove(&other, &prover, &inputs, Fr::ZERO);
    assert!(verifies_for_family(&build, &prover, &theirs), "same architecture, same verifying key");
    assert!(!verifies_in_rust(&build, &prover, &theirs), "but not the build's own model");
    assert!(!verify_evm(&verifier, &with_instance(&theirs, at, pinned)));
}
