//! The verifier algorithm exactly as the generated Solidity runs it, in Rust: parse the proof,
//! replay the Keccak transcript, evaluate every constraint at `x`, fold the SHPLONK openings into one
//! MSM and check one pairing. Tests run it beside halo2's own verifier on real and tampered proofs,
//! which is how we know the plan (and so the contract) is right.

use halo2_proofs::halo2curves::bn256::{multi_miller_loop, Fr, G1Affine, G2Prepared, Gt, G1};
use halo2_proofs::halo2curves::ff::Field;
use halo2_proofs::halo2curves::group::{Curve, Group};
use halo2_proofs::halo2curves::pairing::MillerLoopResult;
use halo2_proofs::transcript::EncodedChallenge;

use super::plan::{ColumnEval, Commitment, Eval, Expr, VerifierPlan};
use crate::encoding::field::{fr_from_be_bytes, fr_to_be_bytes};
use crate::proof::transcript::{decode_point, KeccakState};

/// Why the mirror rejected a proof.
#[derive(Debug, PartialEq, Eq)]
pub enum Rejection {
    Length,
    Encoding,
    Pairing,
}

/// The proof's transcript, fed the bytes as they sit in calldata (as the contract does).
#[derive(Default)]
struct Transcript(KeccakState);

impl Transcript {
    fn absorb(&mut self, bytes: &[u8]) {
        self.0.absorb_bytes(bytes);
    }
    fn squeeze(&mut self) -> Fr {
        self.0.squeeze().get_scalar()
    }
}

/// All challenges and evaluations, as the Solidity holds them in memory.
pub struct Evaluated {
    pub theta: Fr,
    pub beta: Fr,
    pub gamma: Fr,
    pub y: Fr,
    pub x: Fr,
    pub shplonk_y: Fr,
    pub v: Fr,
    pub u: Fr,
    pub evals: Vec<Fr>,
    pub instance_eval: Fr,
    pub quotient_eval: Fr,
}

fn eval_expr(e: &Expr, plan: &VerifierPlan, evals: &[Fr], instance_eval: Fr) -> Fr {
    let ev = |e: &Expr| eval_expr(e, plan, evals, instance_eval);
    match e {
        Expr::Constant(c) => *c,
        Expr::Fixed(i) => evals[plan.evals.fixed + i],
        Expr::Advice(i) => evals[plan.evals.advice + i],
        Expr::Instance(_) => instance_eval,
        Expr::Negated(a) => -ev(a),
        Expr::Sum(a, b) => ev(a) + ev(b),
        Expr::Product(a, b) => ev(a) * ev(b),
        Expr::Scaled(a, s) => ev(a) * s,
    }
}

/// Lagrange basis `l_r(x) = w^r (x^n - 1) / (n (x - w^r))`.
fn lagrange(plan: &VerifierPlan, x: Fr, xn: Fr, rotation: i32) -> Fr {
    let w = plan.omega_pow(rotation);
    let n_inv = Fr::from(plan.n).invert().unwrap();
    w * (xn - Fr::ONE) * n_inv * (x - w).invert().unwrap()
}

