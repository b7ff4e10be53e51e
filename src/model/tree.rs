//! Decision-tree ensembles reduced to what a circuit proves about them: which leaf of each tree an
//! input reaches. What the leaves are worth (sums, averages, class scores) is an ordinary affine
//! map over the leaf indicators, so it reuses the affine layer and its parameter commitment.
//!
//! One tree structure serves both the float model (tests as ONNX writes them, thresholds as
//! float32) and the quantised one (integer thresholds at the model's scale), so the float walk
//! and the quantised walk cannot disagree on anything but the tests themselves.

use serde::{Deserialize, Serialize};

/// ONNX's branch modes (`nodes_modes`): where the input goes to the `true` child.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BranchMode {
    Leq,
    Lt,
    Gte,
    Gt,
    Eq,
    Neq,
}

impl BranchMode {
    pub fn parse(mode: &str) -> Option<BranchMode> {
        Some(match mode {
            "BRANCH_LEQ" => BranchMode::Leq,
            "BRANCH_LT" => BranchMode::Lt,
            "BRANCH_GTE" => BranchMode::Gte,
            "BRANCH_GT" => BranchMode::Gt,
            "BRANCH_EQ" => BranchMode::Eq,
            "BRANCH_NEQ" => BranchMode::Neq,
            _ => return None,
        })
    }
}

/// A float decision: `x mode threshold`, compared in float32 as onnxruntime compares it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Split {
    pub mode: BranchMode,
    /// A float32 value, held exactly.
    pub threshold: f64,
}

impl Split {
    pub fn holds(&self, x: f64) -> bool {
        let (x, t) = (x as f32, self.threshold as f32);
        match self.mode {
            BranchMode::Leq => x <= t,
            BranchMode::Lt => x < t,
            BranchMode::Gte => x >= t,
            BranchMode::Gt => x > t,
            BranchMode::Eq => x == t,
            BranchMode::Neq => x != t,
        }
    }

    /// The same decision on an input quantised to `bits` fractional bits (`round(x 2^bits)`):
    /// exact when `x` is a multiple of `2^-bits`; otherwise `x` can only cross the threshold if
    /// it lies within half a step of it.
    pub fn quantise(&self, bits: u32) -> QSplit {
        let t = self.threshold * 2f64.powi(bits as i32); // exact: a float32 times a power of two
        let (floor, ceil, nearest) = (t.floor() as i64, t.ceil() as i64, t.round() as i64);
        match self.mode {
            BranchMode::Leq => QSplit::Below(floor + 1),
            BranchMode::Lt => QSplit::Below(ceil),
            BranchMode::Gte => QSplit::AtLeast(ceil),
            BranchMode::Gt => QSplit::AtLeast(floor + 1),
            BranchMode::Eq => QSplit::Within(nearest, nearest + 1),
            BranchMode::Neq => QSplit::Outside(nearest, nearest + 1),
        }
    }
}

/// A quantised decision on an integer input, in terms of the bits `[x >= c]` the circuit proves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum QSplit {
    /// `x >= c`.
    AtLeast(i64),
    /// `x < c`.
    Below(i64),
    /// `lo <= x < hi`.
    Within(i64, i64),
    /// `x < lo or x >= hi`.
    Outside(i64, i64),
}

impl QSplit {
    pub fn holds(&self, x: i128) -> bool {
        match *self {
            QSplit::AtLeast(c) => x >= c as i128,
            QSplit::Below(c) => x < c as i128,
            QSplit::Within(lo, hi) => x >= lo as i128 && x < hi as i128,
            QSplit::Outside(lo, hi) => !(x >= lo as i128 && x < hi as i128),
        }
    }

    /// The thresholds `c` of the bits `[x >= c]` it reads, in order (what hashed parameters commit to).
    pub fn thresholds(&self) -> Vec<i64> {
        match *self {
            QSplit::AtLeast(c) | QSplit::Below(c) => vec![c],
            QSplit::Within(lo, hi) | QSplit::Outside(lo, hi) => vec![lo, hi],
        }
    }

    /// `true` = `k + sum(sign * [x >= c_i])` over [`thresholds`](Self::thresholds): the constant
    /// `k` and one sign per threshold.
    pub fn as_bits(&self) -> (i128, Vec<i128>) {
        match self {
            QSplit::AtLeast(_) => (0, vec![1]),
            QSplit::Below(_) => (1, vec![-1]),
            QSplit::Within(..) => (0, vec![1, -1]),
            QSplit::Outside(..) => (1, vec![-1, 1]),
        }
    }

