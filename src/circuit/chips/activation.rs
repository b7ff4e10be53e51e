//! Activations. ReLU is the sign bit times the value (see [`super::range`]). Smooth functions
//! (sigmoid, tanh) are interpolated between segment points: with `t = x + 2^(B-1)` split as
//! `t = i * 2^m + lo`, the table gives `f_i = f(x_i)` and `d_i = f(x_{i+1}) - f(x_i)` for segment
//! `i`, and `y = f_i + e` with `e = round(d_i * lo / 2^m)`.
//!
//! Every cell is pinned: the segment index by the lookups themselves (only `2^(B-m)` indices
//! exist), `lo` by limbs, and the rounding by `d_i * lo + 2^(m-1) + 2^(m+w-1) = 2^m e' + r` with
//! `r` in `[0, 2^m)` and `e' = e + 2^(w-1)` in the `w`-bit block. `|d_i|` is at most
//! `max|f'| * 2^m + 1`, so `w` bits hold every `e`, the left side lies in `[0, 2^(m+w))`, and the
//! split into `e'` and `r` is unique. For a bounded function (sigmoid, tanh, erf, clip) `y` is then
//! in range by construction; an unbounded one's `y` gets a range check.

use crate::circuit::layout::{LaneInput, LayoutBuilder, Wire};
use crate::circuit::tables::TableFn;
use crate::error::ZkError;
use crate::model::graph::Activation;

impl LayoutBuilder {
    /// `f(x)` for any activation.
    pub fn activation(&mut self, f: Activation, x: Wire) -> Result<Wire, ZkError> {
        match f {
            Activation::Exp => return self.exp(x),
            Activation::Log => return self.log(x),
            _ => {}
        }
        // The table decides: a function it holds segments of is interpolated; the rest are proved
        // from sign bits.
        if let Some(t) = TableFn::from_activation(f).filter(|&t| self.table.function(t).is_some()) {
            return self.smooth(t, x);
        }
        let fixed = |v: f64| (v * self.scale.unit()).round() as i128;
        match f {
            Activation::Relu => self.relu(x),
            Activation::Sign => self.signum(x),
            Activation::Sqrt => self.sqrt(x),
            Activation::Reciprocal => {
                // The numerator 1 is a fixed bias, not a witness.
                let unit = 1i128 << self.scale.bits();
                let one = self.arith_row_int(true, false, false, unit, &[]).1;
                self.divide_scaled(one, x, unit, self.table.range_bits - 1)
            }
            Activation::Clip { min, max } => {
                let bound = |v: f64| v.is_finite().then(|| fixed(v));
                self.clip(x, bound(min.get()), bound(max.get()))
            }
            other => Err(ZkError::internal(format!("the table holds no segments of {other:?}"))),
        }
    }

