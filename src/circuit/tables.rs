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

/// A smooth function the table holds by segments.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TableFn {
    Sigmoid,
    Tanh,
}

impl TableFn {
    /// The tabulated function for an activation; ReLU needs no table (it is proved from the sign).
    pub fn from_activation(a: Activation) -> Option<TableFn> {
        match a {
            Activation::Relu => None,
            Activation::Sigmoid => Some(TableFn::Sigmoid),
            Activation::Tanh => Some(TableFn::Tanh),
        }
    }

    /// Tags of the segment values `f(x_i)` and the slopes `f(x_{i+1}) - f(x_i)`.
    pub fn tags(self) -> (u8, u8) {
        match self {
            TableFn::Sigmoid => (2, 3),
            TableFn::Tanh => (4, 5),
        }
    }

    /// `max |f''|`: the linear interpolation error on a segment of width `h` is at most
    /// `h^2 / 8 * max |f''|`.
    fn max_second_derivative(self) -> f64 {
        match self {
            TableFn::Sigmoid => 0.0963,
            TableFn::Tanh => 0.770,
        }
    }

    /// `max |f'|`: bounds a segment's slope `|d_i| <= max|f'| * 2^m + 1` (one rounding per end).
    fn max_slope(self) -> f64 {
        match self {
            TableFn::Sigmoid => 0.25,
            TableFn::Tanh => 1.0,
        }
    }

    /// Bits `w` of the shifted interpolation step `e + 2^(w-1)`: `2^(w-1)` exceeds every
    /// `|round(d_i * lo / 2^m)| <= |d_i|`.
    pub fn rounding_bits(self, segment_bits: u32) -> u32 {
        let bound = (self.max_slope() * 2f64.powi(segment_bits as i32)).floor() as i128 + 1;
        (128 - bound.leading_zeros()) + 1
    }

    /// Segment width (in bits of the fixed-point input) whose interpolation error stays within one
    /// quantum `2^-scale`: `h^2 / 8 * max|f''| <= 2^-scale` with `h = 2^(m - scale)`.
    pub fn segment_bits(self, scale: Scale, range_bits: u32) -> u32 {
        let s = scale.bits() as f64;
        let m = ((s + 3.0 - self.max_second_derivative().log2()) / 2.0).floor();
        (m.max(0.0) as u32).min(scale.bits()).min(range_bits - 1)
    }

    /// The fixed-point function: `round(f(x / 2^scale) * 2^scale)`.
    pub fn eval(self, x: i128, scale: Scale) -> i128 {
        let real = scale.to_float(x);
        // libm (a pure-Rust port of musl) gives the same bits on every platform, so keygen and
        // proving on different machines build identical tables.
        let y = match self {
            TableFn::Sigmoid => 1.0 / (1.0 + libm::exp(-real)),
            TableFn::Tanh => libm::tanh(real),
        };
        (y * scale.unit()).round() as i128
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

impl SegmentedFn {
    pub fn segments(&self, range_bits: u32) -> usize {
        1usize << (range_bits - self.segment_bits)
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

    /// Every table entry for the range `blocks`, padding first.
    pub fn entries(&self, scale: Scale, blocks: &BTreeSet<RangeBlock>) -> Vec<(u8, i128, i128)> {
        let mut rows = vec![(TAG_PAD, 0, 0)];
        for &b in blocks {
            let tag = b.tag();
            rows.extend((0..1i128 << b.width).map(|x| (tag, x, b.output(x))));
        }
        for f in &self.functions {
            let (value_tag, slope_tag) = f.function.tags();
            let segments = f.segments(self.range_bits) as i128;
            let values: Vec<(i128, i128)> = (0..segments).map(|i| f.segment(i, self.range_bits, scale)).collect();
            rows.extend(values.iter().enumerate().map(|(i, v)| (value_tag, i as i128, v.0)));
            rows.extend(values.iter().enumerate().map(|(i, v)| (slope_tag, i as i128, v.1)));
        }
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_point_functions() {
        let s8 = Scale::new(8).unwrap();
        assert_eq!(TableFn::Sigmoid.eval(0, s8), 128);
        assert_eq!(TableFn::Tanh.eval(0, s8), 0);
        assert_eq!(TableFn::Tanh.eval(1 << 12, s8), 256);
    }

    #[test]
    fn entries_hold_each_block_once() {
        let spec = TableSpec {
            range_bits: 8,
            limb_bits: 3,
            functions: vec![SegmentedFn { function: TableFn::Sigmoid, segment_bits: 2 }],
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
        for f in [TableFn::Sigmoid, TableFn::Tanh] {
            for s in [8u32, 12, 16] {
                let scale = Scale::new(s).unwrap();
                let m = f.segment_bits(scale, s + 6);
                let h = 2f64.powi(m as i32 - s as i32);
                assert!(h * h / 8.0 * f.max_second_derivative() <= scale.to_float(1) * 1.0001, "{f:?} at {s}");
            }
        }
    }
}
