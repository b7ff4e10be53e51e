//! Integer square root: `s = floor(sqrt(v))` for a value `v` the gate computes from wires, proved by
//! `v = s^2 + d` with `0 <= d` and `d <= 2s`, both by limbs. Together they give
//! `s^2 <= v < (s + 1)^2` and `s >= 0`; every magnitude stays far below the field, so `s` is the
//! only root. No table: the root is exact to the unit, at any scale and over any range, which a
//! segment table could not be near zero, where the square root's slope is unbounded.

use crate::circuit::layout::{LaneInput, LayoutBuilder, Wire};
use crate::error::ZkError;

/// Bits of `x >= 0`.
pub(crate) fn bit_length(x: i128) -> u32 {
    128 - x.max(0).leading_zeros()
}

/// `floor(sqrt(v))` for `v >= 0`, exact for every `i128`.
pub(crate) fn isqrt_int(v: i128) -> i128 {
    debug_assert!(v >= 0);
    let mut s = (v as f64).sqrt() as i128;
    while s * s > v {
        s -= 1;
    }
    while (s + 1) * (s + 1) <= v {
        s += 1;
    }
    s
}

impl LayoutBuilder {
    /// `floor(sqrt(bias + sum(w * x)))`, the radicand at most `v_max`. A negative radicand is an
    /// error naming the layer.
    pub fn isqrt(&mut self, terms: &[(Wire, i128)], bias: i128, v_max: i128) -> Result<Wire, ZkError> {
        let v = terms.iter().fold(bias, |acc, &(x, w)| acc + w * x.value);
        if self.witness && !(0..=v_max).contains(&v) {
            return Err(ZkError::input(format!(
                "layer '{}' ({}): square root of {:.6} (fixed point {v}), {}",
                self.context.0,
                self.context.1,
                self.scale.to_float(v),
                if v < 0 { "a negative value" } else { "beyond the circuit's range" }
            )));
        }
        let s = if self.witness { isqrt_int(v) } else { 0 };
        let d = if self.witness { v - s * s } else { 0 };
        // d and 2s - d are at most 2s <= 2 sqrt(v_max).
        let bits = bit_length(2 * isqrt_int(v_max)).max(1);
        // s * s, with both factors homed on the row and tied together.
        let (lanes, _) =
            self.arith_row_int(true, false, true, 0, &[(LaneInput::Fresh(s), 0), (LaneInput::Fresh(s), 0)]);
        self.layout.copies.push((lanes[0].cell, lanes[1].cell));
        let root = lanes[0];
        // s^2 + d - v = 0.
        let mut row: Vec<(LaneInput, i128)> = vec![(LaneInput::Fresh(d), 1)];
        row.extend(terms.iter().map(|&(x, w)| (LaneInput::Copy(x), -w)));
        let d_wire = self.assert_zero(true, -bias, &row)[0];
        // 0 <= d < 2^bits and 0 <= 2s - d < 2^bits, each bound to its limbs.
        for (value, extra) in [(d, vec![(d_wire, -1)]), (2 * s - d, vec![(root, -2), (d_wire, 1)])] {
            let limbs = self.limbs(value, bits);
            let mut terms: Vec<(LaneInput, i128)> = limbs.iter().map(|&(w, p)| (LaneInput::Copy(w), p)).collect();
            terms.extend(extra.into_iter().map(|(w, c)| (LaneInput::Copy(w), c)));
            self.assert_zero(false, 0, &terms);
        }
        // 0 <= s < 2^bits: in the activation range when that is narrower than it.
        if bits < self.table.range_bits {
            self.in_range.insert(root.cell);
        }
        Ok(root)
    }

    /// `sqrt(x)` at the circuit's scale: `floor(sqrt(x * 2^scale))`.
    pub fn sqrt(&mut self, x: Wire) -> Result<Wire, ZkError> {
        self.range_check(x)?;
        let s = self.scale.bits();
        let v_max = (1i128 << (self.table.range_bits - 1)) << s;
        self.isqrt(&[(x, 1i128 << s)], 0, v_max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::circuit::chips::test_support::*;
    use crate::circuit::layout::{CellRef, Layout};
    use crate::encoding::field::fe;

    fn root_row(w: Wire) -> u32 {
        match w.cell {
            CellRef::Lane { row, .. } => row,
            _ => unreachable!(),
        }
    }

    #[test]
    fn integer_roots_are_exact() {
        for v in [0i128, 1, 2, 3, 4, 15, 16, 17, (1 << 62) - 1, 1 << 62, i128::MAX >> 2] {
            let s = isqrt_int(v);
            assert!(s * s <= v && (s + 1) * (s + 1) > v, "{v}");
        }
    }

    /// `sqrt(x)` at scale 2^-4 for an input range-checked where it enters.
    fn layout(x: i128) -> (Layout, Wire) {
        build(2, |b| {
            let w = fresh_input(b, x);
            let s = b.sqrt(w).unwrap();
            b.expose(s);
            s
        })
    }

    #[test]
    fn roots_at_the_scale() {
        // sqrt(2.25) = 1.5 is 24 at 2^-4; sqrt(7/16) = 0.661 is floor(sqrt(112)) = 10.
        for (x, want) in [(36, 24), (7, 10), (0, 0), (127, 45)] {
            let (l, _) = layout(x);
            assert_eq!(l.instance_values[0], fe(want), "sqrt of {x}");
            assert_accepts(&l);
        }
    }

    #[test]
    fn a_wrong_root_fails() {
        // 36 * 16 = 576 = 24^2. Claim 23 (d = 47 > 2 * 23) or 25 (d = -49): with the product and
        // d made consistent, one of the two limb bounds has no decomposition.
        for claim in [23i128, 25] {
            let (mut l, s) = layout(36);
            let row = root_row(s);
            set_cell(&mut l, s.cell, fe(claim));
            set_cell(&mut l, CellRef::Lane { row, lane: 1 }, fe(claim));
            set_cell(&mut l, CellRef::Acc { row }, fe(claim * claim));
            set_cell(&mut l, CellRef::Lane { row: row + 1, lane: 0 }, fe(576 - claim * claim));
            assert_rejects(&l);
        }
        // The negative root -24 satisfies s^2 + d = v with d = 0, but 2s - d is negative.
        let (mut l, s) = layout(36);
        let row = root_row(s);
        set_cell(&mut l, s.cell, fe(-24));
        set_cell(&mut l, CellRef::Lane { row, lane: 1 }, fe(-24));
        assert_rejects(&l);
    }

    #[test]
    fn a_negative_radicand_is_an_error() {
        let err = build(2, |b| {
            b.set_context("norm", "Sqrt");
            let w = fresh_input(b, -3);
            b.sqrt(w).unwrap_err()
        })
        .1;
        assert!(err.message.contains("norm") && err.message.contains("negative"), "{}", err.message);
    }
}