    /// `f(x)` by segment lookup and linear interpolation; `f` must be in the table.
    pub fn smooth(&mut self, f: TableFn, x: Wire) -> Result<Wire, ZkError> {
        let bits = self.table.range_bits;
        let seg =
            *self.table.function(f).ok_or_else(|| ZkError::internal(format!("the table holds no {f:?} segments")))?;
        let m = seg.segment_bits;
        let half = 1i128 << (bits - 1);
        // A clamped table (a saturating function on a wide range): move x into the kept segments
        // first, `lo + relu(x - lo) - relu(x - hi)`, where the function is already constant.
        let (lo, hi) = seg.clamp_bounds(bits, self.scale);
        let x = self.clamped(x, lo, hi)?;
        let t = self.checked_signed(x.value, bits)? + half;
        let (index, lo) = (t >> m, t & ((1i128 << m) - 1));
        let (first, end) = seg.index_range(bits, self.scale);
        if self.witness && !(first..end).contains(&index) {
            return Err(ZkError::input(format!(
                "layer '{}' ({}): {:?} of {} is outside the inputs its table holds",
                self.context.0,
                self.context.1,
                f.activation(),
                self.scale.to_float(x.value)
            )));
        }
        let (value_tag, slope_tag) = self.table.tags(f).expect("listed with its segments");
        let in_range = f.output_in_range(self.scale, bits, m);
        let (f_i, d_i) = seg.segment(index, bits, self.scale);
        let (index_wire, value) = self.lookup_row(value_tag, LaneInput::Fresh(index), f_i);
        let (_, slope) = self.lookup_row(slope_tag, LaneInput::Copy(index_wire), d_i);
        // x is defined by its segment index and lo (copy-constrained, so x needs no lane here).
        let lo_limbs = if m == 0 { Vec::new() } else { self.limbs(lo, m) };
        let mut terms = vec![(index_wire, 1i128 << m)];
        terms.extend(lo_limbs.iter().copied());
        self.bind_to_limbs(x, &terms, bits);
        if m == 0 {
            // Every input is a segment point: the table value is f(x).
            if in_range {
                self.in_range.insert(value.cell);
            } else {
                self.range_check(value)?;
            }
            return Ok(value);
        }
        let lo_wire = match lo_limbs.as_slice() {
            [(w, _)] => *w,
            _ => self.dot(&lo_limbs, 0),
        };
        // e' = e + 2^(w-1) with e = round(d_i * lo / 2^m), in [0, 2^w).
        let w = f.rounding_bits(m);
        let (unit, e_offset) = (1i128 << m, 1i128 << (w - 1));
        let lhs = d_i * lo + (unit >> 1) + unit * e_offset;
        let (e_shifted, r) = (lhs.div_euclid(unit), lhs.rem_euclid(unit));
        if !(0..1i128 << w).contains(&e_shifted) {
            // Only where the output is past the range (an exponential's top segments).
            return Err(ZkError::input(format!(
                "layer '{}' ({}): {:?} of {} leaves the activation range",
                self.context.0,
                self.context.1,
                f.activation(),
                self.scale.to_float(x.value)
            )));
        }
        self.arith_row_int(true, false, true, 0, &[(LaneInput::Copy(slope), 0), (LaneInput::Copy(lo_wire), 0)]);
        let e_limbs = self.limbs(e_shifted, w);
        let r_limbs = self.limbs(r, m);
        let mut split: Vec<(LaneInput, i128)> = e_limbs.iter().map(|&(l, p)| (LaneInput::Copy(l), -unit * p)).collect();
        split.extend(r_limbs.iter().map(|&(l, p)| (LaneInput::Copy(l), -p)));
        self.assert_zero(true, (unit >> 1) + unit * e_offset, &split);
        let mut sum = vec![(value, 1)];
        sum.extend(e_limbs.iter().copied());
        let y = self.dot(&sum, -e_offset);
        if in_range {
            self.in_range.insert(y.cell); // |f_i| + |e| is below the range's bound
        } else {
            self.range_check(y)?; // an unbounded function (GELU, Softplus, ...) can leave the range
        }
        Ok(y)
    }
}

#[cfg(test)]
mod tests {
    use crate::circuit::chips::test_support::*;
    use crate::circuit::layout::{CellRef, Layout};
    use crate::circuit::tables::TableFn;
    use crate::encoding::field::fe;

    /// Lookup rows after the input's decomposition (3 rows): segment value, segment slope, the
    /// 2-bit `lo` limb, then the limbs of `e'` (one for sigmoid: 3 bits) and of the remainder.
    const VALUE: usize = 3;
    const SLOPE: usize = 4;
    const LO: usize = 5;
    const E_SHIFTED: usize = 6;
    const REMAINDER: usize = 7;

    fn layout(lanes: usize, f: TableFn, x: i128) -> (Layout, CellRef) {
        build(lanes, |b| {
            let w = fresh_input(b, x);
            let y = b.smooth(f, w).unwrap();
            b.expose(y);
            y.cell
        })
    }

    /// The interpolation the circuit proves, computed directly from the function.
    fn expected(f: TableFn, x: i128) -> i128 {
        let seg = spec().function(f).copied().unwrap();
        let t = x + 128;
        let (i, lo) = (t >> 2, t & 3);
        let (v, d) = seg.segment(i, 8, SCALE);
        v + (d * lo + 2).div_euclid(4)
    }

