//! MockProver harness shared by the chip tests.
//!
//! A tamper test changes one witness value *and everything copied from it* (`set_cell`,
//! `set_lookup`), so the copy constraints hold and the rejection must come from the constraint
//! under test; `assert_rejected_by` names which kind of constraint that is.

use halo2_proofs::dev::{MockProver, VerifyFailure};
use halo2_proofs::halo2curves::bn256::Fr;

use crate::circuit::layout::{CellRef, Layout, LayoutBuilder, Wire};
use crate::circuit::model_circuit::{k_for_rows, ModelCircuit};
use crate::circuit::tables::{SegmentedFn, TableFn, TableSpec};
use crate::encoding::field::{fe, to_i128};
use crate::encoding::Scale;

pub const SCALE: Scale = match Scale::new(4) {
    Some(s) => s,
    None => unreachable!(),
};

/// Range 8 bits, limbs of 3 bits (so values have full and partial limbs), both smooth functions
/// with 2-bit segments.
pub fn spec() -> TableSpec {
    TableSpec {
        range_bits: 8,
        limb_bits: 3,
        functions: vec![
            SegmentedFn { function: TableFn::SIGMOID, segment_bits: 2 },
            SegmentedFn { function: TableFn::TANH, segment_bits: 2 },
        ],
    }
}

/// [`spec`]'s range and limbs with only `f`, at the segment width calibration would give it.
pub fn spec_with(f: TableFn) -> TableSpec {
    let range_bits = spec().range_bits;
    TableSpec {
        functions: vec![SegmentedFn { function: f, segment_bits: f.segment_bits(SCALE, range_bits) }],
        ..spec()
    }
}

/// Runs `f` on a fresh witness-mode builder and returns the finished layout.
pub fn build<R>(lanes: usize, f: impl FnOnce(&mut LayoutBuilder) -> R) -> (Layout, R) {
    build_with(lanes, spec(), f)
}

/// [`build`] with a table of its own.
pub fn build_with<R>(lanes: usize, table: TableSpec, f: impl FnOnce(&mut LayoutBuilder) -> R) -> (Layout, R) {
    let mut b = LayoutBuilder::new(lanes, table, SCALE, true);
    let r = f(&mut b);
    (b.finish(), r)
}

/// One of each tabulated function, with typical and awkward parameters.
pub fn every_function() -> Vec<TableFn> {
    use crate::model::graph::{Activation, Param};
    let p = Param::new;
    [
        Activation::Sigmoid,
        Activation::Tanh,
        Activation::Erf,
        Activation::Softplus,
        Activation::Gelu,
        Activation::GeluTanh,
        Activation::HardSwish,
        Activation::Abs,
        Activation::ExpShifted,
        Activation::LnAtLeastOne,
        Activation::LeakyRelu { alpha: p(0.01) },
        Activation::LeakyRelu { alpha: p(0.2) },
        Activation::Elu { alpha: p(1.0) },
        Activation::Elu { alpha: p(0.5) },
        Activation::HardSigmoid { alpha: p(0.2), beta: p(0.5) },
        Activation::Clip { min: p(0.0), max: p(6.0) },
        Activation::Clip { min: p(-0.37), max: p(1.1) },
        Activation::Clip { min: p(f32::NEG_INFINITY), max: p(0.8) },
    ]
    .into_iter()
    .map(|a| TableFn::from_activation(a).unwrap())
    .collect()
}

/// A range-checked input value homed in a lane (as model inputs are).
pub fn fresh_input(b: &mut LayoutBuilder, v: i128) -> Wire {
    b.range_checked_input(v, b.table.range_bits).unwrap()
}

fn run(layout: &Layout) -> Result<(), Vec<VerifyFailure>> {
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

/// Which kind of constraint must catch a tampered witness.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Why {
    Gate,
    Lookup,
}

/// Rejected, and by a constraint of kind `why` (others may fail too, but not instead).
pub fn assert_rejected_by(layout: &Layout, why: Why) {
    let failures = run(layout).expect_err("tampered witness accepted");
    let hit = failures.iter().any(|f| match why {
        Why::Gate => matches!(f, VerifyFailure::ConstraintNotSatisfied { .. }),
        Why::Lookup => matches!(f, VerifyFailure::Lookup { .. }),
    });
    assert!(hit, "rejected, but not by a {why:?} constraint: {:?}", &failures[..failures.len().min(3)]);
    let permutation = failures.iter().any(|f| matches!(f, VerifyFailure::Permutation { .. }));
    assert!(!permutation, "the tamper broke a copy; the test should keep copies consistent");
}

/// Sets `cell` to `value`, with every cell copied from or to it and every instance bound to them.
pub fn set_cell(l: &mut Layout, cell: CellRef, value: Fr) {
    let mut todo = vec![cell];
    let mut seen = vec![];
    while let Some(c) = todo.pop() {
        if seen.contains(&c) {
            continue;
        }
        seen.push(c);
        match c {
            CellRef::Lane { row, lane } => l.lane_values[row as usize * l.lanes + lane as usize] = value,
            CellRef::Acc { row } => l.acc_values[row as usize] = value,
            CellRef::Lin { row } => l.lin_values[row as usize] = to_i128(&value).expect("a small value"),
            CellRef::Lout { row } => l.lout_values[row as usize] = to_i128(&value).expect("a small value"),
        }
        for &(a, b) in &l.copies {
            if a == c {
                todo.push(b);
            } else if b == c {
                todo.push(a);
            }
        }
        for (i, &ic) in l.instance_cells.iter().enumerate() {
            if ic == c {
                l.instance_values[i] = value;
            }
        }
    }
}

/// Sets the input of lookup row `row` (and its copies).
pub fn set_lookup(l: &mut Layout, row: usize, value: i128) {
    set_cell(l, CellRef::Lin { row: row as u32 }, fe(value));
}

/// Sets the output of lookup row `row` (and its copies).
pub fn set_lookup_out(l: &mut Layout, row: usize, value: i128) {
    set_cell(l, CellRef::Lout { row: row as u32 }, fe(value));
}

/// A value homed in an arithmetic lane with no range check.
pub fn fresh_input_unchecked(b: &mut LayoutBuilder, v: i128) -> Wire {
    let (lanes, _) = b.arith_row_int(false, false, false, 0, &[(crate::circuit::layout::LaneInput::Fresh(v), 0)]);
    lanes[0]
}
