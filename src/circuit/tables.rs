//! The lookup table: every range and every smooth function the circuit proves, as rows
//! `(tag, input, output)` in three fixed columns.
//!
//! Nothing in the table spans the activation range. Ranges are proved by limbs of at most
//! `limb_bits` bits, so a value of any width costs a few lookups of a `2^limb_bits`-row block, and
//! the table no longer grows with the scale. Smooth functions are tabulated per segment: the high
//! bits of the input index `(f(x_i), f(x_{i+1}) - f(x_i))`, and the low bits interpolate, so their
//! blocks grow with the number of segments the error budget needs, not with `2^range_bits`.
//!
//! One lookup argument serves every block because the tag column tells them apart: a new block
//! costs table rows, not another lookup argument (three more commitments in the proof and in the
//! on-chain verifier).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::encoding::Scale;
use crate::model::graph::Activation;

/// Tag 0 is the padding entry `(0, 0, 0)`: unused lookup rows hold it, so the lookup needs no
/// selector (which keeps the circuit at degree 4).
pub const TAG_PAD: u8 = 0;
/// Most segments a Clip is tabulated with; past this, sign bits prove it.
pub const MAX_CLIP_SEGMENTS: usize = 256;
/// Tags 2, 3, ...: the segment values and slopes of each tabulated function in turn.
const FUNCTION_TAG_BASE: u8 = 2;
/// At most this many tabulated functions, so their tags stay below the range blocks'.
pub const MAX_TABLE_FUNCTIONS: usize = ((RANGE_TAG_BASE - FUNCTION_TAG_BASE) / 2) as usize;
/// `(RANGE_TAG_BASE + w, x, x - 2^(w-1))` for `0 <= x < 2^w`: the range block of width `w`. Its
/// output is the signed value `x` offsets, so a value that fits one limb is read straight from its
/// lookup, with no row to define it from the limb.
const RANGE_TAG_BASE: u8 = 64;
/// `(TOP_TAG_BASE + w, x, x >> (w-1))`: the block of a value's top limb, which also yields the
/// value's top bit (its sign, for an offset signed value) with no lookup of its own.
const TOP_TAG_BASE: u8 = 96;

/// Widest limb a range block may have (a `2^16`-row block).
pub const MAX_LIMB_BITS: u32 = 16;
/// Narrowest limb width calibration considers.
pub const MIN_LIMB_BITS: u32 = 4;
/// Widest activation range: far below the field (values, products and rescale sums stay below
/// 2^128, so the integer witness and the field agree and nothing wraps).
pub const MAX_RANGE_BITS: u32 = 40;

/// A block of the range table: every `x` in `[0, 2^width)`, with output `x - 2^(width-1)` or
/// (for a top limb) the top bit of `x`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RangeBlock {
    pub width: u32,
    pub top: bool,
}

impl RangeBlock {
    pub fn tag(self) -> u8 {
        debug_assert!((1..=MAX_LIMB_BITS).contains(&self.width));
        (if self.top { TOP_TAG_BASE } else { RANGE_TAG_BASE }) + self.width as u8
    }

    /// The block's output for `x`.
    pub fn output(self, x: i128) -> i128 {
        if self.top {
            x >> (self.width - 1)
        } else {
            x - (1i128 << (self.width - 1))
        }
    }
}

/// A function the table holds by segments: every activation but ReLU and Sign (proved from sign
/// bits). Piecewise-linear ones (LeakyRelu, Clip, HardSigmoid, Abs) interpolate exactly when their
/// kinks fall on segment boundaries, which [`TableFn::segment_bits`] arranges where it can.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TableFn(Activation);

impl TableFn {
    pub const SIGMOID: TableFn = TableFn(Activation::Sigmoid);
    pub const TANH: TableFn = TableFn(Activation::Tanh);
    pub const EXP_SHIFTED: TableFn = TableFn(Activation::ExpShifted);
    pub const LN_AT_LEAST_ONE: TableFn = TableFn(Activation::LnAtLeastOne);