    #[test]
    fn interpolated_activations_pass_and_stay_close() {
        for lanes in [2, 3] {
            for f in [TableFn::SIGMOID, TableFn::TANH] {
                for x in [-128, -50, -7, -1, 0, 3, 5, 60, 127] {
                    let (l, _) = layout(lanes, f, x);
                    assert_eq!(l.instance_values[0], fe(expected(f, x)), "{f:?}({x})");
                    assert!((expected(f, x) - f.eval(x, SCALE)).abs() <= 1, "{f:?}({x}) off by more than a quantum");
                    assert_accepts(&l);
                }
            }
        }
    }

    #[test]
    fn a_tampered_output_fails() {
        for f in [TableFn::SIGMOID, TableFn::TANH] {
            let (mut l, y) = layout(2, f, -7);
            let v = expected(f, -7);
            set_cell(&mut l, y, fe(v + 1));
            assert_rejects(&l);
        }
    }

    #[test]
    fn a_tampered_segment_index_fails() {
        // x = 5: t = 133 = 33 * 4 + 1. Claim segment 32 with lo = 5: the decomposition holds,
        // the segment lookups too (with that segment's values), but lo is not in the 2-bit block.
        let (mut l, _) = layout(2, TableFn::TANH, 5);
        let seg = spec().function(TableFn::TANH).copied().unwrap();
        let (v, d) = seg.segment(32, 8, SCALE);
        set_lookup(&mut l, VALUE, 32);
        set_lookup_out(&mut l, VALUE, v);
        set_lookup_out(&mut l, SLOPE, d);
        set_lookup(&mut l, LO, 5);
        assert_rejected_by(&l, Why::Lookup);
        // The index alone: the decomposition no longer adds up.
        let (mut l, _) = layout(2, TableFn::TANH, 5);
        set_lookup(&mut l, VALUE, 32);
        set_lookup_out(&mut l, VALUE, v);
        set_lookup_out(&mut l, SLOPE, d);
        assert_rejected_by(&l, Why::Gate);
    }

    #[test]
    fn a_tampered_interpolation_cell_fails() {
        // A segment value or slope not in the table (its copy in the interpolation row follows).
        for (row, delta) in [(VALUE, 1), (SLOPE, 1), (SLOPE, -1)] {
            let (mut l, _) = layout(2, TableFn::SIGMOID, 5);
            let out = l.lout_values[row];
            set_lookup_out(&mut l, row, out + delta);
            assert_rejected_by(&l, Why::Lookup);
        }
        // The interpolation's lo cell changed in the product row only: caught by its copy.
        let (mut l, _) = layout(2, TableFn::SIGMOID, 5);
        let lo = l.lin_values[LO];
        let product_row = l.arith.iter().rposition(|r| r.prod).unwrap();
        l.lane_values[product_row * l.lanes + 1] = fe(lo + 1);
        assert_rejects(&l);
    }

    #[test]
    fn a_tampered_rounding_fails() {
        // e' one higher and the remainder 4 lower: the split still adds up, but the remainder
        // leaves its 2-bit block (or e' its own when it was at the top).
        let (mut l, y) = layout(2, TableFn::SIGMOID, 5);
        let (e, r) = (l.lin_values[E_SHIFTED], l.lin_values[REMAINDER]);
        set_lookup(&mut l, E_SHIFTED, e + 1);
        set_lookup(&mut l, REMAINDER, r - 4);
        set_cell(&mut l, y, fe(expected(TableFn::SIGMOID, 5) + 1));
        assert_rejected_by(&l, Why::Lookup);
        // e' alone, the output following it: the split no longer adds up.
        let (mut l, y) = layout(2, TableFn::SIGMOID, 5);
        let e = l.lin_values[E_SHIFTED];
        set_lookup(&mut l, E_SHIFTED, (e + 1) % 8);
        set_cell(&mut l, y, fe(expected(TableFn::SIGMOID, 5) + (e + 1) % 8 - e));
        assert_rejected_by(&l, Why::Gate);
    }

