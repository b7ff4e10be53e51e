//! LSTM, GRU and RNN layers unrolled over their sequence: our float evaluation of the lowering
//! matches tract's run of the same file on the attributes tract applies (forward direction, both
//! layouts, peepholes, constant and computed initial states, GRU's
//! linear_before_reset), and a small LSTM compiles, proves, verifies in Rust and in the EVM, with a
//! tampered proof and instance rejected. Where tract cannot check a layer (bidirectional ones it
//! cannot load; reverse direction, activation lists, clip and input_forget it ignores), the
//! committed fixtures in tests/models/recurrent/ hold onnxruntime's outputs instead, and the
//! lowering, then the circuit, are held to those.

mod common;

use common::{compile_model, onnxruntime_outputs, proof_parts, root};
use tract_onnx::pb::AttributeProto;
use zkinfer::evm::calldata::{decode_verify_return, encode_verify_words};
use zkinfer::evm::runner::Evm;
use zkinfer::model::input_file::{read_samples, write_inputs};
use zkinfer::model::onnx_import::import_onnx;
use zkinfer::model::reference::ReferenceModel;
use zkinfer::pipeline::eval::{evaluate, reference_for};
use zkinfer::pipeline::{self, Build, CalibrationOptions, Prover, SrsSource};
use zkinfer::testing::onnx_builder::{attr_int, attr_string, GraphBuilder, XorShift};

struct Layer {
    op: &'static str,
    seq: usize,
    input: usize,
    hidden: usize,
    bidirectional: bool,
    batch_first: bool,
    peepholes: bool,
    /// 0: none, 1: constant initial states, 2: initial_h as a second model input.
    initial: u8,
    attrs: Vec<AttributeProto>,
}

fn gates(op: &str) -> usize {
    match op {
        "LSTM" => 4,
        "GRU" => 3,
        _ => 1,
    }
}

/// `x -> op -> Y, Y_h` (and Y_c for LSTM), weights uniform in ±1/sqrt(hidden) as PyTorch
/// initialises them.
fn model(l: &Layer, seed: u64) -> Vec<u8> {
    let mut rng = XorShift::new(seed);
    let dirs = if l.bidirectional { 2 } else { 1 };
    let g = gates(l.op);
    let a = 1.0 / (l.hidden as f32).sqrt();
    let x_shape = if l.batch_first { [1, l.seq, l.input] } else { [l.seq, 1, l.input] };
    let y_shape = if l.batch_first { vec![1, l.seq, dirs, l.hidden] } else { vec![l.seq, dirs, 1, l.hidden] };
    let s_shape = if l.batch_first { [1, dirs, l.hidden] } else { [dirs, 1, l.hidden] };
    let mut b = GraphBuilder::new(l.op)
        .opset(14)
        .input("x", &x_shape)
        .initializer("W", &[dirs, g * l.hidden, l.input], rng.vec_f32(dirs * g * l.hidden * l.input, a))
        .initializer("R", &[dirs, g * l.hidden, l.hidden], rng.vec_f32(dirs * g * l.hidden * l.hidden, a))
        .initializer("B", &[dirs, 2 * g * l.hidden], rng.vec_f32(dirs * 2 * g * l.hidden, a));
    let mut inputs = vec!["x", "W", "R", "B", ""];
    match l.initial {
        1 => {
            b = b.initializer("h0", &s_shape, rng.vec_f32(dirs * l.hidden, 0.5));
            inputs.push("h0");
            if l.op == "LSTM" {
                b = b.initializer("c0", &s_shape, rng.vec_f32(dirs * l.hidden, 0.5));
                inputs.push("c0");
            }
        }
        2 => {
            b = b.input("h0", &s_shape);
            inputs.push("h0");
        }
        _ => {}
    }
    if l.peepholes {
        while inputs.len() < 7 {
            inputs.push("");
        }
        b = b.initializer("P", &[dirs, 3 * l.hidden], rng.vec_f32(dirs * 3 * l.hidden, a));
        inputs.push("P");
    }
    let mut outputs = vec!["Y", "Y_h"];
    b = b.output("Y", &y_shape).output("Y_h", &s_shape);
    if l.op == "LSTM" {
        outputs.push("Y_c");
        b = b.output("Y_c", &s_shape);
    }
    let mut attrs = l.attrs.clone();
    attrs.push(attr_int("hidden_size", l.hidden as i64));
    if l.bidirectional {
        attrs.push(attr_string("direction", "bidirectional"));
    }
    if l.batch_first {
        attrs.push(attr_int("layout", 1));
    }
    b.node(l.op, &inputs, &outputs, attrs).build()
}

