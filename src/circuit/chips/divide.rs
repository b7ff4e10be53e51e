//! Division of two computed values (softmax's and layer norm's normalisations, Div and Reciprocal
//! of activations): `q = floor(a * k / b)` for a positive `b` and a constant `k` (`2^s` for a
//! plain fixed-point division), from `a * k = q * b + r` with `0 <= r` and `r <= b - 1`, both
//! proved by limbs, and `q` range-checked. Every magnitude stays far below the field, so the equation holds over
//! the integers and `q` is the only quotient that satisfies it.

use crate::circuit::layout::{LaneInput, LayoutBuilder, Wire};
use crate::error::ZkError;

impl LayoutBuilder {
    /// `floor(a * 2^scale / b)`; `a` in range, `b` in `[1, 2^(range_bits - 1))`.
    pub fn divide(&mut self, a: Wire, b: Wire) -> Result<Wire, ZkError> {
        self.range_check(a)?;
        let unit = 1i128 << self.scale.bits();
        self.divide_scaled(a, b, unit, self.table.range_bits - 1)
    }

    /// `floor(a * k / b)` for a constant `k > 0` and `b` in `[1, 2^b_bits)`; `a` must be bounded
    /// (range-checked, or computed from range-checked values) so that `a * k` stays far below
    /// the field. The quotient is range-checked.
    pub fn divide_scaled(&mut self, a: Wire, b: Wire, k: i128, b_bits: u32) -> Result<Wire, ZkError> {
        if self.witness && !(1..1i128 << b_bits).contains(&b.value) {
            return Err(ZkError::input(format!(
                "layer '{}' ({}): divisor {:.4} (fixed point {}) is not positive or leaves the circuit's range",
                self.context.0,
                self.context.1,
                self.scale.to_float(b.value),
                b.value
            )));
        }
        let (q, r) = if self.witness {
            let n = a.value.checked_mul(k).unwrap_or_else(|| self.overflowed());
            (n.div_euclid(b.value), n.rem_euclid(b.value))
        } else {
            (0, 0)
        };
        // q * b, then q * b + r - k * a = 0.
        let (lanes, _) = self.arith_row_int(true, false, true, 0, &[(LaneInput::Fresh(q), 0), (LaneInput::Copy(b), 0)]);
        let q = lanes[0];
        let r_wire = self.assert_zero(true, 0, &[(LaneInput::Fresh(r), 1), (LaneInput::Copy(a), -k)])[0];
        // 0 <= r < 2^b_bits, bound to its limbs.
        let r_limbs = self.limbs(r, b_bits);
        let mut terms: Vec<(LaneInput, i128)> = r_limbs.iter().map(|&(w, p)| (LaneInput::Copy(w), p)).collect();
        terms.push((LaneInput::Copy(r_wire), -1));
        self.assert_zero(false, 0, &terms);
        // 0 <= b - 1 - r < 2^b_bits: sum(limbs) - b + 1 + r = 0.
        let gap = self.limbs(if self.witness { b.value - 1 - r } else { 0 }, b_bits);
        let mut terms: Vec<(LaneInput, i128)> = gap.iter().map(|&(w, p)| (LaneInput::Copy(w), p)).collect();
        terms.extend([(LaneInput::Copy(b), -1), (LaneInput::Copy(r_wire), 1)]);
        self.assert_zero(false, 1, &terms);
        self.range_check(q)?;
        Ok(q)
    }
}

#[cfg(test)]
mod tests {
    use crate::circuit::chips::test_support::*;
    use crate::circuit::layout::{CellRef, Layout};
    use crate::encoding::field::fe;

    /// `a / b` at scale 2^-4 with both inputs range-checked where they enter.
    fn layout(a: i128, b: i128) -> (Layout, CellRef) {
        build(2, |x| {
            let (wa, wb) = (fresh_input(x, a), fresh_input(x, b));
            let q = x.divide(wa, wb).unwrap();
            x.expose(q);
            q.cell
        })
    }

    #[test]
    fn divides_rounding_down() {
        for (a, b) in [(16, 16), (7, 16), (-7, 16), (100, 30), (0, 5), (127, 127), (-128, 120)] {
            let (l, _) = layout(a, b);
            assert_eq!(l.instance_values[0], fe((a * 16).div_euclid(b)), "{a} / {b}");
            assert_accepts(&l);
        }
    }

    #[test]
    fn a_wrong_quotient_fails() {
        // 7 / 16 at 2^-4 is 7 (remainder 0). Claim 6 with everything else made consistent: the
        // product 96, the remainder 16 (limbs 0, 2, 0 at lookup rows 6-8, after the inputs' 3
        // each) and q's range limbs (q + 128 = 134: first limb 6, row 12). Only the gap
        // `b - 1 - r = -1` has no limbs: its row objects.
        let (mut l, q) = layout(7, 16);
        let CellRef::Lane { row, .. } = q else { unreachable!() };
        assert_eq!((l.lin_values[6], l.lin_values[12]), (0, 7));
        set_cell(&mut l, q, fe(6));
        set_cell(&mut l, CellRef::Acc { row }, fe(96));
        set_cell(&mut l, CellRef::Lane { row: row + 1, lane: 0 }, fe(16));
        set_lookup(&mut l, 7, 2);
        set_lookup(&mut l, 12, 6);
        assert_rejected_by(&l, Why::Gate);
        // Claim 8: the remainder would be -16, which no limbs make up.
        let (mut l, q) = layout(7, 16);
        set_cell(&mut l, q, fe(8));
        assert_rejects(&l);
    }

    #[test]
    fn a_non_positive_divisor_is_an_error() {
        let err = build(2, |x| {
            x.set_context("softmax", "Softmax");
            let (wa, wb) = (fresh_input(x, 5), fresh_input(x, 0));
            x.divide(wa, wb).unwrap_err()
        })
        .1;
        assert!(err.message.contains("softmax") && err.message.contains("not positive"), "{}", err.message);
    }
}
