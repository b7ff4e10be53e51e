//! MockProver harness shared by the chip tests.

use halo2_proofs::dev::MockProver;

use crate::circuit::layout::{LaneInput, Layout, LayoutBuilder, Wire};
use crate::circuit::model_circuit::{k_for_rows, ModelCircuit};
use crate::circuit::tables::{TableFn, TableSpec};
use crate::encoding::Scale;

pub const SCALE: Scale = match Scale::new(4) {
    Some(s) => s,
    None => unreachable!(),
};

pub fn spec() -> TableSpec {
    TableSpec { range_bits: 8, functions: vec![TableFn::Relu, TableFn::Sigmoid, TableFn::Tanh] }
}

/// Runs `f` on a fresh witness-mode builder and returns the finished layout.
pub fn build<R>(lanes: usize, f: impl FnOnce(&mut LayoutBuilder) -> R) -> (Layout, R) {
    let mut b = LayoutBuilder::new(lanes, spec(), SCALE, true);
    let r = f(&mut b);
    (b.finish(), r)
}

/// A range-checked input value homed in the lookup track (as model inputs are).
pub fn fresh_input(b: &mut LayoutBuilder, v: i128) -> Wire {
    let tag = b.table.range_check_fn().tag();
    b.lookup(tag, LaneInput::Fresh(v)).unwrap().0
}

/// A value homed in an arithmetic lane with no range check.
pub fn fresh_input_unchecked(b: &mut LayoutBuilder, v: i128) -> Wire {
    let (lanes, _) = b.arith_row_int(false, false, false, 0, &[(LaneInput::Fresh(v), 0)]);
    lanes[0]
}

fn run(layout: &Layout) -> Result<(), Vec<halo2_proofs::dev::VerifyFailure>> {
    let k = k_for_rows(layout.rows(), layout.lanes);
    let circuit = ModelCircuit::new(layout.clone(), true);
    let instances = circuit.instances();
    MockProver::run(k, &circuit, vec![instances]).unwrap().verify()
}

pub fn assert_accepts(layout: &Layout) {
    if let Err(e) = run(layout) {
        panic!("valid witness rejected: {:?}", &e[..e.len().min(3)]);
    }
}

pub fn assert_rejects(layout: &Layout) {
    assert!(run(layout).is_err(), "tampered witness accepted");
}
