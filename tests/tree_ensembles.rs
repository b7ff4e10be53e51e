//! TreeEnsembleRegressor/Classifier lowered from hand-written nodes: every branch mode, every
//! aggregate, base values and two targets, checked against a walk written here from the ONNX
//! definition (float32 comparisons), on inputs on and around every threshold; then the circuit's
//! values on the same inputs. Malformed trees fail with errors naming the node and the problem.

mod common;

use common::compile_model;
use tract_onnx::pb::AttributeProto;
use zkinfer::artifacts::Build;
use zkinfer::circuit::graph_layout::lay_out;
use zkinfer::model::input_file::write_inputs;
use zkinfer::model::onnx_import::import_onnx;
use zkinfer::pipeline::eval::CircuitModel;
use zkinfer::pipeline::CalibrationOptions;
use zkinfer::testing::onnx_builder::{attr_floats, attr_int, attr_ints, attr_string, attr_strings, GraphBuilder};

/// `(tree, node, feature, mode, threshold, true child, false child)`.
type Row = (i64, i64, i64, &'static str, f32, i64, i64);

/// A change that breaks the trees.
type Edit = fn(&mut [Row]);

/// Tree 0 (depth 3): f0 <= 0.5 ? (f1 < -1 ? L3 : L4) : (f2 >= 2 ? (f0 == 1 ? L7 : L8) : L6).
/// Tree 1 (depth 2): f1 > 0.25 ? L1 : (f2 != 3 ? L3 : L4).
const NODES: [Row; 14] = [
    (0, 0, 0, "BRANCH_LEQ", 0.5, 1, 2),
    (0, 1, 1, "BRANCH_LT", -1.0, 3, 4),
    (0, 2, 2, "BRANCH_GTE", 2.0, 5, 6),
    (0, 3, 0, "LEAF", 0.0, 0, 0),
    (0, 4, 0, "LEAF", 0.0, 0, 0),
    (0, 5, 0, "BRANCH_EQ", 1.0, 7, 8),
    (0, 6, 0, "LEAF", 0.0, 0, 0),
    (0, 7, 0, "LEAF", 0.0, 0, 0),
    (0, 8, 0, "LEAF", 0.0, 0, 0),
    (1, 0, 1, "BRANCH_GT", 0.25, 1, 2),
    (1, 1, 0, "LEAF", 0.0, 0, 0),
    (1, 2, 2, "BRANCH_NEQ", 3.0, 3, 4),
    (1, 3, 0, "LEAF", 0.0, 0, 0),
    (1, 4, 0, "LEAF", 0.0, 0, 0),
];

/// Per leaf `(tree, node)`, its votes for targets 0 and 1.
fn votes() -> Vec<((i64, i64), [f32; 2])> {
    vec![
        ((0, 3), [1.5, -0.25]),
        ((0, 4), [-2.0, 0.75]),
        ((0, 6), [0.125, 1.0]),
        ((0, 7), [3.0, -1.5]),
        ((0, 8), [-0.5, 0.5]),
        ((1, 1), [0.75, 2.0]),
        ((1, 3), [-1.25, -0.5]),
        ((1, 4), [2.5, 0.25]),
    ]
}

fn node_attrs(nodes: &[Row]) -> Vec<AttributeProto> {
    let modes: Vec<&str> = nodes.iter().map(|n| n.3).collect();
    vec![
        attr_ints("nodes_treeids", &nodes.iter().map(|n| n.0).collect::<Vec<_>>()),
        attr_ints("nodes_nodeids", &nodes.iter().map(|n| n.1).collect::<Vec<_>>()),
        attr_ints("nodes_featureids", &nodes.iter().map(|n| n.2).collect::<Vec<_>>()),
        attr_strings("nodes_modes", &modes),
        attr_floats("nodes_values", &nodes.iter().map(|n| n.4).collect::<Vec<_>>()),
        attr_ints("nodes_truenodeids", &nodes.iter().map(|n| n.5).collect::<Vec<_>>()),
        attr_ints("nodes_falsenodeids", &nodes.iter().map(|n| n.6).collect::<Vec<_>>()),
    ]
}

fn vote_attrs(prefix: &str) -> Vec<AttributeProto> {
    let (mut trees, mut nodes, mut ids, mut weights) = (vec![], vec![], vec![], vec![]);
    for ((t, n), w) in votes() {
        for (target, &weight) in w.iter().enumerate() {
            trees.push(t);
            nodes.push(n);
            ids.push(target as i64);
            weights.push(weight);
        }
    }
    vec![
        attr_ints(&format!("{prefix}_treeids"), &trees),
        attr_ints(&format!("{prefix}_nodeids"), &nodes),
        attr_ints(&format!("{prefix}_ids"), &ids),
        attr_floats(&format!("{prefix}_weights"), &weights),
    ]
}

const BASE: [f32; 2] = [0.5, -1.0];

fn regressor(aggregate: &str, nodes: &[Row]) -> Vec<u8> {
    let mut attrs = node_attrs(nodes);
    attrs.extend(vote_attrs("target"));
    attrs.extend([
        attr_int("n_targets", 2),
        attr_string("aggregate_function", aggregate),
        attr_floats("base_values", &BASE),
    ]);
    GraphBuilder::new("trees")
        .input("x", &[1, 3])
        .output("y", &[1, 2])
        .ml_node("TreeEnsembleRegressor", &["x"], &["y"], attrs)
        .build()
}

/// The leaf (node id) each tree reaches, straight from the ONNX definition.
fn walk(x: &[f32; 3]) -> [i64; 2] {
    let mut reached = [0; 2];
    for (tree, out) in reached.iter_mut().enumerate() {
        let mut id = 0;
        loop {
            let n = NODES.iter().find(|n| n.0 == tree as i64 && n.1 == id).unwrap();
            let (v, t) = (x[n.2 as usize], n.4);
            let yes = match n.3 {
                "LEAF" => break,
                "BRANCH_LEQ" => v <= t,
                "BRANCH_LT" => v < t,
                "BRANCH_GTE" => v >= t,
                "BRANCH_GT" => v > t,
                "BRANCH_EQ" => v == t,
                "BRANCH_NEQ" => v != t,
                _ => unreachable!(),
            };
            id = if yes { n.5 } else { n.6 };
        }
        *out = id;
    }
    reached
}

fn expected(aggregate: &str, x: &[f32; 3]) -> Vec<f64> {
    let leaves = walk(x);
    let all = votes();
    let vote = |tree: usize| all.iter().find(|v| v.0 == (tree as i64, leaves[tree])).unwrap().1;
    (0..2)
        .map(|t| {
            let per_tree = [vote(0)[t] as f64, vote(1)[t] as f64];
            let v = match aggregate {
                "SUM" => per_tree[0] + per_tree[1],
                "AVERAGE" => (per_tree[0] + per_tree[1]) / 2.0,
                "MIN" => per_tree[0].min(per_tree[1]),
                "MAX" => per_tree[0].max(per_tree[1]),
                _ => unreachable!(),
            };
            v + BASE[t] as f64
        })
        .collect()
}

/// Every feature on, just below and just above each of its thresholds (multiples of 2^-6).
fn grid() -> Vec<[f32; 3]> {
    let around = |ts: &[f32]| -> Vec<f32> {
        let mut v: Vec<f32> = ts.iter().flat_map(|&t| [t - 0.015625, t, t + 0.015625]).collect();
        v.push(-3.0);
        v.push(4.0);
        v
    };
    let (a, b, c) = (around(&[0.5, 1.0]), around(&[-1.0, 0.25]), around(&[2.0, 3.0]));
    let mut out = vec![];
    for &x in &a {
        for &y in &b {
            for &z in &c {
                out.push([x, y, z]);
            }
        }
    }
    out
}

#[test]
fn every_aggregate_reaches_the_leaves_onnx_defines() {
    let dir = tempfile::tempdir().unwrap();
    let points = grid();
    let calibration = dir.path().join("calibration.json");
    let rows: Vec<Vec<f64>> = points.iter().map(|p| p.iter().map(|&v| v as f64).collect()).collect();
    write_inputs(&calibration, &rows).unwrap();
    for aggregate in ["SUM", "AVERAGE", "MIN", "MAX"] {
        let onnx = dir.path().join(format!("{aggregate}.onnx"));
        std::fs::write(&onnx, regressor(aggregate, &NODES)).unwrap();
        let graph = import_onnx(&onnx, None).unwrap();
        for p in &points {
            let x: Vec<f64> = p.iter().map(|&v| v as f64).collect();
            let got = &graph.eval_f64(&[x])[graph.outputs[0]];
            let want = expected(aggregate, p);
            for (g, w) in got.iter().zip(&want) {
                assert!((g - w).abs() < 1e-9, "{aggregate} at {p:?}: {got:?}, want {want:?}");
            }
        }
        let out = dir.path().join(aggregate);
        let settings = compile_model(&onnx, std::slice::from_ref(&calibration), CalibrationOptions::default(), &out);
        let trees = settings.calibration.trees.expect("a tree report");
        assert_eq!(trees.samples_on_other_leaves, 0);
        let build = Build::open(&out).unwrap();
        let circuit: CircuitModel = (&build).into();
        let scale = build.scale();
        for p in &points {
            let x = vec![p.iter().map(|&v| v as f64).collect::<Vec<f64>>()];
            let layout =
                lay_out(circuit.qgraph, circuit.layout, circuit.public, Some(&scale.quantise(&x)), Default::default())
                    .unwrap();
            let want = expected(aggregate, p);
            for (&q, w) in layout.outputs[0].iter().zip(&want) {
                // Leaf values are quantised; the path is exact on the grid.
                assert!((scale.to_float(q) - w).abs() < 2e-3, "{aggregate} at {p:?}: {} vs {w}", scale.to_float(q));
            }
        }
    }
}

/// A three-class classifier voting the same leaves, SOFTMAX probabilities, labels 10, 20, 30.
#[test]
fn a_softmax_classifier_labels_the_highest_score() {
    let mut attrs = node_attrs(&NODES);
    let (mut trees, mut nodes, mut ids, mut weights) = (vec![], vec![], vec![], vec![]);
    for (i, ((t, n), w)) in votes().into_iter().enumerate() {
        for (class, weight) in [w[0], w[1], (i as f32) * 0.3 - 1.0].into_iter().enumerate() {
            trees.push(t);
            nodes.push(n);
            ids.push(class as i64);
            weights.push(weight);
        }
    }
    attrs.extend([
        attr_ints("class_treeids", &trees),
        attr_ints("class_nodeids", &nodes),
        attr_ints("class_ids", &ids),
        attr_floats("class_weights", &weights),
        attr_ints("classlabels_int64s", &[10, 20, 30]),
        attr_string("post_transform", "SOFTMAX"),
    ]);
    let bytes = GraphBuilder::new("classifier")
        .input("x", &[1, 3])
        .output_i64("label", &[1])
        .output("probabilities", &[1, 3])
        .ml_node("TreeEnsembleClassifier", &["x"], &["label", "probabilities"], attrs)
        .build();
    let dir = tempfile::tempdir().unwrap();
    let onnx = dir.path().join("c.onnx");
    std::fs::write(&onnx, bytes).unwrap();
    let graph = import_onnx(&onnx, None).unwrap();
    for p in grid() {
        let leaves = walk(&p);
        let mut scores = [0f64; 3];
        for (tree, &leaf) in leaves.iter().enumerate() {
            for (k, score) in scores.iter_mut().enumerate() {
                let j = (0..trees.len()).find(|&j| trees[j] == tree as i64 && nodes[j] == leaf && ids[j] == k as i64);
                *score += weights[j.unwrap()] as f64;
            }
        }
        let best = (0..3).fold(0, |b, k| if scores[k] > scores[b] { k } else { b });
        let values = graph.eval_f64(&[p.iter().map(|&v| v as f64).collect()]);
        assert_eq!(values[graph.outputs[0]], vec![10.0 * (best + 1) as f64], "{p:?}");
        let z: f64 = scores.iter().map(|s| (s - scores[best]).exp()).sum();
        for (k, got) in values[graph.outputs[1]].iter().enumerate() {
            assert!((got - (scores[k] - scores[best]).exp() / z).abs() < 1e-9);
        }
    }
}

#[test]
fn malformed_trees_are_errors_naming_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let onnx = dir.path().join("bad.onnx");
    let edits: [(Edit, &str); 5] = [
        (|n| n[0].3 = "BRANCH_SOMETIMES", "mode 'BRANCH_SOMETIMES'"),
        (|n| n[1].2 = 7, "tests feature 7, but the input has 3 features"),
        (|n| n[2].6 = 42, "its false child 42 is not in the tree"),
        (|n| n[5].5 = 0, "reached twice"),
        (|n| n[9].1 = 9, "tree 1 has no node 0"),
    ];
    for (edit, message) in edits {
        let mut nodes = NODES.to_vec();
        edit(&mut nodes);
        std::fs::write(&onnx, regressor("SUM", &nodes)).unwrap();
        let err = import_onnx(&onnx, None).unwrap_err().message;
        assert!(err.contains(message) && err.contains("TreeEnsembleRegressor"), "{err}");
    }
    std::fs::write(&onnx, regressor("MEDIAN", &NODES)).unwrap();
    assert!(import_onnx(&onnx, None).unwrap_err().message.contains("aggregate_function 'MEDIAN'"));
}
