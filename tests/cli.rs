//! The `zkinfer` binary: the documented flow, exit codes and error messages for bad input.

use std::path::Path;
use std::process::{Command, Output};

fn zkinfer(args: &[&str]) -> Output {
    let cache = Path::new(env!("CARGO_MANIFEST_DIR")).join(".zkinfer-cache");
    Command::new(env!("CARGO_BIN_EXE_zkinfer"))
        .args(args)
        .env("ZKINFER_CACHE_DIR", cache)
        .output()
        .expect("run zkinfer")
}

fn model(name: &str, file: &str) -> String {
    format!("{}/tests/models/{name}/{file}", env!("CARGO_MANIFEST_DIR"))
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn compiled(dir: &Path) -> String {
    let out = dir.join("build").display().to_string();
    let o = zkinfer(&[
        "compile",
        &model("gemm_relu", "network.onnx"),
        "--calibrate",
        &model("gemm_relu", "input.json"),
        "-o",
        &out,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    out
}

#[test]
fn full_flow_with_json_and_exit_codes() {
    let tmp = tempfile::tempdir().unwrap();
    let build = compiled(tmp.path());
    let o = zkinfer(&["setup", &build, "--dev-srs", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["setup"]["vk_digest"].as_str().unwrap().starts_with("0x"));

    let proof = tmp.path().join("proof.json").display().to_string();
    let o = zkinfer(&["prove", &build, &model("gemm_relu", "input.json"), "-o", &proof, "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["outputs"].as_array().unwrap()[0].as_array().unwrap().len(), 3);

    let o = zkinfer(&["verify", &build, &proof]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));

    // Flip one byte of the proof: exit 1.
    let mut file: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&proof).unwrap()).unwrap();
    let hex = file["proof"].as_str().unwrap().to_string();
    let flipped = format!("{}{}{}", &hex[..100], if &hex[100..101] == "0" { "1" } else { "0" }, &hex[101..]);
    file["proof"] = flipped.into();
    let bad = tmp.path().join("bad.json");
    std::fs::write(&bad, file.to_string()).unwrap();
    let o = zkinfer(&["verify", &build, bad.to_str().unwrap(), "--json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["ok"], false);

    // A malformed proof file is bad input (exit 2), for verify and verify-evm: not JSON, no
    // instances, or an instance that is not hex.
    let mut no_instances = file.clone();
    no_instances.as_object_mut().unwrap().remove("instances");
    let mut not_hex = file.clone();
    not_hex["instances"][0] = "0xzz".into();
    for (what, text) in [
        ("not JSON", "{not json".to_string()),
        ("no instances", no_instances.to_string()),
        ("not hex", not_hex.to_string()),
    ] {
        std::fs::write(&bad, text).unwrap();
        for cmd in ["verify", "verify-evm"] {
            let o = zkinfer(&[cmd, &build, bad.to_str().unwrap()]);
            assert_eq!(o.status.code(), Some(2), "{cmd}, {what}: {}", stderr(&o));
        }
    }

    // bench prints the documented keys.
    let o = zkinfer(&["bench", &build, &model("gemm_relu", "input.json"), "--runs", "1", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for key in [
        "k",
        "rows",
        "advice_columns",
        "fixed_columns",
        "lookups",
        "setup_s",
        "prove_s",
        "verify_s",
        "peak_rss_mb",
        "pk_bytes",
        "vk_bytes",
        "proof_bytes",
    ] {
        assert!(!v[key].is_null(), "bench JSON lacks {key}");
    }
    assert!(v["prove_s"].as_f64().unwrap() > 0.0);
}

#[test]
fn corrupt_onnx_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let onnx = tmp.path().join("broken.onnx");
    std::fs::write(&onnx, b"\x08\x07this is not protobuf\xff\xff").unwrap();
    let o = zkinfer(&[
        "compile",
        onnx.to_str().unwrap(),
        "--calibrate",
        &model("gemm_relu", "input.json"),
        "-o",
        tmp.path().join("b").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not a valid ONNX model"), "{}", stderr(&o));
}

#[test]
fn unsupported_op_names_node_and_op() {
    let tmp = tempfile::tempdir().unwrap();
    let o = zkinfer(&[
        "compile",
        &model("unsupported_sin", "network.onnx"),
        "--calibrate",
        &model("unsupported_sin", "input.json"),
        "-o",
        tmp.path().join("b").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("Sin") && e.contains("not supported") && e.contains("Gemm"), "{e}");
    assert!(!e.contains("panicked"), "{e}");
}

/// The README's operator table is the registry's, and `zkinfer ops` lists the same operators the
/// error above quotes.
#[test]
fn ops_lists_the_registry_and_the_readme_table_is_generated() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let (_, rest) = readme.split_once("<!-- ops-table:begin -->\n").expect("README has the table's begin marker");
    let (table, _) = rest.split_once("<!-- ops-table:end -->").expect("README has the table's end marker");
    let o = zkinfer(&["ops", "--markdown"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        table,
        String::from_utf8_lossy(&o.stdout),
        "README's operator table is stale: paste `zkinfer ops --markdown` between its markers"
    );
    let o = zkinfer(&["ops", "--json"]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let ops: Vec<&str> = v["families"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["ops"].as_array().unwrap())
        .filter_map(|o| o.as_str())
        .collect();
    for op in zkinfer::model::onnx_import::supported_ops() {
        assert!(ops.contains(&op), "{op} missing from `zkinfer ops --json`");
    }
    assert!(ops.contains(&"LayerNormalization") && ops.contains(&"ArgMax") && ops.contains(&"Where"));
}

#[test]
fn wrong_input_length_and_nan_are_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let build = compiled(tmp.path());
    let short = tmp.path().join("short.json");
    std::fs::write(&short, r#"{"input_data": [[0.1, 0.2]]}"#).unwrap();
    let o = zkinfer(&[
        "compile",
        &model("gemm_relu", "network.onnx"),
        "--calibrate",
        short.to_str().unwrap(),
        "-o",
        &build,
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("4 values") && stderr(&o).contains("gives 2"), "{}", stderr(&o));

    let o = zkinfer(&["setup", &build, "--dev-srs"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = tmp.path().join("p.json");
    let o = zkinfer(&["prove", &build, short.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("4 values"), "{}", stderr(&o));

    for (text, what) in
        [(r#"{"input_data": [[0.1, null, 0.3, 0.4]]}"#, "null"), (r#"{"input_data": [[0.1, "NaN", 0.3, 0.4]]}"#, "NaN")]
    {
        let nan = tmp.path().join("nan.json");
        std::fs::write(&nan, text).unwrap();
        let o = zkinfer(&["prove", &build, nan.to_str().unwrap(), "-o", out.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2));
        assert!(stderr(&o).contains("input_data[0][1]") && stderr(&o).contains(what), "{}", stderr(&o));
    }
    assert!(!out.exists(), "no proof file on error");
}

#[test]
fn usage_errors_exit_2_and_help_teaches() {
    assert_eq!(zkinfer(&["compile"]).status.code(), Some(2));
    assert_eq!(zkinfer(&["setup", "/nonexistent/build"]).status.code(), Some(2));
    let o = zkinfer(&["setup", "/nonexistent/build", "--dev-srs"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not a build directory"), "{}", stderr(&o));
    let o = zkinfer(&["--help"]);
    let help = String::from_utf8_lossy(&o.stdout);
    assert!(help.contains("zkinfer compile") && help.contains("Exit codes"), "{help}");
}

#[test]
fn srs_files_are_checked_and_downsized() {
    let tmp = tempfile::tempdir().unwrap();
    let build = compiled(tmp.path());
    let settings: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(Path::new(&build).join("settings.json")).unwrap()).unwrap();
    let k = settings["k"].as_u64().unwrap();

    let small = tmp.path().join("small.srs").display().to_string();
    let o = zkinfer(&["srs", "--dev", "-k", &(k - 1).to_string(), "-o", &small]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = zkinfer(&["setup", &build, "--srs", &small]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains(&format!("needs k={k}")), "{}", stderr(&o));

    // A larger file is downsized; the development SRS for k is a prefix of the larger one, so the
    // verifying key is the same as with --dev-srs.
    let big = tmp.path().join("big.srs").display().to_string();
    assert!(zkinfer(&["srs", "--dev", "-k", &(k + 1).to_string(), "-o", &big]).status.success());
    let digest = |args: &[&str]| -> String {
        let o = zkinfer(args);
        assert!(o.status.success(), "{}", stderr(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v["setup"]["vk_digest"].as_str().unwrap().to_string()
    };
    let from_file = digest(&["setup", &build, "--srs", &big, "--json"]);
    let from_dev = digest(&["setup", &build, "--dev-srs", "--json"]);
    assert_eq!(from_file, from_dev);

    let o = zkinfer(&["setup", &build, "--srs", tmp.path().join("missing.srs").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn evm_commands_generate_encode_and_verify() {
    let tmp = tempfile::tempdir().unwrap();
    let build = compiled(tmp.path());
    assert!(zkinfer(&["setup", &build, "--dev-srs"]).status.success());
    let proof = tmp.path().join("proof.json").display().to_string();
    assert!(zkinfer(&["prove", &build, &model("gemm_relu", "input.json"), "-o", &proof]).status.success());

    // solidity: one contract, forge-formatted source.
    let sol = tmp.path().join("Verifier.sol").display().to_string();
    let o = zkinfer(&["solidity", &build, "-o", &sol, "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["separate_vk"], false);
    assert!(v["runtime_bytes"].as_u64().unwrap() <= 24_576);
    assert!(std::fs::read_to_string(&sol)
        .unwrap()
        .contains("function verifyProof(bytes calldata proof, uint256[] calldata instances)"));

    // --separate-vk writes both contracts.
    let vk = tmp.path().join("VK.sol").display().to_string();
    let o = zkinfer(&["solidity", &build, "-o", &sol, "--separate-vk", &vk, "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["separate_vk"], true);
    assert!(std::fs::read_to_string(&vk).unwrap().contains("contract Halo2VerifyingKey"));
    assert!(std::fs::read_to_string(&sol).unwrap().contains("VK_CODEHASH"));

    // calldata: selector of verifyProof(bytes,uint256[]) then the ABI encoding.
    let o = zkinfer(&["calldata", &proof]);
    assert!(o.status.success(), "{}", stderr(&o));
    let hex = String::from_utf8_lossy(&o.stdout).trim().to_string();
    assert!(hex.starts_with("0x1e8e1e13"), "{hex}");
    let raw = tmp.path().join("calldata.bin");
    assert!(zkinfer(&["calldata", &proof, "-o", raw.to_str().unwrap()]).status.success());
    assert_eq!(std::fs::read(&raw).unwrap().len() * 2 + 2, hex.len());

    // verify-evm: documented JSON keys, exit 0; a tampered proof exits 1 with the verifier's error.
    let o = zkinfer(&["verify-evm", &build, &proof, "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for key in ["valid", "gas_used", "calldata_bytes", "runtime_bytes", "proof_bytes"] {
        assert!(!v[key].is_null(), "verify-evm JSON lacks {key}");
    }
    assert_eq!(v["valid"], true);
    assert!(v["gas_used"].as_u64().unwrap() > 21_000);

    let mut file: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&proof).unwrap()).unwrap();
    let mut word = file["instances"][0].as_str().unwrap().to_string();
    let last = word.pop().unwrap();
    word.push(if last == '0' { '1' } else { '0' });
    file["instances"][0] = word.into();
    let bad = tmp.path().join("bad.json");
    std::fs::write(&bad, file.to_string()).unwrap();
    let o = zkinfer(&["verify-evm", &build, bad.to_str().unwrap(), "--json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["valid"], false);
    assert_eq!(v["error"], "ProofRejected()");
}

#[test]
fn malformed_layer_parameters_are_clear_errors() {
    use zkinfer::testing::onnx_builder::{attr_int, GraphBuilder};
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("input.json");
    std::fs::write(&input, r#"{"input_data": [[0.1, 0.2, 0.3, 0.4]]}"#).unwrap();
    let cases = [
        (
            "conv bias",
            GraphBuilder::new("bad_conv")
                .input("x", &[1, 1, 2, 2])
                .output("y", &[1, 2, 2, 2])
                .initializer("w", &[2, 1, 1, 1], vec![1.0, 2.0])
                .initializer("b", &[1], vec![0.5])
                .node("Conv", &["x", "w", "b"], &["y"], vec![])
                .build(),
            "bias has 1 values for 2 output channels",
        ),
        (
            "gemm bias",
            GraphBuilder::new("bad_gemm")
                .input("x", &[1, 4])
                .output("y", &[1, 3])
                .initializer("w", &[3, 4], vec![0.1; 12])
                .initializer("b", &[5], vec![0.0; 5])
                .node("Gemm", &["x", "w", "b"], &["y"], vec![attr_int("transB", 1)])
                .build(),
            "does not broadcast",
        ),
    ];
    for (what, onnx, expected) in cases {
        let path = tmp.path().join("m.onnx");
        std::fs::write(&path, onnx).unwrap();
        let o = zkinfer(&[
            "compile",
            path.to_str().unwrap(),
            "--calibrate",
            input.to_str().unwrap(),
            "-o",
            tmp.path().join("b").to_str().unwrap(),
        ]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{what}: {err}");
        assert!(err.contains(expected) || err.contains("tract could not load"), "{what}: {err}");
        assert!(!err.contains("panicked"), "{what}: {err}");
    }
}

#[test]
fn hashed_inputs_commit_and_verify_against_the_input_file() {
    let tmp = tempfile::tempdir().unwrap();
    let build = tmp.path().join("build").display().to_string();
    let o = zkinfer(&[
        "compile",
        &model("gemm_relu", "network.onnx"),
        "--calibrate",
        &model("gemm_relu", "input.json"),
        "--input-visibility",
        "hashed",
        "-o",
        &build,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("a Poseidon commitment to the inputs"));
    assert!(zkinfer(&["setup", &build, "--dev-srs"]).status.success());
    // The same input with a salt, and with another salt.
    let mut input: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(model("gemm_relu", "input.json")).unwrap()).unwrap();
    let write = |name: &str, salt: &str, input: &mut serde_json::Value| {
        input["salt"] = serde_json::json!(salt);
        let p = tmp.path().join(name);
        std::fs::write(&p, input.to_string()).unwrap();
        p.display().to_string()
    };
    let salted = write("salted.json", "0x0badc0ffee", &mut input);
    let resalted = write("resalted.json", "0x0badc0ffef", &mut input);
    let proof = tmp.path().join("proof.json").display().to_string();
    let o = zkinfer(&["prove", &build, &salted, "-o", &proof]);
    assert!(o.status.success(), "{}", stderr(&o));

    let o = zkinfer(&["commit", &build, &salted, "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let c: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let proof_json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&proof).unwrap()).unwrap();
    assert_eq!(c["commitment"], proof_json["instances"][0], "commit recomputes what the proof exposes");
    assert_eq!(c["instance_index"], 0);

    let o = zkinfer(&["verify", &build, &proof, "--input", &salted]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("input commitment"));
    let o = zkinfer(&["verify", &build, &proof, "--input", &resalted]);
    assert_eq!(o.status.code(), Some(1), "another salt is another commitment");
    assert!(stderr(&o).contains("commits to other inputs"));
    // Outputs are public here: there is no output commitment to recompute.
    let o = zkinfer(&["commit", &build, &salted, "--side", "output"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not hashed"), "{}", stderr(&o));
    // A salt that is not hex is a clear error.
    let bad = write("bad.json", "salty", &mut input);
    let o = zkinfer(&["commit", &build, &bad]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("salt"), "{}", stderr(&o));
}

/// Two models of one architecture with different weights: `--like` compiles the second to the
/// first's circuit, the verifying keys are the same, and each proof names its own model.
#[test]
fn hashed_params_family_shares_one_verifier() {
    use zkinfer::testing::onnx_builder::{attr_int, GraphBuilder};
    let tmp = tempfile::tempdir().unwrap();
    let gemm = |name: &str, scale: f32| {
        let w1: Vec<f32> = (0..32).map(|i| ((i * 7 % 11) as f32 - 5.0) * 0.05 * scale).collect();
        let w2: Vec<f32> = (0..24).map(|i| ((i * 5 % 13) as f32 - 6.0) * 0.04 * scale).collect();
        let bytes = GraphBuilder::new(name)
            .input("x", &[1, 4])
            .output("y", &[1, 3])
            .initializer("w1", &[8, 4], w1)
            .initializer("b1", &[8], vec![0.01; 8])
            .initializer("w2", &[3, 8], w2)
            .initializer("b2", &[3], vec![-0.02; 3])
            .node("Gemm", &["x", "w1", "b1"], &["h1"], vec![attr_int("transB", 1)])
            .node("Relu", &["h1"], &["a1"], vec![])
            .node("Gemm", &["a1", "w2", "b2"], &["y"], vec![attr_int("transB", 1)])
            .build();
        let p = tmp.path().join(format!("{name}.onnx"));
        std::fs::write(&p, bytes).unwrap();
        p.display().to_string()
    };
    let (a, b) = (gemm("a", 1.0), gemm("b", 0.8));
    let input = model("gemm_relu", "input.json");
    let dir = |n: &str| tmp.path().join(n).display().to_string();
    let o = zkinfer(&["compile", &a, "--calibrate", &input, "--param-visibility", "hashed", "-o", &dir("a")]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("weight commitment"));
    let o = zkinfer(&[
        "compile",
        &b,
        "--calibrate",
        &input,
        "--param-visibility",
        "hashed",
        "--like",
        &dir("a"),
        "-o",
        &dir("b"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    // Other visibility options are another circuit, whatever the rows say.
    let o = zkinfer(&[
        "compile",
        &b,
        "--calibrate",
        &input,
        "--param-visibility",
        "hashed",
        "--output-visibility",
        "private",
        "--like",
        &dir("a"),
        "-o",
        &dir("c"),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("does not compile to the same circuit"), "{}", stderr(&o));
    let digest = |d: &str| {
        let o = zkinfer(&["setup", d, "--dev-srs", "--json"]);
        assert!(o.status.success(), "{}", stderr(&o));
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()["setup"]["vk_digest"].clone()
    };
    assert_eq!(digest(&dir("a")), digest(&dir("b")), "one verifying key for the family");
    // B's proof is not a proof of A's model (exit 1)...
    let proof = tmp.path().join("b.proof.json").display().to_string();
    assert!(zkinfer(&["prove", &dir("b"), &input, "-o", &proof]).status.success());
    let o = zkinfer(&["verify", &dir("a"), &proof]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("another model of this family"), "{}", stderr(&o));
    assert!(zkinfer(&["verify", &dir("b"), &proof]).status.success(), "but it is of B's");
    // ...yet it verifies with A's build (A's verifier) as some model of the family, and names B's weights.
    let o = zkinfer(&["verify", &dir("a"), &proof, "--any-model", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let commit = |d: &str| {
        let o = zkinfer(&["commit", d, "--side", "params", "--json"]);
        assert!(o.status.success(), "{}", stderr(&o));
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()["commitment"].clone()
    };
    assert_eq!(v["result"]["param_commitment"], commit(&dir("b")));
    assert_ne!(commit(&dir("a")), commit(&dir("b")));
    // Another architecture cannot join the family.
    let o = zkinfer(&[
        "compile",
        &model("matmul_sigmoid", "network.onnx"),
        "--calibrate",
        &model("matmul_sigmoid", "input.json"),
        "--param-visibility",
        "hashed",
        "--like",
        &dir("a"),
        "-o",
        &dir("c"),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

/// A build is checked when it is loaded: a settings.json edited by hand (here one instance block's
/// length, then its scale) is refused with exit 2 naming the file, and keys made before an edit
/// of the circuit's settings are refused instead of proving something else.
#[test]
fn edited_settings_are_refused_when_the_build_is_loaded() {
    let tmp = tempfile::tempdir().unwrap();
    let build = compiled(tmp.path());
    assert!(zkinfer(&["setup", &build, "--dev-srs"]).status.success());
    let path = Path::new(&build).join("settings.json");
    let original = std::fs::read_to_string(&path).unwrap();
    let proof = tmp.path().join("proof.json").display().to_string();
    let prove = || zkinfer(&["prove", &build, &model("gemm_relu", "input.json"), "-o", &proof]);
    assert!(prove().status.success(), "the untouched build proves");

    type Edit = fn(&mut serde_json::Value);
    let edits: [(&str, Edit); 4] = [
        ("the weight commitment", |s| s["param_commitment"] = "0x01".into()),
        ("a block's length", |s| s["instances"][0]["len"] = (s["instances"][0]["len"].as_u64().unwrap() + 1).into()),
        ("the scale", |s| s["scale"] = (s["scale"].as_u64().unwrap() + 1).into()),
        ("the visibility", |s| s["visibility"]["input"] = "private".into()),
    ];
    for (what, edit) in edits {
        let mut s: serde_json::Value = serde_json::from_str(&original).unwrap();
        edit(&mut s);
        std::fs::write(&path, s.to_string()).unwrap();
        let o = prove();
        assert_eq!(o.status.code(), Some(2), "editing {what}: {}", stderr(&o));
        assert!(stderr(&o).contains("settings.json") && stderr(&o).contains("recompile"), "{what}: {}", stderr(&o));
    }

    // Consistent settings for another circuit (no packing), with the old keys still there.
    let o = zkinfer(&[
        "compile",
        &model("gemm_relu", "network.onnx"),
        "--calibrate",
        &model("gemm_relu", "input.json"),
        "--no-pack",
        "-o",
        tmp.path().join("unpacked").to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let unpacked = std::fs::read_to_string(tmp.path().join("unpacked/settings.json")).unwrap();
    std::fs::write(&path, unpacked).unwrap();
    let o = prove();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("run `zkinfer setup"), "{}", stderr(&o));
}

/// A file passed as --srs that is not a usable SRS is refused by name with exit 2, before anything
/// is allocated for it: random bytes (whose header claims an absurd k), a header whose k does not
/// match the length, points of the right length that are not an SRS, and a real SRS with one
/// Lagrange point replaced by another point on the curve.
#[test]
fn bad_srs_files_exit_2_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let build = compiled(tmp.path());
    let settings: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(Path::new(&build).join("settings.json")).unwrap()).unwrap();
    let k = settings["k"].as_u64().unwrap() as u32;
    let n = 1usize << k;
    let good = tmp.path().join("good.srs");
    assert!(zkinfer(&["srs", "--dev", "-k", &k.to_string(), "-o", good.to_str().unwrap()]).status.success());
    let real = std::fs::read(&good).unwrap();
    assert_eq!(real.len(), 4 + 128 * n + 256, "halo2's raw layout");

    let random: Vec<u8> = (0..5120u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
    let mut short = 2u32.to_le_bytes().to_vec();
    short.extend(&random[..100]);
    let mut garbage = k.to_le_bytes().to_vec();
    garbage.extend(std::iter::repeat_n(7u8, 128 * n + 256));
    let mut swapped = real.clone();
    let lagrange = 4 + 64 * n;
    swapped.copy_within(4 + 64..4 + 128, lagrange);
    for (name, bytes, why) in [
        ("random.srs", random, "header says k="),
        ("short.srs", short, "which takes 772 (raw)"),
        ("garbage.srs", garbage, "not the BN254 generators"),
        ("swapped.srs", swapped, "basis change"),
    ] {
        let path = tmp.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let o = zkinfer(&["setup", &build, "--srs", path.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{name}: {}", stderr(&o));
        assert!(stderr(&o).contains(name) && stderr(&o).contains(why), "{name}: {}", stderr(&o));
    }
    let o = zkinfer(&["setup", &build, "--srs", good.to_str().unwrap(), "--json"]);
    assert!(o.status.success(), "the real file: {}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["setup"]["srs"], "dev-insecure", "the development SRS is recognised by its content, not its name");
}

/// The error budget from the command line: the default is met and said so; a scale fixed too
/// coarse still compiles but warns, naming the layer; a budget that is not one is a usage error.
#[test]
fn compile_reports_the_error_budget() {
    let t = tempfile::tempdir().unwrap();
    let run = |extra: &[&str], out: &str| {
        let out = t.path().join(out).display().to_string();
        let (onnx, input) = (model("matmul_sigmoid", "network.onnx"), model("matmul_sigmoid", "input.json"));
        let mut args = vec!["compile", &onnx, "--calibrate", &input, "-o", &out];
        args.extend_from_slice(extra);
        zkinfer(&args)
    };
    let o = run(&[], "default");
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(o.status.success() && text.contains("within the 0.0500% budget"), "{text}{}", stderr(&o));
    assert!(text.contains("largest layer errors (each of its own range): '"), "{text}");

    let o = run(&["--scale", "3", "--json"], "coarse");
    assert!(o.status.success(), "{}", stderr(&o));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let c = &j["settings"]["calibration"];
    assert_eq!(c["budget_met"], false);
    let advice = c["advice"].as_str().unwrap();
    assert!(advice.contains("layer losing the most precision") && advice.contains("raise --scale above 3"), "{advice}");
    // Per-layer errors, worst first, each against its own range.
    let layers = c["layers"].as_array().unwrap();
    assert!(!layers.is_empty() && layers.len() <= 5, "{layers:?}");
    let errs: Vec<f64> = layers.iter().map(|l| l["max_rel_error"].as_f64().unwrap()).collect();
    assert!(errs.windows(2).all(|w| w[0] >= w[1]) && errs[0] > 0.0, "{errs:?}");
    assert!(layers.iter().all(|l| l["name"].is_string() && l["op_type"].is_string()));

    let o = run(&["--max-error", "0.01%"], "tight");
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(o.status.success() && text.contains("within the 0.0100% budget"), "{text}{}", stderr(&o));

    for bad in ["2", "0%", "none"] {
        let o = run(&["--max-error", bad], "bad");
        assert_eq!(o.status.code(), Some(2), "--max-error {bad}");
        assert!(stderr(&o).contains("is not an error budget"), "{}", stderr(&o));
    }
}

/// A real ceremony's file, made with npm's snarkjs as a ceremony makes it (new, two contributions,
/// a random beacon, prepare phase2), proves end to end: `--srs` reads the `.ptau` directly and
/// `srs import` converts it to the same keys; the proof verifies in Rust and in the EVM and a
/// tampered one is rejected by both; the claimed hash is the one `snarkjs powersoftau verify`
/// prints. A file with no contribution, one point replaced by another curve point, a corrupted
/// point or a truncated file is refused with exit 2, naming the file.
#[test]
fn a_snarkjs_ceremony_srs_is_checked_and_proves() {
    let snarkjs = Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools/bin/snarkjs");
    assert!(snarkjs.is_file(), "{} missing: run `make tools`", snarkjs.display());
    let tmp = tempfile::tempdir().unwrap();
    let at = |name: &str| tmp.path().join(name).display().to_string();
    let ceremony = |args: &[&str]| {
        let o = Command::new(&snarkjs).args(args).current_dir(tmp.path()).output().expect("run snarkjs");
        assert!(o.status.success(), "snarkjs {args:?}: {}{}", String::from_utf8_lossy(&o.stdout), stderr(&o));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    ceremony(&["powersoftau", "new", "bn128", "8", "p0.ptau"]);
    ceremony(&["powersoftau", "contribute", "p0.ptau", "p1.ptau", "--name=alice", "-e=alice's entropy"]);
    ceremony(&["powersoftau", "contribute", "p1.ptau", "p2.ptau", "--name=bob", "-e=bob's entropy"]);
    let beacon = "5a6b696e6665722063657265656d6f6e7920626561636f6e";
    ceremony(&["powersoftau", "beacon", "p2.ptau", "p3.ptau", beacon, "10", "-n=final beacon"]);
    ceremony(&["powersoftau", "prepare", "phase2", "p3.ptau", "final.ptau"]);
    // snarkjs prints the hash as groups of hex words after "Next challenge hash:".
    let verified = ceremony(&["powersoftau", "verify", "final.ptau"]);
    let plain: String = verified
        .split("\u{1b}[")
        .map(|s| s.trim_start_matches(|c: char| c.is_ascii_digit() || c == ';' || c == 'm'))
        .collect();
    let after = plain.split("Next challenge hash:").nth(1).expect("snarkjs printed the next challenge hash");
    let snarkjs_hash: String =
        after.split_whitespace().take_while(|w| w.len() == 8 && w.chars().all(|c| c.is_ascii_hexdigit())).collect();
    assert_eq!(snarkjs_hash.len(), 128, "{plain}");

    let o = zkinfer(&["srs", "inspect", &at("final.ptau"), "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let c = &v["source"]["ceremony"];
    assert_eq!(v["source"]["format"], "snarkjs-ptau");
    assert_eq!(c["claimed_hash"], snarkjs_hash.as_str(), "the hash snarkjs verify prints");
    let names: Vec<&str> = c["contributions"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["alice", "bob", "final beacon"]);
    assert_eq!(c["contributions"][2]["beacon"], true);
    assert_eq!(c["contributions"][2]["beacon_hash"], beacon);
    let o = zkinfer(&["srs", "inspect", &at("final.ptau")]);
    assert!(String::from_utf8_lossy(&o.stdout).contains(&snarkjs_hash), "the text output names the hash too");

    let build = compiled(tmp.path());
    let o = zkinfer(&["srs", "import", &at("final.ptau"), "-o", &at("imported.srs"), "-k", "7", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let digest = |srs: &str| -> String {
        let o = zkinfer(&["setup", &build, "--srs", srs, "--json"]);
        assert!(o.status.success(), "{srs}: {}", stderr(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_ne!(v["setup"]["srs"], "dev-insecure");
        v["setup"]["vk_digest"].as_str().unwrap().to_string()
    };
    let from_import = digest(&at("imported.srs"));
    assert_eq!(digest(&at("final.ptau")), from_import, "the .ptau directly and its import give the same keys");
    // Before `prepare phase2` the file has no Lagrange section: the basis is computed instead.
    assert_eq!(digest(&at("p3.ptau")), from_import, "an unprepared file gives the same keys");
    let setup: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(Path::new(&build).join("setup.json")).unwrap()).unwrap();
    assert_eq!(setup["srs_file"]["ceremony"]["claimed_hash"], snarkjs_hash.as_str(), "setup.json records the claim");

    let proof = at("proof.json");
    let o = zkinfer(&["prove", &build, &model("gemm_relu", "input.json"), "-o", &proof]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(zkinfer(&["verify", &build, &proof]).status.success());
    let o = zkinfer(&["verify-evm", &build, &proof]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut file: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&proof).unwrap()).unwrap();
    let hex = file["proof"].as_str().unwrap().to_string();
    file["proof"] = format!("{}{}{}", &hex[..100], if &hex[100..101] == "0" { "1" } else { "0" }, &hex[101..]).into();
    let tampered = at("tampered.json");
    std::fs::write(&tampered, file.to_string()).unwrap();
    assert_eq!(zkinfer(&["verify", &build, &tampered]).status.code(), Some(1));
    assert_eq!(zkinfer(&["verify-evm", &build, &tampered]).status.code(), Some(1));

    // Bad files. Sections (2: tauG1, 12: Lagrange) are found by walking the section table.
    let good = std::fs::read(tmp.path().join("final.ptau")).unwrap();
    let section = |wanted: u32| {
        let mut pos = 12;
        loop {
            let id = u32::from_le_bytes(good[pos..pos + 4].try_into().unwrap());
            let size = u64::from_le_bytes(good[pos + 4..pos + 12].try_into().unwrap()) as usize;
            if id == wanted {
                break pos + 12;
            }
            pos += 12 + size;
        }
    };
    let tau_g1 = section(2);
    let mut replaced = good.clone();
    replaced.copy_within(tau_g1 + 64 * 6..tau_g1 + 64 * 7, tau_g1 + 64 * 5);
    let mut corrupted = good.clone();
    corrupted[tau_g1 + 64 * 3 + 40] ^= 1;
    let truncated = good[..good.len() / 3].to_vec();
    let lagrange = section(12);
    // Swap two of the k=7 Lagrange points (2^7 - 1 points into the section).
    let mut swapped = good.clone();
    let (a, b) = (lagrange + 64 * 127 + 64 * 3, lagrange + 64 * 127 + 64 * 10);
    let point_a = swapped[a..a + 64].to_vec();
    swapped.copy_within(b..b + 64, a);
    swapped[b..b + 64].copy_from_slice(&point_a);
    for (name, bytes, why) in [
        ("replaced.ptau", replaced, "not successive powers of one secret"),
        ("corrupted.ptau", corrupted, "tauG1 point 3 is not a point"),
        ("truncated.ptau", truncated, "truncated"),
        ("swapped-lagrange.ptau", swapped, "basis change"),
        ("p0-copy.ptau", std::fs::read(tmp.path().join("p0.ptau")).unwrap(), "no contribution"),
    ] {
        let path = at(name);
        std::fs::write(&path, bytes).unwrap();
        for args in
            [vec!["setup", &build, "--srs", &path], vec!["srs", "import", &path, "-k", "7", "-o", &at("out.srs")]]
        {
            let o = zkinfer(&args);
            assert_eq!(o.status.code(), Some(2), "{name}: {}", stderr(&o));
            assert!(stderr(&o).contains(name) && stderr(&o).contains(why), "{name}: {}", stderr(&o));
        }
    }
    assert!(!tmp.path().join("out.srs").exists(), "nothing is written for a refused file");
    let o = zkinfer(&["srs", "import", &at("final.ptau"), "-o", &at("big.srs"), "-k", "9"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("power 8") && stderr(&o).contains("k=9"), "{}", stderr(&o));
}
