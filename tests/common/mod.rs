//! Shared helpers for the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Once;

use zkinfer::artifacts::{ProofFile, Settings};
use zkinfer::model::input_file::read_inputs;
use zkinfer::pipeline::{self, Build, CalibrationOptions, CompileRequest, Prover, SrsSource};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn test_model(name: &str) -> PathBuf {
    root().join("tests/models").join(name)
}

/// Keeps development SRS files in the tree's ignored cache so test runs reuse them.
pub fn init_cache() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("ZKINFER_CACHE_DIR").is_none() {
            std::env::set_var("ZKINFER_CACHE_DIR", root().join(".zkinfer-cache"));
        }
    });
}

/// A compiled, set-up model and one proof for its bundled input.
pub struct Proved {
    pub dir: tempfile::TempDir,
    pub build: Build,
    pub prover: Prover,
    pub proof: ProofFile,
    /// The input file's values, and the same quantised as the circuit takes them.
    pub inputs: Vec<Vec<f64>>,
    pub fixed: Vec<Vec<i128>>,
}

/// Compiles `onnx` calibrated on `calibration` into `out` (no `--like`, no hold-out); a failure
/// panics naming the model.
pub fn compile_model(onnx: &Path, calibration: &[PathBuf], options: CalibrationOptions, out: &Path) -> Settings {
    init_cache();
    let req = CompileRequest { model: onnx, calibration, options, out_dir: out, like: None, holdout: None };
    pipeline::compile(&req).unwrap_or_else(|e| panic!("compile {}: {e}", onnx.display()))
}

pub fn compile_setup_prove(model_dir: &Path, options: CalibrationOptions) -> Proved {
    let dir = tempfile::tempdir().unwrap();
    let input = model_dir.join("input.json");
    compile_model(&model_dir.join("network.onnx"), std::slice::from_ref(&input), options, dir.path());
    let build = Build::open(dir.path()).unwrap();
    pipeline::setup(&build, &SrsSource::Dev).unwrap();
    let prover = Prover::load(&build).unwrap();
    let inputs = read_inputs(&input).unwrap().values;
    let fixed = build.scale().quantise(&inputs);
    let proof = pipeline::prove(&build, &prover, &fixed, Default::default()).unwrap().file;
    Proved { dir, build, prover, proof, inputs, fixed }
}

/// A proof file's bytes and instance words, for tests that alter them one by one.
pub fn proof_parts(file: &ProofFile) -> (Vec<u8>, Vec<[u8; 32]>) {
    let proof = file.parse().unwrap();
    (proof.bytes, proof.instances.iter().map(zkinfer::encoding::field::fr_to_be_bytes).collect())
}

/// onnxruntime's outputs in a fixture's holdout.json: per sample, per output, the flat values.
pub fn onnxruntime_outputs(path: &Path) -> Vec<Vec<Vec<f64>>> {
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    serde_json::from_value(doc["outputs"].clone()).unwrap()
}
