//! The circuit's columns and its only two constraints: the arithmetic gate and the table lookup.
//!
//! Neither needs a selector. The gate holds on every row of the domain, blinding rows included:
//! wherever all fixed coefficients are zero (unused rows, and every row past the usable ones, which
//! keygen leaves zero) it reads `0 = 0`. The lookup is enforced on usable rows only (halo2 masks the
//! blinding rows), and unused lookup rows hold `(0, 0, 0)`, the table's padding entry. That keeps
//! the maximum degree at 4 (the lookup), so the quotient has three pieces, and saves a fixed
//! commitment per selector in the verifier.

use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::plonk::{Advice, Column, ConstraintSystem, Expression, Fixed, Instance};
use halo2_proofs::poly::Rotation;

#[derive(Clone, Debug)]
pub struct ModelConfig {
    pub lanes: Vec<Column<Advice>>,
    pub acc: Column<Advice>,
    pub lin: Column<Advice>,
    pub lout: Column<Advice>,
    pub weights: Vec<Column<Fixed>>,
    pub o: Column<Fixed>,
    pub carry: Column<Fixed>,
    pub prod: Column<Fixed>,
    pub bias: Column<Fixed>,
    pub tag: Column<Fixed>,
    pub table: [Column<Fixed>; 3],
    pub instance: Column<Instance>,
}

impl ModelConfig {
    pub fn configure(meta: &mut ConstraintSystem<Fr>, lanes: usize) -> Self {
        let lane_cols: Vec<_> = (0..lanes).map(|_| meta.advice_column()).collect();
        let acc = meta.advice_column();
        let lin = meta.advice_column();
        let lout = meta.advice_column();
        let weights: Vec<_> = (0..lanes).map(|_| meta.fixed_column()).collect();
        let [o, carry, prod, bias, tag] = [(); 5].map(|_| meta.fixed_column());
        let table = [(); 3].map(|_| meta.fixed_column());
        let instance = meta.instance_column();
        for &c in lane_cols.iter().chain([&acc, &lin, &lout]) {
            meta.enable_equality(c);
        }
        meta.enable_equality(instance);

        meta.create_gate("arithmetic", |meta| {
            let o = meta.query_fixed(o, Rotation::cur());
            let carry = meta.query_fixed(carry, Rotation::cur());
            let prod = meta.query_fixed(prod, Rotation::cur());
            let bias = meta.query_fixed(bias, Rotation::cur());
            let acc_cur = meta.query_advice(acc, Rotation::cur());
            let acc_prev = meta.query_advice(acc, Rotation::prev());
            let xs: Vec<_> = lane_cols.iter().map(|&c| meta.query_advice(c, Rotation::cur())).collect();
            let ws: Vec<_> = weights.iter().map(|&c| meta.query_fixed(c, Rotation::cur())).collect();
            let dot =
                xs.iter().zip(&ws).fold(Expression::Constant(Fr::zero()), |sum, (x, w)| sum + w.clone() * x.clone());
            let rhs = carry * acc_prev + bias + dot + prod * xs[0].clone() * xs[1].clone();
            vec![o * acc_cur - rhs]
        });

        // The tag keeps its own column on purpose: folding it into the input (`tag * 2^k + x`)
        // would let a row claim `x + 2^k` under one tag and match the next tag's entry for `x`,
        // defeating the very range check the lookup provides.
        meta.lookup_any("table", |meta| {
            let ins = [
                meta.query_fixed(tag, Rotation::cur()),
                meta.query_advice(lin, Rotation::cur()),
                meta.query_advice(lout, Rotation::cur()),
            ];
            ins.into_iter().zip(table.iter().map(|&t| meta.query_fixed(t, Rotation::cur()))).collect()
        });

        ModelConfig { lanes: lane_cols, acc, lin, lout, weights, o, carry, prod, bias, tag, table, instance }
    }
}