    /// The tabulated function for an activation; ReLU and Sign need no table.
    pub fn from_activation(a: Activation) -> Option<TableFn> {
        match a {
            Activation::Relu | Activation::Sign | Activation::Sqrt | Activation::Reciprocal => None,
            // exp(x) = 2^e exp(x - e ln 2): the bounded exponential's segments (see chips::exp).
            Activation::Exp => Some(TableFn(Activation::ExpShifted)),
            // ln(x) = ln(m) + k ln 2 with m in [1, 2) (see chips::log).
            Activation::Log => Some(TableFn(Activation::LnAtLeastOne)),
            _ => Some(TableFn(a)),
        }
    }

    pub fn activation(self) -> Activation {
        self.0
    }

    /// The segments `a` is tabulated with at this scale and range, or `None` where sign bits
    /// serve better: a Clip whose bounds fall off the segment grid would need more than
    /// [`MAX_CLIP_SEGMENTS`] segments, and [`crate::circuit::chips::clip`] proves it in a few rows.
    pub fn tabulate(a: Activation, scale: Scale, range_bits: u32) -> Option<SegmentedFn> {
        let function = TableFn::from_activation(a)?;
        let segment_bits = function.segment_bits(scale, range_bits);
        let seg = SegmentedFn { function, segment_bits };
        let clip = matches!(a, Activation::Clip { .. });
        (!clip || seg.segments(range_bits) <= MAX_CLIP_SEGMENTS).then_some(seg)
    }

    /// `max |f''|` away from kinks: the linear interpolation error on a segment of width `h` is
    /// at most `h^2 / 8 * max |f''|`.
    fn max_second_derivative(self) -> f64 {
        match self.0 {
            Activation::Sigmoid => 0.0963,
            Activation::Tanh => 0.770,
            Activation::Erf => 0.968,
            Activation::Softplus => 0.25,
            Activation::Gelu | Activation::GeluTanh => 0.80,
            Activation::HardSwish => 1.0 / 3.0,
            Activation::Elu { alpha } => alpha.get().abs(),
            Activation::ExpShifted | Activation::LnAtLeastOne => 1.0,
            Activation::Abs
            | Activation::LeakyRelu { .. }
            | Activation::HardSigmoid { .. }
            | Activation::Clip { .. }
            | Activation::Relu
            | Activation::Sign
            | Activation::Sqrt
            | Activation::Reciprocal
            | Activation::Exp
            | Activation::Log => 0.0,
        }
    }

    /// `max |f'|`: bounds a segment's slope `|d_i| <= max|f'| * 2^m + 1` (one rounding per end).
    fn max_slope(self) -> f64 {
        match self.0 {
            Activation::Sigmoid => 0.25,
            Activation::Erf | Activation::Gelu | Activation::GeluTanh => 1.13,
            Activation::HardSwish => 1.5,
            Activation::LeakyRelu { alpha } | Activation::Elu { alpha } => alpha.get().abs().max(1.0),
            Activation::HardSigmoid { alpha, .. } => alpha.get().abs(),
            _ => 1.0,
        }
    }

    /// Points where the slope jumps, with the size of the jump: a segment across one
    /// interpolates with an error up to `jump * h / 4`.
    fn kinks(self) -> Vec<(f64, f64)> {
        let finite = |v: Vec<(f64, f64)>| v.into_iter().filter(|(x, j)| x.is_finite() && *j > 0.0).collect();
        match self.0 {
            Activation::LeakyRelu { alpha } | Activation::Elu { alpha } => {
                finite(vec![(0.0, (1.0 - alpha.get()).abs())])
            }
            Activation::Abs => vec![(0.0, 2.0)],
            Activation::ExpShifted => vec![(0.0, 1.0)],
            Activation::LnAtLeastOne => vec![(1.0, 1.0)],
            Activation::HardSwish => vec![(-3.0, 0.5), (3.0, 0.5)],
            Activation::HardSigmoid { alpha, beta } if alpha.get() != 0.0 => {
                let (a, b) = (alpha.get(), beta.get());
                finite(vec![(-b / a, a.abs()), ((1.0 - b) / a, a.abs())])
            }
            Activation::Clip { min, max } => finite(vec![(min.get(), 1.0), (max.get(), 1.0)]),
            _ => vec![],
        }
    }

