//! Rescaling: after a product of two fixed-point values the result carries twice the fractional
//! bits. `acc + 2^(s-1) = q * 2^s + r` with `0 <= r < 2^s` (limbs in the range blocks) makes `q`
//! the rounded quotient; `q` itself must then be range-checked (by its activation's sign or segment
//! decomposition, or a range check), otherwise a wrong `r` could pair with a wrapped-around `q`.

use crate::circuit::layout::{CellRef, LaneInput, LayoutBuilder, Wire};
use crate::error::ZkError;

impl LayoutBuilder {
    /// Divides the `acc` of the row just laid out by `2^shift`, rounding half up. Returns the
    /// quotient wire, not yet range-checked.
    pub fn rescale_previous(&mut self, acc: Wire, shift: u32) -> Result<Wire, ZkError> {
        self.shift_previous(acc, shift, true)
    }

    /// Divides the `acc` of the row just laid out by `2^shift`, rounding half up (`round`) or
    /// down. Returns the quotient wire, not yet range-checked.
    pub(crate) fn shift_previous(&mut self, acc: Wire, shift: u32, round: bool) -> Result<Wire, ZkError> {
        // The row reads `acc_prev`, which must be this chain's defined accumulator.
        let last = self.layout.arith.len() as u32 - 1;
        if acc.cell != (CellRef::Acc { row: last }) || !self.layout.arith[last as usize].o {
            return Err(ZkError::internal("rescale must directly follow the row that defines its accumulator"));
        }
        if shift == 0 || shift > 64 {
            return Err(ZkError::internal(format!("rescale by 2^{shift}")));
        }
        let unit = 1i128 << shift;
        let half = if round { unit >> 1 } else { 0 };
        let r = (acc.value + half).rem_euclid(unit);
        let limbs = self.limbs(r, shift);
        // `2^shift * q = acc + 2^(shift-1) - r`: the last row's accumulator is `q` (an exact
        // division by a fixed power of two), so `q` takes no lane. Earlier rows, when the limbs
        // outnumber the lanes, carry partial sums.
        let terms: Vec<(LaneInput, i128)> = limbs.iter().map(|&(w, p)| (LaneInput::Copy(w), -p)).collect();
        let chunks: Vec<_> = terms.chunks(self.lanes()).collect();
        let n = chunks.len();
        let mut q = None;
        for (i, chunk) in chunks.into_iter().enumerate() {
            let bias = if i == 0 { half } else { 0 };
            if i + 1 == n {
                q = Some(self.quotient_row(shift, bias, chunk));
            } else {
                self.arith_row_int(true, true, false, bias, chunk);
            }
        }
        let q = q.expect("a remainder has at least one limb");
        debug_assert!(!self.witness || q.value == (acc.value + half).div_euclid(unit));
        Ok(q)
    }
}

#[cfg(test)]
mod tests {
    use crate::circuit::chips::test_support::*;
    use crate::circuit::layout::{CellRef, Layout};
    use crate::encoding::field::fe;

    /// Lookup rows: each input's decomposition takes 3 (limbs of 3, 3, 2 bits at range 8, limb 3),
    /// then the remainder's limbs (3 and 1 bits for a shift of 4), then q's limbs.
    const R_LIMB0: usize = 6;
    const Q_LIMB0: usize = 8;

    /// `(3*50 + (-2)*(-21) + bias) / 2^4`.
    fn layout(bias: i128) -> (Layout, CellRef) {
        build(2, |b| {
            let x = fresh_input(b, 50);
            let y = fresh_input(b, -21);
            let acc = b.dot(&[(x, 3), (y, -2)], bias);
            let q = b.rescale_previous(acc, 4).unwrap();
            b.range_check(q).unwrap();
            b.expose(q);
            q.cell
        })
    }

    #[test]
    fn rounds_half_up() {
        let (l, _) = layout(7); // 199/16 = 12.4375 -> 12
        assert_eq!(l.instance_values[0], fe(12));
        assert_accepts(&l);
        let (l, _) = layout(8); // 200/16 = 12.5 -> 13
        assert_eq!(l.instance_values[0], fe(13));
        assert_accepts(&l);
        let (l, _) = layout(-400); // -208/16 = -13
        assert_eq!(l.instance_values[0], fe(-13));
        assert_accepts(&l);
    }

    #[test]
    fn tampered_quotient_fails() {
        // q = 12 -> 13 everywhere it is copied, with its range decomposition following (the
        // first limb of q + 128 goes 4 -> 5): only the rescale row can object.
        let (mut l, q) = layout(7);
        set_cell(&mut l, q, fe(13));
        set_lookup(&mut l, Q_LIMB0, 5);
        assert_rejected_by(&l, Why::Gate);
    }

    #[test]
    fn remainder_out_of_range_fails() {
        // q one lower and the remainder 16 higher: the rescale row still holds; the remainder's
        // top limb (1 bit) would have to hold 2.
        let (mut l, q) = layout(7);
        set_cell(&mut l, q, fe(11));
        set_lookup(&mut l, Q_LIMB0, 3);
        let top = l.lin_values[R_LIMB0 + 1];
        set_lookup(&mut l, R_LIMB0 + 1, top + 2);
        assert_rejected_by(&l, Why::Lookup);
    }

    #[test]
    fn tampered_remainder_fails() {
        let (mut l, _) = layout(7);
        let r0 = l.lin_values[R_LIMB0];
        set_lookup(&mut l, R_LIMB0, (r0 + 1) % 8);
        assert_rejected_by(&l, Why::Gate);
    }

    /// A remainder of 3 limbs (shift 7, limbs of 3 bits) over 2 lanes: two rows, the second
    /// defining the quotient.
    fn wide_layout() -> (Layout, CellRef) {
        build(2, |b| {
            let x = fresh_input(b, 101);
            let acc = b.dot(&[(x, 37)], 5); // 3742 / 128 = 29.23 -> 29
            let q = b.rescale_previous(acc, 7).unwrap();
            b.range_check(q).unwrap();
            b.expose(q);
            q.cell
        })
    }

    #[test]
    fn a_remainder_wider_than_the_lanes_spans_rows() {
        let (l, q) = wide_layout();
        assert_eq!(l.instance_values[0], fe(29));
        assert!(matches!(q, CellRef::Acc { .. }), "the quotient is the last row's accumulator");
        assert_accepts(&l);
        // q one higher (the remainder's limbs left alone): only the rescale rows can object.
        let (mut l, q) = wide_layout();
        set_cell(&mut l, q, fe(30));
        // q's range decomposition follows (lookup rows: the input's 3 limbs, the remainder's 3,
        // then q's; q + 128 = 157 -> 158 moves its first limb 5 -> 6).
        assert_eq!(l.lin_values[6], 5);
        set_lookup(&mut l, 6, 6);
        assert_rejected_by(&l, Why::Gate);
    }
}
