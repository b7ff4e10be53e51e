//! The fixture models used by the end-to-end tests and by `make demo`.
//!
//! Each model is small enough to prove quickly yet targets one lowering concern (broadcast
//! direction, padding and strides, constants arriving as nodes vs initializers, unsupported ops),
//! so a failing end-to-end test points at a specific part of the pipeline.
//!
//! The files are checked in so tests and the demo need no generator run, and
//! `tests/test_models_current.rs` fails if they fall out of sync with this code.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::onnx_builder::{attr_float, attr_int, attr_ints, GraphBuilder, XorShift};

/// Default output root for the test fixtures, relative to the crate root.
pub const TESTS_DIR: &str = "tests/models";
/// Default output root for the bundled demo model, relative to the crate root.
pub const DEMO_DIR: &str = "examples/models";
pub const NETWORK_FILE: &str = "network.onnx";
pub const INPUT_FILE: &str = "input.json";

/// One generated model plus the metadata tests need to run it without re-parsing the ONNX.
#[derive(Debug, Clone)]
pub struct ModelCase {
    pub name: &'static str,
    pub onnx: Vec<u8>,
    pub input_shapes: Vec<Vec<usize>>,
    pub output_shape: Vec<usize>,
    /// One flat row-major array per graph input, in graph-input order.
    pub inputs: Vec<Vec<f64>>,
}

/// EZKL's `input.json` layout, so the same files can be fed to EZKL for cross-checking.
#[derive(Serialize)]
struct InputJson<'a> {
    input_data: &'a [Vec<f64>],
}

impl ModelCase {
    pub fn input_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(&InputJson { input_data: &self.inputs })
            .expect("serialising plain f64 arrays cannot fail");
        s.push('\n');
        s
    }

    /// Writes `<root>/<name>/{network.onnx,input.json}` and returns the model directory.
    pub fn write_to(&self, root: &Path) -> io::Result<PathBuf> {
        let dir = root.join(self.name);
        fs::create_dir_all(&dir)?;
        fs::write(dir.join(NETWORK_FILE), &self.onnx)?;
        fs::write(dir.join(INPUT_FILE), self.input_json())?;
        Ok(dir)
    }
}

/// Models written under [`TESTS_DIR`].
pub fn test_models() -> Vec<ModelCase> {
    vec![
        gemm_relu(),
        matmul_sigmoid(),
        arith_broadcast(),
        conv_pool(),
        conv_strided(),
        reshape_constant(),
        unsupported_sin(),
    ]
}

/// Models written under [`DEMO_DIR`]; kept apart because the demo should not depend on test
/// fixtures that may be reshaped to chase lowering bugs.
pub fn demo_models() -> Vec<ModelCase> {
    vec![demo_mlp()]
}

/// Regenerates every fixture. Returns the model directories written, tests first.
pub fn write_all(tests_dir: &Path, demo_dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for m in test_models() {
        written.push(m.write_to(tests_dir)?);
    }
    for m in demo_models() {
        written.push(m.write_to(demo_dir)?);
    }
    Ok(written)
}

/// PyTorch's default `Linear`/`Conv` init bound, so activations keep a realistic magnitude
/// through several layers instead of vanishing or saturating.
fn init_bound(fan_in: usize) -> f32 {
    1.0 / (fan_in as f32).sqrt()
}

/// Inputs in [-1, 1] rounded to 4 decimals: readable in the JSON, and exactly the values the
/// quantiser sees whichever way a consumer parses them.
fn input_values(rng: &mut XorShift, n: usize) -> Vec<f64> {
    (0..n).map(|_| (f64::from(rng.uniform_f32(1.0)) * 1e4).round() / 1e4).collect()
}

fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

fn case(
    name: &'static str,
    graph: GraphBuilder,
    input_shapes: Vec<Vec<usize>>,
    output_shape: Vec<usize>,
    seed: u64,
) -> ModelCase {
    // A stream separate from the weights', so editing a model's weights keeps its inputs.
    let mut rng = XorShift::new(seed ^ 0x1A2B_3C4D_5E6F_7081);
    let inputs = input_shapes.iter().map(|s| input_values(&mut rng, numel(s))).collect();
    ModelCase { name, onnx: graph.build(), input_shapes, output_shape, inputs }
}

fn gemm_relu() -> ModelCase {
    const SEED: u64 = 1;
    let mut r = XorShift::new(SEED);
    let g = GraphBuilder::new("gemm_relu")
        .doc("Two Gemm layers (transB=1) with a ReLU in between.")
        .input("x", &[1, 4])
        .output("y", &[1, 3])
        .initializer("w1", &[8, 4], r.vec_f32(32, init_bound(4)))
        .initializer("b1", &[8], r.vec_f32(8, init_bound(4)))
        .initializer("w2", &[3, 8], r.vec_f32(24, init_bound(8)))
        .initializer("b2", &[3], r.vec_f32(3, init_bound(8)))
        .node("Gemm", &["x", "w1", "b1"], &["h1"], vec![attr_int("transB", 1)])
        .node("Relu", &["h1"], &["a1"], vec![])
        .node("Gemm", &["a1", "w2", "b2"], &["y"], vec![attr_int("transB", 1)]);
    case("gemm_relu", g, vec![vec![1, 4]], vec![1, 3], SEED)
}

