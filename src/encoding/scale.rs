//! The fixed-point scale: how many fractional bits every activation, input and output carries.
//! One type converts both ways, so `2^scale` is written once.

use serde::{Deserialize, Serialize};

/// Fractional bits of a fixed-point encoding: the real value of `v` is `v / 2^bits`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct Scale(u32);

impl Scale {
    /// Beyond this, `2^bits` leaves the exactly representable range of the float edges.
    pub const MAX_BITS: u32 = 48;

    /// `None` above [`Self::MAX_BITS`].
    pub const fn new(bits: u32) -> Option<Scale> {
        if bits <= Self::MAX_BITS {
            Some(Scale(bits))
        } else {
            None
        }
    }

    pub const fn bits(self) -> u32 {
        self.0
    }

    /// `2^bits`: one, in fixed point.
    pub const fn one(self) -> i128 {
        1i128 << self.0
    }

    /// `2^bits` as a float.
    pub fn unit(self) -> f64 {
        self.one() as f64
    }

    /// `x` rounded to the nearest fixed-point integer.
    pub fn to_fixed(self, x: f64) -> i128 {
        (x * self.unit()).round() as i128
    }

    /// The real value of a fixed-point integer.
    pub fn to_float(self, v: i128) -> f64 {
        v as f64 / self.unit()
    }

    /// Every value of every tensor, rounded to fixed point (what an input file becomes).
    pub fn quantise(self, tensors: &[Vec<f64>]) -> Vec<Vec<i128>> {
        tensors.iter().map(|t| t.iter().map(|&x| self.to_fixed(x)).collect()).collect()
    }

    /// Every value of every tensor, as reals (what a report or a JSON file shows).
    pub fn dequantise(self, tensors: &[Vec<i128>]) -> Vec<Vec<f64>> {
        tensors.iter().map(|t| t.iter().map(|&v| self.to_float(v)).collect()).collect()
    }
}

impl TryFrom<u32> for Scale {
    type Error = String;

    fn try_from(bits: u32) -> Result<Self, Self::Error> {
        Scale::new(bits).ok_or_else(|| format!("a scale of {bits} fractional bits is above {}", Scale::MAX_BITS))
    }
}

impl From<Scale> for u32 {
    fn from(s: Scale) -> u32 {
        s.0
    }
}

impl std::fmt::Display for Scale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "2^-{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_both_ways_and_rejects_absurd_scales() {
        let s = Scale::new(7).unwrap();
        assert_eq!(s.one(), 128);
        assert_eq!(s.to_fixed(0.5), 64);
        assert_eq!(s.to_fixed(-0.5), -64);
        assert_eq!(s.to_float(-64), -0.5);
        assert_eq!(s.quantise(&[vec![1.0, -0.25]]), vec![vec![128, -32]]);
        assert_eq!(s.dequantise(&s.quantise(&[vec![0.75]])), vec![vec![0.75]]);
        assert!(Scale::new(49).is_none());
        assert!(serde_json::from_str::<Scale>("200").is_err());
        assert_eq!(serde_json::to_string(&s).unwrap(), "7");
    }
}
