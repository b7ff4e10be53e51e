//! Maximum (MaxPool): `max(a, b) = b + relu(a - b)`. The ReLU lookup proves the difference is in the
//! domain and clamps it exactly, so the comparison needs no bit decomposition.

use crate::circuit::layout::{LaneInput, LayoutBuilder, Wire};
use crate::circuit::tables::TableFn;
use crate::error::ZkError;

impl LayoutBuilder {
    /// Maximum of a non-empty window.
    pub fn max(&mut self, window: &[Wire]) -> Result<Wire, ZkError> {
        let Some(&first) = window.first() else {
            return Err(ZkError::input(format!("layer '{}': empty pooling window", self.context.0)));
        };
        let mut current = first;
        for &x in &window[1..] {
            let diff = self.dot(&[(current, 1), (x, -1)], 0);
            let clamped = self.lookup(TableFn::Relu.tag(), LaneInput::Copy(diff))?.1;
            current = self.dot(&[(x, 1), (clamped, 1)], 0);
        }
        Ok(current)
    }
}

#[cfg(test)]
mod tests {
    use crate::circuit::chips::test_support::*;
    use crate::encoding::field::fe;

    fn layout(values: &[i128]) -> crate::circuit::layout::Layout {
        build(2, |b| {
            let ws: Vec<_> = values.iter().map(|&v| fresh_input(b, v)).collect();
            let m = b.max(&ws).unwrap();
            b.expose(m);
        })
        .0
    }

    #[test]
    fn valid_max_passes() {
        for values in [vec![3, -9, 14, 2], vec![-5, -6], vec![7]] {
            let l = layout(&values);
            assert_eq!(l.instance_values[0], fe(*values.iter().max().unwrap()));
            assert_accepts(&l);
        }
    }

    #[test]
    fn claiming_a_smaller_max_fails() {
        let mut l = layout(&[3, -9, 14, 2]);
        // final acc holds the max; lower it along with the instance
        let last = l.acc_values.len() - 1;
        l.acc_values[last] = fe(3);
        l.instance_values[0] = fe(3);
        assert_rejects(&l);
    }

    #[test]
    fn tampered_comparison_fails() {
        let mut l = layout(&[3, 8]);
        // relu(3 - 8) = 0; claim the difference was positive instead
        let last = l.lout_values.len() - 1;
        l.lout_values[last] = 1;
        assert_rejects(&l);
    }
}
