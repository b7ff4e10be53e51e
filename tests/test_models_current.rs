//! Guards the checked-in fixture models: they must match the generator byte for byte, and tract
//! must be able to load and run every one of them. If tract cannot run a fixture, any failure in
//! the end-to-end tests would be ambiguous between a bad fixture and a lowering bug.

use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use tract_onnx::prelude::*;
use zkinfer::testing::test_models::{
    demo_models, test_models, write_all, ModelCase, DEMO_DIR, INPUT_FILE, NETWORK_FILE, TESTS_DIR,
};

const REGEN_HINT: &str = "run `cargo run --release --example gen_test_models` to regenerate";

fn crate_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every model paired with the checked-in directory it should live in.
fn checked_in() -> Vec<(ModelCase, PathBuf)> {
    let root = crate_root();
    let tests = test_models().into_iter().map(|m| (root.join(TESTS_DIR).join(m.name), m));
    let demo = demo_models().into_iter().map(|m| (root.join(DEMO_DIR).join(m.name), m));
    tests.chain(demo).map(|(dir, m)| (m, dir)).collect()
}

#[test]
fn checked_in_models_match_generator() {
    let tmp = tempfile::tempdir().unwrap();
    let (tests_dir, demo_dir) = (tmp.path().join("tests"), tmp.path().join("demo"));
    let written = write_all(&tests_dir, &demo_dir).unwrap();
    let expected = checked_in();
    assert_eq!(written.len(), expected.len());

    for (fresh_dir, (model, stored_dir)) in written.iter().zip(&expected) {
        assert!(fresh_dir.ends_with(model.name));
        for file in [NETWORK_FILE, INPUT_FILE] {
            let fresh = fs::read(fresh_dir.join(file)).unwrap();
            let stored = fs::read(stored_dir.join(file))
                .unwrap_or_else(|e| panic!("{}: {e}; {REGEN_HINT}", stored_dir.join(file).display()));
            assert!(fresh == stored, "{} is stale; {REGEN_HINT}", stored_dir.join(file).display());
        }
    }
}

#[test]
fn generation_is_deterministic() {
    let a = test_models().into_iter().chain(demo_models());
    let b = test_models().into_iter().chain(demo_models());
    for (x, y) in a.zip(b) {
        assert_eq!(x.onnx, y.onnx, "{}", x.name);
        assert_eq!(x.input_json(), y.input_json(), "{}", x.name);
    }
}

#[derive(Deserialize)]
struct InputJson {
    input_data: Vec<Vec<f32>>,
}

/// Runs a model on its checked-in input and returns the single output's shape and values.
fn run_with_tract(model: &ModelCase, dir: &Path) -> TractResult<(Vec<usize>, Vec<f32>)> {
    let input: InputJson = serde_json::from_slice(&fs::read(dir.join(INPUT_FILE))?)?;
    assert_eq!(input.input_data.len(), model.input_shapes.len(), "{}", model.name);

    let mut graph = tract_onnx::onnx().model_for_path(dir.join(NETWORK_FILE))?;
    let mut values = TVec::new();
    for (i, (shape, data)) in model.input_shapes.iter().zip(&input.input_data).enumerate() {
        assert!(data.iter().all(|v| (-1.0..=1.0).contains(v)), "{}: input {i} outside [-1, 1]", model.name);
        graph.set_input_fact(i, f32::fact(shape).into())?;
        values.push(Tensor::from_shape(shape, data)?.into_tvalue());
    }
    let plan = graph.into_optimized()?.into_runnable()?;
    let mut outputs = plan.run(values)?;
    assert_eq!(outputs.len(), 1, "{}", model.name);
    let out = outputs.remove(0).into_tensor().into_plain_array::<f32>()?;
    Ok((out.shape().to_vec(), out.iter().copied().collect()))
}

#[test]
fn tract_runs_every_model() {
    for (model, dir) in checked_in() {
        let (shape, values) =
            run_with_tract(&model, &dir).unwrap_or_else(|e| panic!("tract failed on {}: {e:?}", model.name));
        assert_eq!(shape, model.output_shape, "{}", model.name);
        assert!(values.iter().all(|v| v.is_finite()), "{}: non-finite output {values:?}", model.name);
        println!("{}: {:?} -> {values:?}", model.name, model.output_shape);
    }
}

/// The lowering's "unsupported op" test relies on this model being otherwise valid, so the
/// rejection it sees must come from zkinfer, not from tract.
#[test]
fn unsupported_sin_is_valid_onnx() {
    let model = test_models().into_iter().find(|m| m.name == "unsupported_sin").unwrap();
    let dir = crate_root().join(TESTS_DIR).join(model.name);
    let (_, values) = run_with_tract(&model, &dir).unwrap();
    for (y, x) in values.iter().zip(&model.inputs[0]) {
        assert!((*y as f64 - x.sin()).abs() < 1e-5, "sin({x}) = {y}");
    }
}