    /// Thresholds moved into `[-2^(bits-1), 2^(bits-1)]`: the same decisions for every input in a
    /// `bits`-bit range, and `x - c` then fits one bit more.
    pub fn clamped(&self, bits: u32) -> QSplit {
        let (lo, hi) = (-(1i64 << (bits - 1)), 1i64 << (bits - 1));
        let c = |v: i64| v.clamp(lo, hi);
        match *self {
            QSplit::AtLeast(v) => QSplit::AtLeast(c(v)),
            QSplit::Below(v) => QSplit::Below(c(v)),
            QSplit::Within(a, b) => QSplit::Within(c(a), c(b)),
            QSplit::Outside(a, b) => QSplit::Outside(c(a), c(b)),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum TreeNode<T> {
    /// Go to `yes` when the test on `feature` holds, else to `no` (node indices in the tree).
    Branch { feature: u32, test: T, yes: u32, no: u32 },
    /// Leaf number `leaf` of the whole forest.
    Leaf { leaf: u32 },
}

/// One tree; node 0 is the root. Every node is reached from the root exactly once (checked where
/// trees are built), so a walk ends at a leaf.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tree<T> {
    pub nodes: Vec<TreeNode<T>>,
}

impl<T> Tree<T> {
    /// Node indices with every parent before its children.
    pub fn top_down(&self) -> Vec<usize> {
        let mut order = Vec::with_capacity(self.nodes.len());
        let mut stack = vec![0usize];
        while let Some(i) = stack.pop() {
            order.push(i);
            if let TreeNode::Branch { yes, no, .. } = &self.nodes[i] {
                stack.push(*no as usize);
                stack.push(*yes as usize);
            }
        }
        order
    }
}

/// Trees over `features` values per row, applied to each of `rows` rows; leaves numbered across
/// the forest, tree after tree.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Forest<T> {
    pub rows: usize,
    pub features: usize,
    pub leaves: usize,
    pub trees: Vec<Tree<T>>,
}

impl<T> Forest<T> {
    /// The leaf each tree reaches on one row, `decide(feature, test)` choosing the branch.
    pub fn reached(&self, decide: impl Fn(usize, &T) -> bool) -> Vec<u32> {
        self.trees
            .iter()
            .map(|tree| {
                let mut i = 0usize;
                loop {
                    match &tree.nodes[i] {
                        TreeNode::Leaf { leaf } => break *leaf,
                        TreeNode::Branch { feature, test, yes, no } => {
                            i = if decide(*feature as usize, test) { *yes } else { *no } as usize;
                        }
                    }
                }
            })
            .collect()
    }

    /// Leaf indicators, `[rows, leaves]`, with `one` marking each leaf reached.
    pub fn indicators<X: Copy>(&self, x: &[X], one: X, zero: X, holds: impl Fn(&T, X) -> bool) -> Vec<X> {
        let mut out = vec![zero; self.rows * self.leaves];
        for r in 0..self.rows {
            let row = &x[r * self.features..(r + 1) * self.features];
            for leaf in self.reached(|f, t| holds(t, row[f])) {
                out[r * self.leaves + leaf as usize] = one;
            }
        }
        out
    }

    pub fn map_tests<U>(&self, f: impl Fn(&T) -> U) -> Forest<U> {
        Forest {
            rows: self.rows,
            features: self.features,
            leaves: self.leaves,
            trees: self
                .trees
                .iter()
                .map(|t| Tree {
                    nodes: t
                        .nodes
                        .iter()
                        .map(|n| match n {
                            TreeNode::Branch { feature, test, yes, no } => {
                                TreeNode::Branch { feature: *feature, test: f(test), yes: *yes, no: *no }
                            }
                            TreeNode::Leaf { leaf } => TreeNode::Leaf { leaf: *leaf },
                        })
                        .collect(),
                })
                .collect(),
        }
    }

    /// Every test with the feature it reads, tree by tree, in node order.
    pub fn tests(&self) -> impl Iterator<Item = (usize, &T)> {
        self.trees.iter().flat_map(|t| {
            t.nodes.iter().filter_map(|n| match n {
                TreeNode::Branch { feature, test, .. } => Some((*feature as usize, test)),
                TreeNode::Leaf { .. } => None,
            })
        })
    }
}

impl Forest<Split> {
    pub fn eval(&self, x: &[f64]) -> Vec<f64> {
        self.indicators(x, 1.0, 0.0, |s, v| s.holds(v))
    }

