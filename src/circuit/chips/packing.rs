//! Instance packing: several range-checked fixed-point values in one public field element,
//! `W = sum_i (v_i + 2^(b-1)) * 2^(b i)`, so a verifier pays calldata and instance evaluation per
//! word, not per value. Each `v_i` is range-checked to `[-2^(b-1), 2^(b-1))`, so every limb is in
//! `[0, 2^b)` and `W < 2^(b m) <= 2^252 < r`: the packing is injective and cannot wrap. A consumer
//! unpacks `v_i = ((W >> (b i)) & (2^b - 1)) - 2^(b-1)`.

use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::halo2curves::ff::Field;
use serde::{Deserialize, Serialize};

use crate::circuit::layout::{fe, ArithRow, LaneInput, LayoutBuilder, Wire};
use crate::proof::transcript::fr_to_be_bytes;

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

    fn offset(&self) -> i128 {
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

impl LayoutBuilder {
    /// Exposes `wires` (each already range-checked) as packed public words.
    pub fn expose_packed(&mut self, wires: &[Wire], packing: Packing) {
        let lanes = self.lanes();
        for chunk in wires.chunks(packing.per_word) {
            let weights: Vec<Fr> =
                (0..chunk.len()).map(|i| fe(1i128 << packing.bits).pow_vartime([i as u64])).collect();
            let bias = weights.iter().fold(Fr::ZERO, |acc, w| acc + w * fe(packing.offset()));
            let mut cell = None;
            for (r, (ws, ks)) in chunk.chunks(lanes).zip(weights.chunks(lanes)).enumerate() {
                let inputs: Vec<(LaneInput, Fr)> = ws.iter().zip(ks).map(|(&w, &k)| (LaneInput::Copy(w), k)).collect();
                let spec = ArithRow { o: true, carry: r > 0, prod: false, bias: if r == 0 { bias } else { Fr::ZERO } };
                cell = Some(self.push_field_row(spec, &inputs));
            }
            let values: Vec<i128> = chunk.iter().map(|w| w.value).collect();
            self.expose_cell(cell.unwrap(), packing.pack(&values)[0]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::circuit::chips::test_support::*;

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

    fn layout(values: &[i128]) -> crate::circuit::layout::Layout {
        build(3, |b| {
            let ws: Vec<_> = values.iter().map(|&v| fresh_input(b, v)).collect();
            b.expose_packed(&ws, Packing { bits: 8, per_word: 5 });
        })
        .0
    }

    #[test]
    fn packed_instances_are_constrained() {
        let values = [5, -3, 127, -128, 0, 9, 1];
        let l = layout(&values);
        assert_eq!(l.instance_values.len(), 2);
        let p = Packing { bits: 8, per_word: 5 };
        assert_eq!(p.unpack(&l.instance_values[0], 5).unwrap(), values[..5]);
        assert_accepts(&l);
    }

    #[test]
    fn tampered_packed_word_fails() {
        let mut l = layout(&[5, -3, 127, -128, 0, 9, 1]);
        // A different word (one value changed by one) with its accumulator: the copies break.
        let p = Packing { bits: 8, per_word: 5 };
        let forged = p.pack(&[6, -3, 127, -128, 0])[0];
        l.instance_values[0] = forged;
        assert_rejects(&l);
        let mut l = layout(&[5, -3, 127, -128, 0, 9, 1]);
        let last = l.acc_values.len() - 1;
        l.acc_values[last] += Fr::ONE;
        l.instance_values[1] += Fr::ONE;
        assert_rejects(&l);
    }
}
