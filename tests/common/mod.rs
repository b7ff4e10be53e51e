//! Shared helpers for the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Once;

use zkinfer::artifacts::ProofFile;
use zkinfer::model::input_file::read_inputs;
use zkinfer::pipeline::{self, Build, CompileRequest, Prover, SrsSource};
use zkinfer::quantise::calibrate::CalibrationOptions;

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
    pub inputs: Vec<Vec<f64>>,
}

pub fn compile_setup_prove(model_dir: &Path, options: CalibrationOptions) -> Proved {
    init_cache();
    let dir = tempfile::tempdir().unwrap();
    let input = model_dir.join("input.json");
    let onnx = model_dir.join("network.onnx");
    let calibration = vec![input.clone()];
    pipeline::compile(&CompileRequest { model: &onnx, calibration: &calibration, options, out_dir: dir.path() })
        .unwrap_or_else(|e| panic!("compile {}: {e}", model_dir.display()));
    let build = Build::open(dir.path()).unwrap();
    pipeline::setup(&build, &SrsSource::Dev).unwrap();
    let prover = Prover::load(&build).unwrap();
    let inputs = read_inputs(&input).unwrap().values;
    let proof = pipeline::prove(&build, &prover, &inputs).unwrap();
    Proved { dir, build, prover, proof, inputs }
}
