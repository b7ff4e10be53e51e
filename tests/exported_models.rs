//! The exporter fixtures (`scripts/gen_exporter_fixtures.py`, committed with onnxruntime's
//! outputs): a PyTorch-style MLP classifier, a pre-norm transformer block, a MobileNet-style
//! block and scikit-learn's MLPClassifier through skl2onnx. Each compiles with default flags, stays within 0.1% of its output range of
//! onnxruntime's float outputs on 100 hold-out samples, proves, verifies in Rust and in the EVM
//! (both reject a tampered proof), costs under 500k gas and deploys under EIP-170's 24,576 bytes.

mod common;

use std::path::Path;

use common::{compile_model, onnxruntime_outputs, proof_parts, root};
use zkinfer::artifacts::Settings;
use zkinfer::circuit::graph_layout::lay_out;
use zkinfer::evm::calldata::{decode_verify_return, encode_verify_words};
use zkinfer::evm::runner::Evm;
use zkinfer::model::graph::Op;
use zkinfer::model::input_file::{read_inputs, read_samples};
use zkinfer::model::onnx_import::import_onnx;
use zkinfer::pipeline::eval::CircuitModel;
use zkinfer::pipeline::eval::{evaluate, reference_for};
use zkinfer::pipeline::verifier_contract::{compile_verifier, verify_evm, MAX_RUNTIME_BYTES};
use zkinfer::pipeline::{self, Build, CalibrationOptions, Prover, SrsSource};

/// `max_gas`: the 500k target.
fn check(name: &str, max_gas: u64) {
    let dir = root().join("tests/models/exported").join(name);
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("build");
    let settings =
        compile_model(&dir.join("network.onnx"), &[dir.join("calibration.json")], CalibrationOptions::default(), &out);
    assert!(settings.calibration.budget_met, "{name}: {:?}", settings.calibration.advice);
    let build = Build::open(&out).unwrap();

    // tract's float model (what calibration and `eval` score against) is onnxruntime's, and the
    // circuit is within 0.1% of each output's range of onnxruntime.
    let holdout = dir.join("holdout.json");
    let samples = read_samples(&holdout, settings.input_names.len()).unwrap();
    let ort = onnxruntime_outputs(&holdout);
    assert_eq!(samples.len(), ort.len());
    let reference = reference_for(&build, None).unwrap();
    let report = evaluate(&(&build).into(), &reference, &samples).unwrap();
    assert_eq!(report.out_of_range, 0, "{name}: {:?}", report.first_out_of_range);
    let mut worst_vs_ort = 0.0f64;
    for (oi, o) in report.outputs.iter().enumerate() {
        let range = ort.iter().flat_map(|s| s[oi].iter()).fold(0.0f64, |m, v| m.max(v.abs())).max(0.01);
        for (sample, want) in samples.iter().zip(&ort) {
            let tract = &reference.run(sample).unwrap()[oi];
            for (t, w) in tract.iter().zip(&want[oi]) {
                assert!((t - w).abs() <= 1e-4 * range, "{name} '{}': tract {t}, onnxruntime {w}", o.name);
            }
        }
        let circuit_vs_ort = o.max_rel_error + 1e-4;
        worst_vs_ort = worst_vs_ort.max(circuit_vs_ort);
        assert!(
            o.max_rel_error <= 1e-3 - 1e-4,
            "{name} '{}': {:.4}% of the output range from tract",
            o.name,
            o.max_rel_error * 100.0
        );
    }

    prove_and_verify(name, &dir, &out, &settings, max_gas, worst_vs_ort);
}

