//! Decision trees: which leaf each tree reaches, proved top down.
//!
//! Every decision is a few bits `[x - c >= 0]`, the sign of a range decomposition one bit wider
//! than the activation range (thresholds are clamped into the range, so `x - c` fits). A node's
//! reach indicator is `2^scale` when the walk passes through it, else 0; the root's is the
//! constant unit. For a branch with reach `w` and decision `g` (an affine form in its bits),
//! `yes = w g` by one product per bit and `no = w - yes`, so exactly one leaf of each tree carries
//! the unit, the one the proven comparisons select: no leaf can be claimed that the bits do not
//! lead to. The leaves' values then sum in an ordinary affine layer over the indicators.
//!
//! With public parameters a bit is shared by every decision on the same feature and threshold
//! (LightGBM and XGBoost reuse split points across trees). With hashed parameters each threshold is
//! a witness homed in its row, committed with the weights, and nothing is shared, so the circuit
//! depends only on the trees' shapes.

use std::collections::HashMap;

use crate::circuit::layout::{CellRef, LaneInput, LayoutBuilder, Wire};
use crate::error::ZkError;
use crate::model::tree::{Forest, QSplit, TreeNode};

/// A decision as `k + sum(sign * bit)`: the constant and each bit with its sign.
type Decision = (i128, Vec<(Wire, i128)>);

/// How the walk reaches a node: the root is always reached; others through a proven indicator.
#[derive(Clone, Copy)]
enum Reach {
    Root,
    Via(Wire),
}

