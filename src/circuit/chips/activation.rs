//! Lookup-table activations (ReLU, sigmoid, tanh): `(tag, x, f(x))` must be a table row, which also
//! proves `x` lies in the activation domain.

use crate::circuit::layout::{LaneInput, LayoutBuilder, Wire};
use crate::circuit::tables::TableFn;
use crate::error::ZkError;

impl LayoutBuilder {
    /// `f(x)`; `f` must be one of the table's functions.
    pub fn activation(&mut self, f: TableFn, x: Wire) -> Result<Wire, ZkError> {
        Ok(self.lookup(f.tag(), LaneInput::Copy(x))?.1)
    }
}

#[cfg(test)]
mod tests {
    use crate::circuit::chips::test_support::*;
    use crate::circuit::tables::TableFn;
    use crate::encoding::field::fe;

    fn layout(f: TableFn, x: i128) -> crate::circuit::layout::Layout {
        build(2, |b| {
            let w = fresh_input(b, x);
            let y = b.activation(f, w).unwrap();
            b.expose(y);
        })
        .0
    }

    #[test]
    fn valid_activations_pass() {
        for f in [TableFn::Relu, TableFn::Sigmoid, TableFn::Tanh] {
            for x in [-50, -1, 0, 3, 60] {
                let l = layout(f, x);
                assert_eq!(l.instance_values[0], fe(f.eval(x, SCALE)));
                assert_accepts(&l);
            }
        }
    }

    #[test]
    fn tampered_output_fails() {
        for f in [TableFn::Relu, TableFn::Sigmoid, TableFn::Tanh] {
            let mut l = layout(f, -7);
            let last = l.lout_values.len() - 1;
            l.lout_values[last] += 1;
            l.instance_values[0] += fe(1);
            assert_rejects(&l);
        }
    }

    #[test]
    fn tampered_lookup_input_fails() {
        let mut l = layout(TableFn::Relu, 9);
        let last = l.lin_values.len() - 1;
        l.lin_values[last] += 1; // breaks the copy from the input cell
        l.lout_values[last] += 1;
        l.instance_values[0] += fe(1);
        assert_rejects(&l);
    }

    #[test]
    fn out_of_domain_input_is_an_error_not_a_proof() {
        let err = build(2, |b| {
            b.set_context("relu_7", "Relu");
            let w = fresh_input_unchecked(b, 1 << 12);
            b.activation(TableFn::Relu, w).unwrap_err()
        })
        .1;
        assert!(err.message.contains("relu_7"), "{}", err.message);
        assert!(err.message.contains("outside the circuit's range"), "{}", err.message);
    }
}
