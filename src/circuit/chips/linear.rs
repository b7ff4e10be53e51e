//! Dot products with constant weights: Gemm, MatMul, Conv, pooling averages, folded batch norms and
//! tensor sums all become `bias + sum(w_i * x_i)`, `lanes` terms per row, chained through `acc`.

use crate::circuit::layout::{LaneInput, LayoutBuilder, Wire};

impl LayoutBuilder {
    /// Lays out `bias + sum(w * x)` over `terms`; the returned wire is the `acc` of the last row,
    /// so a rescale can follow on the next row.
    pub fn dot(&mut self, terms: &[(Wire, i128)], bias: i128) -> Wire {
        let lanes = self.lanes();
        if terms.is_empty() {
            return self.arith_row_int(true, false, false, bias, &[]).1;
        }
        let mut acc = None;
        for (i, chunk) in terms.chunks(lanes).enumerate() {
            let inputs: Vec<(LaneInput, i128)> = chunk.iter().map(|&(w, c)| (LaneInput::Copy(w), c)).collect();
            acc = Some(self.arith_row_int(true, i > 0, false, if i == 0 { bias } else { 0 }, &inputs).1);
        }
        acc.unwrap()
    }
}

#[cfg(test)]
mod tests {
    use crate::circuit::chips::test_support::*;
    use crate::circuit::layout::CellRef;
    use crate::encoding::field::fe;

    fn layout() -> (crate::circuit::layout::Layout, u32) {
        build(3, |b| {
            let xs: Vec<_> = [3i128, -2, 5, 7, 1].iter().map(|&v| fresh_input(b, v)).collect();
            let terms: Vec<_> = xs.iter().zip([2i128, 3, -1, 4, 10]).map(|(&x, w)| (x, w)).collect();
            let out = b.dot(&terms, 11);
            assert_eq!(out.value, 11 + 6 - 6 - 5 + 28 + 10);
            b.expose(out);
            match out.cell {
                CellRef::Acc { row } => row,
                _ => unreachable!(),
            }
        })
    }

    #[test]
    fn valid_dot_product_passes() {
        let (l, _) = layout();
        assert_accepts(&l);
    }

    #[test]
    fn tampered_output_fails() {
        let (mut l, row) = layout();
        l.acc_values[row as usize] += fe(1);
        l.instance_values[0] += fe(1);
        assert_rejects(&l);
    }

    #[test]
    fn tampered_partial_sum_fails() {
        let (mut l, row) = layout();
        l.acc_values[row as usize - 1] += fe(1);
        assert_rejects(&l);
    }

    #[test]
    fn tampered_lane_copy_fails() {
        let (mut l, _) = layout();
        // lane 0 of the first dot row holds a copy of input 0
        let first_dot_row = 1; // row 0 is the reserved empty row
        l.lane_values[first_dot_row * l.lanes] += fe(1);
        assert_rejects(&l);
    }

    #[test]
    fn tampered_instance_fails() {
        let (mut l, _) = layout();
        l.instance_values[0] -= fe(1);
        assert_rejects(&l);
    }
}

impl LayoutBuilder {
    /// `bias + sum(w * x)` with the weights and the bias as witness values (hashed parameters):
    /// the bias row homes the bias, then one product row per term homes its weight in lane 0 and
    /// multiplies it by a copy of the input, chained through `acc`. The fixed columns hold only
    /// 0s and 1s, so the verifying key does not depend on the weights. Returns the `acc` of the
    /// last row and the wires homing the bias and each weight, in that order (what the parameter
    /// commitment hashes).
    pub fn private_dot(&mut self, terms: &[(Wire, i128)], bias: i128) -> (Wire, Vec<Wire>) {
        let mut params = Vec::with_capacity(terms.len() + 1);
        let (lanes, mut acc) = self.arith_row_int(true, false, false, 0, &[(LaneInput::Fresh(bias), 1)]);
        params.push(lanes[0]);
        for &(x, w) in terms {
            let (lanes, out) =
                self.arith_row_int(true, true, true, 0, &[(LaneInput::Fresh(w), 0), (LaneInput::Copy(x), 0)]);
            params.push(lanes[0]);
            acc = out;
        }
        (acc, params)
    }
}

#[cfg(test)]
mod private_tests {
    use crate::circuit::chips::test_support::*;
    use crate::circuit::layout::{CellRef, Layout};
    use crate::encoding::field::fe;

    /// `11 + 2*3 + 3*(-2) - 5` with witness weights, the weights and bias exposed as instances
    /// (standing in for the commitment that binds them).
    /// Returns the output's row and the row of the first product (whose lane 0 homes a weight).
    fn layout() -> (Layout, (u32, u32)) {
        build(2, |b| {
            let xs: Vec<_> = [3i128, -2, 5].iter().map(|&v| fresh_input(b, v)).collect();
            let terms: Vec<_> = xs.iter().zip([2i128, 3, -1]).map(|(&x, w)| (x, w)).collect();
            let (out, params) = b.private_dot(&terms, 11);
            assert_eq!(out.value, 11 + 6 - 6 - 5);
            assert_eq!(params.iter().map(|p| p.value).collect::<Vec<_>>(), vec![11, 2, 3, -1]);
            b.expose(out);
            params.iter().for_each(|&p| b.expose(p));
            match (out.cell, params[1].cell) {
                (CellRef::Acc { row }, CellRef::Lane { row: first, lane: 0 }) => (row, first),
                _ => unreachable!(),
            }
        })
    }

    #[test]
    fn private_weights_prove_the_dot_product() {
        assert_accepts(&layout().0);
    }

    #[test]
    fn a_tampered_private_weight_or_partial_sum_fails() {
        let (base, (row, first)) = layout();
        let first = first as usize;
        // The weight in the first product row, changed where it is homed: the instance that
        // binds it no longer matches.
        let mut l = base.clone();
        l.lane_values[first * l.lanes] += fe(1);
        assert_rejects(&l);
        // The weight changed together with its instance: the product no longer adds up.
        let mut l = base.clone();
        l.lane_values[first * l.lanes] += fe(1);
        l.instance_values[1] += fe(1);
        assert_rejects(&l);
        // The output changed.
        let mut l = base.clone();
        l.acc_values[row as usize] += fe(1);
        l.instance_values[0] += fe(1);
        assert_rejects(&l);
        // The input copy in a product row.
        let mut l = base;
        l.lane_values[first * l.lanes + 1] += fe(1);
        assert_rejects(&l);
    }
}