/// One proof of the bundled input, verified in Rust and in the EVM; tampered, rejected by both.
fn prove_and_verify(name: &str, dir: &Path, out: &Path, settings: &Settings, max_gas: u64, worst_vs_ort: f64) {
    let build = Build::open(out).unwrap();
    pipeline::setup(&build, &SrsSource::Dev).unwrap();
    let prover = Prover::load(&build).unwrap();
    let inputs = read_inputs(&dir.join("input.json")).unwrap().values;
    let started = std::time::Instant::now();
    let proof = pipeline::prove(&build, &prover, &build.scale().quantise(&inputs), Default::default()).unwrap().file;
    let prove_time = started.elapsed();
    let vk = build.vk().unwrap();
    pipeline::verify(&build, &proof, &prover.params, &vk).unwrap_or_else(|e| panic!("{name}: rejected: {e}"));
    let verifier = compile_verifier(&build).unwrap();
    assert!(verifier.vk.is_none(), "{name}: the verifier needs a separate key contract");
    assert!(verifier.runtime_code.len() < MAX_RUNTIME_BYTES, "{name}: {} bytes", verifier.runtime_code.len());
    let evm = verify_evm(&verifier, &proof.parse().unwrap()).unwrap();
    assert!(evm.valid, "{name}: EVM rejected a valid proof: {:?}", evm.error);
    assert!(evm.gas_used < max_gas, "{name}: {} gas", evm.gas_used);
    let (bytes, instances) = proof_parts(&proof);
    let mut bad = bytes.clone();
    bad[200] ^= 1;
    let mut chain = Evm::new();
    let address = verifier.deploy(&mut chain).unwrap().address;
    let outcome = chain.call(address, encode_verify_words(&bad, &instances)).unwrap();
    assert!(
        !(outcome.success && decode_verify_return(&outcome.output) == Some(true)),
        "{name}: EVM took a tampered proof"
    );
    let mut tampered = proof.clone();
    tampered.proof = format!("0x{}", hex::encode(&bad));
    assert!(pipeline::verify(&build, &tampered, &prover.params, &vk).is_err(), "{name}: Rust took a tampered proof");
    println!(
        "{name}: k={} rows {}/{}, error {:.4}% of range vs onnxruntime (bound), prove {:.2} s (debug timing, \
         see bench/), {} gas, verifier {} bytes",
        settings.k,
        settings.rows.arithmetic,
        settings.rows.lookup,
        worst_vs_ort * 100.0,
        prove_time.as_secs_f64(),
        evm.gas_used,
        verifier.runtime_code.len()
    );
}

#[test]
fn pytorch_style_mlp_classifier() {
    check("mlp_classifier", 500_000);
}

#[test]
fn pre_norm_transformer_block() {
    check("transformer_block", 500_000);
}

/// Its 768 public input values take 55 instance words (14 per word at 17 bits, which the inputs
/// need at the activation scale), about 1,300 gas each: the most expensive of the four, 497k.
#[test]
fn mobilenet_style_block() {
    check("mobilenet_block", 500_000);
}

/// skl2onnx's MLPClassifier (`zipmap` off): a predicted label (ArgMax, ArrayFeatureExtractor over
/// the classes, Cast to int64) next to the class probabilities.
#[test]
fn sklearn_mlp_classifier() {
    check("sklearn_mlp", 500_000);
}

/// skl2onnx's StandardScaler + LogisticRegression (`zipmap` off): Scaler, LinearClassifier (label
/// and softmax probabilities) and the Normalizer skl2onnx appends.
#[test]
fn sklearn_scaler_and_logistic_regression() {
    check("sklearn_logistic", 500_000);
}

/// skl2onnx's StandardScaler + Ridge on raw (unscaled) features: Scaler and LinearRegressor.
#[test]
fn sklearn_scaler_and_ridge_regression() {
    check("sklearn_ridge", 500_000);
}

/// skl2onnx's StandardScaler + binary LogisticRegression on 30 raw features (the shape of a
/// credit-scoring model): two coefficient rows, a per-class LOGISTIC post-transform, the label.
#[test]
fn sklearn_scaler_and_binary_logistic_regression() {
    check("sklearn_binary_logistic", 500_000);
}

/// Tree fixtures: the float lowering walks the trees as onnxruntime does (same outputs on every
/// hold-out sample); the circuit reaches the float leaves on at least 99% of the 300 samples, and
/// on those it is within 0.1% of each output's range of onnxruntime.
fn check_tree(name: &str, max_gas: u64) {
    check_tree_at(&root().join("tests/models/exported").join(name), name, max_gas);
}

