//! Poseidon over BN254's scalar field, laid out on the one arithmetic gate: turns private values
//! into one public commitment.
//!
//! The permutation and sponge are [`crate::encoding::poseidon`]'s (one set of constants); its
//! [`native_hash`](crate::encoding::poseidon::native_hash) is what the laid-out hash must equal.
//!
//! In the circuit a state word is a linear combination of wires plus a constant, so round
//! constants, padding and the capacity element cost no rows: an S-box of `s + c` is three product
//! rows (`(s+c)^2 = s*s + 2c*s + c^2`, its square, then `t^4 * s + c * t^4`), and each MDS output is
//! one dot-product row chain. A permutation takes about 630 rows at 2 lanes, 440 at 4.

use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::halo2curves::ff::Field;

use crate::circuit::layout::{ArithRow, FieldInput, FieldWire, LayoutBuilder};
use crate::encoding::poseidon::{capacity, constants, is_full, padded_chunks, sbox, WIDTH};

/// A state word: `sum_k coefficient_k * wire_k + constant`.
#[derive(Clone, Debug)]
struct Word {
    terms: Vec<(FieldWire, Fr)>,
    constant: Fr,
}

impl Word {
    fn constant(c: Fr) -> Word {
        Word { terms: vec![], constant: c }
    }

    fn value(&self) -> Fr {
        self.terms.iter().fold(self.constant, |acc, (w, k)| acc + w.value * k)
    }

    fn add_wire(&mut self, w: FieldWire) {
        self.terms.push((w, Fr::ONE));
    }
}

impl LayoutBuilder {
    /// `sum_k coefficient_k * wire_k + bias` as one new wire (a dot-product chain).
    fn combine(&mut self, terms: &[(FieldWire, Fr)], bias: Fr) -> FieldWire {
        let lanes = self.lanes();
        if terms.is_empty() {
            return self.field_row(ArithRow { o: true, bias, ..ArithRow::default() }, &[]);
        }
        let mut out = None;
        for (r, chunk) in terms.chunks(lanes).enumerate() {
            let inputs: Vec<(FieldInput, Fr)> = chunk.iter().map(|&(w, k)| (FieldInput::Copy(w), k)).collect();
            let spec =
                ArithRow { o: true, carry: r > 0, bias: if r == 0 { bias } else { Fr::ZERO }, ..ArithRow::default() };
            out = Some(self.field_row(spec, &inputs));
        }
        out.expect("at least one row")
    }

    /// `(s + c)^5` for a word that is one wire plus a constant (anything else is combined first).
    fn sbox_word(&mut self, word: &Word) -> Word {
        let (s, c) = match word.terms.as_slice() {
            [] => return Word::constant(sbox(word.constant)),
            [(w, k)] if *k == Fr::ONE => (*w, word.constant),
            terms => (self.combine(terms, Fr::ZERO), word.constant),
        };
        let prod = ArithRow { o: true, prod: true, ..ArithRow::default() };
        // t^2 = s*s + 2c*s + c^2
        let t2 = self.field_row(
            ArithRow { bias: c * c, ..prod },
            &[(FieldInput::Copy(s), c + c), (FieldInput::Copy(s), Fr::ZERO)],
        );
        let t4 = self.field_row(prod, &[(FieldInput::Copy(t2), Fr::ZERO), (FieldInput::Copy(t2), Fr::ZERO)]);
        // t^5 = t^4 * s + c * t^4
        let t5 = self.field_row(prod, &[(FieldInput::Copy(t4), c), (FieldInput::Copy(s), Fr::ZERO)]);
        Word { terms: vec![(t5, Fr::ONE)], constant: Fr::ZERO }
    }

