//! Element-wise operators (one small model each, `x -> Gemm -> op`), Softmax and the wiring
//! operators, the way exporters write them:
//! each compiles with default flags, proves, verifies in Rust and in the EVM (and both reject a
//! tampered proof and a tampered instance), and on random inputs it was not calibrated on stays
//! within 0.1% of the float model's output range, scored against tract's float run.

mod common;

use common::{compile_model, proof_parts};
use tract_onnx::pb::AttributeProto;
use zkinfer::evm::calldata::{decode_verify_return, encode_verify_words};
use zkinfer::evm::runner::Evm;
use zkinfer::model::input_file::write_inputs;
use zkinfer::pipeline::eval::{evaluate, reference_for};
use zkinfer::pipeline::{self, Build, CalibrationOptions, Prover, SrsSource};
use zkinfer::testing::onnx_builder::{attr_float, attr_int, attr_ints, attr_string, GraphBuilder, XorShift};

const WIDTH: usize = 8;

/// `x [1, 8] -> Gemm (weights in +-0.6) -> op -> y`: pre-activations reach about +-5, across
/// every kink the functions here have (0, +-2.5, +-3, 6).
fn model(op: &str, attrs: Vec<AttributeProto>, bounds: Option<(Option<f32>, Option<f32>)>, opset: i64) -> Vec<u8> {
    let mut rng = XorShift::new(0x5eed ^ op.len() as u64);
    let mut g = GraphBuilder::new(op)
        .opset(opset)
        .input("x", &[1, WIDTH])
        .output("y", &[1, WIDTH])
        .initializer("w", &[WIDTH, WIDTH], rng.vec_f32(WIDTH * WIDTH, 0.6))
        .initializer("b", &[WIDTH], rng.vec_f32(WIDTH, 0.3))
        .node("Gemm", &["x", "w", "b"], &["h"], vec![]);
    let mut inputs = vec!["h".to_string()];
    if let Some((lo, hi)) = bounds {
        // Clip's bounds are inputs from opset 11 on; an empty name skips one.
        for (name, v) in [("lo", lo), ("hi", hi)] {
            match v {
                Some(v) => {
                    g = g.initializer(name, &[], vec![v]);
                    inputs.push(name.into());
                }
                None => inputs.push(String::new()),
            }
        }
    }
    let refs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    g.node(op, &refs, &["y"], attrs).build()
}

/// Random inputs in `[-reach, reach]`; with `grid`, rounded to multiples of it.
fn samples(seed: u64, n: usize, reach: f32, grid: Option<f64>) -> Vec<Vec<Vec<f64>>> {
    let mut rng = XorShift::new(seed);
    let snap = |x: f64| grid.map_or(x, |g| (x / g).round() * g);
    (0..n).map(|_| vec![rng.vec_f32(WIDTH, reach).into_iter().map(|x| snap(f64::from(x))).collect()]).collect()
}

/// Compiles (calibrating on 8 random samples), sets up, proves one more, verifies everywhere and
/// evaluates 40 others.
/// Returns the arithmetic rows and the hold-out error (printed with `--nocapture` for the README's
/// operator table).
fn check(name: &str, onnx: &[u8]) -> (usize, f64) {
    check_on(name, onnx, None)
}