fn matmul_sigmoid() -> ModelCase {
    const SEED: u64 = 2;
    let mut r = XorShift::new(SEED);
    let g = GraphBuilder::new("matmul_sigmoid")
        .doc("MatMul with an explicit Add bias, as exporters emit for nn.Linear without Gemm.")
        .input("x", &[1, 6])
        .output("y", &[1, 4])
        .initializer("w", &[6, 4], r.vec_f32(24, init_bound(6)))
        .initializer("b", &[4], r.vec_f32(4, init_bound(6)))
        .node("MatMul", &["x", "w"], &["h"], vec![])
        .node("Add", &["h", "b"], &["z"], vec![])
        .node("Sigmoid", &["z"], &["y"], vec![]);
    case("matmul_sigmoid", g, vec![vec![1, 6]], vec![1, 4], SEED)
}

fn arith_broadcast() -> ModelCase {
    const SEED: u64 = 3;
    let mut r = XorShift::new(SEED);
    let g = GraphBuilder::new("arith_broadcast")
        .doc(
            "Element-wise arithmetic: tensor-tensor ops, [4] and [1] constants broadcast on the \
             right, a [1,1] constant broadcast on the left of a non-commutative Sub.",
        )
        .input("x", &[1, 4])
        .input("z", &[1, 4])
        .output("y", &[1, 4])
        .initializer("c", &[4], r.vec_f32(4, 0.5))
        .initializer("s", &[1], vec![0.75])
        .initializer("k", &[1, 1], r.vec_f32(1, 0.5))
        .node("Add", &["x", "z"], &["a"], vec![])
        .node("Sub", &["a", "c"], &["b"], vec![])
        .node("Mul", &["b", "z"], &["m"], vec![])
        .node("Mul", &["m", "s"], &["d"], vec![])
        .node("Identity", &["d"], &["e"], vec![])
        .node("Sub", &["k", "e"], &["f"], vec![])
        .node("Tanh", &["f"], &["y"], vec![]);
    case("arith_broadcast", g, vec![vec![1, 4], vec![1, 4]], vec![1, 4], SEED)
}

fn conv_pool() -> ModelCase {
    const SEED: u64 = 4;
    let mut r = XorShift::new(SEED);
    // [1,1,6,6] -conv3x3 pad1-> [1,2,6,6] -bn,relu,maxpool2-> [1,2,3,3]
    //   -conv2x2-> [1,3,2,2] -avgpool2-> [1,3,1,1] -flatten-> [1,3] -gemm-> [1,2]
    let g = GraphBuilder::new("conv_pool")
        .doc("Small CNN: padded Conv, BatchNorm, MaxPool, Conv, AveragePool, Flatten, Gemm.")
        .input("x", &[1, 1, 6, 6])
        .output("y", &[1, 2])
        .initializer("w1", &[2, 1, 3, 3], r.vec_f32(18, init_bound(9)))
        .initializer("b1", &[2], r.vec_f32(2, init_bound(9)))
        .initializer("bn_scale", &[2], r.range_f32(2, 0.5, 1.5))
        .initializer("bn_bias", &[2], r.vec_f32(2, 0.1))
        .initializer("bn_mean", &[2], r.vec_f32(2, 0.1))
        .initializer("bn_var", &[2], r.range_f32(2, 0.5, 1.5))
        .initializer("w2", &[3, 2, 2, 2], r.vec_f32(24, init_bound(8)))
        .initializer("b2", &[3], r.vec_f32(3, init_bound(8)))
        .initializer("w3", &[2, 3], r.vec_f32(6, init_bound(3)))
        .initializer("b3", &[2], r.vec_f32(2, init_bound(3)))
        .node(
            "Conv",
            &["x", "w1", "b1"],
            &["c1"],
            vec![attr_ints("kernel_shape", &[3, 3]), attr_ints("pads", &[1, 1, 1, 1]), attr_ints("strides", &[1, 1])],
        )
        .node(
            "BatchNormalization",
            &["c1", "bn_scale", "bn_bias", "bn_mean", "bn_var"],
            &["n1"],
            vec![attr_float("epsilon", 1e-5)],
        )
        .node("Relu", &["n1"], &["r1"], vec![])
        .node("MaxPool", &["r1"], &["p1"], vec![attr_ints("kernel_shape", &[2, 2]), attr_ints("strides", &[2, 2])])
        .node(
            "Conv",
            &["p1", "w2", "b2"],
            &["c2"],
            vec![attr_ints("kernel_shape", &[2, 2]), attr_ints("strides", &[1, 1])],
        )
        .node("AveragePool", &["c2"], &["p2"], vec![attr_ints("kernel_shape", &[2, 2]), attr_ints("strides", &[2, 2])])
        .node("Flatten", &["p2"], &["f"], vec![attr_int("axis", 1)])
        .node("Gemm", &["f", "w3", "b3"], &["y"], vec![attr_int("transB", 1)]);
    case("conv_pool", g, vec![vec![1, 1, 6, 6]], vec![1, 2], SEED)
}

