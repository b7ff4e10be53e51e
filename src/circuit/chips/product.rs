//! Products of two runtime tensors: element-wise (ONNX Mul of two tensors), `acc = x_0 * x_1` on
//! one row, and contractions (MatMul of two computed tensors), one product per row with each row
//! adding the previous row's `acc`. A rescale follows either.

use crate::circuit::layout::{LaneInput, LayoutBuilder, Wire};
use crate::error::ZkError;

impl LayoutBuilder {
    /// `a * b` with no rescale; the result is the row's `acc`.
    pub fn product(&mut self, a: Wire, b: Wire) -> Wire {
        self.arith_row_int(true, false, true, 0, &[(LaneInput::Copy(a), 0), (LaneInput::Copy(b), 0)]).1
    }

    /// `sum(a_k * b_k)` with no rescale, on `pairs.len()` chained rows; the result is the last
    /// row's `acc`, so a rescale can follow directly.
    pub fn contract(&mut self, pairs: &[(Wire, Wire)]) -> Result<Wire, ZkError> {
        if pairs.is_empty() {
            return Err(ZkError::internal(format!("layer '{}': a contraction of no products", self.context.0)));
        }
        let mut acc = None;
        for (k, &(a, b)) in pairs.iter().enumerate() {
            let row = [(LaneInput::Copy(a), 0), (LaneInput::Copy(b), 0)];
            acc = Some(self.arith_row_int(true, k > 0, true, 0, &row).1);
        }
        Ok(acc.expect("at least one product"))
    }
}

#[cfg(test)]
mod tests {
    use crate::circuit::chips::test_support::*;
    use crate::circuit::layout::CellRef;
    use crate::encoding::field::fe;

    fn layout() -> (crate::circuit::layout::Layout, u32) {
        build(2, |b| {
            let x = fresh_input(b, 40);
            let y = fresh_input(b, -24);
            let p = b.product(x, y);
            assert_eq!(p.value, -960);
            let q = b.rescale_previous(p, 4).unwrap();
            b.range_check(q).unwrap();
            b.expose(q);
            match p.cell {
                CellRef::Acc { row } => row,
                _ => unreachable!(),
            }
        })
    }

    #[test]
    fn valid_product_passes() {
        let (l, _) = layout();
        assert_eq!(l.instance_values[0], fe(-60));
        assert_accepts(&l);
    }

    #[test]
    fn tampered_product_fails() {
        let (mut l, row) = layout();
        l.acc_values[row as usize] += fe(16); // keeps the rescale consistent, breaks the product
        let q_row = row as usize + 1;
        l.lane_values[q_row * l.lanes] += fe(1);
        let n = l.lin_values.len();
        l.lin_values[n - 1] += 1;
        l.lout_values[n - 1] += 1;
        l.instance_values[0] += fe(1);
        assert_rejects(&l);
    }

    /// `3*5 + (-2)*7 + 4*4 = 17` at scale 2^-4, rescaled to 1 (17/16 rounded).
    fn contraction() -> (crate::circuit::layout::Layout, u32) {
        build(2, |b| {
            let xs: Vec<_> = [3, -2, 4].iter().map(|&v| fresh_input(b, v)).collect();
            let ys: Vec<_> = [5, 7, 4].iter().map(|&v| fresh_input(b, v)).collect();
            let pairs: Vec<_> = xs.into_iter().zip(ys).collect();
            let acc = b.contract(&pairs).unwrap();
            assert_eq!(acc.value, 17);
            let q = b.rescale_previous(acc, 4).unwrap();
            b.range_check(q).unwrap();
            b.expose(q);
            match acc.cell {
                CellRef::Acc { row } => row - 2,
                _ => unreachable!(),
            }
        })
    }

    #[test]
    fn valid_contraction_passes() {
        let (l, _) = contraction();
        assert_eq!(l.instance_values[0], fe(1));
        assert_accepts(&l);
    }

    #[test]
    fn a_tampered_partial_sum_fails() {
        // The first product claimed 16 instead of 15.
        let (mut l, first) = contraction();
        l.acc_values[first as usize] += fe(1);
        assert_rejected_by(&l, Why::Gate);
        // The whole chain raised by 16 (total 33, quotient 2, same remainder): the rescale and
        // the quotient's range proof follow along, the first product does not.
        let (mut l, first) = contraction();
        for r in 0..3 {
            l.acc_values[first as usize + r] += fe(16);
        }
        set_cell(&mut l, CellRef::Acc { row: first + 3 }, fe(2));
        assert_rejects(&l);
        // A factor swapped for another value breaks its copy.
        let (mut l, first) = contraction();
        l.lane_values[(first as usize + 1) * l.lanes] += fe(1);
        assert_rejects(&l);
    }

    #[test]
    fn tampered_factor_fails() {
        let (mut l, row) = layout();
        l.lane_values[row as usize * l.lanes + 1] += fe(1);
        assert_rejects(&l);
    }
}