fn layer(op: &'static str) -> Layer {
    Layer {
        op,
        seq: 7,
        input: 3,
        hidden: 4,
        bidirectional: false,
        batch_first: false,
        peepholes: false,
        initial: 0,
        attrs: vec![],
    }
}

/// The largest difference between our lowering's float run and tract's, over random inputs.
fn float_gap(l: &Layer, seed: u64) -> f64 {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("network.onnx");
    std::fs::write(&path, model(l, seed)).unwrap();
    let graph = import_onnx(&path, None).unwrap();
    let shapes: Vec<Vec<usize>> = graph.inputs.iter().map(|&i| graph.nodes[i].shape.clone()).collect();
    let reference = ReferenceModel::load(&path, &shapes).unwrap();
    assert!(reference.is_tract(), "{}: tract runs the default attributes", l.op);
    let mut rng = XorShift::new(seed ^ 0xabc);
    let mut worst: f64 = 0.0;
    for _ in 0..5 {
        let inputs: Vec<Vec<f64>> =
            shapes.iter().map(|s| rng.vec_f32(s.iter().product(), 2.0).into_iter().map(f64::from).collect()).collect();
        let values = graph.eval_f64(&inputs);
        let expected = reference.run(&inputs).unwrap();
        assert_eq!(expected.len(), graph.outputs.len());
        for (e, &o) in expected.iter().zip(&graph.outputs) {
            assert_eq!(e.len(), values[o].len(), "{}: output length", l.op);
            for (a, b) in e.iter().zip(&values[o]) {
                worst = worst.max((a - b).abs());
            }
        }
    }
    worst
}

#[test]
fn lowering_matches_tract_on_every_layout_and_direction() {
    let mut cases = Vec::new();
    for op in ["LSTM", "GRU", "RNN"] {
        cases.push((format!("{op} forward"), layer(op)));
        // Bidirectional and reverse layers are held to onnxruntime instead (tract 0.23 fails to
        // load some bidirectional graphs and ignores the direction of reverse ones).
        cases.push((format!("{op} batch first"), Layer { batch_first: true, ..layer(op) }));
        cases.push((format!("{op} constant initial state"), Layer { initial: 1, ..layer(op) }));
        cases.push((format!("{op} initial_h as an input"), Layer { initial: 2, ..layer(op) }));
    }
    cases.push(("LSTM peepholes".into(), Layer { peepholes: true, initial: 1, ..layer("LSTM") }));
    cases.push((
        "GRU linear_before_reset".into(),
        Layer { attrs: vec![attr_int("linear_before_reset", 1)], initial: 1, ..layer("GRU") },
    ));
    cases.push((
        "GRU linear_before_reset, batch first".into(),
        Layer { attrs: vec![attr_int("linear_before_reset", 1)], batch_first: true, ..layer("GRU") },
    ));
    for (i, (name, l)) in cases.iter().enumerate() {
        let gap = float_gap(l, 100 + i as u64);
        assert!(gap < 1e-5, "{name}: our lowering differs from tract by {gap}");
    }
}

#[test]
fn weights_must_be_constants_and_sequences_full_length() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("network.onnx");
    let onnx = GraphBuilder::new("lstm")
        .input("x", &[5, 1, 2])
        .input("W", &[1, 8, 2])
        .initializer("R", &[1, 8, 2], vec![0.1; 16])
        .output("Y_h", &[1, 1, 2])
        .node("LSTM", &["x", "W", "R"], &["", "Y_h"], vec![attr_int("hidden_size", 2)])
        .build();
    std::fs::write(&path, onnx).unwrap();
    let err = import_onnx(&path, None).unwrap_err().to_string();
    assert!(err.contains("W (input #1) must be a constant"), "{err}");

    let onnx = GraphBuilder::new("lstm")
        .input("x", &[5, 1, 2])
        .initializer("W", &[1, 8, 2], vec![0.1; 16])
        .initializer("R", &[1, 8, 2], vec![0.1; 16])
        .initializer_i64("lens", &[1], vec![3])
        .output("Y_h", &[1, 1, 2])
        .node("LSTM", &["x", "W", "R", "", "lens"], &["", "Y_h"], vec![])
        .build();
    std::fs::write(&path, onnx).unwrap();
    let err = import_onnx(&path, None).unwrap_err().to_string();
    assert!(err.contains("only full-length sequences (5)"), "{err}");
}

