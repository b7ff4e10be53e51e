//! Range proofs by limbs, and the sign they yield.
//!
//! A value `v` with `bits` bits of range is written `v + 2^(bits-1) = sum(limb_i * 2^(p_i))`, each
//! limb of at most `limb_bits` bits in its width's range block, the top limb in a block whose
//! output is the limb's top bit: bit `bits - 1` of `v + 2^(bits-1)`, which is 1 exactly when
//! `v >= 0`. The limbs define an accumulator that is copy-constrained to `v`. Since every limb is
//! bounded and the total stays far below the field, the decomposition is unique: `v` is in range
//! and the sign is right. ReLU and max come from the sign with one product, so no table spans the
//! activation range and the sign costs no lookup of its own.

use crate::circuit::layout::{LaneInput, LayoutBuilder, Wire};
use crate::circuit::tables::RangeBlock;
use crate::error::ZkError;

/// Limb wires with their weights `2^position`, summing to a decomposed value.
pub type Limbs = Vec<(Wire, i128)>;

impl LayoutBuilder {
    /// Homes the limbs of `value` (in `[0, 2^bits)`) in range lookups, least significant first;
    /// returns each limb's wire and its weight `2^position`, and the output of the top limb's
    /// block: with `top`, a block that yields the limb's top bit (`value`'s bit `bits - 1`).
    pub(crate) fn limbs_with_top(&mut self, value: i128, bits: u32, top: bool) -> (Limbs, Wire) {
        let width = self.table.limb_bits;
        let mut out = Vec::with_capacity(bits.div_ceil(width) as usize);
        let mut pos = 0;
        let mut top_output = None;
        while pos < bits {
            let w = width.min(bits - pos);
            let limb = (value >> pos) & ((1i128 << w) - 1);
            let last = pos + w == bits;
            let (wire, output) = self.range_lookup(RangeBlock { width: w, top: top && last }, limb);
            if last {
                top_output = Some(output);
            }
            out.push((wire, 1i128 << pos));
            pos += w;
        }
        (out, top_output.expect("at least one limb"))
    }