fn check_tree_at(dir: &Path, name: &str, max_gas: u64) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("build");
    let settings =
        compile_model(&dir.join("network.onnx"), &[dir.join("calibration.json")], CalibrationOptions::default(), &out);
    assert!(settings.calibration.budget_met, "{name}: {:?}", settings.calibration.advice);
    let trees = settings.calibration.trees.clone().expect("a tree report");
    assert!(trees.clean(), "{name}: {trees:?}");
    let build = Build::open(&out).unwrap();
    let circuit: CircuitModel = (&build).into();
    let scale = build.scale();
    let graph = import_onnx(&dir.join("network.onnx"), None).unwrap();
    let tree_nodes: Vec<(usize, usize)> = graph
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| matches!(n.op, Op::TreeLeaves { .. }))
        .map(|(i, n)| (i, circuit.qgraph.nodes.iter().position(|q| q.name == n.name).expect("tree node kept")))
        .collect();
    assert!(!tree_nodes.is_empty());
    let holdout = dir.join("holdout.json");
    let samples = read_samples(&holdout, settings.input_names.len()).unwrap();
    let ort = onnxruntime_outputs(&holdout);
    assert!(samples.len() >= 300, "{name}: {} samples", samples.len());
    let outputs = graph.outputs.len();
    let ranges: Vec<f64> = (0..outputs)
        .map(|oi| ort.iter().flat_map(|s| s[oi].iter()).fold(0.0f64, |m, v| m.max(v.abs())).max(0.01))
        .collect();
    let (mut same, mut worst_vs_ort) = (0usize, 0.0f64);
    let unit = 1i128 << scale.bits();
    for (si, (sample, want)) in samples.iter().zip(&ort).enumerate() {
        let float = graph.eval_f64(sample);
        for oi in 0..outputs {
            for (f, w) in float[graph.outputs[oi]].iter().zip(&want[oi]) {
                assert!((f - w).abs() <= 1e-5 * ranges[oi], "{name} sample {si}: float {f}, onnxruntime {w}");
            }
        }
        let layout =
            lay_out(circuit.qgraph, circuit.layout, circuit.public, Some(&scale.quantise(sample)), Default::default())
                .unwrap_or_else(|e| panic!("{name} sample {si}: {e}"));
        let on_float_leaves = tree_nodes
            .iter()
            .all(|&(fi, qi)| layout.node_values[qi].iter().zip(&float[fi]).all(|(&q, &f)| (q == unit) == (f == 1.0)));
        if !on_float_leaves {
            continue;
        }
        same += 1;
        for oi in 0..outputs {
            for (&q, w) in layout.outputs[oi].iter().zip(&want[oi]) {
                worst_vs_ort = worst_vs_ort.max((scale.to_float(q) - w).abs() / ranges[oi]);
            }
        }
    }
    assert!(same * 100 >= samples.len() * 99, "{name}: {same} of {} samples on the float leaves", samples.len());
    assert!(worst_vs_ort <= 1e-3, "{name}: {:.4}% of the output range from onnxruntime", worst_vs_ort * 100.0);
    println!("{name}: {same} of {} hold-out samples on onnxruntime's leaves, scale 2^-{}", samples.len(), scale.bits());
    prove_and_verify(name, dir, &out, &settings, max_gas, worst_vs_ort);
}

/// skl2onnx's GradientBoostingRegressor: 30 trees of depth 3 on raw features (BRANCH_LEQ, a base
/// value, SUM).
#[test]
fn sklearn_gradient_boosting_regressor() {
    check_tree("sklearn_gbr", 500_000);
}

/// skl2onnx's HistGradientBoostingRegressor: 30 binned trees of depth 3 with missing-value tracks.
#[test]
fn sklearn_hist_gradient_boosting_regressor() {
    check_tree("sklearn_hist_gbr", 500_000);
}

/// onnxmltools' LightGBM regressor: 40 trees, missing-value tracks, integer-valued features
/// tested against LightGBM's near-zero thresholds.
#[test]
fn lightgbm_regressor() {
    check_tree("lightgbm_credit", 500_000);
}

/// skl2onnx's RandomForestClassifier: 20 trees of depth 4, three classes, label and probabilities.
#[test]
fn sklearn_random_forest_classifier() {
    check_tree("sklearn_forest", 500_000);
}

/// onnxmltools' XGBoost binary classifier: BRANCH_LT, one score column with a base value, LOGISTIC
/// probabilities as `[1 - p, p]`, the label from `score > 0`.
#[test]
fn xgboost_binary_classifier() {
    check_tree("xgboost_binary", 500_000);
}

/// A PyTorch-style volatility forecaster: nn.LSTM(2, 8, batch_first=True) over 16 daily
/// (return, |return|) pairs, exported with the Transpose, zero initial-state Constants, Squeeze,
/// Gather of the last step and Gemm that torch.onnx.export writes.
#[test]
fn pytorch_lstm_forecaster() {
    check("lstm_forecaster", 500_000);
}

/// nn.GRU(1, 8, batch_first=True) over 24 daily returns (linear_before_reset, as PyTorch
/// exports it). tract 0.23 cannot run this graph, so the reference is our lowering, held to
/// onnxruntime's outputs by `check`.
#[test]
fn pytorch_gru_forecaster() {
    check("gru_forecaster", 500_000);
}

/// The vault's tree option (examples/defi-vault/tree-model): two skl2onnx GradientBoosting
/// ensembles joined by Concat and Sigmoid, held to onnxruntime like the tree fixtures.
#[test]
fn vault_tree_model() {
    check_tree_at(&root().join("examples/defi-vault/tree-model"), "vault tree model", 500_000);
}
