//! End to end through the library: every operator model compiles, proves and verifies, the proved
//! outputs track the float model, and tampered proofs, instances and cross-model proofs are
//! rejected.

mod common;

use common::*;
use zkinfer::encoding::{Side, Visibilities, Visibility};
use zkinfer::error::ErrorKind;
use zkinfer::pipeline::{self, CalibrationOptions};

/// The operator-coverage models (see src/testing/test_models.rs for what each one exercises).
const MODELS: &[&str] =
    &["gemm_relu", "matmul_sigmoid", "arith_broadcast", "conv_pool", "conv_strided", "reshape_constant"];

fn check_valid_and_tampering(name: &str, options: CalibrationOptions) {
    let p = compile_setup_prove(&test_model(name), options);
    let vk = p.build.vk().unwrap();
    let params = &p.prover.params;
    let ok = pipeline::verify(&p.build, &p.proof, params, &vk);
    assert!(ok.is_ok(), "{name}: valid proof rejected: {:?}", ok.err());

    // Quantised outputs track the float model.
    let report = &p.build.settings.calibration.outputs;
    for (o, proved) in report.iter().zip(&p.proof.outputs) {
        for (f, q) in o.float_sample.iter().zip(proved) {
            assert!((f - q).abs() < 0.02 + 0.02 * f.abs(), "{name}: float {f} vs proved {q}");
        }
    }

    // One flipped byte anywhere in a few positions across the proof.
    let bytes = hex::decode(&p.proof.proof[2..]).unwrap();
    for pos in [0, 31, 64, bytes.len() / 2, bytes.len() - 1] {
        let mut bad = bytes.clone();
        bad[pos] ^= 0x01;
        let mut file = p.proof.clone();
        file.proof = format!("0x{}", hex::encode(&bad));
        let err = pipeline::verify(&p.build, &file, params, &vk).expect_err("flipped byte accepted");
        assert_eq!(err.kind, ErrorKind::InvalidProof, "{name}: {err}");
    }

    // Truncated and extended proofs.
    for bad in [bytes[..bytes.len() - 32].to_vec(), [bytes.clone(), vec![0u8; 32]].concat()] {
        let mut file = p.proof.clone();
        file.proof = format!("0x{}", hex::encode(&bad));
        assert!(pipeline::verify(&p.build, &file, params, &vk).is_err(), "{name}: resized proof accepted");
    }

    // A different instance (the last one: an output if outputs are public), with outputs to match.
    if !p.proof.instances.is_empty() {
        let mut file = p.proof.clone();
        let last = file.instances.len() - 1;
        let mut word = hex::decode(&file.instances[last][2..]).unwrap();
        word[31] ^= 0x02;
        file.instances[last] = format!("0x{}", hex::encode(&word));
        if p.build.public().visibility.output == Visibility::Public && p.build.public().packing.is_none() {
            let v = zkinfer::encoding::field::to_i128(
                &zkinfer::encoding::field::fr_from_be_bytes(&word.clone().try_into().unwrap()).unwrap(),
            )
            .unwrap();
            let lo = file.outputs.len() - 1;
            let li = file.outputs[lo].len() - 1;
            file.outputs[lo][li] = p.build.scale().to_float(v);
            file.outputs_fixed[lo][li] = v as i64;
        }
        let err = pipeline::verify(&p.build, &file, params, &vk).expect_err("changed instance accepted");
        assert_eq!(err.kind, ErrorKind::InvalidProof);
    }
}

#[test]
fn every_operator_model_proves_and_rejects_tampering() {
    for name in MODELS {
        check_valid_and_tampering(name, CalibrationOptions::default());
    }
}

#[test]
fn private_inputs_and_private_outputs() {
    let private = |input, output| CalibrationOptions {
        visibility: Visibilities { input, output, ..Visibilities::default() },
        ..CalibrationOptions::default()
    };
    check_valid_and_tampering("gemm_relu", private(Visibility::Private, Visibility::Public));
    let p = compile_setup_prove(&test_model("conv_pool"), private(Visibility::Public, Visibility::Private));
    let blocks = &p.build.public().blocks;
    assert!(
        blocks.len() == 1 && blocks[0].side == Side::Input && blocks[0].values == 36,
        "only the 6x6 input is public"
    );
    assert_eq!(p.proof.instances.len(), blocks[0].len);
    let vk = p.build.vk().unwrap();
    pipeline::verify(&p.build, &p.proof, &p.prover.params, &vk).unwrap();
}

#[test]
fn claimed_outputs_must_match_the_proven_instances() {
    let p = compile_setup_prove(&test_model("gemm_relu"), CalibrationOptions::default());
    let vk = p.build.vk().unwrap();
    let mut file = p.proof.clone();
    file.outputs[0][0] += 0.5;
    let err = pipeline::verify(&p.build, &file, &p.prover.params, &vk).unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidProof);
    assert!(err.message.contains("do not match"), "{err}");
}

