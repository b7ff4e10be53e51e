//! Element-wise product of two runtime tensors (ONNX Mul of two tensors): `acc = x_0 * x_1` on one
//! row, then a rescale.

use crate::circuit::layout::{LaneInput, LayoutBuilder, Wire};

impl LayoutBuilder {
    /// `a * b` with no rescale; the result is the row's `acc`.
    pub fn product(&mut self, a: Wire, b: Wire) -> Wire {
        self.arith_row_int(true, false, true, 0, &[(LaneInput::Copy(a), 0), (LaneInput::Copy(b), 0)]).1
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

    #[test]
    fn tampered_factor_fails() {
        let (mut l, row) = layout();
        l.lane_values[row as usize * l.lanes + 1] += fe(1);
        assert_rejects(&l);
    }
}
