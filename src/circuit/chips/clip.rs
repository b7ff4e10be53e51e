//! Clip by sign bits, for bounds the segment table cannot align to (`Clip(-0.37, 1.1)` would need
//! segments of four inputs): `clip(x) = lo + relu(x - lo) - relu(x - hi)`. Each ReLU of a shifted
//! value is one product with the sign of the shifted value ([`LayoutBuilder::sign_of_shifted`]).
//! Bounds the table does align (ReLU6) take the cheaper segment path instead.

use crate::circuit::layout::{LaneInput, LayoutBuilder, Wire};
use crate::error::ZkError;

impl LayoutBuilder {
    /// `min(max(x, lo), hi)` with fixed-point bounds (`None`: no bound on that side).
    pub fn clip(&mut self, x: Wire, lo: Option<i128>, hi: Option<i128>) -> Result<Wire, ZkError> {
        // The output is x itself between the bounds: x must be in range for y to be.
        self.range_check(x)?;
        let (min, max) = self.table.domain();
        let lo = lo.filter(|&c| c > min);
        let hi = hi.filter(|&c| c < max - 1);
        if lo.is_none() && hi.is_none() {
            return Ok(x); // both bounds outside the range: the identity
        }
        let y = self.clamped(x, lo, hi)?;
        self.in_range.insert(y.cell); // within [lo, hi], or x's own range on an open side
        Ok(y)
    }

    /// `lo + relu(x - lo) - relu(x - hi)` (`x` itself for an open side): `x` held to `[lo, hi]`.
    /// Each bound must lie in the activation range; the result is not marked in range.
    pub(crate) fn clamped(&mut self, x: Wire, lo: Option<i128>, hi: Option<i128>) -> Result<Wire, ZkError> {
        if lo.is_none() && hi.is_none() {
            return Ok(x);
        }
        let mut terms: Vec<(Wire, i128)> = Vec::new();
        let mut bias = 0;
        match lo {
            Some(c) => {
                terms.push((self.relu_shifted(x, c)?, 1));
                bias = c;
            }
            None => terms.push((x, 1)),
        }
        if let Some(c) = hi {
            terms.push((self.relu_shifted(x, c)?, -1));
        }
        Ok(self.dot(&terms, bias))
    }

    /// `max(x - c, 0)` for a constant `c`: the sign `s` of `x - c`, then `s * x - c * s` in one
    /// product row.
    pub(crate) fn relu_shifted(&mut self, x: Wire, c: i128) -> Result<Wire, ZkError> {
        let s = self.sign_of_shifted(x, c)?;
        let inputs = [(LaneInput::Copy(s), -c), (LaneInput::Copy(x), 0)];
        Ok(self.arith_row_int(true, false, true, 0, &inputs).1)
    }
}

#[cfg(test)]
mod tests {
    use crate::circuit::chips::test_support::*;
    use crate::circuit::layout::{CellRef, Layout};
    use crate::encoding::field::fe;

    /// Clip to [-37, 90] of an input homed with no range check (the clip checks it: lookup rows
    /// 0-2), then the decompositions of x + 37 (rows 3-5, top row 5) and x - 90 (rows 6-8, top 8).
    fn layout(x: i128, lo: Option<i128>, hi: Option<i128>) -> (Layout, CellRef) {
        build(2, |b| {
            let w = fresh_input_unchecked(b, x);
            let y = b.clip(w, lo, hi).unwrap();
            b.expose(y);
            y.cell
        })
    }

    #[test]
    fn clips_on_either_side() {
        for x in [-128, -38, -37, -36, 0, 89, 90, 91, 127] {
            for (lo, hi) in [(Some(-37), Some(90)), (None, Some(90)), (Some(-37), None), (None, None)] {
                let (l, _) = layout(x, lo, hi);
                let want = x.max(lo.unwrap_or(i128::MIN)).min(hi.unwrap_or(i128::MAX));
                assert_eq!(l.instance_values[0], fe(want), "clip({x}, {lo:?}, {hi:?})");
                assert_accepts(&l);
            }
        }
    }

    #[test]
    fn a_tampered_clip_fails() {
        // x = 100 clipped to 90. Claim x - 90 negative (relu 0, y = 100): the top limb of
        // x - 90 + 256 = 266 is 4 (bit 1), and (4, 0) is not in the top block.
        // With the product (the row before y's) and y following, only the lookup can object.
        let (mut l, y) = layout(100, Some(-37), Some(90));
        assert_eq!(l.lout_values[8], 1);
        let CellRef::Acc { row } = y else { unreachable!() };
        set_lookup_out(&mut l, 8, 0);
        set_cell(&mut l, CellRef::Acc { row: row - 1 }, fe(0));
        set_cell(&mut l, y, fe(100));
        assert_rejected_by(&l, Why::Lookup);
        // The output alone changed: the row defining it objects.
        let (mut l, y) = layout(5, Some(-37), Some(90));
        set_cell(&mut l, y, fe(6));
        assert_rejected_by(&l, Why::Gate);
        // An input outside the range is an error, not a clipped proof.
        let err = build(2, |b| {
            let w = fresh_input_unchecked(b, 300);
            b.clip(w, Some(-37), Some(90)).unwrap_err()
        })
        .1;
        assert!(err.message.contains("outside"), "{}", err.message);
    }
}
