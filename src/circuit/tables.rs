//! The lookup table: every non-linear function and range the circuit proves, as rows
//! `(tag, input, output)` in three fixed columns.
//!
//! One lookup argument serves every function because the tag column tells them apart: adding an
//! activation costs table rows, not another lookup argument (three more commitments in the proof
//! and in the on-chain verifier).

use serde::{Deserialize, Serialize};

use crate::encoding::Scale;
use crate::model::graph::Activation;

/// Tag 0 is the padding entry `(0, 0, 0)`: unused lookup rows hold it, so the lookup needs no
/// selector (which keeps the circuit at degree 4).
pub const TAG_PAD: u8 = 0;
/// `(1, r, 0)` for `0 <= r < 2^scale`: the remainder of a rescale.
pub const TAG_REMAINDER: u8 = 1;

/// The largest activation table we build (rows per function): `2^20`.
pub const MAX_RANGE_BITS: u32 = 20;

/// A function the table can hold over the signed activation domain `[-2^(bits-1), 2^(bits-1))`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TableFn {
    Relu,
    Sigmoid,
    Tanh,
    /// `(x, x)`: a pure range check, used only when the model has no activation to carry it.
    Identity,
}

impl TableFn {
    pub fn tag(self) -> u8 {
        match self {
            TableFn::Relu => 2,
            TableFn::Sigmoid => 3,
            TableFn::Tanh => 4,
            TableFn::Identity => 5,
        }
    }

    pub fn from_activation(a: Activation) -> TableFn {
        match a {
            Activation::Relu => TableFn::Relu,
            Activation::Sigmoid => TableFn::Sigmoid,
            Activation::Tanh => TableFn::Tanh,
        }
    }

    /// The fixed-point function: `round(f(x / 2^scale) * 2^scale)`; exact for ReLU and identity.
    pub fn eval(self, x: i128, scale: Scale) -> i128 {
        match self {
            TableFn::Relu => x.max(0),
            TableFn::Identity => x,
            TableFn::Sigmoid | TableFn::Tanh => {
                let unit = scale.unit();
                let real = scale.to_float(x);
                // libm (a pure-Rust port of musl) gives the same bits on every platform, so keygen
                // and proving on different machines build identical tables.
                let y = if self == TableFn::Sigmoid { 1.0 / (1.0 + libm::exp(-real)) } else { libm::tanh(real) };
                (y * unit).round() as i128
            }
        }
    }
}

/// Which functions a circuit's table holds and over what domain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableSpec {
    /// Activations live in `[-2^(range_bits-1), 2^(range_bits-1))`.
    pub range_bits: u32,
    /// Functions present, sorted; the first one also serves as the range check.
    pub functions: Vec<TableFn>,
}

impl TableSpec {
    pub fn range_check_fn(&self) -> TableFn {
        self.functions[0]
    }

    pub fn domain(&self) -> (i128, i128) {
        let half = 1i128 << (self.range_bits - 1);
        (-half, half)
    }

    /// Rows of the table for a model at `scale` (the remainder block spans `[0, 2^scale)`).
    pub fn rows(&self, scale: Scale) -> usize {
        1 + (1usize << scale.bits()) + self.functions.len() * (1usize << self.range_bits)
    }

    /// Every table entry, padding first.
    pub fn entries(&self, scale: Scale) -> Vec<(u8, i128, i128)> {
        let mut rows = Vec::with_capacity(self.rows(scale));
        rows.push((TAG_PAD, 0, 0));
        for r in 0..scale.one() {
            rows.push((TAG_REMAINDER, r, 0));
        }
        let (lo, hi) = self.domain();
        for f in &self.functions {
            for x in lo..hi {
                rows.push((f.tag(), x, f.eval(x, scale)));
            }
        }
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_point_functions() {
        let (s4, s8) = (Scale::new(4).unwrap(), Scale::new(8).unwrap());
        assert_eq!(TableFn::Relu.eval(-5, s4), 0);
        assert_eq!(TableFn::Relu.eval(7, s4), 7);
        assert_eq!(TableFn::Sigmoid.eval(0, s8), 128);
        assert_eq!(TableFn::Tanh.eval(0, s8), 0);
        assert_eq!(TableFn::Tanh.eval(1 << 12, s8), 256);
    }

    #[test]
    fn entries_match_row_count() {
        let spec = TableSpec { range_bits: 5, functions: vec![TableFn::Relu, TableFn::Sigmoid] };
        let scale = Scale::new(3).unwrap();
        let e = spec.entries(scale);
        assert_eq!(e.len(), spec.rows(scale));
        assert_eq!(e[0], (TAG_PAD, 0, 0));
        assert!(e.contains(&(TableFn::Relu.tag(), -16, 0)));
        assert!(!e.iter().any(|&(t, x, _)| t == TableFn::Relu.tag() && x == 16));
    }
}
