//! The lending vault's shipped risk model compiles with its calibration states, proves, verifies in
//! Rust and in the EVM, and stays close to the float model.

mod common;

use zkinfer::model::input_file::read_inputs;
use zkinfer::pipeline::{self, Prover};
use zkinfer::testing::evm_fixtures::{build_vault_model, vault_calibration};

#[test]
fn vault_risk_model_proves_and_verifies_on_chain() {
    common::init_cache();
    let out = tempfile::tempdir().unwrap();
    // Compiles with every calibration state and requires scale 7 and two instances (4 features in
    // one word, 2 outputs in another), as the vault contract expects.
    let build = build_vault_model(out.path()).unwrap();
    for o in &build.settings.calibration.outputs {
        assert!(o.max_abs_error < 0.02, "quantised risk outputs drift: {}", o.max_abs_error);
    }
    assert_eq!(build.settings.input_shapes, vec![vec![1, 4]]);
    let calibration = vault_calibration();
    let prover = Prover::load(&build).unwrap();
    // The sample state and the most extreme one (every feature at its range end).
    for input in [&calibration[0], &calibration[2]] {
        let inputs = build.scale().quantise(&read_inputs(input).unwrap().values);
        let proof = pipeline::prove(&build, &prover, &inputs, Default::default()).unwrap().file;
        let vk = build.vk().unwrap();
        pipeline::verify(&build, &proof, &prover.params, &vk).unwrap();
        let y = &proof.outputs[0];
        assert!(y.iter().all(|v| (0.0..=1.0).contains(v)), "sigmoid outputs: {y:?}");
    }
    let inputs = build.scale().quantise(&read_inputs(&calibration[0]).unwrap().values);
    let proof = pipeline::prove(&build, &prover, &inputs, Default::default()).unwrap().proof;
    let evm = pipeline::verify_evm(&pipeline::verifier_contract::compile_verifier(&build).unwrap(), &proof).unwrap();
    assert!(evm.valid, "{:?}", evm.error);
}