    /// One application of the permutation to `state`, every word ending as one wire.
    fn permute_words(&mut self, state: [Word; WIDTH]) -> [Word; WIDTH] {
        let c = constants();
        let mut state = state;
        for (round, rc) in c.rounds.iter().enumerate() {
            for (w, k) in state.iter_mut().zip(rc) {
                w.constant += k;
            }
            if is_full(round) {
                state = [0, 1, 2].map(|i| self.sbox_word(&state[i]));
            } else {
                state[0] = self.sbox_word(&state[0]);
            }
            let mixed: [Word; WIDTH] = [0, 1, 2].map(|i| {
                let mut terms = Vec::new();
                let mut constant = Fr::ZERO;
                for (j, w) in state.iter().enumerate() {
                    let m = c.mds[i][j];
                    terms.extend(w.terms.iter().map(|&(wire, k)| (wire, k * m)));
                    constant += w.constant * m;
                }
                Word { terms, constant }
            });
            state = mixed.map(|w| {
                let wire = self.combine(&w.terms, w.constant);
                Word { terms: vec![(wire, Fr::ONE)], constant: Fr::ZERO }
            });
        }
        state
    }

    /// Lays out Poseidon of `inputs` and returns the wire holding the hash; its value equals
    /// [`native_hash`](crate::encoding::poseidon::native_hash) of the inputs' values.
    pub fn poseidon(&mut self, inputs: &[FieldWire]) -> FieldWire {
        let mut state = [Word::constant(Fr::ZERO), Word::constant(Fr::ZERO), Word::constant(capacity(inputs.len()))];
        for chunk in padded_chunks(inputs.len()) {
            for (k, &i) in chunk.iter().enumerate() {
                if let Some(i) = i {
                    state[k].add_wire(inputs[i]);
                }
            }
            state = self.permute_words(state);
        }
        let [out, _, _] = state;
        debug_assert_eq!(out.terms.len(), 1);
        let wire = out.terms[0].0;
        debug_assert_eq!(out.value(), wire.value);
        wire
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::circuit::chips::test_support::*;
    use crate::encoding::field::fe;
    use crate::encoding::poseidon::native_hash;

    /// Hashes `values` (range-checked inputs, as model values are) and exposes the hash.
    fn hashed(lanes: usize, values: &[i128]) -> crate::circuit::layout::Layout {
        build(lanes, |b| {
            let ws: Vec<FieldWire> = values.iter().map(|&v| fresh_input(b, v).into()).collect();
            let h = b.poseidon(&ws);
            b.expose_cell(h.cell, h.value);
        })
        .0
    }

    #[test]
    fn circuit_hash_equals_native_and_verifies() {
        for (lanes, values) in [(2, vec![5, -3, 7]), (4, vec![1, 2, 3, 4]), (3, vec![-100])] {
            let l = hashed(lanes, &values);
            let expected = native_hash(&values.iter().map(|&v| fe(v)).collect::<Vec<_>>());
            assert_eq!(l.instance_values, vec![expected]);
            assert_accepts(&l);
        }
    }

    #[test]
    fn tampered_hash_witness_fails() {
        let values = [5, -3, 7];
        // A commitment to other values.
        let mut l = hashed(2, &values);
        l.instance_values[0] = native_hash(&[fe(6), fe(-3), fe(7)]);
        assert_rejects(&l);
        // An input changed under the same hash (the lookup cell that homes it).
        let mut l = hashed(2, &values);
        l.lin_values[0] = 6;
        assert_rejects(&l);
        // Any intermediate state word (an S-box row's output), changed with the rest of the rows
        // left as they are.
        let base = hashed(2, &values);
        for row in [5, 40, 300, 600] {
            let mut l = base.clone();
            l.acc_values[row] += Fr::ONE;
            assert_rejects(&l);
        }
        // A lane that should copy the state holding another value.
        let mut l = base.clone();
        let lanes = l.lanes;
        l.lane_values[10 * lanes] += Fr::ONE;
        assert_rejects(&l);
    }

    #[test]
    fn changing_a_hashed_value_at_its_home_fails() {
        let l = build(2, |b| {
            let x = fresh_input_unchecked(b, 9);
            let h = b.poseidon(&[x.into()]);
            b.expose_cell(h.cell, h.value);
        })
        .0;
        assert_accepts(&l);
        let mut forged = l.clone();
        forged.lane_values[forged.lanes] = fe(10); // the home of x: row 1, lane 0
        assert_rejects(&forged);
    }
}
