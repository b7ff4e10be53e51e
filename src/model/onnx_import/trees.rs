//! TreeEnsembleRegressor and TreeEnsembleClassifier (`ai.onnx.ml`), as skl2onnx writes them for
//! scikit-learn's trees and forests and onnxmltools for XGBoost and LightGBM.
//!
//! The trees become one [`Op::TreeLeaves`] (which leaf each tree reaches) and the leaf values an
//! affine map over those indicators, aggregated and post-transformed as onnxruntime does:
//! SUM and AVERAGE in the affine map, MIN and MAX by a max over per-tree values, then the base
//! values. A classifier's label is the first highest class score, or for a one-column binary
//! classifier (XGBoost, scikit-learn forests with two classes) `score > 0.5` when every leaf
//! weight is a probability and `score > 0` otherwise, with onnxruntime's two-column scores.
//!
//! `nodes_missing_value_tracks_true` only matters for NaN features, which an input file cannot
//! hold (it is read and ignored).

use std::collections::{BTreeMap, HashMap};

use tract_onnx::pb;

use super::proto::{attr, attr_floats, attr_ints};
use super::{node_err, node_label, Lowering};
use crate::error::ZkError;
use crate::model::graph::{Activation, AffineRow, Op, Term};
use crate::model::tree::{BranchMode, Forest, Split, Tree, TreeNode};

/// The trees of one node and the weights of their leaves.
struct Ensemble {
    forest: Forest<Split>,
    /// `(leaf, output, weight)`: a leaf may vote for several outputs, or several times for one.
    votes: Vec<(u32, usize, f64)>,
    /// The tree each leaf belongs to.
    leaf_tree: Vec<usize>,
}

fn ints(node: &pb::NodeProto, name: &str) -> Vec<i64> {
    attr_ints(node, name).unwrap_or_default()
}

fn floats(node: &pb::NodeProto, name: &str) -> Result<Vec<f64>, ZkError> {
    if attr(node, &format!("{name}_as_tensor")).is_some_and(|a| a.t.is_some()) {
        return Err(node_err(
            node,
            format!("{name}_as_tensor (double-precision values) is not supported; export with float values"),
        ));
    }
    Ok(attr_floats(node, name).unwrap_or_default())
}