fn check_on(name: &str, onnx: &[u8], grid: Option<f64>) -> (usize, f64) {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("network.onnx");
    std::fs::write(&path, onnx).unwrap();
    let calibration: Vec<_> = samples(1, 8, 3.0, grid)
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let p = tmp.path().join(format!("cal-{i}.json"));
            write_inputs(&p, s).unwrap();
            p
        })
        .collect();
    let out = tmp.path().join("build");
    let settings = compile_model(&path, &calibration, CalibrationOptions::default(), &out);
    assert!(settings.calibration.budget_met, "{name}: {:?}", settings.calibration.advice);
    let build = Build::open(&out).unwrap();

    // Accuracy on inputs the calibration did not see, against tract's float model.
    let reference = reference_for(&build, None).unwrap();
    let report = evaluate(&(&build).into(), &reference, &samples(2, 40, 2.5, grid)).unwrap();
    assert_eq!(report.out_of_range, 0, "{name}: {:?}", report.first_out_of_range);
    // Every output of the model, each against its own range.
    for o in &report.outputs {
        assert!(
            o.max_rel_error <= 1e-3,
            "{name} '{}': error {:.4}% of the output range",
            o.name,
            o.max_rel_error * 100.0
        );
    }
    let worst = report.outputs.iter().map(|o| o.max_rel_error).fold(0.0, f64::max);

    // A proof of one of them, checked in Rust and in the EVM.
    pipeline::setup(&build, &SrsSource::Dev).unwrap();
    let prover = Prover::load(&build).unwrap();
    let sample = &samples(3, 1, 2.5, grid)[0];
    let proved = pipeline::prove(&build, &prover, &build.scale().quantise(sample), Default::default()).unwrap();
    let float = reference.run(sample).unwrap();
    for ((qs, fs), o) in proved.outputs.iter().zip(&float).zip(&report.outputs) {
        for (q, f) in qs.iter().zip(fs) {
            let err = (build.scale().to_float(*q) - f).abs();
            assert!(err <= 1e-3 * o.range.max(0.01), "{name} '{}': proved {q} for float {f}", o.name);
        }
    }
    let proof = proved.file;
    let vk = build.vk().unwrap();
    pipeline::verify(&build, &proof, &prover.params, &vk).unwrap_or_else(|e| panic!("{name}: rejected: {e}"));
    let (bytes, instances) = proof_parts(&proof);
    let verifier = pipeline::verifier_contract::compile_verifier(&build).unwrap();
    let mut evm = Evm::new();
    let address = verifier.deploy(&mut evm).unwrap().address;
    let mut accepts = |proof: &[u8], instances: &[[u8; 32]]| {
        let out = evm.call(address, encode_verify_words(proof, instances)).unwrap();
        out.success && decode_verify_return(&out.output) == Some(true)
    };
    assert!(accepts(&bytes, &instances), "{name}: EVM verifier rejected a valid proof");
    let mut bad = bytes.clone();
    bad[100] ^= 1;
    assert!(!accepts(&bad, &instances), "{name}: EVM accepted a tampered proof");
    let mut wrong = instances.clone();
    let last = wrong.len() - 1;
    wrong[last][31] ^= 1;
    assert!(!accepts(&bytes, &wrong), "{name}: EVM accepted a tampered instance");
    let mut tampered = proof.clone();
    tampered.proof = format!("0x{}", hex::encode(&bad));
    assert!(
        pipeline::verify(&build, &tampered, &prover.params, &vk).is_err(),
        "{name}: Rust accepted a tampered proof"
    );
    let rows = settings.rows.arithmetic;
    println!(
        "{name}: k={} arithmetic rows {rows}, lookup rows {}, hold-out error {:.4}%",
        settings.k,
        settings.rows.lookup,
        worst * 100.0
    );
    (rows, worst)
}

/// Rows each function adds over a Gemm output's own range check, per element (the README's table).
fn rows_per_element(rows: usize, plain: usize) -> f64 {
    (rows as f64 - plain as f64) / WIDTH as f64 + 1.0
}

#[test]
fn smooth_functions_by_segments() {
    let (plain, _) = check("Identity", &model("Identity", vec![], None, 13));
    for (name, op, attrs, opset) in [
        ("Erf", "Erf", vec![], 13),
        ("Softplus", "Softplus", vec![], 13),
        ("Elu", "Elu", vec![attr_float("alpha", 0.7)], 13),
        ("Gelu", "Gelu", vec![], 20),
        ("Gelu tanh", "Gelu", vec![attr_string("approximate", "tanh")], 20),
        ("Exp", "Exp", vec![], 13),
    ] {
        let (rows, _) = check(name, &model(op, attrs, None, opset));
        println!("{name}: {:.1} rows per element", rows_per_element(rows, plain));
    }
}

#[test]
fn piecewise_linear_functions() {
    let (plain, _) = check("Identity", &model("Identity", vec![], None, 13));
    for (name, op, attrs, bounds, opset) in [
        ("LeakyRelu", "LeakyRelu", vec![attr_float("alpha", 0.1)], None, 13),
        ("HardSigmoid", "HardSigmoid", vec![], None, 13),
        ("HardSwish", "HardSwish", vec![], None, 14),
        ("ReLU6", "Clip", vec![], Some((Some(0.0), Some(6.0))), 13),
        ("Clip", "Clip", vec![], Some((Some(-0.37), Some(1.1))), 13),
        ("Clip max only", "Clip", vec![], Some((None, Some(0.8))), 13),
        ("Abs", "Abs", vec![], None, 13),
        ("Neg", "Neg", vec![], None, 13),
    ] {
        let (rows, _) = check(name, &model(op, attrs, bounds, opset));
        println!("{name}: {:.1} rows per element", rows_per_element(rows, plain));
    }
}

