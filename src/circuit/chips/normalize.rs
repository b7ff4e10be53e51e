//! Normalisation of a group of values (LayerNormalization, InstanceNormalization):
//! `y_i = (x_i - mean) / sqrt(var + eps)`, proved exactly to the unit with no table.
//!
//! Everything stays in integers until one division per element. With `n` values at scale `S`:
//! * `c_i = n x_i - sum(x)` is `n` times the centred value, with no rounding;
//! * `T = sum(c_i^2) = n^3 var 2^(2S)`, one chained product per element;
//! * `s = isqrt(n T + B)` with `B = n^4 eps 2^(2S)` is `n^2 sqrt(var + eps) 2^S`: the extra
//!   factor `n^2` is extra precision, and `B >= 1` keeps `s` positive on a constant group;
//! * `y_i = floor(c_i n 2^S / s)`, the fixed-point value of `(x_i - mean) / sqrt(var + eps)`.
//!
//! The only roundings are the root's and the quotient's, each below one unit of its own value.

use super::sqrt::{bit_length, isqrt_int};
use crate::circuit::layout::{LaneInput, LayoutBuilder, Wire};
use crate::error::ZkError;

impl LayoutBuilder {
    /// The normalised values of `xs` (one group), in order.
    pub fn normalize(&mut self, xs: &[Wire], eps: f64) -> Result<Vec<Wire>, ZkError> {
        let n = xs.len() as i128;
        if n == 0 {
            return Err(ZkError::internal(format!("layer '{}': normalising an empty group", self.context.0)));
        }
        // Bounded inputs bound everything below: |c_i| < n 2^(range_bits - 1) * 2.
        for &x in xs {
            self.range_check(x)?;
        }
        let s_bits = 2 * self.scale.bits() as i32;
        let eps_term = ((n * n * n * n) as f64 * eps * 2f64.powi(s_bits)).round().max(1.0);
        if eps_term >= 2f64.powi(100) {
            return Err(ZkError::input(format!(
                "layer '{}' ({}): epsilon {eps} is too large for a group of {n}",
                self.context.0, self.context.1
            )));
        }
        let eps_term = eps_term as i128;
        let sum = self.dot(&xs.iter().map(|&x| (x, 1)).collect::<Vec<_>>(), 0);
        let centred: Vec<Wire> = xs
            .iter()
            .map(|&x| {
                self.arith_row_int(true, false, false, 0, &[(LaneInput::Copy(x), n), (LaneInput::Copy(sum), -1)]).1
            })
            .collect();
        let squares = self.contract(&centred.iter().map(|&c| (c, c)).collect::<Vec<_>>())?;
        let x_bound = 1i128 << self.table.range_bits; // > |c_i| / n
        let c_max = n * x_bound;
        let v_max = n * (n * c_max * c_max) + eps_term;
        let root = self.isqrt(&[(squares, n)], eps_term, v_max)?;
        let root_bits = bit_length(isqrt_int(v_max)) + 1;
        let k = n << self.scale.bits();
        centred.into_iter().map(|c| self.divide_scaled(c, root, k, root_bits)).collect()
    }
}

#[cfg(test)]
mod tests {
    use crate::circuit::chips::test_support::*;
    use crate::circuit::layout::{CellRef, Layout, Wire};
    use crate::encoding::field::{fe, to_i128};

    /// Four values at scale 2^-4, normalised with eps 0.01.
    fn layout(xs: [i128; 4]) -> (Layout, Vec<Wire>) {
        build(2, |b| {
            let ws: Vec<_> = xs.iter().map(|&v| fresh_input(b, v)).collect();
            let ys = b.normalize(&ws, 0.01).unwrap();
            for &y in &ys {
                b.expose(y);
            }
            ys
        })
    }

    #[test]
    fn normalises_to_the_unit() {
        for xs in [[16, -16, 32, 0], [5, 5, 5, 5], [-100, 20, 7, 64], [1, 0, 0, 0]] {
            let (l, _) = layout(xs);
            let f: Vec<f64> = xs.iter().map(|&v| v as f64 / 16.0).collect();
            let mean = f.iter().sum::<f64>() / 4.0;
            let var = f.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 4.0;
            for (i, &v) in f.iter().enumerate() {
                let want = (v - mean) / (var + 0.01).sqrt();
                let got = to_i128(&l.instance_values[i]).unwrap() as f64 / 16.0;
                // Floor of a quotient: within one unit below.
                assert!((0.0..=1.0 / 16.0 + 1e-9).contains(&(want - got)), "{xs:?}[{i}]: {got} for {want}");
            }
            assert_accepts(&l);
        }
    }

    #[test]
    fn a_wrong_output_fails() {
        let (l, ys) = layout([16, -16, 32, 0]);
        for delta in [1, -1] {
            let mut t = l.clone();
            {
                let v = t.value_at(ys[2].cell) + fe(delta);
                set_cell(&mut t, ys[2].cell, v);
            }
            assert_rejects(&t);
        }
        // A root one unit off, with every copy of it following: its square bound objects.
        let root = l
            .copies
            .iter()
            .find_map(|&(a, b)| match (a, b) {
                (CellRef::Lane { row, lane: 0 }, CellRef::Lane { row: r, lane: 1 }) if row == r => Some(a),
                _ => None,
            })
            .expect("the root's square row");
        for delta in [1, -1] {
            let mut t = l.clone();
            {
                let v = t.value_at(root) + fe(delta);
                set_cell(&mut t, root, v);
            }
            assert_rejects(&t);
        }
        // A centred value claimed one higher (the chain of squares reads it too).
        let lanes = l.lanes;
        let centred = (0..l.arith.len())
            .find(|&r| l.weights[r * lanes] == fe(4) && l.weights[r * lanes + 1] == fe(-1))
            .expect("the first centred value's row") as u32;
        let mut t = l.clone();
        let cell = CellRef::Acc { row: centred };
        {
            let v = t.value_at(cell) + fe(1);
            set_cell(&mut t, cell, v);
        }
        assert_rejected_by(&t, Why::Gate);
    }
}