/// Reads the trees (`nodes_*`) and the leaf votes (`{prefix}_treeids`, `_nodeids`, `_ids`,
/// `_weights`) of `node`, for `rows` rows of `features` features and `outputs` outputs.
fn read_ensemble(
    node: &pb::NodeProto,
    prefix: &str,
    rows: usize,
    features: usize,
    outputs: usize,
) -> Result<Ensemble, ZkError> {
    let err = |msg: String| node_err(node, msg);
    let tree_ids = ints(node, "nodes_treeids");
    let node_ids = ints(node, "nodes_nodeids");
    let feature_ids = ints(node, "nodes_featureids");
    let yes_ids = ints(node, "nodes_truenodeids");
    let no_ids = ints(node, "nodes_falsenodeids");
    let values = floats(node, "nodes_values")?;
    let modes: Vec<String> = attr(node, "nodes_modes")
        .map(|a| a.strings.iter().map(|s| String::from_utf8_lossy(s).into_owned()).collect())
        .unwrap_or_default();
    let count = tree_ids.len();
    if count == 0 {
        return Err(err("has no tree nodes (nodes_treeids is empty)".into()));
    }
    for (name, len) in [
        ("nodes_nodeids", node_ids.len()),
        ("nodes_featureids", feature_ids.len()),
        ("nodes_truenodeids", yes_ids.len()),
        ("nodes_falsenodeids", no_ids.len()),
        ("nodes_values", values.len()),
        ("nodes_modes", modes.len()),
    ] {
        if len != count {
            return Err(err(format!("{name} has {len} entries for {count} nodes")));
        }
    }
    // Tree id -> the attribute positions of its nodes, trees in id order.
    let mut by_tree: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
    for (i, &t) in tree_ids.iter().enumerate() {
        by_tree.entry(t).or_default().push(i);
    }
    let mut trees = Vec::with_capacity(by_tree.len());
    let mut leaf_of: HashMap<(i64, i64), u32> = HashMap::new();
    let mut leaf_tree = Vec::new();
    for (tree_index, (&tree_id, positions)) in by_tree.iter().enumerate() {
        // Local indices: the root (node id 0) first, then the others as listed.
        let mut order: Vec<usize> = positions.clone();
        let root = order
            .iter()
            .position(|&p| node_ids[p] == 0)
            .ok_or_else(|| err(format!("tree {tree_id} has no node 0 (its root)")))?;
        order.swap(0, root);
        let mut local: HashMap<i64, u32> = HashMap::new();
        for (j, &p) in order.iter().enumerate() {
            if local.insert(node_ids[p], j as u32).is_some() {
                return Err(err(format!("tree {tree_id} lists node {} twice", node_ids[p])));
            }
        }
        let child = |p: usize, id: i64, which: &str| -> Result<u32, ZkError> {
            local.get(&id).copied().ok_or_else(|| {
                err(format!("node {} of tree {tree_id}: its {which} child {id} is not in the tree", node_ids[p]))
            })
        };
        let mut nodes = Vec::with_capacity(order.len());
        for &p in &order {
            let mode = modes[p].as_str();
            if mode == "LEAF" {
                let leaf = leaf_tree.len() as u32;
                leaf_of.insert((tree_id, node_ids[p]), leaf);
                leaf_tree.push(tree_index);
                nodes.push(TreeNode::Leaf { leaf });
                continue;
            }
            let mode = BranchMode::parse(mode).ok_or_else(|| {
                err(format!(
                    "node {} of tree {tree_id} has mode '{mode}'; expected BRANCH_LEQ, BRANCH_LT, BRANCH_GTE, \
                     BRANCH_GT, BRANCH_EQ, BRANCH_NEQ or LEAF",
                    node_ids[p]
                ))
            })?;
            let feature = feature_ids[p];
            if feature < 0 || feature as usize >= features {
                return Err(err(format!(
                    "node {} of tree {tree_id} tests feature {feature}, but the input has {features} features",
                    node_ids[p]
                )));
            }
            let threshold = values[p];
            if !threshold.is_finite() {
                return Err(err(format!("node {} of tree {tree_id} has threshold {threshold}", node_ids[p])));
            }
            nodes.push(TreeNode::Branch {
                feature: feature as u32,
                test: Split { mode, threshold },
                yes: child(p, yes_ids[p], "true")?,
                no: child(p, no_ids[p], "false")?,
            });
        }
        let tree = Tree { nodes };
        check_is_tree(&tree).map_err(|m| err(format!("tree {tree_id}: {m}")))?;
        trees.push(tree);
    }
    let v_trees = ints(node, &format!("{prefix}_treeids"));
    let v_nodes = ints(node, &format!("{prefix}_nodeids"));
    let v_ids = ints(node, &format!("{prefix}_ids"));
    let v_weights = floats(node, &format!("{prefix}_weights"))?;
    if [v_nodes.len(), v_ids.len(), v_weights.len()].iter().any(|&l| l != v_trees.len()) {
        return Err(err(format!(
            "{prefix}_treeids, _nodeids, _ids and _weights have {}, {}, {} and {} entries",
            v_trees.len(),
            v_nodes.len(),
            v_ids.len(),
            v_weights.len()
        )));
    }
    let mut votes = Vec::with_capacity(v_trees.len());
    for i in 0..v_trees.len() {
        let leaf = *leaf_of.get(&(v_trees[i], v_nodes[i])).ok_or_else(|| {
            err(format!("a weight is given to node {} of tree {}, which is not a leaf", v_nodes[i], v_trees[i]))
        })?;
        if v_ids[i] < 0 || v_ids[i] as usize >= outputs {
            return Err(err(format!("a leaf votes for output {}, but there are {outputs}", v_ids[i])));
        }
        votes.push((leaf, v_ids[i] as usize, v_weights[i]));
    }
    let leaves = leaf_tree.len();
    Ok(Ensemble { forest: Forest { rows, features, leaves, trees }, votes, leaf_tree })
}