    /// `sup |f|` over the reals, for functions bounded there.
    fn bound(self) -> Option<f64> {
        match self.0 {
            Activation::Sigmoid
            | Activation::Tanh
            | Activation::Erf
            | Activation::HardSigmoid { .. }
            | Activation::ExpShifted => Some(1.0),
            Activation::Clip { min, max } if min.get().is_finite() && max.get().is_finite() => {
                Some(min.get().abs().max(max.get().abs()))
            }
            _ => None,
        }
    }

    /// Bits `w` of the shifted interpolation step `e + 2^(w-1)`: `2^(w-1)` exceeds every
    /// `|round(d_i * lo / 2^m)| <= |d_i|`.
    pub fn rounding_bits(self, segment_bits: u32) -> u32 {
        let bound = (self.max_slope() * 2f64.powi(segment_bits as i32)).floor() as i128 + 1;
        (128 - bound.leading_zeros()) + 1
    }

    /// Segment width (in bits of the fixed-point input) whose interpolation error stays within one
    /// quantum `2^-scale`: `h^2 / 8 * max|f''| <= 2^-scale` with `h = 2^(m - scale)`. A kink either
    /// falls on a segment boundary (its fixed-point position, offset by `2^(range_bits-1)`, is a
    /// multiple of `2^m`, to within 1/64 of a quantum) or caps the width so that `jump * h / 4 <= 2^-scale`.
    pub fn segment_bits(self, scale: Scale, range_bits: u32) -> u32 {
        let s = scale.bits() as f64;
        let d2 = self.max_second_derivative();
        let smooth = if d2 > 0.0 { ((s + 3.0 - d2.log2()) / 2.0).floor().max(0.0) as u32 } else { u32::MAX };
        let mut m = smooth.min(scale.bits()).min(range_bits - 1);
        let half = 1i128 << (range_bits - 1);
        for (at, jump) in self.kinks() {
            let k = at * scale.unit();
            if k.abs() >= half as f64 {
                continue; // outside the domain
            }
            // f32 attributes put kinks a hair off the grid (0.2f32 is not 1/5): a kink within
            // 1/64 of a quantum of a boundary adds at most jump/64 of a quantum there.
            let aligned =
                if (k - k.round()).abs() < 1.0 / 64.0 { (k.round() as i128 + half).trailing_zeros() } else { 0 };
            let capped = (2.0 - jump.log2()).floor().max(0.0) as u32;
            m = m.min(aligned.max(capped));
        }
        m
    }

    /// Whether every interpolated output `f_i + e` lies in the activation range without a check:
    /// the function is bounded and `|f_i| + 2^(w-1)` stays below `2^(range_bits-1)`.
    pub fn output_in_range(self, scale: Scale, range_bits: u32, segment_bits: u32) -> bool {
        let step = 2f64.powi(self.rounding_bits(segment_bits) as i32 - 1);
        self.bound().is_some_and(|b| (b * scale.unit()).ceil() + step + 2.0 < 2f64.powi(range_bits as i32 - 1))
    }

    /// The fixed-point function: `round(f(x / 2^scale) * 2^scale)`.
    pub fn eval(self, x: i128, scale: Scale) -> i128 {
        (self.0.apply(scale.to_float(x)) * scale.unit()).round() as i128
    }
}

/// A smooth function and the width of its segments.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentedFn {
    pub function: TableFn,
    /// Low bits of the (offset) input interpolated within a segment; the high `range_bits -
    /// segment_bits` bits index the segment.
    pub segment_bits: u32,
}

