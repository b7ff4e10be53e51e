//! Range proofs by limbs, and the sign they yield.
//!
//! A value `v` with `bits` bits of range is written `v + 2^(bits-1) = b * 2^(bits-1) + u`, with the
//! sign bit `b` in the 1-bit block and `u` split into limbs of at most `limb_bits` bits, each in its
//! width's range block; one arithmetic assertion recomposes them. Since every limb is bounded and
//! the total stays far below the field, the decomposition is unique: `v` is in range, and `b` is 1
//! exactly when `v >= 0`. ReLU and max come from `b` with one product, so no table spans the
//! activation range.

use crate::circuit::layout::{LaneInput, LayoutBuilder, Wire};
use crate::error::ZkError;

/// Limb wires with their weights `2^position`, summing to a decomposed value.
pub type Limbs = Vec<(Wire, i128)>;

impl LayoutBuilder {
    /// Homes the limbs of `value` (in `[0, 2^bits)`) in range lookups, least significant first;
    /// returns each limb's wire and its weight `2^position`.
    pub fn limbs(&mut self, value: i128, bits: u32) -> Limbs {
        let width = self.table.limb_bits;
        let mut out = Vec::with_capacity(bits.div_ceil(width) as usize);
        let mut pos = 0;
        while pos < bits {
            let w = width.min(bits - pos);
            let limb = (value >> pos) & ((1i128 << w) - 1);
            out.push((self.range_lookup(w, limb), 1i128 << pos));
            pos += w;
        }
        out
    }

    /// Asserts `[acc_prev +] bias + sum(w * x) = 0` over as many rows as the lanes need: every row
    /// but the last carries its partial sum in `acc`, the last defines none (`o = 0`). With
    /// `carry`, the first row continues from the accumulator of the row just laid out. Returns the
    /// lane wires in the order of `terms`.
    pub fn assert_zero(&mut self, carry: bool, bias: i128, terms: &[(LaneInput, i128)]) -> Vec<Wire> {
        let lanes = self.lanes();
        let chunks: Vec<&[(LaneInput, i128)]> =
            if terms.is_empty() { vec![&[]] } else { terms.chunks(lanes).collect() };
        let mut wires = Vec::with_capacity(terms.len());
        let n = chunks.len();
        for (i, chunk) in chunks.into_iter().enumerate() {
            let last = i + 1 == n;
            let (w, _) = self.arith_row_int(!last, carry || i > 0, false, if i == 0 { bias } else { 0 }, chunk);
            wires.extend(w);
        }
        wires
    }

    /// The limbs of `value + 2^(bits-1)` (in `[0, 2^bits)`) as weighted terms summing to it; with
    /// `signed`, the top bit is its own 1-bit limb and is also returned (1 iff `value >= 0`).
    fn decomposition(&mut self, value: i128, bits: u32, signed: bool) -> Result<(Limbs, Option<Wire>), ZkError> {
        let half = 1i128 << (bits - 1);
        let t = self.checked_signed(value, bits)? + half;
        if !signed {
            return Ok((self.limbs(t, bits), None));
        }
        let bit = self.range_lookup(1, t >> (bits - 1));
        let mut terms = vec![(bit, half)];
        terms.extend(self.limbs(t & (half - 1), bits - 1));
        Ok((terms, Some(bit)))
    }

    /// Proves `x` lies in `[-2^(bits-1), 2^(bits-1))`: an accumulator defined from its limbs
    /// (`sum - 2^(bits-1)`) and copy-constrained to `x`, which costs no lane for `x` itself.
    /// Returns the sign bit when `signed`.
    fn bind_decomposition(&mut self, x: Wire, bits: u32, signed: bool) -> Result<Option<Wire>, ZkError> {
        let (terms, bit) = self.decomposition(x.value, bits, signed)?;
        let defined = self.dot(&terms, -(1i128 << (bits - 1)));
        self.layout.copies.push((x.cell, defined.cell));
        if bits == self.table.range_bits {
            self.in_range.insert(x.cell);
        }
        Ok(bit)
    }

    /// Proves `v` lies in `[-2^(bits-1), 2^(bits-1))`; returns its sign bit (1 iff `v >= 0`).
    pub fn sign(&mut self, v: Wire, bits: u32) -> Result<Wire, ZkError> {
        Ok(self.bind_decomposition(v, bits, true)?.expect("a signed decomposition has a sign bit"))
    }

    /// Proves `wire` lies in the activation range (once: a wire already proved is left alone).
    pub fn range_check(&mut self, wire: Wire) -> Result<(), ZkError> {
        if self.in_range.contains(&wire.cell) {
            return Ok(());
        }
        self.bind_decomposition(wire, self.table.range_bits, false).map(|_| ())
    }

