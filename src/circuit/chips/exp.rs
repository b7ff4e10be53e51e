//! `exp(x)` over the whole activation range without a table of its own: with `e = B - 2 - s`
//! (range `B` bits, scale `s`) and `c = e ln 2` on the fixed-point grid,
//! `exp(x) = 2^e * exp(x - c)`. For `x <= c` the second factor is the bounded exponential softmax
//! already tabulates (its segments need `|f''| <= 1`), and multiplying by `2^e` is exact; the
//! output is at most `2^e` (in real terms), half the range, so it needs no range check. An input
//! above `c`, whose exponential the range cannot hold, is rejected by a sign bit rather than
//! clamped, and inputs below `c - 2^(B-1-s)` (where `exp` is below `2^-(2^(B-1-s) - c)`, far
//! under a quantum) are clamped there so the shifted input stays in the table's domain.

use crate::circuit::layout::{LaneInput, LayoutBuilder, Wire};
use crate::circuit::tables::TableFn;
use crate::error::ZkError;

impl LayoutBuilder {
    pub fn exp(&mut self, x: Wire) -> Result<Wire, ZkError> {
        let bits = self.table.range_bits;
        let s = self.scale.bits();
        let e = bits - 2 - s; // calibration keeps the range at least s + 2 bits
        let half = 1i128 << (bits - 1);
        let c = self.exp_cap();
        // [x >= c + 1] must be 0.
        let above = self.sign_of_shifted(x, c + 1)?;
        if above.value == 1 {
            return Err(ZkError::input(format!(
                "layer '{}' ({}): Exp of {:.4} exceeds the activation range, which holds exp up to {:.4} \
                 (its input up to {:.4}); compile with a wider --range-bits or a smaller --scale",
                self.context.0,
                self.context.1,
                self.scale.to_float(x.value),
                (1u64 << e) as f64,
                self.scale.to_float(c)
            )));
        }
        self.assert_zero(false, 0, &[(LaneInput::Copy(above), 1)]);
        // v = max(x - (c - half), 0) in [0, half]; u = v - half = max(x, c - half) - c in [-half, 0].
        let v = self.relu_shifted(x, c - half)?;
        let u = self.dot(&[(v, 1)], -half);
        let t = self.smooth(TableFn::EXP_SHIFTED, u)?;
        let y = self.dot(&[(t, 1i128 << e)], 0);
        self.in_range.insert(y.cell); // t <= 2^s, so y <= 2^(e + s) = half / 2
        Ok(y)
    }

    /// `c = floor(e ln 2 * 2^s)`: the largest input whose exponential the chip proves.
    pub(crate) fn exp_cap(&self) -> i128 {
        let e = self.table.range_bits - 2 - self.scale.bits();
        (e as f64 * std::f64::consts::LN_2 * self.scale.unit()).floor() as i128
    }
}

#[cfg(test)]
mod tests {
    use crate::circuit::chips::test_support::*;
    use crate::circuit::layout::{CellRef, Layout};
    use crate::circuit::tables::{TableFn, TableSpec};
    use crate::encoding::field::fe;

    fn table() -> TableSpec {
        spec_with(TableFn::EXP_SHIFTED)
    }

    fn layout(lanes: usize, x: i128) -> Result<(Layout, CellRef), crate::error::ZkError> {
        let (l, r) = build_with(lanes, table(), |b| {
            let w = fresh_input(b, x);
            let y = b.exp(w)?;
            b.expose(y);
            Ok::<_, crate::error::ZkError>(y.cell)
        });
        r.map(|c| (l, c))
    }

    #[test]
    fn exp_is_within_two_quanta_of_the_real_one() {
        let unit = SCALE.unit();
        let (_, cap) = build_with(2, table(), |b| b.exp_cap());
        let e = spec().range_bits - 2 - SCALE.bits();
        for lanes in [2, 3] {
            for x in [-128, -60, -17, -1, 0, 1, 5, cap - 1, cap] {
                let (l, _) = layout(lanes, x).unwrap();
                let want = (x as f64 / unit).exp() * unit;
                let got = crate::encoding::field::to_i128(&l.instance_values[0]).unwrap() as f64;
                // The bounded exponential's two quanta, times the 2^e it is scaled by.
                assert!((got - want).abs() <= 2.0 * (1u64 << e) as f64, "exp({x}): {got} vs {want:.2}");
                assert_accepts(&l);
            }
        }
    }

    #[test]
    fn an_input_past_the_cap_is_an_error_not_a_clamp() {
        let (_, cap) = build_with(2, table(), |b| b.exp_cap());
        let err = layout(2, cap + 1).unwrap_err().to_string();
        assert!(err.contains("exceeds the activation range"), "{err}");
    }

    #[test]
    fn a_tampered_exponential_fails() {
        for lanes in [2, 3] {
            let (mut l, y) = layout(lanes, 5).unwrap();
            let v = crate::encoding::field::to_i128(&l.instance_values[0]).unwrap();
            set_cell(&mut l, y, fe(v + (1 << (spec().range_bits - 2 - SCALE.bits()))));
            assert_rejects(&l);
        }
    }
}