/// A 12-step LSTM forecaster (`x [12, 1, 2] -> LSTM(6) -> Y_h`): calibrated on 8 random windows,
/// within 0.5% of the output range on 20 others, proved and verified in Rust and in the EVM.
#[test]
fn lstm_proves_and_verifies() {
    let l = Layer { seq: 12, input: 2, hidden: 6, ..layer("LSTM") };
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("network.onnx");
    let onnx = {
        // Y_h only, as a forecaster's head reads it.
        let mut rng = XorShift::new(7);
        let a = 1.0 / (l.hidden as f32).sqrt();
        let g4 = 4 * l.hidden;
        GraphBuilder::new("lstm_forecaster")
            .opset(14)
            .input("x", &[l.seq, 1, l.input])
            .initializer("W", &[1, g4, l.input], rng.vec_f32(g4 * l.input, a))
            .initializer("R", &[1, g4, l.hidden], rng.vec_f32(g4 * l.hidden, a))
            .initializer("B", &[1, 2 * g4], rng.vec_f32(2 * g4, a))
            .output("Y_h", &[1, 1, l.hidden])
            .node("LSTM", &["x", "W", "R", "B"], &["", "Y_h"], vec![attr_int("hidden_size", l.hidden as i64)])
            .build()
    };
    std::fs::write(&path, onnx).unwrap();
    let window = |seed: u64| -> Vec<Vec<f64>> {
        let mut rng = XorShift::new(seed);
        vec![rng.vec_f32(l.seq * l.input, 2.0).into_iter().map(f64::from).collect()]
    };
    let calibration: Vec<_> = (0..8)
        .map(|i| {
            let p = tmp.path().join(format!("cal-{i}.json"));
            write_inputs(&p, &window(1000 + i)).unwrap();
            p
        })
        .collect();
    let out = tmp.path().join("build");
    let settings = compile_model(&path, &calibration, CalibrationOptions::default(), &out);
    assert!(settings.calibration.budget_met, "{:?}", settings.calibration.advice);
    let build = Build::open(&out).unwrap();
    let reference = reference_for(&build, None).unwrap();
    let holdout: Vec<_> = (0..20).map(|i| window(2000 + i)).collect();
    let report = evaluate(&(&build).into(), &reference, &holdout).unwrap();
    assert_eq!(report.out_of_range, 0, "{:?}", report.first_out_of_range);
    let worst = report.outputs.iter().map(|o| o.max_rel_error).fold(0.0, f64::max);
    assert!(worst <= 5e-3, "error {:.4}% of the output range", worst * 100.0);

    pipeline::setup(&build, &SrsSource::Dev).unwrap();
    let prover = Prover::load(&build).unwrap();
    let proved = pipeline::prove(&build, &prover, &build.scale().quantise(&window(3000)), Default::default()).unwrap();
    let proof = proved.file;
    let vk = build.vk().unwrap();
    pipeline::verify(&build, &proof, &prover.params, &vk).unwrap();
    let (bytes, instances) = proof_parts(&proof);
    let verifier = pipeline::verifier_contract::compile_verifier(&build).unwrap();
    let mut evm = Evm::new();
    let address = verifier.deploy(&mut evm).unwrap().address;
    let mut accepts = |proof: &[u8], instances: &[[u8; 32]]| {
        let out = evm.call(address, encode_verify_words(proof, instances)).unwrap();
        out.success && decode_verify_return(&out.output) == Some(true)
    };
    assert!(accepts(&bytes, &instances), "EVM verifier rejected a valid proof");
    let mut bad = bytes.clone();
    bad[100] ^= 1;
    assert!(!accepts(&bad, &instances), "EVM accepted a tampered proof");
    let mut wrong = instances.clone();
    let last = wrong.len() - 1;
    wrong[last][31] ^= 1;
    assert!(!accepts(&bytes, &wrong), "EVM accepted a tampered instance");
    let mut tampered = proof.clone();
    tampered.proof = format!("0x{}", hex::encode(&bad));
    assert!(pipeline::verify(&build, &tampered, &prover.params, &vk).is_err(), "Rust accepted a tampered proof");
    println!(
        "lstm 12 steps: k={} arithmetic rows {}, hold-out error {:.4}%",
        settings.k,
        settings.rows.arithmetic,
        worst * 100.0
    );
}

