//! Comparisons of two activations (Greater, GreaterOrEqual, Equal; Less and LessOrEqual swap
//! operands): `[a - b - offset >= 0]` is the sign bit of a decomposition one bit wider than the
//! activation range, since a difference of two values in range can reach twice as far.

use crate::circuit::layout::{LayoutBuilder, Wire};
use crate::error::ZkError;
use crate::model::graph::Comparison;

impl LayoutBuilder {
    /// `2^scale` (the fixed-point 1 of an ONNX boolean) when `a kind b` holds, else 0.
    pub fn compare(&mut self, kind: Comparison, a: Wire, b: Wire) -> Result<Wire, ZkError> {
        let bit = match kind {
            Comparison::GreaterOrEqual => self.at_least(a, b, 0)?,
            // Integers: a > b exactly when a - b - 1 >= 0.
            Comparison::Greater => self.at_least(a, b, 1)?,
            Comparison::Equal => {
                let ge = self.at_least(a, b, 0)?;
                let le = self.at_least(b, a, 0)?;
                self.product(ge, le)
            }
        };
        let unit = 1i128 << self.scale().bits();
        let y = self.dot(&[(bit, unit)], 0);
        self.in_range.insert(y.cell); // 0 or one unit
        Ok(y)
    }

    /// The bit `[a - b >= offset]`.
    fn at_least(&mut self, a: Wire, b: Wire, offset: i128) -> Result<Wire, ZkError> {
        let diff = self.dot(&[(a, 1), (b, -1)], -offset);
        self.sign(diff, self.table.range_bits + 1)
    }
}

#[cfg(test)]
mod tests {
    use crate::circuit::chips::test_support::*;
    use crate::circuit::layout::{CellRef, Layout};
    use crate::encoding::field::fe;
    use crate::model::graph::Comparison;

    fn layout(lanes: usize, kind: Comparison, a: i128, b: i128) -> (Layout, CellRef) {
        build(lanes, |b_| {
            let (x, y) = (fresh_input(b_, a), fresh_input(b_, b));
            let out = b_.compare(kind, x, y).unwrap();
            b_.expose(out);
            out.cell
        })
    }

    #[test]
    fn comparisons_hold_exactly() {
        for lanes in [2, 3] {
            for kind in [Comparison::Greater, Comparison::GreaterOrEqual, Comparison::Equal] {
                for (a, b) in [(3, 3), (3, 4), (4, 3), (-128, 127), (127, -128), (-5, -5), (0, -1)] {
                    let (l, _) = layout(lanes, kind, a, b);
                    let want = if kind.holds(a as f64, b as f64) { 1 << SCALE.bits() } else { 0 };
                    assert_eq!(l.instance_values[0], fe(want), "{kind:?} {a} {b}");
                    assert_accepts(&l);
                }
            }
        }
    }

    #[test]
    fn a_flipped_answer_fails() {
        for lanes in [2, 3] {
            for kind in [Comparison::Greater, Comparison::GreaterOrEqual, Comparison::Equal] {
                for (a, b) in [(3, 3), (3, 4), (4, 3)] {
                    let (mut l, out) = layout(lanes, kind, a, b);
                    let flipped = if kind.holds(a as f64, b as f64) { 0 } else { 1 << SCALE.bits() };
                    set_cell(&mut l, out, fe(flipped));
                    assert_rejects(&l);
                }
            }
        }
    }
}