/// Every node is reached from the root exactly once (no cycles, no shared subtrees, nothing
/// unreachable), so every walk ends at a leaf and every leaf has one path.
fn check_is_tree(tree: &Tree<Split>) -> Result<(), String> {
    let mut seen = vec![false; tree.nodes.len()];
    let mut stack = vec![0usize];
    while let Some(i) = stack.pop() {
        if std::mem::replace(&mut seen[i], true) {
            return Err("a node is reached twice (the nodes form a cycle or share a subtree)".into());
        }
        if let TreeNode::Branch { yes, no, .. } = tree.nodes[i] {
            stack.extend([yes as usize, no as usize]);
        }
    }
    match seen.iter().position(|s| !s) {
        Some(_) => Err(format!("{} nodes are not reachable from the root", seen.iter().filter(|s| !**s).count())),
        None => Ok(()),
    }
}

impl Lowering {
    fn push_leaves(&mut self, node: &pb::NodeProto, x: usize, forest: Forest<Split>) -> usize {
        let shape = vec![forest.rows, forest.leaves];
        self.push(format!("{}/leaves", node_label(node)), &node.op_type, Op::TreeLeaves { input: x, forest }, shape)
    }

    /// `[n, outputs]`: each output's votes summed over the leaves reached, times `factor`, plus
    /// its base value.
    fn push_leaf_sums(
        &mut self,
        node: &pb::NodeProto,
        leaves: usize,
        e: &Ensemble,
        outputs: usize,
        factor: f64,
        base: &[f64],
    ) -> usize {
        let (n, l) = (e.forest.rows, e.forest.leaves);
        let mut per_output: Vec<BTreeMap<u32, f64>> = vec![BTreeMap::new(); outputs];
        for &(leaf, o, w) in &e.votes {
            *per_output[o].entry(leaf).or_default() += w;
        }
        let rows = (0..n)
            .flat_map(|r| (0..outputs).map(move |o| (r, o)))
            .map(|(r, o)| AffineRow {
                terms: per_output[o]
                    .iter()
                    .filter(|(_, &w)| w != 0.0)
                    .map(|(&leaf, &w)| Term { input: 0, index: (r * l) as u32 + leaf, weight: w * factor })
                    .collect(),
                bias: base.get(o).copied().unwrap_or(0.0),
            })
            .collect();
        self.push(
            format!("{}/scores", node_label(node)),
            &node.op_type,
            Op::Affine { inputs: vec![leaves], rows },
            vec![n, outputs],
        )
    }