/// Each layer in tests/models/recurrent/ (scripts/gen_exporter_fixtures.py: one bare LSTM, GRU or
/// RNN with every output, 6 steps) sets something tract does not run. Our float lowering equals
/// onnxruntime's outputs on each of 20 samples, and the circuit, compiled with default flags,
/// stays within 0.5% of each output's range of onnxruntime on all of them.
#[test]
fn lowering_matches_onnxruntime_where_tract_cannot_check() {
    let names = [
        "lstm_bidirectional",
        "lstm_reverse_peepholes",
        "lstm_clip",
        "lstm_input_forget",
        "lstm_activations",
        "gru_reverse",
        "gru_bidirectional_activations",
        "rnn_bidirectional_scaled",
        "rnn_relu",
    ];
    for name in names {
        let dir = root().join("tests/models/recurrent").join(name);
        let onnx = dir.join("network.onnx");
        let holdout = dir.join("holdout.json");
        let graph = import_onnx(&onnx, None).unwrap();
        let samples = read_samples(&holdout, 1).unwrap();
        let ort = onnxruntime_outputs(&holdout);
        assert_eq!(samples.len(), 20, "{name}");
        for (sample, want) in samples.iter().zip(&ort) {
            let f32_inputs: Vec<Vec<f64>> =
                sample.iter().map(|v| v.iter().map(|&x| f64::from(x as f32)).collect()).collect();
            let values = graph.eval_f64(&f32_inputs);
            assert_eq!(want.len(), graph.outputs.len(), "{name}: outputs");
            for (w, &o) in want.iter().zip(&graph.outputs) {
                assert_eq!(w.len(), values[o].len(), "{name}: output length");
                for (a, b) in w.iter().zip(&values[o]) {
                    assert!((a - b).abs() <= 1e-5 * (1.0 + a.abs()), "{name}: onnxruntime {a}, our lowering {b}");
                }
            }
        }

        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("build");
        let settings = compile_model(&onnx, &[dir.join("calibration.json")], CalibrationOptions::default(), &out);
        assert!(settings.calibration.budget_met, "{name}: {:?}", settings.calibration.advice);
        let build = Build::open(&out).unwrap();
        let reference = reference_for(&build, None).unwrap();
        // Whichever runs the float reference (tract where it loads and applies the layer, our
        // lowering otherwise), it is onnxruntime's layer.
        for (sample, want) in samples.iter().zip(&ort) {
            for (w, got) in want.iter().zip(reference.run(sample).unwrap()) {
                for (a, b) in w.iter().zip(&got) {
                    assert!((a - b).abs() <= 1e-5 * (1.0 + a.abs()), "{name}: onnxruntime {a}, reference {b}");
                }
            }
        }
        let report = evaluate(&(&build).into(), &reference, &samples).unwrap();
        assert_eq!(report.out_of_range, 0, "{name}: {:?}", report.first_out_of_range);
        for (oi, o) in report.outputs.iter().enumerate() {
            // The circuit's error against our lowering, plus the lowering's own gap to
            // onnxruntime (checked above), against the range onnxruntime's outputs span.
            let range = ort.iter().flat_map(|s| s[oi].iter()).fold(0.0f64, |m, v| m.max(v.abs())).max(0.01);
            let error = o.max_abs_error / range + 1e-5;
            assert!(error <= 5e-3, "{name} '{}': {:.4}% of the output range", o.name, error * 100.0);
        }
        println!(
            "{name}: k={} rows {}, worst error {:.4}% of an output's range",
            settings.k,
            settings.rows.arithmetic,
            report.outputs.iter().map(|o| o.max_rel_error).fold(0.0, f64::max) * 100.0
        );
    }
}