/// Sign jumps at zero: an input within a quantum of zero may round to the other side, so no
/// fixed-point circuit can be close there. On inputs the fixed point holds exactly (multiples of
/// 1/8, zero among them), it is exact.
#[test]
fn sign_is_exact_where_the_fixed_point_is() {
    let sign = GraphBuilder::new("sign")
        .input("x", &[1, WIDTH])
        .output("y", &[1, WIDTH])
        .node("Sign", &["x"], &["y"], vec![])
        .build();
    let (_, err) = check_on("Sign", &sign, Some(0.125));
    assert_eq!(err, 0.0, "Sign is exact on representable inputs");
}

/// Softmax, lowered whole (max, shift, bounded exponential, sum, division with a remainder): over
/// the last axis, and over a middle axis of a reshaped tensor.
#[test]
fn softmax_on_any_axis() {
    check("Softmax", &model("Softmax", vec![attr_int("axis", -1)], None, 13));
    let mut rng = XorShift::new(0x50f7);
    let middle = GraphBuilder::new("softmax_axis_1")
        .input("x", &[1, WIDTH])
        .output("y", &[1, 2, 4])
        .initializer("w", &[WIDTH, WIDTH], rng.vec_f32(WIDTH * WIDTH, 0.6))
        .initializer_i64("shape", &[3], vec![1, 2, 4])
        .node("MatMul", &["x", "w"], &["h"], vec![])
        .node("Reshape", &["h", "shape"], &["r"], vec![])
        .node("Softmax", &["r"], &["y"], vec![attr_int("axis", 1)])
        .build();
    check("Softmax axis 1 of 3", &middle);
    // Before opset 13, Softmax reads its input as 2-D from `axis` (default 1) on: one softmax over
    // both trailing axes here.
    let mut rng = XorShift::new(0x50f8);
    let legacy = GraphBuilder::new("softmax_opset_11")
        .opset(11)
        .input("x", &[1, WIDTH])
        .output("y", &[1, 2, 4])
        .initializer("w", &[WIDTH, WIDTH], rng.vec_f32(WIDTH * WIDTH, 0.6))
        .initializer_i64("shape", &[3], vec![1, 2, 4])
        .node("MatMul", &["x", "w"], &["h"], vec![])
        .node("Reshape", &["h", "shape"], &["r"], vec![])
        .node("Softmax", &["r"], &["y"], vec![])
        .build();
    check("Softmax opset 11 (2-D from axis 1)", &legacy);
}

/// The general logarithm, on inputs from 0.05 to about 5: its octave from the leading bit, the
/// mantissa's logarithm by segments, so small inputs are as precise as large ones.
#[test]
fn logarithm_over_the_whole_range() {
    let mut rng = XorShift::new(0x106);
    let g = GraphBuilder::new("log")
        .input("x", &[1, WIDTH])
        .output("y", &[1, WIDTH])
        .initializer("w", &[WIDTH, WIDTH], rng.vec_f32(WIDTH * WIDTH, 0.6))
        .initializer("floor", &[], vec![0.05])
        .node("MatMul", &["x", "w"], &["h"], vec![])
        .node("Abs", &["h"], &["a"], vec![])
        .node("Add", &["a", "floor"], &["p"], vec![])
        .node("Log", &["p"], &["y"], vec![])
        .build();
    check("Log", &g);
}

/// LogSoftmax, and the Log of a Softmax older exporters write for it: the shift minus the log of
/// the sum (at least 1), so no logarithm of a tiny probability is ever taken.
#[test]
fn log_softmax_both_ways() {
    check("LogSoftmax", &model("LogSoftmax", vec![attr_int("axis", -1)], None, 13));
    let mut rng = XorShift::new(0x1095);
    let g = GraphBuilder::new("log_of_softmax")
        .input("x", &[1, WIDTH])
        .output("y", &[1, 2, 4])
        .initializer("w", &[WIDTH, WIDTH], rng.vec_f32(WIDTH * WIDTH, 0.6))
        .initializer_i64("shape", &[3], vec![1, 2, 4])
        .node("MatMul", &["x", "w"], &["h"], vec![])
        .node("Reshape", &["h", "shape"], &["r"], vec![])
        .node("Softmax", &["r"], &["p"], vec![attr_int("axis", 1)])
        .node("Log", &["p"], &["y"], vec![])
        .build();
    check("Log of Softmax axis 1 of 3", &g);
}

