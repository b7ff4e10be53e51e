//! Maximum (MaxPool, ReduceMax) and ArgMax: `max(a, b) = b + s * (a - b)` where `s` is the sign bit of `a - b`. The
//! difference of two values in range needs one more bit of range, so it is decomposed with
//! `range_bits + 1` bits; no table entry is indexed by the values themselves.

use crate::circuit::layout::{LaneInput, LayoutBuilder, Wire};
use crate::error::ZkError;

impl LayoutBuilder {
    /// Maximum of a non-empty window.
    pub fn max(&mut self, window: &[Wire]) -> Result<Wire, ZkError> {
        Ok(self.tournament(window, None)?.0)
    }

    /// Position of the first maximum of a non-empty window, as `position * unit` (the fixed-point
    /// encoding of the index). The position rides along the same comparisons as the maximum:
    /// each sign bit that keeps the running maximum also keeps its position, so the index costs
    /// one more row per element and no range check of its own.
    pub fn argmax(&mut self, window: &[Wire], unit: i128) -> Result<Wire, ZkError> {
        Ok(self.tournament(window, Some(unit))?.1.expect("tracked"))
    }

    /// Left-to-right running maximum; the sign bit is 1 when the running maximum is at least the
    /// challenger, so ties keep the earlier element (ONNX ArgMax's first index).
    fn tournament(&mut self, window: &[Wire], unit: Option<i128>) -> Result<(Wire, Option<Wire>), ZkError> {
        let Some(&first) = window.first() else {
            return Err(ZkError::input(format!("layer '{}': empty window", self.context.0)));
        };
        let bits = self.table.range_bits + 1;
        let all_in_range = window.iter().all(|w| self.in_range.contains(&w.cell));
        let mut current = first;
        // `None` while the position is still the constant 0.
        let mut position: Option<Wire> = None;
        for (j, &x) in window.iter().enumerate().skip(1) {
            let diff = self.dot(&[(current, 1), (x, -1)], 0);
            let bit = self.sign(diff, bits)?;
            current = self.select(bit, diff, x);
            if let Some(unit) = unit {
                // position' = bit * position + (1 - bit) * j * unit
                let at = j as i128 * unit;
                position = Some(match position {
                    None => self.dot(&[(bit, -at)], at),
                    // One row: `at - at * bit + bit * p` (the product lanes are the first two).
                    Some(p) => {
                        let inputs = [(LaneInput::Copy(bit), -at), (LaneInput::Copy(p), 0)];
                        self.arith_row_int(true, false, true, at, &inputs).1
                    }
                });
            }
        }
        if all_in_range {
            self.in_range.insert(current.cell); // one of the window's values
        }
        let position = unit.map(|_| position.unwrap_or_else(|| self.dot(&[], 0)));
        Ok((current, position))
    }

    /// `x + bit * diff`: the challenger, or the running maximum when `bit` is set.
    fn select(&mut self, bit: Wire, diff: Wire, x: Wire) -> Wire {
        if self.lanes() >= 3 {
            let inputs = [(LaneInput::Copy(bit), 0), (LaneInput::Copy(diff), 0), (LaneInput::Copy(x), 1)];
            self.arith_row_int(true, false, true, 0, &inputs).1
        } else {
            let p = self.product(bit, diff);
            self.dot(&[(x, 1), (p, 1)], 0)
        }
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

    fn argmax_layout(lanes: usize, values: &[i128]) -> (Layout, CellRef) {
        build(lanes, |b| {
            let ws: Vec<_> = values.iter().map(|&v| fresh_input(b, v)).collect();
            let m = b.argmax(&ws, 16).unwrap();
            b.expose(m);
            m.cell
        })
    }

    #[test]
    fn argmax_is_the_first_maximum() {
        for lanes in [2, 3] {
            for (values, at) in [
                (vec![3, -9, 14, 2], 2),
                (vec![14, -9, 14, 2], 0),
                (vec![-5, -6], 0),
                (vec![-6, -5], 1),
                (vec![7], 0),
                (vec![1, 2, 3, 4, 5], 4),
                (vec![2, 2, 2], 0),
            ] {
                let (l, _) = argmax_layout(lanes, &values);
                assert_eq!(l.instance_values[0], fe(16 * at), "{values:?} on {lanes} lanes");
                assert_accepts(&l);
            }
        }
    }

    #[test]
    fn a_wrong_position_fails() {
        for lanes in [2, 3] {
            for wrong in [0, 16, 48, 8] {
                let (mut l, m) = argmax_layout(lanes, &[3, -9, 14, 2]);
                set_cell(&mut l, m, fe(wrong));
                assert_rejects(&l);
            }
        }
    }
}