#[test]
fn a_proof_for_one_model_is_rejected_by_another() {
    let a = compile_setup_prove(&test_model("gemm_relu"), CalibrationOptions::default());
    let b = compile_setup_prove(&test_model("matmul_sigmoid"), CalibrationOptions::default());
    let vk_b = b.build.vk().unwrap();
    // Through the file check (digest mismatch)...
    assert!(pipeline::verify(&b.build, &a.proof, &b.prover.params, &vk_b).is_err());
    // ...and through the proof system itself, digests aside.
    let mut forged = a.proof.clone();
    forged.vk_digest = b.proof.vk_digest.clone();
    forged.instances.resize(b.proof.instances.len(), b.proof.instances[0].clone());
    forged.outputs = b.proof.outputs.clone();
    for (i, inst) in b.proof.instances.iter().enumerate().skip(6) {
        forged.instances[i] = inst.clone();
    }
    let err = pipeline::verify(&b.build, &forged, &b.prover.params, &vk_b).unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidProof);
}

#[test]
fn inputs_outside_the_calibrated_range_are_an_error_naming_the_layer() {
    let p = compile_setup_prove(&test_model("gemm_relu"), CalibrationOptions::default());
    let huge: Vec<Vec<i128>> = p.fixed.iter().map(|v| v.iter().map(|x| x * 1000).collect()).collect();
    let err = pipeline::prove(&p.build, &p.prover, &huge, Default::default()).map(|_| ()).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Input);
    assert!(err.message.contains("outside the circuit's range"), "{err}");
    assert!(err.message.contains("layer '"), "{err}");
}

#[test]
fn verify_reports_only_what_the_proof_binds() {
    let p = compile_setup_prove(&test_model("gemm_relu"), CalibrationOptions::default());
    let vk = p.build.vk().unwrap();
    let v = pipeline::verify(&p.build, &p.proof, &p.prover.params, &vk).unwrap();
    assert!(v.insecure_srs, "dev SRS keys are flagged");
    assert_eq!(p.build.scale().dequantise(&v.outputs), p.proof.outputs);
    let scale = p.build.scale();
    for (&bound, given) in v.inputs[0].iter().zip(&p.inputs[0]) {
        let bound = scale.to_float(bound);
        assert!((bound - given).abs() <= 0.5 / scale.unit(), "bound input {bound} vs given {given}");
    }
    pipeline::check_public_inputs(&p.build, &p.proof, &p.fixed, Default::default()).unwrap();
    let mut other = p.fixed.clone();
    other[0][0] += scale.one() / 4;
    let err = pipeline::check_public_inputs(&p.build, &p.proof, &other, Default::default()).unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidProof);

    // Extra claimed output values, or a changed fixed-point claim, are rejected.
    let mut extra = p.proof.clone();
    extra.outputs[0].push(1337.0);
    assert!(pipeline::verify(&p.build, &extra, &p.prover.params, &vk).is_err());
    let mut fixed = p.proof.clone();
    fixed.outputs_fixed[0][0] += 1;
    assert!(pipeline::verify(&p.build, &fixed, &p.prover.params, &vk).is_err());
    let mut more = p.proof.clone();
    more.outputs.push(vec![42.0]);
    assert!(pipeline::verify(&p.build, &more, &p.prover.params, &vk).is_err());
}

#[test]
fn private_outputs_are_not_written_to_the_proof_file() {
    let opts = CalibrationOptions {
        visibility: Visibilities { output: Visibility::Private, ..Visibilities::default() },
        ..CalibrationOptions::default()
    };
    let p = compile_setup_prove(&test_model("gemm_relu"), opts);
    assert!(p.proof.outputs.is_empty() && p.proof.outputs_fixed.is_empty());
    let vk = p.build.vk().unwrap();
    let v = pipeline::verify(&p.build, &p.proof, &p.prover.params, &vk).unwrap();
    assert!(v.outputs.is_empty());
    let mut claims = p.proof.clone();
    claims.outputs = vec![vec![0.1, 0.2, 0.3]];
    assert!(pipeline::verify(&p.build, &claims, &p.prover.params, &vk).is_err(), "unbound claims rejected");
}

#[test]
fn unpacked_instances_one_per_value() {
    let opts = CalibrationOptions { pack_instances: false, ..CalibrationOptions::default() };
    let p = compile_setup_prove(&test_model("conv_pool"), opts);
    assert_eq!(p.proof.instances.len(), 36 + 2, "6x6 input and two outputs, one instance each");
    let vk = p.build.vk().unwrap();
    let v = pipeline::verify(&p.build, &p.proof, &p.prover.params, &vk).unwrap();
    assert_eq!(p.build.scale().dequantise(&v.outputs), p.proof.outputs);
    pipeline::check_public_inputs(&p.build, &p.proof, &p.fixed, Default::default()).unwrap();
}

#[test]
fn packed_instances_decode_to_the_same_values() {
    let p = compile_setup_prove(&test_model("conv_pool"), CalibrationOptions::default());
    let packing = p.build.public().packing.expect("packing is the default");
    assert_eq!(p.proof.instances.len(), packing.words(36) + packing.words(2));
    let vk = p.build.vk().unwrap();
    let v = pipeline::verify(&p.build, &p.proof, &p.prover.params, &vk).unwrap();
    assert_eq!(p.build.scale().dequantise(&v.outputs), p.proof.outputs);
    assert_eq!(v.inputs[0].len(), 36);
    pipeline::check_public_inputs(&p.build, &p.proof, &p.fixed, Default::default()).unwrap();
    let mut other = p.fixed.clone();
    other[0][35] -= p.build.scale().one() / 2;
    assert!(pipeline::check_public_inputs(&p.build, &p.proof, &other, Default::default()).is_err());
}
