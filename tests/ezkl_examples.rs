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
