//! The halo2 `Circuit` for a laid-out model: writes a [`Layout`] into one region.
//!
//! One region, at absolute offsets: halo2-axiom's floor planner places every region at row 0, and
//! our own layout already decided every row.

use std::sync::Arc;

use halo2_proofs::circuit::{Cell, Layouter, SimpleFloorPlanner, Value};
use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::plonk::{Circuit, ConstraintSystem, Error};

use super::config::ModelConfig;
use super::layout::{CellRef, Layout};
use crate::encoding::field::fe;

#[derive(Clone, Debug)]
pub struct ModelCircuit {
    pub layout: Arc<Layout>,
    /// False for keygen: advice values are unknown.
    pub with_witness: bool,
}

/// Circuit shape parameter: how many lanes the arithmetic gate has.
#[derive(Clone, Copy, Debug, Default)]
pub struct CircuitShape {
    pub lanes: usize,
}

impl ModelCircuit {
    pub fn new(layout: Layout, with_witness: bool) -> Self {
        ModelCircuit { layout: Arc::new(layout), with_witness }
    }

    /// Public instance column, as field elements.
    pub fn instances(&self) -> Vec<Fr> {
        self.layout.instance_values.clone()
    }
}

impl Circuit<Fr> for ModelCircuit {
    type Config = ModelConfig;
    type FloorPlanner = SimpleFloorPlanner;
    type Params = CircuitShape;

    fn without_witnesses(&self) -> Self {
        ModelCircuit { layout: self.layout.clone(), with_witness: false }
    }

    fn params(&self) -> CircuitShape {
        CircuitShape { lanes: self.layout.lanes }
    }

    fn configure_with_params(meta: &mut ConstraintSystem<Fr>, params: CircuitShape) -> ModelConfig {
        ModelConfig::configure(meta, params.lanes)
    }

    fn configure(_meta: &mut ConstraintSystem<Fr>) -> ModelConfig {
        unreachable!("zkinfer always configures with the lane count from the layout")
    }

    fn synthesize(&self, config: ModelConfig, mut layouter: impl Layouter<Fr>) -> Result<(), Error> {
        let layout = &self.layout;
        let known = self.with_witness;
        let val = |v: Fr| if known { Value::known(v) } else { Value::unknown() };
        let instance_cells = layouter.assign_region(
            || "model",
            |mut region| {
                let lanes = layout.lanes;
                let mut lane_cells: Vec<Cell> = Vec::with_capacity(layout.lane_values.len());
                let mut acc_cells: Vec<Cell> = Vec::with_capacity(layout.arith.len());
                for (row, spec) in layout.arith.iter().enumerate() {
                    let flag = |b: bool| if b { Fr::one() } else { Fr::zero() };
                    let o = if spec.o { fe(1i128 << spec.o_shift) } else { Fr::zero() };
                    region.assign_fixed(config.o, row, o);
                    region.assign_fixed(config.carry, row, flag(spec.carry));
                    region.assign_fixed(config.prod, row, flag(spec.prod));
                    region.assign_fixed(config.bias, row, spec.bias);
                    for j in 0..lanes {
                        region.assign_fixed(config.weights[j], row, layout.weights[row * lanes + j]);
                        let c = region.assign_advice(config.lanes[j], row, val(layout.lane_values[row * lanes + j]));
                        lane_cells.push(c.cell());
                    }
                    acc_cells.push(region.assign_advice(config.acc, row, val(layout.acc_values[row])).cell());
                }
                let mut lin_cells = Vec::with_capacity(layout.lookup_tags.len());
                let mut lout_cells = Vec::with_capacity(layout.lookup_tags.len());
                for (row, &tag) in layout.lookup_tags.iter().enumerate() {
                    region.assign_fixed(config.tag, row, Fr::from(tag as u64));
                    lin_cells.push(region.assign_advice(config.lin, row, val(fe(layout.lin_values[row]))).cell());
                    lout_cells.push(region.assign_advice(config.lout, row, val(fe(layout.lout_values[row]))).cell());
                }
                for (row, &(tag, x, y)) in layout.table.iter().enumerate() {
                    region.assign_fixed(config.table[0], row, Fr::from(tag as u64));
                    region.assign_fixed(config.table[1], row, fe(x));
                    region.assign_fixed(config.table[2], row, fe(y));
                }
                let cell = |c: CellRef| match c {
                    CellRef::Lane { row, lane } => lane_cells[row as usize * lanes + lane as usize],
                    CellRef::Acc { row } => acc_cells[row as usize],
                    CellRef::Lin { row } => lin_cells[row as usize],
                    CellRef::Lout { row } => lout_cells[row as usize],
                };
                for &(a, b) in &layout.copies {
                    region.constrain_equal(cell(a), cell(b));
                }
                Ok(layout.instance_cells.iter().map(|&c| cell(c)).collect::<Vec<_>>())
            },
        )?;
        for (i, c) in instance_cells.into_iter().enumerate() {
            layouter.constrain_instance(c, config.instance, i);
        }
        Ok(())
    }
}

/// Rows halo2 reserves at the end of the domain (blinding factors plus the last row) for a circuit
/// with `lanes` lanes.
pub fn unusable_rows(lanes: usize) -> usize {
    let mut cs = ConstraintSystem::<Fr>::default();
    ModelCircuit::configure_with_params(&mut cs, CircuitShape { lanes });
    cs.blinding_factors() + 1
}

/// Smallest `k` whose usable rows fit `rows`.
pub fn k_for_rows(rows: usize, lanes: usize) -> u32 {
    let reserved = unusable_rows(lanes);
    let mut k = 4;
    while (1usize << k) < rows + reserved {
        k += 1;
    }
    k
}