    /// How many of the features in `x` (all rows) lie within `step` of a threshold they are
    /// tested against and are not multiples of `step`: the inputs whose branch quantisation to
    /// that step could change (a multiple of the step is quantised exactly, so decided exactly).
    pub fn near_threshold(&self, x: &[f64], step: f64) -> usize {
        let mut thresholds: Vec<Vec<f64>> = vec![Vec::new(); self.features];
        for (f, s) in self.tests() {
            thresholds[f].push(s.threshold);
        }
        for t in &mut thresholds {
            t.sort_by(f64::total_cmp);
            t.dedup();
        }
        x.chunks(self.features.max(1))
            .flat_map(|row| row.iter().enumerate())
            .filter(|(f, &v)| {
                if (v / step).fract() == 0.0 {
                    return false;
                }
                let t = &thresholds[*f];
                let i = t.partition_point(|&c| c < v);
                [i.wrapping_sub(1), i].iter().any(|&j| t.get(j).is_some_and(|&c| (c - v).abs() < step))
            })
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(mode: BranchMode, threshold: f64) -> Split {
        Split { mode, threshold }
    }

    #[test]
    fn quantised_splits_agree_on_the_grid_and_near_it() {
        let modes = [BranchMode::Leq, BranchMode::Lt, BranchMode::Gte, BranchMode::Gt, BranchMode::Eq, BranchMode::Neq];
        for mode in modes {
            for t in [0.5f64, 0.3f32 as f64, -1.25, 3.0, 760.0, -0.0078125] {
                let s = split(mode, t);
                let q = s.quantise(7);
                let on_grid = (t * 128.0).fract() == 0.0;
                for k in -2000i128..2000 {
                    let x = k as f64 / 128.0;
                    // A threshold on the grid: the float decision exactly, ties included. Off
                    // it, every input at least half a step away.
                    if on_grid || (x - t).abs() >= 0.5 / 128.0 {
                        assert_eq!(q.holds(k), s.holds(x), "{mode:?} t={t} x={x}");
                    }
                    // Off the grid, inputs more than half a step from the threshold agree too.
                    let off = x + 0.3 / 128.0;
                    if (off - t).abs() > 0.5 / 128.0 {
                        assert_eq!(q.holds((off * 128.0).round() as i128), s.holds(off), "{mode:?} t={t} x={off}");
                    }
                }
            }
        }
    }

    #[test]
    fn bits_spell_the_decision() {
        for q in [QSplit::AtLeast(3), QSplit::Below(3), QSplit::Within(3, 5), QSplit::Outside(3, 5)] {
            let (k, signs) = q.as_bits();
            for x in -2..8i128 {
                let v = k + q.thresholds().iter().zip(&signs).map(|(&c, s)| s * (x >= c as i128) as i128).sum::<i128>();
                assert_eq!(v == 1, q.holds(x), "{q:?} {x}");
                assert!(v == 0 || v == 1);
            }
            // Clamping keeps every decision inside the range.
            let c = q.clamped(3);
            for x in -4..4i128 {
                assert_eq!(c.holds(x), q.holds(x));
            }
        }
    }

    #[test]
    fn the_near_threshold_count_sees_both_neighbours() {
        let tree = Tree {
            nodes: vec![
                TreeNode::Branch { feature: 0, test: split(BranchMode::Leq, 1.0), yes: 1, no: 2 },
                TreeNode::Leaf { leaf: 0 },
                TreeNode::Branch { feature: 1, test: split(BranchMode::Lt, -2.0), yes: 3, no: 4 },
                TreeNode::Leaf { leaf: 1 },
                TreeNode::Leaf { leaf: 2 },
            ],
        };
        let f = Forest { rows: 2, features: 2, leaves: 3, trees: vec![tree] };
        assert_eq!(f.eval(&[0.5, 0.0, 1.5, -3.0]), vec![1.0, 0.0, 0.0, 0.0, 1.0, 0.0]);
        assert_eq!(f.near_threshold(&[0.99, -2.2, 1.001, -1.95], 0.1), 3);
        // Values on the grid are decided exactly, however close.
        assert_eq!(f.near_threshold(&[1.0, -2.0, 0.75, -2.25], 0.25), 0);
        assert_eq!(f.tests().count(), 2);
        assert_eq!(f.trees[0].top_down(), vec![0, 1, 2, 3, 4]);
    }
}