    /// MIN or MAX over the trees of each output's vote, plus the base value: every leaf must vote
    /// once for every output (a tree that does not vote would be skipped by onnxruntime).
    fn push_leaf_extremes(
        &mut self,
        node: &pb::NodeProto,
        leaves: usize,
        e: &Ensemble,
        outputs: usize,
        min: bool,
        base: &[f64],
    ) -> Result<usize, ZkError> {
        let (n, l, trees) = (e.forest.rows, e.forest.leaves, e.forest.trees.len());
        let mut vote: Vec<Vec<Option<f64>>> = vec![vec![None; outputs]; l];
        for &(leaf, o, w) in &e.votes {
            if vote[leaf as usize][o].replace(w).is_some() {
                return Err(node_err(node, format!("leaf {leaf} votes twice for output {o} under MIN/MAX")));
            }
        }
        if vote.iter().any(|v| v.iter().any(Option::is_none)) {
            return Err(node_err(node, "MIN/MAX aggregation needs every leaf to vote for every output".into()));
        }
        let sign = if min { -1.0 } else { 1.0 };
        let label = node_label(node);
        // Per row, tree and output: the reached leaf's vote (negated for MIN).
        let rows = (0..n * trees * outputs)
            .map(|j| {
                let (r, t, o) = (j / (trees * outputs), j / outputs % trees, j % outputs);
                let terms = (0..l)
                    .filter(|&leaf| e.leaf_tree[leaf] == t)
                    .map(|leaf| Term {
                        input: 0,
                        index: (r * l + leaf) as u32,
                        weight: sign * vote[leaf][o].expect("checked"),
                    })
                    .collect();
                AffineRow { terms, bias: 0.0 }
            })
            .collect();
        let per_tree = self.push(
            format!("{label}/per_tree"),
            &node.op_type,
            Op::Affine { inputs: vec![leaves], rows },
            vec![n, trees, outputs],
        );
        let windows = (0..n * outputs)
            .map(|j| {
                let (r, o) = (j / outputs, j % outputs);
                (0..trees).map(|t| ((r * trees + t) * outputs + o) as u32).collect()
            })
            .collect();
        let best = self.push(
            format!("{label}/extreme"),
            &node.op_type,
            Op::Max { input: per_tree, windows },
            vec![n, outputs],
        );
        let rows = (0..n * outputs)
            .map(|j| AffineRow {
                terms: vec![Term { input: 0, index: j as u32, weight: sign }],
                bias: base.get(j % outputs).copied().unwrap_or(0.0),
            })
            .collect();
        Ok(self.push(
            format!("{label}/scores"),
            &node.op_type,
            Op::Affine { inputs: vec![best], rows },
            vec![n, outputs],
        ))
    }

    pub(super) fn lower_tree_regressor(&mut self, node: &pb::NodeProto) -> Result<(), ZkError> {
        let (x, n, f) = self.computed_input(node)?;
        let targets = attr(node, "n_targets").map_or(1, |a| a.i.max(1) as usize);
        match Self::post_transform(node).as_str() {
            "NONE" => {}
            other => {
                return Err(node_err(
                    node,
                    format!("post_transform {other} is not supported for a regressor (NONE only)"),
                ))
            }
        }
        let base = floats(node, "base_values")?;
        // onnxruntime adds base values only when there is one per target.
        let base = if base.len() == targets { base } else { vec![] };
        let e = read_ensemble(node, "target", n, f, targets)?;
        let trees = e.forest.trees.len();
        let aggregate = super::proto::attr_string(node, "aggregate_function").unwrap_or_else(|| "SUM".into());
        let leaves = self.push_leaves(node, x, e.forest.clone());
        let scores = match aggregate.as_str() {
            "SUM" => self.push_leaf_sums(node, leaves, &e, targets, 1.0, &base),
            "AVERAGE" => self.push_leaf_sums(node, leaves, &e, targets, 1.0 / trees as f64, &base),
            "MIN" => self.push_leaf_extremes(node, leaves, &e, targets, true, &base)?,
            "MAX" => self.push_leaf_extremes(node, leaves, &e, targets, false, &base)?,
            other => {
                return Err(node_err(
                    node,
                    format!("aggregate_function '{other}' is not one of SUM, AVERAGE, MIN, MAX"),
                ))
            }
        };
        self.bind_outputs(node, &[scores]);
        Ok(())
    }

