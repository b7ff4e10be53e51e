//! Every kind of bad input a user can bring, in one table, with the exit code the README promises:
//! 2 for bad input or usage, 1 for a proof that is checked and rejected. None may end in a panic
//! (exit 3) or a silent success, and every refusal says why (on stderr; a rejected proof in
//! `verify-evm` reports on stdout, where its result goes).

use std::path::Path;
use std::process::{Command, Output};
use zkinfer::artifacts::FORMAT_VERSION;

fn zkinfer(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zkinfer"))
        .args(args)
        .env("ZKINFER_CACHE_DIR", Path::new(env!("CARGO_MANIFEST_DIR")).join(".zkinfer-cache"))
        .output()
        .expect("run zkinfer")
}

fn model(name: &str, file: &str) -> String {
    format!("{}/tests/models/{name}/{file}", env!("CARGO_MANIFEST_DIR"))
}

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p.display().to_string()
}

/// A copy of a build directory with one file replaced.
fn build_with(dir: &Path, name: &str, from: &Path, file: &str, bytes: impl AsRef<[u8]>) -> String {
    let to = dir.join(name);
    std::fs::create_dir_all(&to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
    std::fs::write(to.join(file), bytes).unwrap();
    to.display().to_string()
}

#[test]
fn bad_inputs_exit_with_the_documented_code() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let onnx = model("gemm_relu", "network.onnx");
    let input = model("gemm_relu", "input.json");
    let build = t.join("build").display().to_string();
    let compile = |out: &str| zkinfer(&["compile", &onnx, "--calibrate", &input, "-o", out]);
    assert!(compile(&build).status.success());
    assert!(zkinfer(&["setup", &build, "--dev-srs"]).status.success());
    let proof = t.join("proof.json").display().to_string();
    assert!(zkinfer(&["prove", &build, &input, "-o", &proof]).status.success());
    let unset = t.join("unset").display().to_string();
    assert!(compile(&unset).status.success(), "compiled, never set up");

    // Files the table refers to.
    let settings = std::fs::read_to_string(Path::new(&build).join("settings.json")).unwrap();
    let proof_json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&proof).unwrap()).unwrap();
    let with_proof = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut p = proof_json.clone();
        f(&mut p);
        p.to_string()
    };
    let corrupt_onnx = write(t, "corrupt.onnx", b"\x08\x07not protobuf\xff\xff");
    let not_json = write(t, "not.json", "{input_data: oops");
    let short = write(t, "short.json", r#"{"input_data": [[0.1, 0.2]]}"#);
    let null = write(t, "null.json", r#"{"input_data": [[0.1, null, 0.3, 0.4]]}"#);
    let empty = write(t, "empty.json", r#"{"input_data": []}"#);
    let bad_salt = write(t, "salt.json", r#"{"input_data": [[0.1, 0.2, 0.3, 0.4]], "salt": "zz"}"#);
    let huge = write(t, "huge.json", r#"{"input_data": [[900.0, -900.0, 900.0, -900.0]]}"#);
    let other = write(t, "other.json", r#"{"input_data": [[0.5, 0.5, 0.5, 0.5]]}"#);
    let broken_settings = build_with(t, "b1", Path::new(&build), "settings.json", "{\"format_version\": 3,");
    let old_format = build_with(
        t,
        "b2",
        Path::new(&build),
        "settings.json",
        settings.replace(
            &format!("\"format_version\": {FORMAT_VERSION}"),
            &format!("\"format_version\": {}", FORMAT_VERSION - 1),
        ),
    );
    let edited_model = build_with(t, "b3", Path::new(&build), "model.json", "{}");
    let proof_not_json = write(t, "p1.json", "{not json");
    let proof_no_instances = write(
        t,
        "p2.json",
        with_proof(&|p| {
            p.as_object_mut().unwrap().remove("instances");
        }),
    );
    let proof_flipped = write(
        t,
        "p3.json",
        with_proof(&|p| {
            let h = p["proof"].as_str().unwrap().to_string();
            let flip = if &h[100..101] == "0" { "1" } else { "0" };
            p["proof"] = format!("{}{flip}{}", &h[..100], &h[101..]).into();
        }),
    );
    let proof_above_r =
        write(t, "p4.json", with_proof(&|p| p["instances"][0] = format!("0x{}", "f".repeat(64)).into()));
    let proof_missing_instance = write(
        t,
        "p5.json",
        with_proof(&|p| {
            p["instances"].as_array_mut().unwrap().pop();
        }),
    );
    let proof_bad_hex = write(t, "p6.json", with_proof(&|p| p["proof"] = "0xnothex".into()));
    let random_srs =
        write(t, "random.srs", (0..5120u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect::<Vec<_>>());
    // A .ptau header whose one section claims far more bytes than the file has (a cut download).
    let mut cut = b"ptau".to_vec();
    cut.extend(1u32.to_le_bytes().iter().chain(&1u32.to_le_bytes()).chain(&1u32.to_le_bytes()));
    cut.extend((1u64 << 40).to_le_bytes());
    cut.extend([0u8; 64]);
    let cut_ptau = write(t, "cut.ptau", cut);
    let mut other_curve = b"ptau".to_vec();
    for word in [1u32, 1, 1] {
        other_curve.extend(word.to_le_bytes());
    }
    other_curve.extend(44u64.to_le_bytes());
    other_curve.extend(32u32.to_le_bytes());
    other_curve.extend([0xabu8; 32]);
    other_curve.extend([10u32.to_le_bytes(), 10u32.to_le_bytes()].concat());
    let other_curve_ptau = write(t, "bls.ptau", other_curve);
    let (sin_onnx, sin_input) = (model("unsupported_sin", "network.onnx"), model("unsupported_sin", "input.json"));
    let missing = t.join("missing.json").display().to_string();
    let out = t.join("out.json").display().to_string();

    let cases: Vec<(&str, Vec<&str>, i32)> = vec![
        // ONNX models
        ("missing ONNX file", vec!["compile", &missing, "--calibrate", &input, "-o", &out], 2),
        ("corrupt ONNX", vec!["compile", &corrupt_onnx, "--calibrate", &input, "-o", &out], 2),
        ("unsupported operator", vec!["compile", &sin_onnx, "--calibrate", &sin_input, "-o", &out], 2),
        // input files
        ("missing calibration file", vec!["compile", &onnx, "--calibrate", &missing, "-o", &out], 2),
        ("input file not JSON", vec!["compile", &onnx, "--calibrate", &not_json, "-o", &out], 2),
        ("input of the wrong length", vec!["prove", &build, &short, "-o", &out], 2),
        ("input with null", vec!["prove", &build, &null, "-o", &out], 2),
        ("input_data empty", vec!["prove", &build, &empty, "-o", &out], 2),
        ("salt not hex", vec!["prove", &build, &bad_salt, "-o", &out], 2),
        ("input outside the circuit's range", vec!["prove", &build, &huge, "-o", &out], 2),
        ("eval samples not JSON", vec!["eval", &build, &not_json], 2),
        // build directories
        ("not a build directory", vec!["setup", &missing, "--dev-srs"], 2),
        ("prove before setup", vec!["prove", &unset, &input, "-o", &out], 2),
        ("settings.json not JSON", vec!["prove", &broken_settings, &input, "-o", &out], 2),
        ("settings.json of another format", vec!["prove", &old_format, &input, "-o", &out], 2),
        ("model.json edited", vec!["prove", &edited_model, &input, "-o", &out], 2),
        ("commit on a side that is not hashed", vec!["commit", &build, &input, "--side", "output"], 2),
        // proof files
        ("proof not JSON", vec!["verify", &build, &proof_not_json], 2),
        ("proof without instances", vec!["verify", &build, &proof_no_instances], 2),
        ("proof bytes not hex", vec!["verify", &build, &proof_bad_hex], 2),
        ("instance not below r", vec!["verify", &build, &proof_above_r], 2),
        ("flipped proof byte", vec!["verify", &build, &proof_flipped], 1),
        ("an instance missing", vec!["verify", &build, &proof_missing_instance], 1),
        ("proof of other inputs", vec!["verify", &build, &proof, "--input", &other], 1),
        ("flipped proof byte, in the EVM", vec!["verify-evm", &build, &proof_flipped], 1),
        ("calldata of a proof without instances", vec!["calldata", &proof_no_instances], 2),
        ("missing proof file", vec!["verify", &build, &missing], 2),
        // SRS files
        ("setup without an SRS", vec!["setup", &build], 2),
        ("missing SRS file", vec!["setup", &build, "--srs", &missing], 2),
        ("random bytes as SRS", vec!["setup", &build, "--srs", &random_srs], 2),
        ("truncated .ptau", vec!["setup", &build, "--srs", &cut_ptau], 2),
        (".ptau of another curve", vec!["srs", "import", &other_curve_ptau, "-o", &out], 2),
        ("srs inspect of a missing file", vec!["srs", "inspect", &missing], 2),
        // flags
        ("unknown command", vec!["frobnicate"], 2),
        ("scale out of range", vec!["compile", &onnx, "--calibrate", &input, "--scale", "99", "-o", &out], 2),
        ("headroom below 1", vec!["compile", &onnx, "--calibrate", &input, "--headroom", "0.5", "-o", &out], 2),
        (
            "--like with --scale",
            vec!["compile", &onnx, "--calibrate", &input, "--like", &build, "--scale", "7", "-o", &out],
            2,
        ),
        ("srs -k out of range", vec!["srs", "--dev", "-k", "40", "-o", &out], 2),
    ];
    let mut failures = Vec::new();
    for (what, args, code) in &cases {
        let o = zkinfer(args);
        let (err, out) = (String::from_utf8_lossy(&o.stderr), String::from_utf8_lossy(&o.stdout));
        let silent = err.trim().is_empty() && out.trim().is_empty();
        if o.status.code() != Some(*code) || silent || err.contains("panicked") {
            failures.push(format!("{what}: exit {:?} (want {code}): {err}", o.status.code()));
        }
    }
    assert!(failures.is_empty(), "{} of {} cases:\n{}", failures.len(), cases.len(), failures.join("\n"));
}