impl LayoutBuilder {
    /// Leaf indicators `[rows, leaves]` of `forest` on `x` (`[rows, features]`), each `2^scale` or 0.
    /// With `params`, thresholds are witnesses, pushed there in
    /// [`crate::quantise::qgraph::QGraph::param_values`]'s order.
    pub fn tree_leaves(
        &mut self,
        x: &[Wire],
        forest: &Forest<QSplit>,
        mut params: Option<&mut Vec<Wire>>,
    ) -> Result<Vec<Wire>, ZkError> {
        let unit = 1i128 << self.scale().bits();
        let bits = self.table.range_bits + 1;
        let f = forest.features;
        if x.len() != forest.rows * f {
            return Err(ZkError::internal(format!(
                "layer '{}': {} inputs for {} rows of {f} features",
                self.context.0,
                x.len(),
                forest.rows
            )));
        }
        let mut out: Vec<Option<Wire>> = vec![None; forest.rows * forest.leaves];
        for r in 0..forest.rows {
            let row = &x[r * f..(r + 1) * f];
            let mut shared: HashMap<(CellRef, i64), Wire> = HashMap::new();
            for tree in &forest.trees {
                // Each branch's decision as `k + sum(sign * bit)`, bits proved in node order.
                let mut decisions: Vec<Option<Decision>> = vec![None; tree.nodes.len()];
                for (i, node) in tree.nodes.iter().enumerate() {
                    let TreeNode::Branch { feature, test, .. } = node else { continue };
                    let input = row[*feature as usize];
                    let (k, signs) = test.as_bits();
                    let mut terms = Vec::with_capacity(signs.len());
                    for (c, sign) in test.thresholds().into_iter().zip(signs) {
                        let bit = match params.as_deref_mut() {
                            Some(homes) => {
                                let (lanes, diff) = self.arith_row_int(
                                    true,
                                    false,
                                    false,
                                    0,
                                    &[(LaneInput::Fresh(c as i128), -1), (LaneInput::Copy(input), 1)],
                                );
                                homes.push(lanes[0]);
                                self.sign(diff, bits)?
                            }
                            None => match shared.get(&(input.cell, c)) {
                                Some(&bit) => bit,
                                None => {
                                    let diff = self.dot(&[(input, 1)], -(c as i128));
                                    let bit = self.sign(diff, bits)?;
                                    shared.insert((input.cell, c), bit);
                                    bit
                                }
                            },
                        };
                        terms.push((bit, sign));
                    }
                    decisions[i] = Some((k, terms));
                }
                let mut reach: Vec<Option<Reach>> = vec![None; tree.nodes.len()];
                reach[0] = Some(Reach::Root);
                for i in tree.top_down() {
                    let here = reach[i].expect("parents come first");
                    match &tree.nodes[i] {
                        TreeNode::Leaf { leaf } => {
                            let w = match here {
                                Reach::Root => self.dot(&[], unit),
                                Reach::Via(w) => w,
                            };
                            out[r * forest.leaves + *leaf as usize] = Some(w);
                        }
                        TreeNode::Branch { yes, no, .. } => {
                            let (k, terms) = decisions[i].as_ref().expect("decided above");
                            let (y, n) = self.split_reach(here, *k, terms, unit);
                            reach[*yes as usize] = Some(Reach::Via(y));
                            reach[*no as usize] = Some(Reach::Via(n));
                        }
                    }
                }
            }
        }
        let wires = out
            .into_iter()
            .enumerate()
            .map(|(i, w)| {
                w.ok_or_else(|| ZkError::internal(format!("layer '{}': leaf {i} belongs to no tree", self.context.0)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        for w in &wires {
            self.in_range.insert(w.cell); // 0 or one unit, by construction
        }
        Ok(wires)
    }

    /// The reach of a branch's two children: `yes = w (k + sum(sign * bit))`, `no = w - yes`.
    fn split_reach(&mut self, here: Reach, k: i128, terms: &[(Wire, i128)], unit: i128) -> (Wire, Wire) {
        match here {
            Reach::Root => {
                let scaled: Vec<(Wire, i128)> = terms.iter().map(|&(b, s)| (b, s * unit)).collect();
                let negated: Vec<(Wire, i128)> = terms.iter().map(|&(b, s)| (b, -s * unit)).collect();
                (self.dot(&scaled, k * unit), self.dot(&negated, (1 - k) * unit))
            }
            Reach::Via(w) => {
                let products: Vec<(Wire, i128)> = terms.iter().map(|&(b, s)| (self.product(w, b), s)).collect();
                // One bit with sign +1 and no constant: `yes` is the product itself.
                let yes = match (k, products.as_slice()) {
                    (0, [(p, 1)]) => *p,
                    _ => {
                        let mut t = products.clone();
                        if k != 0 {
                            t.push((w, k));
                        }
                        self.dot(&t, 0)
                    }
                };
                let no = self.dot(&[(w, 1), (yes, -1)], 0);
                (yes, no)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::circuit::chips::test_support::*;
    use crate::circuit::layout::{CellRef, Layout, Wire};
    use crate::encoding::field::fe;
    use crate::model::tree::{Forest, QSplit, Tree, TreeNode};

    /// Two trees on two features: a depth-2 tree mixing every kind of test and a stump.
    fn forest() -> Forest<QSplit> {
        let b = |feature, test, yes, no| TreeNode::Branch { feature, test, yes, no };
        let leaf = |leaf| TreeNode::Leaf { leaf };
        Forest {
            rows: 1,
            features: 2,
            leaves: 6,
            trees: vec![
                Tree {
                    nodes: vec![
                        b(0, QSplit::Below(3), 1, 2),
                        b(1, QSplit::Within(-2, 5), 3, 4),
                        b(1, QSplit::Outside(0, 2), 5, 6),
                        leaf(0),
                        leaf(1),
                        leaf(2),
                        leaf(3),
                    ],
                },
                // The same feature and threshold again: one shared bit with public parameters.
                Tree { nodes: vec![b(0, QSplit::AtLeast(3), 1, 2), leaf(4), leaf(5)] },
            ],
        }
    }

    fn layout(lanes: usize, x: [i128; 2], hashed: bool) -> (Layout, Vec<Wire>) {
        build(lanes, |b| {
            let xs: Vec<Wire> = x.iter().map(|&v| fresh_input(b, v)).collect();
            let mut homes = Vec::new();
            let leaves = b.tree_leaves(&xs, &forest(), hashed.then_some(&mut homes)).unwrap();
            leaves.iter().for_each(|&w| b.expose(w));
            homes.iter().for_each(|&w| b.expose(w));
            leaves
        })
    }

    fn expected(x: [i128; 2]) -> Vec<i128> {
        let unit = 1 << SCALE.bits();
        forest().indicators(&x, unit, 0, |s, v| s.holds(v))
    }

    #[test]
    fn every_input_reaches_the_leaves_its_comparisons_select() {
        for hashed in [false, true] {
            for lanes in [2, 3] {
                for x in [[2, -2], [2, 5], [3, 1], [3, 2], [-128, 127], [127, -128], [4, 0]] {
                    let (l, leaves) = layout(lanes, x, hashed);
                    let got: Vec<i128> = leaves.iter().map(|w| w.value).collect();
                    assert_eq!(got, expected(x), "{x:?}");
                    assert_eq!(&l.instance_values[..6], &expected(x).into_iter().map(fe).collect::<Vec<_>>()[..]);
                    assert_accepts(&l);
                }
            }
        }
    }

    #[test]
    fn a_proof_cannot_claim_another_leaf() {
        let unit = 1 << SCALE.bits();
        for hashed in [false, true] {
            for x in [[2, -2], [3, 1], [5, 3]] {
                let want = expected(x);
                let reached = want.iter().position(|&v| v == unit).unwrap();
                for other in (0..4).filter(|&o| o != reached) {
                    let (mut l, leaves) = layout(2, x, hashed);
                    set_cell(&mut l, leaves[reached].cell, fe(0));
                    set_cell(&mut l, leaves[other].cell, fe(unit));
                    assert_rejects(&l);
                }
                // Nor can it claim no leaf at all, or a leaf twice.
                let (mut l, leaves) = layout(2, x, hashed);
                set_cell(&mut l, leaves[reached].cell, fe(0));
                assert_rejects(&l);
                let (mut l, leaves) = layout(2, x, hashed);
                set_cell(&mut l, leaves[(reached + 1) % 4].cell, fe(unit));
                assert_rejects(&l);
            }
        }
    }

    #[test]
    fn a_flipped_comparison_or_an_edited_threshold_fails() {
        // The first decision's bit is the top output of the first limb block laid out after the
        // input rows; flipping any lookup output that a decision reads breaks its row.
        let (l, _) = layout(2, [2, -2], false);
        for row in 0..l.lookup_tags.len() {
            let mut t = l.clone();
            let v = t.lout_values[row];
            set_lookup_out(&mut t, row, if v == 0 { 1 } else { 0 });
            assert_rejects(&t);
        }
        // A hashed threshold is bound by the instance that stands for its commitment.
        let (l, _) = layout(2, [2, -2], true);
        let mut t = l.clone();
        let first_home = match l.instance_cells[6] {
            c @ CellRef::Lane { .. } => c,
            other => panic!("threshold homed in {other:?}"),
        };
        set_cell(&mut t, first_home, fe(-5));
        t.instance_values[6] = l.instance_values[6];
        assert_rejects(&t);
    }
}