    /// Outputs: the label and the class scores, as onnxruntime computes them.
    pub(super) fn lower_tree_classifier(&mut self, node: &pb::NodeProto) -> Result<(), ZkError> {
        let (x, n, f) = self.computed_input(node)?;
        if attr(node, "classlabels_strings").is_some_and(|a| !a.strings.is_empty()) {
            return Err(node_err(node, "string class labels have no numeric value; train with integer labels".into()));
        }
        let labels: Vec<f64> = ints(node, "classlabels_int64s").iter().map(|&v| v as f64).collect();
        let classes = labels.len();
        if classes < 2 {
            return Err(node_err(node, format!("has {classes} class labels (classlabels_int64s); at least 2 needed")));
        }
        let e = read_ensemble(node, "class", n, f, classes)?;
        let base = floats(node, "base_values")?;
        let post = Self::post_transform(node);
        let mut voted: Vec<usize> = e.votes.iter().map(|v| v.1).collect();
        voted.sort();
        voted.dedup();
        let label = node_label(node);
        let op_type = node.op_type.clone();
        let leaves = self.push_leaves(node, x, e.forest.clone());
        let (label_id, probs) = if classes == 2 && voted.len() < 2 {
            // One score column: onnxruntime's binary case.
            if voted != [0] {
                return Err(node_err(
                    node,
                    "a binary classifier whose leaves vote only for class 1 is not supported".into(),
                ));
            }
            let positive = e.votes.iter().all(|v| v.2 >= 0.0);
            let s = self.push_leaf_sums(node, leaves, &e, 1, 1.0, &base[..base.len().min(1)]);
            // Label: ArgMax of [threshold, s] is 1 exactly when s > threshold.
            let threshold = if positive { 0.5 } else { 0.0 };
            let rows = (0..n as u32)
                .flat_map(|r| {
                    [
                        AffineRow { terms: vec![], bias: threshold },
                        AffineRow { terms: vec![Term { input: 0, index: r, weight: 1.0 }], bias: 0.0 },
                    ]
                })
                .collect();
            let pair =
                self.push(format!("{label}/vs_threshold"), &op_type, Op::Affine { inputs: vec![s], rows }, vec![n, 2]);
            let label_id = self.push_class_label(node, pair, n, 2, &labels)?;
            // Scores: [1 - s, s] for probabilities, [1 - p, p] with p = sigmoid(s) under LOGISTIC,
            // [-s, s] for raw margins.
            let (source, negate) = match (positive, post.as_str()) {
                (true, "NONE" | "LOGISTIC") => (s, false),
                (false, "LOGISTIC") => {
                    let p = Op::Activation { input: s, function: Activation::Sigmoid };
                    (self.push(format!("{label}/logistic"), &op_type, p, vec![n, 1]), false)
                }
                (false, "NONE") => (s, true),
                (_, other) => {
                    return Err(node_err(
                        node,
                        format!("post_transform {other} is not supported for a one-column binary classifier"),
                    ))
                }
            };
            let rows = (0..n as u32)
                .flat_map(|r| {
                    let first = if negate {
                        AffineRow { terms: vec![Term { input: 0, index: r, weight: -1.0 }], bias: 0.0 }
                    } else {
                        AffineRow { terms: vec![Term { input: 0, index: r, weight: -1.0 }], bias: 1.0 }
                    };
                    [first, AffineRow { terms: vec![Term { input: 0, index: r, weight: 1.0 }], bias: 0.0 }]
                })
                .collect();
            let probs = self.push(
                format!("{label}/probabilities"),
                &op_type,
                Op::Affine { inputs: vec![source], rows },
                vec![n, 2],
            );
            (label_id, probs)
        } else {
            if classes == 2 {
                return Err(node_err(
                    node,
                    "a binary classifier whose leaves vote for both classes is not supported (onnxruntime's label \
                     is then not the highest score)"
                        .into(),
                ));
            }
            if !base.is_empty() && base.len() != classes {
                return Err(node_err(node, format!("{} base values for {classes} classes", base.len())));
            }
            if voted.len() != classes {
                return Err(node_err(node, "some class gets no leaf weight; onnxruntime then skips it".into()));
            }
            let scores = self.push_leaf_sums(node, leaves, &e, classes, 1.0, &base);
            let label_id = self.push_class_label(node, scores, n, classes, &labels)?;
            (label_id, self.push_class_scores(node, scores)?)
        };
        self.bind_outputs(node, &[label_id, probs]);
        Ok(())
    }
}
