//! `zkinfer eval` and `compile --holdout`: the float model against the circuit's integer semantics
//! on many samples, on a regressor and a classifier, with a sample that leaves the circuit's range.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;
use zkinfer::artifacts::Build;
use zkinfer::model::input_file::{read_inputs, write_inputs};
use zkinfer::pipeline::eval::{evaluate, reference_for};
use zkinfer::pipeline::CalibrationOptions;

fn compile(model: &str, out: &Path) -> Build {
    let dir = test_model(model);
    compile_model(&dir.join("network.onnx"), &[dir.join("input.json")], CalibrationOptions::default(), out);
    Build::open(out).unwrap()
}

/// `n` samples near the model's own input: each value scaled by a factor in [0.5, 1.0] and nudged,
/// deterministic (a linear congruential generator), so every sample stays in the calibrated range.
fn samples_near(model: &str, n: usize) -> Vec<Vec<Vec<f64>>> {
    let base = read_inputs(&test_model(model).join("input.json")).unwrap().values;
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..n)
        .map(|_| {
            base.iter().map(|t| t.iter().map(|x| x * (0.5 + 0.5 * next()) + 0.01 * (next() - 0.5)).collect()).collect()
        })
        .collect()
}

#[test]
fn eval_on_a_regressor_counts_a_sample_that_leaves_the_range() {
    let tmp = tempfile::tempdir().unwrap();
    let build = compile("gemm_relu", tmp.path());
    let reference = reference_for(&build, None).unwrap();
    let mut samples = samples_near("gemm_relu", 200);
    let huge: Vec<Vec<f64>> = samples[0].iter().map(|t| t.iter().map(|x| x * 1000.0).collect()).collect();
    samples.push(huge);
    let report = evaluate(&(&build).into(), &reference, &samples).unwrap();
    assert_eq!((report.samples, report.out_of_range, report.evaluated()), (201, 1, 200));
    let first = report.first_out_of_range.as_deref().unwrap();
    assert!(first.starts_with("sample 200:") && first.contains("layer '"), "{first}");
    for o in &report.outputs {
        assert_eq!(o.histogram.iter().sum::<usize>(), o.values * 200, "every value of every sample is binned");
        assert!(o.max_rel_error < 0.05, "'{}': {}", o.name, o.max_rel_error);
        assert!(o.mean_abs_error <= o.max_abs_error);
        assert_eq!(o.argmax_agree.is_some(), o.values > 1);
    }

    // On the calibration sample alone, eval (tract's float) finds the error calibration reported
    // (zkinfer's own float lowering): two floats, one circuit.
    let own = read_inputs(&test_model("gemm_relu").join("input.json")).unwrap().values;
    let single = evaluate(&(&build).into(), &reference, &[own]).unwrap();
    for (e, c) in single.outputs.iter().zip(&build.settings.calibration.outputs) {
        assert!((e.max_abs_error - c.max_abs_error).abs() < 1e-4, "{} vs {}", e.max_abs_error, c.max_abs_error);
    }
}

#[test]
fn eval_on_a_classifier_reports_argmax_agreement() {
    let tmp = tempfile::tempdir().unwrap();
    let build = compile("conv_pool", tmp.path());
    let reference = reference_for(&build, None).unwrap();
    let report = evaluate(&(&build).into(), &reference, &samples_near("conv_pool", 100)).unwrap();
    assert_eq!(report.out_of_range, 0);
    let o = &report.outputs[0];
    assert!(o.values > 1, "conv_pool scores several classes");
    let agree = o.argmax_agree.unwrap();
    assert!(agree >= 90, "argmax agrees on only {agree}/100 samples");
}

fn zkinfer(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_zkinfer"))
        .args(args)
        .env("ZKINFER_CACHE_DIR", root().join(".zkinfer-cache"))
        .output()
        .unwrap()
}

#[test]
fn eval_and_holdout_from_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let samples = samples_near("gemm_relu", 30);
    // One input.json whose rows are samples, and the same as JSON Lines.
    let rows: Vec<Vec<f64>> = samples.iter().map(|s| s[0].clone()).collect();
    let as_rows = tmp.path().join("rows.json");
    write_inputs(&as_rows, &rows).unwrap();
    let as_lines = tmp.path().join("samples.jsonl");
    let lines: Vec<String> = samples.iter().map(|s| serde_json::json!({ "input_data": s }).to_string()).collect();
    std::fs::write(&as_lines, lines.join("\n")).unwrap();

    let out = tmp.path().join("build");
    let o = zkinfer(&[
        "compile",
        test_model("gemm_relu").join("network.onnx").to_str().unwrap(),
        "--calibrate",
        test_model("gemm_relu").join("input.json").to_str().unwrap(),
        "--holdout",
        as_rows.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("hold-out: 30 samples"));
    let settings: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("settings.json")).unwrap()).unwrap();
    assert_eq!(settings["holdout"]["samples"], 30);

    let eval = |file: &Path| {
        let o = zkinfer(&["eval", out.to_str().unwrap(), file.to_str().unwrap(), "--json"]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v["report"].clone()
    };
    let (a, b) = (eval(&as_rows), eval(&as_lines));
    assert_eq!(a, b, "both layouts are the same samples");
    assert_eq!(a, settings["holdout"], "eval reports what compile --holdout stored");
    for key in ["max_abs_error", "mean_abs_error", "range", "max_rel_error", "mean_rel_error", "histogram"] {
        assert!(!a["outputs"][0][key].is_null(), "{key}");
    }

    // A file that is neither layout is bad input.
    let bad = tmp.path().join("bad.json");
    std::fs::write(&bad, "{\"input_data\": 5}").unwrap();
    let o = zkinfer(&["eval", out.to_str().unwrap(), bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
}
