//! Builds the AIGC NFT's generative model: 4 prompt features -> an 8x8 grayscale image.
//!
//! `cargo run --release --example make_generative_model` writes `examples/aigc-nft/model/`:
//! `network.onnx`, `input.json` (the features of the prompt "a red fox at dawn") and calibration
//! states spanning the feature cube.
//!
//! The network is designed, not trained: 16 hidden ReLU units mix the features, and each output
//! pixel weighs the hidden units by 2-D cosine patterns at its position, so every prompt gives a
//! smooth, structured image (blobs, stripes, gradients) instead of noise. Features come from the
//! prompt's keccak256 on chain (see contracts/nft/): the contract and the prover derive the same
//! inputs, so the content is bound to the prompt.

use std::f64::consts::PI;
use std::path::PathBuf;

use zkinfer::testing::onnx_builder::{attr_int, GraphBuilder, XorShift};

const HIDDEN: usize = 16;
const SIDE: usize = 8;

fn main() {
    let mut r = XorShift::new(7007);
    // Hidden unit j responds to a random mix of the features (plus a bias), so different prompts
    // switch different patterns on.
    let w1: Vec<f32> = (0..HIDDEN * 4).map(|_| r.uniform_f32(1.5)).collect();
    let b1: Vec<f32> = (0..HIDDEN).map(|_| r.uniform_f32(0.3)).collect();
    // Pattern j at pixel (x, y): cos(pi (fx x + 0.5) / 8) cos(pi (fy y + 0.5) / 8) for frequency pair j.
    let mut w2 = vec![0f32; SIDE * SIDE * HIDDEN];
    for y in 0..SIDE {
        for x in 0..SIDE {
            for j in 0..HIDDEN {
                let (fx, fy) = ((j % 4) as f64, (j / 4) as f64);
                let v =
                    (PI * fx * (x as f64 + 0.5) / SIDE as f64).cos() * (PI * fy * (y as f64 + 0.5) / SIDE as f64).cos();
                w2[(y * SIDE + x) * HIDDEN + j] = (1.6 * v) as f32;
            }
        }
    }
    let b2 = vec![-0.4f32; SIDE * SIDE];
    let onnx = GraphBuilder::new("aigc_8x8")
        .doc("Generative toy: 4 prompt features -> 8x8 grayscale image in [0, 1] (row-major).")
        .input("features", &[1, 4])
        .output("image", &[1, SIDE * SIDE])
        .initializer("fc1.weight", &[HIDDEN, 4], w1)
        .initializer("fc1.bias", &[HIDDEN], b1)
        .initializer("fc2.weight", &[SIDE * SIDE, HIDDEN], w2)
        .initializer("fc2.bias", &[SIDE * SIDE], b2)
        .node("Gemm", &["features", "fc1.weight", "fc1.bias"], &["h"], vec![attr_int("transB", 1)])
        .node("Relu", &["h"], &["a"], vec![])
        .node("Gemm", &["a", "fc2.weight", "fc2.bias"], &["z"], vec![attr_int("transB", 1)])
        .node("Sigmoid", &["z"], &["image"], vec![])
        .build();

    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/aigc-nft/model");
    std::fs::create_dir_all(dir.join("calibration")).unwrap();
    std::fs::write(dir.join("network.onnx"), onnx).unwrap();
    let features = zkinfer::testing::evm_fixtures::prompt_features(
        b"a red fox at dawn",
        zkinfer::encoding::Scale::new(7).unwrap(),
    );
    let unit = 128.0;
    zkinfer::model::input_file::write_inputs(
        &dir.join("input.json"),
        &[features.iter().map(|&f| f as f64 / unit).collect()],
    )
    .unwrap();
    // Corners of the feature cube and two inside points bound every activation a prompt can cause.
    let states = [
        [0.0, 0.0, 0.0, 0.0],
        [1.0, 1.0, 1.0, 1.0],
        [1.0, 0.0, 1.0, 0.0],
        [0.0, 1.0, 0.0, 1.0],
        [1.0, 1.0, 0.0, 0.0],
        [0.0, 0.0, 1.0, 1.0],
    ];
    for (i, s) in states.iter().enumerate() {
        zkinfer::model::input_file::write_inputs(
            &dir.join("calibration").join(format!("state-{i}.json")),
            &[s.to_vec()],
        )
        .unwrap();
    }
    println!("wrote {}", dir.display());
}