/// Fewest segments a clamped domain must save before inputs are clamped to it (the clamp costs
/// each input a sign decomposition; a table row is cheaper than that only in bulk).
const MIN_SEGMENTS_SAVED: i128 = 1024;

impl SegmentedFn {
    pub fn segments(&self, range_bits: u32) -> usize {
        1usize << (range_bits - self.segment_bits)
    }

    /// The segment indices the table holds, `first..end`. A saturating function (sigmoid, tanh,
    /// erf, the bounded exponential, ...) on a range much wider than its scale is constant in
    /// fixed point over long runs of segments at either end: value equal, slope 0. Those runs are
    /// dropped but for the segment next to the rest, and inputs beyond are clamped into it
    /// ([`SegmentedFn::clamp_bounds`]). Every input then proves the same output as with the whole
    /// table, since a flat segment interpolates to its value wherever in it the input falls.
    pub fn index_range(&self, range_bits: u32, scale: Scale) -> (i128, i128) {
        type Key = (TableFn, u32, u32, u32);
        static CACHE: std::sync::Mutex<Vec<(Key, (i128, i128))>> = std::sync::Mutex::new(Vec::new());
        let key = (self.function, self.segment_bits, range_bits, scale.bits());
        if let Some(&(_, r)) = CACHE.lock().unwrap_or_else(|e| e.into_inner()).iter().find(|(k, _)| *k == key) {
            return r;
        }
        let n = self.segments(range_bits) as i128;
        if n > 1 << 24 {
            return (0, n); // a table no circuit could hold anyway: not worth the scan
        }
        let seg = |i: i128| self.segment(i, range_bits, scale);
        let flat = |i: i128, v: i128| seg(i) == (v, 0);
        // First kept: the last of the leading flat run; last kept: the first of the trailing one.
        let v0 = seg(0).0;
        let mut first = 0;
        while first + 1 < n && flat(first, v0) && flat(first + 1, v0) {
            first += 1;
        }
        let v_end = seg(n - 1).0;
        let mut last = n - 1;
        while last > first + 1 && flat(last, v_end) && flat(last - 1, v_end) {
            last -= 1;
        }
        let range = if first + (n - 1 - last) >= MIN_SEGMENTS_SAVED { (first, last + 1) } else { (0, n) };
        CACHE.lock().unwrap_or_else(|e| e.into_inner()).push((key, range));
        range
    }

    /// The inputs are clamped to `[lo, hi]` before the lookup when the table is (`None` for a side
    /// the table keeps whole).
    pub fn clamp_bounds(&self, range_bits: u32, scale: Scale) -> (Option<i128>, Option<i128>) {
        let (first, end) = self.index_range(range_bits, scale);
        let half = 1i128 << (range_bits - 1);
        let lo = (first > 0).then(|| (first << self.segment_bits) - half);
        let hi = (end < self.segments(range_bits) as i128).then(|| (end << self.segment_bits) - half - 1);
        (lo, hi)
    }

    /// `(f(x_i), f(x_{i+1}) - f(x_i))` for segment `i`, whose first input is
    /// `x_i = i * 2^segment_bits - 2^(range_bits-1)`.
    pub fn segment(&self, i: i128, range_bits: u32, scale: Scale) -> (i128, i128) {
        let start = |i: i128| (i << self.segment_bits) - (1i128 << (range_bits - 1));
        let y0 = self.function.eval(start(i), scale);
        (y0, self.function.eval(start(i + 1), scale) - y0)
    }
}

/// What the table holds, besides the range blocks (which the layout adds as it uses them).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableSpec {
    /// Activations live in `[-2^(range_bits-1), 2^(range_bits-1))`.
    pub range_bits: u32,
    /// Width of a full limb in range proofs.
    pub limb_bits: u32,
    /// Smooth functions present, sorted.
    pub functions: Vec<SegmentedFn>,
}

