//! `ln(x)` for positive inputs, over the whole range, on the table's `ln(max(x, 1))` segments:
//! with `k` the position of `x`'s leading bit, `x = m 2^(k - (B-2))` with `m` in
//! `[2^(B-2), 2^(B-1))`, so `ln(x / 2^s) = ln(m_s / 2^s) + (k - s) ln 2` where `m_s = floor(m /
//! 2^(B-2-s))` lies in `[1, 2)` in real terms: inside the table's accurate domain whatever `x`.
//!
//! `k` is a one-hot vector of `B - 1` bits (each a 1-bit range lookup, summing to 1), pinned by
//! `2^k <= x <= 2^(k+1) - 1` (two limb decompositions); `2^k`, `2^(B-2-k)` and
//! `round((k - s) ln 2 * 2^s)` are then linear in the bits. An input at or below zero has no
//! logarithm: an error naming the layer, never a proof.

use crate::circuit::layout::{LaneInput, LayoutBuilder, Wire};
use crate::circuit::tables::TableFn;
use crate::error::ZkError;

impl LayoutBuilder {
    pub fn log(&mut self, x: Wire) -> Result<Wire, ZkError> {
        let bits = self.table.range_bits;
        let s = self.scale.bits();
        let n = bits - 1; // x in [1, 2^n)
        if self.witness && x.value < 1 {
            return Err(ZkError::input(format!(
                "layer '{}' ({}): the logarithm of {:.6}, which is not positive",
                self.context.0,
                self.context.1,
                self.scale.to_float(x.value)
            )));
        }
        let k = if self.witness { 127 - x.value.leading_zeros() } else { 0 };
        // The one-hot bits, each proved 0 or 1 by a 1-bit range block.
        let one_hot: Vec<Wire> = (0..n).map(|j| self.limbs(i128::from(j == k), 1)[0].0).collect();
        let sum: Vec<(LaneInput, i128)> = one_hot.iter().map(|&b| (LaneInput::Copy(b), 1)).collect();
        self.assert_zero(false, -1, &sum);
        // 2^k <= x: x - sum(b_j 2^j) in [0, 2^n).
        let power = |j: u32| 1i128 << j;
        let p = if self.witness { power(k) } else { 0 };
        self.at_least_zero(x.value - p, n, 0, x, 1, &one_hot, |j| -power(j));
        // x <= 2^(k+1) - 1: sum(b_j 2^(j+1)) - 1 - x in [0, 2^n).
        self.at_least_zero(2 * p - 1 - x.value, n, -1, x, -1, &one_hot, |j| 2 * power(j));
        // m = x * 2^(n-1-k), in [2^(n-1), 2^n).
        let shift: Vec<(Wire, i128)> = one_hot.iter().enumerate().map(|(j, &b)| (b, power(n - 1 - j as u32))).collect();
        let factor = self.dot(&shift, 0);
        let m = self.product(x, factor);
        // m_s = floor(m / 2^(n-1-s)), in [2^s, 2^(s+1)): m = m_s 2^d + r with r in [0, 2^d).
        let d = n - 1 - s;
        let m_s = if d == 0 { m } else { self.shift_previous(m, d, false)? };
        let t = self.smooth(TableFn::LN_AT_LEAST_ONE, m_s)?;
        // + round((k - s) ln 2 * 2^s), linear in the bits.
        let unit = self.scale.unit();
        let mut out: Vec<(Wire, i128)> = vec![(t, 1)];
        out.extend(
            one_hot
                .iter()
                .enumerate()
                .map(|(j, &b)| (b, ((j as f64 - s as f64) * std::f64::consts::LN_2 * unit).round() as i128)),
        );
        let y = self.dot(&out, 0);
        // |ln x| <= max(s, n - s) ln 2 + ln 2 in real terms, well inside the range.
        self.in_range.insert(y.cell);
        Ok(y)
    }

    /// Proves `value = bias + sign * x + sum(coef(j) * b_j)` lies in `[0, 2^bits)`, bound to its
    /// limbs.
    #[allow(clippy::too_many_arguments)]
    fn at_least_zero(
        &mut self,
        value: i128,
        bits: u32,
        bias: i128,
        x: Wire,
        sign: i128,
        one_hot: &[Wire],
        coef: impl Fn(u32) -> i128,
    ) {
        let limbs = self.limbs(if self.witness { value } else { 0 }, bits);
        let mut terms: Vec<(LaneInput, i128)> = limbs.iter().map(|&(w, p)| (LaneInput::Copy(w), p)).collect();
        terms.push((LaneInput::Copy(x), -sign));
        terms.extend(one_hot.iter().enumerate().map(|(j, &b)| (LaneInput::Copy(b), -coef(j as u32))));
        self.assert_zero(false, -bias, &terms);
    }
}

#[cfg(test)]
mod tests {
    use crate::circuit::chips::test_support::*;
    use crate::circuit::layout::{CellRef, Layout};
    use crate::circuit::tables::{TableFn, TableSpec};
    use crate::encoding::field::{fe, to_i128};

    fn table() -> TableSpec {
        spec_with(TableFn::LN_AT_LEAST_ONE)
    }

    fn layout(lanes: usize, x: i128) -> Result<(Layout, CellRef), crate::error::ZkError> {
        let (l, r) = build_with(lanes, table(), |b| {
            let w = fresh_input(b, x);
            let y = b.log(w)?;
            b.expose(y);
            Ok::<_, crate::error::ZkError>(y.cell)
        });
        r.map(|c| (l, c))
    }

    #[test]
    fn log_is_within_four_quanta_everywhere() {
        let unit = SCALE.unit();
        for lanes in [2, 3] {
            for x in 1..128 {
                let (l, _) = layout(lanes, x).unwrap();
                let want = (x as f64 / unit).ln() * unit;
                let got = to_i128(&l.instance_values[0]).unwrap() as f64;
                assert!((got - want).abs() <= 4.0, "ln({x}): {got} vs {want:.2}");
                if x % 9 == 1 {
                    assert_accepts(&l);
                }
            }
        }
    }

    #[test]
    fn a_non_positive_input_is_an_error() {
        for x in [0, -5] {
            let err = layout(2, x).unwrap_err().to_string();
            assert!(err.contains("not positive"), "{err}");
        }
    }

    #[test]
    fn a_tampered_logarithm_or_octave_fails() {
        for lanes in [2, 3] {
            let (mut l, y) = layout(lanes, 37).unwrap();
            let v = to_i128(&l.instance_values[0]).unwrap();
            set_cell(&mut l, y, fe(v + 1));
            assert_rejects(&l);
        }
        // Claiming x = 37 lies in the octave [16, 32) (bit 4 instead of bit 5): the lookups of
        // the one-hot bits are rows 3.. after the input's own (3-bit limbs: rows 0-2).
        for lanes in [2, 3] {
            let (mut l, _) = layout(lanes, 37).unwrap();
            set_lookup(&mut l, 3 + 5, 0);
            set_lookup(&mut l, 3 + 4, 1);
            assert_rejects(&l);
        }
    }
}
