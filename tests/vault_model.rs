//! The lending vault's shipped risk model compiles with its calibration states, proves, verifies in
//! Rust and in the EVM, and stays close to the float model.

mod common;

use zkinfer::model::input_file::read_inputs;
use zkinfer::pipeline::{self, Build, CompileRequest, Prover, SrsSource};
use zkinfer::quantise::calibrate::CalibrationOptions;

#[test]
fn vault_risk_model_proves_and_verifies_on_chain() {
    common::init_cache();
    let dir = common::root().join("examples/defi-vault/model");
    let mut calibration = vec![dir.join("input.json")];
    for i in 0..4 {
        calibration.push(dir.join(format!("calibration/state-{i}.json")));
    }
    let out = tempfile::tempdir().unwrap();
    let onnx = dir.join("network.onnx");
    let settings = pipeline::compile(&CompileRequest {
        model: &onnx,
        calibration: &calibration,
        options: CalibrationOptions::default(),
        out_dir: out.path(),
    })
    .unwrap();
    for o in &settings.calibration.outputs {
        assert!(o.max_abs_error < 0.02, "quantised risk outputs drift: {}", o.max_abs_error);
    }
    assert_eq!(settings.input_shapes, vec![vec![1, 4]]);
    assert_eq!(settings.num_instances, 2, "4 features in one word, 2 outputs in another");

    let build = Build::open(out.path()).unwrap();
    pipeline::setup(&build, &SrsSource::Dev).unwrap();
    let prover = Prover::load(&build).unwrap();
    // The sample state and the most extreme one (every feature at its range end).
    for input in [&calibration[0], &calibration[2]] {
        let inputs = read_inputs(input).unwrap().values;
        let proof = pipeline::prove(&build, &prover, &inputs).unwrap();
        let vk = build.vk().unwrap();
        pipeline::verify(&build, &proof, &prover.params, &vk).unwrap();
        let y = &proof.outputs[0];
        assert!(y.iter().all(|v| (0.0..=1.0).contains(v)), "sigmoid outputs: {y:?}");
    }
    let inputs = read_inputs(&calibration[0]).unwrap().values;
    let proof = pipeline::prove(&build, &prover, &inputs).unwrap();
    let evm = pipeline::verify_evm(&pipeline::compile_verifier(&build).unwrap(), &proof).unwrap();
    assert!(evm.valid, "{:?}", evm.error);
}