/// Transpose, Slice, Concat (with a constant), Split, Unsqueeze, Squeeze, Gather, Tile and
/// Expand on runtime tensors: values move, nothing is computed, and the proof still matches tract.
#[test]
fn wiring_operators_move_values() {
    let mut rng = XorShift::new(0x1e55);
    let g = GraphBuilder::new("wiring")
        .input("x", &[1, WIDTH])
        .output("y", &[3, 2, 4])
        .output("z", &[1, 2, 1])
        .initializer("w", &[WIDTH, WIDTH], rng.vec_f32(WIDTH * WIDTH, 0.6))
        .initializer_i64("shape", &[3], vec![1, 2, 4])
        .initializer_i64("starts", &[1], vec![1])
        .initializer_i64("ends", &[1], vec![i64::MAX])
        .initializer_i64("axes", &[1], vec![1])
        .initializer("pad", &[1, 1, 2], vec![0.25, -0.5])
        .initializer_i64("split", &[2], vec![2, 2])
        .initializer_i64("ax0", &[1], vec![0])
        .initializer_i64("pick", &[2], vec![3, 0])
        .initializer_i64("reps", &[3], vec![1, 1, 2])
        .initializer_i64("big", &[3], vec![3, 2, 4])
        .node("MatMul", &["x", "w"], &["h"], vec![])
        .node("Reshape", &["h", "shape"], &["r"], vec![])
        .node("Transpose", &["r"], &["t"], vec![attr_ints("perm", &[0, 2, 1])])
        .node("Slice", &["t", "starts", "ends", "axes"], &["s"], vec![])
        .node("Concat", &["s", "pad"], &["c"], vec![attr_int("axis", 1)])
        .node("Split", &["c", "split"], &["a", "b"], vec![attr_int("axis", 1)])
        .node("Concat", &["b", "a"], &["ba"], vec![attr_int("axis", 2)])
        .node("Unsqueeze", &["ba", "ax0"], &["u"], vec![])
        .node("Squeeze", &["u", "ax0"], &["q"], vec![])
        .node("Transpose", &["q"], &["qt"], vec![attr_ints("perm", &[0, 2, 1])])
        .node("Gather", &["qt", "pick"], &["gth"], vec![attr_int("axis", 1)])
        .node("Tile", &["gth", "reps"], &["tl"], vec![])
        .node("Expand", &["tl", "big"], &["y"], vec![])
        .node("Slice", &["a", "starts", "ends", "axes"], &["a1"], vec![])
        .node("Transpose", &["a1"], &["z0"], vec![attr_ints("perm", &[0, 2, 1])])
        .node("Relu", &["z0"], &["z"], vec![])
        .build();
    let (rows, _) = check("wiring", &g);
    println!("wiring: {rows} rows");
}

/// Comparisons, Where, Not/Or and element-wise Max/Min. Inputs on a 1/8 grid are exact in
/// fixed point, so every comparison (ties included) must come out as in float.
#[test]
fn comparisons_and_selection() {
    let mut rng = XorShift::new(0xc0de);
    let g = GraphBuilder::new("select")
        .input("x", &[1, WIDTH])
        .output("g", &[1, 4])
        .output("wh", &[1, 4])
        .output("wc", &[1, 4])
        .output("mx", &[1, 4])
        .output("mn", &[1, 4])
        .output("lg", &[1, 4])
        .initializer("w", &[4, 4], rng.vec_f32(16, 0.6))
        .initializer_i64("lo", &[1], vec![0])
        .initializer_i64("mid", &[1], vec![4])
        .initializer_i64("hi", &[1], vec![8])
        .initializer_i64("axis", &[1], vec![1])
        .initializer("third", &[], vec![0.3])
        .initializer("quarter", &[1], vec![0.25])
        .initializer("minus_one", &[], vec![-1.0])
        .initializer("zero", &[], vec![0.0])
        .node("Slice", &["x", "lo", "mid", "axis"], &["a"], vec![])
        .node("Slice", &["x", "mid", "hi", "axis"], &["b"], vec![])
        .node("Greater", &["a", "b"], &["gt"], vec![])
        .node("Cast", &["gt"], &["g"], vec![attr_int("to", 1)])
        .node("Where", &["gt", "a", "b"], &["wh"], vec![])
        .node("MatMul", &["a", "w"], &["h"], vec![])
        .node("LessOrEqual", &["a", "third"], &["le"], vec![])
        .node("Where", &["le", "h", "minus_one"], &["wc"], vec![])
        .node("Max", &["a", "b", "quarter"], &["mx"], vec![])
        .node("Min", &["h", "b"], &["mn"], vec![])
        .node("Relu", &["a"], &["r"], vec![])
        .node("Equal", &["r", "zero"], &["eq"], vec![])
        .node("Not", &["eq"], &["ne"], vec![])
        .node("Or", &["ne", "gt"], &["or"], vec![])
        .node("Cast", &["or"], &["lg"], vec![attr_int("to", 1)])
        .build();
    let (_, err) = check_on("comparisons and selection", &g, Some(0.125));
    println!("comparisons and selection: {:.4}%", err * 100.0);
}