    #[test]
    fn out_of_range_input_is_an_error_not_a_proof() {
        let err = build(2, |b| {
            b.set_context("sigmoid_3", "Sigmoid");
            let w = fresh_input_unchecked(b, 1 << 12);
            b.smooth(TableFn::SIGMOID, w).unwrap_err()
        })
        .1;
        assert!(err.message.contains("sigmoid_3"), "{}", err.message);
        assert!(err.message.contains("outside the circuit's range"), "{}", err.message);
    }

    /// A table holding `f` alone, at the test range (8 bits) and scale (2^-4).
    fn table_of(f: TableFn) -> crate::circuit::tables::TableSpec {
        let segment_bits = f.segment_bits(SCALE, 8);
        crate::circuit::tables::TableSpec {
            range_bits: 8,
            limb_bits: 3,
            functions: vec![crate::circuit::tables::SegmentedFn { function: f, segment_bits }],
        }
    }

    #[test]
    fn every_tabulated_function_proves_its_interpolation() {
        for f in every_function() {
            let table = table_of(f);
            let seg = table.functions[0];
            for x in [-128, -61, -17, -1, 0, 1, 5, 48, 96, 127] {
                let m = seg.segment_bits;
                let t = x + 128;
                let (v, d) = seg.segment(t >> m, 8, SCALE);
                let want = if m == 0 { v } else { v + (d * (t & ((1 << m) - 1)) + (1 << (m - 1))).div_euclid(1 << m) };
                let (l, y) = build_with(2, table.clone(), |b| {
                    let w = fresh_input(b, x);
                    b.smooth(f, w).inspect(|&y| b.expose(y))
                });
                if !(-128..128).contains(&want) {
                    // |-8| = 8 is past the top of the range: an error, not a proof.
                    assert!(y.is_err(), "{f:?}({x}) = {want} left the range unnoticed");
                    continue;
                }
                let y = y.unwrap();
                assert_eq!(y.value, want, "{f:?}({x})");
                assert_accepts(&l);
                // One more than the interpolation: the row defining y (or, with m = 0, the lookup) objects.
                let mut bad = l.clone();
                set_cell(&mut bad, y.cell, fe(want + 1));
                assert_rejects(&bad);
            }
        }
    }

    #[test]
    fn unbounded_functions_range_check_their_output() {
        // GELU(7.9) = 7.9: at the top of an 8-bit range (2^-4) the output is checked, not assumed.
        let gelu = TableFn::from_activation(crate::model::graph::Activation::Gelu).unwrap();
        assert!(!gelu.output_in_range(SCALE, 8, table_of(gelu).functions[0].segment_bits));
        assert!(TableFn::SIGMOID.output_in_range(SCALE, 8, 2));
        // Only a range check marks an unbounded function's output as in range, and its limbs add
        // lookups after the interpolation's own.
        let lookups = |f: TableFn| {
            build_with(2, table_of(f), |b| {
                let w = fresh_input(b, 126);
                let before = b.layout.lookup_tags.len();
                let y = b.smooth(f, w).unwrap();
                assert!(b.in_range.contains(&y.cell), "{f:?}");
                b.layout.lookup_tags.len() - before
            })
        };
        let (l, with_check) = lookups(gelu);
        assert_accepts(&l);
        let bounded = TableFn::from_activation(crate::model::graph::Activation::Erf).unwrap();
        assert_eq!(table_of(bounded).functions[0].segment_bits, table_of(gelu).functions[0].segment_bits);
        assert!(bounded.output_in_range(SCALE, 8, table_of(bounded).functions[0].segment_bits));
        // Same segment width, so the same interpolation lookups; GELU's output adds its 3 limbs.
        assert_eq!(with_check, lookups(bounded).1 + 3);
    }

    /// Sign: lookup rows of the decomposition of `x + 128` (limbs 3, 3, 2; top row 2), then of
    /// `x - 1 + 256` (limbs 3, 3, 3; top row 5).
    fn signum_layout(x: i128) -> (Layout, CellRef) {
        build(2, |b| {
            let w = fresh_input_unchecked(b, x);
            let y = b.signum(w).unwrap();
            b.expose(y);
            y.cell
        })
    }

