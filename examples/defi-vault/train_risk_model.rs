//! Trains the vault's risk model on synthetic market data and writes it as ONNX.
//!
//! `cargo run --release --example train_risk_model` writes `examples/defi-vault/model/`:
//! `network.onnx`, `input.json` (one market state) and `calibration/*.json` (states that span the
//! feature ranges, for `zkinfer compile --calibrate`). Deterministic: same seed, same file.
//!
//! Features (what the vault computes on chain, each in [0, 2]):
//!   f0 utilisation = borrowed / deposits
//!   f1 volatility  = 10 x mean |relative price change| over the last 8 prices, capped at 2
//!   f2 drawdown    = (max price in the window - current) / max
//!   f3 coverage    = min(collateral value / borrowed, 4) / 4
//! Outputs (sigmoid, in [0, 1]): y0 -> max LTV = 0.30 + 0.60 y0; y1 -> borrow rate = 0.50 y1.
//! The targets are a hand-written risk policy (lower LTV when prices are volatile or falling or
//! collateral is thin; a kinked utilisation rate curve): the point is a small network a vault can
//! prove on chain, not financial advice.

use std::path::PathBuf;

use zkinfer::testing::onnx_builder::{attr_int, GraphBuilder, XorShift};

const HIDDEN: usize = 8;
const SAMPLES: usize = 4096;
const EPOCHS: usize = 400;
const BATCH: usize = 64;
const SEED: u64 = 7007;

/// The policy the network learns: (y0, y1) for a market state.
fn policy(f: &[f64; 4]) -> [f64; 2] {
    let [util, vol, drawdown, coverage] = *f;
    let ltv = 0.95 - 0.30 * (vol / 2.0) - 0.45 * drawdown - 0.25 * (1.0 - coverage) - 0.10 * util;
    let rate = 0.02 + 0.10 * util + 2.0 * (util - 0.8).max(0.0) + 0.05 * vol;
    [ltv.clamp(0.02, 0.98), (rate / 0.5).clamp(0.01, 0.99)]
}

fn sample_state(r: &mut XorShift) -> [f64; 4] {
    let u = |r: &mut XorShift| r.unit_f32() as f64;
    let util = u(r);
    let vol = 2.0 * u(r) * u(r); // mostly calm, sometimes wild
    let drawdown = (u(r) * u(r) * u(r)).min(1.0);
    let coverage = 0.25 + 0.75 * u(r);
    [util, vol, drawdown, coverage]
}

struct Mlp {
    w1: Vec<f64>, // HIDDEN x 4
    b1: Vec<f64>,
    w2: Vec<f64>, // 2 x HIDDEN
    b2: Vec<f64>,
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

impl Mlp {
    fn new(r: &mut XorShift) -> Mlp {
        let mut v = |n: usize, a: f32| r.vec_f32(n, a).into_iter().map(|x| x as f64).collect::<Vec<_>>();
        Mlp { w1: v(HIDDEN * 4, 0.5), b1: v(HIDDEN, 0.1), w2: v(2 * HIDDEN, 0.35), b2: v(2, 0.1) }
    }

    fn params(&mut self) -> [&mut Vec<f64>; 4] {
        [&mut self.w1, &mut self.b1, &mut self.w2, &mut self.b2]
    }

    /// Forward pass; returns (hidden pre-activations, outputs).
    fn forward(&self, x: &[f64; 4]) -> (Vec<f64>, [f64; 2]) {
        let h: Vec<f64> =
            (0..HIDDEN).map(|j| self.b1[j] + (0..4).map(|i| self.w1[j * 4 + i] * x[i]).sum::<f64>()).collect();
        let mut y = [0.0; 2];
        for (k, yk) in y.iter_mut().enumerate() {
            let z = self.b2[k] + (0..HIDDEN).map(|j| self.w2[k * HIDDEN + j] * h[j].max(0.0)).sum::<f64>();
            *yk = sigmoid(z);
        }
        (h, y)
    }