/// Pad (constant, reflect, edge), DepthToSpace (both orders), SpaceToDepth, GatherElements and
/// Resize (nearest by scales, linear by sizes) on computed tensors.
#[test]
fn rearrangements_and_resizing() {
    let mut rng = XorShift::new(0x9ad);
    let g = GraphBuilder::new("rearrange")
        .input("x", &[1, WIDTH])
        .output("ge", &[1, 2, 2, 2])
        .output("pc", &[1, 2, 3, 3])
        .output("rn", &[1, 2, 4, 4])
        .output("rl", &[1, 2, 3, 3])
        .output("pe", &[1, 2, 3, 4])
        .output("sd", &[1, 8, 2, 2])
        .initializer("w", &[WIDTH, WIDTH], rng.vec_f32(WIDTH * WIDTH, 0.6))
        .initializer_i64("shape", &[4], vec![1, 8, 1, 1])
        .initializer_i64("reflect", &[8], vec![0, 0, 1, 1, 0, 0, 1, 1])
        .initializer_i64("corner", &[8], vec![0, 0, 0, 1, 0, 0, 1, 0])
        .initializer_i64("edge", &[8], vec![0, 0, 1, 0, 0, 0, 0, 2])
        .initializer("half", &[], vec![0.5])
        .initializer_i64("picks", &[1, 2, 2, 2], vec![7, 0, 3, 3, 1, 6, 2, 5])
        .initializer("scales", &[4], vec![1.0, 1.0, 2.0, 2.0])
        .initializer_i64("sizes", &[4], vec![1, 2, 3, 3])
        .node("MatMul", &["x", "w"], &["h"], vec![])
        .node("Reshape", &["h", "shape"], &["r"], vec![])
        .node("DepthToSpace", &["r"], &["d"], vec![attr_int("blocksize", 2), attr_string("mode", "CRD")])
        .node("Pad", &["d", "reflect"], &["p"], vec![attr_string("mode", "reflect")])
        .node("SpaceToDepth", &["p"], &["sd"], vec![attr_int("blocksize", 2)])
        .node("GatherElements", &["sd", "picks"], &["ge"], vec![attr_int("axis", 1)])
        .node("Pad", &["d", "corner", "half"], &["pc"], vec![])
        .node("Resize", &["d", "", "scales"], &["rn"], vec![attr_string("mode", "nearest")])
        .node("Resize", &["d", "", "", "sizes"], &["rl"], vec![attr_string("mode", "linear")])
        .node("DepthToSpace", &["r"], &["d2"], vec![attr_int("blocksize", 2)])
        .node("Pad", &["d2", "edge"], &["pe"], vec![attr_string("mode", "edge")])
        .build();
    check("rearrangements and resizing", &g);
}

/// ReduceSum, ReduceMean (affine maps) and ReduceMax, GlobalMaxPool (windowed max) over axes.
#[test]
fn reductions_over_axes() {
    let mut rng = XorShift::new(0x4ed);
    let g = GraphBuilder::new("reduce")
        .input("x", &[1, WIDTH])
        .output("y", &[1, 2])
        .output("m", &[1, 1, 4])
        .output("g", &[1, 2, 1, 1])
        .output("s", &[1])
        .initializer("w", &[WIDTH, WIDTH], rng.vec_f32(WIDTH * WIDTH, 0.6))
        .initializer_i64("shape", &[3], vec![1, 2, 4])
        .initializer_i64("shape4", &[4], vec![1, 2, 2, 2])
        .initializer_i64("last", &[1], vec![-1])
        .node("MatMul", &["x", "w"], &["h"], vec![])
        .node("Reshape", &["h", "shape"], &["r"], vec![])
        .node("ReduceMean", &["r"], &["y"], vec![attr_int("keepdims", 0), attr_ints("axes", &[2])])
        .node("ReduceMax", &["r"], &["m"], vec![attr_ints("axes", &[1])])
        .node("Reshape", &["h", "shape4"], &["r4"], vec![])
        .node("GlobalMaxPool", &["r4"], &["g"], vec![])
        .node("ReduceSum", &["h", "last"], &["s0"], vec![attr_int("keepdims", 0)])
        .node("Identity", &["s0"], &["s"], vec![])
        .build();
    check("reductions", &g);
}

