//! Rescaling: after a product of two fixed-point values the result carries twice the fractional
//! bits. `acc + 2^(s-1) = q * 2^s + r` with `0 <= r < 2^s` (a table lookup) makes `q` the rounded
//! quotient; `q` itself must then be range-checked (by its activation's lookup or a range lookup),
//! otherwise a wrong `r` could pair with a wrapped-around `q`.

use crate::circuit::layout::{CellRef, LaneInput, LayoutBuilder, Wire};
use crate::circuit::tables::TAG_REMAINDER;
use crate::error::ZkError;

impl LayoutBuilder {
    /// Divides the `acc` of the row just laid out by `2^shift`, rounding half up. Returns the
    /// quotient wire, not yet range-checked.
    pub fn rescale_previous(&mut self, acc: Wire, shift: u32) -> Result<Wire, ZkError> {
        // The remainder table covers exactly [0, 2^scale): any other shift would let r overflow
        // into q. And the row reads `acc_prev`, which must be this chain's defined accumulator.
        if shift != self.scale.bits() {
            return Err(ZkError::internal(format!(
                "rescale by 2^{shift} with a 2^{} remainder table",
                self.scale.bits()
            )));
        }
        let last = self.layout.arith.len() as u32 - 1;
        if acc.cell != (CellRef::Acc { row: last }) || !self.layout.arith[last as usize].o {
            return Err(ZkError::internal("rescale must directly follow the row that defines its accumulator"));
        }
        let unit = 1i128 << shift;
        let half = unit >> 1;
        let q = (acc.value + half).div_euclid(unit);
        let r = (acc.value + half).rem_euclid(unit);
        let (lanes, _) =
            self.arith_row_int(false, true, false, half, &[(LaneInput::Fresh(q), -unit), (LaneInput::Fresh(r), -1)]);
        self.lookup(TAG_REMAINDER, LaneInput::Copy(lanes[1]))?;
        Ok(lanes[0])
    }
}

#[cfg(test)]
mod tests {
    use crate::circuit::chips::test_support::*;
    use crate::circuit::layout::CellRef;
    use crate::encoding::field::fe;

    /// `(3*50 + (-2)*(-21)) / 2^4` = 192/16 = 12 exactly; with +7: 199/16 -> 12.4375 -> 12
    fn layout(bias: i128) -> (crate::circuit::layout::Layout, (u32, u32, u32)) {
        build(2, |b| {
            let x = fresh_input(b, 50);
            let y = fresh_input(b, -21);
            let acc = b.dot(&[(x, 3), (y, -2)], bias);
            let q = b.rescale_previous(acc, 4).unwrap();
            b.range_check(q).unwrap();
            b.expose(q);
            let row = match q.cell {
                CellRef::Lane { row, .. } => row,
                _ => unreachable!(),
            };
            // lookup rows: 2 inputs, remainder, range check of q
            (row, 2, 3)
        })
    }

    #[test]
    fn rounds_half_up() {
        let (l, _) = layout(7);
        assert_eq!(l.instance_values[0], fe(12));
        let (l, _) = layout(8); // 200/16 = 12.5 -> 13
        assert_eq!(l.instance_values[0], fe(13));
        let (l, _) = layout(-400); // -208/16 = -13
        assert_eq!(l.instance_values[0], fe(-13));
        assert_accepts(&l);
    }

    #[test]
    fn tampered_quotient_fails() {
        let (mut l, (row, _, q_lookup)) = layout(7);
        l.lane_values[row as usize * l.lanes] += fe(1);
        l.lin_values[q_lookup as usize] += 1;
        l.lout_values[q_lookup as usize] += 1;
        l.instance_values[0] += fe(1);
        assert_rejects(&l);
    }

    #[test]
    fn remainder_out_of_range_fails() {
        // Shift the remainder by 2^s and the quotient down by one: the gate still holds, only the
        // remainder's lookup catches it.
        let (mut l, (row, r_lookup, q_lookup)) = layout(7);
        let lanes = l.lanes;
        l.lane_values[row as usize * lanes] -= fe(1);
        l.lane_values[row as usize * lanes + 1] += fe(16);
        l.lin_values[r_lookup as usize] += 16;
        l.lin_values[q_lookup as usize] -= 1;
        l.lout_values[q_lookup as usize] -= 1;
        l.instance_values[0] -= fe(1);
        assert_rejects(&l);
    }

    #[test]
    fn tampered_remainder_fails() {
        let (mut l, (row, r_lookup, _)) = layout(7);
        l.lane_values[row as usize * l.lanes + 1] += fe(1);
        l.lin_values[r_lookup as usize] += 1;
        assert_rejects(&l);
    }
}
