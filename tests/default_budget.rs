//! With default flags, every bundled and test model compiles within the default error budget
//! (0.05% of each output's range) on its calibration samples: precision no longer needs flags.

mod common;

use std::path::{Path, PathBuf};

use common::{compile_model, root};
use zkinfer::pipeline::CalibrationOptions;

/// `network.onnx` with `input.json` and any `calibration/*.json` beside it.
fn calibration_of(dir: &Path) -> Vec<PathBuf> {
    let mut files = vec![dir.join("input.json")];
    if let Ok(entries) = std::fs::read_dir(dir.join("calibration")) {
        let mut more: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
        more.sort();
        files.extend(more);
    }
    files
}

#[test]
fn every_bundled_and_test_model_meets_the_default_budget() {
    let mut dirs: Vec<PathBuf> = ["examples/models/demo_mlp", "examples/defi-vault/model", "examples/aigc-nft/model"]
        .iter()
        .map(|d| root().join(d))
        .collect();
    let mut tests: Vec<PathBuf> = std::fs::read_dir(root().join("tests/models"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("network.onnx").is_file() && !p.ends_with("unsupported_sin"))
        .collect();
    tests.sort();
    dirs.extend(tests);
    assert!(dirs.len() >= 9, "{dirs:?}");
    for dir in dirs {
        let tmp = tempfile::tempdir().unwrap();
        let settings =
            compile_model(&dir.join("network.onnx"), &calibration_of(&dir), CalibrationOptions::default(), tmp.path());
        let c = &settings.calibration;
        println!(
            "{}: k={} scale 2^-{} error {:.4}%",
            dir.display(),
            settings.k,
            settings.public.scale.bits(),
            c.outputs.iter().map(|o| o.max_rel_error).fold(0.0, f64::max) * 100.0
        );
        assert!(c.budget_met, "{}: {}", dir.display(), c.advice.as_deref().unwrap_or(""));
        for o in &c.outputs {
            assert!(o.max_rel_error <= 5e-4, "{}: '{}' at {}", dir.display(), o.name, o.max_rel_error);
        }
    }
}