    /// A new value in the activation range, defined from its limbs (model inputs).
    pub fn range_checked_input(&mut self, value: i128) -> Result<Wire, ZkError> {
        let bits = self.table.range_bits;
        let (terms, _) = self.decomposition(value, bits, false)?;
        let wire = self.dot(&terms, -(1i128 << (bits - 1)));
        self.in_range.insert(wire.cell);
        Ok(wire)
    }

    /// New values homed in lanes with no range check, `lanes` to a row: for inputs whose every
    /// reader proves their range itself (an activation decomposes its input).
    pub fn unchecked_inputs(&mut self, values: &[i128]) -> Vec<Wire> {
        let lanes = self.lanes();
        let mut wires = Vec::with_capacity(values.len());
        for chunk in values.chunks(lanes) {
            let inputs: Vec<(LaneInput, i128)> = chunk.iter().map(|&v| (LaneInput::Fresh(v), 0)).collect();
            wires.extend(self.arith_row_int(false, false, false, 0, &inputs).0);
        }
        wires
    }

    /// `max(x, 0)`: the sign bit times `x`.
    pub fn relu(&mut self, x: Wire) -> Result<Wire, ZkError> {
        let bit = self.sign(x, self.table.range_bits)?;
        let y = self.product(bit, x);
        self.in_range.insert(y.cell); // 0 or x, and x is in range
        Ok(y)
    }
}

#[cfg(test)]
mod tests {
    use crate::circuit::chips::test_support::*;
    use crate::circuit::layout::{CellRef, Layout};
    use crate::encoding::field::fe;

    /// One input, relu of it exposed; returns the output's cell.
    fn relu_layout(x: i128) -> (Layout, CellRef) {
        build(2, |b| {
            let w = fresh_input(b, x);
            let y = b.relu(w).unwrap();
            b.expose(y);
            y.cell
        })
    }

    /// Lookup row of the relu's sign bit, after the input's own decomposition (limbs of 3, 3, 2
    /// bits at range 8, limb 3); its limbs (3, 3, 1 bits) follow.
    const RELU_BIT: usize = 3;

    #[test]
    fn relu_from_the_sign() {
        for x in [-128, -50, -1, 0, 1, 3, 60, 127] {
            let (l, _) = relu_layout(x);
            assert_eq!(l.instance_values[0], fe(x.max(0)), "relu({x})");
            assert_accepts(&l);
        }
    }

    #[test]
    fn a_tampered_sign_bit_fails() {
        // x = 5: t = 133 = 1*128 + 5. Claim b = 0 (relu = 0) and u = 133: the recomposition and
        // the product hold; u's top limb would have to be 2 in the 1-bit block.
        let (mut l, y) = relu_layout(5);
        set_lookup(&mut l, RELU_BIT, 0);
        set_lookup(&mut l, RELU_BIT + 3, 2);
        set_cell(&mut l, y, fe(0));
        assert_rejected_by(&l, Why::Lookup);
        // The bit alone, the output following: the recomposition fails.
        let (mut l, y) = relu_layout(5);
        set_lookup(&mut l, RELU_BIT, 0);
        set_cell(&mut l, y, fe(0));
        assert_rejected_by(&l, Why::Gate);
        // A bit of 2 (doubling the output) is not in the 1-bit block.
        let (mut l, y) = relu_layout(-5);
        set_lookup(&mut l, RELU_BIT, 2);
        set_lookup(&mut l, RELU_BIT + 3, 0);
        set_cell(&mut l, y, fe(-10));
        assert_rejects(&l);
    }

    #[test]
    fn a_limb_out_of_its_block_fails() {
        // x = 9: u = 9 = 1 + 1*8. Rewrite as limb0 = 9, limb1 = 0: the sum holds, limb0 is not in
        // the 3-bit block.
        let (mut l, _) = relu_layout(9);
        set_lookup(&mut l, RELU_BIT + 1, 9);
        set_lookup(&mut l, RELU_BIT + 2, 0);
        assert_rejected_by(&l, Why::Lookup);
    }

    #[test]
    fn a_tampered_limb_fails() {
        let (mut l, _) = relu_layout(9);
        set_lookup(&mut l, RELU_BIT + 1, 2);
        assert_rejected_by(&l, Why::Gate);
    }

    #[test]
    fn out_of_range_input_is_an_error_not_a_proof() {
        let err = build(2, |b| {
            b.set_context("relu_7", "Relu");
            let w = fresh_input_unchecked(b, 1 << 12);
            b.relu(w).unwrap_err()
        })
        .1;
        assert!(err.message.contains("relu_7"), "{}", err.message);
        assert!(err.message.contains("outside the circuit's range"), "{}", err.message);
    }
}