    #[test]
    fn sign_is_minus_one_zero_or_one() {
        for x in [-128, -5, -1, 0, 1, 7, 127] {
            let (l, _) = signum_layout(x);
            assert_eq!(l.instance_values[0], fe(16 * x.signum()), "sign({x})");
            assert_accepts(&l);
        }
    }

    #[test]
    fn a_tampered_sign_fails() {
        // sign(0) claimed 1: the x - 1 decomposition's top limb is 3 (bit 0), its block has no (3, 1).
        let (mut l, y) = signum_layout(0);
        set_lookup_out(&mut l, 5, 1);
        set_cell(&mut l, y, fe(16));
        assert_rejected_by(&l, Why::Lookup);
        // sign(0) claimed -1: x + 128's top limb is 2 (bit 1), and (2, 0) is not an entry.
        let (mut l, y) = signum_layout(0);
        set_lookup_out(&mut l, 2, 0);
        set_cell(&mut l, y, fe(-16));
        assert_rejected_by(&l, Why::Lookup);
        // The output alone changed: the row defining it objects.
        let (mut l, y) = signum_layout(-5);
        set_cell(&mut l, y, fe(0));
        assert_rejected_by(&l, Why::Gate);
    }

    /// A saturating function on a range far wider than its scale keeps only the segments where it
    /// is not constant, and clamps inputs beyond into them: same outputs as the full table, far
    /// fewer rows, and a tampered output is still rejected.
    #[test]
    fn a_clamped_exponential_table_gives_the_same_outputs() {
        use crate::circuit::tables::{SegmentedFn, TableSpec};
        use std::collections::BTreeSet;
        let f = TableFn::EXP_SHIFTED;
        let range_bits = 16;
        let seg = SegmentedFn { function: f, segment_bits: f.segment_bits(SCALE, range_bits) };
        let (first, end) = seg.index_range(range_bits, SCALE);
        assert!(first >= 1024 && end < seg.segments(range_bits) as i128, "{first}..{end}");
        let table = TableSpec { range_bits, limb_bits: 4, functions: vec![seg] };
        let rows = table.entries(SCALE, &BTreeSet::new()).len();
        assert!(rows < 2 * seg.segments(range_bits) / 4, "{rows} table rows");
        let (floor, top) = seg.clamp_bounds(range_bits, SCALE);
        let floor = floor.unwrap();
        assert!(top.is_some(), "inputs above 0 are flat too");
        for lanes in [2, 3] {
            for x in [-32768, -30000, floor - 1, floor, floor + 1, -100, -56, -17, -1, 0, 5, 300, 32767] {
                let (mut l, y) = build_with(lanes, table.clone(), |b| {
                    let w = fresh_input(b, x);
                    let y = b.smooth(f, w).unwrap();
                    b.expose(y);
                    y.cell
                });
                let want = f.eval(x, SCALE);
                let got = crate::encoding::field::to_i128(&l.instance_values[0]).unwrap();
                assert!((got - want).abs() <= 1, "exp({x}): {got} vs {want}");
                assert_accepts(&l);
                set_cell(&mut l, y, fe(got + 1));
                assert_rejects(&l);
            }
        }
        // Sigmoid saturates at both ends: both are clamped, same outputs.
        let f = TableFn::SIGMOID;
        let seg = SegmentedFn { function: f, segment_bits: f.segment_bits(SCALE, range_bits) };
        let (lo, hi) = seg.clamp_bounds(range_bits, SCALE);
        assert!(lo.is_some() && hi.is_some(), "{lo:?} {hi:?}");
        let table = TableSpec { range_bits, limb_bits: 4, functions: vec![seg] };
        for x in [-32768, lo.unwrap() - 1, lo.unwrap(), -40, -3, 0, 7, 41, hi.unwrap(), hi.unwrap() + 1, 32767] {
            let (l, _) = build_with(2, table.clone(), |b| {
                let w = fresh_input(b, x);
                let y = b.smooth(f, w).unwrap();
                b.expose(y);
            });
            let got = crate::encoding::field::to_i128(&l.instance_values[0]).unwrap();
            assert!((got - f.eval(x, SCALE)).abs() <= 1, "sigmoid({x}): {got}");
            assert_accepts(&l);
        }
    }
}