impl TableSpec {
    pub fn domain(&self) -> (i128, i128) {
        let half = 1i128 << (self.range_bits - 1);
        (-half, half)
    }

    pub fn function(&self, f: TableFn) -> Option<&SegmentedFn> {
        self.functions.iter().find(|s| s.function == f)
    }

    /// Tags of function `f`'s segment values `f(x_i)` and slopes `f(x_{i+1}) - f(x_i)`: a pair
    /// per function, in the order the spec lists them, below the range blocks' tags.
    pub fn tags(&self, f: TableFn) -> Option<(u8, u8)> {
        let i = self.functions.iter().position(|s| s.function == f)?;
        let base = FUNCTION_TAG_BASE + 2 * i as u8;
        debug_assert!(base + 1 < RANGE_TAG_BASE);
        Some((base, base + 1))
    }

    /// Every table entry for the range `blocks`, padding first.
    pub fn entries(&self, scale: Scale, blocks: &BTreeSet<RangeBlock>) -> Vec<(u8, i128, i128)> {
        let mut rows = vec![(TAG_PAD, 0, 0)];
        for &b in blocks {
            let tag = b.tag();
            rows.extend((0..1i128 << b.width).map(|x| (tag, x, b.output(x))));
        }
        for f in &self.functions {
            let (value_tag, slope_tag) = self.tags(f.function).expect("listed");
            let (first, end) = f.index_range(self.range_bits, scale);
            let values: Vec<(i128, (i128, i128))> =
                (first..end).map(|i| (i, f.segment(i, self.range_bits, scale))).collect();
            rows.extend(values.iter().map(|&(i, v)| (value_tag, i, v.0)));
            rows.extend(values.iter().map(|&(i, v)| (slope_tag, i, v.1)));
        }
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::circuit::chips::test_support::every_function;
    use crate::model::graph::Param;

    #[test]
    fn fixed_point_functions() {
        let s8 = Scale::new(8).unwrap();
        assert_eq!(TableFn::SIGMOID.eval(0, s8), 128);
        assert_eq!(TableFn::TANH.eval(0, s8), 0);
        assert_eq!(TableFn::TANH.eval(1 << 12, s8), 256);
    }

    #[test]
    fn entries_hold_each_block_once() {
        let spec = TableSpec {
            range_bits: 8,
            limb_bits: 3,
            functions: vec![SegmentedFn { function: TableFn::SIGMOID, segment_bits: 2 }],
        };
        let scale = Scale::new(3).unwrap();
        let (plain, top) = (RangeBlock { width: 3, top: false }, RangeBlock { width: 2, top: true });
        let e = spec.entries(scale, &BTreeSet::from([plain, top]));
        assert_eq!(e.len(), 1 + 8 + 4 + 2 * 64);
        assert_eq!(e[0], (TAG_PAD, 0, 0));
        assert!(e.contains(&(plain.tag(), 7, 3)) && e.contains(&(plain.tag(), 0, -4)));
        assert!(!e.contains(&(plain.tag(), 8, 4)));
        assert!(e.contains(&(top.tag(), 1, 0)) && e.contains(&(top.tag(), 3, 1)));
        assert!(!e.contains(&(top.tag(), 4, 1)));
        // segment 32 starts at x = 32 * 4 - 128 = 0: sigmoid(0) = 0.5 = 4/8
        assert!(e.contains(&(2, 32, 4)));
    }

    #[test]
    fn segments_keep_interpolation_within_a_quantum() {
        for f in [TableFn::SIGMOID, TableFn::TANH] {
            for s in [8u32, 12, 16] {
                let scale = Scale::new(s).unwrap();
                let m = f.segment_bits(scale, s + 6);
                let h = 2f64.powi(m as i32 - s as i32);
                assert!(h * h / 8.0 * f.max_second_derivative() <= scale.to_float(1) * 1.0001, "{f:?} at {s}");
            }
        }
    }

    /// The derivative bounds hold (finite differences on a fine grid, kinks excluded).
    #[test]
    fn derivative_bounds_hold() {
        for f in every_function() {
            let g = |x: f64| f.activation().apply(x);
            let h = 1e-3;
            let kinks = f.kinks();
            for i in -12_000..12_000 {
                let x = i as f64 * 1e-3 + 0.5e-3;
                if kinks.iter().any(|(k, _)| (x - k).abs() < 2.0 * h) {
                    continue;
                }
                let d1 = (g(x + h) - g(x - h)) / (2.0 * h);
                let d2 = (g(x + h) - 2.0 * g(x) + g(x - h)) / (h * h);
                assert!(d1.abs() <= f.max_slope() + 1e-6, "{f:?}: f'({x}) = {d1}");
                assert!(d2.abs() <= f.max_second_derivative() + 1e-3, "{f:?}: f''({x}) = {d2}");
            }
        }
    }

    /// What the circuit proves, `f_i + round(d_i * lo / 2^m)`, against the real function at every
    /// input of the range: within two quanta (the table's rounding, the interpolation's quantum and
    /// the step's rounding), kinks included; and an output the chip leaves unchecked is in range.
    #[test]
    fn interpolation_is_within_two_quanta_everywhere() {
        for f in every_function() {
            for (s, range_bits) in [(6u32, 10u32), (9, 12)] {
                let scale = Scale::new(s).unwrap();
                let seg = SegmentedFn { function: f, segment_bits: f.segment_bits(scale, range_bits) };
                let m = seg.segment_bits;
                let half = 1i128 << (range_bits - 1);
                let unchecked = f.output_in_range(scale, range_bits, m);
                for x in -half..half {
                    let t = x + half;
                    let (v, d) = seg.segment(t >> m, range_bits, scale);
                    let y = if m == 0 { v } else { v + (d * (t & ((1 << m) - 1)) + (1 << (m - 1))).div_euclid(1 << m) };
                    let exact = f.activation().apply(scale.to_float(x)) * scale.unit();
                    assert!((y as f64 - exact).abs() <= 2.0, "{f:?} at 2^-{s}, x = {x}: {y} vs {exact:.3} (m = {m})");
                    assert!(!unchecked || (-half..half).contains(&y), "{f:?}: {y} leaves the range unchecked");
                }
            }
        }
    }

    #[test]
    fn aligned_kinks_keep_segments_wide() {
        let scale = Scale::new(10).unwrap();
        // ReLU6's kinks (0 and 6) and HardSigmoid's (+-2.5) fall on boundaries of wide segments.
        for a in [
            Activation::Clip { min: Param::new(0.0), max: Param::new(6.0) },
            Activation::HardSigmoid { alpha: Param::new(0.2), beta: Param::new(0.5) },
            Activation::LeakyRelu { alpha: Param::new(0.01) },
        ] {
            assert!(TableFn::from_activation(a).unwrap().segment_bits(scale, 16) >= 9, "{a:?}");
        }
        // A bound off the grid caps the width at 4 quanta (error jump * h / 4 <= one quantum).
        let odd = TableFn::from_activation(Activation::Clip { min: Param::new(-0.37), max: Param::new(1.0) }).unwrap();
        assert_eq!(odd.segment_bits(scale, 16), 2);
    }

    #[test]
    fn each_function_has_its_own_tags() {
        let spec = TableSpec {
            range_bits: 8,
            limb_bits: 4,
            functions: every_function().into_iter().map(|function| SegmentedFn { function, segment_bits: 2 }).collect(),
        };
        let tags: BTreeSet<u8> = spec
            .functions
            .iter()
            .flat_map(|f| {
                let (a, b) = spec.tags(f.function).unwrap();
                [a, b]
            })
            .collect();
        assert_eq!(tags.len(), 2 * spec.functions.len());
        assert!(tags.iter().all(|&t| (FUNCTION_TAG_BASE..RANGE_TAG_BASE).contains(&t)));
    }
}
