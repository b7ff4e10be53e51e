//! Instance packing: several range-checked fixed-point values in one public field element,
//! `W = sum_i (v_i + 2^(b-1)) * 2^(b i)`, so a verifier pays calldata and instance evaluation per
//! word, not per value. The circuit range-checks each `v_i` to `[-2^(b-1), 2^(b-1))`, so every limb
//! is in `[0, 2^b)` and `W < 2^(b m) <= 2^252 < r`: the packing is injective and cannot wrap. A
//! consumer unpacks `v_i = ((W >> (b i)) & (2^b - 1)) - 2^(b-1)` (`ZkinferInstances.unpack`).

use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::halo2curves::ff::Field;
use serde::{Deserialize, Serialize};

use super::field::{fe, fr_to_be_bytes};

/// Bits of a field element usable for packing (r > 2^253).
pub const PACKABLE_BITS: u32 = 252;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Packing {
    /// Bits per value (the activation range).
    pub bits: u32,
    /// Values per word.
    pub per_word: usize,
}

impl Packing {
    pub fn for_range_bits(bits: u32) -> Packing {
        Packing { bits, per_word: (PACKABLE_BITS / bits) as usize }
    }

    pub fn words(&self, values: usize) -> usize {
        values.div_ceil(self.per_word)
    }

    /// `2^(b-1)`, added to each value so every limb is non-negative.
    pub fn offset(&self) -> i128 {
        1i128 << (self.bits - 1)
    }

    /// The words a list of values packs into (what the circuit exposes).
    pub fn pack(&self, values: &[i128]) -> Vec<Fr> {
        let shift = fe(1i128 << self.bits);
        values
            .chunks(self.per_word)
            .map(|chunk| chunk.iter().rev().fold(Fr::ZERO, |acc, &v| acc * shift + fe(v + self.offset())))
            .collect()
    }

    /// The first `count` values of a word; `None` if the word is not a valid packing.
    pub fn unpack(&self, word: &Fr, count: usize) -> Option<Vec<i128>> {
        let bytes = fr_to_be_bytes(word);
        let mut big = [0u64; 4];
        for (i, limb) in big.iter_mut().enumerate() {
            *limb = u64::from_be_bytes(bytes[24 - 8 * i..32 - 8 * i].try_into().unwrap());
        }
        let bit = |i: u32| (big[(i / 64) as usize] >> (i % 64)) & 1;
        let total = self.bits * count as u32;
        if (total..256).any(|i| bit(i) == 1) {
            return None;
        }
        Some(
            (0..count as u32)
                .map(|k| {
                    let limb = (0..self.bits).fold(0i128, |acc, j| acc | ((bit(k * self.bits + j) as i128) << j));
                    limb - self.offset()
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pack_and_unpack_round_trip() {
        let p = Packing { bits: 9, per_word: 28 };
        let values: Vec<i128> = (0..40).map(|i| (i * 37 % 512) - 256).collect();
        let words = p.pack(&values);
        assert_eq!(words.len(), 2);
        assert_eq!(p.unpack(&words[0], 28).unwrap(), values[..28]);
        assert_eq!(p.unpack(&words[1], 12).unwrap(), values[28..]);
        assert!(p.unpack(&words[0], 27).is_none(), "a longer word than claimed is not a valid packing");
        assert_eq!(Packing::for_range_bits(10).per_word, 25);
    }
}