/// ArgMax/ArgMin (the first extreme, an int64 index, proved by the max chip's comparisons),
/// ReduceMin, and a classifier's label: ArgMax of a softmax, Cast back to float.
#[test]
fn arg_extremes_and_minimum() {
    let mut rng = XorShift::new(0xa43a);
    let g = GraphBuilder::new("argmax")
        .input("x", &[1, WIDTH])
        .output_i64("i", &[1, 2])
        .output_i64("j", &[1, 1, 4])
        .output("lo", &[1, 4])
        .output("label", &[1])
        .initializer("w", &[WIDTH, WIDTH], rng.vec_f32(WIDTH * WIDTH, 0.6))
        .initializer("w2", &[WIDTH, 4], rng.vec_f32(WIDTH * 4, 0.6))
        .initializer_i64("shape", &[3], vec![1, 2, 4])
        .node("MatMul", &["x", "w"], &["h"], vec![])
        .node("Reshape", &["h", "shape"], &["r"], vec![])
        .node("ArgMax", &["r"], &["i"], vec![attr_int("axis", 2), attr_int("keepdims", 0)])
        .node("ArgMin", &["r"], &["j"], vec![attr_int("axis", -2)])
        .node("ReduceMin", &["r"], &["lo"], vec![attr_ints("axes", &[1]), attr_int("keepdims", 0)])
        .node("MatMul", &["x", "w2"], &["logits"], vec![])
        .node("Softmax", &["logits"], &["p"], vec![attr_int("axis", 1)])
        .node("ArgMax", &["p"], &["k"], vec![attr_int("axis", 1), attr_int("keepdims", 0)])
        .node("Cast", &["k"], &["label"], vec![attr_int("to", 1)])
        .build();
    check("argmax, argmin, reducemin", &g);
}

/// The Flatten exporters write as shape arithmetic (Shape, Gather, Unsqueeze, Concat, Reshape):
/// the shape helpers fold to constants through the same maps that move runtime values.
#[test]
fn shape_arithmetic_folds() {
    let mut rng = XorShift::new(0x5a9e);
    let g = GraphBuilder::new("flatten_by_shape")
        .input("x", &[1, WIDTH])
        .output("y", &[1, WIDTH])
        .initializer("w", &[WIDTH, WIDTH], rng.vec_f32(WIDTH * WIDTH, 0.6))
        .initializer_i64("shape", &[3], vec![1, 2, 4])
        .initializer_i64("zero", &[], vec![0])
        .initializer_i64("rest", &[1], vec![-1])
        .initializer_i64("axis0", &[1], vec![0])
        .node("MatMul", &["x", "w"], &["h"], vec![])
        .node("Reshape", &["h", "shape"], &["r"], vec![])
        .node("Shape", &["r"], &["dims"], vec![])
        .node("Gather", &["dims", "zero"], &["batch"], vec![attr_int("axis", 0)])
        .node("Unsqueeze", &["batch", "axis0"], &["batch1"], vec![])
        .node("Concat", &["batch1", "rest"], &["target"], vec![attr_int("axis", 0)])
        .node("Reshape", &["r", "target"], &["y"], vec![])
        .build();
    check("flatten by shape arithmetic", &g);
}

/// Products of two computed tensors: attention's `Q K^T` and `att V` (batched over two heads,
/// the key transposed, the scores scaled and softmaxed) and an element-wise Mul of two
/// activations.
#[test]
fn products_of_two_computed_tensors() {
    let mut rng = XorShift::new(0xa77e);
    let g = GraphBuilder::new("attention")
        .input("x", &[1, WIDTH])
        .output("y", &[2, 2, 2])
        .output("p", &[1, WIDTH])
        .initializer("wq", &[WIDTH, WIDTH], rng.vec_f32(WIDTH * WIDTH, 0.6))
        .initializer("wk", &[WIDTH, WIDTH], rng.vec_f32(WIDTH * WIDTH, 0.6))
        .initializer("wv", &[WIDTH, WIDTH], rng.vec_f32(WIDTH * WIDTH, 0.6))
        .initializer_i64("heads", &[3], vec![2, 2, 2])
        .initializer("root", &[], vec![std::f32::consts::SQRT_2])
        .node("MatMul", &["x", "wq"], &["q0"], vec![])
        .node("MatMul", &["x", "wk"], &["k0"], vec![])
        .node("MatMul", &["x", "wv"], &["v0"], vec![])
        .node("Reshape", &["q0", "heads"], &["q"], vec![])
        .node("Reshape", &["k0", "heads"], &["k"], vec![])
        .node("Reshape", &["v0", "heads"], &["v"], vec![])
        .node("Transpose", &["k"], &["kt"], vec![attr_ints("perm", &[0, 2, 1])])
        .node("MatMul", &["q", "kt"], &["s0"], vec![])
        .node("Div", &["s0", "root"], &["s"], vec![])
        .node("Softmax", &["s"], &["att"], vec![attr_int("axis", -1)])
        .node("MatMul", &["att", "v"], &["y"], vec![])
        .node("Mul", &["q0", "k0"], &["p"], vec![])
        .build();
    let (rows, _) = check("attention", &g);
    println!("attention: {rows} rows");
}