    /// Gradients of the mean squared error over a batch.
    fn gradients(&self, batch: &[([f64; 4], [f64; 2])]) -> [Vec<f64>; 4] {
        let mut g = [vec![0.0; HIDDEN * 4], vec![0.0; HIDDEN], vec![0.0; 2 * HIDDEN], vec![0.0; 2]];
        for (x, t) in batch {
            let (h, y) = self.forward(x);
            for k in 0..2 {
                let dz = 2.0 * (y[k] - t[k]) * y[k] * (1.0 - y[k]) / batch.len() as f64;
                g[3][k] += dz;
                for j in 0..HIDDEN {
                    g[2][k * HIDDEN + j] += dz * h[j].max(0.0);
                    if h[j] > 0.0 {
                        let dh = dz * self.w2[k * HIDDEN + j];
                        g[1][j] += dh;
                        for i in 0..4 {
                            g[0][j * 4 + i] += dh * x[i];
                        }
                    }
                }
            }
        }
        g
    }
}

fn main() {
    let mut r = XorShift::new(SEED);
    let data: Vec<([f64; 4], [f64; 2])> = (0..SAMPLES)
        .map(|_| {
            let s = sample_state(&mut r);
            (s, policy(&s))
        })
        .collect();
    let (train, test) = data.split_at(SAMPLES * 7 / 8);
    let mut model = Mlp::new(&mut r);

    // Adam.
    let (lr, b1, b2, eps) = (0.01, 0.9, 0.999, 1e-8);
    let mut m: Vec<Vec<f64>> = model.params().iter().map(|p| vec![0.0; p.len()]).collect();
    let mut v = m.clone();
    let mut step = 0;
    for _ in 0..EPOCHS {
        for batch in train.chunks(BATCH) {
            step += 1;
            let grads = model.gradients(batch);
            for (pi, p) in model.params().into_iter().enumerate() {
                for (i, w) in p.iter_mut().enumerate() {
                    let g = grads[pi][i];
                    m[pi][i] = b1 * m[pi][i] + (1.0 - b1) * g;
                    v[pi][i] = b2 * v[pi][i] + (1.0 - b2) * g * g;
                    let mh = m[pi][i] / (1.0 - f64::powi(b1, step));
                    let vh = v[pi][i] / (1.0 - f64::powi(b2, step));
                    *w -= lr * mh / (vh.sqrt() + eps);
                }
            }
        }
    }
    let mae = |set: &[([f64; 4], [f64; 2])], k: usize| {
        set.iter().map(|(x, t)| (model.forward(x).1[k] - t[k]).abs()).sum::<f64>() / set.len() as f64
    };
    println!(
        "held-out mean |error|: LTV output {:.4} (x0.60 = {:.4} LTV), rate output {:.4} (x0.50 = {:.4} APR)",
        mae(test, 0),
        0.6 * mae(test, 0),
        mae(test, 1),
        0.5 * mae(test, 1)
    );

    let f32s = |v: &[f64]| v.iter().map(|&x| x as f32).collect::<Vec<f32>>();
    let onnx = GraphBuilder::new("vault_risk_model")
        .doc("AI-governed lending vault: [utilisation, volatility, drawdown, coverage] -> [LTV, rate] (sigmoid).")
        .input("features", &[1, 4])
        .output("risk", &[1, 2])
        .initializer("fc1.weight", &[HIDDEN, 4], f32s(&model.w1))
        .initializer("fc1.bias", &[HIDDEN], f32s(&model.b1))
        .initializer("fc2.weight", &[2, HIDDEN], f32s(&model.w2))
        .initializer("fc2.bias", &[2], f32s(&model.b2))
        .node("Gemm", &["features", "fc1.weight", "fc1.bias"], &["h"], vec![attr_int("transB", 1)])
        .node("Relu", &["h"], &["a"], vec![])
        .node("Gemm", &["a", "fc2.weight", "fc2.bias"], &["z"], vec![attr_int("transB", 1)])
        .node("Sigmoid", &["z"], &["risk"], vec![])
        .build();

    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/defi-vault/model");
    std::fs::create_dir_all(dir.join("calibration")).unwrap();
    std::fs::write(dir.join("network.onnx"), onnx).unwrap();
    let write = |path: PathBuf, f: [f64; 4]| {
        // Two decimals: representable-enough values a reader can check against the policy.
        let row: Vec<f64> = f.iter().map(|x| (x * 100.0).round() / 100.0).collect();
        zkinfer::model::input_file::write_inputs(&path, &[row]).unwrap();
    };
    write(dir.join("input.json"), [0.55, 0.30, 0.05, 0.80]);
    // Extremes of each feature, so the calibrated range covers every state the vault can produce.
    let corners = [[0.0, 0.0, 0.0, 1.0], [1.0, 2.0, 1.0, 0.0], [0.95, 0.1, 0.0, 0.25], [0.2, 1.5, 0.6, 0.5]];
    for (i, c) in corners.iter().enumerate() {
        write(dir.join("calibration").join(format!("state-{i}.json")), *c);
    }
    println!("wrote {}", dir.display());
}