    /// The limbs of `value` (in `[0, 2^bits)`), all in plain range blocks.
    pub fn limbs(&mut self, value: i128, bits: u32) -> Limbs {
        self.limbs_with_top(value, bits, false).0
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

    /// The limbs of `value + 2^(bits-1)` (in `[0, 2^bits)`) as weighted terms summing to it, and
    /// its top bit: 1 iff `value >= 0`.
    fn decomposition(&mut self, value: i128, bits: u32) -> Result<(Limbs, Wire), ZkError> {
        let t = self.checked_signed(value, bits)? + (1i128 << (bits - 1));
        Ok(self.limbs_with_top(t, bits, true))
    }

    /// Binds `x` to `sum(terms) - 2^(bits-1)`: an accumulator defined from limbs and
    /// copy-constrained to `x`, which costs no lane for `x` itself. The limbs bound `x` to
    /// `[-2^(bits-1), 2^(bits-1))`.
    pub(crate) fn bind_to_limbs(&mut self, x: Wire, terms: &[(Wire, i128)], bits: u32) {
        let defined = self.dot(terms, -(1i128 << (bits - 1)));
        self.layout.copies.push((x.cell, defined.cell));
        if bits == self.table.range_bits {
            self.in_range.insert(x.cell);
        }
    }

    /// Proves `v` lies in `[-2^(bits-1), 2^(bits-1))`; returns its sign bit (1 iff `v >= 0`). At
    /// the activation range a cell is decomposed once; later calls return the same bit.
    pub fn sign(&mut self, v: Wire, bits: u32) -> Result<Wire, ZkError> {
        let at_range = bits == self.table.range_bits;
        if let Some(&bit) = self.signs.get(&v.cell).filter(|_| at_range) {
            return Ok(bit);
        }
        let (terms, bit) = self.decomposition(v.value, bits)?;
        self.bind_to_limbs(v, &terms, bits);
        if at_range {
            self.signs.insert(v.cell, bit);
        }
        Ok(bit)
    }

    /// Proves `wire` lies in the activation range (once: a wire already proved is left alone).
    pub fn range_check(&mut self, wire: Wire) -> Result<(), ZkError> {
        if self.in_range.contains(&wire.cell) {
            return Ok(());
        }
        self.sign(wire, self.table.range_bits).map(|_| ())
    }

    /// A new value in `[-2^(bits-1), 2^(bits-1))` (a model input; `bits` at most the activation
    /// range). One limb wide, it is its range lookup's output; wider, it is defined from its limbs.
    pub fn range_checked_input(&mut self, value: i128, bits: u32) -> Result<Wire, ZkError> {
        debug_assert!(bits <= self.table.range_bits);
        let offset = 1i128 << (bits - 1);
        let wire = if bits <= self.table.limb_bits {
            let t = self.checked_signed(value, bits)? + offset;
            self.range_lookup(RangeBlock { width: bits, top: false }, t).1
        } else {
            let (terms, bit) = self.decomposition(value, bits)?;
            let wire = self.dot(&terms, -offset);
            if bits == self.table.range_bits {
                self.signs.insert(wire.cell, bit);
            }
            wire
        };
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

    /// `sign(x)` in fixed point (`-1`, `0` or `1` times the unit): `[x >= 0] + [x >= 1] - 1`. The
    /// second bit comes from a decomposition of `x - 1`, one bit wider since it reaches
    /// `-2^(bits-1) - 1`.
    pub fn signum(&mut self, x: Wire) -> Result<Wire, ZkError> {
        let bits = self.table.range_bits;
        let nonnegative = self.sign(x, bits)?;
        let positive = self.sign_of_shifted(x, 1)?;
        let unit = 1i128 << self.scale.bits();
        let y = self.dot(&[(nonnegative, unit), (positive, unit)], -unit);
        self.in_range.insert(y.cell); // one unit at most, and the range holds at least two
        Ok(y)
    }

    /// `[x - c >= 0]` for a constant `c` in the activation range: a decomposition of `x - c` one
    /// bit wider than the range (the difference can reach past it), bound to `x` itself so the
    /// difference needs no cell.
    pub(crate) fn sign_of_shifted(&mut self, x: Wire, c: i128) -> Result<Wire, ZkError> {
        let bits = self.table.range_bits + 1;
        let (limbs, bit) = self.decomposition(x.value - c, bits)?;
        // sum(limbs) - 2^(bits-1) = x - c
        let mut terms: Vec<(LaneInput, i128)> = limbs.iter().map(|&(w, p)| (LaneInput::Copy(w), p)).collect();
        terms.push((LaneInput::Copy(x), -1));
        self.assert_zero(false, c - (1i128 << (bits - 1)), &terms);
        Ok(bit)
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

    /// One input (homed with no range check, so the relu decomposes it), relu of it exposed;
    /// returns the output's cell.
    fn relu_layout(x: i128) -> (Layout, CellRef) {
        build(2, |b| {
            let w = fresh_input_unchecked(b, x);
            let y = b.relu(w).unwrap();
            b.expose(y);
            y.cell
        })
    }

    /// Lookup rows of the relu's decomposition of `x + 128`: limbs of 3, 3 and 2 bits; the top
    /// one's output is the sign bit.
    const RELU_LIMB0: usize = 0;
    const RELU_TOP: usize = 2;

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
        // x = 5: t = 133, limbs [5, 0, 2]; the top limb 2 = 0b10 gives sign 1. Claim sign 0 (relu
        // = 0): the product holds, the top block has no (2, 0) entry.
        let (mut l, y) = relu_layout(5);
        assert_eq!(l.lout_values[RELU_TOP], 1);
        set_lookup_out(&mut l, RELU_TOP, 0);
        set_cell(&mut l, y, fe(0));
        assert_rejected_by(&l, Why::Lookup);
        // x = -5: t = 123, limbs [3, 7, 1], sign 0. Claim sign 1 (relu = -5, a negative output).
        let (mut l, y) = relu_layout(-5);
        set_lookup_out(&mut l, RELU_TOP, 1);
        set_cell(&mut l, y, fe(-5));
        assert_rejected_by(&l, Why::Lookup);
        // A top limb of 1 (sign 0) with the low limbs making up the difference: 133 = 69 + 64,
        // 69 = 5 + 8 * 8, but 8 does not fit the 3-bit block.
        let (mut l, y) = relu_layout(5);
        set_lookup(&mut l, RELU_TOP, 1);
        set_lookup_out(&mut l, RELU_TOP, 0);
        set_lookup(&mut l, RELU_LIMB0 + 1, 8);
        set_cell(&mut l, y, fe(0));
        assert_rejected_by(&l, Why::Lookup);
    }

    #[test]
    fn a_relu_of_a_range_checked_value_reuses_its_sign() {
        // The input's range proof yields the sign; the relu adds only its product row.
        let (l, y) = build(2, |b| {
            let w = fresh_input(b, 5);
            let rows = (b.layout.arith.len(), b.layout.lookup_tags.len());
            let y = b.relu(w).unwrap();
            assert_eq!((b.layout.arith.len(), b.layout.lookup_tags.len()), (rows.0 + 1, rows.1));
            b.expose(y);
            y.cell
        });
        assert_eq!(l.instance_values[0], fe(5));
        assert_accepts(&l);
        // The shared sign bit claimed 0 (relu = 0): the input's top block has no (2, 0) entry.
        let mut l = l;
        set_lookup_out(&mut l, RELU_TOP, 0);
        set_cell(&mut l, y, fe(0));
        assert_rejected_by(&l, Why::Lookup);
    }

    #[test]
    fn a_limb_out_of_its_block_fails() {
        // x = 9: t = 137 = 1 + 1*8 + 2*64. Rewrite as limb0 = 9, limb1 = 0: the sum holds, limb0
        // is not in the 3-bit block.
        let (mut l, _) = relu_layout(9);
        set_lookup(&mut l, RELU_LIMB0, 9);
        set_lookup(&mut l, RELU_LIMB0 + 1, 0);
        assert_rejected_by(&l, Why::Lookup);
    }

    #[test]
    fn a_tampered_limb_fails() {
        let (mut l, _) = relu_layout(9);
        set_lookup(&mut l, RELU_LIMB0, 2);
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

    /// An input of 3 bits (one limb at limb width 3), read by a dot product and exposed.
    fn narrow_input_layout(x: i128) -> (Layout, CellRef) {
        build(2, |b| {
            let w = b.range_checked_input(x, 3).unwrap();
            let y = b.dot(&[(w, 5)], 1);
            b.expose(y);
            w.cell
        })
    }

    #[test]
    fn a_one_limb_input_is_its_lookup_output() {
        for x in [-4, -1, 0, 3] {
            let (l, cell) = narrow_input_layout(x);
            assert_eq!(cell, CellRef::Lout { row: 0 }, "no arithmetic row defines it");
            assert_eq!(l.instance_values[0], fe(5 * x + 1));
            assert_accepts(&l);
        }
    }

    #[test]
    fn a_tampered_one_limb_input_fails() {
        // x = 3 claimed 4, one past the range: the block has (7, 3) but no (7, 4) or (8, 4).
        let (mut l, cell) = narrow_input_layout(3);
        set_cell(&mut l, cell, fe(4));
        assert_rejected_by(&l, Why::Lookup);
        let (mut l, cell) = narrow_input_layout(3);
        set_lookup(&mut l, 0, 8);
        set_cell(&mut l, cell, fe(4));
        assert_rejected_by(&l, Why::Lookup);
        // The offset input and the value disagree (x = -1 read as 0 with the limb left at 3).
        let (mut l, cell) = narrow_input_layout(-1);
        set_cell(&mut l, cell, fe(0));
        assert_rejected_by(&l, Why::Lookup);
    }

    #[test]
    fn an_input_outside_its_narrow_range_is_an_error() {
        let err = build(2, |b| {
            b.set_context("pixels", "Input");
            b.range_checked_input(4, 3).unwrap_err()
        })
        .1;
        assert!(err.message.contains("pixels") && err.message.contains("outside"), "{}", err.message);
    }
}