/// Roots, reciprocals, division of two activations and constant powers, on positive
/// denominators built from the data (`h^2 + 1/4`).
#[test]
fn roots_reciprocals_divisions_and_powers() {
    let mut rng = XorShift::new(0x5917);
    let g = GraphBuilder::new("roots")
        .input("x", &[1, WIDTH])
        .output("root", &[1, WIDTH])
        .output("inv", &[1, WIDTH])
        .output("ratio", &[1, WIDTH])
        .output("cube", &[1, WIDTH])
        .output("rsqrt", &[1, WIDTH])
        .initializer("w", &[WIDTH, WIDTH], rng.vec_f32(WIDTH * WIDTH, 0.4))
        .initializer("quarter", &[], vec![0.25])
        .initializer("two", &[], vec![2.0])
        .initializer("three", &[], vec![3.0])
        .initializer("minus_half", &[], vec![-0.5])
        .node("MatMul", &["x", "w"], &["h"], vec![])
        .node("Pow", &["h", "two"], &["sq"], vec![])
        .node("Add", &["sq", "quarter"], &["p"], vec![])
        .node("Sqrt", &["p"], &["root"], vec![])
        .node("Reciprocal", &["p"], &["inv"], vec![])
        .node("Div", &["h", "p"], &["ratio"], vec![])
        .node("Pow", &["h", "three"], &["cube"], vec![])
        .node("Pow", &["p", "minus_half"], &["rsqrt"], vec![])
        .build();
    check("roots", &g);
}

/// LayerNormalization (opset 17) over the last axis, InstanceNormalization over a channel's
/// values, and the form older exporters write out (ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt,
/// Div, Mul, Add); each followed by a projection its scale and bias fold into.
#[test]
fn normalisations() {
    let mut rng = XorShift::new(0x1a7e);
    let g = GraphBuilder::new("norms")
        .opset(17)
        .input("x", &[1, WIDTH])
        .output("ln", &[1, 2, 4])
        .output("inorm", &[1, 2, 4])
        .output("manual", &[1, 2, 4])
        .initializer("w", &[WIDTH, WIDTH], rng.vec_f32(WIDTH * WIDTH, 0.6))
        .initializer_i64("shape", &[3], vec![1, 2, 4])
        .initializer("gamma", &[4], rng.vec_f32(4, 1.5))
        .initializer("beta", &[4], rng.vec_f32(4, 0.5))
        .initializer("cgamma", &[2], rng.vec_f32(2, 1.5))
        .initializer("cbeta", &[2], rng.vec_f32(2, 0.5))
        .initializer("proj", &[4, 4], rng.vec_f32(16, 0.6))
        .initializer("two", &[], vec![2.0])
        .initializer("eps", &[], vec![1e-5])
        .node("MatMul", &["x", "w"], &["h"], vec![])
        .node("Reshape", &["h", "shape"], &["r"], vec![])
        .node("LayerNormalization", &["r", "gamma", "beta"], &["n1"], vec![attr_int("axis", -1)])
        .node("MatMul", &["n1", "proj"], &["ln"], vec![])
        .node("InstanceNormalization", &["r", "cgamma", "cbeta"], &["inorm"], vec![attr_float("epsilon", 1e-3)])
        .node("ReduceMean", &["r"], &["mean"], vec![attr_ints("axes", &[-1])])
        .node("Sub", &["r", "mean"], &["d"], vec![])
        .node("Pow", &["d", "two"], &["d2"], vec![])
        .node("ReduceMean", &["d2"], &["var"], vec![attr_ints("axes", &[-1])])
        .node("Add", &["var", "eps"], &["ve"], vec![])
        .node("Sqrt", &["ve"], &["sd"], vec![])
        .node("Div", &["d", "sd"], &["z"], vec![])
        .node("Mul", &["z", "gamma"], &["zg"], vec![])
        .node("Add", &["zg", "beta"], &["manual"], vec![])
        .build();
    let (rows, _) = check("normalisations", &g);
    println!("normalisations: {rows} rows");
}

