//! EZKL's example models (from ../shared/models/ezkl-examples): zkinfer must compile, prove and
//! verify each with its own input.json, and stay close to the float outputs EZKL users expect.
//! Skips, saying so, when the shared folder is absent (e.g. a clone without ../shared).

mod common;

use std::path::PathBuf;

use common::{compile_setup_prove, proof_parts};
use zkinfer::evm::calldata::{decode_verify_return, encode_verify_words};
use zkinfer::evm::runner::Evm;
use zkinfer::pipeline;
use zkinfer::pipeline::CalibrationOptions;

fn shared_models() -> Option<PathBuf> {
    let dir = common::root().join("../shared/models/ezkl-examples");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("SKIPPED: {} not found; EZKL example models are not available here", dir.display());
        None
    }
}

/// The small models; lenet_5 is covered by `make bench-ezkl` (minutes, not seconds).
const SMALL: &[&str] =
    &["1l_conv", "1l_mlp", "1l_relu", "1l_sigmoid", "2l_relu_fc", "2l_relu_sigmoid", "4l_relu_conv_fc"];

#[test]
fn ezkl_example_models_prove_and_verify() {
    let Some(dir) = shared_models() else { return };
    for name in SMALL {
        let p = compile_setup_prove(&dir.join(name), CalibrationOptions::default());
        let vk = p.build.vk().unwrap();
        pipeline::verify(&p.build, &p.proof, &p.prover.params, &vk)
            .unwrap_or_else(|e| panic!("{name}: valid proof rejected: {e}"));
        // The default error budget: 0.05% of each output's range on the calibration sample.
        let c = &p.build.settings.calibration;
        assert!(c.budget_met, "{name}: {}", c.advice.as_deref().unwrap_or("budget missed"));
        for o in &c.outputs {
            let range = o.max_abs_value.max(0.01);
            assert!(o.max_abs_error <= 5e-4 * range, "{name}: output error {} of range {range}", o.max_abs_error);
        }
        assert!(p.build.settings.k <= 14, "{name}: k={} (small models should stay small)", p.build.settings.k);

        // The generated verifier, in the EVM: accepts the proof, rejects every altered word.
        let verifier = pipeline::verifier_contract::compile_verifier(&p.build).unwrap();
        let mut evm = Evm::new();
        let address = verifier.deploy(&mut evm).unwrap().address;
        let (proof, instances) = proof_parts(&p.proof);
        let mut accepts = |proof: &[u8], instances: &[[u8; 32]]| {
            let out = evm.call(address, encode_verify_words(proof, instances)).unwrap();
            out.success && decode_verify_return(&out.output) == Some(true)
        };
        assert!(accepts(&proof, &instances), "{name}: EVM verifier rejected a valid proof");
        for word in 0..proof.len() / 32 {
            let mut bad = proof.clone();
            bad[word * 32 + 31] ^= 1;
            assert!(!accepts(&bad, &instances), "{name}: altered word {word} accepted");
        }
        let mut wrong = instances.clone();
        wrong[0][31] ^= 1;
        assert!(!accepts(&proof, &wrong), "{name}: altered instance accepted");
    }
}

/// The digit classifiers, on hold-out digits they were not calibrated on (scikit-learn's
/// handwritten digits, `scripts/gen_digits_holdout.py`): the circuit's argmax agrees with the float
/// model's on every sample, no sample leaves the circuit's range, and tract's float model (the
/// reference `eval` uses) agrees with onnxruntime's outputs stored beside the samples. The
/// example models are untrained (their float argmax rarely matches the label), so agreement with
/// the float model, not accuracy, is what is measured.
#[test]
fn digit_classifiers_agree_with_the_float_model_on_every_holdout_sample() {
    use zkinfer::artifacts::Build;
    use zkinfer::model::input_file::read_samples;
    use zkinfer::pipeline::eval::{evaluate, reference_for};

    let Some(dir) = shared_models() else { return };
    for name in ["4l_relu_conv_fc", "lenet_5"] {
        let holdout = common::root().join(format!("tests/models/holdout/digits-{name}.json"));
        let tmp = tempfile::tempdir().unwrap();
        let (onnx, calibration) = (dir.join(name).join("network.onnx"), [dir.join(name).join("input.json")]);
        common::compile_model(&onnx, &calibration, CalibrationOptions::default(), tmp.path());
        let build = Build::open(tmp.path()).unwrap();
        let reference = reference_for(&build, None).unwrap();
        let samples = read_samples(&holdout, 1).unwrap();
        assert_eq!(samples.len(), 40, "{name}");

        let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&holdout).unwrap()).unwrap();
        for (i, (sample, ort)) in samples.iter().zip(doc["onnxruntime_outputs"].as_array().unwrap()).enumerate() {
            let float = reference.run(sample).unwrap();
            for (a, b) in float[0].iter().zip(ort.as_array().unwrap()) {
                assert!((a - b.as_f64().unwrap()).abs() < 1e-4, "{name} sample {i}: tract {a} vs onnxruntime {b}");
            }
        }

        let report = evaluate(&(&build).into(), &reference, &samples).unwrap();
        assert_eq!(report.out_of_range, 0, "{name}: {:?}", report.first_out_of_range);
        let o = &report.outputs[0];
        assert_eq!(o.argmax_agree, Some(40), "{name}: argmax agreement on the hold-out digits");
        assert!(o.max_rel_error <= 1e-3, "{name}: hold-out error {} of the range", o.max_rel_error);
    }
}