fn conv_strided() -> ModelCase {
    const SEED: u64 = 5;
    let mut r = XorShift::new(SEED);
    // [1,2,5,5] -conv3x3 s2 pad1-> [1,2,3,3] -relu, avgpool2 s1-> [1,2,2,2] -reshape-> [1,8]
    let g = GraphBuilder::new("conv_strided")
        .doc("Strided, padded Conv without bias; Reshape whose shape comes from a Constant node.")
        .input("x", &[1, 2, 5, 5])
        .output("y", &[1, 8])
        .initializer("w", &[2, 2, 3, 3], r.vec_f32(36, init_bound(18)))
        .node(
            "Conv",
            &["x", "w"],
            &["c"],
            vec![attr_ints("kernel_shape", &[3, 3]), attr_ints("pads", &[1, 1, 1, 1]), attr_ints("strides", &[2, 2])],
        )
        .node("Relu", &["c"], &["r"], vec![])
        .node("AveragePool", &["r"], &["p"], vec![attr_ints("kernel_shape", &[2, 2]), attr_ints("strides", &[1, 1])])
        .constant_i64("shape", &[2], vec![1, -1])
        .node("Reshape", &["p", "shape"], &["y"], vec![]);
    case("conv_strided", g, vec![vec![1, 2, 5, 5]], vec![1, 8], SEED)
}

fn reshape_constant() -> ModelCase {
    const SEED: u64 = 6;
    let mut r = XorShift::new(SEED);
    let g = GraphBuilder::new("reshape_constant")
        .doc("Reshape with an i64 initializer shape; bias delivered by a Constant node.")
        .input("x", &[1, 2, 3])
        .output("y", &[1, 2])
        .initializer_i64("shape", &[2], vec![1, 6])
        .initializer("w", &[6, 2], r.vec_f32(12, init_bound(6)))
        .node("Reshape", &["x", "shape"], &["flat"], vec![])
        .node("MatMul", &["flat", "w"], &["h"], vec![])
        .constant_f32("b", &[2], r.vec_f32(2, init_bound(6)))
        .node("Add", &["h", "b"], &["y"], vec![]);
    case("reshape_constant", g, vec![vec![1, 2, 3]], vec![1, 2], SEED)
}

fn unsupported_sin() -> ModelCase {
    const SEED: u64 = 7;
    let g = GraphBuilder::new("unsupported_sin")
        .doc("Valid ONNX that tract runs but the circuit lowering must reject with a clear error.")
        .input("x", &[1, 4])
        .output("y", &[1, 4])
        .node("Sin", &["x"], &["y"], vec![]);
    case("unsupported_sin", g, vec![vec![1, 4]], vec![1, 4], SEED)
}

fn demo_mlp() -> ModelCase {
    const SEED: u64 = 42;
    let mut r = XorShift::new(SEED);
    let g = GraphBuilder::new("demo_mlp")
        .doc(
            "Credit-risk style MLP: 8 standardised applicant features (income, debt ratio, \
             credit history length, open accounts, delinquencies, utilisation, loan amount, \
             employment length) -> [P(default), P(approve)]. Random weights, illustrative only.",
        )
        .input("features", &[1, 8])
        .output("scores", &[1, 2])
        .initializer("fc1.weight", &[16, 8], r.vec_f32(128, init_bound(8)))
        .initializer("fc1.bias", &[16], r.vec_f32(16, init_bound(8)))
        .initializer("fc2.weight", &[8, 16], r.vec_f32(128, init_bound(16)))
        .initializer("fc2.bias", &[8], r.vec_f32(8, init_bound(16)))
        .initializer("fc3.weight", &[2, 8], r.vec_f32(16, init_bound(8)))
        .initializer("fc3.bias", &[2], r.vec_f32(2, init_bound(8)))
        .node("Gemm", &["features", "fc1.weight", "fc1.bias"], &["h1"], vec![attr_int("transB", 1)])
        .node("Relu", &["h1"], &["a1"], vec![])
        .node("Gemm", &["a1", "fc2.weight", "fc2.bias"], &["h2"], vec![attr_int("transB", 1)])
        .node("Relu", &["h2"], &["a2"], vec![])
        .node("Gemm", &["a2", "fc3.weight", "fc3.bias"], &["logits"], vec![attr_int("transB", 1)])
        .node("Sigmoid", &["logits"], &["scores"], vec![]);
    case("demo_mlp", g, vec![vec![1, 8]], vec![1, 2], SEED)
}