/// Runs the verifier; `Ok(())` means the proof is valid.
pub fn verify(plan: &VerifierPlan, proof: &[u8], instances: &[Fr]) -> Result<Evaluated, Rejection> {
    if proof.len() != plan.proof.total || instances.len() != plan.num_instances {
        return Err(Rejection::Length);
    }
    let point = |at: usize| -> Result<G1Affine, Rejection> {
        decode_point(proof[at..at + 64].try_into().unwrap()).map_err(|_| Rejection::Encoding)
    };
    let p = &plan.proof;
    // Every point and scalar must be canonical; the Solidity checks the same before hashing.
    let points = (0..p.evals).step_by(64).map(point).collect::<Result<Vec<_>, _>>()?;
    let (h1, h2) = (point(p.shplonk_h1)?, point(p.shplonk_h2)?);
    let evals: Vec<Fr> = (0..p.num_evals)
        .map(|i| fr_from_be_bytes(proof[p.evals + 32 * i..p.evals + 32 * i + 32].try_into().unwrap()))
        .collect::<Option<_>>()
        .ok_or(Rejection::Encoding)?;
    let pt = |at: usize| points[at / 64];

    let mut t = Transcript::default();
    t.absorb(&fr_to_be_bytes(&plan.transcript_repr));
    for i in instances {
        t.absorb(&fr_to_be_bytes(i));
    }
    t.absorb(&proof[p.advice..p.lookup_permuted]);
    let theta = t.squeeze();
    t.absorb(&proof[p.lookup_permuted..p.permutation_z]);
    let beta = t.squeeze();
    let gamma = t.squeeze();
    t.absorb(&proof[p.permutation_z..p.quotient]);
    let y = t.squeeze();
    t.absorb(&proof[p.quotient..p.evals]);
    let x = t.squeeze();
    t.absorb(&proof[p.evals..p.shplonk_h1]);
    let shplonk_y = t.squeeze();
    let v = t.squeeze();
    t.absorb(&proof[p.shplonk_h1..p.shplonk_h2]);
    let u = t.squeeze();

    // Constraints at x.
    let xn = x.pow_vartime([plan.n]);
    let instance_eval =
        instances.iter().enumerate().fold(Fr::ZERO, |acc, (i, v)| acc + v * lagrange(plan, x, xn, i as i32));
    let last = plan.last_rotation();
    let l_last = lagrange(plan, x, xn, last);
    let l_blind = (last + 1..0).fold(Fr::ZERO, |acc, r| acc + lagrange(plan, x, xn, r));
    let l_0 = lagrange(plan, x, xn, 0);
    let active = Fr::ONE - (l_last + l_blind);
    let e = &plan.evals;
    let mut constraints: Vec<Fr> = plan.gates.iter().map(|g| eval_expr(g, plan, &evals, instance_eval)).collect();

    let col_eval = |c: &ColumnEval| match c {
        ColumnEval::Advice(q) => evals[e.advice + q],
        ColumnEval::Fixed(q) => evals[e.fixed + q],
        ColumnEval::Instance(_) => instance_eval,
    };
    let sets = &e.permutation_sets;
    constraints.push(l_0 * (Fr::ONE - evals[sets[0].0]));
    let z_last = evals[sets[sets.len() - 1].0];
    constraints.push(l_last * (z_last.square() - z_last));
    for s in 1..sets.len() {
        constraints.push(l_0 * (evals[sets[s].0] - evals[sets[s - 1].2.unwrap()]));
    }
    for (s, cols) in plan.permutation_columns.chunks(plan.chunk_len).enumerate() {
        let mut left = evals[sets[s].1];
        let mut right = evals[sets[s].0];
        let mut delta = beta * x * plan.delta.pow_vartime([(s * plan.chunk_len) as u64]);
        for (j, c) in cols.iter().enumerate() {
            let sigma = evals[e.sigma + s * plan.chunk_len + j];
            left *= col_eval(c) + beta * sigma + gamma;
            right *= col_eval(c) + delta + gamma;
            delta *= plan.delta;
        }
        constraints.push((left - right) * active);
    }
    for (l, lookup) in plan.lookups.iter().enumerate() {
        let [z, z_next, a, a_prev, s] = e.lookups[l].map(|i| evals[i]);
        let compress = |exprs: &[Expr]| {
            exprs.iter().fold(Fr::ZERO, |acc, ex| acc * theta + eval_expr(ex, plan, &evals, instance_eval))
        };
        let input = compress(&lookup.inputs);
        let table = compress(&lookup.tables);
        constraints.push(l_0 * (Fr::ONE - z));
        constraints.push(l_last * (z.square() - z));
        constraints.push((z_next * (a + beta) * (s + gamma) - z * (input + beta) * (table + gamma)) * active);
        constraints.push(l_0 * (a - s));
        constraints.push((a - s) * (a - a_prev) * active);
    }
    let quotient_eval = constraints.iter().fold(Fr::ZERO, |acc, c| acc * y + c) * (xn - Fr::ONE).invert().unwrap();

    // SHPLONK: one MSM and one pairing.
    let point_of = |r: i32| x * plan.omega_pow(r);
    let mut all_rotations: Vec<i32> = plan.rotation_sets.iter().flat_map(|s| s.rotations.clone()).collect();
    all_rotations.sort();
    all_rotations.dedup();
    let vanishing = |rots: &[i32]| rots.iter().fold(Fr::ONE, |acc, &r| acc * (u - point_of(r)));
    let complement =
        |rots: &[i32]| -> Vec<i32> { all_rotations.iter().copied().filter(|r| !rots.contains(r)).collect() };
    let z_diff_0_inv = vanishing(&complement(&plan.rotation_sets[0].rotations)).invert().unwrap();
    let z_0 = vanishing(&plan.rotation_sets[0].rotations);
    let commitment_point = |c: &Commitment| -> G1 {
        match *c {
            Commitment::Advice(i) => pt(p.advice + 64 * i).into(),
            Commitment::Fixed(i) => plan.fixed_commitments[i].into(),
            Commitment::Sigma(i) => plan.sigma_commitments[i].into(),
            Commitment::PermutationZ(s) => pt(p.permutation_z + 64 * s).into(),
            Commitment::LookupInput(l) => pt(p.lookup_permuted + 128 * l).into(),
            Commitment::LookupTable(l) => pt(p.lookup_permuted + 128 * l + 64).into(),
            Commitment::LookupZ(l) => pt(p.lookup_z + 64 * l).into(),
            Commitment::VanishingRandom => pt(p.vanishing_random).into(),
            Commitment::Quotient => (0..plan.quotient_pieces)
                .rev()
                .fold(G1::identity(), |acc, i| acc * xn + G1::from(pt(p.quotient + 64 * i))),
        }
    };
    let eval_value = |ev: &Eval| match ev {
        Eval::Proof(i) => evals[*i],
        Eval::Quotient => quotient_eval,
    };
    let mut msm = G1::identity();
    let mut r_outer = Fr::ZERO;
    let mut v_pow = Fr::ONE;
    for (i, set) in plan.rotation_sets.iter().enumerate() {
        let z_diff = if i == 0 { Fr::ONE } else { vanishing(&complement(&set.rotations)) * z_diff_0_inv };
        let points: Vec<Fr> = set.rotations.iter().map(|&r| point_of(r)).collect();
        let mut y_pow = Fr::ONE;
        let mut inner_r = Fr::ZERO;
        let mut inner_msm = G1::identity();
        for (c, evs) in &set.commitments {
            // r(u): the polynomial through (points, evals), evaluated at u.
            let mut r_u = Fr::ZERO;
            for (a, ev) in evs.iter().enumerate() {
                let mut basis = Fr::ONE;
                for (b, pb) in points.iter().enumerate() {
                    if a != b {
                        basis *= (u - pb) * (points[a] - pb).invert().unwrap();
                    }
                }
                r_u += eval_value(ev) * basis;
            }
            inner_r += y_pow * r_u;
            inner_msm += commitment_point(c) * y_pow;
            y_pow *= shplonk_y;
        }
        msm += inner_msm * (v_pow * z_diff);
        r_outer += v_pow * z_diff * inner_r;
        v_pow *= v;
    }
    let right = msm - G1::from(plan.g1) * r_outer - G1::from(h1) * z_0 + G1::from(h2) * u;
    let pairing =
        multi_miller_loop(&[(&h2, &G2Prepared::from(plan.s_g2)), (&right.to_affine(), &G2Prepared::from(-plan.g2))])
            .final_exponentiation();
    if pairing != Gt::identity() {
        return Err(Rejection::Pairing);
    }
    Ok(Evaluated { theta, beta, gamma, y, x, shplonk_y, v, u, evals, instance_eval, quotient_eval })
}
