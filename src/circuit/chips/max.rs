//! Maximum (MaxPool): `max(a, b) = b + s * (a - b)` where `s` is the sign bit of `a - b`. The
//! difference of two values in range needs one more bit of range, so it is decomposed with
//! `range_bits + 1` bits; no table entry is indexed by the values themselves.

use crate::circuit::layout::{LaneInput, LayoutBuilder, Wire};
use crate::error::ZkError;

impl LayoutBuilder {
    /// Maximum of a non-empty window.
    pub fn max(&mut self, window: &[Wire]) -> Result<Wire, ZkError> {
        let Some(&first) = window.first() else {
            return Err(ZkError::input(format!("layer '{}': empty pooling window", self.context.0)));
        };
        let bits = self.table.range_bits + 1;
        let all_in_range = window.iter().all(|w| self.in_range.contains(&w.cell));
        let mut current = first;
        for &x in &window[1..] {
            let diff = self.dot(&[(current, 1), (x, -1)], 0);
            let bit = self.sign(diff, bits)?;
            current = if self.lanes() >= 3 {
                let inputs = [(LaneInput::Copy(bit), 0), (LaneInput::Copy(diff), 0), (LaneInput::Copy(x), 1)];
                self.arith_row_int(true, false, true, 0, &inputs).1
            } else {
                let p = self.product(bit, diff);
                self.dot(&[(x, 1), (p, 1)], 0)
            };
        }
        if all_in_range {
            self.in_range.insert(current.cell); // one of the window's values
        }
        Ok(current)
    }
}

#[cfg(test)]
mod tests {
    use crate::circuit::chips::test_support::*;
    use crate::circuit::layout::{CellRef, Layout};
    use crate::encoding::field::fe;

    fn layout(lanes: usize, values: &[i128]) -> (Layout, CellRef) {
        build(lanes, |b| {
            let ws: Vec<_> = values.iter().map(|&v| fresh_input(b, v)).collect();
            let m = b.max(&ws).unwrap();
            b.expose(m);
            m.cell
        })
    }

    #[test]
    fn valid_max_passes() {
        for lanes in [2, 3] {
            for values in [vec![3, -9, 14, 2], vec![-5, -6], vec![7], vec![-128, 127], vec![127, -128]] {
                let (l, _) = layout(lanes, &values);
                assert_eq!(l.instance_values[0], fe(*values.iter().max().unwrap()));
                assert_accepts(&l);
            }
        }
    }

    #[test]
    fn claiming_a_smaller_max_fails() {
        for lanes in [2, 3] {
            let (mut l, m) = layout(lanes, &[3, -9, 14, 2]);
            set_cell(&mut l, m, fe(3));
            assert_rejected_by(&l, Why::Gate);
        }
    }

    #[test]
    fn a_tampered_comparison_fails() {
        // max(3, 8): the difference -5 has sign bit 0 (lookup row 8, after the two inputs' 4
        // rows each). Claim it positive: the max would read 3 + 1 * (-5)... the decomposition
        // no longer adds up.
        for lanes in [2, 3] {
            let (mut l, _) = layout(lanes, &[3, 8]);
            set_lookup(&mut l, 8, 1);
            assert_rejects(&l);
        }
    }
}
