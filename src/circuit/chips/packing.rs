//! Instance packing in the circuit: each packed word is one dot-product chain over the range-checked
//! values, bound to a public instance. The codec itself (and why it is injective) is
//! [`crate::encoding::packing`].

use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::halo2curves::ff::Field;

use crate::circuit::layout::{ArithRow, LaneInput, LayoutBuilder, Wire};
use crate::encoding::field::fe;
use crate::encoding::packing::Packing;

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
                let spec = ArithRow {
                    o: true,
                    carry: r > 0,
                    bias: if r == 0 { bias } else { Fr::ZERO },
                    ..ArithRow::default()
                };
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