/// A 1-D convolution over a sequence (padded), a grouped one, and 1-D pooling with pads.
#[test]
fn one_dimensional_and_grouped_convolutions() {
    let mut rng = XorShift::new(0xc0d1);
    let g = GraphBuilder::new("conv1d")
        .input("x", &[1, WIDTH])
        .output("y", &[1, 4, 2])
        .initializer("w", &[WIDTH, WIDTH], rng.vec_f32(WIDTH * WIDTH, 0.6))
        .initializer_i64("shape", &[3], vec![1, 2, 4])
        .initializer("k1", &[4, 2, 3], rng.vec_f32(24, 0.6))
        .initializer("b1", &[4], rng.vec_f32(4, 0.2))
        .initializer("k2", &[4, 2, 2], rng.vec_f32(16, 0.6))
        .node("MatMul", &["x", "w"], &["h"], vec![])
        .node("Reshape", &["h", "shape"], &["r"], vec![])
        .node("Conv", &["r", "k1", "b1"], &["c1"], vec![attr_ints("kernel_shape", &[3]), attr_ints("pads", &[1, 1])])
        .node("Relu", &["c1"], &["a1"], vec![])
        .node("Conv", &["a1", "k2"], &["c2"], vec![attr_int("group", 2), attr_ints("pads", &[0, 1])])
        .node("MaxPool", &["c2"], &["y"], vec![attr_ints("kernel_shape", &[2]), attr_ints("strides", &[2])])
        .build();
    check("1-D and grouped Conv", &g);
}

/// ConvTranspose (2-D strided with pads and output padding; 1-D grouped) and Einsum: attention's
/// `bhqd,bhkd->bhqk` on two computed tensors, a reduction of one, a constant right side and an
/// ellipsis.
#[test]
fn transposed_convolutions_and_einsum() {
    let mut rng = XorShift::new(0xe1e1);
    let g = GraphBuilder::new("deconv_einsum")
        .input("x", &[1, WIDTH])
        .output("ct", &[1, 3, 4, 4])
        .output("ct1", &[1, 2, 8])
        .output("att", &[1, 2, 2, 2])
        .output("red", &[1, 2, 2])
        .output("lin", &[1, 3])
        .output("ell", &[2, 2, 2])
        .initializer("w", &[WIDTH, WIDTH], rng.vec_f32(WIDTH * WIDTH, 0.6))
        .initializer("w2", &[WIDTH, WIDTH], rng.vec_f32(WIDTH * WIDTH, 0.6))
        .initializer("k", &[2, 3, 3, 3], rng.vec_f32(54, 0.5))
        .initializer("kb", &[3], rng.vec_f32(3, 0.2))
        .initializer("k1", &[2, 1, 2], rng.vec_f32(4, 0.6))
        .initializer("proj", &[WIDTH, 3], rng.vec_f32(3 * WIDTH, 0.6))
        .initializer_i64("img", &[4], vec![1, 2, 2, 2])
        .initializer_i64("seq", &[3], vec![1, 2, 4])
        .initializer_i64("cube", &[3], vec![2, 2, 2])
        .node("MatMul", &["x", "w"], &["h"], vec![])
        .node("MatMul", &["x", "w2"], &["h2"], vec![])
        .node("Reshape", &["h", "img"], &["r"], vec![])
        .node(
            "ConvTranspose",
            &["r", "k", "kb"],
            &["ct"],
            vec![attr_ints("strides", &[2, 2]), attr_ints("pads", &[1, 1, 1, 1]), attr_ints("output_padding", &[1, 1])],
        )
        .node("Reshape", &["h", "seq"], &["s"], vec![])
        .node("ConvTranspose", &["s", "k1"], &["ct1"], vec![attr_int("group", 2), attr_ints("strides", &[2])])
        .node("Reshape", &["h2", "img"], &["r2"], vec![])
        .node("Einsum", &["r", "r2"], &["att"], vec![attr_string("equation", "bhqd,bhkd->bhqk")])
        .node("Einsum", &["r"], &["red"], vec![attr_string("equation", "bhqd->bdq")])
        .node("Einsum", &["x", "proj"], &["lin"], vec![attr_string("equation", "bi,ij->bj")])
        .node("Reshape", &["h", "cube"], &["c"], vec![])
        .node("Reshape", &["h2", "cube"], &["c2"], vec![])
        .node("Einsum", &["c", "c2"], &["ell"], vec![attr_string("equation", "...ij,...kj->...ik")])
        .opset(13)
        .build();
    check("ConvTranspose and Einsum", &g);
}
